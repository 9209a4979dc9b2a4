-- The results page and its charts over HTTP (src/http/page.sql), as an
-- analyst's key reads them through the PostgREST harness: PostgREST's media
-- type handlers (Accept: text/html, image/svg+xml; JSON otherwise; 406 for a
-- type nothing produces), every number of the page equal to
-- experiment_results(), the charts' series, names from data escaped, and a
-- client key refused. The data is written as the superuser fixture.
\i sql/helpers/http.sql
SELECT experiments.create_tenant('results_page') AS tenant \gset
SELECT experiments.create_tenant('results_page_other') AS other_tenant \gset
SELECT experiments.create_api_key(:'tenant', 'shop') AS client \gset
SELECT experiments.create_api_key(:'tenant', 'bi', 'analyst') AS analyst \gset
SET experiments.tenant = :'tenant';
-- Hostile names: markup, quotes and ampersands in the experiment, a variant and a goal.
SELECT id AS exp FROM experiments.create_experiment('x<i>"&''', jsonb_build_array(
	jsonb_build_object('key', 'control', 'allocation', 50),
	jsonb_build_object('key', '<script>alert("v")</script>&''', 'allocation', 50)), start => true) \gset
-- 6,000 units over three days, 10% converting in the control, 12% in the treatment.
CREATE TEMPORARY TABLE gen AS
SELECT g, 'p-' || g AS unit, g % 2 AS ordinal,
	   timestamptz '2026-04-01 00:00:00+00' + (g % 3) * interval '1 day' + (g % 97) * interval '1 minute' AS exposed_at,
	   CASE WHEN g % 2 = 0 THEN g % 10 = 0 ELSE g % 100 < 12 END AS converts
FROM generate_series(1, 6000) g;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, ordinal, 'user_id', unit, exposed_at, true, true, false, false, false, false FROM gen;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', unit, '<script>x</script>', exposed_at + interval '1 hour', NULL FROM gen WHERE converts;
RESET experiments.tenant;
CREATE TEMP TABLE answers AS
SELECT a.name, h.* FROM (VALUES
	('page', '/rpc/results_page?experiment=' || 'x%3Ci%3E%22%26''', 'text/html'),
	('browser', '/rpc/results_page?experiment=' || 'x%3Ci%3E%22%26''', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'),
	('json', '/rpc/results_page?experiment=' || 'x%3Ci%3E%22%26''', 'application/json'),
	('no accept', '/rpc/results_page?experiment=' || 'x%3Ci%3E%22%26''', NULL),
	('json preferred', '/rpc/results_page?experiment=' || 'x%3Ci%3E%22%26''', 'text/html;q=0.5, application/json'),
	('png', '/rpc/results_page?experiment=' || 'x%3Ci%3E%22%26''', 'image/png'),
	('lift', '/rpc/results_chart?chart=lift&experiment=' || 'x%3Ci%3E%22%26''', 'image/svg+xml'),
	('units', '/rpc/results_chart?chart=units&experiment=' || 'x%3Ci%3E%22%26''', 'image/svg+xml'),
	('srm', '/rpc/results_chart?chart=srm&experiment=' || 'x%3Ci%3E%22%26''', 'image/svg+xml'),
	('bad chart', '/rpc/results_chart?chart=pie&experiment=' || 'x%3Ci%3E%22%26''', 'image/svg+xml'),
	('no experiment', '/rpc/results_page?experiment=nope', 'text/html')) AS a(name, path, accept),
	LATERAL pg_temp.http('GET', a.path, jsonb_strip_nulls(jsonb_build_object('x-api-key', :'analyst', 'accept', a.accept))) h;
-- Status, media type, and what kind of body each answer has.
SELECT name, status, headers ->> 'content-type' AS content_type, jsonb_typeof(body) AS body_type,
	   left(body #>> '{}', 15) AS starts, CASE WHEN jsonb_typeof(body) = 'object' THEN body END AS error
FROM answers ORDER BY name;
-- The page: escaped names only, nothing fetched from the network, no script.
SELECT position('<script' IN page) AS raw_script, position('"&''' IN page) AS raw_quotes,
	   page ~ '(src|href)\s*=' AS links, page ~* '<script|@import|url\(' AS fetches,
	   position('x&lt;i&gt;&quot;&amp;&#39;' IN page) > 0 AS experiment_escaped,
	   position('&lt;script&gt;alert(&quot;v&quot;)&lt;/script&gt;&amp;&#39;' IN page) > 0 AS variant_escaped,
	   position('&lt;script&gt;x&lt;/script&gt;' IN page) > 0 AS goal_escaped
FROM (SELECT body #>> '{}' AS page FROM answers WHERE name = 'page') p;
-- The same bytes whatever Accept asked for it in a browser's way.
SELECT (SELECT body FROM answers WHERE name = 'page') = (SELECT body FROM answers WHERE name = 'browser') AS browser_same,
	   (SELECT body FROM answers WHERE name = 'page') = (SELECT body FROM answers WHERE name = 'json') AS json_same_text;
-- Charts in the page and alone: series (polylines), interval bands, SRM bars.
SELECT name, (SELECT count(*) FROM regexp_matches(body #>> '{}', '<polyline class="series"', 'g')) AS series,
	   (SELECT count(*) FROM regexp_matches(body #>> '{}', '<polygon class="band"', 'g')) AS bands,
	   (SELECT count(*) FROM regexp_matches(body #>> '{}', '<rect class="(observed|expected)"', 'g')) AS bars,
	   (SELECT count(*) FROM regexp_matches(body #>> '{}', '<svg ', 'g')) AS svgs
FROM answers WHERE name IN ('page', 'lift', 'units', 'srm') ORDER BY name;
-- Every number of the tables equals experiment_results(), cell by cell.
SET experiments.tenant = :'tenant';
CREATE TEMP TABLE cells AS
SELECT replace(replace(replace(replace(replace(r[1], '&#39;', ''''), '&quot;', '"'), '&gt;', '>'), '&lt;', '<'), '&amp;', '&') AS variant,
	   x.field, nullif(x.value, '') AS value
FROM answers a,
	 regexp_matches(a.body #>> '{}', '<tr data-variant="([^"]*?)">(.*?)</tr>', 'g') AS r,
	 regexp_matches(r[2], 'data-field="([a-z_]+)" data-value="([^"]*)"(?: data-lower="([^"]*)" data-upper="([^"]*)")?', 'g') AS f,
	 LATERAL (VALUES (f[1], f[2]), (replace(replace(f[1], 'conversion_rate', 'rate'), '_lift', '') || '_lower', f[3]),
					 (replace(replace(f[1], 'conversion_rate', 'rate'), '_lift', '') || '_upper', f[4])) AS x(field, value)
WHERE a.name = 'page' AND (x.field = f[1] OR f[3] IS NOT NULL);
SELECT c.field, count(*) AS cells,
	   count(*) FILTER (WHERE c.value::float8 IS NOT DISTINCT FROM (to_jsonb(e) ->> c.field)::float8) AS equal,
	   count(*) FILTER (WHERE c.value IS NULL) AS empty
FROM cells c
JOIN experiments.experiment_results(:exp) e ON e.variant = c.variant AND e.kind = 'goal'
GROUP BY c.field ORDER BY c.field;
-- The verdict: results_report()'s sentence for the treatment, escaped.
SELECT position(replace(replace(replace(replace(replace(experiments_internal.results_verdict(e.variant, 'control', e.metric || ' (conversion rate)',
			e.rate_verdict, e.rate_relative_lift, e.rate_relative_lower, e.rate_relative_upper,
			e.rate_adjusted_p_value, e.rate_interval_confidence),
			'&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;') IN a.body #>> '{}') > 0 AS verdict_shown,
	   e.rate_verdict, e.rate_p_value < 0.05 AS significant_before_correction
FROM answers a, experiments.experiment_results(:exp) e WHERE a.name = 'page' AND e.kind = 'goal' AND e.ordinal = 1;
-- The lift chart's last day is the whole experiment: the same comparison on
-- the same cumulative counts as experiment_results().
SELECT s.day, s.units = e.units AS units_equal, s.converting_units = e.converting_units AS converting_equal,
	   s.relative_lift = e.rate_relative_lift AS lift_equal, s.relative_lower = e.rate_relative_lower AS lower_equal,
	   s.relative_upper = e.rate_relative_upper AS upper_equal
FROM experiments_internal.results_series(:exp) s
JOIN experiments.experiment_results(:exp) e ON e.kind = s.kind AND e.ordinal = s.ordinal
WHERE s.kind = 'goal' AND s.ordinal = 1 ORDER BY s.day DESC LIMIT 1;
-- Per day: cumulative units and lift from independent sums of the raw rows
-- (the relative lift of cumulative rates, p1/p0 - 1).
SELECT s.day, s.units, g.units AS expected_units, s.converting_units, g.converting AS expected_converting,
	   abs(s.relative_lift - g.lift) < 1e-12 AS lift_matches
FROM experiments_internal.results_series(:exp) s
JOIN (SELECT d.day, (SELECT count(*) FROM gen WHERE ordinal = 1 AND (exposed_at AT TIME ZONE 'UTC')::date <= d.day) AS units,
			 (SELECT count(*) FROM gen WHERE ordinal = 1 AND converts AND ((exposed_at + interval '1 hour') AT TIME ZONE 'UTC')::date <= d.day) AS converting,
			 ((SELECT count(*) FILTER (WHERE converts AND ((exposed_at + interval '1 hour') AT TIME ZONE 'UTC')::date <= d.day)::float8
					  / count(*) FILTER (WHERE (exposed_at AT TIME ZONE 'UTC')::date <= d.day) FROM gen WHERE ordinal = 1)
			  / (SELECT count(*) FILTER (WHERE converts AND ((exposed_at + interval '1 hour') AT TIME ZONE 'UTC')::date <= d.day)::float8
					  / count(*) FILTER (WHERE (exposed_at AT TIME ZONE 'UTC')::date <= d.day) FROM gen WHERE ordinal = 0)) - 1 AS lift
	  FROM generate_series(date '2026-04-01', date '2026-04-03', '1 day') d(day)) g ON g.day = s.day
WHERE s.kind = 'goal' AND s.ordinal = 1 ORDER BY s.day;
RESET experiments.tenant;
-- A client key may not read the page (403, the API's {status, message}).
SELECT status, body ->> 'code' AS code, body ->> 'message' AS message
FROM pg_temp.http('GET', '/rpc/results_page?experiment=nope', jsonb_build_object('x-api-key', :'client', 'accept', 'text/html'));
SELECT status, body ->> 'code' AS code
FROM pg_temp.http('GET', '/rpc/results_chart?experiment=nope&chart=srm', jsonb_build_object('x-api-key', :'client', 'accept', 'image/svg+xml'));
-- daily_metrics() keeps the rows of its last call for a call that sees the
-- same rows (src/results/results.c): never across a change of what is
-- visible (a write in the transaction, a rolled-back savepoint or exception
-- block), of the tenant, or of the user.
SET experiments.tenant = :'tenant';
CREATE TEMP VIEW exposed AS
SELECT coalesce(sum(units), 0) AS units FROM experiments.daily_metrics(:exp, '-infinity', 'infinity') WHERE kind = 'exposures';
BEGIN;
SELECT units AS before FROM exposed;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
VALUES (:exp, 0, 'user_id', 'late-1', '2026-04-02', true, true, false, false, false, false);
SELECT units AS after_insert FROM exposed;
SAVEPOINT s;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
VALUES (:exp, 0, 'user_id', 'late-2', '2026-04-02', true, true, false, false, false, false);
SELECT units AS in_savepoint FROM exposed;
ROLLBACK TO SAVEPOINT s;
SELECT units AS after_rollback FROM exposed;
DO $$
BEGIN
	INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
		assigned, eligible, overridden, full_on, custom, audience_mismatch)
	SELECT experiment_id, 0, 'user_id', 'late-3', '2026-04-02', true, true, false, false, false, false
	FROM experiments.exposures WHERE unit = 'late-1';
	RAISE NOTICE 'in the block: % units', (SELECT units FROM exposed);
	RAISE EXCEPTION 'undo' USING ERRCODE = 'data_exception';
EXCEPTION WHEN data_exception THEN
	RAISE NOTICE 'after the block: % units', (SELECT units FROM exposed);
END $$;
-- Under row-level security, as an analyst: another tenant sees nothing.
SET LOCAL ROLE experiments_analyst;
SELECT coalesce(sum(units), 0) AS as_analyst FROM experiments.daily_metrics(:exp, '-infinity', 'infinity') WHERE kind = 'exposures';
RESET ROLE;
SET LOCAL experiments.tenant = :'other_tenant';
SET LOCAL ROLE experiments_analyst;
SELECT coalesce(sum(units), 0) AS other_tenant FROM experiments.daily_metrics(:exp, '-infinity', 'infinity') WHERE kind = 'exposures';
RESET ROLE;
SET LOCAL experiments.tenant = :'tenant';
SET LOCAL ROLE experiments_analyst;
SELECT coalesce(sum(units), 0) AS same_tenant_again FROM experiments.daily_metrics(:exp, '-infinity', 'infinity') WHERE kind = 'exposures';
ROLLBACK;
RESET experiments.tenant;
