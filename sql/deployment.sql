-- The product used as the README deploys it: a superuser installs, creates
-- the tenants and their keys, and the login roles; from then on every
-- statement runs as an ordinary login role (NOSUPERUSER, NOBYPASSRLS) over
-- TCP with a password, chooses its tenant with a key, and commits: the
-- checks that run at COMMIT run as that role.
SELECT experiments.create_tenant('deploy_acme') AS acme \gset
SELECT experiments.create_tenant('deploy_globex') AS globex \gset
SELECT experiments.create_api_key(:'acme', 'shop', 'client') AS acme_client \gset
SELECT experiments.create_api_key(:'acme', 'ops', 'admin') AS acme_admin \gset
SELECT experiments.create_api_key(:'acme', 'bi', 'analyst') AS acme_analyst \gset
SELECT experiments.create_api_key(:'globex', 'ops', 'admin') AS globex_admin \gset
SELECT current_user AS superuser \gset
SET client_min_messages = warning;
DROP ROLE IF EXISTS deploy_backend, deploy_operator, deploy_analyst;
RESET client_min_messages;
CREATE ROLE deploy_backend LOGIN PASSWORD 'backend secret' IN ROLE experiments_client;
CREATE ROLE deploy_operator LOGIN PASSWORD 'operator secret' IN ROLE experiments_admin;
CREATE ROLE deploy_analyst LOGIN PASSWORD 'analyst secret' IN ROLE experiments_analyst;
SELECT rolname, rolsuper, rolbypassrls, rolinherit FROM pg_roles WHERE rolname LIKE 'deploy\_%' ORDER BY 1;

-- 1. The operator of globex makes an experiment with the key acme will use.
\c -reuse-previous=on "host=127.0.0.1 user=deploy_operator password='operator secret'"
SELECT current_user, session_user;
BEGIN;
SELECT experiments.authenticate(:'globex_admin') AS role;
SELECT key, state FROM experiments.create_experiment('checkout_button',
	'[{"key": "control", "allocation": 100}]', start => true);
COMMIT;

-- 2. Acme's operator: experiments made, started and reweighted by the
-- SQL API commit (the allocation check runs at COMMIT, as the operator).
BEGIN;
SELECT experiments.authenticate(:'acme_admin') AS role;
SELECT key, state, traffic_bp FROM experiments.create_experiment('checkout_button',
	'[{"key": "control", "allocation": 50}, {"key": "green", "allocation": 50}]',
	traffic_percent => 100, start => true);
COMMIT;
BEGIN;
SELECT experiments.authenticate(:'acme_admin') IS NOT NULL AS authenticated;
SELECT key, allocation_bp FROM experiments.set_variants('checkout_button',
	'[{"key": "control", "allocation": 30}, {"key": "green", "allocation": 70}]') ORDER BY ordinal;
COMMIT;
-- Only its own tenant: one checkout_button, acme's.
BEGIN;
SELECT experiments.authenticate(:'acme_admin') IS NOT NULL AS authenticated;
SELECT e.key, string_agg(v.key || '=' || v.allocation_bp, ', ' ORDER BY v.ordinal) AS variants
FROM experiments.experiments e JOIN experiments.variants v ON v.experiment_id = e.id GROUP BY e.key;
SELECT count(*) AS tenants_seen FROM experiments.tenants;
COMMIT;
-- Operators may write the catalog tables directly, and the rules still
-- hold: the allocation check runs at COMMIT, as the operator, and refuses.
BEGIN;
SELECT experiments.authenticate(:'acme_admin') IS NOT NULL AS authenticated;
UPDATE experiments.variants SET allocation_bp = 1 WHERE key = 'green';
COMMIT;
-- Enrolments and the keys are not theirs to write or read.
BEGIN;
SELECT experiments.authenticate(:'acme_admin') IS NOT NULL AS authenticated;
SAVEPOINT s;
DELETE FROM experiments.enrolments;
ROLLBACK TO s;
SELECT * FROM experiments.api_keys;
ROLLBACK;
-- A draft made, reweighted and started in one transaction: the allocation
-- check runs at COMMIT, as the operator.
BEGIN;
SELECT experiments.authenticate(:'acme_admin') IS NOT NULL AS authenticated;
SELECT key, state FROM experiments.create_experiment('half', '[{"key": "a", "allocation": 100}]');
SELECT count(*) FROM experiments.set_variants('half', '[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]');
SELECT key, state FROM experiments.set_state('half', 'running');
COMMIT;

-- 3. The application: assignment, enrolment and events with a client key.
\c -reuse-previous=on "host=127.0.0.1 user=deploy_backend password='backend secret'"
BEGIN;
SELECT experiments.authenticate(:'acme_client') AS role;
SELECT variant IS NOT NULL AS has_variant, reason FROM experiments.assign('checkout_button', 'user-1');
SELECT variant IS NOT NULL AS has_variant, reason FROM experiments.enrol('checkout_button', 'user-1');
SELECT experiments.publish(format($$
{"requests": [{"units": [{"type": "user_id", "uid": "user-1"}], "hashed": true,
  "publishedAt": %1$s,
  "exposures": [{"id": %2$s, "name": "checkout_button", "unit": "user_id", "variant": %3$s, "exposedAt": %1$s,
                 "assigned": true, "eligible": true}],
  "goals": [{"name": "checkout", "achievedAt": %1$s, "properties": {"value": 12}}]}]}$$,
	(extract(epoch FROM now()) * 1000)::bigint,
	(SELECT experiment_id FROM experiments.assign('checkout_button', 'user-1')),
	(SELECT ordinal FROM experiments.assign('checkout_button', 'user-1')))::jsonb) AS answer;
SELECT experiments.visit_event(tracking_data => '{"visitor_id": "user-1", "device_type": "TV", "origin": "home"}') AS visit;
COMMIT;
BEGIN;
SELECT experiments.authenticate(:'acme_client') IS NOT NULL AS authenticated;
SELECT variant IS NOT NULL AS has_variant, reason FROM experiments.assign('checkout_button', 'user-1');
COMMIT;
-- It may not manage, nor read the tables, nor use a key of a role it lacks.
BEGIN;
SELECT experiments.authenticate(:'acme_client') IS NOT NULL AS authenticated;
SAVEPOINT s;
SELECT experiments.set_state('checkout_button', 'stopped');
ROLLBACK TO s;
SELECT count(*) FROM experiments.enrolments;
ROLLBACK;
\set VERBOSITY default
SELECT experiments.authenticate(:'acme_admin');
-- Claims it sets itself choose no tenant: only PostgREST's sessions are trusted with them.
BEGIN;
SELECT set_config('request.jwt.claims', json_build_object('role', 'experiments_client', 'tenant', :'globex')::text, true) IS NOT NULL AS claims_set;
SELECT experiments.authenticate();
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', json_build_object('role', 'experiments_client', 'tenant', :'globex')::text, true) IS NOT NULL AS claims_set;
SELECT experiments.assign('checkout_button', 'user-1');
ROLLBACK;
-- Nor may it set the tenant itself.
SET experiments.tenant = '00000000-0000-0000-0000-000000000000';
SELECT experiments.set_tenant(:'globex');
\set VERBOSITY terse

-- 4. The analyst reads results of its tenant.
\c -reuse-previous=on "host=127.0.0.1 user=deploy_analyst password='analyst secret'"
BEGIN;
SELECT experiments.authenticate(:'acme_analyst') AS role;
-- (user-1 is in whichever variant the random seeds gave it)
SELECT count(*) AS variants, sum(units) AS units, sum(converting_units) AS converting_units FROM experiments.experiment_results(
	(SELECT id FROM experiments.experiments WHERE key = 'checkout_button')) WHERE metric = 'checkout';
SELECT experiment, count(*) AS variants, sum(units) AS units FROM experiments.exposure_summary GROUP BY experiment ORDER BY experiment;
COMMIT;
BEGIN;
SELECT experiments.authenticate(:'acme_analyst') IS NOT NULL AS authenticated;
SELECT experiments.enrol('checkout_button', 'user-2');
ROLLBACK;

-- What each left behind, seen by the superuser.
\c - :superuser
SELECT t.name, e.key, e.state, e.version,
	   (SELECT string_agg(v.key || '=' || v.allocation_bp, ', ' ORDER BY v.ordinal) FROM experiments.variants v WHERE v.experiment_id = e.id) AS variants,
	   (SELECT count(*) FROM experiments.enrolments n WHERE n.experiment_id = e.id) AS enrolments,
	   (SELECT count(*) FROM experiments.exposures x WHERE x.experiment_id = e.id) AS exposures
FROM experiments.experiments e JOIN experiments.tenants t ON t.id = e.tenant_id
WHERE t.name LIKE 'deploy\_%' ORDER BY t.name, e.key;
SELECT count(*) AS visits FROM experiments.visits WHERE tenant_id = :'acme';
