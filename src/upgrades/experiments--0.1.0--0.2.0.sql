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
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.experiments IS
'After any write to experiments.experiments (TRUNCATE too): empties every session''s assignment cache when the transaction commits, so that assignment reads the change.';
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.variants IS
'After any write to experiments.variants (TRUNCATE too): empties every session''s assignment cache when the transaction commits, so that assignment reads the change.';
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.overrides IS
'After any write to experiments.overrides (TRUNCATE too): empties every session''s assignment cache when the transaction commits, so that assignment reads the change.';
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.layers IS
'After any write to experiments.layers (TRUNCATE too): empties every session''s assignment cache when the transaction commits, so that assignment reads the change.';
COMMENT ON TRIGGER invalidate_assignment_cache ON experiments.holdouts IS
'After any write to experiments.holdouts (TRUNCATE too): empties every session''s assignment cache when the transaction commits, so that assignment reads the change.';

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
'Lower bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_lift_upper IS
'Upper bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.results.rate_relative_lower IS
'Lower bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_upper IS
'Upper bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_p_value IS
'Two-sided p-value of the two-proportion z-test (pooled standard error) of the variant''s rate against the control''s; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.results.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.results.value_lift_lower IS
'Lower bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_lift_upper IS
'Upper bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.results.value_relative_lower IS
'Lower bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_relative_upper IS
'Upper bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.srm_chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments.results.srm_p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.results.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments.results.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
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
COMMENT ON COLUMN experiments.lift.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.lift.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.lift.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.lift.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.lift.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.lift.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.lift.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift_lower IS
'Lower bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_lift_upper IS
'Upper bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.lift.rate_relative_lower IS
'Lower bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_upper IS
'Upper bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_p_value IS
'Two-sided p-value of the two-proportion z-test (pooled standard error) of the variant''s rate against the control''s; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.lift.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments.lift.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.lift.value_lift_lower IS
'Lower bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_lift_upper IS
'Upper bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.lift.value_relative_lower IS
'Lower bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_relative_upper IS
'Upper bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
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
'Sum of the totals (goal property value, or revenue in cents) of the units first converting that day, each over all its counted events; NULL for kind exposures and when none of them has a value.';

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
'Lower bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_lift_upper IS
'Upper bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments_api.results.rate_relative_lower IS
'Lower bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_relative_upper IS
'Upper bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.rate_p_value IS
'Two-sided p-value of the two-proportion z-test (pooled standard error) of the variant''s rate against the control''s; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.results.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments_api.results.value_lift_lower IS
'Lower bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_lift_upper IS
'Upper bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments_api.results.value_relative_lower IS
'Lower bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_relative_upper IS
'Upper bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments_api.results.srm_p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments_api.results.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments_api.results.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
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
COMMENT ON COLUMN experiments_api.lift.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments_api.lift.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments_api.lift.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments_api.lift.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments_api.lift.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments_api.lift.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments_api.lift.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_lower IS
'Lower bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_lift_upper IS
'Upper bound of the 95% interval of rate_lift (unpooled standard error); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_lower IS
'Lower bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_relative_upper IS
'Upper bound of the 95% interval of rate_relative_lift (delta method); NULL when rate_relative_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.rate_p_value IS
'Two-sided p-value of the two-proportion z-test (pooled standard error) of the variant''s rate against the control''s; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments_api.lift.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments_api.lift.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments_api.lift.value_lift_lower IS
'Lower bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_lift_upper IS
'Upper bound of the 95% interval of value_lift (Welch''s t, Welch-Satterthwaite degrees of freedom); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments_api.lift.value_relative_lower IS
'Lower bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_relative_upper IS
'Upper bound of the 95% interval of value_relative_lift (delta method); NULL when value_relative_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.value_p_value IS
'Two-sided p-value of Welch''s t-test of the variant''s value_per_unit against the control''s; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments_api.lift.srm_mismatch IS
'true when srm_p_value < 0.001 or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when srm_p_value is NULL and there is no stray traffic.';
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
'Sum of the totals (goal property value, or revenue in cents) of the units first converting that day, each over all its counted events; NULL for kind exposures and when none of them has a value.';

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
	list jsonb := '[]';
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
		list := list || jsonb_build_object('experiment', r.experiment,
			'variant', CASE WHEN ordinal = 0 THEN 'false'::jsonb ELSE to_jsonb(variant) END);
	END LOOP;
	RETURN experiments_internal.respond(200, jsonb_build_object('experiment_list', list),
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
-- PostgREST has no privilege on the tables.
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
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_allocations() IS
'Constraint trigger: a running or paused experiment has variants whose allocations sum to 10000 basis points, and, with GrowthBook hashing, as many weights and ranges as variants.';

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
-- must hash as the exported one, or a new one; likewise its holdouts.
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
	SELECT * INTO l FROM experiments.layers x
	WHERE x.tenant_id = experiments_internal.required_tenant() AND x.key = layer ->> 'key';
	IF NOT FOUND THEN
		INSERT INTO experiments.layers (key, seed, description)
		VALUES (layer ->> 'key', (layer ->> 'seed')::bigint, layer ->> 'description')
		RETURNING * INTO l;
	ELSIF l.seed <> (layer ->> 'seed')::bigint THEN
		RAISE EXCEPTION 'layer "%" exists with another seed', l.key
			USING ERRCODE = 'unique_violation',
				  DETAIL = 'The imported experiment would place units in the layer differently from the exported one.',
				  HINT = 'Import into a tenant without that layer, or rename the layer in the definition.';
	END IF;
	FOR h IN SELECT * FROM jsonb_array_elements(coalesce(layer -> 'holdouts', '[]')) LOOP
		SELECT * INTO found_holdout FROM experiments.holdouts x
		WHERE x.tenant_id = l.tenant_id AND x.key = h ->> 'key';
		IF NOT FOUND THEN
			INSERT INTO experiments.holdouts (key, seed, allocation_bp, layer_id, description)
			VALUES (h ->> 'key', (h ->> 'seed')::bigint, (h ->> 'allocation_bp')::integer, l.id, h ->> 'description');
		ELSIF found_holdout.seed <> (h ->> 'seed')::bigint OR found_holdout.layer_id IS DISTINCT FROM l.id
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
