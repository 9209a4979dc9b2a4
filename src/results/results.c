/*
 * results.c
 *		daily_metrics(): the one pass over an experiment's events that every
 *		result is built from.
 *
 * Three reads run through SPI, each straight into a receiver that digests
 * its rows as the executor produces them, so that no row is stored or copied:
 *
 *	1. the experiment's exposures in the window: a hash table keyed by the
 *	   unit's bytes keeps, per unit, its first exposure with the variant shown
 *	   then (the lowest ordinal on a tie) and its last exposure; of the months
 *	   that maintenance rolled up, where the window may read them, the same
 *	   per unit from the rollup (DigestExposures, src/events/rollups.sql);
 *	2. the goal events of the experiment's tenant and unit type in the window
 *	   (the tenant read first, so that only its rows are read; of the months
 *	   rolled up, from the goal rollup: DigestGoals):
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
 * slower (docs/performance.md, results).
 *
 * Memory is bounded as PostgreSQL bounds a hash aggregate's, by work_mem
 * times hash_mem_multiplier. A unit takes about 100 bytes in memory (its
 * entry in a hash table kept under 90% full, its name) and 40 to 80 more per
 * goal it reached (about 30 more past its eighth: conversion_index). When the units outgrow the budget, they spill, as
 * PostgreSQL's hash aggregation does: what memory holds, and every later
 * row, goes as a record to one of up to 128 tapes (logtape.c, temporary
 * files) by the next bits of its unit's hash; a unit's records are then all
 * on one tape, its exposures before its events. Each tape is read back as a
 * partition of its own, counted whole and freed before the next; one that
 * outgrows memory in turn spills by the next bits of the hash. Small
 * partitions have small tables, which stay in the CPU's caches: at 2,000,000
 * units the spilling pass costs less than the one table in memory did
 * (docs/performance.md). The rows' values summed per day are counted as the
 * rows come, in memory or when read back, once either way.
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
 * series in one snapshot (src/http/page.sql). The table of units built from
 * the exposures is kept too, with everything the call built (its memory is
 * not freed before returning, but with the transaction or the next call):
 * metric_statistics() called with the same arguments in the same snapshot,
 * as the page's tables of metrics are, takes it over instead of reading the
 * exposures again, and frees it. A call whose units spilled keeps none: no
 * table held them all, and metric_statistics() reads the exposures itself.
 * The other way round, metric_statistics() called first counts the rows of
 * daily_metrics() in its own pass and keeps them as daily_metrics() would:
 * the results page asks for its metrics first, and the events are read once
 * whether the units spill or not.
 */
#include "core.h"
#include "ordered_values.h"
#include "stats.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/params.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/logtape.h"
#include "executor/nodeHash.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "catalog/pg_operator_d.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"

#include <math.h>

#include "xxhash_inline.h"

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
/* The unit type of experiment $1, which a unit's goals and attributes must have. */
#define EXPERIMENT_UNIT_TYPE "(SELECT x.unit_type FROM experiments.experiments x WHERE x.id = $1)"
static const char *const goals_query =
"SELECT g.unit, g.achieved_at, g.goal, g.properties FROM experiments.goal_events g"
" WHERE g.tenant_id = $4 AND g.achieved_at >= $2 AND g.achieved_at < $3"
" AND g.unit_type = " EXPERIMENT_UNIT_TYPE;

/*
 * The periods of the exposures rolled up (see src/events/rollups.sql) that
 * the window [$2, $3) may read for experiment $1: of a partition still
 * attached, with no update, delete or truncate since that their rollup does
 * not see, and overlapping the window with all of the experiment's rolled-up
 * exposures in it (which a period within the window has, and so has the
 * month an experiment started in, read from its start). Each with the part
 * of the window it covers and the experiment's units in its rollup, in time
 * order.
 */
#define ROLLUP_UNCHANGED \
" AND NOT EXISTS (SELECT FROM experiments.exposure_rollup_changes c WHERE c.from_time = p.from_time" \
"  AND c.kind = 'change' AND NOT pg_catalog.pg_visible_in_snapshot(c.xact, p.snapshot))"
static const char *const rollup_periods_query =
"SELECT p.from_time, greatest(p.from_time, $2), least(p.to_time, $3), coalesce(x.units, 0)"
" FROM experiments.exposure_rollup_periods p"
" JOIN pg_catalog.pg_inherits i ON i.inhrelid = p.part"
"  AND i.inhparent = 'experiments.exposures'::pg_catalog.regclass"
" LEFT JOIN experiments.exposure_rollup_experiments x ON x.from_time = p.from_time AND x.experiment_id = $1"
" WHERE p.snapshot IS NOT NULL AND p.from_time < $3 AND p.to_time > $2"
" AND (x.experiment_id IS NULL OR (x.first_at >= $2 AND x.last_at < $3))"
ROLLUP_UNCHANGED
" ORDER BY p.from_time";

/*
 * The periods of the goal events rolled up (see src/events/rollups.sql)
 * that the window [$2, $3) may read: of a partition of the goal events still
 * attached, with no update, delete or truncate since that their rollup does
 * not see, and overlapping the window. Each with the part of the window it
 * covers, in time order. A period's rollup holds the month's goals whatever
 * the window: those outside it are skipped as they are read
 * (ReceiveRolledUp).
 */
static const char *const goal_periods_query =
"SELECT p.from_time, greatest(p.from_time, $2), least(p.to_time, $3)"
" FROM experiments.exposure_rollup_periods p"
" JOIN pg_catalog.pg_inherits i ON i.inhrelid = p.goal_part"
"  AND i.inhparent = 'experiments.goal_events'::pg_catalog.regclass"
" WHERE p.snapshot IS NOT NULL AND p.goals IS NOT NULL AND p.from_time < $3 AND p.to_time > $2"
ROLLUP_UNCHANGED
" ORDER BY p.from_time";

/*
 * The exposures of experiment $1 in a rolled-up period starting at $5, for
 * the part of the window [$2, $3) it covers: the rollup's rows of packed
 * units (all in that part, as the period was chosen), and the exposures in
 * that part inserted since that its snapshot does not see, as rows of one
 * unit. Each returns arrays of the units, their first exposures, the
 * variants then, their last exposures (ReceiveRolledUp).
 */
#define ROLLUP_CHANGES_QUERY \
"SELECT ARRAY[c.unit], ARRAY[c.exposed_at], ARRAY[c.ordinal], ARRAY[c.exposed_at]" \
" FROM experiments.exposure_rollup_changes c" \
" JOIN experiments.exposure_rollup_periods p ON p.from_time = c.from_time" \
" WHERE c.from_time = $5 AND c.experiment_id = $1 AND c.kind = 'exposure'" \
" AND c.exposed_at >= $2 AND c.exposed_at < $3" \
" AND NOT pg_catalog.pg_visible_in_snapshot(c.xact, p.snapshot)"
static const char *const rolled_up_exposures_query =
"SELECT r.units, r.first_ats, r.ordinals, r.last_ats FROM experiments.exposure_rollups r"
" WHERE r.experiment_id = $1 AND r.from_time = $5"
" UNION ALL "
ROLLUP_CHANGES_QUERY;

/* The same, once the rollup's own rows are deferred (DigestExposures). */
static const char *const rollup_changes_query = ROLLUP_CHANGES_QUERY;

/*
 * The goal events of tenant $4 and experiment $1's unit type in a rolled-up
 * period starting at $5, for the part of the window [$2, $3) it covers: the
 * rollup's rows of packed events, and the goals in that part inserted since
 * that its snapshot does not see, as rows of one event. Each returns arrays
 * of the units, the events' times, goals and properties (ReceiveRolledUp).
 */
#define GOAL_CHANGES_QUERY \
"SELECT ARRAY[c.unit], ARRAY[c.achieved_at], ARRAY[c.goal], ARRAY[coalesce(c.properties, 'null')]" \
" FROM experiments.exposure_rollup_changes c" \
" JOIN experiments.exposure_rollup_periods p ON p.from_time = c.from_time" \
" WHERE c.from_time = $5 AND c.tenant_id = $4 AND c.kind = 'goal'" \
" AND c.unit_type = " EXPERIMENT_UNIT_TYPE \
" AND c.achieved_at >= $2 AND c.achieved_at < $3" \
" AND NOT pg_catalog.pg_visible_in_snapshot(c.xact, p.snapshot)"
static const char *const rolled_up_goals_query =
"SELECT r.units, r.achieved_ats, r.goals, r.properties FROM experiments.goal_rollups r"
" WHERE r.tenant_id = $4 AND r.from_time = $5"
" AND r.unit_type = " EXPERIMENT_UNIT_TYPE
" UNION ALL "
GOAL_CHANGES_QUERY;

/* The same, once the rollup's own rows are deferred (DigestGoals). */
static const char *const goal_changes_query = GOAL_CHANGES_QUERY;

/*
 * The rolled-up rows of experiment $1 (its units, or its tenant's goal
 * events of its unit type) in the periods starting at $2 whose buckets are
 * from $3 to $4: those of a partition of the first level of a spill, which
 * are read as it is read back (ReadDeferred).
 */
static const char *const deferred_exposures_query =
"SELECT r.units, r.first_ats, r.ordinals, r.last_ats FROM experiments.exposure_rollups r"
" WHERE r.experiment_id = $1 AND r.from_time = ANY ($2) AND r.bucket BETWEEN $3 AND $4";
static const char *const deferred_goals_query =
"SELECT r.units, r.achieved_ats, r.goals, r.properties FROM experiments.goal_rollups r"
" JOIN experiments.experiments x ON x.id = $1 AND r.tenant_id = x.tenant_id AND r.unit_type = x.unit_type"
" WHERE r.from_time = ANY ($2) AND r.bucket BETWEEN $3 AND $4";

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
	bool		read_rollups;
	MemoryContext context;
	int			nrows;
	HeapTuple  *rows;
	struct units_hash *units;	/* the call's table of units; NULL once taken */
	MemoryContext units_context;	/* everything the call built, under context */
} KeptCall;

static KeptCall kept = {.lxid = InvalidLocalTransactionId};

/* experiments.read_exposure_rollups */
static bool read_exposure_rollups = true;

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
	bool		indexed;		/* its conversions are in conversion_index */
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
 * their values. A unit's conversions are chained from its entry (most units
 * reach few goals); the chain is walked for each of its events, or, past
 * CHAIN_BEFORE_INDEX conversions, the index below is looked up.
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

/*
 * The conversions of the units whose chains grew longer than
 * CHAIN_BEFORE_INDEX, by unit and metric: a unit that reached many goals
 * would walk its chain for each of its events. A unit is known by its name's
 * copy, which does not move while the unit is in memory.
 */
#define CHAIN_BEFORE_INDEX 8

typedef struct ConversionKey
{
	const text *name;
	uint32		unit_hash;
	uint32		metric;
} ConversionKey;

typedef struct ConversionEntry
{
	ConversionKey key;
	uint32		conversion;		/* 1 + its index */
	char		status;
} ConversionEntry;

#define SH_PREFIX conversion_index
#define SH_ELEMENT_TYPE ConversionEntry
#define SH_KEY_TYPE ConversionKey
#define SH_KEY key
#define SH_HASH_KEY(tb, key) hash_combine((key).unit_hash, murmurhash32((key).metric))
#define SH_EQUAL(tb, a, b) ((a).name == (b).name && (a).metric == (b).metric)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

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
} Metric;

/*
 * The entries of an array (the metrics, the goals read) by the hashes of
 * their names: open addressing, at most half full. Every event looks its
 * goal up, and a tenant may have thousands of goals.
 */
typedef struct NameSlot
{
	uint32		hash;
	uint32		number;			/* 1 + the entry's; 0: an empty slot */
} NameSlot;

typedef struct NameIndex
{
	NameSlot   *slots;
	uint32		size;			/* a power of two; 0 before the first entry */
	uint32		used;
} NameIndex;

/*
 * The records of units spilled to tapes when the table of units outgrows
 * its memory (see Route): one tape per value of the next bits of the units'
 * hashes, each read back as a partition of its own.
 */
typedef struct SpillLevel
{
	LogicalTape **tapes;		/* 2^bits of them */
	int			bits;
	int			used_bits;		/* of the hash, by this level and those above */
} SpillLevel;

/*
 * A spilled record as it is on its tape, in as few bytes as it needs, for
 * the tapes' bytes are most of what spilling costs: a head of flags (the
 * kind and what follows), the unit's length and the number when each fits
 * in a byte, and first_at; then whichever of a wide length, a wide number,
 * last_at and the value the flags say follow; then the unit's bytes. The
 * hash is not written: it is the unit's, computed again when read back.
 */
#define SPILLED_HEAD_SIZE (3 + sizeof(TimestampTz))
#define SPILLED_KIND_MASK 0x07
#define SPILLED_HAS_VALUE 0x08		/* a value follows */
#define SPILLED_HAS_RANGE 0x10		/* last_at follows */
#define SPILLED_WIDE_NUMBER 0x20	/* the number follows, in four bytes */
#define SPILLED_LONG_NAME 0x40		/* the unit's length follows, in four bytes */
#define SPILLED_NARROW_LIMIT 255	/* a length or number in a byte is below it */

/* The most bytes that follow a head before the unit's. */
#define SPILLED_TAIL_SIZE (2 * sizeof(uint32) + sizeof(TimestampTz) + sizeof(double))

/* Units up to this many bytes are written with their record in one piece. */
#define SHORT_NAME_SIZE 64

/* Hash bits a level of spilling uses, at most: 2^7 tapes. */
#define MAX_SPILL_BITS 7

/*
 * Units a partition holds before it may spill, whatever the budget: the
 * table's first allocation alone may exceed a tiny one, and a partition this
 * small takes little memory anyway.
 */
#define MIN_SPILL_UNITS 1024

struct Record;

/* A block of names (CopyName), up to the end of what it holds. */
typedef struct ArenaBlock
{
	char	   *start;
	char	   *end;
} ArenaBlock;

/*
 * With name_extra, the first bytes after a unit's name hold its variant,
 * kept as its entry's is: a walk of the names (EmitUnits) then needs no
 * entry. A caller's bytes follow (NameHits, NameKept).
 */
#define NameOrdinal(name) ((int32 *) ((char *) (name) + MAXALIGN(VARSIZE_ANY(name))))

/* Rows, and spilled records read back, wait in batches of this many. */
#define BATCH_SIZE 32

struct DailyMetrics;
struct PendingRow;

/*
 * Rolled-up rows left for the partitions of the first level of a spill to
 * read, by the range of buckets they hold (ReadDeferred): the parameters of
 * their query (the last two, that range), the window their events must be
 * in, and what digests them.
 */
typedef struct DeferredRead
{
	const char *query;
	SPIPlanPtr *plan;			/* kept for the backend (ReadDeferred) */
	ParamListInfo params;
	TimestampTz since;
	TimestampTz until;
	void		(*digest) (struct DailyMetrics *state, const struct PendingRow *row);
} DeferredRead;

/* Everything one call builds; all of it in context. */
typedef struct DailyMetrics
{
	MemoryContext context;
	MemoryContext units_context;	/* the units, their names and conversions */
	Size		budget;			/* bytes units_context may hold; 0: no bound */
	LogicalTapeSet *tapes;		/* of every level; NULL until a first spill */
	SpillLevel *spill;			/* where records go, or NULL: into memory */
	int			used_bits;		/* of the hash, by the partition in memory */
	text	   *read_names[BATCH_SIZE]; /* spilled records' units, as read back */
	uint32		read_name_sizes[BATCH_SIZE];
	char	   *arena;			/* the rest of the current block of names */
	Size		arena_left;
	ArenaBlock *arena_blocks;	/* every block of names, in order */
	uint32		narena_blocks;
	uint32		arena_blocks_size;
	units_hash *units;
	Metric	   *metrics;
	uint32		nmetrics;
	uint32		metrics_size;
	NameIndex	metric_index;
	const text *revenue_name;	/* the one metric of transactions */
	Conversion *conversions;
	conversion_index_hash *conversion_index;	/* NULL until a chain is long */
	uint32		nconversions;
	uint32		conversions_size;
	groups_hash *groups;
	Size		bucket_bytes;	/* more per bucket of the table, once frozen */
	Size		name_extra;		/* bytes after each unit's name: none, or its
								 * variant (NameOrdinal) and a caller's */
	bool		frozen;			/* the table's buckets have arrays: no spill */
	/* the rollups read as partitions are read back (NULL: none) */
	DeferredRead *deferred_exposures;	/* before each partition's tape */
	DeferredRead *deferred_goals;	/* after it */
	/* the units of a partition, all of whose records are read, counted */
	void		(*count_partition) (struct DailyMetrics *state);
	/* a record of a kind daily_metrics() does not make */
	void		(*apply_other) (struct DailyMetrics *state, const struct Record *record);
	/* an event of a unit in memory, before it is counted (NULL: none) */
	void		(*apply_event) (struct DailyMetrics *state, UnitEntry *unit, const struct Record *record);
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

/* Receives one query's rows, in batches, into a Digest function. */
typedef struct DigestReceiver
{
	DestReceiver pub;
	DailyMetrics *state;
	void		(*digest) (DailyMetrics *state, const PendingRow *row);
	MemoryContext batch_context;	/* the batch's copies; reset after it */
	MemoryContext packed_context;	/* a row of packed units; reset after it
									 * (NULL: the query's rows are not packed) */
	TupleDesc	columns;
	const struct PackedLayout *layout;	/* of packed rows (ReceiverStartup) */
	/* packed rows: their events' time must be in [since, until) */
	TimestampTz since;
	TimestampTz until;
	int			npending;
	PendingRow	pending[BATCH_SIZE];
} DigestReceiver;

#if defined(__GNUC__) || defined(__clang__)
#define PrefetchMemory(address) __builtin_prefetch(address)
#else
#define PrefetchMemory(address) ((void) 0)
#endif

/*
 * How many buckets from a unit's first PrefetchName looks in for the unit:
 * at the table's fill, most units lie within a few of their first bucket.
 */
#define PREFETCH_PROBES 4

/*
 * PrefetchName
 *		The name of the entry of a unit's hash, prefetched when the entry
 *		lies within PREFETCH_PROBES buckets of its first: comparing names
 *		reads it next. Its first bucket should have been prefetched a while
 *		before; the next few are mostly in the same or the next cache line.
 */
static inline void
PrefetchName(units_hash *units, uint32 hash)
{
	uint32		bucket = units_initial_bucket(units, hash);

	for (int probe = 0; probe < PREFETCH_PROBES; probe++)
	{
		UnitEntry  *entry = &units->data[(bucket + probe) & units->sizemask];

		if (entry->status != units_SH_IN_USE)
			return;
		if (entry->hash == hash)
		{
			PrefetchMemory(entry->name);
			return;
		}
	}
}

/*
 * Grow
 *		Room for element index in an array of size elements (doubling, or
 *		to index when it lies further on), so that appending stays linear.
 */
static void *
Grow(void *array, uint32 *size, uint32 index, Size element_size)
{
	if (index < *size)
		return array;
	*size = Max(Max(*size * 2, 1024), index + 1);
	return repalloc_huge(array, *size * element_size);
}

/*
 * GrowZeroed
 *		Grow, the new elements zeroed: for an array indexed by a number that
 *		may come before the numbers below it, each element counting from 0.
 */
static void *
GrowZeroed(void *array, uint32 *size, uint32 index, Size element_size)
{
	uint32		old = *size;

	array = Grow(array, size, index, element_size);
	memset((char *) array + old * element_size, 0, (*size - old) * element_size);
	return array;
}

/*
 * CopyName
 *		A unit's name, kept as long as its entry, in the arena: one
 *		allocation per block rather than per name, of which there are
 *		millions. The name_extra bytes after it, zeroed, hold its variant
 *		(NameOrdinal) and what a caller keeps per unit (metric_statistics():
 *		its values): a unit's events compare its name, so they are then in
 *		the CPU's cache, where an array beside the table would miss it on
 *		every event. The blocks are listed in order, so that the names can
 *		also be walked in the order they came (EmitUnits).
 */
static const text *
CopyName(DailyMetrics *state, const text *name)
{
	Size		size = VARSIZE_ANY(name);
	Size		space = state->name_extra > 0 ? MAXALIGN(size) + state->name_extra : INTALIGN(size);
	text	   *copy;

	if (space > state->arena_left)
	{
		Size		block = Max(space, ARENA_BLOCK_SIZE);

		if (state->narena_blocks > 0)
			state->arena_blocks[state->narena_blocks - 1].end = state->arena;
		state->arena = MemoryContextAllocHuge(state->units_context, block);
		state->arena_left = block;
		state->arena_blocks = Grow(state->arena_blocks, &state->arena_blocks_size, state->narena_blocks,
								   sizeof(ArenaBlock));
		state->arena_blocks[state->narena_blocks++].start = state->arena;
	}
	copy = (text *) state->arena;
	memcpy(copy, name, size);
	if (state->name_extra > 0)
		memset(state->arena + MAXALIGN(size), 0, state->name_extra);
	state->arena += space;
	state->arena_left -= space;
	return copy;
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
 * ExposedUnit
 *		The entry of a unit first exposed at or before at, or NULL: only such
 *		a unit's events count. Entries stay put once the exposures are read.
 */
static UnitEntry *
ExposedUnit(DailyMetrics *state, const text *name, uint32 hash, TimestampTz at)
{
	UnitEntry  *unit = units_lookup_hash(state->units, name, hash);

	return unit != NULL && at >= unit->first_at ? unit : NULL;
}

/*
 * NameIndexNext
 *		The next entry of the index with the given hash, from *slot (the
 *		hash itself at first) on, which it moves past it; -1 after the last.
 */
static int64
NameIndexNext(const NameIndex *index, uint32 hash, uint32 *slot)
{
	for (; index->size > 0; (*slot)++)
	{
		NameSlot   *at = &index->slots[*slot & (index->size - 1)];

		if (at->number == 0)
			break;
		if (at->hash == hash)
		{
			(*slot)++;
			return at->number - 1;
		}
	}
	return -1;
}

/*
 * NameIndexAdd
 *		Entry number of the given hash into the index, which doubles (in
 *		context) before it would be more than half full.
 */
static void
NameIndexAdd(NameIndex *index, MemoryContext context, uint32 hash, uint32 number)
{
	uint32		slot;

	if (2 * (index->used + 1) > index->size)
	{
		NameIndex	grown = {.size = Max(2 * index->size, 64)};

		grown.slots = MemoryContextAllocZero(context, sizeof(NameSlot) * grown.size);
		for (uint32 i = 0; i < index->size; i++)
			if (index->slots[i].number != 0)
				NameIndexAdd(&grown, context, index->slots[i].hash, index->slots[i].number - 1);
		if (index->slots != NULL)
			pfree(index->slots);
		*index = grown;
	}
	for (slot = hash & (index->size - 1); index->slots[slot].number != 0; slot = (slot + 1) & (index->size - 1))
		;
	index->slots[slot].hash = hash;
	index->slots[slot].number = number + 1;
	index->used++;
}

/*
 * FindMetric
 *		The number of a metric, a new one (its name copied into the arena)
 *		the first time.
 */
static uint32
FindMetric(DailyMetrics *state, const char *kind, const text *name)
{
	uint32		hash = NameHash(name);
	uint32		slot = hash;
	int64		found;
	uint32		metric = state->nmetrics;

	while ((found = NameIndexNext(&state->metric_index, hash, &slot)) >= 0)
	{
		Metric	   *known = &state->metrics[found];

		if (known->kind == kind && NamesEqual(known->name, name))
			return (uint32) found;
	}
	NameIndexAdd(&state->metric_index, state->context, hash, metric);
	state->metrics = Grow(state->metrics, &state->metrics_size, metric, sizeof(Metric));
	state->metrics[metric].kind = kind;
	state->metrics[metric].name = memcpy(MemoryContextAlloc(state->context, VARSIZE_ANY(name)), name,
										 VARSIZE_ANY(name));
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
 * FindConversion
 *		A unit's conversion of a metric, NULL when it has none, by its chain
 *		or, once that is long, by the index; *chain is how far it walked.
 */
static Conversion *
FindConversion(DailyMetrics *state, UnitEntry *unit, uint32 metric, uint32 *chain)
{
	Conversion *conversion;

	*chain = 0;
	if (unit->indexed)
	{
		ConversionKey key = {unit->name, unit->hash, metric};
		ConversionEntry *entry = conversion_index_lookup(state->conversion_index, key);

		return entry == NULL ? NULL : &state->conversions[entry->conversion - 1];
	}
	for (uint32 next = unit->conversions; next != 0; next = conversion->next, (*chain)++)
	{
		conversion = &state->conversions[next - 1];
		if (conversion->metric == metric)
			return conversion;
	}
	return NULL;
}

/*
 * IndexConversion
 *		The conversion numbered number (1 + its index) of a unit into the
 *		index, made the first time in the memory of the units.
 */
static void
IndexConversion(DailyMetrics *state, UnitEntry *unit, uint32 number)
{
	ConversionKey key = {unit->name, unit->hash, state->conversions[number - 1].metric};
	bool		found;

	if (state->conversion_index == NULL)
		state->conversion_index = conversion_index_create(state->units_context, 1024, NULL);
	conversion_index_insert(state->conversion_index, key, &found)->conversion = number;
}

/*
 * Accumulate
 *		Counted events of a unit and metric, from first_at to last_at, their
 *		values summing to value (none when no event had one), into the unit's
 *		conversion of the metric. A unit whose chain grows past
 *		CHAIN_BEFORE_INDEX has its conversions indexed from then on.
 */
static void
Accumulate(DailyMetrics *state, UnitEntry *unit, uint32 metric, TimestampTz first_at,
		   TimestampTz last_at, double value, bool has_value)
{
	uint32		chain;
	Conversion *conversion = FindConversion(state, unit, metric, &chain);

	if (conversion != NULL)
	{
		conversion->first_at = Min(conversion->first_at, first_at);
		conversion->last_at = Max(conversion->last_at, last_at);
		if (has_value)
		{
			conversion->value += value;
			conversion->has_value = true;
		}
		return;
	}
	state->conversions = Grow(state->conversions, &state->conversions_size, state->nconversions,
							  sizeof(Conversion));
	conversion = &state->conversions[state->nconversions++];
	conversion->first_at = first_at;
	conversion->last_at = last_at;
	conversion->value = value;
	conversion->has_value = has_value;
	conversion->metric = metric;
	conversion->ordinal = unit->ordinal;
	conversion->next = unit->conversions;
	unit->conversions = state->nconversions;
	if (unit->indexed)
		IndexConversion(state, unit, unit->conversions);
	else if (chain >= CHAIN_BEFORE_INDEX)
	{
		for (uint32 next = unit->conversions; next != 0; next = state->conversions[next - 1].next)
			IndexConversion(state, unit, next);
		unit->indexed = true;
	}
}

/*
 * Convert
 *		One counted event of a unit and metric: its value, if it has one, on
 *		the day of the event, and the event into the unit's conversion.
 */
static void
Convert(DailyMetrics *state, UnitEntry *unit, uint32 metric, TimestampTz at, double value, bool has_value)
{
	if (has_value)
	{
		GroupEntry *group = FindGroup(state, (int32) metric, unit->ordinal, at);

		group->value_sum += value;
		group->has_value_sum = true;
	}
	Accumulate(state, unit, metric, at, at, value, has_value);
}

/*
 * What a record says of its unit: every row of the event queries becomes
 * one, and so does what a partition held in memory when it is spilled.
 */
typedef enum RecordKind
{
	RECORD_EXPOSURE,			/* exposed from first_at to last_at, variant number */
	RECORD_EVENT,				/* an event of metric number at first_at */
	RECORD_CONVERSION,			/* a spilled conversion of metric number */
	RECORD_ATTRIBUTE,			/* the breakdown's attribute set to label number at first_at */
	RECORD_SOURCE_EVENT			/* an event of metric source number at first_at, its value */
} RecordKind;

typedef struct Record
{
	const text *unit;
	uint32		hash;			/* of unit */
	RecordKind	kind;
	int32		number;			/* the variant's ordinal, or the metric */
	TimestampTz first_at;
	TimestampTz last_at;
	double		value;
	bool		has_value;
} Record;

/*
 * ApplyRecord
 *		A record into the units in memory. A unit's first exposure decides
 *		its variant, the lowest ordinal on a tie, as ORDER BY exposed_at,
 *		ordinal would; only events at or after it count.
 */
static void
ApplyRecord(DailyMetrics *state, const Record *record)
{
	UnitEntry  *unit;
	bool		found;

	switch (record->kind)
	{
		case RECORD_EXPOSURE:
			unit = units_insert_hash(state->units, record->unit, record->hash, &found);
			if (!found)
			{
				unit->name = CopyName(state, record->unit);
				unit->first_at = record->first_at;
				unit->last_at = record->last_at;
				unit->ordinal = record->number;
				unit->conversions = 0;
				unit->indexed = false;
				if (state->name_extra > 0)
					*NameOrdinal(unit->name) = unit->ordinal;
				break;
			}
			if (record->first_at < unit->first_at ||
				(record->first_at == unit->first_at && record->number < unit->ordinal))
			{
				unit->first_at = record->first_at;
				unit->ordinal = record->number;
				if (state->name_extra > 0)
					*NameOrdinal(unit->name) = unit->ordinal;
			}
			unit->last_at = Max(unit->last_at, record->last_at);
			break;
		case RECORD_EVENT:
			unit = units_lookup_hash(state->units, record->unit, record->hash);
			if (unit == NULL)
				break;
			if (state->apply_event != NULL)
				state->apply_event(state, unit, record);
			if (record->first_at >= unit->first_at)
				Convert(state, unit, (uint32) record->number, record->first_at, record->value,
						record->has_value);
			break;
		case RECORD_CONVERSION:
			/* spilled after its unit, and already counted in the daily sums */
			unit = units_lookup_hash(state->units, record->unit, record->hash);
			Assert(unit != NULL);
			Accumulate(state, unit, (uint32) record->number, record->first_at, record->last_at,
					   record->value, record->has_value);
			break;
		default:
			state->apply_other(state, record);
			break;
	}
}

/*
 * WriteRecord
 *		A record onto the tape of its partition at the current level, in the
 *		form SPILLED_HEAD_SIZE describes: one write, unless the unit is long.
 */
static void
WriteRecord(DailyMetrics *state, const Record *record)
{
	SpillLevel *level = state->spill;
	LogicalTape *tape = level->tapes[(record->hash << (level->used_bits - level->bits)) >> (32 - level->bits)];
	uint32		name_length = VARSIZE_ANY_EXHDR(record->unit);
	bool		narrow_number = record->number >= 0 && record->number < SPILLED_NARROW_LIMIT;
	uint8		flags = (uint8) record->kind;
	MemoryContext old = MemoryContextSwitchTo(state->context);
	char		bytes[SPILLED_HEAD_SIZE + SPILLED_TAIL_SIZE + SHORT_NAME_SIZE];
	char	   *end = bytes + SPILLED_HEAD_SIZE;

	Assert(record->kind <= SPILLED_KIND_MASK);
	if (record->has_value)
		flags |= SPILLED_HAS_VALUE;
	if (record->last_at != record->first_at)
		flags |= SPILLED_HAS_RANGE;
	if (!narrow_number)
		flags |= SPILLED_WIDE_NUMBER;
	if (name_length >= SPILLED_NARROW_LIMIT)
		flags |= SPILLED_LONG_NAME;
	bytes[0] = (char) flags;
	bytes[1] = (char) (uint8) Min(name_length, SPILLED_NARROW_LIMIT);
	bytes[2] = (char) (uint8) (narrow_number ? record->number : SPILLED_NARROW_LIMIT);
	memcpy(bytes + 3, &record->first_at, sizeof(TimestampTz));
	if (flags & SPILLED_LONG_NAME)
	{
		memcpy(end, &name_length, sizeof(uint32));
		end += sizeof(uint32);
	}
	if (flags & SPILLED_WIDE_NUMBER)
	{
		memcpy(end, &record->number, sizeof(int32));
		end += sizeof(int32);
	}
	if (flags & SPILLED_HAS_RANGE)
	{
		memcpy(end, &record->last_at, sizeof(TimestampTz));
		end += sizeof(TimestampTz);
	}
	if (flags & SPILLED_HAS_VALUE)
	{
		memcpy(end, &record->value, sizeof(double));
		end += sizeof(double);
	}
	if (name_length <= SHORT_NAME_SIZE)
	{
		memcpy(end, VARDATA_ANY(record->unit), name_length);
		LogicalTapeWrite(tape, bytes, end - bytes + name_length);
	}
	else
	{
		LogicalTapeWrite(tape, bytes, end - bytes);
		LogicalTapeWrite(tape, VARDATA_ANY(record->unit), name_length);
	}
	MemoryContextSwitchTo(old);
}

/*
 * ReadExactly
 *		size bytes of a spilled record, which must all be there.
 */
static void
ReadExactly(LogicalTape *tape, void *into, size_t size)
{
	if (LogicalTapeRead(tape, into, size) != size)
		elog(ERROR, "could not read a spilled record of daily_metrics");
}

/*
 * ReadRecord
 *		The next record of a tape, its unit in read_names[place] until the
 *		next read into that place; false at the tape's end.
 */
static bool
ReadRecord(DailyMetrics *state, LogicalTape *tape, Record *record, int place)
{
	char		head[SPILLED_HEAD_SIZE];
	char		tail[SPILLED_TAIL_SIZE];
	const char *next = tail;
	size_t		size = LogicalTapeRead(tape, head, sizeof(head));
	uint8		flags;
	uint32		name_length;

	if (size == 0)
		return false;
	if (size != sizeof(head))
		elog(ERROR, "could not read a spilled record of daily_metrics");
	flags = (uint8) head[0];
	name_length = (uint8) head[1];
	record->number = (uint8) head[2];
	memcpy(&record->first_at, head + 3, sizeof(TimestampTz));
	ReadExactly(tape, tail,
				((flags & SPILLED_LONG_NAME) ? sizeof(uint32) : 0) +
				((flags & SPILLED_WIDE_NUMBER) ? sizeof(int32) : 0) +
				((flags & SPILLED_HAS_RANGE) ? sizeof(TimestampTz) : 0) +
				((flags & SPILLED_HAS_VALUE) ? sizeof(double) : 0));
	if (flags & SPILLED_LONG_NAME)
	{
		memcpy(&name_length, next, sizeof(uint32));
		next += sizeof(uint32);
	}
	if (flags & SPILLED_WIDE_NUMBER)
	{
		memcpy(&record->number, next, sizeof(int32));
		next += sizeof(int32);
	}
	record->last_at = record->first_at;
	if (flags & SPILLED_HAS_RANGE)
	{
		memcpy(&record->last_at, next, sizeof(TimestampTz));
		next += sizeof(TimestampTz);
	}
	record->value = 0;
	if (flags & SPILLED_HAS_VALUE)
		memcpy(&record->value, next, sizeof(double));
	if (VARHDRSZ + name_length > state->read_name_sizes[place])
	{
		state->read_name_sizes[place] = Max(VARHDRSZ + name_length, 2 * state->read_name_sizes[place]);
		state->read_names[place] = state->read_names[place] == NULL ?
			MemoryContextAlloc(state->context, state->read_name_sizes[place]) :
			repalloc(state->read_names[place], state->read_name_sizes[place]);
	}
	ReadExactly(tape, VARDATA(state->read_names[place]), name_length);
	SET_VARSIZE(state->read_names[place], VARHDRSZ + name_length);
	record->unit = state->read_names[place];
	record->hash = NameHash(record->unit);
	record->kind = (RecordKind) (flags & SPILLED_KIND_MASK);
	record->has_value = (flags & SPILLED_HAS_VALUE) != 0;
	return true;
}

/*
 * ResetUnits
 *		No unit in memory: those there were are counted or spilled. The new
 *		table is made for expected units, when half the budget holds them, so
 *		that a partition like the last one read back fills it without
 *		growing it (every growth moves each unit once more).
 */
static void
ResetUnits(DailyMetrics *state, uint32 expected)
{
	Size		fit = state->budget / 2 / (sizeof(UnitEntry) + state->bucket_bytes);

	MemoryContextReset(state->units_context);
	state->units = units_create(state->units_context, (uint32) Max(Min(expected, fit), 1024), NULL);
	state->arena = NULL;
	state->arena_left = 0;
	state->arena_blocks = MemoryContextAlloc(state->units_context, sizeof(ArenaBlock));
	state->arena_blocks_size = 0;
	state->narena_blocks = 0;
	state->conversions = MemoryContextAlloc(state->units_context, sizeof(Conversion));
	state->conversion_index = NULL;
	state->conversions_size = 0;
	state->nconversions = 0;
	state->frozen = false;
}

/*
 * Spill
 *		The units in memory have outgrown the budget: from now on records go
 *		to tapes, one per value of the next bits of their unit's hash, and
 *		the units and conversions in memory go there first, as records that
 *		merge with the rest when a tape is read back (DrainSpill). A tape's
 *		write buffer takes a block: there are at most as many as a quarter of
 *		the budget holds.
 */
static void
Spill(DailyMetrics *state)
{
	MemoryContext old = MemoryContextSwitchTo(state->context);
	SpillLevel *level = palloc(sizeof(SpillLevel));
	units_iterator iterator;
	UnitEntry  *unit;

	level->bits = Min(Min(MAX_SPILL_BITS, 32 - state->used_bits),
					  pg_leftmost_one_pos64(Max(state->budget / 4 / BLCKSZ, 2)));
	level->used_bits = state->used_bits + level->bits;
	level->tapes = palloc(sizeof(LogicalTape *) << level->bits);
	if (state->tapes == NULL)
		state->tapes = LogicalTapeSetCreate(false, NULL, -1);
	for (int i = 0; i < 1 << level->bits; i++)
		level->tapes[i] = LogicalTapeCreate(state->tapes);
	MemoryContextSwitchTo(old);
	state->spill = level;

	units_start_iterate(state->units, &iterator);
	while ((unit = units_iterate(state->units, &iterator)) != NULL)
	{
		Record		record = {.unit = unit->name, .hash = unit->hash, .kind = RECORD_EXPOSURE,
			.number = unit->ordinal, .first_at = unit->first_at, .last_at = unit->last_at};
		Conversion *conversion;

		WriteRecord(state, &record);
		record.kind = RECORD_CONVERSION;
		for (uint32 next = unit->conversions; next != 0; next = conversion->next)
		{
			conversion = &state->conversions[next - 1];
			record.number = (int32) conversion->metric;
			record.first_at = conversion->first_at;
			record.last_at = conversion->last_at;
			record.value = conversion->value;
			record.has_value = conversion->has_value;
			WriteRecord(state, &record);
		}
	}
	ResetUnits(state, 0);
}

/*
 * OverBudget
 *		Whether the units in memory hold more than the budget, counting the
 *		table's next doubling, when its old and new arrays are both held,
 *		before it happens, and the arrays of bucket_bytes a bucket that will
 *		be made beside the table. With no hash bits left to partition by, or
 *		once those arrays are made (frozen), a partition stays in memory
 *		whatever its size.
 */
static bool
OverBudget(DailyMetrics *state)
{
	units_hash *units = state->units;
	Size		held;

	if (state->budget == 0 || state->frozen || state->used_bits >= 32 || units->members <= MIN_SPILL_UNITS)
		return false;
	held = MemoryContextMemAllocated(state->units_context, false) + units->size * state->bucket_bytes;
	if (units->members >= units->grow_threshold)
		held += 2 * units->size * (sizeof(UnitEntry) + state->bucket_bytes);
	return held > state->budget;
}

/*
 * CertainToSpill
 *		Whether this many units could not all be held within the budget,
 *		however short their names: each takes an entry of the table at its
 *		greatest fill and the smallest copy of a name. Such a pass spills
 *		before its first record instead of once memory is full: filling it
 *		would take its pages from the kernel and grow the table a few times,
 *		and the units would then go to the tapes all the same.
 */
static bool
CertainToSpill(DailyMetrics *state, uint64 units)
{
	Size		per_unit = (sizeof(UnitEntry) + state->bucket_bytes) * 10 / 9 +
		MAXALIGN(VARHDRSZ_SHORT + 1) + state->name_extra;

	return state->budget > 0 && state->used_bits < 32 && units > MIN_SPILL_UNITS &&
		units > state->budget / per_unit;
}

/*
 * Route
 *		A record into memory, or onto its tape once memory has spilled.
 */
static void
Route(DailyMetrics *state, const Record *record)
{
	if (state->spill == NULL && OverBudget(state))
		Spill(state);
	if (state->spill != NULL)
		WriteRecord(state, record);
	else
		ApplyRecord(state, record);
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
 * CountUnits
 *		The units in memory, all of whose records have been read, and their
 *		conversions into the output groups.
 */
static void
CountUnits(DailyMetrics *state)
{
	units_iterator iterator;
	UnitEntry  *unit;

	units_start_iterate(state->units, &iterator);
	while ((unit = units_iterate(state->units, &iterator)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		Count(state, EXPOSURES_METRIC, unit->ordinal, unit->first_at, unit->last_at, 0, false);
	}
	for (uint32 i = 0; i < state->nconversions; i++)
	{
		Conversion *conversion = &state->conversions[i];

		Count(state, (int32) conversion->metric, conversion->ordinal, conversion->first_at,
			  conversion->last_at, conversion->value, conversion->has_value);
	}
}

static void DigestPlan(DailyMetrics *state, SPIPlanPtr plan, ParamListInfo params, TimestampTz since,
					   TimestampTz until, void (*digest) (DailyMetrics *state, const PendingRow *row));

/*
 * ReadDeferred
 *		The rolled-up rows of partition `partition` of the first level of a
 *		spill (of `bits` bits) that DigestExposures or DigestGoals deferred:
 *		the buckets of the rollups are the top bits of the same hash
 *		(unit_bucket), so the partition's units are those of a range of
 *		buckets, read by the rollup's index and routed into memory. The plan
 *		runs once a partition and is kept for the backend, as ri_triggers.c
 *		keeps its own (the plan cache plans it again when the role, and so
 *		the row-level security, changes).
 */
static void
ReadDeferred(DailyMetrics *state, DeferredRead *deferred, int partition, int bits)
{
	int			shift = MAX_SPILL_BITS - bits;

	deferred->params->params[2].value = Int32GetDatum(partition << shift);
	deferred->params->params[3].value = Int32GetDatum(((partition + 1) << shift) - 1);
	SPI_connect();
	if (*deferred->plan == NULL)
	{
		Oid			types[4] = {INT8OID, TIMESTAMPTZARRAYOID, INT4OID, INT4OID};
		SPIPlanPtr	prepared = SPI_prepare_cursor(deferred->query, 4, types, CURSOR_OPT_GENERIC_PLAN);

		if (prepared == NULL)
			elog(ERROR, "could not prepare the query of deferred rollups: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(prepared) != 0)
			elog(ERROR, "could not keep the query of deferred rollups");
		*deferred->plan = prepared;
	}
	DigestPlan(state, *deferred->plan, deferred->params, deferred->since, deferred->until, deferred->digest);
	SPI_finish();
}

/*
 * DrainSpill
 *		Reads each tape of the current level back as a partition of its own:
 *		every record of a unit is on the same tape, its exposures before its
 *		events, so each partition is counted whole once read. A partition
 *		that outgrows memory in turn spills, by the next bits of the hash,
 *		and its own partitions are read before the next tape. Records are
 *		read in batches, their units' buckets and names prefetched as
 *		FlushBatch does for rows: a partition's table is larger than the
 *		CPU's nearest caches. A partition of the first level starts with the
 *		rolled-up units deferred to it, which are exposures, and ends with
 *		the rolled-up goal events deferred to it: a unit's exposures come
 *		before its events, as on the tapes.
 */
static void
DrainSpill(DailyMetrics *state)
{
	SpillLevel *level = state->spill;
	int			used_bits = state->used_bits;
	Record		records[BATCH_SIZE];
	int			nread;

	state->spill = NULL;
	state->used_bits = level->used_bits;
	if (used_bits == 0)
		elog(DEBUG1, "the units outgrew work_mem: reading back %d partitions from temporary files",
			 1 << level->bits);
	for (int i = 0; i < 1 << level->bits; i++)
	{
		MemoryContext old;

		if (used_bits == 0 && state->deferred_exposures != NULL)
			ReadDeferred(state, state->deferred_exposures, i, level->bits);
		old = MemoryContextSwitchTo(state->context);
		LogicalTapeRewindForRead(level->tapes[i], BLCKSZ);
		MemoryContextSwitchTo(old);
		do
		{
			/* no query runs while the tapes are read, to check for a cancel */
			CHECK_FOR_INTERRUPTS();
			nread = 0;
			while (nread < BATCH_SIZE && ReadRecord(state, level->tapes[i], &records[nread], nread))
			{
				PrefetchMemory(&state->units->data[units_initial_bucket(state->units, records[nread].hash)]);
				nread++;
			}
			for (int j = 0; j < nread; j++)
				PrefetchName(state->units, records[j].hash);
			for (int j = 0; j < nread; j++)
				Route(state, &records[j]);
		} while (nread == BATCH_SIZE);
		LogicalTapeClose(level->tapes[i]);
		if (used_bits == 0 && state->deferred_goals != NULL)
			ReadDeferred(state, state->deferred_goals, i, level->bits);
		if (state->spill != NULL)
			DrainSpill(state);
		else
		{
			uint32		read_back = state->units->members;

			state->count_partition(state);
			ResetUnits(state, read_back);
		}
	}
	state->used_bits = used_bits;
	pfree(level->tapes);
	pfree(level);
}

/*
 * DigestExposure
 *		One exposure (unit, exposed_at, ordinal; NOT NULL).
 */
static void
DigestExposure(DailyMetrics *state, const PendingRow *row)
{
	Record		record = {.unit = row->unit, .hash = row->hash, .kind = RECORD_EXPOSURE,
		.number = DatumGetInt32(row->values[0]), .first_at = row->at, .last_at = row->at};

	Route(state, &record);
}

/*
 * DigestRolledUp
 *		A unit's exposures in a rolled-up period (unit, first_at, ordinal,
 *		last_at; NOT NULL), as one record.
 */
static void
DigestRolledUp(DailyMetrics *state, const PendingRow *row)
{
	Record		record = {.unit = row->unit, .hash = row->hash, .kind = RECORD_EXPOSURE,
		.number = DatumGetInt32(row->values[0]), .first_at = row->at,
	.last_at = DatumGetTimestampTz(row->values[1])};

	Route(state, &record);
}

/*
 * unit_bucket
 *		The bucket of experiments.exposure_rollups a unit's entry goes to:
 *		the top bits of NameHash, as many as the first level of a spill uses
 *		at most, so that a bucket's units are of one partition there.
 */
PG_FUNCTION_INFO_V1(unit_bucket);
Datum
unit_bucket(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32((int32) (NameHash(PG_GETARG_TEXT_PP(0)) >> (32 - MAX_SPILL_BITS)));
}

/*
 * GoalProperty
 *		Whether the properties of a goal event (the row's fourth column) have
 *		key with a JSON number, and its value as float8: what CASE WHEN
 *		jsonb_typeof(properties -> key) = 'number' THEN (properties ->>
 *		key)::float8 END gives.
 */
static bool
GoalProperty(const PendingRow *row, const char *key, double *value)
{
	Jsonb	   *properties;
	JsonbValue	property;

	if (row->nulls[1])
		return false;
	properties = DatumGetJsonbP(row->values[1]);
	if (!JB_ROOT_IS_OBJECT(properties) ||
		getKeyJsonValueFromContainer(&properties->root, key, strlen(key), &property) == NULL ||
		property.type != jbvNumeric)
		return false;
	*value = JsonbNumberDouble(&property);
	return true;
}

/*
 * GoalRecordOf
 *		The record of a goal event (unit, achieved_at, goal, properties) as
 *		an event of metric number, its goal: its value is what CASE WHEN
 *		jsonb_typeof(properties -> 'value') = 'number' THEN (properties ->>
 *		'value')::float8 END gives.
 */
static Record
GoalRecordOf(const PendingRow *row, int32 number)
{
	Record		record = {.unit = row->unit, .hash = row->hash, .kind = RECORD_EVENT,
		.number = number, .first_at = row->at, .last_at = row->at};

	record.has_value = GoalProperty(row, "value", &record.value);
	return record;
}

/*
 * GoalRecord
 *		The record of a goal event, its goal found by name (GoalRecordOf).
 */
static Record
GoalRecord(DailyMetrics *state, const PendingRow *row)
{
	return GoalRecordOf(row, (int32) FindMetric(state, goal_kind, DatumGetTextPP(row->values[0])));
}

/*
 * DigestGoal
 *		One goal event as daily_metrics() counts it; in memory, only the
 *		events that count are made records.
 */
static void
DigestGoal(DailyMetrics *state, const PendingRow *row)
{
	Record		record;

	if (state->spill == NULL && ExposedUnit(state, row->unit, row->hash, row->at) == NULL)
		return;
	record = GoalRecord(state, row);
	Route(state, &record);
}

/*
 * DigestTransaction
 *		One transaction (unit, occurred_at, revenue): revenue in cents, summed
 *		in double precision, which is exact below 2^53 cents per unit.
 */
static void
DigestTransaction(DailyMetrics *state, const PendingRow *row)
{
	Record		record = {.unit = row->unit, .hash = row->hash, .kind = RECORD_EVENT,
		.number = (int32) FindMetric(state, revenue_kind, state->revenue_name),
		.first_at = row->at, .last_at = row->at,
		.value = (double) DatumGetInt64(row->values[0]), .has_value = true};

	Route(state, &record);
}

/*
 * FlushBatch
 *		The waiting rows into the Digest function. Their units' buckets were
 *		prefetched as they came; a first pass also prefetches the names of
 *		the entries found there (PrefetchName).
 */
static void
FlushBatch(DigestReceiver *receiver)
{
	MemoryContext old;

	for (int i = 0; i < receiver->npending; i++)
		PrefetchName(receiver->state->units, receiver->pending[i].hash);
	/* what digesting allocates for a row (a detoasted value) goes with the batch */
	old = MemoryContextSwitchTo(receiver->batch_context);
	for (int i = 0; i < receiver->npending; i++)
		receiver->digest(receiver->state, &receiver->pending[i]);
	MemoryContextSwitchTo(old);
	receiver->npending = 0;
	MemoryContextReset(receiver->batch_context);
}

/*
 * RowWaits
 *		A row put last in the batch: its unit's bucket prefetched, the batch
 *		digested once it is full.
 */
static inline void
RowWaits(DigestReceiver *receiver, const PendingRow *row)
{
	units_hash *units = receiver->state->units;

	PrefetchMemory(&units->data[units_initial_bucket(units, row->hash)]);
	if (receiver->npending == BATCH_SIZE)
		FlushBatch(receiver);
}

/*
 * ReceiveRow
 *		The receiveSlot: a row (unit, time, other columns) into the batch.
 *		The units' table is far larger than the CPU caches, and each row
 *		would wait for memory twice in it (its bucket, then its name): rows
 *		wait in a batch instead, their buckets prefetched, so that the memory
 *		accesses of a whole batch overlap. Once the units spill, a row only
 *		goes onto a tape: it is digested at once, from the slot, uncopied.
 */
static bool
ReceiveRow(TupleTableSlot *slot, DestReceiver *self)
{
	DigestReceiver *receiver = (DigestReceiver *) self;
	bool		spilling = receiver->state->spill != NULL;
	PendingRow	spilled;
	PendingRow *row = spilling ? &spilled : &receiver->pending[receiver->npending++];
	MemoryContext old = MemoryContextSwitchTo(receiver->batch_context);
	const text *unit;

	slot_getallattrs(slot);
	unit = DatumGetTextPP(slot->tts_values[0]);
	row->unit = spilling ? unit : memcpy(palloc(VARSIZE_ANY(unit)), unit, VARSIZE_ANY(unit));
	row->hash = NameHash(unit);
	row->at = DatumGetTimestampTz(slot->tts_values[1]);
	for (int i = 2; i < receiver->columns->natts; i++)
	{
		Form_pg_attribute column = TupleDescAttr(receiver->columns, i);

		row->nulls[i - 2] = slot->tts_isnull[i];
		row->values[i - 2] = slot->tts_isnull[i] || spilling ? slot->tts_values[i] :
			datumCopy(slot->tts_values[i], column->attbyval, column->attlen);
	}
	if (spilling)
	{
		receiver->digest(receiver->state, row);
		MemoryContextSwitchTo(old);
		MemoryContextReset(receiver->batch_context);
		return true;
	}
	MemoryContextSwitchTo(old);
	RowWaits(receiver, row);
	return true;
}

/*
 * The rows of a rollup, packed: the table, and the element types of its
 * arrays (the units, the times, and what goes to the Digest function).
 * Maintenance writes them so (src/events/rollups.sql); anything else in the
 * table is refused rather than misread (PackedArray).
 */
typedef struct PackedLayout
{
	const char *table;
	const char *detail;
	Oid			elements[4];
} PackedLayout;

static const PackedLayout packed_exposures = {"experiments.exposure_rollups",
	"A row holds one-dimensional arrays of units, first exposures, variants and last exposures, all of one length and without NULLs.",
{TEXTOID, TIMESTAMPTZOID, INT4OID, TIMESTAMPTZOID}};
static const PackedLayout packed_goals = {"experiments.goal_rollups",
	"A row holds one-dimensional arrays of units, times, goals and properties, all of one length and without NULLs.",
{TEXTOID, TIMESTAMPTZOID, TEXTOID, JSONBOID}};

/* The next element of a packed array, as array_iter_next steps through it. */
typedef struct PackedColumn
{
	char	   *next;
	bool		varlena;		/* text or jsonb (int alignment); else 4 or 8 bytes */
	bool		wide;			/* 8 bytes */
} PackedColumn;

/*
 * PackedArray
 *		A column of a packed row, detoasted into the current context: one
 *		dimension of elements of the layout's type, none NULL (so they start
 *		right after a header of one dimension), as many as the row's first
 *		column has (nunits, set from that column).
 */
static PackedColumn
PackedArray(TupleTableSlot *slot, int column, const PackedLayout *layout, int *nunits)
{
	ArrayType  *array = slot->tts_isnull[column] ? NULL : DatumGetArrayTypeP(slot->tts_values[column]);
	Oid			element = layout->elements[column];
	PackedColumn packed;

	if (array == NULL || ARR_NDIM(array) != 1 || ARR_HASNULL(array) || ARR_ELEMTYPE(array) != element ||
		(column > 0 && ARR_DIMS(array)[0] != *nunits))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("malformed row in %s", layout->table),
				 errdetail("%s", layout->detail),
				 errhint("Set experiments.read_exposure_rollups to off to read the event rows instead.")));
	*nunits = ARR_DIMS(array)[0];
	packed.next = (char *) array + ARR_OVERHEAD_NONULLS(1);
	packed.varlena = element == TEXTOID || element == JSONBOID;
	packed.wide = element == TIMESTAMPTZOID;
	return packed;
}

/*
 * PackedNext
 *		The next element of a packed column, left in the array.
 */
static inline Datum
PackedNext(PackedColumn *column)
{
	char	   *element = column->next;

	if (column->varlena)
	{
		column->next = att_addlength_pointer(element, -1, element);
		column->next = (char *) att_align_nominal(column->next, TYPALIGN_INT);
		return PointerGetDatum(element);
	}
	if (column->wide)
	{
		column->next += sizeof(int64);
		return Int64GetDatum(*(const int64 *) element);
	}
	column->next += sizeof(int32);
	return Int32GetDatum(*(const int32 *) element);
}

/*
 * ReceiveRolledUp
 *		The receiveSlot of packed rows: of units (units, first exposures,
 *		variants, last exposures) or of goal events (units, times, goals,
 *		properties), arrays of one length. Each entry in the window goes on
 *		as a row of its own would (ReceiveRow), its values left in the
 *		arrays, which stay until the row's last entry is digested. A row
 *		costs the executor what one event's row did, for thousands of them.
 */
static bool
ReceiveRolledUp(TupleTableSlot *slot, DestReceiver *self)
{
	DigestReceiver *receiver = (DigestReceiver *) self;
	DailyMetrics *state = receiver->state;
	MemoryContext old = MemoryContextSwitchTo(receiver->packed_context);
	int			nunits = 0;
	PackedColumn columns[4];

	slot_getallattrs(slot);
	for (int column = 0; column < 4; column++)
		columns[column] = PackedArray(slot, column, receiver->layout, &nunits);
	MemoryContextSwitchTo(old);
	for (int i = 0; i < nunits; i++)
	{
		bool		spilling = state->spill != NULL;
		PendingRow	spilled;
		PendingRow *row = spilling ? &spilled : &receiver->pending[receiver->npending];

		row->unit = (const text *) DatumGetPointer(PackedNext(&columns[0]));
		row->at = DatumGetTimestampTz(PackedNext(&columns[1]));
		row->values[0] = PackedNext(&columns[2]);
		row->values[1] = PackedNext(&columns[3]);
		if (row->at < receiver->since || row->at >= receiver->until)
			continue;
		row->hash = NameHash(row->unit);
		row->nulls[0] = row->nulls[1] = false;
		if (spilling)
		{
			/* what it allocates goes with the batch, reset below */
			old = MemoryContextSwitchTo(receiver->batch_context);
			receiver->digest(state, row);
			MemoryContextSwitchTo(old);
		}
		else
		{
			receiver->npending++;
			RowWaits(receiver, row);
		}
	}
	FlushBatch(receiver);
	MemoryContextReset(receiver->packed_context);
	return true;
}

/*
 * ReceiverStartup
 *		Keeps the query's columns, to copy their values. A query of packed
 *		rows (its first column an array) is received by ReceiveRolledUp, of
 *		units or of goal events by its third column.
 */
static void
ReceiverStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	DigestReceiver *receiver = (DigestReceiver *) self;

	Assert(typeinfo->natts - 2 <= (int) lengthof(receiver->pending[0].values));
	receiver->columns = typeinfo;
	if (TupleDescAttr(typeinfo, 0)->atttypid == TEXTARRAYOID)
	{
		receiver->packed_context = AllocSetContextCreate(receiver->state->context, "daily_metrics packed units",
														 ALLOCSET_DEFAULT_SIZES);
		receiver->layout = TupleDescAttr(typeinfo, 2)->atttypid == INT4ARRAYOID ? &packed_exposures : &packed_goals;
		self->receiveSlot = ReceiveRolledUp;
	}
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
 * PeriodQueryParams
 *		The parameters of a query of a rolled-up period: those of every event
 *		query (EventQueryParams), the window being the part of it that the
 *		period covers, and $5 the period's start.
 */
static ParamListInfo
PeriodQueryParams(int64 experiment_id, TimestampTz low, TimestampTz high, Datum tenant_id, TimestampTz start)
{
	ParamListInfo event = EventQueryParams(experiment_id, low, high, tenant_id);
	ParamListInfo params = makeParamList(5);

	memcpy(params->params, event->params, sizeof(ParamExternData) * 4);
	params->params[4] = (ParamExternData) {TimestampTzGetDatum(start), false, PARAM_FLAG_CONST, TIMESTAMPTZOID};
	return params;
}

/*
 * NewDeferredRead
 *		What ReadDeferred needs to read the rollups of experiment_id in the
 *		periods of RolledUpPeriods (of nperiods) as the partitions of a
 *		spill are read back, in the call's context.
 */
static DeferredRead *
NewDeferredRead(DailyMetrics *state, const char *query, SPIPlanPtr *plan, int64 experiment_id,
				const TimestampTz *periods, int nperiods, TimestampTz since, TimestampTz until,
				void (*digest) (DailyMetrics *state, const PendingRow *row))
{
	MemoryContext old = MemoryContextSwitchTo(state->context);
	DeferredRead *deferred = palloc(sizeof(DeferredRead));
	Datum	   *values = palloc(sizeof(Datum) * Max(nperiods, 1));

	for (int i = 0; i < nperiods; i++)
		values[i] = TimestampTzGetDatum(periods[3 * i]);
	deferred->query = query;
	deferred->plan = plan;
	deferred->params = makeParamList(4);
	deferred->params->params[0] = (ParamExternData) {Int64GetDatum(experiment_id), false, PARAM_FLAG_CONST, INT8OID};
	deferred->params->params[1] = (ParamExternData) {PointerGetDatum(construct_array(values, nperiods, TIMESTAMPTZOID, sizeof(TimestampTz), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)),
		false, PARAM_FLAG_CONST, TIMESTAMPTZARRAYOID};
	deferred->params->params[2] = (ParamExternData) {Int32GetDatum(0), false, PARAM_FLAG_CONST, INT4OID};
	deferred->params->params[3] = (ParamExternData) {Int32GetDatum(0), false, PARAM_FLAG_CONST, INT4OID};
	deferred->since = since;
	deferred->until = until;
	deferred->digest = digest;
	MemoryContextSwitchTo(old);
	return deferred;
}

/*
 * DigestPlan
 *		Runs a prepared event query, its rows going to digest as they are
 *		produced; of packed rows, those of the entries in [since, until).
 */
static void
DigestPlan(DailyMetrics *state, SPIPlanPtr plan, ParamListInfo params, TimestampTz since,
		   TimestampTz until, void (*digest) (DailyMetrics *state, const PendingRow *row))
{
	DigestReceiver receiver = {
		/* Not DestSPI: SPI would look for rows in its own tuple table. */
		.pub = {ReceiveRow, ReceiverStartup, ReceiverShutdown, ReceiverDestroy, DestNone},
		.state = state,
		.digest = digest,
		.batch_context = AllocSetContextCreate(state->context, "daily_metrics batch", ALLOCSET_DEFAULT_SIZES),
		.since = since,
		.until = until,
	};
	SPIExecuteOptions options = {
		.params = params,
		.read_only = true,
		.dest = &receiver.pub,
	};
	int			rc;

	rc = SPI_execute_plan_extended(plan, &options);
	if (rc < 0)
		elog(ERROR, "daily_metrics query failed: %s", SPI_result_code_string(rc));
	MemoryContextDelete(receiver.batch_context);
	if (receiver.packed_context != NULL)
		MemoryContextDelete(receiver.packed_context);
}

/*
 * Digest
 *		Runs one event query with the experiment and window as parameters
 *		(EventQueryParams, and PeriodQueryParams for a rollup's), its rows
 *		going to digest as they are produced. The plan is a custom
 *		one, made for these values: partitions outside the window are pruned
 *		when planning. It is a serial plan: this backend digests every row,
 *		so parallel workers could only read for it, and they cost their
 *		start on every query, while the planner, costing a parallel plan as
 *		if its consumer were free, would choose a parallel scan of a whole
 *		month over the experiment's own index.
 */
static void
Digest(DailyMetrics *state, const char *query, ParamListInfo params,
	   void (*digest) (DailyMetrics *state, const PendingRow *row))
{
	Oid			types[5];
	SPIPlanPtr	plan;

	Assert(params->numParams <= (int) lengthof(types));
	for (int i = 0; i < params->numParams; i++)
		types[i] = params->params[i].ptype;
	plan = SPI_prepare_cursor(query, params->numParams, types, CURSOR_OPT_CUSTOM_PLAN);
	if (plan == NULL)
		elog(ERROR, "could not prepare daily_metrics query: %s", SPI_result_code_string(SPI_result));
	DigestPlan(state, plan, params, DatumGetTimestampTz(params->params[1].value),
			   DatumGetTimestampTz(params->params[2].value), digest);
	SPI_freeplan(plan);
}

/*
 * A query of the event rows, and those of the periods rolled up: each
 * period's rows and changes, or its changes only when its rows are
 * deferred; how a row of each is digested (DigestRolledUpWindow).
 */
typedef struct RolledUpQueries
{
	const char *rows;
	const char *rolled_up;
	const char *changes;
	void		(*digest_row) (DailyMetrics *state, const PendingRow *row);
	void		(*digest_rolled_up) (DailyMetrics *state, const PendingRow *row);
} RolledUpQueries;

/*
 * RolledUpPeriods
 *		The periods a query of rolled-up periods (rollup_periods_query,
 *		goal_periods_query) gives for experiment_id and the window, three
 *		times each (start, then the part of the window it covers); unless
 *		largest is NULL, the largest of its fourth column (the experiment's
 *		units in a period's rollup). Called connected to SPI.
 */
static TimestampTz *
RolledUpPeriods(const char *query, int64 experiment_id, TimestampTz since, TimestampTz until,
				uint64 *nperiods, uint64 *largest)
{
	Oid			types[3] = {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		arguments[3] = {Int64GetDatum(experiment_id), TimestampTzGetDatum(since), TimestampTzGetDatum(until)};
	TimestampTz *periods;
	bool		isnull;

	*nperiods = 0;
	if (largest != NULL)
		*largest = 0;
	if (!read_exposure_rollups)
		return NULL;
	if (SPI_execute_with_args(query, 3, types, arguments, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the rollups: %s", SPI_result_code_string(SPI_result));
	*nperiods = SPI_processed;
	periods = palloc(sizeof(TimestampTz) * 3 * Max(*nperiods, 1));
	for (uint64 i = 0; i < *nperiods; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];

		for (int column = 0; column < 3; column++)
			periods[3 * i + column] = DatumGetTimestampTz(SPI_getbinval(row, SPI_tuptable->tupdesc,
																		1 + column, &isnull));
		/* a unit may be in several periods: the largest is the fewest there are */
		if (largest != NULL)
			*largest = Max(*largest, (uint64) DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 4, &isnull)));
	}
	SPI_freetuptable(SPI_tuptable);
	return periods;
}

/*
 * DigestRolledUpWindow
 *		The events of the window: of each rolled-up period, its part of the
 *		window from the rollup (or only the changes its rollup does not see,
 *		when defer: the rollup's rows are read as the spill is read back),
 *		and the rest from the event rows, a query for each stretch between
 *		periods (planned for it, so that only its partitions are read).
 */
static void
DigestRolledUpWindow(DailyMetrics *state, const RolledUpQueries *queries, const TimestampTz *periods,
					 uint64 nperiods, bool defer, int64 experiment_id, TimestampTz since, TimestampTz until,
					 Datum tenant_id)
{
	TimestampTz from = since;

	for (uint64 i = 0; i < nperiods; i++)
	{
		TimestampTz low = periods[3 * i + 1];
		TimestampTz high = periods[3 * i + 2];

		if (low > from)
			Digest(state, queries->rows, EventQueryParams(experiment_id, from, low, tenant_id), queries->digest_row);
		Digest(state, defer ? queries->changes : queries->rolled_up,
			   PeriodQueryParams(experiment_id, low, high, tenant_id, periods[3 * i]), queries->digest_rolled_up);
		from = high;
	}
	if (nperiods == 0 || from < until)
		Digest(state, queries->rows, EventQueryParams(experiment_id, from, until, tenant_id), queries->digest_row);
}

/*
 * DigestExposures
 *		The experiment's exposures in the window: those of the periods
 *		rolled up that it may read from their rollups, the rest from the
 *		exposure rows. A unit's exposures counted twice would change
 *		nothing; none is missed (src/events/rollups.sql). When a period's
 *		rollup alone holds more of the experiment's units than memory could
 *		(CertainToSpill), the pass spills before the first row, and the
 *		rollups' own rows are read partition by partition as the spill is
 *		read back (ReadDeferred): they never go to a tape. Called connected
 *		to SPI.
 */
static void
DigestExposures(DailyMetrics *state, int64 experiment_id, TimestampTz since, TimestampTz until,
				Datum tenant_id)
{
	static SPIPlanPtr deferred_plan = NULL;
	RolledUpQueries queries = {exposures_query, rolled_up_exposures_query, rollup_changes_query,
	DigestExposure, DigestRolledUp};
	uint64		nperiods;
	uint64		rolled_up_units;	/* at least, in the periods read */
	TimestampTz *periods = RolledUpPeriods(rollup_periods_query, experiment_id, since, until,
										   &nperiods, &rolled_up_units);
	bool		defer;

	if (state->spill == NULL && CertainToSpill(state, rolled_up_units))
	{
		elog(DEBUG1, "the rollups hold at least " UINT64_FORMAT " units, more than work_mem could: spilling from the first row",
			 rolled_up_units);
		Spill(state);
	}
	/* spilling from the first row: the rollups' units wait for their partitions */
	defer = nperiods > 0 && state->spill != NULL;
	DigestRolledUpWindow(state, &queries, periods, nperiods, defer, experiment_id, since, until, tenant_id);
	if (defer)
		state->deferred_exposures = NewDeferredRead(state, deferred_exposures_query, &deferred_plan, experiment_id,
													periods, (int) nperiods,
													DT_NOBEGIN, DT_NOEND, DigestRolledUp);
}

/*
 * DigestGoals
 *		The goal events of the experiment's tenant and unit type in the
 *		window, into digest: those of the periods rolled up from their
 *		rollups, the rest from the goal rows. Once the units spill, the
 *		rollups' rows are read partition by partition as the spill is read
 *		back, after each partition's tape (ReadDeferred): they never go to a
 *		tape. Called connected to SPI, by the top level of a pass.
 */
static void
DigestGoals(DailyMetrics *state, int64 experiment_id, TimestampTz since, TimestampTz until, Datum tenant_id,
			void (*digest) (DailyMetrics *state, const PendingRow *row))
{
	static SPIPlanPtr deferred_plan = NULL;
	RolledUpQueries queries = {goals_query, rolled_up_goals_query, goal_changes_query, digest, digest};
	uint64		nperiods;
	TimestampTz *periods = RolledUpPeriods(goal_periods_query, experiment_id, since, until, &nperiods, NULL);
	bool		defer = nperiods > 0 && state->spill != NULL;

	DigestRolledUpWindow(state, &queries, periods, nperiods, defer, experiment_id, since, until, tenant_id);
	if (defer)
		state->deferred_goals = NewDeferredRead(state, deferred_goals_query, &deferred_plan, experiment_id,
												periods, (int) nperiods,
												since, until, digest);
}

/*
 * ResultsSettingsInit
 *		Defines experiments.read_exposure_rollups: on, results read the
 *		exposure and goal rollups maintenance makes; off, every exposure and
 *		goal row, with the same answers (which the tests compare).
 */
void
ResultsSettingsInit(void)
{
	DefineCustomBoolVariable("experiments.read_exposure_rollups",
							 "Whether results read the exposure and goal rollups that maintenance makes.",
							 "Off: they read every exposure and goal row instead, and answer the same.",
							 &read_exposure_rollups, true, PGC_USERSET, 0, NULL, NULL, NULL);
}

/*
 * InitPass
 *		An empty pass, its memory bounded by work_mem times
 *		hash_mem_multiplier, as PostgreSQL bounds a hash table's.
 */
static void
InitPass(DailyMetrics *state)
{
	MemoryContext old_context;

	state->context = AllocSetContextCreate(CurrentMemoryContext, "daily_metrics", ALLOCSET_DEFAULT_SIZES);
	state->units_context = AllocSetContextCreate(state->context, "daily_metrics units", ALLOCSET_DEFAULT_SIZES);
	state->budget = get_hash_memory_limit();
	ResetUnits(state, 0);
	old_context = MemoryContextSwitchTo(state->context);
	state->revenue_name = cstring_to_text("revenue");
	MemoryContextSwitchTo(old_context);
	state->groups = groups_create(state->context, 256, NULL);
	state->metrics = MemoryContextAlloc(state->context, sizeof(Metric));
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
	key->read_rollups = read_exposure_rollups;
	return snapshot->snapshot_type == SNAPSHOT_MVCC &&
		kept.lxid == key->lxid && kept.subxid == key->subxid &&
		kept.experiment_id == key->experiment_id && kept.since == key->since && kept.until == key->until &&
		kept.xmin == key->xmin && kept.xmax == key->xmax && kept.curcid == key->curcid &&
		kept.xcnt == key->xcnt && kept.subxcnt == key->subxcnt && kept.suboverflowed == key->suboverflowed &&
		(key->xcnt == 0 || memcmp(kept.xip, key->xip, sizeof(TransactionId) * key->xcnt) == 0) &&
		(key->subxcnt <= 0 || memcmp(kept.subxip, key->subxip, sizeof(TransactionId) * key->subxcnt) == 0) &&
		kept.user_id == key->user_id && strcmp(kept.tenant, key->tenant) == 0 &&
		kept.read_rollups == key->read_rollups;
}

/*
 * NewKeptCall
 *		Makes key's own copies of what it points to (the snapshot's
 *		transaction ids, the tenant) in a new context under
 *		TopTransactionContext, for rows about to be kept; the kept call of
 *		this transaction, which they replace, is freed, one of an earlier
 *		transaction is gone already.
 */
static void
NewKeptCall(KeptCall *key)
{
	MemoryContext context;
	TransactionId *xip;
	TransactionId *subxip;

	if (kept.lxid == key->lxid)
		MemoryContextDelete(kept.context);
	kept.lxid = InvalidLocalTransactionId;
	context = AllocSetContextCreate(TopTransactionContext, "daily_metrics rows", ALLOCSET_SMALL_SIZES);
	xip = MemoryContextAlloc(context, sizeof(TransactionId) * key->xcnt + 1);
	if (key->xcnt > 0)
		memcpy(xip, key->xip, sizeof(TransactionId) * key->xcnt);
	subxip = MemoryContextAlloc(context, sizeof(TransactionId) * Max(key->subxcnt, 0) + 1);
	if (key->subxcnt > 0)
		memcpy(subxip, key->subxip, sizeof(TransactionId) * key->subxcnt);
	key->xip = xip;
	key->subxip = subxip;
	key->tenant = MemoryContextStrdup(context, key->tenant);
	key->context = context;
	key->units = NULL;
	key->units_context = NULL;
}

/*
 * KeepGroups
 *		The output groups of a pass as the rows of daily_metrics() (kind,
 *		metric, ordinal, day, units, value_sum, value_square_sum, first_at,
 *		last_at), into key's context: daily_metrics() returns them, now or
 *		when called again with the same key.
 */
static void
KeepGroups(DailyMetrics *state, KeptCall *key)
{
	MemoryContext old_context = MemoryContextSwitchTo(key->context);
	TupleDesc	desc = CreateTemplateTupleDesc(9);
	Oid			types[9] = {TEXTOID, TEXTOID, INT4OID, DATEOID, INT8OID, FLOAT8OID, FLOAT8OID,
	TIMESTAMPTZOID, TIMESTAMPTZOID};
	groups_iterator groups;
	GroupEntry *group;

	for (int i = 0; i < 9; i++)
		TupleDescInitEntry(desc, (AttrNumber) (i + 1), NULL, types[i], -1, 0);
	key->nrows = 0;
	key->rows = palloc(sizeof(HeapTuple) * Max(state->groups->members, 1));
	groups_start_iterate(state->groups, &groups);
	while ((group = groups_iterate(state->groups, &groups)) != NULL)
	{
		Metric	   *metric = group->key.metric == EXPOSURES_METRIC ? NULL : &state->metrics[group->key.metric];
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
		key->rows[key->nrows++] = heap_form_tuple(desc, values, nulls);
	}
	MemoryContextSwitchTo(old_context);
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
	KeptCall	key;

	InitMaterializedSRF(fcinfo, 0);
	if (!KeepCall(&key, fcinfo))
	{
		InitPass(&state);
		state.count_partition = CountUnits;
		SPI_connect();
		params = EventQueryParams(PG_GETARG_INT64(0), PG_GETARG_TIMESTAMPTZ(1), PG_GETARG_TIMESTAMPTZ(2),
								  ExperimentTenant(PG_GETARG_INT64(0)));
		DigestExposures(&state, PG_GETARG_INT64(0), PG_GETARG_TIMESTAMPTZ(1), PG_GETARG_TIMESTAMPTZ(2),
						params->params[3].value);
		DigestGoals(&state, PG_GETARG_INT64(0), PG_GETARG_TIMESTAMPTZ(1), PG_GETARG_TIMESTAMPTZ(2),
					params->params[3].value, DigestGoal);
		Digest(&state, transactions_query, params, DigestTransaction);
		SPI_finish();
		if (state.spill != NULL)
			DrainSpill(&state);
		CountUnits(&state);
		if (state.tapes != NULL)
			LogicalTapeSetClose(state.tapes);
		NewKeptCall(&key);
		KeepGroups(&state, &key);

		/*
		 * The table of units stays, for metric_statistics() (see the file
		 * header), unless it spilled: then no table holds every unit.
		 */
		if (state.tapes == NULL)
		{
			MemoryContextSetParent(state.context, key.context);
			key.units = state.units;
			key.units_context = state.context;
		}
		else
			MemoryContextDelete(state.context);
		kept = key;
	}
	for (int i = 0; i < kept.nrows; i++)
		tuplestore_puttuple(rsinfo->setResult, kept.rows[i]);
	return (Datum) 0;
}

/*
 * metric_statistics(): the per-variant sums that the results of the metric
 * catalog (experiments.metric_results(), src/results/metric_results.sql) are
 * computed from.
 *
 * Its rows go through the same records and partitions as daily_metrics()'s
 * (see the file header), so that its memory is bounded the same way: the
 * exposures, then the breakdown's attribute (metric_breakdown()), then one
 * query per distinct event source of the metrics attached to the experiment
 * that is not folded (below), then the goals, in one read from the start of
 * the pre-period. A source whose events and values are those of a goal as
 * daily_metrics() reads it (the goal counted, or its value property) or of
 * revenue (every transaction counted, or its revenue) is folded: its events
 * are applied from that goal's or transaction's one record (ApplyMetricEvent)
 * rather than from a record of their own; another goal source gets a record
 * per event from the same read of the goals, with its property as the value.
 * Goals no metric of the tenant reads are the implicit proportion metrics,
 * counted as experiment_results() counts them. Unless the rows of
 * daily_metrics() for the same window are kept in this snapshot, the pass
 * counts those rows too as each partition is done (EmitAndCountUnits), and
 * keeps them (see the file header); the transactions are read once, from
 * the pre-period on when a source is folded into them.
 *
 * As a partition's records are read, each unit's values are worked out
 * after its name (its variant, its hits, then per value: CopyName, NameKept),
 * and with a breakdown its attribute value in an array beside the table
 * (indexed by the unit's bucket, which does not move once the exposures are
 * read; the budget counts it before the table grows): per metric part, the
 * sum of its events in the conversion window after the unit's first
 * exposure and, as the CUPED covariate, of those in the pre-period before
 * it; the latest value of the attribute set at or before its first
 * exposure. Once every record of the partition is read, each unit (without
 * a breakdown, walked through the names in the order they came, which the
 * CPU reads ahead by itself) is summed into its variant's cell of every
 * metric that needs no other unit first, and its conversions counted for
 * the implicit metrics; a quantile metric's
 * value goes to its variant's ordered values (ordered_values.c: counted per
 * distinct value, sorted past work_mem).
 *
 * A deferred metric needs every unit before any is summed: a percentile
 * cap is the quantile of the hit values of its part (ordered values, fed as
 * the units are emitted); the slices of a breakdown are the values with
 * the most units (every metric is then deferred). The units' values of the
 * deferred metrics (and with a breakdown the attribute value and
 * conversions) are written as rows to a tape, read back after the last
 * partition, capped and summed per slice and variant; with a breakdown, a
 * quantile metric's values go to one tuplesort by slice and variant. Each
 * cell's values are read back up to the ranks of the quantile and its
 * interval. Without a breakdown, most units need not wait for a percentile
 * cap: once the first partitions have given a sample of hit values, each
 * capped part has a floor the cap is all but certain to reach (CapFloor),
 * and a unit whose values are all at or below their floors, which no cap
 * at or above them changes, is summed as it is emitted; only the others go
 * to the tape. Should a cap come out below its floor after all, the pass
 * is made again with every unit waiting, so that the answers never depend
 * on the sample.
 */
PG_FUNCTION_INFO_V1(metric_statistics);

/* A metric's numerator (or only) part, and a ratio's denominator. */
#define MAX_PARTS 2

/* The most values of an attribute a breakdown reports on their own. */
#define MAX_SLICES 100

/*
 * A distinct event source of the metrics: a goal, whose events come from
 * the one read of the goals (DigestMetricGoal), or a query of its own.
 */
typedef struct EventSource
{
	text	   *goal;			/* the goal's name; NULL: not a goal */
	char	   *property;		/* a goal's numeric property that is the value; NULL: none */
	char	   *query;			/* another source's (see EventQuery) */
	/*
	 * Folded: its events are those of a goal, or revenue, as daily_metrics()
	 * reads them, with their value or none, so that they are applied from
	 * that one record (ApplyMetricEvent) rather than from records of their
	 * own. A folded goal's metric number, once a row of it is digested.
	 */
	bool		folded;
	int32		metric;
	int		   *values;			/* the values (see MetricPart) read from it */
	int			nvalues;
} EventSource;

/*
 * A list of event sources by number: of a goal name, those not folded,
 * which get records of their own (DigestMetricGoal); of a goal's or
 * revenue's metric number, those folded into its records
 * (ApplyMetricEvent). Each is found once per pass, not per event.
 */
typedef struct SourceList
{
	int			n;
	int		   *sources;
} SourceList;

/* A goal's sources, by the goal's name (FindGoalSources). */
typedef struct GoalSources
{
	text	   *goal;			/* the name, copied */
	bool		folded;			/* some source is folded into its records */
	int32		metric;			/* its metric number once known; -1 before */
	SourceList	unfolded;
} GoalSources;

/* One event source of a metric, with the per-unit values read from it. */
typedef struct MetricPart
{
	int			source;			/* the number of its EventSource */
	int			number;			/* of its UnitPart among a unit's values, which
								 * parts of the same events, window and kind
								 * share (SameValues) */
	bool		indicator;		/* a proportion: 1 for a unit with an event */
	bool		counts;			/* a count: each event adds 1 */
	bool		covariate;		/* has a CUPED covariate */
	int64		window_start;	/* microseconds after the first exposure */
	int64		window_end;
	bool		window_open;	/* no window_end */
	char	   *cap_kind;		/* none, absolute or percentile */
	double		cap_value;
	double		cap;			/* the cap applied; NaN when none */
	OrderedValues *cap_values;	/* a percentile cap's hit values */
	/*
	 * A percentile cap's floor (CapFloor), -inf until set, and the sample of
	 * hit values it is set from; NULL once it is set, or when there is none
	 * to set (a breakdown, or a pass made again without floors).
	 */
	double		cap_floor;
	OrderedValues *floor_sample;
} MetricPart;

/* A metric attached to the experiment. */
typedef struct CatalogMetric
{
	int64		id;
	text	   *key;
	char	   *type;
	double		quantile;		/* a quantile metric's; NaN for another type */
	int			nparts;
	MetricPart	parts[MAX_PARTS];
	/*
	 * A quantile metric's values of units with events: with a breakdown,
	 * (cell, value) in one sort; else the values per cell (variant), cheaper
	 * to fill, and as many as a plan with a sort per variant.
	 */
	Tuplesortstate *quantile_sort;
	OrderedValues **cell_values;
	int			ncell_values;
	/*
	 * Deferred: summed once every unit is read, from the units' rows, as a
	 * percentile cap or a breakdown's slices need every unit first; else
	 * summed as each unit is emitted.
	 */
	bool		deferred;
} CatalogMetric;

/*
 * A value of a breakdown's attribute. Units number their value rather than
 * point to it, which would take twice the room.
 */
typedef struct LabelEntry
{
	const text *name;			/* packed varlena, in the call's context */
	uint32		hash;
	int32		number;
	char		status;
} LabelEntry;

#define SH_PREFIX labels
#define SH_ELEMENT_TYPE LabelEntry
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

/* The sums of one metric, slice and variant, as metric_statistics() returns them. */
typedef struct MetricSums
{
	int64		units;
	int64		event_units;
	double		sum;
	double		square_sum;
	int64		denominator_event_units;
	double		denominator_sum;
	double		denominator_square_sum;
	double		cross_sum;
	double		covariate_sum;
	double		covariate_square_sum;
	double		covariate_cross_sum;
	int64		quantile_n;		/* a quantile metric's units with events */
	double		quantile_at[4];	/* its values at the ranks QuantileRanks names */
} MetricSums;

/*
 * A unit's deferred row: this head, a UnitPart per value the deferred
 * metrics read, then with a breakdown the metric of each of its conversions
 * (int32, a goal or revenue): the implicit metrics are counted from them.
 */
typedef struct UnitHead
{
	int32		ordinal;
	int32		label;			/* > 0: a value of the attribute */
	int32		nconverted;
} UnitHead;

typedef struct UnitPart
{
	double		value;
	double		covariate;
	bool		hit;
	bool		covariate_hit;
} UnitPart;

/*
 * A unit's values as they are kept after its name, in fewer bytes than
 * UnitParts, for the walks over them wait on memory: after its variant
 * (NameOrdinal), its hits, two bits a value in words of 32 (an event in the
 * value's window, one in its pre-period), then each value, a double at
 * value_at[v] from the variant (NameKept), followed by its covariate when
 * some part of the value has one (ApplyToParts, UnpackValues).
 */
#define NameKept(name) ((char *) NameOrdinal(name))
#define NameHits(name) ((uint32 *) (NameOrdinal(name) + 1))
#define VALUE_HIT(v) ((uint32) 1 << (2 * ((v) % 16)))
#define VALUE_COVARIATE_HIT(v) ((uint32) 2 << (2 * ((v) % 16)))
#define HIT_WORDS(nvalues) (((nvalues) + 15) / 16)

/*
 * Everything one call builds: a DailyMetrics first, so that the receiver,
 * the records and the spilling of daily_metrics() serve it too.
 */
typedef struct MetricState
{
	DailyMetrics base;
	CatalogMetric *metrics;
	int			nmetrics;
	MetricPart **parts;			/* every part of every metric */
	int			nparts;
	MetricPart **value_parts;	/* by value number, the first part of it */
	bool	   *value_deferred; /* some deferred metric reads it */
	int			nvalues;
	Size	   *value_at;		/* by value number, its place from a unit's variant */
	bool	   *value_covariate;	/* some part of the value has a covariate */
	UnitPart   *emit_parts;		/* the unit EmitUnit sums, unpacked */
	/* what UnpackValues, EmitUnit, UnderFloors and SumUnit go through per unit, listed once per pass (ReadCatalog) */
	int		   *indicator_values;	/* numbers of the values of proportions */
	int			nindicator_values;
	MetricPart **capped_parts;	/* the parts with a percentile cap */
	int			ncapped_parts;
	int		   *now_metrics;	/* the metrics not deferred */
	int			nnow_metrics;
	int		   *deferred_metrics;
	int			ndeferred_metrics;
	EventSource *sources;		/* of all parts, each once */
	int			nsources;
	GoalSources *goal_sources;	/* of the goals read so far */
	uint32		ngoal_sources;
	uint32		goal_sources_size;
	NameIndex	goal_index;		/* of goal_sources */
	SourceList *folded_sources; /* by metric number; NULL sources: not known yet */
	uint32		folded_sources_size;
	int			source;			/* the number of the source being read */
	TimestampTz since;			/* of the exposures, and of the events daily_metrics() counts */
	int64		pre_period;		/* microseconds; 0: no covariate */
	/* A breakdown's attribute values, numbered from 1 as first read. */
	bool		breakdown;
	labels_hash *labels;
	const text **label_names;	/* by number - 1 */
	uint32		nlabels;
	uint32		labels_size;
	int64	   *label_units;	/* by number: units with it */
	uint32		label_units_size;
	/* per bucket of the table of the partition in memory (values: NameKept) */
	int32	   *unit_labels;	/* the unit's value; 0 JSON null, -1 none */
	TimestampTz *unit_label_at; /* when it was set */
	/* the goals a metric of the tenant reads, not implicit metrics */
	text	  **read_goals;
	int			nread_goals;
	/* the sums per metric and cell (slice and variant), implicit metrics' too */
	MetricSums *sums;			/* by metric * ncells + cell */
	int64	   *implicit;		/* by goal or revenue * ncells + cell */
	int64	   *cell_units;
	int64	   *zero_units;		/* of those, units without an event (SumZeroUnits) */
	int			ncells;
	int			nordinals;		/* the cells of a slice */
	UnitPart   *unit_parts;		/* a deferred row's values, by value number */
	TupleDesc	quantile_desc;	/* cell, value */
	TupleTableSlot *quantile_slot;
	/* a row per unit, if some metric is deferred (EmitUnits), on a tape */
	LogicalTapeSet *row_tapes;
	LogicalTape *unit_rows;
	bool		rows_deferred;
	bool		floors;			/* percentile caps get floors (CapFloor): no
								 * breakdown, nor a pass made again */
} MetricState;

/* The attached metrics, each of its parts a row, numerator first. */
static const char *const catalog_query =
"SELECT m.id, m.key, m.type, m.quantile, d.type, d.source, d.event, d.aggregation, d.property,"
" (extract(epoch FROM d.window_start) * 1000000)::int8, (extract(epoch FROM d.window_end) * 1000000)::int8,"
" d.cap, d.cap_value"
" FROM experiments.experiment_metrics em"
" JOIN experiments.metrics m ON m.id = em.metric_id AND m.tenant_id = em.tenant_id"
" CROSS JOIN LATERAL (VALUES (0, coalesce(m.numerator_id, m.id)), (1, m.denominator_id)) p(part, id)"
" JOIN experiments.metrics d ON d.id = p.id AND d.tenant_id = m.tenant_id"
" WHERE em.experiment_id = $1"
" ORDER BY m.id, p.part";

/* The goals some metric of the tenant reads; the others are implicit metrics. */
static const char *const read_goals_query =
"SELECT DISTINCT m.event FROM experiments.metrics m"
" WHERE m.tenant_id = $1 AND m.source = 'goal' AND m.event IS NOT NULL";

/*
 * EventQuery
 *		The query of an event source other than a goal (whose events come
 *		from the one read of the goals, DigestMetricGoal): the unit, the
 *		event's time and its value (NULL for a count, or when the event has
 *		no numeric value). Names are literals, quoted; the catalog's trigger
 *		has checked that a transaction's property is one of its columns.
 */
static char *
EventQuery(const char *source, const char *event, const char *property)
{
	StringInfoData query;
	const char *table = strcmp(source, "transaction") == 0 ? "transactions" :
		strcmp(source, "action") == 0 ? "actions" :
		strcmp(source, "custom") == 0 ? "custom_events" : "visits";

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT e.visitor_id, e.occurred_at, %s%s::float8 FROM experiments.%s e"
					 " WHERE e.tenant_id = $4 AND e.occurred_at >= $2 AND e.occurred_at < $3",
					 property ? "e." : "NULL", property ? quote_identifier(property) : "", table);
	if (event)
		appendStringInfo(&query, " AND e.name = %s", quote_literal_cstr(event));
	return query.data;
}

/*
 * AttributeQuery
 *		The query of a breakdown's attribute: the unit, when the attribute
 *		was set, and its value as text (a JSON string's characters, another
 *		value's JSON text; NULL for JSON null). Attributes set before since
 *		count too: a unit keeps the value it had at its first exposure,
 *		however long before it was set.
 */
static char *
AttributeQuery(const char *attribute)
{
	return psprintf("SELECT a.unit, a.set_at, CASE jsonb_typeof(a.value) WHEN 'string' THEN a.value #>> '{}'"
					" WHEN 'null' THEN NULL ELSE a.value::text END FROM experiments.attribute_events a"
					" WHERE a.tenant_id = $4 AND a.set_at < $3 AND a.name = %s"
					" AND a.unit_type = " EXPERIMENT_UNIT_TYPE,
					quote_literal_cstr(attribute));
}

/*
 * FindLabel
 *		The number of a value of the attribute, a new one (its name copied
 *		into the call's context, as labels outlive partitions) the first time.
 */
static int32
FindLabel(MetricState *state, const text *name)
{
	bool		found;
	LabelEntry *label = labels_insert_hash(state->labels, name, NameHash(name), &found);

	if (!found)
	{
		label->name = memcpy(MemoryContextAlloc(state->base.context, VARSIZE_ANY(name)), name, VARSIZE_ANY(name));
		label->number = (int32) ++state->nlabels;
		state->label_names = Grow(state->label_names, &state->labels_size, state->nlabels - 1,
								  sizeof(const text *));
		state->label_names[state->nlabels - 1] = label->name;
	}
	return label->number;
}

/*
 * CompareLabels
 *		Byte order of two values' names (text order under the C collation);
 *		JSON null (0) first.
 */
static int
CompareLabels(MetricState *state, int32 a, int32 b)
{
	const text *x;
	const text *y;
	int			cmp;

	if (a == 0 || b == 0)
		return (a != 0) - (b != 0);
	x = state->label_names[a - 1];
	y = state->label_names[b - 1];
	cmp = memcmp(VARDATA_ANY(x), VARDATA_ANY(y), Min(VARSIZE_ANY_EXHDR(x), VARSIZE_ANY_EXHDR(y)));
	return cmp != 0 ? cmp : (VARSIZE_ANY_EXHDR(x) > VARSIZE_ANY_EXHDR(y)) - (VARSIZE_ANY_EXHDR(x) < VARSIZE_ANY_EXHDR(y));
}

/*
 * PrepareArrays
 *		Once the exposures of the table of units in memory are read, the
 *		table no longer grows, nor spills (frozen): with a breakdown, its
 *		per-bucket arrays of labels (none yet). The values are the units'
 *		own (NameKept), zeroed as each unit came.
 */
static void
PrepareArrays(MetricState *state)
{
	Size		size = state->base.units->size;
	MemoryContext context = state->base.units_context;

	/* frozen: made for this table already; a new table (ResetUnits) is not */
	if (state->base.frozen)
		return;
	state->base.frozen = true;
	if (state->breakdown)
	{
		state->unit_labels = MemoryContextAllocHuge(context, sizeof(int32) * size);
		memset(state->unit_labels, -1, sizeof(int32) * size);
		state->unit_label_at = MemoryContextAllocHuge(context, sizeof(TimestampTz) * size);
	}
}

/*
 * ApplyToParts
 *		An event of a source, of a unit in memory, into each value read from
 *		that source: added to the value when in its conversion window after
 *		the unit's first exposure, to the value's covariate, when one of its
 *		parts has one, when in the pre-period before it.
 */
static void
ApplyToParts(MetricState *state, int source, const UnitEntry *unit, TimestampTz at,
			 double value, bool has_value)
{
	EventSource *read = &state->sources[source];
	uint32	   *hits = NameHits(unit->name);
	char	   *kept = NameKept(unit->name);

	for (int k = 0; k < read->nvalues; k++)
	{
		int			v = read->values[k];
		MetricPart *part = state->value_parts[v];
		double	   *values = (double *) (kept + state->value_at[v]);
		double		x = part->counts ? 1.0 : has_value ? value : 0.0;
		int64		since = at - unit->first_at;

		if (at >= unit->first_at)
		{
			if (since >= part->window_start && (part->window_open || since < part->window_end))
			{
				values[0] += x;
				hits[v / 16] |= VALUE_HIT(v);
			}
		}
		else if (state->value_covariate[v] && unit->first_at - at <= state->pre_period)
		{
			values[1] += x;
			hits[v / 16] |= VALUE_COVARIATE_HIT(v);
		}
	}
}

/*
 * ApplyMetricRecord
 *		A record of the attribute or of an event source, of a unit in
 *		memory. The attribute: the latest setting at or before the unit's
 *		first exposure is its value, the greatest value on a tie of times,
 *		so that the order the rows come in never matters. An event: into
 *		the parts of its source (ApplyToParts).
 */
static void
ApplyMetricRecord(DailyMetrics *base, const Record *record)
{
	MetricState *state = (MetricState *) base;
	UnitEntry  *unit = units_lookup_hash(base->units, record->unit, record->hash);
	Size		slot;
	TimestampTz at = record->first_at;

	if (unit == NULL)
		return;
	PrepareArrays(state);
	slot = unit - base->units->data;
	if (record->kind == RECORD_ATTRIBUTE)
	{
		if (at > unit->first_at)
			return;
		if (state->unit_labels[slot] < 0 || at > state->unit_label_at[slot] ||
			(at == state->unit_label_at[slot] && CompareLabels(state, record->number, state->unit_labels[slot]) > 0))
		{
			state->unit_labels[slot] = record->number;
			state->unit_label_at[slot] = at;
		}
		return;
	}
	Assert(record->kind == RECORD_SOURCE_EVENT);
	ApplyToParts(state, record->number, unit, at, record->value, record->has_value);
}

/*
 * FoldedSources
 *		The sources folded into the records of metric number, a goal's or
 *		revenue's, found the first time: a goal's are those whose metric
 *		DigestMetricGoal set to its number before it made any of its records.
 */
static SourceList *
FoldedSources(MetricState *state, int32 number)
{
	SourceList *list;
	bool		goal = state->base.metrics[number].kind == goal_kind;

	state->folded_sources = GrowZeroed(state->folded_sources, &state->folded_sources_size, number,
									   sizeof(SourceList));
	list = &state->folded_sources[number];
	if (list->sources != NULL)
		return list;
	list->sources = MemoryContextAlloc(state->base.context, sizeof(int) * Max(state->nsources, 1));
	for (int i = 0; i < state->nsources; i++)
	{
		EventSource *source = &state->sources[i];

		if (source->folded && (goal ? source->goal != NULL && source->metric == number : source->goal == NULL))
			list->sources[list->n++] = i;
	}
	return list;
}

/*
 * ApplyMetricEvent
 *		The apply_event of metric_statistics(): a goal or revenue event of a
 *		unit in memory, into the parts of the sources folded into it: with
 *		its value when the source has a property (a goal's value, a
 *		transaction's revenue), without when it counts events.
 */
static void
ApplyMetricEvent(DailyMetrics *base, UnitEntry *unit, const Record *record)
{
	MetricState *state = (MetricState *) base;
	SourceList *folded = FoldedSources(state, record->number);

	PrepareArrays(state);
	for (int k = 0; k < folded->n; k++)
	{
		int			i = folded->sources[k];

		ApplyToParts(state, i, unit, record->first_at, record->value,
					 record->has_value && state->sources[i].property != NULL);
	}
}

/*
 * CellValues
 *		A quantile metric's values in a cell, begun the first time, in the
 *		call's context.
 */
static OrderedValues *
CellValues(MetricState *state, CatalogMetric *metric, int cell)
{
	if (cell >= metric->ncell_values)
	{
		int			size = Max(cell + 1, 2 * metric->ncell_values);

		metric->cell_values = metric->cell_values == NULL ?
			MemoryContextAlloc(state->base.context, sizeof(OrderedValues *) * size) :
			repalloc(metric->cell_values, sizeof(OrderedValues *) * size);
		memset(metric->cell_values + metric->ncell_values, 0, sizeof(OrderedValues *) * (size - metric->ncell_values));
		metric->ncell_values = size;
	}
	if (metric->cell_values[cell] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(state->base.context);

		metric->cell_values[cell] = OrderedValuesBegin(work_mem);
		MemoryContextSwitchTo(old);
	}
	return metric->cell_values[cell];
}

/*
 * SumMetric
 *		One unit's parts into the sums of a metric in its cell (slice and
 *		variant), its values capped; a quantile metric's value of a unit
 *		with events into the metric's sort.
 */
static inline void
SumMetric(MetricState *state, CatalogMetric *metric, MetricSums *s, const UnitPart *parts, int cell)
{
	const UnitPart *numerator = &parts[metric->parts[0].number];
	double		cap = metric->parts[0].cap;
	double		x = isnan(cap) ? numerator->value : Min(numerator->value, cap);

	s->units++;
	s->event_units += numerator->hit;
	s->sum += x;
	s->square_sum += x * x;
	if (metric->nparts > 1)
	{
		const UnitPart *denominator = &parts[metric->parts[1].number];
		double		dcap = metric->parts[1].cap;
		double		y = isnan(dcap) ? denominator->value : Min(denominator->value, dcap);

		s->denominator_event_units += denominator->hit;
		s->denominator_sum += y;
		s->denominator_square_sum += y * y;
		s->cross_sum += x * y;
	}
	if (metric->parts[0].covariate)
	{
		double		c = isnan(cap) ? numerator->covariate : Min(numerator->covariate, cap);

		s->covariate_sum += c;
		s->covariate_square_sum += c * c;
		s->covariate_cross_sum += x * c;
	}
	if (metric->quantile_sort != NULL && numerator->hit)
	{
		TupleTableSlot *slot = state->quantile_slot;

		ExecClearTuple(slot);
		slot->tts_values[0] = Int32GetDatum(cell);
		slot->tts_values[1] = Float8GetDatum(x);
		slot->tts_isnull[0] = slot->tts_isnull[1] = false;
		ExecStoreVirtualTuple(slot);
		tuplesort_puttupleslot(metric->quantile_sort, slot);
		s->quantile_n++;
	}
	else if (!isnan(metric->quantile) && numerator->hit)
	{
		OrderedValuesAdd(CellValues(state, metric, cell), x);
		s->quantile_n++;
	}
}

/*
 * SumUnit
 *		One unit's parts into the sums of its cell of the metrics not
 *		deferred (now) and of those deferred, as asked (SumMetric); each
 *		kind from its list, so that no metric is tested per unit.
 */
static void
SumUnit(MetricState *state, const UnitPart *parts, int cell, bool now, bool deferred)
{
	for (int k = 0; now && k < state->nnow_metrics; k++)
	{
		int			i = state->now_metrics[k];

		SumMetric(state, &state->metrics[i], &state->sums[i * state->ncells + cell], parts, cell);
	}
	for (int k = 0; deferred && k < state->ndeferred_metrics; k++)
	{
		int			i = state->deferred_metrics[k];

		SumMetric(state, &state->metrics[i], &state->sums[i * state->ncells + cell], parts, cell);
	}
}

/*
 * SumZeroUnits
 *		The units without an event of each cell into its sums, all at once
 *		once the caps are known: every value of such a unit is 0, capped as
 *		SumUnit caps it, none a hit, so none in a quantile's values.
 */
static void
SumZeroUnits(MetricState *state)
{
	for (int cell = 0; cell < state->ncells; cell++)
	{
		double		n = (double) state->zero_units[cell];

		for (int i = 0; i < state->nmetrics && n > 0; i++)
		{
			CatalogMetric *metric = &state->metrics[i];
			MetricSums *s = &state->sums[i * state->ncells + cell];
			double		cap = metric->parts[0].cap;
			double		x = isnan(cap) ? 0.0 : Min(0.0, cap);

			s->units += state->zero_units[cell];
			s->sum += n * x;
			s->square_sum += n * x * x;
			if (metric->nparts > 1)
			{
				double		dcap = metric->parts[1].cap;
				double		y = isnan(dcap) ? 0.0 : Min(0.0, dcap);

				s->denominator_sum += n * y;
				s->denominator_square_sum += n * y * y;
				s->cross_sum += n * x * y;
			}
			if (metric->parts[0].covariate)
			{
				s->covariate_sum += n * x;
				s->covariate_square_sum += n * x * x;
				s->covariate_cross_sum += n * x * x;
			}
		}
	}
}

/*
 * EnsureCells
 *		Sums for at least ncells cells per metric, zero when new; those of
 *		cells counted already keep their place in their metric's row.
 */
static void
EnsureCells(MetricState *state, int ncells)
{
	int			old = state->ncells;
	uint32		ngoals = Max(state->base.nmetrics, 1);
	int			nmetrics = Max(state->nmetrics, 1);
	MetricSums *sums;
	int64	   *implicit;
	int64	   *cell_units;
	int64	   *zero_units;

	if (ncells <= old)
		return;
	ncells = Max(ncells, 2 * old);
	sums = MemoryContextAllocZero(state->base.context, sizeof(MetricSums) * nmetrics * ncells);
	implicit = MemoryContextAllocZero(state->base.context, sizeof(int64) * ngoals * ncells);
	cell_units = MemoryContextAllocZero(state->base.context, sizeof(int64) * ncells);
	zero_units = MemoryContextAllocZero(state->base.context, sizeof(int64) * ncells);
	for (int i = 0; i < nmetrics && old > 0; i++)
		memcpy(&sums[i * ncells], &state->sums[i * old], sizeof(MetricSums) * old);
	for (uint32 i = 0; i < ngoals && old > 0; i++)
		memcpy(&implicit[i * ncells], &state->implicit[i * old], sizeof(int64) * old);
	if (old > 0)
	{
		memcpy(cell_units, state->cell_units, sizeof(int64) * old);
		memcpy(zero_units, state->zero_units, sizeof(int64) * old);
		pfree(state->sums);
		pfree(state->implicit);
		pfree(state->cell_units);
		pfree(state->zero_units);
	}
	state->sums = sums;
	state->implicit = implicit;
	state->cell_units = cell_units;
	state->zero_units = zero_units;
	state->ncells = ncells;
}

/*
 * The sample a percentile cap's floor is set from: the hit values of the
 * first partitions emitted, once they are at least FLOOR_SAMPLE_MIN, at most
 * FLOOR_SAMPLE_SIZE of them, counted in FLOOR_SAMPLE_KB.
 */
#define FLOOR_SAMPLE_MIN 256
#define FLOOR_SAMPLE_SIZE 8192
#define FLOOR_SAMPLE_KB 512

/*
 * The chance, at most, that a floor is above its cap, when a partition's
 * units are a sample that their values do not decide (which units share
 * their hashes' bits). Even then the answers are right: the pass is made
 * again without floors (metric_statistics()).
 */
#define FLOOR_RISK 1e-9

static int64 QuantileLow(int64 n, double p);

/*
 * CapFloor
 *		Sets a percentile cap's floor from its sample of n hit values: their
 *		quantile at cap_value less sqrt(ln(2 / FLOOR_RISK) / 2n), by the
 *		Dvoretzky-Kiefer-Wolfowitz inequality the most the sample's
 *		distribution is off the units' but with chance FLOOR_RISK, the lower
 *		value at that rank; none (-inf) when that quantile is not above 0.
 */
static void
CapFloor(MetricPart *part)
{
	int64		n = OrderedValuesCount(part->floor_sample);
	double		p = part->cap_value - sqrt(log(2 / FLOOR_RISK) / (2.0 * n));

	if (p > 0)
	{
		OrderedValuesSort(part->floor_sample);
		part->cap_floor = OrderedValuesAt(part->floor_sample, QuantileLow(n, p));
		elog(DEBUG1, "a percentile cap's floor is %g, from " INT64_FORMAT " hit values", part->cap_floor, n);
	}
	OrderedValuesEnd(part->floor_sample);
	part->floor_sample = NULL;
}

/*
 * UnderFloors
 *		Whether no percentile cap at or above its floor changes a unit's
 *		values: each of a capped part, and its covariate, at or below the
 *		part's floor. Such a unit is summed as it is emitted.
 */
static bool
UnderFloors(MetricState *state, const UnitPart *parts)
{
	for (int i = 0; i < state->ncapped_parts; i++)
	{
		MetricPart *part = state->capped_parts[i];
		const UnitPart *values = &parts[part->number];

		if (!(values->value <= part->cap_floor) || (part->covariate && !(values->covariate <= part->cap_floor)))
			return false;
	}
	return true;
}

/*
 * How many buckets ahead of the unit it sums EmitUnits prefetches a unit's
 * values, when it walks the table (with a breakdown): the walk goes by
 * bucket, the values lie in the order units came.
 */
#define EMIT_PREFETCH_DISTANCE 8

/* The bytes of a unit's name of at most 12 bytes and what follows it. */
#define SHORT_NAME_SPAN(base) (MAXALIGN(VARHDRSZ + 12) + (base)->name_extra)

/*
 * UnpackValues
 *		A unit's values, from where they are kept after its name, into
 *		emit_parts, as EmitUnit sums them; whether it has an event in any.
 *		Without one every value is 0, and without a breakdown nothing is
 *		unpacked: the unit is only counted (SumZeroUnits).
 */
static bool
UnpackValues(MetricState *state, const text *name)
{
	const uint32 *hits = NameHits(name);
	const char *kept = NameKept(name);
	uint32		any = 0;

	for (int w = 0; w < HIT_WORDS(state->nvalues); w++)
		any |= hits[w];
	if (any == 0 && !state->breakdown)
		return false;
	for (int v = 0; v < state->nvalues; v++)
	{
		const double *values = (const double *) (kept + state->value_at[v]);

		state->emit_parts[v].value = values[0];
		state->emit_parts[v].covariate = state->value_covariate[v] ? values[1] : 0.0;
		state->emit_parts[v].hit = (hits[v / 16] & VALUE_HIT(v)) != 0;
		state->emit_parts[v].covariate_hit = (hits[v / 16] & VALUE_COVARIATE_HIT(v)) != 0;
	}
	/* a proportion's value is 1 for a unit with an event in its window */
	for (int k = 0; k < state->nindicator_values; k++)
	{
		UnitPart   *part = &state->emit_parts[state->indicator_values[k]];

		part->value = part->hit;
		part->covariate = part->covariate_hit;
	}
	return any != 0;
}

/*
 * EmitUnit
 *		One unit of EmitUnits, all of whose records are read, by its name:
 *		counted in its variant's cell (without a breakdown), and unless it has
 *		no event (UnpackValues) its parts' values (a proportion's 0 or 1)
 *		summed into that cell for the
 *		metrics not deferred, and as a row on a tape (UnitHead, the deferred
 *		metrics' UnitParts, with a breakdown its conversions) when some are;
 *		hit values go to their part's percentile cap, and the unit to the
 *		count of its attribute value.
 */
static void
EmitUnit(MetricState *state, UnitHead head, const text *name, uint32 conversions)
{
	UnitPart   *parts = state->emit_parts;
	Conversion *conversion;
	bool		under_floors;

	state->nordinals = Max(state->nordinals, head.ordinal + 1);
	if (!state->breakdown)
	{
		EnsureCells(state, head.ordinal + 1);
		state->cell_units[head.ordinal]++;
	}
	/* a unit without events has every value 0: counted, summed by number */
	if (!UnpackValues(state, name) && !state->breakdown)
	{
		state->zero_units[head.ordinal]++;
		return;
	}
	for (int i = 0; i < state->ncapped_parts; i++)
	{
		MetricPart *part = state->capped_parts[i];

		if (parts[part->number].hit)
		{
			OrderedValuesAdd(part->cap_values, parts[part->number].value);
			if (part->floor_sample != NULL && OrderedValuesCount(part->floor_sample) < FLOOR_SAMPLE_SIZE)
				OrderedValuesAdd(part->floor_sample, parts[part->number].value);
		}
	}
	/* no cap can change the values: the deferred metrics are summed now too */
	under_floors = state->rows_deferred && state->floors && UnderFloors(state, parts);
	if (!state->breakdown)
		SumUnit(state, parts, head.ordinal, true, under_floors);
	if (state->rows_deferred && !under_floors)
	{
		if (state->unit_rows == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(state->base.context);

			state->row_tapes = LogicalTapeSetCreate(false, NULL, -1);
			state->unit_rows = LogicalTapeCreate(state->row_tapes);
			MemoryContextSwitchTo(old);
		}
		for (uint32 next = conversions; next != 0; next = conversion->next)
		{
			conversion = &state->base.conversions[next - 1];
			head.nconverted++;
		}
		LogicalTapeWrite(state->unit_rows, &head, sizeof(head));
		for (int v = 0; v < state->nvalues; v++)
			if (state->value_deferred[v])
				LogicalTapeWrite(state->unit_rows, &parts[v], sizeof(UnitPart));
		for (uint32 next = conversions; next != 0; next = conversion->next)
		{
			conversion = &state->base.conversions[next - 1];
			LogicalTapeWrite(state->unit_rows, &conversion->metric, sizeof(int32));
		}
	}
	if (head.label > 0)
	{
		state->label_units = GrowZeroed(state->label_units, &state->label_units_size, head.label, sizeof(int64));
		state->label_units[head.label]++;
	}
}

/*
 * EmitUnits
 *		The count_partition of metric_statistics(): each unit in memory, all
 *		of whose records are read, through EmitUnit. Without a breakdown,
 *		which needs no more of a unit than its variant and values, the walk
 *		goes through the names, in the order they were copied (CopyName),
 *		which the CPU reads ahead by itself; with one, it goes through the
 *		table, for the unit's attribute value and conversions by its bucket.
 */
static void
EmitUnits(DailyMetrics *base)
{
	MetricState *state = (MetricState *) base;

	PrepareArrays(state);
	if (!state->breakdown)
	{
		if (base->narena_blocks > 0)
			base->arena_blocks[base->narena_blocks - 1].end = base->arena;
		for (uint32 b = 0; b < base->narena_blocks; b++)
			for (char *name = base->arena_blocks[b].start; name < base->arena_blocks[b].end;
				 name += MAXALIGN(VARSIZE_ANY(name)) + base->name_extra)
			{
				UnitHead	head = {.ordinal = *NameOrdinal(name), .label = -1};

				CHECK_FOR_INTERRUPTS();
				EmitUnit(state, head, (const text *) name, 0);
			}
	}
	else
	{
		units_iterator iterator;
		UnitEntry  *unit;

		units_start_iterate(base->units, &iterator);
		while ((unit = units_iterate(base->units, &iterator)) != NULL)
		{
			UnitEntry  *ahead = &base->units->data[(iterator.cur - EMIT_PREFETCH_DISTANCE) & base->units->sizemask];
			UnitHead	head = {.ordinal = unit->ordinal,
			.label = state->unit_labels[unit - base->units->data]};

			CHECK_FOR_INTERRUPTS();

			/*
			 * The name and values of a unit a few buckets on (the walk goes
			 * down), soon needed: every cache line of a short name's span.
			 */
			if (ahead->status == units_SH_IN_USE)
			{
				const char *start = (const char *) ahead->name;

				for (Size offset = 0; offset < SHORT_NAME_SPAN(base); offset += PG_CACHE_LINE_SIZE)
					PrefetchMemory(start + offset);
				PrefetchMemory(start + SHORT_NAME_SPAN(base) - 1);
			}
			EmitUnit(state, head, unit->name, unit->conversions);
		}
	}
	/* without a breakdown, the conversions in their array's order: no chain to walk */
	for (uint32 i = 0; i < base->nconversions && !state->breakdown; i++)
	{
		Conversion *conversion = &base->conversions[i];

		state->implicit[conversion->metric * state->ncells + conversion->ordinal]++;
	}
	/* a sample of whole partitions, once it is large enough, sets a floor */
	for (int i = 0; i < state->nparts; i++)
		if (state->parts[i]->floor_sample != NULL &&
			OrderedValuesCount(state->parts[i]->floor_sample) >= FLOOR_SAMPLE_MIN)
			CapFloor(state->parts[i]);
}

/*
 * EmitAndCountUnits
 *		The count_partition of metric_statistics() when it counts the groups
 *		of daily_metrics() too: each unit in memory as a row (EmitUnits) and
 *		into its output groups (CountUnits).
 */
static void
EmitAndCountUnits(DailyMetrics *base)
{
	EmitUnits(base);
	CountUnits(base);
}

/*
 * DigestAttribute, DigestSourceEvent
 *		A row of the attribute (unit, set_at, value as text or NULL) or of an
 *		event source (unit, time, value or NULL), as a record of its unit.
 */
static void
DigestAttribute(DailyMetrics *base, const PendingRow *row)
{
	Record		record = {.unit = row->unit, .hash = row->hash, .kind = RECORD_ATTRIBUTE,
		.number = row->nulls[0] ? 0 : FindLabel((MetricState *) base, DatumGetTextPP(row->values[0])),
	.first_at = row->at, .last_at = row->at};

	Route(base, &record);
}

static void
DigestSourceEvent(DailyMetrics *base, const PendingRow *row)
{
	Record		record = {.unit = row->unit, .hash = row->hash, .kind = RECORD_SOURCE_EVENT,
		.number = ((MetricState *) base)->source, .first_at = row->at, .last_at = row->at,
		.value = row->nulls[0] ? 0 : DatumGetFloat8(row->values[0]), .has_value = !row->nulls[0]};

	Route(base, &record);
}

/*
 * FindGoalSources
 *		The sources of a goal, by its name: found among those of the goals
 *		read so far by the name's hash, as FindMetric finds a metric, and
 *		made from the metrics' sources the first time.
 */
static GoalSources *
FindGoalSources(MetricState *state, const text *name)
{
	uint32		hash = NameHash(name);
	uint32		slot = hash;
	int64		found;
	GoalSources *goal;

	while ((found = NameIndexNext(&state->goal_index, hash, &slot)) >= 0)
		if (NamesEqual(state->goal_sources[found].goal, name))
			return &state->goal_sources[found];
	NameIndexAdd(&state->goal_index, state->base.context, hash, state->ngoal_sources);
	state->goal_sources = Grow(state->goal_sources, &state->goal_sources_size, state->ngoal_sources,
							   sizeof(GoalSources));
	goal = &state->goal_sources[state->ngoal_sources++];
	goal->goal = memcpy(MemoryContextAlloc(state->base.context, VARSIZE_ANY(name)), name, VARSIZE_ANY(name));
	goal->folded = false;
	goal->metric = -1;
	goal->unfolded.n = 0;
	goal->unfolded.sources = MemoryContextAlloc(state->base.context, sizeof(int) * Max(state->nsources, 1));
	for (int i = 0; i < state->nsources; i++)
	{
		EventSource *source = &state->sources[i];

		if (source->goal == NULL || !NamesEqual(source->goal, name))
			continue;
		if (source->folded)
			goal->folded = true;
		else
			goal->unfolded.sources[goal->unfolded.n++] = i;
	}
	return goal;
}

/*
 * DigestMetricGoal
 *		A goal event (unit, achieved_at, goal, properties) of the read of the
 *		goals from the pre-period on: a record of each goal source of its
 *		goal that is not folded, with the source's property as its value;
 *		and the goal's record, as daily_metrics() digests it (DigestGoal),
 *		from since on, or from the pre-period on when a source is folded
 *		into it (only the events from a unit's first exposure on are
 *		counted for the implicit metrics and the groups).
 */
static void
DigestMetricGoal(DailyMetrics *base, const PendingRow *row)
{
	MetricState *state = (MetricState *) base;
	GoalSources *goal = FindGoalSources(state, DatumGetTextPP(row->values[0]));
	Record		record;

	for (int k = 0; k < goal->unfolded.n; k++)
	{
		int			i = goal->unfolded.sources[k];
		Record		source_record = {.unit = row->unit, .hash = row->hash, .kind = RECORD_SOURCE_EVENT,
		.number = i, .first_at = row->at, .last_at = row->at};

		if (state->sources[i].property != NULL)
			source_record.has_value = GoalProperty(row, state->sources[i].property, &source_record.value);
		Route(base, &source_record);
	}
	if (!goal->folded)
	{
		if (row->at >= state->since)
			DigestGoal(base, row);
		return;
	}
	if (base->spill == NULL && units_lookup_hash(base->units, row->unit, row->hash) == NULL)
		return;
	/* a goal's number, once found, is its number for the rest of the call */
	if (goal->metric < 0)
	{
		goal->metric = (int32) FindMetric(base, goal_kind, goal->goal);
		for (int i = 0; i < state->nsources; i++)
			if (state->sources[i].folded && state->sources[i].goal != NULL &&
				NamesEqual(state->sources[i].goal, goal->goal))
				state->sources[i].metric = goal->metric;
	}
	record = GoalRecordOf(row, goal->metric);
	Route(base, &record);
}

/* Order of values for the slices: most units first, then by name. */
typedef struct LabelCount
{
	int32		number;
	int64		units;
} LabelCount;

/*
 * CompareLabelCounts
 *		qsort_arg order of LabelCounts: most units first, then byte order.
 */
static int
CompareLabelCounts(const void *a, const void *b, void *arg)
{
	const LabelCount *x = (const LabelCount *) a;
	const LabelCount *y = (const LabelCount *) b;

	if (x->units != y->units)
		return x->units > y->units ? -1 : 1;
	return CompareLabels((MetricState *) arg, x->number, y->number);
}

/*
 * SliceOfLabels
 *		Each value's slice (by number; 0 for none): 1 to n for the max_slices
 *		values with the most units (ties by byte order), n + 1 for the other
 *		values. Returns n, and the values' names in names[1..n].
 */
static int
SliceOfLabels(MetricState *state, int max_slices, const text ***names, int16 **slice_of)
{
	LabelCount *counts = palloc0(sizeof(LabelCount) * (state->nlabels + 1));
	int			n = Min((int) state->nlabels, max_slices);

	*slice_of = palloc(sizeof(int16) * (state->nlabels + 1));
	for (uint32 i = 0; i <= state->nlabels; i++)
	{
		counts[i].number = (int32) i;
		counts[i].units = i < state->label_units_size ? state->label_units[i] : 0;
	}
	qsort_arg(counts + 1, state->nlabels, sizeof(LabelCount), CompareLabelCounts, state);
	*names = palloc(sizeof(const text *) * (n + 1));
	(*slice_of)[0] = 0;
	for (uint32 i = 1; i <= state->nlabels; i++)
	{
		(*slice_of)[counts[i].number] = (int16) Min((int) i, n + 1);
		if ((int) i <= n)
			(*names)[i] = state->label_names[counts[i].number - 1];
	}
	pfree(counts);
	return n;
}

/*
 * QuantileLow, InterpolatedQuantile
 *		The p quantile of n sorted values by linear interpolation between
 *		order statistics (Hyndman and Fan's type 7, numpy's default): the rank
 *		(from 0) of the lower of the two it falls between, and the quantile
 *		from the values at that rank and the next (the same at the last).
 */
static int64
QuantileLow(int64 n, double p)
{
	return Min((int64) floor((double) (n - 1) * p), n - 1);
}

static double
InterpolatedQuantile(int64 n, double p, double at_low, double at_next)
{
	int64		low = QuantileLow(n, p);

	if (low + 1 >= n)
		return at_low;
	return at_low + ((double) (n - 1) * p - (double) low) * (at_next - at_low);
}

/*
 * PercentileCap
 *		A part's percentile cap: the cap_value quantile of its hit values by
 *		InterpolatedQuantile; NaN without hits.
 */
static double
PercentileCap(MetricPart *part)
{
	int64		n = OrderedValuesCount(part->cap_values);
	int64		low = QuantileLow(n, part->cap_value);
	double		x;

	if (n == 0)
		return get_float8_nan();
	OrderedValuesSort(part->cap_values);
	x = OrderedValuesAt(part->cap_values, low);
	return InterpolatedQuantile(n, part->cap_value, x, low + 1 < n ? OrderedValuesAt(part->cap_values, low + 1) : x);
}

/*
 * QuantileRanks
 *		The ranks (from 0) of the values a quantile metric's row needs among
 *		the n of a cell, in order: the two the quantile interpolates between,
 *		and the bounds of its order-statistic interval at the critical value.
 */
static void
QuantileRanks(int64 n, double p, double critical, int64 ranks[4])
{
	double		center = n * p;
	double		spread = critical * sqrt(n * p * (1 - p));

	ranks[0] = QuantileLow(n, p);
	ranks[1] = Min(ranks[0] + 1, n - 1);
	ranks[2] = Min(Max((int64) floor(center - spread), 1), n) - 1;
	ranks[3] = Max(Min((int64) ceil(center + spread), n), 1) - 1;
}

/*
 * KeepQuantile
 *		The value at index (from 0) in its cell's order, kept if it is at one
 *		of the ranks QuantileRanks names.
 */
static void
KeepQuantile(MetricSums *sums, const int64 ranks[4], int64 index, double value)
{
	for (int r = 0; r < 4; r++)
		if (ranks[r] == index)
			sums->quantile_at[r] = value;
}

/*
 * QuantileCells
 *		Reads a quantile metric's values in order, of its cells or of its
 *		(cell, value) sort, of tuple descriptor desc, and keeps, per cell,
 *		its values at the ranks QuantileRanks names.
 */
static void
QuantileCells(CatalogMetric *metric, MetricSums *sums, double critical, TupleDesc desc)
{
	TupleTableSlot *slot;
	int32		cell = -1;
	int64		index = 0;
	int64		ranks[4];

	for (cell = 0; cell < metric->ncell_values; cell++)
	{
		OrderedValues *values = metric->cell_values[cell];
		int			order[4] = {0, 1, 2, 3};

		if (values == NULL)
			continue;
		OrderedValuesSort(values);
		QuantileRanks(sums[cell].quantile_n, metric->quantile, critical, ranks);
		/* the ranks asked in ascending order, as the values are read */
		for (int i = 1; i < 4; i++)
			for (int j = i; j > 0 && ranks[order[j - 1]] > ranks[order[j]]; j--)
			{
				int			swap = order[j];

				order[j] = order[j - 1];
				order[j - 1] = swap;
			}
		for (int i = 0; i < 4; i++)
			sums[cell].quantile_at[order[i]] = OrderedValuesAt(values, ranks[order[i]]);
		OrderedValuesEnd(values);
		metric->cell_values[cell] = NULL;
	}
	if (metric->quantile_sort == NULL)
		return;
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	cell = -1;
	tuplesort_performsort(metric->quantile_sort);
	while (tuplesort_gettupleslot(metric->quantile_sort, true, false, slot, NULL))
	{
		bool		isnull;
		int32		this_cell = DatumGetInt32(slot_getattr(slot, 1, &isnull));

		CHECK_FOR_INTERRUPTS();
		if (this_cell != cell)
		{
			cell = this_cell;
			index = 0;
			QuantileRanks(sums[cell].quantile_n, metric->quantile, critical, ranks);
		}
		KeepQuantile(&sums[cell], ranks, index++, DatumGetFloat8(slot_getattr(slot, 2, &isnull)));
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplesort_end(metric->quantile_sort);
}

/*
 * ReadGoalsOfMetrics
 *		The goals some metric of the experiment's tenant reads, as the
 *		caller sees them: goals outside them are implicit metrics. Called
 *		connected to SPI.
 */
static void
ReadGoalsOfMetrics(MetricState *state, Datum tenant_id)
{
	Oid			types[1] = {UUIDOID};
	Datum		values[1] = {tenant_id};

	if (SPI_execute_with_args(read_goals_query, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the goals of the tenant's metrics");
	state->read_goals = MemoryContextAlloc(state->base.context, sizeof(text *) * Max(SPI_processed, 1));
	state->nread_goals = 0;
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		Datum		goal = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull);
		MemoryContext old_context = MemoryContextSwitchTo(state->base.context);

		state->read_goals[state->nread_goals++] = DatumGetTextPCopy(goal);
		MemoryContextSwitchTo(old_context);
	}
}

/*
 * IsImplicit
 *		Whether a metric of the pass (a goal, or revenue) is an implicit
 *		metric: a goal no metric of the tenant reads.
 */
static bool
IsImplicit(MetricState *state, uint32 metric)
{
	Metric	   *known = &state->base.metrics[metric];

	if (known->kind != goal_kind)
		return false;
	for (int i = 0; i < state->nread_goals; i++)
		if (NamesEqual(state->read_goals[i], known->name))
			return false;
	return true;
}

/*
 * SameSource
 *		Whether two event sources are the same events with the same values.
 */
static bool
SameSource(const EventSource *a, const EventSource *b)
{
	if (a->goal != NULL || b->goal != NULL)
		return a->goal != NULL && b->goal != NULL && NamesEqual(a->goal, b->goal) &&
			(a->property == NULL ? b->property == NULL :
			 b->property != NULL && strcmp(a->property, b->property) == 0);
	return strcmp(a->query, b->query) == 0;
}

/*
 * SameValues
 *		Whether two metric parts have the same per-unit values: the same
 *		events, counted or summed alike, in the same window. Caps are
 *		applied when values are summed, per part, and so are covariates,
 *		which the value keeps when any of its parts has one.
 */
static bool
SameValues(const MetricPart *a, const MetricPart *b)
{
	return a->source == b->source && a->indicator == b->indicator && a->counts == b->counts &&
		a->window_start == b->window_start &&
		a->window_open == b->window_open && (a->window_open || a->window_end == b->window_end);
}

/*
 * ReadCatalog
 *		The metrics attached to the experiment, as the caller sees them, and
 *		their parts, numbered by their distinct event sources. Called
 *		connected to SPI; what it reads is in the call's context.
 */
static void
ReadCatalog(MetricState *state, int64 experiment_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(experiment_id)};
	int			n = 0;
	MemoryContext old_context;

	if (SPI_execute_with_args(catalog_query, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the metrics of experiment " INT64_FORMAT, experiment_id);
	old_context = MemoryContextSwitchTo(state->base.context);
	state->metrics = palloc0(sizeof(CatalogMetric) * Max(SPI_processed, 1));
	state->parts = palloc(sizeof(MetricPart *) * Max(SPI_processed, 1));
	state->sources = palloc0(sizeof(EventSource) * Max(SPI_processed, 1));
	state->value_parts = palloc(sizeof(MetricPart *) * Max(SPI_processed, 1));
	state->value_deferred = palloc0(sizeof(bool) * Max(SPI_processed, 1));
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		CatalogMetric *metric;
		MetricPart *part;
		char	   *part_type = SPI_getvalue(tuple, desc, 5);
		Datum		window_end;
		EventSource source = {0};

		if (n == 0 || state->metrics[n - 1].id != id)
		{
			metric = &state->metrics[n++];
			metric->id = id;
			metric->key = DatumGetTextPCopy(SPI_getbinval(tuple, desc, 2, &isnull));
			metric->type = SPI_getvalue(tuple, desc, 3);
			metric->quantile = DatumGetFloat8(SPI_getbinval(tuple, desc, 4, &isnull));
			if (isnull)
				metric->quantile = get_float8_nan();
		}
		metric = &state->metrics[n - 1];
		if (metric->nparts == MAX_PARTS)
			continue;
		part = &metric->parts[metric->nparts++];
		state->parts[state->nparts++] = part;
		part->indicator = strcmp(part_type, "proportion") == 0;
		part->counts = strcmp(SPI_getvalue(tuple, desc, 8), "count") == 0;
		source.metric = -1;
		if (strcmp(SPI_getvalue(tuple, desc, 6), "goal") == 0)
		{
			source.goal = DatumGetTextPCopy(SPI_getbinval(tuple, desc, 7, &isnull));
			source.property = SPI_getvalue(tuple, desc, 9);
			source.folded = source.property == NULL || strcmp(source.property, "value") == 0;
		}
		else
		{
			char	   *property = SPI_getvalue(tuple, desc, 9);

			source.query = EventQuery(SPI_getvalue(tuple, desc, 6), SPI_getvalue(tuple, desc, 7), property);
			source.folded = strcmp(SPI_getvalue(tuple, desc, 6), "transaction") == 0 &&
				SPI_getvalue(tuple, desc, 7) == NULL && (property == NULL || strcmp(property, "revenue") == 0);
			source.property = source.folded ? property : NULL;
		}
		/* parts of the same source (the same events and values) read it once */
		for (part->source = 0; part->source < state->nsources; part->source++)
			if (SameSource(&state->sources[part->source], &source))
				break;
		if (part->source == state->nsources)
			state->sources[state->nsources++] = source;
		part->window_start = DatumGetInt64(SPI_getbinval(tuple, desc, 10, &isnull));
		window_end = SPI_getbinval(tuple, desc, 11, &part->window_open);
		part->window_end = part->window_open ? 0 : DatumGetInt64(window_end);
		part->cap_kind = SPI_getvalue(tuple, desc, 12);
		part->cap_value = DatumGetFloat8(SPI_getbinval(tuple, desc, 13, &isnull));
		part->cap = strcmp(part->cap_kind, "absolute") == 0 ? part->cap_value : get_float8_nan();
		part->cap_floor = -get_float8_infinity();
		if (strcmp(part->cap_kind, "percentile") == 0)
		{
			part->cap_values = OrderedValuesBegin(work_mem);
			if (state->floors)
				part->floor_sample = OrderedValuesBegin(FLOOR_SAMPLE_KB);
		}
		/* The covariate: of a proportion or mean, the same metric before exposure. */
		part->covariate = state->pre_period > 0 &&
			(strcmp(metric->type, "proportion") == 0 || strcmp(metric->type, "mean") == 0);
		/* parts with the same values (a metric and a ratio of it, say) share them */
		for (part->number = 0; part->number < state->nvalues; part->number++)
			if (SameValues(state->value_parts[part->number], part))
				break;
		if (part->number == state->nvalues)
			state->value_parts[state->nvalues++] = part;
	}
	MemoryContextSwitchTo(old_context);
	state->nmetrics = n;
	/* a percentile cap, or the slices, need every unit before any is summed */
	state->rows_deferred = state->breakdown;
	for (int i = 0; i < n; i++)
	{
		CatalogMetric *metric = &state->metrics[i];

		metric->deferred = state->breakdown;
		for (int j = 0; j < metric->nparts; j++)
			metric->deferred |= metric->parts[j].cap_values != NULL;
		for (int j = 0; j < metric->nparts; j++)
			state->value_deferred[metric->parts[j].number] |= metric->deferred;
		state->rows_deferred |= metric->deferred;
	}
	/* the lists UnpackValues, EmitUnit, UnderFloors and SumUnit go through per unit */
	state->indicator_values = MemoryContextAlloc(state->base.context, sizeof(int) * Max(state->nvalues, 1));
	for (int v = 0; v < state->nvalues; v++)
		if (state->value_parts[v]->indicator)
			state->indicator_values[state->nindicator_values++] = v;
	state->capped_parts = MemoryContextAlloc(state->base.context, sizeof(MetricPart *) * Max(state->nparts, 1));
	for (int i = 0; i < state->nparts; i++)
		if (state->parts[i]->cap_values != NULL)
			state->capped_parts[state->ncapped_parts++] = state->parts[i];
	state->now_metrics = MemoryContextAlloc(state->base.context, sizeof(int) * Max(n, 1));
	state->deferred_metrics = MemoryContextAlloc(state->base.context, sizeof(int) * Max(n, 1));
	for (int i = 0; i < n; i++)
		if (state->metrics[i].deferred)
			state->deferred_metrics[state->ndeferred_metrics++] = i;
		else
			state->now_metrics[state->nnow_metrics++] = i;
	/* a unit's variant, hits and values, each with its covariate if any, after its name */
	state->value_covariate = MemoryContextAllocZero(state->base.context, sizeof(bool) * Max(state->nvalues, 1));
	for (int i = 0; i < state->nparts; i++)
		state->value_covariate[state->parts[i]->number] |= state->parts[i]->covariate;
	state->value_at = MemoryContextAlloc(state->base.context, sizeof(Size) * Max(state->nvalues, 1));
	state->base.name_extra = MAXALIGN(sizeof(int32) + sizeof(uint32) * HIT_WORDS(state->nvalues));
	for (int v = 0; v < state->nvalues; v++)
	{
		state->value_at[v] = state->base.name_extra;
		state->base.name_extra += sizeof(double) * (state->value_covariate[v] ? 2 : 1);
	}
	for (int v = 0; v < state->nvalues; v++)
	{
		EventSource *source = &state->sources[state->value_parts[v]->source];

		if (source->values == NULL)
			source->values = MemoryContextAlloc(state->base.context, sizeof(int) * state->nvalues);
		source->values[source->nvalues++] = v;
	}
	if (state->breakdown)
		state->base.bucket_bytes += sizeof(int32) + sizeof(TimestampTz);
}

/*
 * SliceColumns
 *		The slice and slice_value columns of a row (values[18], values[19]):
 *		the value's name for slices 1 to nvalues, NULL for 0 (no value) and
 *		nvalues + 1 (the other values).
 */
static void
SliceColumns(int slice, int nvalues, const text **names, Datum *values, bool *nulls)
{
	values[18] = Int32GetDatum(slice);
	nulls[18] = false;
	nulls[19] = slice < 1 || slice > nvalues;
	values[19] = nulls[19] ? (Datum) 0 : PointerGetDatum(names[slice]);
}

/*
 * MetricPass
 *		The pass of metric_statistics() (see above) into state, up to the
 *		percentile caps. With floors, false when a cap came out below its
 *		floor after all (CapFloor), everything the pass made then freed: the
 *		caller makes it again without floors.
 */
static bool
MetricPass(MetricState *state, FunctionCallInfo fcinfo, KeptCall *key, const char *breakdown,
		   int64 pre_period, bool floors)
{
	int64		experiment_id = PG_GETARG_INT64(0);
	TimestampTz since = PG_GETARG_TIMESTAMPTZ(1);
	TimestampTz until = PG_GETARG_TIMESTAMPTZ(2);
	TimestampTz events_since = since;
	Datum		tenant_id;
	bool		counted;
	bool		folded_transactions = false;
	bool		floors_held = true;
	MemoryContext old_context;

	memset(state, 0, sizeof(MetricState));
	state->pre_period = pre_period;
	state->floors = floors && breakdown == NULL;
	state->breakdown = breakdown != NULL;
	state->since = since;
	if (pre_period > 0 && !TIMESTAMP_NOT_FINITE(since))
		events_since = since - pre_period;
	InitPass(&state->base);
	state->base.apply_other = ApplyMetricRecord;
	state->base.apply_event = ApplyMetricEvent;
	old_context = MemoryContextSwitchTo(state->base.context);
	state->labels = labels_create(state->base.context, 64, NULL);
	state->label_names = palloc(sizeof(const text *));
	state->label_units = palloc0(sizeof(int64));
	state->goal_sources = palloc(sizeof(GoalSources));
	state->folded_sources = palloc(sizeof(SourceList));
	state->quantile_desc = CreateTemplateTupleDesc(2);
	TupleDescInitEntry(state->quantile_desc, 1, "cell", INT4OID, -1, 0);
	TupleDescInitEntry(state->quantile_desc, 2, "value", FLOAT8OID, -1, 0);
	state->quantile_slot = MakeSingleTupleTableSlot(state->quantile_desc, &TTSOpsVirtual);
	MemoryContextSwitchTo(old_context);

	SPI_connect();
	tenant_id = ExperimentTenant(experiment_id);
	ReadCatalog(state, experiment_id);
	ReadGoalsOfMetrics(state, tenant_id);
	/* the sorts live as long as the call, not in SPI's context */
	old_context = MemoryContextSwitchTo(state->base.context);
	state->unit_parts = palloc0(sizeof(UnitPart) * Max(state->nvalues, 1));
	state->emit_parts = palloc0(sizeof(UnitPart) * Max(state->nvalues, 1));
	for (int i = 0; i < state->nmetrics; i++)
		if (!isnan(state->metrics[i].quantile) && breakdown != NULL)
		{
			AttrNumber	keys[2] = {1, 2};
			Oid			operators[2] = {Int4LessOperator, Float8LessOperator};
			Oid			collations[2] = {InvalidOid, InvalidOid};
			bool		nulls_first[2] = {false, false};

			state->metrics[i].quantile_sort = tuplesort_begin_heap(state->quantile_desc, 2, keys, operators,
																   collations, nulls_first, work_mem, NULL,
																   TUPLESORT_NONE);
		}
	MemoryContextSwitchTo(old_context);

	/*
	 * Unless daily_metrics() has its rows for these arguments in this
	 * snapshot, the pass counts them too, and keeps them: the results page
	 * asks for both, and the events are then read once.
	 */
	counted = KeepCall(key, fcinfo);
	state->base.count_partition = counted ? EmitUnits : EmitAndCountUnits;
	if (counted && kept.units != NULL &&
		MemoryContextMemAllocated(kept.units_context, true) + kept.units->size * state->base.bucket_bytes +
		kept.units->members * state->base.name_extra <= state->base.budget)
	{
		/*
		 * daily_metrics() read these exposures in this snapshot: its table,
		 * without its conversions, each name copied with room for its values.
		 */
		units_iterator units;
		UnitEntry  *unit;

		units_destroy(state->base.units);
		state->base.units = kept.units;
		kept.units = NULL;
		units_start_iterate(state->base.units, &units);
		while ((unit = units_iterate(state->base.units, &units)) != NULL)
		{
			unit->conversions = 0;
			unit->indexed = false;
			unit->name = CopyName(&state->base, unit->name);
			*NameOrdinal(unit->name) = unit->ordinal;
		}
	}
	else
		DigestExposures(&state->base, experiment_id, since, until, tenant_id);
	if (state->base.spill == NULL)
		PrepareArrays(state);
	if (breakdown != NULL)
		Digest(&state->base, AttributeQuery(breakdown), EventQueryParams(experiment_id, since, until, tenant_id),
			   DigestAttribute);
	for (state->source = 0; state->source < state->nsources; state->source++)
	{
		EventSource *source = &state->sources[state->source];

		if (source->query != NULL && !source->folded)
			Digest(&state->base, source->query, EventQueryParams(experiment_id, events_since, until, tenant_id),
				   DigestSourceEvent);
		folded_transactions |= source->query != NULL && source->folded;
	}
	/* the goals from the pre-period on: goal sources' covariates start there */
	DigestGoals(&state->base, experiment_id, events_since, until, tenant_id, DigestMetricGoal);
	if (!counted || folded_transactions)
		Digest(&state->base, transactions_query,
			   EventQueryParams(experiment_id, folded_transactions ? events_since : since, until, tenant_id),
			   DigestTransaction);
	SPI_finish();
	if (state->base.spill != NULL)
		DrainSpill(&state->base);
	else
		state->base.count_partition(&state->base);
	if (state->base.tapes != NULL)
		LogicalTapeSetClose(state->base.tapes);
	if (!counted)
	{
		NewKeptCall(key);
		KeepGroups(&state->base, key);
		kept = *key;
	}

	/* What needs every unit: the percentile caps (the slices: the caller). */
	for (int i = 0; i < state->nparts; i++)
		if (state->parts[i]->cap_values != NULL)
		{
			state->parts[i]->cap = PercentileCap(state->parts[i]);
			OrderedValuesEnd(state->parts[i]->cap_values);
			floors_held &= !(state->parts[i]->cap < state->parts[i]->cap_floor);
			if (state->parts[i]->floor_sample != NULL)
				OrderedValuesEnd(state->parts[i]->floor_sample);
		}
	if (floors_held)
		return true;
	elog(DEBUG1, "a percentile cap came out below its floor: the pass is made again without floors");
	/* Everything the pass made goes, and the rows kept stay. */
	for (int i = 0; i < state->nmetrics; i++)
		for (int cell = 0; cell < state->metrics[i].ncell_values; cell++)
			if (state->metrics[i].cell_values[cell] != NULL)
				OrderedValuesEnd(state->metrics[i].cell_values[cell]);
	if (state->row_tapes != NULL)
		LogicalTapeSetClose(state->row_tapes);
	ExecDropSingleTupleTableSlot(state->quantile_slot);
	MemoryContextDelete(state->base.context);
	return false;
}

/*
 * metric_statistics
 *		SQL metric_statistics(experiment_id, since, until, pre_period,
 *		confidence, breakdown, max_slices): see above and its COMMENT in
 *		src/results/metric_results.sql.
 */
Datum
metric_statistics(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Interval   *pre_period;
	int64		pre_period_us;
	double		critical;
	char	   *breakdown;
	int			max_slices;
	int			nvalues = 0;
	int			nslices = 1;
	const text **slice_names = NULL;
	int16	   *slice_of = NULL;
	MetricState state;
	int			ncells;
	MetricSums *sums;
	int64	   *implicit;
	int64	   *cell_units;
	KeptCall	key;

	InitMaterializedSRF(fcinfo, 0);
	/* Strict but in the breakdown, which is none when NULL. */
	for (int i = 0; i < PG_NARGS(); i++)
		if (i != 5 && PG_ARGISNULL(i))
			return (Datum) 0;
	pre_period = PG_GETARG_INTERVAL_P(3);
	critical = TwoSidedCritical(PG_GETARG_FLOAT8(4), get_float8_infinity());
	breakdown = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	if (breakdown != NULL && breakdown[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a breakdown needs the name of an attribute"),
				 errdetail("Results are sliced by the value of a unit attribute (attribute_events.name)."),
				 errhint("Name the attribute, or ask for the results without a breakdown (NULL).")));
	max_slices = PG_GETARG_INT32(6);
	if (max_slices < 1 || max_slices > MAX_SLICES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_slices must be between 1 and %d", MAX_SLICES),
				 errdetail("A breakdown reports the max_slices values with the most units, and the rest as one slice.")));
	pre_period_us = pre_period->time + (int64) pre_period->day * USECS_PER_DAY +
		(int64) pre_period->month * DAYS_PER_MONTH * USECS_PER_DAY;
	if (pre_period_us < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pre_period must not be negative"),
				 errdetail("The covariate of a unit is read from the pre_period before its first exposure.")));
	/* the pass, made again without floors in the rare call a floor fails */
	if (!MetricPass(&state, fcinfo, &key, breakdown, pre_period_us, true))
		(void) MetricPass(&state, fcinfo, &key, breakdown, pre_period_us, false);
	if (breakdown != NULL)
	{
		nvalues = SliceOfLabels(&state, max_slices, &slice_names, &slice_of);
		nslices = nvalues + 2;
	}

	/*
	 * The cells: without a breakdown, those of the variants, summed as the
	 * units were emitted (the deferred metrics are not yet); with one, of
	 * each slice and variant, nothing summed yet.
	 */
	if (breakdown == NULL)
	{
		EnsureCells(&state, Max(state.nordinals, 1));
		state.nordinals = state.ncells;
	}
	else
		EnsureCells(&state, nslices * Max(state.nordinals, 1));
	ncells = state.ncells;
	if (state.unit_rows != NULL)
	{
		UnitHead	head;

		LogicalTapeRewindForRead(state.unit_rows, BLCKSZ);
		while (LogicalTapeRead(state.unit_rows, &head, sizeof(head)) == sizeof(head))
		{
			int			cell = (head.label > 0 ? slice_of[head.label] : 0) * state.nordinals + head.ordinal;

			CHECK_FOR_INTERRUPTS();
			for (int v = 0; v < state.nvalues; v++)
				if (state.value_deferred[v])
					ReadExactly(state.unit_rows, &state.unit_parts[v], sizeof(UnitPart));
			if (breakdown != NULL)
				state.cell_units[cell]++;
			for (int i = 0; i < head.nconverted; i++)
			{
				int32		metric;

				ReadExactly(state.unit_rows, &metric, sizeof(metric));
				state.implicit[metric * ncells + cell]++;
			}
			SumUnit(&state, state.unit_parts, cell, false, true);
		}
		LogicalTapeSetClose(state.row_tapes);
	}
	SumZeroUnits(&state);
	sums = state.sums;
	implicit = state.implicit;
	cell_units = state.cell_units;

	for (int i = 0; i < state.nmetrics; i++)
	{
		CatalogMetric *metric = &state.metrics[i];

		QuantileCells(metric, &sums[i * ncells], critical, state.quantile_desc);
		for (int cell = 0; cell < ncells; cell++)
		{
			MetricSums *s = &sums[i * ncells + cell];
			bool		ratio = metric->nparts > 1;
			bool		covariate = metric->parts[0].covariate;
			Datum		values[20];
			bool		nulls[20] = {false};

			if (s->units == 0)
				continue;
			values[0] = Int64GetDatum(metric->id);
			values[1] = PointerGetDatum(metric->key);
			values[2] = Int32GetDatum(cell % state.nordinals);
			values[3] = Int64GetDatum(s->units);
			values[4] = Int64GetDatum(s->event_units);
			values[5] = Float8GetDatum(s->sum);
			values[6] = Float8GetDatum(s->square_sum);
			values[7] = Int64GetDatum(s->denominator_event_units);
			values[8] = Float8GetDatum(s->denominator_sum);
			values[9] = Float8GetDatum(s->denominator_square_sum);
			values[10] = Float8GetDatum(s->cross_sum);
			nulls[7] = nulls[8] = nulls[9] = nulls[10] = !ratio;
			values[11] = Float8GetDatum(s->covariate_sum);
			values[12] = Float8GetDatum(s->covariate_square_sum);
			values[13] = Float8GetDatum(s->covariate_cross_sum);
			nulls[11] = nulls[12] = nulls[13] = !covariate;
			nulls[14] = nulls[15] = nulls[16] = s->quantile_n == 0;
			if (s->quantile_n > 0)
			{
				values[14] = Float8GetDatum(InterpolatedQuantile(s->quantile_n, metric->quantile,
																 s->quantile_at[0], s->quantile_at[1]));
				values[15] = Float8GetDatum(s->quantile_at[2]);
				values[16] = Float8GetDatum(s->quantile_at[3]);
			}
			values[17] = Float8GetDatum(metric->parts[0].cap);
			nulls[17] = isnan(metric->parts[0].cap);
			SliceColumns(cell / state.nordinals, nvalues, slice_names, values, nulls);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}

	/*
	 * The implicit metrics: units converting per goal, slice and variant;
	 * a goal no exposed unit reached after its first exposure has none, as
	 * experiment_results() has none, however many events the pass read.
	 */
	for (uint32 metric = 0; metric < state.base.nmetrics; metric++)
	{
		int64		reached = 0;

		for (int cell = 0; cell < ncells; cell++)
			reached += implicit[metric * ncells + cell];
		if (reached == 0 || !IsImplicit(&state, metric))
			continue;
		for (int cell = 0; cell < ncells; cell++)
		{
			int64		converting = implicit[metric * ncells + cell];
			Datum		values[20];
			bool		nulls[20];

			if (cell_units[cell] == 0)
				continue;
			memset(nulls, true, sizeof(nulls));
			values[1] = PointerGetDatum(state.base.metrics[metric].name);
			values[2] = Int32GetDatum(cell % state.nordinals);
			values[3] = Int64GetDatum(cell_units[cell]);
			values[4] = Int64GetDatum(converting);
			values[5] = values[6] = Float8GetDatum((double) converting);
			for (int i = 1; i <= 6; i++)
				nulls[i] = false;
			SliceColumns(cell / state.nordinals, nvalues, slice_names, values, nulls);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	ExecDropSingleTupleTableSlot(state.quantile_slot);
	MemoryContextDelete(state.base.context);
	if (kept.units == NULL && kept.units_context != NULL && kept.lxid == key.lxid)
	{
		/* The table taken over is no longer needed. */
		MemoryContextDelete(kept.units_context);
		kept.units_context = NULL;
	}
	return (Datum) 0;
}
