#!/usr/bin/env bash
# ABsmartly's JavaScript SDK as a real client (docs/assignment.md, "ABsmartly
# mode"): SDK_IDS ids (default 100,000; make sdk-clients runs 1,000,000)
# against three ABsmartly-mode experiments, the SDK reading the context data
# experiments.absmartly_context() builds and publishing its exposures and
# goals to POST /rpc/context_batch through the PostgREST harness (test/http).
# Must hold: no unit whose SDK treatment differs from assign()'s, no
# exposure whose eligible flag differs from assign()'s traffic decision,
# every published batch accepted, and the published exposures and goals in
# experiment_results(). The SDK is the version pinned in
# test/bench/peers/package-lock.json, installed with npm into a temporary
# directory removed at exit. Ids include non-ASCII ones (the SDK hashes
# UTF-16 code units as it encodes them).
set -euo pipefail
cd "$(dirname "$0")/../.."
ids=${SDK_IDS:-100000}
published=${SDK_PUBLISHED:-2000}
db=sdk_absmartly

work=$(mktemp -d /tmp/experiments-sdk-absmartly.XXXXXX)
cleanup() {
	harness_stop 2>/dev/null || true
	rm -rf "$work"
	dropdb --if-exists "$db" >/dev/null 2>&1 || true
	psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_sdk_authenticator, regress_sdk_ops, regress_sdk_app, regress_sdk_analyst" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# shellcheck source=test/scripts/sdk/install.sh
. test/scripts/sdk/install.sh
sdk_install "$work"

dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db"
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v password="$password" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION experiments;
DROP ROLE IF EXISTS regress_sdk_authenticator, regress_sdk_ops, regress_sdk_app, regress_sdk_analyst;
CREATE ROLE regress_sdk_authenticator LOGIN NOINHERIT PASSWORD :'password' IN ROLE experiments_authenticator;
GRANT experiments_anon, experiments_client, experiments_admin, experiments_analyst TO regress_sdk_authenticator;
CREATE ROLE regress_sdk_ops NOLOGIN IN ROLE experiments_admin;
CREATE ROLE regress_sdk_app NOLOGIN IN ROLE experiments_client;
CREATE ROLE regress_sdk_analyst NOLOGIN IN ROLE experiments_analyst;
SQL
read -r admin_key client_key analyst_key < <(psql -X -A -t -F ' ' -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SELECT experiments.create_tenant('sdk') AS tenant \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin'), experiments.create_api_key(:'tenant', 'web', 'client'),
	experiments.create_api_key(:'tenant', 'reports', 'analyst');
SQL
)
export SDK_CLIENT_KEY=$client_key

# The operator's experiments: seeds derived from the key with an even split;
# ABsmartly's seeds given, three variants, 60% traffic; four uneven variants
# at 80% traffic with a goal.
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v key="$admin_key" <<'SQL'
SET ROLE regress_sdk_ops;
BEGIN;
SELECT experiments.authenticate(:'key') IS NOT NULL AS authenticated \g /dev/null
INSERT INTO experiments.goals (key) VALUES ('purchase');
INSERT INTO experiments.experiments (key, hashing) VALUES ('ab-derived', 'absmartly');
INSERT INTO experiments.experiments (key, hashing, traffic_bp, hashing_options)
VALUES ('ab-seeded', 'absmartly', 6000, '{"seedHi": 3603515, "seedLo": 233373850, "trafficSeedHi": 449867249, "trafficSeedLo": 455443629}');
INSERT INTO experiments.experiments (key, hashing, traffic_bp, goal_id)
SELECT 'ab-uneven', 'absmartly', 8000, id FROM experiments.goals WHERE key = 'purchase';
SELECT experiments.set_variants('ab-derived', '[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]') \g /dev/null
SELECT experiments.set_variants('ab-seeded', '[{"key": "a", "allocation": 33.33}, {"key": "b", "allocation": 33.33}, {"key": "c", "allocation": 33.34}]') \g /dev/null
SELECT experiments.set_variants('ab-uneven', '[{"key": "a", "allocation": 10}, {"key": "b", "allocation": 20}, {"key": "c", "allocation": 30}, {"key": "d", "allocation": 40}]') \g /dev/null
UPDATE experiments.experiments SET state = 'running' WHERE key LIKE 'ab-%';
COMMIT;
SQL

# The application's view: the context data and assign()'s answers.
psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -v key="$client_key" -v ids="$ids" \
	-v context="$work/context.json" -v answers="$work/answers.tsv" <<'SQL'
SET ROLE regress_sdk_app;
BEGIN;
SELECT experiments.authenticate(:'key') IS NOT NULL AS authenticated \g /dev/null
SELECT experiments.absmartly_context() \g :context
COPY (SELECT u.unit, e.key, a.ordinal, a.reason
	  FROM (SELECT CASE WHEN i % 97 = 0 THEN 'Zürich-' || i WHEN i % 101 = 0 THEN '👍-' || i
						ELSE 'user-' || i END AS unit
			FROM generate_series(1, :ids) i) u,
		   unnest(ARRAY['ab-derived', 'ab-seeded', 'ab-uneven']) e(key),
		   experiments.assign(e.key, u.unit) a) TO STDOUT \g :answers
COMMIT;
SQL

# shellcheck source=test/http/harness.sh
. test/http/harness.sh
harness_start "postgres://regress_sdk_authenticator:$password@127.0.0.1:$PGPORT/$db"
NODE_PATH="$work/node_modules" node test/scripts/sdk/absmartly.js "$work/context.json" "$work/answers.tsv" "$published" | tee "$work/sdk.out"

# What the SDK published is stored and shows in an analyst's results: the
# units of each variant as the SDK exposed them (an ineligible unit is
# exposed in variant 0, with eligible false), and one goal per unit.
grep '^exposed ' "$work/sdk.out" | cut -d' ' -f2- | sort > "$work/exposed.txt"
psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -d "$db" -v key="$analyst_key" <<'SQL' | sort > "$work/results.txt"
SET ROLE regress_sdk_analyst;
BEGIN;
SELECT experiments.authenticate(:'key') IS NOT NULL AS authenticated \g /dev/null
SELECT e.key, r.ordinal, r.units
FROM experiments.experiments e, experiments.experiment_results(e.id) r
WHERE r.kind = 'exposures' AND r.units > 0;
COMMIT;
SQL
diff "$work/exposed.txt" "$work/results.txt" ||
	{ echo "experiment_results() does not show the exposures the SDK published (<: published, >: results)"; exit 1; }
goal_units=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -v key="$analyst_key" <<'SQL' | tail -1
SET ROLE regress_sdk_analyst;
BEGIN;
SELECT experiments.authenticate(:'key') IS NOT NULL AS authenticated \g /dev/null
SELECT sum(r.converting_units) FROM experiments.experiments e, experiments.experiment_results(e.id) r
WHERE e.key = 'ab-uneven' AND r.kind = 'goal';
COMMIT;
SQL
)
echo "results: the exposures of $(wc -l < "$work/exposed.txt") variants as published; goal purchase reached by $goal_units units"
[ "$goal_units" = "$published" ] ||
	{ echo "experiment_results() shows $goal_units units reaching the goal, not the $published the SDK published"; exit 1; }
