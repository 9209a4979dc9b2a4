#!/usr/bin/env python3
"""Writes sql/comparisons_accuracy.sql: reference values for the comparisons of
src/results/comparisons.c and experiment_results(), computed independently of the
C code with statsmodels and scipy (Debian python3-statsmodels, python3-scipy)
and Python's decimal:

- rates: statsmodels' Miettinen-Nurminen score test at no difference
  (score_test_proportions_2indep); the score interval of the difference is where
  the statistic (score_stat below: the rates under H0 from Farrington and
  Manning's cubic, solved by numpy) crosses the critical value, found with
  scipy's brentq to the last bit; the interval of the ratio is statsmodels'
  closed form of Koopman and Nam (confint_proportions_2indep, compare='ratio');
- means: scipy's ttest_ind_from_stats(equal_var=False) and Student t quantile,
  Fieller's interval solved with decimal at 50 digits;
- multiple testing: statsmodels' multipletests (holm, fdr_bh) for the adjusted
  p-values; the interval levels from their definitions (docs/results.md): Holm,
  alpha / (m - i + 1) at the step i that decided; Benjamini-Yekutieli,
  1 - R alpha / m;
- an experiment's results (experiment_results() as the analyst role): counts and
  per-unit values of the same raw events the test inserts (a formula of the unit
  number, evaluated here and in SQL), each comparison as above at its corrected
  level;
- Bayesian results: the chance to beat and expected loss of two Beta(1, 1)
  posteriors by quadrature (scipy.integrate.quad, scipy.stats.beta), of two
  normal means from scipy.stats.norm.

    /usr/bin/python3 test/vectors/comparisons_reference.py > sql/comparisons_accuracy.sql

Each input is exact in SQL; each reference is printed with 17 significant digits.
"""
import decimal
import math

import numpy as np
from scipy import integrate, optimize, stats
from statsmodels.stats import proportion
from statsmodels.stats.multitest import multipletests

decimal.getcontext().prec = 50
TOLERANCE = "1e-9"


def f(v):
    return repr(float(v))


def score_stat(x1, n1, x0, n0, d):
    """The Miettinen-Nurminen statistic of H0: p1 - p0 = d. The rates under H0
    maximize the likelihood: the feasible root of Farrington and Manning's cubic
    (numpy.roots), or an end of the feasible interval, whichever is likelier.
    (statsmodels 0.13's score_test_proportions_2indep writes count0 * diff for
    nobs0 * diff in that cubic, so its statistic is off for d != 0; it is used
    here at d = 0 only, where it takes the pooled rate.)"""
    n, x = n1 + n0, x1 + x0
    lo, hi = max(0.0, -d), min(1.0, 1.0 - d)

    def loglik(p0):
        p1 = p0 + d
        terms = [(x1, p1), (n1 - x1, 1 - p1), (x0, p0), (n0 - x0, 1 - p0)]
        if any(k > 0 and q <= 0 for k, q in terms):
            return -math.inf
        return sum(k * math.log(q) for k, q in terms if k > 0)
    cubic = [n, (n1 + 2 * n0) * d - n - x, (n0 * d - n - 2 * x0) * d + x, x0 * d * (1 - d)]
    candidates = [r.real for r in np.roots(cubic) if abs(r.imag) < 1e-12 and lo <= r.real <= hi] + [lo, hi]
    p0 = max(candidates, key=loglik)
    p1 = p0 + d
    var = (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) * n / (n - 1)
    return (x1 / n1 - x0 / n0 - d) / math.sqrt(var)


def root(fun, start, end):
    """Where fun changes sign between start and end, bracketed by steps doubling from start."""
    step = 1e-9 * (end - start)
    near = start
    while True:
        far = start + step if abs(step) < abs(end - start) else end
        if fun(far) * fun(start) <= 0 or far == end:
            break
        near, step = far, step * 2
    return optimize.brentq(fun, min(near, far), max(near, far), xtol=1e-300,
                           rtol=4 * np.finfo(float).eps, maxiter=1000)


def rates(x0, n0, x1, n1, conf):
    """Treatment x1/n1 against control x0/n0: statsmodels' sample 1 is the treatment."""
    alpha = 1 - conf
    z = stats.norm.isf(alpha / 2)
    p1, p0 = x1 / n1, x0 / n0
    diff = p1 - p0
    res = proportion.score_test_proportions_2indep(x1, n1, x0, n0, compare="diff", correction=True)
    lo = -1.0 if diff <= -1 else root(lambda d: score_stat(x1, n1, x0, n0, d) - z, diff, -1 + 1e-12)
    hi = 1.0 if diff >= 1 else root(lambda d: score_stat(x1, n1, x0, n0, d) + z, diff, 1 - 1e-12)
    out = [("difference", diff), ("difference_lower", lo), ("difference_upper", hi),
           ("z", res.statistic), ("p_value", res.pvalue)]
    if x0 > 0:
        r_lo, r_hi = proportion.confint_proportions_2indep(x1, n1, x0, n0, method="score",
                                                           compare="ratio", alpha=alpha)
        out += [("relative_difference", p1 / p0 - 1), ("relative_lower", (0.0 if x1 == 0 else r_lo) - 1),
                ("relative_upper", r_hi - 1)]
    return out


def fieller(m0, s0, m1, s1, t):
    """The roots in rho of (m1 - rho m0)^2 = t^2 (s1 + rho^2 s0), at 50 digits."""
    m0, s0, m1, s1, t = (decimal.Decimal(v) for v in (m0, s0, m1, s1, t))
    a = m0 ** 2 - t ** 2 * s0
    b = -2 * m1 * m0
    c = m1 ** 2 - t ** 2 * s1
    d = (b ** 2 - 4 * a * c).sqrt()
    return sorted([(-b - d) / (2 * a), (-b + d) / (2 * a)])


def means(m0, v0, n0, m1, v1, n1, conf):
    t, p = stats.ttest_ind_from_stats(m1, math.sqrt(v1), n1, m0, math.sqrt(v0), n0, equal_var=False)
    s0, s1 = v0 / n0, v1 / n1
    df = (s0 + s1) ** 2 / (s0 ** 2 / (n0 - 1) + s1 ** 2 / (n1 - 1))
    crit = stats.t.isf((1 - conf) / 2, df)
    for _ in range(3):  # Newton on the tail, more accurate than scipy's quantile
        crit += (stats.t.sf(crit, df) - (1 - conf) / 2) / stats.t.pdf(crit, df)
    se = math.sqrt(s0 + s1)
    out = [("difference", m1 - m0), ("difference_lower", m1 - m0 - crit * se),
           ("difference_upper", m1 - m0 + crit * se), ("t", t), ("p_value", p), ("df", df)]
    if m0 != 0:
        out.append(("relative_difference", m1 / m0 - 1))
    if m0 ** 2 > crit ** 2 * s0 and s0 > 0 and s1 > 0:
        lo, hi = fieller(m0, s0, m1, s1, crit)
        out += [("relative_lower", lo - 1), ("relative_upper", hi - 1)]
    return out


def check(column, expected, tolerance=TOLERANCE):
    e = float(expected)
    if e == 0:
        return f"r.{column} = 0"
    return f"abs(r.{column} - {f(e)}::float8) <= {tolerance} * {f(abs(e))}"


def block(title, cases, tolerance=TOLERANCE):
    print(f"-- {title}")
    print("SELECT i, name, ok FROM (")
    for i, (name, call, values) in enumerate(cases):
        cond = " AND ".join(check(*value) if len(value) == 3 else check(*value, tolerance) for value in values)
        prefix = "\t SELECT" if i == 0 else "\tUNION ALL SELECT"
        print(f"{prefix} {i} AS i, '{name}' AS name, {cond} AS ok FROM {call} r")
    print(") t ORDER BY i;")
    print()


print("""-- Accuracy of the comparisons of src/results/comparisons.c against
-- statsmodels and scipy.
-- GENERATED by test/vectors/comparisons_reference.py (see its docstring and
-- docs/testing.md); every row must say ok = t: a relative error of at most
-- 1e-9 (exact where the reference is 0), or what a block's title says.
-- Regenerate: /usr/bin/python3 test/vectors/comparisons_reference.py > sql/comparisons_accuracy.sql
-- Run as an analyst (regress_bi, a member of experiments_analyst), as the README has users do.
\\i sql/helpers/logins.sql
SET SESSION AUTHORIZATION regress_bi;
""")

RATE_CASES = [(20000, 200000, 22000, 200000, 0.95), (100, 1000, 130, 1000, 0.95),
              (50, 500, 50, 500, 0.95), (3000, 10000, 2000, 10000, 0.99),
              (10, 100000, 40, 120000, 0.9), (0, 150, 7, 160, 0.95), (9, 120, 0, 130, 0.95),
              (1, 5, 4, 6, 0.95), (3, 4, 0, 4, 0.95), (2, 12, 2, 12, 0.95)]
block("two_proportion_test: Miettinen-Nurminen score test, score intervals of difference and ratio", [
    (f"{x0}/{n0} vs {x1}/{n1} at {c}", f"experiments.two_proportion_test({x0}, {n0}, {x1}, {n1}, {c})",
     rates(x0, n0, x1, n1, c)) for x0, n0, x1, n1, c in RATE_CASES])

MEAN_CASES = [(10.0, 25.0, 200000, 10.05, 26.0, 200000, 0.95), (3.1, 2.0, 12, 4.5, 9.0, 7, 0.95),
              (100.0, 400.0, 50, 120.0, 100.0, 60, 0.99), (1.25, 0.5, 3, 1.0, 0.25, 2, 0.9),
              (5.0, 4.0, 200, 0.0, 1.5, 180, 0.95), (-3.0, 9.0, 40, 2.0, 16.0, 50, 0.95)]
block("welch_test: Welch's t, its interval of the difference, Fieller's interval of the ratio", [
    (f"{m0},{v0},{n0} vs {m1},{v1},{n1} at {c}",
     f"experiments.welch_test({m0}, {v0}, {n0}, {m1}, {v1}, {n1}, {c})", means(m0, v0, n0, m1, v1, n1, c))
    for m0, v0, n0, m1, v1, n1, c in MEAN_CASES])


def corrected(p_values, method, conf):
    alpha = 1 - conf
    members = [(p, i) for i, p in enumerate(p_values) if p is not None]
    ps = [p for p, _ in members]
    m = len(ps)
    adjusted = [None] * len(p_values)
    levels = [None] * len(p_values)
    if method == "none":
        adj = ps
    else:
        adj = multipletests(ps, alpha=alpha, method={"holm": "holm", "bh": "fdr_bh"}[method])[1]
    for (p, i), a in zip(members, adj):
        adjusted[i] = a
    order = sorted(range(m), key=lambda k: (ps[k], k))
    if method == "holm":
        stop = next((r for r, k in enumerate(order) if adj[k] >= alpha), m)
        for r, k in enumerate(order):
            levels[members[k][1]] = 1 - alpha / (m - min(r, stop))
    elif method == "bh":
        rejected = sum(1 for a in adj if a < alpha)
        for k in range(m):
            levels[members[k][1]] = 1 - max(rejected, 1) * alpha / m
    else:
        for k in range(m):
            levels[members[k][1]] = conf
    return adjusted, levels


def sql_array(values):
    return "'{" + ",".join("NULL" if v is None else f(v) for v in values) + "}'::float8[]"


def array_check(column, expected):
    conds = []
    for i, e in enumerate(expected, start=1):
        if e is None:
            conds.append(f"r.{column}[{i}] IS NULL")
        else:
            conds.append(f"abs(r.{column}[{i}] - {f(e)}) <= {TOLERANCE} * {f(abs(e))}")
    return " AND ".join(conds)


FAMILIES = [([0.01, 0.04, 0.03, 0.005, 0.2], 0.95), ([0.001, None, 0.02, 0.049, 0.3, 0.0002, 0.6], 0.95),
            ([0.04, 0.045, 0.03], 0.9), ([0.5, 0.7, 0.9], 0.95), ([1e-30, 0.012, 0.011, 0.0101], 0.99)]
print("-- multiple_testing: adjusted p-values (statsmodels multipletests) and interval levels")
print("SELECT i, method, ok FROM (")
first = True
for i, (ps, conf) in enumerate(FAMILIES):
    for method in ("holm", "bh", "none"):
        adjusted, levels = corrected(ps, method, conf)
        cond = array_check("adjusted_p_values", adjusted) + " AND " + array_check("confidences", levels)
        prefix = "\t SELECT" if first else "\tUNION ALL SELECT"
        first = False
        print(f"{prefix} {i} AS i, '{method}' AS method, {cond} AS ok "
              f"FROM experiments.multiple_testing({sql_array(ps)}, '{method}', {conf}) r")
print(") t ORDER BY i, method;")


def bayes_rates(x0, n0, x1, n1):
    """Chance to beat and expected loss by quadrature over the control's posterior
    (scipy.integrate.quad on scipy.stats.beta), not by the C code's finite sum."""
    a0, b0, a1, b1 = 1 + x0, 1 + n0 - x0, 1 + x1, 1 + n1 - x1
    control, treatment, raised = stats.beta(a0, b0), stats.beta(a1, b1), stats.beta(a1 + 1, b1)
    lo = max(0.0, min(control.ppf(1e-15), treatment.ppf(1e-15)))
    hi = min(1.0, max(control.isf(1e-15), treatment.isf(1e-15)))
    points = [control.mean(), treatment.mean()]

    def integral(fun):
        return integrate.quad(fun, lo, hi, points=points, epsabs=0, epsrel=1e-13, limit=500)[0]
    chance = integral(lambda x: control.pdf(x) * treatment.sf(x))
    # E[max(A - B, 0)] = E_A[A F_B(A) - mean(B) F_B+(A)], B+ ~ Beta(a1 + 1, b1)
    loss = integral(lambda x: control.pdf(x) * (x * treatment.cdf(x) - treatment.mean() * raised.cdf(x)))
    return [("chance_to_beat", chance), ("expected_loss", loss)]


def bayes_means(m0, v0, n0, m1, v1, n1):
    se = math.sqrt(v0 / n0 + v1 / n1)
    z = (m1 - m0) / se
    return [("chance_to_beat", stats.norm.sf(-z)),
            ("expected_loss", se * (stats.norm.pdf(z) - z * stats.norm.cdf(-z)))]


block("bayesian_rates: Beta(1, 1) priors, chance to beat and expected loss", [
    (f"{x0}/{n0} vs {x1}/{n1}", f"experiments.bayesian_rates({x0}, {n0}, {x1}, {n1})", bayes_rates(x0, n0, x1, n1))
    for x0, n0, x1, n1 in [(100, 1000, 130, 1000), (50, 500, 50, 500), (0, 150, 7, 160), (9, 120, 0, 130),
                           (1, 5, 4, 6), (2000, 20000, 2150, 20000), (300, 1000, 250, 1000)]])
# Arms of a million units, hundreds of thousands of terms in each finite sum
# (which rescale as they grow): the chance to beat within 1e-8 of the
# quadrature's, the expected loss, a difference of two such sums nearly
# equal, within 1e-5 (quad itself warns of its roundoff here).
block("bayesian_rates, arms of a million units: within 1e-8 and 1e-5", [
    (f"{x0}/{n0} vs {x1}/{n1}", f"experiments.bayesian_rates({x0}, {n0}, {x1}, {n1})",
     [(c, v, t) for (c, v), t in zip(bayes_rates(x0, n0, x1, n1), (1e-8, 1e-5))])
    for x0, n0, x1, n1 in [(300000, 1000000, 301500, 1000000), (612000, 1000000, 611000, 1000000)]])

block("bayesian_means: normal approximation, chance to beat and expected loss", [
    (f"{m0},{v0},{n0} vs {m1},{v1},{n1}", f"experiments.bayesian_means({m0}, {v0}, {n0}, {m1}, {v1}, {n1})",
     bayes_means(m0, v0, n0, m1, v1, n1))
    for m0, v0, n0, m1, v1, n1, c in MEAN_CASES])

# An experiment's results from raw events: 3,000 units, unit g in variant
# g % 3; goal a reached by some (with a value), goal b by others (no value).
# The same formulas make the events in SQL below and the counts here.
N = 3000
A_THRESHOLD = [100, 130, 90]
B_THRESHOLD = [300, 300, 360]


def a_converts(g):
    return (g * 7919) % 1000 < A_THRESHOLD[g % 3]


def a_value(g):
    return 1000 + (g * 31) % 500


def b_converts(g):
    return (g * 104729) % 1000 < B_THRESHOLD[g % 3]


arms = {v: [g for g in range(1, N + 1) if g % 3 == v] for v in range(3)}
tests = []  # (metric, ordinal, test, p, reference function of the confidence)
for v in (1, 2):
    for metric, converts in (("a", a_converts), ("b", b_converts)):
        x0, n0 = sum(converts(g) for g in arms[0]), len(arms[0])
        x1, n1 = sum(converts(g) for g in arms[v]), len(arms[v])
        p = proportion.score_test_proportions_2indep(x1, n1, x0, n0, compare="diff", correction=True).pvalue
        tests.append((metric, v, "rate", p, lambda c, a=(x0, n0, x1, n1): rates(*a, c) + bayes_rates(*a)))
    values = {u: np.array([a_value(g) if a_converts(g) else 0 for g in arms[u]], dtype=float) for u in (0, v)}
    m0, v0, n0 = values[0].mean(), values[0].var(ddof=1), len(values[0])
    m1, v1, n1 = values[v].mean(), values[v].var(ddof=1), len(values[v])
    p = stats.ttest_ind_from_stats(m1, math.sqrt(v1), n1, m0, math.sqrt(v0), n0, equal_var=False).pvalue
    tests.append(("a", v, "value", p, lambda c, a=(m0, v0, n0, m1, v1, n1): means(*a, c) + bayes_means(*a)))

print(f"""
-- experiment_results() on raw events against the same computation from them:
-- counts and per-unit values here, the tests above at the levels Holm and
-- Benjamini-Hochberg give (statsmodels multipletests), and the Bayesian
-- results. Written as the
-- superuser, read as the analyst.
RESET SESSION AUTHORIZATION;
SELECT experiments.create_tenant('comparisons_accuracy') AS tenant \\gset
SET experiments.tenant = :'tenant';
SELECT id AS exp FROM experiments.create_experiment('three_arms',
	'[{{"key": "control", "allocation": 34}}, {{"key": "b1", "allocation": 33}}, {{"key": "b2", "allocation": 33}}]',
	start => true) \\gset
-- The fixed-horizon tests these references compute (without settings an
-- experiment's results are sequential, sql/analysis.sql).
SELECT method FROM experiments.set_analysis('three_arms', method => 'fixed');
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT :exp, g % 3, 'user_id', 'c-' || g, '2026-05-01 10:00+00', true, true, false, false, false, false
FROM generate_series(1, {N}) g;
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', 'c-' || g, 'a', timestamptz '2026-05-01 11:00+00', jsonb_build_object('value', 1000 + (g * 31) % 500)
FROM generate_series(1, {N}) g WHERE (g::bigint * 7919) % 1000 < (ARRAY{A_THRESHOLD})[g % 3 + 1]
UNION ALL
SELECT 'user_id', 'c-' || g, 'b', '2026-05-01 11:00+00', NULL
FROM generate_series(1, {N}) g WHERE (g::bigint * 104729) % 1000 < (ARRAY{B_THRESHOLD})[g % 3 + 1];
SET SESSION AUTHORIZATION regress_bi;""")

COLUMNS = {"rate": [("rate_lift", "difference"), ("rate_lift_lower", "difference_lower"),
                    ("rate_lift_upper", "difference_upper"), ("rate_relative_lift", "relative_difference"),
                    ("rate_relative_lower", "relative_lower"), ("rate_relative_upper", "relative_upper"),
                    ("rate_p_value", "p_value"), ("rate_chance_to_beat", "chance_to_beat"),
                    ("rate_expected_loss", "expected_loss")],
           "value": [("value_lift", "difference"), ("value_lift_lower", "difference_lower"),
                     ("value_lift_upper", "difference_upper"), ("value_relative_lift", "relative_difference"),
                     ("value_relative_lower", "relative_lower"), ("value_relative_upper", "relative_upper"),
                     ("value_p_value", "p_value"), ("value_chance_to_beat", "chance_to_beat"),
                     ("value_expected_loss", "expected_loss")]}
for method in ("holm", "bh"):
    adjusted, levels = corrected([t[3] for t in tests], method, 0.95)
    print(f"-- correction {method}")
    print("SELECT i, ok FROM (")
    for i, ((metric, v, test, p, reference), a, level) in enumerate(zip(tests, adjusted, levels)):
        ref = dict(reference(level))
        conds = [check(col, ref[key]) for col, key in COLUMNS[test]]
        conds += [check(f"{test}_adjusted_p_value", a), check(f"{test}_interval_confidence", level),
                  f"r.p_value_correction = '{method}'"]
        prefix = "\t SELECT" if i == 0 else "\tUNION ALL SELECT"
        print(f"{prefix} {i} AS i, {' AND '.join(conds)} AS ok "
              f"FROM experiments.experiment_results(:exp, correction => '{method}') r "
              f"WHERE r.metric = '{metric}' AND r.ordinal = {v}")
    print(") t ORDER BY i;")
print("\\i sql/helpers/drop_logins.sql")
