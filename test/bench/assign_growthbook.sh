#!/usr/bin/env bash
# GrowthBook mode's cost: assign() of a GrowthBook experiment (hashing
# 'growthbook', hash version 2, 4 variants, 90% coverage) against assign() of
# the native experiment of the same shape (test/bench/setup.sql: 4 variants,
# 90% traffic), over the same stored units, in the same run: the two queries
# run in GB_ROUNDS rounds (default 11, bench.compare_pair()), each reported
# by its median wall-clock and CPU time and the ratio by the median of the
# rounds' ratios, with their quartiles and range; the target (at most 1.5
# times native per unit) is met when the upper quartile is within it, not
# met when the lower quartile is beyond it, and undecided otherwise
# (bench.verdict()). A GrowthBook experiment with a hash attribute and a
# condition (attributes read and evaluated per unit) is reported too, for
# information, and the context case (test/bench/context.sql: ten experiments
# per unit, by assign_all() and by ten assign() in a row, GrowthBook against
# native), target 1.5 too, in GB_CONTEXT_ROUNDS rounds (default 7). GB_ROWS
# sets the table size (default 2,000,000); the context case uses a tenth of
# it.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${GB_ROWS:-2000000}
context_rows=$((rows / 10))
rounds=${GB_ROUNDS:-11}
context_rounds=${GB_CONTEXT_ROUNDS:-7}
db=bench_assign_growthbook

dropdb --if-exists "$db"
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -v traffic=90 -v rows="$rows" -v context_rows="$context_rows" \
	-v hashing=growthbook -v options='{"hashVersion": 2, "coverage": 0.9}' -v traffic_bp=10000 -d "$db" <<'SQL'
\i test/bench/setup.sql
\i test/bench/context.sql
INSERT INTO experiments.experiments (key, hashing, hashing_options)
VALUES ('bench_gb', 'growthbook', '{"hashVersion": 2, "coverage": 0.9}'),
	   ('bench_gb_condition', 'growthbook',
		'{"hashVersion": 2, "coverage": 0.9, "hashAttribute": "account", "condition": {"country": {"$in": ["FR", "DE"]}}}');
SELECT count(*) FROM unnest(ARRAY['bench_gb', 'bench_gb_condition']) k, experiments.set_variants(k,
	'[{"key": "a", "allocation": 25}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 25}, {"key": "d", "allocation": 25}]') \g /dev/null
UPDATE experiments.experiments SET state = 'running' WHERE key IN ('bench_gb', 'bench_gb_condition');
SQL

psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET max_parallel_workers_per_gather = 0;
SET experiments.tenant = '$(psql -X -A -t -d "$db" -c "SELECT id FROM experiments.tenants WHERE name = 'bench'")';
-- Warm the cache and the table.
SELECT count(experiments.assign('bench', unit)) + count(experiments.assign('bench_gb', unit)) FROM bench.units \g /dev/null
SELECT bench.pair_results('GrowthBook assign()', 'native assign()',
	'SELECT count(experiments.assign(''bench'', unit)) FROM bench.units',
	'SELECT count(experiments.assign(''bench_gb'', unit)) FROM bench.units', $rows, 1.5, $rounds);
SELECT bench.best_seconds('SELECT count(experiments.assign(''bench_gb_condition'', unit,
	jsonb_build_object(''account'', unit, ''country'', ''FR''))) FROM bench.units') AS gb_condition_s \gset
SELECT bench.best_seconds('SELECT count(experiments.assign(''bench'', unit,
	jsonb_build_object(''account'', unit, ''country'', ''FR''))) FROM bench.units') AS native_attributes_s \gset
\echo with a hash attribute and a condition: :gb_condition_s s; native with the same attributes built: :native_attributes_s s
SELECT format(E'RESULT\tGrowthBook assign() with attribute and condition (%s rows)\t%s\tns\tnative assign(), same attributes\t%s\t%s\t(informative)',
	$rows, round((:gb_condition_s * 1e9 / $rows)::numeric, 1), round((:native_attributes_s * 1e9 / $rows)::numeric, 1),
	round((:gb_condition_s / :native_attributes_s)::numeric, 2));
\\set mode GrowthBook
\\set context_rows $context_rows
\\set rounds $context_rounds
\\i test/bench/context_run.sql
SQL
dropdb "$db"
