#!/usr/bin/env bash
# The demo tour: runs against the throwaway cluster of test/cluster and shows
# the product working on sample data. Every later feature adds its stop here.
# The last stops show it as deployed: HTTP through the PostgREST stand-in
# (test/http), logged in as the authenticator the README has operators
# create, and ordinary logins using the SQL API with keys.
set -euo pipefail
cd "$(dirname "$0")/.."
dropdb --if-exists demo
createdb demo
psql -X -q -v ON_ERROR_STOP=1 -d demo -f test/demo.sql
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
psql -X -q -v ON_ERROR_STOP=1 -d demo -v password="$password" <<'SQL'
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
		CREATE ROLE authenticator LOGIN NOINHERIT IN ROLE experiments_authenticator;
	END IF;
END $$;
ALTER ROLE authenticator PASSWORD :'password';
GRANT experiments_anon, experiments_client, experiments_admin, experiments_analyst TO authenticator;
SQL
# shellcheck source=test/http/harness.sh
. test/http/harness.sh
harness_start "postgres://authenticator:$password@127.0.0.1:$PGPORT/demo"
trap harness_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d demo -f test/demo_http.sql
