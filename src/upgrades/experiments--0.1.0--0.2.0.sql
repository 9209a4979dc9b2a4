-- experiments 0.1.0 -> 0.2.0: event partitions get indexes of their own
-- instead of the parents' partitioned indexes, so that pg_restore can
-- re-create monthly partitions (src/events.sql, test/scripts/dump_restore.sh);
-- publish_text(), which checks the size cap before parsing (test/scripts/limits.sh).
\echo Use "ALTER EXTENSION experiments UPDATE TO '0.2.0'" to load this file. \quit

CREATE FUNCTION experiments.create_event_partition_indexes(tbl text, part text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	time_column text;
	key_columns text;
BEGIN
	SELECT substring(pg_catalog.pg_get_partkeydef(p.partrelid) FROM '^RANGE \((\w+)\)$') INTO time_column
	FROM pg_catalog.pg_partitioned_table p
	WHERE p.partrelid = format('experiments.%I', tbl)::regclass;
	key_columns := CASE tbl
		WHEN 'exposures' THEN 'experiment_id, unit'
		WHEN 'campaign_activations' THEN 'experiment_id, visitor_id'
		WHEN 'goal_events' THEN 'tenant_id, unit'
		WHEN 'attribute_events' THEN 'tenant_id, unit'
		WHEN 'transaction_items' THEN 'tenant_id, transaction_id'
		ELSE 'tenant_id, visitor_id' END;
	EXECUTE format('CREATE INDEX %I ON experiments.%I USING brin (%I)', part || '_time_idx', part, time_column);
	EXECUTE format('CREATE INDEX %I ON experiments.%I (%s)', part || '_unit_idx', part, key_columns);
	-- A transaction id is stored once per tenant: the check looks it up here.
	IF tbl = 'transactions' THEN
		EXECUTE format('CREATE INDEX %I ON experiments.%I (tenant_id, transaction_id)', part || '_id_idx', part);
	END IF;
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_event_partition_indexes(text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_event_partition_indexes(text, text) IS
'Part of create_event_partitions(): creates the indexes of one partition of an event table (time, unit, and the transaction id of transactions).';

CREATE OR REPLACE FUNCTION experiments.create_event_partition(tbl text, time_column text, part text, month date)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	lo timestamptz := month::timestamp AT TIME ZONE 'UTC';
	hi timestamptz := (month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
	EXECUTE format('CREATE TABLE experiments.%I (LIKE experiments.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
				   part, tbl);
	EXECUTE format('WITH moved AS (DELETE FROM experiments.%I WHERE %I >= %L AND %I < %L RETURNING *)'
				   ' INSERT INTO experiments.%I SELECT * FROM moved',
				   tbl || '_default', time_column, lo, time_column, hi, part);
	PERFORM experiments.create_event_partition_indexes(tbl, part);
	EXECUTE format('ALTER TABLE experiments.%I ATTACH PARTITION experiments.%I FOR VALUES FROM (%L) TO (%L)',
				   tbl, part, lo, hi);
	EXECUTE format('COMMENT ON TABLE experiments.%I IS %L', part,
				   format('Rows of experiments.%s with %s in [%s, %s).', tbl, time_column, lo, hi));
END;
$$;
REVOKE ALL ON FUNCTION experiments.create_event_partition(text, text, text, date) FROM PUBLIC;
COMMENT ON FUNCTION experiments.create_event_partition(text, text, text, date) IS
'Part of create_event_partitions(): creates one monthly partition, moves the rows of its month out of the default partition into it, and attaches it.';

-- Dropping a partitioned index drops the indexes of every partition with it.
DROP INDEX experiments.transactions_id_idx;
DO $$
DECLARE
	tbl text;
	part text;
BEGIN
	FOREACH tbl IN ARRAY ARRAY['exposures', 'goal_events', 'attribute_events', 'campaign_activations',
							   'actions', 'custom_events', 'transactions', 'transaction_items', 'visits']
	LOOP
		EXECUTE format('DROP INDEX experiments.%I, experiments.%I', tbl || '_time_idx', tbl || '_unit_idx');
		FOR part IN
			SELECT c.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = format('experiments.%I', tbl)::regclass
		LOOP
			PERFORM experiments.create_event_partition_indexes(tbl, part);
		END LOOP;
	END LOOP;
END;
$$;

CREATE FUNCTION experiments.publish_text(body text, idempotency_key text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'publish_text'
LANGUAGE C VOLATILE
SET search_path = experiments, pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION experiments.publish_text(text, text) FROM PUBLIC;
COMMENT ON FUNCTION experiments.publish_text(text, text) IS
'publish() for a batch sent as JSON text, as an HTTP body arrives: a body over experiments.max_batch_size is refused before it is parsed, so it costs neither the time nor the memory of parsing it. The answer and the idempotency are those of publish(); the same document sent to either function is the same batch.';
