/*
 * allocate.c
 *		POST /rpc/allocate (AB Tasty POST /v1/allocate): the variations a
 *		visitor gets, answered from the compiled configurations.
 *
 * Serving is the hot path of the HTTP API, so the answer is made here rather
 * than by a query: the running campaigns of the tenant and every variant id
 * come from the configuration cache (config_cache.c), each decision is
 * assign()'s own (AssignedVariant), and the jsonb document is built directly.
 * Only the enrolments of experiments that have some are read, as assign()
 * reads them.
 *
 * The SQL function is not SECURITY DEFINER: that would save and restore
 * search_path around every call. The code depends on no search_path (the
 * catalog reads pin their own and name every object with its schema), and
 * it runs its work as the function's owner, experiments_api_owner, as a
 * SECURITY DEFINER function would: the caller (experiments_client) may not
 * read the catalog tables, and row-level security still confines the owner
 * to the request's tenant. Errors are raised by the SQL functions every other
 * API function raises them with, so their statuses and documents are the same.
 */
#include "assign.h"
#include "auth.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(allocate);

/* The longest unit (visitor id) experiments_internal.check_unit() accepts, in bytes. */
#define UNIT_MAX_BYTES 640

/* The longest campaign_id looked up: 18 digits always fit in a bigint. */
#define CAMPAIGN_ID_MAX_DIGITS 18

/*
 * CheckVisitor
 *		Refuses a missing, empty or too long visitor_id with
 *		experiments_internal.check_unit()'s PT400 and message.
 */
static void
CheckVisitor(text *visitor)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	bool		nulls[2] = {false, visitor == NULL};

	if (visitor != NULL && VARSIZE_ANY_EXHDR(visitor) > 0 &&
		VARSIZE_ANY_EXHDR(visitor) <= UNIT_MAX_BYTES)
		return;
	values[0] = CStringGetTextDatum("visitor_id");
	values[1] = PointerGetDatum(visitor);
	(void) CallExtensionFunction("experiments_internal", "check_unit", 2, types, values, nulls, NULL);
	elog(ERROR, "experiments_internal.check_unit() accepted a visitor_id that allocate refuses");
}

/*
 * CampaignNotFound
 *		404 for a campaign_id that names no campaign of the tenant.
 */
static void
CampaignNotFound(text *campaign_id)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2];
	bool		nulls[2] = {false, false};

	values[0] = Int32GetDatum(404);
	values[1] = CStringGetTextDatum(psprintf("Campaign %s does not exist. List your campaigns with allocate without campaign_id.",
											 text_to_cstring(campaign_id)));
	(void) CallExtensionFunction("experiments_internal", "raise_api_error", 2, types, values, nulls, NULL);
	elog(ERROR, "experiments_internal.raise_api_error() returned");
}

/*
 * CampaignOf
 *		The tenant's campaign a campaign_id names (its id, in decimal digits),
 *		or NULL.
 */
static ExperimentConfig *
CampaignOf(const pg_uuid_t *tenant, text *campaign_id)
{
	const char *digits = VARDATA_ANY(campaign_id);
	int			len = VARSIZE_ANY_EXHDR(campaign_id);
	int64		id = 0;
	ExperimentConfig *config;

	if (len < 1 || len > CAMPAIGN_ID_MAX_DIGITS)
		return NULL;
	for (int i = 0; i < len; i++)
	{
		if (digits[i] < '0' || digits[i] > '9')
			return NULL;
		id = id * 10 + (digits[i] - '0');
	}
	config = LookupExperimentById(tenant, id);
	return config->exists ? config : NULL;
}

/*
 * EmptyAttributes
 *		The attributes allocate assigns with: none, an empty jsonb object
 *		(audiences see no attribute), made once per backend.
 */
static Datum
EmptyAttributes(void)
{
	static Jsonb *empty = NULL;

	if (empty == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		JsonbParseState *state = NULL;

		(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		empty = JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
		MemoryContextSwitchTo(old);
	}
	return JsonbPGetDatum(empty);
}

/*
 * PushId
 *		Pushes an id as a JSON string; buffer (MAXINT8LEN + 1 bytes) must live
 *		until the document is made.
 */
static void
PushId(JsonbParseState **state, JsonbIteratorToken token, int64 id, char *buffer)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.len = pg_lltoa(id, buffer);
	v.val.string.val = buffer;
	(void) pushJsonbValue(state, token, &v);
}

/*
 * PushKey
 *		Pushes an object key given as a C string constant.
 */
static void
PushKey(JsonbParseState **state, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.len = strlen(key);
	v.val.string.val = unconstify(char *, key);
	(void) pushJsonbValue(state, WJB_KEY, &v);
}

/*
 * AllocationsDocument
 *		{"allocations": {"<campaign id>": "<variation id>", ...}} for the
 *		campaigns that gave the visitor a variation; with one campaign asked
 *		for, also its deprecated "variation_id" (null when none). Keys come
 *		out in jsonb's order, as jsonb_object_agg's.
 */
static Jsonb *
AllocationsDocument(ExperimentConfig **campaigns, const VariantConfig **variations, int count,
					bool with_variation_id)
{
	JsonbParseState *state = NULL;
	/* two ids per campaign and the variation_id, each a string of digits */
	char	   *ids = palloc((2 * count + 1) * (MAXINT8LEN + 1));
	JsonbValue *document;

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	PushKey(&state, "allocations");
	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < count; i++)
	{
		if (variations[i] == NULL)
			continue;
		PushId(&state, WJB_KEY, campaigns[i]->id, ids + (2 * i) * (MAXINT8LEN + 1));
		PushId(&state, WJB_VALUE, variations[i]->id, ids + (2 * i + 1) * (MAXINT8LEN + 1));
	}
	(void) pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	if (with_variation_id)
	{
		PushKey(&state, "variation_id");
		if (variations[0] != NULL)
			PushId(&state, WJB_VALUE, variations[0]->id, ids + 2 * count * (MAXINT8LEN + 1));
		else
		{
			JsonbValue	null;

			null.type = jbvNull;
			(void) pushJsonbValue(&state, WJB_VALUE, &null);
		}
	}
	document = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(document);
}

/*
 * InIdOrder
 *		A copy of the campaigns in id order: the order of their ids as jsonb
 *		object keys (shorter first, then bytewise), so that the sort
 *		pushJsonbValue() makes of the allocations finds them sorted already.
 *		Insertion sort: a tenant has tens of running campaigns.
 */
static ExperimentConfig **
InIdOrder(ExperimentConfig **campaigns, int count)
{
	ExperimentConfig **sorted = palloc(sizeof(ExperimentConfig *) * Max(1, count));

	for (int i = 0; i < count; i++)
	{
		int			j = i;

		while (j > 0 && sorted[j - 1]->id > campaigns[i]->id)
		{
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = campaigns[i];
	}
	return sorted;
}

/*
 * FunctionOwner
 *		The owner of the called function, looked up once per call site.
 */
static Oid
FunctionOwner(FunctionCallInfo fcinfo)
{
	Oid		   *owner = (Oid *) fcinfo->flinfo->fn_extra;

	if (owner == NULL)
	{
		HeapTuple	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));

		if (!HeapTupleIsValid(proc))
			elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
		owner = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));
		*owner = ((Form_pg_proc) GETSTRUCT(proc))->proowner;
		ReleaseSysCache(proc);
		fcinfo->flinfo->fn_extra = owner;
	}
	return *owner;
}

/*
 * allocate(visitor_id text, campaign_id text) returns jsonb
 *		Every running campaign of the tenant that gives the visitor a
 *		variation, or the one campaign_id names. Reads only.
 */
Datum
allocate(PG_FUNCTION_ARGS)
{
	text	   *visitor = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Oid			caller;
	int			caller_context;
	pg_uuid_t	tenant;
	Jsonb	   *document;

	Authorize();
	/* as SECURITY DEFINER would; an error restores the caller on abort */
	GetUserIdAndSecContext(&caller, &caller_context);
	SetUserIdAndSecContext(FunctionOwner(fcinfo), caller_context | SECURITY_LOCAL_USERID_CHANGE);
	CheckVisitor(visitor);
	RequireTenant(&tenant);
	if (PG_ARGISNULL(1))
	{
		int			count;
		ExperimentConfig **running = LookupRunningExperiments(&tenant, &count);
		const VariantConfig **variations = palloc(sizeof(VariantConfig *) * Max(1, count));

		running = InIdOrder(running, count);
		for (int i = 0; i < count; i++)
			variations[i] = AssignedVariant(running[i], visitor, EmptyAttributes(), now);
		document = AllocationsDocument(running, variations, count, false);
	}
	else
	{
		ExperimentConfig *campaign = CampaignOf(&tenant, PG_GETARG_TEXT_PP(1));
		const VariantConfig *variation;

		if (campaign == NULL)
			CampaignNotFound(PG_GETARG_TEXT_PP(1));
		variation = AssignedVariant(campaign, visitor, EmptyAttributes(), now);
		document = AllocationsDocument(&campaign, &variation, 1, true);
	}
	SetUserIdAndSecContext(caller, caller_context);
	PG_RETURN_JSONB_P(document);
}
