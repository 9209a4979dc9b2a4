-- Shared by the tests of the A/B test API (\i sql/helpers/fault.sql).
-- Runs a request and shows the fault it raised: the SQLSTATE (PT + HTTP
-- status), the fault type and message from the detail, and whether the
-- error's message and the fault document agree.
CREATE FUNCTION pg_temp.fault(request text, OUT status text, OUT type text, OUT message text, OUT consistent boolean)
LANGUAGE plpgsql AS $$
DECLARE
	detail text;
	errmsg text;
BEGIN
	EXECUTE request;
	status := 'no fault';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS status = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL, errmsg = MESSAGE_TEXT;
	type := detail::jsonb #>> '{fault,type}';
	message := detail::jsonb #>> '{fault,message}';
	consistent := errmsg = message AND detail::jsonb ->> '_v' = '17.8';
END;
$$;
