-- experiments: statistics, in C (src/results/stats.c). Distributions, intervals and
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
	OUT z float8, OUT p_value float8)
RETURNS record
AS 'MODULE_PATHNAME', 'two_proportion_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.two_proportion_test(bigint, bigint, bigint, bigint, float8) IS
'Two-proportion z-test of treatment vs control rates: difference (treatment - control) with its Wald interval, relative difference (treatment / control - 1) with its delta-method interval, z with the pooled standard error, two-sided p-value.';

CREATE FUNCTION experiments.welch_test(
	control_mean float8, control_variance float8, control_count bigint,
	treatment_mean float8, treatment_variance float8, treatment_count bigint,
	confidence float8 DEFAULT 0.95,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT t float8, OUT p_value float8, OUT df float8)
RETURNS record
AS 'MODULE_PATHNAME', 'welch_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.welch_test(float8, float8, bigint, float8, float8, bigint, float8) IS
'Welch''s t-test of treatment vs control means from sample summaries (mean, var_samp, count): difference with its t interval, relative difference with its delta-method interval, t, two-sided p-value and Welch-Satterthwaite degrees of freedom.';

CREATE FUNCTION experiments.srm_test(observed bigint[], allocation float8[],
	OUT chi_square float8, OUT df integer, OUT p_value float8)
RETURNS record
AS 'MODULE_PATHNAME', 'srm_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.srm_test(bigint[], float8[]) IS
'Sample ratio mismatch: chi-square goodness of fit of units per variant against allocation weights; units in a zero-allocation variant give chi_square Infinity and p_value 0.';
