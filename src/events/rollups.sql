-- experiments: exposure rollups (docs/results.md, "Exposure rollups").
-- Maintenance rolls the exposures of a monthly partition up to one entry per
-- experiment and unit: its first exposure, the variant then shown (the lowest
-- ordinal on a tie) and its last exposure, which is all the results keep of a
-- unit's exposures. The entries are packed into arrays, a row per experiment,
-- bucket of units and up to 4096 units, so that reading a unit costs no row
-- of its own. Results then read those rows, several times fewer than the
-- exposures, for every month of their window rolled up, and the exposure rows
-- elsewhere.
--
-- The rollup of a month must never miss a row a reader sees. Before it is
-- made, triggers on the partition start recording every later change to its
-- rows before the rollup's time (a late exposure, an update, a delete, a
-- truncate), with the writer's transaction; the rollup keeps the snapshot it
-- was made from. A reader takes the rolled-up rows, plus the recorded
-- exposures that snapshot did not see, and falls back to the exposure rows of
-- the month when a recorded update, delete or truncate is one the snapshot
-- did not see. Whatever the writers' isolation level, and with no lock that
-- would stop them. Counting a unit's exposure twice changes nothing (a
-- unit's first and last exposure are a minimum and a maximum), so a change
-- both in the rollup and recorded is harmless; a change in neither cannot
-- happen: the triggers are in place, every writer that could have missed them
-- finished, before the snapshot is taken (prepare_exposure_rollup()).
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
	recorded_before timestamptz NOT NULL,
	to_time timestamptz,
	snapshot pg_catalog.pg_snapshot,
	units bigint,
	rolled_up_at timestamptz,
	CONSTRAINT exposure_rollup_periods_rolled_up CHECK ((to_time IS NULL) = (snapshot IS NULL)),
	CONSTRAINT exposure_rollup_periods_recorded CHECK (to_time <= recorded_before)
);
COMMENT ON TABLE experiments.exposure_rollup_periods IS
'One row per monthly partition of experiments.exposures that maintenance rolls up: since when its triggers record changes, and what the rollup covers. Holds no tenant''s data.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.from_time IS 'The partition''s lower bound: the period covers exposures from it.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.part IS 'The partition; a rollup counts only while it is attached to experiments.exposures.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.recorded_before IS 'The partition''s triggers record every change to its rows exposed before this time (experiments.exposure_rollup_changes).';
COMMENT ON COLUMN experiments.exposure_rollup_periods.to_time IS 'The rollup covers the exposures from from_time to this time (excluded); NULL before the first rollup.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.snapshot IS 'The snapshot the rollup was made from: recorded changes it does not see are not in the rollup.';
COMMENT ON COLUMN experiments.exposure_rollup_periods.units IS 'Units the rollup holds (units per experiment, summed over the experiments).';
COMMENT ON COLUMN experiments.exposure_rollup_periods.rolled_up_at IS 'When the rollup was made.';

CREATE TABLE experiments.exposure_rollup_changes (
	from_time timestamptz NOT NULL,
	xact pg_catalog.xid8 NOT NULL,
	kind text NOT NULL CHECK (kind IN ('exposure', 'change')),
	tenant_id uuid,
	experiment_id bigint,
	unit text,
	ordinal integer,
	exposed_at timestamptz,
	CONSTRAINT exposure_rollup_changes_exposure CHECK ((kind = 'exposure') =
		(tenant_id IS NOT NULL AND experiment_id IS NOT NULL AND unit IS NOT NULL AND ordinal IS NOT NULL AND exposed_at IS NOT NULL))
);
CREATE INDEX exposure_rollup_changes_period_idx ON experiments.exposure_rollup_changes (from_time, experiment_id);
COMMENT ON TABLE experiments.exposure_rollup_changes IS
'Changes to the exposures of a period written after its triggers were set (exposure_rollup_periods.recorded_before): exposures inserted late, and updates, deletes and truncates. Maintenance removes those its next rollup includes.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.from_time IS 'The period (experiments.exposure_rollup_periods.from_time).';
COMMENT ON COLUMN experiments.exposure_rollup_changes.xact IS 'The writer''s transaction: a rollup whose snapshot sees it includes the change.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.kind IS 'exposure: an exposure inserted (its columns follow); change: an update, delete or truncate, after which the period''s exposure rows are read instead of a rollup that does not see it.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.tenant_id IS 'The exposure''s tenant; row-level security shows a transaction only its own tenant''s exposures.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.experiment_id IS 'The exposure''s experiment.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.unit IS 'The exposure''s unit.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.ordinal IS 'The exposure''s variant.';
COMMENT ON COLUMN experiments.exposure_rollup_changes.exposed_at IS 'The exposure''s time.';
ALTER TABLE experiments.exposure_rollup_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.exposure_rollup_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.exposure_rollup_changes
	USING (tenant_id IS NULL OR tenant_id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.exposure_rollup_changes IS
'Row-level security: an exposure is seen only in a transaction whose tenant (experiments.current_tenant()) is its tenant_id; an update, delete or truncate, which names no tenant, by every reader, as it withdraws the period''s rollup for all.';

-- The partition's triggers: every change to a row before the period's
-- recorded_before, in the writer's transaction.
CREATE FUNCTION experiments_internal.record_exposure_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO experiments.exposure_rollup_changes
			(from_time, xact, kind, tenant_id, experiment_id, unit, ordinal, exposed_at)
		VALUES (to_timestamp(TG_ARGV[0]::bigint), pg_current_xact_id(), 'exposure', NEW.tenant_id, NEW.experiment_id,
				NEW.unit, NEW.ordinal, NEW.exposed_at);
	ELSE
		INSERT INTO experiments.exposure_rollup_changes (from_time, xact, kind)
		VALUES (to_timestamp(TG_ARGV[0]::bigint), pg_current_xact_id(), 'change');
	END IF;
	RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.record_exposure_change() FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.record_exposure_change() IS
'Trigger of a rolled-up partition of experiments.exposures: records an inserted exposure, or that rows were updated, deleted or truncated, in experiments.exposure_rollup_changes (for the period starting at TG_ARGV[0], in seconds since 1970).';

-- What maintenance prepares to roll up: every monthly partition of the
-- exposures that began before today (UTC), up to today or its end, when its
-- triggers are not set for that time yet or its period is of another table.
-- (Changes recorded since a rollup need no new triggers: exposure_rollups_due()
-- folds them in.)
CREATE FUNCTION experiments_internal.exposure_rollup_plan()
RETURNS TABLE (part regclass, from_time timestamptz, to_time timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT b.part, b.from_time, least(b.to_time, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
	FROM experiments_internal.event_partition_bounds('exposures') b
	LEFT JOIN experiments.exposure_rollup_periods p ON p.from_time = b.from_time
	WHERE b.from_time < date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
	  AND (p.part IS DISTINCT FROM b.part
		   OR p.recorded_before IS DISTINCT FROM least(b.to_time, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'))
	ORDER BY b.from_time;
$$;
REVOKE ALL ON FUNCTION experiments_internal.exposure_rollup_plan() FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.exposure_rollup_plan() IS
'Part of maintenance: the partitions of experiments.exposures to roll up, and up to when (today''s UTC midnight, or the partition''s end).';

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

-- First transaction of a rollup: the partition's triggers, set to record
-- changes before to_time. Replacing them locks the partition against writers
-- (not readers) until commit, and waits for the writers already in it: after
-- this commits, every writer of the partition either finished before or
-- fires the triggers. An existing rollup stays readable meanwhile (its
-- to_time is at most the new one).
CREATE FUNCTION experiments_internal.prepare_exposure_rollup(part regclass, from_time timestamptz, to_time timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
	period_start bigint;
	trigger_name text;
BEGIN
	IF NOT EXISTS (SELECT FROM experiments_internal.event_partition_bounds('exposures') b
				   WHERE b.part = prepare_exposure_rollup.part AND b.from_time = prepare_exposure_rollup.from_time
					 AND b.to_time >= prepare_exposure_rollup.to_time AND prepare_exposure_rollup.to_time > b.from_time) THEN
		RAISE EXCEPTION 'no partition of experiments.exposures from % to roll up to %', from_time, to_time
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A rollup covers part of an attached monthly partition of experiments.exposures, from its start.';
	END IF;
	period_start := extract(epoch FROM from_time)::bigint;
	EXECUTE format('CREATE OR REPLACE TRIGGER exposure_rollup_insert AFTER INSERT ON %s FOR EACH ROW'
				   ' WHEN (NEW.exposed_at < %L) EXECUTE FUNCTION experiments_internal.record_exposure_change(%L)',
				   part, to_time, period_start);
	EXECUTE format('CREATE OR REPLACE TRIGGER exposure_rollup_update AFTER UPDATE ON %s FOR EACH ROW'
				   ' WHEN (OLD.exposed_at < %L OR NEW.exposed_at < %L) EXECUTE FUNCTION experiments_internal.record_exposure_change(%L)',
				   part, to_time, to_time, period_start);
	EXECUTE format('CREATE OR REPLACE TRIGGER exposure_rollup_delete AFTER DELETE ON %s FOR EACH ROW'
				   ' WHEN (OLD.exposed_at < %L) EXECUTE FUNCTION experiments_internal.record_exposure_change(%L)',
				   part, to_time, period_start);
	EXECUTE format('CREATE OR REPLACE TRIGGER exposure_rollup_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT'
				   ' EXECUTE FUNCTION experiments_internal.record_exposure_change(%L)', part, period_start);
	FOREACH trigger_name IN ARRAY ARRAY['exposure_rollup_insert', 'exposure_rollup_update',
										'exposure_rollup_delete', 'exposure_rollup_truncate'] LOOP
		-- also when rows arrive by logical replication or session_replication_role = replica
		EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', part, trigger_name);
		EXECUTE format('COMMENT ON TRIGGER %I ON %s IS %L', trigger_name, part,
					   format('Records in experiments.exposure_rollup_changes every change to the exposures before %s, which the rollup of the month from %s must not miss (src/events/rollups.sql).',
							  to_time, from_time));
	END LOOP;
	INSERT INTO experiments.exposure_rollup_periods AS p (from_time, part, recorded_before)
	VALUES (from_time, part, to_time)
	ON CONFLICT ON CONSTRAINT exposure_rollup_periods_pkey DO UPDATE
		SET recorded_before = EXCLUDED.recorded_before,
			part = EXCLUDED.part,
			to_time = CASE WHEN p.part = EXCLUDED.part THEN p.to_time END,
			snapshot = CASE WHEN p.part = EXCLUDED.part THEN p.snapshot END;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.prepare_exposure_rollup(regclass, timestamptz, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.prepare_exposure_rollup(regclass, timestamptz, timestamptz) IS
'Part of maintenance, the first of a rollup''s two transactions: sets the triggers of a partition of experiments.exposures to record every change to its rows before to_time.';

-- Second transaction: the rollup, from a snapshot taken after the triggers
-- were set (prepare_exposure_rollup() committed), replacing the last one.
-- The snapshot is kept before the rows are read, so a row committed in
-- between is both rolled up and recorded as unseen, which is harmless.
CREATE FUNCTION experiments_internal.roll_up_exposures(from_time timestamptz, to_time timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	period experiments.exposure_rollup_periods;
	seen pg_snapshot := pg_current_snapshot();
	written bigint;
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
	PERFORM set_config('work_mem', current_setting('maintenance_work_mem'), true);
	DELETE FROM experiments.exposure_rollups r WHERE r.from_time = roll_up_exposures.from_time;
	DELETE FROM experiments.exposure_rollup_experiments x WHERE x.from_time = roll_up_exposures.from_time;
	-- each experiment's bounds from the rows as they are written, not read again
	-- each unit's entry, its bucket computed once a unit (not once an
	-- exposure), into rows of up to 4096 units of a bucket (the arrays of a
	-- row are aggregated from the same rows in the same order)
	EXECUTE format('WITH rolled AS (INSERT INTO experiments.exposure_rollups'
				   '  (tenant_id, experiment_id, from_time, bucket, units, ordinals, first_ats, last_ats)'
				   '  SELECT u.tenant_id, u.experiment_id, %L, u.bucket, array_agg(u.unit), array_agg(u.ordinal),'
				   '   array_agg(u.first_at), array_agg(u.last_at)'
				   '  FROM (SELECT b.*, (row_number() OVER (PARTITION BY b.experiment_id, b.bucket) - 1) / 4096 AS chunk'
				   '   FROM (SELECT f.*, experiments_internal.unit_bucket(f.unit) AS bucket'
				   '    FROM (SELECT DISTINCT ON (e.experiment_id, e.unit) e.tenant_id, e.experiment_id, e.unit, e.ordinal,'
				   '     e.exposed_at AS first_at, max(e.exposed_at) OVER (PARTITION BY e.experiment_id, e.unit) AS last_at'
				   '     FROM %s e WHERE e.exposed_at < %L'
				   '     ORDER BY e.experiment_id, e.unit, e.exposed_at, e.ordinal) f) b) u'
				   '  GROUP BY u.tenant_id, u.experiment_id, u.bucket, u.chunk'
				   '  RETURNING tenant_id, experiment_id, (SELECT min(a) FROM unnest(first_ats) a) AS first_at,'
				   '   (SELECT max(a) FROM unnest(last_ats) a) AS last_at, cardinality(units) AS units)'
				   ' INSERT INTO experiments.exposure_rollup_experiments (from_time, experiment_id, tenant_id, first_at, last_at, units)'
				   ' SELECT %L, r.experiment_id, r.tenant_id, min(r.first_at), max(r.last_at), sum(r.units)'
				   ' FROM rolled r GROUP BY r.experiment_id, r.tenant_id', from_time, period.part, to_time, from_time);
	SELECT coalesce(sum(x.units), 0) INTO written FROM experiments.exposure_rollup_experiments x
	WHERE x.from_time = roll_up_exposures.from_time;
	DELETE FROM experiments.exposure_rollup_changes c
	WHERE c.from_time = roll_up_exposures.from_time AND pg_visible_in_snapshot(c.xact, seen);
	UPDATE experiments.exposure_rollup_periods p
	SET to_time = roll_up_exposures.to_time, snapshot = seen, units = written, rolled_up_at = now()
	WHERE p.from_time = roll_up_exposures.from_time;
	RETURN written;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.roll_up_exposures(timestamptz, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.roll_up_exposures(timestamptz, timestamptz) IS
'Part of maintenance, the second of a rollup''s two transactions: rolls the exposures of a prepared period up to to_time, an entry per experiment and unit, replacing its last rollup; returns the units written.';

-- A month retired: its rollup goes with it, and so do the triggers of its
-- partition when it is kept (detached).
CREATE FUNCTION experiments_internal.drop_exposure_rollup(part regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	trigger_name name;
BEGIN
	DELETE FROM experiments.exposure_rollups r USING experiments.exposure_rollup_periods p
	WHERE r.from_time = p.from_time AND p.part = drop_exposure_rollup.part;
	DELETE FROM experiments.exposure_rollup_experiments x USING experiments.exposure_rollup_periods p
	WHERE x.from_time = p.from_time AND p.part = drop_exposure_rollup.part;
	DELETE FROM experiments.exposure_rollup_changes c USING experiments.exposure_rollup_periods p
	WHERE c.from_time = p.from_time AND p.part = drop_exposure_rollup.part;
	DELETE FROM experiments.exposure_rollup_periods p WHERE p.part = drop_exposure_rollup.part;
	FOR trigger_name IN SELECT t.tgname FROM pg_trigger t
						WHERE t.tgrelid = part AND t.tgname LIKE 'exposure\_rollup\_%' LOOP
		EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, part);
	END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.drop_exposure_rollup(regclass) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.drop_exposure_rollup(regclass) IS
'Part of retention: removes the rollup of a partition of experiments.exposures about to be detached or dropped, and its triggers.';

-- Partitions that left experiments.exposures another way (pg_partman's
-- retention, a DROP or DETACH by hand) leave no rollup behind; nor do
-- changes recorded for a period no longer rolled up.
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
								  AND i.inhparent = 'experiments.exposures'::regclass) LOOP
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
'Part of maintenance: removes the rollups of partitions no longer attached to experiments.exposures, and changes recorded for no rolled-up period; returns how many rollups it removed.';
