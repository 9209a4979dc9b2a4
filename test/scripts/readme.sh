#!/usr/bin/env bash
# The README is tested:
#   1. its table of roles ("Roles") is what the catalog grants
#      (test/readme/roles_table.sql), line for line;
#   2. every SQL block marked <!-- readme-test: run as ROLE --> runs, in the
#      README's order, in one psql session that logs in as ROLE for that block
#      (over TCP with the password the README's CREATE ROLE gave it; the
#      superuser only where the README says so), stopping at the first error;
#   3. then every shell block marked <!-- readme-test: run as shell --> runs
#      (the README's mydb being this suite's database) against the PostgREST
#      harness (test/http) logged in as the README's
#      authenticator, with the keys the SQL blocks made, and each answer's
#      status and document keys are checked against the lines the README
#      shows under its command (test/readme/check_shell.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
test/deps curl jq python3-psycopg
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
# shellcheck source=test/http/harness.sh
. test/http/harness.sh
cluster_scratch readme
trap 'harness_stop; rm -rf "$work"; dropdb --if-exists readme_restored >/dev/null 2>&1; dropdb --if-exists readme >/dev/null 2>&1 || true' EXIT
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION experiments'

# 1. The roles table.
sed -n '/<!-- roles-table:begin -->/,/<!-- roles-table:end -->/p' README.md | grep '^| `' >"$work/readme_table"
psql -X -A -t -v ON_ERROR_STOP=1 -f test/readme/roles_table.sql >"$work/catalog_table"
if ! diff -u "$work/readme_table" "$work/catalog_table"; then
	echo "README's roles table differs from the catalog: regenerate it with test/readme/roles_table.sql"
	exit 1
fi
echo "roles table: $(wc -l <"$work/catalog_table") objects, as granted"

# 2. The runnable SQL blocks, each after a login as its role. Roles are
# cluster-wide: those the README creates may exist from an earlier suite.
for role in $(sed -n 's/^CREATE ROLE \([a-z_]*\) LOGIN .*/\1/p' README.md); do
	psql -X -q -v ON_ERROR_STOP=1 -c "DROP ROLE IF EXISTS $role"
done
superuser=$(id -un)
[ "$(id -u)" -ne 0 ] || superuser=postgres
python3 - "$superuser" "$PGHOST" "$work/readme.env" >"$work/readme.sql" <<'PY'
import re, sys
readme = open("README.md").read()
passwords = dict(re.findall(r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']*)'", readme))
blocks = re.findall(r"<!-- readme-test: run as (\w+) -->\n```sql\n(.*?)```", readme, re.S)
if not blocks:
    sys.exit("no runnable block found in README.md")
for role, sql in blocks:
    if role == "superuser":
        print(f"\\c -reuse-previous=on \"host={sys.argv[2]} user={sys.argv[1]}\"")
    else:
        print(f"\\c -reuse-previous=on \"host=127.0.0.1 user={role} password='{passwords[role]}'\"")
    print("SELECT current_user AS \"running as\";")
    print(sql)
# What the shell blocks need of the SQL blocks: the keys and the tenant.
print(f"\\o {sys.argv[3]}")
print("\\qecho export CLIENT_KEY=:'client_key' ADMIN_KEY=:'admin_key' ANALYST_KEY=:'analyst_key' TENANT=:'tenant'")
print("\\o")
PY
psql -X -v ON_ERROR_STOP=1 -f "$work/readme.sql"
echo "README blocks: $(grep -c 'readme-test: run as' README.md) run"

# 3. The shell blocks, through the harness as the README's authenticator.
password=$(sed -n "s/^CREATE ROLE authenticator .*PASSWORD '\([^']*\)'.*/\1/p" README.md)
harness_start "postgres://authenticator:$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$password")@127.0.0.1:$PGPORT/readme"
# shellcheck disable=SC1091
. "$work/readme.env"
export CLIENT_KEY ADMIN_KEY ANALYST_KEY TENANT
(cd "$work" && "$OLDPWD/test/readme/check_shell.py" "$OLDPWD/README.md" "${PGRST_URL#http://}" readme)
