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
# shellcheck source=test/data_lib.sh
. test/data_lib.sh
cluster_scratch dumprest
restored=dumprest_restored
# shellcheck disable=SC2064
trap "rm -rf '$work'; dropdb --if-exists dumprest >/dev/null 2>&1 || true; dropdb --if-exists $restored >/dev/null 2>&1 || true" EXIT

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION experiments;
SELECT experiments.create_event_partitions(1);
SELECT experiments.create_tenant(t) FROM unnest(ARRAY['dump_one', 'dump_two']) AS t;
SQL

fill dumprest dump_one
fill dumprest dump_two

snapshot_queries dumprest >"$work/queries"
snapshot dumprest "$work/queries" >"$work/before"
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
snapshot "$restored" "$work/queries" >"$work/after"
answers "$restored" >"$work/answers_after"
diff -u "$work/before" "$work/after" || { echo "the restored database differs"; exit 1; }
diff -u "$work/answers_before" "$work/answers_after" || { echo "assign() answers differently after restore"; exit 1; }

# Everything the fill made is in the snapshot: no table compared empty.
for table in tenants experiments variants layers overrides enrolments published_batches rejected_events \
	exposures_overflow goal_events_overflow custom_events_overflow; do
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
