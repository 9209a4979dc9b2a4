-- Results at small samples and the defects of issue #17: a control without
-- conversions, a treatment mean of 0, intervals at a handful of units, the
-- minimum-sample rule, the verdicts and their agreement with the intervals,
-- the multiple-testing correction, and daily values booked on the day of
-- their event. Data is written as the superuser; results are read as the
-- analyst role (NOSUPERUSER, NOBYPASSRLS) the README creates users in.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('results_small') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('small',
	'[{"key": "control", "allocation": 50}, {"key": "treatment", "allocation": 50}]', start => true) \gset
SELECT id AS tiny FROM experiments.create_experiment('tiny',
	'[{"key": "control", "allocation": 50}, {"key": "treatment", "allocation": 50}]', start => true) \gset
-- The fixed-horizon tests' small samples (the default is sequential,
-- sql/analysis.sql).
SELECT key, a.method FROM unnest(ARRAY['small', 'tiny']) AS key, experiments.set_analysis(key, method => 'fixed') a;

-- small: 600 units per arm, exposed on 2026-04-01. Goal buy: none of the
-- control, 30 of the treatment. Goal donate: values in the control only, the
-- treatment's mean 0. Goal tip: values of mean exactly 0 in the treatment
-- (+5 and -5), not constant. Goal rare: 2 and 3 conversions (too few
-- expected for a verdict).
CREATE TEMPORARY TABLE gen AS
SELECT g, 's-' || g AS unit, g % 2 AS ordinal, timestamptz '2026-04-01 10:00+00' AS exposed_at
FROM generate_series(1, 1200) g;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, ordinal, 'user_id', unit, exposed_at, true, true, false, false, false, false FROM gen;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', unit, 'buy', exposed_at + interval '1 hour', NULL FROM gen WHERE ordinal = 1 AND g % 40 = 1
UNION ALL
SELECT 'user_id', unit, 'donate', exposed_at + interval '1 hour', jsonb_build_object('value', 10 + g % 7)
FROM gen WHERE ordinal = 0 AND g % 4 = 0
UNION ALL
SELECT 'user_id', unit, 'tip', exposed_at + interval '1 hour', jsonb_build_object('value', 3 + g % 5)
FROM gen WHERE ordinal = 0 AND g % 3 = 0
UNION ALL
SELECT 'user_id', unit, 'tip', exposed_at + interval '1 hour',
	   jsonb_build_object('value', CASE WHEN g % 4 = 1 THEN 5 ELSE -5 END)
FROM gen WHERE ordinal = 1 AND g % 2 = 1 AND g <= 400
UNION ALL
SELECT 'user_id', unit, 'rare', exposed_at + interval '1 hour', NULL FROM gen WHERE g IN (2, 4, 1, 3, 5);
-- A unit's later values: s-2 buys for 10 on April 1st and 5 on April 3rd.
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
VALUES ('user_id', 's-2', 'spend', '2026-04-01 12:00+00', '{"value": 10}'),
	   ('user_id', 's-2', 'spend', '2026-04-03 12:00+00', '{"value": 5}');

-- tiny: 3 units in the control (1 converting), 4 in the treatment (3).
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :tiny, CASE WHEN g <= 3 THEN 0 ELSE 1 END, 'user_id', 't-' || g, '2026-04-01 10:00+00',
	   true, true, false, false, false, false
FROM generate_series(1, 7) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 't-' || g, 'go', '2026-04-01 11:00+00', jsonb_build_object('value', g)
FROM unnest(ARRAY[1, 4, 5, 6]) g;

SET SESSION AUTHORIZATION regress_bi;

-- A control without conversions: the treatment beats it (it said "loses
-- to"); the ratio is unbounded above, its lower bound finite, and the note
-- says why.
SELECT rate_lift > 0 AS lift_positive, rate_relative_lift, rate_relative_lower > 0 AS lower_positive,
	   rate_relative_upper, rate_relative_note, sample_sufficient, rate_verdict
FROM experiments.experiment_results(:exp) WHERE metric = 'buy' AND ordinal = 1;

-- The Bayesian view of the same: the treatment almost surely better, with
-- almost nothing to lose by choosing it; not defined on the control's row.
SELECT ordinal, rate_chance_to_beat > 0.999 AS likely_better, rate_expected_loss < 1e-6 AS small_loss
FROM experiments.experiment_results(:exp) WHERE metric = 'buy' ORDER BY ordinal;

-- A treatment mean of 0 with constant values (no conversions): no interval
-- of zero width, NULL with the reason instead. With a mean of exactly 0 but
-- varying values: a Fieller interval of positive width around -100%.
SELECT metric, value_per_unit, value_relative_lift, value_relative_lower, value_relative_upper,
	   value_relative_upper - value_relative_lower > 0 AS positive_width, value_relative_note, value_verdict
FROM experiments.experiment_results(:exp) WHERE metric IN ('donate', 'tip') AND ordinal = 1 ORDER BY metric;

-- Too few conversions expected: insufficient sample, whatever the p-value.
SELECT metric, converting_units, rate_verdict, rate_adjusted_p_value
FROM experiments.experiment_results(:exp) WHERE metric = 'rare' ORDER BY ordinal;

-- At a handful of units: every interval has a positive width, no relative
-- bound is below -100%, and no verdict is given (min_units 100); with
-- min_units 2 the rule for rates still asks for 5 expected conversions.
SELECT ordinal, rate_lift_lower < rate_lift_upper AS rate_width, rate_relative_lower >= -1 AS rate_above_minus_100,
	   rate_relative_lower < rate_relative_upper AS relative_width, value_lift_lower < value_lift_upper AS value_width,
	   sample_sufficient, rate_verdict, value_verdict
FROM experiments.experiment_results(:tiny) WHERE kind = 'goal' ORDER BY ordinal;
SELECT sample_sufficient, rate_verdict, value_verdict
FROM experiments.experiment_results(:tiny, min_units => 2) WHERE kind = 'goal' AND ordinal = 1;

-- Every verdict agrees with its interval: beats only when the interval of
-- the difference is above 0, loses to only when below, inconclusive only
-- when it holds 0, under each correction.
SELECT c.correction, bool_and(CASE r.rate_verdict WHEN 'beats' THEN r.rate_lift_lower > 0
										  WHEN 'loses to' THEN r.rate_lift_upper < 0
										  WHEN 'inconclusive' THEN r.rate_lift_lower <= 0 AND r.rate_lift_upper >= 0
										  ELSE true END) AS rates_agree,
	   bool_and(CASE r.value_verdict WHEN 'beats' THEN r.value_lift_lower > 0
									 WHEN 'loses to' THEN r.value_lift_upper < 0
									 WHEN 'inconclusive' THEN r.value_lift_lower <= 0 AND r.value_lift_upper >= 0
									 ELSE true END) AS values_agree,
	   count(r.rate_adjusted_p_value) + count(r.value_adjusted_p_value) AS family
FROM (VALUES ('holm'), ('bh'), ('none')) c(correction)
CROSS JOIN LATERAL experiments.experiment_results(:exp, correction => c.correction) r
GROUP BY c.correction ORDER BY c.correction;

-- The family's adjusted p-values are multiple_testing() of its p-values.
WITH r AS (SELECT * FROM experiments.experiment_results(:exp) WHERE ordinal = 1),
f AS (SELECT array_agg(p ORDER BY metric, test) AS p, array_agg(a ORDER BY metric, test) AS a
	  FROM r CROSS JOIN LATERAL (VALUES ('rate', r.rate_p_value, r.rate_adjusted_p_value),
										 ('value', r.value_p_value, r.value_adjusted_p_value)) v(test, p, a)
	  WHERE a IS NOT NULL)
SELECT (experiments.multiple_testing(f.p, 'holm')).adjusted_p_values = f.a AS holm_matches FROM f;

-- The report says which correction it used, and the verdicts in words.
SELECT experiments.results_report('small');
SELECT experiments.results_report('small', correction => 'bh');

-- A bad correction is refused by name.
SELECT * FROM experiments.experiment_results(:exp, correction => 'bonferroni');

-- Daily values on the day of their event: s-2's 10 on April 1st, its 5 on
-- April 3rd (it was 15 on April 1st), so past days never change.
SELECT day, new_converting_units, value_sum
FROM experiments.daily_results(:exp) WHERE metric = 'spend' AND ordinal = 0 ORDER BY day;
RESET SESSION AUTHORIZATION;
