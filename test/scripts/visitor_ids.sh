#!/usr/bin/env bash
# Visitor ids are unique under concurrency: 4 sessions at once make 20,000
# ids each through experiments_api.visitor() (as experiments_client, after
# authenticating with a key, as PostgREST calls it) into one table; every id
# must be distinct, 20 characters of base32hex, and ids of one session must
# sort in the order that session made them.
set -euo pipefail
db=visitor_ids
dropdb --if-exists "$db"
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE EXTENSION experiments;
CREATE UNLOGGED TABLE ids (session integer, n bigint GENERATED ALWAYS AS IDENTITY, id text);
GRANT INSERT ON ids TO experiments_client;
SQL
key=$(psql -X -A -t -d "$db" -c "SELECT experiments.create_api_key(experiments.create_tenant('visitors'), 'web')")
cat >"$EXP_CLUSTER_DIR/visitor.sql" <<SQL
BEGIN;
SELECT set_config('role', 'experiments_anon', true), set_config('request.headers', '{"x-api-key": "$key"}', true), set_config('request.path', '/rpc/visitor', true);
SELECT experiments.authenticate_request();
INSERT INTO ids (session, id) SELECT :client_id, experiments_api.visitor() ->> 'id';
COMMIT;
SQL
pgbench -n -c 4 -j 4 -t 20000 -f "$EXP_CLUSTER_DIR/visitor.sql" "$db"
psql -X -A -t -v ON_ERROR_STOP=1 -d "$db" <<'SQL' | tee "$EXP_CLUSTER_DIR/visitor_ids.out"
SELECT format('%s ids, %s distinct, %s well-formed, %s out of order within a session',
	count(*), count(DISTINCT id), count(*) FILTER (WHERE id ~ '^[0-9a-v]{20}$'),
	(SELECT count(*) FROM (SELECT id < lag(id) OVER (PARTITION BY session ORDER BY n) AS back FROM ids) s WHERE back))
FROM ids;
SQL
dropdb "$db"
grep -qx '80000 ids, 80000 distinct, 80000 well-formed, 0 out of order within a session' "$EXP_CLUSTER_DIR/visitor_ids.out"
