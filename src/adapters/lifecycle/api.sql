-- experiments: the draft/published experiment endpoints (the draft/published
-- document) in schema experiments_api: one wrapper per function of
-- src/adapters/lifecycle/lifecycle.sql, the path parameters and the document
-- sent as arguments. Each answers as the API does: 201 for a create, 204 for
-- a delete, and its refusals (authorize()'s 401 and 403 included) with the
-- API's status and {"status", "message"} at the top level, the request's work
-- rolled back with the block (experiments_internal.api_error_answer()). Each
-- is followed by its owner and by the GRANT that says which role may call it
-- (docs/http-api.md). docs/apis/draft-published.md lists the requests.

-- Draft/published GET /api/v5/orgs/{organization_id}/experiments.
CREATE FUNCTION experiments_api.list_org_experiments(organization_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments.list_org_experiments(organization_id => organization_id);
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.api_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.list_org_experiments(organization_id uuid) IS
'POST /rpc/list_org_experiments. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id. GET /api/v5/orgs/{organization_id}/experiments: the organization''s experiments, oldest first. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.list_org_experiments(organization_id uuid) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.list_org_experiments(organization_id uuid) TO experiments_admin;

-- Draft/published GET /api/v5/orgs/{organization_id}/experiments/{experiment_id}.
CREATE FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments.get_org_experiment(organization_id => organization_id, experiment_id => experiment_id);
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.api_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid) IS
'POST /rpc/get_org_experiment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, experiment_id. GET /api/v5/orgs/{organization_id}/experiments/{experiment_id}: the experiment document; 404 when there is none. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid) TO experiments_admin;

-- Draft/published POST /api/v5/orgs/{organization_id}/experiments.
CREATE FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(201, experiments.create_org_experiment(organization_id => organization_id, body => body),
		experiments_internal.org_experiment_warning(body));
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.api_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb) IS
'POST /rpc/create_org_experiment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, body. POST /api/v5/orgs/{organization_id}/experiments: creates an experiment (201), a draft when is_draft is true, published and running otherwise; its key is its uuid. 400 when attributes are missing or malformed, 404 for an unknown goal or room; unknown attributes are ignored and named in the X-Warning header. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb) TO experiments_admin;

-- Draft/published PUT /api/v5/orgs/{organization_id}/experiments/{experiment_id}.
CREATE FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.respond(200, experiments.update_org_experiment(organization_id => organization_id, experiment_id => experiment_id, body => body),
		experiments_internal.org_experiment_warning(body));
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.api_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb) IS
'POST /rpc/update_org_experiment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, experiment_id, body. PUT /api/v5/orgs/{organization_id}/experiments/{experiment_id}: updates an experiment with the attributes given and returns it. 400 when it has ended, when ends_at is not after starts_at, when going from published to draft, when a read-only attribute of a started experiment changes, or when publishing without the attributes the document requires; 404 when it does not exist; unknown attributes are ignored and named in the X-Warning header. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb) TO experiments_admin;

-- Draft/published DELETE /api/v5/orgs/{organization_id}/experiments/{experiment_id}.
CREATE FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	answer jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments.delete_org_experiment(organization_id => organization_id, experiment_id => experiment_id);
	RETURN experiments_internal.respond(204, NULL);
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.api_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
COMMENT ON FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid) IS
'POST /rpc/delete_org_experiment. Arguments (the keys of the JSON body; for management, the path parameters by name and body, the document sent): organization_id, experiment_id. DELETE /api/v5/orgs/{organization_id}/experiments/{experiment_id}: deletes an experiment (204, no body); 404 when it does not exist. 401 without valid credentials, 403 for a key or token of another role or another organization; errors answer {"status", "message"}.';
ALTER FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid) TO experiments_admin;
