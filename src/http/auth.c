/*
 * auth.c
 *		PostgREST's pre-request function, and a per-backend cache of the API
 *		keys it has seen accepted.
 *
 * authenticate_request() runs before every request. The SQL function
 * experiments_internal.authenticate() (src/http/auth.sql) stays the one that
 * decides: a request without an x-api-key string, and a key this backend has
 * not seen accepted since experiments.api_keys last changed, go to it, and it
 * raises 401 for a bad key, or on an /rpc/ path lets the request go on as
 * experiments_anon without a tenant, for the endpoint to answer the failure in
 * its API's document (experiments_internal.authorize()). What it answers for a key it accepts, the tenant and the
 * role, is remembered under the key's SHA-256 digest (never the key), so the
 * next request with that key costs one digest and one hash lookup.
 *
 * Invalidation is transactional, as the configuration cache's
 * (config_cache.c): every write to experiments.api_keys (a revocation, a
 * deletion, a tenant's deletion cascading to its keys) fires a trigger that
 * queues a relcache invalidation of experiments.api_keys. PostgreSQL delivers
 * it to every backend when the writing transaction commits, and each lookup
 * accepts pending invalidations first and forgets every key if one concerns
 * the table. So a revoked key is refused by the first statement of any
 * session that starts after the revoking COMMIT returned. An answer is kept
 * only if no invalidation arrived while authenticate() ran, and never when
 * it ran under a transaction snapshot (REPEATABLE READ, SERIALIZABLE), which
 * may predate a revocation already processed.
 */
#include "auth.h"
#include "core.h"

#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "mb/pg_wchar.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/catcache.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(authenticate_request);
PG_FUNCTION_INFO_V1(invalidate_key_cache);

/* What authenticate() answered for one key: the settings it made, the role. */
typedef struct KeyEntry
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];	/* hash key */
	char		tenant[UUID_LEN * 2 + 5];	/* canonical text, for the setting */
	char		role[NAMEDATALEN];
	char		principal[512];	/* experiments.principal, JSON text */
} KeyEntry;

static HTAB *key_cache = NULL;
static Oid	api_keys_relid = InvalidOid;
/* Counts invalidations of experiments.api_keys; the cache is of one count. */
static uint64 invalidations = 0;
static uint64 cache_invalidations = 0;

/*
 * InvalidateCallback
 *		Relcache callback: counts invalidations of experiments.api_keys (or
 *		of everything). Must not touch the catalog.
 */
static void
InvalidateCallback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == api_keys_relid)
	{
		invalidations++;
		if (relid == InvalidOid)
			api_keys_relid = InvalidOid;
	}
}

/*
 * KeyCacheInit
 *		Registers the callback; called once per backend from _PG_init.
 */
void
KeyCacheInit(void)
{
	CacheRegisterRelcacheCallback(InvalidateCallback, (Datum) 0);
}

/*
 * FreshKeyCache
 *		The key cache after pending invalidations: emptied when one concerned
 *		experiments.api_keys since it was filled.
 */
static HTAB *
FreshKeyCache(void)
{
	AcceptInvalidationMessages();
	if (key_cache == NULL || cache_invalidations != invalidations || !OidIsValid(api_keys_relid))
	{
		HASHCTL		ctl;

		if (key_cache != NULL)
			hash_destroy(key_cache);
		key_cache = NULL;
		api_keys_relid = get_relname_relid("api_keys", get_namespace_oid("experiments", false));
		ctl.keysize = PG_SHA256_DIGEST_LENGTH;
		ctl.entrysize = sizeof(KeyEntry);
		ctl.hcxt = CacheMemoryContext;
		key_cache = hash_create("experiments API keys", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		cache_invalidations = invalidations;
	}
	return key_cache;
}

/*
 * KeyDigest
 *		sha256 of the key's UTF-8 bytes, as experiments.api_keys stores it.
 */
static void
KeyDigest(const char *key, int len, uint8 *digest)
{
	char	   *utf8 = pg_server_to_any(key, len, PG_UTF8);
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (utf8 != key)
		len = strlen(utf8);
	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) utf8, len) < 0 ||
		pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute the digest of an API key: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
}

/*
 * Authenticate
 *		Calls experiments_internal.authenticate(NULL, quiet) (it reads the
 *		request's headers and claims), which sets the tenant, or raises or
 *		(quiet) answers experiments_anon; the role it grants, or NULL.
 */
static text *
Authenticate(bool quiet)
{
	Oid			types[2] = {TEXTOID, BOOLOID};
	Datum		values[2] = {(Datum) 0, BoolGetDatum(quiet)};
	bool		nulls[2] = {true, false};
	bool		isnull;
	Datum		granted = CallExtensionFunction("experiments_internal", "authenticate", 2, types, values, nulls, &isnull);

	return isnull ? NULL : DatumGetTextPP(granted);
}

/*
 * SetLocal
 *		set_config(name, value, true), as the SQL function does it.
 */
static void
SetLocal(const char *name, const char *value)
{
	(void) DirectFunctionCall3(set_config_by_name, CStringGetTextDatum(name),
							   CStringGetTextDatum(value), BoolGetDatum(true));
}

/*
 * AuthenticateKey
 *		Authenticates an x-api-key header: from the cache when this backend
 *		saw the key accepted since experiments.api_keys last changed, else by
 *		authenticate(), whose answer is then remembered. Switches to the
 *		key's role.
 */
static void
AuthenticateKey(const char *key, int len, bool quiet)
{
	KeyEntry   *entry;
	bool		found;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	uint64		seen;
	text	   *granted;
	pg_uuid_t	tenant;
	const char *principal;

	KeyDigest(key, len, digest);
	entry = hash_search(FreshKeyCache(), digest, HASH_FIND, &found);
	if (found)
	{
		/* authenticate() sets the tenant as its owner, a superuser: so may we */
		(void) set_config_option("experiments.tenant", entry->tenant, PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
		(void) set_config_option("experiments.principal", entry->principal, PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
		SetLocal("role", entry->role);
		return;
	}
	seen = cache_invalidations;
	granted = Authenticate(quiet);
	if (granted == NULL)
		return;
	AcceptInvalidationMessages();
	principal = GetConfigOption("experiments.principal", true, false);
	if (seen == invalidations && !IsolationUsesXactSnapshot() && CurrentTenant(&tenant) &&
		VARSIZE_ANY_EXHDR(granted) < NAMEDATALEN &&
		principal != NULL && strlen(principal) < sizeof(entry->principal))
	{
		entry = hash_search(key_cache, digest, HASH_ENTER, &found);
		strlcpy(entry->tenant, DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&tenant))),
				sizeof(entry->tenant));
		text_to_cstring_buffer(granted, entry->role, sizeof(entry->role));
		strlcpy(entry->principal, principal, sizeof(entry->principal));
	}
	SetLocal("role", text_to_cstring(granted));
}

/*
 * MayCallPath
 *		Whether the current role may execute the experiments_api function
 *		that an /rpc/<name> path names; true when it names none (PostgREST
 *		answers 404 then).
 */
static bool
MayCallPath(const char *path)
{
	const char *name = path + strlen("/rpc/");
	char	   *function = pnstrdup(name, strcspn(name, "/"));
	Oid			api = get_namespace_oid("experiments_api", true);
	CatCList   *candidates;
	bool		allowed = true;

	if (!OidIsValid(api))
		return true;
	candidates = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(function));
	for (int i = 0; i < candidates->n_members; i++)
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(&candidates->members[i]->tuple);

		if (proc->pronamespace == api && pg_proc_aclcheck(proc->oid, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
			allowed = false;
	}
	ReleaseSysCacheList(candidates);
	return allowed;
}

/*
 * GoOnAnonymous
 *		Lets a refused request reach its endpoint as experiments_anon, with
 *		no tenant and no principal, for the endpoint to answer the refusal.
 */
static void
GoOnAnonymous(void)
{
	(void) set_config_option("experiments.tenant", "", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("experiments.principal", "", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	SetLocal("role", "experiments_anon");
}

/*
 * authenticate_request() returns void
 *		PostgREST's db-pre-request (docs/http-api.md, "Authentication"): the request's
 *		tenant and role from its x-api-key header, or from its token.
 */
Datum
authenticate_request(PG_FUNCTION_ARGS)
{
	const char *setting = GetConfigOption("request.headers", true, false);
	const char *path = GetConfigOption("request.path", true, false);
	Jsonb	   *headers = NULL;
	JsonbValue	key;
	bool		has_key = false;
	bool		quiet;
	text	   *granted;

	if (setting != NULL && setting[0] != '\0')
	{
		headers = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(setting)));
		/* headers ? 'x-api-key', whatever the document's shape */
		has_key = DatumGetBool(DirectFunctionCall2(jsonb_exists, JsonbPGetDatum(headers),
												   CStringGetTextDatum("x-api-key")));
	}
	/*
	 * On an /rpc/ path the endpoint answers a failure in its API's document
	 * (authorize()), which PostgREST cannot make of an error raised here.
	 */
	quiet = path != NULL && strncmp(path, "/rpc/", strlen("/rpc/")) == 0;
	if (has_key && JB_ROOT_IS_OBJECT(headers) &&
		getKeyJsonValueFromContainer(&headers->root, "x-api-key", strlen("x-api-key"), &key) != NULL &&
		key.type == jbvString)
		AuthenticateKey(key.val.string.val, key.val.string.len, quiet);
	else if ((granted = Authenticate(quiet)) != NULL)
		SetLocal("role", text_to_cstring(granted));
	/* Good credentials of a role the endpoint is not for: 403 there. */
	if (quiet && !MayCallPath(path))
		GoOnAnonymous();
	PG_RETURN_VOID();
}

/*
 * invalidate_key_cache() trigger
 *		Queues the invalidation that empties every backend's key cache once
 *		the writing transaction commits.
 */
Datum
invalidate_key_cache(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("invalidate_key_cache() must be called as a trigger"),
				 errdetail("It is attached to experiments.api_keys by the extension.")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(((TriggerData *) fcinfo->context)->tg_relation));
	return PointerGetDatum(NULL);
}
