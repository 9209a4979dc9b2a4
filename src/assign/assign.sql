-- experiments: assignment. Buckets, the assignment engine and enrolment.

CREATE FUNCTION experiments.bucket(unit text, seed bigint)
RETURNS integer
AS 'MODULE_PATHNAME', 'bucket'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.bucket(text, bigint) IS
'Bucket of a unit in [0, 10000): (XXH3_64bits_withSeed(utf8 bytes of unit, seed as unsigned 64 bits) * 10000) >> 64. Assignment version 1.';

CREATE FUNCTION experiments.audience_is_valid(condition jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'audience_is_valid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.audience_is_valid(jsonb) IS
'true for a well-formed audience condition; otherwise raises an error that says what is wrong and where.';

CREATE FUNCTION experiments.audience_matches(condition jsonb, attributes jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'audience_matches'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.audience_matches(jsonb, jsonb) IS
'Whether attributes satisfy an audience condition, exactly as assignment evaluates it.';

ALTER TABLE experiments.experiments
	ADD CONSTRAINT experiments_audience_valid CHECK (experiments.audience_is_valid(audience));

-- GrowthBook mode (src/assign/growthbook.c, conditions.c): the SDK's
-- building blocks, each the code assignment runs, and the check of an
-- experiment's hashing options.
CREATE FUNCTION experiments.hashing_options_valid(hashing text, options jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'hashing_options_valid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.hashing_options_valid(text, jsonb) IS
'true when options suit the hashing ({} for xxh3; well-formed GrowthBook settings for growthbook, ABsmartly seeds and splits for absmartly); otherwise raises an error that says what is wrong.';

ALTER TABLE experiments.experiments
	ADD CONSTRAINT experiments_hashing_options_valid
	CHECK (experiments.hashing_options_valid(hashing, hashing_options));

CREATE FUNCTION experiments.growthbook_hash(seed text, value text, version integer)
RETURNS double precision
AS 'MODULE_PATHNAME', 'growthbook_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.growthbook_hash(text, text, integer) IS
'GrowthBook''s hash in [0, 1): version 1 fnv32a(value || seed) % 1000 / 1000, version 2 fnv32a(fnv32a(seed || value) as decimal text) % 10000 / 10000, over UTF-16 code units; NULL for another version.';

CREATE FUNCTION experiments.growthbook_bucket_ranges(variations integer, coverage double precision DEFAULT NULL,
													 weights double precision[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'growthbook_bucket_ranges'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION experiments.growthbook_bucket_ranges(integer, double precision, double precision[]) IS
'GrowthBook''s [start, end) range per variation from coverage (NULL: 1, clamped to [0, 1]) and weights (NULL, or of the wrong count, or not summing to 1 +- 0.01: equal).';

CREATE FUNCTION experiments.growthbook_choose_variation(n double precision, ranges jsonb)
RETURNS integer
AS 'MODULE_PATHNAME', 'growthbook_choose_variation'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.growthbook_choose_variation(double precision, jsonb) IS
'GrowthBook''s chooseVariation: the index of the first [start, end) range holding n, or -1.';

CREATE FUNCTION experiments.growthbook_in_namespace(unit text, namespace jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'growthbook_in_namespace'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.growthbook_in_namespace(text, jsonb) IS
'GrowthBook''s inNamespace: whether growthbook_hash(''__'' || id, unit, 1) falls in [start, end) of a namespace [id, start, end].';

CREATE FUNCTION experiments.growthbook_equal_weights(variations integer)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'growthbook_equal_weights'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.growthbook_equal_weights(integer) IS
'GrowthBook''s getEqualWeights: variations weights of 1/variations; none below 1.';

CREATE FUNCTION experiments.growthbook_condition_matches(condition jsonb, attributes jsonb,
														 saved_groups jsonb DEFAULT '{}')
RETURNS boolean
AS 'MODULE_PATHNAME', 'growthbook_condition_matches'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION experiments.growthbook_condition_matches(jsonb, jsonb, jsonb) IS
'Whether attributes meet a GrowthBook (MongoDB-style) condition, as GrowthBook experiments evaluate it; saved_groups serve $inGroup and $notInGroup.';

CREATE TYPE experiments.assignment AS (
	experiment_id bigint,
	experiment text,
	variant text,
	ordinal integer,
	assigned boolean,
	eligible boolean,
	overridden boolean,
	full_on boolean,
	custom boolean,
	audience_mismatch boolean,
	bucket integer,
	period bigint,
	reason experiments.assignment_reason
);
COMMENT ON TYPE experiments.assignment IS
'One assignment: the variant (NULL when the unit gets none), the exposure flags, the variant bucket drawn (NULL unless the hash step ran), the reset period and the step that decided.';
COMMENT ON COLUMN experiments.assignment.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.assignment.experiment IS 'The experiment''s key.';
COMMENT ON COLUMN experiments.assignment.variant IS
'Key of the variant the unit gets; NULL when it gets none, and the application shows its default experience.';
COMMENT ON COLUMN experiments.assignment.ordinal IS 'Ordinal of that variant (0 is the control); NULL when the unit gets none.';
COMMENT ON COLUMN experiments.assignment.assigned IS 'The experiment''s rules gave the unit a variant: sticky, full-on, hash or custom.';
COMMENT ON COLUMN experiments.assignment.eligible IS 'The unit passed the traffic draw, or was overridden or enrolled.';
COMMENT ON COLUMN experiments.assignment.overridden IS 'The variant was forced by an override of kind overridden.';
COMMENT ON COLUMN experiments.assignment.full_on IS 'The variant is the experiment''s full-on variant, rolled out to every eligible unit.';
COMMENT ON COLUMN experiments.assignment.custom IS 'The variant comes from an override of kind custom, in place of the hashed one.';
COMMENT ON COLUMN experiments.assignment.audience_mismatch IS
'The unit is outside the experiment''s soft audience (audience_strict = false), and the decision went on.';
COMMENT ON COLUMN experiments.assignment.bucket IS 'The variant bucket drawn, 0 to 9999, when the hash step ran; NULL otherwise.';
COMMENT ON COLUMN experiments.assignment.period IS 'The reset period: whole reset intervals since the start, 0 for reset interval full.';
COMMENT ON COLUMN experiments.assignment.reason IS 'The step of the assignment algorithm that decided (docs/assignment.md).';

CREATE FUNCTION experiments.assign(experiment text, unit text, attributes jsonb DEFAULT '{}')
RETURNS experiments.assignment
AS 'MODULE_PATHNAME', 'assign'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION experiments.assign(text, text, jsonb) IS
'The variant a unit gets in an experiment of the caller''s tenant, and why. Never writes; enrol() records.';

CREATE FUNCTION experiments.assign_all(unit text, attributes jsonb DEFAULT '{}')
RETURNS SETOF experiments.assignment
AS 'MODULE_PATHNAME', 'assign_all'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 20;
COMMENT ON FUNCTION experiments.assign_all(text, jsonb) IS
'assign() for every running experiment of the caller''s tenant, in key order.';

-- The one writer of enrolments: enrol() and the AB Tasty activation
-- (src/adapters/abtasty/abtasty.c) record through it.
CREATE FUNCTION experiments_internal.record_enrolment(experiment_id bigint, unit text, period bigint,
													  ordinal integer, reason experiments.assignment_reason,
													  OUT enrolled_ordinal integer, OUT recorded boolean)
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	flagged boolean;
BEGIN
	IF pg_catalog.pg_is_in_recovery() THEN
		RAISE EXCEPTION 'an enrolment cannot be recorded on a hot standby'
			USING ERRCODE = 'read_only_sql_transaction',
				  DETAIL = 'This server is a read-only replica: it answers assign(), assign_all() and allocate, and records nothing.',
				  HINT = 'Send enrolments, events and management calls to the primary.';
	END IF;
	-- The first enrolment of an experiment sets its has_enrolments flag
	-- (note_first_enrolment), updating the experiment's row after its foreign
	-- keys locked the variant's. Writers of variants lock the experiment's row
	-- first (set_variants(), the management APIs), so a first enrolment takes
	-- the row first too: in the other order it held the variant a weight
	-- change waited for, and waited for that change's lock on the experiment
	-- (deadlock detected; test/specs/first_enrolment_weights.spec).
	--
	-- The row is found FOR KEY SHARE first, the lock the foreign key of the
	-- insert below takes anyway (which then finds it held): an experiment
	-- that another transaction deletes meanwhile is waited for here and then
	-- found missing, instead of failing the insert on its foreign key
	-- (test/specs/enrol_delete_race.spec). The caller answers it as an
	-- unknown experiment. Once the flag is set this is the one lock.
	SELECT e.has_enrolments INTO flagged FROM experiments.experiments e
	WHERE e.id = record_enrolment.experiment_id
	FOR KEY SHARE;
	IF NOT FOUND THEN
		enrolled_ordinal := NULL;
		recorded := false;
		RETURN;
	END IF;
	IF NOT flagged THEN
		PERFORM FROM experiments.experiments e
		WHERE e.id = record_enrolment.experiment_id AND NOT e.has_enrolments
		FOR NO KEY UPDATE;
	END IF;
	INSERT INTO experiments.enrolments (experiment_id, unit, period, ordinal, reason)
	VALUES (record_enrolment.experiment_id, record_enrolment.unit, record_enrolment.period,
			record_enrolment.ordinal, record_enrolment.reason)
	ON CONFLICT ON CONSTRAINT enrolments_pkey DO NOTHING;
	recorded := FOUND;
	IF recorded THEN
		-- The ordinal was decided under the layer range assign() read. A range
		-- change committed since (an experiment without enrolments may shrink,
		-- move or enter a layer) could leave the unit outside the range, sticky
		-- in this experiment and in the range of another. The insert above set
		-- has_enrolments (note_first_enrolment) or found it set, which orders it
		-- after any such change: this statement's snapshot shows the change,
		-- or, under REPEATABLE READ, the update of the flag failed with 40001.
		-- An AB Tasty activation records what the visitor saw, wherever it is.
		IF record_enrolment.reason <> 'activation' THEN
			PERFORM experiments_internal.check_enrolment_layer(record_enrolment.experiment_id, record_enrolment.unit);
		END IF;
		enrolled_ordinal := record_enrolment.ordinal;
		RETURN;
	END IF;
	-- Another session enrolled the unit first: its enrolment is the answer.
	SELECT e.ordinal INTO enrolled_ordinal FROM experiments.enrolments e
	WHERE e.experiment_id = record_enrolment.experiment_id AND e.unit = record_enrolment.unit
	  AND e.period = record_enrolment.period;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'could not read the enrolment of unit "%"', experiments_internal.shown_input(record_enrolment.unit)
			USING ERRCODE = 'serialization_failure',
				  DETAIL = 'Another transaction enrolled the unit after this one''s snapshot was taken.',
				  HINT = 'Retry the transaction.';
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.record_enrolment(bigint, text, bigint, integer, experiments.assignment_reason) IS
'Records that a unit is enrolled in a variant of an experiment for a reset period, unless it already is: the ordinal it is enrolled in either way (the first enrolment wins), and whether this call recorded it; a NULL ordinal when the experiment does not exist (deleted by another transaction since the caller found it). The one writer of experiments.enrolments.';

-- The attributes a unit was enrolled with, for breakdowns (metric_breakdown()
-- reads attribute_events): each key of the object, as ABsmartly's published
-- attributes are stored, at the time of the enrolment, so that a unit's
-- value is the one it had when it entered the experiment. Bounded as a
-- published request's attributes are (experiments.max_events_per_request,
-- max_string_length, max_properties_size): more is refused, not cut.
CREATE FUNCTION experiments_internal.record_enrolment_attributes(experiment_id bigint, unit text, attributes jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	stored integer;
	oversized text;
BEGIN
	IF jsonb_typeof(attributes) IS DISTINCT FROM 'object' THEN
		RETURN 0;
	END IF;
	IF (SELECT count(*) FROM jsonb_object_keys(attributes)) > current_setting('experiments.max_events_per_request')::integer THEN
		RAISE EXCEPTION 'an enrolment may record at most % attributes', current_setting('experiments.max_events_per_request')
			USING ERRCODE = 'program_limit_exceeded',
				  DETAIL = format('The attributes given have %s keys; each is stored for breakdowns.',
								  (SELECT count(*) FROM jsonb_object_keys(attributes))),
				  HINT = 'Give the attributes an audience or a breakdown needs, or ask an operator to raise experiments.max_events_per_request.';
	END IF;
	SELECT a.key INTO oversized FROM jsonb_each(attributes) a
	WHERE length(a.key) > current_setting('experiments.max_string_length')::integer
	   OR octet_length(a.value::text) > pg_catalog.pg_size_bytes(current_setting('experiments.max_properties_size'))
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'attribute "%" is too large to record', experiments_internal.shown_input(oversized)
			USING ERRCODE = 'program_limit_exceeded',
				  DETAIL = format('An attribute name may have %s characters and its value %s of JSON, as a published attribute.',
								  current_setting('experiments.max_string_length'), current_setting('experiments.max_properties_size')),
				  HINT = 'Shorten the attribute, or leave it out of the enrolment.';
	END IF;
	INSERT INTO experiments.attribute_events (unit_type, unit, name, value, set_at)
	SELECT x.unit_type, record_enrolment_attributes.unit, a.key, a.value, now()
	FROM experiments.experiments x
	CROSS JOIN LATERAL jsonb_each(attributes) a
	WHERE x.id = record_enrolment_attributes.experiment_id;
	GET DIAGNOSTICS stored = ROW_COUNT;
	RETURN stored;
END;
$$;
COMMENT ON FUNCTION experiments_internal.record_enrolment_attributes(bigint, text, jsonb) IS
'Stores the attributes a unit was enrolled with (each key of the object) as its attribute_events, set at the enrolment, for breakdowns; how many. Refuses (54000) more keys, or longer names or values, than a published request may carry.';

CREATE FUNCTION experiments.enrol(experiment text, unit text, attributes jsonb DEFAULT '{}')
RETURNS experiments.assignment
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	a experiments.assignment;
	stored integer;
	recorded boolean;
BEGIN
	a := experiments.assign(experiment, unit, attributes);
	IF a.ordinal IS NULL OR a.reason IN ('sticky', 'override') AND NOT a.custom THEN
		RETURN a;
	END IF;
	SELECT r.enrolled_ordinal, r.recorded INTO stored, recorded
	FROM experiments_internal.record_enrolment(a.experiment_id, enrol.unit, a.period, a.ordinal, a.reason) r;
	-- Deleted by another transaction since assign() found it: unknown now,
	-- as experiment_id() says; made again under its key meanwhile, the unit
	-- is enrolled in that one.
	IF stored IS NULL THEN
		PERFORM experiments_internal.experiment_id(experiment);
		RETURN experiments.enrol(experiment, enrol.unit, attributes);
	END IF;
	IF recorded THEN
		PERFORM experiments_internal.record_enrolment_attributes(a.experiment_id, enrol.unit, attributes);
		RETURN a;
	END IF;
	-- Another session enrolled the unit first: its enrolment is the answer.
	SELECT v.key INTO a.variant FROM experiments.variants v
	WHERE v.experiment_id = a.experiment_id AND v.ordinal = stored;
	a.ordinal := stored;
	a.reason := 'sticky';
	a.assigned := true;
	a.eligible := true;
	a.custom := false;
	a.full_on := false;
	RETURN a;
END;
$$;
COMMENT ON FUNCTION experiments.enrol(text, text, jsonb) IS
'Assigns a unit and records the answer the first time (one row even when sessions race), with the attributes given (each key, as attribute_events set at the enrolment, which breakdowns slice by; 54000 over the limits of a published request''s attributes); later calls return the recorded variant, even after weights change, and record nothing.';

-- Every row written to what assignment reads invalidates its tenant's
-- entries in the assignment caches of all sessions when the transaction
-- commits; an update that changes nothing invalidates nothing, and a
-- TRUNCATE every tenant's (src/assign/config_cache.c).
CREATE FUNCTION experiments_internal.invalidate_assignment_cache()
RETURNS trigger
AS 'MODULE_PATHNAME', 'invalidate_assignment_cache'
LANGUAGE C;
COMMENT ON FUNCTION experiments_internal.invalidate_assignment_cache() IS
'Trigger: queues the invalidation of the row''s tenant in every session''s assignment cache (of every tenant after a TRUNCATE), delivered when the transaction commits; nothing for an update that changed nothing.';

CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE ON experiments.experiments
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.experiments IS
'After a row of experiments.experiments is written: invalidates its tenant''s entries in every session''s assignment cache when the transaction commits, so that assignment reads the change; not for an update that changed nothing.';
CREATE TRIGGER invalidate_assignment_cache_truncate
	AFTER TRUNCATE ON experiments.experiments
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache_truncate ON experiments.experiments IS
'After a TRUNCATE of experiments.experiments: empties every session''s assignment cache when the transaction commits.';
CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE ON experiments.variants
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.variants IS
'After a row of experiments.variants is written: invalidates its tenant''s entries in every session''s assignment cache when the transaction commits, so that assignment reads the change; not for an update that changed nothing.';
CREATE TRIGGER invalidate_assignment_cache_truncate
	AFTER TRUNCATE ON experiments.variants
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache_truncate ON experiments.variants IS
'After a TRUNCATE of experiments.variants: empties every session''s assignment cache when the transaction commits.';
CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE ON experiments.overrides
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.overrides IS
'After a row of experiments.overrides is written: invalidates its tenant''s entries in every session''s assignment cache when the transaction commits, so that assignment reads the change; not for an update that changed nothing.';
CREATE TRIGGER invalidate_assignment_cache_truncate
	AFTER TRUNCATE ON experiments.overrides
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache_truncate ON experiments.overrides IS
'After a TRUNCATE of experiments.overrides: empties every session''s assignment cache when the transaction commits.';
CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE ON experiments.layers
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.layers IS
'After a row of experiments.layers is written: invalidates its tenant''s entries in every session''s assignment cache when the transaction commits, so that assignment reads the change; not for an update that changed nothing.';
CREATE TRIGGER invalidate_assignment_cache_truncate
	AFTER TRUNCATE ON experiments.layers
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache_truncate ON experiments.layers IS
'After a TRUNCATE of experiments.layers: empties every session''s assignment cache when the transaction commits.';
CREATE TRIGGER invalidate_assignment_cache
	AFTER INSERT OR UPDATE OR DELETE ON experiments.holdouts
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.holdouts IS
'After a row of experiments.holdouts is written: invalidates its tenant''s entries in every session''s assignment cache when the transaction commits, so that assignment reads the change; not for an update that changed nothing.';
CREATE TRIGGER invalidate_assignment_cache_truncate
	AFTER TRUNCATE ON experiments.holdouts
	FOR EACH STATEMENT EXECUTE FUNCTION experiments_internal.invalidate_assignment_cache();
COMMENT ON TRIGGER invalidate_assignment_cache_truncate ON experiments.holdouts IS
'After a TRUNCATE of experiments.holdouts: empties every session''s assignment cache when the transaction commits.';

CREATE FUNCTION experiments.config_cache_stats(OUT entries bigint, OUT tenants bigint, OUT hits bigint,
											   OUT misses bigint, OUT evictions bigint,
											   OUT invalidations bigint)
AS 'MODULE_PATHNAME', 'config_cache_stats'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION experiments.config_cache_stats() FROM PUBLIC;
COMMENT ON FUNCTION experiments.config_cache_stats() IS
'Operators (superusers; granted to no role, since it counts every tenant''s entries): this session''s assignment cache: the experiments (entries, missing ones included) and tenants it holds, and since the session started its lookups answered from it (hits) and loaded (misses), the tenants evicted beyond experiments.config_cache_size (evictions) and dropped by an invalidation (invalidations).';

-- Writing the catalog: functions for operators (experiments_admin). Those
-- that touch tables are SECURITY DEFINER, owned by experiments_api_owner
-- (src/core/privileges.sql), so an operator needs EXECUTE and nothing on the tables,
-- and row-level security still confines the work to the operator's tenant. A
-- superuser may also write the tables directly; the rules above hold either way.

CREATE FUNCTION experiments_internal.experiment_id(experiment text)
RETURNS bigint
LANGUAGE plpgsql STABLE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result bigint;
BEGIN
	SELECT e.id INTO result FROM experiments.experiments e
	WHERE e.tenant_id = experiments_internal.required_tenant() AND e.key = experiment;
	IF result IS NULL THEN
		RAISE EXCEPTION 'experiment "%" does not exist', experiments_internal.shown_input(experiment)
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'The caller''s tenant has no experiment with that key.',
				  HINT = 'List the tenant''s experiments in experiments.experiments.';
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.experiment_id(text) IS
'The id of an experiment of the caller''s tenant; raises no_data_found when there is none.';

-- The writers of an experiment's configuration find it by key and lock it
-- (FOR KEY SHARE), so that one deleted meanwhile by another transaction is
-- refused as missing (after waiting for that transaction), instead of
-- failing on a foreign key of the rows written (set_variants(),
-- set_override(), set_analysis()) or changing nothing without a word
-- (set_state()); test/specs/experiment_delete_race.spec.
CREATE FUNCTION experiments_internal.locked_experiment_id(experiment text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result bigint;
BEGIN
	-- Found by experiment_id(), which says when there is none; gone before
	-- the lock was had (deleted meanwhile), it is looked for again.
	LOOP
		result := experiments_internal.experiment_id(experiment);
		PERFORM FROM experiments.experiments e WHERE e.id = result FOR KEY SHARE;
		EXIT WHEN FOUND;
	END LOOP;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.locked_experiment_id(text) IS
'The id of an experiment of the caller''s tenant, locked against deletion (FOR KEY SHARE) to the end of the transaction; raises no_data_found when there is none, also when another transaction deleted it meanwhile.';

CREATE FUNCTION experiments_internal.allocations_bp(allocations numeric[])
RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	total numeric := 0;
	a numeric;
	factor numeric;
	result integer[] := '{}';
BEGIN
	FOREACH a IN ARRAY allocations LOOP
		IF a IS NULL OR a < 0 THEN
			RAISE EXCEPTION 'allocation % is not a non-negative number', coalesce(a::text, 'NULL')
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'Every variant needs an allocation of 0 or more.',
					  HINT = 'Give percentages summing to 100 or basis points summing to 10000.';
		END IF;
		total := total + a;
	END LOOP;
	IF total = 100 THEN
		factor := 100;
	ELSIF total = 10000 THEN
		factor := 1;
	ELSE
		RAISE EXCEPTION 'allocations sum to %, neither 100 (percent) nor 10000 (basis points)', total
			USING ERRCODE = 'check_violation',
				  DETAIL = format('The allocations given were %s.', experiments_internal.shown_input(allocations::text)),
				  HINT = 'Give percentages summing to 100 or basis points summing to 10000.';
	END IF;
	FOREACH a IN ARRAY allocations LOOP
		IF a * factor <> trunc(a * factor) THEN
			RAISE EXCEPTION 'allocation % is finer than one basis point', a
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'Allocations are stored as whole basis points (0.01 percent).',
					  HINT = 'Round percentages to two decimals.';
		END IF;
		result := result || (a * factor)::integer;
	END LOOP;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.allocations_bp(numeric[]) IS
'Converts allocations to basis points: a list summing to 100 is percentages, one summing to 10000 is basis points; anything else is an error.';

CREATE FUNCTION experiments_internal.percent_bp(percent numeric)
RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT (percent * 100)::integer
	WHERE percent BETWEEN 0 AND 100 AND percent * 100 = trunc(percent * 100);
$$;
COMMENT ON FUNCTION experiments_internal.percent_bp(numeric) IS
'A percentage in basis points (12.5 -> 1250); NULL unless it lies in 0..100 with at most two decimals, so that each caller raises its own error.';

CREATE FUNCTION experiments.set_variants(experiment text, variants jsonb)
RETURNS SETOF experiments.variants
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp_id bigint := experiments_internal.locked_experiment_id(experiment);
	bp integer[];
	twice text;
	moved record;
BEGIN
	IF jsonb_typeof(variants) <> 'array' OR jsonb_array_length(variants) = 0 THEN
		RAISE EXCEPTION 'variants must be a non-empty JSON array'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Each element is {"key": ..., "allocation": ...} with optional name, type and treatment.',
				  HINT = 'Example: [{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}].';
	END IF;
	IF EXISTS (SELECT 1 FROM jsonb_array_elements(variants) v
			   WHERE jsonb_typeof(v) <> 'object' OR jsonb_typeof(v -> 'key') IS DISTINCT FROM 'string'
				  OR jsonb_typeof(v -> 'allocation') IS DISTINCT FROM 'number') THEN
		RAISE EXCEPTION 'every variant needs a string "key" and a numeric "allocation"'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The variants given were %s.', experiments_internal.shown_input(variants::text)),
				  HINT = 'Example: [{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}].';
	END IF;
	bp := experiments_internal.allocations_bp(ARRAY(SELECT (v ->> 'allocation')::numeric
										   FROM jsonb_array_elements(variants) v));
	-- Writers of one experiment's variants take turns, so that each statement
	-- below sees what the one before committed: two concurrent calls failed
	-- on variants_experiment_id_ordinal_key or made one version twice
	-- (test/scripts/stress.sh). Enrolments only KEY SHARE the row: not blocked.
	PERFORM 1 FROM experiments.experiments e WHERE e.id = exp_id FOR NO KEY UPDATE;
	SELECT x ->> 'key' INTO twice FROM jsonb_array_elements(variants) x
	GROUP BY x ->> 'key' HAVING count(*) > 1 ORDER BY 1 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'variant "%" is listed more than once', experiments_internal.shown_input(twice)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The variants given were %s.', experiments_internal.shown_input(variants::text)),
				  HINT = 'List each variant once.';
	END IF;
	-- A variant keeps its ordinal for good: enrolments, overrides and events
	-- name variants by ordinal (the control is 0), so moving one would hand
	-- its units and past events to another. Listed at another place (a new
	-- order, or one before it left out), it is refused.
	SELECT x.v ->> 'key' AS key, v.ordinal AS was, x.n - 1 AS asked INTO moved
	FROM jsonb_array_elements(variants) WITH ORDINALITY AS x(v, n)
	JOIN experiments.variants v ON v.experiment_id = exp_id AND v.key = x.v ->> 'key'
	WHERE v.ordinal <> x.n - 1
	ORDER BY x.n
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'variant "%" is ordinal % and cannot move to %',
			experiments_internal.shown_input(moved.key), moved.was, moved.asked
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A variant keeps its place for good: enrolments, overrides and events name variants by ordinal, and the first is the control.',
				  HINT = 'List the variants there are in their order and new ones after them; to stop assigning one, give it allocation 0.';
	END IF;
	-- Variants keep their ordinal by key; ones no longer listed are removed,
	-- from a draft only (experiments_internal.check_variant_delete()).
	DELETE FROM experiments.variants v WHERE v.experiment_id = exp_id
		AND v.key NOT IN (SELECT x ->> 'key' FROM jsonb_array_elements(variants) x);
	RETURN QUERY
	INSERT INTO experiments.variants AS v (experiment_id, ordinal, key, name, allocation_bp, type, treatment)
	SELECT exp_id, x.n - 1, x.v ->> 'key', x.v ->> 'name', bp[x.n],
		   (x.v ->> 'type')::experiments.variant_type, coalesce(x.v -> 'treatment', '{}')
	FROM jsonb_array_elements(variants) WITH ORDINALITY AS x(v, n)
	ON CONFLICT (experiment_id, key) DO UPDATE
		SET ordinal = excluded.ordinal, name = excluded.name, allocation_bp = excluded.allocation_bp,
			type = excluded.type, treatment = excluded.treatment, updated_at = now()
	RETURNING v.*;
END;
$$;
REVOKE ALL ON FUNCTION experiments.set_variants(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_variants(text, jsonb) IS
'Administrators: sets an experiment''s variants, in order (the first is the control, ordinal 0), from [{"key", "allocation", "name"?, "type"?, "treatment"?}]; allocations are percentages summing to 100 or basis points summing to 10000. A variant there is keeps its ordinal for good: listing it elsewhere (a new order, one before it left out) or a key twice is refused (22023); new ones come after; variants left out at the end are removed from a draft, while an experiment that has begun serving keeps every variant (allocation 0 stops one; experiments_internal.check_variant_delete()).';

CREATE FUNCTION experiments.set_override(experiment text, unit text, variant text,
										 kind experiments.override_kind DEFAULT 'overridden')
RETURNS experiments.overrides
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp_id bigint := experiments_internal.locked_experiment_id(experiment);
	ord integer;
	result experiments.overrides;
BEGIN
	-- The ordinal read below is stored: a change of the variants
	-- (set_variants(), which holds the experiment's row FOR NO KEY UPDATE)
	-- committed between the read and the insert could remove the variant
	-- and leave its ordinal to another. The row FOR SHARE waits for
	-- such a change and holds off the next one until this transaction ends.
	PERFORM FROM experiments.experiments e WHERE e.id = exp_id FOR SHARE;
	SELECT v.ordinal INTO ord FROM experiments.variants v
	WHERE v.experiment_id = exp_id AND v.key = variant;
	IF ord IS NULL THEN
		RAISE EXCEPTION 'experiment "%" has no variant "%"', experiments_internal.shown_input(experiment), experiments_internal.shown_input(variant)
			USING ERRCODE = 'foreign_key_violation',
				  DETAIL = 'An override forces one of the experiment''s own variants.',
				  HINT = 'List the variants in experiments.variants.';
	END IF;
	INSERT INTO experiments.overrides AS o (experiment_id, unit, ordinal, kind)
	VALUES (exp_id, set_override.unit, ord, coalesce(set_override.kind, 'overridden'))
	ON CONFLICT ON CONSTRAINT overrides_pkey DO UPDATE SET ordinal = excluded.ordinal, kind = excluded.kind
	RETURNING o.* INTO result;
	RETURN result;
END;
$$;
REVOKE ALL ON FUNCTION experiments.set_override(text, text, text, experiments.override_kind) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_override(text, text, text, experiments.override_kind) IS
'Administrators: forces a unit into a variant (kind overridden), or replaces its hashed variant when it is eligible (kind custom).';

CREATE FUNCTION experiments.set_state(experiment text, state experiments.experiment_state)
RETURNS experiments.experiments
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	UPDATE experiments.experiments e SET state = set_state.state
	WHERE e.id = (SELECT experiments_internal.locked_experiment_id(set_state.experiment))
	RETURNING e.*;
$$;
REVOKE ALL ON FUNCTION experiments.set_state(text, experiments.experiment_state) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_state(text, experiments.experiment_state) IS
'Administrators: moves an experiment along draft -> running <-> paused -> stopped.';

CREATE FUNCTION experiments.create_experiment(key text, variants jsonb, traffic_percent numeric DEFAULT 100,
											  unit_type text DEFAULT 'user_id', name text DEFAULT NULL,
											  start boolean DEFAULT false)
RETURNS experiments.experiments
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result experiments.experiments;
BEGIN
	IF experiments_internal.percent_bp(traffic_percent) IS NULL THEN
		RAISE EXCEPTION 'traffic_percent must be between 0 and 100 with at most two decimals'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('It was %s.', coalesce(traffic_percent::text, 'NULL')),
				  HINT = 'Traffic is stored in basis points: 12.5 percent is 1250.';
	END IF;
	INSERT INTO experiments.experiments (key, name, unit_type, traffic_bp)
	VALUES (create_experiment.key, create_experiment.name, create_experiment.unit_type,
			experiments_internal.percent_bp(traffic_percent));
	PERFORM experiments.set_variants(create_experiment.key, variants);
	IF start THEN
		PERFORM experiments.set_state(create_experiment.key, 'running');
	END IF;
	SELECT * INTO result FROM experiments.experiments e
	WHERE e.tenant_id = experiments_internal.required_tenant() AND e.key = create_experiment.key;
	RETURN result;
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_experiment(text, jsonb, numeric, text, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_experiment(text, jsonb, numeric, text, text, boolean) IS
'Administrators: creates an experiment with its variants in one call, optionally starting it.';

-- ABsmartly mode (src/assign/absmartly.c): the context data an ABsmartly SDK
-- reads, built from the configurations assignment uses.
CREATE FUNCTION experiments.absmartly_context()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'absmartly_context'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION experiments.absmartly_context() IS
'ABsmartly''s context data ({"experiments": [{id, name, unitType, iteration, seedHi, seedLo, split, trafficSeedHi, trafficSeedLo, trafficSplit, fullOnVariant, applications, variants, audience, audienceStrict}]}) for the current tenant''s running experiments whose hashing is absmartly, with the seeds and splits assign() uses, given or derived: an ABsmartly SDK given it treats a unit as assign() does (docs/assignment.md, "ABsmartly mode").';

-- 0.2.0 (hostile clients): an enrolment is refused when the unit is outside
-- the experiment's layer range as committed now (record_enrolment()).
CREATE FUNCTION experiments_internal.check_enrolment_layer(experiment_id bigint, unit text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	key text;
	lo integer;
	hi integer;
	b integer;
BEGIN
	SELECT e.key, e.layer_lo, e.layer_hi, experiments.bucket(check_enrolment_layer.unit, l.seed)
	INTO key, lo, hi, b
	FROM experiments.experiments e JOIN experiments.layers l ON l.id = e.layer_id
	WHERE e.id = check_enrolment_layer.experiment_id;
	IF FOUND AND NOT (lo <= b AND b < hi) THEN
		RAISE EXCEPTION 'the layer range of experiment "%" changed while unit "%" was being enrolled', key,
			experiments_internal.shown_input(check_enrolment_layer.unit)
			USING ERRCODE = 'serialization_failure',
				  DETAIL = format('The unit''s layer bucket %s is outside the range [%s, %s) committed since its variant was decided, so it would also be in another experiment of the layer.', b, lo, hi),
				  HINT = 'Retry the transaction: the retry decides under the new range.';
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_enrolment_layer(bigint, text) IS
'For record_enrolment(): an error (40001) when the unit''s bucket of the experiment''s layer is outside the experiment''s layer range as this statement''s snapshot shows it, because the range changed after the enrolment was decided.';
