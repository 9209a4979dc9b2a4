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

Then CUPED (calibrate_cuped(), kept apart): the variance of metric_results()'s
CUPED-adjusted values over the raw ones against the theory, 1 - rho^2,
within 5%, for rho 0.3, 0.5, 0.7 and 0.9.

Environment: PGDATABASE etc. (a database with the extension), CALIBRATE_RUNS
(simulated experiments per scenario, default 20000), CALIBRATE_SEED (default 1),
CALIBRATE_CUPED_UNITS (units per CUPED experiment, default 40000).
"""
import os
import subprocess
import sys

import numpy as np

RUNS = int(os.environ.get("CALIBRATE_RUNS", "20000"))
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
    cuped_rows, cuped_failures = calibrate_cuped()
    print_cuped(cuped_rows)
    failures += cuped_failures
    for f in failures:
        print("FAILED:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
