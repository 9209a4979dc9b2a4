\set ECHO none
-- Shared by the suites that run as the README's roles (\i sql/helpers/logins.sql):
-- the login roles the README has users create, granted exactly as it says
-- (one of the extension's roles each; NOSUPERUSER, NOBYPASSRLS, INHERIT):
--   regress_ops   IN ROLE experiments_admin      (an operator)
--   regress_shop  IN ROLE experiments_client     (an application)
--   regress_bi    IN ROLE experiments_analyst    (an analyst)
--   regress_maint IN ROLE experiments_operator   (the partitions' maintenance)
-- A suite stays the superuser where the superuser is the user (tenants, keys,
-- fixtures a user could not write), chooses the tenant as the superuser
-- (SET experiments.tenant, the key's effect without the key) and runs the
-- calls under test after SET SESSION AUTHORIZATION to one of these (back with
-- RESET SESSION AUTHORIZATION): session_user, current_user, privileges,
-- row-level security and the checks at COMMIT are then those of the login.
-- Suites that log in (\c) instead use the passwords below.
-- sql/helpers/drop_logins.sql drops them at the end; the next suite that
-- includes this file drops what a suite left and makes them anew.
-- (left by a suite that does not drop them: they are made anew)
DO $$
DECLARE
	login text;
BEGIN
	FOR login IN SELECT rolname FROM pg_roles WHERE rolname IN ('regress_ops', 'regress_shop', 'regress_bi', 'regress_maint') LOOP
		EXECUTE format('DROP OWNED BY %I', login);
		EXECUTE format('DROP ROLE %I', login);
	END LOOP;
END;
$$;
CREATE ROLE regress_ops LOGIN PASSWORD 'ops secret' IN ROLE experiments_admin;
CREATE ROLE regress_shop LOGIN PASSWORD 'shop secret' IN ROLE experiments_client;
CREATE ROLE regress_bi LOGIN PASSWORD 'bi secret' IN ROLE experiments_analyst;
CREATE ROLE regress_maint LOGIN PASSWORD 'maint secret' IN ROLE experiments_operator;
DO $$
BEGIN
	IF EXISTS (SELECT FROM pg_roles WHERE rolname IN ('regress_ops', 'regress_shop', 'regress_bi', 'regress_maint')
			   AND (rolsuper OR rolbypassrls OR NOT rolinherit OR rolcreaterole OR rolcreatedb)) THEN
		RAISE EXCEPTION 'a regression login role is privileged';
	END IF;
END;
$$;
\set ECHO all
