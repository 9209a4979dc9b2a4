/*
 * enrolments.c
 *		The enrolments of experiments that have some: one unit at a time, or
 *		through a filter of the experiment's enrolments that a set-based
 *		assign() reads once.
 *
 * A call site of assign() that assigns many units of an experiment with
 * enrolments would otherwise pay one index lookup per unit, 20 to 30 times
 * the cost of the rest of the decision. Once it has made enough calls it
 * reads the experiment's enrolments of the current reset period once, under
 * the statement's snapshot, into an open-addressing hash table of the units'
 * 64-bit hashes with their bytes and ordinals, so that each later unit costs
 * one probe, and an enrolled one a comparison of its bytes: the answer is
 * exactly the index lookup's.
 *
 * The filter answers what the statement's snapshot holds, as a join with
 * experiments.enrolments in the same statement would; so it serves only
 * while the active snapshot is the one it was read under (the same snapshot,
 * which no transaction has completed since) and the transaction has written
 * nothing since (its command counter is unchanged: an enrol() of its own is
 * seen at once, and no filter is read under a snapshot that misses one;
 * record_enrolment(), the one writer, writes in a command of its own). A new statement, another transaction, or the transaction's
 * own write makes the call site go back to lookups until it has made enough
 * calls to read the filter again.
 */
#include "hash.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

/* A unit of the filter: its hash (0: an empty slot), bytes and variant. */
typedef struct FilterSlot
{
	uint64		hash;
	uint32		unit;			/* offset of the unit's length and bytes in units */
	int32		ordinal;
} FilterSlot;

struct EnrolmentFilter
{
	uint64		stamp;			/* the configuration it was read for */
	int64		period;
	Snapshot	snapshot;		/* the active snapshot it was read under */
	TransactionId xmin;
	TransactionId xmax;
	CommandId	curcid;
	uint64		completions;	/* the snapshot's count of completed transactions */
	CommandId	command;		/* the transaction's command counter then */
	uint32		mask;			/* slots - 1 */
	FilterSlot *slots;
	char	   *units;
};

static SPIPlanPtr lookup_plan = NULL;
static SPIPlanPtr filter_plan = NULL;

/*
 * KeepPlan
 *		A plan of the enrolment queries, prepared once per backend.
 */
static SPIPlanPtr
KeepPlan(SPIPlanPtr *plan, const char *query, int nargs, Oid *types)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	prepared = SPI_prepare(query, nargs, types);

		if (prepared == NULL || SPI_keepplan(prepared) != 0)
			elog(ERROR, "could not prepare an enrolment query");
		*plan = prepared;
	}
	return *plan;
}

typedef struct EnrolmentLookup
{
	const ExperimentConfig *config;
	text	   *unit;
	int64		period;
	bool		found;
	int32		ordinal;
} EnrolmentLookup;

static void
LookupEnrolmentCallback(void *arg)
{
	EnrolmentLookup *lookup = (EnrolmentLookup *) arg;
	Oid			types[3] = {INT8OID, TEXTOID, INT8OID};
	Datum		values[3];
	bool		isnull;
	SPIPlanPtr	plan = KeepPlan(&lookup_plan,
								"SELECT ordinal FROM experiments.enrolments"
								" WHERE experiment_id = $1 AND unit = $2 AND period = $3",
								3, types);

	values[0] = Int64GetDatum(lookup->config->id);
	values[1] = PointerGetDatum(lookup->unit);
	values[2] = Int64GetDatum(lookup->period);
	if (SPI_execute_plan(plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up an enrolment");
	lookup->found = SPI_processed > 0;
	if (lookup->found)
		lookup->ordinal = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * LookupEnrolment
 *		The variant a unit is enrolled in for a period, if any, with a fresh
 *		snapshot. Experiments that never had an enrolment are answered
 *		without a query.
 */
bool
LookupEnrolment(const ExperimentConfig *config, text *unit, int64 period, int32 *ordinal)
{
	EnrolmentLookup lookup;

	if (!config->has_enrolments)
		return false;
	lookup.config = config;
	lookup.unit = unit;
	lookup.period = period;
	lookup.found = false;
	lookup.ordinal = -1;
	WithCatalog(LookupEnrolmentCallback, &lookup);
	*ordinal = lookup.ordinal;
	return lookup.found;
}

typedef struct FilterLoad
{
	const ExperimentConfig *config;
	int64		period;
	uint64		max_rows;
	MemoryContext context;
	EnrolmentFilter *filter;	/* NULL: more than max_rows enrolments */
} FilterLoad;

/*
 * FilterHash
 *		The hash a unit is kept and probed under: never 0, which marks an
 *		empty slot.
 */
static inline uint64
FilterHash(uint64 hash)
{
	return hash == 0 ? 1 : hash;
}

static void
LoadFilterCallback(void *arg)
{
	FilterLoad *load = (FilterLoad *) arg;
	Oid			types[3] = {INT8OID, INT8OID, INT8OID};
	Datum		values[3];
	SPIPlanPtr	plan = KeepPlan(&filter_plan,
								"SELECT unit, ordinal FROM experiments.enrolments"
								" WHERE experiment_id = $1 AND period = $2 LIMIT $3",
								3, types);
	EnrolmentFilter *filter;
	Size		bytes = 0;
	uint32		slots = 2;
	char	   *next;
	Snapshot	snapshot = GetActiveSnapshot();

	values[0] = Int64GetDatum(load->config->id);
	values[1] = Int64GetDatum(load->period);
	values[2] = Int64GetDatum((int64) load->max_rows + 1);
	/* read-only: under the active snapshot, as the statement's own reads */
	if (SPI_execute_plan(plan, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the enrolments of an experiment");
	if (SPI_processed > load->max_rows)
		return;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		text	   *unit = DatumGetTextPP(SPI_getbinval(SPI_tuptable->vals[i],
														SPI_tuptable->tupdesc, 1, &isnull));

		bytes += MAXALIGN(sizeof(uint32) + VARSIZE_ANY_EXHDR(unit));
	}
	while (slots < 2 * SPI_processed)
		slots *= 2;

	filter = MemoryContextAllocZero(load->context, sizeof(EnrolmentFilter));
	filter->stamp = load->config->stamp;
	filter->period = load->period;
	filter->snapshot = snapshot;
	filter->xmin = snapshot->xmin;
	filter->xmax = snapshot->xmax;
	filter->curcid = snapshot->curcid;
	filter->completions = snapshot->snapXactCompletionCount;
	filter->command = GetCurrentCommandId(false);
	filter->mask = slots - 1;
	filter->slots = MemoryContextAllocZero(load->context, sizeof(FilterSlot) * slots);
	filter->units = MemoryContextAlloc(load->context, Max(bytes, 1));
	next = filter->units;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		bool		isnull;
		text	   *unit = DatumGetTextPP(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));
		uint32		len = VARSIZE_ANY_EXHDR(unit);
		uint64		hash = FilterHash(UnitHash(load->config->variant_seed, VARDATA_ANY(unit), len));
		uint32		at = hash & filter->mask;

		while (filter->slots[at].hash != 0)
			at = (at + 1) & filter->mask;
		filter->slots[at].hash = hash;
		filter->slots[at].unit = next - filter->units;
		filter->slots[at].ordinal = DatumGetInt32(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull));
		memcpy(next, &len, sizeof(uint32));
		memcpy(next + sizeof(uint32), VARDATA_ANY(unit), len);
		next += MAXALIGN(sizeof(uint32) + len);
	}
	load->filter = filter;
}

/*
 * BuildEnrolmentFilter
 *		The filter of an experiment's enrolments in a period, read under the
 *		active snapshot into context; NULL when the experiment has more than
 *		max_rows of them there, or when the transaction has written since the
 *		snapshot was taken (an enrol() of its own it would not see).
 */
EnrolmentFilter *
BuildEnrolmentFilter(const ExperimentConfig *config, int64 period, uint64 max_rows,
					 MemoryContext context)
{
	FilterLoad	load;

	/* the snapshot must see every enrolment this transaction wrote */
	if (!ActiveSnapshotSet() || GetActiveSnapshot()->curcid != GetCurrentCommandId(false))
		return NULL;
	load.config = config;
	load.period = period;
	load.max_rows = max_rows;
	load.context = context;
	load.filter = NULL;
	WithCatalog(LoadFilterCallback, &load);
	return load.filter;
}

/*
 * EnrolmentFilterHolds
 *		Whether a filter answers for this configuration and period now: the
 *		active snapshot is the one it was read under, and the transaction has
 *		written nothing since.
 */
bool
EnrolmentFilterHolds(const EnrolmentFilter *filter, const ExperimentConfig *config, int64 period)
{
	Snapshot	snapshot;

	if (filter->stamp != config->stamp || filter->period != period ||
		filter->command != GetCurrentCommandId(false) || !ActiveSnapshotSet())
		return false;
	snapshot = GetActiveSnapshot();
	return snapshot == filter->snapshot && snapshot->xmin == filter->xmin &&
		snapshot->xmax == filter->xmax && snapshot->curcid == filter->curcid &&
		snapshot->snapXactCompletionCount == filter->completions;
}

/*
 * FilterEnrolment
 *		LookupEnrolment() through a filter that holds: hash is
 *		UnitHash(variant_seed, unit).
 */
bool
FilterEnrolment(const EnrolmentFilter *filter, uint64 hash, const char *unit, int len, int32 *ordinal)
{
	hash = FilterHash(hash);
	for (uint32 at = hash & filter->mask; filter->slots[at].hash != 0; at = (at + 1) & filter->mask)
	{
		const FilterSlot *slot = &filter->slots[at];
		uint32		stored;

		if (slot->hash != hash)
			continue;
		memcpy(&stored, filter->units + slot->unit, sizeof(uint32));
		if (stored == (uint32) len && memcmp(filter->units + slot->unit + sizeof(uint32), unit, len) == 0)
		{
			*ordinal = slot->ordinal;
			return true;
		}
	}
	return false;
}
