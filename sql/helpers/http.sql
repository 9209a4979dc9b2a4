-- Shared by the HTTP API tests (\i sql/helpers/http.sql): pg_temp.http()
-- sends one HTTP request to the PostgREST harness that test/run started
-- (test/http/pgrst.py), through its client (test/http/request), and answers
-- the status, the body and the headers a client sees. The harness does what
-- PostgREST does: it is logged in as the authenticator over TCP with a
-- password, runs each request in a transaction of its own (role and request
-- settings, the pre-request, the call) and COMMITs with the request's role
-- still in effect. The client runs as a program of the server (COPY FROM
-- PROGRAM; these tests run as a superuser), so a request has committed, or
-- rolled back, before the statement that sent it goes on.
\getenv pgrst_url PGRST_URL
\getenv pgrst_secret PGRST_JWT_SECRET
\getenv cwd PWD
CREATE TEMP TABLE http_client AS
SELECT format('PGRST_URL=%s PGRST_JWT_SECRET=%s %s/test/http/request',
			  :'pgrst_url', :'pgrst_secret', :'cwd') AS command;
CREATE TEMP TABLE http_answer (line text);
-- Every request sent and its status, for tests that check what was covered.
CREATE TEMP TABLE http_log (n serial, method text, path text, status integer);

-- A shell word that stands for the text as it is.
CREATE FUNCTION pg_temp.shell_word(word text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT '''' || replace(word, '''', '''\''''') || ''''
$$;

-- The request: method, path (with its query string), headers, body (sent as
-- it is: JSON text, or anything else), and the claims of a JWT signed with
-- the harness's secret when given.
CREATE FUNCTION pg_temp.http(method text, path text, request_headers jsonb DEFAULT '{}',
							 request_body text DEFAULT NULL, claims jsonb DEFAULT NULL,
							 OUT status integer, OUT body jsonb, OUT headers jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	command text;
	header record;
	answer jsonb;
BEGIN
	SELECT c.command || ' ' || pg_temp.shell_word(method) || ' ' || pg_temp.shell_word(path)
	INTO command FROM http_client c;
	FOR header IN SELECT key, value FROM jsonb_each_text(coalesce(request_headers, '{}')) LOOP
		command := command || ' -H ' || pg_temp.shell_word(header.key || ': ' || header.value);
	END LOOP;
	IF request_body IS NOT NULL THEN
		command := command || ' -d ' || pg_temp.shell_word(request_body);
	END IF;
	IF claims IS NOT NULL THEN
		command := command || ' -t ' || pg_temp.shell_word(claims::text);
	END IF;
	TRUNCATE http_answer;
	-- One line of JSON, taken as it is (no quoting or escapes in this format).
	EXECUTE format('COPY http_answer FROM PROGRAM %L WITH (FORMAT csv, QUOTE %L, DELIMITER %L)',
				   command, e'\x01', e'\x02');
	SELECT a.line::jsonb INTO answer FROM http_answer a;
	status := (answer ->> 'status')::integer;
	body := answer -> 'body';
	headers := answer -> 'headers';
	INSERT INTO http_log (method, path, status) VALUES (http.method, http.path, http.status);
END;
$$;

-- POST /rpc/<fn> with a JSON body and an API key: what most tests send.
CREATE FUNCTION pg_temp.rpc(fn text, api_key text, request_body jsonb DEFAULT '{}',
							OUT status integer, OUT body jsonb, OUT headers jsonb)
LANGUAGE sql AS $$
	SELECT * FROM pg_temp.http('POST', '/rpc/' || fn,
		CASE WHEN api_key IS NULL THEN '{}' ELSE jsonb_build_object('x-api-key', api_key) END,
		request_body::text)
$$;
