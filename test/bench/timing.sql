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

-- CPU seconds this backend has run so far (/proc/self/schedstat, first
-- field, nanoseconds): unlike wall-clock time, not stretched by other
-- processes waiting for the same cores.
CREATE FUNCTION bench.cpu_seconds()
RETURNS double precision
LANGUAGE sql
AS $$
	SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::double precision / 1e9
$$;

-- Two queries run alternately, runs times each, so that a change of load on
-- the machine falls on both: the best wall-clock and the best CPU seconds of
-- each, as {wall a, wall b, cpu a, cpu b}.
CREATE FUNCTION bench.best_pair(query_a text, query_b text, runs integer DEFAULT 5)
RETURNS double precision[]
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	best double precision[] := ARRAY['Infinity', 'Infinity', 'Infinity', 'Infinity']::double precision[];
	query text;
	started timestamptz;
	cpu double precision;
BEGIN
	FOR i IN 1 .. runs LOOP
		FOR q IN 1 .. 2 LOOP
			query := CASE q WHEN 1 THEN query_a ELSE query_b END;
			started := clock_timestamp();
			cpu := bench.cpu_seconds();
			EXECUTE query;
			best[q + 2] := least(best[q + 2], bench.cpu_seconds() - cpu);
			best[q] := least(best[q], extract(epoch FROM clock_timestamp() - started)::double precision);
		END LOOP;
	END LOOP;
	RETURN best;
END;
$$;
