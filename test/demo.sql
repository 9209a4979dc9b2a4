-- The demo tour of the experiments extension (make demo).
\pset footer off
\echo
\echo '== 1. Install the extension'
CREATE EXTENSION experiments;
SELECT extname, extversion FROM pg_extension WHERE extname = 'experiments';

\echo '== 2. Buckets: the pinned hash every assignment stands on'
SELECT unit, experiments.bucket(unit, 42) AS bucket_seed_42
FROM (VALUES ('alice'), ('bob'), ('émile'), ('日本')) AS u(unit);

\echo '== 3. A tenant, its API keys and the login roles (the superuser''s part, as in the README)'
SELECT current_user AS superuser \gset
SELECT experiments.create_tenant('acme', 'Acme Inc.') AS tenant \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin') AS admin_key \gset
SELECT experiments.create_api_key(:'tenant', 'shop', 'client') AS client_key \gset
SELECT experiments.create_api_key(:'tenant', 'bi', 'analyst') AS analyst_key \gset
CREATE ROLE acme_ops LOGIN PASSWORD 'ops secret' IN ROLE experiments_admin;
CREATE ROLE shop_backend LOGIN PASSWORD 'backend secret' IN ROLE experiments_client;
CREATE ROLE acme_bi LOGIN PASSWORD 'bi secret' IN ROLE experiments_analyst;
SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname IN ('acme_ops', 'shop_backend', 'acme_bi') ORDER BY 1;
\echo 'From here on, ordinary logins over TCP with passwords, each transaction choosing its tenant with a key.'
\echo 'The operator (acme_ops) creates an experiment: 3 variants, 50% of traffic'
\c -reuse-previous=on "host=127.0.0.1 user=acme_ops password='ops secret'"
BEGIN;
SELECT experiments.authenticate(:'admin_key') \g /dev/null
SELECT key, state, traffic_bp, unit_type
FROM experiments.create_experiment('checkout_button',
	'[{"key": "control", "allocation": 50, "type": "control"},
	  {"key": "green",   "allocation": 25, "treatment": {"color": "green"}},
	  {"key": "blue",    "allocation": 25, "treatment": {"color": "blue"}}]',
	traffic_percent => 50, start => true);
SELECT key, ordinal, allocation_bp, treatment FROM experiments.variants ORDER BY ordinal;
COMMIT;

\echo '== 4. Assign one unit (the application, shop_backend): the variant, the exposure flags and why'
\c -reuse-previous=on "host=127.0.0.1 user=shop_backend password='backend secret'"
BEGIN;
SELECT experiments.authenticate(:'client_key') \g /dev/null
SELECT experiment, variant, assigned, eligible, bucket, reason
FROM experiments.assign('checkout_button', 'user-1');

\echo '== 5. Assign 100,000 sample units: the split matches 50% traffic x 50/25/25'
SELECT coalesce(variant, '(not in experiment)') AS variant, count(*) AS units,
	   round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS percent
FROM (SELECT (experiments.assign('checkout_button', 'user-' || g)).variant
	  FROM generate_series(1, 100000) g) s
GROUP BY 1 ORDER BY 2 DESC;

\echo '== 6. Enrolment is sticky: the operator''s reweighting does not move an enrolled unit'
SELECT variant, reason FROM experiments.enrol('checkout_button', 'user-1');
COMMIT;
\c -reuse-previous=on "host=127.0.0.1 user=acme_ops password='ops secret'"
BEGIN;
SELECT experiments.authenticate(:'admin_key') \g /dev/null
UPDATE experiments.variants SET allocation_bp = CASE key WHEN 'control' THEN 0 WHEN 'green' THEN 5000 ELSE 5000 END;
COMMIT;
\c -reuse-previous=on "host=127.0.0.1 user=shop_backend password='backend secret'"
BEGIN;
SELECT experiments.authenticate(:'client_key') \g /dev/null
SELECT variant, reason FROM experiments.assign('checkout_button', 'user-1');
COMMIT;

\echo '== 7. Audiences are evaluated in C (the operator tries one); a bad one is refused with a reason'
\c -reuse-previous=on "host=127.0.0.1 user=acme_ops password='ops secret'"
SELECT experiments.audience_matches('{"and": [{"attr": "country", "op": "in", "value": ["FR", "DE"]},
										   {"attr": "app_version", "op": "version_gte", "value": "2.10"}]}',
									'{"country": "FR", "app_version": "2.9.1"}') AS fr_on_2_9_matches;
\set ON_ERROR_STOP 0
BEGIN;
SELECT experiments.authenticate(:'admin_key') \g /dev/null
UPDATE experiments.experiments SET audience = '{"attr": "country", "op": "like", "value": "F%"}';
ROLLBACK;
\set ON_ERROR_STOP 1

\echo '== 8. Publish events (the application): valid ones are stored, bad ones are refused with a reason'
\c -reuse-previous=on "host=127.0.0.1 user=shop_backend password='backend secret'"
BEGIN;
SELECT experiments.authenticate(:'client_key') \g /dev/null
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
COMMIT;
SELECT jsonb_pretty(:'answer'::jsonb) AS answer;
\echo 'What was stored and refused, as the analyst (acme_bi) reads it'
\c -reuse-previous=on "host=127.0.0.1 user=acme_bi password='bi secret'"
BEGIN;
SELECT experiments.authenticate(:'analyst_key') \g /dev/null
SELECT 'exposure' AS stored, ordinal::text AS what, unit FROM experiments.exposures
UNION ALL SELECT 'goal', goal || ' ' || properties::text, unit FROM experiments.goal_events;
SELECT subject, reason FROM experiments.rejected_events ORDER BY id;
COMMIT;

\echo '== 9. AB Tasty server-side events (the application): one function per endpoint, the seed''s bodies as named arguments'
\c -reuse-previous=on "host=127.0.0.1 user=acme_ops password='ops secret'"
BEGIN;
SELECT experiments.authenticate(:'admin_key') \g /dev/null
SELECT id AS campaign_id FROM experiments.experiments WHERE key = 'checkout_button' \gset
SELECT id AS variation_id FROM experiments.variants WHERE key = 'green' \gset
COMMIT;
\c -reuse-previous=on "host=127.0.0.1 user=shop_backend password='backend secret'"
BEGIN;
SELECT experiments.authenticate(:'client_key') \g /dev/null
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
COMMIT;
\c -reuse-previous=on "host=127.0.0.1 user=acme_bi password='bi secret'"
BEGIN;
SELECT experiments.authenticate(:'analyst_key') \g /dev/null
SELECT 'transaction' AS stored, transaction_id || ' ' || revenue || ' cents, ' || items_count || ' item(s)' AS what FROM experiments.transactions
UNION ALL SELECT 'visit', origin || ' at ' || latitude || ',' || longitude FROM experiments.visits;
SELECT source, subject, reason FROM experiments.rejected_events WHERE source <> 'publish' ORDER BY id;
COMMIT;

\echo '== 10. Manage an A/B test (the operator) the way Commerce Cloud''s Data API does (PUT /sites/SiteGenesis/ab_tests/my-abtest)'
\c -reuse-previous=on "host=127.0.0.1 user=acme_ops password='ops secret'"
BEGIN;
SELECT experiments.authenticate(:'admin_key') \g /dev/null
INSERT INTO experiments.sites (key, name) VALUES ('SiteGenesis', 'Site Genesis');
SELECT jsonb_pretty(experiments.create_ab_test(site_id => 'SiteGenesis', id => 'my-abtest', body => '{
	"description": "abtest description", "customer_groups": ["abtest_customer_group"],
	"email_addresses": ["abtest@example.com"], "enabled": true, "paused": true,
	"start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z",
	"expiration_type": "session", "key_metric_id": "abtest_key_metric_id", "tags": ["abtest_tag"],
	"trigger": {"is_pipeline_based": false, "trigger_type": "immediately"}}') - '_resource_state');
SELECT experiments.create_ab_test_segment('SiteGenesis', 'my-abtest', segment, '{"allocation": 50}') ->> 'id' AS segment
FROM unnest(ARRAY['Control', 'Test Segment A']) AS segment;
-- enabled but paused and never started: the experiment behind it is a draft
SELECT key, state, (SELECT array_agg(key || ' ' || allocation_bp / 100 || '%') FROM experiments.variants v
					WHERE v.experiment_id = e.id) AS segments
FROM experiments.experiments e WHERE key = 'my-abtest';
COMMIT;
\echo 'PUT it again: the fault PostgREST answers with HTTP 409 (SQLSTATE PT409, the fault document as detail)'
\set ON_ERROR_STOP 0
\set VERBOSITY verbose
\set SHOW_CONTEXT never
BEGIN;
SELECT experiments.authenticate(:'admin_key') \g /dev/null
SELECT experiments.create_ab_test('SiteGenesis', 'my-abtest',
	'{"start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z"}');
ROLLBACK;
\set VERBOSITY default
\set SHOW_CONTEXT errors
\set ON_ERROR_STOP 1

\echo '== 11. Results: a generated experiment, 50,000 units per arm, 10% vs 11% converting'
BEGIN;
SELECT experiments.authenticate(:'admin_key') \g /dev/null
SELECT id AS demo_exp FROM experiments.create_experiment('signup_copy',
	'[{"key": "control", "allocation": 50}, {"key": "short_copy", "allocation": 50}]', start => true) \gset
COMMIT;
\echo '(the sample events are written by the superuser: no role writes event tables directly)'
\c - :superuser
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :demo_exp, g % 2, 'user_id', 'demo-' || g,
	   now() - interval '7 days' + experiments.bucket('demo-' || g, 1) * interval '1 minute',
	   true, true, false, false, false, false
FROM generate_series(1, 100000) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', e.unit, 'signup', e.exposed_at + interval '10 minutes', '{"value": 1}'
FROM experiments.exposures e
WHERE e.experiment_id = :demo_exp
  AND experiments.bucket(e.unit, 2) < CASE e.ordinal WHEN 0 THEN 1000 ELSE 1100 END;
COMMIT;
\echo 'Maintenance (an operator login or pg_cron, daily) rolls the exposures up to one row per unit and month, up to midnight; results read those rows instead of every exposure'
CALL experiments.maintain_partitions();
SELECT from_time, to_time, units FROM experiments.exposure_rollup_periods WHERE units > 0 ORDER BY from_time;
\echo 'The report, as the analyst (acme_bi) reads it: the sequential method, valid however often it is read while the experiment runs'
\c -reuse-previous=on "host=127.0.0.1 user=acme_bi password='bi secret'"
BEGIN;
SELECT experiments.authenticate(:'analyst_key') \g /dev/null
SELECT experiments.results_report('signup_copy');
\echo 'Results per metric (here the goal signup), by the same method'
SELECT metric, variant, units, round(estimate::numeric, 4) AS rate, round(relative_difference::numeric, 4) AS relative_lift,
	   round(relative_lower::numeric, 4) AS lower, round(relative_upper::numeric, 4) AS upper,
	   round(adjusted_p_value::numeric, 6) AS adjusted_p_value, verdict, method
FROM experiments.metric_results(:demo_exp) WHERE ordinal <> 0;
COMMIT;
\echo 'The operator (acme_ops) chooses the fixed-horizon method: one look, decided in advance'
\c -reuse-previous=on "host=127.0.0.1 user=acme_ops password='ops secret'"
BEGIN;
SELECT experiments.authenticate(:'admin_key') \g /dev/null
SELECT method, confidence, correction, tuning_n FROM experiments.set_analysis('signup_copy', method => 'fixed');
COMMIT;
\c -reuse-previous=on "host=127.0.0.1 user=acme_bi password='bi secret'"
BEGIN;
SELECT experiments.authenticate(:'analyst_key') \g /dev/null
SELECT experiments.results_report('signup_copy');
COMMIT;
\c - :superuser
DROP ROLE acme_ops, shop_backend, acme_bi;
