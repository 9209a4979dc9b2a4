#!/usr/bin/env bash
# The harness's own test: a throwaway cluster, a small schema (not the extension), pgrst.py
# started with harness.sh, every path PostgREST takes exercised with test/http/request.
# Ends with "N passed, N failed"; exits non-zero when something failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 1
unset PGRST_URL PGRST_PORT_FILE PGRST_DB_SCHEMAS PGRST_DB_ANON_ROLE PGRST_DB_PRE_REQUEST \
	PGRST_DB_EXTRA_SEARCH_PATH PGRST_JWT_ROLE_CLAIM_KEY PGRST_DB_MAX_ROWS
export PGRST_JWT_SECRET=selftest-secret-of-at-least-32-characters PGRST_DB_POOL=2

# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
# shellcheck source=test/http/harness.sh
. "$here/harness.sh"
trap 'harness_stop; cluster_remove' EXIT
cluster_start >/dev/null || exit 1
export PGDATABASE=http_selftest
createdb "$PGDATABASE" || exit 1
uri="postgres://selftest_authenticator:selftest-password@127.0.0.1:$PGPORT/$PGDATABASE"

psql -XqAt -v ON_ERROR_STOP=1 <<'SQL' || exit 1
CREATE ROLE experiments_anon NOLOGIN;
CREATE ROLE selftest_user NOLOGIN;
CREATE ROLE selftest_authenticator LOGIN NOINHERIT PASSWORD 'selftest-password';
GRANT experiments_anon, selftest_user TO selftest_authenticator;

CREATE SCHEMA experiments;
CREATE SCHEMA experiments_api;
GRANT USAGE ON SCHEMA experiments, experiments_api TO experiments_anon, selftest_user;

CREATE TABLE experiments.items (id serial PRIMARY KEY, name text NOT NULL, qty integer NOT NULL, note text);
GRANT SELECT, INSERT ON experiments.items TO selftest_user;
GRANT SELECT ON experiments.items TO experiments_anon;
GRANT USAGE ON SEQUENCE experiments.items_id_seq TO selftest_user;
CREATE TABLE experiments.commit_log (item_id integer, committed_by name, pre_request_user text);
GRANT INSERT ON experiments.commit_log TO selftest_user;

-- the pre-request stub: records who runs it; "x-refuse: yes" is refused
CREATE FUNCTION experiments.authenticate_request() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('selftest.pre_request_user', current_user, true);
	IF current_setting('request.headers', true)::json->>'x-refuse' = 'yes' THEN
		RAISE SQLSTATE 'PT403' USING MESSAGE = 'refused by the pre-request', HINT = 'drop x-refuse';
	END IF;
END $$;

-- fires at COMMIT: records who commits (the request's role, unless it was reset before COMMIT)
CREATE FUNCTION experiments.log_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.name = 'fail at commit' THEN
		RAISE SQLSTATE 'PT409' USING MESSAGE = 'refused at commit';
	END IF;
	INSERT INTO experiments.commit_log
	VALUES (NEW.id, current_user, current_setting('selftest.pre_request_user', true));
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER items_commit_log AFTER INSERT ON experiments.items
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION experiments.log_commit();

CREATE FUNCTION experiments_api.add_item(name text, qty integer DEFAULT 1) RETURNS experiments.items
LANGUAGE sql VOLATILE AS $$ INSERT INTO experiments.items (name, qty) VALUES (name, qty) RETURNING * $$;

CREATE FUNCTION experiments_api.context() RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'user', current_user, 'session_user', session_user,
		'pre_request_user', current_setting('selftest.pre_request_user', true),
		'read_only', current_setting('transaction_read_only'),
		'isolation', current_setting('transaction_isolation'),
		'search_path', current_setting('search_path'),
		'claims', current_setting('request.jwt.claims', true)::jsonb,
		'method', current_setting('request.method', true),
		'path', current_setting('request.path', true),
		'headers', current_setting('request.headers', true)::jsonb,
		'cookies', current_setting('request.cookies', true)::jsonb,
		'backend', pg_backend_pid())
$$;
CREATE FUNCTION experiments_api.context_rw() RETURNS jsonb LANGUAGE sql VOLATILE AS $$ SELECT experiments_api.context() $$;
CREATE FUNCTION experiments_api.item_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM experiments.items $$;
CREATE FUNCTION experiments_api.echo(jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT $1 $$;
CREATE FUNCTION experiments_api.typed(n integer, t text, d date DEFAULT NULL) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('n', n, 't', t, 't_type', pg_typeof(t)::text, 'd', d) $$;
CREATE FUNCTION experiments_api.twin(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT a $$;
CREATE FUNCTION experiments_api.twin(a text) RETURNS text LANGUAGE sql AS $$ SELECT a $$;
CREATE FUNCTION experiments_api.items_from(min_qty integer) RETURNS SETOF experiments.items
LANGUAGE sql STABLE AS $$ SELECT * FROM experiments.items WHERE qty >= min_qty ORDER BY id $$;
CREATE FUNCTION experiments_api.nothing() RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION experiments_api.not_found() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE SQLSTATE 'PT404' USING MESSAGE = 'no such thing', DETAIL = 'looked everywhere', HINT = 'try another';
END $$;
CREATE FUNCTION experiments_api.payment_required() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE SQLSTATE 'PGRST' USING
		MESSAGE = '{"code":"QUOTA","message":"Payment Required","details":"Quota exceeded","extra":1}',
		DETAIL = '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}';
END $$;
CREATE FUNCTION experiments_api.bad_raise() RETURNS void LANGUAGE plpgsql AS $$
BEGIN RAISE SQLSTATE 'PGRST' USING MESSAGE = 'not json', DETAIL = '{}'; END $$;
CREATE FUNCTION experiments_api.create_thing(name text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('response.status', '201', true);
	PERFORM set_config('response.headers',
		json_build_array(json_build_object('Location', '/things/' || name), json_build_object('X-Thing', name))::text, true);
	RETURN jsonb_build_object('name', name);
END $$;
CREATE FUNCTION experiments_api.members_only() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'welcome' $$;
REVOKE EXECUTE ON FUNCTION experiments_api.members_only() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_api.members_only() TO selftest_user;
CREATE FUNCTION experiments_api.nobody() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'hidden' $$;
REVOKE EXECUTE ON FUNCTION experiments_api.nobody() FROM PUBLIC;

CREATE DOMAIN experiments_api."text/html" AS text;
CREATE FUNCTION experiments_api.page(title text) RETURNS experiments_api."text/html" LANGUAGE sql STABLE AS $$
	SELECT '<p>' || title || '</p>' $$;

CREATE VIEW experiments_api.items_view AS SELECT id, name, qty, note FROM experiments.items;
GRANT SELECT ON experiments_api.items_view TO experiments_anon, selftest_user;
SQL

passed=0
failed=0

# verdict NAME PYTHON_EXPR ANSWER: PYTHON_EXPR sees the answer's s (status), b (body), h (headers)
verdict() {
	if /usr/bin/python3 -c 'import json, sys
r = json.loads(sys.argv[2])
s, b, h = r["status"], r["body"], r["headers"]
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" "$3" 2>/dev/null; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s\n  expected: %s\n  answer:   %s\n' "$1" "$2" "$3"
	fi
}

# check NAME PYTHON_EXPR REQUEST_ARGS...: one request, judged by verdict
check() {
	local name=$1 expr=$2
	shift 2
	verdict "$name" "$expr" "$("$here/request" "$@" 2>&1)"
}

# ok NAME COMMAND...: a plain assertion
ok() {
	if "${@:2}"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1"
	fi
}

sql() { psql -XqAt -c "$1"; }
field() { /usr/bin/python3 -c 'import json, sys; print(eval(sys.argv[1], {"r": json.loads(sys.argv[2])}))' "$1" "$2"; }

# logins over TCP need the password
ok "authenticator cannot log in without its password" \
	bash -c "! PGPASSWORD= psql -Xw 'postgres://selftest_authenticator@127.0.0.1:$PGPORT/$PGDATABASE' -c 'select 1' >/dev/null 2>&1"
harness_start "$uri" || exit 1

# --- the transaction: settings, roles, access mode
check "anonymous context" \
	's == 200 and b["user"] == "experiments_anon" and b["claims"] == {"role": "experiments_anon"} and b["session_user"] == "selftest_authenticator"' \
	POST /rpc/context
check "request settings" \
	'b["method"] == "POST" and b["path"] == "/rpc/context" and b["headers"]["x-marker"] == "m1" and "cookie" not in b["headers"] and b["cookies"] == {"a": "1", "b": "two"} and b["search_path"] == "\"experiments_api\", \"experiments\"" and b["isolation"] == "read committed"' \
	POST /rpc/context -H 'X-Marker: m1' -H 'Cookie: a=1; b=two'
check "JWT role and claims" \
	'b["user"] == "selftest_user" and b["pre_request_user"] == "selftest_user" and b["claims"] == {"role": "selftest_user", "tenant": "t1"}' \
	POST /rpc/context -t '{"role": "selftest_user", "tenant": "t1"}'
check "settings do not leak into the next request" \
	'b["user"] == "experiments_anon" and "x-marker" not in b["headers"] and b["cookies"] == {} and b["pre_request_user"] == "experiments_anon"' \
	POST /rpc/context
check "POST to a STABLE function is READ ONLY" 'b["read_only"] == "on"' POST /rpc/context
check "POST to a VOLATILE function is READ WRITE" 'b["read_only"] == "off"' POST /rpc/context_rw
check "GET is READ ONLY" 's == 200 and b["read_only"] == "on" and b["method"] == "GET"' GET /rpc/context_rw
check "GET of a VOLATILE writer fails read-only (25006 -> 405)" 's == 405 and b["code"] == "25006"' GET '/rpc/add_item?name=x'

# --- commit under the request's role
check "VOLATILE writer" 's == 200 and b["name"] == "apple" and b["qty"] == 3' POST /rpc/add_item -t selftest_user -d '{"name": "apple", "qty": 3}'
ok "the deferred trigger ran at COMMIT as the request's role" \
	test "$(sql "SELECT committed_by || ' ' || pre_request_user FROM experiments.commit_log c JOIN experiments.items i ON i.id = c.item_id WHERE i.name = 'apple'")" = "selftest_user selftest_user"
check "a parameter's default" 's == 200 and b["qty"] == 1' POST /rpc/add_item -t selftest_user -d '{"name": "pear"}'
check "an error at COMMIT answers and rolls back" 's == 409 and b["code"] == "PT409" and b["message"] == "refused at commit"' \
	POST /rpc/add_item -t selftest_user -d '{"name": "fail at commit"}'
ok "nothing of the failed commit stays" test "$(sql "SELECT count(*) FROM experiments.items WHERE name = 'fail at commit'")" = 0

# --- RPC arguments
check "a JSON number for a text parameter becomes text" \
	's == 200 and b == {"n": 5, "t": "7", "t_type": "text", "d": None}' POST /rpc/typed -d '{"n": 5, "t": 7}'
check "a bad value fails in the cast (22P02)" 's == 400 and b["code"] == "22P02" and b["details"] is None' POST /rpc/typed -d '{"n": "x", "t": "a"}'
check "GET passes query parameters as arguments" 's == 200 and b["n"] == 3 and b["d"] == "2024-01-02"' GET '/rpc/typed?n=3&t=hello&d=2024-01-02'
check "a missing required parameter is no match (PGRST202)" \
	's == 404 and b["code"] == "PGRST202" and b["message"] == "Could not find the function experiments_api.typed(t) in the schema cache"' \
	POST /rpc/typed -d '{"t": "a"}'
check "an unknown key is no match" 's == 404 and b["code"] == "PGRST202" and "with parameters n, t, zzz or with a single unnamed json/jsonb parameter" in b["details"]' \
	POST /rpc/typed -d '{"n": 1, "t": "a", "zzz": 1}'
check "an unknown function" 's == 404 and b["code"] == "PGRST202" and b["hint"] == "Perhaps you meant to call the function experiments_api.typed"' POST /rpc/typd
check "overloaded functions (PGRST203)" 's == 300 and b["code"] == "PGRST203"' POST /rpc/twin -d '{"a": 1}'
check "a single unnamed jsonb parameter gets the body" 's == 200 and b == {"any": [1, 2], "x": None}' POST /rpc/echo -d '{"any": [1, 2], "x": null}'
check "an empty body is {}" 's == 200 and isinstance(b, int) and h["content-range"] == "0-0/*"' POST /rpc/item_count
check "{} for a function without parameters" 's == 200 and isinstance(b, int)' POST /rpc/item_count -d '{}'
check "invalid JSON (PGRST102)" 's == 400 and b["code"] == "PGRST102" and b["message"] == "Empty or invalid json"' POST /rpc/echo -d '{'
check "only GET and POST on RPC (PGRST101)" 's == 405 and b["code"] == "PGRST101"' PUT /rpc/context
check "SETOF rows" 's == 200 and [r["name"] for r in b] == ["apple"] and h["content-range"] == "0-0/*"' POST /rpc/items_from -d '{"min_qty": 2}'
check "select, order and limit on a function's rows" 's == 200 and [r["name"] for r in b] == ["pear"] and set(b[0]) == {"id", "name"}' \
	GET '/rpc/items_from?min_qty=0&select=name,id&order=id.desc&limit=1'
check "PostgREST 12's quirk: a function's rows are ordered by selected columns only" 's == 400 and b["code"] == "42703"' \
	GET '/rpc/items_from?min_qty=0&select=name&order=id'
check "filters on a function's rows" 's == 200 and [r["name"] for r in b] == ["apple"]' GET '/rpc/items_from?min_qty=0&name=eq.apple'

# --- status and headers
check "void answers 204" 's == 204 and b is None and h == {"content-range": "0-0/*"}' POST /rpc/nothing
check "response.status and response.headers" 's == 201 and b == {"name": "t1"} and h["location"] == "/things/t1" and h["x-thing"] == "t1"' \
	POST /rpc/create_thing -d '{"name": "t1"}'
check "RAISE SQLSTATE 'PT404'" \
	's == 404 and b == {"code": "PT404", "message": "no such thing", "details": "looked everywhere", "hint": "try another"}' POST /rpc/not_found
check "RAISE SQLSTATE 'PGRST'" \
	's == 402 and b == {"code": "QUOTA", "message": "Payment Required", "details": "Quota exceeded", "hint": None} and h["x-powered-by"] == "Nerd Rage"' \
	POST /rpc/payment_required
check "RAISE SQLSTATE 'PGRST' with a bad message (PGRST121)" 's == 500 and b["code"] == "PGRST121"' POST /rpc/bad_raise
check "a pre-request error" 's == 403 and b["code"] == "PT403" and b["hint"] == "drop x-refuse"' POST /rpc/context -H 'x-refuse: yes'
check "42501 as anonymous is 401" 's == 401 and b["code"] == "42501" and h["www-authenticate"] == "Bearer"' POST /rpc/members_only
check "granted to the role" 's == 200 and b == "welcome"' POST /rpc/members_only -t selftest_user
check "42501 as a user is 403" 's == 403 and b["code"] == "42501" and "www-authenticate" not in h' POST /rpc/nobody -t selftest_user

# --- JWT
check "an expired token" 's == 401 and b["code"] == "PGRST301" and b["message"] == "JWT expired" and "invalid_token" in h["www-authenticate"]' \
	POST /rpc/context -t '{"role": "selftest_user", "exp": 1000}'
verdict "a token signed with another secret" 's == 401 and b["message"] == "JWSError JWSInvalidSignature"' \
	"$(PGRST_JWT_SECRET=another-secret-of-at-least-32-characters "$here/request" POST /rpc/context -t selftest_user)"
check "a malformed token" 's == 401 and b["message"].startswith("JWSError (CompactDecodeError Invalid number of parts")' \
	POST /rpc/context -H 'Authorization: Bearer abc.def'
check "a token's role that does not exist" 's == 400 and b["code"] == "22023"' POST /rpc/context -t no_such_role

# --- tables and views
check "select and eq" 's == 200 and b == [{"name": "apple", "qty": 3}]' GET '/items_view?select=name,qty&name=eq.apple'
check "in and order" 's == 200 and [r["name"] for r in b] == ["pear", "apple"]' GET '/items_view?name=in.(apple,pear)&order=name.desc'
check "is.null, gt, neq" 's == 200 and [r["name"] for r in b] == ["apple"]' GET '/items_view?note=is.null&qty=gt.1&name=neq.pear'
check "not, alias, cast" 's == 200 and b == [{"n": "pear", "q": "1"}]' GET '/items_view?select=n:name,q:qty::text&name=not.eq.apple'
check "limit and offset" 's == 200 and len(b) == 1 and b[0]["name"] == "pear" and h["content-range"] == "1-1/*"' GET '/items_view?order=id&limit=1&offset=1'
check "no rows" 's == 200 and b == [] and h["content-range"] == "*/*"' GET '/items_view?name=eq.none'
check "HEAD" 's == 200 and b is None' HEAD /items_view
check "an unknown column (42703)" 's == 400 and b["code"] == "42703"' GET '/items_view?select=nosuch'
check "a bad filter value (22P02)" 's == 400 and b["code"] == "22P02"' GET '/items_view?qty=eq.x'
check "an unknown operator (PGRST100)" 's == 400 and b["code"] == "PGRST100"' GET '/items_view?qty=bogus.1'
check "an unknown relation (42P01)" 's == 404 and b["code"] == "42P01"' GET /no_such_view
check "writes to views are refused" 's == 405' POST /items_view -d '{"name": "x"}'
check "an unknown path" 's == 404 and b == {}' GET /a/b/c

# --- the CLI's output, in psql as the tests use it
ok "the CLI prints exactly one line" test "$("$here/request" GET /items_view | wc -l)" = 1
ok "psql embeds the answer" test "$(psql -XqAt -v ON_ERROR_STOP=1 <<-PSQL
	\\set r \`$here/request POST /rpc/typed -H x-marker:\\ a -d '{"n": 1, "t": "a b"}'\`
	SELECT (:'r'::jsonb)->'body'->>'t';
	PSQL
)" = "a b"

# --- the pool: reused connections, concurrency, bounded size
backends=$(for _ in 1 2 3 4 5 6; do field 'r["body"]["backend"]' "$("$here/request" POST /rpc/context)"; done | sort -u | wc -l)
ok "connections are reused (at most PGRST_DB_POOL=2 backends)" test "$backends" -le 2
for i in 1 2 3 4 5 6; do "$here/request" POST /rpc/context_rw >"$EXP_CLUSTER_DIR/par$i" & done
wait
for i in 1 2 3 4 5 6; do verdict "concurrent request $i" 's == 200' "$(cat "$EXP_CLUSTER_DIR/par$i")"; done
ok "no more sessions than the pool and the listener" \
	test "$(sql "SELECT count(*) FROM pg_stat_activity WHERE usename = 'selftest_authenticator'")" -le 3

# --- schema cache reload, size limit, log, max rows
sql "CREATE FUNCTION experiments_api.late() RETURNS int LANGUAGE sql AS 'SELECT 7'"
check "a new function is unknown until the schema cache reloads" 's == 404' POST /rpc/late
sql "NOTIFY pgrst, 'reload schema'"
late=
for _ in $(seq 1 30); do
	late=$("$here/request" POST /rpc/late)
	case $late in *'"status":200'*) break ;; esac
	sleep 0.1
done
verdict "NOTIFY pgrst reloads the schema cache" 's == 200 and b == 7' "$late"
ok "bodies over 10 MB are refused with 413" test "$(/usr/bin/python3 -c '
import http.client, os
c = http.client.HTTPConnection("127.0.0.1", int(open(os.environ["PGRST_PORT_FILE"]).read()))
c.putrequest("POST", "/rpc/echo")
c.putheader("Content-Length", str(11 * 1024 * 1024))
c.endheaders()
print(c.getresponse().status)
')" = 413
# --- media type handlers: a function returning the domain "text/html"
check "Accept: text/html gets the domain's text and type" \
	's == 200 and b == "<p>hi</p>" and h["content-type"] == "text/html"' GET '/rpc/page?title=hi' -H 'Accept: text/html'
check "a browser's Accept ranks text/html first" \
	's == 200 and h.get("content-type") == "text/html"' GET '/rpc/page?title=hi' \
	-H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
check "no Accept is JSON: the text as a JSON string" 's == 200 and b == "<p>hi</p>" and "content-type" not in h' GET '/rpc/page?title=hi'
check "a higher q for JSON wins" 's == 200 and "content-type" not in h' GET '/rpc/page?title=hi' -H 'Accept: text/html;q=0.5, application/json'
check "a type nothing produces is 406 PGRST107" \
	's == 406 and b["code"] == "PGRST107" and b["message"] == "None of these media types are available: image/png"' \
	GET '/rpc/page?title=hi' -H 'Accept: image/png'
check "a JSON function does not produce text/html" 's == 406 and b["code"] == "PGRST107"' GET /rpc/context -H 'Accept: text/html'
check "a view does not produce text/html" 's == 406 and b["code"] == "PGRST107"' GET /items_view -H 'Accept: text/html'
ok "one log line per request" grep -qE '^[0-9T:-]+ POST /rpc/context 200 [0-9.]+ms$' "$(dirname "$PGRST_PORT_FILE")/log"
harness_stop
PGRST_DB_MAX_ROWS=1 harness_start "$uri" || exit 1
check "PGRST_DB_MAX_ROWS caps reads" 's == 200 and len(b) == 1' GET /items_view
harness_stop

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
