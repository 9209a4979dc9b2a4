-- Results read only the experiment's tenant's rows: daily_metrics() reads the
-- goals and transactions of a window by the tenant's key, which the monthly
-- partitions' window indexes (tenant, time) lead with (src/results/results.c,
-- create_event_partition_indexes()). Another tenant's events in the same month
-- change neither the answers nor the rows read. The rows a call read are
-- those pg_stat_xact_user_tables counts for the partitions right after it
-- (tuples a sequential scan returned plus tuples an index or bitmap scan
-- fetched).
SELECT experiments.create_tenant('results_scope') AS tenant \gset
SELECT experiments.create_tenant('results_scope_other') AS other \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('scoped',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true) \gset
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, g % 2, 'user_id', 's-' || g, timestamptz '2025-06-10 00:00+00' + g * interval '1 minute',
	   true, true, false, false, false, false
FROM generate_series(1, 200) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 's-' || g, 'buy', timestamptz '2025-06-11 00:00+00' + g * interval '1 minute',
	   jsonb_build_object('value', g)
FROM generate_series(1, 200, 2) g;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 'st-' || g, 'order', 's-' || g, 100 + g, 0, timestamptz '2025-06-12 00:00+00' + g * interval '1 minute', 'OTHER', 'app'
FROM generate_series(1, 200, 5) g;
-- June 2025's partitions (and whatever else is due).
SELECT experiments.create_event_partitions(0) \g /dev/null
SELECT to_regclass('experiments.goal_events_202506') IS NOT NULL AS june;
CREATE TEMP TABLE alone AS SELECT * FROM experiments.daily_metrics(:exp, '2025-06-01 00:00+00', '2025-07-01 00:00+00');

-- The other tenant: 20,000 goals and 20,000 transactions in the same month,
-- on units of the same names, interleaved in time with the experiment's.
SET experiments.tenant = :'other';
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 's-' || (g % 200 + 1), 'buy', timestamptz '2025-06-01 00:00+00' + g * interval '2 minutes',
	   jsonb_build_object('value', 1)
FROM generate_series(1, 20000) g;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 'ot-' || g, 'order', 's-' || (g % 200 + 1), 1, 0, timestamptz '2025-06-01 00:00+00' + g * interval '2 minutes', 'OTHER', 'app'
FROM generate_series(1, 20000) g;
ANALYZE experiments.goal_events_202506, experiments.transactions_202506, experiments.exposures_202506;
SET experiments.tenant = :'tenant';

CREATE FUNCTION pg_temp.rows_read(exp bigint)
RETURNS TABLE (partition text, rows_read bigint)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM experiments.daily_metrics(exp, '2025-06-01 00:00+00', '2025-07-01 00:00+00');
	RETURN QUERY SELECT s.relname::text, coalesce(s.seq_tup_read, 0) + coalesce(s.idx_tup_fetch, 0)
		FROM pg_stat_xact_user_tables s
		WHERE s.relname IN ('goal_events_202506', 'transactions_202506')
		ORDER BY 1;
END;
$$;

-- The experiment's own 100 goals and 40 transactions, not the other tenant's 20,000 each.
SELECT pg_stat_force_next_flush() \g /dev/null
SELECT partition, rows_read <= 200 AS only_the_tenants, rows_read FROM pg_temp.rows_read(:exp);
-- The same answers as before the other tenant's events.
SELECT count(*) AS rows, count(*) FILTER (WHERE kind <> 'exposures') AS metric_rows
FROM experiments.daily_metrics(:exp, '2025-06-01 00:00+00', '2025-07-01 00:00+00');
(SELECT * FROM experiments.daily_metrics(:exp, '2025-06-01 00:00+00', '2025-07-01 00:00+00') EXCEPT ALL SELECT * FROM alone)
UNION ALL
(SELECT * FROM alone EXCEPT ALL SELECT * FROM experiments.daily_metrics(:exp, '2025-06-01 00:00+00', '2025-07-01 00:00+00'));
RESET experiments.tenant;
