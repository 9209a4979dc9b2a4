-- The sequential method of experiment_results() and results_report(): every
-- number of a sequential comparison against test/vectors/sequential_reference.py,
-- which rebuilds the raw events below from the same formulas and computes
-- the results independently. GENERATED:
--   /usr/bin/python3 test/vectors/sequential_reference.py results > sql/results_sequential.sql
-- Data is written as the superuser; results are read as an analyst
-- (regress_bi, a member of experiments_analyst), as the README has users do.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('results_sequential') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('peeking',
	'[{"key": "control", "allocation": 50}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 25}]',
	start => true) \gset

-- Units q-1 .. q-2430: control, control, b, c by g % 4, and 30 more in the
-- control (a small sample ratio mismatch). Goal signup: 10% of the control
-- and of c, 15% of b. Goal spend: 30% of units, a value rising with the
-- ordinal, and a second value for every eighth unit of c.
CREATE TEMPORARY TABLE gen AS
SELECT g, 'q-' || g AS unit,
	   CASE WHEN g > 2400 OR g % 4 IN (0, 1) THEN 0 WHEN g % 4 = 2 THEN 1 ELSE 2 END AS ordinal,
	   timestamptz '2026-04-01 10:00+00' + (g % 5) * interval '1 day' AS exposed_at
FROM generate_series(1, 2430) g;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, ordinal, 'user_id', unit, exposed_at, true, true, false, false, false, false FROM gen;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', unit, 'signup', exposed_at + interval '1 hour', NULL
FROM gen WHERE (g * 37) % 100 < CASE ordinal WHEN 1 THEN 15 ELSE 10 END
UNION ALL
SELECT 'user_id', unit, 'spend', exposed_at + interval '2 hours', jsonb_build_object('value', 5 + (g * 7) % 23 + 4 * ordinal)
FROM gen WHERE (g * 11) % 10 < 3
UNION ALL
SELECT 'user_id', unit, 'spend', exposed_at + interval '3 hours', '{"value": 2}'
FROM gen WHERE (g * 11) % 10 < 3 AND g % 8 = 3;

SET SESSION AUTHORIZATION regress_bi;

-- experiment_results(..., method => 'sequential') against
-- test/vectors/sequential_reference.py results (the same raw events rebuilt in Python,
-- tuning_n 2000, Holm): every comparison's numbers within 1e-9 relative.
SELECT v.metric, v.ordinal, v.test,
	(CASE WHEN v.difference::float8 IN (0, 'Infinity') THEN (CASE v.test WHEN 'rate' THEN r.rate_lift ELSE r.value_lift END) = v.difference::float8 ELSE abs((CASE v.test WHEN 'rate' THEN r.rate_lift ELSE r.value_lift END) - v.difference::float8) <= 1e-9 * abs(v.difference::float8) END)
	AND (CASE WHEN v.lower::float8 IN (0, 'Infinity') THEN (CASE v.test WHEN 'rate' THEN r.rate_lift_lower ELSE r.value_lift_lower END) = v.lower::float8 ELSE abs((CASE v.test WHEN 'rate' THEN r.rate_lift_lower ELSE r.value_lift_lower END) - v.lower::float8) <= 1e-9 * abs(v.lower::float8) END)
	AND (CASE WHEN v.upper::float8 IN (0, 'Infinity') THEN (CASE v.test WHEN 'rate' THEN r.rate_lift_upper ELSE r.value_lift_upper END) = v.upper::float8 ELSE abs((CASE v.test WHEN 'rate' THEN r.rate_lift_upper ELSE r.value_lift_upper END) - v.upper::float8) <= 1e-9 * abs(v.upper::float8) END)
	AND (CASE WHEN v.relative::float8 IN (0, 'Infinity') THEN (CASE v.test WHEN 'rate' THEN r.rate_relative_lift ELSE r.value_relative_lift END) = v.relative::float8 ELSE abs((CASE v.test WHEN 'rate' THEN r.rate_relative_lift ELSE r.value_relative_lift END) - v.relative::float8) <= 1e-9 * abs(v.relative::float8) END)
	AND (CASE WHEN v.relative_lower::float8 IN (0, 'Infinity') THEN (CASE v.test WHEN 'rate' THEN r.rate_relative_lower ELSE r.value_relative_lower END) = v.relative_lower::float8 ELSE abs((CASE v.test WHEN 'rate' THEN r.rate_relative_lower ELSE r.value_relative_lower END) - v.relative_lower::float8) <= 1e-9 * abs(v.relative_lower::float8) END)
	AND (CASE WHEN v.relative_upper::float8 IN (0, 'Infinity') THEN (CASE v.test WHEN 'rate' THEN r.rate_relative_upper ELSE r.value_relative_upper END) = v.relative_upper::float8 ELSE abs((CASE v.test WHEN 'rate' THEN r.rate_relative_upper ELSE r.value_relative_upper END) - v.relative_upper::float8) <= 1e-9 * abs(v.relative_upper::float8) END)
	AND (CASE WHEN v.p_value::float8 IN (0, 'Infinity') THEN (CASE v.test WHEN 'rate' THEN r.rate_p_value ELSE r.value_p_value END) = v.p_value::float8 ELSE abs((CASE v.test WHEN 'rate' THEN r.rate_p_value ELSE r.value_p_value END) - v.p_value::float8) <= 1e-9 * abs(v.p_value::float8) END)
	AND (CASE WHEN v.adjusted::float8 IN (0, 'Infinity') THEN (CASE v.test WHEN 'rate' THEN r.rate_adjusted_p_value ELSE r.value_adjusted_p_value END) = v.adjusted::float8 ELSE abs((CASE v.test WHEN 'rate' THEN r.rate_adjusted_p_value ELSE r.value_adjusted_p_value END) - v.adjusted::float8) <= 1e-9 * abs(v.adjusted::float8) END)
	AND (CASE WHEN v.level::float8 IN (0, 'Infinity') THEN (CASE v.test WHEN 'rate' THEN r.rate_interval_confidence ELSE r.value_interval_confidence END) = v.level::float8 ELSE abs((CASE v.test WHEN 'rate' THEN r.rate_interval_confidence ELSE r.value_interval_confidence END) - v.level::float8) <= 1e-9 * abs(v.level::float8) END) AS ok,
	r.method, CASE v.test WHEN 'rate' THEN r.rate_verdict ELSE r.value_verdict END AS verdict
FROM (VALUES
	 ('signup', 1, 'rate', 0.04130081300813008::float8, -0.01892262258057636::float8, 0.10152424859683652::float8, 0.34794520547945207::float8, -0.14081053767944127::float8, 1.0420996119754409::float8, 0.2550307810796633::float8, 0.5100615621593266::float8, 0.9833333333333333::float8)
	,('signup', 2, 'rate', -0.038699186991869916::float8, -0.08806899146479082::float8, 0.010670617481050974::float8, -0.32602739726027397::float8, -0.6583810711277764::float8, 0.10902560827577618::float8, 0.12140031013886839::float8, 0.3642009304166052::float8, 0.9833333333333333::float8)
	,('spend', 1, 'rate', 0.1::float8, 0.01590567397851829::float8, 0.1840943260214817::float8, 0.3333333333333333::float8, 0.04885550515703416::float8, 0.6819624859291844::float8, 0.0013154259565695075::float8, 0.00526170382627803::float8, 0.9875::float8)
	,('spend', 1, 'value', 3.215650406504065::float8, 1.412785719459494::float8, 5.018515093548636::float8, 0.6709499575911789::float8, 0.2699935766664758::float8, 1.1803450529234278::float8, 2.427615856431172e-08::float8, 1.456569513858703e-07::float8, 0.9916666666666667::float8)
	,('spend', 2, 'rate', -0.1::float8, -0.17511126840404168::float8, -0.024888731595958336::float8, -0.3333333333333333::float8, -0.5415859841392366::float8, -0.09165578737982627::float8, 0.00012610972523802974::float8, 0.0006305486261901487::float8, 0.99::float8)
	,('spend', 2, 'value', 0.21565040650406503::float8, -1.4484477476692885::float8, 1.8797485606774185::float8, 0.04499575911789652::float8, -0.2823067058181266::float8, 0.4318409816089934::float8, 1.0::float8, 1.0::float8, 0.9833333333333333::float8)
) AS v(metric, ordinal, test, difference, lower, upper, relative, relative_lower, relative_upper, p_value, adjusted, level)
JOIN experiments.experiment_results(:exp, method => 'sequential', tuning_n => 2000) r
	ON r.metric = v.metric AND r.ordinal = v.ordinal
ORDER BY v.metric, v.ordinal, v.test;

-- The sequential SRM test of [1230, 600, 600] against 50/25/25 (mpmath).
SELECT r.ordinal, r.units, (CASE WHEN -3.0541008141542023::float8 IN (0, 'Infinity') THEN r.srm_log_bayes_factor = -3.0541008141542023::float8 ELSE abs(r.srm_log_bayes_factor - -3.0541008141542023::float8) <= 1e-9 * abs(-3.0541008141542023::float8) END) AND (CASE WHEN 1.0::float8 IN (0, 'Infinity') THEN r.srm_sequential_p_value = 1.0::float8 ELSE abs(r.srm_sequential_p_value - 1.0::float8) <= 1e-9 * abs(1.0::float8) END) AS ok, r.srm_mismatch
FROM experiments.experiment_results(:exp, method => 'sequential') r
WHERE r.kind = 'exposures' ORDER BY r.ordinal;

-- Under every correction, a sequential verdict never contradicts its
-- interval (absolute or relative).
SELECT c.correction, count(*) AS variant_rows,
	   count(*) FILTER (WHERE (r.rate_adjusted_p_value < 0.05) <> (r.rate_lift_lower > 0 OR r.rate_lift_upper < 0)
						   OR (r.value_adjusted_p_value < 0.05) <> (r.value_lift_lower > 0 OR r.value_lift_upper < 0)
						   OR (r.rate_adjusted_p_value < 0.05) <> (r.rate_relative_lower > 0 OR r.rate_relative_upper < 0)
						   OR (r.value_adjusted_p_value < 0.05) <> (r.value_relative_lower > 0 OR r.value_relative_upper < 0))
		   AS disagreements
FROM (VALUES ('holm'), ('bh'), ('none')) c(correction)
CROSS JOIN LATERAL experiments.experiment_results(:exp, correction => c.correction, method => 'sequential') r
WHERE r.ordinal <> 0 AND r.kind <> 'exposures'
GROUP BY c.correction ORDER BY c.correction;

-- The same data read by the fixed-horizon tests: narrower intervals, the
-- method said on every row.
SELECT f.metric, f.ordinal, f.method, s.method,
	   f.rate_lift_upper - f.rate_lift_lower < s.rate_lift_upper - s.rate_lift_lower AS fixed_narrower,
	   f.rate_verdict AS fixed_verdict, s.rate_verdict AS sequential_verdict
FROM experiments.experiment_results(:exp, method => 'fixed') f
JOIN experiments.experiment_results(:exp, method => 'sequential', tuning_n => 2000) s
	ON s.kind = f.kind AND s.metric = f.metric AND s.ordinal = f.ordinal
WHERE f.kind = 'goal' AND f.ordinal <> 0 ORDER BY f.metric, f.ordinal;

-- sequential_test at confidence 0.95 is sequential_interval with the
-- unpooled standard error and the units of both arms.
SELECT abs(t.difference_lower - i.lower) <= 1e-12 * abs(i.lower) AND abs(t.difference_upper - i.upper) <= 1e-12 * abs(i.upper)
	   AND abs(t.p_value - i.p_value) <= 1e-12 * i.p_value AS same
FROM experiments.sequential_test(0.10, 0.09, 5000, 0.115, 0.1018, 4000, 0.95, 3000) t
CROSS JOIN LATERAL experiments.sequential_interval(t.difference, sqrt(0.09 / 5000 + 0.1018 / 4000), 9000, 0.95, 3000) i;

-- The report says which method it used, and reads the sequential SRM test.
SELECT experiments.results_report('peeking', method => 'sequential', tuning_n => 2000);

-- The views: lift says the method (the experiment's, sequential without settings); the sample ratio
-- view gains the sequential test.
SELECT DISTINCT method FROM experiments.lift WHERE experiment = 'peeking';
SELECT units_per_variant, round(p_value::numeric, 6) AS p_value, round(log_bayes_factor::numeric, 6) AS log_bayes_factor,
	   round(sequential_p_value::numeric, 6) AS sequential_p_value, mismatch, method
FROM experiments.sample_ratio_mismatch WHERE experiment = 'peeking';

-- Bad input: an unknown method, a tuning size that is not positive.
SELECT count(*) FROM experiments.experiment_results(:exp, method => 'bayesian');
SELECT experiments.results_report('peeking', method => 'Sequential');
SELECT count(*) FROM experiments.experiment_results(:exp, method => 'sequential', tuning_n => 0);
RESET SESSION AUTHORIZATION;
\i sql/helpers/drop_logins.sql
