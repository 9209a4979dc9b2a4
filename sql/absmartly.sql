-- ABsmartly mode: experiments whose hashing is 'absmartly', as an operator
-- (experiments_admin) and an application (experiments_client) use them,
-- neither a superuser. The real SDK is compared over many units in
-- test/scripts/sdk_absmartly.sh; this test holds the SDK's own published
-- vectors, the checks on write and how the mode fits the catalog's steps.
\set VERBOSITY default
SELECT experiments.create_tenant('absmartly-mode') AS tenant \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin') AS admin_key \gset
SELECT experiments.create_api_key(:'tenant', 'app', 'client') AS client_key \gset
CREATE ROLE regress_ab_ops NOLOGIN IN ROLE experiments_admin;
CREATE ROLE regress_ab_app NOLOGIN IN ROLE experiments_client;
SET ROLE regress_ab_ops;

-- 1. Bad settings are refused when written, each with its own message.
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'absmartly', '[1, 2]')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'absmartly', '{"seedHi": -1}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'absmartly', '{"seedLo": 4294967296}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'absmartly', '{"trafficSeedHi": 1.5}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'absmartly', '{"trafficSeedLo": "7"}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'absmartly', '{"split": []}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'absmartly', '{"split": [0.5, 1.5]}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'absmartly', '{"trafficSplit": [1]}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, hashing_options)
	VALUES ('bad', 'absmartly', '{"seedhi": 1}')$$);
SELECT regress.attempt($$INSERT INTO experiments.experiments (key, hashing, reset_interval)
	VALUES ('bad', 'absmartly', '1d')$$);
COMMIT;

-- A split gives one fraction per variant: checked when the experiment runs,
-- at commit, as allocations are.
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
INSERT INTO experiments.experiments (key, hashing, hashing_options)
VALUES ('three-split', 'absmartly', '{"split": [0.2, 0.3, 0.5]}');
SELECT count(*) FROM experiments.set_variants('three-split',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]');
SELECT regress.attempt($$UPDATE experiments.experiments SET state = 'running' WHERE key = 'three-split'$$);
COMMIT;

-- 2. The vectors of the SDK's own test (src/__tests__/assigner.test.js of
-- @absmartly/javascript-sdk): unit, split, seedHi, seedLo and the variant
-- the SDK gives. One experiment per split and seeds, everyone in traffic.
CREATE TEMP TABLE vectors (unit text, split jsonb, seed_hi bigint, seed_lo bigint, expected integer);
INSERT INTO vectors
SELECT u.unit, s.split::jsonb, x.hi, x.lo, (u.expect[s.n][x.i])::integer
FROM (VALUES
	('bleh@absmartly.com', ARRAY[[0,1,0,0,0,0,1], [0,2,0,0,0,1,1]]),
	('123456789', ARRAY[[1,0,1,1,1,0,0], [2,1,2,2,2,0,0]]),
	('e791e240fcd3df7d238cfc285f475e8152fcc0ec', ARRAY[[1,0,1,1,0,0,0], [2,0,2,1,0,0,1]])) u(unit, expect),
	(VALUES (1, '[0.5, 0.5]'), (2, '[0.33, 0.33, 0.34]')) s(n, split),
	(VALUES (1, x'00000000'::bigint, x'00000000'::bigint), (2, x'00000000'::bigint, x'00000001'::bigint),
		(3, x'8015406f'::bigint, x'7ef49b98'::bigint), (4, x'3b2e7d90'::bigint, x'ca87df4d'::bigint),
		(5, x'52c1f657'::bigint, x'd248bb2e'::bigint), (6, x'865a84d0'::bigint, x'aa22d41a'::bigint),
		(7, x'27d1dc86'::bigint, x'845461b9'::bigint)) x(i, hi, lo);
GRANT SELECT ON vectors TO regress_ab_app;
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
INSERT INTO experiments.experiments (key, hashing, hashing_options)
SELECT DISTINCT format('ab-%s-%s-%s', jsonb_array_length(split), seed_hi, seed_lo), 'absmartly',
	   jsonb_build_object('seedHi', seed_hi, 'seedLo', seed_lo, 'split', split,
						  'trafficSeedHi', 0, 'trafficSeedLo', 0, 'trafficSplit', '[0, 1]'::jsonb)
FROM vectors;
SELECT count(*) AS variants FROM experiments.experiments e,
	experiments.set_variants(e.key, CASE WHEN e.hashing_options -> 'split' = '[0.5, 0.5]'
		THEN '[{"key": "v0", "allocation": 50}, {"key": "v1", "allocation": 50}]'::jsonb
		ELSE '[{"key": "v0", "allocation": 33}, {"key": "v1", "allocation": 33}, {"key": "v2", "allocation": 34}]'::jsonb END)
WHERE e.key LIKE 'ab-%';
UPDATE experiments.experiments SET state = 'running' WHERE key LIKE 'ab-%';
COMMIT;
SET ROLE regress_ab_app;
BEGIN;
SELECT experiments.authenticate(:'client_key') IS NOT NULL AS authenticated;
SELECT count(*) AS vectors,
	   count(*) FILTER (WHERE a.ordinal IS DISTINCT FROM v.expected) AS disagreements,
	   count(*) FILTER (WHERE a.reason <> 'hash') AS not_hashed
FROM vectors v, experiments.assign(format('ab-%s-%s-%s', jsonb_array_length(v.split), v.seed_hi, v.seed_lo), v.unit) a;
COMMIT;
SET ROLE regress_ab_ops;

-- 3. Seeds left out are derived from the key: the MD5 digest of its bytes
-- as four little-endian integers (computed here with SQL's md5()), and the
-- split and traffic split from allocations and traffic_bp.
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
INSERT INTO experiments.experiments (key, hashing, traffic_bp) VALUES ('ab-portable', 'absmartly', 6000);
INSERT INTO experiments.experiments (key, hashing, hashing_options)
SELECT 'ab-explicit', 'absmartly', jsonb_build_object(
	'seedHi', le[1], 'seedLo', le[2], 'trafficSeedHi', le[3], 'trafficSeedLo', le[4],
	'split', '[0.2, 0.8]'::jsonb, 'trafficSplit', '[0.4, 0.6]'::jsonb)
FROM (SELECT array_agg(('x' || substr(h, 8 * i + 7, 2) || substr(h, 8 * i + 5, 2) ||
						substr(h, 8 * i + 3, 2) || substr(h, 8 * i + 1, 2))::bit(32)::bigint & x'ffffffff'::bigint ORDER BY i) AS le
	  FROM (SELECT md5('ab-portable') AS h) d, generate_series(0, 3) i) s;
SELECT count(*) FROM experiments.experiments e, experiments.set_variants(e.key,
	'[{"key": "control", "allocation": 20}, {"key": "green", "allocation": 80}]')
WHERE e.key IN ('ab-portable', 'ab-explicit');
UPDATE experiments.experiments SET state = 'running' WHERE key IN ('ab-portable', 'ab-explicit');
COMMIT;
SET ROLE regress_ab_app;
BEGIN;
SELECT experiments.authenticate(:'client_key') IS NOT NULL AS authenticated;
SELECT a.reason, a.variant, count(*) AS units,
	   count(*) FILTER (WHERE (a.variant, a.reason, a.bucket) IS DISTINCT FROM (b.variant, b.reason, b.bucket)) AS differ_from_explicit
FROM generate_series(1, 5000) i, experiments.assign('ab-portable', 'u' || i) a,
	 experiments.assign('ab-explicit', 'u' || i) b
GROUP BY 1, 2 ORDER BY 1, 2;
-- The same from assign_all().
SELECT experiment, variant, reason FROM experiments.assign_all('u1') WHERE experiment LIKE 'ab-p%';
-- The SDK's context data carries the seeds and splits assignment uses: the
-- derived ones of ab-portable are the explicit ones of ab-explicit, and its
-- splits the allocations and traffic (the vector experiments run too).
SELECT jsonb_array_length(c -> 'experiments') AS experiments,
	   (SELECT jsonb_agg(e - 'id' - 'name') FROM jsonb_array_elements(c -> 'experiments') e
		WHERE e ->> 'name' = 'ab-portable') AS portable,
	   (SELECT (e - 'id' - 'name' - 'split' - 'trafficSplit') = (p - 'id' - 'name' - 'split' - 'trafficSplit')
		FROM jsonb_array_elements(c -> 'experiments') e, jsonb_array_elements(c -> 'experiments') p
		WHERE e ->> 'name' = 'ab-explicit' AND p ->> 'name' = 'ab-portable') AS same_seeds
FROM experiments.absmartly_context() c;
COMMIT;

-- 4. The catalog's own steps still apply: an override beats the draws, and
-- once started the hashing and its options are fixed.
SET ROLE regress_ab_ops;
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT unit, ordinal, kind FROM experiments.set_override('ab-portable', 'qa-1', 'green');
SELECT regress.attempt($$UPDATE experiments.experiments SET hashing_options = '{"seedHi": 1}' WHERE key = 'ab-portable'$$);
SELECT regress.attempt($$UPDATE experiments.experiments SET hashing = 'xxh3' WHERE key = 'ab-portable'$$);
COMMIT;
SET ROLE regress_ab_app;
BEGIN;
SELECT experiments.authenticate(:'client_key') IS NOT NULL AS authenticated;
SELECT variant, overridden, reason FROM experiments.assign('ab-portable', 'qa-1');
COMMIT;
RESET ROLE;
