-- Statistical properties of assignment over many units. Tests run as a
-- superuser, who bypasses row-level security, so catalog queries name the tenant. Seeds are fixed, so
-- every count below is deterministic. Critical values of the chi-square
-- distribution at p = 0.001 come from standard tables (df 3: 16.266,
-- df 9: 27.877): a statistic below them means p > 0.001.
\i sql/helpers/logins.sql
SELECT set_config('experiments.tenant', experiments.create_tenant('assign_stats')::text, false) IS NOT NULL AS tenant_set;
-- (as an operator, regress_ops, a member of experiments_admin)
SET SESSION AUTHORIZATION regress_ops;
CREATE TEMP TABLE units AS SELECT 'unit-' || g AS unit FROM generate_series(1, 1000000) g;

INSERT INTO experiments.experiments (key, traffic_seed, variant_seed) VALUES
	('even', 101, 102), ('uneven', 201, 202);
SELECT count(*) FROM experiments.set_variants('even',
	'[{"key": "a", "allocation": 25}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 25}, {"key": "d", "allocation": 25}]');
SELECT count(*) FROM experiments.set_variants('uneven',
	'[{"key": "a", "allocation": 10}, {"key": "b", "allocation": 20}, {"key": "c", "allocation": 30}, {"key": "d", "allocation": 40}]');
UPDATE experiments.experiments SET state = 'running' WHERE key IN ('even', 'uneven');

CREATE TEMP TABLE answers AS
SELECT unit, (experiments.assign('even', unit)).ordinal AS even, (experiments.assign('uneven', unit)).ordinal AS uneven
FROM units;

-- Uniformity: each split lands within 0.3 percentage points of its target,
-- and a goodness-of-fit chi-square test does not reject it.
WITH observed AS (
	SELECT 'even' AS experiment, even AS ordinal, count(*) AS n FROM answers GROUP BY even
	UNION ALL
	SELECT 'uneven', uneven, count(*) FROM answers GROUP BY uneven),
target AS (
	SELECT o.*, v.allocation_bp / 10000.0 AS share, 1000000 * v.allocation_bp / 10000.0 AS expected
	FROM observed o
	JOIN experiments.experiments e ON e.key = o.experiment AND e.tenant_id = experiments.current_tenant()
	JOIN experiments.variants v ON v.experiment_id = e.id AND v.ordinal = o.ordinal)
SELECT experiment, ordinal, n, round(100 * share, 1) AS target_pct, round(n / 10000.0, 2) AS observed_pct,
	   abs(n / 10000.0 - 100 * share) < 0.3 AS within_0_3_pp
FROM target ORDER BY experiment, ordinal;

WITH observed AS (
	SELECT 'even' AS experiment, even AS ordinal, count(*) AS n FROM answers GROUP BY even
	UNION ALL
	SELECT 'uneven', uneven, count(*) FROM answers GROUP BY uneven)
SELECT o.experiment, round(sum((o.n - 100.0 * v.allocation_bp) ^ 2 / (100.0 * v.allocation_bp)), 3) AS chi_square,
	   sum((o.n - 100.0 * v.allocation_bp) ^ 2 / (100.0 * v.allocation_bp)) < 16.266 AS p_above_0_001
FROM observed o
JOIN experiments.experiments e ON e.key = o.experiment AND e.tenant_id = experiments.current_tenant()
JOIN experiments.variants v ON v.experiment_id = e.id AND v.ordinal = o.ordinal
GROUP BY o.experiment ORDER BY 1;

-- Independence: the two experiments' variants are independent (4 x 4
-- contingency table, 9 degrees of freedom).
WITH cells AS (SELECT even, uneven, count(*) AS n FROM answers GROUP BY 1, 2),
rows AS (SELECT even, sum(n) AS n FROM cells GROUP BY 1),
cols AS (SELECT uneven, sum(n) AS n FROM cells GROUP BY 1),
stat AS (
	SELECT sum((c.n - r.n * k.n / 1000000.0) ^ 2 / (r.n * k.n / 1000000.0)) AS chi_square, count(*) AS cells
	FROM cells c JOIN rows r USING (even) JOIN cols k USING (uneven))
SELECT cells, round(chi_square, 3) AS chi_square, chi_square < 27.877 AS p_above_0_001 FROM stat;

-- Ramp: raising traffic from 10% to 50% keeps every unit that was eligible,
-- in the same variant; lowering it back restores the original set exactly.
INSERT INTO experiments.experiments (key, traffic_seed, variant_seed, traffic_bp) VALUES ('ramp', 301, 302, 1000);
SELECT count(*) FROM experiments.set_variants('ramp', '[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]');
UPDATE experiments.experiments SET state = 'running' WHERE key = 'ramp';
CREATE TEMP TABLE at10 AS SELECT unit, (experiments.assign('ramp', unit)).variant FROM units;
UPDATE experiments.experiments SET traffic_bp = 5000 WHERE key = 'ramp';
CREATE TEMP TABLE at50 AS SELECT unit, (experiments.assign('ramp', unit)).variant FROM units;
UPDATE experiments.experiments SET traffic_bp = 1000 WHERE key = 'ramp';
CREATE TEMP TABLE back10 AS SELECT unit, (experiments.assign('ramp', unit)).variant FROM units;
SELECT (SELECT count(*) FROM at10 WHERE variant IS NOT NULL) AS eligible_at_10,
	   (SELECT count(*) FROM at50 WHERE variant IS NOT NULL) AS eligible_at_50,
	   (SELECT count(*) FROM at10 JOIN at50 USING (unit)
		WHERE at10.variant IS NOT NULL AND at50.variant IS DISTINCT FROM at10.variant) AS moved_or_lost,
	   (SELECT count(*) FROM at10 JOIN back10 USING (unit)
		WHERE at10.variant IS DISTINCT FROM back10.variant) AS differ_after_ramp_down;

-- Layers: three experiments share a layer; no unit is ever in two of them. A
-- tenant-wide holdout keeps its units out of every experiment.
INSERT INTO experiments.layers (key, seed) VALUES ('page', 401);
INSERT INTO experiments.experiments (key, traffic_seed, variant_seed, layer_id, layer_lo, layer_hi)
SELECT 'layer-' || n, 410 + n, 420 + n, l.id, lo, hi
FROM experiments.layers l, (VALUES (1, 0, 3000), (2, 3000, 6000), (3, 6000, 10000)) r(n, lo, hi)
WHERE l.key = 'page' AND l.tenant_id = experiments.current_tenant();
SELECT count(*) FROM generate_series(1, 3) n, experiments.set_variants('layer-' || n, '[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]');
UPDATE experiments.experiments SET state = 'running' WHERE key LIKE 'layer-%' AND tenant_id = experiments.current_tenant();
INSERT INTO experiments.holdouts (key, seed, allocation_bp) VALUES ('global', 501, 500);
CREATE TEMP TABLE layered AS
SELECT unit, a.experiment, a.variant, a.reason
FROM (SELECT unit FROM units LIMIT 200000) u, experiments.assign_all(u.unit) a
WHERE a.experiment LIKE 'layer-%';
SELECT count(DISTINCT unit) AS units,
	   count(*) FILTER (WHERE variant IS NOT NULL) AS assignments,
	   (SELECT count(*) FROM (SELECT unit FROM layered WHERE variant IS NOT NULL GROUP BY unit HAVING count(*) > 1) s) AS units_in_two,
	   count(*) FILTER (WHERE variant IS NOT NULL AND experiments.bucket(unit, 501) < 500) AS held_out_but_assigned,
	   count(DISTINCT unit) FILTER (WHERE reason = 'holdout') AS held_out_units
FROM layered;
-- Everyone outside the holdout is in exactly one experiment of the layer.
SELECT count(*) AS units_in_no_experiment
FROM (SELECT unit FROM layered GROUP BY unit HAVING count(variant) = 0 AND bool_and(reason <> 'holdout')) s;
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;
\i sql/helpers/drop_logins.sql
