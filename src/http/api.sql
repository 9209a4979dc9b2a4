-- experiments: the HTTP-facing API. Schema experiments_api holds only the
-- functions and views PostgREST exposes (db-schemas = experiments_api):
-- function and argument names are the APIs' paths and JSON keys, so that
-- POST /rpc/<name> with a request's body is the API's call.
--
-- This file creates the schema and the analysts' views; the functions are the
-- adapters' (src/adapters/*/api.sql, after this file in the install script).
-- Every function is owned by experiments_api_owner (a role without
-- BYPASSRLS, src/core/roles.sql) and runs as it: callers need EXECUTE on these
-- functions only, and row-level security still confines every query to the
-- tenant that authentication set. All are SECURITY DEFINER but allocate, in C,
-- which switches to its owner itself (src/adapters/abtasty/allocate.c). Views
-- are security_invoker. The GRANT beside each function and view is the one
-- statement that says which role may call or read it.

CREATE SCHEMA experiments_api;
COMMENT ON SCHEMA experiments_api IS
'The HTTP API of the experiments extension, as PostgREST exposes it: serving (visitor, allocate, experiment_status), events (context_batch), management (the A/B test and organization experiment functions) and read-only views for analysts.';

-- Read-only views for analysts: the tenant's catalog, refused events and results.

CREATE VIEW experiments_api.experiments WITH (security_invoker = true) AS
SELECT e.id, e.key, e.name, e.description, e.state, e.starts_at, e.ends_at, e.started_at, e.unit_type,
	   e.traffic_bp, e.reset_interval, e.gate, e.tags, e.version, e.created_at, e.updated_at
FROM experiments.experiments e;
COMMENT ON VIEW experiments_api.experiments IS
'GET /experiments: the tenant''s experiments (campaigns): id (the AB Tasty campaign id), key (the name clients use), state, schedule, unit type, traffic in basis points, reset interval, gate, tags and version.';
COMMENT ON COLUMN experiments_api.experiments.id IS 'Numeric id, as ABsmartly and AB Tasty clients know experiments.';
COMMENT ON COLUMN experiments_api.experiments.key IS 'Name clients use, 1 to 40 characters, unique per tenant.';
COMMENT ON COLUMN experiments_api.experiments.name IS 'Name for people; NULL when none was given.';
COMMENT ON COLUMN experiments_api.experiments.description IS 'Description for people; NULL when none was given.';
COMMENT ON COLUMN experiments_api.experiments.state IS
'draft -> running <-> paused -> stopped; units are assigned only while running and inside [starts_at, ends_at).';
COMMENT ON COLUMN experiments_api.experiments.starts_at IS
'Start (inclusive) of the assignment window: no unit is assigned before it; NULL for no start. Also the origin of reset periods.';
COMMENT ON COLUMN experiments_api.experiments.ends_at IS
'End (exclusive) of the assignment window: no unit is assigned at or after it; NULL for no end. Later than starts_at.';
COMMENT ON COLUMN experiments_api.experiments.started_at IS
'When the experiment first went running; the origin of reset periods when starts_at is NULL.';
COMMENT ON COLUMN experiments_api.experiments.unit_type IS 'What identifies a unit (user_id, device_id, ...): exposures must name it.';
COMMENT ON COLUMN experiments_api.experiments.traffic_bp IS
'Share of units eligible, in basis points: eligible when bucket(unit, traffic_seed) < traffic_bp.';
COMMENT ON COLUMN experiments_api.experiments.reset_interval IS
'How often units are re-drawn: full (never), 1w (weekly) or 1d (daily), in whole intervals since starts_at, or since started_at when starts_at is NULL; each interval is a reset period of enrolments.';
COMMENT ON COLUMN experiments_api.experiments.gate IS
'Gate a unit must cross (Data Cortex new_gate_list) before it enters the experiment; NULL for none.';
COMMENT ON COLUMN experiments_api.experiments.tags IS 'Free labels (the tags of the Commerce Cloud A/B test API); empty when none.';
COMMENT ON COLUMN experiments_api.experiments.version IS
'Changes on every update of the experiment or its variants: the optimistic-concurrency token.';
COMMENT ON COLUMN experiments_api.experiments.created_at IS 'When the experiment was created.';
COMMENT ON COLUMN experiments_api.experiments.updated_at IS
'When the experiment or its variants last changed (a change of the enrolment flag alone excepted); set by the update trigger.';
GRANT SELECT ON experiments_api.experiments TO experiments_analyst;

CREATE VIEW experiments_api.variants WITH (security_invoker = true) AS
SELECT v.id, v.experiment_id, v.ordinal, v.key, v.name, v.allocation_bp, v.type, v.treatment
FROM experiments.variants v;
COMMENT ON VIEW experiments_api.variants IS
'GET /variants: the variants of the tenant''s experiments: id (the AB Tasty variation id), experiment, ordinal (0 is the control), key, allocation in basis points, type and treatment.';
COMMENT ON COLUMN experiments_api.variants.id IS 'Numeric id, as AB Tasty clients know variations.';
COMMENT ON COLUMN experiments_api.variants.experiment_id IS 'The experiment (experiments.experiments.id) the variant belongs to.';
COMMENT ON COLUMN experiments_api.variants.ordinal IS
'Position of the variant in its experiment, 0 to 999, unique in it; 0 is the control. Variants take their bucket ranges in ordinal order, and events name variants by it.';
COMMENT ON COLUMN experiments_api.variants.key IS
'Name of the variant, 1 to 128 characters, unique in its experiment: the variant assign() answers, the segment id of the Commerce Cloud API.';
COMMENT ON COLUMN experiments_api.variants.name IS 'Name for people (the group name of the draft/published API); NULL when none was given.';
COMMENT ON COLUMN experiments_api.variants.allocation_bp IS
'Share of the experiment''s eligible units, in basis points (a percentage times 100).';
COMMENT ON COLUMN experiments_api.variants.type IS
'Kind of the variant (the group_type of the draft/published API): control, user_defined, target_algorithm or target_random; NULL when none was given.';
COMMENT ON COLUMN experiments_api.variants.treatment IS 'What the variant does, for the application to apply: any JSON object.';
GRANT SELECT ON experiments_api.variants TO experiments_analyst;

CREATE VIEW experiments_api.rejected_events WITH (security_invoker = true) AS
SELECT r.id, r.source, r.batch_id, r.batch_index, r.event_index, r.subject, r.reason, r.event, r.rejected_at
FROM experiments.rejected_events r;
COMMENT ON VIEW experiments_api.rejected_events IS
'GET /rejected_events: the tenant''s events refused by validation, with where (subject), why (reason) and the event as sent.';
COMMENT ON COLUMN experiments_api.rejected_events.id IS 'Number of the refused event, from its identity sequence.';
COMMENT ON COLUMN experiments_api.rejected_events.source IS
'What sent it: publish (a batch), or the AB Tasty event: campaign_activated, action_tracking, custom, transaction, visit.';
COMMENT ON COLUMN experiments_api.rejected_events.batch_id IS
'The published batch (experiments.published_batches.id) the event came in; NULL for AB Tasty events.';
COMMENT ON COLUMN experiments_api.rejected_events.batch_index IS 'Index of the request in the batch (publish only).';
COMMENT ON COLUMN experiments_api.rejected_events.event_index IS
'Index of the event in its array (publish only); -1 for a problem of the request itself.';
COMMENT ON COLUMN experiments_api.rejected_events.subject IS 'Where the problem is, as a path in the request: exposures[2].variant.';
COMMENT ON COLUMN experiments_api.rejected_events.reason IS 'Why the event was refused, in words.';
COMMENT ON COLUMN experiments_api.rejected_events.event IS 'The event as sent (as jsonb keeps it: the last of duplicate keys wins).';
COMMENT ON COLUMN experiments_api.rejected_events.rejected_at IS 'When the event was refused.';
GRANT SELECT ON experiments_api.rejected_events TO experiments_analyst;

CREATE VIEW experiments_api.results WITH (security_invoker = true) AS
SELECT * FROM experiments.results;
COMMENT ON VIEW experiments_api.results IS
'GET /results: experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';
COMMENT ON COLUMN experiments_api.results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments_api.results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.results.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments_api.results.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments_api.results.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments_api.results.first_exposed_at IS 'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments_api.results.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
COMMENT ON COLUMN experiments_api.results.converting_units IS
'Units of the variant that reached the goal (kind goal) or had a transaction (kind revenue) at or after their first exposure; 0 when none, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.results.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments_api.results.rate_lower IS
'Lower bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_upper IS
'Upper bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments_api.results.value_sum IS
'Sum over the converting units of each unit''s total of the numeric goal property value (kind goal) or of its revenue in cents (kind revenue), counting events at or after its first exposure. NULL for kind exposures and for a goal none of whose counted events carried a numeric value.';
COMMENT ON COLUMN experiments_api.results.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments_api.results.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments_api.results.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments_api.results.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments_api.results.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments_api.results.rate_p_value IS
'Two-sided p-value of the variant''s rate against the control''s by the test whose intervals rate_lift_lower to rate_relative_upper are: the Miettinen-Nurminen score test (the pooled rate under no difference) under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.results.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments_api.results.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments_api.results.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments_api.results.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments_api.results.value_p_value IS
'Two-sided p-value of the variant''s value_per_unit against the control''s: Welch''s t-test under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments_api.results.srm_p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments_api.results.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments_api.results.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments_api.results.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.results.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments_api.results.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments_api.results.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments_api.results.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.results.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.results.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.results.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.results.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.results.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.method IS
'The statistical method of the comparisons: fixed (fixed-horizon tests, valid at one look decided in advance; the default, and what the views use) or sequential (always-valid confidence sequences, valid however often the results are read; experiment_results(..., method => ''sequential'')); NULL never.';
COMMENT ON COLUMN experiments_api.results.srm_log_bayes_factor IS
'Log Bayes factor of the sequential sample ratio mismatch test (sequential_srm_test, Dirichlet-multinomial with concentration 100) against the configured allocation, the same on all the experiment''s rows; Infinity when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_sequential_p_value IS
'Always-valid p-value of the sequential sample ratio mismatch test, min(1, 1 / Bayes factor), valid however often it is read; srm_mismatch uses it under method sequential; 0 when stray_traffic; NULL when srm_log_bayes_factor is NULL.';
GRANT SELECT ON experiments_api.results TO experiments_analyst;

CREATE VIEW experiments_api.exposure_summary WITH (security_invoker = true) AS
SELECT * FROM experiments.exposure_summary;
COMMENT ON VIEW experiments_api.exposure_summary IS
'GET /exposure_summary: Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';
COMMENT ON COLUMN experiments_api.exposure_summary.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.exposure_summary.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.exposure_summary.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.exposure_summary.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.exposure_summary.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments_api.exposure_summary.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments_api.exposure_summary.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments_api.exposure_summary.first_exposed_at IS
'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments_api.exposure_summary.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
GRANT SELECT ON experiments_api.exposure_summary TO experiments_analyst;

CREATE VIEW experiments_api.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT * FROM experiments.sample_ratio_mismatch;
COMMENT ON VIEW experiments_api.sample_ratio_mismatch IS
'GET /sample_ratio_mismatch: Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value, the sequential test''s log Bayes factor and always-valid p-value; mismatch when the method''s p-value is below 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.units IS 'Units exposed to the experiment, all variants together (each unit once).';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.units_per_variant IS
'Units exposed per variant (as units of exposure_summary), in ordinal order: the control first.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.allocation_shares IS
'Each variant''s allocation_share (its fraction of the total allocation), in ordinal order: the control first.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.log_bayes_factor IS
'Log Bayes factor of the sequential sample ratio mismatch test (sequential_srm_test, Dirichlet-multinomial with concentration 100) against the configured allocation, the same on all the experiment''s rows; Infinity when stray_traffic; NULL when chi_square is NULL.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.sequential_p_value IS
'Always-valid p-value of the sequential sample ratio mismatch test, min(1, 1 / Bayes factor), valid however often it is read; mismatch uses it under method sequential; 0 when stray_traffic; NULL when log_bayes_factor is NULL.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.method IS
'The statistical method of the comparisons: fixed (fixed-horizon tests, valid at one look decided in advance; the default, and what the views use) or sequential (always-valid confidence sequences, valid however often the results are read; experiment_results(..., method => ''sequential'')); NULL never.';
GRANT SELECT ON experiments_api.sample_ratio_mismatch TO experiments_analyst;

CREATE VIEW experiments_api.lift WITH (security_invoker = true) AS
SELECT * FROM experiments.lift;
COMMENT ON VIEW experiments_api.lift IS
'GET /lift: Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (Miettinen-Nurminen score test and score intervals) and of the value per exposed unit (Welch''s t-test, its interval of the difference and Fieller''s of the ratio), intervals and two-sided p-values, each interval from the same test as its p-value, corrected for multiple testing across the experiment (Holm), and a verdict per comparison after the minimum-sample rule.';
COMMENT ON COLUMN experiments_api.lift.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.lift.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.lift.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments_api.lift.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.lift.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.lift.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments_api.lift.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments_api.lift.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments_api.lift.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.lift.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.lift.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.method IS
'The statistical method of the comparisons: fixed (fixed-horizon tests, valid at one look decided in advance; the default, and what the views use) or sequential (always-valid confidence sequences, valid however often the results are read; experiment_results(..., method => ''sequential'')); NULL never.';
COMMENT ON COLUMN experiments_api.lift.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments_api.lift.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments_api.lift.rate_p_value IS
'Two-sided p-value of the variant''s rate against the control''s by the test whose intervals rate_lift_lower to rate_relative_upper are: the Miettinen-Nurminen score test (the pooled rate under no difference) under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.lift.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments_api.lift.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments_api.lift.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments_api.lift.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments_api.lift.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_p_value IS
'Two-sided p-value of the variant''s value_per_unit against the control''s: Welch''s t-test under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.srm_mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
GRANT SELECT ON experiments_api.lift TO experiments_analyst;

CREATE VIEW experiments_api.daily_results WITH (security_invoker = true) AS
SELECT * FROM experiments.daily_results;
COMMENT ON VIEW experiments_api.daily_results IS
'GET /daily_results: daily_results() of every started experiment of the caller''s tenant: per UTC day, variant and metric, new and cumulative exposed and converting units and the cumulative rate.';
COMMENT ON COLUMN experiments_api.daily_results.day IS
'The UTC day: of the units'' first exposure for new_units, of their first goal or transaction (at or after that exposure) for new_converting_units. Every day with a counted event has a row for every variant and metric.';
COMMENT ON COLUMN experiments_api.daily_results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.daily_results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.daily_results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.daily_results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.daily_results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments_api.daily_results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.daily_results.new_units IS
'Units first exposed to the variant that day (each unit once, on the day of its first exposure); the same on the rows of every kind.';
COMMENT ON COLUMN experiments_api.daily_results.cumulative_units IS 'Units first exposed to the variant up to and including that day.';
COMMENT ON COLUMN experiments_api.daily_results.new_converting_units IS
'Units of the variant whose first goal (kind goal) or transaction (kind revenue) at or after their first exposure fell on that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.daily_results.cumulative_converting_units IS
'new_converting_units summed up to and including that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.daily_results.cumulative_rate IS
'cumulative_converting_units / cumulative_units, a fraction from 0 to 1; NULL for kind exposures and while the variant has no units.';
COMMENT ON COLUMN experiments_api.daily_results.value_sum IS
'Sum of the values (goal property value, or revenue in cents) of the counted events of that day (at or after their unit''s first exposure), booked on the day of each event, so that later events never change a past day; NULL for kind exposures and when none of that day''s events has a value.';
GRANT SELECT ON experiments_api.daily_results TO experiments_analyst;
