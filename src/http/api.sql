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

CREATE FUNCTION experiments_api.visitor()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('id', experiments_internal.visitor_id());
$$;
COMMENT ON FUNCTION experiments_api.visitor() IS
'POST /rpc/visitor (AB Tasty POST /v1/visitor): a new unique visitor id, {"id": "c0ffee..."}: 20 characters, sortable by creation time, unique across concurrent sessions. No arguments.';

-- Allocation (AB Tasty).

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

CREATE FUNCTION experiments_api.allocate(visitor_id text, campaign_id text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'allocate'
LANGUAGE C STABLE;
COMMENT ON FUNCTION experiments_api.allocate(text, text) IS
'POST /rpc/allocate (AB Tasty POST /v1/allocate). Arguments: visitor_id (string, required, at most 640 bytes): the visitor; campaign_id (string, optional): one campaign. Answers {"allocations": {"<campaign id>": "<variation id>", ...}} for every running campaign of the tenant that gives the visitor a variation (campaign and variation ids are strings); with campaign_id, only that entry plus the deprecated "variation_id" (null, with empty allocations, when the visitor gets no variation). Reads only: enrolments are honoured, none is written. 400 for a missing or too long visitor_id, 404 for an unknown campaign_id. Written in C (src/adapters/abtasty/allocate.c) and not SECURITY DEFINER, so that no search_path is saved and restored per call: it depends on no search_path (every name it uses is schema-qualified) and runs its reads as its owner, as SECURITY DEFINER would.';

-- Experiment status (Data Cortex).

CREATE FUNCTION experiments_internal.check_status_field(name text, value text, pattern text, rule text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF value IS NOT NULL AND value !~ pattern THEN
		PERFORM experiments_internal.raise_api_error(400, format('%s must be %s; "%s" is not.', name, rule, value));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_status_field(text, text, text, text) IS
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
		PERFORM experiments_internal.raise_api_error(400, 'api_key is required: the API key of your application.');
	END IF;
	-- Serving enrols: only a client key may, as for every other serving call.
	IF experiments.authenticate(api_key) IS DISTINCT FROM 'experiments_client' THEN
		PERFORM experiments_internal.raise_api_error(403, 'The API key is not a client key. experiment_status needs the key of your application (role client).');
	END IF;
	SELECT f.name INTO required
	FROM (VALUES (1, 'app_ver', app_ver), (2, 'device_tag', device_tag), (3, 'device_type', device_type),
				 (4, 'os', os), (5, 'os_ver', os_ver)) AS f(n, name, value)
	WHERE f.value IS NULL OR f.value = '' ORDER BY f.n LIMIT 1;
	IF required IS NOT NULL THEN
		PERFORM experiments_internal.raise_api_error(400, format('%s is required.', required));
	END IF;
	PERFORM experiments_internal.check_status_field(f.name, f.value, '^.{1,16}$', 'at most 16 characters')
	FROM (VALUES ('app_ver', app_ver), ('device_type', device_type), ('os', os), ('os_ver', os_ver),
				 ('browser', browser), ('browser_ver', browser_ver)) AS f(name, value);
	PERFORM experiments_internal.check_status_field('device_tag', device_tag, '^.{1,62}$', 'at most 62 characters');
	PERFORM experiments_internal.check_status_field('country', country, '^[A-Z]{2}$', 'an uppercase ISO 3166-1 alpha-2 code such as US');
	PERFORM experiments_internal.check_status_field('language', language, '^[a-z]{2}$', 'a lowercase ISO 639-1 code such as en');
	IF user_tag IS NOT NULL THEN
		PERFORM experiments_internal.check_unit('user_tag', user_tag);
	END IF;
	IF new_gate_list IS NOT NULL AND jsonb_typeof(new_gate_list) <> 'null' THEN
		IF jsonb_typeof(new_gate_list) <> 'array' OR EXISTS (
			SELECT 1 FROM jsonb_array_elements(new_gate_list) g WHERE jsonb_typeof(g) <> 'string') THEN
			PERFORM experiments_internal.raise_api_error(400, 'new_gate_list must be a list of strings: the names of the gates crossed.');
		END IF;
		gates := experiments_internal.json_text_array(new_gate_list);
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
		PERFORM experiments_internal.raise_api_error(413, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_api.context_batch(jsonb) IS
'PUT/POST /rpc/context_batch (ABsmartly PUT /context/batch): the body is the batch itself, {"requests": [{units, exposures, goals, attributes, hashed, historic, publishedAt}, ...]}. Stores the valid events, records the refused ones in rejected_events and answers {"ok", "warnings", "errors"}; sending the same batch again stores nothing twice. 400 (SQLSTATE 22023) when the batch is malformed as a whole (not 1 to 500 requests), 413 when it is over a size limit (too many events in a request, too many bytes).';

-- AB Tasty events (the AB Tasty document, src/events/events.sql): one wrapper per event
-- function, with its arguments (already the keys of the endpoint's JSON body),
-- result and volatility.

CREATE FUNCTION experiments_api.campaign_activated_event(campaign_id jsonb DEFAULT NULL, variation_id jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.campaign_activated_event(campaign_id => campaign_id, variation_id => variation_id, tracking_data => tracking_data);
$$;
COMMENT ON FUNCTION experiments_api.campaign_activated_event(campaign_id jsonb, variation_id jsonb, tracking_data jsonb) IS
'POST /rpc/campaign_activated_event (client role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): campaign_id, variation_id, tracking_data. AB Tasty POST /v1/campaign_activated_event: a visitor saw a variation of a campaign. Stores the event and enrols the visitor in the variation unless already enrolled (a different variation gets a warning). Answers {} (or {"warnings": [...]}), or {"code", "message"} with response.status set when refused.';

CREATE FUNCTION experiments_api.action_tracking_event(name jsonb DEFAULT NULL, type jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL, value_string jsonb DEFAULT NULL, value_integer jsonb DEFAULT NULL, "position" jsonb DEFAULT NULL, resolution jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.action_tracking_event(name => name, type => type, tracking_data => tracking_data, value_string => value_string, value_integer => value_integer, "position" => "position", resolution => resolution);
$$;
COMMENT ON FUNCTION experiments_api.action_tracking_event(name jsonb, type jsonb, tracking_data jsonb, value_string jsonb, value_integer jsonb, "position" jsonb, resolution jsonb) IS
'POST /rpc/action_tracking_event (client role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): name, type, tracking_data, value_string, value_integer, position, resolution. AB Tasty POST /v1/action_tracking_event: a click or touch. Answers like campaign_activated_event().';

CREATE FUNCTION experiments_api.custom_event(name jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL, value_string jsonb DEFAULT NULL, value_integer jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.custom_event(name => name, tracking_data => tracking_data, value_string => value_string, value_integer => value_integer);
$$;
COMMENT ON FUNCTION experiments_api.custom_event(name jsonb, tracking_data jsonb, value_string jsonb, value_integer jsonb) IS
'POST /rpc/custom_event (client role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): name, tracking_data, value_string, value_integer. AB Tasty POST /v1/custom_event: a business event with an optional value. Answers like campaign_activated_event().';

CREATE FUNCTION experiments_api.transaction_event(name jsonb DEFAULT NULL, id jsonb DEFAULT NULL, revenue jsonb DEFAULT NULL, shipping jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL, tax_total jsonb DEFAULT NULL, payment_method jsonb DEFAULT NULL, items_count jsonb DEFAULT NULL, currency jsonb DEFAULT NULL, items jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.transaction_event(name => name, id => id, revenue => revenue, shipping => shipping, tracking_data => tracking_data, tax_total => tax_total, payment_method => payment_method, items_count => items_count, currency => currency, items => items);
$$;
COMMENT ON FUNCTION experiments_api.transaction_event(name jsonb, id jsonb, revenue jsonb, shipping jsonb, tracking_data jsonb, tax_total jsonb, payment_method jsonb, items_count jsonb, currency jsonb, items jsonb) IS
'POST /rpc/transaction_event (client role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): name, id, revenue, shipping, tracking_data, tax_total, payment_method, items_count, currency, items. AB Tasty POST /v1/transaction_event: a purchase and its items, stored together; a transaction id already stored for the tenant is refused. Answers like campaign_activated_event().';

CREATE FUNCTION experiments_api.visit_event(tracking_data jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.visit_event(tracking_data => tracking_data);
$$;
COMMENT ON FUNCTION experiments_api.visit_event(tracking_data jsonb) IS
'POST /rpc/visit_event (client role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): tracking_data. AB Tasty POST /v1/visit_event: a page visit. Answers like campaign_activated_event().';

-- Management (seeds 002 and 004, src/adapters/commerce/commerce.sql and
-- src/adapters/lifecycle/lifecycle.sql): one wrapper per function, the path
-- parameters and the document sent as arguments. A create answers 201 Created,
-- as the seeds do.

CREATE FUNCTION experiments_api.list_ab_tests(site_id text, start integer DEFAULT 0, count integer DEFAULT 25, "select" text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.list_ab_tests(site_id => site_id, start => start, count => count, "select" => "select");
$$;
COMMENT ON FUNCTION experiments_api.list_ab_tests(site_id text, start integer, count integer, "select" text) IS
'POST /rpc/list_ab_tests (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, start, count, select. GET /sites/{site_id}/ab_tests: the ab_test_search_result of a site''s A/B tests in id order, from start (default 0), count of them (default 25, at most 200); select (**) gives whole documents, no select the id and link of each.';

CREATE FUNCTION experiments_api.get_ab_test(site_id text, id text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.get_ab_test(site_id => site_id, id => id);
$$;
COMMENT ON FUNCTION experiments_api.get_ab_test(site_id text, id text) IS
'POST /rpc/get_ab_test (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id. GET /sites/{site_id}/ab_tests/{id}: the ab_test document; ABTestNotFoundException (404) when there is none.';

CREATE FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.set_config('response.status', '201', true);
	SELECT experiments.create_ab_test(site_id => site_id, id => id, body => body);
$$;
COMMENT ON FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb) IS
'POST /rpc/create_ab_test (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, body. PUT /sites/{site_id}/ab_tests/{id}: creates an A/B test from an ab_test document (start_date and end_date required) and returns it (201). Faults: IdConflictException, ABTestInvalidDateException, StartAfterEndException, ABTestInvalidEmailException, ABTestInvalidTriggerException, ABTestInvalidPipelineException (400), ABTestDuplicateException (409).';

CREATE FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.update_ab_test(site_id => site_id, id => id, body => body);
$$;
COMMENT ON FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb) IS
'POST /rpc/update_ab_test (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, body. PATCH /sites/{site_id}/ab_tests/{id}: changes the properties the ab_test document gives (an id different from the URL''s renames the test) and returns the test. Faults: those of create_ab_test, ABTestNotFoundException (404), ResourceStateConflictException (409) for a stale _resource_state.';

CREATE FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.delete_ab_test(site_id => site_id, id => id, resource_state => resource_state);
$$;
COMMENT ON FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text) IS
'POST /rpc/delete_ab_test (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, resource_state. DELETE /sites/{site_id}/ab_tests/{id}: deletes an A/B test with its segments and bindings (204). resource_state is the x-dw-resource-state header: a stale one is ResourceStateConflictException (409).';

CREATE FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.get_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id);
$$;
COMMENT ON FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text) IS
'POST /rpc/get_ab_test_segment (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id. GET /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: the ab_test_segment document. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404).';

CREATE FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.set_config('response.status', '201', true);
	SELECT experiments.create_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, body => body);
$$;
COMMENT ON FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) IS
'POST /rpc/create_ab_test_segment (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, body. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: adds a segment (variant) after the existing ones and returns it (201). Faults: IdConflictException (400), ABTestNotFoundException (404), ResourceAlreadyExistsException (409), ABTestSegmentAllocationException (400) on a started test.';

CREATE FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.update_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, body => body);
$$;
COMMENT ON FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) IS
'POST /rpc/update_ab_test_segment (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, body. PATCH /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: changes the properties given and returns the segment. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404), ResourceStateConflictException (409), ABTestSegmentAllocationException (400) on a started test.';

CREATE FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.delete_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, resource_state => resource_state);
$$;
COMMENT ON FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text) IS
'POST /rpc/delete_ab_test_segment (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, resource_state. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: removes a segment and its bindings (204). Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404), ResourceStateConflictException (409), ABTestSegmentAllocationException (400) on a started test.';

CREATE FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.bind_ab_test_promotion(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, promotion_id => promotion_id);
$$;
COMMENT ON FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) IS
'POST /rpc/bind_ab_test_promotion (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, promotion_id. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}: the segment applies the promotion (204). Faults: SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, PromotionNotFoundException (404).';

CREATE FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.unbind_ab_test_promotion(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, promotion_id => promotion_id);
$$;
COMMENT ON FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) IS
'POST /rpc/unbind_ab_test_promotion (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, promotion_id. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}: the segment no longer applies the promotion (204). Faults as for binding.';

CREATE FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.bind_ab_test_slot_configuration(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, slot_id => slot_id, slot_config_id => slot_config_id, context => context);
$$;
COMMENT ON FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) IS
'POST /rpc/bind_ab_test_slot_configuration (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, slot_id, slot_config_id, context. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=: the segment shows the slot configuration (204); context is global (the default), category=ID or folder=ID. Faults: InvalidContextTypeException (400), SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, SlotWithContextTypeNotFoundException, SlotConfigurationIdentifierNotFoundException (404).';

CREATE FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.unbind_ab_test_slot_configuration(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, slot_id => slot_id, slot_config_id => slot_config_id, context => context);
$$;
COMMENT ON FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) IS
'POST /rpc/unbind_ab_test_slot_configuration (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, slot_id, slot_config_id, context. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=: the segment no longer shows the slot configuration (204). Faults as for binding.';

CREATE FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.bind_ab_test_sorting_rule(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, sorting_rule_id => sorting_rule_id, category_id => category_id);
$$;
COMMENT ON FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) IS
'POST /rpc/bind_ab_test_sorting_rule (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, sorting_rule_id, category_id. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}: the segment sorts the category with the rule (204); one rule per test and category. Faults: InvalidCategoryException (400), SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, SortingRuleNotFoundException (404), SortingRuleCampaignAssignConflictException (409).';

CREATE FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.unbind_ab_test_sorting_rule(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, sorting_rule_id => sorting_rule_id, category_id => category_id);
$$;
COMMENT ON FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) IS
'POST /rpc/unbind_ab_test_sorting_rule (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, sorting_rule_id, category_id. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}: the segment no longer sorts the category with the rule (204). Faults as for binding, but for the conflict.';

CREATE FUNCTION experiments_api.list_org_experiments(organization_id uuid)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.list_org_experiments(organization_id => organization_id);
$$;
COMMENT ON FUNCTION experiments_api.list_org_experiments(organization_id uuid) IS
'POST /rpc/list_org_experiments (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id. GET /api/v5/orgs/{organization_id}/experiments: the organization''s experiments, oldest first.';

CREATE FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.get_org_experiment(organization_id => organization_id, experiment_id => experiment_id);
$$;
COMMENT ON FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid) IS
'POST /rpc/get_org_experiment (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, experiment_id. GET /api/v5/orgs/{organization_id}/experiments/{experiment_id}: the experiment document; 404 when there is none.';

CREATE FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.set_config('response.status', '201', true);
	SELECT experiments.create_org_experiment(organization_id => organization_id, body => body);
$$;
COMMENT ON FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb) IS
'POST /rpc/create_org_experiment (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, body. POST /api/v5/orgs/{organization_id}/experiments: creates an experiment (201), a draft when is_draft is true, published and running otherwise; its key is its uuid. 400 when attributes are missing or malformed, 404 for an unknown goal or room.';

CREATE FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.update_org_experiment(organization_id => organization_id, experiment_id => experiment_id, body => body);
$$;
COMMENT ON FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb) IS
'POST /rpc/update_org_experiment (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, experiment_id, body. PUT /api/v5/orgs/{organization_id}/experiments/{experiment_id}: updates an experiment with the attributes given and returns it. 400 when it has ended, when ends_at is not after starts_at, when going from published to draft, when a read-only attribute of a started experiment changes, or when publishing it incomplete; 404 when it does not exist.';

CREATE FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments.delete_org_experiment(organization_id => organization_id, experiment_id => experiment_id);
$$;
COMMENT ON FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid) IS
'POST /rpc/delete_org_experiment (admin role). Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, experiment_id. DELETE /api/v5/orgs/{organization_id}/experiments/{experiment_id}: deletes an experiment (204); 404 when it does not exist.';

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

CREATE VIEW experiments_api.results WITH (security_invoker = true) AS
SELECT * FROM experiments.results;
COMMENT ON VIEW experiments_api.results IS
'GET /results: experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';

CREATE VIEW experiments_api.exposure_summary WITH (security_invoker = true) AS
SELECT * FROM experiments.exposure_summary;
COMMENT ON VIEW experiments_api.exposure_summary IS
'GET /exposure_summary: Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';

CREATE VIEW experiments_api.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT * FROM experiments.sample_ratio_mismatch;
COMMENT ON VIEW experiments_api.sample_ratio_mismatch IS
'GET /sample_ratio_mismatch: Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value; mismatch when p < 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';

CREATE VIEW experiments_api.lift WITH (security_invoker = true) AS
SELECT * FROM experiments.lift;
COMMENT ON VIEW experiments_api.lift IS
'GET /lift: Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (two-proportion z-test) and of the value per exposed unit (Welch t-test), 95% intervals and two-sided p-values.';

CREATE VIEW experiments_api.daily_results WITH (security_invoker = true) AS
SELECT * FROM experiments.daily_results;
COMMENT ON VIEW experiments_api.daily_results IS
'GET /daily_results: daily_results() of every started experiment of the caller''s tenant: per UTC day, variant and metric, new and cumulative exposed and converting units and the cumulative rate.';
