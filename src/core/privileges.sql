-- experiments: privileges. Last in the install script: it revokes EXECUTE
-- from PUBLIC on every function the files before it created, then grants what
-- no endpoint owns: the owner of the API functions its tables and helpers,
-- schema usage, and the SQL API of the core to the login roles' groups. Which
-- role may call an endpoint of experiments_api is said by the GRANT beside
-- that endpoint (src/adapters/*/api.sql, src/http/api.sql), not here.
--
-- PostgreSQL grants EXECUTE to PUBLIC on every new function: the REVOKE must
-- come after the last CREATE FUNCTION, hence this file's place.

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA experiments, experiments_internal, experiments_api FROM PUBLIC;

-- The owner of the API functions: the tables (api_keys excepted, which only
-- authenticate() reads) and every helper a wrapper reaches. Not granted:
-- triggers (they need no EXECUTE), SECURITY DEFINER administration
-- (tenants, keys), the partitions' maintenance (src/events/partitions.sql,
-- granted to experiments_operator below) and the operators'
-- config_cache_stats(), which counts every tenant's entries and is granted
-- to no role. sql/api_security.sql lists what it may not
-- execute, so a new function missing here shows there. One statement per
-- file that creates the functions.
-- src/core/tenant.sql
GRANT EXECUTE ON FUNCTION
	experiments.current_tenant(),
	experiments_internal.required_tenant(),
	experiments_internal.shown_input(text)
	TO experiments_api_owner;
-- src/core/catalog.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.random_seed()
	TO experiments_api_owner;
-- src/assign/assign.sql
GRANT EXECUTE ON FUNCTION
	experiments.bucket(text, bigint),
	experiments.audience_is_valid(jsonb),
	experiments.audience_matches(jsonb, jsonb),
	experiments.hashing_options_valid(text, jsonb),
	experiments.growthbook_hash(text, text, integer),
	experiments.growthbook_bucket_ranges(integer, double precision, double precision[]),
	experiments.growthbook_choose_variation(double precision, jsonb),
	experiments.growthbook_in_namespace(text, jsonb),
	experiments.growthbook_equal_weights(integer),
	experiments.growthbook_condition_matches(jsonb, jsonb, jsonb),
	experiments.assign(text, text, jsonb),
	experiments.assign_all(text, jsonb),
	experiments.absmartly_context(),
	experiments_internal.record_enrolment(bigint, text, bigint, integer, experiments.assignment_reason),
	experiments_internal.record_enrolment_attributes(bigint, text, jsonb),
	experiments_internal.check_enrolment_layer(bigint, text),
	experiments_internal.experiment_id(text),
	experiments_internal.locked_experiment_id(text),
	experiments_internal.allocations_bp(numeric[]),
	experiments_internal.percent_bp(numeric)
	TO experiments_api_owner;
-- src/assign/portable.sql
GRANT EXECUTE ON FUNCTION
	experiments.export_experiment(text),
	experiments.import_experiment(jsonb),
	experiments_internal.import_layer(jsonb),
	experiments.growthbook_features()
	TO experiments_api_owner;
-- src/events/events.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.create_event_partition_indexes(text, text),
	experiments.hash_unit(text),
	experiments.publish(jsonb, text),
	experiments_internal.publish_answer(json),
	experiments.publish_text(text, text),
	experiments.campaign_activated_event(jsonb, jsonb, jsonb),
	experiments.action_tracking_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments.custom_event(jsonb, jsonb, jsonb, jsonb),
	experiments.transaction_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments.visit_event(jsonb)
	TO experiments_api_owner;
-- src/http/faults.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.raise_http_error(integer, text, jsonb),
	experiments_internal.raise_api_error(integer, text),
	experiments_internal.api_error_answer(text, text)
	TO experiments_api_owner;
-- src/http/documents.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.parse_timestamp(text),
	experiments_internal.json_timestamp(timestamp with time zone),
	experiments_internal.malformed_property(jsonb, jsonb),
	experiments_internal.json_text_array(jsonb),
	experiments_internal.percent_json(integer)
	TO experiments_api_owner;
-- src/adapters/commerce/commerce.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.commerce_fault_document(text, text, jsonb),
	experiments_internal.commerce_fault(integer, text, text, jsonb),
	experiments_internal.commerce_site(text),
	experiments_internal.commerce_ab_test(text, text),
	experiments_internal.ab_test_resource_state(experiments.experiments),
	experiments_internal.lock_ab_test(text, text, text),
	experiments_internal.ab_test_segment(experiments.experiments, text, text),
	experiments_internal.site_object(text, text, text),
	experiments_internal.site_slot_configuration(text, text, text, text),
	experiments_internal.commerce_link(text),
	experiments_internal.ab_test_segment_fields(experiments.variants),
	experiments_internal.ab_test_segment_document(text, experiments.experiments, experiments.variants),
	experiments_internal.ab_test_document(text, experiments.experiments),
	experiments_internal.ab_test_request_error(jsonb, jsonb, text),
	experiments_internal.segment_allocation_bp(jsonb, text),
	experiments_internal.sync_ab_test_state(bigint),
	experiments_internal.ab_test_segment_body(jsonb, text),
	experiments_internal.ab_test_body(jsonb),
	experiments_internal.apply_ab_test_segment(experiments.variants, jsonb),
	experiments_internal.write_ab_test(experiments.experiments, text, jsonb),
	experiments.list_ab_tests(text, integer, integer, text),
	experiments.get_ab_test(text, text),
	experiments.create_ab_test(text, text, jsonb),
	experiments.update_ab_test(text, text, jsonb),
	experiments.delete_ab_test(text, text, text),
	experiments.get_ab_test_segment(text, text, text),
	experiments_internal.locked_ab_test_segment(text, text, text, text),
	experiments_internal.write_ab_test_segment(experiments.variants, jsonb),
	experiments.create_ab_test_segment(text, text, text, jsonb),
	experiments.update_ab_test_segment(text, text, text, jsonb),
	experiments.delete_ab_test_segment(text, text, text, text),
	experiments.bind_ab_test_promotion(text, text, text, text),
	experiments.unbind_ab_test_promotion(text, text, text, text),
	experiments.bind_ab_test_slot_configuration(text, text, text, text, text, text),
	experiments.unbind_ab_test_slot_configuration(text, text, text, text, text, text),
	experiments.bind_ab_test_sorting_rule(text, text, text, text, text),
	experiments.unbind_ab_test_sorting_rule(text, text, text, text, text)
	TO experiments_api_owner;
-- src/adapters/commerce/api.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.commerce_fault_state(text),
	experiments_internal.commerce_error_answer(text, text, text)
	TO experiments_api_owner;
-- src/adapters/lifecycle/lifecycle.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.check_organization(uuid),
	experiments_internal.org_experiment(uuid, uuid),
	experiments_internal.org_experiment_document(experiments.experiments),
	experiments_internal.org_user_document(jsonb, uuid),
	experiments_internal.org_experiment_error(jsonb),
	experiments_internal.org_experiment_warning(jsonb),
	experiments_internal.check_started_experiment(experiments.experiments, jsonb),
	experiments_internal.write_org_experiment(experiments.experiments, jsonb, boolean),
	experiments.list_org_experiments(uuid),
	experiments.get_org_experiment(uuid, uuid),
	experiments.create_org_experiment(uuid, jsonb),
	experiments.update_org_experiment(uuid, uuid, jsonb),
	experiments.delete_org_experiment(uuid, uuid)
	TO experiments_api_owner;
-- src/results/stats.sql
GRANT EXECUTE ON FUNCTION
	experiments.normal_cdf(double precision),
	experiments.normal_quantile(double precision),
	experiments.chi_square_cdf(double precision, double precision),
	experiments.chi_square_sf(double precision, double precision),
	experiments.student_t_cdf(double precision, double precision),
	experiments.student_t_sf(double precision, double precision),
	experiments.student_t_quantile(double precision, double precision),
	experiments.wilson_interval(bigint, bigint, double precision),
	experiments.two_proportion_test(bigint, bigint, bigint, bigint, double precision),
	experiments.welch_test(double precision, double precision, bigint, double precision, double precision, bigint, double precision),
	experiments.srm_test(bigint[], double precision[]),
	experiments.multiple_testing(double precision[], text, double precision),
	experiments.bayesian_rates(bigint, bigint, bigint, bigint),
	experiments.bayesian_means(double precision, double precision, bigint, double precision, double precision, bigint)
	TO experiments_api_owner;
-- src/results/metrics.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.refuse_metric(text, text, text, text)
	TO experiments_api_owner;
-- src/results/results.sql
GRANT EXECUTE ON FUNCTION
	experiments.daily_metrics(bigint, timestamp with time zone, timestamp with time zone),
	experiments_internal.comparison_verdict(boolean, double precision, double precision, double precision),
	experiments_internal.analysis(bigint, text, double precision, text, bigint),
	experiments_internal.comparison(text, text, bigint, double precision, double precision, bigint, bigint, double precision, double precision, bigint, double precision, bigint),
	experiments.experiment_results(bigint, timestamp with time zone, timestamp with time zone, double precision, bigint, text, text, bigint),
	experiments.daily_results(bigint, timestamp with time zone, timestamp with time zone),
	experiments_internal.format_percent(double precision, boolean),
	experiments_internal.format_p_value(double precision),
	experiments_internal.results_verdict(text, text, text, text, double precision, double precision, double precision, double precision, double precision),
	experiments.results_report(text, timestamp with time zone, timestamp with time zone, double precision, bigint, text, text, bigint)
	TO experiments_api_owner;
-- src/results/metric_results.sql
GRANT EXECUTE ON FUNCTION
	experiments.metric_statistics(bigint, timestamp with time zone, timestamp with time zone, interval, double precision, text, integer),
	experiments_internal.guardrail_status(boolean, double precision, double precision, double precision, boolean),
	experiments_internal.metric_comparison(text, text, boolean, bigint, bigint, double precision, double precision, bigint, bigint, double precision, double precision, double precision, double precision, double precision, double precision, double precision, bigint),
	experiments_internal.metric_comparisons(bigint, timestamp with time zone, timestamp with time zone, double precision, bigint, text, interval, text, bigint, text, integer),
	experiments.metric_results(bigint, timestamp with time zone, timestamp with time zone, double precision, bigint, text, interval, text, bigint),
	experiments.metric_breakdown(bigint, text, timestamp with time zone, timestamp with time zone, double precision, bigint, text, interval, text, bigint, integer),
	experiments_internal.metric_report(bigint, timestamp with time zone, timestamp with time zone, double precision, bigint, text, text, bigint)
	TO experiments_api_owner;
-- src/results/sequential.sql
GRANT EXECUTE ON FUNCTION
	experiments.sequential_interval(double precision, double precision, bigint, double precision, bigint),
	experiments.sequential_srm_test(bigint[], double precision[], double precision),
	experiments.sequential_test(double precision, double precision, bigint, double precision, double precision, bigint, double precision, bigint),
	experiments_internal.results_method(text)
	TO experiments_api_owner;
-- src/results/planning.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.planning_critical(double precision),
	experiments_internal.planning_distance(double precision, double precision),
	experiments_internal.planning_variance(double precision, double precision),
	experiments_internal.planning_units(double precision),
	experiments_internal.planning_probability(double precision, text, boolean),
	experiments_internal.planning_power(double precision, double precision, double precision, double precision),
	experiments_internal.planning_sample_size(double precision, double precision, double precision, double precision),
	experiments_internal.planning_rate_variance(double precision, double precision),
	experiments.mean_power(double precision, double precision, double precision, double precision),
	experiments.mean_sample_size(double precision, double precision, double precision, double precision),
	experiments.mean_mde(double precision, double precision, double precision, double precision),
	experiments.rate_power(double precision, double precision, double precision, double precision),
	experiments.rate_sample_size(double precision, double precision, double precision, double precision),
	experiments.rate_mde(double precision, double precision, double precision, double precision),
	experiments.experiment_plan(bigint, text, double precision, double precision, double precision)
	TO experiments_api_owner;
-- src/http/auth.sql
GRANT EXECUTE ON FUNCTION
	experiments.authenticate_request()
	TO experiments_api_owner;
-- src/http/page.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.html_escape(text),
	experiments_internal.results_series(bigint, double precision),
	experiments_internal.svg_line_chart(text, date[], jsonb, boolean),
	experiments_internal.svg_srm_chart(text, text[], double precision[], double precision[]),
	experiments_internal.results_chart_svg(text, text, jsonb, jsonb),
	experiments_internal.page_experiment_id(text),
	experiments_internal.metrics_page_html(bigint),
	experiments_internal.check_analysis_arguments(text, text)
	TO experiments_api_owner;
-- src/adapters/abtasty/api.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.visitor_id(),
	experiments_internal.check_unit(text, text)
	TO experiments_api_owner;
-- src/adapters/absmartly/api.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.absmartly_error_answer(text, text, text)
	TO experiments_api_owner;
-- src/adapters/datacortex/api.sql
GRANT EXECUTE ON FUNCTION
	experiments_internal.status_fields(),
	experiments_internal.read_status_request(jsonb),
	experiments_internal.status_warning(jsonb)
	TO experiments_api_owner;

-- Every table but api_keys, to the owner of the API functions; operators and
-- analysts read them (row-level security shows them their tenant's rows).
GRANT SELECT, INSERT, UPDATE, DELETE ON
	experiments.tenants, experiments.sites, experiments.goals, experiments.rooms, experiments.layers,
	experiments.holdouts, experiments.experiments, experiments.variants, experiments.experiment_rooms,
	experiments.overrides, experiments.enrolments, experiments.published_batches, experiments.exposures,
	experiments.goal_events, experiments.attribute_events, experiments.campaign_activations, experiments.actions,
	experiments.custom_events, experiments.transactions, experiments.visits, experiments.transaction_items,
	experiments.rejected_events, experiments.categories, experiments.promotions, experiments.sorting_rules,
	experiments.slots, experiments.slot_configurations, experiments.ab_tests, experiments.segment_promotions,
	experiments.segment_slot_configurations, experiments.segment_sorting_rules,
	experiments.metrics, experiments.experiment_metrics, experiments.experiment_analysis
	TO experiments_api_owner;
GRANT SELECT ON
	experiments.tenants, experiments.sites, experiments.goals, experiments.rooms, experiments.layers,
	experiments.holdouts, experiments.experiments, experiments.variants, experiments.experiment_rooms,
	experiments.overrides, experiments.enrolments, experiments.published_batches, experiments.exposures,
	experiments.goal_events, experiments.attribute_events, experiments.campaign_activations, experiments.actions,
	experiments.custom_events, experiments.transactions, experiments.visits, experiments.transaction_items,
	experiments.rejected_events, experiments.categories, experiments.promotions, experiments.sorting_rules,
	experiments.slots, experiments.slot_configurations, experiments.ab_tests, experiments.segment_promotions,
	experiments.segment_slot_configurations, experiments.segment_sorting_rules,
	experiments.metrics, experiments.experiment_metrics, experiments.experiment_analysis
	TO experiments_analyst, experiments_admin;
-- The exposure and goal rollups, which only maintenance writes, are read as
-- the events are (src/events/rollups.sql).
GRANT SELECT ON experiments.exposure_rollups, experiments.goal_rollups, experiments.exposure_rollup_experiments,
	experiments.exposure_rollup_periods, experiments.exposure_rollup_changes
	TO experiments_api_owner, experiments_analyst, experiments_admin;

-- The SQL API functions that touch tables run as the owner too (SECURITY
-- DEFINER); the C ones switch to it for their table work (BeginTableWork).
ALTER FUNCTION experiments.enrol(text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.create_experiment(text, jsonb, numeric, text, text, boolean) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.set_variants(text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.set_state(text, experiments.experiment_state) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.set_override(text, text, text, experiments.override_kind) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.set_analysis(text, text, float8, text, bigint) OWNER TO experiments_api_owner;
-- So do the management APIs' SQL functions (Commerce Cloud's A/B tests,
-- the Lifecycle API's organization experiments), which operators call in SQL
-- as the endpoints of experiments_api call them over HTTP: their helpers and
-- tables are the owner's, not the operator's.
ALTER FUNCTION experiments.list_ab_tests(text, integer, integer, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.get_ab_test(text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.create_ab_test(text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.update_ab_test(text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.delete_ab_test(text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.get_ab_test_segment(text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.create_ab_test_segment(text, text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.update_ab_test_segment(text, text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.delete_ab_test_segment(text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.bind_ab_test_promotion(text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.unbind_ab_test_promotion(text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.bind_ab_test_slot_configuration(text, text, text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.unbind_ab_test_slot_configuration(text, text, text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.bind_ab_test_sorting_rule(text, text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.unbind_ab_test_sorting_rule(text, text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.list_org_experiments(uuid) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.get_org_experiment(uuid, uuid) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.create_org_experiment(uuid, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.update_org_experiment(uuid, uuid, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.delete_org_experiment(uuid, uuid) OWNER TO experiments_api_owner;
GRANT USAGE ON SCHEMA experiments, experiments_internal TO experiments_api_owner;
-- Column defaults (required_tenant, random_seed) and the results report's
-- helpers run as the operator or the analyst.
GRANT USAGE ON SCHEMA experiments_internal TO experiments_admin, experiments_analyst;
GRANT USAGE ON SEQUENCE experiments.visitor_counter TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION
	experiments.authenticate(text),
	experiments_internal.authenticate(text, boolean),
	experiments_internal.authorize(),
	experiments_internal.current_principal(),
	experiments_internal.respond(integer, jsonb, jsonb)
	TO experiments_api_owner;

-- Every API role may authenticate: anonymous requests with a key, and
-- requests whose token already chose the role.
GRANT USAGE ON SCHEMA experiments TO experiments_anon, experiments_client, experiments_admin, experiments_analyst;
GRANT USAGE ON SCHEMA experiments_api TO experiments_anon, experiments_client, experiments_admin, experiments_analyst;
GRANT EXECUTE ON FUNCTION experiments.authenticate_request(), experiments.authenticate(text)
	TO experiments_anon, experiments_client, experiments_admin, experiments_analyst;

-- Anonymous requests reach every endpoint, whose first statement,
-- experiments_internal.authorize(), refuses them (401, or 403 when their
-- credentials are of a role the endpoint's GRANT does not name) in the
-- endpoint's API's own document. The GRANT beside each endpoint stays the rule.
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA experiments_api TO experiments_anon;

-- Applications in SQL: the serving and event functions of the core.
GRANT EXECUTE ON FUNCTION
	experiments.current_tenant(),
	experiments.bucket(text, bigint),
	experiments.hash_unit(text),
	experiments.assign(text, text, jsonb),
	experiments.assign_all(text, jsonb),
	experiments.absmartly_context(),
	experiments.enrol(text, text, jsonb),
	experiments.publish(jsonb, text),
	experiments.campaign_activated_event(jsonb, jsonb, jsonb),
	experiments.action_tracking_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments.custom_event(jsonb, jsonb, jsonb, jsonb),
	experiments.transaction_event(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb),
	experiments.visit_event(jsonb)
	TO experiments_client;

-- Operators in SQL: the catalog functions of the core (the management APIs'
-- are granted below), what assignment answers, reading
-- every table of their tenant but the keys (granted above), and writing the catalog tables
-- (the triggers keep the rules; the column defaults and checks call
-- required_tenant, random_seed, audience_is_valid and hashing_options_valid; audience_matches
-- tries an audience on attributes as assignment would). Enrolments, events,
-- batches and refused events are written by the functions only.
GRANT EXECUTE ON FUNCTION
	experiments_internal.required_tenant(),
	experiments_internal.random_seed(),
	experiments.audience_is_valid(jsonb),
	experiments.audience_matches(jsonb, jsonb),
	experiments.hashing_options_valid(text, jsonb),
	experiments.growthbook_hash(text, text, integer),
	experiments.growthbook_bucket_ranges(integer, double precision, double precision[]),
	experiments.growthbook_choose_variation(double precision, jsonb),
	experiments.growthbook_in_namespace(text, jsonb),
	experiments.growthbook_equal_weights(integer),
	experiments.growthbook_condition_matches(jsonb, jsonb, jsonb),
	experiments.current_tenant(),
	experiments.bucket(text, bigint),
	experiments.assign(text, text, jsonb),
	experiments.assign_all(text, jsonb),
	experiments.absmartly_context(),
	experiments.export_experiment(text),
	experiments.import_experiment(jsonb),
	experiments_internal.import_layer(jsonb),
	experiments.growthbook_features(),
	experiments.create_experiment(text, jsonb, numeric, text, text, boolean),
	experiments.set_variants(text, jsonb),
	experiments.set_state(text, experiments.experiment_state),
	experiments.set_override(text, text, text, experiments.override_kind),
	experiments.set_analysis(text, text, float8, text, bigint)
	TO experiments_admin;
-- The management APIs in SQL: Commerce Cloud's A/B tests and the Lifecycle
-- API's organization experiments (SECURITY DEFINER, owned as above).
GRANT EXECUTE ON FUNCTION
	experiments.list_ab_tests(text, integer, integer, text),
	experiments.get_ab_test(text, text),
	experiments.create_ab_test(text, text, jsonb),
	experiments.update_ab_test(text, text, jsonb),
	experiments.delete_ab_test(text, text, text),
	experiments.get_ab_test_segment(text, text, text),
	experiments.create_ab_test_segment(text, text, text, jsonb),
	experiments.update_ab_test_segment(text, text, text, jsonb),
	experiments.delete_ab_test_segment(text, text, text, text),
	experiments.bind_ab_test_promotion(text, text, text, text),
	experiments.unbind_ab_test_promotion(text, text, text, text),
	experiments.bind_ab_test_slot_configuration(text, text, text, text, text, text),
	experiments.unbind_ab_test_slot_configuration(text, text, text, text, text, text),
	experiments.bind_ab_test_sorting_rule(text, text, text, text, text),
	experiments.unbind_ab_test_sorting_rule(text, text, text, text, text),
	experiments.list_org_experiments(uuid),
	experiments.get_org_experiment(uuid, uuid),
	experiments.create_org_experiment(uuid, jsonb),
	experiments.update_org_experiment(uuid, uuid, jsonb),
	experiments.delete_org_experiment(uuid, uuid)
	TO experiments_admin;
GRANT INSERT, UPDATE, DELETE ON
	experiments.sites, experiments.goals, experiments.rooms, experiments.layers, experiments.holdouts,
	experiments.experiments, experiments.variants, experiments.experiment_rooms, experiments.overrides,
	experiments.categories, experiments.promotions, experiments.slots, experiments.slot_configurations,
	experiments.sorting_rules, experiments.ab_tests, experiments.segment_promotions,
	experiments.segment_slot_configurations, experiments.segment_sorting_rules,
	experiments.metrics, experiments.experiment_metrics
	TO experiments_admin;

-- Operators of the event partitions: maintenance, its policies and its
-- schedule (src/events/partitions.sql). The procedure runs as its caller (it
-- commits, so it cannot be a definer) and calls the steps, which are.
GRANT USAGE ON SCHEMA experiments, experiments_internal TO experiments_operator;
GRANT EXECUTE ON FUNCTION
	experiments.set_partition_policy(text, text, integer, integer),
	experiments_internal.partition_plan(integer, boolean, boolean),
	experiments_internal.create_event_partition(text, date),
	experiments_internal.retire_event_partition(text, date, text, boolean),
	experiments_internal.month_attached(text, date),
	experiments_internal.exposure_rollup_plan(),
	experiments_internal.exposure_rollups_due(),
	experiments_internal.drop_detached_exposure_rollups(),
	experiments_internal.prepare_exposure_rollup(regclass, timestamptz, timestamptz),
	experiments_internal.roll_up_exposures(timestamptz, timestamptz),
	experiments.create_event_partitions(integer),
	experiments.schedule_maintenance(text)
	TO experiments_operator;
GRANT EXECUTE ON PROCEDURE experiments.maintain_partitions(boolean) TO experiments_operator;
GRANT SELECT ON experiments.partition_policies TO experiments_operator;

-- Analysts read the views (those of experiments_api are granted beside
-- them, src/http/api.sql); security_invoker views run what they call as the
-- analyst, hence the results functions.
GRANT SELECT ON experiments.results, experiments.exposure_summary, experiments.sample_ratio_mismatch,
	experiments.lift, experiments.daily_results TO experiments_analyst;
GRANT EXECUTE ON FUNCTION
	experiments.current_tenant(),
	experiments_internal.required_tenant(),
	experiments_internal.analysis(bigint, text, float8, text, bigint),
	experiments_internal.comparison(text, text, bigint, float8, float8, bigint, bigint, float8, float8, bigint, float8, bigint),
	experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint),
	experiments_internal.comparison_verdict(boolean, float8, float8, float8),
	experiments.daily_results(bigint, timestamptz, timestamptz),
	experiments.daily_metrics(bigint, timestamptz, timestamptz),
	experiments.wilson_interval(bigint, bigint, float8),
	experiments.two_proportion_test(bigint, bigint, bigint, bigint, float8),
	experiments.welch_test(float8, float8, bigint, float8, float8, bigint, float8),
	experiments.srm_test(bigint[], float8[]),
	experiments.multiple_testing(float8[], text, float8),
	experiments.bayesian_rates(bigint, bigint, bigint, bigint),
	experiments.bayesian_means(float8, float8, bigint, float8, float8, bigint),
	experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text, text, bigint),
	experiments_internal.shown_input(text),
	experiments_internal.results_verdict(text, text, text, text, float8, float8, float8, float8, float8),
	experiments.normal_cdf(float8),
	experiments.normal_quantile(float8),
	experiments.chi_square_cdf(float8, float8),
	experiments.chi_square_sf(float8, float8),
	experiments.student_t_cdf(float8, float8),
	experiments.student_t_sf(float8, float8),
	experiments.student_t_quantile(float8, float8),
	experiments.sequential_interval(float8, float8, bigint, float8, bigint),
	experiments.sequential_srm_test(bigint[], float8[], float8),
	experiments.sequential_test(float8, float8, bigint, float8, float8, bigint, float8, bigint),
	experiments_internal.results_method(text),
	experiments.mean_power(float8, float8, float8, float8),
	experiments.mean_sample_size(float8, float8, float8, float8),
	experiments.mean_mde(float8, float8, float8, float8),
	experiments.rate_power(float8, float8, float8, float8),
	experiments.rate_sample_size(float8, float8, float8, float8),
	experiments.rate_mde(float8, float8, float8, float8),
	experiments_internal.planning_critical(float8),
	experiments_internal.planning_distance(float8, float8),
	experiments_internal.planning_variance(float8, float8),
	experiments_internal.planning_units(float8),
	experiments_internal.planning_probability(float8, text, boolean),
	experiments_internal.planning_power(float8, float8, float8, float8),
	experiments_internal.planning_sample_size(float8, float8, float8, float8),
	experiments_internal.planning_rate_variance(float8, float8),
	experiments.experiment_plan(bigint, text, float8, float8, float8),
	experiments_internal.format_p_value(float8),
	experiments_internal.format_percent(float8, boolean),
	experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8, text, integer),
	experiments_internal.guardrail_status(boolean, float8, float8, float8, boolean),
	experiments_internal.metric_comparison(text, text, boolean, bigint, bigint, float8, float8, bigint, bigint, float8, float8, float8, float8, float8, float8, float8, bigint),
	experiments_internal.metric_comparisons(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, text, integer),
	experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint),
	experiments.metric_breakdown(bigint, text, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, integer),
	experiments_internal.metric_report(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint)
	TO experiments_analyst;
