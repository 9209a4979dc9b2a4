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

-- The APIs whose errors are {"status", "message"} (Data Cortex and the
-- draft/published API) answer an error their endpoint caught at the top
-- level, its work rolled back with the endpoint's block: one rule for both.
CREATE FUNCTION experiments_internal.api_error_answer(state text, message text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.respond(s.status, jsonb_build_object('status', s.status, 'message', message))
	FROM (SELECT CASE WHEN state ~ '^PT[45][0-9][0-9]$' THEN substr(state, 3)::integer
					  WHEN state IN ('22023', '23514') THEN 400 END AS status) AS s
	WHERE s.status IS NOT NULL;
$$;
COMMENT ON FUNCTION experiments_internal.api_error_answer(text, text) IS
'The answer of a Data Cortex or draft/published endpoint to an error it caught: the status of a PT<status> error (or 400 for a value a rule of the catalog refused, SQLSTATE 22023 or 23514) as response.status, and {"status", "message"} as the document; NULL for any other error, which the endpoint raises again.';

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
