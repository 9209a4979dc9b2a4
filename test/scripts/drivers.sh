#!/usr/bin/env bash
# Drivers: the extension as applications use it in SQL, through real client
# libraries, on their own logins over TCP with a password (scram-sha-256).
#   1. psycopg 3 (test/clients/python/drivers_test.py) and node-postgres
#      (test/clients/node/drivers.test.js), each on the server itself: two
#      tenants with the same experiment key and opposite weights (acme 100%
#      green, globex 100% control, so an answer names its tenant); on ONE
#      connection, server-side prepared statements serve transactions of
#      both tenants in turn and each sees its own tenant only; enrolment is
#      sticky; a published batch is stored in its tenant (read back as
#      superuser); an operator's committed weight change is seen by the next
#      transaction of the existing connection; a transaction without
#      authenticate() has no tenant (42501): nothing leaks from the last one.
#   2. Both again, at once, through pgbouncer in pool_mode = transaction with
#      default_pool_size = 1: Python as acme and Node as globex take turns on
#      ONE server connection (one backend pid, their transactions
#      interleaved); no transaction starts with a tenant, a role or a
#      request.headers setting, and each answers for its own tenant only.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh

# What the clients need, installed only when missing: Debian's psycopg (for
# the system python3) and pgbouncer; Node and npm unless some package gives
# them already (NodeSource's nodejs includes npm); pg from the lockfile.
test/deps python3-psycopg pgbouncer
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	test/deps nodejs npm
fi
python=/usr/bin/python3
pgbouncer=/usr/sbin/pgbouncer
node_dir=test/clients/node
lock_sum=$(cat "$node_dir/package.json" "$node_dir/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$node_dir/node_modules/.drivers-lock-sum" 2>/dev/null)" != "$lock_sum" ]; then
	(cd "$node_dir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
	echo "$lock_sum" >"$node_dir/node_modules/.drivers-lock-sum"
fi

cluster_scratch drivers
app_user=drivers_shop_backend
ops_user=drivers_ops
app_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
ops_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
bouncer_dir=$work/pgbouncer

# stop_bouncer: SIGTERM to the pgbouncer this suite started, by its pid file,
# and wait until it is gone
stop_bouncer() {
	local pid
	pid=$(cat "$bouncer_dir/pgbouncer.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		cluster_any_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}
# cleanup: pgbouncer, the database, the login roles (cluster-wide: another
# suite of the same cluster may create its own), the work directory
cleanup() {
	stop_bouncer
	dropdb --if-exists --force drivers >/dev/null 2>&1 || true
	psql -X -q -d postgres -c "DROP ROLE IF EXISTS $app_user, $ops_user" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# 0. As a superuser: the extension, two tenants, their keys, the logins.
psql -X -q -A -t -v ON_ERROR_STOP=1 \
	-v app_user="$app_user" -v ops_user="$ops_user" -v app_password="$app_password" -v ops_password="$ops_password" \
	>"$work/setup.out" <<'SQL'
SET client_min_messages = warning;
DROP ROLE IF EXISTS :"app_user", :"ops_user";
CREATE EXTENSION experiments;
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password' IN ROLE experiments_client;
CREATE ROLE :"ops_user" LOGIN PASSWORD :'ops_password' IN ROLE experiments_admin;
SELECT experiments.create_tenant('acme') AS acme \gset
SELECT experiments.create_tenant('globex') AS globex \gset
SELECT 'DRIVERS_ACME_TENANT=' || :'acme';
SELECT 'DRIVERS_ACME_KEY=' || experiments.create_api_key(:'acme', 'shop', 'client');
SELECT 'DRIVERS_ACME_ADMIN_KEY=' || experiments.create_api_key(:'acme', 'ops', 'admin');
SELECT 'DRIVERS_GLOBEX_TENANT=' || :'globex';
SELECT 'DRIVERS_GLOBEX_KEY=' || experiments.create_api_key(:'globex', 'shop', 'client');
SELECT 'DRIVERS_GLOBEX_ADMIN_KEY=' || experiments.create_api_key(:'globex', 'ops', 'admin');
SQL
while IFS='=' read -r name value; do
	export "$name=$value"
done <"$work/setup.out"
export DRIVERS_HOST=127.0.0.1 DRIVERS_PORT=$PGPORT DRIVERS_DB=drivers
export DRIVERS_APP_USER=$app_user DRIVERS_APP_PASSWORD=$app_password
export DRIVERS_OPS_USER=$ops_user DRIVERS_OPS_PASSWORD=$ops_password

# as_operator KEY SQL: runs SQL as the operator's login over TCP, in one
# transaction that authenticated with KEY first
as_operator() {
	PGPASSWORD=$ops_password psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "$ops_user" -v key="$1" <<-SQL
	BEGIN;
	SELECT experiments.authenticate(:'key') \g /dev/null
	$2
	COMMIT;
	SQL
}
# starting_weights: acme 100% green, globex 100% control
starting_weights() {
	as_operator "$DRIVERS_ACME_ADMIN_KEY" \
		"SELECT count(*) FROM experiments.set_variants('checkout_button', '[{\"key\": \"control\", \"allocation\": 0}, {\"key\": \"green\", \"allocation\": 100}]') \\g /dev/null"
	as_operator "$DRIVERS_GLOBEX_ADMIN_KEY" \
		"SELECT count(*) FROM experiments.set_variants('checkout_button', '[{\"key\": \"control\", \"allocation\": 100}, {\"key\": \"green\", \"allocation\": 0}]') \\g /dev/null"
}
for key in "$DRIVERS_ACME_ADMIN_KEY" "$DRIVERS_GLOBEX_ADMIN_KEY"; do
	as_operator "$key" "SELECT key, state FROM experiments.create_experiment('checkout_button',
		'[{\"key\": \"control\", \"allocation\": 50}, {\"key\": \"green\", \"allocation\": 50}]', start => true) \\g /dev/null"
done
starting_weights

# 1. Each client on the server itself.
echo "== direct: psycopg"
DRIVERS_MODE=direct "$python" test/clients/python/drivers_test.py
echo "== direct: node-postgres"
(cd "$node_dir" && DRIVERS_MODE=direct node --test drivers.test.js)

# 2. pgbouncer: transaction pooling, one server connection for the pair
# (database, user) both clients log in as. The auth_file holds the login's
# SCRAM secret, copied from pg_authid: pgbouncer checks the client's proof with
# it, and logs in to the server with the keys that proof gave it.
mkdir -m 700 "$bouncer_dir"
mkdir "$work/barrier"
chmod 755 "$work" # pgbouncer runs as the cluster's owner
bouncer_port=$(cluster_free_port)
psql -X -q -A -t -v ON_ERROR_STOP=1 -v user="$app_user" >"$bouncer_dir/userlist.txt" <<'SQL'
SELECT format('"%s" "%s"', rolname, rolpassword) FROM pg_authid WHERE rolname = :'user';
SQL
cat >"$bouncer_dir/pgbouncer.ini" <<INI
[databases]
drivers = host=127.0.0.1 port=$PGPORT dbname=drivers

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $bouncer_dir/userlist.txt
pool_mode = transaction
default_pool_size = 1
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 20
max_db_connections = 1
# nothing cleans a server connection between two clients' transactions:
# what isolates them is the product's transaction-local tenant and settings
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $bouncer_dir/pgbouncer.log
pidfile = $bouncer_dir/pgbouncer.pid
INI
chown -R "$cluster_owner" "$bouncer_dir"
cluster_run_as "$pgbouncer" -d -q "$bouncer_dir/pgbouncer.ini" ||
	{ echo "pgbouncer did not start:"; cat "$bouncer_dir/pgbouncer.log"; exit 1; }
for try in $(seq 1 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$bouncer_port") 2>/dev/null && break
	[ "$try" -lt 50 ] || { echo "pgbouncer did not start:"; cat "$bouncer_dir/pgbouncer.log"; exit 1; }
	sleep 0.1
done
starting_weights

echo "== pgbouncer (pool_mode = transaction, default_pool_size = 1): psycopg as acme and node-postgres as globex at once"
export DRIVERS_PORT=$bouncer_port DRIVERS_MODE=pooled DRIVERS_BARRIER=$work/barrier DRIVERS_TRANSACTIONS=300
DRIVERS_TENANT=acme DRIVERS_REPORT=$work/python.json "$python" test/clients/python/drivers_test.py \
	>"$work/python.log" 2>&1 &
python_pid=$!
(cd "$node_dir" && DRIVERS_TENANT=globex DRIVERS_REPORT=$work/node.json exec node --test drivers.test.js) \
	>"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 300); do
	[ -e "$work/barrier/python.ready" ] && [ -e "$work/barrier/node.ready" ] && break
	sleep 0.1
done
touch "$work/barrier/go"
status=0
wait "$python_pid" || status=1
wait "$node_pid" || status=1
cat "$work/python.log" "$work/node.log"
if [ "$status" -ne 0 ]; then
	echo "a client failed through pgbouncer; pgbouncer's log:"
	tail -20 "$bouncer_dir/pgbouncer.log"
	exit 1
fi

# Both clients used one backend, and took turns on it.
"$python" - "$work/python.json" "$work/node.json" <<'PY'
import json, sys
reports = [json.load(open(path)) for path in sys.argv[1:]]
pids = sorted({pid for r in reports for pid in r["pids"]})
starts = sorted((t, r["client"]) for r in reports for t in r["starts"])
turns = sum(a[1] != b[1] for a, b in zip(starts, starts[1:]))
print(f"through pgbouncer: {len(starts)} transactions, server backends {pids}, the clients took turns {turns} times")
if len(pids) != 1:
    sys.exit("the clients did not share one server connection")
if turns < 20:
    sys.exit("the clients' transactions hardly interleaved")
PY
echo "drivers: ok"
