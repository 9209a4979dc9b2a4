-- The Commerce Cloud Data API A/B tests over HTTP, as a client of the
-- original API calls them (the Commerce Cloud document, seed 002): every
-- sample request body of the document sent verbatim through the PostgREST
-- harness, every answer compared with the document's status, headers and
-- body (as_documented), every fault with its status, document and arguments,
-- and every limit at its boundary and one past it. What differs from the
-- document, and why, is in docs/apis/commerce-cloud.md; where a comparison
-- corrects the document (a typo, JSON that does not parse) the comment says so.
-- _resource_state is a hash the server makes: compared masked, its form
-- checked (token_ok).
\i sql/helpers/http.sql
SELECT experiments.create_tenant('wire_commerce') AS tenant \gset
SELECT experiments.create_api_key(:'tenant', 'shop') AS client \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin') AS admin \gset
SELECT set_config('wire.admin', :'admin', false) \g /dev/null
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
INSERT INTO experiments.sites (key, name) VALUES ('SiteGenesis', 'Site Genesis') RETURNING id AS site \gset
COMMIT;

-- POST /rpc/<fn> as the admin key (the seed's Authorization: Bearer), with
-- the seed's x-dw-resource-state header when given.
CREATE FUNCTION pg_temp.call(fn text, args jsonb, resource_state text DEFAULT NULL,
							 OUT status integer, OUT body jsonb, OUT headers jsonb)
LANGUAGE sql AS $$
	SELECT * FROM pg_temp.http('POST', '/rpc/' || fn,
		jsonb_strip_nulls(jsonb_build_object('x-api-key', current_setting('wire.admin'), 'x-dw-resource-state', resource_state)),
		args::text)
$$;
-- A document with its _resource_state (and those of its data) masked.
CREATE FUNCTION pg_temp.mask(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
		RETURN doc;
	END IF;
	IF doc ? '_resource_state' THEN
		doc := jsonb_set(doc, '{_resource_state}', '"(masked)"');
	END IF;
	IF doc ? 'data' THEN
		doc := jsonb_set(doc, '{data}', (SELECT jsonb_agg(pg_temp.mask(d) ORDER BY n)
										 FROM jsonb_array_elements(doc -> 'data') WITH ORDINALITY AS x(d, n)));
	END IF;
	RETURN doc;
END;
$$;
-- Every _resource_state of a document (and of its data) is the server's
-- token, 64 hex digits; there is at least one.
CREATE FUNCTION pg_temp.token_ok(doc jsonb) RETURNS boolean
LANGUAGE sql AS $$
	SELECT bool_and(t ~ '^[0-9a-f]{64}$')
	FROM (SELECT doc ->> '_resource_state' AS t WHERE doc ? '_resource_state'
		  UNION ALL SELECT d ->> '_resource_state' FROM jsonb_array_elements(coalesce(doc -> 'data', '[]')) d) tokens
$$;
-- The current token of an A/B test, as a client reads it (GET).
CREATE FUNCTION pg_temp.state(id text) RETURNS text
LANGUAGE sql AS $$
	SELECT body ->> '_resource_state' FROM pg_temp.call('get_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', id))
$$;
-- The seed's documents: each sample body verbatim, by a name; the samples
-- whose text is not JSON are stored corrected, with the correction said.
CREATE TEMP TABLE seed (name text PRIMARY KEY, doc jsonb);
INSERT INTO seed VALUES
('ABTestNotFoundException', $${
  "_v":"17.8",
  "fault":{
    "type":"ABTestNotFoundException",
    "message":"No ab_test with ID 'my-abtest' for site 'SiteGenesis' was found."
  }
}$$),
('ABTesSegmentNotFoundException', $${
  "_v":"17.8",
  "fault":{
    "type":"ABTesSegmentNotFoundException",
    "message":"No segment with ID 'my-segment' in A/B test 'my-abtest' for site 'SiteGenesis' was found."
  }
}$$),
('ABTesGroupNotFoundException', $${
  "_v":"17.8",
  "fault":{
    "type":"ABTesGroupNotFoundException",
    "message":"No group with ID 'my-group' in A/B test 'my-abtest' for site 'SiteGenesis' was found."
  }
}$$),
('PromotionNotFoundException', $${
  "_v":"17.8",
  "fault":{
    "type":"PromotionNotFoundException",
    "message":"No promotion with ID 'my-promo' for site 'SiteGenesis' was found."
  }
}$$),
-- The document omits the closing brace of this one.
('SlotWithContextTypeNotFoundException', $${
  "_v":"17.8",
  "fault":{
    "type":"SlotWithContextTypeNotFoundException",
    "message":"No slot with ID 'my-slot' and context type 'CATEGORY' for site 'SiteGenesis' was found."
  }
}$$),
('SlotConfigurationIdentifierNotFoundException', $${
  "_v":"17.8",
  "fault":{
    "type":"SlotConfigurationIdentifierNotFoundException",
    "message":"No slot configuration with ID 'my-slot-config2', slot id 'my-slot', context type 'CATEGORY', and context id '' for site 'SiteGenesis' was found."
  }
}$$),
('InvalidContextTypeException', $${
  "_v":"17.8",
  "fault":{
    "type":"InvalidContextTypeException",
    "message":"'invalid' is not a valid context."
  }
}$$),
('SortingRuleNotFoundException', $${
  "_v":"17.8",
  "fault":{
    "type":"SortingRuleNotFoundException",
    "message":"No sorting rule with ID 'my-rule' for site 'SiteGenesis' was found."
  }
}$$),
('InvalidCategoryException', $${
  "_v":"17.8",
  "fault":{
    "type":"InvalidCategoryException",
    "message":"The specified category with ID 'category1.1' is invalid."
  }
}$$),
('ABTestDuplicateException', $${
  "_v":"17.8",
  "fault":{
    "type":"ABTestDuplicateException",
    "message":"The A/B test could not be created or updated because of duplicate ID 'my-abtest'."
  }
}$$),
-- The document omits the closing quote of the message.
('ABTestInvalidEmailException', $${
  "_v":"17.8",
  "fault":{
    "type":"ABTestInvalidEmailException",
    "message":"The email '[email protected]' specified for A/B test with ID 'my-abtest' is invalid."
  }
}$$),
('ABTestInvalidPipelineException', $${
  "_v":"17.8",
  "fault":{
    "type":"ABTestInvalidPipelineException",
    "message":"The pipeline 'hello' specified for A/B test with ID 'my-abtest' is invalid."
  }
}$$),
('ABTestInvalidTriggerException', $${
  "_v":"17.8",
  "fault":{
    "type":"ABTestInvalidTriggerException",
    "message":"'pipeline' is missing for trigger type 'PIPELINE_CALL' specified for A/B test with ID my-test'."
  }
}$$),
('StartAfterEndException', $${
  "_v":"17.8",
  "fault":{
    "type":"StartAfterEndException",
    "message":"The start date '2015-04-01T11:30:15.000Z' is after the end date '2015-02-01T11:30:15.000Z' for 'ab_test' with ID 'my-test'."
  }
}$$),
('ABTestInvalidDateException', $${
  "_v":"17.8",
  "fault":{
    "type":"ABTestInvalidDateException",
    "message":"The A/B test with ID ''my-test' and 'end date' '2015-02-01T11:30:15.000Z' could not be created. Please specify both the start date and the end date."
  }
}$$),
('PUT ab_test request', $${
   "customer_groups" : 
   [
      "abtest_customer_group"
   ],
   "description" : "abtest description",
   "email_addresses" : 
   [
      "[email protected]"
   ],
   "enabled" : true,
   "end_date" : "2015-07-31T23:09:08.000Z",
   "expiration_type" : "session",
   "key_metric_id" : "abtest_key_metric_id",
   "paused" : true,
   "start_date" : "2015-04-01T11:30:15.000Z",
   "tags" : 
   [
      "abtest_tag"
   ],
   "trigger" : 
   {
      "is_pipeline_based" : false,
      "trigger_type" : "immediately"
   }
}$$),
('PUT ab_test 201', $${
   "_v" : "17.8",
   "_resource_state" : "860cde3040519cce439cd99e209f8a87c3ad0b7e2813edbf6f5501f763b73bd5",
   "_type" : "ab_test",
   "customer_groups" : 
   [
      "abtest_customer_group"
   ],
   "description" : "abtest description",
   "email_addresses" : 
   [
      "[email protected]"
   ],
   "enabled" : true,
   "end_date" : "2015-07-31T23:09:08.000Z",
   "expiration_type" : "session",
   "id" : "my-abtest",
   "key_metric_id" : "abtest_key_metric_id",
   "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest",
   "paused" : true,
   "start_date" : "2015-04-01T11:30:15.000Z",
   "tags" : 
   [
      "abtest_tag"
   ],
   "test_groups" : 
   [
      {
         "_type" : "ab_test_group",
         "allocation" : 20,
         "custom_experience" : false,
         "id" : "Control"
      },
      {
         "_type" : "ab_test_group",
         "allocation" : 40,
         "custom_experience" : false,
         "description" : "A description",
         "id" : "Test Segment A"
      },
      {
         "_type" : "ab_test_group",
         "allocation" : 40,
         "custom_experience" : false,
         "id" : "Test Segment B"
      }
   ],   
   "trigger" : 
   {
      "_type" : "ab_test_trigger",
      "is_pipeline_based" : false,
      "trigger_type" : "immediately"
   }
}$$),
('PUT segment request', $${
   "description" : "segment description",
   "allocation": 40,
   "custom_experience": false
}$$),
-- The document's text lacks the comma after "custom_experience": false and
-- has one after the last property.
('PUT segment 201', $${
   "_v" : "17.8",
   "_resource_state" : "860cde3040519cce439cd99e209f8a87c3ad0b7e2813edbf6f5501f763b73bd5",
   "_type" : "ab_test_segment",
   "allocation": 40,
   "custom_experience": false,
   "description" : "segment description",
   "id" : "my-segment",
   "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest/segments/my-segment"
}$$),
('PATCH segment request', $${
   "description" : "modified description",
   "allocation": 10
}$$),
-- The document's text has a comma after the last property.
('PATCH segment 200', $${
   "_v" : "17.8",
   "_resource_state" : "860cde3040519cce439cd99e209f8a87c3ad0b7e2813edbf6f5501f763b73bd5",
   "_type" : "ab_test_segment",
   "allocation": 10,
   "description" : "modified description",
   "id" : "my-segment",
   "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest/segments/my-segment"
}$$),
('GET segment 200', $${
   "_v" : "17.8",
   "_resource_state" : "860cde3040519cce439cd99e209f8a87c3ad0b7e2813edbf6f5501f763b73bd5",
   "_type" : "ab_test",
   "customer_groups" :
   [
      "abtest_customer_group"
   ],
   "description" : "abtest description",
   "email_addresses" : 
   [
      "[email protected]"
   ],
   "enabled" : true,
   "end_date" : "2015-07-31T23:09:08.000Z",
   "expiration_type" : "session",
   "id" : "my-abtest",
   "key_metric_id" : "abtest_key_metric_id",
   "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest",
   "paused" : true,
   "start_date" : "2015-04-01T11:30:15.000Z",
   "tags" : 
   [
      "abtest_tag"
   ],
   "test_segments" :
   [
      {
         "_type" : "ab_test_segment",
         "allocation" : 20,
         "custom_experience" : false,
         "id" : "Control"
      },
      {
         "_type" : "ab_test_segment",
         "allocation" : 40,
         "custom_experience" : false,
         "description" : "A description",
         "id" : "Test Segment A"
      },
      {
         "_type" : "ab_test_segment",
         "allocation" : 40,
         "custom_experience" : false,
         "id" : "Test Segment B"
      }
   ],   
   "trigger" : 
   {
      "_type" : "ab_test_trigger",
      "is_pipeline_based" : false,
      "trigger_type" : "immediately"
   }
   
}$$),
('GET ab_test 200', $${
   "_v" : "17.8",
   "_resource_state" : "860cde3040519cce439cd99e209f8a87c3ad0b7e2813edbf6f5501f763b73bd5",
   "_type" : "ab_test",
   "customer_groups" : 
   [
      "abtest_customer_group"
   ],
   "description" : "abtest description",
   "email_addresses" : 
   [
      "[email protected]"
   ],
   "enabled" : true,
   "end_date" : "2015-07-31T23:09:08.000Z",
   "expiration_type" : "session",
   "id" : "my-abtest",
   "key_metric_id" : "abtest_key_metric_id",
   "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest",
   "paused" : true,
   "start_date" : "2015-04-01T11:30:15.000Z",
   "tags" : 
   [
      "abtest_tag"
   ],
   "test_groups" : 
   [
      {
         "_type" : "ab_test_group",
         "allocation" : 20,
         "custom_experience" : false,
         "id" : "Control"
      },
      {
         "_type" : "ab_test_group",
         "allocation" : 40,
         "custom_experience" : false,
         "description" : "A description",
         "id" : "Test Segment A"
      },
      {
         "_type" : "ab_test_group",
         "allocation" : 40,
         "custom_experience" : false,
         "id" : "Test Segment B"
      }
   ],   
   "trigger" : 
   {
      "_type" : "ab_test_trigger",
      "is_pipeline_based" : false,
      "trigger_type" : "immediately"
   }
   
}$$),
('PATCH ab_test request', $${
   "_resource_state" : "847f9c3c5867f641470b3046aeec31f07757991b792d722e10079926f7a289fb",
   "customer_groups" : 
   [
      "abtest_customer_group"
   ],
   "description" : "abtest description",
   "email_addresses" : 
   [
      "[email protected]"
   ],
   "enabled" : true,
   "end_date" : "2015-07-31T23:09:08.000Z",
   "expiration_type" : "session",
   "id" : "my-abtest",
   "key_metric_id" : "abtest_key_metric_id",
   "paused" : true,
   "start_date" : "2015-04-01T11:30:15.000Z",
   "tags" : 
   [
      "abtest_tag"
   ],
   "trigger" : 
   {
      "is_pipeline_based" : false,
      "trigger_type" : "immediately"
   }
}$$),
('PATCH ab_test 200', $${
   "_v" : "17.8",
   "_resource_state" : "860cde3040519cce439cd99e209f8a87c3ad0b7e2813edbf6f5501f763b73bd5",
   "_type" : "ab_test",
   "customer_groups" : 
   [
      "abtest_customer_group"
   ],
   "description" : "abtest description",
   "email_addresses" : 
   [
      "[email protected]"
   ],
   "enabled" : true,
   "end_date" : "2015-07-31T23:09:08.000Z",
   "expiration_type" : "session",
   "id" : "my-abtest",
   "key_metric_id" : "abtest_key_metric_id",
   "link" : "https://example.com/s/-/dw/data/v17_8/sites/SiteGenesis/ab_tests/my-abtest",
   "paused" : true,
   "start_date" : "2015-04-01T11:30:15.000Z",
   "tags" : 
   [
      "abtest_tag"
   ],
   "test_groups" : 
   [
      {
         "_type" : "ab_test_group",
         "allocation" : 20,
         "custom_experience" : false,
         "id" : "Control"
      },
      {
         "_type" : "ab_test_group",
         "allocation" : 40,
         "custom_experience" : false,
         "description" : "A description",
         "id" : "Test Segment A"
      },
      {
         "_type" : "ab_test_group",
         "allocation" : 40,
         "custom_experience" : false,
         "id" : "Test Segment B"
      }
   ],   
   "trigger" : 
   {
      "_type" : "ab_test_trigger",
      "is_pipeline_based" : false,
      "trigger_type" : "immediately"
   }
}$$);
INSERT INTO seed VALUES
('GET ab_tests 200', $${
  "_v" : "17.8",
  "_type" : "ab_test_search_result",
  "count" : 2,
  "data" : [
    {
       "_v" : "17.8",
       "_type" : "ab_tests",
       "_resource_state":"c2309jd239jdrifj3ui4fn",
       "customer_groups" : 
       [
          "abtest_customer_group"
       ],
       "description" : "my abtest1 description",
       "email_addresses" : 
       [
          "[email protected]"
       ],
       "enabled" : true,
       "end_date" : "2015-07-31T23:09:08.000Z",
       "expiration_type" : "session",
       "id" : "my-abtest1",
       "key_metric_id" : "abtest_key_metric_id",
       "link" : "https://example.com/s/-/dw/data/v17.8/sites/SiteGenesis/ab_tests/my-abtest1",
       "paused" : true,
       "start_date" : "2015-04-01T11:30:15.000Z",
       "tags" : 
       [
          "abtest_tag"
       ],
       "test_groups" : 
       [
          {
             "_type" : "ab_test_group",
             "allocation" : 20,
             "custom_experience" : false,
             "id" : "Control"
          },
          {
             "_type" : "ab_test_group",
             "allocation" : 40,
             "custom_experience" : false,
             "description" : "A description",
             "id" : "Test Segment A"
          },
          {
             "_type" : "ab_test_group",
             "allocation" : 40,
             "custom_experience" : false,
             "id" : "Test Segment B"
          }
       ],   
       "trigger" : 
       {
          "_type" : "ab_test_trigger",
          "is_pipeline_based" : false,
          "trigger_type" : "immediately"
       }    
    },
    {
       "_v" : "17.8",
       "_type" : "ab_test",
       "_resource_state":"9g9jrfc93jr03fr09sdcjk",
       "customer_groups" : 
       [
          "abtest_customer_group"
       ],
       "description" : "my abtest2 description",
       "email_addresses" : 
       [
          "[email protected]"
       ],
       "enabled" : true,
       "end_date" : "2015-07-31T23:09:08.000Z",
       "expiration_type" : "session",
       "id" : "my-abtest2",
       "key_metric_id" : "abtest_key_metric_id",
       "link" : "https://example.com/s/-/dw/data/v17.8/sites/SiteGenesis/ab_tests/my-abtest2",
       "paused" : true,
       "start_date" : "2015-04-01T11:30:15.000Z",
       "tags" : 
       [
          "abtest_tag"
       ],
       "test_groups" : 
       [
          {
             "_type" : "ab_test_group",
             "allocation" : 20,
             "custom_experience" : false,
             "id" : "Control"
          },
          {
             "_type" : "ab_test_group",
             "allocation" : 80,
             "custom_experience" : false,
             "id" : "Test Segment B"
          }
       ],   
       "trigger" : 
       {
          "_type" : "ab_test_trigger",
          "is_pipeline_based" : true,
          "trigger_type" : "pipeline_call",
          "pipeline_calls" :
          [
              "My-Pipeline"
          ]
       }
    }
  ],
  "select": "**",
  "start" : 0,
  "total" : 2
}$$);

-- 1. Before the test exists: ABTestNotFoundException (404) from every
-- endpoint that names it, as the samples show.
SELECT c.fn, h.status, h.status = 404 AS status_as_documented,
	   h.body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'ABTestNotFoundException') AS body_as_documented,
	   h.body -> 'fault' -> 'arguments' = '{"abtestId": "my-abtest", "siteId": "SiteGenesis"}' AS arguments_as_listed
FROM (VALUES (1, 'get_ab_test', '{"id": "my-abtest"}'::jsonb),
			 (2, 'update_ab_test', '{"id": "my-abtest", "body": {}}'),
			 (3, 'delete_ab_test', '{"id": "my-abtest"}'),
			 (4, 'get_ab_test_segment', '{"ab_test_id": "my-abtest", "segment_id": "my-segment"}'),
			 (5, 'create_ab_test_segment', '{"ab_test_id": "my-abtest", "segment_id": "my-segment", "body": {}}'),
			 (6, 'update_ab_test_segment', '{"ab_test_id": "my-abtest", "segment_id": "my-segment", "body": {}}'),
			 (7, 'delete_ab_test_segment', '{"ab_test_id": "my-abtest", "segment_id": "my-segment"}'),
			 (8, 'bind_ab_test_promotion', '{"ab_test_id": "my-abtest", "segment_id": "my-segment", "promotion_id": "my-promo"}'),
			 (9, 'unbind_ab_test_promotion', '{"ab_test_id": "my-abtest", "segment_id": "my-segment", "promotion_id": "my-promo"}'),
			 (10, 'bind_ab_test_slot_configuration', '{"ab_test_id": "my-abtest", "segment_id": "my-segment", "slot_id": "my-slot1", "slot_config_id": "my-slot-config2", "context": "category=my-category1"}'),
			 (11, 'unbind_ab_test_slot_configuration', '{"ab_test_id": "my-abtest", "segment_id": "my-segment", "slot_id": "my-slot1", "slot_config_id": "my-slot-config2", "context": "category=my-category1"}'),
			 (12, 'bind_ab_test_sorting_rule', '{"ab_test_id": "my-abtest", "segment_id": "my-group", "sorting_rule_id": "my-rule", "category_id": "category1.1"}'),
			 (13, 'unbind_ab_test_sorting_rule', '{"ab_test_id": "my-abtest", "segment_id": "my-group", "sorting_rule_id": "my-rule", "category_id": "category1.1"}')) AS c(n, fn, args),
	 pg_temp.call(c.fn, c.args || '{"site_id": "SiteGenesis"}') h
ORDER BY c.n;
-- The whole answer of one: the fault at the top level, with its arguments.
SELECT status, body FROM pg_temp.call('get_ab_test', '{"site_id": "SiteGenesis", "id": "my-abtest"}');
-- A site that does not exist: SiteNotFoundException (404), its argument siteId.
SELECT status, body FROM pg_temp.call('get_ab_test', '{"site_id": "NoSuchSite", "id": "my-abtest"}');

-- 2. PUT /sites/SiteGenesis/ab_tests/my-abtest with the sample's body, verbatim:
-- its address "[email protected]" is the one the document's
-- ABTestInvalidEmailException sample calls invalid, and so it is (400).
SELECT h.status, h.status = 400 AS status_as_documented,
	   h.body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'ABTestInvalidEmailException') AS body_as_documented,
	   h.body -> 'fault' -> 'arguments' AS arguments
FROM pg_temp.call('create_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', 'my-abtest',
	'body', (SELECT doc FROM seed WHERE name = 'PUT ab_test request'))) h;
-- Nothing of the refused request stays.
SELECT count(*) AS tests_left FROM experiments.experiments WHERE tenant_id = :'tenant';
-- With an address for it: 201 Created, Location the test's URL, the
-- document as the sample (its test_groups aside: this PUT creates none; the
-- sample lists three, which section 8 adds and GET then shows).
SELECT h.status, h.status = 201 AS status_as_documented,
	   h.headers ->> 'location' AS location,
	   h.headers ->> 'location' = h.body ->> 'link' AS location_is_link,
	   pg_temp.mask(h.body - 'test_groups') = pg_temp.mask(jsonb_set((SELECT doc FROM seed WHERE name = 'PUT ab_test 201'),
		   '{email_addresses}', '["abtest@example.com"]') - 'test_groups') AS body_as_documented,
	   h.body -> 'test_groups' AS test_groups, pg_temp.token_ok(h.body) AS token_ok
FROM pg_temp.call('create_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', 'my-abtest',
	'body', jsonb_set((SELECT doc FROM seed WHERE name = 'PUT ab_test request'), '{email_addresses}', '["abtest@example.com"]'))) h;
-- Again: ABTestDuplicateException (409), as the sample.
SELECT h.status, h.status = 409 AS status_as_documented,
	   h.body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'ABTestDuplicateException') AS body_as_documented,
	   h.body -> 'fault' -> 'arguments' AS arguments
FROM pg_temp.call('create_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', 'my-abtest',
	'body', jsonb_set((SELECT doc FROM seed WHERE name = 'PUT ab_test request'), '{email_addresses}', '["abtest@example.com"]'))) h;

-- 3. The faults of the document's PUT and PATCH samples, each from the
-- request that makes it (my-test for those whose message names my-test).
SELECT c.fault, h.status, h.status = 400 AS status_as_documented,
	   h.body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = c.fault) AS body_as_documented,
	   h.body -> 'fault' -> 'arguments' AS arguments
FROM (VALUES (1, 'ABTestInvalidTriggerException', 'create_ab_test', '{"id": "my-test", "body": {"start_date": "2015-04-01T11:30:15.000Z",
				"end_date": "2015-07-31T23:09:08.000Z", "trigger": {"is_pipeline_based": true, "trigger_type": "pipeline_call"}}}'::jsonb),
			 (2, 'StartAfterEndException', 'create_ab_test', '{"id": "my-test", "body": {"start_date": "2015-04-01T11:30:15.000Z",
				"end_date": "2015-02-01T11:30:15.000Z"}}'),
			 (3, 'ABTestInvalidDateException', 'create_ab_test', '{"id": "my-test", "body": {"end_date": "2015-02-01T11:30:15.000Z"}}'),
			 (4, 'ABTestInvalidPipelineException', 'update_ab_test', '{"id": "my-abtest", "body": {"trigger": {"trigger_type": "pipeline_call",
				"pipeline_calls": ["hello"]}}}')) AS c(n, fault, fn, args),
	 pg_temp.call(c.fn, c.args || '{"site_id": "SiteGenesis"}') h
ORDER BY c.n;
-- The trigger fault on my-abtest for a category trigger, whole (the
-- document's message lacks the quote before the id; so does this one, to
-- match it).
SELECT status, body FROM pg_temp.call('update_ab_test', '{"site_id": "SiteGenesis", "id": "my-abtest", "body": {"trigger": {"trigger_type": "category_view_page"}}}');
-- An unknown trigger type, and the other date missing.
SELECT status, body FROM pg_temp.call('create_ab_test', '{"site_id": "SiteGenesis", "id": "my-test", "body": {"start_date": "2015-04-01T11:30:15.000Z",
	"end_date": "2015-07-31T23:09:08.000Z", "trigger": {"trigger_type": "sometimes"}}}');
SELECT status, body FROM pg_temp.call('create_ab_test', '{"site_id": "SiteGenesis", "id": "my-test", "body": {"start_date": "2015-04-01T11:30:15.000Z"}}');
-- IdConflictException (400): the body's id is not the URL's.
SELECT status, body FROM pg_temp.call('create_ab_test', '{"site_id": "SiteGenesis", "id": "my-test", "body": {"id": "other"}}');
-- None of them left anything: my-test does not exist, my-abtest is unchanged.
SELECT status, body ->> 'fault' IS NOT NULL AS fault FROM pg_temp.call('get_ab_test', '{"site_id": "SiteGenesis", "id": "my-test"}');
SELECT body -> 'trigger' AS trigger FROM pg_temp.call('get_ab_test', '{"site_id": "SiteGenesis", "id": "my-abtest"}');

-- 4. Segments, before my-segment exists: the segment's fault (the
-- document's samples spell it ABTesSegmentNotFoundException, its fault
-- tables ABTestSegmentNotFoundException, which is answered).
SELECT c.fn, h.status, h.status = 404 AS status_as_documented,
	   h.body #- '{fault,arguments}' = jsonb_set((SELECT doc FROM seed WHERE name = 'ABTesSegmentNotFoundException'),
		   '{fault,type}', '"ABTestSegmentNotFoundException"') AS body_as_documented,
	   h.body -> 'fault' -> 'arguments' = '{"abtestId": "my-abtest", "abTestSegmentId": "my-segment", "siteId": "SiteGenesis"}' AS arguments_as_listed
FROM (VALUES (1, 'get_ab_test_segment', '{}'::jsonb),
			 (2, 'update_ab_test_segment', '{"body": {}}'),
			 (3, 'delete_ab_test_segment', '{}'),
			 (4, 'bind_ab_test_promotion', '{"promotion_id": "my-promo"}'),
			 (5, 'unbind_ab_test_promotion', '{"promotion_id": "my-promo"}'),
			 (6, 'bind_ab_test_slot_configuration', '{"slot_id": "my-slot1", "slot_config_id": "my-slot-config2", "context": "category=my-category1"}'),
			 (7, 'unbind_ab_test_slot_configuration', '{"slot_id": "my-slot1", "slot_config_id": "my-slot-config2", "context": "category=my-category1"}'),
			 (8, 'bind_ab_test_sorting_rule', '{"sorting_rule_id": "my-rule", "category_id": "category1.1"}'),
			 (9, 'unbind_ab_test_sorting_rule', '{"sorting_rule_id": "my-rule", "category_id": "category1.1"}')) AS c(n, fn, args),
	 pg_temp.call(c.fn, c.args || '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment"}') h
ORDER BY c.n;
-- The sorting rule samples' path names a group my-group
-- (ABTesGroupNotFoundException): it is the segment my-group here.
SELECT c.fn, h.status, h.status = 404 AS status_as_documented,
	   h.body #- '{fault,arguments}' = jsonb_set(jsonb_set((SELECT doc FROM seed WHERE name = 'ABTesGroupNotFoundException'),
		   '{fault,type}', '"ABTestSegmentNotFoundException"'),
		   '{fault,message}', '"No segment with ID ''my-group'' in A/B test ''my-abtest'' for site ''SiteGenesis'' was found."') AS body_as_documented
FROM (VALUES (1, 'bind_ab_test_sorting_rule'), (2, 'unbind_ab_test_sorting_rule')) AS c(n, fn),
	 pg_temp.call(c.fn, '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-group", "sorting_rule_id": "my-rule", "category_id": "category1.1"}') h
ORDER BY c.n;

-- 5. PUT .../segments/my-segment with the sample's body, verbatim: 201,
-- Location the segment's URL (its link), the document as the sample.
SELECT h.status, h.status = 201 AS status_as_documented, h.headers ->> 'location' AS location,
	   h.headers ->> 'location' = h.body ->> 'link' AS location_is_link,
	   pg_temp.mask(h.body) = pg_temp.mask((SELECT doc FROM seed WHERE name = 'PUT segment 201')) AS body_as_documented,
	   pg_temp.token_ok(h.body) AS token_ok, pg_temp.mask(h.body) AS body
FROM pg_temp.call('create_ab_test_segment', jsonb_build_object('site_id', 'SiteGenesis', 'ab_test_id', 'my-abtest', 'segment_id', 'my-segment',
	'body', (SELECT doc FROM seed WHERE name = 'PUT segment request'))) h;
-- Again: ResourceAlreadyExistsException (409), serverState the test's token.
SELECT h.status, h.body -> 'fault' ->> 'type' AS type, h.body -> 'fault' ->> 'message' AS message,
	   h.body -> 'fault' -> 'arguments' ->> 'serverState' = pg_temp.state('my-abtest') AS server_state_current
FROM pg_temp.call('create_ab_test_segment', jsonb_build_object('site_id', 'SiteGenesis', 'ab_test_id', 'my-abtest', 'segment_id', 'my-segment',
	'body', (SELECT doc FROM seed WHERE name = 'PUT segment request'))) h;
-- IdConflictException (400) with its arguments bodyID and urlID.
SELECT status, body FROM pg_temp.call('create_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "other", "body": {"id": "my-segment"}}');
-- PATCH with the sample's body, verbatim: 200 and the sample's document,
-- which leaves out custom_experience (false since the PUT): the whole
-- segment is answered.
SELECT h.status, h.status = 200 AS status_as_documented,
	   pg_temp.mask(h.body - 'custom_experience') = pg_temp.mask((SELECT doc FROM seed WHERE name = 'PATCH segment 200')) AS body_as_documented,
	   h.body -> 'custom_experience' AS custom_experience, pg_temp.token_ok(h.body) AS token_ok
FROM pg_temp.call('update_ab_test_segment', jsonb_build_object('site_id', 'SiteGenesis', 'ab_test_id', 'my-abtest', 'segment_id', 'my-segment',
	'body', (SELECT doc FROM seed WHERE name = 'PATCH segment request'))) h;
-- GET of the segment (GET as the seed): the segment's document. The
-- document's GET sample shows a whole A/B test instead: section 8 compares
-- it with GET of the test.
SELECT h.status, h.status = 200 AS status_as_documented,
	   pg_temp.mask(h.body - 'custom_experience') = pg_temp.mask((SELECT doc FROM seed WHERE name = 'PATCH segment 200')) AS body_is_segment
FROM pg_temp.http('GET', '/rpc/get_ab_test_segment?site_id=SiteGenesis&ab_test_id=my-abtest&segment_id=my-segment&expand=all',
				  jsonb_build_object('x-api-key', :'admin')) h;

-- 6. Bindings. First each object's fault, as the samples (the slot
-- configuration's names the context id asked for, my-category1, where the
-- sample shows '').
SELECT status, status = 404 AS status_as_documented,
	   body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'PromotionNotFoundException') AS body_as_documented,
	   body -> 'fault' -> 'arguments' AS arguments
FROM pg_temp.call('bind_ab_test_promotion', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment", "promotion_id": "my-promo"}');
SELECT status, status = 404 AS status_as_documented,
	   body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'SlotWithContextTypeNotFoundException') AS body_as_documented,
	   body -> 'fault' -> 'arguments' AS arguments
FROM pg_temp.call('bind_ab_test_slot_configuration', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment",
	"slot_id": "my-slot", "slot_config_id": "my-slot-config2", "context": "category=my-category1"}');
INSERT INTO experiments.slots (tenant_id, site_id, key, context_type) VALUES (:'tenant', :site, 'my-slot', 'category');
SELECT status, status = 404 AS status_as_documented,
	   body #- '{fault,arguments}' = jsonb_set((SELECT doc FROM seed WHERE name = 'SlotConfigurationIdentifierNotFoundException'),
		   '{fault,message}', to_jsonb(replace((SELECT doc FROM seed WHERE name = 'SlotConfigurationIdentifierNotFoundException') -> 'fault' ->> 'message',
										   'context id ''''', 'context id ''my-category1'''))) AS body_as_documented,
	   body -> 'fault' -> 'arguments' AS arguments
FROM pg_temp.call('bind_ab_test_slot_configuration', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment",
	"slot_id": "my-slot", "slot_config_id": "my-slot-config2", "context": "category=my-category1"}');
SELECT c.fn, h.status, h.status = 400 AS status_as_documented,
	   h.body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'InvalidContextTypeException') AS body_as_documented,
	   h.body -> 'fault' -> 'arguments' AS arguments
FROM (VALUES (1, 'bind_ab_test_slot_configuration'), (2, 'unbind_ab_test_slot_configuration')) AS c(n, fn),
	 pg_temp.call(c.fn, '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment",
		"slot_id": "my-slot", "slot_config_id": "my-slot-config2", "context": "invalid"}') h
ORDER BY c.n;
SELECT status FROM pg_temp.call('create_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-group", "body": {}}');
SELECT status, status = 404 AS status_as_documented,
	   body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'SortingRuleNotFoundException') AS body_as_documented,
	   body -> 'fault' -> 'arguments' AS arguments
FROM pg_temp.call('bind_ab_test_sorting_rule', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-group", "sorting_rule_id": "my-rule", "category_id": "category1.1"}');
INSERT INTO experiments.sorting_rules (tenant_id, site_id, key) VALUES (:'tenant', :site, 'my-rule'), (:'tenant', :site, 'other-rule');
SELECT status, status = 400 AS status_as_documented,
	   body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'InvalidCategoryException') AS body_as_documented,
	   body -> 'fault' -> 'arguments' AS arguments
FROM pg_temp.call('bind_ab_test_sorting_rule', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-group", "sorting_rule_id": "my-rule", "category_id": "category1.1"}');
-- Now each exists: the samples' requests answer 204 without a body, bound
-- and unbound.
INSERT INTO experiments.promotions (tenant_id, site_id, key) VALUES (:'tenant', :site, 'my-promo');
INSERT INTO experiments.categories (tenant_id, site_id, key) VALUES (:'tenant', :site, 'category1.1');
INSERT INTO experiments.slots (tenant_id, site_id, key, context_type) VALUES (:'tenant', :site, 'my-slot1', 'category');
INSERT INTO experiments.slot_configurations (tenant_id, slot_id, key, context_id)
SELECT :'tenant', id, 'my-slot-config2', 'my-category1' FROM experiments.slots WHERE site_id = :site AND key = 'my-slot1';
CREATE FUNCTION pg_temp.bindings(verb text) RETURNS TABLE (call text, status integer, status_as_documented boolean, body jsonb)
LANGUAGE sql AS $$
	SELECT verb || c.fn, h.status, h.status = 204, h.body
	FROM (VALUES (1, '_ab_test_promotion', '{"segment_id": "my-segment", "promotion_id": "my-promo"}'::jsonb),
				 (2, '_ab_test_slot_configuration', '{"segment_id": "my-segment", "slot_id": "my-slot1", "slot_config_id": "my-slot-config2", "context": "category=my-category1"}'),
				 (3, '_ab_test_sorting_rule', '{"segment_id": "my-group", "sorting_rule_id": "my-rule", "category_id": "category1.1"}')) AS c(n, fn, args),
		 pg_temp.call(verb || c.fn, c.args || '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest"}') h
	ORDER BY c.n
$$;
SELECT * FROM pg_temp.bindings('bind');
SELECT (SELECT count(*) FROM experiments.segment_promotions WHERE tenant_id = :'tenant') AS promotions,
	   (SELECT count(*) FROM experiments.segment_slot_configurations WHERE tenant_id = :'tenant') AS slot_configurations,
	   (SELECT count(*) FROM experiments.segment_sorting_rules WHERE tenant_id = :'tenant') AS sorting_rules;
-- Another rule for the same test and category:
-- SortingRuleCampaignAssignConflictException (409) with its four arguments.
SELECT status, body FROM pg_temp.call('bind_ab_test_sorting_rule', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment",
	"sorting_rule_id": "other-rule", "category_id": "category1.1"}');
SELECT * FROM pg_temp.bindings('unbind');
SELECT (SELECT count(*) FROM experiments.segment_promotions WHERE tenant_id = :'tenant') +
	   (SELECT count(*) FROM experiments.segment_slot_configurations WHERE tenant_id = :'tenant') +
	   (SELECT count(*) FROM experiments.segment_sorting_rules WHERE tenant_id = :'tenant') AS bindings_left;
-- The global context (no context), and a site that does not exist:
-- SiteNotFoundException (404).
SELECT status, body FROM pg_temp.call('bind_ab_test_slot_configuration', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment",
	"slot_id": "my-slot1", "slot_config_id": "my-slot-config2"}');
SELECT status, body FROM pg_temp.call('bind_ab_test_promotion', '{"site_id": "NoSuchSite", "ab_test_id": "my-abtest", "segment_id": "my-segment", "promotion_id": "my-promo"}');

-- 7. DELETE of a segment with the sample's x-dw-resource-state, verbatim:
-- not the test's token, so ResourceStateConflictException (409) and nothing
-- deleted; with the current token 204.
SELECT status, body FROM pg_temp.call('delete_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment"}',
	'860cde3040519cce439cd99e209f8a87c3ad0b7e2813edbf6f5501f763b73bd5');
SELECT string_agg(v.key, ', ' ORDER BY v.ordinal) AS segments FROM experiments.variants v JOIN experiments.experiments e ON e.id = v.experiment_id
WHERE e.tenant_id = :'tenant' AND e.key = 'my-abtest';
-- The resource_state argument is checked as the header is.
SELECT status, body -> 'fault' ->> 'type' AS type FROM pg_temp.call('delete_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment",
	"resource_state": "860cde3040519cce439cd99e209f8a87c3ad0b7e2813edbf6f5501f763b73bd5"}');
SELECT status, status = 204 AS status_as_documented, body FROM pg_temp.call('delete_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-segment"}',
	pg_temp.state('my-abtest'));
SELECT status, body FROM pg_temp.call('delete_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "my-group"}');

-- 8. The three segments of the samples; then GET of the test (GET as the
-- seed) is the GET sample (its address aside, see section 2), and the
-- GET sample of a segment, whose whole test it shows (test_segments).
SELECT s.id, h.status FROM (VALUES (1, 'Control', '{"allocation": 20, "custom_experience": false}'::jsonb),
								   (2, 'Test Segment A', '{"allocation": 40, "custom_experience": false, "description": "A description"}'),
								   (3, 'Test Segment B', '{"allocation": 40, "custom_experience": false}')) AS s(n, id, body),
	 pg_temp.call('create_ab_test_segment', jsonb_build_object('site_id', 'SiteGenesis', 'ab_test_id', 'my-abtest', 'segment_id', s.id, 'body', s.body)) h
ORDER BY s.n;
SELECT h.status, h.status = 200 AS status_as_documented,
	   pg_temp.mask(h.body) = pg_temp.mask(jsonb_set((SELECT doc FROM seed WHERE name = 'GET ab_test 200'),
		   '{email_addresses}', '["abtest@example.com"]')) AS body_as_documented,
	   pg_temp.mask(h.body) = pg_temp.mask(jsonb_set((SELECT doc FROM seed WHERE name = 'GET segment 200') - 'test_segments',
		   '{email_addresses}', '["abtest@example.com"]')
		   || jsonb_build_object('test_groups', (SELECT jsonb_agg(jsonb_set(g, '{_type}', '"ab_test_group"') ORDER BY n)
												 FROM jsonb_array_elements((SELECT doc FROM seed WHERE name = 'GET segment 200') -> 'test_segments')
												 WITH ORDINALITY AS x(g, n)))) AS segment_sample_as_test,
	   pg_temp.token_ok(h.body) AS token_ok, pg_temp.mask(h.body) AS body
FROM pg_temp.http('GET', '/rpc/get_ab_test?site_id=SiteGenesis&id=my-abtest', jsonb_build_object('x-api-key', :'admin')) h;

-- 9. PATCH of the test with the sample's body, verbatim: its
-- _resource_state is the document's, not this test's (409); with the
-- current one, the address (400, as the sample); with an address, 200 and
-- the sample's document.
SELECT status, body FROM pg_temp.call('update_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', 'my-abtest',
	'body', (SELECT doc FROM seed WHERE name = 'PATCH ab_test request')));
SELECT h.status, h.status = 400 AS status_as_documented,
	   h.body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'ABTestInvalidEmailException') AS body_as_documented
FROM pg_temp.call('update_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', 'my-abtest',
	'body', jsonb_set((SELECT doc FROM seed WHERE name = 'PATCH ab_test request'), '{_resource_state}', to_jsonb(pg_temp.state('my-abtest'))))) h;
SELECT h.status, h.status = 200 AS status_as_documented,
	   pg_temp.mask(h.body) = pg_temp.mask(jsonb_set((SELECT doc FROM seed WHERE name = 'PATCH ab_test 200'),
		   '{email_addresses}', '["abtest@example.com"]')) AS body_as_documented,
	   pg_temp.token_ok(h.body) AS token_ok
FROM pg_temp.call('update_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', 'my-abtest',
	'body', jsonb_set(jsonb_set((SELECT doc FROM seed WHERE name = 'PATCH ab_test request'), '{_resource_state}', to_jsonb(pg_temp.state('my-abtest'))),
		'{email_addresses}', '["abtest@example.com"]'))) h;
-- Renaming another test to my-abtest: ABTestDuplicateException (409), as the sample.
SELECT status FROM pg_temp.call('create_ab_test', '{"site_id": "SiteGenesis", "id": "other-test", "body": {"start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z"}}');
SELECT h.status, h.status = 409 AS status_as_documented,
	   h.body #- '{fault,arguments}' = (SELECT doc FROM seed WHERE name = 'ABTestDuplicateException') AS body_as_documented,
	   h.body -> 'fault' -> 'arguments' AS arguments
FROM pg_temp.call('update_ab_test', '{"site_id": "SiteGenesis", "id": "other-test", "body": {"id": "my-abtest"}}') h;
-- A started test keeps its segments at 100 percent
-- (ABTestSegmentAllocationException, 400), the change rolled back.
SELECT status, body ->> 'enabled' AS enabled FROM pg_temp.call('update_ab_test', '{"site_id": "SiteGenesis", "id": "my-abtest", "body": {"paused": false, "end_date": "2099-12-31T00:00:00.000Z"}}');
SELECT status, body FROM pg_temp.call('update_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "Control", "body": {"allocation": 30}}');
-- Nor does it lose a segment (ABTestSegmentAllocationException, 400): a
-- segment created later would take its place, and the visitors and events
-- recorded under it.
SELECT status, body -> 'fault' ->> 'type' AS type, body -> 'fault' ->> 'message' AS message
FROM pg_temp.call('delete_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "my-abtest", "segment_id": "Test Segment B"}',
	pg_temp.state('my-abtest'));
SELECT string_agg(v.key || '=' || v.allocation_bp, ', ' ORDER BY v.ordinal) AS segments, e.state
FROM experiments.variants v JOIN experiments.experiments e ON e.id = v.experiment_id
WHERE e.tenant_id = :'tenant' AND e.key = 'my-abtest' GROUP BY e.state;
-- Before a scheduled test begins serving, it may still lose a segment,
-- unless visitors are recorded under it already (a client reporting
-- exposures early, written as publish() writes them): the same fault, nothing
-- deleted. A segment without them goes (204).
SELECT status FROM pg_temp.call('create_ab_test', '{"site_id": "SiteGenesis", "id": "early-test", "body": {"start_date": "2099-01-01T00:00:00.000Z", "end_date": "2099-12-31T00:00:00.000Z"}}');
SELECT s.id, h.status FROM (VALUES (1, 'Control', '{"allocation": 50}'::jsonb), (2, 'Treated', '{"allocation": 50}'),
								   (3, 'Spare', '{"allocation": 0}'), (4, 'Early', '{"allocation": 0}')) AS s(n, id, body),
	 pg_temp.call('create_ab_test_segment', jsonb_build_object('site_id', 'SiteGenesis', 'ab_test_id', 'early-test', 'segment_id', s.id, 'body', s.body)) h
ORDER BY s.n;
SELECT status, body ->> 'enabled' AS enabled FROM pg_temp.call('update_ab_test', '{"site_id": "SiteGenesis", "id": "early-test", "body": {"enabled": true, "paused": false}}');
SELECT state, started_at IS NOT NULL AS started, starts_at > now() AS start_ahead
FROM experiments.experiments WHERE tenant_id = :'tenant' AND key = 'early-test';
SET experiments.tenant = :'tenant';
SET ROLE experiments_api_owner;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT e.id, v.ordinal, e.unit_type, 'early-visitor', now(), true, true, false, false, false, false
FROM experiments.experiments e JOIN experiments.variants v ON v.experiment_id = e.id
WHERE e.key = 'early-test' AND v.key = 'Early';
RESET ROLE;
RESET experiments.tenant;
SELECT status, body -> 'fault' ->> 'type' AS type, body -> 'fault' ->> 'message' AS message
FROM pg_temp.call('delete_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "early-test", "segment_id": "Early"}');
SELECT status FROM pg_temp.call('delete_ab_test_segment', '{"site_id": "SiteGenesis", "ab_test_id": "early-test", "segment_id": "Spare"}');
SELECT string_agg(v.key || '=' || v.allocation_bp, ', ' ORDER BY v.ordinal) AS segments
FROM experiments.variants v JOIN experiments.experiments e ON e.id = v.experiment_id
WHERE e.tenant_id = :'tenant' AND e.key = 'early-test';
-- (The test goes, with its segments: the sections below count this site's tests.)
SELECT status FROM pg_temp.call('delete_ab_test', '{"site_id": "SiteGenesis", "id": "early-test"}');

-- 10. DELETE of the test with the sample's header, verbatim: 409, nothing
-- deleted; with the current token 204; then GET answers 404.
SELECT status, body FROM pg_temp.call('delete_ab_test', '{"site_id": "SiteGenesis", "id": "my-abtest"}',
	'860cde3040519cce439cd99e209f8a87c3ad0b7e2813edbf6f5501f763b73bd5');
SELECT count(*) AS tests FROM experiments.experiments WHERE tenant_id = :'tenant' AND key = 'my-abtest';
SELECT status, status = 204 AS status_as_documented, body FROM pg_temp.call('delete_ab_test', '{"site_id": "SiteGenesis", "id": "my-abtest"}', pg_temp.state('my-abtest'));
SELECT status, body -> 'fault' ->> 'type' AS type FROM pg_temp.call('get_ab_test', '{"site_id": "SiteGenesis", "id": "my-abtest"}');
-- Without a token, a DELETE is unconditional.
SELECT status, body FROM pg_temp.call('delete_ab_test', '{"site_id": "SiteGenesis", "id": "other-test"}');

-- 11. GET /sites/SiteGenesis/ab_tests?select=(**): the two tests of the
-- sample, made from its documents (PUT of each without what the server
-- writes, then PUT of its segments), listed. select is PostgREST's own
-- query parameter, so it goes in the body of POST /rpc/list_ab_tests. The
-- sample's first test has _type "ab_tests" and its links v17.8; corrected.
SELECT d ->> 'id' AS id, h.status
FROM jsonb_array_elements((SELECT doc FROM seed WHERE name = 'GET ab_tests 200') -> 'data') WITH ORDINALITY AS x(d, n),
	 pg_temp.call('create_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', d ->> 'id',
		'body', jsonb_set(d - '_v' - '_type' - '_resource_state' - 'link' - 'test_groups', '{email_addresses}', '["abtest@example.com"]'))) h
ORDER BY x.n;
SELECT d ->> 'id' AS id, g ->> 'id' AS segment, h.status
FROM jsonb_array_elements((SELECT doc FROM seed WHERE name = 'GET ab_tests 200') -> 'data') WITH ORDINALITY AS x(d, n),
	 jsonb_array_elements(d -> 'test_groups') WITH ORDINALITY AS y(g, m),
	 pg_temp.call('create_ab_test_segment', jsonb_build_object('site_id', 'SiteGenesis', 'ab_test_id', d ->> 'id', 'segment_id', g ->> 'id',
		'body', g - '_type' - 'id')) h
ORDER BY x.n, y.m;
SELECT h.status, h.status = 200 AS status_as_documented,
	   pg_temp.mask(h.body) = (SELECT pg_temp.mask(replace(jsonb_set(jsonb_set(jsonb_set(doc, '{data,0,_type}', '"ab_test"'),
		   '{data,0,email_addresses}', '["abtest@example.com"]'), '{data,1,email_addresses}', '["abtest@example.com"]')::text,
		   '/v17.8/', '/v17_8/')::jsonb) FROM seed WHERE name = 'GET ab_tests 200') AS body_as_documented,
	   pg_temp.token_ok(h.body) AS token_ok
FROM pg_temp.call('list_ab_tests', '{"site_id": "SiteGenesis", "select": "(**)"}') h;
-- Without select: the id and link of each; start and count page.
SELECT status, body FROM pg_temp.http('GET', '/rpc/list_ab_tests?site_id=SiteGenesis&start=1&count=1', jsonb_build_object('x-api-key', :'admin'));

-- 12. Who may call: without credentials or with a key that is not valid,
-- InvalidAccessTokenException (401); a client's key, good but not for
-- management, ClientAccessForbiddenException (403); both with the reason,
-- as faults. A token PostgREST verified (Authorization: Bearer, as the
-- seed's clients send) of an admin is accepted.
SELECT c.who, h.status, h.body -> 'fault' ->> 'type' AS type, h.body -> 'fault' ->> 'message' AS message, h.body ->> '_v' AS v
FROM (VALUES (1, 'nobody', '{}'::jsonb), (2, 'bad key', '{"x-api-key": "xk_wrong"}'), (3, 'client key', jsonb_build_object('x-api-key', :'client'))) AS c(n, who, hdrs),
	 pg_temp.http('POST', '/rpc/list_ab_tests', c.hdrs, '{"site_id": "SiteGenesis"}') h
ORDER BY c.n;
SELECT status, body -> 'fault' ->> 'type' AS type FROM pg_temp.http('POST', '/rpc/delete_ab_test', jsonb_build_object('x-api-key', :'client'),
	'{"site_id": "SiteGenesis", "id": "my-abtest1"}');
SELECT count(*) AS tests FROM experiments.experiments WHERE tenant_id = :'tenant';
SELECT status, body -> 'total' AS total FROM pg_temp.http('POST', '/rpc/list_ab_tests', '{}', '{"site_id": "SiteGenesis"}',
	jsonb_build_object('role', 'experiments_admin', 'tenant', :'tenant', 'sub', 'ops@example.com'));

-- 13. Limits, each at its boundary and one past it. An A/B test id has 1 to
-- 40 characters (maxLength=40, minLength=1).
SELECT length(c.id) AS id_length, h.status, h.body -> 'fault' ->> 'type' AS type
FROM (VALUES (1, repeat('t', 40)), (2, repeat('t', 41)), (3, ''), (4, 't')) AS c(n, id),
	 pg_temp.call('create_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', c.id,
		'body', '{"start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z"}'::jsonb)) h
ORDER BY c.n;
-- A segment id 1 to 128 (the catalog's limit; the seed's minLength=1).
SELECT length(c.id) AS id_length, h.status, h.body -> 'fault' ->> 'type' AS type
FROM (VALUES (1, repeat('s', 128)), (2, repeat('s', 129)), (3, ''), (4, 's')) AS c(n, id),
	 pg_temp.call('create_ab_test_segment', jsonb_build_object('site_id', 'SiteGenesis', 'ab_test_id', 't', 'segment_id', c.id, 'body', '{}'::jsonb)) h
ORDER BY c.n;
-- An empty site id (minLength=1): no such site.
SELECT status, body -> 'fault' ->> 'type' AS type FROM pg_temp.call('get_ab_test', '{"site_id": "", "id": "t"}');
-- count 1 to 200 (default 25), start 0 or more.
SELECT c.start, c.count, h.status, h.body -> 'count' AS answered_count, h.body -> 'fault' ->> 'type' AS type
FROM (VALUES (1, 0, 1), (2, 0, 0), (3, 0, 200), (4, 0, 201), (5, -1, 25), (6, 0, NULL)) AS c(n, start, count),
	 pg_temp.call('list_ab_tests', jsonb_strip_nulls(jsonb_build_object('site_id', 'SiteGenesis', 'start', c.start, 'count', c.count))) h
ORDER BY c.n;
-- select: (**) or none.
SELECT status, body FROM pg_temp.call('list_ab_tests', '{"site_id": "SiteGenesis", "select": "(id)"}');
-- An allocation is a percentage from 0 to 100 in hundredths.
SELECT c.allocation, h.status, h.body -> 'allocation' AS allocation, h.body -> 'fault' ->> 'type' AS type
FROM (VALUES (1, 100), (2, 100.01), (3, 0), (4, -0.01), (5, 12.34), (6, 12.345)) AS c(n, allocation),
	 pg_temp.call('update_ab_test_segment', jsonb_build_object('site_id', 'SiteGenesis', 'ab_test_id', 't', 'segment_id', 's',
		'body', jsonb_build_object('allocation', c.allocation))) h
ORDER BY c.n;
-- A property of the wrong type; and a value longer than its column takes
-- (expiration_type: 256 characters), both InvalidRequestException (400).
SELECT status, body FROM pg_temp.call('update_ab_test', '{"site_id": "SiteGenesis", "id": "t", "body": {"enabled": "yes"}}');
SELECT length(c.value) AS length, h.status, h.body -> 'fault' ->> 'type' AS type
FROM (VALUES (1, repeat('x', 256)), (2, repeat('x', 257))) AS c(n, value),
	 pg_temp.call('update_ab_test', jsonb_build_object('site_id', 'SiteGenesis', 'id', 't', 'body', jsonb_build_object('expiration_type', c.value))) h
ORDER BY c.n;
-- A body that is not an ab_test document.
SELECT status, body FROM pg_temp.call('update_ab_test', '{"site_id": "SiteGenesis", "id": "t", "body": [1]}');

-- 14. In SQL: a property the document does not define is ignored with a
-- WARNING naming it (the read-only properties of the answers, _v, _type and
-- link, are the document's own); and a fault's answer carries the headers
-- the Data API sends with faults.
BEGIN;
SELECT experiments.authenticate(:'admin') \g /dev/null
SELECT body ->> 'description' AS description
FROM (SELECT experiments_api.update_ab_test('SiteGenesis', 't', '{"description": "d", "colour": "blue", "_type": "ab_test", "_v": "17.8", "link": "x"}') AS body) a;
SELECT experiments_api.get_ab_test('SiteGenesis', 'nothing') -> 'fault' ->> 'type' AS type;
SELECT current_setting('response.status') AS status, current_setting('response.headers')::jsonb AS headers;
ROLLBACK;
