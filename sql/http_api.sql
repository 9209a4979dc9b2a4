-- Every function and view of experiments_api, called over HTTP as PostgREST
-- serves it (the harness: a transaction per request, committed with the
-- request's role in effect), with a valid request: its status, its body, and
-- what it stored once committed. The last query fails the test when some
-- function or view never answered a request with a 2xx status.
\i sql/helpers/http.sql
SELECT experiments.create_tenant('http_api') AS tenant \gset
SELECT experiments.create_api_key(:'tenant', 'shop') AS client \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin') AS admin \gset
SELECT experiments.create_api_key(:'tenant', 'bi', 'analyst') AS analyst \gset
-- What an operator fills in before using the Commerce Cloud and
-- draft/published APIs: a site with its promotions, slots and sorting rules,
-- a goal and a room.
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
INSERT INTO experiments.sites (key, name) VALUES ('SiteGenesis', 'Site Genesis') RETURNING id AS site \gset
INSERT INTO experiments.promotions (site_id, key) VALUES (:site, 'summer-promo');
INSERT INTO experiments.sorting_rules (site_id, key) VALUES (:site, 'best-sellers');
INSERT INTO experiments.categories (site_id, key) VALUES (:site, 'shoes');
INSERT INTO experiments.slots (site_id, key, context_type) VALUES (:site, 'banner-slot', 'global');
INSERT INTO experiments.slot_configurations (slot_id, key, context_id)
SELECT id, 'banner-config', '' FROM experiments.slots WHERE site_id = :site;
INSERT INTO experiments.goals (id, key, name) VALUES ('5b1e0c1e-0000-4000-8000-000000000001', 'reached_checkout', 'Reached checkout');
INSERT INTO experiments.rooms (id, name) VALUES ('5b1e0c1e-0000-4000-8000-000000000002', 'Lobby');
COMMIT;
CREATE TEMP VIEW mine AS
SELECT e.key, e.state, e.version, string_agg(v.key || '=' || v.allocation_bp, ', ' ORDER BY v.ordinal) AS variants
FROM experiments.experiments e LEFT JOIN experiments.variants v ON v.experiment_id = e.id
WHERE e.tenant_id = :'tenant' GROUP BY e.id ORDER BY e.key;

-- 1. Commerce Cloud A/B tests (the Commerce Cloud document), as the admin key.
SELECT 'create_ab_test' AS call, status, body ->> '_type' AS type, body ->> 'id' AS id, headers ? 'location' AS has_location
FROM pg_temp.rpc('create_ab_test', :'admin', '{"site_id": "SiteGenesis", "id": "checkout-test", "body": {"enabled": false, "key_metric_id": "checkout",
	"start_date": "2020-01-01T00:00:00.000Z", "end_date": "2099-12-31T00:00:00.000Z"}}');
SELECT 'create_ab_test_segment' AS call, status, body ->> 'id' AS id, body -> 'allocation' AS allocation
FROM (VALUES ('control', 50), ('green', 50)) AS s(segment, allocation),
	 pg_temp.rpc('create_ab_test_segment', :'admin', jsonb_build_object('site_id', 'SiteGenesis', 'ab_test_id', 'checkout-test',
		'segment_id', s.segment, 'body', jsonb_build_object('allocation', s.allocation)));
SELECT * FROM mine;
-- Enabled: the test runs (its segments sum to 100), checked at COMMIT as the admin's role.
SELECT 'update_ab_test' AS call, status, body -> 'enabled' AS enabled
FROM pg_temp.rpc('update_ab_test', :'admin', '{"site_id": "SiteGenesis", "id": "checkout-test", "body": {"enabled": true}}');
SELECT * FROM mine;
SELECT 'update_ab_test_segment' AS call, status, body ->> 'description' AS description
FROM pg_temp.rpc('update_ab_test_segment', :'admin', '{"site_id": "SiteGenesis", "ab_test_id": "checkout-test", "segment_id": "green", "body": {"description": "Green button"}}');
SELECT 'get_ab_test_segment' AS call, status, body ->> 'description' AS description
FROM pg_temp.http('GET', '/rpc/get_ab_test_segment?site_id=SiteGenesis&ab_test_id=checkout-test&segment_id=green', jsonb_build_object('x-api-key', :'admin'));
-- The green segment's promotion, slot configuration and sorting rule,
-- bound (verb bind) or unbound (unbind).
CREATE FUNCTION pg_temp.bindings(verb text, api_key text) RETURNS TABLE (call text, status integer, body jsonb)
LANGUAGE sql AS $$
	SELECT verb || c.fn, h.status, h.body
	FROM (VALUES (1, '_ab_test_promotion', '{"promotion_id": "summer-promo"}'::jsonb),
				 (2, '_ab_test_slot_configuration', '{"slot_id": "banner-slot", "slot_config_id": "banner-config"}'),
				 (3, '_ab_test_sorting_rule', '{"sorting_rule_id": "best-sellers", "category_id": "shoes"}')) AS c(n, fn, args),
		 pg_temp.rpc(verb || c.fn, api_key, c.args || '{"site_id": "SiteGenesis", "ab_test_id": "checkout-test", "segment_id": "green"}') h
	ORDER BY c.n
$$;
SELECT * FROM pg_temp.bindings('bind', :'admin');
SELECT (SELECT count(*) FROM experiments.segment_promotions WHERE tenant_id = :'tenant') AS promotions,
	   (SELECT count(*) FROM experiments.segment_slot_configurations WHERE tenant_id = :'tenant') AS slot_configurations,
	   (SELECT count(*) FROM experiments.segment_sorting_rules WHERE tenant_id = :'tenant') AS sorting_rules;
SELECT 'get_ab_test' AS call, status, body ->> 'id' AS id, jsonb_array_length(body -> 'test_groups') AS segments, body -> 'enabled' AS enabled
FROM pg_temp.http('GET', '/rpc/get_ab_test?site_id=SiteGenesis&id=checkout-test', jsonb_build_object('x-api-key', :'admin'));
SELECT 'list_ab_tests' AS call, status, body -> 'count' AS count, body -> 'total' AS total
FROM pg_temp.http('GET', '/rpc/list_ab_tests?site_id=SiteGenesis', jsonb_build_object('x-api-key', :'admin'));
SELECT * FROM pg_temp.bindings('unbind', :'admin');
SELECT (SELECT count(*) FROM experiments.segment_promotions WHERE tenant_id = :'tenant') +
	   (SELECT count(*) FROM experiments.segment_slot_configurations WHERE tenant_id = :'tenant') +
	   (SELECT count(*) FROM experiments.segment_sorting_rules WHERE tenant_id = :'tenant') AS bindings_left;
-- A segment of a draft test can go; a started test keeps its segments summing to 100.
SELECT 'create_ab_test' AS call, status FROM pg_temp.rpc('create_ab_test', :'admin', '{"site_id": "SiteGenesis", "id": "draft-test", "body": {"enabled": false,
	"start_date": "2020-01-01T00:00:00.000Z", "end_date": "2099-12-31T00:00:00.000Z"}}');
SELECT 'create_ab_test_segment' AS call, status FROM pg_temp.rpc('create_ab_test_segment', :'admin', '{"site_id": "SiteGenesis", "ab_test_id": "draft-test", "segment_id": "only", "body": {"allocation": 100}}');
SELECT 'delete_ab_test_segment' AS call, status, body FROM pg_temp.rpc('delete_ab_test_segment', :'admin', '{"site_id": "SiteGenesis", "ab_test_id": "draft-test", "segment_id": "only"}');
SELECT 'delete_ab_test' AS call, status, body FROM pg_temp.rpc('delete_ab_test', :'admin', '{"site_id": "SiteGenesis", "id": "draft-test"}');
SELECT * FROM mine;

-- 2. Draft/published experiments (the draft/published document), as the admin key.
SELECT 'create_org_experiment' AS call, status, body ->> 'name' AS name, body -> 'is_draft' AS is_draft
FROM pg_temp.rpc('create_org_experiment', :'admin', jsonb_build_object('organization_id', :'tenant',
	'body', '{"is_draft": true, "name": "Checkout copy"}'::jsonb));
SELECT id AS draft FROM experiments.experiments WHERE tenant_id = :'tenant' AND name = 'Checkout copy' \gset
SELECT uuid AS draft_uuid FROM experiments.experiments WHERE id = :draft \gset
-- Published: goal, start, rooms and groups summing to 100; it runs from its start.
SELECT 'update_org_experiment' AS call, status, body -> 'is_draft' AS is_draft, jsonb_array_length(body -> 'groups') AS groups
FROM pg_temp.rpc('update_org_experiment', :'admin', jsonb_build_object('organization_id', :'tenant', 'experiment_id', :'draft_uuid',
	'body', jsonb_build_object('is_draft', false, 'name', 'Checkout copy', 'goal_id', '5b1e0c1e-0000-4000-8000-000000000001',
		'starts_at', to_char(now() AT TIME ZONE 'UTC' + interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		'room_ids', '["5b1e0c1e-0000-4000-8000-000000000002"]'::jsonb,
		'groups', '[{"name": "Control", "percentage": 50, "group_type": "control"}, {"name": "Short copy", "percentage": 50, "group_type": "user_defined"}]'::jsonb)));
SELECT 'get_org_experiment' AS call, status, body ->> 'name' AS name, body -> 'is_draft' AS is_draft
FROM pg_temp.http('GET', format('/rpc/get_org_experiment?organization_id=%s&experiment_id=%s', :'tenant', :'draft_uuid'), jsonb_build_object('x-api-key', :'admin'));
SELECT 'list_org_experiments' AS call, status, jsonb_array_length(body) AS experiments
FROM pg_temp.http('GET', format('/rpc/list_org_experiments?organization_id=%s', :'tenant'), jsonb_build_object('x-api-key', :'admin'));
SELECT state, (SELECT count(*) FROM experiments.experiment_rooms r WHERE r.experiment_id = e.id) AS rooms
FROM experiments.experiments e WHERE e.id = :draft;
SELECT 'delete_org_experiment' AS call, status, body FROM pg_temp.rpc('delete_org_experiment', :'admin',
	jsonb_build_object('organization_id', :'tenant', 'experiment_id', :'draft_uuid'));
SELECT count(*) AS deleted_left FROM experiments.experiments WHERE id = :draft;

-- 3. Serving and events (seeds 001, 003, 000), as the client key, on the
-- running checkout-test: the first enrolment of an experiment (which flips
-- its has_enrolments flag by trigger) commits under the client's role.
SELECT e.id AS campaign, v.id AS green FROM experiments.experiments e JOIN experiments.variants v ON v.experiment_id = e.id
WHERE e.tenant_id = :'tenant' AND e.key = 'checkout-test' AND v.key = 'green' \gset
SELECT 'visitor' AS call, status, body ->> 'id' ~ '^[0-9a-v]{20}$' AS id_ok FROM pg_temp.rpc('visitor', :'client');
SELECT 'allocate' AS call, status, body -> 'allocations' ? :'campaign' AS allocated FROM pg_temp.rpc('allocate', :'client', '{"visitor_id": "visitor-1"}');
SELECT 'campaign_activated_event' AS call, status, body FROM pg_temp.rpc('campaign_activated_event', :'client', jsonb_build_object(
	'campaign_id', :'campaign', 'variation_id', :'green',
	'tracking_data', '{"visitor_id": "visitor-1", "device_type": "DESKTOP", "origin": "https://shop.example/cart"}'::jsonb));
SELECT has_enrolments, (SELECT ordinal FROM experiments.enrolments n WHERE n.experiment_id = e.id AND n.unit = 'visitor-1') AS enrolled_ordinal
FROM experiments.experiments e WHERE e.id = :campaign;
SELECT 'experiment_status' AS call, status, body FROM pg_temp.rpc('experiment_status', NULL, jsonb_build_object(
	'api_key', :'client', 'app_ver', '1.0', 'device_tag', 'visitor-1', 'device_type', 'desktop', 'os', 'linux', 'os_ver', '6'));
SELECT c.fn AS call, h.status, h.body
FROM (VALUES (1, 'action_tracking_event', '{"name": "add-to-cart", "type": "CLICK"}'::jsonb),
			 (2, 'custom_event', '{"name": "time-on-page", "value_integer": 5300}'),
			 (3, 'transaction_event', '{"name": "checkout", "id": "order-1", "revenue": 4200, "shipping": 500, "items": [{"name": "Shoe", "price": 4200}]}'),
			 (4, 'visit_event', '{}')) AS c(n, fn, args),
	 pg_temp.rpc(c.fn, :'client', c.args || '{"tracking_data": {"visitor_id": "visitor-1", "device_type": "DESKTOP", "origin": "https://shop.example/cart"}}') h
ORDER BY c.n;
SELECT 'context_batch' AS call, status, body FROM pg_temp.rpc('context_batch', :'client', jsonb_build_object('requests', jsonb_build_array(
	jsonb_build_object('units', '[{"type": "user_id", "uid": "visitor-1"}]'::jsonb,
		'publishedAt', (extract(epoch FROM now()) * 1000)::bigint,
		'exposures', jsonb_build_array(jsonb_build_object('id', :campaign, 'name', 'checkout-test', 'unit', 'user_id',
			'variant', 1, 'exposedAt', (extract(epoch FROM now()) * 1000)::bigint, 'assigned', true, 'eligible', true)),
		'goals', jsonb_build_array(jsonb_build_object('name', 'checkout', 'achievedAt', (extract(epoch FROM now()) * 1000)::bigint,
			'properties', '{"value": 42}'::jsonb))))));
SELECT t.name AS stored, t.count
FROM (SELECT 'campaign_activations' AS name, count(*) FROM experiments.campaign_activations WHERE tenant_id = :'tenant'
	  UNION ALL SELECT 'actions', count(*) FROM experiments.actions WHERE tenant_id = :'tenant'
	  UNION ALL SELECT 'custom_events', count(*) FROM experiments.custom_events WHERE tenant_id = :'tenant'
	  UNION ALL SELECT 'transactions', count(*) FROM experiments.transactions WHERE tenant_id = :'tenant'
	  UNION ALL SELECT 'transaction_items', count(*) FROM experiments.transaction_items WHERE tenant_id = :'tenant'
	  UNION ALL SELECT 'visits', count(*) FROM experiments.visits WHERE tenant_id = :'tenant'
	  UNION ALL SELECT 'exposures', count(*) FROM experiments.exposures WHERE tenant_id = :'tenant'
	  UNION ALL SELECT 'goal_events', count(*) FROM experiments.goal_events WHERE tenant_id = :'tenant'
	  UNION ALL SELECT 'enrolments', count(*) FROM experiments.enrolments WHERE tenant_id = :'tenant') t;

-- 4. The views, as the analyst key.
SELECT v.relname AS view, h.status, jsonb_array_length(h.body) AS rows
FROM pg_class v, pg_temp.http('GET', '/' || v.relname, jsonb_build_object('x-api-key', :'analyst')) h
WHERE v.relnamespace = 'experiments_api'::regnamespace AND v.relkind = 'v' ORDER BY 1;
SELECT status, body FROM pg_temp.http('GET', '/exposure_summary?select=experiment,variant,units&order=variant', jsonb_build_object('x-api-key', :'analyst'));
-- The results page and a chart, as the analyst key (sql/results_page.sql tests them).
SELECT status, headers ->> 'content-type' AS content_type, left(body #>> '{}', 15) AS starts
FROM pg_temp.http('GET', '/rpc/results_page?experiment=checkout-test', jsonb_build_object('x-api-key', :'analyst', 'accept', 'text/html'));
SELECT status, headers ->> 'content-type' AS content_type, left(body #>> '{}', 15) AS starts
FROM pg_temp.http('GET', '/rpc/results_chart?experiment=checkout-test&chart=srm', jsonb_build_object('x-api-key', :'analyst', 'accept', 'image/svg+xml'));
-- Results per metric (the experiment's goals, as implicit metrics), as the analyst key; a
-- client key is refused.
SELECT status, jsonb_array_length(body) AS rows, body -> 0 ->> 'metric' AS metric, body -> 0 ->> 'type' AS type
FROM pg_temp.http('GET', '/rpc/metric_results?experiment=checkout-test', jsonb_build_object('x-api-key', :'analyst'));
SELECT status, body FROM pg_temp.http('GET', '/rpc/metric_results?experiment=checkout-test', jsonb_build_object('x-api-key', :'client'));
-- The method asked wins over the experiment's setting (sequential without one); another is 400.
SELECT status, (SELECT array_agg(DISTINCT r ->> 'method') FROM jsonb_array_elements(body) r) AS methods
FROM pg_temp.http('GET', '/rpc/metric_results?experiment=checkout-test', jsonb_build_object('x-api-key', :'analyst'));
SELECT status, (SELECT array_agg(DISTINCT r ->> 'method') FROM jsonb_array_elements(body) r) AS methods
FROM pg_temp.http('GET', '/rpc/metric_results?experiment=checkout-test&method=fixed', jsonb_build_object('x-api-key', :'analyst'));
SELECT status, body ->> 'message' AS message
FROM pg_temp.http('GET', '/rpc/metric_results?experiment=checkout-test&method=bayesian', jsonb_build_object('x-api-key', :'analyst'));
-- The same sliced by a unit attribute (none is set here: every unit in slice 0, none), as the
-- analyst key; without the attribute 400; a client key is refused.
SELECT status, jsonb_array_length(body) AS rows, body -> 1 ->> 'breakdown' AS breakdown, body -> 1 ->> 'slice_kind' AS slice_kind,
	   body -> 1 ->> 'variant' AS variant, body -> 1 ->> 'p_value_correction' AS correction
FROM pg_temp.http('GET', '/rpc/metric_breakdown?experiment=checkout-test&breakdown=country', jsonb_build_object('x-api-key', :'analyst'));
SELECT status, body ->> 'message' AS message
FROM pg_temp.http('GET', '/rpc/metric_breakdown?experiment=checkout-test&breakdown=', jsonb_build_object('x-api-key', :'analyst'));
SELECT status, (SELECT array_agg(DISTINCT r ->> 'method') FROM jsonb_array_elements(body) r) AS methods
FROM pg_temp.http('GET', '/rpc/metric_breakdown?experiment=checkout-test&breakdown=country&method=fixed', jsonb_build_object('x-api-key', :'analyst'));
SELECT status, body ->> 'message' AS message
FROM pg_temp.http('GET', '/rpc/metric_breakdown?experiment=checkout-test&breakdown=country&method=', jsonb_build_object('x-api-key', :'analyst'));
SELECT status, body ->> 'message' AS message
FROM pg_temp.http('GET', '/rpc/metric_breakdown?experiment=checkout-test&breakdown=country', jsonb_build_object('x-api-key', :'client'));

-- Every function and view answered a request with a 2xx status.
SELECT p.proname AS never_answered
FROM pg_proc p WHERE p.pronamespace = 'experiments_api'::regnamespace
  AND NOT EXISTS (SELECT 1 FROM http_log l WHERE split_part(l.path, '?', 1) = '/rpc/' || p.proname AND l.status BETWEEN 200 AND 299)
UNION ALL
SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'experiments_api'::regnamespace AND c.relkind = 'v'
  AND NOT EXISTS (SELECT 1 FROM http_log l WHERE split_part(l.path, '?', 1) = '/' || c.relname AND l.status BETWEEN 200 AND 299);
