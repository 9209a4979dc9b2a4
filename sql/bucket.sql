-- bucket(): the pinned hash of assignment version 1.
-- The vectors were computed by test/vectors/bucket_vectors.c, a separate
-- program that calls libxxhash directly and shares no code with the extension.
-- Run as the application (regress_shop, a member of experiments_client).
\i sql/helpers/logins.sql
SET SESSION AUTHORIZATION regress_shop;
SELECT v.unit, v.seed::bigint AS seed, v.expected,
       experiments.bucket(v.unit, v.seed::bigint) AS got,
       experiments.bucket(v.unit, v.seed::bigint) = v.expected AS ok
FROM (VALUES
 	('', 0, 1758)
,	('', 1, 3037)
,	('', -1, 2970)
,	('', 42, 6881)
,	('', 123456789012345, 6128)
,	('a', 0, 9014)
,	('a', 1, 8240)
,	('a', -1, 2642)
,	('a', -9223372036854775808, 1771)
,	('user-1', 0, 4861)
,	('user-1', 1, 4226)
,	('user-1', -1, 9993)
,	('user-1', 9223372036854775807, 3249)
,	('user-1', -98765, 6225)
,	('user-2', 0, 1257)
,	('user-2', 42, 1150)
,	('user-2', 123456789012345, 7062)
,	('4a42766ca6313d26f49985e799ff4f3790fb86efa0fce46edb3ea8fbf1ea3408', -1, 4697)
,	('4a42766ca6313d26f49985e799ff4f3790fb86efa0fce46edb3ea8fbf1ea3408', -9223372036854775808, 7733)
,	('bfr9ad2t0hm0009vj6l0', 1, 149)
,	('bfr9ad2t0hm0009vj6l0', 9223372036854775807, 827)
,	('bfr9ad2t0hm0009vj6l0', -98765, 1118)
,	('émile', 0, 2221)
,	('émile', 42, 2335)
,	('émile', 123456789012345, 9514)
,	('日本語のユーザー', -1, 1832)
,	('日本語のユーザー', -9223372036854775808, 4303)
,	('🎉party', 1, 9579)
,	('🎉party', 9223372036854775807, 2935)
,	('🎉party', -98765, 3003)
,	('O''Brien', 0, 8853)
,	('O''Brien', 42, 7946)
,	('O''Brien', 123456789012345, 9091)
,	('x x', -1, 2182)
,	('x x', -9223372036854775808, 464)
,	('0123456789012345678901234567890123456789012345678901234567890123456789', 1, 8582)
,	('0123456789012345678901234567890123456789012345678901234567890123456789', 9223372036854775807, 3347)
,	('0123456789012345678901234567890123456789012345678901234567890123456789', -98765, 6134)
) AS v(unit, seed, expected)
ORDER BY v.unit COLLATE "C", v.seed::bigint;

-- The properties the planner and parallel workers rely on.
SELECT p.provolatile, p.proisstrict, p.proparallel, pg_get_function_result(p.oid)
FROM pg_proc p WHERE p.oid = 'experiments.bucket(text, bigint)'::regprocedure;

-- NULL in, NULL out; every bucket lies in [0, 10000).
SELECT experiments.bucket(NULL, 1) IS NULL AS null_unit, experiments.bucket('u', NULL) IS NULL AS null_seed;
SELECT min(b) >= 0 AND max(b) < 10000 AS in_range, count(DISTINCT b) > 9000 AS spread
FROM (SELECT experiments.bucket('unit-' || g, 7) AS b FROM generate_series(1, 100000) g) s;

-- Units are hashed as UTF-8 bytes: a composed and a decomposed é differ.
SELECT experiments.bucket(U&'\00E9', 0) <> experiments.bucket(U&'e\0301', 0) AS bytes_not_characters;
\i sql/helpers/drop_logins.sql
