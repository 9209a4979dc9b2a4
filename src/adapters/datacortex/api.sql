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
				f.name, f.max_length, experiments_internal.shown_input(value #>> '{}')));
		END IF;
		fields := fields || jsonb_build_object(f.name, value);
	END LOOP;
	IF fields ->> 'country' !~ '^[A-Z]{2}$' THEN
		PERFORM experiments_internal.raise_api_error(400, format(
			'country must be an uppercase ISO 3166-1 alpha-2 code such as US; "%s" is not.', experiments_internal.shown_input(fields ->> 'country')));
	END IF;
	IF fields ->> 'language' !~ '^[a-z]{2}$' THEN
		PERFORM experiments_internal.raise_api_error(400, format(
			'language must be a lowercase ISO 639-1 code such as en; "%s" is not.', experiments_internal.shown_input(fields ->> 'language')));
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
	list jsonb[] := '{}';
	r record;
	answer jsonb;
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
		-- appended in place (an expanded array), not copied per experiment
		list := list || jsonb_build_object('experiment', r.experiment,
			'variant', CASE WHEN ordinal = 0 THEN 'false'::jsonb ELSE to_jsonb(variant) END);
	END LOOP;
	RETURN experiments_internal.respond(200, jsonb_build_object('experiment_list', to_jsonb(list)),
		experiments_internal.status_warning($1));
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.api_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.experiment_status(jsonb) IS
'POST /rpc/experiment_status (Data Cortex POST /<org>/1/experiment_status; the key names the organization): the body is the request, {"api_key", "app_ver", "user_tag", "device_tag", "device_type", "os", "os_ver", "browser", "browser_ver", "country", "language", "new_gate_list"}, every field a string but new_gate_list, a list of strings. Required: api_key (a client key), app_ver (at most 16 characters), device_tag (at most 62), device_type, os, os_ver (at most 16 each). Optional (null or "" is absent): user_tag (cross-device id: when given it is the unit, so a person gets the same variants on every device; at most 640 bytes), browser, browser_ver (at most 16), country (two uppercase letters, ISO 3166-1 alpha-2), language (two lowercase letters, ISO 639-1), new_gate_list (gate names crossed: an experiment with a gate is entered only when its gate arrives here, and from then on is always returned). Enrols the device (or the person) in every running experiment it is eligible for, the fields but api_key and the tags being audience attributes, and answers {"experiment_list": [{"experiment": name, "variant": name}, ...]} in name order, variant false for the control group (ordinal 0). Unknown keys are ignored and named in a Warning header. 400 for a missing or malformed field, 403 for a key that is not valid or not a client key; both with the body {"status", "message"}.';
ALTER FUNCTION experiments_api.experiment_status(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.experiment_status(jsonb) TO experiments_client;
