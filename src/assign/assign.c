/*
 * assign.c
 *		Assignment: which variant of an experiment a unit gets, and why.
 *
 * The decision order is pinned (README, "Assignment algorithm"): not running
 * -> override -> sticky enrolment -> audience -> layer -> holdout -> traffic
 * -> full-on -> hash. Everything but the enrolment lookup comes from the
 * compiled configuration, so assigning costs a few hashes per unit.
 *
 * One file of about 850 lines, on purpose: the decision order, its steps and
 * the three ways of calling it (one unit, every experiment of a unit, rows
 * of units) are one rule, read top to bottom; split, the order would live in
 * several places.
 */
#include "hash.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"

PG_FUNCTION_INFO_V1(assign);
PG_FUNCTION_INFO_V1(assign_all);
PG_FUNCTION_INFO_V1(random_seed);

/* The labels of experiments.assignment_reason, in declaration order. */
typedef enum AssignmentReason
{
	REASON_NOT_RUNNING,
	REASON_OVERRIDE,
	REASON_STICKY,
	REASON_AUDIENCE,
	REASON_LAYER,
	REASON_HOLDOUT,
	REASON_TRAFFIC,
	REASON_FULL_ON,
	REASON_HASH,
	REASON_COUNT
} AssignmentReason;

static const char *const reason_labels[REASON_COUNT] = {
	"not_running", "override", "sticky", "audience", "layer", "holdout", "traffic", "full_on", "hash"
};

/* Columns of experiments.assignment. */
enum
{
	COL_EXPERIMENT_ID,
	COL_EXPERIMENT,
	COL_VARIANT,
	COL_ORDINAL,
	COL_ASSIGNED,
	COL_ELIGIBLE,
	COL_OVERRIDDEN,
	COL_FULL_ON,
	COL_CUSTOM,
	COL_AUDIENCE_MISMATCH,
	COL_BUCKET,
	COL_PERIOD,
	COL_REASON,
	NUM_COLUMNS
};

/*
 * What decided: a reason, with an override that fixes only the variant
 * (custom) as a kind of its own. The kind, the variant and
 * audience_mismatch fix every other column but the bucket and period.
 */
#define KIND_CUSTOM_OVERRIDE REASON_COUNT
#define KIND_COUNT (REASON_COUNT + 1)

typedef struct KindColumns
{
	AssignmentReason reason;
	bool		assigned;		/* when the decision has a variant */
	bool		eligible;
	bool		overridden;
	bool		full_on;
	bool		custom;
	bool		has_bucket;
} KindColumns;

static const KindColumns kind_columns[KIND_COUNT] = {
	[REASON_NOT_RUNNING] = {REASON_NOT_RUNNING},
	[REASON_OVERRIDE] = {REASON_OVERRIDE, .eligible = true, .overridden = true},
	[REASON_STICKY] = {REASON_STICKY, .assigned = true, .eligible = true},
	[REASON_AUDIENCE] = {REASON_AUDIENCE},
	[REASON_LAYER] = {REASON_LAYER},
	[REASON_HOLDOUT] = {REASON_HOLDOUT},
	[REASON_TRAFFIC] = {REASON_TRAFFIC},
	[REASON_FULL_ON] = {REASON_FULL_ON, .assigned = true, .eligible = true, .full_on = true},
	[REASON_HASH] = {REASON_HASH, .assigned = true, .eligible = true, .has_bucket = true},
	[KIND_CUSTOM_OVERRIDE] = {REASON_OVERRIDE, .assigned = true, .eligible = true, .custom = true,
	.has_bucket = true},
};

typedef struct Decision
{
	int			variant;		/* 1 + index into config->variants; 0: none */
	int			kind;			/* an AssignmentReason or KIND_CUSTOM_OVERRIDE */
	bool		audience_mismatch;
	int32		bucket;
	int64		period;
} Decision;

/*
 * A formed result row for one (kind, variant, audience_mismatch): rows of one
 * such decision differ only in their bucket and period, so each row is a
 * copy with those written in. Kept with the compiled configuration, in
 * ExperimentConfig.rows, and thrown away with it.
 *
 * Copies are ROW_SLACK bytes longer than the row, and a column that is NULL
 * in the row has its offset there: every copy gets the same writes, without
 * a branch on the decision.
 */
struct AssignmentRow
{
	uint32		len;
	HeapTupleHeader data;
	uint32		bucket_offset;
	uint32		period_offset;
};

#define ROW_SLACK sizeof(int64)

/*
 * A hot call site's rows of a plain running experiment, by bucket: such an
 * experiment's row depends on the bucket alone (the traffic test only
 * chooses between it and the one not-in-traffic row), so each row is formed
 * once, on first use, and returned as it is, with no allocation or copy per
 * call. The rows live in the call site's memory (fn_mcxt: the query's, or
 * PL/pgSQL's for the transaction), which outlives every use of what the
 * call returns, and are never written once formed. Made for one
 * configuration; a call site whose configuration changes stops using it.
 */
typedef struct BucketRows
{
	uint64		stamp;			/* of the configuration they were made for */
	HeapTupleHeader not_in_traffic;
	HeapTupleHeader *sticky;	/* by Decision.variant, for enrolled units */
	char	   *arena;			/* where the next rows are formed */
	Size		arena_free;
	HeapTupleHeader rows[BUCKET_SPACE];
} BucketRows;

/* Calls a call site makes before it forms rows by bucket. */
#define BUCKET_ROWS_AFTER_CALLS 1000

/* Memory the rows by bucket are formed in, a block at a time. */
#define BUCKET_ROWS_ARENA (64 * 1024)

/*
 * Enrolments a call site reads into a filter at most: per call made so far
 * (so that reading them costs about what the lookups made so far did), and
 * per kB of work_mem (about 64 bytes each).
 */
#define FILTER_ROWS_PER_CALL 32
#define FILTER_ROWS_PER_KB 16

/*
 * What one call site keeps between calls (in fn_extra). While epoch equals
 * lookup_epoch, config and now are those of the current transaction, and
 * by_bucket is the rows to return when it is not NULL; 0 makes the next call
 * work them out again.
 */
typedef struct AssignState
{
	TupleDesc	desc;
	Datum		reasons[REASON_COUNT];
	uint64		generation;
	uint64		epoch;
	BucketRows *by_bucket;		/* in use for config, now */
	TimestampTz now;			/* the transaction's start, the time assignment uses */
	pg_uuid_t	tenant;
	ExperimentConfig *config;
	int64		period;			/* the reset period at now */
	bool		key_is_constant;	/* the experiment argument is a Const */
	uint64		calls;			/* calls that did not return rows by bucket */
	MemoryContext mcxt;			/* the call site's memory */
	BucketRows *formed_by_bucket;	/* made once per call site, NULL before */
	EnrolmentFilter *filter;	/* config's enrolments, when read; NULL otherwise */
	MemoryContext filter_mcxt;	/* the filter's memory */
	uint64		filter_after;	/* calls before the filter is read (again) */
} AssignState;

/*
 * IsRunning
 *		Whether the experiment assigns units at this time: running, and inside
 *		its schedule.
 */
static bool
IsRunning(const ExperimentConfig *config, TimestampTz now)
{
	return config->state == STATE_RUNNING &&
		(!config->has_starts_at || now >= config->starts_at) &&
		(!config->has_ends_at || now < config->ends_at);
}

/*
 * ResetPeriod
 *		Whole reset intervals elapsed since the experiment's start; always 0
 *		for reset interval full. Exported for the AB Tasty campaign activated
 *		event, which enrols the visitor in the period of the event.
 */
int64
ResetPeriod(const ExperimentConfig *config, TimestampTz now)
{
	if (config->reset_usecs == 0 || !config->has_anchor || now < config->anchor)
		return 0;
	return (now - config->anchor) / config->reset_usecs;
}

/*
 * FindOverride
 *		Binary search of the experiment's overrides by the unit's bytes.
 */
static const OverrideConfig *
FindOverride(const ExperimentConfig *config, const char *unit, int len)
{
	int			lo = 0,
				hi = config->noverrides - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		text	   *candidate = config->overrides[mid].unit;
		int			clen = VARSIZE_ANY_EXHDR(candidate);
		int			c = memcmp(VARDATA_ANY(candidate), unit, Min(clen, len));

		if (c == 0)
			c = clen - len;
		if (c == 0)
			return &config->overrides[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/*
 * VariantOfBucket
 *		The first variant whose cumulative range contains the bucket, as
 *		Decision.variant numbers it. Counted without a data-dependent branch:
 *		the bucket is random, so a search loop would mispredict on most units.
 */
static inline int
VariantOfBucket(const ExperimentConfig *config, int32 bucket)
{
	int			below = 0;

	if (likely(config->nvariants <= FIRST_VARIANTS))
	{
		/* a fixed count the compiler turns into a few vector compares */
		for (int i = 0; i < FIRST_VARIANTS; i++)
			below += bucket >= config->first_uppers[i];
	}
	else
	{
		for (int i = 0; i < config->nvariants; i++)
			below += bucket >= config->variants[i].upper;
	}
	return below < config->nvariants ? below + 1 : 0;
}

/*
 * VariantOfOrdinal
 *		The variant with an ordinal, as Decision.variant numbers it.
 */
static int
VariantOfOrdinal(const ExperimentConfig *config, int32 ordinal)
{
	const VariantConfig *v = VariantByOrdinal(config, ordinal);

	return v != NULL ? (int) (v - config->variants) + 1 : 0;
}

/*
 * DecideBeforeTraffic
 *		The steps of Decide() between not running and traffic, which only
 *		configurations that are not plain need; true when one of them decided.
 *		A custom override found on the way is left in *override.
 */
static bool
DecideBeforeTraffic(const ExperimentConfig *config, text *unit, Datum attributes,
					TimestampTz now, const EnrolmentFilter *filter, Decision *d,
					const OverrideConfig **override)
{
	const char *u = VARDATA_ANY(unit);
	int			len = VARSIZE_ANY_EXHDR(unit);
	int32		ordinal;

	if (config->reset_usecs != 0)
		d->period = ResetPeriod(config, now);

	*override = config->noverrides > 0 ? FindOverride(config, u, len) : NULL;
	if (*override != NULL && !(*override)->custom)
	{
		d->variant = VariantOfOrdinal(config, (*override)->ordinal);
		d->kind = REASON_OVERRIDE;
		return true;
	}

	if (config->has_enrolments &&
		(filter != NULL ?
		 FilterEnrolment(filter, UnitHash(config->variant_seed, u, len), u, len, &ordinal) :
		 LookupEnrolment(config, unit, d->period, &ordinal)))
	{
		d->variant = VariantOfOrdinal(config, ordinal);
		d->kind = REASON_STICKY;
		return true;
	}

	/* attributes are detoasted only for experiments that have an audience */
	if (config->audience != NULL &&
		!AudienceMatches(config->audience, DatumGetJsonbP(attributes)))
	{
		d->audience_mismatch = true;
		if (config->audience_strict)
		{
			d->kind = REASON_AUDIENCE;
			return true;
		}
	}

	if (config->has_layer)
	{
		int32		b = UnitBucket(config->layer_seed, u, len);

		if (b < config->layer_lo || b >= config->layer_hi)
		{
			d->kind = REASON_LAYER;
			return true;
		}
	}

	for (int i = 0; i < config->nholdouts; i++)
	{
		if (UnitBucket(config->holdouts[i].seed, u, len) < config->holdouts[i].allocation_bp)
		{
			d->kind = REASON_HOLDOUT;
			return true;
		}
	}

	return false;
}

/*
 * DecideFromTraffic
 *		The steps of Decide() from traffic on, for a unit that got this far:
 *		all that decides for a plain experiment that is running.
 */
static pg_attribute_always_inline void
DecideFromTraffic(const ExperimentConfig *config, const char *u, int len,
				  const OverrideConfig *override, Decision *d)
{
	uint64		variant_seed;

	if (UnitBucket(config->traffic_seed, u, len) >= config->traffic_bp)
	{
		d->kind = REASON_TRAFFIC;
		return;
	}

	if (config->full_on_ordinal >= 0)
	{
		d->variant = VariantOfOrdinal(config, config->full_on_ordinal);
		d->kind = REASON_FULL_ON;
		return;
	}

	variant_seed = config->reset_usecs == 0 ? config->variant_seed :
		PeriodSeed(config->variant_seed, d->period);
	d->bucket = UnitBucket(variant_seed, u, len);
	if (override != NULL)
	{
		d->variant = VariantOfOrdinal(config, override->ordinal);
		d->kind = KIND_CUSTOM_OVERRIDE;
		return;
	}
	d->variant = VariantOfBucket(config, d->bucket);
	d->kind = REASON_HASH;
}

/*
 * DecideFullOn
 *		Full-on's step for the compatible modes, which place it where their
 *		SDKs do: true when it decided.
 */
static inline bool
DecideFullOn(const ExperimentConfig *config, Decision *d)
{
	if (config->full_on_ordinal < 0)
		return false;
	d->variant = VariantOfOrdinal(config, config->full_on_ordinal);
	d->kind = REASON_FULL_ON;
	return true;
}

/*
 * DecideDrawn
 *		The last step of the compatible modes, for a unit in with a drawn
 *		variant (its index, from 0) and bucket: a custom override's variant,
 *		else the drawn one.
 */
static inline void
DecideDrawn(const ExperimentConfig *config, const OverrideConfig *override, int variant,
			int32 bucket, Decision *d)
{
	d->bucket = bucket;
	if (override != NULL)
	{
		d->variant = VariantOfOrdinal(config, override->ordinal);
		d->kind = KIND_CUSTOM_OVERRIDE;
		return;
	}
	d->variant = variant + 1;
	d->kind = REASON_HASH;
}

/*
 * DecideGrowthBook
 *		The steps of Decide() from traffic on for a GrowthBook experiment:
 *		GrowthBook's hash value, filters or namespace, condition, hash and
 *		ranges decide in place of traffic and the variant bucket; a unit
 *		outside them is out for the reason nearest GrowthBook's (the
 *		population: audience; a namespace or filter: layer; coverage:
 *		traffic). Full-on and custom overrides apply as in native mode.
 */
static pg_noinline void
DecideGrowthBook(const ExperimentConfig *config, text *unit, Datum attributes,
				 const OverrideConfig *override, Decision *d)
{
	int			variant = -1;
	int32		bucket = 0;

	switch (GrowthBookDecide(config->growthbook, unit, attributes, &variant, &bucket))
	{
		case GB_NO_HASH_VALUE:
		case GB_CONDITION:
			d->kind = REASON_AUDIENCE;
			d->audience_mismatch = true;
			return;
		case GB_FILTERED:
			d->kind = REASON_LAYER;
			return;
		case GB_NOT_IN_RANGE:
			d->kind = REASON_TRAFFIC;
			return;
		case GB_IN:
			break;
	}
	if (!DecideFullOn(config, d))
		DecideDrawn(config, override, variant, bucket, d);
}

/*
 * DecideAbsmartly
 *		The steps of Decide() from traffic on for an ABsmartly experiment:
 *		ABsmartly's traffic and variant draws decide in place of traffic and
 *		the variant bucket. As in ABsmartly's SDKs, full-on comes before the
 *		traffic draw (every unit gets the variant), and a custom override
 *		applies only to units in traffic.
 */
static pg_noinline void
DecideAbsmartly(const ExperimentConfig *config, text *unit, const OverrideConfig *override,
				Decision *d)
{
	int			variant = 0;
	int32		bucket = 0;

	if (DecideFullOn(config, d))
		return;
	if (!AbsmartlyDecide(config->absmartly, VARDATA_ANY(unit), VARSIZE_ANY_EXHDR(unit),
						 &variant, &bucket, NULL) || variant < 0 || variant >= config->nvariants)
	{
		d->kind = REASON_TRAFFIC;
		return;
	}
	DecideDrawn(config, override, variant, bucket, d);
}

/*
 * Decide
 *		The assignment algorithm, version 1, in its pinned decision order.
 *		attributes (a jsonb Datum) is detoasted only if an audience reads it.
 *		Enrolments are read through filter when it is not NULL (it must hold).
 */
static pg_attribute_always_inline void
Decide(const ExperimentConfig *config, text *unit, Datum attributes, TimestampTz now,
	   const EnrolmentFilter *filter, Decision *d)
{
	const OverrideConfig *override = NULL;

	memset(d, 0, sizeof(*d));
	if (!IsRunning(config, now))
	{
		d->kind = REASON_NOT_RUNNING;
		return;
	}
	if (unlikely(!config->plain) &&
		DecideBeforeTraffic(config, unit, attributes, now, filter, d, &override))
		return;
	if (unlikely(config->growthbook != NULL))
	{
		DecideGrowthBook(config, unit, attributes, override, d);
		return;
	}
	if (unlikely(config->absmartly != NULL))
	{
		DecideAbsmartly(config, unit, override, d);
		return;
	}
	DecideFromTraffic(config, VARDATA_ANY(unit), VARSIZE_ANY_EXHDR(unit), override, d);
}

/*
 * CreateState
 *		The call site's state: result descriptor and enum values are set up
 *		once per query, not per row.
 */
static pg_noinline AssignState *
CreateState(FunctionCallInfo fcinfo)
{
	MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	AssignState *state;
	TupleDesc	desc;
	Oid			reason_type;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("assignment functions must return experiments.assignment"),
				 errdetail("The function was declared with another result type.")));
	state = palloc0(sizeof(AssignState));
	state->mcxt = fcinfo->flinfo->fn_mcxt;

	/*
	 * Only a Const: get_fn_expr_arg_stable() also accepts a PL/pgSQL
	 * parameter, whose value changes between calls of one call site.
	 */
	state->key_is_constant = fcinfo->flinfo->fn_expr != NULL &&
		IsA(fcinfo->flinfo->fn_expr, FuncExpr) &&
		IsA(linitial(((FuncExpr *) fcinfo->flinfo->fn_expr)->args), Const);
	state->desc = BlessTupleDesc(CreateTupleDescCopy(desc));
	reason_type = TupleDescAttr(state->desc, COL_REASON)->atttypid;
	for (int i = 0; i < REASON_COUNT; i++)
		state->reasons[i] = OidFunctionCall2(F_ENUM_IN, CStringGetDatum(reason_labels[i]),
											 ObjectIdGetDatum(reason_type));
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = state;
	return state;
}

/*
 * AssignedVariant
 *		The variant a unit gets in an experiment (NULL: none), for callers
 *		that need no reasons, such as allocate(): Decide() itself, so that
 *		their answers are assign()'s.
 */
const VariantConfig *
AssignedVariant(const ExperimentConfig *config, text *unit, Datum attributes, TimestampTz now)
{
	Decision	d;

	Decide(config, unit, attributes, now, NULL, &d);
	return d.variant != 0 ? &config->variants[d.variant - 1] : NULL;
}

/*
 * GetState
 *		The call site's state, created on its first call.
 */
static inline AssignState *
GetState(FunctionCallInfo fcinfo)
{
	AssignState *state = (AssignState *) fcinfo->flinfo->fn_extra;

	return likely(state != NULL) ? state : CreateState(fcinfo);
}

/*
 * ExperimentFor
 *		The configuration of the named experiment, reusing the previous call's
 *		lookup while the cache and the arguments are unchanged.
 */
static ExperimentConfig *
ExperimentFor(AssignState *state, const pg_uuid_t *tenant, text *key)
{
	ExperimentConfig *config = state->config;
	int			len = VARSIZE_ANY_EXHDR(key);

	if (config == NULL || state->generation != ConfigCacheGeneration() ||
		state->generation == 0 ||
		memcmp(&state->tenant, tenant, sizeof(pg_uuid_t)) != 0 ||
		len >= EXPERIMENT_KEY_BYTES || config->hash_key.key[len] != '\0' ||
		memcmp(config->hash_key.key, VARDATA_ANY(key), len) != 0)
	{
		config = LookupExperiment(tenant, key);
		state->config = config;
		state->tenant = *tenant;
		state->generation = ConfigCacheGeneration();
	}
	if (!config->exists)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("experiment \"%s\" does not exist",
						ShownInput(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key))),
				 errdetail("The caller's tenant has no experiment with that key."),
				 errhint("List the tenant's experiments in experiments.experiments.")));
	return config;
}

/*
 * FormDecision
 *		The experiments.assignment row of a decision, formed column by column.
 */
static HeapTuple
FormDecision(AssignState *state, const ExperimentConfig *config, const Decision *d)
{
	const KindColumns *k = &kind_columns[d->kind];
	Datum		values[NUM_COLUMNS];
	bool		nulls[NUM_COLUMNS];

	memset(nulls, 0, sizeof(nulls));
	values[COL_EXPERIMENT_ID] = Int64GetDatum(config->id);
	values[COL_EXPERIMENT] = PointerGetDatum(config->key);
	if (d->variant != 0)
	{
		values[COL_VARIANT] = PointerGetDatum(config->variants[d->variant - 1].key);
		values[COL_ORDINAL] = Int32GetDatum(config->variants[d->variant - 1].ordinal);
	}
	else
		nulls[COL_VARIANT] = nulls[COL_ORDINAL] = true;
	values[COL_ASSIGNED] = BoolGetDatum(k->assigned && d->variant != 0);
	values[COL_ELIGIBLE] = BoolGetDatum(k->eligible);
	values[COL_OVERRIDDEN] = BoolGetDatum(k->overridden);
	values[COL_FULL_ON] = BoolGetDatum(k->full_on);
	values[COL_CUSTOM] = BoolGetDatum(k->custom);
	values[COL_AUDIENCE_MISMATCH] = BoolGetDatum(d->audience_mismatch);
	values[COL_BUCKET] = Int32GetDatum(d->bucket);
	nulls[COL_BUCKET] = !k->has_bucket;
	values[COL_PERIOD] = Int64GetDatum(d->period);
	values[COL_REASON] = state->reasons[k->reason];
	return heap_form_tuple(state->desc, values, nulls);
}

/*
 * ColumnOffset
 *		Where a column's bytes start in a formed row, walking the columns as
 *		heap_deform_tuple does; the slack after the row for a NULL column.
 */
static uint32
ColumnOffset(TupleDesc desc, HeapTupleHeader row, uint32 len, int column)
{
	char	   *data = (char *) row + row->t_hoff;
	bool		hasnulls = (row->t_infomask & HEAP_HASNULL) != 0;
	uint32		off = 0;

	for (int i = 0; i <= column; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (hasnulls && att_isnull(i, row->t_bits))
		{
			if (i == column)
				return len;
			continue;
		}
		off = att_align_pointer(off, att->attalign, att->attlen, data + off);
		if (i == column)
			break;
		off = att_addlength_pointer(off, att->attlen, data + off);
	}
	return row->t_hoff + off;
}

/*
 * FormAssignmentRow
 *		The reusable row of a decision, in the configuration cache's memory.
 */
static pg_noinline AssignmentRow *
FormAssignmentRow(AssignState *state, const ExperimentConfig *config, const Decision *d)
{
	MemoryContext old = MemoryContextSwitchTo(config->context);
	HeapTuple	formed = FormDecision(state, config, d);
	AssignmentRow *r = palloc(sizeof(AssignmentRow));

	MemoryContextSwitchTo(old);
	r->len = formed->t_len;
	r->data = formed->t_data;
	r->bucket_offset = ColumnOffset(state->desc, r->data, r->len, COL_BUCKET);
	r->period_offset = ColumnOffset(state->desc, r->data, r->len, COL_PERIOD);
	return r;
}

/*
 * RowIndex
 *		Where the row of a (kind, audience_mismatch, variant) decision is kept
 *		in ExperimentConfig.rows.
 */
static inline int
RowIndex(const ExperimentConfig *config, int kind, bool audience_mismatch, int variant)
{
	return (kind * 2 + audience_mismatch) * (config->nvariants + 1) + variant;
}

/*
 * DecisionRow
 *		The configuration's row for a decision, formed on first use.
 */
static AssignmentRow *
DecisionRow(AssignState *state, ExperimentConfig *config, const Decision *d)
{
	int			index = RowIndex(config, d->kind, d->audience_mismatch, d->variant);

	if (config->rows == NULL)
		config->rows = MemoryContextAllocZero(config->context,
											  sizeof(AssignmentRow *) * KIND_COUNT * 2 *
											  (config->nvariants + 1));
	if (config->rows[index] == NULL)
		config->rows[index] = FormAssignmentRow(state, config, d);
	return config->rows[index];
}

/*
 * WriteRow
 *		A row with the bucket and period written in, into memory of at least
 *		r->len + ROW_SLACK bytes. No column is toasted, so the result is a
 *		valid composite Datum.
 */
static inline void
WriteRow(char *row, const AssignmentRow *r, int32 bucket, int64 period)
{
	memcpy(row, r->data, r->len);
	memcpy(row + r->bucket_offset, &bucket, sizeof(int32));
	memcpy(row + r->period_offset, &period, sizeof(int64));
}

/*
 * CopyRow
 *		A decision's row as a Datum in the caller's memory.
 */
static Datum
CopyRow(AssignState *state, const Decision *d)
{
	const AssignmentRow *r = DecisionRow(state, state->config, d);
	char	   *row = palloc(r->len + ROW_SLACK);

	WriteRow(row, r, d->bucket, d->period);
	return PointerGetDatum(row);
}

/*
 * KeepRow
 *		A plain decision's row, written into by_bucket's arena for good.
 */
static HeapTupleHeader
KeepRow(AssignState *state, BucketRows *by_bucket, const Decision *d)
{
	const AssignmentRow *r = DecisionRow(state, state->config, d);
	Size		size = MAXALIGN(r->len + ROW_SLACK);
	char	   *row;

	if (by_bucket->arena_free < size)
	{
		Size		block = Max(BUCKET_ROWS_ARENA, size);

		by_bucket->arena = MemoryContextAlloc(state->mcxt, block);
		by_bucket->arena_free = block;
	}
	row = by_bucket->arena;
	by_bucket->arena += size;
	by_bucket->arena_free -= size;
	WriteRow(row, r, d->bucket, d->period);
	return (HeapTupleHeader) row;
}

/*
 * PlainDecision
 *		The decision of a plain running experiment for units in traffic with
 *		a bucket, or for units not in traffic.
 */
static Decision
PlainDecision(const ExperimentConfig *config, bool in_traffic, int32 bucket)
{
	Decision	d;

	memset(&d, 0, sizeof(d));
	d.bucket = bucket;
	if (unlikely(config->growthbook != NULL))
	{
		/* GrowthBook's ranges decide both, as DecideGrowthBook() maps them */
		int			variant = in_traffic ? GrowthBookVariantOfBucket(config->growthbook, bucket) : -1;

		d.kind = variant >= 0 ? REASON_HASH : REASON_TRAFFIC;
		d.variant = variant + 1;
		return d;
	}
	if (unlikely(config->absmartly != NULL))
	{
		/* the variant of the bucket's start, as AbsmartlyBucketDatum() checks */
		int			variant = in_traffic ? AbsmartlyVariantOfBucket(config->absmartly, bucket) : -1;

		in_traffic = variant >= 0 && variant < config->nvariants;
		d.kind = in_traffic ? REASON_HASH : REASON_TRAFFIC;
		d.variant = in_traffic ? variant + 1 : 0;
		return d;
	}
	d.kind = in_traffic ? REASON_HASH : REASON_TRAFFIC;
	d.variant = in_traffic ? VariantOfBucket(config, bucket) : 0;
	return d;
}

/*
 * FormBucketRow
 *		The row of a bucket in by_bucket, formed on first use.
 */
static pg_noinline HeapTupleHeader
FormBucketRow(AssignState *state, int32 bucket)
{
	Decision	d = PlainDecision(state->config, true, bucket);

	state->by_bucket->rows[bucket] = KeepRow(state, state->by_bucket, &d);
	return state->by_bucket->rows[bucket];
}

/*
 * StickyDatum
 *		The row of a unit the filter found enrolled, formed once per variant.
 */
static pg_noinline Datum
StickyDatum(AssignState *state, int32 ordinal)
{
	BucketRows *by_bucket = state->by_bucket;
	Decision	d;

	memset(&d, 0, sizeof(d));
	d.kind = REASON_STICKY;
	d.variant = VariantOfOrdinal(state->config, ordinal);
	if (by_bucket->sticky == NULL)
		by_bucket->sticky = MemoryContextAllocZero(state->mcxt, sizeof(HeapTupleHeader) *
												   (state->config->nvariants + 1));
	if (by_bucket->sticky[d.variant] == NULL)
		by_bucket->sticky[d.variant] = KeepRow(state, by_bucket, &d);
	return PointerGetDatum(by_bucket->sticky[d.variant]);
}

/*
 * GrowthBookBucketDatum
 *		BucketDatum() for a GrowthBook experiment whose answer depends on the
 *		bucket alone (GrowthBookBucketOnly): one hash, whose bucket's row says
 *		whether the unit is in a range. An empty unit has no hash value, and
 *		is decided as in Decide() (no attribute is read).
 */
static pg_noinline Datum
GrowthBookBucketDatum(AssignState *state, text *unit)
{
	int32		bucket = GrowthBookUnitBucket(state->config->growthbook, VARDATA_ANY(unit),
											  VARSIZE_ANY_EXHDR(unit));
	HeapTupleHeader row;

	if (unlikely(bucket < 0))
	{
		Decision	d;

		memset(&d, 0, sizeof(d));
		DecideGrowthBook(state->config, unit, (Datum) 0, NULL, &d);
		return CopyRow(state, &d);
	}
	row = state->by_bucket->rows[bucket];
	if (unlikely(row == NULL))
		row = FormBucketRow(state, bucket);
	return PointerGetDatum(row);
}

/*
 * AbsmartlyBucketDatum
 *		BucketDatum() for an ABsmartly experiment: its draws, then the row of
 *		the variant draw's bucket, unless a split boundary falls inside that
 *		bucket and the unit is on the other side of it from the bucket's
 *		start (then its row is formed as in Decide()). As in BucketDatum(),
 *		the row is chosen without a branch on whether the unit is in traffic.
 */
static pg_noinline Datum
AbsmartlyBucketDatum(AssignState *state, text *unit)
{
	const ExperimentConfig *config = state->config;
	int			variant;
	int32		bucket;
	bool		at_start;
	bool		in_traffic;
	uintptr_t	mask;
	HeapTupleHeader row;

	in_traffic = AbsmartlyDecide(config->absmartly, VARDATA_ANY(unit), VARSIZE_ANY_EXHDR(unit),
								 &variant, &bucket, &at_start) &
		(variant >= 0) & (variant < config->nvariants);
	if (unlikely(!at_start) && in_traffic)
	{
		Decision	d;

		memset(&d, 0, sizeof(d));
		d.kind = REASON_HASH;
		d.variant = variant + 1;
		d.bucket = bucket;
		return CopyRow(state, &d);
	}
	/* a mask, since a compiler may well make a branch of a ?: here */
	mask = (uintptr_t) 0 - in_traffic;
	row = (HeapTupleHeader) (((uintptr_t) state->by_bucket->rows[bucket] & mask) |
							 ((uintptr_t) state->by_bucket->not_in_traffic & ~mask));
	if (unlikely(row == NULL))
		row = FormBucketRow(state, bucket);
	return PointerGetDatum(row);
}

/*
 * BucketDatum
 *		assign() for a simple running experiment, from by_bucket. Both buckets
 *		are always computed and the row is chosen without a branch, since the
 *		traffic test is random per unit. An experiment with enrolments comes
 *		here only with a filter that holds, whose probe reuses the variant
 *		hash.
 */
static pg_attribute_always_inline Datum
BucketDatum(AssignState *state, text *unit)
{
	const BucketRows *by_bucket = state->by_bucket;
	const ExperimentConfig *config = state->config;
	const char *u = VARDATA_ANY(unit);
	int			len = VARSIZE_ANY_EXHDR(unit);
	int32		traffic_bucket;
	uint64		hash;
	int32		bucket;
	HeapTupleHeader formed;
	HeapTupleHeader row;
	int32		ordinal;

	if (unlikely(config->growthbook != NULL || config->absmartly != NULL))
	{
		if (unlikely(state->filter != NULL) &&
			FilterEnrolment(state->filter, UnitHash(config->variant_seed, u, len), u, len, &ordinal))
			return StickyDatum(state, ordinal);
		if (config->growthbook != NULL)
			return GrowthBookBucketDatum(state, unit);
		return AbsmartlyBucketDatum(state, unit);
	}
	traffic_bucket = UnitBucket(config->traffic_seed, u, len);
	hash = UnitHash(config->variant_seed, u, len);
	bucket = BucketOfHash(hash);
	formed = by_bucket->rows[bucket];
	row = traffic_bucket < config->traffic_bp ? formed : by_bucket->not_in_traffic;
	if (unlikely(state->filter != NULL) &&
		FilterEnrolment(state->filter, hash, u, len, &ordinal))
		return StickyDatum(state, ordinal);
	if (unlikely(row == NULL))
		row = FormBucketRow(state, bucket);
	return PointerGetDatum(row);
}

/*
 * FilterServes
 *		Whether the call site's filter of enrolments may answer now.
 */
static inline bool
FilterServes(const AssignState *state)
{
	return state->filter != NULL &&
		EnrolmentFilterHolds(state->filter, state->config, state->period);
}

/*
 * ReadFilter
 *		Reads the experiment's enrolments into a filter, once the call site
 *		has made enough calls that it costs about what their lookups did, and
 *		only while they fit in work_mem; tried again after twice the calls
 *		when there were too many, or when a filter stopped holding.
 */
static void
ReadFilter(AssignState *state)
{
	uint64		by_memory = (uint64) work_mem * FILTER_ROWS_PER_KB;
	uint64		max_rows = Min(by_memory, state->calls * FILTER_ROWS_PER_CALL);

	if (state->filter_mcxt == NULL)
		state->filter_mcxt = AllocSetContextCreate(state->mcxt, "experiments enrolment filter",
												   ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(state->filter_mcxt);
	state->filter = BuildEnrolmentFilter(state->config, state->period, max_rows,
										 state->filter_mcxt);
	state->filter_after = state->filter == NULL && max_rows == by_memory ?
		PG_UINT64_MAX : state->calls * 2;
}

/*
 * UseBucketRows
 *		Sets by_bucket when the call site may return rows by bucket: its
 *		experiment is simple and running (with a filter that holds when it has
 *		enrolments; in GrowthBook mode, decided by the bucket alone), its key
 *		constant, and it has made
 *		BUCKET_ROWS_AFTER_CALLS calls. The rows are made once per call site,
 *		for its configuration at that time.
 */
static void
UseBucketRows(AssignState *state)
{
	ExperimentConfig *config = state->config;
	BucketRows *by_bucket = state->formed_by_bucket;

	state->by_bucket = NULL;
	if (!config->simple || (config->has_enrolments && !FilterServes(state)) ||
		!IsRunning(config, state->now) || state->epoch == 0 ||
		state->calls < BUCKET_ROWS_AFTER_CALLS ||
		(config->growthbook != NULL && !GrowthBookBucketOnly(config->growthbook)))
		return;
	if (by_bucket == NULL)
	{
		Decision	d = PlainDecision(config, false, 0);

		by_bucket = MemoryContextAllocZero(state->mcxt, sizeof(BucketRows));
		by_bucket->stamp = config->stamp;
		by_bucket->not_in_traffic = KeepRow(state, by_bucket, &d);
		state->formed_by_bucket = by_bucket;
	}
	if (by_bucket->stamp == config->stamp)
		state->by_bucket = by_bucket;
}

/*
 * PrepareCall
 *		What assign() works out once per call site, tenant, cache and
 *		transaction: the experiment, the time to decide at (the transaction's
 *		start: call sites can outlive a transaction in PL/pgSQL) and its reset
 *		period. lookup_epoch changes at the end of
 *		every transaction, so that the time is worked out again.
 */
static void
PrepareCall(AssignState *state, FunctionCallInfo fcinfo)
{
	pg_uuid_t	tenant;

	RequireTenant(&tenant);
	(void) ExperimentFor(state, &tenant, PG_GETARG_TEXT_PP(0));
	state->now = GetCurrentTransactionStartTimestamp();
	state->period = ResetPeriod(state->config, state->now);

	/*
	 * A key that may change between calls is looked up at every call (epoch
	 * 0 never matches: lookup_epoch is not 0 once a configuration has been
	 * read). So is a configuration invalidated while it was read (generation
	 * 0): it serves this call only.
	 */
	state->epoch = state->key_is_constant && state->generation != 0 ? lookup_epoch : 0;
}

/*
 * AssignPrepared
 *		assign() for every call that does not return rows by bucket: on a
 *		call site's first calls, after a change of tenant, cache or
 *		transaction, for experiments that are not simple or not running, and
 *		for experiments with enrolments while no filter of them holds.
 */
static pg_noinline Datum
AssignPrepared(FunctionCallInfo fcinfo)
{
	AssignState *state = GetState(fcinfo);
	text	   *unit;
	Decision	d;

	state->calls++;
	if (state->config == NULL || state->epoch != lookup_epoch)
		PrepareCall(state, fcinfo);
	if (state->filter != NULL && !FilterServes(state))
		state->filter = NULL;
	if (state->config->has_enrolments && state->epoch != 0 && !FilterServes(state) &&
		state->calls >= Max(state->filter_after, BUCKET_ROWS_AFTER_CALLS))
		ReadFilter(state);
	UseBucketRows(state);
	unit = UnitArgument(fcinfo, 1);
	if (state->by_bucket != NULL)
		return BucketDatum(state, unit);
	Decide(state->config, unit, PG_GETARG_DATUM(2), state->now,
		   FilterServes(state) ? state->filter : NULL, &d);
	return CopyRow(state, &d);
}

/*
 * assign(experiment text, unit text, attributes jsonb) returns assignment
 *		The variant a unit gets in one experiment of the caller's tenant, and
 *		why. Reads only; enrol() records the answer. The common call of a
 *		set-based assignment (a constant key, the same tenant, cache and
 *		transaction as the previous call, a simple running experiment, whose
 *		enrolments, if any, are in a filter that holds) costs two hashes and
 *		returns a row formed before.
 */
Datum
assign(PG_FUNCTION_ARGS)
{
	AssignState *state = (AssignState *) fcinfo->flinfo->fn_extra;

	if (unlikely(state == NULL || state->epoch != lookup_epoch || state->by_bucket == NULL ||
				 (state->filter != NULL && !FilterServes(state))))
		return AssignPrepared(fcinfo);
	return BucketDatum(state, UnitArgument(fcinfo, 1));
}

/*
 * assign_all(unit text, attributes jsonb) returns setof assignment
 *		assign() for every running experiment of the caller's tenant, in key
 *		order: what a client needs to render a page.
 */
Datum
assign_all(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AssignState *state;
	pg_uuid_t	tenant;
	ExperimentConfig **running;
	int			count;
	text	   *unit = PG_GETARG_TEXT_PP(0);
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	RequireTenant(&tenant);
	InitMaterializedSRF(fcinfo, 0);
	state = GetState(fcinfo);
	running = LookupRunningExperiments(&tenant, RUNNING_BY_KEY, &count);
	for (int i = 0; i < count; i++)
	{
		Decision	d;

		Decide(running[i], unit, PG_GETARG_DATUM(1), now, NULL, &d);
		tuplestore_puttuple(rsinfo->setResult, FormDecision(state, running[i], &d));
	}
	return (Datum) 0;
}

/*
 * random_seed() returns bigint
 *		64 random bits from the operating system's strong source, for the seeds
 *		of new experiments, layers and holdouts.
 */
Datum
random_seed(PG_FUNCTION_ARGS)
{
	int64		seed;

	if (!pg_strong_random(&seed, sizeof(seed)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random seed"),
				 errdetail("The operating system's random source failed.")));
	PG_RETURN_INT64(seed);
}
