# Shared by the suites that move a filled database somewhere and check that
# it arrived whole (test/scripts/dump_restore.sh, test/scripts/upgrade.sh):
# the fill, the snapshot of every row, and assign()'s answers. Sourced; each
# function takes the database as its first argument.

# fill DB TENANT: the catalog and the events of one tenant (running
# experiments, a layer, overrides, enrolments, exposures, goals and
# attributes in this month's partitions and in the default ones, a refused
# event, an idempotency key, AB Tasty events)
fill() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -v tenant="$2" >/dev/null <<'SQL'
BEGIN;
SELECT experiments.set_tenant(id) FROM experiments.tenants WHERE name = :'tenant';
SELECT experiments.create_experiment('dump_exp',
	'[{"key": "a", "allocation": 34}, {"key": "b", "allocation": 33}, {"key": "c", "allocation": 33}]',
	traffic_percent => 80, start => true);
INSERT INTO experiments.layers (key) VALUES ('homepage');
SELECT experiments.create_experiment('dump_layered', '[{"key": "x", "allocation": 50}, {"key": "y", "allocation": 50}]');
UPDATE experiments.experiments SET layer_id = (SELECT id FROM experiments.layers WHERE key = 'homepage' AND tenant_id = experiments.current_tenant()),
	layer_lo = 0, layer_hi = 5000
WHERE key = 'dump_layered' AND tenant_id = experiments.current_tenant();
SELECT experiments.set_state('dump_layered', 'running');
-- Started long ago, so that the 2020 exposures below are accepted: a
-- fixture, past the triggers that forbid it.
SET LOCAL session_replication_role = replica;
UPDATE experiments.experiments SET started_at = '2019-01-01' WHERE tenant_id = experiments.current_tenant();
SET LOCAL session_replication_role = origin;
SELECT experiments.set_override('dump_exp', 'forced-' || i, 'c') FROM generate_series(1, 5) i;
SELECT experiments.enrol('dump_exp', 'unit-' || i) FROM generate_series(1, 200) i;
SELECT experiments.enrol('dump_layered', 'unit-' || i) FROM generate_series(1, 100) i;
-- This month (a monthly partition) and 2020 (the default partition), one
-- exposure refused for its variant, with an idempotency key.
SELECT experiments.publish(jsonb_build_object('requests', jsonb_agg(jsonb_build_object(
	'hashed', true, 'historic', true,
	'units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'unit-' || i)),
	'exposures', jsonb_build_array(jsonb_build_object('name', 'dump_exp', 'unit', 'user_id',
		'variant', CASE WHEN i = 7 THEN 99 ELSE i % 3 END,
		'exposedAt', CASE WHEN i % 2 = 0 THEN now_ms ELSE 1583298367000 END)),
	'goals', jsonb_build_array(jsonb_build_object('name', 'click', 'achievedAt',
		CASE WHEN i % 2 = 0 THEN now_ms ELSE 1583298367000 END, 'properties', jsonb_build_object('n', i))),
	'attributes', jsonb_build_array(jsonb_build_object('name', 'age', 'value', i, 'setAt', now_ms))))),
	'batch-' || :'tenant')
FROM generate_series(1, 40) i, (SELECT floor(extract(epoch FROM now()) * 1000)::bigint AS now_ms) n;
SELECT experiments.campaign_activated_event(to_jsonb(e.id::text), to_jsonb(v.id::text),
	jsonb_build_object('device_type', 'DESKTOP', 'origin', 'https://shop.example/p', 'visitor_id', 'visitor-' || v.ordinal))
FROM experiments.experiments e JOIN experiments.variants v ON v.experiment_id = e.id
WHERE e.key = 'dump_exp' AND e.tenant_id = experiments.current_tenant();
SELECT experiments.custom_event('"time-before-purchase"',
	jsonb_build_object('device_type', 'MOBILE_PHONE', 'origin', 'app://home', 'visitor_id', 'visitor-' || i,
		'timestamp', CASE WHEN i % 2 = 0 THEN '2019-02-12T17:29:02Z' END),
	value_integer => to_jsonb(i * 1000))
FROM generate_series(1, 10) i;
SELECT experiments.transaction_event('"apparel"', to_jsonb(:'tenant' || '-tx-1'), '1234', '100',
	'{"device_type": "DESKTOP", "origin": "https://shop.example/cart", "visitor_id": "visitor-1"}',
	items => '[{"name": "shirt", "price": 1134, "quantity": 1}]');
SELECT experiments.visit_event('{"device_type": "TABLET", "origin": "https://shop.example/", "visitor_id": "visitor-2"}');
SELECT experiments.visit_event('{"device_type": "TABLET", "origin": 3}');
COMMIT;
SQL
}

# snapshot_queries DB: the query of each table of the schema (partitions
# too): its name, its row count and the md5 of its rows in order, over the
# columns it has now, so that a later version's new columns do not count as
# a change of the old rows; and of each sequence's position (a later
# version's new tables and sequences are not in the snapshot)
snapshot_queries() {
	psql -X -q -tA -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(coalesce(string_agg(row(%s)::text, ''|'' ORDER BY row(%s)::text), '''')) FROM ONLY experiments.%I;',
			  c.relname, a.cols, a.cols, c.relname)
FROM pg_class c
CROSS JOIN LATERAL (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS cols
					FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) a
WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname;
SELECT format('SELECT %L || '' '' || last_value || '' '' || is_called FROM experiments.%I;', c.relname, c.relname)
FROM pg_class c
WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind = 'S'
ORDER BY c.relname;
SQL
}

# snapshot DB QUERIES: the rows and sequence positions (the file
# snapshot_queries wrote) and the partition bounds
snapshot() {
	{
		cat "$2"
		cat <<'SQL'
SELECT 'partition ' || c.relname || ' of ' || i.inhparent::regclass || ' ' || pg_get_expr(c.relpartbound, c.oid)
FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname;
SQL
	} | psql -X -q -tA -v ON_ERROR_STOP=1 -d "$1"
}

# answers DB: assign() for a sample of units of every tenant
answers() {
	psql -X -q -tA -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT t.name, e.key, u, experiments.assign(e.key, u)::text
FROM experiments.tenants t
CROSS JOIN LATERAL (SELECT experiments.set_tenant(t.id)) s
JOIN experiments.experiments e ON e.tenant_id = t.id
CROSS JOIN (SELECT 'unit-' || i AS u FROM generate_series(1, 300) i
			UNION ALL SELECT 'forced-' || i FROM generate_series(1, 5) i) units
ORDER BY 1, 2, 3;
SQL
}
