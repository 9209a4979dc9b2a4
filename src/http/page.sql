-- experiments: the results page. One experiment's results as a
-- self-contained HTML page (inline CSS and SVG, no script, nothing from the
-- network) and its charts as SVG, served by PostgREST through media type
-- handlers: a function whose return type is a domain named after a media type
-- answers requests that accept that type (docs/http-api.md, "Pages and
-- charts").
--
-- Every number comes from experiments.experiment_results(); the daily series
-- behind the charts come from daily_metrics(), and the cumulative relative
-- lift of each day from experiments_internal.comparison(), the comparison
-- experiment_results() uses for its rate interval (by the experiment's
-- method), on the day's cumulative counts. Every text from data is escaped
-- (html_escape()).

CREATE DOMAIN experiments_api."text/html" AS text;
COMMENT ON DOMAIN experiments_api."text/html" IS
'PostgREST''s media type handler for text/html: a function returning it answers requests that accept text/html with its text as the body.';
CREATE DOMAIN experiments_api."image/svg+xml" AS text;
COMMENT ON DOMAIN experiments_api."image/svg+xml" IS
'PostgREST''s media type handler for image/svg+xml: a function returning it answers requests that accept image/svg+xml with its text as the body.';

-- Names of experiments, variants and goals are data: escaped for HTML
-- text, attribute values and SVG (XML) alike.
CREATE FUNCTION experiments_internal.html_escape(value text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT replace(replace(replace(replace(replace(value, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
				   '"', '&quot;'), '''', '&#39;')
$$;
COMMENT ON FUNCTION experiments_internal.html_escape(text) IS
'The text with & < > " and '' replaced by their character references: safe in HTML text, HTML attribute values and SVG.';

-- The per-day series of every chart from one read of the events.
CREATE FUNCTION experiments_internal.results_series(experiment_id bigint, confidence float8 DEFAULT NULL)
RETURNS TABLE (kind text, metric text, ordinal integer, variant text, day date,
			   new_units bigint, units bigint, converting_units bigint,
			   relative_lift float8, relative_lower float8, relative_upper float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH cfg AS MATERIALIZED (
	SELECT * FROM experiments_internal.analysis($1, NULL, $2, NULL, NULL)
), m AS MATERIALIZED (
	SELECT * FROM experiments.daily_metrics($1, '-infinity', 'infinity')
), exposed AS (
	SELECT d.day, v.ordinal, v.key, coalesce(m.units, 0)::bigint AS new_units,
		   sum(coalesce(m.units, 0)) OVER (PARTITION BY v.ordinal ORDER BY d.day)::bigint AS units
	FROM (SELECT DISTINCT m.day FROM m) d
	CROSS JOIN experiments.variants v
	LEFT JOIN m ON m.kind = 'exposures' AND m.day = d.day AND m.ordinal = v.ordinal
	WHERE v.experiment_id = $1
), cumulative AS (
	SELECT k.kind, k.metric, e.day, e.ordinal, e.key, e.new_units, e.units,
		   sum(coalesce(c.units, 0)) OVER (PARTITION BY k.kind, k.metric, e.ordinal ORDER BY e.day)::bigint AS converting
	FROM (SELECT DISTINCT m.kind, m.metric FROM m WHERE m.kind <> 'exposures') k
	CROSS JOIN exposed e
	LEFT JOIN m c ON c.kind = k.kind AND c.metric = k.metric AND c.day = e.day AND c.ordinal = e.ordinal
), compared AS (
	SELECT c.*,
		   max(c.converting) FILTER (WHERE c.ordinal = 0) OVER (PARTITION BY c.kind, c.metric, c.day) AS control_converting,
		   max(c.units) FILTER (WHERE c.ordinal = 0) OVER (PARTITION BY c.kind, c.metric, c.day) AS control_units
	FROM cumulative c
)
SELECT 'exposures', NULL, e.ordinal, e.key, e.day, e.new_units, e.units, NULL, NULL, NULL, NULL
FROM exposed e
UNION ALL
SELECT c.kind, c.metric, c.ordinal, c.key, c.day, c.new_units, c.units, c.converting,
	   z.relative_difference, z.relative_lower, z.relative_upper
FROM compared c
CROSS JOIN cfg
LEFT JOIN LATERAL experiments_internal.comparison(cfg.chosen_method, 'rate', c.control_converting, NULL, NULL,
	c.control_units, c.converting, NULL, NULL, c.units, cfg.chosen_confidence, cfg.chosen_tuning_n) z ON c.ordinal <> 0
$$;
COMMENT ON FUNCTION experiments_internal.results_series(bigint, float8) IS
'Daily series of an experiment''s charts, from one daily_metrics() call: per UTC day and variant, units first exposed that day and cumulatively (kind exposures), and per metric the cumulative converting units with, for variants other than the control, the relative rate lift and its interval on the day''s cumulative counts from experiments_internal.comparison() by the experiment''s method (the comparison experiment_results() makes on all of them); confidence NULL is the experiment''s analysis setting.';

-- A line chart: one polyline per series over the days, with the band of its
-- interval when the series has one; percentages or counts on the y axis.
CREATE FUNCTION experiments_internal.svg_line_chart(title text, days date[], series jsonb, percent boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	width CONSTANT float8 := 640;
	height CONSTANT float8 := 260;
	left_edge CONSTANT float8 := 64;
	right_edge CONSTANT float8 := 628;
	top_edge CONSTANT float8 := 30;
	bottom_edge CONSTANT float8 := 210;
	palette CONSTANT text[] := '{#1f6feb,#d9480f,#2f9e44,#9c36b5,#e8590c,#0c8599,#5c940d,#c2255c}';
	n integer := coalesce(array_length(days, 1), 0);
	lo float8;
	hi float8;
	s record;
	color text;
	out text;
BEGIN
	SELECT least(min(v), 0), greatest(max(v), 0) INTO lo, hi
	FROM jsonb_array_elements(series) e,
		 LATERAL (SELECT (x #>> '{}')::float8 FROM jsonb_array_elements(e.value -> 'values') x
				  UNION ALL SELECT (x #>> '{}')::float8 FROM jsonb_array_elements(coalesce(e.value -> 'lower', '[]')) x
				  UNION ALL SELECT (x #>> '{}')::float8 FROM jsonb_array_elements(coalesce(e.value -> 'upper', '[]')) x) AS p(v);
	IF lo IS NULL OR hi <= lo THEN
		lo := coalesce(lo, 0);
		hi := lo + 1;
	END IF;
	out := format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="100%%" role="img" class="chart"><title>%s</title>',
				  width, height, experiments_internal.html_escape(title))
		|| format('<text x="%s" y="18" class="chart-title">%s</text>', left_edge, experiments_internal.html_escape(title))
		|| format('<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>', left_edge, top_edge, left_edge, bottom_edge)
		|| (SELECT string_agg(format('<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/><text class="tick" x="%s" y="%s" text-anchor="end">%s</text>',
									 left_edge, y, right_edge, y, left_edge - 4, y + 4,
									 CASE WHEN percent THEN experiments_internal.format_percent(v, true) ELSE round(v::numeric)::text END), '')
			FROM (SELECT DISTINCT v, round((top_edge + (hi - v) / (hi - lo) * (bottom_edge - top_edge))::numeric, 2) AS y
				  FROM unnest(ARRAY[lo, 0, hi]) v) t)
		|| (SELECT coalesce(string_agg(format('<text class="tick" x="%s" y="%s" text-anchor="%s">%s</text>',
											 round((left_edge + (i - 1) * (right_edge - left_edge) / greatest(n - 1, 1))::numeric, 2),
											 bottom_edge + 16, CASE WHEN i = 1 THEN 'start' WHEN i = n THEN 'end' ELSE 'middle' END,
											 to_char(days[i], 'Mon DD')), ''), '')
			FROM generate_series(1, n) i WHERE i IN (1, n, (n + 1) / 2));
	FOR s IN SELECT e.value AS doc, e.ordinality AS k FROM jsonb_array_elements(series) WITH ORDINALITY e LOOP
		color := palette[1 + (s.k - 1) % array_length(palette, 1)];
		IF s.doc ? 'lower' THEN
			out := out || format('<polygon class="band" data-series="%s" fill="%s" points="%s"/>',
				experiments_internal.html_escape(s.doc ->> 'name'), color,
				(SELECT string_agg(p, ' ' ORDER BY o) FROM (
					SELECT i AS o, format('%s,%s', round((left_edge + (i - 1) * (right_edge - left_edge) / greatest(n - 1, 1))::numeric, 2),
										  round((top_edge + (hi - (s.doc -> 'upper' ->> (i - 1))::float8) / (hi - lo) * (bottom_edge - top_edge))::numeric, 2)) AS p
					FROM generate_series(1, n) i WHERE s.doc -> 'upper' ->> (i - 1) IS NOT NULL AND s.doc -> 'lower' ->> (i - 1) IS NOT NULL
					UNION ALL
					SELECT 2 * n + 1 - i, format('%s,%s', round((left_edge + (i - 1) * (right_edge - left_edge) / greatest(n - 1, 1))::numeric, 2),
												 round((top_edge + (hi - (s.doc -> 'lower' ->> (i - 1))::float8) / (hi - lo) * (bottom_edge - top_edge))::numeric, 2))
					FROM generate_series(1, n) i WHERE s.doc -> 'upper' ->> (i - 1) IS NOT NULL AND s.doc -> 'lower' ->> (i - 1) IS NOT NULL) b));
		END IF;
		out := out || format('<polyline class="series" data-series="%s" stroke="%s" points="%s"/>',
			experiments_internal.html_escape(s.doc ->> 'name'), color,
			(SELECT coalesce(string_agg(format('%s,%s', round((left_edge + (i - 1) * (right_edge - left_edge) / greatest(n - 1, 1))::numeric, 2),
											   round((top_edge + (hi - (s.doc -> 'values' ->> (i - 1))::float8) / (hi - lo) * (bottom_edge - top_edge))::numeric, 2)), ' ' ORDER BY i), '')
			 FROM generate_series(1, n) i WHERE s.doc -> 'values' ->> (i - 1) IS NOT NULL))
			|| format('<rect class="key" x="%s" y="%s" width="10" height="10" fill="%s"/><text class="legend" x="%s" y="%s">%s</text>',
					  left_edge + (s.k - 1) % 4 * 140, height - 20 + (s.k - 1) / 4 * 14 - 9, color,
					  left_edge + (s.k - 1) % 4 * 140 + 14, height - 20 + (s.k - 1) / 4 * 14,
					  experiments_internal.html_escape(s.doc ->> 'name'));
	END LOOP;
	RETURN out || '</svg>';
END;
$$;
COMMENT ON FUNCTION experiments_internal.svg_line_chart(text, date[], jsonb, boolean) IS
'An SVG line chart: the title, a y axis through 0 (percentages when percent, else counts), the first, middle and last days, and per series of [{"name", "values", "lower", "upper"}] (arrays per day, null where undefined) a polyline of class series and, when lower is given, a polygon of class band for the interval; names escaped.';

-- The sample ratio chart: observed against expected share, per variant.
CREATE FUNCTION experiments_internal.svg_srm_chart(title text, variants text[], observed float8[], expected float8[])
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 %s" width="100%%" role="img" class="chart"><title>%s</title><text x="8" y="18" class="chart-title">%s</text>',
				  44 + 44 * cardinality(variants), experiments_internal.html_escape(title), experiments_internal.html_escape(title))
		|| coalesce(string_agg(format('<text class="legend" x="8" y="%s">%s</text>'
									  '<rect class="observed" data-series="%s" x="150" y="%s" width="%s" height="14" fill="#1f6feb"/>'
									  '<text class="tick" x="%s" y="%s">observed %s</text>'
									  '<rect class="expected" data-series="%s" x="150" y="%s" width="%s" height="14" fill="#adb5bd"/>'
									  '<text class="tick" x="%s" y="%s">expected %s</text>',
									  44 + 44 * (i - 1) + 17, experiments_internal.html_escape(variants[i]),
									  experiments_internal.html_escape(variants[i]), 44 + 44 * (i - 1) + 4, round((coalesce(observed[i], 0) * 380)::numeric, 2),
									  156 + round((coalesce(observed[i], 0) * 380)::numeric, 2), 44 + 44 * (i - 1) + 15, experiments_internal.format_percent(observed[i]),
									  experiments_internal.html_escape(variants[i]), 44 + 44 * (i - 1) + 20, round((coalesce(expected[i], 0) * 380)::numeric, 2),
									  156 + round((coalesce(expected[i], 0) * 380)::numeric, 2), 44 + 44 * (i - 1) + 31, experiments_internal.format_percent(expected[i])),
							   '' ORDER BY i), '')
		|| '</svg>'
	FROM generate_subscripts(variants, 1) i
$$;
COMMENT ON FUNCTION experiments_internal.svg_srm_chart(text, text[], float8[], float8[]) IS
'An SVG bar chart of sample ratio: per variant a bar of class observed (its share of units) and one of class expected (its share of the allocation), labelled in percent; names escaped.';

-- A chart of an experiment by name: the one place that turns results and
-- series into SVG, for the page and for results_chart().
CREATE FUNCTION experiments_internal.results_chart_svg(chart text, metric text, results jsonb, series jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE chart
		WHEN 'srm' THEN experiments_internal.svg_srm_chart('Sample ratio: share of units, observed vs allocated',
			array_agg(r ->> 'variant' ORDER BY (r ->> 'ordinal')::integer),
			array_agg((r ->> 'traffic_share')::float8 ORDER BY (r ->> 'ordinal')::integer),
			array_agg((r ->> 'allocation_share')::float8 ORDER BY (r ->> 'ordinal')::integer))
		END
	FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = 'exposures'
	HAVING chart = 'srm'
	UNION ALL
	SELECT experiments_internal.svg_line_chart(
		CASE chart WHEN 'units' THEN 'Units first exposed per variant per day'
			 ELSE 'Cumulative relative lift of ' || metric || ' (conversion rate) vs control' END,
		(SELECT array_agg(DISTINCT (d ->> 'day')::date ORDER BY (d ->> 'day')::date) FROM jsonb_array_elements(series) d),
		coalesce(jsonb_agg(v.doc ORDER BY v.ordinal), '[]'), chart = 'lift')
	FROM (SELECT (d ->> 'ordinal')::integer AS ordinal,
				 jsonb_build_object('name', d ->> 'variant', 'values', jsonb_agg(d -> CASE chart WHEN 'units' THEN 'new_units' ELSE 'relative_lift' END ORDER BY d ->> 'day'))
				 || CASE WHEN chart = 'lift' THEN jsonb_build_object('lower', jsonb_agg(d -> 'relative_lower' ORDER BY d ->> 'day'),
																	 'upper', jsonb_agg(d -> 'relative_upper' ORDER BY d ->> 'day'))
						 ELSE '{}' END AS doc
		  FROM jsonb_array_elements(series) d
		  WHERE CASE chart WHEN 'units' THEN d ->> 'kind' = 'exposures'
				ELSE d ->> 'metric' = metric AND (d ->> 'ordinal')::integer <> 0 END
		  GROUP BY 1, d ->> 'variant') v
	HAVING chart IN ('units', 'lift')
$$;
COMMENT ON FUNCTION experiments_internal.results_chart_svg(text, text, jsonb, jsonb) IS
'One chart of an experiment as SVG from its experiment_results() rows and results_series() rows (JSON arrays): srm (observed vs allocated share), units (units first exposed per variant per day) or lift (cumulative relative rate lift of a metric with its interval, per treatment); NULL for another name.';

-- An unknown experiment is a 404 in the API's {status, message} document.
CREATE FUNCTION experiments_internal.page_experiment_id(experiment text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	RETURN experiments_internal.experiment_id(experiment);
EXCEPTION WHEN no_data_found THEN
	PERFORM experiments_internal.raise_api_error(404, SQLERRM);
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.page_experiment_id(text) IS
'The id of an experiment of the caller''s tenant for the results page and charts; PT404 with {"status", "message"} when there is none.';

CREATE FUNCTION experiments_api.results_chart(experiment text, chart text, metric text DEFAULT NULL)
RETURNS experiments_api."image/svg+xml"
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	id bigint;
	results jsonb;
	series jsonb;
BEGIN
	PERFORM experiments_internal.authorize();
	IF chart IS NULL OR chart NOT IN ('lift', 'units', 'srm') THEN
		PERFORM experiments_internal.raise_api_error(400, format('chart "%s" does not exist: ask for lift, units or srm.', chart));
	END IF;
	id := experiments_internal.page_experiment_id(experiment);
	IF chart = 'srm' THEN
		SELECT jsonb_agg(to_jsonb(r)) INTO results FROM experiments.experiment_results(id) r;
	ELSE
		SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') INTO series FROM experiments_internal.results_series(id) s;
	END IF;
	RETURN experiments_internal.results_chart_svg(chart,
		coalesce(results_chart.metric, (SELECT min(d ->> 'metric') FROM jsonb_array_elements(series) d)), results, series);
END;
$$;
ALTER FUNCTION experiments_api.results_chart(text, text, text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.results_chart(text, text, text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.results_chart(text, text, text) IS
'GET /rpc/results_chart?experiment=KEY&chart=lift|units|srm[&metric=GOAL] with Accept: image/svg+xml: one chart of the results page as SVG (lift: cumulative relative rate lift per day with its interval, of metric or the first metric; units: units first exposed per variant per day; srm: observed vs allocated share). For analysts; 400 for another chart.';

CREATE FUNCTION experiments_internal.metrics_page_html(experiment_id bigint, OUT failing text, OUT tables text)
RETURNS record
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	WITH r AS (
		SELECT r.*, first_value(r.variant) OVER (PARTITION BY r.metric_id ORDER BY r.ordinal) AS control
		FROM experiments.metric_results($1) r WHERE NOT r.implicit
	), m AS (
		SELECT r.metric_id, r.metric, r.role, r.type, min(r.guardrail) FILTER (WHERE r.guardrail = 'fail') AS failed,
			   string_agg(format('<tr data-variant="%s"><th scope="row">%s</th><td data-field="units" data-value="%s">%s</td>'
					'<td data-field="estimate" data-value="%s" data-lower="%s" data-upper="%s">%s <span class="ci">(%s to %s)</span></td>'
					'<td data-field="relative_difference" data-value="%s" data-lower="%s" data-upper="%s">%s</td>'
					'<td data-field="adjusted_p_value" data-value="%s">%s</td><td data-field="verdict">%s</td></tr>',
					experiments_internal.html_escape(r.variant), experiments_internal.html_escape(r.variant), r.units, r.units,
					r.estimate, r.estimate_lower, r.estimate_upper,
					round(r.estimate::numeric, 4), round(r.estimate_lower::numeric, 4), round(r.estimate_upper::numeric, 4),
					r.relative_difference, r.relative_lower, r.relative_upper,
					CASE WHEN r.ordinal = 0 THEN 'control'
						 ELSE experiments_internal.format_percent(r.relative_difference, true) || ' <span class="ci">('
							  || experiments_internal.format_percent(r.relative_lower, true) || ' to '
							  || experiments_internal.format_percent(r.relative_upper, true) || ')</span>' END,
					r.adjusted_p_value, CASE WHEN r.ordinal = 0 THEN '' ELSE experiments_internal.format_p_value(r.adjusted_p_value) END,
					coalesce(r.verdict, '') || CASE WHEN r.guardrail IS NOT NULL THEN '; guardrail ' || r.guardrail ELSE '' END),
				'' ORDER BY r.ordinal) AS rows
		FROM r GROUP BY r.metric_id, r.metric, r.role, r.type
	)
	SELECT (SELECT string_agg(format('<li class="warn">%s</li>', experiments_internal.html_escape(format(
				'Failing guardrail %s: %s %s against %s (%s CI %s to %s), margin %s', r.metric, r.variant,
				experiments_internal.format_percent(r.relative_difference, true), r.control,
				round((r.interval_confidence * 100)::numeric, 2)::float8 || '%',
				experiments_internal.format_percent(r.relative_lower, true), experiments_internal.format_percent(r.relative_upper, true),
				experiments_internal.format_percent(CASE WHEN r.higher_is_better THEN -r.margin ELSE r.margin END, true)))),
				'' ORDER BY r.metric, r.ordinal)
			FROM r WHERE r.guardrail = 'fail'),
		   (SELECT string_agg(format('<section class="metric catalog" data-metric="%s" data-role="%s"><h2>%s <span class="ci">%s, %s%s</span></h2>'
					'<div class="scroll"><table><thead><tr><th>Variant</th><th>Units</th><th>Estimate (95%% CI)</th>'
					'<th>Relative difference (CI corrected for multiple testing)</th><th>p-value (corrected)</th><th>Verdict</th>'
					'</tr></thead><tbody>%s</tbody></table></div></section>',
					experiments_internal.html_escape(m.metric), m.role, experiments_internal.html_escape(m.metric), m.role, m.type,
					CASE WHEN m.failed IS NOT NULL THEN ', <span class="warn">failing guardrail</span>' ELSE '' END, m.rows),
				'' ORDER BY m.role = 'guardrail' DESC, m.role = 'primary' DESC, m.metric_id)
			FROM m)
$$;
COMMENT ON FUNCTION experiments_internal.metrics_page_html(bigint) IS
'The results page''s parts for the metrics attached to an experiment (metric_results(), implicit metrics left out): failing, an HTML list item per guardrail failing its margin in a treatment (the page says them first), and tables, a section per metric (guardrails, then primary, then secondary) with its role and type and per variant the units, estimate with its interval, corrected relative difference with its interval, corrected p-value and verdict; NULLs when nothing is attached.';

-- The analysis arguments of the HTTP functions of results per metric: a
-- correction or method the results do not know is the client's error (400),
-- named in the message; NULL leaves the experiment's setting.
CREATE FUNCTION experiments_internal.check_analysis_arguments(correction text, method text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF correction NOT IN ('holm', 'bh', 'none') THEN
		PERFORM experiments_internal.raise_api_error(400, format('correction "%s" does not exist: ask for holm, bh or none.',
			left(correction, 64)));
	END IF;
	IF method NOT IN ('fixed', 'sequential') THEN
		PERFORM experiments_internal.raise_api_error(400, format('method "%s" does not exist: ask for fixed or sequential.',
			left(method, 64)));
	END IF;
END;
$$;
COMMENT ON FUNCTION experiments_internal.check_analysis_arguments(text, text) IS
'Refuses with the API''s 400 a correction other than holm, bh or none and a method other than fixed or sequential (NULL: the experiment''s analysis setting), for /rpc/metric_results and /rpc/metric_breakdown.';

CREATE FUNCTION experiments_api.metric_results(experiment text, since timestamptz DEFAULT NULL,
	until timestamptz DEFAULT NULL, correction text DEFAULT NULL, method text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments_internal.check_analysis_arguments(correction, method);
	RETURN (SELECT coalesce(jsonb_agg(to_jsonb(r)), '[]')
			FROM experiments.metric_results(experiments_internal.page_experiment_id(experiment), since, until,
											correction => metric_results.correction,
											method => metric_results.method) r);
END;
$$;
ALTER FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text, text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text, text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.metric_results(text, timestamptz, timestamptz, text, text) IS
'GET /rpc/metric_results?experiment=KEY[&since=&until=&correction=holm|bh|none&method=fixed|sequential]: the experiment''s results per metric (experiments.metric_results()) as a JSON array, one object per metric and variant, guardrails first, each saying the method used, by the experiment''s analysis settings (experiment_analysis; correction and method, when given, win). For analysts; 404 for an unknown experiment, 400 for another correction or method.';

CREATE FUNCTION experiments_api.metric_breakdown(experiment text, breakdown text, since timestamptz DEFAULT NULL,
	until timestamptz DEFAULT NULL, correction text DEFAULT NULL, max_slices integer DEFAULT 10,
	method text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM experiments_internal.authorize();
	PERFORM experiments_internal.check_analysis_arguments(correction, method);
	IF breakdown IS NULL OR breakdown = '' THEN
		PERFORM experiments_internal.raise_api_error(400, 'breakdown is required: name the unit attribute to slice by.');
	END IF;
	IF max_slices IS NULL OR max_slices NOT BETWEEN 1 AND 100 THEN
		PERFORM experiments_internal.raise_api_error(400, 'max_slices must be between 1 and 100.');
	END IF;
	RETURN (SELECT coalesce(jsonb_agg(to_jsonb(r)), '[]')
			FROM experiments.metric_breakdown(experiments_internal.page_experiment_id(experiment), breakdown, since, until,
											  correction => metric_breakdown.correction,
											  max_slices => metric_breakdown.max_slices,
											  method => metric_breakdown.method) r);
END;
$$;
ALTER FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer, text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer, text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.metric_breakdown(text, text, timestamptz, timestamptz, text, integer, text) IS
'GET /rpc/metric_breakdown?experiment=KEY&breakdown=ATTRIBUTE[&since=&until=&correction=holm|bh|none&max_slices=10&method=fixed|sequential]: the experiment''s results per metric sliced by a unit attribute (experiments.metric_breakdown()) as a JSON array, one object per slice, metric and variant, corrected across all of them, by the experiment''s analysis settings (experiment_analysis; correction and method, when given, win). For analysts; 404 for an unknown experiment, 400 without a breakdown, for another correction or method, or max_slices outside 1 to 100.';

CREATE FUNCTION experiments_api.results_page(experiment text)
RETURNS experiments_api."text/html"
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	results jsonb;
	series jsonb;
	control text;
	verdicts text := '';
	tables text := '';
	srm text;
	method_line text;
	catalog_failing text;
	catalog_tables text;
BEGIN
	PERFORM experiments_internal.authorize();
	SELECT * INTO x FROM experiments.experiments e WHERE e.id = experiments_internal.page_experiment_id(experiment);
	-- The metrics first: their pass counts the rows experiment_results()
	-- and results_series() then read, in this snapshot (daily_metrics()).
	IF EXISTS (SELECT FROM experiments.experiment_metrics em WHERE em.experiment_id = x.id) THEN
		SELECT h.failing, h.tables INTO catalog_failing, catalog_tables FROM experiments_internal.metrics_page_html(x.id) h;
	END IF;
	SELECT jsonb_agg(to_jsonb(r)) INTO results FROM experiments.experiment_results(x.id) r;
	SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') INTO series FROM experiments_internal.results_series(x.id) s;
	SELECT r ->> 'variant',
		   CASE WHEN (r ->> 'stray_traffic')::boolean THEN 'Sample ratio mismatch: a variant allocated 0% has units. Do not trust these results.'
				WHEN (r ->> 'srm_mismatch')::boolean THEN 'Sample ratio mismatch (' || srm_p || '): the traffic split differs from the allocation. Do not trust these results.'
				WHEN srm_p IS NULL THEN 'The sample ratio cannot be tested yet.'
				ELSE 'The traffic split matches the allocation (' || srm_p || ').' END,
		   CASE r ->> 'method' WHEN 'sequential' THEN 'Sequential tests: always-valid confidence sequences, valid however often these results are read.'
				ELSE 'Fixed-horizon tests: valid at one look decided in advance.' END
	INTO control, srm, method_line
	FROM jsonb_array_elements(results) r
	-- The method's sample ratio test, the sequential one saying so.
	CROSS JOIN LATERAL (SELECT CASE WHEN q.p IS NOT NULL THEN experiments_internal.format_p_value(q.p)
			|| CASE WHEN r ->> 'method' = 'sequential' THEN ', sequential' ELSE '' END END AS srm_p
		FROM (SELECT (r ->> CASE r ->> 'method' WHEN 'sequential' THEN 'srm_sequential_p_value' ELSE 'srm_p_value' END)::float8 AS p) q) t
	WHERE r ->> 'kind' = 'exposures' AND (r ->> 'ordinal')::integer = 0;
	-- Per metric: its verdicts, its table and its lift chart, from its own
	-- rows and series (each metric's, grouped once: a tenant may have
	-- thousands of goals, and a loop over the metrics scanning every row
	-- and appending to the page grew with the square of their number).
	SELECT coalesce(string_agg(g.verdicts, '' ORDER BY g.kind, g.metric), ''),
		   coalesce(string_agg(g.section, '' ORDER BY g.kind, g.metric), '')
	INTO verdicts, tables
	FROM (SELECT m.kind, m.metric,
				 coalesce((
					SELECT string_agg('<li>' || experiments_internal.html_escape(experiments_internal.results_verdict(
								r ->> 'variant', control, m.metric || ' (conversion rate)', r ->> 'rate_verdict',
								(r ->> 'rate_relative_lift')::float8, (r ->> 'rate_relative_lower')::float8,
								(r ->> 'rate_relative_upper')::float8, (r ->> 'rate_adjusted_p_value')::float8,
								(r ->> 'rate_interval_confidence')::float8)) || '</li>',
							'' ORDER BY (r ->> 'ordinal')::integer)
					FROM jsonb_array_elements(m.rows) r
					WHERE (r ->> 'ordinal')::integer <> 0), '') AS verdicts,
				 format('<section class="metric" data-metric="%s"><h2>%s</h2><div class="scroll"><table><thead><tr>'
					'<th>Variant</th><th>Units</th><th>Converting</th><th>Rate (95%% CI)</th><th>Relative lift (CI corrected for multiple testing)</th><th>p-value (uncorrected)</th>%s'
					'</tr></thead><tbody>', experiments_internal.html_escape(m.metric), experiments_internal.html_escape(m.metric),
					CASE WHEN m.kind = 'revenue' THEN '<th>Value per unit</th>' ELSE '' END)
				 || (SELECT string_agg(format('<tr data-variant="%s"><th scope="row">%s</th>'
							'<td data-field="units" data-value="%s">%s</td><td data-field="converting_units" data-value="%s">%s</td>'
							'<td data-field="conversion_rate" data-value="%s" data-lower="%s" data-upper="%s">%s <span class="ci">(%s to %s)</span></td>'
							'<td data-field="rate_relative_lift" data-value="%s" data-lower="%s" data-upper="%s">%s</td>'
							'<td data-field="rate_p_value" data-value="%s">%s</td>%s</tr>',
							experiments_internal.html_escape(r ->> 'variant'), experiments_internal.html_escape(r ->> 'variant'),
							r ->> 'units', r ->> 'units', r ->> 'converting_units', r ->> 'converting_units',
							r ->> 'conversion_rate', r ->> 'rate_lower', r ->> 'rate_upper',
							experiments_internal.format_percent((r ->> 'conversion_rate')::float8),
							experiments_internal.format_percent((r ->> 'rate_lower')::float8),
							experiments_internal.format_percent((r ->> 'rate_upper')::float8),
							r ->> 'rate_relative_lift', r ->> 'rate_relative_lower', r ->> 'rate_relative_upper',
							CASE WHEN (r ->> 'ordinal')::integer = 0 THEN 'control'
								 ELSE experiments_internal.format_percent((r ->> 'rate_relative_lift')::float8, true)
									  || ' <span class="ci">(' || experiments_internal.format_percent((r ->> 'rate_relative_lower')::float8, true)
									  || ' to ' || experiments_internal.format_percent((r ->> 'rate_relative_upper')::float8, true) || ')</span>' END,
							r ->> 'rate_p_value',
							CASE WHEN (r ->> 'ordinal')::integer = 0 THEN '' ELSE experiments_internal.format_p_value((r ->> 'rate_p_value')::float8) END,
							CASE WHEN m.kind = 'revenue' THEN format('<td data-field="value_per_unit" data-value="%s">%s</td>',
								r ->> 'value_per_unit', round((r ->> 'value_per_unit')::numeric, 2)) ELSE '' END),
						'' ORDER BY (r ->> 'ordinal')::integer)
					 FROM jsonb_array_elements(m.rows) r)
				 || '</tbody></table></div><figure class="lift">'
				 -- (the exposures' series give the chart its days)
				 || experiments_internal.results_chart_svg('lift', m.metric, m.rows, coalesce(s.rows, '[]') || e.rows)
				 || '</figure></section>' AS section
		  FROM (SELECT r ->> 'kind' AS kind, r ->> 'metric' AS metric, jsonb_agg(r) AS rows
				FROM jsonb_array_elements(results) r WHERE r ->> 'kind' <> 'exposures' GROUP BY 1, 2) m
		  LEFT JOIN (SELECT d ->> 'kind' AS kind, d ->> 'metric' AS metric, jsonb_agg(d) AS rows
					 FROM jsonb_array_elements(series) d WHERE d ->> 'kind' <> 'exposures' GROUP BY 1, 2) s
			  ON s.kind = m.kind AND s.metric = m.metric
		  CROSS JOIN (SELECT coalesce(jsonb_agg(d), '[]') AS rows
					  FROM jsonb_array_elements(series) d WHERE d ->> 'kind' = 'exposures') e) g;
	RETURN '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
		|| '<meta name="viewport" content="width=device-width, initial-scale=1">'
		|| '<title>Results: ' || experiments_internal.html_escape(x.key) || '</title><style>'
		|| 'body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#212529;background:#f8f9fa}'
		|| 'main{max-width:960px;margin:0 auto;padding:16px}h1{font-size:1.5em;margin:.2em 0;overflow-wrap:anywhere}'
		|| 'h2{font-size:1.15em;margin:1.2em 0 .4em;overflow-wrap:anywhere}section{background:#fff;border-radius:8px;padding:12px 16px;margin:12px 0}'
		|| '.verdict li{margin:.3em 0}.warn{color:#c92a2a;font-weight:600}.scroll{overflow-x:auto}'
		|| 'table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:4px 8px;text-align:right;white-space:nowrap;border-bottom:1px solid #dee2e6}'
		|| 'th:first-child{text-align:left}.ci{color:#868e96;font-size:.9em}figure{margin:12px 0 0}'
		|| 'svg.chart{display:block;max-width:100%;height:auto}.chart-title{font-weight:600;font-size:13px}'
		|| '.tick,.legend{font-size:11px;fill:#495057}.axis{stroke:#495057}.grid{stroke:#e9ecef}'
		|| '.series{fill:none;stroke-width:2}.band{opacity:.18}'
		|| '@media (max-width:600px){main{padding:8px}section{padding:8px}th,td{padding:3px 4px;font-size:13px}}'
		|| '</style></head><body><main>'
		|| format('<h1>Experiment %s</h1><p>%s, %s units exposed.</p>', experiments_internal.html_escape(x.key), x.state,
				  (SELECT coalesce(sum((r ->> 'units')::bigint), 0) FROM jsonb_array_elements(results) r WHERE r ->> 'kind' = 'exposures'))
		|| '<section class="verdict"><h2>Verdict</h2><p class="srm' || CASE WHEN srm LIKE 'Sample ratio mismatch%' THEN ' warn' ELSE '' END || '">'
		|| experiments_internal.html_escape(srm) || '</p><p class="method">' || method_line || '</p><ul>' || coalesce(catalog_failing, '') || verdicts || '</ul></section>'
		|| coalesce(catalog_tables, '') || tables
		|| '<section class="units"><h2>Units per variant per day</h2><figure>'
		|| experiments_internal.results_chart_svg('units', NULL, results, series) || '</figure></section>'
		|| '<section class="srm-chart"><h2>Sample ratio</h2><figure>'
		|| experiments_internal.results_chart_svg('srm', NULL, results, series) || '</figure></section>'
		|| '</main></body></html>';
END;
$$;
ALTER FUNCTION experiments_api.results_page(text) OWNER TO experiments_api_owner;
GRANT EXECUTE ON FUNCTION experiments_api.results_page(text) TO experiments_analyst;
COMMENT ON FUNCTION experiments_api.results_page(text) IS
'GET /rpc/results_page?experiment=KEY with Accept: text/html: the experiment''s results as a self-contained page (inline CSS and SVG, no script): the verdict in words (sample ratio by the method''s test, the method of the experiment''s analysis settings, then each treatment against the control per metric), a table per metric (units, rate with its interval, relative lift with its interval, p-value, from experiment_results()), the cumulative relative lift per day with its interval, units per variant per day and the sample ratio chart; with metrics attached to the experiment, its failing guardrails first in the verdict and a table per attached metric (experiments_internal.metrics_page_html()). For analysts.';
