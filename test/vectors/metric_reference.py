#!/usr/bin/env python3
"""Writes sql/metric_results.sql: reference values for metric_results()
(src/results/metric_results.sql, metric_statistics() in src/results/results.c),
computed here from the raw events the test inserts, independently of the
product:

- per unit: the first exposure (the variant then shown, the lowest ordinal on
  a tie), each metric's value from the events of its source in its conversion
  window after that exposure (numpy), capped at an absolute value or at the
  pooled numpy.quantile of the units with events, and the CUPED covariate (the
  same metric, counted and capped alike, in the 14 days before the exposure);
- proportions: statsmodels' Wilson interval and the Miettinen-Nurminen score
  test and intervals of comparisons_reference.py (statsmodels, scipy);
- means: the Student t interval (scipy) and Welch's t with Fieller's interval
  (comparisons_reference.py); with CUPED the same on the adjusted values
  x - theta (c - mean c), theta = cov(x, c) / var(c) over all units
  (numpy.cov), and the variance reduction 1 - var(adjusted) / var(x);
- ratios: the delta-method variance of sum x / sum y from numpy's covariance
  matrix of (x, y), a normal test and intervals (scipy.stats.norm);
- quantiles: numpy.quantile, the order statistics at ranks
  floor(np -+ z sqrt(np(1-p))) / ceil(...), and a normal test on the variances
  they imply;
- the family corrected by statsmodels' multipletests (Holm) with interval
  levels as comparisons_reference.py's corrected() gives them.

    /usr/bin/python3 test/vectors/metric_reference.py > sql/metric_results.sql

Each input is exact in SQL; each reference is printed with 17 significant digits.
"""
import contextlib
import io
import json
import math
import os
import random
import sys

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
with contextlib.redirect_stdout(io.StringIO()):  # it prints its own test when imported
    from comparisons_reference import corrected, means, rates

TOLERANCE = 1e-9
CONF = 0.95
MIN_UNITS = 100
DAY = 86400
PRE = 14 * DAY
VARIANTS = 3
UNITS = 900

rng = random.Random(20)
units = []  # (unit, ordinal, first exposure second)
exposures = []  # (unit, ordinal, second)
goals = []  # (unit, goal, second, properties json or None)
transactions = []  # (id, visitor, second, revenue, items)
actions = []  # (visitor, name, second, value)
customs = []  # (visitor, name, second, value)
visits = []  # (visitor, second)
for i in range(UNITS):
    u = f"u{i}"
    v = rng.randrange(VARIANTS)
    f = rng.randrange(0, 5 * DAY)
    units.append((u, v, f))
    exposures.append((u, v, f))
    if rng.random() < 0.3:  # a later exposure, in another variant: the first one counts
        exposures.append((u, (v + 1) % VARIANTS, f + rng.randrange(1, DAY)))
    engaged = rng.random() < 0.4
    spend = rng.lognormvariate(8, 0.6)
    for _ in range(rng.choice([0, 1, 1, 2])):  # before exposure, some older than the pre-period
        if rng.random() < (0.6 if engaged else 0.15):
            goals.append((u, "checkout", f - rng.randrange(1, 20 * DAY), None))
    if rng.random() < (0.55 if engaged else 0.15) + 0.04 * v:
        goals.append((u, "checkout", f + rng.randrange(0, 10 * DAY), None))
    if rng.random() < 0.7:
        for _ in range(rng.randint(1, 3)):
            ms = int(rng.lognormvariate(7, 0.5)) + 150 * v
            props = f'{{"ms": {ms}}}' if rng.random() < 0.9 else '{"ms": "slow"}'
            goals.append((u, "page_loaded", f + rng.randrange(0, 3 * DAY), props))
    for k in range(rng.choice([0, 0, 1, 2, 3]) + (2 if engaged else 0)):
        at = f + rng.randrange(-16 * DAY, 9 * DAY)
        revenue = int(spend * rng.uniform(0.5, 1.5) * (1.08 if v == 1 and at >= f else 1))
        transactions.append((f"t{i}-{k}", u, at, revenue, rng.randint(1, 5)))
    for _ in range(rng.choice([0, 1, 2, 4])):
        actions.append((u, "add_to_cart", f + rng.randrange(0, 3 * DAY), rng.randint(1, 9)))
    if rng.random() < 0.5:
        customs.append((u, "video", f + rng.randrange(-3 * DAY, 3 * DAY), rng.randint(10, 600)))
    if rng.random() < 0.6 + 0.05 * v:
        visits.append((u, f + rng.randrange(0, 2 * DAY)))
    if rng.random() < 0.1 + 0.15 * (v == 2):
        for _ in range(rng.randint(1, 3)):
            goals.append((u, "error", f + rng.randrange(0, DAY), None))
    if rng.random() < 0.25:
        goals.append((u, "newsletter", f + rng.randrange(0, DAY), None))
goals.append(("stranger", "checkout", 100, None))  # never exposed: not counted
# Checkouts carry a value and a count of items, from a generator of their own
# (the events above stay as they were); a few carry neither, or no number.
vrng = random.Random(2021)
goals = [(u, g, at, props if g != "checkout" else vrng.choice(
    [f'{{"value": {vrng.randint(1, 400)}, "items": {vrng.randint(1, 6)}}}'] * 8 + ['{"value": "n/a"}', None]))
    for u, g, at, props in goals]

# The attribute of the breakdown, from a generator of its own (the events
# above stay as they were): country, set before the first exposure, some units
# twice (the latest counts), some at the very second of it (counts; on a tie of
# times the greatest value), some only after it or to JSON null (no value), a
# few as a JSON number; other attributes and unit types are not read.
arng = random.Random(2020)
COUNTRIES = ["DE"] * 35 + ["FR"] * 25 + ["US"] * 20 + ["GB"] * 10 + ["JP"] * 6 + ["BR"] * 4
attributes = []  # (unit_type, unit, name, json value, second)
for u, v, f in units:
    if arng.random() < 0.1:
        continue  # never set
    country = f'"{arng.choice(COUNTRIES)}"' if arng.random() > 0.02 else str(arng.randint(1, 3))
    attributes.append(("user_id", u, "country", country, f - arng.randrange(0, 30 * DAY)))
    if arng.random() < 0.15:
        attributes.append(("user_id", u, "country", f'"{arng.choice(COUNTRIES)}"', f - 31 * DAY - arng.randrange(0, DAY)))
    if arng.random() < 0.1:
        attributes.append(("user_id", u, "country", f'"{arng.choice(COUNTRIES)}"', f + arng.randrange(1, 3 * DAY)))
    if arng.random() < 0.05:
        attributes.append(("user_id", u, "country", '"ZZ"', f))
        attributes.append(("user_id", u, "country", '"AA"', f))
    if arng.random() < 0.03:
        attributes.append(("user_id", u, "country", "null", f - arng.randrange(0, 60)))
    if arng.random() < 0.3:
        attributes.append(("user_id", u, "plan", '"pro"', f - 1))
    if arng.random() < 0.05:
        attributes.append(("device_id", u, "country", '"JP"', f - 1))
attributes.append(("user_id", "stranger", "country", '"DE"', 50))
# Another attribute, for slices with an empty arm: "solo" on one unit of b1, "control" on the
# control's first 20 units; the rest have none.
attributes.append(("user_id", next(u for u, v, _ in units if v == 1), "cohort", '"solo"', -DAY))
attributes += [("user_id", u, "cohort", '"control"', -DAY) for u, v, _ in units if v == 0][:20]

# Metric definitions: key -> (type, source, event, aggregation, property,
# window_start s, window_end s or None, cap, cap_value, higher_is_better, quantile)
METRICS = {
    "converted": ("proportion", "goal", "checkout", "count", None, 0, 7 * DAY, "none", None, True, None),
    "revenue": ("mean", "transaction", None, "sum", "revenue", 0, 7 * DAY, "percentile", 0.95, True, None),
    "orders": ("mean", "transaction", None, "count", None, 0, 7 * DAY, "none", None, True, None),
    "items": ("mean", "transaction", None, "sum", "items_count", 0, None, "absolute", 8.0, True, None),
    "load_time_p90": ("quantile", "goal", "page_loaded", "sum", "ms", 0, None, "absolute", 5000.0, False, 0.9),
    "carts_day_two": ("mean", "action", "add_to_cart", "count", None, DAY, 2 * DAY, "none", None, True, None),
    "video_seconds": ("mean", "custom", "video", "sum", "value_integer", 0, None, "none", None, True, None),
    "visited": ("proportion", "visit", None, "count", None, 0, None, "none", None, True, None),
    "errors": ("mean", "goal", "error", "count", None, 0, None, "none", None, False, None),
    "checkout_value": ("mean", "goal", "checkout", "sum", "value", 0, None, "none", None, True, None),
    "checkout_items": ("mean", "goal", "checkout", "sum", "items", 0, 3 * DAY, "none", None, True, None),
}
RATIOS = {"revenue_per_order": ("revenue", "orders")}
ATTACHED = [("converted", "primary", None), ("revenue", "secondary", None), ("items", "secondary", None),
            ("load_time_p90", "guardrail", 0.5), ("carts_day_two", "secondary", None),
            ("video_seconds", "secondary", None), ("visited", "secondary", None),
            ("errors", "guardrail", 0.05), ("revenue_per_order", "secondary", None),
            ("checkout_value", "secondary", None), ("checkout_items", "secondary", None)]
ORDER = {key: i for i, key in enumerate(list(METRICS) + list(RATIOS))}  # the ids' order

first = {}
for u, v, at in exposures:
    if u not in first or (at, v) < first[u]:
        first[u] = (at, v)
unit_list = sorted(first)
ordinal = np.array([first[u][1] for u in unit_list])
index = {u: k for k, u in enumerate(unit_list)}


def events_of(source, event, prop):
    """(unit, second, value or None) of a source."""
    if source == "goal":
        out = []
        for u, g, at, props in goals:
            if g != event:
                continue
            value = json.loads(props).get(prop) if prop and props else None  # a JSON number, or none
            out.append((u, at, float(value) if isinstance(value, (int, float)) else None))
        return out
    if source == "transaction":
        return [(u, at, float(r if prop == "revenue" else n) if prop else None) for _, u, at, r, n in transactions]
    if source == "action":
        return [(u, at, float(val) if prop else None) for u, name, at, val in actions if name == event]
    if source == "custom":
        return [(u, at, float(val) if prop else None) for u, name, at, val in customs if name == event]
    return [(u, at, None) for u, at in visits]


def values_of(key):
    """Per-unit (values, hits, covariates) of a proportion, mean or quantile metric."""
    mtype, source, event, agg, prop, ws, we, cap, cap_value, _, _ = METRICS[key]
    x, c = np.zeros(len(unit_list)), np.zeros(len(unit_list))
    hit, chit = np.zeros(len(unit_list), bool), np.zeros(len(unit_list), bool)
    for u, at, value in events_of(source, event, prop):
        if u not in index:
            continue
        k, f = index[u], first[u][0]
        add = 1.0 if agg == "count" else (value or 0.0)
        if at >= f:
            if at - f >= ws and (we is None or at - f < we):
                x[k] += add
                hit[k] = True
        elif f - at <= PRE:
            c[k] += add
            chit[k] = True
    if mtype == "proportion":
        x, c = hit.astype(float), chit.astype(float)
    capped = None
    if cap == "absolute":
        capped = cap_value
    elif cap == "percentile":
        capped = float(np.quantile(x[hit], cap_value))
    if capped is not None:
        x, c = np.minimum(x, capped), np.minimum(c, capped)
    return x, hit, c, capped


def var(a):
    return float(np.var(a, ddof=1))


def t_critical(df):
    """The two-sided Student t critical value at CONF, refined by Newton on the
    tail as comparisons_reference.py's means() does: scipy's quantile alone
    is not within 1e-9 at a few dozen degrees of freedom."""
    crit = stats.t.isf((1 - CONF) / 2, df)
    for _ in range(3):
        crit += (stats.t.sf(crit, df) - (1 - CONF) / 2) / stats.t.pdf(crit, df)
    return crit


def z_compare(e1, v1, e0, v0, level):
    crit = stats.norm.isf((1 - level) / 2)
    d, se = e1 - e0, math.sqrt(v1 + v0)
    rel = e1 / e0 - 1
    rel_se = math.sqrt(v1 / e0 ** 2 + e1 ** 2 * v0 / e0 ** 4)
    return {"difference": d, "difference_lower": d - crit * se, "difference_upper": d + crit * se,
            "relative_difference": rel, "relative_lower": rel - crit * rel_se,
            "relative_upper": rel + crit * rel_se, "p_value": 2 * stats.norm.sf(abs(d) / se)}


def sufficient(n0, n1, e0, e1, proportion, min_units):
    """metric_results()'s minimum-sample rule: min_units per arm; for a proportion
    without CUPED also 5 expected units with and without events per arm."""
    return (n0 >= min_units and n1 >= min_units and
            (not proportion or min(n0, n1) * min(e0 + e1, n0 + n1 - e0 - e1) >= 5 * (n0 + n1)))


def analyse(mask, min_units):
    """The rows of the units in mask, (key, ordinal) -> {column: value}, and the
    comparisons, (key, ordinal, p, sufficient, reference function of the level).
    Caps are those of all units; CUPED's theta is the masked units'."""
    rows = {}
    tests = []
    for key in ORDER:
        analyse_metric(key, mask, min_units, rows, tests)
    analyse_implicit(mask, min_units, rows, tests)
    return rows, tests


def analyse_metric(key, mask, min_units, rows, tests):
    if key not in {k for k, _, _ in ATTACHED}:
        return  # read by a ratio only
    arm = {v: (ordinal == v) & mask for v in range(VARIANTS)}
    if key in RATIOS:
        x, xhit, _, _ = values_of(RATIOS[key][0])
        y, _, _, _ = values_of(RATIOS[key][1])
        est, evar = {}, {}
        for v in range(VARIANTS):
            xv, yv = x[arm[v]], y[arm[v]]
            n = len(xv)
            cov = np.cov(np.vstack([xv, yv]), ddof=1)
            mx, my = xv.mean(), yv.mean()
            est[v] = xv.sum() / yv.sum()
            evar[v] = (cov[0, 0] / my ** 2 - 2 * mx * cov[0, 1] / my ** 3 + mx ** 2 * cov[1, 1] / my ** 4) / n
            z = stats.norm.isf((1 - CONF) / 2)
            rows[key, v] = {"units": n, "event_units": int(xhit[arm[v]].sum()), "estimate": est[v],
                            "estimate_lower": est[v] - z * math.sqrt(evar[v]),
                            "estimate_upper": est[v] + z * math.sqrt(evar[v])}
        for v in (1, 2):
            ref = (lambda level, v=v, est=est, evar=evar: z_compare(est[v], evar[v], est[0], evar[0], level))
            tests.append((key, v, ref(CONF)["p_value"],
                          sufficient(rows[key, 0]["units"], rows[key, v]["units"], 0, 0, False, min_units), ref))
        return
    mtype, _, _, _, _, _, _, _, _, higher, q = METRICS[key]
    x, hit, c, capped = values_of(key)
    theta = None
    if mtype in ("proportion", "mean") and np.var(c[mask]) > 0:
        cov = np.cov(np.vstack([x[mask], c[mask]]), ddof=1)
        theta = cov[0, 1] / cov[1, 1]
    adjusted = x - theta * (c - c[mask].mean()) if theta is not None else None
    est, evar = {}, {}
    for v in range(VARIANTS):
        xv, n = x[arm[v]], int(arm[v].sum())
        row = {"units": n, "event_units": int(hit[arm[v]].sum())}
        if capped is not None:
            row["cap"] = capped
        if mtype == "proportion":
            row["estimate"] = hit[arm[v]].sum() / n
            row["estimate_lower"], row["estimate_upper"] = proportion_confint(int(hit[arm[v]].sum()), n, 1 - CONF,
                                                                              method="wilson")
        elif mtype == "mean":
            t = t_critical(n - 1)
            row["estimate"] = xv.mean()
            row["estimate_lower"] = xv.mean() - t * math.sqrt(var(xv) / n)
            row["estimate_upper"] = xv.mean() + t * math.sqrt(var(xv) / n)
        else:
            values = np.sort(xv[hit[arm[v]]])
            m = len(values)
            z = stats.norm.isf((1 - CONF) / 2)
            spread = z * math.sqrt(m * q * (1 - q))
            lo, hi = max(math.floor(m * q - spread), 1), min(math.ceil(m * q + spread), m)
            est[v] = float(np.quantile(values, q))
            evar[v] = ((values[hi - 1] - values[lo - 1]) / (2 * z)) ** 2
            row.update({"estimate": est[v], "estimate_lower": values[lo - 1], "estimate_upper": values[hi - 1]})
        if theta is not None:
            av = adjusted[arm[v]]
            row["adjusted_estimate"] = av.mean()
            row["variance_reduction"] = 1 - var(av) / var(xv)
        rows[key, v] = row
    for v in (1, 2):
        if mtype == "quantile":
            ref = (lambda level, v=v, est=est, evar=evar: z_compare(est[v], evar[v], est[0], evar[0], level))
        elif theta is not None or mtype == "mean":
            a = adjusted if theta is not None else x
            c0, c1 = a[arm[0]], a[arm[v]]
            ref = (lambda level, c0=c0, c1=c1: dict(means(c0.mean(), var(c0), len(c0), c1.mean(), var(c1),
                                                          len(c1), level)))
        else:
            h0, h1 = hit[arm[0]], hit[arm[v]]
            ref = (lambda level, h0=h0, h1=h1: dict(rates(int(h0.sum()), len(h0), int(h1.sum()), len(h1), level)))
        enough = sufficient(rows[key, 0]["units"], rows[key, v]["units"], rows[key, 0]["event_units"],
                            rows[key, v]["event_units"], mtype == "proportion" and theta is None, min_units)
        tests.append((key, v, ref(CONF)["p_value"], enough, ref))

def analyse_implicit(mask, min_units, rows, tests):
    """The implicit metric: goal newsletter, converting at or after first exposure."""
    implicit = {}
    for v in range(VARIANTS):
        conv = {u for u, g, at, _ in goals if g == "newsletter" and u in first and at >= first[u][0]}
        arm_units = [u for k, u in enumerate(unit_list) if first[u][1] == v and mask[k]]
        implicit[v] = (sum(u in conv for u in arm_units), len(arm_units))
        lo, hi = proportion_confint(implicit[v][0], implicit[v][1], 1 - CONF, method="wilson")
        rows["newsletter", v] = {"units": implicit[v][1], "event_units": implicit[v][0],
                                 "estimate": implicit[v][0] / implicit[v][1], "estimate_lower": lo, "estimate_upper": hi}
    for v in (1, 2):
        ref = (lambda level, v=v: dict(rates(*implicit[0], *implicit[v], level)))
        tests.append(("newsletter", v, ref(CONF)["p_value"],
                      sufficient(implicit[0][1], implicit[v][1], implicit[0][0], implicit[v][0], True, min_units), ref))


def correct(rows, tests):
    """The family of tests corrected by Holm, into rows: comparisons at the
    corrected level (the confidence when the sample is insufficient)."""
    adjusted_p, levels = corrected([t[2] if t[3] else None for t in tests], "holm", CONF)
    for (key, v, p, enough, ref), a, level in zip(tests, adjusted_p, levels):
        name = key if isinstance(key, str) else key[1]  # (slice, metric) in a breakdown
        comparison = ref(level or CONF)
        rows[key, v].update({k: comparison.get(k) for k in ("difference", "difference_lower", "difference_upper",
                                                             "relative_difference", "relative_lower", "relative_upper")})
        rows[key, v].update({"p_value": p, "adjusted_p_value": a, "interval_confidence": level or CONF})
        higher = METRICS[name][9] if name in METRICS else True
        good = comparison["difference"] if higher else -comparison["difference"]
        if not enough:
            rows[key, v]["verdict"] = "insufficient sample"
        else:
            rows[key, v]["verdict"] = "inconclusive" if a >= 1 - CONF else ("beats" if good > 0 else "loses to")
        margin = next((m for k, r, m in ATTACHED if k == name), None)
        if margin is not None and not enough:
            rows[key, v]["guardrail"] = "insufficient sample"
        elif margin is not None:
            bound = comparison.get("relative_lower" if higher else "relative_upper")  # None: unbounded
            within = bound is not None and (bound > -margin if higher else bound < margin)
            rows[key, v]["guardrail"] = "pass" if within else "fail"


rows, tests = analyse(np.ones(len(unit_list), bool), MIN_UNITS)
assert all(t[3] for t in tests)  # every comparison of the whole experiment has enough units
correct(rows, tests)

# The breakdown by country: each unit's value is the latest set at or before
# its first exposure (the greatest on a tie of times; JSON null: none); the 3
# values with the most units are slices 1 to 3, the others slice 4, units
# without a value slice 0; each slice analysed alone (MIN_SLICE_UNITS per arm),
# all corrected as one family.
MAX_SLICES = 3
MIN_SLICE_UNITS = 40


def label(value):
    return None if value == "null" else value.strip('"')


unit_value = {}
for unit_type, u, name, value, at in attributes:
    if unit_type != "user_id" or name != "country" or u not in first or at > first[u][0]:
        continue
    key = (at, label(value) is not None, label(value) or "")
    if u not in unit_value or key > unit_value[u][0]:
        unit_value[u] = (key, label(value))
counts = {}
for u, (_, value) in unit_value.items():
    if value is not None:
        counts[value] = counts.get(value, 0) + 1
top = sorted(counts, key=lambda value: (-counts[value], value))[:MAX_SLICES]
slice_of = np.array([0 if unit_value.get(u, (None, None))[1] is None else
                     (top.index(unit_value[u][1]) + 1 if unit_value[u][1] in top else MAX_SLICES + 1)
                     for u in unit_list])
slice_value = {i + 1: value for i, value in enumerate(top)}
breakdown_rows, breakdown_tests = {}, []
for sl in sorted(set(slice_of)):
    sl = int(sl)
    slice_rows, slice_tests = analyse(slice_of == sl, MIN_SLICE_UNITS)
    for (key, v), row in slice_rows.items():
        breakdown_rows[(sl, key), v] = dict(row, slice_value=slice_value.get(sl))
    breakdown_tests += [((sl, key), v, p, enough, ref) for key, v, p, enough, ref in slice_tests]
assert not all(t[3] for t in breakdown_tests) and any(t[3] for t in breakdown_tests)
correct(breakdown_rows, breakdown_tests)


def f(value):
    return repr(float(value))


def check(column, expected):
    if expected is None:
        return f"r.{column} IS NULL"
    if isinstance(expected, str):
        return f"r.{column} = '{expected}'"
    e = float(expected)
    if e == 0:
        return f"r.{column} = 0"
    return f"abs(r.{column} - {f(e)}::float8) <= {TOLERANCE} * {f(abs(e))}"


def sql_time(second):
    return f"timestamptz '2026-05-01 00:00+00' + {second} * interval '1 second'"


def values_sql(rows_, fmt):
    return ",\n".join("\t(" + fmt(r) + ")" for r in rows_)


def literal(v):
    return "NULL" if v is None else (f"'{v}'" if isinstance(v, str) else repr(v))


print(f"""-- GENERATED by test/vectors/metric_reference.py (see its docstring): do not edit.
-- Regenerate: /usr/bin/python3 test/vectors/metric_reference.py > sql/metric_results.sql
--
-- metric_results() of an experiment with a metric of every type and event
-- source (windows, caps, a ratio, a quantile, CUPED, guardrails, an implicit
-- goal) against the same computation from the raw events in Python: every
-- number within {TOLERANCE} relative. Events written as the superuser; results read
-- by an analyst login role with the tenant's analyst key.
SELECT experiments.create_tenant('metric_results') AS tenant \\gset
SELECT experiments.create_api_key(:'tenant', 'bi', 'analyst') AS analyst_key \\gset
CREATE ROLE regress_metric_results_bi NOSUPERUSER NOBYPASSRLS IN ROLE experiments_analyst;
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('metrics',
	'[{{"key": "control", "allocation": 34}}, {{"key": "b1", "allocation": 33}}, {{"key": "b2", "allocation": 33}}]',
	start => true) \\gset
-- The fixed-horizon tests these references compute (without settings an
-- experiment's results are sequential, sql/analysis.sql).
SELECT method FROM experiments.set_analysis('metrics', method => 'fixed');
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, o, 'user_id', u, {sql_time('s')}, true, true, false, false, false, false
FROM (VALUES
{values_sql(exposures, lambda r: f"'{r[0]}', {r[1]}, {r[2]}")}) AS e(u, o, s);
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', u, g, {sql_time('s')}, p::jsonb
FROM (VALUES
{values_sql(goals, lambda r: f"'{r[0]}', '{r[1]}', {r[2]}, {literal(r[3])}")}) AS e(u, g, s, p);
INSERT INTO experiments.transactions (transaction_id, name, revenue, shipping, items_count, visitor_id,
	device_type, origin, occurred_at)
SELECT t, 'order', r, 0, n, u, 'DESKTOP', 'regress', {sql_time('s')}
FROM (VALUES
{values_sql(transactions, lambda r: f"'{r[0]}', '{r[1]}', {r[2]}, {r[3]}, {r[4]}")}) AS e(t, u, s, r, n);
INSERT INTO experiments.actions (name, type, value_integer, visitor_id, device_type, origin, occurred_at)
SELECT a, 'CLICK', x, u, 'DESKTOP', 'regress', {sql_time('s')}
FROM (VALUES
{values_sql(actions, lambda r: f"'{r[0]}', '{r[1]}', {r[2]}, {r[3]}")}) AS e(u, a, s, x);
INSERT INTO experiments.custom_events (name, value_integer, visitor_id, device_type, origin, occurred_at)
SELECT a, x, u, 'DESKTOP', 'regress', {sql_time('s')}
FROM (VALUES
{values_sql(customs, lambda r: f"'{r[0]}', '{r[1]}', {r[2]}, {r[3]}")}) AS e(u, a, s, x);
INSERT INTO experiments.visits (visitor_id, device_type, origin, occurred_at)
SELECT u, 'DESKTOP', 'regress', {sql_time('s')}
FROM (VALUES
{values_sql(visits, lambda r: f"'{r[0]}', {r[1]}")}) AS e(u, s);
INSERT INTO experiments.attribute_events (unit_type, unit, name, value, set_at)
SELECT t, u, a, x::jsonb, {sql_time('s')}
FROM (VALUES
{values_sql(attributes, lambda r: f"'{r[0]}', '{r[1]}', '{r[2]}', '{r[3]}', {r[4]}")}) AS e(t, u, a, x, s);""")
for key, (mtype, source, event, agg, prop, ws, we, cap, cap_value, higher, q) in METRICS.items():
    print(f"INSERT INTO experiments.metrics (key, type, source, event, aggregation, property, window_start, window_end,"
          f" cap, cap_value, higher_is_better, quantile) VALUES ('{key}', '{mtype}', '{source}', {literal(event)},"
          f" '{agg}', {literal(prop)}, '{ws} seconds', {literal(None if we is None else f'{we} seconds')}, '{cap}',"
          f" {literal(cap_value)}, {str(higher).lower()}, {literal(q)});")
for key, (num, den) in RATIOS.items():
    print(f"INSERT INTO experiments.metrics (key, type, numerator_id, denominator_id) SELECT '{key}', 'ratio', n.id, d.id"
          f" FROM experiments.metrics n, experiments.metrics d WHERE n.key = '{num}' AND d.key = '{den}'"
          f" AND n.tenant_id = :'tenant' AND d.tenant_id = :'tenant';")
print("INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role, margin)\n"
      "SELECT :exp, m.id, a.role, a.margin FROM experiments.metrics m JOIN (VALUES\n" +
      ",\n".join(f"\t('{k}', '{r}', {literal(m)}::float8)" for k, r, m in ATTACHED) +
      ") AS a(key, role, margin) ON a.key = m.key WHERE m.tenant_id = :'tenant';")
print("RESET experiments.tenant;\nSET ROLE regress_metric_results_bi;\nBEGIN;\n"
      "SELECT experiments.authenticate(:'analyst_key') IS NOT NULL AS authenticated;")

COLUMNS = ["units", "event_units", "estimate", "estimate_lower", "estimate_upper", "cap", "adjusted_estimate",
           "variance_reduction", "difference", "difference_lower", "difference_upper", "relative_difference",
           "relative_lower", "relative_upper", "p_value", "adjusted_p_value", "interval_confidence", "verdict",
           "guardrail"]
print("-- every number of every metric and variant against the reference: wrong lists the columns that are not")
print("SELECT metric, ordinal, wrong FROM (")
for i, ((key, v), row) in enumerate(sorted(rows.items(), key=lambda kv: (ORDER.get(kv[0][0], 99), kv[0][1]))):
    conds = [(col, check(col, row[col])) for col in COLUMNS if col in row]
    conds.append(("cuped", "r.cuped" if "variance_reduction" in row else "NOT r.cuped"))
    wrong = ", ".join(f"CASE WHEN ({cond}) IS NOT TRUE THEN '{col}' END" for col, cond in conds)
    prefix = "\t SELECT" if i == 0 else "\tUNION ALL SELECT"
    print(f"{prefix} r.metric, r.ordinal, array_remove(ARRAY[{wrong}], NULL) AS wrong "
          f"FROM experiments.metric_results(:exp) r WHERE r.metric = '{key}' AND r.ordinal = {v}")
print(") t ORDER BY wrong = '{}', metric, ordinal;")
print("""-- one row per metric and variant, with role, type, verdict and guardrail
SELECT metric, role, type, implicit, ordinal, variant, verdict, guardrail, p_value_correction
FROM experiments.metric_results(:exp) ORDER BY metric, ordinal;
SELECT string_agg(DISTINCT metric, ', ') AS first_rows
FROM (SELECT metric FROM experiments.metric_results(:exp) LIMIT 6) t;
-- the report says a failing guardrail first, right after its first line
SELECT split_part(experiments.results_report('metrics'), E'\\n', 2) AS second_line;
SELECT experiments.results_report('metrics');""")
print(f"""-- the breakdown by country (max_slices {MAX_SLICES}, min_units {MIN_SLICE_UNITS}): every number of every slice,
-- metric and variant against the reference, corrected as one family; then the rows that are not in it
CREATE TEMPORARY TABLE breakdown AS
SELECT * FROM experiments.metric_breakdown(:exp, 'country', min_units => {MIN_SLICE_UNITS}, max_slices => {MAX_SLICES});
SELECT slice, metric, ordinal, wrong FROM (""")
for i, (((sl, key), v), row) in enumerate(sorted(breakdown_rows.items(),
                                                 key=lambda kv: (kv[0][0][0], ORDER.get(kv[0][0][1], 99), kv[0][1]))):
    conds = [(col, check(col, row[col])) for col in COLUMNS + ["slice_value"] if col in row]
    conds.append(("cuped", "r.cuped" if "variance_reduction" in row else "NOT r.cuped"))
    wrong = ", ".join(f"CASE WHEN ({cond}) IS NOT TRUE THEN '{col}' END" for col, cond in conds)
    prefix = "\t SELECT" if i == 0 else "\tUNION ALL SELECT"
    print(f"{prefix} {sl} AS slice, '{key}' AS metric, {v} AS ordinal, coalesce((SELECT array_remove(ARRAY[{wrong}], NULL) "
          f"FROM breakdown r WHERE r.slice = {sl} AND r.metric = '{key}' AND r.ordinal = {v}), '{{missing}}') AS wrong")
print(") t ORDER BY wrong = '{}', slice, metric, ordinal;")
print(f"""SELECT count(*) AS rows, count(*) = {len(breakdown_rows)} AS as_many_as_the_reference,
	   count(DISTINCT p_value_correction) AS corrections, min(p_value_correction) AS correction
FROM breakdown;
SELECT slice, slice_kind, slice_value, sum(units) AS units,
	   count(*) FILTER (WHERE verdict = 'insufficient sample') AS insufficient
FROM breakdown WHERE metric = 'converted' GROUP BY 1, 2, 3 ORDER BY 1;
DROP TABLE breakdown;
-- without an attribute, or with too many slices: refused
SAVEPOINT refused;
SELECT count(*) FROM experiments.metric_breakdown(:exp, NULL);
ROLLBACK TO SAVEPOINT refused;
SELECT count(*) FROM experiments.metric_breakdown(:exp, 'country', max_slices => 101);
ROLLBACK TO SAVEPOINT refused;
-- slices with an empty arm, or a single unit: estimates where there are units, no comparison
-- without them (and no error)
SELECT slice, slice_value, ordinal, count(*) AS metrics, count(estimate) AS estimates,
	   count(difference) AS comparisons, count(verdict) AS verdicts
FROM experiments.metric_breakdown(:exp, 'cohort', min_units => 1) GROUP BY 1, 2, 3 ORDER BY 1, 3;
-- an attribute no unit has: one slice, none
SELECT slice, slice_kind, count(*) FROM experiments.metric_breakdown(:exp, 'no such attribute') GROUP BY 1, 2;
COMMIT;
RESET ROLE;
-- the results page's parts for the attached metrics (results_page() puts the failing guardrails
-- first in its verdict, the tables after it): what they say, with the page's own owner's rights
SET experiments.tenant = :'tenant';
SELECT (SELECT array_agg(m[1]) FROM regexp_matches(h.failing, '<li class="warn">([^<]*)</li>', 'g') m) AS failing,
	   (SELECT array_agg(m[1] || ' ' || m[2]) FROM regexp_matches(h.tables, 'data-metric="([^"]*)" data-role="([^"]*)"', 'g') m) AS tables,
	   (SELECT count(*) FROM regexp_matches(h.tables, '<tr data-variant=', 'g')) AS variant_rows
FROM experiments_internal.metrics_page_html(:exp) h;
RESET experiments.tenant;""")
