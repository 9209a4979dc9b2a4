-- stress: new weights, one of the three variants at 0 (so not assignable),
-- and the version they make logged with the variants it can assign
\set zero random(0, 2)
\set x random(1, 99)
BEGIN;
SELECT count(*) FROM experiments.set_variants('stress_exp', jsonb_build_array(
	jsonb_build_object('key', 'a', 'allocation', CASE :zero WHEN 0 THEN 0 ELSE :x END),
	jsonb_build_object('key', 'b', 'allocation', CASE :zero WHEN 1 THEN 0 WHEN 0 THEN :x ELSE 100 - :x END),
	jsonb_build_object('key', 'c', 'allocation', CASE :zero WHEN 2 THEN 0 ELSE 100 - :x END)));
INSERT INTO stress.versions (version, active)
SELECT e.version, ARRAY(SELECT v.ordinal FROM experiments.variants v
						WHERE v.experiment_id = e.id AND v.allocation_bp > 0 ORDER BY v.ordinal)
FROM experiments.experiments e WHERE e.key = 'stress_exp';
COMMIT;
