-- experiments: the HTTP-facing API. Schema experiments_api holds only the
-- functions and views PostgREST exposes (db-schemas = experiments_api):
-- function and argument names are the seeds' paths and JSON keys, so that
-- POST /rpc/<name> with a seed's body is the seed's call.
--
-- Every function here is owned by experiments_api_owner (a role without
-- BYPASSRLS, src/http/roles.sql) and runs as it: callers need EXECUTE on these
-- functions only, and row-level security still confines every query to the
-- tenant that authentication set. All are SECURITY DEFINER but allocate, in C,
-- which switches to its owner itself (src/adapters/abtasty/allocate.c). Views are
-- security_invoker.

CREATE SCHEMA experiments_api;
COMMENT ON SCHEMA experiments_api IS
'The HTTP API of the experiments extension, as PostgREST exposes it: serving (visitor, allocate, experiment_status), events (context_batch), management (the A/B test and organization experiment functions) and read-only views for analysts.';

-- Visitor ids.

CREATE SEQUENCE experiments.visitor_counter AS bigint MINVALUE 0 MAXVALUE 33554431 CYCLE;
COMMENT ON SEQUENCE experiments.visitor_counter IS
'The 25-bit counter of visitor ids: distinct for ids made in the same millisecond by any session.';

CREATE FUNCTION experiments.visitor_id()
RETURNS text
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT string_agg(substr('0123456789abcdefghijklmnopqrstuv',
							 substring(bits FROM i * 5 + 1 FOR 5)::bit(5)::integer + 1, 1), '' ORDER BY i)
	FROM (SELECT right((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)::bit(64)::text, 45) ||
				 right(nextval('experiments.visitor_counter')::bit(64)::text, 25) ||
				 right(experiments.random_seed()::bit(64)::text, 30) AS bits) b,
		 generate_series(0, 19) AS i;
$$;
COMMENT ON FUNCTION experiments.visitor_id() IS
'A new visitor id: 20 characters of base32hex (0-9, a-v) encoding 100 bits: 45 bits of milliseconds since 1970 (until the year 3084), 25 bits of a cluster-wide counter (experiments.visitor_counter) and 30 random bits. Ids sort by creation time as plain strings; two ids of one millisecond differ in their counter unless 33 million ids were made in that millisecond.';

CREATE FUNCTION experiments_api.visitor()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('id', experiments.visitor_id());
$$;
COMMENT ON FUNCTION experiments_api.visitor() IS
'POST /rpc/visitor (AB Tasty POST /v1/visitor): a new unique visitor id, {"id": "c0ffee..."}: 20 characters, sortable by creation time, unique across concurrent sessions. No arguments.';

-- Allocation (AB Tasty).

CREATE FUNCTION experiments.check_unit(name text, value text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF value IS NULL OR value = '' THEN
		PERFORM experiments.raise_api_error(400, format('%s is required: a non-empty string.', name));
	END IF;
	IF octet_length(value) > 640 THEN
		PERFORM experiments.raise_api_error(400, format('%s is %s bytes long; at most 640 are allowed.', name, octet_length(value)));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments.check_unit(text, text) IS
'Raises PT400 naming the argument unless a unit (visitor id, user or device tag) is a non-empty string of at most 640 bytes.';

CREATE FUNCTION experiments_api.allocate(visitor_id text, campaign_id text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'allocate'
LANGUAGE C STABLE;
COMMENT ON FUNCTION experiments_api.allocate(text, text) IS
'POST /rpc/allocate (AB Tasty POST /v1/allocate). Arguments: visitor_id (string, required, at most 640 bytes): the visitor; campaign_id (string, optional): one campaign. Answers {"allocations": {"<campaign id>": "<variation id>", ...}} for every running campaign of the tenant that gives the visitor a variation (campaign and variation ids are strings); with campaign_id, only that entry plus the deprecated "variation_id" (null, with empty allocations, when the visitor gets no variation). Reads only: enrolments are honoured, none is written. 400 for a missing or too long visitor_id, 404 for an unknown campaign_id. Written in C (src/adapters/abtasty/allocate.c) and not SECURITY DEFINER, so that no search_path is saved and restored per call: it depends on no search_path (every name it uses is schema-qualified) and runs its reads as its owner, as SECURITY DEFINER would.';

-- Experiment status (Data Cortex).

CREATE FUNCTION experiments.check_status_field(name text, value text, pattern text, rule text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF value IS NOT NULL AND value !~ pattern THEN
		PERFORM experiments.raise_api_error(400, format('%s must be %s; "%s" is not.', name, rule, value));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments.check_status_field(text, text, text, text) IS
'Raises PT400 when a field of an experiment_status request is present and does not match its pattern; rule says what is expected.';

CREATE FUNCTION experiments_api.experiment_status(
	api_key text DEFAULT NULL, app_ver text DEFAULT NULL, user_tag text DEFAULT NULL,
	device_tag text DEFAULT NULL, device_type text DEFAULT NULL, os text DEFAULT NULL,
	os_ver text DEFAULT NULL, browser text DEFAULT NULL, browser_ver text DEFAULT NULL,
	country text DEFAULT NULL, language text DEFAULT NULL, new_gate_list jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	required text;
	gates text[];
	unit_key text;
	attributes jsonb;
	ordinal integer;
	variant text;
	list jsonb := '[]';
	r record;
BEGIN
	IF api_key IS NULL OR api_key = '' THEN
		PERFORM experiments.raise_api_error(400, 'api_key is required: the API key of your application.');
	END IF;
	-- Serving enrols: only a client key may, as for every other serving call.
	IF experiments.authenticate(api_key) IS DISTINCT FROM 'experiments_client' THEN
		PERFORM experiments.raise_api_error(403, 'The API key is not a client key. experiment_status needs the key of your application (role client).');
	END IF;
	SELECT f.name INTO required
	FROM (VALUES (1, 'app_ver', app_ver), (2, 'device_tag', device_tag), (3, 'device_type', device_type),
				 (4, 'os', os), (5, 'os_ver', os_ver)) AS f(n, name, value)
	WHERE f.value IS NULL OR f.value = '' ORDER BY f.n LIMIT 1;
	IF required IS NOT NULL THEN
		PERFORM experiments.raise_api_error(400, format('%s is required.', required));
	END IF;
	PERFORM experiments.check_status_field(f.name, f.value, '^.{1,16}$', 'at most 16 characters')
	FROM (VALUES ('app_ver', app_ver), ('device_type', device_type), ('os', os), ('os_ver', os_ver),
				 ('browser', browser), ('browser_ver', browser_ver)) AS f(name, value);
	PERFORM experiments.check_status_field('device_tag', device_tag, '^.{1,62}$', 'at most 62 characters');
	PERFORM experiments.check_status_field('country', country, '^[A-Z]{2}$', 'an uppercase ISO 3166-1 alpha-2 code such as US');
	PERFORM experiments.check_status_field('language', language, '^[a-z]{2}$', 'a lowercase ISO 639-1 code such as en');
	IF user_tag IS NOT NULL THEN
		PERFORM experiments.check_unit('user_tag', user_tag);
	END IF;
	IF new_gate_list IS NOT NULL AND jsonb_typeof(new_gate_list) <> 'null' THEN
		IF jsonb_typeof(new_gate_list) <> 'array' OR EXISTS (
			SELECT 1 FROM jsonb_array_elements(new_gate_list) g WHERE jsonb_typeof(g) <> 'string') THEN
			PERFORM experiments.raise_api_error(400, 'new_gate_list must be a list of strings: the names of the gates crossed.');
		END IF;
		gates := experiments.json_text_array(new_gate_list);
	END IF;
	-- A person is the same unit on every device.
	unit_key := coalesce(user_tag, device_tag);
	attributes := jsonb_strip_nulls(jsonb_build_object(
		'app_ver', app_ver, 'device_type', device_type, 'os', os, 'os_ver', os_ver, 'browser', browser,
		'browser_ver', browser_ver, 'country', country, 'language', language));
	FOR r IN
		SELECT x.experiment, x.variant, x.ordinal, x.period, e.id, e.gate
		FROM experiments.assign_all(unit_key, attributes) x
		JOIN experiments.experiments e ON e.id = x.experiment_id
		WHERE x.ordinal IS NOT NULL
		ORDER BY x.experiment
	LOOP
		-- A gated experiment is entered when its gate is crossed, and stays.
		CONTINUE WHEN r.gate IS NOT NULL AND NOT coalesce(r.gate = ANY (gates), false) AND NOT EXISTS (
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
	RETURN jsonb_build_object('experiment_list', list);
END;
$$;
COMMENT ON FUNCTION experiments_api.experiment_status(text, text, text, text, text, text, text, text, text, text, text, jsonb) IS
'POST /rpc/experiment_status (Data Cortex POST /<org>/1/experiment_status): the experiments the device (or the person) is enrolled in, enrolling it in every running experiment it is eligible for. Arguments: api_key (required; a bad one is 403), app_ver (required, at most 16 characters), user_tag (optional cross-device id: when given it is the unit, so a person gets the same variants on every device; at most 640 bytes), device_tag (required, at most 62), device_type, os, os_ver (required, at most 16 each), browser, browser_ver (optional, at most 16), country (optional, uppercase ISO 3166-1 alpha-2), language (optional, lowercase ISO 639-1), new_gate_list (optional list of gate names crossed: an experiment with a gate is entered only when its gate arrives here, and from then on is always returned). All but api_key are audience attributes. Answers {"experiment_list": [{"experiment": name, "variant": name}, ...]} in name order, variant false for the control group (ordinal 0). 400 for a missing or malformed field.';

-- Event batches (ABsmartly).

CREATE FUNCTION experiments_api.context_batch(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	RETURN experiments.publish($1);
EXCEPTION
	-- PostgREST would answer 500 for a batch over a size limit.
	WHEN program_limit_exceeded THEN
		PERFORM experiments.raise_api_error(413, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_api.context_batch(jsonb) IS
'PUT/POST /rpc/context_batch (ABsmartly PUT /context/batch): the body is the batch itself, {"requests": [{units, exposures, goals, attributes, hashed, historic, publishedAt}, ...]}. Stores the valid events, records the refused ones in rejected_events and answers {"ok", "warnings", "errors"}; sending the same batch again stores nothing twice. 400 (SQLSTATE 22023) when the batch is malformed as a whole (not 1 to 500 requests), 413 when it is over a size limit (too many events in a request, too many bytes).';

-- AB Tasty events (seed 001, src/events/events.sql) and management (seeds 002 and
-- 004, src/adapters/commerce/commerce.sql and src/adapters/lifecycle/lifecycle.sql): one wrapper per function, with
-- its arguments (already the JSON keys of the request), result and volatility,
-- made from the catalog so that wrapper and function cannot drift apart. A
-- create answers 201 Created, as the seeds do.
DO $$
DECLARE
	f record;
BEGIN
	FOR f IN
		SELECT p.proname, w.audience, pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
			   pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity,
			   pg_catalog.pg_get_function_result(p.oid) AS result,
			   CASE p.provolatile WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END AS volatility,
			   (SELECT string_agg(format('%I => %I', n, n), ', ' ORDER BY i)
				FROM unnest(p.proargnames) WITH ORDINALITY AS a(n, i)) AS call,
			   pg_catalog.obj_description(p.oid, 'pg_proc') AS description
		FROM pg_catalog.pg_proc p
		JOIN (VALUES ('campaign_activated_event', 'client'), ('action_tracking_event', 'client'),
					 ('custom_event', 'client'), ('transaction_event', 'client'), ('visit_event', 'client'),
					 ('list_ab_tests', 'admin'), ('get_ab_test', 'admin'), ('create_ab_test', 'admin'),
					 ('update_ab_test', 'admin'), ('delete_ab_test', 'admin'), ('get_ab_test_segment', 'admin'),
					 ('create_ab_test_segment', 'admin'), ('update_ab_test_segment', 'admin'),
					 ('delete_ab_test_segment', 'admin'), ('bind_ab_test_promotion', 'admin'),
					 ('unbind_ab_test_promotion', 'admin'), ('bind_ab_test_slot_configuration', 'admin'),
					 ('unbind_ab_test_slot_configuration', 'admin'), ('bind_ab_test_sorting_rule', 'admin'),
					 ('unbind_ab_test_sorting_rule', 'admin'), ('list_org_experiments', 'admin'),
					 ('get_org_experiment', 'admin'), ('create_org_experiment', 'admin'),
					 ('update_org_experiment', 'admin'), ('delete_org_experiment', 'admin')) AS w(name, audience)
			ON w.name = p.proname
		WHERE p.pronamespace = 'experiments'::regnamespace
	LOOP
		EXECUTE format($ddl$
			CREATE FUNCTION experiments_api.%1$I(%2$s)
			RETURNS %3$s
			LANGUAGE sql %4$s SECURITY DEFINER
			SET search_path = experiments, pg_catalog, pg_temp
			AS %5$L
			$ddl$, f.proname, f.arguments, f.result, f.volatility,
			CASE WHEN f.proname LIKE 'create\_%' THEN 'SELECT pg_catalog.set_config(''response.status'', ''201'', true); ' ELSE '' END
			|| format('SELECT experiments.%I(%s)', f.proname, f.call));
		EXECUTE format('COMMENT ON FUNCTION experiments_api.%I(%s) IS %L', f.proname, f.identity,
			format('POST /rpc/%s (%s role). Arguments: %s: the keys of the request''s JSON body, and for management the path parameters by name and body, the document sent. %s',
				   f.proname, f.audience, f.arguments, f.description));
	END LOOP;
END;
$$;

-- Read-only views for analysts: the tenant's catalog, refused events and results.

CREATE VIEW experiments_api.experiments WITH (security_invoker = true) AS
SELECT e.id, e.key, e.name, e.description, e.state, e.starts_at, e.ends_at, e.started_at, e.unit_type,
	   e.traffic_bp, e.reset_interval, e.gate, e.tags, e.version, e.created_at, e.updated_at
FROM experiments.experiments e;
COMMENT ON VIEW experiments_api.experiments IS
'GET /experiments: the tenant''s experiments (campaigns): id (the AB Tasty campaign id), key (the name clients use), state, schedule, unit type, traffic in basis points, reset interval, gate, tags and version.';

CREATE VIEW experiments_api.variants WITH (security_invoker = true) AS
SELECT v.id, v.experiment_id, v.ordinal, v.key, v.name, v.allocation_bp, v.type, v.treatment
FROM experiments.variants v;
COMMENT ON VIEW experiments_api.variants IS
'GET /variants: the variants of the tenant''s experiments: id (the AB Tasty variation id), experiment, ordinal (0 is the control), key, allocation in basis points, type and treatment.';

CREATE VIEW experiments_api.rejected_events WITH (security_invoker = true) AS
SELECT r.id, r.source, r.batch_id, r.batch_index, r.event_index, r.subject, r.reason, r.event, r.rejected_at
FROM experiments.rejected_events r;
COMMENT ON VIEW experiments_api.rejected_events IS
'GET /rejected_events: the tenant''s events refused by validation, with where (subject), why (reason) and the event as sent.';

DO $$
DECLARE
	v text;
BEGIN
	FOREACH v IN ARRAY ARRAY['results', 'exposure_summary', 'sample_ratio_mismatch', 'lift', 'daily_results']
	LOOP
		EXECUTE format('CREATE VIEW experiments_api.%1$I WITH (security_invoker = true) AS SELECT * FROM experiments.%1$I', v);
		EXECUTE format('COMMENT ON VIEW experiments_api.%I IS %L', v,
			format('GET /%s: %s', v, pg_catalog.obj_description(format('experiments.%I', v)::regclass, 'pg_class')));
	END LOOP;
END;
$$;
