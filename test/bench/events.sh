#!/usr/bin/env bash
# Benchmark of experiments.publish(), run against the cluster of test/cluster:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/events.sh'
# Two clients publish batches of 500 requests, each with 1 unit, 5 exposures
# and 2 goals (3,500 events a batch). The floor is a plain INSERT ... SELECT
# ... FROM jsonb_to_recordset() of the same rows into tables with the same
# partitions and indexes, without any validation, in the same run.
set -euo pipefail
BATCHES=${BATCHES:-200}			# per run; each client publishes BATCHES / 2
CLIENTS=2
EVENTS_PER_BATCH=3500
DB=bench_events

createdb "$DB"
export PGDATABASE=$DB
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION experiments;
SELECT experiments.create_tenant('bench') AS tenant \gset
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT experiments.create_experiment('exp_' || e, '[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true)
FROM generate_series(0, 4) e \g /dev/null
COMMIT;
SELECT experiments.create_event_partitions(1) \g /dev/null

\set batches $BATCHES
\i '$(dirname "$0")/publish_batches.sql'
-- The same rows, flat, for the floor.
UPDATE bench_batches b SET
	exposures = (SELECT jsonb_agg(jsonb_build_object('experiment_id', x->'id', 'ordinal', x->'variant',
		'unit_type', 'user_id', 'unit', r->'units'->0->'uid', 'exposed_at',
		to_jsonb(to_timestamp((x->>'exposedAt')::bigint / 1000.0)),
		'assigned', x->'assigned', 'eligible', x->'eligible', 'overridden', x->'overridden', 'full_on', x->'fullOn',
		'custom', x->'custom', 'audience_mismatch', x->'audienceMismatch'))
		FROM jsonb_array_elements(b.batch->'requests') r, jsonb_array_elements(r->'exposures') x),
	goals = (SELECT jsonb_agg(jsonb_build_object('unit_type', 'user_id', 'unit', r->'units'->0->'uid', 'goal', g->'name',
		'achieved_at', to_jsonb(to_timestamp((g->>'achievedAt')::bigint / 1000.0)), 'properties', g->'properties'))
		FROM jsonb_array_elements(b.batch->'requests') r, jsonb_array_elements(r->'goals') g);

-- Floor tables: the same partitioning and indexes as the event tables.
CREATE TABLE floor_exposures (LIKE experiments.exposures INCLUDING DEFAULTS) PARTITION BY RANGE (exposed_at);
CREATE TABLE floor_goals (LIKE experiments.goal_events INCLUDING DEFAULTS) PARTITION BY RANGE (achieved_at);
CREATE TABLE floor_exposures_now PARTITION OF floor_exposures
	FOR VALUES FROM (date_trunc('month', now())) TO (date_trunc('month', now()) + interval '1 month');
CREATE TABLE floor_exposures_default PARTITION OF floor_exposures DEFAULT;
CREATE TABLE floor_goals_now PARTITION OF floor_goals
	FOR VALUES FROM (date_trunc('month', now())) TO (date_trunc('month', now()) + interval '1 month');
CREATE TABLE floor_goals_default PARTITION OF floor_goals DEFAULT;
CREATE INDEX ON floor_exposures USING brin (exposed_at);
CREATE INDEX ON floor_exposures (experiment_id, exposed_at);
CREATE INDEX ON floor_goals USING brin (achieved_at);
CREATE INDEX ON floor_goals (tenant_id, achieved_at);
VACUUM ANALYZE;
\echo tenant :tenant
SQL
tenant=$(psql -X -At -c "SELECT id FROM experiments.tenants WHERE name = 'bench'")

cat >"$EXP_CLUSTER_DIR/publish.sql" <<'SQL'
SELECT experiments.publish(b.batch)->'ok' FROM bench_batches b WHERE b.id = (SELECT nextval('bench_publish_seq'));
SQL
cat >"$EXP_CLUSTER_DIR/floor.sql" <<SQL
BEGIN;
INSERT INTO floor_exposures (tenant_id, experiment_id, ordinal, unit_type, unit, exposed_at, assigned, eligible,
	overridden, full_on, custom, audience_mismatch)
SELECT '$tenant', r.* FROM bench_batches b, jsonb_to_recordset(b.exposures) AS r(experiment_id bigint, ordinal integer,
	unit_type text, unit text, exposed_at timestamptz, assigned boolean, eligible boolean, overridden boolean,
	full_on boolean, custom boolean, audience_mismatch boolean)
WHERE b.id = (SELECT nextval('bench_floor_seq'));
INSERT INTO floor_goals (tenant_id, unit_type, unit, goal, achieved_at, properties)
SELECT '$tenant', r.* FROM bench_batches b, jsonb_to_recordset(b.goals) AS r(unit_type text, unit text, goal text,
	achieved_at timestamptz, properties jsonb)
WHERE b.id = (SELECT currval('bench_floor_seq'));
COMMIT;
SQL

# run SCRIPT: batches per second over CLIENTS clients
run() {
	PGOPTIONS="-c experiments.tenant=$tenant" "$PGBIN/pgbench" -n -c "$CLIENTS" -j "$CLIENTS" \
		-t $((BATCHES / CLIENTS)) -f "$1" 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
floor_tps=$(run "$EXP_CLUSTER_DIR/floor.sql")
publish_tps=$(run "$EXP_CLUSTER_DIR/publish.sql")

psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET experiments.tenant = '$tenant';
SELECT count(*) AS exposures_stored, (SELECT count(*) FROM experiments.goal_events) AS goals_stored,
	   (SELECT count(*) FROM experiments.rejected_events) AS rejected,
	   (SELECT count(*) FROM floor_exposures) AS floor_exposures, (SELECT count(*) FROM floor_goals) AS floor_goals
FROM experiments.exposures;
SQL
awk -v p="$publish_tps" -v f="$floor_tps" -v n="$EVENTS_PER_BATCH" -v c="$CLIENTS" 'BEGIN {
	printf "clients: %d, batches of 500 requests x (1 unit, 5 exposures, 2 goals) = %d events\n", c, n;
	printf "publish():                      %10.0f events/s (%.1f batches/s)\n", p * n, p;
	printf "floor (jsonb_to_recordset):     %10.0f events/s (%.1f batches/s)\n", f * n, f;
	printf "ratio publish/floor:            %10.2f (target >= 0.5; target >= 200000 events/s)\n", p / f;
	printf "RESULT\tpublish(), %d clients\t%.0f\tevents/s\tfloor (INSERT from jsonb_to_recordset)\t%.0f\t%.2f\t>= 0.5\n", c, p * n, f * n, p / f;
}'
