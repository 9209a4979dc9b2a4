-- The scale benchmark's catalog and its measuring functions (test/bench/scale.sh).
-- Tenants 1 .. 10000 have one running experiment each; tenants 10001 ..
-- 10004 have 1, 20, 200 and 2000; tenant 10005 is where the background
-- writer enrols ("elsewhere"). Keys are not in id order, as real keys are not.
-- Written as a superuser, straight into the tables, to be quick.
CREATE EXTENSION experiments;
\i test/bench/timing.sql

CREATE FUNCTION bench.tenant(n integer) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$ SELECT ('00000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid $$;
CREATE FUNCTION bench.key(k integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'k' || substr(md5(k::text), 1, 12) $$;

CREATE TABLE bench.plan AS
SELECT n AS tenant_no, 1 AS experiments FROM generate_series(1, 10000) n
UNION ALL VALUES (10001, 1), (10002, 20), (10003, 200), (10004, 2000), (10005, 1);
INSERT INTO experiments.tenants (id, name) SELECT bench.tenant(tenant_no), 'bench_' || tenant_no FROM bench.plan;
INSERT INTO experiments.experiments (tenant_id, key, traffic_bp)
SELECT bench.tenant(p.tenant_no), bench.key(k), 9000
FROM bench.plan p, generate_series(1, p.experiments) k ORDER BY p.tenant_no, k;
INSERT INTO experiments.variants (tenant_id, experiment_id, ordinal, key, allocation_bp)
SELECT e.tenant_id, e.id, o, chr(97 + o), 2500 FROM experiments.experiments e, generate_series(0, 3) o;
UPDATE experiments.experiments SET state = 'running';
-- campaign ids: the k-th experiment of a tenant
CREATE TABLE bench.campaigns AS
SELECT p.tenant_no, k, e.id FROM bench.plan p, generate_series(1, p.experiments) k
JOIN experiments.experiments e ON e.key = bench.key(k)
WHERE e.tenant_id = bench.tenant(p.tenant_no);
CREATE UNIQUE INDEX ON bench.campaigns (tenant_no, k);

-- Set-based assignment: 1,000,000 units; experiment 'plain' and 'enrolled'
-- (the same configuration) of tenant 10001's neighbour 10005, the second
-- with :enrolled enrolments (every hundredth unit for 10,000).
CREATE UNLOGGED TABLE bench.units AS SELECT 'user-' || g AS unit FROM generate_series(1, 1000000) g;
VACUUM ANALYZE bench.units;
SELECT set_config('experiments.tenant', bench.tenant(10005)::text, false) \g /dev/null
SELECT count(*) FROM unnest(ARRAY['plain', 'enrolled', 'sink']) k,
	experiments.create_experiment(k, '[{"key": "a", "allocation": 25}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 25}, {"key": "d", "allocation": 25}]',
		traffic_percent => 90, start => true) \g /dev/null
INSERT INTO experiments.enrolments (tenant_id, experiment_id, unit, ordinal, reason)
SELECT bench.tenant(10005), experiments_internal.experiment_id('enrolled'), 'user-' || g, g % 4, 'hash'
FROM generate_series(1, 1000000, 1000000 / :enrolled) g;
SELECT experiments.enrol('sink', 'first') \g /dev/null
RESET experiments.tenant;
VACUUM ANALYZE;

-- CPU nanoseconds a call takes in a session that serves tenants first ..
-- first + tenants - 1, each with experiments experiments, calling for a
-- tenant and an experiment that change at every call (as a pooled session
-- does): assign() (kind 'assign'), allocate with a campaign_id ('campaign')
-- or allocate of every running campaign ('allocate'). Every tenant and
-- experiment is served once, then passes passes of calls calls are timed.
-- CPU time (the backend's own), not wall-clock time, which other work on the
-- machine stretches.
CREATE FUNCTION bench.calls_ns(kind text, first integer, tenants integer, experiments integer,
							   calls integer, passes integer DEFAULT 3)
RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
	a experiments.assignment;
	d jsonb;
	ids bigint[];
	started double precision;
	cpu double precision := 0;
BEGIN
	SELECT array_agg(id ORDER BY tenant_no, k) INTO ids FROM bench.campaigns
	WHERE tenant_no BETWEEN first AND first + tenants - 1;
	FOR pass IN 0 .. passes LOOP
		started := bench.cpu_seconds();
		FOR i IN 1 .. CASE pass WHEN 0 THEN tenants * experiments ELSE calls END LOOP
			PERFORM set_config('experiments.tenant', bench.tenant(first + i % tenants)::text, true);
			IF kind = 'assign' THEN
				a := experiments.assign(bench.key(1 + (i / tenants) % experiments), 'u' || i);
			ELSIF kind = 'campaign' THEN
				d := experiments_api.allocate(jsonb_build_object('visitor_id', 'v' || i,
					'campaign_id', ids[1 + (i % tenants) * experiments + (i / tenants) % experiments]::text));
			ELSE
				d := experiments_api.allocate(jsonb_build_object('visitor_id', 'v' || i));
			END IF;
		END LOOP;
		IF pass > 0 THEN
			cpu := cpu + bench.cpu_seconds() - started;
		END IF;
	END LOOP;
	RETURN cpu * 1e9 / (passes * calls);
END;
$$;

-- The background writer: for seconds, per_second transactions a second,
-- each an admin change to one of tenants 1 .. 100 (kind 'admin') or an
-- enrolment in tenant 10005 (kind 'enrol').
CREATE PROCEDURE bench.writer(kind text, per_second integer, seconds double precision)
LANGUAGE plpgsql AS $$
DECLARE
	stop timestamptz := clock_timestamp() + seconds * interval '1 second';
	i integer := 0;
BEGIN
	WHILE clock_timestamp() < stop LOOP
		i := i + 1;
		IF kind = 'admin' THEN
			UPDATE experiments.experiments SET description = 'change ' || i
			WHERE tenant_id = bench.tenant(1 + i % 100);
		ELSE
			PERFORM set_config('experiments.tenant', bench.tenant(10005)::text, true);
			PERFORM experiments.enrol('sink', 'w' || i || '-' || pg_backend_pid());
		END IF;
		COMMIT;
		PERFORM pg_sleep(1.0 / per_second);
	END LOOP;
END;
$$;
