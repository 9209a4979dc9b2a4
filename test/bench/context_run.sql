-- Measures the context case set up by context.sql, for psql -A -t with
-- variables mode (the compatible mode's name, for the report) and
-- context_rows: assign_all() and ten assign() in a row, each of the
-- compatible tenant against the native tenant, alternately in one session,
-- reported as RESULT lines per unit (a unit's ten assignments).
SELECT format('SELECT bench.in_tenant(%L, %L)', 'ctx_native', assign_all) AS native_all,
	format('SELECT bench.in_tenant(%L, %L)', 'ctx_compatible', assign_all) AS compatible_all,
	format('SELECT bench.in_tenant(%L, %L)', 'ctx_native', ten_in_a_row) AS native_ten,
	format('SELECT bench.in_tenant(%L, %L)', 'ctx_compatible', ten_in_a_row) AS compatible_ten
FROM bench.context_queries \gset
SELECT bench.best_pair(:'native_all', :'compatible_all') AS all_t \gset
SELECT bench.best_pair(:'native_ten', :'compatible_ten') AS ten_t \gset
SELECT format(E'RESULT\t%s assign_all(), 10 experiments, per unit (%s rows)\t%s\tns\tnative assign_all(), 10 experiments\t%s\t%s\t<= 1.5',
	:'mode', :context_rows, round((t[2] * 1e9 / :context_rows)::numeric, 1),
	round((t[1] * 1e9 / :context_rows)::numeric, 1), round((t[2] / t[1])::numeric, 2))
FROM (SELECT :'all_t'::double precision[]) s(t);
SELECT format(E'RESULT\t%s ten assign() in a row per unit (%s rows)\t%s\tns\tnative, ten assign() in a row\t%s\t%s\t<= 1.5',
	:'mode', :context_rows, round((t[2] * 1e9 / :context_rows)::numeric, 1),
	round((t[1] * 1e9 / :context_rows)::numeric, 1), round((t[2] / t[1])::numeric, 2))
FROM (SELECT :'ten_t'::double precision[]) s(t);
