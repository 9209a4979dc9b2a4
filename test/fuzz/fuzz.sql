-- A seeded mutation fuzzer that runs inside the server (test/fuzz/run).
--
-- Valid documents (the seeds' examples: ABsmartly batches, audiences and the
-- attributes they are matched against) are mutated at random: values flipped
-- to another JSON type, fields removed, renamed and duplicated, elements
-- repeated past the limits, huge, negative and fractional numbers, long and
-- odd strings, deep nesting; and, at the text level, truncated, spliced and
-- broken escapes (\u0000, lone surrogates) that jsonb input must refuse.
-- Each case runs in its own subtransaction and must return a result or raise
-- a clean error: an error of class XX (internal error, corruption) is a
-- failure, and a crash ends the whole run. random() after setseed() is the
-- only source of randomness, so a seed replays exactly.
CREATE SCHEMA fuzz;

-- What the cases are made from.
CREATE TABLE fuzz.corpus (kind text NOT NULL, doc jsonb NOT NULL);

-- Counts of outcomes per target and SQLSTATE ('ok' for a result).
CREATE TABLE fuzz.outcomes (target text, outcome text, cases bigint,
							PRIMARY KEY (target, outcome));

-- Cases whose error was not clean, to replay.
CREATE TABLE fuzz.failures (seed integer, case_no bigint, target text, state text,
							message text, input text);

-- rnd(n): an integer in [0, n)
CREATE FUNCTION fuzz.rnd(n integer) RETURNS integer
LANGUAGE sql VOLATILE AS $$ SELECT floor(random() * n)::integer $$;

-- pick(a): one element of an array
CREATE FUNCTION fuzz.pick(a text[]) RETURNS text
LANGUAGE sql VOLATILE AS $$ SELECT a[1 + fuzz.rnd(cardinality(a))] $$;

-- odd_string(): strings that validation must measure and store correctly
CREATE FUNCTION fuzz.odd_string() RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	CASE fuzz.rnd(10)
		WHEN 0 THEN RETURN '';
		WHEN 1 THEN RETURN repeat('x', 1 + fuzz.rnd(3000));
		WHEN 2 THEN RETURN repeat('é', 600 + fuzz.rnd(100));		-- around the 640-character uid cap
		WHEN 3 THEN RETURN repeat('😀', 2040 + fuzz.rnd(20));		-- around the 2048-character cap, 4 bytes each
		WHEN 4 THEN RETURN repeat('y', 70000 + fuzz.rnd(1000));
		WHEN 5 THEN RETURN fuzz.pick(ARRAY['now', 'infinity', '-infinity', 'NaN', 'null', 'true',
			'2020-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999+23:59',
			'2018-02-12T17:29:02', '2018-02-12T17:29:02.Z', '2018-02-12T17:29:02+24:00',
			'2018-02-12T17:29:02.1234567890123Z', '1609244179528', '  1 ', '-0', '1e400']);
		WHEN 6 THEN RETURN 'e' || chr(769) || chr(8238) || chr(65279) || chr(65535) || chr(1114111);
		WHEN 7 THEN RETURN repeat('\', fuzz.rnd(50)) || repeat('"', fuzz.rnd(5));
		WHEN 8 THEN RETURN chr(1 + fuzz.rnd(31)) || 'control';
		ELSE RETURN 'user_id';
	END CASE;
END;
$$;

-- odd_number(): numbers at and past every bound
CREATE FUNCTION fuzz.odd_number() RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
	SELECT fuzz.pick(ARRAY['0', '-0', '-1', '1', '0.5', '-0.5', '1.0', '128', '129', '500', '501',
		'2147483647', '2147483648', '-2147483649', '9223372036854775807', '9223372036854775808',
		'-9223372036854775809', '253402300799999', '253402300800000', '1e400', '-1e400', '1e-400',
		'123456789012345678901234567890', '0.000000000000000000001', '1609244179528.5', '3.0e2',
		'99999999999999999999999999999999999999999999999999'])::jsonb
$$;

-- nested(levels, core): core wrapped in that many arrays or objects
CREATE FUNCTION fuzz.nested(levels integer, core jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	as_object boolean := fuzz.rnd(2) = 0;
BEGIN
	-- Built as text: jsonb_build_* would recurse once per level.
	IF as_object THEN
		RETURN (repeat('{"a": ', levels) || core::text || repeat('}', levels))::jsonb;
	END IF;
	RETURN (repeat('[', levels) || core::text || repeat(']', levels))::jsonb;
END;
$$;

-- odd_value(): any hostile JSON value
CREATE FUNCTION fuzz.odd_value() RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	CASE fuzz.rnd(9)
		WHEN 0 THEN RETURN to_jsonb(fuzz.odd_string());
		WHEN 1 THEN RETURN fuzz.odd_number();
		WHEN 2 THEN RETURN fuzz.pick(ARRAY['null', 'true', 'false', '{}', '[]', '""', '[null]', '{"": null}'])::jsonb;
		WHEN 3 THEN RETURN fuzz.nested(1 + fuzz.rnd(40), fuzz.odd_number());
		WHEN 4 THEN RETURN fuzz.nested(1 + fuzz.rnd(5000), '1');
		WHEN 5 THEN RETURN (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 1 + fuzz.rnd(2000)) i);
		WHEN 6 THEN RETURN (SELECT jsonb_agg(i) FROM generate_series(1, 1 + fuzz.rnd(20000)) i);
		WHEN 7 THEN RETURN to_jsonb(fuzz.odd_string()) || '[1]'::jsonb;
		ELSE RETURN to_jsonb(fuzz.rnd(1000000) - 500000);
	END CASE;
END;
$$;

-- paths(doc): the path of every value inside a document
CREATE FUNCTION fuzz.paths(doc jsonb) RETURNS SETOF text[]
LANGUAGE sql STABLE AS $$
	WITH RECURSIVE walk(path, value) AS (
		SELECT ARRAY[]::text[], doc
		UNION ALL
		SELECT w.path || c.key, c.value
		FROM walk w,
			 LATERAL (SELECT e.key, e.value FROM jsonb_each(CASE jsonb_typeof(w.value) WHEN 'object' THEN w.value END) e
					  UNION ALL
					  SELECT (a.n - 1)::text, a.value
					  FROM jsonb_array_elements(CASE jsonb_typeof(w.value) WHEN 'array' THEN w.value END)
						   WITH ORDINALITY a(value, n)) c
		WHERE cardinality(w.path) < 12
	)
	SELECT path FROM walk WHERE cardinality(path) > 0
$$;

-- mutate(doc): one structural mutation at a random place of the document
CREATE FUNCTION fuzz.mutate(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	path text[];
	parent text[];
	value jsonb;
	n integer;
BEGIN
	SELECT p INTO path FROM fuzz.paths(doc) p ORDER BY random() LIMIT 1;
	IF path IS NULL THEN
		RETURN fuzz.odd_value();
	END IF;
	parent := path[1:cardinality(path) - 1];
	value := doc #> path;
	CASE fuzz.rnd(9)
		WHEN 0, 1 THEN		-- another type, a number past a bound, an odd string
			RETURN jsonb_set(doc, path, fuzz.odd_value());
		WHEN 2 THEN			-- a field or element gone
			RETURN doc #- path;
		WHEN 3 THEN			-- an element repeated, past the 500-request and 1000-event caps too
			IF jsonb_typeof(doc #> parent) = 'array' THEN
				n := fuzz.pick(ARRAY['1', '2', '127', '128', '499', '500', '501', '1001'])::integer;
				RETURN CASE WHEN cardinality(parent) = 0 THEN
							(SELECT jsonb_agg(value) FROM generate_series(1, n)) || doc
						ELSE jsonb_set(doc, parent, (SELECT jsonb_agg(value) FROM generate_series(1, n)) || (doc #> parent)) END;
			END IF;
			RETURN jsonb_set(doc, path, jsonb_build_array(value, value));
		WHEN 4 THEN			-- a field renamed, as a typo or another case
			IF jsonb_typeof(doc #> parent) = 'object' THEN
				RETURN jsonb_set(doc #- path, parent || (CASE fuzz.rnd(3) WHEN 0 THEN upper(path[cardinality(path)])
					WHEN 1 THEN path[cardinality(path)] || '_' ELSE fuzz.odd_string() END), value);
			END IF;
			RETURN jsonb_set(doc, path, 'null');
		WHEN 5 THEN			-- a value wrapped deep
			RETURN jsonb_set(doc, path, fuzz.nested(1 + fuzz.rnd(100), value));
		WHEN 6 THEN			-- a value as a string of itself ("1", "true", "{...}")
			RETURN jsonb_set(doc, path, to_jsonb(value #>> '{}'));
		WHEN 7 THEN			-- the whole document inside itself
			RETURN jsonb_set(doc, path, doc);
		ELSE				-- a sibling field copied under this one's name
			IF jsonb_typeof(doc #> parent) = 'object' THEN
				SELECT e.value INTO value FROM jsonb_each(doc #> parent) e ORDER BY random() LIMIT 1;
			END IF;
			RETURN jsonb_set(doc, path, value);
	END CASE;
END;
$$;

-- mutate_text(t): the document's text damaged; the caller casts it to jsonb
CREATE FUNCTION fuzz.mutate_text(t text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	at integer := 1 + fuzz.rnd(length(t));
BEGIN
	CASE fuzz.rnd(8)
		WHEN 0 THEN RETURN left(t, at);										-- truncated
		WHEN 1 THEN RETURN left(t, at) || substr(t, 1 + fuzz.rnd(length(t)), fuzz.rnd(40)) || substr(t, at + 1);
		WHEN 2 THEN RETURN left(t, at) || fuzz.pick(ARRAY['\u0000', '\ud800', '\udc00\ud800', '\u00', '\x41',
			'\', '"', '\uDBFF\uDFFF', '\uFFFF', ',', ':', '}', ']', '{', '[', 'NaN', 'Infinity',
			'-', '.', 'e', '01', '1e', chr(0 + 1)]) || substr(t, at + 1);
		WHEN 3 THEN RETURN regexp_replace(t, '(\d+)', '\1' || fuzz.pick(ARRAY['e999999', 'e-999999', '.5', '000000000000000000000']));
		WHEN 4 THEN RETURN regexp_replace(t, '\{', '{"units": 1, "units": ', 'g');	-- duplicate keys: the last wins
		WHEN 5 THEN RETURN regexp_replace(t, '"(\w+)":', '"\1": null, "\1":');
		WHEN 6 THEN RETURN repeat('[', 1 + fuzz.rnd(10000)) || t;
		ELSE RETURN replace(t, '"', '');
	END CASE;
END;
$$;

-- record_outcome(target, outcome)
CREATE FUNCTION fuzz.record_outcome(target text, outcome text) RETURNS void
LANGUAGE sql VOLATILE AS $$
	INSERT INTO fuzz.outcomes VALUES (target, outcome, 1)
	ON CONFLICT (target, outcome) DO UPDATE SET cases = fuzz.outcomes.cases + 1
$$;

-- one_case(seed, case_no): builds one case, runs it, records its outcome
CREATE FUNCTION fuzz.one_case(seed integer, case_no bigint) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	target text;
	doc jsonb;
	input text;
	other jsonb;
	state text;
	message text;
	kind integer := fuzz.rnd(100);
BEGIN
	target := CASE WHEN kind < 60 THEN 'publish' WHEN kind < 70 THEN 'publish (text)'
				   WHEN kind < 80 THEN 'audience_is_valid' WHEN kind < 90 THEN 'audience_matches'
				   ELSE 'assign' END;
	SELECT c.doc INTO doc FROM fuzz.corpus c
	WHERE c.kind = CASE WHEN target LIKE 'publish%' THEN 'batch' WHEN target = 'assign' THEN 'attributes'
						ELSE 'audience' END
	ORDER BY random() LIMIT 1;
	FOR i IN 1 .. 1 + fuzz.rnd(3) LOOP
		doc := fuzz.mutate(doc);
	END LOOP;
	input := doc::text;
	BEGIN
		CASE target
			WHEN 'publish' THEN
				PERFORM experiments.publish(doc, CASE WHEN fuzz.rnd(4) = 0 THEN fuzz.odd_string() END);
			WHEN 'publish (text)' THEN
				input := fuzz.mutate_text(input);
				PERFORM experiments.publish(input::jsonb);
			WHEN 'audience_is_valid' THEN
				PERFORM experiments.audience_is_valid(doc);
			WHEN 'audience_matches' THEN
				SELECT c.doc INTO other FROM fuzz.corpus c WHERE c.kind = 'attributes' ORDER BY random() LIMIT 1;
				IF fuzz.rnd(2) = 0 THEN
					other := fuzz.mutate(other);
				END IF;
				input := input || ' / ' || other::text;
				PERFORM experiments.audience_matches(doc, other);
			ELSE
				other := to_jsonb(CASE fuzz.rnd(3) WHEN 0 THEN fuzz.odd_string() ELSE 'u' || fuzz.rnd(1000) END);
				input := other::text || ' / ' || input;
				PERFORM experiments.assign(CASE fuzz.rnd(4) WHEN 0 THEN fuzz.odd_string() WHEN 1 THEN 'fuzz_plain'
										   ELSE 'fuzz_audience' END, other #>> '{}', doc);
		END CASE;
		PERFORM fuzz.record_outcome(target, 'ok');
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
		PERFORM fuzz.record_outcome(target, state);
		IF state LIKE 'XX%' THEN
			INSERT INTO fuzz.failures VALUES (seed, case_no, target, state, message, left(input, 4000));
		END IF;
	END;
END;
$$;

-- run(seed, cases): the cases, committed every 500 so that no transaction
-- grows without bound
CREATE PROCEDURE fuzz.run(seed integer, cases integer, tenant uuid)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM setseed((seed % 1000000) / 1000000.0);
	FOR case_no IN 1 .. cases LOOP
		IF case_no % 500 = 1 THEN
			PERFORM experiments.set_tenant(tenant);
		END IF;
		PERFORM fuzz.one_case(seed, case_no);
		IF case_no % 500 = 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END;
$$;
