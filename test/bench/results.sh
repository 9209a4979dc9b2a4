#!/usr/bin/env bash
# Benchmark of experiment results (never part of make test). Runs against the
# cluster test/cluster starts:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/results.sh'
# One experiment with 10,000,000 exposures (2,000,000 units, 5 exposures each,
# over 23 days of March 2026) and 2,000,000 goal events (two goals, with a
# value). Prints the time of a bare count(*) over the experiment's exposure
# rows and of its full results (experiment_results, by the fixed and by the
# sequential method, then the text report and the results page,
# experiments_api.results_page), measured in the same run (RUNS times each,
# default 3), and their ratio; for reference, PostgreSQL's own hash
# aggregation of the same exposures by unit (GROUP BY unit, the first step
# of any SQL formulation, at the same work_mem). Then, with a metric attached
# to the experiment, the page (which adds the metric's table, from
# metric_results()) against the results again.
# Targets: full results <= 10 s and, by either method, <= 3 x count(*)
# (issue #17); the page <= 1.2 x full results (issue #20), with and without
# a metric attached. Then maintenance rolls the month up (exposure rollups,
# src/events/rollups.sql) and the results and page are timed again, against
# the same count(*) of the exposure rows (<= 2 x for issue #21).
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

# Each measure RUNS times, interleaved, so that whatever else the machine runs
# weighs on all of them alike; the median is reported, with the spread.
psql <<SQL
SET experiments.tenant = '$tenant';
CREATE TEMPORARY TABLE timings (what text, run integer, seconds float8);
CREATE FUNCTION pg_temp.timed(what text, run integer, query text) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE query;
	INSERT INTO timings VALUES (what, run, extract(epoch FROM clock_timestamp() - t0));
END \$\$;
SELECT pg_temp.timed('count(*) of the exposure rows', run,
		   'SELECT count(*) FROM experiments.exposures WHERE experiment_id = $exp'),
	   pg_temp.timed('full results (experiment_results)', run,
		   'SELECT count(*) FROM experiments.experiment_results($exp)'),
	   pg_temp.timed('full results, sequential method', run,
		   'SELECT count(*) FROM experiments.experiment_results($exp, method => ''sequential'', tuning_n => 2000000)'),
	   pg_temp.timed('text report (results_report)', run,
		   'SELECT experiments.results_report(''bench'')'),
	   pg_temp.timed('results page (results_page)', run,
		   'SELECT length(experiments_api.results_page(''bench''))'),
	   pg_temp.timed('PostgreSQL hash aggregation of the exposures by unit', run,
		   'SELECT count(*) FROM (SELECT unit, min(exposed_at), max(exposed_at) FROM experiments.exposures
			 WHERE experiment_id = $exp GROUP BY unit) u')
FROM generate_series(1, ${RUNS:-3}) run \g /dev/null
-- Then with a metric attached (a proportion of checkout within 7 days): the
-- page adds its table, from metric_results(), which reads the events again.
INSERT INTO experiments.metrics (key, type, source, event, aggregation, window_start, window_end, cap, higher_is_better)
VALUES ('converted', 'proportion', 'goal', 'checkout', 'count', '0 seconds', '7 days', 'none', true);
INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role)
SELECT $exp, id, 'primary' FROM experiments.metrics WHERE key = 'converted';
SELECT pg_temp.timed('full results, a metric attached', run,
		   'SELECT count(*) FROM experiments.experiment_results($exp)'),
	   pg_temp.timed('results page, a metric attached', run,
		   'SELECT length(experiments_api.results_page(''bench''))')
FROM generate_series(1, ${RUNS:-3}) run \g /dev/null
-- Then with the month rolled up by maintenance (src/events/rollups.sql): the
-- results read a row per unit and month instead of every exposure row.
SELECT extract(epoch FROM clock_timestamp()) AS rollup_start \gset
CALL experiments.maintain_partitions();
INSERT INTO timings SELECT 'maintenance, rolling the month up', 1, extract(epoch FROM clock_timestamp()) - :rollup_start;
VACUUM ANALYZE experiments.exposure_rollups;
SELECT pg_temp.timed('rolled up: full results (experiment_results)', run,
		   'SELECT count(*) FROM experiments.experiment_results($exp)'),
	   pg_temp.timed('rolled up: full results, sequential method', run,
		   'SELECT count(*) FROM experiments.experiment_results($exp, method => ''sequential'', tuning_n => 2000000)'),
	   pg_temp.timed('rolled up: results page, a metric attached', run,
		   'SELECT length(experiments_api.results_page(''bench''))')
FROM generate_series(1, ${RUNS:-3}) run \g /dev/null
CREATE TEMPORARY VIEW summary AS
SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median,
	   min(seconds) AS fastest, max(seconds) AS slowest, count(*) AS runs
FROM timings GROUP BY what;
\pset footer off
SELECT what, round(median::numeric, 2) AS median_s, round(fastest::numeric, 2) AS fastest_s,
	   round(slowest::numeric, 2) AS slowest_s, runs,
	   round((median / (SELECT median FROM summary WHERE what LIKE 'count%'))::numeric, 1) AS ratio_to_count
FROM summary ORDER BY median;
SELECT experiments.results_report('bench') AS report;
\pset format unaligned
\pset tuples_only on
SELECT format(E'RESULT\tfull results, 10M exposures / 2M goals (median of %s)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t<= 10 s, <= 3',
	r.runs, round(r.median::numeric, 2), round(c.median::numeric, 2), round((r.median / c.median)::numeric, 1))
FROM summary r, summary c WHERE r.what = 'full results (experiment_results)' AND c.what LIKE 'count%';
SELECT format(E'RESULT\tfull results, sequential method (median of %s)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t<= 3',
	r.runs, round(r.median::numeric, 2), round(c.median::numeric, 2), round((r.median / c.median)::numeric, 1))
FROM summary r, summary c WHERE r.what LIKE 'full results, seq%' AND c.what LIKE 'count%';
SELECT format(E'RESULT\ttext report (median of %s)\t%s\ts\tfull results\t%s\t%s\t(results + report text)',
	t.runs, round(t.median::numeric, 2), round(r.median::numeric, 2), round((t.median / r.median)::numeric, 2))
FROM summary t, summary r WHERE t.what LIKE 'text%' AND r.what = 'full results (experiment_results)';
SELECT format(E'RESULT\tresults page (median of %s)\t%s\ts\tfull results\t%s\t%s\t<= 1.2',
	p.runs, round(p.median::numeric, 2), round(r.median::numeric, 2), round((p.median / r.median)::numeric, 2))
FROM summary p, summary r WHERE p.what LIKE 'results page (%' AND r.what = 'full results (experiment_results)';
SELECT format(E'RESULT\tresults page, a metric attached (median of %s)\t%s\ts\tfull results\t%s\t%s\t<= 1.2',
	p.runs, round(p.median::numeric, 2), round(r.median::numeric, 2), round((p.median / r.median)::numeric, 2))
FROM summary p, summary r WHERE p.what = 'results page, a metric attached' AND r.what = 'full results, a metric attached';
SELECT format(E'RESULT\tfull results, the month rolled up (median of %s)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t<= 3 (#17), <= 2 (#21)',
	r.runs, round(r.median::numeric, 2), round(c.median::numeric, 2), round((r.median / c.median)::numeric, 1))
FROM summary r, summary c WHERE r.what = 'rolled up: full results (experiment_results)' AND c.what LIKE 'count%';
SELECT format(E'RESULT\tfull results, sequential method, the month rolled up (median of %s)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t<= 3',
	r.runs, round(r.median::numeric, 2), round(c.median::numeric, 2), round((r.median / c.median)::numeric, 1))
FROM summary r, summary c WHERE r.what = 'rolled up: full results, sequential method' AND c.what LIKE 'count%';
SELECT format(E'RESULT\tresults page, a metric attached, the month rolled up (median of %s)\t%s\ts\tfull results, rolled up\t%s\t%s\t<= 1.2',
	p.runs, round(p.median::numeric, 2), round(r.median::numeric, 2), round((p.median / r.median)::numeric, 2))
FROM summary p, summary r WHERE p.what = 'rolled up: results page, a metric attached' AND r.what = 'rolled up: full results (experiment_results)';
SELECT format(E'RESULT\tmaintenance rolling the month up (once)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t(for scale)',
	round(m.median::numeric, 2), round(c.median::numeric, 2), round((m.median / c.median)::numeric, 1))
FROM summary m, summary c WHERE m.what LIKE 'maintenance%' AND c.what LIKE 'count%';
SELECT format(E'RESULT\tPostgreSQL GROUP BY unit of the exposures alone (median of %s)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t(reference)',
	g.runs, round(g.median::numeric, 2), round(c.median::numeric, 2), round((g.median / c.median)::numeric, 1))
FROM summary g, summary c WHERE g.what LIKE 'PostgreSQL%' AND c.what LIKE 'count%';
SQL
