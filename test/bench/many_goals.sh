#!/usr/bin/env bash
# Benchmark of results as a tenant's goals grow (never part of make test),
# run against the cluster of test/cluster:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/many_goals.sh'
# Two tenants, each with one running experiment of 20,000 units (two
# variants, each unit exposed once, an attribute "country" of 12 values set
# on it) and GOALS goals (default 100 and 3000), every goal reached by 200
# units after their exposure. No metric of the catalog is attached, so every
# goal is an implicit metric of metric_results(). Each function below is
# timed RUNS times (default 3) per tenant, alternately, each call its own
# transaction: experiment_results(), metric_results(), metric_breakdown() by
# country (10 slices and the rest), the results page's daily series
# (experiments_internal.results_series()) and the page itself, as an analyst
# (a NOSUPERUSER member of experiments_analyst with the tenant's analyst key,
# row-level security applied). Target: the time per goal at the
# larger count within 2 times that at the smaller (linear in goals: each
# goal's rows are joined with their own, not with every other goal's).
set -euo pipefail
GOALS=${GOALS:-100 3000}
RUNS=${RUNS:-3}
createdb bench_many_goals
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d bench_many_goals "$@"; }
psql -c 'CREATE EXTENSION experiments'
psql -c 'DO $$BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = $r$bench_goals_analyst$r$) THEN
			CREATE ROLE bench_goals_analyst IN ROLE experiments_analyst;
		END IF;
	END$$;
	CREATE TABLE tenants (goals integer PRIMARY KEY, tenant_id uuid, experiment_id bigint, analyst_key text);
	CREATE TABLE timings (goals integer, what text, run integer, seconds float8);'

for goals in $GOALS; do
	echo "== loading 20,000 units and $goals goals"
	tenant=$(psql -Atc "SELECT experiments.create_tenant('goals-$goals')")
	psql <<SQL
SET experiments.tenant = '$tenant';
INSERT INTO tenants SELECT $goals, '$tenant', id, experiments.create_api_key('$tenant', 'bench', 'analyst')
FROM experiments.create_experiment('goals-$goals',
	'[{"key": "control", "allocation": 50}, {"key": "treatment", "allocation": 50}]', start => true);
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT t.experiment_id, u % 2, 'user_id', 'u-' || u, now() - interval '2 days' + u * interval '1 second',
	   true, true, false, false, false, false
FROM tenants t, generate_series(0, 19999) u WHERE t.goals = $goals;
INSERT INTO experiments.attribute_events (unit_type, unit, name, value, set_at)
SELECT 'user_id', 'u-' || u, 'country', to_jsonb('c' || u % 12), now() - interval '3 days'
FROM generate_series(0, 19999) u;
-- goal g reached by 200 units, the treatment's a little more often
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u-' || ((g * 7919 + k * 100 + k % 2 * (g % 3)) % 20000), 'goal-' || g,
	   now() - interval '1 day' + k * interval '1 second', jsonb_build_object('value', k % 7)
FROM generate_series(1, $goals) g, generate_series(0, 199) k;
SQL
done
psql <<SQL
SELECT experiments.create_event_partitions(0) \g /dev/null
VACUUM ANALYZE;
SQL

# call GOALS WHAT: the SQL of one timed function over that tenant's experiment
call() {
	local exp
	exp=$(psql -Atc "SELECT experiment_id FROM tenants WHERE goals = $1")
	case $2 in
	results_page) echo "SELECT length(experiments_api.results_page('goals-$1'))" ;;
	experiment_results) echo "SELECT count(*) FROM experiments.experiment_results($exp)" ;;
	metric_results) echo "SELECT count(*) FROM experiments.metric_results($exp)" ;;
	metric_breakdown) echo "SELECT count(*) FROM experiments.metric_breakdown($exp, 'country')" ;;
	results_series) echo "SELECT count(*) FROM experiments_internal.results_series($exp)" ;;
	esac
}
whats="experiment_results metric_results metric_breakdown results_series results_page"

# timed GOALS WHAT RUN: one call in a transaction of its own, its time into
# timings; the page as the analyst, authenticated by the tenant's key
timed() {
	local tenant key query
	tenant=$(psql -Atc "SELECT tenant_id FROM tenants WHERE goals = $1")
	key=$(psql -Atc "SELECT analyst_key FROM tenants WHERE goals = $1")
	# written before the clock starts: call looks the experiment up with a psql of its own
	query=$(call "$1" "$2")
	echo "SET experiments.tenant = '$tenant';"
	echo "BEGIN;"
	if [ "$2" = results_page ]; then
		echo "SET LOCAL ROLE bench_goals_analyst;"
		echo "SELECT experiments.authenticate('$key') \\g /dev/null"
	fi
	echo "SELECT clock_timestamp() AS t0 \\gset"
	echo "$query \\g /dev/null"
	echo "SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS seconds \\gset"
	echo "COMMIT;"
	[ -n "$3" ] && echo "INSERT INTO timings VALUES ($1, '$2', $3, :seconds);"
	return 0
}
# The session's input is written whole before it starts: the lookups of a
# later call (a psql each) would otherwise run beside an earlier timed one.
input=$(
	# one call of each, untimed: the session's caches
	for goals in $GOALS; do
		for what in $whats; do
			timed "$goals" "$what" ""
		done
	done
	for run in $(seq "$RUNS"); do
		for what in $whats; do
			for goals in $GOALS; do
				timed "$goals" "$what" "$run"
			done
		done
	done
)
psql <<<"$input"

psql <<SQL
CREATE TEMPORARY VIEW summary AS
SELECT goals, what, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median, count(*) AS runs
FROM timings GROUP BY goals, what;
\pset footer off
SELECT what, goals, round(median::numeric * 1000, 1) AS median_ms, round((median / goals * 1e6)::numeric, 1) AS us_per_goal
FROM summary ORDER BY what, goals;
\pset format unaligned
\pset tuples_only on
SELECT format(E'RESULT\t%s, %s goals, time per goal (median of %s)\t%s\tms\tthe same at %s goals\t%s\t%s\t<= 2',
	b.what, b.goals, b.runs, round((b.median / b.goals * 1000)::numeric, 3), s.goals,
	round((s.median / s.goals * 1000)::numeric, 3), round(((b.median / b.goals) / (s.median / s.goals))::numeric, 2))
FROM summary b JOIN summary s ON s.what = b.what
WHERE b.goals = (SELECT max(goals) FROM tenants) AND s.goals = (SELECT min(goals) FROM tenants)
ORDER BY b.what;
SQL
