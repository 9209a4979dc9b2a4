-- experiments: the AB Tasty endpoints (the AB Tasty document) in schema
-- experiments_api, as PostgREST serves them: visitor ids, allocation and the
-- five server-side events. Each function is followed by its owner and by the
-- GRANT that says which role may call it (docs/http-api.md).

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

-- AB Tasty POST /v1/visitor: an id for a visitor the client has none for.
CREATE FUNCTION experiments_api.visitor()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.authorize();
	SELECT jsonb_build_object('id', experiments_internal.visitor_id());
$$;
COMMENT ON FUNCTION experiments_api.visitor() IS
'POST /rpc/visitor (AB Tasty POST /v1/visitor): a new unique visitor id, {"id": "c0ffee..."}: 20 characters, sortable by creation time, unique across concurrent sessions. No arguments.';
ALTER FUNCTION experiments_api.visitor() OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.visitor() TO experiments_client;

-- Allocation.

-- One rule for a unit argument: allocate calls it for its error, and
-- experiment_status (src/adapters/datacortex/api.sql) for user_tag.
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
CREATE FUNCTION experiments_api.allocate(visitor_id text, campaign_id text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'allocate'
LANGUAGE C STABLE;
COMMENT ON FUNCTION experiments_api.allocate(text, text) IS
'POST /rpc/allocate (AB Tasty POST /v1/allocate). Arguments: visitor_id (string, required, at most 640 bytes): the visitor; campaign_id (string, optional): one campaign. Answers {"allocations": {"<campaign id>": "<variation id>", ...}} for every running campaign of the tenant that gives the visitor a variation (campaign and variation ids are strings); with campaign_id, only that entry plus the deprecated "variation_id" (null, with empty allocations, when the visitor gets no variation). Reads only: enrolments are honoured, none is written. 400 for a missing or too long visitor_id, 404 for an unknown campaign_id. Written in C (src/adapters/abtasty/allocate.c) and not SECURITY DEFINER, so that no search_path is saved and restored per call: it depends on no search_path (every name it uses is schema-qualified) and runs its reads as its owner, as SECURITY DEFINER would.';
ALTER FUNCTION experiments_api.allocate(text, text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.allocate(text, text) TO experiments_client;

-- Events (src/events/events.sql): one wrapper per event function, with its
-- arguments (already the keys of the endpoint's JSON body), result and
-- volatility.

-- AB Tasty POST /v1/campaign_activated_event.
CREATE FUNCTION experiments_api.campaign_activated_event(campaign_id jsonb DEFAULT NULL, variation_id jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.authorize();
	SELECT experiments.campaign_activated_event(campaign_id => campaign_id, variation_id => variation_id, tracking_data => tracking_data);
$$;
COMMENT ON FUNCTION experiments_api.campaign_activated_event(campaign_id jsonb, variation_id jsonb, tracking_data jsonb) IS
'POST /rpc/campaign_activated_event. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): campaign_id, variation_id, tracking_data. AB Tasty POST /v1/campaign_activated_event: a visitor saw a variation of a campaign. Stores the event and enrols the visitor in the variation unless already enrolled (a different variation gets a warning). Answers {} (or {"warnings": [...]}), or {"code", "message"} with response.status set when refused.';
ALTER FUNCTION experiments_api.campaign_activated_event(campaign_id jsonb, variation_id jsonb, tracking_data jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.campaign_activated_event(campaign_id jsonb, variation_id jsonb, tracking_data jsonb) TO experiments_client;

-- AB Tasty POST /v1/action_tracking_event.
CREATE FUNCTION experiments_api.action_tracking_event(name jsonb DEFAULT NULL, type jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL, value_string jsonb DEFAULT NULL, value_integer jsonb DEFAULT NULL, "position" jsonb DEFAULT NULL, resolution jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.authorize();
	SELECT experiments.action_tracking_event(name => name, type => type, tracking_data => tracking_data, value_string => value_string, value_integer => value_integer, "position" => "position", resolution => resolution);
$$;
COMMENT ON FUNCTION experiments_api.action_tracking_event(name jsonb, type jsonb, tracking_data jsonb, value_string jsonb, value_integer jsonb, "position" jsonb, resolution jsonb) IS
'POST /rpc/action_tracking_event. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): name, type, tracking_data, value_string, value_integer, position, resolution. AB Tasty POST /v1/action_tracking_event: a click or touch. Answers like campaign_activated_event().';
ALTER FUNCTION experiments_api.action_tracking_event(name jsonb, type jsonb, tracking_data jsonb, value_string jsonb, value_integer jsonb, "position" jsonb, resolution jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.action_tracking_event(name jsonb, type jsonb, tracking_data jsonb, value_string jsonb, value_integer jsonb, "position" jsonb, resolution jsonb) TO experiments_client;

-- AB Tasty POST /v1/custom_event.
CREATE FUNCTION experiments_api.custom_event(name jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL, value_string jsonb DEFAULT NULL, value_integer jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.authorize();
	SELECT experiments.custom_event(name => name, tracking_data => tracking_data, value_string => value_string, value_integer => value_integer);
$$;
COMMENT ON FUNCTION experiments_api.custom_event(name jsonb, tracking_data jsonb, value_string jsonb, value_integer jsonb) IS
'POST /rpc/custom_event. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): name, tracking_data, value_string, value_integer. AB Tasty POST /v1/custom_event: a business event with an optional value. Answers like campaign_activated_event().';
ALTER FUNCTION experiments_api.custom_event(name jsonb, tracking_data jsonb, value_string jsonb, value_integer jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.custom_event(name jsonb, tracking_data jsonb, value_string jsonb, value_integer jsonb) TO experiments_client;

-- AB Tasty POST /v1/transaction_event.
CREATE FUNCTION experiments_api.transaction_event(name jsonb DEFAULT NULL, id jsonb DEFAULT NULL, revenue jsonb DEFAULT NULL, shipping jsonb DEFAULT NULL, tracking_data jsonb DEFAULT NULL, tax_total jsonb DEFAULT NULL, payment_method jsonb DEFAULT NULL, items_count jsonb DEFAULT NULL, currency jsonb DEFAULT NULL, items jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.authorize();
	SELECT experiments.transaction_event(name => name, id => id, revenue => revenue, shipping => shipping, tracking_data => tracking_data, tax_total => tax_total, payment_method => payment_method, items_count => items_count, currency => currency, items => items);
$$;
COMMENT ON FUNCTION experiments_api.transaction_event(name jsonb, id jsonb, revenue jsonb, shipping jsonb, tracking_data jsonb, tax_total jsonb, payment_method jsonb, items_count jsonb, currency jsonb, items jsonb) IS
'POST /rpc/transaction_event. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): name, id, revenue, shipping, tracking_data, tax_total, payment_method, items_count, currency, items. AB Tasty POST /v1/transaction_event: a purchase and its items, stored together; a transaction id already stored for the tenant is refused. Answers like campaign_activated_event().';
ALTER FUNCTION experiments_api.transaction_event(name jsonb, id jsonb, revenue jsonb, shipping jsonb, tracking_data jsonb, tax_total jsonb, payment_method jsonb, items_count jsonb, currency jsonb, items jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.transaction_event(name jsonb, id jsonb, revenue jsonb, shipping jsonb, tracking_data jsonb, tax_total jsonb, payment_method jsonb, items_count jsonb, currency jsonb, items jsonb) TO experiments_client;

-- AB Tasty POST /v1/visit_event.
CREATE FUNCTION experiments_api.visit_event(tracking_data jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.authorize();
	SELECT experiments.visit_event(tracking_data => tracking_data);
$$;
COMMENT ON FUNCTION experiments_api.visit_event(tracking_data jsonb) IS
'POST /rpc/visit_event. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): tracking_data. AB Tasty POST /v1/visit_event: a page visit. Answers like campaign_activated_event().';
ALTER FUNCTION experiments_api.visit_event(tracking_data jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.visit_event(tracking_data jsonb) TO experiments_client;
