#!/usr/bin/env bash
# Serving throughput: allocate for random visitors of a tenant with 20 running
# campaigns, against SELECT 1, in the same run: pgbench -M prepared, 2
# clients, 30 s each, over TCP.
#
# The measure (issue #6, target >= 0.6 of SELECT 1): one statement per
# transaction, SELECT experiments_api.allocate('{"visitor_id": ...}'::jsonb)
# (the body as PostgREST passes it to a function of one jsonb parameter), the tenant
# given to the session (experiments.tenant in PGOPTIONS; pgbench connects as
# a superuser, so it may set it).
#
# Informative: the whole transaction PostgREST sends for one request: BEGIN;
# the request settings (role experiments_anon, request.headers with the
# x-api-key, request.jwt.claims, request.path) in one SELECT; the pre-request
# experiments.authenticate_request() (tenant and role of the key); the call;
# COMMIT. It is measured twice:
#   pipelined: the five statements sent in one pipeline (one network round
#              trip, as a pipelining driver sends them): the server's cost;
#   one by one: five round trips, as PostgREST without pipelining sends them.
# Five statements cost at least five times one, so neither can come near
# SELECT 1.
# ALLOCATE_SECONDS sets the duration of each run (default 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${ALLOCATE_SECONDS:-30}
db=bench_allocate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dropdb --if-exists "$db"
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE EXTENSION experiments;
SELECT set_config('experiments.tenant', experiments.create_tenant('bench')::text, false) \g /dev/null
SELECT count(experiments.create_experiment('campaign_' || g,
	'[{"key": "a", "allocation": 25}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 25}, {"key": "d", "allocation": 25}]',
	traffic_percent => 90, start => true)) FROM generate_series(1, 20) g \g /dev/null
SQL
key=$(psql -X -A -t -d "$db" -c "SELECT experiments.create_api_key(id, 'bench') FROM experiments.tenants WHERE name = 'bench'")
tenant=$(psql -X -A -t -d "$db" -c "SELECT id FROM experiments.tenants WHERE name = 'bench'")

settings="SELECT set_config('role', 'experiments_anon', true), set_config('request.headers', '{\"x-api-key\": \"$key\", \"content-type\": \"application/json\"}', true), set_config('request.jwt.claims', '{\"role\": \"experiments_anon\"}', true), set_config('request.method', 'POST', true), set_config('request.path', '/rpc/allocate', true);"
call="SELECT experiments_api.allocate(('{\"visitor_id\": \"visitor-' || :v || '\"}')::jsonb);"
printf '\\set v random(1, 10000000)\n\\startpipeline\nBEGIN;\n%s\nSELECT experiments.authenticate_request();\n%s\nCOMMIT;\n\\endpipeline\n' "$settings" "$call" >"$work/pipelined.sql"
printf '\\set v random(1, 10000000)\nBEGIN;\n%s\nSELECT experiments.authenticate_request();\n%s\nCOMMIT;\n' "$settings" "$call" >"$work/sequential.sql"
printf '\\set v random(1, 10000000)\n%s\n' "$call" >"$work/alone.sql"
echo 'SELECT 1;' >"$work/select1.sql"

# The answer is right before it is fast.
answer=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$db" 2>&1 <<SQL
BEGIN;
${settings%;} \\g /dev/null
SELECT experiments.authenticate_request() \\g /dev/null
${call//:v/42}
COMMIT;
SQL
)
alone=$(PGOPTIONS="-c experiments.tenant=$tenant" psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$db" -c "${call//:v/42}" 2>&1)
case $answer in
'{"allocations": {"'*) ;;
*) echo "allocate did not answer with allocations: $answer"; exit 1 ;;
esac
if [ "$alone" != "$answer" ]; then
	echo "allocate alone answered $alone, through PostgREST's transaction $answer"
	exit 1
fi

# tps FILE [OPTIONS]: transactions per second of a pgbench run of FILE, its
# sessions started with PGOPTIONS=OPTIONS.
tps() {
	PGOPTIONS=${2:-} pgbench -h 127.0.0.1 -p "$PGPORT" -n -M prepared -c 2 -j 2 -T "$seconds" -f "$1" "$db" 2>&1 |
		awk '/^tps = / {print $3}'
}
select1=$(tps "$work/select1.sql")
alone=$(tps "$work/alone.sql" "-c experiments.tenant=$tenant")
pipelined=$(tps "$work/pipelined.sql")
sequential=$(tps "$work/sequential.sql")
echo "SELECT 1: $select1 tps; allocate: $alone tps; with PostgREST's transaction pipelined: $pipelined tps, one statement at a time: $sequential tps"
# row MEASURE VALUE TARGET: one RESULT line, the ratio to SELECT 1
row() {
	awk -v m="$1" -v a="$2" -v b="$select1" -v t="$3" 'BEGIN { printf "RESULT\t%s\t%.0f\ttps\tSELECT 1\t%.0f\t%.2f\t%s\n", m, a, b, a / b, t }'
}
row "allocate, 20 campaigns" "$alone" ">= 0.6"
row "allocate, 20 campaigns, PostgREST's transaction (pipelined)" "$pipelined" "(informative)"
row "allocate, 20 campaigns, PostgREST's transaction (5 round trips)" "$sequential" "(informative)"
dropdb "$db"
