-- experiments: the ABsmartly endpoint (the ABsmartly document) in schema
-- experiments_api: context_batch, event batches stored by publish()
-- (src/events/publish.c). It is followed by its owner and by the GRANT that
-- says which role may call it (docs/http-api.md).

-- ABsmartly PUT /context/batch: publish() with the status codes of HTTP.
CREATE FUNCTION experiments_api.context_batch(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments.publish($1);
EXCEPTION
	-- PostgREST would answer 500 for a batch over a size limit.
	WHEN program_limit_exceeded THEN
		PERFORM experiments_internal.raise_api_error(413, SQLERRM);
END;
$$;
COMMENT ON FUNCTION experiments_api.context_batch(jsonb) IS
'PUT/POST /rpc/context_batch (ABsmartly PUT /context/batch): the body is the batch itself, {"requests": [{units, exposures, goals, attributes, hashed, historic, publishedAt}, ...]}. Stores the valid events, records the refused ones in rejected_events and answers {"ok", "warnings", "errors"}; sending the same batch again stores nothing twice. 400 (SQLSTATE 22023) when the batch is malformed as a whole (not 1 to 500 requests), 413 when it is over a size limit (too many events in a request, too many bytes).';
ALTER FUNCTION experiments_api.context_batch(jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.context_batch(jsonb) TO experiments_client;
