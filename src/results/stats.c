/*
 * stats.c
 *		The statistics behind experiment results: the normal, chi-square and
 *		Student t distributions, Wilson intervals, the two-proportion z-test,
 *		Welch's t-test and the chi-square test of sample ratio mismatch.
 *
 * Everything is computed in double precision to a relative accuracy near
 * 1e-13, tails included, and checked in sql/stats.sql against values computed
 * with mpmath at 50 significant digits (test/vectors/stats_reference.py).
 *
 * The distributions rest on two special functions, each computed from its
 * series or continued fraction multiplied by a prefactor such as
 * x^a e^-x / Gamma(a+1). The prefactor is where naive code loses accuracy
 * for large degrees of freedom: log Gamma of a million is about 1.3e7, so
 * its last bit is worth 1e-9. Here the large terms cancel analytically
 * (Stirling's series and log1p(d) - d computed as a series), following the
 * saddle-point idea of Catherine Loader's binomial and Poisson densities.
 *
 * About 950 lines in one file, on purpose: the special functions are static,
 * used only by the tests below them, and the accuracy argument above covers
 * both; a header between them would export numerical internals for no caller.
 */
#include "core.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(normal_cdf);
PG_FUNCTION_INFO_V1(normal_quantile);
PG_FUNCTION_INFO_V1(chi_square_cdf);
PG_FUNCTION_INFO_V1(chi_square_sf);
PG_FUNCTION_INFO_V1(student_t_cdf);
PG_FUNCTION_INFO_V1(student_t_sf);
PG_FUNCTION_INFO_V1(student_t_quantile);
PG_FUNCTION_INFO_V1(wilson_interval);
PG_FUNCTION_INFO_V1(two_proportion_test);
PG_FUNCTION_INFO_V1(welch_test);
PG_FUNCTION_INFO_V1(srm_test);

/* Series and continued fractions stop when a term is this small, relatively. */
#define SERIES_EPSILON (DBL_EPSILON / 4)

/* Safety net only: every expansion here converges in O(sqrt(a)) steps. */
#define MAX_ITERATIONS 10000000

/* Stirling's series is used above this argument, where 8 terms reach 1e-17. */
#define STIRLING_THRESHOLD 10.0

#define LOG_SQRT_2PI 0.91893853320467274178

/*
 * LogGammaCorrection
 *		lgamma(z) - ((z - 1/2) log z - z + log sqrt(2 pi)) for z >= 10, from
 *		Stirling's series: sum of B(2k) / (2k (2k - 1) z^(2k - 1)). Keeping the
 *		correction apart is what lets the large terms cancel exactly.
 */
static double
LogGammaCorrection(double z)
{
	double		w = 1.0 / (z * z);

	return (1.0 / 12 + w * (-1.0 / 360 + w * (1.0 / 1260 + w * (-1.0 / 1680 +
			 w * (1.0 / 1188 + w * (-691.0 / 360360 + w * (1.0 / 156 +
			 w * (-3617.0 / 122400)))))))) / z;
}

/*
 * Log1pmxComplement
 *		d - log1p(d) for d > -1, accurate also for small d, where the two terms
 *		nearly cancel: with v = d / (2 + d), log1p(d) = 2 atanh(v), so
 *		d - log1p(d) = d v - 2 (v^3/3 + v^5/5 + ...).
 */
static double
Log1pmxComplement(double d)
{
	double		v,
				v2,
				power,
				sum;

	if (fabs(d) >= 0.5)
		return d - log1p(d);
	v = d / (2.0 + d);
	v2 = v * v;
	power = v;
	sum = d * v;
	for (int k = 3;; k += 2)
	{
		double		term;

		power *= v2;
		term = 2.0 * power / k;
		sum -= term;
		if (fabs(term) <= SERIES_EPSILON * sum)
			break;
	}
	return sum;
}

/*
 * LogPoissonTerm
 *		log(x^a e^-x / Gamma(a + 1)) for a > 0, x > 0: the prefactor of the
 *		incomplete gamma function. For large a it is written as
 *		-a (d - log1p(d)) - log sqrt(2 pi a) - correction(a), d = (x - a) / a,
 *		in which nothing large is left to cancel.
 */
static double
LogPoissonTerm(double a, double x)
{
	if (a < STIRLING_THRESHOLD)
		return a * log(x) - x - lgamma(a + 1.0);
	return -a * Log1pmxComplement((x - a) / a) - LOG_SQRT_2PI - 0.5 * log(a) -
		LogGammaCorrection(a);
}

/*
 * LogBeta
 *		log B(a, b) for a, b > 0. When the larger argument q is large,
 *		lgamma(q) - lgamma(p + q) is taken from Stirling's series instead of
 *		as the difference of two large numbers.
 */
static double
LogBeta(double a, double b)
{
	double		p = Min(a, b);
	double		q = Max(a, b);

	if (q < STIRLING_THRESHOLD)
		return lgamma(p) + lgamma(q) - lgamma(p + q);
	return lgamma(p) - (q - 0.5) * log1p(p / q) - p * log(p + q) + p +
		LogGammaCorrection(q) - LogGammaCorrection(p + q);
}

/*
 * IncompleteGamma
 *		The regularized incomplete gamma functions P(a, x) and Q(a, x) =
 *		1 - P(a, x), a > 0. Below x = a + 1 the series of P converges fast and
 *		P is the smaller of the two; above, the continued fraction of Q
 *		(evaluated by the modified Lentz method) converges fast and Q is the
 *		smaller. Each side computes the smaller one directly, so both keep
 *		their relative accuracy far into the tails.
 */
static void
IncompleteGamma(double a, double x, double *p, double *q)
{
	if (x <= 0.0)
	{
		*p = 0.0;
		*q = 1.0;
		return;
	}
	if (isinf(x))
	{
		*p = 1.0;
		*q = 0.0;
		return;
	}
	if (x < a + 1.0)
	{
		double		term = 1.0;
		double		sum = 1.0;

		for (int n = 1; n < MAX_ITERATIONS; n++)
		{
			term *= x / (a + n);
			sum += term;
			if (term <= SERIES_EPSILON * sum)
				break;
		}
		*p = exp(LogPoissonTerm(a, x)) * sum;
		*q = 1.0 - *p;
	}
	else
	{
		/* Q = a x^a e^-x / Gamma(a + 1) / (x + 1 - a - 1(1 - a) / (x + 3 - a - ...)) */
		double		b = x + 1.0 - a;
		double		c = 1.0 / DBL_MIN;
		double		d = 1.0 / b;
		double		h = d;

		for (int n = 1; n < MAX_ITERATIONS; n++)
		{
			double		an = -n * (n - a);
			double		delta;

			b += 2.0;
			d = an * d + b;
			if (fabs(d) < DBL_MIN)
				d = DBL_MIN;
			c = b + an / c;
			if (fabs(c) < DBL_MIN)
				c = DBL_MIN;
			d = 1.0 / d;
			delta = d * c;
			h *= delta;
			if (fabs(delta - 1.0) <= SERIES_EPSILON)
				break;
		}
		*q = exp(LogPoissonTerm(a, x) + log(a)) * h;
		*p = 1.0 - *q;
	}
}

/*
 * BetaFraction
 *		The continued fraction of the incomplete beta function,
 *		I_x(a, b) = x^a y^b / (a B(a, b)) * BetaFraction(a, b, x), by the
 *		modified Lentz method; it converges fast for x < (a + 1) / (a + b + 2).
 */
static double
BetaFraction(double a, double b, double x)
{
	double		c = 1.0;
	double		h;

	double		d = 1.0 - (a + b) * x / (a + 1.0);

	if (fabs(d) < DBL_MIN)
		d = DBL_MIN;
	d = 1.0 / d;
	h = d;
	for (int m = 1; m < MAX_ITERATIONS; m++)
	{
		double		m2 = 2.0 * m;
		double		coefficient;
		double		delta;

		/* even step: m (b - m) x / ((a + 2m - 1)(a + 2m)) */
		coefficient = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
		d = 1.0 + coefficient * d;
		if (fabs(d) < DBL_MIN)
			d = DBL_MIN;
		c = 1.0 + coefficient / c;
		if (fabs(c) < DBL_MIN)
			c = DBL_MIN;
		d = 1.0 / d;
		h *= d * c;

		/* odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) */
		coefficient = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
		d = 1.0 + coefficient * d;
		if (fabs(d) < DBL_MIN)
			d = DBL_MIN;
		c = 1.0 + coefficient / c;
		if (fabs(c) < DBL_MIN)
			c = DBL_MIN;
		d = 1.0 / d;
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1.0) <= SERIES_EPSILON)
			break;
	}
	return h;
}

/*
 * IncompleteBeta
 *		The regularized incomplete beta function I_x(a, b) and its complement
 *		I_y(b, a), where the caller passes both x and y = 1 - x, each computed
 *		without cancellation: that is what keeps both tails accurate. The side
 *		whose continued fraction converges is computed directly.
 *
 *		The fraction sees x only, and near x = 1 the rounding of x is a
 *		relative error of about 1e-16 / y in y: for Student's t that limits
 *		the relative accuracy to about 1e-16 * df / 2 (1e-11 at a million
 *		degrees of freedom), against 1e-15 for df below a thousand.
 */
static void
IncompleteBeta(double a, double b, double x, double y, double *ix, double *iy)
{
	double		log_x,
				log_y,
				log_prefactor;

	if (x <= 0.0)
	{
		*ix = 0.0;
		*iy = 1.0;
		return;
	}
	if (y <= 0.0)
	{
		*ix = 1.0;
		*iy = 0.0;
		return;
	}
	log_x = x > 0.5 ? log1p(-y) : log(x);
	log_y = y > 0.5 ? log1p(-x) : log(y);
	log_prefactor = a * log_x + b * log_y - LogBeta(a, b);
	if (x < (a + 1.0) / (a + b + 2.0))
	{
		*ix = exp(log_prefactor) * BetaFraction(a, b, x) / a;
		*iy = 1.0 - *ix;
	}
	else
	{
		*iy = exp(log_prefactor) * BetaFraction(b, a, y) / b;
		*ix = 1.0 - *iy;
	}
}

/*
 * The normal and Student t distributions are symmetric about 0, so they are
 * computed from s = |x| through three functions of s >= 0; df = +Infinity
 * stands for the normal distribution, the limit of Student's t.
 */

/*
 * StudentTails
 *		P(0 < X < s) and P(X > s) together, from one incomplete beta: for
 *		Student's t, P(|T| > s) = I_x(df/2, 1/2) with x = df / (df + s^2).
 *		Where s^2 overflows (s > 1.3e154) the upper tail is returned as 0: it
 *		is below 1e-154 for df >= 1.
 */
static void
StudentTails(double s, double df, double *central, double *upper)
{
	double		s2 = s * s;
	double		ix,
				iy;

	if (isinf(df))
	{
		*central = 0.5 * erf(s * M_SQRT1_2);
		*upper = 0.5 * erfc(s * M_SQRT1_2);
		return;
	}
	if (isinf(s2))
	{
		*central = 0.5;
		*upper = 0.0;
		return;
	}
	IncompleteBeta(df / 2.0, 0.5, df / (df + s2), s2 / (df + s2), &ix, &iy);
	*central = 0.5 * iy;
	*upper = 0.5 * ix;
}

/*
 * StudentTail
 *		P(X > s) when upper, P(0 < X < s) otherwise.
 */
static double
StudentTail(double s, double df, bool upper)
{
	double		central,
				above;

	StudentTails(s, df, &central, &above);
	return upper ? above : central;
}

/*
 * Density
 *		The density at s: only a slope for the quantile's Newton steps, but
 *		kept finite for huge s, where log(1 + s^2/df) is 2 log s - log df.
 */
static double
Density(double s, double df)
{
	double		log1p_s2;

	if (isinf(df))
		return exp(-0.5 * s * s - LOG_SQRT_2PI);
	log1p_s2 = s > 1e100 ? 2.0 * log(s) - log(df) : log1p(s * s / df);
	return exp(-0.5 * (df + 1.0) * log1p_s2 - 0.5 * log(df) - LogBeta(df / 2.0, 0.5));
}

/*
 * LowerProbability
 *		P(X <= x), with whichever side is smaller computed directly.
 */
static double
LowerProbability(double x, double df)
{
	if (isnan(x))
		return x;
	if (x < 0.0)
		return StudentTail(-x, df, true);
	return 0.5 + StudentTail(x, df, false);
}

/*
 * SymmetricQuantile
 *		The x with P(X <= x) = p, by Newton's method kept inside a bracket
 *		(bisecting whenever a step would leave it). For p >= 1/4 it solves
 *		P(0 < X < s) = 1/2 - p, exact in floating point; in the tail it solves
 *		log P(X > s) = log p in u = log s, where a Student tail ~ s^-df is
 *		nearly a straight line, so steps stay accurate for any df.
 */
static double
SymmetricQuantile(double p, double df)
{
	bool		tail;
	double		lo,
				hi,
				w;

	if (p == 0.5)
		return 0.0;
	if (p > 0.5)
		return -SymmetricQuantile(1.0 - p, df);
	if (p == 0.0)
		return -INFINITY;

	tail = p < 0.25;
	if (tail)
	{
		double		s = 1.0;

		while (StudentTail(s, df, true) < 0.25)
			s /= 2.0;
		lo = log(s);
		while (StudentTail(s, df, true) >= p)
		{
			s *= 2.0;
			if (isinf(s))
				return -INFINITY;
		}
		hi = log(s);
		/* the normal tail's first-order solution, a fine start for any df */
		w = log(sqrt(-2.0 * log(p)));
	}
	else
	{
		lo = 0.0;
		hi = 1.0;
		while (StudentTail(hi, df, false) < 0.5 - p)
			hi *= 2.0;
		w = (0.5 - p) * 2.0 * M_SQRT2 / M_2_SQRTPI;
	}

	for (int iteration = 0; iteration < 200; iteration++)
	{
		double		g,
					slope,
					next;

		if (!(w > lo && w < hi))
			w = 0.5 * (lo + hi);
		if (tail)
		{
			double		s = exp(w);
			double		upper = StudentTail(s, df, true);

			g = log(p) - log(upper);
			slope = s * Density(s, df) / upper;
		}
		else
		{
			g = StudentTail(w, df, false) - (0.5 - p);
			slope = Density(w, df);
		}
		if (g == 0.0)
			break;
		if (g < 0.0)
			lo = w;
		else
			hi = w;
		next = w - g / slope;
		if (!(next > lo && next < hi))
			next = 0.5 * (lo + hi);
		if (fabs(next - w) <= 2.0 * DBL_EPSILON * fabs(next))
		{
			w = next;
			break;
		}
		w = next;
	}
	return tail ? -exp(w) : -w;
}

/*
 * Argument checks shared by the SQL-callable functions.
 */

/*
 * CheckDegreesOfFreedom
 *		Degrees of freedom must be positive; +Infinity is allowed where the
 *		distribution has that limit.
 */
static void
CheckDegreesOfFreedom(double df, bool infinity_allowed)
{
	if (isnan(df) || df <= 0.0 || (isinf(df) && !infinity_allowed))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("degrees of freedom must be a positive number, not %g", df),
				 infinity_allowed ?
				 errdetail("Infinity is allowed and gives the normal distribution.") :
				 errdetail("The chi-square distribution is defined for finite positive degrees of freedom.")));
}

/*
 * CheckProbability
 *		A probability must lie in [0, 1]; a confidence level in (0, 1).
 */
static void
CheckProbability(double p, const char *what, bool open)
{
	if (isnan(p) || p < 0.0 || p > 1.0 || (open && (p == 0.0 || p == 1.0)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be between 0 and 1%s, not %g", what,
						open ? " exclusive" : "", p)));
}

/*
 * CheckCount
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

/*
 * TwoSidedCritical
 *		The critical value of a two-sided interval at a confidence level:
 *		the quantile at 1 - (1 - confidence) / 2.
 */
static double
TwoSidedCritical(double confidence, double df)
{
	CheckProbability(confidence, "confidence", true);
	return -SymmetricQuantile((1.0 - confidence) / 2.0, df);
}

/*
 * ReturnRecord
 *		Builds the row a function with OUT parameters returns.
 */
static Datum
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

/*
 * RelativeInterval
 *		The relative difference treatment / control - 1 and its interval by
 *		the delta method: Var(t/c) ~ (t/c)^2 (var_c / c^2 + var_t / t^2),
 *		where var_c and var_t are the squared standard errors of the two
 *		estimates. Undefined (false) when the control estimate is 0.
 */
static bool
RelativeInterval(double control, double control_var, double treatment,
				 double treatment_var, double critical,
				 double *relative, double *lower, double *upper)
{
	double		ratio,
				se;

	if (control == 0.0)
		return false;
	ratio = treatment / control;
	se = fabs(ratio) * sqrt(control_var / (control * control) +
							(treatment == 0.0 ? 0.0 : treatment_var / (treatment * treatment)));
	*relative = ratio - 1.0;
	*lower = *relative - critical * se;
	*upper = *relative + critical * se;
	return true;
}

/*
 * normal_cdf(x float8) returns float8
 *		P(Z <= x) for a standard normal Z, accurate in both tails.
 */
Datum
normal_cdf(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(LowerProbability(PG_GETARG_FLOAT8(0), INFINITY));
}

/*
 * normal_quantile(p float8) returns float8
 *		The x with P(Z <= x) = p: critical values and interval bounds.
 */
Datum
normal_quantile(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(0);

	CheckProbability(p, "probability", false);
	PG_RETURN_FLOAT8(SymmetricQuantile(p, INFINITY));
}

/*
 * ChiSquareProbability
 *		P(X <= x) or P(X > x) for chi-square with df degrees of freedom:
 *		P(df/2, x/2) or Q(df/2, x/2), each computed directly, so that tiny
 *		p-values keep their digits.
 */
static Datum
ChiSquareProbability(FunctionCallInfo fcinfo, bool upper)
{
	double		x = PG_GETARG_FLOAT8(0);
	double		df = PG_GETARG_FLOAT8(1);
	double		p,
				q;

	CheckDegreesOfFreedom(df, false);
	if (isnan(x))
		PG_RETURN_FLOAT8(x);
	IncompleteGamma(df / 2.0, x / 2.0, &p, &q);
	PG_RETURN_FLOAT8(upper ? q : p);
}

/*
 * chi_square_cdf(x float8, df float8) returns float8
 *		P(X <= x) for chi-square with df degrees of freedom.
 */
Datum
chi_square_cdf(PG_FUNCTION_ARGS)
{
	return ChiSquareProbability(fcinfo, false);
}

/*
 * chi_square_sf(x float8, df float8) returns float8
 *		P(X > x), the p-value of a chi-square statistic.
 */
Datum
chi_square_sf(PG_FUNCTION_ARGS)
{
	return ChiSquareProbability(fcinfo, true);
}

/*
 * student_t_cdf(t float8, df float8) returns float8
 *		P(T <= t) for Student's t with df degrees of freedom (df may be
 *		fractional, as Welch's are, or Infinity for the normal).
 */
Datum
student_t_cdf(PG_FUNCTION_ARGS)
{
	double		t = PG_GETARG_FLOAT8(0);
	double		df = PG_GETARG_FLOAT8(1);

	CheckDegreesOfFreedom(df, true);
	PG_RETURN_FLOAT8(LowerProbability(t, df));
}

/*
 * student_t_sf(t float8, df float8) returns float8
 *		P(T > t), computed directly so that tiny tails keep their digits.
 */
Datum
student_t_sf(PG_FUNCTION_ARGS)
{
	double		t = PG_GETARG_FLOAT8(0);
	double		df = PG_GETARG_FLOAT8(1);

	CheckDegreesOfFreedom(df, true);
	PG_RETURN_FLOAT8(isnan(t) ? t : LowerProbability(-t, df));
}

/*
 * student_t_quantile(p float8, df float8) returns float8
 *		The t with P(T <= t) = p: critical values of t intervals.
 */
Datum
student_t_quantile(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(0);
	double		df = PG_GETARG_FLOAT8(1);

	CheckDegreesOfFreedom(df, true);
	CheckProbability(p, "probability", false);
	PG_RETURN_FLOAT8(SymmetricQuantile(p, df));
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
	TEST_DF,
	TEST_COLUMNS
};

/*
 * FillComparison
 *		The columns both tests share: the difference treatment - control with
 *		its interval (estimate +- critical * se), the relative difference with
 *		its delta-method interval, the statistic and its two-sided p-value.
 *		A zero standard error leaves statistic and p-value NULL.
 */
static void
FillComparison(Datum *values, bool *nulls, double control, double control_var,
			   double treatment, double treatment_var, double test_se,
			   double critical, double df)
{
	double		difference = treatment - control;
	double		se = sqrt(control_var + treatment_var);
	double		relative,
				lower,
				upper;

	values[TEST_DIFFERENCE] = Float8GetDatum(difference);
	values[TEST_DIFFERENCE_LOWER] = Float8GetDatum(difference - critical * se);
	values[TEST_DIFFERENCE_UPPER] = Float8GetDatum(difference + critical * se);
	nulls[TEST_DIFFERENCE] = nulls[TEST_DIFFERENCE_LOWER] = nulls[TEST_DIFFERENCE_UPPER] = false;
	if (RelativeInterval(control, control_var, treatment, treatment_var,
						 critical, &relative, &lower, &upper))
	{
		values[TEST_RELATIVE] = Float8GetDatum(relative);
		values[TEST_RELATIVE_LOWER] = Float8GetDatum(lower);
		values[TEST_RELATIVE_UPPER] = Float8GetDatum(upper);
		nulls[TEST_RELATIVE] = nulls[TEST_RELATIVE_LOWER] = nulls[TEST_RELATIVE_UPPER] = false;
	}
	if (test_se > 0.0)
	{
		double		statistic = difference / test_se;

		values[TEST_STATISTIC] = Float8GetDatum(statistic);
		values[TEST_P_VALUE] = Float8GetDatum(2.0 * StudentTail(fabs(statistic), df, true));
		nulls[TEST_STATISTIC] = nulls[TEST_P_VALUE] = false;
	}
}

/*
 * two_proportion_test(control_successes bigint, control_trials bigint,
 *					   treatment_successes bigint, treatment_trials bigint,
 *					   confidence float8, OUT ...)
 *		Compares two conversion rates: the z statistic uses the pooled rate
 *		(the null hypothesis says they are equal), the interval of the
 *		difference the unpooled standard error. NULLs when an arm is empty.
 */
Datum
two_proportion_test(PG_FUNCTION_ARGS)
{
	int64		x1 = PG_GETARG_INT64(0);
	int64		n1 = PG_GETARG_INT64(1);
	int64		x2 = PG_GETARG_INT64(2);
	int64		n2 = PG_GETARG_INT64(3);
	double		critical = TwoSidedCritical(PG_GETARG_FLOAT8(4), INFINITY);
	Datum		values[TEST_COLUMNS - 1];
	bool		nulls[TEST_COLUMNS - 1];

	CheckCounts(x1, n1);
	CheckCounts(x2, n2);
	memset(nulls, true, sizeof(nulls));
	if (n1 > 0 && n2 > 0)
	{
		double		p1 = (double) x1 / n1;
		double		p2 = (double) x2 / n2;
		double		pooled = (double) (x1 + x2) / (double) (n1 + n2);
		double		test_se = sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2));

		FillComparison(values, nulls, p1, p1 * (1.0 - p1) / n1,
					   p2, p2 * (1.0 - p2) / n2, test_se, critical, INFINITY);
	}
	return ReturnRecord(fcinfo, values, nulls);
}

/*
 * welch_test(control_mean float8, control_variance float8, control_count bigint,
 *			  treatment_mean float8, treatment_variance float8,
 *			  treatment_count bigint, confidence float8, OUT ...)
 *		Compares two means without assuming equal variances (Welch's t-test),
 *		with the Welch-Satterthwaite degrees of freedom; the variances are
 *		sample variances (var_samp). NULLs when an arm has fewer than 2 units.
 */
Datum
welch_test(PG_FUNCTION_ARGS)
{
	double		m1 = PG_GETARG_FLOAT8(0);
	double		v1 = PG_GETARG_FLOAT8(1);
	int64		n1 = PG_GETARG_INT64(2);
	double		m2 = PG_GETARG_FLOAT8(3);
	double		v2 = PG_GETARG_FLOAT8(4);
	int64		n2 = PG_GETARG_INT64(5);
	double		confidence = PG_GETARG_FLOAT8(6);
	Datum		values[TEST_COLUMNS];
	bool		nulls[TEST_COLUMNS];

	CheckProbability(confidence, "confidence", true);
	if (n1 < 0 || n2 < 0 || !(v1 >= 0.0) || !(v2 >= 0.0) || isinf(v1) || isinf(v2) ||
		!isfinite(m1) || !isfinite(m2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid sample summary for welch_test"),
				 errdetail("Means must be finite, variances finite and non-negative, counts non-negative.")));
	memset(nulls, true, sizeof(nulls));
	if (n1 >= 2 && n2 >= 2)
	{
		double		se1 = v1 / n1;
		double		se2 = v2 / n2;
		double		se = sqrt(se1 + se2);
		double		df;

		/* Welch-Satterthwaite; with both variances 0 there is no test */
		df = (se1 + se2) * (se1 + se2) /
			(se1 * se1 / (n1 - 1) + se2 * se2 / (n2 - 1));
		if (se > 0.0)
		{
			FillComparison(values, nulls, m1, se1, m2, se2, se,
						   TwoSidedCritical(confidence, df), df);
			values[TEST_DF] = Float8GetDatum(df);
			nulls[TEST_DF] = false;
		}
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
Datum
srm_test(PG_FUNCTION_ARGS)
{
	ArrayType  *observed_array = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *allocation_array = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *observed,
			   *allocation;
	bool	   *observed_nulls,
			   *allocation_nulls;
	int			n,
				n_allocation;
	double		total_units = 0.0,
				total_weight = 0.0,
				chi_square = 0.0;
	int			categories = 0;
	bool		stray = false;
	Datum		values[3];
	bool		nulls[3] = {true, true, true};

	deconstruct_array(observed_array, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &observed, &observed_nulls, &n);
	deconstruct_array(allocation_array, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &allocation, &allocation_nulls, &n_allocation);
	if (n != n_allocation)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("srm_test needs one allocation per observed count, got %d counts and %d allocations",
						n, n_allocation)));
	for (int i = 0; i < n; i++)
	{
		double		weight;

		if (observed_nulls[i] || allocation_nulls[i] ||
			DatumGetInt64(observed[i]) < 0 ||
			!((weight = DatumGetFloat8(allocation[i])) >= 0.0) || isinf(weight))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid srm_test input at position %d", i + 1),
					 errdetail("Counts must be non-negative and allocations finite and non-negative, without NULLs.")));
		total_units += (double) DatumGetInt64(observed[i]);
		total_weight += weight;
	}
	if (total_weight <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("srm_test needs a positive total allocation"),
				 errdetail("Every allocation given is zero.")));
	if (total_units == 0.0)
		return ReturnRecord(fcinfo, values, nulls);

	for (int i = 0; i < n; i++)
	{
		double		units = (double) DatumGetInt64(observed[i]);
		double		weight = DatumGetFloat8(allocation[i]);
		double		expected = total_units * weight / total_weight;

		if (weight == 0.0)
		{
			stray |= units > 0.0;
			continue;
		}
		categories++;
		chi_square += (units - expected) * (units - expected) / expected;
	}
	if (stray)
	{
		values[0] = Float8GetDatum(INFINITY);
		values[2] = Float8GetDatum(0.0);
		nulls[0] = nulls[2] = false;
	}
	else if (categories >= 2)
	{
		double		p,
					q;

		IncompleteGamma((categories - 1) / 2.0, chi_square / 2.0, &p, &q);
		values[0] = Float8GetDatum(chi_square);
		values[2] = Float8GetDatum(q);
		nulls[0] = nulls[2] = false;
	}
	if (categories >= 2)
	{
		values[1] = Int32GetDatum(categories - 1);
		nulls[1] = false;
	}
	return ReturnRecord(fcinfo, values, nulls);
}
