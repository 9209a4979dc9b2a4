-- experiments: roles and privileges. Last in the install script: it revokes
-- EXECUTE from PUBLIC on every function the files before it created, then
-- grants each role its allow-list.
--
-- Roles are cluster-wide, so the script creates each one only when it does not
-- exist yet (a second database, a reinstall) and never drops one. The same
-- roles serve HTTP (PostgREST switches to them) and SQL (login roles the
-- operator creates are made members of them, README "Roles"):
--   experiments_anon          PostgREST's db-anon-role: may only authenticate
--   experiments_client        applications: assignment, enrolment, events
--   experiments_admin         operators: managing experiments (seeds 002, 004)
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

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA experiments, experiments_internal, experiments_api FROM PUBLIC;

-- The owner of the API functions: the tables (api_keys excepted, which only
-- authenticate() reads) and every helper a wrapper reaches. Not granted:
-- triggers (they need no EXECUTE), SECURITY DEFINER administration
-- (tenants, keys) and maintenance.
DO $$
DECLARE
	f regprocedure;
	t regclass;
BEGIN
	FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'experiments_api'::regnamespace
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO experiments_api_owner', f);
	END LOOP;
	FOR f IN
		SELECT p.oid FROM pg_catalog.pg_proc p
		WHERE p.pronamespace IN ('experiments'::regnamespace, 'experiments_internal'::regnamespace) AND NOT p.prosecdef
		  AND p.prorettype <> 'pg_catalog.trigger'::regtype
		  AND p.proname NOT IN ('create_event_partitions', 'create_event_partition')
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO experiments_api_owner', f);
	END LOOP;
	FOR t IN
		SELECT c.oid FROM pg_catalog.pg_class c
		WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind IN ('r', 'p')
		  AND NOT c.relispartition AND c.relname <> 'api_keys'
	LOOP
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO experiments_api_owner', t);
		EXECUTE format('GRANT SELECT ON %s TO experiments_analyst, experiments_admin', t);
	END LOOP;
END;
$$;
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
GRANT EXECUTE ON FUNCTION experiments.authenticate(text) TO experiments_api_owner;

-- Every API role may authenticate: anonymous requests with a key, and
-- requests whose token already chose the role.
GRANT USAGE ON SCHEMA experiments TO experiments_anon, experiments_client, experiments_admin, experiments_analyst;
GRANT USAGE ON SCHEMA experiments_api TO experiments_client, experiments_admin, experiments_analyst;
GRANT EXECUTE ON FUNCTION experiments.authenticate_request(), experiments.authenticate(text)
	TO experiments_anon, experiments_client, experiments_admin, experiments_analyst;

GRANT EXECUTE ON FUNCTION
	experiments_api.visitor(),
	experiments_api.allocate(text, text),
	experiments_api.experiment_status(text, text, text, text, text, text, text, text, text, text, text, jsonb),
	experiments_api.context_batch(jsonb),
	experiments_api.campaign_activated_event(jsonb, jsonb, jsonb),
	experiments_api.action_tracking_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments_api.custom_event(jsonb, jsonb, jsonb, jsonb),
	experiments_api.transaction_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments_api.visit_event(jsonb)
	TO experiments_client;

DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN
		SELECT p.oid FROM pg_catalog.pg_proc p
		WHERE p.pronamespace = 'experiments_api'::regnamespace
		  AND p.proname ~ '^(list|get|create|update|delete)_(ab_test|ab_test_segment|ab_tests|org_experiment|org_experiments)$|^(bind|unbind)_ab_test_'
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO experiments_admin', f);
	END LOOP;
END;
$$;

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

-- Operators in SQL: the catalog functions of the core (the seeds' management
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

-- Analysts read the views; security_invoker views run what they call as the
-- analyst, hence the results functions.
GRANT SELECT ON ALL TABLES IN SCHEMA experiments_api TO experiments_analyst;
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
