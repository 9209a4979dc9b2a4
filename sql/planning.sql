-- Planning: experiment_plan() on generated data with known counts, as the
-- README's analyst (a login role in experiments_analyst choosing its tenant
-- with a key) and refused to the application's role; bad input to the
-- planning functions. Their accuracy is sql/planning_accuracy.sql.
--
-- 5 days, 1,000 new units a day in each of two arms; 10% of control units
-- and 12% of treatment units check out. For relative_mde 0.1 (0.10 -> 0.11)
-- at alpha 0.05 and power 0.8, statsmodels (test/vectors/sequential_reference.py's
-- method: NormalIndPower with the unpooled variances) gives 14748.045020841915
-- units per arm, and a power of 0.37135205337898186 at the 5,000 units per arm
-- observed, so 14,749 units per arm, 15 days at 1,000 a day.
SELECT experiments.create_tenant('plan_main') AS tenant \gset
SELECT experiments.create_tenant('plan_other') AS other \gset
SELECT experiments.create_api_key(:'tenant', 'bi', 'analyst') AS analyst_key \gset
SELECT experiments.create_api_key(:'tenant', 'shop', 'client') AS client_key \gset
SELECT experiments.create_api_key(:'other', 'bi', 'analyst') AS other_analyst_key \gset
CREATE ROLE plan_bi LOGIN IN ROLE experiments_analyst;
CREATE ROLE plan_shop LOGIN IN ROLE experiments_client;
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('plan_button',
	'[{"key": "control", "allocation": 50}, {"key": "blue", "allocation": 50}]', start => true) \gset
CREATE TEMPORARY TABLE gen AS
SELECT g, 'p-' || g AS unit, g % 2 AS ordinal,
	   timestamptz '2026-04-01 00:00:00+00' + (g / 2000) * interval '1 day' + (g % 1000) * interval '1 minute' AS exposed_at,
	   CASE WHEN g % 2 = 0 THEN (g / 2) % 10 = 0 ELSE (g / 2) % 50 < 6 END AS converts
FROM generate_series(0, 9999) g;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, ordinal, 'user_id', unit, exposed_at, true, true, false, false, false, false FROM gen;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', unit, 'checkout', exposed_at + interval '1 hour', NULL FROM gen WHERE converts;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 't-' || g, 'order', unit, 4000 + (g % 17) * 250, 0, exposed_at + interval '2 hours', 'DESKTOP', 'https://shop.example/'
FROM gen WHERE converts;
RESET experiments.tenant;
SELECT ordinal, count(*) AS units, count(*) FILTER (WHERE converts) AS converting,
	   count(DISTINCT (exposed_at AT TIME ZONE 'UTC')::date) AS days
FROM gen GROUP BY ordinal ORDER BY ordinal;
-- Revenue per control unit (0 without a transaction), in plain SQL over the raw rows.
SELECT avg(v) AS revenue_mean, stddev_samp(v) AS revenue_sd
FROM (SELECT CASE WHEN converts THEN 4000 + (g % 17) * 250 ELSE 0 END::float8 AS v FROM gen WHERE ordinal = 0) x \gset

-- The analyst plans its tenant's experiment.
SET ROLE plan_bi;
BEGIN;
SELECT experiments.authenticate(:'analyst_key') IS NOT NULL AS authenticated;
SELECT kind, baseline = 0.1 AS baseline_ok, abs(standard_deviation - sqrt(0.09)) < 1e-15 AS sd_ok,
	   abs(absolute_mde - 0.01) < 1e-15 AS mde_ok, units_per_arm, days_observed, units_per_arm_per_day,
	   days_to_run, current_units_per_arm,
	   abs(current_power - 0.37135205337898186) <= 1e-9 * 0.37135205337898186 AS power_ok
FROM experiments.experiment_plan(:exp, 'checkout', 0.1);
-- Revenue per unit: mean and standard deviation over every control unit (0 without a transaction).
SELECT kind, abs(baseline - :revenue_mean) <= 1e-12 * :revenue_mean AS baseline_ok,
	   abs(standard_deviation - :revenue_sd) <= 1e-9 * :revenue_sd AS sd_ok,
	   units_per_arm > 0 AS planned, days_to_run > 0 AS days_planned
FROM experiments.experiment_plan(:exp, 'revenue', 0.05, 0.01, 0.9);
-- A goal never reached: no baseline to plan from.
SELECT kind, baseline, units_per_arm, days_to_run, current_units_per_arm
FROM experiments.experiment_plan(:exp, 'no_such_goal', 0.1);
COMMIT;

-- Another tenant's analyst sees no experiment to plan.
BEGIN;
SELECT experiments.authenticate(:'other_analyst_key') IS NOT NULL AS authenticated;
SELECT count(*) AS other_tenant_rows FROM experiments.experiment_plan(:exp, 'checkout', 0.1);
COMMIT;
RESET ROLE;

-- The application's role may not plan.
SET ROLE plan_shop;
BEGIN;
SELECT experiments.authenticate(:'client_key') IS NOT NULL AS authenticated;
SELECT * FROM experiments.experiment_plan(:exp, 'checkout', 0.1);
ROLLBACK;
SELECT experiments.rate_power(0.1, 0.11, 1000);
RESET ROLE;

-- Bad input: specific errors.
\set VERBOSITY terse
SET ROLE plan_bi;
BEGIN;
SELECT experiments.authenticate(:'analyst_key') IS NOT NULL AS authenticated;
SAVEPOINT s;
SELECT * FROM experiments.experiment_plan(:exp, 'checkout', 0);
ROLLBACK TO s;
SELECT * FROM experiments.experiment_plan(:exp, 'checkout', -1);
ROLLBACK TO s;
SELECT * FROM experiments.experiment_plan(:exp, 'checkout', 0.1, 1.5);
ROLLBACK TO s;
SELECT * FROM experiments.experiment_plan(:exp, 'checkout', 0.1, 0.05, 1);
ROLLBACK TO s;
-- a treatment rate above 1
SELECT * FROM experiments.experiment_plan(:exp, 'checkout', 10);
ROLLBACK TO s;
SELECT experiments.rate_power(0, 0.1, 100);
ROLLBACK TO s;
SELECT experiments.rate_power(0.1, 1.2, 100);
ROLLBACK TO s;
SELECT experiments.rate_power(0.1, 0.2, 0);
ROLLBACK TO s;
SELECT experiments.rate_mde(0.1, 'NaN');
ROLLBACK TO s;
SELECT experiments.rate_sample_size(0.1, 0.2, 0.05, 0);
ROLLBACK TO s;
SELECT experiments.mean_power(1, 0, 100);
ROLLBACK TO s;
SELECT experiments.mean_mde(-1, 100);
ROLLBACK TO s;
SELECT experiments.mean_mde(1, 'Infinity');
ROLLBACK TO s;
SELECT experiments.mean_sample_size(1, 1, 0);
ROLLBACK TO s;
-- No difference: infinitely many units; power at a difference of 0 is alpha.
SELECT experiments.mean_sample_size(0, 1) AS mean_units, experiments.rate_sample_size(0.2, 0.2) AS rate_units,
	   abs(experiments.mean_power(0, 1, 100, 0.05) - 0.05) < 1e-15 AS power_is_alpha;
COMMIT;
RESET ROLE;
\set VERBOSITY default

DROP ROLE plan_bi;
DROP ROLE plan_shop;
