-- GrowthBook mode: experiments whose hashing is 'growthbook', as an operator
-- (experiments_admin) and an application (experiments_client) use them,
-- neither a superuser. GrowthBook's own suite runs in
-- test/scripts/growthbook_conformance.sh; this test covers what the suite
-- cannot: the checks on write, and how the mode fits the catalog's steps.
\set VERBOSITY default
SELECT experiments.create_tenant('growthbook') AS tenant \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin') AS admin_key \gset
SELECT experiments.create_api_key(:'tenant', 'app', 'client') AS client_key \gset
CREATE ROLE regress_gb_ops NOLOGIN IN ROLE experiments_admin;
CREATE ROLE regress_gb_app NOLOGIN IN ROLE experiments_client;
SET ROLE regress_gb_ops;

-- 1. Bad settings are refused when written, each with its own message.
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"hashVersion": 3}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"weights": [0.5, 0.6]}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"condition": {"age": {"$gtt": 3}}}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"condition": {"$or": {"country": "FR"}}}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"condition": {"name": {"$regex": "(unclosed"}}}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"condition": {"id": {"$inGroup": "staff"}}}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"coverage": 1.5}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"namespace": ["ns", 0.5, 0.2]}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"filters": [{"seed": "s"}]}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'growthbook', '{"hashattribute": "companyId"}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'xxh3', '{"seed": "s"}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing)
	VALUES ('bad', 'murmur')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, reset_interval)
	VALUES ('bad', 'growthbook', '1d')$$);
COMMIT;

-- Weights and ranges give one entry per variant: checked when the experiment
-- runs, at commit, as allocations are.
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
INSERT INTO experiments.experiments (key, hashing, hashing_options)
VALUES ('three-weights', 'growthbook', '{"weights": [0.2, 0.3, 0.5]}');
SELECT count(*) FROM experiments.set_variants('three-weights',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]');
SELECT regress.attempt($$UPDATE experiments.experiments SET state = 'running' WHERE key = 'three-weights'$$);
COMMIT;

-- 2. A GrowthBook experiment in the catalog: two variants of 50%, nothing
-- else given, so weights come from the allocations, coverage from traffic,
-- the seed from the key and hash version 1, as the SDK's defaults.
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
INSERT INTO experiments.experiments (key, hashing) VALUES ('gb-checkout', 'growthbook');
SELECT count(*) FROM experiments.set_variants('gb-checkout',
	'[{"key": "control", "allocation": 50}, {"key": "green", "allocation": 50}]');
UPDATE experiments.experiments SET state = 'running' WHERE key = 'gb-checkout';
COMMIT;

BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
-- Every unit gets what GrowthBook's functions give it, with the bucket.
SELECT count(*) AS units,
	   count(*) FILTER (WHERE a.ordinal IS DISTINCT FROM experiments.growthbook_choose_variation(
			experiments.growthbook_hash('gb-checkout', 'u' || i, 1),
			experiments.growthbook_bucket_ranges(2, 1, '{0.5,0.5}'))) AS disagreements,
	   count(*) FILTER (WHERE a.bucket <> round(experiments.growthbook_hash('gb-checkout', 'u' || i, 1) * 10000)) AS bucket_disagreements,
	   count(*) FILTER (WHERE a.reason <> 'hash') AS not_hashed
FROM generate_series(1, 2000) i, experiments.assign('gb-checkout', 'u' || i) a;
-- The same from assign_all().
SELECT experiment, variant, reason, bucket FROM experiments.assign_all('u1') WHERE experiment = 'gb-checkout';
-- GrowthBook hashes UTF-16 code units (the JavaScript SDK's charCodeAt):
-- values computed from the spec's definition, independently of this code.
SELECT experiments.growthbook_hash('exp', 'é', 1) AS e_v1, experiments.growthbook_hash('exp', 'é', 2) AS e_v2,
	   experiments.growthbook_hash('exp', '👍', 1) AS thumbs_v1, experiments.growthbook_hash('exp', '👍', 2) AS thumbs_v2,
	   experiments.growthbook_hash('seed', 'Zürich', 1) AS zurich_v1, experiments.growthbook_hash('seed', 'Zürich', 2) AS zurich_v2;
-- An empty unit has no hash value: out, as the SDK leaves it out; also
-- among many units, where rows by bucket answer (after 1000 calls).
SELECT variant, assigned, reason FROM experiments.assign('gb-checkout', '');
SELECT a.reason, count(*) AS units
FROM (SELECT CASE WHEN i % 500 = 0 THEN '' ELSE 'u' || i END AS unit FROM generate_series(1, 2000) i) s,
	 experiments.assign('gb-checkout', s.unit) a
GROUP BY 1 ORDER BY 1;
COMMIT;

-- 3. Coverage is traffic_bp unless the settings give it; a unit outside
-- every range is out for traffic. Full-on comes after coverage, as the SDK's
-- force.
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
INSERT INTO experiments.experiments (key, hashing, traffic_bp) VALUES ('gb-coverage', 'growthbook', 4000);
INSERT INTO experiments.experiments (key, hashing, hashing_options)
VALUES ('gb-coverage-option', 'growthbook', '{"coverage": 0.4, "seed": "gb-coverage"}');
SELECT count(*) FROM experiments.set_variants('gb-coverage',
	'[{"key": "control", "allocation": 50}, {"key": "green", "allocation": 50}]');
SELECT count(*) FROM experiments.set_variants('gb-coverage-option',
	'[{"key": "control", "allocation": 50}, {"key": "green", "allocation": 50}]');
UPDATE experiments.experiments SET state = 'running' WHERE key IN ('gb-coverage', 'gb-coverage-option');
COMMIT;
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT a.reason, count(*) AS units, count(*) FILTER (WHERE a.ordinal IS DISTINCT FROM b.ordinal) AS differ_from_option
FROM generate_series(1, 2000) i, experiments.assign('gb-coverage', 'u' || i) a,
	 experiments.assign('gb-coverage-option', 'u' || i) b
GROUP BY 1 ORDER BY 1;
COMMIT;
SET ROLE regress_gb_ops;
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
UPDATE experiments.experiments SET full_on_variant = 1 WHERE key = 'gb-coverage';
COMMIT;
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT a.reason, a.variant, count(*) AS units
FROM generate_series(1, 2000) i, experiments.assign('gb-coverage', 'u' || i) a
GROUP BY 1, 2 ORDER BY 1, 2;
COMMIT;

-- 4. Hash attribute, condition, namespace: each keeps a unit out for the
-- reason nearest GrowthBook's (audience, audience, layer).
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
INSERT INTO experiments.experiments (key, hashing, hashing_options)
VALUES ('gb-company', 'growthbook', '{"hashAttribute": "companyId", "hashVersion": 2,
	"condition": {"country": {"$in": ["FR", "DE"]}, "app": {"$vgte": "2.10.0"}},
	"namespace": ["pricing", 0, 0.5]}');
SELECT count(*) FROM experiments.set_variants('gb-company',
	'[{"key": "control", "allocation": 50}, {"key": "green", "allocation": 50}]');
UPDATE experiments.experiments SET state = 'running' WHERE key = 'gb-company';
COMMIT;
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT c.attributes, a.variant, a.reason, a.audience_mismatch
FROM (VALUES
	('{"country": "FR", "app": "2.10.1"}'),
	('{"companyId": 0, "country": "FR", "app": "2.10.1"}'),
	('{"companyId": "acme", "country": "US", "app": "2.10.1"}'),
	('{"companyId": "acme", "country": "FR", "app": "2.9.9"}')) c(attributes),
	experiments.assign('gb-company', 'user-1', c.attributes::jsonb) a;
-- Companies in the namespace's first half are in; the others out (layer).
SELECT experiments.growthbook_in_namespace(c, '["pricing", 0, 0.5]') AS in_namespace, a.reason, count(*) AS companies,
	   count(*) FILTER (WHERE a.reason = 'hash' AND a.ordinal IS DISTINCT FROM experiments.growthbook_choose_variation(
			experiments.growthbook_hash('gb-company', c, 2), experiments.growthbook_bucket_ranges(2))) AS disagreements
FROM (SELECT 'company-' || i AS c FROM generate_series(1, 400) i) s,
	 experiments.assign('gb-company', 'any-user', jsonb_build_object('companyId', c, 'country', 'DE', 'app', '3.0.0')) a
GROUP BY 1, 2 ORDER BY 1, 2;
COMMIT;

-- 5. The catalog's own steps still apply: an override beats GrowthBook's
-- hash, and an enrolment is sticky, also when weights change (the
-- conformance suite's stickyBucket cases enrol through custom overrides).
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT unit, ordinal, kind FROM experiments.set_override('gb-checkout', 'qa-1', 'green');
COMMIT;
SET ROLE regress_gb_app;
BEGIN;
SELECT experiments.authenticate(:'client_key') IS NOT NULL AS authenticated;
SELECT variant, overridden, reason FROM experiments.assign('gb-checkout', 'qa-1');
SELECT variant, reason FROM experiments.enrol('gb-checkout', 'u1');
COMMIT;
SET ROLE regress_gb_ops;
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT count(*) FROM experiments.set_variants('gb-checkout',
	'[{"key": "control", "allocation": 1}, {"key": "green", "allocation": 99}]');
-- Started: the hashing and its options are fixed.
SELECT regress.attempt($$UPDATE experiments.experiments SET hashing_options = '{"hashVersion": 2}' WHERE key = 'gb-checkout'$$);
SELECT regress.attempt($$UPDATE experiments.experiments SET hashing = 'xxh3' WHERE key = 'gb-checkout'$$);
COMMIT;
SET ROLE regress_gb_app;
BEGIN;
SELECT experiments.authenticate(:'client_key') IS NOT NULL AS authenticated;
SELECT variant, reason FROM experiments.assign('gb-checkout', 'u1');
SELECT a.variant, count(*) AS units FROM generate_series(2, 2000) i, experiments.assign('gb-checkout', 'u' || i) a
GROUP BY 1 ORDER BY 1;
COMMIT;
RESET ROLE;
