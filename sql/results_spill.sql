-- Results whose units outgrow work_mem spill: the units in memory, and every
-- later row, go to temporary files by the hash of their unit, and each file
-- is then read back as a partition of its own, counted whole, its memory
-- freed before the next (src/results/results.c, Spill and DrainSpill). The
-- answers must be those of the same call with every unit in memory: 20,000
-- units, exposed 1 to 5 times each in 3 variants over 10 days (every tenth
-- unit shown two variants at its first moment: the lowest ordinal wins),
-- goal events before and after first exposures, with numeric, textual and
-- no values, of units never exposed too, and transactions. At work_mem 64kB
-- the call spills down several levels (a partition outgrowing memory spills
-- again, by the next bits of the hash); at 1GB it does not spill. The
-- results per metric (metric_statistics()) spill the same way, with metrics
-- of every kind attached (a windowed proportion, a percentile-capped mean
-- with CUPED, an absolutely capped mean, a count, their ratio, a quantile)
-- and sliced by an attribute (metric_breakdown()): their caps, slices and
-- quantiles need every unit, and are worked out after the last partition.
-- Caps and quantiles of values that repeat are counted per distinct value;
-- of values that hardly repeat (a percentile cap and a quantile of browse
-- seconds), more than 64kB counts, they go to a sort: the same answers.
-- Called first, they count the rows of daily_metrics() in the same pass.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('results_spill') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('spill',
	'[{"key": "a", "allocation": 34}, {"key": "b", "allocation": 33}, {"key": "c", "allocation": 33}]',
	start => true) \gset
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, (g + k) % 3, 'user_id', 'sp-' || g,
	   timestamptz '2026-04-01 00:00+00' + ((g * 7919 + k * 104729) % 864000) * interval '1 second',
	   true, true, false, false, false, false
FROM generate_series(1, 20000) g, generate_series(0, g % 5) k
UNION ALL
SELECT :exp, 2, 'user_id', 'sp-' || g,
	   timestamptz '2026-04-01 00:00+00' + ((g * 7919) % 864000) * interval '1 second',
	   true, true, false, false, false, false
FROM generate_series(10, 20000, 10) g
UNION ALL
-- units of 300 bytes and more, whose spilled records say their length in four bytes
SELECT :exp, g % 3, 'user_id', 'sp-long-' || repeat('x', 300) || g,
	   timestamptz '2026-04-01 00:00+00' + (g * 3607) * interval '1 second',
	   true, true, false, false, false, false
FROM generate_series(1, 200) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'sp-long-' || repeat('x', 300) || g, 'checkout',
	   timestamptz '2026-04-01 00:00+00' + (g * 3607 + 60) * interval '1 second', jsonb_build_object('value', g)
FROM generate_series(1, 200, 2) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'sp-' || (g * 31 % 25000 + 1), (ARRAY['signup', 'checkout', 'share'])[g % 3 + 1],
	   timestamptz '2026-03-31 00:00+00' + ((g::bigint * 104723) % 1036800) * interval '1 second',
	   CASE g % 4 WHEN 0 THEN jsonb_build_object('value', (g % 40) + 0.25)
		   WHEN 1 THEN '{"value": "n/a"}' WHEN 2 THEN '{}' END
FROM generate_series(1, 30000) g;
-- values that hardly repeat: more distinct values than 64kB counts, whose
-- percentile cap and quantile go to a sort when spilling and not in memory
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'sp-' || (g * 7 % 20000 + 1), 'browse',
	   timestamptz '2026-04-01 00:00+00' + ((g::bigint * 7919) % 950400) * interval '1 second',
	   jsonb_build_object('seconds', g * 0.37)
FROM generate_series(1, 12000) g;
-- a goal only units never exposed reach: no implicit metric, spilled or not
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'never-exposed-' || g, 'promo', timestamptz '2026-04-02 00:00+00' + g * interval '1 minute', NULL
FROM generate_series(1, 500) g;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 'spt-' || g, 'order', 'sp-' || (g * 13 % 22000 + 1), 100 + g % 900, 0,
	   timestamptz '2026-04-01 00:00+00' + ((g * 7907) % 950400) * interval '1 second', 'OTHER', 'app'
FROM generate_series(1, 6000) g;
-- A country for most units, set before their first exposure; JSON null for
-- some, a later value for others (which does not count).
INSERT INTO experiments.attribute_events (unit_type, unit, name, value, set_at)
SELECT 'user_id', 'sp-' || g, 'country',
	   CASE WHEN g % 17 = 0 THEN 'null'::jsonb ELSE to_jsonb((ARRAY['FR', 'DE', 'IT', 'ES', 'PL', 'NL'])[g % 6 + 1]) END,
	   timestamptz '2026-03-20 00:00+00' + (g % 100) * interval '1 minute'
FROM generate_series(1, 20000) g WHERE g % 11 <> 0
UNION ALL
SELECT 'user_id', 'sp-' || g, 'country', '"LU"', timestamptz '2026-05-01 00:00+00'
FROM generate_series(1, 20000, 3) g
UNION ALL
-- 400 values: numbers of 255 and more are written in four bytes when spilled
SELECT 'user_id', 'sp-' || g, 'zip', to_jsonb(g % 400), timestamptz '2026-03-20 00:00+00'
FROM generate_series(1, 20000) g;
INSERT INTO experiments.metrics (key, type, source, event, aggregation, property, window_start, window_end, cap, cap_value, quantile)
VALUES ('checked_out', 'proportion', 'goal', 'checkout', 'count', NULL, '0 seconds', '3 days', 'none', NULL, NULL),
	   ('checkout_value', 'mean', 'goal', 'checkout', 'sum', 'value', '0 seconds', NULL, 'percentile', 0.9, NULL),
	   ('revenue', 'mean', 'transaction', NULL, 'sum', 'revenue', '0 seconds', NULL, 'absolute', 800, NULL),
	   ('orders', 'mean', 'transaction', NULL, 'count', NULL, '0 seconds', NULL, 'none', NULL, NULL),
	   ('revenue_p50', 'quantile', 'transaction', NULL, 'sum', 'revenue', '0 seconds', NULL, 'none', NULL, 0.5),
	   ('browse_seconds', 'mean', 'goal', 'browse', 'sum', 'seconds', '0 seconds', NULL, 'percentile', 0.95, NULL),
	   ('browse_p90', 'quantile', 'goal', 'browse', 'sum', 'seconds', '0 seconds', NULL, 'none', NULL, 0.9);
INSERT INTO experiments.metrics (key, type, numerator_id, denominator_id)
SELECT 'revenue_per_order', 'ratio', n.id, d.id FROM experiments.metrics n, experiments.metrics d
WHERE n.key = 'revenue' AND d.key = 'orders' AND n.tenant_id = :'tenant' AND d.tenant_id = :'tenant';
INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role)
SELECT :exp, id, 'secondary' FROM experiments.metrics WHERE tenant_id = :'tenant';
ANALYZE experiments.exposures, experiments.goal_events, experiments.transactions, experiments.attribute_events;
SET SESSION AUTHORIZATION regress_bi;

SET work_mem = '1GB';
CREATE TEMPORARY TABLE in_memory AS
SELECT * FROM experiments.daily_metrics(:exp, '-infinity', 'infinity');
CREATE TEMPORARY TABLE in_memory_results AS SELECT * FROM experiments.experiment_results(:exp);
CREATE TEMPORARY TABLE in_memory_metrics AS SELECT * FROM experiments.metric_results(:exp);
CREATE TEMPORARY TABLE in_memory_breakdown AS
SELECT * FROM experiments.metric_breakdown(:exp, 'country', min_units => 10, max_slices => 3)
UNION ALL
SELECT * FROM experiments.metric_breakdown(:exp, 'zip', min_units => 10, max_slices => 100);

-- The spilling calls, each in a transaction of its own, the temporary files
-- of the database counted before and after (the statistics of the call's
-- transaction are flushed when it ends).
RESET SESSION AUTHORIZATION;
SELECT temp_files AS files_before FROM pg_stat_database WHERE datname = current_database() \gset
SET SESSION AUTHORIZATION regress_bi;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
BEGIN;
CREATE TEMPORARY TABLE spilled AS
SELECT * FROM experiments.daily_metrics(:exp, '-infinity', 'infinity');
CREATE TEMPORARY TABLE spilled_results AS SELECT * FROM experiments.experiment_results(:exp);
-- in the same snapshot, as the page asks: no table of units is kept from a spilled call
CREATE TEMPORARY TABLE spilled_metrics AS SELECT * FROM experiments.metric_results(:exp);
COMMIT;
-- The results per metric on their own, spilling too.
RESET SESSION AUTHORIZATION;
SELECT pg_stat_force_next_flush();
SELECT pg_sleep(0.1);
SELECT pg_stat_clear_snapshot();
SELECT temp_files AS metric_files_before FROM pg_stat_database WHERE datname = current_database() \gset
SET SESSION AUTHORIZATION regress_bi;
BEGIN;
CREATE TEMPORARY TABLE spilled_breakdown AS
SELECT * FROM experiments.metric_breakdown(:exp, 'country', min_units => 10, max_slices => 3)
UNION ALL
SELECT * FROM experiments.metric_breakdown(:exp, 'zip', min_units => 10, max_slices => 100);
COMMIT;
RESET work_mem;
RESET hash_mem_multiplier;
RESET SESSION AUTHORIZATION;
SELECT pg_stat_force_next_flush();
SELECT pg_sleep(0.1);
SELECT pg_stat_clear_snapshot();
SELECT temp_files > :files_before AS spilled_to_files, temp_files > :metric_files_before AS metrics_spilled_to_files
FROM pg_stat_database WHERE datname = current_database();
SET SESSION AUTHORIZATION regress_bi;

-- Not an empty comparison: units per variant, conversions per goal.
SELECT kind, metric, ordinal, sum(units) AS units, sum(value_sum) AS value_sum
FROM in_memory GROUP BY kind, metric, ordinal ORDER BY kind, metric, ordinal;
-- Units per variant as plain SQL finds them: each unit in the variant of
-- its first exposure, the lowest ordinal on a tie.
SELECT ordinal, count(*) AS units,
	   count(*) = (SELECT sum(units) FROM spilled s WHERE s.kind = 'exposures' AND s.ordinal = f.ordinal) AS spilled_agrees
FROM (SELECT DISTINCT ON (unit) unit, ordinal FROM experiments.exposures
	  WHERE experiment_id = :exp ORDER BY unit, exposed_at, ordinal) f
GROUP BY ordinal ORDER BY ordinal;
-- Every row the same, both ways.
SELECT count(*) AS rows, (SELECT count(*) FROM spilled) AS spilled_rows FROM in_memory;
(SELECT * FROM in_memory EXCEPT SELECT * FROM spilled)
UNION ALL
(SELECT * FROM spilled EXCEPT SELECT * FROM in_memory);
(SELECT * FROM in_memory_results EXCEPT SELECT * FROM spilled_results)
UNION ALL
(SELECT * FROM spilled_results EXCEPT SELECT * FROM in_memory_results);
-- Results per metric and their breakdown: the same rows, every number within
-- 1e-9 (a percentile cap falls between two values, and capped values sum in
-- another order when spilled).
\i sql/helpers/numbers_differ.sql
SELECT count(*) FILTER (WHERE metric = 'promo') AS promo_rows,
	   (SELECT count(*) FROM spilled_metrics WHERE metric = 'promo') AS spilled_promo_rows
FROM in_memory_metrics;
SELECT count(*) AS metric_rows, (SELECT count(*) FROM spilled_metrics) AS spilled_metric_rows,
	   count(DISTINCT metric) AS metrics, count(*) FILTER (WHERE estimate_lower IS NOT NULL) AS with_intervals
FROM in_memory_metrics;
SELECT a.metric, a.ordinal, pg_temp.differences(to_jsonb(a), to_jsonb(b)) AS differing
FROM in_memory_metrics a FULL JOIN spilled_metrics b USING (metric, ordinal)
WHERE pg_temp.differences(to_jsonb(a), to_jsonb(b)) IS NOT NULL;
SELECT count(*) AS breakdown_rows, (SELECT count(*) FROM spilled_breakdown) AS spilled_breakdown_rows,
	   count(DISTINCT slice) AS slices
FROM in_memory_breakdown;
SELECT a.breakdown, a.slice, a.metric, a.ordinal, pg_temp.differences(to_jsonb(a), to_jsonb(b)) AS differing
FROM in_memory_breakdown a FULL JOIN spilled_breakdown b USING (breakdown, slice, metric, ordinal)
WHERE pg_temp.differences(to_jsonb(a), to_jsonb(b)) IS NOT NULL;
-- Not an empty comparison: per metric, the cap and the estimate of the control.
SELECT metric, type, cap, round(estimate::numeric, 6) AS estimate, variance_reduction IS NOT NULL AS cuped
FROM in_memory_metrics WHERE ordinal = 0 ORDER BY metric;

-- The results page asks for the metrics first: their pass counts the rows of
-- daily_metrics() too and keeps them, so that daily_metrics() in the same
-- snapshot (a stable function's, as the page's) reads no event table again:
-- no scan of the exposures, counted by the transaction's own statistics. Its
-- rows must be those of its own pass, both spilling and in memory, and so
-- must the metrics'.
CREATE FUNCTION pg_temp.metrics_then_daily(exp bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	metrics jsonb := (SELECT jsonb_agg(to_jsonb(r)) FROM experiments.metric_results(exp) r);
	scans bigint := (SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_xact_user_tables
					 WHERE relname LIKE 'exposures%');
	daily jsonb := (SELECT jsonb_agg(to_jsonb(d)) FROM experiments.daily_metrics(exp, '-infinity', 'infinity') d);
BEGIN
	RETURN jsonb_build_object('metrics', metrics, 'daily', daily, 'exposure_scans_after_metrics',
		(SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_xact_user_tables WHERE relname LIKE 'exposures%') - scans);
END $$;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
CREATE TEMPORARY TABLE page_spilled AS SELECT pg_temp.metrics_then_daily(:exp) AS j;
RESET hash_mem_multiplier;
SET work_mem = '1GB';
CREATE TEMPORARY TABLE page_in_memory AS SELECT pg_temp.metrics_then_daily(:exp) AS j;
RESET work_mem;
SELECT (SELECT j -> 'exposure_scans_after_metrics' FROM page_spilled) AS spilled_scans,
	   (SELECT j -> 'exposure_scans_after_metrics' FROM page_in_memory) AS in_memory_scans;
CREATE TEMPORARY TABLE daily_after_metrics AS
SELECT 'spilled' AS pass, d.* FROM page_spilled, jsonb_populate_recordset(NULL::in_memory, j -> 'daily') d
UNION ALL
SELECT 'in memory', d.* FROM page_in_memory, jsonb_populate_recordset(NULL::in_memory, j -> 'daily') d;
SELECT pass, count(*) AS rows FROM daily_after_metrics GROUP BY pass ORDER BY pass;
SELECT p.pass, x.* FROM (VALUES ('spilled'), ('in memory')) p(pass),
	LATERAL ((SELECT * FROM in_memory EXCEPT SELECT kind, metric, ordinal, day, units, value_sum, value_square_sum,
				first_at, last_at FROM daily_after_metrics d WHERE d.pass = p.pass)
			 UNION ALL
			 (SELECT kind, metric, ordinal, day, units, value_sum, value_square_sum, first_at, last_at
			  FROM daily_after_metrics d WHERE d.pass = p.pass EXCEPT SELECT * FROM in_memory)) x;
SELECT a.metric, a.ordinal, pg_temp.differences(to_jsonb(a), to_jsonb(b)) AS differing
FROM in_memory_metrics a
FULL JOIN (SELECT m.* FROM page_spilled, jsonb_populate_recordset(NULL::in_memory_metrics, j -> 'metrics') m) b
	USING (metric, ordinal)
WHERE pg_temp.differences(to_jsonb(a), to_jsonb(b)) IS NOT NULL
UNION ALL
SELECT a.metric, a.ordinal, pg_temp.differences(to_jsonb(a), to_jsonb(b))
FROM in_memory_metrics a
FULL JOIN (SELECT m.* FROM page_in_memory, jsonb_populate_recordset(NULL::in_memory_metrics, j -> 'metrics') m) b
	USING (metric, ordinal)
WHERE pg_temp.differences(to_jsonb(a), to_jsonb(b)) IS NOT NULL;
-- The other way round, in memory: metric_statistics() takes over the table of
-- units daily_metrics() built in the same snapshot (no scan of the exposures),
-- each unit's name copied with room for its values, and its metrics are those
-- of its own pass.
CREATE FUNCTION pg_temp.daily_then_metrics(exp bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	daily bigint := (SELECT count(*) FROM experiments.daily_metrics(exp, '-infinity', 'infinity'));
	scans bigint := (SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_xact_user_tables
					 WHERE relname LIKE 'exposures%');
	metrics jsonb := (SELECT jsonb_agg(to_jsonb(r)) FROM experiments.metric_results(exp) r);
BEGIN
	RETURN jsonb_build_object('metrics', metrics, 'daily_rows', daily, 'exposure_scans_after_daily',
		(SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_xact_user_tables WHERE relname LIKE 'exposures%') - scans);
END $$;
SET work_mem = '1GB';
CREATE TEMPORARY TABLE taken_over AS SELECT pg_temp.daily_then_metrics(:exp) AS j;
RESET work_mem;
SELECT j -> 'exposure_scans_after_daily' AS scans_after_daily, (j ->> 'daily_rows')::bigint = (SELECT count(*) FROM in_memory) AS daily_rows_agree
FROM taken_over;
SELECT a.metric, a.ordinal, pg_temp.differences(to_jsonb(a), to_jsonb(b)) AS differing
FROM in_memory_metrics a
FULL JOIN (SELECT m.* FROM taken_over, jsonb_populate_recordset(NULL::in_memory_metrics, j -> 'metrics') m) b
	USING (metric, ordinal)
WHERE pg_temp.differences(to_jsonb(a), to_jsonb(b)) IS NOT NULL;
-- A window that starts after the first events: goals come from one read,
-- from the start of the pre-period on, so that a goal metric's covariate
-- counts events before since, and its conversions and the implicit goals
-- only those from since on. Against plain SQL over the same events.
SELECT s.metric, s.ordinal, s.units, s.event_units, s.covariate_sum,
	   (s.units, s.event_units, s.covariate_sum) IS NOT DISTINCT FROM (r.units, r.event_units, r.covariate_sum) AS agrees
FROM experiments.metric_statistics(:exp, '2026-04-05 00:00+00', 'infinity', '2 days', 0.95) s
JOIN (SELECT 'checked_out' AS metric, f.ordinal, count(*) AS units,
			 count(*) FILTER (WHERE EXISTS (SELECT FROM experiments.goal_events g WHERE g.unit = f.unit
				AND g.goal = 'checkout' AND g.achieved_at >= f.first_at AND g.achieved_at < f.first_at + interval '3 days')) AS event_units,
			 count(*) FILTER (WHERE EXISTS (SELECT FROM experiments.goal_events g WHERE g.unit = f.unit
				AND g.goal = 'checkout' AND g.achieved_at < f.first_at AND g.achieved_at >= f.first_at - interval '2 days'))::float8 AS covariate_sum
	  FROM (SELECT DISTINCT ON (unit) unit, ordinal, exposed_at AS first_at FROM experiments.exposures
			WHERE experiment_id = :exp AND exposed_at >= '2026-04-05 00:00+00' ORDER BY unit, exposed_at, ordinal) f
	  GROUP BY f.ordinal
	  UNION ALL
	  SELECT 'share', f.ordinal, count(*),
			 count(*) FILTER (WHERE EXISTS (SELECT FROM experiments.goal_events g WHERE g.unit = f.unit
				AND g.goal = 'share' AND g.achieved_at >= f.first_at)), NULL
	  FROM (SELECT DISTINCT ON (unit) unit, ordinal, exposed_at AS first_at FROM experiments.exposures
			WHERE experiment_id = :exp AND exposed_at >= '2026-04-05 00:00+00' ORDER BY unit, exposed_at, ordinal) f
	  GROUP BY f.ordinal) r ON r.metric = s.metric AND r.ordinal = s.ordinal
ORDER BY s.metric, s.ordinal;
RESET SESSION AUTHORIZATION;
\i sql/helpers/drop_logins.sql
