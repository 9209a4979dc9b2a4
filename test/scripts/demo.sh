#!/usr/bin/env bash
# The demo tour that `make demo` shows runs to its end (test/demo.sh), on
# this cluster, in a database of its own that is dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
trap 'dropdb --if-exists demo >/dev/null 2>&1 || true' EXIT
test/demo.sh
