-- experiments: exposure and goal rollups (docs/results.md, "Exposure rollups").
-- Maintenance rolls the exposures of a monthly partition up to one entry per
-- experiment and unit: its first exposure, the variant then shown (the lowest
-- ordinal on a tie) and its last exposure, which is all the results keep of a
-- unit's exposures. The entries are packed into arrays, a row per experiment,
-- bucket of units and up to 4096 units, so that reading a unit costs no row
-- of its own. Results then read those rows, several times fewer than the
-- exposures, for every month of their window rolled up, and the exposure rows
-- elsewhere. The goal events of the month of the same period are packed the
-- same way, every event kept, a row per tenant, unit type, bucket of units
-- and up to 4096 events (and about 4 MB): a tenant's goals are then read
-- without the rows of other tenants that share the month's pages, a bucket
-- at a time when the results' units outgrow memory.
--
-- The rollup of a month must never miss a row a reader sees. Before it is
-- made, triggers on the partitions start recording every later change to
-- their rows before the rollup's time (a late exposure or goal, an update, a
-- delete, a truncate), with the writer's transaction; the rollup keeps the
-- snapshot its rows were read with. A reader takes the rolled-up rows, plus
-- the recorded exposures and goals that snapshot did not see, and falls back
-- to the event rows of the month when a recorded update, delete or truncate
-- is one the snapshot did not see. Whatever the writers' isolation level, and
-- with no lock that would stop them. A change is in the rollup or unseen by
-- its snapshot, never both (goals are summed: one counted twice would change
-- the answers); a change in neither cannot happen: the triggers are in
-- place, every writer that could have missed them finished, before the
-- snapshot is taken (prepare_exposure_rollup()).
--
-- None of these tables is dumped: a restored database has no rollups (its
-- transaction ids are not those the snapshots name) and reads the exposure
-- rows until maintenance rolls them up again.

CREATE TABLE experiments.exposure_rollups (
	tenant_id uuid NOT NULL,
	experiment_id bigint NOT NULL,
	from_time timestamptz NOT NULL,
	bucket integer NOT NULL,
	units text[] NOT NULL,
	ordinals integer[] NOT NULL,
	first_ats timestamptz[] NOT NULL,
	last_ats timestamptz[] NOT NULL,
	CONSTRAINT exposure_rollups_packed CHECK (array_ndims(units) = 1 AND array_ndims(ordinals) = 1
		AND array_ndims(first_ats) = 1 AND array_ndims(last_ats) = 1 AND cardinality(ordinals) = cardinality(units)
		AND cardinality(first_ats) = cardinality(units) AND cardinality(last_ats) = cardinality(units))
);
CREATE INDEX exposure_rollups_experiment_idx ON experiments.exposure_rollups (experiment_id, from_time, bucket);
COMMENT ON TABLE experiments.exposure_rollups IS
'The exposures of a rolled-up month (experiments.exposure_rollup_periods), an entry per experiment and unit packed into arrays (a row holds up to 4096 units of one bucket), which the results read instead of the exposure rows; unnest(units, ordinals, first_ats, last_ats) gives a row per unit. Written by maintenance only.';
COMMENT ON COLUMN experiments.exposure_rollups.tenant_id IS 'The tenant of the experiment; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.exposure_rollups.experiment_id IS 'The experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.exposure_rollups.from_time IS 'The month''s period (experiments.exposure_rollup_periods.from_time).';
COMMENT ON COLUMN experiments.exposure_rollups.bucket IS 'The bucket of the row''s units, experiments_internal.unit_bucket(unit): the results'' pass keeps a bucket''s units together.';
COMMENT ON COLUMN experiments.exposure_rollups.units IS 'The units, as experiments.exposures.unit; the other arrays hold each unit''s values at the same index.';
COMMENT ON COLUMN experiments.exposure_rollups.ordinals IS 'The variant of each unit''s first exposure in the period (the lowest ordinal when several share that time).';
COMMENT ON COLUMN experiments.exposure_rollups.first_ats IS 'Each unit''s first exposure in the period.';
COMMENT ON COLUMN experiments.exposure_rollups.last_ats IS 'Each unit''s last exposure in the period.';
COMMENT ON CONSTRAINT exposure_rollups_packed ON experiments.exposure_rollups IS
'A row''s arrays are one-dimensional and of one length: an entry per unit.';
ALTER TABLE experiments.exposure_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.exposure_rollups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.exposure_rollups
	USING (tenant_id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.exposure_rollups IS
'Row-level security: a row of this table is seen only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';

-- A unit's bucket in the rollup: the top bits of the hash by which the
-- results' pass partitions units when they outgrow memory (src/results/results.c).
CREATE FUNCTION experiments_internal.unit_bucket(unit text)
RETURNS integer
AS 'MODULE_PATHNAME', 'unit_bucket'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION experiments_internal.unit_bucket(text) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.unit_bucket(text) IS
'The bucket of experiments.exposure_rollups a unit''s entry goes to, 0 to 127: the top 7 bits of the hash (XXH3 of the unit''s bytes) by which the results'' pass partitions units when they outgrow work_mem.';

CREATE TABLE experiments.goal_rollups (
	tenant_id uuid NOT NULL,
	unit_type text NOT NULL,
	from_time timestamptz NOT NULL,
	bucket integer NOT NULL,
	units text[] NOT NULL,
	achieved_ats timestamptz[] NOT NULL,
	goals text[] NOT NULL,
	properties jsonb[] NOT NULL,
	CONSTRAINT goal_rollups_packed CHECK (array_ndims(units) = 1 AND array_ndims(achieved_ats) = 1
		AND array_ndims(goals) = 1 AND array_ndims(properties) = 1 AND cardinality(achieved_ats) = cardinality(units)
		AND cardinality(goals) = cardinality(units) AND cardinality(properties) = cardinality(units))
);
CREATE INDEX goal_rollups_tenant_idx ON experiments.goal_rollups (tenant_id, unit_type, from_time, bucket);
COMMENT ON TABLE experiments.goal_rollups IS
'The goal events of a rolled-up month (experiments.exposure_rollup_periods), every event kept, packed into arrays (a row holds up to 4096 events, and about 4 MB, of one tenant, unit type and bucket of units), which the results read instead of the goal rows; unnest(units, achieved_ats, goals, properties) gives a row per event. Written by maintenance only.';
COMMENT ON COLUMN experiments.goal_rollups.tenant_id IS 'The tenant of the events; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.goal_rollups.unit_type IS 'The events'' unit type (experiments.goal_events.unit_type).';
COMMENT ON COLUMN experiments.goal_rollups.from_time IS 'The month''s period (experiments.exposure_rollup_periods.from_time).';
COMMENT ON COLUMN experiments.goal_rollups.bucket IS 'The bucket of the row''s units, experiments_internal.unit_bucket(unit), as in experiments.exposure_rollups.';
COMMENT ON COLUMN experiments.goal_rollups.units IS 'Each event''s unit, as experiments.goal_events.unit; the other arrays hold the event''s values at the same index.';
COMMENT ON COLUMN experiments.goal_rollups.achieved_ats IS 'Each event''s time (experiments.goal_events.achieved_at).';
COMMENT ON COLUMN experiments.goal_rollups.goals IS 'Each event''s goal (experiments.goal_events.goal).';
COMMENT ON COLUMN experiments.goal_rollups.properties IS 'Each event''s properties (experiments.goal_events.properties), JSON null for none: an array of a row holds no NULL.';
COMMENT ON CONSTRAINT goal_rollups_packed ON experiments.goal_rollups IS
'A row''s arrays are one-dimensional and of one length: an entry per event.';
ALTER TABLE experiments.goal_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.goal_rollups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.goal_rollups
	USING (tenant_id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.goal_rollups IS
'Row-level security: a row of this table is seen only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';

CREATE TABLE experiments.exposure_rollup_experiments (
	from_time timestamptz NOT NULL,
	experiment_id bigint NOT NULL,
	tenant_id uuid NOT NULL,
	first_at timestamptz NOT NULL,
	last_at timestamptz NOT NULL,
	units bigint NOT NULL,
	PRIMARY KEY (from_time, experiment_id)
);
COMMENT ON TABLE experiments.exposure_rollup_experiments IS
'Per rolled-up period and experiment, when its exposures in the rollup begin and end: a window that holds them all reads the rollup even if it cuts the month (an experiment started mid-month, read from its start). Written by maintenance only.';
COMMENT ON COLUMN experiments.exposure_rollup_experiments.from_time IS 'The period (experiments.exposure_rollup_periods.from_time).';
COMMENT ON COLUMN experiments.exposure_rollup_experiments.experiment_id IS 'The experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.exposure_rollup_experiments.tenant_id IS 'The tenant of the experiment; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.exposure_rollup_experiments.first_at IS 'The experiment''s first exposure in the rollup.';
COMMENT ON COLUMN experiments.exposure_rollup_experiments.last_at IS 'The experiment''s last exposure in the rollup.';
COMMENT ON COLUMN experiments.exposure_rollup_experiments.units IS 'The experiment''s units in the rollup: units exposed in the period.';
ALTER TABLE experiments.exposure_rollup_experiments ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.exposure_rollup_experiments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.exposure_rollup_experiments
	USING (tenant_id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.exposure_rollup_experiments IS
'Row-level security: a row of this table is seen only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';

CREATE TABLE experiments.exposure_rollup_periods (
	from_time timestamptz PRIMARY KEY,
	part regclass NOT NULL,
	goal_part regclass,
	recorded_before timestamptz NOT NULL,
	to_time timestamptz,
	snapshot pg_catalog.pg_snapshot,
	units bigint,
	goals bigint,
	rolled_up_at timestamptz,
	CONSTRAINT exposure_rollup_periods_rolled_up CHECK ((to_time IS NULL) = (snapshot IS NULL)),
	CONSTRAINT exposure_rollup_periods_recorded CHECK (to_time <= recorded_before)
);
COMMENT ON TABLE experiments.exposure_rollup_periods IS
'One row per monthly partition of experiments.exposures that maintenance rolls up, with the partition of experiments.goal_events of the same month: since when their triggers record changes, and what the rollup covers. Holds no tenant''s data.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.from_time IS 'The partition''s lower bound: the period covers exposures from it.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.part IS 'The partition; a rollup counts only while it is attached to experiments.exposures.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.goal_part IS 'The partition of experiments.goal_events of the same bounds, NULL if none; its rollup counts only while it is attached.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.recorded_before IS 'The partitions'' triggers record every change to their rows exposed or achieved before this time (experiments.exposure_rollup_changes).';
COMMENT ON COLUMN experiments.exposure_rollup_periods.to_time IS 'The rollup covers the exposures and goal events from from_time to this time (excluded); NULL before the first rollup.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.snapshot IS 'The snapshot the rollup was made from: recorded changes it does not see are not in the rollup.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.units IS 'Units the rollup holds (units per experiment, summed over the experiments).';
COMMENT ON COLUMN experiments.exposure_rollup_periods.goals IS 'Goal events the rollup holds (experiments.goal_rollups); NULL when the month has no goal events'' partition.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.rolled_up_at IS 'When the rollup was made.';

CREATE TABLE experiments.exposure_rollup_changes (
	from_time timestamptz NOT NULL,
	xact pg_catalog.xid8 NOT NULL,
	kind text NOT NULL CHECK (kind IN ('exposure', 'goal', 'change')),
	tenant_id uuid,
	experiment_id bigint,
	unit text,
	ordinal integer,
	exposed_at timestamptz,
	unit_type text,
	goal text,
	achieved_at timestamptz,
	properties jsonb,
	CONSTRAINT exposure_rollup_changes_exposure CHECK ((kind = 'exposure') =
		(tenant_id IS NOT NULL AND experiment_id IS NOT NULL AND unit IS NOT NULL AND ordinal IS NOT NULL AND exposed_at IS NOT NULL)),
	CONSTRAINT exposure_rollup_changes_goal CHECK ((kind = 'goal') =
		(tenant_id IS NOT NULL AND unit_type IS NOT NULL AND unit IS NOT NULL AND goal IS NOT NULL AND achieved_at IS NOT NULL))
);
CREATE INDEX exposure_rollup_changes_period_idx ON experiments.exposure_rollup_changes (from_time, experiment_id);
CREATE INDEX exposure_rollup_changes_goal_idx ON experiments.exposure_rollup_changes (from_time, tenant_id) WHERE kind = 'goal';
COMMENT ON TABLE experiments.exposure_rollup_changes IS
'Changes to the exposures and goal events of a period written after its triggers were set (exposure_rollup_periods.recorded_before): exposures and goals inserted late, and updates, deletes and truncates. Maintenance removes those its next rollup includes.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.from_time IS 'The period (experiments.exposure_rollup_periods.from_time).';
COMMENT ON COLUMN experiments.exposure_rollup_changes.xact IS 'The writer''s transaction: a rollup whose snapshot sees it includes the change.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.kind IS 'exposure: an exposure inserted (tenant_id to exposed_at); goal: a goal event inserted (tenant_id, unit and unit_type to properties); change: an update, delete or truncate of either, after which the period''s exposure and goal rows are read instead of a rollup that does not see it.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.tenant_id IS 'The exposure''s or goal event''s tenant; row-level security shows a transaction only its own tenant''s events.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.experiment_id IS 'The exposure''s experiment.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.unit IS 'The exposure''s or goal event''s unit.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.ordinal IS 'The exposure''s variant.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.exposed_at IS 'The exposure''s time.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.unit_type IS 'The goal event''s unit type.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.goal IS 'The goal event''s goal.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.achieved_at IS 'The goal event''s time.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.properties IS 'The goal event''s properties.';
ALTER TABLE experiments.exposure_rollup_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.exposure_rollup_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.exposure_rollup_changes
	USING (tenant_id IS NULL OR tenant_id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.exposure_rollup_changes IS
'Row-level security: an exposure is seen only in a transaction whose tenant (experiments.current_tenant()) is its tenant_id; an update, delete or truncate, which names no tenant, by every reader, as it withdraws the period''s rollup for all.';

-- The partitions' triggers: every change to a row before the period's
-- recorded_before, in the writer's transaction; TG_ARGV[1] says which table
-- the row is of.
CREATE FUNCTION experiments_internal.record_rollup_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' AND TG_ARGV[1] = 'exposure' THEN
		INSERT INTO experiments.exposure_rollup_changes
			(from_time, xact, kind, tenant_id, experiment_id, unit, ordinal, exposed_at)
		VALUES (to_timestamp(TG_ARGV[0]::bigint), pg_current_xact_id(), 'exposure', NEW.tenant_id, NEW.experiment_id,
				NEW.unit, NEW.ordinal, NEW.exposed_at);
	ELSIF TG_OP = 'INSERT' THEN
		INSERT INTO experiments.exposure_rollup_changes
			(from_time, xact, kind, tenant_id, unit_type, unit, goal, achieved_at, properties)
		VALUES (to_timestamp(TG_ARGV[0]::bigint), pg_current_xact_id(), 'goal', NEW.tenant_id, NEW.unit_type,
				NEW.unit, NEW.goal, NEW.achieved_at, NEW.properties);
	ELSE
		INSERT INTO experiments.exposure_rollup_changes (from_time, xact, kind)
		VALUES (to_timestamp(TG_ARGV[0]::bigint), pg_current_xact_id(), 'change');
	END IF;
	RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.record_rollup_change() FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.record_rollup_change() IS
'Trigger of a rolled-up partition of experiments.exposures or experiments.goal_events (TG_ARGV[1]: exposure or goal): records an inserted exposure or goal event, or that rows were updated, deleted or truncated, in experiments.exposure_rollup_changes (for the period starting at TG_ARGV[0], in seconds since 1970).';

-- What maintenance prepares to roll up: every monthly partition of the
-- exposures that began before today (UTC), up to today or its end, when its
-- triggers are not set for that time yet or its period is of another table
-- (of the exposures, or of the goal events of the same bounds).
-- (Changes recorded since a rollup need no new triggers: exposure_rollups_due()
-- folds them in.)
CREATE FUNCTION experiments_internal.exposure_rollup_plan()
RETURNS TABLE (part regclass, from_time timestamptz, to_time timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT b.part, b.from_time, least(b.to_time, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
	FROM experiments_internal.event_partition_bounds('exposures') b
	LEFT JOIN experiments_internal.event_partition_bounds('goal_events') g ON g.from_time = b.from_time AND g.to_time = b.to_time
	LEFT JOIN experiments.exposure_rollup_periods p ON p.from_time = b.from_time
	WHERE b.from_time < date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
	  AND (p.part IS DISTINCT FROM b.part OR p.goal_part IS DISTINCT FROM g.part
		   OR p.recorded_before IS DISTINCT FROM least(b.to_time, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'))
	ORDER BY b.from_time;
$$;
REVOKE ALL ON FUNCTION experiments_internal.exposure_rollup_plan() FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.exposure_rollup_plan() IS
'Part of maintenance: the partitions of experiments.exposures to roll up, with the goal events of the same months, and up to when (today''s UTC midnight, or the partition''s end).';

-- The periods prepared, whose rollup is not of the time their triggers are
-- set for, or has changes to fold in.
CREATE FUNCTION experiments_internal.exposure_rollups_due()
RETURNS TABLE (from_time timestamptz, to_time timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT p.from_time, p.recorded_before FROM experiments.exposure_rollup_periods p
	WHERE p.to_time IS DISTINCT FROM p.recorded_before
	   OR EXISTS (SELECT FROM experiments.exposure_rollup_changes c WHERE c.from_time = p.from_time)
	ORDER BY p.from_time;
$$;
REVOKE ALL ON FUNCTION experiments_internal.exposure_rollups_due() FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.exposure_rollups_due() IS
'Part of maintenance: the prepared periods of experiments.exposures to roll up (again), and up to when.';

-- First transaction of a rollup: the triggers of the partition, and of the
-- goal events' partition of the same bounds, set to record changes before
-- to_time. Replacing them locks each partition against writers (not
-- readers) until commit, and waits for the writers already in it: after this
-- commits, every writer of the partitions either finished before or fires
-- the triggers. An existing rollup stays readable meanwhile (its to_time is
-- at most the new one).
CREATE FUNCTION experiments_internal.prepare_exposure_rollup(part regclass, from_time timestamptz, to_time timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
	period_start bigint;
	goal_part regclass;
	target record;
	trigger_name text;
BEGIN
	IF NOT EXISTS (SELECT FROM experiments_internal.event_partition_bounds('exposures') b
				   WHERE b.part = prepare_exposure_rollup.part AND b.from_time = prepare_exposure_rollup.from_time
					 AND b.to_time >= prepare_exposure_rollup.to_time AND prepare_exposure_rollup.to_time > b.from_time) THEN
		RAISE EXCEPTION 'no partition of experiments.exposures from % to roll up to %', from_time, to_time
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A rollup covers part of an attached monthly partition of experiments.exposures, from its start.';
	END IF;
	SELECT g.part INTO goal_part FROM experiments_internal.event_partition_bounds('exposures') b
	JOIN experiments_internal.event_partition_bounds('goal_events') g ON g.from_time = b.from_time AND g.to_time = b.to_time
	WHERE b.part = prepare_exposure_rollup.part;
	period_start := extract(epoch FROM from_time)::bigint;
	FOR target IN SELECT * FROM (VALUES (part, 'exposure', 'exposure_rollup', 'exposed_at', 'exposures'),
										(goal_part, 'goal', 'goal_rollup', 'achieved_at', 'goal events')) t(rel, kind, prefix, time_column, what)
				  WHERE t.rel IS NOT NULL LOOP
		EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %s FOR EACH ROW'
					   ' WHEN (NEW.%I < %L) EXECUTE FUNCTION experiments_internal.record_rollup_change(%L, %L)',
					   target.prefix || '_insert', target.rel, target.time_column, to_time, period_start, target.kind);
		EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON %s FOR EACH ROW'
					   ' WHEN (OLD.%I < %L OR NEW.%I < %L) EXECUTE FUNCTION experiments_internal.record_rollup_change(%L, %L)',
					   target.prefix || '_update', target.rel, target.time_column, to_time, target.time_column, to_time,
					   period_start, target.kind);
		EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %s FOR EACH ROW'
					   ' WHEN (OLD.%I < %L) EXECUTE FUNCTION experiments_internal.record_rollup_change(%L, %L)',
					   target.prefix || '_delete', target.rel, target.time_column, to_time, period_start, target.kind);
		EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT'
					   ' EXECUTE FUNCTION experiments_internal.record_rollup_change(%L, %L)',
					   target.prefix || '_truncate', target.rel, period_start, target.kind);
		FOREACH trigger_name IN ARRAY ARRAY[target.prefix || '_insert', target.prefix || '_update',
											target.prefix || '_delete', target.prefix || '_truncate'] LOOP
			-- also when rows arrive by logical replication or session_replication_role = replica
			EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', target.rel, trigger_name);
			EXECUTE format('COMMENT ON TRIGGER %I ON %s IS %L', trigger_name, target.rel,
						   format('Records in experiments.exposure_rollup_changes every change to the %s before %s, which the rollup of the month from %s must not miss (src/events/rollups.sql).',
								  target.what, to_time, from_time));
		END LOOP;
	END LOOP;
	INSERT INTO experiments.exposure_rollup_periods AS p (from_time, part, goal_part, recorded_before)
	VALUES (from_time, part, goal_part, to_time)
	ON CONFLICT ON CONSTRAINT exposure_rollup_periods_pkey DO UPDATE
		SET recorded_before = EXCLUDED.recorded_before,
			part = EXCLUDED.part,
			goal_part = EXCLUDED.goal_part,
			to_time = CASE WHEN p.part = EXCLUDED.part AND p.goal_part IS NOT DISTINCT FROM EXCLUDED.goal_part THEN p.to_time END,
			snapshot = CASE WHEN p.part = EXCLUDED.part AND p.goal_part IS NOT DISTINCT FROM EXCLUDED.goal_part THEN p.snapshot END;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.prepare_exposure_rollup(regclass, timestamptz, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.prepare_exposure_rollup(regclass, timestamptz, timestamptz) IS
'Part of maintenance, the first of a rollup''s two transactions: sets the triggers of a partition of experiments.exposures, and of the partition of experiments.goal_events of the same bounds, to record every change to their rows before to_time.';

-- Second transaction: the rollup, from a snapshot taken after the triggers
-- were set (prepare_exposure_rollup() committed), replacing the last one.
-- The exposures and goal events are rolled up by one statement, whose
-- snapshot is the one kept: a change is either in the rollup or unseen by
-- it, never both, so that a reader counts each goal once.
CREATE FUNCTION experiments_internal.roll_up_exposures(from_time timestamptz, to_time timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	period experiments.exposure_rollup_periods;
	goals_attached boolean;
	seen pg_snapshot;
	written bigint;
	goals_written bigint;
BEGIN
	SELECT * INTO period FROM experiments.exposure_rollup_periods p
	WHERE p.from_time = roll_up_exposures.from_time FOR UPDATE;
	IF NOT FOUND OR period.recorded_before < to_time OR NOT EXISTS (
		SELECT FROM experiments_internal.event_partition_bounds('exposures') b
		WHERE b.part = period.part AND b.from_time = roll_up_exposures.from_time) THEN
		RAISE EXCEPTION 'the exposures from % are not prepared to be rolled up to %', from_time, to_time
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'A rollup needs its partition''s triggers set, in a transaction of its own, by experiments_internal.prepare_exposure_rollup().',
				  HINT = 'Run CALL experiments.maintain_partitions(), which does both.';
	END IF;
	goals_attached := EXISTS (SELECT FROM experiments_internal.event_partition_bounds('goal_events') g
							  WHERE g.part = period.goal_part AND g.from_time = roll_up_exposures.from_time);
	PERFORM set_config('work_mem', current_setting('maintenance_work_mem'), true);
	DELETE FROM experiments.exposure_rollups r WHERE r.from_time = roll_up_exposures.from_time;
	DELETE FROM experiments.exposure_rollup_experiments x WHERE x.from_time = roll_up_exposures.from_time;
	DELETE FROM experiments.goal_rollups r WHERE r.from_time = roll_up_exposures.from_time;
	-- each experiment's bounds from the rows as they are written, not read again
	-- each unit's entry, its bucket computed once a unit (not once an
	-- exposure), into rows of up to 4096 units of a bucket (the arrays of a
	-- row are aggregated from the same rows in the same order); each goal
	-- event into rows of up to 4096 events of a tenant, unit type and bucket,
	-- and of about 4 MB at most (large properties counted as text, as the
	-- reader holds them), so that a reader never holds more at a time
	EXECUTE format('WITH rolled AS (INSERT INTO experiments.exposure_rollups'
				   '  (tenant_id, experiment_id, from_time, bucket, units, ordinals, first_ats, last_ats)'
				   '  SELECT u.tenant_id, u.experiment_id, %1$L, u.bucket, array_agg(u.unit), array_agg(u.ordinal),'
				   '   array_agg(u.first_at), array_agg(u.last_at)'
				   '  FROM (SELECT b.*, (row_number() OVER (PARTITION BY b.experiment_id, b.bucket) - 1) / 4096 AS chunk'
				   '   FROM (SELECT f.*, experiments_internal.unit_bucket(f.unit) AS bucket'
				   '    FROM (SELECT DISTINCT ON (e.experiment_id, e.unit) e.tenant_id, e.experiment_id, e.unit, e.ordinal,'
				   '     e.exposed_at AS first_at, max(e.exposed_at) OVER (PARTITION BY e.experiment_id, e.unit) AS last_at'
				   '     FROM %2$s e WHERE e.exposed_at < %3$L'
				   '     ORDER BY e.experiment_id, e.unit, e.exposed_at, e.ordinal) f) b) u'
				   '  GROUP BY u.tenant_id, u.experiment_id, u.bucket, u.chunk'
				   '  RETURNING tenant_id, experiment_id, (SELECT min(a) FROM unnest(first_ats) a) AS first_at,'
				   '   (SELECT max(a) FROM unnest(last_ats) a) AS last_at, cardinality(units) AS units),'
				   ' experiments_written AS (INSERT INTO experiments.exposure_rollup_experiments'
				   '  (from_time, experiment_id, tenant_id, first_at, last_at, units)'
				   '  SELECT %1$L, r.experiment_id, r.tenant_id, min(r.first_at), max(r.last_at), sum(r.units)'
				   '  FROM rolled r GROUP BY r.experiment_id, r.tenant_id RETURNING units),'
				   ' goals_written AS (INSERT INTO experiments.goal_rollups'
				   '  (tenant_id, unit_type, from_time, bucket, units, achieved_ats, goals, properties)'
				   '  SELECT c.tenant_id, c.unit_type, %1$L, c.bucket, array_agg(c.unit), array_agg(c.achieved_at),'
				   '   array_agg(c.goal), array_agg(coalesce(c.properties, ''null''))'
				   '  FROM (SELECT b.*, greatest((row_number() OVER w - 1) / 4096, sum(b.bytes) OVER w / 4194304) AS chunk'
				   '   FROM (SELECT g.tenant_id, g.unit_type, g.unit, g.goal, g.achieved_at, g.properties,'
				   '    experiments_internal.unit_bucket(g.unit) AS bucket, octet_length(g.unit) + octet_length(g.goal) + 16'
				   '     + CASE WHEN pg_column_size(g.properties) > 256 THEN octet_length(g.properties::text)'
				   '       ELSE coalesce(pg_column_size(g.properties), 0) END AS bytes'
				   '    FROM %4$s g WHERE %5$L AND g.achieved_at < %3$L) b'
				   '   WINDOW w AS (PARTITION BY b.tenant_id, b.unit_type, b.bucket ORDER BY b.unit, b.achieved_at'
				   '    ROWS UNBOUNDED PRECEDING)) c'
				   '  GROUP BY c.tenant_id, c.unit_type, c.bucket, c.chunk'
				   '  RETURNING cardinality(units) AS events)'
				   ' SELECT pg_current_snapshot(), (SELECT coalesce(sum(units), 0) FROM experiments_written),'
				   '  (SELECT coalesce(sum(events), 0) FROM goals_written)',
				   from_time, period.part, to_time, coalesce(period.goal_part, 'experiments.goal_events'::regclass),
				   goals_attached)
		INTO seen, written, goals_written;
	DELETE FROM experiments.exposure_rollup_changes c
	WHERE c.from_time = roll_up_exposures.from_time AND pg_visible_in_snapshot(c.xact, seen);
	UPDATE experiments.exposure_rollup_periods p
	SET to_time = roll_up_exposures.to_time, snapshot = seen, units = written,
		goals = CASE WHEN goals_attached THEN goals_written END, rolled_up_at = now()
	WHERE p.from_time = roll_up_exposures.from_time;
	RETURN written;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.roll_up_exposures(timestamptz, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.roll_up_exposures(timestamptz, timestamptz) IS
'Part of maintenance, the second of a rollup''s two transactions: rolls the exposures of a prepared period up to to_time, an entry per experiment and unit, and packs its goal events (experiments.goal_rollups), replacing its last rollup; returns the units written.';

-- A month retired, of the exposures or of the goal events: the period's
-- rollup goes with it, and so do the triggers of its partitions (the one
-- kept, detached, and the other, rolled up again by the next maintenance).
-- Both event tables are locked first, in the order their writers and
-- retirement take them: dropping a trigger locks its partition, and a reader
-- that held the table and then reached the partition would deadlock with it.
CREATE FUNCTION experiments_internal.drop_exposure_rollup(part regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
	period experiments.exposure_rollup_periods;
	trigger record;
BEGIN
	FOR period IN SELECT * FROM experiments.exposure_rollup_periods p
				  WHERE p.part = drop_exposure_rollup.part OR p.goal_part = drop_exposure_rollup.part FOR UPDATE LOOP
		DELETE FROM experiments.exposure_rollups r WHERE r.from_time = period.from_time;
		DELETE FROM experiments.exposure_rollup_experiments x WHERE x.from_time = period.from_time;
		DELETE FROM experiments.goal_rollups r WHERE r.from_time = period.from_time;
		DELETE FROM experiments.exposure_rollup_changes c WHERE c.from_time = period.from_time;
		DELETE FROM experiments.exposure_rollup_periods p WHERE p.from_time = period.from_time;
		LOCK TABLE ONLY experiments.exposures, experiments.goal_events IN ACCESS EXCLUSIVE MODE;
		FOR trigger IN SELECT t.tgname, t.tgrelid::regclass AS rel FROM pg_trigger t
					   WHERE t.tgrelid IN (period.part, period.goal_part)
						 AND (t.tgname LIKE 'exposure\_rollup\_%' OR t.tgname LIKE 'goal\_rollup\_%') LOOP
			EXECUTE format('DROP TRIGGER %I ON %s', trigger.tgname, trigger.rel);
		END LOOP;
	END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.drop_exposure_rollup(regclass) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.drop_exposure_rollup(regclass) IS
'Part of retention: removes the rollup of the period of a partition of experiments.exposures or experiments.goal_events about to be detached or dropped, and the triggers of the period''s partitions.';

-- Partitions that left experiments.exposures or experiments.goal_events
-- another way (pg_partman's retention, a DROP or DETACH by hand) leave no
-- rollup behind; nor do changes recorded for a period no longer rolled up.
CREATE FUNCTION experiments_internal.drop_detached_exposure_rollups()
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	gone regclass;
	dropped integer := 0;
BEGIN
	FOR gone IN SELECT p.part FROM experiments.exposure_rollup_periods p
				WHERE NOT EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = p.part
								  AND i.inhparent = 'experiments.exposures'::regclass)
				   OR (p.goal_part IS NOT NULL AND NOT EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = p.goal_part
															   AND i.inhparent = 'experiments.goal_events'::regclass)) LOOP
		PERFORM experiments_internal.drop_exposure_rollup(gone);
		dropped := dropped + 1;
	END LOOP;
	DELETE FROM experiments.exposure_rollup_changes c
	WHERE NOT EXISTS (SELECT FROM experiments.exposure_rollup_periods p WHERE p.from_time = c.from_time);
	RETURN dropped;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.drop_detached_exposure_rollups() FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.drop_detached_exposure_rollups() IS
'Part of maintenance: removes the rollups of periods whose partitions are no longer attached to experiments.exposures or experiments.goal_events, and changes recorded for no rolled-up period; returns how many rollups it removed.';
