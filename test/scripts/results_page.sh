#!/usr/bin/env bash
# The results page in a real browser: an experiment with five days of
# generated data (written as the superuser, the fixture), its page fetched
# over HTTP with an analyst's key through the PostgREST harness (test/http),
# then rendered by headless Chromium (Debian's chromium) with networking
# off: the DOM it builds (--dump-dom) must hold the charts with their series
# and every number of experiment_results(), no address to fetch, and no
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
	"$work/lift.svg" "$work/units.svg" "$work/srm.svg"
echo "screenshots: $PWD/test/output/results_page-desktop.png $PWD/test/output/results_page-phone.png"
