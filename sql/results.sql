-- Results on generated data with known counts: 200,000 units per arm,
-- exactly 10.0% (control) and 11.0% (green) converting on checkout.
-- Expected statistics come from an independent computation: plain SQL
-- formulas over the raw rows, and the statsmodels/scipy values of
-- test/vectors/comparisons_reference.py for the same counts (20000/200000 vs
-- 22000/200000: Miettinen-Nurminen z = 10.315571412550932,
-- p = 5.992377864255891e-25).
-- The superuser creates the tenants and writes the events (a fixture no
-- role writes directly); an analyst (regress_bi, a member of
-- experiments_analyst) reads the results.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('results_other') AS other \gset
SELECT experiments.create_tenant('results_main') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('checkout_button',
	'[{"key": "control", "allocation": 50}, {"key": "green", "allocation": 50}]', start => true) \gset
-- Read once, at its planned end: the operator chose the fixed-horizon tests
-- (the default is sequential, sql/analysis.sql).
SELECT method FROM experiments.set_analysis('checkout_button', method => 'fixed');

-- Units r-1 .. r-400000: even g in control, odd g in green; exposure times
-- spread by a hash over four days from 2026-03-01.
CREATE TEMPORARY TABLE gen AS
SELECT g, 'r-' || g AS unit, g % 2 AS ordinal,
	   timestamptz '2026-03-01 00:00:00+00' + experiments.bucket('r-' || g, 7) * interval '30 seconds' AS exposed_at,
	   CASE WHEN g % 2 = 0 THEN (g / 2) % 10 = 0 ELSE ((g - 1) / 2) % 100 < 11 END AS converts
FROM generate_series(1, 400000) g;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, ordinal, 'user_id', unit, exposed_at, true, true, false, false, false, false FROM gen
UNION ALL
-- every 7th unit is exposed again a day later: it still counts once
SELECT :exp, ordinal, 'user_id', unit, exposed_at + interval '1 day', true, true, false, false, false, false
FROM gen WHERE g % 7 = 0
UNION ALL
-- units 1..20 are later exposed to the other variant too: they count in the first
SELECT :exp, 1 - ordinal, 'user_id', unit, exposed_at + interval '2 hours', true, true, false, false, false, false
FROM gen WHERE g <= 20;

-- Goals: converters check out an hour after exposure, once or twice, with a value.
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', unit, 'checkout', exposed_at + interval '1 hour', jsonb_build_object('value', 1000 + (g % 7) * 100)
FROM gen WHERE converts
UNION ALL
SELECT 'user_id', unit, 'checkout', exposed_at + interval '3 hours', jsonb_build_object('value', 50)
FROM gen WHERE converts AND g % 5 = 0
UNION ALL
-- a conversion before exposure does not count: r-2 never converts after it
SELECT 'user_id', unit, 'checkout', exposed_at - interval '1 day', '{"value": 100000}' FROM gen WHERE g = 2
UNION ALL
-- nor does a goal only ever reached before exposure
SELECT 'user_id', unit, 'signup', exposed_at - interval '1 minute', NULL FROM gen WHERE g <= 1000
UNION ALL
-- nor a goal of another unit type
SELECT 'device_id', unit, 'checkout', exposed_at + interval '1 hour', NULL FROM gen WHERE g = 4;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 't-' || g, 'order', unit, 5000 + (g % 13) * 100, 0, exposed_at + interval '2 hours', 'DESKTOP', 'https://shop.example/'
FROM gen WHERE converts;

-- Another tenant's events for the same unit names do not count.
SET experiments.tenant = :'other';
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'r-' || g, 'checkout', '2026-03-10', '{"value": 1}' FROM generate_series(1, 400000, 2) g;
SET experiments.tenant = :'tenant';
ANALYZE experiments.exposures, experiments.goal_events, experiments.transactions;
GRANT SELECT ON pg_temp.gen TO regress_bi;  -- the generated units, for the checks below
SET SESSION AUTHORIZATION regress_bi;

-- Uncorrected (correction none), so that the intervals are the 95% ones
-- the references give; the report below shows the default (Holm).
CREATE TEMPORARY TABLE res AS SELECT * FROM experiments.experiment_results(:exp, correction => 'none');

-- Exposures: each unit counts once, in the variant of its first exposure.
SELECT ordinal, variant, units, traffic_share, allocation_share,
	   first_exposed_at = (SELECT min(exposed_at) FROM gen WHERE gen.ordinal = res.ordinal) AS first_ok,
	   last_exposed_at = (SELECT max(exposed_at) + interval '1 day' FROM gen WHERE gen.ordinal = res.ordinal AND g % 7 = 0) AS last_ok
FROM res WHERE kind = 'exposures' ORDER BY ordinal;

-- Conversions: exactly the generated converters; nothing before exposure.
SELECT kind, metric, ordinal, units, converting_units, conversion_rate
FROM res WHERE kind <> 'exposures' ORDER BY kind, metric, ordinal;

-- Wilson intervals against plain SQL formulas (z = 1.959963984540054), the
-- Miettinen-Nurminen score test and intervals against statsmodels and scipy
-- (test/vectors/comparisons_reference.py, case 20000/200000 vs 22000/200000),
-- to 1e-9 relative.
SELECT r.ordinal,
	   abs(r.rate_lower - f.lower) <= 1e-9 * f.lower AND abs(r.rate_upper - f.upper) <= 1e-9 * f.upper AS wilson_ok
FROM res r,
LATERAL (SELECT (p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n) AS lower,
				(p + z * z / (2 * n) + z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n) AS upper
		 FROM (SELECT r.converting_units::float8 / r.units AS p, r.units::float8 AS n, 1.959963984540054::float8 AS z) q) f
WHERE r.kind = 'goal' AND r.metric = 'checkout' ORDER BY r.ordinal;
SELECT rate_lift, round(rate_relative_lift::numeric, 12) AS relative_lift,
	   abs(rate_lift_lower - 0.008100419037171168) <= 1e-9 * 0.008100419037171168 AS lower_ok,
	   abs(rate_lift_upper - 0.011900026775717823) <= 1e-9 * 0.011900026775717823 AS upper_ok,
	   abs(rate_relative_lower - 0.08025019864935823) <= 1e-9 * 0.08025019864935823 AS relative_lower_ok,
	   abs(rate_p_value - 5.992377864255891e-25) <= 1e-9 * 5.992377864255891e-25 AS p_ok
FROM res WHERE kind = 'goal' AND metric = 'checkout' AND ordinal = 1;

-- Values per exposed unit (0 for non-converters) and Welch's test against
-- avg and var_samp over the per-unit sums, computed from the raw rows.
CREATE TEMPORARY TABLE per_unit AS
SELECT gen.ordinal, coalesce(v.value, 0) AS checkout_value, coalesce(t.revenue, 0) AS revenue
FROM gen
LEFT JOIN (SELECT unit, sum((properties ->> 'value')::float8) AS value FROM experiments.goal_events
		   WHERE goal = 'checkout' AND unit_type = 'user_id' AND tenant_id = :'tenant' AND NOT (unit = 'r-2')
		   GROUP BY unit) v USING (unit)
LEFT JOIN (SELECT visitor_id AS unit, sum(revenue)::float8 AS revenue FROM experiments.transactions GROUP BY visitor_id) t USING (unit);
WITH s AS (
	SELECT ordinal, avg(checkout_value) AS m1, var_samp(checkout_value) AS v1, sum(checkout_value) AS s1,
		   avg(revenue) AS m2, var_samp(revenue) AS v2, count(*) AS n
	FROM per_unit GROUP BY ordinal
), c AS (SELECT * FROM s WHERE ordinal = 0), g AS (SELECT * FROM s WHERE ordinal = 1)
SELECT r.kind, r.ordinal,
	   abs(r.value_sum - CASE r.kind WHEN 'goal' THEN x.s1 ELSE x.m2 * x.n END) <= 1e-9 * abs(x.s1) AS sum_ok,
	   abs(r.value_per_unit - CASE r.kind WHEN 'goal' THEN x.m1 ELSE x.m2 END) <= 1e-9 * x.m2 AS mean_ok,
	   r.ordinal = 0 OR abs(r.value_lift - w.difference) <= 1e-9 * abs(w.difference)
		   AND abs(r.value_p_value - w.p_value) <= 1e-9 * w.p_value
		   AND abs(r.value_lift_lower - w.difference_lower) <= 1e-9 * abs(w.difference_lower) AS welch_ok,
	   round(r.value_per_unit::numeric, 4) AS value_per_unit, round(r.value_p_value::numeric, 6) AS p_value
FROM res r
JOIN s x ON x.ordinal = r.ordinal
CROSS JOIN c CROSS JOIN g
CROSS JOIN LATERAL experiments.welch_test(
	CASE r.kind WHEN 'goal' THEN c.m1 ELSE c.m2 END, CASE r.kind WHEN 'goal' THEN c.v1 ELSE c.v2 END, c.n,
	CASE r.kind WHEN 'goal' THEN g.m1 ELSE g.m2 END, CASE r.kind WHEN 'goal' THEN g.v1 ELSE g.v2 END, g.n) w
WHERE r.kind <> 'exposures' AND r.metric <> 'signup'
ORDER BY r.kind, r.ordinal;
-- The Welch p-value above, checked on its own against the t distribution:
-- with df near 400,000 it is the normal two-sided tail of t.
SELECT abs(value_p_value - 2 * experiments.student_t_sf(abs(value_lift / ((value_lift_upper - value_lift) /
		   experiments.student_t_quantile(0.975, 399000))), 399000)) < 1e-6 AS welch_p_consistent
FROM res WHERE kind = 'revenue' AND ordinal = 1;

-- No sample ratio mismatch in a fair 200,000 / 200,000 split.
SELECT srm_chi_square, srm_p_value, srm_mismatch, stray_traffic FROM res WHERE kind = 'exposures' AND ordinal = 0;

-- The views show the same, scoped to the tenant.
SELECT experiment, ordinal, variant, units, traffic_share FROM experiments.exposure_summary ORDER BY ordinal;
SELECT experiment, metric, variant, round(rate_relative_lift::numeric, 6) AS relative_lift, rate_p_value < 1e-20 AS significant
FROM experiments.lift WHERE kind = 'goal' ORDER BY metric;
SELECT experiment, units, units_per_variant, mismatch FROM experiments.sample_ratio_mismatch;
-- Row-level security: the analyst sees its tenant's results only.
SELECT count(*) AS own_rows FROM experiments.results;
SELECT sum(units) AS own_units FROM experiments.daily_metrics(:exp, '-infinity', 'infinity') WHERE kind = 'exposures';
RESET SESSION AUTHORIZATION;
SET experiments.tenant = :'other';
SET SESSION AUTHORIZATION regress_bi;
SELECT count(*) AS other_tenant_rows FROM experiments.results;
SELECT sum(units) AS other_tenant_units FROM experiments.daily_metrics(:exp, '-infinity', 'infinity') WHERE kind = 'exposures';
RESET SESSION AUTHORIZATION;
SET experiments.tenant = :'tenant';
SET SESSION AUTHORIZATION regress_bi;

-- Daily series: cumulative counts end at the totals.
SELECT kind, metric, ordinal, count(*) AS days, sum(new_units) AS units,
	   max(cumulative_units) AS cumulative_units, max(cumulative_converting_units) AS converting,
	   round((array_agg(cumulative_rate ORDER BY day DESC))[1]::numeric, 6) AS final_rate
FROM experiments.daily_results(:exp) GROUP BY kind, metric, ordinal ORDER BY kind, metric, ordinal;
SELECT day, ordinal, new_units, cumulative_units FROM experiments.daily_results(:exp)
WHERE kind = 'exposures' ORDER BY ordinal, day;

-- A time window, March 1 (UTC): units first exposed in it, and their
-- conversions before its end, against a direct count over the raw rows.
SELECT kind, metric, ordinal, units, converting_units
FROM experiments.experiment_results(:exp, '2026-03-01 00:00+00', '2026-03-02 00:00+00')
ORDER BY kind, metric, ordinal;
WITH u AS (
	SELECT unit, min(exposed_at) AS first_at FROM experiments.exposures
	WHERE experiment_id = :exp AND exposed_at >= '2026-03-01 00:00+00' AND exposed_at < '2026-03-02 00:00+00'
	GROUP BY unit
)
SELECT (SELECT count(*) FROM u) AS units,
	   (SELECT count(DISTINCT u.unit) FROM u JOIN experiments.goal_events g
		  ON g.unit = u.unit AND g.achieved_at >= u.first_at AND g.achieved_at < '2026-03-02 00:00+00'
		WHERE g.tenant_id = :'tenant' AND g.unit_type = 'user_id' AND g.goal = 'checkout') AS converting;

-- The report.
SELECT experiments.results_report('checkout_button');
