#!/usr/bin/env bash
# Benchmark of a small experiment's results among another tenant's events
# (never part of make test), run against the cluster of test/cluster:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/results_tenants.sh'
# One experiment of 2,000 units (5 exposures each, a goal for half of them, a
# transaction for a tenth) in March and again, the same events a month later,
# in April; in April another tenant has OTHER goal events and OTHER / 5
# transactions (default 1,200,000). The experiment's results over April
# against its results over March, RUNS times each (default 5), alternately,
# each call its own transaction; the ratio of the medians is flat when it is
# at most 2: results read the experiment's tenant's rows, not the month's.
set -euo pipefail
OTHER=${OTHER:-1200000}
RUNS=${RUNS:-5}
createdb bench_results_tenants
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d bench_results_tenants "$@"; }
psql -c 'CREATE EXTENSION experiments'
tenant=$(psql -Atc "SELECT experiments.create_tenant('bench')")
other=$(psql -Atc "SELECT experiments.create_tenant('other')")
exp=$(psql -Atc "SET experiments.tenant = '$tenant';
	SELECT id FROM experiments.create_experiment('small',
		'[{\"key\": \"control\", \"allocation\": 50}, {\"key\": \"treatment\", \"allocation\": 50}]', start => true)")

echo "== loading the experiment's events and $OTHER goal events of another tenant"
psql <<SQL
SET experiments.tenant = '$tenant';
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT $exp, (g % 2000) % 2, 'user_id', 'u-' || (g % 2000), m + g * interval '1 minute',
	   true, true, false, false, false, false
FROM generate_series(0, 9999) g, unnest(ARRAY[timestamptz '2026-03-02 00:00+00', '2026-04-02 00:00+00']) m;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u-' || (g * 2), 'checkout', m + interval '8 days' + g * interval '1 minute',
	   jsonb_build_object('value', g % 50)
FROM generate_series(0, 999) g, unnest(ARRAY[timestamptz '2026-03-02 00:00+00', '2026-04-02 00:00+00']) m;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 'b-' || m || g, 'order', 'u-' || (g * 10), 100 + g, 0, m + interval '8 days' + g * interval '1 minute', 'OTHER', 'app'
FROM generate_series(0, 199) g, unnest(ARRAY[timestamptz '2026-03-02 00:00+00', '2026-04-02 00:00+00']) m;
SET experiments.tenant = '$other';
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u-' || (g % 200000), 'checkout', timestamptz '2026-04-01 00:00+00' + g * interval '2 seconds',
	   jsonb_build_object('value', g % 50)
FROM generate_series(0, $OTHER - 1) g;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 'o-' || g, 'order', 'u-' || (g % 200000), 100, 0, timestamptz '2026-04-01 00:00+00' + g * interval '10 seconds', 'OTHER', 'app'
FROM generate_series(0, $OTHER / 5 - 1) g;
RESET experiments.tenant;
SELECT experiments.create_event_partitions(0) \g /dev/null
VACUUM ANALYZE experiments.exposures;
VACUUM ANALYZE experiments.goal_events;
VACUUM ANALYZE experiments.transactions;
CREATE TABLE timings (month text, run integer, seconds float8);
SQL

# Each call in a transaction of its own: a second call in the same one may be
# answered from the first's rows (src/results/results.c).
{
	echo "SET experiments.tenant = '$tenant';"
	# one call of each, untimed: the session's caches
	for month in 03 04; do
		echo "SELECT count(*) FROM experiments.experiment_results($exp, '2026-$month-01 00:00+00', '2026-$month-01 00:00+00'::timestamptz + interval '1 month') \\g /dev/null"
	done
	for run in $(seq "$RUNS"); do
		for month in 03 04; do
			echo "SELECT clock_timestamp() AS t0 \\gset"
			echo "SELECT count(*) FROM experiments.experiment_results($exp, '2026-$month-01 00:00+00', '2026-$month-01 00:00+00'::timestamptz + interval '1 month') \\g /dev/null"
			echo "INSERT INTO timings VALUES ('$month', $run, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));"
		done
	done
} | psql

psql <<SQL
CREATE TEMPORARY VIEW summary AS
SELECT month, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median, count(*) AS runs FROM timings GROUP BY month;
\pset footer off
SELECT month, round(median::numeric * 1000, 1) AS median_ms, runs FROM summary ORDER BY month;
-- The answers of the two months are the same.
SELECT count(*) AS differing_rows FROM (
	(SELECT kind, metric, ordinal, units, converting_units, value_sum FROM experiments.experiment_results($exp, '2026-03-01 00:00+00', '2026-04-01 00:00+00')
	 EXCEPT SELECT kind, metric, ordinal, units, converting_units, value_sum FROM experiments.experiment_results($exp, '2026-04-01 00:00+00', '2026-05-01 00:00+00'))
	UNION ALL
	(SELECT kind, metric, ordinal, units, converting_units, value_sum FROM experiments.experiment_results($exp, '2026-04-01 00:00+00', '2026-05-01 00:00+00')
	 EXCEPT SELECT kind, metric, ordinal, units, converting_units, value_sum FROM experiments.experiment_results($exp, '2026-03-01 00:00+00', '2026-04-01 00:00+00'))) d;
\pset format unaligned
\pset tuples_only on
SELECT format(E'RESULT\tresults of 2,000 units, another tenant''s %sM goals in the month (median of %s)\t%s\tms\tthe same, a month without them\t%s\t%s\t<= 2',
	round($OTHER / 1e6, 1), b.runs, round(b.median::numeric * 1000, 1), round(q.median::numeric * 1000, 1),
	round((b.median / q.median)::numeric, 2))
FROM summary b, summary q WHERE b.month = '04' AND q.month = '03';
SQL
