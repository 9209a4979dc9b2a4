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
