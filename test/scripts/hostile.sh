#!/usr/bin/env bash
# Hostile clients: test/hostile/hostile.py sends what a hostile client would
# (batches shaped to write many rows, bodies over the size cap, 10 MB names
# and ids, the same AB Tasty transaction from several connections at once
# under READ COMMITTED and REPEATABLE READ with retries, events with one
# idempotency key sent concurrently, overlapping layer claims under
# REPEATABLE READ, range moves of an experiment with enrolled units,
# enrolments racing an admin's shrink of their experiment's range), counts
# what it tried and fails on any crash, request past its time bound, partial
# write, double count or unit in two experiments of a layer. It measures per
# request the rows written against their documented bound and the backend's
# peak memory (VmHWM) against the body's size (docs/events.md, "Hostile
# clients"). Bounded: HOSTILE_SECONDS (90) for the whole suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
HOSTILE_SECONDS=${HOSTILE_SECONDS:-90}
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
cluster_scratch hostile
test/deps python3-psycopg

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION experiments;
SELECT experiments.create_event_partitions(1);
SELECT experiments.create_tenant('hostile');
DROP ROLE IF EXISTS hostile_client;
DROP ROLE IF EXISTS hostile_admin;
CREATE ROLE hostile_client LOGIN IN ROLE experiments_client;
CREATE ROLE hostile_admin LOGIN IN ROLE experiments_admin;
SQL
# shellcheck disable=SC2064
trap "rm -rf '$work'; dropdb --if-exists hostile >/dev/null 2>&1 || true; psql -X -q -c 'DROP ROLE IF EXISTS hostile_client' -c 'DROP ROLE IF EXISTS hostile_admin' >/dev/null 2>&1 || true" EXIT
HOSTILE_TENANT=$(psql -X -tA -c "SELECT id FROM experiments.tenants WHERE name = 'hostile'")
HOSTILE_KEYS=$(psql -X -tA -c "SELECT experiments.create_api_key('$HOSTILE_TENANT', 'hostile client') || ' ' || experiments.create_api_key('$HOSTILE_TENANT', 'hostile admin', 'admin')")
export HOSTILE_TENANT HOSTILE_KEYS
postmaster=$(head -1 "$EXP_CLUSTER_DIR/data/postmaster.pid")
log_start=$(stat -c %s "$EXP_CLUSTER_LOG")
status=0
timeout "$HOSTILE_SECONDS" /usr/bin/python3 test/hostile/hostile.py || status=$?
[ "$status" -ne 124 ] || echo "hostile: past its bound of $HOSTILE_SECONDS s"
# No backend crashed (the postmaster would have restarted them all).
if tail -c +$((log_start + 1)) "$EXP_CLUSTER_LOG" |
	grep -E "terminated by signal|was terminated|server process .* exited with exit code [^0]"; then
	echo "hostile: a backend crashed"
	status=1
fi
[ "$(head -1 "$EXP_CLUSTER_DIR/data/postmaster.pid")" = "$postmaster" ] || { echo "hostile: the server restarted"; status=1; }
exit "$status"
