-- The demo tour, continued (test/demo.sh): the product as it is deployed.
-- HTTP requests go through the PostgREST stand-in, which runs each one as
-- PostgREST does and commits it with the request's role; then ordinary
-- logins use the SQL API with keys.
\pset footer off
SELECT id AS tenant FROM experiments.tenants WHERE name = 'acme' \gset
SELECT experiments.create_api_key(:'tenant', 'web') AS web_key \gset
SELECT experiments.create_api_key(:'tenant', 'backoffice', 'admin') AS admin_key \gset
SELECT experiments.create_api_key(:'tenant', 'reports', 'analyst') AS analyst_key \gset
SELECT current_user AS superuser \gset
CREATE ROLE demo_ops LOGIN PASSWORD 'demo ops' IN ROLE experiments_admin;
CREATE ROLE demo_app LOGIN PASSWORD 'demo app' IN ROLE experiments_client;
-- The operator puts signup_copy behind a gate (stop 12 shows it).
\c -reuse-previous=on "host=127.0.0.1 user=demo_ops password='demo ops'"
BEGIN;
SELECT experiments.authenticate(:'admin_key') \g /dev/null
UPDATE experiments.experiments SET gate = 'level_5' WHERE key = 'signup_copy';
COMMIT;
\c - :superuser
\i sql/helpers/http.sql

\echo '== 12. Over HTTP, as PostgREST serves it: one transaction per request, committed as the request''s role'
\echo 'POST /rpc/visitor, POST /rpc/allocate (AB Tasty), with x-api-key'
SELECT status, body AS "POST /rpc/visitor" FROM pg_temp.rpc('visitor', :'web_key');
SELECT status, body AS "POST /rpc/allocate" FROM pg_temp.rpc('allocate', :'web_key', '{"visitor_id": "bfr9ad2t0hm0009vj6l0"}');
SELECT status, body ->> 'message' AS "a bad key" FROM pg_temp.rpc('allocate', 'xk_stolen', '{"visitor_id": "bfr9ad2t0hm0009vj6l0"}');
\echo 'POST /rpc/experiment_status (Data Cortex): the key in the body; signup_copy is behind gate level_5'
SELECT status, body AS "before the gate" FROM pg_temp.rpc('experiment_status', NULL, jsonb_build_object('api_key', :'web_key',
	'app_ver', '1.2.0', 'device_tag', 'device-1', 'device_type', 'iphone5s', 'os', 'ios', 'os_ver', '8.1'));
SELECT status, body AS "gate crossed" FROM pg_temp.rpc('experiment_status', NULL, jsonb_build_object('api_key', :'web_key',
	'app_ver', '1.2.0', 'device_tag', 'device-1', 'device_type', 'iphone5s', 'os', 'ios', 'os_ver', '8.1', 'new_gate_list', '["level_5"]'::jsonb));
\echo 'A management write (admin key): the allocation check runs at COMMIT, as the request''s role'
SELECT status, body ->> 'name' AS "POST /rpc/create_org_experiment", body -> 'is_draft' AS is_draft
FROM pg_temp.rpc('create_org_experiment', :'admin_key', jsonb_build_object('organization_id', :'tenant', 'body', '{"is_draft": true, "name": "Checkout copy"}'::jsonb));
\echo 'GET /lift (analyst key); a client key may not read it'
SELECT status, body AS "GET /lift (analyst key)"
FROM pg_temp.http('GET', '/lift?experiment=eq.signup_copy&select=variant,metric,rate_relative_lift', jsonb_build_object('x-api-key', :'analyst_key'));
SELECT status, body ->> 'message' AS "a client key reading /lift" FROM pg_temp.http('GET', '/lift', jsonb_build_object('x-api-key', :'web_key'));

\echo '== 13. In SQL, as ordinary logins (not superusers): each transaction chooses its tenant with a key'
\c -reuse-previous=on "host=127.0.0.1 user=demo_ops password='demo ops'"
BEGIN;
SELECT experiments.authenticate(:'admin_key') AS "operator's role";
SELECT key, state FROM experiments.create_experiment('deployed_banner',
	'[{"key": "control", "allocation": 50}, {"key": "wide", "allocation": 50}]', start => true);
COMMIT;
\c -reuse-previous=on "host=127.0.0.1 user=demo_app password='demo app'"
BEGIN;
SELECT experiments.authenticate(:'web_key') AS "application's role";
SELECT variant IS NOT NULL AS has_variant, reason FROM experiments.enrol('deployed_banner', 'visitor-9');
COMMIT;
\echo 'Outside that transaction, the application has no tenant:'
SELECT experiments.current_tenant() IS NULL AS "no tenant";
\c - :superuser
DROP ROLE demo_ops, demo_app;
\echo
\echo 'Tour complete.'
