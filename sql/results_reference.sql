-- daily_metrics() (src/results/results.c) against its definition in SQL, on events
-- made to hit its edge cases: a unit first exposed to two variants at the
-- same instant (the lower ordinal counts), goal values that are not numbers
-- (strings, null, missing, properties that are not an object), numbers in
-- every form (fractions, exponents, trailing zeros, integers around 10^4 and
-- 10^12, where reading their digits gives way to their text), a goal named
-- like the revenue metric, events before the first exposure or of another
-- unit type, and windows that cut through all of it. The reference is
-- daily_metrics' definition in SQL; both must give the same rows, in every
-- window.
-- The superuser writes the events (a fixture); an analyst (regress_bi, a member
-- of experiments_analyst) reads both.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('results_reference') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('edges',
	'[{"key": "a", "allocation": 40}, {"key": "b", "allocation": 40}, {"key": "c", "allocation": 20}]', start => true) \gset

INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, (g * 7) % 3, 'user_id', 'e-' || (g % 500),
	   timestamptz '2025-05-30 22:00+00' + (g % 97) * interval '47 minutes',
	   true, true, false, false, false, false
FROM generate_series(1, 3000) g
UNION ALL
-- tie: e-1 .. e-9 are also shown variants 2 and 0 at their first instant
SELECT :exp, o, 'user_id', 'e-' || u, timestamptz '2025-05-30 22:00+00' + (u % 97) * interval '47 minutes',
	   true, true, false, false, false, false
FROM generate_series(1, 9) u, (VALUES (0), (2)) AS v(o);

INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT CASE WHEN g % 50 = 0 THEN 'device_id' ELSE 'user_id' END, 'e-' || (g % 600),
	   (ARRAY['buy', 'revenue', 'view'])[g % 3 + 1],
	   timestamptz '2025-05-30 20:00+00' + (g % 89) * interval '61 minutes',
	   CASE g % 7 WHEN 0 THEN jsonb_build_object('value', (g % 9) * 0.25)
				  WHEN 1 THEN jsonb_build_object('value', (g % 11)::text)
				  WHEN 2 THEN '{"value": null}'
				  WHEN 3 THEN '[1, 2]'
				  WHEN 4 THEN NULL
				  WHEN 5 THEN jsonb_build_object('other', g)
				  ELSE ('{"value": ' || (ARRAY['0', '-7', '9999', '10000', '10001', '-10000', '100.00', '1e3',
						'2.5e1', '-4'])[g % 10 + 1] || '}')::jsonb END
FROM generate_series(1, 2500) g;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 'ref-' || g, 'order', 'e-' || (g % 550), 100 * (g % 13), 0,
	   timestamptz '2025-05-30 21:00+00' + (g % 83) * interval '53 minutes', 'OTHER', 'app'
FROM generate_series(1, 800) g;
SELECT experiments.create_event_partitions(0) > 0 AS created;

-- The reference: daily_metrics in SQL (the body it had before it moved to C,
-- with values booked on the day of their event since 0.2.0).
CREATE FUNCTION pg_temp.reference_metrics(experiment_id bigint, since timestamptz, until timestamptz)
RETURNS TABLE (kind text, metric text, ordinal integer, day date, units bigint,
			   value_sum float8, value_square_sum float8, first_at timestamptz, last_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH units AS MATERIALIZED (
	SELECT e.unit,
		   CASE WHEN min(e.ordinal) = max(e.ordinal) THEN min(e.ordinal)
				ELSE (SELECT f.ordinal FROM experiments.exposures f
					  WHERE f.experiment_id = $1 AND f.unit = e.unit
						AND f.exposed_at >= $2 AND f.exposed_at < $3
					  ORDER BY f.exposed_at, f.ordinal LIMIT 1) END AS ordinal,
		   min(e.exposed_at) AS first_at, max(e.exposed_at) AS last_at
	FROM experiments.exposures e
	WHERE e.experiment_id = $1 AND e.exposed_at >= $2 AND e.exposed_at < $3
	GROUP BY e.unit
), experiment AS (
	SELECT x.tenant_id, x.unit_type FROM experiments.experiments x WHERE x.id = $1
), per_unit AS (
	-- each unit's counted events of a metric: first and last time, total value
SELECT 'exposures' AS kind, NULL AS metric, u.unit, u.ordinal, u.first_at, u.last_at, NULL::float8 AS value
FROM units u
UNION ALL
SELECT 'goal', g.goal, u.unit, u.ordinal, min(g.achieved_at), max(g.achieved_at),
	   sum(CASE WHEN jsonb_typeof(g.properties -> 'value') = 'number'
				THEN (g.properties ->> 'value')::float8 END)
FROM units u
JOIN experiments.goal_events g ON g.unit = u.unit AND g.achieved_at >= u.first_at
JOIN experiment x ON g.tenant_id = x.tenant_id AND g.unit_type = x.unit_type
WHERE g.achieved_at >= $2 AND g.achieved_at < $3
GROUP BY g.goal, u.unit, u.ordinal
UNION ALL
SELECT 'revenue', 'revenue', u.unit, u.ordinal, min(t.occurred_at), max(t.occurred_at),
	   sum(t.revenue)::float8
FROM units u
JOIN experiments.transactions t ON t.visitor_id = u.unit AND t.occurred_at >= u.first_at
JOIN experiment x ON t.tenant_id = x.tenant_id
WHERE t.occurred_at >= $2 AND t.occurred_at < $3
GROUP BY u.unit, u.ordinal
), events AS (
	-- each counted event's value, on the day of the event
	SELECT 'goal' AS kind, g.goal AS metric, u.ordinal, (g.achieved_at AT TIME ZONE 'UTC')::date AS day,
		   CASE WHEN jsonb_typeof(g.properties -> 'value') = 'number'
				THEN (g.properties ->> 'value')::float8 END AS value
	FROM units u
	JOIN experiments.goal_events g ON g.unit = u.unit AND g.achieved_at >= u.first_at
	JOIN experiment x ON g.tenant_id = x.tenant_id AND g.unit_type = x.unit_type
	WHERE g.achieved_at >= $2 AND g.achieved_at < $3
	UNION ALL
	SELECT 'revenue', 'revenue', u.ordinal, (t.occurred_at AT TIME ZONE 'UTC')::date, t.revenue::float8
	FROM units u
	JOIN experiments.transactions t ON t.visitor_id = u.unit AND t.occurred_at >= u.first_at
	JOIN experiment x ON t.tenant_id = x.tenant_id
	WHERE t.occurred_at >= $2 AND t.occurred_at < $3
), by_unit_day AS (
	SELECT p.kind, p.metric, p.ordinal, (p.first_at AT TIME ZONE 'UTC')::date AS day, count(*) AS units,
		   sum(p.value * p.value) AS square_sum, min(p.first_at) AS first_at, max(p.last_at) AS last_at
	FROM per_unit p
	GROUP BY 1, 2, 3, 4
), by_event_day AS (
	SELECT e.kind, e.metric, e.ordinal, e.day, sum(e.value) AS value_sum
	FROM events e
	GROUP BY 1, 2, 3, 4
	HAVING count(e.value) > 0
)
SELECT coalesce(u.kind, e.kind), coalesce(u.metric, e.metric), coalesce(u.ordinal, e.ordinal),
	   coalesce(u.day, e.day), coalesce(u.units, 0), e.value_sum, u.square_sum, u.first_at, u.last_at
FROM by_unit_day u
FULL JOIN by_event_day e ON e.kind = u.kind AND coalesce(e.metric, '') = coalesce(u.metric, '')
	AND e.ordinal = u.ordinal AND e.day = u.day
$$;
SET SESSION AUTHORIZATION regress_bi;

-- Each window's rows from both, then the rows of one that the other lacks,
-- both ways: none, in every window.
CREATE TEMPORARY TABLE windows (since timestamptz, until timestamptz);
INSERT INTO windows VALUES ('-infinity', 'infinity'),
	('2025-05-31 00:00+00', '2025-06-01 00:00+00'), ('2025-05-31 13:30+00', '2025-06-02 07:00+00'),
	('2025-06-03 00:00+00', 'infinity'), ('2025-07-01 00:00+00', '2025-08-01 00:00+00');
CREATE TEMPORARY TABLE from_c AS
SELECT w.since, w.until, m.* FROM windows w, experiments.daily_metrics(:exp, w.since, w.until) m;
CREATE TEMPORARY TABLE from_sql AS
SELECT w.since, w.until, m.* FROM windows w, pg_temp.reference_metrics(:exp, w.since, w.until) m;
SELECT w.since, w.until,
	   (SELECT count(*) FROM from_c c WHERE (c.since, c.until) = (w.since, w.until)) AS metric_rows,
	   (SELECT count(*) FROM ((SELECT * FROM from_c EXCEPT ALL SELECT * FROM from_sql)
							  UNION ALL (SELECT * FROM from_sql EXCEPT ALL SELECT * FROM from_c)) d
		WHERE (d.since, d.until) = (w.since, w.until)) AS differences
FROM windows w ORDER BY w.since, w.until;

-- The tie is there: 9 units were shown two variants at their first instant.
SELECT count(*) AS units_with_a_tie
FROM (SELECT unit FROM experiments.exposures e
	  WHERE experiment_id = :exp
		AND exposed_at = (SELECT min(exposed_at) FROM experiments.exposures f
						  WHERE f.experiment_id = :exp AND f.unit = e.unit)
	  GROUP BY unit HAVING count(DISTINCT ordinal) > 1) t;
-- The goal named revenue stays a goal, apart from the revenue of transactions.
SELECT kind, metric, sum(units) AS units FROM experiments.daily_metrics(:exp, '-infinity', 'infinity')
WHERE metric = 'revenue' GROUP BY kind, metric ORDER BY kind;
-- NULL arguments: no rows, as the SQL version gave.
SELECT count(*) AS rows_for_null FROM experiments.daily_metrics(:exp, NULL, 'infinity');

-- Goal values of every size, one event of its own goal each (so that their
-- sums and squares are exact either way): the C read of a JSON number
-- (src/core/experiments.c, JsonbNumberDouble: an integer below 10^12 from
-- its digits, anything else through its text) against (value ->> ...)::float8.
RESET SESSION AUTHORIZATION;
SET experiments.tenant = :'tenant';
CREATE TEMPORARY TABLE numbers (n serial, number text);
INSERT INTO numbers (number) VALUES ('0'), ('-0'), ('0.0'), ('1'), ('-1'), ('9999'), ('10000'), ('10001'),
	('-10000'), ('123456789'), ('99990000'), ('100000000'), ('999999999999'), ('-999999999998'),
	('1000000000000'), ('1e12'), ('12345678901'), ('4503599627370497'), ('1e20'), ('1.5'), ('100.00'),
	('1e3'), ('3.0e2'), ('1E+2'), ('5e-1'), ('0.1'), ('2.000000000000000001'), ('-12345678901.25'),
	-- more than 63 digits of scale: stored in the long form
	('1.' || repeat('0', 70)), ('-70000.' || repeat('0', 70));
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'e-1', 'number-' || n, '2025-06-10 00:00+00', ('{"value": ' || number || '}')::jsonb FROM numbers;
GRANT SELECT ON numbers TO regress_bi;
SET SESSION AUTHORIZATION regress_bi;
SELECT count(*) AS numbers,
	   count(*) FILTER (WHERE m.value_sum = (g.properties ->> 'value')::float8
							AND m.value_square_sum = (g.properties ->> 'value')::float8 * (g.properties ->> 'value')::float8)
	   AS read_alike
FROM numbers n
JOIN experiments.goal_events g ON g.goal = 'number-' || n.n
JOIN experiments.daily_metrics(:exp, '-infinity', 'infinity') m ON m.kind = 'goal' AND m.metric = g.goal;
