#!/usr/bin/env bash
# Crash recovery: on a cluster of its own with fsync = on, clients publish
# batches through experiments.publish() in a loop, each batch enrolling its
# unit in the same statement, and record every batch whose commit was
# acknowledged. The postmaster and all its children are killed with SIGKILL
# in the middle; after the restart every acknowledged batch is there whole,
# no batch is there in part, every enrolment matches its batch, assignment
# still answers from the enrolments, and publishing goes on.
#
#   CRASH_CYCLES   kill and restart this many times (default 1)
#   CRASH_SEED     seeds how long the clients run before each kill (default 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
CYCLES=${CRASH_CYCLES:-1}
RANDOM=${CRASH_SEED:-1}
CLIENTS=2

# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
work=$(mktemp -d /tmp/experiments-crash.XXXXXX)
client_pids=()
cleanup() {
	for pid in "${client_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	cluster_remove
	rm -rf "$work"
}
trap cleanup EXIT
cluster_start 'fsync = on' 'synchronous_commit = on' 'full_page_writes = on' 'checkpoint_timeout = 30s'
export PGDATABASE=crash
createdb crash

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION experiments;
CREATE EXTENSION amcheck;
SELECT experiments.create_event_partitions(1);
SELECT experiments.create_tenant('crash');
BEGIN;
SELECT experiments.set_tenant(id) FROM experiments.tenants WHERE name = 'crash';
SELECT experiments.create_experiment('crash_exp',
	'[{"key": "a", "allocation": 34}, {"key": "b", "allocation": 33}, {"key": "c", "allocation": 33}]',
	start => true);
COMMIT;
SQL

# batch_sql N: one statement publishing batch N. Request 0 carries unit
# crash-N, an exposure of the variant enrol() gives it, and 3 goals; request 1
# carries unit crash-N-b, an exposure refused for its variant, and 1 goal.
# Stored whole: 1 enrolment, 1 exposure, 4 goal rows, 1 rejected event.
batch_sql() {
	cat <<-SQL
	BEGIN;
	SELECT experiments.set_tenant(id) FROM experiments.tenants WHERE name = 'crash';
	SELECT experiments.publish(jsonb_build_object('requests', jsonb_build_array(
		jsonb_build_object('units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'crash-$1')),
			'exposures', jsonb_build_array(jsonb_build_object('name', 'crash_exp', 'unit', 'user_id',
				'variant', (experiments.enrol('crash_exp', 'crash-$1')).ordinal, 'exposedAt', now())),
			'goals', (SELECT jsonb_agg(jsonb_build_object('name', 'g' || g, 'achievedAt', now()))
					  FROM generate_series(1, 3) g)),
		jsonb_build_object('units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'crash-$1-b')),
			'exposures', jsonb_build_array(jsonb_build_object('name', 'crash_exp', 'unit', 'user_id',
				'variant', 99, 'exposedAt', now())),
			'goals', jsonb_build_array(jsonb_build_object('name', 'g', 'achievedAt', now()))))),
		'crash-$1');
	COMMIT;
	SQL
}

# client C FIRST: publishes batches FIRST, FIRST+1, ... until the server goes
# away; appends N to acked.C once the COMMIT of batch N was acknowledged, and
# writes the batch it was sending when the server went away to inflight.C.
client() {
	local n=$2
	while [ "$n" -lt $(($2 + 100000)) ]; do
		if ! batch_sql "$n" | psql -X -q -tA -v ON_ERROR_STOP=1 >/dev/null 2>"$work/error.$1"; then
			echo "$n" >"$work/inflight.$1"
			return
		fi
		echo "$n" >>"$work/acked.$1"
		n=$((n + 1))
	done
}

# verify: prints "found N" for every batch found whole, and a line naming
# every problem: a batch present in part, a published_batches row without its
# events, an enrolment that does not match its batch or is not sticky
verify() {
	psql -X -q -tA -v ON_ERROR_STOP=1 <<-'SQL'
	BEGIN;
	SELECT experiments.set_tenant(id) FROM experiments.tenants WHERE name = 'crash' \g /dev/null
	CREATE TEMP TABLE units AS
	SELECT substring(unit FROM '^crash-(\d+)')::bigint AS n, batch_id FROM experiments.goal_events
	UNION ALL SELECT substring(unit FROM '^crash-(\d+)')::bigint, batch_id FROM experiments.exposures
	UNION ALL SELECT substring(unit FROM '^crash-(\d+)')::bigint, NULL FROM experiments.enrolments;
	CREATE TEMP TABLE batches AS
	SELECT n,
		(SELECT count(DISTINCT batch_id) FROM units u WHERE u.n = b.n) AS batch_ids,
		(SELECT count(*) FROM experiments.published_batches p
		 WHERE p.id IN (SELECT batch_id FROM units u WHERE u.n = b.n)) AS published,
		(SELECT count(*) FROM experiments.enrolments WHERE unit = 'crash-' || n) AS enrolments,
		(SELECT count(*) FROM experiments.exposures WHERE unit = 'crash-' || n) AS exposures,
		(SELECT count(*) FROM experiments.goal_events WHERE unit IN ('crash-' || n, 'crash-' || n || '-b')) AS goals,
		(SELECT count(*) FROM experiments.rejected_events
		 WHERE batch_id IN (SELECT batch_id FROM units u WHERE u.n = b.n)) AS rejected,
		(SELECT count(*) FROM experiments.exposures x JOIN experiments.enrolments e
			ON e.unit = x.unit AND e.experiment_id = x.experiment_id AND e.ordinal = x.ordinal
		 WHERE x.unit = 'crash-' || n) AS matching
	FROM (SELECT DISTINCT n FROM units) b;
	SELECT 'published batch ' || id || ' has no events' FROM experiments.published_batches p
	WHERE NOT EXISTS (SELECT FROM units u WHERE u.batch_id = p.id);
	SELECT 'batch ' || n || ' is partial: (batch ids, published, enrolments, exposures, goals, rejected, matching) = '
		|| row(batch_ids, published, enrolments, exposures, goals, rejected, matching)
	FROM batches WHERE (batch_ids, published, enrolments, exposures, goals, rejected, matching) <> (1, 1, 1, 1, 4, 1, 1);
	SELECT e.unit || ' is enrolled in ' || e.ordinal || ' but assign() says ' || row(a.ordinal, a.reason)
	FROM experiments.enrolments e, LATERAL experiments.assign('crash_exp', e.unit) a
	WHERE a.reason <> 'sticky' OR a.ordinal <> e.ordinal;
	SELECT 'found ' || n FROM batches ORDER BY n;
	COMMIT;
	SQL
}

# check_recovered CYCLE: every acknowledged batch is found whole, no batch is
# partial, and a batch found but not acknowledged was in flight
check_recovered() {
	verify >"$work/verify"
	grep '^found ' "$work/verify" | cut -d' ' -f2 | sort >"$work/found"
	if grep -v '^found ' "$work/verify"; then
		echo "cycle $1: the database is inconsistent after the crash"
		exit 1
	fi
	if [ -n "$(comm -23 "$work/acked" "$work/found")" ]; then
		echo "cycle $1: acknowledged batches lost: $(comm -23 "$work/acked" "$work/found" | tr '\n' ' ')"
		exit 1
	fi
	if [ -n "$(comm -13 "$work/all_acked" "$work/found" | comm -23 - "$work/inflight")" ]; then
		echo "cycle $1: batches found that were never sent"
		exit 1
	fi
}

: >"$work/all_acked"
: >"$work/all_inflight"
total_acked=0
for cycle in $(seq 1 "$CYCLES"); do
	rm -f "$work"/acked.* "$work"/inflight.*
	client_pids=()
	for c in $(seq 1 $CLIENTS); do
		client "$c" $((cycle * 1000000 + c * 100000)) &
		client_pids+=($!)
	done
	run_ms=$((1500 + RANDOM % 2000))
	sleep "$((run_ms / 1000)).$(printf '%03d' $((run_ms % 1000)))"
	cluster_kill
	for pid in "${client_pids[@]}"; do
		wait "$pid"
	done
	client_pids=()
	cat "$work"/acked.* 2>/dev/null | sort >"$work/acked"
	cat "$work"/inflight.* "$work/all_inflight" | sort >"$work/inflight"
	cp "$work/inflight" "$work/all_inflight"
	sort "$work/acked" "$work/all_acked" -o "$work/all_acked"
	acked=$(wc -l <"$work/acked")
	if [ "$acked" -eq 0 ]; then
		echo "cycle $cycle: no batch was acknowledged before the kill"
		cat "$work"/error.*
		exit 1
	fi
	total_acked=$((total_acked + acked))

	cluster_restart
	check_recovered "$cycle"
	echo "cycle $cycle: killed after ${run_ms} ms; batches acknowledged $acked, in flight $(cat "$work"/inflight.* | wc -l); found whole after restart $(wc -l <"$work/found") in all, none partial"
done

# Publishing goes on: the batches in flight are sent again (a retry stores
# nothing twice), then new ones; everything is checked again.
while read -r n; do
	batch_sql "$n" | psql -X -q -tA -v ON_ERROR_STOP=1 >/dev/null
	echo "$n" >>"$work/all_acked"
done <"$work/all_inflight"
for n in $(seq 9000001 9000020); do
	batch_sql "$n" | psql -X -q -tA -v ON_ERROR_STOP=1 >/dev/null
	echo "$n" >>"$work/all_acked"
done
sort "$work/all_acked" -o "$work/all_acked"
cp "$work/all_acked" "$work/acked"
check_recovered after
if [ "$(wc -l <"$work/found")" -ne "$(wc -l <"$work/all_acked")" ]; then
	echo "after the crashes: $(wc -l <"$work/found") batches found, $(wc -l <"$work/all_acked") acknowledged"
	exit 1
fi
"$PGBIN/pg_amcheck" --heapallindexed -d crash >"$work/amcheck" 2>&1 || { cat "$work/amcheck"; exit 1; }
echo "crash recovery: $CYCLES SIGKILL(s); $total_acked batches acknowledged before the kills, all found whole; no partial batch; $(wc -l <"$work/found") batches in all after publishing went on; amcheck clean"
