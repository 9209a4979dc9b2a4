/*
 * stats.h
 *		What the tests and intervals of src/results/comparisons.c need of the
 *		distributions of src/results/distributions.c: tails and critical
 *		values, log Beta, and the check of a probability argument.
 */
#ifndef EXPERIMENTS_STATS_H
#define EXPERIMENTS_STATS_H

/* distributions.c */
extern void CheckProbability(double p, const char *what, bool open);
extern double TwoSidedCritical(double confidence, double df);
extern double StudentUpperTail(double s, double df);
extern double ChiSquareUpperTail(double x, double df);
extern double LogBeta(double a, double b);

#endif							/* EXPERIMENTS_STATS_H */
