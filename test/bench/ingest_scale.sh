#!/usr/bin/env bash
# Benchmark of ingest as the month grows (never part of make test), run against
# the cluster of test/cluster:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/ingest_scale.sh'
# Two clients publish the batches of events.sh (500 requests, each with 1 unit,
# 5 exposures and 2 goals: 3,500 events a batch) into the current month of
# two databases of the same cluster, set up alike: in one the month is empty
# (but for the batches published), in the other it holds ROWS more rows
# (default 20,000,000: half exposures of the 5 experiments, half goals, of
# random units, earlier in the month). Runs alternate between the two, RUNS
# times each (default 3), so that whatever else the machine does weighs on
# both alike; the ratio is the full month's median throughput to the empty
# month's; flat means at least 0.5. The month's indexes are those every monthly partition
# gets (create_event_partition_indexes()): indexes written at random places,
# as a B-tree keyed by unit is, slow every insert once they outgrow shared
# buffers (512 MB in test/cluster).
set -euo pipefail
BATCHES=${BATCHES:-40}			# per run; each client publishes BATCHES / 2
ROWS=${ROWS:-20000000}
CLIENTS=2
EVENTS_PER_BATCH=3500
RUNS=${RUNS:-3}

# setup DB: a tenant, its 5 experiments, partitions and RUNS x BATCHES batches
setup() {
	createdb "$1"
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<SQL
CREATE EXTENSION experiments;
SELECT experiments.create_tenant('bench') AS tenant \gset
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT experiments.create_experiment('exp_' || e, '[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true)
FROM generate_series(0, 4) e \g /dev/null
COMMIT;
SELECT experiments.create_event_partitions(1) \g /dev/null
\set batches $((BATCHES * RUNS))
\i '$(dirname "$0")/publish_batches.sql'
VACUUM ANALYZE;
SQL
}
setup bench_ingest_empty
setup bench_ingest_full
export PGDATABASE=bench_ingest_full
cat >"$EXP_CLUSTER_DIR/publish.sql" <<'SQL'
SELECT experiments.publish(b.batch)->'ok' FROM bench_batches b WHERE b.id = (SELECT nextval('bench_publish_seq'));
SQL

# run DB: batches per second over CLIENTS clients, BATCHES batches
run() {
	local tenant
	tenant=$(psql -X -At -d "$1" -c "SELECT id FROM experiments.tenants WHERE name = 'bench'")
	psql -X -q -d "$1" -c CHECKPOINT
	PGOPTIONS="-c experiments.tenant=$tenant" "$PGBIN/pgbench" -n -c "$CLIENTS" -j "$CLIENTS" \
		-t $((BATCHES / CLIENTS)) -f "$EXP_CLUSTER_DIR/publish.sql" "$1" 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
tenant=$(psql -X -At -c "SELECT id FROM experiments.tenants WHERE name = 'bench'")

echo "== loading $ROWS rows into this month's exposures and goal events"
start=$(date +%s)
# Loaded without indexes, which are then built as create_event_partition_indexes()
# builds them for a new partition: the same indexes, in minutes instead of hours.
psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET experiments.tenant = '$tenant';
CREATE TEMPORARY TABLE month AS
SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS lo, now() - interval '1 hour' AS hi;
SELECT format('DROP INDEX %s', i.indexrelid::regclass)
FROM pg_catalog.pg_index i
WHERE i.indrelid IN (format('experiments.exposures_%s', to_char(now() AT TIME ZONE 'UTC', 'YYYYMM'))::regclass,
					 format('experiments.goal_events_%s', to_char(now() AT TIME ZONE 'UTC', 'YYYYMM'))::regclass) \gexec
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT x.ids[g % 5 + 1], g % 2, 'user_id', 'u-' || ((g::bigint * 2654435761) % 1000000007),
	   m.lo + (m.hi - m.lo) * (g::float8 / ($ROWS / 2)), true, true, false, false, false, false
FROM generate_series(0, $ROWS / 2 - 1) g, month m,
	 (SELECT array_agg(id ORDER BY id) AS ids FROM experiments.experiments) x;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u-' || ((g::bigint * 2246822519) % 1000000007), CASE WHEN g % 2 = 0 THEN 'click' ELSE 'purchase' END,
	   m.lo + (m.hi - m.lo) * (g::float8 / ($ROWS / 2)), '{}'
FROM generate_series(0, $ROWS / 2 - 1) g, month m;
SELECT experiments_internal.create_event_partition_indexes(t, format('%s_%s', t, to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')))
FROM unnest(ARRAY['exposures', 'goal_events']) t \g /dev/null
VACUUM ANALYZE experiments.exposures;
VACUUM ANALYZE experiments.goal_events;
SQL
echo "loaded in $(( $(date +%s) - start )) s"
psql -X -q -c "SELECT c.relname AS index, pg_size_pretty(pg_relation_size(c.oid)) AS size
	FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
	WHERE i.indrelid::regclass::text ~ ('^experiments\.(exposures|goal_events)_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM') || '$')
	ORDER BY 1"
empty=()
full=()
for _ in $(seq "$RUNS"); do
	empty+=("$(run bench_ingest_empty)")
	full+=("$(run bench_ingest_full)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "runs (batches/s), empty month: ${empty[*]}; full month: ${full[*]}"
empty_tps=$(median "${empty[@]}")
full_tps=$(median "${full[@]}")

awk -v e="$empty_tps" -v f="$full_tps" -v n="$EVENTS_PER_BATCH" -v c="$CLIENTS" -v rows="$ROWS" 'BEGIN {
	printf "clients: %d, batches of 500 requests x (1 unit, 5 exposures, 2 goals) = %d events\n", c, n;
	printf "publish(), empty month (median):   %10.0f events/s\n", e * n;
	printf "publish(), month of %d rows: %10.0f events/s\n", rows, f * n;
	printf "ratio full/empty:                  %10.2f (target >= 0.5)\n", f / e;
	printf "RESULT\tpublish(), %d clients, month of %gM rows\t%.0f\tevents/s\tthe same, empty month\t%.0f\t%.2f\t>= 0.5\n", c, rows / 1e6, f * n, e * n, f / e;
}'
