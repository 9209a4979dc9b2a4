-- The audience condition language, operator by operator, as assignment
-- evaluates it (audience_matches() runs the same compiled evaluator).
-- Run as an operator (regress_ops, a member of experiments_admin), who writes audiences.
\i sql/helpers/logins.sql
SET SESSION AUTHORIZATION regress_ops;
SELECT c AS condition, a AS attributes, experiments.audience_matches(c::jsonb, a::jsonb) AS matches
FROM (VALUES
	('{}', '{}'),
	('{"attr": "country", "op": "eq", "value": "FR"}', '{"country": "FR"}'),
	('{"attr": "country", "op": "eq", "value": "FR"}', '{"country": "fr"}'),
	('{"attr": "age", "op": "eq", "value": 30}', '{"age": 30.0}'),
	('{"attr": "age", "op": "eq", "value": 30}', '{"age": "30"}'),
	('{"attr": "vip", "op": "eq", "value": true}', '{"vip": true}'),
	('{"attr": "vip", "op": "eq", "value": null}', '{"vip": null}'),
	('{"attr": "country", "op": "ne", "value": "FR"}', '{"country": "DE"}'),
	('{"attr": "country", "op": "ne", "value": "FR"}', '{}'),
	('{"attr": "country", "op": "in", "value": ["FR", "DE"]}', '{"country": "DE"}'),
	('{"attr": "country", "op": "in", "value": ["FR", "DE"]}', '{"country": "US"}'),
	('{"attr": "country", "op": "in", "value": []}', '{"country": "US"}'),
	('{"attr": "country", "op": "nin", "value": ["FR", "DE"]}', '{"country": "US"}'),
	('{"attr": "country", "op": "nin", "value": ["FR", "DE"]}', '{}'),
	('{"attr": "age", "op": "gt", "value": 17}', '{"age": 18}'),
	('{"attr": "age", "op": "gt", "value": 17}', '{"age": 17}'),
	('{"attr": "age", "op": "gte", "value": 17}', '{"age": 17}'),
	('{"attr": "age", "op": "lt", "value": 1e3}', '{"age": 999.5}'),
	('{"attr": "age", "op": "lte", "value": 17}', '{"age": "16"}'),
	('{"attr": "name", "op": "gt", "value": "b"}', '{"name": "c"}'),
	('{"attr": "name", "op": "lt", "value": "Z"}', '{"name": "a"}'),
	('{"attr": "plan", "op": "exists"}', '{"plan": null}'),
	('{"attr": "plan", "op": "exists"}', '{}'),
	('{"attr": "plan", "op": "exists", "value": false}', '{}'),
	('{"attr": "email", "op": "regex", "value": "@example\\.com$"}', '{"email": "ann@example.com"}'),
	('{"attr": "email", "op": "regex", "value": "@example\\.com$"}', '{"email": "ann@example.org"}'),
	('{"attr": "email", "op": "regex", "value": "^ann"}', '{"email": 42}'),
	('{"attr": "city", "op": "regex", "value": "^Zürich|^Genève"}', '{"city": "Genève"}'),
	('{"attr": "app", "op": "version_gt", "value": "2.9"}', '{"app": "2.10"}'),
	('{"attr": "app", "op": "version_gt", "value": "2.10"}', '{"app": "2.9.9"}'),
	('{"attr": "app", "op": "version_eq", "value": "1.2"}', '{"app": "1.2.0"}'),
	('{"attr": "app", "op": "version_eq", "value": "1.02"}', '{"app": "1.2"}'),
	('{"attr": "app", "op": "version_gte", "value": "3.0.0"}', '{"app": "3.0.0-beta"}'),
	('{"attr": "app", "op": "version_lt", "value": "3.0.0"}', '{"app": "3.0.0-beta"}'),
	('{"attr": "app", "op": "version_lt", "value": "3.0.0-beta"}', '{"app": "3.0.0-alpha"}'),
	('{"attr": "app", "op": "version_gt", "value": "3.0.0-rc.1"}', '{"app": "3.0.1-alpha"}'),
	('{"attr": "app", "op": "version_lte", "value": 10}', '{"app": "9.99"}'),
	('{"attr": "app", "op": "version_ne", "value": "1.0"}', '{}'),
	('{"and": [{"attr": "a", "op": "eq", "value": 1}, {"attr": "b", "op": "eq", "value": 2}]}', '{"a": 1, "b": 2}'),
	('{"and": [{"attr": "a", "op": "eq", "value": 1}, {"attr": "b", "op": "eq", "value": 2}]}', '{"a": 1, "b": 3}'),
	('{"or": [{"attr": "a", "op": "eq", "value": 1}, {"attr": "b", "op": "eq", "value": 2}]}', '{"a": 0, "b": 2}'),
	('{"not": {"attr": "a", "op": "eq", "value": 1}}', '{"a": 1}'),
	('{"not": {"or": [{"attr": "a", "op": "exists"}, {"attr": "b", "op": "exists"}]}}', '{"c": 1}'),
	('{"attr": "a", "op": "eq", "value": 1}', '[1, 2]')
) AS t(c, a);

-- Malformed conditions are refused with the place and the reason.
SELECT c AS condition, regress.attempt(format('SELECT experiments.audience_is_valid(%L)', c)) AS result
FROM (VALUES
	('{"attr": "a"}'),
	('{"attr": "", "op": "eq", "value": 1}'),
	('{"attr": "a", "op": "like", "value": "x%"}'),
	('{"attr": "a", "op": "eq"}'),
	('{"attr": "a", "op": "eq", "value": [1]}'),
	('{"attr": "a", "op": "in", "value": [[1]]}'),
	('{"attr": "a", "op": "exists", "value": "yes"}'),
	('{"attr": "a", "op": "regex", "value": 5}'),
	('{"attr": "a", "op": "regex", "value": "a{2,1}"}'),
	('{"attr": "a", "op": "version_gt", "value": true}'),
	('{"attr": "a", "op": "eq", "value": 1, "extra": 2}'),
	('{"and": [{"attr": "a", "op": "eq", "value": 1}], "or": []}'),
	('{"or": {"attr": "a", "op": "eq", "value": 1}}'),
	('{"or": [1]}'),
	('{"not": [{"attr": "a", "op": "exists"}]}'),
	('{"and": [{"not": {"and": [{"attr": "a", "op": "eq", "value": 1}, {"or": [{"attr": "b", "op": "lt", "value": 2}, {"attr": "c", "op": "regex", "value": "("}]}]}}]}'),
	('"just a string"')
) AS t(c);

-- Nesting is bounded: 32 levels are accepted, 33 are refused.
SELECT regress.attempt(format('SELECT experiments.audience_is_valid(%L)',
	repeat('{"not": ', 31) || '{"attr": "a", "op": "exists"}' || repeat('}', 31))) AS depth_32,
	   regress.attempt(format('SELECT experiments.audience_is_valid(%L)',
	repeat('{"not": ', 32) || '{"attr": "a", "op": "exists"}' || repeat('}', 32))) AS depth_33;
\i sql/helpers/drop_logins.sql
