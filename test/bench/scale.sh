#!/usr/bin/env bash
# Scale: the cost of a call as tenants, running experiments, enrolments and
# admin changes grow (issue #21), each point as a ratio to its curve's floor
# measured in the same run. Flat curves (target <= 2): the floor is the
# curve's first point.
#   assign / allocate with a campaign_id, per call, in a session serving 1,
#     100 or 10,000 tenants (one experiment each), or one tenant with 1, 20,
#     200 or 2,000 running experiments (keys not in id order);
#   allocate of every running campaign, per campaign: 20, 200, 2,000 (linear:
#     its cost per campaign stays that of 20);
#   set-based assign() over 1,000,000 units of an experiment with 10,000
#     enrolments, against the same experiment without (target <= 2);
#   assign / allocate with a campaign_id in a session serving 100 tenants while
#     a background writer commits 10 or 100 admin changes a second to those
#     tenants, or 100 enrolments a second elsewhere, against no writer.
# Each point runs in a session of its own: the tenants and experiments it
# serves are each called once (the cache warms), then 3 passes of
# SCALE_CALLS calls (default 20,000; allocate of every campaign: 400,000
# campaigns' worth) are timed in the backend's CPU time, which other work on
# the machine does not stretch; under a writer, one pass of 20 times as many
# calls, while it writes. The calls go through PL/pgSQL (setting the tenant,
# then the call), which every point pays alike.
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=${SCALE_CALLS:-20000}
db=bench_scale

dropdb --if-exists "$db"
createdb "$db"
started=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -v enrolled=10000 -d "$db" -f test/bench/scale.sql
echo "catalog of 10,005 tenants and 12,225 experiments, 1,000,000 units: $(($(date +%s) - started)) s"

# value QUERY: one number from a session of its own
value() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "$1"
}
# row MEASURE VALUE UNIT BASELINE BASELINE_VALUE TARGET
row() {
	awk -v m="$1" -v v="$2" -v u="$3" -v b="$4" -v bv="$5" -v t="$6" \
		'BEGIN { printf "RESULT\t%s\t%.0f\t%s\t%s\t%.0f\t%.2f\t%s\n", m, v, u, b, bv, v / bv, t }'
}
# curve NAME KIND: the tenants and experiments curves of a kind of call
curve() {
	local floor v
	floor=$(value "SELECT bench.calls_ns('$2', 1, 1, 1, $calls)")
	for tenants in 100 10000; do
		v=$(value "SELECT bench.calls_ns('$2', 1, $tenants, 1, $calls)")
		row "$1, $tenants tenants" "$v" ns "1 tenant" "$floor" "<= 2"
	done
	floor=$(value "SELECT bench.calls_ns('$2', 10001, 1, 1, $calls)")
	for exp in 20:10002 200:10003 2000:10004; do
		v=$(value "SELECT bench.calls_ns('$2', ${exp#*:}, 1, ${exp%:*}, $calls)")
		row "$1, ${exp%:*} running experiments" "$v" ns "1 experiment" "$floor" "<= 2"
	done
}
curve "assign()" assign
curve "allocate with campaign_id" campaign

# allocate of every running campaign, per campaign, against 20 campaigns
per_campaign() {
	local n=$(((calls * 20 + $1 - 1) / $1))
	value "SELECT bench.calls_ns('allocate', $2, 1, $1, $n) / $1"
}
floor=$(per_campaign 20 10002)
for exp in 200:10003 2000:10004; do
	row "allocate of every campaign, ${exp%:*} campaigns, per campaign" "$(per_campaign "${exp%:*}" "${exp#*:}")" ns \
		"20 campaigns" "$floor" "<= 2"
done

# set-based assign() with enrolments
t=$(value "SET max_parallel_workers_per_gather = 0; SET experiments.tenant = '$(value "SELECT bench.tenant(10005)")';
	SELECT bench.best_pair('SELECT count(experiments.assign(''plain'', unit)) FROM bench.units',
		'SELECT count(experiments.assign(''enrolled'', unit)) FROM bench.units')")
plain=$(echo "$t" | tr -d '{}' | cut -d, -f1)
enrolled=$(echo "$t" | tr -d '{}' | cut -d, -f2)
row "set-based assign() per unit, 10,000 enrolments" "$(echo "$enrolled * 1000" | bc -l)" ns \
	"no enrolment" "$(echo "$plain * 1000" | bc -l)" "<= 2"

# under a background writer: SELECT ... with and without it
writer_calls=$((calls * 20))
for fn in "assign():assign" "allocate with campaign_id:campaign"; do
	name=${fn%%:*}
	query="SELECT bench.calls_ns('${fn#*:}', 1, 100, 1, $writer_calls, 1)"
	floor=$(value "$query")
	for w in admin:10 admin:100 enrol:100; do
		psql -X -q -d "$db" -c "CALL bench.writer('${w%:*}', ${w#*:}, 4)" >/dev/null &
		writer=$!
		sleep 0.5
		v=$(value "$query")
		wait "$writer"
		label="${w#*:} admin changes a second"
		[ "${w%:*}" = enrol ] && label="${w#*:} enrolments a second elsewhere"
		row "$name, 100 tenants, $label" "$v" ns "no writer" "$floor" "<= 2"
	done
done
echo "scale benchmark: $(($(date +%s) - started)) s"
dropdb "$db"
