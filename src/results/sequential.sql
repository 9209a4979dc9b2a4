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

CREATE FUNCTION experiments.sequential_test(
	control_mean float8, control_variance float8, control_count bigint,
	treatment_mean float8, treatment_variance float8, treatment_count bigint,
	confidence float8 DEFAULT 0.95, tuning_n bigint DEFAULT 5000,
	OUT difference float8, OUT difference_lower float8, OUT difference_upper float8,
	OUT relative_difference float8, OUT relative_lower float8, OUT relative_upper float8,
	OUT z float8, OUT p_value float8, OUT relative_note text)
RETURNS record
AS 'MODULE_PATHNAME', 'sequential_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION experiments.sequential_test(float8, float8, bigint, float8, float8, bigint, float8, bigint) IS
'Always-valid comparison of treatment vs control means from sample summaries (mean, var_samp, count; a rate is the mean of a 0/1 indicator), the counterpart of welch_test for results read while the experiment runs: the asymptotic confidence sequence of the difference (as sequential_interval, with the unpooled standard error and n the units of both arms), z = difference / standard error, the always-valid p-value, and Fieller''s interval of the ratio at the sequence''s critical value, reported as relative difference (treatment / control - 1). The normal mixture is the one sequential_interval uses at confidence 0.95, tuned to be narrowest at tuning_n units, whatever the confidence, so that the p-value is the same at every level and each interval excludes 0 exactly when p_value < 1 - confidence. NULLs when an arm has fewer than 2 units or both arms'' values are constant; relative_note says why a relative interval is missing.';

CREATE FUNCTION experiments_internal.results_method(method text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF coalesce(method, 'fixed') IN ('fixed', 'sequential') THEN
		RETURN coalesce(method, 'fixed');
	END IF;
	RAISE EXCEPTION 'unknown results method "%"', experiments_internal.shown_input(method)
		USING ERRCODE = 'invalid_parameter_value',
			  DETAIL = 'The method is fixed (fixed-horizon tests, valid at one look decided in advance) or sequential (always-valid confidence sequences, valid however often the results are read).',
			  HINT = 'Use sequential while the experiment runs and its results are read more than once.';
END;
$$;
COMMENT ON FUNCTION experiments_internal.results_method(text) IS
'The statistical method of experiment_results() and results_report(), checked: fixed (the default, also for NULL) or sequential; any other name is refused with SQLSTATE 22023.';
