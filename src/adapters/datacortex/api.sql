-- experiments: the Data Cortex endpoint (the Data Cortex document) in schema
-- experiments_api: experiment_status, which enrols a device (or a person) in
-- every running experiment it is eligible for and lists its variants. It is
-- followed by its owner and by the GRANT that says which role may call it
-- (docs/http-api.md).

-- The format checks of experiment_status, one call per field, each with
-- the message the API gives for it.
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

-- Data Cortex POST /<org>/1/experiment_status: PL/pgSQL over assign_all() and
-- enrol(); the key comes in the body, so the function authenticates itself.
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
ALTER FUNCTION experiments_api.experiment_status(text, text, text, text, text, text, text, text, text, text, text, jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.experiment_status(text, text, text, text, text, text, text, text, text, text, text, jsonb) TO experiments_client;
