#!/usr/bin/env bash
# Assignment throughput: assign() over 10,000,000 stored units, against bucket()
# over the same rows (the floor: one hash, no decisions) and a straightforward
# PL/pgSQL implementation of the same algorithm, in the same run.
#
# All on one core (no parallel query): assign() reads a per-session cache and
# is PARALLEL RESTRICTED. bucket() and assign() run alternately, 5 times each,
# and each reports its best wall-clock and its best CPU time (the backend's,
# from /proc/self/schedstat); the other times are the best of 3 runs. The PL/pgSQL
# baseline runs over the first ASSIGN_PLPGSQL_ROWS rows (default 1,000,000)
# and is compared per row. ASSIGN_ROWS sets the table size (default 10,000,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${ASSIGN_ROWS:-10000000}
plpgsql_rows=${ASSIGN_PLPGSQL_ROWS:-1000000}
db=bench_assign

dropdb --if-exists "$db"
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -v traffic=90 -v rows="$rows" -d "$db" <<SQL
\i test/bench/setup.sql
\i test/bench/assign_plpgsql.sql
SQL

psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET max_parallel_workers_per_gather = 0;
SET experiments.tenant = '$(psql -X -A -t -d "$db" -c "SELECT id FROM experiments.tenants WHERE name = 'bench'")';
-- Warm the cache and the table.
SELECT count(experiments.assign('bench', unit)) FROM bench.units LIMIT 1 \g /dev/null
SELECT bench.best_pair('SELECT count(experiments.bucket(unit, 42)) FROM bench.units',
	'SELECT count(experiments.assign(''bench'', unit)) FROM bench.units') AS t \gset
SELECT (:'t'::double precision[])[1] AS bucket_s, (:'t'::double precision[])[2] AS assign_s,
	(:'t'::double precision[])[3] AS bucket_cpu, (:'t'::double precision[])[4] AS assign_cpu \gset
SELECT bench.best_seconds('SELECT variant, count(*) FROM (SELECT (experiments.assign(''bench'', unit)).variant FROM bench.units) s GROUP BY 1') AS split_s \gset
SELECT bench.best_seconds('SELECT b, count(*) FROM (SELECT experiments.bucket(unit, 42) / 2500 AS b FROM bench.units) s GROUP BY 1') AS split_bucket_s \gset
SELECT bench.best_seconds('SELECT count(bench.assign_plpgsql(''bench'', unit)) FROM (SELECT unit FROM bench.units LIMIT $plpgsql_rows) u', 1) AS plpgsql_s \gset
SELECT bench.best_seconds('SELECT count(experiments.assign(''bench'', unit)) FROM (SELECT unit FROM bench.units LIMIT $plpgsql_rows) u') AS assign_sub_s \gset
\echo assign() over $rows rows: :assign_s s (CPU :assign_cpu s); bucket(): :bucket_s s (CPU :bucket_cpu s)
\echo variant split with assign(): :split_s s; the same query shape with bucket(): :split_bucket_s s
\echo over $plpgsql_rows rows: PL/pgSQL :plpgsql_s s, assign() :assign_sub_s s
SELECT format(E'RESULT\tassign() per unit (%s rows)\t%s\tns\tbucket() per unit\t%s\t%s\t<= 1.3',
	$rows, round((:assign_s * 1e9 / $rows)::numeric, 1), round((:bucket_s * 1e9 / $rows)::numeric, 1),
	round((:assign_s / :bucket_s)::numeric, 2));
SELECT format(E'RESULT\tassign() CPU time per unit (%s rows)\t%s\tns\tbucket() CPU time per unit\t%s\t%s\t(informative)',
	$rows, round((:assign_cpu * 1e9 / $rows)::numeric, 1), round((:bucket_cpu * 1e9 / $rows)::numeric, 1),
	round((:assign_cpu / :bucket_cpu)::numeric, 2));
SELECT format(E'RESULT\tassign() variant split (%s rows)\t%s\ts\tbucket() split\t%s\t%s\t(shape check)',
	$rows, round(:split_s::numeric, 2), round(:split_bucket_s::numeric, 2), round((:split_s / :split_bucket_s)::numeric, 2));
SELECT format(E'RESULT\tassign() per unit (%s rows)\t%s\tns\tPL/pgSQL assign per unit\t%s\t%s\t<= 0.33',
	$plpgsql_rows, round((:assign_sub_s * 1e9 / $plpgsql_rows)::numeric, 1), round((:plpgsql_s * 1e9 / $plpgsql_rows)::numeric, 1),
	round((:assign_sub_s / :plpgsql_s)::numeric, 3));
SQL
dropdb "$db"
