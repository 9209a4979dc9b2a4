-- Security of the HTTP API: every function's grantees against the allow-list,
-- SECURITY DEFINER functions pin search_path, the anonymous role can only
-- authenticate and reach the endpoints (which refuse it), views are security_invoker, and a key of one tenant can
-- neither read nor change anything of another, through any function or view.
\i sql/helpers/http.sql

-- 1. The allow-list. experiments_api_owner (owner of the API functions) may
-- execute every SECURITY INVOKER, non-trigger helper of experiments except
-- maintenance, and authentication (authenticate, authorize); the API roles
-- exactly what is listed: the HTTP functions of experiments_api (every one to
-- the anonymous role, which authorize() refuses), and the SQL API of the core
-- and of the management APIs for the login roles made members of them; experiments_operator the
-- partitions' maintenance (src/events/partitions.sql).
CREATE TEMP TABLE allowed (role text, function_pattern text);
INSERT INTO allowed VALUES
	('experiments_anon', '^experiments\.authenticate(_request)?\('),
	('experiments_anon', '^experiments_api\.'),
	('experiments_client', '^experiments\.authenticate(_request)?\('),
	('experiments_admin', '^experiments\.authenticate(_request)?\('),
	('experiments_analyst', '^experiments\.authenticate(_request)?\('),
	('experiments_client', '^experiments_api\.(visitor|allocate|experiment_status|context_batch|(campaign_activated|action_tracking|custom|transaction|visit)_event)\('),
	('experiments_analyst', '^experiments_api\.(results_page|results_chart|metric_results|metric_breakdown)\('),
	('experiments_admin', '^experiments(_api)?\.((list|get|create|update|delete)_(ab_tests?|ab_test_segment|org_experiments?)|(bind|unbind)_ab_test_\w+)\('),
	('experiments_analyst', '^experiments(_internal)?\.(current_tenant|required_tenant|experiment_results|comparison_verdict|daily_results|daily_metrics|wilson_interval|two_proportion_test|welch_test|srm_test|multiple_testing|bayesian_rates|bayesian_means|results_report|results_verdict|format_p_value|format_percent|shown_input|normal_cdf|normal_quantile|chi_square_(cdf|sf)|student_t_(cdf|sf|quantile)|sequential_interval|sequential_srm_test|sequential_test|results_method|(mean|rate)_(power|sample_size|mde)|planning_(probability|critical|distance|variance|units|power|sample_size|rate_variance)|experiment_plan|metric_statistics|metric_results|metric_comparisons|metric_breakdown|guardrail_status|metric_report|analysis|comparison|metric_comparison)\('),
	('experiments_client', '^experiments\.(current_tenant|bucket|hash_unit|assign|assign_all|absmartly_context|enrol|publish|(campaign_activated|action_tracking|custom|transaction|visit)_event)\('),
	('experiments_admin', '^experiments(_internal)?\.(current_tenant|required_tenant|random_seed|audience_is_valid|audience_matches|hashing_options_valid|growthbook_\w+|bucket|assign|assign_all|absmartly_context|export_experiment|import_experiment|import_layer|create_experiment|set_variants|set_state|set_override|set_analysis)\('),
	('experiments_api_owner', '^experiments(_internal)?\.(authenticate|authorize)\('),
	('experiments_operator', '^experiments(_internal)?\.(create_event_partitions|maintain_partitions|set_partition_policy|schedule_maintenance|partition_plan|create_event_partition|retire_event_partition|month_attached|drop_detached_exposure_rollups|exposure_rollup_plan|exposure_rollups_due|prepare_exposure_rollup|roll_up_exposures)\(');
CREATE TEMP VIEW grants AS
SELECT p.oid::regprocedure::text AS function, a.grantee::regrole::text AS grantee, p.prosecdef,
	   p.prorettype = 'trigger'::regtype AS is_trigger, p.pronamespace::regnamespace::text AS schema, p.proname
FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
WHERE p.pronamespace IN ('experiments'::regnamespace, 'experiments_internal'::regnamespace, 'experiments_api'::regnamespace)
  AND a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner;
-- Nothing is executable by PUBLIC, and no grant is off the list.
SELECT function, grantee FROM grants g
WHERE NOT EXISTS (SELECT 1 FROM allowed a WHERE a.role = g.grantee AND g.function ~ a.function_pattern)
  AND NOT (g.grantee = 'experiments_api_owner' AND g.schema IN ('experiments', 'experiments_internal') AND NOT g.prosecdef AND NOT g.is_trigger
		   AND g.proname NOT IN ('create_event_partitions', 'create_event_partition'))
ORDER BY 1, 2;
-- Every function of the API roles, with its grantees.
SELECT function, string_agg(grantee, ', ' ORDER BY grantee) AS grantees
FROM grants WHERE grantee <> 'experiments_api_owner' GROUP BY function ORDER BY function;
-- What the owner of the API functions may not execute.
SELECT p.oid::regprocedure AS not_for_the_api_owner
FROM pg_proc p
WHERE p.pronamespace IN ('experiments'::regnamespace, 'experiments_internal'::regnamespace) AND p.prorettype <> 'trigger'::regtype
  AND NOT has_function_privilege('experiments_api_owner', p.oid, 'EXECUTE')
ORDER BY p.oid::regprocedure::text;
-- Every function of experiments_api belongs to experiments_api_owner, which
-- is neither a superuser nor exempt from row-level security. All are SECURITY
-- DEFINER but allocate, in C, which switches to its owner itself (its answers
-- to client keys below show that it reads what the client may not).
SELECT count(*) AS api_functions, bool_and(p.proowner = 'experiments_api_owner'::regrole) AS owned,
       string_agg(p.proname, ', ') FILTER (WHERE NOT p.prosecdef) AS not_security_definer
FROM pg_proc p WHERE p.pronamespace = 'experiments_api'::regnamespace;
SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'experiments_api_owner';

-- 2. Every SECURITY DEFINER function pins search_path.
SELECT p.oid::regprocedure AS definer_without_pinned_search_path
FROM pg_proc p
WHERE p.prosecdef AND p.pronamespace IN ('experiments'::regnamespace, 'experiments_internal'::regnamespace, 'experiments_api'::regnamespace)
  AND NOT coalesce('search_path=experiments, pg_catalog, pg_temp' = ANY (p.proconfig), false);
SELECT count(*) >= 30 AS definer_functions_checked FROM pg_proc p
WHERE p.prosecdef AND p.pronamespace IN ('experiments'::regnamespace, 'experiments_internal'::regnamespace, 'experiments_api'::regnamespace);

-- Every trigger function that reads or writes a table runs as its owner: a
-- trigger runs as the role current when it fires, which through PostgREST is
-- the request's role (no privilege on the tables), deferred ones at COMMIT.
SELECT p.oid::regprocedure AS trigger_using_tables_as_the_caller
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace IN ('experiments'::regnamespace, 'experiments_internal'::regnamespace) AND p.prorettype = 'trigger'::regtype
  AND l.lanname IN ('plpgsql', 'sql') AND p.prosrc ~* '(from|update|into|join)\s+experiments\.' AND NOT p.prosecdef;
SELECT count(*) AS table_triggers_checked FROM pg_proc p
WHERE p.pronamespace IN ('experiments'::regnamespace, 'experiments_internal'::regnamespace) AND p.prorettype = 'trigger'::regtype AND p.prosrc ~* '(from|update|into|join)\s+experiments\.';

-- 3. The anonymous role can execute nothing but authentication, and the
-- exposed schema holds only functions and views, the views security_invoker.
SELECT p.oid::regprocedure AS anonymous_may_execute
FROM pg_proc p
WHERE p.pronamespace IN ('experiments'::regnamespace, 'experiments_internal'::regnamespace, 'experiments_api'::regnamespace)
  AND has_function_privilege('experiments_anon', p.oid, 'EXECUTE')
ORDER BY p.oid::regprocedure::text;
SELECT c.relname, c.relkind, c.reloptions FROM pg_class c
WHERE c.relnamespace = 'experiments_api'::regnamespace ORDER BY c.relname;
SELECT count(*) AS comments_missing FROM pg_proc p
WHERE p.pronamespace = 'experiments_api'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL;
-- Every tenant table forces row-level security.
SELECT c.oid::regclass AS tenant_table_without_forced_rls FROM pg_class c
WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('tenant_id'))
  AND NOT (c.relrowsecurity AND c.relforcerowsecurity);

-- 4. Tenant isolation. Two tenants with the same experiment key, a
-- campaign, an enrolment, an event, a refused event, a site with an A/B test.
SELECT experiments.create_tenant('api_iso_a') AS a \gset
SELECT experiments.create_tenant('api_iso_b') AS b \gset
SELECT experiments.create_api_key(:'a', 'web') AS a_key \gset
SELECT experiments.create_api_key(:'a', 'backoffice', 'admin') AS a_admin \gset
SELECT experiments.create_api_key(:'a', 'reports', 'analyst') AS a_analyst \gset
SELECT experiments.create_api_key(:'b', 'web') AS b_key \gset
BEGIN;
SELECT experiments.set_tenant(:'b') \g /dev/null
SELECT id AS b_campaign FROM experiments.create_experiment('shared', '[{"key": "b_only", "allocation": 100}]', start => true) \gset
SELECT variant FROM experiments.enrol('shared', 'visitor-b');
INSERT INTO experiments.sites (key) VALUES ('SiteB');
INSERT INTO experiments.experiments (key, site_id) SELECT 'b_test', id FROM experiments.sites WHERE key = 'SiteB';
SELECT uuid AS b_uuid FROM experiments.experiments WHERE key = 'shared' \gset
COMMIT;
SELECT status FROM pg_temp.rpc('context_batch', :'b_key', format('{"requests": [{"units": [{"type": "user_id", "uid": "visitor-b"}], "exposures": [{"id": %s, "name": "shared", "unit": "user_id", "variant": 0, "exposedAt": %s}], "goals": [{"name": "g"}]}]}',
	:b_campaign, (extract(epoch FROM now()) * 1000)::bigint)::jsonb);
BEGIN;
SELECT experiments.set_tenant(:'a') \g /dev/null
SELECT id AS a_campaign FROM experiments.create_experiment('shared', '[{"key": "a_only", "allocation": 100}]', start => true) \gset
COMMIT;
SELECT tenant_id = :'b' AS b_owns, count(*) FROM experiments.rejected_events WHERE tenant_id IN (:'a', :'b') GROUP BY 1;

-- Tenant A's client sees only A's campaigns, cannot name B's, and its batch
-- naming B's campaign is refused (stored under A, as refused).
SELECT h.status, (SELECT count(*) FROM jsonb_each(h.body -> 'allocations')) AS campaigns, h.body -> 'allocations' ? :'a_campaign' AS a_s
FROM pg_temp.rpc('allocate', :'a_key', '{"visitor_id": "visitor-b"}') h;
SELECT h.status, replace(h.body ->> 'message', :'b_campaign', '<B''s campaign>') AS message
FROM pg_temp.rpc('allocate', :'a_key', jsonb_build_object('visitor_id', 'visitor-b', 'campaign_id', :'b_campaign')) h;
SELECT h.status, h.body -> 'experiment_list' AS list FROM pg_temp.rpc('experiment_status', NULL,
	jsonb_build_object('api_key', :'a_key', 'app_ver', '1', 'device_tag', 'visitor-b', 'device_type', 'x', 'os', 'x', 'os_ver', '1')) h;
SELECT h.status, h.body -> 'errors' -> 0 ->> 'message' AS refused FROM pg_temp.rpc('context_batch', :'a_key',
	format('{"requests": [{"units": [{"type": "user_id", "uid": "visitor-b"}], "exposures": [{"id": %s, "name": "b_test", "unit": "user_id", "variant": 0, "exposedAt": %s}]}]}',
	:b_campaign, (extract(epoch FROM now()) * 1000)::bigint)::jsonb) h;
-- B's enrolment is untouched: experiment_status for A enrolled visitor-b in A's experiment only.
SELECT e.tenant_id = :'a' AS of_a, x.key, v.key AS variant FROM experiments.enrolments e
JOIN experiments.experiments x ON x.id = e.experiment_id JOIN experiments.variants v ON v.experiment_id = x.id AND v.ordinal = e.ordinal
WHERE e.unit = 'visitor-b' AND e.tenant_id IN (:'a', :'b') ORDER BY 1;
-- Tenant A's admin: B's site, test and organization are out of reach.
SELECT h.status, replace(coalesce(h.body -> 'fault' ->> 'message', h.body ->> 'message'), :'b', '<B>') AS message
FROM (VALUES ('list_ab_tests', '{"site_id": "SiteB"}'::jsonb),
			 ('get_ab_test', '{"site_id": "SiteB", "id": "b_test"}'),
			 ('delete_ab_test', '{"site_id": "SiteB", "id": "b_test"}'),
			 ('get_org_experiment', jsonb_build_object('organization_id', :'b', 'experiment_id', :'b_uuid')),
			 ('delete_org_experiment', jsonb_build_object('organization_id', :'b', 'experiment_id', :'b_uuid')),
			 ('update_org_experiment', jsonb_build_object('organization_id', :'b', 'experiment_id', :'b_uuid', 'body', '{"name": "taken"}'::jsonb))) AS c(fn, args),
	 pg_temp.rpc(c.fn, :'a_admin', c.args) h;
SELECT count(*) AS b_experiments_intact FROM experiments.experiments WHERE tenant_id = :'b' AND key IN ('shared', 'b_test') AND name IS NULL;
-- Tenant A's analyst: every view shows A's rows only.
SELECT v.relname, h.status, jsonb_array_length(h.body) AS rows_seen
FROM pg_class v, pg_temp.http('GET', '/' || v.relname, jsonb_build_object('x-api-key', :'a_analyst')) h
WHERE v.relnamespace = 'experiments_api'::regnamespace AND v.relkind = 'v' ORDER BY 1;
SELECT status, body AS analyst_sees_variants FROM pg_temp.http('GET', '/variants?select=key', jsonb_build_object('x-api-key', :'a_analyst'));
-- Roles do what their key allows, nothing more: a client cannot manage, an
-- admin cannot serve, an analyst can do neither, and none reads a table.
SELECT r.who, h.status, coalesce(h.body ->> 'code', h.body -> 'fault' ->> 'type', h.body ->> 'message') AS refusal
FROM (VALUES ('client manages', :'a_key', 'POST', '/rpc/list_org_experiments', jsonb_build_object('organization_id', :'a')),
			 ('admin serves', :'a_admin', 'POST', '/rpc/allocate', '{"visitor_id": "v"}'),
			 ('analyst serves', :'a_analyst', 'POST', '/rpc/visitor', '{}'),
			 ('client reads a view', :'a_key', 'GET', '/experiments', NULL),
			 ('admin reads a view', :'a_admin', 'GET', '/lift', NULL),
			 ('client reads a table', :'a_key', 'GET', '/enrolments', NULL),
			 ('admin reads api_keys', :'a_admin', 'GET', '/api_keys', NULL),
			 ('client calls set_tenant', :'a_key', 'POST', '/rpc/set_tenant', jsonb_build_object('tenant', :'b')),
			 ('client calls set_state', :'a_key', 'POST', '/rpc/set_state', '{"experiment": "x", "state": "stopped"}')) AS r(who, key, method, path, args),
	 pg_temp.http(r.method, r.path, jsonb_build_object('x-api-key', r.key), r.args::text) h;
-- Every endpoint starts with authorize(): anonymous requests reach it (to be
-- refused in their API's document), so it must refuse them before any work.
-- experiment_status authenticates with the api_key of its body instead, and
-- allocate, in C, makes authorize()'s test and answers a refusal through
-- experiments_internal.abtasty_authorize() (src/adapters/abtasty/allocate.c).
SELECT p.oid::regprocedure AS endpoint_not_starting_with_authorize
FROM pg_proc p
WHERE p.pronamespace = 'experiments_api'::regnamespace
  AND p.proname NOT IN ('experiment_status', 'allocate')
  AND NOT (p.prosrc ~ '^\s*(BEGIN\s+PERFORM|SELECT)\s+experiments_internal\.authorize\(\);'
		   OR p.prosrc ~ '^\s*DECLARE\s.*?\sBEGIN\s+PERFORM\s+experiments_internal\.authorize\(\);')
ORDER BY 1;
-- The anonymous role by itself can call nothing but authentication, and the
-- endpoints, which refuse it.
SET ROLE experiments_anon;
SELECT experiments_api.visitor() AS anonymous_visitor;
SELECT experiments_api.allocate('{"visitor_id": "v1"}') AS anonymous_allocate;
SELECT regress.attempt($$SELECT experiments.assign_all('u')$$);
RESET ROLE;
