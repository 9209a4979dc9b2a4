#!/usr/bin/env bash
# The demo tour: runs against the throwaway cluster of test/cluster and shows
# the product working on sample data. Every later feature adds its stop here.
# From stop 3 on it runs as the README deploys it: the superuser creates the
# tenant, its keys and the login roles (and writes the sample events of the
# results), and the stops run as those logins (acme_ops, shop_backend,
# acme_bi) over TCP, each transaction choosing its tenant with a key. The
# last stops go through the PostgREST stand-in (test/http), logged in as the
# authenticator the README has operators create.
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
