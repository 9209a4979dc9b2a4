-- stress: enrols a unit and logs the answer with the catalog version the
-- transaction sees (one snapshot for both: repeatable read)
\set u random(1, 3000)
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO stress.enrol_log (version, unit, ordinal, reason)
SELECT e.version, r.unit, r.ordinal, r.reason
FROM experiments.experiments e,
	 LATERAL (SELECT 'unit-' || :u AS unit, a.ordinal, a.reason::text
			  FROM experiments.enrol('stress_exp', 'unit-' || :u) a) r
WHERE e.key = 'stress_exp';
COMMIT;
