-- assign() against 1050 vectors from test/vectors/assign_reference.py, an
-- independent implementation of the README's algorithm (Python calling
-- libxxhash through ctypes, sharing no code with the extension). Run as an
-- operator (regress_ops, a member of experiments_admin); the superuser only
-- creates the tenant.
\i sql/helpers/logins.sql
SET SESSION AUTHORIZATION regress_ops;
CREATE TEMP TABLE vectors (
	unit text, traffic_seed bigint, variant_seed bigint, traffic_bp integer,
	allocations text, period bigint, traffic_bucket integer, variant_bucket integer, ordinal integer);
\copy vectors FROM 'test/vectors/assign_vectors.csv' WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (unit))
SELECT count(*) AS vectors, count(DISTINCT (traffic_seed, variant_seed)) AS configurations,
	   count(*) FILTER (WHERE ordinal IS NULL) AS not_eligible,
	   count(*) FILTER (WHERE period >= 0) AS with_reset_period
FROM vectors;

RESET SESSION AUTHORIZATION;
SELECT set_config('experiments.tenant', experiments.create_tenant('vectors')::text, false) IS NOT NULL AS tenant_set;
SET SESSION AUTHORIZATION regress_ops;

-- One experiment per configuration; reset periods come from starts_at.
CREATE TEMP TABLE configs AS
SELECT 'vec-' || row_number() OVER (ORDER BY traffic_seed, variant_seed) AS key, *
FROM (SELECT DISTINCT traffic_seed, variant_seed, traffic_bp, allocations, period FROM vectors) c;

INSERT INTO experiments.experiments (key, traffic_seed, variant_seed, traffic_bp, reset_interval, starts_at)
SELECT key, traffic_seed, variant_seed, traffic_bp,
	   CASE WHEN period >= 0 THEN '1d' ELSE 'full' END::experiments.reset_interval,
	   CASE WHEN period >= 0 THEN now() - make_interval(days => period::integer) - interval '1 hour' END
FROM configs;
INSERT INTO experiments.variants (experiment_id, ordinal, key, allocation_bp)
SELECT e.id, a.n - 1, 'v' || (a.n - 1), a.bp::integer
FROM configs c
JOIN experiments.experiments e ON e.key = c.key
CROSS JOIN LATERAL unnest(string_to_array(c.allocations, '|')) WITH ORDINALITY AS a(bp, n);
UPDATE experiments.experiments SET state = 'running' WHERE key LIKE 'vec-%';

SELECT v.unit, v.traffic_bucket AS want_tb, experiments.bucket(v.unit, v.traffic_seed) AS got_tb,
	   v.variant_bucket AS want_vb, a.bucket AS got_vb, v.ordinal AS want, a.ordinal AS got,
	   a.period AS got_period, v.period AS want_period
INTO TEMP mismatches
FROM vectors v
JOIN configs c USING (traffic_seed, variant_seed)
CROSS JOIN LATERAL experiments.assign(c.key, v.unit) a
WHERE experiments.bucket(v.unit, v.traffic_seed) IS DISTINCT FROM v.traffic_bucket
   OR a.ordinal IS DISTINCT FROM v.ordinal
   OR (v.ordinal IS NOT NULL AND a.bucket IS DISTINCT FROM v.variant_bucket)
   OR a.period IS DISTINCT FROM greatest(v.period, 0)
   OR a.reason <> CASE WHEN v.ordinal IS NULL THEN 'traffic' ELSE 'hash' END::experiments.assignment_reason;
SELECT count(*) AS mismatches FROM mismatches;
SELECT * FROM mismatches LIMIT 10;

-- A few vectors in full, for the reader.
SELECT v.unit, v.traffic_bp, v.allocations, v.period, v.traffic_bucket, a.bucket, a.variant, a.reason
FROM vectors v
JOIN configs c USING (traffic_seed, variant_seed)
CROSS JOIN LATERAL experiments.assign(c.key, v.unit) a
WHERE c.key = (SELECT key FROM configs WHERE traffic_seed = 0 AND variant_seed = -1)
ORDER BY v.unit COLLATE "C" LIMIT 6;
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;
\i sql/helpers/drop_logins.sql
