-- The README's table of every function and view the extension's roles may
-- call or read ("Roles"), made from the catalog: test/scripts/readme.sh
-- compares it with the README, so the two cannot drift. Anonymous requests
-- reach every HTTP endpoint only to be refused there (authorize()): "401".
WITH roles(n, r) AS (
	VALUES (1, 'experiments_anon'), (2, 'experiments_client'), (3, 'experiments_admin'), (4, 'experiments_analyst')
), objects AS (
	SELECT format('%s.%s(%s)', p.pronamespace::regnamespace, p.proname,
				  pg_get_function_identity_arguments(p.oid)) AS object,
		   p.pronamespace = 'experiments_api'::regnamespace AS endpoint,
		   array_agg(r.n ORDER BY r.n) FILTER (WHERE has_function_privilege(r.r, p.oid, 'EXECUTE')) AS who
	FROM pg_proc p CROSS JOIN roles r
	WHERE p.pronamespace IN ('experiments'::regnamespace, 'experiments_internal'::regnamespace, 'experiments_api'::regnamespace)
	GROUP BY p.oid
	UNION ALL
	SELECT format('%s (%s)', c.oid::regclass, CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END), false,
		   array_agg(r.n ORDER BY r.n) FILTER (WHERE has_table_privilege(r.r, c.oid, 'SELECT'))
	FROM pg_class c CROSS JOIN roles r
	WHERE c.relnamespace IN ('experiments'::regnamespace, 'experiments_api'::regnamespace)
	  AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
	GROUP BY c.oid
)
SELECT format('| `%s` | %s | %s | %s | %s |', object,
			  CASE WHEN NOT 1 = ANY (who) THEN '' WHEN endpoint THEN '401' ELSE 'yes' END, CASE WHEN 2 = ANY (who) THEN 'yes' ELSE '' END,
			  CASE WHEN 3 = ANY (who) THEN 'yes' ELSE '' END, CASE WHEN 4 = ANY (who) THEN 'yes' ELSE '' END)
FROM objects WHERE who IS NOT NULL
ORDER BY object;
