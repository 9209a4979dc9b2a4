#!/usr/bin/env bash
# GrowthBook's JavaScript SDK given the product's features payload
# (docs/assignment.md, "GrowthBook features"): an operator exports
# experiments.growthbook_features() for three GrowthBook-mode experiments,
# the SDK (the version pinned in test/bench/peers/package-lock.json, installed
# with npm into a temporary directory removed at exit) evaluates each as a
# feature for SDK_IDS ids (default 100,000, some non-ASCII; make sdk-clients runs 1,000,000), and every value
# must equal assign()'s ordinal (null when assign() gives no variant).
set -euo pipefail
cd "$(dirname "$0")/../.."
ids=${SDK_IDS:-100000}
db=sdk_growthbook

work=$(mktemp -d /tmp/experiments-sdk-growthbook.XXXXXX)
cleanup() {
	rm -rf "$work"
	dropdb --if-exists "$db" >/dev/null 2>&1 || true
	psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_sdk_gb_ops, regress_sdk_gb_app" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# shellcheck source=test/scripts/sdk/install.sh
. test/scripts/sdk/install.sh
sdk_install "$work"

dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION experiments;
DROP ROLE IF EXISTS regress_sdk_gb_ops, regress_sdk_gb_app;
CREATE ROLE regress_sdk_gb_ops NOLOGIN IN ROLE experiments_admin;
CREATE ROLE regress_sdk_gb_app NOLOGIN IN ROLE experiments_client;
SQL
read -r admin_key client_key < <(psql -X -A -t -F ' ' -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SELECT experiments.create_tenant('sdk') AS tenant \gset
SELECT experiments.create_api_key(:'tenant', 'ops', 'admin'), experiments.create_api_key(:'tenant', 'web', 'client');
SQL
)

# Defaults (hash version 1, the key as seed, weights and coverage from the
# allocations and traffic); hash version 2 with a seed, weights and coverage;
# a namespace.
psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -v key="$admin_key" -v features="$work/features.json" <<'SQL'
SET ROLE regress_sdk_gb_ops;
BEGIN;
SELECT experiments.authenticate(:'key') IS NOT NULL AS authenticated \g /dev/null
INSERT INTO experiments.experiments (key, hashing, traffic_bp) VALUES ('gb-defaults', 'growthbook', 7000);
INSERT INTO experiments.experiments (key, hashing, hashing_options)
VALUES ('gb-v2', 'growthbook', '{"hashVersion": 2, "seed": "s-42", "coverage": 0.85, "weights": [0.2, 0.3, 0.5]}'),
	   ('gb-namespace', 'growthbook', '{"hashVersion": 2, "namespace": ["pricing", 0.1, 0.6]}');
SELECT experiments.set_variants('gb-defaults', '[{"key": "a", "allocation": 50}, {"key": "b", "allocation": 50}]') \g /dev/null
SELECT count(*) FROM unnest(ARRAY['gb-v2', 'gb-namespace']) k,
	experiments.set_variants(k, '[{"key": "a", "allocation": 20}, {"key": "b", "allocation": 30}, {"key": "c", "allocation": 50}]') \g /dev/null
UPDATE experiments.experiments SET state = 'running' WHERE key LIKE 'gb-%';
COMMIT;
BEGIN;
SELECT experiments.authenticate(:'key') IS NOT NULL AS authenticated \g /dev/null
SELECT experiments.growthbook_features() \g :features
COMMIT;
SQL
psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -v key="$client_key" -v ids="$ids" -v answers="$work/answers.tsv" <<'SQL'
SET ROLE regress_sdk_gb_app;
BEGIN;
SELECT experiments.authenticate(:'key') IS NOT NULL AS authenticated \g /dev/null
COPY (SELECT u.unit, e.key, a.ordinal
	  FROM (SELECT CASE WHEN i % 97 = 0 THEN 'Zürich-' || i WHEN i % 101 = 0 THEN '👍-' || i
						ELSE 'user-' || i END AS unit
			FROM generate_series(1, :ids) i) u,
		   unnest(ARRAY['gb-defaults', 'gb-v2', 'gb-namespace']) e(key),
		   experiments.assign(e.key, u.unit) a) TO STDOUT \g :answers
COMMIT;
SQL
NODE_PATH="$work/node_modules" node test/scripts/sdk/growthbook.js "$work/features.json" "$work/answers.tsv"
