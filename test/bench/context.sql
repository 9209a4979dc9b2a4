-- The benchmarks' context case, for psql after setup.sql, with variables
-- hashing ('absmartly' or 'growthbook'), options (its hashing_options),
-- traffic_bp (the compatible experiments' traffic_bp) and context_rows:
-- two tenants of ten running experiments each, ctx_1 .. ctx_10, of the shape
-- of setup.sql's (4 even variants, 90% traffic or coverage): tenant
-- ctx_native's are native, tenant ctx_compatible's use that hashing. A unit
-- assigned to every experiment of its tenant in a row is what an SDK's
-- context does. bench.in_tenant() runs a query as one of them, so that the
-- two run in rounds in one session (bench.paired_runs()); the session's
-- tenant is bench again afterwards.
SELECT current_setting('experiments.tenant') AS bench_tenant \gset
SELECT set_config('experiments.tenant', experiments.create_tenant('ctx_native')::text, false) AS ctx_native \gset
SELECT count(experiments.create_experiment('ctx_' || i,
	'[{"key": "a", "allocation": 25}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 25}, {"key": "d", "allocation": 25}]',
	traffic_percent => 90, start => true)) FROM generate_series(1, 10) i \g /dev/null
SELECT set_config('experiments.tenant', experiments.create_tenant('ctx_compatible')::text, false) AS ctx_compatible \gset
INSERT INTO experiments.experiments (key, hashing, hashing_options, traffic_bp)
SELECT 'ctx_' || i, :'hashing', :'options', :traffic_bp FROM generate_series(1, 10) i;
SELECT count(*) FROM generate_series(1, 10) i, experiments.set_variants('ctx_' || i,
	'[{"key": "a", "allocation": 25}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 25}, {"key": "d", "allocation": 25}]') \g /dev/null
UPDATE experiments.experiments SET state = 'running' WHERE key LIKE 'ctx\_%';
SELECT set_config('experiments.tenant', :'bench_tenant', false) \g /dev/null

-- Runs query with the session's tenant set to tenant's, then set back.
CREATE FUNCTION bench.in_tenant(tenant text, query text)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	previous text := current_setting('experiments.tenant');
BEGIN
	PERFORM set_config('experiments.tenant', (SELECT id::text FROM experiments.tenants WHERE name = tenant), false);
	EXECUTE query;
	PERFORM set_config('experiments.tenant', previous, false);
END;
$$;

-- The context case's units: the first context_rows of bench.units.
CREATE UNLOGGED TABLE bench.context_units AS SELECT unit FROM bench.units ORDER BY unit LIMIT :context_rows;
VACUUM ANALYZE bench.context_units;

-- The queries of the context case: the ten experiments of the session's
-- tenant assigned to each unit by assign_all(), and by ten assign() calls in
-- a row (one call site each, all evaluated per unit before the next unit).
CREATE VIEW bench.context_queries(assign_all, ten_in_a_row) AS
SELECT 'SELECT count(*) FROM bench.context_units u, experiments.assign_all(u.unit)',
	'SELECT ' || string_agg(format('count(experiments.assign(%L, unit))', 'ctx_' || i), ' + ' ORDER BY i)
	|| ' FROM bench.context_units'
FROM generate_series(1, 10) i;
