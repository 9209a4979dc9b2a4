-- experiments: statistics, in C (src/results/distributions.c, src/results/comparisons.c). Distributions, intervals and
-- the tests behind experiment results. Pure functions of their arguments.

CREATE FUNCTION experiments.normal_cdf(x float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'normal_cdf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.normal_cdf(float8) IS
'P(Z <= x) for a standard normal Z, accurate in both tails (relative error below 1e-12).';

CREATE FUNCTION experiments.normal_quantile(p float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'normal_quantile'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.normal_quantile(float8) IS
'The x with P(Z <= x) = p for a standard normal Z; -Infinity at 0, Infinity at 1.';

CREATE FUNCTION experiments.chi_square_cdf(x float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'chi_square_cdf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.chi_square_cdf(float8, float8) IS
'P(X <= x) for a chi-square X with df > 0 degrees of freedom (the regularized lower incomplete gamma P(df/2, x/2)).';

CREATE FUNCTION experiments.chi_square_sf(x float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'chi_square_sf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.chi_square_sf(float8, float8) IS
'P(X > x) for a chi-square X with df > 0 degrees of freedom: the p-value of a chi-square statistic, accurate far into the tail.';

CREATE FUNCTION experiments.student_t_cdf(t float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_cdf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.student_t_cdf(float8, float8) IS
'P(T <= t) for Student''s t with df > 0 degrees of freedom, fractional allowed; df = Infinity gives the normal distribution.';

CREATE FUNCTION experiments.student_t_sf(t float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_sf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.student_t_sf(float8, float8) IS
'P(T > t) for Student''s t with df > 0 degrees of freedom, accurate far into the tail.';

CREATE FUNCTION experiments.student_t_quantile(p float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_quantile'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.student_t_quantile(float8, float8) IS
'The t with P(T <= t) = p for Student''s t with df > 0 degrees of freedom.';

CREATE FUNCTION experiments.wilson_interval(successes bigint, trials bigint,
	confidence float8 DEFAULT 0.95, OUT lower float8, OUT upper float8)
RETURNS record
AS 'MODULE_PATHNAME', 'wilson_interval'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.wilson_interval(bigint, bigint, float8) IS
'Wilson score interval of the proportion successes / trials at a confidence level (default 95%); NULLs when trials is 0.';

CREATE FUNCTION experiments.two_proportion_test(
	control_successes bigint, control_trials bigint,
	treatment_successes bigint, treatment_trials bigint,
	confidence float8 DEFAULT 0.95,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT z float8, OUT p_value float8, OUT relative_note text)
RETURNS record
AS 'MODULE_PATHNAME', 'two_proportion_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.two_proportion_test(bigint, bigint, bigint, bigint, float8) IS
'Comparison of treatment vs control rates by one statistic, the Miettinen-Nurminen score (variance at the rates'' maximum likelihood under the null, times n / (n - 1)): z and two-sided p-value at no difference, the score interval of the difference (treatment - control) and the score interval of the ratio reported as relative difference (treatment / control - 1, never below -1), each the values the same test does not reject. Without control conversions relative_difference and relative_upper are NULL (the ratio is unbounded) and relative_note says why; NULLs when an arm has no trials.';

CREATE FUNCTION experiments.welch_test(
	control_mean float8, control_variance float8, control_count bigint,
	treatment_mean float8, treatment_variance float8, treatment_count bigint,
	confidence float8 DEFAULT 0.95,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT t float8, OUT p_value float8, OUT relative_note text, OUT df float8)
RETURNS record
AS 'MODULE_PATHNAME', 'welch_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.welch_test(float8, float8, bigint, float8, float8, bigint, float8) IS
'Comparison of treatment vs control means from sample summaries (mean, var_samp, count) by one statistic, Welch''s t with Welch-Satterthwaite degrees of freedom: t, two-sided p-value, the t interval of the difference and Fieller''s interval of the ratio at the same critical t, reported as relative difference (treatment / control - 1). The relative bounds are NULL, with relative_note saying why, when Fieller''s set is unbounded (the control mean not significantly different from 0) or an arm''s values are all equal. NULLs when an arm has fewer than 2 units or both arms'' values are constant.';

CREATE FUNCTION experiments.srm_test(observed bigint[], allocation float8[],
	OUT chi_square float8, OUT df integer, OUT p_value float8)
RETURNS record
AS 'MODULE_PATHNAME', 'srm_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.srm_test(bigint[], float8[]) IS
'Sample ratio mismatch: chi-square goodness of fit of units per variant against allocation weights; units in a zero-allocation variant give chi_square Infinity and p_value 0.';

CREATE FUNCTION experiments.multiple_testing(p_values float8[], method text DEFAULT 'holm',
	confidence float8 DEFAULT 0.95, OUT adjusted_p_values float8[], OUT confidences float8[])
RETURNS record
AS 'MODULE_PATHNAME', 'multiple_testing'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.multiple_testing(float8[], text, float8) IS
'Corrects a family of p-values (NULL elements are not in it) for multiple testing, element by element: method holm (Holm''s step-down adjusted p-values; each interval at the Bonferroni level of the step that decided it), bh (Benjamini-Hochberg adjusted p-values; every interval at 1 - R (1 - confidence) / m, R the number rejected, Benjamini and Yekutieli''s FCR-adjusted intervals) or none. confidences are the levels of the intervals, so that an interval excludes no difference exactly when its adjusted p-value is below 1 - confidence.';

CREATE FUNCTION experiments.bayesian_rates(
	control_successes bigint, control_trials bigint,
	treatment_successes bigint, treatment_trials bigint,
	OUT chance_to_beat float8, OUT expected_loss float8)
RETURNS record
AS 'MODULE_PATHNAME', 'bayesian_rates'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.bayesian_rates(bigint, bigint, bigint, bigint) IS
'Bayesian comparison of treatment vs control rates with Beta(1, 1) priors (beta-binomial posteriors): chance_to_beat, the probability that the treatment''s rate is above the control''s (Evan Miller''s closed form), and expected_loss, E[max(control - treatment, 0)] in rate points, the expected cost of choosing the treatment; NULLs when an arm has no trials.';

CREATE FUNCTION experiments.bayesian_means(
	control_mean float8, control_variance float8, control_count bigint,
	treatment_mean float8, treatment_variance float8, treatment_count bigint,
	OUT chance_to_beat float8, OUT expected_loss float8)
RETURNS record
AS 'MODULE_PATHNAME', 'bayesian_means'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.bayesian_means(float8, float8, bigint, float8, float8, bigint) IS
'Bayesian comparison of treatment vs control means in the normal approximation with a flat prior (the difference is normal with the means'' difference and squared standard error var_samp / count summed): chance_to_beat, Phi(d / se), and expected_loss, E[max(control - treatment, 0)] = se (phi(z) - z Phi(-z)) in the unit of the values; NULLs when an arm has fewer than 2 units or both are constant.';
