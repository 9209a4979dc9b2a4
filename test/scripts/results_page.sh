#!/usr/bin/env bash
# The results page in a real browser: an experiment with five days of
# generated data (written as the superuser, the fixture), its page fetched
# over HTTP with an analyst's key through the PostgREST harness (test/http),
# then rendered by headless Chromium (Debian's chromium) with networking
# off: the DOM it builds (--dump-dom) must hold the charts with their series
# and every number of experiment_results(), a table per attached metric with
# every number of metric_results() (and the check must refuse a page with
# one of them wrong), no address to fetch, and no
# overflow at a phone's width (390 px). Screenshots at desktop and phone
# widths go to test/output/results_page-*.png for a person to look at.
set -euo pipefail
cd "$(dirname "$0")/../.."
test/deps chromium curl
# shellcheck source=test/cluster_lib.sh
. test/cluster_lib.sh
# shellcheck source=test/http/harness.sh
. test/http/harness.sh
cluster_scratch results_page
trap 'harness_stop; rm -rf "$work"; dropdb --if-exists results_page >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS page_authenticator" >/dev/null 2>&1 || true' EXIT
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
psql -X -q -v ON_ERROR_STOP=1 -v password="$password" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION experiments;
DROP ROLE IF EXISTS page_authenticator;
CREATE ROLE page_authenticator LOGIN NOINHERIT PASSWORD :'password' IN ROLE experiments_authenticator;
GRANT experiments_anon, experiments_client, experiments_admin, experiments_analyst TO page_authenticator;
SQL
# The fixture: three variants, a goal and revenue over five days.
eval "$(psql -X -q -A -t -v ON_ERROR_STOP=1 <<'SQL'
SELECT experiments.create_tenant('page') AS tenant \gset
SELECT 'TENANT=' || :'tenant';
SELECT 'ANALYST_KEY=' || experiments.create_api_key(:'tenant', 'bi', 'analyst');
SELECT 'CLIENT_KEY=' || experiments.create_api_key(:'tenant', 'shop');
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('checkout_button',
	'[{"key": "control", "allocation": 34}, {"key": "green", "allocation": 33}, {"key": "blue", "allocation": 33}]', start => true) \gset
SELECT 'EXPERIMENT_ID=' || :exp;
CREATE TEMP TABLE gen AS
SELECT g, 'u-' || g AS unit, g % 3 AS ordinal,
	   timestamptz '2026-05-01 00:00:00+00' + (g % 5) * interval '1 day' + (g % 997) * interval '1 minute' AS exposed_at,
	   (g / 3) % 100 < CASE g % 3 WHEN 0 THEN 10 WHEN 1 THEN 12 ELSE 9 END AS converts
FROM generate_series(1, 30000) g;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, ordinal, 'user_id', unit, exposed_at, true, true, false, false, false, false FROM gen;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', unit, 'checkout', exposed_at + interval '1 hour', NULL FROM gen WHERE converts;
INSERT INTO experiments.transactions (transaction_id, name, visitor_id, revenue, shipping, occurred_at, device_type, origin)
SELECT 't-' || g, 'order', unit, 5000 + (g % 13) * 100, 0, exposed_at + interval '2 hours', 'DESKTOP', 'https://shop.example/'
FROM gen WHERE converts AND g % 2 = 0;
-- Two metrics of the catalog attached: the page shows a table for each.
INSERT INTO experiments.metrics (key, type, source, event) VALUES ('checkout_rate', 'proportion', 'goal', 'checkout');
INSERT INTO experiments.metrics (key, type, source, aggregation, property, higher_is_better)
VALUES ('revenue_per_unit', 'mean', 'transaction', 'sum', 'revenue', true);
INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role, margin)
SELECT :exp, m.id, CASE m.key WHEN 'checkout_rate' THEN 'primary' ELSE 'guardrail' END,
	   CASE m.key WHEN 'revenue_per_unit' THEN 0.1 END
FROM experiments.metrics m WHERE m.tenant_id = :'tenant';
SQL
)"
harness_start "postgres://page_authenticator:$password@127.0.0.1:$PGPORT/results_page"

# The page and its charts over HTTP, as the analyst; a client key is refused.
url="$PGRST_URL/rpc/results_page?experiment=checkout_button"
status=$(curl -s -o "$work/page.html" -D "$work/page.headers" -w '%{http_code}' -H "x-api-key: $ANALYST_KEY" -H 'Accept: text/html' "$url")
[ "$status" = 200 ] || { echo "results_page answered $status: $(cat "$work/page.html")"; exit 1; }
grep -qi '^content-type: text/html' "$work/page.headers" || { echo "results_page is not text/html:"; cat "$work/page.headers"; exit 1; }
status=$(curl -s -o "$work/refused.json" -w '%{http_code}' -H "x-api-key: $CLIENT_KEY" -H 'Accept: text/html' "$url")
[ "$status" = 403 ] || { echo "a client key got $status for the page, not 403"; exit 1; }
for chart in lift units srm; do
	status=$(curl -s -o "$work/$chart.svg" -D "$work/$chart.headers" -w '%{http_code}' -H "x-api-key: $ANALYST_KEY" \
		-H 'Accept: image/svg+xml' "$PGRST_URL/rpc/results_chart?experiment=checkout_button&chart=$chart")
	[ "$status" = 200 ] && grep -qi '^content-type: image/svg+xml' "$work/$chart.headers" \
		|| { echo "results_chart $chart answered $status"; cat "$work/$chart.headers"; exit 1; }
done
# What experiment_results() says, for the comparison.
psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SET experiments.tenant = '$TENANT'" \
	-c "SELECT json_agg(r) FROM experiments.experiment_results($EXPERIMENT_ID) r" >"$work/results.json"
psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SET experiments.tenant = '$TENANT'" \
	-c "SELECT json_agg(r) FROM experiments.metric_results($EXPERIMENT_ID) r WHERE NOT r.implicit" >"$work/metrics.json"
# The fixture's own numbers, not the product's: 30,000 units, a third each; the control's
# checkout rate 10% (units whose g / 3 mod 100 is below 10).
python3 -c 'import json, sys
rows = {(r["metric"], r["variant"]): r for r in json.load(open(sys.argv[1]))}
control = rows["checkout_rate", "control"]
assert (control["units"], control["event_units"], control["estimate"]) == (10000, 1000, 0.1), control
assert rows["revenue_per_unit", "green"]["units"] == 10000, rows["revenue_per_unit", "green"]' "$work/metrics.json"

# Chromium, with no network (every host name unresolvable, a proxy that does
# not exist): the page as served, and a copy with a measuring script (the
# page itself has none) that records whether anything is wider than the window.
browser() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
		--no-first-run --disable-background-networking --disable-component-update --disable-sync \
		--host-resolver-rules='MAP * ~NOTFOUND' --proxy-server='http://127.0.0.1:9' --proxy-bypass-list='<-loopback>' \
		--user-data-dir="$work/profile" "$@" 2>>"$work/chromium.log"
}
mkdir -p test/output
browser --window-size=1280,2400 --dump-dom "file://$work/page.html" >"$work/dom.html"
sed 's|</body>|<script>document.body.setAttribute("data-overflow", String(document.documentElement.scrollWidth > window.innerWidth))</script></body>|' \
	"$work/page.html" >"$work/measure.html"
browser --window-size=390,3000 --dump-dom "file://$work/measure.html" >"$work/measure_dom.html"
browser --window-size=1280,2400 --screenshot="$PWD/test/output/results_page-desktop.png" "file://$work/page.html" >/dev/null
browser --window-size=390,3200 --screenshot="$PWD/test/output/results_page-phone.png" "file://$work/page.html" >/dev/null
test/page/check_dom.py "$work/dom.html" "$work/measure_dom.html" "$work/results.json" \
	"$work/lift.svg" "$work/units.svg" "$work/srm.svg" "$work/metrics.json"
# The check can fail: a page whose guardrail's treatment estimate is off in its last digit is refused.
python3 - "$work/dom.html" "$work/metrics.json" "$work/wrong.html" <<'PY'
import json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
row = next(r for r in json.load(open(sys.argv[2])) if r["role"] == "guardrail" and r["ordinal"] == 1)
section = dom.index('data-metric="%s"' % row["metric"])
cell = re.compile(r'(<tr data-variant="%s">.*?data-field="estimate" data-value=")([^"]*)' % re.escape(row["variant"]), re.S)
match = cell.search(dom, section)
wrong = match[2][:-1] + str((int(match[2][-1]) + 1) % 10)
open(sys.argv[3], "w", encoding="utf-8").write(dom[:match.start(2)] + wrong + dom[match.end(2):])
PY
if test/page/check_dom.py "$work/wrong.html" "$work/measure_dom.html" "$work/results.json" \
	"$work/lift.svg" "$work/units.svg" "$work/srm.svg" "$work/metrics.json" >"$work/wrong.out"; then
	echo "check_dom.py accepted a page with a wrong metric estimate"; exit 1
fi
grep -q "metric revenue_per_unit/green estimate" "$work/wrong.out" || { echo "check_dom.py refused the wrong page for another reason:"; cat "$work/wrong.out"; exit 1; }
echo "a page with one wrong metric estimate is refused: $(grep -c 'metric revenue_per_unit' "$work/wrong.out") difference found"
echo "screenshots: $PWD/test/output/results_page-desktop.png $PWD/test/output/results_page-phone.png"
