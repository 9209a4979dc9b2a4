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

#include "stats.h"

PG_FUNCTION_INFO_V1(wilson_interval);
PG_FUNCTION_INFO_V1(two_proportion_test);
PG_FUNCTION_INFO_V1(welch_test);
PG_FUNCTION_INFO_V1(sequential_test);
PG_FUNCTION_INFO_V1(srm_test);
PG_FUNCTION_INFO_V1(multiple_testing);
PG_FUNCTION_INFO_V1(bayesian_rates);
PG_FUNCTION_INFO_V1(bayesian_means);

/* Bisections stop after this many halvings, far more than a double needs. */
#define MAX_BISECTIONS 2000

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
 * GetTwoMeans
 *		Arguments 0 to 5 (control mean, variance, count, then the
 *		treatment's), checked: finite means, finite non-negative variances,
 *		non-negative counts.
 */
static TwoMeans
GetTwoMeans(FunctionCallInfo fcinfo, const char *function)
{
	TwoMeans	s = {
		.m0 = PG_GETARG_FLOAT8(0), .v0 = PG_GETARG_FLOAT8(1), .n0 = PG_GETARG_INT64(2),
		.m1 = PG_GETARG_FLOAT8(3), .v1 = PG_GETARG_FLOAT8(4), .n1 = PG_GETARG_INT64(5),
	};

	if (s.n0 < 0 || s.n1 < 0 || !(s.v0 >= 0.0) || !(s.v1 >= 0.0) || isinf(s.v0) || isinf(s.v1) ||
		!isfinite(s.m0) || !isfinite(s.m1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid sample summary for %s", function),
				 errdetail("Means must be finite, variances finite and non-negative, counts non-negative.")));
	return s;
}

/*
 * ReturnRecord
 *		Builds the row a function with OUT parameters returns.
 */
Datum
ReturnRecord(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("statistics functions must return a record"),
				 errdetail("The function was declared without OUT parameters.")));
	desc = BlessTupleDesc(desc);
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
static inline double
NullSlope(const TwoRates *r, double delta, double p0)
{
	double		p1 = p0 + delta;

	return Share(r->x1, p1) - Share(r->n1 - r->x1, 1.0 - p1) +
		Share(r->x0, p0) - Share(r->n0 - r->x0, 1.0 - p0);
}

/*
 * NullControlRate
 *		The control rate p0 maximizing the likelihood of both arms under
 *		H0: p1 = p0 + delta. The likelihood is concave in p0, so its
 *		derivative decreases on the feasible interval and bisection finds
 *		its root, or the end where the maximum lies. Miettinen and Nurminen
 *		(1985) give the root as that of a cubic in closed form, whose
 *		trigonometric form picks a root outside the feasible interval when
 *		an arm has no conversion; bisection has no such case.
 */
static double
NullControlRate(const TwoRates *r, double delta)
{
	double		lo = Max(0.0, -delta);
	double		hi = Min(1.0, 1.0 - delta);

	/*
	 * A maximum at a control rate of 0 (no control conversion, say): the
	 * bisection would halve its way down to the least denormal, a thousand
	 * steps, to return 0. The slope is not positive at 0, so it is nowhere.
	 */
	if (lo == 0.0 && NullSlope(r, delta, 0.0) <= 0.0)
		return 0.0;
	for (int i = 0; i < MAX_BISECTIONS; i++)
	{
		double		p0 = lo + (hi - lo) / 2.0;

		if (!(p0 > lo && p0 < hi))
			break;
		if (NullSlope(r, delta, p0) > 0.0)
			lo = p0;
		else
			hi = p0;
	}
	return lo + (hi - lo) / 2.0;
}

/*
 * DifferenceScore
 *		The Miettinen-Nurminen score statistic of H0: p1 - p0 = delta:
 *		(p1^ - p0^ - delta) / sqrt(V), V the variance of the rates at their
 *		maximum likelihood under H0 (the pooled rate at delta = 0), times
 *		the correction. +-Infinity where V is 0 and the numerator is not.
 */
static double
DifferenceScore(const TwoRates *r, double delta)
{
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
RatioScore(const TwoRates *r, double ratio)
{
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
 * Bisect
 *		The point of [lo, hi] where a decreasing statistic crosses target, by
 *		bisection to the last bit (geometric means on a ratio's positive
 *		axis): score statistics are monotone but far from linear near the
 *		ends, where Newton steps would leave the bracket.
 */
static double
Bisect(double (*score) (const TwoRates *, double), const TwoRates *r,
	   double target, double lo, double hi, bool geometric)
{
	for (int i = 0; i < MAX_BISECTIONS; i++)
	{
		double		mid = geometric ? sqrt(lo) * sqrt(hi) : lo + (hi - lo) / 2.0;

		if (!(mid > lo && mid < hi))
			break;
		if (score(r, mid) > target)
			lo = mid;
		else
			hi = mid;
	}
	return lo + (hi - lo) / 2.0;
}

/*
 * RatioUpperBound
 *		The upper end of the score interval of the ratio: the ratio where
 *		the statistic falls to -critical, bracketed by doubling from the
 *		estimate; Infinity when it never does (no control conversions).
 */
static double
RatioUpperBound(const TwoRates *r, double estimate, double critical)
{
	double		lo = Max(estimate, DBL_MIN);
	double		hi = lo * 2.0;

	while (RatioScore(r, hi) > -critical)
	{
		lo = hi;
		hi *= 2.0;
		if (isinf(hi))
			return INFINITY;
	}
	return Bisect(RatioScore, r, -critical, lo, hi, true);
}

/*
 * RatioLowerBound
 *		The lower end: the ratio where the statistic rises to critical,
 *		bracketed by halving from the estimate (or doubling from 1 when the
 *		estimate is infinite); 0 when the treatment has no conversion.
 */
static double
RatioLowerBound(const TwoRates *r, double estimate, double critical)
{
	double		lo,
				hi;

	if (r->x1 == 0.0)
		return 0.0;
	if (isinf(estimate))
	{
		lo = 1.0;
		while (RatioScore(r, lo) > critical)
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
	while (RatioScore(r, lo) < critical)
	{
		hi = lo;
		lo /= 2.0;
		if (lo == 0.0)
			return 0.0;
	}
	return Bisect(RatioScore, r, critical, lo, hi, true);
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
	int64		x1 = PG_GETARG_INT64(2);
	int64		n1 = PG_GETARG_INT64(3);
	int64		x0 = PG_GETARG_INT64(0);
	int64		n0 = PG_GETARG_INT64(1);
	double		critical = TwoSidedCritical(PG_GETARG_FLOAT8(4), INFINITY);
	Datum		values[TEST_COLUMNS - 1];
	bool		nulls[TEST_COLUMNS - 1];
	TwoRates	r;
	double		difference,
				z,
				ratio;

	CheckCounts(x0, n0);
	CheckCounts(x1, n1);
	memset(nulls, true, sizeof(nulls));
	if (n0 == 0 || n1 == 0)
		return ReturnRecord(fcinfo, values, nulls);

	r.x1 = (double) x1;
	r.n1 = (double) n1;
	r.x0 = (double) x0;
	r.n0 = (double) n0;
	r.correction = (r.n1 + r.n0) / (r.n1 + r.n0 - 1.0);
	difference = r.x1 / r.n1 - r.x0 / r.n0;
	SetResult(values, nulls, TEST_DIFFERENCE, difference);
	SetResult(values, nulls, TEST_DIFFERENCE_LOWER, difference <= -1.0 ? -1.0 :
			  Bisect(DifferenceScore, &r, critical, -1.0, difference, false));
	SetResult(values, nulls, TEST_DIFFERENCE_UPPER, difference >= 1.0 ? 1.0 :
			  Bisect(DifferenceScore, &r, -critical, difference, 1.0, false));
	z = DifferenceScore(&r, 0.0);
	SetResult(values, nulls, TEST_STATISTIC, z);
	SetResult(values, nulls, TEST_P_VALUE, 2.0 * StudentUpperTail(fabs(z), INFINITY));

	if (x0 == 0 && x1 == 0)
		SetNote(values, nulls, "neither arm has a conversion, so the ratio of the rates is undefined");
	else
	{
		double		upper;

		ratio = x0 == 0 ? INFINITY : (r.x1 / r.n1) / (r.x0 / r.n0);
		upper = RatioUpperBound(&r, ratio, critical);
		SetResult(values, nulls, TEST_RELATIVE_LOWER, RatioLowerBound(&r, ratio, critical) - 1.0);
		if (isinf(ratio))
			SetNote(values, nulls, "the control has no conversion, so the ratio is unbounded above");
		else
		{
			SetResult(values, nulls, TEST_RELATIVE, ratio - 1.0);
			SetResult(values, nulls, TEST_RELATIVE_UPPER, upper - 1.0);
		}
	}
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
	double		confidence = PG_GETARG_FLOAT8(6);
	Datum		values[TEST_COLUMNS];
	bool		nulls[TEST_COLUMNS];
	double		s0,
				s1,
				se,
				df;

	CheckProbability(confidence, "confidence", true);
	memset(nulls, true, sizeof(nulls));
	se = StandardErrors(&arms, &s0, &s1);
	if (isnan(se))
		return ReturnRecord(fcinfo, values, nulls);

	df = (s0 + s1) * (s0 + s1) / (s0 * s0 / (arms.n0 - 1) + s1 * s1 / (arms.n1 - 1));
	SetMeansComparison(values, nulls, &arms, s0, s1, TwoSidedCritical(confidence, df));
	SetResult(values, nulls, TEST_P_VALUE, 2.0 * StudentUpperTail(fabs((arms.m1 - arms.m0) / se), df));
	SetResult(values, nulls, TEST_DF, df);
	return ReturnRecord(fcinfo, values, nulls);
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
	double		confidence = PG_GETARG_FLOAT8(6);
	int64		tuning_n = PG_GETARG_INT64(7);
	Datum		values[TEST_COLUMNS];
	bool		nulls[TEST_COLUMNS];
	double		s0,
				s1,
				se,
				rho2;
	int64		n;

	CheckProbability(confidence, "confidence", true);
	if (pg_add_s64_overflow(arms.n0, arms.n1, &n))
		n = PG_INT64_MAX;
	CheckSequentialSizes(Max(n, 1), tuning_n);
	memset(nulls, true, sizeof(nulls));
	se = StandardErrors(&arms, &s0, &s1);
	if (isnan(se))
		return ReturnRecord(fcinfo, values, nulls);

	rho2 = SequentialMixture(SEQUENTIAL_TUNING_ALPHA, tuning_n);
	SetMeansComparison(values, nulls, &arms, s0, s1,
					   SequentialCritical(n, rho2, 1.0 - confidence));
	SetResult(values, nulls, TEST_P_VALUE, SequentialPValue((arms.m1 - arms.m0) / se, n, rho2));
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
