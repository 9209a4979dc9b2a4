-- experiments: results per metric of the catalog (src/results/metrics.sql).
--
-- metric_statistics(), in C (src/results/results.c), reads the exposures
-- once and each attached metric's event source once (in memory bounded as
-- daily_metrics()'s is), and sums per metric and
-- variant what the statistics need: units, units with events, the per-unit
-- values (after the conversion window and the cap) with their squares, a
-- ratio's denominator and cross products, the CUPED covariate (the same
-- metric in a pre-period before each unit's first exposure) with its cross
-- products, and a quantile metric's quantile with its order-statistic
-- interval. metric_results() turns the sums into estimates, intervals and
-- comparisons with the control, corrects across variants and metrics, and
-- judges guardrails by their non-inferiority margin.

CREATE FUNCTION experiments.metric_statistics(experiment_id bigint, since timestamptz, until timestamptz,
	pre_period interval, confidence float8, breakdown text DEFAULT NULL, max_slices integer DEFAULT 10)
RETURNS TABLE (metric_id bigint, metric text, ordinal integer, units bigint, event_units bigint,
			   value_sum float8, value_square_sum float8,
			   denominator_event_units bigint, denominator_sum float8, denominator_square_sum float8, cross_sum float8,
			   covariate_sum float8, covariate_square_sum float8, covariate_cross_sum float8,
			   quantile_value float8, quantile_lower float8, quantile_upper float8, cap float8,
			   slice integer, slice_value text)
AS 'MODULE_PATHNAME', 'metric_statistics'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
-- as daily_metrics(): compiling its queries costs more than it saves
SET jit = off;
COMMENT ON FUNCTION experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8, text, integer) IS
'Per metric attached to the experiment (experiment_metrics) and variant, over the units first exposed in [since, until) (in the variant of their first exposure): units, event_units (units with an event in the metric''s conversion window after their first exposure, before until), the sum and sum of squares of the per-unit values (1 or 0 for a proportion; the count or sum of the events in the window for a mean, ratio part or quantile, capped at cap: the absolute cap, or the cap_value quantile of the values of the units with events, all variants pooled), for a ratio the denominator''s event units, sum and sum of squares and the sum of numerator times denominator; for proportion and mean metrics when pre_period is positive the CUPED covariate''s sum, sum of squares and sum of value times covariate (the same metric, counted and capped alike, from the events in the pre_period before each unit''s first exposure); for a quantile metric its quantile of the values of the units with events (linear interpolation, numpy''s default) and the order statistics at ranks floor(np - z sqrt(np(1-p))) and ceil(np + z sqrt(np(1-p))) (1-based, within 1..n; z the normal critical value at confidence). Windows and pre_period are exact durations (a day is 24 hours, a month 30 days). Goals that no metric of the tenant reads follow as implicit proportion metrics (metric_id NULL, metric the goal), counted as experiment_results() counts them (a goal no exposed unit reached after its first exposure has no row). Without a breakdown (NULL) slice is 0 and slice_value NULL. With one, the rows are per slice too: a unit''s value of the attribute breakdown is the latest set on it (attribute_events of its unit type, set_at at or before its first exposure; on a tie of times the greatest value in byte order), a JSON string''s text or another value''s JSON text; slice 0 holds the units without one (none set by then, or JSON null), slices 1 to n (slice_value the value) the max_slices (1 to 100) values with the most units in descending order (ties in byte order), slice n + 1 every other value; caps and the rest are as without a breakdown. NULL in any other argument returns no rows. Memory is bounded by work_mem times hash_mem_multiplier: past it, units spill to temporary files, as daily_metrics() does, and caps and quantiles are counted per distinct value in work_mem each, sorted past it (a quantile metric''s values per variant; with a breakdown, in one sort). Without a breakdown, a unit whose values are at or below the floors of their percentile caps is summed without waiting for the caps: a floor is a quantile of a sample of hit values (512kB at most) from the first partitions read, low enough that a cap below it is a one-in-a-billion chance; should a cap come out below its floor, the pass is made again without floors, so that the answers never depend on the sample.';

CREATE FUNCTION experiments_internal.guardrail_status(sufficient boolean, margin float8,
	relative_lower float8, relative_upper float8, higher_is_better boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN margin IS NULL OR sufficient IS NULL THEN NULL
				WHEN NOT sufficient THEN 'insufficient sample'
				WHEN higher_is_better AND relative_lower > -margin THEN 'pass'
				WHEN NOT higher_is_better AND relative_upper < margin THEN 'pass'
				ELSE 'fail' END
$$;
COMMENT ON FUNCTION experiments_internal.guardrail_status(boolean, float8, float8, float8, boolean) IS
'A guardrail''s non-inferiority judgement: pass when the relative interval''s bound on the bad side is within the margin (above -margin when higher is better, below margin otherwise), fail when it is not (a degradation larger than the margin cannot be ruled out, or the interval is unbounded), insufficient sample when the minimum-sample rule fails, NULL for other roles and control rows.';

CREATE FUNCTION experiments_internal.metric_comparison(method text, type text, cuped boolean,
	control_events bigint, control_count bigint, control_mean float8, control_variance float8,
	treatment_events bigint, treatment_count bigint, treatment_mean float8, treatment_variance float8,
	control_estimate float8, control_estimate_variance float8,
	treatment_estimate float8, treatment_estimate_variance float8, confidence float8, tuning_n bigint,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8, OUT p_value float8)
RETURNS record
-- in C, as comparison(): called twice per treatment, metric and slice from
-- metric_comparisons()'s query
AS 'MODULE_PATHNAME', 'metric_comparison'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION experiments_internal.metric_comparison(text, text, boolean, bigint, bigint, float8, float8, bigint, bigint, float8, float8, float8, float8, float8, float8, float8, bigint) IS
'One comparison of metric_results() at a confidence level by the method''s test: proportions (counts) and means, or with CUPED the adjusted means and variances, by experiments_internal.comparison(); ratios and quantiles from their estimates and variances by a normal z test (method fixed) or by sequential_test() on the estimates as means with the variances count x squared standard error (method sequential: the confidence sequence over the units of both arms, its p-value the same at every level), the relative interval by the delta method at the same critical value. The difference and its bounds are NULL for a ratio or quantile whose control estimate is 0; NULLs where the tests give NULLs.';

-- The body of metric_results() and metric_breakdown(): the comparisons of
-- every slice (one, 0, without a breakdown), metric and variant, corrected
-- as one family.
CREATE FUNCTION experiments_internal.metric_comparisons(experiment_id bigint,
	since timestamptz, until timestamptz, confidence float8, min_units bigint, correction text,
	pre_period interval, method text, tuning_n bigint, breakdown text, max_slices integer)
RETURNS TABLE (
	experiment_id bigint, metric_id bigint, metric text, role text, type text, implicit boolean,
	higher_is_better boolean, margin float8, ordinal integer, variant text,
	units bigint, event_units bigint, estimate float8, estimate_lower float8, estimate_upper float8, cap float8,
	cuped boolean, adjusted_estimate float8, variance_reduction float8,
	difference float8, difference_lower float8, difference_upper float8,
	relative_difference float8, relative_lower float8, relative_upper float8,
	p_value float8, adjusted_p_value float8, interval_confidence float8, p_value_correction text,
	sample_sufficient boolean, verdict text, guardrail text, method text, slice integer, slice_value text)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH cfg AS MATERIALIZED (
	SELECT a.chosen_method AS method, a.chosen_confidence AS confidence, a.chosen_correction AS correction,
		   a.chosen_tuning_n AS tuning_n
	FROM experiments_internal.analysis($1, $8, $4, $6, $9) a
), s AS MATERIALIZED (
	SELECT ms.* FROM cfg CROSS JOIN LATERAL experiments.metric_statistics($1, coalesce($2, '-infinity'),
		coalesce($3, 'infinity'), coalesce($7, '0'), cfg.confidence, $10, $11) ms
), defs AS (
	-- Every metric with rows in a slice, attached or implicit, with its role.
	SELECT DISTINCT ON (s.slice, s.metric_id, s.metric) s.slice, s.slice_value, s.metric_id, s.metric,
		   coalesce(em.role, 'secondary') AS role, coalesce(m.type, 'proportion') AS type,
		   m.id IS NULL AS implicit, coalesce(m.higher_is_better, true) AS higher_is_better, em.margin
	FROM s
	LEFT JOIN experiments.metrics m ON m.id = s.metric_id
	LEFT JOIN experiments.experiment_metrics em ON em.metric_id = s.metric_id AND em.experiment_id = $1
), pooled AS (
	-- CUPED: one slope theta per slice and metric, over all variants' units.
	SELECT s.slice, s.metric_id,
		   (sum(s.covariate_cross_sum) - sum(s.value_sum) * sum(s.covariate_sum) / sum(s.units))
			 / nullif(sum(s.covariate_square_sum) - sum(s.covariate_sum) ^ 2 / sum(s.units), 0) AS theta,
		   sum(s.covariate_sum) / sum(s.units) AS covariate_mean
	FROM s WHERE s.covariate_sum IS NOT NULL
	GROUP BY s.slice, s.metric_id
), cells AS (
	-- Every variant for every metric; variants without units count 0.
	SELECT d.*, v.ordinal, v.key AS variant, coalesce(s.units, 0) AS n, coalesce(s.event_units, 0) AS events,
		   s.value_sum AS sx, s.value_square_sum AS sxx, s.denominator_sum AS sy, s.denominator_square_sum AS syy,
		   s.cross_sum AS sxy, s.covariate_sum AS sc, s.covariate_square_sum AS scc, s.covariate_cross_sum AS sxc,
		   s.quantile_value, s.quantile_lower, s.quantile_upper, s.cap, p.theta, p.covariate_mean
	FROM defs d
	CROSS JOIN experiments.variants v
	LEFT JOIN s ON s.slice = d.slice AND s.metric_id IS NOT DISTINCT FROM d.metric_id AND s.metric = d.metric
				   AND s.ordinal = v.ordinal
	LEFT JOIN pooled p ON p.slice = d.slice AND p.metric_id = d.metric_id
	WHERE v.experiment_id = $1
), moments AS (
	SELECT c.*, c.sx / nullif(c.n, 0) AS mean,
		   CASE WHEN c.n > 1 THEN greatest((c.sxx - c.sx * c.sx / c.n) / (c.n - 1), 0) END AS var_x,
		   CASE WHEN c.n > 1 THEN greatest((c.syy - c.sy * c.sy / c.n) / (c.n - 1), 0) END AS var_y,
		   CASE WHEN c.n > 1 THEN (c.sxy - c.sx * c.sy / c.n) / (c.n - 1) END AS cov_xy,
		   CASE WHEN c.n > 1 THEN greatest((c.scc - c.sc * c.sc / c.n) / (c.n - 1), 0) END AS var_c,
		   CASE WHEN c.n > 1 THEN (c.sxc - c.sx * c.sc / c.n) / (c.n - 1) END AS cov_xc,
		   c.sx / nullif(c.sy, 0) AS ratio
	FROM cells c
), estimates AS (
	-- Per variant: the estimate, its interval, and for the comparisons its
	-- variance (ratio: delta method; quantile: from the order-statistic
	-- interval) or CUPED-adjusted mean and variance.
	SELECT mo.*,
		   mo.theta IS NOT NULL AS cuped,
		   CASE WHEN mo.theta IS NOT NULL THEN mo.mean - mo.theta * (mo.sc / nullif(mo.n, 0) - mo.covariate_mean) END AS adjusted_mean,
		   CASE WHEN mo.theta IS NOT NULL THEN greatest(mo.var_x - 2 * mo.theta * mo.cov_xc + mo.theta ^ 2 * mo.var_c, 0) END AS adjusted_var,
		   -- (the ratio's variance is never negative: a slice whose units all
		   -- have the same ratio gives 0, which rounding may leave below it)
		   CASE mo.type WHEN 'ratio' THEN greatest(mo.var_x - 2 * mo.ratio * mo.cov_xy + mo.ratio ^ 2 * mo.var_y, 0)
											/ nullif(mo.n * (mo.sy / mo.n) ^ 2, 0)
						WHEN 'quantile' THEN ((mo.quantile_upper - mo.quantile_lower)
											  / (2 * experiments.normal_quantile(1 - (1 - cfg.confidence) / 2))) ^ 2 END AS estimate_var,
		   CASE mo.type WHEN 'ratio' THEN mo.ratio WHEN 'quantile' THEN mo.quantile_value
						WHEN 'proportion' THEN mo.events / nullif(mo.n, 0)::float8 ELSE mo.mean END AS estimate
	FROM moments mo
	CROSS JOIN cfg
), pairs AS (
	-- Each variant beside its control, and the minimum-sample rule of
	-- experiment_results(): min_units units in both arms; for proportions
	-- without CUPED also 5 expected conversions and non-conversions per arm.
	SELECT e.*, c.n AS c_n, c.events AS c_events, c.estimate AS c_estimate, c.estimate_var AS c_estimate_var,
		   c.mean AS c_mean, c.var_x AS c_var_x, c.adjusted_mean AS c_adjusted_mean, c.adjusted_var AS c_adjusted_var,
		   CASE WHEN e.ordinal <> 0 THEN e.n >= $5 AND c.n >= $5
				AND (e.type <> 'proportion' OR e.cuped OR
					 least(e.n, c.n) * least(e.events + c.events, e.n + c.n - e.events - c.events)::float8
					 >= 5 * nullif(e.n + c.n, 0)) END AS sufficient
	FROM estimates e
	LEFT JOIN estimates c ON c.slice = e.slice AND c.metric_id IS NOT DISTINCT FROM e.metric_id AND c.metric = e.metric
							 AND c.ordinal = 0
), raw AS (
	-- The p-value of each comparison, from the test its interval comes from.
	SELECT p.*, t.p_value AS raw_p_value
	FROM pairs p
	CROSS JOIN cfg
	LEFT JOIN LATERAL experiments_internal.metric_comparison(cfg.method, p.type, p.cuped, p.c_events, p.c_n,
		CASE WHEN p.cuped THEN p.c_adjusted_mean ELSE p.c_mean END, CASE WHEN p.cuped THEN p.c_adjusted_var ELSE p.c_var_x END,
		p.events, p.n, CASE WHEN p.cuped THEN p.adjusted_mean ELSE p.mean END,
		CASE WHEN p.cuped THEN p.adjusted_var ELSE p.var_x END, p.c_estimate, p.c_estimate_var, p.estimate,
		p.estimate_var, cfg.confidence, cfg.tuning_n) t ON p.ordinal <> 0
), tests AS (
	-- The family corrected for multiple testing: every comparison with a
	-- p-value and a sufficient sample, across slices, variants and metrics.
	SELECT row_number() OVER (ORDER BY r.slice, r.metric_id NULLS LAST, r.metric, r.ordinal) AS member,
		   r.slice, r.metric_id, r.metric, r.ordinal, CASE WHEN r.sufficient THEN r.raw_p_value END AS p_value
	FROM raw r WHERE r.sufficient IS NOT NULL
), corrected AS (
	SELECT tests.slice, tests.metric_id, tests.metric, tests.ordinal, u.adjusted, u.level
	FROM (SELECT (experiments.multiple_testing(coalesce(array_agg(tests.p_value ORDER BY tests.member), '{}'),
											   (SELECT cfg.correction FROM cfg), (SELECT cfg.confidence FROM cfg))).*
		  FROM tests) f
	CROSS JOIN LATERAL unnest(f.adjusted_p_values, f.confidences) WITH ORDINALITY AS u(adjusted, level, member)
	JOIN tests ON tests.member = u.member
), compared AS (
	-- The comparisons at their corrected levels, by the same tests.
	SELECT r.*, k.adjusted, coalesce(k.level, cfg.confidence) AS level,
		   cmp.difference AS d, cmp.difference_lower AS d_lower, cmp.difference_upper AS d_upper,
		   cmp.relative_difference AS rel, cmp.relative_lower AS rel_lower, cmp.relative_upper AS rel_upper
	FROM raw r
	CROSS JOIN cfg
	LEFT JOIN corrected k ON k.slice = r.slice AND k.metric_id IS NOT DISTINCT FROM r.metric_id AND k.metric = r.metric
							 AND k.ordinal = r.ordinal
	LEFT JOIN LATERAL experiments_internal.metric_comparison(cfg.method, r.type, r.cuped, r.c_events, r.c_n,
		CASE WHEN r.cuped THEN r.c_adjusted_mean ELSE r.c_mean END, CASE WHEN r.cuped THEN r.c_adjusted_var ELSE r.c_var_x END,
		r.events, r.n, CASE WHEN r.cuped THEN r.adjusted_mean ELSE r.mean END,
		CASE WHEN r.cuped THEN r.adjusted_var ELSE r.var_x END, r.c_estimate, r.c_estimate_var, r.estimate,
		r.estimate_var, coalesce(k.level, cfg.confidence), cfg.tuning_n) cmp ON r.ordinal <> 0
)
SELECT $1, c.metric_id, c.metric, c.role, c.type, c.implicit, c.higher_is_better, c.margin, c.ordinal, c.variant,
	   c.n, c.events, c.estimate,
	   CASE c.type WHEN 'proportion' THEN w.lower
				   WHEN 'mean' THEN c.mean - experiments.student_t_quantile(1 - (1 - cfg.confidence) / 2, greatest(c.n - 1, 1)) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio - experiments.normal_quantile(1 - (1 - cfg.confidence) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_lower END,
	   CASE c.type WHEN 'proportion' THEN w.upper
				   WHEN 'mean' THEN c.mean + experiments.student_t_quantile(1 - (1 - cfg.confidence) / 2, greatest(c.n - 1, 1)) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio + experiments.normal_quantile(1 - (1 - cfg.confidence) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_upper END,
	   c.cap, c.cuped,
	   CASE WHEN c.cuped THEN c.adjusted_mean END,
	   CASE WHEN c.cuped THEN 1 - c.adjusted_var / nullif(c.var_x, 0) END,
	   c.d, c.d_lower, c.d_upper, c.rel, c.rel_lower, c.rel_upper,
	   c.raw_p_value, c.adjusted,
	   CASE WHEN c.d IS NOT NULL THEN c.level END,
	   CASE WHEN c.sufficient IS NOT NULL THEN cfg.correction END,
	   c.sufficient,
	   -- the verdict in the metric's good direction
	   experiments_internal.comparison_verdict(c.sufficient, c.adjusted, 1 - cfg.confidence,
											   CASE WHEN c.higher_is_better THEN c.d ELSE -c.d END),
	   CASE WHEN c.role = 'guardrail' AND c.ordinal <> 0
			THEN experiments_internal.guardrail_status(c.sufficient, c.margin, c.rel_lower, c.rel_upper, c.higher_is_better) END,
	   cfg.method, c.slice, c.slice_value
FROM compared c
CROSS JOIN cfg
CROSS JOIN LATERAL experiments.wilson_interval(CASE WHEN c.type = 'proportion' THEN c.events END, c.n, cfg.confidence) w
ORDER BY c.slice, c.role = 'guardrail' DESC, c.role = 'primary' DESC, c.implicit, c.metric_id, c.metric, c.ordinal
$$;
COMMENT ON FUNCTION experiments_internal.metric_comparisons(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, text, integer) IS
'The rows of metric_results() (breakdown NULL: one slice, 0) and of metric_breakdown() (per slice of metric_statistics(), each slice analysed on its own: its CUPED slope pooled over its variants, its minimum-sample rule), with the slice and its value; the comparisons of all slices, variants and metrics form one family for the correction. Ordered by slice, then as metric_results().';

CREATE FUNCTION experiments.metric_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT NULL,
	min_units bigint DEFAULT 100, correction text DEFAULT NULL, pre_period interval DEFAULT '14 days',
	method text DEFAULT NULL, tuning_n bigint DEFAULT NULL)
RETURNS TABLE (
	experiment_id bigint, metric_id bigint, metric text, role text, type text, implicit boolean,
	higher_is_better boolean, margin float8, ordinal integer, variant text,
	units bigint, event_units bigint, estimate float8, estimate_lower float8, estimate_upper float8, cap float8,
	cuped boolean, adjusted_estimate float8, variance_reduction float8,
	difference float8, difference_lower float8, difference_upper float8,
	relative_difference float8, relative_lower float8, relative_upper float8,
	p_value float8, adjusted_p_value float8, interval_confidence float8, p_value_correction text,
	sample_sufficient boolean, verdict text, guardrail text, method text)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT r.experiment_id, r.metric_id, r.metric, r.role, r.type, r.implicit, r.higher_is_better, r.margin,
		   r.ordinal, r.variant, r.units, r.event_units, r.estimate, r.estimate_lower, r.estimate_upper, r.cap,
		   r.cuped, r.adjusted_estimate, r.variance_reduction, r.difference, r.difference_lower, r.difference_upper,
		   r.relative_difference, r.relative_lower, r.relative_upper, r.p_value, r.adjusted_p_value,
		   r.interval_confidence, r.p_value_correction, r.sample_sufficient, r.verdict, r.guardrail, r.method
	FROM experiments_internal.metric_comparisons($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, 1) r
$$;
COMMENT ON FUNCTION experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint) IS
'Results of one experiment per metric and variant, over exposures in [since, until) (NULL: unbounded): the metrics attached to it (experiment_metrics, with their role, type, direction and guardrail margin) and, as implicit secondary proportion metrics, the goals no metric of the tenant reads (metric_statistics()). Per variant: units, units with events, the estimate (proportion: share of units with an event, Wilson interval; mean: value per exposed unit, t interval; ratio: numerator sum over denominator sum, delta-method normal interval; quantile: the quantile of the units with events, order-statistic interval) and the cap applied. Against the control (ordinal 0): the difference, relative difference, their intervals and p-value from one test: with CUPED (proportion and mean metrics when pre_period, default 14 days, gives a covariate with variance: the mean adjusted by theta times the covariate''s deviation from its pooled mean, theta pooled over all variants; variance_reduction is 1 - adjusted variance / variance) Welch''s t on the adjusted means; otherwise the Miettinen-Nurminen score test (proportions), Welch''s t with Fieller''s relative interval (means), or a z test on the delta-method variances (ratios) or on the variances the order-statistic intervals imply (quantiles), relative by the delta method. The comparisons with min_units units in both arms (and for proportions without CUPED 5 expected conversions and non-conversions) form one family across variants and metrics, corrected by correction (holm, bh or none) as in experiment_results(); under method sequential every comparison is an always-valid confidence sequence instead (experiments_internal.metric_comparison(), tuned at tuning_n units), and the method column says which was used; confidence, correction, method and tuning_n left NULL come from the experiment''s analysis settings (experiment_analysis); verdicts in the metric''s good direction; guardrails pass or fail by their non-inferiority margin on the corrected relative interval. Rows come guardrails first, then primary, secondary and implicit metrics.';

CREATE FUNCTION experiments.metric_breakdown(experiment_id bigint, breakdown text,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT NULL,
	min_units bigint DEFAULT 100, correction text DEFAULT NULL, pre_period interval DEFAULT '14 days',
	method text DEFAULT NULL, tuning_n bigint DEFAULT NULL, max_slices integer DEFAULT 10)
RETURNS TABLE (
	experiment_id bigint, breakdown text, slice integer, slice_kind text, slice_value text,
	metric_id bigint, metric text, role text, type text, implicit boolean,
	higher_is_better boolean, margin float8, ordinal integer, variant text,
	units bigint, event_units bigint, estimate float8, estimate_lower float8, estimate_upper float8, cap float8,
	cuped boolean, adjusted_estimate float8, variance_reduction float8,
	difference float8, difference_lower float8, difference_upper float8,
	relative_difference float8, relative_lower float8, relative_upper float8,
	p_value float8, adjusted_p_value float8, interval_confidence float8, p_value_correction text,
	sample_sufficient boolean, verdict text, guardrail text, method text)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT r.experiment_id, $2, r.slice,
		   CASE WHEN r.slice = 0 THEN 'none' WHEN r.slice_value IS NULL THEN 'other' ELSE 'value' END,
		   r.slice_value, r.metric_id, r.metric, r.role, r.type, r.implicit, r.higher_is_better, r.margin,
		   r.ordinal, r.variant, r.units, r.event_units, r.estimate, r.estimate_lower, r.estimate_upper, r.cap,
		   r.cuped, r.adjusted_estimate, r.variance_reduction, r.difference, r.difference_lower, r.difference_upper,
		   r.relative_difference, r.relative_lower, r.relative_upper, r.p_value, r.adjusted_p_value,
		   r.interval_confidence, r.p_value_correction, r.sample_sufficient, r.verdict, r.guardrail, r.method
	FROM experiments_internal.metric_comparisons($1, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($2, ''), $11) r
$$;
COMMENT ON FUNCTION experiments.metric_breakdown(bigint, text, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, integer) IS
'metric_results() per slice of a unit attribute (breakdown, an attribute_events name): one row per slice, metric and variant. A unit''s value is the latest set at or before its first exposure (metric_statistics()); slice_kind value (slices 1 to n: the max_slices values, 1 to 100, with the most units, slice_value the value), none (slice 0: units without a value) or other (slice n + 1: the other values, together). Each slice is analysed as metric_results() analyses the experiment (its own CUPED slope, its own minimum-sample rule with min_units per arm, the method and its settings); the comparisons of all slices, variants and metrics form one family corrected by correction (holm, bh or none, named in p_value_correction); confidence, correction, method and tuning_n left NULL come from the experiment''s analysis settings. One read of the exposures, of the attribute and of each metric''s events, however many slices. SQLSTATE 22023 without an attribute (NULL or empty) and for max_slices outside 1 to 100.';

CREATE FUNCTION experiments_internal.metric_report(experiment_id bigint, since timestamptz, until timestamptz,
	confidence float8, min_units bigint, correction text, method text, tuning_n bigint,
	OUT failing text[], OUT lines text[])
RETURNS record
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	WITH r AS (
		SELECT r.*, first_value(r.variant) OVER (PARTITION BY r.metric_id, r.metric ORDER BY r.ordinal) AS control
		FROM experiments.metric_results($1, $2, $3, $4, $5, $6, method => $7, tuning_n => $8) r
	)
	SELECT coalesce(array_agg(format('  FAILING GUARDRAIL %s: %s %s against %s (%s CI %s to %s), margin %s',
					r.metric, r.variant, experiments_internal.format_percent(r.relative_difference, true), r.control,
					coalesce(round((r.interval_confidence * 100)::numeric, 2)::float8::text || '%', 'n/a'),
					experiments_internal.format_percent(r.relative_lower, true),
					experiments_internal.format_percent(r.relative_upper, true),
					experiments_internal.format_percent(CASE WHEN r.higher_is_better THEN -r.margin ELSE r.margin END, true))
				ORDER BY r.metric, r.ordinal)
				FILTER (WHERE r.guardrail = 'fail'), '{}'),
		   coalesce(array_agg(format('  [%s] %s', r.role, experiments_internal.results_verdict(
					r.variant, r.control, r.metric, r.verdict, r.relative_difference, r.relative_lower,
					r.relative_upper, r.adjusted_p_value, r.interval_confidence))
					|| CASE WHEN r.guardrail IS NOT NULL THEN '; guardrail ' || r.guardrail ELSE '' END
					|| CASE WHEN r.cuped THEN format('; CUPED, variance %s', experiments_internal.format_percent(-r.variance_reduction, true)) ELSE '' END
				ORDER BY r.role = 'guardrail' DESC, r.role = 'primary' DESC, r.metric, r.ordinal)
				FILTER (WHERE r.ordinal <> 0 AND NOT r.implicit), '{}')
	FROM r
$$;
COMMENT ON FUNCTION experiments_internal.metric_report(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint) IS
'The lines results_report() prints of the metrics attached to an experiment (metric_results()): failing, one line per guardrail that fails its non-inferiority margin in a treatment (printed first), and lines, each treatment''s verdict per metric with its role, guardrail status and CUPED variance change.';
