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
							 'experiments_analyst', 'experiments_api_owner', 'experiments_authenticator']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
		END IF;
	END LOOP;
END;
$$;
-- experiments: the catalog. What is configured: experiments, variants, layers,
-- holdouts, overrides, enrolments and the objects experiments refer to.

CREATE FUNCTION experiments_internal.random_seed()
RETURNS bigint
AS 'MODULE_PATHNAME', 'random_seed'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION experiments_internal.random_seed() IS
'64 bits from a cryptographically strong source: the default traffic, variant, layer and holdout seed.';

CREATE TYPE experiments.experiment_state AS ENUM ('draft', 'running', 'paused', 'stopped');
COMMENT ON TYPE experiments.experiment_state IS
'Lifecycle: draft -> running <-> paused -> stopped, never back to draft.';

CREATE TYPE experiments.reset_interval AS ENUM ('full', '1w', '1d');
COMMENT ON TYPE experiments.reset_interval IS
'How often units are re-drawn: full (never), 1w (weekly) or 1d (daily), counted from the experiment start.';

CREATE TYPE experiments.variant_type AS ENUM ('control', 'user_defined', 'target_algorithm', 'target_random');
COMMENT ON TYPE experiments.variant_type IS 'The kind of a variant (experiment group).';

CREATE TYPE experiments.override_kind AS ENUM ('overridden', 'custom');
COMMENT ON TYPE experiments.override_kind IS
'overridden: the unit always gets the variant, whatever the experiment''s rules say; custom: the variant replaces the hashed one for a unit that is otherwise eligible.';

CREATE TYPE experiments.assignment_reason AS ENUM (
	'not_running', 'override', 'sticky', 'audience', 'layer', 'holdout', 'traffic', 'full_on', 'hash',
	'activation');
COMMENT ON TYPE experiments.assignment_reason IS
'Which step of the assignment algorithm decided, in decision order; activation (enrolments only): an AB Tasty campaign activated event named the variant the visitor saw.';

-- Objects experiments refer to.

CREATE TABLE experiments.sites (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant()
		REFERENCES experiments.tenants ON DELETE CASCADE,
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	key text NOT NULL CONSTRAINT sites_key_length CHECK (char_length(key) BETWEEN 1 AND 256),
	name text,
	UNIQUE (tenant_id, key),
	UNIQUE (tenant_id, id)
);
COMMENT ON TABLE experiments.sites IS 'Storefront sites of a tenant (the site_id of the Commerce Cloud A/B test API).';
ALTER TABLE experiments.sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.sites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.sites
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.sites', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.sites_id_seq', '');

CREATE TABLE experiments.goals (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant()
		REFERENCES experiments.tenants ON DELETE CASCADE,
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	key text NOT NULL CONSTRAINT goals_key_length CHECK (char_length(key) BETWEEN 1 AND 256),
	name text,
	UNIQUE (tenant_id, key),
	UNIQUE (tenant_id, id)
);
COMMENT ON TABLE experiments.goals IS
'Goals (metrics) a tenant tracks. key is the name events carry (banner_click); name is for people.';
ALTER TABLE experiments.goals ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.goals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.goals
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.goals', '');

CREATE TABLE experiments.rooms (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant()
		REFERENCES experiments.tenants ON DELETE CASCADE,
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL,
	UNIQUE (tenant_id, id)
);
COMMENT ON TABLE experiments.rooms IS 'Places where experiment treatments may be triggered; an experiment without rooms runs in all.';
ALTER TABLE experiments.rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.rooms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.rooms
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.rooms', '');

CREATE TABLE experiments.layers (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant()
		REFERENCES experiments.tenants ON DELETE CASCADE,
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	key text NOT NULL CONSTRAINT layers_key_length CHECK (char_length(key) BETWEEN 1 AND 40),
	seed bigint NOT NULL DEFAULT experiments_internal.random_seed(),
	description text,
	UNIQUE (tenant_id, key),
	UNIQUE (tenant_id, id)
);
COMMENT ON TABLE experiments.layers IS
'Mutually exclusive groups of experiments: each experiment of a layer owns a disjoint range of bucket(unit, layer seed), so no unit is ever in two of them.';
ALTER TABLE experiments.layers ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.layers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.layers
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.layers', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.layers_id_seq', '');

CREATE TABLE experiments.holdouts (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant()
		REFERENCES experiments.tenants ON DELETE CASCADE,
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	key text NOT NULL CONSTRAINT holdouts_key_length CHECK (char_length(key) BETWEEN 1 AND 40),
	seed bigint NOT NULL DEFAULT experiments_internal.random_seed(),
	allocation_bp integer NOT NULL
		CONSTRAINT holdouts_allocation_range CHECK (allocation_bp BETWEEN 0 AND 10000),
	layer_id bigint,
	description text,
	UNIQUE (tenant_id, key),
	FOREIGN KEY (tenant_id, layer_id) REFERENCES experiments.layers (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.holdouts IS
'Units kept out of experiments: those with bucket(unit, seed) < allocation_bp are in no experiment of the layer, or of the tenant when layer_id is NULL.';
ALTER TABLE experiments.holdouts ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.holdouts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.holdouts
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.holdouts', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.holdouts_id_seq', '');

-- Experiments and variants.

CREATE TABLE experiments.experiments (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant()
		REFERENCES experiments.tenants ON DELETE CASCADE,
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	uuid uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
	key text NOT NULL CONSTRAINT experiments_key_length CHECK (char_length(key) BETWEEN 1 AND 40),
	name text,
	description text,
	state experiments.experiment_state NOT NULL DEFAULT 'draft',
	starts_at timestamptz,
	ends_at timestamptz,
	started_at timestamptz,
	unit_type text NOT NULL DEFAULT 'user_id'
		CONSTRAINT experiments_unit_type_format CHECK (unit_type ~ '^[A-Za-z_][A-Za-z0-9_.-]{0,62}$'),
	traffic_bp integer NOT NULL DEFAULT 10000
		CONSTRAINT experiments_traffic_range CHECK (traffic_bp BETWEEN 0 AND 10000),
	traffic_seed bigint NOT NULL DEFAULT experiments_internal.random_seed(),
	variant_seed bigint NOT NULL DEFAULT experiments_internal.random_seed(),
	reset_interval experiments.reset_interval NOT NULL DEFAULT 'full',
	audience jsonb NOT NULL DEFAULT '{}',
	audience_strict boolean NOT NULL DEFAULT true,
	full_on_variant integer,
	layer_id bigint,
	layer_lo integer,
	layer_hi integer,
	goal_id uuid,
	site_id bigint,
	gate text CONSTRAINT experiments_gate_length CHECK (char_length(gate) BETWEEN 1 AND 256),
	tags text[] NOT NULL DEFAULT '{}',
	version bigint NOT NULL DEFAULT 1,
	has_enrolments boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	created_by jsonb NOT NULL,
	updated_by jsonb NOT NULL,
	UNIQUE (tenant_id, key),
	UNIQUE (tenant_id, id),
	CONSTRAINT experiments_end_after_start CHECK (ends_at > starts_at),
	CONSTRAINT experiments_layer_range CHECK (
		(layer_id IS NULL AND layer_lo IS NULL AND layer_hi IS NULL) OR
		(layer_id IS NOT NULL AND 0 <= layer_lo AND layer_lo < layer_hi AND layer_hi <= 10000)),
	CONSTRAINT experiments_audience_object CHECK (jsonb_typeof(audience) = 'object'),
	FOREIGN KEY (tenant_id, layer_id) REFERENCES experiments.layers (tenant_id, id),
	FOREIGN KEY (tenant_id, goal_id) REFERENCES experiments.goals (tenant_id, id),
	FOREIGN KEY (tenant_id, site_id) REFERENCES experiments.sites (tenant_id, id)
);
COMMENT ON TABLE experiments.experiments IS
'Experiments (campaigns, A/B tests). Assignment is a pure function of this row, its variants and the unit (README, "Assignment algorithm").';
COMMENT ON COLUMN experiments.experiments.id IS 'Numeric id, as ABsmartly and AB Tasty clients know experiments.';
COMMENT ON COLUMN experiments.experiments.uuid IS 'UUID, as the draft/published experiment API knows experiments.';
COMMENT ON COLUMN experiments.experiments.key IS 'Name clients use, 1 to 40 characters, unique per tenant.';
COMMENT ON COLUMN experiments.experiments.state IS 'draft -> running <-> paused -> stopped; units are assigned only while running and inside [starts_at, ends_at).';
COMMENT ON COLUMN experiments.experiments.started_at IS 'When the experiment first went running; the origin of reset periods when starts_at is NULL.';
COMMENT ON COLUMN experiments.experiments.unit_type IS 'What identifies a unit (user_id, device_id, ...): exposures must name it.';
COMMENT ON COLUMN experiments.experiments.traffic_bp IS 'Share of units eligible, in basis points: eligible when bucket(unit, traffic_seed) < traffic_bp.';
COMMENT ON COLUMN experiments.experiments.traffic_seed IS 'Seed of the eligibility draw; random at creation, fixed once started.';
COMMENT ON COLUMN experiments.experiments.variant_seed IS 'Seed of the variant draw, independent of traffic_seed; random at creation, fixed once started.';
COMMENT ON COLUMN experiments.experiments.audience IS 'Targeting conditions over unit attributes ({} = everyone); see docs/assignment.md, "Audiences".';
COMMENT ON COLUMN experiments.experiments.audience_strict IS 'true: units outside the audience are not assigned; false: they are assigned and flagged audience_mismatch.';
COMMENT ON COLUMN experiments.experiments.full_on_variant IS 'Ordinal of the variant every eligible unit gets, once a winner is rolled out; NULL while testing.';
COMMENT ON COLUMN experiments.experiments.layer_lo IS 'Start (inclusive) of the experiment''s range of bucket(unit, layer seed).';
COMMENT ON COLUMN experiments.experiments.layer_hi IS 'End (exclusive) of the experiment''s range of bucket(unit, layer seed).';
COMMENT ON COLUMN experiments.experiments.gate IS 'Gate a unit must cross (Data Cortex new_gate_list) before it enters the experiment; NULL for none.';
COMMENT ON COLUMN experiments.experiments.version IS 'Changes on every update of the experiment or its variants: the optimistic-concurrency token.';
COMMENT ON COLUMN experiments.experiments.created_by IS 'Who created the experiment: experiments_internal.current_principal() of the creating transaction ({"api_key", "application"}, {"token", ...} or {"login"}), set by trigger whoever writes.';
COMMENT ON COLUMN experiments.experiments.updated_by IS 'Who last changed the experiment or its variants (any change that makes a new version), as created_by; set by trigger whoever writes.';
COMMENT ON COLUMN experiments.experiments.has_enrolments IS 'Whether any unit was ever enrolled: assignment skips the enrolment lookup until one is.';
ALTER TABLE experiments.experiments ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.experiments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.experiments
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.experiments', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.experiments_id_seq', '');

CREATE TABLE experiments.variants (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	uuid uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
	experiment_id bigint NOT NULL,
	ordinal integer NOT NULL CONSTRAINT variants_ordinal_range CHECK (ordinal BETWEEN 0 AND 999),
	key text NOT NULL CONSTRAINT variants_key_length CHECK (char_length(key) BETWEEN 1 AND 128),
	name text,
	description text,
	allocation_bp integer NOT NULL DEFAULT 0
		CONSTRAINT variants_allocation_range CHECK (allocation_bp BETWEEN 0 AND 10000),
	type experiments.variant_type,
	treatment jsonb NOT NULL DEFAULT '{}',
	custom_experience boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (experiment_id, ordinal),
	UNIQUE (experiment_id, key),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.variants IS
'Variants (groups, variations, test segments) of an experiment. Ordinal 0 is the control. Allocations are basis points and must sum to 10000 while the experiment runs.';
COMMENT ON COLUMN experiments.variants.id IS 'Numeric id, as AB Tasty clients know variations.';
COMMENT ON COLUMN experiments.variants.allocation_bp IS 'Share of the experiment''s eligible units, in basis points (a percentage times 100).';
COMMENT ON COLUMN experiments.variants.treatment IS 'What the variant does, for the application to apply: any JSON object.';
ALTER TABLE experiments.variants ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.variants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.variants
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.variants', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.variants_id_seq', '');

ALTER TABLE experiments.experiments
	ADD FOREIGN KEY (id, full_on_variant) REFERENCES experiments.variants (experiment_id, ordinal)
	DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE experiments.experiment_rooms (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint NOT NULL,
	room_id uuid NOT NULL,
	PRIMARY KEY (experiment_id, room_id),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, room_id) REFERENCES experiments.rooms (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.experiment_rooms IS 'Rooms an experiment is limited to.';
ALTER TABLE experiments.experiment_rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.experiment_rooms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.experiment_rooms
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.experiment_rooms', '');

CREATE TABLE experiments.overrides (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint NOT NULL,
	unit text NOT NULL CONSTRAINT overrides_unit_length CHECK (octet_length(unit) BETWEEN 1 AND 640),
	ordinal integer NOT NULL,
	kind experiments.override_kind NOT NULL DEFAULT 'overridden',
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (experiment_id, unit),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (experiment_id, ordinal) REFERENCES experiments.variants (experiment_id, ordinal) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.overrides IS
'Forced variants for chosen units (QA, staff, migrations from another tool).';
ALTER TABLE experiments.overrides ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.overrides FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.overrides
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.overrides', '');

CREATE TABLE experiments.enrolments (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint NOT NULL,
	unit text NOT NULL CONSTRAINT enrolments_unit_length CHECK (octet_length(unit) BETWEEN 1 AND 640),
	period bigint NOT NULL DEFAULT 0,
	ordinal integer NOT NULL,
	reason experiments.assignment_reason NOT NULL,
	enrolled_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (experiment_id, unit, period),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (experiment_id, ordinal) REFERENCES experiments.variants (experiment_id, ordinal)
);
COMMENT ON TABLE experiments.enrolments IS
'Sticky assignments: the variant a unit got the first time it was enrolled in a reset period. A unit keeps it when weights change.';
COMMENT ON COLUMN experiments.enrolments.period IS 'Reset period the enrolment belongs to; always 0 for reset interval full.';
COMMENT ON COLUMN experiments.enrolments.reason IS 'The step that decided the variant when the unit was enrolled.';
ALTER TABLE experiments.enrolments ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.enrolments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.enrolments
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.enrolments', '');

CREATE INDEX variants_tenant_idx ON experiments.variants (tenant_id, experiment_id);
CREATE INDEX enrolments_unit_idx ON experiments.enrolments (tenant_id, unit);
CREATE INDEX experiments_layer_idx ON experiments.experiments (layer_id) WHERE layer_id IS NOT NULL;

-- Rules the database enforces whoever writes.

CREATE FUNCTION experiments_internal.check_experiment_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	probe experiments.experiments;
BEGIN
	IF NEW.state <> OLD.state AND NOT (
		(OLD.state = 'draft' AND NEW.state = 'running') OR
		(OLD.state = 'running' AND NEW.state IN ('paused', 'stopped')) OR
		(OLD.state = 'paused' AND NEW.state IN ('running', 'stopped'))) THEN
		RAISE EXCEPTION 'experiment "%" cannot go from % to %', OLD.key, OLD.state, NEW.state
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Experiments move draft -> running <-> paused -> stopped, and never back to draft.',
				  HINT = 'Create a new experiment to test again after stopping one.';
	END IF;
	IF OLD.started_at IS NOT NULL AND (NEW.traffic_seed <> OLD.traffic_seed OR
		NEW.variant_seed <> OLD.variant_seed OR NEW.unit_type <> OLD.unit_type OR
		NEW.started_at IS DISTINCT FROM OLD.started_at) THEN
		RAISE EXCEPTION 'experiment "%" has started: its seeds and unit type are fixed', OLD.key
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Changing them would move units that were already assigned to other variants.',
				  HINT = 'Create a new experiment to re-randomize.';
	END IF;
	IF NEW.state = 'running' AND OLD.started_at IS NULL THEN
		NEW.started_at := now();
	END IF;
	-- Any change but the enrolment flag (bookkeeping) is a new version.
	probe := NEW;
	probe.has_enrolments := OLD.has_enrolments;
	IF probe IS DISTINCT FROM OLD THEN
		NEW.version := OLD.version + 1;
		NEW.updated_at := now();
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_experiment_update() IS
'Trigger: enforces the state machine, freezes seeds and unit type once started, and bumps the version on every change.';

CREATE TRIGGER check_experiment_update
	BEFORE UPDATE ON experiments.experiments
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.check_experiment_update();

CREATE FUNCTION experiments_internal.check_experiment_insert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.state <> 'draft' THEN
		RAISE EXCEPTION 'a new experiment must be a draft'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('Experiment "%s" was inserted in state %s.', NEW.key, NEW.state),
				  HINT = 'Insert it as a draft with its variants, then set its state to running.';
	END IF;
	NEW.version := 1;
	NEW.started_at := NULL;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_experiment_insert() IS
'Trigger: experiments are born drafts, so that every running experiment went through the allocation check.';

CREATE TRIGGER check_experiment_insert
	BEFORE INSERT ON experiments.experiments
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.check_experiment_insert();

-- Every management change is attributed, whichever API or SQL made it: the
-- author is what the transaction's credentials name. It runs after
-- check_experiment_update (triggers fire in name order), whose new version
-- tells a change from bookkeeping (the enrolment flag). SECURITY DEFINER:
-- the writer (an operator's login) need not execute current_principal().
CREATE FUNCTION experiments_internal.record_experiment_author()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		NEW.created_by := experiments_internal.current_principal();
		NEW.updated_by := NEW.created_by;
	ELSE
		NEW.created_by := OLD.created_by;
		NEW.updated_by := CASE WHEN NEW.version <> OLD.version
							   THEN experiments_internal.current_principal() ELSE OLD.updated_by END;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.record_experiment_author() IS
'Trigger: records who created an experiment and who made its last change (a new version), from current_principal(); writers cannot set either.';

CREATE TRIGGER record_experiment_author
	BEFORE INSERT OR UPDATE ON experiments.experiments
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.record_experiment_author();

-- Allocations must sum to 10000 whenever the experiment can assign, checked
-- at commit so that a transaction may move weight between variants. Like
-- every trigger that reads or writes a table, it is SECURITY DEFINER: it runs
-- as whatever role is current when it fires, and at COMMIT that is still the
-- request's role (PostgREST sets the role for the whole transaction), which
-- has no privilege on the tables.
CREATE FUNCTION experiments_internal.check_allocations()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp_id bigint;
	exp experiments.experiments;
	total bigint;
	n integer;
BEGIN
	IF TG_TABLE_NAME = 'experiments' THEN
		exp_id := NEW.id;
	ELSIF TG_OP = 'DELETE' THEN
		exp_id := OLD.experiment_id;
	ELSE
		exp_id := NEW.experiment_id;
	END IF;
	SELECT * INTO exp FROM experiments.experiments e WHERE e.id = exp_id;
	IF NOT FOUND OR exp.state NOT IN ('running', 'paused') THEN
		RETURN NULL;
	END IF;
	SELECT coalesce(sum(v.allocation_bp), 0), count(*) INTO total, n
	FROM experiments.variants v WHERE v.experiment_id = exp_id;
	IF n < 1 OR total <> 10000 THEN
		RAISE EXCEPTION 'allocations of experiment "%" sum to % basis points, not 10000', exp.key, total
			USING ERRCODE = 'check_violation',
				  DETAIL = format('A %s experiment needs variants whose allocations sum to 10000 basis points (100%%); it has %s variant(s).', exp.state, n),
				  HINT = 'Give allocations as percentages summing to 100 or basis points summing to 10000, e.g. with experiments.set_variants().';
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_allocations() IS
'Constraint trigger: a running or paused experiment has variants whose allocations sum to 10000 basis points.';

CREATE CONSTRAINT TRIGGER check_allocations
	AFTER INSERT OR UPDATE ON experiments.experiments
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.check_allocations();
CREATE CONSTRAINT TRIGGER check_allocations
	AFTER INSERT OR UPDATE OR DELETE ON experiments.variants
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.check_allocations();

-- A change to a variant is a change to its experiment. The version itself is
-- what changes: setting only updated_at = now() made no new version when the
-- last writer's transaction had started in the same microsecond, and two
-- configurations shared one version (test/specs/version_bump.spec).
CREATE FUNCTION experiments_internal.touch_experiment()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE experiments.experiments e SET version = e.version + 1
	WHERE e.id IN (SELECT experiment_id FROM changed_rows);
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.touch_experiment() IS
'Trigger: bumps the version of the experiments whose variants changed.';

CREATE TRIGGER touch_experiment_insert AFTER INSERT ON experiments.variants
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_update AFTER UPDATE ON experiments.variants
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_delete AFTER DELETE ON experiments.variants
	REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();

-- Ranges of one layer never overlap. The layer row is locked first, so two
-- transactions placing experiments in one layer take turns.
CREATE FUNCTION experiments_internal.check_layer_range()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	other text;
BEGIN
	IF NEW.layer_id IS NULL OR NEW.state = 'stopped' THEN
		RETURN NEW;
	END IF;
	PERFORM 1 FROM experiments.layers l WHERE l.id = NEW.layer_id FOR UPDATE;
	SELECT e.key INTO other
	FROM experiments.experiments e
	WHERE e.layer_id = NEW.layer_id AND e.id <> NEW.id AND e.state <> 'stopped'
	  AND int4range(e.layer_lo, e.layer_hi) && int4range(NEW.layer_lo, NEW.layer_hi)
	LIMIT 1;
	IF other IS NOT NULL THEN
		RAISE EXCEPTION 'layer range [%, %) of experiment "%" overlaps experiment "%"',
			NEW.layer_lo, NEW.layer_hi, NEW.key, other
			USING ERRCODE = 'exclusion_violation',
				  DETAIL = 'Experiments of one layer own disjoint ranges of the layer bucket, so that no unit is in two of them.',
				  HINT = 'Choose a free range, or stop the other experiment first.';
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_layer_range() IS
'Trigger: the layer ranges of the experiments of one layer (stopped ones excepted) never overlap.';

CREATE TRIGGER check_layer_range
	BEFORE INSERT OR UPDATE OF layer_id, layer_lo, layer_hi, state ON experiments.experiments
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.check_layer_range();

-- The first enrolment of an experiment flips its has_enrolments flag, which
-- tells every session's assignment cache to start looking enrolments up.
CREATE FUNCTION experiments_internal.note_first_enrolment()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE experiments.experiments e SET has_enrolments = true
	WHERE e.id IN (SELECT DISTINCT experiment_id FROM new_rows) AND NOT e.has_enrolments;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.note_first_enrolment() IS
'Trigger: marks experiments that have enrolments, so that assignment knows to look them up.';

CREATE TRIGGER note_first_enrolment AFTER INSERT ON experiments.enrolments
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.note_first_enrolment();
-- experiments: assignment. Buckets, the assignment engine and enrolment.

CREATE FUNCTION experiments.bucket(unit text, seed bigint)
RETURNS integer
AS 'MODULE_PATHNAME', 'bucket'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.bucket(text, bigint) IS
'Bucket of a unit in [0, 10000): (XXH3_64bits_withSeed(utf8 bytes of unit, seed as unsigned 64 bits) * 10000) >> 64. Assignment version 1.';

CREATE FUNCTION experiments.audience_is_valid(condition jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'audience_is_valid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.audience_is_valid(jsonb) IS
'true for a well-formed audience condition; otherwise raises an error that says what is wrong and where.';

CREATE FUNCTION experiments.audience_matches(condition jsonb, attributes jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'audience_matches'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.audience_matches(jsonb, jsonb) IS
'Whether attributes satisfy an audience condition, exactly as assignment evaluates it.';

ALTER TABLE experiments.experiments
	ADD CONSTRAINT experiments_audience_valid CHECK (experiments.audience_is_valid(audience));

CREATE TYPE experiments.assignment AS (
	experiment_id bigint,
	experiment text,
	variant text,
	ordinal integer,
	assigned boolean,
	eligible boolean,
	overridden boolean,
	full_on boolean,
	custom boolean,
	audience_mismatch boolean,
	bucket integer,
	period bigint,
	reason experiments.assignment_reason
);
COMMENT ON TYPE experiments.assignment IS
'One assignment: the variant (NULL when the unit gets none), the exposure flags, the variant bucket drawn (NULL unless the hash step ran), the reset period and the step that decided.';

CREATE FUNCTION experiments.assign(experiment text, unit text, attributes jsonb DEFAULT '{}')
RETURNS experiments.assignment
AS 'MODULE_PATHNAME', 'assign'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION experiments.assign(text, text, jsonb) IS
'The variant a unit gets in an experiment of the caller''s tenant, and why. Never writes; enrol() records.';

CREATE FUNCTION experiments.assign_all(unit text, attributes jsonb DEFAULT '{}')
RETURNS SETOF experiments.assignment
AS 'MODULE_PATHNAME', 'assign_all'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 20;
COMMENT ON FUNCTION experiments.assign_all(text, jsonb) IS
'assign() for every running experiment of the caller''s tenant, in key order.';

-- The one writer of enrolments: enrol() and the AB Tasty activation
-- (src/adapters/abtasty/abtasty.c) record through it.
CREATE FUNCTION experiments_internal.record_enrolment(experiment_id bigint, unit text, period bigint,
													  ordinal integer, reason experiments.assignment_reason,
													  OUT enrolled_ordinal integer, OUT recorded boolean)
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.pg_is_in_recovery() THEN
		RAISE EXCEPTION 'an enrolment cannot be recorded on a hot standby'
			USING ERRCODE = 'read_only_sql_transaction',
				  DETAIL = 'This server is a read-only replica: it answers assign(), assign_all() and allocate, and records nothing.',
				  HINT = 'Send enrolments, events and management calls to the primary.';
	END IF;
	INSERT INTO experiments.enrolments (experiment_id, unit, period, ordinal, reason)
	VALUES (record_enrolment.experiment_id, record_enrolment.unit, record_enrolment.period,
			record_enrolment.ordinal, record_enrolment.reason)
	ON CONFLICT ON CONSTRAINT enrolments_pkey DO NOTHING;
	recorded := FOUND;
	IF recorded THEN
		enrolled_ordinal := record_enrolment.ordinal;
		RETURN;
	END IF;
	-- Another session enrolled the unit first: its enrolment is the answer.
	SELECT e.ordinal INTO enrolled_ordinal FROM experiments.enrolments e
	WHERE e.experiment_id = record_enrolment.experiment_id AND e.unit = record_enrolment.unit
	  AND e.period = record_enrolment.period;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'could not read the enrolment of unit "%"', record_enrolment.unit
			USING ERRCODE = 'serialization_failure',
				  DETAIL = 'Another transaction enrolled the unit after this one''s snapshot was taken.',
				  HINT = 'Retry the transaction.';
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.record_enrolment(bigint, text, bigint, integer, experiments.assignment_reason) IS
'Records that a unit is enrolled in a variant of an experiment for a reset period, unless it already is: the ordinal it is enrolled in either way (the first enrolment wins), and whether this call recorded it. The one writer of experiments.enrolments.';

CREATE FUNCTION experiments.enrol(experiment text, unit text, attributes jsonb DEFAULT '{}')
RETURNS experiments.assignment
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	a experiments.assignment;
	stored integer;
	recorded boolean;
BEGIN
	a := experiments.assign(experiment, unit, attributes);
	IF a.ordinal IS NULL OR a.reason IN ('sticky', 'override') AND NOT a.custom THEN
		RETURN a;
	END IF;
	SELECT r.enrolled_ordinal, r.recorded INTO stored, recorded
	FROM experiments_internal.record_enrolment(a.experiment_id, enrol.unit, a.period, a.ordinal, a.reason) r;
	IF recorded THEN
		RETURN a;
	END IF;
	-- Another session enrolled the unit first: its enrolment is the answer.
	SELECT v.key INTO a.variant FROM experiments.variants v
	WHERE v.experiment_id = a.experiment_id AND v.ordinal = stored;
	a.ordinal := stored;
	a.reason := 'sticky';
	a.assigned := true;
	a.eligible := true;
	a.custom := false;
	a.full_on := false;
	RETURN a;
END;
$$;
COMMENT ON FUNCTION experiments.enrol(text, text, jsonb) IS
'Assigns a unit and records the answer the first time (one row even when sessions race); later calls return the recorded variant, even after weights change.';

-- Every write to what assignment reads empties the assignment caches of all
-- sessions when it commits.
CREATE FUNCTION experiments_internal.invalidate_assignment_cache()
RETURNS trigger
AS 'MODULE_PATHNAME', 'invalidate_assignment_cache'
LANGUAGE C;
COMMENT ON FUNCTION experiments_internal.invalidate_assignment_cache() IS
'Trigger: queues the invalidation of every session''s assignment cache, delivered when the transaction commits.';

CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON experiments.experiments
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON experiments.variants
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON experiments.overrides
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON experiments.layers
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON experiments.holdouts
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();

-- Writing the catalog: functions for operators (experiments_admin). Those
-- that touch tables are SECURITY DEFINER, owned by experiments_api_owner
-- (src/core/privileges.sql), so an operator needs EXECUTE and nothing on the tables,
-- and row-level security still confines the work to the operator's tenant. A
-- superuser may also write the tables directly; the rules above hold either way.

CREATE FUNCTION experiments_internal.experiment_id(experiment text)
RETURNS bigint
LANGUAGE plpgsql STABLE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result bigint;
BEGIN
	SELECT e.id INTO result FROM experiments.experiments e
	WHERE e.tenant_id = experiments_internal.required_tenant() AND e.key = experiment;
	IF result IS NULL THEN
		RAISE EXCEPTION 'experiment "%" does not exist', experiment
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'The caller''s tenant has no experiment with that key.',
				  HINT = 'List the tenant''s experiments in experiments.experiments.';
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.experiment_id(text) IS
'The id of an experiment of the caller''s tenant; raises no_data_found when there is none.';

CREATE FUNCTION experiments_internal.allocations_bp(allocations numeric[])
RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	total numeric := 0;
	a numeric;
	factor numeric;
	result integer[] := '{}';
BEGIN
	FOREACH a IN ARRAY allocations LOOP
		IF a IS NULL OR a < 0 THEN
			RAISE EXCEPTION 'allocation % is not a non-negative number', coalesce(a::text, 'NULL')
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'Every variant needs an allocation of 0 or more.',
					  HINT = 'Give percentages summing to 100 or basis points summing to 10000.';
		END IF;
		total := total + a;
	END LOOP;
	IF total = 100 THEN
		factor := 100;
	ELSIF total = 10000 THEN
		factor := 1;
	ELSE
		RAISE EXCEPTION 'allocations sum to %, neither 100 (percent) nor 10000 (basis points)', total
			USING ERRCODE = 'check_violation',
				  DETAIL = format('The allocations given were %s.', allocations),
				  HINT = 'Give percentages summing to 100 or basis points summing to 10000.';
	END IF;
	FOREACH a IN ARRAY allocations LOOP
		IF a * factor <> trunc(a * factor) THEN
			RAISE EXCEPTION 'allocation % is finer than one basis point', a
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'Allocations are stored as whole basis points (0.01 percent).',
					  HINT = 'Round percentages to two decimals.';
		END IF;
		result := result || (a * factor)::integer;
	END LOOP;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.allocations_bp(numeric[]) IS
'Converts allocations to basis points: a list summing to 100 is percentages, one summing to 10000 is basis points; anything else is an error.';

CREATE FUNCTION experiments_internal.percent_bp(percent numeric)
RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT (percent * 100)::integer
	WHERE percent BETWEEN 0 AND 100 AND percent * 100 = trunc(percent * 100);
$$;
COMMENT ON FUNCTION experiments_internal.percent_bp(numeric) IS
'A percentage in basis points (12.5 -> 1250); NULL unless it lies in 0..100 with at most two decimals, so that each caller raises its own error.';

CREATE FUNCTION experiments.set_variants(experiment text, variants jsonb)
RETURNS SETOF experiments.variants
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp_id bigint := experiments_internal.experiment_id(experiment);
	bp integer[];
BEGIN
	IF jsonb_typeof(variants) <> 'array' OR jsonb_array_length(variants) = 0 THEN
		RAISE EXCEPTION 'variants must be a non-empty JSON array'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Each element is {"key": ..., "allocation": ...} with optional name, type and treatment.',
				  HINT = 'Example: [{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}].';
	END IF;
	IF EXISTS (SELECT 1 FROM jsonb_array_elements(variants) v
			   WHERE jsonb_typeof(v) <> 'object' OR jsonb_typeof(v -> 'key') IS DISTINCT FROM 'string'
				  OR jsonb_typeof(v -> 'allocation') IS DISTINCT FROM 'number') THEN
		RAISE EXCEPTION 'every variant needs a string "key" and a numeric "allocation"'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The variants given were %s.', variants),
				  HINT = 'Example: [{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}].';
	END IF;
	bp := experiments_internal.allocations_bp(ARRAY(SELECT (v ->> 'allocation')::numeric
										   FROM jsonb_array_elements(variants) v));
	-- Writers of one experiment's variants take turns, so that each statement
	-- below sees what the one before committed: two concurrent calls failed
	-- on variants_experiment_id_ordinal_key or made one version twice
	-- (test/scripts/stress.sh). Enrolments only KEY SHARE the row: not blocked.
	PERFORM 1 FROM experiments.experiments e WHERE e.id = exp_id FOR NO KEY UPDATE;
	-- Variants keep their ordinal by key; ones no longer listed are removed.
	DELETE FROM experiments.variants v WHERE v.experiment_id = exp_id
		AND v.key NOT IN (SELECT x ->> 'key' FROM jsonb_array_elements(variants) x);
	RETURN QUERY
	INSERT INTO experiments.variants AS v (experiment_id, ordinal, key, name, allocation_bp, type, treatment)
	SELECT exp_id, x.n - 1, x.v ->> 'key', x.v ->> 'name', bp[x.n],
		   (x.v ->> 'type')::experiments.variant_type, coalesce(x.v -> 'treatment', '{}')
	FROM jsonb_array_elements(variants) WITH ORDINALITY AS x(v, n)
	ON CONFLICT (experiment_id, key) DO UPDATE
		SET ordinal = excluded.ordinal, name = excluded.name, allocation_bp = excluded.allocation_bp,
			type = excluded.type, treatment = excluded.treatment, updated_at = now()
	RETURNING v.*;
END;
$$;
REVOKE ALL ON FUNCTION experiments.set_variants(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_variants(text, jsonb) IS
'Administrators: sets an experiment''s variants, in order (the first is the control, ordinal 0), from [{"key", "allocation", "name"?, "type"?, "treatment"?}]; allocations are percentages summing to 100 or basis points summing to 10000.';

CREATE FUNCTION experiments.set_override(experiment text, unit text, variant text,
										 kind experiments.override_kind DEFAULT 'overridden')
RETURNS experiments.overrides
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp_id bigint := experiments_internal.experiment_id(experiment);
	ord integer;
	result experiments.overrides;
BEGIN
	SELECT v.ordinal INTO ord FROM experiments.variants v
	WHERE v.experiment_id = exp_id AND v.key = variant;
	IF ord IS NULL THEN
		RAISE EXCEPTION 'experiment "%" has no variant "%"', experiment, variant
			USING ERRCODE = 'foreign_key_violation',
				  DETAIL = 'An override forces one of the experiment''s own variants.',
				  HINT = 'List the variants in experiments.variants.';
	END IF;
	INSERT INTO experiments.overrides AS o (experiment_id, unit, ordinal, kind)
	VALUES (exp_id, set_override.unit, ord, coalesce(set_override.kind, 'overridden'))
	ON CONFLICT ON CONSTRAINT overrides_pkey DO UPDATE SET ordinal = excluded.ordinal, kind = excluded.kind
	RETURNING o.* INTO result;
	RETURN result;
END;
$$;
REVOKE ALL ON FUNCTION experiments.set_override(text, text, text, experiments.override_kind) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_override(text, text, text, experiments.override_kind) IS
'Administrators: forces a unit into a variant (kind overridden), or replaces its hashed variant when it is eligible (kind custom).';

CREATE FUNCTION experiments.set_state(experiment text, state experiments.experiment_state)
RETURNS experiments.experiments
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	UPDATE experiments.experiments e SET state = set_state.state
	WHERE e.id = experiments_internal.experiment_id(set_state.experiment)
	RETURNING e.*;
$$;
REVOKE ALL ON FUNCTION experiments.set_state(text, experiments.experiment_state) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_state(text, experiments.experiment_state) IS
'Administrators: moves an experiment along draft -> running <-> paused -> stopped.';

CREATE FUNCTION experiments.create_experiment(key text, variants jsonb, traffic_percent numeric DEFAULT 100,
											  unit_type text DEFAULT 'user_id', name text DEFAULT NULL,
											  start boolean DEFAULT false)
RETURNS experiments.experiments
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result experiments.experiments;
BEGIN
	IF experiments_internal.percent_bp(traffic_percent) IS NULL THEN
		RAISE EXCEPTION 'traffic_percent must be between 0 and 100 with at most two decimals'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('It was %s.', coalesce(traffic_percent::text, 'NULL')),
				  HINT = 'Traffic is stored in basis points: 12.5 percent is 1250.';
	END IF;
	INSERT INTO experiments.experiments (key, name, unit_type, traffic_bp)
	VALUES (create_experiment.key, create_experiment.name, create_experiment.unit_type,
			experiments_internal.percent_bp(traffic_percent));
	PERFORM experiments.set_variants(create_experiment.key, variants);
	IF start THEN
		PERFORM experiments.set_state(create_experiment.key, 'running');
	END IF;
	SELECT * INTO result FROM experiments.experiments e
	WHERE e.tenant_id = experiments_internal.required_tenant() AND e.key = create_experiment.key;
	RETURN result;
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_experiment(text, jsonb, numeric, text, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_experiment(text, jsonb, numeric, text, text, boolean) IS
'Administrators: creates an experiment with its variants in one call, optionally starting it.';
-- experiments: events. What happened: exposures, goals, attributes (ABsmartly
-- batch publishing, the ABsmartly document), campaign activations, actions, custom events,
-- transactions and visits (AB Tasty server-side events, the AB Tasty document), the events
-- validation refused, and the idempotency keys of published batches.
--
-- Event tables are range-partitioned by their time column, one partition per
-- month, created by experiments.create_event_partitions(); a default
-- partition catches the rest until the next run moves its rows into their
-- month. Each partition has its own BRIN index on time and B-tree on
-- (experiment, unit) or (tenant, unit) (create_event_partition_indexes).
-- Row-level security is enforced on the partitioned parents, through which
-- every query goes: no role is granted access to a partition.

-- Batches already published, per tenant: a retry stores nothing twice.
CREATE TABLE experiments.published_batches (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant()
		REFERENCES experiments.tenants ON DELETE CASCADE,
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	digest bytea NOT NULL,
	published_at timestamptz NOT NULL DEFAULT now(),
	answer jsonb,
	CONSTRAINT published_batches_digest UNIQUE (tenant_id, digest)
);
COMMENT ON TABLE experiments.published_batches IS
'One row per batch published: its idempotency key and the answer given. Publishing a batch whose key is here stores nothing and returns the stored answer.';
COMMENT ON COLUMN experiments.published_batches.digest IS
'Idempotency key: the 128-bit XXH3 hash of the batch''s jsonb (so whitespace and key order do not matter), or of the key the caller gave.';
COMMENT ON COLUMN experiments.published_batches.answer IS
'The {ok, warnings, errors} answer of the first publication, returned again on a retry.';
CREATE INDEX published_batches_time_idx ON experiments.published_batches (published_at);
ALTER TABLE experiments.published_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.published_batches FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.published_batches
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.published_batches', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.published_batches_id_seq', '');

CREATE TABLE experiments.exposures (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint NOT NULL,
	ordinal integer NOT NULL,
	unit_type text NOT NULL,
	unit text NOT NULL,
	exposed_at timestamptz NOT NULL,
	assigned boolean NOT NULL,
	eligible boolean NOT NULL,
	overridden boolean NOT NULL,
	full_on boolean NOT NULL,
	custom boolean NOT NULL,
	audience_mismatch boolean NOT NULL,
	batch_id bigint,
	batch_index integer,
	event_index integer,
	received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (exposed_at);
COMMENT ON TABLE experiments.exposures IS
'Exposures: a unit was shown a variant of an experiment (ABsmartly exposures). Partitioned by month of exposed_at.';
COMMENT ON COLUMN experiments.exposures.experiment_id IS 'The experiment (experiments.experiments.id), checked when published.';
COMMENT ON COLUMN experiments.exposures.ordinal IS 'The variant shown (experiments.variants.ordinal; ABsmartly "variant").';
COMMENT ON COLUMN experiments.exposures.unit_type IS 'Type of the unit, the experiment''s unit type.';
COMMENT ON COLUMN experiments.exposures.unit IS 'The unit''s uid as stored: as sent when hashed = true, experiments.hash_unit(uid) when hashed = false.';
COMMENT ON COLUMN experiments.exposures.exposed_at IS 'When the exposure happened, after the time rules of docs/events.md.';
COMMENT ON COLUMN experiments.exposures.assigned IS 'As sent: the unit was assigned by the experiment''s rules in this request.';
COMMENT ON COLUMN experiments.exposures.eligible IS 'As sent: the unit was in the experiment''s traffic.';
COMMENT ON COLUMN experiments.exposures.overridden IS 'As sent: the variant was forced by an override.';
COMMENT ON COLUMN experiments.exposures.full_on IS 'As sent: the experiment was full-on and the winning variant forced on everyone.';
COMMENT ON COLUMN experiments.exposures.custom IS 'As sent: the variant was a custom assignment.';
COMMENT ON COLUMN experiments.exposures.audience_mismatch IS 'As sent: the variant was shown outside the experiment''s audience.';
COMMENT ON COLUMN experiments.exposures.batch_id IS 'The published batch (experiments.published_batches.id) the exposure came in.';
COMMENT ON COLUMN experiments.exposures.batch_index IS 'Index of the request in the batch''s requests array.';
COMMENT ON COLUMN experiments.exposures.event_index IS 'Index of the exposure in the request''s exposures array.';
ALTER TABLE experiments.exposures ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.exposures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.exposures
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.exposures', '');

CREATE TABLE experiments.goal_events (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	unit_type text NOT NULL,
	unit text NOT NULL,
	goal text NOT NULL,
	achieved_at timestamptz NOT NULL,
	properties jsonb,
	batch_id bigint,
	batch_index integer,
	event_index integer,
	received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (achieved_at);
COMMENT ON TABLE experiments.goal_events IS
'Goals achieved (ABsmartly goals): one row per goal and unit of the request it came in. Partitioned by month of achieved_at.';
COMMENT ON COLUMN experiments.goal_events.goal IS 'The goal''s name as sent (experiments.goals.key when the tenant declared it).';
COMMENT ON COLUMN experiments.goal_events.properties IS 'The goal''s properties as sent (a JSON object), NULL when absent or null.';
COMMENT ON COLUMN experiments.goal_events.unit IS 'The unit''s uid as stored (see exposures.unit).';
COMMENT ON COLUMN experiments.goal_events.event_index IS 'Index of the goal in the request''s goals array.';
ALTER TABLE experiments.goal_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.goal_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.goal_events
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.goal_events', '');

CREATE TABLE experiments.attribute_events (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	unit_type text NOT NULL,
	unit text NOT NULL,
	name text NOT NULL,
	value jsonb NOT NULL,
	set_at timestamptz NOT NULL,
	batch_id bigint,
	batch_index integer,
	event_index integer,
	received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (set_at);
COMMENT ON TABLE experiments.attribute_events IS
'Attributes set on units (ABsmartly attributes), for segmentation: one row per attribute and unit of the request. Partitioned by month of set_at.';
COMMENT ON COLUMN experiments.attribute_events.value IS 'The value with its JSON type as sent: 39 stays a number, "39" a string.';
COMMENT ON COLUMN experiments.attribute_events.event_index IS 'Index of the attribute in the request''s attributes array.';
ALTER TABLE experiments.attribute_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.attribute_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.attribute_events
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.attribute_events', '');

-- AB Tasty server-side events (the AB Tasty document). Every one carries the visitor's
-- tracking data: the same eight columns, visitor_id to received_at, with the
-- same comments, after the table's own columns. They are written out in each
-- of the five tables below on purpose (partitioned tables cannot inherit
-- them, and every object of the install script is to be read in it, not
-- generated): a change to one tracking column is a change to all five.

CREATE TYPE experiments.device_type AS ENUM (
	'DESKTOP', 'MOBILE_PHONE', 'TABLET', 'CAMERA', 'TV', 'GAMES_CONSOLE',
	'PAYMENT_TERMINAL', 'WRISTWATCH', 'OTHER');
COMMENT ON TYPE experiments.device_type IS 'Devices AB Tasty tracking data may name (tracking_data.device_type).';

CREATE TYPE experiments.action_type AS ENUM ('CLICK', 'TOUCH');
COMMENT ON TYPE experiments.action_type IS 'Kinds of AB Tasty action tracking: a click on a web page or a touch on a mobile screen.';

CREATE TABLE experiments.campaign_activations (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint NOT NULL,
	variant_id bigint NOT NULL,
	ordinal integer NOT NULL,
	enrolled_ordinal integer NOT NULL,
	visitor_id text NOT NULL,
	device_type experiments.device_type NOT NULL,
	origin text NOT NULL,
	occurred_at timestamptz NOT NULL,
	ip inet,
	latitude double precision,
	longitude double precision,
	received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE experiments.campaign_activations IS
'AB Tasty campaign activated events: a visitor saw a variation of a campaign. Partitioned by month of occurred_at.';
COMMENT ON COLUMN experiments.campaign_activations.experiment_id IS 'The campaign (campaign_id), an experiments.experiments id.';
COMMENT ON COLUMN experiments.campaign_activations.variant_id IS 'The variation seen (variation_id), an experiments.variants id.';
COMMENT ON COLUMN experiments.campaign_activations.ordinal IS 'Ordinal of the variation seen.';
COMMENT ON COLUMN experiments.campaign_activations.enrolled_ordinal IS
'Ordinal of the variant the visitor is enrolled in after the event: equal to ordinal unless the visitor was already enrolled in another one (the event then got a warning).';
COMMENT ON COLUMN experiments.campaign_activations.visitor_id IS 'The visitor (tracking_data.visitor_id), at most 640 bytes.';
COMMENT ON COLUMN experiments.campaign_activations.device_type IS 'tracking_data.device_type.';
COMMENT ON COLUMN experiments.campaign_activations.origin IS 'Page or screen where the event happened (tracking_data.origin).';
COMMENT ON COLUMN experiments.campaign_activations.occurred_at IS 'tracking_data.timestamp, or the time of receipt when it is absent or more than experiments.max_future_skew ahead of it.';
COMMENT ON COLUMN experiments.campaign_activations.ip IS 'tracking_data.ip, the address of the visitor''s device, when sent.';
COMMENT ON COLUMN experiments.campaign_activations.latitude IS 'tracking_data.geolocation.lat, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.campaign_activations.longitude IS 'tracking_data.geolocation.long, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.campaign_activations.received_at IS 'When the event was stored.';
ALTER TABLE experiments.campaign_activations ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.campaign_activations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.campaign_activations
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.campaign_activations', '');

CREATE TABLE experiments.actions (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	name text NOT NULL,
	type experiments.action_type NOT NULL,
	value_string text,
	value_integer bigint,
	position_x integer,
	position_y integer,
	resolution_width integer,
	resolution_height integer,
	visitor_id text NOT NULL,
	device_type experiments.device_type NOT NULL,
	origin text NOT NULL,
	occurred_at timestamptz NOT NULL,
	ip inet,
	latitude double precision,
	longitude double precision,
	received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE experiments.actions IS
'AB Tasty action tracking events: clicks and touches, with where they happened. Partitioned by month of occurred_at.';
COMMENT ON COLUMN experiments.actions.position_x IS 'position.x: abscissa of the touch.';
COMMENT ON COLUMN experiments.actions.resolution_width IS 'resolution.width: width of the screen.';
COMMENT ON COLUMN experiments.actions.visitor_id IS 'The visitor (tracking_data.visitor_id), at most 640 bytes.';
COMMENT ON COLUMN experiments.actions.device_type IS 'tracking_data.device_type.';
COMMENT ON COLUMN experiments.actions.origin IS 'Page or screen where the event happened (tracking_data.origin).';
COMMENT ON COLUMN experiments.actions.occurred_at IS 'tracking_data.timestamp, or the time of receipt when it is absent or more than experiments.max_future_skew ahead of it.';
COMMENT ON COLUMN experiments.actions.ip IS 'tracking_data.ip, the address of the visitor''s device, when sent.';
COMMENT ON COLUMN experiments.actions.latitude IS 'tracking_data.geolocation.lat, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.actions.longitude IS 'tracking_data.geolocation.long, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.actions.received_at IS 'When the event was stored.';
ALTER TABLE experiments.actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.actions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.actions
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.actions', '');

CREATE TABLE experiments.custom_events (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	name text NOT NULL,
	value_string text,
	value_integer bigint,
	visitor_id text NOT NULL,
	device_type experiments.device_type NOT NULL,
	origin text NOT NULL,
	occurred_at timestamptz NOT NULL,
	ip inet,
	latitude double precision,
	longitude double precision,
	received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE experiments.custom_events IS
'AB Tasty custom events: business events with an optional string or integer value. Partitioned by month of occurred_at.';
COMMENT ON COLUMN experiments.custom_events.visitor_id IS 'The visitor (tracking_data.visitor_id), at most 640 bytes.';
COMMENT ON COLUMN experiments.custom_events.device_type IS 'tracking_data.device_type.';
COMMENT ON COLUMN experiments.custom_events.origin IS 'Page or screen where the event happened (tracking_data.origin).';
COMMENT ON COLUMN experiments.custom_events.occurred_at IS 'tracking_data.timestamp, or the time of receipt when it is absent or more than experiments.max_future_skew ahead of it.';
COMMENT ON COLUMN experiments.custom_events.ip IS 'tracking_data.ip, the address of the visitor''s device, when sent.';
COMMENT ON COLUMN experiments.custom_events.latitude IS 'tracking_data.geolocation.lat, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.custom_events.longitude IS 'tracking_data.geolocation.long, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.custom_events.received_at IS 'When the event was stored.';
ALTER TABLE experiments.custom_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.custom_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.custom_events
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.custom_events', '');

CREATE TABLE experiments.transactions (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	transaction_id text NOT NULL,
	name text NOT NULL,
	revenue bigint NOT NULL,
	shipping bigint NOT NULL,
	tax_total bigint,
	payment_method text,
	items_count integer,
	currency text,
	currency_rate double precision,
	visitor_id text NOT NULL,
	device_type experiments.device_type NOT NULL,
	origin text NOT NULL,
	occurred_at timestamptz NOT NULL,
	ip inet,
	latitude double precision,
	longitude double precision,
	received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE experiments.transactions IS
'AB Tasty transaction events: purchases. Amounts are integers in cents of the currency. Partitioned by month of occurred_at.';
COMMENT ON COLUMN experiments.transactions.transaction_id IS 'The transaction''s own id ("id"); a transaction id is stored once per tenant, a second event with it is refused.';
COMMENT ON COLUMN experiments.transactions.revenue IS 'Total spent, in cents; 0 when the event had none.';
COMMENT ON COLUMN experiments.transactions.shipping IS 'Shipping cost, in cents; 0 when the event had none.';
COMMENT ON COLUMN experiments.transactions.tax_total IS 'Total tax, in cents.';
COMMENT ON COLUMN experiments.transactions.items_count IS 'items_count as sent, or the number of items when absent.';
COMMENT ON COLUMN experiments.transactions.currency IS 'Currency name as sent (currency.name), NULL when absent.';
COMMENT ON COLUMN experiments.transactions.currency_rate IS 'Exchange rate between USD cents and the currency (currency.rate).';
COMMENT ON COLUMN experiments.transactions.visitor_id IS 'The visitor (tracking_data.visitor_id), at most 640 bytes.';
COMMENT ON COLUMN experiments.transactions.device_type IS 'tracking_data.device_type.';
COMMENT ON COLUMN experiments.transactions.origin IS 'Page or screen where the event happened (tracking_data.origin).';
COMMENT ON COLUMN experiments.transactions.occurred_at IS 'tracking_data.timestamp, or the time of receipt when it is absent or more than experiments.max_future_skew ahead of it.';
COMMENT ON COLUMN experiments.transactions.ip IS 'tracking_data.ip, the address of the visitor''s device, when sent.';
COMMENT ON COLUMN experiments.transactions.latitude IS 'tracking_data.geolocation.lat, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.transactions.longitude IS 'tracking_data.geolocation.long, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.transactions.received_at IS 'When the event was stored.';
ALTER TABLE experiments.transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.transactions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.transactions
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.transactions', '');

CREATE TABLE experiments.visits (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	visitor_id text NOT NULL,
	device_type experiments.device_type NOT NULL,
	origin text NOT NULL,
	occurred_at timestamptz NOT NULL,
	ip inet,
	latitude double precision,
	longitude double precision,
	received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE experiments.visits IS 'AB Tasty visit events: page visits. Partitioned by month of occurred_at.';
COMMENT ON COLUMN experiments.visits.visitor_id IS 'The visitor (tracking_data.visitor_id), at most 640 bytes.';
COMMENT ON COLUMN experiments.visits.device_type IS 'tracking_data.device_type.';
COMMENT ON COLUMN experiments.visits.origin IS 'Page or screen where the event happened (tracking_data.origin).';
COMMENT ON COLUMN experiments.visits.occurred_at IS 'tracking_data.timestamp, or the time of receipt when it is absent or more than experiments.max_future_skew ahead of it.';
COMMENT ON COLUMN experiments.visits.ip IS 'tracking_data.ip, the address of the visitor''s device, when sent.';
COMMENT ON COLUMN experiments.visits.latitude IS 'tracking_data.geolocation.lat, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.visits.longitude IS 'tracking_data.geolocation.long, when a well-formed geolocation was sent.';
COMMENT ON COLUMN experiments.visits.received_at IS 'When the event was stored.';
ALTER TABLE experiments.visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.visits FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.visits
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.visits', '');

CREATE TABLE experiments.transaction_items (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	transaction_id text NOT NULL,
	item_index integer NOT NULL,
	name text NOT NULL,
	price bigint NOT NULL,
	sku text,
	category text,
	quantity integer,
	tax_amount bigint,
	tax_rate double precision,
	occurred_at timestamptz NOT NULL
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE experiments.transaction_items IS
'Products of an AB Tasty transaction, in the order sent. Partitioned like transactions, by month of occurred_at.';
COMMENT ON COLUMN experiments.transaction_items.price IS 'Price of one item, in cents.';
COMMENT ON COLUMN experiments.transaction_items.tax_amount IS 'Tax applied to the item, in cents.';
COMMENT ON COLUMN experiments.transaction_items.tax_rate IS 'Percentage of tax applied to the item (tax_rate, or tax-rate as in the seed''s example).';
ALTER TABLE experiments.transaction_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.transaction_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.transaction_items
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.transaction_items', '');

-- Every refused event, with why.
CREATE TABLE experiments.rejected_events (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant()
		REFERENCES experiments.tenants ON DELETE CASCADE,
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	source text NOT NULL,
	batch_id bigint,
	batch_index integer,
	event_index integer,
	subject text NOT NULL,
	reason text NOT NULL,
	event jsonb,
	rejected_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE experiments.rejected_events IS
'Events refused by validation, with the raw JSON sent and the reason: nothing is dropped silently.';
COMMENT ON COLUMN experiments.rejected_events.source IS
'What sent it: publish (a batch), or the AB Tasty event: campaign_activated, action_tracking, custom, transaction, visit.';
COMMENT ON COLUMN experiments.rejected_events.batch_index IS 'Index of the request in the batch (publish only).';
COMMENT ON COLUMN experiments.rejected_events.event_index IS 'Index of the event in its array (publish only); -1 for a problem of the request itself.';
COMMENT ON COLUMN experiments.rejected_events.subject IS 'Where the problem is, as a path in the request: exposures[2].variant.';
COMMENT ON COLUMN experiments.rejected_events.event IS 'The event as sent (as jsonb keeps it: the last of duplicate keys wins).';
CREATE INDEX rejected_events_time_idx ON experiments.rejected_events (tenant_id, rejected_at);
CREATE INDEX rejected_events_batch_idx ON experiments.rejected_events (batch_id) WHERE batch_id IS NOT NULL;
ALTER TABLE experiments.rejected_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.rejected_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.rejected_events
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.rejected_events', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.rejected_events_id_seq', '');

-- Every partition has its own indexes: a BRIN index on time and a B-tree on
-- (experiment, unit) or (tenant, unit). They are not partitioned indexes of
-- the parents: the parents belong to the extension, so a partitioned index
-- would exist before pg_restore re-creates a monthly partition, attaching it
-- would give the partition an index, and the partition's index in the dump
-- would then collide with it (test/scripts/dump_restore.sh).
CREATE FUNCTION experiments_internal.create_event_partition_indexes(tbl text, part text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	time_column text;
	key_columns text;
BEGIN
	SELECT substring(pg_catalog.pg_get_partkeydef(p.partrelid) FROM '^RANGE \((\w+)\)$') INTO time_column
	FROM pg_catalog.pg_partitioned_table p
	WHERE p.partrelid = format('experiments.%I', tbl)::regclass;
	key_columns := CASE tbl
		WHEN 'exposures' THEN 'experiment_id, unit'
		WHEN 'campaign_activations' THEN 'experiment_id, visitor_id'
		WHEN 'goal_events' THEN 'tenant_id, unit'
		WHEN 'attribute_events' THEN 'tenant_id, unit'
		WHEN 'transaction_items' THEN 'tenant_id, transaction_id'
		ELSE 'tenant_id, visitor_id' END;
	EXECUTE format('CREATE INDEX %I ON experiments.%I USING brin (%I)', part || '_time_idx', part, time_column);
	EXECUTE format('CREATE INDEX %I ON experiments.%I (%s)', part || '_unit_idx', part, key_columns);
	-- A transaction id is stored once per tenant: the check looks it up here.
	IF tbl = 'transactions' THEN
		EXECUTE format('CREATE INDEX %I ON experiments.%I (tenant_id, transaction_id)', part || '_id_idx', part);
	END IF;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.create_event_partition_indexes(text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.create_event_partition_indexes(text, text) IS
'Part of create_event_partitions(): creates the indexes of one partition of an event table (time, unit, and the transaction id of transactions).';

-- The default partitions are created here, the monthly ones by
-- create_event_partitions(). Time-ordered rows make BRIN cheap and effective.
-- Each default partition has the indexes create_event_partition_indexes()
-- gives a monthly partition of its table (sql/events_publish.sql compares them),
-- and is registered for pg_dump: it belongs to the extension, its rows do not.

CREATE TABLE experiments.exposures_default PARTITION OF experiments.exposures DEFAULT;
COMMENT ON TABLE experiments.exposures_default IS
'Rows of experiments.exposures outside every monthly partition; create_event_partitions() moves them into their month.';
CREATE INDEX exposures_default_time_idx ON experiments.exposures_default USING brin (exposed_at);
CREATE INDEX exposures_default_unit_idx ON experiments.exposures_default (experiment_id, unit);
SELECT pg_catalog.pg_extension_config_dump('experiments.exposures_default', '');

CREATE TABLE experiments.goal_events_default PARTITION OF experiments.goal_events DEFAULT;
COMMENT ON TABLE experiments.goal_events_default IS
'Rows of experiments.goal_events outside every monthly partition; create_event_partitions() moves them into their month.';
CREATE INDEX goal_events_default_time_idx ON experiments.goal_events_default USING brin (achieved_at);
CREATE INDEX goal_events_default_unit_idx ON experiments.goal_events_default (tenant_id, unit);
SELECT pg_catalog.pg_extension_config_dump('experiments.goal_events_default', '');

CREATE TABLE experiments.attribute_events_default PARTITION OF experiments.attribute_events DEFAULT;
COMMENT ON TABLE experiments.attribute_events_default IS
'Rows of experiments.attribute_events outside every monthly partition; create_event_partitions() moves them into their month.';
CREATE INDEX attribute_events_default_time_idx ON experiments.attribute_events_default USING brin (set_at);
CREATE INDEX attribute_events_default_unit_idx ON experiments.attribute_events_default (tenant_id, unit);
SELECT pg_catalog.pg_extension_config_dump('experiments.attribute_events_default', '');

CREATE TABLE experiments.campaign_activations_default PARTITION OF experiments.campaign_activations DEFAULT;
COMMENT ON TABLE experiments.campaign_activations_default IS
'Rows of experiments.campaign_activations outside every monthly partition; create_event_partitions() moves them into their month.';
CREATE INDEX campaign_activations_default_time_idx ON experiments.campaign_activations_default USING brin (occurred_at);
CREATE INDEX campaign_activations_default_unit_idx ON experiments.campaign_activations_default (experiment_id, visitor_id);
SELECT pg_catalog.pg_extension_config_dump('experiments.campaign_activations_default', '');

CREATE TABLE experiments.actions_default PARTITION OF experiments.actions DEFAULT;
COMMENT ON TABLE experiments.actions_default IS
'Rows of experiments.actions outside every monthly partition; create_event_partitions() moves them into their month.';
CREATE INDEX actions_default_time_idx ON experiments.actions_default USING brin (occurred_at);
CREATE INDEX actions_default_unit_idx ON experiments.actions_default (tenant_id, visitor_id);
SELECT pg_catalog.pg_extension_config_dump('experiments.actions_default', '');

CREATE TABLE experiments.custom_events_default PARTITION OF experiments.custom_events DEFAULT;
COMMENT ON TABLE experiments.custom_events_default IS
'Rows of experiments.custom_events outside every monthly partition; create_event_partitions() moves them into their month.';
CREATE INDEX custom_events_default_time_idx ON experiments.custom_events_default USING brin (occurred_at);
CREATE INDEX custom_events_default_unit_idx ON experiments.custom_events_default (tenant_id, visitor_id);
SELECT pg_catalog.pg_extension_config_dump('experiments.custom_events_default', '');

CREATE TABLE experiments.transactions_default PARTITION OF experiments.transactions DEFAULT;
COMMENT ON TABLE experiments.transactions_default IS
'Rows of experiments.transactions outside every monthly partition; create_event_partitions() moves them into their month.';
CREATE INDEX transactions_default_time_idx ON experiments.transactions_default USING brin (occurred_at);
CREATE INDEX transactions_default_unit_idx ON experiments.transactions_default (tenant_id, visitor_id);
CREATE INDEX transactions_default_id_idx ON experiments.transactions_default (tenant_id, transaction_id);
SELECT pg_catalog.pg_extension_config_dump('experiments.transactions_default', '');

CREATE TABLE experiments.transaction_items_default PARTITION OF experiments.transaction_items DEFAULT;
COMMENT ON TABLE experiments.transaction_items_default IS
'Rows of experiments.transaction_items outside every monthly partition; create_event_partitions() moves them into their month.';
CREATE INDEX transaction_items_default_time_idx ON experiments.transaction_items_default USING brin (occurred_at);
CREATE INDEX transaction_items_default_unit_idx ON experiments.transaction_items_default (tenant_id, transaction_id);
SELECT pg_catalog.pg_extension_config_dump('experiments.transaction_items_default', '');

CREATE TABLE experiments.visits_default PARTITION OF experiments.visits DEFAULT;
COMMENT ON TABLE experiments.visits_default IS
'Rows of experiments.visits outside every monthly partition; create_event_partitions() moves them into their month.';
CREATE INDEX visits_default_time_idx ON experiments.visits_default USING brin (occurred_at);
CREATE INDEX visits_default_unit_idx ON experiments.visits_default (tenant_id, visitor_id);
SELECT pg_catalog.pg_extension_config_dump('experiments.visits_default', '');

-- Monthly partitions. The extension script creates none: a partition it
-- created would belong to the extension and be re-created at restore for
-- the wrong month. Partitions made here are ordinary tables that pg_dump
-- dumps with their rows.
CREATE FUNCTION experiments.create_event_partitions(months_ahead integer DEFAULT 3)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	tbl text;
	time_column text;
	month date;
	part text;
	created integer := 0;
BEGIN
	IF months_ahead IS NULL OR months_ahead NOT BETWEEN 0 AND 120 THEN
		RAISE EXCEPTION 'months_ahead must be between 0 and 120, not %', months_ahead
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'create_event_partitions() creates the partitions of the current month and of that many months after it.',
				  HINT = 'Run it daily, e.g. from pg_cron, with the default of 3.';
	END IF;
	FOR tbl, time_column IN
		SELECT c.relname, pg_catalog.pg_get_partkeydef(c.oid)
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_partitioned_table p ON p.partrelid = c.oid
		WHERE c.relnamespace = 'experiments'::regnamespace
		ORDER BY c.relname
	LOOP
		time_column := substring(time_column FROM '^RANGE \((\w+)\)$');
		-- The coming months, and every month with rows in the default partition.
		FOR month IN EXECUTE format(
			'SELECT m::date FROM generate_series(date_trunc(''month'', now() AT TIME ZONE ''UTC''),'
			' date_trunc(''month'', now() AT TIME ZONE ''UTC'') + make_interval(months => %s), interval ''1 month'') m'
			' UNION SELECT DISTINCT date_trunc(''month'', %I AT TIME ZONE ''UTC'')::date FROM experiments.%I'
			' ORDER BY 1', months_ahead, time_column, tbl || '_default')
		LOOP
			part := format('%s_%s', tbl, to_char(month, 'YYYYMM'));
			IF to_regclass(format('experiments.%I', part)) IS NULL THEN
				PERFORM experiments_internal.create_event_partition(tbl, time_column, part, month);
				created := created + 1;
			END IF;
		END LOOP;
	END LOOP;
	RETURN created;
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_event_partitions(integer) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_event_partitions(integer) IS
'Maintenance, run daily: creates the monthly partitions (UTC months) of every event table for the current month, the months_ahead months after it, and every month with rows in the default partition, moving those rows into them. Returns how many partitions it created.';

-- One monthly partition, filled with the rows of its month that the default
-- partition holds, then attached: the whole move is one transaction.
CREATE FUNCTION experiments_internal.create_event_partition(tbl text, time_column text, part text, month date)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	lo timestamptz := month::timestamp AT TIME ZONE 'UTC';
	hi timestamptz := (month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
	EXECUTE format('CREATE TABLE experiments.%I (LIKE experiments.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
				   part, tbl);
	EXECUTE format('WITH moved AS (DELETE FROM experiments.%I WHERE %I >= %L AND %I < %L RETURNING *)'
				   ' INSERT INTO experiments.%I SELECT * FROM moved',
				   tbl || '_default', time_column, lo, time_column, hi, part);
	PERFORM experiments_internal.create_event_partition_indexes(tbl, part);
	EXECUTE format('ALTER TABLE experiments.%I ATTACH PARTITION experiments.%I FOR VALUES FROM (%L) TO (%L)',
				   tbl, part, lo, hi);
	EXECUTE format('COMMENT ON TABLE experiments.%I IS %L', part,
				   format('Rows of experiments.%s with %s in [%s, %s).', tbl, time_column, lo, hi));
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.create_event_partition(text, text, text, date) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.create_event_partition(text, text, text, date) IS
'Part of create_event_partitions(): creates one monthly partition, moves the rows of its month out of the default partition into it, and attaches it.';

-- Publishing.

CREATE FUNCTION experiments.hash_unit(uid text)
RETURNS text
AS 'MODULE_PATHNAME', 'hash_unit'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.hash_unit(text) IS
'What publish() stores for a uid sent with hashed = false: the MD5 of its UTF-8 bytes in base64url without padding (22 characters), as ABsmartly SDKs hash units.';

CREATE FUNCTION experiments.publish(batch jsonb, idempotency_key text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'publish'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION experiments.publish(jsonb, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.publish(jsonb, text) IS
'Stores a batch of exposures, goals and attributes in the shape of ABsmartly PUT /context/batch and answers {ok, warnings, errors}: valid events are stored, invalid ones go to rejected_events; a batch that breaks the seed''s schema (1 to 500 requests, units required and non-empty with uids of 1 to 640 characters, at most 128 exposures a request) raises 22023, one over a size setting 54000, and nothing of it is stored. The same batch (or idempotency key) sent again stores nothing and returns the first answer.';

-- The HTTP endpoint (experiments_api.context_batch) answers a batch refused
-- whole in ABsmartly's document, which a SQL error of publish() lacks.
CREATE FUNCTION experiments_internal.publish_answer(batch jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'publish_answer'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION experiments_internal.publish_answer(jsonb) IS
'publish() as ABsmartly''s PUT /context/batch answers: a batch refused whole (the seed''s 1 to 500 requests, units required and non-empty with uids of 1 to 640 characters, at most 128 exposures a request: PT400; a size setting: PT413) raises PT<status> with the seed''s {"ok": false, "warnings": [], "errors": [{batchIndex, eventIndex, subject, message}]} as its detail, for experiments_api.context_batch to answer.';

CREATE FUNCTION experiments.publish_text(body text, idempotency_key text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'publish_text'
LANGUAGE C VOLATILE
SET search_path = experiments, pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION experiments.publish_text(text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.publish_text(text, text) IS
'publish() for a batch sent as JSON text, as an HTTP body arrives: a body over experiments.max_batch_size is refused before it is parsed, so it costs neither the time nor the memory of parsing it. The answer and the idempotency are those of publish(); the same document sent to either function is the same batch.';

-- AB Tasty server-side events (the AB Tasty document): one function per endpoint, named
-- after it, whose arguments are the keys of the endpoint's JSON body, so that
-- PostgREST serves POST /rpc/<name> with the seed's body unchanged. Every
-- argument is jsonb: the type checks are the function's, not PostgREST's, so a
-- wrong type is refused like any other bad input (docs/apis/abtasty.md).

CREATE FUNCTION experiments.campaign_activated_event(campaign_id jsonb DEFAULT NULL,
	variation_id jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'campaign_activated_event'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION experiments.campaign_activated_event(jsonb, jsonb, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.campaign_activated_event(jsonb, jsonb, jsonb) IS
'AB Tasty POST /v1/campaign_activated_event: a visitor saw a variation of a campaign. Stores the event and enrols the visitor in the variation unless already enrolled (a different variation gets a warning). Answers {} (or {"warnings": [...]}), or {"code", "message"} with response.status set when refused.';

CREATE FUNCTION experiments.action_tracking_event(name jsonb DEFAULT NULL, type jsonb DEFAULT NULL,
	tracking_data jsonb DEFAULT NULL, value_string jsonb DEFAULT NULL, value_integer jsonb DEFAULT NULL,
	"position" jsonb DEFAULT NULL, resolution jsonb DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'action_tracking_event'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION experiments.action_tracking_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.action_tracking_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) IS
'AB Tasty POST /v1/action_tracking_event: a click or touch. Answers like campaign_activated_event().';

CREATE FUNCTION experiments.custom_event(name jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL,
	value_string jsonb DEFAULT NULL, value_integer jsonb DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'custom_event'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION experiments.custom_event(jsonb, jsonb, jsonb, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.custom_event(jsonb, jsonb, jsonb, jsonb) IS
'AB Tasty POST /v1/custom_event: a business event with an optional value. Answers like campaign_activated_event().';

CREATE FUNCTION experiments.transaction_event(name jsonb DEFAULT NULL, id jsonb DEFAULT NULL,
	revenue jsonb DEFAULT NULL, shipping jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL,
	tax_total jsonb DEFAULT NULL, payment_method jsonb DEFAULT NULL, items_count jsonb DEFAULT NULL,
	currency jsonb DEFAULT NULL, items jsonb DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'transaction_event'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION experiments.transaction_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.transaction_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) IS
'AB Tasty POST /v1/transaction_event: a purchase and its items, stored together; a transaction id already stored for the tenant is refused. Answers like campaign_activated_event().';

CREATE FUNCTION experiments.visit_event(tracking_data jsonb DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'visit_event'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION experiments.visit_event(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.visit_event(jsonb) IS
'AB Tasty POST /v1/visit_event: a page visit. Answers like campaign_activated_event().';
-- experiments: faults. Errors that an HTTP layer (PostgREST) answers with a
-- chosen status and the body an API's clients expect.
--
-- PostgREST's convention: SQLSTATE 'PTnnn' makes the response status nnn. The
-- message is the error's text, the detail carries the API's own error
-- document as JSON text.

CREATE FUNCTION experiments_internal.raise_http_error(status integer, message text, document jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF status IS NULL OR status NOT BETWEEN 400 AND 599 THEN
		RAISE EXCEPTION 'http status % is not an error status', coalesce(status::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An HTTP error status lies between 400 and 599.',
				  HINT = 'Pass 400 for a bad request, 404 for a missing resource, 409 for a conflict.';
	END IF;
	RAISE EXCEPTION USING ERRCODE = 'PT' || status::text, MESSAGE = message, DETAIL = document::text;
END;
$$;
COMMENT ON FUNCTION experiments_internal.raise_http_error(integer, text, jsonb) IS
'Raises SQLSTATE PT<status> (PostgREST answers with that HTTP status) with the message and, as detail, the API''s error document.';

CREATE FUNCTION experiments_internal.raise_api_error(status integer, message text)
RETURNS void
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.raise_http_error(status, message,
		jsonb_build_object('status', status, 'message', message));
$$;
COMMENT ON FUNCTION experiments_internal.raise_api_error(integer, text) IS
'Raises an error of an API without a fault format of its own (the draft/published experiments API): SQLSTATE PT<status>, the message, and {"status", "message"} as detail.';

-- PostgREST answers an error raised in a function in its own envelope, with
-- the API's document only as a string inside it; an endpoint that catches its
-- error (its work rolled back with the block) answers with this instead.
CREATE FUNCTION experiments_internal.respond(status integer, document jsonb, headers jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pg_catalog.set_config('response.status', status::text, true);
	IF headers IS NOT NULL THEN
		-- PostgREST reads one object per header.
		PERFORM pg_catalog.set_config('response.headers',
			(SELECT jsonb_agg(jsonb_build_object(h.key, h.value) ORDER BY h.key) FROM jsonb_each_text(headers) AS h)::text, true);
	END IF;
	RETURN document;
END;
$$;
COMMENT ON FUNCTION experiments_internal.respond(integer, jsonb, jsonb) IS
'Sets PostgREST''s response.status (and response.headers from an object of header names and values, when given) and returns the document, the body of the answer.';
-- experiments: JSON documents. Helpers the management APIs share to read the
-- documents clients send and to write the ones they get back.

CREATE FUNCTION experiments_internal.parse_timestamp(value text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	RETURN value::timestamptz;
EXCEPTION
	WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_time_zone_displacement_value THEN
		RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.parse_timestamp(text) IS
'A timestamp read from a document (ISO 8601, e.g. 2015-04-01T11:30:15.000Z), or NULL when the text is not one.';

CREATE FUNCTION experiments_internal.json_timestamp(ts timestamptz)
RETURNS text
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
$$;
COMMENT ON FUNCTION experiments_internal.json_timestamp(timestamptz) IS
'A timestamp as documents carry it: UTC, milliseconds, e.g. 2015-04-01T11:30:15.000Z.';

CREATE FUNCTION experiments_internal.malformed_property(document jsonb, types jsonb)
RETURNS text
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT t.key
	FROM jsonb_each_text(types) AS t(key, expected)
	WHERE document ? t.key AND jsonb_typeof(document -> t.key) <> 'null'
	  AND CASE t.expected
			WHEN 'string[]' THEN jsonb_typeof(document -> t.key) <> 'array'
				OR EXISTS (SELECT 1 FROM jsonb_array_elements(document -> t.key) e
						   WHERE jsonb_typeof(e) <> 'string')
			WHEN 'timestamp' THEN jsonb_typeof(document -> t.key) <> 'string'
				OR experiments_internal.parse_timestamp(document ->> t.key) IS NULL
			ELSE jsonb_typeof(document -> t.key) <> t.expected
		  END
	ORDER BY t.key
	LIMIT 1;
$$;
COMMENT ON FUNCTION experiments_internal.malformed_property(jsonb, jsonb) IS
'The first property of a document whose value is not of the expected type ({"name": "string", "tags": "string[]", "start": "timestamp", ...}: JSON types, string[] or timestamp), or NULL when all are; null values and absent properties pass.';

CREATE FUNCTION experiments_internal.json_text_array(value jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT coalesce(array_agg(e ORDER BY n), '{}') FROM jsonb_array_elements_text(value) WITH ORDINALITY AS x(e, n);
$$;
COMMENT ON FUNCTION experiments_internal.json_text_array(jsonb) IS
'A JSON array of strings as a text[] (empty for NULL).';

CREATE FUNCTION experiments_internal.percent_json(bp integer)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT to_jsonb(trim_scale(bp / 100.0));
$$;
COMMENT ON FUNCTION experiments_internal.percent_json(integer) IS
'Basis points as a JSON percentage: 2000 is 20, 1250 is 12.5.';
-- experiments: the Commerce Cloud Data API A/B tests (the Commerce Cloud document). Per site,
-- A/B tests are experiments, their segments are variants; this file adds what
-- only that API knows (enabled/paused, customer groups, e-mail addresses,
-- trigger, expiration) and the storefront objects segments are bound to.
-- Every function takes and returns the API's JSON documents and raises its
-- faults (commerce_fault), which the endpoints (api.sql) answer as the API does.
-- Longer than 800 lines: the tables, lookups, documents and functions of one
-- API, which are read together.

-- Storefront objects of a site.

-- Categories, promotions and sorting rules: objects of a site known by their
-- key, one table each so that bindings can reference them. The three have
-- the same columns and constraints, written out in each.
CREATE TABLE experiments.categories (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	site_id bigint NOT NULL,
	key text NOT NULL CONSTRAINT categories_key_length CHECK (char_length(key) BETWEEN 1 AND 256),
	name text,
	UNIQUE (site_id, key),
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, site_id) REFERENCES experiments.sites (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.categories IS 'Catalog categories of a site: sorting rules are bound per category.';
COMMENT ON COLUMN experiments.categories.key IS 'The category id of the Data API (category1.1).';
ALTER TABLE experiments.categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.categories FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.categories
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.categories', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.categories_id_seq', '');

CREATE TABLE experiments.promotions (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	site_id bigint NOT NULL,
	key text NOT NULL CONSTRAINT promotions_key_length CHECK (char_length(key) BETWEEN 1 AND 256),
	name text,
	UNIQUE (site_id, key),
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, site_id) REFERENCES experiments.sites (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.promotions IS 'Promotions of a site, which A/B test segments may apply.';
COMMENT ON COLUMN experiments.promotions.key IS 'The promotion id of the Data API.';
ALTER TABLE experiments.promotions ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.promotions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.promotions
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.promotions', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.promotions_id_seq', '');

CREATE TABLE experiments.sorting_rules (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	site_id bigint NOT NULL,
	key text NOT NULL CONSTRAINT sorting_rules_key_length CHECK (char_length(key) BETWEEN 1 AND 256),
	name text,
	UNIQUE (site_id, key),
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, site_id) REFERENCES experiments.sites (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.sorting_rules IS 'Product sorting rules of a site, which A/B test segments may apply to a category.';
COMMENT ON COLUMN experiments.sorting_rules.key IS 'The sorting rule id of the Data API.';
ALTER TABLE experiments.sorting_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.sorting_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.sorting_rules
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.sorting_rules', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.sorting_rules_id_seq', '');

CREATE TYPE experiments.slot_context AS ENUM ('global', 'category', 'folder');
COMMENT ON TYPE experiments.slot_context IS 'Where a content slot lives: on every page, on a category page or on a folder page.';

CREATE TABLE experiments.slots (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	site_id bigint NOT NULL,
	key text NOT NULL CONSTRAINT slots_key_length CHECK (char_length(key) BETWEEN 1 AND 256),
	context_type experiments.slot_context NOT NULL,
	UNIQUE (site_id, key, context_type),
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, site_id) REFERENCES experiments.sites (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.slots IS 'Content slots of a site; a slot is known by its id and its context type.';
COMMENT ON COLUMN experiments.slots.key IS 'The slot id of the Data API.';
ALTER TABLE experiments.slots ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.slots FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.slots
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.slots', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.slots_id_seq', '');

CREATE TABLE experiments.slot_configurations (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	slot_id bigint NOT NULL,
	key text NOT NULL CONSTRAINT slot_configurations_key_length CHECK (char_length(key) BETWEEN 1 AND 256),
	context_id text NOT NULL DEFAULT '',
	UNIQUE (slot_id, key, context_id),
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, slot_id) REFERENCES experiments.slots (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.slot_configurations IS 'Configurations (content) of a slot, per context id.';
COMMENT ON COLUMN experiments.slot_configurations.key IS 'The slot configuration id of the Data API.';
COMMENT ON COLUMN experiments.slot_configurations.context_id IS 'The category or folder id of the context; empty for the global context.';
ALTER TABLE experiments.slot_configurations ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.slot_configurations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.slot_configurations
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.slot_configurations', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.slot_configurations_id_seq', '');

-- What only the A/B test API knows about an experiment.

CREATE TYPE experiments.ab_test_trigger_type AS ENUM ('immediately', 'pipeline_call', 'category_view_page');
COMMENT ON TYPE experiments.ab_test_trigger_type IS
'When a shopper enters an A/B test: on the first request, on a call of one of the pipelines, or on a view of one of the categories.';

CREATE TABLE experiments.ab_tests (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint PRIMARY KEY,
	enabled boolean NOT NULL DEFAULT false,
	paused boolean NOT NULL DEFAULT false,
	customer_groups text[] NOT NULL DEFAULT '{}',
	email_addresses text[] NOT NULL DEFAULT '{}',
	expiration_type text CONSTRAINT ab_tests_expiration_type_length CHECK (char_length(expiration_type) BETWEEN 1 AND 256),
	trigger_type experiments.ab_test_trigger_type NOT NULL DEFAULT 'immediately',
	pipeline_calls text[] NOT NULL DEFAULT '{}',
	trigger_categories text[] NOT NULL DEFAULT '{}',
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.ab_tests IS
'Properties of an experiment that only the Commerce Cloud A/B test API has. The experiment runs exactly when enabled, not paused and its segments sum to 100 percent (docs/apis/commerce-cloud.md).';
COMMENT ON COLUMN experiments.ab_tests.enabled IS 'The test is switched on; with paused = false and segments summing to 100 it runs.';
COMMENT ON COLUMN experiments.ab_tests.paused IS 'The test is paused: a started test is then in state paused.';
COMMENT ON COLUMN experiments.ab_tests.customer_groups IS 'Customer groups the test is limited to.';
COMMENT ON COLUMN experiments.ab_tests.email_addresses IS 'Addresses that receive the test''s reports.';
COMMENT ON COLUMN experiments.ab_tests.expiration_type IS 'How long a shopper stays in the test (session, ...), as the API sends it.';
COMMENT ON COLUMN experiments.ab_tests.pipeline_calls IS 'Pipelines (Name-Start) whose call enters a shopper, for trigger type pipeline_call.';
COMMENT ON COLUMN experiments.ab_tests.trigger_categories IS 'Categories whose view enters a shopper, for trigger type category_view_page.';
ALTER TABLE experiments.ab_tests ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.ab_tests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.ab_tests
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.ab_tests', '');

-- Bindings of segments to storefront objects.

CREATE TABLE experiments.segment_promotions (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint NOT NULL,
	variant_id bigint NOT NULL REFERENCES experiments.variants ON DELETE CASCADE,
	promotion_id bigint NOT NULL,
	PRIMARY KEY (variant_id, promotion_id),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, promotion_id) REFERENCES experiments.promotions (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.segment_promotions IS 'Promotions an A/B test segment (variant) applies.';
ALTER TABLE experiments.segment_promotions ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.segment_promotions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.segment_promotions
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.segment_promotions', '');

CREATE TABLE experiments.segment_slot_configurations (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint NOT NULL,
	variant_id bigint NOT NULL REFERENCES experiments.variants ON DELETE CASCADE,
	slot_configuration_id bigint NOT NULL,
	PRIMARY KEY (variant_id, slot_configuration_id),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, slot_configuration_id) REFERENCES experiments.slot_configurations (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.segment_slot_configurations IS 'Slot configurations an A/B test segment (variant) shows.';
ALTER TABLE experiments.segment_slot_configurations ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.segment_slot_configurations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.segment_slot_configurations
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.segment_slot_configurations', '');

CREATE TABLE experiments.segment_sorting_rules (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint NOT NULL,
	variant_id bigint NOT NULL REFERENCES experiments.variants ON DELETE CASCADE,
	sorting_rule_id bigint NOT NULL,
	category_id bigint NOT NULL,
	PRIMARY KEY (experiment_id, category_id),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, sorting_rule_id) REFERENCES experiments.sorting_rules (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, category_id) REFERENCES experiments.categories (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.segment_sorting_rules IS
'The sorting rule an A/B test segment (variant) applies to a category: at most one per test and category.';
ALTER TABLE experiments.segment_sorting_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.segment_sorting_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.segment_sorting_rules
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.segment_sorting_rules', '');

CREATE INDEX segment_promotions_experiment_idx ON experiments.segment_promotions (experiment_id);
CREATE INDEX segment_slot_configurations_experiment_idx ON experiments.segment_slot_configurations (experiment_id);
CREATE INDEX segment_sorting_rules_variant_idx ON experiments.segment_sorting_rules (variant_id);

-- A change of what the API shows of a test is a new version of its experiment.
CREATE TRIGGER touch_experiment_insert AFTER INSERT ON experiments.ab_tests
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_update AFTER UPDATE ON experiments.ab_tests
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_delete AFTER DELETE ON experiments.ab_tests
	REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_insert AFTER INSERT ON experiments.segment_promotions
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_update AFTER UPDATE ON experiments.segment_promotions
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_delete AFTER DELETE ON experiments.segment_promotions
	REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_insert AFTER INSERT ON experiments.segment_slot_configurations
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_update AFTER UPDATE ON experiments.segment_slot_configurations
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_delete AFTER DELETE ON experiments.segment_slot_configurations
	REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_insert AFTER INSERT ON experiments.segment_sorting_rules
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_update AFTER UPDATE ON experiments.segment_sorting_rules
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();
CREATE TRIGGER touch_experiment_delete AFTER DELETE ON experiments.segment_sorting_rules
	REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.touch_experiment();

-- Faults.

-- The Data API's fault document: its type, message and the arguments the
-- API lists for the fault.
CREATE FUNCTION experiments_internal.commerce_fault_document(type text, message text, arguments jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('_v', '17.8', 'fault',
		jsonb_strip_nulls(jsonb_build_object('arguments', arguments, 'type', type, 'message', message)));
$$;
COMMENT ON FUNCTION experiments_internal.commerce_fault_document(text, text, jsonb) IS
'A Commerce Cloud fault document: {"_v": "17.8", "fault": {"arguments", "type", "message"}}, arguments (the fault''s arguments by the names the API lists) left out when NULL.';

-- Every fault of this API is raised here, so that each carries its document.
CREATE FUNCTION experiments_internal.commerce_fault(status integer, type text, message text, arguments jsonb DEFAULT NULL)
RETURNS void
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.raise_http_error(status, message,
		experiments_internal.commerce_fault_document(type, message, arguments));
$$;
COMMENT ON FUNCTION experiments_internal.commerce_fault(integer, text, text, jsonb) IS
'Raises a Commerce Cloud Data API fault: SQLSTATE PT<status>, the fault message, and the fault document (commerce_fault_document) as detail.';

-- Looking things up, or the API's NotFound fault.

CREATE FUNCTION experiments_internal.commerce_site(site_id text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result bigint;
BEGIN
	SELECT s.id INTO result FROM experiments.sites s
	WHERE s.tenant_id = experiments_internal.required_tenant() AND s.key = commerce_site.site_id;
	IF result IS NULL THEN
		PERFORM experiments_internal.commerce_fault(404, 'SiteNotFoundException',
			format('No site with ID ''%s'' was found.', site_id),
			jsonb_build_object('siteId', site_id));
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.commerce_site(text) IS
'The id of a site of the caller''s tenant by its key; SiteNotFoundException (404) when there is none.';

CREATE FUNCTION experiments_internal.commerce_ab_test(site_id text, id text)
RETURNS experiments.experiments
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	result experiments.experiments;
BEGIN
	SELECT e.* INTO result FROM experiments.experiments e
	WHERE e.tenant_id = experiments_internal.required_tenant() AND e.key = commerce_ab_test.id AND e.site_id = site;
	IF NOT FOUND THEN
		PERFORM experiments_internal.commerce_fault(404, 'ABTestNotFoundException',
			format('No ab_test with ID ''%s'' for site ''%s'' was found.', id, site_id),
			jsonb_build_object('abtestId', id, 'siteId', site_id));
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.commerce_ab_test(text, text) IS
'The experiment that is A/B test id of a site; SiteNotFoundException or ABTestNotFoundException (404) when there is none.';

CREATE FUNCTION experiments_internal.ab_test_resource_state(exp experiments.experiments)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT encode(sha256(convert_to(exp.uuid::text || ':' || exp.version::text, 'UTF8')), 'hex');
$$;
COMMENT ON FUNCTION experiments_internal.ab_test_resource_state(experiments.experiments) IS
'The _resource_state token of an A/B test and its segments: a hash of the experiment''s uuid and version, so it changes on every update.';

CREATE FUNCTION experiments_internal.lock_ab_test(site_id text, id text, resource_state text)
RETURNS experiments.experiments
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	found_test experiments.experiments := experiments_internal.commerce_ab_test(site_id, id);
	result experiments.experiments;
	-- Over HTTP a client may send the token as the x-dw-resource-state header
	-- (PostgREST's request.headers): it is checked as well.
	header_state text := nullif(current_setting('request.headers', true), '')::jsonb ->> 'x-dw-resource-state';
BEGIN
	-- Writers of one test take turns; the one that waited sees the new version.
	SELECT e.* INTO result FROM experiments.experiments e WHERE e.id = found_test.id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM experiments_internal.commerce_fault(404, 'ABTestNotFoundException',
			format('No ab_test with ID ''%s'' for site ''%s'' was found.', id, site_id),
			jsonb_build_object('abtestId', id, 'siteId', site_id));
	END IF;
	IF EXISTS (SELECT 1 FROM unnest(ARRAY[resource_state, header_state]) AS given(state)
			   WHERE given.state <> experiments_internal.ab_test_resource_state(result)) THEN
		PERFORM experiments_internal.commerce_fault(409, 'ResourceStateConflictException',
			format('The resource state given for A/B test ''%s'' is not the current one; read the test again.', id));
	END IF;
	RETURN result;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.lock_ab_test(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.lock_ab_test(text, text, text) IS
'Locks an A/B test for an update and checks the client''s _resource_state (when given) and the request''s x-dw-resource-state header (when sent): ResourceStateConflictException (409) when either is stale.';

CREATE FUNCTION experiments_internal.ab_test_segment(exp experiments.experiments, site_id text, segment_id text)
RETURNS experiments.variants
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result experiments.variants;
BEGIN
	SELECT v.* INTO result FROM experiments.variants v
	WHERE v.experiment_id = exp.id AND v.key = segment_id;
	IF NOT FOUND THEN
		PERFORM experiments_internal.commerce_fault(404, 'ABTestSegmentNotFoundException',
			format('No segment with ID ''%s'' in A/B test ''%s'' for site ''%s'' was found.',
				   segment_id, exp.key, site_id),
			jsonb_build_object('abtestId', exp.key, 'abTestSegmentId', segment_id, 'siteId', site_id));
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.ab_test_segment(experiments.experiments, text, text) IS
'A segment (variant) of an A/B test by its id; ABTestSegmentNotFoundException (404) when there is none.';

CREATE FUNCTION experiments_internal.site_object(site_id text, kind text, key text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	result bigint;
BEGIN
	IF kind = 'promotion' THEN
		SELECT p.id INTO result FROM experiments.promotions p WHERE p.site_id = site AND p.key = site_object.key;
		IF result IS NULL THEN
			PERFORM experiments_internal.commerce_fault(404, 'PromotionNotFoundException',
				format('No promotion with ID ''%s'' for site ''%s'' was found.', key, site_id),
				jsonb_build_object('promotionId', key, 'siteId', site_id));
		END IF;
	ELSIF kind = 'sorting_rule' THEN
		SELECT r.id INTO result FROM experiments.sorting_rules r WHERE r.site_id = site AND r.key = site_object.key;
		IF result IS NULL THEN
			PERFORM experiments_internal.commerce_fault(404, 'SortingRuleNotFoundException',
				format('No sorting rule with ID ''%s'' for site ''%s'' was found.', key, site_id),
				jsonb_build_object('sortingRuleId', key, 'siteId', site_id));
		END IF;
	ELSIF kind = 'category' THEN
		SELECT c.id INTO result FROM experiments.categories c WHERE c.site_id = site AND c.key = site_object.key;
		IF result IS NULL THEN
			PERFORM experiments_internal.commerce_fault(400, 'InvalidCategoryException',
				format('The specified category with ID ''%s'' is invalid.', key),
				jsonb_build_object('categoryId', key));
		END IF;
	ELSE
		RAISE EXCEPTION 'unknown kind of site object "%"', kind
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Site objects are promotions, sorting rules and categories.',
				  HINT = 'Pass promotion, sorting_rule or category.';
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.site_object(text, text, text) IS
'The id of a promotion, sorting rule or category of a site by its key, or the API''s fault for it (PromotionNotFoundException, SortingRuleNotFoundException: 404; InvalidCategoryException: 400).';

CREATE FUNCTION experiments_internal.site_slot_configuration(site_id text, slot_id text, slot_config_id text, context text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	parts text[] := regexp_match(coalesce(context, 'global'), '^(global)$|^(category|folder)=(.+)$');
	ctx_type experiments.slot_context;
	ctx_id text;
	slot bigint;
	result bigint;
BEGIN
	IF parts IS NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidContextTypeException',
			format('''%s'' is not a valid context.', context),
			jsonb_build_object('contextType', context));
	END IF;
	ctx_type := coalesce(parts[1], parts[2])::experiments.slot_context;
	ctx_id := coalesce(parts[3], '');
	SELECT s.id INTO slot FROM experiments.slots s
	WHERE s.site_id = site AND s.key = slot_id AND s.context_type = ctx_type;
	IF slot IS NULL THEN
		PERFORM experiments_internal.commerce_fault(404, 'SlotWithContextTypeNotFoundException',
			format('No slot with ID ''%s'' and context type ''%s'' for site ''%s'' was found.',
				   slot_id, upper(ctx_type::text), site_id),
			jsonb_build_object('slotId', slot_id, 'contextType', upper(ctx_type::text), 'siteId', site_id));
	END IF;
	SELECT c.id INTO result FROM experiments.slot_configurations c
	WHERE c.slot_id = slot AND c.key = slot_config_id AND c.context_id = ctx_id;
	IF result IS NULL THEN
		PERFORM experiments_internal.commerce_fault(404, 'SlotConfigurationIdentifierNotFoundException',
			format('No slot configuration with ID ''%s'', slot id ''%s'', context type ''%s'', and context id ''%s'' for site ''%s'' was found.',
				   slot_config_id, slot_id, upper(ctx_type::text), ctx_id, site_id),
			jsonb_build_object('siteId', site_id, 'slotId', slot_id, 'slotConfigurationId', slot_config_id,
				'contextType', upper(ctx_type::text), 'contextId', ctx_id));
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.site_slot_configuration(text, text, text, text) IS
'The id of a slot configuration by slot, configuration and context (global, category=ID or folder=ID; NULL is global), or the API''s fault: InvalidContextTypeException (400), SlotWithContextTypeNotFoundException or SlotConfigurationIdentifierNotFoundException (404).';

-- Documents.

CREATE FUNCTION experiments_internal.commerce_link(path text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT coalesce(nullif(current_setting('experiments.commerce_base_url', true), ''),
					'https://example.com/s/-/dw/data/v17_8') || path;
$$;
COMMENT ON FUNCTION experiments_internal.commerce_link(text) IS
'The absolute URL of a Data API resource: the setting experiments.commerce_base_url (default https://example.com/s/-/dw/data/v17_8) followed by the path.';

CREATE FUNCTION experiments_internal.ab_test_segment_fields(v experiments.variants)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'allocation', experiments_internal.percent_json(v.allocation_bp),
		'custom_experience', v.custom_experience,
		'description', v.description,
		'id', v.key));
$$;
COMMENT ON FUNCTION experiments_internal.ab_test_segment_fields(experiments.variants) IS
'The properties of a segment that both the A/B test and the segment documents show.';

CREATE FUNCTION experiments_internal.ab_test_segment_document(site_id text, exp experiments.experiments, v experiments.variants)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.ab_test_segment_fields(v) || jsonb_build_object(
		'_v', '17.8',
		'_type', 'ab_test_segment',
		'_resource_state', experiments_internal.ab_test_resource_state(exp),
		'link', experiments_internal.commerce_link(format('/sites/%s/ab_tests/%s/segments/%s', site_id, exp.key, v.key)));
$$;
COMMENT ON FUNCTION experiments_internal.ab_test_segment_document(text, experiments.experiments, experiments.variants) IS
'The ab_test_segment document of a segment.';

CREATE FUNCTION experiments_internal.ab_test_document(site_id text, exp experiments.experiments)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'_v', '17.8',
		'_type', 'ab_test',
		'_resource_state', experiments_internal.ab_test_resource_state(exp),
		'customer_groups', to_jsonb(coalesce(a.customer_groups, '{}')),
		'description', exp.description,
		'email_addresses', to_jsonb(coalesce(a.email_addresses, '{}')),
		'enabled', coalesce(a.enabled, exp.state IN ('running', 'paused')),
		'end_date', experiments_internal.json_timestamp(exp.ends_at),
		'expiration_type', a.expiration_type,
		'id', exp.key,
		'key_metric_id', g.key,
		'link', experiments_internal.commerce_link(format('/sites/%s/ab_tests/%s', site_id, exp.key)),
		'paused', coalesce(a.paused, exp.state = 'paused'),
		'start_date', experiments_internal.json_timestamp(exp.starts_at),
		'tags', to_jsonb(exp.tags),
		'test_groups', (SELECT coalesce(jsonb_agg(jsonb_build_object('_type', 'ab_test_group')
												  || experiments_internal.ab_test_segment_fields(v) ORDER BY v.ordinal), '[]')
						FROM experiments.variants v WHERE v.experiment_id = exp.id),
		'trigger', jsonb_build_object(
			'_type', 'ab_test_trigger',
			'is_pipeline_based', coalesce(a.trigger_type = 'pipeline_call', false),
			'trigger_type', coalesce(a.trigger_type, 'immediately'),
			'pipeline_calls', CASE WHEN a.trigger_type = 'pipeline_call' THEN to_jsonb(a.pipeline_calls) END,
			'categories', CASE WHEN a.trigger_type = 'category_view_page' THEN to_jsonb(a.trigger_categories) END)))
	FROM (SELECT 1) AS one
	LEFT JOIN experiments.ab_tests a ON a.experiment_id = exp.id
	LEFT JOIN experiments.goals g ON g.id = exp.goal_id;
$$;
COMMENT ON FUNCTION experiments_internal.ab_test_document(text, experiments.experiments) IS
'The ab_test document of an experiment of a site. An experiment created otherwise than through this API shows enabled and paused from its state.';

-- Reading documents.

CREATE FUNCTION experiments_internal.ab_test_request_error(document jsonb, types jsonb, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	bad text := experiments_internal.malformed_property(document, types);
	unknown text;
BEGIN
	IF jsonb_typeof(document) IS DISTINCT FROM 'object' THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The request document of %s is not a JSON object.', what));
	END IF;
	IF bad IS NOT NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The property ''%s'' of %s has a value of the wrong type: expected %s.', bad, what, types ->> bad));
	END IF;
	-- A tolerant reader: what the document does not define is left alone.
	SELECT string_agg(k, ', ' ORDER BY k) INTO unknown
	FROM jsonb_object_keys(document) AS k WHERE NOT types ? k;
	IF unknown IS NOT NULL THEN
		RAISE WARNING 'properties of % ignored: %', what, unknown
			USING DETAIL = format('They are not properties of %s document of the Data API; the rest of the request was applied.', what),
				  HINT = format('The properties of %s are: %s.', what,
								(SELECT string_agg(t, ', ' ORDER BY t) FROM jsonb_object_keys(types) AS t));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.ab_test_request_error(jsonb, jsonb, text) IS
'Checks a request document against the types of its properties ({"name": type}, every property the document defines): InvalidRequestException (400) when it is not an object or a property has the wrong type; a WARNING names the properties it does not define, which are ignored.';

CREATE FUNCTION experiments_internal.segment_allocation_bp(allocation jsonb, segment_id text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	percent numeric := (allocation #>> '{}')::numeric;
	bp integer := experiments_internal.percent_bp(percent);
BEGIN
	IF bp IS NULL AND percent IS NOT NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The allocation %s of segment ''%s'' is not a percentage between 0 and 100 with at most two decimals.',
				   percent, segment_id));
	END IF;
	RETURN bp;
END;
$$;
COMMENT ON FUNCTION experiments_internal.segment_allocation_bp(jsonb, text) IS
'A segment''s allocation (a JSON percentage) in basis points; InvalidRequestException (400) outside 0..100 or finer than 0.01.';

-- The state machine under enabled/paused: a test runs when it is enabled, not
-- paused, and its segments sum to 100; a started one that is disabled or
-- paused is paused. A started test must keep its segments at 100 percent,
-- because the catalog requires it of running and paused experiments.
CREATE FUNCTION experiments_internal.sync_ab_test_state(experiment_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments;
	live boolean;
	total bigint;
	n integer;
BEGIN
	SELECT e.* INTO exp FROM experiments.experiments e WHERE e.id = sync_ab_test_state.experiment_id;
	SELECT a.enabled AND NOT a.paused INTO live FROM experiments.ab_tests a
	WHERE a.experiment_id = exp.id;
	SELECT coalesce(sum(v.allocation_bp), 0), count(*) INTO total, n
	FROM experiments.variants v WHERE v.experiment_id = exp.id;
	IF exp.state IN ('running', 'paused') AND (n = 0 OR total <> 10000) THEN
		PERFORM experiments_internal.commerce_fault(400, 'ABTestSegmentAllocationException',
			format('The segments of the started A/B test with ID ''%s'' would have allocations summing to %s, not 100.',
				   exp.key, trim_scale(total / 100.0)));
	END IF;
	IF live AND n > 0 AND total = 10000 AND exp.state IN ('draft', 'paused') THEN
		UPDATE experiments.experiments e SET state = 'running' WHERE e.id = exp.id;
	ELSIF NOT live AND exp.state = 'running' THEN
		UPDATE experiments.experiments e SET state = 'paused' WHERE e.id = exp.id;
	END IF;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.sync_ab_test_state(bigint) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.sync_ab_test_state(bigint) IS
'Moves an A/B test''s experiment to the state its enabled and paused flags and its segments ask for; ABTestSegmentAllocationException (400) when a started test''s segments would not sum to 100.';

CREATE FUNCTION experiments_internal.ab_test_segment_body(body jsonb, segment_id text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.ab_test_request_error(body,
		'{"allocation": "number", "custom_experience": "boolean", "description": "string", "id": "string",
		  "link": "string", "_resource_state": "string", "_type": "string", "_v": "string"}', 'an ab_test_segment');
	IF body ->> 'id' <> segment_id THEN
		PERFORM experiments_internal.commerce_fault(400, 'IdConflictException',
			format('The ID ''%s'' in the request body does not match the ID ''%s'' in the URL.', body ->> 'id', segment_id),
			jsonb_build_object('bodyID', body ->> 'id', 'urlID', segment_id));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.ab_test_segment_body(jsonb, text) IS
'Checks an ab_test_segment request document: InvalidRequestException or IdConflictException (400).';

CREATE FUNCTION experiments_internal.apply_ab_test_segment(v experiments.variants, body jsonb)
RETURNS experiments.variants
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	UPDATE experiments.variants s
	SET allocation_bp = CASE WHEN body ? 'allocation'
							 THEN experiments_internal.segment_allocation_bp(body -> 'allocation', s.key) ELSE s.allocation_bp END,
		description = CASE WHEN body ? 'description' THEN body ->> 'description' ELSE s.description END,
		custom_experience = CASE WHEN body ? 'custom_experience'
								 THEN coalesce((body ->> 'custom_experience')::boolean, false) ELSE s.custom_experience END,
		updated_at = now()
	WHERE s.id = v.id
	RETURNING s.*;
$$;
REVOKE ALL ON FUNCTION experiments_internal.apply_ab_test_segment(experiments.variants, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.apply_ab_test_segment(experiments.variants, jsonb) IS
'Writes the properties (allocation, description, custom_experience) an ab_test_segment document gives to a segment.';

CREATE FUNCTION experiments_internal.ab_test_body(body jsonb)
RETURNS void
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.ab_test_request_error(body,
		'{"customer_groups": "string[]", "description": "string", "email_addresses": "string[]",
		  "enabled": "boolean", "end_date": "timestamp", "expiration_type": "string", "id": "string",
		  "key_metric_id": "string", "link": "string", "paused": "boolean", "start_date": "timestamp", "tags": "string[]",
		  "trigger": "object", "test_groups": "array", "test_segments": "array",
		  "_resource_state": "string", "_type": "string", "_v": "string"}', 'an ab_test');
$$;
COMMENT ON FUNCTION experiments_internal.ab_test_body(jsonb) IS
'Checks an ab_test request document (PUT and PATCH): InvalidRequestException (400) for a property of the wrong type, a WARNING for properties the document does not define. test_segments is test_groups as the GET sample of a segment spells it.';

CREATE FUNCTION experiments_internal.write_ab_test(exp experiments.experiments, site_id text, body jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	bad text;
	trigger_doc jsonb := body -> 'trigger';
	trigger_name text;
	new_start timestamptz;
	new_end timestamptz;
	goal uuid := exp.goal_id;
	segment jsonb;
BEGIN
	SELECT e INTO bad FROM jsonb_array_elements_text(body -> 'email_addresses') e
	WHERE e !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' LIMIT 1;
	IF bad IS NOT NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidEmailException',
			format('The email ''%s'' specified for A/B test with ID ''%s'' is invalid.', bad, exp.key),
			jsonb_build_object('email', bad, 'abtestId', exp.key));
	END IF;
	IF jsonb_typeof(trigger_doc) = 'object' THEN
		PERFORM experiments_internal.ab_test_request_error(trigger_doc,
			'{"trigger_type": "string", "is_pipeline_based": "boolean", "pipeline_calls": "string[]",
			  "categories": "string[]", "_type": "string"}', 'an ab_test_trigger');
		trigger_name := lower(trigger_doc ->> 'trigger_type');
		IF trigger_name IS NULL OR trigger_name NOT IN ('immediately', 'pipeline_call', 'category_view_page') THEN
			PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidTriggerException',
				format('The trigger type ''%s'' specified for A/B test with ID ''%s'' is invalid.',
					   coalesce(trigger_doc ->> 'trigger_type', ''), exp.key),
				jsonb_build_object('triggerType', coalesce(trigger_doc ->> 'trigger_type', ''), 'abTestId', exp.key));
		END IF;
		IF trigger_name = 'pipeline_call' AND coalesce(jsonb_array_length(trigger_doc -> 'pipeline_calls'), 0) = 0
		   OR trigger_name = 'category_view_page' AND coalesce(jsonb_array_length(trigger_doc -> 'categories'), 0) = 0 THEN
			PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidTriggerException',
				format('''%s'' is missing for trigger type ''%s'' specified for A/B test with ID %s''.',
					   CASE trigger_name WHEN 'pipeline_call' THEN 'pipeline' ELSE 'category' END,
					   upper(trigger_name), exp.key),
				jsonb_build_object('missingProperty', CASE trigger_name WHEN 'pipeline_call' THEN 'pipeline' ELSE 'category' END,
								   'triggerType', upper(trigger_name), 'abTestId', exp.key));
		END IF;
		SELECT p INTO bad FROM jsonb_array_elements_text(trigger_doc -> 'pipeline_calls') p
		WHERE trigger_name = 'pipeline_call' AND p !~ '^[A-Za-z0-9_]+-[A-Za-z0-9_]+$' LIMIT 1;
		IF bad IS NOT NULL THEN
			PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidPipelineException',
				format('The pipeline ''%s'' specified for A/B test with ID ''%s'' is invalid.', bad, exp.key),
				jsonb_build_object('pipeline', bad, 'abtestId', exp.key));
		END IF;
	END IF;
	new_start := CASE WHEN body ? 'start_date' THEN experiments_internal.parse_timestamp(body ->> 'start_date') ELSE exp.starts_at END;
	new_end := CASE WHEN body ? 'end_date' THEN experiments_internal.parse_timestamp(body ->> 'end_date') ELSE exp.ends_at END;
	IF new_start IS NULL OR new_end IS NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidDateException',
			format('The A/B test with ID ''''%s'' and ''%s'' ''%s'' could not be created. Please specify both the start date and the end date.',
				   exp.key, CASE WHEN new_end IS NULL THEN 'start date' ELSE 'end date' END,
				   coalesce(experiments_internal.json_timestamp(coalesce(new_end, new_start)), '')),
			jsonb_build_object('abtestId', exp.key, 'field', CASE WHEN new_end IS NULL THEN 'start date' ELSE 'end date' END,
							   'date', coalesce(experiments_internal.json_timestamp(coalesce(new_end, new_start)), '')));
	END IF;
	IF new_start >= new_end THEN
		PERFORM experiments_internal.commerce_fault(400, 'StartAfterEndException',
			format('The start date ''%s'' is after the end date ''%s'' for ''ab_test'' with ID ''%s''.',
				   experiments_internal.json_timestamp(new_start), experiments_internal.json_timestamp(new_end), exp.key));
	END IF;
	-- A key metric is a goal: the first test that names one registers it.
	IF body ? 'key_metric_id' THEN
		INSERT INTO experiments.goals (key) SELECT body ->> 'key_metric_id' WHERE body ->> 'key_metric_id' IS NOT NULL
		ON CONFLICT (tenant_id, key) DO NOTHING;
		SELECT g.id INTO goal FROM experiments.goals g
		WHERE g.tenant_id = exp.tenant_id AND g.key = body ->> 'key_metric_id';
	END IF;
	UPDATE experiments.experiments e
	SET description = CASE WHEN body ? 'description' THEN body ->> 'description' ELSE e.description END,
		tags = CASE WHEN body ? 'tags' THEN experiments_internal.json_text_array(body -> 'tags') ELSE e.tags END,
		starts_at = new_start,
		ends_at = new_end,
		goal_id = goal
	WHERE e.id = exp.id;
	INSERT INTO experiments.ab_tests (experiment_id) VALUES (exp.id) ON CONFLICT (experiment_id) DO NOTHING;
	UPDATE experiments.ab_tests a
	SET enabled = CASE WHEN body ? 'enabled' THEN coalesce((body ->> 'enabled')::boolean, false) ELSE a.enabled END,
		paused = CASE WHEN body ? 'paused' THEN coalesce((body ->> 'paused')::boolean, false) ELSE a.paused END,
		customer_groups = CASE WHEN body ? 'customer_groups' THEN experiments_internal.json_text_array(body -> 'customer_groups') ELSE a.customer_groups END,
		email_addresses = CASE WHEN body ? 'email_addresses' THEN experiments_internal.json_text_array(body -> 'email_addresses') ELSE a.email_addresses END,
		expiration_type = CASE WHEN body ? 'expiration_type' THEN body ->> 'expiration_type' ELSE a.expiration_type END,
		trigger_type = coalesce(trigger_name::experiments.ab_test_trigger_type, a.trigger_type),
		pipeline_calls = CASE WHEN trigger_name IS NULL THEN a.pipeline_calls
							  ELSE experiments_internal.json_text_array(trigger_doc -> 'pipeline_calls') END,
		trigger_categories = CASE WHEN trigger_name IS NULL THEN a.trigger_categories
								  ELSE experiments_internal.json_text_array(trigger_doc -> 'categories') END
	WHERE a.experiment_id = exp.id;
	-- Segments listed in test_groups change together, so that a started test
	-- can move weight between them in one request.
	FOR segment IN SELECT g FROM jsonb_array_elements(coalesce(body -> 'test_groups', body -> 'test_segments')) g LOOP
		PERFORM experiments_internal.ab_test_segment_body(segment, segment ->> 'id');
		PERFORM experiments_internal.apply_ab_test_segment(
			experiments_internal.ab_test_segment(exp, site_id, coalesce(segment ->> 'id', '')), segment);
	END LOOP;
	PERFORM experiments_internal.sync_ab_test_state(exp.id);
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.write_ab_test(experiments.experiments, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.write_ab_test(experiments.experiments, text, jsonb) IS
'Checks the values of an ab_test document (ab_test_body checked their types) and writes the properties it contains (PUT and PATCH share it), including the allocation, description and custom_experience of the existing segments listed in test_groups, then syncs the experiment''s state; raises the API''s faults.';

-- A/B tests.

CREATE FUNCTION experiments.list_ab_tests(site_id text, start integer DEFAULT 0, count integer DEFAULT 25,
										  "select" text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	total bigint;
	data jsonb;
BEGIN
	IF start IS NULL OR start < 0 OR list_ab_tests.count IS NULL OR list_ab_tests.count NOT BETWEEN 1 AND 200 THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('start must be 0 or more and count between 1 and 200, not %s and %s.',
				   coalesce(start::text, 'null'), coalesce(list_ab_tests.count::text, 'null')));
	END IF;
	IF "select" IS NOT NULL AND "select" <> '(**)' THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The property selector ''%s'' is not supported; use ''(**)'' for every property.', "select"));
	END IF;
	SELECT count(*) INTO total FROM experiments.experiments e
	WHERE e.tenant_id = experiments_internal.required_tenant() AND e.site_id = site;
	SELECT coalesce(jsonb_agg(CASE WHEN "select" IS NULL
								   THEN jsonb_build_object('_type', 'ab_test', 'id', t.key,
									   'link', experiments_internal.commerce_link(format('/sites/%s/ab_tests/%s', list_ab_tests.site_id, t.key)))
								   ELSE experiments_internal.ab_test_document(list_ab_tests.site_id, t) END ORDER BY t.key), '[]')
	INTO data
	FROM (SELECT e.* FROM experiments.experiments e
		  WHERE e.tenant_id = experiments_internal.required_tenant() AND e.site_id = site
		  ORDER BY e.key OFFSET start LIMIT list_ab_tests.count) t;
	RETURN jsonb_strip_nulls(jsonb_build_object(
		'_v', '17.8',
		'_type', 'ab_test_search_result',
		'count', jsonb_array_length(data),
		'data', data,
		'select', btrim("select", '()'),
		'start', start,
		'total', total));
END;
$$;
COMMENT ON FUNCTION experiments.list_ab_tests(text, integer, integer, text) IS
'GET /sites/{site_id}/ab_tests: the ab_test_search_result of a site''s A/B tests in id order, from start (default 0), count of them (default 25, at most 200); select (**) gives whole documents, no select the id and link of each.';

CREATE FUNCTION experiments.get_ab_test(site_id text, id text)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.ab_test_document(site_id, experiments_internal.commerce_ab_test(site_id, id));
$$;
COMMENT ON FUNCTION experiments.get_ab_test(text, text) IS
'GET /sites/{site_id}/ab_tests/{id}: the ab_test document; ABTestNotFoundException (404) when there is none.';

CREATE FUNCTION experiments.create_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	exp experiments.experiments;
BEGIN
	PERFORM experiments_internal.ab_test_body(body);
	IF body ->> 'id' <> id THEN
		PERFORM experiments_internal.commerce_fault(400, 'IdConflictException',
			format('The ID ''%s'' in the request body does not match the ID ''%s'' in the URL.', body ->> 'id', id),
			jsonb_build_object('bodyID', body ->> 'id', 'urlID', id));
	END IF;
	IF char_length(id) NOT BETWEEN 1 AND 40 THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The A/B test ID ''%s'' must have 1 to 40 characters.', id));
	END IF;
	INSERT INTO experiments.experiments AS e (key, site_id)
	VALUES (create_ab_test.id, site)
	ON CONFLICT (tenant_id, key) DO NOTHING
	RETURNING e.* INTO exp;
	IF exp.id IS NULL THEN
		PERFORM experiments_internal.commerce_fault(409, 'ABTestDuplicateException',
			format('The A/B test could not be created or updated because of duplicate ID ''%s''.', id),
			jsonb_build_object('abtestId', id));
	END IF;
	PERFORM experiments_internal.write_ab_test(exp, site_id, body);
	RETURN experiments.get_ab_test(site_id, id);
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_ab_test(text, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_ab_test(text, text, jsonb) IS
'PUT /sites/{site_id}/ab_tests/{id}: creates an A/B test from an ab_test document (start_date and end_date required) and returns it (201). Faults: IdConflictException, ABTestInvalidDateException, StartAfterEndException, ABTestInvalidEmailException, ABTestInvalidTriggerException, ABTestInvalidPipelineException (400), ABTestDuplicateException (409).';

CREATE FUNCTION experiments.update_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments;
	new_id text;
BEGIN
	PERFORM experiments_internal.ab_test_body(body);
	exp := experiments_internal.lock_ab_test(site_id, id, body ->> '_resource_state');
	new_id := coalesce(body ->> 'id', id);
	IF new_id <> id THEN
		IF char_length(new_id) NOT BETWEEN 1 AND 40 THEN
			PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
				format('The A/B test ID ''%s'' must have 1 to 40 characters.', new_id));
		END IF;
		IF EXISTS (SELECT 1 FROM experiments.experiments e
				   WHERE e.tenant_id = exp.tenant_id AND e.key = new_id) THEN
			PERFORM experiments_internal.commerce_fault(409, 'ABTestDuplicateException',
				format('The A/B test could not be created or updated because of duplicate ID ''%s''.', new_id),
				jsonb_build_object('abtestId', new_id));
		END IF;
		UPDATE experiments.experiments e SET key = new_id WHERE e.id = exp.id RETURNING e.* INTO exp;
	END IF;
	PERFORM experiments_internal.write_ab_test(exp, site_id, body);
	RETURN experiments.get_ab_test(site_id, new_id);
END;
$$;
REVOKE ALL ON FUNCTION experiments.update_ab_test(text, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.update_ab_test(text, text, jsonb) IS
'PATCH /sites/{site_id}/ab_tests/{id}: changes the properties the ab_test document gives (an id different from the URL''s renames the test) and returns the test. Faults: those of create_ab_test, ABTestNotFoundException (404), ResourceStateConflictException (409) for a stale _resource_state.';

CREATE FUNCTION experiments.delete_ab_test(site_id text, id text, resource_state text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments := experiments_internal.lock_ab_test(site_id, id, resource_state);
BEGIN
	DELETE FROM experiments.experiments e WHERE e.id = exp.id;
END;
$$;
REVOKE ALL ON FUNCTION experiments.delete_ab_test(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.delete_ab_test(text, text, text) IS
'DELETE /sites/{site_id}/ab_tests/{id}: deletes an A/B test with its segments and bindings (204). resource_state is the x-dw-resource-state header: a stale one is ResourceStateConflictException (409).';

-- Segments.

CREATE FUNCTION experiments.get_ab_test_segment(site_id text, ab_test_id text, segment_id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments := experiments_internal.commerce_ab_test(site_id, ab_test_id);
BEGIN
	RETURN experiments_internal.ab_test_segment_document(site_id, exp,
		experiments_internal.ab_test_segment(exp, site_id, segment_id));
END;
$$;
COMMENT ON FUNCTION experiments.get_ab_test_segment(text, text, text) IS
'GET /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: the ab_test_segment document. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404).';

CREATE FUNCTION experiments_internal.locked_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text)
RETURNS experiments.variants
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.ab_test_segment(experiments_internal.lock_ab_test(site_id, ab_test_id, resource_state), site_id, segment_id);
$$;
REVOKE ALL ON FUNCTION experiments_internal.locked_ab_test_segment(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.locked_ab_test_segment(text, text, text, text) IS
'A segment of an A/B test that is locked for an update, after the _resource_state check.';

CREATE FUNCTION experiments_internal.write_ab_test_segment(v experiments.variants, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments;
BEGIN
	v := experiments_internal.apply_ab_test_segment(v, body);
	PERFORM experiments_internal.sync_ab_test_state(v.experiment_id);
	SELECT e.* INTO exp FROM experiments.experiments e WHERE e.id = v.experiment_id;
	RETURN experiments_internal.ab_test_segment_document((SELECT s.key FROM experiments.sites s WHERE s.id = exp.site_id), exp, v);
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.write_ab_test_segment(experiments.variants, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.write_ab_test_segment(experiments.variants, jsonb) IS
'Writes a segment''s properties, syncs the test''s state and returns the segment document (PUT and PATCH share it).';

CREATE FUNCTION experiments.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments;
	v experiments.variants;
BEGIN
	PERFORM experiments_internal.ab_test_segment_body(body, segment_id);
	exp := experiments_internal.lock_ab_test(site_id, ab_test_id, body ->> '_resource_state');
	IF char_length(segment_id) NOT BETWEEN 1 AND 128 THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The segment ID ''%s'' must have 1 to 128 characters.', segment_id));
	END IF;
	INSERT INTO experiments.variants AS s (experiment_id, ordinal, key)
	SELECT exp.id, coalesce(max(x.ordinal) + 1, 0), segment_id
	FROM experiments.variants x WHERE x.experiment_id = exp.id
	ON CONFLICT (experiment_id, key) DO NOTHING
	RETURNING s.* INTO v;
	IF v.id IS NULL THEN
		PERFORM experiments_internal.commerce_fault(409, 'ResourceAlreadyExistsException',
			format('The segment with ID ''%s'' already exists in A/B test ''%s'' for site ''%s''.',
				   segment_id, ab_test_id, site_id),
			jsonb_build_object('serverState', experiments_internal.ab_test_resource_state(exp)));
	END IF;
	RETURN experiments_internal.write_ab_test_segment(v, body);
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_ab_test_segment(text, text, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_ab_test_segment(text, text, text, jsonb) IS
'PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: adds a segment (variant) after the existing ones and returns it (201). Faults: IdConflictException (400), ABTestNotFoundException (404), ResourceAlreadyExistsException (409), ABTestSegmentAllocationException (400) on a started test.';

CREATE FUNCTION experiments.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.ab_test_segment_body(body, segment_id);
	RETURN experiments_internal.write_ab_test_segment(
		experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, body ->> '_resource_state'), body);
END;
$$;
REVOKE ALL ON FUNCTION experiments.update_ab_test_segment(text, text, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.update_ab_test_segment(text, text, text, jsonb) IS
'PATCH /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: changes the properties given and returns the segment. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404), ResourceStateConflictException (409), ABTestSegmentAllocationException (400) on a started test.';

CREATE FUNCTION experiments.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text,
												   resource_state text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	v experiments.variants := experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, resource_state);
BEGIN
	DELETE FROM experiments.variants s WHERE s.id = v.id;
	PERFORM experiments_internal.sync_ab_test_state(v.experiment_id);
END;
$$;
REVOKE ALL ON FUNCTION experiments.delete_ab_test_segment(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.delete_ab_test_segment(text, text, text, text) IS
'DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: removes a segment and its bindings (204). Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404), ResourceStateConflictException (409), ABTestSegmentAllocationException (400) on a started test.';

-- Bindings. Binding what is already bound, or unbinding what is not, changes
-- nothing and is no error.

CREATE FUNCTION experiments.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	v experiments.variants := experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, NULL);
	promotion bigint := experiments_internal.site_object(site_id, 'promotion', promotion_id);
BEGIN
	INSERT INTO experiments.segment_promotions (experiment_id, variant_id, promotion_id)
	VALUES (v.experiment_id, v.id, promotion)
	ON CONFLICT DO NOTHING;
END;
$$;
REVOKE ALL ON FUNCTION experiments.bind_ab_test_promotion(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.bind_ab_test_promotion(text, text, text, text) IS
'PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}: the segment applies the promotion (204). Faults: SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, PromotionNotFoundException (404).';

CREATE FUNCTION experiments.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	v experiments.variants := experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, NULL);
	promotion bigint := experiments_internal.site_object(site_id, 'promotion', promotion_id);
BEGIN
	DELETE FROM experiments.segment_promotions b WHERE b.variant_id = v.id AND b.promotion_id = promotion;
END;
$$;
REVOKE ALL ON FUNCTION experiments.unbind_ab_test_promotion(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.unbind_ab_test_promotion(text, text, text, text) IS
'DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}: the segment no longer applies the promotion (204). Faults as for binding.';

CREATE FUNCTION experiments.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text,
															slot_id text, slot_config_id text, context text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	v experiments.variants := experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, NULL);
	configuration bigint := experiments_internal.site_slot_configuration(site_id, slot_id, slot_config_id, context);
BEGIN
	INSERT INTO experiments.segment_slot_configurations (experiment_id, variant_id, slot_configuration_id)
	VALUES (v.experiment_id, v.id, configuration)
	ON CONFLICT DO NOTHING;
END;
$$;
REVOKE ALL ON FUNCTION experiments.bind_ab_test_slot_configuration(text, text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.bind_ab_test_slot_configuration(text, text, text, text, text, text) IS
'PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=: the segment shows the slot configuration (204); context is global (the default), category=ID or folder=ID. Faults: InvalidContextTypeException (400), SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, SlotWithContextTypeNotFoundException, SlotConfigurationIdentifierNotFoundException (404).';

CREATE FUNCTION experiments.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text,
															  slot_id text, slot_config_id text, context text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	v experiments.variants := experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, NULL);
	configuration bigint := experiments_internal.site_slot_configuration(site_id, slot_id, slot_config_id, context);
BEGIN
	DELETE FROM experiments.segment_slot_configurations b
	WHERE b.variant_id = v.id AND b.slot_configuration_id = configuration;
END;
$$;
REVOKE ALL ON FUNCTION experiments.unbind_ab_test_slot_configuration(text, text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.unbind_ab_test_slot_configuration(text, text, text, text, text, text) IS
'DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=: the segment no longer shows the slot configuration (204). Faults as for binding.';

CREATE FUNCTION experiments.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text,
													  sorting_rule_id text, category_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	v experiments.variants := experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, NULL);
	rule bigint := experiments_internal.site_object(site_id, 'sorting_rule', sorting_rule_id);
	category bigint := experiments_internal.site_object(site_id, 'category', category_id);
	existing experiments.segment_sorting_rules;
	existing_rule text;
BEGIN
	SELECT b.* INTO existing FROM experiments.segment_sorting_rules b
	WHERE b.experiment_id = v.experiment_id AND b.category_id = category;
	IF NOT FOUND THEN
		INSERT INTO experiments.segment_sorting_rules (experiment_id, variant_id, sorting_rule_id, category_id)
		VALUES (v.experiment_id, v.id, rule, category);
	ELSIF existing.variant_id <> v.id OR existing.sorting_rule_id <> rule THEN
		SELECT r.key INTO existing_rule FROM experiments.sorting_rules r WHERE r.id = existing.sorting_rule_id;
		PERFORM experiments_internal.commerce_fault(409, 'SortingRuleCampaignAssignConflictException',
			format('The sorting rule ''%s'' cannot be assigned to A/B test ''%s'' and category ''%s'': sorting rule ''%s'' is already assigned to them.',
				   sorting_rule_id, ab_test_id, category_id, existing_rule),
			jsonb_build_object('sortingRuleId', sorting_rule_id, 'campaignId', ab_test_id, 'categoryId', category_id,
							   'existingSortingRuleId', existing_rule));
	END IF;
END;
$$;
REVOKE ALL ON FUNCTION experiments.bind_ab_test_sorting_rule(text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.bind_ab_test_sorting_rule(text, text, text, text, text) IS
'PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}: the segment sorts the category with the rule (204); one rule per test and category. Faults: InvalidCategoryException (400), SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, SortingRuleNotFoundException (404), SortingRuleCampaignAssignConflictException (409).';

CREATE FUNCTION experiments.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text,
														sorting_rule_id text, category_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	v experiments.variants := experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, NULL);
	rule bigint := experiments_internal.site_object(site_id, 'sorting_rule', sorting_rule_id);
	category bigint := experiments_internal.site_object(site_id, 'category', category_id);
BEGIN
	DELETE FROM experiments.segment_sorting_rules b
	WHERE b.variant_id = v.id AND b.sorting_rule_id = rule AND b.category_id = category;
END;
$$;
REVOKE ALL ON FUNCTION experiments.unbind_ab_test_sorting_rule(text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.unbind_ab_test_sorting_rule(text, text, text, text, text) IS
'DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}: the segment no longer sorts the category with the rule (204). Faults as for binding, but for the conflict.';
-- experiments: the draft/published experiments API (the draft/published document). Per
-- organization (a tenant), experiments with a goal, groups (variants), rooms
-- and a schedule; a draft may be incomplete, a published experiment is
-- complete and running, and never goes back to draft. Errors are raised with
-- raise_api_error: SQLSTATE PT400, PT403 or PT404.

CREATE FUNCTION experiments_internal.check_organization(organization_id uuid)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF organization_id IS DISTINCT FROM experiments_internal.required_tenant() THEN
		PERFORM experiments_internal.raise_api_error(403, format('You do not have access to organization %s.', organization_id));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_organization(uuid) IS
'An organization is a tenant: a caller reaches only its own (403 otherwise).';

CREATE FUNCTION experiments_internal.org_experiment(organization_id uuid, experiment_id uuid)
RETURNS experiments.experiments
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result experiments.experiments;
BEGIN
	PERFORM experiments_internal.check_organization(organization_id);
	SELECT e.* INTO result FROM experiments.experiments e
	WHERE e.tenant_id = organization_id AND e.uuid = org_experiment.experiment_id;
	IF NOT FOUND THEN
		PERFORM experiments_internal.raise_api_error(404, format('Experiment %s was not found.', experiment_id));
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.org_experiment(uuid, uuid) IS
'An experiment of an organization by its uuid; 404 when there is none.';

-- The API's users are whoever the catalog records as author (created_by,
-- updated_by): an API key (a bot), a token's subject or a login. The id is
-- the token's subject when that is a UUID (the API's user ids are), else a
-- UUID made from the principal, the same for every change it makes.
CREATE FUNCTION experiments_internal.org_user_document(principal jsonb, organization_id uuid)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'id', CASE WHEN principal ->> 'token' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
				   THEN (principal ->> 'token')::uuid ELSE md5(principal::text)::uuid END,
		'first_name', split_part(u.name, ' ', 1),
		'last_name', CASE WHEN strpos(u.name, ' ') > 0 THEN substr(u.name, strpos(u.name, ' ') + 1) ELSE '' END,
		'full_name', u.name,
		'organization_id', organization_id,
		'is_bot', principal ? 'api_key')
	FROM (SELECT coalesce(principal ->> 'application', principal ->> 'name', principal ->> 'email',
						  nullif(principal ->> 'token', ''), principal ->> 'login', '') AS name) AS u;
$$;
COMMENT ON FUNCTION experiments_internal.org_user_document(jsonb, uuid) IS
'The user document of the draft/published API for an author the catalog recorded (current_principal()): id (the token''s subject when a UUID, else a UUID derived from the principal), first_name, last_name and full_name from the application, the token''s name or the login, organization_id, and is_bot (true for an API key).';

CREATE FUNCTION experiments_internal.org_experiment_document(exp experiments.experiments)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'id', exp.uuid,
		'is_draft', exp.state = 'draft',
		'created_at', experiments_internal.json_timestamp(exp.created_at),
		'created_by_user', creator.doc,
		'created_by_user_id', creator.doc -> 'id',
		'updated_at', experiments_internal.json_timestamp(exp.updated_at),
		'updated_by_user', updater.doc,
		'updated_by_user_id', updater.doc -> 'id',
		'organization_id', exp.tenant_id,
		'organization', org.doc,
		'goal_id', exp.goal_id,
		'goal', (SELECT jsonb_build_object('id', g.id, 'name', coalesce(g.name, g.key),
										   'organization', org.doc, 'organization_id', g.tenant_id)
				 FROM experiments.goals g WHERE g.id = exp.goal_id),
		'groups', (SELECT coalesce(jsonb_agg(jsonb_build_object(
							'id', v.uuid,
							'created_at', experiments_internal.json_timestamp(v.created_at),
							'updated_at', experiments_internal.json_timestamp(v.updated_at),
							'order', v.ordinal,
							'name', v.name,
							'percentage', experiments_internal.percent_json(v.allocation_bp),
							'group_type', v.type,
							'treatment', v.treatment) ORDER BY v.ordinal), '[]')
				   FROM experiments.variants v WHERE v.experiment_id = exp.id),
		'group_reset_interval', exp.reset_interval,
		'name', exp.name,
		'starts_at', experiments_internal.json_timestamp(exp.starts_at),
		'ends_at', experiments_internal.json_timestamp(exp.ends_at),
		'room_ids', (SELECT coalesce(jsonb_agg(r.id ORDER BY r.name, r.id), '[]')
					 FROM experiments.experiment_rooms x JOIN experiments.rooms r ON r.id = x.room_id
					 WHERE x.experiment_id = exp.id),
		'rooms', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'name', r.name) ORDER BY r.name, r.id), '[]')
				  FROM experiments.experiment_rooms x JOIN experiments.rooms r ON r.id = x.room_id
				  WHERE x.experiment_id = exp.id))
	FROM (SELECT jsonb_build_object('id', t.id, 'name', coalesce(t.display_name, t.name)) AS doc
		  FROM experiments.tenants t WHERE t.id = exp.tenant_id) AS org,
		 experiments_internal.org_user_document(exp.created_by, exp.tenant_id) AS creator(doc),
		 experiments_internal.org_user_document(exp.updated_by, exp.tenant_id) AS updater(doc);
$$;
COMMENT ON FUNCTION experiments_internal.org_experiment_document(experiments.experiments) IS
'The experiment document of the draft/published API: attributes, who created and last updated it, goal, groups in order, rooms.';

CREATE FUNCTION experiments_internal.org_experiment_error(body jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	uuid_format CONSTANT text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
	bad text;
	g jsonb;
BEGIN
	IF jsonb_typeof(body) IS DISTINCT FROM 'object' THEN
		PERFORM experiments_internal.raise_api_error(400, 'The request body must be a JSON object.');
	END IF;
	IF jsonb_typeof(body -> 'is_draft') IS DISTINCT FROM 'boolean' THEN
		PERFORM experiments_internal.raise_api_error(400, 'is_draft is required: true or false.');
	END IF;
	bad := experiments_internal.malformed_property(body,
		'{"goal_id": "string", "groups": "array", "name": "string", "room_ids": "string[]",
		  "starts_at": "timestamp", "ends_at": "timestamp", "group_reset_interval": "string"}');
	IF bad IS NULL AND body ->> 'goal_id' !~* uuid_format THEN
		bad := 'goal_id';
	ELSIF bad IS NULL AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(body -> 'room_ids') r WHERE r !~* uuid_format) THEN
		bad := 'room_ids';
	ELSIF bad IS NULL AND body ->> 'group_reset_interval' NOT IN ('full', '1w', '1d') THEN
		bad := 'group_reset_interval';
	END IF;
	IF bad IS NOT NULL THEN
		PERFORM experiments_internal.raise_api_error(400, format('%s is not in the right format.', bad));
	END IF;
	IF jsonb_array_length(body -> 'groups') > 1000 THEN
		PERFORM experiments_internal.raise_api_error(400, format('groups is not in the right format: %s groups, at most 1000.',
			jsonb_array_length(body -> 'groups')));
	END IF;
	FOR g IN SELECT x FROM jsonb_array_elements(body -> 'groups') x LOOP
		bad := CASE WHEN jsonb_typeof(g) <> 'object' THEN 'groups'
					ELSE experiments_internal.malformed_property(g,
						'{"name": "string", "percentage": "number", "group_type": "string", "treatment": "object"}') END;
		IF bad IS NULL AND ((g ->> 'percentage')::numeric NOT BETWEEN 0 AND 100
							OR (g ->> 'percentage')::numeric <> trunc((g ->> 'percentage')::numeric)) THEN
			bad := 'percentage';
		ELSIF bad IS NULL AND g ->> 'group_type' NOT IN ('control', 'user_defined', 'target_algorithm', 'target_random') THEN
			bad := 'group_type';
		ELSIF bad IS NULL AND char_length(g ->> 'name') NOT BETWEEN 1 AND 128 THEN
			bad := 'name (1 to 128 characters)';
		END IF;
		IF bad IS NOT NULL THEN
			PERFORM experiments_internal.raise_api_error(400, format('The group %s is not in the right format: %s.', g, bad));
		END IF;
	END LOOP;
END;
$$;
COMMENT ON FUNCTION experiments_internal.org_experiment_error(jsonb) IS
'Checks the format of an experiment request body (is_draft present, uuids, timestamps, at most 1000 groups with names of 1 to 128 characters, whole percentages 0..100 and known group types); 400 when it is wrong.';

-- A client may send back what it read (the document's read-only
-- attributes are ignored quietly); anything else it sends is ignored too, as
-- the document does not refuse it, but named in a warning header so that a
-- misspelt attribute does not go unnoticed.
CREATE FUNCTION experiments_internal.org_experiment_warning(body jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('X-Warning', 'unknown attributes ignored: '
			|| regexp_replace(string_agg(a.path, ', ' ORDER BY a.n, a.path), '[^ -~]', '?', 'g'))
	FROM (SELECT 0 AS n, k AS path FROM jsonb_object_keys(body) AS k
		  WHERE k NOT IN ('is_draft', 'goal_id', 'groups', 'name', 'room_ids', 'starts_at', 'ends_at', 'group_reset_interval',
						  'id', 'created_at', 'created_by_user', 'created_by_user_id', 'updated_at', 'updated_by_user',
						  'updated_by_user_id', 'organization_id', 'organization', 'goal', 'rooms')
		  UNION ALL
		  SELECT g.n, format('groups[%s].%s', g.n - 1, k)
		  FROM jsonb_array_elements(CASE jsonb_typeof(body -> 'groups') WHEN 'array' THEN body -> 'groups' END)
			   WITH ORDINALITY AS g(doc, n),
			   jsonb_object_keys(g.doc) AS k
		  WHERE k NOT IN ('name', 'percentage', 'group_type', 'treatment', 'id', 'created_at', 'updated_at', 'order')) AS a
	HAVING count(*) > 0;
$$;
COMMENT ON FUNCTION experiments_internal.org_experiment_warning(jsonb) IS
'The X-Warning header (as a response.headers object) naming the attributes of a valid request body that are neither written nor read-only attributes of the document (groups[N].name for a group''s), which were ignored; NULL when there are none.';

-- Every endpoint answers its refusals in the API's own document, at the top
-- level: its block rolls its work back and hands the error here.
CREATE FUNCTION experiments_internal.org_error_answer(state text, message text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.respond(s.status, jsonb_build_object('status', s.status, 'message', message))
	FROM (SELECT CASE WHEN state ~ '^PT[45][0-9][0-9]$' THEN substr(state, 3)::integer
					  WHEN state IN ('22023', '23514') THEN 400 END AS status) AS s
	WHERE s.status IS NOT NULL;
$$;
COMMENT ON FUNCTION experiments_internal.org_error_answer(text, text) IS
'The answer of a draft/published endpoint to an error it caught: the status of a PT<status> error (or 400 for a value a rule of the catalog refused, SQLSTATE 22023 or 23514) as response.status, and {"status", "message"} as the document; NULL for any other error, which the endpoint raises again.';

CREATE FUNCTION experiments_internal.check_started_experiment(exp experiments.experiments, body jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	changed text;
BEGIN
	SELECT f INTO changed FROM (VALUES
		('goal_id', body ? 'goal_id' AND (body ->> 'goal_id')::uuid IS DISTINCT FROM exp.goal_id),
		('starts_at', body ? 'starts_at' AND experiments_internal.parse_timestamp(body ->> 'starts_at') IS DISTINCT FROM exp.starts_at),
		('group_reset_interval', body ? 'group_reset_interval'
			AND (body ->> 'group_reset_interval')::experiments.reset_interval IS DISTINCT FROM exp.reset_interval),
		('room_ids', body ? 'room_ids' AND
			ARRAY(SELECT r::uuid FROM jsonb_array_elements_text(body -> 'room_ids') r ORDER BY 1) IS DISTINCT FROM
			ARRAY(SELECT x.room_id FROM experiments.experiment_rooms x WHERE x.experiment_id = exp.id ORDER BY 1)),
		('groups', body ? 'groups' AND jsonb_array_length(body -> 'groups') <>
			(SELECT count(*) FROM experiments.variants v WHERE v.experiment_id = exp.id)),
		('group_type', EXISTS (SELECT 1 FROM jsonb_array_elements(body -> 'groups') WITH ORDINALITY AS g(doc, n)
							   JOIN experiments.variants v ON v.experiment_id = exp.id AND v.ordinal = g.n - 1
							   WHERE g.doc ? 'group_type'
								 AND (g.doc ->> 'group_type')::experiments.variant_type IS DISTINCT FROM v.type)),
		('treatment', EXISTS (SELECT 1 FROM jsonb_array_elements(body -> 'groups') WITH ORDINALITY AS g(doc, n)
							  JOIN experiments.variants v ON v.experiment_id = exp.id AND v.ordinal = g.n - 1
							  WHERE g.doc ? 'treatment' AND coalesce(nullif(g.doc -> 'treatment', 'null'), '{}') <> v.treatment))
	) AS c(f, differs)
	WHERE c.differs
	LIMIT 1;
	IF changed IS NOT NULL THEN
		PERFORM experiments_internal.raise_api_error(400,
			format('%s is read-only: the experiment started at %s.', changed, experiments_internal.json_timestamp(exp.starts_at)));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_started_experiment(experiments.experiments, jsonb) IS
'Once a published experiment''s starts_at has passed, its goal, rooms, start, reset interval, number of groups, group types and treatments are read-only: 400 when the body changes one.';

CREATE FUNCTION experiments_internal.write_org_experiment(exp experiments.experiments, body jsonb, creating boolean)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	started boolean := exp.state <> 'draft' AND exp.starts_at <= now();
	groups jsonb := body -> 'groups';
	publish boolean;
	new_goal uuid;
	new_start timestamptz;
	new_end timestamptz;
	missing text;
BEGIN
	PERFORM experiments_internal.org_experiment_error(body);
	publish := NOT (body ->> 'is_draft')::boolean;
	new_goal := CASE WHEN body ? 'goal_id' THEN (body ->> 'goal_id')::uuid ELSE exp.goal_id END;
	new_start := CASE WHEN body ? 'starts_at' THEN experiments_internal.parse_timestamp(body ->> 'starts_at') ELSE exp.starts_at END;
	new_end := CASE WHEN body ? 'ends_at' THEN experiments_internal.parse_timestamp(body ->> 'ends_at') ELSE exp.ends_at END;
	IF exp.state <> 'draft' AND NOT publish THEN
		PERFORM experiments_internal.raise_api_error(400, 'A published experiment cannot go back to draft.');
	END IF;
	IF exp.state = 'stopped' OR exp.ends_at <= now() THEN
		PERFORM experiments_internal.raise_api_error(400, format('The experiment ended at %s: it can no longer be updated.',
			coalesce(experiments_internal.json_timestamp(exp.ends_at), 'its stop')));
	END IF;
	IF started THEN
		PERFORM experiments_internal.check_started_experiment(exp, body);
	END IF;
	IF new_end <= new_start THEN
		PERFORM experiments_internal.raise_api_error(400, format('ends_at %s is not after starts_at %s.',
			experiments_internal.json_timestamp(new_end), experiments_internal.json_timestamp(new_start)));
	END IF;
	IF new_goal IS NOT NULL AND NOT EXISTS (SELECT 1 FROM experiments.goals g
											WHERE g.tenant_id = exp.tenant_id AND g.id = new_goal) THEN
		PERFORM experiments_internal.raise_api_error(404, format('Goal %s was not found.', new_goal));
	END IF;
	SELECT r INTO missing FROM jsonb_array_elements_text(body -> 'room_ids') r
	WHERE NOT EXISTS (SELECT 1 FROM experiments.rooms x WHERE x.tenant_id = exp.tenant_id AND x.id = r::uuid) LIMIT 1;
	IF missing IS NOT NULL THEN
		PERFORM experiments_internal.raise_api_error(404, format('Room %s was not found.', missing));
	END IF;
	IF (SELECT count(DISTINCT g ->> 'name') <> count(g ->> 'name') FROM jsonb_array_elements(groups) g) THEN
		PERFORM experiments_internal.raise_api_error(400, 'The names of an experiment''s groups must differ.');
	END IF;
	IF publish THEN
		-- What the document marks required when is_draft is false, in the
		-- body itself (a PUT too); goal_id, room_ids and starts_at are
		-- read-only once started, a group's group_type is optional in a PUT.
		SELECT string_agg(a, ', ') INTO missing FROM (VALUES
			('goal_id', NOT started AND body ->> 'goal_id' IS NULL),
			('groups', coalesce(jsonb_array_length(groups),
								(SELECT count(*)::integer FROM experiments.variants v WHERE v.experiment_id = exp.id)) = 0),
			('groups[].name', EXISTS (SELECT 1 FROM jsonb_array_elements(groups) g WHERE g ->> 'name' IS NULL)),
			('groups[].percentage', EXISTS (SELECT 1 FROM jsonb_array_elements(groups) g WHERE g ->> 'percentage' IS NULL)),
			('groups[].group_type', creating AND EXISTS (SELECT 1 FROM jsonb_array_elements(groups) g WHERE NOT g ? 'group_type')),
			('name', body ->> 'name' IS NULL),
			('room_ids', NOT started AND body -> 'room_ids' IS NULL),
			('starts_at', NOT started AND body ->> 'starts_at' IS NULL)
		) AS m(a, absent) WHERE m.absent;
		IF missing IS NOT NULL THEN
			PERFORM experiments_internal.raise_api_error(400, format('Required attributes are missing: %s.', missing));
		END IF;
		IF groups IS NOT NULL AND (SELECT sum((g ->> 'percentage')::numeric) <> 100 FROM jsonb_array_elements(groups) g) THEN
			PERFORM experiments_internal.raise_api_error(400, format('The percentages of the groups sum to %s, not 100.',
				(SELECT sum((g ->> 'percentage')::numeric) FROM jsonb_array_elements(groups) g)));
		END IF;
	END IF;
	UPDATE experiments.experiments e
	SET name = CASE WHEN body ? 'name' THEN body ->> 'name' ELSE e.name END,
		goal_id = new_goal,
		starts_at = new_start,
		ends_at = new_end,
		reset_interval = coalesce((body ->> 'group_reset_interval')::experiments.reset_interval, e.reset_interval)
	WHERE e.id = exp.id;
	IF groups IS NOT NULL THEN
		-- Groups are matched by position; keys are parked on the unique uuids
		-- first so that renames may swap names.
		DELETE FROM experiments.variants v WHERE v.experiment_id = exp.id AND v.ordinal >= jsonb_array_length(groups);
		UPDATE experiments.variants v SET key = v.uuid::text WHERE v.experiment_id = exp.id;
		INSERT INTO experiments.variants AS v (experiment_id, ordinal, key, name, allocation_bp, type, treatment)
		SELECT exp.id, g.n - 1, coalesce(g.doc ->> 'name', 'group-' || (g.n - 1)), g.doc ->> 'name',
			   coalesce((g.doc ->> 'percentage')::numeric * 100, 0)::integer,
			   -- a group_type or treatment left out keeps the group's (those of
			   -- a started experiment cannot differ: check_started_experiment)
			   CASE WHEN g.doc ? 'group_type' THEN (g.doc ->> 'group_type')::experiments.variant_type ELSE old.type END,
			   CASE WHEN g.doc ? 'treatment' THEN coalesce(nullif(g.doc -> 'treatment', 'null'), '{}')
					ELSE coalesce(old.treatment, '{}') END
		FROM jsonb_array_elements(groups) WITH ORDINALITY AS g(doc, n)
		LEFT JOIN experiments.variants old ON old.experiment_id = exp.id AND old.ordinal = g.n - 1
		ON CONFLICT (experiment_id, ordinal) DO UPDATE
			SET key = excluded.key, name = excluded.name, allocation_bp = excluded.allocation_bp,
				type = excluded.type, treatment = excluded.treatment, updated_at = now();
	END IF;
	IF body ? 'room_ids' THEN
		DELETE FROM experiments.experiment_rooms x WHERE x.experiment_id = exp.id;
		INSERT INTO experiments.experiment_rooms (experiment_id, room_id)
		SELECT DISTINCT exp.id, r::uuid FROM jsonb_array_elements_text(body -> 'room_ids') r;
	END IF;
	IF publish AND exp.state = 'draft' THEN
		UPDATE experiments.experiments e SET state = 'running' WHERE e.id = exp.id;
	END IF;
	SELECT e.* INTO exp FROM experiments.experiments e WHERE e.id = exp.id;
	RETURN experiments_internal.org_experiment_document(exp);
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.write_org_experiment(experiments.experiments, jsonb, boolean) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.write_org_experiment(experiments.experiments, jsonb, boolean) IS
'Validates an experiment request body (of a POST when creating, else of a PUT) against the experiment and writes what it gives; publishing (is_draft false) checks that the body has what the document requires and moves a draft to running. Raises the API''s 400 and 404 errors.';

CREATE FUNCTION experiments.list_org_experiments(organization_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.check_organization(organization_id);
	RETURN (SELECT coalesce(jsonb_agg(experiments_internal.org_experiment_document(e) ORDER BY e.created_at, e.id), '[]')
			FROM experiments.experiments e WHERE e.tenant_id = organization_id);
END;
$$;
COMMENT ON FUNCTION experiments.list_org_experiments(uuid) IS
'GET /api/v5/orgs/{organization_id}/experiments: the organization''s experiments, oldest first.';

CREATE FUNCTION experiments.get_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.org_experiment_document(experiments_internal.org_experiment(organization_id, experiment_id));
$$;
COMMENT ON FUNCTION experiments.get_org_experiment(uuid, uuid) IS
'GET /api/v5/orgs/{organization_id}/experiments/{experiment_id}: the experiment document; 404 when there is none.';

CREATE FUNCTION experiments.create_org_experiment(organization_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	new_uuid uuid := gen_random_uuid();
	exp experiments.experiments;
BEGIN
	PERFORM experiments_internal.check_organization(organization_id);
	INSERT INTO experiments.experiments AS e (uuid, key)
	VALUES (new_uuid, new_uuid::text)
	RETURNING e.* INTO exp;
	RETURN experiments_internal.write_org_experiment(exp, body, true);
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_org_experiment(uuid, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_org_experiment(uuid, jsonb) IS
'POST /api/v5/orgs/{organization_id}/experiments: creates an experiment (201), a draft when is_draft is true, published and running otherwise; its key is its uuid. 400 when attributes are missing or malformed, 404 for an unknown goal or room.';

CREATE FUNCTION experiments.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments := experiments_internal.org_experiment(organization_id, experiment_id);
BEGIN
	SELECT e.* INTO exp FROM experiments.experiments e WHERE e.id = exp.id FOR UPDATE;
	RETURN experiments_internal.write_org_experiment(exp, body, false);
END;
$$;
REVOKE ALL ON FUNCTION experiments.update_org_experiment(uuid, uuid, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.update_org_experiment(uuid, uuid, jsonb) IS
'PUT /api/v5/orgs/{organization_id}/experiments/{experiment_id}: updates an experiment with the attributes given and returns it. 400 when it has ended, when ends_at is not after starts_at, when going from published to draft, when a read-only attribute of a started experiment changes, or when publishing it incomplete; 404 when it does not exist.';

CREATE FUNCTION experiments.delete_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments := experiments_internal.org_experiment(organization_id, experiment_id);
BEGIN
	DELETE FROM experiments.experiments e WHERE e.id = exp.id;
END;
$$;
REVOKE ALL ON FUNCTION experiments.delete_org_experiment(uuid, uuid) FROM PUBLIC;
COMMENT ON FUNCTION experiments.delete_org_experiment(uuid, uuid) IS
'DELETE /api/v5/orgs/{organization_id}/experiments/{experiment_id}: deletes an experiment (204); 404 when it does not exist.';
-- experiments: statistics, in C (src/results/stats.c). Distributions, intervals and
-- the tests behind experiment results. Pure functions of their arguments.

CREATE FUNCTION experiments.normal_cdf(x float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'normal_cdf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.normal_cdf(float8) IS
'P(Z <= x) for a standard normal Z, accurate in both tails (relative error below 1e-12).';

CREATE FUNCTION experiments.normal_quantile(p float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'normal_quantile'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.normal_quantile(float8) IS
'The x with P(Z <= x) = p for a standard normal Z; -Infinity at 0, Infinity at 1.';

CREATE FUNCTION experiments.chi_square_cdf(x float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'chi_square_cdf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.chi_square_cdf(float8, float8) IS
'P(X <= x) for a chi-square X with df > 0 degrees of freedom (the regularized lower incomplete gamma P(df/2, x/2)).';

CREATE FUNCTION experiments.chi_square_sf(x float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'chi_square_sf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.chi_square_sf(float8, float8) IS
'P(X > x) for a chi-square X with df > 0 degrees of freedom: the p-value of a chi-square statistic, accurate far into the tail.';

CREATE FUNCTION experiments.student_t_cdf(t float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_cdf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.student_t_cdf(float8, float8) IS
'P(T <= t) for Student''s t with df > 0 degrees of freedom, fractional allowed; df = Infinity gives the normal distribution.';

CREATE FUNCTION experiments.student_t_sf(t float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_sf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.student_t_sf(float8, float8) IS
'P(T > t) for Student''s t with df > 0 degrees of freedom, accurate far into the tail.';

CREATE FUNCTION experiments.student_t_quantile(p float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_quantile'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.student_t_quantile(float8, float8) IS
'The t with P(T <= t) = p for Student''s t with df > 0 degrees of freedom.';

CREATE FUNCTION experiments.wilson_interval(successes bigint, trials bigint,
	confidence float8 DEFAULT 0.95, OUT lower float8, OUT upper float8)
RETURNS record
AS 'MODULE_PATHNAME', 'wilson_interval'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.wilson_interval(bigint, bigint, float8) IS
'Wilson score interval of the proportion successes / trials at a confidence level (default 95%); NULLs when trials is 0.';

CREATE FUNCTION experiments.two_proportion_test(
	control_successes bigint, control_trials bigint,
	treatment_successes bigint, treatment_trials bigint,
	confidence float8 DEFAULT 0.95,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT z float8, OUT p_value float8)
RETURNS record
AS 'MODULE_PATHNAME', 'two_proportion_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.two_proportion_test(bigint, bigint, bigint, bigint, float8) IS
'Two-proportion z-test of treatment vs control rates: difference (treatment - control) with its Wald interval, relative difference (treatment / control - 1) with its delta-method interval, z with the pooled standard error, two-sided p-value.';

CREATE FUNCTION experiments.welch_test(
	control_mean float8, control_variance float8, control_count bigint,
	treatment_mean float8, treatment_variance float8, treatment_count bigint,
	confidence float8 DEFAULT 0.95,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT t float8, OUT p_value float8, OUT df float8)
RETURNS record
AS 'MODULE_PATHNAME', 'welch_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.welch_test(float8, float8, bigint, float8, float8, bigint, float8) IS
'Welch''s t-test of treatment vs control means from sample summaries (mean, var_samp, count): difference with its t interval, relative difference with its delta-method interval, t, two-sided p-value and Welch-Satterthwaite degrees of freedom.';

CREATE FUNCTION experiments.srm_test(observed bigint[], allocation float8[],
	OUT chi_square float8, OUT df integer, OUT p_value float8)
RETURNS record
AS 'MODULE_PATHNAME', 'srm_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.srm_test(bigint[], float8[]) IS
'Sample ratio mismatch: chi-square goodness of fit of units per variant against allocation weights; units in a zero-allocation variant give chi_square Infinity and p_value 0.';
-- experiments: results. What the events mean: exposures per variant, goal
-- conversions and values, revenue, lift against the control with its
-- significance, sample ratio mismatch, daily series and a text report.
--
-- One pass: daily_metrics(), in C (src/results/results.c), reads an experiment's
-- exposures once into a hash table of its units (the variant of each unit's
-- first exposure), then the goals and transactions of those units at or
-- after that first exposure, and sums per metric, variant and day.
-- Everything else aggregates its rows. Time windows are parameters, so the
-- partitions outside the window are never read (sql/results_pruning.sql).
-- The views apply the functions to every started experiment of the caller's
-- tenant; with security_invoker they read the tables as the caller, under
-- row-level security (and name the tenant explicitly, so that administrators,
-- whom row-level security does not restrict, see one tenant too).

CREATE FUNCTION experiments.daily_metrics(experiment_id bigint, since timestamptz, until timestamptz)
RETURNS TABLE (kind text, metric text, ordinal integer, day date, units bigint,
			   value_sum float8, value_square_sum float8, first_at timestamptz, last_at timestamptz)
AS 'MODULE_PATHNAME', 'daily_metrics'
LANGUAGE C STABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp;
COMMENT ON FUNCTION experiments.daily_metrics(bigint, timestamptz, timestamptz) IS
'The building block of results, and the one function that reads event tables. Per UTC day: units first exposed to the experiment in [since, until) (kind exposures, in the variant of their first exposure, with first and last exposure), and units reaching a goal (kind goal) or with transactions (kind revenue, metric revenue) at or after their first exposure and before until, by day of the first such event, with the sum and sum of squares of the per-unit total of the goal property "value" or of the revenue in cents.';

CREATE FUNCTION experiments.experiment_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95)
RETURNS TABLE (
	experiment_id bigint, ordinal integer, variant text, kind text, metric text,
	units bigint, traffic_share float8, allocation_share float8,
	first_exposed_at timestamptz, last_exposed_at timestamptz,
	converting_units bigint, conversion_rate float8, rate_lower float8, rate_upper float8,
	value_sum float8, value_per_unit float8,
	rate_lift float8, rate_lift_lower float8, rate_lift_upper float8,
	rate_relative_lift float8, rate_relative_lower float8, rate_relative_upper float8, rate_p_value float8,
	value_lift float8, value_lift_lower float8, value_lift_upper float8,
	value_relative_lift float8, value_relative_lower float8, value_relative_upper float8, value_p_value float8,
	srm_chi_square float8, srm_p_value float8, srm_mismatch boolean, stray_traffic boolean)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH m AS MATERIALIZED (
	SELECT * FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity'))
), variant_units AS (
	SELECT v.ordinal, v.key, v.allocation_bp, coalesce(sum(m.units), 0)::bigint AS units,
		   min(m.first_at) AS first_at, max(m.last_at) AS last_at
	FROM experiments.variants v
	LEFT JOIN m ON m.kind = 'exposures' AND m.ordinal = v.ordinal
	WHERE v.experiment_id = $1
	GROUP BY v.ordinal, v.key, v.allocation_bp
), totals AS (
	SELECT sum(units) AS units, sum(allocation_bp) AS allocation,
		   array_agg(units ORDER BY ordinal) AS observed,
		   array_agg(allocation_bp::float8 ORDER BY ordinal) AS allocations,
		   coalesce(bool_or(allocation_bp = 0 AND units > 0), false) AS stray
	FROM variant_units
), srm AS (
	SELECT s.chi_square, s.p_value, t.stray
	FROM totals t
	CROSS JOIN LATERAL experiments.srm_test(CASE WHEN t.allocation > 0 THEN t.observed END, t.allocations) s
), metrics AS (
	SELECT m.kind, m.metric, m.ordinal, sum(m.units)::bigint AS converting, sum(m.value_sum) AS s1,
		   sum(m.value_square_sum) AS s2
	FROM m WHERE m.kind <> 'exposures'
	GROUP BY m.kind, m.metric, m.ordinal
), keys AS (
	SELECT 'exposures' AS kind, NULL::text AS metric
	UNION ALL
	SELECT DISTINCT metrics.kind, metrics.metric FROM metrics
), cells AS (
	-- Every variant for every metric; per-unit values average over all
	-- exposed units, with 0 for units without the goal.
	SELECT k.kind, k.metric, vu.ordinal, vu.key, vu.units, vu.allocation_bp, vu.first_at, vu.last_at,
		   CASE WHEN k.kind <> 'exposures' THEN coalesce(mt.converting, 0) END AS converting,
		   CASE WHEN bool_or(mt.s1 IS NOT NULL) OVER (PARTITION BY k.kind, k.metric)
				THEN coalesce(mt.s1, 0) END AS s1,
		   coalesce(mt.s2, 0) AS s2
	FROM keys k CROSS JOIN variant_units vu
	LEFT JOIN metrics mt ON mt.kind = k.kind AND mt.metric = k.metric AND mt.ordinal = vu.ordinal
), stats AS (
	SELECT c.*, c.s1 / nullif(c.units, 0) AS mean,
		   CASE WHEN c.units > 1 THEN greatest((c.s2 - c.s1 * c.s1 / c.units) / (c.units - 1), 0) END AS variance
	FROM cells c
)
SELECT $1, s.ordinal, s.key, s.kind, s.metric,
	   s.units, s.units / nullif(t.units, 0)::float8, s.allocation_bp / nullif(t.allocation, 0)::float8,
	   s.first_at, s.last_at,
	   s.converting, s.converting / nullif(s.units, 0)::float8, w.lower, w.upper,
	   s.s1, s.mean,
	   z.difference, z.difference_lower, z.difference_upper,
	   z.relative_difference, z.relative_lower, z.relative_upper, z.p_value,
	   welch.difference, welch.difference_lower, welch.difference_upper,
	   welch.relative_difference, welch.relative_lower, welch.relative_upper, welch.p_value,
	   srm.chi_square, srm.p_value, srm.p_value < 0.001 OR srm.stray, srm.stray
FROM stats s
CROSS JOIN totals t
CROSS JOIN srm
LEFT JOIN stats c ON c.kind = s.kind AND c.metric IS NOT DISTINCT FROM s.metric AND c.ordinal = 0
CROSS JOIN LATERAL experiments.wilson_interval(s.converting, s.units, $4) w
CROSS JOIN LATERAL experiments.two_proportion_test(
	CASE WHEN s.ordinal <> 0 THEN c.converting END, c.units, s.converting, s.units, $4) z
CROSS JOIN LATERAL experiments.welch_test(
	CASE WHEN s.ordinal <> 0 THEN c.mean END, c.variance, c.units, s.mean, s.variance, s.units, $4) welch
ORDER BY s.kind = 'exposures' DESC, s.kind, s.metric, s.ordinal
$$;
COMMENT ON FUNCTION experiments.experiment_results(bigint, timestamptz, timestamptz, float8) IS
'Full results of one experiment over exposures in [since, until) (NULL: unbounded), one row per variant and metric. kind exposures: units (first exposure counts once), traffic vs allocation share, first and last exposure. kind goal (per goal) and revenue (transactions): converting units, rate with Wilson interval, value sum and per exposed unit; for variants other than the control (ordinal 0), rate lift by two-proportion z-test and value lift by Welch t-test, absolute and relative, with intervals at the confidence level and p-values. Every row carries the experiment''s sample ratio mismatch test: chi-square against the configured allocation, flagged at p < 0.001 or when a variant allocated 0 has units (stray_traffic).';

CREATE FUNCTION experiments.daily_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE (day date, experiment_id bigint, ordinal integer, variant text, kind text, metric text,
			   new_units bigint, cumulative_units bigint,
			   new_converting_units bigint, cumulative_converting_units bigint,
			   cumulative_rate float8, value_sum float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH daily AS MATERIALIZED (
	SELECT m.day, m.kind, m.metric, m.ordinal, m.units AS n, m.value_sum AS v
	FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity')) m
), grid AS (
	SELECT d.day, k.kind, k.metric, v.ordinal, v.key
	FROM (SELECT DISTINCT daily.day FROM daily) d
	CROSS JOIN (SELECT DISTINCT daily.kind, daily.metric FROM daily) k
	CROSS JOIN experiments.variants v
	WHERE v.experiment_id = $1
)
SELECT g.day, $1, g.ordinal, g.key, g.kind, g.metric,
	   coalesce(e.n, 0), sum(coalesce(e.n, 0)) OVER w,
	   CASE WHEN g.kind <> 'exposures' THEN coalesce(c.n, 0) END,
	   CASE WHEN g.kind <> 'exposures' THEN sum(coalesce(c.n, 0)) OVER w END,
	   CASE WHEN g.kind <> 'exposures' THEN sum(coalesce(c.n, 0)) OVER w / nullif(sum(coalesce(e.n, 0)) OVER w, 0)::float8 END,
	   CASE WHEN g.kind <> 'exposures' THEN c.v END
FROM grid g
LEFT JOIN daily e ON e.kind = 'exposures' AND e.day = g.day AND e.ordinal = g.ordinal
LEFT JOIN daily c ON c.kind = g.kind AND c.metric IS NOT DISTINCT FROM g.metric AND c.day = g.day AND c.ordinal = g.ordinal
WINDOW w AS (PARTITION BY g.kind, g.metric, g.ordinal ORDER BY g.day)
ORDER BY g.kind = 'exposures' DESC, g.kind, g.metric, g.ordinal, g.day
$$;
COMMENT ON FUNCTION experiments.daily_results(bigint, timestamptz, timestamptz) IS
'Daily series (UTC days) of one experiment, per variant and metric: units first exposed that day and cumulatively, units first converting that day (at or after their exposure) and cumulatively, the cumulative conversion rate, and the day''s value sum.';

-- Views: the functions over every experiment the caller sees.

CREATE VIEW experiments.results WITH (security_invoker = true) AS
SELECT x.key AS experiment, r.*
FROM experiments.experiments x
CROSS JOIN LATERAL experiments.experiment_results(x.id) r
WHERE x.started_at IS NOT NULL AND x.tenant_id = (SELECT experiments.current_tenant());
COMMENT ON VIEW experiments.results IS
'experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';

CREATE VIEW experiments.exposure_summary WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.ordinal, r.variant, r.units, r.traffic_share, r.allocation_share,
	   r.first_exposed_at, r.last_exposed_at
FROM experiments.results r
WHERE r.kind = 'exposures';
COMMENT ON VIEW experiments.exposure_summary IS
'Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';

CREATE VIEW experiments.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, sum(r.units)::bigint AS units,
	   array_agg(r.units ORDER BY r.ordinal) AS units_per_variant,
	   array_agg(r.allocation_share ORDER BY r.ordinal) AS allocation_shares,
	   min(r.srm_chi_square) AS chi_square, min(r.srm_p_value) AS p_value,
	   bool_or(r.stray_traffic) AS stray_traffic, bool_or(r.srm_mismatch) AS mismatch
FROM experiments.results r
WHERE r.kind = 'exposures'
GROUP BY r.experiment, r.experiment_id;
COMMENT ON VIEW experiments.sample_ratio_mismatch IS
'Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value; mismatch when p < 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';

CREATE VIEW experiments.lift WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.kind, r.metric, r.ordinal, r.variant,
	   r.conversion_rate, r.rate_lift, r.rate_lift_lower, r.rate_lift_upper,
	   r.rate_relative_lift, r.rate_relative_lower, r.rate_relative_upper, r.rate_p_value,
	   r.value_per_unit, r.value_lift, r.value_lift_lower, r.value_lift_upper,
	   r.value_relative_lift, r.value_relative_lower, r.value_relative_upper, r.value_p_value,
	   r.srm_mismatch
FROM experiments.results r
WHERE r.kind <> 'exposures' AND r.ordinal <> 0;
COMMENT ON VIEW experiments.lift IS
'Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (two-proportion z-test) and of the value per exposed unit (Welch t-test), 95% intervals and two-sided p-values.';

CREATE VIEW experiments.daily_results WITH (security_invoker = true) AS
SELECT x.key AS experiment, d.*
FROM experiments.experiments x
CROSS JOIN LATERAL experiments.daily_results(x.id) d
WHERE x.started_at IS NOT NULL AND x.tenant_id = (SELECT experiments.current_tenant());
COMMENT ON VIEW experiments.daily_results IS
'daily_results() of every started experiment of the caller''s tenant: per UTC day, variant and metric, new and cumulative exposed and converting units and the cumulative rate.';

-- The report.

CREATE FUNCTION experiments_internal.format_percent(fraction float8, signed boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN fraction IS NULL THEN 'n/a'
				ELSE CASE WHEN signed AND fraction >= 0 THEN '+' ELSE '' END ||
					 round((fraction * 100)::numeric, CASE WHEN abs(fraction) < 0.001 AND fraction <> 0 THEN 3 ELSE 1 END)::text || '%' END
$$;
COMMENT ON FUNCTION experiments_internal.format_percent(float8, boolean) IS
'A fraction as a percentage for reports (0.0213 -> 2.1%, with a sign when signed), n/a for NULL.';

CREATE FUNCTION experiments_internal.format_p_value(p float8)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN p IS NULL THEN 'p = n/a'
				WHEN p < 0.001 THEN 'p < 0.001'
				ELSE 'p = ' || round(p::numeric, 3)::text END
$$;
COMMENT ON FUNCTION experiments_internal.format_p_value(float8) IS
'A p-value for reports: p < 0.001 below a thousandth, otherwise three decimals.';

CREATE FUNCTION experiments_internal.results_verdict(variant text, control text, metric text,
	relative_lift float8, lower float8, upper float8, p_value float8, alpha float8, level text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT format('%s %s %s on %s: %s (%s CI %s to %s), %s',
		variant,
		CASE WHEN p_value IS NULL OR p_value >= alpha THEN 'is not significantly different from'
			 WHEN relative_lift > 0 THEN 'beats' ELSE 'loses to' END,
		control, metric,
		experiments_internal.format_percent(relative_lift, true), level,
		experiments_internal.format_percent(lower, true), experiments_internal.format_percent(upper, true),
		experiments_internal.format_p_value(p_value))
$$;
COMMENT ON FUNCTION experiments_internal.results_verdict(text, text, text, float8, float8, float8, float8, float8, text) IS
'One verdict line of results_report(): beats, loses to or is not significantly different from the control at significance alpha, with the relative lift, its interval and the p-value.';

CREATE FUNCTION experiments.results_report(experiment text,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	r record;
	control text;
	srm text;
	total bigint := 0;
	variant_lines text[] := '{}';
	metric_lines text[] := '{}';
	level text := round((confidence * 100)::numeric, 1)::float8::text || '%';
BEGIN
	SELECT * INTO x FROM experiments.experiments e
	WHERE e.key = results_report.experiment AND e.tenant_id = experiments_internal.required_tenant();
	IF NOT FOUND THEN
		RAISE EXCEPTION 'experiment "%" does not exist', results_report.experiment
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'The caller''s tenant has no experiment with that key.',
				  HINT = 'List the tenant''s experiments in experiments.experiments.';
	END IF;
	-- Rows come exposures first, control first: one pass builds the report.
	FOR r IN SELECT * FROM experiments.experiment_results(x.id, since, until, confidence) LOOP
		IF r.kind = 'exposures' THEN
			total := total + r.units;
			IF r.ordinal = 0 THEN
				control := r.variant;
			END IF;
			srm := CASE WHEN r.stray_traffic THEN 'SAMPLE RATIO MISMATCH (units in a variant allocated 0%)'
						WHEN r.srm_mismatch THEN 'SAMPLE RATIO MISMATCH (' || experiments_internal.format_p_value(r.srm_p_value) || ')'
						WHEN r.srm_p_value IS NULL THEN 'SRM not testable'
						ELSE 'no SRM (' || experiments_internal.format_p_value(r.srm_p_value) || ')' END;
			variant_lines := variant_lines || format('  %s: %s units (%s of traffic, allocated %s)',
				r.variant, r.units, experiments_internal.format_percent(r.traffic_share),
				experiments_internal.format_percent(r.allocation_share));
		ELSIF r.ordinal = 0 THEN
			metric_lines := metric_lines || format('%s: %s %s',
				CASE r.kind WHEN 'revenue' THEN 'revenue (cents per unit)' ELSE r.metric END, r.variant,
				CASE r.kind WHEN 'revenue' THEN round(r.value_per_unit::numeric, 2)::text
					 ELSE format('%s (%s to %s)', experiments_internal.format_percent(r.conversion_rate),
								 experiments_internal.format_percent(r.rate_lower), experiments_internal.format_percent(r.rate_upper)) END);
		ELSE
			metric_lines := metric_lines || ('  ' || experiments_internal.results_verdict(
				r.variant, control, CASE r.kind WHEN 'revenue' THEN 'revenue per unit' ELSE r.metric END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lift ELSE r.rate_relative_lift END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lower ELSE r.rate_relative_lower END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_upper ELSE r.rate_relative_upper END,
				CASE r.kind WHEN 'revenue' THEN r.value_p_value ELSE r.rate_p_value END,
				1 - confidence, level) || '; ' || split_part(srm, ' (', 1));
		END IF;
	END LOOP;
	RETURN array_to_string(
		format('Experiment %s (%s): %s units exposed%s', x.key, x.state, total,
			   CASE WHEN since IS NULL AND until IS NULL THEN ''
					ELSE format(' in [%s, %s)', coalesce(since::text, '-infinity'), coalesce(until::text, 'infinity')) END)
		|| variant_lines || ('  ' || srm) || metric_lines, E'\n');
END;
$$;
COMMENT ON FUNCTION experiments.results_report(text, timestamptz, timestamptz, float8) IS
'One experiment''s results of the caller''s tenant as a short text report for psql: units per variant against allocation, sample ratio mismatch, each goal''s rate in the control, and a verdict in words for each variant, goal and revenue ("green beats control on checkout: +10.0% (95% CI +8.0% to +12.0%), p < 0.001; no SRM").';
-- experiments: authentication. API keys of tenant applications, and the
-- functions that turn a request's credentials into the tenant (and the role)
-- of its transaction.
--
-- A request authenticates with one of:
--   * an API key: the x-api-key header (AB Tasty, the AB Tasty document) or the api_key
--     field of the body (Data Cortex, the Data Cortex document). Keys are stored only as their
--     SHA-256 digest; the key itself is shown once, by create_api_key();
--   * a JWT that PostgREST verified: its role claim picks the role (PostgREST
--     does that), its tenant claim names the tenant.
-- The tenant lives in experiments.tenant, a superuser-only setting: only the
-- SECURITY DEFINER authenticate() may set it.

CREATE TABLE experiments.api_keys (
	tenant_id uuid NOT NULL REFERENCES experiments.tenants ON DELETE CASCADE,
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	application text NOT NULL
		CONSTRAINT api_keys_application_length CHECK (char_length(application) BETWEEN 1 AND 128),
	role text NOT NULL DEFAULT 'client'
		CONSTRAINT api_keys_role_known CHECK (role IN ('client', 'admin', 'analyst')),
	digest bytea NOT NULL CONSTRAINT api_keys_digest_unique UNIQUE,
	key_prefix text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	revoked_at timestamptz
);
COMMENT ON TABLE experiments.api_keys IS
'API keys of tenant applications. Only the SHA-256 digest of a key is stored; a key cannot be recovered, only revoked and replaced. Readable by superusers only.';
COMMENT ON COLUMN experiments.api_keys.application IS 'The application the key belongs to (a tenant may have several, each with several keys).';
COMMENT ON COLUMN experiments.api_keys.role IS 'What the key may do: client (serving and events), admin (management) or analyst (read-only views); the request runs as experiments_<role>.';
COMMENT ON COLUMN experiments.api_keys.digest IS 'sha256 of the key''s UTF-8 bytes.';
COMMENT ON COLUMN experiments.api_keys.key_prefix IS 'The first 12 characters of the key, for people to tell keys apart; not enough to use it.';
COMMENT ON COLUMN experiments.api_keys.revoked_at IS 'When the key was revoked; a revoked key authenticates nothing.';
ALTER TABLE experiments.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.api_keys
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
SELECT pg_catalog.pg_extension_config_dump('experiments.api_keys', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.api_keys_id_seq', '');

CREATE FUNCTION experiments.create_api_key(tenant uuid, application text, role text DEFAULT 'client')
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	key text := 'xk_' || encode(int8send(experiments_internal.random_seed()) || int8send(experiments_internal.random_seed()) ||
							   int8send(experiments_internal.random_seed()) || int8send(experiments_internal.random_seed()), 'hex');
BEGIN
	INSERT INTO experiments.api_keys (tenant_id, application, role, digest, key_prefix)
	VALUES (tenant, application, coalesce(create_api_key.role, 'client'),
			sha256(convert_to(key, 'UTF8')), left(key, 12));
	RETURN key;
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_api_key(uuid, text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_api_key(uuid, text, text) IS
'Administrators only: creates an API key for an application of a tenant, with role client (default), admin or analyst, and returns it. The key (xk_ and 64 hexadecimal digits, 256 random bits) is shown this once: only its SHA-256 digest is kept.';

CREATE FUNCTION experiments.revoke_api_key(api_key_id bigint)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	UPDATE experiments.api_keys k SET revoked_at = now()
	WHERE k.id = api_key_id AND k.revoked_at IS NULL
	RETURNING true;
$$;
REVOKE ALL ON FUNCTION experiments.revoke_api_key(bigint) FROM PUBLIC;
COMMENT ON FUNCTION experiments.revoke_api_key(bigint) IS
'Administrators only: revokes an API key (find its id by key_prefix in experiments.api_keys); true when it was active, NULL otherwise.';

-- The one place that turns credentials into a tenant. quiet serves
-- PostgREST's pre-request on /rpc/ paths: there a failure must not end the
-- request, so that the endpoint answers it in its own API's document
-- (authorize() raises it again there).
CREATE FUNCTION experiments_internal.authenticate(api_key text, quiet boolean)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	headers jsonb := nullif(current_setting('request.headers', true), '')::jsonb;
	claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
	key text := coalesce(api_key, headers ->> 'x-api-key');
	-- A bad key in the body is 403 (Data Cortex); in the header, 401.
	status integer := CASE WHEN api_key IS NULL THEN 401 ELSE 403 END;
	found_key experiments.api_keys;
	tenant uuid;
	failure text;
	-- Only PostgREST's login may vouch for a token's claims: it verified them.
	trusted boolean := pg_catalog.pg_has_role(session_user, 'experiments_authenticator', 'MEMBER');
BEGIN
	IF key IS NOT NULL THEN
		SELECT k.* INTO found_key FROM experiments.api_keys k
		WHERE k.digest = sha256(convert_to(key, 'UTF8')) AND k.revoked_at IS NULL;
		IF NOT FOUND THEN
			failure := 'The API key is not valid. Check the key your administrator gave you; a revoked key stays invalid.';
		-- A session of its own (not PostgREST's) uses only keys of a role it holds.
		ELSIF NOT trusted AND NOT pg_catalog.pg_has_role(session_user, 'experiments_' || found_key.role, 'MEMBER') THEN
			RAISE EXCEPTION 'this session may not use an API key of role %', found_key.role
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = format('The key grants role experiments_%s, and the login role %s is not a member of it.', found_key.role, session_user),
					  HINT = format('Use a key of a role your login holds, or have an administrator run GRANT experiments_%s TO %I.', found_key.role, session_user);
		ELSE
			PERFORM pg_catalog.set_config('experiments.tenant', found_key.tenant_id::text, true);
			PERFORM pg_catalog.set_config('experiments.principal',
				jsonb_build_object('api_key', found_key.id, 'application', found_key.application)::text, true);
			RETURN 'experiments_' || found_key.role;
		END IF;
	ELSIF NOT trusted THEN
		failure := 'This session sent no API key. A session of its own chooses its tenant with experiments.authenticate(api_key) in each transaction; request.jwt.claims is trusted only from PostgREST''s authenticator (a member of experiments_authenticator).';
	ELSE
		IF jsonb_typeof(claims -> 'tenant') = 'string' AND (claims ->> 'tenant') ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN
			SELECT t.id INTO tenant FROM experiments.tenants t WHERE t.id = (claims ->> 'tenant')::uuid;
		END IF;
		IF tenant IS NULL THEN
			failure := CASE WHEN claims ? 'tenant'
				THEN 'The token''s tenant claim names no tenant. Ask for a token with the uuid of your tenant in its tenant claim.'
				ELSE 'The request carries no credentials. Send your API key in the x-api-key header, or a token with a tenant claim in the Authorization header.' END;
		ELSE
			PERFORM pg_catalog.set_config('experiments.tenant', tenant::text, true);
			PERFORM pg_catalog.set_config('experiments.principal',
				(jsonb_build_object('token', coalesce(claims ->> 'sub', '')) ||
				 jsonb_strip_nulls(jsonb_build_object('role', claims -> 'role', 'name', claims -> 'name', 'email', claims -> 'email')))::text,
				true);
			RETURN NULL;
		END IF;
	END IF;
	IF quiet THEN
		RETURN 'experiments_anon';
	END IF;
	PERFORM experiments_internal.raise_api_error(status, failure);
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.authenticate(text, boolean) IS
'Sets the tenant of the current transaction from the request''s credentials: api_key when given (a bad one is PT403), else the x-api-key header of request.headers (a bad one is PT401), else the tenant claim of request.jwt.claims (PT401 when missing or unknown). Sets experiments.principal to who the credentials name ({"api_key": id, "application"}, or {"token": sub, "role", "name", "email"} from the claims). Returns the role the key grants (experiments_client, _admin or _analyst), or NULL for a token, whose role claim PostgREST has applied already. With quiet, a failure sets no tenant and returns experiments_anon instead of raising. The claims are trusted only in sessions of PostgREST''s authenticator (a member of experiments_authenticator); any other session authenticates with a key, of a role its login role is a member of (else 42501, quiet or not).';

CREATE FUNCTION experiments.authenticate(api_key text DEFAULT NULL)
RETURNS text
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.authenticate(api_key, false);
$$;
REVOKE ALL ON FUNCTION experiments.authenticate(text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.authenticate(text) IS
'Sets the tenant of the current transaction from the request''s credentials: api_key when given (a bad one is PT403), else the x-api-key header of request.headers (a bad one is PT401), else the tenant claim of request.jwt.claims (PT401 when missing or unknown). Returns the role the key grants (experiments_client, _admin or _analyst), or NULL for a token, whose role claim PostgREST has applied already. The claims are trusted only in sessions of PostgREST''s authenticator (a member of experiments_authenticator); any other session authenticates with a key, of a role its login role is a member of (else 42501).';

-- Every HTTP endpoint starts here. Each is executable by experiments_anon as
-- well as by the role its GRANT names, so that a refusal reaches the client
-- as its API's own error document: PostgREST would answer a missing EXECUTE
-- privilege in its own format, before the function runs. The pre-request
-- sends a request whose credentials fail, or whose role may not call the
-- endpoint, on as experiments_anon without a tenant; here it is refused with
-- the reason.
CREATE FUNCTION experiments_internal.authorize()
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	granted text;
BEGIN
	IF experiments.current_tenant() IS NOT NULL AND current_setting('role') <> 'experiments_anon' THEN
		RETURN;
	END IF;
	-- Raises PT401 with the reason when the credentials fail.
	granted := experiments_internal.authenticate(NULL, false);
	PERFORM experiments_internal.raise_api_error(403, format(
		'The request''s credentials (%s) may not call this endpoint. Use a key (or a token) of the role it is for.',
		coalesce(replace(granted, 'experiments_', 'role '), 'a token')));
END;
$$;
COMMENT ON FUNCTION experiments_internal.authorize() IS
'The first statement of every experiments_api endpoint: returns when the request authenticated a tenant with a role that may call the endpoint (PostgreSQL checked its EXECUTE privilege); else raises PT401 with the reason the credentials failed, or PT403 when they are good but of a role the endpoint is not granted to (authenticate_request() sent the request on as experiments_anon).';

-- Who made a change: what the transaction's credentials name, or the login.
CREATE FUNCTION experiments_internal.current_principal()
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT coalesce(nullif(current_setting('experiments.principal', true), '')::jsonb,
					jsonb_build_object('login', session_user));
$$;
COMMENT ON FUNCTION experiments_internal.current_principal() IS
'Who the current transaction acts for: {"api_key": id, "application": name} for an API key, {"token": sub, "role", "name", "email"} for a token (the claims present), else {"login": session_user}. Management changes record it as their author.';

CREATE FUNCTION experiments.authenticate_request()
RETURNS void
AS 'MODULE_PATHNAME', 'authenticate_request'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION experiments.authenticate_request() FROM PUBLIC;
COMMENT ON FUNCTION experiments.authenticate_request() IS
'PostgREST''s db-pre-request: authenticates the request (authenticate()) and, for an API key, switches the transaction to the key''s role (PostgREST''s authenticator is a member of every API role). On an /rpc/ path a failure, or credentials whose role may not execute the function of the path, do not end the request: it goes on as experiments_anon without a tenant, and the endpoint answers the refusal in its API''s document (authorize()); experiment_status authenticates with the api_key of its body. Written in C (src/http/auth.c), depending on no search_path: a key this session has seen authenticate() accept since experiments.api_keys last changed is answered from a per-session cache of key digests, emptied in every session when a change to experiments.api_keys commits.';

-- Every write to the keys (a revocation, a deletion, a tenant's deletion
-- cascading to its keys) empties the key caches of all sessions when it
-- commits: a revoked key is refused from the next statement on.
CREATE FUNCTION experiments_internal.invalidate_key_cache()
RETURNS trigger
AS 'MODULE_PATHNAME', 'invalidate_key_cache'
LANGUAGE C;
COMMENT ON FUNCTION experiments_internal.invalidate_key_cache() IS
'Trigger: queues the invalidation of every session''s cache of accepted API keys (authenticate_request()), delivered when the transaction commits.';
CREATE TRIGGER invalidate_key_cache
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON experiments.api_keys
FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_key_cache();
-- experiments: the HTTP-facing API. Schema experiments_api holds only the
-- functions and views PostgREST exposes (db-schemas = experiments_api):
-- function and argument names are the APIs' paths and JSON keys, so that
-- POST /rpc/<name> with a request's body is the API's call.
--
-- This file creates the schema and the analysts' views; the functions are the
-- adapters' (src/adapters/*/api.sql, after this file in the install script).
-- Every function is owned by experiments_api_owner (a role without
-- BYPASSRLS, src/core/roles.sql) and runs as it: callers need EXECUTE on these
-- functions only, and row-level security still confines every query to the
-- tenant that authentication set. All are SECURITY DEFINER but allocate, in C,
-- which switches to its owner itself (src/adapters/abtasty/allocate.c). Views
-- are security_invoker. The GRANT beside each function and view is the one
-- statement that says which role may call or read it.

CREATE SCHEMA experiments_api;
COMMENT ON SCHEMA experiments_api IS
'The HTTP API of the experiments extension, as PostgREST exposes it: serving (visitor, allocate, experiment_status), events (context_batch), management (the A/B test and organization experiment functions) and read-only views for analysts.';

-- Read-only views for analysts: the tenant's catalog, refused events and results.

CREATE VIEW experiments_api.experiments WITH (security_invoker = true) AS
SELECT e.id, e.key, e.name, e.description, e.state, e.starts_at, e.ends_at, e.started_at, e.unit_type,
	   e.traffic_bp, e.reset_interval, e.gate, e.tags, e.version, e.created_at, e.updated_at
FROM experiments.experiments e;
COMMENT ON VIEW experiments_api.experiments IS
'GET /experiments: the tenant''s experiments (campaigns): id (the AB Tasty campaign id), key (the name clients use), state, schedule, unit type, traffic in basis points, reset interval, gate, tags and version.';
GRANT SELECT ON experiments_api.experiments TO experiments_analyst;

CREATE VIEW experiments_api.variants WITH (security_invoker = true) AS
SELECT v.id, v.experiment_id, v.ordinal, v.key, v.name, v.allocation_bp, v.type, v.treatment
FROM experiments.variants v;
COMMENT ON VIEW experiments_api.variants IS
'GET /variants: the variants of the tenant''s experiments: id (the AB Tasty variation id), experiment, ordinal (0 is the control), key, allocation in basis points, type and treatment.';
GRANT SELECT ON experiments_api.variants TO experiments_analyst;

CREATE VIEW experiments_api.rejected_events WITH (security_invoker = true) AS
SELECT r.id, r.source, r.batch_id, r.batch_index, r.event_index, r.subject, r.reason, r.event, r.rejected_at
FROM experiments.rejected_events r;
COMMENT ON VIEW experiments_api.rejected_events IS
'GET /rejected_events: the tenant''s events refused by validation, with where (subject), why (reason) and the event as sent.';
GRANT SELECT ON experiments_api.rejected_events TO experiments_analyst;

CREATE VIEW experiments_api.results WITH (security_invoker = true) AS
SELECT * FROM experiments.results;
COMMENT ON VIEW experiments_api.results IS
'GET /results: experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';
GRANT SELECT ON experiments_api.results TO experiments_analyst;

CREATE VIEW experiments_api.exposure_summary WITH (security_invoker = true) AS
SELECT * FROM experiments.exposure_summary;
COMMENT ON VIEW experiments_api.exposure_summary IS
'GET /exposure_summary: Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';
GRANT SELECT ON experiments_api.exposure_summary TO experiments_analyst;

CREATE VIEW experiments_api.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT * FROM experiments.sample_ratio_mismatch;
COMMENT ON VIEW experiments_api.sample_ratio_mismatch IS
'GET /sample_ratio_mismatch: Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value; mismatch when p < 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';
GRANT SELECT ON experiments_api.sample_ratio_mismatch TO experiments_analyst;

CREATE VIEW experiments_api.lift WITH (security_invoker = true) AS
SELECT * FROM experiments.lift;
COMMENT ON VIEW experiments_api.lift IS
'GET /lift: Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (two-proportion z-test) and of the value per exposed unit (Welch t-test), 95% intervals and two-sided p-values.';
GRANT SELECT ON experiments_api.lift TO experiments_analyst;

CREATE VIEW experiments_api.daily_results WITH (security_invoker = true) AS
SELECT * FROM experiments.daily_results;
COMMENT ON VIEW experiments_api.daily_results IS
'GET /daily_results: daily_results() of every started experiment of the caller''s tenant: per UTC day, variant and metric, new and cumulative exposed and converting units and the cumulative rate.';
GRANT SELECT ON experiments_api.daily_results TO experiments_analyst;
-- experiments: the AB Tasty endpoints (the AB Tasty document) in schema
-- experiments_api, as PostgREST serves them: visitor ids, allocation and the
-- five server-side events. Each function is followed by its owner and by the
-- GRANT that says which role may call it (docs/http-api.md). allocate and the
-- events take the whole request body (one unnamed jsonb parameter), so that
-- every body reaches them and is answered in AB Tasty's documents: errors are
-- {"code": <the seed's code>, "message"} with the HTTP status set
-- (docs/apis/abtasty.md).

-- Visitor ids.

CREATE SEQUENCE experiments.visitor_counter AS bigint MINVALUE 0 MAXVALUE 33554431 CYCLE;
COMMENT ON SEQUENCE experiments.visitor_counter IS
'The 25-bit counter of visitor ids: distinct for ids made in the same millisecond by any session.';

-- Visitor ids are made in SQL, sortable by time and unique across sessions,
-- so that visitor() needs no state of its own.
CREATE FUNCTION experiments_internal.visitor_id()
RETURNS text
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT string_agg(substr('0123456789abcdefghijklmnopqrstuv',
							 substring(bits FROM i * 5 + 1 FOR 5)::bit(5)::integer + 1, 1), '' ORDER BY i)
	FROM (SELECT right((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)::bit(64)::text, 45) ||
				 right(nextval('experiments.visitor_counter')::bit(64)::text, 25) ||
				 right(experiments_internal.random_seed()::bit(64)::text, 30) AS bits) b,
		 generate_series(0, 19) AS i;
$$;
COMMENT ON FUNCTION experiments_internal.visitor_id() IS
'A new visitor id: 20 characters of base32hex (0-9, a-v) encoding 100 bits: 45 bits of milliseconds since 1970 (until the year 3084), 25 bits of a cluster-wide counter (experiments.visitor_counter) and 30 random bits. Ids sort by creation time as plain strings; two ids of one millisecond differ in their counter unless 33 million ids were made in that millisecond.';

-- AB Tasty's error document, made in C (AbTastyError() in abtasty.c) for
-- the endpoints in C and in SQL alike.
CREATE FUNCTION experiments_internal.abtasty_error(code integer, message text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'abtasty_error'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION experiments_internal.abtasty_error(integer, text) IS
'AB Tasty''s error document {"code": code, "message": "<label>: message"} (the seed''s codes 1 to 16, labels such as InvalidArgument), setting response.status to the HTTP status of the code: 3 and 9 are 400, 5 is 404, 6 is 409, 7 is 403, 16 is 401. 22023 for a code outside 1 to 16.';
GRANT EXECUTE ON FUNCTION experiments_internal.abtasty_error(integer, text) TO experiments_api_owner;

-- authorize() raises its refusals (PT401, PT403) with the reason; the AB
-- Tasty endpoints answer them with this.
CREATE FUNCTION experiments_internal.abtasty_refusal(state text, message text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.abtasty_error(CASE state WHEN 'PT401' THEN 16 WHEN 'PT403' THEN 7 END, message);
$$;
COMMENT ON FUNCTION experiments_internal.abtasty_refusal(text, text) IS
'authorize()''s refusal in AB Tasty''s document: SQLSTATE PT401 is code 16 (Unauthenticated, HTTP 401), PT403 code 7 (PermissionDenied, 403), with authorize()''s message. NULL for any other state.';
GRANT EXECUTE ON FUNCTION experiments_internal.abtasty_refusal(text, text) TO experiments_api_owner;

-- allocate, in C, asks this only when the request has no tenant or goes on
-- as experiments_anon: the serving path pays no subtransaction.
CREATE FUNCTION experiments_internal.abtasty_authorize()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN NULL;
EXCEPTION WHEN SQLSTATE 'PT401' OR SQLSTATE 'PT403' THEN
	RETURN experiments_internal.abtasty_refusal(SQLSTATE, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_internal.abtasty_authorize() IS
'authorize() for allocate: NULL when the request may go on, else its refusal in AB Tasty''s document (abtasty_refusal()), with response.status set.';
GRANT EXECUTE ON FUNCTION experiments_internal.abtasty_authorize() TO experiments_api_owner;

-- AB Tasty POST /v1/visitor: an id for a visitor the client has none for.
CREATE FUNCTION experiments_api.visitor()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN jsonb_build_object('id', experiments_internal.visitor_id());
EXCEPTION WHEN SQLSTATE 'PT401' OR SQLSTATE 'PT403' THEN
	RETURN experiments_internal.abtasty_refusal(SQLSTATE, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_api.visitor() IS
'POST /rpc/visitor (AB Tasty POST /v1/visitor): a new unique visitor id, {"id": "c0ffee..."}: 20 characters, sortable by creation time, unique across concurrent sessions. No arguments (no body, or {}). Refusals in AB Tasty''s document: 401 {"code": 16, ...} without valid credentials, 403 {"code": 7, ...} for a key of another role than client.';
ALTER FUNCTION experiments_api.visitor() OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.visitor() TO experiments_client;

-- Allocation.

-- One rule for a unit argument: experiment_status (src/adapters/datacortex/api.sql)
-- calls it for user_tag; allocate (allocate.c) applies the same limit,
-- MAX_UID_CHARS, to visitor_id.
CREATE FUNCTION experiments_internal.check_unit(name text, value text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF value IS NULL OR value = '' THEN
		PERFORM experiments_internal.raise_api_error(400, format('%s is required: a non-empty string.', name));
	END IF;
	IF octet_length(value) > 640 THEN
		PERFORM experiments_internal.raise_api_error(400, format('%s is %s bytes long; at most 640 are allowed.', name, octet_length(value)));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_unit(text, text) IS
'Raises PT400 naming the argument unless a unit (visitor id, user or device tag) is a non-empty string of at most 640 bytes.';

-- AB Tasty POST /v1/allocate, the serving hot path: in C (allocate.c).
CREATE FUNCTION experiments_api.allocate(jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'allocate'
LANGUAGE C STABLE;
COMMENT ON FUNCTION experiments_api.allocate(jsonb) IS
'POST /rpc/allocate (AB Tasty POST /v1/allocate). The body: {"visitor_id": string, required, at most 640 bytes: the visitor; "campaign_id": string of digits (or a whole number), optional: one campaign}; other keys are ignored with a warning ("warnings": [...] in the answer). Answers {"allocations": {"<campaign id>": "<variation id>", ...}} for every running campaign of the tenant that gives the visitor a variation (campaign and variation ids are strings); with campaign_id, only that entry plus the deprecated "variation_id" (null, with empty allocations, when the visitor gets no variation). Reads only: enrolments are honoured, none is written. Errors in AB Tasty''s document {"code", "message"} with the HTTP status: 400 code 3 for a body that is not an object or a missing, empty, too long or not string visitor_id, or a campaign_id of another type; 404 code 5 for an unknown campaign_id; 401 code 16 without valid credentials; 403 code 7 for a key of another role than client. Written in C (src/adapters/abtasty/allocate.c) and not SECURITY DEFINER, so that no search_path is saved and restored per call: it depends on no search_path (every name it uses is schema-qualified) and runs its reads as its owner, as SECURITY DEFINER would.';
ALTER FUNCTION experiments_api.allocate(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.allocate(jsonb) TO experiments_client;

-- Events (src/events/events.sql, src/adapters/abtasty/abtasty.c): each
-- endpoint passes the whole body to abtasty_event(), which reads it as the
-- SQL function named after the endpoint reads its arguments.

CREATE FUNCTION experiments_internal.abtasty_event(endpoint text, body jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'abtasty_event'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION experiments_internal.abtasty_event(text, jsonb) IS
'The AB Tasty event of an endpoint (campaign_activated_event, action_tracking_event, custom_event, transaction_event, visit_event) from the whole request body: the keys of experiments.<endpoint>() (and item_count, the seed''s table''s spelling of items_count, for transactions); other keys are ignored with a warning, a body that is not an object is refused (code 3). Answers as experiments.<endpoint>() does. 22023 for another endpoint.';
GRANT EXECUTE ON FUNCTION experiments_internal.abtasty_event(text, jsonb) TO experiments_api_owner;

-- AB Tasty POST /v1/campaign_activated_event.
CREATE FUNCTION experiments_api.campaign_activated_event(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.abtasty_event('campaign_activated_event', $1);
EXCEPTION WHEN SQLSTATE 'PT401' OR SQLSTATE 'PT403' THEN
	RETURN experiments_internal.abtasty_refusal(SQLSTATE, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_api.campaign_activated_event(jsonb) IS
'POST /rpc/campaign_activated_event (AB Tasty POST /v1/campaign_activated_event). The body: {campaign_id, variation_id, tracking_data}. A visitor saw a variation of a campaign: stores the event and enrols the visitor in the variation unless already enrolled (a different variation gets a warning). Answers {} (or {"warnings": [...]}: unknown fields, remarks), or AB Tasty''s {"code", "message"} with the HTTP status: 400 (codes 3, 9), 404 (5), 401 (16), 403 (7).';
ALTER FUNCTION experiments_api.campaign_activated_event(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.campaign_activated_event(jsonb) TO experiments_client;

-- AB Tasty POST /v1/action_tracking_event.
CREATE FUNCTION experiments_api.action_tracking_event(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.abtasty_event('action_tracking_event', $1);
EXCEPTION WHEN SQLSTATE 'PT401' OR SQLSTATE 'PT403' THEN
	RETURN experiments_internal.abtasty_refusal(SQLSTATE, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_api.action_tracking_event(jsonb) IS
'POST /rpc/action_tracking_event (AB Tasty POST /v1/action_tracking_event). The body: {name, type, tracking_data, value_string, value_integer, position, resolution}. A click or touch. Answers like campaign_activated_event().';
ALTER FUNCTION experiments_api.action_tracking_event(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.action_tracking_event(jsonb) TO experiments_client;

-- AB Tasty POST /v1/custom_event.
CREATE FUNCTION experiments_api.custom_event(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.abtasty_event('custom_event', $1);
EXCEPTION WHEN SQLSTATE 'PT401' OR SQLSTATE 'PT403' THEN
	RETURN experiments_internal.abtasty_refusal(SQLSTATE, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_api.custom_event(jsonb) IS
'POST /rpc/custom_event (AB Tasty POST /v1/custom_event). The body: {name, tracking_data, value_string, value_integer}. A business event with an optional value. Answers like campaign_activated_event().';
ALTER FUNCTION experiments_api.custom_event(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.custom_event(jsonb) TO experiments_client;

-- AB Tasty POST /v1/transaction_event.
CREATE FUNCTION experiments_api.transaction_event(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.abtasty_event('transaction_event', $1);
EXCEPTION WHEN SQLSTATE 'PT401' OR SQLSTATE 'PT403' THEN
	RETURN experiments_internal.abtasty_refusal(SQLSTATE, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_api.transaction_event(jsonb) IS
'POST /rpc/transaction_event (AB Tasty POST /v1/transaction_event). The body: {name, id, revenue, shipping, tracking_data, tax_total, payment_method, items_count or item_count, currency, items}. A purchase and its items, stored together; a transaction id already stored for the tenant is refused (409, code 6). Answers like campaign_activated_event().';
ALTER FUNCTION experiments_api.transaction_event(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.transaction_event(jsonb) TO experiments_client;

-- AB Tasty POST /v1/visit_event.
CREATE FUNCTION experiments_api.visit_event(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.abtasty_event('visit_event', $1);
EXCEPTION WHEN SQLSTATE 'PT401' OR SQLSTATE 'PT403' THEN
	RETURN experiments_internal.abtasty_refusal(SQLSTATE, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_api.visit_event(jsonb) IS
'POST /rpc/visit_event (AB Tasty POST /v1/visit_event). The body: {tracking_data}. A page visit. Answers like campaign_activated_event().';
ALTER FUNCTION experiments_api.visit_event(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.visit_event(jsonb) TO experiments_client;
-- experiments: the ABsmartly endpoint (the ABsmartly document) in schema
-- experiments_api: context_batch, event batches stored by publish()
-- (src/events/publish.c). It is followed by its owner and by the GRANT that
-- says which role may call it (docs/http-api.md).

-- A refused request answers in the seed's documents, not PostgREST's error
-- envelope: a batch refused whole its {ok, warnings, errors} (400, or 413
-- over a size setting), anything else the seed's "default" error
-- {code, message} with the HTTP status as code (401, 403).
CREATE FUNCTION experiments_internal.absmartly_error_answer(state text, message text, detail text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.respond(substr(state, 3)::integer,
		CASE WHEN state IN ('PT400', 'PT413') THEN detail::jsonb
			 ELSE jsonb_build_object('code', substr(state, 3)::integer, 'message', message) END,
		CASE WHEN state = 'PT401' THEN '{"WWW-Authenticate": "Bearer"}'::jsonb END);
$$;
COMMENT ON FUNCTION experiments_internal.absmartly_error_answer(text, text, text) IS
'The answer of context_batch to an error PT<status> (SQLSTATE, message, detail): sets response.status; the body is the detail for PT400 and PT413 (publish_answer()''s {"ok": false, "warnings", "errors"}), else {"code": status, "message"}, the seed''s default error; a 401 also carries WWW-Authenticate: Bearer.';

-- ABsmartly PUT /context/batch: publish() answering in the seed's documents,
-- the request's work rolled back with the block on an error.
CREATE FUNCTION experiments_api.context_batch(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.publish_answer($1);
EXCEPTION WHEN OTHERS THEN
	IF SQLSTATE NOT LIKE 'PT%' THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.absmartly_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.context_batch(jsonb) IS
'POST /rpc/context_batch (ABsmartly PUT /context/batch; PostgREST serves functions with POST only): the body is the batch itself, {"requests": [{units, exposures, goals, attributes, hashed, historic, publishedAt}, ...]}, with the key in X-API-Key. Stores the valid events, records the refused ones in rejected_events and answers 200 {"ok", "warnings", "errors"}; sending the same batch again stores nothing twice. 400 with {"ok": false, "warnings": [], "errors": [...]} when the batch breaks the seed''s schema (1 to 500 requests; units required, non-empty, uids of 1 to 640 characters; at most 128 exposures a request), 413 likewise over a size setting (experiments.max_events_per_request, experiments.max_batch_size); 401 and 403 as {"code", "message"}.';
ALTER FUNCTION experiments_api.context_batch(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.context_batch(jsonb) TO experiments_client;
-- experiments: the Data Cortex endpoint (the Data Cortex document) in schema
-- experiments_api: experiment_status, which enrols a device (or a person) in
-- every running experiment it is eligible for and lists its variants. It is
-- followed by its owner and by the GRANT that says which role may call it
-- (docs/http-api.md). docs/apis/data-cortex.md says what a client sends.

-- The request's fields as the seed lists them, in the order they are
-- checked: whether each is required and its longest value (NULL: no
-- character limit of the seed's, or a field checked by its own rule).
CREATE FUNCTION experiments_internal.status_fields()
RETURNS TABLE (n integer, name text, required boolean, max_length integer)
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	VALUES (1, 'api_key', true, NULL), (2, 'app_ver', true, 16), (3, 'user_tag', false, NULL),
		   (4, 'device_tag', true, 62), (5, 'device_type', true, 16), (6, 'os', true, 16),
		   (7, 'os_ver', true, 16), (8, 'browser', false, 16), (9, 'browser_ver', false, 16),
		   (10, 'country', false, NULL), (11, 'language', false, NULL), (12, 'new_gate_list', false, NULL);
$$;
COMMENT ON FUNCTION experiments_internal.status_fields() IS
'The fields of a Data Cortex experiment_status request, in the seed''s order: whether each is required and its maximum length in characters (NULL when the seed gives none, or when the field has a rule of its own).';

-- The seed answers 400 for missing fields and wrong data types in one
-- sentence; each refusal here names the field and what it must be. The
-- string fields come back as text, absent ones (null, or "" when optional)
-- as NULL.
CREATE FUNCTION experiments_internal.read_status_request(body jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	f record;
	value jsonb;
	fields jsonb := '{}';
BEGIN
	IF jsonb_typeof(body) IS DISTINCT FROM 'object' THEN
		PERFORM experiments_internal.raise_api_error(400, 'The body must be a JSON object of the request parameters.');
	END IF;
	FOR f IN SELECT * FROM experiments_internal.status_fields() ORDER BY n LOOP
		value := body -> f.name;
		IF f.name = 'new_gate_list' THEN
			IF jsonb_typeof(value) = 'array' AND NOT EXISTS (
					SELECT 1 FROM jsonb_array_elements(value) g WHERE jsonb_typeof(g) <> 'string') THEN
				fields := fields || jsonb_build_object(f.name, value);
			ELSIF value IS NOT NULL AND jsonb_typeof(value) <> 'null' THEN
				PERFORM experiments_internal.raise_api_error(400, 'new_gate_list must be a list of strings: the names of the gates crossed.');
			END IF;
			CONTINUE;
		END IF;
		IF value IS NOT NULL AND jsonb_typeof(value) NOT IN ('string', 'null') THEN
			PERFORM experiments_internal.raise_api_error(400, format('%s must be a string, not %s.', f.name,
				CASE jsonb_typeof(value) WHEN 'object' THEN 'an object' WHEN 'array' THEN 'a list' ELSE 'a ' || jsonb_typeof(value) END));
		END IF;
		IF coalesce(value #>> '{}', '') = '' THEN
			IF f.required THEN
				PERFORM experiments_internal.raise_api_error(400, CASE f.name
					WHEN 'api_key' THEN 'api_key is required: the API key of your application.'
					ELSE format('%s is required.', f.name) END);
			END IF;
			CONTINUE;
		END IF;
		IF char_length(value #>> '{}') > f.max_length THEN
			PERFORM experiments_internal.raise_api_error(400, format('%s must be at most %s characters; "%s" is not.',
				f.name, f.max_length, value #>> '{}'));
		END IF;
		fields := fields || jsonb_build_object(f.name, value);
	END LOOP;
	IF fields ->> 'country' !~ '^[A-Z]{2}$' THEN
		PERFORM experiments_internal.raise_api_error(400, format(
			'country must be an uppercase ISO 3166-1 alpha-2 code such as US; "%s" is not.', fields ->> 'country'));
	END IF;
	IF fields ->> 'language' !~ '^[a-z]{2}$' THEN
		PERFORM experiments_internal.raise_api_error(400, format(
			'language must be a lowercase ISO 639-1 code such as en; "%s" is not.', fields ->> 'language'));
	END IF;
	IF fields ? 'user_tag' THEN
		PERFORM experiments_internal.check_unit('user_tag', fields ->> 'user_tag');
	END IF;
	RETURN fields;
END;
$$;
COMMENT ON FUNCTION experiments_internal.read_status_request(jsonb) IS
'Reads the body of a Data Cortex experiment_status request: raises PT400 naming the field when the body is not an object, a field is not a string (new_gate_list: a list of strings), a required field is missing, null or empty, a string is longer than the seed allows (16 characters, 62 for device_tag), country is not two uppercase letters, language not two lowercase letters, or user_tag longer than 640 bytes. Returns the fields given (optional ones that are null or "" left out); unknown keys are ignored here.';

-- What a client sees of keys it sent that the seed does not define: they are
-- tolerated, and named in a Warning header (RFC 7234's 299, printable ASCII).
CREATE FUNCTION experiments_internal.status_warning(body jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('Warning', format('299 - "unknown fields ignored: %s"',
		left(regexp_replace(string_agg(k, ', ' ORDER BY k), '[^\x20-\x21\x23-\x5b\x5d-\x7e]', '?', 'g'), 200)))
	FROM jsonb_object_keys(body) AS k
	WHERE k NOT IN (SELECT f.name FROM experiments_internal.status_fields() f)
	HAVING count(*) > 0;
$$;
COMMENT ON FUNCTION experiments_internal.status_warning(jsonb) IS
'The response header naming the keys of an experiment_status body that the Data Cortex document does not define ({"Warning": "299 - \"unknown fields ignored: a, b\""}, names sorted, at most 200 characters, anything but printable ASCII, quotes and backslashes as ?), or NULL when there are none.';

-- Data Cortex POST /<org>/1/experiment_status: PL/pgSQL over assign_all() and
-- enrol(). The body is one jsonb argument so that its types are the
-- client's (PostgREST would turn a number into text for a text parameter),
-- and the key comes in the body, so the function authenticates itself. A
-- refusal is answered with the seed's status and {"status", "message"} as
-- the whole body, the work of the block rolled back.
CREATE FUNCTION experiments_api.experiment_status(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	fields jsonb;
	gates text[];
	unit_key text;
	attributes jsonb;
	ordinal integer;
	variant text;
	list jsonb := '[]';
	r record;
BEGIN
	fields := experiments_internal.read_status_request($1);
	-- Serving enrols: only a client key may, as for every other serving call.
	IF experiments.authenticate(fields ->> 'api_key') IS DISTINCT FROM 'experiments_client' THEN
		PERFORM experiments_internal.raise_api_error(403, 'The API key is not a client key. experiment_status needs the key of your application (role client).');
	END IF;
	gates := experiments_internal.json_text_array(fields -> 'new_gate_list');
	-- A person is the same unit on every device.
	unit_key := coalesce(fields ->> 'user_tag', fields ->> 'device_tag');
	attributes := fields - ARRAY['api_key', 'user_tag', 'device_tag', 'new_gate_list'];
	FOR r IN
		SELECT x.experiment, x.variant, x.ordinal, x.period, e.id, e.gate
		FROM experiments.assign_all(unit_key, attributes) x
		JOIN experiments.experiments e ON e.id = x.experiment_id
		WHERE x.ordinal IS NOT NULL
		ORDER BY x.experiment
	LOOP
		-- A gated experiment is entered when its gate is crossed, and stays.
		CONTINUE WHEN r.gate IS NOT NULL AND NOT r.gate = ANY (gates) AND NOT EXISTS (
			SELECT 1 FROM experiments.enrolments n WHERE n.experiment_id = r.id AND n.unit = unit_key);
		-- The answer is the enrolment as stored (another session may have
		-- enrolled the unit first), or the assignment when an override decided.
		PERFORM experiments.enrol(r.experiment, unit_key, attributes);
		SELECT n.ordinal, v.key INTO ordinal, variant
		FROM experiments.enrolments n
		JOIN experiments.variants v ON v.experiment_id = n.experiment_id AND v.ordinal = n.ordinal
		WHERE n.experiment_id = r.id AND n.unit = unit_key AND n.period = r.period;
		IF NOT FOUND THEN
			ordinal := r.ordinal;
			variant := r.variant;
		END IF;
		list := list || jsonb_build_object('experiment', r.experiment,
			'variant', CASE WHEN ordinal = 0 THEN 'false'::jsonb ELSE to_jsonb(variant) END);
	END LOOP;
	RETURN experiments_internal.respond(200, jsonb_build_object('experiment_list', list),
		experiments_internal.status_warning($1));
EXCEPTION WHEN OTHERS THEN
	IF SQLSTATE NOT LIKE 'PT%' THEN
		RAISE;
	END IF;
	RETURN experiments_internal.respond(substr(SQLSTATE, 3)::integer,
		jsonb_build_object('status', substr(SQLSTATE, 3)::integer, 'message', SQLERRM));
END;
$$;
COMMENT ON FUNCTION experiments_api.experiment_status(jsonb) IS
'POST /rpc/experiment_status (Data Cortex POST /<org>/1/experiment_status; the key names the organization): the body is the request, {"api_key", "app_ver", "user_tag", "device_tag", "device_type", "os", "os_ver", "browser", "browser_ver", "country", "language", "new_gate_list"}, every field a string but new_gate_list, a list of strings. Required: api_key (a client key), app_ver (at most 16 characters), device_tag (at most 62), device_type, os, os_ver (at most 16 each). Optional (null or "" is absent): user_tag (cross-device id: when given it is the unit, so a person gets the same variants on every device; at most 640 bytes), browser, browser_ver (at most 16), country (two uppercase letters, ISO 3166-1 alpha-2), language (two lowercase letters, ISO 639-1), new_gate_list (gate names crossed: an experiment with a gate is entered only when its gate arrives here, and from then on is always returned). Enrols the device (or the person) in every running experiment it is eligible for, the fields but api_key and the tags being audience attributes, and answers {"experiment_list": [{"experiment": name, "variant": name}, ...]} in name order, variant false for the control group (ordinal 0). Unknown keys are ignored and named in a Warning header. 400 for a missing or malformed field, 403 for a key that is not valid or not a client key; both with the body {"status", "message"}.';
ALTER FUNCTION experiments_api.experiment_status(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.experiment_status(jsonb) TO experiments_client;
-- experiments: the Commerce Cloud A/B test endpoints (the Commerce Cloud
-- document) in schema experiments_api: one endpoint per function of
-- src/adapters/commerce/commerce.sql, the path parameters and the document
-- sent as arguments. Each answers as the Data API does: its status (201 and
-- Location for a create, 204 without a body for a delete or a binding), its
-- document, and every fault as the fault document with the fault's status
-- and headers, the request's work rolled back (docs/apis/commerce-cloud.md).
-- Each is followed by its owner and by the GRANT that says which role may
-- call it (docs/http-api.md).

-- The errors an endpoint answers itself rather than PostgREST: its faults,
-- the refusals of authorize(), and values the database refused.
CREATE FUNCTION experiments_internal.commerce_fault_state(state text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT state LIKE 'PT%' OR state LIKE '22%' OR state = '23514';
$$;
COMMENT ON FUNCTION experiments_internal.commerce_fault_state(text) IS
'Whether a Commerce Cloud endpoint answers an error of this SQLSTATE as a fault: PT<status> (its faults, authorize()''s 401 and 403), data exceptions (class 22) and check violations (23514, a value over a column''s limit), both 400.';

-- The fault answer of an endpoint whose block caught an error (its work
-- rolled back): the status and document of the fault, with the headers the
-- Data API sends with every fault.
CREATE FUNCTION experiments_internal.commerce_error_answer(state text, message text, detail text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.respond(
		CASE WHEN state LIKE 'PT%' THEN substr(state, 3)::integer ELSE 400 END,
		CASE
			WHEN state = 'PT401' THEN experiments_internal.commerce_fault_document('InvalidAccessTokenException', message)
			WHEN state = 'PT403' THEN experiments_internal.commerce_fault_document('ClientAccessForbiddenException', message)
			WHEN state LIKE 'PT%' THEN detail::jsonb
			ELSE experiments_internal.commerce_fault_document('InvalidRequestException', message)
		END,
		'{"Cache-Control": "max-age=0,no-cache,no-store,must-revalidate", "Expires": "Thu, 01-Jan-1970 00:00:00 GMT"}');
$$;
COMMENT ON FUNCTION experiments_internal.commerce_error_answer(text, text, text) IS
'Answers a caught error (SQLSTATE, message, detail) as a Commerce Cloud fault: a fault raised by commerce_fault() with its status and document; authorize()''s refusals as InvalidAccessTokenException (401) and ClientAccessForbiddenException (403) with their reason; other errors commerce_fault_state() accepts as InvalidRequestException (400); with the headers Expires and Cache-Control the Data API sends with faults.';

-- Commerce Cloud GET /sites/{site_id}/ab_tests.
CREATE FUNCTION experiments_api.list_ab_tests(site_id text, start integer DEFAULT 0, count integer DEFAULT 25, "select" text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.list_ab_tests(site_id => site_id, start => start, count => count, "select" => "select"));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.list_ab_tests(site_id text, start integer, count integer, "select" text) IS
'POST /rpc/list_ab_tests. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, start, count, select. GET /sites/{site_id}/ab_tests: the ab_test_search_result of a site''s A/B tests in id order, from start (default 0), count of them (default 25, at most 200); select (**) gives whole documents, no select the id and link of each. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.list_ab_tests(site_id text, start integer, count integer, "select" text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.list_ab_tests(site_id text, start integer, count integer, "select" text) TO experiments_admin;

-- Commerce Cloud GET /sites/{site_id}/ab_tests/{id}.
CREATE FUNCTION experiments_api.get_ab_test(site_id text, id text, expand text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.get_ab_test(site_id => site_id, id => id));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.get_ab_test(site_id text, id text, expand text) IS
'POST /rpc/get_ab_test. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, expand (accepted, ignored). GET /sites/{site_id}/ab_tests/{id}: the ab_test document; ABTestNotFoundException (404) when there is none. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.get_ab_test(site_id text, id text, expand text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.get_ab_test(site_id text, id text, expand text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{id}.
CREATE FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	answer := experiments.create_ab_test(site_id => site_id, id => id, body => body);
	RETURN experiments_internal.respond(201, answer, jsonb_build_object('Location', answer ->> 'link'));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb) IS
'POST /rpc/create_ab_test. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, body. PUT /sites/{site_id}/ab_tests/{id}: creates an A/B test from an ab_test document (start_date and end_date required) and returns it (201, Location its link). Faults: IdConflictException, ABTestInvalidDateException, StartAfterEndException, ABTestInvalidEmailException, ABTestInvalidTriggerException, ABTestInvalidPipelineException (400), ABTestDuplicateException (409). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb) TO experiments_admin;

-- Commerce Cloud PATCH /sites/{site_id}/ab_tests/{id}.
CREATE FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.update_ab_test(site_id => site_id, id => id, body => body));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb) IS
'POST /rpc/update_ab_test. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, body. PATCH /sites/{site_id}/ab_tests/{id}: changes the properties the ab_test document gives (an id different from the URL''s renames the test) and returns the test. Faults: those of create_ab_test, ABTestNotFoundException (404), ResourceStateConflictException (409) for a stale _resource_state. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{id}.
CREATE FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.delete_ab_test(site_id => site_id, id => id, resource_state => resource_state);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text) IS
'POST /rpc/delete_ab_test. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, resource_state. DELETE /sites/{site_id}/ab_tests/{id}: deletes an A/B test with its segments and bindings (204). resource_state, like the x-dw-resource-state header, is the test''s _resource_state: a stale one is ResourceStateConflictException (409) and nothing is deleted. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text) TO experiments_admin;

-- Commerce Cloud GET /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}.
CREATE FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text, expand text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.get_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text, expand text) IS
'POST /rpc/get_ab_test_segment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, expand (accepted, ignored). GET /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: the ab_test_segment document. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text, expand text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text, expand text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}.
CREATE FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	answer := experiments.create_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, body => body);
	RETURN experiments_internal.respond(201, answer, jsonb_build_object('Location', answer ->> 'link'));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) IS
'POST /rpc/create_ab_test_segment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, body. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: adds a segment (variant) after the existing ones and returns it (201, Location its link). Faults: IdConflictException (400), ABTestNotFoundException (404), ResourceAlreadyExistsException (409), ABTestSegmentAllocationException (400) on a started test. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) TO experiments_admin;

-- Commerce Cloud PATCH /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}.
CREATE FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.update_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, body => body));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) IS
'POST /rpc/update_ab_test_segment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, body. PATCH /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: changes the properties given and returns the segment. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404), ResourceStateConflictException (409), ABTestSegmentAllocationException (400) on a started test. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}.
CREATE FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.delete_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, resource_state => resource_state);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text) IS
'POST /rpc/delete_ab_test_segment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, resource_state. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: removes a segment and its bindings (204). resource_state, like the x-dw-resource-state header, is the test''s _resource_state. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404), ResourceStateConflictException (409) for a stale one, ABTestSegmentAllocationException (400) on a started test. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}.
CREATE FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.bind_ab_test_promotion(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, promotion_id => promotion_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) IS
'POST /rpc/bind_ab_test_promotion. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, promotion_id. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}: the segment applies the promotion (204). Faults: SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, PromotionNotFoundException (404). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}.
CREATE FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.unbind_ab_test_promotion(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, promotion_id => promotion_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) IS
'POST /rpc/unbind_ab_test_promotion. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, promotion_id. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}: the segment no longer applies the promotion (204). Faults as for binding. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=.
CREATE FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.bind_ab_test_slot_configuration(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, slot_id => slot_id, slot_config_id => slot_config_id, context => context);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) IS
'POST /rpc/bind_ab_test_slot_configuration. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, slot_id, slot_config_id, context. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=: the segment shows the slot configuration (204); context is global (the default), category=ID or folder=ID. Faults: InvalidContextTypeException (400), SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, SlotWithContextTypeNotFoundException, SlotConfigurationIdentifierNotFoundException (404). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=.
CREATE FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.unbind_ab_test_slot_configuration(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, slot_id => slot_id, slot_config_id => slot_config_id, context => context);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) IS
'POST /rpc/unbind_ab_test_slot_configuration. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, slot_id, slot_config_id, context. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=: the segment no longer shows the slot configuration (204). Faults as for binding. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}.
CREATE FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.bind_ab_test_sorting_rule(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, sorting_rule_id => sorting_rule_id, category_id => category_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) IS
'POST /rpc/bind_ab_test_sorting_rule. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, sorting_rule_id, category_id. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}: the segment sorts the category with the rule (204); one rule per test and category. Faults: InvalidCategoryException (400), SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, SortingRuleNotFoundException (404), SortingRuleCampaignAssignConflictException (409). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}.
CREATE FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.unbind_ab_test_sorting_rule(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, sorting_rule_id => sorting_rule_id, category_id => category_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) IS
'POST /rpc/unbind_ab_test_sorting_rule. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, sorting_rule_id, category_id. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}: the segment no longer sorts the category with the rule (204). Faults as for binding, but for the conflict. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) TO experiments_admin;
-- experiments: the draft/published experiment endpoints (the draft/published
-- document) in schema experiments_api: one wrapper per function of
-- src/adapters/lifecycle/lifecycle.sql, the path parameters and the document
-- sent as arguments. Each answers as the API does: 201 for a create, 204 for
-- a delete, and its refusals (authorize()'s 401 and 403 included) with the
-- API's status and {"status", "message"} at the top level, the request's work
-- rolled back with the block (experiments_internal.org_error_answer()). Each
-- is followed by its owner and by the GRANT that says which role may call it
-- (docs/http-api.md). docs/apis/draft-published.md lists the requests.

-- Draft/published GET /api/v5/orgs/{organization_id}/experiments.
CREATE FUNCTION experiments_api.list_org_experiments(organization_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments.list_org_experiments(organization_id => organization_id);
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.org_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.list_org_experiments(organization_id uuid) IS
'POST /rpc/list_org_experiments. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id. GET /api/v5/orgs/{organization_id}/experiments: the organization''s experiments, oldest first. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.list_org_experiments(organization_id uuid) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.list_org_experiments(organization_id uuid) TO experiments_admin;

-- Draft/published GET /api/v5/orgs/{organization_id}/experiments/{experiment_id}.
CREATE FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments.get_org_experiment(organization_id => organization_id, experiment_id => experiment_id);
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.org_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid) IS
'POST /rpc/get_org_experiment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, experiment_id. GET /api/v5/orgs/{organization_id}/experiments/{experiment_id}: the experiment document; 404 when there is none. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid) TO experiments_admin;

-- Draft/published POST /api/v5/orgs/{organization_id}/experiments.
CREATE FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(201, experiments.create_org_experiment(organization_id => organization_id, body => body),
		experiments_internal.org_experiment_warning(body));
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.org_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb) IS
'POST /rpc/create_org_experiment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, body. POST /api/v5/orgs/{organization_id}/experiments: creates an experiment (201), a draft when is_draft is true, published and running otherwise; its key is its uuid. 400 when attributes are missing or malformed, 404 for an unknown goal or room; unknown attributes are ignored and named in the X-Warning header. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb) TO experiments_admin;

-- Draft/published PUT /api/v5/orgs/{organization_id}/experiments/{experiment_id}.
CREATE FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.update_org_experiment(organization_id => organization_id, experiment_id => experiment_id, body => body),
		experiments_internal.org_experiment_warning(body));
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.org_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb) IS
'POST /rpc/update_org_experiment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, experiment_id, body. PUT /api/v5/orgs/{organization_id}/experiments/{experiment_id}: updates an experiment with the attributes given and returns it. 400 when it has ended, when ends_at is not after starts_at, when going from published to draft, when a read-only attribute of a started experiment changes, or when publishing without the attributes the document requires; 404 when it does not exist; unknown attributes are ignored and named in the X-Warning header. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb) TO experiments_admin;

-- Draft/published DELETE /api/v5/orgs/{organization_id}/experiments/{experiment_id}.
CREATE FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.delete_org_experiment(organization_id => organization_id, experiment_id => experiment_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.org_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid) IS
'POST /rpc/delete_org_experiment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, experiment_id. DELETE /api/v5/orgs/{organization_id}/experiments/{experiment_id}: deletes an experiment (204, no body); 404 when it does not exist. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid) TO experiments_admin;
-- experiments: privileges. Last in the install script: it revokes EXECUTE
-- from PUBLIC on every function the files before it created, then grants what
-- no endpoint owns: the owner of the API functions its tables and helpers,
-- schema usage, and the SQL API of the core to the login roles' groups. Which
-- role may call an endpoint of experiments_api is said by the GRANT beside
-- that endpoint (src/adapters/*/api.sql, src/http/api.sql), not here.
--
-- PostgreSQL grants EXECUTE to PUBLIC on every new function: the REVOKE must
-- come after the last CREATE FUNCTION, hence this file's place.

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA experiments, experiments_internal, experiments_api FROM PUBLIC;

-- The owner of the API functions: the tables (api_keys excepted, which only
-- authenticate() reads) and every helper a wrapper reaches. Not granted:
-- triggers (they need no EXECUTE), SECURITY DEFINER administration
-- (tenants, keys) and maintenance (create_event_partitions,
-- create_event_partition). sql/api_security.sql lists what it may not
-- execute, so a new function missing here shows there. One statement per
-- file that creates the functions.
-- src/core/tenant.sql
GRANT EXECUTE ON FUNCTION
	experiments.current_tenant(),
	experiments_internal.required_tenant()
	TO experiments_api_owner;
-- src/core/catalog.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.random_seed()
	TO experiments_api_owner;
-- src/assign/assign.sql
GRANT EXECUTE ON FUNCTION
	experiments.bucket(text, bigint),
	experiments.audience_is_valid(jsonb),
	experiments.audience_matches(jsonb, jsonb),
	experiments.assign(text, text, jsonb),
	experiments.assign_all(text, jsonb),
	experiments_internal.record_enrolment(bigint, text, bigint, integer, experiments.assignment_reason),
	experiments_internal.experiment_id(text),
	experiments_internal.allocations_bp(numeric[]),
	experiments_internal.percent_bp(numeric)
	TO experiments_api_owner;
-- src/events/events.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.create_event_partition_indexes(text, text),
	experiments.hash_unit(text),
	experiments.publish(jsonb, text),
	experiments_internal.publish_answer(jsonb),
	experiments.publish_text(text, text),
	experiments.campaign_activated_event(jsonb, jsonb, jsonb),
	experiments.action_tracking_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments.custom_event(jsonb, jsonb, jsonb, jsonb),
	experiments.transaction_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments.visit_event(jsonb)
	TO experiments_api_owner;
-- src/http/faults.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.raise_http_error(integer, text, jsonb),
	experiments_internal.raise_api_error(integer, text)
	TO experiments_api_owner;
-- src/http/documents.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.parse_timestamp(text),
	experiments_internal.json_timestamp(timestamp with time zone),
	experiments_internal.malformed_property(jsonb, jsonb),
	experiments_internal.json_text_array(jsonb),
	experiments_internal.percent_json(integer)
	TO experiments_api_owner;
-- src/adapters/commerce/commerce.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.commerce_fault_document(text, text, jsonb),
	experiments_internal.commerce_fault(integer, text, text, jsonb),
	experiments_internal.commerce_site(text),
	experiments_internal.commerce_ab_test(text, text),
	experiments_internal.ab_test_resource_state(experiments.experiments),
	experiments_internal.lock_ab_test(text, text, text),
	experiments_internal.ab_test_segment(experiments.experiments, text, text),
	experiments_internal.site_object(text, text, text),
	experiments_internal.site_slot_configuration(text, text, text, text),
	experiments_internal.commerce_link(text),
	experiments_internal.ab_test_segment_fields(experiments.variants),
	experiments_internal.ab_test_segment_document(text, experiments.experiments, experiments.variants),
	experiments_internal.ab_test_document(text, experiments.experiments),
	experiments_internal.ab_test_request_error(jsonb, jsonb, text),
	experiments_internal.segment_allocation_bp(jsonb, text),
	experiments_internal.sync_ab_test_state(bigint),
	experiments_internal.ab_test_segment_body(jsonb, text),
	experiments_internal.ab_test_body(jsonb),
	experiments_internal.apply_ab_test_segment(experiments.variants, jsonb),
	experiments_internal.write_ab_test(experiments.experiments, text, jsonb),
	experiments.list_ab_tests(text, integer, integer, text),
	experiments.get_ab_test(text, text),
	experiments.create_ab_test(text, text, jsonb),
	experiments.update_ab_test(text, text, jsonb),
	experiments.delete_ab_test(text, text, text),
	experiments.get_ab_test_segment(text, text, text),
	experiments_internal.locked_ab_test_segment(text, text, text, text),
	experiments_internal.write_ab_test_segment(experiments.variants, jsonb),
	experiments.create_ab_test_segment(text, text, text, jsonb),
	experiments.update_ab_test_segment(text, text, text, jsonb),
	experiments.delete_ab_test_segment(text, text, text, text),
	experiments.bind_ab_test_promotion(text, text, text, text),
	experiments.unbind_ab_test_promotion(text, text, text, text),
	experiments.bind_ab_test_slot_configuration(text, text, text, text, text, text),
	experiments.unbind_ab_test_slot_configuration(text, text, text, text, text, text),
	experiments.bind_ab_test_sorting_rule(text, text, text, text, text),
	experiments.unbind_ab_test_sorting_rule(text, text, text, text, text)
	TO experiments_api_owner;
-- src/adapters/commerce/api.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.commerce_fault_state(text),
	experiments_internal.commerce_error_answer(text, text, text)
	TO experiments_api_owner;
-- src/adapters/lifecycle/lifecycle.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.check_organization(uuid),
	experiments_internal.org_experiment(uuid, uuid),
	experiments_internal.org_experiment_document(experiments.experiments),
	experiments_internal.org_user_document(jsonb, uuid),
	experiments_internal.org_experiment_error(jsonb),
	experiments_internal.org_experiment_warning(jsonb),
	experiments_internal.org_error_answer(text, text),
	experiments_internal.check_started_experiment(experiments.experiments, jsonb),
	experiments_internal.write_org_experiment(experiments.experiments, jsonb, boolean),
	experiments.list_org_experiments(uuid),
	experiments.get_org_experiment(uuid, uuid),
	experiments.create_org_experiment(uuid, jsonb),
	experiments.update_org_experiment(uuid, uuid, jsonb),
	experiments.delete_org_experiment(uuid, uuid)
	TO experiments_api_owner;
-- src/results/stats.sql
GRANT EXECUTE ON FUNCTION
	experiments.normal_cdf(double precision),
	experiments.normal_quantile(double precision),
	experiments.chi_square_cdf(double precision, double precision),
	experiments.chi_square_sf(double precision, double precision),
	experiments.student_t_cdf(double precision, double precision),
	experiments.student_t_sf(double precision, double precision),
	experiments.student_t_quantile(double precision, double precision),
	experiments.wilson_interval(bigint, bigint, double precision),
	experiments.two_proportion_test(bigint, bigint, bigint, bigint, double precision),
	experiments.welch_test(double precision, double precision, bigint, double precision, double precision, bigint, double precision),
	experiments.srm_test(bigint[], double precision[])
	TO experiments_api_owner;
-- src/results/results.sql
GRANT EXECUTE ON FUNCTION
	experiments.daily_metrics(bigint, timestamp with time zone, timestamp with time zone),
	experiments.experiment_results(bigint, timestamp with time zone, timestamp with time zone, double precision),
	experiments.daily_results(bigint, timestamp with time zone, timestamp with time zone),
	experiments_internal.format_percent(double precision, boolean),
	experiments_internal.format_p_value(double precision),
	experiments_internal.results_verdict(text, text, text, double precision, double precision, double precision, double precision, double precision, text),
	experiments.results_report(text, timestamp with time zone, timestamp with time zone, double precision)
	TO experiments_api_owner;
-- src/http/auth.sql
GRANT EXECUTE ON FUNCTION
	experiments.authenticate_request()
	TO experiments_api_owner;
-- src/adapters/abtasty/api.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.visitor_id(),
	experiments_internal.check_unit(text, text)
	TO experiments_api_owner;
-- src/adapters/absmartly/api.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.absmartly_error_answer(text, text, text)
	TO experiments_api_owner;
-- src/adapters/datacortex/api.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.status_fields(),
	experiments_internal.read_status_request(jsonb),
	experiments_internal.status_warning(jsonb)
	TO experiments_api_owner;

-- Every table but api_keys, to the owner of the API functions; operators and
-- analysts read them (row-level security shows them their tenant's rows).
GRANT SELECT, INSERT, UPDATE, DELETE ON
	experiments.tenants, experiments.sites, experiments.goals, experiments.rooms, experiments.layers,
	experiments.holdouts, experiments.experiments, experiments.variants, experiments.experiment_rooms,
	experiments.overrides, experiments.enrolments, experiments.published_batches, experiments.exposures,
	experiments.goal_events, experiments.attribute_events, experiments.campaign_activations, experiments.actions,
	experiments.custom_events, experiments.transactions, experiments.visits, experiments.transaction_items,
	experiments.rejected_events, experiments.categories, experiments.promotions, experiments.sorting_rules,
	experiments.slots, experiments.slot_configurations, experiments.ab_tests, experiments.segment_promotions,
	experiments.segment_slot_configurations, experiments.segment_sorting_rules
	TO experiments_api_owner;
GRANT SELECT ON
	experiments.tenants, experiments.sites, experiments.goals, experiments.rooms, experiments.layers,
	experiments.holdouts, experiments.experiments, experiments.variants, experiments.experiment_rooms,
	experiments.overrides, experiments.enrolments, experiments.published_batches, experiments.exposures,
	experiments.goal_events, experiments.attribute_events, experiments.campaign_activations, experiments.actions,
	experiments.custom_events, experiments.transactions, experiments.visits, experiments.transaction_items,
	experiments.rejected_events, experiments.categories, experiments.promotions, experiments.sorting_rules,
	experiments.slots, experiments.slot_configurations, experiments.ab_tests, experiments.segment_promotions,
	experiments.segment_slot_configurations, experiments.segment_sorting_rules
	TO experiments_analyst, experiments_admin;

-- The SQL API functions that touch tables run as the owner too (SECURITY
-- DEFINER); the C ones switch to it for their table work (BeginTableWork).
ALTER FUNCTION experiments.enrol(text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.create_experiment(text, jsonb, numeric, text, text, boolean) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.set_variants(text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.set_state(text, experiments.experiment_state) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.set_override(text, text, text, experiments.override_kind) OWNER TO experiments_api_owner;
GRANT USAGE ON SCHEMA experiments, experiments_internal TO experiments_api_owner;
-- Column defaults (required_tenant, random_seed) and the results report's
-- helpers run as the operator or the analyst.
GRANT USAGE ON SCHEMA experiments_internal TO experiments_admin, experiments_analyst;
GRANT USAGE ON SEQUENCE experiments.visitor_counter TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION
	experiments.authenticate(text),
	experiments_internal.authenticate(text, boolean),
	experiments_internal.authorize(),
	experiments_internal.current_principal(),
	experiments_internal.respond(integer, jsonb, jsonb)
	TO experiments_api_owner;

-- Every API role may authenticate: anonymous requests with a key, and
-- requests whose token already chose the role.
GRANT USAGE ON SCHEMA experiments TO experiments_anon, experiments_client, experiments_admin, experiments_analyst;
GRANT USAGE ON SCHEMA experiments_api TO experiments_anon, experiments_client, experiments_admin, experiments_analyst;
GRANT EXECUTE ON FUNCTION experiments.authenticate_request(), experiments.authenticate(text)
	TO experiments_anon, experiments_client, experiments_admin, experiments_analyst;

-- Anonymous requests reach every endpoint, whose first statement,
-- experiments_internal.authorize(), refuses them (401, or 403 when their
-- credentials are of a role the endpoint's GRANT does not name) in the
-- endpoint's API's own document. The GRANT beside each endpoint stays the rule.
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA experiments_api TO experiments_anon;

-- Applications in SQL: the serving and event functions of the core.
GRANT EXECUTE ON FUNCTION
	experiments.current_tenant(),
	experiments.bucket(text, bigint),
	experiments.hash_unit(text),
	experiments.assign(text, text, jsonb),
	experiments.assign_all(text, jsonb),
	experiments.enrol(text, text, jsonb),
	experiments.publish(jsonb, text),
	experiments.campaign_activated_event(jsonb, jsonb, jsonb),
	experiments.action_tracking_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments.custom_event(jsonb, jsonb, jsonb, jsonb),
	experiments.transaction_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments.visit_event(jsonb)
	TO experiments_client;

-- Operators in SQL: the catalog functions of the core (the management APIs'
-- functions are those of experiments_api), what assignment answers, reading
-- every table of their tenant but the keys (granted above), and writing the catalog tables
-- (the triggers keep the rules; the column defaults and checks call
-- required_tenant, random_seed and audience_is_valid). Enrolments, events,
-- batches and refused events are written by the functions only.
GRANT EXECUTE ON FUNCTION
	experiments_internal.required_tenant(),
	experiments_internal.random_seed(),
	experiments.audience_is_valid(jsonb),
	experiments.current_tenant(),
	experiments.bucket(text, bigint),
	experiments.assign(text, text, jsonb),
	experiments.assign_all(text, jsonb),
	experiments.create_experiment(text, jsonb, numeric, text, text, boolean),
	experiments.set_variants(text, jsonb),
	experiments.set_state(text, experiments.experiment_state),
	experiments.set_override(text, text, text, experiments.override_kind)
	TO experiments_admin;
GRANT INSERT, UPDATE, DELETE ON
	experiments.sites, experiments.goals, experiments.rooms, experiments.layers, experiments.holdouts,
	experiments.experiments, experiments.variants, experiments.experiment_rooms, experiments.overrides,
	experiments.categories, experiments.promotions, experiments.slots, experiments.slot_configurations,
	experiments.sorting_rules, experiments.ab_tests, experiments.segment_promotions,
	experiments.segment_slot_configurations, experiments.segment_sorting_rules
	TO experiments_admin;

-- Analysts read the views (those of experiments_api are granted beside
-- them, src/http/api.sql); security_invoker views run what they call as the
-- analyst, hence the results functions.
GRANT SELECT ON experiments.results, experiments.exposure_summary, experiments.sample_ratio_mismatch,
	experiments.lift, experiments.daily_results TO experiments_analyst;
GRANT EXECUTE ON FUNCTION
	experiments.current_tenant(),
	experiments_internal.required_tenant(),
	experiments.experiment_results(bigint, timestamptz, timestamptz, float8),
	experiments.daily_results(bigint, timestamptz, timestamptz),
	experiments.daily_metrics(bigint, timestamptz, timestamptz),
	experiments.wilson_interval(bigint, bigint, float8),
	experiments.two_proportion_test(bigint, bigint, bigint, bigint, float8),
	experiments.welch_test(float8, float8, bigint, float8, float8, bigint, float8),
	experiments.srm_test(bigint[], float8[]),
	experiments.results_report(text, timestamptz, timestamptz, float8),
	experiments_internal.results_verdict(text, text, text, float8, float8, float8, float8, float8, text),
	experiments_internal.format_p_value(float8),
	experiments_internal.format_percent(float8, boolean)
	TO experiments_analyst;
