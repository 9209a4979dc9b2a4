-- experiments: results. What the events mean: exposures per variant, goal
-- conversions and values, revenue, lift against the control with its
-- significance, sample ratio mismatch, daily series and a text report.
--
-- One pass: daily_metrics(), in C (src/results/results.c), reads an experiment's
-- exposures once into a hash table of its units (the variant of each unit's
-- first exposure), then the goals and transactions of those units at or
-- after that first exposure, and sums per metric, variant and day.
-- Everything else aggregates its rows. Time windows are parameters, so the
-- partitions outside the window are never read (sql/results_pruning.sql).
-- The views apply the functions to every started experiment of the caller's
-- tenant; with security_invoker they read the tables as the caller, under
-- row-level security (and name the tenant explicitly, so that administrators,
-- whom row-level security does not restrict, see one tenant too).

CREATE FUNCTION experiments.daily_metrics(experiment_id bigint, since timestamptz, until timestamptz)
RETURNS TABLE (kind text, metric text, ordinal integer, day date, units bigint,
			   value_sum float8, value_square_sum float8, first_at timestamptz, last_at timestamptz)
AS 'MODULE_PATHNAME', 'daily_metrics'
LANGUAGE C STABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp;
COMMENT ON FUNCTION experiments.daily_metrics(bigint, timestamptz, timestamptz) IS
'The building block of results, and the one function that reads event tables. Per UTC day: units first exposed to the experiment in [since, until) (kind exposures, in the variant of their first exposure, with first and last exposure), and units reaching a goal (kind goal) or with transactions (kind revenue, metric revenue) at or after their first exposure and before until, by day of the first such event, with the sum and sum of squares of the per-unit total of the goal property "value" or of the revenue in cents.';

CREATE FUNCTION experiments.experiment_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95)
RETURNS TABLE (
	experiment_id bigint, ordinal integer, variant text, kind text, metric text,
	units bigint, traffic_share float8, allocation_share float8,
	first_exposed_at timestamptz, last_exposed_at timestamptz,
	converting_units bigint, conversion_rate float8, rate_lower float8, rate_upper float8,
	value_sum float8, value_per_unit float8,
	rate_lift float8, rate_lift_lower float8, rate_lift_upper float8,
	rate_relative_lift float8, rate_relative_lower float8, rate_relative_upper float8, rate_p_value float8,
	value_lift float8, value_lift_lower float8, value_lift_upper float8,
	value_relative_lift float8, value_relative_lower float8, value_relative_upper float8, value_p_value float8,
	srm_chi_square float8, srm_p_value float8, srm_mismatch boolean, stray_traffic boolean)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH m AS MATERIALIZED (
	SELECT * FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity'))
), variant_units AS (
	SELECT v.ordinal, v.key, v.allocation_bp, coalesce(sum(m.units), 0)::bigint AS units,
		   min(m.first_at) AS first_at, max(m.last_at) AS last_at
	FROM experiments.variants v
	LEFT JOIN m ON m.kind = 'exposures' AND m.ordinal = v.ordinal
	WHERE v.experiment_id = $1
	GROUP BY v.ordinal, v.key, v.allocation_bp
), totals AS (
	SELECT sum(units) AS units, sum(allocation_bp) AS allocation,
		   array_agg(units ORDER BY ordinal) AS observed,
		   array_agg(allocation_bp::float8 ORDER BY ordinal) AS allocations,
		   coalesce(bool_or(allocation_bp = 0 AND units > 0), false) AS stray
	FROM variant_units
), srm AS (
	SELECT s.chi_square, s.p_value, t.stray
	FROM totals t
	CROSS JOIN LATERAL experiments.srm_test(CASE WHEN t.allocation > 0 THEN t.observed END, t.allocations) s
), metrics AS (
	SELECT m.kind, m.metric, m.ordinal, sum(m.units)::bigint AS converting, sum(m.value_sum) AS s1,
		   sum(m.value_square_sum) AS s2
	FROM m WHERE m.kind <> 'exposures'
	GROUP BY m.kind, m.metric, m.ordinal
), keys AS (
	SELECT 'exposures' AS kind, NULL::text AS metric
	UNION ALL
	SELECT DISTINCT metrics.kind, metrics.metric FROM metrics
), cells AS (
	-- Every variant for every metric; per-unit values average over all
	-- exposed units, with 0 for units without the goal.
	SELECT k.kind, k.metric, vu.ordinal, vu.key, vu.units, vu.allocation_bp, vu.first_at, vu.last_at,
		   CASE WHEN k.kind <> 'exposures' THEN coalesce(mt.converting, 0) END AS converting,
		   CASE WHEN bool_or(mt.s1 IS NOT NULL) OVER (PARTITION BY k.kind, k.metric)
				THEN coalesce(mt.s1, 0) END AS s1,
		   coalesce(mt.s2, 0) AS s2
	FROM keys k CROSS JOIN variant_units vu
	LEFT JOIN metrics mt ON mt.kind = k.kind AND mt.metric = k.metric AND mt.ordinal = vu.ordinal
), stats AS (
	SELECT c.*, c.s1 / nullif(c.units, 0) AS mean,
		   CASE WHEN c.units > 1 THEN greatest((c.s2 - c.s1 * c.s1 / c.units) / (c.units - 1), 0) END AS variance
	FROM cells c
)
SELECT $1, s.ordinal, s.key, s.kind, s.metric,
	   s.units, s.units / nullif(t.units, 0)::float8, s.allocation_bp / nullif(t.allocation, 0)::float8,
	   s.first_at, s.last_at,
	   s.converting, s.converting / nullif(s.units, 0)::float8, w.lower, w.upper,
	   s.s1, s.mean,
	   z.difference, z.difference_lower, z.difference_upper,
	   z.relative_difference, z.relative_lower, z.relative_upper, z.p_value,
	   welch.difference, welch.difference_lower, welch.difference_upper,
	   welch.relative_difference, welch.relative_lower, welch.relative_upper, welch.p_value,
	   srm.chi_square, srm.p_value, srm.p_value < 0.001 OR srm.stray, srm.stray
FROM stats s
CROSS JOIN totals t
CROSS JOIN srm
LEFT JOIN stats c ON c.kind = s.kind AND c.metric IS NOT DISTINCT FROM s.metric AND c.ordinal = 0
CROSS JOIN LATERAL experiments.wilson_interval(s.converting, s.units, $4) w
CROSS JOIN LATERAL experiments.two_proportion_test(
	CASE WHEN s.ordinal <> 0 THEN c.converting END, c.units, s.converting, s.units, $4) z
CROSS JOIN LATERAL experiments.welch_test(
	CASE WHEN s.ordinal <> 0 THEN c.mean END, c.variance, c.units, s.mean, s.variance, s.units, $4) welch
ORDER BY s.kind = 'exposures' DESC, s.kind, s.metric, s.ordinal
$$;
COMMENT ON FUNCTION experiments.experiment_results(bigint, timestamptz, timestamptz, float8) IS
'Full results of one experiment over exposures in [since, until) (NULL: unbounded), one row per variant and metric. kind exposures: units (first exposure counts once), traffic vs allocation share, first and last exposure. kind goal (per goal) and revenue (transactions): converting units, rate with Wilson interval, value sum and per exposed unit; for variants other than the control (ordinal 0), rate lift by two-proportion z-test and value lift by Welch t-test, absolute and relative, with intervals at the confidence level and p-values. Every row carries the experiment''s sample ratio mismatch test: chi-square against the configured allocation, flagged at p < 0.001 or when a variant allocated 0 has units (stray_traffic).';

CREATE FUNCTION experiments.daily_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE (day date, experiment_id bigint, ordinal integer, variant text, kind text, metric text,
			   new_units bigint, cumulative_units bigint,
			   new_converting_units bigint, cumulative_converting_units bigint,
			   cumulative_rate float8, value_sum float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH daily AS MATERIALIZED (
	SELECT m.day, m.kind, m.metric, m.ordinal, m.units AS n, m.value_sum AS v
	FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity')) m
), grid AS (
	SELECT d.day, k.kind, k.metric, v.ordinal, v.key
	FROM (SELECT DISTINCT daily.day FROM daily) d
	CROSS JOIN (SELECT DISTINCT daily.kind, daily.metric FROM daily) k
	CROSS JOIN experiments.variants v
	WHERE v.experiment_id = $1
)
SELECT g.day, $1, g.ordinal, g.key, g.kind, g.metric,
	   coalesce(e.n, 0), sum(coalesce(e.n, 0)) OVER w,
	   CASE WHEN g.kind <> 'exposures' THEN coalesce(c.n, 0) END,
	   CASE WHEN g.kind <> 'exposures' THEN sum(coalesce(c.n, 0)) OVER w END,
	   CASE WHEN g.kind <> 'exposures' THEN sum(coalesce(c.n, 0)) OVER w / nullif(sum(coalesce(e.n, 0)) OVER w, 0)::float8 END,
	   CASE WHEN g.kind <> 'exposures' THEN c.v END
FROM grid g
LEFT JOIN daily e ON e.kind = 'exposures' AND e.day = g.day AND e.ordinal = g.ordinal
LEFT JOIN daily c ON c.kind = g.kind AND c.metric IS NOT DISTINCT FROM g.metric AND c.day = g.day AND c.ordinal = g.ordinal
WINDOW w AS (PARTITION BY g.kind, g.metric, g.ordinal ORDER BY g.day)
ORDER BY g.kind = 'exposures' DESC, g.kind, g.metric, g.ordinal, g.day
$$;
COMMENT ON FUNCTION experiments.daily_results(bigint, timestamptz, timestamptz) IS
'Daily series (UTC days) of one experiment, per variant and metric: units first exposed that day and cumulatively, units first converting that day (at or after their exposure) and cumulatively, the cumulative conversion rate, and the day''s value sum.';

-- Views: the functions over every experiment the caller sees.

CREATE VIEW experiments.results WITH (security_invoker = true) AS
SELECT x.key AS experiment, r.*
FROM experiments.experiments x
CROSS JOIN LATERAL experiments.experiment_results(x.id) r
WHERE x.started_at IS NOT NULL AND x.tenant_id = (SELECT experiments.current_tenant());
COMMENT ON VIEW experiments.results IS
'experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';
COMMENT ON COLUMN experiments.results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.results.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments.results.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments.results.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments.results.first_exposed_at IS 'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments.results.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
COMMENT ON COLUMN experiments.results.converting_units IS
'Units of the variant that reached the goal (kind goal) or had a transaction (kind revenue) at or after their first exposure; 0 when none, NULL for kind exposures.';
COMMENT ON COLUMN experiments.results.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments.results.rate_lower IS
'Lower bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments.results.rate_upper IS
'Upper bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments.results.value_sum IS
'Sum over the converting units of each unit''s total of the numeric goal property value (kind goal) or of its revenue in cents (kind revenue), counting events at or after its first exposure. NULL for kind exposures and for a goal none of whose counted events carried a numeric value.';
COMMENT ON COLUMN experiments.results.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments.results.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments.results.rate_lift_lower IS
'Lower bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_lift_upper IS
'Upper bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.results.rate_relative_lower IS
'Lower bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_upper IS
'Upper bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_p_value IS
'Two-sided p-value of the two-proportion z-test (pooled standard error) of the variant''s rate against the control''s; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.results.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.results.value_lift_lower IS
'Lower bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_lift_upper IS
'Upper bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.results.value_relative_lower IS
'Lower bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_relative_upper IS
'Upper bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.srm_chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments.results.srm_p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.results.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments.results.stray_traffic IS 'true when a variant allocated 0 has exposed units.';

CREATE VIEW experiments.exposure_summary WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.ordinal, r.variant, r.units, r.traffic_share, r.allocation_share,
	   r.first_exposed_at, r.last_exposed_at
FROM experiments.results r
WHERE r.kind = 'exposures';
COMMENT ON VIEW experiments.exposure_summary IS
'Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';
COMMENT ON COLUMN experiments.exposure_summary.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.exposure_summary.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.exposure_summary.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.exposure_summary.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.exposure_summary.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments.exposure_summary.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments.exposure_summary.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments.exposure_summary.first_exposed_at IS
'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments.exposure_summary.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';

CREATE VIEW experiments.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, sum(r.units)::bigint AS units,
	   array_agg(r.units ORDER BY r.ordinal) AS units_per_variant,
	   array_agg(r.allocation_share ORDER BY r.ordinal) AS allocation_shares,
	   min(r.srm_chi_square) AS chi_square, min(r.srm_p_value) AS p_value,
	   bool_or(r.stray_traffic) AS stray_traffic, bool_or(r.srm_mismatch) AS mismatch
FROM experiments.results r
WHERE r.kind = 'exposures'
GROUP BY r.experiment, r.experiment_id;
COMMENT ON VIEW experiments.sample_ratio_mismatch IS
'Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value; mismatch when p < 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.units IS 'Units exposed to the experiment, all variants together (each unit once).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.units_per_variant IS
'Units exposed per variant (as units of exposure_summary), in ordinal order: the control first.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.allocation_shares IS
'Each variant''s allocation_share (its fraction of the total allocation), in ordinal order: the control first.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';

CREATE VIEW experiments.lift WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.kind, r.metric, r.ordinal, r.variant,
	   r.conversion_rate, r.rate_lift, r.rate_lift_lower, r.rate_lift_upper,
	   r.rate_relative_lift, r.rate_relative_lower, r.rate_relative_upper, r.rate_p_value,
	   r.value_per_unit, r.value_lift, r.value_lift_lower, r.value_lift_upper,
	   r.value_relative_lift, r.value_relative_lower, r.value_relative_upper, r.value_p_value,
	   r.srm_mismatch
FROM experiments.results r
WHERE r.kind <> 'exposures' AND r.ordinal <> 0;
COMMENT ON VIEW experiments.lift IS
'Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (two-proportion z-test) and of the value per exposed unit (Welch t-test), 95% intervals and two-sided p-values.';
COMMENT ON COLUMN experiments.lift.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.lift.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.lift.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.lift.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.lift.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.lift.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.lift.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift_lower IS
'Lower bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_lift_upper IS
'Upper bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.lift.rate_relative_lower IS
'Lower bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_upper IS
'Upper bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_p_value IS
'Two-sided p-value of the two-proportion z-test (pooled standard error) of the variant''s rate against the control''s; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.lift.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments.lift.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.lift.value_lift_lower IS
'Lower bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_lift_upper IS
'Upper bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.lift.value_relative_lower IS
'Lower bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_relative_upper IS
'Upper bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';

CREATE VIEW experiments.daily_results WITH (security_invoker = true) AS
SELECT x.key AS experiment, d.*
FROM experiments.experiments x
CROSS JOIN LATERAL experiments.daily_results(x.id) d
WHERE x.started_at IS NOT NULL AND x.tenant_id = (SELECT experiments.current_tenant());
COMMENT ON VIEW experiments.daily_results IS
'daily_results() of every started experiment of the caller''s tenant: per UTC day, variant and metric, new and cumulative exposed and converting units and the cumulative rate.';
COMMENT ON COLUMN experiments.daily_results.day IS
'The UTC day: of the units'' first exposure for new_units, of their first goal or transaction (at or after that exposure) for new_converting_units. Every day with a counted event has a row for every variant and metric.';
COMMENT ON COLUMN experiments.daily_results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.daily_results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.daily_results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.daily_results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.daily_results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.daily_results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.daily_results.new_units IS
'Units first exposed to the variant that day (each unit once, on the day of its first exposure); the same on the rows of every kind.';
COMMENT ON COLUMN experiments.daily_results.cumulative_units IS 'Units first exposed to the variant up to and including that day.';
COMMENT ON COLUMN experiments.daily_results.new_converting_units IS
'Units of the variant whose first goal (kind goal) or transaction (kind revenue) at or after their first exposure fell on that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments.daily_results.cumulative_converting_units IS
'new_converting_units summed up to and including that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments.daily_results.cumulative_rate IS
'cumulative_converting_units / cumulative_units, a fraction from 0 to 1; NULL for kind exposures and while the variant has no units.';
COMMENT ON COLUMN experiments.daily_results.value_sum IS
'Sum of the totals (goal property value, or revenue in cents) of the units first converting that day, each over all its counted events; NULL for kind exposures and when none of them has a value.';

-- The report.

CREATE FUNCTION experiments_internal.format_percent(fraction float8, signed boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN fraction IS NULL THEN 'n/a'
				ELSE CASE WHEN signed AND fraction >= 0 THEN '+' ELSE '' END ||
					 round((fraction * 100)::numeric, CASE WHEN abs(fraction) < 0.001 AND fraction <> 0 THEN 3 ELSE 1 END)::text || '%' END
$$;
COMMENT ON FUNCTION experiments_internal.format_percent(float8, boolean) IS
'A fraction as a percentage for reports (0.0213 -> 2.1%, with a sign when signed), n/a for NULL.';

CREATE FUNCTION experiments_internal.format_p_value(p float8)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN p IS NULL THEN 'p = n/a'
				WHEN p < 0.001 THEN 'p < 0.001'
				ELSE 'p = ' || round(p::numeric, 3)::text END
$$;
COMMENT ON FUNCTION experiments_internal.format_p_value(float8) IS
'A p-value for reports: p < 0.001 below a thousandth, otherwise three decimals.';

CREATE FUNCTION experiments_internal.results_verdict(variant text, control text, metric text,
	relative_lift float8, lower float8, upper float8, p_value float8, alpha float8, level text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT format('%s %s %s on %s: %s (%s CI %s to %s), %s',
		variant,
		CASE WHEN p_value IS NULL OR p_value >= alpha THEN 'is not significantly different from'
			 WHEN relative_lift > 0 THEN 'beats' ELSE 'loses to' END,
		control, metric,
		experiments_internal.format_percent(relative_lift, true), level,
		experiments_internal.format_percent(lower, true), experiments_internal.format_percent(upper, true),
		experiments_internal.format_p_value(p_value))
$$;
COMMENT ON FUNCTION experiments_internal.results_verdict(text, text, text, float8, float8, float8, float8, float8, text) IS
'One verdict line of results_report(): beats, loses to or is not significantly different from the control at significance alpha, with the relative lift, its interval and the p-value.';

CREATE FUNCTION experiments.results_report(experiment text,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	r record;
	control text;
	srm text;
	total bigint := 0;
	variant_lines text[] := '{}';
	metric_lines text[] := '{}';
	level text := round((confidence * 100)::numeric, 1)::float8::text || '%';
BEGIN
	SELECT * INTO x FROM experiments.experiments e
	WHERE e.key = results_report.experiment AND e.tenant_id = experiments_internal.required_tenant();
	IF NOT FOUND THEN
		RAISE EXCEPTION 'experiment "%" does not exist', experiments_internal.shown_input(results_report.experiment)
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'The caller''s tenant has no experiment with that key.',
				  HINT = 'List the tenant''s experiments in experiments.experiments.';
	END IF;
	-- Rows come exposures first, control first: one pass builds the report.
	FOR r IN SELECT * FROM experiments.experiment_results(x.id, since, until, confidence) LOOP
		IF r.kind = 'exposures' THEN
			total := total + r.units;
			IF r.ordinal = 0 THEN
				control := r.variant;
			END IF;
			srm := CASE WHEN r.stray_traffic THEN 'SAMPLE RATIO MISMATCH (units in a variant allocated 0%)'
						WHEN r.srm_mismatch THEN 'SAMPLE RATIO MISMATCH (' || experiments_internal.format_p_value(r.srm_p_value) || ')'
						WHEN r.srm_p_value IS NULL THEN 'SRM not testable'
						ELSE 'no SRM (' || experiments_internal.format_p_value(r.srm_p_value) || ')' END;
			variant_lines := variant_lines || format('  %s: %s units (%s of traffic, allocated %s)',
				r.variant, r.units, experiments_internal.format_percent(r.traffic_share),
				experiments_internal.format_percent(r.allocation_share));
		ELSIF r.ordinal = 0 THEN
			metric_lines := metric_lines || format('%s: %s %s',
				CASE r.kind WHEN 'revenue' THEN 'revenue (cents per unit)' ELSE r.metric END, r.variant,
				CASE r.kind WHEN 'revenue' THEN round(r.value_per_unit::numeric, 2)::text
					 ELSE format('%s (%s to %s)', experiments_internal.format_percent(r.conversion_rate),
								 experiments_internal.format_percent(r.rate_lower), experiments_internal.format_percent(r.rate_upper)) END);
		ELSE
			metric_lines := metric_lines || ('  ' || experiments_internal.results_verdict(
				r.variant, control, CASE r.kind WHEN 'revenue' THEN 'revenue per unit' ELSE r.metric END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lift ELSE r.rate_relative_lift END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lower ELSE r.rate_relative_lower END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_upper ELSE r.rate_relative_upper END,
				CASE r.kind WHEN 'revenue' THEN r.value_p_value ELSE r.rate_p_value END,
				1 - confidence, level) || '; ' || split_part(srm, ' (', 1));
		END IF;
	END LOOP;
	RETURN array_to_string(
		format('Experiment %s (%s): %s units exposed%s', x.key, x.state, total,
			   CASE WHEN since IS NULL AND until IS NULL THEN ''
					ELSE format(' in [%s, %s)', coalesce(since::text, '-infinity'), coalesce(until::text, 'infinity')) END)
		|| variant_lines || ('  ' || srm) || metric_lines, E'\n');
END;
$$;
COMMENT ON FUNCTION experiments.results_report(text, timestamptz, timestamptz, float8) IS
'One experiment''s results of the caller''s tenant as a short text report for psql: units per variant against allocation, sample ratio mismatch, each goal''s rate in the control, and a verdict in words for each variant, goal and revenue ("green beats control on checkout: +10.0% (95% CI +8.0% to +12.0%), p < 0.001; no SRM").';
