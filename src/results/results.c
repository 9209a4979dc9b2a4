/*
 * results.c
 *		daily_metrics(): the one pass over an experiment's events that every
 *		result is built from.
 *
 * Three queries run through SPI, each straight into a receiver that digests
 * its rows as the executor produces them, so that no row is stored or copied:
 *
 *	1. the experiment's exposures in the window: a hash table keyed by the
 *	   unit's bytes keeps, per unit, its first exposure with the variant shown
 *	   then (the lowest ordinal on a tie) and its last exposure;
 *	2. the goal events of the experiment's tenant and unit type in the window
 *	   (the tenant read first, so that only its rows are read):
 *	   those of exposed units, at or after their first exposure, are summed
 *	   per unit and goal (first and last time, sum of the numeric property
 *	   "value");
 *	3. the transactions of the experiment's tenant in the window, likewise
 *	   per unit (the revenue in cents).
 *
 * Units and the squares of their per-unit sums are then counted and summed per
 * metric, variant and UTC day of the unit's first exposure or conversion;
 * values are summed per UTC day of their event as they come, so that no later
 * event changes a past day. In SQL the same work is a grouping of every
 * exposure by unit and a join of the goals to the groups, several times
 * slower (docs/performance.md, results). Memory grows with the experiment
 * and is not bounded by work_mem: about 100 bytes per exposed unit (its entry in a hash table kept
 * under 90% full, its name) and 40 to 80 per unit and goal reached, 270 MB
 * for the benchmark's 2,000,000 units (the SQL version's hash tables took
 * about 1 GB), in a context of its own, freed before returning.
 *
 * The queries go through the executor as the caller, so row-level security
 * applies, and are planned with the actual window, so that only the monthly
 * partitions it overlaps are read (sql/results_pruning.sql).
 *
 * The rows of the last call are kept until the transaction ends, with what
 * they depend on: the arguments, which rows are visible (the snapshot's
 * bounds and in-progress transactions, its command id, and the current
 * subtransaction, which changes when one is rolled back) and who reads them
 * under row-level security (the user and experiments.tenant). A second call
 * with all of these the same answers the kept rows without reading the
 * events again: the results page asks for the results and for their daily
 * series in one snapshot (src/http/page.sql).
 */
#include "core.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/params.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include <xxhash.h>

PG_FUNCTION_INFO_V1(daily_metrics);

/*
 * The event queries, whose parameters EventQueryParams makes: $1 the
 * experiment, $2 and $3 the window [since, until), $4 the experiment's
 * tenant. Each returns the unit, the event's time, then what its Digest
 * function reads (PendingRow). Goals and transactions are read by the
 * tenant's own key, which the partitions' window indexes (tenant, time)
 * lead with, so that other tenants' events in the window are never read,
 * not through a join with experiments, which would leave the planner only
 * the time to go by.
 */
static const char *const exposures_query =
"SELECT e.unit, e.exposed_at, e.ordinal FROM experiments.exposures e"
" WHERE e.experiment_id = $1 AND e.exposed_at >= $2 AND e.exposed_at < $3";
static const char *const goals_query =
"SELECT g.unit, g.achieved_at, g.goal, g.properties FROM experiments.goal_events g"
" WHERE g.tenant_id = $4 AND g.achieved_at >= $2 AND g.achieved_at < $3"
" AND g.unit_type = (SELECT x.unit_type FROM experiments.experiments x WHERE x.id = $1)";
static const char *const transactions_query =
"SELECT t.visitor_id, t.occurred_at, t.revenue FROM experiments.transactions t"
" WHERE t.tenant_id = $4 AND t.occurred_at >= $2 AND t.occurred_at < $3";

/*
 * The rows of the last call and what they depend on (see the file header),
 * in a context under TopTransactionContext: gone with the transaction, which
 * lxid tells apart.
 */
typedef struct KeptCall
{
	LocalTransactionId lxid;
	SubTransactionId subxid;
	int64		experiment_id;
	TimestampTz since;
	TimestampTz until;
	TransactionId xmin;
	TransactionId xmax;
	CommandId	curcid;
	uint32		xcnt;
	int32		subxcnt;
	bool		suboverflowed;
	TransactionId *xip;
	TransactionId *subxip;
	Oid			user_id;
	char	   *tenant;
	MemoryContext context;
	int			nrows;
	HeapTuple  *rows;
} KeptCall;

static KeptCall kept = {.lxid = InvalidLocalTransactionId};

/* The metric number of kind exposures; goals and revenue number from 0. */
#define EXPOSURES_METRIC (-1)

/* Names are copied into blocks of this size, a few bytes each. */
#define ARENA_BLOCK_SIZE (64 * 1024)

/*
 * NameHash
 *		Hash of a name's bytes: XXH3, as for assignment, which is fast on the
 *		short strings units are.
 */
static inline uint32
NameHash(const text *name)
{
	return (uint32) XXH3_64bits(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
}

/*
 * NamesEqual
 *		Byte equality, which is text equality under the deterministic
 *		collations the event tables' columns have.
 */
static inline bool
NamesEqual(const text *a, const text *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/*
 * An exposed unit: its first exposure with the variant then shown, its last
 * exposure, and the chain of its conversions. Everything a row of any query
 * needs of its unit is in this one entry, besides the name to compare.
 */
typedef struct UnitEntry
{
	const text *name;			/* packed varlena, in the arena */
	uint32		hash;
	int32		ordinal;
	TimestampTz first_at;
	TimestampTz last_at;
	uint32		conversions;	/* 1 + index of its latest conversion; 0: none */
	char		status;
} UnitEntry;

#define SH_PREFIX units
#define SH_ELEMENT_TYPE UnitEntry
#define SH_KEY_TYPE const text *
#define SH_KEY name
#define SH_HASH_KEY(tb, key) NameHash(key)
#define SH_EQUAL(tb, a, b) NamesEqual(a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * A unit's counted events of one metric: first and last time, the sum of
 * their values. A unit's conversions are chained from its entry (a unit
 * reaches few goals); the chain is walked for each of its events.
 */
typedef struct Conversion
{
	TimestampTz first_at;
	TimestampTz last_at;
	double		value;
	uint32		next;			/* 1 + index of the unit's previous one; 0: none */
	uint32		metric;
	int32		ordinal;		/* the unit's variant */
	bool		has_value;
} Conversion;

/* One output row: units counted per metric, variant and day. */
typedef struct GroupKey
{
	int32		metric;
	int32		ordinal;
	DateADT		day;
} GroupKey;

/*
 * Units are counted on the day of their first exposure or conversion, with
 * the squares of their totals; values are summed on the day of each event,
 * so that a later event never changes a past day.
 */
typedef struct GroupEntry
{
	GroupKey	key;
	char		status;
	int64		units;
	double		value_sum;		/* of the day's events */
	double		value_square_sum;	/* of the totals of the day's units */
	bool		has_value_sum;
	bool		has_value_square_sum;
	TimestampTz first_at;		/* of the day's units; none when units is 0 */
	TimestampTz last_at;
} GroupEntry;

#define SH_PREFIX groups
#define SH_ELEMENT_TYPE GroupEntry
#define SH_KEY_TYPE GroupKey
#define SH_KEY key
#define SH_HASH_KEY(tb, key) hash_combine(hash_combine(murmurhash32((uint32) (key).metric), \
	murmurhash32((uint32) (key).ordinal)), murmurhash32((uint32) (key).day))
#define SH_EQUAL(tb, a, b) ((a).metric == (b).metric && (a).ordinal == (b).ordinal && (a).day == (b).day)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* The two kinds of metrics, told apart by address. */
static const char goal_kind[] = "goal";
static const char revenue_kind[] = "revenue";

/* A goal, or revenue. */
typedef struct Metric
{
	const char *kind;			/* goal_kind or revenue_kind */
	const text *name;
	uint32		hash;			/* of name */
} Metric;

/* Everything one call builds; all of it in context. */
typedef struct DailyMetrics
{
	MemoryContext context;
	char	   *arena;			/* the rest of the current block of names */
	Size		arena_left;
	units_hash *units;
	Metric	   *metrics;
	uint32		nmetrics;
	uint32		metrics_size;
	const text *revenue_name;	/* the one metric of transactions */
	Conversion *conversions;
	uint32		nconversions;
	uint32		conversions_size;
	groups_hash *groups;
} DailyMetrics;

/*
 * A row waiting in a batch (see ReceiveRow): its unit, time and other
 * columns, copied out of the executor's slot.
 */
typedef struct PendingRow
{
	const text *unit;
	uint32		hash;			/* of unit */
	TimestampTz at;
	Datum		values[2];		/* the query's third and later columns */
	bool		nulls[2];
} PendingRow;

/* Rows wait in batches of this many. */
#define BATCH_SIZE 32

/* Receives one query's rows, in batches, into a Digest function. */
typedef struct DigestReceiver
{
	DestReceiver pub;
	DailyMetrics *state;
	void		(*digest) (DailyMetrics *state, const PendingRow *row);
	MemoryContext batch_context;	/* the batch's copies; reset after it */
	TupleDesc	columns;
	int			npending;
	PendingRow	pending[BATCH_SIZE];
} DigestReceiver;

#if defined(__GNUC__) || defined(__clang__)
#define PrefetchMemory(address) __builtin_prefetch(address)
#else
#define PrefetchMemory(address) ((void) 0)
#endif

/*
 * CopyName
 *		A name kept for the whole call, in the arena: one allocation per block
 *		rather than per name, of which there are millions.
 */
static const text *
CopyName(DailyMetrics *state, const text *name)
{
	Size		size = VARSIZE_ANY(name);
	Size		space = INTALIGN(size);
	text	   *copy;

	if (space > state->arena_left)
	{
		Size		block = Max(space, ARENA_BLOCK_SIZE);

		state->arena = MemoryContextAllocHuge(state->context, block);
		state->arena_left = block;
	}
	copy = (text *) state->arena;
	memcpy(copy, name, size);
	state->arena += space;
	state->arena_left -= space;
	return copy;
}

/*
 * Grow
 *		Room for element index in an array of size elements (doubling), so
 *		that appending stays linear.
 */
static void *
Grow(void *array, uint32 *size, uint32 index, Size element_size)
{
	if (index < *size)
		return array;
	*size = Max(*size * 2, 1024);
	return repalloc_huge(array, *size * element_size);
}

/*
 * UtcDay
 *		The UTC date of a time, as (t AT TIME ZONE 'UTC')::date gives it.
 */
static DateADT
UtcDay(TimestampTz t)
{
	DateADT		day;

	if (TIMESTAMP_IS_NOBEGIN(t))
		DATE_NOBEGIN(day);
	else if (TIMESTAMP_IS_NOEND(t))
		DATE_NOEND(day);
	else
		day = (DateADT) (t / USECS_PER_DAY - (t % USECS_PER_DAY < 0 ? 1 : 0));
	return day;
}

/*
 * DigestExposure
 *		One exposure (unit, exposed_at, ordinal; NOT NULL): the unit's first
 *		exposure decides its variant, the lowest ordinal on a tie, as ORDER BY
 *		exposed_at, ordinal would.
 */
static void
DigestExposure(DailyMetrics *state, const PendingRow *row)
{
	int32		ordinal = DatumGetInt32(row->values[0]);
	bool		found;
	UnitEntry  *unit = units_insert_hash(state->units, row->unit, row->hash, &found);

	if (!found)
	{
		unit->name = CopyName(state, row->unit);
		unit->first_at = unit->last_at = row->at;
		unit->ordinal = ordinal;
		unit->conversions = 0;
		return;
	}
	if (row->at < unit->first_at || (row->at == unit->first_at && ordinal < unit->ordinal))
	{
		unit->first_at = row->at;
		unit->ordinal = ordinal;
	}
	if (row->at > unit->last_at)
		unit->last_at = row->at;
}

/*
 * ExposedUnit
 *		The entry of a unit first exposed at or before at, or NULL: only such
 *		a unit's events count. Entries stay put once the exposures are read.
 */
static UnitEntry *
ExposedUnit(DailyMetrics *state, const PendingRow *row)
{
	UnitEntry  *unit = units_lookup_hash(state->units, row->unit, row->hash);

	return unit != NULL && row->at >= unit->first_at ? unit : NULL;
}

/*
 * FindMetric
 *		The number of a metric, a new one (its name copied into the arena)
 *		the first time. A window has few, so a scan of their hashes finds it.
 */
static uint32
FindMetric(DailyMetrics *state, const char *kind, const text *name)
{
	uint32		hash = NameHash(name);
	uint32		metric;

	for (metric = 0; metric < state->nmetrics; metric++)
	{
		Metric	   *known = &state->metrics[metric];

		if (known->hash == hash && known->kind == kind && NamesEqual(known->name, name))
			return metric;
	}
	state->metrics = Grow(state->metrics, &state->metrics_size, metric, sizeof(Metric));
	state->metrics[metric].kind = kind;
	state->metrics[metric].name = CopyName(state, name);
	state->metrics[metric].hash = hash;
	state->nmetrics++;
	return metric;
}

/*
 * FindGroup
 *		The output group of a metric, variant and UTC day, empty when new.
 */
static GroupEntry *
FindGroup(DailyMetrics *state, int32 metric, int32 ordinal, TimestampTz at)
{
	GroupKey	key = {metric, ordinal, UtcDay(at)};
	bool		found;
	GroupEntry *group = groups_insert(state->groups, key, &found);

	if (!found)
	{
		group->units = 0;
		group->value_sum = group->value_square_sum = 0;
		group->has_value_sum = group->has_value_square_sum = false;
		group->first_at = DT_NOEND;
		group->last_at = DT_NOBEGIN;
	}
	return group;
}

/*
 * Convert
 *		One counted event of a unit and metric: first and last time, and the
 *		sum of its values (none when no event had one).
 */
static void
Convert(DailyMetrics *state, UnitEntry *unit, uint32 metric, TimestampTz at, double value, bool has_value)
{
	Conversion *conversion;

	if (has_value)
	{
		GroupEntry *group = FindGroup(state, (int32) metric, unit->ordinal, at);

		group->value_sum += value;
		group->has_value_sum = true;
	}

	for (uint32 next = unit->conversions; next != 0; next = conversion->next)
	{
		conversion = &state->conversions[next - 1];
		if (conversion->metric == metric)
		{
			conversion->first_at = Min(conversion->first_at, at);
			conversion->last_at = Max(conversion->last_at, at);
			if (has_value)
			{
				conversion->value += value;
				conversion->has_value = true;
			}
			return;
		}
	}
	state->conversions = Grow(state->conversions, &state->conversions_size, state->nconversions,
							  sizeof(Conversion));
	conversion = &state->conversions[state->nconversions++];
	conversion->first_at = conversion->last_at = at;
	conversion->value = value;
	conversion->has_value = has_value;
	conversion->metric = metric;
	conversion->ordinal = unit->ordinal;
	conversion->next = unit->conversions;
	unit->conversions = state->nconversions;
}

/*
 * DigestGoal
 *		One goal event (unit, achieved_at, goal, properties). Its value is
 *		what CASE WHEN jsonb_typeof(properties -> 'value') = 'number' THEN
 *		(properties ->> 'value')::float8 END gives, computed only for the
 *		events that count.
 */
static void
DigestGoal(DailyMetrics *state, const PendingRow *row)
{
	UnitEntry  *unit = ExposedUnit(state, row);
	JsonbValue	property;
	double		value = 0;
	bool		has_value = false;

	if (unit == NULL)
		return;
	if (!row->nulls[1])
	{
		Jsonb	   *properties = DatumGetJsonbP(row->values[1]);

		if (JB_ROOT_IS_OBJECT(properties) &&
			getKeyJsonValueFromContainer(&properties->root, "value", 5, &property) != NULL &&
			property.type == jbvNumeric)
		{
			value = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(property.val.numeric)));
			has_value = true;
		}
	}
	Convert(state, unit, FindMetric(state, goal_kind, DatumGetTextPP(row->values[0])), row->at,
			value, has_value);
}

/*
 * DigestTransaction
 *		One transaction (unit, occurred_at, revenue): revenue in cents, summed
 *		in double precision, which is exact below 2^53 cents per unit.
 */
static void
DigestTransaction(DailyMetrics *state, const PendingRow *row)
{
	UnitEntry  *unit = ExposedUnit(state, row);

	if (unit == NULL)
		return;
	Convert(state, unit, FindMetric(state, revenue_kind, state->revenue_name), row->at,
			(double) DatumGetInt64(row->values[0]), true);
}

/*
 * FlushBatch
 *		The waiting rows into the Digest function. Their units' buckets were
 *		prefetched as they came; a first pass also prefetches the names of
 *		the entries found there, which comparing names reads next.
 */
static void
FlushBatch(DigestReceiver *receiver)
{
	units_hash *units = receiver->state->units;

	for (int i = 0; i < receiver->npending; i++)
	{
		UnitEntry  *entry = &units->data[units_initial_bucket(units, receiver->pending[i].hash)];

		if (entry->status == units_SH_IN_USE && entry->hash == receiver->pending[i].hash)
			PrefetchMemory(entry->name);
	}
	for (int i = 0; i < receiver->npending; i++)
		receiver->digest(receiver->state, &receiver->pending[i]);
	receiver->npending = 0;
	MemoryContextReset(receiver->batch_context);
}

/*
 * ReceiveRow
 *		The receiveSlot: a row (unit, time, other columns) into the batch.
 *		The units' table is far larger than the CPU caches, and each row
 *		would wait for memory twice in it (its bucket, then its name): rows
 *		wait in a batch instead, their buckets prefetched, so that the memory
 *		accesses of a whole batch overlap.
 */
static bool
ReceiveRow(TupleTableSlot *slot, DestReceiver *self)
{
	DigestReceiver *receiver = (DigestReceiver *) self;
	units_hash *units = receiver->state->units;
	PendingRow *row = &receiver->pending[receiver->npending++];
	MemoryContext old = MemoryContextSwitchTo(receiver->batch_context);
	const text *unit;

	slot_getallattrs(slot);
	unit = DatumGetTextPP(slot->tts_values[0]);
	row->unit = memcpy(palloc(VARSIZE_ANY(unit)), unit, VARSIZE_ANY(unit));
	row->hash = NameHash(unit);
	row->at = DatumGetTimestampTz(slot->tts_values[1]);
	for (int i = 2; i < receiver->columns->natts; i++)
	{
		Form_pg_attribute column = TupleDescAttr(receiver->columns, i);

		row->nulls[i - 2] = slot->tts_isnull[i];
		row->values[i - 2] = slot->tts_isnull[i] ? (Datum) 0 :
			datumCopy(slot->tts_values[i], column->attbyval, column->attlen);
	}
	MemoryContextSwitchTo(old);
	PrefetchMemory(&units->data[units_initial_bucket(units, row->hash)]);
	if (receiver->npending == BATCH_SIZE)
		FlushBatch(receiver);
	return true;
}

/*
 * ReceiverStartup
 *		Keeps the query's columns, to copy their values.
 */
static void
ReceiverStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	DigestReceiver *receiver = (DigestReceiver *) self;

	Assert(typeinfo->natts - 2 <= (int) lengthof(receiver->pending[0].values));
	receiver->columns = typeinfo;
}

/*
 * ReceiverShutdown
 *		The last, incomplete batch.
 */
static void
ReceiverShutdown(DestReceiver *self)
{
	FlushBatch((DigestReceiver *) self);
}

/*
 * ReceiverDestroy
 *		Nothing to free: the receiver lives on Digest's stack.
 */
static void
ReceiverDestroy(DestReceiver *self)
{
}

/*
 * ExperimentTenant
 *		The tenant of an experiment, read first, as the caller sees it, so
 *		that the event queries find goals and transactions by tenant and time
 *		rather than through a join with experiments, which leaves the planner
 *		only the time to go by. An experiment the caller cannot see gets the
 *		nil UUID, which no tenant has (their ids are random): then no goal or
 *		transaction is read, as the join found none. Called connected to SPI.
 */
static Datum
ExperimentTenant(int64 experiment_id)
{
	Oid			types[1] = {INT8OID};
	Datum		arguments[1] = {Int64GetDatum(experiment_id)};
	bool		isnull = true;
	Datum		tenant_id = (Datum) 0;

	if (SPI_execute_with_args("SELECT x.tenant_id FROM experiments.experiments x WHERE x.id = $1",
							  1, types, arguments, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read experiment " INT64_FORMAT, experiment_id);
	if (SPI_processed > 0)
		tenant_id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return UUIDPGetDatum(palloc0(UUID_LEN));
	return datumCopy(tenant_id, false, UUID_LEN);
}

/*
 * EventQueryParams
 *		The parameters of every event query: $1 the experiment, $2 and $3 the
 *		window [since, until) of the event's time, $4 the experiment's tenant,
 *		so that events are found by tenant and time without a join.
 */
static ParamListInfo
EventQueryParams(int64 experiment_id, TimestampTz since, TimestampTz until, Datum tenant_id)
{
	ParamListInfo params = makeParamList(4);
	Datum		values[4] = {Int64GetDatum(experiment_id), TimestampTzGetDatum(since),
	TimestampTzGetDatum(until), tenant_id};
	Oid			types[4] = {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, UUIDOID};

	for (int i = 0; i < 4; i++)
	{
		params->params[i].value = values[i];
		params->params[i].isnull = false;
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = types[i];
	}
	return params;
}

/*
 * Digest
 *		Runs one event query with the experiment and window as parameters,
 *		its rows going to digest as they are produced. The plan is a custom
 *		one, made for these values: partitions outside the window are pruned
 *		when planning.
 */
static void
Digest(DailyMetrics *state, const char *query, ParamListInfo params,
	   void (*digest) (DailyMetrics *state, const PendingRow *row))
{
	Oid			types[4];
	DigestReceiver receiver = {
		/* Not DestSPI: SPI would look for rows in its own tuple table. */
		.pub = {ReceiveRow, ReceiverStartup, ReceiverShutdown, ReceiverDestroy, DestNone},
		.state = state,
		.digest = digest,
		.batch_context = AllocSetContextCreate(state->context, "daily_metrics batch", ALLOCSET_DEFAULT_SIZES),
	};
	SPIExecuteOptions options = {
		.params = params,
		.read_only = true,
		.dest = &receiver.pub,
	};
	SPIPlanPtr	plan;
	int			rc;

	Assert(params->numParams <= (int) lengthof(types));
	for (int i = 0; i < params->numParams; i++)
		types[i] = params->params[i].ptype;
	plan = SPI_prepare_cursor(query, params->numParams, types, CURSOR_OPT_PARALLEL_OK | CURSOR_OPT_CUSTOM_PLAN);

	if (plan == NULL)
		elog(ERROR, "could not prepare daily_metrics query: %s", SPI_result_code_string(SPI_result));
	rc = SPI_execute_plan_extended(plan, &options);
	if (rc < 0)
		elog(ERROR, "daily_metrics query failed: %s", SPI_result_code_string(rc));
	SPI_freeplan(plan);
	MemoryContextDelete(receiver.batch_context);
}

/*
 * Count
 *		One unit into its output group: metric, variant and UTC day of
 *		first_at, with the square of its total value.
 */
static void
Count(DailyMetrics *state, int32 metric, int32 ordinal, TimestampTz first_at, TimestampTz last_at,
	  double value, bool has_value)
{
	GroupEntry *group = FindGroup(state, metric, ordinal, first_at);

	group->units++;
	group->first_at = Min(group->first_at, first_at);
	group->last_at = Max(group->last_at, last_at);
	if (has_value)
	{
		group->value_square_sum += value * value;
		group->has_value_square_sum = true;
	}
}

/*
 * KeepCall
 *		Fills key with what the rows of this call depend on (pointing into
 *		the active snapshot); true when the kept rows are for the same.
 */
static bool
KeepCall(KeptCall *key, FunctionCallInfo fcinfo)
{
	Snapshot	snapshot = GetActiveSnapshot();
	const char *tenant = GetConfigOption("experiments.tenant", true, false);

	key->lxid = MyProc->lxid;
	key->subxid = GetCurrentSubTransactionId();
	key->experiment_id = PG_GETARG_INT64(0);
	key->since = PG_GETARG_TIMESTAMPTZ(1);
	key->until = PG_GETARG_TIMESTAMPTZ(2);
	key->xmin = snapshot->xmin;
	key->xmax = snapshot->xmax;
	key->curcid = snapshot->curcid;
	key->xcnt = snapshot->xcnt;
	key->subxcnt = snapshot->subxcnt;
	key->suboverflowed = snapshot->suboverflowed;
	key->xip = snapshot->xip;
	key->subxip = snapshot->subxip;
	key->user_id = GetUserId();
	key->tenant = (char *) (tenant ? tenant : "");
	return snapshot->snapshot_type == SNAPSHOT_MVCC &&
		kept.lxid == key->lxid && kept.subxid == key->subxid &&
		kept.experiment_id == key->experiment_id && kept.since == key->since && kept.until == key->until &&
		kept.xmin == key->xmin && kept.xmax == key->xmax && kept.curcid == key->curcid &&
		kept.xcnt == key->xcnt && kept.subxcnt == key->subxcnt && kept.suboverflowed == key->suboverflowed &&
		(key->xcnt == 0 || memcmp(kept.xip, key->xip, sizeof(TransactionId) * key->xcnt) == 0) &&
		(key->subxcnt <= 0 || memcmp(kept.subxip, key->subxip, sizeof(TransactionId) * key->subxcnt) == 0) &&
		kept.user_id == key->user_id && strcmp(kept.tenant, key->tenant) == 0;
}

/*
 * daily_metrics
 *		SQL daily_metrics(experiment_id, since, until): see the file header
 *		and its COMMENT in src/results/results.sql.
 */
Datum
daily_metrics(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ParamListInfo params;
	DailyMetrics state = {0};
	units_iterator units;
	UnitEntry  *unit;
	groups_iterator groups;
	GroupEntry *group;

	KeptCall	key;
	MemoryContext rows_context;
	MemoryContext old_context;
	int			nrows = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (KeepCall(&key, fcinfo))
	{
		for (int i = 0; i < kept.nrows; i++)
			tuplestore_puttuple(rsinfo->setResult, kept.rows[i]);
		return (Datum) 0;
	}
	/* A kept call of this transaction is replaced; one of an earlier one is gone. */
	if (kept.lxid == key.lxid)
		MemoryContextDelete(kept.context);
	kept.lxid = InvalidLocalTransactionId;
	rows_context = AllocSetContextCreate(TopTransactionContext, "daily_metrics rows", ALLOCSET_SMALL_SIZES);
	key.xip = MemoryContextAlloc(rows_context, sizeof(TransactionId) * key.xcnt + 1);
	if (key.xcnt > 0)
		memcpy(key.xip, GetActiveSnapshot()->xip, sizeof(TransactionId) * key.xcnt);
	key.subxip = MemoryContextAlloc(rows_context, sizeof(TransactionId) * Max(key.subxcnt, 0) + 1);
	if (key.subxcnt > 0)
		memcpy(key.subxip, GetActiveSnapshot()->subxip, sizeof(TransactionId) * key.subxcnt);
	key.tenant = MemoryContextStrdup(rows_context, key.tenant);
	state.context = AllocSetContextCreate(CurrentMemoryContext, "daily_metrics", ALLOCSET_DEFAULT_SIZES);
	state.units = units_create(state.context, 1024, NULL);
	state.revenue_name = cstring_to_text("revenue");
	state.groups = groups_create(state.context, 256, NULL);
	state.metrics = MemoryContextAlloc(state.context, sizeof(Metric));
	state.conversions = MemoryContextAlloc(state.context, sizeof(Conversion));

	SPI_connect();
	params = EventQueryParams(PG_GETARG_INT64(0), PG_GETARG_TIMESTAMPTZ(1), PG_GETARG_TIMESTAMPTZ(2),
							  ExperimentTenant(PG_GETARG_INT64(0)));
	Digest(&state, exposures_query, params, DigestExposure);
	Digest(&state, goals_query, params, DigestGoal);
	Digest(&state, transactions_query, params, DigestTransaction);
	SPI_finish();

	units_start_iterate(state.units, &units);
	while ((unit = units_iterate(state.units, &units)) != NULL)
		Count(&state, EXPOSURES_METRIC, unit->ordinal, unit->first_at, unit->last_at, 0, false);
	for (uint32 i = 0; i < state.nconversions; i++)
	{
		Conversion *conversion = &state.conversions[i];

		Count(&state, (int32) conversion->metric, conversion->ordinal, conversion->first_at,
			  conversion->last_at, conversion->value, conversion->has_value);
	}

	key.rows = MemoryContextAlloc(rows_context, sizeof(HeapTuple) * Max(state.groups->members, 1));
	groups_start_iterate(state.groups, &groups);
	while ((group = groups_iterate(state.groups, &groups)) != NULL)
	{
		Metric	   *metric = group->key.metric == EXPOSURES_METRIC ? NULL : &state.metrics[group->key.metric];
		Datum		values[9];
		bool		nulls[9] = {false};

		values[0] = CStringGetTextDatum(metric ? metric->kind : "exposures");
		values[1] = metric ? PointerGetDatum(metric->name) : (Datum) 0;
		nulls[1] = metric == NULL;
		values[2] = Int32GetDatum(group->key.ordinal);
		values[3] = DateADTGetDatum(group->key.day);
		values[4] = Int64GetDatum(group->units);
		values[5] = Float8GetDatum(group->value_sum);
		values[6] = Float8GetDatum(group->value_square_sum);
		nulls[5] = !group->has_value_sum;
		nulls[6] = !group->has_value_square_sum;
		values[7] = TimestampTzGetDatum(group->first_at);
		values[8] = TimestampTzGetDatum(group->last_at);
		nulls[7] = nulls[8] = group->units == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		old_context = MemoryContextSwitchTo(rows_context);
		key.rows[nrows++] = heap_form_tuple(rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old_context);
	}
	MemoryContextDelete(state.context);
	key.context = rows_context;
	key.nrows = nrows;
	kept = key;
	return (Datum) 0;
}
