#!/usr/bin/python3
"""Calibration of the fixed-horizon and sequential tests (make calibrate; not
part of make test). Simulates experiments read once a day for 14 days, 1,000
new units per arm and day, and asks the product's SQL functions for their
verdicts and intervals at every look, in one query per metric:

- rates: binomial counts (10% conversion; 11% in the treatment of A/B runs),
  two_proportion_test() against sequential_interval() with the unpooled
  standard error;
- means: normal values (mean 0, sd 1; 0.05 in the treatment of A/B runs),
  simulated exactly through their sufficient statistics (the day's mean is
  normal, its sum of squared deviations sigma^2 chi-square), welch_test()
  against sequential_interval();
- sample ratio mismatch: 50/50 allocation, srm_test() against
  sequential_srm_test().

Reported: the false-positive rate of an A/A experiment when a verdict is taken
at any of the 14 looks (the peeking problem) and at the last look only, and
the coverage of the intervals of A/B experiments at the last look and, for the
confidence sequence, at all 14 looks at once. Fails (exit 1) when the sequential
false-positive rate exceeds 5% or a fixed-horizon interval's coverage at the
last look is outside 0.95 +- 0.01.

Then the method experiment_results() uses (calibrate_method() and the
functions after it, kept apart from the above):

- the sequential method: sequential_test(), the comparison
  experiment_results(..., method => 'sequential') makes, on the same A/A
  looks of rates (as means of a 0/1 indicator with its sample variance) and
  means: false positives at any of 14 looks;
- multiple testing: A/A experiments with 3 treatments and 5 rate metrics (15
  comparisons against one control, 14,000 units per arm), the family-wise
  rate of at least one false verdict without correction, with Holm and with
  Benjamini-Hochberg (multiple_testing(), as experiment_results() applies
  it), at one look and, with the sequential method, at any of 14 looks;
- coverage at large n (14,000 units per arm) of every interval kind of the
  fixed-horizon method: Wilson's interval of a rate, the score intervals of
  the difference and of the ratio of two rates, Welch's interval of a
  difference of means and Fieller's of their ratio.

Fails (exit 1) also when a family-wise rate with Holm or a sequential
false-positive rate exceeds 5%, or a coverage leaves 0.95 +- 0.01.

Then CUPED (calibrate_cuped(), kept apart): the variance of metric_results()'s
CUPED-adjusted values over the raw ones against the theory, 1 - rho^2,
within 5%, for rho 0.3, 0.5, 0.7 and 0.9.

Environment: PGDATABASE etc. (a database with the extension), CALIBRATE_RUNS
(simulated experiments per scenario, default 20000), CALIBRATE_FAMILY_RUNS
(simulated 3 x 5 experiments, default CALIBRATE_RUNS / 4: each has 15
comparisons at 14 looks), CALIBRATE_SEED (default 1), CALIBRATE_CUPED_UNITS (units per CUPED
experiment, default 40000). For a quick check:
CALIBRATE_RUNS=2000 CALIBRATE_FAMILY_RUNS=500.
"""
import os
import subprocess
import sys

import numpy as np

RUNS = int(os.environ.get("CALIBRATE_RUNS", "20000"))
FAMILY_RUNS = int(os.environ.get("CALIBRATE_FAMILY_RUNS", str(max(RUNS // 4, 1))))
SEED = int(os.environ.get("CALIBRATE_SEED", "1"))
DAYS = 14
PER_DAY = 1000
TUNING_N = 2 * DAYS * PER_DAY  # the planned sample size, both arms
rng = np.random.default_rng(SEED)


def psql(sql, data):
    """Runs sql with data (CSV lines) as the COPY input; returns the rows."""
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
                         input=sql.replace("\\DATA", data), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    return [line.split("\t") for line in out.stdout.strip().splitlines()]


def cumulative_rates(rate):
    return np.cumsum(rng.binomial(PER_DAY, rate, size=(RUNS, DAYS)), axis=1)


def cumulative_means(mean):
    """Cumulative mean and sample variance of normal values, from each day's exact sufficient statistics."""
    day_mean = rng.normal(mean, 1 / np.sqrt(PER_DAY), size=(RUNS, DAYS))
    day_ss = rng.chisquare(PER_DAY - 1, size=(RUNS, DAYS))
    n = PER_DAY * np.arange(1, DAYS + 1)
    total = np.cumsum(day_mean * PER_DAY, axis=1)
    squares = np.cumsum(day_ss + PER_DAY * day_mean ** 2, axis=1)
    cmean = total / n
    return cmean, (squares - n * cmean ** 2) / (n - 1)


def rows(*columns):
    n = PER_DAY * np.arange(1, DAYS + 1)
    lines = []
    for r in range(RUNS):
        for d in range(DAYS):
            lines.append(",".join([str(r), str(d + 1), str(n[d])] + [repr(float(c[r, d])) for c in columns]))
    return "\n".join(lines) + "\n\\.\n"


# Columns: the verdict at the look (interval excludes 0, or the true
# difference), per run and look; aggregated per run, then over runs.
SUMMARY = """
SELECT avg(any_fixed::int), avg(any_seq::int), avg(last_fixed::int), avg(last_seq::int),
	   avg(last_fixed_cover::int), avg(last_seq_cover::int), avg(all_seq_cover::int)
FROM (SELECT run, bool_or(fixed_out) AS any_fixed, bool_or(seq_out) AS any_seq,
			 bool_or(fixed_out) FILTER (WHERE day = %(days)d) AS last_fixed,
			 bool_or(seq_out) FILTER (WHERE day = %(days)d) AS last_seq,
			 bool_and(fixed_cover) FILTER (WHERE day = %(days)d) AS last_fixed_cover,
			 bool_and(seq_cover) FILTER (WHERE day = %(days)d) AS last_seq_cover,
			 bool_and(seq_cover) AS all_seq_cover
	  FROM (SELECT l.run, l.day, f.p_value < 0.05 AS fixed_out, s.p_value < 0.05 AS seq_out,
				   l.truth BETWEEN f.difference_lower AND f.difference_upper AS fixed_cover,
				   l.truth BETWEEN s.lower AND s.upper AS seq_cover
			FROM looks l
			CROSS JOIN LATERAL %(fixed)s f
			CROSS JOIN LATERAL experiments.sequential_interval(f.difference, %(se)s, 2 * l.n, 0.95, %(tuning)d) s) v
	  GROUP BY run) r;
"""


def rates(effect):
    c, t = cumulative_rates(0.10), cumulative_rates(0.10 + effect)
    sql = ("CREATE TEMP TABLE looks (run int, day int, n bigint, c float8, t float8, truth float8 DEFAULT %r);\n"
           "COPY looks (run, day, n, c, t) FROM STDIN (FORMAT csv);\n\\DATA" % effect) + SUMMARY % {
        "days": DAYS, "tuning": TUNING_N,
        "fixed": "experiments.two_proportion_test(l.c::bigint, l.n, l.t::bigint, l.n, 0.95)",
        "se": "sqrt((l.c / l.n) * (1 - l.c / l.n) / l.n + (l.t / l.n) * (1 - l.t / l.n) / l.n)"}
    return [float(v) for v in psql(sql, rows(c, t))[0]]


def means(effect):
    (cm, cv), (tm, tv) = cumulative_means(0.0), cumulative_means(effect)
    sql = ("CREATE TEMP TABLE looks (run int, day int, n bigint, cm float8, cv float8, tm float8, tv float8, truth float8 DEFAULT %r);\n"
           "COPY looks (run, day, n, cm, cv, tm, tv) FROM STDIN (FORMAT csv);\n\\DATA" % effect) + SUMMARY % {
        "days": DAYS, "tuning": TUNING_N,
        "fixed": "experiments.welch_test(l.cm, l.cv, l.n, l.tm, l.tv, l.n, 0.95)",
        "se": "sqrt(l.cv / l.n + l.tv / l.n)"}
    return [float(v) for v in psql(sql, rows(cm, cv, tm, tv))[0]]


def srm():
    c = np.cumsum(rng.binomial(2 * PER_DAY, 0.5, size=(RUNS, DAYS)), axis=1)
    t = 2 * PER_DAY * np.arange(1, DAYS + 1) - c
    sql = """CREATE TEMP TABLE looks (run int, day int, n bigint, c float8, t float8);
COPY looks FROM STDIN (FORMAT csv);
\\DATA
SELECT avg(any_fixed::int), avg(any_seq::int), avg(last_fixed::int), avg(last_seq::int)
FROM (SELECT l.run, bool_or(f.p_value < 0.05) AS any_fixed, bool_or(s.p_value < 0.05) AS any_seq,
			 bool_or(f.p_value < 0.05) FILTER (WHERE l.day = %d) AS last_fixed,
			 bool_or(s.p_value < 0.05) FILTER (WHERE l.day = %d) AS last_seq
	  FROM looks l
	  CROSS JOIN LATERAL experiments.srm_test(ARRAY[l.c::bigint, l.t::bigint], '{1,1}') f
	  CROSS JOIN LATERAL experiments.sequential_srm_test(ARRAY[l.c::bigint, l.t::bigint], '{1,1}') s
	  GROUP BY l.run) r;
""" % (DAYS, DAYS)
    return [float(v) for v in psql(sql, rows(c, t))[0]]


# --- the method of experiment_results(): sequential_test, corrections,
# coverage of every interval kind ------------------------------------------

def method_rates_aa():
    """A/A rates through sequential_test (rates as means of a 0/1 indicator): verdict at any look."""
    c, t = cumulative_rates(0.10), cumulative_rates(0.10)
    sql = """CREATE TEMP TABLE looks (run int, day int, n bigint, c float8, t float8);
COPY looks FROM STDIN (FORMAT csv);
\\DATA
SELECT avg(any_seq::int) FROM (
	SELECT l.run, bool_or(s.p_value < 0.05) AS any_seq
	FROM looks l
	CROSS JOIN LATERAL experiments.sequential_test(l.c / l.n, l.c * (l.n - l.c) / (l.n * (l.n - 1.0)), l.n,
		l.t / l.n, l.t * (l.n - l.t) / (l.n * (l.n - 1.0)), l.n, 0.95, %d) s
	GROUP BY l.run) r;
""" % TUNING_N
    return float(psql(sql, rows(c, t))[0][0])


def method_means_aa():
    """A/A means through sequential_test: verdict at any look."""
    (cm, cv), (tm, tv) = cumulative_means(0.0), cumulative_means(0.0)
    sql = """CREATE TEMP TABLE looks (run int, day int, n bigint, cm float8, cv float8, tm float8, tv float8);
COPY looks FROM STDIN (FORMAT csv);
\\DATA
SELECT avg(any_seq::int) FROM (
	SELECT l.run, bool_or(s.p_value < 0.05) AS any_seq
	FROM looks l
	CROSS JOIN LATERAL experiments.sequential_test(l.cm, l.cv, l.n, l.tm, l.tv, l.n, 0.95, %d) s
	GROUP BY l.run) r;
""" % TUNING_N
    return float(psql(sql, rows(cm, cv, tm, tv))[0][0])


def method_family():
    """3 treatments x 5 rate metrics, A/A: the share of experiments with at least one false
    verdict, per correction, at the last look (fixed horizon) and at any look (sequential)."""
    treatments, metrics = 3, 5
    counts = np.cumsum(rng.binomial(PER_DAY, 0.10, size=(FAMILY_RUNS, treatments + 1, metrics, DAYS)), axis=3)
    n = PER_DAY * np.arange(1, DAYS + 1)
    lines = []
    for r in range(FAMILY_RUNS):
        for a in range(1, treatments + 1):
            for m in range(metrics):
                for d in range(DAYS):
                    lines.append(f"{r},{d + 1},{n[d]},{a},{m},{counts[r, 0, m, d]},{counts[r, a, m, d]}")
    data = "\n".join(lines) + "\n\\.\n"
    sql = """CREATE TEMP TABLE looks (run int, day int, n bigint, arm int, metric int, c bigint, t bigint);
COPY looks FROM STDIN (FORMAT csv);
\\DATA
CREATE TEMP TABLE p AS
SELECT l.run, l.day, l.arm, l.metric, f.p_value AS fixed, s.p_value AS seq
FROM looks l
CROSS JOIN LATERAL experiments.two_proportion_test(l.c, l.n, l.t, l.n, 0.95) f
CROSS JOIN LATERAL experiments.sequential_test(l.c::float8 / l.n, l.c * (l.n - l.c) / (l.n * (l.n - 1.0)), l.n,
	l.t::float8 / l.n, l.t * (l.n - l.t) / (l.n * (l.n - 1.0)), l.n, 0.95, %(tuning)d) s;
CREATE TEMP TABLE families AS
SELECT run, day, array_agg(fixed ORDER BY arm, metric) AS fixed, array_agg(seq ORDER BY arm, metric) AS seq
FROM p GROUP BY run, day;
SELECT c.method,
	   avg(last_fixed::int), avg(any_seq::int)
FROM (VALUES ('none'), ('holm'), ('bh')) c(method)
CROSS JOIN LATERAL (
	SELECT f.run,
		   bool_or(0.05 > ANY ((experiments.multiple_testing(f.fixed, c.method)).adjusted_p_values))
			   FILTER (WHERE f.day = %(days)d) AS last_fixed,
		   bool_or(0.05 > ANY ((experiments.multiple_testing(f.seq, c.method)).adjusted_p_values)) AS any_seq
	FROM families f GROUP BY f.run) r
GROUP BY c.method ORDER BY c.method;
""" % {"tuning": TUNING_N, "days": DAYS}
    return {row[0]: (float(row[1]), float(row[2])) for row in psql(sql, data)}


def method_coverage():
    """Coverage at the last look (14,000 units per arm) of every fixed-horizon interval kind, A/B."""
    total = DAYS * PER_DAY
    pc, pt = 0.10, 0.11
    c = rng.binomial(total, pc, size=RUNS)
    t = rng.binomial(total, pt, size=RUNS)
    # Means: normal values with a non-zero control mean, so that the ratio is defined.
    mc, mt = 1.0, 1.05
    cm = rng.normal(mc, 1 / np.sqrt(total), size=RUNS)
    tm = rng.normal(mt, 1 / np.sqrt(total), size=RUNS)
    cv = rng.chisquare(total - 1, size=RUNS) / (total - 1)
    tv = rng.chisquare(total - 1, size=RUNS) / (total - 1)
    data = "\n".join(f"{r},{c[r]},{t[r]},{cm[r]!r},{cv[r]!r},{tm[r]!r},{tv[r]!r}" for r in range(RUNS)) + "\n\\.\n"
    sql = """CREATE TEMP TABLE runs (run int, c bigint, t bigint, cm float8, cv float8, tm float8, tv float8);
COPY runs FROM STDIN (FORMAT csv);
\\DATA
SELECT avg((%(pc)r BETWEEN w.lower AND w.upper)::int),
	   avg((%(pt)r - %(pc)r BETWEEN z.difference_lower AND z.difference_upper)::int),
	   avg((%(pt)r / %(pc)r - 1 BETWEEN z.relative_lower AND z.relative_upper)::int),
	   avg((%(mt)r - %(mc)r BETWEEN m.difference_lower AND m.difference_upper)::int),
	   avg((%(mt)r / %(mc)r - 1 BETWEEN m.relative_lower AND m.relative_upper)::int)
FROM runs r
CROSS JOIN LATERAL experiments.wilson_interval(r.c, %(n)d, 0.95) w
CROSS JOIN LATERAL experiments.two_proportion_test(r.c, %(n)d, r.t, %(n)d, 0.95) z
CROSS JOIN LATERAL experiments.welch_test(r.cm, r.cv, %(n)d, r.tm, r.tv, %(n)d, 0.95) m;
""" % {"pc": pc, "pt": pt, "mc": mc, "mt": mt, "n": total}
    return [float(v) for v in psql(sql, data)[0]]


def calibrate_method():
    """The method of experiment_results(): prints its table, returns its failures."""
    failures = []
    rates_aa, means_aa = method_rates_aa(), method_means_aa()
    family = method_family()
    coverage = method_coverage()
    print()
    print(f"The method of experiment_results(): sequential_test tuned to {TUNING_N} units; "
          f"{FAMILY_RUNS} simulated 3 x 5 A/A experiments ({DAYS * PER_DAY} units per arm at the last look)")
    table = [
        ("A/A false positives, any of 14 looks, sequential_test: rates", rates_aa),
        ("A/A false positives, any of 14 looks, sequential_test: means", means_aa),
    ]
    for method, label in (("none", "no correction"), ("holm", "Holm"), ("bh", "Benjamini-Hochberg")):
        table.append((f"3 x 5 A/A, at least one false verdict, last look, fixed horizon, {label}", family[method][0]))
        table.append((f"3 x 5 A/A, at least one false verdict, any of 14 looks, sequential, {label}", family[method][1]))
    kinds = ["Wilson interval of a rate", "score interval of a difference of rates",
             "score interval of a ratio of rates", "Welch interval of a difference of means",
             "Fieller interval of a ratio of means"]
    for kind, v in zip(kinds, coverage):
        table.append((f"coverage at the last look: {kind}", v))
    width = max(len(t[0]) for t in table)
    for name, v in table:
        print(f"{name:<{width}}  {v:7.4f}")
    for label, v in (("rates", rates_aa), ("means", means_aa)):
        if v > 0.05:
            failures.append(f"sequential_test false-positive rate of {label} {v:.4f} > 0.05")
    for method in ("holm", "bh"):
        for look, v in zip(("last look, fixed", "any look, sequential"), family[method]):
            if v > 0.05:
                failures.append(f"family-wise false verdicts with {method} ({look}) {v:.4f} > 0.05")
    for kind, v in zip(kinds, coverage):
        if abs(v - 0.95) > 0.01:
            failures.append(f"coverage of the {kind} {v:.4f} outside 0.95 +- 0.01")
    return failures


# CUPED (metric_results(), kept apart from the above): per correlation rho,
# one experiment of CUPED_UNITS units in two arms through the whole product
# path: an exposure per unit, a goal event with the unit's covariate c in the
# 14 days before it and one with its value x = rho c + sqrt(1 - rho^2) e
# after it (c and e standard normal), a mean metric summing the goal's
# property. The variance of the CUPED-adjusted values over that of the raw
# ones (1 - variance_reduction) must match the theory, 1 - rho^2, within 5%.
CUPED_UNITS = int(os.environ.get("CALIBRATE_CUPED_UNITS", "40000"))
CUPED_RHOS = (0.3, 0.5, 0.7, 0.9)


def calibrate_cuped():
    """Rows (rho, arm, 1 - rho^2, observed ratio) and the failures."""
    lines = []
    for k, rho in enumerate(CUPED_RHOS):
        c = rng.standard_normal(CUPED_UNITS)
        x = rho * c + np.sqrt(1 - rho ** 2) * rng.standard_normal(CUPED_UNITS)
        for u in range(CUPED_UNITS):
            lines.append(f"{k},{u},{u % 2},{c[u]!r},{x[u]!r}")
    data = "\n".join(lines) + "\n\\.\n"
    sql = """CREATE TEMP TABLE units (k int, u int, arm int, c float8, x float8);
COPY units FROM STDIN (FORMAT csv);
\\DATA
SELECT experiments.create_tenant('calibrate-cuped-' || pg_backend_pid()) AS tenant \\gset
SET experiments.tenant = :'tenant';
CREATE TEMP TABLE runs AS
SELECT k, (SELECT id FROM experiments.create_experiment('cuped' || k,
	'[{"key": "control", "allocation": 50}, {"key": "b", "allocation": 50}]', start => true)) AS experiment_id
FROM generate_series(0, %(n)d) k;
INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
	assigned, eligible, overridden, full_on, custom, audience_mismatch)
SELECT r.experiment_id, u.arm, 'user_id', u.k || '-' || u.u, '2026-05-10 00:00+00', true, true, false, false, false, false
FROM units u JOIN runs r USING (k);
INSERT INTO experiments.goal_events (unit_type, unit, goal, achieved_at, properties)
SELECT 'user_id', u.k || '-' || u.u, 'v' || u.k, timestamptz '2026-05-05 00:00+00', jsonb_build_object('v', u.c) FROM units u
UNION ALL
SELECT 'user_id', u.k || '-' || u.u, 'v' || u.k, '2026-05-11 00:00+00', jsonb_build_object('v', u.x) FROM units u;
INSERT INTO experiments.metrics (key, type, source, event, aggregation, property)
SELECT 'v' || k, 'mean', 'goal', 'v' || k, 'sum', 'v' FROM runs;
INSERT INTO experiments.experiment_metrics (experiment_id, metric_id, role)
SELECT r.experiment_id, m.id, 'primary' FROM runs r JOIN experiments.metrics m ON m.key = 'v' || r.k;
SELECT r.k, m.ordinal, 1 - m.variance_reduction
FROM runs r CROSS JOIN LATERAL experiments.metric_results(r.experiment_id) m
WHERE m.metric = 'v' || r.k ORDER BY r.k, m.ordinal;
""" % {"n": len(CUPED_RHOS) - 1}
    rows_, failures = [], []
    for k, ordinal, ratio in psql(sql, data):
        rho = CUPED_RHOS[int(k)]
        theory = 1 - rho ** 2
        rows_.append((rho, int(ordinal), theory, float(ratio)))
        if abs(float(ratio) / theory - 1) > 0.05:
            failures.append(f"CUPED variance ratio at rho {rho}, arm {ordinal}: {float(ratio):.4f}, "
                            f"not within 5% of 1 - rho^2 = {theory:.4f}")
    return rows_, failures


def print_cuped(rows_):
    print(f"CUPED ({CUPED_UNITS} units, two arms): adjusted variance / variance against 1 - rho^2")
    print(f"{'rho':>5}  {'arm':>3}  {'1 - rho^2':>9}  {'observed':>9}  {'ratio':>7}")
    for rho, arm, theory, observed in rows_:
        print(f"{rho:5.2f}  {arm:3d}  {theory:9.4f}  {observed:9.4f}  {observed / theory:7.4f}")


def main():
    print(f"{RUNS} simulated experiments per scenario, {DAYS} daily looks, {PER_DAY} new units per arm and day, "
          f"seed {SEED}; sequential_interval tuned to {TUNING_N} units, confidence 0.95")
    rate_aa, rate_ab = rates(0.0), rates(0.01)
    mean_aa, mean_ab = means(0.0), means(0.05)
    srm_aa = srm()
    table = [
        ("A/A false positives, verdict at any of 14 looks: fixed horizon", rate_aa[0], mean_aa[0], srm_aa[0]),
        ("A/A false positives, verdict at any of 14 looks: sequential", rate_aa[1], mean_aa[1], srm_aa[1]),
        ("A/A false positives, last look only: fixed horizon", rate_aa[2], mean_aa[2], srm_aa[2]),
        ("A/A false positives, last look only: sequential", rate_aa[3], mean_aa[3], srm_aa[3]),
        ("A/B coverage at the last look: fixed-horizon interval", rate_ab[4], mean_ab[4], None),
        ("A/B coverage at the last look: sequential interval", rate_ab[5], mean_ab[5], None),
        ("A/B coverage at all 14 looks at once: sequential interval", rate_ab[6], mean_ab[6], None),
    ]
    width = max(len(t[0]) for t in table)
    print(f"{'measure':<{width}}  {'rates':>7}  {'means':>7}  {'SRM':>7}")
    for name, *values in table:
        print(f"{name:<{width}}  " + "  ".join(f"{v:7.4f}" if v is not None else f"{'':7}" for v in values))
    failures = []
    for label, v in (("rates", rate_aa[1]), ("means", mean_aa[1]), ("SRM", srm_aa[1])):
        if v > 0.05:
            failures.append(f"sequential false-positive rate of {label} {v:.4f} > 0.05")
    for label, v in (("rates", rate_ab[4]), ("means", mean_ab[4])):
        if abs(v - 0.95) > 0.01:
            failures.append(f"fixed-horizon coverage of {label} {v:.4f} outside 0.95 +- 0.01")
    failures += calibrate_method()
    cuped_rows, cuped_failures = calibrate_cuped()
    print_cuped(cuped_rows)
    failures += cuped_failures
    for f in failures:
        print("FAILED:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
