-- The decision order of assignment, step by step, and its errors.
-- The superuser creates the tenants; an operator (regress_ops, a member of
-- experiments_admin) manages and assigns, the application (regress_shop, of
-- experiments_client) enrols.
\i sql/helpers/logins.sql
SELECT set_config('experiments.tenant', experiments.create_tenant('assign_steps')::text, false) IS NOT NULL AS tenant_set;
SET SESSION AUTHORIZATION regress_ops;
\set VERBOSITY default

-- Deterministic seeds make the answers below reproducible on any server.
INSERT INTO experiments.experiments (key, traffic_seed, variant_seed) VALUES ('steps', 11, 22);
SELECT count(*) FROM experiments.set_variants('steps',
	'[{"key": "control", "allocation": 50}, {"key": "treatment", "allocation": 50}]');

-- 1. not_running: a draft assigns nobody.
SELECT variant, assigned, eligible, reason FROM experiments.assign('steps', 'u1');
UPDATE experiments.experiments SET state = 'running' WHERE key = 'steps';

-- 9. hash: the ordinary case; the bucket matches bucket() with the variant seed.
SELECT a.variant, a.assigned, a.eligible, a.reason,
	   a.bucket = experiments.bucket('u1', 22) AS variant_bucket_ok
FROM experiments.assign('steps', 'u1') a;

-- 7. traffic: at 0% nobody is eligible.
UPDATE experiments.experiments SET traffic_bp = 0 WHERE key = 'steps';
SELECT variant, assigned, eligible, reason FROM experiments.assign('steps', 'u1');
UPDATE experiments.experiments SET traffic_bp = 10000 WHERE key = 'steps';

-- 2. override (overridden) beats everything after it, even zero traffic.
SELECT unit, ordinal, kind FROM experiments.set_override('steps', 'qa-1', 'treatment');
UPDATE experiments.experiments SET traffic_bp = 0 WHERE key = 'steps';
SELECT variant, assigned, eligible, overridden, custom, reason FROM experiments.assign('steps', 'qa-1');
UPDATE experiments.experiments SET traffic_bp = 10000 WHERE key = 'steps';

-- custom: replaces the hashed variant of an eligible unit, and only then.
SELECT unit, ordinal, kind FROM experiments.set_override('steps', 'vip-1', 'control', 'custom');
SELECT variant, assigned, eligible, overridden, custom, reason FROM experiments.assign('steps', 'vip-1');
UPDATE experiments.experiments SET traffic_bp = 0 WHERE key = 'steps';
SELECT variant, assigned, eligible, custom, reason FROM experiments.assign('steps', 'vip-1');
UPDATE experiments.experiments SET traffic_bp = 10000 WHERE key = 'steps';

-- 8. full_on: every eligible unit gets the rolled-out variant.
UPDATE experiments.experiments SET full_on_variant = 1 WHERE key = 'steps';
SELECT variant, assigned, eligible, full_on, reason, bucket FROM experiments.assign('steps', 'u2');
SELECT count(*) FILTER (WHERE variant = 'treatment') AS treatment, count(*) AS units
FROM (SELECT (experiments.assign('steps', 'unit-' || g)).variant FROM generate_series(1, 1000) g) s;
UPDATE experiments.experiments SET full_on_variant = NULL WHERE key = 'steps';

-- 4. audience, strict: no variant for a mismatch; soft: assigned and flagged.
UPDATE experiments.experiments SET audience = '{"attr": "country", "op": "eq", "value": "FR"}' WHERE key = 'steps';
SELECT variant, assigned, eligible, audience_mismatch, reason FROM experiments.assign('steps', 'u1', '{"country": "DE"}');
SELECT variant IS NOT NULL AS has_variant, audience_mismatch, reason FROM experiments.assign('steps', 'u1', '{"country": "FR"}');
SELECT variant IS NOT NULL AS has_variant, audience_mismatch, reason FROM experiments.assign('steps', 'u1');
UPDATE experiments.experiments SET audience_strict = false WHERE key = 'steps';
SELECT variant IS NOT NULL AS has_variant, assigned, audience_mismatch, reason FROM experiments.assign('steps', 'u1', '{"country": "DE"}');
UPDATE experiments.experiments SET audience = '{}', audience_strict = true WHERE key = 'steps';

-- 3. sticky: an enrolled unit keeps its variant when the weights move.
SET SESSION AUTHORIZATION regress_shop;
SELECT variant, reason FROM experiments.enrol('steps', 'u3');
SELECT variant, reason FROM experiments.enrol('steps', 'u3');
SET SESSION AUTHORIZATION regress_ops;
SELECT count(*) AS enrolment_rows FROM experiments.enrolments WHERE unit = 'u3';
UPDATE experiments.variants SET allocation_bp = CASE ordinal WHEN 0 THEN 10000 ELSE 0 END
WHERE experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'steps');
SELECT variant, assigned, eligible, reason FROM experiments.assign('steps', 'u3');
-- An unenrolled unit follows the new weights: everyone is in control now.
SELECT count(*) FILTER (WHERE variant = 'control') AS control, count(*) AS units
FROM (SELECT (experiments.assign('steps', 'fresh-' || g)).variant FROM generate_series(1, 1000) g) s;
-- Overrides still beat enrolments; units not assigned are not enrolled.
SET SESSION AUTHORIZATION regress_shop;
SELECT variant, reason FROM experiments.enrol('steps', 'qa-1');
SET SESSION AUTHORIZATION regress_ops;
UPDATE experiments.experiments SET traffic_bp = 0 WHERE key = 'steps';
SET SESSION AUTHORIZATION regress_shop;
SELECT variant, reason FROM experiments.enrol('steps', 'not-eligible');
SET SESSION AUTHORIZATION regress_ops;
SELECT count(*) AS enrolments_of_unassigned FROM experiments.enrolments WHERE unit IN ('qa-1', 'not-eligible');
UPDATE experiments.experiments SET traffic_bp = 10000 WHERE key = 'steps';

-- 5. layer: only units whose layer bucket is in the experiment's range
-- (an experiment without enrolments, dropped after).
INSERT INTO experiments.layers (key, seed) VALUES ('checkout', 33), ('side', 33);
INSERT INTO experiments.experiments (key, traffic_seed, variant_seed, layer_id, layer_lo, layer_hi)
SELECT 'layered', 11, 22, id, 0, 5000 FROM experiments.layers WHERE key = 'side';
SELECT count(*) FROM experiments.set_variants('layered',
	'[{"key": "control", "allocation": 50}, {"key": "treatment", "allocation": 50}]');
SELECT (experiments.set_state('layered', 'running')).state;
SELECT (experiments.bucket(u, 33) < 5000) AS in_range, (experiments.assign('layered', u)).reason
FROM (VALUES ('lay-1'), ('lay-2'), ('lay-3'), ('lay-4')) v(u) ORDER BY u;
DELETE FROM experiments.experiments WHERE key = 'layered';
-- 'steps' has enrolled units, enrolled whatever their layer bucket: it enters
-- a layer only with the whole range (a unit enrolled outside a part would
-- also be in the experiment taking the rest).
UPDATE experiments.experiments SET layer_id = (SELECT id FROM experiments.layers WHERE key = 'checkout'),
	layer_lo = 0, layer_hi = 5000 WHERE key = 'steps';
UPDATE experiments.experiments SET layer_id = (SELECT id FROM experiments.layers WHERE key = 'checkout'),
	layer_lo = 0, layer_hi = 10000 WHERE key = 'steps';

-- 6. holdout: held-out units are in no experiment of the tenant.
-- The experiment has enrolled units: it may not give up part of its range
-- (a unit enrolled there would also be in the experiment taking it over) nor
-- leave its layer.
UPDATE experiments.experiments SET layer_hi = 4000 WHERE key = 'steps';
UPDATE experiments.experiments SET layer_id = NULL, layer_lo = NULL, layer_hi = NULL WHERE key = 'steps';
INSERT INTO experiments.holdouts (key, seed, allocation_bp) VALUES ('global', 44, 1000);
SELECT count(*) FILTER (WHERE reason = 'holdout') AS held_out,
	   count(*) FILTER (WHERE reason = 'holdout' AND experiments.bucket(u, 44) >= 1000) AS wrongly_held,
	   count(*) FILTER (WHERE reason <> 'holdout' AND experiments.bucket(u, 44) < 1000) AS wrongly_kept
FROM (SELECT u, (experiments.assign('steps', u)).reason FROM (SELECT 'h-' || g AS u FROM generate_series(1, 10000) g) s) t;
DELETE FROM experiments.holdouts;

-- Schedules: outside [starts_at, ends_at) is not running; paused is not running.
UPDATE experiments.experiments SET starts_at = now() + interval '1 day' WHERE key = 'steps';
SELECT reason FROM experiments.assign('steps', 'u1');
UPDATE experiments.experiments SET starts_at = now() - interval '2 days', ends_at = now() - interval '1 day' WHERE key = 'steps';
SELECT reason FROM experiments.assign('steps', 'u1');
UPDATE experiments.experiments SET starts_at = NULL, ends_at = NULL, state = 'paused' WHERE key = 'steps';
SELECT reason FROM experiments.assign('steps', 'u1');
UPDATE experiments.experiments SET state = 'running' WHERE key = 'steps';

-- Reset intervals: a daily experiment re-draws variants each day, never traffic.
INSERT INTO experiments.experiments (key, traffic_seed, variant_seed, reset_interval, starts_at)
VALUES ('daily', 1, 2, '1d', now() - interval '3 days 1 hour');
SELECT count(*) FROM experiments.set_variants('daily', '[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]');
SELECT (experiments.set_state('daily', 'running')).state;
SELECT a.period, a.reason,
	   a.bucket = experiments.bucket('u1', 2) AS same_as_full_reset
FROM experiments.assign('daily', 'u1') a;
-- Enrolments belong to their period.
SET SESSION AUTHORIZATION regress_shop;
SELECT period, reason FROM experiments.enrol('daily', 'u1');
SET SESSION AUTHORIZATION regress_ops;
SELECT unit, period FROM experiments.enrolments WHERE experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'daily');

-- assign_all: every running experiment of the tenant, in key order.
SELECT experiment, reason FROM experiments.assign_all('u1');

-- Errors.
SELECT * FROM experiments.assign('no-such-experiment', 'u1');
SELECT experiments.assign('steps', NULL) IS NULL AS null_unit_gives_null;
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;
SET SESSION AUTHORIZATION regress_ops;
SELECT * FROM experiments.assign('steps', 'u1');
SELECT * FROM experiments.assign_all('u1');
-- A tenant sees only its own experiments.
RESET SESSION AUTHORIZATION;
SELECT set_config('experiments.tenant', experiments.create_tenant('assign_other')::text, false) IS NOT NULL AS tenant_set;
SET SESSION AUTHORIZATION regress_ops;
SELECT * FROM experiments.assign('steps', 'u1');
SELECT count(*) AS visible_experiments FROM experiments.assign_all('u1');
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;
