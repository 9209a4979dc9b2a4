#!/usr/bin/env bash
# The test runner itself: a regression test whose output differs from its
# expected file fails the run, which prints the diff and counts it; the same
# test with the right expected output passes.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sql" "$tmp/expected"
echo 'SELECT 1 + 1 AS two;' >"$tmp/sql/runner_canary.sql"
echo 'test: runner_canary' >"$tmp/schedule"

canary() {
	printf 'SELECT 1 + 1 AS two;\n two \n-----\n   %s\n(1 row)\n\n' "$1" >"$tmp/expected/runner_canary.out"
	rm -rf "$tmp/out"
	RUN_SUITES=regress REGRESS_DIR="$tmp" REGRESS_SCHEDULE="$tmp/schedule" \
		REGRESS_DB=experiments_runner RUN_OUTPUT="$tmp/out" test/run >"$tmp/log" 2>&1
}

if canary 3; then
	echo "a failing regression test did not fail the run"
	cat "$tmp/log"
	exit 1
fi
grep -qx '0 passed, 1 failed' "$tmp/log" || { echo "wrong summary for a failing test"; cat "$tmp/log"; exit 1; }
grep -qx '+   2' "$tmp/log" || { echo "the diff of the failing test was not printed"; cat "$tmp/log"; exit 1; }

canary 2 || { echo "a passing regression test failed the run"; cat "$tmp/log"; exit 1; }
grep -qx '1 passed, 0 failed' "$tmp/log" || { echo "wrong summary for a passing test"; cat "$tmp/log"; exit 1; }
echo "a failing test fails the run and shows its diff; a passing one passes"
