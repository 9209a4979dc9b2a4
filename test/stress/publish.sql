-- stress: one batch of 4 events: an exposure, a goal and an attribute stored,
-- an exposure of a variant the experiment does not have refused; the events
-- sent are counted in the same transaction
\set v random(0, 2)
BEGIN;
SELECT experiments.publish(jsonb_build_object('requests', jsonb_build_array(jsonb_build_object(
	'units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'p-' || gen_random_uuid())),
	'exposures', jsonb_build_array(
		jsonb_build_object('name', 'stress_exp', 'unit', 'user_id', 'variant', :v, 'exposedAt', now()),
		jsonb_build_object('name', 'stress_exp', 'unit', 'user_id', 'variant', 7, 'exposedAt', now())),
	'goals', jsonb_build_array(jsonb_build_object('name', 'g', 'achievedAt', now())),
	'attributes', jsonb_build_array(jsonb_build_object('name', 'age', 'value', :v, 'setAt', now()))))));
INSERT INTO stress.sent VALUES (4);
COMMIT;
