#!/usr/bin/env bash
# Upgrade: from every released version (test/upgrade/experiments--V.sql, the
# frozen install script of each release) to the current one. Each is
# installed in a database of its own with some data, updated one step at a
# time (ALTER EXTENSION experiments UPDATE TO each later version in turn,
# through src/upgrades/experiments--A--B.sql), and its schema
# (test/upgrade/schema.sql) must then equal a fresh install's; every row the
# fill made (test/data_lib.sh: two tenants' catalog and events) is still
# there, assign() answers as before for every experiment, and the partition
# maintenance still runs. Last, the comparison
# must see a difference when there is one: the oldest version not updated,
# and a fresh install with one comment changed, must both differ. Until a
# first version is released (its install script frozen into test/upgrade),
# only the comparison itself is checked.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
# shellcheck source=test/data_lib.sh
. test/data_lib.sh
cluster_scratch upgrade_fresh
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" experiments.control)
mapfile -t released < <(ls test/upgrade/experiments--*.sql 2>/dev/null | sed 's/.*experiments--\(.*\)\.sql/\1/' | sort -V)
[ "${#released[@]}" -gt 0 ] || echo "no released version yet in test/upgrade: checking the schema comparison only"
dbs=()
# shellcheck disable=SC2064
trap 'rm -rf "$work"; for db in upgrade_fresh "${dbs[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1 || true; done' EXIT

# schema DB: the extension's schema in DB, as text
schema() {
	psql -X -q -tA -v ON_ERROR_STOP=1 -d "$1" -f test/upgrade/schema.sql
}

# With this month's partitions, as each upgraded database has: their indexes
# must be those that the current version gives a new partition.
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION experiments" -c "SELECT experiments.create_event_partitions(1)" >/dev/null
schema upgrade_fresh >"$work/fresh"

for from in ${released[@]+"${released[@]}"}; do
	db="upgrade_from_${from//./_}"
	dbs+=("$db")
	createdb "$db"
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v from="$from" >/dev/null <<'SQL'
CREATE EXTENSION experiments VERSION :'from';
SELECT experiments.create_event_partitions(1);
SELECT experiments.create_tenant(t) FROM unnest(ARRAY['upgrade_one', 'upgrade_two']) AS t;
SQL
	fill "$db" upgrade_one
	fill "$db" upgrade_two
	snapshot_queries "$db" >"$work/queries"
	snapshot "$db" "$work/queries" >"$work/rows_before"
	answers "$db" >"$work/answers_before"
	# Each later version in turn: the path the update scripts must provide.
	steps=$from
	for to in ${released[@]+"${released[@]}"} "$current"; do
		[ "$(printf '%s\n%s\n' "$from" "$to" | sort -V | tail -1)" = "$to" ] && [ "$to" != "$from" ] || continue
		[ "$(psql -X -tA -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'experiments'")" != "$to" ] || continue
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER EXTENSION experiments UPDATE TO '$to'"
		steps="$steps -> $to"
	done
	schema "$db" >"$work/upgraded"
	# 0.2.0 renamed the default partitions <table>_default to <table>_overflow:
	# the same rows, under their new names.
	sed -i -E 's/\b([a-z_]+)_default\b/\1_overflow/g' "$work/queries" "$work/rows_before"
	diff -u "$work/fresh" "$work/upgraded" || { echo "$steps: the schema differs from a fresh install of $current"; exit 1; }
	snapshot "$db" "$work/queries" >"$work/rows_after"
	diff -u "$work/rows_before" "$work/rows_after" || { echo "$steps: rows changed"; exit 1; }
	answers "$db" >"$work/answers_after"
	diff -u "$work/answers_before" "$work/answers_after" || { echo "$steps: assign() answers changed"; exit 1; }
	# Maintenance then moves what the old version left in the default
	# partitions into their months, every row kept.
	event_rows() {
		psql -X -q -tA -v ON_ERROR_STOP=1 -d "$db" <<-'SQL'
		SELECT format('SELECT %L || '' '' || count(*) || '' '' || count(*) FILTER (WHERE tableoid = %s) FROM experiments.%I',
					  c.relname, p.partdefid, c.relname)
		FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
		WHERE c.relnamespace = 'experiments'::regnamespace ORDER BY c.relname \gexec
		SQL
	}
	event_rows >"$work/events_before"
	grep -q ' [1-9][0-9]*$' "$work/events_before" || { echo "$steps: no row in a default partition to move"; exit 1; }
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SELECT experiments.create_event_partitions(3)" >/dev/null
	event_rows >"$work/events_after"
	diff -u <(sed 's/ [0-9]*$//' "$work/events_before") <(sed 's/ [0-9]*$//' "$work/events_after") ||
		{ echo "$steps: maintenance lost event rows"; exit 1; }
	! grep -q ' [1-9][0-9]*$' "$work/events_after" || { echo "$steps: rows left in a default partition"; cat "$work/events_after"; exit 1; }
	echo "$steps: schema equal to a fresh install ($(wc -l <"$work/fresh") lines), every row kept ($(grep -c . "$work/rows_after") tables, partitions and sequences), $(wc -l <"$work/answers_after") assign() answers unchanged; maintenance moved the default partitions' rows into their months"
done

# The comparison can fail: the oldest release as installed, unless it is the
# current version, and a fresh install with one comment changed.
oldest=${released[0]:-$current}
if [ "$oldest" != "$current" ]; then
	createdb upgrade_not_updated
	dbs+=(upgrade_not_updated)
	psql -X -q -v ON_ERROR_STOP=1 -d upgrade_not_updated -c "CREATE EXTENSION experiments VERSION '$oldest'" >/dev/null
	if diff -q "$work/fresh" <(schema upgrade_not_updated) >/dev/null; then
		echo "$oldest as installed compares equal to $current: the comparison sees nothing"
		exit 1
	fi
fi
psql -X -q -v ON_ERROR_STOP=1 -c "COMMENT ON FUNCTION experiments.hash_unit(text) IS 'a deliberate difference'" >/dev/null
if diff -q "$work/fresh" <(schema upgrade_fresh) >/dev/null; then
	echo "a changed comment compares equal: the comparison sees nothing"
	exit 1
fi
echo "the comparison finds a deliberate difference"
