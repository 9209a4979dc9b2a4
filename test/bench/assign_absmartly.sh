#!/usr/bin/env bash
# ABsmartly mode's cost: assign() of an ABsmartly experiment (hashing
# 'absmartly', seeds derived from the key, 4 variants, 90% traffic) against
# assign() of the native experiment of the same shape (test/bench/setup.sql:
# 4 variants, 90% traffic), over the same stored units, in the same run: the
# two queries run in AB_ROUNDS rounds (default 11, bench.compare_pair()),
# each reported by its median wall-clock and CPU time and the ratio by the
# median of the rounds' ratios, with their quartiles and range; the target
# (at most 1.5 times native per unit) is met when the upper quartile is
# within it, not met when the lower quartile is beyond it, and undecided
# otherwise (bench.verdict()). Reported too: the MD5 floor, hash_unit()
# (the uid's MD5 in base64url, which ABsmartly's algorithm starts every unit
# from) against native assign(), for information; and the context case (test/bench/context.sql: ten
# experiments per unit, by assign_all() and by ten assign() in a row, ABsmartly
# against native), target 1.5 too, in AB_CONTEXT_ROUNDS rounds (default 7).
# AB_ROWS sets the table size (default 2,000,000); the context case uses a
# tenth of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${AB_ROWS:-2000000}
context_rows=$((rows / 10))
rounds=${AB_ROUNDS:-11}
context_rounds=${AB_CONTEXT_ROUNDS:-7}
db=bench_assign_absmartly

dropdb --if-exists "$db"
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -v traffic=90 -v rows="$rows" -v context_rows="$context_rows" \
	-v hashing=absmartly -v options='{}' -v traffic_bp=9000 -d "$db" <<'SQL'
\i test/bench/setup.sql
\i test/bench/context.sql
INSERT INTO experiments.experiments (key, hashing, traffic_bp) VALUES ('bench_ab', 'absmartly', 9000);
SELECT count(*) FROM experiments.set_variants('bench_ab',
	'[{"key": "a", "allocation": 25}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 25}, {"key": "d", "allocation": 25}]') \g /dev/null
UPDATE experiments.experiments SET state = 'running' WHERE key = 'bench_ab';
SQL

psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET max_parallel_workers_per_gather = 0;
SET experiments.tenant = '$(psql -X -A -t -d "$db" -c "SELECT id FROM experiments.tenants WHERE name = 'bench'")';
-- Warm the cache and the table.
SELECT count(experiments.assign('bench', unit)) + count(experiments.assign('bench_ab', unit)) FROM bench.units \g /dev/null
SELECT bench.pair_results('ABsmartly assign()', 'native assign()',
	'SELECT count(experiments.assign(''bench'', unit)) FROM bench.units',
	'SELECT count(experiments.assign(''bench_ab'', unit)) FROM bench.units', $rows, 1.5, $rounds);
SELECT bench.best_pair('SELECT count(experiments.assign(''bench'', unit)) FROM bench.units',
	'SELECT count(experiments.hash_unit(unit)) FROM bench.units') AS m \gset
SELECT format(E'RESULT\tMD5 floor: hash_unit() per unit (%s rows)\t%s\tns\tnative assign() per unit\t%s\t%s\t(informative)',
	$rows, round(((:'m'::double precision[])[2] * 1e9 / $rows)::numeric, 1),
	round(((:'m'::double precision[])[1] * 1e9 / $rows)::numeric, 1),
	round(((:'m'::double precision[])[2] / (:'m'::double precision[])[1])::numeric, 2));
\\set mode ABsmartly
\\set context_rows $context_rows
\\set rounds $context_rounds
\\i test/bench/context_run.sql
SQL
dropdb "$db"
