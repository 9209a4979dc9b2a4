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
#   3. Results whose units outgrew work_mem answer a cancel while they read
#      their temporary files back, when no query of theirs runs: within a
#      third of the time that reading takes (an analyst cancelling its own
#      call, as a client library or PostgREST's timeout does).
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

# 3. Results reading their spilled units back: 2,000,000 exposures of 400,000
# units in March 2026 and 400,000 goals, read at work_mem 64kB by an analyst.
experiment=$(psql -X -q -tA -v ON_ERROR_STOP=1 <<'SQL'
BEGIN;
SELECT experiments.set_tenant(id) FROM experiments.tenants WHERE name = 'limits' \g /dev/null
SELECT id AS experiment FROM experiments.create_experiment('spilled',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true) \gset
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :experiment, g % 2, 'user_id', 'u' || g % 400000, timestamptz '2026-03-01 00:00+00' + g * interval '1 second',
	   true, true, false, false, false, false
FROM generate_series(0, 1999999) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u' || g, 'checkout', timestamptz '2026-03-25 00:00+00' + g * interval '1 second', jsonb_build_object('value', g % 50)
FROM generate_series(0, 399999) g;
COMMIT;
DO $$BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'limits_analyst') THEN
		CREATE ROLE limits_analyst LOGIN IN ROLE experiments_analyst;
	END IF;
END$$;
SELECT :experiment;
SQL
)
analyst_key=$(psql -X -q -tA -v ON_ERROR_STOP=1 -c "SELECT experiments.create_api_key(id, 'limits analyst', 'analyst') FROM experiments.tenants WHERE name = 'limits'")
/usr/bin/python3 - "$analyst_key" "$experiment" <<'PY'
import sys, time, psycopg
key, experiment = sys.argv[1], int(sys.argv[2])
options = '-c work_mem=64kB -c client_min_messages=debug1'
call = psycopg.connect(user='limits_analyst', options=options)
canceller = psycopg.connect(user='limits_analyst', autocommit=True)
pid = call.execute('SELECT pg_backend_pid()').fetchone()[0]
call.rollback()
marks = {}
def on_notice(notice):
	# daily_metrics() says so as it starts reading its temporary files back
	if 'reading back' in (notice.message_primary or '') and 'read_back' not in marks:
		marks['read_back'] = time.perf_counter()
		if marks.get('cancel_at_read_back'):
			canceller.execute('SELECT pg_cancel_backend(%s)', (pid,))
			marks['cancelled'] = time.perf_counter()
call.add_notice_handler(on_notice)
def results():
	call.execute('SELECT experiments.authenticate(%s)', (key,))
	return call.execute("SELECT count(*) FROM experiments.experiment_results(%s, '2026-03-01 00:00+00', '2026-04-01 00:00+00')",
						(experiment,)).fetchone()[0]
rows = results()
call.rollback()
read_back = time.perf_counter() - marks['read_back']
marks = {'cancel_at_read_back': True}
try:
	results()
	sys.exit('results not cancelled while reading their temporary files back')
except psycopg.errors.QueryCanceled:
	late = time.perf_counter() - marks['cancelled']
call.rollback()
print(f'results of 400,000 units at work_mem 64kB ({rows} rows): reading back the temporary files took {read_back:.3f} s; '
	  f'cancelled then, the call ended {late:.3f} s after the cancel')
if read_back < 0.1:
	sys.exit('reading back took too little time to tell a prompt cancel from a late one: load more units')
if late > read_back / 3:
	sys.exit('the cancel was not answered while the temporary files were read back')
PY
