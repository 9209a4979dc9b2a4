
-- Portable experiments (docs/assignment.md, "Export and import"): a definition
-- as JSON with everything assignment reads, so that an experiment imported
-- into another tenant or database answers assign() as the original does.
CREATE FUNCTION experiments.export_experiment(key text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	e experiments.experiments;
	layer jsonb;
BEGIN
	SELECT * INTO e FROM experiments.experiments x
	WHERE x.tenant_id = experiments_internal.required_tenant() AND x.key = export_experiment.key;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'experiment "%" does not exist', export_experiment.key
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'Only an experiment of the current tenant can be exported.',
				  HINT = 'Check the key, and that the transaction authenticated for the right tenant.';
	END IF;
	SELECT jsonb_build_object('key', l.key, 'seed', l.seed, 'description', l.description,
			'holdouts', coalesce((SELECT jsonb_agg(jsonb_build_object('key', h.key, 'seed', h.seed,
					'allocation_bp', h.allocation_bp, 'description', h.description) ORDER BY h.key)
				FROM experiments.holdouts h WHERE h.layer_id = l.id), '[]'))
	INTO layer FROM experiments.layers l WHERE l.id = e.layer_id;
	RETURN jsonb_build_object(
		'format', 'experiments/1',
		'key', e.key, 'name', e.name, 'description', e.description, 'state', e.state,
		'starts_at', e.starts_at, 'ends_at', e.ends_at, 'unit_type', e.unit_type,
		'traffic_bp', e.traffic_bp, 'traffic_seed', e.traffic_seed, 'variant_seed', e.variant_seed,
		'reset_interval', e.reset_interval, 'audience', e.audience, 'audience_strict', e.audience_strict,
		'full_on_variant', e.full_on_variant, 'gate', e.gate, 'tags', to_jsonb(e.tags),
		'hashing', e.hashing, 'hashing_options', e.hashing_options,
		'layer', layer, 'layer_lo', e.layer_lo, 'layer_hi', e.layer_hi,
		'variants', (SELECT coalesce(jsonb_agg(jsonb_build_object('ordinal', v.ordinal, 'key', v.key,
				'name', v.name, 'description', v.description, 'allocation_bp', v.allocation_bp,
				'type', v.type, 'treatment', v.treatment, 'custom_experience', v.custom_experience)
				ORDER BY v.ordinal), '[]')
			FROM experiments.variants v WHERE v.experiment_id = e.id),
		'overrides', (SELECT coalesce(jsonb_agg(jsonb_build_object('unit', o.unit, 'ordinal', o.ordinal,
				'kind', o.kind) ORDER BY o.unit COLLATE "C"), '[]')
			FROM experiments.overrides o WHERE o.experiment_id = e.id));
END;
$$;
COMMENT ON FUNCTION experiments.export_experiment(text) IS
'An experiment of the current tenant as JSON ({"format": "experiments/1", key, name, description, state, schedule, unit_type, traffic_bp, traffic_seed, variant_seed, reset_interval, audience, audience_strict, full_on_variant, gate, tags, hashing, hashing_options, layer {key, seed, description, holdouts}, layer_lo, layer_hi, variants, overrides}): everything assign() reads, for experiments.import_experiment() (docs/assignment.md, "Export and import").';

-- The layer of an imported experiment: the tenant's layer of that key, which
-- must hash as the exported one, or a new one; likewise its holdouts. Two
-- imports of one layer at once (experiments exported from one layer,
-- imported side by side) share it: the second waits on the unique key the
-- first inserted, then reads the row it committed, instead of failing on
-- layers_tenant_id_key (test/specs/import_layer_race.spec).
CREATE FUNCTION experiments_internal.import_layer(layer jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	l experiments.layers;
	h jsonb;
	found_holdout experiments.holdouts;
BEGIN
	INSERT INTO experiments.layers AS x (key, seed, description)
	VALUES (layer ->> 'key', (layer ->> 'seed')::bigint, layer ->> 'description')
	ON CONFLICT (tenant_id, key) DO NOTHING
	RETURNING x.* INTO l;
	IF NOT FOUND THEN
		SELECT * INTO l FROM experiments.layers x
		WHERE x.tenant_id = experiments_internal.required_tenant() AND x.key = layer ->> 'key';
		IF l.seed <> (layer ->> 'seed')::bigint THEN
			RAISE EXCEPTION 'layer "%" exists with another seed', l.key
				USING ERRCODE = 'unique_violation',
					  DETAIL = 'The imported experiment would place units in the layer differently from the exported one.',
					  HINT = 'Import into a tenant without that layer, or rename the layer in the definition.';
		END IF;
	END IF;
	FOR h IN SELECT * FROM jsonb_array_elements(coalesce(layer -> 'holdouts', '[]')) LOOP
		INSERT INTO experiments.holdouts AS x (key, seed, allocation_bp, layer_id, description)
		VALUES (h ->> 'key', (h ->> 'seed')::bigint, (h ->> 'allocation_bp')::integer, l.id, h ->> 'description')
		ON CONFLICT (tenant_id, key) DO NOTHING;
		IF FOUND THEN
			CONTINUE;
		END IF;
		SELECT * INTO found_holdout FROM experiments.holdouts x
		WHERE x.tenant_id = l.tenant_id AND x.key = h ->> 'key';
		IF found_holdout.seed <> (h ->> 'seed')::bigint OR found_holdout.layer_id IS DISTINCT FROM l.id
			  OR found_holdout.allocation_bp <> (h ->> 'allocation_bp')::integer THEN
			RAISE EXCEPTION 'holdout "%" exists with another seed, allocation or layer', found_holdout.key
				USING ERRCODE = 'unique_violation',
					  DETAIL = 'The imported experiment would hold out other units than the exported one.',
					  HINT = 'Import into a tenant without that holdout, or rename it in the definition.';
		END IF;
	END LOOP;
	RETURN l.id;
END;
$$;
COMMENT ON FUNCTION experiments_internal.import_layer(jsonb) IS
'For import_experiment(): the id of the tenant''s layer of the definition''s key, created with its seed and holdouts when missing; an error when it or a holdout exists and would place units differently.';

CREATE FUNCTION experiments.import_experiment(definition jsonb)
RETURNS experiments.experiments
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	d jsonb := definition;
	e experiments.experiments;
	wanted experiments.experiment_state := coalesce(d ->> 'state', 'draft')::experiments.experiment_state;
BEGIN
	IF jsonb_typeof(d) IS DISTINCT FROM 'object' OR d ->> 'format' IS DISTINCT FROM 'experiments/1' THEN
		RAISE EXCEPTION 'not an experiment definition of format experiments/1'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A definition is the object experiments.export_experiment() returns, with "format": "experiments/1".',
				  HINT = 'Export the experiment with experiments.export_experiment(key).';
	END IF;
	INSERT INTO experiments.experiments (key, name, description, starts_at, ends_at, unit_type,
		traffic_bp, traffic_seed, variant_seed, reset_interval, audience, audience_strict, gate, tags,
		hashing, hashing_options, layer_id, layer_lo, layer_hi)
	VALUES (d ->> 'key', d ->> 'name', d ->> 'description', (d ->> 'starts_at')::timestamptz,
		(d ->> 'ends_at')::timestamptz, d ->> 'unit_type', (d ->> 'traffic_bp')::integer,
		(d ->> 'traffic_seed')::bigint, (d ->> 'variant_seed')::bigint,
		(d ->> 'reset_interval')::experiments.reset_interval, d -> 'audience',
		(d ->> 'audience_strict')::boolean, d ->> 'gate',
		ARRAY(SELECT jsonb_array_elements_text(coalesce(d -> 'tags', '[]'))),
		d ->> 'hashing', d -> 'hashing_options',
		CASE WHEN jsonb_typeof(d -> 'layer') = 'object' THEN experiments_internal.import_layer(d -> 'layer') END,
		(d ->> 'layer_lo')::integer, (d ->> 'layer_hi')::integer)
	RETURNING * INTO e;
	INSERT INTO experiments.variants (experiment_id, ordinal, key, name, description, allocation_bp,
		type, treatment, custom_experience)
	SELECT e.id, (v ->> 'ordinal')::integer, v ->> 'key', v ->> 'name', v ->> 'description',
		   (v ->> 'allocation_bp')::integer, (v ->> 'type')::experiments.variant_type,
		   coalesce(v -> 'treatment', '{}'), coalesce((v ->> 'custom_experience')::boolean, false)
	FROM jsonb_array_elements(coalesce(d -> 'variants', '[]')) v;
	INSERT INTO experiments.overrides (experiment_id, unit, ordinal, kind)
	SELECT e.id, o ->> 'unit', (o ->> 'ordinal')::integer, (o ->> 'kind')::experiments.override_kind
	FROM jsonb_array_elements(coalesce(d -> 'overrides', '[]')) o;
	UPDATE experiments.experiments x SET full_on_variant = (d ->> 'full_on_variant')::integer,
		state = CASE WHEN wanted = 'draft' THEN 'draft'::experiments.experiment_state ELSE 'running' END
	WHERE x.id = e.id RETURNING * INTO e;
	IF wanted IN ('paused', 'stopped') THEN
		UPDATE experiments.experiments x SET state = wanted WHERE x.id = e.id RETURNING * INTO e;
	END IF;
	RETURN e;
END;
$$;
COMMENT ON FUNCTION experiments.import_experiment(jsonb) IS
'Creates in the current tenant the experiment a definition of experiments.export_experiment() describes, with its seeds, hashing, variants, overrides, audience, layer (created, or reused when it hashes alike) and state: it answers assign() as the exported one does. One transaction: an error leaves nothing (docs/assignment.md, "Export and import").';

-- GrowthBook's features payload for the tenant's running GrowthBook
-- experiments, so that GrowthBook's SDKs evaluate them as assign() does.
CREATE FUNCTION experiments.growthbook_features()
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('features', coalesce(jsonb_object_agg(e.key, jsonb_build_object(
		'defaultValue', NULL,
		'rules', jsonb_build_array(jsonb_build_object(
			'key', e.key,
			'variations', (SELECT jsonb_agg(v.ordinal ORDER BY v.ordinal) FROM experiments.variants v WHERE v.experiment_id = e.id),
			'weights', (SELECT jsonb_agg(v.allocation_bp / 10000.0 ORDER BY v.ordinal) FROM experiments.variants v WHERE v.experiment_id = e.id),
			'coverage', e.traffic_bp / 10000.0) || e.hashing_options))), '{}'))
	FROM experiments.experiments e
	WHERE e.tenant_id = experiments_internal.required_tenant() AND e.hashing = 'growthbook'
	  AND e.state = 'running' AND e.full_on_variant IS NULL;
$$;
COMMENT ON FUNCTION experiments.growthbook_features() IS
'GrowthBook''s features payload ({"features": {key: {defaultValue: null, rules: [{key, variations, weights, coverage, and the experiment''s hashing_options}]}}}) for the current tenant''s running GrowthBook experiments without a full-on variant: one feature per experiment whose value is the variant''s ordinal, null when the unit is not in it (docs/assignment.md, "GrowthBook features").';
