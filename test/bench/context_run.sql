-- Measures the context case set up by context.sql, for psql -A -t with
-- variables mode (the compatible mode's name, for the report), context_rows
-- and rounds: assign_all() and ten assign() in a row, each of the
-- compatible tenant against the native tenant, in rounds in one session
-- (bench.pair_results()), reported as RESULT lines per unit (a unit's ten
-- assignments).
SELECT format('SELECT bench.in_tenant(%L, %L)', 'ctx_native', assign_all) AS native_all,
	format('SELECT bench.in_tenant(%L, %L)', 'ctx_compatible', assign_all) AS compatible_all,
	format('SELECT bench.in_tenant(%L, %L)', 'ctx_native', ten_in_a_row) AS native_ten,
	format('SELECT bench.in_tenant(%L, %L)', 'ctx_compatible', ten_in_a_row) AS compatible_ten
FROM bench.context_queries \gset
SELECT bench.pair_results(:'mode' || ' assign_all(), 10 experiments', 'native assign_all(), 10 experiments',
	:'native_all', :'compatible_all', :context_rows, 1.5, :rounds);
SELECT bench.pair_results(:'mode' || ', ten assign() in a row', 'native, ten assign() in a row',
	:'native_ten', :'compatible_ten', :context_rows, 1.5, :rounds);
