-- Shared by the HTTP API tests (\i sql/helpers/http.sql). Replays what
-- PostgREST does for one request, in the caller's transaction: switch to the
-- request's role, publish the request's headers, JWT claims and path as
-- settings, run the pre-request function, then the call. Reports the HTTP
-- status PostgREST would answer and the body: the function's JSON, or the
-- error's code and message. The caller's role is restored afterwards. Status mapping: PTnnn is nnn; 42501 is 401 for
-- the anonymous role and 403 for the others; 23503 and 23505 are 409;
-- 42883 is 404; other SQLSTATEs of classes 22, 23, 42 and P0 are 400; the
-- rest 500 (PostgREST's errors reference, for the codes these tests meet).
CREATE FUNCTION pg_temp.http(role text, headers jsonb, call text, claims jsonb DEFAULT NULL,
							 path text DEFAULT NULL, OUT status integer, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	state text;
	message text;
BEGIN
	PERFORM set_config('role', role, true);
	PERFORM set_config('request.headers', coalesce(headers, '{}')::text, true);
	PERFORM set_config('request.jwt.claims', coalesce(claims, jsonb_build_object('role', role))::text, true);
	PERFORM set_config('request.path', coalesce(path, '/rpc/' || substring(call FROM 'experiments_api\.(\w+)')), true);
	PERFORM set_config('response.status', '', true);
	PERFORM experiments.authenticate_request();
	EXECUTE call INTO body;
	status := coalesce(nullif(current_setting('response.status', true), '')::integer, 200);
	-- Back to the caller's role and no tenant, for the rest of the statement.
	PERFORM set_config('role', 'none', true);
	PERFORM set_config('experiments.tenant', '', true);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
	status := CASE
		WHEN state LIKE 'PT%' THEN substr(state, 3)::integer
		WHEN state = '42501' THEN CASE WHEN role = 'experiments_anon' THEN 401 ELSE 403 END
		WHEN state IN ('23503', '23505') THEN 409
		WHEN state = '42883' THEN 404
		WHEN left(state, 2) IN ('22', '23', '42', 'P0') THEN 400
		ELSE 500 END;
	body := jsonb_build_object('code', state, 'message', message);
END;
$$;
