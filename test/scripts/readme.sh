#!/usr/bin/env bash
# The README is tested:
#   1. its table of roles ("Roles") is what the catalog grants
#      (test/readme/roles_table.sql), line for line;
#   2. every SQL block marked <!-- readme-test: run as ROLE --> runs, in the
#      README's order, in one psql session that logs in as ROLE for that block
#      (over TCP with the password the README's CREATE ROLE gave it; the
#      superuser only where the README says so), stopping at the first error.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
cluster_scratch readme
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION experiments'

# 1. The roles table.
sed -n '/<!-- roles-table:begin -->/,/<!-- roles-table:end -->/p' README.md | grep '^| `' >"$work/readme_table"
psql -X -A -t -v ON_ERROR_STOP=1 -f test/readme/roles_table.sql >"$work/catalog_table"
if ! diff -u "$work/readme_table" "$work/catalog_table"; then
	echo "README's roles table differs from the catalog: regenerate it with test/readme/roles_table.sql"
	exit 1
fi
echo "roles table: $(wc -l <"$work/catalog_table") objects, as granted"

# 2. The runnable SQL blocks, each after a login as its role.
superuser=$(id -un)
[ "$(id -u)" -ne 0 ] || superuser=postgres
python3 - "$superuser" "$PGHOST" >"$work/readme.sql" <<'PY'
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
PY
psql -X -v ON_ERROR_STOP=1 -f "$work/readme.sql"
echo "README blocks: $(grep -c 'readme-test: run as' README.md) run"
