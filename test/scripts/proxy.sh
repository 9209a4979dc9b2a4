#!/usr/bin/env bash
# Body size over HTTP (docs/http-api.md, "Body size"): PostgREST 12 reads a
# whole request body before the database sees it, so the documented
# deployment puts nginx (Debian's package, installed when missing) in front
# with client_max_body_size 16m, experiments.max_batch_size's default. Here
# nginx proxies to the PostgREST harness (test/http): a normal
# POST /rpc/context_batch is stored (200), and a body over 16 MB, sent with a
# Content-Length or chunked, is refused by nginx (413, its own page, within
# PROXY_SECONDS) without reaching PostgREST or the database: no row is
# written and no backend runs context_batch.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROXY_SECONDS=${PROXY_SECONDS:-10}
test/deps nginx-light curl
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
# shellcheck source=test/http/harness.sh
. test/http/harness.sh
cluster_scratch proxy
cleanup() {
	[ -s "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null
	harness_stop
	rm -rf "$work"
	dropdb --if-exists proxy >/dev/null 2>&1
	psql -X -q -d postgres -c "DROP ROLE IF EXISTS proxy_authenticator" >/dev/null 2>&1 || true
}
trap cleanup EXIT
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
psql -X -q -v ON_ERROR_STOP=1 -v password="$password" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION experiments;
SELECT experiments.create_event_partitions(1) IS NOT NULL AS partitions \g /dev/null
DROP ROLE IF EXISTS proxy_authenticator;
CREATE ROLE proxy_authenticator LOGIN NOINHERIT PASSWORD :'password' IN ROLE experiments_authenticator;
GRANT experiments_anon, experiments_client TO proxy_authenticator;
SQL
CLIENT_KEY=$(psql -X -A -t -v ON_ERROR_STOP=1 -c "SELECT experiments.create_api_key(experiments.create_tenant('proxy'), 'shop')")
harness_start "postgres://proxy_authenticator:$password@127.0.0.1:$PGPORT/proxy"

# nginx on a free port, in front of the harness; the server block is the one
# docs/http-api.md documents, with its client_max_body_size.
size=$(sed -n 's/^[[:space:]]*client_max_body_size \([0-9]*[km]\);.*/\1/p' docs/http-api.md)
[ "$size" = 16m ] || { echo "proxy: docs/http-api.md's server block sets client_max_body_size '$size', not 16m (experiments.max_batch_size)"; exit 1; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
user=""
[ "$(id -u)" -ne 0 ] || user="user root;"
cat > "$work/nginx/nginx.conf" <<CONF
$user
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
	access_log $work/nginx/access.log;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	server {
		listen 127.0.0.1:$port;
		client_max_body_size $size;
		location / {
			proxy_pass $PGRST_URL;
			proxy_set_header Host \$host;
		}
	}
}
CONF
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
url="http://127.0.0.1:$port/rpc/context_batch"

stored() { psql -X -A -t -c "SELECT (SELECT count(*) FROM experiments.goal_events) + (SELECT count(*) FROM experiments.rejected_events)"; }
calls() { psql -X -A -t -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE schemaname = 'experiments_api' AND funcname = 'context_batch'"; }
psql -X -q -c "ALTER SYSTEM SET track_functions = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
trap 'psql -X -q -c "ALTER SYSTEM RESET track_functions" -c "SELECT pg_reload_conf()" >/dev/null 2>&1 || true; cleanup' EXIT
sleep 0.5

# A normal batch through nginx: stored.
now=$(($(date +%s) * 1000))
printf '{"requests": [{"units": [{"type": "user_id", "uid": "u1"}], "publishedAt": %s, "goals": [{"name": "purchase", "achievedAt": %s}]}]}' \
	"$now" "$now" > "$work/normal.json"
status=$(curl -s -o "$work/normal.out" -w '%{http_code}' -X POST -H "x-api-key: $CLIENT_KEY" \
	-H 'Content-Type: application/json' --data-binary @"$work/normal.json" "$url")
[ "$status" = 200 ] && grep -q '"ok" *: *true' "$work/normal.out" ||
	{ echo "proxy: a normal batch answered $status: $(head -c 500 "$work/normal.out")"; exit 1; }
before=$(stored)
[ "$before" -ge 1 ] || { echo "proxy: the normal batch stored nothing"; exit 1; }
pg_calls=$(calls)

# 17 MB of batch: one request whose goal carries a large property.
python3 - "$work/big.json" "$now" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    json.dump({"requests": [{"units": [{"type": "user_id", "uid": "u2"}], "publishedAt": int(sys.argv[2]),
                             "goals": [{"name": "purchase", "achievedAt": int(sys.argv[2]),
                                        "properties": {"padding": "p" * (17 * 1024 * 1024)}}]}]}, f)
PY
for how in length chunked; do
	extra=()
	[ "$how" = length ] || extra=(-H 'Transfer-Encoding: chunked')
	start=$(date +%s%N)
	status=$(curl -s -o "$work/big.out" -D "$work/big.headers" -w '%{http_code}' -X POST -H "x-api-key: $CLIENT_KEY" \
		-H 'Content-Type: application/json' "${extra[@]}" --data-binary @"$work/big.json" "$url" || true)
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "proxy: $(stat -c %s "$work/big.json") bytes ($how): $status in $ms ms"
	[ "$status" = 413 ] || { echo "proxy: an oversized body ($how) answered $status, not 413"; exit 1; }
	grep -qi '^server: nginx' "$work/big.headers" && grep -q nginx "$work/big.out" ||
		{ echo "proxy: the 413 ($how) is not nginx's: $(head -c 300 "$work/big.out")"; exit 1; }
	[ "$ms" -le $((PROXY_SECONDS * 1000)) ] || { echo "proxy: the 413 ($how) took $ms ms, over $PROXY_SECONDS s"; exit 1; }
done
sleep 0.6	# the statistics collector's flush interval is 0.5 s
[ "$(stored)" = "$before" ] || { echo "proxy: the oversized bodies wrote rows"; exit 1; }
[ "$(calls)" = "$pg_calls" ] || { echo "proxy: context_batch ran for an oversized body"; exit 1; }
echo "proxy: ok (2 oversized bodies refused by nginx, 0 rows, 0 calls of context_batch; a normal batch stored)"
