/*
 * ordered_values.c
 *		A multiset of doubles read back by rank, for the order statistics of
 *		metric_statistics(): a percentile cap's values, a quantile metric's.
 *
 * Metric values repeat: counts of events, sums of small amounts, revenue in
 * whole cents. So the values are counted per distinct value in a hash table
 * and only the distinct values are sorted, once all are in: a million units'
 * values of a few hundred kinds cost a million table updates in the CPU's
 * caches and a sort of a few hundred, where a sort of the million spills
 * past work_mem. When the distinct values outgrow the budget, the table goes
 * into a tuplesort (each value as many times as it was added) and so does
 * every later value: memory stays within the budget either way, and the
 * answers are the same.
 *
 * The order is float8's (float8_cmp_internal): -0 equals 0, NaN is above
 * every other value. Ranks are read in ascending order only, as a sort is.
 */
#include "core.h"

#include "catalog/pg_operator_d.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/tuplesort.h"

#include "ordered_values.h"

/* A distinct value and how many times it was added. */
typedef struct DistinctValue
{
	uint64		bits;			/* the double's bits, -0 and NaNs made one */
	int64		count;
	char		status;
} DistinctValue;

#define SH_PREFIX distinct
#define SH_ELEMENT_TYPE DistinctValue
#define SH_KEY_TYPE uint64
#define SH_KEY bits
#define SH_HASH_KEY(tb, key) murmurhash32((uint32) ((key) ^ ((key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* A distinct value in the sorted array. */
typedef struct ValueCount
{
	double		value;
	int64		count;
} ValueCount;

struct OrderedValues
{
	MemoryContext context;
	int			budget_kb;
	int64		n;				/* values added */
	distinct_hash *distinct;	/* while counted per distinct value */
	Tuplesortstate *sort;		/* once they outgrew the budget */
	bool		sorted;
	/* read back from the distinct values: */
	ValueCount *counts;
	uint32		ncounts;
	uint32		next;			/* the distinct value the last rank fell in */
	int64		below;			/* values ranked below counts[next] */
	/* read back from the sort: */
	int64		read;			/* values read from it */
	double		last;			/* the last of them */
	int64		last_rank;		/* the rank asked last, -1 before any */
};

/*
 * OrderedValuesBegin
 *		An empty multiset in the current memory context, holding at most
 *		budget_kb kilobytes (work_mem's unit) in memory.
 */
OrderedValues *
OrderedValuesBegin(int budget_kb)
{
	OrderedValues *values = palloc0(sizeof(OrderedValues));

	values->context = CurrentMemoryContext;
	values->budget_kb = budget_kb;
	values->distinct = distinct_create(CurrentMemoryContext, 256, NULL);
	values->last_rank = -1;
	return values;
}

/*
 * ToSort
 *		The distinct values have outgrown the budget: they, and every value
 *		after them, go to a sort.
 */
static void
ToSort(OrderedValues *values)
{
	MemoryContext old = MemoryContextSwitchTo(values->context);
	distinct_iterator iterator;
	DistinctValue *entry;

	values->sort = tuplesort_begin_datum(FLOAT8OID, Float8LessOperator, InvalidOid, false,
										 values->budget_kb, NULL, TUPLESORT_NONE);
	distinct_start_iterate(values->distinct, &iterator);
	while ((entry = distinct_iterate(values->distinct, &iterator)) != NULL)
	{
		double		value;

		memcpy(&value, &entry->bits, sizeof(double));
		for (int64 i = 0; i < entry->count; i++)
			tuplesort_putdatum(values->sort, Float8GetDatum(value), false);
	}
	distinct_destroy(values->distinct);
	values->distinct = NULL;
	MemoryContextSwitchTo(old);
}

/*
 * OrderedValuesAdd
 *		One more value.
 */
void
OrderedValuesAdd(OrderedValues *values, double value)
{
	uint64		bits;
	bool		found;
	DistinctValue *entry;
	distinct_hash *distinct = values->distinct;

	Assert(!values->sorted);
	values->n++;
	if (distinct == NULL)
	{
		tuplesort_putdatum(values->sort, Float8GetDatum(value), false);
		return;
	}
	if (value == 0)
		value = 0;				/* -0 is 0 */
	else if (isnan(value))
		value = get_float8_nan();
	memcpy(&bits, &value, sizeof(double));
	entry = distinct_insert(distinct, bits, &found);
	entry->count = found ? entry->count + 1 : 1;
	/*
	 * The table just grew to more than half the budget: it would grow past
	 * it next (a table grows when full, or earlier when a value lands far
	 * from its bucket).
	 */
	if ((Size) distinct->size * sizeof(DistinctValue) > (Size) values->budget_kb * 1024 / 2)
		ToSort(values);
}

/*
 * OrderedValuesCount
 *		How many values were added.
 */
int64
OrderedValuesCount(const OrderedValues *values)
{
	return values->n;
}

/* float8's order of two distinct values, for qsort */
static int
CompareValueCounts(const void *a, const void *b)
{
	return float8_cmp_internal(((const ValueCount *) a)->value, ((const ValueCount *) b)->value);
}

/*
 * OrderedValuesSort
 *		Every value is in: sorts them, for OrderedValuesAt.
 */
void
OrderedValuesSort(OrderedValues *values)
{
	distinct_iterator iterator;
	DistinctValue *entry;

	Assert(!values->sorted);
	values->sorted = true;
	if (values->distinct == NULL)
	{
		tuplesort_performsort(values->sort);
		return;
	}
	values->counts = MemoryContextAllocHuge(values->context,
											sizeof(ValueCount) * Max(values->distinct->members, 1));
	distinct_start_iterate(values->distinct, &iterator);
	while ((entry = distinct_iterate(values->distinct, &iterator)) != NULL)
	{
		ValueCount *count = &values->counts[values->ncounts++];

		memcpy(&count->value, &entry->bits, sizeof(double));
		count->count = entry->count;
	}
	distinct_destroy(values->distinct);
	values->distinct = NULL;
	qsort(values->counts, values->ncounts, sizeof(ValueCount), CompareValueCounts);
}

/*
 * OrderedValuesAt
 *		The value at rank (from 0) in ascending order, rank at least the one
 *		asked last and below the count.
 */
double
OrderedValuesAt(OrderedValues *values, int64 rank)
{
	if (!values->sorted || rank < values->last_rank || rank >= values->n)
		elog(ERROR, "rank " INT64_FORMAT " of %s " INT64_FORMAT " ordered values asked out of order",
			 rank, values->sorted ? "the" : "unsorted", values->n);
	values->last_rank = rank;
	if (values->sort != NULL)
	{
		for (; values->read <= rank; values->read++)
		{
			Datum		value;
			bool		isnull;

			CHECK_FOR_INTERRUPTS();
			if (!tuplesort_getdatum(values->sort, true, &value, &isnull, NULL))
				elog(ERROR, "a sort of ordered values ended early");
			values->last = DatumGetFloat8(value);
		}
		return values->last;
	}
	while (values->below + values->counts[values->next].count <= rank)
		values->below += values->counts[values->next++].count;
	return values->counts[values->next].value;
}

/*
 * OrderedValuesEnd
 *		Frees the values and their sort.
 */
void
OrderedValuesEnd(OrderedValues *values)
{
	if (values->sort != NULL)
		tuplesort_end(values->sort);
	if (values->distinct != NULL)
		distinct_destroy(values->distinct);
	if (values->counts != NULL)
		pfree(values->counts);
	pfree(values);
}
