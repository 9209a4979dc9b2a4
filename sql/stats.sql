-- The statistics functions: markings, special values, empty samples and
-- argument errors. Their accuracy is checked in stats_accuracy.
-- Run as an analyst (regress_bi, a member of experiments_analyst), as the README has users do.
\i sql/helpers/logins.sql
SET SESSION AUTHORIZATION regress_bi;

-- Every one is a pure C function: IMMUTABLE, STRICT, PARALLEL SAFE.
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p
WHERE p.pronamespace = 'experiments'::regnamespace
  AND p.proname IN ('normal_cdf', 'normal_quantile', 'chi_square_cdf', 'chi_square_sf',
					'student_t_cdf', 'student_t_sf', 'student_t_quantile', 'wilson_interval',
					'two_proportion_test', 'welch_test', 'srm_test')
ORDER BY p.proname;

-- Limits and symmetry.
SELECT experiments.normal_cdf('-Infinity') AS at_minus_inf, experiments.normal_cdf('Infinity') AS at_inf,
	   experiments.normal_cdf('NaN') AS at_nan,
	   experiments.normal_quantile(0) AS q0, experiments.normal_quantile(1) AS q1,
	   experiments.normal_quantile(0.5) AS median;
SELECT experiments.student_t_quantile(0.2, 3) = -experiments.student_t_quantile(0.8, 3) AS symmetric,
	   experiments.student_t_cdf(1.5, 'Infinity') = experiments.normal_cdf(1.5) AS infinite_df_is_normal,
	   experiments.student_t_cdf(1e300, 1) = 1 AS huge_t,
	   abs(experiments.student_t_sf(1e150, 1) * pi() * 1e150 - 1) < 1e-12 AS huge_t_tail_is_1_over_pi_t;
SELECT experiments.chi_square_cdf(0, 3) AS at_zero, experiments.chi_square_cdf(-1, 3) AS below_zero,
	   experiments.chi_square_sf('Infinity', 3) AS at_inf;
-- Round trips: quantile(cdf(x)) = x.
SELECT bool_and(abs(experiments.student_t_quantile(experiments.student_t_cdf(x, df), df) - x) <= 1e-9 * abs(x)) AS t_round_trip,
	   bool_and(abs(experiments.normal_quantile(experiments.normal_cdf(x)) - x) <= 1e-9 * abs(x)) AS normal_round_trip
FROM unnest(ARRAY[-30, -6.5, -2, -0.3, 0.01, 1, 4]::float8[]) AS x,
	 unnest(ARRAY[0.8, 1, 2, 5, 17.5, 100, 1e4, 1e6]::float8[]) AS df;

-- Empty or degenerate samples give NULLs, not errors.
SELECT * FROM experiments.wilson_interval(0, 0);
SELECT z, p_value, difference FROM experiments.two_proportion_test(0, 0, 5, 10);
SELECT z, p_value, difference FROM experiments.two_proportion_test(0, 10, 0, 10);
SELECT t, p_value, df FROM experiments.welch_test(1, 0, 10, 1, 0, 10);
SELECT t, p_value, df FROM experiments.welch_test(1, 2, 1, 1, 2, 10);
SELECT relative_difference FROM experiments.two_proportion_test(0, 10, 3, 10);
SELECT * FROM experiments.srm_test('{0,0}', '{5000,5000}');
SELECT * FROM experiments.srm_test('{100}', '{10000}');

-- Units in a variant allocated 0: certain mismatch.
SELECT * FROM experiments.srm_test('{100,100,1}', '{5000,5000,0}');
SELECT * FROM experiments.srm_test('{100,100,0}', '{5000,5000,0}');

-- experiments_internal.comparison(), which results call once per treatment
-- and metric, gives the columns of the test its method and test name: the
-- numbers of that test called on its own, a rate compared sequentially as
-- the mean of a 0/1 indicator with its sample variance; NULLs for a method
-- or test it does not know, or when the test lacks an argument.
WITH cases AS (
	SELECT m, t, x0, n0, x1, n1, m0, v0, m1, v1, c, tn
	FROM unnest(ARRAY['fixed', 'sequential', 'bayesian', NULL]) m, unnest(ARRAY['rate', 'value', NULL]) t,
		 unnest(ARRAY[0, 4, NULL]::bigint[]) x0, unnest(ARRAY[1, 2, 40, 1000]::bigint[]) n0,
		 unnest(ARRAY[0, 1, 30]::bigint[]) x1, unnest(ARRAY[30, 900]::bigint[]) n1,
		 unnest(ARRAY[0.5, NULL]::float8[]) m0, unnest(ARRAY[0.25, 0]::float8[]) v0,
		 unnest(ARRAY[0.75]::float8[]) m1, unnest(ARRAY[0.5]::float8[]) v1,
		 unnest(ARRAY[0.95, 0.999]::float8[]) c, unnest(ARRAY[500, NULL]::bigint[]) tn
	WHERE x0 IS NULL OR x0 <= n0
), expected AS (
	SELECT cases.*,
		   CASE WHEN m = 'fixed' AND t = 'rate' THEN
				(SELECT row(r.difference, r.difference_lower, r.difference_upper, r.relative_difference,
							r.relative_lower, r.relative_upper, r.p_value, r.relative_note)::text
				 FROM experiments.two_proportion_test(x0, n0, x1, n1, c) r)
				WHEN m = 'fixed' AND t = 'value' THEN
				(SELECT row(r.difference, r.difference_lower, r.difference_upper, r.relative_difference,
							r.relative_lower, r.relative_upper, r.p_value, r.relative_note)::text
				 FROM experiments.welch_test(m0, v0, n0, m1, v1, n1, c) r)
				WHEN m = 'sequential' THEN
				(SELECT row(r.difference, r.difference_lower, r.difference_upper, r.relative_difference,
							r.relative_lower, r.relative_upper, r.p_value, r.relative_note)::text
				 FROM experiments.sequential_test(
					CASE WHEN t = 'rate' THEN x0::float8 / n0 ELSE m0 END,
					CASE WHEN t = 'rate' THEN CASE WHEN n0 > 1 THEN (x0 * (n0 - x0))::float8 / (n0 * (n0 - 1)) END ELSE v0 END, n0,
					CASE WHEN t = 'rate' THEN x1::float8 / n1 ELSE m1 END,
					CASE WHEN t = 'rate' THEN (x1 * (n1 - x1))::float8 / (n1 * (n1 - 1)) ELSE v1 END, n1, c, tn) r)
		   END AS answer
	FROM cases
)
SELECT count(*) AS cases, count(*) FILTER (WHERE answer <> '(,,,,,,,)') AS compared,
	   count(*) FILTER (WHERE row(r.*)::text IS DISTINCT FROM coalesce(answer, '(,,,,,,,)')) AS different
FROM expected e,
	 experiments_internal.comparison(m, t, x0, m0, v0, n0, x1, m1, v1, n1, c, tn) r;

-- experiments_internal.metric_comparison(), one comparison of
-- metric_results(): a proportion or mean (or CUPED's adjusted means) as
-- comparison() compares rates (a proportion without CUPED) and values; a
-- ratio or quantile by a normal test of the estimates (fixed) or by
-- sequential_test() on them as means whose variances over their counts are
-- the squared standard errors (sequential), the relative interval by the
-- delta method at the same critical value. Here against the same in SQL.
WITH cases AS (
	SELECT m, ty, cu, ce, cn, cm, cv, te, tn, tm, tv, c, cvar, t, tvar, conf, tun
	FROM unnest(ARRAY['fixed', 'sequential', NULL]) m,
		 unnest(ARRAY['proportion', 'mean', 'ratio', 'quantile', 'count']) ty, unnest(ARRAY[true, false, NULL]) cu,
		 unnest(ARRAY[7, NULL]::bigint[]) ce, unnest(ARRAY[1, 400]::bigint[]) cn,
		 unnest(ARRAY[0.2]::float8[]) cm, unnest(ARRAY[0.16, 0]::float8[]) cv,
		 unnest(ARRAY[12]::bigint[]) te, unnest(ARRAY[380]::bigint[]) tn,
		 unnest(ARRAY[0.25]::float8[]) tm, unnest(ARRAY[0.19]::float8[]) tv,
		 unnest(ARRAY[0, 2.5, -1.5, NULL]::float8[]) c, unnest(ARRAY[0.04, 0]::float8[]) cvar,
		 unnest(ARRAY[3.1, NULL]::float8[]) t, unnest(ARRAY[0.05]::float8[]) tvar,
		 unnest(ARRAY[0.95, 0.999]::float8[]) conf, unnest(ARRAY[1000]::bigint[]) tun
	WHERE ce IS NULL OR ce <= cn
), expected AS (
	SELECT cases.*,
		   CASE WHEN cu OR ty IN ('proportion', 'mean') THEN
				(SELECT row(r.difference, r.difference_lower, r.difference_upper, r.relative_difference,
							r.relative_lower, r.relative_upper, r.p_value)::text
				 FROM experiments_internal.comparison(m, CASE WHEN ty = 'proportion' AND NOT cu THEN 'rate' ELSE 'value' END,
					ce, cm, cv, cn, te, tm, tv, tn, conf, tun) r)
				WHEN NOT cu AND ty IN ('ratio', 'quantile') THEN
				(SELECT row(CASE WHEN g.shown THEN g.d END, CASE WHEN g.shown THEN g.d - g.crit * g.se END,
							CASE WHEN g.shown THEN g.d + g.crit * g.se END,
							g.rel, g.rel - g.crit * g.rel_se, g.rel + g.crit * g.rel_se, g.p)::text
				 FROM (SELECT e.d, e.se, e.rel, e.rel_se, c <> 0 AS shown,
							  CASE m WHEN 'sequential' THEN (q.difference_upper - e.d) / nullif(e.se, 0)
									 ELSE experiments.normal_quantile(1 - (1 - conf) / 2) END AS crit,
							  CASE m WHEN 'sequential' THEN q.p_value
									 ELSE 2 * experiments.normal_cdf(-abs(e.d) / nullif(e.se, 0)) END AS p
					   FROM (SELECT t - c AS d, sqrt(tvar + cvar) AS se, t / nullif(c, 0) - 1 AS rel,
									sqrt(tvar / nullif(c, 0) ^ 2 + t ^ 2 * cvar / nullif(c, 0) ^ 4) AS rel_se) e
					   LEFT JOIN LATERAL experiments.sequential_test(c, cvar * cn, cn, t, tvar * tn, tn, conf, tun) q
						   ON m = 'sequential') g)
		   END AS answer
	FROM cases
)
SELECT count(*) AS cases, count(*) FILTER (WHERE answer <> '(,,,,,,)') AS compared,
	   count(*) FILTER (WHERE row(r.*)::text IS DISTINCT FROM coalesce(answer, '(,,,,,,)')) AS different
FROM expected e,
	 experiments_internal.metric_comparison(m, ty, cu, ce, cn, cm, cv, te, tn, tm, tv, c, cvar, t, tvar, conf, tun) r;

-- Argument errors, with their SQLSTATE.
\set VERBOSITY sqlstate
SELECT experiments.normal_quantile(1.5);
SELECT experiments.normal_quantile('NaN');
SELECT experiments.student_t_cdf(1, 0);
SELECT experiments.student_t_quantile(0.5, -1);
SELECT experiments.chi_square_sf(1, 'Infinity');
SELECT experiments.chi_square_cdf(1, 'NaN');
SELECT * FROM experiments.wilson_interval(11, 10);
SELECT * FROM experiments.wilson_interval(-1, 10);
SELECT * FROM experiments.wilson_interval(1, 10, 1);
SELECT * FROM experiments.two_proportion_test(1, 10, 1, 10, 0);
SELECT * FROM experiments.welch_test(1, -1, 10, 1, 1, 10);
SELECT * FROM experiments.welch_test('NaN', 1, 10, 1, 1, 10);
SELECT * FROM experiments.srm_test('{1,2}', '{1}');
SELECT * FROM experiments.srm_test('{1,-2}', '{1,1}');
SELECT * FROM experiments.srm_test('{1,NULL}', '{1,1}');
SELECT * FROM experiments.srm_test('{1,2}', '{0,0}');
\set VERBOSITY default
-- The messages say what is wrong.
SELECT experiments.student_t_cdf(1, 0);
SELECT * FROM experiments.wilson_interval(11, 10);
\i sql/helpers/drop_logins.sql
