/*
 * distributions.c
 *		The distributions behind experiment results: the normal, chi-square
 *		and Student t distributions (cdfs, tails, quantiles), for SQL and for
 *		the tests and intervals of comparisons.c (through stats.h).
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
 * The special functions stay static: stats.h exports only the tails,
 * critical values and log Beta the comparisons need.
 */
#include "core.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"

#include "stats.h"

PG_FUNCTION_INFO_V1(normal_cdf);
PG_FUNCTION_INFO_V1(normal_quantile);
PG_FUNCTION_INFO_V1(chi_square_cdf);
PG_FUNCTION_INFO_V1(chi_square_sf);
PG_FUNCTION_INFO_V1(student_t_cdf);
PG_FUNCTION_INFO_V1(student_t_sf);
PG_FUNCTION_INFO_V1(student_t_quantile);

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
double
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
void
CheckProbability(double p, const char *what, bool open)
{
	if (isnan(p) || p < 0.0 || p > 1.0 || (open && (p == 0.0 || p == 1.0)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be between 0 and 1%s, not %g", what,
						open ? " exclusive" : "", p)));
}

/*
 * TwoSidedCritical
 *		The critical value of a two-sided interval at a confidence level:
 *		the quantile at 1 - (1 - confidence) / 2.
 */
double
TwoSidedCritical(double confidence, double df)
{
	CheckProbability(confidence, "confidence", true);
	return -SymmetricQuantile((1.0 - confidence) / 2.0, df);
}

/*
 * StudentUpperTail
 *		P(T > s) for s >= 0: half the two-sided p-value of a statistic,
 *		computed directly so that tiny p-values keep their digits.
 */
double
StudentUpperTail(double s, double df)
{
	return StudentTail(s, df, true);
}

/*
 * ChiSquareUpperTail
 *		P(X > x) for chi-square with df degrees of freedom: Q(df/2, x/2).
 */
double
ChiSquareUpperTail(double x, double df)
{
	double		p,
				q;

	IncompleteGamma(df / 2.0, x / 2.0, &p, &q);
	return q;
}

/*
 * normal_cdf(x float8) returns float8
 *		P(Z <= x) for a standard normal Z, accurate in both tails.
 */
Datum
normal_cdf(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(NormalCdf(PG_GETARG_FLOAT8(0)));
}

/*
 * NormalCdf
 *		normal_cdf() for the comparisons of comparisons.c.
 */
double
NormalCdf(double x)
{
	return LowerProbability(x, INFINITY);
}

/*
 * NormalQuantile
 *		normal_quantile(), its argument checked alike, for the comparisons of
 *		comparisons.c.
 */
double
NormalQuantile(double p)
{
	CheckProbability(p, "probability", false);
	return SymmetricQuantile(p, INFINITY);
}

/*
 * normal_quantile(p float8) returns float8
 *		The x with P(Z <= x) = p: critical values and interval bounds.
 */
Datum
normal_quantile(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(NormalQuantile(PG_GETARG_FLOAT8(0)));
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

