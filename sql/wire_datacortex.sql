-- Data Cortex POST /<org>/1/experiment_status (the Data Cortex document,
-- /work/shared/seeds/003) over HTTP as PostgREST serves it: the request a
-- client of the original API sends here (POST /rpc/experiment_status, the
-- key in the body), the seed's sample answer replayed verbatim, its statuses
-- and headers, and every rule of a field at its limit and one past it.
-- Each row prints as_documented, the comparison with the seed; the bodies
-- are printed for a reader.
\i sql/helpers/http.sql
-- <org>, the organization short name, is the tenant the key belongs to.
SELECT experiments.create_tenant('acme') AS acme \gset
SELECT experiments.create_api_key(:'acme', 'ios') AS key \gset
SELECT experiments.create_api_key(:'acme', 'ops', 'admin') AS admin_key \gset
SELECT experiments.create_api_key(:'acme', 'bi', 'analyst') AS analyst_key \gset
SELECT experiments.create_api_key(:'acme', 'old') AS revoked_key \gset
SELECT experiments.revoke_api_key(id) FROM experiments.api_keys WHERE tenant_id = :'acme' AND application = 'old';
-- The seed's three experiments: everyone in blue_background, in the control
-- group of game_feature_2, in extra_energy.
BEGIN;
SELECT experiments.set_tenant(:'acme') \g /dev/null
SELECT key FROM experiments.create_experiment('game_feature_1',
	'[{"key": "control", "allocation": 0}, {"key": "blue_background", "allocation": 100}]', start => true);
SELECT key FROM experiments.create_experiment('game_feature_2',
	'[{"key": "control", "allocation": 100}, {"key": "red_background", "allocation": 0}]', start => true);
SELECT key FROM experiments.create_experiment('game_feature_3',
	'[{"key": "control", "allocation": 0}, {"key": "extra_energy", "allocation": 100}]', start => true);
COMMIT;

-- Every header of an answer, with its status line (pg_temp.http shows only
-- some headers): curl, the way a client sees them.
CREATE TEMP TABLE raw_answer (line text);
CREATE FUNCTION pg_temp.answer_headers(request_body text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE raw_answer;
	EXECUTE format('COPY raw_answer FROM PROGRAM %L WITH (FORMAT csv, QUOTE %L, DELIMITER %L)',
		format('curl -s -o /dev/null -D - -X POST -H %s --data-binary %s %s',
			pg_temp.shell_word('Content-Type: application/json'), pg_temp.shell_word(request_body),
			pg_temp.shell_word((SELECT substring(c.command FROM 'PGRST_URL=(\S+)') FROM http_client c) || '/rpc/experiment_status')),
		e'\x01', e'\x02');
	RETURN (SELECT jsonb_object_agg(CASE WHEN line LIKE 'HTTP/%' THEN 'status line' ELSE lower(split_part(line, ':', 1)) END,
									CASE WHEN line LIKE 'HTTP/%' THEN line ELSE btrim(substr(line, strpos(line, ':') + 1)) END)
			FROM (SELECT rtrim(line, e'\r') AS line FROM raw_answer) a WHERE line <> '');
END;
$$;

-- The request of the seed's "Request Parameters", with its examples: every
-- field, as a string (new_gate_list a list of strings).
SELECT jsonb_build_object('api_key', :'key', 'app_ver', '1.2.0', 'user_tag', 'fb-1000123', 'device_tag', 'idfa-0001',
	'device_type', 'iphone5s', 'os', 'ios', 'os_ver', '8.1', 'browser', 'safari', 'browser_ver', '8.0',
	'country', 'US', 'language', 'en', 'new_gate_list', '[]'::jsonb) AS request \gset
-- The seed's sample answer, verbatim.
SELECT $seed$ {
  "experiment_list": [
    { 
      "experiment": "game_feature_1",
      "variant": "blue_background"
    },
    { 
      "experiment": "game_feature_2",
      "variant": false
    },
    { 
      "experiment": "game_feature_3",
      "variant": "extra_energy"
    }
  ]
 }$seed$ AS seed_answer \gset

-- 1. Success: "HTTP/1.1 200 OK", Content-Type: application/json, a Date, and
-- the sample answer (false for the control group).
SELECT status, status = 200 AND body = :'seed_answer'::jsonb AS as_documented, body
FROM pg_temp.http('POST', '/rpc/experiment_status', '{}', :'request');
SELECT h ->> 'status line' AS status_line, h ->> 'content-type' AS content_type,
	   h ->> 'status line' = 'HTTP/1.1 200 OK' AND h ->> 'content-type' LIKE 'application/json%' AND h ? 'date' AS as_documented,
	   (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(h) k) AS headers
FROM pg_temp.answer_headers(:'request') h;
-- Only the required fields; the answer is the same (the device is enrolled).
SELECT status, status = 200 AND body = :'seed_answer'::jsonb AS as_documented
FROM pg_temp.http('POST', '/rpc/experiment_status', '{}',
	(:'request'::jsonb - ARRAY['user_tag', 'browser', 'browser_ver', 'country', 'language', 'new_gate_list'])::text);
-- The seed's path cannot be served by PostgREST: 404, the request goes to /rpc/experiment_status.
SELECT status, body FROM pg_temp.http('POST', '/acme/1/experiment_status', '{}', :'request');

-- 2. Every field: missing, null or empty, of another JSON type, at its limit
-- and one past it. "400 Bad Request" for missing fields and invalid data
-- types; the body is {"status", "message"}.
CREATE TEMP TABLE cases (n serial, name text, request jsonb, documented integer);
INSERT INTO cases (name, request, documented)
SELECT 'missing ' || f, :'request'::jsonb - f, 400
FROM unnest(ARRAY['api_key', 'app_ver', 'device_tag', 'device_type', 'os', 'os_ver']) f
UNION ALL
SELECT 'null ' || f, :'request'::jsonb || jsonb_build_object(f, NULL), 400
FROM unnest(ARRAY['api_key', 'app_ver', 'device_tag', 'device_type', 'os', 'os_ver']) f
UNION ALL
SELECT 'empty ' || f, :'request'::jsonb || jsonb_build_object(f, ''), 400
FROM unnest(ARRAY['api_key', 'app_ver', 'device_tag', 'device_type', 'os', 'os_ver']) f
UNION ALL
SELECT 'number ' || f, :'request'::jsonb || jsonb_build_object(f, 1), 400
FROM unnest(ARRAY['api_key', 'app_ver', 'user_tag', 'device_tag', 'device_type', 'os', 'os_ver',
				  'browser', 'browser_ver', 'country', 'language']) f
UNION ALL
SELECT v.name, :'request'::jsonb || v.change, v.documented
FROM (VALUES ('boolean os', '{"os": true}'::jsonb, 400),
			 ('object os_ver', '{"os_ver": {"major": 8}}', 400),
			 ('list app_ver', '{"app_ver": ["1.2.0"]}', 400),
			 ('optional fields null', '{"user_tag": null, "browser": null, "browser_ver": null, "country": null, "language": null, "new_gate_list": null}', 200),
			 ('optional fields empty', '{"user_tag": "", "browser": "", "browser_ver": "", "country": "", "language": ""}', 200),
			 ('new_gate_list a string', '{"new_gate_list": "level_5"}', 400),
			 ('new_gate_list of numbers', '{"new_gate_list": [5]}', 400),
			 ('new_gate_list an object', '{"new_gate_list": {"level_5": true}}', 400),
			 ('new_gate_list of strings', '{"new_gate_list": ["level_5", "level_6"]}', 200),
			 ('country US', '{"country": "US"}', 200),
			 ('country USA', '{"country": "USA"}', 400),
			 ('country us', '{"country": "us"}', 400),
			 ('country U', '{"country": "U"}', 400),
			 ('language en', '{"language": "en"}', 200),
			 ('language eng', '{"language": "eng"}', 400),
			 ('language EN', '{"language": "EN"}', 400),
			 ('language e', '{"language": "e"}', 400)) AS v(name, change, documented)
UNION ALL
-- Characters, not bytes: é is two bytes in UTF-8.
SELECT format('%s of %s characters %s', f.name, n.l, f.c), :'request'::jsonb || jsonb_build_object(f.name, repeat(f.c, n.l)),
	   CASE WHEN n.l > f.max THEN 400 ELSE 200 END
FROM (VALUES ('app_ver', 16, '9'), ('device_type', 16, '9'), ('os', 16, '9'), ('os_ver', 16, '9'), ('browser', 16, '9'),
			 ('browser_ver', 16, '9'), ('device_tag', 62, 'd'), ('app_ver', 16, 'é'), ('device_tag', 62, 'é')) AS f(name, max, c),
	 LATERAL (VALUES (f.max), (f.max + 1)) AS n(l)
UNION ALL
-- user_tag has no limit in the seed; a unit id here is at most 640 bytes.
SELECT format('user_tag of %s bytes', l), :'request'::jsonb || jsonb_build_object('user_tag', repeat('u', l)),
	   CASE WHEN l > 640 THEN 400 ELSE 200 END
FROM (VALUES (640), (641)) AS n(l);
SELECT c.name, h.status, h.status = c.documented AS as_documented,
	   CASE WHEN h.status = 200 THEN h.body = :'seed_answer'::jsonb ELSE h.body = jsonb_build_object('status', h.status, 'message', h.body ->> 'message') END AS body_ok,
	   h.body ->> 'message' AS message
FROM cases c, pg_temp.http('POST', '/rpc/experiment_status', '{}', c.request::text) h
ORDER BY c.n;
-- The error's headers: "HTTP/1.1 400 Bad Request", as JSON.
SELECT h ->> 'status line' AS status_line, h ->> 'content-type' AS content_type,
	   h ->> 'status line' = 'HTTP/1.1 400 Bad Request' AND h ->> 'content-type' LIKE 'application/json%' AS as_documented
FROM pg_temp.answer_headers((:'request'::jsonb || '{"app_ver": 1.2}')::text) h;
-- The body itself: an object, not a list of them, nor a scalar; JSON that
-- does not parse and an empty body are PostgREST's 400 (before the function).
SELECT b.name, h.status, h.status = 400 AS as_documented, h.body
FROM (VALUES (1, 'empty list', '[]'), (2, 'list of the request', '[' || :'request' || ']'), (3, 'string', '"acme"'),
			 (4, 'null', 'null'), (5, 'not JSON', '{"api_key": '), (6, 'empty', '')) AS b(n, name, request),
	 pg_temp.http('POST', '/rpc/experiment_status', '{}', b.request) h
ORDER BY b.n;

-- 3. "403 Forbidden" for a bad API key: unknown, revoked, or not a client
-- key (an application's key serves; an operator's or analyst's does not).
SELECT k.name, h.status, h.status = 403 AS as_documented, h.body
FROM (VALUES (1, 'unknown', 'xk_' || repeat('0', 64)), (2, 'revoked', :'revoked_key'),
			 (3, 'admin', :'admin_key'), (4, 'analyst', :'analyst_key')) AS k(n, name, api_key),
	 pg_temp.http('POST', '/rpc/experiment_status', '{}', (:'request'::jsonb || jsonb_build_object('api_key', k.api_key))::text) h
ORDER BY k.n;
SELECT h ->> 'status line' AS status_line, h ->> 'content-type' AS content_type,
	   h ->> 'status line' = 'HTTP/1.1 403 Forbidden' AND h ->> 'content-type' LIKE 'application/json%' AS as_documented
FROM pg_temp.answer_headers((:'request'::jsonb || '{"api_key": "xk_bad"}')::text) h;
-- The key belongs in the body: in the x-api-key header alone, the body lacks
-- a required field (400).
SELECT status, status = 400 AS as_documented, body
FROM pg_temp.http('POST', '/rpc/experiment_status', jsonb_build_object('x-api-key', :'key'), (:'request'::jsonb - 'api_key')::text);
-- A refused request enrols nothing: a person refused for a bad key, then
-- for a bad field, has no enrolment.
SELECT h.status, h.status = r.documented AS as_documented
FROM (VALUES (1, '{"api_key": "xk_bad"}'::jsonb, 403), (2, '{"country": "USA"}', 400)) AS r(n, change, documented),
	 pg_temp.http('POST', '/rpc/experiment_status', '{}', (:'request'::jsonb || '{"user_tag": "refused-person"}' || r.change)::text) h
ORDER BY r.n;
SELECT count(*) AS refused_enrolments FROM experiments.enrolments WHERE tenant_id = :'acme' AND unit = 'refused-person';

-- 4. Keys the seed does not define are tolerated (the seed says nothing of
-- them), and named in a Warning header; another spelling of a field is such a
-- key, and the field itself is then missing.
SELECT h ->> 'status line' AS status_line, h ->> 'warning' AS warning, h ->> 'status line' = 'HTTP/1.1 200 OK' AS as_documented
FROM pg_temp.answer_headers((:'request'::jsonb || '{"sdk": "dc-ios 2.1", "Country": "FR", "quote\"d": 1}')::text) h;
SELECT status, status = 200 AND body = :'seed_answer'::jsonb AS as_documented
FROM pg_temp.http('POST', '/rpc/experiment_status', '{}', (:'request'::jsonb || '{"sdk": "dc-ios 2.1"}')::text);
SELECT status, status = 400 AS as_documented, body
FROM pg_temp.http('POST', '/rpc/experiment_status', '{}', (:'request'::jsonb - 'app_ver' || '{"appVer": "1.2.0"}')::text);
SELECT h ->> 'warning' AS no_warning FROM pg_temp.answer_headers(:'request') h;
