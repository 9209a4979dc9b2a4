-- experiments: planning. Power, minimum detectable effect and sample size of a
-- two-arm comparison with equal arms (two-sided normal test), for rates and
-- for means, and the plan of a running experiment from its observed traffic
-- and baseline. Closed forms on the normal distribution of src/results/stats.c:
-- with se the standard error of the difference delta at n units per arm and
-- z(p) the normal quantile,
--   power        = Phi(|delta| / se - z(1 - alpha/2)) + Phi(-|delta| / se - z(1 - alpha/2)),
--   sample size  = (z(1 - alpha/2) + z(power))^2 * (variance of one unit in each arm, summed) / delta^2,
--   MDE          = the delta at which that sample size is n.
-- Sample size and MDE ignore the far tail of the power (below 1e-5 at the
-- usual alpha and power), as is customary. Rates use the variance of each arm
-- at its own rate, p(1 - p).

-- A probability (alpha, power, a rate), checked; open excludes 0 and 1.
CREATE FUNCTION experiments_internal.planning_probability(p float8, what text, open boolean)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (p >= 0 AND p <= 1) OR (open AND p IN (0, 1)) THEN
		RAISE EXCEPTION '% must be between 0 and 1%, not %', what, CASE WHEN open THEN ' exclusive' ELSE '' END, p
			USING ERRCODE = 'numeric_value_out_of_range';
	END IF;
	RETURN p;
END
$$;
COMMENT ON FUNCTION experiments_internal.planning_probability(float8, text, boolean) IS
'A probability (alpha, power, a rate) after checking it lies in [0, 1], or in (0, 1) when open; the error names it as what.';

-- The critical value z(1 - alpha/2) of a two-sided test.
CREATE FUNCTION experiments_internal.planning_critical(alpha float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT -experiments.normal_quantile(experiments_internal.planning_probability($1, 'alpha', true) / 2)
$$;
COMMENT ON FUNCTION experiments_internal.planning_critical(float8) IS
'The critical value z(1 - alpha/2) of a two-sided normal test; alpha must lie in (0, 1).';

-- z(1 - alpha/2) + z(power): the distance, in standard errors, a difference
-- must have from 0 to be detected with that power.
CREATE FUNCTION experiments_internal.planning_distance(alpha float8, power float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_critical($1) +
	   experiments.normal_quantile(experiments_internal.planning_probability($2, 'power', true))
$$;
COMMENT ON FUNCTION experiments_internal.planning_distance(float8, float8) IS
'z(1 - alpha/2) + z(power): how many standard errors from 0 a difference must lie to be detected by a two-sided test at alpha with that power.';

-- The variance of one unit in each arm, summed, from the arms' standard
-- deviations, checked: every formula divides by it or by its square root.
CREATE FUNCTION experiments_internal.planning_variance(control_sd float8, treatment_sd float8)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (control_sd >= 0 AND treatment_sd >= 0 AND control_sd + treatment_sd > 0
			AND control_sd + treatment_sd < 'Infinity') THEN
		RAISE EXCEPTION 'standard deviations must be finite, non-negative and not both 0, not % and %',
			control_sd, treatment_sd
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN control_sd * control_sd + treatment_sd * treatment_sd;
END
$$;
COMMENT ON FUNCTION experiments_internal.planning_variance(float8, float8) IS
'The variance of one unit in each arm, summed, from the arms'' standard deviations after checking them: finite, non-negative, not both 0.';

-- A number of units per arm, checked.
CREATE FUNCTION experiments_internal.planning_units(units_per_arm float8)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (units_per_arm > 0 AND units_per_arm < 'Infinity') THEN
		RAISE EXCEPTION 'units per arm must be a finite positive number, not %', units_per_arm
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN units_per_arm;
END
$$;
COMMENT ON FUNCTION experiments_internal.planning_units(float8) IS
'A number of units per arm after checking it is finite and positive.';

-- The power of the test: the one formula behind mean_power and rate_power,
-- from the difference and the summed variance of one unit per arm.
CREATE FUNCTION experiments_internal.planning_power(difference float8, variance float8,
	units_per_arm float8, alpha float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments.normal_cdf(e - c) + experiments.normal_cdf(-e - c)
FROM (SELECT abs($1) / sqrt($2 / experiments_internal.planning_units($3)) AS e,
			 experiments_internal.planning_critical($4) AS c) s
$$;
COMMENT ON FUNCTION experiments_internal.planning_power(float8, float8, float8, float8) IS
'Power of a two-sided normal test at alpha to detect a difference, given the variance of one unit in each arm, summed, and the units per arm: Phi(|d| / se - z) + Phi(-|d| / se - z).';

-- The units per arm: the one formula behind mean_sample_size and
-- rate_sample_size.
CREATE FUNCTION experiments_internal.planning_sample_size(difference float8, variance float8,
	alpha float8, power float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT CASE WHEN $1 = 0 THEN 'Infinity' ELSE z ^ 2 * $2 / ($1 * $1) END
FROM (SELECT experiments_internal.planning_distance($3, $4) AS z) s
$$;
COMMENT ON FUNCTION experiments_internal.planning_sample_size(float8, float8, float8, float8) IS
'Units needed per arm for a two-sided normal test at alpha to detect a difference with the given power, given the variance of one unit in each arm, summed: (z(1 - alpha/2) + z(power))^2 variance / difference^2; Infinity for a difference of 0.';

CREATE FUNCTION experiments.mean_power(difference float8, standard_deviation float8,
	units_per_arm float8, alpha float8 DEFAULT 0.05)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_power($1, experiments_internal.planning_variance($2, $2), $3, $4)
$$;
COMMENT ON FUNCTION experiments.mean_power(float8, float8, float8, float8) IS
'Power of a two-sided normal test at alpha (default 0.05) to detect a difference of means with units_per_arm units in each of two arms whose units have that standard deviation.';

CREATE FUNCTION experiments.mean_sample_size(difference float8, standard_deviation float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_sample_size($1, experiments_internal.planning_variance($2, $2), $3, $4)
$$;
COMMENT ON FUNCTION experiments.mean_sample_size(float8, float8, float8, float8) IS
'Units needed in each of two arms (unrounded; Infinity for a difference of 0) for a two-sided normal test at alpha (default 0.05) to detect a difference of means with the given power (default 0.8), units having that standard deviation.';

CREATE FUNCTION experiments.mean_mde(standard_deviation float8, units_per_arm float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_distance($3, $4) *
	   sqrt(experiments_internal.planning_variance($1, $1) / experiments_internal.planning_units($2))
$$;
COMMENT ON FUNCTION experiments.mean_mde(float8, float8, float8, float8) IS
'Minimum detectable difference of means (absolute, positive) of a two-sided normal test at alpha (default 0.05) with the given power (default 0.8) and units_per_arm units in each of two arms whose units have that standard deviation.';

-- The summed variance of one unit per arm at two rates, each checked.
CREATE FUNCTION experiments_internal.planning_rate_variance(baseline float8, treatment float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_variance(sqrt(b * (1 - b)), sqrt(t * (1 - t)))
FROM (SELECT experiments_internal.planning_probability($1, 'baseline rate', true) AS b,
			 experiments_internal.planning_probability($2, 'treatment rate', false) AS t) r
$$;
COMMENT ON FUNCTION experiments_internal.planning_rate_variance(float8, float8) IS
'b (1 - b) + t (1 - t): the variance of one unit in each arm, summed, at a baseline rate in (0, 1) and a treatment rate in [0, 1], both checked.';

CREATE FUNCTION experiments.rate_power(baseline float8, treatment float8,
	units_per_arm float8, alpha float8 DEFAULT 0.05)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_power($2 - $1, experiments_internal.planning_rate_variance($1, $2), $3, $4)
$$;
COMMENT ON FUNCTION experiments.rate_power(float8, float8, float8, float8) IS
'Power of a two-sided two-proportion z-test at alpha (default 0.05) to tell a treatment rate from a baseline rate with units_per_arm units in each arm (unpooled variance, each arm at its own rate).';

CREATE FUNCTION experiments.rate_sample_size(baseline float8, treatment float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT experiments_internal.planning_sample_size($2 - $1, experiments_internal.planning_rate_variance($1, $2), $3, $4)
$$;
COMMENT ON FUNCTION experiments.rate_sample_size(float8, float8, float8, float8) IS
'Units needed in each arm (unrounded; Infinity when the rates are equal) for a two-sided two-proportion z-test at alpha (default 0.05) to tell a treatment rate from a baseline rate with the given power (default 0.8).';

-- The increase delta with n delta^2 = Z^2 (b(1-b) + (b+delta)(1-b-delta)),
-- Z = z(1 - alpha/2) + z(power): the positive root of
-- (n + Z^2) delta^2 - Z^2 (1 - 2b) delta - 2 Z^2 b (1 - b) = 0.
CREATE FUNCTION experiments.rate_mde(baseline float8, units_per_arm float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
SELECT (z2 * (1 - 2 * b) + sqrt(z2 * z2 * (1 - 2 * b) ^ 2 + 8 * (n + z2) * z2 * b * (1 - b))) / (2 * (n + z2))
FROM (SELECT experiments_internal.planning_distance($3, $4) ^ 2 AS z2,
			 experiments_internal.planning_probability($1, 'baseline rate', true) AS b,
			 experiments_internal.planning_units($2) AS n) s
$$;
COMMENT ON FUNCTION experiments.rate_mde(float8, float8, float8, float8) IS
'Minimum detectable increase of a rate (absolute: treatment rate - baseline) of a two-sided two-proportion z-test at alpha (default 0.05) with the given power (default 0.8) and units_per_arm units in each arm, each arm''s variance at its own rate.';

-- The plan of a running experiment: its control's rate (a goal) or revenue
-- per unit (metric 'revenue') and its traffic so far, read in one pass of
-- daily_metrics() as the caller (row-level security shows only the caller's
-- tenant); experiment_results() gives no per-unit variance, which the plan of
-- a mean needs. Arms are the variants with a positive allocation, each
-- compared with the control; the slowest arm sets the pace.
CREATE FUNCTION experiments.experiment_plan(experiment_id bigint, metric text, relative_mde float8,
	alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS TABLE (kind text, baseline float8, standard_deviation float8, absolute_mde float8,
			   units_per_arm bigint, days_observed integer, units_per_arm_per_day float8,
			   days_to_run integer, current_units_per_arm bigint, current_power float8)
LANGUAGE plpgsql STABLE STRICT
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (relative_mde > -1 AND relative_mde < 'Infinity' AND relative_mde <> 0) THEN
		RAISE EXCEPTION 'relative_mde must be a finite non-zero number above -1, not %', relative_mde
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'It is the relative change to detect: 0.05 for +5%.';
	END IF;
	PERFORM experiments_internal.planning_distance(alpha, power);
	RETURN QUERY
	WITH m AS MATERIALIZED (
		SELECT d.kind, d.metric, d.ordinal, d.day, d.units, d.value_sum, d.value_square_sum
		FROM experiments.daily_metrics($1, '-infinity', 'infinity') d
	), arms AS (
		SELECT v.ordinal, coalesce(sum(m.units), 0)::bigint AS units
		FROM experiments.variants v
		LEFT JOIN m ON m.kind = 'exposures' AND m.ordinal = v.ordinal
		WHERE v.experiment_id = $1 AND v.allocation_bp > 0
		GROUP BY v.ordinal
	), traffic AS (
		SELECT min(a.units) AS slowest, bool_or(a.ordinal = 0) AS has_control,
			   (SELECT (max(m.day) - min(m.day) + 1)::integer FROM m WHERE m.kind = 'exposures') AS days
		FROM arms a
	), control AS (
		SELECT CASE WHEN $2 = 'revenue' THEN 'revenue' ELSE 'goal' END AS kind,
			   a.units::float8 AS n,
			   coalesce(sum(m.units), 0)::float8 AS converting,
			   coalesce(sum(m.value_sum), 0) AS s1, coalesce(sum(m.value_square_sum), 0) AS s2
		FROM arms a
		LEFT JOIN m ON m.kind = CASE WHEN $2 = 'revenue' THEN 'revenue' ELSE 'goal' END
			AND m.metric = $2 AND m.ordinal = a.ordinal
		WHERE a.ordinal = 0
		GROUP BY a.units
	), base AS (
		SELECT c.kind,
			   CASE WHEN c.n > 0 THEN CASE c.kind WHEN 'goal' THEN c.converting / c.n ELSE c.s1 / c.n END END AS b,
			   CASE WHEN c.n > 1 THEN
					CASE c.kind WHEN 'goal' THEN sqrt(c.converting / c.n * (1 - c.converting / c.n))
					ELSE sqrt(greatest((c.s2 - c.s1 * c.s1 / c.n) / (c.n - 1), 0)) END END AS sd
		FROM control c
	), needed AS (
		SELECT b.kind, b.b, b.sd, b.b * $3 AS delta,
			   CASE WHEN b.kind = 'goal' AND b.b > 0 AND b.b < 1 THEN
					experiments.rate_sample_size(b.b, b.b * (1 + $3), $4, $5)
					WHEN b.kind = 'revenue' AND b.sd > 0 AND b.b <> 0 THEN
					experiments.mean_sample_size(b.b * $3, b.sd, $4, $5) END AS n,
			   CASE WHEN t.slowest > 0 AND b.kind = 'goal' AND b.b > 0 AND b.b < 1 THEN
					experiments.rate_power(b.b, b.b * (1 + $3), t.slowest, $4)
					WHEN t.slowest > 0 AND b.kind = 'revenue' AND b.sd > 0 THEN
					experiments.mean_power(b.b * $3, b.sd, t.slowest, $4) END AS power_now
		FROM base b CROSS JOIN traffic t
	)
	SELECT n.kind, n.b, n.sd, abs(n.delta), ceil(n.n)::bigint, t.days,
		   t.slowest / t.days::float8,
		   CASE WHEN t.slowest > 0 THEN ceil(ceil(n.n) / (t.slowest / t.days::float8))::integer END,
		   t.slowest, n.power_now
	FROM needed n CROSS JOIN traffic t;
END
$$;
COMMENT ON FUNCTION experiments.experiment_plan(bigint, text, float8, float8, float8) IS
'Plan of a running experiment from its observed traffic and baseline, read as the caller: for a goal (its conversion rate) or revenue (metric ''revenue'', cents per exposed unit), the control''s baseline and per-unit standard deviation, the absolute effect for relative_mde (0.05: +5%), units needed per arm for a two-sided test at alpha (default 0.05) with the given power (default 0.8), days observed, units per arm per day (slowest allocated variant), days to run in all at that pace, and the power at the current size. No row when the experiment is not visible; NULLs where the data do not allow a plan yet (no units, a baseline rate of 0 or 1, no variance).';
