-- experiments: tenants and the caller's tenant.
\echo Use "CREATE EXTENSION experiments" to load this file. \quit

-- What users call lives in schema experiments; what the extension calls from
-- its own functions, triggers, defaults and policies lives here, so that
-- \df experiments.* lists the public API only.
CREATE SCHEMA experiments_internal;
COMMENT ON SCHEMA experiments_internal IS
'Internal objects of the experiments extension: helpers of its functions, trigger functions, defaults. Not an API: they may change in any release.';

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

-- Puts a tenant table under row-level security (enabled and forced, one
-- policy comparing tenant_id with the caller's tenant) and registers it, and
-- the sequence behind its identity column, for pg_dump. Every file that
-- creates a tenant table calls it.
CREATE FUNCTION experiments_internal.protect_tenant_table(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	seq text;
BEGIN
	EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
	EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
	EXECUTE format('CREATE POLICY tenant_isolation ON %s '
				   'USING (tenant_id = (SELECT experiments.current_tenant())) '
				   'WITH CHECK (tenant_id = (SELECT experiments.current_tenant()))', tbl);
	PERFORM pg_catalog.pg_extension_config_dump(tbl, '');
	SELECT pg_catalog.pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) INTO seq
	FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = tbl AND a.attidentity <> '';
	IF seq IS NOT NULL THEN
		PERFORM pg_catalog.pg_extension_config_dump(seq::regclass, '');
	END IF;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.protect_tenant_table(regclass) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.protect_tenant_table(regclass) IS
'Install time: enables and forces row-level security on a tenant table with the tenant policy, and registers it and its identity sequence for pg_dump.';

ALTER TABLE experiments.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.tenants
	USING (id = (SELECT experiments.current_tenant()))
	WITH CHECK (id = (SELECT experiments.current_tenant()));
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

CREATE FUNCTION experiments.create_tenant(name text, display_name text DEFAULT NULL)
RETURNS uuid
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	INSERT INTO experiments.tenants (name, display_name)
	VALUES (create_tenant.name, create_tenant.display_name)
	RETURNING id;
$$;
REVOKE ALL ON FUNCTION experiments.create_tenant(text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_tenant(text, text) IS
'Administrators only: creates a tenant and returns its id.';
