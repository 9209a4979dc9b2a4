#!/usr/bin/env bash
# The demo tour: runs against the throwaway cluster of test/cluster and shows
# the product working on sample data. Every later feature adds its stop here.
set -euo pipefail
cd "$(dirname "$0")/.."
createdb demo
psql -X -q -v ON_ERROR_STOP=1 -d demo -f test/demo.sql
