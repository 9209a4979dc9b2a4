/*
 * config_cache.c
 *		Per-backend cache of compiled experiment configurations.
 *
 * Assignment must not read the catalog per unit, so each backend compiles an
 * experiment's row, variants, layer, holdouts, overrides and audience once
 * into a hash table keyed by (tenant, experiment key), with a second one by
 * (tenant, id) and, per tenant, its running experiments in key and in id
 * order: every lookup is a hash probe, whatever the number of tenants.
 *
 * The cache is kept by tenant. Each cached tenant owns a memory context that
 * holds everything compiled for it, so that it is thrown away whole; tenants
 * are kept in least-recently-used order, and when the cache holds more than
 * experiments.config_cache_size experiments the least recently used tenants
 * are evicted (never the one being served).
 *
 * Invalidation is transactional and scoped to a tenant. Every row written to
 * a catalog table that assignment reads fires a trigger that queues a
 * relcache invalidation message naming the row's tenant (TenantMessage: an
 * OID made from the tenant, which names no relation we care about);
 * PostgreSQL delivers it to every backend when the writing transaction
 * commits (and to the writer itself at its next command), replays it on hot
 * standbys, never sends it before, and drops it if the transaction aborts. The
 * callback marks only that tenant stale (and every tenant on a message for
 * everything: a TRUNCATE, or a backend that fell behind the invalidation
 * queue); the next lookup throws the stale tenants away and reloads what it
 * needs. Nothing is freed inside the callback, which may run while a caller
 * holds configurations: memory goes only at a lookup, after which callers
 * look their configurations up again (ConfigCacheGeneration).
 *
 * Configurations are read with a fresh snapshot, and tenants read under a
 * transaction snapshot (REPEATABLE READ, SERIALIZABLE) are dropped when that
 * transaction ends, so no cached entry is ever older than the last
 * invalidation it has seen. docs/assignment.md, "Caching and consistency",
 * tells the whole design.
 */
#include "assign.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/ilist.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(invalidate_assignment_cache);
PG_FUNCTION_INFO_V1(config_cache_stats);

/* A cached tenant: its experiments, its memory, its place in the LRU order. */
typedef struct TenantEntry
{
	pg_uuid_t	tenant;			/* hash key */
	Oid			message;		/* TenantMessage(tenant) */
	struct TenantEntry *next_same_message;	/* tenants whose messages collide */
	MemoryContext context;
	ExperimentConfig *configs;	/* linked by next_of_tenant */
	int			nconfigs;
	bool		stale;			/* on stale_tenants, dropped at the next lookup */
	bool		xact_bound;		/* read under a transaction snapshot: on xact_tenants */
	bool		has_running;
	int			nrunning;
	ExperimentConfig **running; /* in key order */
	ExperimentConfig **running_by_id;	/* in id order */
	dlist_node	node;			/* on lru_tenants, or on stale_tenants */
	dlist_node	xact_node;		/* on xact_tenants */
} TenantEntry;

/* The tenants an invalidation message names (collisions are chained). */
typedef struct MessageEntry
{
	Oid			message;		/* hash key */
	TenantEntry *first;
} MessageEntry;

typedef struct IdCacheKey
{
	pg_uuid_t	tenant;
	int64		id;
} IdCacheKey;

typedef struct IdEntry
{
	IdCacheKey	key;			/* hash key */
	ExperimentConfig *config;
} IdEntry;

/* What config_cache_stats() reports. */
typedef struct CacheStats
{
	int64		hits;
	int64		misses;
	int64		evictions;
	int64		invalidations;
} CacheStats;

/* experiments.config_cache_size: experiments a backend keeps compiled. */
static int	config_cache_size = 10000;

static MemoryContext cache_memory = NULL;	/* the hash tables; parent of the tenants' */
static HTAB *experiment_cache = NULL;
static HTAB *id_cache = NULL;
static HTAB *tenant_cache = NULL;
static HTAB *message_cache = NULL;
static dlist_head lru_tenants = DLIST_STATIC_INIT(lru_tenants);	/* most recent first */
static dlist_head stale_tenants = DLIST_STATIC_INIT(stale_tenants);
static dlist_head xact_tenants = DLIST_STATIC_INIT(xact_tenants);
static int	cached_experiments = 0;
static bool everything_stale = true;
static uint64 cache_generation = 1;
static uint64 next_stamp = 1;
static CacheStats stats;
uint64		lookup_epoch = 0;
static Oid	sentinel_relid = InvalidOid;
static bool sentinel_check = false;

/*
 * SentinelRelid
 *		experiments.experiments, whose disappearance (DROP EXTENSION) means
 *		that nothing cached is right any more.
 */
static Oid
SentinelRelid(void)
{
	Oid			nsp = get_namespace_oid("experiments", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("experiments", nsp) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the experiments catalog is missing"),
				 errdetail("Table experiments.experiments does not exist in this database."),
				 errhint("Run CREATE EXTENSION experiments.")));
	return relid;
}

/*
 * TenantMessage
 *		The OID an invalidation message about a tenant carries: a hash of the
 *		tenant at or above FirstNormalObjectId, so that it is never a relation
 *		of the relcache init file. If it happens to be a relation's OID, that
 *		relation's relcache entry is rebuilt once more, which is harmless.
 */
static Oid
TenantMessage(const pg_uuid_t *tenant)
{
	uint32		h = hash_bytes((const unsigned char *) tenant->data, UUID_LEN);

	return (Oid) (FirstNormalObjectId + h % (PG_UINT32_MAX - FirstNormalObjectId));
}

/*
 * MarkStale
 *		Moves a tenant to stale_tenants, for the next lookup to drop. Safe
 *		inside an invalidation callback: it only relinks.
 */
static void
MarkStale(TenantEntry *entry)
{
	if (entry->stale)
		return;
	entry->stale = true;
	dlist_delete(&entry->node);
	dlist_push_tail(&stale_tenants, &entry->node);
	cache_generation++;
	lookup_epoch++;
}

/*
 * InvalidateCallback
 *		Relcache callback: marks stale the tenants a message names, or
 *		everything. Must not touch the catalog or free memory.
 */
static void
InvalidateCallback(Datum arg, Oid relid)
{
	MessageEntry *m;

	if (relid == InvalidOid)
	{
		everything_stale = true;
		cache_generation++;
		lookup_epoch++;
		return;
	}
	if (relid == sentinel_relid)
		sentinel_check = true;
	if (message_cache == NULL)
		return;
	m = hash_search(message_cache, &relid, HASH_FIND, NULL);
	if (m == NULL)
		return;
	for (TenantEntry *entry = m->first; entry != NULL; entry = entry->next_same_message)
		MarkStale(entry);
}

/*
 * AtXactEnd
 *		Ends every remembered lookup with the transaction, whose start time
 *		assignment decides at, and marks stale the tenants read under a
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
		while (!dlist_is_empty(&xact_tenants))
		{
			TenantEntry *entry = dlist_container(TenantEntry, xact_node,
												 dlist_pop_head_node(&xact_tenants));

			entry->xact_bound = false;
			MarkStale(entry);
		}
	}
}

/*
 * ConfigCacheInit
 *		Defines experiments.config_cache_size and registers the callbacks;
 *		called once per backend from _PG_init.
 */
void
ConfigCacheInit(void)
{
	DefineCustomIntVariable("experiments.config_cache_size",
							"Experiments whose compiled configurations a session keeps.",
							"When the cache holds more, the tenants used least recently are evicted whole. "
							"About 1 kB an experiment; the tenant being served is never evicted.",
							&config_cache_size, 10000, 1, INT_MAX / 2,
							PGC_SUSET, 0, NULL, NULL, NULL);
	CacheRegisterRelcacheCallback(InvalidateCallback, (Datum) 0);
	RegisterXactCallback(AtXactEnd, NULL);
}

/*
 * ConfigCacheGeneration
 *		A number that changes whenever cached configurations may have been
 *		thrown away, so that callers may keep pointers into the cache while it
 *		stays the same; 0 while an invalidation is pending (what was just
 *		looked up then serves one call only).
 */
uint64
ConfigCacheGeneration(void)
{
	return everything_stale || !dlist_is_empty(&stale_tenants) ? 0 : cache_generation;
}

/*
 * DropTenant
 *		Throws away everything cached for a tenant.
 */
static void
DropTenant(TenantEntry *entry)
{
	MessageEntry *m = hash_search(message_cache, &entry->message, HASH_FIND, NULL);
	TenantEntry **link;

	for (ExperimentConfig *config = entry->configs, *next; config != NULL; config = next)
	{
		next = config->next_of_tenant;
		AudienceFree(config->audience);
		if (config->exists)
		{
			IdCacheKey	key;

			memset(&key, 0, sizeof(key));
			key.tenant = entry->tenant;
			key.id = config->id;
			(void) hash_search(id_cache, &key, HASH_REMOVE, NULL);
		}
		(void) hash_search(experiment_cache, &config->hash_key, HASH_REMOVE, NULL);
	}
	cached_experiments -= entry->nconfigs;
	for (link = &m->first; *link != entry; link = &(*link)->next_same_message)
		;
	*link = entry->next_same_message;
	if (m->first == NULL)
		(void) hash_search(message_cache, &entry->message, HASH_REMOVE, NULL);
	dlist_delete(&entry->node);
	if (entry->xact_bound)
		dlist_delete(&entry->xact_node);
	MemoryContextDelete(entry->context);
	(void) hash_search(tenant_cache, &entry->tenant, HASH_REMOVE, NULL);
	cache_generation++;
	lookup_epoch++;
}

/*
 * CacheTable
 *		A hash table of the cache, in its memory, keyed by the bytes of a
 *		struct.
 */
static HTAB *
CacheTable(const char *name, Size keysize, Size entrysize)
{
	HASHCTL		ctl;

	ctl.hcxt = cache_memory;
	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	return hash_create(name, 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
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
	if (cache_memory == NULL)
		cache_memory = AllocSetContextCreate(CacheMemoryContext,
											 "experiments assignment cache",
											 ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(cache_memory);	/* and the tenants' contexts */

	experiment_cache = CacheTable("experiments configurations",
								  sizeof(ExperimentCacheKey), sizeof(ExperimentConfig));
	id_cache = CacheTable("experiments configurations by id", sizeof(IdCacheKey), sizeof(IdEntry));
	tenant_cache = CacheTable("experiments tenants", sizeof(pg_uuid_t), sizeof(TenantEntry));
	message_cache = CacheTable("experiments tenant messages", sizeof(Oid), sizeof(MessageEntry));
	dlist_init(&lru_tenants);
	dlist_init(&stale_tenants);
	dlist_init(&xact_tenants);
	cached_experiments = 0;
	cache_generation++;
	lookup_epoch++;
	everything_stale = false;
}

/*
 * EnsureFresh
 *		Applies pending invalidations: drops the stale tenants, or everything
 *		when the catalog itself went away.
 */
static void
EnsureFresh(void)
{
	AcceptInvalidationMessages();
	if (sentinel_check || !OidIsValid(sentinel_relid))
	{
		Oid			relid = SentinelRelid();

		sentinel_check = false;
		if (relid != sentinel_relid)
			everything_stale = true;
		sentinel_relid = relid;
	}
	if (everything_stale || experiment_cache == NULL)
	{
		if (experiment_cache != NULL)
			stats.invalidations += hash_get_num_entries(tenant_cache);
		ResetCache();
	}
	while (!dlist_is_empty(&stale_tenants))
	{
		stats.invalidations++;
		DropTenant(dlist_head_element(TenantEntry, node, &stale_tenants));
	}
}

/*
 * TenantFor
 *		The fresh cache entry of a tenant, made the most recently used;
 *		created empty on a miss.
 */
static TenantEntry *
TenantFor(const pg_uuid_t *tenant)
{
	TenantEntry *entry;
	bool		found;

	EnsureFresh();
	entry = hash_search(tenant_cache, tenant, HASH_ENTER, &found);
	if (found)
	{
		dlist_move_head(&lru_tenants, &entry->node);
		return entry;
	}
	PG_TRY();
	{
		MessageEntry *m;

		entry->context = AllocSetContextCreate(cache_memory, "experiments tenant",
											   ALLOCSET_SMALL_SIZES);
		entry->message = TenantMessage(tenant);
		m = hash_search(message_cache, &entry->message, HASH_ENTER, &found);
		entry->next_same_message = found ? m->first : NULL;
		m->first = entry;
	}
	PG_CATCH();
	{
		(void) hash_search(tenant_cache, tenant, HASH_REMOVE, NULL);
		PG_RE_THROW();
	}
	PG_END_TRY();
	entry->configs = NULL;
	entry->nconfigs = 0;
	entry->stale = false;
	entry->xact_bound = false;
	entry->has_running = false;
	dlist_push_head(&lru_tenants, &entry->node);
	return entry;
}

/*
 * EvictBeyondSize
 *		Drops the least recently used tenants while the cache holds more
 *		experiments than experiments.config_cache_size, sparing the tenant
 *		being served.
 */
static void
EvictBeyondSize(const TenantEntry *serving)
{
	while (cached_experiments > config_cache_size && !dlist_is_empty(&lru_tenants))
	{
		TenantEntry *oldest = dlist_tail_element(TenantEntry, node, &lru_tenants);

		if (oldest == serving)
			break;
		stats.evictions++;
		DropTenant(oldest);
	}
}

/*
 * WithCatalog
 *		Runs work inside SPI as the tables' owner (BeginTableWork).
 */
void
WithCatalog(void (*work) (void *), void *arg)
{
	TableWork	table_work;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	BeginTableWork(&table_work);
	work(arg);
	EndTableWork(&table_work);
	SPI_finish();
}

/*
 * LoadForTenant
 *		Runs a loader of a tenant's configurations. Configurations read under
 *		a transaction snapshot do not outlive the transaction.
 */
static void
LoadForTenant(TenantEntry *entry, void (*loader) (void *), void *arg)
{
	WithCatalog(loader, arg);
	if (IsolationUsesXactSnapshot() && !entry->xact_bound)
	{
		entry->xact_bound = true;
		dlist_push_tail(&xact_tenants, &entry->xact_node);
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
	MemoryContext cache_context = config->context;	/* its tenant's memory */

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
	config->simple = config->noverrides == 0 && config->audience == NULL &&
		!config->has_layer && config->nholdouts == 0 && config->reset_usecs == 0 &&
		config->full_on_ordinal < 0;
	config->plain = config->simple && !config->has_enrolments;
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
 *		The cached configuration for a hash key of the tenant entry's tenant,
 *		loading it on a miss.
 */
static ExperimentConfig *
FindOrLoad(TenantEntry *entry, const ExperimentCacheKey *hkey)
{
	ExperimentConfig *config;
	ExperimentConfig scratch;
	bool		found;

	config = hash_search(experiment_cache, hkey, HASH_FIND, &found);
	if (found)
	{
		stats.hits++;
		return config;
	}
	stats.misses++;

	/* Compile into a scratch entry first, so an error leaves no half entry. */
	memset(&scratch, 0, sizeof(scratch));
	scratch.hash_key = *hkey;
	scratch.context = entry->context;
	scratch.stamp = next_stamp++;
	PG_TRY();
	{
		LoadForTenant(entry, LoadExperimentCallback, &scratch);
	}
	PG_CATCH();
	{
		AudienceFree(scratch.audience);
		PG_RE_THROW();
	}
	PG_END_TRY();

	/*
	 * Entered even when the tenant was invalidated while loading: it serves
	 * this call (ConfigCacheGeneration() is 0) and goes with the tenant at
	 * the next lookup.
	 */
	config = hash_search(experiment_cache, hkey, HASH_ENTER, &found);
	*config = scratch;
	config->next_of_tenant = entry->configs;
	entry->configs = config;
	entry->nconfigs++;
	cached_experiments++;
	if (config->exists)
	{
		IdEntry    *by_id;
		IdCacheKey	key;

		memset(&key, 0, sizeof(key));
		key.tenant = hkey->tenant;
		key.id = config->id;
		by_id = hash_search(id_cache, &key, HASH_ENTER, &found);
		by_id->config = config;
	}
	EvictBeyondSize(entry);
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
	TenantEntry *entry = TenantFor(tenant);

	if (!MakeCacheKey(&hkey, tenant, key, len) || memchr(key, '\0', len) != NULL)
	{
		static ExperimentConfig missing;

		missing.exists = false;
		return &missing;
	}
	return FindOrLoad(entry, &hkey);
}

typedef struct KeyOfId
{
	pg_uuid_t	tenant;
	int64		id;
	MemoryContext context;		/* where the key is copied: not SPI's */
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
		lookup->key = MemoryContextStrdup(lookup->context,
										  SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
}

/*
 * LookupExperimentById
 *		The compiled configuration of a tenant's experiment known by its
 *		numeric id (AB Tasty's campaign_id): a hash probe once it is cached;
 *		a miss costs one query for the key.
 */
ExperimentConfig *
LookupExperimentById(const pg_uuid_t *tenant, int64 id)
{
	TenantEntry *entry = TenantFor(tenant);
	IdEntry    *by_id;
	IdCacheKey	key;
	KeyOfId		lookup;

	memset(&key, 0, sizeof(key));
	key.tenant = *tenant;
	key.id = id;
	by_id = hash_search(id_cache, &key, HASH_FIND, NULL);
	if (by_id != NULL)
	{
		stats.hits++;
		return by_id->config;
	}
	lookup.tenant = *tenant;
	lookup.id = id;
	lookup.context = CurrentMemoryContext;
	lookup.key = NULL;
	LoadForTenant(entry, LoadKeyOfIdCallback, &lookup);
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
 * CompareIds
 *		qsort order of configurations by id.
 */
static int
CompareIds(const void *a, const void *b)
{
	int64		x = (*(ExperimentConfig *const *) a)->id;
	int64		y = (*(ExperimentConfig *const *) b)->id;

	return (x > y) - (x < y);
}

/*
 * LookupRunningExperiments
 *		The configurations of every experiment of a tenant in state running
 *		(the schedule is checked by assignment itself), in key or in id
 *		order: both are made once, when the list is loaded.
 */
ExperimentConfig **
LookupRunningExperiments(const pg_uuid_t *tenant, RunningOrder order, int *count)
{
	TenantEntry *entry = TenantFor(tenant);
	RunningLoad load;
	ListCell   *lc;
	ExperimentConfig **running;
	ExperimentConfig **by_id;
	int			n = 0;

	if (entry->has_running)
	{
		stats.hits++;
		*count = entry->nrunning;
		return order == RUNNING_BY_ID ? entry->running_by_id : entry->running;
	}
	load.tenant = *tenant;
	load.context = CurrentMemoryContext;
	load.keys = NIL;
	LoadForTenant(entry, LoadRunningCallback, &load);
	running = MemoryContextAllocZero(entry->context,
									 sizeof(ExperimentConfig *) * Max(1, list_length(load.keys)));
	foreach(lc, load.keys)
	{
		ExperimentCacheKey hkey;
		char	   *key = lfirst(lc);

		if (MakeCacheKey(&hkey, tenant, key, strlen(key)))
			running[n++] = FindOrLoad(entry, &hkey);
	}
	by_id = MemoryContextAlloc(entry->context, sizeof(ExperimentConfig *) * Max(1, n));
	memcpy(by_id, running, sizeof(ExperimentConfig *) * n);
	qsort(by_id, n, sizeof(ExperimentConfig *), CompareIds);
	if (!entry->stale)
	{
		entry->has_running = true;
		entry->nrunning = n;
		entry->running = running;
		entry->running_by_id = by_id;
	}
	*count = n;
	return order == RUNNING_BY_ID ? by_id : running;
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

/*
 * SendTenantMessage
 *		Queues the invalidation of a tenant's cached configurations, sent to
 *		every backend when the transaction commits: a relcache invalidation
 *		whose OID is TenantMessage(tenant). CacheInvalidateRelcacheByTuple()
 *		reads only the oid and relisshared of the pg_class row it is given,
 *		so that row is made here.
 */
static void
SendTenantMessage(const pg_uuid_t *tenant)
{
	union
	{
		HeapTupleHeaderData header;
		char		bytes[MAXALIGN(SizeofHeapTupleHeader) + sizeof(FormData_pg_class)];
	}			row;
	HeapTupleData tuple;
	Form_pg_class form;

	memset(&row, 0, sizeof(row));
	row.header.t_hoff = MAXALIGN(SizeofHeapTupleHeader);
	tuple.t_data = &row.header;
	tuple.t_len = sizeof(row);
	form = (Form_pg_class) GETSTRUCT(&tuple);
	form->oid = TenantMessage(tenant);
	form->relisshared = false;
	CacheInvalidateRelcacheByTuple(&tuple);
}

/*
 * RowTenant
 *		The tenant_id of a catalog row.
 */
static pg_uuid_t *
RowTenant(Relation rel, HeapTuple row)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			column = SPI_fnumber(desc, "tenant_id");
	bool		isnull;
	Datum		d;

	if (column <= 0)
		elog(ERROR, "table \"%s\" has no tenant_id", RelationGetRelationName(rel));
	d = heap_getattr(row, column, desc, &isnull);
	if (isnull)
		elog(ERROR, "a row of \"%s\" has no tenant_id", RelationGetRelationName(rel));
	return DatumGetUUIDP(d);
}

/*
 * SameRow
 *		Whether an update left a row's columns as they were, byte for byte
 *		(an unchanged toasted value keeps its pointer). A difference that is
 *		not one, such as padding, only costs an invalidation.
 */
static bool
SameRow(HeapTuple a, HeapTuple b)
{
	Size		start = offsetof(HeapTupleHeaderData, t_bits);

	return a->t_len == b->t_len && a->t_data->t_hoff == b->t_data->t_hoff &&
		HeapTupleHeaderGetNatts(a->t_data) == HeapTupleHeaderGetNatts(b->t_data) &&
		(a->t_data->t_infomask & HEAP_HASNULL) == (b->t_data->t_infomask & HEAP_HASNULL) &&
		memcmp((char *) a->t_data + start, (char *) b->t_data + start, a->t_len - start) == 0;
}

/*
 * invalidate_assignment_cache() trigger
 *		After a row of a table assignment reads is written: queues the
 *		invalidation of its tenant's cached configurations in every backend,
 *		sent when the transaction commits; nothing for an update that changed
 *		nothing. Fired for a statement (TRUNCATE, or the statement-level
 *		triggers of 0.1.0 until ALTER EXTENSION UPDATE), which names no
 *		tenant: every tenant's.
 */
Datum
invalidate_assignment_cache(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigger->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("invalidate_assignment_cache() must be called as an AFTER trigger"),
				 errdetail("It is attached to the catalog tables by the extension.")));
	if (!TRIGGER_FIRED_FOR_ROW(trigger->tg_event))
		CacheInvalidateRelcacheAll();
	else if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event))
	{
		pg_uuid_t  *before = RowTenant(trigger->tg_relation, trigger->tg_trigtuple);
		pg_uuid_t  *after = RowTenant(trigger->tg_relation, trigger->tg_newtuple);

		if (!SameRow(trigger->tg_trigtuple, trigger->tg_newtuple))
		{
			SendTenantMessage(before);
			if (memcmp(before, after, sizeof(pg_uuid_t)) != 0)
				SendTenantMessage(after);
		}
	}
	else
		SendTenantMessage(RowTenant(trigger->tg_relation, trigger->tg_trigtuple));
	return PointerGetDatum(NULL);
}

/*
 * config_cache_stats() returns record
 *		What this session's configuration cache holds and has done: for
 *		operators sizing experiments.config_cache_size, and for the tests of
 *		invalidation and eviction. Applies pending invalidations first.
 */
Datum
config_cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "config_cache_stats() must return a record");
	EnsureFresh();
	values[0] = Int64GetDatum(cached_experiments);
	values[1] = Int64GetDatum(hash_get_num_entries(tenant_cache));
	values[2] = Int64GetDatum(stats.hits);
	values[3] = Int64GetDatum(stats.misses);
	values[4] = Int64GetDatum(stats.evictions);
	values[5] = Int64GetDatum(stats.invalidations);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
