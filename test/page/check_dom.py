#!/usr/bin/python3
"""Checks the results page as Chromium built it (test/scripts/results_page.sh).

    check_dom.py DOM MEASURED_DOM RESULTS_JSON LIFT_SVG UNITS_SVG SRM_SVG METRICS_JSON

DOM: --dump-dom of the page at desktop width; MEASURED_DOM: of a copy with a measuring script at
390 px; RESULTS_JSON: experiment_results() as a JSON array; METRICS_JSON: metric_results() of
the metrics attached to the experiment (implicit ones left out), a JSON array. Exits 1 with the
reasons when the charts, the numbers (of the goals' tables and of each attached metric's table)
or the absence of network addresses are not as they must be.
"""

import json
import re
import sys
from html.parser import HTMLParser

FAILURES = []


def check(condition, message):
    """Records a failure."""
    if not condition:
        FAILURES.append(message)


class Page(HTMLParser):
    """Charts (their series, bands and bars), table cells and every address the DOM holds."""

    def __init__(self):
        super().__init__()
        self.charts = []
        self.depth = 0
        self.cells = []
        self.catalog_cells = []
        self.catalog_sections = []
        self.catalog = False
        self.metric = None
        self.variant = None
        self.cell = None
        self.addresses = []
        self.tags = set()
        self.body = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "poster", "srcset") or "url(" in (value or ""):
                self.addresses.append(f"{tag} {name}={value}")
        if tag == "body":
            self.body = a
        if tag == "svg":
            if self.depth == 0:
                self.charts.append({"series": [], "bands": 0, "bars": 0})
            self.depth += 1
        elif self.depth:
            classes = (a.get("class") or "").split()
            if tag == "polyline" and "series" in classes:
                self.charts[-1]["series"].append((a.get("data-series"), len(a.get("points", "").split())))
            if tag == "polygon" and "band" in classes:
                self.charts[-1]["bands"] += 1
            if tag == "rect" and ("observed" in classes or "expected" in classes):
                self.charts[-1]["bars"] += 1
        if tag == "section" and "data-metric" in a:
            self.metric = a["data-metric"]
            self.catalog = "catalog" in (a.get("class") or "").split()
            if self.catalog:
                self.catalog_sections.append((a["data-metric"], a.get("data-role")))
        if tag == "tr" and "data-variant" in a:
            self.variant = a["data-variant"]
        if tag == "td" and "data-field" in a:
            self.cell = dict(a, metric=self.metric, variant=self.variant, text="")
            (self.catalog_cells if self.catalog else self.cells).append(self.cell)

    def handle_endtag(self, tag):
        if tag == "svg":
            self.depth -= 1
        if tag == "td":
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data


def parse(path):
    """The Page of a file."""
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    return page


def same(shown, value):
    """A data-value against experiment_results(): '' for NULL, else the same float8."""
    if value is None:
        return shown == ""
    return shown != "" and float(shown) == float(value)


def check_catalog(page, metric_rows):
    """Each attached metric's table: there, in metric_results()'s order, with its role, and every
    number of every variant equal to metric_results() (the shown text rounding it), the verdict
    in words."""
    sections = []
    for r in metric_rows:
        if (r["metric"], r["role"]) not in sections:
            sections.append((r["metric"], r["role"]))
    check(page.catalog_sections == sections, f"metric tables {page.catalog_sections}, expected {sections}")
    rows = {(r["metric"], r["variant"]): r for r in metric_rows}
    check(len(page.catalog_cells) == len(rows) * 5, f"{len(page.catalog_cells)} metric cells for {len(rows)} rows")
    bounds = {"estimate": ("estimate_lower", "estimate_upper"),
              "relative_difference": ("relative_lower", "relative_upper")}
    for cell in page.catalog_cells:
        row = rows.get((cell["metric"], cell["variant"]))
        if row is None:
            check(False, f"a metric cell of an unknown row: {cell}")
            continue
        field = cell["data-field"]
        if field == "verdict":
            check((row["verdict"] or "") in cell["text"] and (row["guardrail"] or "") in cell["text"],
                  f"metric {cell['metric']}/{cell['variant']} verdict shows {cell['text']!r}, not {row['verdict']!r}")
            continue
        check(same(cell["data-value"], row[field]),
              f"metric {cell['metric']}/{cell['variant']} {field}: {cell['data-value']} != {row[field]}")
        for attribute, column in zip(("data-lower", "data-upper"), bounds.get(field, ())):
            check(same(cell[attribute], row[column]),
                  f"metric {cell['metric']}/{cell['variant']} {column}: {cell[attribute]} != {row[column]}")
        if field == "adjusted_p_value" and row["ordinal"] != 0:
            p = re.fullmatch(r"\s*p ([=<]) ([0-9.]+)\s*", cell["text"])
            check(p and (row[field] < float(p[2]) if p[1] == "<" else abs(row[field] - float(p[2])) <= 0.0005),
                  f"metric {cell['metric']}/{cell['variant']} {field} shows {cell['text']!r} for {row[field]}")
            continue
        shown = re.match(r"\s*([+-]?[0-9.]+)(%?)", cell["text"])
        if row[field] is not None and shown:
            scale = 100 if shown[2] else 1
            check(abs(float(shown[1]) - row[field] * scale) <= 0.05 * max(1, abs(row[field] * scale)) + 0.005 * scale,
                  f"metric {cell['metric']}/{cell['variant']} {field} shows {cell['text']!r} for {row[field]}")


def main():
    dom, measured, results_path, lift, units, srm, metrics_path = sys.argv[1:8]
    results = json.load(open(results_path))
    metric_rows = json.load(open(metrics_path)) or []
    variants = sorted({r["variant"] for r in results}, key=lambda v: next(r["ordinal"] for r in results if r["variant"] == v))
    metrics = sorted({(r["kind"], r["metric"]) for r in results if r["kind"] != "exposures"})
    days = 5
    page = parse(dom)

    # No script, no element that loads anything, no address at all.
    check(not page.tags & {"script", "link", "img", "iframe", "object", "embed"},
          f"the page has elements that run or load: {sorted(page.tags & {'script', 'link', 'img', 'iframe'})}")
    check(not page.addresses, f"the page names addresses: {page.addresses}")

    # Charts: a lift chart per metric (a series and a band per treatment),
    # units per variant per day, the SRM bars (observed and expected per variant).
    treatments = variants[1:]
    expected = [{"series": [(v, days) for v in treatments], "bands": len(treatments), "bars": 0} for _ in metrics]
    expected.append({"series": [(v, days) for v in variants], "bands": 0, "bars": 0})
    expected.append({"series": [], "bands": 0, "bars": 2 * len(variants)})
    check(page.charts == expected, f"charts {page.charts}, expected {expected}")
    for path, chart in ((lift, expected[0]), (units, expected[-2]), (srm, expected[-1])):
        alone = parse(path)
        check(alone.charts == [chart], f"{path}: {alone.charts}, expected {[chart]}")

    # Every number equals experiment_results(); the shown text rounds it.
    rows = {(r["metric"], r["variant"]): r for r in results if r["kind"] != "exposures"}
    check(len(page.cells) == len(rows) * 5 + len(variants), f"{len(page.cells)} cells for {len(rows)} rows")
    bounds = {"conversion_rate": ("rate_lower", "rate_upper"),
              "rate_relative_lift": ("rate_relative_lower", "rate_relative_upper")}
    for cell in page.cells:
        row = rows.get((cell["metric"], cell["variant"]))
        if row is None:
            check(False, f"a cell of an unknown row: {cell}")
            continue
        field = cell["data-field"]
        check(same(cell["data-value"], row[field]), f"{cell['metric']}/{cell['variant']} {field}: {cell['data-value']} != {row[field]}")
        for attribute, column in zip(("data-lower", "data-upper"), bounds.get(field, ())):
            check(same(cell[attribute], row[column]), f"{cell['metric']}/{cell['variant']} {column}: {cell[attribute]} != {row[column]}")
        shown = re.match(r"\s*([+-]?[0-9.]+)(%?)", cell["text"])
        if row[field] is not None and shown:
            scale = 100 if shown[2] else 1
            check(abs(float(shown[1]) - row[field] * scale) <= 0.05 * max(1, abs(row[field] * scale)) + 0.005 * scale,
                  f"{cell['metric']}/{cell['variant']} {field} shows {cell['text']!r} for {row[field]}")
    # The tables of the attached metrics: every number equals metric_results().
    check(metric_rows, "no metric is attached: the metric tables would go unchecked")
    check_catalog(page, metric_rows)

    # At a phone's width nothing is wider than the window.
    check(parse(measured).body.get("data-overflow") == "false", "the page is wider than a 390 px window")

    if FAILURES:
        print("results page: " + "\n  ".join(["FAILED"] + FAILURES))
        sys.exit(1)
    print(f"results page: {len(page.charts)} charts ({sum(len(c['series']) for c in page.charts)} series), "
          f"{len(page.cells)} numbers equal to experiment_results(), {len(page.catalog_sections)} metric tables with "
          f"{len(page.catalog_cells)} cells equal to metric_results(), no address, fits 390 px")


if __name__ == "__main__":
    main()
