/*
 * stats.h
 *		What the tests and intervals of src/results/comparisons.c need of the
 *		distributions of src/results/distributions.c: tails and critical
 *		values, log Beta, and the check of a probability argument; and what
 *		src/results/sequential.c shares with comparisons.c: the row of a
 *		function with OUT parameters, the checked input of a sample ratio
 *		test, and the confidence sequence behind sequential_test.
 */
#ifndef EXPERIMENTS_STATS_H
#define EXPERIMENTS_STATS_H

#include "fmgr.h"
#include "utils/array.h"

/* distributions.c */
extern void CheckProbability(double p, const char *what, bool open);
extern double TwoSidedCritical(double confidence, double df);
extern double StudentUpperTail(double s, double df);
extern double NormalCdf(double x);
extern double NormalQuantile(double p);
extern double ChiSquareUpperTail(double x, double df);
extern double LogBeta(double a, double b);

/*
 * The input of a sample ratio test (srm_test, sequential_srm_test): units
 * observed per variant and the allocation weights, checked by ReadSrmInput.
 */
typedef struct SrmInput
{
	int			n;				/* variants */
	int64	   *units;			/* units observed per variant */
	double	   *weights;		/* allocation per variant, finite, >= 0 */
	int64		total_units;
	double		total_weight;	/* > 0 */
	int			allocated;		/* variants with a positive weight */
	bool		stray;			/* units in a variant allocated 0 */
} SrmInput;

/* sequential.c: the confidence sequence, shared with sequential_test */
extern double SequentialMixture(double alpha, int64 tuning_n);
extern double SequentialCritical(int64 n, double rho2, double alpha);
extern double SequentialPValue(double z, int64 n, double rho2);
extern void CheckSequentialSizes(int64 n, int64 tuning_n);

/*
 * The level whose mixture sequential_test uses at every confidence, so that
 * intervals at levels corrected for multiple testing come from the same
 * martingale as its p-value.
 */
#define SEQUENTIAL_TUNING_ALPHA 0.05

/* comparisons.c */
extern Datum ReturnRecord(FunctionCallInfo fcinfo, Datum *values, bool *nulls);
extern void ReadSrmInput(const char *test, ArrayType *observed, ArrayType *allocation,
						 SrmInput *input);

#endif							/* EXPERIMENTS_STATS_H */
