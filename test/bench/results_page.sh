#!/usr/bin/env bash
# Benchmark of the results page (never part of make test). Runs against the
# cluster test/cluster starts:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/results_page.sh'
# One experiment with PAGE_EXPOSURES exposures (default 1,000,000: a fifth as
# many units, 5 exposures each, over 23 days) and a fifth as many goal events
# (two goals, with a value). Prints the time of experiment_results() and of
# the whole page (experiments_api.results_page), measured in the same run
# (RUNS times each, interleaved, default 3), and their ratio.
# Target: the page <= 1.2 x experiment_results().
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${PAGE_EXPOSURES:-1000000}
units=$((n / 5))
dropdb --if-exists bench_results_page
createdb bench_results_page
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d bench_results_page "$@"; }
psql -c 'CREATE EXTENSION experiments'
tenant=$(psql -Atc "SELECT experiments.create_tenant('bench')")
exp=$(psql -Atc "SET experiments.tenant = '$tenant';
	SELECT id FROM experiments.create_experiment('bench',
		'[{\"key\": \"control\", \"allocation\": 50}, {\"key\": \"treatment\", \"allocation\": 50}]', start => true)")

echo "== loading $n exposures and $units goal events"
psql <<SQL
SET experiments.tenant = '$tenant';
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT $exp, (g % $units) % 2, 'user_id', 'u-' || (g % $units),
	   timestamptz '2026-03-01 00:00+00' + g * (interval '23 days' / $n),
	   true, true, false, false, false, false
FROM generate_series(0, $n - 1) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u-' || ((g::bigint * 7919) % $units), CASE WHEN g % 3 = 0 THEN 'signup' ELSE 'checkout' END,
	   timestamptz '2026-03-02 00:00+00' + g * (interval '22 days' / $units), jsonb_build_object('value', g % 50)
FROM generate_series(0, $units - 1) g;
SELECT experiments.create_event_partitions(0) \g /dev/null
VACUUM ANALYZE experiments.exposures;
VACUUM ANALYZE experiments.goal_events;
SQL

psql <<SQL
SET experiments.tenant = '$tenant';
CREATE TEMPORARY TABLE timings (what text, run integer, seconds float8);
CREATE FUNCTION pg_temp.timed(what text, run integer, query text) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE query;
	INSERT INTO timings VALUES (what, run, extract(epoch FROM clock_timestamp() - t0));
END \$\$;
SELECT pg_temp.timed('experiment_results', run, 'SELECT count(*) FROM experiments.experiment_results($exp)'),
	   pg_temp.timed('results page', run, 'SELECT length(experiments_api.results_page(''bench''))')
FROM generate_series(1, ${RUNS:-3}) run \g /dev/null
CREATE TEMPORARY VIEW summary AS
SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median, count(*) AS runs
FROM timings GROUP BY what;
\pset format unaligned
\pset tuples_only on
SELECT format(E'RESULT\tresults page, %s exposures (median of %s)\t%s\ts\texperiment_results()\t%s\t%s\t<= 1.2',
	$n, p.runs, round(p.median::numeric, 2), round(r.median::numeric, 2), round((p.median / r.median)::numeric, 2))
FROM summary p, summary r WHERE p.what = 'results page' AND r.what = 'experiment_results';
SQL
dropdb bench_results_page
