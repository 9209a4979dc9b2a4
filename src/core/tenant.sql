-- experiments: tenants and the caller's tenant.
\echo Use "CREATE EXTENSION experiments" to load this file. \quit

-- What users call lives in schema experiments; what the extension calls from
-- its own functions, triggers, defaults and policies lives here, so that
-- \df experiments.* lists the public API only.
CREATE SCHEMA experiments_internal;
COMMENT ON SCHEMA experiments_internal IS
'Internal objects of the experiments extension: helpers of its functions, trigger functions, defaults. Not an API: they may change in any release.';
-- Schema experiments itself is made by CREATE EXTENSION (schema = experiments
-- in experiments.control).
COMMENT ON SCHEMA experiments IS
'The public SQL API of the experiments extension (tenants and keys, the catalog, assignment, events, management, results and statistics, maintenance) and its tables; helpers are in experiments_internal, the HTTP API in experiments_api.';

CREATE FUNCTION experiments.current_tenant()
RETURNS uuid
AS 'MODULE_PATHNAME', 'current_tenant'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION experiments.current_tenant() IS
'The tenant of the current transaction, or NULL when none is set. Row-level security compares every tenant row with it.';

CREATE FUNCTION experiments_internal.required_tenant()
RETURNS uuid
AS 'MODULE_PATHNAME', 'required_tenant'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION experiments_internal.required_tenant() IS
'The tenant of the current transaction; raises an error when none is set. Default of every tenant_id column.';

-- Messages show what clients sent through this, so that no input makes an
-- error long (ShownInput in src/core/experiments.c).
CREATE FUNCTION experiments_internal.shown_input(input text)
RETURNS text
AS 'MODULE_PATHNAME', 'shown_input'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments_internal.shown_input(text) IS
'Input a client sent, for a message: whole when at most 64 bytes, else its first 64 bytes (whole characters) followed by ... and its length in bytes, e.g. abc... (10485760 bytes), so that no message echoes more.';

CREATE TABLE experiments.tenants (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL UNIQUE
		CONSTRAINT tenants_name_format CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
	display_name text,
	created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE experiments.tenants IS
'Organizations, sites or applications: every other row belongs to exactly one tenant, and row-level security keeps tenants apart.';
COMMENT ON COLUMN experiments.tenants.name IS 'Short name, unique across the server (the organization short name of Data Cortex URLs).';
COMMENT ON COLUMN experiments.tenants.id IS
'Tenant id: the value of the setting experiments.tenant, and of every tenant_id column; a random UUID by default.';
COMMENT ON COLUMN experiments.tenants.display_name IS 'Name for people, free text; NULL when none was given.';
COMMENT ON COLUMN experiments.tenants.created_at IS 'When the tenant was created.';

-- Every tenant table is protected by the statements that follow its CREATE
-- TABLE, in the file that creates it: row-level security enabled and forced,
-- one policy tenant_isolation comparing tenant_id with the caller's tenant,
-- and pg_extension_config_dump() of the table and of the sequence behind its
-- identity column, if any, so that pg_dump saves their contents. The tenants
-- table itself compares its id.
ALTER TABLE experiments.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.tenants
	USING (id = (SELECT experiments.current_tenant()))
	WITH CHECK (id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.tenants IS
'Row-level security: a transaction sees and writes only its own tenant (experiments.current_tenant(), set by authentication).';
SELECT pg_catalog.pg_extension_config_dump('experiments.tenants', '');

CREATE FUNCTION experiments.set_tenant(tenant uuid)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF tenant IS NULL THEN
		RAISE EXCEPTION 'tenant must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				  DETAIL = 'set_tenant() names the tenant of the current transaction.',
				  HINT = 'Pass the id of a row of experiments.tenants.';
	END IF;
	PERFORM pg_catalog.set_config('experiments.tenant', tenant::text, true);
	RETURN tenant;
END;
$$;
REVOKE ALL ON FUNCTION experiments.set_tenant(uuid) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_tenant(uuid) IS
'Administrators only: act as a tenant until the end of the current transaction.';

-- A tenant's events may arrive as soon as it exists: the partitions of their
-- months are created with it (src/events/partitions.sql), so that none lands
-- in an overflow partition on a new install.
CREATE FUNCTION experiments.create_tenant(name text, display_name text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	tenant uuid;
BEGIN
	INSERT INTO experiments.tenants (name, display_name)
	VALUES (create_tenant.name, create_tenant.display_name)
	RETURNING tenants.id INTO tenant;
	PERFORM experiments.create_event_partitions();
	RETURN tenant;
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_tenant(text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_tenant(text, text) IS
'Administrators only: creates a tenant and returns its id; creates the event partitions due (create_event_partitions()) if they are missing.';
