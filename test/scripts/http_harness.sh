#!/usr/bin/env bash
# The PostgREST harness that every HTTP test goes through (test/http) does
# what PostgREST does: its own test (test/http/selftest.sh), on a throwaway
# cluster of its own with a small schema, not the extension.
set -euo pipefail
cd "$(dirname "$0")/../.."
unset EXP_CLUSTER_DIR EXP_CLUSTER_LOG
exec test/http/selftest.sh
