-- The draft/published experiments API over HTTP, as a client of the original
-- API meets it (docs/apis/draft-published.md): every sample body of the
-- document replayed verbatim through the PostgREST harness, every documented
-- status at its boundary and one past it, the limits, refusals answered in
-- the API's document at the top level with the request's work rolled back,
-- and who each change is attributed to. Each answer is compared with what the
-- document (or, for errors, whose body the document leaves open, the
-- {"status", "message"} document the API answers) says: as_documented.
\i sql/helpers/http.sql
-- The document's organization and goal, so that its example compares whole.
INSERT INTO experiments.tenants (id, name, display_name)
VALUES ('aabefa3e-1c8e-4690-99e4-2683c77d4ff0', 'wire-lifecycle', 'Company Inc.');
\set org aabefa3e-1c8e-4690-99e4-2683c77d4ff0
SELECT experiments.create_tenant('wire-lifecycle-other') AS other \gset
CREATE TEMP TABLE creds (who text PRIMARY KEY, headers jsonb, claims jsonb);
INSERT INTO creds VALUES
	('admin', jsonb_build_object('x-api-key', experiments.create_api_key(:'org', 'ops-console', 'admin')), NULL),
	('client', jsonb_build_object('x-api-key', experiments.create_api_key(:'org', 'ios-app')), NULL),
	('analyst', jsonb_build_object('x-api-key', experiments.create_api_key(:'org', 'bi', 'analyst')), NULL),
	('other admin', jsonb_build_object('x-api-key', experiments.create_api_key(:'other', 'ops', 'admin')), NULL),
	('revoked', jsonb_build_object('x-api-key', 'xk_' || repeat('0', 64)), NULL),
	('nobody', '{}', NULL),
	-- the document's user, signed in with a token
	('John Doe', '{}', jsonb_build_object('role', 'experiments_admin', 'tenant', :'org',
		'sub', '97abf1ee-6308-11e7-9d09-00163ec04961', 'name', 'John Doe'));
BEGIN;
SELECT experiments.set_tenant(:'org') \g /dev/null
INSERT INTO experiments.goals (id, key, name) VALUES ('0a534844-869a-11e9-8dcc-27f1dd2d9764', 'reached_checkout', 'Reached checkout page');
INSERT INTO experiments.rooms (id, name) VALUES ('33333333-3333-4333-8333-333333333333', 'Lobby');
COMMIT;
CREATE TEMP VIEW org_experiments AS SELECT * FROM experiments.experiments WHERE tenant_id = :'org';

-- A request of WHO to an endpoint: POST /rpc/<fn> with the JSON text given
-- (GET with the query string for the readers when args starts with ?).
CREATE FUNCTION pg_temp.req(who text, fn text, args text, OUT status integer, OUT body jsonb, OUT headers jsonb)
LANGUAGE sql AS $$
	SELECT h.* FROM creds c,
		pg_temp.http(CASE WHEN args LIKE '?%' THEN 'GET' ELSE 'POST' END,
					 '/rpc/' || fn || CASE WHEN args LIKE '?%' THEN args ELSE '' END,
					 c.headers, CASE WHEN args LIKE '?%' THEN NULL ELSE args END, c.claims) h
	WHERE c.who = req.who
$$;
-- The arguments of a management call: the path parameters and the body
-- (JSON text, put in as it is).
CREATE FUNCTION pg_temp.args(experiment_id text, body text DEFAULT NULL)
RETURNS text LANGUAGE sql AS $$
	SELECT '{"organization_id": "aabefa3e-1c8e-4690-99e4-2683c77d4ff0"'
		|| CASE WHEN experiment_id IS NULL THEN '' ELSE ', "experiment_id": "' || experiment_id || '"' END
		|| CASE WHEN body IS NULL THEN '' ELSE ', "body": ' || body END || '}'
$$;
-- The API's error document.
CREATE FUNCTION pg_temp.api_error(status integer, message text)
RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_build_object('status', status, 'message', message)
$$;

-- The document's samples, as its text has them.
CREATE TEMP TABLE sample (name text PRIMARY KEY, text text NOT NULL);
INSERT INTO sample VALUES
('details', $${
    "is_draft": false,
    "created_at": "2019-02-13T11:31:36.042",
    "created_by_user": {
        "id": "97abf1ee-6308-11e7-9d09-00163ec04961",
        "first_name": "John",
        "last_name": "Doe",
        "full_name": "John Doe",
        "organization_id": "aabefa3e-1c8e-4690-99e4-2683c77d4ff0",
        "is_bot": false
    },
    "created_by_user_id": "97abf1ee-6308-11e7-9d09-00163ec04961",
    "goal_id": "0a534844-869a-11e9-8dcc-27f1dd2d9764",
    "goal": {
        "id": "0a534844-869a-11e9-8dcc-27f1dd2d9764",
        "name": "Reached checkout page",
        "organization": {
            "id": "aabefa3e-1c8e-4690-99e4-2683c77d4ff0",
            "name": "Company Inc."
        },
        "organization_id": "aabefa3e-1c8e-4690-99e4-2683c77d4ff0"
    },
    "groups": [
        {
            "name": "A",
            "percentage": 90,
            "group_type": "control",
            "treatment": {}
        },
        {
            "name": "B",
            "percentage": 10,
            "group_type": "user_defined",
            "treatment": {}
        }
    ],
    "group_reset_interval": "full",
    "name": "Hello experiment",
    "starts_at": "2019-05-08T13:02:35.123Z",
    "ends_at": "2019-05-22T13:02:35.123Z",
    "updated_at": "2019-05-07T11:00:00.000Z",
    "updated_by_user": {
        "id": "97abf1ee-6308-11e7-9d09-00163ec04961",
        "first_name": "John",
        "last_name": "Doe",
        "full_name": "John Doe",
        "organization_id": "aabefa3e-1c8e-4690-99e4-2683c77d4ff0",
        "is_bot": false
    },
    "updated_by_user_id": "97abf1ee-6308-11e7-9d09-00163ec04961"
}$$),
('payload', $${
    "goal_id": "0a534844-869a-11e9-8dcc-27f1dd2d9764",
    "groups": [
        {
            "name": "A",
            "percentage": 90,
            "group_type": "control",
            "treatment": {
                "name": "Rule-A",
                "actions": [],
                "conditions": []
            }
        },
        {
            "name": "B",
            "percentage": 10,
            "group_type": "user_defined",
            "treatment": {
                "name": "Rule-B",
                "actions": [],
                "conditions": []
            }
        },
    ],
    "group_reset_interval": "full",
    "name": "Hello experiment",
    "starts_at": "2019-05-08T13:02:35.123Z",
    "ends_at": "2019-05-22T13:02:35.123Z"
}$$);
-- The payload's one change: the trailing comma that makes it no JSON.
INSERT INTO sample SELECT 'payload as JSON', replace(text, $$        },
    ],$$, $$        }
    ],$$) FROM sample WHERE name = 'payload';
SELECT name, text::jsonb IS NOT NULL AS json FROM sample WHERE name <> 'payload' ORDER BY name;

-- A document as the example shows it: what the server generates (ids, times)
-- compared by form, the groups by what the example shows of them.
CREATE FUNCTION pg_temp.as_example(doc jsonb)
RETURNS jsonb LANGUAGE sql AS $$
	SELECT doc - '{id,organization_id,organization,rooms,room_ids}'::text[]
		|| jsonb_build_object(
			'created_at', doc ->> 'created_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$',
			'updated_at', doc ->> 'updated_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$',
			'groups', (SELECT jsonb_agg(g - '{id,created_at,updated_at,order}'::text[] ORDER BY n)
					   FROM jsonb_array_elements(doc -> 'groups') WITH ORDINALITY AS x(g, n)))
$$;
-- The example with its times as forms and its groups' treatments those the
-- payload sends (the example shows {} where the payload sent rules).
SELECT pg_temp.as_example(s.text::jsonb) || jsonb_build_object(
	'groups', (SELECT jsonb_agg(jsonb_set(g, '{treatment}', p.text::jsonb #> ARRAY['groups', (n - 1)::text, 'treatment']) ORDER BY n)
			   FROM jsonb_array_elements(s.text::jsonb -> 'groups') WITH ORDINALITY AS x(g, n)),
	'created_at', true, 'updated_at', true) AS example
FROM sample s, sample p WHERE s.name = 'details' AND p.name = 'payload as JSON' \gset

\echo '== POST /api/v5/orgs/<org>/experiments, the example payload verbatim: no JSON (a trailing comma), PostgREST''s 400'
SELECT r.status, r.status = 400 AND r.body ->> 'code' = 'PGRST102' AS as_postgrest_answers, r.body ->> 'message' AS message
FROM sample s, pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, s.text)) r WHERE s.name = 'payload';
\echo '== ... as JSON: is_draft is required (400)'
SELECT r.status, r.body = pg_temp.api_error(400, 'is_draft is required: true or false.') AS as_documented, r.body
FROM sample s, pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, s.text)) r WHERE s.name = 'payload as JSON';
\echo '== ... published: room_ids is required too (400)'
SELECT r.status, r.body = pg_temp.api_error(400, 'Required attributes are missing: room_ids.') AS as_documented, r.body
FROM sample s, pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, (s.text::jsonb || '{"is_draft": false}')::text)) r
WHERE s.name = 'payload as JSON';
SELECT count(*) AS nothing_created FROM org_experiments;
\echo '== ... published with room_ids, by the example''s user: 201 and the example''s details'
SELECT r.status, pg_temp.as_example(r.body) = :'example'::jsonb AS as_documented, r.headers - 'content-range' AS headers,
	   r.body ->> 'organization_id' = :'org' AND r.body -> 'room_ids' = '[]' AND r.body -> 'rooms' = '[]'
	   AND r.body -> 'organization' = '{"id": "aabefa3e-1c8e-4690-99e4-2683c77d4ff0", "name": "Company Inc."}' AS organization_and_rooms,
	   r.body AS created
FROM sample s, pg_temp.req('John Doe', 'create_org_experiment', pg_temp.args(NULL, (s.text::jsonb || '{"is_draft": false, "room_ids": []}')::text)) r
WHERE s.name = 'payload as JSON' \gset
SELECT :status AS status, :'as_documented' AS as_documented, :'headers' AS headers, :'organization_and_rooms' AS organization_and_rooms;
SELECT key, value FROM jsonb_each(pg_temp.as_example(:'created'::jsonb)) WHERE key NOT IN ('created_at', 'updated_at') ORDER BY key;
SELECT :'created'::jsonb ->> 'id' AS hello \gset
\echo '== GET /api/v5/orgs/<org>/experiments/<id>: the same document'
SELECT r.status, r.body = :'created'::jsonb AS as_created
FROM pg_temp.req('admin', 'get_org_experiment', format('?organization_id=%s&experiment_id=%s', :'org', :'hello')) r;
\echo '== PUT of the example details verbatim: the experiment has ended (400)'
SELECT r.status, r.body = pg_temp.api_error(400, 'The experiment ended at 2019-05-22T13:02:35.123Z: it can no longer be updated.') AS as_documented, r.body
FROM sample s, pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'hello', s.text)) r WHERE s.name = 'details';

\echo '== a draft; the details example PUT verbatim needs room_ids (400), with them it publishes (200), read-only attributes ignored quietly'
SELECT r.status, r.body ->> 'is_draft' AS is_draft, r.body ->> 'id' AS draft
FROM pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, '{"is_draft": true}')) r \gset
SELECT :status AS status, :'is_draft' AS is_draft;
SELECT r.status, r.body = pg_temp.api_error(400, 'Required attributes are missing: room_ids.') AS as_documented, r.body
FROM sample s, pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'draft', s.text)) r WHERE s.name = 'details';
-- (made by the admin key: its users are compared below)
SELECT r.status, r.headers - 'content-range' AS headers,
	   pg_temp.as_example(r.body) - '{created_by_user,created_by_user_id,updated_by_user,updated_by_user_id}'::text[]
		= pg_temp.as_example(s.text::jsonb) - '{created_by_user,created_by_user_id,updated_by_user,updated_by_user_id}'::text[]
		  || '{"created_at": true, "updated_at": true}' AS as_documented
FROM sample s, pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'draft', (s.text::jsonb || '{"room_ids": []}')::text)) r
WHERE s.name = 'details';

\echo '== unknown attributes: ignored, named in X-Warning (the document refuses none)'
SELECT r.status, r.headers - 'content-range' AS headers, r.body ->> 'name' AS name
FROM pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL,
	'{"is_draft": true, "name": "Warned", "colour": "red", "groups": [{"name": "A", "weight": 3, "order": 0}]}')) r;
SELECT r.status, r.headers - 'content-range' AS headers
FROM pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, '{"is_draft": true, "name": "Not warned", "id": "x", "rooms": []}')) r;

\echo '== 401 unauthenticated, 403 authenticated but not allowed (a client or analyst key, another organization), on every endpoint'
CREATE TEMP TABLE calls (fn text, args text);
INSERT INTO calls VALUES
	('list_org_experiments', format('?organization_id=%s', :'org')),
	('get_org_experiment', format('?organization_id=%s&experiment_id=%s', :'org', :'draft')),
	('create_org_experiment', pg_temp.args(NULL, '{"is_draft": true}')),
	('update_org_experiment', pg_temp.args(:'draft', '{"is_draft": true}')),
	('delete_org_experiment', pg_temp.args(:'draft'));
SELECT c.fn, w.who, r.status, r.body = pg_temp.api_error(r.status, r.body ->> 'message') AND r.status = w.expected AS as_documented,
	   replace(r.body ->> 'message', :'other', '<other>') AS message
FROM calls c, (VALUES ('nobody', 401), ('revoked', 401), ('client', 403), ('analyst', 403)) AS w(who, expected),
	 pg_temp.req(w.who, c.fn, c.args) r
ORDER BY c.fn, w.expected, w.who;
SELECT c.fn, r.status, r.body = pg_temp.api_error(403, 'You do not have access to organization aabefa3e-1c8e-4690-99e4-2683c77d4ff0.') AS as_documented
FROM calls c, pg_temp.req('other admin', c.fn, c.args) r ORDER BY c.fn;
SELECT state, name FROM org_experiments WHERE uuid = :'draft';

\echo '== 404: an experiment that does not exist (GET, PUT, DELETE); a goal or room that does not exist'
SELECT c.fn, r.status, r.body = pg_temp.api_error(404, 'Experiment 00000000-0000-4000-8000-000000000000 was not found.') AS as_documented
FROM calls c, pg_temp.req('admin', c.fn, replace(c.args, :'draft', '00000000-0000-4000-8000-000000000000')) r
WHERE c.fn IN ('get_org_experiment', 'update_org_experiment', 'delete_org_experiment') ORDER BY c.fn;
SELECT r.status, r.body = pg_temp.api_error(404, 'Goal 00000000-0000-4000-8000-000000000000 was not found.') AS as_documented
FROM pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, '{"is_draft": true, "goal_id": "00000000-0000-4000-8000-000000000000"}')) r;
SELECT r.status, r.body = pg_temp.api_error(404, 'Room 00000000-0000-4000-8000-000000000000 was not found.') AS as_documented
FROM pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, '{"is_draft": true, "room_ids": ["00000000-0000-4000-8000-000000000000"]}')) r;

\echo '== POST, is_draft false: each required attribute missing (400), all present (201)'
CREATE TEMP TABLE complete AS SELECT jsonb_build_object('is_draft', false, 'goal_id', '0a534844-869a-11e9-8dcc-27f1dd2d9764',
	'name', 'Complete', 'room_ids', '["33333333-3333-4333-8333-333333333333"]'::jsonb,
	'starts_at', to_char(now() AT TIME ZONE 'UTC' + interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
	'groups', '[{"name": "A", "percentage": 50, "group_type": "control"}, {"name": "B", "percentage": 50, "group_type": null}]'::jsonb) AS body;
SELECT m.missing, r.status, r.body = pg_temp.api_error(400, format('Required attributes are missing: %s.', m.missing)) AS as_documented
FROM complete c, (VALUES ('goal_id', '{goal_id}'), ('name', '{name}'), ('room_ids', '{room_ids}'), ('starts_at', '{starts_at}'),
						 ('groups', '{groups}'), ('groups[].name', '{groups,0,name}'), ('groups[].percentage', '{groups,0,percentage}'),
						 ('groups[].group_type', '{groups,1,group_type}'), ('goal_id, name', '{name}')) AS m(missing, path),
	 pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, (CASE WHEN m.missing = 'goal_id, name' THEN c.body - 'goal_id' ELSE c.body END #- m.path::text[])::text)) r
ORDER BY m.missing;
-- null is no value for a required attribute; group_type null is one of the document's values
SELECT r.status, r.body = pg_temp.api_error(400, 'Required attributes are missing: name.') AS as_documented
FROM complete c, pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, (c.body || '{"name": null}')::text)) r;
SELECT r.status, r.body ->> 'is_draft' AS is_draft, jsonb_path_query_array(r.body, '$.groups[*].group_type') AS group_types, r.body ->> 'id' AS complete
FROM complete c, pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, c.body::text)) r \gset
SELECT :status AS status, :'is_draft' AS is_draft, :'group_types' AS group_types;

\echo '== PUT, is_draft false, before the start: goal_id, name, room_ids and starts_at required; once started only name'
SELECT m.missing, r.status, r.body = pg_temp.api_error(400, format('Required attributes are missing: %s.', m.missing)) AS as_documented
FROM complete c, (VALUES ('goal_id'), ('name'), ('room_ids'), ('starts_at')) AS m(missing),
	 pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'complete', (c.body - m.missing)::text)) r
ORDER BY m.missing;
-- groups may be left out (they stay), and a group's group_type (it stays)
SELECT r.status, jsonb_path_query_array(r.body, '$.groups[*].group_type') AS group_types
FROM complete c, pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'complete',
	(c.body - 'groups' || '{"groups": [{"name": "A", "percentage": 40}, {"name": "B", "percentage": 60}]}')::text)) r;
-- started (its start moved to the past): name alone is required
UPDATE experiments.experiments SET starts_at = now() - interval '1 hour' WHERE uuid = :'complete';
SELECT r.status, r.body = pg_temp.api_error(400, 'Required attributes are missing: name.') AS as_documented
FROM pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'complete', '{"is_draft": false}')) r;
SELECT r.status, r.body ->> 'name' AS name
FROM pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'complete', '{"is_draft": false, "name": "Renamed"}')) r;

\echo '== PUT: is_draft from false to true, ends_at before starts_at (at it, and one millisecond after), an ended experiment'
SELECT r.status, r.body = pg_temp.api_error(400, 'A published experiment cannot go back to draft.') AS as_documented
FROM pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'complete', '{"is_draft": true}')) r;
SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started FROM experiments.experiments WHERE uuid = :'complete' \gset
SELECT x.label AS ends_at, r.status, r.body = CASE WHEN e.expected = 200 THEN r.body
	ELSE pg_temp.api_error(400, format('ends_at %s is not after starts_at %s.', e.ends_at, :'started')) END AND r.status = e.expected AS as_documented
FROM (VALUES ('before', (:'started'::timestamptz - interval '1 millisecond'), 400), ('equal', :'started'::timestamptz, 400),
			 ('after', :'started'::timestamptz + interval '1 millisecond', 200)) AS x(label, at, expected),
	 LATERAL (SELECT to_char(x.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ends_at, x.expected) e,
	 pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'complete', jsonb_build_object('is_draft', false, 'name', 'Renamed', 'ends_at', e.ends_at)::text)) r
ORDER BY x.at;
-- it ended a millisecond after its start: 400, and so for any later PUT
SELECT r.status, r.body = pg_temp.api_error(400, format('The experiment ended at %s: it can no longer be updated.',
	to_char((:'started'::timestamptz + interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) AS as_documented
FROM pg_temp.req('admin', 'update_org_experiment', pg_temp.args(:'complete', '{"is_draft": false, "name": "Again"}')) r;

\echo '== formats and limits (400 one past each)'
SELECT t.label, r.status, CASE WHEN t.message IS NULL THEN r.status = 201 ELSE r.body = pg_temp.api_error(400, t.message) END AS as_documented,
	   CASE WHEN r.status <> 201 THEN r.body ->> 'message' END AS message
FROM (VALUES
	('not an object', '[]', 'The request body must be a JSON object.'),
	('is_draft not boolean', '{"is_draft": "false"}', 'is_draft is required: true or false.'),
	('goal_id not a uuid', '{"is_draft": true, "goal_id": "checkout"}', 'goal_id is not in the right format.'),
	('room_ids not uuids', '{"is_draft": true, "room_ids": ["lobby"]}', 'room_ids is not in the right format.'),
	('starts_at not a time', '{"is_draft": true, "starts_at": "soon"}', 'starts_at is not in the right format.'),
	('group_reset_interval 1w', '{"is_draft": true, "group_reset_interval": "1w"}', NULL),
	('group_reset_interval 1m', '{"is_draft": true, "group_reset_interval": "1m"}', 'group_reset_interval is not in the right format.'),
	('percentage 0', '{"is_draft": true, "groups": [{"name": "A", "percentage": 0}]}', NULL),
	('percentage -1', '{"is_draft": true, "groups": [{"name": "A", "percentage": -1}]}', 'The group {"name": "A", "percentage": -1} is not in the right format: percentage.'),
	('percentage 100', '{"is_draft": true, "groups": [{"name": "A", "percentage": 100}]}', NULL),
	('percentage 101', '{"is_draft": true, "groups": [{"name": "A", "percentage": 101}]}', 'The group {"name": "A", "percentage": 101} is not in the right format: percentage.'),
	('percentage 50.5', '{"is_draft": true, "groups": [{"name": "A", "percentage": 50.5}]}', 'The group {"name": "A", "percentage": 50.5} is not in the right format: percentage.'),
	('group_type bogus', '{"is_draft": true, "groups": [{"name": "A", "group_type": "bogus"}]}', 'The group {"name": "A", "group_type": "bogus"} is not in the right format: group_type.'),
	('group not an object', '{"is_draft": true, "groups": ["A"]}', 'The group "A" is not in the right format: groups.'),
	('same group names', '{"is_draft": true, "groups": [{"name": "A"}, {"name": "A"}]}', 'The names of an experiment''s groups must differ.'),
	('group name 128 characters', '{"is_draft": true, "groups": [{"name": "' || repeat('n', 128) || '"}]}', NULL),
	('group name 129 characters', '{"is_draft": true, "groups": [{"name": "' || repeat('n', 129) || '"}]}',
		-- a message shows the first 64 bytes of what was sent, and its length
		'The group {"name": "' || repeat('n', 54) || '... (141 bytes) is not in the right format: name (1 to 128 characters).'),
	('group name empty', '{"is_draft": true, "groups": [{"name": ""}]}', 'The group {"name": ""} is not in the right format: name (1 to 128 characters).'),
	('1000 groups', '{"is_draft": true, "groups": [' || (SELECT string_agg('{"percentage": 0}', ', ') FROM generate_series(1, 1000)) || ']}', NULL),
	('1001 groups', '{"is_draft": true, "groups": [' || (SELECT string_agg('{"percentage": 0}', ', ') FROM generate_series(1, 1001)) || ']}',
		'groups is not in the right format: 1001 groups, at most 1000.')
	) AS t(label, body, message),
	 pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, t.body)) r;
-- percentages of a published experiment sum to 100: 99 and 101 are refused
SELECT p.total, r.status, CASE WHEN p.total = 100 THEN r.status = 201
	ELSE r.body = pg_temp.api_error(400, format('The percentages of the groups sum to %s, not 100.', p.total)) END AS as_documented
FROM complete c, (VALUES (99), (100), (101)) AS p(total),
	 pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, (c.body || jsonb_build_object('groups', jsonb_build_array(
		jsonb_build_object('name', 'A', 'percentage', p.total - 50, 'group_type', 'control'),
		jsonb_build_object('name', 'B', 'percentage', 50, 'group_type', 'user_defined'))))::text)) r
ORDER BY p.total;
-- a refused create left nothing behind: only the accepted ones are there
SELECT count(*) AS experiments FROM org_experiments;

\echo '== GET /api/v5/orgs/<org>/experiments: every experiment of the organization, oldest first'
SELECT r.status, jsonb_array_length(r.body) = (SELECT count(*) FROM org_experiments) AS all_of_them,
	   r.body -> 0 ->> 'name' AS oldest, r.body -> 0 = (SELECT g.body FROM pg_temp.req('admin', 'get_org_experiment',
		format('?organization_id=%s&experiment_id=%s', :'org', :'hello')) g) AS as_get_answers
FROM pg_temp.req('admin', 'list_org_experiments', format('?organization_id=%s', :'org')) r;

\echo '== DELETE: 204 without a body, then 404'
SELECT r.status, r.body FROM pg_temp.req('admin', 'delete_org_experiment', pg_temp.args(:'complete')) r;
SELECT r.status, r.body = pg_temp.api_error(404, format('Experiment %s was not found.', :'complete')) AS as_documented
FROM pg_temp.req('admin', 'delete_org_experiment', pg_temp.args(:'complete')) r;

\echo '== attribution: who created and who last changed, through either API and in SQL'
SELECT r.body ->> 'id' AS attributed FROM pg_temp.req('admin', 'create_org_experiment', pg_temp.args(NULL, '{"is_draft": true, "name": "Attributed"}')) r \gset
-- created by the admin key (a bot named after its application), which is its last updater too
SELECT (r.body -> 'created_by_user') - 'id' AS created_by_user, r.body -> 'updated_by_user' = r.body -> 'created_by_user' AS updated_by_the_creator,
	   r.body ->> 'created_by_user_id' = r.body #>> '{created_by_user,id}' AS ids_agree,
	   (SELECT created_by - 'api_key' FROM experiments.experiments WHERE uuid = :'attributed') AS recorded
FROM pg_temp.req('admin', 'get_org_experiment', format('?organization_id=%s&experiment_id=%s', :'org', :'attributed')) r;
-- John Doe renames it: he is its last updater (the document's user), the key still its creator
SELECT r.status, r.body -> 'updated_by_user' = (SELECT text::jsonb -> 'updated_by_user' FROM sample WHERE name = 'details') AS updated_by_as_documented,
	   r.body ->> 'updated_by_user_id' AS updated_by_user_id, r.body #>> '{created_by_user,full_name}' AS created_by
FROM pg_temp.req('John Doe', 'update_org_experiment', pg_temp.args(:'attributed', '{"is_draft": true, "name": "Renamed by John"}')) r;
-- a login changing it in SQL
UPDATE experiments.experiments SET name = 'Renamed in SQL' WHERE uuid = :'attributed';
SELECT updated_by = jsonb_build_object('login', session_user) AS updated_by_the_login, created_by ->> 'application' AS created_by FROM experiments.experiments WHERE uuid = :'attributed';
-- bookkeeping is no change: the enrolment flag leaves the author alone
SELECT set_config('experiments.principal', '{"api_key": 0, "application": "enrolling-app"}', false) \g /dev/null
UPDATE experiments.experiments SET has_enrolments = true WHERE uuid = :'attributed';
SELECT updated_by = jsonb_build_object('login', session_user) AS still_the_login FROM experiments.experiments WHERE uuid = :'attributed';
RESET experiments.principal;
-- writers cannot forge an author
UPDATE experiments.experiments SET created_by = '{"login": "someone"}', updated_by = '{"login": "someone"}', name = 'Forged' WHERE uuid = :'attributed';
SELECT created_by ->> 'application' AS created_by, updated_by = jsonb_build_object('login', session_user) AS updated_by_the_login
FROM experiments.experiments WHERE uuid = :'attributed';
-- the Commerce Cloud API attributes its tests as well
BEGIN;
SELECT experiments.set_tenant(:'org') \g /dev/null
INSERT INTO experiments.sites (key) VALUES ('site');
COMMIT;
SELECT r.status FROM pg_temp.req('admin', 'create_ab_test', '{"site_id": "site", "id": "attributed", "body": {"enabled": false,
	"start_date": "2020-01-01T00:00:00.000Z", "end_date": "2099-12-31T00:00:00.000Z"}}') r;
SELECT created_by - 'api_key' AS created_by, updated_by = created_by AS updated_by_the_creator FROM org_experiments WHERE key = 'attributed';
-- the user document of each kind of author
SELECT p.principal, experiments_internal.org_user_document(p.principal::jsonb, :'org') - 'organization_id' AS user_document
FROM (VALUES ('{"api_key": 7, "application": "ops-console"}'), ('{"token": "auth0|42", "name": "Ada Lovelace King"}'),
			 ('{"token": "auth0|43", "email": "ada@example.com"}'), ('{"login": "alice"}')) AS p(principal);

-- Every endpoint was called.
SELECT f.fn AS never_answered FROM (VALUES ('list_org_experiments'), ('get_org_experiment'), ('create_org_experiment'),
	('update_org_experiment'), ('delete_org_experiment')) AS f(fn)
WHERE NOT EXISTS (SELECT 1 FROM http_log l WHERE l.path LIKE '/rpc/' || f.fn || '%' AND l.status BETWEEN 200 AND 299);
