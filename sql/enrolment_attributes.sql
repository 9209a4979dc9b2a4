-- Attributes given at enrolment are stored for breakdowns: enrol() records
-- each key of its attributes as an attribute_events row of the unit, set at
-- the enrolment, the first time only; metric_breakdown() slices by them as
-- by published attributes. More attributes, or larger ones, than a
-- published request may carry are refused with 54000, and nothing of the
-- call is recorded. The application (regress_shop) enrols, the analyst
-- (regress_bi) reads; the superuser writes the exposures and goals (a
-- fixture: in production they are published).
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('enrolment_attributes') AS tenant \gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('plans',
	'[{"key": "control", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true) \gset

\set VERBOSITY sqlstate
SET SESSION AUTHORIZATION regress_shop;
-- 200 units: a plan for the first 150 (pro for a third of them), a country
-- for every unit, nothing more for the rest.
SELECT count(*) AS enrolled FROM generate_series(1, 200) g,
	LATERAL experiments.enrol('plans', 'u-' || g,
		CASE WHEN g <= 150 THEN jsonb_build_object('plan', CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'free' END,
												   'country', CASE WHEN g % 2 = 0 THEN 'FR' ELSE 'DE' END)
			 ELSE jsonb_build_object('country', 'IT') END) e;
-- Enrolled again with other attributes: the first enrolment's stay.
SELECT variant IS NOT NULL AS answered FROM experiments.enrol('plans', 'u-3', '{"plan": "free"}');
RESET SESSION AUTHORIZATION;

INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, n.ordinal, 'user_id', n.unit, now() + interval '1 minute', true, true, false, false, false, false
FROM experiments.enrolments n WHERE n.experiment_id = :exp;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'u-' || g, 'upgrade', now() + interval '2 minutes', '{}'
FROM generate_series(1, 200) g WHERE g % 4 = 0;

SET SESSION AUTHORIZATION regress_bi;
-- One row per attribute and enrolled unit, of the experiment's unit type,
-- set when the unit was enrolled.
SELECT a.name, a.value, count(*) AS units, min(a.unit_type) AS unit_type,
	   bool_and(a.set_at = n.enrolled_at) AS set_at_enrolment
FROM experiments.attribute_events a JOIN experiments.enrolments n ON n.unit = a.unit
GROUP BY a.name, a.value ORDER BY a.name, a.value;
SELECT value FROM experiments.attribute_events WHERE unit = 'u-3' AND name = 'plan';
-- Sliced by plan: pro, free, and the 50 units enrolled without one.
SELECT slice, slice_kind, slice_value, sum(units) AS units
FROM experiments.metric_breakdown(:exp, 'plan', min_units => 1)
WHERE metric = 'upgrade' GROUP BY 1, 2, 3 ORDER BY 1;
-- Each slice counts what its units did: the goal's units per slice, against the events.
SELECT b.slice_value, sum(b.event_units) AS upgraded,
	   (SELECT count(*) FROM experiments.goal_events g
		JOIN experiments.attribute_events a ON a.unit = g.unit AND a.name = 'plan'
		WHERE a.value #>> '{}' IS NOT DISTINCT FROM b.slice_value) AS expected
FROM experiments.metric_breakdown(:exp, 'plan', min_units => 1) b
WHERE b.metric = 'upgrade' AND b.slice_kind = 'value' GROUP BY 1 ORDER BY 1;
RESET SESSION AUTHORIZATION;

-- Over the limits of a published request: refused, nothing recorded.
SET experiments.max_events_per_request = 2;
SET experiments.max_string_length = 8;
SET SESSION AUTHORIZATION regress_shop;
SELECT variant FROM experiments.enrol('plans', 'big-1', '{"a": 1, "b": 2, "c": 3}');
SELECT variant FROM experiments.enrol('plans', 'big-2', '{"subscription": "pro"}');
-- Within them: recorded.
SELECT variant IS NOT NULL AS answered FROM experiments.enrol('plans', 'big-3', '{"a": 1, "b": 2}');
RESET SESSION AUTHORIZATION;
RESET experiments.max_events_per_request;
RESET experiments.max_string_length;
SELECT unit, count(*) AS attributes FROM experiments.attribute_events WHERE unit LIKE 'big-%' GROUP BY unit ORDER BY unit;
SELECT unit FROM experiments.enrolments WHERE unit LIKE 'big-%' ORDER BY unit;
\i sql/helpers/drop_logins.sql
