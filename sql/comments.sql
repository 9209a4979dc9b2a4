-- Every SQL object of the extension has a COMMENT ON: PostgREST turns the
-- comments into the API's documentation, and psql's \d+ and \df+ show them.
-- The objects are those of a fresh install: the extension's schema and the
-- members of the extension (schemas, types, functions, tables, views,
-- sequences), the attributes of its composite types, the columns of its
-- tables and views, and the triggers and policies on its tables. A partition's
-- columns are its parent's, checked there. Constraints and the indexes are
-- left out (docs/architecture.md, "Comments"). Monthly partitions that
-- create_event_partitions() makes are not members, so earlier tests cannot
-- add objects here.
CREATE TEMP VIEW extension_objects AS
WITH members AS (
	SELECT d.classid, d.objid
	FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
	WHERE d.refclassid = 'pg_extension'::regclass AND x.extname = 'experiments' AND d.deptype = 'e'
), relations AS (
	SELECT c.* FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
)
SELECT 'schema' AS kind, n.nspname::text AS name, obj_description(n.oid, 'pg_namespace') AS comment
FROM pg_namespace n
WHERE n.oid IN (SELECT x.extnamespace FROM pg_extension x WHERE x.extname = 'experiments')
   OR n.oid IN (SELECT m.objid FROM members m WHERE m.classid = 'pg_namespace'::regclass)
UNION ALL
SELECT 'type', format_type(t.oid, NULL), obj_description(t.oid, 'pg_type')
FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
UNION ALL
SELECT 'type attribute', format_type(t.oid, NULL) || '.' || a.attname, col_description(t.typrelid, a.attnum)
FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'function', p.oid::regprocedure::text, obj_description(p.oid, 'pg_proc')
FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'S' THEN 'sequence' ELSE 'table' END,
	   c.oid::regclass::text, obj_description(c.oid, 'pg_class')
FROM relations c
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view column' ELSE 'table column' END,
	   c.oid::regclass::text || '.' || a.attname, col_description(c.oid, a.attnum)
FROM relations c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
UNION ALL
SELECT 'trigger', t.tgname || ' on ' || c.oid::regclass::text, obj_description(t.oid, 'pg_trigger')
FROM relations c JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
UNION ALL
SELECT 'policy', p.polname || ' on ' || c.oid::regclass::text, obj_description(p.oid, 'pg_policy')
FROM relations c JOIN pg_policy p ON p.polrelid = c.oid;

-- Objects without a comment: none.
SELECT kind, name FROM extension_objects WHERE comment IS NULL ORDER BY kind, name;

-- What was checked, per kind. A new object changes its count here: give it
-- a COMMENT ON beside its CREATE, then update the count.
SELECT kind, count(*) AS checked FROM extension_objects GROUP BY kind ORDER BY kind;

-- An empty comment is no documentation either.
SELECT kind, name FROM extension_objects WHERE btrim(comment) = '' ORDER BY kind, name;

DROP VIEW extension_objects;
