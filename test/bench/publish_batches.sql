-- The batches that the publish() benchmarks send (events.sh, ingest_scale.sh):
-- :batches batches of 500 requests, each with 1 unit, an exposure to each of
-- the tenant's experiments and 2 goals, all at the time this runs. Each is
-- different (a batch sent twice is stored once). bench_publish_seq numbers
-- the next one to send. Needs psql variables batches and tenant.
CREATE TABLE bench_batches (id integer PRIMARY KEY, batch jsonb, exposures jsonb, goals jsonb);
CREATE SEQUENCE bench_publish_seq;
CREATE SEQUENCE bench_floor_seq;
INSERT INTO bench_batches (id, batch)
SELECT i, jsonb_build_object('requests', jsonb_agg(jsonb_build_object(
	'publishedAt', ms, 'hashed', true, 'historic', false,
	'units', jsonb_build_array(jsonb_build_object('type', 'user_id', 'uid', 'user-' || i || '-' || r)),
	'exposures', (SELECT jsonb_agg(jsonb_build_object('id', x.id, 'name', x.key, 'unit', 'user_id',
		'variant', (r + x.id) % 2, 'exposedAt', ms, 'assigned', true, 'eligible', true, 'overridden', false,
		'fullOn', false, 'custom', false, 'audienceMismatch', false))
		FROM experiments.experiments x WHERE x.tenant_id = :'tenant'),
	'goals', jsonb_build_array(
		jsonb_build_object('name', 'click', 'achievedAt', ms, 'properties', '{}'::jsonb),
		jsonb_build_object('name', 'purchase', 'achievedAt', ms, 'properties', jsonb_build_object('amount', r))))))
FROM generate_series(1, :batches) i, generate_series(1, 500) r,
	 (SELECT (extract(epoch FROM now()) * 1000)::bigint AS ms) t
GROUP BY i;
