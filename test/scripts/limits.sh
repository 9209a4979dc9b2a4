#!/usr/bin/env bash
# Limits: one huge request must not take the server down.
#   1. A 100 MB batch body sent to publish_text() as query text is refused
#      (54000, over experiments.max_batch_size) within LIMIT_RATIO (2) times
#      what the server takes, in the same run, to receive the same text as a
#      literal and measure it (SELECT octet_length: the floor), and
#      the backend's peak resident memory (VmHWM) grows by less than
#      LIMIT_BODY_FACTOR (5) times the body: the body is not parsed.
#   2. A batch under the cap whose processing takes long is cancelled by
#      statement_timeout (57014) and stores nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
LIMIT_RATIO=${LIMIT_RATIO:-2}
LIMIT_BODY_FACTOR=${LIMIT_BODY_FACTOR:-5}
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
cluster_scratch limits

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION experiments;
SELECT experiments.create_event_partitions(1);
SELECT experiments.create_tenant('limits');
SQL

# body FILE REQUESTS GOALS: a valid batch of REQUESTS requests of GOALS goals each
body() {
	python3 - "$@" <<'PY'
import sys, time
path, requests, goals = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
now = int(time.time() * 1000)
goal = ('{"name": "g%d", "achievedAt": ' + str(now) + ', "properties": {"padding": "' + 'x' * 140 + '"}}')
request = ('{"units": [{"type": "user_id", "uid": "u%d"}], "goals": ['
		   + ', '.join(goal % g for g in range(goals)) + ']}')
with open(path, 'w') as f:
	f.write('{"requests": [' + ', '.join(request % r for r in range(requests)) + ']}')
PY
}

# 0. A batch under the cap is published as publish() would: the same
# document sent again to publish() is the same batch, stored once.
small=$(psql -X -q -tA -v ON_ERROR_STOP=1 <<'SQL'
BEGIN;
SELECT experiments.set_tenant(id) FROM experiments.tenants WHERE name = 'limits' \g /dev/null
SELECT format('{"requests": [{"units": [{"type": "user_id", "uid": "small"}], "goals": [{"name": "g", "achievedAt": %s}]}]}',
	floor(extract(epoch FROM now()) * 1000)) AS doc \gset
SELECT experiments.publish_text(:'doc') = experiments.publish(:'doc'::jsonb), experiments.publish_text(:'doc') ->> 'ok';
SELECT count(*) FROM experiments.goal_events WHERE tenant_id = experiments.current_tenant();
ROLLBACK;
SQL
)
[ "$(echo $small)" = "t|true 1" ] || { echo "publish_text() of a small batch: $small"; exit 1; }

# 1. 100 MB: 500 requests of 1000 goals of about 200 bytes.
body "$work/huge.json" 500 1000
size=$(stat -c %s "$work/huge.json")
psql -X -q -tA -v body_file="$work/huge.json" >"$work/huge.out" 2>"$work/huge.err" <<'SQL'
\set body `cat :body_file`
SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s*(\d+)') AS hwm_before \gset
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
BEGIN;
SELECT experiments.set_tenant(id) FROM experiments.tenants WHERE name = 'limits' \g /dev/null
SELECT experiments.publish_text(:'body');
ROLLBACK;
SELECT round(extract(epoch FROM clock_timestamp()) - :t0, 2) AS seconds,
	(substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s*(\d+)')::bigint - :hwm_before) / 1024 AS grown_mb \gset
-- the floor, last: its own peak memory must not hide publish_text()'s
SELECT extract(epoch FROM clock_timestamp()) AS f0 \gset
SELECT octet_length(:'body') AS bytes \gset
SELECT :seconds, round(extract(epoch FROM clock_timestamp()) - :f0, 2) AS floor_seconds, :grown_mb;
SQL
grep -q "more than experiments.max_batch_size" "$work/huge.err" || { echo "the 100 MB body was not refused:"; cat "$work/huge.err"; exit 1; }
read -r seconds floor_seconds grown_mb < <(tr '|' ' ' <"$work/huge.out" | tail -1)
echo "a $((size / 1048576)) MB body: refused in $seconds s (the floor, receiving it: $floor_seconds s), backend peak memory grew by $grown_mb MB"
awk -v s="$seconds" -v f="$floor_seconds" -v r="$LIMIT_RATIO" 'BEGIN {exit !(s <= r * f)}' ||
	{ echo "slower than $LIMIT_RATIO times the floor"; exit 1; }
[ "$grown_mb" -lt $((size / 1048576 * LIMIT_BODY_FACTOR)) ] ||
	{ echo "the backend grew by more than $LIMIT_BODY_FACTOR times the body"; exit 1; }

# 2. Under the cap (about 6 MB) but slow to store: statement_timeout stops it.
body "$work/big.json" 300 100
psql -X -q -tA -v body_file="$work/big.json" >"$work/big.out" 2>"$work/big.err" <<'SQL'
\set body `cat :body_file`
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
BEGIN;
SELECT experiments.set_tenant(id) FROM experiments.tenants WHERE name = 'limits' \g /dev/null
CREATE TEMPORARY TABLE batch ON COMMIT DROP AS SELECT :'body'::text AS body;
-- armed for the batch alone: a timeout firing as an earlier statement ends
-- would be reported on the next one as a cancel "due to user request". The
-- body comes from a table, not the query text: a timeout firing while 6 MB
-- of query text are parsed is reported the same way (PostgreSQL 15 arms the
-- timeout again, clearing its flag, between parsing and execution).
SET LOCAL statement_timeout = '50ms';
SELECT experiments.publish_text(body) FROM batch \g /dev/null
ROLLBACK;
SELECT round(extract(epoch FROM clock_timestamp()) - :t0, 2), (SELECT count(*) FROM experiments.goal_events g JOIN experiments.tenants t ON t.id = g.tenant_id WHERE t.name = 'limits');
SQL
grep -q "canceling statement due to statement timeout" "$work/big.err" ||
	{ echo "statement_timeout did not stop a $(($(stat -c %s "$work/big.json") / 1048576)) MB batch:"; cat "$work/big.err" "$work/big.out"; exit 1; }
read -r seconds stored < <(tr '|' ' ' <"$work/big.out" | tail -1)
[ "$stored" = 0 ] || { echo "the cancelled batch stored $stored goals"; exit 1; }
echo "a $(($(stat -c %s "$work/big.json") / 1048576)) MB batch under the cap: cancelled by statement_timeout = 50ms after $seconds s, nothing stored"
