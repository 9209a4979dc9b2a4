-- experiments: the monthly partitions of the event tables and their
-- maintenance (docs/operations.md). Partitions are created ahead of their
-- events: by create_tenant(), before a tenant's first event can arrive, and
-- by maintenance, which an operator runs (experiments_operator) or pg_cron
-- runs (schedule_maintenance()). Retention detaches or drops old months by
-- policy, never one that a running experiment may still read.
--
-- The extension script creates no monthly partition: one it created would
-- belong to the extension, and a partition created by CREATE EXTENSION
-- outside the extension would collide, at restore, with the same partition
-- in the dump. Partitions made here are ordinary tables that pg_dump dumps
-- with their rows.

-- Retention and creation settings, per event table or for all ('*').
CREATE TABLE experiments.partition_policies (
	event_table text PRIMARY KEY,
	months_ahead integer NOT NULL DEFAULT 3 CHECK (months_ahead BETWEEN 0 AND 120),
	retention text NOT NULL DEFAULT 'keep' CHECK (retention IN ('keep', 'detach', 'drop')),
	keep_months integer CHECK (keep_months BETWEEN 1 AND 1200),
	CONSTRAINT partition_policies_keep_months CHECK ((retention = 'keep') = (keep_months IS NULL))
);
COMMENT ON TABLE experiments.partition_policies IS
'How partition maintenance treats an event table (event_table) or every table without a row of its own (''*''); without any row, 3 months ahead and retention keep. Written by set_partition_policy().';
COMMENT ON COLUMN experiments.partition_policies.event_table IS 'An event table of schema experiments (exposures, goal_events, ...), or ''*'' for every table without a row of its own.';
COMMENT ON COLUMN experiments.partition_policies.months_ahead IS 'Monthly partitions created after the current (UTC) month, 0 to 120.';
COMMENT ON COLUMN experiments.partition_policies.retention IS
'What becomes of a month older than keep_months: keep (nothing), detach (detached and renamed <partition>_detached, a plain table keeping its rows) or drop (dropped with its rows).';
COMMENT ON COLUMN experiments.partition_policies.keep_months IS
'Months kept before the current one when retention is detach or drop (NULL for keep): with 12, in December 2026 the months before December 2025 are retired.';
SELECT pg_catalog.pg_extension_config_dump('experiments.partition_policies', '');

-- Why a policy is set by a function: the table name is checked against the
-- event tables, which a CHECK constraint cannot read.
CREATE FUNCTION experiments.set_partition_policy(event_table text, retention text DEFAULT 'keep',
	keep_months integer DEFAULT NULL, months_ahead integer DEFAULT 3)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF event_table IS DISTINCT FROM '*' AND
	   experiments_internal.event_table_time_column(event_table) IS NULL THEN
		RAISE EXCEPTION '"%" is not an event table', event_table
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A partition policy names a partitioned table of schema experiments, or ''*'' for all of them.',
				  HINT = 'Use exposures, goal_events, attribute_events, campaign_activations, actions, custom_events, transactions, transaction_items, visits or ''*''.';
	END IF;
	INSERT INTO experiments.partition_policies AS p (event_table, months_ahead, retention, keep_months)
	VALUES (set_partition_policy.event_table, set_partition_policy.months_ahead,
			set_partition_policy.retention, set_partition_policy.keep_months)
	ON CONFLICT ON CONSTRAINT partition_policies_pkey DO UPDATE
	SET months_ahead = excluded.months_ahead, retention = excluded.retention, keep_months = excluded.keep_months;
END;
$$;
REVOKE ALL ON FUNCTION experiments.set_partition_policy(text, text, integer, integer) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_partition_policy(text, text, integer, integer) IS
'Operators: sets the partition policy of an event table, or of every table without its own (''*''): months created ahead, and retention keep, or detach or drop the months older than keep_months before the current one.';

-- Maintenance names tables it is given: only the event tables qualify.
CREATE FUNCTION experiments_internal.event_table_time_column(event_table text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT substring(pg_catalog.pg_get_partkeydef(p.partrelid) FROM '^RANGE \((\w+)\)$')
	FROM pg_catalog.pg_partitioned_table p JOIN pg_catalog.pg_class c ON c.oid = p.partrelid
	WHERE c.relnamespace = 'experiments'::regnamespace AND c.relname = event_table;
$$;
REVOKE ALL ON FUNCTION experiments_internal.event_table_time_column(text) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.event_table_time_column(text) IS
'The time column an event table is partitioned by, NULL for any other name.';

-- Which months an event table has partitions for, whatever their names
-- (those pg_partman makes after a hand-over included), read from their bounds;
-- and its default partition, whatever its name.
CREATE FUNCTION experiments_internal.event_partition_bounds(event_table text)
RETURNS TABLE (part regclass, from_time timestamptz, to_time timestamptz)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT c.oid::regclass, b[1]::timestamptz, b[2]::timestamptz
	FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid,
		 LATERAL regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$') b
	WHERE i.inhparent = format('experiments.%I', event_table)::regclass;
$$;
REVOKE ALL ON FUNCTION experiments_internal.event_partition_bounds(text) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.event_partition_bounds(text) IS
'The range partitions of an event table with their bounds (the default partition is not one of them), whatever their names.';

-- Whether an event table's monthly partition (<table>_YYYYMM, as
-- maintenance names them) is attached: retention retires only those, and a
-- month no longer attached when its step failed was retired by another run.
CREATE FUNCTION experiments_internal.month_attached(event_table text, month date)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT FROM pg_catalog.pg_inherits i
				   WHERE i.inhrelid = to_regclass(format('experiments.%I', event_table || '_' || to_char(month, 'YYYYMM')))
					 AND i.inhparent = to_regclass(format('experiments.%I', event_table)));
$$;
REVOKE ALL ON FUNCTION experiments_internal.month_attached(text, date) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.month_attached(text, date) IS
'Part of maintenance: whether the monthly partition <event_table>_YYYYMM of month is attached to its event table.';

CREATE FUNCTION experiments_internal.event_default_partition(event_table text)
RETURNS regclass
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT nullif(p.partdefid, 0)::regclass FROM pg_catalog.pg_partitioned_table p
	WHERE p.partrelid = format('experiments.%I', event_table)::regclass;
$$;
REVOKE ALL ON FUNCTION experiments_internal.event_default_partition(text) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.event_default_partition(text) IS
'The default partition of an event table (<table>_overflow, or pg_partman''s <table>_default after a hand-over), NULL when it has none.';

-- The one rule that protects data still in use: retention touches no month
-- at or after the month in which the oldest experiment not yet stopped
-- started (running or paused, of any tenant).
CREATE FUNCTION experiments_internal.retention_horizon()
RETURNS date
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT coalesce(date_trunc('month', min(e.started_at) AT TIME ZONE 'UTC')::date, 'infinity'::date)
	FROM experiments.experiments e
	WHERE e.state IN ('running', 'paused');
$$;
REVOKE ALL ON FUNCTION experiments_internal.retention_horizon() FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.retention_horizon() IS
'The first month retention must not touch: that of the earliest started_at of the experiments running or paused, of every tenant (infinity when there is none).';

-- Partition maintenance in one transaction at a time, whoever runs it
-- (create_tenant(), create_event_partitions(), maintain_partitions() from
-- pg_cron): planning reads every default partition, which attaching a month
-- must then lock exclusively, so two runs that planned at once would each
-- wait for the other. Held to the end of the transaction.
CREATE FUNCTION experiments_internal.lock_partition_maintenance()
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('experiments partition maintenance', 0));
$$;
REVOKE ALL ON FUNCTION experiments_internal.lock_partition_maintenance() FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.lock_partition_maintenance() IS
'Part of maintenance: waits for and takes, to the end of the transaction, the advisory lock that lets one transaction at a time plan, create or retire event partitions.';

-- What maintenance has to do, step by step, so that each step can be its own
-- transaction: the months to create (the current one, those ahead, those
-- with rows in the default partition) that no partition covers, then the
-- months to retire. Taken under the maintenance lock, which the steps then
-- take again in their own transactions.
CREATE FUNCTION experiments_internal.partition_plan(months_ahead integer, retire boolean, force boolean)
RETURNS TABLE (event_table text, month date, action text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	tbl text;
	time_column text;
	overflow regclass;
	policy experiments.partition_policies;
	this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
	horizon date := CASE WHEN force THEN 'infinity'::date ELSE experiments_internal.retention_horizon() END;
BEGIN
	PERFORM experiments_internal.lock_partition_maintenance();
	IF months_ahead NOT BETWEEN 0 AND 120 THEN
		RAISE EXCEPTION 'months_ahead must be between 0 and 120, not %', months_ahead
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Maintenance creates the partitions of the current month and of that many months after it.',
				  HINT = 'Leave it out (NULL) to use the partition policy, 3 months unless set_partition_policy() says otherwise.';
	END IF;
	FOR tbl IN
		SELECT c.relname FROM pg_catalog.pg_partitioned_table p JOIN pg_catalog.pg_class c ON c.oid = p.partrelid
		WHERE c.relnamespace = 'experiments'::regnamespace ORDER BY c.relname
	LOOP
		time_column := experiments_internal.event_table_time_column(tbl);
		SELECT * INTO policy FROM experiments.partition_policies p
		WHERE p.event_table IN (tbl, '*') ORDER BY p.event_table = '*' LIMIT 1;
		IF NOT FOUND THEN
			policy := ROW(tbl, 3, 'keep', NULL);
		END IF;
		overflow := experiments_internal.event_default_partition(tbl);
		RETURN QUERY EXECUTE format(
			'SELECT %L::text, s.m, ''create''::text FROM ('
			' SELECT m::date FROM generate_series(%L::date, %L::date + make_interval(months => %s), interval ''1 month'') m'
			' %s) s(m)'
			' WHERE NOT EXISTS (SELECT FROM experiments_internal.event_partition_bounds(%L) b'
			'  WHERE b.from_time < (s.m + interval ''1 month'')::timestamp AT TIME ZONE ''UTC'' AND b.to_time > s.m::timestamp AT TIME ZONE ''UTC'')'
			' ORDER BY 2', tbl, this_month, this_month, coalesce(months_ahead, policy.months_ahead),
			CASE WHEN overflow IS NOT NULL THEN
				format('UNION SELECT DISTINCT date_trunc(''month'', %I AT TIME ZONE ''UTC'')::date FROM %s', time_column, overflow)
			END, tbl);
		IF retire AND policy.retention <> 'keep' THEN
			RETURN QUERY
			SELECT tbl, m.month, policy.retention
			FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid,
				 LATERAL (SELECT to_date(right(c.relname, 6), 'YYYYMM') AS month) m
			WHERE i.inhparent = format('experiments.%I', tbl)::regclass
			  AND c.relname ~ ('^' || tbl || '_\d{6}$')
			  AND m.month < this_month - make_interval(months => policy.keep_months)
			  AND m.month < horizon
			ORDER BY m.month;
		END IF;
	END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.partition_plan(integer, boolean, boolean) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.partition_plan(integer, boolean, boolean) IS
'Part of maintenance: the partitions to create (months_ahead, NULL for the policy''s) and, when retire, those to detach or drop by policy (with force, even the months of experiments not yet stopped), one row each.';

-- One monthly partition, created empty with its indexes, filled with the
-- rows of its month that the default (overflow) partition holds, then
-- attached; nothing when a partition covers the month already. Writers
-- of the table wait, for that short while, on the lock of its parent: one
-- that got in before would otherwise route a row of the month into the
-- overflow partition after the move and make the attach fail. Readers do not
-- wait. Concurrent runs take turns (lock_partition_maintenance()). A lock
-- not had within 5 s fails the step (maintenance reports it and goes on), so
-- that writers never queue longer behind it, e.g. while a long query reads
-- the overflow partition, which the attach must lock.
CREATE FUNCTION experiments_internal.create_event_partition(event_table text, month date)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
	time_column text := experiments_internal.event_table_time_column(event_table);
	part text := format('%s_%s', event_table, to_char(month, 'YYYYMM'));
	lo timestamptz := date_trunc('month', month)::timestamp AT TIME ZONE 'UTC';
	hi timestamptz := (date_trunc('month', month) + interval '1 month')::timestamp AT TIME ZONE 'UTC';
	overflow regclass;
BEGIN
	IF time_column IS NULL OR month IS NULL THEN
		RAISE EXCEPTION '"%" is not an event table', event_table USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'Partitions are created for the partitioned tables of schema experiments, for a month.';
	END IF;
	PERFORM experiments_internal.lock_partition_maintenance();
	overflow := experiments_internal.event_default_partition(event_table);
	EXECUTE format('LOCK TABLE ONLY experiments.%I IN SHARE ROW EXCLUSIVE MODE', event_table);
	IF EXISTS (SELECT FROM experiments_internal.event_partition_bounds(event_table) b
			   WHERE b.from_time < hi AND b.to_time > lo) THEN
		RETURN false;
	END IF;
	EXECUTE format('CREATE TABLE experiments.%I (LIKE experiments.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
				   part, event_table);
	PERFORM experiments_internal.create_event_partition_indexes(event_table, part);
	IF overflow IS NOT NULL THEN
		EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= %L AND %I < %L RETURNING *)'
					   ' INSERT INTO experiments.%I SELECT * FROM moved',
					   overflow, time_column, lo, time_column, hi, part);
	END IF;
	EXECUTE format('ALTER TABLE experiments.%I ATTACH PARTITION experiments.%I FOR VALUES FROM (%L) TO (%L)',
				   event_table, part, lo, hi);
	EXECUTE format('COMMENT ON TABLE experiments.%I IS %L', part,
				   format('Rows of experiments.%s with %s in [%s, %s).', event_table, time_column, lo, hi));
	RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.create_event_partition(text, date) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.create_event_partition(text, date) IS
'Part of maintenance: creates the partition of one month of an event table, moves the month''s rows out of the default (overflow) partition into it and attaches it, writers of the table waiting meanwhile. False when a partition covers the month already.';

-- One month retired: detached (renamed, so that the month can be created
-- again should events of it arrive) or dropped. Both lock the parent
-- against readers too: not for longer than 5 s of waiting. The parent is
-- locked first, as readers and writers lock it before the month: dropping
-- the rollup's triggers locked the month first, and a reader or writer that
-- held the parent and then reached the month deadlocked with retirement
-- (test/specs/retention_lock_order.spec). The horizon is checked again
-- here, as the operator may call this step directly.
CREATE FUNCTION experiments_internal.retire_event_partition(event_table text, month date, retention text, force boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
	part text := format('%s_%s', event_table, to_char(month, 'YYYYMM'));
BEGIN
	PERFORM experiments_internal.lock_partition_maintenance();
	IF experiments_internal.event_table_time_column(event_table) IS NULL OR retention NOT IN ('detach', 'drop') OR
	   NOT experiments_internal.month_attached(event_table, month) THEN
		RAISE EXCEPTION 'no partition of "%" for % to %', event_table, month, retention
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Retention detaches or drops an attached monthly partition of an event table.';
	END IF;
	IF NOT force AND month >= experiments_internal.retention_horizon() THEN
		RAISE EXCEPTION 'partition % holds data of experiments not yet stopped', part
			USING ERRCODE = 'object_in_use',
				  DETAIL = format('Experiments running or paused started in %s or earlier; retention keeps that month and those after it.',
								  to_char(experiments_internal.retention_horizon(), 'YYYY-MM')),
				  HINT = 'Stop the experiments first, or run maintenance with force => true.';
	END IF;
	IF event_table IN ('exposures', 'goal_events') THEN
		-- as drop_exposure_rollup() locks them: their rollup is one
		LOCK TABLE ONLY experiments.exposures, experiments.goal_events IN ACCESS EXCLUSIVE MODE;
		PERFORM experiments_internal.drop_exposure_rollup(format('experiments.%I', part)::regclass);
	ELSE
		EXECUTE format('LOCK TABLE ONLY experiments.%I IN ACCESS EXCLUSIVE MODE', event_table);
	END IF;
	IF retention = 'drop' THEN
		EXECUTE format('DROP TABLE experiments.%I', part);
	ELSE
		EXECUTE format('ALTER TABLE experiments.%I DETACH PARTITION experiments.%I', event_table, part);
		EXECUTE format('ALTER TABLE experiments.%I RENAME TO %I', part, part || '_detached');
		EXECUTE format('COMMENT ON TABLE experiments.%I IS %L', part || '_detached',
					   format('Detached by retention on %s: the rows of experiments.%s of %s, a plain table without row-level security, readable by its owner and whom it grants.',
							  current_date, event_table, to_char(month, 'YYYY-MM')));
	END IF;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.retire_event_partition(text, date, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.retire_event_partition(text, date, text, boolean) IS
'Part of maintenance: detaches (renaming it <partition>_detached) or drops the partition of one month of an event table; refuses a month of experiments not yet stopped unless force.';

-- All in one transaction, as 0.1.0 had it; creation only. Each table
-- created in stays locked against writers to the end, so the tables are
-- taken in the order the extension's writers write them (publish():
-- exposures, goals, attributes; an AB Tasty transaction: the transaction,
-- then its items), the others after them: in name order, a publish() with
-- exposures and attributes held the exposures that creation waited for,
-- while creation held the attributes it then wanted, and one of the two
-- failed with deadlock detected (test/specs/partition_creation_writer.spec).
CREATE FUNCTION experiments.create_event_partitions(months_ahead integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	step record;
	created integer := 0;
BEGIN
	FOR step IN
		SELECT p.* FROM experiments_internal.partition_plan(months_ahead, false, false) p
		ORDER BY array_position(ARRAY['exposures', 'goal_events', 'attribute_events', 'transactions', 'transaction_items'],
								p.event_table) NULLS LAST, p.event_table, p.month
	LOOP
		IF experiments_internal.create_event_partition(step.event_table, step.month) THEN
			created := created + 1;
		END IF;
	END LOOP;
	RETURN created;
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_event_partitions(integer) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_event_partitions(integer) IS
'Operators: creates, in one transaction, the monthly partitions (UTC months) of every event table for the current month, the months_ahead months after it (NULL: the partition policy''s) and every month with rows in the overflow partition, moving those rows into them. Returns how many partitions it created. maintain_partitions() does the same and retention, committing partition by partition.';

-- The maintenance pg_cron runs. A procedure, so that each partition is its
-- own transaction: a step that fails (a lock, a full disk) is reported and
-- the others are kept. A month to retire that is no longer attached when its
-- step fails was retired by another run since this one planned (pg_cron's
-- run and an operator's at once, test/specs/maintenance_retention_twice.spec):
-- that step is done, not failed. Transaction control rules out SECURITY
-- DEFINER and a SET clause: every name here is schema-qualified, the steps
-- are definers.
CREATE PROCEDURE experiments.maintain_partitions(force boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
	step record;
	failed integer := 0;
BEGIN
	FOR step IN SELECT * FROM experiments_internal.partition_plan(NULL, true, force) LOOP
		BEGIN
			IF step.action = 'create' THEN
				PERFORM experiments_internal.create_event_partition(step.event_table, step.month);
			ELSE
				PERFORM experiments_internal.retire_event_partition(step.event_table, step.month, step.action, force);
			END IF;
		EXCEPTION WHEN OTHERS THEN
			IF step.action = 'create' OR experiments_internal.month_attached(step.event_table, step.month) THEN
				failed := failed + 1;
				RAISE WARNING 'partition maintenance could not % the % partition of %: %',
					step.action, pg_catalog.to_char(step.month, 'YYYY-MM'), step.event_table, SQLERRM;
			END IF;
		END;
		COMMIT;
	END LOOP;
	-- Rollups of the exposures (src/events/rollups.sql): those of partitions
	-- gone removed; every partition's triggers set, then committed, before
	-- any rollup's snapshot is taken.
	BEGIN
		PERFORM experiments_internal.drop_detached_exposure_rollups();
	EXCEPTION WHEN OTHERS THEN
		failed := failed + 1;
		RAISE WARNING 'partition maintenance could not remove the rollups of partitions gone: %', SQLERRM;
	END;
	COMMIT;
	FOR step IN SELECT * FROM experiments_internal.exposure_rollup_plan() LOOP
		BEGIN
			PERFORM experiments_internal.prepare_exposure_rollup(step.part, step.from_time, step.to_time);
		EXCEPTION WHEN OTHERS THEN
			failed := failed + 1;
			RAISE WARNING 'partition maintenance could not prepare the rollup of %: %', step.part, SQLERRM;
		END;
		COMMIT;
	END LOOP;
	FOR step IN SELECT * FROM experiments_internal.exposure_rollups_due() LOOP
		BEGIN
			PERFORM experiments_internal.roll_up_exposures(step.from_time, step.to_time);
		EXCEPTION WHEN OTHERS THEN
			failed := failed + 1;
			RAISE WARNING 'partition maintenance could not roll up the exposures from %: %', step.from_time, SQLERRM;
		END;
		COMMIT;
	END LOOP;
	IF failed > 0 THEN
		RAISE EXCEPTION 'partition maintenance failed % step(s)', failed
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The warnings above say which; every other step was committed.',
				  HINT = 'Run CALL experiments.maintain_partitions() again once the cause is gone.';
	END IF;
END;
$$;
REVOKE ALL ON PROCEDURE experiments.maintain_partitions(boolean) FROM PUBLIC;
COMMENT ON PROCEDURE experiments.maintain_partitions(boolean) IS
'Operators, or pg_cron (schedule_maintenance()): creates the monthly partitions due and moves rows out of the overflow partitions, retires months by policy (never one of an experiment not yet stopped, unless force), then rolls up the exposures of every month up to today (experiments.exposure_rollups), committing after each step. Raises at the end if a step failed.';

-- One call to have pg_cron run the maintenance; pg_cron is optional, so its
-- absence is an error that says what to do instead.
CREATE FUNCTION experiments.schedule_maintenance(schedule text DEFAULT '17 3 * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	job bigint;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'schedule_maintenance() schedules CALL experiments.maintain_partitions() with pg_cron.',
				  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database and CREATE EXTENSION pg_cron; or run CALL experiments.maintain_partitions() daily from another scheduler.';
	END IF;
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
		USING 'experiments-partition-maintenance', schedule, 'CALL experiments.maintain_partitions()';
	RETURN job;
END;
$$;
REVOKE ALL ON FUNCTION experiments.schedule_maintenance(text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.schedule_maintenance(text) IS
'With pg_cron in this database: schedules (or reschedules) the job experiments-partition-maintenance, CALL experiments.maintain_partitions(), creation and retention, at schedule (cron syntax, UTC; default daily at 03:17); returns its job id. The job runs as the caller. Without pg_cron: 0A000.';
