-- Shared by the regression tests: the schema regress and its helpers.
CREATE SCHEMA regress;
COMMENT ON SCHEMA regress IS 'Helpers of the regression tests; not part of the extension.';
GRANT USAGE ON SCHEMA regress TO PUBLIC;

-- attempt(): runs a statement with constraints checked at once and reports
-- 'ok' or the SQLSTATE, message and constraint of its error; the detail too,
-- except for built-in constraint errors, whose detail shows random ids.
CREATE FUNCTION regress.attempt(statement text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	state text;
	message text;
	detail text;
	constraint_name text;
BEGIN
	SET CONSTRAINTS ALL IMMEDIATE;
	EXECUTE statement;
	SET CONSTRAINTS ALL DEFERRED;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, constraint_name = CONSTRAINT_NAME;
	SET CONSTRAINTS ALL DEFERRED;
	IF constraint_name <> '' THEN
		RETURN state || ': ' || message || ' [' || constraint_name || ']';
	END IF;
	RETURN state || ': ' || message || coalesce(' (' || nullif(detail, '') || ')', '');
END;
$$;
