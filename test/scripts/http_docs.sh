#!/usr/bin/env bash
# docs/http-api.md is tested: its table of who may call each endpoint
# ("Who may call what", between <!-- endpoints-table:begin --> and
# <!-- endpoints-table:end -->) is what the catalog grants
# (test/docs/endpoints_table.sql), line for line. The GRANT beside each
# function and view is the rule; the table only shows it.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
cluster_scratch http_docs
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION experiments'

sed -n '/<!-- endpoints-table:begin -->/,/<!-- endpoints-table:end -->/p' docs/http-api.md | grep '^| `' >"$work/doc_table" || true
psql -X -A -t -v ON_ERROR_STOP=1 -f test/docs/endpoints_table.sql >"$work/catalog_table"
if ! diff -u "$work/doc_table" "$work/catalog_table"; then
	echo "docs/http-api.md's endpoints table differs from the catalog: regenerate it with test/docs/endpoints_table.sql"
	exit 1
fi
echo "endpoints table: $(wc -l <"$work/catalog_table") endpoints, as granted"
