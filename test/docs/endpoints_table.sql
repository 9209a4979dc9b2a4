-- The table of docs/http-api.md ("Who may call what") of every endpoint of
-- experiments_api and the roles granted it, made from the catalog: the
-- EXECUTE of each function and the SELECT of each view, as the GRANT beside
-- it (src/adapters/*/api.sql, src/http/api.sql) gave them, the owner left
-- out, and experiments_anon, which every function is granted so that
-- authorize() refuses it in the endpoint's own document. test/scripts/http_docs.sh compares it with the document.
WITH endpoints AS (
	SELECT '/rpc/' || p.proname AS path, 'function' AS kind, p.oid::regproc::text AS object,
		   (SELECT string_agg(format('`%s`', CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END), ', '
							  ORDER BY a.grantee::regrole::text)
			FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
			WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner
			  AND a.grantee <> 'experiments_anon'::regrole) AS grantees
	FROM pg_proc p
	WHERE p.pronamespace = 'experiments_api'::regnamespace
	UNION ALL
	SELECT '/' || c.relname, 'view', c.oid::regclass::text,
		   (SELECT string_agg(format('`%s`', CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END), ', '
							  ORDER BY a.grantee::regrole::text)
			FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
			WHERE a.privilege_type = 'SELECT' AND a.grantee <> c.relowner)
	FROM pg_class c
	WHERE c.relnamespace = 'experiments_api'::regnamespace AND c.relkind = 'v'
)
SELECT format('| `%s` | %s `%s` | %s |', path, kind, object, coalesce(grantees, 'nobody'))
FROM endpoints
ORDER BY path COLLATE "C";
