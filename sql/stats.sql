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
