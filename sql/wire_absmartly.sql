-- ABsmartly's PUT /context/batch over HTTP (the ABsmartly document), as a
-- client of the collector sees it through PostgREST: POST /rpc/context_batch
-- with the seed's headers and body. The seed's samples replayed, its 200 and
-- 400 documents, every limit at the boundary and one past it, 401 and 403 in
-- the seed's default error, and nothing stored by a refused batch. Each
-- answer is compared with the document's (as_documented, same_shape), and
-- shown for a reader.
\i sql/helpers/http.sql
SELECT experiments.create_tenant('wire_absmartly') AS tenant \gset
SELECT experiments.create_api_key(:'tenant', 'shop') AS client \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin') AS admin \gset
SELECT experiments.create_api_key(:'tenant', 'bi', 'analyst') AS analyst \gset
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT id AS exp_id FROM experiments.create_experiment('exp_banner_color',
	'[{"key": "control", "allocation": 50}, {"key": "blue", "allocation": 50}]', start => true) \gset
COMMIT;
-- The seed's samples are from December 2020: let the experiment have started
-- before them (triggers off for this one update, then a normal update so that
-- every session's cache sees the change).
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE experiments.experiments SET started_at = '2020-12-01T00:00:00Z' WHERE id = :exp_id;
COMMIT;
UPDATE experiments.experiments SET description = 'wire test' WHERE id = :exp_id;
SET TimeZone = 'UTC';

-- The seed's header parameters as an ABsmartly SDK sends them, with the key.
CREATE TEMP TABLE sdk AS SELECT jsonb_build_object('X-API-Key', :'client', 'X-Agent', 'absmartly-javascript-sdk',
	'X-Environment', 'production', 'X-Application', 'website', 'X-Application-Version', '1000000',
	'Content-Type', 'application/json') AS headers;
-- PUT /context/batch as it is served here: POST /rpc/context_batch, the
-- body the batch, the headers the SDK's (or others' when given).
CREATE FUNCTION pg_temp.batch(body jsonb, request_headers jsonb DEFAULT NULL,
							  OUT status integer, OUT body jsonb, OUT headers jsonb)
LANGUAGE sql AS $$
	SELECT * FROM pg_temp.http('POST', '/rpc/context_batch', coalesce(request_headers, (SELECT headers FROM sdk)), body::text)
$$;
-- What a document looks like: its keys, nesting and JSON types, values left
-- out (an array by the shapes of its elements).
CREATE FUNCTION pg_temp.shape(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	RETURN CASE jsonb_typeof(doc)
		WHEN 'object' THEN (SELECT coalesce(jsonb_object_agg(key, pg_temp.shape(value)), '{}') FROM jsonb_each(doc))
		WHEN 'array' THEN (SELECT coalesce(jsonb_agg(DISTINCT pg_temp.shape(value)), '[]') FROM jsonb_array_elements(doc))
		ELSE to_jsonb(jsonb_typeof(doc)) END;
END;
$$;
-- The seed's example answer, the same for 200 and 400 (verbatim).
CREATE TEMP TABLE seed_answer AS SELECT $${
"ok": true,
"warnings": [
{
"batchIndex": 0,
"eventIndex": 0,
"subject": "string",
"message": "string"
}
],
"errors": [
{
"batchIndex": 0,
"eventIndex": 0,
"subject": "string",
"message": "string"
}
]
}$$::jsonb AS doc;
-- The seed's default error example (verbatim).
CREATE TEMP TABLE seed_error AS SELECT $${
"code": 0,
"message": "string"
}$$::jsonb AS doc;
CREATE TEMP VIEW stored AS
SELECT (SELECT count(*) FROM experiments.exposures WHERE tenant_id = :'tenant') AS exposures,
	   (SELECT count(*) FROM experiments.goal_events WHERE tenant_id = :'tenant') AS goals,
	   (SELECT count(*) FROM experiments.attribute_events WHERE tenant_id = :'tenant') AS attributes,
	   (SELECT count(*) FROM experiments.rejected_events WHERE tenant_id = :'tenant') AS rejected,
	   (SELECT count(*) FROM experiments.published_batches WHERE tenant_id = :'tenant') AS batches;

-- 1. The seed's samples, a unit, an exposure, a goal and an attribute, in
-- one request as the document assembles them. They are not JSON as printed
-- (// comments, and no comma after "type": "user_id"): comments dropped and
-- the comma added, every value verbatim. The request's hashed, historic and
-- publishedAt have no sample values: true, true, and a time just after the
-- samples'. The exposure names experiment 3, which in this database is
-- another tenant's: the collector refuses that exposure (200, ok false) and
-- stores the goal and attribute.
CREATE TEMP TABLE samples AS SELECT $$
{"requests": [{
"hashed": true,
"historic": true,
"publishedAt": 1609254179600,
"units": [
{
"type": "user_id",
"uid": "4a42766ca6313d26f49985e799ff4f3790fb86efa0fce46edb3ea8fbf1ea3408"
}
],
"exposures": [
{
"id": 3,
"name": "exp_banner_color",
"unit": "user_id",
"variant": 1,
"exposedAt": 1609244179528,
"assigned": true,
"eligible": true,
"overridden": false,
"fullOn": false,
"custom": false,
"audienceMismatch": false
}
],
"goals": [
{
"name": "banner_click",
"achievedAt": 1609254179528,
"properties": {}
}
],
"attributes": [
{
"name": "age",
"value": 39,
"setAt": 1609244179528
}
]
}]}$$::text AS body;
SELECT h.status, h.headers,
	   h.body = jsonb_build_object('ok', false, 'warnings', '[]'::jsonb, 'errors', jsonb_build_array(jsonb_build_object(
		   'batchIndex', 0, 'eventIndex', 0, 'subject', 'exposures[0]',
		   'message', format('exposures[0].id: experiment "exp_banner_color" has id %s, not 3', :exp_id)))) AS as_documented,
	   pg_temp.shape(h.body) = pg_temp.shape(jsonb_set(seed.doc, '{warnings}', '[]')) AS same_shape
FROM samples, seed_answer seed, pg_temp.http('POST', '/rpc/context_batch', (SELECT headers FROM sdk), samples.body) h;
SELECT * FROM stored;
-- The same samples naming this tenant's experiment by its id: all stored, as
-- sent (the seed's 200 document, with no warning and no error).
SELECT h.status, h.headers, h.body, h.body = '{"ok": true, "warnings": [], "errors": []}' AS as_documented
FROM samples, pg_temp.batch(jsonb_set(samples.body::jsonb, '{requests,0,exposures,0,id}', to_jsonb(:exp_id))) h;
SELECT * FROM stored;
SELECT experiment_id = :exp_id AS same_experiment, ordinal, unit_type, unit, extract(epoch FROM exposed_at) * 1000 AS exposed_ms,
	   assigned, eligible, overridden, full_on, custom, audience_mismatch
FROM experiments.exposures WHERE tenant_id = :'tenant';
SELECT unit, goal, extract(epoch FROM achieved_at) * 1000 AS achieved_ms, properties
FROM experiments.goal_events WHERE tenant_id = :'tenant';
SELECT unit, name, value, extract(epoch FROM set_at) * 1000 AS set_ms
FROM experiments.attribute_events WHERE tenant_id = :'tenant';
-- The same document again (a client's retry): the first answer, nothing
-- stored twice.
SELECT h.status, h.body = '{"ok": true, "warnings": [], "errors": []}' AS as_documented
FROM samples, pg_temp.batch(jsonb_set(samples.body::jsonb, '{requests,0,exposures,0,id}', to_jsonb(:exp_id))) h;
SELECT * FROM stored;

-- 2. The seed's 200 document with warnings and errors: every field,
-- unknown fields ignored with a warning (the batch's, a request's, an
-- event's), a refused event an error; the shape of the seed's example.
SELECT h.status, h.body, pg_temp.shape(h.body) = pg_temp.shape(seed.doc) AS same_shape
FROM seed_answer seed, pg_temp.batch(format($${"requests": [{"units": [{"type": "user_id", "uid": "u-2"}], "publishedAt": %1$s, "sdkVersion": "1.0",
	"exposures": [{"name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": %1$s, "variantName": "control"},
				  {"name": "no_such_experiment", "unit": "user_id", "variant": 0, "exposedAt": %1$s}]}], "client": "x"}$$,
	(extract(epoch FROM now()) * 1000)::bigint)::jsonb) h;

-- Every limit is sent at the boundary and one past it. At the boundary: the
-- answer and what it stored.
CREATE FUNCTION pg_temp.accepted(batch jsonb, OUT status integer, OUT body jsonb,
								 OUT exposures_stored bigint, OUT goals_stored bigint)
LANGUAGE plpgsql AS $$
DECLARE
	before record;
BEGIN
	SELECT * INTO before FROM stored;
	SELECT h.status, h.body INTO status, body FROM pg_temp.batch(batch) h;
	SELECT s.exposures - before.exposures, s.goals - before.goals INTO exposures_stored, goals_stored FROM stored s;
END;
$$;
-- One past it: the answer, whether it is the seed's document at the top
-- level with ok false and this one error, and whether nothing of the batch
-- was stored (the request's work rolled back).
CREATE FUNCTION pg_temp.refused(batch jsonb, error jsonb, request_headers jsonb DEFAULT NULL,
								OUT status integer, OUT headers jsonb, OUT body jsonb,
								OUT as_documented boolean, OUT nothing_stored boolean)
LANGUAGE plpgsql AS $$
DECLARE
	before text := (SELECT s::text FROM stored s);
BEGIN
	SELECT h.status, h.headers, h.body INTO status, headers, body FROM pg_temp.batch(batch, request_headers) h;
	as_documented := body = CASE WHEN error ? 'code' THEN error
								 ELSE jsonb_build_object('ok', false, 'warnings', '[]'::jsonb, 'errors', jsonb_build_array(error)) END;
	nothing_stored := (SELECT s::text FROM stored s) = before;
END;
$$;

-- 3. requests: 1 to 500. One past either limit is the seed's 400, the
-- shape of its example.
CREATE FUNCTION pg_temp.requests(n integer) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('requests', coalesce(jsonb_agg(jsonb_build_object('units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'r-' || n || '-' || i)),
		'publishedAt', 1609254179600, 'historic', true, 'goals', '[{"name": "g", "achievedAt": 1609254179528}]'::jsonb)), '[]'))
	FROM generate_series(1, n) i
$$;
SELECT n AS requests, h.status, h.body, h.goals_stored FROM (VALUES (1), (500)) v(n), pg_temp.accepted(pg_temp.requests(n)) h;
SELECT n AS requests, h.status, h.body, h.as_documented, h.nothing_stored,
	   pg_temp.shape(h.body) = pg_temp.shape(jsonb_set(seed.doc, '{warnings}', '[]')) AS same_shape
FROM (VALUES (0), (501)) v(n), seed_answer seed,
	 pg_temp.refused(pg_temp.requests(n), jsonb_build_object('batchIndex', -1, 'eventIndex', -1, 'subject', 'requests',
		'message', format('a batch must have 1 to 500 requests, not %s', n))) h;
-- The body itself: not an object, no requests, requests not an array. An
-- array, an empty body or text that is not JSON never reach the function:
-- PostgREST answers them, 400 in its own error envelope.
SELECT b.body AS sent, h.status, h.headers, h.body
FROM (VALUES (1, '"batch"'), (2, '{"request": []}'), (3, '{"requests": {"units": []}}'), (4, '[1, 2]'), (5, ''), (6, '{"requests": [')) b(n, body),
	 pg_temp.http('POST', '/rpc/context_batch', (SELECT headers FROM sdk), b.body) h
ORDER BY b.n;

-- 4. exposures: at most 128 a request. 128 are stored; 129 are the seed's
-- 400, naming the request, and nothing of the batch is stored (its first
-- request was valid).
CREATE FUNCTION pg_temp.exposures(n integer) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('requests', jsonb_build_array(
		jsonb_build_object('units', '[{"type": "user_id", "uid": "first"}]'::jsonb, 'publishedAt', 1609254179600, 'historic', true,
			'goals', '[{"name": "g", "achievedAt": 1609254179528}]'::jsonb),
		jsonb_build_object('units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'x-' || n)), 'publishedAt', 1609254179600, 'historic', true,
			'exposures', (SELECT jsonb_agg(jsonb_build_object('name', 'exp_banner_color', 'unit', 'user_id', 'variant', i % 2, 'exposedAt', 1609244179528 + i))
						  FROM generate_series(1, n) i))))
$$;
SELECT * FROM pg_temp.accepted(pg_temp.exposures(128));
SELECT status, body, as_documented, nothing_stored FROM pg_temp.refused(pg_temp.exposures(129),
	'{"batchIndex": 1, "eventIndex": -1, "subject": "exposures", "message": "request 1 of the batch has 129 exposures; a request carries at most 128"}');

-- 5. units: required, non-empty, each uid of 1 to 640 characters. A uid of
-- 1 and of 640 characters is stored; missing units, no unit, a uid of 0 or
-- 641 characters are the seed's 400 (the seed's message: what is wrong,
-- where).
CREATE FUNCTION pg_temp.units(units jsonb) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('requests', jsonb_build_array(jsonb_strip_nulls(jsonb_build_object('units', units,
		'publishedAt', 1609254179600, 'historic', true, 'goals', '[{"name": "g", "achievedAt": 1609254179528}]'::jsonb))))
$$;
SELECT length(u.uid) AS uid_length, h.status, h.body, h.goals_stored
FROM (VALUES ('u'), (repeat('v', 640))) u(uid),
	 pg_temp.accepted(pg_temp.units(jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', u.uid)))) h;
SELECT max(length(unit)) AS longest_uid FROM experiments.goal_events WHERE tenant_id = :'tenant';
SELECT c.sent, h.status, h.body, h.as_documented, h.nothing_stored
FROM (VALUES (1, 'no units', NULL::jsonb,
			  '{"batchIndex": 0, "eventIndex": -1, "subject": "units", "message": "request 0 of the batch: units is missing"}'::jsonb),
			 (2, 'units []', '[]',
			  '{"batchIndex": 0, "eventIndex": -1, "subject": "units", "message": "request 0 of the batch: units must be a non-empty array"}'),
			 (3, 'uid ""', '[{"type": "user_id", "uid": ""}]',
			  '{"batchIndex": 0, "eventIndex": 0, "subject": "units[0]", "message": "request 0 of the batch: units[0].uid must not be empty"}'),
			 (4, 'uid of 641 characters', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', repeat('v', 641))),
			  '{"batchIndex": 0, "eventIndex": 0, "subject": "units[0]", "message": "request 0 of the batch: units[0].uid is 641 characters long; the limit is 640"}')
	 ) c(n, sent, units, error),
	 pg_temp.refused(pg_temp.units(c.units), c.error) h
ORDER BY c.n;

-- 6. Over a size setting, 413 with the same document: a request of 1,001
-- goals (experiments.max_events_per_request is 1,000; 1,000 are stored).
CREATE FUNCTION pg_temp.goals(n integer) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('requests', jsonb_build_array(jsonb_build_object('units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'g-' || n)),
		'publishedAt', 1609254179600, 'historic', true,
		'goals', (SELECT jsonb_agg(jsonb_build_object('name', 'g', 'achievedAt', 1609254179528)) FROM generate_series(1, n)))))
$$;
SELECT * FROM pg_temp.accepted(pg_temp.goals(1000));
SELECT status, body, as_documented, nothing_stored FROM pg_temp.refused(pg_temp.goals(1001),
	'{"batchIndex": 0, "eventIndex": -1, "subject": "goals", "message": "request 0 of the batch has 1001 goals, more than experiments.max_events_per_request (1000)"}');
-- A small body that would write many rows: goals are stored once per unit,
-- so 200 units and 600 goals (under every per-array cap) would be 120,000
-- rows, over experiments.max_request_rows (100,000): 413, counted from the
-- shape before any event is read, and nothing stored.
SELECT status, body, as_documented, nothing_stored FROM pg_temp.refused(
	jsonb_build_object('requests', jsonb_build_array(jsonb_build_object(
		'units', (SELECT jsonb_agg(jsonb_build_object('type', 't' || u, 'uid', 'a')) FROM generate_series(1, 200) u),
		'publishedAt', 1609254179600, 'historic', true,
		'goals', (SELECT jsonb_agg(jsonb_build_object('name', 'g', 'achievedAt', 1609254179528)) FROM generate_series(1, 600))))),
	'{"batchIndex": -1, "eventIndex": -1, "subject": "batch", "message": "the batch would write up to 120001 rows, more than experiments.max_request_rows (100000)"}');
-- experiments.max_batch_size (16 MB of JSON text) is over the 10 MB body the
-- harness takes: the endpoint's refusal, PT413 with the document, shown from
-- SQL with the cap lowered.
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SET LOCAL experiments.max_batch_size = '1kB';
DO $$
DECLARE
	state text;
	detail text;
BEGIN
	PERFORM experiments_internal.publish_answer(pg_temp.goals(100)::json);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL;
	RAISE NOTICE '% %', state, regexp_replace(detail, 'is [0-9]+ bytes', 'is <n> bytes');
END;
$$;
ROLLBACK;

-- 7. Who may publish: a client key. Without a key, or with a bad one, 401;
-- with another role's key, 403; both in the seed's default error
-- {code, message}, the HTTP status as code (the shape of its example).
SELECT c.who, h.status, h.headers, h.body, h.as_documented AND pg_temp.shape(h.body) = pg_temp.shape(seed.doc) AS as_documented,
	   h.nothing_stored
FROM (VALUES (1, 'no key', '{}'::jsonb, 401, 'The request carries no credentials. Send your API key in the x-api-key header, or a token with a tenant claim in the Authorization header.'),
			 (2, 'bad key', '{"X-API-Key": "xk_not_a_key"}', 401, 'The API key is not valid. Check the key your administrator gave you; a revoked key stays invalid.'),
			 (3, 'admin key', jsonb_build_object('X-API-Key', :'admin'), 403, 'The request''s credentials (role admin) may not call this endpoint. Use a key (or a token) of the role it is for.'),
			 (4, 'analyst key', jsonb_build_object('X-API-Key', :'analyst'), 403, 'The request''s credentials (role analyst) may not call this endpoint. Use a key (or a token) of the role it is for.')
	 ) c(n, who, headers, code, message),
	 seed_error seed, pg_temp.refused(pg_temp.requests(1), jsonb_build_object('code', c.code, 'message', c.message), c.headers) h
ORDER BY c.n;

-- 8. The seed's method and path: PostgREST serves functions on /rpc/ with
-- POST (and GET) only; PUT is PostgREST's 405, and /context/batch is no path.
SELECT h.status, h.body FROM pg_temp.http('PUT', '/rpc/context_batch', (SELECT headers FROM sdk), pg_temp.requests(1)::text) h;
SELECT h.status, h.body FROM pg_temp.http('PUT', '/context/batch', (SELECT headers FROM sdk), pg_temp.requests(1)::text) h;
