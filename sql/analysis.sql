-- Each experiment's analysis settings (experiment_analysis, set_analysis()):
-- the views, results_report(), metric_results() and the results page use
-- them when the caller names no method, confidence or correction; an
-- argument still wins. Without settings the method is sequential, since
-- results are read while the experiment runs. Only operators set them, with
-- specific errors for bad values. The superuser writes the events (a
-- fixture); an operator (regress_ops) sets, an analyst (regress_bi) reads.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('analysis') AS tenant \gset
SELECT experiments.create_tenant('analysis_other') AS other \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('settings',
	'[{"key": "control", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true) \gset

-- 2,000 units, alternately control and b; goal buy: 10% of the control, 14%
-- of b, each with a value.
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, g % 2, 'user_id', 'a-' || g, timestamptz '2026-05-01 10:00+00' + (g % 7) * interval '1 day',
	   true, true, false, false, false, false
FROM generate_series(1, 2000) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'a-' || g, 'buy', timestamptz '2026-05-01 12:00+00' + (g % 7) * interval '1 day',
	   jsonb_build_object('value', 10 + (g * 13) % 17)
FROM generate_series(1, 2000) g WHERE (g * 37) % 100 < CASE g % 2 WHEN 0 THEN 10 ELSE 14 END;

\set VERBOSITY sqlstate
SET SESSION AUTHORIZATION regress_bi;
-- Without settings: no row in the catalog, and every output says sequential.
SELECT count(*) AS settings FROM experiments.experiment_analysis;
SELECT DISTINCT method FROM experiments.results WHERE experiment = 'settings';
SELECT DISTINCT method FROM experiments.lift WHERE experiment = 'settings';
SELECT method FROM experiments.sample_ratio_mismatch WHERE experiment = 'settings';
SELECT DISTINCT method, p_value_correction FROM experiments.metric_results(:exp) WHERE ordinal = 1;
SELECT split_part(experiments.results_report('settings'), E'\n', 5) AS report_method_line;
-- The view's rows are experiment_results() by the sequential method.
SELECT count(*) AS differing FROM (
	(SELECT * FROM experiments.results WHERE experiment = 'settings'
	 EXCEPT ALL
	 SELECT 'settings', * FROM experiments.experiment_results(:exp, method => 'sequential'))
	UNION ALL
	(SELECT 'settings', * FROM experiments.experiment_results(:exp, method => 'sequential')
	 EXCEPT ALL
	 SELECT * FROM experiments.results WHERE experiment = 'settings')) d;
-- Analysts read the settings but cannot set them.
SELECT experiments.set_analysis('settings', 'fixed');
RESET SESSION AUTHORIZATION;

SET experiments.tenant = :'tenant';
SET SESSION AUTHORIZATION regress_ops;
-- Bad values, each refused with its SQLSTATE, and nothing written.
SELECT experiments.set_analysis('settings', method => 'bayesian');
SELECT experiments.set_analysis('settings', correction => 'bonferroni');
SELECT experiments.set_analysis('settings', confidence => 1.5);
SELECT experiments.set_analysis('settings', confidence => 0);
SELECT experiments.set_analysis('settings', tuning_n => 0);
SELECT experiments.set_analysis('nonexistent', method => 'fixed');
SELECT count(*) AS settings FROM experiments.experiment_analysis;
-- The operator chooses the fixed method: the defaults of the rest show.
SELECT method, confidence, correction, tuning_n FROM experiments.set_analysis('settings', method => 'fixed');
-- A NULL argument keeps what is set.
SELECT method, confidence, correction, tuning_n FROM experiments.set_analysis('settings', confidence => 0.9, correction => 'bh');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_bi;
SELECT e.key, a.method, a.confidence, a.correction, a.tuning_n
FROM experiments.experiment_analysis a JOIN experiments.experiments e ON e.id = a.experiment_id;
-- The views, the report and metric_results() follow the settings.
SELECT DISTINCT method, p_value_correction, round(rate_interval_confidence::numeric, 6) AS rate_interval_confidence
FROM experiments.lift WHERE experiment = 'settings';
SELECT count(*) AS differing FROM (
	(SELECT * FROM experiments.results WHERE experiment = 'settings'
	 EXCEPT ALL
	 SELECT 'settings', * FROM experiments.experiment_results(:exp, confidence => 0.9, correction => 'bh', method => 'fixed'))
	UNION ALL
	(SELECT 'settings', * FROM experiments.experiment_results(:exp, confidence => 0.9, correction => 'bh', method => 'fixed')
	 EXCEPT ALL
	 SELECT * FROM experiments.results WHERE experiment = 'settings')) d;
SELECT DISTINCT method, p_value_correction FROM experiments.metric_results(:exp) WHERE ordinal = 1;
SELECT count(*) AS differing FROM (
	(SELECT * FROM experiments.metric_results(:exp)
	 EXCEPT ALL
	 SELECT * FROM experiments.metric_results(:exp, confidence => 0.9, correction => 'bh', method => 'fixed'))
	UNION ALL
	(SELECT * FROM experiments.metric_results(:exp, confidence => 0.9, correction => 'bh', method => 'fixed')
	 EXCEPT ALL
	 SELECT * FROM experiments.metric_results(:exp))) d;
SELECT experiments.results_report('settings');
-- An explicit argument wins over the settings.
SELECT DISTINCT method, p_value_correction FROM experiments.experiment_results(:exp, method => 'sequential', correction => 'none')
WHERE ordinal = 1 AND kind = 'goal';
SELECT DISTINCT method FROM experiments.metric_results(:exp, method => 'sequential') WHERE ordinal = 1;
SELECT split_part(experiments.results_report('settings', method => 'sequential', correction => 'holm'), E'\n', 5) AS report_method_line;
-- A bad explicit method is refused as before.
SELECT count(*) FROM experiments.experiment_results(:exp, method => 'bayesian');
RESET SESSION AUTHORIZATION;

-- Another tenant sees no settings, and cannot set the experiment's.
SET experiments.tenant = :'other';
SET SESSION AUTHORIZATION regress_ops;
SELECT count(*) AS settings FROM experiments.experiment_analysis;
SELECT experiments.set_analysis('settings', method => 'sequential');
RESET SESSION AUTHORIZATION;
SET experiments.tenant = :'tenant';
\set VERBOSITY default

-- A ratio metric by the sequential method against its closed form, computed
-- here from the raw events: spend per buy, sum(value) / count(buy) per arm,
-- its delta-method variance, and the asymptotic confidence sequence
-- (Waudby-Smith et al. 2021) with the normal mixture of confidence 0.95 tuned
-- at 5000 units, over the units of both arms, at the experiment's confidence
-- 0.9 (the p-value is the mixture's whatever the level); the relative
-- interval by the delta method at the same critical value.
INSERT INTO experiments.metrics (key, type, source, event, aggregation, property)
VALUES ('spend', 'mean', 'goal', 'buy', 'sum', 'value'), ('buys', 'mean', 'goal', 'buy', 'count', NULL);
INSERT INTO experiments.metrics (key, type, numerator_id, denominator_id)
SELECT 'spend_per_buy', 'ratio', n.id, d.id FROM experiments.metrics n, experiments.metrics d
WHERE n.key = 'spend' AND d.key = 'buys' AND n.tenant_id = :'tenant' AND d.tenant_id = :'tenant';
INSERT INTO experiments.experiment_metrics (experiment_id, metric_id)
SELECT :exp, id FROM experiments.metrics WHERE key = 'spend_per_buy' AND tenant_id = :'tenant';
SET SESSION AUTHORIZATION regress_bi;
WITH units AS (
	SELECT g % 2 AS arm, coalesce(sum((e.properties ->> 'value')::float8), 0) AS x, count(e.unit)::float8 AS y
	FROM generate_series(1, 2000) g
	LEFT JOIN experiments.goal_events e ON e.unit = 'a-' || g AND e.goal = 'buy' AND e.tenant_id = :'tenant'
	GROUP BY g
), arms AS (
	SELECT arm, count(*) AS n, sum(x) / sum(y) AS r,
		   (var_samp(x) - 2 * sum(x) / sum(y) * covar_samp(x, y) + (sum(x) / sum(y)) ^ 2 * var_samp(y))
			 / (count(*) * avg(y) ^ 2) AS v
	FROM units GROUP BY arm
), ref AS (
	SELECT t.r - c.r AS d, sqrt(t.v + c.v) AS se, t.r / c.r - 1 AS rel,
		   sqrt(t.v / c.r ^ 2 + t.r ^ 2 * c.v / c.r ^ 4) AS rel_se, (t.n + c.n) * m.rho2 AS nr2
	FROM arms c, arms t, (SELECT (-2 * ln(0.05) + ln(1 - 2 * ln(0.05))) / 5000 AS rho2) m
	WHERE c.arm = 0 AND t.arm = 1
), expected AS (
	SELECT d, se, rel, rel_se, sqrt(2 * (nr2 + 1) / nr2 * (0.5 * ln(nr2 + 1) - ln(0.1))) AS crit,
		   least(1, sqrt(nr2 + 1) * exp(-nr2 * (d / se) ^ 2 / (2 * (nr2 + 1)))) AS p
	FROM ref
)
SELECT r.method, abs(r.difference - e.d) <= 1e-9 * abs(e.d) AS difference_ok,
	   abs(r.difference_lower - (e.d - e.crit * e.se)) <= 1e-9 * abs(e.d - e.crit * e.se) AS lower_ok,
	   abs(r.difference_upper - (e.d + e.crit * e.se)) <= 1e-9 * abs(e.d + e.crit * e.se) AS upper_ok,
	   abs(r.relative_lower - (e.rel - e.crit * e.rel_se)) <= 1e-9 * abs(e.rel - e.crit * e.rel_se) AS relative_lower_ok,
	   abs(r.relative_upper - (e.rel + e.crit * e.rel_se)) <= 1e-9 * abs(e.rel + e.crit * e.rel_se) AS relative_upper_ok,
	   abs(r.p_value - e.p) <= 1e-9 * e.p AS p_value_ok, r.interval_confidence
FROM experiments.metric_results(:exp, method => 'sequential', correction => 'none') r, expected e
WHERE r.metric = 'spend_per_buy' AND r.ordinal = 1;
RESET SESSION AUTHORIZATION;

-- Settings go with their experiment.
DELETE FROM experiments.experiments WHERE id = :exp;
SELECT count(*) AS settings FROM experiments.experiment_analysis WHERE experiment_id = :exp;
\i sql/helpers/drop_logins.sql
