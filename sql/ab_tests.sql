-- The Commerce Cloud Data API A/B tests (the Commerce Cloud document): the samples replayed,
-- every fault of A/B tests and segments, _resource_state, and the state the
-- catalog gives the experiment behind a test.
-- The superuser creates the tenants; an operator (regress_ops, a member of
-- experiments_admin) does the rest.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('regress-ab-tests') AS tenant \gset
SET experiments.tenant = :'tenant';
SET SESSION AUTHORIZATION regress_ops;
INSERT INTO experiments.sites (key, name) VALUES ('SiteGenesis', 'Site Genesis');
-- The tables are read through views of this tenant's rows (row-level
-- security shows the operator no other).
CREATE TEMP VIEW my_experiments AS SELECT * FROM experiments.experiments WHERE tenant_id = :'tenant';
CREATE TEMP VIEW my_variants AS SELECT * FROM experiments.variants WHERE tenant_id = :'tenant';
CREATE TEMP VIEW my_ab_tests AS SELECT * FROM experiments.ab_tests WHERE tenant_id = :'tenant';

-- The seed's sample documents. Deviations from the seed's text: e-mail
-- addresses were obfuscated in the seed ("[email protected]") and are real
-- ones here; the seed's trailing commas and missing quotes are fixed.
CREATE TEMP TABLE sample (name text PRIMARY KEY, doc jsonb NOT NULL);
INSERT INTO sample VALUES
('put request', $${
   "customer_groups" : ["abtest_customer_group"],
   "description" : "abtest description",
   "email_addresses" : ["abtest@example.com"],
   "enabled" : true,
   "end_date" : "2015-07-31T23:09:08.000Z",
   "expiration_type" : "session",
   "key_metric_id" : "abtest_key_metric_id",
   "paused" : true,
   "start_date" : "2015-04-01T11:30:15.000Z",
   "tags" : ["abtest_tag"],
   "trigger" : {"is_pipeline_based" : false, "trigger_type" : "immediately"}
}$$),
('ab_test', $${
   "_v" : "17.8",
   "_type" : "ab_test",
   "customer_groups" : ["abtest_customer_group"],
   "description" : "abtest description",
   "email_addresses" : ["abtest@example.com"],
   "enabled" : true,
   "end_date" : "2015-07-31T23:09:08.000Z",
   "expiration_type" : "session",
   "id" : "my-abtest",
   "key_metric_id" : "abtest_key_metric_id",
   "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest",
   "paused" : true,
   "start_date" : "2015-04-01T11:30:15.000Z",
   "tags" : ["abtest_tag"],
   "test_groups" : [
      {"_type" : "ab_test_group", "allocation" : 20, "custom_experience" : false, "id" : "Control"},
      {"_type" : "ab_test_group", "allocation" : 40, "custom_experience" : false,
       "description" : "A description", "id" : "Test Segment A"},
      {"_type" : "ab_test_group", "allocation" : 40, "custom_experience" : false, "id" : "Test Segment B"}
   ],
   "trigger" : {"_type" : "ab_test_trigger", "is_pipeline_based" : false, "trigger_type" : "immediately"}
}$$),
('segment put response', $${
   "_v" : "17.8",
   "_type" : "ab_test_segment",
   "allocation": 40,
   "custom_experience": false,
   "description" : "segment description",
   "id" : "my-segment",
   "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest/segments/my-segment"
}$$),
-- The seed's PATCH response omits custom_experience, which the segment has.
('segment patch response', $${
   "_v" : "17.8",
   "_type" : "ab_test_segment",
   "allocation": 10,
   "custom_experience": false,
   "description" : "modified description",
   "id" : "my-segment",
   "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest/segments/my-segment"
}$$);

-- The top-level properties where a response differs from a sample, but for
-- the server-generated ones: no row is a match.
CREATE FUNCTION pg_temp.differences(got jsonb, sample_name text, ignored text[] DEFAULT '{_resource_state}')
RETURNS TABLE (property text, got jsonb, expected jsonb)
LANGUAGE sql AS $$
	SELECT k, got -> k, s.doc -> k
	FROM pg_temp.sample s,
		 LATERAL (SELECT jsonb_object_keys(got) UNION SELECT jsonb_object_keys(s.doc)) AS keys(k)
	WHERE s.name = sample_name AND k <> ALL (ignored) AND (got -> k) IS DISTINCT FROM (s.doc -> k)
	ORDER BY k;
$$;

\i sql/helpers/fault.sql

\echo '== PUT /sites/SiteGenesis/ab_tests/my-abtest (201): the seed''s response, without segments yet'
SELECT * FROM pg_temp.differences(
	experiments.create_ab_test(site_id => 'SiteGenesis', id => 'my-abtest',
							   body => (SELECT doc FROM sample WHERE name = 'put request')),
	'ab_test', '{_resource_state,test_groups}');
SELECT experiments.get_ab_test('SiteGenesis', 'my-abtest') -> 'test_groups' AS test_groups;
-- enabled but paused and without segments: a draft, as the catalog wants.
SELECT key, state, description, tags, starts_at AT TIME ZONE 'UTC' AS starts_at, (SELECT g.key FROM experiments.goals g WHERE g.id = goal_id AND g.tenant_id = :'tenant') AS goal
FROM my_experiments;

\echo '== segment PUT, GET, PATCH and DELETE: the seed''s samples'
SELECT * FROM pg_temp.differences(
	experiments.create_ab_test_segment('SiteGenesis', 'my-abtest', 'my-segment',
		'{"description": "segment description", "allocation": 40, "custom_experience": false}'),
	'segment put response');
SELECT * FROM pg_temp.differences(experiments.get_ab_test_segment('SiteGenesis', 'my-abtest', 'my-segment'), 'segment put response');
SELECT * FROM pg_temp.differences(
	experiments.update_ab_test_segment('SiteGenesis', 'my-abtest', 'my-segment',
		'{"description": "modified description", "allocation": 10}'),
	'segment patch response');
SELECT experiments.delete_ab_test_segment('SiteGenesis', 'my-abtest', 'my-segment',
	resource_state => experiments.get_ab_test('SiteGenesis', 'my-abtest') ->> '_resource_state');
SELECT * FROM pg_temp.fault($$SELECT experiments.get_ab_test_segment('SiteGenesis', 'my-abtest', 'my-segment')$$);

\echo '== GET /sites/SiteGenesis/ab_tests/my-abtest once it has the three segments of the sample'
SELECT experiments.create_ab_test_segment('SiteGenesis', 'my-abtest', 'Control', '{"allocation": 20, "custom_experience": false}') ->> 'id';
SELECT experiments.create_ab_test_segment('SiteGenesis', 'my-abtest', 'Test Segment A',
	'{"allocation": 40, "description": "A description", "id": "Test Segment A"}') ->> 'id';
SELECT experiments.create_ab_test_segment('SiteGenesis', 'my-abtest', 'Test Segment B', '{"allocation": 40}') ->> 'id';
SELECT * FROM pg_temp.differences(experiments.get_ab_test('SiteGenesis', 'my-abtest'), 'ab_test');
SELECT key, ordinal, allocation_bp, description FROM my_variants ORDER BY ordinal;
-- enabled, paused, never started: still a draft.
SELECT state FROM my_experiments WHERE key = 'my-abtest';

\echo '== PATCH /sites/SiteGenesis/ab_tests/my-abtest with the current _resource_state: the seed''s response'
SELECT experiments.get_ab_test('SiteGenesis', 'my-abtest') ->> '_resource_state' AS state_before \gset
SELECT * FROM pg_temp.differences(
	experiments.update_ab_test('SiteGenesis', 'my-abtest',
		(SELECT doc FROM sample WHERE name = 'put request')
		|| jsonb_build_object('id', 'my-abtest', '_resource_state', :'state_before')),
	'ab_test');
-- A real change gives a new token; every read carries it.
SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"description": "changed"}') ->> '_resource_state' AS state_after \gset
SELECT :'state_after' <> :'state_before' AS token_changed,
	   length(:'state_after') AS token_length,
	   experiments.get_ab_test('SiteGenesis', 'my-abtest') ->> '_resource_state' = :'state_after' AS get_has_it,
	   experiments.get_ab_test_segment('SiteGenesis', 'my-abtest', 'Control') ->> '_resource_state' = :'state_after' AS segment_has_it,
	   experiments.list_ab_tests('SiteGenesis', "select" => '(**)') #>> '{data,0,_resource_state}' = :'state_after' AS list_has_it;

\echo '== a stale _resource_state: 409 and nothing changes'
SELECT * FROM pg_temp.fault(format($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"description": "lost update", "_resource_state": "%s"}')$$, :'state_before'));
SELECT * FROM pg_temp.fault(format($$SELECT experiments.update_ab_test_segment('SiteGenesis', 'my-abtest', 'Control', '{"allocation": 30, "_resource_state": "%s"}')$$, :'state_before'));
SELECT * FROM pg_temp.fault(format($$SELECT experiments.delete_ab_test_segment('SiteGenesis', 'my-abtest', 'Control', '%s')$$, :'state_before'));
SELECT * FROM pg_temp.fault(format($$SELECT experiments.delete_ab_test('SiteGenesis', 'my-abtest', '%s')$$, :'state_before'));
SELECT e.description, (SELECT count(*) FROM my_variants v WHERE v.experiment_id = e.id) AS segments,
	   experiments.get_ab_test('SiteGenesis', 'my-abtest') ->> '_resource_state' = :'state_after' AS token_unchanged
FROM my_experiments e WHERE e.key = 'my-abtest';

\echo '== the faults of the seed''s samples, replayed'
-- GET, PATCH, segments of a test that does not exist
SELECT * FROM pg_temp.fault($$SELECT experiments.get_ab_test('SiteGenesis', 'no-such-test')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'no-such-test', '{"description": "x"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.delete_ab_test('SiteGenesis', 'no-such-test')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.get_ab_test_segment('SiteGenesis', 'no-such-test', 'Control')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test_segment('SiteGenesis', 'no-such-test', 'my-segment', '{"allocation": 40}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test_segment('SiteGenesis', 'my-abtest', 'my-segment', '{"allocation": 10}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.delete_ab_test_segment('SiteGenesis', 'my-abtest', 'my-segment')$$);
-- a site that does not exist
SELECT * FROM pg_temp.fault($$SELECT experiments.list_ab_tests('NoSuchSite')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.get_ab_test('NoSuchSite', 'my-abtest')$$);
-- PUT of an existing test, and a PATCH renaming onto one
SELECT * FROM pg_temp.fault(format($$SELECT experiments.create_ab_test('SiteGenesis', 'my-abtest', %L)$$, (SELECT doc FROM sample WHERE name = 'put request')));
SELECT experiments.create_ab_test('SiteGenesis', 'other-test', '{"start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z"}') ->> 'id';
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'other-test', '{"id": "my-abtest"}')$$);
-- the id of the body differs from the URL's
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test('SiteGenesis', 'my-test', '{"id": "your-test", "start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test_segment('SiteGenesis', 'my-abtest', 'my-segment', '{"id": "your-segment", "allocation": 1}')$$);
-- a segment that exists already
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test_segment('SiteGenesis', 'my-abtest', 'Control', '{"allocation": 20}')$$);
-- invalid e-mail, pipeline, trigger, dates: on PUT and on PATCH
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"email_addresses": ["abtest@example.com", "not an address"]}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test('SiteGenesis', 'my-abtest2', '{"email_addresses": ["[email protected]"], "start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"trigger": {"trigger_type": "pipeline_call", "pipeline_calls": ["hello"]}}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test('SiteGenesis', 'my-test', '{"trigger": {"trigger_type": "PIPELINE_CALL"}, "start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"trigger": {"trigger_type": "category_view_page", "categories": []}}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"trigger": {"trigger_type": "on_full_moon"}}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test('SiteGenesis', 'my-test', '{"start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-02-01T11:30:15.000Z"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"end_date": "2015-04-01T11:30:15.000Z"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test('SiteGenesis', 'my-test', '{"end_date": "2015-02-01T11:30:15.000Z"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test('SiteGenesis', 'my-test', '{"start_date": "2015-02-01T11:30:15.000Z"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"start_date": null}')$$);
-- malformed requests: wrong types, a 41-character id, an unknown selector
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"enabled": "yes"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '{"start_date": "April 1st"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'my-abtest', '[]')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test('SiteGenesis', repeat('x', 41), '{"start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z"}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test_segment('SiteGenesis', 'my-abtest', 'Control', '{"allocation": 100.001}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.list_ab_tests('SiteGenesis', "select" => '(id)')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.list_ab_tests('SiteGenesis', count => 0)$$);
-- none of these changed the test or created one
SELECT key, description, starts_at AT TIME ZONE 'UTC' AS starts_at, ends_at AT TIME ZONE 'UTC' AS ends_at
FROM my_experiments ORDER BY key;
SELECT trigger_type, pipeline_calls, email_addresses FROM my_ab_tests a
JOIN my_experiments e ON e.id = a.experiment_id WHERE e.key = 'my-abtest';

\echo '== a PATCH may rename a test and set every property'
SELECT jsonb_pretty(experiments.update_ab_test('SiteGenesis', 'other-test',
	'{"id": "renamed-test", "customer_groups": ["vip"], "enabled": false, "expiration_type": "never",
	  "trigger": {"trigger_type": "category_view_page", "categories": ["mens", "womens"]}}') - '_resource_state');
SELECT * FROM pg_temp.fault($$SELECT experiments.get_ab_test('SiteGenesis', 'other-test')$$);

\echo '== DELETE with the current x-dw-resource-state: 204, then 404'
SELECT experiments.delete_ab_test('SiteGenesis', 'renamed-test',
	experiments.get_ab_test('SiteGenesis', 'renamed-test') ->> '_resource_state');
SELECT * FROM pg_temp.fault($$SELECT experiments.get_ab_test('SiteGenesis', 'renamed-test')$$);

\echo '== enabled and paused drive the state; assign() sees each change at once'
SELECT experiments.create_ab_test('SiteGenesis', 'checkout-test',
	'{"enabled": true, "paused": false, "start_date": "2020-01-01T00:00:00.000Z", "end_date": "2100-01-01T00:00:00.000Z"}') ->> 'enabled' AS enabled;
SELECT state FROM my_experiments WHERE key = 'checkout-test';
SELECT experiments.create_ab_test_segment('SiteGenesis', 'checkout-test', 'Control', '{"allocation": 50}') ->> 'id';
SELECT state FROM my_experiments WHERE key = 'checkout-test';
SELECT experiments.create_ab_test_segment('SiteGenesis', 'checkout-test', 'Green', '{"allocation": 50}') ->> 'id';
-- the segments now sum to 100: it runs, and units are assigned.
SELECT state FROM my_experiments WHERE key = 'checkout-test';
-- (the seeds are random, so the split is shown as about half each)
SELECT count(*) FILTER (WHERE a.variant = 'Control') BETWEEN 400 AND 600 AS about_half_control,
	   count(*) FILTER (WHERE a.variant = 'Green') BETWEEN 400 AND 600 AS about_half_green,
	   count(*) FILTER (WHERE a.variant IS NULL) AS unassigned
FROM generate_series(1, 1000) g, experiments.assign('checkout-test', 'unit-' || g) a;
-- paused: the experiment is paused, the next assignment says so
SELECT experiments.update_ab_test('SiteGenesis', 'checkout-test', '{"paused": true}') ->> 'paused' AS paused;
SELECT state FROM my_experiments WHERE key = 'checkout-test';
SELECT variant, reason FROM experiments.assign('checkout-test', 'unit-1');
-- a started test keeps its segments at 100: one segment alone cannot move
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test_segment('SiteGenesis', 'checkout-test', 'Green', '{"allocation": 100}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.create_ab_test_segment('SiteGenesis', 'checkout-test', 'Blue', '{"allocation": 10}')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.delete_ab_test_segment('SiteGenesis', 'checkout-test', 'Green')$$);
SELECT key, allocation_bp FROM my_variants v
WHERE v.experiment_id = (SELECT id FROM my_experiments WHERE key = 'checkout-test') ORDER BY ordinal;
-- but test_groups move weight in one request; resumed, every unit gets Green
SELECT experiments.update_ab_test('SiteGenesis', 'checkout-test',
	'{"paused": false, "test_groups": [{"id": "Control", "allocation": 0}, {"id": "Green", "allocation": 100}]}') -> 'test_groups' AS test_groups;
SELECT state FROM my_experiments WHERE key = 'checkout-test';
SELECT count(*) FILTER (WHERE a.variant = 'Green') AS green, count(*) AS units
FROM generate_series(1, 1000) g, experiments.assign('checkout-test', 'unit-' || g) a;
-- a segment added to a started test at 0 stays: deleting it would let the
-- next segment take its ordinal, and the visitors and events recorded under it
SELECT experiments.create_ab_test_segment('SiteGenesis', 'checkout-test', 'Blue', '{"allocation": 0}') ->> 'id';
SELECT * FROM pg_temp.fault($$SELECT experiments.delete_ab_test_segment('SiteGenesis', 'checkout-test', 'Blue')$$);
SELECT key, ordinal, allocation_bp FROM my_variants v
WHERE v.experiment_id = (SELECT id FROM my_experiments WHERE key = 'checkout-test') ORDER BY ordinal;
SELECT * FROM pg_temp.fault($$SELECT experiments.update_ab_test('SiteGenesis', 'checkout-test', '{"test_groups": [{"id": "Purple", "allocation": 0}]}')$$);
-- disabled: paused again; deleted: assign() no longer knows it
SELECT experiments.update_ab_test('SiteGenesis', 'checkout-test', '{"enabled": false}') ->> 'enabled' AS enabled;
SELECT state FROM my_experiments WHERE key = 'checkout-test';
SELECT variant, reason FROM experiments.assign('checkout-test', 'unit-1');
SELECT experiments.delete_ab_test('SiteGenesis', 'checkout-test');
SELECT * FROM experiments.assign('checkout-test', 'unit-1');

\echo '== GET /sites/SiteGenesis/ab_tests?select=(**): the seed''s list, replayed in a tenant of its own'
RESET SESSION AUTHORIZATION;
SELECT experiments.create_tenant('regress-ab-tests-list') AS list_tenant \gset
SET experiments.tenant = :'list_tenant';
SET SESSION AUTHORIZATION regress_ops;
INSERT INTO experiments.sites (key) VALUES ('SiteGenesis');
SELECT experiments.create_ab_test('SiteGenesis', 'my-abtest' || n,
	(SELECT doc FROM sample WHERE name = 'put request')
	|| jsonb_build_object('description', format('my abtest%s description', n))
	|| CASE n WHEN 2 THEN '{"trigger": {"trigger_type": "pipeline_call", "is_pipeline_based": true, "pipeline_calls": ["My-Pipeline"]}}'::jsonb
			  ELSE '{}' END) ->> 'id'
FROM generate_series(1, 2) n;
SELECT experiments.create_ab_test_segment('SiteGenesis', t, s, jsonb_build_object('allocation', a, 'description', d)) ->> 'id'
FROM (VALUES ('my-abtest1', 'Control', 20, NULL), ('my-abtest1', 'Test Segment A', 40, 'A description'),
			 ('my-abtest1', 'Test Segment B', 40, NULL),
			 ('my-abtest2', 'Control', 20, NULL), ('my-abtest2', 'Test Segment B', 80, NULL)) AS x(t, s, a, d);
-- The seed's list sample, with the first document's "_type": "ab_tests"
-- read as "ab_test" and its v17.8 links as v17_8, as its other samples have.
INSERT INTO sample VALUES ('list', $${
  "_v" : "17.8",
  "_type" : "ab_test_search_result",
  "count" : 2,
  "data" : [
    {
       "_v" : "17.8",
       "_type" : "ab_test",
       "customer_groups" : ["abtest_customer_group"],
       "description" : "my abtest1 description",
       "email_addresses" : ["abtest@example.com"],
       "enabled" : true,
       "end_date" : "2015-07-31T23:09:08.000Z",
       "expiration_type" : "session",
       "id" : "my-abtest1",
       "key_metric_id" : "abtest_key_metric_id",
       "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest1",
       "paused" : true,
       "start_date" : "2015-04-01T11:30:15.000Z",
       "tags" : ["abtest_tag"],
       "test_groups" : [
          {"_type" : "ab_test_group", "allocation" : 20, "custom_experience" : false, "id" : "Control"},
          {"_type" : "ab_test_group", "allocation" : 40, "custom_experience" : false,
           "description" : "A description", "id" : "Test Segment A"},
          {"_type" : "ab_test_group", "allocation" : 40, "custom_experience" : false, "id" : "Test Segment B"}
       ],
       "trigger" : {"_type" : "ab_test_trigger", "is_pipeline_based" : false, "trigger_type" : "immediately"}
    },
    {
       "_v" : "17.8",
       "_type" : "ab_test",
       "customer_groups" : ["abtest_customer_group"],
       "description" : "my abtest2 description",
       "email_addresses" : ["abtest@example.com"],
       "enabled" : true,
       "end_date" : "2015-07-31T23:09:08.000Z",
       "expiration_type" : "session",
       "id" : "my-abtest2",
       "key_metric_id" : "abtest_key_metric_id",
       "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest2",
       "paused" : true,
       "start_date" : "2015-04-01T11:30:15.000Z",
       "tags" : ["abtest_tag"],
       "test_groups" : [
          {"_type" : "ab_test_group", "allocation" : 20, "custom_experience" : false, "id" : "Control"},
          {"_type" : "ab_test_group", "allocation" : 80, "custom_experience" : false, "id" : "Test Segment B"}
       ],
       "trigger" : {"_type" : "ab_test_trigger", "is_pipeline_based" : true, "trigger_type" : "pipeline_call",
                    "pipeline_calls" : ["My-Pipeline"]}
    }
  ],
  "select": "**",
  "start" : 0,
  "total" : 2
}$$);
SELECT * FROM pg_temp.differences(
	(SELECT r || jsonb_build_object('data', (SELECT jsonb_agg(d - '_resource_state') FROM jsonb_array_elements(r -> 'data') d))
	 FROM experiments.list_ab_tests(site_id => 'SiteGenesis', "select" => '(**)') r),
	'list');
-- every document of the list carries its own token
SELECT count(*) FROM jsonb_array_elements(experiments.list_ab_tests('SiteGenesis', "select" => '(**)') -> 'data') d
WHERE length(d ->> '_resource_state') = 64;
-- paging: start and count; without select, the id and link of each test
SELECT jsonb_pretty(experiments.list_ab_tests('SiteGenesis', start => 1, count => 1));
SELECT experiments.list_ab_tests('SiteGenesis', start => 5) ->> 'count' AS count_past_the_end;

\echo '== raise_http_error() refuses a status that is not an error'
-- (an internal function, which no role but the owner of the API calls)
RESET SESSION AUTHORIZATION;
SELECT experiments_internal.raise_http_error(200, 'fine', '{}');
\i sql/helpers/drop_logins.sql
