-- experiments.publish(): ABsmartly batch publishing (the ABsmartly document). Every
-- bad-input class gets a precise error or warning; nothing crashes; what is
-- stored plus what is rejected is what was sent, event by event.
-- The superuser creates the tenants and sets the server's caps; an operator
-- (regress_ops, of experiments_admin) the experiments; the application
-- (regress_shop, of experiments_client) publishes and an analyst (regress_bi,
-- of experiments_analyst) reads what was stored.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('events_publish') AS tenant \gset
SET experiments.tenant = :'tenant';
SET SESSION AUTHORIZATION regress_ops;
SELECT id AS exp_id FROM experiments.create_experiment('exp_banner_color',
	'[{"key": "control", "allocation": 50}, {"key": "blue", "allocation": 50}]', start => true) \gset
SELECT id AS draft_id FROM experiments.create_experiment('exp_draft',
	'[{"key": "a", "allocation": 100}]') \gset
SELECT id AS device_exp_id FROM experiments.create_experiment('exp_device',
	'[{"key": "a", "allocation": 100}]', unit_type => 'device_id', start => true) \gset
-- The seed's example is from December 2020: let the experiment have started
-- before it (triggers off for this one update, then a normal update so that
-- every session's cache sees the change).
RESET SESSION AUTHORIZATION;
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE experiments.experiments SET started_at = '2020-12-01T00:00:00Z' WHERE id IN (:exp_id, :device_exp_id);
COMMIT;
SET SESSION AUTHORIZATION regress_ops;
UPDATE experiments.experiments SET description = 'events test' WHERE id = :exp_id;

-- 1. The seed's example exposure, goal and attribute round-trip exactly.
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish(format($$
{"requests": [{
  "hashed": true, "historic": true, "publishedAt": 1609254179600,
  "units": [{"type": "user_id", "uid": "4a42766ca6313d26f49985e799ff4f3790fb86efa0fce46edb3ea8fbf1ea3408"}],
  "exposures": [{"id": %s, "name": "exp_banner_color", "unit": "user_id", "variant": 1,
                 "exposedAt": 1609244179528, "assigned": true, "eligible": true, "overridden": false,
                 "fullOn": false, "custom": false, "audienceMismatch": false}],
  "goals": [{"name": "banner_click", "achievedAt": 1609254179528, "properties": {}}],
  "attributes": [{"name": "age", "value": 39, "setAt": 1609244179528}]
}]}$$, :exp_id)::jsonb) AS answer;
SET TimeZone = 'UTC';
SET SESSION AUTHORIZATION regress_bi;
SELECT experiment_id = :exp_id AS same_experiment, ordinal, unit_type, unit,
       extract(epoch FROM exposed_at) * 1000 AS exposed_ms, assigned, eligible, overridden,
       full_on, custom, audience_mismatch, batch_index, event_index
FROM experiments.exposures WHERE tenant_id = :'tenant';
SELECT unit_type, unit, goal, extract(epoch FROM achieved_at) * 1000 AS achieved_ms, properties
FROM experiments.goal_events WHERE tenant_id = :'tenant';
SELECT unit_type, unit, name, value, jsonb_typeof(value) AS type, extract(epoch FROM set_at) * 1000 AS set_ms
FROM experiments.attribute_events WHERE tenant_id = :'tenant';

-- 2. The same batch again (a client retry) stores nothing and gets the
-- first answer; so does a different text of the same document.
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish(format($$
{"requests": [{
  "hashed": true, "historic": true, "publishedAt": 1609254179600,
  "units": [{"type": "user_id", "uid": "4a42766ca6313d26f49985e799ff4f3790fb86efa0fce46edb3ea8fbf1ea3408"}],
  "exposures": [{"id": %s, "name": "exp_banner_color", "unit": "user_id", "variant": 1,
                 "exposedAt": 1609244179528, "assigned": true, "eligible": true, "overridden": false,
                 "fullOn": false, "custom": false, "audienceMismatch": false}],
  "attributes": [{"setAt": 1609244179528, "value": 39, "name": "age"}],
  "goals": [{"name": "banner_click", "achievedAt": 1609254179528, "properties": {}}]
}]}$$, :exp_id)::jsonb) AS answer;
SET SESSION AUTHORIZATION regress_bi;
SELECT (SELECT count(*) FROM experiments.exposures WHERE tenant_id = :'tenant') AS exposures,
       (SELECT count(*) FROM experiments.goal_events WHERE tenant_id = :'tenant') AS goals,
       (SELECT count(*) FROM experiments.published_batches WHERE tenant_id = :'tenant') AS batches;
-- An explicit idempotency key makes two different documents one batch.
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish('{"requests": [{"units": [{"type": "user_id", "uid": "k1"}], "publishedAt": 1609254179600, "historic": true,
  "goals": [{"name": "g", "achievedAt": 1609254179528}]}]}', 'key-1')->'ok' AS first,
       experiments.publish('{"requests": [{"units": [{"type": "user_id", "uid": "k2"}], "publishedAt": 1609254179600, "historic": true,
  "goals": [{"name": "g", "achievedAt": 1609254179528}]}]}', 'key-1')->'ok' AS retry;
SET SESSION AUTHORIZATION regress_bi;
SELECT unit FROM experiments.goal_events WHERE tenant_id = :'tenant' AND goal = 'g';

-- 3. Every bad-input class, in one batch: each event is stored or refused
-- with a message naming its batchIndex, eventIndex and field.
RESET SESSION AUTHORIZATION;
CREATE TEMP TABLE bad_batch AS
SELECT format($$
{"requests": [
 {"publishedAt": 1700000000000, "units": [{"type": "user_id", "uid": "u-0"}],
  "exposures": [
    {"unit": "user_id", "variant": 1, "exposedAt": 1700000000000},
    {"name": 42, "unit": "user_id", "variant": 1, "exposedAt": 1700000000000},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 129, "exposedAt": 1700000000000},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 2, "exposedAt": 1700000000000},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 1.5, "exposedAt": 1700000000000},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 1, "exposedAt": 1e400},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 1, "exposedAt": -1},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 1, "exposedAt": "2023-11-14T22:13:20"},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 1, "exposedAt": "now"},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 1, "exposedAt": "infinity"},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 1, "exposedAt": "2023-11-14T22:13:20.5+01:00"},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 1, "exposedAt": "2023-02-30T00:00:00Z"},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 1, "exposedAt": 1700000000000, "assigned": "true"},
    {"name": "no_such_experiment", "unit": "user_id", "variant": 0, "exposedAt": 1700000000000},
    {"name": "exp_draft", "unit": "user_id", "variant": 0, "exposedAt": 1700000000000},
    {"name": "exp_device", "unit": "user_id", "variant": 0, "exposedAt": 1700000000000},
    {"name": "exp_device", "unit": "device_id", "variant": 0, "exposedAt": 1700000000000},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": 1500000000000},
    {"id": %s, "name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": 1700000000000},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": 1700000000000, "colour": "red", "variantName": "x"},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": 1700009999999},
    {"name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": 1600000000000},
    {"name": "exp_banner_color", "name": "no_such_experiment", "unit": "user_id", "variant": 0, "exposedAt": 1700000000000},
    "not an object",
    {"name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": 1700000000000.000}
  ],
  "goals": [
    {"name": "ok", "achievedAt": 1700000000000, "properties": {"amount": 12.5, "nested": {"a": [1, 2]}}},
    {"name": "", "achievedAt": 1700000000000},
    {"name": "g", "achievedAt": 1700000000000, "properties": [1, 2]},
    {"name": "g", "achievedAt": 1700000000000, "properties": %s},
    {"name": "g", "achievedAt": 1700000000000, "properties": {"big": "%s"}},
    {"name": "g", "achievedAt": 1700000000000, "properties": null},
    {"name": "g"}
  ],
  "attributes": [
    {"name": "s", "value": "39", "setAt": 1700000000000},
    {"name": "b", "value": false, "setAt": 1700000000000},
    {"name": "n", "value": null, "setAt": 1700000000000},
    {"name": "a", "value": [1, "x", {"y": true}], "setAt": 1700000000000},
    {"name": "missing value", "setAt": 1700000000000},
    {"name": "%s", "value": 1, "setAt": 1700000000000}
  ]},
 {"publishedAt": "yesterday", "units": [{"type": "user_id", "uid": "u-4"}],
  "goals": [{"name": "g", "achievedAt": 1700000000000}]},
 {"units": [{"type": "user_id", "uid": "u-5"}], "hashed": false, "historic": "yes",
  "goals": [{"name": "g", "achievedAt": 1700000000000}]},
 {"units": [{"type": "user_id", "uid": "u-6"}], "hashed": false, "exposures": {"name": "x"}, "goals": null, "extra": 1,
  "attributes": [{"name": "via receipt time", "value": 1, "setAt": 1000}]},
 [1, 2, 3]
]}$$,
	:exp_id,
	'{"a": ' || repeat('[', 40) || repeat(']', 40) || '}',
	repeat('x', 70000),
	repeat('é', 2049))::jsonb AS batch;
GRANT SELECT ON pg_temp.bad_batch TO regress_shop, regress_bi;
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish(batch) AS answer FROM bad_batch \gset
SET SESSION AUTHORIZATION regress_bi;
SELECT max(id) AS bad_id FROM experiments.published_batches WHERE tenant_id = :'tenant' \gset
SELECT (:'answer'::jsonb)->'ok' AS ok;
-- (the last one is against the time of receipt, shown as <receipt>)
SELECT w->'batchIndex' AS b, w->'eventIndex' AS e, w->>'subject' AS subject,
       CASE WHEN w->>'batchIndex' = '3'
            THEN regexp_replace(w->>'message', 'publishedAt 2[0-9T:.Z-]+ \([0-9]+ ms\)$', 'publishedAt <receipt>')
            ELSE w->>'message' END AS warning
FROM jsonb_array_elements((:'answer'::jsonb)->'warnings') w;
SELECT w->'batchIndex' AS b, w->'eventIndex' AS e, w->>'subject' AS subject, left(w->>'message', 160) AS error
FROM jsonb_array_elements((:'answer'::jsonb)->'errors') w;

-- What was stored from that batch, and the rejected rows beside the errors.
SELECT batch_index, event_index, ordinal, unit, exposed_at
FROM experiments.exposures WHERE batch_id = :bad_id
ORDER BY batch_index, event_index;
SELECT batch_index, event_index, goal, left(unit, 5) AS unit, length(unit), achieved_at, properties
FROM experiments.goal_events WHERE batch_id = :bad_id
ORDER BY batch_index, event_index, unit_type;
SELECT batch_index, event_index, name, unit, value FROM experiments.attribute_events WHERE batch_id = :bad_id
ORDER BY batch_index, event_index;
SELECT count(*) AS rejected_rows,
       count(*) = jsonb_array_length((:'answer'::jsonb)->'errors') AS one_row_per_error
FROM experiments.rejected_events WHERE batch_id = :bad_id;
SELECT batch_index, event_index, subject, left(event::text, 60) AS event
FROM experiments.rejected_events WHERE tenant_id = :'tenant' AND batch_index = 0 AND event_index IN (22, 23)
ORDER BY event_index;

-- 4. stored + rejected = sent, event by event: every exposure, goal and
-- attribute of the batch is either stored or rejected, never both.
WITH sent AS (
	SELECT r.i - 1 AS batch_index, a.kind, e.j - 1 AS event_index
	FROM bad_batch, jsonb_array_elements(batch->'requests') WITH ORDINALITY r(req, i),
		 unnest(ARRAY['exposures', 'goals', 'attributes']) a(kind),
		 jsonb_array_elements(CASE WHEN jsonb_typeof(r.req) = 'object' AND jsonb_typeof(r.req->a.kind) = 'array'
								   THEN r.req->a.kind ELSE '[]' END) WITH ORDINALITY e(ev, j)
), batch AS (
	SELECT :bad_id::bigint AS id
), outcome AS (
	SELECT DISTINCT batch_index, 'exposures' AS kind, event_index, 'stored' AS fate FROM experiments.exposures, batch WHERE batch_id = batch.id
	UNION ALL SELECT DISTINCT batch_index, 'goals', event_index, 'stored' FROM experiments.goal_events, batch WHERE batch_id = batch.id
	UNION ALL SELECT DISTINCT batch_index, 'attributes', event_index, 'stored' FROM experiments.attribute_events, batch WHERE batch_id = batch.id
	UNION ALL SELECT batch_index, split_part(subject, '[', 1), event_index, 'rejected' FROM experiments.rejected_events, batch
	WHERE batch_id = batch.id AND event_index >= 0 AND subject ~ '^(exposures|goals|attributes)\['
)
SELECT count(*) AS sent,
       count(*) FILTER (WHERE fates = ARRAY['stored']) AS stored,
       count(*) FILTER (WHERE fates = ARRAY['rejected']) AS rejected,
       count(*) FILTER (WHERE fates IS NULL OR cardinality(fates) <> 1) AS lost_or_twice
FROM (SELECT s.batch_index, s.kind, s.event_index, array_agg(o.fate) FILTER (WHERE o.fate IS NOT NULL) AS fates
	  FROM sent s LEFT JOIN outcome o USING (batch_index, kind, event_index)
	  GROUP BY 1, 2, 3) x;

-- An exposure before the experiment started (a historic request keeps its
-- old time, so the check sees it).
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish('{"requests": [{"historic": true, "publishedAt": 1609254179600, "units": [{"type": "user_id", "uid": "early"}],
  "exposures": [{"name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": 1604188800000}]}]}')->'errors' AS before_start;

-- 5. Batch-level limits: an error, and nothing stored.
SET SESSION AUTHORIZATION regress_bi;
SELECT count(*) AS rejected_before FROM experiments.rejected_events WHERE tenant_id = :'tenant' \gset
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish('{"requests": []}');
SELECT experiments.publish(jsonb_build_object('requests',
	(SELECT jsonb_agg('{"units": [{"type": "user_id", "uid": "u"}], "goals": [{"name": "g", "achievedAt": 1700000000000}]}'::jsonb)
	 FROM generate_series(1, 501))));
SELECT experiments.publish(jsonb_build_object('requests', jsonb_build_array(jsonb_build_object(
	'units', '[{"type": "user_id", "uid": "u"}]'::jsonb,
	'goals', (SELECT jsonb_agg('{"name": "g", "achievedAt": 1700000000000}'::jsonb) FROM generate_series(1, 1001))))));
SELECT experiments.publish(jsonb_build_object('requests', (SELECT jsonb_agg(g) FROM generate_series(1, 1000000) g)));
-- Units, which the seed requires (non-empty, uids of 1 to 640 characters):
-- a bad one refuses the batch, however good its other requests.
SELECT format('SELECT experiments.publish(%L)', format('{"requests": [{"units": [{"type": "user_id", "uid": "u"}]}, {"units": %s}]}', u))
FROM (VALUES ('[]'), ('{}'), ('[{"type": "user_id", "uid": ""}]'),
			 (format('[{"type": "user_id", "uid": "%s"}]', repeat('u', 641))),
			 ('[{"type": "user_id", "uid": "a"}, {"type": "user_id", "uid": "again"}]'), ('[{"type": "device_id"}]'),
			 ('[{"type": "", "uid": "a"}]'), ('["user_id"]')) v(u) \gexec
SELECT experiments.publish('{"requests": [{"goals": []}]}');
SELECT experiments.publish(format('{"requests": [{"units": [{"type": "user_id", "uid": "%s"}], "historic": true, "publishedAt": 1609254179600,
  "goals": [{"name": "g", "achievedAt": 1609254179528}]}]}', repeat('v', 640))::jsonb)->'ok' AS uid_of_640;
-- The seed's 128 exposures a request.
SELECT experiments.publish(jsonb_build_object('requests', jsonb_build_array(jsonb_build_object(
	'units', '[{"type": "user_id", "uid": "u"}]'::jsonb,
	'exposures', (SELECT jsonb_agg('{"name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": 1700000000000}'::jsonb) FROM generate_series(1, 129))))));
SELECT experiments.publish('[1, 2]');
SELECT experiments.publish('{"requests": {"units": []}}');
SELECT experiments.publish(NULL);
RESET SESSION AUTHORIZATION;
SET experiments.max_batch_size = '1kB';
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish(batch) FROM bad_batch;
RESET SESSION AUTHORIZATION;
RESET experiments.max_batch_size;
-- What a batch may write, counted from its shape before any event is read:
-- goals and attributes once per unit of their request. 200 units and 600
-- goals (every array under its cap) would be 120,001 rows; 50 units and 100
-- goals of 2 kB properties 10 MB of JSON, over a lowered bytes cap.
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish(jsonb_build_object('requests', jsonb_build_array(jsonb_build_object(
	'units', (SELECT jsonb_agg(jsonb_build_object('type', 't' || u, 'uid', 'a')) FROM generate_series(1, 200) u),
	'goals', (SELECT jsonb_agg(jsonb_build_object('name', 'g', 'achievedAt', 1700000000000)) FROM generate_series(1, 600))))));
RESET SESSION AUTHORIZATION;
SET experiments.max_request_bytes = '512kB';
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish(jsonb_build_object('requests', jsonb_build_array(jsonb_build_object(
	'units', (SELECT jsonb_agg(jsonb_build_object('type', 't' || u, 'uid', 'a')) FROM generate_series(1, 50) u),
	'goals', (SELECT jsonb_agg(jsonb_build_object('name', 'g', 'achievedAt', 1700000000000, 'properties',
		jsonb_build_object('p', repeat('p', 2048)))) FROM generate_series(1, 100))))));
RESET SESSION AUTHORIZATION;
RESET experiments.max_request_bytes;
SET SESSION AUTHORIZATION regress_bi;
SELECT count(*) - :rejected_before AS rejected_since FROM experiments.rejected_events WHERE tenant_id = :'tenant';

-- 6. What jsonb itself refuses never reaches publish(): \u0000, lone
-- surrogates, NaN, and nesting deeper than the parser allows.
SELECT '{"requests": [{"units": [{"type": "user_id", "uid": "a\u0000b"}]}]}'::jsonb;
SELECT '{"requests": [{"units": [{"type": "user_id", "uid": "\ud800"}]}]}'::jsonb;
SELECT '{"requests": [{"units": [{"type": "user_id", "uid": "u"}], "publishedAt": NaN}]}'::jsonb;
SET SESSION AUTHORIZATION regress_shop;
SELECT left(experiments.publish(('{"requests": [{"units": [{"type": "user_id", "uid": "deep"}], "goals": [{"name": "g", "achievedAt": 1700000000000, "properties": {"a": '
	|| repeat('[', 10000) || repeat(']', 10000) || '}}]}]}')::jsonb)->'errors'->0->>'message', 80) AS depth_10000;

-- 7. hashed = false: the collector stores experiments.hash_unit(uid).
SELECT experiments.hash_unit('u-6') AS hashed, length(experiments.hash_unit('u-6')) AS length;
SELECT experiments.hash_unit('u-6') AS u6_hashed \gset
SET SESSION AUTHORIZATION regress_bi;
SELECT DISTINCT unit = :'u6_hashed' AS stored_hashed FROM experiments.attribute_events
WHERE tenant_id = :'tenant' AND name = 'via receipt time';

-- 8. Tenancy: another tenant sees none of these events, and the same batch
-- sent by another tenant is stored again (keys are per tenant).
RESET SESSION AUTHORIZATION;
SELECT experiments.create_tenant('events_publish_other') AS other \gset
BEGIN;
SET LOCAL experiments.tenant = :'other';
SET LOCAL ROLE regress_bi;
SELECT (SELECT count(*) FROM experiments.exposures) AS exposures, (SELECT count(*) FROM experiments.goal_events) AS goals,
       (SELECT count(*) FROM experiments.rejected_events) AS rejected;
RESET ROLE;
SET LOCAL experiments.tenant = :'tenant';
SET LOCAL ROLE regress_bi;
SELECT (SELECT count(*) FROM experiments.exposures) > 0 AS own_exposures_visible;
SELECT count(*) AS partition_direct FROM experiments.exposures_overflow;
ROLLBACK;
SET experiments.tenant = :'other';
SET SESSION AUTHORIZATION regress_shop;
SELECT experiments.publish('{"requests": [{"units": [{"type": "user_id", "uid": "k1"}], "publishedAt": 1609254179600, "historic": true,
  "goals": [{"name": "g", "achievedAt": 1609254179528}]}]}', 'key-1')->'ok' AS other_tenant_same_key;
SET SESSION AUTHORIZATION regress_bi;
SELECT count(*) AS other_goals FROM experiments.goal_events WHERE tenant_id = :'other';

RESET SESSION AUTHORIZATION;
-- 9. Partitions: creating the second tenant made this month's partitions
-- and those of the months in the overflow partitions (December 2020), moving
-- their rows. A goal of November 2020 lands in the overflow partition;
-- create_event_partitions() makes its month and moves it there.
SELECT experiments.publish('{"requests": [{"units": [{"type": "user_id", "uid": "k9"}], "publishedAt": 1609254179600, "historic": true,
  "goals": [{"name": "g", "achievedAt": 1605441600000}]}]}')->'ok' AS stored;
SELECT count(*) AS in_default_before FROM experiments.goal_events_overflow;
SELECT experiments.create_event_partitions(1) > 0 AS created;
SELECT count(*) AS in_default_after FROM experiments.goal_events_overflow;
SELECT tableoid::regclass AS partition, count(*) FROM experiments.exposures WHERE tenant_id = :'tenant' GROUP BY 1 ORDER BY 1;
SELECT experiments.create_event_partitions(1) AS created_again;
-- The default partitions' indexes, written out in src/events/events.sql, are
-- those create_event_partition_indexes() gives a monthly partition.
WITH p AS (
	SELECT pc.relname AS parent, c.relname AS part,
		   array(SELECT replace(pg_get_indexdef(x.indexrelid), c.relname, pc.relname)
				 FROM pg_index x WHERE x.indrelid = c.oid ORDER BY 1) AS indexes
	FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_class pc ON pc.oid = h.inhparent
	WHERE pc.relnamespace = 'experiments'::regnamespace
)
SELECT count(DISTINCT m.parent) AS tables_compared,
	   count(*) FILTER (WHERE m.indexes IS DISTINCT FROM d.indexes) AS indexed_unlike_the_overflow_partition
FROM p m JOIN p d ON d.parent = m.parent AND d.part = m.parent || '_overflow'
WHERE m.part <> d.part;
SELECT experiments.create_event_partitions(-1);
RESET experiments.tenant;
\i sql/helpers/drop_logins.sql
