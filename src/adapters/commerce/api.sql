-- experiments: the Commerce Cloud A/B test endpoints (the Commerce Cloud
-- document) in schema experiments_api: one endpoint per function of
-- src/adapters/commerce/commerce.sql, the path parameters and the document
-- sent as arguments. Each answers as the Data API does: its status (201 and
-- Location for a create, 204 without a body for a delete or a binding), its
-- document, and every fault as the fault document with the fault's status
-- and headers, the request's work rolled back (docs/apis/commerce-cloud.md).
-- Each is followed by its owner and by the GRANT that says which role may
-- call it (docs/http-api.md).

-- The errors an endpoint answers itself rather than PostgREST: its faults,
-- the refusals of authorize(), and values the database refused.
CREATE FUNCTION experiments_internal.commerce_fault_state(state text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT state LIKE 'PT%' OR state LIKE '22%' OR state = '23514';
$$;
COMMENT ON FUNCTION experiments_internal.commerce_fault_state(text) IS
'Whether a Commerce Cloud endpoint answers an error of this SQLSTATE as a fault: PT<status> (its faults, authorize()''s 401 and 403), data exceptions (class 22) and check violations (23514, a value over a column''s limit), both 400.';

-- The fault answer of an endpoint whose block caught an error (its work
-- rolled back): the status and document of the fault, with the headers the
-- Data API sends with every fault.
CREATE FUNCTION experiments_internal.commerce_error_answer(state text, message text, detail text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.respond(
		CASE WHEN state LIKE 'PT%' THEN substr(state, 3)::integer ELSE 400 END,
		CASE
			WHEN state = 'PT401' THEN experiments_internal.commerce_fault_document('InvalidAccessTokenException', message)
			WHEN state = 'PT403' THEN experiments_internal.commerce_fault_document('ClientAccessForbiddenException', message)
			WHEN state LIKE 'PT%' THEN detail::jsonb
			ELSE experiments_internal.commerce_fault_document('InvalidRequestException', message)
		END,
		'{"Cache-Control": "max-age=0,no-cache,no-store,must-revalidate", "Expires": "Thu, 01-Jan-1970 00:00:00 GMT"}');
$$;
COMMENT ON FUNCTION experiments_internal.commerce_error_answer(text, text, text) IS
'Answers a caught error (SQLSTATE, message, detail) as a Commerce Cloud fault: a fault raised by commerce_fault() with its status and document; authorize()''s refusals as InvalidAccessTokenException (401) and ClientAccessForbiddenException (403) with their reason; other errors commerce_fault_state() accepts as InvalidRequestException (400); with the headers Expires and Cache-Control the Data API sends with faults.';

-- Commerce Cloud GET /sites/{site_id}/ab_tests.
CREATE FUNCTION experiments_api.list_ab_tests(site_id text, start integer DEFAULT 0, count integer DEFAULT 25, "select" text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.list_ab_tests(site_id => site_id, start => start, count => count, "select" => "select"));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.list_ab_tests(site_id text, start integer, count integer, "select" text) IS
'POST /rpc/list_ab_tests. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, start, count, select. GET /sites/{site_id}/ab_tests: the ab_test_search_result of a site''s A/B tests in id order, from start (default 0), count of them (default 25, at most 200); select (**) gives whole documents, no select the id and link of each. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.list_ab_tests(site_id text, start integer, count integer, "select" text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.list_ab_tests(site_id text, start integer, count integer, "select" text) TO experiments_admin;

-- Commerce Cloud GET /sites/{site_id}/ab_tests/{id}.
CREATE FUNCTION experiments_api.get_ab_test(site_id text, id text, expand text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.get_ab_test(site_id => site_id, id => id));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.get_ab_test(site_id text, id text, expand text) IS
'POST /rpc/get_ab_test. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, expand (accepted, ignored). GET /sites/{site_id}/ab_tests/{id}: the ab_test document; ABTestNotFoundException (404) when there is none. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.get_ab_test(site_id text, id text, expand text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.get_ab_test(site_id text, id text, expand text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{id}.
CREATE FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	answer := experiments.create_ab_test(site_id => site_id, id => id, body => body);
	RETURN experiments_internal.respond(201, answer, jsonb_build_object('Location', answer ->> 'link'));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb) IS
'POST /rpc/create_ab_test. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, body. PUT /sites/{site_id}/ab_tests/{id}: creates an A/B test from an ab_test document (start_date and end_date required) and returns it (201, Location its link). Faults: IdConflictException, ABTestInvalidDateException, StartAfterEndException, ABTestInvalidEmailException, ABTestInvalidTriggerException, ABTestInvalidPipelineException (400), ABTestDuplicateException (409). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.create_ab_test(site_id text, id text, body jsonb) TO experiments_admin;

-- Commerce Cloud PATCH /sites/{site_id}/ab_tests/{id}.
CREATE FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.update_ab_test(site_id => site_id, id => id, body => body));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb) IS
'POST /rpc/update_ab_test. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, body. PATCH /sites/{site_id}/ab_tests/{id}: changes the properties the ab_test document gives (an id different from the URL''s renames the test) and returns the test. Faults: those of create_ab_test, ABTestNotFoundException (404), ResourceStateConflictException (409) for a stale _resource_state. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.update_ab_test(site_id text, id text, body jsonb) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{id}.
CREATE FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.delete_ab_test(site_id => site_id, id => id, resource_state => resource_state);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text) IS
'POST /rpc/delete_ab_test. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, id, resource_state. DELETE /sites/{site_id}/ab_tests/{id}: deletes an A/B test with its segments and bindings (204). resource_state, like the x-dw-resource-state header, is the test''s _resource_state: a stale one is ResourceStateConflictException (409) and nothing is deleted. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.delete_ab_test(site_id text, id text, resource_state text) TO experiments_admin;

-- Commerce Cloud GET /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}.
CREATE FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text, expand text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.get_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text, expand text) IS
'POST /rpc/get_ab_test_segment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, expand (accepted, ignored). GET /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: the ab_test_segment document. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text, expand text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.get_ab_test_segment(site_id text, ab_test_id text, segment_id text, expand text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}.
CREATE FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	answer := experiments.create_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, body => body);
	RETURN experiments_internal.respond(201, answer, jsonb_build_object('Location', answer ->> 'link'));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) IS
'POST /rpc/create_ab_test_segment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, body. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: adds a segment (variant) after the existing ones and returns it (201, Location its link). Faults: IdConflictException (400), ABTestNotFoundException (404), ResourceAlreadyExistsException (409), ABTestSegmentAllocationException (400) on a started test. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) TO experiments_admin;

-- Commerce Cloud PATCH /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}.
CREATE FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.update_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, body => body));
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) IS
'POST /rpc/update_ab_test_segment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, body. PATCH /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: changes the properties given and returns the segment. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404), ResourceStateConflictException (409), ABTestSegmentAllocationException (400) on a started test. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.update_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}.
CREATE FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.delete_ab_test_segment(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, resource_state => resource_state);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text) IS
'POST /rpc/delete_ab_test_segment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, resource_state. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: removes a segment and its bindings (204). resource_state, like the x-dw-resource-state header, is the test''s _resource_state. Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404), ResourceStateConflictException (409) for a stale one, ABTestSegmentAllocationException (400) on a started test. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text, resource_state text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}.
CREATE FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.bind_ab_test_promotion(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, promotion_id => promotion_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) IS
'POST /rpc/bind_ab_test_promotion. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, promotion_id. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}: the segment applies the promotion (204). Faults: SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, PromotionNotFoundException (404). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.bind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}.
CREATE FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.unbind_ab_test_promotion(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, promotion_id => promotion_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) IS
'POST /rpc/unbind_ab_test_promotion. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, promotion_id. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/promotions/{promotion_id}: the segment no longer applies the promotion (204). Faults as for binding. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.unbind_ab_test_promotion(site_id text, ab_test_id text, segment_id text, promotion_id text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=.
CREATE FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.bind_ab_test_slot_configuration(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, slot_id => slot_id, slot_config_id => slot_config_id, context => context);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) IS
'POST /rpc/bind_ab_test_slot_configuration. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, slot_id, slot_config_id, context. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=: the segment shows the slot configuration (204); context is global (the default), category=ID or folder=ID. Faults: InvalidContextTypeException (400), SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, SlotWithContextTypeNotFoundException, SlotConfigurationIdentifierNotFoundException (404). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.bind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=.
CREATE FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.unbind_ab_test_slot_configuration(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, slot_id => slot_id, slot_config_id => slot_config_id, context => context);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) IS
'POST /rpc/unbind_ab_test_slot_configuration. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, slot_id, slot_config_id, context. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/slot_configurations/{slot_id}/{slot_config_id}?context=: the segment no longer shows the slot configuration (204). Faults as for binding. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.unbind_ab_test_slot_configuration(site_id text, ab_test_id text, segment_id text, slot_id text, slot_config_id text, context text) TO experiments_admin;

-- Commerce Cloud PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}.
CREATE FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.bind_ab_test_sorting_rule(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, sorting_rule_id => sorting_rule_id, category_id => category_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) IS
'POST /rpc/bind_ab_test_sorting_rule. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, sorting_rule_id, category_id. PUT /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}: the segment sorts the category with the rule (204); one rule per test and category. Faults: InvalidCategoryException (400), SiteNotFoundException, ABTestNotFoundException, ABTestSegmentNotFoundException, SortingRuleNotFoundException (404), SortingRuleCampaignAssignConflictException (409). Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) TO experiments_admin;

-- Commerce Cloud DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}.
CREATE FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.unbind_ab_test_sorting_rule(site_id => site_id, ab_test_id => ab_test_id, segment_id => segment_id, sorting_rule_id => sorting_rule_id, category_id => category_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	IF NOT experiments_internal.commerce_fault_state(SQLSTATE) THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.commerce_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) IS
'POST /rpc/unbind_ab_test_sorting_rule. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): site_id, ab_test_id, segment_id, sorting_rule_id, category_id. DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}/sorting_rules/{sorting_rule_id}/{category_id}: the segment no longer sorts the category with the rule (204). Faults as for binding, but for the conflict. Every fault is answered as the Data API''s fault document with its status; without valid credentials InvalidAccessTokenException (401), with credentials of another role ClientAccessForbiddenException (403).';
ALTER FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.unbind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text, sorting_rule_id text, category_id text) TO experiments_admin;
