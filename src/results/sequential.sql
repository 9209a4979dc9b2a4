-- experiments: sequential tests, in C (src/results/sequential.c). Always-valid
-- intervals and p-values for experiments read while they run: they hold at
-- every look at once, however often the results are read. Pure functions of
-- their arguments.

CREATE FUNCTION experiments.sequential_interval(difference float8, standard_error float8,
	n bigint, confidence float8 DEFAULT 0.95, tuning_n bigint DEFAULT 5000,
	OUT lower float8, OUT upper float8, OUT p_value float8)
RETURNS record
AS 'MODULE_PATHNAME', 'sequential_interval'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.sequential_interval(float8, float8, bigint, float8, bigint) IS
'Always-valid confidence interval and p-value of a difference (treatment - control) estimated with a standard error from n units (both arms together): the asymptotic confidence sequence of Waudby-Smith et al. (2021, arXiv:2103.06476) with its normal mixture tuned to be narrowest at tuning_n units (default 5000, as GrowthBook). Its coverage holds at every n at once, so the results may be read daily; p_value < 1 - confidence exactly when the interval excludes 0.';

CREATE FUNCTION experiments.sequential_srm_test(observed bigint[], allocation float8[],
	concentration float8 DEFAULT 100, OUT log_bayes_factor float8, OUT p_value float8)
RETURNS record
AS 'MODULE_PATHNAME', 'sequential_srm_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.sequential_srm_test(bigint[], float8[], float8) IS
'Always-valid sample ratio mismatch test (Lindon and Malek, 2022): the log Bayes factor of a Dirichlet-multinomial alternative (prior Dirichlet(concentration x allocation shares), concentration 100 by default) against the configured allocation, and the p-value min(1, 1 / Bayes factor), valid however often it is computed; units in a zero-allocation variant give log_bayes_factor Infinity and p_value 0; NULLs with no units or fewer than two allocated variants.';
