-- The HTTP API as PostgREST calls it (experiments_api): authentication, the
-- AB Tasty serving calls (seed 001), Data Cortex experiment_status (seed 003)
-- with gates, and the ABsmartly batch (seed 000). Each request is replayed as
-- PostgREST sends it (sql/helpers/http.sql): role, request settings,
-- pre-request, call; the answer is the HTTP status and the JSON body.
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
SELECT * FROM pg_temp.http('experiments_anon', '{}', $$SELECT experiments_api.allocate(visitor_id => 'v1')$$);
SELECT * FROM pg_temp.http('experiments_anon', '{"x-api-key": "xk_wrong"}', $$SELECT experiments_api.allocate(visitor_id => 'v1')$$);
SELECT experiments.create_api_key(:'shop', 'old-app') AS old_key \gset
SELECT experiments.revoke_api_key(id) AS revoked FROM experiments.api_keys WHERE tenant_id = :'shop' AND application = 'old-app';
SELECT * FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'old_key'), $$SELECT experiments_api.allocate(visitor_id => 'v1')$$);
-- A key accepted a moment ago (and remembered by this session) is refused
-- from the statement after its revocation on (test/specs/key_revocation.spec:
-- in every session, once the revocation commits).
SELECT experiments.create_api_key(:'shop', 'short-lived') AS short_key \gset
SELECT status, body FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'short_key'), $$SELECT jsonb_build_object('role', current_user)$$);
SELECT experiments.revoke_api_key(id) AS revoked FROM experiments.api_keys WHERE tenant_id = :'shop' AND application = 'short-lived';
SELECT status, body ->> 'code' AS code FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'short_key'), $$SELECT jsonb_build_object('role', current_user)$$);
-- A good key sets the tenant and the key's role for the transaction.
SELECT * FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	$$SELECT jsonb_build_object('role', current_user, 'tenant_is_shop', current_setting('experiments.tenant') = '$$ || :'shop' || $$')$$);
SELECT * FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_admin_key'),
	$$SELECT jsonb_build_object('role', current_user)$$);
-- A token PostgREST verified: its role claim is the role, its tenant claim the tenant.
SELECT * FROM pg_temp.http('experiments_admin', '{}', $$SELECT jsonb_build_object('role', current_user, 'tenant_is_shop', current_setting('experiments.tenant') = '$$ || :'shop' || $$')$$,
	jsonb_build_object('role', 'experiments_admin', 'tenant', :'shop'));
SELECT * FROM pg_temp.http('experiments_admin', '{}', $$SELECT '{}'::jsonb$$, '{"role": "experiments_admin", "tenant": "00000000-0000-0000-0000-000000000000"}');
SELECT * FROM pg_temp.http('experiments_admin', '{}', $$SELECT '{}'::jsonb$$, '{"role": "experiments_admin", "tenant": "not a uuid"}');
-- The tenant setting stays out of reach of the API roles. (PostgREST
-- answers 401 for 42501 here: a request without a token is anonymous to it.)
SELECT * FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	$$SELECT to_jsonb(set_config('experiments.tenant', '00000000-0000-0000-0000-000000000000', true))$$);

-- The literal sequence PostgREST sends, once, for POST /rpc/allocate.
BEGIN;
SET LOCAL ROLE experiments_anon;
SELECT set_config('request.headers', json_build_object('x-api-key', :'shop_key', 'content-type', 'application/json')::text, true) IS NOT NULL AS headers_set,
       set_config('request.jwt.claims', '{"role": "experiments_anon"}', true) IS NOT NULL AS claims_set,
       set_config('request.path', '/rpc/allocate', true) AS path;
SELECT experiments.authenticate_request();
SELECT current_user;
SELECT experiments_api.allocate(visitor_id => 'bfr9ad2t0hm0009vj6l0') -> 'allocations' AS allocations \gset
COMMIT;
SELECT pg_temp.readable(:'allocations');

-- 2. POST /rpc/visitor: 20 characters of base32hex, new each time.
SELECT status, length(body ->> 'id') AS length, body ->> 'id' ~ '^[0-9a-v]{20}$' AS base32hex
FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'), 'SELECT experiments_api.visitor()');
-- Sortable: ids made one after the other sort in the order they were made,
-- and their first 9 characters (45 bits) are the milliseconds since 1970.
CREATE TEMP TABLE made AS SELECT n, experiments.visitor_id() AS id FROM generate_series(1, 2000) n;
SELECT count(*) AS ids, count(DISTINCT id) AS distinct_ids,
       count(*) FILTER (WHERE id <= previous) AS not_after_the_previous
FROM (SELECT id, lag(id) OVER (ORDER BY n) AS previous FROM made) s;
SELECT abs(extract(epoch FROM clock_timestamp()) * 1000 -
		   (SELECT sum((strpos('0123456789abcdefghijklmnopqrstuv', substr(id, i, 1)) - 1) * 32::numeric ^ (9 - i))
			FROM generate_series(1, 9) i)) < 60000 AS prefix_is_the_time
FROM made WHERE n = 2000;

-- 3. POST /rpc/allocate, seed 001: every running campaign the visitor gets a
-- variation of, ids as strings; closed (0% traffic) and draft ones are absent.
SELECT status, pg_temp.readable(body -> 'allocations') AS allocations,
       (SELECT bool_and(jsonb_typeof(value) = 'string') FROM jsonb_each(body -> 'allocations')) AS ids_are_strings
FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	$$SELECT experiments_api.allocate(visitor_id => 'bfr9ad2t0hm0009vj6l0')$$);
-- With campaign_id (a string, or a number as in the first sample): that entry and the deprecated variation_id.
SELECT status, body -> 'variation_id' = to_jsonb(i.variation) AS variation_id_ok,
       body -> 'allocations' = jsonb_build_object(i.campaign, i.variation) AS allocations_ok, i.variation_key
FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	format($$SELECT experiments_api.allocate(visitor_id => 'bfr9ad2t0hm0009vj6l0', campaign_id => %L)$$, :'banner')),
	ids i WHERE i.campaign_key = 'banner' AND i.variation_key = 'blue';
SELECT status, body FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	format($$SELECT experiments_api.allocate(visitor_id => 'v1', campaign_id => %s::text)$$, :closed));
SELECT status, body FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	format($$SELECT experiments_api.allocate(visitor_id => 'v1', campaign_id => %L)$$, :'draft'));
-- Errors: 400 for the visitor, 404 for an unknown campaign.
SELECT status, body ->> 'code' AS code, body ->> 'message' AS message
FROM (VALUES ($$SELECT experiments_api.allocate(visitor_id => NULL)$$),
			 ($$SELECT experiments_api.allocate(visitor_id => '')$$),
			 ($$SELECT experiments_api.allocate(visitor_id => repeat('x', 641))$$),
			 ($$SELECT experiments_api.allocate(visitor_id => 'v1', campaign_id => '999999999999')$$),
			 ($$SELECT experiments_api.allocate(visitor_id => 'v1', campaign_id => 'banner')$$)) AS c(call),
	 pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'), c.call);
-- allocate writes nothing: the visitor has no enrolment afterwards.
SELECT count(*) AS enrolments FROM experiments.enrolments WHERE tenant_id = :'shop' AND unit = 'bfr9ad2t0hm0009vj6l0';

-- 4. POST /rpc/experiment_status, seed 003. The key is in the body: no header.
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
	SELECT to_jsonb(h) FROM pg_temp.http('experiments_anon', '{}', format(
		$q$SELECT experiments_api.experiment_status(api_key => %L, app_ver => '1.2.0', user_tag => %L,
			device_tag => %L, device_type => 'iphone5s', os => 'ios', os_ver => '8.1', country => %L,
			language => 'en', new_gate_list => %L)$q$, api_key, user_tag, device_tag, country, new_gate_list),
		path => '/rpc/experiment_status') h
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
-- 403 for a bad key (seed 003), 400 for a missing or malformed field.
SELECT pg_temp.status('xk_not-a-key', 'device-1');
SELECT h.status, h.body ->> 'message' AS message
FROM (VALUES ($$api_key => NULL, app_ver => '1', device_tag => 'd', device_type => 't', os => 'o', os_ver => '1'$$),
			 ($$api_key => :k, device_tag => 'd', device_type => 't', os => 'o', os_ver => '1'$$),
			 ($$api_key => :k, app_ver => '1', device_type => 't', os => 'o', os_ver => '1'$$),
			 ($$api_key => :k, app_ver => '1', device_tag => 'd', device_type => 't', os => 'o'$$),
			 ($$api_key => :k, app_ver => '12345678901234567', device_tag => 'd', device_type => 't', os => 'o', os_ver => '1'$$),
			 ($$api_key => :k, app_ver => '1', device_tag => repeat('d', 63), device_type => 't', os => 'o', os_ver => '1'$$),
			 ($$api_key => :k, app_ver => '1', device_tag => 'd', device_type => 'iphone-something!', os => 'o', os_ver => '1'$$),
			 ($$api_key => :k, app_ver => '1', device_tag => 'd', device_type => 't', os => 'o', os_ver => '1', browser => 'a-very-long-browser'$$),
			 ($$api_key => :k, app_ver => '1', device_tag => 'd', device_type => 't', os => 'o', os_ver => '1', country => 'us'$$),
			 ($$api_key => :k, app_ver => '1', device_tag => 'd', device_type => 't', os => 'o', os_ver => '1', language => 'eng'$$),
			 ($$api_key => :k, app_ver => '1', device_tag => 'd', device_type => 't', os => 'o', os_ver => '1', new_gate_list => '"level_5"'$$),
			 ($$api_key => :k, app_ver => '1', device_tag => 'd', device_type => 't', os => 'o', os_ver => '1', new_gate_list => '[5]'$$)
	) AS c(args),
	pg_temp.http('experiments_anon', '{}', 'SELECT experiments_api.experiment_status(' || replace(c.args, ':k', quote_literal(:'game_key')) || ')',
				 path => '/rpc/experiment_status') h;
-- Another endpoint without a key is still refused by the pre-request.
SELECT * FROM pg_temp.http('experiments_anon', '{}', $$SELECT experiments_api.visitor()$$);

-- 5. POST /rpc/context_batch, seed 000: the body is the batch.
SELECT status, body FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'), format(
	$q$SELECT experiments_api.context_batch(%L)$q$, jsonb_build_object('requests', jsonb_build_array(jsonb_build_object(
		'hashed', true, 'historic', true, 'publishedAt', (extract(epoch FROM now()) * 1000)::bigint,
		'units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'bfr9ad2t0hm0009vj6l0')),
		'exposures', jsonb_build_array(jsonb_build_object('id', :banner, 'name', 'banner', 'unit', 'user_id', 'variant', 1,
			'exposedAt', (extract(epoch FROM now()) * 1000)::bigint, 'assigned', true, 'eligible', true)),
		'goals', jsonb_build_array(jsonb_build_object('name', 'banner_click', 'achievedAt', (extract(epoch FROM now()) * 1000)::bigint)),
		'attributes', jsonb_build_array(jsonb_build_object('name', 'age', 'value', 39, 'setAt', (extract(epoch FROM now()) * 1000)::bigint)))))));
SELECT (SELECT count(*) FROM experiments.exposures WHERE tenant_id = :'shop') AS exposures,
       (SELECT count(*) FROM experiments.goal_events WHERE tenant_id = :'shop') AS goals,
       (SELECT count(*) FROM experiments.attribute_events WHERE tenant_id = :'shop') AS attributes;
-- A refused event is answered and kept; a malformed batch is 400.
SELECT status, body -> 'ok' AS ok, body -> 'errors' -> 0 ->> 'subject' AS subject
FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	$q$SELECT experiments_api.context_batch('{"requests": [{"units": [{"type": "user_id", "uid": "u"}], "goals": [{"name": "g"}]}]}')$q$);
SELECT count(*) AS rejected FROM experiments.rejected_events WHERE tenant_id = :'shop';
SELECT status, body ->> 'code' AS code FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	$q$SELECT experiments_api.context_batch('{"requests": []}')$q$);
SET experiments.max_events_per_request = 1;
SELECT status, body ->> 'code' AS code FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	$q$SELECT experiments_api.context_batch('{"requests": [{"units": [{"type": "user_id", "uid": "u"}], "goals": [{"name": "g", "achievedAt": 1}, {"name": "g", "achievedAt": 1}]}]}')$q$);
RESET experiments.max_events_per_request;

-- 6. AB Tasty events (seed 001): the seed's bodies as named arguments (PostgREST
-- passes each JSON value to its jsonb argument); each answers {}.
SELECT campaign AS banner_id, variation AS blue_id FROM ids WHERE campaign_key = 'banner' AND variation_key = 'blue' \gset
CREATE TEMP TABLE tracking AS SELECT '{"device_type": "DESKTOP", "geolocation": {"lat": 48.868117, "long": 2.3559636}, "ip": "87.200.72.165", "origin": "http://www.mywebsite.com/products/p-123.php", "timestamp": "2018-02-12T17:29:02Z", "visitor_id": "bfr9ad2t0hm0009vj6l0"}'::jsonb AS t;
SELECT c.endpoint, h.status, h.body
FROM tracking,
	 LATERAL (VALUES
		('campaign_activated_event', format('SELECT experiments_api.campaign_activated_event(campaign_id => %L, variation_id => %L, tracking_data => %L)',
			to_jsonb(:'banner_id'::text), to_jsonb(:'blue_id'::text),
			'{"device_type": "DESKTOP", "origin": "http://www.mywebsite.com/products/p-123.php", "visitor_id": "bfr9ad2t0hm0009vj6l0"}')),
		('action_tracking_event', format('SELECT experiments_api.action_tracking_event(name => %L, type => %L, tracking_data => %L)',
			'"goal-add-to-basket"', '"CLICK"', '{"visitor_id": "bfr9ad2t0hm0009vj6l0", "device_type": "DESKTOP", "origin": "http://www.mywebsite.com/products/p-123-toto.php"}')),
		('custom_event', format('SELECT experiments_api.custom_event(name => %L, value_integer => %L, tracking_data => %L)',
			'"time-before-purchase"', '53000', t)),
		('transaction_event', format('SELECT experiments_api.transaction_event(name => %L, id => %L, revenue => %L, shipping => %L, tracking_data => %L, tax_total => %L, payment_method => %L, items_count => %L, currency => %L, items => %L)',
			'"transaction-apparel"', '"transaction-2"', '13099', '899', t - 'timestamp', '239', '"PayPal"', '2', '{"name": "USD", "rate": "1"}',
			'[{"name": "Black T-shirt", "price": 2700, "sku": "0240670010", "category": "tops", "quantity": 1, "tax_amount": 529, "tax-rate": 19.6}, {"name": "Blue Jean", "price": 9500, "sku": "blu-jeans-levis-503", "category": "jeans", "quantity": 1, "tax_amount": 1862, "tax-rate": 19.6}]')),
		('visit_event', format('SELECT experiments_api.visit_event(tracking_data => %L)', t))) AS c(endpoint, call),
	 pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'), c.call) h;
SELECT (SELECT count(*) FROM experiments.campaign_activations WHERE tenant_id = :'shop') AS activations,
       (SELECT count(*) FROM experiments.actions WHERE tenant_id = :'shop') AS actions,
       (SELECT count(*) FROM experiments.custom_events WHERE tenant_id = :'shop') AS custom,
       (SELECT count(*) FROM experiments.transactions WHERE tenant_id = :'shop') AS transactions,
       (SELECT count(*) FROM experiments.transaction_items WHERE tenant_id = :'shop') AS items,
       (SELECT count(*) FROM experiments.visits WHERE tenant_id = :'shop') AS visits;
-- The activation stored the variation for the visitor (an enrolment), as seed 001 asks.
SELECT count(*) AS enrolments FROM experiments.enrolments WHERE tenant_id = :'shop' AND unit = 'bfr9ad2t0hm0009vj6l0';
-- allocate honours it: with all of banner's traffic moved to the control,
-- the activated visitor keeps blue, a new one gets the control.
BEGIN;
SELECT experiments.set_tenant(:'shop') \g /dev/null
SELECT count(*) AS variants FROM experiments.set_variants('banner', '[{"key": "control", "allocation": 100}, {"key": "blue", "allocation": 0}]');
COMMIT;
SELECT v.visitor, h.status, pg_temp.readable(h.body -> 'allocations') AS allocations
FROM (VALUES ('bfr9ad2t0hm0009vj6l0'), ('new-visitor')) AS v(visitor),
	 pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
		format($$SELECT experiments_api.allocate(visitor_id => %L)$$, v.visitor)) h;
-- A refused event: the function's status and error document.
SELECT status, body FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	$$SELECT experiments_api.visit_event(tracking_data => '{"device_type": "FRIDGE", "origin": "/", "visitor_id": "v"}')$$);

-- 7. Management through the admin role: a create answers 201, a missing
-- resource 404, a client key 401 (a request without a token is anonymous to PostgREST).
SELECT status, body ->> 'name' AS name, body ->> 'is_draft' AS is_draft
FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_admin_key'),
	format($$SELECT experiments_api.create_org_experiment(organization_id => %L, body => '{"is_draft": true, "name": "Checkout copy"}')$$, :'shop'));
SELECT status, jsonb_array_length(body) AS experiments
FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_admin_key'),
	format($$SELECT experiments_api.list_org_experiments(organization_id => %L)$$, :'shop'));
SELECT status, body ->> 'message' AS message
FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_admin_key'),
	$$SELECT experiments_api.get_ab_test(site_id => 'NoSuchSite', id => 'x')$$);
SELECT status, body ->> 'code' AS code
FROM pg_temp.http('experiments_anon', jsonb_build_object('x-api-key', :'shop_key'),
	format($$SELECT experiments_api.list_org_experiments(organization_id => %L)$$, :'shop'));
