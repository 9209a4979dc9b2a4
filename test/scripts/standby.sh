#!/usr/bin/env bash
# Hot standby, the first scale-out path for serving. On a primary of its own
# the suite creates a tenant, keys, login roles and running experiments (an
# override, enrolments, a partial traffic), then a streaming standby with
# pg_basebackup -R, and proves:
#   1. the standby serves what the primary serves: assign() and assign_all()
#      for every unit as the application (shop_backend over TCP, its password,
#      experiments.authenticate(key)), and experiments_api.allocate() as
#      PostgREST calls it (authenticator, role, request settings,
#      authenticate_request()), full rows compared as text;
#   2. catalog changes follow replay: after a weight change and a stopped
#      experiment on the primary, once the standby has replayed the primary's
#      LSN, it answers as the primary again, in sessions opened (and caches
#      filled) before the change as well as in new ones;
#   3. writes are refused on the standby with a SQLSTATE of class 25: enrol(),
#      publish(), experiments_api.context_batch(), experiments_api.visitor()
#      and an admin's experiments_api.create_org_experiment(); their messages
#      are printed.
#
#   STANDBY_UNITS   units compared (default 500)
set -euo pipefail
cd "$(dirname "$0")/../.."
UNITS=${STANDBY_UNITS:-500}
DB=shop

# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
# The runner's cluster (test/cluster) is not this suite's: cleanup removes only
# the clusters started here, whose directories these variables name.
unset EXP_CLUSTER_DIR EXP_CLUSTER_LOG
standby_dir=
work=$(mktemp -d /tmp/experiments-standby.XXXXXX)
declare -A session_fd=() session_pid=()
session_seq=0
cleanup() {
	local name
	for name in "${!session_pid[@]}"; do
		kill "${session_pid[$name]}" 2>/dev/null || true
	done
	if [ -n "$standby_dir" ]; then
		EXP_CLUSTER_DIR=$standby_dir cluster_remove
	fi
	cluster_remove
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAILED: $*" >&2
	exit 1
}

# --- the primary --------------------------------------------------------------
cluster_start 'wal_level = replica' 'max_wal_senders = 4' 'hot_standby = on' 'shared_buffers = 128MB'
primary_dir=$EXP_CLUSTER_DIR
primary_port=$PGPORT
export PGDATABASE=$DB
createdb "$DB"

# psql_su PORT_DIR PORT: psql as the superuser on the unix socket of a cluster
psql_su() {
	psql -X -q -tA -v ON_ERROR_STOP=1 -h "$1" -p "$2" "${@:3}"
}

psql_su "$primary_dir" "$primary_port" -c 'CREATE EXTENSION experiments'
tenant=$(psql_su "$primary_dir" "$primary_port" -c "SELECT experiments.create_tenant('acme')")
client_key=$(psql_su "$primary_dir" "$primary_port" -c "SELECT experiments.create_api_key('$tenant', 'shop', 'client')")
admin_key=$(psql_su "$primary_dir" "$primary_port" -c "SELECT experiments.create_api_key('$tenant', 'ops', 'admin')")
for key in "$client_key" "$admin_key"; do
	[[ $key =~ ^xk_[0-9a-f]{64}$ ]] || fail "create_api_key answered '$key'"
done

psql_su "$primary_dir" "$primary_port" -v tenant="$tenant" -v units="$UNITS" <<-'SQL'
	CREATE ROLE shop_backend LOGIN PASSWORD 'x' IN ROLE experiments_client;
	CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD 'y' IN ROLE experiments_authenticator;
	GRANT experiments_anon, experiments_client, experiments_admin, experiments_analyst TO authenticator;
	BEGIN;
	SELECT experiments.set_tenant(:'tenant') \g /dev/null
	SELECT experiments.create_experiment('checkout_button',
		'[{"key": "control", "allocation": 50}, {"key": "green", "allocation": 50}]', start => true) \g /dev/null
	SELECT experiments.create_experiment('banner',
		'[{"key": "blue", "allocation": 34}, {"key": "red", "allocation": 33}, {"key": "white", "allocation": 33}]',
		traffic_percent => 60, start => true) \g /dev/null
	SELECT experiments.set_override('checkout_button', 'unit-7', 'green') \g /dev/null
	SELECT experiments.set_override('banner', 'unit-8', 'white') \g /dev/null
	COMMIT;
	BEGIN;
	SELECT experiments.set_tenant(:'tenant') \g /dev/null
	SELECT count(experiments.enrol('checkout_button', 'unit-' || g)) FROM generate_series(1, 40) g \g /dev/null
	SELECT count(experiments.enrol('banner', 'unit-' || g)) FROM generate_series(1, 40, 3) g \g /dev/null
	COMMIT;
SQL

# --- the standby --------------------------------------------------------------
standby_dir=$(mktemp -d /tmp/experiments-cluster.XXXXXX)
chown "$cluster_owner" "$standby_dir"
chmod 755 "$standby_dir"
standby_port=$(cluster_free_port)
cluster_run_as "$PGBIN/pg_basebackup" -D "$standby_dir/data" -R -X stream -c fast \
	-h "$primary_dir" -p "$primary_port" -U "$cluster_owner" >"$work/basebackup.log" 2>&1 ||
	{ cat "$work/basebackup.log"; fail "pg_basebackup"; }
[ -f "$standby_dir/data/standby.signal" ] || fail "pg_basebackup -R wrote no standby.signal"
cat >>"$standby_dir/data/postgresql.conf" <<-CONF
	port = $standby_port
	unix_socket_directories = '$standby_dir'
	hot_standby = on
CONF
EXP_CLUSTER_DIR=$standby_dir EXP_CLUSTER_LOG=$standby_dir/server.log cluster_restart

# wait_until PORT_DIR PORT SQL WHAT: polls SQL (answering t or f) for up to 30 s
wait_until() {
	for _ in $(seq 1 300); do
		if [ "$(psql_su "$1" "$2" -c "$3")" = t ]; then
			return 0
		fi
		sleep 0.1
	done
	fail "waited 30 s for $4"
}
wait_until "$standby_dir" "$standby_port" \
	"SELECT pg_is_in_recovery() AND EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming')" \
	"the standby to stream from the primary"

# wait_replay: the primary's current LSN, and waits until the standby has replayed it
wait_replay() {
	local lsn
	lsn=$(psql_su "$primary_dir" "$primary_port" -c 'SELECT pg_current_wal_lsn()')
	wait_until "$standby_dir" "$standby_port" "SELECT pg_last_wal_replay_lsn() >= '$lsn'" "the standby to replay $lsn"
	echo "$lsn"
}
wait_replay >/dev/null

# conninfo PORT USER PASSWORD: a TCP login with a password, as a deployment has it
conninfo() {
	echo "host=127.0.0.1 port=$1 dbname=$DB user=$2 password=$3"
}
app_primary=$(conninfo "$primary_port" shop_backend x)
app_standby=$(conninfo "$standby_port" shop_backend x)
http_primary=$(conninfo "$primary_port" authenticator y)
http_standby=$(conninfo "$standby_port" authenticator y)

# --- what is compared ---------------------------------------------------------
# assign_sql: the application's transaction: assign() of each experiment and
# assign_all() (in its own order) for every unit, full rows as text
assign_sql() {
	cat <<-SQL
		BEGIN;
		SELECT experiments.authenticate('$client_key') \g /dev/null
		SELECT 'assign checkout_button unit-' || g || ' ' || experiments.assign('checkout_button', 'unit-' || g)::text
		FROM generate_series(1, $UNITS) g ORDER BY g;
		SELECT 'assign banner unit-' || g || ' ' || experiments.assign('banner', 'unit-' || g)::text
		FROM generate_series(1, $UNITS) g ORDER BY g;
		SELECT 'assign_all unit-' || g || ' ' || coalesce((SELECT string_agg(a::text, ' ')
			FROM experiments.assign_all('unit-' || g) a), '(none)')
		FROM generate_series(1, $UNITS) g ORDER BY g;
		COMMIT;
	SQL
}

# http_request ROLE_KEY PATH CALL: one PostgREST transaction: the anonymous
# role, the request's settings, the pre-request, the call
http_request() {
	cat <<-SQL
		BEGIN;
		SELECT set_config('role', 'experiments_anon', true), set_config('request.headers', json_build_object('x-api-key', '$1')::text, true), set_config('request.path', '$2', true), set_config('request.jwt.claims', '{"role": "experiments_anon"}', true) \g /dev/null
		SELECT experiments.authenticate_request() \g /dev/null
		$3;
		COMMIT;
	SQL
}

# allocate_sql: POST /rpc/allocate for every unit, one transaction each
allocate_sql() {
	local g
	for g in $(seq 1 "$UNITS"); do
		http_request "$client_key" /rpc/allocate \
			"SELECT 'allocate unit-$g ' || experiments_api.allocate('{\"visitor_id\": \"unit-$g\"}')::text"
	done
}

# run CONNINFO OUTFILE SQL: SQL in a new session
run() {
	printf '%s\n' "$3" | psql -X -q -tA -v ON_ERROR_STOP=1 "$1" >"$2"
}

# session_open NAME CONNINFO: a session kept open in the background, fed
# through a fifo, so that it lives across the catalog change
session_open() {
	local fd
	mkfifo "$work/$1.in"
	psql -X -q -tA -v ON_ERROR_STOP=1 "$2" <"$work/$1.in" >"$work/$1.out" 2>&1 &
	session_pid[$1]=$!
	exec {fd}>"$work/$1.in"
	session_fd[$1]=$fd
}

# session_run NAME OUTFILE SQL: SQL in the open session NAME, its rows to OUTFILE
session_run() {
	local mark
	session_seq=$((session_seq + 1))
	mark="-- done $session_seq"
	kill -0 "${session_pid[$1]}" 2>/dev/null || { cat "$work/$1.out"; fail "session $1 has ended"; }
	printf '\\o %s\n%s\n\\o\n\\echo %s\n' "$2" "$3" "$mark" >&"${session_fd[$1]}"
	for _ in $(seq 1 600); do
		if grep -qxF -- "$mark" "$work/$1.out"; then
			return 0
		fi
		kill -0 "${session_pid[$1]}" 2>/dev/null || { cat "$work/$1.out"; fail "session $1 failed"; }
		sleep 0.05
	done
	cat "$work/$1.out"
	fail "session $1 did not answer in 30 s"
}

# same WHAT FILE FILE: the two answers are equal, line for line
same() {
	if ! cmp -s "$2" "$3"; then
		echo "$1: the standby answers otherwise than the primary:"
		diff "$2" "$3" | head -20
		fail "$1"
	fi
}

# --- 1. the standby serves what the primary serves ---------------------------
assign_q=$(assign_sql)
allocate_q=$(allocate_sql)
session_open app "$app_standby"
session_open http "$http_standby"
session_run app "$work/app.pid" 'SELECT pg_backend_pid();'
session_run http "$work/http.pid" 'SELECT pg_backend_pid();'

run "$app_primary" "$work/assign.primary.1" "$assign_q"
run "$http_primary" "$work/allocate.primary.1" "$allocate_q"
session_run app "$work/assign.standby.1" "$assign_q"
session_run http "$work/allocate.standby.1" "$allocate_q"

[ "$(wc -l <"$work/assign.primary.1")" -eq $((3 * UNITS)) ] || fail "assign: $(wc -l <"$work/assign.primary.1") lines, not $((3 * UNITS))"
[ "$(wc -l <"$work/allocate.primary.1")" -eq "$UNITS" ] || fail "allocate: $(wc -l <"$work/allocate.primary.1") lines, not $UNITS"
# The units meet every step that can decide here.
for reason in override sticky traffic hash; do
	grep -q ",$reason)" "$work/assign.primary.1" || fail "no assignment decided by $reason: the fixture is wrong"
done
same "assign/assign_all before the change" "$work/assign.primary.1" "$work/assign.standby.1"
same "allocate before the change" "$work/allocate.primary.1" "$work/allocate.standby.1"
echo "before the change: assign, assign_all ($((3 * UNITS)) rows) and allocate ($UNITS requests) equal on primary and standby"

# --- 3. writes are refused on the standby -------------------------------------
ms=$(($(date +%s) * 1000))
experiment_id=$(psql -X -q -tA -v ON_ERROR_STOP=1 "$app_primary" <<-SQL
	BEGIN;
	SELECT experiments.authenticate('$client_key') \g /dev/null
	SELECT (experiments.assign('checkout_button', 'unit-1')).experiment_id;
	COMMIT;
SQL
)
batch=$(printf '{"requests": [{"units": [{"type": "user_id", "uid": "unit-1"}], "hashed": true, "publishedAt": %s, "exposures": [{"id": %s, "name": "checkout_button", "unit": "user_id", "variant": 1, "exposedAt": %s, "assigned": true, "eligible": true}], "goals": [{"name": "checkout", "achievedAt": %s, "properties": {"value": 12}}]}]}' \
	"$ms" "$experiment_id" "$ms" "$ms")
publish_q="SELECT experiments.publish('$batch')"
context_batch_q="SELECT experiments_api.context_batch('$batch')"
create_q="SELECT experiments_api.create_org_experiment(organization_id => '$tenant', body => '{\"is_draft\": true, \"name\": \"Standby copy\"}')"

# The batch and the creation are valid: the primary takes them (rolled back).
answer=$(psql -X -q -tA -v ON_ERROR_STOP=1 "$app_primary" <<-SQL
	BEGIN;
	SELECT experiments.authenticate('$client_key') \g /dev/null
	$publish_q;
	ROLLBACK;
SQL
)
[[ $answer == *'"ok": true'* ]] || fail "the primary refused the batch: $answer"
answer=$(printf '%s\n' "$(http_request "$admin_key" /rpc/create_org_experiment "$create_q" | sed 's/^COMMIT;$/ROLLBACK;/')" |
	psql -X -q -tA -v ON_ERROR_STOP=1 "$http_primary")
[[ $answer == *'"is_draft": true'* ]] || fail "the primary refused create_org_experiment: $answer"

refused_count=0
# refused WHAT CONNINFO SQL: the standby must refuse SQL with a SQLSTATE of class 25
refused() {
	local out state
	if out=$(printf '\\set VERBOSITY verbose\n%s\n' "$3" | psql -X -q -tA -v ON_ERROR_STOP=1 "$2" 2>&1); then
		echo "$out"
		fail "$1 was accepted by the standby"
	fi
	state=$(sed -nE 's/^(psql:[^ ]*: )?ERROR:  ([0-9A-Z]{5}): .*/\2/p' <<<"$out" | head -1)
	echo "refused on the standby: $1"
	grep -E '^(psql:[^ ]*: )?(ERROR|DETAIL|HINT):  ' <<<"$out" | sed -E 's/^psql:[^ ]*: //; s/^/    /'
	[[ $state == 25??? ]] || fail "$1: SQLSTATE '$state', not of class 25 (invalid transaction state)"
	refused_count=$((refused_count + 1))
}
refused "experiments.enrol('checkout_button', 'fresh-unit')" "$app_standby" "BEGIN;
SELECT experiments.authenticate('$client_key') \g /dev/null
SELECT experiments.enrol('checkout_button', 'fresh-unit');
COMMIT;"
refused "experiments.publish(batch)" "$app_standby" "BEGIN;
SELECT experiments.authenticate('$client_key') \g /dev/null
$publish_q;
COMMIT;"
refused "POST /rpc/context_batch" "$http_standby" "$(http_request "$client_key" /rpc/context_batch "$context_batch_q")"
refused "POST /rpc/visitor" "$http_standby" "$(http_request "$client_key" /rpc/visitor "SELECT experiments_api.visitor()")"
refused "POST /rpc/create_org_experiment (admin key)" "$http_standby" "$(http_request "$admin_key" /rpc/create_org_experiment "$create_q")"

# --- 2. catalog changes follow replay -----------------------------------------
psql_su "$primary_dir" "$primary_port" -v tenant="$tenant" <<-'SQL'
	BEGIN;
	SELECT experiments.set_tenant(:'tenant') \g /dev/null
	SELECT experiments.set_variants('checkout_button',
		'[{"key": "control", "allocation": 20}, {"key": "green", "allocation": 80}]') \g /dev/null
	COMMIT;
	BEGIN;
	SELECT experiments.set_tenant(:'tenant') \g /dev/null
	SELECT experiments.set_state('banner', 'stopped') \g /dev/null
	COMMIT;
SQL
lsn=$(wait_replay)

run "$app_primary" "$work/assign.primary.2" "$assign_q"
run "$http_primary" "$work/allocate.primary.2" "$allocate_q"
# the sessions opened before the change first, then new ones
session_run app "$work/assign.standby.2" "$assign_q"
session_run http "$work/allocate.standby.2" "$allocate_q"
run "$app_standby" "$work/assign.standby.new.2" "$assign_q"
run "$http_standby" "$work/allocate.standby.new.2" "$allocate_q"

# The change is visible at all: answers moved, banner is gone.
cmp -s "$work/assign.primary.1" "$work/assign.primary.2" && fail "assign answers the same after the change"
cmp -s "$work/allocate.primary.1" "$work/allocate.primary.2" && fail "allocate answers the same after the change"
grep -q '^assign_all .*,banner,' "$work/assign.primary.2" && fail "assign_all still lists the stopped banner"
grep '^assign banner ' "$work/assign.primary.2" | grep -qv ',not_running)$' && fail "assign('banner') not not_running after the stop"
moved=$(diff <(grep '^assign checkout_button ' "$work/assign.primary.1") \
	<(grep '^assign checkout_button ' "$work/assign.primary.2") | grep -c '^>' || true)
same "assign/assign_all after the change, session opened before it" "$work/assign.primary.2" "$work/assign.standby.2"
same "allocate after the change, session opened before it" "$work/allocate.primary.2" "$work/allocate.standby.2"
same "assign/assign_all after the change, new session" "$work/assign.primary.2" "$work/assign.standby.new.2"
same "allocate after the change, new session" "$work/allocate.primary.2" "$work/allocate.standby.new.2"
session_run app "$work/app.pid.2" 'SELECT pg_backend_pid();'
session_run http "$work/http.pid.2" 'SELECT pg_backend_pid();'
if ! cmp -s "$work/app.pid" "$work/app.pid.2" || ! cmp -s "$work/http.pid" "$work/http.pid.2"; then
	fail "the sessions opened before the change are not the same backends"
fi
# No server process of either cluster died or panicked on the way.
if grep -E 'terminated by signal|was terminated by exception|PANIC:' "$primary_dir/server.log" "$standby_dir/server.log"; then
	fail "a server process died"
fi
echo "after the change (replayed to $lsn): $moved of $UNITS checkout_button assignments moved, banner stopped;" \
	"equal on primary and standby, in the sessions opened before it (backends $(cat "$work/app.pid") and $(cat "$work/http.pid")) and in new ones"
echo "standby: $refused_count writes refused with SQLSTATE class 25; $SECONDS s"
