-- Exposure and goal rollups (src/events/rollups.sql, docs/results.md):
-- maintenance rolls each month of exposures up to an entry per experiment and
-- unit, and packs its goal events by tenant, unit type and bucket, which the
-- results read instead of the event rows. Every answer must be the one the
-- event rows give (experiments.read_exposure_rollups = off) in the same
-- snapshot: after a rollup; after exposures and goals inserted late into a
-- rolled-up month; after a delete; once maintenance has folded the changes in; for
-- windows that cover a month only in part; and once the month is detached.
-- The analyst reads, the operator's login runs the maintenance.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('rollups') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('rollups',
	'[{"key": "a", "allocation": 34}, {"key": "b", "allocation": 33}, {"key": "c", "allocation": 33}]',
	start => true) \gset
-- 3,000 units exposed 1 to 4 times from mid-May to mid-June 2025, so that
-- many units have exposures in both months (their first in May); every
-- seventh unit shown two variants at its first moment (the lowest wins).
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, (g + k) % 3, 'user_id', 'ru-' || g,
	   timestamptz '2025-05-16 00:00+00' + ((g * 7919 + k * 104729) % 2592000) * interval '1 second',
	   true, true, false, false, false, false
FROM generate_series(1, 3000) g, generate_series(0, g % 4) k
UNION ALL
SELECT :exp, 2, 'user_id', 'ru-' || g,
	   timestamptz '2025-05-16 00:00+00' + ((g * 7919) % 2592000) * interval '1 second',
	   true, true, false, false, false, false
FROM generate_series(7, 3000, 7) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'ru-' || (g * 31 % 3500 + 1), (ARRAY['signup', 'checkout'])[g % 2 + 1],
	   timestamptz '2025-05-16 00:00+00' + ((g::bigint * 104723) % 2764800) * interval '1 second',
	   CASE WHEN g % 3 = 0 THEN jsonb_build_object('value', g % 40) END
FROM generate_series(1, 4000) g;
-- and 80 goals of a unit never exposed with 60 kB of properties each
-- (4.8 MB as text, far less once compressed in the table)
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'ru-big', 'checkout', timestamptz '2025-05-20 00:00+00' + g * interval '1 minute',
	   jsonb_build_object('note', repeat('x', 60000))
FROM generate_series(1, 80) g;
INSERT INTO experiments.metrics (key, type, source, event, window_end)
VALUES ('rollup_converted', 'proportion', 'goal', 'checkout', '7 days');
INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role)
SELECT :exp, id, 'primary' FROM experiments.metrics WHERE key = 'rollup_converted';
RESET experiments.tenant;
SET SESSION AUTHORIZATION regress_maint;
SELECT experiments.create_event_partitions(0) >= 0 AS made;
RESET SESSION AUTHORIZATION;

-- Every answer of the experiment, for a window, in one jsonb: daily_metrics(),
-- the results per goal and the results per metric (with CUPED, which reads
-- the pre-period), each sorted.
CREATE FUNCTION pg_temp.answers(exp bigint, since timestamptz, until timestamptz)
RETURNS jsonb
LANGUAGE sql
AS $$
	SELECT jsonb_build_object(
		'daily', (SELECT jsonb_agg(to_jsonb(d) ORDER BY d::text) FROM experiments.daily_metrics(exp, since, until) d),
		'results', (SELECT jsonb_agg(to_jsonb(r) ORDER BY r::text)
					FROM experiments.experiment_results(exp, since, until, method => 'fixed') r),
		'metrics', (SELECT jsonb_agg(to_jsonb(m) ORDER BY m::text)
					FROM experiments.metric_results(exp, since, until, method => 'fixed') m));
$$;
-- Whether the rollups give the event rows' answers for these windows, in
-- one snapshot; and how many scans of the exposure and goal partitions they
-- needed.
CREATE FUNCTION pg_temp.same(exp bigint)
RETURNS TABLE (since timestamptz, until timestamptz, same boolean, exposure_scans bigint, goal_scans bigint)
LANGUAGE plpgsql
AS $$
DECLARE
	w record;
	rows jsonb;
	scans bigint;
	goal_scans_before bigint;
BEGIN
	FOR w IN SELECT * FROM (VALUES (timestamptz '-infinity', timestamptz 'infinity'),
								   ('2025-05-01 00:00+00', '2025-07-01 00:00+00'),
								   ('2025-05-16 00:00+00', '2025-06-16 00:00+00'),
								   ('2025-05-20 00:00+00', '2025-07-01 00:00+00'),
								   ('2025-06-01 00:00+00', '2025-06-20 00:00+00')) v(s, u) LOOP
		PERFORM set_config('experiments.read_exposure_rollups', 'off', true);
		rows := pg_temp.answers(exp, w.s, w.u);
		PERFORM set_config('experiments.read_exposure_rollups', 'on', true);
		scans := (SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_xact_user_tables
				  WHERE relname LIKE 'exposures%');
		goal_scans_before := (SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_xact_user_tables
							  WHERE relname LIKE 'goal\_events%');
		same := rows = pg_temp.answers(exp, w.s, w.u);
		-- (an unbounded window reads every other month's partition)
		exposure_scans := CASE WHEN isfinite(w.s) THEN (SELECT sum(seq_scan + coalesce(idx_scan, 0))
			FROM pg_stat_xact_user_tables WHERE relname LIKE 'exposures%') - scans END;
		goal_scans := CASE WHEN isfinite(w.s) THEN (SELECT sum(seq_scan + coalesce(idx_scan, 0))
			FROM pg_stat_xact_user_tables WHERE relname LIKE 'goal\_events%') - goal_scans_before END;
		since := w.s;
		until := w.u;
		RETURN NEXT;
	END LOOP;
END;
$$;
GRANT EXECUTE ON FUNCTION pg_temp.answers(bigint, timestamptz, timestamptz), pg_temp.same(bigint) TO regress_bi;

-- Before any rollup: the same, from the exposure rows (3 queries each).
SET experiments.tenant = :'tenant';
SET SESSION AUTHORIZATION regress_bi;
BEGIN;
SELECT * FROM pg_temp.same(:exp);
COMMIT;
RESET SESSION AUTHORIZATION;

-- Maintenance rolls up May and June 2025 (among other months): one row per
-- unit exposed in each month.
SET SESSION AUTHORIZATION regress_maint;
CALL experiments.maintain_partitions();
RESET SESSION AUTHORIZATION;
SELECT p.from_time, p.to_time, p.recorded_before, p.part::text
FROM experiments.exposure_rollup_periods p
WHERE p.from_time IN ('2025-05-01 00:00+00', '2025-06-01 00:00+00') ORDER BY 1;
SELECT r.from_time, count(*) AS units, count(DISTINCT u.unit) = count(*) AS each_once,
	   count(*) = (SELECT count(DISTINCT e.unit) FROM experiments.exposures e
				   WHERE e.experiment_id = :exp AND date_trunc('month', e.exposed_at, 'UTC') = r.from_time) AS every_unit,
	   bool_and(r.bucket = experiments_internal.unit_bucket(u.unit)) AS in_its_bucket
FROM experiments.exposure_rollups r, unnest(r.units) u(unit) WHERE r.experiment_id = :exp GROUP BY 1 ORDER BY 1;
-- An entry per unit: its first exposure, the variant then (the lowest on a
-- tie), its last, as plain SQL finds them.
SELECT count(*) AS wrong FROM experiments.exposure_rollups r,
	unnest(r.units, r.ordinals, r.first_ats, r.last_ats) u(unit, ordinal, first_at, last_at)
JOIN LATERAL (SELECT min(e.exposed_at) AS first_at, max(e.exposed_at) AS last_at
			  FROM experiments.exposures e
			  WHERE e.experiment_id = :exp AND e.unit = u.unit
				AND date_trunc('month', e.exposed_at, 'UTC') = r.from_time) x ON true
WHERE r.experiment_id = :exp
  AND (u.first_at <> x.first_at OR u.last_at <> x.last_at OR u.ordinal <> (
	SELECT min(e.ordinal) FROM experiments.exposures e
	WHERE e.experiment_id = r.experiment_id AND e.unit = u.unit AND e.exposed_at = u.first_at));

-- The goal events of May and June, each once, in its unit's bucket, as the
-- rows hold them (every tenant's: those of other suites too).
SELECT r.from_time, count(*) = (SELECT count(*) FROM experiments.goal_events g
								WHERE date_trunc('month', g.achieved_at, 'UTC') = r.from_time) AS every_goal,
	   bool_and(r.bucket = experiments_internal.unit_bucket(u.unit)) AS in_its_bucket,
	   (SELECT p.goals FROM experiments.exposure_rollup_periods p WHERE p.from_time = r.from_time) = count(*) AS counted
FROM experiments.goal_rollups r, unnest(r.units) u(unit)
WHERE r.from_time IN ('2025-05-01 00:00+00', '2025-06-01 00:00+00') GROUP BY 1 ORDER BY 1;
SELECT count(*) AS unmatched FROM (
	(SELECT r.tenant_id, r.unit_type, u.unit, u.achieved_at, u.goal, nullif(u.properties, 'null') AS properties
	 FROM experiments.goal_rollups r, unnest(r.units, r.achieved_ats, r.goals, r.properties) u(unit, achieved_at, goal, properties)
	 WHERE r.from_time IN ('2025-05-01 00:00+00', '2025-06-01 00:00+00')
	 EXCEPT ALL
	 SELECT g.tenant_id, g.unit_type, g.unit, g.achieved_at, g.goal, g.properties FROM experiments.goal_events g
	 WHERE g.achieved_at >= '2025-05-01 00:00+00' AND g.achieved_at < '2025-07-01 00:00+00')
	UNION ALL
	(SELECT g.tenant_id, g.unit_type, g.unit, g.achieved_at, g.goal, g.properties FROM experiments.goal_events g
	 WHERE g.achieved_at >= '2025-05-01 00:00+00' AND g.achieved_at < '2025-07-01 00:00+00'
	 EXCEPT ALL
	 SELECT r.tenant_id, r.unit_type, u.unit, u.achieved_at, u.goal, nullif(u.properties, 'null')
	 FROM experiments.goal_rollups r, unnest(r.units, r.achieved_ats, r.goals, r.properties) u(unit, achieved_at, goal, properties)
	 WHERE r.from_time IN ('2025-05-01 00:00+00', '2025-06-01 00:00+00'))) x;

-- A row holds about 4 MB at most, its properties counted as text (as the
-- results hold them once read): ru-big's 80 goals take two rows.
SELECT count(*) AS big_rows,
	   max((SELECT sum(octet_length(p::text)) FROM unnest(r.properties) p)) <= 4194304 + 60100 AS bounded
FROM experiments.goal_rollups r
WHERE r.tenant_id = :'tenant' AND r.from_time = '2025-05-01 00:00+00' AND 'ru-big' = ANY (r.units);

-- A row not as maintenance writes it (a NULL among its units or properties,
-- which only a superuser could write) is refused to the analyst who reads
-- it, never misread.
BEGIN;
UPDATE experiments.exposure_rollups SET units[1] = NULL
WHERE experiment_id = :exp AND from_time = '2025-05-01 00:00+00' AND bucket = 0;
SET LOCAL experiments.tenant = :'tenant';
SET LOCAL SESSION AUTHORIZATION regress_bi;
SELECT count(*) FROM experiments.daily_metrics(:exp, '2025-05-01 00:00+00', '2025-06-01 00:00+00');
ROLLBACK;
BEGIN;
UPDATE experiments.goal_rollups SET properties[1] = NULL
WHERE tenant_id = :'tenant' AND from_time = '2025-05-01 00:00+00'
  AND bucket = (SELECT min(bucket) FROM experiments.goal_rollups WHERE tenant_id = :'tenant' AND from_time = '2025-05-01 00:00+00');
SET LOCAL experiments.tenant = :'tenant';
SET LOCAL SESSION AUTHORIZATION regress_bi;
SELECT count(*) FROM experiments.daily_metrics(:exp, '2025-05-01 00:00+00', '2025-06-01 00:00+00');
ROLLBACK;

-- A window that holds all of the experiment's exposures of a month reads
-- its rollup, even if it cuts the month (the experiment's exposures began on
-- May 16 and end on June 15); one that cuts them (from May 20) reads the
-- month's exposure rows.
SET SESSION AUTHORIZATION regress_bi;
BEGIN;
SELECT * FROM pg_temp.same(:exp);
COMMIT;
RESET SESSION AUTHORIZATION;

-- At work_mem 64kB (hash_mem_multiplier 1) a month's rollup holds more of
-- the units (about 2,000 of 3,000) than memory could: the pass spills before
-- its first row (it says so at DEBUG1, then how many partitions it reads
-- back), instead of filling memory first as it does from the exposure rows.
-- The same answers.
SET SESSION AUTHORIZATION regress_bi;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT count(*) > 0 AS warmed FROM experiments.daily_metrics(:exp, '2025-05-01 00:00+00', '2025-07-01 00:00+00');
SET client_min_messages = debug1;
SELECT count(*) > 0 AS counted FROM experiments.daily_metrics(:exp, '2025-05-01 00:00+00', '2025-07-02 00:00+00');
RESET client_min_messages;
-- The rollup's units are not among the records spilled: each partition,
-- as it is read back, first reads the units of its buckets from the rollup,
-- and last the goal events of its buckets, so May's rollups are read twice
-- (by their indexes), once a partition.
BEGIN;
SELECT coalesce(sum(idx_scan), 0) AS scans FROM pg_stat_xact_user_tables WHERE relname = 'exposure_rollups' \gset
SELECT coalesce(sum(idx_scan), 0) AS goal_scans FROM pg_stat_xact_user_tables WHERE relname = 'goal_rollups' \gset
SELECT count(*) > 0 AS counted FROM experiments.daily_metrics(:exp, '2025-05-01 00:00+00', '2025-06-01 00:00+00');
SELECT sum(idx_scan) - :scans AS rollup_scans FROM pg_stat_xact_user_tables WHERE relname = 'exposure_rollups';
SELECT sum(idx_scan) - :goal_scans AS goal_rollup_scans FROM pg_stat_xact_user_tables WHERE relname = 'goal_rollups';
COMMIT;
BEGIN;
SELECT since, until, same FROM pg_temp.same(:exp);
COMMIT;
RESET work_mem;
RESET hash_mem_multiplier;
RESET SESSION AUTHORIZATION;

-- Late exposures: into May, one that makes a unit's first exposure earlier
-- (and its variant another, before the windows that start on May 16) and a
-- new unit; into June, after the experiment's last exposure so far (within
-- the windows that end in July, not the one that ends on June 16 or 20),
-- written as publish() writes them: as the owner of the API's tables, no
-- superuser. (Writers whose snapshot is older than a rollup made meanwhile:
-- test/specs/exposure_rollup_race.spec.)
SET experiments.tenant = :'tenant';
SET ROLE experiments_api_owner;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
VALUES (:exp, 1, 'user_id', 'ru-10', '2025-05-02 00:00+00', true, true, false, false, false, false),
	   (:exp, 0, 'user_id', 'ru-late', '2025-05-30 00:00+00', true, true, false, false, false, false),
	   (:exp, 2, 'user_id', 'ru-12', '2025-06-25 00:00+00', true, true, false, false, false, false);
-- and late goals: of ru-10 after its new first exposure and before its old
-- one, of the new unit with a value, and into June.
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
VALUES ('user_id', 'ru-10', 'checkout', '2025-05-03 00:00+00', NULL),
	   ('user_id', 'ru-late', 'checkout', '2025-05-30 01:00+00', '{"value": 17}'),
	   ('user_id', 'ru-12', 'signup', '2025-06-26 00:00+00', '{"value": 3}');
RESET ROLE;
SELECT kind, unit, ordinal, goal FROM experiments.exposure_rollup_changes ORDER BY unit, kind;
SET SESSION AUTHORIZATION regress_bi;
BEGIN;
SELECT * FROM pg_temp.same(:exp);
COMMIT;
RESET SESSION AUTHORIZATION;

-- Maintenance folds them in: no change left, the units and goals in the rollup.
SET SESSION AUTHORIZATION regress_maint;
CALL experiments.maintain_partitions();
RESET SESSION AUTHORIZATION;
SELECT count(*) AS changes_left FROM experiments.exposure_rollup_changes;
SELECT u.unit, u.goal, u.achieved_at, u.properties FROM experiments.goal_rollups r,
	unnest(r.units, r.goals, r.achieved_ats, r.properties) u(unit, goal, achieved_at, properties)
WHERE r.tenant_id = :'tenant' AND u.unit IN ('ru-10', 'ru-12', 'ru-late') ORDER BY u.unit, u.achieved_at;
SELECT u.unit, u.ordinal, u.first_at FROM experiments.exposure_rollups r, unnest(r.units, r.ordinals, r.first_ats) u(unit, ordinal, first_at)
WHERE r.experiment_id = :exp AND u.unit IN ('ru-10', 'ru-12', 'ru-late') ORDER BY u.unit, u.first_at;
SELECT from_time, first_at, last_at, units FROM experiments.exposure_rollup_experiments
WHERE experiment_id = :exp ORDER BY from_time;

-- A delete withdraws the month's rollup: its rows are read again. So does
-- a goal's.
DELETE FROM experiments.exposures WHERE experiment_id = :exp AND unit = 'ru-11' AND exposed_at < '2025-06-01 00:00+00';
DELETE FROM experiments.goal_events WHERE tenant_id = :'tenant' AND unit = 'ru-late';
SELECT kind, from_time, count(*) FROM experiments.exposure_rollup_changes GROUP BY 1, 2 ORDER BY 1, 2;
SET SESSION AUTHORIZATION regress_bi;
BEGIN;
SELECT * FROM pg_temp.same(:exp);
COMMIT;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_maint;
CALL experiments.maintain_partitions();
RESET SESSION AUTHORIZATION;
SELECT count(*) AS changes_left FROM experiments.exposure_rollup_changes;

-- Another tenant's analyst sees none of the rollups' units.
SELECT experiments.create_tenant('rollups-other') AS other \gset
SET experiments.tenant = :'other';
SET SESSION AUTHORIZATION regress_bi;
SELECT count(*) AS rollups_seen, (SELECT count(*) FROM experiments.exposure_rollup_changes) AS changes_seen,
	   (SELECT count(*) FROM experiments.goal_rollups) AS goal_rollups_seen
FROM experiments.exposure_rollups;
-- Nor does anyone write them but maintenance.
DELETE FROM experiments.exposure_rollups;
DELETE FROM experiments.goal_rollups;
SELECT experiments_internal.roll_up_exposures('2025-05-01 00:00+00', '2025-06-01 00:00+00');
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;

-- Retention detaches June's goal events (forced: other suites' experiments
-- started long ago): the month's rollup goes with them, and the triggers of
-- both partitions; maintenance rolls June's exposures up again, alone. Then
-- June's exposures: their rollup goes too, and the answers are those of the
-- event rows left (May's).
SET SESSION AUTHORIZATION regress_maint;
SELECT experiments_internal.retire_event_partition('goal_events', '2025-06-01', 'detach', true);
RESET SESSION AUTHORIZATION;
SELECT (SELECT count(*) FROM experiments.exposure_rollup_periods WHERE from_time = '2025-06-01 00:00+00') AS june_periods,
	   (SELECT count(*) FROM experiments.goal_rollups WHERE from_time = '2025-06-01 00:00+00') AS june_goal_rows,
	   (SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('experiments.exposures_202506'::regclass,
			'experiments.goal_events_202506_detached'::regclass)) AS june_triggers;
SET SESSION AUTHORIZATION regress_maint;
CALL experiments.maintain_partitions();
SELECT experiments_internal.retire_event_partition('exposures', '2025-06-01', 'detach', true);
RESET SESSION AUTHORIZATION;
SELECT count(*) AS june_periods FROM experiments.exposure_rollup_periods WHERE from_time = '2025-06-01 00:00+00';
SELECT count(*) AS june_rows FROM experiments.exposure_rollups WHERE from_time = '2025-06-01 00:00+00';
SET experiments.tenant = :'tenant';
SET SESSION AUTHORIZATION regress_bi;
BEGIN;
SELECT * FROM pg_temp.same(:exp);
COMMIT;
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;
DROP TABLE experiments.exposures_202506_detached, experiments.goal_events_202506_detached;

-- May's goal events detached by hand: maintenance removes the month's
-- rollup and rolls its exposures up again, alone.
ALTER TABLE experiments.goal_events DETACH PARTITION experiments.goal_events_202505;
SET SESSION AUTHORIZATION regress_maint;
CALL experiments.maintain_partitions();
RESET SESSION AUTHORIZATION;
SELECT p.goal_part, p.goals, p.snapshot IS NOT NULL AS rolled_up,
	   (SELECT count(*) FROM experiments.goal_rollups WHERE from_time = '2025-05-01 00:00+00') AS may_goal_rows,
	   (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'experiments.goal_events_202505'::regclass) AS may_goal_triggers
FROM experiments.exposure_rollup_periods p WHERE p.from_time = '2025-05-01 00:00+00';
DROP TABLE experiments.goal_events_202505;

-- May detached by hand: maintenance removes its rollup and its triggers.
ALTER TABLE experiments.exposures DETACH PARTITION experiments.exposures_202505;
SET SESSION AUTHORIZATION regress_maint;
CALL experiments.maintain_partitions();
RESET SESSION AUTHORIZATION;
SELECT (SELECT count(*) FROM experiments.exposure_rollup_periods WHERE from_time = '2025-05-01 00:00+00') AS may_periods,
	   (SELECT count(*) FROM experiments.exposure_rollups WHERE from_time = '2025-05-01 00:00+00') AS may_rows,
	   (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'experiments.exposures_202505'::regclass) AS may_triggers;
DROP TABLE experiments.exposures_202505;
\i sql/helpers/drop_logins.sql
