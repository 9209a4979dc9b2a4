#!/usr/bin/env bash
# Benchmark of results as an experiment grows (never part of make test), run
# against the cluster of test/cluster:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/results_scale.sh'
# One experiment per size in SIZES (million exposures, default 1 10 30), each
# of a tenant of its own (goals are the tenant's), in time order over March
# 2026, its units exposed 5 times each, and a goal
# event (with a value) for every fifth exposure's unit, an hour later. After
# loading, maintenance rolls March up (src/events/rollups.sql). For each
# size: a bare count(*) of the experiment's exposure rows, its results
# (experiment_results over March) from the exposure rows
# (experiments.read_exposure_rollups = off) and from the rollup, RUNS times
# each (default 3), alternately, each call its own session and transaction;
# and, in one more call each that is not timed, the backend's peak anonymous
# memory (RssAnon of /proc/PID/status, sampled every 20 ms, less the same
# before the call) during the results, at work_mem 4MB. Targets (issue
# #21): time <= 2 x count(*); memory bounded by work_mem, so flat as the
# experiment grows: the peak at the largest size within 2 times that at the
# smallest.
set -euo pipefail
SIZES=${SIZES:-1 10 30}
RUNS=${RUNS:-3}
createdb bench_results_scale
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d bench_results_scale "$@"; }
psql -c 'CREATE EXTENSION experiments'
psql -c "CREATE TABLE sizes (size integer PRIMARY KEY, tenant_id uuid, experiment_id bigint);
	CREATE TABLE timings (size integer, what text, run integer, seconds float8);
	CREATE TABLE memory (size integer, what text, run integer, kb bigint);"

start=$(date +%s)
for size in $SIZES; do
	echo "== loading ${size}M exposures and $((size * 200000)) goal events"
	# March 2026 has 2,678,400 s: exposure g at g * 2,678,400 / (size M) s.
	tenant=$(psql -Atc "SELECT experiments.create_tenant('bench-$size')")
	psql <<SQL
SET experiments.tenant = '$tenant';
INSERT INTO sizes SELECT $size, '$tenant', id FROM experiments.create_experiment('bench-$size',
	'[{"key": "control", "allocation": 50}, {"key": "treatment", "allocation": 50}]', start => true);
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT s.experiment_id, (g % ($size * 200000)) % 2, 'user_id', 'u$size-' || (g % ($size * 200000)),
	   timestamptz '2026-03-01 00:00+00' + g * (interval '2678399 seconds' / ($size * 1000000)),
	   true, true, false, false, false, false
FROM sizes s, generate_series(0, $size * 1000000 - 1) g WHERE s.size = $size;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u$size-' || ((g * 5) % ($size * 200000)), CASE WHEN g % 3 = 0 THEN 'signup' ELSE 'checkout' END,
	   least(timestamptz '2026-03-01 01:00+00' + g * 5 * (interval '2678399 seconds' / ($size * 1000000)),
			 timestamptz '2026-03-31 23:59+00'),
	   jsonb_build_object('value', g % 50)
FROM generate_series(0, $size * 200000 - 1) g;
SQL
done
psql <<SQL
SELECT experiments.create_event_partitions(0) \g /dev/null
VACUUM ANALYZE experiments.exposures;
VACUUM ANALYZE experiments.goal_events;
SQL
echo "loaded in $(( $(date +%s) - start )) s"
start=$(date +%s)
psql -c 'CALL experiments.maintain_partitions()' -c 'VACUUM ANALYZE experiments.exposure_rollups'
echo "rolled up in $(( $(date +%s) - start )) s"

# experiment_of SIZE: the id of the experiment of that size
experiment_of() { psql -Atc "SELECT experiment_id FROM sizes WHERE size = $1"; }

# rss_anon PID: the backend's anonymous memory now, in kB
rss_anon() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }

# session SIZE ROLLUPS: the settings of a session reading the results of
# size SIZE with experiments.read_exposure_rollups = ROLLUPS
session() {
	echo "SET work_mem = '4MB';"
	echo "SET experiments.tenant = '$(psql -Atc "SELECT tenant_id FROM sizes WHERE size = $1")';"
	echo "SET experiments.read_exposure_rollups = $2;"
}

# call SIZE: the results of size SIZE
call() {
	echo "SELECT count(*) FROM experiments.experiment_results($(experiment_of "$1"), '2026-03-01 00:00+00', '2026-04-01 00:00+00') \\g /dev/null"
}

# results SIZE WHAT RUN ROLLUPS: times the results of size SIZE in a
# session of their own, as the count is timed: nothing else runs meanwhile.
# The session's input is written whole before it starts: piped as it is
# written, the timed call would wait for the psql that looks up the
# experiment (call), which the count does not.
results() {
	local input
	input=$(
		session "$1" "$4"
		echo "SELECT clock_timestamp() AS t0 \\gset"
		call "$1"
		echo "INSERT INTO timings VALUES ($1, '$2', $3, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));"
	)
	psql <<<"$input"
}

# memory SIZE WHAT ROLLUPS: the backend's peak memory during the results of
# size SIZE, sampled every 20 ms in a run that is not timed (the sampling
# takes the CPU of a process of its own)
memory() {
	local fifo
	fifo=$(mktemp -u)
	mkfifo "$fifo"
	{
		session "$1" "$3"
		echo "SELECT pg_backend_pid();"
		read -r _ <"$fifo"
		call "$1"
	} | psql -At | {
		read -r pid
		base=$(rss_anon "$pid")
		echo go >"$fifo"
		peak=$base
		while [ -r "/proc/$pid/status" ] && kb=$(rss_anon "$pid" 2>/dev/null) && [ -n "$kb" ]; do
			[ "$kb" -gt "$peak" ] && peak=$kb
			sleep 0.02
		done
		psql -c "INSERT INTO memory VALUES ($1, '$2', 1, $((peak - base)))"
	}
	rm -f "$fifo"
}

for size in $SIZES; do
	for run in $(seq "$RUNS"); do
		psql <<SQL
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM experiments.exposures WHERE experiment_id = $(experiment_of "$size") \g /dev/null
INSERT INTO timings VALUES ($size, 'count', $run, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));
SQL
		results "$size" rows "$run" off
		results "$size" rolled_up "$run" on
	done
	memory "$size" rows off
	memory "$size" rolled_up on
done

psql <<SQL
CREATE TEMPORARY VIEW summary AS
SELECT t.size, t.what, percentile_cont(0.5) WITHIN GROUP (ORDER BY t.seconds) AS seconds,
	   (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY c.seconds) FROM timings c
		WHERE c.size = t.size AND c.what = 'count') AS count,
	   (SELECT max(m.kb) FROM memory m WHERE m.size = t.size AND m.what = t.what) AS peak_kb, count(*) AS runs
FROM timings t WHERE t.what <> 'count' GROUP BY t.size, t.what;
\pset footer off
SELECT size AS exposures_m, what AS results_from, round(seconds::numeric, 2) AS results_s, round(count::numeric, 2) AS count_s,
	   round((seconds / count)::numeric, 2) AS ratio, round(peak_kb / 1024.0) AS peak_mb, runs
FROM summary ORDER BY what, size;
\pset format unaligned
\pset tuples_only on
SELECT format(E'RESULT\tfull results, %sM exposures, %s (median of %s)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t<= 2',
	size, CASE what WHEN 'rows' THEN 'from the rows' ELSE 'rolled up' END, runs, round(seconds::numeric, 2),
	round(count::numeric, 2), round((seconds / count)::numeric, 2))
FROM summary ORDER BY what, size;
SELECT format(E'RESULT\tpeak backend memory of the results, %sM exposures, %s, work_mem 4MB\t%s\tMB\twork_mem\t4\t%s\tbounded by work_mem',
	size, CASE what WHEN 'rows' THEN 'from the rows' ELSE 'rolled up' END, round(peak_kb / 1024.0), round(peak_kb / 1024.0 / 4, 1))
FROM summary ORDER BY what, size;
SELECT format(E'RESULT\tpeak backend memory of the results, %s, %sM against %sM exposures\t%s\tMB\tthe peak at %sM\t%s\t%s\t<= 2 (flat)',
	CASE l.what WHEN 'rows' THEN 'from the rows' ELSE 'rolled up' END, l.size, s.size, round(l.peak_kb / 1024.0), s.size,
	round(s.peak_kb / 1024.0), round(l.peak_kb::numeric / greatest(s.peak_kb, 1), 2))
FROM summary l, summary s
WHERE l.what = s.what AND l.size = (SELECT max(size) FROM summary) AND s.size = (SELECT min(size) FROM summary) AND l.size > s.size;
SQL
