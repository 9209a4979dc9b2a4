/*
 * config_cache.c
 *		Per-backend cache of compiled experiment configurations.
 *
 * Assignment must not read the catalog per unit, so each backend compiles an
 * experiment's row, variants, layer, holdouts, overrides and audience once
 * into a hash table keyed by (tenant, experiment key).
 *
 * Invalidation is transactional. Every write to a catalog table fires a
 * trigger that queues a relcache invalidation of experiments.experiments;
 * PostgreSQL delivers it to every backend when the writing transaction
 * commits (and to the writer itself at its next command), never before, and
 * drops it if the transaction aborts. The callback only marks the cache
 * stale; the next lookup throws everything away and reloads. Configurations
 * are read with a fresh snapshot, and ones read under a transaction snapshot
 * (REPEATABLE READ, SERIALIZABLE) are dropped when that transaction ends, so
 * no cached entry is ever older than the last invalidation it has seen.
 */
#include "assign.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(invalidate_assignment_cache);

typedef struct TenantEntry
{
	pg_uuid_t	tenant;
	int			count;
	ExperimentConfig **running;
} TenantEntry;

static MemoryContext cache_context = NULL;
static HTAB *experiment_cache = NULL;
static HTAB *tenant_cache = NULL;
static bool cache_stale = true;
static bool drop_at_xact_end = false;
static uint64 cache_generation = 0;
uint64		lookup_epoch = 0;
static Oid	sentinel_relid = InvalidOid;
static SPIPlanPtr enrolment_plan = NULL;

/*
 * SentinelRelid
 *		The relation whose invalidation means "the catalog changed":
 *		experiments.experiments.
 */
static Oid
SentinelRelid(void)
{
	if (!OidIsValid(sentinel_relid))
	{
		Oid			nsp = get_namespace_oid("experiments", false);

		sentinel_relid = get_relname_relid("experiments", nsp);
		if (!OidIsValid(sentinel_relid))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the experiments catalog is missing"),
					 errdetail("Table experiments.experiments does not exist in this database."),
					 errhint("Run CREATE EXTENSION experiments.")));
	}
	return sentinel_relid;
}

/*
 * InvalidateCallback
 *		Relcache callback: marks the cache stale when the sentinel (or
 *		everything) is invalidated. Must not touch the catalog.
 */
static void
InvalidateCallback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == sentinel_relid)
	{
		cache_stale = true;
		lookup_epoch++;
		if (relid == InvalidOid)
			sentinel_relid = InvalidOid;
	}
}

/*
 * AtXactEnd
 *		Ends every remembered lookup with the transaction, whose start time
 *		assignment decides at, and drops configurations read under a
 *		transaction snapshot. PREPARE TRANSACTION ends the session's
 *		transaction too.
 */
static void
AtXactEnd(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		lookup_epoch++;
		if (drop_at_xact_end)
		{
			cache_stale = true;
			drop_at_xact_end = false;
		}
	}
}

/*
 * ConfigCacheInit
 *		Registers the callbacks; called once per backend from _PG_init.
 */
void
ConfigCacheInit(void)
{
	CacheRegisterRelcacheCallback(InvalidateCallback, (Datum) 0);
	RegisterXactCallback(AtXactEnd, NULL);
}

/*
 * ConfigCacheGeneration
 *		A number that changes whenever the cache is emptied, so that callers
 *		may keep pointers into it while it stays the same.
 */
uint64
ConfigCacheGeneration(void)
{
	return cache_stale ? 0 : cache_generation;
}

/*
 * ConfigCacheContext
 *		Memory that lives exactly as long as the cached configurations, for
 *		what callers derive from them.
 */
MemoryContext
ConfigCacheContext(void)
{
	return cache_context;
}

/*
 * ResetCache
 *		Throws every compiled configuration away.
 */
static void
ResetCache(void)
{
	if (experiment_cache != NULL)
	{
		HASH_SEQ_STATUS status;
		ExperimentConfig *config;

		hash_seq_init(&status, experiment_cache);
		while ((config = hash_seq_search(&status)) != NULL)
			AudienceFree(config->audience);
	}
	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(CacheMemoryContext,
											  "experiments assignment cache",
											  ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(cache_context);
	if (enrolment_plan != NULL)
	{
		SPI_freeplan(enrolment_plan);
		enrolment_plan = NULL;
	}

	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(ExperimentCacheKey);
		ctl.entrysize = sizeof(ExperimentConfig);
		ctl.hcxt = cache_context;
		experiment_cache = hash_create("experiments configurations", 64, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		ctl.keysize = sizeof(pg_uuid_t);
		ctl.entrysize = sizeof(TenantEntry);
		tenant_cache = hash_create("experiments tenants", 16, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	cache_generation++;
	lookup_epoch++;
	cache_stale = false;
}

/*
 * EnsureFresh
 *		Applies pending invalidations and empties the cache if they concern it.
 */
static void
EnsureFresh(void)
{
	AcceptInvalidationMessages();
	if (cache_stale || experiment_cache == NULL)
	{
		ResetCache();
		(void) SentinelRelid();
	}
}

/*
 * CopyText
 *		A text datum of the current SPI row, copied into the cache.
 */
static text *
CopyText(HeapTuple tuple, TupleDesc desc, int column, MemoryContext context)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, column, &isnull);
	MemoryContext old;
	text	   *result;

	if (isnull)
		return NULL;
	old = MemoryContextSwitchTo(context);
	result = (text *) PG_DETOAST_DATUM_COPY(d);
	MemoryContextSwitchTo(old);
	return result;
}

#define COLUMN_VALUE(tuple, desc, n, isnull) SPI_getbinval((tuple), (desc), (n), (isnull))

/*
 * LoadVariants
 *		Variants in ordinal order with their cumulative ranges.
 */
static void
LoadVariants(ExperimentConfig *config, MemoryContext context)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(config->id)};
	int32		cumulative = 0;

	if (SPI_execute_with_args("SELECT ordinal, key, allocation_bp, id FROM experiments.variants"
							  " WHERE experiment_id = $1 ORDER BY ordinal",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the variants of an experiment");
	config->nvariants = (int) SPI_processed;
	config->variants = MemoryContextAllocZero(context, sizeof(VariantConfig) * Max(1, SPI_processed));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		cumulative += DatumGetInt32(COLUMN_VALUE(row, desc, 3, &isnull));
		config->variants[i].ordinal = DatumGetInt32(COLUMN_VALUE(row, desc, 1, &isnull));
		config->variants[i].key = CopyText(row, desc, 2, context);
		config->variants[i].upper = cumulative;
		config->variants[i].id = DatumGetInt64(COLUMN_VALUE(row, desc, 4, &isnull));
	}
	for (int i = 0; i < FIRST_VARIANTS; i++)
		config->first_uppers[i] = i < config->nvariants ? config->variants[i].upper : PG_INT32_MAX;
}

/*
 * LoadHoldouts
 *		Holdouts of the tenant, and of the experiment's layer if it has one.
 */
static void
LoadHoldouts(ExperimentConfig *config, int64 layer_id, MemoryContext context)
{
	Oid			types[2] = {UUIDOID, INT8OID};
	Datum		values[2] = {UUIDPGetDatum(&config->hash_key.tenant), Int64GetDatum(layer_id)};
	char		nulls[2] = {' ', layer_id == 0 ? 'n' : ' '};

	if (SPI_execute_with_args("SELECT seed, allocation_bp FROM experiments.holdouts"
							  " WHERE tenant_id = $1 AND (layer_id IS NULL OR layer_id = $2)"
							  " ORDER BY id",
							  2, types, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the holdouts of a tenant");
	config->nholdouts = (int) SPI_processed;
	config->holdouts = MemoryContextAllocZero(context, sizeof(HoldoutConfig) * Max(1, SPI_processed));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		config->holdouts[i].seed = (uint64) DatumGetInt64(COLUMN_VALUE(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		config->holdouts[i].allocation_bp = DatumGetInt32(COLUMN_VALUE(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}
}

/*
 * LoadOverrides
 *		Overrides sorted by the bytes of the unit, for binary search.
 */
static void
LoadOverrides(ExperimentConfig *config, MemoryContext context)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(config->id)};

	if (SPI_execute_with_args("SELECT unit, ordinal, kind = 'custom' FROM experiments.overrides"
							  " WHERE experiment_id = $1 ORDER BY unit COLLATE \"C\"",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the overrides of an experiment");
	config->noverrides = (int) SPI_processed;
	config->overrides = MemoryContextAllocZero(context, sizeof(OverrideConfig) * Max(1, SPI_processed));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		config->overrides[i].unit = CopyText(row, desc, 1, context);
		config->overrides[i].ordinal = DatumGetInt32(COLUMN_VALUE(row, desc, 2, &isnull));
		config->overrides[i].custom = DatumGetBool(COLUMN_VALUE(row, desc, 3, &isnull));
	}
}

/*
 * StateFromText
 *		The enum label of experiment_state as a C value.
 */
static ExperimentState
StateFromText(const char *label)
{
	if (strcmp(label, "running") == 0)
		return STATE_RUNNING;
	if (strcmp(label, "paused") == 0)
		return STATE_PAUSED;
	if (strcmp(label, "stopped") == 0)
		return STATE_STOPPED;
	return STATE_DRAFT;
}

/*
 * LoadExperiment
 *		Reads and compiles one experiment into config (whose hash key is set).
 *		An experiment that does not exist is remembered as such.
 */
static void
LoadExperiment(ExperimentConfig *config)
{
	Oid			types[2] = {UUIDOID, TEXTOID};
	Datum		values[2];
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	int64		layer_id = 0;
	char	   *reset;

	values[0] = UUIDPGetDatum(&config->hash_key.tenant);
	values[1] = CStringGetTextDatum(config->hash_key.key);
	if (SPI_execute_with_args(
							  "SELECT e.id, e.key, e.state::text, e.starts_at, e.ends_at,"
							  " coalesce(e.starts_at, e.started_at), e.reset_interval::text,"
							  " e.traffic_bp, e.traffic_seed, e.variant_seed, e.audience,"
							  " e.audience_strict, e.full_on_variant, e.layer_id, l.seed,"
							  " e.layer_lo, e.layer_hi, e.has_enrolments, e.gate,"
							  " CASE WHEN e.started_at IS NOT NULL THEN greatest(e.started_at, e.starts_at) END,"
							  " e.unit_type,"
	/* read by name: a 0.1.0 catalog, not yet updated, has neither column */
							  " coalesce(to_jsonb(e) ->> 'hashing', 'xxh3'),"
							  " coalesce(to_jsonb(e) -> 'hashing_options', '{}')"
							  " FROM experiments.experiments e"
							  " LEFT JOIN experiments.layers l ON l.id = e.layer_id"
							  " WHERE e.tenant_id = $1 AND e.key = $2",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read an experiment");
	if (SPI_processed == 0)
	{
		config->exists = false;
		return;
	}
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;

	config->exists = true;
	config->id = DatumGetInt64(COLUMN_VALUE(row, desc, 1, &isnull));
	config->key = CopyText(row, desc, 2, cache_context);
	config->state = StateFromText(SPI_getvalue(row, desc, 3));
	d = COLUMN_VALUE(row, desc, 4, &isnull);
	config->has_starts_at = !isnull;
	config->starts_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = COLUMN_VALUE(row, desc, 5, &isnull);
	config->has_ends_at = !isnull;
	config->ends_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = COLUMN_VALUE(row, desc, 6, &isnull);
	config->has_anchor = !isnull;
	config->anchor = isnull ? 0 : DatumGetTimestampTz(d);
	reset = SPI_getvalue(row, desc, 7);
	config->reset_usecs = strcmp(reset, "1d") == 0 ? USECS_PER_DAY :
		strcmp(reset, "1w") == 0 ? 7 * USECS_PER_DAY : 0;
	config->traffic_bp = DatumGetInt32(COLUMN_VALUE(row, desc, 8, &isnull));
	config->traffic_seed = (uint64) DatumGetInt64(COLUMN_VALUE(row, desc, 9, &isnull));
	config->variant_seed = (uint64) DatumGetInt64(COLUMN_VALUE(row, desc, 10, &isnull));
	config->audience = AudienceCompile(DatumGetJsonbP(COLUMN_VALUE(row, desc, 11, &isnull)),
									   cache_context);
	config->audience_strict = DatumGetBool(COLUMN_VALUE(row, desc, 12, &isnull));
	d = COLUMN_VALUE(row, desc, 13, &isnull);
	config->full_on_ordinal = isnull ? -1 : DatumGetInt32(d);
	d = COLUMN_VALUE(row, desc, 14, &isnull);
	config->has_layer = !isnull;
	if (!isnull)
	{
		layer_id = DatumGetInt64(d);
		config->layer_seed = (uint64) DatumGetInt64(COLUMN_VALUE(row, desc, 15, &isnull));
		config->layer_lo = DatumGetInt32(COLUMN_VALUE(row, desc, 16, &isnull));
		config->layer_hi = DatumGetInt32(COLUMN_VALUE(row, desc, 17, &isnull));
	}
	config->has_enrolments = DatumGetBool(COLUMN_VALUE(row, desc, 18, &isnull));
	d = COLUMN_VALUE(row, desc, 19, &isnull);
	config->gate = isnull ? NULL : MemoryContextStrdup(cache_context, TextDatumGetCString(d));
	d = COLUMN_VALUE(row, desc, 20, &isnull);
	config->has_started = !isnull;
	config->started = isnull ? 0 : DatumGetTimestampTz(d);
	config->unit_type = MemoryContextStrdup(cache_context, SPI_getvalue(row, desc, 21));

	LoadVariants(config, cache_context);
	LoadHoldouts(config, layer_id, cache_context);
	LoadOverrides(config, cache_context);
	if (strcmp(SPI_getvalue(row, desc, 22), "growthbook") == 0)
		config->growthbook = GrowthBookCompile(DatumGetJsonbP(COLUMN_VALUE(row, desc, 23, &isnull)),
											   config, cache_context);
	else if (strcmp(SPI_getvalue(row, desc, 22), "absmartly") == 0)
		config->absmartly = AbsmartlyCompile(DatumGetJsonbP(COLUMN_VALUE(row, desc, 23, &isnull)),
											 config, cache_context);
	config->plain = config->noverrides == 0 && !config->has_enrolments &&
		config->audience == NULL && !config->has_layer && config->nholdouts == 0 &&
		config->reset_usecs == 0 && config->full_on_ordinal < 0;
}

/*
 * WithCatalog
 *		Runs a loader inside SPI as the tables' owner (BeginTableWork). Configurations read
 *		under a transaction snapshot do not outlive the transaction.
 */
static void
WithCatalog(void (*loader) (void *), void *arg)
{
	TableWork	work;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	BeginTableWork(&work);
	loader(arg);
	EndTableWork(&work);
	SPI_finish();
	if (IsolationUsesXactSnapshot())
		drop_at_xact_end = true;
}

static void
LoadExperimentCallback(void *arg)
{
	LoadExperiment((ExperimentConfig *) arg);
}

/*
 * MakeCacheKey
 *		The hash key of (tenant, experiment key); false if the key is too long
 *		to be any experiment's.
 */
static bool
MakeCacheKey(ExperimentCacheKey *hkey, const pg_uuid_t *tenant, const char *key, int len)
{
	memset(hkey, 0, sizeof(*hkey));
	if (len >= EXPERIMENT_KEY_BYTES)
		return false;
	hkey->tenant = *tenant;
	memcpy(hkey->key, key, len);
	return true;
}

/*
 * FindOrLoad
 *		The cached configuration for a hash key, loading it on a miss.
 */
static ExperimentConfig *
FindOrLoad(const ExperimentCacheKey *hkey)
{
	ExperimentConfig *config;
	bool		found;

	config = hash_search(experiment_cache, hkey, HASH_FIND, &found);
	if (found)
		return config;

	/* Compile into a scratch entry first, so an error leaves no half entry. */
	{
		ExperimentConfig scratch;

		memset(&scratch, 0, sizeof(scratch));
		scratch.hash_key = *hkey;
		PG_TRY();
		{
			WithCatalog(LoadExperimentCallback, &scratch);
		}
		PG_CATCH();
		{
			AudienceFree(scratch.audience);
			PG_RE_THROW();
		}
		PG_END_TRY();
		if (cache_stale)
		{
			/* invalidated while loading: serve this call, cache nothing */
			config = MemoryContextAlloc(cache_context, sizeof(ExperimentConfig));
			*config = scratch;
			return config;
		}
		config = hash_search(experiment_cache, hkey, HASH_ENTER, &found);
		*config = scratch;
	}
	return config;
}

/*
 * LookupExperiment
 *		The compiled configuration of a tenant's experiment; exists is false
 *		when there is no such experiment.
 */
ExperimentConfig *
LookupExperiment(const pg_uuid_t *tenant, text *key)
{
	return LookupExperimentByName(tenant, VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
}

/*
 * LookupExperimentByName
 *		LookupExperiment() for a key that is not a text datum, such as a string
 *		inside a jsonb document, so that callers need not copy it.
 */
ExperimentConfig *
LookupExperimentByName(const pg_uuid_t *tenant, const char *key, int len)
{
	ExperimentCacheKey hkey;

	EnsureFresh();
	if (!MakeCacheKey(&hkey, tenant, key, len) || memchr(key, '\0', len) != NULL)
	{
		static ExperimentConfig missing;

		missing.exists = false;
		return &missing;
	}
	return FindOrLoad(&hkey);
}

typedef struct KeyOfId
{
	pg_uuid_t	tenant;
	int64		id;
	char	   *key;
} KeyOfId;

static void
LoadKeyOfIdCallback(void *arg)
{
	KeyOfId    *lookup = (KeyOfId *) arg;
	Oid			types[2] = {UUIDOID, INT8OID};
	Datum		values[2] = {UUIDPGetDatum(&lookup->tenant), Int64GetDatum(lookup->id)};

	if (SPI_execute_with_args("SELECT key FROM experiments.experiments WHERE tenant_id = $1 AND id = $2",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read an experiment");
	if (SPI_processed > 0)
		lookup->key = MemoryContextStrdup(cache_context,
										  SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
}

/*
 * LookupExperimentById
 *		The compiled configuration of a tenant's experiment known by its
 *		numeric id (AB Tasty's campaign_id). Single events only: a miss in
 *		the cache costs one query for the key.
 */
ExperimentConfig *
LookupExperimentById(const pg_uuid_t *tenant, int64 id)
{
	HASH_SEQ_STATUS status;
	ExperimentConfig *config;
	KeyOfId		lookup;

	EnsureFresh();
	hash_seq_init(&status, experiment_cache);
	while ((config = hash_seq_search(&status)) != NULL)
	{
		if (config->exists && config->id == id &&
			memcmp(&config->hash_key.tenant, tenant, sizeof(pg_uuid_t)) == 0)
		{
			hash_seq_term(&status);
			return config;
		}
	}
	lookup.tenant = *tenant;
	lookup.id = id;
	lookup.key = NULL;
	WithCatalog(LoadKeyOfIdCallback, &lookup);
	if (lookup.key == NULL)
		return LookupExperimentByName(tenant, "", 0);
	return LookupExperimentByName(tenant, lookup.key, strlen(lookup.key));
}

typedef struct RunningLoad
{
	pg_uuid_t	tenant;
	MemoryContext context;		/* where the key list lives: not SPI's */
	List	   *keys;
} RunningLoad;

static void
LoadRunningCallback(void *arg)
{
	RunningLoad *load = (RunningLoad *) arg;
	Oid			types[1] = {UUIDOID};
	Datum		values[1] = {UUIDPGetDatum(&load->tenant)};

	if (SPI_execute_with_args("SELECT key FROM experiments.experiments"
							  " WHERE tenant_id = $1 AND state = 'running' ORDER BY key COLLATE \"C\"",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the running experiments of a tenant");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(load->context);

		load->keys = lappend(load->keys,
							 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
		MemoryContextSwitchTo(old);
	}
}

/*
 * LookupRunningExperiments
 *		The configurations of every experiment of a tenant in state running,
 *		in key order (the schedule is checked by assignment itself).
 */
ExperimentConfig **
LookupRunningExperiments(const pg_uuid_t *tenant, int *count)
{
	TenantEntry *entry;
	bool		found;

	EnsureFresh();
	entry = hash_search(tenant_cache, tenant, HASH_FIND, &found);
	if (!found)
	{
		RunningLoad load;
		ListCell   *lc;
		ExperimentConfig **running;
		int			n = 0;

		load.tenant = *tenant;
		load.context = CurrentMemoryContext;
		load.keys = NIL;
		WithCatalog(LoadRunningCallback, &load);
		running = MemoryContextAllocZero(cache_context,
										 sizeof(ExperimentConfig *) * Max(1, list_length(load.keys)));
		foreach(lc, load.keys)
		{
			ExperimentCacheKey hkey;
			char	   *key = lfirst(lc);

			if (MakeCacheKey(&hkey, tenant, key, strlen(key)))
				running[n++] = FindOrLoad(&hkey);
		}
		if (cache_stale)
		{
			*count = n;
			return running;
		}
		entry = hash_search(tenant_cache, tenant, HASH_ENTER, &found);
		entry->count = n;
		entry->running = running;
	}
	*count = entry->count;
	return entry->running;
}

/*
 * VariantByOrdinal
 *		A variant of a compiled experiment, or NULL.
 */
const VariantConfig *
VariantByOrdinal(const ExperimentConfig *config, int32 ordinal)
{
	for (int i = 0; i < config->nvariants; i++)
		if (config->variants[i].ordinal == ordinal)
			return &config->variants[i];
	return NULL;
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
	Datum		values[3];
	bool		isnull;

	if (enrolment_plan == NULL)
	{
		Oid			types[3] = {INT8OID, TEXTOID, INT8OID};
		SPIPlanPtr	plan = SPI_prepare("SELECT ordinal FROM experiments.enrolments"
									   " WHERE experiment_id = $1 AND unit = $2 AND period = $3",
									   3, types);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the enrolment lookup");
		enrolment_plan = plan;
	}
	values[0] = Int64GetDatum(lookup->config->id);
	values[1] = PointerGetDatum(lookup->unit);
	values[2] = Int64GetDatum(lookup->period);
	if (SPI_execute_plan(enrolment_plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up an enrolment");
	lookup->found = SPI_processed > 0;
	if (lookup->found)
		lookup->ordinal = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * LookupEnrolment
 *		The variant a unit is enrolled in for a period, if any. Experiments
 *		that never had an enrolment are answered without a query.
 */
bool
LookupEnrolment(const ExperimentConfig *config, text *unit, int64 period, int32 *ordinal)
{
	EnrolmentLookup lookup;
	bool		was_drop = drop_at_xact_end;

	if (!config->has_enrolments)
		return false;
	lookup.config = config;
	lookup.unit = unit;
	lookup.period = period;
	lookup.found = false;
	lookup.ordinal = -1;
	WithCatalog(LookupEnrolmentCallback, &lookup);
	/* reading enrolments does not make the configurations transaction-bound */
	drop_at_xact_end = was_drop;
	*ordinal = lookup.ordinal;
	return lookup.found;
}

/*
 * invalidate_assignment_cache() trigger
 *		Queues the invalidation that empties every backend's cache once the
 *		writing transaction commits.
 */
Datum
invalidate_assignment_cache(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("invalidate_assignment_cache() must be called as a trigger"),
				 errdetail("It is attached to the catalog tables by the extension.")));
	CacheInvalidateRelcacheByRelid(SentinelRelid());
	return PointerGetDatum(NULL);
}
