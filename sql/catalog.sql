-- Catalog rules hold whoever writes: every invalid change fails with a
-- specific error and changes nothing. The superuser creates the tenant; an
-- operator (a member of experiments_admin) writes.
\i sql/helpers/logins.sql
SELECT set_config('experiments.tenant', experiments.create_tenant('catalog_rules')::text, false) IS NOT NULL AS tenant_set;
SET SESSION AUTHORIZATION regress_ops;
\set SHOW_CONTEXT never

SELECT regress.attempt($$INSERT INTO experiments.experiments (key) VALUES ('rules')$$);
SELECT count(*) FROM experiments.set_variants('rules', '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}]');
SELECT key, state, version, traffic_seed <> variant_seed AS independent_seeds FROM experiments.experiments WHERE key = 'rules';

-- Keys: 1 to 40 characters, unique per tenant.
SELECT regress.attempt($$INSERT INTO experiments.experiments (key) VALUES (repeat('k', 41))$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key) VALUES ('')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key) VALUES ('rules')$$);

-- Experiments are born drafts.
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, state) VALUES ('born-running', 'running')$$);

-- Dates: the end comes after the start.
SELECT regress.attempt($$UPDATE experiments.experiments SET starts_at = '2026-01-02', ends_at = '2026-01-01' WHERE key = 'rules'$$);

-- Allocations: anything but 100 percent or 10000 basis points is refused.
SELECT regress.attempt($$SELECT experiments.set_variants('rules', '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 40}]')$$);
SELECT regress.attempt($$SELECT experiments.set_variants('rules', '[{"key": "A", "allocation": 33.333}, {"key": "B", "allocation": 66.667}]')$$);
SELECT regress.attempt($$SELECT experiments.set_variants('rules', '[{"key": "A"}]')$$);
SELECT regress.attempt($$SELECT experiments.set_variants('rules', '[]')$$);
-- Percentages are converted to basis points.
SELECT key, ordinal, allocation_bp FROM experiments.set_variants('rules',
	'[{"key": "A", "allocation": 33.33}, {"key": "B", "allocation": 33.33}, {"key": "C", "allocation": 33.34}]') ORDER BY ordinal;
-- A variant keeps its ordinal: a new order, a variant left out before others
-- (which would move them), a key listed twice are refused, nothing changed.
SELECT regress.attempt($$SELECT experiments.set_variants('rules', '[{"key": "B", "allocation": 50}, {"key": "A", "allocation": 25}, {"key": "C", "allocation": 25}]')$$);
SELECT regress.attempt($$SELECT experiments.set_variants('rules', '[{"key": "A", "allocation": 50}, {"key": "C", "allocation": 50}]')$$);
SELECT regress.attempt($$SELECT experiments.set_variants('rules', '[{"key": "A", "allocation": 50}, {"key": "A", "allocation": 50}]')$$);
SELECT key, ordinal, allocation_bp FROM experiments.variants
WHERE experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'rules') ORDER BY ordinal;

-- A draft may hold any weights; starting it checks they sum to 10000 (at commit).
UPDATE experiments.variants SET allocation_bp = 1000 WHERE key = 'C';
SELECT regress.attempt($$UPDATE experiments.experiments SET state = 'running' WHERE key = 'rules'$$);
SELECT state FROM experiments.experiments WHERE key = 'rules';
-- Within one transaction, weight may move between variants.
UPDATE experiments.variants SET allocation_bp = 3334 WHERE key = 'C';
UPDATE experiments.experiments SET state = 'running' WHERE key = 'rules';
BEGIN;
UPDATE experiments.variants SET allocation_bp = 0 WHERE key = 'C';
UPDATE experiments.variants SET allocation_bp = 6667 WHERE key = 'B';
COMMIT;
SELECT key, allocation_bp FROM experiments.variants WHERE experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'rules') ORDER BY ordinal;
-- ... but a running experiment cannot end a transaction unbalanced, nor lose its variants.
SELECT regress.attempt($$UPDATE experiments.variants SET allocation_bp = 5000 WHERE key = 'B'$$);
SELECT regress.attempt($$DELETE FROM experiments.variants WHERE experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'rules')$$);
SELECT count(*) AS variants_left FROM experiments.variants WHERE experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'rules');
-- Nor may set_variants() remove one: a variant added later would take its
-- ordinal and the exposures stored under it. Allocation 0 stops it instead.
SELECT regress.attempt($$SELECT experiments.set_variants('rules', '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}]')$$);
SELECT count(*) FROM experiments.set_variants('rules', '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}, {"key": "C", "allocation": 0}]');

-- Before an experiment begins serving (started, its starts_at ahead), a
-- variant may still go, unless exposures are recorded under its ordinal
-- already (a client reporting them early, as the collector may): a variant
-- added later would take them over.
INSERT INTO experiments.experiments (key, starts_at) VALUES ('early', now() + interval '1 day');
SELECT count(*) FROM experiments.set_variants('early', '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}, {"key": "C", "allocation": 0}, {"key": "D", "allocation": 0}]');
UPDATE experiments.experiments SET state = 'running' WHERE key = 'early';
RESET SESSION AUTHORIZATION;
SET ROLE experiments_api_owner;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT id, 2, 'user_id', 'early-bird', now(), true, true, false, false, false, false
FROM experiments.experiments WHERE key = 'early';
RESET ROLE;
SET SESSION AUTHORIZATION regress_ops;
SELECT count(*) FROM experiments.set_variants('early', '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}, {"key": "C", "allocation": 0}]');
SELECT regress.attempt($$SELECT experiments.set_variants('early', '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}]')$$);
SELECT regress.attempt($$DELETE FROM experiments.variants WHERE key = 'C' AND experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'early')$$);
SELECT string_agg(key, ', ' ORDER BY ordinal) AS variants FROM experiments.variants
WHERE experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'early');

-- States: draft -> running <-> paused -> stopped, never back to draft.
SELECT regress.attempt($$UPDATE experiments.experiments SET state = 'draft' WHERE key = 'rules'$$);
UPDATE experiments.experiments SET state = 'paused' WHERE key = 'rules';
UPDATE experiments.experiments SET state = 'running' WHERE key = 'rules';
UPDATE experiments.experiments SET state = 'stopped' WHERE key = 'rules';
SELECT regress.attempt($$UPDATE experiments.experiments SET state = 'running' WHERE key = 'rules'$$);
SELECT regress.attempt($$UPDATE experiments.experiments SET state = 'draft' WHERE key = 'rules'$$);
SELECT state, started_at IS NOT NULL AS started FROM experiments.experiments WHERE key = 'rules';

-- Seeds and unit type are frozen once the experiment has started.
SELECT regress.attempt($$UPDATE experiments.experiments SET variant_seed = variant_seed + 1 WHERE key = 'rules'$$);
SELECT regress.attempt($$UPDATE experiments.experiments SET unit_type = 'device_id' WHERE key = 'rules'$$);

-- Every change is a new version; the enrolment flag is not a change.
INSERT INTO experiments.experiments (key) VALUES ('versions');
SELECT version FROM experiments.experiments WHERE key = 'versions';
UPDATE experiments.experiments SET description = 'one' WHERE key = 'versions';
SELECT count(*) FROM experiments.set_variants('versions', '[{"key": "A", "allocation": 100}]');
SELECT version FROM experiments.experiments WHERE key = 'versions';
UPDATE experiments.experiments SET has_enrolments = true WHERE key = 'versions';
SELECT version FROM experiments.experiments WHERE key = 'versions';

-- Layers: ranges of one layer never overlap (stopped experiments free theirs).
INSERT INTO experiments.layers (key) VALUES ('homepage');
INSERT INTO experiments.experiments (key, layer_id, layer_lo, layer_hi)
SELECT 'layer-a', id, 0, 5000 FROM experiments.layers WHERE key = 'homepage';
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, layer_id, layer_lo, layer_hi)
SELECT 'layer-b', id, 4999, 10000 FROM experiments.layers WHERE key = 'homepage'$$);
INSERT INTO experiments.experiments (key, layer_id, layer_lo, layer_hi)
SELECT 'layer-b', id, 5000, 10000 FROM experiments.layers WHERE key = 'homepage';
SELECT regress.attempt($$UPDATE experiments.experiments SET layer_lo = 2000 WHERE key = 'layer-b'$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, layer_id, layer_lo, layer_hi)
SELECT 'layer-c', id, 5000, 12000 FROM experiments.layers WHERE key = 'homepage'$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, layer_lo, layer_hi) VALUES ('layer-d', 0, 10)$$);
SELECT key, layer_lo, layer_hi FROM experiments.experiments WHERE layer_id IS NOT NULL AND tenant_id = experiments.current_tenant() ORDER BY key;

-- Overrides name one of the experiment's own variants.
SELECT regress.attempt($$SELECT experiments.set_override('rules', 'qa', 'Z')$$);
SELECT regress.attempt($$SELECT experiments.set_override('no-such-experiment', 'qa', 'A')$$);
SELECT regress.attempt($$INSERT INTO experiments.overrides (experiment_id, unit, ordinal)
VALUES ((SELECT id FROM experiments.experiments WHERE key = 'rules'), 'qa', 7)$$);
SELECT count(*) AS overrides FROM experiments.overrides WHERE tenant_id = experiments.current_tenant();

-- Audiences are validated when written.
SELECT regress.attempt($$UPDATE experiments.experiments SET audience = '{"attr": "country", "op": "in", "value": "FR"}' WHERE key = 'rules'$$);
SELECT regress.attempt($$UPDATE experiments.experiments SET audience = '[]' WHERE key = 'rules'$$);
SELECT regress.attempt($$UPDATE experiments.experiments SET audience = '{"and": []}' WHERE key = 'rules'$$);
SELECT regress.attempt($$UPDATE experiments.experiments SET audience = '{"attr": "v", "op": "regex", "value": "(unclosed"}' WHERE key = 'rules'$$);

-- Traffic is in basis points; a full-on variant must exist.
SELECT regress.attempt($$UPDATE experiments.experiments SET traffic_bp = 10001 WHERE key = 'rules'$$);
SELECT regress.attempt($$UPDATE experiments.experiments SET full_on_variant = 9 WHERE key = 'versions'$$);

-- Another tenant's objects cannot be referenced, even by id (the
-- tenant-scoped foreign keys refuse what row-level security would hide).
INSERT INTO experiments.goals (key, name) VALUES ('checkout', 'Reached checkout') RETURNING id AS goal \gset
RESET SESSION AUTHORIZATION;
SELECT set_config('experiments.tenant', experiments.create_tenant('catalog_intruder')::text, false) IS NOT NULL AS tenant_set;
SET SESSION AUTHORIZATION regress_ops;
SELECT regress.attempt(format($$INSERT INTO experiments.experiments (key, goal_id) VALUES ('sneaky', %L)$$, :'goal'));
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;
SET SESSION AUTHORIZATION regress_ops;
-- Without a tenant, nothing can be written.
\set VERBOSITY default
INSERT INTO experiments.experiments (key) VALUES ('orphan');
\i sql/helpers/drop_logins.sql
