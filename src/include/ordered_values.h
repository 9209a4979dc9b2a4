/*
 * ordered_values.h
 *		A multiset of doubles read back by rank (src/results/ordered_values.c),
 *		for the percentile caps and quantiles of metric_statistics().
 */
#ifndef EXPERIMENTS_ORDERED_VALUES_H
#define EXPERIMENTS_ORDERED_VALUES_H

#include "postgres.h"

typedef struct OrderedValues OrderedValues;

extern OrderedValues *OrderedValuesBegin(int budget_kb);
extern void OrderedValuesAdd(OrderedValues *values, double value);
extern int64 OrderedValuesCount(const OrderedValues *values);
extern void OrderedValuesSort(OrderedValues *values);
extern double OrderedValuesAt(OrderedValues *values, int64 rank);
extern void OrderedValuesEnd(OrderedValues *values);

#endif							/* EXPERIMENTS_ORDERED_VALUES_H */
