/*
 * comparisons.c
 *		The tests and intervals behind experiment results: Wilson intervals
 *		of a rate, the comparison of two rates (Miettinen-Nurminen score test
 *		and score intervals of the difference and of the ratio), the
 *		comparison of two means (Welch's t-test, its interval of the
 *		difference and Fieller's interval of the ratio), its always-valid
 *		counterpart for results read while the experiment runs
 *		(sequential_test), and the chi-square test of sample ratio mismatch.
 *
 * One statistic per comparison: the p-value and both intervals invert the
 * same test, so an interval excludes "no difference" exactly when the
 * p-value is below 1 - confidence, and a verdict taken from the p-value can
 * never contradict the interval printed beside it (docs/results.md). Checked
 * in sql/comparisons_accuracy.sql against statsmodels and scipy
 * (test/vectors/comparisons_reference.py).
 */
#include "core.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "stats.h"

PG_FUNCTION_INFO_V1(wilson_interval);
PG_FUNCTION_INFO_V1(two_proportion_test);
PG_FUNCTION_INFO_V1(welch_test);
PG_FUNCTION_INFO_V1(sequential_test);
PG_FUNCTION_INFO_V1(comparison);
PG_FUNCTION_INFO_V1(metric_comparison);
PG_FUNCTION_INFO_V1(srm_test);
PG_FUNCTION_INFO_V1(multiple_testing);
PG_FUNCTION_INFO_V1(bayesian_rates);
PG_FUNCTION_INFO_V1(bayesian_means);

/* Root finding stops after this many steps, far more than a double needs. */
#define MAX_ROOT_STEPS 2000

/*
 * CheckCounts
 *		Counts of units are non-negative, and successes never exceed trials.
 */
static void
CheckCounts(int64 successes, int64 trials)
{
	if (trials < 0 || successes < 0 || successes > trials)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid counts: %lld successes out of %lld trials",
						(long long) successes, (long long) trials),
				 errdetail("Both counts must be non-negative and successes must not exceed trials.")));
}

/* The sample summaries of two arms, as a comparison of means takes them. */
typedef struct TwoMeans
{
	double		m0,
				v0,
				m1,
				v1;
	int64		n0,
				n1;
} TwoMeans;

/*
 * CheckTwoMeans
 *		Finite means, finite non-negative variances, non-negative counts.
 */
static void
CheckTwoMeans(const TwoMeans *s, const char *function)
{
	if (s->n0 < 0 || s->n1 < 0 || !(s->v0 >= 0.0) || !(s->v1 >= 0.0) || isinf(s->v0) || isinf(s->v1) ||
		!isfinite(s->m0) || !isfinite(s->m1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid sample summary for %s", function),
				 errdetail("Means must be finite, variances finite and non-negative, counts non-negative.")));
}

/*
 * GetTwoMeans
 *		Arguments 0 to 5 (control mean, variance, count, then the
 *		treatment's), checked.
 */
static TwoMeans
GetTwoMeans(FunctionCallInfo fcinfo, const char *function)
{
	TwoMeans	s = {
		.m0 = PG_GETARG_FLOAT8(0), .v0 = PG_GETARG_FLOAT8(1), .n0 = PG_GETARG_INT64(2),
		.m1 = PG_GETARG_FLOAT8(3), .v1 = PG_GETARG_FLOAT8(4), .n1 = PG_GETARG_INT64(5),
	};

	CheckTwoMeans(&s, function);
	return s;
}

/*
 * ReturnRecord
 *		Builds the row a function with OUT parameters returns. Its
 *		descriptor is made at a call site's first call and kept in fn_extra:
 *		results call the comparisons once per row, and making it took a
 *		lookup of the function and a new descriptor each time.
 */
Datum
ReturnRecord(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	desc = (TupleDesc) fcinfo->flinfo->fn_extra;

	if (desc == NULL)
	{
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("statistics functions must return a record"),
					 errdetail("The function was declared without OUT parameters.")));
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		desc = BlessTupleDesc(CreateTupleDescCopy(desc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = desc;
	}
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

/* Columns of two_proportion_test and welch_test, in declaration order. */
enum
{
	TEST_DIFFERENCE,
	TEST_DIFFERENCE_LOWER,
	TEST_DIFFERENCE_UPPER,
	TEST_RELATIVE,
	TEST_RELATIVE_LOWER,
	TEST_RELATIVE_UPPER,
	TEST_STATISTIC,
	TEST_P_VALUE,
	TEST_RELATIVE_NOTE,
	TEST_DF,					/* welch_test only */
	TEST_COLUMNS
};

/* comparison() returns them but TEST_STATISTIC and TEST_DF. */
#define COMPARISON_COLUMNS (TEST_COLUMNS - 2)

/*
 * SetResult
 *		One column of a comparison's row; NaN stays NULL.
 */
static inline void
SetResult(Datum *values, bool *nulls, int column, double value)
{
	if (isnan(value))
		return;
	values[column] = Float8GetDatum(value);
	nulls[column] = false;
}

/*
 * SetNote
 *		Why the relative interval is missing, in words.
 */
static inline void
SetNote(Datum *values, bool *nulls, const char *note)
{
	values[TEST_RELATIVE_NOTE] = CStringGetTextDatum(note);
	nulls[TEST_RELATIVE_NOTE] = false;
}

/*
 * The two rates: x1 of n1 in the treatment, x0 of n0 in the control, and
 * the correction n / (n - 1) of Miettinen and Nurminen (1985).
 */
typedef struct TwoRates
{
	double		x1,
				n1,
				x0,
				n0;
	double		correction;
} TwoRates;

/*
 * A decreasing function of one variable over the two rates, whose crossing
 * of a value Crossing() finds: a score statistic of the rates, or the slope
 * of their likelihood under H0 at a difference delta.
 */
typedef struct Curve
{
	double		(*at) (const struct Curve *curve, double x);
	const TwoRates *rates;
	double		delta;			/* NullSlope: the difference under H0 */
} Curve;

/*
 * Crossing
 *		The point of [lo, hi] where a decreasing curve crosses target, to the
 *		last bit: the midpoint of the two adjacent doubles it crosses
 *		between, where bisection ends. at_lo and at_hi are the curve's values
 *		at the ends, NaN when not known; guess, where to look first (NaN:
 *		nowhere in particular). Bisection took a step per bit, about
 *		60, and the score of a difference maximizes a likelihood at each of
 *		its own. Steps here are by regula falsi with the Illinois
 *		modification, superlinear on these smooth curves, stepping just
 *		inside an end where interpolation lands on it; a step halves the
 *		bracket instead (at its geometric mean on a ratio's positive axis)
 *		while an end's value is unknown or infinite (score statistics are
 *		infinite at the ends), where interpolation would not land strictly
 *		inside it, and when three steps did not halve it.
 */
static double
Crossing(const Curve *curve, double target, double lo, double hi, double at_lo, double at_hi,
		 double guess, bool geometric)
{
	double		above = at_lo - target; /* the curve less target at lo: > 0 */
	double		below = at_hi - target; /* at hi: <= 0 */
	int			last_side = 0;
	int			at_end = 0;
	double		checked_width = hi - lo;

	for (int i = 0; i < MAX_ROOT_STEPS; i++)
	{
		double		x = NAN;
		double		value;
		bool		halve = false;

		if (i % 3 == 0)
		{
			halve = i > 0 && hi - lo > checked_width / 2.0;
			checked_width = hi - lo;
		}
		if (i == 0)
			x = guess;
		else if (!halve && isfinite(above) && isfinite(below))
		{
			x = lo + (hi - lo) * (above / (above - below));

			/*
			 * At an end (the value there is 0, or the other's is noise
			 * beside it): look just inside, twice as far at each step that
			 * lands there again, from a thousandth of the bracket.
			 */
			if (x <= lo || x >= hi)
			{
				double		step = ldexp(hi - lo, Min(++at_end, 10) - 11);

				x = x <= lo ? lo + step : hi - step;
			}
			else
				at_end = 0;
		}
		if (!(x > lo && x < hi))
			x = geometric ? sqrt(lo) * sqrt(hi) : lo + (hi - lo) / 2.0;
		if (!(x > lo && x < hi))
			break;
		value = curve->at(curve, x) - target;
		if (value > 0.0)
		{
			lo = x;
			above = value;
			if (last_side > 0)
				below /= 2.0;
			last_side = 1;
		}
		else
		{
			hi = x;
			below = value;
			if (last_side < 0)
				above /= 2.0;
			last_side = -1;
		}
	}
	return lo + (hi - lo) / 2.0;
}

/*
 * Share
 *		x / p, 0 when there is nothing to share (x = 0), so that the score
 *		of the likelihood is defined at the ends of its interval.
 */
static inline double
Share(double x, double p)
{
	return x == 0.0 ? 0.0 : x / p;
}

/*
 * NullSlope
 *		The derivative in p0 of the log-likelihood of both arms under H0:
 *		p1 = p0 + delta, at control rate p0.
 */
static double
NullSlope(const Curve *curve, double p0)
{
	const TwoRates *r = curve->rates;
	double		p1 = p0 + curve->delta;

	return Share(r->x1, p1) - Share(r->n1 - r->x1, 1.0 - p1) +
		Share(r->x0, p0) - Share(r->n0 - r->x0, 1.0 - p0);
}

/*
 * NullControlRate
 *		The control rate p0 maximizing the likelihood of both arms under
 *		H0: p1 = p0 + delta. The likelihood is concave in p0, so its
 *		derivative decreases on the feasible interval and its root, or the
 *		end where the maximum lies, is where that crosses 0. Miettinen and
 *		Nurminen (1985) give the root as that of a cubic in closed form,
 *		whose trigonometric form picks a root outside the feasible interval
 *		when an arm has no conversion; a search has no such case.
 */
static double
NullControlRate(const TwoRates *r, double delta)
{
	Curve		slope = {.at = NullSlope, .rates = r, .delta = delta};
	double		lo = Max(0.0, -delta);
	double		hi = Min(1.0, 1.0 - delta);
	double		at_lo = NullSlope(&slope, lo);
	double		at_hi = NullSlope(&slope, hi);

	/*
	 * A maximum at an end (an arm without conversions, say, or with nothing
	 * else): the search would halve its way to it, down to the least
	 * denormal at 0. The slope decreases, so past an end it has no root.
	 */
	if (at_lo <= 0.0)
		return lo;
	if (at_hi > 0.0)
		return hi;
	/* first, the pooled rate less the treatment's share of delta */
	return Crossing(&slope, 0.0, lo, hi, at_lo, at_hi,
					(r->x0 + r->x1 - r->n1 * delta) / (r->n0 + r->n1), false);
}

/*
 * DifferenceScore
 *		The Miettinen-Nurminen score statistic of H0: p1 - p0 = delta:
 *		(p1^ - p0^ - delta) / sqrt(V), V the variance of the rates at their
 *		maximum likelihood under H0 (the pooled rate at delta = 0), times
 *		the correction. +-Infinity where V is 0 and the numerator is not.
 */
static double
DifferenceScore(const Curve *curve, double delta)
{
	const TwoRates *r = curve->rates;
	double		p0 = delta == 0.0 ? (r->x1 + r->x0) / (r->n1 + r->n0) : NullControlRate(r, delta);
	double		p1 = p0 + delta;
	double		numerator = r->x1 / r->n1 - r->x0 / r->n0 - delta;
	double		variance = (p1 * (1.0 - p1) / r->n1 + p0 * (1.0 - p0) / r->n0) * r->correction;

	if (variance <= 0.0)
		return numerator == 0.0 ? NAN : copysign(INFINITY, numerator);
	return numerator / sqrt(variance);
}

/*
 * RatioScore
 *		The Miettinen-Nurminen score statistic of H0: p1 / p0 = ratio:
 *		(p1^ - ratio p0^) / sqrt(V), the rates at their maximum likelihood
 *		under H0 the root of a quadratic (eq. 12), in the form that does not
 *		cancel when the ratio is small. The same as
 *		DifferenceScore(0) at ratio 1.
 */
static double
RatioScore(const Curve *curve, double ratio)
{
	const TwoRates *r = curve->rates;
	double		n = r->n1 + r->n0;
	double		a = n * ratio;
	double		b = -(r->n1 * ratio + r->x1 + r->n0 + r->x0 * ratio);
	double		c = r->x1 + r->x0;
	double		p0 = 2.0 * c / (-b + sqrt(Max(b * b - 4.0 * a * c, 0.0)));
	double		p1 = p0 * ratio;
	double		numerator = r->x1 / r->n1 - ratio * r->x0 / r->n0;
	double		variance;

	variance = (p1 * (1.0 - p1) / r->n1 + ratio * ratio * p0 * (1.0 - p0) / r->n0) * r->correction;
	if (variance <= 0.0)
		return numerator == 0.0 ? NAN : copysign(INFINITY, numerator);
	return numerator / sqrt(variance);
}

/*
 * RatioUpperBound
 *		The upper end of the score interval of the ratio: the ratio where
 *		the statistic falls to -critical, bracketed by doubling from the
 *		estimate; Infinity when it never does (no control conversions).
 */
static double
RatioUpperBound(const Curve *score, double estimate, double critical)
{
	double		lo = Max(estimate, DBL_MIN);
	double		hi = lo * 2.0;

	while (RatioScore(score, hi) > -critical)
	{
		lo = hi;
		hi *= 2.0;
		if (isinf(hi))
			return INFINITY;
	}
	return Crossing(score, -critical, lo, hi, NAN, NAN, NAN, true);
}

/*
 * RatioLowerBound
 *		The lower end: the ratio where the statistic rises to critical,
 *		bracketed by halving from the estimate (or doubling from 1 when the
 *		estimate is infinite); 0 when the treatment has no conversion.
 */
static double
RatioLowerBound(const Curve *score, double estimate, double critical)
{
	double		lo,
				hi;

	if (score->rates->x1 == 0.0)
		return 0.0;
	if (isinf(estimate))
	{
		lo = 1.0;
		while (RatioScore(score, lo) > critical)
		{
			lo *= 2.0;
			if (isinf(lo))
				return INFINITY;
		}
		hi = lo;
		lo /= 2.0;
	}
	else
		lo = hi = estimate;
	while (RatioScore(score, lo) < critical)
	{
		hi = lo;
		lo /= 2.0;
		if (lo == 0.0)
			return 0.0;
	}
	return Crossing(score, critical, lo, hi, NAN, NAN, NAN, true);
}

/*
 * TwoProportionTest
 *		The columns of two_proportion_test() (df stays NULL), for it and
 *		comparison().
 */
static void
TwoProportionTest(int64 x0, int64 n0, int64 x1, int64 n1, double confidence, Datum *values, bool *nulls)
{
	double		critical = TwoSidedCritical(confidence, INFINITY);
	TwoRates	r;
	Curve		difference_score = {.at = DifferenceScore, .rates = &r};
	Curve		ratio_score = {.at = RatioScore, .rates = &r};
	double		difference,
				z,
				ratio;

	CheckCounts(x0, n0);
	CheckCounts(x1, n1);
	memset(nulls, true, TEST_COLUMNS * sizeof(bool));
	if (n0 == 0 || n1 == 0)
		return;

	r.x1 = (double) x1;
	r.n1 = (double) n1;
	r.x0 = (double) x0;
	r.n0 = (double) n0;
	r.correction = (r.n1 + r.n0) / (r.n1 + r.n0 - 1.0);
	difference = r.x1 / r.n1 - r.x0 / r.n0;
	SetResult(values, nulls, TEST_DIFFERENCE, difference);
	/* (the statistic is 0 at the estimate) */
	SetResult(values, nulls, TEST_DIFFERENCE_LOWER, difference <= -1.0 ? -1.0 :
			  Crossing(&difference_score, critical, -1.0, difference, NAN, 0.0, NAN, false));
	SetResult(values, nulls, TEST_DIFFERENCE_UPPER, difference >= 1.0 ? 1.0 :
			  Crossing(&difference_score, -critical, difference, 1.0, 0.0, NAN, NAN, false));
	z = DifferenceScore(&difference_score, 0.0);
	SetResult(values, nulls, TEST_STATISTIC, z);
	SetResult(values, nulls, TEST_P_VALUE, 2.0 * StudentUpperTail(fabs(z), INFINITY));

	if (x0 == 0 && x1 == 0)
		SetNote(values, nulls, "neither arm has a conversion, so the ratio of the rates is undefined");
	else
	{
		double		upper;

		ratio = x0 == 0 ? INFINITY : (r.x1 / r.n1) / (r.x0 / r.n0);
		upper = RatioUpperBound(&ratio_score, ratio, critical);
		SetResult(values, nulls, TEST_RELATIVE_LOWER, RatioLowerBound(&ratio_score, ratio, critical) - 1.0);
		if (isinf(ratio))
			SetNote(values, nulls, "the control has no conversion, so the ratio is unbounded above");
		else
		{
			SetResult(values, nulls, TEST_RELATIVE, ratio - 1.0);
			SetResult(values, nulls, TEST_RELATIVE_UPPER, upper - 1.0);
		}
	}
}

/*
 * two_proportion_test(control_successes bigint, control_trials bigint,
 *					   treatment_successes bigint, treatment_trials bigint,
 *					   confidence float8, OUT ...)
 *		Compares two conversion rates with one statistic, the score of
 *		Miettinen and Nurminen (1985): z and p-value at "no difference" (the
 *		pooled rate), the interval of the difference p1 - p0 and the interval
 *		of the ratio p1 / p0 (reported as p1 / p0 - 1) each the set of
 *		values the same test does not reject. Without control conversions the
 *		ratio is infinite: relative_difference and the upper bound are NULL,
 *		and relative_note says why. NULLs when an arm is empty.
 */
Datum
two_proportion_test(PG_FUNCTION_ARGS)
{
	Datum		values[TEST_COLUMNS];
	bool		nulls[TEST_COLUMNS];

	TwoProportionTest(PG_GETARG_INT64(0), PG_GETARG_INT64(1), PG_GETARG_INT64(2), PG_GETARG_INT64(3),
					  PG_GETARG_FLOAT8(4), values, nulls);
	return ReturnRecord(fcinfo, values, nulls);
}

/*
 * FiellerInterval
 *		Fieller's interval of the ratio of two independent means m1 / m0
 *		with squared standard errors s1 and s0 at critical value t: the
 *		ratios rho with (m1 - rho m0)^2 <= t^2 (s1 + rho^2 s0), the roots of
 *		a quadratic, taken in the form that does not cancel. The set is an
 *		interval only when the control mean differs significantly from 0
 *		(m0^2 > t^2 s0); otherwise it is unbounded and the note says so.
 *		At rho = 1 the inequality is Welch's test of the difference at the
 *		same t, so the interval excludes 1 exactly when that test rejects.
 */
static const char *
FiellerInterval(double m0, double s0, double m1, double s1, double t,
				double *lower, double *upper)
{
	double		t2 = t * t;
	double		a = m0 * m0 - t2 * s0;
	double		b = m1 * m0;
	double		c = m1 * m1 - t2 * s1;
	double		root,
				q;

	if (s0 == 0.0 || s1 == 0.0)
		return "the values of an arm are all equal, so the ratio of the means has no interval";
	if (!(a > 0.0))
		return "the control mean is not significantly different from 0, so the ratio of the means is unbounded";
	root = t * sqrt(s1 * a + s0 * m1 * m1);
	q = b + (b < 0.0 ? -root : root);
	if (q == 0.0)
	{
		*lower = -root / a;
		*upper = root / a;
	}
	else
	{
		*lower = Min(q / a, c / q);
		*upper = Max(q / a, c / q);
	}
	return NULL;
}

/*
 * StandardErrors
 *		The squared standard errors s0 and s1 of the two means (variance /
 *		count) and the standard error of their difference; NaN when there is
 *		no comparison: an arm with fewer than 2 units, or no variance at all.
 */
static double
StandardErrors(const TwoMeans *arms, double *s0, double *s1)
{
	double		se;

	*s0 = arms->n0 > 0 ? arms->v0 / arms->n0 : 0.0;
	*s1 = arms->n1 > 0 ? arms->v1 / arms->n1 : 0.0;
	se = sqrt(*s0 + *s1);
	return arms->n0 < 2 || arms->n1 < 2 || !(se > 0.0) ? NAN : se;
}

/*
 * SetMeansComparison
 *		The columns two comparisons of means share, given the squared
 *		standard errors s0 and s1 of the arms and the critical value of the
 *		test: the difference with its interval difference +- critical * se,
 *		the relative difference, and Fieller's interval of the ratio at the
 *		same critical value (or the note saying why there is none).
 */
static void
SetMeansComparison(Datum *values, bool *nulls, const TwoMeans *arms, double s0, double s1,
				   double critical)
{
	double		difference = arms->m1 - arms->m0;
	double		se = sqrt(s0 + s1);
	double		lower,
				upper;
	const char *note;

	SetResult(values, nulls, TEST_DIFFERENCE, difference);
	SetResult(values, nulls, TEST_DIFFERENCE_LOWER, difference - critical * se);
	SetResult(values, nulls, TEST_DIFFERENCE_UPPER, difference + critical * se);
	SetResult(values, nulls, TEST_STATISTIC, difference / se);
	if (arms->m0 != 0.0)
		SetResult(values, nulls, TEST_RELATIVE, arms->m1 / arms->m0 - 1.0);
	note = FiellerInterval(arms->m0, s0, arms->m1, s1, critical, &lower, &upper);
	if (note != NULL)
		SetNote(values, nulls, note);
	else
	{
		SetResult(values, nulls, TEST_RELATIVE_LOWER, lower - 1.0);
		SetResult(values, nulls, TEST_RELATIVE_UPPER, upper - 1.0);
	}
}

/*
 * WelchTest
 *		The columns of welch_test(), for it and comparison().
 */
static void
WelchTest(const TwoMeans *arms, double confidence, Datum *values, bool *nulls)
{
	double		s0,
				s1,
				se,
				df;

	CheckProbability(confidence, "confidence", true);
	memset(nulls, true, TEST_COLUMNS * sizeof(bool));
	se = StandardErrors(arms, &s0, &s1);
	if (isnan(se))
		return;

	df = (s0 + s1) * (s0 + s1) / (s0 * s0 / (arms->n0 - 1) + s1 * s1 / (arms->n1 - 1));
	SetMeansComparison(values, nulls, arms, s0, s1, TwoSidedCritical(confidence, df));
	SetResult(values, nulls, TEST_P_VALUE, 2.0 * StudentUpperTail(fabs((arms->m1 - arms->m0) / se), df));
	SetResult(values, nulls, TEST_DF, df);
}

/*
 * welch_test(control_mean float8, control_variance float8, control_count bigint,
 *			  treatment_mean float8, treatment_variance float8,
 *			  treatment_count bigint, confidence float8, OUT ...)
 *		Compares two means with one statistic, Welch's t with the
 *		Welch-Satterthwaite degrees of freedom: its p-value, its interval of
 *		the difference, and Fieller's interval of the ratio (reported as
 *		ratio - 1) at the same critical t. The variances are sample variances
 *		(var_samp). NULLs when an arm has fewer than 2 units or both arms'
 *		values are constant; relative_note says why a relative interval is
 *		missing.
 */
Datum
welch_test(PG_FUNCTION_ARGS)
{
	TwoMeans	arms = GetTwoMeans(fcinfo, "welch_test");
	Datum		values[TEST_COLUMNS];
	bool		nulls[TEST_COLUMNS];

	WelchTest(&arms, PG_GETARG_FLOAT8(6), values, nulls);
	return ReturnRecord(fcinfo, values, nulls);
}

/*
 * SequentialTest
 *		The columns of sequential_test(), for it and comparison().
 */
static void
SequentialTest(const TwoMeans *arms, double confidence, int64 tuning_n, Datum *values, bool *nulls)
{
	double		s0,
				s1,
				se,
				rho2;
	int64		n;

	CheckProbability(confidence, "confidence", true);
	if (pg_add_s64_overflow(arms->n0, arms->n1, &n))
		n = PG_INT64_MAX;
	CheckSequentialSizes(Max(n, 1), tuning_n);
	memset(nulls, true, TEST_COLUMNS * sizeof(bool));
	se = StandardErrors(arms, &s0, &s1);
	if (isnan(se))
		return;

	rho2 = SequentialMixture(SEQUENTIAL_TUNING_ALPHA, tuning_n);
	SetMeansComparison(values, nulls, arms, s0, s1,
					   SequentialCritical(n, rho2, 1.0 - confidence));
	SetResult(values, nulls, TEST_P_VALUE, SequentialPValue((arms->m1 - arms->m0) / se, n, rho2));
}

/*
 * sequential_test(control_mean float8, control_variance float8,
 *				   control_count bigint, treatment_mean float8,
 *				   treatment_variance float8, treatment_count bigint,
 *				   confidence float8, tuning_n bigint, OUT ...)
 *		The always-valid counterpart of welch_test, for results read while
 *		the experiment runs: the asymptotic confidence sequence of the
 *		difference (src/results/sequential.c) with the unpooled standard
 *		error, its p-value (the reciprocal of the mixture martingale at 0),
 *		and Fieller's interval of the ratio at the sequence's critical value,
 *		which at ratio 1 is the same test. A rate is the mean of a 0/1
 *		indicator, with its sample variance. The mixture is tuned at
 *		SEQUENTIAL_TUNING_ALPHA whatever the confidence, so that the p-value
 *		does not depend on the confidence and every interval (at a level
 *		corrected for multiple testing too) excludes 0 exactly when the
 *		p-value is below 1 - confidence. NULLs as welch_test's.
 */
Datum
sequential_test(PG_FUNCTION_ARGS)
{
	TwoMeans	arms = GetTwoMeans(fcinfo, "sequential_test");
	Datum		values[TEST_COLUMNS];
	bool		nulls[TEST_COLUMNS];

	SequentialTest(&arms, PG_GETARG_FLOAT8(6), PG_GETARG_INT64(7), values, nulls);
	return ReturnRecord(fcinfo, values, nulls);
}

/*
 * ArgsGiven
 *		Whether none of the arguments numbered in args is NULL.
 */
static bool
ArgsGiven(FunctionCallInfo fcinfo, const int *args, int nargs)
{
	for (int i = 0; i < nargs; i++)
		if (PG_ARGISNULL(args[i]))
			return false;
	return true;
}

/*
 * TextIs
 *		Whether a text argument is given and is the given word.
 */
static bool
TextIs(FunctionCallInfo fcinfo, int arg, const char *word)
{
	text	   *value;

	if (PG_ARGISNULL(arg))
		return false;
	value = PG_GETARG_TEXT_PP(arg);
	return VARSIZE_ANY_EXHDR(value) == strlen(word) &&
		memcmp(VARDATA_ANY(value), word, strlen(word)) == 0;
}

/*
 * IndicatorSummary
 *		The mean and sample variance of a 0/1 indicator, successes ones among
 *		count; false when there is no variance (fewer than 2 units).
 */
static bool
IndicatorSummary(int64 successes, int64 count, double *mean, double *variance)
{
	int64		product;

	if (count <= 1)
		return false;
	*mean = (double) successes / (double) count;
	*variance = (pg_mul_s64_overflow(successes, count - successes, &product) ?
				 (double) successes * (double) (count - successes) : (double) product) /
		((double) count * (double) (count - 1));
	return true;
}

/*
 * ComparisonArms
 *		The arms of comparison()'s arguments as means: for test rate the
 *		indicators of the successes, for any other the means and variances
 *		given; false when one is missing.
 */
static bool
ComparisonArms(FunctionCallInfo fcinfo, bool rate, TwoMeans *arms)
{
	static const int rate_args[] = {2, 5, 6, 9};
	static const int value_args[] = {3, 4, 5, 7, 8, 9};

	if (rate ? !ArgsGiven(fcinfo, rate_args, lengthof(rate_args)) :
		!ArgsGiven(fcinfo, value_args, lengthof(value_args)))
		return false;
	arms->n0 = PG_GETARG_INT64(5);
	arms->n1 = PG_GETARG_INT64(9);
	if (rate)
		return IndicatorSummary(PG_GETARG_INT64(2), arms->n0, &arms->m0, &arms->v0) &&
			IndicatorSummary(PG_GETARG_INT64(6), arms->n1, &arms->m1, &arms->v1);
	arms->m0 = PG_GETARG_FLOAT8(3);
	arms->v0 = PG_GETARG_FLOAT8(4);
	arms->m1 = PG_GETARG_FLOAT8(7);
	arms->v1 = PG_GETARG_FLOAT8(8);
	return true;
}

/*
 * ComparisonColumns
 *		The columns of comparison() for its arguments in fcinfo (given it by
 *		metric_comparison() as well).
 */
static void
ComparisonColumns(FunctionCallInfo fcinfo, Datum *row, bool *row_nulls)
{
	static const int rate_args[] = {2, 5, 6, 9, 10};
	bool		fixed = TextIs(fcinfo, 0, "fixed");
	bool		sequential = TextIs(fcinfo, 0, "sequential");
	bool		rate = TextIs(fcinfo, 1, "rate");
	bool		value = TextIs(fcinfo, 1, "value");
	Datum		values[TEST_COLUMNS];
	bool		nulls[TEST_COLUMNS];
	TwoMeans	arms;

	memset(nulls, true, sizeof(nulls));
	if (fixed && rate && ArgsGiven(fcinfo, rate_args, lengthof(rate_args)))
		TwoProportionTest(PG_GETARG_INT64(2), PG_GETARG_INT64(5), PG_GETARG_INT64(6), PG_GETARG_INT64(9),
						  PG_GETARG_FLOAT8(10), values, nulls);
	else if (fixed && value && !PG_ARGISNULL(10) && ComparisonArms(fcinfo, false, &arms))
	{
		CheckTwoMeans(&arms, "welch_test");
		WelchTest(&arms, PG_GETARG_FLOAT8(10), values, nulls);
	}
	else if (sequential && !PG_ARGISNULL(10) && !PG_ARGISNULL(11) && ComparisonArms(fcinfo, rate, &arms))
	{
		CheckTwoMeans(&arms, "sequential_test");
		SequentialTest(&arms, PG_GETARG_FLOAT8(10), PG_GETARG_INT64(11), values, nulls);
	}
	/* the columns of the tests but their statistic (and welch_test's df) */
	for (int i = 0; i < COMPARISON_COLUMNS; i++)
	{
		int			column = i < TEST_STATISTIC ? i : i + 1;

		row[i] = values[column];
		row_nulls[i] = nulls[column];
	}
}

/*
 * comparison(method text, test text, control_successes bigint,
 *			  control_mean float8, control_variance float8, control_count bigint,
 *			  treatment_successes bigint, treatment_mean float8,
 *			  treatment_variance float8, treatment_count bigint,
 *			  confidence float8, tuning_n bigint, OUT ...)
 *		One comparison of a treatment with the control by the method's test,
 *		in the columns the results read: method fixed, two_proportion_test()
 *		on the counts (test rate) or welch_test() on the means (test value);
 *		method sequential, sequential_test() on the means, a rate as the
 *		mean of a 0/1 indicator. NULLs where that test gives NULLs or lacks
 *		an argument. In C, not SQL: results call it once per treatment and
 *		metric from SQL functions' queries, where a SQL function was parsed
 *		and planned again at every call.
 */
Datum
comparison(PG_FUNCTION_ARGS)
{
	Datum		row[COMPARISON_COLUMNS];
	bool		row_nulls[COMPARISON_COLUMNS];

	ComparisonColumns(fcinfo, row, row_nulls);
	return ReturnRecord(fcinfo, row, row_nulls);
}

/* A float8 that may be NULL, as metric_comparison() computes with them. */
typedef struct Maybe
{
	double		value;
	bool		null;
} Maybe;

#define MAYBE(x) ((Maybe) {.value = (x)})
#define MAYBE_NULL ((Maybe) {.null = true})

/*
 * MaybeArg
 *		A float8 argument.
 */
static inline Maybe
MaybeArg(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) ? MAYBE_NULL : MAYBE(PG_GETARG_FLOAT8(arg));
}

/*
 * MaybeOperate
 *		An operator of SQL on float8 (float8_pl, float8_mi, float8_mul,
 *		float8_div of utils/float.h: the same overflow and underflow errors),
 *		NULL when an operand is.
 */
static inline Maybe
MaybeOperate(float8 (*operator) (const float8, const float8), Maybe a, Maybe b)
{
	return a.null || b.null ? MAYBE_NULL : MAYBE(operator(a.value, b.value));
}

static inline Maybe
MaybePower(Maybe a, double exponent)
{
	return a.null ? MAYBE_NULL :
		MAYBE(DatumGetFloat8(DirectFunctionCall2(dpow, Float8GetDatum(a.value), Float8GetDatum(exponent))));
}

static inline Maybe
MaybeSqrt(Maybe a)
{
	return a.null ? MAYBE_NULL : MAYBE(DatumGetFloat8(DirectFunctionCall1(dsqrt, Float8GetDatum(a.value))));
}

static inline Maybe
MaybeNullIfZero(Maybe a)
{
	return a.null || a.value == 0.0 ? MAYBE_NULL : a;
}

/* metric_comparison()'s columns, in declaration order. */
enum
{
	METRIC_DIFFERENCE,
	METRIC_DIFFERENCE_LOWER,
	METRIC_DIFFERENCE_UPPER,
	METRIC_RELATIVE,
	METRIC_RELATIVE_LOWER,
	METRIC_RELATIVE_UPPER,
	METRIC_P_VALUE
};

StaticAssertDecl(METRIC_P_VALUE + 2 == COMPARISON_COLUMNS,
				 "metric_comparison()'s columns are comparison()'s but the last");

/*
 * SetMaybe
 *		One column of metric_comparison()'s row.
 */
static inline void
SetMaybe(Datum *values, bool *nulls, int column, Maybe value)
{
	values[column] = Float8GetDatum(value.value);
	nulls[column] = value.null;
}

/*
 * EstimateComparison
 *		metric_comparison() of a ratio or quantile: a normal test of the
 *		treatment's estimate ($14, variance $15) against the control's ($12,
 *		$13), or (sequential) sequential_test() on the estimates as means
 *		whose variances over their counts ($5, $9) are the squared standard
 *		errors; the relative interval by the delta method at the same
 *		critical value. Each step as SQL computes it.
 */
static void
EstimateComparison(FunctionCallInfo fcinfo, bool sequential, Datum *values, bool *nulls)
{
	Maybe		control = MaybeArg(fcinfo, 11);
	Maybe		control_variance = MaybeArg(fcinfo, 12);
	Maybe		treatment = MaybeArg(fcinfo, 13);
	Maybe		treatment_variance = MaybeArg(fcinfo, 14);
	Maybe		confidence = MaybeArg(fcinfo, 15);
	Maybe		control_nonzero = MaybeNullIfZero(control);
	Maybe		d,
				se,
				rel,
				rel_se,
				first,
				second,
				margin,
				rel_margin;
	Maybe		critical = MAYBE_NULL;
	Maybe		p = MAYBE_NULL;
	bool		shown = !control.null && control.value != 0.0;

	/* in the order SQL evaluates them, which decides the error raised first */
	d = MaybeOperate(float8_mi, treatment, control);
	se = MaybeSqrt(MaybeOperate(float8_pl, treatment_variance, control_variance));
	rel = MaybeOperate(float8_mi, MaybeOperate(float8_div, treatment, control_nonzero), MAYBE(1.0));
	first = MaybeOperate(float8_div, treatment_variance, MaybePower(control_nonzero, 2.0));
	second = MaybeOperate(float8_mul, MaybePower(treatment, 2.0), control_variance);
	second = MaybeOperate(float8_div, second, MaybePower(control_nonzero, 4.0));
	rel_se = MaybeSqrt(MaybeOperate(float8_pl, first, second));
	if (sequential)
	{
		static const int sequential_args[] = {4, 8, 11, 12, 13, 14, 15, 16};

		if (ArgsGiven(fcinfo, sequential_args, lengthof(sequential_args)))
		{
			Datum		test[TEST_COLUMNS];
			bool		test_nulls[TEST_COLUMNS];
			TwoMeans	arms = {.m0 = control.value, .n0 = PG_GETARG_INT64(4),
				.m1 = treatment.value, .n1 = PG_GETARG_INT64(8)};
			Maybe		upper;

			arms.v0 = float8_mul(control_variance.value, (double) arms.n0);
			arms.v1 = float8_mul(treatment_variance.value, (double) arms.n1);
			CheckTwoMeans(&arms, "sequential_test");
			SequentialTest(&arms, confidence.value, PG_GETARG_INT64(16), test, test_nulls);
			upper = test_nulls[TEST_DIFFERENCE_UPPER] ? MAYBE_NULL : MAYBE(DatumGetFloat8(test[TEST_DIFFERENCE_UPPER]));
			critical = MaybeOperate(float8_div, MaybeOperate(float8_mi, upper, d), MaybeNullIfZero(se));
			p = test_nulls[TEST_P_VALUE] ? MAYBE_NULL : MAYBE(DatumGetFloat8(test[TEST_P_VALUE]));
		}
	}
	else
	{
		Maybe		z = MaybeOperate(float8_div, d.null ? d : MAYBE(-fabs(d.value)), MaybeNullIfZero(se));

		if (!confidence.null)
			critical = MAYBE(NormalQuantile(float8_mi(1.0, float8_div(float8_mi(1.0, confidence.value), 2.0))));
		p = z.null ? z : MAYBE(float8_mul(2.0, NormalCdf(z.value)));
	}
	margin = shown ? MaybeOperate(float8_mul, critical, se) : MAYBE_NULL;
	rel_margin = MaybeOperate(float8_mul, critical, rel_se);
	SetMaybe(values, nulls, METRIC_DIFFERENCE, shown ? d : MAYBE_NULL);
	SetMaybe(values, nulls, METRIC_DIFFERENCE_LOWER, MaybeOperate(float8_mi, d, margin));
	SetMaybe(values, nulls, METRIC_DIFFERENCE_UPPER, MaybeOperate(float8_pl, d, margin));
	SetMaybe(values, nulls, METRIC_RELATIVE, rel);
	SetMaybe(values, nulls, METRIC_RELATIVE_LOWER, MaybeOperate(float8_mi, rel, rel_margin));
	SetMaybe(values, nulls, METRIC_RELATIVE_UPPER, MaybeOperate(float8_pl, rel, rel_margin));
	SetMaybe(values, nulls, METRIC_P_VALUE, p);
}

/*
 * metric_comparison(method text, type text, cuped boolean,
 *					 control_events bigint, control_count bigint,
 *					 control_mean float8, control_variance float8,
 *					 treatment_events bigint, treatment_count bigint,
 *					 treatment_mean float8, treatment_variance float8,
 *					 control_estimate float8, control_estimate_variance float8,
 *					 treatment_estimate float8, treatment_estimate_variance float8,
 *					 confidence float8, tuning_n bigint, OUT ...)
 *		One comparison of metric_results(): a proportion or mean, or with
 *		CUPED the adjusted means, as comparison() compares rates (a
 *		proportion without CUPED) and values; a ratio or quantile by
 *		EstimateComparison(). NULLs for another type. In C for the reason
 *		comparison() is: metric_results() and metric_breakdown() call it
 *		twice per treatment, metric and slice.
 */
Datum
metric_comparison(PG_FUNCTION_ARGS)
{
	bool		cuped_given = !PG_ARGISNULL(2);
	bool		cuped = cuped_given && PG_GETARG_BOOL(2);
	bool		proportion = TextIs(fcinfo, 1, "proportion");
	bool		mean = TextIs(fcinfo, 1, "mean");
	bool		estimate = TextIs(fcinfo, 1, "ratio") || TextIs(fcinfo, 1, "quantile");

	/* ours are the first of comparison()'s columns, without its note */
	Datum		values[COMPARISON_COLUMNS];
	bool		nulls[COMPARISON_COLUMNS];

	memset(nulls, true, sizeof(nulls));
	if (cuped || proportion || mean)
	{
		/* comparison()'s arguments from ours */
		static const int from[] = {0, -1, 3, 5, 6, 4, 7, 9, 10, 8, 15, 16};
		LOCAL_FCINFO(args, lengthof(from));

		for (int i = 0; i < (int) lengthof(from); i++)
		{
			args->args[i].isnull = from[i] >= 0 && PG_ARGISNULL(from[i]);
			args->args[i].value = from[i] >= 0 ? PG_GETARG_DATUM(from[i]) : 0;
		}
		args->args[1].value = CStringGetTextDatum(proportion && cuped_given && !cuped ? "rate" : "value");
		ComparisonColumns(args, values, nulls);
	}
	else if (cuped_given && estimate)
		EstimateComparison(fcinfo, TextIs(fcinfo, 0, "sequential"), values, nulls);
	return ReturnRecord(fcinfo, values, nulls);
}

/*
 * wilson_interval(successes bigint, trials bigint, confidence float8,
 *				   OUT lower float8, OUT upper float8)
 *		The Wilson score interval of a proportion: unlike the textbook
 *		p +- z sqrt(p (1 - p) / n), it stays inside [0, 1] and keeps its
 *		coverage for rare events and small samples. NULLs for 0 trials.
 */
Datum
wilson_interval(PG_FUNCTION_ARGS)
{
	int64		successes = PG_GETARG_INT64(0);
	int64		trials = PG_GETARG_INT64(1);
	double		z = TwoSidedCritical(PG_GETARG_FLOAT8(2), INFINITY);
	Datum		values[2];
	bool		nulls[2] = {true, true};

	CheckCounts(successes, trials);
	if (trials > 0)
	{
		double		n = (double) trials;
		double		p = successes / n;
		double		z2n = z * z / n;
		double		center = (p + z2n / 2.0) / (1.0 + z2n);
		double		half = z / (1.0 + z2n) * sqrt(p * (1.0 - p) / n + z2n / (4.0 * n));

		values[0] = Float8GetDatum(successes == 0 ? 0.0 : Max(0.0, center - half));
		values[1] = Float8GetDatum(successes == trials ? 1.0 : Min(1.0, center + half));
		nulls[0] = nulls[1] = false;
	}
	return ReturnRecord(fcinfo, values, nulls);
}

/*
 * srm_test(observed bigint[], allocation float8[],
 *			OUT chi_square float8, OUT df integer, OUT p_value float8)
 *		Sample ratio mismatch: the chi-square goodness of fit of the units
 *		observed per variant against the configured allocation (weights in
 *		any unit, basis points for instance). Units in a variant allocated 0
 *		make the mismatch certain: chi-square Infinity, p-value 0. NULLs when
 *		there is nothing to test (no units, or a single allocated variant
 *		and no stray units).
 */
/*
 * ReadSrmInput
 *		The counts and allocations of a sample ratio test, checked alike for
 *		every test that takes them: one allocation per count, counts
 *		non-negative with a total that fits in a bigint, allocations finite
 *		and non-negative with a positive total.
 */
void
ReadSrmInput(const char *test, ArrayType *observed_array, ArrayType *allocation_array,
			 SrmInput *input)
{
	Datum	   *observed,
			   *allocation;
	bool	   *observed_nulls,
			   *allocation_nulls;
	int			n_allocation;

	deconstruct_array(observed_array, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &observed, &observed_nulls, &input->n);
	deconstruct_array(allocation_array, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &allocation, &allocation_nulls, &n_allocation);
	if (input->n != n_allocation)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s needs one allocation per observed count, got %d counts and %d allocations",
						test, input->n, n_allocation)));
	input->units = palloc(sizeof(int64) * Max(input->n, 1));
	input->weights = palloc(sizeof(double) * Max(input->n, 1));
	input->total_units = 0;
	input->total_weight = 0.0;
	input->allocated = 0;
	input->stray = false;
	for (int i = 0; i < input->n; i++)
	{
		int64		units;
		double		weight;

		if (observed_nulls[i] || allocation_nulls[i] ||
			(units = DatumGetInt64(observed[i])) < 0 ||
			!((weight = DatumGetFloat8(allocation[i])) >= 0.0) || isinf(weight) ||
			pg_add_s64_overflow(input->total_units, units, &input->total_units))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s input at position %d", test, i + 1),
					 errdetail("Counts must be non-negative, with a total that fits in a bigint, and allocations finite and non-negative, without NULLs.")));
		input->units[i] = units;
		input->weights[i] = weight;
		input->total_weight += weight;
		if (weight > 0.0)
			input->allocated++;
		else
			input->stray |= units > 0;
	}
	if (input->total_weight <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a positive total allocation", test),
				 errdetail("Every allocation given is zero.")));
}

Datum
srm_test(PG_FUNCTION_ARGS)
{
	SrmInput	in;
	double		chi_square = 0.0;
	Datum		values[3];
	bool		nulls[3] = {true, true, true};

	ReadSrmInput("srm_test", PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1), &in);
	if (in.total_units == 0)
		return ReturnRecord(fcinfo, values, nulls);

	for (int i = 0; i < in.n; i++)
	{
		double		expected = (double) in.total_units * in.weights[i] / in.total_weight;
		double		units = (double) in.units[i];

		if (in.weights[i] == 0.0)
			continue;
		chi_square += (units - expected) * (units - expected) / expected;
	}
	if (in.stray)
	{
		values[0] = Float8GetDatum(INFINITY);
		values[2] = Float8GetDatum(0.0);
		nulls[0] = nulls[2] = false;
	}
	else if (in.allocated >= 2)
	{
		values[0] = Float8GetDatum(chi_square);
		values[2] = Float8GetDatum(ChiSquareUpperTail(chi_square, in.allocated - 1));
		nulls[0] = nulls[2] = false;
	}
	if (in.allocated >= 2)
	{
		values[1] = Int32GetDatum(in.allocated - 1);
		nulls[1] = false;
	}
	return ReturnRecord(fcinfo, values, nulls);
}

/* A p-value of a family, with its place in the caller's array. */
typedef struct RankedPValue
{
	double		p;
	int			index;
} RankedPValue;

/*
 * ComparePValues
 *		qsort order: ascending p-value, then the caller's order, so that
 *		ties rank the same way on every call.
 */
static int
ComparePValues(const void *a, const void *b)
{
	const RankedPValue *x = a;
	const RankedPValue *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->index - y->index;
}

/*
 * multiple_testing(p_values float8[], method text, confidence float8,
 *					OUT adjusted_p_values float8[], OUT confidences float8[])
 *		Corrects a family of p-values (the NULLs are not in it) for multiple
 *		testing, and gives each member the confidence level of its interval,
 *		so that an interval excludes "no difference" exactly when the adjusted
 *		p-value is below alpha = 1 - confidence:
 *
 *		holm: Holm's step-down adjusted p-values, max over j <= i of
 *		(m - j + 1) p(j) (Holm 1979); the interval of the i-th smallest at the
 *		Bonferroni level of the step that decided it, alpha / (m - i + 1) for
 *		the rejected ones and alpha / (m - k + 1) for the rest, k the first
 *		step not rejected.
 *		bh: Benjamini-Hochberg step-up adjusted p-values, min over j >= i of
 *		m p(j) / j (1995); every interval at level 1 - R alpha / m, R the
 *		number rejected (alpha / m when none), the false coverage-statement
 *		rate intervals of Benjamini and Yekutieli (2005).
 *		none: the p-values, every interval at the confidence given.
 */
Datum
multiple_testing(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	char	   *method = text_to_cstring(PG_GETARG_TEXT_PP(1));
	double		confidence = PG_GETARG_FLOAT8(2);
	double		alpha = 1.0 - confidence;
	Datum	   *p_values;
	bool	   *p_nulls;
	int			n,
				m = 0;
	RankedPValue *ranked;
	Datum	   *adjusted;
	Datum	   *levels;
	int			dims[1];
	int			lbs[1] = {1};
	Datum		values[2];
	bool		nulls[2] = {false, false};

	CheckProbability(confidence, "confidence", true);
	if (strcmp(method, "holm") != 0 && strcmp(method, "bh") != 0 && strcmp(method, "none") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown multiple testing correction \"%s\"", method),
				 errhint("Use holm (Holm's step-down, the default), bh (Benjamini-Hochberg) or none.")));
	deconstruct_array(array, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &p_values, &p_nulls, &n);
	ranked = palloc(sizeof(RankedPValue) * Max(n, 1));
	adjusted = palloc0(sizeof(Datum) * Max(n, 1));
	levels = palloc0(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		double		p;

		if (p_nulls[i])
			continue;
		p = DatumGetFloat8(p_values[i]);
		if (!(p >= 0.0 && p <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("p-value %g at position %d is not between 0 and 1", p, i + 1)));
		ranked[m].p = p;
		ranked[m].index = i;
		m++;
	}
	qsort(ranked, m, sizeof(RankedPValue), ComparePValues);

	if (strcmp(method, "holm") == 0)
	{
		double		running = 0.0;
		int			first_kept = m;

		for (int i = 0; i < m; i++)
		{
			running = Max(running, Min(1.0, (m - i) * ranked[i].p));
			adjusted[ranked[i].index] = Float8GetDatum(running);
			if (first_kept == m && !(running < alpha))
				first_kept = i;
			levels[ranked[i].index] = Float8GetDatum(1.0 - alpha / (m - Min(i, first_kept)));
		}
	}
	else if (strcmp(method, "bh") == 0)
	{
		double		running = 1.0;
		int			rejected = 0;

		for (int i = m - 1; i >= 0; i--)
		{
			running = Min(running, Min(1.0, ranked[i].p * m / (i + 1)));
			adjusted[ranked[i].index] = Float8GetDatum(running);
			if (running < alpha)
				rejected = Max(rejected, i + 1);
		}
		for (int i = 0; i < m; i++)
			levels[ranked[i].index] = Float8GetDatum(1.0 - Max(rejected, 1) * alpha / m);
	}
	else
	{
		for (int i = 0; i < m; i++)
		{
			adjusted[ranked[i].index] = Float8GetDatum(ranked[i].p);
			levels[ranked[i].index] = Float8GetDatum(confidence);
		}
	}

	dims[0] = n;
	values[0] = PointerGetDatum(construct_md_array(adjusted, p_nulls, n == 0 ? 0 : 1, dims, lbs,
												   FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[1] = PointerGetDatum(construct_md_array(levels, p_nulls, n == 0 ? 0 : 1, dims, lbs,
												   FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	return ReturnRecord(fcinfo, values, nulls);
}

/*
 * BetaGreater
 *		P(Y > X) for independent Y ~ Beta(ay, by) and X ~ Beta(ax, bx), ay a
 *		positive integer: the finite sum of Evan Miller's closed form,
 *		sum over i < ay of B(ax + i, bx + by) / ((by + i) B(1 + i, by) B(ax, bx)).
 *		Each term follows from the one before by the ratio
 *		(ax + i)(by + i) / ((ax + bx + by + i)(1 + i)), so only the first
 *		needs log Beta. The terms are summed relative to a scale, the log of
 *		the first, moved up by the term whenever one grows past 2^500 (they
 *		may underflow one by one while their sum does not): a product and a
 *		quotient per term, where a log and an exp each would cost ten times
 *		as much, and ay is the conversions of an arm, millions at times.
 */
static double
BetaGreater(double ay, double by, double ax, double bx)
{
	const double rescale_above = ldexp(1.0, 500);
	double		log_scale = LogBeta(ax, bx + by) - LogBeta(ax, bx);
	double		term = 1.0;
	double		sum = 0.0;

	for (double i = 0.0; i < ay; i += 1.0)
	{
		if (i > 0.0)
			term *= (ax + i - 1.0) * (by + i - 1.0) / ((ax + bx + by + i - 1.0) * i);
		if (term > rescale_above)
		{
			sum /= term;
			log_scale += log(term);
			term = 1.0;
		}
		sum += term;
	}
	return Min(1.0, exp(log(sum) + log_scale));
}

/*
 * bayesian_rates(control_successes bigint, control_trials bigint,
 *				  treatment_successes bigint, treatment_trials bigint,
 *				  OUT chance_to_beat float8, OUT expected_loss float8)
 *		The Bayesian comparison of two rates with Beta(1, 1) priors, as
 *		GrowthBook's Bayesian engine reports it: the chance that the
 *		treatment's rate is above the control's, P(B > A), and the expected
 *		loss of choosing the treatment, E[max(A - B, 0)] (in rate points),
 *		from E[A 1(A > B)] = mean(A) P(A+ > B) with A+ ~ Beta(a + 1, b), and
 *		likewise for B. The sums have 1 + x1 and 2 + x0 terms: bounded by
 *		the conversions daily_metrics() counted. NULLs when an arm has no
 *		trials.
 */
Datum
bayesian_rates(PG_FUNCTION_ARGS)
{
	int64		x0 = PG_GETARG_INT64(0);
	int64		n0 = PG_GETARG_INT64(1);
	int64		x1 = PG_GETARG_INT64(2);
	int64		n1 = PG_GETARG_INT64(3);
	Datum		values[2];
	bool		nulls[2] = {true, true};

	CheckCounts(x0, n0);
	CheckCounts(x1, n1);
	if (n0 > 0 && n1 > 0)
	{
		double		a0 = 1.0 + x0,
					b0 = 1.0 + (n0 - x0),
					a1 = 1.0 + x1,
					b1 = 1.0 + (n1 - x1);
		/*
		 * P(A+ > B) and P(A > B+) summed directly, not as 1 - P(B > ...):
		 * when the treatment is better both are small and nearly equal, and
		 * their difference keeps its digits only if each keeps its own.
		 */
		double		control_above = BetaGreater(a0 + 1.0, b0, a1, b1);
		double		control_above_raised = BetaGreater(a0, b0, a1 + 1.0, b1);

		values[0] = Float8GetDatum(BetaGreater(a1, b1, a0, b0));
		values[1] = Float8GetDatum(Max(0.0, a0 / (a0 + b0) * control_above -
									   a1 / (a1 + b1) * control_above_raised));
		nulls[0] = nulls[1] = false;
	}
	return ReturnRecord(fcinfo, values, nulls);
}

/*
 * bayesian_means(control_mean float8, control_variance float8, control_count bigint,
 *				  treatment_mean float8, treatment_variance float8,
 *				  treatment_count bigint,
 *				  OUT chance_to_beat float8, OUT expected_loss float8)
 *		The Bayesian comparison of two means in the normal approximation
 *		(flat prior): the difference D = treatment - control is
 *		N(d, se^2), se^2 = v0 / n0 + v1 / n1; the chance to beat is
 *		P(D > 0) = Phi(d / se), the expected loss of choosing the treatment
 *		E[max(-D, 0)] = se (phi(z) - z Phi(-z)), z = d / se, in the unit of
 *		the values. NULLs when an arm has fewer than 2 units or se is 0.
 */
Datum
bayesian_means(PG_FUNCTION_ARGS)
{
	TwoMeans	arms = GetTwoMeans(fcinfo, "bayesian_means");
	Datum		values[2];
	bool		nulls[2] = {true, true};
	double		se;

	se = arms.n0 >= 2 && arms.n1 >= 2 ? sqrt(arms.v0 / arms.n0 + arms.v1 / arms.n1) : 0.0;
	if (se > 0.0)
	{
		double		z = (arms.m1 - arms.m0) / se;
		double		tail = StudentUpperTail(fabs(z), INFINITY);	/* Phi(-|z|) */
		double		density = exp(-0.5 * z * z) / sqrt(2.0 * M_PI);

		/* each probability from the tail, so that neither loses digits */
		values[0] = Float8GetDatum(z >= 0.0 ? 1.0 - tail : tail);
		values[1] = Float8GetDatum(Max(0.0, se * (density - z * (z >= 0.0 ? tail : 1.0 - tail))));
		nulls[0] = nulls[1] = false;
	}
	return ReturnRecord(fcinfo, values, nulls);
}
