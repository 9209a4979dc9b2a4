#!/usr/bin/env bash
# Event partitions (docs/operations.md), on a cluster of its own with pg_cron
# preloaded (Debian's postgresql-15-cron, installed when missing):
#   1. a new install has no monthly partition; creating the first tenant
#      makes the current month and the 3 after it for every event table, and
#      the application's events of this month land there, none in overflow;
#   2. maintenance under traffic: an application (a login of
#      experiments_client, its key) publishes goals of this month and of a
#      month without partition (historic, so into the overflow partition) in
#      short transactions while the operator (a login of experiments_operator,
#      not a superuser) runs CALL experiments.maintain_partitions() three
#      times: every run succeeds, every event the writer stored is there, and
#      none is left in an overflow partition;
#   3. the application and an analyst may not run maintenance (42501);
#   4. retention: keep leaves old months; detach retires the months older
#      than keep_months but not those from the month a running experiment
#      started in; the detached table keeps its rows and is a plain table;
#      force retires them too; drop drops them; the step called directly on a
#      protected month is refused (55006);
#   5. pg_cron: schedule_maintenance() without the extension is 0A000; with
#      it, one job in cron.job (a second call reschedules the same job), and
#      its command run once succeeds;
#   6. pg_partman (Debian's postgresql-15-partman, installed when missing)
#      takes over with the SQL block of docs/operations.md: every row kept,
#      events land in its partitions, its maintenance makes months ahead with
#      the indexes, and create_tenant() and maintain_partitions() make none.
set -euo pipefail
cd "$(dirname "$0")/../.."
WRITE_SECONDS=${PARTITIONS_WRITE_SECONDS:-4}
DB=parts

test/deps postgresql-15-cron
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
if [ ! -f "$("$PGBIN/pg_config" --pkglibdir)/pg_cron.so" ]; then
	echo "pg_cron is not in the server's library directory ($("$PGBIN/pg_config" --pkglibdir)): install postgresql-15-cron"
	exit 1
fi
# The runner's cluster (test/cluster) is not this suite's.
unset EXP_CLUSTER_DIR EXP_CLUSTER_LOG
work=$(mktemp -d /tmp/experiments-partitions.XXXXXX)
writer=
cleanup() {
	[ -z "$writer" ] || kill "$writer" 2>/dev/null || true
	cluster_remove
	rm -rf "$work"
}
trap cleanup EXIT
cluster_start "shared_preload_libraries = 'pg_cron'" "cron.database_name = '$DB'"
createdb "$DB"
export PGDATABASE=$DB

q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
monthly() { q -c "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname ~ '_\d{6}$'"; }
overflow() { q -c "SELECT sum(n) FROM (SELECT count(*) AS n FROM experiments.exposures_overflow UNION ALL SELECT count(*) FROM experiments.goal_events_overflow UNION ALL SELECT count(*) FROM experiments.attribute_events_overflow UNION ALL SELECT count(*) FROM experiments.campaign_activations_overflow UNION ALL SELECT count(*) FROM experiments.actions_overflow UNION ALL SELECT count(*) FROM experiments.custom_events_overflow UNION ALL SELECT count(*) FROM experiments.transactions_overflow UNION ALL SELECT count(*) FROM experiments.transaction_items_overflow UNION ALL SELECT count(*) FROM experiments.visits_overflow) s"; }

# 1. Partitions before events.
q -c "CREATE EXTENSION experiments"
[ "$(monthly)" = 0 ] || fail "a new install has monthly partitions"
tenant=$(q -c "SELECT experiments.create_tenant('parts')")
[ "$(monthly)" = 36 ] || fail "the first tenant made $(monthly) monthly partitions, not 9 tables x 4 months"
key=$(q -c "SELECT experiments.create_api_key('$tenant', 'shop', 'client')")
q <<'SQL'
CREATE ROLE parts_app LOGIN IN ROLE experiments_client;
CREATE ROLE parts_bi LOGIN IN ROLE experiments_analyst;
CREATE ROLE parts_ops LOGIN IN ROLE experiments_operator;
SQL
now_ms=$(q -c "SELECT (extract(epoch FROM now()) * 1000)::bigint")
q -U parts_app -c "BEGIN" -c "SELECT experiments.authenticate('$key')" \
	-c "SELECT experiments.publish('{\"requests\": [{\"units\": [{\"type\": \"user_id\", \"uid\": \"first\"}], \"publishedAt\": $now_ms,
		\"goals\": [{\"name\": \"buy\", \"achievedAt\": $now_ms}], \"attributes\": [{\"name\": \"a\", \"value\": 1, \"setAt\": $now_ms}]}]}')->'ok'" \
	-c "COMMIT" >/dev/null
[ "$(overflow)" = 0 ] || fail "this month's events landed in an overflow partition"
echo "1. a new install: no monthly partition; the first tenant made 36 (9 tables x this month and 3 ahead); this month's events: 0 in overflow"

# 2. Maintenance under traffic. March 2024 has no partition: its goals go to
# the overflow partition until maintenance makes the month.
old_ms=$(q -c "SELECT (extract(epoch FROM timestamptz '2024-03-15 12:00+00') * 1000)::bigint")
psql -X -q -v ON_ERROR_STOP=1 -U parts_app >"$work/writer.out" 2>&1 <<SQL &
DO \$\$
DECLARE
	n integer := 0;
	until timestamptz := clock_timestamp() + interval '$WRITE_SECONDS seconds';
BEGIN
	WHILE clock_timestamp() < until LOOP
		PERFORM experiments.authenticate('$key');
		IF NOT (experiments.publish(format('{"requests": [{"units": [{"type": "user_id", "uid": "w%s"}], "publishedAt": $now_ms, "historic": true,
			"goals": [{"name": "buy", "achievedAt": $old_ms}, {"name": "buy", "achievedAt": $now_ms}]}]}', n)::jsonb)->>'ok')::boolean THEN
			RAISE EXCEPTION 'batch % refused', n;
		END IF;
		n := n + 1;
		COMMIT;
	END LOOP;
	RAISE NOTICE 'batches stored: %', n;
END;
\$\$;
SQL
writer=$!
sleep 1
[ "$(q -c "SELECT count(*) FROM experiments.goal_events_overflow")" -gt 0 ] || fail "the writer's March 2024 goals are not in the overflow partition"
for run in 1 2 3; do
	q -U parts_ops -c "CALL experiments.maintain_partitions()" 2>"$work/maintenance.$run" ||
		{ cat "$work/maintenance.$run"; fail "maintenance run $run failed under traffic"; }
	sleep 0.5
done
wait "$writer" || { cat "$work/writer.out"; fail "the writer failed"; }
writer=
batches=$(sed -n 's/.*batches stored: \([0-9]*\).*/\1/p' "$work/writer.out")
[ -n "$batches" ] && [ "$batches" -gt 20 ] || { cat "$work/writer.out"; fail "the writer stored too few batches"; }
stored=$(q -c "SELECT count(*) FROM experiments.goal_events WHERE unit ~ '^w'")
[ "$stored" = $((2 * batches)) ] || fail "$((2 * batches)) goals written, $stored stored"
[ "$(overflow)" = 0 ] || fail "$(overflow) events left in overflow partitions after maintenance"
[ "$(q -c "SELECT count(*) FROM experiments.goal_events_202403 WHERE unit ~ '^w'")" = "$batches" ] ||
	fail "the March 2024 goals are not all in their partition"
echo "2. $batches batches ($stored goals) written during 3 maintenance runs as experiments_operator: all succeeded, 0 lost, 0 in overflow"

# 3. Only the operator runs maintenance.
for role in parts_app parts_bi; do
	for call in "CALL experiments.maintain_partitions()" "SELECT experiments.create_event_partitions()" \
		"SELECT experiments.set_partition_policy('*', 'drop', 1)"; do
		if psql -X -q -U "$role" -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$call" >/dev/null 2>"$work/refused"; then
			fail "$role may run: $call"
		fi
		grep -q "42501" "$work/refused" || { cat "$work/refused"; fail "$role: $call failed otherwise"; }
	done
done
echo "3. the client and the analyst may not run maintenance nor set a policy (42501)"

# 4. Retention. Goals and attributes of January to June 2025; an experiment
# running since March 2025.
q -c "BEGIN" -c "SET LOCAL experiments.tenant = '$tenant'" -c "
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at)
SELECT 'user_id', 'r' || g, 'buy', timestamptz '2025-01-10 00:00+00' + (g % 6) * interval '1 month' FROM generate_series(1, 600) g;
INSERT INTO experiments.attribute_events (unit_type, unit, name, value, set_at)
SELECT 'user_id', 'r' || g, 'a', '1', timestamptz '2025-01-10 00:00+00' + (g % 6) * interval '1 month' FROM generate_series(1, 600) g;
SELECT id FROM experiments.create_experiment('since_march', '[{\"key\": \"a\", \"allocation\": 100}]', start => true);
SET LOCAL session_replication_role = replica;
UPDATE experiments.experiments SET started_at = '2025-03-15 00:00+00' WHERE key = 'since_march';" -c "COMMIT" >/dev/null
attached() { q -c "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname ~ '^$1_2025\d\d$'"; }
q -U parts_ops -c "CALL experiments.maintain_partitions()"
[ "$(attached goal_events)" = 6 ] && [ "$(attached attribute_events)" = 6 ] || fail "maintenance did not make the months of 2025"
[ "$(overflow)" = 0 ] || fail "rows left in overflow"
echo "4a. keep (no policy): 6 months of 2025 attached for goals and attributes"
q -U parts_ops -c "SELECT experiments.set_partition_policy('goal_events', 'detach', 1)" \
	-c "SELECT experiments.set_partition_policy('attribute_events', 'drop', 1)" >/dev/null
q -U parts_ops -c "CALL experiments.maintain_partitions()"
[ "$(attached goal_events)" = 4 ] || fail "detach with a running experiment since March 2025 left $(attached goal_events) months of 2025, not 4"
[ "$(attached attribute_events)" = 4 ] || fail "drop left $(attached attribute_events) months of 2025, not 4"
[ "$(q -c "SELECT count(*) FROM experiments.goal_events_202501_detached")" = 100 ] || fail "the detached January 2025 lost rows"
[ "$(q -c "SELECT relispartition FROM pg_class WHERE relname = 'goal_events_202501_detached'")" = f ] || fail "still a partition"
[ -z "$(q -c "SELECT to_regclass('experiments.attribute_events_202501')")" ] || fail "the dropped month exists"
[ -n "$(q -c "SELECT to_regclass('experiments.goal_events_202403_detached')")" ] || fail "March 2024 was not detached"
if q -U parts_ops -v VERBOSITY=verbose -c "SELECT experiments_internal.retire_event_partition('goal_events', '2025-04-01', 'drop', false)" 2>"$work/guard"; then
	fail "a month of a running experiment was dropped"
fi
grep -q 55006 "$work/guard" || { cat "$work/guard"; fail "the guard failed otherwise"; }
echo "4b. detach and drop, keep 1 month: January and February 2025 retired, March to June kept for the experiment running since March (55006 when asked directly); the detached table is plain and has its 100 rows"
q -U parts_ops -c "CALL experiments.maintain_partitions(force => true)"
[ "$(attached goal_events)" = 0 ] && [ "$(attached attribute_events)" = 0 ] || fail "force retired not every old month"
[ "$(q -c "SELECT count(*) FROM experiments.goal_events")" = "$(q -c "SELECT count(*) FROM experiments.goal_events WHERE achieved_at >= date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month'")" ] ||
	fail "goals older than the kept month remain attached"
echo "4c. force: every month before the kept one retired"

# 5. pg_cron.
if q -v VERBOSITY=verbose -c "SELECT experiments.schedule_maintenance()" 2>"$work/nocron"; then
	fail "schedule_maintenance() without pg_cron succeeded"
fi
grep -q 0A000 "$work/nocron" || { cat "$work/nocron"; fail "without pg_cron: not 0A000"; }
q -c "CREATE EXTENSION pg_cron"
q -c "SELECT experiments.schedule_maintenance()" >/dev/null
q -c "SELECT experiments.schedule_maintenance('5 4 * * *')" >/dev/null
[ "$(q -c "SELECT count(*) || ' ' || min(schedule) || ' ' || min(command) FROM cron.job WHERE jobname = 'experiments-partition-maintenance'")" = \
	"1 5 4 * * * CALL experiments.maintain_partitions()" ] || { q -c "TABLE cron.job"; fail "cron.job does not hold the one job"; }
q -c "SELECT experiments.set_partition_policy('*', 'keep', NULL, 5)" >/dev/null
q -c "$(q -c "SELECT command FROM cron.job WHERE jobname = 'experiments-partition-maintenance'")"
[ "$(q -c "SELECT count(*) FROM pg_class WHERE relname = 'visits_' || to_char(now() AT TIME ZONE 'UTC' + interval '5 months', 'YYYYMM')")" = 1 ] ||
	fail "the job's command did not create 5 months ahead"
[ "$(overflow)" = 0 ] || fail "rows in overflow at the end"
echo "5. pg_cron: 0A000 without it; one job in cron.job (rescheduled by a second call); its command run once made the months ahead the policy asks"

# 6. pg_partman takes over, with the SQL of docs/operations.md, in a database
# of its own: events keep landing in monthly partitions, now pg_partman's.
test/deps postgresql-15-partman
[ -f "$("$PGBIN/pg_config" --sharedir)/extension/pg_partman.control" ] || fail "pg_partman is not installed for this server"
createdb handover
export PGDATABASE=handover
q -c "CREATE EXTENSION experiments"
tenant=$(q -c "SELECT experiments.create_tenant('handover')")
key=$(q -c "SELECT experiments.create_api_key('$tenant', 'shop', 'client')")
publish_goal() { # uid time_ms: the application publishes one goal
	q -U parts_app -c "BEGIN" -c "SELECT experiments.authenticate('$key')" \
		-c "SELECT experiments.publish('{\"requests\": [{\"units\": [{\"type\": \"user_id\", \"uid\": \"$1\"}], \"publishedAt\": $now_ms, \"historic\": true,
			\"goals\": [{\"name\": \"buy\", \"achievedAt\": $2}]}]}')->'ok'" -c "COMMIT" >/dev/null
}
publish_goal before "$now_ms"
publish_goal old "$old_ms"
rows_before=$(q -c "SELECT count(*) FROM experiments.goal_events")
awk '/^## Handing over to pg_partman/ {h = 1} h && /^```sql$/ {s = 1; next} s && /^```$/ {exit} s' docs/operations.md >"$work/handover.sql"
[ -s "$work/handover.sql" ] || fail "no hand-over block in docs/operations.md"
# (pg_partman warns that it created no child table: they all exist, renamed)
q -f "$work/handover.sql" >/dev/null 2>"$work/handover.err" || { cat "$work/handover.err"; fail "the hand-over failed"; }
[ "$(q -c "SELECT count(*) FROM partman.part_config WHERE parent_table LIKE 'experiments.%'")" = 9 ] || fail "pg_partman does not manage the 9 event tables"
[ "$(q -c "SELECT count(*) FROM experiments.goal_events")" = "$rows_before" ] || fail "the hand-over lost rows"
publish_goal after "$now_ms"
[ "$(q -c "SELECT tableoid::regclass FROM experiments.goal_events WHERE unit = 'after'")" = \
	"experiments.goal_events_p$(q -c "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM')")" ] ||
	fail "this month's goal is not in pg_partman's partition"
q -c "UPDATE partman.part_config SET premake = 5 WHERE parent_table LIKE 'experiments.%'" -c "SET TimeZone = 'UTC'" -c "SELECT partman.run_maintenance()" >/dev/null
ahead=goal_events_p$(q -c "SELECT to_char(now() AT TIME ZONE 'UTC' + interval '5 months', 'YYYY_MM')")
[ "$(q -c "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass('experiments.$ahead')")" = 2 ] ||
	fail "pg_partman's maintenance did not make $ahead with the 2 indexes of a goals partition"
# (publish() stores an event from the future at its publishedAt: a row written as the functions write it)
q -c "BEGIN" -c "SET LOCAL experiments.tenant = '$tenant'" \
	-c "INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at) VALUES ('user_id', 'ahead', 'buy', now() + interval '5 months')" -c "COMMIT" >/dev/null
[ "$(q -c "SELECT tableoid::regclass FROM experiments.goal_events WHERE unit = 'ahead'")" = "experiments.$ahead" ] ||
	fail "a goal 5 months ahead is not in pg_partman's partition"
q -c "SELECT experiments.create_tenant('second')" >/dev/null
q -U parts_ops -c "CALL experiments.maintain_partitions()"
[ "$(q -c "SELECT count(*) FROM pg_class WHERE relname ~ '^[a-z_]+_\d{6}$' AND relnamespace = 'experiments'::regnamespace")" = 0 ] ||
	fail "experiments made partitions of its own after the hand-over"
[ "$(q -c "SELECT count(*) FROM partman.check_default(true)")" = 0 ] || fail "rows in pg_partman's default partitions"
echo "6. pg_partman: the hand-over of docs/operations.md kept every row; events of this month and 5 months ahead land in pg_partman's partitions (made with our indexes); create_tenant() and maintain_partitions() still run and make none; nothing in a default partition"
