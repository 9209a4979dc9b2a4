-- The metric catalog: definitions of every type, every rule a definition
-- can break, roles of attached metrics, and who may read and write them. As
-- the README has users work: a superuser creates the tenant, its keys and
-- the login roles; the rest runs as those roles, each transaction choosing
-- its tenant with a key.
\set VERBOSITY default
SELECT experiments.create_tenant('regress-metrics') AS tenant \gset
SELECT experiments.create_tenant('regress-metrics-other') AS other \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin') AS admin_key \gset
SELECT experiments.create_api_key(:'tenant', 'bi', 'analyst') AS analyst_key \gset
SELECT experiments.create_api_key(:'tenant', 'shop', 'client') AS client_key \gset
SELECT experiments.create_api_key(:'other', 'ops', 'admin') AS other_admin_key \gset
CREATE ROLE regress_metrics_ops NOSUPERUSER NOBYPASSRLS IN ROLE experiments_admin;
CREATE ROLE regress_metrics_bi NOSUPERUSER NOBYPASSRLS IN ROLE experiments_analyst;
CREATE ROLE regress_metrics_shop NOSUPERUSER NOBYPASSRLS IN ROLE experiments_client;

\echo '== an operator defines a metric of each type and attaches them'
SET ROLE regress_metrics_ops;
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT key, state FROM experiments.create_experiment('checkout',
	'[{"key": "control", "allocation": 50}, {"key": "one_click", "allocation": 50}]');
INSERT INTO experiments.metrics (key, name, type, source, event)
VALUES ('converted', 'Checked out', 'proportion', 'goal', 'checkout');
INSERT INTO experiments.metrics (key, type, source, aggregation, property, window_end, cap, cap_value)
VALUES ('revenue', 'mean', 'transaction', 'sum', 'revenue', '7 days', 'percentile', 0.99);
INSERT INTO experiments.metrics (key, type, source)
VALUES ('orders', 'mean', 'transaction');
INSERT INTO experiments.metrics (key, type, numerator_id, denominator_id)
SELECT 'revenue_per_order', 'ratio', r.id, o.id
FROM experiments.metrics r, experiments.metrics o WHERE r.key = 'revenue' AND o.key = 'orders';
INSERT INTO experiments.metrics (key, type, source, event, aggregation, property, quantile, cap, cap_value)
VALUES ('load_time_p90', 'quantile', 'goal', 'page_loaded', 'sum', 'milliseconds', 0.9, 'absolute', 60000);
UPDATE experiments.metrics SET higher_is_better = false WHERE key = 'load_time_p90';
INSERT INTO experiments.metrics (key, type, source, event, aggregation, property, window_start, window_end)
VALUES ('clicks_day_two', 'mean', 'action', 'add_to_cart', 'count', NULL, '1 day', '2 days');
INSERT INTO experiments.metrics (key, type, source) VALUES ('visited', 'proportion', 'visit');
INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role, margin)
SELECT e.id, m.id, r.role, r.margin
FROM experiments.experiments e, experiments.metrics m
JOIN (VALUES ('converted', 'primary', NULL::float8), ('revenue_per_order', 'secondary', NULL),
			 ('load_time_p90', 'guardrail', 0.05)) AS r(key, role, margin) ON r.key = m.key
WHERE e.key = 'checkout';
COMMIT;
BEGIN;
SELECT experiments.authenticate(:'admin_key') IS NOT NULL AS authenticated;
SELECT key, type, source, event, aggregation, property, numerator_id IS NOT NULL AS ratio, quantile,
	   window_start, window_end, cap, cap_value, higher_is_better
FROM experiments.metrics ORDER BY id;
SELECT m.key, x.role, x.margin
FROM experiments.experiment_metrics x JOIN experiments.metrics m ON m.id = x.metric_id ORDER BY m.id;
SELECT id AS converted_id FROM experiments.metrics WHERE key = 'converted' \gset

\echo '== every rule of a definition: SQLSTATE 22023, the metric named'
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source) VALUES ('m', 'median', 'goal')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type) VALUES ('m', NULL)$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type) VALUES ('m', 'ratio')$$);
SELECT regress.attempt(format($$INSERT INTO experiments.metrics (key, type, source, numerator_id, denominator_id)
	VALUES ('m', 'ratio', 'goal', %s, %s)$$, r.id, o.id))
FROM experiments.metrics r, experiments.metrics o WHERE r.key = 'revenue' AND o.key = 'orders';
SELECT regress.attempt(format($$INSERT INTO experiments.metrics (key, type, numerator_id, denominator_id)
	VALUES ('m', 'ratio', %s, %s)$$, r.id, o.id))
FROM experiments.metrics r, experiments.metrics o WHERE r.key = 'revenue_per_order' AND o.key = 'orders';
SELECT regress.attempt(format($$UPDATE experiments.metrics SET numerator_id = %s WHERE key = 'revenue_per_order'$$, id))
FROM experiments.metrics WHERE key = 'revenue_per_order';
SELECT regress.attempt(format($$INSERT INTO experiments.metrics (key, type, source, numerator_id)
	VALUES ('m', 'mean', 'transaction', %s)$$, id))
FROM experiments.metrics WHERE key = 'orders';
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source) VALUES ('m', 'mean', 'pageview')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type) VALUES ('m', 'mean')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source) VALUES ('m', 'proportion', 'goal')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, event) VALUES ('m', 'proportion', 'visit', 'home')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, aggregation) VALUES ('m', 'mean', 'visit', 'max')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, property) VALUES ('m', 'mean', 'transaction', 'revenue')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, event, aggregation) VALUES ('m', 'mean', 'goal', 'buy', 'sum')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, aggregation, property) VALUES ('m', 'mean', 'transaction', 'sum', 'discount')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, aggregation, property) VALUES ('m', 'mean', 'visit', 'sum', 'value_integer')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, event, aggregation, property) VALUES ('rating', 'mean', 'custom', 'rated', 'sum', 'value_integer')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, aggregation, property) VALUES ('m', 'proportion', 'transaction', 'sum', 'revenue')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source) VALUES ('m', 'quantile', 'transaction')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, quantile) VALUES ('m', 'quantile', 'transaction', 1)$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, quantile) VALUES ('m', 'mean', 'transaction', 0.5)$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, window_start) VALUES ('m', 'mean', 'transaction', '-1 hour')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, window_start, window_end) VALUES ('m', 'mean', 'transaction', '2 days', '1 day')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, cap) VALUES ('m', 'mean', 'transaction', 'absolute')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, cap, cap_value) VALUES ('m', 'mean', 'transaction', 'percentile', 99)$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, cap, cap_value) VALUES ('m', 'mean', 'transaction', 'none', 5)$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, cap, cap_value) VALUES ('m', 'mean', 'transaction', 'winsorize', 5)$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source, cap, cap_value) VALUES ('m', 'proportion', 'visit', 'absolute', 1)$$);
-- a metric a ratio divides stays a proportion or a mean
SELECT regress.attempt($$UPDATE experiments.metrics SET type = 'quantile', quantile = 0.5 WHERE key = 'orders'$$);
-- the key is quoted up to 64 characters, however long
SELECT regress.attempt(format($$INSERT INTO experiments.metrics (key, type) VALUES (%L, 'median')$$, repeat('k', 256)));
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source) VALUES ('', 'mean', 'visit')$$);
SELECT regress.attempt($$INSERT INTO experiments.metrics (key, type, source) VALUES ('converted', 'mean', 'visit')$$);

\echo '== roles of attached metrics'
SELECT regress.attempt(format($$INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role)
	VALUES (%s, %s, 'guardrail')$$, e.id, m.id))
FROM experiments.experiments e, experiments.metrics m WHERE e.key = 'checkout' AND m.key = 'orders';
SELECT regress.attempt(format($$INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role, margin)
	VALUES (%s, %s, 'guardrail', 1.5)$$, e.id, m.id))
FROM experiments.experiments e, experiments.metrics m WHERE e.key = 'checkout' AND m.key = 'orders';
SELECT regress.attempt(format($$INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role, margin)
	VALUES (%s, %s, 'secondary', 0.1)$$, e.id, m.id))
FROM experiments.experiments e, experiments.metrics m WHERE e.key = 'checkout' AND m.key = 'orders';
SELECT regress.attempt(format($$INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role)
	VALUES (%s, %s, 'tertiary')$$, e.id, m.id))
FROM experiments.experiments e, experiments.metrics m WHERE e.key = 'checkout' AND m.key = 'orders';
-- an attached metric cannot be deleted, nor one a ratio divides
SELECT regress.attempt($$DELETE FROM experiments.metrics WHERE key = 'converted'$$);
SELECT regress.attempt($$DELETE FROM experiments.metrics WHERE key = 'orders'$$);
SELECT count(*) AS metrics FROM experiments.metrics;
COMMIT;

\echo '== an analyst reads them and cannot write; a client key role cannot read'
RESET ROLE;
SET ROLE regress_metrics_bi;
BEGIN;
SELECT experiments.authenticate(:'analyst_key') IS NOT NULL AS authenticated;
SELECT count(*) AS metrics, count(*) FILTER (WHERE type = 'ratio') AS ratios FROM experiments.metrics;
SELECT count(*) AS attached FROM experiments.experiment_metrics;
SELECT regress.attempt($$UPDATE experiments.metrics SET name = 'mine'$$);
SELECT regress.attempt($$DELETE FROM experiments.experiment_metrics$$);
COMMIT;
RESET ROLE;
SET ROLE regress_metrics_shop;
BEGIN;
SELECT experiments.authenticate(:'client_key') IS NOT NULL AS authenticated;
SELECT regress.attempt($$SELECT count(*) FROM experiments.metrics$$);
COMMIT;

\echo '== another tenant sees none of them and cannot attach them'
RESET ROLE;
SET ROLE regress_metrics_ops;
BEGIN;
SELECT experiments.authenticate(:'other_admin_key') IS NOT NULL AS authenticated;
SELECT count(*) AS metrics FROM experiments.metrics;
SELECT count(*) AS attached FROM experiments.experiment_metrics;
SELECT key FROM experiments.create_experiment('theirs', '[{"key": "a", "allocation": 100}]');
SELECT regress.attempt(format($$INSERT INTO experiments.experiment_metrics (experiment_id, metric_id) VALUES (%s, %s)$$,
	e.id, :'converted_id'))
FROM experiments.experiments e WHERE e.key = 'theirs';
-- the same key is free in this tenant
INSERT INTO experiments.metrics (key, type, source, event) VALUES ('converted', 'proportion', 'goal', 'signup');
SELECT key, event FROM experiments.metrics;
COMMIT;
RESET ROLE;
DROP OWNED BY regress_metrics_ops, regress_metrics_bi, regress_metrics_shop;
DROP ROLE regress_metrics_ops, regress_metrics_bi, regress_metrics_shop;
