-- A straightforward PL/pgSQL implementation of assignment version 1, the
-- baseline of test/bench/assign.sh: the same decisions as assign(), each
-- reading the catalog with SQL, as an application developer would write it.
-- In schema bench, which test/bench/timing.sql creates.

CREATE FUNCTION bench.assign_plpgsql(experiment text, unit text, attributes jsonb DEFAULT '{}')
RETURNS experiments.assignment
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	e experiments.experiments;
	a experiments.assignment;
	ov experiments.overrides;
	layer_seed bigint;
	upper integer := 0;
	v record;
	now_ts timestamptz := now();
BEGIN
	SELECT * INTO e FROM experiments.experiments x
	WHERE x.tenant_id = experiments.current_tenant() AND x.key = experiment;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'experiment "%" does not exist', experiment USING ERRCODE = 'no_data_found';
	END IF;
	a := ROW(e.id, e.key, NULL, NULL, false, false, false, false, false, false, NULL, 0, NULL);
	IF e.state <> 'running' OR now_ts < e.starts_at OR now_ts >= e.ends_at THEN
		a.reason := 'not_running';
		RETURN a;
	END IF;
	IF e.reset_interval <> 'full' AND coalesce(e.starts_at, e.started_at) <= now_ts THEN
		a.period := floor(extract(epoch FROM now_ts - coalesce(e.starts_at, e.started_at)) /
						  CASE e.reset_interval WHEN '1d' THEN 86400 ELSE 604800 END);
	END IF;
	SELECT * INTO ov FROM experiments.overrides o WHERE o.experiment_id = e.id AND o.unit = assign_plpgsql.unit;
	IF FOUND AND ov.kind = 'overridden' THEN
		SELECT key INTO a.variant FROM experiments.variants WHERE experiment_id = e.id AND ordinal = ov.ordinal;
		a.ordinal := ov.ordinal; a.overridden := true; a.eligible := true; a.reason := 'override';
		RETURN a;
	END IF;
	SELECT en.ordinal INTO a.ordinal FROM experiments.enrolments en
	WHERE en.experiment_id = e.id AND en.unit = assign_plpgsql.unit AND en.period = a.period;
	IF FOUND THEN
		SELECT key INTO a.variant FROM experiments.variants WHERE experiment_id = e.id AND ordinal = a.ordinal;
		a.assigned := true; a.eligible := true; a.reason := 'sticky';
		RETURN a;
	END IF;
	IF NOT experiments.audience_matches(e.audience, attributes) THEN
		a.audience_mismatch := true;
		IF e.audience_strict THEN
			a.reason := 'audience';
			RETURN a;
		END IF;
	END IF;
	IF e.layer_id IS NOT NULL THEN
		SELECT l.seed INTO layer_seed FROM experiments.layers l WHERE l.id = e.layer_id;
		IF experiments.bucket(unit, layer_seed) NOT BETWEEN e.layer_lo AND e.layer_hi - 1 THEN
			a.reason := 'layer';
			RETURN a;
		END IF;
	END IF;
	IF EXISTS (SELECT 1 FROM experiments.holdouts h
			   WHERE h.tenant_id = e.tenant_id AND (h.layer_id IS NULL OR h.layer_id = e.layer_id)
				 AND experiments.bucket(unit, h.seed) < h.allocation_bp) THEN
		a.reason := 'holdout';
		RETURN a;
	END IF;
	IF experiments.bucket(unit, e.traffic_seed) >= e.traffic_bp THEN
		a.reason := 'traffic';
		RETURN a;
	END IF;
	a.eligible := true;
	IF e.full_on_variant IS NOT NULL THEN
		SELECT key INTO a.variant FROM experiments.variants WHERE experiment_id = e.id AND ordinal = e.full_on_variant;
		a.ordinal := e.full_on_variant; a.assigned := true; a.full_on := true; a.reason := 'full_on';
		RETURN a;
	END IF;
	IF e.reset_interval <> 'full' THEN
		-- hashing the period's 8 bytes needs a bytea hash SQL does not have
		RAISE EXCEPTION 'reset intervals are not part of this baseline' USING ERRCODE = 'feature_not_supported';
	END IF;
	a.bucket := experiments.bucket(unit, e.variant_seed);
	a.assigned := true;
	FOR v IN SELECT ordinal, key, allocation_bp FROM experiments.variants WHERE experiment_id = e.id ORDER BY ordinal LOOP
		upper := upper + v.allocation_bp;
		IF a.bucket < upper THEN
			a.variant := v.key;
			a.ordinal := v.ordinal;
			EXIT;
		END IF;
	END LOOP;
	IF ov.kind = 'custom' THEN
		SELECT key INTO a.variant FROM experiments.variants WHERE experiment_id = e.id AND ordinal = ov.ordinal;
		a.ordinal := ov.ordinal; a.custom := true; a.reason := 'override';
		RETURN a;
	END IF;
	a.reason := 'hash';
	RETURN a;
END;
$$;
