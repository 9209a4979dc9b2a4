-- A call site that has made 1000 calls for a plain running experiment
-- returns rows formed once per bucket, as they are. Its answers must be the
-- general path's (a key that is not a constant takes that path at every
-- call), stay intact for the rest of the statement when the cache is emptied,
-- and follow a change of the configuration.
\i sql/helpers/logins.sql
SELECT set_config('experiments.tenant', experiments.create_tenant('assign_rows')::text, false) IS NOT NULL AS tenant_set;
-- (as an operator, regress_ops, a member of experiments_admin)
SET SESSION AUTHORIZATION regress_ops;
INSERT INTO experiments.experiments (key, traffic_seed, variant_seed, traffic_bp)
VALUES ('rows', 5, 6, 7000), ('other', 7, 8, 10000);
SELECT count(*) FROM experiments.set_variants('rows',
	'[{"key": "a", "allocation": 10}, {"key": "bb", "allocation": 20}, {"key": "ccc", "allocation": 30}, {"key": "dddd", "allocation": 40}]');
SELECT count(*) FROM experiments.set_variants('other',
	'[{"key": "x", "allocation": 50}, {"key": "y", "allocation": 50}]');
SELECT (experiments.set_state('rows', 'running')).state, (experiments.set_state('other', 'running')).state;

CREATE TEMP TABLE units AS SELECT g AS n, 'unit-' || g AS unit FROM generate_series(1, 20000) g;
CREATE TEMP TABLE general AS
SELECT n, experiments.assign((SELECT 'rows'), unit) AS a FROM units;

-- Rows by bucket against the general path, unit by unit and column by column;
-- two call sites in one row, and rows kept by a sort, an aggregate and a CTE.
WITH by_bucket AS MATERIALIZED (
	SELECT n, experiments.assign('rows', unit) AS a, experiments.assign('other', unit) AS o
	FROM units ORDER BY n DESC)
SELECT count(*) AS units,
	   count(*) FILTER (WHERE b.a IS DISTINCT FROM g.a) AS differ,
	   count(*) FILTER (WHERE (b.o).experiment <> 'other' OR (b.o).variant NOT IN ('x', 'y')) AS other_wrong,
	   count(DISTINCT (b.a).variant) AS variants,
	   count(*) FILTER (WHERE (b.a).reason = 'traffic' AND (b.a).bucket IS NULL) AS not_in_traffic
FROM by_bucket b JOIN general g USING (n);
SELECT (array_agg(a ORDER BY n))[19000] = (SELECT a FROM general WHERE n = 19000) AS kept_by_array_agg
FROM (SELECT n, experiments.assign('rows', unit) AS a FROM units) s;

-- The statement empties the cache itself halfway (a change to another
-- experiment): the row returned just before, still in use in the same target
-- list, and every row after are the general path's.
CREATE FUNCTION pg_temp.touch_other(n integer, at integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF n = at THEN
		UPDATE experiments.experiments SET description = 'touched'
		WHERE key = 'other' AND tenant_id = experiments.current_tenant();
	END IF;
	RETURN n = at;
END;
$$;
CREATE TEMP TABLE emptied AS
SELECT n, experiments.assign('rows', unit) AS a, pg_temp.touch_other(n, 5000) AS touched
FROM units;
SELECT count(*) FILTER (WHERE touched) AS touched,
	   count(*) FILTER (WHERE e.a IS DISTINCT FROM g.a) AS differ
FROM emptied e JOIN general g USING (n);

-- A PL/pgSQL call site (kept for the whole loop) whose experiment changes
-- halfway: before the change the old answers, after it the new ones.
CREATE TEMP TABLE looped (n integer, a experiments.assignment);
DO $$
DECLARE
	a experiments.assignment;
BEGIN
	FOR i IN 1 .. 6000 LOOP
		IF i = 3001 THEN
			UPDATE experiments.experiments SET traffic_bp = 10000
				WHERE key = 'rows' AND tenant_id = experiments.current_tenant();
		END IF;
		a := experiments.assign('rows', 'unit-' || i);
		INSERT INTO looped VALUES (i, a);
	END LOOP;
END;
$$;
CREATE TEMP TABLE general_after AS
SELECT n, experiments.assign((SELECT 'rows'), unit) AS a FROM units WHERE n <= 6000;
SELECT count(*) FILTER (WHERE l.n <= 3000 AND l.a IS DISTINCT FROM g.a) AS differ_before,
	   count(*) FILTER (WHERE l.n > 3000 AND l.a IS DISTINCT FROM ga.a) AS differ_after,
	   count(*) FILTER (WHERE l.n > 3000 AND (l.a).reason = 'traffic') AS not_in_traffic_after
FROM looped l JOIN general g USING (n) JOIN general_after ga USING (n);
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;

-- An experiment with enrolments: after 1000 calls a call site reads them
-- into a filter, and the answers must still be the lookups' (a key that is
-- not a constant looks every unit up). The weights change after the
-- enrolments, so that sticky answers differ from hashed ones.
SELECT set_config('experiments.tenant', experiments.create_tenant('assign_rows_sticky')::text, false) IS NOT NULL AS tenant_set;
SET SESSION AUTHORIZATION regress_ops;
INSERT INTO experiments.experiments (key, traffic_seed, variant_seed, traffic_bp)
VALUES ('sticky', 15, 16, 8000), ('sticky_override', 17, 18, 9000);
SELECT count(*) FROM unnest(ARRAY['sticky', 'sticky_override']) k,
	experiments.set_variants(k, '[{"key": "a", "allocation": 25}, {"key": "b", "allocation": 25}, {"key": "c", "allocation": 50}]');
SELECT count(*) FROM unnest(ARRAY['sticky', 'sticky_override']) k, experiments.set_state(k, 'running');
SELECT count(*) FROM experiments.set_override('sticky_override', 'unit-7', 'a');
-- (the application, regress_shop, a member of experiments_client, enrols)
SET SESSION AUTHORIZATION regress_shop;
SELECT count(*) FILTER (WHERE (e).ordinal IS NOT NULL) AS enrolled
FROM (SELECT experiments.enrol(k, 'unit-' || g) AS e
	  FROM unnest(ARRAY['sticky', 'sticky_override']) k, generate_series(1, 30000, 7) g) s;
SET SESSION AUTHORIZATION regress_ops;
SELECT count(*) FROM unnest(ARRAY['sticky', 'sticky_override']) k,
	experiments.set_variants(k, '[{"key": "a", "allocation": 60}, {"key": "b", "allocation": 30}, {"key": "c", "allocation": 10}]');
-- (the rest assigns and enrols: the application)
GRANT SELECT ON pg_temp.units TO regress_shop;
SET SESSION AUTHORIZATION regress_shop;
CREATE TEMP TABLE sticky_general AS
SELECT n, experiments.assign((SELECT 'sticky'), unit) AS s,
	   experiments.assign((SELECT 'sticky_override'), unit) AS o FROM units;
SELECT count(*) AS units,
	   count(*) FILTER (WHERE f.s IS DISTINCT FROM g.s) AS differ,
	   count(*) FILTER (WHERE f.o IS DISTINCT FROM g.o) AS differ_override,
	   count(*) FILTER (WHERE (f.s).reason = 'sticky') AS sticky,
	   count(*) FILTER (WHERE (f.s).reason = 'sticky' AND (f.s).ordinal <>
						CASE WHEN experiments.bucket(unit, 16) < 6000 THEN 0
							 WHEN experiments.bucket(unit, 16) < 9000 THEN 1 ELSE 2 END) AS sticky_not_hashed
FROM (SELECT n, unit, experiments.assign('sticky', unit) AS s, experiments.assign('sticky_override', unit) AS o
	  FROM units) f
JOIN sticky_general g USING (n);

-- The statement enrols a unit halfway, in a command of its own: every later
-- unit, that one included, is answered as a lookup would (the filter read
-- before no longer holds, and none is read under a snapshot that misses the
-- enrolment).
CREATE FUNCTION pg_temp.enrol_at(n integer, at integer, unit text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF n = at THEN
		PERFORM experiments.enrol('sticky', unit);
	END IF;
	RETURN n = at;
END;
$$;
CREATE TEMP TABLE enrolled_halfway AS
SELECT n, experiments.assign('sticky', unit) AS s, pg_temp.enrol_at(n, 5000, 'unit-19999') AS enrolled
FROM (SELECT * FROM units ORDER BY n) u;
SELECT count(*) FILTER (WHERE enrolled) AS enrolled,
	   (SELECT (s).reason FROM enrolled_halfway WHERE n = 19999) AS reason_19999,
	   count(*) FILTER (WHERE e.s IS DISTINCT FROM g.s AND n <> 19999) AS differ
FROM enrolled_halfway e JOIN sticky_general g USING (n);
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;
\i sql/helpers/drop_logins.sql
