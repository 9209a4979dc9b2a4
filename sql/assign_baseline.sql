-- The PL/pgSQL baseline of test/bench/assign.sh must be the same algorithm
-- as assign(), or the benchmark's ratio means nothing: over every decision
-- the baseline covers (all but reset intervals), both answer each unit with
-- the same row.
CREATE SCHEMA bench;
\set ECHO none
\i test/bench/assign_plpgsql.sql
\set ECHO all
-- Both run as an operator (regress_ops, a member of experiments_admin); the
-- application (regress_shop) enrols.
\i sql/helpers/logins.sql
GRANT USAGE ON SCHEMA bench TO regress_ops;
SELECT set_config('experiments.tenant', experiments.create_tenant('baseline')::text, false) IS NOT NULL AS tenant_set;
SET SESSION AUTHORIZATION regress_ops;

INSERT INTO experiments.layers (key, seed) VALUES ('page', 71);
INSERT INTO experiments.holdouts (key, seed, allocation_bp) VALUES ('global', 72, 700);
INSERT INTO experiments.experiments (key, traffic_seed, variant_seed, traffic_bp, audience, audience_strict) VALUES
	('plain', 1, 2, 6000, '{}', true),
	('strict', 3, 4, 10000, '{"attr": "country", "op": "eq", "value": "FR"}', true),
	('soft', 5, 6, 8000, '{"attr": "country", "op": "eq", "value": "FR"}', false),
	('overrides', 7, 8, 5000, '{}', true),
	('layered', 9, 10, 9000, '{}', true),
	('full_on', 11, 12, 7000, '{}', true),
	('paused', 13, 14, 10000, '{}', true);
-- (the suite runs as a superuser, whom row-level security does not filter)
CREATE TEMP VIEW mine AS
SELECT * FROM experiments.experiments WHERE tenant_id = experiments.current_tenant();
SELECT e.key, count(v.*) AS variants
FROM mine e
CROSS JOIN LATERAL experiments.set_variants(e.key,
	'[{"key": "a", "allocation": 10}, {"key": "b", "allocation": 20}, {"key": "c", "allocation": 70}]') v
GROUP BY e.key ORDER BY e.key;
UPDATE experiments.experiments SET layer_id = (SELECT id FROM experiments.layers WHERE key = 'page' AND tenant_id = experiments.current_tenant()),
	layer_lo = 2000, layer_hi = 6000 WHERE id IN (SELECT id FROM mine WHERE key = 'layered');
UPDATE experiments.experiments SET full_on_variant = 1 WHERE id IN (SELECT id FROM mine WHERE key = 'full_on');
UPDATE experiments.experiments SET state = 'running' WHERE id IN (SELECT id FROM mine WHERE key <> 'paused');
SELECT count(*) AS overrides FROM (
	SELECT experiments.set_override('overrides', 'unit-' || g, 'c', 'overridden') FROM generate_series(1, 40) g
	UNION ALL
	SELECT experiments.set_override('overrides', 'unit-' || g, 'a', 'custom') FROM generate_series(41, 80) g) o;
SET SESSION AUTHORIZATION regress_shop;
SELECT count(*) AS enrolled FROM (
	SELECT experiments.enrol('plain', 'unit-' || g) FROM generate_series(1, 30) g) e;
SET SESSION AUTHORIZATION regress_ops;

CREATE TEMP TABLE answers AS
SELECT e.key, g AS n,
	   experiments.assign(e.key, 'unit-' || g, a.attributes) AS extension,
	   bench.assign_plpgsql(e.key, 'unit-' || g, a.attributes) AS baseline
FROM mine e
CROSS JOIN generate_series(1, 3000) g
CROSS JOIN LATERAL (SELECT jsonb_build_object('country', CASE WHEN g % 3 = 0 THEN 'FR' ELSE 'DE' END) AS attributes) a;
SELECT key, count(*) AS units,
	   count(*) FILTER (WHERE extension IS DISTINCT FROM baseline) AS differ,
	   string_agg(DISTINCT (extension).reason::text, ',' ORDER BY (extension).reason::text) AS reasons
FROM answers GROUP BY key ORDER BY key;
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;
\i sql/helpers/drop_logins.sql
