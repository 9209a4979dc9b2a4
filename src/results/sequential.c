/*
 * sequential.c
 *		Always-valid inference for experiments that are looked at while they
 *		run: the asymptotic confidence sequence of a difference of means or
 *		proportions, and a sequential test of sample ratio mismatch.
 *
 * A fixed-horizon interval holds at one look decided in advance; read every
 * day, it excludes the truth far more often than its level says (see the
 * calibration in docs/results.md).
 * The two tests here hold at every sample size at once, so an analyst may
 * look as often as they like and stop whenever the answer is clear:
 *
 * - sequential_interval(): the asymptotic confidence sequence of
 *   Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas, "Time-uniform central
 *   limit theory and asymptotic confidence sequences" (arXiv:2103.06476,
 *   2021), with a normal mixture of width rho chosen to
 *   make the sequence tightest at an expected sample size, as GrowthBook's
 *   sequential engine does, and its always-valid p-value (the reciprocal of
 *   the mixture martingale).
 * - sequential_srm_test(): the Dirichlet-multinomial Bayes factor of Lindon
 *   and Malek, "Anytime-valid inference for multinomial count data" (NeurIPS
 *   2022), whose reciprocal is an always-valid p-value for the hypothesis
 *   that units arrive in the configured allocation.
 *
 * Both depend on the data only through totals (sums, and the counts per
 * variant, whose Bayes factor does not depend on arrival order), so each is
 * a function of the current totals; the running minimum of its p-values
 * over the looks is also always valid.
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

#include "stats.h"

PG_FUNCTION_INFO_V1(sequential_interval);
PG_FUNCTION_INFO_V1(sequential_srm_test);

/*
 * CheckFinite
 *		The parameters below are counts, scales and concentrations: finite
 *		and positive (or non-negative where zero means something).
 */
static void
CheckFinite(double value, const char *what, bool zero_allowed)
{
	if (!isfinite(value) || value < 0.0 || (!zero_allowed && value == 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite %s number, not %g", what,
						zero_allowed ? "non-negative" : "positive", value)));
}

/*
 * SequentialMixture
 *		The squared width rho^2 of the normal mixture that makes the
 *		sequence at level 1 - alpha narrowest at tuning_n units, the paper's
 *		choice for a planned sample size:
 *		rho^2 = (-2 log alpha + log(-2 log alpha + 1)) / tuning_n.
 *		GrowthBook takes tuning_n = 5000 by default.
 */
double
SequentialMixture(double alpha, int64 tuning_n)
{
	double		log_alpha = log(alpha);

	return (-2.0 * log_alpha + log(1.0 - 2.0 * log_alpha)) / (double) tuning_n;
}

/*
 * SequentialCritical
 *		The half-width of the confidence sequence at level 1 - alpha in
 *		standard errors, after n units with mixture rho^2: the sequence is
 *		estimate +- critical * se, where sigma^2 = n se^2 and
 *		critical^2 = 2 (n rho^2 + 1) / (n rho^2) log(sqrt(n rho^2 + 1) / alpha).
 *		It plays the part of 1.96 in a fixed-horizon interval.
 */
double
SequentialCritical(int64 n, double rho2, double alpha)
{
	double		tr2p1 = (double) n * rho2 + 1.0;

	return sqrt(2.0 * tr2p1 / ((double) n * rho2) * (0.5 * log(tr2p1) - log(alpha)));
}

/*
 * SequentialPValue
 *		The always-valid p-value of no difference, the reciprocal of the
 *		normal mixture martingale at 0, for an estimate z standard errors
 *		from 0 after n units:
 *		log M_n(0) = rho^2 n z^2 / (2 (n rho^2 + 1)) - log sqrt(n rho^2 + 1),
 *		p = min(1, 1 / M_n(0)). It is below alpha exactly when |z| exceeds
 *		SequentialCritical(n, rho2, alpha). An infinite z (a non-zero
 *		estimate with no error) gives 0.
 */
double
SequentialPValue(double z, int64 n, double rho2)
{
	double		tr2p1 = (double) n * rho2 + 1.0;
	double		log_evidence;

	if (z == 0.0)
		return 1.0;
	if (isinf(z))
		return 0.0;
	log_evidence = rho2 * (double) n * z * z / (2.0 * tr2p1) - 0.5 * log(tr2p1);
	return log_evidence <= 0.0 ? 1.0 : exp(-log_evidence);
}

/*
 * CheckSequentialSizes
 *		Both sample sizes of a confidence sequence count units and must be
 *		positive.
 */
void
CheckSequentialSizes(int64 n, int64 tuning_n)
{
	if (n < 1 || tuning_n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample sizes must be positive, not n = %lld and tuning_n = %lld",
						(long long) n, (long long) tuning_n),
				 errdetail("n counts the units of both arms together; tuning_n is the number of units at which the interval should be narrowest.")));
}

/*
 * sequential_interval(difference, standard_error, n, confidence, tuning_n)
 *		The two-sided asymptotic confidence sequence for a difference
 *		estimated from n units (both arms together) with the given standard
 *		error, tightest near tuning_n units, and its always-valid p-value.
 *
 * With S_n the running sum and sigma^2 its per-unit variance, the normal
 * mixture martingale of width rho is
 *		M_n = exp(rho^2 S_n^2 / (2 sigma^2 (n rho^2 + 1))) / sqrt(n rho^2 + 1),
 * and {difference: M_n(difference) < 1 / alpha} is the interval
 *		estimate +- sigma sqrt(2 (n rho^2 + 1) / (n^2 rho^2) log(sqrt(n rho^2 + 1) / alpha))
 * (the paper's two-sided asymptotic sequence with a normal mixture). Here sigma^2 = n se^2 and
 * S_n / n is the estimate; rho^2 is SequentialMixture(alpha, tuning_n). The
 * p-value 1 / M_n(0) is below alpha exactly when the interval excludes 0.
 */
Datum
sequential_interval(PG_FUNCTION_ARGS)
{
	double		difference = PG_GETARG_FLOAT8(0);
	double		se = PG_GETARG_FLOAT8(1);
	int64		n = PG_GETARG_INT64(2);
	double		confidence = PG_GETARG_FLOAT8(3);
	int64		tuning_n = PG_GETARG_INT64(4);
	double		alpha,
				rho2,
				half;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (!isfinite(difference))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("difference must be a finite number, not %g", difference)));
	CheckFinite(se, "standard error", true);
	CheckSequentialSizes(n, tuning_n);
	if (isnan(confidence) || confidence <= 0.0 || confidence >= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("confidence must be between 0 and 1 exclusive, not %g", confidence)));

	alpha = 1.0 - confidence;
	rho2 = SequentialMixture(alpha, tuning_n);
	half = se * SequentialCritical(n, rho2, alpha);
	values[0] = Float8GetDatum(difference - half);
	values[1] = Float8GetDatum(difference + half);
	/* A zero standard error makes any non-zero estimate certain. */
	values[2] = Float8GetDatum(SequentialPValue(difference == 0.0 ? 0.0 :
												se == 0.0 ? INFINITY : difference / se,
												n, rho2));
	return ReturnRecord(fcinfo, values, nulls);
}

/*
 * sequential_srm_test(observed bigint[], allocation float8[], concentration)
 *		Always-valid test that units arrive in the configured allocation: the
 *		Bayes factor of a Dirichlet-multinomial alternative (prior
 *		Dirichlet(concentration * theta0), theta0 the allocation shares)
 *		against the multinomial null theta0,
 *		BF = Gamma(k) / Gamma(k + n) prod Gamma(a_i + x_i) / Gamma(a_i)
 *			 / prod theta0_i^x_i,
 *		a_i = k theta0_i. Under the null, BF is a martingale in n, so
 *		min(1, 1 / BF) is an always-valid p-value (Ville's inequality).
 *		Lindon and Malek's savvi takes k = 100 by default.
 *
 * The terms are of order n log n and cancel to order log n: at a million
 * units a double would keep only 1e-8 of the result, so the sums are taken
 * in long double (a 64-bit significand on x86-64, 113 bits on arm64).
 * Units in a variant allocated 0 make the mismatch certain (p-value 0, log
 * Bayes factor Infinity), as srm_test says. NULLs when there is nothing to
 * test: no units, or fewer than two variants with a positive allocation and
 * no stray unit.
 */
Datum
sequential_srm_test(PG_FUNCTION_ARGS)
{
	double		concentration = PG_GETARG_FLOAT8(2);
	SrmInput	in;
	long double log_bf = 0.0L;
	Datum		values[2];
	bool		nulls[2] = {true, true};

	CheckFinite(concentration, "concentration", false);
	ReadSrmInput("sequential_srm_test", PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1), &in);
	if (in.total_units == 0 || (in.allocated < 2 && !in.stray))
		return ReturnRecord(fcinfo, values, nulls);

	if (in.stray)
		log_bf = INFINITY;
	else
	{
		long double k = concentration;

		log_bf = lgammal(k) - lgammal(k + (long double) in.total_units);
		for (int i = 0; i < in.n; i++)
		{
			long double x = (long double) in.units[i];
			long double theta = (long double) in.weights[i] / in.total_weight;
			long double a = k * theta;

			if (theta == 0.0L)
				continue;
			log_bf += lgammal(a + x) - lgammal(a) - x * logl(theta);
		}
	}
	values[0] = Float8GetDatum((double) log_bf);
	values[1] = Float8GetDatum(log_bf <= 0.0L ? 1.0 : (double) expl(-log_bf));
	nulls[0] = nulls[1] = false;
	return ReturnRecord(fcinfo, values, nulls);
}
