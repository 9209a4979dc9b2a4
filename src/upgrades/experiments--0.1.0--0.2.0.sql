\echo Use "ALTER EXTENSION experiments UPDATE TO '0.2.0'" to load this file. \quit
-- experiments 0.1.0 -> 0.2.0: a COMMENT ON every object. 0.2.0 documents
-- what 0.1.0 left without a comment: the schema experiments, the
-- tenant_isolation policies, the triggers, the identity sequences, the
-- attributes of the type experiments.assignment, the columns of the tables
-- of schema experiments and of the views of experiments and experiments_api
-- (PostgREST shows the comments as the API's documentation). The changes
-- that follow the comments each open with a comment saying what changes.
-- Each statement is the one beside its object in the file named above it,
-- in the order of the install script; keep the two in step.

-- src/core/tenant.sql
COMMENT ON SCHEMA experiments IS
'The public SQL API of the experiments extension (tenants and keys, the catalog, assignment, events, management, results and statistics, maintenance) and its tables; helpers are in experiments_internal, the HTTP API in experiments_api.';
COMMENT ON COLUMN experiments.tenants.id IS
'Tenant id: the value of the setting experiments.tenant, and of every tenant_id column; a random UUID by default.';
COMMENT ON COLUMN experiments.tenants.display_name IS 'Name for people, free text; NULL when none was given.';
COMMENT ON COLUMN experiments.tenants.created_at IS 'When the tenant was created.';
COMMENT ON POLICY tenant_isolation ON experiments.tenants IS
'Row-level security: a transaction sees and writes only its own tenant (experiments.current_tenant(), set by authentication).';

-- src/core/catalog.sql
COMMENT ON COLUMN experiments.sites.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.sites.id IS
'Numeric id, referenced by experiments.experiments.site_id and the storefront objects of the site; the Commerce Cloud API knows a site by key.';
COMMENT ON COLUMN experiments.sites.key IS
'The site id of the Commerce Cloud Data API (/sites/{key}/...), 1 to 256 characters, unique per tenant.';
COMMENT ON COLUMN experiments.sites.name IS 'Name for people; NULL when none was given.';
COMMENT ON SEQUENCE experiments.sites_id_seq IS
'Identity of experiments.sites.id: the id of a new row of sites when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.sites IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.goals.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.goals.id IS 'UUID of the goal (the goal_id of the draft/published API).';
COMMENT ON COLUMN experiments.goals.key IS
'Name events carry for the goal (goal_events.goal), 1 to 256 characters, unique per tenant; the key_metric_id of the Commerce Cloud API.';
COMMENT ON COLUMN experiments.goals.name IS 'Name for people; NULL when none was given.';
COMMENT ON POLICY tenant_isolation ON experiments.goals IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.rooms.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.rooms.id IS 'UUID of the room (an element of room_ids in the draft/published API).';
COMMENT ON COLUMN experiments.rooms.name IS 'Name of the room.';
COMMENT ON POLICY tenant_isolation ON experiments.rooms IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.layers.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.layers.id IS 'Numeric id, referenced by experiments.experiments.layer_id and experiments.holdouts.layer_id.';
COMMENT ON COLUMN experiments.layers.key IS 'Name of the layer, 1 to 40 characters, unique per tenant.';
COMMENT ON COLUMN experiments.layers.seed IS
'Seed of the layer''s draw bucket(unit, seed), whose ranges the layer''s experiments own; random at creation.';
COMMENT ON COLUMN experiments.layers.description IS 'Description for people; NULL when none was given.';
COMMENT ON SEQUENCE experiments.layers_id_seq IS
'Identity of experiments.layers.id: the id of a new row of layers when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.layers IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.holdouts.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.holdouts.id IS 'Numeric id of the holdout.';
COMMENT ON COLUMN experiments.holdouts.key IS 'Name of the holdout, 1 to 40 characters, unique per tenant.';
COMMENT ON COLUMN experiments.holdouts.seed IS 'Seed of the holdout''s draw bucket(unit, seed); random at creation.';
COMMENT ON COLUMN experiments.holdouts.allocation_bp IS
'Share of units held out, in basis points (0 to 10000): those with bucket(unit, seed) < allocation_bp.';
COMMENT ON COLUMN experiments.holdouts.layer_id IS
'The layer (experiments.layers.id) whose experiments the holdout keeps units out of; NULL: every experiment of the tenant.';
COMMENT ON COLUMN experiments.holdouts.description IS 'Description for people; NULL when none was given.';
COMMENT ON SEQUENCE experiments.holdouts_id_seq IS
'Identity of experiments.holdouts.id: the id of a new row of holdouts when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.holdouts IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.experiments.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.experiments.name IS 'Name for people; NULL when none was given.';
COMMENT ON COLUMN experiments.experiments.description IS 'Description for people; NULL when none was given.';
COMMENT ON COLUMN experiments.experiments.starts_at IS
'Start (inclusive) of the assignment window: no unit is assigned before it; NULL for no start. Also the origin of reset periods.';
COMMENT ON COLUMN experiments.experiments.ends_at IS
'End (exclusive) of the assignment window: no unit is assigned at or after it; NULL for no end. Later than starts_at.';
COMMENT ON COLUMN experiments.experiments.reset_interval IS
'How often units are re-drawn: full (never), 1w (weekly) or 1d (daily), in whole intervals since starts_at, or since started_at when starts_at is NULL; each interval is a reset period of enrolments.';
COMMENT ON COLUMN experiments.experiments.layer_id IS
'The layer (experiments.layers.id) in which the experiment owns the range [layer_lo, layer_hi) of the layer''s bucket; NULL when it is in no layer.';
COMMENT ON COLUMN experiments.experiments.goal_id IS
'The goal the experiment is judged on (experiments.goals.id): the goal of the draft/published API, whose key is the key_metric_id of the Commerce Cloud API; NULL for none. Results cover every goal either way.';
COMMENT ON COLUMN experiments.experiments.site_id IS
'The Commerce Cloud site (experiments.sites.id) of an A/B test created through that API; NULL otherwise.';
COMMENT ON COLUMN experiments.experiments.tags IS 'Free labels (the tags of the Commerce Cloud A/B test API); empty when none.';
COMMENT ON COLUMN experiments.experiments.created_at IS 'When the experiment was created.';
COMMENT ON COLUMN experiments.experiments.updated_at IS
'When the experiment or its variants last changed (a change of the enrolment flag alone excepted); set by the update trigger.';
COMMENT ON COLUMN experiments.experiments.created_by IS
'The database role (current_user) that created the experiment through the Commerce Cloud A/B test or draft/published API (created_by_user_id); NULL for an experiment created otherwise.';
COMMENT ON COLUMN experiments.experiments.updated_by IS
'The database role (current_user) that last changed the experiment through the Commerce Cloud A/B test or draft/published API (updated_by_user_id); NULL when neither API has written it.';
COMMENT ON SEQUENCE experiments.experiments_id_seq IS
'Identity of experiments.experiments.id: the id of a new row of experiments when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.experiments IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.variants.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.variants.uuid IS 'UUID, as the draft/published experiment API knows groups.';
COMMENT ON COLUMN experiments.variants.experiment_id IS 'The experiment (experiments.experiments.id) the variant belongs to.';
COMMENT ON COLUMN experiments.variants.ordinal IS
'Position of the variant in its experiment, 0 to 999, unique in it; 0 is the control. Variants take their bucket ranges in ordinal order, and events name variants by it.';
COMMENT ON COLUMN experiments.variants.key IS
'Name of the variant, 1 to 128 characters, unique in its experiment: the variant assign() answers, the segment id of the Commerce Cloud API.';
COMMENT ON COLUMN experiments.variants.name IS 'Name for people (the group name of the draft/published API); NULL when none was given.';
COMMENT ON COLUMN experiments.variants.description IS
'Description for people (the segment description of the Commerce Cloud API); NULL when none was given.';
COMMENT ON COLUMN experiments.variants.type IS
'Kind of the variant (the group_type of the draft/published API): control, user_defined, target_algorithm or target_random; NULL when none was given.';
COMMENT ON COLUMN experiments.variants.custom_experience IS
'The custom_experience flag of a Commerce Cloud A/B test segment, kept for that API; assignment does not read it.';
COMMENT ON COLUMN experiments.variants.created_at IS 'When the variant was created.';
COMMENT ON COLUMN experiments.variants.updated_at IS
'When set_variants() or a management API last wrote the variant; a direct UPDATE leaves it as it was.';
COMMENT ON SEQUENCE experiments.variants_id_seq IS
'Identity of experiments.variants.id: the id of a new row of variants when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.variants IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.experiment_rooms.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.experiment_rooms.experiment_id IS 'The experiment (experiments.experiments.id) limited to the room.';
COMMENT ON COLUMN experiments.experiment_rooms.room_id IS 'The room (experiments.rooms.id).';
COMMENT ON POLICY tenant_isolation ON experiments.experiment_rooms IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.overrides.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.overrides.experiment_id IS 'The experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.overrides.unit IS 'The unit, as assign() receives it, 1 to 640 bytes.';
COMMENT ON COLUMN experiments.overrides.ordinal IS 'Ordinal of the variant the unit gets (experiments.variants.ordinal).';
COMMENT ON COLUMN experiments.overrides.kind IS
'overridden: the unit always gets the variant; custom: the variant replaces the hashed one when the unit is otherwise eligible.';
COMMENT ON COLUMN experiments.overrides.created_at IS 'When the override was first set; changing it keeps this time.';
COMMENT ON POLICY tenant_isolation ON experiments.overrides IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.enrolments.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.enrolments.experiment_id IS 'The experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.enrolments.unit IS
'The unit, as enrol() receives it (the visitor_id of an AB Tasty campaign activation), 1 to 640 bytes.';
COMMENT ON COLUMN experiments.enrolments.ordinal IS 'Ordinal of the variant the unit got (experiments.variants.ordinal).';
COMMENT ON COLUMN experiments.enrolments.enrolled_at IS 'When the unit was enrolled.';
COMMENT ON POLICY tenant_isolation ON experiments.enrolments IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON TRIGGER record_experiment_author ON experiments.experiments IS
'Before an insert or an update: records in created_by (on insert) and updated_by (whenever the version changes) who the transaction acts for (experiments_internal.current_principal(): the API key, the token or the login), so that no writer can name another author.';
COMMENT ON TRIGGER check_experiment_update ON experiments.experiments IS
'Before an update: refuses a state change other than draft -> running <-> paused -> stopped, and a change of seeds, unit type or started_at once started; sets started_at when the experiment first runs; bumps version and updated_at on any change but the enrolment flag.';
COMMENT ON TRIGGER check_experiment_insert ON experiments.experiments IS
'Before an insert: refuses an experiment that is not a draft; sets version to 1 and started_at to NULL.';
COMMENT ON TRIGGER check_allocations ON experiments.experiments IS
'At commit (deferrable constraint trigger), after an insert or update of an experiment: a running or paused experiment has variants whose allocations sum to 10000 basis points.';
COMMENT ON TRIGGER check_allocations ON experiments.variants IS
'At commit (deferrable constraint trigger), after a change of variants: their experiment, when running or paused, still has allocations summing to 10000 basis points.';
COMMENT ON TRIGGER touch_experiment_insert ON experiments.variants IS
'After an insert into experiments.variants: bumps the version of the experiments whose their variants changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_update ON experiments.variants IS
'After an update of experiments.variants: bumps the version of the experiments whose their variants changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_delete ON experiments.variants IS
'After a delete from experiments.variants: bumps the version of the experiments whose their variants changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER check_layer_range ON experiments.experiments IS
'Before an insert, or an update of layer_id, layer_lo, layer_hi or state: refuses a layer range overlapping that of another experiment of the layer that is not stopped; locks the layer, so that concurrent placements take turns.';
COMMENT ON TRIGGER note_first_enrolment ON experiments.enrolments IS
'After an insert of enrolments: sets has_enrolments on their experiments, so that assignment starts looking enrolments up.';

-- src/assign/assign.sql
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
-- 0.2.0 invalidates the assignment caches per tenant: the statement-level
-- triggers of 0.1.0 become row-level ones, with one for TRUNCATE beside each.
COMMENT ON FUNCTION experiments_internal.invalidate_assignment_cache() IS
'Trigger: queues the invalidation of the row''s tenant in every session''s assignment cache (of every tenant after a TRUNCATE), delivered when the transaction commits; nothing for an update that changed nothing.';

DROP TRIGGER invalidate_assignment_cache ON experiments.experiments;
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
DROP TRIGGER invalidate_assignment_cache ON experiments.variants;
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
DROP TRIGGER invalidate_assignment_cache ON experiments.overrides;
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
DROP TRIGGER invalidate_assignment_cache ON experiments.layers;
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
DROP TRIGGER invalidate_assignment_cache ON experiments.holdouts;
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

-- src/events/events.sql
COMMENT ON COLUMN experiments.published_batches.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.published_batches.id IS 'Number of the batch: the batch_id of the events it stored and of those it refused.';
COMMENT ON COLUMN experiments.published_batches.published_at IS 'When the batch was first published.';
COMMENT ON SEQUENCE experiments.published_batches_id_seq IS
'Identity of experiments.published_batches.id: the id of a new row of published batches when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.published_batches IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.exposures.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.exposures.received_at IS 'When the exposure was stored.';
COMMENT ON POLICY tenant_isolation ON experiments.exposures IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.goal_events.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.goal_events.unit_type IS
'Type of the unit, as the request''s unit named it; a goal counts in the results of the experiments of that unit type.';
COMMENT ON COLUMN experiments.goal_events.achieved_at IS 'When the goal was achieved, after the time rules of docs/events.md.';
COMMENT ON COLUMN experiments.goal_events.batch_id IS 'The published batch (experiments.published_batches.id) the goal came in.';
COMMENT ON COLUMN experiments.goal_events.batch_index IS 'Index of the request in the batch''s requests array.';
COMMENT ON COLUMN experiments.goal_events.received_at IS 'When the goal was stored.';
COMMENT ON POLICY tenant_isolation ON experiments.goal_events IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.attribute_events.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.attribute_events.unit_type IS 'Type of the unit, as the request''s unit named it.';
COMMENT ON COLUMN experiments.attribute_events.unit IS 'The unit''s uid as stored (see exposures.unit).';
COMMENT ON COLUMN experiments.attribute_events.name IS 'Name of the attribute, as sent.';
COMMENT ON COLUMN experiments.attribute_events.set_at IS 'When the attribute was set, after the time rules of docs/events.md.';
COMMENT ON COLUMN experiments.attribute_events.batch_id IS 'The published batch (experiments.published_batches.id) the attribute came in.';
COMMENT ON COLUMN experiments.attribute_events.batch_index IS 'Index of the request in the batch''s requests array.';
COMMENT ON COLUMN experiments.attribute_events.received_at IS 'When the attribute was stored.';
COMMENT ON POLICY tenant_isolation ON experiments.attribute_events IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.campaign_activations.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON POLICY tenant_isolation ON experiments.campaign_activations IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.actions.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.actions.name IS 'Name of the action (name), as sent.';
COMMENT ON COLUMN experiments.actions.type IS 'type: CLICK on a web page or TOUCH on a mobile screen.';
COMMENT ON COLUMN experiments.actions.value_string IS 'value_string as sent, NULL when absent.';
COMMENT ON COLUMN experiments.actions.value_integer IS 'value_integer as sent, NULL when absent.';
COMMENT ON COLUMN experiments.actions.position_y IS 'position.y: ordinate of the touch.';
COMMENT ON COLUMN experiments.actions.resolution_height IS 'resolution.height: height of the screen.';
COMMENT ON POLICY tenant_isolation ON experiments.actions IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.custom_events.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.custom_events.name IS 'Name of the event (name), as sent.';
COMMENT ON COLUMN experiments.custom_events.value_string IS 'value_string as sent, NULL when absent.';
COMMENT ON COLUMN experiments.custom_events.value_integer IS 'value_integer as sent, NULL when absent.';
COMMENT ON POLICY tenant_isolation ON experiments.custom_events IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.transactions.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.transactions.name IS 'Name of the transaction (name), as sent.';
COMMENT ON COLUMN experiments.transactions.payment_method IS 'payment_method as sent, NULL when absent.';
COMMENT ON POLICY tenant_isolation ON experiments.transactions IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.visits.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON POLICY tenant_isolation ON experiments.visits IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.transaction_items.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.transaction_items.transaction_id IS 'The transaction the item belongs to (transactions.transaction_id).';
COMMENT ON COLUMN experiments.transaction_items.item_index IS 'Index of the item in the transaction''s items array, from 0.';
COMMENT ON COLUMN experiments.transaction_items.name IS 'Name of the product (items[i].name).';
COMMENT ON COLUMN experiments.transaction_items.sku IS 'items[i].sku, NULL when absent.';
COMMENT ON COLUMN experiments.transaction_items.category IS 'items[i].category, NULL when absent.';
COMMENT ON COLUMN experiments.transaction_items.quantity IS 'items[i].quantity (at least 1), NULL when absent.';
COMMENT ON COLUMN experiments.transaction_items.occurred_at IS 'The transaction''s time (transactions.occurred_at).';
COMMENT ON POLICY tenant_isolation ON experiments.transaction_items IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.rejected_events.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.rejected_events.id IS 'Number of the refused event, from its identity sequence.';
COMMENT ON COLUMN experiments.rejected_events.batch_id IS
'The published batch (experiments.published_batches.id) the event came in; NULL for AB Tasty events.';
COMMENT ON COLUMN experiments.rejected_events.reason IS 'Why the event was refused, in words.';
COMMENT ON COLUMN experiments.rejected_events.rejected_at IS 'When the event was refused.';
COMMENT ON SEQUENCE experiments.rejected_events_id_seq IS
'Identity of experiments.rejected_events.id: the id of a new row of refused events when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.rejected_events IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';

-- src/adapters/commerce/commerce.sql
COMMENT ON COLUMN experiments.categories.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.categories.id IS 'Numeric id, referenced by the segment bindings; the API knows the category by key.';
COMMENT ON COLUMN experiments.categories.site_id IS 'The site (experiments.sites.id) the category belongs to.';
COMMENT ON COLUMN experiments.categories.name IS 'Name for people; NULL when none was given.';
COMMENT ON SEQUENCE experiments.categories_id_seq IS
'Identity of experiments.categories.id: the id of a new row of categories when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.categories IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.promotions.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.promotions.id IS 'Numeric id, referenced by the segment bindings; the API knows the promotion by key.';
COMMENT ON COLUMN experiments.promotions.site_id IS 'The site (experiments.sites.id) the promotion belongs to.';
COMMENT ON COLUMN experiments.promotions.name IS 'Name for people; NULL when none was given.';
COMMENT ON SEQUENCE experiments.promotions_id_seq IS
'Identity of experiments.promotions.id: the id of a new row of promotions when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.promotions IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.sorting_rules.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.sorting_rules.id IS 'Numeric id, referenced by the segment bindings; the API knows the sorting rule by key.';
COMMENT ON COLUMN experiments.sorting_rules.site_id IS 'The site (experiments.sites.id) the sorting rule belongs to.';
COMMENT ON COLUMN experiments.sorting_rules.name IS 'Name for people; NULL when none was given.';
COMMENT ON SEQUENCE experiments.sorting_rules_id_seq IS
'Identity of experiments.sorting_rules.id: the id of a new row of sorting rules when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.sorting_rules IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.slots.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.slots.id IS 'Numeric id, referenced by slot_configurations; the API knows the slot by key and context type.';
COMMENT ON COLUMN experiments.slots.site_id IS 'The site (experiments.sites.id) the slot belongs to.';
COMMENT ON COLUMN experiments.slots.context_type IS
'Where the slot lives: global (every page), category or folder; with key, what names the slot in its site.';
COMMENT ON SEQUENCE experiments.slots_id_seq IS
'Identity of experiments.slots.id: the id of a new row of slots when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.slots IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.slot_configurations.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.slot_configurations.id IS
'Numeric id, referenced by the segment bindings; the API knows the configuration by key and context id.';
COMMENT ON COLUMN experiments.slot_configurations.slot_id IS 'The slot (experiments.slots.id) the configuration belongs to.';
COMMENT ON SEQUENCE experiments.slot_configurations_id_seq IS
'Identity of experiments.slot_configurations.id: the id of a new row of slot configurations when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.slot_configurations IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.ab_tests.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.ab_tests.experiment_id IS 'The experiment (experiments.experiments.id) the A/B test is.';
COMMENT ON COLUMN experiments.ab_tests.trigger_type IS
'When a shopper enters the test: immediately, on a call of one of pipeline_calls, or on a view of one of trigger_categories.';
COMMENT ON POLICY tenant_isolation ON experiments.ab_tests IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.segment_promotions.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.segment_promotions.experiment_id IS 'The A/B test''s experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.segment_promotions.variant_id IS 'The segment (experiments.variants.id) that applies the promotion.';
COMMENT ON COLUMN experiments.segment_promotions.promotion_id IS 'The promotion (experiments.promotions.id).';
COMMENT ON POLICY tenant_isolation ON experiments.segment_promotions IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.segment_slot_configurations.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.segment_slot_configurations.experiment_id IS 'The A/B test''s experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.segment_slot_configurations.variant_id IS
'The segment (experiments.variants.id) that shows the slot configuration.';
COMMENT ON COLUMN experiments.segment_slot_configurations.slot_configuration_id IS
'The slot configuration (experiments.slot_configurations.id).';
COMMENT ON POLICY tenant_isolation ON experiments.segment_slot_configurations IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON COLUMN experiments.segment_sorting_rules.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.segment_sorting_rules.experiment_id IS 'The A/B test''s experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.segment_sorting_rules.variant_id IS 'The segment (experiments.variants.id) that applies the sorting rule.';
COMMENT ON COLUMN experiments.segment_sorting_rules.sorting_rule_id IS 'The sorting rule (experiments.sorting_rules.id).';
COMMENT ON COLUMN experiments.segment_sorting_rules.category_id IS
'The category (experiments.categories.id) the rule sorts; one rule per test and category.';
COMMENT ON POLICY tenant_isolation ON experiments.segment_sorting_rules IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON TRIGGER touch_experiment_insert ON experiments.ab_tests IS
'After an insert into experiments.ab_tests: bumps the version of the experiments whose A/B test properties changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_update ON experiments.ab_tests IS
'After an update of experiments.ab_tests: bumps the version of the experiments whose A/B test properties changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_delete ON experiments.ab_tests IS
'After a delete from experiments.ab_tests: bumps the version of the experiments whose A/B test properties changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_insert ON experiments.segment_promotions IS
'After an insert into experiments.segment_promotions: bumps the version of the experiments whose segments'' promotions changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_update ON experiments.segment_promotions IS
'After an update of experiments.segment_promotions: bumps the version of the experiments whose segments'' promotions changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_delete ON experiments.segment_promotions IS
'After a delete from experiments.segment_promotions: bumps the version of the experiments whose segments'' promotions changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_insert ON experiments.segment_slot_configurations IS
'After an insert into experiments.segment_slot_configurations: bumps the version of the experiments whose segments'' slot configurations changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_update ON experiments.segment_slot_configurations IS
'After an update of experiments.segment_slot_configurations: bumps the version of the experiments whose segments'' slot configurations changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_delete ON experiments.segment_slot_configurations IS
'After a delete from experiments.segment_slot_configurations: bumps the version of the experiments whose segments'' slot configurations changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_insert ON experiments.segment_sorting_rules IS
'After an insert into experiments.segment_sorting_rules: bumps the version of the experiments whose segments'' sorting rules changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_update ON experiments.segment_sorting_rules IS
'After an update of experiments.segment_sorting_rules: bumps the version of the experiments whose segments'' sorting rules changed, so that a client holding an older version sees the change.';
COMMENT ON TRIGGER touch_experiment_delete ON experiments.segment_sorting_rules IS
'After a delete from experiments.segment_sorting_rules: bumps the version of the experiments whose segments'' sorting rules changed, so that a client holding an older version sees the change.';

-- src/results/results.sql
COMMENT ON COLUMN experiments.daily_results.day IS
'The UTC day: of the units'' first exposure for new_units, of their first goal or transaction (at or after that exposure) for new_converting_units. Every day with a counted event has a row for every variant and metric.';
COMMENT ON COLUMN experiments.daily_results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.daily_results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.daily_results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.daily_results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.daily_results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.daily_results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.daily_results.new_units IS
'Units first exposed to the variant that day (each unit once, on the day of its first exposure); the same on the rows of every kind.';
COMMENT ON COLUMN experiments.daily_results.cumulative_units IS 'Units first exposed to the variant up to and including that day.';
COMMENT ON COLUMN experiments.daily_results.new_converting_units IS
'Units of the variant whose first goal (kind goal) or transaction (kind revenue) at or after their first exposure fell on that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments.daily_results.cumulative_converting_units IS
'new_converting_units summed up to and including that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments.daily_results.cumulative_rate IS
'cumulative_converting_units / cumulative_units, a fraction from 0 to 1; NULL for kind exposures and while the variant has no units.';
COMMENT ON COLUMN experiments.daily_results.value_sum IS
'Sum of the values (goal property value, or revenue in cents) of the counted events of that day (at or after their unit''s first exposure), booked on the day of each event, so that later events never change a past day; NULL for kind exposures and when none of that day''s events has a value.';

-- src/http/auth.sql
COMMENT ON COLUMN experiments.api_keys.tenant_id IS
'The tenant the key authenticates (experiments.tenants.id): a request with the key acts for it.';
COMMENT ON COLUMN experiments.api_keys.id IS 'Number of the key: what revoke_api_key() takes.';
COMMENT ON COLUMN experiments.api_keys.created_at IS 'When the key was created.';
COMMENT ON SEQUENCE experiments.api_keys_id_seq IS
'Identity of experiments.api_keys.id: the id of a new row of API keys when none is given. One sequence serves every tenant, so ids are unique across the server.';
COMMENT ON POLICY tenant_isolation ON experiments.api_keys IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
COMMENT ON TRIGGER invalidate_key_cache ON experiments.api_keys IS
'After any write to experiments.api_keys (TRUNCATE too): empties every session''s cache of accepted keys when the transaction commits, so that a revoked key is refused from then on.';
-- create_api_key() refuses a tenant that does not exist, also one another
-- transaction deletes meanwhile (no_data_found), instead of a foreign key
-- violation.
CREATE OR REPLACE FUNCTION experiments.create_api_key(tenant uuid, application text, role text DEFAULT 'client')
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	key text := 'xk_' || encode(int8send(experiments_internal.random_seed()) || int8send(experiments_internal.random_seed()) ||
							   int8send(experiments_internal.random_seed()) || int8send(experiments_internal.random_seed()), 'hex');
BEGIN
	-- The tenant is locked against deletion (FOR KEY SHARE, the lock of the
	-- key's foreign key) as it is found: one that another transaction
	-- deletes meanwhile is waited for and then refused as unknown, instead
	-- of failing the insert on its foreign key
	-- (test/specs/api_key_tenant_race.spec).
	PERFORM FROM experiments.tenants t WHERE t.id = create_api_key.tenant FOR KEY SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'tenant "%" does not exist', coalesce(create_api_key.tenant::text, 'NULL')
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'An API key belongs to a tenant: no row of experiments.tenants has that id, or another transaction deleted it.',
				  HINT = 'List the tenants in experiments.tenants, or create one with create_tenant().';
	END IF;
	INSERT INTO experiments.api_keys (tenant_id, application, role, digest, key_prefix)
	VALUES (tenant, application, coalesce(create_api_key.role, 'client'),
			sha256(convert_to(key, 'UTF8')), left(key, 12));
	RETURN key;
END;
$$;

-- src/http/api.sql
COMMENT ON COLUMN experiments_api.experiments.id IS 'Numeric id, as ABsmartly and AB Tasty clients know experiments.';
COMMENT ON COLUMN experiments_api.experiments.key IS 'Name clients use, 1 to 40 characters, unique per tenant.';
COMMENT ON COLUMN experiments_api.experiments.name IS 'Name for people; NULL when none was given.';
COMMENT ON COLUMN experiments_api.experiments.description IS 'Description for people; NULL when none was given.';
COMMENT ON COLUMN experiments_api.experiments.state IS
'draft -> running <-> paused -> stopped; units are assigned only while running and inside [starts_at, ends_at).';
COMMENT ON COLUMN experiments_api.experiments.starts_at IS
'Start (inclusive) of the assignment window: no unit is assigned before it; NULL for no start. Also the origin of reset periods.';
COMMENT ON COLUMN experiments_api.experiments.ends_at IS
'End (exclusive) of the assignment window: no unit is assigned at or after it; NULL for no end. Later than starts_at.';
COMMENT ON COLUMN experiments_api.experiments.started_at IS
'When the experiment first went running; the origin of reset periods when starts_at is NULL.';
COMMENT ON COLUMN experiments_api.experiments.unit_type IS 'What identifies a unit (user_id, device_id, ...): exposures must name it.';
COMMENT ON COLUMN experiments_api.experiments.traffic_bp IS
'Share of units eligible, in basis points: eligible when bucket(unit, traffic_seed) < traffic_bp.';
COMMENT ON COLUMN experiments_api.experiments.reset_interval IS
'How often units are re-drawn: full (never), 1w (weekly) or 1d (daily), in whole intervals since starts_at, or since started_at when starts_at is NULL; each interval is a reset period of enrolments.';
COMMENT ON COLUMN experiments_api.experiments.gate IS
'Gate a unit must cross (Data Cortex new_gate_list) before it enters the experiment; NULL for none.';
COMMENT ON COLUMN experiments_api.experiments.tags IS 'Free labels (the tags of the Commerce Cloud A/B test API); empty when none.';
COMMENT ON COLUMN experiments_api.experiments.version IS
'Changes on every update of the experiment or its variants: the optimistic-concurrency token.';
COMMENT ON COLUMN experiments_api.experiments.created_at IS 'When the experiment was created.';
COMMENT ON COLUMN experiments_api.experiments.updated_at IS
'When the experiment or its variants last changed (a change of the enrolment flag alone excepted); set by the update trigger.';
COMMENT ON COLUMN experiments_api.variants.id IS 'Numeric id, as AB Tasty clients know variations.';
COMMENT ON COLUMN experiments_api.variants.experiment_id IS 'The experiment (experiments.experiments.id) the variant belongs to.';
COMMENT ON COLUMN experiments_api.variants.ordinal IS
'Position of the variant in its experiment, 0 to 999, unique in it; 0 is the control. Variants take their bucket ranges in ordinal order, and events name variants by it.';
COMMENT ON COLUMN experiments_api.variants.key IS
'Name of the variant, 1 to 128 characters, unique in its experiment: the variant assign() answers, the segment id of the Commerce Cloud API.';
COMMENT ON COLUMN experiments_api.variants.name IS 'Name for people (the group name of the draft/published API); NULL when none was given.';
COMMENT ON COLUMN experiments_api.variants.allocation_bp IS
'Share of the experiment''s eligible units, in basis points (a percentage times 100).';
COMMENT ON COLUMN experiments_api.variants.type IS
'Kind of the variant (the group_type of the draft/published API): control, user_defined, target_algorithm or target_random; NULL when none was given.';
COMMENT ON COLUMN experiments_api.variants.treatment IS 'What the variant does, for the application to apply: any JSON object.';
COMMENT ON COLUMN experiments_api.rejected_events.id IS 'Number of the refused event, from its identity sequence.';
COMMENT ON COLUMN experiments_api.rejected_events.source IS
'What sent it: publish (a batch), or the AB Tasty event: campaign_activated, action_tracking, custom, transaction, visit.';
COMMENT ON COLUMN experiments_api.rejected_events.batch_id IS
'The published batch (experiments.published_batches.id) the event came in; NULL for AB Tasty events.';
COMMENT ON COLUMN experiments_api.rejected_events.batch_index IS 'Index of the request in the batch (publish only).';
COMMENT ON COLUMN experiments_api.rejected_events.event_index IS
'Index of the event in its array (publish only); -1 for a problem of the request itself.';
COMMENT ON COLUMN experiments_api.rejected_events.subject IS 'Where the problem is, as a path in the request: exposures[2].variant.';
COMMENT ON COLUMN experiments_api.rejected_events.reason IS 'Why the event was refused, in words.';
COMMENT ON COLUMN experiments_api.rejected_events.event IS 'The event as sent (as jsonb keeps it: the last of duplicate keys wins).';
COMMENT ON COLUMN experiments_api.rejected_events.rejected_at IS 'When the event was refused.';
COMMENT ON COLUMN experiments_api.daily_results.day IS
'The UTC day: of the units'' first exposure for new_units, of their first goal or transaction (at or after that exposure) for new_converting_units. Every day with a counted event has a row for every variant and metric.';
COMMENT ON COLUMN experiments_api.daily_results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.daily_results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.daily_results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.daily_results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.daily_results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments_api.daily_results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.daily_results.new_units IS
'Units first exposed to the variant that day (each unit once, on the day of its first exposure); the same on the rows of every kind.';
COMMENT ON COLUMN experiments_api.daily_results.cumulative_units IS 'Units first exposed to the variant up to and including that day.';
COMMENT ON COLUMN experiments_api.daily_results.new_converting_units IS
'Units of the variant whose first goal (kind goal) or transaction (kind revenue) at or after their first exposure fell on that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.daily_results.cumulative_converting_units IS
'new_converting_units summed up to and including that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.daily_results.cumulative_rate IS
'cumulative_converting_units / cumulative_units, a fraction from 0 to 1; NULL for kind exposures and while the variant has no units.';
COMMENT ON COLUMN experiments_api.daily_results.value_sum IS
'Sum of the values (goal property value, or revenue in cents) of the counted events of that day (at or after their unit''s first exposure), booked on the day of each event, so that later events never change a past day; NULL for kind exposures and when none of that day''s events has a value.';

-- 0.2.0: Data Cortex and the draft/published API answer a caught error by one
-- rule, experiments_internal.api_error_answer() (src/http/faults.sql), which
-- replaces the draft/published experiments_internal.org_error_answer(); the
-- endpoints that call it are redefined as in their files.
-- src/http/faults.sql
CREATE FUNCTION experiments_internal.api_error_answer(state text, message text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.respond(s.status, jsonb_build_object('status', s.status, 'message', message))
	FROM (SELECT CASE WHEN state ~ '^PT[45][0-9][0-9]$' THEN substr(state, 3)::integer
					  WHEN state IN ('22023', '23514') THEN 400 END AS status) AS s
	WHERE s.status IS NOT NULL;
$$;
COMMENT ON FUNCTION experiments_internal.api_error_answer(text, text) IS
'The answer of a Data Cortex or draft/published endpoint to an error it caught: the status of a PT<status> error (or 400 for a value a rule of the catalog refused, SQLSTATE 22023 or 23514) as response.status, and {"status", "message"} as the document; NULL for any other error, which the endpoint raises again.';
REVOKE ALL ON FUNCTION experiments_internal.api_error_answer(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_internal.api_error_answer(text, text) TO experiments_api_owner;
-- src/adapters/datacortex/api.sql
CREATE OR REPLACE FUNCTION experiments_api.experiment_status(jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	fields jsonb;
	gates text[];
	unit_key text;
	attributes jsonb;
	ordinal integer;
	variant text;
	list jsonb[] := '{}';
	r record;
	answer jsonb;
BEGIN
	fields := experiments_internal.read_status_request($1);
	-- Serving enrols: only a client key may, as for every other serving call.
	IF experiments.authenticate(fields ->> 'api_key') IS DISTINCT FROM 'experiments_client' THEN
		PERFORM experiments_internal.raise_api_error(403, 'The API key is not a client key. experiment_status needs the key of your application (role client).');
	END IF;
	gates := experiments_internal.json_text_array(fields -> 'new_gate_list');
	-- A person is the same unit on every device.
	unit_key := coalesce(fields ->> 'user_tag', fields ->> 'device_tag');
	attributes := fields - ARRAY['api_key', 'user_tag', 'device_tag', 'new_gate_list'];
	FOR r IN
		SELECT x.experiment, x.variant, x.ordinal, x.period, e.id, e.gate
		FROM experiments.assign_all(unit_key, attributes) x
		JOIN experiments.experiments e ON e.id = x.experiment_id
		WHERE x.ordinal IS NOT NULL
		ORDER BY x.experiment
	LOOP
		-- A gated experiment is entered when its gate is crossed, and stays.
		CONTINUE WHEN r.gate IS NOT NULL AND NOT r.gate = ANY (gates) AND NOT EXISTS (
			SELECT 1 FROM experiments.enrolments n WHERE n.experiment_id = r.id AND n.unit = unit_key);
		-- The answer is the enrolment as stored (another session may have
		-- enrolled the unit first), or the assignment when an override decided.
		PERFORM experiments.enrol(r.experiment, unit_key, attributes);
		SELECT n.ordinal, v.key INTO ordinal, variant
		FROM experiments.enrolments n
		JOIN experiments.variants v ON v.experiment_id = n.experiment_id AND v.ordinal = n.ordinal
		WHERE n.experiment_id = r.id AND n.unit = unit_key AND n.period = r.period;
		IF NOT FOUND THEN
			ordinal := r.ordinal;
			variant := r.variant;
		END IF;
		-- appended in place (an expanded array), not copied per experiment
		list := list || jsonb_build_object('experiment', r.experiment,
			'variant', CASE WHEN ordinal = 0 THEN 'false'::jsonb ELSE to_jsonb(variant) END);
	END LOOP;
	RETURN experiments_internal.respond(200, jsonb_build_object('experiment_list', to_jsonb(list)),
		experiments_internal.status_warning($1));
EXCEPTION WHEN OTHERS THEN
	answer := experiments_internal.api_error_answer(SQLSTATE, SQLERRM);
	IF answer IS NULL THEN
		RAISE;
	END IF;
	RETURN answer;
END;
$$;
-- src/adapters/lifecycle/api.sql
CREATE OR REPLACE FUNCTION experiments_api.list_org_experiments(organization_id uuid)
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
CREATE OR REPLACE FUNCTION experiments_api.get_org_experiment(organization_id uuid, experiment_id uuid)
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
CREATE OR REPLACE FUNCTION experiments_api.create_org_experiment(organization_id uuid, body jsonb)
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
CREATE OR REPLACE FUNCTION experiments_api.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb)
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
CREATE OR REPLACE FUNCTION experiments_api.delete_org_experiment(organization_id uuid, experiment_id uuid)
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
-- src/adapters/lifecycle/lifecycle.sql
DROP FUNCTION experiments_internal.org_error_answer(text, text);

-- 0.2.0: the metric catalog, experiments.metrics and experiments.experiment_metrics (src/results/metrics.sql), with its grants
-- (src/core/privileges.sql).
-- src/results/metrics.sql
CREATE TABLE experiments.metrics (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant()
		REFERENCES experiments.tenants ON DELETE CASCADE,
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	key text NOT NULL CONSTRAINT metrics_key_length CHECK (char_length(key) BETWEEN 1 AND 256),
	name text,
	description text,
	type text NOT NULL,
	source text,
	event text,
	aggregation text NOT NULL DEFAULT 'count',
	property text,
	numerator_id bigint,
	denominator_id bigint,
	quantile float8,
	window_start interval NOT NULL DEFAULT '0',
	window_end interval,
	cap text NOT NULL DEFAULT 'none',
	cap_value float8,
	higher_is_better boolean NOT NULL DEFAULT true,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, key),
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, numerator_id) REFERENCES experiments.metrics (tenant_id, id),
	FOREIGN KEY (tenant_id, denominator_id) REFERENCES experiments.metrics (tenant_id, id)
);
COMMENT ON TABLE experiments.metrics IS
'Metrics a tenant defines once and attaches to experiments (experiments.experiment_metrics): what is counted from which event source, its type, its conversion window after each unit''s first exposure, its cap, and which direction is good. Goals without a metric of their own are still reported as implicit metrics.';
COMMENT ON COLUMN experiments.metrics.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.metrics.id IS
'Numeric id, referenced by experiment_metrics.metric_id and by the numerator_id and denominator_id of ratio metrics.';
COMMENT ON COLUMN experiments.metrics.key IS 'Name of the metric, 1 to 256 characters, unique per tenant.';
COMMENT ON COLUMN experiments.metrics.name IS 'Name for people; NULL when none was given.';
COMMENT ON COLUMN experiments.metrics.description IS 'What the metric measures, for people; NULL when none was given.';
COMMENT ON COLUMN experiments.metrics.type IS
'proportion: the share of exposed units with at least one event; mean: the value per exposed unit (0 for units without events); ratio: the numerator metric''s value over the denominator metric''s, per unit, compared with the delta method; quantile: a quantile of the per-unit value over the units with at least one event.';
COMMENT ON COLUMN experiments.metrics.source IS
'The events read: goal (ABsmartly goals, goal_events), transaction (AB Tasty transactions), action (AB Tasty actions), custom (AB Tasty custom events) or visit (AB Tasty visits). NULL for a ratio metric, which reads its two metrics.';
COMMENT ON COLUMN experiments.metrics.event IS
'The name of the events read: the goal, action or custom event name; NULL for transactions and visits, which have none.';
COMMENT ON COLUMN experiments.metrics.aggregation IS
'How a unit''s events make its value: count (the number of its events) or sum (the sum of the property of its events). A proportion counts.';
COMMENT ON COLUMN experiments.metrics.property IS
'What a sum adds up: a numeric property of the goal''s properties (goal); revenue, shipping, tax_total or items_count (transaction); value_integer (action, custom). NULL for a count.';
COMMENT ON COLUMN experiments.metrics.numerator_id IS 'A ratio metric''s numerator (a proportion or mean metric of the tenant); NULL for other types.';
COMMENT ON COLUMN experiments.metrics.denominator_id IS 'A ratio metric''s denominator (a proportion or mean metric of the tenant); NULL for other types.';
COMMENT ON COLUMN experiments.metrics.quantile IS 'The quantile a quantile metric reports, strictly between 0 and 1 (0.5: the median); NULL for other types.';
COMMENT ON COLUMN experiments.metrics.window_start IS
'The conversion window opens this long after a unit''s first exposure (0: at once); events before it are not counted.';
COMMENT ON COLUMN experiments.metrics.window_end IS
'The conversion window closes this long after a unit''s first exposure; NULL: it stays open until the end of the analysis.';
COMMENT ON COLUMN experiments.metrics.cap IS
'Outlier capping of per-unit values: none, absolute (values above cap_value count as cap_value) or percentile (values above the cap_value quantile of the units with events count as that quantile). Not for proportions.';
COMMENT ON COLUMN experiments.metrics.cap_value IS
'The cap: a positive value (absolute) or a quantile strictly between 0 and 1 (percentile); NULL without a cap.';
COMMENT ON COLUMN experiments.metrics.higher_is_better IS
'The direction that is good: true when an increase is a win (conversions, revenue), false when a decrease is (errors, latency).';
COMMENT ON COLUMN experiments.metrics.created_at IS 'When the metric was defined.';
COMMENT ON SEQUENCE experiments.metrics_id_seq IS
'Identity of experiments.metrics.id: the id of a new row of metrics when none is given. One sequence serves every tenant, so ids are unique across the server.';
ALTER TABLE experiments.metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.metrics
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.metrics IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
SELECT pg_catalog.pg_extension_config_dump('experiments.metrics', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.metrics_id_seq', '');

CREATE TABLE experiments.experiment_metrics (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint NOT NULL,
	metric_id bigint NOT NULL,
	role text NOT NULL DEFAULT 'secondary',
	margin float8,
	PRIMARY KEY (experiment_id, metric_id),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, metric_id) REFERENCES experiments.metrics (tenant_id, id)
);
COMMENT ON TABLE experiments.experiment_metrics IS
'The metrics an experiment is judged by, each with its role: primary (the decision), secondary (to learn from) or guardrail (must not get worse by more than its margin; a failing guardrail is reported first).';
COMMENT ON COLUMN experiments.experiment_metrics.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.experiment_metrics.experiment_id IS 'The experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.experiment_metrics.metric_id IS 'The metric (experiments.metrics.id).';
COMMENT ON COLUMN experiments.experiment_metrics.role IS 'primary, secondary or guardrail.';
COMMENT ON COLUMN experiments.experiment_metrics.margin IS
'A guardrail''s non-inferiority margin: the largest relative change in the bad direction that is tolerated (0.02: 2%), greater than 0 and less than 1; NULL for the other roles.';
ALTER TABLE experiments.experiment_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.experiment_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.experiment_metrics
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.experiment_metrics IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
SELECT pg_catalog.pg_extension_config_dump('experiments.experiment_metrics', '');

CREATE INDEX experiment_metrics_metric_idx ON experiments.experiment_metrics (tenant_id, metric_id);
COMMENT ON INDEX experiments.experiment_metrics_metric_idx IS
'Finds the experiments a metric is attached to (deleting a metric still attached is refused).';

-- Raises the error of a metric definition that breaks a rule: one message
-- shape for every rule, naming the metric.
CREATE FUNCTION experiments_internal.refuse_metric(metric text, message text, detail text, hint text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF hint IS NULL THEN
		RAISE EXCEPTION 'metric "%" %', left(metric, 64), message
			USING ERRCODE = 'invalid_parameter_value', DETAIL = detail;
	END IF;
	RAISE EXCEPTION 'metric "%" %', left(metric, 64), message
		USING ERRCODE = 'invalid_parameter_value', DETAIL = detail, HINT = hint;
END;
$$;
COMMENT ON FUNCTION experiments_internal.refuse_metric(text, text, text, text) IS
'Raises SQLSTATE 22023 with the message ''metric "<key>" <message>'' (the key cut to 64 characters) and the detail and hint given (no hint when NULL).';

-- Every rule of a definition in one place: which columns each type and
-- source needs, and the ranges of the numbers. It reads the metrics a ratio
-- divides as its owner: a trigger runs as the writer's role, which through
-- PostgREST has no privilege on the tables. It locks them too (FOR SHARE):
-- a ratio defined while another writer changed the type of a metric it
-- divides read that metric as committed, as the other's check did the
-- ratios, and neither waited (the foreign key only KEY SHAREs the metric), so
-- a ratio came to divide a quantile (test/specs/metric_ratio_race.spec); now
-- the later writer waits, and its check sees the other's write.
CREATE FUNCTION experiments_internal.check_metric()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	part record;
BEGIN
	IF NEW.type IS DISTINCT FROM 'proportion' AND NEW.type IS DISTINCT FROM 'mean'
	   AND NEW.type IS DISTINCT FROM 'ratio' AND NEW.type IS DISTINCT FROM 'quantile' THEN
		PERFORM experiments_internal.refuse_metric(NEW.key, 'has an unknown type',
			'The type of a metric is proportion, mean, ratio or quantile.', NULL);
	END IF;
	IF NEW.type = 'ratio' THEN
		IF NEW.numerator_id IS NULL OR NEW.denominator_id IS NULL THEN
			PERFORM experiments_internal.refuse_metric(NEW.key, 'needs a numerator and a denominator',
				'A ratio metric divides one metric of the tenant by another, per unit.',
				'Set numerator_id and denominator_id to ids of proportion or mean metrics.');
		END IF;
		IF NEW.source IS NOT NULL OR NEW.event IS NOT NULL OR NEW.property IS NOT NULL THEN
			PERFORM experiments_internal.refuse_metric(NEW.key, 'is a ratio and reads no events of its own',
				'A ratio metric reads the events of its numerator and denominator metrics.',
				'Leave source, event and property NULL.');
		END IF;
		IF NEW.id IN (NEW.numerator_id, NEW.denominator_id) THEN
			PERFORM experiments_internal.refuse_metric(NEW.key, 'divides itself',
				'A ratio metric divides two other metrics of the tenant.', NULL);
		END IF;
		PERFORM FROM experiments.metrics m WHERE m.id IN (NEW.numerator_id, NEW.denominator_id) FOR SHARE;
		FOR part IN
			SELECT m.key, m.type FROM experiments.metrics m
			WHERE m.id IN (NEW.numerator_id, NEW.denominator_id) AND m.type NOT IN ('proportion', 'mean')
		LOOP
			PERFORM experiments_internal.refuse_metric(NEW.key, format('cannot divide metric "%s"', left(part.key, 64)),
				format('Metric "%s" is a %s metric; a ratio divides proportion or mean metrics.', left(part.key, 64), part.type), NULL);
		END LOOP;
	ELSE
		IF NEW.numerator_id IS NOT NULL OR NEW.denominator_id IS NOT NULL THEN
			PERFORM experiments_internal.refuse_metric(NEW.key, 'has a numerator or denominator but is not a ratio',
				'Only ratio metrics divide two metrics.', 'Leave numerator_id and denominator_id NULL.');
		END IF;
		IF NEW.source IS NULL OR NEW.source NOT IN ('goal', 'transaction', 'action', 'custom', 'visit') THEN
			PERFORM experiments_internal.refuse_metric(NEW.key, 'has no known event source',
				'The source of a metric is goal, transaction, action, custom or visit.', NULL);
		END IF;
		IF (NEW.source IN ('goal', 'action', 'custom')) <> (NEW.event IS NOT NULL) THEN
			PERFORM experiments_internal.refuse_metric(NEW.key,
				CASE WHEN NEW.event IS NULL THEN 'needs the name of its events' ELSE 'reads events that have no name' END,
				'Goals, actions and custom events are read by name (event); transactions and visits have none.', NULL);
		END IF;
		IF NEW.aggregation NOT IN ('count', 'sum') THEN
			PERFORM experiments_internal.refuse_metric(NEW.key, 'has an unknown aggregation',
				'A unit''s events make its value by count or by sum.', NULL);
		END IF;
		IF NEW.aggregation = 'count' AND NEW.property IS NOT NULL THEN
			PERFORM experiments_internal.refuse_metric(NEW.key, 'counts events but names a property',
				'A property is what a sum adds up; a count adds none.', 'Set aggregation to sum, or property to NULL.');
		END IF;
		IF NEW.aggregation = 'sum' AND NOT coalesce(
			(NEW.source = 'goal' AND char_length(NEW.property) BETWEEN 1 AND 256) OR
			(NEW.source = 'transaction' AND NEW.property IN ('revenue', 'shipping', 'tax_total', 'items_count')) OR
			(NEW.source IN ('action', 'custom') AND NEW.property = 'value_integer'), false) THEN
			PERFORM experiments_internal.refuse_metric(NEW.key, 'sums no property of its events',
				'A sum adds a numeric property of the goal''s properties (goal), revenue, shipping, tax_total or items_count (transaction), or value_integer (action, custom); visits have no value.', NULL);
		END IF;
		IF NEW.type = 'proportion' AND NEW.aggregation <> 'count' THEN
			PERFORM experiments_internal.refuse_metric(NEW.key, 'is a proportion and cannot sum',
				'A proportion is the share of units with at least one event.', 'Set aggregation to count.');
		END IF;
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.type NOT IN ('proportion', 'mean') THEN
		FOR part IN
			SELECT m.key FROM experiments.metrics m
			WHERE NEW.id IN (m.numerator_id, m.denominator_id) AND m.id <> NEW.id
			LIMIT 1
		LOOP
			PERFORM experiments_internal.refuse_metric(NEW.key, format('cannot become a %s metric', NEW.type),
				format('Ratio metric "%s" divides it, and a ratio divides proportion or mean metrics.', left(part.key, 64)), NULL);
		END LOOP;
	END IF;
	IF (NEW.type = 'quantile') <> (NEW.quantile IS NOT NULL) OR NOT (NEW.quantile > 0 AND NEW.quantile < 1) THEN
		PERFORM experiments_internal.refuse_metric(NEW.key, 'has a quantile it cannot use',
			'A quantile metric names a quantile strictly between 0 and 1 (0.5: the median); other types name none.', NULL);
	END IF;
	IF NEW.window_start < interval '0' OR NEW.window_end <= NEW.window_start THEN
		PERFORM experiments_internal.refuse_metric(NEW.key, 'has an empty or negative conversion window',
			format('The window [%s, %s) after first exposure must start at 0 or later and end after it starts.',
				NEW.window_start, coalesce(NEW.window_end::text, 'open')), NULL);
	END IF;
	IF NOT coalesce((NEW.cap = 'none' AND NEW.cap_value IS NULL) OR
		(NEW.cap = 'absolute' AND NEW.cap_value > 0) OR
		(NEW.cap = 'percentile' AND NEW.cap_value > 0 AND NEW.cap_value < 1), false) THEN
		PERFORM experiments_internal.refuse_metric(NEW.key, 'has a cap it cannot use',
			'cap is none (cap_value NULL), absolute (cap_value a positive value) or percentile (cap_value strictly between 0 and 1).', NULL);
	END IF;
	IF NEW.cap <> 'none' AND NEW.type IN ('proportion', 'ratio') THEN
		PERFORM experiments_internal.refuse_metric(NEW.key, format('is a %s and cannot be capped', NEW.type),
			'Capping limits per-unit values of mean and quantile metrics.', 'Cap the numerator or denominator metric of a ratio.');
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_metric() IS
'Trigger: refuses a metric definition that breaks a rule (its type''s columns, a ratio''s two other proportion or mean metrics, event source and name, aggregation and property, quantile, window, cap) with SQLSTATE 22023 naming the metric and the rule.';

CREATE TRIGGER check_metric
	BEFORE INSERT OR UPDATE ON experiments.metrics
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.check_metric();
COMMENT ON TRIGGER check_metric ON experiments.metrics IS
'Checks every written metric definition (experiments_internal.check_metric()).';

-- A guardrail without a margin could never pass or fail.
CREATE FUNCTION experiments_internal.check_experiment_metric()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.role IS DISTINCT FROM 'primary' AND NEW.role IS DISTINCT FROM 'secondary'
	   AND NEW.role IS DISTINCT FROM 'guardrail' THEN
		RAISE EXCEPTION 'a metric of an experiment has an unknown role'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An experiment''s metric is primary, secondary or guardrail.';
	END IF;
	IF (NEW.role = 'guardrail') <> (NEW.margin IS NOT NULL) OR NOT (NEW.margin > 0 AND NEW.margin < 1) THEN
		RAISE EXCEPTION 'a % metric of an experiment has a margin it cannot use', NEW.role
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A guardrail has a non-inferiority margin, a relative change greater than 0 and less than 1 (0.02: 2%); primary and secondary metrics have none.';
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_experiment_metric() IS
'Trigger: refuses an unknown role, and a margin that is missing on a guardrail, given to another role, or not in (0, 1), with SQLSTATE 22023.';

CREATE TRIGGER check_experiment_metric
	BEFORE INSERT OR UPDATE ON experiments.experiment_metrics
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.check_experiment_metric();
COMMENT ON TRIGGER check_experiment_metric ON experiments.experiment_metrics IS
'Checks the role and margin of every metric attached to an experiment (experiments_internal.check_experiment_metric()).';
-- src/results/stats.sql
-- two_proportion_test and welch_test compare by one statistic each now
-- (Miettinen-Nurminen score; Welch's t with Fieller's interval of the
-- ratio) and say why a relative interval is missing: their result type
-- changed, so they are created again, with the grants privileges.sql gives;
-- multiple_testing(), bayesian_rates() and bayesian_means() are new.
DROP FUNCTION experiments.two_proportion_test(bigint, bigint, bigint, bigint, float8);
DROP FUNCTION experiments.welch_test(float8, float8, bigint, float8, float8, bigint, float8);
CREATE FUNCTION experiments.two_proportion_test(
	control_successes bigint, control_trials bigint,
	treatment_successes bigint, treatment_trials bigint,
	confidence float8 DEFAULT 0.95,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT z float8, OUT p_value float8, OUT relative_note text)
RETURNS record
AS 'MODULE_PATHNAME', 'two_proportion_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.two_proportion_test(bigint, bigint, bigint, bigint, float8) IS
'Comparison of treatment vs control rates by one statistic, the Miettinen-Nurminen score (variance at the rates'' maximum likelihood under the null, times n / (n - 1)): z and two-sided p-value at no difference, the score interval of the difference (treatment - control) and the score interval of the ratio reported as relative difference (treatment / control - 1, never below -1), each the values the same test does not reject. Without control conversions relative_difference and relative_upper are NULL (the ratio is unbounded) and relative_note says why; NULLs when an arm has no trials.';

CREATE FUNCTION experiments.welch_test(
	control_mean float8, control_variance float8, control_count bigint,
	treatment_mean float8, treatment_variance float8, treatment_count bigint,
	confidence float8 DEFAULT 0.95,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT t float8, OUT p_value float8, OUT relative_note text, OUT df float8)
RETURNS record
AS 'MODULE_PATHNAME', 'welch_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.welch_test(float8, float8, bigint, float8, float8, bigint, float8) IS
'Comparison of treatment vs control means from sample summaries (mean, var_samp, count) by one statistic, Welch''s t with Welch-Satterthwaite degrees of freedom: t, two-sided p-value, the t interval of the difference and Fieller''s interval of the ratio at the same critical t, reported as relative difference (treatment / control - 1). The relative bounds are NULL, with relative_note saying why, when Fieller''s set is unbounded (the control mean not significantly different from 0) or an arm''s values are all equal. NULLs when an arm has fewer than 2 units or both arms'' values are constant.';

CREATE FUNCTION experiments.multiple_testing(p_values float8[], method text DEFAULT 'holm',
	confidence float8 DEFAULT 0.95, OUT adjusted_p_values float8[], OUT confidences float8[])
RETURNS record
AS 'MODULE_PATHNAME', 'multiple_testing'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.multiple_testing(float8[], text, float8) IS
'Corrects a family of p-values (NULL elements are not in it) for multiple testing, element by element: method holm (Holm''s step-down adjusted p-values; each interval at the Bonferroni level of the step that decided it), bh (Benjamini-Hochberg adjusted p-values; every interval at 1 - R (1 - confidence) / m, R the number rejected, Benjamini and Yekutieli''s FCR-adjusted intervals) or none. confidences are the levels of the intervals, so that an interval excludes no difference exactly when its adjusted p-value is below 1 - confidence.';

CREATE FUNCTION experiments.bayesian_rates(
	control_successes bigint, control_trials bigint,
	treatment_successes bigint, treatment_trials bigint,
	OUT chance_to_beat float8, OUT expected_loss float8)
RETURNS record
AS 'MODULE_PATHNAME', 'bayesian_rates'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.bayesian_rates(bigint, bigint, bigint, bigint) IS
'Bayesian comparison of treatment vs control rates with Beta(1, 1) priors (beta-binomial posteriors): chance_to_beat, the probability that the treatment''s rate is above the control''s (Evan Miller''s closed form), and expected_loss, E[max(control - treatment, 0)] in rate points, the expected cost of choosing the treatment; NULLs when an arm has no trials.';

CREATE FUNCTION experiments.bayesian_means(
	control_mean float8, control_variance float8, control_count bigint,
	treatment_mean float8, treatment_variance float8, treatment_count bigint,
	OUT chance_to_beat float8, OUT expected_loss float8)
RETURNS record
AS 'MODULE_PATHNAME', 'bayesian_means'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.bayesian_means(float8, float8, bigint, float8, float8, bigint) IS
'Bayesian comparison of treatment vs control means in the normal approximation with a flat prior (the difference is normal with the means'' difference and squared standard error var_samp / count summed): chance_to_beat, Phi(d / se), and expected_loss, E[max(control - treatment, 0)] = se (phi(z) - z Phi(-z)) in the unit of the values; NULLs when an arm has fewer than 2 units or both are constant.';
REVOKE EXECUTE ON FUNCTION
	experiments.two_proportion_test(bigint, bigint, bigint, bigint, float8),
	experiments.welch_test(float8, float8, bigint, float8, float8, bigint, float8),
	experiments.multiple_testing(float8[], text, float8),
	experiments.bayesian_rates(bigint, bigint, bigint, bigint),
	experiments.bayesian_means(float8, float8, bigint, float8, float8, bigint)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments.two_proportion_test(bigint, bigint, bigint, bigint, float8),
	experiments.welch_test(float8, float8, bigint, float8, float8, bigint, float8),
	experiments.multiple_testing(float8[], text, float8),
	experiments.bayesian_rates(bigint, bigint, bigint, bigint),
	experiments.bayesian_means(float8, float8, bigint, float8, float8, bigint)
	TO experiments_api_owner, experiments_analyst;

-- src/results/results.sql
-- experiment_results() takes min_units and correction and returns the
-- notes, adjusted p-values, interval levels, verdicts and Bayesian results
-- of its comparisons: its result type changed, so it is created again with
-- the views that read it (here and in experiments_api), the report and its
-- verdict line, each with its comments and grants as a fresh install has
-- them. daily_metrics() books values on the day of their event.
DROP VIEW experiments_api.lift, experiments_api.sample_ratio_mismatch, experiments_api.exposure_summary,
	experiments_api.results, experiments.lift, experiments.sample_ratio_mismatch, experiments.exposure_summary,
	experiments.results;
DROP FUNCTION experiments.results_report(text, timestamptz, timestamptz, float8);
DROP FUNCTION experiments_internal.results_verdict(text, text, text, float8, float8, float8, float8, float8, text);
DROP FUNCTION experiments.experiment_results(bigint, timestamptz, timestamptz, float8);
COMMENT ON FUNCTION experiments.daily_metrics(bigint, timestamptz, timestamptz) IS
'The building block of results, and the one function that reads event tables. Per UTC day: units first exposed to the experiment in [since, until) (kind exposures, in the variant of their first exposure, with first and last exposure), and units reaching a goal (kind goal) or with transactions (kind revenue, metric revenue) at or after their first exposure and before until, by day of the first such event with the sum of squares of each unit''s total of the goal property "value" or of the revenue in cents, and the sum of those values by day of their event (a row with 0 units for a day with values only).';
CREATE FUNCTION experiments_internal.comparison_verdict(sufficient boolean, adjusted_p_value float8,
	alpha float8, difference float8)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	-- The interval excludes 0 exactly when the adjusted p-value is below
	-- alpha, and holds the difference, so the difference's sign is the
	-- interval's side.
	SELECT CASE WHEN sufficient IS NULL OR difference IS NULL THEN NULL
				WHEN NOT sufficient THEN 'insufficient sample'
				WHEN adjusted_p_value IS NULL OR adjusted_p_value >= alpha THEN 'inconclusive'
				WHEN difference > 0 THEN 'beats'
				ELSE 'loses to' END
$$;
COMMENT ON FUNCTION experiments_internal.comparison_verdict(boolean, float8, float8, float8) IS
'The verdict of one comparison of experiment_results(): NULL without a comparison (control rows, kind exposures, no difference), insufficient sample when the minimum-sample rule fails, inconclusive when the adjusted p-value is NULL or not below alpha, otherwise beats or loses to by the sign of the difference.';

CREATE FUNCTION experiments.experiment_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95,
	min_units bigint DEFAULT 100, correction text DEFAULT 'holm')
RETURNS TABLE (
	experiment_id bigint, ordinal integer, variant text, kind text, metric text,
	units bigint, traffic_share float8, allocation_share float8,
	first_exposed_at timestamptz, last_exposed_at timestamptz,
	converting_units bigint, conversion_rate float8, rate_lower float8, rate_upper float8,
	value_sum float8, value_per_unit float8,
	rate_lift float8, rate_lift_lower float8, rate_lift_upper float8,
	rate_relative_lift float8, rate_relative_lower float8, rate_relative_upper float8, rate_p_value float8,
	value_lift float8, value_lift_lower float8, value_lift_upper float8,
	value_relative_lift float8, value_relative_lower float8, value_relative_upper float8, value_p_value float8,
	srm_chi_square float8, srm_p_value float8, srm_mismatch boolean, stray_traffic boolean,
	rate_relative_note text, value_relative_note text,
	rate_adjusted_p_value float8, value_adjusted_p_value float8,
	rate_interval_confidence float8, value_interval_confidence float8,
	p_value_correction text, sample_sufficient boolean, rate_verdict text, value_verdict text,
	rate_chance_to_beat float8, rate_expected_loss float8, value_chance_to_beat float8, value_expected_loss float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH m AS MATERIALIZED (
	SELECT * FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity'))
), variant_units AS (
	SELECT v.ordinal, v.key, v.allocation_bp, coalesce(sum(m.units), 0)::bigint AS units,
		   min(m.first_at) AS first_at, max(m.last_at) AS last_at
	FROM experiments.variants v
	LEFT JOIN m ON m.kind = 'exposures' AND m.ordinal = v.ordinal
	WHERE v.experiment_id = $1
	GROUP BY v.ordinal, v.key, v.allocation_bp
), totals AS (
	SELECT sum(units) AS units, sum(allocation_bp) AS allocation,
		   array_agg(units ORDER BY ordinal) AS observed,
		   array_agg(allocation_bp::float8 ORDER BY ordinal) AS allocations,
		   coalesce(bool_or(allocation_bp = 0 AND units > 0), false) AS stray
	FROM variant_units
), srm AS (
	SELECT s.chi_square, s.p_value, t.stray
	FROM totals t
	CROSS JOIN LATERAL experiments.srm_test(CASE WHEN t.allocation > 0 THEN t.observed END, t.allocations) s
), metrics AS (
	SELECT m.kind, m.metric, m.ordinal, sum(m.units)::bigint AS converting, sum(m.value_sum) AS s1,
		   sum(m.value_square_sum) AS s2
	FROM m WHERE m.kind <> 'exposures'
	GROUP BY m.kind, m.metric, m.ordinal
), keys AS (
	SELECT 'exposures' AS kind, NULL::text AS metric
	UNION ALL
	SELECT DISTINCT metrics.kind, metrics.metric FROM metrics
), cells AS (
	-- Every variant for every metric; per-unit values average over all
	-- exposed units, with 0 for units without the goal.
	SELECT k.kind, k.metric, vu.ordinal, vu.key, vu.units, vu.allocation_bp, vu.first_at, vu.last_at,
		   CASE WHEN k.kind <> 'exposures' THEN coalesce(mt.converting, 0) END AS converting,
		   CASE WHEN bool_or(mt.s1 IS NOT NULL) OVER (PARTITION BY k.kind, k.metric)
				THEN coalesce(mt.s1, 0) END AS s1,
		   coalesce(mt.s2, 0) AS s2
	FROM keys k CROSS JOIN variant_units vu
	LEFT JOIN metrics mt ON mt.kind = k.kind AND mt.metric = k.metric AND mt.ordinal = vu.ordinal
), stats AS (
	SELECT c.*, c.s1 / nullif(c.units, 0) AS mean,
		   CASE WHEN c.units > 1 THEN greatest((c.s2 - c.s1 * c.s1 / c.units) / (c.units - 1), 0) END AS variance
	FROM cells c
), pairs AS (
	-- Each variant beside its control, and the minimum-sample rule: both arms
	-- have min_units units; for rates also at least 5 conversions and 5
	-- non-conversions expected in each arm under no difference.
	SELECT s.*, c.converting AS c_converting, c.units AS c_units, c.mean AS c_mean, c.variance AS c_variance,
		   CASE WHEN s.ordinal <> 0 AND s.kind <> 'exposures'
				THEN s.units >= $5 AND c.units >= $5 END AS sufficient,
		   CASE WHEN s.ordinal <> 0 AND s.kind <> 'exposures'
				THEN least(s.units, c.units) * least(s.converting + c.converting,
						s.units + c.units - s.converting - c.converting)::float8
					 >= 5 * nullif(s.units + c.units, 0) END AS rate_expected_ok
	FROM stats s
	LEFT JOIN stats c ON c.kind = s.kind AND c.metric IS NOT DISTINCT FROM s.metric AND c.ordinal = 0
), tests AS (
	-- The family corrected for multiple testing: every comparison of the
	-- experiment with a p-value and a sufficient sample, rates and values.
	SELECT row_number() OVER (ORDER BY p.kind, p.metric, p.ordinal, t.test) AS member,
		   p.kind, p.metric, p.ordinal, t.test,
		   CASE WHEN p.sufficient AND (t.test = 'value' OR p.rate_expected_ok) THEN t.p_value END AS p_value
	FROM pairs p
	CROSS JOIN LATERAL (
		SELECT 'rate' AS test, z.p_value
		FROM experiments.two_proportion_test(p.c_converting, p.c_units, p.converting, p.units, $4) z
		UNION ALL
		SELECT 'value', w.p_value
		FROM experiments.welch_test(p.c_mean, p.c_variance, p.c_units, p.mean, p.variance, p.units, $4) w
	) t
	WHERE p.sufficient IS NOT NULL
), corrected AS (
	SELECT tests.kind, tests.metric, tests.ordinal, tests.test, u.adjusted, u.level
	FROM (SELECT (experiments.multiple_testing(coalesce(array_agg(tests.p_value ORDER BY tests.member), '{}'),
											   $6, $4)).* FROM tests) f
	CROSS JOIN LATERAL unnest(f.adjusted_p_values, f.confidences) WITH ORDINALITY AS u(adjusted, level, member)
	JOIN tests ON tests.member = u.member
)
SELECT $1, p.ordinal, p.key, p.kind, p.metric,
	   p.units, p.units / nullif(t.units, 0)::float8, p.allocation_bp / nullif(t.allocation, 0)::float8,
	   p.first_at, p.last_at,
	   p.converting, p.converting / nullif(p.units, 0)::float8, w.lower, w.upper,
	   p.s1, p.mean,
	   z.difference, z.difference_lower, z.difference_upper,
	   z.relative_difference, z.relative_lower, z.relative_upper, z.p_value,
	   welch.difference, welch.difference_lower, welch.difference_upper,
	   welch.relative_difference, welch.relative_lower, welch.relative_upper, welch.p_value,
	   srm.chi_square, srm.p_value, srm.p_value < 0.001 OR srm.stray, srm.stray,
	   z.relative_note, welch.relative_note,
	   rc.adjusted, vc.adjusted,
	   CASE WHEN z.difference IS NOT NULL THEN coalesce(rc.level, $4) END,
	   CASE WHEN welch.difference IS NOT NULL THEN coalesce(vc.level, $4) END,
	   CASE WHEN p.sufficient IS NOT NULL THEN $6 END,
	   p.sufficient,
	   experiments_internal.comparison_verdict(p.sufficient AND coalesce(p.rate_expected_ok, false), rc.adjusted,
											   1 - $4, z.difference),
	   experiments_internal.comparison_verdict(p.sufficient, vc.adjusted, 1 - $4, welch.difference),
	   br.chance_to_beat, br.expected_loss, bm.chance_to_beat, bm.expected_loss
FROM pairs p
CROSS JOIN totals t
CROSS JOIN srm
LEFT JOIN corrected rc ON rc.kind = p.kind AND rc.metric IS NOT DISTINCT FROM p.metric AND rc.ordinal = p.ordinal AND rc.test = 'rate'
LEFT JOIN corrected vc ON vc.kind = p.kind AND vc.metric IS NOT DISTINCT FROM p.metric AND vc.ordinal = p.ordinal AND vc.test = 'value'
CROSS JOIN LATERAL experiments.wilson_interval(p.converting, p.units, $4) w
CROSS JOIN LATERAL experiments.two_proportion_test(
	CASE WHEN p.ordinal <> 0 THEN p.c_converting END, p.c_units, p.converting, p.units, coalesce(rc.level, $4)) z
CROSS JOIN LATERAL experiments.welch_test(
	CASE WHEN p.ordinal <> 0 THEN p.c_mean END, p.c_variance, p.c_units, p.mean, p.variance, p.units,
	coalesce(vc.level, $4)) welch
CROSS JOIN LATERAL experiments.bayesian_rates(
	CASE WHEN p.ordinal <> 0 THEN p.c_converting END, p.c_units, p.converting, p.units) br
CROSS JOIN LATERAL experiments.bayesian_means(
	CASE WHEN p.ordinal <> 0 THEN p.c_mean END, p.c_variance, p.c_units, p.mean, p.variance, p.units) bm
ORDER BY p.kind = 'exposures' DESC, p.kind, p.metric, p.ordinal
$$;
COMMENT ON FUNCTION experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text) IS
'Full results of one experiment over exposures in [since, until) (NULL: unbounded), one row per variant and metric. kind exposures: units (first exposure counts once), traffic vs allocation share, first and last exposure. kind goal (per goal) and revenue (transactions): converting units, rate with Wilson interval, value sum and per exposed unit; for variants other than the control (ordinal 0), rate lift by the Miettinen-Nurminen score test with its score intervals, value lift by Welch''s t-test with its interval of the difference and Fieller''s interval of the ratio, absolute and relative, p-values from the same tests. A verdict needs min_units units in both arms (and, for rates, 5 expected conversions and non-conversions in each); the comparisons with a verdict form the family corrected for multiple testing by correction (holm, the default, bh or none): adjusted p-values, intervals at the matching confidence, and verdicts (beats, loses to, inconclusive, insufficient sample) from the adjusted p-values. Bayesian results beside them: chance to beat the control and expected loss (beta-binomial with Beta(1, 1) priors for rates, normal approximation for values). Every row carries the experiment''s sample ratio mismatch test: chi-square against the configured allocation, flagged at p < 0.001 or when a variant allocated 0 has units (stray_traffic).';
CREATE VIEW experiments.results WITH (security_invoker = true) AS
SELECT x.key AS experiment, r.*
FROM experiments.experiments x
CROSS JOIN LATERAL experiments.experiment_results(x.id) r
WHERE x.started_at IS NOT NULL AND x.tenant_id = (SELECT experiments.current_tenant());
COMMENT ON VIEW experiments.results IS
'experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';
COMMENT ON COLUMN experiments.results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.results.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments.results.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments.results.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments.results.first_exposed_at IS 'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments.results.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
COMMENT ON COLUMN experiments.results.converting_units IS
'Units of the variant that reached the goal (kind goal) or had a transaction (kind revenue) at or after their first exposure; 0 when none, NULL for kind exposures.';
COMMENT ON COLUMN experiments.results.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments.results.rate_lower IS
'Lower bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments.results.rate_upper IS
'Upper bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments.results.value_sum IS
'Sum over the converting units of each unit''s total of the numeric goal property value (kind goal) or of its revenue in cents (kind revenue), counting events at or after its first exposure. NULL for kind exposures and for a goal none of whose counted events carried a numeric value.';
COMMENT ON COLUMN experiments.results.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments.results.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments.results.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.results.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments.results.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments.results.rate_p_value IS
'Two-sided p-value of the Miettinen-Nurminen score test (the pooled rate under no difference) of the variant''s rate against the control''s, the test whose intervals rate_lift_lower to rate_relative_upper are; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.results.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.results.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.results.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments.results.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments.results.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.srm_chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments.results.srm_p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.results.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments.results.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments.results.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments.results.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.results.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments.results.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments.results.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments.results.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.results.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.results.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.results.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.results.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.results.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';

CREATE VIEW experiments.exposure_summary WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.ordinal, r.variant, r.units, r.traffic_share, r.allocation_share,
	   r.first_exposed_at, r.last_exposed_at
FROM experiments.results r
WHERE r.kind = 'exposures';
COMMENT ON VIEW experiments.exposure_summary IS
'Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';
COMMENT ON COLUMN experiments.exposure_summary.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.exposure_summary.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.exposure_summary.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.exposure_summary.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.exposure_summary.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments.exposure_summary.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments.exposure_summary.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments.exposure_summary.first_exposed_at IS
'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments.exposure_summary.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';

CREATE VIEW experiments.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, sum(r.units)::bigint AS units,
	   array_agg(r.units ORDER BY r.ordinal) AS units_per_variant,
	   array_agg(r.allocation_share ORDER BY r.ordinal) AS allocation_shares,
	   min(r.srm_chi_square) AS chi_square, min(r.srm_p_value) AS p_value,
	   bool_or(r.stray_traffic) AS stray_traffic, bool_or(r.srm_mismatch) AS mismatch
FROM experiments.results r
WHERE r.kind = 'exposures'
GROUP BY r.experiment, r.experiment_id;
COMMENT ON VIEW experiments.sample_ratio_mismatch IS
'Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value; mismatch when p < 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.units IS 'Units exposed to the experiment, all variants together (each unit once).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.units_per_variant IS
'Units exposed per variant (as units of exposure_summary), in ordinal order: the control first.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.allocation_shares IS
'Each variant''s allocation_share (its fraction of the total allocation), in ordinal order: the control first.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';

CREATE VIEW experiments.lift WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.kind, r.metric, r.ordinal, r.variant,
	   r.conversion_rate, r.rate_lift, r.rate_lift_lower, r.rate_lift_upper,
	   r.rate_relative_lift, r.rate_relative_lower, r.rate_relative_upper, r.rate_p_value,
	   r.value_per_unit, r.value_lift, r.value_lift_lower, r.value_lift_upper,
	   r.value_relative_lift, r.value_relative_lower, r.value_relative_upper, r.value_p_value,
	   r.srm_mismatch, r.rate_relative_note, r.value_relative_note, r.rate_adjusted_p_value, r.value_adjusted_p_value,
	   r.rate_interval_confidence, r.value_interval_confidence, r.p_value_correction, r.sample_sufficient,
	   r.rate_verdict, r.value_verdict, r.rate_chance_to_beat, r.rate_expected_loss,
	   r.value_chance_to_beat, r.value_expected_loss
FROM experiments.results r
WHERE r.kind <> 'exposures' AND r.ordinal <> 0;
COMMENT ON VIEW experiments.lift IS
'Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (Miettinen-Nurminen score test and score intervals) and of the value per exposed unit (Welch''s t-test, its interval of the difference and Fieller''s of the ratio), intervals and two-sided p-values, each interval from the same test as its p-value, corrected for multiple testing across the experiment (Holm), and a verdict per comparison after the minimum-sample rule.';
COMMENT ON COLUMN experiments.lift.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.lift.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.lift.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.lift.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.lift.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.lift.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.lift.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments.lift.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.lift.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments.lift.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments.lift.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments.lift.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.lift.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.lift.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.lift.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.lift.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.lift.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.lift.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments.lift.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments.lift.rate_p_value IS
'Two-sided p-value of the Miettinen-Nurminen score test (the pooled rate under no difference) of the variant''s rate against the control''s, the test whose intervals rate_lift_lower to rate_relative_upper are; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.lift.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments.lift.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.lift.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.lift.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments.lift.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments.lift.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
CREATE FUNCTION experiments_internal.results_verdict(variant text, control text, metric text,
	verdict text, relative_lift float8, lower float8, upper float8, p_value float8, confidence float8)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT format('%s %s %s on %s: %s (%s CI %s to %s), %s',
		variant,
		CASE verdict WHEN 'beats' THEN 'beats' WHEN 'loses to' THEN 'loses to'
			 WHEN 'inconclusive' THEN 'is not significantly different from'
			 WHEN 'insufficient sample' THEN 'has too small a sample to compare with'
			 ELSE 'cannot be compared with' END,
		control, metric,
		experiments_internal.format_percent(relative_lift, true),
		coalesce(round((confidence * 100)::numeric, 2)::float8::text || '%', 'n/a'),
		experiments_internal.format_percent(lower, true), experiments_internal.format_percent(upper, true),
		experiments_internal.format_p_value(p_value))
$$;
COMMENT ON FUNCTION experiments_internal.results_verdict(text, text, text, text, float8, float8, float8, float8, float8) IS
'One verdict line of results_report(): the verdict of experiment_results() in words (beats, loses to, is not significantly different from, has too small a sample to compare with), the relative lift, its interval at its confidence level and the adjusted p-value.';

CREATE FUNCTION experiments.results_report(experiment text,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95,
	min_units bigint DEFAULT 100, correction text DEFAULT 'holm')
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	r record;
	control text;
	srm text;
	total bigint := 0;
	variant_lines text[] := '{}';
	metric_lines text[] := '{}';
	comparisons integer := 0;
BEGIN
	SELECT * INTO x FROM experiments.experiments e
	WHERE e.key = results_report.experiment AND e.tenant_id = experiments_internal.required_tenant();
	IF NOT FOUND THEN
		RAISE EXCEPTION 'experiment "%" does not exist', experiments_internal.shown_input(results_report.experiment)
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'The caller''s tenant has no experiment with that key.',
				  HINT = 'List the tenant''s experiments in experiments.experiments.';
	END IF;
	-- Rows come exposures first, control first: one pass builds the report.
	FOR r IN SELECT * FROM experiments.experiment_results(x.id, since, until, confidence, min_units, correction) LOOP
		IF r.kind = 'exposures' THEN
			total := total + r.units;
			IF r.ordinal = 0 THEN
				control := r.variant;
			END IF;
			srm := CASE WHEN r.stray_traffic THEN 'SAMPLE RATIO MISMATCH (units in a variant allocated 0%)'
						WHEN r.srm_mismatch THEN 'SAMPLE RATIO MISMATCH (' || experiments_internal.format_p_value(r.srm_p_value) || ')'
						WHEN r.srm_p_value IS NULL THEN 'SRM not testable'
						ELSE 'no SRM (' || experiments_internal.format_p_value(r.srm_p_value) || ')' END;
			variant_lines := variant_lines || format('  %s: %s units (%s of traffic, allocated %s)',
				r.variant, r.units, experiments_internal.format_percent(r.traffic_share),
				experiments_internal.format_percent(r.allocation_share));
		ELSIF r.ordinal = 0 THEN
			metric_lines := metric_lines || format('%s: %s %s',
				CASE r.kind WHEN 'revenue' THEN 'revenue (cents per unit)' ELSE r.metric END, r.variant,
				CASE r.kind WHEN 'revenue' THEN round(r.value_per_unit::numeric, 2)::text
					 ELSE format('%s (%s to %s)', experiments_internal.format_percent(r.conversion_rate),
								 experiments_internal.format_percent(r.rate_lower), experiments_internal.format_percent(r.rate_upper)) END);
		ELSE
			comparisons := comparisons + (r.rate_adjusted_p_value IS NOT NULL)::integer +
				(r.value_adjusted_p_value IS NOT NULL)::integer;
			metric_lines := metric_lines || ('  ' || experiments_internal.results_verdict(
				r.variant, control, CASE r.kind WHEN 'revenue' THEN 'revenue per unit' ELSE r.metric END,
				CASE r.kind WHEN 'revenue' THEN r.value_verdict ELSE r.rate_verdict END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lift ELSE r.rate_relative_lift END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lower ELSE r.rate_relative_lower END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_upper ELSE r.rate_relative_upper END,
				CASE r.kind WHEN 'revenue' THEN r.value_adjusted_p_value ELSE r.rate_adjusted_p_value END,
				CASE r.kind WHEN 'revenue' THEN r.value_interval_confidence ELSE r.rate_interval_confidence END)
				|| '; ' || split_part(srm, ' (', 1));
		END IF;
	END LOOP;
	RETURN array_to_string(
		format('Experiment %s (%s): %s units exposed%s', x.key, x.state, total,
			   CASE WHEN since IS NULL AND until IS NULL THEN ''
					ELSE format(' in [%s, %s)', coalesce(since::text, '-infinity'), coalesce(until::text, 'infinity')) END)
		|| variant_lines || ('  ' || srm)
		|| CASE WHEN cardinality(metric_lines) > 0 THEN ARRAY[
			   format('  %s comparisons with %s+ units per arm; p-values and intervals corrected by %s',
					  comparisons, min_units, CASE correction WHEN 'holm' THEN 'Holm'
						  WHEN 'bh' THEN 'Benjamini-Hochberg (intervals: Benjamini-Yekutieli)' ELSE 'none' END)]
				ELSE '{}' END
		|| metric_lines, E'\n');
END;
$$;
COMMENT ON FUNCTION experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text) IS
'One experiment''s results of the caller''s tenant as a short text report for psql: units per variant against allocation, sample ratio mismatch, the number of comparisons and the multiple-testing correction applied (min_units and correction as experiment_results() takes them), each goal''s rate in the control, and the verdict of experiment_results() in words for each variant, goal and revenue, with the relative lift, its corrected interval and the adjusted p-value ("green beats control on checkout: +10.0% (97.5% CI +8.0% to +12.0%), p < 0.001; no SRM").';
REVOKE EXECUTE ON FUNCTION
	experiments_internal.comparison_verdict(boolean, float8, float8, float8),
	experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text),
	experiments_internal.results_verdict(text, text, text, text, float8, float8, float8, float8, float8),
	experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments_internal.comparison_verdict(boolean, float8, float8, float8),
	experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text),
	experiments_internal.results_verdict(text, text, text, text, float8, float8, float8, float8, float8),
	experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text)
	TO experiments_api_owner, experiments_analyst;
GRANT SELECT ON experiments.results, experiments.exposure_summary, experiments.sample_ratio_mismatch,
	experiments.lift TO experiments_analyst;

-- src/http/api.sql
-- The views of experiments_api over the views created again above.
CREATE VIEW experiments_api.results WITH (security_invoker = true) AS
SELECT * FROM experiments.results;
COMMENT ON VIEW experiments_api.results IS
'GET /results: experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';
COMMENT ON COLUMN experiments_api.results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments_api.results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.results.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments_api.results.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments_api.results.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments_api.results.first_exposed_at IS 'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments_api.results.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
COMMENT ON COLUMN experiments_api.results.converting_units IS
'Units of the variant that reached the goal (kind goal) or had a transaction (kind revenue) at or after their first exposure; 0 when none, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.results.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments_api.results.rate_lower IS
'Lower bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_upper IS
'Upper bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments_api.results.value_sum IS
'Sum over the converting units of each unit''s total of the numeric goal property value (kind goal) or of its revenue in cents (kind revenue), counting events at or after its first exposure. NULL for kind exposures and for a goal none of whose counted events carried a numeric value.';
COMMENT ON COLUMN experiments_api.results.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments_api.results.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments_api.results.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments_api.results.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments_api.results.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments_api.results.rate_p_value IS
'Two-sided p-value of the Miettinen-Nurminen score test (the pooled rate under no difference) of the variant''s rate against the control''s, the test whose intervals rate_lift_lower to rate_relative_upper are; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.results.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments_api.results.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments_api.results.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments_api.results.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments_api.results.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments_api.results.srm_p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments_api.results.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments_api.results.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments_api.results.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.results.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments_api.results.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments_api.results.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments_api.results.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.results.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.results.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.results.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.results.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.results.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
GRANT SELECT ON experiments_api.results TO experiments_analyst;

CREATE VIEW experiments_api.exposure_summary WITH (security_invoker = true) AS
SELECT * FROM experiments.exposure_summary;
COMMENT ON VIEW experiments_api.exposure_summary IS
'GET /exposure_summary: Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';
COMMENT ON COLUMN experiments_api.exposure_summary.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.exposure_summary.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.exposure_summary.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.exposure_summary.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.exposure_summary.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments_api.exposure_summary.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments_api.exposure_summary.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments_api.exposure_summary.first_exposed_at IS
'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments_api.exposure_summary.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
GRANT SELECT ON experiments_api.exposure_summary TO experiments_analyst;

CREATE VIEW experiments_api.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT * FROM experiments.sample_ratio_mismatch;
COMMENT ON VIEW experiments_api.sample_ratio_mismatch IS
'GET /sample_ratio_mismatch: Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value; mismatch when p < 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.units IS 'Units exposed to the experiment, all variants together (each unit once).';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.units_per_variant IS
'Units exposed per variant (as units of exposure_summary), in ordinal order: the control first.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.allocation_shares IS
'Each variant''s allocation_share (its fraction of the total allocation), in ordinal order: the control first.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
GRANT SELECT ON experiments_api.sample_ratio_mismatch TO experiments_analyst;

CREATE VIEW experiments_api.lift WITH (security_invoker = true) AS
SELECT * FROM experiments.lift;
COMMENT ON VIEW experiments_api.lift IS
'GET /lift: Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (Miettinen-Nurminen score test and score intervals) and of the value per exposed unit (Welch''s t-test, its interval of the difference and Fieller''s of the ratio), intervals and two-sided p-values, each interval from the same test as its p-value, corrected for multiple testing across the experiment (Holm), and a verdict per comparison after the minimum-sample rule.';
COMMENT ON COLUMN experiments_api.lift.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.lift.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.lift.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments_api.lift.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.lift.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.lift.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments_api.lift.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments_api.lift.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments_api.lift.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.lift.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.lift.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments_api.lift.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments_api.lift.rate_p_value IS
'Two-sided p-value of the Miettinen-Nurminen score test (the pooled rate under no difference) of the variant''s rate against the control''s, the test whose intervals rate_lift_lower to rate_relative_upper are; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.lift.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments_api.lift.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments_api.lift.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments_api.lift.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments_api.lift.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
GRANT SELECT ON experiments_api.lift TO experiments_analyst;

-- src/core/privileges.sql
REVOKE EXECUTE ON FUNCTION
	experiments_internal.refuse_metric(text, text, text, text),
	experiments_internal.check_metric(),
	experiments_internal.check_experiment_metric()
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments_internal.refuse_metric(text, text, text, text)
	TO experiments_api_owner;
GRANT SELECT, INSERT, UPDATE, DELETE ON experiments.metrics, experiments.experiment_metrics TO experiments_api_owner;
GRANT SELECT ON experiments.metrics, experiments.experiment_metrics TO experiments_analyst, experiments_admin;
GRANT INSERT, UPDATE, DELETE ON experiments.metrics, experiments.experiment_metrics TO experiments_admin;

-- 0.2.0: hostile clients (CHANGELOG). Inputs are shown at most 64 bytes
-- long in messages (experiments_internal.shown_input() and the functions
-- that use it); the experiments of a layer own disjoint ranges under every
-- isolation level (experiments_layer_disjoint) and an experiment with
-- enrolled units may only grow its range (check_layer_range()); idempotency
-- keys and AB Tasty transaction ids are claimed in published_batches;
-- context_batch takes its body as json, so that an oversized body is refused
-- on its length before jsonb is built.

-- src/core/tenant.sql
CREATE FUNCTION experiments_internal.shown_input(input text)
RETURNS text
AS 'MODULE_PATHNAME', 'shown_input'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments_internal.shown_input(text) IS
'Input a client sent, for a message: whole when at most 64 bytes, else its first 64 bytes (whole characters) followed by ... and its length in bytes, e.g. abc... (10485760 bytes), so that no message echoes more.';
REVOKE ALL ON FUNCTION experiments_internal.shown_input(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_internal.shown_input(text) TO experiments_api_owner;
-- src/core/privileges.sql
GRANT EXECUTE ON FUNCTION experiments_internal.shown_input(text) TO experiments_analyst;

-- src/core/catalog.sql
-- Ranges that overlap already (two placements that raced under REPEATABLE
-- READ) cannot be settled here without choosing which experiment keeps its
-- units: the update stops and names them; stop one of each pair (or move
-- its range) and run ALTER EXTENSION experiments UPDATE again.
DO $$
DECLARE
	pairs text;
BEGIN
	SELECT string_agg(format('"%s" [%s, %s) and "%s" [%s, %s) of layer %s', a.key, a.layer_lo, a.layer_hi,
						     b.key, b.layer_lo, b.layer_hi, a.layer_id), '; ')
	INTO pairs
	FROM experiments.experiments a
	JOIN experiments.experiments b ON b.layer_id = a.layer_id AND a.id < b.id
	WHERE a.state <> 'stopped' AND b.state <> 'stopped'
	  AND int4range(a.layer_lo, a.layer_hi) && int4range(b.layer_lo, b.layer_hi);
	IF pairs IS NOT NULL THEN
		RAISE EXCEPTION 'experiments of one layer own overlapping ranges: %', pairs
			USING ERRCODE = 'exclusion_violation',
				  DETAIL = '0.2.0 adds the constraint experiments_layer_disjoint, which these rows break; nothing was updated.',
				  HINT = 'Stop one experiment of each pair, or give it a free range, then update again.';
	END IF;
END;
$$;
ALTER TABLE experiments.experiments ADD CONSTRAINT experiments_layer_disjoint EXCLUDE USING gist (
		numrange(layer_id::numeric * 10000 + layer_lo, layer_id::numeric * 10000 + layer_hi) WITH &&)
	WHERE (layer_id IS NOT NULL AND state <> 'stopped');

CREATE OR REPLACE FUNCTION experiments_internal.check_layer_range()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	other text;
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.has_enrolments AND OLD.layer_id IS NOT NULL AND NEW.state <> 'stopped'
	   AND (NEW.layer_id IS DISTINCT FROM OLD.layer_id OR NEW.layer_lo > OLD.layer_lo
			OR NEW.layer_hi < OLD.layer_hi) THEN
		RAISE EXCEPTION 'experiment "%" has enrolled units: its layer range [%, %) may grow, not shrink, move or leave its layer',
			OLD.key, OLD.layer_lo, OLD.layer_hi
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('The new range is %s. Units enrolled in the part it gives up would stay in this experiment while another experiment of the layer took them.',
								  CASE WHEN NEW.layer_id IS NULL THEN 'no layer'
									   WHEN NEW.layer_id <> OLD.layer_id THEN format('[%s, %s) of another layer', NEW.layer_lo, NEW.layer_hi)
									   ELSE format('[%s, %s)', NEW.layer_lo, NEW.layer_hi) END),
				  HINT = 'Stop the experiment and create a new one with the range you want.';
	END IF;
	IF NEW.layer_id IS NULL OR NEW.state = 'stopped' THEN
		RETURN NEW;
	END IF;
	PERFORM 1 FROM experiments.layers l WHERE l.id = NEW.layer_id FOR UPDATE;
	SELECT e.key INTO other
	FROM experiments.experiments e
	WHERE e.layer_id = NEW.layer_id AND e.id <> NEW.id AND e.state <> 'stopped'
	  AND int4range(e.layer_lo, e.layer_hi) && int4range(NEW.layer_lo, NEW.layer_hi)
	LIMIT 1;
	IF other IS NOT NULL THEN
		RAISE EXCEPTION 'layer range [%, %) of experiment "%" overlaps experiment "%"',
			NEW.layer_lo, NEW.layer_hi, NEW.key, other
			USING ERRCODE = 'exclusion_violation',
				  DETAIL = 'Experiments of one layer own disjoint ranges of the layer bucket, so that no unit is in two of them.',
				  HINT = 'Choose a free range, or stop the other experiment first.';
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_layer_range() IS
'Trigger: the layer ranges of the experiments of one layer (stopped ones excepted) never overlap (the constraint experiments_layer_disjoint holds it under every isolation level; the trigger names the other experiment), and an experiment with enrolled units that is not stopped may grow its range but not shrink, move or leave it.';
COMMENT ON TRIGGER check_layer_range ON experiments.experiments IS
'Before an insert, or an update of layer_id, layer_lo, layer_hi or state: refuses a layer range overlapping that of another experiment of the layer that is not stopped (naming it; the constraint experiments_layer_disjoint holds under every isolation level), and a change that shrinks, moves or removes the range of an experiment with enrolled units that is not stopped; locks the layer, so that concurrent placements take turns.';

-- src/assign/assign.sql
CREATE OR REPLACE FUNCTION experiments_internal.allocations_bp(allocations numeric[])
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
REVOKE ALL ON FUNCTION experiments_internal.locked_experiment_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_internal.locked_experiment_id(text) TO experiments_api_owner;
-- set_state() of 0.1.0, locking its experiment (locked_experiment_id()).
CREATE OR REPLACE FUNCTION experiments.set_state(experiment text, state experiments.experiment_state)
RETURNS experiments.experiments
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	UPDATE experiments.experiments e SET state = set_state.state
	WHERE e.id = (SELECT experiments_internal.locked_experiment_id(set_state.experiment))
	RETURNING e.*;
$$;
CREATE OR REPLACE FUNCTION experiments.set_variants(experiment text, variants jsonb)
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
COMMENT ON FUNCTION experiments.set_variants(text, jsonb) IS
'Administrators: sets an experiment''s variants, in order (the first is the control, ordinal 0), from [{"key", "allocation", "name"?, "type"?, "treatment"?}]; allocations are percentages summing to 100 or basis points summing to 10000. A variant there is keeps its ordinal for good: listing it elsewhere (a new order, one before it left out) or a key twice is refused (22023); new ones come after; variants left out at the end are removed from a draft, while an experiment that has begun serving keeps every variant (allocation 0 stops one; experiments_internal.check_variant_delete()).';

CREATE OR REPLACE FUNCTION experiments_internal.record_enrolment(experiment_id bigint, unit text, period bigint,
													  ordinal integer, reason experiments.assignment_reason,
													  OUT enrolled_ordinal integer, OUT recorded boolean)
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.pg_is_in_recovery() THEN
		RAISE EXCEPTION 'an enrolment cannot be recorded on a hot standby'
			USING ERRCODE = 'read_only_sql_transaction',
				  DETAIL = 'This server is a read-only replica: it answers assign(), assign_all() and allocate, and records nothing.',
				  HINT = 'Send enrolments, events and management calls to the primary.';
	END IF;
	INSERT INTO experiments.enrolments (experiment_id, unit, period, ordinal, reason)
	VALUES (record_enrolment.experiment_id, record_enrolment.unit, record_enrolment.period,
			record_enrolment.ordinal, record_enrolment.reason)
	ON CONFLICT ON CONSTRAINT enrolments_pkey DO NOTHING;
	recorded := FOUND;
	IF recorded THEN
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
CREATE OR REPLACE FUNCTION experiments_internal.experiment_id(experiment text)
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
CREATE OR REPLACE FUNCTION experiments.set_override(experiment text, unit text, variant text,
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
-- src/events/events.sql
COMMENT ON TABLE experiments.published_batches IS
'One row per idempotency key claimed: a batch published, an AB Tasty event sent with an idempotency key, an AB Tasty transaction id. A call whose key is here stores nothing: a batch or event gets the answer kept, a transaction id is refused. The unique index decides between concurrent calls under every isolation level.';
COMMENT ON COLUMN experiments.published_batches.digest IS
'Idempotency key: the 128-bit XXH3 hash of the batch''s jsonb (so whitespace and key order do not matter), of the key publish()''s caller gave, of an AB Tasty event''s endpoint and idempotency key, or of an AB Tasty transaction id; each kind with its own seed, so that kinds never meet.';
COMMENT ON COLUMN experiments.published_batches.answer IS
'The answer of the first call with the key ({ok, warnings, errors} of a batch, the document of an AB Tasty event), returned again on a retry; NULL for a transaction id.';
COMMENT ON COLUMN experiments.published_batches.id IS 'Number of the key''s row; for a batch, the batch_id of the events it stored and of those it refused.';
COMMENT ON COLUMN experiments.published_batches.published_at IS 'When the key was first claimed: the batch published, the event or transaction stored.';
COMMENT ON COLUMN experiments.transactions.transaction_id IS 'The transaction''s own id ("id"); a transaction id is stored once per tenant (claimed in published_batches), a second event with it is refused.';

DROP FUNCTION experiments_api.context_batch(jsonb);
DROP FUNCTION experiments_internal.publish_answer(jsonb);
CREATE FUNCTION experiments_internal.publish_answer(batch json)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'publish_answer'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION experiments_internal.publish_answer(json) IS
'publish_text() as ABsmartly''s PUT /context/batch answers: a body over experiments.max_batch_size is refused on its length before jsonb is built; a batch refused whole (the seed''s 1 to 500 requests, units required and non-empty with uids of 1 to 640 characters, at most 128 exposures a request: PT400; a size setting, experiments.max_request_rows or experiments.max_request_bytes: PT413) raises PT<status> with the seed''s {"ok": false, "warnings": [], "errors": [{batchIndex, eventIndex, subject, message}]} as its detail, for experiments_api.context_batch to answer.';
REVOKE ALL ON FUNCTION experiments_internal.publish_answer(json) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_internal.publish_answer(json) TO experiments_api_owner;

-- src/adapters/commerce/commerce.sql
CREATE OR REPLACE FUNCTION experiments_internal.commerce_site(site_id text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result bigint;
BEGIN
	SELECT s.id INTO result FROM experiments.sites s
	WHERE s.tenant_id = experiments_internal.required_tenant() AND s.key = commerce_site.site_id;
	IF result IS NULL THEN
		PERFORM experiments_internal.commerce_fault(404, 'SiteNotFoundException',
			format('No site with ID ''%s'' was found.', experiments_internal.shown_input(site_id)),
			jsonb_build_object('siteId', experiments_internal.shown_input(site_id)));
	END IF;
	RETURN result;
END;
$$;
CREATE OR REPLACE FUNCTION experiments_internal.commerce_ab_test(site_id text, id text)
RETURNS experiments.experiments
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	result experiments.experiments;
BEGIN
	SELECT e.* INTO result FROM experiments.experiments e
	WHERE e.tenant_id = experiments_internal.required_tenant() AND e.key = commerce_ab_test.id AND e.site_id = site;
	IF NOT FOUND THEN
		PERFORM experiments_internal.commerce_fault(404, 'ABTestNotFoundException',
			format('No ab_test with ID ''%s'' for site ''%s'' was found.', experiments_internal.shown_input(id), experiments_internal.shown_input(site_id)),
			jsonb_build_object('abtestId', experiments_internal.shown_input(id), 'siteId', experiments_internal.shown_input(site_id)));
	END IF;
	RETURN result;
END;
$$;
CREATE OR REPLACE FUNCTION experiments_internal.lock_ab_test(site_id text, id text, resource_state text)
RETURNS experiments.experiments
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	found_test experiments.experiments := experiments_internal.commerce_ab_test(site_id, id);
	result experiments.experiments;
	-- Over HTTP a client may send the token as the x-dw-resource-state header
	-- (PostgREST's request.headers): it is checked as well.
	header_state text := nullif(current_setting('request.headers', true), '')::jsonb ->> 'x-dw-resource-state';
BEGIN
	-- Writers of one test take turns; the one that waited sees the new version.
	SELECT e.* INTO result FROM experiments.experiments e WHERE e.id = found_test.id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM experiments_internal.commerce_fault(404, 'ABTestNotFoundException',
			format('No ab_test with ID ''%s'' for site ''%s'' was found.', experiments_internal.shown_input(id), experiments_internal.shown_input(site_id)),
			jsonb_build_object('abtestId', experiments_internal.shown_input(id), 'siteId', experiments_internal.shown_input(site_id)));
	END IF;
	IF EXISTS (SELECT 1 FROM unnest(ARRAY[resource_state, header_state]) AS given(state)
			   WHERE given.state <> experiments_internal.ab_test_resource_state(result)) THEN
		PERFORM experiments_internal.commerce_fault(409, 'ResourceStateConflictException',
			format('The resource state given for A/B test ''%s'' is not the current one; read the test again.', experiments_internal.shown_input(id)));
	END IF;
	RETURN result;
END;
$$;
CREATE OR REPLACE FUNCTION experiments_internal.ab_test_segment(exp experiments.experiments, site_id text, segment_id text)
RETURNS experiments.variants
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	result experiments.variants;
BEGIN
	SELECT v.* INTO result FROM experiments.variants v
	WHERE v.experiment_id = exp.id AND v.key = segment_id;
	IF NOT FOUND THEN
		PERFORM experiments_internal.commerce_fault(404, 'ABTestSegmentNotFoundException',
			format('No segment with ID ''%s'' in A/B test ''%s'' for site ''%s'' was found.',
				   experiments_internal.shown_input(segment_id), exp.key, experiments_internal.shown_input(site_id)),
			jsonb_build_object('abtestId', exp.key, 'abTestSegmentId', segment_id, 'siteId', site_id));
	END IF;
	RETURN result;
END;
$$;
-- site_object() and site_slot_configuration() lock what they find (FOR KEY
-- SHARE, hence VOLATILE): a binding to an object deleted meanwhile is the
-- API's fault, not a foreign key violation.
CREATE OR REPLACE FUNCTION experiments_internal.site_object(site_id text, kind text, key text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	result bigint;
BEGIN
	IF kind = 'promotion' THEN
		SELECT p.id INTO result FROM experiments.promotions p WHERE p.site_id = site AND p.key = site_object.key
		FOR KEY SHARE;
		IF result IS NULL THEN
			PERFORM experiments_internal.commerce_fault(404, 'PromotionNotFoundException',
				format('No promotion with ID ''%s'' for site ''%s'' was found.', experiments_internal.shown_input(key), experiments_internal.shown_input(site_id)),
				jsonb_build_object('promotionId', experiments_internal.shown_input(key), 'siteId', experiments_internal.shown_input(site_id)));
		END IF;
	ELSIF kind = 'sorting_rule' THEN
		SELECT r.id INTO result FROM experiments.sorting_rules r WHERE r.site_id = site AND r.key = site_object.key
		FOR KEY SHARE;
		IF result IS NULL THEN
			PERFORM experiments_internal.commerce_fault(404, 'SortingRuleNotFoundException',
				format('No sorting rule with ID ''%s'' for site ''%s'' was found.', experiments_internal.shown_input(key), experiments_internal.shown_input(site_id)),
				jsonb_build_object('sortingRuleId', experiments_internal.shown_input(key), 'siteId', experiments_internal.shown_input(site_id)));
		END IF;
	ELSIF kind = 'category' THEN
		SELECT c.id INTO result FROM experiments.categories c WHERE c.site_id = site AND c.key = site_object.key
		FOR KEY SHARE;
		IF result IS NULL THEN
			PERFORM experiments_internal.commerce_fault(400, 'InvalidCategoryException',
				format('The specified category with ID ''%s'' is invalid.', experiments_internal.shown_input(key)),
				jsonb_build_object('categoryId', experiments_internal.shown_input(key)));
		END IF;
	ELSE
		RAISE EXCEPTION 'unknown kind of site object "%"', kind
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Site objects are promotions, sorting rules and categories.',
				  HINT = 'Pass promotion, sorting_rule or category.';
	END IF;
	RETURN result;
END;
$$;
CREATE OR REPLACE FUNCTION experiments_internal.site_slot_configuration(site_id text, slot_id text, slot_config_id text, context text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	parts text[] := regexp_match(coalesce(context, 'global'), '^(global)$|^(category|folder)=(.+)$');
	ctx_type experiments.slot_context;
	ctx_id text;
	slot bigint;
	result bigint;
BEGIN
	IF parts IS NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidContextTypeException',
			format('''%s'' is not a valid context.', experiments_internal.shown_input(context)),
			jsonb_build_object('contextType', experiments_internal.shown_input(context)));
	END IF;
	ctx_type := coalesce(parts[1], parts[2])::experiments.slot_context;
	ctx_id := coalesce(parts[3], '');
	SELECT s.id INTO slot FROM experiments.slots s
	WHERE s.site_id = site AND s.key = slot_id AND s.context_type = ctx_type
	FOR KEY SHARE;
	IF slot IS NULL THEN
		PERFORM experiments_internal.commerce_fault(404, 'SlotWithContextTypeNotFoundException',
			format('No slot with ID ''%s'' and context type ''%s'' for site ''%s'' was found.',
				   experiments_internal.shown_input(slot_id), upper(ctx_type::text), experiments_internal.shown_input(site_id)),
			jsonb_build_object('slotId', slot_id, 'contextType', upper(ctx_type::text), 'siteId', site_id));
	END IF;
	SELECT c.id INTO result FROM experiments.slot_configurations c
	WHERE c.slot_id = slot AND c.key = slot_config_id AND c.context_id = ctx_id
	FOR KEY SHARE;
	IF result IS NULL THEN
		PERFORM experiments_internal.commerce_fault(404, 'SlotConfigurationIdentifierNotFoundException',
			format('No slot configuration with ID ''%s'', slot id ''%s'', context type ''%s'', and context id ''%s'' for site ''%s'' was found.',
				   slot_config_id, experiments_internal.shown_input(slot_id), upper(ctx_type::text), ctx_id, experiments_internal.shown_input(site_id)),
			jsonb_build_object('siteId', site_id, 'slotId', slot_id, 'slotConfigurationId', slot_config_id,
				'contextType', upper(ctx_type::text), 'contextId', ctx_id));
	END IF;
	RETURN result;
END;
$$;
CREATE OR REPLACE FUNCTION experiments_internal.ab_test_request_error(document jsonb, types jsonb, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	bad text := experiments_internal.malformed_property(document, types);
	unknown text;
BEGIN
	IF jsonb_typeof(document) IS DISTINCT FROM 'object' THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The request document of %s is not a JSON object.', what));
	END IF;
	IF bad IS NOT NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The property ''%s'' of %s has a value of the wrong type: expected %s.', experiments_internal.shown_input(bad), what, types ->> bad));
	END IF;
	-- A tolerant reader: what the document does not define is left alone.
	SELECT string_agg(k, ', ' ORDER BY k) INTO unknown
	FROM jsonb_object_keys(document) AS k WHERE NOT types ? k;
	IF unknown IS NOT NULL THEN
		RAISE WARNING 'properties of % ignored: %', what, experiments_internal.shown_input(unknown)
			USING DETAIL = format('They are not properties of %s document of the Data API; the rest of the request was applied.', what),
				  HINT = format('The properties of %s are: %s.', what,
								(SELECT string_agg(t, ', ' ORDER BY t) FROM jsonb_object_keys(types) AS t));
	END IF;
END;
$$;
CREATE OR REPLACE FUNCTION experiments_internal.segment_allocation_bp(allocation jsonb, segment_id text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	percent numeric := (allocation #>> '{}')::numeric;
	bp integer := experiments_internal.percent_bp(percent);
BEGIN
	IF bp IS NULL AND percent IS NOT NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The allocation %s of segment ''%s'' is not a percentage between 0 and 100 with at most two decimals.',
				   percent, experiments_internal.shown_input(segment_id)));
	END IF;
	RETURN bp;
END;
$$;
CREATE OR REPLACE FUNCTION experiments_internal.ab_test_segment_body(body jsonb, segment_id text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.ab_test_request_error(body,
		'{"allocation": "number", "custom_experience": "boolean", "description": "string", "id": "string",
		  "link": "string", "_resource_state": "string", "_type": "string", "_v": "string"}', 'an ab_test_segment');
	IF body ->> 'id' <> segment_id THEN
		PERFORM experiments_internal.commerce_fault(400, 'IdConflictException',
			format('The ID ''%s'' in the request body does not match the ID ''%s'' in the URL.', experiments_internal.shown_input(body ->> 'id'), experiments_internal.shown_input(segment_id)),
			jsonb_build_object('bodyID', experiments_internal.shown_input(body ->> 'id'), 'urlID', experiments_internal.shown_input(segment_id)));
	END IF;
END;
$$;
CREATE OR REPLACE FUNCTION experiments_internal.write_ab_test(exp experiments.experiments, site_id text, body jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	bad text;
	trigger_doc jsonb := body -> 'trigger';
	trigger_name text;
	new_start timestamptz;
	new_end timestamptz;
	goal uuid := exp.goal_id;
	segment jsonb;
BEGIN
	SELECT e INTO bad FROM jsonb_array_elements_text(body -> 'email_addresses') e
	WHERE e !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' LIMIT 1;
	IF bad IS NOT NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidEmailException',
			format('The email ''%s'' specified for A/B test with ID ''%s'' is invalid.', experiments_internal.shown_input(bad), exp.key),
			jsonb_build_object('email', experiments_internal.shown_input(bad), 'abtestId', exp.key));
	END IF;
	IF jsonb_typeof(trigger_doc) = 'object' THEN
		PERFORM experiments_internal.ab_test_request_error(trigger_doc,
			'{"trigger_type": "string", "is_pipeline_based": "boolean", "pipeline_calls": "string[]",
			  "categories": "string[]", "_type": "string"}', 'an ab_test_trigger');
		trigger_name := lower(trigger_doc ->> 'trigger_type');
		IF trigger_name IS NULL OR trigger_name NOT IN ('immediately', 'pipeline_call', 'category_view_page') THEN
			PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidTriggerException',
				format('The trigger type ''%s'' specified for A/B test with ID ''%s'' is invalid.',
					   coalesce(trigger_doc ->> 'trigger_type', ''), exp.key),
				jsonb_build_object('triggerType', coalesce(trigger_doc ->> 'trigger_type', ''), 'abTestId', exp.key));
		END IF;
		IF trigger_name = 'pipeline_call' AND coalesce(jsonb_array_length(trigger_doc -> 'pipeline_calls'), 0) = 0
		   OR trigger_name = 'category_view_page' AND coalesce(jsonb_array_length(trigger_doc -> 'categories'), 0) = 0 THEN
			PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidTriggerException',
				format('''%s'' is missing for trigger type ''%s'' specified for A/B test with ID %s''.',
					   CASE trigger_name WHEN 'pipeline_call' THEN 'pipeline' ELSE 'category' END,
					   upper(trigger_name), exp.key),
				jsonb_build_object('missingProperty', CASE trigger_name WHEN 'pipeline_call' THEN 'pipeline' ELSE 'category' END,
								   'triggerType', upper(trigger_name), 'abTestId', exp.key));
		END IF;
		SELECT p INTO bad FROM jsonb_array_elements_text(trigger_doc -> 'pipeline_calls') p
		WHERE trigger_name = 'pipeline_call' AND p !~ '^[A-Za-z0-9_]+-[A-Za-z0-9_]+$' LIMIT 1;
		IF bad IS NOT NULL THEN
			PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidPipelineException',
				format('The pipeline ''%s'' specified for A/B test with ID ''%s'' is invalid.', experiments_internal.shown_input(bad), exp.key),
				jsonb_build_object('pipeline', experiments_internal.shown_input(bad), 'abtestId', exp.key));
		END IF;
	END IF;
	new_start := CASE WHEN body ? 'start_date' THEN experiments_internal.parse_timestamp(body ->> 'start_date') ELSE exp.starts_at END;
	new_end := CASE WHEN body ? 'end_date' THEN experiments_internal.parse_timestamp(body ->> 'end_date') ELSE exp.ends_at END;
	IF new_start IS NULL OR new_end IS NULL THEN
		PERFORM experiments_internal.commerce_fault(400, 'ABTestInvalidDateException',
			format('The A/B test with ID ''''%s'' and ''%s'' ''%s'' could not be created. Please specify both the start date and the end date.',
				   exp.key, CASE WHEN new_end IS NULL THEN 'start date' ELSE 'end date' END,
				   coalesce(experiments_internal.json_timestamp(coalesce(new_end, new_start)), '')),
			jsonb_build_object('abtestId', exp.key, 'field', CASE WHEN new_end IS NULL THEN 'start date' ELSE 'end date' END,
							   'date', coalesce(experiments_internal.json_timestamp(coalesce(new_end, new_start)), '')));
	END IF;
	IF new_start >= new_end THEN
		PERFORM experiments_internal.commerce_fault(400, 'StartAfterEndException',
			format('The start date ''%s'' is after the end date ''%s'' for ''ab_test'' with ID ''%s''.',
				   experiments_internal.json_timestamp(new_start), experiments_internal.json_timestamp(new_end), exp.key));
	END IF;
	-- A key metric is a goal: the first test that names one registers it.
	IF body ? 'key_metric_id' THEN
		INSERT INTO experiments.goals (key) SELECT body ->> 'key_metric_id' WHERE body ->> 'key_metric_id' IS NOT NULL
		ON CONFLICT (tenant_id, key) DO NOTHING;
		SELECT g.id INTO goal FROM experiments.goals g
		WHERE g.tenant_id = exp.tenant_id AND g.key = body ->> 'key_metric_id';
	END IF;
	UPDATE experiments.experiments e
	SET description = CASE WHEN body ? 'description' THEN body ->> 'description' ELSE e.description END,
		tags = CASE WHEN body ? 'tags' THEN experiments_internal.json_text_array(body -> 'tags') ELSE e.tags END,
		starts_at = new_start,
		ends_at = new_end,
		goal_id = goal
	WHERE e.id = exp.id;
	INSERT INTO experiments.ab_tests (experiment_id) VALUES (exp.id) ON CONFLICT (experiment_id) DO NOTHING;
	UPDATE experiments.ab_tests a
	SET enabled = CASE WHEN body ? 'enabled' THEN coalesce((body ->> 'enabled')::boolean, false) ELSE a.enabled END,
		paused = CASE WHEN body ? 'paused' THEN coalesce((body ->> 'paused')::boolean, false) ELSE a.paused END,
		customer_groups = CASE WHEN body ? 'customer_groups' THEN experiments_internal.json_text_array(body -> 'customer_groups') ELSE a.customer_groups END,
		email_addresses = CASE WHEN body ? 'email_addresses' THEN experiments_internal.json_text_array(body -> 'email_addresses') ELSE a.email_addresses END,
		expiration_type = CASE WHEN body ? 'expiration_type' THEN body ->> 'expiration_type' ELSE a.expiration_type END,
		trigger_type = coalesce(trigger_name::experiments.ab_test_trigger_type, a.trigger_type),
		pipeline_calls = CASE WHEN trigger_name IS NULL THEN a.pipeline_calls
							  ELSE experiments_internal.json_text_array(trigger_doc -> 'pipeline_calls') END,
		trigger_categories = CASE WHEN trigger_name IS NULL THEN a.trigger_categories
								  ELSE experiments_internal.json_text_array(trigger_doc -> 'categories') END
	WHERE a.experiment_id = exp.id;
	-- Segments listed in test_groups change together, so that a started test
	-- can move weight between them in one request.
	FOR segment IN SELECT g FROM jsonb_array_elements(coalesce(body -> 'test_groups', body -> 'test_segments')) g LOOP
		PERFORM experiments_internal.ab_test_segment_body(segment, segment ->> 'id');
		PERFORM experiments_internal.apply_ab_test_segment(
			experiments_internal.ab_test_segment(exp, site_id, coalesce(segment ->> 'id', '')), segment);
	END LOOP;
	PERFORM experiments_internal.sync_ab_test_state(exp.id);
END;
$$;
CREATE OR REPLACE FUNCTION experiments.list_ab_tests(site_id text, start integer DEFAULT 0, count integer DEFAULT 25,
										  "select" text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	total bigint;
	data jsonb;
BEGIN
	IF start IS NULL OR start < 0 OR list_ab_tests.count IS NULL OR list_ab_tests.count NOT BETWEEN 1 AND 200 THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('start must be 0 or more and count between 1 and 200, not %s and %s.',
				   coalesce(start::text, 'null'), coalesce(list_ab_tests.count::text, 'null')));
	END IF;
	IF "select" IS NOT NULL AND "select" <> '(**)' THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The property selector ''%s'' is not supported; use ''(**)'' for every property.', experiments_internal.shown_input("select")));
	END IF;
	SELECT count(*) INTO total FROM experiments.experiments e
	WHERE e.tenant_id = experiments_internal.required_tenant() AND e.site_id = site;
	SELECT coalesce(jsonb_agg(CASE WHEN "select" IS NULL
								   THEN jsonb_build_object('_type', 'ab_test', 'id', t.key,
									   'link', experiments_internal.commerce_link(format('/sites/%s/ab_tests/%s', list_ab_tests.site_id, t.key)))
								   ELSE experiments_internal.ab_test_document(list_ab_tests.site_id, t) END ORDER BY t.key), '[]')
	INTO data
	FROM (SELECT e.* FROM experiments.experiments e
		  WHERE e.tenant_id = experiments_internal.required_tenant() AND e.site_id = site
		  ORDER BY e.key OFFSET start LIMIT list_ab_tests.count) t;
	RETURN jsonb_strip_nulls(jsonb_build_object(
		'_v', '17.8',
		'_type', 'ab_test_search_result',
		'count', jsonb_array_length(data),
		'data', data,
		'select', btrim("select", '()'),
		'start', start,
		'total', total));
END;
$$;
CREATE OR REPLACE FUNCTION experiments.create_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	site bigint := experiments_internal.commerce_site(site_id);
	exp experiments.experiments;
BEGIN
	PERFORM experiments_internal.ab_test_body(body);
	IF body ->> 'id' <> id THEN
		PERFORM experiments_internal.commerce_fault(400, 'IdConflictException',
			format('The ID ''%s'' in the request body does not match the ID ''%s'' in the URL.', experiments_internal.shown_input(body ->> 'id'), experiments_internal.shown_input(id)),
			jsonb_build_object('bodyID', experiments_internal.shown_input(body ->> 'id'), 'urlID', experiments_internal.shown_input(id)));
	END IF;
	IF char_length(id) NOT BETWEEN 1 AND 40 THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The A/B test ID ''%s'' must have 1 to 40 characters.', experiments_internal.shown_input(id)));
	END IF;
	INSERT INTO experiments.experiments AS e (key, site_id)
	VALUES (create_ab_test.id, site)
	ON CONFLICT (tenant_id, key) DO NOTHING
	RETURNING e.* INTO exp;
	IF exp.id IS NULL THEN
		PERFORM experiments_internal.commerce_fault(409, 'ABTestDuplicateException',
			format('The A/B test could not be created or updated because of duplicate ID ''%s''.', experiments_internal.shown_input(id)),
			jsonb_build_object('abtestId', experiments_internal.shown_input(id)));
	END IF;
	PERFORM experiments_internal.write_ab_test(exp, site_id, body);
	RETURN experiments.get_ab_test(site_id, id);
END;
$$;
CREATE OR REPLACE FUNCTION experiments.update_ab_test(site_id text, id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments;
	new_id text;
BEGIN
	PERFORM experiments_internal.ab_test_body(body);
	exp := experiments_internal.lock_ab_test(site_id, id, body ->> '_resource_state');
	new_id := coalesce(body ->> 'id', id);
	IF new_id <> id THEN
		IF char_length(new_id) NOT BETWEEN 1 AND 40 THEN
			PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
				format('The A/B test ID ''%s'' must have 1 to 40 characters.', experiments_internal.shown_input(new_id)));
		END IF;
		-- The unique key decides, not a look beforehand: a test created or
		-- renamed to that id by a transaction in flight is not seen, and the
		-- update waits for it (test/specs/ab_test_rename_race.spec).
		BEGIN
			UPDATE experiments.experiments e SET key = new_id WHERE e.id = exp.id RETURNING e.* INTO exp;
		EXCEPTION WHEN unique_violation THEN
			PERFORM experiments_internal.commerce_fault(409, 'ABTestDuplicateException',
				format('The A/B test could not be created or updated because of duplicate ID ''%s''.', experiments_internal.shown_input(new_id)),
				jsonb_build_object('abtestId', experiments_internal.shown_input(new_id)));
		END;
	END IF;
	PERFORM experiments_internal.write_ab_test(exp, site_id, body);
	RETURN experiments.get_ab_test(site_id, new_id);
END;
$$;
CREATE OR REPLACE FUNCTION experiments.create_ab_test_segment(site_id text, ab_test_id text, segment_id text, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp experiments.experiments;
	v experiments.variants;
BEGIN
	PERFORM experiments_internal.ab_test_segment_body(body, segment_id);
	exp := experiments_internal.lock_ab_test(site_id, ab_test_id, body ->> '_resource_state');
	IF char_length(segment_id) NOT BETWEEN 1 AND 128 THEN
		PERFORM experiments_internal.commerce_fault(400, 'InvalidRequestException',
			format('The segment ID ''%s'' must have 1 to 128 characters.', experiments_internal.shown_input(segment_id)));
	END IF;
	INSERT INTO experiments.variants AS s (experiment_id, ordinal, key)
	SELECT exp.id, coalesce(max(x.ordinal) + 1, 0), segment_id
	FROM experiments.variants x WHERE x.experiment_id = exp.id
	ON CONFLICT (experiment_id, key) DO NOTHING
	RETURNING s.* INTO v;
	IF v.id IS NULL THEN
		PERFORM experiments_internal.commerce_fault(409, 'ResourceAlreadyExistsException',
			format('The segment with ID ''%s'' already exists in A/B test ''%s'' for site ''%s''.',
				   experiments_internal.shown_input(segment_id), experiments_internal.shown_input(ab_test_id), experiments_internal.shown_input(site_id)),
			jsonb_build_object('serverState', experiments_internal.ab_test_resource_state(exp)));
	END IF;
	RETURN experiments_internal.write_ab_test_segment(v, body);
END;
$$;
CREATE OR REPLACE FUNCTION experiments.bind_ab_test_sorting_rule(site_id text, ab_test_id text, segment_id text,
													  sorting_rule_id text, category_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	v experiments.variants := experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, NULL);
	rule bigint := experiments_internal.site_object(site_id, 'sorting_rule', sorting_rule_id);
	category bigint := experiments_internal.site_object(site_id, 'category', category_id);
	existing experiments.segment_sorting_rules;
	existing_rule text;
BEGIN
	SELECT b.* INTO existing FROM experiments.segment_sorting_rules b
	WHERE b.experiment_id = v.experiment_id AND b.category_id = category;
	IF NOT FOUND THEN
		INSERT INTO experiments.segment_sorting_rules (experiment_id, variant_id, sorting_rule_id, category_id)
		VALUES (v.experiment_id, v.id, rule, category);
	ELSIF existing.variant_id <> v.id OR existing.sorting_rule_id <> rule THEN
		SELECT r.key INTO existing_rule FROM experiments.sorting_rules r WHERE r.id = existing.sorting_rule_id;
		PERFORM experiments_internal.commerce_fault(409, 'SortingRuleCampaignAssignConflictException',
			format('The sorting rule ''%s'' cannot be assigned to A/B test ''%s'' and category ''%s'': sorting rule ''%s'' is already assigned to them.',
				   sorting_rule_id, experiments_internal.shown_input(ab_test_id), category_id, existing_rule),
			jsonb_build_object('sortingRuleId', sorting_rule_id, 'campaignId', ab_test_id, 'categoryId', category_id,
							   'existingSortingRuleId', existing_rule));
	END IF;
END;
$$;

-- src/adapters/lifecycle/lifecycle.sql
CREATE OR REPLACE FUNCTION experiments_internal.org_experiment_error(body jsonb)
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
CREATE OR REPLACE FUNCTION experiments_internal.write_org_experiment(exp experiments.experiments, body jsonb, creating boolean)
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

-- An update that waited for a delete of its experiment answers 404 (SECURITY
-- DEFINER is set below, with the other organization experiment functions).
CREATE OR REPLACE FUNCTION experiments.update_org_experiment(organization_id uuid, experiment_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
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

-- src/adapters/datacortex/api.sql
CREATE OR REPLACE FUNCTION experiments_internal.read_status_request(body jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	f record;
	value jsonb;
	fields jsonb := '{}';
BEGIN
	IF jsonb_typeof(body) IS DISTINCT FROM 'object' THEN
		PERFORM experiments_internal.raise_api_error(400, 'The body must be a JSON object of the request parameters.');
	END IF;
	FOR f IN SELECT * FROM experiments_internal.status_fields() ORDER BY n LOOP
		value := body -> f.name;
		IF f.name = 'new_gate_list' THEN
			IF jsonb_typeof(value) = 'array' AND NOT EXISTS (
					SELECT 1 FROM jsonb_array_elements(value) g WHERE jsonb_typeof(g) <> 'string') THEN
				fields := fields || jsonb_build_object(f.name, value);
			ELSIF value IS NOT NULL AND jsonb_typeof(value) <> 'null' THEN
				PERFORM experiments_internal.raise_api_error(400, 'new_gate_list must be a list of strings: the names of the gates crossed.');
			END IF;
			CONTINUE;
		END IF;
		IF value IS NOT NULL AND jsonb_typeof(value) NOT IN ('string', 'null') THEN
			PERFORM experiments_internal.raise_api_error(400, format('%s must be a string, not %s.', f.name,
				CASE jsonb_typeof(value) WHEN 'object' THEN 'an object' WHEN 'array' THEN 'a list' ELSE 'a ' || jsonb_typeof(value) END));
		END IF;
		IF coalesce(value #>> '{}', '') = '' THEN
			IF f.required THEN
				PERFORM experiments_internal.raise_api_error(400, CASE f.name
					WHEN 'api_key' THEN 'api_key is required: the API key of your application.'
					ELSE format('%s is required.', f.name) END);
			END IF;
			CONTINUE;
		END IF;
		IF char_length(value #>> '{}') > f.max_length THEN
			PERFORM experiments_internal.raise_api_error(400, format('%s must be at most %s characters; "%s" is not.',
				f.name, f.max_length, experiments_internal.shown_input(value #>> '{}')));
		END IF;
		fields := fields || jsonb_build_object(f.name, value);
	END LOOP;
	IF fields ->> 'country' !~ '^[A-Z]{2}$' THEN
		PERFORM experiments_internal.raise_api_error(400, format(
			'country must be an uppercase ISO 3166-1 alpha-2 code such as US; "%s" is not.', experiments_internal.shown_input(fields ->> 'country')));
	END IF;
	IF fields ->> 'language' !~ '^[a-z]{2}$' THEN
		PERFORM experiments_internal.raise_api_error(400, format(
			'language must be a lowercase ISO 639-1 code such as en; "%s" is not.', experiments_internal.shown_input(fields ->> 'language')));
	END IF;
	IF fields ? 'user_tag' THEN
		PERFORM experiments_internal.check_unit('user_tag', fields ->> 'user_tag');
	END IF;
	RETURN fields;
END;
$$;

-- src/adapters/absmartly/api.sql
CREATE FUNCTION experiments_api.context_batch(json)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	PERFORM experiments_internal.authorize();
	RETURN experiments_internal.publish_answer($1);
EXCEPTION WHEN OTHERS THEN
	IF SQLSTATE NOT LIKE 'PT%' THEN
		RAISE;
	END IF;
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN experiments_internal.absmartly_error_answer(SQLSTATE, SQLERRM, detail);
END;
$$;
COMMENT ON FUNCTION experiments_api.context_batch(json) IS
'POST /rpc/context_batch (ABsmartly PUT /context/batch; PostgREST serves functions with POST only): the body is the batch itself, {"requests": [{units, exposures, goals, attributes, hashed, historic, publishedAt}, ...]}, with the key in X-API-Key. Stores the valid events, records the refused ones in rejected_events and answers 200 {"ok", "warnings", "errors"}; sending the same batch again stores nothing twice. 400 with {"ok": false, "warnings": [], "errors": [...]} when the batch breaks the seed''s schema (1 to 500 requests; units required, non-empty, uids of 1 to 640 characters; at most 128 exposures a request), 413 likewise over a size setting (experiments.max_events_per_request, experiments.max_batch_size, checked on the body''s length before it is parsed into jsonb, experiments.max_request_rows, experiments.max_request_bytes); 401 and 403 as {"code", "message"}.';
ALTER FUNCTION experiments_api.context_batch(json) OWNER TO experiments_api_owner;
REVOKE ALL ON FUNCTION experiments_api.context_batch(json) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_api.context_batch(json) TO experiments_client, experiments_anon;

-- 0.2.0 also creates the event partitions ahead and maintains them under
-- traffic (docs/operations.md): the default partitions are renamed
-- <table>_overflow (pg_partman names its own <table>_default), rows and
-- indexes kept; the partition policies, the maintenance functions and the
-- role experiments_operator are new. Partitions are not created here: the
-- update keeps every row where it is, and the next maintenance (or
-- create_event_partitions()) moves the overflow rows into their months.

-- src/core/roles.sql
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['experiments_anon', 'experiments_client', 'experiments_admin',
							 'experiments_analyst', 'experiments_api_owner', 'experiments_authenticator',
							 'experiments_operator']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
		END IF;
	END LOOP;
END;
$$;

-- src/core/tenant.sql
-- A tenant's events may arrive as soon as it exists: the partitions of their
-- months are created with it (src/events/partitions.sql), so that none lands
-- in an overflow partition on a new install.
CREATE OR REPLACE FUNCTION experiments.create_tenant(name text, display_name text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	tenant uuid;
BEGIN
	INSERT INTO experiments.tenants (name, display_name)
	VALUES (create_tenant.name, create_tenant.display_name)
	RETURNING tenants.id INTO tenant;
	PERFORM experiments.create_event_partitions();
	RETURN tenant;
END;
$$;
COMMENT ON FUNCTION experiments.create_tenant(text, text) IS
'Administrators only: creates a tenant and returns its id; creates the event partitions due (create_event_partitions()) if they are missing.';

-- src/events/events.sql
ALTER TABLE experiments.exposures_default RENAME TO exposures_overflow;
ALTER INDEX experiments.exposures_default_time_idx RENAME TO exposures_overflow_time_idx;
COMMENT ON TABLE experiments.exposures_overflow IS
'Rows of experiments.exposures outside every monthly partition; maintenance (create_event_partitions(), maintain_partitions()) moves them into their month.';
ALTER TABLE experiments.goal_events_default RENAME TO goal_events_overflow;
ALTER INDEX experiments.goal_events_default_time_idx RENAME TO goal_events_overflow_time_idx;
COMMENT ON TABLE experiments.goal_events_overflow IS
'Rows of experiments.goal_events outside every monthly partition; maintenance (create_event_partitions(), maintain_partitions()) moves them into their month.';
ALTER TABLE experiments.attribute_events_default RENAME TO attribute_events_overflow;
ALTER INDEX experiments.attribute_events_default_time_idx RENAME TO attribute_events_overflow_time_idx;
COMMENT ON TABLE experiments.attribute_events_overflow IS
'Rows of experiments.attribute_events outside every monthly partition; maintenance (create_event_partitions(), maintain_partitions()) moves them into their month.';
ALTER TABLE experiments.campaign_activations_default RENAME TO campaign_activations_overflow;
ALTER INDEX experiments.campaign_activations_default_time_idx RENAME TO campaign_activations_overflow_time_idx;
COMMENT ON TABLE experiments.campaign_activations_overflow IS
'Rows of experiments.campaign_activations outside every monthly partition; maintenance (create_event_partitions(), maintain_partitions()) moves them into their month.';
ALTER TABLE experiments.actions_default RENAME TO actions_overflow;
ALTER INDEX experiments.actions_default_time_idx RENAME TO actions_overflow_time_idx;
COMMENT ON TABLE experiments.actions_overflow IS
'Rows of experiments.actions outside every monthly partition; maintenance (create_event_partitions(), maintain_partitions()) moves them into their month.';
ALTER TABLE experiments.custom_events_default RENAME TO custom_events_overflow;
ALTER INDEX experiments.custom_events_default_time_idx RENAME TO custom_events_overflow_time_idx;
COMMENT ON TABLE experiments.custom_events_overflow IS
'Rows of experiments.custom_events outside every monthly partition; maintenance (create_event_partitions(), maintain_partitions()) moves them into their month.';
ALTER TABLE experiments.transactions_default RENAME TO transactions_overflow;
ALTER INDEX experiments.transactions_default_time_idx RENAME TO transactions_overflow_time_idx;
ALTER INDEX experiments.transactions_default_id_idx RENAME TO transactions_overflow_id_idx;
COMMENT ON TABLE experiments.transactions_overflow IS
'Rows of experiments.transactions outside every monthly partition; maintenance (create_event_partitions(), maintain_partitions()) moves them into their month.';
ALTER TABLE experiments.transaction_items_default RENAME TO transaction_items_overflow;
ALTER INDEX experiments.transaction_items_default_time_idx RENAME TO transaction_items_overflow_time_idx;
COMMENT ON TABLE experiments.transaction_items_overflow IS
'Rows of experiments.transaction_items outside every monthly partition; maintenance (create_event_partitions(), maintain_partitions()) moves them into their month.';
ALTER TABLE experiments.visits_default RENAME TO visits_overflow;
ALTER INDEX experiments.visits_default_time_idx RENAME TO visits_overflow_time_idx;
COMMENT ON TABLE experiments.visits_overflow IS
'Rows of experiments.visits outside every monthly partition; maintenance (create_event_partitions(), maintain_partitions()) moves them into their month.';

-- src/events/partitions.sql
DROP FUNCTION experiments.create_event_partitions(integer);
DROP FUNCTION experiments_internal.create_event_partition(text, text, text, date);

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

-- 0.2.0: exposure and goal rollups (src/events/rollups.sql).
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

-- src/core/privileges.sql
-- Operators of the event partitions: maintenance, its policies and its
-- schedule (src/events/partitions.sql). The procedure runs as its caller (it
-- commits, so it cannot be a definer) and calls the steps, which are.
GRANT USAGE ON SCHEMA experiments, experiments_internal TO experiments_operator;
GRANT EXECUTE ON FUNCTION
	experiments.set_partition_policy(text, text, integer, integer),
	experiments_internal.partition_plan(integer, boolean, boolean),
	experiments_internal.create_event_partition(text, date),
	experiments_internal.retire_event_partition(text, date, text, boolean),
	experiments_internal.month_attached(text, date),
	experiments_internal.exposure_rollup_plan(),
	experiments_internal.exposure_rollups_due(),
	experiments_internal.drop_detached_exposure_rollups(),
	experiments_internal.prepare_exposure_rollup(regclass, timestamptz, timestamptz),
	experiments_internal.roll_up_exposures(timestamptz, timestamptz),
	experiments.create_event_partitions(integer),
	experiments.schedule_maintenance(text)
	TO experiments_operator;
GRANT EXECUTE ON PROCEDURE experiments.maintain_partitions(boolean) TO experiments_operator;
-- The exposure rollups, which only maintenance writes, are read as the
-- exposures are (src/events/rollups.sql).
GRANT SELECT ON experiments.exposure_rollups, experiments.goal_rollups, experiments.exposure_rollup_experiments,
	experiments.exposure_rollup_periods, experiments.exposure_rollup_changes
	TO experiments_api_owner, experiments_analyst, experiments_admin;
GRANT SELECT ON experiments.partition_policies TO experiments_operator;

-- 0.2.0: sequential tests (always-valid intervals and sample ratio mismatch)
-- and planning (power, minimum detectable effect, sample size, the plan of a
-- running experiment), as in their files; EXECUTE as src/core/privileges.sql
-- grants it, and the normal distribution for the analyst, whom the planning
-- functions run as.
-- src/results/sequential.sql
CREATE FUNCTION experiments.sequential_interval(difference float8, standard_error float8,
	n bigint, confidence float8 DEFAULT 0.95, tuning_n bigint DEFAULT 5000,
	OUT lower float8, OUT upper float8, OUT p_value float8)
RETURNS record
AS 'MODULE_PATHNAME', 'sequential_interval'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.sequential_interval(float8, float8, bigint, float8, bigint) IS
'Always-valid confidence interval and p-value of a difference (treatment - control) estimated with a standard error from n units (both arms together): the asymptotic confidence sequence of Waudby-Smith et al. (2021, arXiv:2103.06476) with its normal mixture tuned to be narrowest at tuning_n units (default 5000, as GrowthBook). Its coverage holds at every n at once, so the results may be read daily; p_value < 1 - confidence exactly when the interval excludes 0.';

CREATE FUNCTION experiments.sequential_srm_test(observed bigint[], allocation float8[],
	concentration float8 DEFAULT 100, OUT log_bayes_factor float8, OUT p_value float8)
RETURNS record
AS 'MODULE_PATHNAME', 'sequential_srm_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.sequential_srm_test(bigint[], float8[], float8) IS
'Always-valid sample ratio mismatch test (Lindon and Malek, 2022): the log Bayes factor of a Dirichlet-multinomial alternative (prior Dirichlet(concentration x allocation shares), concentration 100 by default) against the configured allocation, and the p-value min(1, 1 / Bayes factor), valid however often it is computed; units in a zero-allocation variant give log_bayes_factor Infinity and p_value 0; NULLs with no units or fewer than two allocated variants.';
-- src/results/planning.sql
-- A probability (alpha, power, a rate), checked; open excludes 0 and 1.
CREATE FUNCTION experiments_internal.planning_probability(p float8, what text, open boolean)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (p >= 0 AND p <= 1) OR (open AND p IN (0, 1)) THEN
		RAISE EXCEPTION '% must be between 0 and 1%, not %', what, CASE WHEN open THEN ' exclusive' ELSE '' END, p
			USING ERRCODE = 'numeric_value_out_of_range';
	END IF;
	RETURN p;
END
$$;
COMMENT ON FUNCTION experiments_internal.planning_probability(float8, text, boolean) IS
'A probability (alpha, power, a rate) after checking it lies in [0, 1], or in (0, 1) when open; the error names it as what.';

-- The critical value z(1 - alpha/2) of a two-sided test.
CREATE FUNCTION experiments_internal.planning_critical(alpha float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT -experiments.normal_quantile(experiments_internal.planning_probability($1, 'alpha', true) / 2)
$$;
COMMENT ON FUNCTION experiments_internal.planning_critical(float8) IS
'The critical value z(1 - alpha/2) of a two-sided normal test; alpha must lie in (0, 1).';

-- z(1 - alpha/2) + z(power): the distance, in standard errors, a difference
-- must have from 0 to be detected with that power.
CREATE FUNCTION experiments_internal.planning_distance(alpha float8, power float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_critical($1) +
	   experiments.normal_quantile(experiments_internal.planning_probability($2, 'power', true))
$$;
COMMENT ON FUNCTION experiments_internal.planning_distance(float8, float8) IS
'z(1 - alpha/2) + z(power): how many standard errors from 0 a difference must lie to be detected by a two-sided test at alpha with that power.';

-- The variance of one unit in each arm, summed, from the arms' standard
-- deviations, checked: every formula divides by it or by its square root.
CREATE FUNCTION experiments_internal.planning_variance(control_sd float8, treatment_sd float8)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (control_sd >= 0 AND treatment_sd >= 0 AND control_sd + treatment_sd > 0
			AND control_sd + treatment_sd < 'Infinity') THEN
		RAISE EXCEPTION 'standard deviations must be finite, non-negative and not both 0, not % and %',
			control_sd, treatment_sd
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN control_sd * control_sd + treatment_sd * treatment_sd;
END
$$;
COMMENT ON FUNCTION experiments_internal.planning_variance(float8, float8) IS
'The variance of one unit in each arm, summed, from the arms'' standard deviations after checking them: finite, non-negative, not both 0.';

-- A number of units per arm, checked.
CREATE FUNCTION experiments_internal.planning_units(units_per_arm float8)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (units_per_arm > 0 AND units_per_arm < 'Infinity') THEN
		RAISE EXCEPTION 'units per arm must be a finite positive number, not %', units_per_arm
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN units_per_arm;
END
$$;
COMMENT ON FUNCTION experiments_internal.planning_units(float8) IS
'A number of units per arm after checking it is finite and positive.';

-- The power of the test: the one formula behind mean_power and rate_power,
-- from the difference and the summed variance of one unit per arm.
CREATE FUNCTION experiments_internal.planning_power(difference float8, variance float8,
	units_per_arm float8, alpha float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments.normal_cdf(e - c) + experiments.normal_cdf(-e - c)
FROM (SELECT abs($1) / sqrt($2 / experiments_internal.planning_units($3)) AS e,
			 experiments_internal.planning_critical($4) AS c) s
$$;
COMMENT ON FUNCTION experiments_internal.planning_power(float8, float8, float8, float8) IS
'Power of a two-sided normal test at alpha to detect a difference, given the variance of one unit in each arm, summed, and the units per arm: Phi(|d| / se - z) + Phi(-|d| / se - z).';

-- The units per arm: the one formula behind mean_sample_size and
-- rate_sample_size.
CREATE FUNCTION experiments_internal.planning_sample_size(difference float8, variance float8,
	alpha float8, power float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT CASE WHEN $1 = 0 THEN 'Infinity' ELSE z ^ 2 * $2 / ($1 * $1) END
FROM (SELECT experiments_internal.planning_distance($3, $4) AS z) s
$$;
COMMENT ON FUNCTION experiments_internal.planning_sample_size(float8, float8, float8, float8) IS
'Units needed per arm for a two-sided normal test at alpha to detect a difference with the given power, given the variance of one unit in each arm, summed: (z(1 - alpha/2) + z(power))^2 variance / difference^2; Infinity for a difference of 0.';

CREATE FUNCTION experiments.mean_power(difference float8, standard_deviation float8,
	units_per_arm float8, alpha float8 DEFAULT 0.05)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_power($1, experiments_internal.planning_variance($2, $2), $3, $4)
$$;
COMMENT ON FUNCTION experiments.mean_power(float8, float8, float8, float8) IS
'Power of a two-sided normal test at alpha (default 0.05) to detect a difference of means with units_per_arm units in each of two arms whose units have that standard deviation.';

CREATE FUNCTION experiments.mean_sample_size(difference float8, standard_deviation float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_sample_size($1, experiments_internal.planning_variance($2, $2), $3, $4)
$$;
COMMENT ON FUNCTION experiments.mean_sample_size(float8, float8, float8, float8) IS
'Units needed in each of two arms (unrounded; Infinity for a difference of 0) for a two-sided normal test at alpha (default 0.05) to detect a difference of means with the given power (default 0.8), units having that standard deviation.';

CREATE FUNCTION experiments.mean_mde(standard_deviation float8, units_per_arm float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_distance($3, $4) *
	   sqrt(experiments_internal.planning_variance($1, $1) / experiments_internal.planning_units($2))
$$;
COMMENT ON FUNCTION experiments.mean_mde(float8, float8, float8, float8) IS
'Minimum detectable difference of means (absolute, positive) of a two-sided normal test at alpha (default 0.05) with the given power (default 0.8) and units_per_arm units in each of two arms whose units have that standard deviation.';

-- The summed variance of one unit per arm at two rates, each checked.
CREATE FUNCTION experiments_internal.planning_rate_variance(baseline float8, treatment float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_variance(sqrt(b * (1 - b)), sqrt(t * (1 - t)))
FROM (SELECT experiments_internal.planning_probability($1, 'baseline rate', true) AS b,
			 experiments_internal.planning_probability($2, 'treatment rate', false) AS t) r
$$;
COMMENT ON FUNCTION experiments_internal.planning_rate_variance(float8, float8) IS
'b (1 - b) + t (1 - t): the variance of one unit in each arm, summed, at a baseline rate in (0, 1) and a treatment rate in [0, 1], both checked.';

CREATE FUNCTION experiments.rate_power(baseline float8, treatment float8,
	units_per_arm float8, alpha float8 DEFAULT 0.05)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_power($2 - $1, experiments_internal.planning_rate_variance($1, $2), $3, $4)
$$;
COMMENT ON FUNCTION experiments.rate_power(float8, float8, float8, float8) IS
'Power of a two-sided two-proportion z-test at alpha (default 0.05) to tell a treatment rate from a baseline rate with units_per_arm units in each arm (unpooled variance, each arm at its own rate).';

CREATE FUNCTION experiments.rate_sample_size(baseline float8, treatment float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_sample_size($2 - $1, experiments_internal.planning_rate_variance($1, $2), $3, $4)
$$;
COMMENT ON FUNCTION experiments.rate_sample_size(float8, float8, float8, float8) IS
'Units needed in each arm (unrounded; Infinity when the rates are equal) for a two-sided two-proportion z-test at alpha (default 0.05) to tell a treatment rate from a baseline rate with the given power (default 0.8).';

-- The increase delta with n delta^2 = Z^2 (b(1-b) + (b+delta)(1-b-delta)),
-- Z = z(1 - alpha/2) + z(power): the positive root of
-- (n + Z^2) delta^2 - Z^2 (1 - 2b) delta - 2 Z^2 b (1 - b) = 0.
CREATE FUNCTION experiments.rate_mde(baseline float8, units_per_arm float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT (z2 * (1 - 2 * b) + sqrt(z2 * z2 * (1 - 2 * b) ^ 2 + 8 * (n + z2) * z2 * b * (1 - b))) / (2 * (n + z2))
FROM (SELECT experiments_internal.planning_distance($3, $4) ^ 2 AS z2,
			 experiments_internal.planning_probability($1, 'baseline rate', true) AS b,
			 experiments_internal.planning_units($2) AS n) s
$$;
COMMENT ON FUNCTION experiments.rate_mde(float8, float8, float8, float8) IS
'Minimum detectable increase of a rate (absolute: treatment rate - baseline) of a two-sided two-proportion z-test at alpha (default 0.05) with the given power (default 0.8) and units_per_arm units in each arm, each arm''s variance at its own rate.';

-- The plan of a running experiment: its control's rate (a goal) or revenue
-- per unit (metric 'revenue') and its traffic so far, read in one pass of
-- daily_metrics() as the caller (row-level security shows only the caller's
-- tenant); experiment_results() gives no per-unit variance, which the plan of
-- a mean needs. Arms are the variants with a positive allocation, each
-- compared with the control; the slowest arm sets the pace.
CREATE FUNCTION experiments.experiment_plan(experiment_id bigint, metric text, relative_mde float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS TABLE (kind text, baseline float8, standard_deviation float8, absolute_mde float8,
			   units_per_arm bigint, days_observed integer, units_per_arm_per_day float8,
			   days_to_run integer, current_units_per_arm bigint, current_power float8)
LANGUAGE plpgsql STABLE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (relative_mde > -1 AND relative_mde < 'Infinity' AND relative_mde <> 0) THEN
		RAISE EXCEPTION 'relative_mde must be a finite non-zero number above -1, not %', relative_mde
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'It is the relative change to detect: 0.05 for +5%.';
	END IF;
	PERFORM experiments_internal.planning_distance(alpha, power);
	RETURN QUERY
	WITH m AS MATERIALIZED (
		SELECT d.kind, d.metric, d.ordinal, d.day, d.units, d.value_sum, d.value_square_sum
		FROM experiments.daily_metrics($1, '-infinity', 'infinity') d
	), arms AS (
		SELECT v.ordinal, coalesce(sum(m.units), 0)::bigint AS units
		FROM experiments.variants v
		LEFT JOIN m ON m.kind = 'exposures' AND m.ordinal = v.ordinal
		WHERE v.experiment_id = $1 AND v.allocation_bp > 0
		GROUP BY v.ordinal
	), traffic AS (
		SELECT min(a.units) AS slowest, bool_or(a.ordinal = 0) AS has_control,
			   (SELECT (max(m.day) - min(m.day) + 1)::integer FROM m WHERE m.kind = 'exposures') AS days
		FROM arms a
	), control AS (
		SELECT CASE WHEN $2 = 'revenue' THEN 'revenue' ELSE 'goal' END AS kind,
			   a.units::float8 AS n,
			   coalesce(sum(m.units), 0)::float8 AS converting,
			   coalesce(sum(m.value_sum), 0) AS s1, coalesce(sum(m.value_square_sum), 0) AS s2
		FROM arms a
		LEFT JOIN m ON m.kind = CASE WHEN $2 = 'revenue' THEN 'revenue' ELSE 'goal' END
			AND m.metric = $2 AND m.ordinal = a.ordinal
		WHERE a.ordinal = 0
		GROUP BY a.units
	), base AS (
		SELECT c.kind,
			   CASE WHEN c.n > 0 THEN CASE c.kind WHEN 'goal' THEN c.converting / c.n ELSE c.s1 / c.n END END AS b,
			   CASE WHEN c.n > 1 THEN
					CASE c.kind WHEN 'goal' THEN sqrt(c.converting / c.n * (1 - c.converting / c.n))
					ELSE sqrt(greatest((c.s2 - c.s1 * c.s1 / c.n) / (c.n - 1), 0)) END END AS sd
		FROM control c
	), needed AS (
		SELECT b.kind, b.b, b.sd, b.b * $3 AS delta,
			   CASE WHEN b.kind = 'goal' AND b.b > 0 AND b.b < 1 THEN
					experiments.rate_sample_size(b.b, b.b * (1 + $3), $4, $5)
					WHEN b.kind = 'revenue' AND b.sd > 0 AND b.b <> 0 THEN
					experiments.mean_sample_size(b.b * $3, b.sd, $4, $5) END AS n,
			   CASE WHEN t.slowest > 0 AND b.kind = 'goal' AND b.b > 0 AND b.b < 1 THEN
					experiments.rate_power(b.b, b.b * (1 + $3), t.slowest, $4)
					WHEN t.slowest > 0 AND b.kind = 'revenue' AND b.sd > 0 THEN
					experiments.mean_power(b.b * $3, b.sd, t.slowest, $4) END AS power_now
		FROM base b CROSS JOIN traffic t
	)
	SELECT n.kind, n.b, n.sd, abs(n.delta), ceil(n.n)::bigint, t.days,
		   t.slowest / t.days::float8,
		   CASE WHEN t.slowest > 0 THEN ceil(ceil(n.n) / (t.slowest / t.days::float8))::integer END,
		   t.slowest, n.power_now
	FROM needed n CROSS JOIN traffic t;
END
$$;
COMMENT ON FUNCTION experiments.experiment_plan(bigint, text, float8, float8, float8) IS
'Plan of a running experiment from its observed traffic and baseline, read as the caller: for a goal (its conversion rate) or revenue (metric ''revenue'', cents per exposed unit), the control''s baseline and per-unit standard deviation, the absolute effect for relative_mde (0.05: +5%), units needed per arm for a two-sided test at alpha (default 0.05) with the given power (default 0.8), days observed, units per arm per day (slowest allocated variant), days to run in all at that pace, and the power at the current size. No row when the experiment is not visible; NULLs where the data do not allow a plan yet (no units, a baseline rate of 0 or 1, no variance).';
-- src/core/privileges.sql
REVOKE ALL ON FUNCTION
	experiments.sequential_interval(double precision, double precision, bigint, double precision, bigint),
	experiments.sequential_srm_test(bigint[], double precision[], double precision),
	experiments_internal.planning_critical(double precision),
	experiments_internal.planning_distance(double precision, double precision),
	experiments_internal.planning_variance(double precision, double precision),
	experiments_internal.planning_units(double precision),
	experiments_internal.planning_probability(double precision, text, boolean),
	experiments_internal.planning_power(double precision, double precision, double precision, double precision),
	experiments_internal.planning_sample_size(double precision, double precision, double precision, double precision),
	experiments_internal.planning_rate_variance(double precision, double precision),
	experiments.mean_power(double precision, double precision, double precision, double precision),
	experiments.mean_sample_size(double precision, double precision, double precision, double precision),
	experiments.mean_mde(double precision, double precision, double precision, double precision),
	experiments.rate_power(double precision, double precision, double precision, double precision),
	experiments.rate_sample_size(double precision, double precision, double precision, double precision),
	experiments.rate_mde(double precision, double precision, double precision, double precision),
	experiments.experiment_plan(bigint, text, double precision, double precision, double precision)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments.sequential_interval(double precision, double precision, bigint, double precision, bigint),
	experiments.sequential_srm_test(bigint[], double precision[], double precision)
	TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION
	experiments_internal.planning_critical(double precision),
	experiments_internal.planning_distance(double precision, double precision),
	experiments_internal.planning_variance(double precision, double precision),
	experiments_internal.planning_units(double precision),
	experiments_internal.planning_probability(double precision, text, boolean),
	experiments_internal.planning_power(double precision, double precision, double precision, double precision),
	experiments_internal.planning_sample_size(double precision, double precision, double precision, double precision),
	experiments_internal.planning_rate_variance(double precision, double precision),
	experiments.mean_power(double precision, double precision, double precision, double precision),
	experiments.mean_sample_size(double precision, double precision, double precision, double precision),
	experiments.mean_mde(double precision, double precision, double precision, double precision),
	experiments.rate_power(double precision, double precision, double precision, double precision),
	experiments.rate_sample_size(double precision, double precision, double precision, double precision),
	experiments.rate_mde(double precision, double precision, double precision, double precision),
	experiments.experiment_plan(bigint, text, double precision, double precision, double precision)
	TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION
	experiments.normal_cdf(float8),
	experiments.normal_quantile(float8),
	experiments.sequential_interval(float8, float8, bigint, float8, bigint),
	experiments.sequential_srm_test(bigint[], float8[], float8),
	experiments.mean_power(float8, float8, float8, float8),
	experiments.mean_sample_size(float8, float8, float8, float8),
	experiments.mean_mde(float8, float8, float8, float8),
	experiments.rate_power(float8, float8, float8, float8),
	experiments.rate_sample_size(float8, float8, float8, float8),
	experiments.rate_mde(float8, float8, float8, float8),
	experiments_internal.planning_critical(float8),
	experiments_internal.planning_distance(float8, float8),
	experiments_internal.planning_variance(float8, float8),
	experiments_internal.planning_units(float8),
	experiments_internal.planning_probability(float8, text, boolean),
	experiments_internal.planning_power(float8, float8, float8, float8),
	experiments_internal.planning_sample_size(float8, float8, float8, float8),
	experiments_internal.planning_rate_variance(float8, float8),
	experiments.experiment_plan(bigint, text, float8, float8, float8)
	TO experiments_analyst;

-- GrowthBook mode (docs/assignment.md, "GrowthBook mode"): an experiment
-- chooses its hashing; growthbook assigns as GrowthBook's SDKs do.
-- src/core/catalog.sql
ALTER TABLE experiments.experiments
	ADD COLUMN hashing text NOT NULL DEFAULT 'xxh3'
		CONSTRAINT experiments_hashing_known CHECK (hashing IN ('xxh3', 'growthbook')),
	ADD COLUMN hashing_options jsonb NOT NULL DEFAULT '{}',
	ADD CONSTRAINT experiments_growthbook_no_reset CHECK (hashing = 'xxh3' OR reset_interval = 'full');
COMMENT ON COLUMN experiments.experiments.hashing IS
'How units are hashed into variants: xxh3 (native, the default; README, "Assignment algorithm") or growthbook (the variation GrowthBook''s SDKs give; docs/assignment.md, "GrowthBook mode"). Fixed once started.';
COMMENT ON COLUMN experiments.experiments.hashing_options IS
'Settings of the hashing: {} for xxh3; for growthbook, the fields of a GrowthBook experiment but its key and variations (hashAttribute, hashVersion, seed, coverage, weights, ranges, namespace, filters, condition). Checked when written, fixed once started.';
CREATE OR REPLACE FUNCTION experiments_internal.check_experiment_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	probe experiments.experiments;
BEGIN
	IF NEW.state <> OLD.state AND NOT (
		(OLD.state = 'draft' AND NEW.state = 'running') OR
		(OLD.state = 'running' AND NEW.state IN ('paused', 'stopped')) OR
		(OLD.state = 'paused' AND NEW.state IN ('running', 'stopped'))) THEN
		RAISE EXCEPTION 'experiment "%" cannot go from % to %', OLD.key, OLD.state, NEW.state
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Experiments move draft -> running <-> paused -> stopped, and never back to draft.',
				  HINT = 'Create a new experiment to test again after stopping one.';
	END IF;
	IF OLD.started_at IS NOT NULL AND (NEW.traffic_seed <> OLD.traffic_seed OR
		NEW.variant_seed <> OLD.variant_seed OR NEW.unit_type <> OLD.unit_type OR
		NEW.hashing <> OLD.hashing OR NEW.hashing_options <> OLD.hashing_options OR
		NEW.started_at IS DISTINCT FROM OLD.started_at) THEN
		RAISE EXCEPTION 'experiment "%" has started: its seeds, hashing and unit type are fixed', OLD.key
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Changing them would move units that were already assigned to other variants.',
				  HINT = 'Create a new experiment to re-randomize.';
	END IF;
	IF NEW.state = 'running' AND OLD.started_at IS NULL THEN
		NEW.started_at := now();
	END IF;
	-- Any change but the enrolment flag (bookkeeping) is a new version.
	probe := NEW;
	probe.has_enrolments := OLD.has_enrolments;
	IF probe IS DISTINCT FROM OLD THEN
		NEW.version := OLD.version + 1;
		NEW.updated_at := now();
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_experiment_update() IS
'Trigger: enforces the state machine, freezes seeds, hashing and unit type once started, and bumps the version on every change.';
COMMENT ON TRIGGER check_experiment_update ON experiments.experiments IS
'Before an update: refuses a state change other than draft -> running <-> paused -> stopped, and a change of seeds, hashing, unit type or started_at once started; sets started_at when the experiment first runs; bumps version and updated_at on any change but the enrolment flag.';

-- src/assign/assign.sql
CREATE FUNCTION experiments.hashing_options_valid(hashing text, options jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'hashing_options_valid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.hashing_options_valid(text, jsonb) IS
'true when options suit the hashing ({} for xxh3; well-formed GrowthBook settings for growthbook); otherwise raises an error that says what is wrong.';

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

-- src/core/privileges.sql
REVOKE EXECUTE ON FUNCTION
	experiments.hashing_options_valid(text, jsonb),
	experiments.growthbook_hash(text, text, integer),
	experiments.growthbook_bucket_ranges(integer, double precision, double precision[]),
	experiments.growthbook_choose_variation(double precision, jsonb),
	experiments.growthbook_in_namespace(text, jsonb),
	experiments.growthbook_equal_weights(integer),
	experiments.growthbook_condition_matches(jsonb, jsonb, jsonb)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments.hashing_options_valid(text, jsonb),
	experiments.growthbook_hash(text, text, integer),
	experiments.growthbook_bucket_ranges(integer, double precision, double precision[]),
	experiments.growthbook_choose_variation(double precision, jsonb),
	experiments.growthbook_in_namespace(text, jsonb),
	experiments.growthbook_equal_weights(integer),
	experiments.growthbook_condition_matches(jsonb, jsonb, jsonb)
	TO experiments_api_owner, experiments_admin;

-- ABsmartly mode (docs/assignment.md, "ABsmartly mode"): hashing absmartly
-- assigns as ABsmartly's SDKs do, from the seeds and splits in its options.
-- src/core/catalog.sql
ALTER TABLE experiments.experiments
	DROP CONSTRAINT experiments_hashing_known,
	ADD CONSTRAINT experiments_hashing_known CHECK (hashing IN ('xxh3', 'growthbook', 'absmartly'));
COMMENT ON COLUMN experiments.experiments.hashing IS
'How units are hashed into variants: xxh3 (native, the default; README, "Assignment algorithm"), growthbook (the variation GrowthBook''s SDKs give; docs/assignment.md, "GrowthBook mode") or absmartly (the variant ABsmartly''s SDKs give; docs/assignment.md, "ABsmartly mode"). Fixed once started.';
COMMENT ON COLUMN experiments.experiments.hashing_options IS
'Settings of the hashing: {} for xxh3; for growthbook, the fields of a GrowthBook experiment but its key and variations (hashAttribute, hashVersion, seed, coverage, weights, ranges, namespace, filters, condition); for absmartly, ABsmartly''s seedHi, seedLo, trafficSeedHi, trafficSeedLo, split and trafficSplit, each optional (seeds left out are derived from the key). Checked when written, fixed once started.';
CREATE OR REPLACE FUNCTION experiments_internal.check_allocations()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp_id bigint;
	exp experiments.experiments;
	total bigint;
	n integer;
BEGIN
	IF TG_TABLE_NAME = 'experiments' THEN
		exp_id := NEW.id;
	ELSIF TG_OP = 'DELETE' THEN
		exp_id := OLD.experiment_id;
	ELSE
		exp_id := NEW.experiment_id;
	END IF;
	SELECT * INTO exp FROM experiments.experiments e WHERE e.id = exp_id;
	IF NOT FOUND OR exp.state NOT IN ('running', 'paused') THEN
		RETURN NULL;
	END IF;
	SELECT coalesce(sum(v.allocation_bp), 0), count(*) INTO total, n
	FROM experiments.variants v WHERE v.experiment_id = exp_id;
	IF n < 1 OR total <> 10000 THEN
		RAISE EXCEPTION 'allocations of experiment "%" sum to % basis points, not 10000', exp.key, total
			USING ERRCODE = 'check_violation',
				  DETAIL = format('A %s experiment needs variants whose allocations sum to 10000 basis points (100%%); it has %s variant(s).', exp.state, n),
				  HINT = 'Give allocations as percentages summing to 100 or basis points summing to 10000, e.g. with experiments.set_variants().';
	END IF;
	IF exp.hashing = 'growthbook' AND (
		jsonb_array_length(coalesce(exp.hashing_options -> 'weights', to_jsonb(array_fill(0, ARRAY[n])))) <> n OR
		jsonb_array_length(coalesce(exp.hashing_options -> 'ranges', to_jsonb(array_fill(0, ARRAY[n])))) <> n) THEN
		RAISE EXCEPTION 'GrowthBook experiment "%" has % variant(s) but % weights and % ranges', exp.key, n,
			coalesce(jsonb_array_length(exp.hashing_options -> 'weights'), n),
			coalesce(jsonb_array_length(exp.hashing_options -> 'ranges'), n)
			USING ERRCODE = 'check_violation',
				  DETAIL = 'GrowthBook weights and ranges give one entry per variant, in ordinal order; the SDK would ignore weights of another count.',
				  HINT = 'Give as many weights and ranges as variants in hashing_options, or leave them out.';
	END IF;
	IF exp.hashing = 'absmartly' AND jsonb_array_length(coalesce(exp.hashing_options -> 'split', to_jsonb(array_fill(0, ARRAY[n])))) <> n THEN
		RAISE EXCEPTION 'ABsmartly experiment "%" has % variant(s) but a split of %', exp.key, n,
			jsonb_array_length(exp.hashing_options -> 'split')
			USING ERRCODE = 'check_violation',
				  DETAIL = 'An ABsmartly split gives one fraction per variant, in ordinal order.',
				  HINT = 'Give as many split fractions as variants in hashing_options, or leave split out to split by the allocations.';
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_allocations() IS
'Constraint trigger: a running or paused experiment has variants whose allocations sum to 10000 basis points, and, with GrowthBook hashing, as many weights and ranges as variants (with ABsmartly hashing, as many split fractions).';
-- src/assign/assign.sql
COMMENT ON FUNCTION experiments.hashing_options_valid(text, jsonb) IS
'true when options suit the hashing ({} for xxh3; well-formed GrowthBook settings for growthbook, ABsmartly seeds and splits for absmartly); otherwise raises an error that says what is wrong.';
CREATE FUNCTION experiments.absmartly_context()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'absmartly_context'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION experiments.absmartly_context() IS
'ABsmartly''s context data ({"experiments": [{id, name, unitType, iteration, seedHi, seedLo, split, trafficSeedHi, trafficSeedLo, trafficSplit, fullOnVariant, applications, variants, audience, audienceStrict}]}) for the current tenant''s running experiments whose hashing is absmartly, with the seeds and splits assign() uses, given or derived: an ABsmartly SDK given it treats a unit as assign() does (docs/assignment.md, "ABsmartly mode").';
-- src/core/privileges.sql
REVOKE EXECUTE ON FUNCTION experiments.absmartly_context() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments.absmartly_context()
	TO experiments_api_owner, experiments_client, experiments_admin;

-- Portable experiments (docs/assignment.md, "Export and import").
-- src/assign/portable.sql
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
-- src/core/privileges.sql
REVOKE EXECUTE ON FUNCTION experiments.export_experiment(text), experiments.import_experiment(jsonb),
	experiments_internal.import_layer(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments.export_experiment(text), experiments.import_experiment(jsonb),
	experiments_internal.import_layer(jsonb) TO experiments_api_owner, experiments_admin;

-- GrowthBook's features payload (docs/assignment.md, "GrowthBook features").
-- src/assign/portable.sql
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
-- src/core/privileges.sql
REVOKE EXECUTE ON FUNCTION experiments.growthbook_features() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments.growthbook_features() TO experiments_api_owner, experiments_admin;

-- src/http/page.sql: the results page and its charts (PostgREST media type handlers).
CREATE DOMAIN experiments_api."text/html" AS text;
COMMENT ON DOMAIN experiments_api."text/html" IS
'PostgREST''s media type handler for text/html: a function returning it answers requests that accept text/html with its text as the body.';
CREATE DOMAIN experiments_api."image/svg+xml" AS text;
COMMENT ON DOMAIN experiments_api."image/svg+xml" IS
'PostgREST''s media type handler for image/svg+xml: a function returning it answers requests that accept image/svg+xml with its text as the body.';

-- Names of experiments, variants and goals are data: escaped for HTML
-- text, attribute values and SVG (XML) alike.
CREATE FUNCTION experiments_internal.html_escape(value text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT replace(replace(replace(replace(replace(value, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
				   '"', '&quot;'), '''', '&#39;')
$$;
COMMENT ON FUNCTION experiments_internal.html_escape(text) IS
'The text with & < > " and '' replaced by their character references: safe in HTML text, HTML attribute values and SVG.';

-- The per-day series of every chart from one read of the events.
CREATE FUNCTION experiments_internal.results_series(experiment_id bigint, confidence float8 DEFAULT 0.95)
RETURNS TABLE (kind text, metric text, ordinal integer, variant text, day date,
			   new_units bigint, units bigint, converting_units bigint,
			   relative_lift float8, relative_lower float8, relative_upper float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH m AS MATERIALIZED (
	SELECT * FROM experiments.daily_metrics($1, '-infinity', 'infinity')
), exposed AS (
	SELECT d.day, v.ordinal, v.key, coalesce(m.units, 0)::bigint AS new_units,
		   sum(coalesce(m.units, 0)) OVER (PARTITION BY v.ordinal ORDER BY d.day)::bigint AS units
	FROM (SELECT DISTINCT m.day FROM m) d
	CROSS JOIN experiments.variants v
	LEFT JOIN m ON m.kind = 'exposures' AND m.day = d.day AND m.ordinal = v.ordinal
	WHERE v.experiment_id = $1
), cumulative AS (
	SELECT k.kind, k.metric, e.day, e.ordinal, e.key, e.new_units, e.units,
		   sum(coalesce(c.units, 0)) OVER (PARTITION BY k.kind, k.metric, e.ordinal ORDER BY e.day)::bigint AS converting
	FROM (SELECT DISTINCT m.kind, m.metric FROM m WHERE m.kind <> 'exposures') k
	CROSS JOIN exposed e
	LEFT JOIN m c ON c.kind = k.kind AND c.metric IS NOT DISTINCT FROM k.metric AND c.day = e.day AND c.ordinal = e.ordinal
), compared AS (
	SELECT c.*,
		   max(c.converting) FILTER (WHERE c.ordinal = 0) OVER (PARTITION BY c.kind, c.metric, c.day) AS control_converting,
		   max(c.units) FILTER (WHERE c.ordinal = 0) OVER (PARTITION BY c.kind, c.metric, c.day) AS control_units
	FROM cumulative c
)
SELECT 'exposures', NULL, e.ordinal, e.key, e.day, e.new_units, e.units, NULL, NULL, NULL, NULL
FROM exposed e
UNION ALL
SELECT c.kind, c.metric, c.ordinal, c.key, c.day, c.new_units, c.units, c.converting,
	   z.relative_difference, z.relative_lower, z.relative_upper
FROM compared c
CROSS JOIN LATERAL experiments.two_proportion_test(
	CASE WHEN c.ordinal <> 0 THEN c.control_converting END, c.control_units, c.converting, c.units, $2) z
$$;
COMMENT ON FUNCTION experiments_internal.results_series(bigint, float8) IS
'Daily series of an experiment''s charts, from one daily_metrics() call: per UTC day and variant, units first exposed that day and cumulatively (kind exposures), and per metric the cumulative converting units with, for variants other than the control, the relative rate lift and its interval from two_proportion_test() on the day''s cumulative counts (the comparison experiment_results() makes on all of them).';

-- A line chart: one polyline per series over the days, with the band of its
-- interval when the series has one; percentages or counts on the y axis.
CREATE FUNCTION experiments_internal.svg_line_chart(title text, days date[], series jsonb, percent boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	width CONSTANT float8 := 640;
	height CONSTANT float8 := 260;
	left_edge CONSTANT float8 := 64;
	right_edge CONSTANT float8 := 628;
	top_edge CONSTANT float8 := 30;
	bottom_edge CONSTANT float8 := 210;
	palette CONSTANT text[] := '{#1f6feb,#d9480f,#2f9e44,#9c36b5,#e8590c,#0c8599,#5c940d,#c2255c}';
	n integer := coalesce(array_length(days, 1), 0);
	lo float8;
	hi float8;
	s record;
	color text;
	out text;
BEGIN
	SELECT least(min(v), 0), greatest(max(v), 0) INTO lo, hi
	FROM jsonb_array_elements(series) e,
		 LATERAL (SELECT (x #>> '{}')::float8 FROM jsonb_array_elements(e.value -> 'values') x
				  UNION ALL SELECT (x #>> '{}')::float8 FROM jsonb_array_elements(coalesce(e.value -> 'lower', '[]')) x
				  UNION ALL SELECT (x #>> '{}')::float8 FROM jsonb_array_elements(coalesce(e.value -> 'upper', '[]')) x) AS p(v);
	IF lo IS NULL OR hi <= lo THEN
		lo := coalesce(lo, 0);
		hi := lo + 1;
	END IF;
	out := format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="100%%" role="img" class="chart"><title>%s</title>',
				  width, height, experiments_internal.html_escape(title))
		|| format('<text x="%s" y="18" class="chart-title">%s</text>', left_edge, experiments_internal.html_escape(title))
		|| format('<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>', left_edge, top_edge, left_edge, bottom_edge)
		|| (SELECT string_agg(format('<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/><text class="tick" x="%s" y="%s" text-anchor="end">%s</text>',
									 left_edge, y, right_edge, y, left_edge - 4, y + 4,
									 CASE WHEN percent THEN experiments_internal.format_percent(v, true) ELSE round(v::numeric)::text END), '')
			FROM (SELECT DISTINCT v, round((top_edge + (hi - v) / (hi - lo) * (bottom_edge - top_edge))::numeric, 2) AS y
				  FROM unnest(ARRAY[lo, 0, hi]) v) t)
		|| (SELECT coalesce(string_agg(format('<text class="tick" x="%s" y="%s" text-anchor="%s">%s</text>',
											 round((left_edge + (i - 1) * (right_edge - left_edge) / greatest(n - 1, 1))::numeric, 2),
											 bottom_edge + 16, CASE WHEN i = 1 THEN 'start' WHEN i = n THEN 'end' ELSE 'middle' END,
											 to_char(days[i], 'Mon DD')), ''), '')
			FROM generate_series(1, n) i WHERE i IN (1, n, (n + 1) / 2));
	FOR s IN SELECT e.value AS doc, e.ordinality AS k FROM jsonb_array_elements(series) WITH ORDINALITY e LOOP
		color := palette[1 + (s.k - 1) % array_length(palette, 1)];
		IF s.doc ? 'lower' THEN
			out := out || format('<polygon class="band" data-series="%s" fill="%s" points="%s"/>',
				experiments_internal.html_escape(s.doc ->> 'name'), color,
				(SELECT string_agg(p, ' ' ORDER BY o) FROM (
					SELECT i AS o, format('%s,%s', round((left_edge + (i - 1) * (right_edge - left_edge) / greatest(n - 1, 1))::numeric, 2),
										  round((top_edge + (hi - (s.doc -> 'upper' ->> (i - 1))::float8) / (hi - lo) * (bottom_edge - top_edge))::numeric, 2)) AS p
					FROM generate_series(1, n) i WHERE s.doc -> 'upper' ->> (i - 1) IS NOT NULL AND s.doc -> 'lower' ->> (i - 1) IS NOT NULL
					UNION ALL
					SELECT 2 * n + 1 - i, format('%s,%s', round((left_edge + (i - 1) * (right_edge - left_edge) / greatest(n - 1, 1))::numeric, 2),
												 round((top_edge + (hi - (s.doc -> 'lower' ->> (i - 1))::float8) / (hi - lo) * (bottom_edge - top_edge))::numeric, 2))
					FROM generate_series(1, n) i WHERE s.doc -> 'upper' ->> (i - 1) IS NOT NULL AND s.doc -> 'lower' ->> (i - 1) IS NOT NULL) b));
		END IF;
		out := out || format('<polyline class="series" data-series="%s" stroke="%s" points="%s"/>',
			experiments_internal.html_escape(s.doc ->> 'name'), color,
			(SELECT coalesce(string_agg(format('%s,%s', round((left_edge + (i - 1) * (right_edge - left_edge) / greatest(n - 1, 1))::numeric, 2),
											   round((top_edge + (hi - (s.doc -> 'values' ->> (i - 1))::float8) / (hi - lo) * (bottom_edge - top_edge))::numeric, 2)), ' ' ORDER BY i), '')
			 FROM generate_series(1, n) i WHERE s.doc -> 'values' ->> (i - 1) IS NOT NULL))
			|| format('<rect class="key" x="%s" y="%s" width="10" height="10" fill="%s"/><text class="legend" x="%s" y="%s">%s</text>',
					  left_edge + (s.k - 1) % 4 * 140, height - 20 + (s.k - 1) / 4 * 14 - 9, color,
					  left_edge + (s.k - 1) % 4 * 140 + 14, height - 20 + (s.k - 1) / 4 * 14,
					  experiments_internal.html_escape(s.doc ->> 'name'));
	END LOOP;
	RETURN out || '</svg>';
END;
$$;
COMMENT ON FUNCTION experiments_internal.svg_line_chart(text, date[], jsonb, boolean) IS
'An SVG line chart: the title, a y axis through 0 (percentages when percent, else counts), the first, middle and last days, and per series of [{"name", "values", "lower", "upper"}] (arrays per day, null where undefined) a polyline of class series and, when lower is given, a polygon of class band for the interval; names escaped.';

-- The sample ratio chart: observed against expected share, per variant.
CREATE FUNCTION experiments_internal.svg_srm_chart(title text, variants text[], observed float8[], expected float8[])
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 %s" width="100%%" role="img" class="chart"><title>%s</title><text x="8" y="18" class="chart-title">%s</text>',
				  44 + 44 * cardinality(variants), experiments_internal.html_escape(title), experiments_internal.html_escape(title))
		|| coalesce(string_agg(format('<text class="legend" x="8" y="%s">%s</text>'
									  '<rect class="observed" data-series="%s" x="150" y="%s" width="%s" height="14" fill="#1f6feb"/>'
									  '<text class="tick" x="%s" y="%s">observed %s</text>'
									  '<rect class="expected" data-series="%s" x="150" y="%s" width="%s" height="14" fill="#adb5bd"/>'
									  '<text class="tick" x="%s" y="%s">expected %s</text>',
									  44 + 44 * (i - 1) + 17, experiments_internal.html_escape(variants[i]),
									  experiments_internal.html_escape(variants[i]), 44 + 44 * (i - 1) + 4, round((coalesce(observed[i], 0) * 380)::numeric, 2),
									  156 + round((coalesce(observed[i], 0) * 380)::numeric, 2), 44 + 44 * (i - 1) + 15, experiments_internal.format_percent(observed[i]),
									  experiments_internal.html_escape(variants[i]), 44 + 44 * (i - 1) + 20, round((coalesce(expected[i], 0) * 380)::numeric, 2),
									  156 + round((coalesce(expected[i], 0) * 380)::numeric, 2), 44 + 44 * (i - 1) + 31, experiments_internal.format_percent(expected[i])),
							   '' ORDER BY i), '')
		|| '</svg>'
	FROM generate_subscripts(variants, 1) i
$$;
COMMENT ON FUNCTION experiments_internal.svg_srm_chart(text, text[], float8[], float8[]) IS
'An SVG bar chart of sample ratio: per variant a bar of class observed (its share of units) and one of class expected (its share of the allocation), labelled in percent; names escaped.';

-- A chart of an experiment by name: the one place that turns results and
-- series into SVG, for the page and for results_chart().
CREATE FUNCTION experiments_internal.results_chart_svg(chart text, metric text, results jsonb, series jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE chart
		WHEN 'srm' THEN experiments_internal.svg_srm_chart('Sample ratio: share of units, observed vs allocated',
			array_agg(r ->> 'variant' ORDER BY (r ->> 'ordinal')::integer),
			array_agg((r ->> 'traffic_share')::float8 ORDER BY (r ->> 'ordinal')::integer),
			array_agg((r ->> 'allocation_share')::float8 ORDER BY (r ->> 'ordinal')::integer))
		END
	FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = 'exposures'
	HAVING chart = 'srm'
	UNION ALL
	SELECT experiments_internal.svg_line_chart(
		CASE chart WHEN 'units' THEN 'Units first exposed per variant per day'
			 ELSE 'Cumulative relative lift of ' || metric || ' (conversion rate) vs control' END,
		(SELECT array_agg(DISTINCT (d ->> 'day')::date ORDER BY (d ->> 'day')::date) FROM jsonb_array_elements(series) d),
		coalesce(jsonb_agg(v.doc ORDER BY v.ordinal), '[]'), chart = 'lift')
	FROM (SELECT (d ->> 'ordinal')::integer AS ordinal,
				 jsonb_build_object('name', d ->> 'variant', 'values', jsonb_agg(d -> CASE chart WHEN 'units' THEN 'new_units' ELSE 'relative_lift' END ORDER BY d ->> 'day'))
				 || CASE WHEN chart = 'lift' THEN jsonb_build_object('lower', jsonb_agg(d -> 'relative_lower' ORDER BY d ->> 'day'),
																	 'upper', jsonb_agg(d -> 'relative_upper' ORDER BY d ->> 'day'))
						 ELSE '{}' END AS doc
		  FROM jsonb_array_elements(series) d
		  WHERE CASE chart WHEN 'units' THEN d ->> 'kind' = 'exposures'
				ELSE d ->> 'metric' = metric AND (d ->> 'ordinal')::integer <> 0 END
		  GROUP BY 1, d ->> 'variant') v
	HAVING chart IN ('units', 'lift')
$$;
COMMENT ON FUNCTION experiments_internal.results_chart_svg(text, text, jsonb, jsonb) IS
'One chart of an experiment as SVG from its experiment_results() rows and results_series() rows (JSON arrays): srm (observed vs allocated share), units (units first exposed per variant per day) or lift (cumulative relative rate lift of a metric with its interval, per treatment); NULL for another name.';

-- An unknown experiment is a 404 in the API's {status, message} document.
CREATE FUNCTION experiments_internal.page_experiment_id(experiment text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	RETURN experiments_internal.experiment_id(experiment);
EXCEPTION WHEN no_data_found THEN
	PERFORM experiments_internal.raise_api_error(404, SQLERRM);
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.page_experiment_id(text) IS
'The id of an experiment of the caller''s tenant for the results page and charts; PT404 with {"status", "message"} when there is none.';

CREATE FUNCTION experiments_api.results_chart(experiment text, chart text, metric text DEFAULT NULL)
RETURNS experiments_api."image/svg+xml"
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	id bigint;
	results jsonb;
	series jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	IF chart IS NULL OR chart NOT IN ('lift', 'units', 'srm') THEN
		PERFORM experiments_internal.raise_api_error(400, format('chart "%s" does not exist: ask for lift, units or srm.', chart));
	END IF;
	id := experiments_internal.page_experiment_id(experiment);
	IF chart = 'srm' THEN
		SELECT jsonb_agg(to_jsonb(r)) INTO results FROM experiments.experiment_results(id) r;
	ELSE
		SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') INTO series FROM experiments_internal.results_series(id) s;
	END IF;
	RETURN experiments_internal.results_chart_svg(chart,
		coalesce(results_chart.metric, (SELECT min(d ->> 'metric') FROM jsonb_array_elements(series) d)), results, series);
END;
$$;
ALTER FUNCTION experiments_api.results_chart(text, text, text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.results_chart(text, text, text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.results_chart(text, text, text) IS
'GET /rpc/results_chart?experiment=KEY&chart=lift|units|srm[&metric=GOAL] with Accept: image/svg+xml: one chart of the results page as SVG (lift: cumulative relative rate lift per day with its interval, of metric or the first metric; units: units first exposed per variant per day; srm: observed vs allocated share). For analysts; 400 for another chart.';

CREATE FUNCTION experiments_api.results_page(experiment text)
RETURNS experiments_api."text/html"
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	results jsonb;
	series jsonb;
	control text;
	verdicts text := '';
	tables text := '';
	srm text;
	m record;
BEGIN
	PERFORM experiments_internal.authorize();
	SELECT * INTO x FROM experiments.experiments e WHERE e.id = experiments_internal.page_experiment_id(experiment);
	SELECT jsonb_agg(to_jsonb(r)) INTO results FROM experiments.experiment_results(x.id) r;
	SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') INTO series FROM experiments_internal.results_series(x.id) s;
	SELECT r ->> 'variant',
		   CASE WHEN (r ->> 'stray_traffic')::boolean THEN 'Sample ratio mismatch: a variant allocated 0% has units. Do not trust these results.'
				WHEN (r ->> 'srm_mismatch')::boolean THEN 'Sample ratio mismatch (' || experiments_internal.format_p_value((r ->> 'srm_p_value')::float8) || '): the traffic split differs from the allocation. Do not trust these results.'
				WHEN r ->> 'srm_p_value' IS NULL THEN 'The sample ratio cannot be tested yet.'
				ELSE 'The traffic split matches the allocation (' || experiments_internal.format_p_value((r ->> 'srm_p_value')::float8) || ').' END
	INTO control, srm
	FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = 'exposures' AND (r ->> 'ordinal')::integer = 0;
	-- Per metric: its verdicts, its table and its lift chart.
	FOR m IN SELECT DISTINCT r ->> 'kind' AS kind, r ->> 'metric' AS metric
			 FROM jsonb_array_elements(results) r WHERE r ->> 'kind' <> 'exposures' ORDER BY 1, 2 LOOP
		verdicts := verdicts || coalesce((
			SELECT string_agg('<li>' || experiments_internal.html_escape(experiments_internal.results_verdict(
						r ->> 'variant', control, m.metric || ' (conversion rate)', r ->> 'rate_verdict',
						(r ->> 'rate_relative_lift')::float8, (r ->> 'rate_relative_lower')::float8,
						(r ->> 'rate_relative_upper')::float8, (r ->> 'rate_adjusted_p_value')::float8,
						(r ->> 'rate_interval_confidence')::float8)) || '</li>',
					'' ORDER BY (r ->> 'ordinal')::integer)
			FROM jsonb_array_elements(results) r
			WHERE r ->> 'kind' = m.kind AND r ->> 'metric' = m.metric AND (r ->> 'ordinal')::integer <> 0), '');
		tables := tables || format('<section class="metric" data-metric="%s"><h2>%s</h2><div class="scroll"><table><thead><tr>'
			'<th>Variant</th><th>Units</th><th>Converting</th><th>Rate (95%% CI)</th><th>Relative lift (CI corrected for multiple testing)</th><th>p-value (uncorrected)</th>%s'
			'</tr></thead><tbody>', experiments_internal.html_escape(m.metric), experiments_internal.html_escape(m.metric),
			CASE WHEN m.kind = 'revenue' THEN '<th>Value per unit</th>' ELSE '' END)
			|| (SELECT string_agg(format('<tr data-variant="%s"><th scope="row">%s</th>'
					'<td data-field="units" data-value="%s">%s</td><td data-field="converting_units" data-value="%s">%s</td>'
					'<td data-field="conversion_rate" data-value="%s" data-lower="%s" data-upper="%s">%s <span class="ci">(%s to %s)</span></td>'
					'<td data-field="rate_relative_lift" data-value="%s" data-lower="%s" data-upper="%s">%s</td>'
					'<td data-field="rate_p_value" data-value="%s">%s</td>%s</tr>',
					experiments_internal.html_escape(r ->> 'variant'), experiments_internal.html_escape(r ->> 'variant'),
					r ->> 'units', r ->> 'units', r ->> 'converting_units', r ->> 'converting_units',
					r ->> 'conversion_rate', r ->> 'rate_lower', r ->> 'rate_upper',
					experiments_internal.format_percent((r ->> 'conversion_rate')::float8),
					experiments_internal.format_percent((r ->> 'rate_lower')::float8),
					experiments_internal.format_percent((r ->> 'rate_upper')::float8),
					r ->> 'rate_relative_lift', r ->> 'rate_relative_lower', r ->> 'rate_relative_upper',
					CASE WHEN (r ->> 'ordinal')::integer = 0 THEN 'control'
						 ELSE experiments_internal.format_percent((r ->> 'rate_relative_lift')::float8, true)
							  || ' <span class="ci">(' || experiments_internal.format_percent((r ->> 'rate_relative_lower')::float8, true)
							  || ' to ' || experiments_internal.format_percent((r ->> 'rate_relative_upper')::float8, true) || ')</span>' END,
					r ->> 'rate_p_value',
					CASE WHEN (r ->> 'ordinal')::integer = 0 THEN '' ELSE experiments_internal.format_p_value((r ->> 'rate_p_value')::float8) END,
					CASE WHEN m.kind = 'revenue' THEN format('<td data-field="value_per_unit" data-value="%s">%s</td>',
						r ->> 'value_per_unit', round((r ->> 'value_per_unit')::numeric, 2)) ELSE '' END),
				'' ORDER BY (r ->> 'ordinal')::integer)
				FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = m.kind AND r ->> 'metric' = m.metric)
			|| '</tbody></table></div><figure class="lift">'
			|| experiments_internal.results_chart_svg('lift', m.metric, results, series)
			|| '</figure></section>';
	END LOOP;
	RETURN '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
		|| '<meta name="viewport" content="width=device-width, initial-scale=1">'
		|| '<title>Results: ' || experiments_internal.html_escape(x.key) || '</title><style>'
		|| 'body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#212529;background:#f8f9fa}'
		|| 'main{max-width:960px;margin:0 auto;padding:16px}h1{font-size:1.5em;margin:.2em 0;overflow-wrap:anywhere}'
		|| 'h2{font-size:1.15em;margin:1.2em 0 .4em;overflow-wrap:anywhere}section{background:#fff;border-radius:8px;padding:12px 16px;margin:12px 0}'
		|| '.verdict li{margin:.3em 0}.warn{color:#c92a2a;font-weight:600}.scroll{overflow-x:auto}'
		|| 'table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:4px 8px;text-align:right;white-space:nowrap;border-bottom:1px solid #dee2e6}'
		|| 'th:first-child{text-align:left}.ci{color:#868e96;font-size:.9em}figure{margin:12px 0 0}'
		|| 'svg.chart{display:block;max-width:100%;height:auto}.chart-title{font-weight:600;font-size:13px}'
		|| '.tick,.legend{font-size:11px;fill:#495057}.axis{stroke:#495057}.grid{stroke:#e9ecef}'
		|| '.series{fill:none;stroke-width:2}.band{opacity:.18}'
		|| '@media (max-width:600px){main{padding:8px}section{padding:8px}th,td{padding:3px 4px;font-size:13px}}'
		|| '</style></head><body><main>'
		|| format('<h1>Experiment %s</h1><p>%s, %s units exposed.</p>', experiments_internal.html_escape(x.key), x.state,
				  (SELECT coalesce(sum((r ->> 'units')::bigint), 0) FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = 'exposures'))
		|| '<section class="verdict"><h2>Verdict</h2><p class="srm' || CASE WHEN srm LIKE 'Sample ratio mismatch%' THEN ' warn' ELSE '' END || '">'
		|| experiments_internal.html_escape(srm) || '</p><ul>' || verdicts || '</ul></section>'
		|| tables
		|| '<section class="units"><h2>Units per variant per day</h2><figure>'
		|| experiments_internal.results_chart_svg('units', NULL, results, series) || '</figure></section>'
		|| '<section class="srm-chart"><h2>Sample ratio</h2><figure>'
		|| experiments_internal.results_chart_svg('srm', NULL, results, series) || '</figure></section>'
		|| '</main></body></html>';
END;
$$;
ALTER FUNCTION experiments_api.results_page(text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.results_page(text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.results_page(text) IS
'GET /rpc/results_page?experiment=KEY with Accept: text/html: the experiment''s results as a self-contained page (inline CSS and SVG, no script): the verdict in words (sample ratio, then each treatment against the control per metric), a table per metric (units, rate with its interval, relative lift with its interval, p-value, from experiment_results()), the cumulative relative lift per day with its interval, units per variant per day and the sample ratio chart. For analysts.';
-- src/core/privileges.sql (the results page)
REVOKE EXECUTE ON FUNCTION
	experiments_internal.html_escape(text),
	experiments_internal.results_series(bigint, double precision),
	experiments_internal.svg_line_chart(text, date[], jsonb, boolean),
	experiments_internal.svg_srm_chart(text, text[], double precision[], double precision[]),
	experiments_internal.results_chart_svg(text, text, jsonb, jsonb),
	experiments_internal.page_experiment_id(text),
	experiments_api.results_chart(text, text, text),
	experiments_api.results_page(text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments_internal.html_escape(text),
	experiments_internal.results_series(bigint, double precision),
	experiments_internal.svg_line_chart(text, date[], jsonb, boolean),
	experiments_internal.svg_srm_chart(text, text[], double precision[], double precision[]),
	experiments_internal.results_chart_svg(text, text, jsonb, jsonb),
	experiments_internal.page_experiment_id(text)
	TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION
	experiments_api.results_chart(text, text, text),
	experiments_api.results_page(text)
	TO experiments_anon;

-- 0.2.0: layers and enrolments under races (issue #19). record_enrolment()
-- refuses (40001) an enrolment decided from a layer range changed since
-- (check_enrolment_layer()); an experiment with enrolled units enters a
-- layer only with the whole range (check_layer_range()); a layer's seed is
-- fixed at creation (check_layer_update()).

-- src/core/catalog.sql
COMMENT ON COLUMN experiments.layers.seed IS
'Seed of the layer''s draw bucket(unit, seed), whose ranges the layer''s experiments own; random at creation, fixed then (check_layer_update).';

CREATE FUNCTION experiments_internal.check_layer_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.seed <> OLD.seed THEN
		RAISE EXCEPTION 'layer "%" has a fixed seed', OLD.key
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Changing it would give every unit a new layer bucket, so that units enrolled in one experiment of the layer would fall in the range of another.',
				  HINT = 'Create a new layer to re-randomize, and place new experiments in it.';
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_layer_update() IS
'Trigger: refuses a change of a layer''s seed, fixed at creation.';

CREATE TRIGGER check_layer_update BEFORE UPDATE OF seed ON experiments.layers
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.check_layer_update();
COMMENT ON TRIGGER check_layer_update ON experiments.layers IS
'Before an update of seed: refuses a change of the layer''s seed, which is fixed at creation.';

CREATE OR REPLACE FUNCTION experiments_internal.check_layer_range()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	other text;
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.has_enrolments AND OLD.layer_id IS NOT NULL AND NEW.state <> 'stopped'
	   AND (NEW.layer_id IS DISTINCT FROM OLD.layer_id OR NEW.layer_lo > OLD.layer_lo
			OR NEW.layer_hi < OLD.layer_hi) THEN
		RAISE EXCEPTION 'experiment "%" has enrolled units: its layer range [%, %) may grow, not shrink, move or leave its layer',
			OLD.key, OLD.layer_lo, OLD.layer_hi
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('The new range is %s. Units enrolled in the part it gives up would stay in this experiment while another experiment of the layer took them.',
								  CASE WHEN NEW.layer_id IS NULL THEN 'no layer'
									   WHEN NEW.layer_id <> OLD.layer_id THEN format('[%s, %s) of another layer', NEW.layer_lo, NEW.layer_hi)
									   ELSE format('[%s, %s)', NEW.layer_lo, NEW.layer_hi) END),
				  HINT = 'Stop the experiment and create a new one with the range you want.';
	END IF;
	IF TG_OP = 'UPDATE' AND OLD.has_enrolments AND OLD.layer_id IS NULL AND NEW.layer_id IS NOT NULL
	   AND NEW.state <> 'stopped' AND (NEW.layer_lo <> 0 OR NEW.layer_hi <> 10000) THEN
		RAISE EXCEPTION 'experiment "%" has enrolled units: it may enter a layer only with the whole range [0, 10000)', OLD.key
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('The new range is [%s, %s). Its units are enrolled whatever their layer bucket, so those outside the range would also be in the experiment that took the rest of the layer.',
								  NEW.layer_lo, NEW.layer_hi),
				  HINT = 'Enter the layer with layer_lo = 0 and layer_hi = 10000, or stop the experiment and create a new one in the layer.';
	END IF;
	IF NEW.layer_id IS NULL OR NEW.state = 'stopped' THEN
		RETURN NEW;
	END IF;
	PERFORM 1 FROM experiments.layers l WHERE l.id = NEW.layer_id FOR UPDATE;
	SELECT e.key INTO other
	FROM experiments.experiments e
	WHERE e.layer_id = NEW.layer_id AND e.id <> NEW.id AND e.state <> 'stopped'
	  AND int4range(e.layer_lo, e.layer_hi) && int4range(NEW.layer_lo, NEW.layer_hi)
	LIMIT 1;
	IF other IS NOT NULL THEN
		RAISE EXCEPTION 'layer range [%, %) of experiment "%" overlaps experiment "%"',
			NEW.layer_lo, NEW.layer_hi, NEW.key, other
			USING ERRCODE = 'exclusion_violation',
				  DETAIL = 'Experiments of one layer own disjoint ranges of the layer bucket, so that no unit is in two of them.',
				  HINT = 'Choose a free range, or stop the other experiment first.';
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_layer_range() IS
'Trigger: the layer ranges of the experiments of one layer (stopped ones excepted) never overlap (the constraint experiments_layer_disjoint holds it under every isolation level; the trigger names the other experiment), and an experiment with enrolled units that is not stopped may grow its range but not shrink, move or leave it, and may enter a layer only with the whole range [0, 10000).';
COMMENT ON TRIGGER check_layer_range ON experiments.experiments IS
'Before an insert, or an update of layer_id, layer_lo, layer_hi or state: refuses a layer range overlapping that of another experiment of the layer that is not stopped (naming it; the constraint experiments_layer_disjoint holds under every isolation level), and a change that shrinks, moves or removes the range of an experiment with enrolled units that is not stopped, or makes it enter a layer with less than the whole range; locks the layer, so that concurrent placements take turns.';

-- src/assign/assign.sql
CREATE OR REPLACE FUNCTION experiments_internal.record_enrolment(experiment_id bigint, unit text, period bigint,
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

-- src/core/privileges.sql
REVOKE EXECUTE ON FUNCTION experiments_internal.check_layer_update(),
	experiments_internal.check_enrolment_layer(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_internal.check_enrolment_layer(bigint, text) TO experiments_api_owner;

-- 0.2.0: operators call the management APIs in SQL (found by running the
-- regression suites as the README's roles). The Commerce Cloud A/B test
-- functions (src/adapters/commerce/commerce.sql) and the Lifecycle API's
-- organization experiment functions (src/adapters/lifecycle/lifecycle.sql)
-- are SECURITY DEFINER (in their CREATE FUNCTION there; the same attribute
-- set here by ALTER FUNCTION, their bodies being unchanged), owned by
-- experiments_api_owner and granted to experiments_admin; the analysts get
-- the chi-square and Student t distributions beside the normal one
-- (src/core/privileges.sql).
ALTER FUNCTION experiments.list_ab_tests(text, integer, integer, text) SECURITY DEFINER;
ALTER FUNCTION experiments.get_ab_test(text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.create_ab_test(text, text, jsonb) SECURITY DEFINER;
ALTER FUNCTION experiments.update_ab_test(text, text, jsonb) SECURITY DEFINER;
ALTER FUNCTION experiments.delete_ab_test(text, text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.get_ab_test_segment(text, text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.create_ab_test_segment(text, text, text, jsonb) SECURITY DEFINER;
ALTER FUNCTION experiments.update_ab_test_segment(text, text, text, jsonb) SECURITY DEFINER;
ALTER FUNCTION experiments.delete_ab_test_segment(text, text, text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.bind_ab_test_promotion(text, text, text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.unbind_ab_test_promotion(text, text, text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.bind_ab_test_slot_configuration(text, text, text, text, text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.unbind_ab_test_slot_configuration(text, text, text, text, text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.bind_ab_test_sorting_rule(text, text, text, text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.unbind_ab_test_sorting_rule(text, text, text, text, text) SECURITY DEFINER;
ALTER FUNCTION experiments.list_org_experiments(uuid) SECURITY DEFINER;
ALTER FUNCTION experiments.get_org_experiment(uuid, uuid) SECURITY DEFINER;
ALTER FUNCTION experiments.create_org_experiment(uuid, jsonb) SECURITY DEFINER;
ALTER FUNCTION experiments.update_org_experiment(uuid, uuid, jsonb) SECURITY DEFINER;
ALTER FUNCTION experiments.delete_org_experiment(uuid, uuid) SECURITY DEFINER;
ALTER FUNCTION experiments.list_ab_tests(text, integer, integer, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.get_ab_test(text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.create_ab_test(text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.update_ab_test(text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.delete_ab_test(text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.get_ab_test_segment(text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.create_ab_test_segment(text, text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.update_ab_test_segment(text, text, text, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.delete_ab_test_segment(text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.bind_ab_test_promotion(text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.unbind_ab_test_promotion(text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.bind_ab_test_slot_configuration(text, text, text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.unbind_ab_test_slot_configuration(text, text, text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.bind_ab_test_sorting_rule(text, text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.unbind_ab_test_sorting_rule(text, text, text, text, text) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.list_org_experiments(uuid) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.get_org_experiment(uuid, uuid) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.create_org_experiment(uuid, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.update_org_experiment(uuid, uuid, jsonb) OWNER TO experiments_api_owner;
ALTER FUNCTION experiments.delete_org_experiment(uuid, uuid) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION
	experiments.list_ab_tests(text, integer, integer, text),
	experiments.get_ab_test(text, text),
	experiments.create_ab_test(text, text, jsonb),
	experiments.update_ab_test(text, text, jsonb),
	experiments.delete_ab_test(text, text, text),
	experiments.get_ab_test_segment(text, text, text),
	experiments.create_ab_test_segment(text, text, text, jsonb),
	experiments.update_ab_test_segment(text, text, text, jsonb),
	experiments.delete_ab_test_segment(text, text, text, text),
	experiments.bind_ab_test_promotion(text, text, text, text),
	experiments.unbind_ab_test_promotion(text, text, text, text),
	experiments.bind_ab_test_slot_configuration(text, text, text, text, text, text),
	experiments.unbind_ab_test_slot_configuration(text, text, text, text, text, text),
	experiments.bind_ab_test_sorting_rule(text, text, text, text, text),
	experiments.unbind_ab_test_sorting_rule(text, text, text, text, text),
	experiments.list_org_experiments(uuid),
	experiments.get_org_experiment(uuid, uuid),
	experiments.create_org_experiment(uuid, jsonb),
	experiments.update_org_experiment(uuid, uuid, jsonb),
	experiments.delete_org_experiment(uuid, uuid)
	TO experiments_admin;
GRANT EXECUTE ON FUNCTION
	experiments.chi_square_cdf(float8, float8),
	experiments.chi_square_sf(float8, float8),
	experiments.student_t_cdf(float8, float8),
	experiments.student_t_sf(float8, float8),
	experiments.student_t_quantile(float8, float8)
	TO experiments_analyst;
-- Operators may try an audience on attributes as assignment evaluates it,
-- beside audience_is_valid() (the demo's stop 7 as an operator found it missing).
GRANT EXECUTE ON FUNCTION experiments.audience_matches(jsonb, jsonb) TO experiments_admin;
-- src/events/events.sql: window indexes (experiment or tenant, time) instead of
-- the unit indexes, which slowed ingest down as a month grew.
CREATE OR REPLACE FUNCTION experiments_internal.create_event_partition_indexes(tbl text, part text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	time_column text;
	key_column text;
BEGIN
	SELECT substring(pg_catalog.pg_get_partkeydef(p.partrelid) FROM '^RANGE \((\w+)\)$') INTO time_column
	FROM pg_catalog.pg_partitioned_table p
	WHERE p.partrelid = format('experiments.%I', tbl)::regclass;
	key_column := CASE WHEN tbl IN ('exposures', 'campaign_activations') THEN 'experiment_id' ELSE 'tenant_id' END;
	EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON experiments.%I USING brin (%I)', part || '_time_idx', part, time_column);
	EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON experiments.%I (%I, %I)', part || '_window_idx', part,
				   key_column, time_column);
	-- A transaction id is stored once per tenant: the check looks it up here;
	-- items are found with their transaction.
	IF tbl IN ('transactions', 'transaction_items') THEN
		EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON experiments.%I (tenant_id, transaction_id)', part || '_id_idx', part);
	END IF;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.create_event_partition_indexes(text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.create_event_partition_indexes(text, text) IS
'Part of create_event_partitions(): creates the indexes of one partition of an event table that it lacks (BRIN on time, the window B-tree on experiment or tenant and time, and the transaction id of transactions and their items).';
DO $$
DECLARE
	part record;
	unit_index text;
BEGIN
	FOR part IN
		SELECT p.relname AS tbl, c.relname AS part, c.oid
		FROM pg_catalog.pg_partitioned_table t
		JOIN pg_catalog.pg_class p ON p.oid = t.partrelid
		JOIN pg_catalog.pg_inherits i ON i.inhparent = t.partrelid
		JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
		WHERE p.relnamespace = 'experiments'::regnamespace
	LOOP
		FOR unit_index IN
			SELECT x.relname FROM pg_catalog.pg_index ix JOIN pg_catalog.pg_class x ON x.oid = ix.indexrelid
			WHERE ix.indrelid = part.oid AND x.relname LIKE '%\_unit\_idx'
		LOOP
			EXECUTE format('DROP INDEX experiments.%I', unit_index);
		END LOOP;
		PERFORM experiments_internal.create_event_partition_indexes(part.tbl, part.part);
	END LOOP;
END;
$$;
-- 0.2.0: the sequential method in the results (issue #17)
-- experiment_results() and results_report() take method (fixed or
-- sequential) and tuning_n; experiment_results() returns the method and the
-- sequential sample ratio test, so it is created again with the views that
-- read it (here and in experiments_api) and the report, each with its
-- comments and grants as a fresh install has them.
DROP VIEW experiments_api.lift, experiments_api.sample_ratio_mismatch, experiments_api.exposure_summary,
	experiments_api.results, experiments.lift, experiments.sample_ratio_mismatch, experiments.exposure_summary,
	experiments.results;
DROP FUNCTION experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text);
DROP FUNCTION experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text);

-- src/results/sequential.sql
CREATE FUNCTION experiments.sequential_test(
	control_mean float8, control_variance float8, control_count bigint,
	treatment_mean float8, treatment_variance float8, treatment_count bigint,
	confidence float8 DEFAULT 0.95, tuning_n bigint DEFAULT 5000,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT z float8, OUT p_value float8, OUT relative_note text)
RETURNS record
AS 'MODULE_PATHNAME', 'sequential_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.sequential_test(float8, float8, bigint, float8, float8, bigint, float8, bigint) IS
'Always-valid comparison of treatment vs control means from sample summaries (mean, var_samp, count; a rate is the mean of a 0/1 indicator), the counterpart of welch_test for results read while the experiment runs: the asymptotic confidence sequence of the difference (as sequential_interval, with the unpooled standard error and n the units of both arms), z = difference / standard error, the always-valid p-value, and Fieller''s interval of the ratio at the sequence''s critical value, reported as relative difference (treatment / control - 1). The normal mixture is the one sequential_interval uses at confidence 0.95, tuned to be narrowest at tuning_n units, whatever the confidence, so that the p-value is the same at every level and each interval excludes 0 exactly when p_value < 1 - confidence. NULLs when an arm has fewer than 2 units or both arms'' values are constant; relative_note says why a relative interval is missing.';

CREATE FUNCTION experiments_internal.results_method(method text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF coalesce(method, 'fixed') IN ('fixed', 'sequential') THEN
		RETURN coalesce(method, 'fixed');
	END IF;
	RAISE EXCEPTION 'unknown results method "%"', experiments_internal.shown_input(method)
		USING ERRCODE = 'invalid_parameter_value',
			  DETAIL = 'The method is fixed (fixed-horizon tests, valid at one look decided in advance) or sequential (always-valid confidence sequences, valid however often the results are read).',
			  HINT = 'Use sequential while the experiment runs and its results are read more than once.';
END;
$$;
COMMENT ON FUNCTION experiments_internal.results_method(text) IS
'The statistical method of experiment_results() and results_report(), checked: fixed (the default, also for NULL) or sequential; any other name is refused with SQLSTATE 22023.';

-- src/results/results.sql
CREATE FUNCTION experiments.experiment_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95,
	min_units bigint DEFAULT 100, correction text DEFAULT 'holm', method text DEFAULT 'fixed',
	tuning_n bigint DEFAULT 5000)
RETURNS TABLE (
	experiment_id bigint, ordinal integer, variant text, kind text, metric text,
	units bigint, traffic_share float8, allocation_share float8,
	first_exposed_at timestamptz, last_exposed_at timestamptz,
	converting_units bigint, conversion_rate float8, rate_lower float8, rate_upper float8,
	value_sum float8, value_per_unit float8,
	rate_lift float8, rate_lift_lower float8, rate_lift_upper float8,
	rate_relative_lift float8, rate_relative_lower float8, rate_relative_upper float8, rate_p_value float8,
	value_lift float8, value_lift_lower float8, value_lift_upper float8,
	value_relative_lift float8, value_relative_lower float8, value_relative_upper float8, value_p_value float8,
	srm_chi_square float8, srm_p_value float8, srm_mismatch boolean, stray_traffic boolean,
	rate_relative_note text, value_relative_note text,
	rate_adjusted_p_value float8, value_adjusted_p_value float8,
	rate_interval_confidence float8, value_interval_confidence float8,
	p_value_correction text, sample_sufficient boolean, rate_verdict text, value_verdict text,
	rate_chance_to_beat float8, rate_expected_loss float8, value_chance_to_beat float8, value_expected_loss float8,
	method text, srm_log_bayes_factor float8, srm_sequential_p_value float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH cfg AS MATERIALIZED (
	SELECT experiments_internal.results_method($7) AS method
), m AS MATERIALIZED (
	SELECT * FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity'))
), variant_units AS (
	SELECT v.ordinal, v.key, v.allocation_bp, coalesce(sum(m.units), 0)::bigint AS units,
		   min(m.first_at) AS first_at, max(m.last_at) AS last_at
	FROM experiments.variants v
	LEFT JOIN m ON m.kind = 'exposures' AND m.ordinal = v.ordinal
	WHERE v.experiment_id = $1
	GROUP BY v.ordinal, v.key, v.allocation_bp
), totals AS (
	SELECT sum(units) AS units, sum(allocation_bp) AS allocation,
		   array_agg(units ORDER BY ordinal) AS observed,
		   array_agg(allocation_bp::float8 ORDER BY ordinal) AS allocations,
		   coalesce(bool_or(allocation_bp = 0 AND units > 0), false) AS stray
	FROM variant_units
), srm AS (
	-- Both tests of the sample ratio; srm_mismatch follows the method's.
	SELECT s.chi_square, s.p_value, q.log_bayes_factor, q.p_value AS sequential_p_value, t.stray,
		   CASE WHEN cfg.method = 'sequential' THEN q.p_value ELSE s.p_value END < 0.001 OR t.stray AS mismatch
	FROM totals t
	CROSS JOIN cfg
	CROSS JOIN LATERAL experiments.srm_test(CASE WHEN t.allocation > 0 THEN t.observed END, t.allocations) s
	CROSS JOIN LATERAL experiments.sequential_srm_test(CASE WHEN t.allocation > 0 THEN t.observed END,
													   t.allocations) q
), metrics AS (
	SELECT m.kind, m.metric, m.ordinal, sum(m.units)::bigint AS converting, sum(m.value_sum) AS s1,
		   sum(m.value_square_sum) AS s2
	FROM m WHERE m.kind <> 'exposures'
	GROUP BY m.kind, m.metric, m.ordinal
), keys AS (
	SELECT 'exposures' AS kind, NULL::text AS metric
	UNION ALL
	SELECT DISTINCT metrics.kind, metrics.metric FROM metrics
), cells AS (
	-- Every variant for every metric; per-unit values average over all
	-- exposed units, with 0 for units without the goal.
	SELECT k.kind, k.metric, vu.ordinal, vu.key, vu.units, vu.allocation_bp, vu.first_at, vu.last_at,
		   CASE WHEN k.kind <> 'exposures' THEN coalesce(mt.converting, 0) END AS converting,
		   CASE WHEN bool_or(mt.s1 IS NOT NULL) OVER (PARTITION BY k.kind, k.metric)
				THEN coalesce(mt.s1, 0) END AS s1,
		   coalesce(mt.s2, 0) AS s2
	FROM keys k CROSS JOIN variant_units vu
	LEFT JOIN metrics mt ON mt.kind = k.kind AND mt.metric = k.metric AND mt.ordinal = vu.ordinal
), stats AS (
	-- A rate is also the mean of a 0/1 indicator, with its sample variance,
	-- as the sequential method compares it.
	SELECT c.*, c.s1 / nullif(c.units, 0) AS mean,
		   CASE WHEN c.units > 1 THEN greatest((c.s2 - c.s1 * c.s1 / c.units) / (c.units - 1), 0) END AS variance,
		   c.converting / nullif(c.units, 0)::float8 AS rate,
		   CASE WHEN c.units > 1 THEN c.converting * (c.units - c.converting) / (c.units * (c.units - 1.0)::float8) END
			   AS rate_variance
	FROM cells c
), pairs AS (
	-- Each variant beside its control, and the minimum-sample rule: both arms
	-- have min_units units; for rates also at least 5 conversions and 5
	-- non-conversions expected in each arm under no difference.
	SELECT s.*, c.converting AS c_converting, c.units AS c_units, c.mean AS c_mean, c.variance AS c_variance,
		   c.rate AS c_rate, c.rate_variance AS c_rate_variance,
		   CASE WHEN s.ordinal <> 0 AND s.kind <> 'exposures'
				THEN s.units >= $5 AND c.units >= $5 END AS sufficient,
		   CASE WHEN s.ordinal <> 0 AND s.kind <> 'exposures'
				THEN least(s.units, c.units) * least(s.converting + c.converting,
						s.units + c.units - s.converting - c.converting)::float8
					 >= 5 * nullif(s.units + c.units, 0) END AS rate_expected_ok
	FROM stats s
	LEFT JOIN stats c ON c.kind = s.kind AND c.metric IS NOT DISTINCT FROM s.metric AND c.ordinal = 0
), tests AS (
	-- The family corrected for multiple testing: every comparison of the
	-- experiment with a p-value and a sufficient sample, rates and values,
	-- by the method's tests (the sequential p-values are valid at every look,
	-- so their correction is too).
	SELECT row_number() OVER (ORDER BY p.kind, p.metric, p.ordinal, t.test) AS member,
		   p.kind, p.metric, p.ordinal, t.test,
		   CASE WHEN p.sufficient AND (t.test = 'value' OR p.rate_expected_ok) THEN t.p_value END AS p_value
	FROM pairs p
	CROSS JOIN cfg
	CROSS JOIN LATERAL (
		SELECT 'rate' AS test, z.p_value
		FROM experiments.two_proportion_test(p.c_converting, p.c_units, p.converting, p.units, $4) z
		WHERE cfg.method = 'fixed'
		UNION ALL
		SELECT 'value', w.p_value
		FROM experiments.welch_test(p.c_mean, p.c_variance, p.c_units, p.mean, p.variance, p.units, $4) w
		WHERE cfg.method = 'fixed'
		UNION ALL
		SELECT 'rate', q.p_value
		FROM experiments.sequential_test(p.c_rate, p.c_rate_variance, p.c_units, p.rate, p.rate_variance, p.units,
										 $4, $8) q
		WHERE cfg.method = 'sequential'
		UNION ALL
		SELECT 'value', q.p_value
		FROM experiments.sequential_test(p.c_mean, p.c_variance, p.c_units, p.mean, p.variance, p.units, $4, $8) q
		WHERE cfg.method = 'sequential'
	) t
	WHERE p.sufficient IS NOT NULL
), corrected AS (
	SELECT tests.kind, tests.metric, tests.ordinal, tests.test, u.adjusted, u.level
	FROM (SELECT (experiments.multiple_testing(coalesce(array_agg(tests.p_value ORDER BY tests.member), '{}'),
											   $6, $4)).* FROM tests) f
	CROSS JOIN LATERAL unnest(f.adjusted_p_values, f.confidences) WITH ORDINALITY AS u(adjusted, level, member)
	JOIN tests ON tests.member = u.member
)
SELECT $1, p.ordinal, p.key, p.kind, p.metric,
	   p.units, p.units / nullif(t.units, 0)::float8, p.allocation_bp / nullif(t.allocation, 0)::float8,
	   p.first_at, p.last_at,
	   p.converting, p.converting / nullif(p.units, 0)::float8, w.lower, w.upper,
	   p.s1, p.mean,
	   z.difference, z.difference_lower, z.difference_upper,
	   z.relative_difference, z.relative_lower, z.relative_upper, z.p_value,
	   welch.difference, welch.difference_lower, welch.difference_upper,
	   welch.relative_difference, welch.relative_lower, welch.relative_upper, welch.p_value,
	   srm.chi_square, srm.p_value, srm.mismatch, srm.stray,
	   z.relative_note, welch.relative_note,
	   rc.adjusted, vc.adjusted,
	   CASE WHEN z.difference IS NOT NULL THEN coalesce(rc.level, $4) END,
	   CASE WHEN welch.difference IS NOT NULL THEN coalesce(vc.level, $4) END,
	   CASE WHEN p.sufficient IS NOT NULL THEN $6 END,
	   p.sufficient,
	   experiments_internal.comparison_verdict(p.sufficient AND coalesce(p.rate_expected_ok, false), rc.adjusted,
											   1 - $4, z.difference),
	   experiments_internal.comparison_verdict(p.sufficient, vc.adjusted, 1 - $4, welch.difference),
	   br.chance_to_beat, br.expected_loss, bm.chance_to_beat, bm.expected_loss,
	   cfg.method, srm.log_bayes_factor, srm.sequential_p_value
FROM pairs p
CROSS JOIN cfg
CROSS JOIN totals t
CROSS JOIN srm
LEFT JOIN corrected rc ON rc.kind = p.kind AND rc.metric IS NOT DISTINCT FROM p.metric AND rc.ordinal = p.ordinal AND rc.test = 'rate'
LEFT JOIN corrected vc ON vc.kind = p.kind AND vc.metric IS NOT DISTINCT FROM p.metric AND vc.ordinal = p.ordinal AND vc.test = 'value'
CROSS JOIN LATERAL experiments.wilson_interval(p.converting, p.units, $4) w
CROSS JOIN LATERAL (
	-- The comparisons at their corrected levels, by the method's test.
	SELECT f.difference, f.difference_lower, f.difference_upper, f.relative_difference, f.relative_lower,
		   f.relative_upper, f.p_value, f.relative_note
	FROM experiments.two_proportion_test(
		CASE WHEN p.ordinal <> 0 THEN p.c_converting END, p.c_units, p.converting, p.units, coalesce(rc.level, $4)) f
	WHERE cfg.method = 'fixed'
	UNION ALL
	SELECT q.difference, q.difference_lower, q.difference_upper, q.relative_difference, q.relative_lower,
		   q.relative_upper, q.p_value, q.relative_note
	FROM experiments.sequential_test(
		CASE WHEN p.ordinal <> 0 THEN p.c_rate END, p.c_rate_variance, p.c_units, p.rate, p.rate_variance, p.units,
		coalesce(rc.level, $4), $8) q
	WHERE cfg.method = 'sequential') z
CROSS JOIN LATERAL (
	SELECT f.difference, f.difference_lower, f.difference_upper, f.relative_difference, f.relative_lower,
		   f.relative_upper, f.p_value, f.relative_note
	FROM experiments.welch_test(
		CASE WHEN p.ordinal <> 0 THEN p.c_mean END, p.c_variance, p.c_units, p.mean, p.variance, p.units,
		coalesce(vc.level, $4)) f
	WHERE cfg.method = 'fixed'
	UNION ALL
	SELECT q.difference, q.difference_lower, q.difference_upper, q.relative_difference, q.relative_lower,
		   q.relative_upper, q.p_value, q.relative_note
	FROM experiments.sequential_test(
		CASE WHEN p.ordinal <> 0 THEN p.c_mean END, p.c_variance, p.c_units, p.mean, p.variance, p.units,
		coalesce(vc.level, $4), $8) q
	WHERE cfg.method = 'sequential') welch
CROSS JOIN LATERAL experiments.bayesian_rates(
	CASE WHEN p.ordinal <> 0 THEN p.c_converting END, p.c_units, p.converting, p.units) br
CROSS JOIN LATERAL experiments.bayesian_means(
	CASE WHEN p.ordinal <> 0 THEN p.c_mean END, p.c_variance, p.c_units, p.mean, p.variance, p.units) bm
ORDER BY p.kind = 'exposures' DESC, p.kind, p.metric, p.ordinal
$$;
COMMENT ON FUNCTION experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint) IS
'Full results of one experiment over exposures in [since, until) (NULL: unbounded), one row per variant and metric. kind exposures: units (first exposure counts once), traffic vs allocation share, first and last exposure. kind goal (per goal) and revenue (transactions): converting units, rate with Wilson interval, value sum and per exposed unit; for variants other than the control (ordinal 0), rate lift by the Miettinen-Nurminen score test with its score intervals, value lift by Welch''s t-test with its interval of the difference and Fieller''s interval of the ratio, absolute and relative, p-values from the same tests. A verdict needs min_units units in both arms (and, for rates, 5 expected conversions and non-conversions in each); the comparisons with a verdict form the family corrected for multiple testing by correction (holm, the default, bh or none): adjusted p-values, intervals at the matching confidence, and verdicts (beats, loses to, inconclusive, insufficient sample) from the adjusted p-values. Bayesian results beside them: chance to beat the control and expected loss (beta-binomial with Beta(1, 1) priors for rates, normal approximation for values). Every row carries the experiment''s sample ratio mismatch tests: chi-square against the configured allocation and the sequential Dirichlet-multinomial test (sequential_srm_test, concentration 100), flagged at p < 0.001 by the method''s test or when a variant allocated 0 has units (stray_traffic). method fixed (the default) uses the fixed-horizon tests above, valid at one look decided in advance; method sequential compares rates (as means of a 0/1 indicator) and values by sequential_test instead, always-valid confidence sequences tuned to be narrowest at tuning_n units (default 5000), valid however often the results are read; the method column says which was used.';

CREATE VIEW experiments.results WITH (security_invoker = true) AS
SELECT x.key AS experiment, r.*
FROM experiments.experiments x
CROSS JOIN LATERAL experiments.experiment_results(x.id) r
WHERE x.started_at IS NOT NULL AND x.tenant_id = (SELECT experiments.current_tenant());
COMMENT ON VIEW experiments.results IS
'experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';
COMMENT ON COLUMN experiments.results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.results.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments.results.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments.results.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments.results.first_exposed_at IS 'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments.results.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
COMMENT ON COLUMN experiments.results.converting_units IS
'Units of the variant that reached the goal (kind goal) or had a transaction (kind revenue) at or after their first exposure; 0 when none, NULL for kind exposures.';
COMMENT ON COLUMN experiments.results.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments.results.rate_lower IS
'Lower bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments.results.rate_upper IS
'Upper bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments.results.value_sum IS
'Sum over the converting units of each unit''s total of the numeric goal property value (kind goal) or of its revenue in cents (kind revenue), counting events at or after its first exposure. NULL for kind exposures and for a goal none of whose counted events carried a numeric value.';
COMMENT ON COLUMN experiments.results.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments.results.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments.results.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.results.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments.results.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments.results.rate_p_value IS
'Two-sided p-value of the Miettinen-Nurminen score test (the pooled rate under no difference) of the variant''s rate against the control''s, the test whose intervals rate_lift_lower to rate_relative_upper are; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.results.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.results.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.results.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments.results.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments.results.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.srm_chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments.results.srm_p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.results.srm_mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments.results.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments.results.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments.results.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.results.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments.results.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments.results.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments.results.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.results.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.results.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.results.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.results.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.results.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.method IS
'The statistical method of the comparisons: fixed (fixed-horizon tests, valid at one look decided in advance; the default, and what the views use) or sequential (always-valid confidence sequences, valid however often the results are read; experiment_results(..., method => ''sequential'')); NULL never.';
COMMENT ON COLUMN experiments.results.srm_log_bayes_factor IS
'Log Bayes factor of the sequential sample ratio mismatch test (sequential_srm_test, Dirichlet-multinomial with concentration 100) against the configured allocation, the same on all the experiment''s rows; Infinity when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.results.srm_sequential_p_value IS
'Always-valid p-value of the sequential sample ratio mismatch test, min(1, 1 / Bayes factor), valid however often it is read; srm_mismatch uses it under method sequential; 0 when stray_traffic; NULL when srm_log_bayes_factor is NULL.';

CREATE VIEW experiments.exposure_summary WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.ordinal, r.variant, r.units, r.traffic_share, r.allocation_share,
	   r.first_exposed_at, r.last_exposed_at
FROM experiments.results r
WHERE r.kind = 'exposures';
COMMENT ON VIEW experiments.exposure_summary IS
'Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';
COMMENT ON COLUMN experiments.exposure_summary.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.exposure_summary.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.exposure_summary.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.exposure_summary.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.exposure_summary.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments.exposure_summary.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments.exposure_summary.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments.exposure_summary.first_exposed_at IS
'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments.exposure_summary.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';

CREATE VIEW experiments.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, sum(r.units)::bigint AS units,
	   array_agg(r.units ORDER BY r.ordinal) AS units_per_variant,
	   array_agg(r.allocation_share ORDER BY r.ordinal) AS allocation_shares,
	   min(r.srm_chi_square) AS chi_square, min(r.srm_p_value) AS p_value,
	   bool_or(r.stray_traffic) AS stray_traffic, bool_or(r.srm_mismatch) AS mismatch,
	   min(r.srm_log_bayes_factor) AS log_bayes_factor, min(r.srm_sequential_p_value) AS sequential_p_value,
	   min(r.method) AS method
FROM experiments.results r
WHERE r.kind = 'exposures'
GROUP BY r.experiment, r.experiment_id;
COMMENT ON VIEW experiments.sample_ratio_mismatch IS
'Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value, the sequential test''s log Bayes factor and always-valid p-value; mismatch when the method''s p-value is below 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.units IS 'Units exposed to the experiment, all variants together (each unit once).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.units_per_variant IS
'Units exposed per variant (as units of exposure_summary), in ordinal order: the control first.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.allocation_shares IS
'Each variant''s allocation_share (its fraction of the total allocation), in ordinal order: the control first.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.log_bayes_factor IS
'Log Bayes factor of the sequential sample ratio mismatch test (sequential_srm_test, Dirichlet-multinomial with concentration 100) against the configured allocation, the same on all the experiment''s rows; Infinity when stray_traffic; NULL when chi_square is NULL.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.sequential_p_value IS
'Always-valid p-value of the sequential sample ratio mismatch test, min(1, 1 / Bayes factor), valid however often it is read; mismatch uses it under method sequential; 0 when stray_traffic; NULL when log_bayes_factor is NULL.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.method IS
'The statistical method of the comparisons: fixed (fixed-horizon tests, valid at one look decided in advance; the default, and what the views use) or sequential (always-valid confidence sequences, valid however often the results are read; experiment_results(..., method => ''sequential'')); NULL never.';

CREATE VIEW experiments.lift WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.kind, r.metric, r.ordinal, r.variant,
	   r.conversion_rate, r.rate_lift, r.rate_lift_lower, r.rate_lift_upper,
	   r.rate_relative_lift, r.rate_relative_lower, r.rate_relative_upper, r.rate_p_value,
	   r.value_per_unit, r.value_lift, r.value_lift_lower, r.value_lift_upper,
	   r.value_relative_lift, r.value_relative_lower, r.value_relative_upper, r.value_p_value,
	   r.srm_mismatch, r.rate_relative_note, r.value_relative_note, r.rate_adjusted_p_value, r.value_adjusted_p_value,
	   r.rate_interval_confidence, r.value_interval_confidence, r.p_value_correction, r.sample_sufficient,
	   r.rate_verdict, r.value_verdict, r.rate_chance_to_beat, r.rate_expected_loss,
	   r.value_chance_to_beat, r.value_expected_loss, r.method
FROM experiments.results r
WHERE r.kind <> 'exposures' AND r.ordinal <> 0;
COMMENT ON VIEW experiments.lift IS
'Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (Miettinen-Nurminen score test and score intervals) and of the value per exposed unit (Welch''s t-test, its interval of the difference and Fieller''s of the ratio), intervals and two-sided p-values, each interval from the same test as its p-value, corrected for multiple testing across the experiment (Holm), and a verdict per comparison after the minimum-sample rule.';
COMMENT ON COLUMN experiments.lift.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.lift.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.lift.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.lift.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.lift.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.lift.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.lift.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments.lift.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.lift.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments.lift.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments.lift.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments.lift.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.lift.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.lift.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.lift.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.lift.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.lift.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.method IS
'The statistical method of the comparisons: fixed (fixed-horizon tests, valid at one look decided in advance; the default, and what the views use) or sequential (always-valid confidence sequences, valid however often the results are read; experiment_results(..., method => ''sequential'')); NULL never.';
COMMENT ON COLUMN experiments.lift.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.lift.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments.lift.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments.lift.rate_p_value IS
'Two-sided p-value of the Miettinen-Nurminen score test (the pooled rate under no difference) of the variant''s rate against the control''s, the test whose intervals rate_lift_lower to rate_relative_upper are; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.lift.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments.lift.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.lift.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.lift.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments.lift.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments.lift.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.srm_mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';

CREATE FUNCTION experiments.results_report(experiment text,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95,
	min_units bigint DEFAULT 100, correction text DEFAULT 'holm', method text DEFAULT 'fixed',
	tuning_n bigint DEFAULT 5000)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	r record;
	control text;
	srm text;
	srm_p float8;
	srm_shown text;
	total bigint := 0;
	variant_lines text[] := '{}';
	metric_lines text[] := '{}';
	comparisons integer := 0;
BEGIN
	SELECT * INTO x FROM experiments.experiments e
	WHERE e.key = results_report.experiment AND e.tenant_id = experiments_internal.required_tenant();
	IF NOT FOUND THEN
		RAISE EXCEPTION 'experiment "%" does not exist', experiments_internal.shown_input(results_report.experiment)
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'The caller''s tenant has no experiment with that key.',
				  HINT = 'List the tenant''s experiments in experiments.experiments.';
	END IF;
	-- Rows come exposures first, control first: one pass builds the report.
	FOR r IN SELECT * FROM experiments.experiment_results(x.id, since, until, confidence, min_units, correction,
														   method, tuning_n) LOOP
		IF r.kind = 'exposures' THEN
			total := total + r.units;
			IF r.ordinal = 0 THEN
				control := r.variant;
			END IF;
			-- The method's sample ratio test; the sequential one says so.
			srm_p := CASE r.method WHEN 'sequential' THEN r.srm_sequential_p_value ELSE r.srm_p_value END;
			srm_shown := experiments_internal.format_p_value(srm_p) ||
				CASE r.method WHEN 'sequential' THEN ', sequential' ELSE '' END;
			srm := CASE WHEN r.stray_traffic THEN 'SAMPLE RATIO MISMATCH (units in a variant allocated 0%)'
						WHEN r.srm_mismatch THEN 'SAMPLE RATIO MISMATCH (' || srm_shown || ')'
						WHEN srm_p IS NULL THEN 'SRM not testable'
						ELSE 'no SRM (' || srm_shown || ')' END;
			variant_lines := variant_lines || format('  %s: %s units (%s of traffic, allocated %s)',
				r.variant, r.units, experiments_internal.format_percent(r.traffic_share),
				experiments_internal.format_percent(r.allocation_share));
		ELSIF r.ordinal = 0 THEN
			metric_lines := metric_lines || format('%s: %s %s',
				CASE r.kind WHEN 'revenue' THEN 'revenue (cents per unit)' ELSE r.metric END, r.variant,
				CASE r.kind WHEN 'revenue' THEN round(r.value_per_unit::numeric, 2)::text
					 ELSE format('%s (%s to %s)', experiments_internal.format_percent(r.conversion_rate),
								 experiments_internal.format_percent(r.rate_lower), experiments_internal.format_percent(r.rate_upper)) END);
		ELSE
			comparisons := comparisons + (r.rate_adjusted_p_value IS NOT NULL)::integer +
				(r.value_adjusted_p_value IS NOT NULL)::integer;
			metric_lines := metric_lines || ('  ' || experiments_internal.results_verdict(
				r.variant, control, CASE r.kind WHEN 'revenue' THEN 'revenue per unit' ELSE r.metric END,
				CASE r.kind WHEN 'revenue' THEN r.value_verdict ELSE r.rate_verdict END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lift ELSE r.rate_relative_lift END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lower ELSE r.rate_relative_lower END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_upper ELSE r.rate_relative_upper END,
				CASE r.kind WHEN 'revenue' THEN r.value_adjusted_p_value ELSE r.rate_adjusted_p_value END,
				CASE r.kind WHEN 'revenue' THEN r.value_interval_confidence ELSE r.rate_interval_confidence END)
				|| '; ' || split_part(srm, ' (', 1));
		END IF;
	END LOOP;
	RETURN array_to_string(
		format('Experiment %s (%s): %s units exposed%s', x.key, x.state, total,
			   CASE WHEN since IS NULL AND until IS NULL THEN ''
					ELSE format(' in [%s, %s)', coalesce(since::text, '-infinity'), coalesce(until::text, 'infinity')) END)
		|| variant_lines || ('  ' || srm)
		|| CASE WHEN cardinality(metric_lines) > 0 THEN ARRAY[
			   format('  %s comparisons with %s+ units per arm by %s; p-values and intervals corrected by %s',
					  comparisons, min_units,
					  CASE experiments_internal.results_method(method)
						  WHEN 'sequential' THEN format('sequential tests (always-valid confidence sequences, narrowest at %s units)', tuning_n)
						  ELSE 'fixed-horizon tests' END,
					  CASE correction WHEN 'holm' THEN 'Holm'
						  WHEN 'bh' THEN 'Benjamini-Hochberg (intervals: Benjamini-Yekutieli)' ELSE 'none' END)]
				ELSE '{}' END
		|| metric_lines, E'\n');
END;
$$;
COMMENT ON FUNCTION experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text, text, bigint) IS
'One experiment''s results of the caller''s tenant as a short text report for psql: units per variant against allocation, sample ratio mismatch, the number of comparisons, the method (fixed-horizon or sequential tests) and the multiple-testing correction applied (min_units, correction, method and tuning_n as experiment_results() takes them), each goal''s rate in the control, and the verdict of experiment_results() in words for each variant, goal and revenue, with the relative lift, its corrected interval and the adjusted p-value ("green beats control on checkout: +10.0% (97.5% CI +8.0% to +12.0%), p < 0.001; no SRM").';

-- src/core/privileges.sql (the sequential method)
REVOKE EXECUTE ON FUNCTION
	experiments.sequential_test(float8, float8, bigint, float8, float8, bigint, float8, bigint),
	experiments_internal.results_method(text),
	experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint),
	experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text, text, bigint)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments.sequential_test(float8, float8, bigint, float8, float8, bigint, float8, bigint),
	experiments_internal.results_method(text),
	experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint),
	experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text, text, bigint)
	TO experiments_api_owner, experiments_analyst;
GRANT SELECT ON experiments.results, experiments.exposure_summary, experiments.sample_ratio_mismatch,
	experiments.lift TO experiments_analyst;

-- src/http/api.sql
-- The views of experiments_api over the views created again above.
CREATE VIEW experiments_api.results WITH (security_invoker = true) AS
SELECT * FROM experiments.results;
COMMENT ON VIEW experiments_api.results IS
'GET /results: experiment_results() of every started experiment of the caller''s tenant: one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window call experiment_results() directly.';
COMMENT ON COLUMN experiments_api.results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments_api.results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.results.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments_api.results.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments_api.results.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments_api.results.first_exposed_at IS 'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments_api.results.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
COMMENT ON COLUMN experiments_api.results.converting_units IS
'Units of the variant that reached the goal (kind goal) or had a transaction (kind revenue) at or after their first exposure; 0 when none, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.results.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments_api.results.rate_lower IS
'Lower bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_upper IS
'Upper bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments_api.results.value_sum IS
'Sum over the converting units of each unit''s total of the numeric goal property value (kind goal) or of its revenue in cents (kind revenue), counting events at or after its first exposure. NULL for kind exposures and for a goal none of whose counted events carried a numeric value.';
COMMENT ON COLUMN experiments_api.results.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments_api.results.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments_api.results.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments_api.results.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments_api.results.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments_api.results.rate_p_value IS
'Two-sided p-value of the Miettinen-Nurminen score test (the pooled rate under no difference) of the variant''s rate against the control''s, the test whose intervals rate_lift_lower to rate_relative_upper are; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.results.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments_api.results.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments_api.results.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments_api.results.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments_api.results.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments_api.results.srm_p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments_api.results.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments_api.results.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments_api.results.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.results.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments_api.results.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments_api.results.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments_api.results.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.results.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.results.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.results.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.results.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.results.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.method IS
'The statistical method of the comparisons: fixed (fixed-horizon tests, valid at one look decided in advance; the default, and what the views use) or sequential (always-valid confidence sequences, valid however often the results are read; experiment_results(..., method => ''sequential'')); NULL never.';
COMMENT ON COLUMN experiments_api.results.srm_log_bayes_factor IS
'Log Bayes factor of the sequential sample ratio mismatch test (sequential_srm_test, Dirichlet-multinomial with concentration 100) against the configured allocation, the same on all the experiment''s rows; Infinity when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_sequential_p_value IS
'Always-valid p-value of the sequential sample ratio mismatch test, min(1, 1 / Bayes factor), valid however often it is read; srm_mismatch uses it under method sequential; 0 when stray_traffic; NULL when srm_log_bayes_factor is NULL.';
GRANT SELECT ON experiments_api.results TO experiments_analyst;

CREATE VIEW experiments_api.exposure_summary WITH (security_invoker = true) AS
SELECT * FROM experiments.exposure_summary;
COMMENT ON VIEW experiments_api.exposure_summary IS
'GET /exposure_summary: Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';
COMMENT ON COLUMN experiments_api.exposure_summary.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.exposure_summary.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.exposure_summary.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.exposure_summary.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.exposure_summary.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments_api.exposure_summary.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments_api.exposure_summary.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments_api.exposure_summary.first_exposed_at IS
'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments_api.exposure_summary.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
GRANT SELECT ON experiments_api.exposure_summary TO experiments_analyst;

CREATE VIEW experiments_api.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT * FROM experiments.sample_ratio_mismatch;
COMMENT ON VIEW experiments_api.sample_ratio_mismatch IS
'GET /sample_ratio_mismatch: Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value, the sequential test''s log Bayes factor and always-valid p-value; mismatch when the method''s p-value is below 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.units IS 'Units exposed to the experiment, all variants together (each unit once).';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.units_per_variant IS
'Units exposed per variant (as units of exposure_summary), in ordinal order: the control first.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.allocation_shares IS
'Each variant''s allocation_share (its fraction of the total allocation), in ordinal order: the control first.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.log_bayes_factor IS
'Log Bayes factor of the sequential sample ratio mismatch test (sequential_srm_test, Dirichlet-multinomial with concentration 100) against the configured allocation, the same on all the experiment''s rows; Infinity when stray_traffic; NULL when chi_square is NULL.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.sequential_p_value IS
'Always-valid p-value of the sequential sample ratio mismatch test, min(1, 1 / Bayes factor), valid however often it is read; mismatch uses it under method sequential; 0 when stray_traffic; NULL when log_bayes_factor is NULL.';
COMMENT ON COLUMN experiments_api.sample_ratio_mismatch.method IS
'The statistical method of the comparisons: fixed (fixed-horizon tests, valid at one look decided in advance; the default, and what the views use) or sequential (always-valid confidence sequences, valid however often the results are read; experiment_results(..., method => ''sequential'')); NULL never.';
GRANT SELECT ON experiments_api.sample_ratio_mismatch TO experiments_analyst;

CREATE VIEW experiments_api.lift WITH (security_invoker = true) AS
SELECT * FROM experiments.lift;
COMMENT ON VIEW experiments_api.lift IS
'GET /lift: Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (Miettinen-Nurminen score test and score intervals) and of the value per exposed unit (Welch''s t-test, its interval of the difference and Fieller''s of the ratio), intervals and two-sided p-values, each interval from the same test as its p-value, corrected for multiple testing across the experiment (Holm), and a verdict per comparison after the minimum-sample rule.';
COMMENT ON COLUMN experiments_api.lift.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.lift.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.lift.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments_api.lift.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.lift.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.lift.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments_api.lift.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments_api.lift.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments_api.lift.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.lift.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments_api.lift.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.method IS
'The statistical method of the comparisons: fixed (fixed-horizon tests, valid at one look decided in advance; the default, and what the views use) or sequential (always-valid confidence sequences, valid however often the results are read; experiment_results(..., method => ''sequential'')); NULL never.';
COMMENT ON COLUMN experiments_api.lift.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments_api.lift.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: the Miettinen-Nurminen score interval of the ratio of the rates, minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments_api.lift.rate_p_value IS
'Two-sided p-value of the Miettinen-Nurminen score test (the pooled rate under no difference) of the variant''s rate against the control''s, the test whose intervals rate_lift_lower to rate_relative_upper are; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.lift.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments_api.lift.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments_api.lift.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments_api.lift.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments_api.lift.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical t of value_p_value''s test, minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.srm_mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
GRANT SELECT ON experiments_api.lift TO experiments_analyst;

-- 0.2.0: results per metric of the catalog (src/results/metric_results.sql):
-- metric_statistics() in C, metric_results(), guardrails, and results_report()
-- saying a failing guardrail first.
-- experiments: results per metric of the catalog (src/results/metrics.sql).
--
-- metric_statistics(), in C (src/results/results.c), reads the exposures
-- once and each attached metric's event source once, and sums per metric and
-- variant what the statistics need: units, units with events, the per-unit
-- values (after the conversion window and the cap) with their squares, a
-- ratio's denominator and cross products, the CUPED covariate (the same
-- metric in a pre-period before each unit's first exposure) with its cross
-- products, and a quantile metric's quantile with its order-statistic
-- interval. metric_results() turns the sums into estimates, intervals and
-- comparisons with the control, corrects across variants and metrics, and
-- judges guardrails by their non-inferiority margin.

CREATE FUNCTION experiments.metric_statistics(experiment_id bigint, since timestamptz, until timestamptz,
	pre_period interval, confidence float8)
RETURNS TABLE (metric_id bigint, metric text, ordinal integer, units bigint, event_units bigint,
			   value_sum float8, value_square_sum float8,
			   denominator_event_units bigint, denominator_sum float8, denominator_square_sum float8, cross_sum float8,
			   covariate_sum float8, covariate_square_sum float8, covariate_cross_sum float8,
			   quantile_value float8, quantile_lower float8, quantile_upper float8, cap float8)
AS 'MODULE_PATHNAME', 'metric_statistics'
LANGUAGE C STABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp;
COMMENT ON FUNCTION experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8) IS
'Per metric attached to the experiment (experiment_metrics) and variant, over the units first exposed in [since, until) (in the variant of their first exposure): units, event_units (units with an event in the metric''s conversion window after their first exposure, before until), the sum and sum of squares of the per-unit values (1 or 0 for a proportion; the count or sum of the events in the window for a mean, ratio part or quantile, capped at cap: the absolute cap, or the cap_value quantile of the values of the units with events, all variants pooled), for a ratio the denominator''s event units, sum and sum of squares and the sum of numerator times denominator; for proportion and mean metrics when pre_period is positive the CUPED covariate''s sum, sum of squares and sum of value times covariate (the same metric, counted and capped alike, from the events in the pre_period before each unit''s first exposure); for a quantile metric its quantile of the values of the units with events (linear interpolation, numpy''s default) and the order statistics at ranks floor(np - z sqrt(np(1-p))) and ceil(np + z sqrt(np(1-p))) (1-based, within 1..n; z the normal critical value at confidence). Windows and pre_period are exact durations (a day is 24 hours, a month 30 days). Goals that no metric of the tenant reads follow as implicit proportion metrics (metric_id NULL, metric the goal), counted as experiment_results() counts them.';

CREATE FUNCTION experiments_internal.metric_verdict(sufficient boolean, adjusted_p_value float8,
	alpha float8, difference float8, higher_is_better boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.comparison_verdict(sufficient, adjusted_p_value, alpha,
		CASE WHEN higher_is_better THEN difference ELSE -difference END)
$$;
COMMENT ON FUNCTION experiments_internal.metric_verdict(boolean, float8, float8, float8, boolean) IS
'The verdict of a metric''s comparison (comparison_verdict()), in the direction that is good: a treatment beats the control when its difference is significant and in the good direction (up when higher_is_better, down otherwise).';

CREATE FUNCTION experiments_internal.guardrail_status(sufficient boolean, margin float8,
	relative_lower float8, relative_upper float8, higher_is_better boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN margin IS NULL OR sufficient IS NULL THEN NULL
				WHEN NOT sufficient THEN 'insufficient sample'
				WHEN higher_is_better AND relative_lower > -margin THEN 'pass'
				WHEN NOT higher_is_better AND relative_upper < margin THEN 'pass'
				ELSE 'fail' END
$$;
COMMENT ON FUNCTION experiments_internal.guardrail_status(boolean, float8, float8, float8, boolean) IS
'A guardrail''s non-inferiority judgement: pass when the relative interval''s bound on the bad side is within the margin (above -margin when higher is better, below margin otherwise), fail when it is not (a degradation larger than the margin cannot be ruled out, or the interval is unbounded), insufficient sample when the minimum-sample rule fails, NULL for other roles and control rows.';

CREATE FUNCTION experiments.metric_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95,
	min_units bigint DEFAULT 100, correction text DEFAULT 'holm', pre_period interval DEFAULT '14 days')
RETURNS TABLE (
	experiment_id bigint, metric_id bigint, metric text, role text, type text, implicit boolean,
	higher_is_better boolean, margin float8, ordinal integer, variant text,
	units bigint, event_units bigint, estimate float8, estimate_lower float8, estimate_upper float8, cap float8,
	cuped boolean, adjusted_estimate float8, variance_reduction float8,
	difference float8, difference_lower float8, difference_upper float8,
	relative_difference float8, relative_lower float8, relative_upper float8,
	p_value float8, adjusted_p_value float8, interval_confidence float8, p_value_correction text,
	sample_sufficient boolean, verdict text, guardrail text)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH s AS MATERIALIZED (
	SELECT * FROM experiments.metric_statistics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity'),
												coalesce($7, '0'), $4)
), defs AS (
	-- Every metric with rows, attached or implicit, with its role.
	SELECT DISTINCT ON (s.metric_id, s.metric) s.metric_id, s.metric,
		   coalesce(em.role, 'secondary') AS role, coalesce(m.type, 'proportion') AS type,
		   m.id IS NULL AS implicit, coalesce(m.higher_is_better, true) AS higher_is_better, em.margin
	FROM s
	LEFT JOIN experiments.metrics m ON m.id = s.metric_id
	LEFT JOIN experiments.experiment_metrics em ON em.metric_id = s.metric_id AND em.experiment_id = $1
), pooled AS (
	-- CUPED: one slope theta per metric, over all variants' units.
	SELECT s.metric_id,
		   (sum(s.covariate_cross_sum) - sum(s.value_sum) * sum(s.covariate_sum) / sum(s.units))
			 / nullif(sum(s.covariate_square_sum) - sum(s.covariate_sum) ^ 2 / sum(s.units), 0) AS theta,
		   sum(s.covariate_sum) / sum(s.units) AS covariate_mean
	FROM s WHERE s.covariate_sum IS NOT NULL
	GROUP BY s.metric_id
), cells AS (
	-- Every variant for every metric; variants without units count 0.
	SELECT d.*, v.ordinal, v.key AS variant, coalesce(s.units, 0) AS n, coalesce(s.event_units, 0) AS events,
		   s.value_sum AS sx, s.value_square_sum AS sxx, s.denominator_sum AS sy, s.denominator_square_sum AS syy,
		   s.cross_sum AS sxy, s.covariate_sum AS sc, s.covariate_square_sum AS scc, s.covariate_cross_sum AS sxc,
		   s.quantile_value, s.quantile_lower, s.quantile_upper, s.cap, p.theta, p.covariate_mean
	FROM defs d
	CROSS JOIN experiments.variants v
	LEFT JOIN s ON s.metric_id IS NOT DISTINCT FROM d.metric_id AND s.metric = d.metric AND s.ordinal = v.ordinal
	LEFT JOIN pooled p ON p.metric_id = d.metric_id
	WHERE v.experiment_id = $1
), moments AS (
	SELECT c.*, c.sx / nullif(c.n, 0) AS mean,
		   CASE WHEN c.n > 1 THEN greatest((c.sxx - c.sx * c.sx / c.n) / (c.n - 1), 0) END AS var_x,
		   CASE WHEN c.n > 1 THEN greatest((c.syy - c.sy * c.sy / c.n) / (c.n - 1), 0) END AS var_y,
		   CASE WHEN c.n > 1 THEN (c.sxy - c.sx * c.sy / c.n) / (c.n - 1) END AS cov_xy,
		   CASE WHEN c.n > 1 THEN greatest((c.scc - c.sc * c.sc / c.n) / (c.n - 1), 0) END AS var_c,
		   CASE WHEN c.n > 1 THEN (c.sxc - c.sx * c.sc / c.n) / (c.n - 1) END AS cov_xc,
		   c.sx / nullif(c.sy, 0) AS ratio
	FROM cells c
), estimates AS (
	-- Per variant: the estimate, its interval, and for the comparisons its
	-- variance (ratio: delta method; quantile: from the order-statistic
	-- interval) or CUPED-adjusted mean and variance.
	SELECT mo.*,
		   mo.theta IS NOT NULL AS cuped,
		   CASE WHEN mo.theta IS NOT NULL THEN mo.mean - mo.theta * (mo.sc / nullif(mo.n, 0) - mo.covariate_mean) END AS adjusted_mean,
		   CASE WHEN mo.theta IS NOT NULL THEN greatest(mo.var_x - 2 * mo.theta * mo.cov_xc + mo.theta ^ 2 * mo.var_c, 0) END AS adjusted_var,
		   CASE mo.type WHEN 'ratio' THEN (mo.var_x - 2 * mo.ratio * mo.cov_xy + mo.ratio ^ 2 * mo.var_y)
											/ nullif(mo.n * (mo.sy / mo.n) ^ 2, 0)
						WHEN 'quantile' THEN ((mo.quantile_upper - mo.quantile_lower)
											  / (2 * experiments.normal_quantile(1 - (1 - $4) / 2))) ^ 2 END AS estimate_var,
		   CASE mo.type WHEN 'ratio' THEN mo.ratio WHEN 'quantile' THEN mo.quantile_value
						WHEN 'proportion' THEN mo.events / nullif(mo.n, 0)::float8 ELSE mo.mean END AS estimate
	FROM moments mo
), pairs AS (
	-- Each variant beside its control, and the minimum-sample rule of
	-- experiment_results(): min_units units in both arms; for proportions
	-- without CUPED also 5 expected conversions and non-conversions per arm.
	SELECT e.*, c.n AS c_n, c.events AS c_events, c.estimate AS c_estimate, c.estimate_var AS c_estimate_var,
		   c.mean AS c_mean, c.var_x AS c_var_x, c.adjusted_mean AS c_adjusted_mean, c.adjusted_var AS c_adjusted_var,
		   CASE WHEN e.ordinal <> 0 THEN e.n >= $5 AND c.n >= $5
				AND (e.type <> 'proportion' OR e.cuped OR
					 least(e.n, c.n) * least(e.events + c.events, e.n + c.n - e.events - c.events)::float8
					 >= 5 * nullif(e.n + c.n, 0)) END AS sufficient
	FROM estimates e
	LEFT JOIN estimates c ON c.metric_id IS NOT DISTINCT FROM e.metric_id AND c.metric = e.metric AND c.ordinal = 0
), raw AS (
	-- The p-value of each comparison, from the test its interval comes from.
	SELECT p.*, t.p_value AS raw_p_value
	FROM pairs p
	CROSS JOIN LATERAL (
		SELECT CASE WHEN p.ordinal = 0 THEN NULL
					WHEN p.cuped THEN (SELECT w.p_value FROM experiments.welch_test(p.c_adjusted_mean, p.c_adjusted_var,
									   p.c_n, p.adjusted_mean, p.adjusted_var, p.n, $4) w)
					WHEN p.type = 'proportion' THEN (SELECT z.p_value FROM experiments.two_proportion_test(
									   p.c_events, p.c_n, p.events, p.n, $4) z)
					WHEN p.type = 'mean' THEN (SELECT w.p_value FROM experiments.welch_test(p.c_mean, p.c_var_x,
									   p.c_n, p.mean, p.var_x, p.n, $4) w)
					ELSE 2 * experiments.normal_cdf(-abs(p.estimate - p.c_estimate)
									   / nullif(sqrt(p.estimate_var + p.c_estimate_var), 0)) END AS p_value
	) t
), tests AS (
	-- The family corrected for multiple testing: every comparison with a
	-- p-value and a sufficient sample, across variants and metrics.
	SELECT row_number() OVER (ORDER BY r.metric_id NULLS LAST, r.metric, r.ordinal) AS member,
		   r.metric_id, r.metric, r.ordinal, CASE WHEN r.sufficient THEN r.raw_p_value END AS p_value
	FROM raw r WHERE r.sufficient IS NOT NULL
), corrected AS (
	SELECT tests.metric_id, tests.metric, tests.ordinal, u.adjusted, u.level
	FROM (SELECT (experiments.multiple_testing(coalesce(array_agg(tests.p_value ORDER BY tests.member), '{}'),
											   $6, $4)).* FROM tests) f
	CROSS JOIN LATERAL unnest(f.adjusted_p_values, f.confidences) WITH ORDINALITY AS u(adjusted, level, member)
	JOIN tests ON tests.member = u.member
), compared AS (
	SELECT r.*, k.adjusted, coalesce(k.level, $4) AS level, cmp.*
	FROM raw r
	LEFT JOIN corrected k ON k.metric_id IS NOT DISTINCT FROM r.metric_id AND k.metric = r.metric AND k.ordinal = r.ordinal
	CROSS JOIN LATERAL (
		-- Welch's t (means, CUPED) and the score test (proportions) as
		-- experiment_results() makes them; ratios and quantiles by z on
		-- their variances, relative by the delta method.
		SELECT w.difference AS d, w.difference_lower AS d_lower, w.difference_upper AS d_upper,
			   w.relative_difference AS rel, w.relative_lower AS rel_lower, w.relative_upper AS rel_upper
		FROM (SELECT CASE WHEN r.cuped THEN r.c_adjusted_mean ELSE r.c_mean END AS c_mean,
					 CASE WHEN r.cuped THEN r.c_adjusted_var ELSE r.c_var_x END AS c_var,
					 CASE WHEN r.cuped THEN r.adjusted_mean ELSE r.mean END AS mean,
					 CASE WHEN r.cuped THEN r.adjusted_var ELSE r.var_x END AS var) a
		CROSS JOIN LATERAL experiments.welch_test(a.c_mean, a.c_var, r.c_n, a.mean, a.var, r.n, coalesce(k.level, $4)) w
		WHERE r.ordinal <> 0 AND (r.cuped OR r.type = 'mean')
		UNION ALL
		SELECT z.difference, z.difference_lower, z.difference_upper,
			   z.relative_difference, z.relative_lower, z.relative_upper
		FROM experiments.two_proportion_test(r.c_events, r.c_n, r.events, r.n, coalesce(k.level, $4)) z
		WHERE r.ordinal <> 0 AND NOT r.cuped AND r.type = 'proportion'
		UNION ALL
		SELECT g.d, g.d - g.crit * g.se, g.d + g.crit * g.se,
			   g.rel, g.rel - g.crit * g.rel_se, g.rel + g.crit * g.rel_se
		FROM (SELECT r.estimate - r.c_estimate AS d, sqrt(r.estimate_var + r.c_estimate_var) AS se,
					 r.estimate / nullif(r.c_estimate, 0) - 1 AS rel,
					 sqrt(r.estimate_var / r.c_estimate ^ 2 + r.estimate ^ 2 * r.c_estimate_var / r.c_estimate ^ 4) AS rel_se,
					 experiments.normal_quantile(1 - (1 - coalesce(k.level, $4)) / 2) AS crit
			  WHERE r.c_estimate <> 0) g
		WHERE r.ordinal <> 0 AND r.type IN ('ratio', 'quantile')
		UNION ALL
		SELECT NULL, NULL, NULL, NULL, NULL, NULL
		WHERE r.ordinal = 0 OR (r.type IN ('ratio', 'quantile') AND (r.c_estimate IS NULL OR r.c_estimate = 0))
	) cmp
)
SELECT $1, c.metric_id, c.metric, c.role, c.type, c.implicit, c.higher_is_better, c.margin, c.ordinal, c.variant,
	   c.n, c.events, c.estimate,
	   CASE c.type WHEN 'proportion' THEN w.lower
				   WHEN 'mean' THEN c.mean - experiments.student_t_quantile(1 - (1 - $4) / 2, c.n - 1) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio - experiments.normal_quantile(1 - (1 - $4) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_lower END,
	   CASE c.type WHEN 'proportion' THEN w.upper
				   WHEN 'mean' THEN c.mean + experiments.student_t_quantile(1 - (1 - $4) / 2, c.n - 1) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio + experiments.normal_quantile(1 - (1 - $4) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_upper END,
	   c.cap, c.cuped,
	   CASE WHEN c.cuped THEN c.adjusted_mean END,
	   CASE WHEN c.cuped THEN 1 - c.adjusted_var / nullif(c.var_x, 0) END,
	   c.d, c.d_lower, c.d_upper, c.rel, c.rel_lower, c.rel_upper,
	   c.raw_p_value, c.adjusted,
	   CASE WHEN c.d IS NOT NULL THEN c.level END,
	   CASE WHEN c.sufficient IS NOT NULL THEN $6 END,
	   c.sufficient,
	   experiments_internal.metric_verdict(c.sufficient, c.adjusted, 1 - $4, c.d, c.higher_is_better),
	   CASE WHEN c.role = 'guardrail' AND c.ordinal <> 0
			THEN experiments_internal.guardrail_status(c.sufficient, c.margin, c.rel_lower, c.rel_upper, c.higher_is_better) END
FROM compared c
CROSS JOIN LATERAL experiments.wilson_interval(CASE WHEN c.type = 'proportion' THEN c.events END, c.n, $4) w
ORDER BY c.role = 'guardrail' DESC, c.role = 'primary' DESC, c.implicit, c.metric_id, c.metric, c.ordinal
$$;
COMMENT ON FUNCTION experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval) IS
'Results of one experiment per metric and variant, over exposures in [since, until) (NULL: unbounded): the metrics attached to it (experiment_metrics, with their role, type, direction and guardrail margin) and, as implicit secondary proportion metrics, the goals no metric of the tenant reads (metric_statistics()). Per variant: units, units with events, the estimate (proportion: share of units with an event, Wilson interval; mean: value per exposed unit, t interval; ratio: numerator sum over denominator sum, delta-method normal interval; quantile: the quantile of the units with events, order-statistic interval) and the cap applied. Against the control (ordinal 0): the difference, relative difference, their intervals and p-value from one test: with CUPED (proportion and mean metrics when pre_period, default 14 days, gives a covariate with variance: the mean adjusted by theta times the covariate''s deviation from its pooled mean, theta pooled over all variants; variance_reduction is 1 - adjusted variance / variance) Welch''s t on the adjusted means; otherwise the Miettinen-Nurminen score test (proportions), Welch''s t with Fieller''s relative interval (means), or a z test on the delta-method variances (ratios) or on the variances the order-statistic intervals imply (quantiles), relative by the delta method. The comparisons with min_units units in both arms (and for proportions without CUPED 5 expected conversions and non-conversions) form one family across variants and metrics, corrected by correction (holm, bh or none) as in experiment_results(); verdicts in the metric''s good direction; guardrails pass or fail by their non-inferiority margin on the corrected relative interval. Rows come guardrails first, then primary, secondary and implicit metrics.';

CREATE FUNCTION experiments_internal.metric_report(experiment_id bigint, since timestamptz, until timestamptz,
	confidence float8, min_units bigint, correction text, OUT failing text[], OUT lines text[])
RETURNS record
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	WITH r AS (
		SELECT r.*, first_value(r.variant) OVER (PARTITION BY r.metric_id, r.metric ORDER BY r.ordinal) AS control
		FROM experiments.metric_results($1, $2, $3, $4, $5, $6) r
	)
	SELECT coalesce(array_agg(format('  FAILING GUARDRAIL %s: %s %s against %s (%s CI %s to %s), margin %s',
					r.metric, r.variant, experiments_internal.format_percent(r.relative_difference, true), r.control,
					coalesce(round((r.interval_confidence * 100)::numeric, 2)::float8::text || '%', 'n/a'),
					experiments_internal.format_percent(r.relative_lower, true),
					experiments_internal.format_percent(r.relative_upper, true),
					experiments_internal.format_percent(CASE WHEN r.higher_is_better THEN -r.margin ELSE r.margin END, true))
				ORDER BY r.metric, r.ordinal)
				FILTER (WHERE r.guardrail = 'fail'), '{}'),
		   coalesce(array_agg(format('  [%s] %s', r.role, experiments_internal.results_verdict(
					r.variant, r.control, r.metric, r.verdict, r.relative_difference, r.relative_lower,
					r.relative_upper, r.adjusted_p_value, r.interval_confidence))
					|| CASE WHEN r.guardrail IS NOT NULL THEN '; guardrail ' || r.guardrail ELSE '' END
					|| CASE WHEN r.cuped THEN format('; CUPED, variance %s', experiments_internal.format_percent(-r.variance_reduction, true)) ELSE '' END
				ORDER BY r.role = 'guardrail' DESC, r.role = 'primary' DESC, r.metric, r.ordinal)
				FILTER (WHERE r.ordinal <> 0 AND NOT r.implicit), '{}')
	FROM r
$$;
COMMENT ON FUNCTION experiments_internal.metric_report(bigint, timestamptz, timestamptz, float8, bigint, text) IS
'The lines results_report() prints of the metrics attached to an experiment (metric_results()): failing, one line per guardrail that fails its non-inferiority margin in a treatment (printed first), and lines, each treatment''s verdict per metric with its role, guardrail status and CUPED variance change.';

-- src/results/results.sql: results_report() with the catalog metrics' lines
CREATE OR REPLACE FUNCTION experiments.results_report(experiment text,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT 0.95,
	min_units bigint DEFAULT 100, correction text DEFAULT 'holm', method text DEFAULT 'fixed',
	tuning_n bigint DEFAULT 5000)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	r record;
	control text;
	srm text;
	srm_p float8;
	srm_shown text;
	total bigint := 0;
	variant_lines text[] := '{}';
	metric_lines text[] := '{}';
	comparisons integer := 0;
	failing text[] := '{}';
	catalog_lines text[] := '{}';
BEGIN
	SELECT * INTO x FROM experiments.experiments e
	WHERE e.key = results_report.experiment AND e.tenant_id = experiments_internal.required_tenant();
	IF NOT FOUND THEN
		RAISE EXCEPTION 'experiment "%" does not exist', experiments_internal.shown_input(results_report.experiment)
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'The caller''s tenant has no experiment with that key.',
				  HINT = 'List the tenant''s experiments in experiments.experiments.';
	END IF;
	IF EXISTS (SELECT FROM experiments.experiment_metrics em WHERE em.experiment_id = x.id) THEN
		SELECT c.failing, c.lines INTO failing, catalog_lines
		FROM experiments_internal.metric_report(x.id, since, until, confidence, min_units, correction) c;
	END IF;
	-- Rows come exposures first, control first: one pass builds the report.
	FOR r IN SELECT * FROM experiments.experiment_results(x.id, since, until, confidence, min_units, correction,
														   method, tuning_n) LOOP
		IF r.kind = 'exposures' THEN
			total := total + r.units;
			IF r.ordinal = 0 THEN
				control := r.variant;
			END IF;
			-- The method's sample ratio test; the sequential one says so.
			srm_p := CASE r.method WHEN 'sequential' THEN r.srm_sequential_p_value ELSE r.srm_p_value END;
			srm_shown := experiments_internal.format_p_value(srm_p) ||
				CASE r.method WHEN 'sequential' THEN ', sequential' ELSE '' END;
			srm := CASE WHEN r.stray_traffic THEN 'SAMPLE RATIO MISMATCH (units in a variant allocated 0%)'
						WHEN r.srm_mismatch THEN 'SAMPLE RATIO MISMATCH (' || srm_shown || ')'
						WHEN srm_p IS NULL THEN 'SRM not testable'
						ELSE 'no SRM (' || srm_shown || ')' END;
			variant_lines := variant_lines || format('  %s: %s units (%s of traffic, allocated %s)',
				r.variant, r.units, experiments_internal.format_percent(r.traffic_share),
				experiments_internal.format_percent(r.allocation_share));
		ELSIF r.ordinal = 0 THEN
			metric_lines := metric_lines || format('%s: %s %s',
				CASE r.kind WHEN 'revenue' THEN 'revenue (cents per unit)' ELSE r.metric END, r.variant,
				CASE r.kind WHEN 'revenue' THEN round(r.value_per_unit::numeric, 2)::text
					 ELSE format('%s (%s to %s)', experiments_internal.format_percent(r.conversion_rate),
								 experiments_internal.format_percent(r.rate_lower), experiments_internal.format_percent(r.rate_upper)) END);
		ELSE
			comparisons := comparisons + (r.rate_adjusted_p_value IS NOT NULL)::integer +
				(r.value_adjusted_p_value IS NOT NULL)::integer;
			metric_lines := metric_lines || ('  ' || experiments_internal.results_verdict(
				r.variant, control, CASE r.kind WHEN 'revenue' THEN 'revenue per unit' ELSE r.metric END,
				CASE r.kind WHEN 'revenue' THEN r.value_verdict ELSE r.rate_verdict END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lift ELSE r.rate_relative_lift END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lower ELSE r.rate_relative_lower END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_upper ELSE r.rate_relative_upper END,
				CASE r.kind WHEN 'revenue' THEN r.value_adjusted_p_value ELSE r.rate_adjusted_p_value END,
				CASE r.kind WHEN 'revenue' THEN r.value_interval_confidence ELSE r.rate_interval_confidence END)
				|| '; ' || split_part(srm, ' (', 1));
		END IF;
	END LOOP;
	RETURN array_to_string(
		format('Experiment %s (%s): %s units exposed%s', x.key, x.state, total,
			   CASE WHEN since IS NULL AND until IS NULL THEN ''
					ELSE format(' in [%s, %s)', coalesce(since::text, '-infinity'), coalesce(until::text, 'infinity')) END)
		|| failing || variant_lines || ('  ' || srm)
		|| CASE WHEN cardinality(metric_lines) > 0 THEN ARRAY[
			   format('  %s comparisons with %s+ units per arm by %s; p-values and intervals corrected by %s',
					  comparisons, min_units,
					  CASE experiments_internal.results_method(method)
						  WHEN 'sequential' THEN format('sequential tests (always-valid confidence sequences, narrowest at %s units)', tuning_n)
						  ELSE 'fixed-horizon tests' END,
					  CASE correction WHEN 'holm' THEN 'Holm'
						  WHEN 'bh' THEN 'Benjamini-Hochberg (intervals: Benjamini-Yekutieli)' ELSE 'none' END)]
				ELSE '{}' END
		|| metric_lines
		|| CASE WHEN cardinality(catalog_lines) > 0 THEN ARRAY['Metrics:'] || catalog_lines ELSE '{}' END, E'\n');
END;
$$;
COMMENT ON FUNCTION experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text, text, bigint) IS
'One experiment''s results of the caller''s tenant as a short text report for psql: a line per failing guardrail first (right after the first line), units per variant against allocation, sample ratio mismatch, the number of comparisons, the method (fixed-horizon or sequential tests) and the multiple-testing correction applied (min_units, correction, method and tuning_n as experiment_results() takes them), each goal''s rate in the control, and the verdict of experiment_results() in words for each variant, goal and revenue, with the relative lift, its corrected interval and the adjusted p-value ("green beats control on checkout: +10.0% (97.5% CI +8.0% to +12.0%), p < 0.001; no SRM"), then the verdicts of the metrics attached to the experiment (experiments_internal.metric_report()).';
-- src/http/page.sql: results per metric over HTTP
CREATE FUNCTION experiments_internal.metrics_page_html(experiment_id bigint, OUT failing text, OUT tables text)
RETURNS record
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	WITH r AS (
		SELECT r.*, first_value(r.variant) OVER (PARTITION BY r.metric_id ORDER BY r.ordinal) AS control
		FROM experiments.metric_results($1) r WHERE NOT r.implicit
	), m AS (
		SELECT r.metric_id, r.metric, r.role, r.type, min(r.guardrail) FILTER (WHERE r.guardrail = 'fail') AS failed,
			   string_agg(format('<tr data-variant="%s"><th scope="row">%s</th><td data-field="units" data-value="%s">%s</td>'
					'<td data-field="estimate" data-value="%s" data-lower="%s" data-upper="%s">%s <span class="ci">(%s to %s)</span></td>'
					'<td data-field="relative_difference" data-value="%s" data-lower="%s" data-upper="%s">%s</td>'
					'<td data-field="adjusted_p_value" data-value="%s">%s</td><td data-field="verdict">%s</td></tr>',
					experiments_internal.html_escape(r.variant), experiments_internal.html_escape(r.variant), r.units, r.units,
					r.estimate, r.estimate_lower, r.estimate_upper,
					round(r.estimate::numeric, 4), round(r.estimate_lower::numeric, 4), round(r.estimate_upper::numeric, 4),
					r.relative_difference, r.relative_lower, r.relative_upper,
					CASE WHEN r.ordinal = 0 THEN 'control'
						 ELSE experiments_internal.format_percent(r.relative_difference, true) || ' <span class="ci">('
							  || experiments_internal.format_percent(r.relative_lower, true) || ' to '
							  || experiments_internal.format_percent(r.relative_upper, true) || ')</span>' END,
					r.adjusted_p_value, CASE WHEN r.ordinal = 0 THEN '' ELSE experiments_internal.format_p_value(r.adjusted_p_value) END,
					coalesce(r.verdict, '') || CASE WHEN r.guardrail IS NOT NULL THEN '; guardrail ' || r.guardrail ELSE '' END),
				'' ORDER BY r.ordinal) AS rows
		FROM r GROUP BY r.metric_id, r.metric, r.role, r.type
	)
	SELECT (SELECT string_agg(format('<li class="warn">%s</li>', experiments_internal.html_escape(format(
				'Failing guardrail %s: %s %s against %s (%s CI %s to %s), margin %s', r.metric, r.variant,
				experiments_internal.format_percent(r.relative_difference, true), r.control,
				round((r.interval_confidence * 100)::numeric, 2)::float8 || '%',
				experiments_internal.format_percent(r.relative_lower, true), experiments_internal.format_percent(r.relative_upper, true),
				experiments_internal.format_percent(CASE WHEN r.higher_is_better THEN -r.margin ELSE r.margin END, true)))),
				'' ORDER BY r.metric, r.ordinal)
			FROM r WHERE r.guardrail = 'fail'),
		   (SELECT string_agg(format('<section class="metric catalog" data-metric="%s" data-role="%s"><h2>%s <span class="ci">%s, %s%s</span></h2>'
					'<div class="scroll"><table><thead><tr><th>Variant</th><th>Units</th><th>Estimate (95%% CI)</th>'
					'<th>Relative difference (CI corrected for multiple testing)</th><th>p-value (corrected)</th><th>Verdict</th>'
					'</tr></thead><tbody>%s</tbody></table></div></section>',
					experiments_internal.html_escape(m.metric), m.role, experiments_internal.html_escape(m.metric), m.role, m.type,
					CASE WHEN m.failed IS NOT NULL THEN ', <span class="warn">failing guardrail</span>' ELSE '' END, m.rows),
				'' ORDER BY m.role = 'guardrail' DESC, m.role = 'primary' DESC, m.metric_id)
			FROM m)
$$;
COMMENT ON FUNCTION experiments_internal.metrics_page_html(bigint) IS
'The results page''s parts for the metrics attached to an experiment (metric_results(), implicit metrics left out): failing, an HTML list item per guardrail failing its margin in a treatment (the page says them first), and tables, a section per metric (guardrails, then primary, then secondary) with its role and type and per variant the units, estimate with its interval, corrected relative difference with its interval, corrected p-value and verdict; NULLs when nothing is attached.';

CREATE FUNCTION experiments_api.metric_results(experiment text, since timestamptz DEFAULT NULL,
	until timestamptz DEFAULT NULL, correction text DEFAULT 'holm')
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	IF correction IS NULL OR correction NOT IN ('holm', 'bh', 'none') THEN
		PERFORM experiments_internal.raise_api_error(400, format('correction "%s" does not exist: ask for holm, bh or none.',
			left(correction, 64)));
	END IF;
	RETURN (SELECT coalesce(jsonb_agg(to_jsonb(r)), '[]')
			FROM experiments.metric_results(experiments_internal.page_experiment_id(experiment), since, until,
											correction => metric_results.correction) r);
END;
$$;
ALTER FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text) IS
'GET /rpc/metric_results?experiment=KEY[&since=&until=&correction=holm|bh|none]: the experiment''s results per metric (experiments.metric_results()) as a JSON array, one object per metric and variant, guardrails first. For analysts; 404 for an unknown experiment, 400 for another correction.';

CREATE OR REPLACE FUNCTION experiments_api.results_page(experiment text)
RETURNS experiments_api."text/html"
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	results jsonb;
	series jsonb;
	control text;
	verdicts text := '';
	tables text := '';
	srm text;
	m record;
	catalog_failing text;
	catalog_tables text;
BEGIN
	PERFORM experiments_internal.authorize();
	SELECT * INTO x FROM experiments.experiments e WHERE e.id = experiments_internal.page_experiment_id(experiment);
	SELECT jsonb_agg(to_jsonb(r)) INTO results FROM experiments.experiment_results(x.id) r;
	SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') INTO series FROM experiments_internal.results_series(x.id) s;
	IF EXISTS (SELECT FROM experiments.experiment_metrics em WHERE em.experiment_id = x.id) THEN
		SELECT h.failing, h.tables INTO catalog_failing, catalog_tables FROM experiments_internal.metrics_page_html(x.id) h;
	END IF;
	SELECT r ->> 'variant',
		   CASE WHEN (r ->> 'stray_traffic')::boolean THEN 'Sample ratio mismatch: a variant allocated 0% has units. Do not trust these results.'
				WHEN (r ->> 'srm_mismatch')::boolean THEN 'Sample ratio mismatch (' || experiments_internal.format_p_value((r ->> 'srm_p_value')::float8) || '): the traffic split differs from the allocation. Do not trust these results.'
				WHEN r ->> 'srm_p_value' IS NULL THEN 'The sample ratio cannot be tested yet.'
				ELSE 'The traffic split matches the allocation (' || experiments_internal.format_p_value((r ->> 'srm_p_value')::float8) || ').' END
	INTO control, srm
	FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = 'exposures' AND (r ->> 'ordinal')::integer = 0;
	-- Per metric: its verdicts, its table and its lift chart.
	FOR m IN SELECT DISTINCT r ->> 'kind' AS kind, r ->> 'metric' AS metric
			 FROM jsonb_array_elements(results) r WHERE r ->> 'kind' <> 'exposures' ORDER BY 1, 2 LOOP
		verdicts := verdicts || coalesce((
			SELECT string_agg('<li>' || experiments_internal.html_escape(experiments_internal.results_verdict(
						r ->> 'variant', control, m.metric || ' (conversion rate)', r ->> 'rate_verdict',
						(r ->> 'rate_relative_lift')::float8, (r ->> 'rate_relative_lower')::float8,
						(r ->> 'rate_relative_upper')::float8, (r ->> 'rate_adjusted_p_value')::float8,
						(r ->> 'rate_interval_confidence')::float8)) || '</li>',
					'' ORDER BY (r ->> 'ordinal')::integer)
			FROM jsonb_array_elements(results) r
			WHERE r ->> 'kind' = m.kind AND r ->> 'metric' = m.metric AND (r ->> 'ordinal')::integer <> 0), '');
		tables := tables || format('<section class="metric" data-metric="%s"><h2>%s</h2><div class="scroll"><table><thead><tr>'
			'<th>Variant</th><th>Units</th><th>Converting</th><th>Rate (95%% CI)</th><th>Relative lift (CI corrected for multiple testing)</th><th>p-value (uncorrected)</th>%s'
			'</tr></thead><tbody>', experiments_internal.html_escape(m.metric), experiments_internal.html_escape(m.metric),
			CASE WHEN m.kind = 'revenue' THEN '<th>Value per unit</th>' ELSE '' END)
			|| (SELECT string_agg(format('<tr data-variant="%s"><th scope="row">%s</th>'
					'<td data-field="units" data-value="%s">%s</td><td data-field="converting_units" data-value="%s">%s</td>'
					'<td data-field="conversion_rate" data-value="%s" data-lower="%s" data-upper="%s">%s <span class="ci">(%s to %s)</span></td>'
					'<td data-field="rate_relative_lift" data-value="%s" data-lower="%s" data-upper="%s">%s</td>'
					'<td data-field="rate_p_value" data-value="%s">%s</td>%s</tr>',
					experiments_internal.html_escape(r ->> 'variant'), experiments_internal.html_escape(r ->> 'variant'),
					r ->> 'units', r ->> 'units', r ->> 'converting_units', r ->> 'converting_units',
					r ->> 'conversion_rate', r ->> 'rate_lower', r ->> 'rate_upper',
					experiments_internal.format_percent((r ->> 'conversion_rate')::float8),
					experiments_internal.format_percent((r ->> 'rate_lower')::float8),
					experiments_internal.format_percent((r ->> 'rate_upper')::float8),
					r ->> 'rate_relative_lift', r ->> 'rate_relative_lower', r ->> 'rate_relative_upper',
					CASE WHEN (r ->> 'ordinal')::integer = 0 THEN 'control'
						 ELSE experiments_internal.format_percent((r ->> 'rate_relative_lift')::float8, true)
							  || ' <span class="ci">(' || experiments_internal.format_percent((r ->> 'rate_relative_lower')::float8, true)
							  || ' to ' || experiments_internal.format_percent((r ->> 'rate_relative_upper')::float8, true) || ')</span>' END,
					r ->> 'rate_p_value',
					CASE WHEN (r ->> 'ordinal')::integer = 0 THEN '' ELSE experiments_internal.format_p_value((r ->> 'rate_p_value')::float8) END,
					CASE WHEN m.kind = 'revenue' THEN format('<td data-field="value_per_unit" data-value="%s">%s</td>',
						r ->> 'value_per_unit', round((r ->> 'value_per_unit')::numeric, 2)) ELSE '' END),
				'' ORDER BY (r ->> 'ordinal')::integer)
				FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = m.kind AND r ->> 'metric' = m.metric)
			|| '</tbody></table></div><figure class="lift">'
			|| experiments_internal.results_chart_svg('lift', m.metric, results, series)
			|| '</figure></section>';
	END LOOP;
	RETURN '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
		|| '<meta name="viewport" content="width=device-width, initial-scale=1">'
		|| '<title>Results: ' || experiments_internal.html_escape(x.key) || '</title><style>'
		|| 'body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#212529;background:#f8f9fa}'
		|| 'main{max-width:960px;margin:0 auto;padding:16px}h1{font-size:1.5em;margin:.2em 0;overflow-wrap:anywhere}'
		|| 'h2{font-size:1.15em;margin:1.2em 0 .4em;overflow-wrap:anywhere}section{background:#fff;border-radius:8px;padding:12px 16px;margin:12px 0}'
		|| '.verdict li{margin:.3em 0}.warn{color:#c92a2a;font-weight:600}.scroll{overflow-x:auto}'
		|| 'table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:4px 8px;text-align:right;white-space:nowrap;border-bottom:1px solid #dee2e6}'
		|| 'th:first-child{text-align:left}.ci{color:#868e96;font-size:.9em}figure{margin:12px 0 0}'
		|| 'svg.chart{display:block;max-width:100%;height:auto}.chart-title{font-weight:600;font-size:13px}'
		|| '.tick,.legend{font-size:11px;fill:#495057}.axis{stroke:#495057}.grid{stroke:#e9ecef}'
		|| '.series{fill:none;stroke-width:2}.band{opacity:.18}'
		|| '@media (max-width:600px){main{padding:8px}section{padding:8px}th,td{padding:3px 4px;font-size:13px}}'
		|| '</style></head><body><main>'
		|| format('<h1>Experiment %s</h1><p>%s, %s units exposed.</p>', experiments_internal.html_escape(x.key), x.state,
				  (SELECT coalesce(sum((r ->> 'units')::bigint), 0) FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = 'exposures'))
		|| '<section class="verdict"><h2>Verdict</h2><p class="srm' || CASE WHEN srm LIKE 'Sample ratio mismatch%' THEN ' warn' ELSE '' END || '">'
		|| experiments_internal.html_escape(srm) || '</p><ul>' || coalesce(catalog_failing, '') || verdicts || '</ul></section>'
		|| coalesce(catalog_tables, '') || tables
		|| '<section class="units"><h2>Units per variant per day</h2><figure>'
		|| experiments_internal.results_chart_svg('units', NULL, results, series) || '</figure></section>'
		|| '<section class="srm-chart"><h2>Sample ratio</h2><figure>'
		|| experiments_internal.results_chart_svg('srm', NULL, results, series) || '</figure></section>'
		|| '</main></body></html>';
END;
$$;
ALTER FUNCTION experiments_api.results_page(text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.results_page(text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.results_page(text) IS
'GET /rpc/results_page?experiment=KEY with Accept: text/html: the experiment''s results as a self-contained page (inline CSS and SVG, no script): the verdict in words (sample ratio, then each treatment against the control per metric), a table per metric (units, rate with its interval, relative lift with its interval, p-value, from experiment_results()), the cumulative relative lift per day with its interval, units per variant per day and the sample ratio chart; with metrics attached to the experiment, its failing guardrails first in the verdict and a table per attached metric (experiments_internal.metrics_page_html()). For analysts.';
-- src/core/privileges.sql (results per metric)
REVOKE EXECUTE ON FUNCTION
	experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8),
	experiments_internal.metric_verdict(boolean, float8, float8, float8, boolean),
	experiments_internal.guardrail_status(boolean, float8, float8, float8, boolean),
	experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval),
	experiments_internal.metric_report(bigint, timestamptz, timestamptz, float8, bigint, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments.metric_statistics(bigint, timestamp with time zone, timestamp with time zone, interval, double precision),
	experiments_internal.metric_verdict(boolean, double precision, double precision, double precision, boolean),
	experiments_internal.guardrail_status(boolean, double precision, double precision, double precision, boolean),
	experiments.metric_results(bigint, timestamp with time zone, timestamp with time zone, double precision, bigint, text, interval),
	experiments_internal.metric_report(bigint, timestamp with time zone, timestamp with time zone, double precision, bigint, text)
	TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION
	experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8),
	experiments_internal.metric_verdict(boolean, float8, float8, float8, boolean),
	experiments_internal.guardrail_status(boolean, float8, float8, float8, boolean),
	experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval),
	experiments_internal.metric_report(bigint, timestamptz, timestamptz, float8, bigint, text)
	TO experiments_analyst;
REVOKE EXECUTE ON FUNCTION experiments_internal.metrics_page_html(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_internal.metrics_page_html(bigint) TO experiments_api_owner;
REVOKE EXECUTE ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text) TO experiments_anon;

-- 0.2.0: each experiment's analysis settings (issue #17): the table
-- experiment_analysis and set_analysis() for operators; experiment_results(),
-- results_report(), metric_results() (which gains method and tuning_n, and
-- the method column, so it and metric_report() are created anew) and the
-- results page use them when the caller names no method, confidence or
-- correction; without settings the method is sequential. experiment_results()
-- and metric_results() compare by one function per comparison
-- (experiments_internal.comparison(), metric_comparison()).
-- src/results/results.sql
-- The analysis of each experiment: the method, confidence, multiple-testing
-- correction and tuning that its results use when the caller names none.

CREATE TABLE experiments.experiment_analysis (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint PRIMARY KEY,
	method text NOT NULL DEFAULT 'sequential'
		CONSTRAINT experiment_analysis_method_known CHECK (method IN ('fixed', 'sequential')),
	confidence float8 NOT NULL DEFAULT 0.95
		CONSTRAINT experiment_analysis_confidence_range CHECK (confidence > 0 AND confidence < 1),
	correction text NOT NULL DEFAULT 'holm'
		CONSTRAINT experiment_analysis_correction_known CHECK (correction IN ('holm', 'bh', 'none')),
	tuning_n bigint NOT NULL DEFAULT 5000
		CONSTRAINT experiment_analysis_tuning_n_positive CHECK (tuning_n > 0),
	updated_at timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.experiment_analysis IS
'How an experiment''s results are analysed when the caller names no method, confidence, correction or tuning_n: the views (results, lift, sample_ratio_mismatch, exposure_summary), results_report(), the results page and metric_results() use it; an argument passed to those functions wins. Written by experiments.set_analysis(). An experiment without a row is analysed with the column defaults: sequential tests, since its results can be read while it runs.';
COMMENT ON COLUMN experiments.experiment_analysis.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.experiment_analysis.experiment_id IS 'The experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.experiment_analysis.method IS
'sequential (the default: always-valid confidence sequences, valid however often the results are read while the experiment runs) or fixed (fixed-horizon tests, valid at one look decided in advance, for an operator who reads the results once at a planned end).';
COMMENT ON COLUMN experiments.experiment_analysis.confidence IS
'The confidence level of the intervals, between 0 and 1 exclusive (default 0.95); 1 - confidence is the alpha of the verdicts.';
COMMENT ON COLUMN experiments.experiment_analysis.correction IS
'The multiple-testing correction across the experiment''s comparisons: holm (the default), bh (Benjamini-Hochberg) or none.';
COMMENT ON COLUMN experiments.experiment_analysis.tuning_n IS
'The number of units (both arms) at which the sequential method''s intervals are narrowest (default 5000); unused by the fixed method.';
COMMENT ON COLUMN experiments.experiment_analysis.updated_at IS 'When the settings were last written.';
ALTER TABLE experiments.experiment_analysis ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.experiment_analysis FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.experiment_analysis
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.experiment_analysis IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
SELECT pg_catalog.pg_extension_config_dump('experiments.experiment_analysis', '');

-- One place decides what a results function analyses with: its arguments
-- where given, else the experiment's settings, else the table's defaults.
CREATE FUNCTION experiments_internal.analysis(experiment_id bigint, method text, confidence float8,
	correction text, tuning_n bigint, OUT chosen_method text, OUT chosen_confidence float8,
	OUT chosen_correction text, OUT chosen_tuning_n bigint)
RETURNS record
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.results_method(coalesce($2, a.method, 'sequential')),
		   coalesce($3, a.confidence, 0.95), coalesce($4, a.correction, 'holm'), coalesce($5, a.tuning_n, 5000)
	FROM (SELECT) one
	LEFT JOIN experiments.experiment_analysis a ON a.experiment_id = $1
$$;
COMMENT ON FUNCTION experiments_internal.analysis(bigint, text, float8, text, bigint) IS
'The method (checked), confidence, correction and tuning_n a results function uses for an experiment: each argument that is not NULL, otherwise the experiment''s experiment_analysis row, otherwise that table''s column defaults (sequential, 0.95, holm, 5000).';

CREATE FUNCTION experiments.set_analysis(experiment text, method text DEFAULT NULL, confidence float8 DEFAULT NULL,
	correction text DEFAULT NULL, tuning_n bigint DEFAULT NULL)
RETURNS experiments.experiment_analysis
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp_id bigint := experiments_internal.locked_experiment_id(experiment);
	chosen experiments.experiment_analysis;
BEGIN
	INSERT INTO experiments.experiment_analysis (experiment_id) VALUES (exp_id) ON CONFLICT DO NOTHING;
	SELECT a.* INTO chosen FROM experiments.experiment_analysis a WHERE a.experiment_id = exp_id FOR UPDATE;
	chosen.method := coalesce(set_analysis.method, chosen.method);
	chosen.confidence := coalesce(set_analysis.confidence, chosen.confidence);
	chosen.correction := coalesce(set_analysis.correction, chosen.correction);
	chosen.tuning_n := coalesce(set_analysis.tuning_n, chosen.tuning_n);
	-- The checks of the functions that will use the values, so that a bad
	-- value is refused now with their errors rather than at every read.
	PERFORM experiments_internal.results_method(chosen.method),
			experiments.multiple_testing('{}', chosen.correction, chosen.confidence),
			experiments.sequential_interval(0, 1, 1, chosen.confidence, chosen.tuning_n);
	UPDATE experiments.experiment_analysis a
	SET method = chosen.method, confidence = chosen.confidence, correction = chosen.correction,
		tuning_n = chosen.tuning_n, updated_at = now()
	WHERE a.experiment_id = exp_id
	RETURNING a.* INTO chosen;
	RETURN chosen;
END;
$$;
REVOKE ALL ON FUNCTION experiments.set_analysis(text, text, float8, text, bigint) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_analysis(text, text, float8, text, bigint) IS
'Administrators: sets how an experiment''s results are analysed when the caller names nothing (experiments.experiment_analysis): method fixed or sequential, confidence, correction (holm, bh or none) and tuning_n; a NULL argument keeps the current value (the default for an experiment without settings). A bad value is refused with SQLSTATE 22023 (method, correction, tuning_n) or 22003 (confidence).';

CREATE FUNCTION experiments_internal.comparison(method text, test text,
	control_successes bigint, control_mean float8, control_variance float8, control_count bigint,
	treatment_successes bigint, treatment_mean float8, treatment_variance float8, treatment_count bigint,
	confidence float8, tuning_n bigint,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT p_value float8, OUT relative_note text)
RETURNS record
-- in C: a SQL function called from another's query (metric_comparison()) is
-- parsed and planned again at every call
AS 'MODULE_PATHNAME', 'comparison'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION experiments_internal.comparison(text, text, bigint, float8, float8, bigint, bigint, float8, float8, bigint, float8, bigint) IS
'One comparison of a treatment with the control at a confidence level by the method''s test: test rate compares the successes of count units, test value means with their sample variances; method fixed by two_proportion_test (rate) or welch_test (value), method sequential by sequential_test tuned at tuning_n (a rate as the mean of a 0/1 indicator, successes / count, with its sample variance successes (count - successes) / (count (count - 1))); NULLs where that test gives NULLs or an argument it needs is NULL, and for a method or test it does not know.';

CREATE OR REPLACE FUNCTION experiments.experiment_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT NULL,
	min_units bigint DEFAULT 100, correction text DEFAULT NULL, method text DEFAULT NULL,
	tuning_n bigint DEFAULT NULL)
RETURNS TABLE (
	experiment_id bigint, ordinal integer, variant text, kind text, metric text,
	units bigint, traffic_share float8, allocation_share float8,
	first_exposed_at timestamptz, last_exposed_at timestamptz,
	converting_units bigint, conversion_rate float8, rate_lower float8, rate_upper float8,
	value_sum float8, value_per_unit float8,
	rate_lift float8, rate_lift_lower float8, rate_lift_upper float8,
	rate_relative_lift float8, rate_relative_lower float8, rate_relative_upper float8, rate_p_value float8,
	value_lift float8, value_lift_lower float8, value_lift_upper float8,
	value_relative_lift float8, value_relative_lower float8, value_relative_upper float8, value_p_value float8,
	srm_chi_square float8, srm_p_value float8, srm_mismatch boolean, stray_traffic boolean,
	rate_relative_note text, value_relative_note text,
	rate_adjusted_p_value float8, value_adjusted_p_value float8,
	rate_interval_confidence float8, value_interval_confidence float8,
	p_value_correction text, sample_sufficient boolean, rate_verdict text, value_verdict text,
	rate_chance_to_beat float8, rate_expected_loss float8, value_chance_to_beat float8, value_expected_loss float8,
	method text, srm_log_bayes_factor float8, srm_sequential_p_value float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH cfg AS MATERIALIZED (
	SELECT a.chosen_method AS method, a.chosen_confidence AS confidence, a.chosen_correction AS correction,
		   a.chosen_tuning_n AS tuning_n
	FROM experiments_internal.analysis($1, $7, $4, $6, $8) a
), m AS MATERIALIZED (
	SELECT * FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity'))
), variant_units AS (
	SELECT v.ordinal, v.key, v.allocation_bp, coalesce(sum(m.units), 0)::bigint AS units,
		   min(m.first_at) AS first_at, max(m.last_at) AS last_at
	FROM experiments.variants v
	LEFT JOIN m ON m.kind = 'exposures' AND m.ordinal = v.ordinal
	WHERE v.experiment_id = $1
	GROUP BY v.ordinal, v.key, v.allocation_bp
), totals AS (
	SELECT sum(units) AS units, sum(allocation_bp) AS allocation,
		   array_agg(units ORDER BY ordinal) AS observed,
		   array_agg(allocation_bp::float8 ORDER BY ordinal) AS allocations,
		   coalesce(bool_or(allocation_bp = 0 AND units > 0), false) AS stray
	FROM variant_units
), srm AS (
	-- Both tests of the sample ratio; srm_mismatch follows the method's.
	SELECT s.chi_square, s.p_value, q.log_bayes_factor, q.p_value AS sequential_p_value, t.stray,
		   CASE WHEN cfg.method = 'sequential' THEN q.p_value ELSE s.p_value END < 0.001 OR t.stray AS mismatch
	FROM totals t
	CROSS JOIN cfg
	CROSS JOIN LATERAL experiments.srm_test(CASE WHEN t.allocation > 0 THEN t.observed END, t.allocations) s
	CROSS JOIN LATERAL experiments.sequential_srm_test(CASE WHEN t.allocation > 0 THEN t.observed END,
													   t.allocations) q
), metrics AS (
	SELECT m.kind, m.metric, m.ordinal, sum(m.units)::bigint AS converting, sum(m.value_sum) AS s1,
		   sum(m.value_square_sum) AS s2
	FROM m WHERE m.kind <> 'exposures'
	GROUP BY m.kind, m.metric, m.ordinal
), keys AS (
	SELECT 'exposures' AS kind, NULL::text AS metric
	UNION ALL
	SELECT DISTINCT metrics.kind, metrics.metric FROM metrics
), cells AS (
	-- Every variant for every metric; per-unit values average over all
	-- exposed units, with 0 for units without the goal.
	SELECT k.kind, k.metric, vu.ordinal, vu.key, vu.units, vu.allocation_bp, vu.first_at, vu.last_at,
		   CASE WHEN k.kind <> 'exposures' THEN coalesce(mt.converting, 0) END AS converting,
		   CASE WHEN bool_or(mt.s1 IS NOT NULL) OVER (PARTITION BY k.kind, k.metric)
				THEN coalesce(mt.s1, 0) END AS s1,
		   coalesce(mt.s2, 0) AS s2
	FROM keys k CROSS JOIN variant_units vu
	LEFT JOIN metrics mt ON mt.kind = k.kind AND mt.metric = k.metric AND mt.ordinal = vu.ordinal
), stats AS (
	SELECT c.*, c.s1 / nullif(c.units, 0) AS mean,
		   CASE WHEN c.units > 1 THEN greatest((c.s2 - c.s1 * c.s1 / c.units) / (c.units - 1), 0) END AS variance
	FROM cells c
), pairs AS (
	-- Each variant beside its control, and the minimum-sample rule: both arms
	-- have min_units units; for rates also at least 5 conversions and 5
	-- non-conversions expected in each arm under no difference.
	SELECT s.*, c.converting AS c_converting, c.units AS c_units, c.mean AS c_mean, c.variance AS c_variance,
		   CASE WHEN s.ordinal <> 0 AND s.kind <> 'exposures'
				THEN s.units >= $5 AND c.units >= $5 END AS sufficient,
		   CASE WHEN s.ordinal <> 0 AND s.kind <> 'exposures'
				THEN least(s.units, c.units) * least(s.converting + c.converting,
						s.units + c.units - s.converting - c.converting)::float8
					 >= 5 * nullif(s.units + c.units, 0) END AS rate_expected_ok
	FROM stats s
	-- (metric is NULL only for kind exposures; coalesce makes the key one
	-- a hash join takes, where IS NOT DISTINCT FROM compared every goal's
	-- row with every other's)
	LEFT JOIN stats c ON c.kind = s.kind AND coalesce(c.metric, '') = coalesce(s.metric, '') AND c.ordinal = 0
), tests AS (
	-- The family corrected for multiple testing: every comparison of the
	-- experiment with a p-value and a sufficient sample, rates and values,
	-- by the method's tests (the sequential p-values are valid at every look,
	-- so their correction is too).
	SELECT row_number() OVER (ORDER BY p.kind, p.metric, p.ordinal, t.test) AS member,
		   p.kind, p.metric, p.ordinal, t.test,
		   CASE WHEN p.sufficient AND (t.test = 'value' OR p.rate_expected_ok) THEN c.p_value END AS p_value
	FROM pairs p
	CROSS JOIN cfg
	CROSS JOIN LATERAL (VALUES ('rate', p.c_converting, NULL, NULL, p.converting, NULL, NULL),
							   ('value', NULL, p.c_mean, p.c_variance, NULL, p.mean, p.variance))
		AS t(test, c_successes, c_mean, c_variance, successes, mean, variance)
	CROSS JOIN LATERAL experiments_internal.comparison(cfg.method, t.test, t.c_successes, t.c_mean, t.c_variance,
		p.c_units, t.successes, t.mean, t.variance, p.units, cfg.confidence, cfg.tuning_n) c
	WHERE p.sufficient IS NOT NULL
), corrected AS (
	SELECT tests.kind, tests.metric, tests.ordinal, tests.test, u.adjusted, u.level
	FROM (SELECT (experiments.multiple_testing(coalesce(array_agg(tests.p_value ORDER BY tests.member), '{}'),
											   (SELECT cfg.correction FROM cfg), (SELECT cfg.confidence FROM cfg))).*
		  FROM tests) f
	CROSS JOIN LATERAL unnest(f.adjusted_p_values, f.confidences) WITH ORDINALITY AS u(adjusted, level, member)
	JOIN tests ON tests.member = u.member
)
SELECT $1, p.ordinal, p.key, p.kind, p.metric,
	   p.units, p.units / nullif(t.units, 0)::float8, p.allocation_bp / nullif(t.allocation, 0)::float8,
	   p.first_at, p.last_at,
	   p.converting, p.converting / nullif(p.units, 0)::float8, w.lower, w.upper,
	   p.s1, p.mean,
	   z.difference, z.difference_lower, z.difference_upper,
	   z.relative_difference, z.relative_lower, z.relative_upper, z.p_value,
	   welch.difference, welch.difference_lower, welch.difference_upper,
	   welch.relative_difference, welch.relative_lower, welch.relative_upper, welch.p_value,
	   srm.chi_square, srm.p_value, srm.mismatch, srm.stray,
	   z.relative_note, welch.relative_note,
	   rc.adjusted, vc.adjusted,
	   CASE WHEN z.difference IS NOT NULL THEN coalesce(rc.level, cfg.confidence) END,
	   CASE WHEN welch.difference IS NOT NULL THEN coalesce(vc.level, cfg.confidence) END,
	   CASE WHEN p.sufficient IS NOT NULL THEN cfg.correction END,
	   p.sufficient,
	   experiments_internal.comparison_verdict(p.sufficient AND coalesce(p.rate_expected_ok, false), rc.adjusted,
											   1 - cfg.confidence, z.difference),
	   experiments_internal.comparison_verdict(p.sufficient, vc.adjusted, 1 - cfg.confidence, welch.difference),
	   br.chance_to_beat, br.expected_loss, bm.chance_to_beat, bm.expected_loss,
	   cfg.method, srm.log_bayes_factor, srm.sequential_p_value
FROM pairs p
CROSS JOIN cfg
CROSS JOIN totals t
CROSS JOIN srm
-- (the corrected comparisons are goals', whose metric is never NULL)
LEFT JOIN corrected rc ON rc.kind = p.kind AND rc.metric = p.metric AND rc.ordinal = p.ordinal AND rc.test = 'rate'
LEFT JOIN corrected vc ON vc.kind = p.kind AND vc.metric = p.metric AND vc.ordinal = p.ordinal AND vc.test = 'value'
CROSS JOIN LATERAL experiments.wilson_interval(p.converting, p.units, cfg.confidence) w
-- The comparisons at their corrected levels, by the method's test.
LEFT JOIN LATERAL experiments_internal.comparison(cfg.method, 'rate', p.c_converting, NULL, NULL, p.c_units,
	p.converting, NULL, NULL, p.units, coalesce(rc.level, cfg.confidence), cfg.tuning_n) z
	ON p.ordinal <> 0
LEFT JOIN LATERAL experiments_internal.comparison(cfg.method, 'value', NULL, p.c_mean, p.c_variance,
	p.c_units, NULL, p.mean, p.variance, p.units, coalesce(vc.level, cfg.confidence), cfg.tuning_n) welch
	ON p.ordinal <> 0
CROSS JOIN LATERAL experiments.bayesian_rates(
	CASE WHEN p.ordinal <> 0 THEN p.c_converting END, p.c_units, p.converting, p.units) br
CROSS JOIN LATERAL experiments.bayesian_means(
	CASE WHEN p.ordinal <> 0 THEN p.c_mean END, p.c_variance, p.c_units, p.mean, p.variance, p.units) bm
ORDER BY p.kind = 'exposures' DESC, p.kind, p.metric, p.ordinal
$$;
COMMENT ON FUNCTION experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint) IS
'Full results of one experiment over exposures in [since, until) (NULL: unbounded), one row per variant and metric. kind exposures: units (first exposure counts once), traffic vs allocation share, first and last exposure. kind goal (per goal) and revenue (transactions): converting units, rate with Wilson interval, value sum and per exposed unit; for variants other than the control (ordinal 0), rate lift by the Miettinen-Nurminen score test with its score intervals, value lift by Welch''s t-test with its interval of the difference and Fieller''s interval of the ratio, absolute and relative, p-values from the same tests. A verdict needs min_units units in both arms (and, for rates, 5 expected conversions and non-conversions in each); the comparisons with a verdict form the family corrected for multiple testing by correction (holm, bh or none): adjusted p-values, intervals at the matching confidence, and verdicts (beats, loses to, inconclusive, insufficient sample) from the adjusted p-values. Bayesian results beside them: chance to beat the control and expected loss (beta-binomial with Beta(1, 1) priors for rates, normal approximation for values). Every row carries the experiment''s sample ratio mismatch tests: chi-square against the configured allocation and the sequential Dirichlet-multinomial test (sequential_srm_test, concentration 100), flagged at p < 0.001 by the method''s test or when a variant allocated 0 has units (stray_traffic). method fixed uses the fixed-horizon tests above, valid at one look decided in advance; method sequential compares rates (as means of a 0/1 indicator) and values by sequential_test instead (experiments_internal.comparison()), always-valid confidence sequences tuned to be narrowest at tuning_n units, valid however often the results are read; the method column says which was used. confidence, correction, method and tuning_n left NULL come from the experiment''s experiment_analysis settings (set_analysis()), by default 0.95, holm, sequential and 5000.';

CREATE OR REPLACE FUNCTION experiments.results_report(experiment text,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT NULL,
	min_units bigint DEFAULT 100, correction text DEFAULT NULL, method text DEFAULT NULL,
	tuning_n bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	a record;
	r record;
	control text;
	srm text;
	srm_p float8;
	srm_shown text;
	total bigint := 0;
	variant_lines text[] := '{}';
	metric_lines text[] := '{}';
	comparisons integer := 0;
	failing text[] := '{}';
	catalog_lines text[] := '{}';
BEGIN
	SELECT * INTO x FROM experiments.experiments e
	WHERE e.key = results_report.experiment AND e.tenant_id = experiments_internal.required_tenant();
	IF NOT FOUND THEN
		RAISE EXCEPTION 'experiment "%" does not exist', experiments_internal.shown_input(results_report.experiment)
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'The caller''s tenant has no experiment with that key.',
				  HINT = 'List the tenant''s experiments in experiments.experiments.';
	END IF;
	SELECT * INTO a FROM experiments_internal.analysis(x.id, method, confidence, correction, tuning_n);
	IF EXISTS (SELECT FROM experiments.experiment_metrics em WHERE em.experiment_id = x.id) THEN
		SELECT c.failing, c.lines INTO failing, catalog_lines
		FROM experiments_internal.metric_report(x.id, since, until, a.chosen_confidence, min_units,
												a.chosen_correction, a.chosen_method, a.chosen_tuning_n) c;
	END IF;
	-- Rows come exposures first, control first: one pass builds the report.
	FOR r IN SELECT * FROM experiments.experiment_results(x.id, since, until, a.chosen_confidence, min_units,
														   a.chosen_correction, a.chosen_method, a.chosen_tuning_n) LOOP
		IF r.kind = 'exposures' THEN
			total := total + r.units;
			IF r.ordinal = 0 THEN
				control := r.variant;
			END IF;
			-- The method's sample ratio test; the sequential one says so.
			srm_p := CASE r.method WHEN 'sequential' THEN r.srm_sequential_p_value ELSE r.srm_p_value END;
			srm_shown := experiments_internal.format_p_value(srm_p) ||
				CASE r.method WHEN 'sequential' THEN ', sequential' ELSE '' END;
			srm := CASE WHEN r.stray_traffic THEN 'SAMPLE RATIO MISMATCH (units in a variant allocated 0%)'
						WHEN r.srm_mismatch THEN 'SAMPLE RATIO MISMATCH (' || srm_shown || ')'
						WHEN srm_p IS NULL THEN 'SRM not testable'
						ELSE 'no SRM (' || srm_shown || ')' END;
			variant_lines := variant_lines || format('  %s: %s units (%s of traffic, allocated %s)',
				r.variant, r.units, experiments_internal.format_percent(r.traffic_share),
				experiments_internal.format_percent(r.allocation_share));
		ELSIF r.ordinal = 0 THEN
			metric_lines := metric_lines || format('%s: %s %s',
				CASE r.kind WHEN 'revenue' THEN 'revenue (cents per unit)' ELSE r.metric END, r.variant,
				CASE r.kind WHEN 'revenue' THEN round(r.value_per_unit::numeric, 2)::text
					 ELSE format('%s (%s to %s)', experiments_internal.format_percent(r.conversion_rate),
								 experiments_internal.format_percent(r.rate_lower), experiments_internal.format_percent(r.rate_upper)) END);
		ELSE
			comparisons := comparisons + (r.rate_adjusted_p_value IS NOT NULL)::integer +
				(r.value_adjusted_p_value IS NOT NULL)::integer;
			metric_lines := metric_lines || ('  ' || experiments_internal.results_verdict(
				r.variant, control, CASE r.kind WHEN 'revenue' THEN 'revenue per unit' ELSE r.metric END,
				CASE r.kind WHEN 'revenue' THEN r.value_verdict ELSE r.rate_verdict END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lift ELSE r.rate_relative_lift END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lower ELSE r.rate_relative_lower END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_upper ELSE r.rate_relative_upper END,
				CASE r.kind WHEN 'revenue' THEN r.value_adjusted_p_value ELSE r.rate_adjusted_p_value END,
				CASE r.kind WHEN 'revenue' THEN r.value_interval_confidence ELSE r.rate_interval_confidence END)
				|| '; ' || split_part(srm, ' (', 1));
		END IF;
	END LOOP;
	RETURN array_to_string(
		format('Experiment %s (%s): %s units exposed%s', x.key, x.state, total,
			   CASE WHEN since IS NULL AND until IS NULL THEN ''
					ELSE format(' in [%s, %s)', coalesce(since::text, '-infinity'), coalesce(until::text, 'infinity')) END)
		|| failing || variant_lines || ('  ' || srm)
		|| CASE WHEN cardinality(metric_lines) > 0 THEN ARRAY[
			   format('  %s comparisons with %s+ units per arm by %s; p-values and intervals corrected by %s',
					  comparisons, min_units,
					  CASE a.chosen_method
						  WHEN 'sequential' THEN format('sequential tests (always-valid confidence sequences, narrowest at %s units)', a.chosen_tuning_n)
						  ELSE 'fixed-horizon tests' END,
					  CASE a.chosen_correction WHEN 'holm' THEN 'Holm'
						  WHEN 'bh' THEN 'Benjamini-Hochberg (intervals: Benjamini-Yekutieli)' ELSE 'none' END)]
				ELSE '{}' END
		|| metric_lines
		|| CASE WHEN cardinality(catalog_lines) > 0 THEN ARRAY['Metrics:'] || catalog_lines ELSE '{}' END, E'\n');
END;
$$;
COMMENT ON FUNCTION experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text, text, bigint) IS
'One experiment''s results of the caller''s tenant as a short text report for psql: a line per failing guardrail first (right after the first line), units per variant against allocation, sample ratio mismatch, the number of comparisons, the method (fixed-horizon or sequential tests) and the multiple-testing correction applied (min_units, confidence, correction, method and tuning_n as experiment_results() takes them: NULL for the experiment''s analysis settings), each goal''s rate in the control, and the verdict of experiment_results() in words for each variant, goal and revenue, with the relative lift, its corrected interval and the adjusted p-value ("green beats control on checkout: +10.0% (97.5% CI +8.0% to +12.0%), p < 0.001; no SRM"), then the verdicts of the metrics attached to the experiment (experiments_internal.metric_report()).';

COMMENT ON VIEW experiments.results IS
'experiment_results() of every started experiment of the caller''s tenant, each by its analysis settings (experiment_analysis: sequential tests unless an operator chose fixed): one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window or another method call experiment_results() directly.';
COMMENT ON COLUMN experiments.results.method IS
'The statistical method of the comparisons, the experiment''s experiment_analysis.method in the views: sequential (always-valid confidence sequences, valid however often the results are read; the default) or fixed (fixed-horizon tests, valid at one look decided in advance; the p-values and intervals the other columns describe); NULL never.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.method IS
'The statistical method of the comparisons, the experiment''s experiment_analysis.method in the views: sequential (always-valid confidence sequences, valid however often the results are read; the default) or fixed (fixed-horizon tests, valid at one look decided in advance; the p-values and intervals the other columns describe); NULL never.';
COMMENT ON COLUMN experiments.lift.method IS
'The statistical method of the comparisons, the experiment''s experiment_analysis.method in the views: sequential (always-valid confidence sequences, valid however often the results are read; the default) or fixed (fixed-horizon tests, valid at one look decided in advance; the p-values and intervals the other columns describe); NULL never.';

-- src/results/metric_results.sql
DROP FUNCTION experiments_internal.metric_report(bigint, timestamptz, timestamptz, float8, bigint, text);
DROP FUNCTION experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval);
CREATE FUNCTION experiments_internal.metric_comparison(method text, type text, cuped boolean,
	control_events bigint, control_count bigint, control_mean float8, control_variance float8,
	treatment_events bigint, treatment_count bigint, treatment_mean float8, treatment_variance float8,
	control_estimate float8, control_estimate_variance float8,
	treatment_estimate float8, treatment_estimate_variance float8, confidence float8, tuning_n bigint,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8, OUT p_value float8)
RETURNS record
-- in C, as comparison(): called twice per treatment, metric and slice from
-- metric_comparisons()'s query
AS 'MODULE_PATHNAME', 'metric_comparison'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION experiments_internal.metric_comparison(text, text, boolean, bigint, bigint, float8, float8, bigint, bigint, float8, float8, float8, float8, float8, float8, float8, bigint) IS
'One comparison of metric_results() at a confidence level by the method''s test: proportions (counts) and means, or with CUPED the adjusted means and variances, by experiments_internal.comparison(); ratios and quantiles from their estimates and variances by a normal z test (method fixed) or by sequential_test() on the estimates as means with the variances count x squared standard error (method sequential: the confidence sequence over the units of both arms, its p-value the same at every level), the relative interval by the delta method at the same critical value. The difference and its bounds are NULL for a ratio or quantile whose control estimate is 0; NULLs where the tests give NULLs.';

CREATE FUNCTION experiments.metric_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT NULL,
	min_units bigint DEFAULT 100, correction text DEFAULT NULL, pre_period interval DEFAULT '14 days',
	method text DEFAULT NULL, tuning_n bigint DEFAULT NULL)
RETURNS TABLE (
	experiment_id bigint, metric_id bigint, metric text, role text, type text, implicit boolean,
	higher_is_better boolean, margin float8, ordinal integer, variant text,
	units bigint, event_units bigint, estimate float8, estimate_lower float8, estimate_upper float8, cap float8,
	cuped boolean, adjusted_estimate float8, variance_reduction float8,
	difference float8, difference_lower float8, difference_upper float8,
	relative_difference float8, relative_lower float8, relative_upper float8,
	p_value float8, adjusted_p_value float8, interval_confidence float8, p_value_correction text,
	sample_sufficient boolean, verdict text, guardrail text, method text)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH cfg AS MATERIALIZED (
	SELECT a.chosen_method AS method, a.chosen_confidence AS confidence, a.chosen_correction AS correction,
		   a.chosen_tuning_n AS tuning_n
	FROM experiments_internal.analysis($1, $8, $4, $6, $9) a
), s AS MATERIALIZED (
	SELECT ms.* FROM cfg CROSS JOIN LATERAL experiments.metric_statistics($1, coalesce($2, '-infinity'),
		coalesce($3, 'infinity'), coalesce($7, '0'), cfg.confidence) ms
), defs AS (
	-- Every metric with rows, attached or implicit, with its role.
	SELECT DISTINCT ON (s.metric_id, s.metric) s.metric_id, s.metric,
		   coalesce(em.role, 'secondary') AS role, coalesce(m.type, 'proportion') AS type,
		   m.id IS NULL AS implicit, coalesce(m.higher_is_better, true) AS higher_is_better, em.margin
	FROM s
	LEFT JOIN experiments.metrics m ON m.id = s.metric_id
	LEFT JOIN experiments.experiment_metrics em ON em.metric_id = s.metric_id AND em.experiment_id = $1
), pooled AS (
	-- CUPED: one slope theta per metric, over all variants' units.
	SELECT s.metric_id,
		   (sum(s.covariate_cross_sum) - sum(s.value_sum) * sum(s.covariate_sum) / sum(s.units))
			 / nullif(sum(s.covariate_square_sum) - sum(s.covariate_sum) ^ 2 / sum(s.units), 0) AS theta,
		   sum(s.covariate_sum) / sum(s.units) AS covariate_mean
	FROM s WHERE s.covariate_sum IS NOT NULL
	GROUP BY s.metric_id
), cells AS (
	-- Every variant for every metric; variants without units count 0.
	SELECT d.*, v.ordinal, v.key AS variant, coalesce(s.units, 0) AS n, coalesce(s.event_units, 0) AS events,
		   s.value_sum AS sx, s.value_square_sum AS sxx, s.denominator_sum AS sy, s.denominator_square_sum AS syy,
		   s.cross_sum AS sxy, s.covariate_sum AS sc, s.covariate_square_sum AS scc, s.covariate_cross_sum AS sxc,
		   s.quantile_value, s.quantile_lower, s.quantile_upper, s.cap, p.theta, p.covariate_mean
	FROM defs d
	CROSS JOIN experiments.variants v
	LEFT JOIN s ON s.metric_id IS NOT DISTINCT FROM d.metric_id AND s.metric = d.metric AND s.ordinal = v.ordinal
	LEFT JOIN pooled p ON p.metric_id = d.metric_id
	WHERE v.experiment_id = $1
), moments AS (
	SELECT c.*, c.sx / nullif(c.n, 0) AS mean,
		   CASE WHEN c.n > 1 THEN greatest((c.sxx - c.sx * c.sx / c.n) / (c.n - 1), 0) END AS var_x,
		   CASE WHEN c.n > 1 THEN greatest((c.syy - c.sy * c.sy / c.n) / (c.n - 1), 0) END AS var_y,
		   CASE WHEN c.n > 1 THEN (c.sxy - c.sx * c.sy / c.n) / (c.n - 1) END AS cov_xy,
		   CASE WHEN c.n > 1 THEN greatest((c.scc - c.sc * c.sc / c.n) / (c.n - 1), 0) END AS var_c,
		   CASE WHEN c.n > 1 THEN (c.sxc - c.sx * c.sc / c.n) / (c.n - 1) END AS cov_xc,
		   c.sx / nullif(c.sy, 0) AS ratio
	FROM cells c
), estimates AS (
	-- Per variant: the estimate, its interval, and for the comparisons its
	-- variance (ratio: delta method; quantile: from the order-statistic
	-- interval) or CUPED-adjusted mean and variance.
	SELECT mo.*,
		   mo.theta IS NOT NULL AS cuped,
		   CASE WHEN mo.theta IS NOT NULL THEN mo.mean - mo.theta * (mo.sc / nullif(mo.n, 0) - mo.covariate_mean) END AS adjusted_mean,
		   CASE WHEN mo.theta IS NOT NULL THEN greatest(mo.var_x - 2 * mo.theta * mo.cov_xc + mo.theta ^ 2 * mo.var_c, 0) END AS adjusted_var,
		   CASE mo.type WHEN 'ratio' THEN (mo.var_x - 2 * mo.ratio * mo.cov_xy + mo.ratio ^ 2 * mo.var_y)
											/ nullif(mo.n * (mo.sy / mo.n) ^ 2, 0)
						WHEN 'quantile' THEN ((mo.quantile_upper - mo.quantile_lower)
											  / (2 * experiments.normal_quantile(1 - (1 - cfg.confidence) / 2))) ^ 2 END AS estimate_var,
		   CASE mo.type WHEN 'ratio' THEN mo.ratio WHEN 'quantile' THEN mo.quantile_value
						WHEN 'proportion' THEN mo.events / nullif(mo.n, 0)::float8 ELSE mo.mean END AS estimate
	FROM moments mo
	CROSS JOIN cfg
), pairs AS (
	-- Each variant beside its control, and the minimum-sample rule of
	-- experiment_results(): min_units units in both arms; for proportions
	-- without CUPED also 5 expected conversions and non-conversions per arm.
	SELECT e.*, c.n AS c_n, c.events AS c_events, c.estimate AS c_estimate, c.estimate_var AS c_estimate_var,
		   c.mean AS c_mean, c.var_x AS c_var_x, c.adjusted_mean AS c_adjusted_mean, c.adjusted_var AS c_adjusted_var,
		   CASE WHEN e.ordinal <> 0 THEN e.n >= $5 AND c.n >= $5
				AND (e.type <> 'proportion' OR e.cuped OR
					 least(e.n, c.n) * least(e.events + c.events, e.n + c.n - e.events - c.events)::float8
					 >= 5 * nullif(e.n + c.n, 0)) END AS sufficient
	FROM estimates e
	LEFT JOIN estimates c ON c.metric_id IS NOT DISTINCT FROM e.metric_id AND c.metric = e.metric AND c.ordinal = 0
), raw AS (
	-- The p-value of each comparison, from the test its interval comes from.
	SELECT p.*, t.p_value AS raw_p_value
	FROM pairs p
	CROSS JOIN cfg
	LEFT JOIN LATERAL experiments_internal.metric_comparison(cfg.method, p.type, p.cuped, p.c_events, p.c_n,
		CASE WHEN p.cuped THEN p.c_adjusted_mean ELSE p.c_mean END, CASE WHEN p.cuped THEN p.c_adjusted_var ELSE p.c_var_x END,
		p.events, p.n, CASE WHEN p.cuped THEN p.adjusted_mean ELSE p.mean END,
		CASE WHEN p.cuped THEN p.adjusted_var ELSE p.var_x END, p.c_estimate, p.c_estimate_var, p.estimate,
		p.estimate_var, cfg.confidence, cfg.tuning_n) t ON p.ordinal <> 0
), tests AS (
	-- The family corrected for multiple testing: every comparison with a
	-- p-value and a sufficient sample, across variants and metrics.
	SELECT row_number() OVER (ORDER BY r.metric_id NULLS LAST, r.metric, r.ordinal) AS member,
		   r.metric_id, r.metric, r.ordinal, CASE WHEN r.sufficient THEN r.raw_p_value END AS p_value
	FROM raw r WHERE r.sufficient IS NOT NULL
), corrected AS (
	SELECT tests.metric_id, tests.metric, tests.ordinal, u.adjusted, u.level
	FROM (SELECT (experiments.multiple_testing(coalesce(array_agg(tests.p_value ORDER BY tests.member), '{}'),
											   (SELECT cfg.correction FROM cfg), (SELECT cfg.confidence FROM cfg))).*
		  FROM tests) f
	CROSS JOIN LATERAL unnest(f.adjusted_p_values, f.confidences) WITH ORDINALITY AS u(adjusted, level, member)
	JOIN tests ON tests.member = u.member
), compared AS (
	-- The comparisons at their corrected levels, by the same tests.
	SELECT r.*, k.adjusted, coalesce(k.level, cfg.confidence) AS level,
		   cmp.difference AS d, cmp.difference_lower AS d_lower, cmp.difference_upper AS d_upper,
		   cmp.relative_difference AS rel, cmp.relative_lower AS rel_lower, cmp.relative_upper AS rel_upper
	FROM raw r
	CROSS JOIN cfg
	LEFT JOIN corrected k ON k.metric_id IS NOT DISTINCT FROM r.metric_id AND k.metric = r.metric AND k.ordinal = r.ordinal
	LEFT JOIN LATERAL experiments_internal.metric_comparison(cfg.method, r.type, r.cuped, r.c_events, r.c_n,
		CASE WHEN r.cuped THEN r.c_adjusted_mean ELSE r.c_mean END, CASE WHEN r.cuped THEN r.c_adjusted_var ELSE r.c_var_x END,
		r.events, r.n, CASE WHEN r.cuped THEN r.adjusted_mean ELSE r.mean END,
		CASE WHEN r.cuped THEN r.adjusted_var ELSE r.var_x END, r.c_estimate, r.c_estimate_var, r.estimate,
		r.estimate_var, coalesce(k.level, cfg.confidence), cfg.tuning_n) cmp ON r.ordinal <> 0
)
SELECT $1, c.metric_id, c.metric, c.role, c.type, c.implicit, c.higher_is_better, c.margin, c.ordinal, c.variant,
	   c.n, c.events, c.estimate,
	   CASE c.type WHEN 'proportion' THEN w.lower
				   WHEN 'mean' THEN c.mean - experiments.student_t_quantile(1 - (1 - cfg.confidence) / 2, c.n - 1) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio - experiments.normal_quantile(1 - (1 - cfg.confidence) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_lower END,
	   CASE c.type WHEN 'proportion' THEN w.upper
				   WHEN 'mean' THEN c.mean + experiments.student_t_quantile(1 - (1 - cfg.confidence) / 2, c.n - 1) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio + experiments.normal_quantile(1 - (1 - cfg.confidence) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_upper END,
	   c.cap, c.cuped,
	   CASE WHEN c.cuped THEN c.adjusted_mean END,
	   CASE WHEN c.cuped THEN 1 - c.adjusted_var / nullif(c.var_x, 0) END,
	   c.d, c.d_lower, c.d_upper, c.rel, c.rel_lower, c.rel_upper,
	   c.raw_p_value, c.adjusted,
	   CASE WHEN c.d IS NOT NULL THEN c.level END,
	   CASE WHEN c.sufficient IS NOT NULL THEN cfg.correction END,
	   c.sufficient,
	   experiments_internal.metric_verdict(c.sufficient, c.adjusted, 1 - cfg.confidence, c.d, c.higher_is_better),
	   CASE WHEN c.role = 'guardrail' AND c.ordinal <> 0
			THEN experiments_internal.guardrail_status(c.sufficient, c.margin, c.rel_lower, c.rel_upper, c.higher_is_better) END,
	   cfg.method
FROM compared c
CROSS JOIN cfg
CROSS JOIN LATERAL experiments.wilson_interval(CASE WHEN c.type = 'proportion' THEN c.events END, c.n, cfg.confidence) w
ORDER BY c.role = 'guardrail' DESC, c.role = 'primary' DESC, c.implicit, c.metric_id, c.metric, c.ordinal
$$;
COMMENT ON FUNCTION experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint) IS
'Results of one experiment per metric and variant, over exposures in [since, until) (NULL: unbounded): the metrics attached to it (experiment_metrics, with their role, type, direction and guardrail margin) and, as implicit secondary proportion metrics, the goals no metric of the tenant reads (metric_statistics()). Per variant: units, units with events, the estimate (proportion: share of units with an event, Wilson interval; mean: value per exposed unit, t interval; ratio: numerator sum over denominator sum, delta-method normal interval; quantile: the quantile of the units with events, order-statistic interval) and the cap applied. Against the control (ordinal 0): the difference, relative difference, their intervals and p-value from one test: with CUPED (proportion and mean metrics when pre_period, default 14 days, gives a covariate with variance: the mean adjusted by theta times the covariate''s deviation from its pooled mean, theta pooled over all variants; variance_reduction is 1 - adjusted variance / variance) Welch''s t on the adjusted means; otherwise the Miettinen-Nurminen score test (proportions), Welch''s t with Fieller''s relative interval (means), or a z test on the delta-method variances (ratios) or on the variances the order-statistic intervals imply (quantiles), relative by the delta method. The comparisons with min_units units in both arms (and for proportions without CUPED 5 expected conversions and non-conversions) form one family across variants and metrics, corrected by correction (holm, bh or none) as in experiment_results(); under method sequential every comparison is an always-valid confidence sequence instead (experiments_internal.metric_comparison(), tuned at tuning_n units), and the method column says which was used; confidence, correction, method and tuning_n left NULL come from the experiment''s analysis settings (experiment_analysis); verdicts in the metric''s good direction; guardrails pass or fail by their non-inferiority margin on the corrected relative interval. Rows come guardrails first, then primary, secondary and implicit metrics.';

CREATE FUNCTION experiments_internal.metric_report(experiment_id bigint, since timestamptz, until timestamptz,
	confidence float8, min_units bigint, correction text, method text, tuning_n bigint,
	OUT failing text[], OUT lines text[])
RETURNS record
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	WITH r AS (
		SELECT r.*, first_value(r.variant) OVER (PARTITION BY r.metric_id, r.metric ORDER BY r.ordinal) AS control
		FROM experiments.metric_results($1, $2, $3, $4, $5, $6, method => $7, tuning_n => $8) r
	)
	SELECT coalesce(array_agg(format('  FAILING GUARDRAIL %s: %s %s against %s (%s CI %s to %s), margin %s',
					r.metric, r.variant, experiments_internal.format_percent(r.relative_difference, true), r.control,
					coalesce(round((r.interval_confidence * 100)::numeric, 2)::float8::text || '%', 'n/a'),
					experiments_internal.format_percent(r.relative_lower, true),
					experiments_internal.format_percent(r.relative_upper, true),
					experiments_internal.format_percent(CASE WHEN r.higher_is_better THEN -r.margin ELSE r.margin END, true))
				ORDER BY r.metric, r.ordinal)
				FILTER (WHERE r.guardrail = 'fail'), '{}'),
		   coalesce(array_agg(format('  [%s] %s', r.role, experiments_internal.results_verdict(
					r.variant, r.control, r.metric, r.verdict, r.relative_difference, r.relative_lower,
					r.relative_upper, r.adjusted_p_value, r.interval_confidence))
					|| CASE WHEN r.guardrail IS NOT NULL THEN '; guardrail ' || r.guardrail ELSE '' END
					|| CASE WHEN r.cuped THEN format('; CUPED, variance %s', experiments_internal.format_percent(-r.variance_reduction, true)) ELSE '' END
				ORDER BY r.role = 'guardrail' DESC, r.role = 'primary' DESC, r.metric, r.ordinal)
				FILTER (WHERE r.ordinal <> 0 AND NOT r.implicit), '{}')
	FROM r
$$;
COMMENT ON FUNCTION experiments_internal.metric_report(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint) IS
'The lines results_report() prints of the metrics attached to an experiment (metric_results()): failing, one line per guardrail that fails its non-inferiority margin in a treatment (printed first), and lines, each treatment''s verdict per metric with its role, guardrail status and CUPED variance change.';

-- src/http/page.sql
CREATE OR REPLACE FUNCTION experiments_internal.results_series(experiment_id bigint, confidence float8 DEFAULT NULL)
RETURNS TABLE (kind text, metric text, ordinal integer, variant text, day date,
			   new_units bigint, units bigint, converting_units bigint,
			   relative_lift float8, relative_lower float8, relative_upper float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH cfg AS MATERIALIZED (
	SELECT * FROM experiments_internal.analysis($1, NULL, $2, NULL, NULL)
), m AS MATERIALIZED (
	SELECT * FROM experiments.daily_metrics($1, '-infinity', 'infinity')
), exposed AS (
	SELECT d.day, v.ordinal, v.key, coalesce(m.units, 0)::bigint AS new_units,
		   sum(coalesce(m.units, 0)) OVER (PARTITION BY v.ordinal ORDER BY d.day)::bigint AS units
	FROM (SELECT DISTINCT m.day FROM m) d
	CROSS JOIN experiments.variants v
	LEFT JOIN m ON m.kind = 'exposures' AND m.day = d.day AND m.ordinal = v.ordinal
	WHERE v.experiment_id = $1
), cumulative AS (
	SELECT k.kind, k.metric, e.day, e.ordinal, e.key, e.new_units, e.units,
		   sum(coalesce(c.units, 0)) OVER (PARTITION BY k.kind, k.metric, e.ordinal ORDER BY e.day)::bigint AS converting
	FROM (SELECT DISTINCT m.kind, m.metric FROM m WHERE m.kind <> 'exposures') k
	CROSS JOIN exposed e
	LEFT JOIN m c ON c.kind = k.kind AND c.metric = k.metric AND c.day = e.day AND c.ordinal = e.ordinal
), compared AS (
	SELECT c.*,
		   max(c.converting) FILTER (WHERE c.ordinal = 0) OVER (PARTITION BY c.kind, c.metric, c.day) AS control_converting,
		   max(c.units) FILTER (WHERE c.ordinal = 0) OVER (PARTITION BY c.kind, c.metric, c.day) AS control_units
	FROM cumulative c
)
SELECT 'exposures', NULL, e.ordinal, e.key, e.day, e.new_units, e.units, NULL, NULL, NULL, NULL
FROM exposed e
UNION ALL
SELECT c.kind, c.metric, c.ordinal, c.key, c.day, c.new_units, c.units, c.converting,
	   z.relative_difference, z.relative_lower, z.relative_upper
FROM compared c
CROSS JOIN cfg
LEFT JOIN LATERAL experiments_internal.comparison(cfg.chosen_method, 'rate', c.control_converting, NULL, NULL,
	c.control_units, c.converting, NULL, NULL, c.units, cfg.chosen_confidence, cfg.chosen_tuning_n) z ON c.ordinal <> 0
$$;
COMMENT ON FUNCTION experiments_internal.results_series(bigint, float8) IS
'Daily series of an experiment''s charts, from one daily_metrics() call: per UTC day and variant, units first exposed that day and cumulatively (kind exposures), and per metric the cumulative converting units with, for variants other than the control, the relative rate lift and its interval on the day''s cumulative counts from experiments_internal.comparison() by the experiment''s method (the comparison experiment_results() makes on all of them); confidence NULL is the experiment''s analysis setting.';

CREATE OR REPLACE FUNCTION experiments_api.metric_results(experiment text, since timestamptz DEFAULT NULL,
	until timestamptz DEFAULT NULL, correction text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	IF correction NOT IN ('holm', 'bh', 'none') THEN
		PERFORM experiments_internal.raise_api_error(400, format('correction "%s" does not exist: ask for holm, bh or none.',
			left(correction, 64)));
	END IF;
	RETURN (SELECT coalesce(jsonb_agg(to_jsonb(r)), '[]')
			FROM experiments.metric_results(experiments_internal.page_experiment_id(experiment), since, until,
											correction => metric_results.correction) r);
END;
$$;
ALTER FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text) IS
'GET /rpc/metric_results?experiment=KEY[&since=&until=&correction=holm|bh|none]: the experiment''s results per metric (experiments.metric_results()) as a JSON array, one object per metric and variant, guardrails first, by the experiment''s analysis settings (experiment_analysis; correction, when given, wins). For analysts; 404 for an unknown experiment, 400 for another correction.';

CREATE OR REPLACE FUNCTION experiments_api.results_page(experiment text)
RETURNS experiments_api."text/html"
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	results jsonb;
	series jsonb;
	control text;
	verdicts text := '';
	tables text := '';
	srm text;
	method_line text;
	m record;
	catalog_failing text;
	catalog_tables text;
BEGIN
	PERFORM experiments_internal.authorize();
	SELECT * INTO x FROM experiments.experiments e WHERE e.id = experiments_internal.page_experiment_id(experiment);
	SELECT jsonb_agg(to_jsonb(r)) INTO results FROM experiments.experiment_results(x.id) r;
	SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') INTO series FROM experiments_internal.results_series(x.id) s;
	IF EXISTS (SELECT FROM experiments.experiment_metrics em WHERE em.experiment_id = x.id) THEN
		SELECT h.failing, h.tables INTO catalog_failing, catalog_tables FROM experiments_internal.metrics_page_html(x.id) h;
	END IF;
	SELECT r ->> 'variant',
		   CASE WHEN (r ->> 'stray_traffic')::boolean THEN 'Sample ratio mismatch: a variant allocated 0% has units. Do not trust these results.'
				WHEN (r ->> 'srm_mismatch')::boolean THEN 'Sample ratio mismatch (' || srm_p || '): the traffic split differs from the allocation. Do not trust these results.'
				WHEN srm_p IS NULL THEN 'The sample ratio cannot be tested yet.'
				ELSE 'The traffic split matches the allocation (' || srm_p || ').' END,
		   CASE r ->> 'method' WHEN 'sequential' THEN 'Sequential tests: always-valid confidence sequences, valid however often these results are read.'
				ELSE 'Fixed-horizon tests: valid at one look decided in advance.' END
	INTO control, srm, method_line
	FROM jsonb_array_elements(results) r
	-- The method's sample ratio test, the sequential one saying so.
	CROSS JOIN LATERAL (SELECT CASE WHEN q.p IS NOT NULL THEN experiments_internal.format_p_value(q.p)
			|| CASE WHEN r ->> 'method' = 'sequential' THEN ', sequential' ELSE '' END END AS srm_p
		FROM (SELECT (r ->> CASE r ->> 'method' WHEN 'sequential' THEN 'srm_sequential_p_value' ELSE 'srm_p_value' END)::float8 AS p) q) t
	WHERE r ->> 'kind' = 'exposures' AND (r ->> 'ordinal')::integer = 0;
	-- Per metric: its verdicts, its table and its lift chart.
	FOR m IN SELECT DISTINCT r ->> 'kind' AS kind, r ->> 'metric' AS metric
			 FROM jsonb_array_elements(results) r WHERE r ->> 'kind' <> 'exposures' ORDER BY 1, 2 LOOP
		verdicts := verdicts || coalesce((
			SELECT string_agg('<li>' || experiments_internal.html_escape(experiments_internal.results_verdict(
						r ->> 'variant', control, m.metric || ' (conversion rate)', r ->> 'rate_verdict',
						(r ->> 'rate_relative_lift')::float8, (r ->> 'rate_relative_lower')::float8,
						(r ->> 'rate_relative_upper')::float8, (r ->> 'rate_adjusted_p_value')::float8,
						(r ->> 'rate_interval_confidence')::float8)) || '</li>',
					'' ORDER BY (r ->> 'ordinal')::integer)
			FROM jsonb_array_elements(results) r
			WHERE r ->> 'kind' = m.kind AND r ->> 'metric' = m.metric AND (r ->> 'ordinal')::integer <> 0), '');
		tables := tables || format('<section class="metric" data-metric="%s"><h2>%s</h2><div class="scroll"><table><thead><tr>'
			'<th>Variant</th><th>Units</th><th>Converting</th><th>Rate (95%% CI)</th><th>Relative lift (CI corrected for multiple testing)</th><th>p-value (uncorrected)</th>%s'
			'</tr></thead><tbody>', experiments_internal.html_escape(m.metric), experiments_internal.html_escape(m.metric),
			CASE WHEN m.kind = 'revenue' THEN '<th>Value per unit</th>' ELSE '' END)
			|| (SELECT string_agg(format('<tr data-variant="%s"><th scope="row">%s</th>'
					'<td data-field="units" data-value="%s">%s</td><td data-field="converting_units" data-value="%s">%s</td>'
					'<td data-field="conversion_rate" data-value="%s" data-lower="%s" data-upper="%s">%s <span class="ci">(%s to %s)</span></td>'
					'<td data-field="rate_relative_lift" data-value="%s" data-lower="%s" data-upper="%s">%s</td>'
					'<td data-field="rate_p_value" data-value="%s">%s</td>%s</tr>',
					experiments_internal.html_escape(r ->> 'variant'), experiments_internal.html_escape(r ->> 'variant'),
					r ->> 'units', r ->> 'units', r ->> 'converting_units', r ->> 'converting_units',
					r ->> 'conversion_rate', r ->> 'rate_lower', r ->> 'rate_upper',
					experiments_internal.format_percent((r ->> 'conversion_rate')::float8),
					experiments_internal.format_percent((r ->> 'rate_lower')::float8),
					experiments_internal.format_percent((r ->> 'rate_upper')::float8),
					r ->> 'rate_relative_lift', r ->> 'rate_relative_lower', r ->> 'rate_relative_upper',
					CASE WHEN (r ->> 'ordinal')::integer = 0 THEN 'control'
						 ELSE experiments_internal.format_percent((r ->> 'rate_relative_lift')::float8, true)
							  || ' <span class="ci">(' || experiments_internal.format_percent((r ->> 'rate_relative_lower')::float8, true)
							  || ' to ' || experiments_internal.format_percent((r ->> 'rate_relative_upper')::float8, true) || ')</span>' END,
					r ->> 'rate_p_value',
					CASE WHEN (r ->> 'ordinal')::integer = 0 THEN '' ELSE experiments_internal.format_p_value((r ->> 'rate_p_value')::float8) END,
					CASE WHEN m.kind = 'revenue' THEN format('<td data-field="value_per_unit" data-value="%s">%s</td>',
						r ->> 'value_per_unit', round((r ->> 'value_per_unit')::numeric, 2)) ELSE '' END),
				'' ORDER BY (r ->> 'ordinal')::integer)
				FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = m.kind AND r ->> 'metric' = m.metric)
			|| '</tbody></table></div><figure class="lift">'
			|| experiments_internal.results_chart_svg('lift', m.metric, results, series)
			|| '</figure></section>';
	END LOOP;
	RETURN '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
		|| '<meta name="viewport" content="width=device-width, initial-scale=1">'
		|| '<title>Results: ' || experiments_internal.html_escape(x.key) || '</title><style>'
		|| 'body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#212529;background:#f8f9fa}'
		|| 'main{max-width:960px;margin:0 auto;padding:16px}h1{font-size:1.5em;margin:.2em 0;overflow-wrap:anywhere}'
		|| 'h2{font-size:1.15em;margin:1.2em 0 .4em;overflow-wrap:anywhere}section{background:#fff;border-radius:8px;padding:12px 16px;margin:12px 0}'
		|| '.verdict li{margin:.3em 0}.warn{color:#c92a2a;font-weight:600}.scroll{overflow-x:auto}'
		|| 'table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:4px 8px;text-align:right;white-space:nowrap;border-bottom:1px solid #dee2e6}'
		|| 'th:first-child{text-align:left}.ci{color:#868e96;font-size:.9em}figure{margin:12px 0 0}'
		|| 'svg.chart{display:block;max-width:100%;height:auto}.chart-title{font-weight:600;font-size:13px}'
		|| '.tick,.legend{font-size:11px;fill:#495057}.axis{stroke:#495057}.grid{stroke:#e9ecef}'
		|| '.series{fill:none;stroke-width:2}.band{opacity:.18}'
		|| '@media (max-width:600px){main{padding:8px}section{padding:8px}th,td{padding:3px 4px;font-size:13px}}'
		|| '</style></head><body><main>'
		|| format('<h1>Experiment %s</h1><p>%s, %s units exposed.</p>', experiments_internal.html_escape(x.key), x.state,
				  (SELECT coalesce(sum((r ->> 'units')::bigint), 0) FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = 'exposures'))
		|| '<section class="verdict"><h2>Verdict</h2><p class="srm' || CASE WHEN srm LIKE 'Sample ratio mismatch%' THEN ' warn' ELSE '' END || '">'
		|| experiments_internal.html_escape(srm) || '</p><p class="method">' || method_line || '</p><ul>' || coalesce(catalog_failing, '') || verdicts || '</ul></section>'
		|| coalesce(catalog_tables, '') || tables
		|| '<section class="units"><h2>Units per variant per day</h2><figure>'
		|| experiments_internal.results_chart_svg('units', NULL, results, series) || '</figure></section>'
		|| '<section class="srm-chart"><h2>Sample ratio</h2><figure>'
		|| experiments_internal.results_chart_svg('srm', NULL, results, series) || '</figure></section>'
		|| '</main></body></html>';
END;
$$;
ALTER FUNCTION experiments_api.results_page(text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.results_page(text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.results_page(text) IS
'GET /rpc/results_page?experiment=KEY with Accept: text/html: the experiment''s results as a self-contained page (inline CSS and SVG, no script): the verdict in words (sample ratio by the method''s test, the method of the experiment''s analysis settings, then each treatment against the control per metric), a table per metric (units, rate with its interval, relative lift with its interval, p-value, from experiment_results()), the cumulative relative lift per day with its interval, units per variant per day and the sample ratio chart; with metrics attached to the experiment, its failing guardrails first in the verdict and a table per attached metric (experiments_internal.metrics_page_html()). For analysts.';

-- src/core/privileges.sql (analysis settings)
REVOKE EXECUTE ON FUNCTION
	experiments_internal.analysis(bigint, text, float8, text, bigint),
	experiments_internal.comparison(text, text, bigint, float8, float8, bigint, bigint, float8, float8, bigint, float8, bigint),
	experiments_internal.metric_comparison(text, text, boolean, bigint, bigint, float8, float8, bigint, bigint, float8, float8, float8, float8, float8, float8, float8, bigint),
	experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint),
	experiments_internal.metric_report(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments_internal.analysis(bigint, text, float8, text, bigint),
	experiments_internal.comparison(text, text, bigint, float8, float8, bigint, bigint, float8, float8, bigint, float8, bigint),
	experiments_internal.metric_comparison(text, text, boolean, bigint, bigint, float8, float8, bigint, bigint, float8, float8, float8, float8, float8, float8, float8, bigint),
	experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint),
	experiments_internal.metric_report(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint)
	TO experiments_api_owner, experiments_analyst;
ALTER FUNCTION experiments.set_analysis(text, text, float8, text, bigint) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments.set_analysis(text, text, float8, text, bigint) TO experiments_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON experiments.experiment_analysis TO experiments_api_owner;
GRANT SELECT ON experiments.experiment_analysis TO experiments_analyst, experiments_admin;

-- 0.2.0: breakdowns (issue #20). metric_statistics() takes a breakdown
-- attribute and max_slices and returns each row's slice and slice_value;
-- experiments_internal.metric_comparisons() is the body of metric_results()
-- (the same rows) and of the new metric_breakdown(), results per slice of a
-- unit attribute corrected as one family; GET /rpc/metric_breakdown serves it.
DROP FUNCTION experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8);
CREATE FUNCTION experiments.metric_statistics(experiment_id bigint, since timestamptz, until timestamptz,
	pre_period interval, confidence float8, breakdown text DEFAULT NULL, max_slices integer DEFAULT 10)
RETURNS TABLE (metric_id bigint, metric text, ordinal integer, units bigint, event_units bigint,
			   value_sum float8, value_square_sum float8,
			   denominator_event_units bigint, denominator_sum float8, denominator_square_sum float8, cross_sum float8,
			   covariate_sum float8, covariate_square_sum float8, covariate_cross_sum float8,
			   quantile_value float8, quantile_lower float8, quantile_upper float8, cap float8,
			   slice integer, slice_value text)
AS 'MODULE_PATHNAME', 'metric_statistics'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
-- as daily_metrics(): compiling its queries costs more than it saves
SET jit = off;
COMMENT ON FUNCTION experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8, text, integer) IS
'Per metric attached to the experiment (experiment_metrics) and variant, over the units first exposed in [since, until) (in the variant of their first exposure): units, event_units (units with an event in the metric''s conversion window after their first exposure, before until), the sum and sum of squares of the per-unit values (1 or 0 for a proportion; the count or sum of the events in the window for a mean, ratio part or quantile, capped at cap: the absolute cap, or the cap_value quantile of the values of the units with events, all variants pooled), for a ratio the denominator''s event units, sum and sum of squares and the sum of numerator times denominator; for proportion and mean metrics when pre_period is positive the CUPED covariate''s sum, sum of squares and sum of value times covariate (the same metric, counted and capped alike, from the events in the pre_period before each unit''s first exposure); for a quantile metric its quantile of the values of the units with events (linear interpolation, numpy''s default) and the order statistics at ranks floor(np - z sqrt(np(1-p))) and ceil(np + z sqrt(np(1-p))) (1-based, within 1..n; z the normal critical value at confidence). Windows and pre_period are exact durations (a day is 24 hours, a month 30 days). Goals that no metric of the tenant reads follow as implicit proportion metrics (metric_id NULL, metric the goal), counted as experiment_results() counts them. Without a breakdown (NULL) slice is 0 and slice_value NULL. With one, the rows are per slice too: a unit''s value of the attribute breakdown is the latest set on it (attribute_events of its unit type, set_at at or before its first exposure; on a tie of times the greatest value in byte order), a JSON string''s text or another value''s JSON text; slice 0 holds the units without one (none set by then, or JSON null), slices 1 to n (slice_value the value) the max_slices (1 to 100) values with the most units in descending order (ties in byte order), slice n + 1 every other value; caps and the rest are as without a breakdown. NULL in any other argument returns no rows.';

-- The body of metric_results() and metric_breakdown(): the comparisons of
-- every slice (one, 0, without a breakdown), metric and variant, corrected
-- as one family.
CREATE FUNCTION experiments_internal.metric_comparisons(experiment_id bigint,
	since timestamptz, until timestamptz, confidence float8, min_units bigint, correction text,
	pre_period interval, method text, tuning_n bigint, breakdown text, max_slices integer)
RETURNS TABLE (
	experiment_id bigint, metric_id bigint, metric text, role text, type text, implicit boolean,
	higher_is_better boolean, margin float8, ordinal integer, variant text,
	units bigint, event_units bigint, estimate float8, estimate_lower float8, estimate_upper float8, cap float8,
	cuped boolean, adjusted_estimate float8, variance_reduction float8,
	difference float8, difference_lower float8, difference_upper float8,
	relative_difference float8, relative_lower float8, relative_upper float8,
	p_value float8, adjusted_p_value float8, interval_confidence float8, p_value_correction text,
	sample_sufficient boolean, verdict text, guardrail text, method text, slice integer, slice_value text)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH cfg AS MATERIALIZED (
	SELECT a.chosen_method AS method, a.chosen_confidence AS confidence, a.chosen_correction AS correction,
		   a.chosen_tuning_n AS tuning_n
	FROM experiments_internal.analysis($1, $8, $4, $6, $9) a
), s AS MATERIALIZED (
	SELECT ms.* FROM cfg CROSS JOIN LATERAL experiments.metric_statistics($1, coalesce($2, '-infinity'),
		coalesce($3, 'infinity'), coalesce($7, '0'), cfg.confidence, $10, $11) ms
), defs AS (
	-- Every metric with rows in a slice, attached or implicit, with its role.
	SELECT DISTINCT ON (s.slice, s.metric_id, s.metric) s.slice, s.slice_value, s.metric_id, s.metric,
		   coalesce(em.role, 'secondary') AS role, coalesce(m.type, 'proportion') AS type,
		   m.id IS NULL AS implicit, coalesce(m.higher_is_better, true) AS higher_is_better, em.margin
	FROM s
	LEFT JOIN experiments.metrics m ON m.id = s.metric_id
	LEFT JOIN experiments.experiment_metrics em ON em.metric_id = s.metric_id AND em.experiment_id = $1
), pooled AS (
	-- CUPED: one slope theta per slice and metric, over all variants' units.
	SELECT s.slice, s.metric_id,
		   (sum(s.covariate_cross_sum) - sum(s.value_sum) * sum(s.covariate_sum) / sum(s.units))
			 / nullif(sum(s.covariate_square_sum) - sum(s.covariate_sum) ^ 2 / sum(s.units), 0) AS theta,
		   sum(s.covariate_sum) / sum(s.units) AS covariate_mean
	FROM s WHERE s.covariate_sum IS NOT NULL
	GROUP BY s.slice, s.metric_id
), cells AS (
	-- Every variant for every metric; variants without units count 0.
	SELECT d.*, v.ordinal, v.key AS variant, coalesce(s.units, 0) AS n, coalesce(s.event_units, 0) AS events,
		   s.value_sum AS sx, s.value_square_sum AS sxx, s.denominator_sum AS sy, s.denominator_square_sum AS syy,
		   s.cross_sum AS sxy, s.covariate_sum AS sc, s.covariate_square_sum AS scc, s.covariate_cross_sum AS sxc,
		   s.quantile_value, s.quantile_lower, s.quantile_upper, s.cap, p.theta, p.covariate_mean
	FROM defs d
	CROSS JOIN experiments.variants v
	LEFT JOIN s ON s.slice = d.slice AND s.metric_id IS NOT DISTINCT FROM d.metric_id AND s.metric = d.metric
				   AND s.ordinal = v.ordinal
	LEFT JOIN pooled p ON p.slice = d.slice AND p.metric_id = d.metric_id
	WHERE v.experiment_id = $1
), moments AS (
	SELECT c.*, c.sx / nullif(c.n, 0) AS mean,
		   CASE WHEN c.n > 1 THEN greatest((c.sxx - c.sx * c.sx / c.n) / (c.n - 1), 0) END AS var_x,
		   CASE WHEN c.n > 1 THEN greatest((c.syy - c.sy * c.sy / c.n) / (c.n - 1), 0) END AS var_y,
		   CASE WHEN c.n > 1 THEN (c.sxy - c.sx * c.sy / c.n) / (c.n - 1) END AS cov_xy,
		   CASE WHEN c.n > 1 THEN greatest((c.scc - c.sc * c.sc / c.n) / (c.n - 1), 0) END AS var_c,
		   CASE WHEN c.n > 1 THEN (c.sxc - c.sx * c.sc / c.n) / (c.n - 1) END AS cov_xc,
		   c.sx / nullif(c.sy, 0) AS ratio
	FROM cells c
), estimates AS (
	-- Per variant: the estimate, its interval, and for the comparisons its
	-- variance (ratio: delta method; quantile: from the order-statistic
	-- interval) or CUPED-adjusted mean and variance.
	SELECT mo.*,
		   mo.theta IS NOT NULL AS cuped,
		   CASE WHEN mo.theta IS NOT NULL THEN mo.mean - mo.theta * (mo.sc / nullif(mo.n, 0) - mo.covariate_mean) END AS adjusted_mean,
		   CASE WHEN mo.theta IS NOT NULL THEN greatest(mo.var_x - 2 * mo.theta * mo.cov_xc + mo.theta ^ 2 * mo.var_c, 0) END AS adjusted_var,
		   CASE mo.type WHEN 'ratio' THEN (mo.var_x - 2 * mo.ratio * mo.cov_xy + mo.ratio ^ 2 * mo.var_y)
											/ nullif(mo.n * (mo.sy / mo.n) ^ 2, 0)
						WHEN 'quantile' THEN ((mo.quantile_upper - mo.quantile_lower)
											  / (2 * experiments.normal_quantile(1 - (1 - cfg.confidence) / 2))) ^ 2 END AS estimate_var,
		   CASE mo.type WHEN 'ratio' THEN mo.ratio WHEN 'quantile' THEN mo.quantile_value
						WHEN 'proportion' THEN mo.events / nullif(mo.n, 0)::float8 ELSE mo.mean END AS estimate
	FROM moments mo
	CROSS JOIN cfg
), pairs AS (
	-- Each variant beside its control, and the minimum-sample rule of
	-- experiment_results(): min_units units in both arms; for proportions
	-- without CUPED also 5 expected conversions and non-conversions per arm.
	SELECT e.*, c.n AS c_n, c.events AS c_events, c.estimate AS c_estimate, c.estimate_var AS c_estimate_var,
		   c.mean AS c_mean, c.var_x AS c_var_x, c.adjusted_mean AS c_adjusted_mean, c.adjusted_var AS c_adjusted_var,
		   CASE WHEN e.ordinal <> 0 THEN e.n >= $5 AND c.n >= $5
				AND (e.type <> 'proportion' OR e.cuped OR
					 least(e.n, c.n) * least(e.events + c.events, e.n + c.n - e.events - c.events)::float8
					 >= 5 * nullif(e.n + c.n, 0)) END AS sufficient
	FROM estimates e
	LEFT JOIN estimates c ON c.slice = e.slice AND c.metric_id IS NOT DISTINCT FROM e.metric_id AND c.metric = e.metric
							 AND c.ordinal = 0
), raw AS (
	-- The p-value of each comparison, from the test its interval comes from.
	SELECT p.*, t.p_value AS raw_p_value
	FROM pairs p
	CROSS JOIN cfg
	LEFT JOIN LATERAL experiments_internal.metric_comparison(cfg.method, p.type, p.cuped, p.c_events, p.c_n,
		CASE WHEN p.cuped THEN p.c_adjusted_mean ELSE p.c_mean END, CASE WHEN p.cuped THEN p.c_adjusted_var ELSE p.c_var_x END,
		p.events, p.n, CASE WHEN p.cuped THEN p.adjusted_mean ELSE p.mean END,
		CASE WHEN p.cuped THEN p.adjusted_var ELSE p.var_x END, p.c_estimate, p.c_estimate_var, p.estimate,
		p.estimate_var, cfg.confidence, cfg.tuning_n) t ON p.ordinal <> 0
), tests AS (
	-- The family corrected for multiple testing: every comparison with a
	-- p-value and a sufficient sample, across slices, variants and metrics.
	SELECT row_number() OVER (ORDER BY r.slice, r.metric_id NULLS LAST, r.metric, r.ordinal) AS member,
		   r.slice, r.metric_id, r.metric, r.ordinal, CASE WHEN r.sufficient THEN r.raw_p_value END AS p_value
	FROM raw r WHERE r.sufficient IS NOT NULL
), corrected AS (
	SELECT tests.slice, tests.metric_id, tests.metric, tests.ordinal, u.adjusted, u.level
	FROM (SELECT (experiments.multiple_testing(coalesce(array_agg(tests.p_value ORDER BY tests.member), '{}'),
											   (SELECT cfg.correction FROM cfg), (SELECT cfg.confidence FROM cfg))).*
		  FROM tests) f
	CROSS JOIN LATERAL unnest(f.adjusted_p_values, f.confidences) WITH ORDINALITY AS u(adjusted, level, member)
	JOIN tests ON tests.member = u.member
), compared AS (
	-- The comparisons at their corrected levels, by the same tests.
	SELECT r.*, k.adjusted, coalesce(k.level, cfg.confidence) AS level,
		   cmp.difference AS d, cmp.difference_lower AS d_lower, cmp.difference_upper AS d_upper,
		   cmp.relative_difference AS rel, cmp.relative_lower AS rel_lower, cmp.relative_upper AS rel_upper
	FROM raw r
	CROSS JOIN cfg
	LEFT JOIN corrected k ON k.slice = r.slice AND k.metric_id IS NOT DISTINCT FROM r.metric_id AND k.metric = r.metric
							 AND k.ordinal = r.ordinal
	LEFT JOIN LATERAL experiments_internal.metric_comparison(cfg.method, r.type, r.cuped, r.c_events, r.c_n,
		CASE WHEN r.cuped THEN r.c_adjusted_mean ELSE r.c_mean END, CASE WHEN r.cuped THEN r.c_adjusted_var ELSE r.c_var_x END,
		r.events, r.n, CASE WHEN r.cuped THEN r.adjusted_mean ELSE r.mean END,
		CASE WHEN r.cuped THEN r.adjusted_var ELSE r.var_x END, r.c_estimate, r.c_estimate_var, r.estimate,
		r.estimate_var, coalesce(k.level, cfg.confidence), cfg.tuning_n) cmp ON r.ordinal <> 0
)
SELECT $1, c.metric_id, c.metric, c.role, c.type, c.implicit, c.higher_is_better, c.margin, c.ordinal, c.variant,
	   c.n, c.events, c.estimate,
	   CASE c.type WHEN 'proportion' THEN w.lower
				   WHEN 'mean' THEN c.mean - experiments.student_t_quantile(1 - (1 - cfg.confidence) / 2, greatest(c.n - 1, 1)) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio - experiments.normal_quantile(1 - (1 - cfg.confidence) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_lower END,
	   CASE c.type WHEN 'proportion' THEN w.upper
				   WHEN 'mean' THEN c.mean + experiments.student_t_quantile(1 - (1 - cfg.confidence) / 2, greatest(c.n - 1, 1)) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio + experiments.normal_quantile(1 - (1 - cfg.confidence) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_upper END,
	   c.cap, c.cuped,
	   CASE WHEN c.cuped THEN c.adjusted_mean END,
	   CASE WHEN c.cuped THEN 1 - c.adjusted_var / nullif(c.var_x, 0) END,
	   c.d, c.d_lower, c.d_upper, c.rel, c.rel_lower, c.rel_upper,
	   c.raw_p_value, c.adjusted,
	   CASE WHEN c.d IS NOT NULL THEN c.level END,
	   CASE WHEN c.sufficient IS NOT NULL THEN cfg.correction END,
	   c.sufficient,
	   experiments_internal.metric_verdict(c.sufficient, c.adjusted, 1 - cfg.confidence, c.d, c.higher_is_better),
	   CASE WHEN c.role = 'guardrail' AND c.ordinal <> 0
			THEN experiments_internal.guardrail_status(c.sufficient, c.margin, c.rel_lower, c.rel_upper, c.higher_is_better) END,
	   cfg.method, c.slice, c.slice_value
FROM compared c
CROSS JOIN cfg
CROSS JOIN LATERAL experiments.wilson_interval(CASE WHEN c.type = 'proportion' THEN c.events END, c.n, cfg.confidence) w
ORDER BY c.slice, c.role = 'guardrail' DESC, c.role = 'primary' DESC, c.implicit, c.metric_id, c.metric, c.ordinal
$$;
COMMENT ON FUNCTION experiments_internal.metric_comparisons(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, text, integer) IS
'The rows of metric_results() (breakdown NULL: one slice, 0) and of metric_breakdown() (per slice of metric_statistics(), each slice analysed on its own: its CUPED slope pooled over its variants, its minimum-sample rule), with the slice and its value; the comparisons of all slices, variants and metrics form one family for the correction. Ordered by slice, then as metric_results().';

CREATE OR REPLACE FUNCTION experiments.metric_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT NULL,
	min_units bigint DEFAULT 100, correction text DEFAULT NULL, pre_period interval DEFAULT '14 days',
	method text DEFAULT NULL, tuning_n bigint DEFAULT NULL)
RETURNS TABLE (
	experiment_id bigint, metric_id bigint, metric text, role text, type text, implicit boolean,
	higher_is_better boolean, margin float8, ordinal integer, variant text,
	units bigint, event_units bigint, estimate float8, estimate_lower float8, estimate_upper float8, cap float8,
	cuped boolean, adjusted_estimate float8, variance_reduction float8,
	difference float8, difference_lower float8, difference_upper float8,
	relative_difference float8, relative_lower float8, relative_upper float8,
	p_value float8, adjusted_p_value float8, interval_confidence float8, p_value_correction text,
	sample_sufficient boolean, verdict text, guardrail text, method text)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT r.experiment_id, r.metric_id, r.metric, r.role, r.type, r.implicit, r.higher_is_better, r.margin,
		   r.ordinal, r.variant, r.units, r.event_units, r.estimate, r.estimate_lower, r.estimate_upper, r.cap,
		   r.cuped, r.adjusted_estimate, r.variance_reduction, r.difference, r.difference_lower, r.difference_upper,
		   r.relative_difference, r.relative_lower, r.relative_upper, r.p_value, r.adjusted_p_value,
		   r.interval_confidence, r.p_value_correction, r.sample_sufficient, r.verdict, r.guardrail, r.method
	FROM experiments_internal.metric_comparisons($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, 1) r
$$;
COMMENT ON FUNCTION experiments.metric_results(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint) IS
'Results of one experiment per metric and variant, over exposures in [since, until) (NULL: unbounded): the metrics attached to it (experiment_metrics, with their role, type, direction and guardrail margin) and, as implicit secondary proportion metrics, the goals no metric of the tenant reads (metric_statistics()). Per variant: units, units with events, the estimate (proportion: share of units with an event, Wilson interval; mean: value per exposed unit, t interval; ratio: numerator sum over denominator sum, delta-method normal interval; quantile: the quantile of the units with events, order-statistic interval) and the cap applied. Against the control (ordinal 0): the difference, relative difference, their intervals and p-value from one test: with CUPED (proportion and mean metrics when pre_period, default 14 days, gives a covariate with variance: the mean adjusted by theta times the covariate''s deviation from its pooled mean, theta pooled over all variants; variance_reduction is 1 - adjusted variance / variance) Welch''s t on the adjusted means; otherwise the Miettinen-Nurminen score test (proportions), Welch''s t with Fieller''s relative interval (means), or a z test on the delta-method variances (ratios) or on the variances the order-statistic intervals imply (quantiles), relative by the delta method. The comparisons with min_units units in both arms (and for proportions without CUPED 5 expected conversions and non-conversions) form one family across variants and metrics, corrected by correction (holm, bh or none) as in experiment_results(); under method sequential every comparison is an always-valid confidence sequence instead (experiments_internal.metric_comparison(), tuned at tuning_n units), and the method column says which was used; confidence, correction, method and tuning_n left NULL come from the experiment''s analysis settings (experiment_analysis); verdicts in the metric''s good direction; guardrails pass or fail by their non-inferiority margin on the corrected relative interval. Rows come guardrails first, then primary, secondary and implicit metrics.';

CREATE FUNCTION experiments.metric_breakdown(experiment_id bigint, breakdown text,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT NULL,
	min_units bigint DEFAULT 100, correction text DEFAULT NULL, pre_period interval DEFAULT '14 days',
	method text DEFAULT NULL, tuning_n bigint DEFAULT NULL, max_slices integer DEFAULT 10)
RETURNS TABLE (
	experiment_id bigint, breakdown text, slice integer, slice_kind text, slice_value text,
	metric_id bigint, metric text, role text, type text, implicit boolean,
	higher_is_better boolean, margin float8, ordinal integer, variant text,
	units bigint, event_units bigint, estimate float8, estimate_lower float8, estimate_upper float8, cap float8,
	cuped boolean, adjusted_estimate float8, variance_reduction float8,
	difference float8, difference_lower float8, difference_upper float8,
	relative_difference float8, relative_lower float8, relative_upper float8,
	p_value float8, adjusted_p_value float8, interval_confidence float8, p_value_correction text,
	sample_sufficient boolean, verdict text, guardrail text, method text)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT r.experiment_id, $2, r.slice,
		   CASE WHEN r.slice = 0 THEN 'none' WHEN r.slice_value IS NULL THEN 'other' ELSE 'value' END,
		   r.slice_value, r.metric_id, r.metric, r.role, r.type, r.implicit, r.higher_is_better, r.margin,
		   r.ordinal, r.variant, r.units, r.event_units, r.estimate, r.estimate_lower, r.estimate_upper, r.cap,
		   r.cuped, r.adjusted_estimate, r.variance_reduction, r.difference, r.difference_lower, r.difference_upper,
		   r.relative_difference, r.relative_lower, r.relative_upper, r.p_value, r.adjusted_p_value,
		   r.interval_confidence, r.p_value_correction, r.sample_sufficient, r.verdict, r.guardrail, r.method
	FROM experiments_internal.metric_comparisons($1, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($2, ''), $11) r
$$;
COMMENT ON FUNCTION experiments.metric_breakdown(bigint, text, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, integer) IS
'metric_results() per slice of a unit attribute (breakdown, an attribute_events name): one row per slice, metric and variant. A unit''s value is the latest set at or before its first exposure (metric_statistics()); slice_kind value (slices 1 to n: the max_slices values, 1 to 100, with the most units, slice_value the value), none (slice 0: units without a value) or other (slice n + 1: the other values, together). Each slice is analysed as metric_results() analyses the experiment (its own CUPED slope, its own minimum-sample rule with min_units per arm, the method and its settings); the comparisons of all slices, variants and metrics form one family corrected by correction (holm, bh or none, named in p_value_correction); confidence, correction, method and tuning_n left NULL come from the experiment''s analysis settings. One read of the exposures, of the attribute and of each metric''s events, however many slices. SQLSTATE 22023 without an attribute (NULL or empty) and for max_slices outside 1 to 100.';

CREATE FUNCTION experiments_api.metric_breakdown(experiment text, breakdown text, since timestamptz DEFAULT NULL,
	until timestamptz DEFAULT NULL, correction text DEFAULT NULL, max_slices integer DEFAULT 10)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	IF correction NOT IN ('holm', 'bh', 'none') THEN
		PERFORM experiments_internal.raise_api_error(400, format('correction "%s" does not exist: ask for holm, bh or none.',
			left(correction, 64)));
	END IF;
	IF breakdown IS NULL OR breakdown = '' THEN
		PERFORM experiments_internal.raise_api_error(400, 'breakdown is required: name the unit attribute to slice by.');
	END IF;
	IF max_slices IS NULL OR max_slices NOT BETWEEN 1 AND 100 THEN
		PERFORM experiments_internal.raise_api_error(400, 'max_slices must be between 1 and 100.');
	END IF;
	RETURN (SELECT coalesce(jsonb_agg(to_jsonb(r)), '[]')
			FROM experiments.metric_breakdown(experiments_internal.page_experiment_id(experiment), breakdown, since, until,
											  correction => metric_breakdown.correction,
											  max_slices => metric_breakdown.max_slices) r);
END;
$$;
ALTER FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer) IS
'GET /rpc/metric_breakdown?experiment=KEY&breakdown=ATTRIBUTE[&since=&until=&correction=holm|bh|none&max_slices=10]: the experiment''s results per metric sliced by a unit attribute (experiments.metric_breakdown()) as a JSON array, one object per slice, metric and variant, corrected across all of them, by the experiment''s analysis settings (experiment_analysis; correction, when given, wins). For analysts; 404 for an unknown experiment, 400 without a breakdown, for another correction or max_slices outside 1 to 100.';
-- src/core/privileges.sql (breakdowns)
REVOKE EXECUTE ON FUNCTION
	experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8, text, integer),
	experiments_internal.metric_comparisons(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, text, integer),
	experiments.metric_breakdown(bigint, text, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, integer)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8, text, integer),
	experiments_internal.metric_comparisons(bigint, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, text, integer),
	experiments.metric_breakdown(bigint, text, timestamptz, timestamptz, float8, bigint, text, interval, text, bigint, integer)
	TO experiments_api_owner, experiments_analyst;
REVOKE EXECUTE ON FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer) TO experiments_anon;

-- src/results/results.sql (daily_metrics spills)
-- The results' one pass over the events bounds its memory by work_mem: its comment says so.
COMMENT ON FUNCTION experiments.daily_metrics(bigint, timestamptz, timestamptz) IS
'The building block of results, and the one function that reads event tables. Per UTC day: units first exposed to the experiment in [since, until) (kind exposures, in the variant of their first exposure, with first and last exposure), and units reaching a goal (kind goal) or with transactions (kind revenue, metric revenue) at or after their first exposure and before until, by day of the first such event with the sum of squares of each unit''s total of the goal property "value" or of the revenue in cents, and the sum of those values by day of their event (a row with 0 units for a day with values only). Memory is bounded by work_mem times hash_mem_multiplier: past it, units spill to temporary files.';

-- src/assign/assign.sql (attributes given at enrolment are stored for breakdowns)
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

REVOKE EXECUTE ON FUNCTION experiments_internal.record_enrolment_attributes(bigint, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_internal.record_enrolment_attributes(bigint, text, jsonb) TO experiments_api_owner;

CREATE OR REPLACE FUNCTION experiments.enrol(experiment text, unit text, attributes jsonb DEFAULT '{}')
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

-- src/http/page.sql (/rpc/metric_results and /rpc/metric_breakdown take the method)
DROP FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text);
DROP FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer);
-- The analysis arguments of the HTTP functions of results per metric: a
-- correction or method the results do not know is the client's error (400),
-- named in the message; NULL leaves the experiment's setting.
CREATE FUNCTION experiments_internal.check_analysis_arguments(correction text, method text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF correction NOT IN ('holm', 'bh', 'none') THEN
		PERFORM experiments_internal.raise_api_error(400, format('correction "%s" does not exist: ask for holm, bh or none.',
			left(correction, 64)));
	END IF;
	IF method NOT IN ('fixed', 'sequential') THEN
		PERFORM experiments_internal.raise_api_error(400, format('method "%s" does not exist: ask for fixed or sequential.',
			left(method, 64)));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_analysis_arguments(text, text) IS
'Refuses with the API''s 400 a correction other than holm, bh or none and a method other than fixed or sequential (NULL: the experiment''s analysis setting), for /rpc/metric_results and /rpc/metric_breakdown.';

CREATE FUNCTION experiments_api.metric_results(experiment text, since timestamptz DEFAULT NULL,
	until timestamptz DEFAULT NULL, correction text DEFAULT NULL, method text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments_internal.check_analysis_arguments(correction, method);
	RETURN (SELECT coalesce(jsonb_agg(to_jsonb(r)), '[]')
			FROM experiments.metric_results(experiments_internal.page_experiment_id(experiment), since, until,
											correction => metric_results.correction,
											method => metric_results.method) r);
END;
$$;
ALTER FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text, text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text, text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text, text) IS
'GET /rpc/metric_results?experiment=KEY[&since=&until=&correction=holm|bh|none&method=fixed|sequential]: the experiment''s results per metric (experiments.metric_results()) as a JSON array, one object per metric and variant, guardrails first, each saying the method used, by the experiment''s analysis settings (experiment_analysis; correction and method, when given, win). For analysts; 404 for an unknown experiment, 400 for another correction or method.';

CREATE FUNCTION experiments_api.metric_breakdown(experiment text, breakdown text, since timestamptz DEFAULT NULL,
	until timestamptz DEFAULT NULL, correction text DEFAULT NULL, max_slices integer DEFAULT 10,
	method text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments_internal.check_analysis_arguments(correction, method);
	IF breakdown IS NULL OR breakdown = '' THEN
		PERFORM experiments_internal.raise_api_error(400, 'breakdown is required: name the unit attribute to slice by.');
	END IF;
	IF max_slices IS NULL OR max_slices NOT BETWEEN 1 AND 100 THEN
		PERFORM experiments_internal.raise_api_error(400, 'max_slices must be between 1 and 100.');
	END IF;
	RETURN (SELECT coalesce(jsonb_agg(to_jsonb(r)), '[]')
			FROM experiments.metric_breakdown(experiments_internal.page_experiment_id(experiment), breakdown, since, until,
											  correction => metric_breakdown.correction,
											  max_slices => metric_breakdown.max_slices,
											  method => metric_breakdown.method) r);
END;
$$;
ALTER FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer, text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer, text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer, text) IS
'GET /rpc/metric_breakdown?experiment=KEY&breakdown=ATTRIBUTE[&since=&until=&correction=holm|bh|none&max_slices=10&method=fixed|sequential]: the experiment''s results per metric sliced by a unit attribute (experiments.metric_breakdown()) as a JSON array, one object per slice, metric and variant, corrected across all of them, by the experiment''s analysis settings (experiment_analysis; correction and method, when given, win). For analysts; 404 for an unknown experiment, 400 without a breakdown, for another correction or method, or max_slices outside 1 to 100.';
REVOKE EXECUTE ON FUNCTION experiments_internal.check_analysis_arguments(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_internal.check_analysis_arguments(text, text) TO experiments_api_owner;
REVOKE EXECUTE ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text, text),
	experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text, text),
	experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer, text) TO experiments_anon;

-- src/results/results.sql, src/http/api.sql (the view columns say what each method computes)
COMMENT ON COLUMN experiments.results.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments.results.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments.results.rate_p_value IS
'Two-sided p-value of the variant''s rate against the control''s by the test whose intervals rate_lift_lower to rate_relative_upper are: the Miettinen-Nurminen score test (the pooled rate under no difference) under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.results.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments.results.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments.results.value_p_value IS
'Two-sided p-value of the variant''s value_per_unit against the control''s: Welch''s t-test under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments.lift.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments.lift.rate_p_value IS
'Two-sided p-value of the variant''s rate against the control''s by the test whose intervals rate_lift_lower to rate_relative_upper are: the Miettinen-Nurminen score test (the pooled rate under no difference) under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.lift.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments.lift.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments.lift.value_p_value IS
'Two-sided p-value of the variant''s value_per_unit against the control''s: Welch''s t-test under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments_api.results.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments_api.results.rate_p_value IS
'Two-sided p-value of the variant''s rate against the control''s by the test whose intervals rate_lift_lower to rate_relative_upper are: the Miettinen-Nurminen score test (the pooled rate under no difference) under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.results.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments_api.results.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments_api.results.value_p_value IS
'Two-sided p-value of the variant''s value_per_unit against the control''s: Welch''s t-test under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments_api.lift.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments_api.lift.rate_p_value IS
'Two-sided p-value of the variant''s rate against the control''s by the test whose intervals rate_lift_lower to rate_relative_upper are: the Miettinen-Nurminen score test (the pooled rate under no difference) under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.lift.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments_api.lift.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_p_value IS
'Two-sided p-value of the variant''s value_per_unit against the control''s: Welch''s t-test under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when value_lift is NULL.';

-- src/results/metric_results.sql (metric_statistics() bounds its memory)
COMMENT ON FUNCTION experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8, text, integer) IS
'Per metric attached to the experiment (experiment_metrics) and variant, over the units first exposed in [since, until) (in the variant of their first exposure): units, event_units (units with an event in the metric''s conversion window after their first exposure, before until), the sum and sum of squares of the per-unit values (1 or 0 for a proportion; the count or sum of the events in the window for a mean, ratio part or quantile, capped at cap: the absolute cap, or the cap_value quantile of the values of the units with events, all variants pooled), for a ratio the denominator''s event units, sum and sum of squares and the sum of numerator times denominator; for proportion and mean metrics when pre_period is positive the CUPED covariate''s sum, sum of squares and sum of value times covariate (the same metric, counted and capped alike, from the events in the pre_period before each unit''s first exposure); for a quantile metric its quantile of the values of the units with events (linear interpolation, numpy''s default) and the order statistics at ranks floor(np - z sqrt(np(1-p))) and ceil(np + z sqrt(np(1-p))) (1-based, within 1..n; z the normal critical value at confidence). Windows and pre_period are exact durations (a day is 24 hours, a month 30 days). Goals that no metric of the tenant reads follow as implicit proportion metrics (metric_id NULL, metric the goal), counted as experiment_results() counts them. Without a breakdown (NULL) slice is 0 and slice_value NULL. With one, the rows are per slice too: a unit''s value of the attribute breakdown is the latest set on it (attribute_events of its unit type, set_at at or before its first exposure; on a tie of times the greatest value in byte order), a JSON string''s text or another value''s JSON text; slice 0 holds the units without one (none set by then, or JSON null), slices 1 to n (slice_value the value) the max_slices (1 to 100) values with the most units in descending order (ties in byte order), slice n + 1 every other value; caps and the rest are as without a breakdown. NULL in any other argument returns no rows. Memory is bounded by work_mem times hash_mem_multiplier: past it, units spill to temporary files, and caps and quantiles are sorted in work_mem, as daily_metrics() does.';

-- 0.2.0: the results page reads the metrics of the catalog first: their
-- pass (metric_statistics()) counts the rows of daily_metrics() too, which
-- experiment_results() then reads without reading the events again (issue #20).
CREATE OR REPLACE FUNCTION experiments_api.results_page(experiment text)
RETURNS experiments_api."text/html"
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	results jsonb;
	series jsonb;
	control text;
	verdicts text := '';
	tables text := '';
	srm text;
	method_line text;
	catalog_failing text;
	catalog_tables text;
BEGIN
	PERFORM experiments_internal.authorize();
	SELECT * INTO x FROM experiments.experiments e WHERE e.id = experiments_internal.page_experiment_id(experiment);
	-- The metrics first: their pass counts the rows experiment_results()
	-- and results_series() then read, in this snapshot (daily_metrics()).
	IF EXISTS (SELECT FROM experiments.experiment_metrics em WHERE em.experiment_id = x.id) THEN
		SELECT h.failing, h.tables INTO catalog_failing, catalog_tables FROM experiments_internal.metrics_page_html(x.id) h;
	END IF;
	SELECT jsonb_agg(to_jsonb(r)) INTO results FROM experiments.experiment_results(x.id) r;
	SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') INTO series FROM experiments_internal.results_series(x.id) s;
	SELECT r ->> 'variant',
		   CASE WHEN (r ->> 'stray_traffic')::boolean THEN 'Sample ratio mismatch: a variant allocated 0% has units. Do not trust these results.'
				WHEN (r ->> 'srm_mismatch')::boolean THEN 'Sample ratio mismatch (' || srm_p || '): the traffic split differs from the allocation. Do not trust these results.'
				WHEN srm_p IS NULL THEN 'The sample ratio cannot be tested yet.'
				ELSE 'The traffic split matches the allocation (' || srm_p || ').' END,
		   CASE r ->> 'method' WHEN 'sequential' THEN 'Sequential tests: always-valid confidence sequences, valid however often these results are read.'
				ELSE 'Fixed-horizon tests: valid at one look decided in advance.' END
	INTO control, srm, method_line
	FROM jsonb_array_elements(results) r
	-- The method's sample ratio test, the sequential one saying so.
	CROSS JOIN LATERAL (SELECT CASE WHEN q.p IS NOT NULL THEN experiments_internal.format_p_value(q.p)
			|| CASE WHEN r ->> 'method' = 'sequential' THEN ', sequential' ELSE '' END END AS srm_p
		FROM (SELECT (r ->> CASE r ->> 'method' WHEN 'sequential' THEN 'srm_sequential_p_value' ELSE 'srm_p_value' END)::float8 AS p) q) t
	WHERE r ->> 'kind' = 'exposures' AND (r ->> 'ordinal')::integer = 0;
	-- Per metric: its verdicts, its table and its lift chart, from its own
	-- rows and series (each metric's, grouped once: a tenant may have
	-- thousands of goals, and a loop over the metrics scanning every row
	-- and appending to the page grew with the square of their number).
	SELECT coalesce(string_agg(g.verdicts, '' ORDER BY g.kind, g.metric), ''),
		   coalesce(string_agg(g.section, '' ORDER BY g.kind, g.metric), '')
	INTO verdicts, tables
	FROM (SELECT m.kind, m.metric,
				 coalesce((
					SELECT string_agg('<li>' || experiments_internal.html_escape(experiments_internal.results_verdict(
								r ->> 'variant', control, m.metric || ' (conversion rate)', r ->> 'rate_verdict',
								(r ->> 'rate_relative_lift')::float8, (r ->> 'rate_relative_lower')::float8,
								(r ->> 'rate_relative_upper')::float8, (r ->> 'rate_adjusted_p_value')::float8,
								(r ->> 'rate_interval_confidence')::float8)) || '</li>',
							'' ORDER BY (r ->> 'ordinal')::integer)
					FROM jsonb_array_elements(m.rows) r
					WHERE (r ->> 'ordinal')::integer <> 0), '') AS verdicts,
				 format('<section class="metric" data-metric="%s"><h2>%s</h2><div class="scroll"><table><thead><tr>'
					'<th>Variant</th><th>Units</th><th>Converting</th><th>Rate (95%% CI)</th><th>Relative lift (CI corrected for multiple testing)</th><th>p-value (uncorrected)</th>%s'
					'</tr></thead><tbody>', experiments_internal.html_escape(m.metric), experiments_internal.html_escape(m.metric),
					CASE WHEN m.kind = 'revenue' THEN '<th>Value per unit</th>' ELSE '' END)
				 || (SELECT string_agg(format('<tr data-variant="%s"><th scope="row">%s</th>'
							'<td data-field="units" data-value="%s">%s</td><td data-field="converting_units" data-value="%s">%s</td>'
							'<td data-field="conversion_rate" data-value="%s" data-lower="%s" data-upper="%s">%s <span class="ci">(%s to %s)</span></td>'
							'<td data-field="rate_relative_lift" data-value="%s" data-lower="%s" data-upper="%s">%s</td>'
							'<td data-field="rate_p_value" data-value="%s">%s</td>%s</tr>',
							experiments_internal.html_escape(r ->> 'variant'), experiments_internal.html_escape(r ->> 'variant'),
							r ->> 'units', r ->> 'units', r ->> 'converting_units', r ->> 'converting_units',
							r ->> 'conversion_rate', r ->> 'rate_lower', r ->> 'rate_upper',
							experiments_internal.format_percent((r ->> 'conversion_rate')::float8),
							experiments_internal.format_percent((r ->> 'rate_lower')::float8),
							experiments_internal.format_percent((r ->> 'rate_upper')::float8),
							r ->> 'rate_relative_lift', r ->> 'rate_relative_lower', r ->> 'rate_relative_upper',
							CASE WHEN (r ->> 'ordinal')::integer = 0 THEN 'control'
								 ELSE experiments_internal.format_percent((r ->> 'rate_relative_lift')::float8, true)
									  || ' <span class="ci">(' || experiments_internal.format_percent((r ->> 'rate_relative_lower')::float8, true)
									  || ' to ' || experiments_internal.format_percent((r ->> 'rate_relative_upper')::float8, true) || ')</span>' END,
							r ->> 'rate_p_value',
							CASE WHEN (r ->> 'ordinal')::integer = 0 THEN '' ELSE experiments_internal.format_p_value((r ->> 'rate_p_value')::float8) END,
							CASE WHEN m.kind = 'revenue' THEN format('<td data-field="value_per_unit" data-value="%s">%s</td>',
								r ->> 'value_per_unit', round((r ->> 'value_per_unit')::numeric, 2)) ELSE '' END),
						'' ORDER BY (r ->> 'ordinal')::integer)
					 FROM jsonb_array_elements(m.rows) r)
				 || '</tbody></table></div><figure class="lift">'
				 -- (the exposures' series give the chart its days)
				 || experiments_internal.results_chart_svg('lift', m.metric, m.rows, coalesce(s.rows, '[]') || e.rows)
				 || '</figure></section>' AS section
		  FROM (SELECT r ->> 'kind' AS kind, r ->> 'metric' AS metric, jsonb_agg(r) AS rows
				FROM jsonb_array_elements(results) r WHERE r ->> 'kind' <> 'exposures' GROUP BY 1, 2) m
		  LEFT JOIN (SELECT d ->> 'kind' AS kind, d ->> 'metric' AS metric, jsonb_agg(d) AS rows
					 FROM jsonb_array_elements(series) d WHERE d ->> 'kind' <> 'exposures' GROUP BY 1, 2) s
			  ON s.kind = m.kind AND s.metric = m.metric
		  CROSS JOIN (SELECT coalesce(jsonb_agg(d), '[]') AS rows
					  FROM jsonb_array_elements(series) d WHERE d ->> 'kind' = 'exposures') e) g;
	RETURN '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
		|| '<meta name="viewport" content="width=device-width, initial-scale=1">'
		|| '<title>Results: ' || experiments_internal.html_escape(x.key) || '</title><style>'
		|| 'body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#212529;background:#f8f9fa}'
		|| 'main{max-width:960px;margin:0 auto;padding:16px}h1{font-size:1.5em;margin:.2em 0;overflow-wrap:anywhere}'
		|| 'h2{font-size:1.15em;margin:1.2em 0 .4em;overflow-wrap:anywhere}section{background:#fff;border-radius:8px;padding:12px 16px;margin:12px 0}'
		|| '.verdict li{margin:.3em 0}.warn{color:#c92a2a;font-weight:600}.scroll{overflow-x:auto}'
		|| 'table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:4px 8px;text-align:right;white-space:nowrap;border-bottom:1px solid #dee2e6}'
		|| 'th:first-child{text-align:left}.ci{color:#868e96;font-size:.9em}figure{margin:12px 0 0}'
		|| 'svg.chart{display:block;max-width:100%;height:auto}.chart-title{font-weight:600;font-size:13px}'
		|| '.tick,.legend{font-size:11px;fill:#495057}.axis{stroke:#495057}.grid{stroke:#e9ecef}'
		|| '.series{fill:none;stroke-width:2}.band{opacity:.18}'
		|| '@media (max-width:600px){main{padding:8px}section{padding:8px}th,td{padding:3px 4px;font-size:13px}}'
		|| '</style></head><body><main>'
		|| format('<h1>Experiment %s</h1><p>%s, %s units exposed.</p>', experiments_internal.html_escape(x.key), x.state,
				  (SELECT coalesce(sum((r ->> 'units')::bigint), 0) FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = 'exposures'))
		|| '<section class="verdict"><h2>Verdict</h2><p class="srm' || CASE WHEN srm LIKE 'Sample ratio mismatch%' THEN ' warn' ELSE '' END || '">'
		|| experiments_internal.html_escape(srm) || '</p><p class="method">' || method_line || '</p><ul>' || coalesce(catalog_failing, '') || verdicts || '</ul></section>'
		|| coalesce(catalog_tables, '') || tables
		|| '<section class="units"><h2>Units per variant per day</h2><figure>'
		|| experiments_internal.results_chart_svg('units', NULL, results, series) || '</figure></section>'
		|| '<section class="srm-chart"><h2>Sample ratio</h2><figure>'
		|| experiments_internal.results_chart_svg('srm', NULL, results, series) || '</figure></section>'
		|| '</main></body></html>';
END;
$$;

-- 0.2.0: the delta-method variance of a ratio metric is never negative: a
-- slice whose units all have the same ratio gave a rounding residue below 0,
-- which the tests refused (metric_breakdown() failed).
CREATE OR REPLACE FUNCTION experiments_internal.metric_comparisons(experiment_id bigint,
	since timestamptz, until timestamptz, confidence float8, min_units bigint, correction text,
	pre_period interval, method text, tuning_n bigint, breakdown text, max_slices integer)
RETURNS TABLE (
	experiment_id bigint, metric_id bigint, metric text, role text, type text, implicit boolean,
	higher_is_better boolean, margin float8, ordinal integer, variant text,
	units bigint, event_units bigint, estimate float8, estimate_lower float8, estimate_upper float8, cap float8,
	cuped boolean, adjusted_estimate float8, variance_reduction float8,
	difference float8, difference_lower float8, difference_upper float8,
	relative_difference float8, relative_lower float8, relative_upper float8,
	p_value float8, adjusted_p_value float8, interval_confidence float8, p_value_correction text,
	sample_sufficient boolean, verdict text, guardrail text, method text, slice integer, slice_value text)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH cfg AS MATERIALIZED (
	SELECT a.chosen_method AS method, a.chosen_confidence AS confidence, a.chosen_correction AS correction,
		   a.chosen_tuning_n AS tuning_n
	FROM experiments_internal.analysis($1, $8, $4, $6, $9) a
), s AS MATERIALIZED (
	SELECT ms.* FROM cfg CROSS JOIN LATERAL experiments.metric_statistics($1, coalesce($2, '-infinity'),
		coalesce($3, 'infinity'), coalesce($7, '0'), cfg.confidence, $10, $11) ms
), defs AS (
	-- Every metric with rows in a slice, attached or implicit, with its role.
	SELECT DISTINCT ON (s.slice, s.metric_id, s.metric) s.slice, s.slice_value, s.metric_id, s.metric,
		   coalesce(em.role, 'secondary') AS role, coalesce(m.type, 'proportion') AS type,
		   m.id IS NULL AS implicit, coalesce(m.higher_is_better, true) AS higher_is_better, em.margin
	FROM s
	LEFT JOIN experiments.metrics m ON m.id = s.metric_id
	LEFT JOIN experiments.experiment_metrics em ON em.metric_id = s.metric_id AND em.experiment_id = $1
), pooled AS (
	-- CUPED: one slope theta per slice and metric, over all variants' units.
	SELECT s.slice, s.metric_id,
		   (sum(s.covariate_cross_sum) - sum(s.value_sum) * sum(s.covariate_sum) / sum(s.units))
			 / nullif(sum(s.covariate_square_sum) - sum(s.covariate_sum) ^ 2 / sum(s.units), 0) AS theta,
		   sum(s.covariate_sum) / sum(s.units) AS covariate_mean
	FROM s WHERE s.covariate_sum IS NOT NULL
	GROUP BY s.slice, s.metric_id
), cells AS (
	-- Every variant for every metric; variants without units count 0.
	SELECT d.*, v.ordinal, v.key AS variant, coalesce(s.units, 0) AS n, coalesce(s.event_units, 0) AS events,
		   s.value_sum AS sx, s.value_square_sum AS sxx, s.denominator_sum AS sy, s.denominator_square_sum AS syy,
		   s.cross_sum AS sxy, s.covariate_sum AS sc, s.covariate_square_sum AS scc, s.covariate_cross_sum AS sxc,
		   s.quantile_value, s.quantile_lower, s.quantile_upper, s.cap, p.theta, p.covariate_mean
	FROM defs d
	CROSS JOIN experiments.variants v
	LEFT JOIN s ON s.slice = d.slice AND s.metric_id IS NOT DISTINCT FROM d.metric_id AND s.metric = d.metric
				   AND s.ordinal = v.ordinal
	LEFT JOIN pooled p ON p.slice = d.slice AND p.metric_id = d.metric_id
	WHERE v.experiment_id = $1
), moments AS (
	SELECT c.*, c.sx / nullif(c.n, 0) AS mean,
		   CASE WHEN c.n > 1 THEN greatest((c.sxx - c.sx * c.sx / c.n) / (c.n - 1), 0) END AS var_x,
		   CASE WHEN c.n > 1 THEN greatest((c.syy - c.sy * c.sy / c.n) / (c.n - 1), 0) END AS var_y,
		   CASE WHEN c.n > 1 THEN (c.sxy - c.sx * c.sy / c.n) / (c.n - 1) END AS cov_xy,
		   CASE WHEN c.n > 1 THEN greatest((c.scc - c.sc * c.sc / c.n) / (c.n - 1), 0) END AS var_c,
		   CASE WHEN c.n > 1 THEN (c.sxc - c.sx * c.sc / c.n) / (c.n - 1) END AS cov_xc,
		   c.sx / nullif(c.sy, 0) AS ratio
	FROM cells c
), estimates AS (
	-- Per variant: the estimate, its interval, and for the comparisons its
	-- variance (ratio: delta method; quantile: from the order-statistic
	-- interval) or CUPED-adjusted mean and variance.
	SELECT mo.*,
		   mo.theta IS NOT NULL AS cuped,
		   CASE WHEN mo.theta IS NOT NULL THEN mo.mean - mo.theta * (mo.sc / nullif(mo.n, 0) - mo.covariate_mean) END AS adjusted_mean,
		   CASE WHEN mo.theta IS NOT NULL THEN greatest(mo.var_x - 2 * mo.theta * mo.cov_xc + mo.theta ^ 2 * mo.var_c, 0) END AS adjusted_var,
		   -- (the ratio's variance is never negative: a slice whose units all
		   -- have the same ratio gives 0, which rounding may leave below it)
		   CASE mo.type WHEN 'ratio' THEN greatest(mo.var_x - 2 * mo.ratio * mo.cov_xy + mo.ratio ^ 2 * mo.var_y, 0)
											/ nullif(mo.n * (mo.sy / mo.n) ^ 2, 0)
						WHEN 'quantile' THEN ((mo.quantile_upper - mo.quantile_lower)
											  / (2 * experiments.normal_quantile(1 - (1 - cfg.confidence) / 2))) ^ 2 END AS estimate_var,
		   CASE mo.type WHEN 'ratio' THEN mo.ratio WHEN 'quantile' THEN mo.quantile_value
						WHEN 'proportion' THEN mo.events / nullif(mo.n, 0)::float8 ELSE mo.mean END AS estimate
	FROM moments mo
	CROSS JOIN cfg
), pairs AS (
	-- Each variant beside its control, and the minimum-sample rule of
	-- experiment_results(): min_units units in both arms; for proportions
	-- without CUPED also 5 expected conversions and non-conversions per arm.
	SELECT e.*, c.n AS c_n, c.events AS c_events, c.estimate AS c_estimate, c.estimate_var AS c_estimate_var,
		   c.mean AS c_mean, c.var_x AS c_var_x, c.adjusted_mean AS c_adjusted_mean, c.adjusted_var AS c_adjusted_var,
		   CASE WHEN e.ordinal <> 0 THEN e.n >= $5 AND c.n >= $5
				AND (e.type <> 'proportion' OR e.cuped OR
					 least(e.n, c.n) * least(e.events + c.events, e.n + c.n - e.events - c.events)::float8
					 >= 5 * nullif(e.n + c.n, 0)) END AS sufficient
	FROM estimates e
	LEFT JOIN estimates c ON c.slice = e.slice AND c.metric_id IS NOT DISTINCT FROM e.metric_id AND c.metric = e.metric
							 AND c.ordinal = 0
), raw AS (
	-- The p-value of each comparison, from the test its interval comes from.
	SELECT p.*, t.p_value AS raw_p_value
	FROM pairs p
	CROSS JOIN cfg
	LEFT JOIN LATERAL experiments_internal.metric_comparison(cfg.method, p.type, p.cuped, p.c_events, p.c_n,
		CASE WHEN p.cuped THEN p.c_adjusted_mean ELSE p.c_mean END, CASE WHEN p.cuped THEN p.c_adjusted_var ELSE p.c_var_x END,
		p.events, p.n, CASE WHEN p.cuped THEN p.adjusted_mean ELSE p.mean END,
		CASE WHEN p.cuped THEN p.adjusted_var ELSE p.var_x END, p.c_estimate, p.c_estimate_var, p.estimate,
		p.estimate_var, cfg.confidence, cfg.tuning_n) t ON p.ordinal <> 0
), tests AS (
	-- The family corrected for multiple testing: every comparison with a
	-- p-value and a sufficient sample, across slices, variants and metrics.
	SELECT row_number() OVER (ORDER BY r.slice, r.metric_id NULLS LAST, r.metric, r.ordinal) AS member,
		   r.slice, r.metric_id, r.metric, r.ordinal, CASE WHEN r.sufficient THEN r.raw_p_value END AS p_value
	FROM raw r WHERE r.sufficient IS NOT NULL
), corrected AS (
	SELECT tests.slice, tests.metric_id, tests.metric, tests.ordinal, u.adjusted, u.level
	FROM (SELECT (experiments.multiple_testing(coalesce(array_agg(tests.p_value ORDER BY tests.member), '{}'),
											   (SELECT cfg.correction FROM cfg), (SELECT cfg.confidence FROM cfg))).*
		  FROM tests) f
	CROSS JOIN LATERAL unnest(f.adjusted_p_values, f.confidences) WITH ORDINALITY AS u(adjusted, level, member)
	JOIN tests ON tests.member = u.member
), compared AS (
	-- The comparisons at their corrected levels, by the same tests.
	SELECT r.*, k.adjusted, coalesce(k.level, cfg.confidence) AS level,
		   cmp.difference AS d, cmp.difference_lower AS d_lower, cmp.difference_upper AS d_upper,
		   cmp.relative_difference AS rel, cmp.relative_lower AS rel_lower, cmp.relative_upper AS rel_upper
	FROM raw r
	CROSS JOIN cfg
	LEFT JOIN corrected k ON k.slice = r.slice AND k.metric_id IS NOT DISTINCT FROM r.metric_id AND k.metric = r.metric
							 AND k.ordinal = r.ordinal
	LEFT JOIN LATERAL experiments_internal.metric_comparison(cfg.method, r.type, r.cuped, r.c_events, r.c_n,
		CASE WHEN r.cuped THEN r.c_adjusted_mean ELSE r.c_mean END, CASE WHEN r.cuped THEN r.c_adjusted_var ELSE r.c_var_x END,
		r.events, r.n, CASE WHEN r.cuped THEN r.adjusted_mean ELSE r.mean END,
		CASE WHEN r.cuped THEN r.adjusted_var ELSE r.var_x END, r.c_estimate, r.c_estimate_var, r.estimate,
		r.estimate_var, coalesce(k.level, cfg.confidence), cfg.tuning_n) cmp ON r.ordinal <> 0
)
SELECT $1, c.metric_id, c.metric, c.role, c.type, c.implicit, c.higher_is_better, c.margin, c.ordinal, c.variant,
	   c.n, c.events, c.estimate,
	   CASE c.type WHEN 'proportion' THEN w.lower
				   WHEN 'mean' THEN c.mean - experiments.student_t_quantile(1 - (1 - cfg.confidence) / 2, greatest(c.n - 1, 1)) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio - experiments.normal_quantile(1 - (1 - cfg.confidence) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_lower END,
	   CASE c.type WHEN 'proportion' THEN w.upper
				   WHEN 'mean' THEN c.mean + experiments.student_t_quantile(1 - (1 - cfg.confidence) / 2, greatest(c.n - 1, 1)) * sqrt(c.var_x / c.n)
				   WHEN 'ratio' THEN c.ratio + experiments.normal_quantile(1 - (1 - cfg.confidence) / 2) * sqrt(c.estimate_var)
				   ELSE c.quantile_upper END,
	   c.cap, c.cuped,
	   CASE WHEN c.cuped THEN c.adjusted_mean END,
	   CASE WHEN c.cuped THEN 1 - c.adjusted_var / nullif(c.var_x, 0) END,
	   c.d, c.d_lower, c.d_upper, c.rel, c.rel_lower, c.rel_upper,
	   c.raw_p_value, c.adjusted,
	   CASE WHEN c.d IS NOT NULL THEN c.level END,
	   CASE WHEN c.sufficient IS NOT NULL THEN cfg.correction END,
	   c.sufficient,
	   -- the verdict in the metric's good direction
	   experiments_internal.comparison_verdict(c.sufficient, c.adjusted, 1 - cfg.confidence,
											   CASE WHEN c.higher_is_better THEN c.d ELSE -c.d END),
	   CASE WHEN c.role = 'guardrail' AND c.ordinal <> 0
			THEN experiments_internal.guardrail_status(c.sufficient, c.margin, c.rel_lower, c.rel_upper, c.higher_is_better) END,
	   cfg.method, c.slice, c.slice_value
FROM compared c
CROSS JOIN cfg
CROSS JOIN LATERAL experiments.wilson_interval(CASE WHEN c.type = 'proportion' THEN c.events END, c.n, cfg.confidence) w
ORDER BY c.slice, c.role = 'guardrail' DESC, c.role = 'primary' DESC, c.implicit, c.metric_id, c.metric, c.ordinal
$$;

-- metric_statistics(): no implicit metric for a goal no exposed unit reached; a sort per variant for a quantile.
COMMENT ON FUNCTION experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8, text, integer) IS
'Per metric attached to the experiment (experiment_metrics) and variant, over the units first exposed in [since, until) (in the variant of their first exposure): units, event_units (units with an event in the metric''s conversion window after their first exposure, before until), the sum and sum of squares of the per-unit values (1 or 0 for a proportion; the count or sum of the events in the window for a mean, ratio part or quantile, capped at cap: the absolute cap, or the cap_value quantile of the values of the units with events, all variants pooled), for a ratio the denominator''s event units, sum and sum of squares and the sum of numerator times denominator; for proportion and mean metrics when pre_period is positive the CUPED covariate''s sum, sum of squares and sum of value times covariate (the same metric, counted and capped alike, from the events in the pre_period before each unit''s first exposure); for a quantile metric its quantile of the values of the units with events (linear interpolation, numpy''s default) and the order statistics at ranks floor(np - z sqrt(np(1-p))) and ceil(np + z sqrt(np(1-p))) (1-based, within 1..n; z the normal critical value at confidence). Windows and pre_period are exact durations (a day is 24 hours, a month 30 days). Goals that no metric of the tenant reads follow as implicit proportion metrics (metric_id NULL, metric the goal), counted as experiment_results() counts them (a goal no exposed unit reached after its first exposure has no row). Without a breakdown (NULL) slice is 0 and slice_value NULL. With one, the rows are per slice too: a unit''s value of the attribute breakdown is the latest set on it (attribute_events of its unit type, set_at at or before its first exposure; on a tie of times the greatest value in byte order), a JSON string''s text or another value''s JSON text; slice 0 holds the units without one (none set by then, or JSON null), slices 1 to n (slice_value the value) the max_slices (1 to 100) values with the most units in descending order (ties in byte order), slice n + 1 every other value; caps and the rest are as without a breakdown. NULL in any other argument returns no rows. Memory is bounded by work_mem times hash_mem_multiplier: past it, units spill to temporary files, as daily_metrics() does, and caps and quantiles are sorted in work_mem each (a quantile metric''s values in a sort per variant, or with a breakdown in one sort).';

-- metric_statistics(): caps and quantiles counted per distinct value, sorted
-- only past work_mem (src/results/ordered_values.c).
COMMENT ON FUNCTION experiments.metric_statistics(bigint, timestamptz, timestamptz, interval, float8, text, integer) IS
'Per metric attached to the experiment (experiment_metrics) and variant, over the units first exposed in [since, until) (in the variant of their first exposure): units, event_units (units with an event in the metric''s conversion window after their first exposure, before until), the sum and sum of squares of the per-unit values (1 or 0 for a proportion; the count or sum of the events in the window for a mean, ratio part or quantile, capped at cap: the absolute cap, or the cap_value quantile of the values of the units with events, all variants pooled), for a ratio the denominator''s event units, sum and sum of squares and the sum of numerator times denominator; for proportion and mean metrics when pre_period is positive the CUPED covariate''s sum, sum of squares and sum of value times covariate (the same metric, counted and capped alike, from the events in the pre_period before each unit''s first exposure); for a quantile metric its quantile of the values of the units with events (linear interpolation, numpy''s default) and the order statistics at ranks floor(np - z sqrt(np(1-p))) and ceil(np + z sqrt(np(1-p))) (1-based, within 1..n; z the normal critical value at confidence). Windows and pre_period are exact durations (a day is 24 hours, a month 30 days). Goals that no metric of the tenant reads follow as implicit proportion metrics (metric_id NULL, metric the goal), counted as experiment_results() counts them (a goal no exposed unit reached after its first exposure has no row). Without a breakdown (NULL) slice is 0 and slice_value NULL. With one, the rows are per slice too: a unit''s value of the attribute breakdown is the latest set on it (attribute_events of its unit type, set_at at or before its first exposure; on a tie of times the greatest value in byte order), a JSON string''s text or another value''s JSON text; slice 0 holds the units without one (none set by then, or JSON null), slices 1 to n (slice_value the value) the max_slices (1 to 100) values with the most units in descending order (ties in byte order), slice n + 1 every other value; caps and the rest are as without a breakdown. NULL in any other argument returns no rows. Memory is bounded by work_mem times hash_mem_multiplier: past it, units spill to temporary files, as daily_metrics() does, and caps and quantiles are counted per distinct value in work_mem each, sorted past it (a quantile metric''s values per variant; with a breakdown, in one sort). Without a breakdown, a unit whose values are at or below the floors of their percentile caps is summed without waiting for the caps: a floor is a quantile of a sample of hit values (512kB at most) from the first partitions read, low enough that a cap below it is a one-in-a-billion chance; should a cap come out below its floor, the pass is made again without floors, so that the answers never depend on the sample.';

-- 0.2.0: the results' pass runs without JIT compilation (docs/performance.md,
-- exposure rollups): its queries' rows go straight to C.
ALTER FUNCTION experiments.daily_metrics(bigint, timestamptz, timestamptz) SET jit = off;


-- 0.2.0: the results join their rows per goal by keys a hash join takes,
-- where IS NOT DISTINCT FROM compared every goal's rows with every other
-- goal's (experiment_results(), results_series() and metric_comparisons()
-- above, daily_results() here); metric_comparisons() takes a metric's
-- verdict from comparison_verdict() itself, which metric_verdict() called
-- from its query, where a SQL function is parsed and planned again at every
-- call (comparison() and metric_comparison() are in C for the same reason).
CREATE OR REPLACE FUNCTION experiments.daily_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE (day date, experiment_id bigint, ordinal integer, variant text, kind text, metric text,
			   new_units bigint, cumulative_units bigint,
			   new_converting_units bigint, cumulative_converting_units bigint,
			   cumulative_rate float8, value_sum float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH daily AS MATERIALIZED (
	SELECT m.day, m.kind, m.metric, m.ordinal, m.units AS n, m.value_sum AS v
	FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity')) m
), grid AS (
	SELECT d.day, k.kind, k.metric, v.ordinal, v.key
	FROM (SELECT DISTINCT daily.day FROM daily) d
	CROSS JOIN (SELECT DISTINCT daily.kind, daily.metric FROM daily) k
	CROSS JOIN experiments.variants v
	WHERE v.experiment_id = $1
)
SELECT g.day, $1, g.ordinal, g.key, g.kind, g.metric,
	   coalesce(e.n, 0), sum(coalesce(e.n, 0)) OVER w,
	   CASE WHEN g.kind <> 'exposures' THEN coalesce(c.n, 0) END,
	   CASE WHEN g.kind <> 'exposures' THEN sum(coalesce(c.n, 0)) OVER w END,
	   CASE WHEN g.kind <> 'exposures' THEN sum(coalesce(c.n, 0)) OVER w / nullif(sum(coalesce(e.n, 0)) OVER w, 0)::float8 END,
	   CASE WHEN g.kind <> 'exposures' THEN c.v END
FROM grid g
LEFT JOIN daily e ON e.kind = 'exposures' AND e.day = g.day AND e.ordinal = g.ordinal
-- (c serves goals' rows only, whose metric is never NULL)
LEFT JOIN daily c ON c.kind = g.kind AND c.metric = g.metric AND c.day = g.day AND c.ordinal = g.ordinal
WINDOW w AS (PARTITION BY g.kind, g.metric, g.ordinal ORDER BY g.day)
ORDER BY g.kind = 'exposures' DESC, g.kind, g.metric, g.ordinal, g.day
$$;
DROP FUNCTION experiments_internal.metric_verdict(boolean, float8, float8, float8, boolean);

-- 0.2.0: an experiment that has begun serving keeps every variant, whoever
-- deletes it: a variant added later took the removed one's ordinal, and with
-- it the exposures and events stored under it. The rule moves from
-- set_variants() (above) into a trigger on experiments.variants; the Commerce
-- Cloud segment DELETE answers it with its fault.
-- src/core/catalog.sql
CREATE FUNCTION experiments_internal.check_variant_delete()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	serving boolean;
BEGIN
	SELECT e.started_at IS NOT NULL AND (e.starts_at IS NULL OR e.starts_at <= now()) INTO serving
	FROM experiments.experiments e WHERE e.id = OLD.experiment_id;
	-- the experiment itself is being deleted: its variants go with it
	IF NOT FOUND THEN
		RETURN OLD;
	END IF;
	IF serving THEN
		RAISE EXCEPTION 'variant "%" of a started experiment cannot be removed', experiments_internal.shown_input(OLD.key)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Its ordinal names the exposures and events stored for it, which a variant added later would take over.',
				  HINT = 'Give it allocation 0 to stop assigning it.';
	END IF;
	-- Before it serves, an experiment may already have exposures under the
	-- variant's ordinal: reported early by a client (the collector), or AB
	-- Tasty activations.
	IF EXISTS (SELECT 1 FROM experiments.exposures x
			   WHERE x.experiment_id = OLD.experiment_id AND x.ordinal = OLD.ordinal)
	   OR EXISTS (SELECT 1 FROM experiments.campaign_activations a
				  WHERE a.experiment_id = OLD.experiment_id AND a.ordinal = OLD.ordinal) THEN
		RAISE EXCEPTION 'variant "%" has recorded exposures and cannot be removed', experiments_internal.shown_input(OLD.key)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Exposures were recorded under its ordinal before the experiment began serving; a variant added later would take them over.',
				  HINT = 'Give it allocation 0 to stop assigning it.';
	END IF;
	RETURN OLD;
END;
$$;
REVOKE ALL ON FUNCTION experiments_internal.check_variant_delete() FROM PUBLIC;
COMMENT ON FUNCTION experiments_internal.check_variant_delete() IS
'Trigger: refuses removing a variant of an experiment that has begun serving (started_at set, and starts_at, if any, passed), or one with exposures or activations recorded under its ordinal, which a variant added later would take with the data stored under it.';

CREATE TRIGGER check_variant_delete BEFORE DELETE ON experiments.variants
	FOR EACH ROW EXECUTE FUNCTION experiments_internal.check_variant_delete();
COMMENT ON TRIGGER check_variant_delete ON experiments.variants IS
'Before a delete from experiments.variants: refuses removing a variant of an experiment that has begun serving, or one with exposures recorded (22023); allocation 0 stops one instead.';
-- src/adapters/commerce/commerce.sql
CREATE OR REPLACE FUNCTION experiments.delete_ab_test_segment(site_id text, ab_test_id text, segment_id text,
												   resource_state text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	v experiments.variants := experiments_internal.locked_ab_test_segment(site_id, ab_test_id, segment_id, resource_state);
BEGIN
	BEGIN
		DELETE FROM experiments.variants s WHERE s.id = v.id;
	EXCEPTION WHEN invalid_parameter_value THEN
		-- a segment of a started test, or with exposures recorded, stays
		-- (experiments_internal.check_variant_delete())
		PERFORM experiments_internal.commerce_fault(400, 'ABTestSegmentAllocationException',
			format('The segment with ID ''%s'' cannot be deleted from the A/B test with ID ''%s'': the test has started, or visitors are recorded under the segment. Set its allocation to 0 instead.',
				   experiments_internal.shown_input(segment_id), experiments_internal.shown_input(ab_test_id)));
	END;
	PERFORM experiments_internal.sync_ab_test_state(v.experiment_id);
END;
$$;
COMMENT ON FUNCTION experiments.delete_ab_test_segment(text, text, text, text) IS
'DELETE /sites/{site_id}/ab_tests/{ab_test_id}/segments/{segment_id}: removes a segment and its bindings (204). Faults: ABTestNotFoundException, ABTestSegmentNotFoundException (404), ResourceStateConflictException (409), ABTestSegmentAllocationException (400) on a started test, which keeps its segments (allocation 0 stops one).';
