-- Partition maintenance (src/events/partitions.sql, docs/operations.md) as
-- the operator runs it: a login of experiments_operator, not a superuser.
-- The concurrent writer, retention and pg_cron itself are in
-- test/scripts/partitions.sh, on a cluster of its own.
CREATE ROLE partitions_ops LOGIN IN ROLE experiments_operator;
CREATE ROLE partitions_app LOGIN IN ROLE experiments_client;
SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'experiments_operator';

-- Every tenant made the current month's partitions and the 3 after it: no
-- month from now on is left to create (earlier tests' old months may be).
SELECT count(*) AS months_due FROM experiments_internal.partition_plan(NULL, false, false)
WHERE month >= date_trunc('month', now() AT TIME ZONE 'UTC');
SELECT count(DISTINCT c.relname) AS tables_with_this_month
FROM pg_class c
WHERE c.relname ~ ('^[a-z_]+_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM') || '$') AND c.relispartition;

-- A row of a month that has no partition lands in the overflow partition;
-- maintenance makes the month and moves it there.
BEGIN;
SELECT experiments.set_tenant(id) FROM experiments.tenants ORDER BY created_at LIMIT 1 \g /dev/null
INSERT INTO experiments.visits (visitor_id, device_type, origin, occurred_at)
VALUES ('partitions-1', 'OTHER', 'app', '2019-07-04 12:00+00');
COMMIT;
SELECT count(*) AS in_overflow FROM experiments.visits_overflow WHERE visitor_id = 'partitions-1';
SET ROLE partitions_ops;
SELECT event_table, month, action FROM experiments_internal.partition_plan(NULL, true, false) WHERE month = '2019-07-01';
CALL experiments.maintain_partitions();
SELECT experiments.create_event_partitions() AS created_again;
RESET ROLE;
SELECT tableoid::regclass AS partition FROM experiments.visits WHERE visitor_id = 'partitions-1';
SELECT count(*) AS in_overflow FROM experiments.visits_overflow;

-- Policies: per table or '*', checked.
SET ROLE partitions_ops;
SELECT experiments.set_partition_policy('visits', 'detach', 1200);
SELECT * FROM experiments.partition_policies ORDER BY event_table;
SELECT experiments.set_partition_policy('tenants', 'drop', 12);
SELECT experiments.set_partition_policy('visits', 'detach');
SELECT experiments.set_partition_policy('*', 'shred', 12);
SELECT experiments.set_partition_policy('*', 'keep', NULL, 121);
-- The steps refuse what is not an event table's month.
SELECT experiments_internal.create_event_partition('tenants', '2019-07-01');
SELECT experiments_internal.retire_event_partition('visits', '1999-01-01', 'drop', false);
SELECT experiments.create_event_partitions(-1);
-- No pg_cron in this cluster: a clear refusal.
\set VERBOSITY default
SELECT experiments.schedule_maintenance();
RESET ROLE;

-- The application may not run maintenance, read or set the policies.
SET ROLE partitions_app;
CALL experiments.maintain_partitions();
SELECT experiments.create_event_partitions();
SELECT experiments.set_partition_policy('*', 'drop', 1);
SELECT * FROM experiments.partition_policies;
RESET ROLE;

DELETE FROM experiments.partition_policies;
DROP TABLE experiments.visits_201907;
DROP ROLE partitions_ops, partitions_app;
