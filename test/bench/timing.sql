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

-- Two queries run in rounds, runs rounds, so that a change of load on the
-- machine falls on both: a first then b in odd rounds, b then a in even
-- ones, so that neither always runs warmer. Each round's wall-clock and CPU
-- seconds of each query.
CREATE FUNCTION bench.paired_runs(query_a text, query_b text, runs integer)
RETURNS TABLE (round integer, wall_a double precision, wall_b double precision,
			   cpu_a double precision, cpu_b double precision)
LANGUAGE plpgsql
SET search_path = experiments, pg_catalog, pg_temp
AS $$
DECLARE
	started timestamptz;
	cpu double precision;
	wall double precision[];
	cpus double precision[];
BEGIN
	FOR i IN 1 .. runs LOOP
		wall := '{0, 0}';
		cpus := '{0, 0}';
		FOR step IN 1 .. 2 LOOP
			DECLARE
				q integer := CASE WHEN (step = 1) = (i % 2 = 1) THEN 1 ELSE 2 END;
			BEGIN
				started := clock_timestamp();
				cpu := bench.cpu_seconds();
				EXECUTE CASE q WHEN 1 THEN query_a ELSE query_b END;
				cpus[q] := bench.cpu_seconds() - cpu;
				wall[q] := extract(epoch FROM clock_timestamp() - started)::double precision;
			END;
		END LOOP;
		round := i;
		wall_a := wall[1];
		wall_b := wall[2];
		cpu_a := cpus[1];
		cpu_b := cpus[2];
		RETURN NEXT;
	END LOOP;
END;
$$;

-- The best wall-clock and the best CPU seconds of each of two queries run
-- in rounds (bench.paired_runs()), as {wall a, wall b, cpu a, cpu b}.
CREATE FUNCTION bench.best_pair(query_a text, query_b text, runs integer DEFAULT 5)
RETURNS double precision[]
LANGUAGE sql
AS $$
	SELECT ARRAY[min(wall_a), min(wall_b), min(cpu_a), min(cpu_b)]
	FROM bench.paired_runs(query_a, query_b, runs)
$$;

-- Query b against query a, run in rounds (bench.paired_runs()), per row of
-- rows: the median wall-clock and CPU nanoseconds of each, and the ratios
-- b / a of each round, wall-clock and CPU: their median, quartiles and range.
-- A ratio is taken within a round, so that load which changes between
-- rounds falls on both of its terms.
CREATE FUNCTION bench.compare_pair(query_a text, query_b text, rows bigint, runs integer DEFAULT 11)
RETURNS TABLE (rounds integer, ns_a double precision, ns_b double precision,
			   cpu_ns_a double precision, cpu_ns_b double precision,
			   ratio double precision, ratio_q1 double precision, ratio_q3 double precision,
			   ratio_min double precision, ratio_max double precision,
			   cpu_ratio double precision, cpu_ratio_q1 double precision, cpu_ratio_q3 double precision,
			   cpu_ratio_min double precision, cpu_ratio_max double precision)
LANGUAGE sql
AS $$
	SELECT count(*)::integer,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY wall_a) * 1e9 / rows,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY wall_b) * 1e9 / rows,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_a) * 1e9 / rows,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_b) * 1e9 / rows,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY wall_b / wall_a),
		percentile_cont(0.25) WITHIN GROUP (ORDER BY wall_b / wall_a),
		percentile_cont(0.75) WITHIN GROUP (ORDER BY wall_b / wall_a),
		min(wall_b / wall_a), max(wall_b / wall_a),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_b / cpu_a),
		percentile_cont(0.25) WITHIN GROUP (ORDER BY cpu_b / cpu_a),
		percentile_cont(0.75) WITHIN GROUP (ORDER BY cpu_b / cpu_a),
		min(cpu_b / cpu_a), max(cpu_b / cpu_a)
	FROM bench.paired_runs(query_a, query_b, runs)
$$;

-- The verdict on a ratio's target from its rounds: met when even the upper
-- quartile is within it, not met when even the lower quartile is beyond it,
-- undecided otherwise (the load moved the ratios across the target), with
-- the quartiles and the range that say so.
CREATE FUNCTION bench.verdict(target double precision, q1 double precision, q3 double precision,
							  low double precision, high double precision, rounds integer)
RETURNS text
LANGUAGE sql
AS $$
	SELECT format('<= %s: %s (%s rounds: quartiles %s-%s, range %s-%s)', target,
		CASE WHEN q3 <= target THEN 'met' WHEN q1 > target THEN 'not met' ELSE 'undecided' END,
		rounds, round(q1::numeric, 2), round(q3::numeric, 2), round(low::numeric, 2), round(high::numeric, 2))
$$;

-- RESULT lines (test/bench/run) of query b against query a over rows rows
-- (bench.compare_pair()): wall-clock against target, then CPU time, its
-- verdict for information.
CREATE FUNCTION bench.pair_results(measure text, baseline text, query_a text, query_b text,
								   rows bigint, target double precision, runs integer DEFAULT 11)
RETURNS SETOF text
LANGUAGE sql
AS $$
	SELECT unnest(ARRAY[
		format(E'RESULT\t%s, median per unit (%s rows)\t%s\tns\t%s\t%s\t%s\t%s', measure, rows,
			round(c.ns_b::numeric, 1), baseline, round(c.ns_a::numeric, 1), round(c.ratio::numeric, 2),
			bench.verdict(target, c.ratio_q1, c.ratio_q3, c.ratio_min, c.ratio_max, c.rounds)),
		format(E'RESULT\t%s, CPU time, median per unit (%s rows)\t%s\tns\t%s, CPU time\t%s\t%s\t(informative) %s',
			measure, rows, round(c.cpu_ns_b::numeric, 1), baseline, round(c.cpu_ns_a::numeric, 1),
			round(c.cpu_ratio::numeric, 2),
			bench.verdict(target, c.cpu_ratio_q1, c.cpu_ratio_q3, c.cpu_ratio_min, c.cpu_ratio_max, c.rounds))])
	FROM bench.compare_pair(query_a, query_b, rows, runs) c
$$;
