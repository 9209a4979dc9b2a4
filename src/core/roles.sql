-- experiments: the roles. Early in the install script, so that every file
-- after it can give its objects to experiments_api_owner and grant what a
-- role may call beside the object itself (the endpoints of experiments_api:
-- src/adapters/*/api.sql, src/http/api.sql); src/core/privileges.sql, last,
-- revokes from PUBLIC and grants the rest.
--
-- Roles are cluster-wide, so the script creates each one only when it does not
-- exist yet (a second database, a reinstall) and never drops one. The same
-- roles serve HTTP (PostgREST switches to them) and SQL (login roles the
-- operator creates are made members of them, README "Roles"):
--   experiments_anon          PostgREST's db-anon-role: may only authenticate
--   experiments_client        applications: assignment, enrolment, events
--   experiments_admin         operators: managing experiments
--   experiments_analyst       read-only: the tables, views and results
--   experiments_operator      runs the event partitions' maintenance and sets
--                             their policies (src/events/partitions.sql); no
--                             tenant data, no HTTP
--   experiments_api_owner     owns the functions that write or read tables for
--                             the roles above; not BYPASSRLS, so row-level
--                             security still confines them to the tenant
--                             authentication set
--   experiments_authenticator marks PostgREST's login role: only its sessions
--                             may choose a tenant with a token's claims
-- PostgREST's authenticator (LOGIN NOINHERIT) is the operator's to create, a
-- member of experiments_authenticator and of the first four.

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['experiments_anon', 'experiments_client', 'experiments_admin',
							 'experiments_analyst', 'experiments_api_owner', 'experiments_authenticator',
							 'experiments_operator']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
		END IF;
	END LOOP;
END;
$$;
