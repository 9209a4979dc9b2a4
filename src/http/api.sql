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
GRANT SELECT ON experiments_api.experiments TO experiments_analyst;

CREATE VIEW experiments_api.variants WITH (security_invoker = true) AS
SELECT v.id, v.experiment_id, v.ordinal, v.key, v.name, v.allocation_bp, v.type, v.treatment
FROM experiments.variants v;
COMMENT ON VIEW experiments_api.variants IS
'GET /variants: the variants of the tenant''s experiments: id (the AB Tasty variation id), experiment, ordinal (0 is the control), key, allocation in basis points, type and treatment.';
GRANT SELECT ON experiments_api.variants TO experiments_analyst;

CREATE VIEW experiments_api.rejected_events WITH (security_invoker = true) AS
SELECT r.id, r.source, r.batch_id, r.batch_index, r.event_index, r.subject, r.reason, r.event, r.rejected_at
FROM experiments.rejected_events r;
COMMENT ON VIEW experiments_api.rejected_events IS
'GET /rejected_events: the tenant''s events refused by validation, with where (subject), why (reason) and the event as sent.';
GRANT SELECT ON experiments_api.rejected_events TO experiments_analyst;

CREATE VIEW experiments_api.results WITH (security_invoker = true) AS
SELECT * FROM experiments.results;
COMMENT ON VIEW experiments_api.results IS
'GET /results: experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';
GRANT SELECT ON experiments_api.results TO experiments_analyst;

CREATE VIEW experiments_api.exposure_summary WITH (security_invoker = true) AS
SELECT * FROM experiments.exposure_summary;
COMMENT ON VIEW experiments_api.exposure_summary IS
'GET /exposure_summary: Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';
GRANT SELECT ON experiments_api.exposure_summary TO experiments_analyst;

CREATE VIEW experiments_api.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT * FROM experiments.sample_ratio_mismatch;
COMMENT ON VIEW experiments_api.sample_ratio_mismatch IS
'GET /sample_ratio_mismatch: Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value; mismatch when p < 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';
GRANT SELECT ON experiments_api.sample_ratio_mismatch TO experiments_analyst;

CREATE VIEW experiments_api.lift WITH (security_invoker = true) AS
SELECT * FROM experiments.lift;
COMMENT ON VIEW experiments_api.lift IS
'GET /lift: Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (two-proportion z-test) and of the value per exposed unit (Welch t-test), 95% intervals and two-sided p-values.';
GRANT SELECT ON experiments_api.lift TO experiments_analyst;

CREATE VIEW experiments_api.daily_results WITH (security_invoker = true) AS
SELECT * FROM experiments.daily_results;
COMMENT ON VIEW experiments_api.daily_results IS
'GET /daily_results: daily_results() of every started experiment of the caller''s tenant: per UTC day, variant and metric, new and cumulative exposed and converting units and the cumulative rate.';
GRANT SELECT ON experiments_api.daily_results TO experiments_analyst;
