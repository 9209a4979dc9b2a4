#!/usr/bin/env bash
# Benchmark of results as an experiment grows (never part of make test), run
# against the cluster of test/cluster:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/results_scale.sh'
# One experiment with the largest of SIZES million exposures (default 1 10 30),
# in time order, of units that each come back every 6,000,000 exposures (5
# exposures a unit at 30M), and a goal event (with a value) for every fifth
# exposure's unit, an hour later. For each size, the results over the window
# holding the first SIZE million exposures (experiment_results) against a
# bare count(*) of the same exposure rows, RUNS times each (default 3),
# alternately, each call its own transaction; and the backend's peak
# anonymous memory (RssAnon of /proc/PID/status, sampled every 20 ms, less
# the same before the call) during the results, at work_mem 4MB. Targets:
# time <= 2 x count(*); memory bounded by work_mem, so flat as the experiment
# grows: the peak at the largest size within 2 times that at the smallest.
set -euo pipefail
SIZES=${SIZES:-1 10 30}
RUNS=${RUNS:-3}
largest=$(printf '%s\n' $SIZES | sort -n | tail -1)
createdb bench_results_scale
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d bench_results_scale "$@"; }
psql -c 'CREATE EXTENSION experiments'
tenant=$(psql -Atc "SELECT experiments.create_tenant('bench')")
exp=$(psql -Atc "SET experiments.tenant = '$tenant';
	SELECT id FROM experiments.create_experiment('bench',
		'[{\"key\": \"control\", \"allocation\": 50}, {\"key\": \"treatment\", \"allocation\": 50}]', start => true)")

echo "== loading ${largest}M exposures and $((largest * 200000)) goal events"
start=$(date +%s)
# March 2026 has 2,678,400 s: exposure g at g * 2,678,400 / (largest M) s.
psql <<SQL
SET experiments.tenant = '$tenant';
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT $exp, (g % 6000000) % 2, 'user_id', 'u-' || (g % 6000000),
	   timestamptz '2026-03-01 00:00+00' + g * (interval '2678399 seconds' / ($largest * 1000000)),
	   true, true, false, false, false, false
FROM generate_series(0, $largest * 1000000 - 1) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u-' || ((g * 5) % 6000000), CASE WHEN g % 3 = 0 THEN 'signup' ELSE 'checkout' END,
	   timestamptz '2026-03-01 01:00+00' + g * 5 * (interval '2678399 seconds' / ($largest * 1000000)),
	   jsonb_build_object('value', g % 50)
FROM generate_series(0, $largest * 200000 - 1) g;
SELECT experiments.create_event_partitions(0) \g /dev/null
VACUUM ANALYZE experiments.exposures;
VACUUM ANALYZE experiments.goal_events;
CREATE TABLE timings (size integer, what text, run integer, seconds float8);
CREATE TABLE memory (size integer, run integer, kb bigint);
SQL
echo "loaded in $(( $(date +%s) - start )) s"

# until TIMESTAMP of the end of the window of SIZE million exposures
until_of() {
	psql -Atc "SELECT timestamptz '2026-03-01 00:00+00' + $1 * 1000000 * (interval '2678399 seconds' / ($largest * 1000000))"
}

# rss_anon PID: the backend's anonymous memory now, in kB
rss_anon() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }

for size in $SIZES; do
	until=$(until_of "$size")
	for run in $(seq "$RUNS"); do
		# count(*), then the results in a session whose memory is sampled
		psql <<SQL
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM experiments.exposures WHERE experiment_id = $exp AND exposed_at >= '2026-03-01 00:00+00' AND exposed_at < '$until' \g /dev/null
INSERT INTO timings VALUES ($size, 'count', $run, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));
SQL
		fifo=$(mktemp -u)
		mkfifo "$fifo"
		{
			echo "SET work_mem = '4MB';"
			echo "SET experiments.tenant = '$tenant';"
			echo "SELECT pg_backend_pid();"
			read -r _ <"$fifo"
			echo "SELECT clock_timestamp() AS t0 \\gset"
			echo "SELECT count(*) FROM experiments.experiment_results($exp, '2026-03-01 00:00+00', '$until') \\g /dev/null"
			echo "INSERT INTO timings VALUES ($size, 'results', $run, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));"
		} | psql -At | {
			read -r pid
			base=$(rss_anon "$pid")
			echo go >"$fifo"
			peak=$base
			while [ -r "/proc/$pid/status" ] && kb=$(rss_anon "$pid" 2>/dev/null) && [ -n "$kb" ]; do
				[ "$kb" -gt "$peak" ] && peak=$kb
				sleep 0.02
			done
			psql -c "INSERT INTO memory VALUES ($size, $run, $((peak - base)))"
		}
		rm -f "$fifo"
	done
done

psql <<SQL
CREATE TEMPORARY VIEW summary AS
SELECT t.size, percentile_cont(0.5) WITHIN GROUP (ORDER BY t.seconds) FILTER (WHERE t.what = 'results') AS results,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY t.seconds) FILTER (WHERE t.what = 'count') AS count,
	   (SELECT max(m.kb) FROM memory m WHERE m.size = t.size) AS peak_kb, count(*) / 2 AS runs
FROM timings t GROUP BY t.size;
\pset footer off
SELECT size AS exposures_m, round(results::numeric, 2) AS results_s, round(count::numeric, 2) AS count_s,
	   round((results / count)::numeric, 2) AS ratio, round(peak_kb / 1024.0) AS peak_mb, runs
FROM summary ORDER BY size;
\pset format unaligned
\pset tuples_only on
SELECT format(E'RESULT\tfull results, %sM exposures (median of %s)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t<= 2',
	size, runs, round(results::numeric, 2), round(count::numeric, 2), round((results / count)::numeric, 2))
FROM summary ORDER BY size;
SELECT format(E'RESULT\tpeak backend memory of the results, %sM exposures, work_mem 4MB\t%s\tMB\twork_mem\t4\t%s\tbounded by work_mem',
	size, round(peak_kb / 1024.0), round(peak_kb / 1024.0 / 4, 1))
FROM summary ORDER BY size;
SELECT format(E'RESULT\tpeak backend memory of the results, %sM against %sM exposures\t%s\tMB\tthe peak at %sM\t%s\t%s\t<= 2 (flat)',
	l.size, s.size, round(l.peak_kb / 1024.0), s.size, round(s.peak_kb / 1024.0), round(l.peak_kb::numeric / s.peak_kb, 2))
FROM summary l, summary s
WHERE l.size = (SELECT max(size) FROM summary) AND s.size = (SELECT min(size) FROM summary) AND l.size > s.size;
SQL
