-- The demo tour of the experiments extension (make demo).
\pset footer off
\echo
\echo '== 1. Install the extension'
CREATE EXTENSION experiments;
SELECT extname, extversion FROM pg_extension WHERE extname = 'experiments';

\echo '== 2. Buckets: the pinned hash every assignment stands on'
SELECT unit, experiments.bucket(unit, 42) AS bucket_seed_42
FROM (VALUES ('alice'), ('bob'), ('émile'), ('日本')) AS u(unit);

\echo '== 3. A tenant and an experiment: 3 variants, 50% of traffic'
SELECT experiments.create_tenant('acme', 'Acme Inc.') AS tenant \gset
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT key, state, traffic_bp, unit_type
FROM experiments.create_experiment('checkout_button',
	'[{"key": "control", "allocation": 50, "type": "control"},
	  {"key": "green",   "allocation": 25, "treatment": {"color": "green"}},
	  {"key": "blue",    "allocation": 25, "treatment": {"color": "blue"}}]',
	traffic_percent => 50, start => true);
SELECT key, ordinal, allocation_bp, treatment FROM experiments.variants ORDER BY ordinal;

\echo '== 4. Assign one unit: the variant, the exposure flags and why'
SELECT experiment, variant, assigned, eligible, bucket, traffic_bucket, reason
FROM experiments.assign('checkout_button', 'user-1');

\echo '== 5. Assign 100,000 sample units: the split matches 50% traffic x 50/25/25'
SELECT coalesce(variant, '(not in experiment)') AS variant, count(*) AS units,
	   round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS percent
FROM (SELECT (experiments.assign('checkout_button', 'user-' || g)).variant
	  FROM generate_series(1, 100000) g) s
GROUP BY 1 ORDER BY 2 DESC;

\echo '== 6. Enrolment is sticky: reweighting does not move an enrolled unit'
SELECT variant, reason FROM experiments.enrol('checkout_button', 'user-1');
UPDATE experiments.variants SET allocation_bp = CASE key WHEN 'control' THEN 0 WHEN 'green' THEN 5000 ELSE 5000 END;
SELECT variant, reason FROM experiments.assign('checkout_button', 'user-1');

\echo '== 7. Audiences are evaluated in C; a bad one is refused with a reason'
SELECT experiments.audience_matches('{"and": [{"attr": "country", "op": "in", "value": ["FR", "DE"]},
										   {"attr": "app_version", "op": "version_gte", "value": "2.10"}]}',
									'{"country": "FR", "app_version": "2.9.1"}') AS fr_on_2_9_matches;
COMMIT;
\set ON_ERROR_STOP 0
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
UPDATE experiments.experiments SET audience = '{"attr": "country", "op": "like", "value": "F%"}';
ROLLBACK;
\set ON_ERROR_STOP 1

\echo '== 8. Publish events: valid ones are stored, bad ones are refused with a reason'
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT experiments.publish(jsonb_build_object('requests', jsonb_build_array(jsonb_build_object(
	'publishedAt', (extract(epoch FROM now()) * 1000)::bigint,
	'units', '[{"type": "user_id", "uid": "user-1"}]'::jsonb,
	'exposures', jsonb_build_array(
		jsonb_build_object('name', 'checkout_button', 'unit', 'user_id', 'variant', 1,
						   'exposedAt', (extract(epoch FROM now()) * 1000)::bigint, 'assigned', true, 'eligible', true),
		jsonb_build_object('name', 'checkout_button', 'unit', 'user_id', 'variant', 129, 'exposedAt', 0),
		jsonb_build_object('name', 'no_such_test', 'unit', 'user_id', 'variant', 0,
						   'exposedAt', (extract(epoch FROM now()) * 1000)::bigint)),
	'goals', jsonb_build_array(
		jsonb_build_object('name', 'purchase', 'achievedAt', (extract(epoch FROM now()) * 1000)::bigint,
						   'properties', '{"amount": 42}'::jsonb),
		jsonb_build_object('name', 'purchase', 'achievedAt', 'now')))))) AS answer \gset
SELECT jsonb_pretty(:'answer'::jsonb) AS answer;
SELECT 'exposure' AS stored, ordinal::text AS what, unit FROM experiments.exposures
UNION ALL SELECT 'goal', goal || ' ' || properties::text, unit FROM experiments.goal_events;
SELECT subject, reason FROM experiments.rejected_events ORDER BY id;
COMMIT;

\echo '== 9. AB Tasty server-side events: one function per endpoint, the seed''s bodies as named arguments'
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT id AS campaign_id FROM experiments.experiments WHERE key = 'checkout_button' \gset
SELECT id AS variation_id FROM experiments.variants WHERE key = 'green' \gset
\set td '{"visitor_id": "visitor-7", "device_type": "DESKTOP", "origin": "https://shop.example/checkout", "timestamp": "2018-02-12T17:29:02Z"}'
SELECT 'campaign_activated' AS event, experiments.campaign_activated_event(campaign_id => to_jsonb(:'campaign_id'::text),
	variation_id => to_jsonb(:'variation_id'::text),
	tracking_data => '{"visitor_id": "visitor-7", "device_type": "DESKTOP", "origin": "https://shop.example/checkout"}') AS answer
UNION ALL
SELECT 'action_tracking', experiments.action_tracking_event(name => '"add-to-basket"', type => '"CLICK"', tracking_data => :'td')
UNION ALL
SELECT 'custom', experiments.custom_event(name => '"time-before-purchase"', value_integer => '53000', tracking_data => :'td')
UNION ALL
SELECT 'transaction', experiments.transaction_event(name => '"order"', id => '"order-1"', revenue => '13099', shipping => '899',
	tracking_data => :'td', currency => '{"name": "USD", "rate": "1"}',
	items => '[{"name": "Black T-shirt", "price": 2700, "quantity": 1, "tax-rate": 19.6}]')
UNION ALL
SELECT 'visit', experiments.visit_event(tracking_data => '{"visitor_id": "visitor-7", "device_type": "DESKTOP", "origin": "https://shop.example/", "geolocation": {"lat": 48.87, "long": 2.36}, "browser": "x"}')
UNION ALL
SELECT 'refused visit', experiments.visit_event(tracking_data => '{"visitor_id": "visitor-7", "device_type": "PHONE", "origin": "https://shop.example/"}');
SELECT current_setting('response.status') AS "response.status (PostgREST's HTTP status)";
SELECT variant, reason FROM experiments.assign('checkout_button', 'visitor-7');
SELECT 'transaction' AS stored, transaction_id || ' ' || revenue || ' cents, ' || items_count || ' item(s)' AS what FROM experiments.transactions
UNION ALL SELECT 'visit', origin || ' at ' || latitude || ',' || longitude FROM experiments.visits;
SELECT source, subject, reason FROM experiments.rejected_events WHERE source <> 'publish' ORDER BY id;
COMMIT;
\echo
\echo 'Tour complete.'
