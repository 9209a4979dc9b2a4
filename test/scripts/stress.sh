#!/usr/bin/env bash
# Concurrency stress: pgbench clients mix assignment, enrolment, event
# publishing and catalog updates (test/stress/*.sql) for STRESS_SECONDS.
# Afterwards: no unit is enrolled twice; every enrol() answer equals the
# stored enrolment; every new enrolment is in a variant the catalog version
# its transaction saw, or the one before it, could assign (each update logs
# its version and those variants); and events stored + rejected = sent.
#
#   STRESS_SECONDS (default 20), STRESS_CLIENTS (default 6)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_=${STRESS_SECONDS:-20}
CLIENTS=${STRESS_CLIENTS:-6}
EVENTS_PER_BATCH=4			# test/stress/publish.sql
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
cluster_scratch stress

tenant=$(psql -X -q -tA -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION experiments;
SELECT experiments.create_event_partitions(1) \g /dev/null
CREATE SCHEMA stress;
CREATE TABLE stress.versions (version bigint PRIMARY KEY, active integer[] NOT NULL);
CREATE TABLE stress.sent (events integer NOT NULL);
CREATE TABLE stress.enrol_log (version bigint NOT NULL, unit text NOT NULL, ordinal integer, reason text NOT NULL);
SELECT experiments.create_tenant('stress') AS tenant \gset
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT experiments.create_experiment('stress_exp',
	'[{"key": "a", "allocation": 34}, {"key": "b", "allocation": 33}, {"key": "c", "allocation": 33}]',
	start => true) \g /dev/null
SELECT experiments.create_experiment('stress_other', '[{"key": "x", "allocation": 100}]', start => true) \g /dev/null
COMMIT;
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT experiments.enrol('stress_exp', 'warm-up') \g /dev/null
COMMIT;
INSERT INTO stress.versions
SELECT e.version, ARRAY[0, 1, 2] FROM experiments.experiments e WHERE e.key = 'stress_exp';
SELECT :'tenant';
SQL
)

PGOPTIONS="-c experiments.tenant=$tenant" "$PGBIN/pgbench" -n -c "$CLIENTS" -j 2 -T "$SECONDS_" --max-tries=1000 \
	-f test/stress/publish.sql@4 -f test/stress/enrol.sql@4 -f test/stress/assign.sql@3 -f test/stress/update.sql@1 \
	>"$work/pgbench" 2>&1 || { grep -A3 'error' "$work/pgbench" | head -20; exit 1; }
# transactions of a script: " - 1234 transactions (...)" after "SQL script N: test/stress/NAME.sql"
done_by() {
	awk -v s="test/stress/$1.sql" '$0 ~ "script [0-9]+: " s {f = 1} f && / transactions / {print $2; exit}' "$work/pgbench"
}
publishes=$(done_by publish)
failed=$(awk '/^number of failed transactions/ {print $5}' "$work/pgbench")
if [ "${failed:-0}" != 0 ]; then
	cat "$work/pgbench"
	exit 1
fi

# pgbench does not count a batch its client was still waiting for when the
# time was up: the batches are counted in their own transactions.
sent=$(psql -X -tA -c "SELECT coalesce(sum(events), 0) FROM stress.sent")
if [ $((sent / EVENTS_PER_BATCH - publishes)) -lt 0 ] || [ $((sent / EVENTS_PER_BATCH - publishes)) -gt "$CLIENTS" ]; then
	echo "pgbench counted $publishes batches, the database $((sent / EVENTS_PER_BATCH))"
	exit 1
fi
psql -X -q -tA -v ON_ERROR_STOP=1 -v tenant="$tenant" -v sent="$sent" >"$work/problems" <<'SQL'
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT 'unit ' || unit || ' enrolled ' || count(*) || ' times'
FROM experiments.enrolments GROUP BY experiment_id, unit, period HAVING count(*) > 1;
SELECT 'enrol() answered ' || l.ordinal || ' to ' || l.unit || ', enrolled in ' || coalesce(e.ordinal::text, 'nothing')
FROM stress.enrol_log l
LEFT JOIN experiments.enrolments e ON e.unit = l.unit
	AND e.experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'stress_exp')
WHERE l.ordinal IS DISTINCT FROM e.ordinal;
SELECT 'version ' || l.version || ' seen by an enrolment was never logged' FROM stress.enrol_log l
WHERE NOT EXISTS (SELECT FROM stress.versions v WHERE v.version = l.version);
-- The assignment cache may still hold the version before the one the
-- statement's snapshot shows (docs/assignment.md, "Caching and consistency"): a commit is
-- visible before its invalidation arrives. Older than that is a failure.
-- Versions may skip numbers (one per statement that changed the variants),
-- so the version before is the greatest one logged below.
SELECT 'unit ' || l.unit || ' enrolled in ' || l.ordinal || ' under version ' || l.version
	|| ', which could assign only ' || v.active::text || ', the version before ' || coalesce(p.active::text, 'none')
FROM stress.enrol_log l JOIN stress.versions v USING (version)
LEFT JOIN LATERAL (SELECT b.active FROM stress.versions b WHERE b.version < l.version
				   ORDER BY b.version DESC LIMIT 1) p ON true
WHERE l.reason = 'hash' AND l.ordinal <> ALL (v.active) AND l.ordinal <> ALL (coalesce(p.active, '{}'));
SELECT 'enrolment of ' || e.unit || ' made by no logged call'
FROM experiments.enrolments e
WHERE e.unit <> 'warm-up' AND NOT EXISTS (
	SELECT FROM stress.enrol_log l WHERE l.unit = e.unit AND l.reason = 'hash' AND l.ordinal = e.ordinal);
SELECT 'events: ' || stored || ' stored + ' || rejected || ' rejected <> ' || :sent || ' sent'
FROM (SELECT (SELECT count(*) FROM experiments.exposures) + (SELECT count(*) FROM experiments.goal_events)
			 + (SELECT count(*) FROM experiments.attribute_events) AS stored,
			 (SELECT count(*) FROM experiments.rejected_events) AS rejected) c
WHERE stored + rejected <> :sent;
SQL
if [ -s "$work/problems" ]; then
	head -20 "$work/problems"
	exit 1
fi
counts=$(psql -X -q -tA -F ' ' -c "SET experiments.tenant = '$tenant'" \
	-c "SELECT (SELECT count(*) FROM experiments.enrolments), (SELECT count(*) - 1 FROM stress.versions),
		(SELECT count(*) FROM stress.enrol_log WHERE reason = 'hash'), (SELECT count(*) FROM stress.enrol_log),
		(SELECT count(*) FROM stress.enrol_log l JOIN stress.versions v USING (version)
		 WHERE l.reason = 'hash' AND l.ordinal <> ALL (v.active))")
read -r enrolments versions new_enrolments enrol_calls lagging <<<"$counts"
retried=$(awk '/^number of transactions retried/ {print $5}' "$work/pgbench")
echo "stress: $CLIENTS clients for $SECONDS_ s: $(awk '/^number of transactions actually processed/ {print $6}' "$work/pgbench") transactions" \
	"(publish $publishes, enrol $(done_by enrol), assign $(done_by assign), catalog update $(done_by update); ${retried:-0} retried after a serialization failure)"
echo "stress: $versions catalog versions; $enrol_calls enrol() calls made $new_enrolments enrolments ($enrolments stored), none duplicated, each in a variant its version could assign ($lagging by the version before it: cache lag), every answer sticky"
echo "stress: $sent events sent in $((sent / EVENTS_PER_BATCH)) batches = stored + rejected"
