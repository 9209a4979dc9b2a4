-- Partition pruning: results for one experiment and time window read only
-- the monthly partitions of the window. daily_metrics() is the one function
-- that reads event tables (src/results/results.c); it plans its queries for the
-- window's bounds, so that the partitions outside it are pruned from the
-- plan. The partitions a call scanned are those pg_stat_xact_user_tables
-- shows as scanned right after it, the statistics pending before it having
-- been flushed (pg_stat_force_next_flush() flushes them when the statement
-- before ends).
-- The superuser writes the events and flushes the statistics (fixtures); an
-- analyst (regress_bi, a member of experiments_analyst) reads the results.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('results_pruning') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('pruned',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true) \gset
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, g % 2, 'user_id', 'p-' || g, timestamptz '2025-01-15 00:00+00' + (g % 3) * interval '1 month',
	   true, true, false, false, false, false
FROM generate_series(1, 300) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at)
SELECT 'user_id', 'p-' || g, 'buy', timestamptz '2025-01-16 00:00+00' + (g % 3) * interval '1 month'
FROM generate_series(1, 300, 2) g;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 'pt-' || g, 'order', 'p-' || g, 100, 0, timestamptz '2025-01-16 00:00+00' + (g % 3) * interval '1 month', 'OTHER', 'app'
FROM generate_series(1, 300, 5) g;
-- Monthly partitions for January to March 2025 (and whatever else is due).
SELECT experiments.create_event_partitions(0) > 0 AS created;

CREATE FUNCTION pg_temp.partitions_read(exp bigint, since timestamptz, until timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM experiments.daily_metrics(exp, since, until);
	RETURN QUERY SELECT s.relname::text FROM pg_stat_xact_user_tables s
		WHERE s.relname ~ '^(exposures|goal_events|transactions)_(\d{6}|overflow)$'
		  AND s.seq_scan + coalesce(s.idx_scan, 0) > 0;
END;
$$;

-- February only: the February partitions of the three tables, nothing else.
RESET SESSION AUTHORIZATION;
SELECT pg_stat_force_next_flush() \g /dev/null
SET SESSION AUTHORIZATION regress_bi;
SELECT DISTINCT p FROM pg_temp.partitions_read(:exp, '2025-02-01 00:00+00', '2025-03-01 00:00+00') p ORDER BY 1;
-- Mid-January to mid-February: two months.
RESET SESSION AUTHORIZATION;
SELECT pg_stat_force_next_flush() \g /dev/null
SET SESSION AUTHORIZATION regress_bi;
SELECT DISTINCT p FROM pg_temp.partitions_read(:exp, '2025-01-10 00:00+00', '2025-02-10 00:00+00') p ORDER BY 1;
-- The window's results are those of its units only.
SELECT kind, metric, ordinal, units, converting_units
FROM experiments.experiment_results(:exp, '2025-02-01 00:00+00', '2025-03-01 00:00+00')
ORDER BY kind, metric, ordinal;
\i sql/helpers/drop_logins.sql
