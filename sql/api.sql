-- The HTTP API as PostgREST calls it (experiments_api): authentication, the
-- AB Tasty serving calls (the AB Tasty document), Data Cortex experiment_status (the Data Cortex document)
-- with gates, and the ABsmartly batch (the ABsmartly document). Each request is an HTTP
-- request to the PostgREST harness (sql/helpers/http.sql, test/http), which
-- runs and commits it as PostgREST would; the answer is the HTTP status and
-- the JSON body.
\i sql/helpers/http.sql
SELECT experiments.create_tenant('api_shop') AS shop \gset
SELECT experiments.create_api_key(:'shop', 'web') AS shop_key \gset
SELECT experiments.create_api_key(:'shop', 'backoffice', 'admin') AS shop_admin_key \gset
-- Keys are shown once and stored as their SHA-256 digest only.
SELECT application, role, digest = sha256(convert_to(:'shop_key', 'UTF8')) AS digest_of_key,
       key_prefix = left(:'shop_key', 12) AS prefix, length(:'shop_key') AS key_length
FROM experiments.api_keys WHERE tenant_id = :'shop' AND application = 'web';
SELECT count(*) AS rows_holding_the_key FROM experiments.api_keys k
WHERE k.tenant_id = :'shop' AND to_jsonb(k)::text LIKE '%' || :'shop_key' || '%';

-- Campaigns: deterministic allocations (one variation gets all traffic).
BEGIN;
SELECT experiments.set_tenant(:'shop') \g /dev/null
SELECT id AS banner FROM experiments.create_experiment('banner',
	'[{"key": "control", "allocation": 0}, {"key": "blue", "allocation": 100}]', start => true) \gset
SELECT id AS checkout FROM experiments.create_experiment('checkout',
	'[{"key": "control", "allocation": 100}, {"key": "green", "allocation": 0}]', start => true) \gset
SELECT id AS closed FROM experiments.create_experiment('closed',
	'[{"key": "only", "allocation": 100}]', traffic_percent => 0, start => true) \gset
SELECT id AS draft FROM experiments.create_experiment('draft', '[{"key": "only", "allocation": 100}]') \gset
COMMIT;
CREATE TEMP VIEW ids AS
SELECT e.id::text AS campaign, e.key AS campaign_key, v.id::text AS variation, v.key AS variation_key
FROM experiments.experiments e JOIN experiments.variants v ON v.experiment_id = e.id
WHERE e.tenant_id = :'shop';
-- allocations with ids turned back into keys, to read them.
CREATE FUNCTION pg_temp.readable(allocations jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(i.campaign_key || ' -> ' || i.variation_key, ', ' ORDER BY i.campaign_key), '(none)')
	FROM jsonb_each_text(allocations) a JOIN ids i ON i.campaign = a.key AND i.variation = a.value
$$;

-- 1. Authentication (the pre-request function).
-- No credentials, a bad key, a revoked key: 401 with a message saying what to send.
SELECT status, body FROM pg_temp.rpc('allocate', NULL, '{"visitor_id": "v1"}');
SELECT status, body FROM pg_temp.rpc('allocate', 'xk_wrong', '{"visitor_id": "v1"}');
SELECT experiments.create_api_key(:'shop', 'old-app') AS old_key \gset
SELECT experiments.revoke_api_key(id) AS revoked FROM experiments.api_keys WHERE tenant_id = :'shop' AND application = 'old-app';
SELECT status, body ->> 'message' AS message FROM pg_temp.rpc('allocate', :'old_key', '{"visitor_id": "v1"}');
-- A key accepted a moment ago (and remembered by the harness's sessions) is
-- refused from the request after its revocation on (test/specs/key_revocation.spec:
-- in every session, once the revocation commits).
SELECT experiments.create_api_key(:'shop', 'short-lived') AS short_key \gset
SELECT status, pg_temp.readable(body -> 'allocations') AS allocations FROM pg_temp.rpc('allocate', :'short_key', '{"visitor_id": "v1"}');
SELECT experiments.revoke_api_key(id) AS revoked FROM experiments.api_keys WHERE tenant_id = :'shop' AND application = 'short-lived';
SELECT status, body ->> 'code' AS code FROM pg_temp.rpc('allocate', :'short_key', '{"visitor_id": "v1"}');
-- A good key sets the tenant (the shop's campaigns are allocated) and the
-- key's role: a client key serves and may not manage, an admin key the opposite.
SELECT status, pg_temp.readable(body -> 'allocations') AS allocations FROM pg_temp.rpc('allocate', :'shop_key', '{"visitor_id": "v1"}');
SELECT k.role, f.fn, h.status
FROM (VALUES ('client', :'shop_key'), ('admin', :'shop_admin_key')) AS k(role, key),
	 (VALUES ('allocate', '{"visitor_id": "v1"}'::jsonb),
			 ('list_org_experiments', jsonb_build_object('organization_id', :'shop'))) AS f(fn, args),
	 pg_temp.rpc(f.fn, k.key, f.args) h
ORDER BY 1, 2;
-- A token PostgREST verified: its role claim is the role, its tenant claim the
-- tenant; a tenant claim naming no tenant, or not a uuid, is 401.
SELECT status, jsonb_array_length(body) AS experiments
FROM pg_temp.http('POST', '/rpc/list_org_experiments', '{}', jsonb_build_object('organization_id', :'shop')::text,
				  jsonb_build_object('role', 'experiments_admin', 'tenant', :'shop'));
SELECT c.tenant, h.status, h.body ->> 'message' AS message
FROM (VALUES ('00000000-0000-0000-0000-000000000000'), ('not a uuid')) AS c(tenant),
	 pg_temp.http('POST', '/rpc/list_org_experiments', '{}', jsonb_build_object('organization_id', :'shop')::text,
				  jsonb_build_object('role', 'experiments_admin', 'tenant', c.tenant)) h;
-- A token signed with another secret is PostgREST's own 401.
SELECT status, body ->> 'code' AS code, body ->> 'message' AS message
FROM pg_temp.http('POST', '/rpc/allocate', '{"Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiZXhwZXJpbWVudHNfYWRtaW4ifQ.c2lnbmF0dXJl"}',
				  '{"visitor_id": "v1"}');

-- 2. POST /rpc/visitor: 20 characters of base32hex, new each time.
SELECT status, length(body ->> 'id') AS length, body ->> 'id' ~ '^[0-9a-v]{20}$' AS base32hex
FROM pg_temp.rpc('visitor', :'shop_key');
-- Sortable: ids made one after the other sort in the order they were made,
-- and their first 9 characters (45 bits) are the milliseconds since 1970.
CREATE TEMP TABLE made AS SELECT n, experiments_internal.visitor_id() AS id FROM generate_series(1, 2000) n;
SELECT count(*) AS ids, count(DISTINCT id) AS distinct_ids,
       count(*) FILTER (WHERE id <= previous) AS not_after_the_previous
FROM (SELECT id, lag(id) OVER (ORDER BY n) AS previous FROM made) s;
SELECT abs(extract(epoch FROM clock_timestamp()) * 1000 -
		   (SELECT sum((strpos('0123456789abcdefghijklmnopqrstuv', substr(id, i, 1)) - 1) * 32::numeric ^ (9 - i))
			FROM generate_series(1, 9) i)) < 60000 AS prefix_is_the_time
FROM made WHERE n = 2000;

-- 3. POST /rpc/allocate, the AB Tasty document: every running campaign the visitor gets a
-- variation of, ids as strings; closed (0% traffic) and draft ones are absent.
SELECT status, pg_temp.readable(body -> 'allocations') AS allocations,
       (SELECT bool_and(jsonb_typeof(value) = 'string') FROM jsonb_each(body -> 'allocations')) AS ids_are_strings
FROM pg_temp.rpc('allocate', :'shop_key', '{"visitor_id": "bfr9ad2t0hm0009vj6l0"}');
-- With campaign_id (a string, or a number as in the first sample): that entry and the deprecated variation_id.
SELECT status, body -> 'variation_id' = to_jsonb(i.variation) AS variation_id_ok,
       body -> 'allocations' = jsonb_build_object(i.campaign, i.variation) AS allocations_ok, i.variation_key
FROM pg_temp.rpc('allocate', :'shop_key', jsonb_build_object('visitor_id', 'bfr9ad2t0hm0009vj6l0', 'campaign_id', :'banner')),
	ids i WHERE i.campaign_key = 'banner' AND i.variation_key = 'blue';
SELECT status, body FROM pg_temp.rpc('allocate', :'shop_key', jsonb_build_object('visitor_id', 'v1', 'campaign_id', :closed));
SELECT status, body FROM pg_temp.rpc('allocate', :'shop_key', jsonb_build_object('visitor_id', 'v1', 'campaign_id', :'draft'));
-- Errors: 400 for the visitor, 404 for an unknown campaign.
SELECT status, body ->> 'code' AS code, body ->> 'message' AS message
FROM (VALUES ('{"visitor_id": null}'::jsonb),
			 ('{"visitor_id": ""}'),
			 (jsonb_build_object('visitor_id', repeat('x', 641))),
			 ('{"visitor_id": "v1", "campaign_id": "999999999999"}'),
			 ('{"visitor_id": "v1", "campaign_id": "banner"}')) AS c(args),
	 pg_temp.rpc('allocate', :'shop_key', c.args);
-- allocate writes nothing: the visitor has no enrolment afterwards.
SELECT count(*) AS enrolments FROM experiments.enrolments WHERE tenant_id = :'shop' AND unit = 'bfr9ad2t0hm0009vj6l0';

-- 4. POST /rpc/experiment_status, the Data Cortex document. The key is in the body: no header.
SELECT experiments.create_tenant('api_game') AS game \gset
SELECT experiments.create_api_key(:'game', 'ios') AS game_key \gset
BEGIN;
SELECT experiments.set_tenant(:'game') \g /dev/null
SELECT key FROM experiments.create_experiment('game_feature_1',
	'[{"key": "control", "allocation": 0}, {"key": "blue_background", "allocation": 100}]', start => true);
SELECT key FROM experiments.create_experiment('game_feature_2',
	'[{"key": "control", "allocation": 100}, {"key": "red_background", "allocation": 0}]', start => true);
SELECT key FROM experiments.create_experiment('game_feature_3',
	'[{"key": "control", "allocation": 0}, {"key": "extra_energy", "allocation": 100}]', start => true);
SELECT key FROM experiments.create_experiment('level_5_boss',
	'[{"key": "control", "allocation": 0}, {"key": "dragon", "allocation": 100}]', start => true);
UPDATE experiments.experiments SET gate = 'level_5' WHERE key = 'level_5_boss';
SELECT key FROM experiments.create_experiment('us_only',
	'[{"key": "control", "allocation": 0}, {"key": "stars", "allocation": 100}]', start => true);
UPDATE experiments.experiments SET audience = '{"attr": "country", "op": "eq", "value": "US"}' WHERE key = 'us_only';
COMMIT;
CREATE FUNCTION pg_temp.status(api_key text, device_tag text, user_tag text DEFAULT NULL,
							   new_gate_list jsonb DEFAULT NULL, country text DEFAULT NULL) RETURNS SETOF jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('status', h.status, 'body', h.body) FROM pg_temp.rpc('experiment_status', NULL, jsonb_build_object(
		'api_key', api_key, 'app_ver', '1.2.0', 'user_tag', user_tag, 'device_tag', device_tag,
		'device_type', 'iphone5s', 'os', 'ios', 'os_ver', '8.1', 'country', country, 'language', 'en',
		'new_gate_list', new_gate_list)) h
$$;
-- The seed's answer: false for the control group, the variant's name otherwise.
-- The gated experiment is absent before its gate; us_only needs country US.
SELECT pg_temp.status(:'game_key', 'device-1');
-- The gate is crossed: the experiment is entered...
SELECT pg_temp.status(:'game_key', 'device-1', new_gate_list => '["level_5"]');
-- ...and returned on every later call, with the same variant, without the gate.
SELECT pg_temp.status(:'game_key', 'device-1');
SELECT pg_temp.status(:'game_key', 'device-1', new_gate_list => '[]', country => 'US');
-- Enrolments are sticky: a change of weights does not move the device.
UPDATE experiments.variants SET allocation_bp = 10000 - allocation_bp
WHERE tenant_id = :'game' AND experiment_id IN (SELECT id FROM experiments.experiments WHERE key = 'level_5_boss' AND tenant_id = :'game');
SELECT pg_temp.status(:'game_key', 'device-1') -> 'body' -> 'experiment_list' @> '[{"experiment": "level_5_boss", "variant": "dragon"}]' AS still_dragon;
-- user_tag is the unit: a person who crossed the gate on one device has the
-- experiment on another device too.
SELECT pg_temp.status(:'game_key', 'phone', user_tag => 'player-42', new_gate_list => '["level_5"]') -> 'body' AS on_phone;
SELECT pg_temp.status(:'game_key', 'tablet', user_tag => 'player-42') -> 'body' AS on_tablet;
SELECT pg_temp.status(:'game_key', 'tablet') -> 'body' AS tablet_alone;
SELECT unit, count(*) AS enrolments FROM experiments.enrolments
WHERE tenant_id = :'game' AND unit IN ('player-42', 'phone', 'tablet') GROUP BY unit ORDER BY unit;
-- 403 for a bad key (the Data Cortex document), 400 for a missing or malformed field.
SELECT pg_temp.status('xk_not-a-key', 'device-1');
SELECT h.status, h.body ->> 'message' AS message
FROM (VALUES ('{"api_key": null, "app_ver": "1", "device_tag": "d", "device_type": "t", "os": "o", "os_ver": "1"}'),
			 ('{"api_key": ":k", "device_tag": "d", "device_type": "t", "os": "o", "os_ver": "1"}'),
			 ('{"api_key": ":k", "app_ver": "1", "device_type": "t", "os": "o", "os_ver": "1"}'),
			 ('{"api_key": ":k", "app_ver": "1", "device_tag": "d", "device_type": "t", "os": "o"}'),
			 ('{"api_key": ":k", "app_ver": "12345678901234567", "device_tag": "d", "device_type": "t", "os": "o", "os_ver": "1"}'),
			 ('{"api_key": ":k", "app_ver": "1", "device_tag": "' || repeat('d', 63) || '", "device_type": "t", "os": "o", "os_ver": "1"}'),
			 ('{"api_key": ":k", "app_ver": "1", "device_tag": "d", "device_type": "iphone-something!", "os": "o", "os_ver": "1"}'),
			 ('{"api_key": ":k", "app_ver": "1", "device_tag": "d", "device_type": "t", "os": "o", "os_ver": "1", "browser": "a-very-long-browser"}'),
			 ('{"api_key": ":k", "app_ver": "1", "device_tag": "d", "device_type": "t", "os": "o", "os_ver": "1", "country": "us"}'),
			 ('{"api_key": ":k", "app_ver": "1", "device_tag": "d", "device_type": "t", "os": "o", "os_ver": "1", "language": "eng"}'),
			 ('{"api_key": ":k", "app_ver": "1", "device_tag": "d", "device_type": "t", "os": "o", "os_ver": "1", "new_gate_list": "level_5"}'),
			 ('{"api_key": ":k", "app_ver": "1", "device_tag": "d", "device_type": "t", "os": "o", "os_ver": "1", "new_gate_list": [5]}')
	) AS c(args),
	pg_temp.rpc('experiment_status', NULL, replace(c.args, ':k', :'game_key')::jsonb) h;
-- Another endpoint without a key is still refused by the pre-request.
SELECT status, body FROM pg_temp.rpc('visitor', NULL);

-- 5. POST /rpc/context_batch, the ABsmartly document: the body is the batch.
SELECT status, body FROM pg_temp.rpc('context_batch', :'shop_key', jsonb_build_object('requests', jsonb_build_array(jsonb_build_object(
		'hashed', true, 'historic', true, 'publishedAt', (extract(epoch FROM now()) * 1000)::bigint,
		'units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'bfr9ad2t0hm0009vj6l0')),
		'exposures', jsonb_build_array(jsonb_build_object('id', :banner, 'name', 'banner', 'unit', 'user_id', 'variant', 1,
			'exposedAt', (extract(epoch FROM now()) * 1000)::bigint, 'assigned', true, 'eligible', true)),
		'goals', jsonb_build_array(jsonb_build_object('name', 'banner_click', 'achievedAt', (extract(epoch FROM now()) * 1000)::bigint)),
		'attributes', jsonb_build_array(jsonb_build_object('name', 'age', 'value', 39, 'setAt', (extract(epoch FROM now()) * 1000)::bigint))))));
SELECT (SELECT count(*) FROM experiments.exposures WHERE tenant_id = :'shop') AS exposures,
       (SELECT count(*) FROM experiments.goal_events WHERE tenant_id = :'shop') AS goals,
       (SELECT count(*) FROM experiments.attribute_events WHERE tenant_id = :'shop') AS attributes;
-- A refused event is answered and kept; a malformed batch is 400.
SELECT status, body -> 'ok' AS ok, body -> 'errors' -> 0 ->> 'subject' AS subject
FROM pg_temp.rpc('context_batch', :'shop_key', '{"requests": [{"units": [{"type": "user_id", "uid": "u"}], "goals": [{"name": "g"}]}]}');
SELECT count(*) AS rejected FROM experiments.rejected_events WHERE tenant_id = :'shop';
SELECT status, body -> 'ok' AS ok, body -> 'errors' -> 0 ->> 'message' AS error FROM pg_temp.rpc('context_batch', :'shop_key', '{"requests": []}');
-- 1,001 goals in one request: over experiments.max_events_per_request (1,000).
SELECT status, body -> 'ok' AS ok, body -> 'errors' -> 0 ->> 'message' AS error FROM pg_temp.rpc('context_batch', :'shop_key', jsonb_build_object('requests', jsonb_build_array(
	jsonb_build_object('units', '[{"type": "user_id", "uid": "u"}]'::jsonb,
		'goals', (SELECT jsonb_agg(jsonb_build_object('name', 'g', 'achievedAt', 1)) FROM generate_series(1, 1001))))));

-- 6. AB Tasty events (the AB Tasty document): the seed's bodies as named arguments (PostgREST
-- passes each JSON value to its jsonb argument); each answers {}.
SELECT campaign AS banner_id, variation AS blue_id FROM ids WHERE campaign_key = 'banner' AND variation_key = 'blue' \gset
CREATE TEMP TABLE tracking AS SELECT '{"device_type": "DESKTOP", "geolocation": {"lat": 48.868117, "long": 2.3559636}, "ip": "87.200.72.165", "origin": "http://www.mywebsite.com/products/p-123.php", "timestamp": "2018-02-12T17:29:02Z", "visitor_id": "bfr9ad2t0hm0009vj6l0"}'::jsonb AS t;
SELECT c.endpoint, h.status, h.body
FROM tracking,
	 LATERAL (VALUES
		('campaign_activated_event', jsonb_build_object('campaign_id', :'banner_id', 'variation_id', :'blue_id',
			'tracking_data', '{"device_type": "DESKTOP", "origin": "http://www.mywebsite.com/products/p-123.php", "visitor_id": "bfr9ad2t0hm0009vj6l0"}'::jsonb)),
		('action_tracking_event', jsonb_build_object('name', 'goal-add-to-basket', 'type', 'CLICK',
			'tracking_data', '{"visitor_id": "bfr9ad2t0hm0009vj6l0", "device_type": "DESKTOP", "origin": "http://www.mywebsite.com/products/p-123-toto.php"}'::jsonb)),
		('custom_event', jsonb_build_object('name', 'time-before-purchase', 'value_integer', 53000, 'tracking_data', t)),
		('transaction_event', jsonb_build_object('name', 'transaction-apparel', 'id', 'transaction-2', 'revenue', 13099,
			'shipping', 899, 'tracking_data', t - 'timestamp', 'tax_total', 239, 'payment_method', 'PayPal', 'items_count', 2,
			'currency', '{"name": "USD", "rate": "1"}'::jsonb,
			'items', '[{"name": "Black T-shirt", "price": 2700, "sku": "0240670010", "category": "tops", "quantity": 1, "tax_amount": 529, "tax-rate": 19.6}, {"name": "Blue Jean", "price": 9500, "sku": "blu-jeans-levis-503", "category": "jeans", "quantity": 1, "tax_amount": 1862, "tax-rate": 19.6}]'::jsonb)),
		('visit_event', jsonb_build_object('tracking_data', t))) AS c(endpoint, args),
	 pg_temp.rpc(c.endpoint, :'shop_key', c.args) h;
SELECT (SELECT count(*) FROM experiments.campaign_activations WHERE tenant_id = :'shop') AS activations,
       (SELECT count(*) FROM experiments.actions WHERE tenant_id = :'shop') AS actions,
       (SELECT count(*) FROM experiments.custom_events WHERE tenant_id = :'shop') AS custom,
       (SELECT count(*) FROM experiments.transactions WHERE tenant_id = :'shop') AS transactions,
       (SELECT count(*) FROM experiments.transaction_items WHERE tenant_id = :'shop') AS items,
       (SELECT count(*) FROM experiments.visits WHERE tenant_id = :'shop') AS visits;
-- The activation stored the variation for the visitor (an enrolment), as the AB Tasty document asks.
SELECT count(*) AS enrolments FROM experiments.enrolments WHERE tenant_id = :'shop' AND unit = 'bfr9ad2t0hm0009vj6l0';
-- allocate honours it: with all of banner's traffic moved to the control,
-- the activated visitor keeps blue, a new one gets the control.
BEGIN;
SELECT experiments.set_tenant(:'shop') \g /dev/null
SELECT count(*) AS variants FROM experiments.set_variants('banner', '[{"key": "control", "allocation": 100}, {"key": "blue", "allocation": 0}]');
COMMIT;
SELECT v.visitor, h.status, pg_temp.readable(h.body -> 'allocations') AS allocations
FROM (VALUES ('bfr9ad2t0hm0009vj6l0'), ('new-visitor')) AS v(visitor),
	 pg_temp.rpc('allocate', :'shop_key', jsonb_build_object('visitor_id', v.visitor)) h;
-- A refused event: the function's status and error document.
SELECT status, body FROM pg_temp.rpc('visit_event', :'shop_key', '{"tracking_data": {"device_type": "FRIDGE", "origin": "/", "visitor_id": "v"}}');

-- 7. Management through the admin role: a create answers 201, a missing
-- resource 404, a client key 401 (a request without a token is anonymous to PostgREST).
SELECT status, body ->> 'name' AS name, body ->> 'is_draft' AS is_draft
FROM pg_temp.rpc('create_org_experiment', :'shop_admin_key', jsonb_build_object('organization_id', :'shop', 'body', '{"is_draft": true, "name": "Checkout copy"}'::jsonb));
SELECT status, jsonb_array_length(body) AS experiments
FROM pg_temp.rpc('list_org_experiments', :'shop_admin_key', jsonb_build_object('organization_id', :'shop'));
SELECT status, body -> 'fault' ->> 'type' AS fault, body -> 'fault' ->> 'message' AS message
FROM pg_temp.http('GET', '/rpc/get_ab_test?site_id=NoSuchSite&id=x', jsonb_build_object('x-api-key', :'shop_admin_key'));
SELECT status, body ->> 'message' AS message
FROM pg_temp.rpc('list_org_experiments', :'shop_key', jsonb_build_object('organization_id', :'shop'));
