#!/usr/bin/env bash
# Fuzzing through SQL (test/fuzz/fuzz.sql): FUZZ_CASES mutated batches,
# audiences and attributes from FUZZ_SEED through publish(), audience_is_valid(),
# audience_matches() and assign(); then FUZZ_UTF8_CASES batches with broken
# UTF-8 sent as the bytes of a client's query, which the server must refuse
# before parsing. Passes when every case returned or raised a clean error
# (no SQLSTATE of class XX) and the server is still there; test/run also
# fails the run if a backend died of a signal.
#
#   make fuzz SEED=7 CASES=200000     the same, longer, on a cluster of its own
set -euo pipefail
cd "$(dirname "$0")/../.."
SEED=${FUZZ_SEED:-20251122}
CASES=${FUZZ_CASES:-20000}
UTF8_CASES=${FUZZ_UTF8_CASES:-500}
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
cluster_scratch fuzz

psql -X -q -v ON_ERROR_STOP=1 -f test/fuzz/fuzz.sql >/dev/null
psql -X -q -tA -v ON_ERROR_STOP=1 >"$work/tenant" <<'SQL'
CREATE EXTENSION experiments;
SELECT experiments.create_event_partitions(1) \g /dev/null
SELECT experiments.create_tenant('fuzz') AS tenant \gset
BEGIN;
SELECT experiments.set_tenant(:'tenant') \g /dev/null
SELECT experiments.create_experiment('exp_banner_color',
	'[{"key": "control", "allocation": 50}, {"key": "blue", "allocation": 50}]', start => true) \g /dev/null
SELECT experiments.create_experiment('fuzz_plain', '[{"key": "a", "allocation": 100}]',
	unit_type => 'device_id', start => true) \g /dev/null
SELECT experiments.create_experiment('fuzz_audience',
	'[{"key": "a", "allocation": 30}, {"key": "b", "allocation": 70}]', start => true) \g /dev/null
UPDATE experiments.experiments SET audience = '{"and": [{"attr": "country", "op": "in", "value": ["FR", "DE"]},
	{"not": {"attr": "age", "op": "lt", "value": 18}}, {"attr": "app_version", "op": "version_gte", "value": "2.10"},
	{"or": [{"attr": "email", "op": "regex", "value": "@example\\.com$"}, {"attr": "beta", "op": "exists"}]}]}'
WHERE key = 'fuzz_audience';
COMMIT;
-- Valid batches: the seed's example (from 2020, before the experiments
-- started), the same now, several requests and units, ISO times, hashed false.
INSERT INTO fuzz.corpus
SELECT 'batch', replace(replace(b, 'NOW_MS', (extract(epoch FROM now()) * 1000)::bigint::text),
						'NOW_ISO', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::jsonb
FROM unnest(ARRAY[
$${"requests": [{"hashed": true, "historic": true, "publishedAt": 1609254179600,
  "units": [{"type": "user_id", "uid": "4a42766ca6313d26f49985e799ff4f3790fb86efa0fce46edb3ea8fbf1ea3408"}],
  "exposures": [{"id": 3, "name": "exp_banner_color", "unit": "user_id", "variant": 1, "exposedAt": 1609244179528,
    "assigned": true, "eligible": true, "overridden": false, "fullOn": false, "custom": false, "audienceMismatch": false}],
  "goals": [{"name": "banner_click", "achievedAt": 1609254179528, "properties": {}}],
  "attributes": [{"name": "age", "value": 39, "setAt": 1609244179528}]}]}$$,
$${"requests": [{"hashed": true, "historic": false, "publishedAt": NOW_MS,
  "units": [{"type": "user_id", "uid": "u-1"}],
  "exposures": [{"name": "exp_banner_color", "unit": "user_id", "variant": 0, "exposedAt": NOW_MS, "assigned": true},
                {"name": "fuzz_audience", "unit": "user_id", "variant": 1, "exposedAt": NOW_MS}],
  "goals": [{"name": "purchase", "achievedAt": NOW_MS, "properties": {"amount": 12.5, "items": [1, 2], "coupon": null}}],
  "attributes": [{"name": "country", "value": "FR", "setAt": NOW_MS}, {"name": "tags", "value": ["a", {"b": true}], "setAt": NOW_MS}]}]}$$,
$${"requests": [
  {"hashed": false, "publishedAt": "NOW_ISO",
   "units": [{"type": "user_id", "uid": "alice@example.com"}, {"type": "device_id", "uid": "d-1"}],
   "exposures": [{"name": "fuzz_plain", "unit": "device_id", "variant": 0, "exposedAt": "NOW_ISO"}],
   "goals": [{"name": "signup", "achievedAt": "NOW_ISO"}]},
  {"publishedAt": NOW_MS, "units": [{"type": "user_id", "uid": "u-2"}],
   "attributes": [{"name": "age", "value": null, "setAt": NOW_MS}]},
  {"units": [{"type": "user_id", "uid": "u-3"}], "goals": [{"name": "g", "achievedAt": "2018-02-12T17:29:02+01:00"}]}]}$$,
$${"requests": [{"units": [{"type": "user_id", "uid": "u"}]}]}$$]) b;
INSERT INTO fuzz.corpus
SELECT 'audience', a::jsonb FROM unnest(ARRAY[
	'{}',
	'{"attr": "country", "op": "in", "value": ["FR", "DE"]}',
	'{"and": [{"attr": "country", "op": "eq", "value": "FR"}, {"not": {"attr": "age", "op": "lt", "value": 18}}]}',
	'{"or": [{"attr": "app_version", "op": "version_gte", "value": "2.10.0"}, {"attr": "beta", "op": "exists", "value": false}]}',
	'{"attr": "email", "op": "regex", "value": "^[a-z]+@example\\.com$"}',
	'{"attr": "plan", "op": "nin", "value": ["free", "trial"]}',
	'{"attr": "score", "op": "gte", "value": 3.5}',
	'{"attr": "app_version", "op": "version_lt", "value": "3.0.0-beta"}',
	(SELECT audience::text FROM experiments.experiments WHERE key = 'fuzz_audience')]) a;
INSERT INTO fuzz.corpus
SELECT 'attributes', a::jsonb FROM unnest(ARRAY[
	'{"country": "FR", "age": 30, "app_version": "2.10.1-beta", "beta": true, "email": "a@example.com", "plan": "pro", "score": 4}',
	'{"country": "US", "age": 17, "app_version": "1.0"}',
	'{}']) a;
SELECT :'tenant';
SQL
tenant=$(cat "$work/tenant")

start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -c "CALL fuzz.run($SEED, $CASES, '$tenant')"
psql -X -q -tA -v ON_ERROR_STOP=1 >"$work/summary" <<'SQL'
SELECT format('  %-18s %8s %s', target, sum(cases),
			  string_agg(outcome || ' ' || cases, ', ' ORDER BY cases DESC))
FROM fuzz.outcomes GROUP BY target ORDER BY target;
SQL
fuzzed=$(psql -X -tA -c "SELECT sum(cases) FROM fuzz.outcomes")
echo "fuzz: seed $SEED, $fuzzed cases in $(($(date +%s) - start)) s (target, cases, outcomes by SQLSTATE):"
cat "$work/summary"
failures=$(psql -X -tA -c "SELECT count(*) FROM fuzz.failures")
if [ "$failures" -ne 0 ]; then
	psql -X -c "SELECT case_no, target, state, message, left(input, 300) AS input FROM fuzz.failures ORDER BY case_no LIMIT 20"
	echo "fuzz: $failures case(s) raised an internal error; replay with FUZZ_SEED=$SEED"
	exit 1
fi
[ "$fuzzed" -eq "$CASES" ] || { echo "fuzz: $fuzzed outcomes recorded for $CASES cases"; exit 1; }

# Broken UTF-8 never reaches jsonb input: the server refuses the query text.
# Each statement is a valid batch with one malformed sequence spliced in:
# a stray byte, an overlong encoding, a surrogate, a code point past U+10FFFF,
# a truncated sequence, a lone continuation byte.
psql -X -q -tA -v ON_ERROR_STOP=1 -c "
	SELECT setseed(($SEED % 1000000) / 1000000.0);
	SELECT encode(convert_to('SELECT experiments.publish(''', 'UTF8') || convert_to(left(t, p), 'UTF8')
				  || decode(fuzz.pick(ARRAY['ff', 'c080', 'eda080', 'f4908080', 'e282', '80', 'fe', 'c3', 'f8888080']), 'hex')
				  || convert_to(substr(t, p + 1), 'UTF8') || convert_to(''');', 'UTF8'), 'hex')
	FROM (SELECT doc::text AS t, 1 + fuzz.rnd(length(doc::text)) AS p
		  FROM fuzz.corpus, generate_series(1, $UTF8_CASES) WHERE kind = 'batch' ORDER BY random() LIMIT $UTF8_CASES) c" |
	tail -n +2 | while read -r hex; do
		printf '%b\n' "$(sed 's/../\\x&/g' <<<"$hex")"
	done >"$work/utf8.sql"
echo "SELECT 'still here';" >>"$work/utf8.sql"
PGOPTIONS='-c experiments.tenant='"$tenant" psql -X -tA -f "$work/utf8.sql" >"$work/utf8.out" 2>&1 || true
refused=$(grep -c 'invalid byte sequence for encoding "UTF8"' "$work/utf8.out" || true)
if [ "$refused" -ne "$UTF8_CASES" ] || ! grep -q '^still here$' "$work/utf8.out"; then
	echo "fuzz: $refused of $UTF8_CASES broken UTF-8 batches refused by the server:"
	grep -v 'invalid byte sequence' "$work/utf8.out" | head -20
	exit 1
fi
echo "fuzz: $UTF8_CASES batches with broken UTF-8 bytes, all refused with 22021 before parsing"
echo "fuzz: $((fuzzed + UTF8_CASES)) cases in all, no internal error, the server still answers"
