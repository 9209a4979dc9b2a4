-- Binding A/B test segments to promotions, slot configurations and sorting
-- rules (the Commerce Cloud document): the samples replayed and every fault of the bindings.
-- The superuser creates the tenants; an operator (regress_ops, a member of
-- experiments_admin) does the rest. Every query of a table names the tenant
-- all the same.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('regress-ab-test-bindings') AS tenant \gset
SET experiments.tenant = :'tenant';
SET SESSION AUTHORIZATION regress_ops;
INSERT INTO experiments.sites (key) VALUES ('SiteGenesis') RETURNING id AS site \gset
INSERT INTO experiments.promotions (site_id, key) VALUES (:site, 'my-promo');
INSERT INTO experiments.sorting_rules (site_id, key) VALUES (:site, 'my-rule'), (:site, 'other-rule');
INSERT INTO experiments.categories (site_id, key) VALUES (:site, 'category1.1');
INSERT INTO experiments.slots (site_id, key, context_type) VALUES (:site, 'my-slot1', 'category'), (:site, 'my-slot1', 'global');
INSERT INTO experiments.slot_configurations (slot_id, key, context_id)
SELECT s.id, 'my-slot-config2', CASE s.context_type WHEN 'category' THEN 'my-category1' ELSE '' END
FROM experiments.slots s WHERE s.site_id = :site;
SELECT experiments.create_ab_test('SiteGenesis', 'my-abtest',
	'{"start_date": "2015-04-01T11:30:15.000Z", "end_date": "2015-07-31T23:09:08.000Z"}') ->> 'id';
SELECT experiments.create_ab_test_segment('SiteGenesis', 'my-abtest', s, '{"allocation": 50}') ->> 'id'
FROM unnest(ARRAY['my-segment', 'my-group']) s;

\i sql/helpers/fault.sql

-- What is bound, by segment, in this tenant.
CREATE VIEW pg_temp.my_variants AS
SELECT * FROM experiments.variants WHERE tenant_id = :'tenant';
CREATE VIEW pg_temp.bindings AS
SELECT 'promotion' AS kind, v.key AS segment, p.key AS object, NULL AS context
FROM experiments.segment_promotions b JOIN pg_temp.my_variants v ON v.id = b.variant_id
JOIN experiments.promotions p ON p.id = b.promotion_id
UNION ALL
SELECT 'slot configuration', v.key, s.key || '/' || c.key, s.context_type || '=' || c.context_id
FROM experiments.segment_slot_configurations b JOIN pg_temp.my_variants v ON v.id = b.variant_id
JOIN experiments.slot_configurations c ON c.id = b.slot_configuration_id JOIN experiments.slots s ON s.id = c.slot_id
UNION ALL
SELECT 'sorting rule', v.key, r.key, c.key
FROM experiments.segment_sorting_rules b JOIN pg_temp.my_variants v ON v.id = b.variant_id
JOIN experiments.sorting_rules r ON r.id = b.sorting_rule_id JOIN experiments.categories c ON c.id = b.category_id
ORDER BY 1, 2, 3;

\echo '== PUT .../segments/my-segment/promotions/my-promo: 204, and again: still 204'
SELECT experiments.get_ab_test('SiteGenesis', 'my-abtest') ->> '_resource_state' AS state_before \gset
SELECT experiments.bind_ab_test_promotion(site_id => 'SiteGenesis', ab_test_id => 'my-abtest',
										  segment_id => 'my-segment', promotion_id => 'my-promo');
SELECT experiments.bind_ab_test_promotion('SiteGenesis', 'my-abtest', 'my-segment', 'my-promo');
SELECT * FROM pg_temp.bindings;
-- a binding is a change of the test: its token moves
SELECT experiments.get_ab_test('SiteGenesis', 'my-abtest') ->> '_resource_state' <> :'state_before' AS token_changed;
\echo '== its faults'
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_promotion('SiteGenesis', 'no-abtest', 'my-segment', 'my-promo')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_promotion('SiteGenesis', 'my-abtest', 'no-segment', 'my-promo')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_promotion('SiteGenesis', 'my-abtest', 'my-segment', 'no-promo')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_promotion('NoSite', 'my-abtest', 'my-segment', 'my-promo')$$);
\echo '== DELETE .../promotions/my-promo: 204, and its faults'
SELECT experiments.unbind_ab_test_promotion('SiteGenesis', 'my-abtest', 'my-segment', 'my-promo');
SELECT * FROM pg_temp.bindings;
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_promotion('SiteGenesis', 'no-abtest', 'my-segment', 'my-promo')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_promotion('SiteGenesis', 'my-abtest', 'no-segment', 'my-promo')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_promotion('SiteGenesis', 'my-abtest', 'my-segment', 'no-promo')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_promotion('NoSite', 'my-abtest', 'my-segment', 'my-promo')$$);

\echo '== PUT .../slot_configurations/my-slot1/my-slot-config2?context=category=my-category1: 204; and the global context'
SELECT experiments.bind_ab_test_slot_configuration(site_id => 'SiteGenesis', ab_test_id => 'my-abtest', segment_id => 'my-segment',
	slot_id => 'my-slot1', slot_config_id => 'my-slot-config2', context => 'category=my-category1');
SELECT experiments.bind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-group', 'my-slot1', 'my-slot-config2');
SELECT * FROM pg_temp.bindings;
\echo '== its faults'
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_slot_configuration('SiteGenesis', 'no-abtest', 'my-segment', 'my-slot1', 'my-slot-config2', 'category=my-category1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'no-segment', 'my-slot1', 'my-slot-config2', 'category=my-category1')$$);
-- the seed's sample names slot my-slot and shows context id '' for a
-- request that named my-category1: the fault names the context id asked for
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot', 'my-slot-config2', 'category=my-category1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot1', 'my-slot-config2', 'folder=my-folder')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot1', 'my-slot-config2', 'category=')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot1', 'my-slot-config2', 'category=other-category')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot1', 'my-slot-config2', 'invalid')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot1', 'my-slot-config2', 'global=x')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_slot_configuration('NoSite', 'my-abtest', 'my-segment', 'my-slot1', 'my-slot-config2')$$);
\echo '== DELETE .../slot_configurations/my-slot1/my-slot-config2?context=category=my-category1: 204, and its faults'
SELECT experiments.unbind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot1', 'my-slot-config2', 'category=my-category1');
SELECT * FROM pg_temp.bindings;
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_slot_configuration('SiteGenesis', 'no-abtest', 'my-segment', 'my-slot1', 'my-slot-config2', 'category=my-category1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'no-segment', 'my-slot1', 'my-slot-config2', 'category=my-category1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot', 'my-slot-config2', 'category=my-category1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot1', 'no-config', 'category=my-category1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_slot_configuration('SiteGenesis', 'my-abtest', 'my-segment', 'my-slot1', 'my-slot-config2', 'invalid')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_slot_configuration('NoSite', 'my-abtest', 'my-segment', 'my-slot1', 'my-slot-config2')$$);

\echo '== PUT .../segments/my-group/sorting_rules/my-rule/category1.1: 204; one rule per test and category'
SELECT experiments.bind_ab_test_sorting_rule(site_id => 'SiteGenesis', ab_test_id => 'my-abtest', segment_id => 'my-group',
											 sorting_rule_id => 'my-rule', category_id => 'category1.1');
SELECT experiments.bind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'my-group', 'my-rule', 'category1.1');
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'my-group', 'other-rule', 'category1.1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'my-segment', 'my-rule', 'category1.1')$$);
SELECT * FROM pg_temp.bindings;
\echo '== its faults (the seed''s sample says ABTesGroupNotFoundException; the fault table and the issue say ABTestSegmentNotFoundException)'
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_sorting_rule('SiteGenesis', 'no-abtest', 'my-group', 'my-rule', 'category1.1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'no-group', 'my-rule', 'category1.1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'my-group', 'no-rule', 'category1.1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'my-group', 'my-rule', 'category9.9')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_sorting_rule('NoSite', 'my-abtest', 'my-group', 'my-rule', 'category1.1')$$);
\echo '== DELETE .../sorting_rules/my-rule/category1.1: 204, and its faults; then the other rule may be bound'
SELECT experiments.unbind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'my-group', 'my-rule', 'category1.1');
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_sorting_rule('SiteGenesis', 'no-abtest', 'my-group', 'my-rule', 'category1.1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'no-group', 'my-rule', 'category1.1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'my-group', 'no-rule', 'category1.1')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'my-group', 'my-rule', 'category9.9')$$);
SELECT * FROM pg_temp.fault($$SELECT experiments.unbind_ab_test_sorting_rule('NoSite', 'my-abtest', 'my-group', 'my-rule', 'category1.1')$$);
SELECT experiments.bind_ab_test_sorting_rule('SiteGenesis', 'my-abtest', 'my-segment', 'other-rule', 'category1.1');
SELECT * FROM pg_temp.bindings;

\echo '== deleting a segment removes its bindings; deleting the test removes the rest'
SELECT experiments.bind_ab_test_promotion('SiteGenesis', 'my-abtest', 'my-group', 'my-promo');
SELECT experiments.delete_ab_test_segment('SiteGenesis', 'my-abtest', 'my-group');
SELECT * FROM pg_temp.bindings;
SELECT experiments.delete_ab_test('SiteGenesis', 'my-abtest');
SELECT * FROM pg_temp.bindings;

\echo '== another tenant sees none of it'
RESET SESSION AUTHORIZATION;
SELECT experiments.create_tenant('regress-ab-test-bindings-2') AS other \gset
SET experiments.tenant = :'other';
SET SESSION AUTHORIZATION regress_ops;
SELECT count(*) FROM experiments.promotions WHERE tenant_id = :'other';
SELECT * FROM pg_temp.fault($$SELECT experiments.bind_ab_test_promotion('SiteGenesis', 'my-abtest', 'my-segment', 'my-promo')$$);
\i sql/helpers/drop_logins.sql
