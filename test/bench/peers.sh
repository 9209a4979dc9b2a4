#!/usr/bin/env bash
# The extension against the SDKs users would pick instead: GrowthBook
# (runInlineExperiment), Unleash (getVariant) and ABsmartly (context peek),
# each assigning the same PEERS_IDS distinct ids (default 1,000,000) with its
# own assignment path, and assign() over a table of those ids, in one run.
#
# The SDKs, at the exact versions of test/bench/peers/package-lock.json, are
# installed with npm into a temporary directory removed at exit; Node and npm
# from Debian when missing. One experiment everywhere: 4 even variants, all
# traffic, ids 'user-1' .. 'user-N'. All on one core: Node runs with
# --single-threaded (compilation and garbage collection on the one thread),
# the server without parallel workers. Each SDK's figure is the best of
# PEERS_RUNS timed passes (default 5) after one untimed warm-up pass; the
# extension's, the best of PEERS_RUNS before and PEERS_RUNS after the SDKs',
# each batch after a warm-up. Setup is not timed.
#
# Not counted on either side: sending exposures anywhere. The SDK figures
# start from ids in memory; the extension's, the wall-clock time of
#   SELECT count(experiments.assign('bench', unit)) FROM bench.units
# includes reading the ids from the table.
set -euo pipefail
cd "$(dirname "$0")/../.."
ids=${PEERS_IDS:-1000000}
runs=${PEERS_RUNS:-5}
db=bench_peers

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] || test/deps "${missing[@]}"

work=$(mktemp -d /tmp/experiments-peers.XXXXXX)
trap 'rm -rf "$work"; dropdb --if-exists "$db"' EXIT
cp test/bench/peers/package.json test/bench/peers/package-lock.json "$work"
npm ci --prefix "$work" --cache "$work/npm-cache" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null

dropdb --if-exists "$db"
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -v traffic=100 -v rows="$ids" -d "$db" -f test/bench/setup.sql
tenant=$(psql -X -A -t -d "$db" -c "SELECT id FROM experiments.tenants WHERE name = 'bench'")

# extension: the seconds of each of $runs runs of assign() over the ids, on one line
extension() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET max_parallel_workers_per_gather = 0;
SET experiments.tenant = '$tenant';
-- Warm-up: the cache, the table, and a check that all 4 variants are drawn.
SELECT count(*) FILTER (WHERE n > $ids / 8) = 4 AS even FROM (SELECT (experiments.assign('bench', unit)).variant, count(*) AS n FROM bench.units GROUP BY 1) s \gset
\if :even
\else
\warn 'assign() did not split the ids over 4 variants'
\quit
\endif
SELECT array_to_string(bench.run_seconds('SELECT count(experiments.assign(''bench'', unit)) FROM bench.units', $runs), ' ');
SQL
}
# The extension's runs come before and after the SDKs', so that both see the
# machine's load over the same stretch of time.
before=$(extension)
peers=$(NODE_PATH="$work/node_modules" node --single-threaded test/bench/peers/peers.js "$ids" "$runs")
after=$(extension)
[ -n "$before" ] && [ -n "$after" ] || { echo "the extension's measure failed"; exit 1; }
best=$(echo "$before $after" | tr ' ' '\n' | sort -g | head -1)
extension="$best	$before $after"

echo "$ids distinct ids, best of the runs after a warm-up, one core each (seconds of every run after the name)"
printf 'extension assign()\t%s\n%s\n' "$extension" "$peers" | awk -F'\t' -v n="$ids" '
	NR == 1 { ext = n / $2; printf "%-32s %12.0f assignments/s  (%s)\n", $1, ext, $3; next }
	{ name[NR] = $1; version[NR] = $2; rate[NR] = n / $3; runs[NR] = $4
	  if (rate[NR] > best) { best = rate[NR]; fastest = NR } }
	END {
		for (i = 2; i <= NR; i++) {
			printf "%-32s %12.0f assignments/s  (%s)  %s\n", name[i], rate[i], runs[i], version[i]
			printf "RESULT\tassign() over %d stored ids, 1 core\t%.0f\tassignments/s\t%s (%s)\t%.0f\t%.1f\t%s\n",
				n, ext, name[i], version[i], rate[i], ext / rate[i], i == fastest ? ">= 10 (fastest peer)" : "-"
		}
	}'
