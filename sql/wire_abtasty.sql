-- AB Tasty's server-side API (the AB Tasty document, seed 001) over HTTP, as
-- a client of the original API calls it with only its base URL changed
-- (POST /v1/<endpoint> becomes POST /rpc/<endpoint>): every sample request
-- body of the document sent verbatim, its answer compared with the
-- documented one (status, headers, body); then every error the document
-- defines (its codes in {"code", "message"} with the HTTP status), every
-- spelling it uses, and our limits at the boundary and one past it. The
-- harness (sql/helpers/http.sql, test/http) runs and commits each request as
-- PostgREST 12 would.
\i sql/helpers/http.sql
SELECT experiments.create_tenant('wire_abtasty') AS tenant \gset
SELECT experiments.create_api_key(:'tenant', 'shop') AS client \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin') AS admin \gset

-- The document's ids: campaign 355385 whose variation 462141 takes all the
-- traffic, and a second running campaign; a campaign not started yet.
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT setval(pg_get_serial_sequence('experiments.experiments', 'id'), 355384) \g /dev/null
SELECT setval(pg_get_serial_sequence('experiments.variants', 'id'), 462140) \g /dev/null
SELECT id AS campaign FROM experiments.create_experiment('seed-campaign',
	'[{"key": "shown", "allocation": 100}, {"key": "other", "allocation": 0}]', start => true) \gset
SELECT id AS second FROM experiments.create_experiment('second-campaign', '[{"key": "only", "allocation": 100}]', start => true) \gset
SELECT id AS draft FROM experiments.create_experiment('draft-campaign', '[{"key": "only", "allocation": 100}]') \gset
COMMIT;
SELECT e.id AS campaign_id, v.id AS variation_id, v.key
FROM experiments.experiments e JOIN experiments.variants v ON v.experiment_id = e.id
WHERE e.tenant_id = :'tenant' AND e.key = 'seed-campaign' ORDER BY v.id;
SELECT id AS draft_variation FROM experiments.variants WHERE experiment_id = :draft \gset

-- A request as the document's curl sends it: POST, Content-Type
-- application/json and x-api-key when given, the body as text.
CREATE FUNCTION pg_temp.ab(endpoint text, api_key text, request_body text,
						   OUT status integer, OUT body jsonb, OUT headers jsonb)
LANGUAGE sql AS $$
	SELECT * FROM pg_temp.http('POST', '/rpc/' || endpoint,
		jsonb_build_object('Content-Type', 'application/json') ||
		CASE WHEN api_key IS NULL THEN '{}' ELSE jsonb_build_object('x-api-key', api_key) END,
		request_body)
$$;
-- What the tenant stored, by table.
CREATE TEMP VIEW stored AS
SELECT (SELECT count(*) FROM experiments.campaign_activations WHERE tenant_id = :'tenant') AS activations,
	   (SELECT count(*) FROM experiments.actions WHERE tenant_id = :'tenant') AS actions,
	   (SELECT count(*) FROM experiments.custom_events WHERE tenant_id = :'tenant') AS custom,
	   (SELECT count(*) FROM experiments.transactions WHERE tenant_id = :'tenant') AS transactions,
	   (SELECT count(*) FROM experiments.transaction_items WHERE tenant_id = :'tenant') AS items,
	   (SELECT count(*) FROM experiments.visits WHERE tenant_id = :'tenant') AS visits,
	   (SELECT count(*) FROM experiments.rejected_events WHERE tenant_id = :'tenant') AS rejected;

-- 1. The document's samples, verbatim.
-- POST /v1/visitor: curl sends no body and no Content-Type. Documented:
-- {"id": "bfr9ad2t0hm0009vj6l0",} (not JSON: a trailing comma), an object
-- of one string id of 20 characters of base32hex.
SELECT status, headers, array(SELECT jsonb_object_keys(body)) = '{id}' AND body ->> 'id' ~ '^[0-9a-v]{20}$' AS as_documented
FROM pg_temp.http('POST', '/rpc/visitor', jsonb_build_object('x-api-key', :'client'));

-- The other samples: the curl -d body and the documented answer.
CREATE TEMP TABLE samples (n integer, endpoint text, request text, documented jsonb);
INSERT INTO samples VALUES
(1, 'allocate', $${
    "visitor_id": "bfr9ad2t0hm0009vj6l0"
}$$, $${
  "allocations": {
    "355385": 462141,
    "563299": 10
  }
}$$),
(2, 'allocate', $${
    "visitor_id": "bfr9ad2t0hm0009vj6l0",
    "campaign_id": "355385"
}$$, $${
    "variation_id": "462141",
    "allocations": {
        "355385": "462141"
    }
}$$),
(3, 'campaign_activated_event', $${
  "campaign_id": "355385",
  "variation_id": "462141",
  "tracking_data": {
      "device_type": "DESKTOP",
      "origin": "http://www.mywebsite.com/products/p-123.php",
      "visitor_id": "bfr9ad2t0hm0009vj6l0"
    }
}$$, '{}'),
(4, 'action_tracking_event', $${
  "name": "goal-add-to-basket",
  "type": "CLICK",
  "tracking_data": {
    "visitor_id": "bfr9ad2t0hm0009vj6l0",
    "device_type": "DESKTOP",
    "origin": "http://www.mywebsite.com/products/p-123-toto.php"
  }
}$$, '{}'),
(5, 'custom_event', $${
  "name": "time-before-purchase",
  "value_integer": 53000,
  "tracking_data": {
      "device_type": "DESKTOP",
      "geolocation": {
        "lat": 48.868117,
        "long": 2.3559636
      },
      "ip": "87.200.72.165",
      "origin": "http://www.mywebsite.com/products/p-123.php",
      "timestamp": "2018-02-12T17:29:02Z",
      "visitor_id": "bfr9ad2t0hm0009vj6l0"
  }
}$$, '{}'),
(6, 'transaction_event', $${
  "name": "transaction-apparel",
  "id": "transaction-2",
  "revenue": 13099,
  "shipping": 899,
  "tracking_data": {
    "device_type": "DESKTOP",
    "geolocation": {
      "lat": 48.868117,
      "long": 2.3559636
    },
    "ip": "87.200.72.165",
    "origin": "http://www.mywebsite.com/order-confirmation.php",
    "visitor_id": "bfr9ad2t0hm0009vj6l0"
  },
  "tax_total": 239,
  "payment_method": "PayPal",
  "items_count": 2,
  "currency": {
    "name": "USD",
    "rate": "1"
  },
  "items": [{
    "name": "Black T-shirt",
    "price": 2700,
    "sku": "0240670010",
    "category": "tops",
    "quantity": 1,
    "tax_amount": 529,
    "tax-rate": 19.6
  },
  {
    "name": "Blue Jean",
    "price": 9500,
    "sku": "blu-jeans-levis-503",
    "category": "jeans",
    "quantity": 1,
    "tax_amount": 1862,
    "tax-rate": 19.6
  }]
}$$, '{}'),
(7, 'visit_event', $${
  "tracking_data": {
      "device_type": "DESKTOP",
      "geolocation": {
        "lat": 48.868117,
        "long": 2.3559636
      },
      "ip": "87.200.72.165",
      "origin": "http://www.mywebsite.com/products/p-123.php",
      "timestamp": "2018-02-12T17:29:02Z",
      "visitor_id": "bfr9ad2t0hm0009vj6l0"
  }
}$$, '{}');
CREATE TEMP TABLE replayed AS
SELECT s.n, s.endpoint, h.status, h.headers, h.body, s.documented
FROM samples s, LATERAL pg_temp.ab(s.endpoint, :'client', s.request) h ORDER BY s.n;
-- Every answer is 200 with no header but PostgREST's Content-Range. 2 to 7
-- are the documented bodies exactly (2 with the document's own ids).
SELECT n, endpoint, status, headers, body, body = documented AS as_documented FROM replayed ORDER BY n;
-- 1 differs from its document only in the JSON type of the variation ids:
-- the document's first sample shows numbers (and a campaign 563299 this
-- tenant does not have), its second sample and its tables strings; we answer
-- strings. Same keys, and for campaign 355385 the same variation.
SELECT n, array(SELECT jsonb_object_keys(body)) = array(SELECT jsonb_object_keys(documented)) AS same_keys,
	   body #>> '{allocations,355385}' = documented #>> '{allocations,355385}' AS same_variation,
	   (SELECT bool_and(jsonb_typeof(value) = 'string') FROM jsonb_each(body -> 'allocations')) AS variation_ids_are_strings,
	   (SELECT bool_and(jsonb_typeof(value) = 'number') FROM jsonb_each(documented -> 'allocations')) AS documented_ids_are_numbers,
	   body -> 'allocations' ? :'second'::text AS second_campaign_allocated
FROM replayed WHERE n = 1;
-- What the events stored: each sample once, the transaction with its two items.
SELECT * FROM stored;
SELECT transaction_id, revenue, shipping, tax_total, payment_method, items_count, currency, currency_rate,
	   (SELECT string_agg(name || ' ' || price || ' ' || tax_rate, ', ' ORDER BY item_index) FROM experiments.transaction_items i
		WHERE i.tenant_id = t.tenant_id AND i.transaction_id = t.transaction_id) AS items
FROM experiments.transactions t WHERE tenant_id = :'tenant';

-- 2. Authentication (the document: the x-api-key header on every request).
-- No key or a key that is not valid: 401, code 16 Unauthenticated; a valid
-- key of another role (admin): 403, code 7 PermissionDenied. Nothing is
-- stored, refused events included.
CREATE TEMP TABLE before AS SELECT * FROM stored;
SELECT s.endpoint, k.who, h.status, h.body -> 'code' AS code,
	   h.body ->> 'message' ~ CASE h.status WHEN 401 THEN '^Unauthenticated: ' ELSE '^PermissionDenied: ' END AS labelled,
	   array(SELECT jsonb_object_keys(h.body) ORDER BY 1) = '{code,message}' AS document_keys
FROM (SELECT 'visitor' AS endpoint, 0 AS n, NULL AS request UNION ALL SELECT endpoint, n, request FROM samples) s,
	 (VALUES (1, 'no key', NULL), (2, 'bad key', 'xk_not_a_key'), (3, 'admin key', :'admin')) AS k(n, who, api_key),
	 LATERAL pg_temp.ab(s.endpoint, k.api_key, s.request) h
ORDER BY s.n, k.n;
SELECT (SELECT row(s.*)::text FROM stored s) = (SELECT row(b.*)::text FROM before b) AS nothing_stored;
SELECT status, body FROM pg_temp.ab('allocate', NULL, '{"visitor_id": "v"}');
SELECT status, body FROM pg_temp.ab('visit_event', :'admin', '{"tracking_data": {}}');

-- 3. allocate: the body's fields (visitor_id required, campaign_id optional).
SELECT c.n, c.case, h.status, h.body
FROM (VALUES
	(1, 'no visitor_id', '{}'),
	(2, 'visitor_id null', '{"visitor_id": null}'),
	(3, 'visitor_id empty', '{"visitor_id": ""}'),
	(4, 'visitor_id a number', '{"visitor_id": 42}'),
	(5, 'the body an array', '[{"visitor_id": "v"}]'),
	(6, 'the body a string', '"v"'),
	(7, 'campaign_id unknown', '{"visitor_id": "v", "campaign_id": "999999"}'),
	(8, 'campaign_id not digits', '{"visitor_id": "v", "campaign_id": "banner"}'),
	(9, 'campaign_id a boolean', '{"visitor_id": "v", "campaign_id": true}'),
	(10, 'campaign_id a fraction', '{"visitor_id": "v", "campaign_id": 355385.5}'),
	(11, 'campaign_id a number', '{"visitor_id": "bfr9ad2t0hm0009vj6l0", "campaign_id": 355385}'),
	(12, 'campaign_id null', '{"visitor_id": "bfr9ad2t0hm0009vj6l0", "campaign_id": null}'),
	(13, 'unknown keys', '{"visitor_id": "bfr9ad2t0hm0009vj6l0", "campaign_id": "355385", "visitorId": "x", "context": {}}'),
	(14, 'campaign not started', format('{"visitor_id": "v", "campaign_id": "%s"}', :draft))) AS c(n, "case", request),
	 LATERAL pg_temp.ab('allocate', :'client', c.request) h
ORDER BY c.n;
-- visitor_id: at most 640 bytes (as every unit), at the limit and one past,
-- in ASCII and in two-byte characters.
SELECT c.chars, octet_length(c.visitor) AS bytes, h.status, h.body -> 'code' AS code, h.body ->> 'message' AS message,
	   h.body ? 'allocations' AS allocated
FROM (VALUES (640, repeat('v', 640)), (641, repeat('v', 641)), (320, repeat('é', 320)), (321, repeat('é', 321))) AS c(chars, visitor),
	 LATERAL pg_temp.ab('allocate', :'client', jsonb_build_object('visitor_id', c.visitor)::text) h;
-- An empty body: PostgREST passes '' to the jsonb parameter, which
-- PostgreSQL refuses before allocate runs (docs/apis/abtasty.md).
SELECT status, body ->> 'code' AS code FROM pg_temp.ab('allocate', :'client', NULL);

-- 4. Events: every required field of the document missing, each answered
-- 400 code 3 InvalidArgument naming it; the unknown campaign or variation
-- 404 code 5; a campaign not started 400 code 9; a transaction id already
-- stored 409 code 6. Refusals store the event in rejected_events only.
CREATE TEMP TABLE tracking AS
SELECT '{"visitor_id": "v-errors", "device_type": "DESKTOP", "origin": "/"}'::jsonb AS t;
CREATE TEMP TABLE before_errors AS SELECT * FROM stored;
SELECT c.n, c.endpoint, c.case, h.status, h.body
FROM tracking, LATERAL (VALUES
	(1, 'visit_event', 'no tracking_data', '{}'::jsonb),
	(2, 'visit_event', 'no tracking_data.visitor_id', jsonb_build_object('tracking_data', t - 'visitor_id')),
	(3, 'visit_event', 'no tracking_data.device_type', jsonb_build_object('tracking_data', t - 'device_type')),
	(4, 'visit_event', 'no tracking_data.origin', jsonb_build_object('tracking_data', t - 'origin')),
	(5, 'visit_event', 'a device_type not listed', jsonb_build_object('tracking_data', t || '{"device_type": "FRIDGE"}')),
	(6, 'visit_event', 'a timestamp not ISO-8601', jsonb_build_object('tracking_data', t || '{"timestamp": "yesterday"}')),
	(7, 'visit_event', 'an ip that is none', jsonb_build_object('tracking_data', t || '{"ip": "87.200.72"}')),
	(8, 'campaign_activated_event', 'no campaign_id', jsonb_build_object('variation_id', '462141', 'tracking_data', t)),
	(9, 'campaign_activated_event', 'no variation_id', jsonb_build_object('campaign_id', '355385', 'tracking_data', t)),
	(10, 'campaign_activated_event', 'an unknown campaign', jsonb_build_object('campaign_id', '999999', 'variation_id', '462141', 'tracking_data', t)),
	(11, 'campaign_activated_event', 'a variation of another campaign', jsonb_build_object('campaign_id', '355385', 'variation_id', :'draft_variation'::text, 'tracking_data', t)),
	(12, 'campaign_activated_event', 'a campaign not started', jsonb_build_object('campaign_id', :'draft'::text, 'variation_id', :'draft_variation'::text, 'tracking_data', t)),
	(13, 'action_tracking_event', 'no name', jsonb_build_object('type', 'CLICK', 'tracking_data', t)),
	(14, 'action_tracking_event', 'no type', jsonb_build_object('name', 'n', 'tracking_data', t)),
	(15, 'action_tracking_event', 'a type not listed', jsonb_build_object('name', 'n', 'type', 'SWIPE', 'tracking_data', t)),
	(16, 'action_tracking_event', 'no position.y', jsonb_build_object('name', 'n', 'type', 'TOUCH', 'tracking_data', t, 'position', '{"x": 1}'::jsonb)),
	(17, 'action_tracking_event', 'no resolution.width', jsonb_build_object('name', 'n', 'type', 'TOUCH', 'tracking_data', t, 'resolution', '{"height": 1}'::jsonb)),
	(18, 'custom_event', 'no name', jsonb_build_object('tracking_data', t)),
	(19, 'custom_event', 'value_integer a string', jsonb_build_object('name', 'n', 'value_integer', '53000', 'tracking_data', t)),
	(20, 'transaction_event', 'no name', jsonb_build_object('id', 't-x', 'tracking_data', t)),
	(21, 'transaction_event', 'no id', jsonb_build_object('name', 'n', 'tracking_data', t)),
	(22, 'transaction_event', 'no currency.name', jsonb_build_object('name', 'n', 'id', 't-x', 'tracking_data', t, 'currency', '{"rate": 1}'::jsonb)),
	(23, 'transaction_event', 'no currency.rate', jsonb_build_object('name', 'n', 'id', 't-x', 'tracking_data', t, 'currency', '{"name": "USD"}'::jsonb)),
	(24, 'transaction_event', 'no items[0].name', jsonb_build_object('name', 'n', 'id', 't-x', 'tracking_data', t, 'items', '[{"price": 1}]'::jsonb)),
	(25, 'transaction_event', 'no items[0].price', jsonb_build_object('name', 'n', 'id', 't-x', 'tracking_data', t, 'items', '[{"name": "i"}]'::jsonb)),
	(26, 'transaction_event', 'item_count and items_count', jsonb_build_object('name', 'n', 'id', 't-x', 'tracking_data', t, 'item_count', 1, 'items_count', 1)),
	(27, 'transaction_event', 'the id of the sample again', jsonb_build_object('name', 'n', 'id', 'transaction-2', 'tracking_data', t)),
	(28, 'visit_event', 'the body an array', '[]')) AS c(n, endpoint, "case", request),
	 LATERAL pg_temp.ab(c.endpoint, :'client', c.request::text) h
ORDER BY c.n;
SELECT s.activations - b.activations AS activations, s.actions - b.actions AS actions, s.custom - b.custom AS custom,
	   s.transactions - b.transactions AS transactions, s.visits - b.visits AS visits, s.rejected - b.rejected AS rejected
FROM stored s, before_errors b;

-- 5. Spellings and unknown keys. The document's transaction table spells
-- item_count, its sample items_count (taken above); its table tax_rate, its
-- sample tax-rate (taken above). Unknown keys, at the top or inside an
-- object, are ignored with a warning; geolocation, sent by the samples but
-- in no table, is read.
SELECT c.n, c.case, h.status, h.body
FROM tracking, LATERAL (VALUES
	(1, 'transaction_event', 'item_count', jsonb_build_object('name', 'n', 'id', 't-item-count', 'revenue', 100, 'shipping', 0, 'tracking_data', t, 'item_count', 3)),
	(2, 'transaction_event', 'tax_rate', jsonb_build_object('name', 'n', 'id', 't-tax-rate', 'revenue', 100, 'shipping', 0, 'tracking_data', t,
		'items', '[{"name": "i", "price": 100, "tax_rate": 5.5}]'::jsonb)),
	(3, 'visit_event', 'unknown keys', jsonb_build_object('tracking_data', t || '{"screen": "home"}', 'session', 's1')),
	(4, 'transaction_event', 'no revenue or shipping', jsonb_build_object('name', 'n', 'id', 't-no-revenue', 'tracking_data', t))) AS c(n, endpoint, "case", request),
	 LATERAL pg_temp.ab(c.endpoint, :'client', c.request::text) h
ORDER BY c.n;
SELECT transaction_id, items_count, revenue, shipping,
	   (SELECT tax_rate FROM experiments.transaction_items i WHERE i.tenant_id = t.tenant_id AND i.transaction_id = t.transaction_id) AS tax_rate
FROM experiments.transactions t WHERE tenant_id = :'tenant' AND transaction_id IN ('t-item-count', 't-tax-rate', 't-no-revenue') ORDER BY 1;

-- 6. Our limits (the document sets none), at the boundary and one past:
-- tracking_data.visitor_id 640 bytes, strings experiments.max_string_length
-- (2,048) characters, items experiments.max_events_per_request (1,000),
-- value_integer a bigint, position an integer, resolution at least 1.
SELECT c.n, c.case, h.status, h.body -> 'code' AS code, h.body ->> 'message' AS message
FROM tracking, LATERAL (VALUES
	(1, 'visitor_id 640 bytes', 'visit_event', jsonb_build_object('tracking_data', t || jsonb_build_object('visitor_id', repeat('v', 640)))),
	(2, 'visitor_id 641 bytes', 'visit_event', jsonb_build_object('tracking_data', t || jsonb_build_object('visitor_id', repeat('v', 641)))),
	(3, 'visitor_id 640 bytes in 320 characters', 'visit_event', jsonb_build_object('tracking_data', t || jsonb_build_object('visitor_id', repeat('é', 320)))),
	(4, 'visitor_id 642 bytes in 321 characters', 'visit_event', jsonb_build_object('tracking_data', t || jsonb_build_object('visitor_id', repeat('é', 321)))),
	(5, 'name 2048 characters', 'custom_event', jsonb_build_object('name', repeat('n', 2048), 'tracking_data', t)),
	(6, 'name 2049 characters', 'custom_event', jsonb_build_object('name', repeat('n', 2049), 'tracking_data', t)),
	(7, '1000 items', 'transaction_event', jsonb_build_object('name', 'n', 'id', 't-1000', 'revenue', 0, 'shipping', 0, 'tracking_data', t,
		'items', (SELECT jsonb_agg(jsonb_build_object('name', 'i', 'price', 1)) FROM generate_series(1, 1000)))),
	(8, '1001 items', 'transaction_event', jsonb_build_object('name', 'n', 'id', 't-1001', 'revenue', 0, 'shipping', 0, 'tracking_data', t,
		'items', (SELECT jsonb_agg(jsonb_build_object('name', 'i', 'price', 1)) FROM generate_series(1, 1001)))),
	(9, 'value_integer 2^63-1', 'custom_event', jsonb_build_object('name', 'n', 'value_integer', 9223372036854775807, 'tracking_data', t)),
	(10, 'value_integer 2^63', 'custom_event', jsonb_build_object('name', 'n', 'value_integer', 9223372036854775808, 'tracking_data', t)),
	(11, 'position.x 2^31-1', 'action_tracking_event', jsonb_build_object('name', 'n', 'type', 'TOUCH', 'tracking_data', t, 'position', '{"x": 2147483647, "y": 0}'::jsonb)),
	(12, 'position.x 2^31', 'action_tracking_event', jsonb_build_object('name', 'n', 'type', 'TOUCH', 'tracking_data', t, 'position', '{"x": 2147483648, "y": 0}'::jsonb)),
	(13, 'resolution.width 1', 'action_tracking_event', jsonb_build_object('name', 'n', 'type', 'TOUCH', 'tracking_data', t, 'resolution', '{"width": 1, "height": 1}'::jsonb)),
	(14, 'resolution.width 0', 'action_tracking_event', jsonb_build_object('name', 'n', 'type', 'TOUCH', 'tracking_data', t, 'resolution', '{"width": 0, "height": 1}'::jsonb))) AS c(n, "case", endpoint, request),
	 LATERAL pg_temp.ab(c.endpoint, :'client', c.request::text) h
ORDER BY c.n;

-- Idempotency: an event sent again with its Idempotency-Key header (after a
-- lost answer, say) stores nothing and gets the first answer, its status
-- included; another key, or none, is another event. A transaction id is
-- stored once whatever the key.
CREATE FUNCTION pg_temp.ab_key(endpoint text, idempotency_key text, request_body jsonb,
							   OUT status integer, OUT body jsonb)
LANGUAGE sql AS $$
	SELECT h.status, h.body FROM pg_temp.http('POST', '/rpc/' || endpoint,
		jsonb_build_object('Content-Type', 'application/json', 'x-api-key', current_setting('wire.client'))
		|| CASE WHEN idempotency_key IS NULL THEN '{}' ELSE jsonb_build_object('Idempotency-Key', idempotency_key) END,
		request_body::text) h
$$;
SELECT set_config('wire.client', :'client', false) IS NOT NULL AS client_set;
SELECT c.n, c.sent, h.status, h.body
FROM tracking, LATERAL (VALUES
	(1, 'visit, key k1', 'visit_event', 'k1', jsonb_build_object('tracking_data', t || '{"visitor_id": "v-key"}', 'x', 1)),
	(2, 'the same again', 'visit_event', 'k1', jsonb_build_object('tracking_data', t || '{"visitor_id": "v-key"}', 'x', 1)),
	(3, 'key k2', 'visit_event', 'k2', jsonb_build_object('tracking_data', t || '{"visitor_id": "v-key"}')),
	(4, 'no key', 'visit_event', NULL, jsonb_build_object('tracking_data', t || '{"visitor_id": "v-key"}')),
	(5, 'refused, key k3', 'visit_event', 'k3', jsonb_build_object('tracking_data', t - 'origin')),
	(6, 'the same again', 'visit_event', 'k3', jsonb_build_object('tracking_data', t - 'origin')),
	(7, 'transaction, key k4', 'transaction_event', 'k4', jsonb_build_object('name', 'n', 'id', 't-key', 'revenue', 5, 'shipping', 0, 'tracking_data', t)),
	(8, 'the same again', 'transaction_event', 'k4', jsonb_build_object('name', 'n', 'id', 't-key', 'revenue', 5, 'shipping', 0, 'tracking_data', t)),
	(9, 'the same id, no key', 'transaction_event', NULL, jsonb_build_object('name', 'n', 'id', 't-key', 'revenue', 5, 'shipping', 0, 'tracking_data', t))
	) AS c(n, sent, endpoint, idempotency_key, request),
	 LATERAL pg_temp.ab_key(c.endpoint, c.idempotency_key, c.request) h
ORDER BY c.n;
SELECT (SELECT count(*) FROM experiments.visits WHERE tenant_id = :'tenant' AND visitor_id = 'v-key') AS visits,
	   (SELECT count(*) FROM experiments.transactions WHERE tenant_id = :'tenant' AND transaction_id = 't-key') AS transactions;
