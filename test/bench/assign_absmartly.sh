#!/usr/bin/env bash
# ABsmartly mode's cost: assign() of an ABsmartly experiment (hashing
# 'absmartly', seeds derived from the key, 4 variants, 90% traffic) against
# assign() of the native experiment of the same shape (test/bench/setup.sql:
# 4 variants, 90% traffic), over the same stored units, in the same run: the
# two queries alternate 5 times and each reports its best wall-clock and CPU
# time. Target: at most 1.5 times native per unit. Reported too: the MD5
# floor, hash_unit() (the uid's MD5 in base64url, which ABsmartly's
# algorithm starts every unit from) against native assign(), for
# information; and the context case (test/bench/context.sql: ten
# experiments per unit, by assign_all() and by ten assign() in a row, ABsmartly
# against native), target 1.5 too. AB_ROWS sets the table size (default
# 2,000,000); the context case uses a tenth of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${AB_ROWS:-2000000}
context_rows=$((rows / 10))
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
SELECT bench.best_pair('SELECT count(experiments.assign(''bench'', unit)) FROM bench.units',
	'SELECT count(experiments.assign(''bench_ab'', unit)) FROM bench.units') AS t \gset
SELECT (:'t'::double precision[])[1] AS native_s, (:'t'::double precision[])[2] AS ab_s,
	(:'t'::double precision[])[3] AS native_cpu, (:'t'::double precision[])[4] AS ab_cpu \gset
\echo ABsmartly assign() over $rows rows: :ab_s s (CPU :ab_cpu s); native assign(): :native_s s (CPU :native_cpu s)
SELECT format(E'RESULT\tABsmartly assign() per unit (%s rows)\t%s\tns\tnative assign() per unit\t%s\t%s\t<= 1.5',
	$rows, round((:ab_s * 1e9 / $rows)::numeric, 1), round((:native_s * 1e9 / $rows)::numeric, 1),
	round((:ab_s / :native_s)::numeric, 2));
SELECT format(E'RESULT\tABsmartly assign() CPU time per unit (%s rows)\t%s\tns\tnative assign() CPU time per unit\t%s\t%s\t(informative)',
	$rows, round((:ab_cpu * 1e9 / $rows)::numeric, 1), round((:native_cpu * 1e9 / $rows)::numeric, 1),
	round((:ab_cpu / :native_cpu)::numeric, 2));
SELECT bench.best_pair('SELECT count(experiments.assign(''bench'', unit)) FROM bench.units',
	'SELECT count(experiments.hash_unit(unit)) FROM bench.units') AS m \gset
SELECT format(E'RESULT\tMD5 floor: hash_unit() per unit (%s rows)\t%s\tns\tnative assign() per unit\t%s\t%s\t(informative)',
	$rows, round(((:'m'::double precision[])[2] * 1e9 / $rows)::numeric, 1),
	round(((:'m'::double precision[])[1] * 1e9 / $rows)::numeric, 1),
	round(((:'m'::double precision[])[2] / (:'m'::double precision[])[1])::numeric, 2));
\\set mode ABsmartly
\\set context_rows $context_rows
\\i test/bench/context_run.sql
SQL
dropdb "$db"
