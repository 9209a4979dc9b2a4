-- Timing helpers of the benchmarks: wall-clock seconds of a query, run
-- several times in the calling backend.
CREATE SCHEMA IF NOT EXISTS bench;

-- Wall-clock seconds of each of several runs of a query.
CREATE FUNCTION bench.run_seconds(query text, runs integer DEFAULT 3)
RETURNS double precision[]
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	times double precision[] := '{}';
	started timestamptz;
BEGIN
	FOR i IN 1 .. runs LOOP
		started := clock_timestamp();
		EXECUTE query;
		times := times || extract(epoch FROM clock_timestamp() - started)::double precision;
	END LOOP;
	RETURN times;
END;
$$;

-- Best wall-clock seconds of a query over several runs.
CREATE FUNCTION bench.best_seconds(query text, runs integer DEFAULT 3)
RETURNS double precision
LANGUAGE sql
AS $$
	SELECT min(t) FROM unnest(bench.run_seconds(query, runs)) t
$$;
