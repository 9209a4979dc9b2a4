#!/usr/bin/env bash
# The README's operations, on a cluster of their own:
#   1. settings: after its block marked <!-- readme-test: settings -->, a new
#      session sees the experiments.* settings from its first statement;
#   2. removal: the extension installed and used (a tenant, a key, event
#      partitions, PostgREST's authenticator as the README makes it), then
#      removed with its block marked <!-- readme-test: uninstall -->, leaves
#      no schema, relation, function, type or role of the extension.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
unset EXP_CLUSTER_DIR EXP_CLUSTER_LOG
trap cluster_remove EXIT
cluster_start >/dev/null
createdb mydb
psql -X -q -v ON_ERROR_STOP=1 -d mydb >/dev/null <<'SQL'
CREATE EXTENSION experiments;
SELECT experiments.create_event_partitions(2);
SELECT experiments.create_api_key(experiments.create_tenant('acme'), 'shop');
CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD 'change me' IN ROLE experiments_authenticator;
GRANT experiments_anon, experiments_client, experiments_admin, experiments_analyst TO authenticator;
SQL
# readme_block NAME: the README's SQL block marked <!-- readme-test: NAME -->
readme_block() {
	python3 - "$1" <<'PY'
import re, sys
blocks = re.findall(r"<!-- readme-test: " + sys.argv[1] + r" -->\n```sql\n(.*?)```", open("README.md").read(), re.S)
if len(blocks) != 1:
    sys.exit(f"README.md has {len(blocks)} blocks marked readme-test: {sys.argv[1]}, not 1")
print(blocks[0])
PY
}

# 1. Settings, preloaded.
readme_block settings >"$EXP_CLUSTER_DIR/settings.sql"
psql -X -q -v ON_ERROR_STOP=1 -d mydb -f "$EXP_CLUSTER_DIR/settings.sql" >/dev/null
shown=$(psql -X -A -t -d mydb -c 'SHOW experiments.max_batch_size')
[ -n "$shown" ] || { echo "a new session does not show experiments.max_batch_size"; exit 1; }
echo "a new session shows experiments.max_batch_size = $shown from its first statement"

# 2. Removal.
readme_block uninstall >"$EXP_CLUSTER_DIR/uninstall.sql"
psql -X -q -v ON_ERROR_STOP=1 -d mydb -f "$EXP_CLUSTER_DIR/uninstall.sql"
left=$(psql -X -A -t -d mydb <<'SQL'
SELECT string_agg(what, ', ') FROM (
	SELECT 'schema ' || nspname AS what FROM pg_namespace WHERE nspname LIKE 'experiments%'
	UNION ALL SELECT 'relation ' || relname FROM pg_class WHERE relname LIKE 'experiments%' OR relnamespace::regnamespace::text LIKE 'experiments%'
	UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace::regnamespace::text LIKE 'experiments%'
	UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace::regnamespace::text LIKE 'experiments%'
	UNION ALL SELECT 'role ' || rolname FROM pg_roles WHERE rolname LIKE 'experiments%') s;
SQL
)
if [ -n "$left" ]; then
	echo "left behind after the README's removal: $left"
	exit 1
fi
echo "DROP EXTENSION and the README's removal steps leave no schema, relation, function, type or role"
