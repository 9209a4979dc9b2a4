-- Portable experiments: an operator (experiments_admin, not a superuser)
-- exports experiments of one tenant and imports them into another; every
-- unit gets the same answer from assign() in both (100,000 units each).
\set VERBOSITY default
SELECT experiments.create_tenant('portable-from') AS from_tenant \gset
SELECT experiments.create_tenant('portable-to') AS to_tenant \gset
SELECT experiments.create_api_key(:'from_tenant', 'ops', 'admin') AS from_key \gset
SELECT experiments.create_api_key(:'to_tenant', 'ops', 'admin') AS to_key \gset
CREATE ROLE regress_portable_ops NOLOGIN IN ROLE experiments_admin;
SET ROLE regress_portable_ops;

-- Three experiments: native with a layer range, a holdout, an audience and
-- an override; ABsmartly with derived seeds; GrowthBook with weights.
BEGIN;
SELECT experiments.authenticate(:'from_key') IS NOT NULL AS authenticated;
INSERT INTO experiments.layers (key) VALUES ('pt-layer');
INSERT INTO experiments.holdouts (key, allocation_bp, layer_id)
SELECT 'pt-holdout', 500, id FROM experiments.layers WHERE key = 'pt-layer';
INSERT INTO experiments.experiments (key, traffic_bp, audience, audience_strict, layer_id, layer_lo, layer_hi)
SELECT 'pt-native', 7000, '{"attr": "country", "op": "eq", "value": "FR"}', false, id, 1000, 9000
FROM experiments.layers WHERE key = 'pt-layer';
INSERT INTO experiments.experiments (key, hashing, traffic_bp) VALUES ('pt-absmartly', 'absmartly', 8000);
INSERT INTO experiments.experiments (key, hashing, hashing_options)
VALUES ('pt-growthbook', 'growthbook', '{"hashVersion": 2, "weights": [0.2, 0.3, 0.5]}');
SELECT count(*) FROM unnest(ARRAY['pt-native', 'pt-absmartly', 'pt-growthbook']) k, experiments.set_variants(k,
	'[{"key": "a", "allocation": 20}, {"key": "b", "allocation": 30}, {"key": "c", "allocation": 50}]');
SELECT unit, ordinal, kind FROM experiments.set_override('pt-native', 'qa-1', 'c');
UPDATE experiments.experiments SET state = 'running';
COMMIT;

BEGIN;
SELECT experiments.authenticate(:'from_key') IS NOT NULL AS authenticated;
CREATE TEMP TABLE exported AS
SELECT k AS key, experiments.export_experiment(k) AS definition FROM unnest(ARRAY['pt-native', 'pt-absmartly', 'pt-growthbook']) k;
CREATE TEMP TABLE answers AS
SELECT e.key, i, (experiments.assign(e.key, 'u' || i, jsonb_build_object('country', CASE WHEN i % 3 = 0 THEN 'US' ELSE 'FR' END))).*
FROM exported e, generate_series(1, 100000) i;
INSERT INTO answers SELECT 'pt-native', 0, (experiments.assign('pt-native', 'qa-1')).*;
COMMIT;
-- The native definition, as the format says.
SELECT jsonb_pretty(definition - 'traffic_seed'::text - 'variant_seed'::text || jsonb_build_object('layer',
	((definition -> 'layer') - 'seed'::text) || jsonb_build_object('holdouts',
		(SELECT jsonb_agg(h - 'seed'::text) FROM jsonb_array_elements(definition -> 'layer' -> 'holdouts') h))))
FROM exported WHERE key = 'pt-native';

-- Imported into the other tenant: the same answers for every unit.
BEGIN;
SELECT experiments.authenticate(:'to_key') IS NOT NULL AS authenticated;
SELECT e.key, x.state, x.hashing FROM exported e, experiments.import_experiment(e.definition) x ORDER BY 1;
COMMIT;
BEGIN;
SELECT experiments.authenticate(:'to_key') IS NOT NULL AS authenticated;
SELECT a.key, count(*) AS units,
	   count(*) FILTER (WHERE (b.variant, b.reason, b.bucket, b.overridden, b.audience_mismatch) IS DISTINCT FROM
							  (a.variant, a.reason, a.bucket, a.overridden, a.audience_mismatch)) AS disagreements,
	   count(DISTINCT a.reason) AS reasons
FROM answers a, experiments.assign(a.key, CASE WHEN a.i = 0 THEN 'qa-1' ELSE 'u' || a.i END,
	jsonb_build_object('country', CASE WHEN a.i % 3 = 0 THEN 'US' ELSE 'FR' END)) b
GROUP BY 1 ORDER BY 1;
-- Exported again, the definition is the same.
SELECT e.key, experiments.export_experiment(e.key) = e.definition AS same_definition FROM exported e ORDER BY 1;
COMMIT;

-- Refused: not a definition; a layer of the same key that hashes otherwise;
-- a key that exists. Nothing is left of a refused import.
BEGIN;
SELECT experiments.authenticate(:'to_key') IS NOT NULL AS authenticated;
SELECT regress.attempt($$SELECT experiments.import_experiment('{"key": "x"}')$$);
SELECT regress.attempt(format('SELECT experiments.import_experiment(%L)',
	(SELECT jsonb_set(jsonb_set(definition, '{key}', '"pt-native-2"'), '{layer,seed}', '1') FROM exported WHERE key = 'pt-native')));
SELECT regress.attempt(format('SELECT experiments.import_experiment(%L)', (SELECT definition FROM exported WHERE key = 'pt-absmartly')));
SELECT regress.attempt($$SELECT experiments.export_experiment('missing')$$);
SELECT count(*) AS experiments FROM experiments.experiments;
COMMIT;
RESET ROLE;
