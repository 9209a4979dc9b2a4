-- Sample ratio mismatch: 50/50 configured, 50.5/49.5 observed over 1,000,000
-- units is flagged (chi-square 100, p = 1.5e-23); 50.04/49.96 is not
-- (chi-square 0.64, p = 0.42); units in a variant allocated 0 are flagged.
-- The superuser writes the events (a fixture); an analyst (regress_bi) reads.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('results_srm') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS unfair FROM experiments.create_experiment('unfair',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true) \gset
SELECT id AS fair FROM experiments.create_experiment('fair',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true) \gset
SELECT id AS stray FROM experiments.create_experiment('stray',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}, {"key": "retired", "allocation": 0}]', start => true) \gset
-- The chi-square test: the fixed-horizon method (the sequential test is
-- sql/results_sequential.sql's).
SELECT key, a.method FROM unnest(ARRAY['unfair', 'fair', 'stray']) AS key, experiments.set_analysis(key, method => 'fixed') a;

INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT x.id, CASE WHEN g <= x.first_arm THEN 0 ELSE 1 END, 'user_id', 's-' || g,
	   timestamptz '2026-04-01 00:00:00+00' + experiments.bucket('s-' || g, 3) * interval '1 minute',
	   true, true, false, false, false, false
FROM (VALUES (:unfair, 505000, 1000000), (:fair, 500400, 1000000), (:stray, 500, 1000)) AS x(id, first_arm, n),
	 generate_series(1, x.n) g
UNION ALL
SELECT :stray, 2, 'user_id', 'late-' || g, '2026-04-02', true, true, false, false, false, false
FROM generate_series(1, 3) g;
SET SESSION AUTHORIZATION regress_bi;

SELECT experiment, units, units_per_variant, allocation_shares, round(chi_square::numeric, 6) AS chi_square,
	   p_value < 1e-22 AS p_below_1e_22, round(p_value::numeric, 6) AS p_value, stray_traffic, mismatch
FROM experiments.sample_ratio_mismatch ORDER BY experiment;
-- The p-values against mpmath (test/vectors/stats_reference.py):
-- chi-square 100 with 1 df -> 1.523970604832105e-23; 0.64 -> 0.4237107971667934.
SELECT experiment, abs(p_value - v.expected) <= 1e-9 * v.expected AS ok
FROM experiments.sample_ratio_mismatch
JOIN (VALUES ('unfair', 1.523970604832105e-23::float8), ('fair', 0.4237107971667934::float8)) AS v(experiment, expected) USING (experiment)
ORDER BY experiment;
SELECT experiments.results_report('unfair');
SELECT experiments.results_report('stray');
