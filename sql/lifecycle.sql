-- The draft/published experiments API (the draft/published document): the example replayed,
-- drafts, publishing, read-only attributes once started, every error status,
-- and what assignment sees.
-- The superuser creates the tenant; an operator (regress_ops, a member of
-- experiments_admin, logged in as itself) does the rest. The author the API
-- should record for the operator's changes, as the superuser computes it:
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('regress-lifecycle', 'Company Inc.') AS org \gset
SELECT experiments_internal.org_user_document(jsonb_build_object('login', 'regress_ops'), :'org') AS ops_user \gset
SET experiments.tenant = :'org';
SET SESSION AUTHORIZATION regress_ops;
INSERT INTO experiments.goals (id, key, name)
VALUES ('0a534844-869a-11e9-8dcc-000000000001', 'reached_checkout', 'Reached checkout page');
INSERT INTO experiments.goals (id, key, name)
VALUES ('0a534844-869a-11e9-8dcc-000000000002', 'banner_click', 'Clicked the banner');
INSERT INTO experiments.rooms (id, name) VALUES
	('11111111-1111-4111-8111-111111111111', 'Lobby'),
	('22222222-2222-4222-8222-222222222222', 'Checkout');
-- (row-level security shows the operator no other tenant's rows; the view
-- names the tenant all the same)
CREATE TEMP VIEW my_experiments AS SELECT * FROM experiments.experiments WHERE tenant_id = :'org';

-- Runs a request and shows the error it raised: the SQLSTATE (PT + HTTP
-- status), the message, and whether the detail is {"status", "message"}.
CREATE FUNCTION pg_temp.error(request text, OUT status text, OUT message text, OUT consistent boolean)
LANGUAGE plpgsql AS $$
DECLARE
	detail text;
BEGIN
	EXECUTE request;
	status := 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS status = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL, message = MESSAGE_TEXT;
	-- (NULL for an error that is not an HTTP one)
	consistent := CASE WHEN status LIKE 'PT%' THEN
		detail::jsonb = jsonb_build_object('status', substr(status, 3)::integer, 'message', message) END;
END;
$$;

-- A document without what the server generates (ids, times, users, the
-- organization's id), groups reduced to what a client writes.
CREATE FUNCTION pg_temp.comparable(doc jsonb)
RETURNS jsonb
LANGUAGE sql AS $$
	SELECT (doc - '{id,created_at,created_by_user,created_by_user_id,updated_at,updated_by_user,updated_by_user_id,organization_id,organization,rooms,room_ids}'::text[])
		|| jsonb_build_object(
			'goal', (doc -> 'goal') - '{organization,organization_id}'::text[]
					|| jsonb_build_object('organization_name', doc #> '{goal,organization,name}'),
			'groups', (SELECT jsonb_agg(jsonb_build_object('name', g -> 'name', 'percentage', g -> 'percentage',
														   'group_type', g -> 'group_type', 'treatment', g -> 'treatment')
										ORDER BY n)
					   FROM jsonb_array_elements(doc -> 'groups') WITH ORDINALITY AS x(g, n)));
$$;

-- The seed's example of experiment details. Its groups' treatments are {}
-- while the example payload sends rules: the payload's are expected back.
-- Its goal's id is another here: goal ids are unique across tenants, and
-- sql/wire_lifecycle.sql replays the example over HTTP with the document's.
CREATE TEMP TABLE sample (name text PRIMARY KEY, doc jsonb NOT NULL);
INSERT INTO sample VALUES
('details', $${
    "is_draft": false,
    "goal_id": "0a534844-869a-11e9-8dcc-000000000001",
    "goal": {
        "id": "0a534844-869a-11e9-8dcc-000000000001",
        "name": "Reached checkout page",
        "organization": {"id": "aabefa3e-1c8e-4690-99e4-2683c77d4ff0", "name": "Company Inc."},
        "organization_id": "aabefa3e-1c8e-4690-99e4-2683c77d4ff0"
    },
    "groups": [
        {"name": "A", "percentage": 90, "group_type": "control",
         "treatment": {"name": "Rule-A", "actions": [], "conditions": []}},
        {"name": "B", "percentage": 10, "group_type": "user_defined",
         "treatment": {"name": "Rule-B", "actions": [], "conditions": []}}
    ],
    "group_reset_interval": "full",
    "name": "Hello experiment",
    "starts_at": "2019-05-08T13:02:35.123Z",
    "ends_at": "2019-05-22T13:02:35.123Z"
}$$),
-- The seed's example payload (its trailing comma removed).
('payload', $${
    "goal_id": "0a534844-869a-11e9-8dcc-000000000001",
    "groups": [
        {"name": "A", "percentage": 90, "group_type": "control",
         "treatment": {"name": "Rule-A", "actions": [], "conditions": []}},
        {"name": "B", "percentage": 10, "group_type": "user_defined",
         "treatment": {"name": "Rule-B", "actions": [], "conditions": []}}
    ],
    "group_reset_interval": "full",
    "name": "Hello experiment",
    "starts_at": "2019-05-08T13:02:35.123Z",
    "ends_at": "2019-05-22T13:02:35.123Z"
}$$);

\echo '== POST /api/v5/orgs/<org>/experiments with the example payload: is_draft is required'
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, %L)$$, :'org', (SELECT doc FROM sample WHERE name = 'payload')));
-- published, it also needs room_ids (an empty list: every room)
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, %L)$$, :'org',
	(SELECT doc || '{"is_draft": false}' FROM sample WHERE name = 'payload')));
\echo '== ... with is_draft false and room_ids: 201, the example''s details'
SELECT experiments.create_org_experiment(organization_id => :'org',
	body => (SELECT doc || '{"is_draft": false, "room_ids": []}' FROM sample WHERE name = 'payload')) AS created \gset
SELECT * FROM jsonb_each(pg_temp.comparable(:'created'::jsonb)) AS got(property, value)
FULL JOIN jsonb_each(pg_temp.comparable((SELECT doc FROM sample WHERE name = 'details'))) AS expected(property, value) USING (property)
WHERE got.value IS DISTINCT FROM expected.value;
-- what the server generated
SELECT (:'created'::jsonb ->> 'id')::uuid IS NOT NULL AS has_id,
	   :'created'::jsonb ->> 'organization_id' = :'org' AS organization_id_is_the_tenant,
	   :'created'::jsonb #>> '{organization,name}' AS organization,
	   :'created'::jsonb -> 'created_by_user' = :'ops_user'::jsonb
		AND :'created'::jsonb -> 'created_by_user_id' = :'created'::jsonb #> '{created_by_user,id}'
		AND :'created'::jsonb -> 'updated_by_user' = :'created'::jsonb -> 'created_by_user' AS created_by_me,
	   :'created'::jsonb ->> 'created_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$' AS created_at_format,
	   jsonb_path_query_array(:'created'::jsonb, '$.groups[*].order') AS orders,
	   :'created'::jsonb -> 'room_ids' AS room_ids;
SELECT :'created'::jsonb ->> 'id' AS hello \gset
-- GET returns the same document; published means running
SELECT experiments.get_org_experiment(:'org', :'hello') = :'created'::jsonb AS get_matches;
SELECT key = :'hello' AS key_is_uuid, state, reset_interval FROM my_experiments;

\echo '== PUT of an experiment that has ended (ends_at 2019-05-22): 400'
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, '{"is_draft": false, "name": "Renamed"}')$$, :'org', :'hello'));

\echo '== a draft accepts partial data'
SELECT experiments.create_org_experiment(:'org', '{"is_draft": true, "name": "Checkout copy"}') AS draft \gset
SELECT :'draft'::jsonb ->> 'id' AS draft_id \gset
SELECT d ->> 'is_draft' AS is_draft, d ->> 'name' AS name, d -> 'goal_id' AS goal_id, d -> 'groups' AS groups,
	   d -> 'starts_at' AS starts_at, d -> 'room_ids' AS room_ids, d ->> 'group_reset_interval' AS group_reset_interval
FROM (SELECT :'draft'::jsonb AS d) x;
SELECT g ->> 'order' AS "order", g ->> 'name' AS name, g ->> 'percentage' AS percentage, g ->> 'group_type' AS group_type,
	   g ->> 'treatment' AS treatment
FROM jsonb_array_elements(experiments.update_org_experiment(:'org', :'draft_id',
	'{"is_draft": true, "groups": [{"name": "Old copy", "percentage": 30}, {"percentage": 30}]}') -> 'groups') g;
SELECT state FROM my_experiments WHERE uuid = :'draft_id';

\echo '== publishing needs, in the body, every attribute the document requires, and percentages summing to 100'
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, '{"is_draft": false}')$$, :'org', :'draft_id'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, %L)$$, :'org', :'draft_id',
	'{"is_draft": false, "goal_id": "0a534844-869a-11e9-8dcc-000000000001", "room_ids": [], "starts_at": "2020-01-01T00:00:00Z",
	  "groups": [{"name": "Old copy", "percentage": 30, "group_type": "control"}, {"name": "New copy", "percentage": 30}]}'));
-- a group's group_type is optional in a PUT (it keeps its type), required in a POST
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, %L)$$, :'org',
	'{"is_draft": false, "name": "Checkout copy", "goal_id": "0a534844-869a-11e9-8dcc-000000000001", "room_ids": [], "starts_at": "2020-01-01T00:00:00Z",
	  "groups": [{"name": "Old copy", "percentage": 30, "group_type": "control"}, {"name": "New copy", "percentage": 70}]}'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, %L)$$, :'org', :'draft_id',
	'{"is_draft": false, "name": "Checkout copy", "goal_id": "0a534844-869a-11e9-8dcc-000000000001", "room_ids": [], "starts_at": "2020-01-01T00:00:00Z",
	  "groups": [{"name": "Old copy", "percentage": 30, "group_type": "control"}, {"name": "New copy", "percentage": 30, "group_type": "user_defined"}]}'));
-- nothing of the refused requests was kept
SELECT state, goal_id, starts_at FROM my_experiments WHERE uuid = :'draft_id';
-- a future start: published, running, and not yet assigning
SELECT d ->> 'is_draft' AS is_draft, jsonb_path_query_array(d, '$.groups[*].percentage') AS percentages,
	   d -> 'room_ids' AS room_ids, d ->> 'starts_at' AS starts_at
FROM experiments.update_org_experiment(:'org', :'draft_id',
	'{"is_draft": false, "name": "Checkout copy", "goal_id": "0a534844-869a-11e9-8dcc-000000000001", "room_ids": ["22222222-2222-4222-8222-222222222222"],
	  "starts_at": "2999-01-01T00:00:00Z", "group_reset_interval": "1w",
	  "groups": [{"name": "Old copy", "percentage": 30, "group_type": "control"},
				 {"name": "New copy", "percentage": 70, "group_type": "user_defined", "treatment": {"copy": "new"}}]}') d;
SELECT state FROM my_experiments WHERE uuid = :'draft_id';
SELECT variant, reason FROM experiments.assign(:'draft_id', 'unit-1');

\echo '== published to draft, ends_at before starts_at: 400'
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, '{"is_draft": true}')$$, :'org', :'draft_id'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, '{"is_draft": false, "room_ids": [], "ends_at": "2998-01-01T00:00:00Z"}')$$, :'org', :'draft_id'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}')$$, :'org'));
-- before its start nothing is read-only: the start moves to the past
SELECT experiments.update_org_experiment(:'org', :'draft_id',
	'{"is_draft": false, "name": "Checkout copy", "goal_id": "0a534844-869a-11e9-8dcc-000000000001",
	  "room_ids": ["22222222-2222-4222-8222-222222222222"], "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2999-01-01T00:00:00Z",
	  "groups": [{"name": "Old copy", "percentage": 30, "group_type": "control"},
				 {"name": "New copy", "percentage": 70, "group_type": "user_defined", "treatment": {"copy": "new"}}]}') ->> 'starts_at' AS starts_at;
SELECT count(*) FILTER (WHERE a.variant = 'New copy') BETWEEN 600 AND 800 AS about_70_percent_new_copy,
	   count(*) FILTER (WHERE a.variant IS NULL) AS unassigned
FROM generate_series(1, 1000) g, experiments.assign(:'draft_id', 'unit-' || g) a;

\echo '== once started: goal, rooms, start, reset interval, group types and treatments are read-only'
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, '{"is_draft": false, "goal_id": "0a534844-869a-11e9-8dcc-000000000002"}')$$, :'org', :'draft_id'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, '{"is_draft": false, "room_ids": []}')$$, :'org', :'draft_id'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, '{"is_draft": false, "starts_at": "2021-01-01T00:00:00Z"}')$$, :'org', :'draft_id'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, '{"is_draft": false, "group_reset_interval": "1d"}')$$, :'org', :'draft_id'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, %L)$$, :'org', :'draft_id',
	'{"is_draft": false, "groups": [{"name": "Old copy", "percentage": 30, "group_type": "user_defined"}, {"name": "New copy", "percentage": 70}]}'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, %L)$$, :'org', :'draft_id',
	'{"is_draft": false, "groups": [{"name": "Old copy", "percentage": 30}, {"name": "New copy", "percentage": 70, "treatment": {"copy": "newer"}}]}'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, %L, %L)$$, :'org', :'draft_id',
	'{"is_draft": false, "groups": [{"name": "Old copy", "percentage": 100}]}'));
-- the same values may be sent back; name, percentages and ends_at may change,
-- and the very next assignment follows the new percentages
SELECT d ->> 'name' AS name, jsonb_path_query_array(d, '$.groups[*].name') AS groups,
	   jsonb_path_query_array(d, '$.groups[*].percentage') AS percentages, d ->> 'ends_at' AS ends_at
FROM experiments.update_org_experiment(:'org', :'draft_id',
	'{"is_draft": false, "name": "Checkout copy, round 2", "goal_id": "0a534844-869a-11e9-8dcc-000000000001",
	  "room_ids": ["22222222-2222-4222-8222-222222222222"], "starts_at": "2020-01-01T00:00:00.000Z", "ends_at": "2998-12-31T00:00:00Z",
	  "group_reset_interval": "1w",
	  "groups": [{"name": "Old copy", "percentage": 0, "group_type": "control", "treatment": {}},
				 {"name": "Newest copy", "percentage": 100, "treatment": {"copy": "new"}}]}') d;
SELECT count(*) FILTER (WHERE a.variant = 'Newest copy') AS newest_copy, count(*) AS units
FROM generate_series(1, 1000) g, experiments.assign(:'draft_id', 'unit-' || g) a;

\echo '== malformed bodies: 400'
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '[]')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": "yes"}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "goal_id": "checkout"}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "room_ids": ["lobby"]}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "starts_at": "soon"}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "group_reset_interval": "1m"}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "groups": [{"name": "A", "percentage": 50.5}]}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "groups": [{"name": "A", "group_type": "bogus"}]}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "groups": ["A"]}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "groups": [{"name": "A"}, {"name": "A"}]}')$$, :'org'));

\echo '== 404: an experiment, goal or room that does not exist; 403: another organization'
SELECT * FROM pg_temp.error(format($$SELECT experiments.get_org_experiment(%L, '00000000-0000-4000-8000-000000000000')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.update_org_experiment(%L, '00000000-0000-4000-8000-000000000000', '{"is_draft": true}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.delete_org_experiment(%L, '00000000-0000-4000-8000-000000000000')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "goal_id": "00000000-0000-4000-8000-000000000000"}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.create_org_experiment(%L, '{"is_draft": true, "room_ids": ["00000000-0000-4000-8000-000000000000"]}')$$, :'org'));
SELECT * FROM pg_temp.error(format($$SELECT experiments.list_org_experiments('00000000-0000-4000-8000-000000000000')$$));
SELECT * FROM pg_temp.error(format($$SELECT experiments.get_org_experiment('00000000-0000-4000-8000-000000000000', %L)$$, :'hello'));
-- no refused request left anything behind
SELECT count(*) AS experiments FROM my_experiments;

\echo '== GET /api/v5/orgs/<org>/experiments: oldest first'
SELECT e ->> 'name' AS name, e ->> 'is_draft' AS is_draft, jsonb_array_length(e -> 'groups') AS groups, e -> 'rooms' AS rooms
FROM jsonb_array_elements(experiments.list_org_experiments(:'org')) e;

\echo '== DELETE: 204, then 404; assign() no longer knows it'
SELECT experiments.delete_org_experiment(:'org', :'draft_id');
SELECT status, replace(message, :'draft_id', '<id>') AS message, consistent
FROM pg_temp.error(format($$SELECT experiments.get_org_experiment(%L, %L)$$, :'org', :'draft_id'));
SELECT status, replace(message, :'draft_id', '<id>') AS message, consistent
FROM pg_temp.error(format($$SELECT experiments.assign(%L, 'unit-1')$$, :'draft_id'));
\i sql/helpers/drop_logins.sql
