-- experiments: results. What the events mean: exposures per variant, goal
-- conversions and values, revenue, lift against the control with its
-- significance, sample ratio mismatch, daily series and a text report.
--
-- One pass: daily_metrics(), in C (src/results/results.c), reads an experiment's
-- exposures once into a hash table of its units (the variant of each unit's
-- first exposure), then the goals and transactions of those units at or
-- after that first exposure, and sums per metric, variant and day.
-- Everything else aggregates its rows. Time windows are parameters, so the
-- partitions outside the window are never read (sql/results_pruning.sql).
-- The views apply the functions to every started experiment of the caller's
-- tenant; with security_invoker they read the tables as the caller, under
-- row-level security (and name the tenant explicitly, so that administrators,
-- whom row-level security does not restrict, see one tenant too).

CREATE FUNCTION experiments.daily_metrics(experiment_id bigint, since timestamptz, until timestamptz)
RETURNS TABLE (kind text, metric text, ordinal integer, day date, units bigint,
			   value_sum float8, value_square_sum float8, first_at timestamptz, last_at timestamptz)
AS 'MODULE_PATHNAME', 'daily_metrics'
LANGUAGE C STABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
-- its queries' rows go straight to C: compiling them costs more than it saves
SET jit = off;
COMMENT ON FUNCTION experiments.daily_metrics(bigint, timestamptz, timestamptz) IS
'The building block of results, and the one function that reads event tables. Per UTC day: units first exposed to the experiment in [since, until) (kind exposures, in the variant of their first exposure, with first and last exposure), and units reaching a goal (kind goal) or with transactions (kind revenue, metric revenue) at or after their first exposure and before until, by day of the first such event with the sum of squares of each unit''s total of the goal property "value" or of the revenue in cents, and the sum of those values by day of their event (a row with 0 units for a day with values only). Memory is bounded by work_mem times hash_mem_multiplier: past it, units spill to temporary files.';

CREATE FUNCTION experiments_internal.comparison_verdict(sufficient boolean, adjusted_p_value float8,
	alpha float8, difference float8)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	-- The interval excludes 0 exactly when the adjusted p-value is below
	-- alpha, and holds the difference, so the difference's sign is the
	-- interval's side.
	SELECT CASE WHEN sufficient IS NULL OR difference IS NULL THEN NULL
				WHEN NOT sufficient THEN 'insufficient sample'
				WHEN adjusted_p_value IS NULL OR adjusted_p_value >= alpha THEN 'inconclusive'
				WHEN difference > 0 THEN 'beats'
				ELSE 'loses to' END
$$;
COMMENT ON FUNCTION experiments_internal.comparison_verdict(boolean, float8, float8, float8) IS
'The verdict of one comparison of experiment_results(): NULL without a comparison (control rows, kind exposures, no difference), insufficient sample when the minimum-sample rule fails, inconclusive when the adjusted p-value is NULL or not below alpha, otherwise beats or loses to by the sign of the difference.';

-- The analysis of each experiment: the method, confidence, multiple-testing
-- correction and tuning that its results use when the caller names none.

CREATE TABLE experiments.experiment_analysis (
	tenant_id uuid NOT NULL DEFAULT experiments_internal.required_tenant(),
	experiment_id bigint PRIMARY KEY,
	method text NOT NULL DEFAULT 'sequential'
		CONSTRAINT experiment_analysis_method_known CHECK (method IN ('fixed', 'sequential')),
	confidence float8 NOT NULL DEFAULT 0.95
		CONSTRAINT experiment_analysis_confidence_range CHECK (confidence > 0 AND confidence < 1),
	correction text NOT NULL DEFAULT 'holm'
		CONSTRAINT experiment_analysis_correction_known CHECK (correction IN ('holm', 'bh', 'none')),
	tuning_n bigint NOT NULL DEFAULT 5000
		CONSTRAINT experiment_analysis_tuning_n_positive CHECK (tuning_n > 0),
	updated_at timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (tenant_id, experiment_id) REFERENCES experiments.experiments (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE experiments.experiment_analysis IS
'How an experiment''s results are analysed when the caller names no method, confidence, correction or tuning_n: the views (results, lift, sample_ratio_mismatch, exposure_summary), results_report(), the results page and metric_results() use it; an argument passed to those functions wins. Written by experiments.set_analysis(). An experiment without a row is analysed with the column defaults: sequential tests, since its results can be read while it runs.';
COMMENT ON COLUMN experiments.experiment_analysis.tenant_id IS
'The tenant the row belongs to (experiments.tenants.id). Defaults to the tenant of the current transaction; row-level security shows a transaction only its own tenant''s rows.';
COMMENT ON COLUMN experiments.experiment_analysis.experiment_id IS 'The experiment (experiments.experiments.id).';
COMMENT ON COLUMN experiments.experiment_analysis.method IS
'sequential (the default: always-valid confidence sequences, valid however often the results are read while the experiment runs) or fixed (fixed-horizon tests, valid at one look decided in advance, for an operator who reads the results once at a planned end).';
COMMENT ON COLUMN experiments.experiment_analysis.confidence IS
'The confidence level of the intervals, between 0 and 1 exclusive (default 0.95); 1 - confidence is the alpha of the verdicts.';
COMMENT ON COLUMN experiments.experiment_analysis.correction IS
'The multiple-testing correction across the experiment''s comparisons: holm (the default), bh (Benjamini-Hochberg) or none.';
COMMENT ON COLUMN experiments.experiment_analysis.tuning_n IS
'The number of units (both arms) at which the sequential method''s intervals are narrowest (default 5000); unused by the fixed method.';
COMMENT ON COLUMN experiments.experiment_analysis.updated_at IS 'When the settings were last written.';
ALTER TABLE experiments.experiment_analysis ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments.experiment_analysis FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON experiments.experiment_analysis
	USING (tenant_id = (SELECT experiments.current_tenant()))
	WITH CHECK (tenant_id = (SELECT experiments.current_tenant()));
COMMENT ON POLICY tenant_isolation ON experiments.experiment_analysis IS
'Row-level security: a row of this table is seen and written only in a transaction whose tenant (experiments.current_tenant(), set by authentication) is the row''s tenant_id.';
SELECT pg_catalog.pg_extension_config_dump('experiments.experiment_analysis', '');

-- One place decides what a results function analyses with: its arguments
-- where given, else the experiment's settings, else the table's defaults.
CREATE FUNCTION experiments_internal.analysis(experiment_id bigint, method text, confidence float8,
	correction text, tuning_n bigint, OUT chosen_method text, OUT chosen_confidence float8,
	OUT chosen_correction text, OUT chosen_tuning_n bigint)
RETURNS record
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT experiments_internal.results_method(coalesce($2, a.method, 'sequential')),
		   coalesce($3, a.confidence, 0.95), coalesce($4, a.correction, 'holm'), coalesce($5, a.tuning_n, 5000)
	FROM (SELECT) one
	LEFT JOIN experiments.experiment_analysis a ON a.experiment_id = $1
$$;
COMMENT ON FUNCTION experiments_internal.analysis(bigint, text, float8, text, bigint) IS
'The method (checked), confidence, correction and tuning_n a results function uses for an experiment: each argument that is not NULL, otherwise the experiment''s experiment_analysis row, otherwise that table''s column defaults (sequential, 0.95, holm, 5000).';

CREATE FUNCTION experiments.set_analysis(experiment text, method text DEFAULT NULL, confidence float8 DEFAULT NULL,
	correction text DEFAULT NULL, tuning_n bigint DEFAULT NULL)
RETURNS experiments.experiment_analysis
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	exp_id bigint := experiments_internal.locked_experiment_id(experiment);
	chosen experiments.experiment_analysis;
BEGIN
	INSERT INTO experiments.experiment_analysis (experiment_id) VALUES (exp_id) ON CONFLICT DO NOTHING;
	SELECT a.* INTO chosen FROM experiments.experiment_analysis a WHERE a.experiment_id = exp_id FOR UPDATE;
	chosen.method := coalesce(set_analysis.method, chosen.method);
	chosen.confidence := coalesce(set_analysis.confidence, chosen.confidence);
	chosen.correction := coalesce(set_analysis.correction, chosen.correction);
	chosen.tuning_n := coalesce(set_analysis.tuning_n, chosen.tuning_n);
	-- The checks of the functions that will use the values, so that a bad
	-- value is refused now with their errors rather than at every read.
	PERFORM experiments_internal.results_method(chosen.method),
			experiments.multiple_testing('{}', chosen.correction, chosen.confidence),
			experiments.sequential_interval(0, 1, 1, chosen.confidence, chosen.tuning_n);
	UPDATE experiments.experiment_analysis a
	SET method = chosen.method, confidence = chosen.confidence, correction = chosen.correction,
		tuning_n = chosen.tuning_n, updated_at = now()
	WHERE a.experiment_id = exp_id
	RETURNING a.* INTO chosen;
	RETURN chosen;
END;
$$;
REVOKE ALL ON FUNCTION experiments.set_analysis(text, text, float8, text, bigint) FROM PUBLIC;
COMMENT ON FUNCTION experiments.set_analysis(text, text, float8, text, bigint) IS
'Administrators: sets how an experiment''s results are analysed when the caller names nothing (experiments.experiment_analysis): method fixed or sequential, confidence, correction (holm, bh or none) and tuning_n; a NULL argument keeps the current value (the default for an experiment without settings). A bad value is refused with SQLSTATE 22023 (method, correction, tuning_n) or 22003 (confidence).';

CREATE FUNCTION experiments_internal.comparison(method text, test text,
	control_successes bigint, control_mean float8, control_variance float8, control_count bigint,
	treatment_successes bigint, treatment_mean float8, treatment_variance float8, treatment_count bigint,
	confidence float8, tuning_n bigint,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT p_value float8, OUT relative_note text)
RETURNS record
-- in C: a SQL function called from another's query (metric_comparison()) is
-- parsed and planned again at every call
AS 'MODULE_PATHNAME', 'comparison'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION experiments_internal.comparison(text, text, bigint, float8, float8, bigint, bigint, float8, float8, bigint, float8, bigint) IS
'One comparison of a treatment with the control at a confidence level by the method''s test: test rate compares the successes of count units, test value means with their sample variances; method fixed by two_proportion_test (rate) or welch_test (value), method sequential by sequential_test tuned at tuning_n (a rate as the mean of a 0/1 indicator, successes / count, with its sample variance successes (count - successes) / (count (count - 1))); NULLs where that test gives NULLs or an argument it needs is NULL, and for a method or test it does not know.';

CREATE FUNCTION experiments.experiment_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT NULL,
	min_units bigint DEFAULT 100, correction text DEFAULT NULL, method text DEFAULT NULL,
	tuning_n bigint DEFAULT NULL)
RETURNS TABLE (
	experiment_id bigint, ordinal integer, variant text, kind text, metric text,
	units bigint, traffic_share float8, allocation_share float8,
	first_exposed_at timestamptz, last_exposed_at timestamptz,
	converting_units bigint, conversion_rate float8, rate_lower float8, rate_upper float8,
	value_sum float8, value_per_unit float8,
	rate_lift float8, rate_lift_lower float8, rate_lift_upper float8,
	rate_relative_lift float8, rate_relative_lower float8, rate_relative_upper float8, rate_p_value float8,
	value_lift float8, value_lift_lower float8, value_lift_upper float8,
	value_relative_lift float8, value_relative_lower float8, value_relative_upper float8, value_p_value float8,
	srm_chi_square float8, srm_p_value float8, srm_mismatch boolean, stray_traffic boolean,
	rate_relative_note text, value_relative_note text,
	rate_adjusted_p_value float8, value_adjusted_p_value float8,
	rate_interval_confidence float8, value_interval_confidence float8,
	p_value_correction text, sample_sufficient boolean, rate_verdict text, value_verdict text,
	rate_chance_to_beat float8, rate_expected_loss float8, value_chance_to_beat float8, value_expected_loss float8,
	method text, srm_log_bayes_factor float8, srm_sequential_p_value float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH cfg AS MATERIALIZED (
	SELECT a.chosen_method AS method, a.chosen_confidence AS confidence, a.chosen_correction AS correction,
		   a.chosen_tuning_n AS tuning_n
	FROM experiments_internal.analysis($1, $7, $4, $6, $8) a
), m AS MATERIALIZED (
	SELECT * FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity'))
), variant_units AS (
	SELECT v.ordinal, v.key, v.allocation_bp, coalesce(sum(m.units), 0)::bigint AS units,
		   min(m.first_at) AS first_at, max(m.last_at) AS last_at
	FROM experiments.variants v
	LEFT JOIN m ON m.kind = 'exposures' AND m.ordinal = v.ordinal
	WHERE v.experiment_id = $1
	GROUP BY v.ordinal, v.key, v.allocation_bp
), totals AS (
	SELECT sum(units) AS units, sum(allocation_bp) AS allocation,
		   array_agg(units ORDER BY ordinal) AS observed,
		   array_agg(allocation_bp::float8 ORDER BY ordinal) AS allocations,
		   coalesce(bool_or(allocation_bp = 0 AND units > 0), false) AS stray
	FROM variant_units
), srm AS (
	-- Both tests of the sample ratio; srm_mismatch follows the method's.
	SELECT s.chi_square, s.p_value, q.log_bayes_factor, q.p_value AS sequential_p_value, t.stray,
		   CASE WHEN cfg.method = 'sequential' THEN q.p_value ELSE s.p_value END < 0.001 OR t.stray AS mismatch
	FROM totals t
	CROSS JOIN cfg
	CROSS JOIN LATERAL experiments.srm_test(CASE WHEN t.allocation > 0 THEN t.observed END, t.allocations) s
	CROSS JOIN LATERAL experiments.sequential_srm_test(CASE WHEN t.allocation > 0 THEN t.observed END,
													   t.allocations) q
), metrics AS (
	SELECT m.kind, m.metric, m.ordinal, sum(m.units)::bigint AS converting, sum(m.value_sum) AS s1,
		   sum(m.value_square_sum) AS s2
	FROM m WHERE m.kind <> 'exposures'
	GROUP BY m.kind, m.metric, m.ordinal
), keys AS (
	SELECT 'exposures' AS kind, NULL::text AS metric
	UNION ALL
	SELECT DISTINCT metrics.kind, metrics.metric FROM metrics
), cells AS (
	-- Every variant for every metric; per-unit values average over all
	-- exposed units, with 0 for units without the goal.
	SELECT k.kind, k.metric, vu.ordinal, vu.key, vu.units, vu.allocation_bp, vu.first_at, vu.last_at,
		   CASE WHEN k.kind <> 'exposures' THEN coalesce(mt.converting, 0) END AS converting,
		   CASE WHEN bool_or(mt.s1 IS NOT NULL) OVER (PARTITION BY k.kind, k.metric)
				THEN coalesce(mt.s1, 0) END AS s1,
		   coalesce(mt.s2, 0) AS s2
	FROM keys k CROSS JOIN variant_units vu
	LEFT JOIN metrics mt ON mt.kind = k.kind AND mt.metric = k.metric AND mt.ordinal = vu.ordinal
), stats AS (
	SELECT c.*, c.s1 / nullif(c.units, 0) AS mean,
		   CASE WHEN c.units > 1 THEN greatest((c.s2 - c.s1 * c.s1 / c.units) / (c.units - 1), 0) END AS variance
	FROM cells c
), pairs AS (
	-- Each variant beside its control, and the minimum-sample rule: both arms
	-- have min_units units; for rates also at least 5 conversions and 5
	-- non-conversions expected in each arm under no difference.
	SELECT s.*, c.converting AS c_converting, c.units AS c_units, c.mean AS c_mean, c.variance AS c_variance,
		   CASE WHEN s.ordinal <> 0 AND s.kind <> 'exposures'
				THEN s.units >= $5 AND c.units >= $5 END AS sufficient,
		   CASE WHEN s.ordinal <> 0 AND s.kind <> 'exposures'
				THEN least(s.units, c.units) * least(s.converting + c.converting,
						s.units + c.units - s.converting - c.converting)::float8
					 >= 5 * nullif(s.units + c.units, 0) END AS rate_expected_ok
	FROM stats s
	-- (metric is NULL only for kind exposures; coalesce makes the key one
	-- a hash join takes, where IS NOT DISTINCT FROM compared every goal's
	-- row with every other's)
	LEFT JOIN stats c ON c.kind = s.kind AND coalesce(c.metric, '') = coalesce(s.metric, '') AND c.ordinal = 0
), tests AS (
	-- The family corrected for multiple testing: every comparison of the
	-- experiment with a p-value and a sufficient sample, rates and values,
	-- by the method's tests (the sequential p-values are valid at every look,
	-- so their correction is too).
	SELECT row_number() OVER (ORDER BY p.kind, p.metric, p.ordinal, t.test) AS member,
		   p.kind, p.metric, p.ordinal, t.test,
		   CASE WHEN p.sufficient AND (t.test = 'value' OR p.rate_expected_ok) THEN c.p_value END AS p_value
	FROM pairs p
	CROSS JOIN cfg
	CROSS JOIN LATERAL (VALUES ('rate', p.c_converting, NULL, NULL, p.converting, NULL, NULL),
							   ('value', NULL, p.c_mean, p.c_variance, NULL, p.mean, p.variance))
		AS t(test, c_successes, c_mean, c_variance, successes, mean, variance)
	CROSS JOIN LATERAL experiments_internal.comparison(cfg.method, t.test, t.c_successes, t.c_mean, t.c_variance,
		p.c_units, t.successes, t.mean, t.variance, p.units, cfg.confidence, cfg.tuning_n) c
	WHERE p.sufficient IS NOT NULL
), corrected AS (
	SELECT tests.kind, tests.metric, tests.ordinal, tests.test, u.adjusted, u.level
	FROM (SELECT (experiments.multiple_testing(coalesce(array_agg(tests.p_value ORDER BY tests.member), '{}'),
											   (SELECT cfg.correction FROM cfg), (SELECT cfg.confidence FROM cfg))).*
		  FROM tests) f
	CROSS JOIN LATERAL unnest(f.adjusted_p_values, f.confidences) WITH ORDINALITY AS u(adjusted, level, member)
	JOIN tests ON tests.member = u.member
)
SELECT $1, p.ordinal, p.key, p.kind, p.metric,
	   p.units, p.units / nullif(t.units, 0)::float8, p.allocation_bp / nullif(t.allocation, 0)::float8,
	   p.first_at, p.last_at,
	   p.converting, p.converting / nullif(p.units, 0)::float8, w.lower, w.upper,
	   p.s1, p.mean,
	   z.difference, z.difference_lower, z.difference_upper,
	   z.relative_difference, z.relative_lower, z.relative_upper, z.p_value,
	   welch.difference, welch.difference_lower, welch.difference_upper,
	   welch.relative_difference, welch.relative_lower, welch.relative_upper, welch.p_value,
	   srm.chi_square, srm.p_value, srm.mismatch, srm.stray,
	   z.relative_note, welch.relative_note,
	   rc.adjusted, vc.adjusted,
	   CASE WHEN z.difference IS NOT NULL THEN coalesce(rc.level, cfg.confidence) END,
	   CASE WHEN welch.difference IS NOT NULL THEN coalesce(vc.level, cfg.confidence) END,
	   CASE WHEN p.sufficient IS NOT NULL THEN cfg.correction END,
	   p.sufficient,
	   experiments_internal.comparison_verdict(p.sufficient AND coalesce(p.rate_expected_ok, false), rc.adjusted,
											   1 - cfg.confidence, z.difference),
	   experiments_internal.comparison_verdict(p.sufficient, vc.adjusted, 1 - cfg.confidence, welch.difference),
	   br.chance_to_beat, br.expected_loss, bm.chance_to_beat, bm.expected_loss,
	   cfg.method, srm.log_bayes_factor, srm.sequential_p_value
FROM pairs p
CROSS JOIN cfg
CROSS JOIN totals t
CROSS JOIN srm
-- (the corrected comparisons are goals', whose metric is never NULL)
LEFT JOIN corrected rc ON rc.kind = p.kind AND rc.metric = p.metric AND rc.ordinal = p.ordinal AND rc.test = 'rate'
LEFT JOIN corrected vc ON vc.kind = p.kind AND vc.metric = p.metric AND vc.ordinal = p.ordinal AND vc.test = 'value'
CROSS JOIN LATERAL experiments.wilson_interval(p.converting, p.units, cfg.confidence) w
-- The comparisons at their corrected levels, by the method's test.
LEFT JOIN LATERAL experiments_internal.comparison(cfg.method, 'rate', p.c_converting, NULL, NULL, p.c_units,
	p.converting, NULL, NULL, p.units, coalesce(rc.level, cfg.confidence), cfg.tuning_n) z
	ON p.ordinal <> 0
LEFT JOIN LATERAL experiments_internal.comparison(cfg.method, 'value', NULL, p.c_mean, p.c_variance,
	p.c_units, NULL, p.mean, p.variance, p.units, coalesce(vc.level, cfg.confidence), cfg.tuning_n) welch
	ON p.ordinal <> 0
CROSS JOIN LATERAL experiments.bayesian_rates(
	CASE WHEN p.ordinal <> 0 THEN p.c_converting END, p.c_units, p.converting, p.units) br
CROSS JOIN LATERAL experiments.bayesian_means(
	CASE WHEN p.ordinal <> 0 THEN p.c_mean END, p.c_variance, p.c_units, p.mean, p.variance, p.units) bm
ORDER BY p.kind = 'exposures' DESC, p.kind, p.metric, p.ordinal
$$;
COMMENT ON FUNCTION experiments.experiment_results(bigint, timestamptz, timestamptz, float8, bigint, text, text, bigint) IS
'Full results of one experiment over exposures in [since, until) (NULL: unbounded), one row per variant and metric. kind exposures: units (first exposure counts once), traffic vs allocation share, first and last exposure. kind goal (per goal) and revenue (transactions): converting units, rate with Wilson interval, value sum and per exposed unit; for variants other than the control (ordinal 0), rate lift by the Miettinen-Nurminen score test with its score intervals, value lift by Welch''s t-test with its interval of the difference and Fieller''s interval of the ratio, absolute and relative, p-values from the same tests. A verdict needs min_units units in both arms (and, for rates, 5 expected conversions and non-conversions in each); the comparisons with a verdict form the family corrected for multiple testing by correction (holm, bh or none): adjusted p-values, intervals at the matching confidence, and verdicts (beats, loses to, inconclusive, insufficient sample) from the adjusted p-values. Bayesian results beside them: chance to beat the control and expected loss (beta-binomial with Beta(1, 1) priors for rates, normal approximation for values). Every row carries the experiment''s sample ratio mismatch tests: chi-square against the configured allocation and the sequential Dirichlet-multinomial test (sequential_srm_test, concentration 100), flagged at p < 0.001 by the method''s test or when a variant allocated 0 has units (stray_traffic). method fixed uses the fixed-horizon tests above, valid at one look decided in advance; method sequential compares rates (as means of a 0/1 indicator) and values by sequential_test instead (experiments_internal.comparison()), always-valid confidence sequences tuned to be narrowest at tuning_n units, valid however often the results are read; the method column says which was used. confidence, correction, method and tuning_n left NULL come from the experiment''s experiment_analysis settings (set_analysis()), by default 0.95, holm, sequential and 5000.';

CREATE FUNCTION experiments.daily_results(experiment_id bigint,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE (day date, experiment_id bigint, ordinal integer, variant text, kind text, metric text,
			   new_units bigint, cumulative_units bigint,
			   new_converting_units bigint, cumulative_converting_units bigint,
			   cumulative_rate float8, value_sum float8)
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
WITH daily AS MATERIALIZED (
	SELECT m.day, m.kind, m.metric, m.ordinal, m.units AS n, m.value_sum AS v
	FROM experiments.daily_metrics($1, coalesce($2, '-infinity'), coalesce($3, 'infinity')) m
), grid AS (
	SELECT d.day, k.kind, k.metric, v.ordinal, v.key
	FROM (SELECT DISTINCT daily.day FROM daily) d
	CROSS JOIN (SELECT DISTINCT daily.kind, daily.metric FROM daily) k
	CROSS JOIN experiments.variants v
	WHERE v.experiment_id = $1
)
SELECT g.day, $1, g.ordinal, g.key, g.kind, g.metric,
	   coalesce(e.n, 0), sum(coalesce(e.n, 0)) OVER w,
	   CASE WHEN g.kind <> 'exposures' THEN coalesce(c.n, 0) END,
	   CASE WHEN g.kind <> 'exposures' THEN sum(coalesce(c.n, 0)) OVER w END,
	   CASE WHEN g.kind <> 'exposures' THEN sum(coalesce(c.n, 0)) OVER w / nullif(sum(coalesce(e.n, 0)) OVER w, 0)::float8 END,
	   CASE WHEN g.kind <> 'exposures' THEN c.v END
FROM grid g
LEFT JOIN daily e ON e.kind = 'exposures' AND e.day = g.day AND e.ordinal = g.ordinal
-- (c serves goals' rows only, whose metric is never NULL)
LEFT JOIN daily c ON c.kind = g.kind AND c.metric = g.metric AND c.day = g.day AND c.ordinal = g.ordinal
WINDOW w AS (PARTITION BY g.kind, g.metric, g.ordinal ORDER BY g.day)
ORDER BY g.kind = 'exposures' DESC, g.kind, g.metric, g.ordinal, g.day
$$;
COMMENT ON FUNCTION experiments.daily_results(bigint, timestamptz, timestamptz) IS
'Daily series (UTC days) of one experiment, per variant and metric: units first exposed that day and cumulatively, units first converting that day (at or after their exposure) and cumulatively, the cumulative conversion rate, and the day''s value sum.';

-- Views: the functions over every experiment the caller sees.

CREATE VIEW experiments.results WITH (security_invoker = true) AS
SELECT x.key AS experiment, r.*
FROM experiments.experiments x
CROSS JOIN LATERAL experiments.experiment_results(x.id) r
WHERE x.started_at IS NOT NULL AND x.tenant_id = (SELECT experiments.current_tenant());
COMMENT ON VIEW experiments.results IS
'experiment_results() of every started experiment of the caller''s tenant, each by its analysis settings (experiment_analysis: sequential tests unless an operator chose fixed): one row per experiment, variant and metric. Filter on experiment or experiment_id; for a time window or another method call experiment_results() directly.';
COMMENT ON COLUMN experiments.results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.results.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments.results.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments.results.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments.results.first_exposed_at IS 'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments.results.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';
COMMENT ON COLUMN experiments.results.converting_units IS
'Units of the variant that reached the goal (kind goal) or had a transaction (kind revenue) at or after their first exposure; 0 when none, NULL for kind exposures.';
COMMENT ON COLUMN experiments.results.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments.results.rate_lower IS
'Lower bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments.results.rate_upper IS
'Upper bound of the Wilson score interval of conversion_rate at 95% confidence; NULL when conversion_rate is NULL.';
COMMENT ON COLUMN experiments.results.value_sum IS
'Sum over the converting units of each unit''s total of the numeric goal property value (kind goal) or of its revenue in cents (kind revenue), counting events at or after its first exposure. NULL for kind exposures and for a goal none of whose counted events carried a numeric value.';
COMMENT ON COLUMN experiments.results.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments.results.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments.results.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.results.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments.results.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments.results.rate_p_value IS
'Two-sided p-value of the variant''s rate against the control''s by the test whose intervals rate_lift_lower to rate_relative_upper are: the Miettinen-Nurminen score test (the pooled rate under no difference) under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.results.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.results.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.results.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments.results.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments.results.value_p_value IS
'Two-sided p-value of the variant''s value_per_unit against the control''s: Welch''s t-test under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.srm_chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments.results.srm_p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.results.srm_mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments.results.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments.results.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments.results.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.results.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments.results.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.results.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments.results.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments.results.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.results.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.results.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.results.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.results.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.results.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.results.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.results.method IS
'The statistical method of the comparisons, the experiment''s experiment_analysis.method in the views: sequential (always-valid confidence sequences, valid however often the results are read; the default) or fixed (fixed-horizon tests, valid at one look decided in advance; the p-values and intervals the other columns describe); NULL never.';
COMMENT ON COLUMN experiments.results.srm_log_bayes_factor IS
'Log Bayes factor of the sequential sample ratio mismatch test (sequential_srm_test, Dirichlet-multinomial with concentration 100) against the configured allocation, the same on all the experiment''s rows; Infinity when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.results.srm_sequential_p_value IS
'Always-valid p-value of the sequential sample ratio mismatch test, min(1, 1 / Bayes factor), valid however often it is read; srm_mismatch uses it under method sequential; 0 when stray_traffic; NULL when srm_log_bayes_factor is NULL.';

CREATE VIEW experiments.exposure_summary WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.ordinal, r.variant, r.units, r.traffic_share, r.allocation_share,
	   r.first_exposed_at, r.last_exposed_at
FROM experiments.results r
WHERE r.kind = 'exposures';
COMMENT ON VIEW experiments.exposure_summary IS
'Per experiment and variant: units exposed (each unit counts once, in the variant of its first exposure), share of the experiment''s traffic against the configured allocation share, first and last exposure.';
COMMENT ON COLUMN experiments.exposure_summary.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.exposure_summary.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.exposure_summary.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.exposure_summary.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.exposure_summary.units IS
'Units exposed to the variant: each unit counts once, in the variant of its first exposure to the experiment.';
COMMENT ON COLUMN experiments.exposure_summary.traffic_share IS
'units as a fraction (0 to 1) of all the units exposed to the experiment; NULL when it has none.';
COMMENT ON COLUMN experiments.exposure_summary.allocation_share IS
'The variant''s configured allocation as a fraction (0 to 1) of the experiment''s total allocation; NULL when every allocation is 0.';
COMMENT ON COLUMN experiments.exposure_summary.first_exposed_at IS
'The earliest first exposure of the variant''s units; NULL when it has none.';
COMMENT ON COLUMN experiments.exposure_summary.last_exposed_at IS
'The latest exposure of the variant''s units (their later exposures count too); NULL when it has none.';

CREATE VIEW experiments.sample_ratio_mismatch WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, sum(r.units)::bigint AS units,
	   array_agg(r.units ORDER BY r.ordinal) AS units_per_variant,
	   array_agg(r.allocation_share ORDER BY r.ordinal) AS allocation_shares,
	   min(r.srm_chi_square) AS chi_square, min(r.srm_p_value) AS p_value,
	   bool_or(r.stray_traffic) AS stray_traffic, bool_or(r.srm_mismatch) AS mismatch,
	   min(r.srm_log_bayes_factor) AS log_bayes_factor, min(r.srm_sequential_p_value) AS sequential_p_value,
	   min(r.method) AS method
FROM experiments.results r
WHERE r.kind = 'exposures'
GROUP BY r.experiment, r.experiment_id;
COMMENT ON VIEW experiments.sample_ratio_mismatch IS
'Per experiment: units per variant against the configured allocation, the chi-square goodness-of-fit statistic and p-value, the sequential test''s log Bayes factor and always-valid p-value; mismatch when the method''s p-value is below 0.001 or when a variant allocated 0 has units (stray_traffic). Results of a mismatched experiment are not to be trusted.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.units IS 'Units exposed to the experiment, all variants together (each unit once).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.units_per_variant IS
'Units exposed per variant (as units of exposure_summary), in ordinal order: the control first.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.allocation_shares IS
'Each variant''s allocation_share (its fraction of the total allocation), in ordinal order: the control first.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.chi_square IS
'The experiment''s sample ratio mismatch statistic, the same on all its rows: chi-square of the units per variant against the configured allocation; Infinity when stray_traffic; NULL when there is nothing to test (no units, or no two variants with a non-zero allocation and no stray units).';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.p_value IS
'p-value of srm_chi_square (chi-square distribution with one degree of freedom fewer than the variants allocated more than 0); 0 when stray_traffic; NULL when srm_chi_square is NULL.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.stray_traffic IS 'true when a variant allocated 0 has exposed units.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.log_bayes_factor IS
'Log Bayes factor of the sequential sample ratio mismatch test (sequential_srm_test, Dirichlet-multinomial with concentration 100) against the configured allocation, the same on all the experiment''s rows; Infinity when stray_traffic; NULL when chi_square is NULL.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.sequential_p_value IS
'Always-valid p-value of the sequential sample ratio mismatch test, min(1, 1 / Bayes factor), valid however often it is read; mismatch uses it under method sequential; 0 when stray_traffic; NULL when log_bayes_factor is NULL.';
COMMENT ON COLUMN experiments.sample_ratio_mismatch.method IS
'The statistical method of the comparisons, the experiment''s experiment_analysis.method in the views: sequential (always-valid confidence sequences, valid however often the results are read; the default) or fixed (fixed-horizon tests, valid at one look decided in advance; the p-values and intervals the other columns describe); NULL never.';

CREATE VIEW experiments.lift WITH (security_invoker = true) AS
SELECT r.experiment, r.experiment_id, r.kind, r.metric, r.ordinal, r.variant,
	   r.conversion_rate, r.rate_lift, r.rate_lift_lower, r.rate_lift_upper,
	   r.rate_relative_lift, r.rate_relative_lower, r.rate_relative_upper, r.rate_p_value,
	   r.value_per_unit, r.value_lift, r.value_lift_lower, r.value_lift_upper,
	   r.value_relative_lift, r.value_relative_lower, r.value_relative_upper, r.value_p_value,
	   r.srm_mismatch, r.rate_relative_note, r.value_relative_note, r.rate_adjusted_p_value, r.value_adjusted_p_value,
	   r.rate_interval_confidence, r.value_interval_confidence, r.p_value_correction, r.sample_sufficient,
	   r.rate_verdict, r.value_verdict, r.rate_chance_to_beat, r.rate_expected_loss,
	   r.value_chance_to_beat, r.value_expected_loss, r.method
FROM experiments.results r
WHERE r.kind <> 'exposures' AND r.ordinal <> 0;
COMMENT ON VIEW experiments.lift IS
'Each variant against the control (ordinal 0), per goal and for revenue: absolute and relative lift of the conversion rate (Miettinen-Nurminen score test and score intervals) and of the value per exposed unit (Welch''s t-test, its interval of the difference and Fieller''s of the ratio), intervals and two-sided p-values, each interval from the same test as its p-value, corrected for multiple testing across the experiment (Holm), and a verdict per comparison after the minimum-sample rule.';
COMMENT ON COLUMN experiments.lift.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.lift.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.lift.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.lift.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.lift.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.lift.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.lift.rate_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s conversion rate is above the control''s, with Beta(1, 1) priors on both (beta-binomial posteriors); NULL on the control''s rows, for kind exposures and when an arm has no units.';
COMMENT ON COLUMN experiments.lift.rate_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control rate - variant rate, 0)] under the same posteriors, as a fraction (0.01 is one percentage point); NULL when rate_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.lift.value_chance_to_beat IS
'Bayesian probability (0 to 1) that the variant''s value per unit is above the control''s, in the normal approximation (flat prior, the difference normal with Welch''s standard error); NULL when an arm has fewer than 2 units, value_per_unit is NULL, or both arms'' values are constant.';
COMMENT ON COLUMN experiments.lift.value_expected_loss IS
'Bayesian expected loss of choosing the variant over the control, E[max(control value - variant value, 0)] in the same approximation, in the unit of the value; NULL when value_chance_to_beat is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_note IS
'Why rate_relative_lift or its bounds are NULL when a comparison exists: the control has no conversion (the ratio is unbounded above) or neither arm has one; NULL otherwise.';
COMMENT ON COLUMN experiments.lift.value_relative_note IS
'Why value_relative_lower and value_relative_upper are NULL when value_lift is not: the control''s mean is not significantly different from 0 (Fieller''s set is unbounded) or an arm''s per-unit values are all equal; NULL otherwise.';
COMMENT ON COLUMN experiments.lift.rate_adjusted_p_value IS
'rate_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.lift.value_adjusted_p_value IS
'value_p_value adjusted for multiple testing by p_value_correction over the experiment''s family (every comparison, rate or value, of every variant and metric with a sufficient sample); NULL when the comparison is not in the family.';
COMMENT ON COLUMN experiments.lift.rate_interval_confidence IS
'The confidence level of rate_lift_lower to rate_relative_upper: the confidence asked for, corrected for multiple testing (Holm: the Bonferroni level of the step that decided the comparison; Benjamini-Hochberg: 1 - R alpha / m, Benjamini and Yekutieli''s FCR-adjusted intervals), so that the intervals exclude no difference exactly when rate_adjusted_p_value is below alpha; NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_interval_confidence IS
'The confidence level of value_lift_lower to value_relative_upper, corrected as rate_interval_confidence; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.p_value_correction IS
'The multiple-testing correction applied: holm (the default), bh (Benjamini-Hochberg) or none; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.lift.sample_sufficient IS
'true when the variant and the control both have at least min_units exposed units (100 by default), the minimum-sample rule before any verdict; NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.lift.rate_verdict IS
'The variant''s conversion rate against the control''s: beats or loses to (rate_adjusted_p_value below alpha, by the sign of rate_lift), inconclusive, or insufficient sample (sample_sufficient false, or fewer than 5 conversions or non-conversions expected in an arm under no difference); NULL on the control''s rows and for kind exposures.';
COMMENT ON COLUMN experiments.lift.value_verdict IS
'The variant''s value per unit against the control''s: beats or loses to (value_adjusted_p_value below alpha, by the sign of value_lift), inconclusive, or insufficient sample (sample_sufficient false); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.method IS
'The statistical method of the comparisons, the experiment''s experiment_analysis.method in the views: sequential (always-valid confidence sequences, valid however often the results are read; the default) or fixed (fixed-horizon tests, valid at one look decided in advance; the p-values and intervals the other columns describe); NULL never.';
COMMENT ON COLUMN experiments.lift.conversion_rate IS
'converting_units / units, a fraction from 0 to 1; NULL for kind exposures and when the variant has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift IS
'conversion_rate of the variant minus that of the control, as a fraction (0.01 is one percentage point); NULL on the control''s rows, for kind exposures, and when the variant or the control has no units.';
COMMENT ON COLUMN experiments.lift.rate_lift_lower IS
'Lower bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_lift_upper IS
'Upper bound of the interval of rate_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval, the differences the score test behind rate_p_value does not reject, under method sequential the always-valid confidence sequence of the difference (sequential_test(), a rate being the mean of a 0/1 indicator); NULL when rate_lift is NULL.';
COMMENT ON COLUMN experiments.lift.rate_relative_lift IS
'conversion_rate of the variant divided by that of the control, minus 1 (0.1: ten percent higher); NULL when rate_lift is NULL or the control''s rate is 0.';
COMMENT ON COLUMN experiments.lift.rate_relative_lower IS
'Lower bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1 (never below -1); NULL when rate_lift is NULL or neither arm has a conversion (a value when only the control has none).';
COMMENT ON COLUMN experiments.lift.rate_relative_upper IS
'Upper bound of the interval of rate_relative_lift at rate_interval_confidence: under method fixed the Miettinen-Nurminen score interval of the ratio of the rates, under method sequential Fieller''s interval at the confidence sequence''s critical value (sequential_test()), minus 1; NULL when rate_relative_lift is NULL (unbounded when the control has no conversion).';
COMMENT ON COLUMN experiments.lift.rate_p_value IS
'Two-sided p-value of the variant''s rate against the control''s by the test whose intervals rate_lift_lower to rate_relative_upper are: the Miettinen-Nurminen score test (the pooled rate under no difference) under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when rate_lift is NULL or when the rates of both are 0 or both 1.';
COMMENT ON COLUMN experiments.lift.value_per_unit IS
'value_sum / units: the mean value per exposed unit, 0 counted for units without the goal, in the unit of the value (cents for revenue); NULL when value_sum is NULL or the variant has no units.';
COMMENT ON COLUMN experiments.lift.value_lift IS
'value_per_unit of the variant minus that of the control, in the unit of the value (cents for revenue); NULL on the control''s rows, for kind exposures, when value_per_unit is NULL, when the variant or the control has fewer than 2 units, and when the per-unit values of both are constant.';
COMMENT ON COLUMN experiments.lift.value_lift_lower IS
'Lower bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_lift_upper IS
'Upper bound of the interval of value_lift at value_interval_confidence (Welch''s t with Welch-Satterthwaite degrees of freedom under method fixed, the always-valid confidence sequence of sequential_test() under method sequential); NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.value_relative_lift IS
'value_per_unit of the variant divided by that of the control, minus 1; NULL when value_lift is NULL or the control''s value_per_unit is 0.';
COMMENT ON COLUMN experiments.lift.value_relative_lower IS
'Lower bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_lift is NULL, when the control''s mean is not significantly different from 0 (the set is unbounded) and when an arm''s per-unit values are all equal.';
COMMENT ON COLUMN experiments.lift.value_relative_upper IS
'Upper bound of the interval of value_relative_lift at value_interval_confidence: Fieller''s interval of the ratio of the means at the critical value of value_p_value''s test (Welch''s t under method fixed, the confidence sequence''s under method sequential), minus 1; NULL when value_relative_lower is NULL.';
COMMENT ON COLUMN experiments.lift.value_p_value IS
'Two-sided p-value of the variant''s value_per_unit against the control''s: Welch''s t-test under method fixed, the always-valid p-value of sequential_test() under method sequential; NULL when value_lift is NULL.';
COMMENT ON COLUMN experiments.lift.srm_mismatch IS
'true when the p-value of the method''s sample ratio test (srm_p_value under method fixed, srm_sequential_p_value under method sequential) is below 0.001, or stray_traffic: units are not split as configured, and the experiment''s results are not to be trusted; NULL when that p-value is NULL and there is no stray traffic.';

CREATE VIEW experiments.daily_results WITH (security_invoker = true) AS
SELECT x.key AS experiment, d.*
FROM experiments.experiments x
CROSS JOIN LATERAL experiments.daily_results(x.id) d
WHERE x.started_at IS NOT NULL AND x.tenant_id = (SELECT experiments.current_tenant());
COMMENT ON VIEW experiments.daily_results IS
'daily_results() of every started experiment of the caller''s tenant: per UTC day, variant and metric, new and cumulative exposed and converting units and the cumulative rate.';
COMMENT ON COLUMN experiments.daily_results.day IS
'The UTC day: of the units'' first exposure for new_units, of their first goal or transaction (at or after that exposure) for new_converting_units. Every day with a counted event has a row for every variant and metric.';
COMMENT ON COLUMN experiments.daily_results.experiment IS 'The experiment''s key (experiments.key), the name clients use.';
COMMENT ON COLUMN experiments.daily_results.experiment_id IS 'The experiment''s numeric id (experiments.id).';
COMMENT ON COLUMN experiments.daily_results.ordinal IS 'The variant''s ordinal; 0 is the control.';
COMMENT ON COLUMN experiments.daily_results.variant IS 'The variant''s key (variants.key).';
COMMENT ON COLUMN experiments.daily_results.kind IS
'What the row counts: exposures (the variant''s exposed units), goal (units reaching the goal named by metric) or revenue (units with transactions).';
COMMENT ON COLUMN experiments.daily_results.metric IS
'The goal''s name as events carry it (goal_events.goal) for kind goal, revenue for kind revenue, NULL for kind exposures.';
COMMENT ON COLUMN experiments.daily_results.new_units IS
'Units first exposed to the variant that day (each unit once, on the day of its first exposure); the same on the rows of every kind.';
COMMENT ON COLUMN experiments.daily_results.cumulative_units IS 'Units first exposed to the variant up to and including that day.';
COMMENT ON COLUMN experiments.daily_results.new_converting_units IS
'Units of the variant whose first goal (kind goal) or transaction (kind revenue) at or after their first exposure fell on that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments.daily_results.cumulative_converting_units IS
'new_converting_units summed up to and including that day; NULL for kind exposures.';
COMMENT ON COLUMN experiments.daily_results.cumulative_rate IS
'cumulative_converting_units / cumulative_units, a fraction from 0 to 1; NULL for kind exposures and while the variant has no units.';
COMMENT ON COLUMN experiments.daily_results.value_sum IS
'Sum of the values (goal property value, or revenue in cents) of the counted events of that day (at or after their unit''s first exposure), booked on the day of each event, so that later events never change a past day; NULL for kind exposures and when none of that day''s events has a value.';

-- The report.

CREATE FUNCTION experiments_internal.format_percent(fraction float8, signed boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN fraction IS NULL THEN 'n/a'
				ELSE CASE WHEN signed AND fraction >= 0 THEN '+' ELSE '' END ||
					 round((fraction * 100)::numeric, CASE WHEN abs(fraction) < 0.001 AND fraction <> 0 THEN 3 ELSE 1 END)::text || '%' END
$$;
COMMENT ON FUNCTION experiments_internal.format_percent(float8, boolean) IS
'A fraction as a percentage for reports (0.0213 -> 2.1%, with a sign when signed), n/a for NULL.';

CREATE FUNCTION experiments_internal.format_p_value(p float8)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN p IS NULL THEN 'p = n/a'
				WHEN p < 0.001 THEN 'p < 0.001'
				ELSE 'p = ' || round(p::numeric, 3)::text END
$$;
COMMENT ON FUNCTION experiments_internal.format_p_value(float8) IS
'A p-value for reports: p < 0.001 below a thousandth, otherwise three decimals.';

CREATE FUNCTION experiments_internal.results_verdict(variant text, control text, metric text,
	verdict text, relative_lift float8, lower float8, upper float8, p_value float8, confidence float8)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT format('%s %s %s on %s: %s (%s CI %s to %s), %s',
		variant,
		CASE verdict WHEN 'beats' THEN 'beats' WHEN 'loses to' THEN 'loses to'
			 WHEN 'inconclusive' THEN 'is not significantly different from'
			 WHEN 'insufficient sample' THEN 'has too small a sample to compare with'
			 ELSE 'cannot be compared with' END,
		control, metric,
		experiments_internal.format_percent(relative_lift, true),
		coalesce(round((confidence * 100)::numeric, 2)::float8::text || '%', 'n/a'),
		experiments_internal.format_percent(lower, true), experiments_internal.format_percent(upper, true),
		experiments_internal.format_p_value(p_value))
$$;
COMMENT ON FUNCTION experiments_internal.results_verdict(text, text, text, text, float8, float8, float8, float8, float8) IS
'One verdict line of results_report(): the verdict of experiment_results() in words (beats, loses to, is not significantly different from, has too small a sample to compare with), the relative lift, its interval at its confidence level and the adjusted p-value.';

CREATE FUNCTION experiments.results_report(experiment text,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, confidence float8 DEFAULT NULL,
	min_units bigint DEFAULT 100, correction text DEFAULT NULL, method text DEFAULT NULL,
	tuning_n bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	x experiments.experiments;
	a record;
	r record;
	control text;
	srm text;
	srm_p float8;
	srm_shown text;
	total bigint := 0;
	variant_lines text[] := '{}';
	metric_lines text[] := '{}';
	comparisons integer := 0;
	failing text[] := '{}';
	catalog_lines text[] := '{}';
BEGIN
	SELECT * INTO x FROM experiments.experiments e
	WHERE e.key = results_report.experiment AND e.tenant_id = experiments_internal.required_tenant();
	IF NOT FOUND THEN
		RAISE EXCEPTION 'experiment "%" does not exist', experiments_internal.shown_input(results_report.experiment)
			USING ERRCODE = 'no_data_found',
				  DETAIL = 'The caller''s tenant has no experiment with that key.',
				  HINT = 'List the tenant''s experiments in experiments.experiments.';
	END IF;
	SELECT * INTO a FROM experiments_internal.analysis(x.id, method, confidence, correction, tuning_n);
	IF EXISTS (SELECT FROM experiments.experiment_metrics em WHERE em.experiment_id = x.id) THEN
		SELECT c.failing, c.lines INTO failing, catalog_lines
		FROM experiments_internal.metric_report(x.id, since, until, a.chosen_confidence, min_units,
												a.chosen_correction, a.chosen_method, a.chosen_tuning_n) c;
	END IF;
	-- Rows come exposures first, control first: one pass builds the report.
	FOR r IN SELECT * FROM experiments.experiment_results(x.id, since, until, a.chosen_confidence, min_units,
														   a.chosen_correction, a.chosen_method, a.chosen_tuning_n) LOOP
		IF r.kind = 'exposures' THEN
			total := total + r.units;
			IF r.ordinal = 0 THEN
				control := r.variant;
			END IF;
			-- The method's sample ratio test; the sequential one says so.
			srm_p := CASE r.method WHEN 'sequential' THEN r.srm_sequential_p_value ELSE r.srm_p_value END;
			srm_shown := experiments_internal.format_p_value(srm_p) ||
				CASE r.method WHEN 'sequential' THEN ', sequential' ELSE '' END;
			srm := CASE WHEN r.stray_traffic THEN 'SAMPLE RATIO MISMATCH (units in a variant allocated 0%)'
						WHEN r.srm_mismatch THEN 'SAMPLE RATIO MISMATCH (' || srm_shown || ')'
						WHEN srm_p IS NULL THEN 'SRM not testable'
						ELSE 'no SRM (' || srm_shown || ')' END;
			variant_lines := variant_lines || format('  %s: %s units (%s of traffic, allocated %s)',
				r.variant, r.units, experiments_internal.format_percent(r.traffic_share),
				experiments_internal.format_percent(r.allocation_share));
		ELSIF r.ordinal = 0 THEN
			metric_lines := metric_lines || format('%s: %s %s',
				CASE r.kind WHEN 'revenue' THEN 'revenue (cents per unit)' ELSE r.metric END, r.variant,
				CASE r.kind WHEN 'revenue' THEN round(r.value_per_unit::numeric, 2)::text
					 ELSE format('%s (%s to %s)', experiments_internal.format_percent(r.conversion_rate),
								 experiments_internal.format_percent(r.rate_lower), experiments_internal.format_percent(r.rate_upper)) END);
		ELSE
			comparisons := comparisons + (r.rate_adjusted_p_value IS NOT NULL)::integer +
				(r.value_adjusted_p_value IS NOT NULL)::integer;
			metric_lines := metric_lines || ('  ' || experiments_internal.results_verdict(
				r.variant, control, CASE r.kind WHEN 'revenue' THEN 'revenue per unit' ELSE r.metric END,
				CASE r.kind WHEN 'revenue' THEN r.value_verdict ELSE r.rate_verdict END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lift ELSE r.rate_relative_lift END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_lower ELSE r.rate_relative_lower END,
				CASE r.kind WHEN 'revenue' THEN r.value_relative_upper ELSE r.rate_relative_upper END,
				CASE r.kind WHEN 'revenue' THEN r.value_adjusted_p_value ELSE r.rate_adjusted_p_value END,
				CASE r.kind WHEN 'revenue' THEN r.value_interval_confidence ELSE r.rate_interval_confidence END)
				|| '; ' || split_part(srm, ' (', 1));
		END IF;
	END LOOP;
	RETURN array_to_string(
		format('Experiment %s (%s): %s units exposed%s', x.key, x.state, total,
			   CASE WHEN since IS NULL AND until IS NULL THEN ''
					ELSE format(' in [%s, %s)', coalesce(since::text, '-infinity'), coalesce(until::text, 'infinity')) END)
		|| failing || variant_lines || ('  ' || srm)
		|| CASE WHEN cardinality(metric_lines) > 0 THEN ARRAY[
			   format('  %s comparisons with %s+ units per arm by %s; p-values and intervals corrected by %s',
					  comparisons, min_units,
					  CASE a.chosen_method
						  WHEN 'sequential' THEN format('sequential tests (always-valid confidence sequences, narrowest at %s units)', a.chosen_tuning_n)
						  ELSE 'fixed-horizon tests' END,
					  CASE a.chosen_correction WHEN 'holm' THEN 'Holm'
						  WHEN 'bh' THEN 'Benjamini-Hochberg (intervals: Benjamini-Yekutieli)' ELSE 'none' END)]
				ELSE '{}' END
		|| metric_lines
		|| CASE WHEN cardinality(catalog_lines) > 0 THEN ARRAY['Metrics:'] || catalog_lines ELSE '{}' END, E'\n');
END;
$$;
COMMENT ON FUNCTION experiments.results_report(text, timestamptz, timestamptz, float8, bigint, text, text, bigint) IS
'One experiment''s results of the caller''s tenant as a short text report for psql: a line per failing guardrail first (right after the first line), units per variant against allocation, sample ratio mismatch, the number of comparisons, the method (fixed-horizon or sequential tests) and the multiple-testing correction applied (min_units, confidence, correction, method and tuning_n as experiment_results() takes them: NULL for the experiment''s analysis settings), each goal''s rate in the control, and the verdict of experiment_results() in words for each variant, goal and revenue, with the relative lift, its corrected interval and the adjusted p-value ("green beats control on checkout: +10.0% (97.5% CI +8.0% to +12.0%), p < 0.001; no SRM"), then the verdicts of the metrics attached to the experiment (experiments_internal.metric_report()).';
