-- experiments: JSON documents. Helpers the management APIs share to read the
-- documents clients send and to write the ones they get back.

CREATE FUNCTION experiments_internal.parse_timestamp(value text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
BEGIN
	RETURN value::timestamptz;
EXCEPTION
	WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_time_zone_displacement_value THEN
		RETURN NULL;
END;
$$;
COMMENT ON FUNCTION experiments_internal.parse_timestamp(text) IS
'A timestamp read from a document (ISO 8601, e.g. 2015-04-01T11:30:15.000Z), or NULL when the text is not one.';

CREATE FUNCTION experiments_internal.json_timestamp(ts timestamptz)
RETURNS text
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
$$;
COMMENT ON FUNCTION experiments_internal.json_timestamp(timestamptz) IS
'A timestamp as documents carry it: UTC, milliseconds, e.g. 2015-04-01T11:30:15.000Z.';

CREATE FUNCTION experiments_internal.malformed_property(document jsonb, types jsonb)
RETURNS text
LANGUAGE sql STABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT t.key
	FROM jsonb_each_text(types) AS t(key, expected)
	WHERE document ? t.key AND jsonb_typeof(document -> t.key) <> 'null'
	  AND CASE t.expected
			WHEN 'string[]' THEN jsonb_typeof(document -> t.key) <> 'array'
				OR EXISTS (SELECT 1 FROM jsonb_array_elements(document -> t.key) e
						   WHERE jsonb_typeof(e) <> 'string')
			WHEN 'timestamp' THEN jsonb_typeof(document -> t.key) <> 'string'
				OR experiments_internal.parse_timestamp(document ->> t.key) IS NULL
			ELSE jsonb_typeof(document -> t.key) <> t.expected
		  END
	ORDER BY t.key
	LIMIT 1;
$$;
COMMENT ON FUNCTION experiments_internal.malformed_property(jsonb, jsonb) IS
'The first property of a document whose value is not of the expected type ({"name": "string", "tags": "string[]", "start": "timestamp", ...}: JSON types, string[] or timestamp), or NULL when all are; null values and absent properties pass.';

CREATE FUNCTION experiments_internal.json_text_array(value jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT coalesce(array_agg(e ORDER BY n), '{}') FROM jsonb_array_elements_text(value) WITH ORDINALITY AS x(e, n);
$$;
COMMENT ON FUNCTION experiments_internal.json_text_array(jsonb) IS
'A JSON array of strings as a text[] (empty for NULL).';

CREATE FUNCTION experiments_internal.percent_json(bp integer)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = experiments, pg_catalog, pg_temp
AS $$
	SELECT to_jsonb(trim_scale(bp / 100.0));
$$;
COMMENT ON FUNCTION experiments_internal.percent_json(integer) IS
'Basis points as a JSON percentage: 2000 is 20, 1250 is 12.5.';
