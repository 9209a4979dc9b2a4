-- experiments: the draft/published experiments API (the draft/published document). Per
-- organization (a tenant), experiments with a goal, groups (variants), rooms
-- and a schedule; a draft may be incomplete, a published experiment is
-- complete and running, and never goes back to draft. Errors are raised with
-- raise_api_error: SQLSTATE PT400, PT403 or PT404.

CREATE FUNCTION experiments_internal.check_organization(organization_id uuid)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF organization_id IS DISTINCT FROM experiments_internal.required_tenant() THEN
		PERFORM experiments_internal.raise_api_error(403, format('You do not have access to organization %s.', organization_id));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_organization(uuid) IS
'An organization is a tenant: a caller reaches only its own (403 otherwise).';

CREATE FUNCTION experiments_internal.org_experiment(organization_id uuid, experiment_id uuid)
RETURNS experiments.experiments
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result experiments.experiments;
BEGIN
	PERFORM experiments_internal.check_organization(organization_id);
	SELECT e.* INTO result FROM experiments.experiments e
	WHERE e.tenant_id = organization_id AND e.uuid = org_experiment.experiment_id;
	IF NOT FOUND THEN
		PERFORM experiments_internal.raise_api_error(404, format('Experiment %s was not found.', experiment_id));
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION experiments_internal.org_experiment(uuid, uuid) IS
'An experiment of an organization by its uuid; 404 when there is none.';

-- The API's users are whoever the catalog records as author (created_by,
-- updated_by): an API key (a bot), a token's subject or a login. The id is
-- the token's subject when that is a UUID (the API's user ids are), else a
-- UUID made from the principal, the same for every change it makes.
CREATE FUNCTION experiments_internal.org_user_document(principal jsonb, organization_id uuid)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'id', CASE WHEN principal ->> 'token' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
				   THEN (principal ->> 'token')::uuid ELSE md5(principal::text)::uuid END,
		'first_name', split_part(u.name, ' ', 1),
		'last_name', CASE WHEN strpos(u.name, ' ') > 0 THEN substr(u.name, strpos(u.name, ' ') + 1) ELSE '' END,
		'full_name', u.name,
		'organization_id', organization_id,
		'is_bot', principal ? 'api_key')
	FROM (SELECT coalesce(principal ->> 'application', principal ->> 'name', principal ->> 'email',
						  nullif(principal ->> 'token', ''), principal ->> 'login', '') AS name) AS u;
$$;
COMMENT ON FUNCTION experiments_internal.org_user_document(jsonb, uuid) IS
'The user document of the draft/published API for an author the catalog recorded (current_principal()): id (the token''s subject when a UUID, else a UUID derived from the principal), first_name, last_name and full_name from the application, the token''s name or the login, organization_id, and is_bot (true for an API key).';

CREATE FUNCTION experiments_internal.org_experiment_document(exp experiments.experiments)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'id', exp.uuid,
		'is_draft', exp.state = 'draft',
		'created_at', experiments_internal.json_timestamp(exp.created_at),
		'created_by_user', creator.doc,
		'created_by_user_id', creator.doc -> 'id',
		'updated_at', experiments_internal.json_timestamp(exp.updated_at),
		'updated_by_user', updater.doc,
		'updated_by_user_id', updater.doc -> 'id',
		'organization_id', exp.tenant_id,
		'organization', org.doc,
		'goal_id', exp.goal_id,
		'goal', (SELECT jsonb_build_object('id', g.id, 'name', coalesce(g.name, g.key),
										   'organization', org.doc, 'organization_id', g.tenant_id)
				 FROM experiments.goals g WHERE g.id = exp.goal_id),
		'groups', (SELECT coalesce(jsonb_agg(jsonb_build_object(
							'id', v.uuid,
							'created_at', experiments_internal.json_timestamp(v.created_at),
							'updated_at', experiments_internal.json_timestamp(v.updated_at),
							'order', v.ordinal,
							'name', v.name,
							'percentage', experiments_internal.percent_json(v.allocation_bp),
							'group_type', v.type,
							'treatment', v.treatment) ORDER BY v.ordinal), '[]')
				   FROM experiments.variants v WHERE v.experiment_id = exp.id),
		'group_reset_interval', exp.reset_interval,
		'name', exp.name,
		'starts_at', experiments_internal.json_timestamp(exp.starts_at),
		'ends_at', experiments_internal.json_timestamp(exp.ends_at),
		'room_ids', (SELECT coalesce(jsonb_agg(r.id ORDER BY r.name, r.id), '[]')
					 FROM experiments.experiment_rooms x JOIN experiments.rooms r ON r.id = x.room_id
					 WHERE x.experiment_id = exp.id),
		'rooms', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'name', r.name) ORDER BY r.name, r.id), '[]')
				  FROM experiments.experiment_rooms x JOIN experiments.rooms r ON r.id = x.room_id
				  WHERE x.experiment_id = exp.id))
	FROM (SELECT jsonb_build_object('id', t.id, 'name', coalesce(t.display_name, t.name)) AS doc
		  FROM experiments.tenants t WHERE t.id = exp.tenant_id) AS org,
		 experiments_internal.org_user_document(exp.created_by, exp.tenant_id) AS creator(doc),
		 experiments_internal.org_user_document(exp.updated_by, exp.tenant_id) AS updater(doc);
$$;
COMMENT ON FUNCTION experiments_internal.org_experiment_document(experiments.experiments) IS
'The experiment document of the draft/published API: attributes, who created and last updated it, goal, groups in order, rooms.';

CREATE FUNCTION experiments_internal.org_experiment_error(body jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	uuid_format CONSTANT text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
	bad text;
	g jsonb;
BEGIN
	IF jsonb_typeof(body) IS DISTINCT FROM 'object' THEN
		PERFORM experiments_internal.raise_api_error(400, 'The request body must be a JSON object.');
	END IF;
	IF jsonb_typeof(body -> 'is_draft') IS DISTINCT FROM 'boolean' THEN
		PERFORM experiments_internal.raise_api_error(400, 'is_draft is required: true or false.');
	END IF;
	bad := experiments_internal.malformed_property(body,
		'{"goal_id": "string", "groups": "array", "name": "string", "room_ids": "string[]",
		  "starts_at": "timestamp", "ends_at": "timestamp", "group_reset_interval": "string"}');
	IF bad IS NULL AND body ->> 'goal_id' !~* uuid_format THEN
		bad := 'goal_id';
	ELSIF bad IS NULL AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(body -> 'room_ids') r WHERE r !~* uuid_format) THEN
		bad := 'room_ids';
	ELSIF bad IS NULL AND body ->> 'group_reset_interval' NOT IN ('full', '1w', '1d') THEN
		bad := 'group_reset_interval';
	END IF;
	IF bad IS NOT NULL THEN
		PERFORM experiments_internal.raise_api_error(400,
			format('%s is not in the right format.', experiments_internal.shown_input(bad)));
	END IF;
	IF jsonb_array_length(body -> 'groups') > 1000 THEN
		PERFORM experiments_internal.raise_api_error(400, format('groups is not in the right format: %s groups, at most 1000.',
			jsonb_array_length(body -> 'groups')));
	END IF;
	FOR g IN SELECT x FROM jsonb_array_elements(body -> 'groups') x LOOP
		bad := CASE WHEN jsonb_typeof(g) <> 'object' THEN 'groups'
					ELSE experiments_internal.malformed_property(g,
						'{"name": "string", "percentage": "number", "group_type": "string", "treatment": "object"}') END;
		IF bad IS NULL AND ((g ->> 'percentage')::numeric NOT BETWEEN 0 AND 100
							OR (g ->> 'percentage')::numeric <> trunc((g ->> 'percentage')::numeric)) THEN
			bad := 'percentage';
		ELSIF bad IS NULL AND g ->> 'group_type' NOT IN ('control', 'user_defined', 'target_algorithm', 'target_random') THEN
			bad := 'group_type';
		ELSIF bad IS NULL AND char_length(g ->> 'name') NOT BETWEEN 1 AND 128 THEN
			bad := 'name (1 to 128 characters)';
		END IF;
		IF bad IS NOT NULL THEN
			PERFORM experiments_internal.raise_api_error(400, format('The group %s is not in the right format: %s.',
				experiments_internal.shown_input(g::text), experiments_internal.shown_input(bad)));
		END IF;
	END LOOP;
END;
$$;
COMMENT ON FUNCTION experiments_internal.org_experiment_error(jsonb) IS
'Checks the format of an experiment request body (is_draft present, uuids, timestamps, at most 1000 groups with names of 1 to 128 characters, whole percentages 0..100 and known group types); 400 when it is wrong.';

-- A client may send back what it read (the document's read-only
-- attributes are ignored quietly); anything else it sends is ignored too, as
-- the document does not refuse it, but named in a warning header so that a
-- misspelt attribute does not go unnoticed.
CREATE FUNCTION experiments_internal.org_experiment_warning(body jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('X-Warning', 'unknown attributes ignored: '
			|| regexp_replace(string_agg(a.path, ', ' ORDER BY a.n, a.path), '[^ -~]', '?', 'g'))
	FROM (SELECT 0 AS n, k AS path FROM jsonb_object_keys(body) AS k
		  WHERE k NOT IN ('is_draft', 'goal_id', 'groups', 'name', 'room_ids', 'starts_at', 'ends_at', 'group_reset_interval',
						  'id', 'created_at', 'created_by_user', 'created_by_user_id', 'updated_at', 'updated_by_user',
						  'updated_by_user_id', 'organization_id', 'organization', 'goal', 'rooms')
		  UNION ALL
		  SELECT g.n, format('groups[%s].%s', g.n - 1, k)
		  FROM jsonb_array_elements(CASE jsonb_typeof(body -> 'groups') WHEN 'array' THEN body -> 'groups' END)
			   WITH ORDINALITY AS g(doc, n),
			   jsonb_object_keys(g.doc) AS k
		  WHERE k NOT IN ('name', 'percentage', 'group_type', 'treatment', 'id', 'created_at', 'updated_at', 'order')) AS a
	HAVING count(*) > 0;
$$;
COMMENT ON FUNCTION experiments_internal.org_experiment_warning(jsonb) IS
'The X-Warning header (as a response.headers object) naming the attributes of a valid request body that are neither written nor read-only attributes of the document (groups[N].name for a group''s), which were ignored; NULL when there are none.';

CREATE FUNCTION experiments_internal.check_started_experiment(exp experiments.experiments, body jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	changed text;
BEGIN
	SELECT f INTO changed FROM (VALUES
		('goal_id', body ? 'goal_id' AND (body ->> 'goal_id')::uuid IS DISTINCT FROM exp.goal_id),
		('starts_at', body ? 'starts_at' AND experiments_internal.parse_timestamp(body ->> 'starts_at') IS DISTINCT FROM exp.starts_at),
		('group_reset_interval', body ? 'group_reset_interval'
			AND (body ->> 'group_reset_interval')::experiments.reset_interval IS DISTINCT FROM exp.reset_interval),
		('room_ids', body ? 'room_ids' AND
			ARRAY(SELECT r::uuid FROM jsonb_array_elements_text(body -> 'room_ids') r ORDER BY 1) IS DISTINCT FROM
			ARRAY(SELECT x.room_id FROM experiments.experiment_rooms x WHERE x.experiment_id = exp.id ORDER BY 1)),
		('groups', body ? 'groups' AND jsonb_array_length(body -> 'groups') <>
			(SELECT count(*) FROM experiments.variants v WHERE v.experiment_id = exp.id)),
		('group_type', EXISTS (SELECT 1 FROM jsonb_array_elements(body -> 'groups') WITH ORDINALITY AS g(doc, n)
							   JOIN experiments.variants v ON v.experiment_id = exp.id AND v.ordinal = g.n - 1
							   WHERE g.doc ? 'group_type'
								 AND (g.doc ->> 'group_type')::experiments.variant_type IS DISTINCT FROM v.type)),
		('treatment', EXISTS (SELECT 1 FROM jsonb_array_elements(body -> 'groups') WITH ORDINALITY AS g(doc, n)
							  JOIN experiments.variants v ON v.experiment_id = exp.id AND v.ordinal = g.n - 1
							  WHERE g.doc ? 'treatment' AND coalesce(nullif(g.doc -> 'treatment', 'null'), '{}') <> v.treatment))
	) AS c(f, differs)
	WHERE c.differs
	LIMIT 1;
	IF changed IS NOT NULL THEN
		PERFORM experiments_internal.raise_api_error(400,
			format('%s is read-only: the experiment started at %s.', changed, experiments_internal.json_timestamp(exp.starts_at)));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_started_experiment(experiments.experiments, jsonb) IS
'Once a published experiment''s starts_at has passed, its goal, rooms, start, reset interval, number of groups, group types and treatments are read-only: 400 when the body changes one.';

CREATE FUNCTION experiments_internal.write_org_experiment(exp experiments.experiments, body jsonb, creating boolean)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	started boolean := exp.state <> 'draft' AND exp.starts_at <= now();
	groups jsonb := body -> 'groups';
	publish boolean;
	new_goal uuid;
	new_start timestamptz;
	new_end timestamptz;
	missing text;
BEGIN
	PERFORM experiments_internal.org_experiment_error(body);
	publish := NOT (body ->> 'is_draft')::boolean;
	new_goal := CASE WHEN body ? 'goal_id' THEN (body ->> 'goal_id')::uuid ELSE exp.goal_id END;
	new_start := CASE WHEN body ? 'starts_at' THEN experiments_internal.parse_timestamp(body ->> 'starts_at') ELSE exp.starts_at END;
	new_end := CASE WHEN body ? 'ends_at' THEN experiments_internal.parse_timestamp(body ->> 'ends_at') ELSE exp.ends_at END;
	IF exp.state <> 'draft' AND NOT publish THEN
		PERFORM experiments_internal.raise_api_error(400, 'A published experiment cannot go back to draft.');
	END IF;
	IF exp.state = 'stopped' OR exp.ends_at <= now() THEN
		PERFORM experiments_internal.raise_api_error(400, format('The experiment ended at %s: it can no longer be updated.',
			coalesce(experiments_internal.json_timestamp(exp.ends_at), 'its stop')));
	END IF;
	IF started THEN
		PERFORM experiments_internal.check_started_experiment(exp, body);
	END IF;
	IF new_end <= new_start THEN
		PERFORM experiments_internal.raise_api_error(400, format('ends_at %s is not after starts_at %s.',
			experiments_internal.json_timestamp(new_end), experiments_internal.json_timestamp(new_start)));
	END IF;
	-- The goal and rooms found are locked against deletion (FOR KEY SHARE):
	-- one deleted meanwhile is then missing here (404), not a foreign key
	-- violation below (test/specs/org_experiment_reference_race.spec).
	IF new_goal IS NOT NULL AND NOT EXISTS (SELECT 1 FROM experiments.goals g
											WHERE g.tenant_id = exp.tenant_id AND g.id = new_goal FOR KEY SHARE) THEN
		PERFORM experiments_internal.raise_api_error(404, format('Goal %s was not found.', experiments_internal.shown_input(new_goal::text)));
	END IF;
	SELECT r INTO missing FROM jsonb_array_elements_text(body -> 'room_ids') r
	WHERE NOT EXISTS (SELECT 1 FROM experiments.rooms x WHERE x.tenant_id = exp.tenant_id AND x.id = r::uuid FOR KEY SHARE) LIMIT 1;
	IF missing IS NOT NULL THEN
		PERFORM experiments_internal.raise_api_error(404, format('Room %s was not found.', experiments_internal.shown_input(missing::text)));
	END IF;
	IF (SELECT count(DISTINCT g ->> 'name') <> count(g ->> 'name') FROM jsonb_array_elements(groups) g) THEN
		PERFORM experiments_internal.raise_api_error(400, 'The names of an experiment''s groups must differ.');
	END IF;
	IF publish THEN
		-- What the document marks required when is_draft is false, in the
		-- body itself (a PUT too); goal_id, room_ids and starts_at are
		-- read-only once started, a group's group_type is optional in a PUT.
		SELECT string_agg(a, ', ') INTO missing FROM (VALUES
			('goal_id', NOT started AND body ->> 'goal_id' IS NULL),
			('groups', coalesce(jsonb_array_length(groups),
								(SELECT count(*)::integer FROM experiments.variants v WHERE v.experiment_id = exp.id)) = 0),
			('groups[].name', EXISTS (SELECT 1 FROM jsonb_array_elements(groups) g WHERE g ->> 'name' IS NULL)),
			('groups[].percentage', EXISTS (SELECT 1 FROM jsonb_array_elements(groups) g WHERE g ->> 'percentage' IS NULL)),
			('groups[].group_type', creating AND EXISTS (SELECT 1 FROM jsonb_array_elements(groups) g WHERE NOT g ? 'group_type')),
			('name', body ->> 'name' IS NULL),
			('room_ids', NOT started AND body -> 'room_ids' IS NULL),
			('starts_at', NOT started AND body ->> 'starts_at' IS NULL)
		) AS m(a, absent) WHERE m.absent;
		IF missing IS NOT NULL THEN
			PERFORM experiments_internal.raise_api_error(400, format('Required attributes are missing: %s.', experiments_internal.shown_input(missing::text)));
		END IF;
		IF groups IS NOT NULL AND (SELECT sum((g ->> 'percentage')::numeric) <> 100 FROM jsonb_array_elements(groups) g) THEN
			PERFORM experiments_internal.raise_api_error(400, format('The percentages of the groups sum to %s, not 100.',
				(SELECT sum((g ->> 'percentage')::numeric) FROM jsonb_array_elements(groups) g)));
		END IF;
	END IF;
	UPDATE experiments.experiments e
	SET name = CASE WHEN body ? 'name' THEN body ->> 'name' ELSE e.name END,
		goal_id = new_goal,
		starts_at = new_start,
		ends_at = new_end,
		reset_interval = coalesce((body ->> 'group_reset_interval')::experiments.reset_interval, e.reset_interval)
	WHERE e.id = exp.id;
	IF groups IS NOT NULL THEN
		-- Groups are matched by position; keys are parked on the unique uuids
		-- first so that renames may swap names.
		DELETE FROM experiments.variants v WHERE v.experiment_id = exp.id AND v.ordinal >= jsonb_array_length(groups);
		UPDATE experiments.variants v SET key = v.uuid::text WHERE v.experiment_id = exp.id;
		INSERT INTO experiments.variants AS v (experiment_id, ordinal, key, name, allocation_bp, type, treatment)
		SELECT exp.id, g.n - 1, coalesce(g.doc ->> 'name', 'group-' || (g.n - 1)), g.doc ->> 'name',
			   coalesce((g.doc ->> 'percentage')::numeric * 100, 0)::integer,
			   -- a group_type or treatment left out keeps the group's (those of
			   -- a started experiment cannot differ: check_started_experiment)
			   CASE WHEN g.doc ? 'group_type' THEN (g.doc ->> 'group_type')::experiments.variant_type ELSE old.type END,
			   CASE WHEN g.doc ? 'treatment' THEN coalesce(nullif(g.doc -> 'treatment', 'null'), '{}')
					ELSE coalesce(old.treatment, '{}') END
		FROM jsonb_array_elements(groups) WITH ORDINALITY AS g(doc, n)
		LEFT JOIN experiments.variants old ON old.experiment_id = exp.id AND old.ordinal = g.n - 1
		ON CONFLICT (experiment_id, ordinal) DO UPDATE
			SET key = excluded.key, name = excluded.name, allocation_bp = excluded.allocation_bp,
				type = excluded.type, treatment = excluded.treatment, updated_at = now();
	END IF;
	IF body ? 'room_ids' THEN
		DELETE FROM experiments.experiment_rooms x WHERE x.experiment_id = exp.id;
		INSERT INTO experiments.experiment_rooms (experiment_id, room_id)
		SELECT DISTINCT exp.id, r::uuid FROM jsonb_array_elements_text(body -> 'room_ids') r;
	END IF;
	IF publish AND exp.state = 'draft' THEN
		UPDATE experiments.experiments e SET state = 'running' WHERE e.id = exp.id;
	END IF;
	SELECT e.* INTO exp FROM experiments.experiments e WHERE e.id = exp.id;
	RETURN experiments_internal.org_experiment_document(exp);
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.write_org_experiment(experiments.experiments, jsonb, boolean) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.write_org_experiment(experiments.experiments, jsonb, boolean) IS
'Validates an experiment request body (of a POST when creating, else of a PUT) against the experiment and writes what it gives; publishing (is_draft false) checks that the body has what the document requires and moves a draft to running. Raises the API''s 400 and 404 errors.';

CREATE FUNCTION experiments.list_org_experiments(organization_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.check_organization(organization_id);
	RETURN (SELECT coalesce(jsonb_agg(experiments_internal.org_experiment_document(e) ORDER BY e.created_at, e.id), '[]')
			FROM experiments.experiments e WHERE e.tenant_id = organization_id);
END;
$$;
COMMENT ON FUNCTION experiments.list_org_experiments(uuid) IS
'GET /api/v5/orgs/{organization_id}/experiments: the organization''s experiments, oldest first.';

CREATE FUNCTION experiments.get_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.org_experiment_document(experiments_internal.org_experiment(organization_id, experiment_id));
$$;
COMMENT ON FUNCTION experiments.get_org_experiment(uuid, uuid) IS
'GET /api/v5/orgs/{organization_id}/experiments/{experiment_id}: the experiment document; 404 when there is none.';

CREATE FUNCTION experiments.create_org_experiment(organization_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	new_uuid uuid := gen_random_uuid();
	exp experiments.experiments;
BEGIN
	PERFORM experiments_internal.check_organization(organization_id);
	INSERT INTO experiments.experiments AS e (uuid, key)
	VALUES (new_uuid, new_uuid::text)
	RETURNING e.* INTO exp;
	RETURN experiments_internal.write_org_experiment(exp, body, true);
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_org_experiment(uuid, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_org_experiment(uuid, jsonb) IS
'POST /api/v5/orgs/{organization_id}/experiments: creates an experiment (201), a draft when is_draft is true, published and running otherwise; its key is its uuid. 400 when attributes are missing or malformed, 404 for an unknown goal or room.';

CREATE FUNCTION experiments.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments := experiments_internal.org_experiment(organization_id, experiment_id);
BEGIN
	-- Writers of one experiment take turns; the one that waited reads the
	-- row as committed, and finds none when the other deleted it
	-- (test/specs/org_experiment_delete_race.spec).
	SELECT e.* INTO exp FROM experiments.experiments e WHERE e.id = exp.id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM experiments_internal.raise_api_error(404, format('Experiment %s was not found.', experiment_id));
	END IF;
	RETURN experiments_internal.write_org_experiment(exp, body, false);
END;
$$;
REVOKE ALL ON FUNCTION experiments.update_org_experiment(uuid, uuid, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION experiments.update_org_experiment(uuid, uuid, jsonb) IS
'PUT /api/v5/orgs/{organization_id}/experiments/{experiment_id}: updates an experiment with the attributes given and returns it. 400 when it has ended, when ends_at is not after starts_at, when going from published to draft, when a read-only attribute of a started experiment changes, or when publishing it incomplete; 404 when it does not exist.';

CREATE FUNCTION experiments.delete_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments := experiments_internal.org_experiment(organization_id, experiment_id);
BEGIN
	DELETE FROM experiments.experiments e WHERE e.id = exp.id;
END;
$$;
REVOKE ALL ON FUNCTION experiments.delete_org_experiment(uuid, uuid) FROM PUBLIC;
COMMENT ON FUNCTION experiments.delete_org_experiment(uuid, uuid) IS
'DELETE /api/v5/orgs/{organization_id}/experiments/{experiment_id}: deletes an experiment (204); 404 when it does not exist.';
