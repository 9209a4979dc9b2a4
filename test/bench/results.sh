#!/usr/bin/env bash
# Benchmark of experiment results (never part of make test). Runs against the
# cluster test/cluster starts:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/results.sh'
# One experiment with 10,000,000 exposures (2,000,000 units, 5 exposures each,
# over 23 days of March 2026) and 2,000,000 goal events (two goals, with a
# value). Prints the time of a bare count(*) over the experiment's exposure
# rows and of its full results (experiment_results, then the text report),
# measured in the same run, and their ratio. Target: full results <= 10 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
createdb bench_results
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d bench_results "$@"; }
psql -c 'CREATE EXTENSION experiments'
tenant=$(psql -Atc "SELECT experiments.create_tenant('bench')")
exp=$(psql -Atc "SET experiments.tenant = '$tenant';
	SELECT id FROM experiments.create_experiment('bench',
		'[{\"key\": \"control\", \"allocation\": 50}, {\"key\": \"treatment\", \"allocation\": 50}]', start => true)")

echo "== loading 10,000,000 exposures and 2,000,000 goal events"
start=$(date +%s)
psql <<SQL
SET experiments.tenant = '$tenant';
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT $exp, (g % 2000000) % 2, 'user_id', 'u-' || (g % 2000000),
	   timestamptz '2026-03-01 00:00+00' + g * interval '200 milliseconds',
	   true, true, false, false, false, false
FROM generate_series(0, 9999999) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u-' || ((g::bigint * 7919) % 2000000), CASE WHEN g % 3 = 0 THEN 'signup' ELSE 'checkout' END,
	   timestamptz '2026-03-02 00:00+00' + g * interval '1 second', jsonb_build_object('value', g % 50)
FROM generate_series(0, 1999999) g;
SELECT experiments.create_event_partitions(0) \g /dev/null
VACUUM ANALYZE experiments.exposures;
VACUUM ANALYZE experiments.goal_events;
SQL
echo "loaded in $(( $(date +%s) - start )) s"

psql <<SQL
SET experiments.tenant = '$tenant';
CREATE TEMPORARY TABLE timings (what text, seconds float8);
CREATE FUNCTION pg_temp.timed(what text, query text) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE query;
	INSERT INTO timings VALUES (what, extract(epoch FROM clock_timestamp() - t0));
END \$\$;
SELECT pg_temp.timed('count(*) of the exposure rows',
	'SELECT count(*) FROM experiments.exposures WHERE experiment_id = $exp');
SELECT pg_temp.timed('full results (experiment_results)',
	'SELECT count(*) FROM experiments.experiment_results($exp)');
SELECT pg_temp.timed('text report (results_report)',
	'SELECT experiments.results_report(''bench'')');
\pset footer off
SELECT what, round(seconds::numeric, 2) AS seconds,
	   round((seconds / (SELECT seconds FROM timings WHERE what LIKE 'count%'))::numeric, 1) AS ratio_to_count
FROM timings;
SELECT experiments.results_report('bench') AS report;
SQL
