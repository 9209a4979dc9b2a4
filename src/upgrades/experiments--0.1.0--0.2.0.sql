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
						r ->> 'variant', control, m.metric || ' (conversion rate)',
						(r ->> 'rate_relative_lift')::float8, (r ->> 'rate_relative_lower')::float8,
						(r ->> 'rate_relative_upper')::float8, (r ->> 'rate_p_value')::float8, 0.05, '95%')) || '</li>',
					'' ORDER BY (r ->> 'ordinal')::integer)
			FROM jsonb_array_elements(results) r
			WHERE r ->> 'kind' = m.kind AND r ->> 'metric' = m.metric AND (r ->> 'ordinal')::integer <> 0), '');
		tables := tables || format('<section class="metric" data-metric="%s"><h2>%s</h2><div class="scroll"><table><thead><tr>'
			'<th>Variant</th><th>Units</th><th>Converting</th><th>Rate (95%% CI)</th><th>Relative lift (95%% CI)</th><th>p-value</th>%s'
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
