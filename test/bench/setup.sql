-- The benchmarks' experiment and units, for psql with variables traffic (a
-- percentage) and rows: the extension, the timing helpers, tenant bench as
-- this session's tenant, experiment bench with 4 even variants and that
-- traffic, and the table bench.units of units 'user-1' .. 'user-<rows>'.
CREATE EXTENSION experiments;
\i test/bench/timing.sql
SELECT set_config('experiments.tenant', experiments.create_tenant('bench')::text, false) \g /dev/null
SELECT experiments.create_experiment('bench',
	'[{"key": "a", "allocation": 25}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 25}, {"key": "d", "allocation": 25}]',
	traffic_percent => :traffic, start => true) \g /dev/null
CREATE UNLOGGED TABLE bench.units AS SELECT 'user-' || g AS unit FROM generate_series(1, :rows) g;
VACUUM ANALYZE bench.units;
