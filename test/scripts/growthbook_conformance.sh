#!/usr/bin/env bash
# GrowthBook's own SDK conformance suite, read in place from the shared copy
# (GROWTHBOOK_CASES, by default ../shared/conformance/growthbook/cases.json
# beside the checkout; its NOTICE.md says where it comes from): every
# applicable case of the sections hash, getBucketRange, chooseVariation,
# inNamespace, getEqualWeights, evalCondition, run and stickyBucket must pass
# (test/scripts/growthbook_conformance.py). The last lines count them.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The shared folder sits beside the project's checkout (/work/shared beside
# /work/main); a clone made elsewhere (a CI clone under /tmp) finds it there.
cases=${GROWTHBOOK_CASES:-}
if [ -z "$cases" ]; then
	for candidate in "$(pwd)/../shared/conformance/growthbook/cases.json" /work/shared/conformance/growthbook/cases.json; do
		[ -r "$candidate" ] && { cases=$candidate; break; }
	done
fi
[ -r "$cases" ] || { echo "GrowthBook's cases.json is missing at ../shared/conformance/growthbook/cases.json and /work/shared/conformance/growthbook/cases.json (set GROWTHBOOK_CASES)"; exit 1; }
db=growthbook_conformance
dropdb --if-exists "$db"
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION experiments"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS gb_ops, gb_app" >/dev/null 2>&1 || true' EXIT
/usr/bin/python3 test/scripts/growthbook_conformance.py "$cases" "$db"
