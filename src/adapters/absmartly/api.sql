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
-- the request's work rolled back with the block on an error. The body is
-- json, not jsonb: PostgREST passes it to a lone unnamed json parameter
-- checked for syntax only, and publish_answer() refuses an oversized one on
-- its length before jsonb is built (docs/http-api.md).
CREATE FUNCTION experiments_api.context_batch(json)
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
COMMENT ON FUNCTION experiments_api.context_batch(json) IS
'POST /rpc/context_batch (ABsmartly PUT /context/batch; PostgREST serves functions with POST only): the body is the batch itself, {"requests": [{units, exposures, goals, attributes, hashed, historic, publishedAt}, ...]}, with the key in X-API-Key. Stores the valid events, records the refused ones in rejected_events and answers 200 {"ok", "warnings", "errors"}; sending the same batch again stores nothing twice. 400 with {"ok": false, "warnings": [], "errors": [...]} when the batch breaks the seed''s schema (1 to 500 requests; units required, non-empty, uids of 1 to 640 characters; at most 128 exposures a request), 413 likewise over a size setting (experiments.max_events_per_request, experiments.max_batch_size, checked on the body''s length before it is parsed into jsonb, experiments.max_request_rows, experiments.max_request_bytes); 401 and 403 as {"code", "message"}.';
ALTER FUNCTION experiments_api.context_batch(json) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.context_batch(json) TO experiments_client;
