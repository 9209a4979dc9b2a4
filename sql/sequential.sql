-- Sequential tests: the cases with no answer, certain answers and bad input.
-- Their accuracy is sql/sequential_accuracy.sql; their calibration (false
-- positives under daily looks, coverage) is make calibrate (docs/results.md).
-- Run as an analyst (regress_bi, a member of experiments_analyst), as the README has users do.
\i sql/helpers/logins.sql
SET SESSION AUTHORIZATION regress_bi;

-- The interval is symmetric about the difference and narrowest near tuning_n
-- units for a fixed per-unit variance (standard error sqrt(4 / n)).
SELECT n, round(((s.upper - s.lower) / 2 * sqrt(n / 4.0))::numeric, 4) AS half_width_in_standard_errors,
	   abs(s.lower + s.upper - 0.2) < 1e-15 AS symmetric
FROM unnest(ARRAY[500, 2500, 5000, 10000, 50000]) n,
	 experiments.sequential_interval(0.1, sqrt(4.0 / n), n, 0.95, 5000) s
ORDER BY n;
-- Wider than the fixed-horizon interval at every n.
SELECT bool_and(s.upper - 0.1 > 1.959963984540054 * sqrt(4.0 / n)) AS wider_than_fixed
FROM generate_series(1, 1000000, 997) n, experiments.sequential_interval(0.1, sqrt(4.0 / n), n) s;

-- SRM: no units, a single allocated variant, stray units, NULL arguments.
SELECT * FROM experiments.sequential_srm_test('{0,0}', '{1,1}');
SELECT * FROM experiments.sequential_srm_test('{10,0}', '{1,0}');
SELECT * FROM experiments.sequential_srm_test('{10,3}', '{1,0}');
SELECT * FROM experiments.sequential_srm_test('{10,3,4}', '{1,1,0}');
SELECT * FROM experiments.sequential_srm_test(NULL, '{1,1}');
SELECT * FROM experiments.sequential_interval(0.1, NULL, 100);

-- Bad input: specific errors.
SELECT * FROM experiments.sequential_interval('NaN', 0.1, 100);
SELECT * FROM experiments.sequential_interval(0.1, -0.1, 100);
SELECT * FROM experiments.sequential_interval(0.1, 'Infinity', 100);
SELECT * FROM experiments.sequential_interval(0.1, 0.1, 0);
SELECT * FROM experiments.sequential_interval(0.1, 0.1, 100, 0.95, 0);
SELECT * FROM experiments.sequential_interval(0.1, 0.1, 100, 1);
SELECT * FROM experiments.sequential_interval(0.1, 0.1, 100, 'NaN');
SELECT * FROM experiments.sequential_srm_test('{1,2}', '{1,1,1}');
SELECT * FROM experiments.sequential_srm_test('{1,-2}', '{1,1}');
SELECT * FROM experiments.sequential_srm_test('{1,NULL}', '{1,1}');
SELECT * FROM experiments.sequential_srm_test('{1,2}', '{1,Infinity}');
SELECT * FROM experiments.sequential_srm_test('{1,2}', '{0,0}');
SELECT * FROM experiments.sequential_srm_test('{1,2}', '{1,1}', 0);
SELECT * FROM experiments.sequential_srm_test('{9223372036854775807,1}', '{1,1}');
