-- A tenant with more goals and attribute values than the arrays of
-- metric_statistics() first hold (src/results/results.c, Grow: 1,024): the
-- goals are numbered as their events are read, so the first event applied
-- of an attached metric's goal may carry a number far past the end of the
-- array of its sources (FoldedSources), and with a breakdown the first unit
-- emitted may carry a value numbered far past the array of values' units.
-- 3,000 units; 1,500 goals with an event each, of units not exposed and
-- read before the goal of the attached metric (so no implicit metric, but a
-- spilling pass, which numbers every goal it reads, numbers them first); an
-- attribute with 1,500 values. The same answers with every unit in memory
-- (work_mem 1GB) and spilled (64kB).
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('results_many_goals') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('many',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true) \gset
SELECT method FROM experiments.set_analysis('many', method => 'fixed');
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, g % 2, 'user_id', 'mg-' || g, timestamptz '2026-06-01 00:00+00' + g * interval '10 seconds',
	   true, true, false, false, false, false
FROM generate_series(0, 2999) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'other-' || g, 'goal-' || g, timestamptz '2026-06-02 00:00+00' + g * interval '10 seconds', '{}'
FROM generate_series(0, 1499) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'mg-' || g, 'buy', timestamptz '2026-06-03 00:00+00' + g * interval '10 seconds',
	   jsonb_build_object('value', g % 7)
FROM generate_series(0, 2999, 3) g;
INSERT INTO experiments.attribute_events (unit_type, unit, name, value, set_at)
SELECT 'user_id', 'mg-' || g, 'shop', to_jsonb('shop-' || g % 1500), timestamptz '2026-05-31 00:00+00'
FROM generate_series(0, 2999) g;
INSERT INTO experiments.metrics (key, type, source, event, aggregation, property)
VALUES ('buy_value', 'mean', 'goal', 'buy', 'sum', 'value');
INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role)
SELECT :exp, id, 'primary' FROM experiments.metrics WHERE tenant_id = :'tenant' AND key = 'buy_value';
ANALYZE experiments.exposures, experiments.goal_events, experiments.attribute_events;
\i sql/helpers/numbers_differ.sql
SET SESSION AUTHORIZATION regress_bi;
CREATE TEMPORARY TABLE in_memory AS SELECT * FROM experiments.metric_results(:exp) WITH NO DATA;
CREATE TEMPORARY TABLE spilled (LIKE in_memory);
CREATE TEMPORARY TABLE sliced_in_memory AS
SELECT * FROM experiments.metric_breakdown(:exp, 'shop', max_slices => 100) WITH NO DATA;
CREATE TEMPORARY TABLE sliced_spilled (LIKE sliced_in_memory);
SET work_mem = '1GB';
INSERT INTO in_memory SELECT * FROM experiments.metric_results(:exp);
INSERT INTO sliced_in_memory SELECT * FROM experiments.metric_breakdown(:exp, 'shop', max_slices => 100);
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
INSERT INTO spilled SELECT * FROM experiments.metric_results(:exp);
INSERT INTO sliced_spilled SELECT * FROM experiments.metric_breakdown(:exp, 'shop', max_slices => 100);
RESET work_mem;
RESET hash_mem_multiplier;

-- Not an empty comparison: the attached metric, alone and by slice.
SELECT metric, implicit, ordinal, units, event_units, round(estimate::numeric, 6) AS estimate
FROM in_memory ORDER BY ordinal;
SELECT count(DISTINCT slice) AS slices, count(*) AS rows, sum(units) AS units FROM sliced_in_memory;
-- Every row the same both ways, every number within 1e-9.
SELECT a.metric, a.ordinal, pg_temp.differences(to_jsonb(a), to_jsonb(b)) AS differing
FROM in_memory a FULL JOIN spilled b USING (metric, ordinal)
WHERE pg_temp.differences(to_jsonb(a), to_jsonb(b)) IS NOT NULL;
SELECT a.slice, a.metric, a.ordinal, pg_temp.differences(to_jsonb(a), to_jsonb(b)) AS differing
FROM sliced_in_memory a FULL JOIN sliced_spilled b USING (slice, metric, ordinal)
WHERE pg_temp.differences(to_jsonb(a), to_jsonb(b)) IS NOT NULL;
RESET SESSION AUTHORIZATION;

-- Units that reach many goals: a unit's conversions are chained from its
-- entry, and indexed once the chain is longer than 8 (src/results/results.c,
-- CHAIN_BEFORE_INDEX). 200 units each reach 30 of 40 goals, each goal twice
-- (the second event adds to the conversion the index finds). The converting
-- units and value sums of experiment_results() are those plain SQL counts,
-- in memory and spilled.
SELECT experiments.create_tenant('results_many_goals_per_unit') AS reach_tenant \gset
SET experiments.tenant = :'reach_tenant';
SELECT id AS reach FROM experiments.create_experiment('reach',
	'[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true) \gset
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :reach, u % 2, 'user_id', 'r-' || u, timestamptz '2026-06-01 00:00+00' + u * interval '1 second',
	   true, true, false, false, false, false
FROM generate_series(0, 199) u;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'r-' || u, 'reach-' || (u + k) % 40,
	   timestamptz '2026-06-02 00:00+00' + (k * 200 + u) * interval '1 second' + t * interval '1 day',
	   jsonb_build_object('value', (u + k + t) % 5)
FROM generate_series(0, 199) u, generate_series(0, 29) k, generate_series(0, 1) t;
ANALYZE experiments.exposures, experiments.goal_events;
SET SESSION AUTHORIZATION regress_bi;
CREATE TEMPORARY TABLE reach_expected AS
SELECT g.goal AS metric, x.ordinal, count(DISTINCT g.unit) AS converting_units,
	   sum((g.properties ->> 'value')::float8) AS value_sum
FROM experiments.goal_events g JOIN experiments.exposures x ON x.unit = g.unit AND x.experiment_id = :reach
WHERE g.goal LIKE 'reach-%' AND g.achieved_at >= x.exposed_at
GROUP BY g.goal, x.ordinal;
CREATE TEMPORARY TABLE reach_in_memory AS
SELECT metric, ordinal, converting_units, value_sum FROM experiments.experiment_results(:reach) WITH NO DATA;
CREATE TEMPORARY TABLE reach_spilled (LIKE reach_in_memory);
SET work_mem = '1GB';
INSERT INTO reach_in_memory
SELECT metric, ordinal, converting_units, value_sum FROM experiments.experiment_results(:reach) WHERE kind = 'goal';
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
INSERT INTO reach_spilled
SELECT metric, ordinal, converting_units, value_sum FROM experiments.experiment_results(:reach) WHERE kind = 'goal';
RESET work_mem;
RESET hash_mem_multiplier;
SELECT count(*) AS goal_rows, sum(converting_units) AS conversions FROM reach_expected;
SELECT 'in memory' AS pass, e.metric, e.ordinal, e.converting_units, r.converting_units, e.value_sum, r.value_sum
FROM reach_expected e FULL JOIN reach_in_memory r USING (metric, ordinal)
WHERE (e.converting_units, e.value_sum) IS DISTINCT FROM (r.converting_units, r.value_sum)
UNION ALL
SELECT 'spilled', e.metric, e.ordinal, e.converting_units, r.converting_units, e.value_sum, r.value_sum
FROM reach_expected e FULL JOIN reach_spilled r USING (metric, ordinal)
WHERE (e.converting_units, e.value_sum) IS DISTINCT FROM (r.converting_units, r.value_sum);
RESET SESSION AUTHORIZATION;
\i sql/helpers/drop_logins.sql
