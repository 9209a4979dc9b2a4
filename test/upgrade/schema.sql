-- The extension's schema as text, one object a line, for test/scripts/upgrade.sh
-- to diff an upgraded database with a fresh install: members of the
-- extension, functions (definition, settings, privileges, comment), tables
-- and their columns, constraints, indexes, triggers, policies (each with its
-- comment), schemas, row-level
-- security, types and enum labels, and the tables and sequences registered
-- for pg_dump. Identity and OID values are left out: they differ by history.
SELECT line FROM (
	SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid) AS line
	FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
	WHERE x.extname = 'experiments' AND d.deptype = 'e'
	UNION ALL
	SELECT 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
		|| ' config ' || coalesce(p.proconfig::text, '-') || ' acl ' || coalesce(p.proacl::text, '-')
		|| ' comment ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
	FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'experiments%') AND p.prokind <> 'a'
	UNION ALL
	SELECT 'relation ' || c.relname || ' kind ' || c.relkind::text || ' rls ' || c.relrowsecurity || '/' || c.relforcerowsecurity
		|| ' partkey ' || coalesce(pg_get_partkeydef(c.oid), '-') || ' bound ' || coalesce(pg_get_expr(c.relpartbound, c.oid), '-')
		|| ' acl ' || coalesce(c.relacl::text, '-') || ' comment ' || coalesce(obj_description(c.oid, 'pg_class'), '-')
	FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'experiments%') AND c.relkind <> 'i' AND c.relkind <> 'I'
	UNION ALL
	SELECT 'column ' || c.relname || '.' || a.attname || ' #' || a.attnum || ' ' || format_type(a.atttypid, a.atttypmod)
		|| CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' identity ' || a.attidentity::text
		|| ' default ' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-')
		|| ' comment ' || coalesce(col_description(c.oid, a.attnum), '-')
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
	WHERE c.relnamespace IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'experiments%') AND c.relkind IN ('r', 'p', 'v', 'm', 'c', 'f')
	UNION ALL
	SELECT 'constraint ' || co.conrelid::regclass || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
		|| ' comment ' || coalesce(obj_description(co.oid, 'pg_constraint'), '-')
	FROM pg_constraint co WHERE co.connamespace IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'experiments%')
	UNION ALL
	SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' comment ' || coalesce(obj_description(i.indexrelid, 'pg_class'), '-')
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	WHERE c.relnamespace IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'experiments%')
	UNION ALL
	SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
		|| ' comment ' || coalesce(obj_description(t.oid, 'pg_trigger'), '-')
	FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	WHERE c.relnamespace IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'experiments%') AND NOT t.tgisinternal
	UNION ALL
	SELECT 'policy ' || po.tablename || ' ' || po.policyname || ' ' || po.cmd || ' ' || po.roles::text
		|| ' using ' || coalesce(po.qual, '-') || ' check ' || coalesce(po.with_check, '-')
		|| ' comment ' || coalesce(obj_description(pol.oid, 'pg_policy'), '-')
	FROM pg_policies po
	JOIN pg_policy pol ON pol.polname = po.policyname AND pol.polrelid = format('%I.%I', po.schemaname, po.tablename)::regclass
	WHERE po.schemaname = 'experiments'
	UNION ALL
	SELECT 'schema ' || n.nspname || ' acl ' || coalesce(n.nspacl::text, '-') || ' comment ' || coalesce(obj_description(n.oid, 'pg_namespace'), '-')
	FROM pg_namespace n WHERE n.nspname LIKE 'experiments%'
	UNION ALL
	SELECT 'type ' || format_type(t.oid, NULL) || ' ' || t.typtype::text
		|| ' labels ' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '-')
		|| ' comment ' || coalesce(obj_description(t.oid, 'pg_type'), '-')
	FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'experiments%') AND t.typtype IN ('e', 'c', 'd', 'b', 'r') AND t.typcategory <> 'A'
		AND NOT EXISTS (SELECT FROM pg_class c WHERE c.reltype = t.oid AND c.relkind <> 'c')
	UNION ALL
	SELECT 'dumped ' || cfg.oid::regclass || ' where ' || coalesce(x.extcondition[cfg.n], '-')
	FROM pg_extension x CROSS JOIN LATERAL unnest(x.extconfig) WITH ORDINALITY AS cfg(oid, n)
	WHERE x.extname = 'experiments'
	UNION ALL
	SELECT 'extension ' || x.extname || ' ' || x.extversion || ' relocatable ' || x.extrelocatable
	FROM pg_extension x WHERE x.extname = 'experiments'
) s ORDER BY line COLLATE "C";
