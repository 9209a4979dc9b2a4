-- Shared by the suites that compare results computed two ways (\i
-- sql/helpers/numbers_differ.sql): pg_temp.differences(a, b) names the keys
-- of the JSON object a whose values differ from b's, numbers counting as the
-- same within 1e-9 relative (sums of floats in another order).
CREATE FUNCTION pg_temp.differences(a jsonb, b jsonb) RETURNS text[] LANGUAGE sql AS $$
	SELECT array_agg(x.k ORDER BY x.k) FROM jsonb_each(a) x(k, v)
	WHERE x.v IS DISTINCT FROM b -> x.k
	  AND NOT coalesce(jsonb_typeof(x.v) = 'number' AND jsonb_typeof(b -> x.k) = 'number'
		AND abs((x.v #>> '{}')::float8 - (b ->> x.k)::float8) <= 1e-9 * greatest(abs((x.v #>> '{}')::float8), 1e-300), false)
$$;
