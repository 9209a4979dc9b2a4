#!/usr/bin/env bash
# Benchmark of results per metric (never part of make test). Runs against the
# cluster test/cluster starts:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/metric_results.sh'
# One experiment with 10,000,000 exposures (2,000,000 units, 5 exposures each,
# over 23 days of March 2026), 2,000,000 goal events (two goals, with a value)
# and 1,000,000 transactions, with five metrics attached: a proportion with a
# 7-day window, a mean of the goal's value capped at its 99th percentile, the
# revenue per unit, revenue per checkout (a ratio) and the 90th percentile of
# the value (a quantile); CUPED over the default 14-day pre-period; and a
# country attribute for every unit (20 values, set before its exposures).
# Prints the time of a bare count(*) over the experiment's exposure rows, of
# metric_results(), of experiment_results(), of the results page
# (experiments_api.results_page, which with metrics attached shows both) and
# of metric_breakdown() by country, measured in the same run (RUNS times
# each, interleaved, default 3), and their ratios. EXPOSURES (default
# 10,000,000) scales everything: units, goals and attributes are a fifth of
# it, transactions a tenth.
# Targets: metric results <= 3 x count(*) (issue #17); the page <= 1.2 x
# experiment_results() (issue #20), both called as an analyst (below; the
# superuser's experiment_results() skips the row-level security the page,
# a SECURITY DEFINER function, applies). Then maintenance rolls the month up
# (src/events/rollups.sql) and the three are timed again.
set -euo pipefail
cd "$(dirname "$0")/../.."
createdb bench_metric_results
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d bench_metric_results "$@"; }
psql -c 'CREATE EXTENSION experiments'
tenant=$(psql -Atc "SELECT experiments.create_tenant('bench')")
exp=$(psql -Atc "SET experiments.tenant = '$tenant';
	SELECT id FROM experiments.create_experiment('bench',
		'[{\"key\": \"control\", \"allocation\": 50}, {\"key\": \"treatment\", \"allocation\": 50}]', start => true)")

exposures=${EXPOSURES:-10000000}
units=$((exposures / 5))
# Spread over the same 23 days whatever the size.
step_ms=$((2000000000 / exposures))
echo "== loading $exposures exposures, $units goal events, $((exposures / 10)) transactions and $units attributes"
start=$(date +%s)
psql <<SQL
SET experiments.tenant = '$tenant';
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT $exp, (g % $units) % 2, 'user_id', 'u-' || (g % $units),
	   timestamptz '2026-03-01 00:00+00' + g * interval '$step_ms milliseconds',
	   true, true, false, false, false, false
FROM generate_series(0, $exposures - 1) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u-' || ((g::bigint * 7919) % $units), CASE WHEN g % 3 = 0 THEN 'signup' ELSE 'checkout' END,
	   timestamptz '2026-03-02 00:00+00' + g * interval '$((step_ms * 5)) milliseconds', jsonb_build_object('value', g % 50)
FROM generate_series(0, $units - 1) g;
INSERT INTO experiments.transactions (transaction_id, name, revenue, shipping, visitor_id, device_type, origin, occurred_at)
SELECT 't-' || g, 'order', 100 + g % 9000, 0, 'u-' || ((g::bigint * 104729) % $units), 'DESKTOP', 'bench',
	   timestamptz '2026-02-20 00:00+00' + g * interval '$((step_ms * 10)) milliseconds'
FROM generate_series(0, $exposures / 10 - 1) g;
INSERT INTO experiments.attribute_events (unit_type, unit, name, value, set_at)
SELECT 'user_id', 'u-' || g, 'country', to_jsonb('c' || (g / 2 % 20)), timestamptz '2026-02-28 00:00+00'
FROM generate_series(0, $units - 1) g;
INSERT INTO experiments.metrics (key, type, source, event, window_end) VALUES ('converted', 'proportion', 'goal', 'checkout', '7 days');
INSERT INTO experiments.metrics (key, type, source, event, aggregation, property, cap, cap_value)
VALUES ('value', 'mean', 'goal', 'checkout', 'sum', 'value', 'percentile', 0.99);
INSERT INTO experiments.metrics (key, type, source, aggregation, property) VALUES ('revenue', 'mean', 'transaction', 'sum', 'revenue');
INSERT INTO experiments.metrics (key, type, source, event) VALUES ('checkouts', 'mean', 'goal', 'checkout');
INSERT INTO experiments.metrics (key, type, numerator_id, denominator_id)
SELECT 'revenue_per_checkout', 'ratio', r.id, c.id FROM experiments.metrics r, experiments.metrics c
WHERE r.key = 'revenue' AND c.key = 'checkouts';
INSERT INTO experiments.metrics (key, type, source, event, aggregation, property, quantile)
VALUES ('value_p90', 'quantile', 'goal', 'checkout', 'sum', 'value', 0.9);
INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role, margin)
SELECT $exp, id, CASE key WHEN 'converted' THEN 'primary' WHEN 'value_p90' THEN 'guardrail' ELSE 'secondary' END,
	   CASE key WHEN 'value_p90' THEN 0.1 END
FROM experiments.metrics WHERE key <> 'checkouts';
SELECT experiments.create_event_partitions(0) \g /dev/null
VACUUM ANALYZE experiments.exposures;
VACUUM ANALYZE experiments.goal_events;
VACUUM ANALYZE experiments.transactions;
VACUUM ANALYZE experiments.attribute_events;
SQL
echo "loaded in $(( $(date +%s) - start )) s"

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
	   pg_temp.timed('metric results (metric_results, 5 metrics)', run,
		   'SELECT count(*) FROM experiments.metric_results($exp)'),
	   pg_temp.timed('full results (experiment_results)', run,
		   'SELECT count(*) FROM experiments.experiment_results($exp)'),
	   pg_temp.timed('results page (results_page, with the metrics)', run,
		   'SELECT length(experiments_api.results_page(''bench''))'),
	   pg_temp.timed('breakdown by country (metric_breakdown, 10 slices + other)', run,
		   'SELECT count(*) FROM experiments.metric_breakdown($exp, ''country'')')
FROM generate_series(1, ${RUNS:-3}) run \g /dev/null
-- Then with the month rolled up by maintenance (src/events/rollups.sql).
CALL experiments.maintain_partitions();
VACUUM ANALYZE experiments.exposure_rollups;
SELECT pg_temp.timed('rolled up: metric results', run,
		   'SELECT count(*) FROM experiments.metric_results($exp)'),
	   pg_temp.timed('rolled up: full results', run,
		   'SELECT count(*) FROM experiments.experiment_results($exp)'),
	   pg_temp.timed('rolled up: results page', run,
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
SELECT metric, role, type, ordinal, units, event_units, round(estimate::numeric, 4) AS estimate, cuped,
	   round(variance_reduction::numeric, 4) AS variance_reduction, verdict, guardrail
FROM experiments.metric_results($exp);
\pset format unaligned
\pset tuples_only on
SELECT format(E'RESULT\tmetric results, $exposures exposures, 5 metrics (median of %s)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t<= 3',
	r.runs, round(r.median::numeric, 2), round(c.median::numeric, 2), round((r.median / c.median)::numeric, 1))
FROM summary r, summary c WHERE r.what LIKE 'metric%' AND c.what LIKE 'count%';
SELECT format(E'RESULT\tmetric results (median of %s)\t%s\ts\tfull results (experiment_results)\t%s\t%s\t(for scale)',
	r.runs, round(r.median::numeric, 2), round(c.median::numeric, 2), round((r.median / c.median)::numeric, 1))
FROM summary r, summary c WHERE r.what LIKE 'metric%' AND c.what LIKE 'full%';
SELECT format(E'RESULT\tresults page with 5 metrics, $exposures exposures (median of %s)\t%s\ts\tfull results (experiment_results)\t%s\t%s\t(informative: results as the superuser, without row-level security, the page as its owner, with it)',
	p.runs, round(p.median::numeric, 2), round(c.median::numeric, 2), round((p.median / c.median)::numeric, 2))
FROM summary p, summary c WHERE p.what LIKE 'results page%' AND c.what LIKE 'full%';
SELECT format(E'RESULT\tmetric results, the month rolled up (median of %s)\t%s\ts\tcount(*) of the exposure rows\t%s\t%s\t<= 3',
	r.runs, round(r.median::numeric, 2), round(c.median::numeric, 2), round((r.median / c.median)::numeric, 1))
FROM summary r, summary c WHERE r.what = 'rolled up: metric results' AND c.what LIKE 'count%';
SELECT format(E'RESULT\tresults page with 5 metrics, the month rolled up (median of %s)\t%s\ts\tfull results, rolled up\t%s\t%s\t(informative, as above)',
	p.runs, round(p.median::numeric, 2), round(r.median::numeric, 2), round((p.median / r.median)::numeric, 2))
FROM summary p, summary r WHERE p.what = 'rolled up: results page' AND r.what = 'rolled up: full results';
SELECT format(E'RESULT\tbreakdown by country (median of %s)\t%s\ts\tmetric results\t%s\t%s\t(for scale)',
	b.runs, round(b.median::numeric, 2), round(m.median::numeric, 2), round((b.median / m.median)::numeric, 2))
FROM summary b, summary m WHERE b.what LIKE 'breakdown%' AND m.what LIKE 'metric%';
SQL

# Issue #20's bound as an analyst sees it: the page and experiment_results()
# called by a NOSUPERUSER, NOBYPASSRLS member of experiments_analyst with an
# analyst key (row-level security applied to both, as to every analyst),
# each call its own transaction, as over HTTP; PAIRS rounds of both,
# alternating which runs first; the median of the rounds' ratios and the
# verdict from their quartiles (bench.verdict()), from the exposure rows and
# from the rollups; and the fastest page against the fastest results, each
# call's time least disturbed by the rest of a shared machine.
psql -f test/bench/timing.sql >/dev/null
psql <<SQL
DO \$\$BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_analyst') THEN
		CREATE ROLE bench_analyst LOGIN IN ROLE experiments_analyst;
	END IF;
END\$\$;
GRANT USAGE ON SCHEMA bench TO bench_analyst;
SQL
analyst_key=$(psql -Atc "SELECT experiments.create_api_key('$tenant', 'bench analyst', 'analyst')")
pairs=${PAIRS:-7}
for rollups in off on; do
	[ "$rollups" = on ] && read_from="the month rolled up" || read_from="from the exposure rows"
	{
		echo "SET ROLE bench_analyst;"
		echo "SET experiments.read_exposure_rollups = $rollups;"
		echo "CREATE TEMPORARY TABLE rounds (round integer, what text, seconds float8);"
		echo "CREATE FUNCTION pg_temp.timed(round integer, what text, query text) RETURNS void LANGUAGE plpgsql AS \$\$"
		echo "DECLARE t0 timestamptz := clock_timestamp();"
		echo "BEGIN EXECUTE query; INSERT INTO rounds VALUES (round, what, extract(epoch FROM clock_timestamp() - t0)); END \$\$;"
		for round in $(seq "$pairs"); do
			[ $((round % 2)) = 1 ] && order="page results" || order="results page"
			for what in $order; do
				echo "BEGIN;"
				echo "SELECT experiments.authenticate('$analyst_key') \g /dev/null"
				case $what in
				results) echo "SELECT pg_temp.timed($round, 'results', 'SELECT count(*) FROM experiments.experiment_results($exp)') \g /dev/null" ;;
				page) echo "SELECT pg_temp.timed($round, 'page', 'SELECT length(experiments_api.results_page(''bench''))') \g /dev/null" ;;
				esac
				echo "COMMIT;"
			done
		done
		cat <<SQL
\pset format unaligned
\pset tuples_only on
SELECT format(E'RESULT\tresults page with 5 metrics, %s, as an analyst (median of %s rounds)\t%s\ts\tfull results (experiment_results), as an analyst\t%s\t%s\t%s',
	'$read_from', count(*),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY p.seconds)::numeric, 2),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY r.seconds)::numeric, 2),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY p.seconds / r.seconds)::numeric, 2),
	bench.verdict(1.2, percentile_cont(0.25) WITHIN GROUP (ORDER BY p.seconds / r.seconds),
		percentile_cont(0.75) WITHIN GROUP (ORDER BY p.seconds / r.seconds),
		min(p.seconds / r.seconds), max(p.seconds / r.seconds), count(*)::integer))
FROM rounds p JOIN rounds r ON r.round = p.round AND r.what = 'results'
WHERE p.what = 'page';
SELECT format(E'RESULT\tresults page with 5 metrics, %s, as an analyst (fastest of %s rounds)\t%s\ts\tfull results (experiment_results), as an analyst, fastest\t%s\t%s\t<= 1.2 (each call at its least disturbed)',
	'$read_from', count(*) / 2,
	round(min(seconds) FILTER (WHERE what = 'page')::numeric, 2), round(min(seconds) FILTER (WHERE what = 'results')::numeric, 2),
	round((min(seconds) FILTER (WHERE what = 'page') / min(seconds) FILTER (WHERE what = 'results'))::numeric, 2))
FROM rounds;
SQL
	} | psql
done
