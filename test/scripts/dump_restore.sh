#!/usr/bin/env bash
# Dump and restore: a database using the extension (two tenants, running
# experiments with variants, a layer, overrides, enrolments, exposures, goals,
# attributes and AB Tasty events both in monthly partitions and in the default
# ones, rejected events, idempotency keys) is dumped with pg_dump -Fc and
# restored with pg_restore into a fresh database. Then every table of the
# experiments schema, partitions included, has the same rows (count and md5
# of the ordered rows, table by table), the partitions have the same bounds,
# the identity sequences the same positions, assign() gives the same answers
# for a sample of units, and new rows after the restore take new ids.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
cluster_scratch dumprest
restored=dumprest_restored
# shellcheck disable=SC2064
trap "rm -rf '$work'; dropdb --if-exists dumprest >/dev/null 2>&1 || true; dropdb --if-exists $restored >/dev/null 2>&1 || true" EXIT

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION experiments;
SELECT experiments.create_event_partitions(1);
SELECT experiments.create_tenant(t) FROM unnest(ARRAY['dump_one', 'dump_two']) AS t;
SQL

# fill TENANT: the catalog and the events of one tenant
fill() {
	psql -X -q -v ON_ERROR_STOP=1 -v tenant="$1" >/dev/null <<'SQL'
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
fill dump_one
fill dump_two

# snapshot: every table of the schema (partitions too) with its row count and
# the md5 of its rows in order, the partition bounds, and the sequences
snapshot() {
	psql -X -q -tA -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(coalesce(string_agg(t::text, ''|'' ORDER BY t::text), '''')) FROM ONLY experiments.%I t',
			  c.relname, c.relname)
FROM pg_class c
WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname \gexec
SELECT 'partition ' || c.relname || ' of ' || i.inhparent::regclass || ' ' || pg_get_expr(c.relpartbound, c.oid)
FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname;
SELECT format('SELECT %L || '' '' || last_value || '' '' || is_called FROM experiments.%I', c.relname, c.relname)
FROM pg_class c
WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind = 'S'
ORDER BY c.relname \gexec
SQL
}

# answers DB: assign() for a sample of units of both tenants
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

snapshot dumprest >"$work/before"
answers dumprest >"$work/answers_before"
"$PGBIN/pg_dump" -Fc -f "$work/dump" dumprest 2>"$work/dump_warnings"
createdb "$restored"
# The extension's triggers check every new catalog row (a new experiment is
# a draft, ...) and would refuse the restored ones; experiments and variants
# reference each other. Restoring with session_replication_role = replica
# loads the rows as they were, like pg_dump --disable-triggers (README).
PGOPTIONS="-c session_replication_role=replica" \
	"$PGBIN/pg_restore" --exit-on-error -d "$restored" "$work/dump" 2>"$work/restore_errors" ||
	{ echo "pg_restore failed:"; cat "$work/restore_errors"; exit 1; }
snapshot "$restored" >"$work/after"
answers "$restored" >"$work/answers_after"
diff -u "$work/before" "$work/after" || { echo "the restored database differs"; exit 1; }
diff -u "$work/answers_before" "$work/answers_after" || { echo "assign() answers differently after restore"; exit 1; }

# Everything the fill made is in the snapshot: no table compared empty.
for table in tenants experiments variants layers overrides enrolments published_batches rejected_events \
	exposures_default goal_events_default custom_events_default; do
	grep -qE "^$table [1-9][0-9]* " "$work/after" || { echo "table $table was compared empty:"; cut -c1-60 "$work/after"; exit 1; }
done
for table in exposures goal_events attribute_events campaign_activations custom_events transactions transaction_items visits; do
	grep -qE "^${table}_[0-9]{6} [1-9][0-9]* " "$work/after" || { echo "no monthly partition of $table has rows"; exit 1; }
done

# New rows after the restore take new ids and go on working: no collision
# with the restored identity sequences, and maintenance still runs.
psql -X -q -v ON_ERROR_STOP=1 -d "$restored" >/dev/null <<'SQL'
BEGIN;
SELECT experiments.set_tenant(id) FROM experiments.tenants WHERE name = 'dump_one';
SELECT experiments.create_experiment('after_restore', '[{"key": "a", "allocation": 100}]', start => true);
INSERT INTO experiments.layers (key) VALUES ('after_restore');
SELECT experiments.enrol('after_restore', 'unit-' || i) FROM generate_series(1, 10) i;
SELECT experiments.publish('{"requests": [{"units": [{"type": "user_id", "uid": "new"}],
	"exposures": [{"name": "after_restore", "unit": "user_id", "variant": 5, "exposedAt": 0}]}]}');
SELECT experiments.publish('{"requests": [{"units": [{"type": "user_id", "uid": "new"}],
	"exposures": [{"name": "dump_exp", "unit": "user_id", "variant": 5, "exposedAt": 0}]}]}', 'batch-dump_one');
SELECT experiments.create_event_partitions(2);
COMMIT;
SQL
new_ids=$(psql -X -tA -v ON_ERROR_STOP=1 -d "$restored" <<'SQL'
SELECT count(*) FILTER (WHERE id > (SELECT max(id) FROM experiments.experiments WHERE key <> 'after_restore'))
FROM experiments.experiments WHERE key = 'after_restore';
SQL
)
[ "$new_ids" = 1 ] || { echo "the new experiment did not get a new id"; exit 1; }
rows=$(awk '$2 ~ /^[0-9]+$/ && NF == 3 {n += $2} END {print n}' "$work/after")
echo "restored $(grep -c . "$work/after") tables, partitions and sequences, $rows rows, $(wc -l <"$work/answers_after") assign() answers: identical"
