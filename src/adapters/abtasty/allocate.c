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
 * The function takes the whole request body, as PostgREST passes it to a
 * function of one unnamed jsonb parameter, so that every body reaches it:
 * unknown keys get a warning, a missing or bad visitor_id AB Tasty's 400
 * (code 3), an unknown campaign its 404 (code 5), refused credentials its
 * 401 (code 16) or 403 (code 7), each in AB Tasty's error document with
 * response.status set (AbTastyError(), abtasty.c). allocate only reads, so
 * it answers its refusals instead of raising them: there is nothing to roll
 * back.
 *
 * The SQL function is not SECURITY DEFINER: that would save and restore
 * search_path around every call. The code depends on no search_path (the
 * catalog reads pin their own and name every object with its schema), and
 * it runs its work as the function's owner, experiments_api_owner, as a
 * SECURITY DEFINER function would: the caller (experiments_client) may not
 * read the catalog tables, and row-level security still confines the owner
 * to the request's tenant.
 */
#include "abtasty.h"
#include "events.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(allocate);

/* The longest campaign_id looked up: 18 digits always fit in a bigint. */
#define CAMPAIGN_ID_MAX_DIGITS 18

/* The keys of the body. */
static const char *const allocate_fields[] = {"visitor_id", "campaign_id"};
enum
{
	AL_VISITOR_ID, AL_CAMPAIGN_ID
};

/*
 * CampaignOf
 *		The tenant's campaign a campaign_id names, or NULL: a string of
 *		decimal digits or a whole number (the seed types it a string, and a
 *		client may send the number its first sample shows). *problem is set
 *		for a value of another type.
 */
static ExperimentConfig *
CampaignOf(const pg_uuid_t *tenant, const JsonbValue *campaign_id, char **problem)
{
	int64		id = 0;
	ExperimentConfig *config;

	if (campaign_id->type == jbvNumeric)
	{
		if ((*problem = ReadInteger(campaign_id, NULL, "campaign_id", 0, PG_INT64_MAX, &id)) != NULL)
			return NULL;
	}
	else if (campaign_id->type != jbvString)
	{
		*problem = psprintf("campaign_id must be a string such as \"355385\", not %s",
							JsonTypeName(campaign_id));
		return NULL;
	}
	else
	{
		const char *digits = campaign_id->val.string.val;
		int			len = campaign_id->val.string.len;

		if (len < 1 || len > CAMPAIGN_ID_MAX_DIGITS)
			return NULL;
		for (int i = 0; i < len; i++)
		{
			if (digits[i] < '0' || digits[i] > '9')
				return NULL;
			id = id * 10 + (digits[i] - '0');
		}
	}
	config = LookupExperimentById(tenant, id);
	return config->exists ? config : NULL;
}

/*
 * CampaignNotFound
 *		AB Tasty's 404 for a campaign_id that names no campaign of the tenant.
 */
static Jsonb *
CampaignNotFound(const JsonbValue *campaign_id)
{
	const char *shown = campaign_id->type == jbvString
		? psprintf("\"%s\"", ShownInput(campaign_id->val.string.val, campaign_id->val.string.len))
		: DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(campaign_id->val.numeric)));

	return AbTastyError(CODE_NOT_FOUND,
						psprintf("campaign_id: campaign %s does not exist; allocate without campaign_id lists the running ones",
								 shown));
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
 *		for, also its deprecated "variation_id" (null when none); and
 *		"warnings": [warning] when there is one. Keys come out in jsonb's
 *		order, as jsonb_object_agg's.
 */
static Jsonb *
AllocationsDocument(ExperimentConfig **campaigns, const VariantConfig **variations, int count,
					bool with_variation_id, char *warning)
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
	if (warning != NULL)
	{
		JsonbValue	v;

		PushKey(&state, "warnings");
		(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		v.type = jbvString;
		v.val.string.val = warning;
		v.val.string.len = strlen(warning);
		(void) pushJsonbValue(&state, WJB_ELEM, &v);
		(void) pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	document = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(document);
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
 * Refusal
 *		experiments_internal.abtasty_authorize()'s answer to a request
 *		without a tenant, or sent on as experiments_anon by the pre-request:
 *		AB Tasty's 401 (code 16) or 403 (code 7).
 */
static Jsonb *
Refusal(void)
{
	bool		isnull;
	Datum		refusal = CallExtensionFunction("experiments_internal", "abtasty_authorize", 0, NULL,
												NULL, NULL, &isnull);

	if (isnull)
		elog(ERROR, "experiments_internal.authorize() accepted a request that allocate refuses");
	return DatumGetJsonbP(refusal);
}

/*
 * Allocations
 *		The answer to the body of an authorized request: the allocations of
 *		its visitor_id, or AB Tasty's 400 or 404.
 */
static Jsonb *
Allocations(FunctionCallInfo fcinfo, const pg_uuid_t *tenant)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	JsonbValue	body;
	ObjectFields f;
	const char *str;
	int			len;
	char	   *problem;
	char	   *warning;
	text	   *visitor;

	if (PG_ARGISNULL(0))
		body.type = jbvNull;
	else
		JsonbRootValue(PG_GETARG_JSONB_P(0), &body);
	if (!ReadObject(&body, allocate_fields, lengthof(allocate_fields), &f))
		return AbTastyError(CODE_INVALID_ARGUMENT,
							psprintf("the body must be a JSON object, not %s", JsonTypeName(&body)));
	if (!f.present[AL_VISITOR_ID] || f.values[AL_VISITOR_ID].type == jbvNull)
		return AbTastyError(CODE_INVALID_ARGUMENT, "visitor_id is missing");
	/* its limit is in bytes, as enrolment units': no count of characters */
	if ((problem = ReadString(&f.values[AL_VISITOR_ID], NULL, "visitor_id", INT_MAX, &str, &len)) != NULL)
		return AbTastyError(CODE_INVALID_ARGUMENT, problem);
	if (len > MAX_UID_CHARS)
		return AbTastyError(CODE_INVALID_ARGUMENT,
							psprintf("visitor_id is %d bytes long; the limit is %d bytes", len, MAX_UID_CHARS));
	visitor = cstring_to_text_with_len(str, len);
	warning = f.unknown == NULL ? NULL : psprintf("unknown field(s) %s of the body ignored", f.unknown);
	if (!f.present[AL_CAMPAIGN_ID] || f.values[AL_CAMPAIGN_ID].type == jbvNull)
	{
		int			count;
		ExperimentConfig **running = LookupRunningExperiments(tenant, RUNNING_BY_ID, &count);
		const VariantConfig **variations = palloc(sizeof(VariantConfig *) * Max(1, count));

		for (int i = 0; i < count; i++)
			variations[i] = AssignedVariant(running[i], visitor, EmptyAttributes(), now);
		return AllocationsDocument(running, variations, count, false, warning);
	}
	else
	{
		ExperimentConfig *campaign = CampaignOf(tenant, &f.values[AL_CAMPAIGN_ID], &problem);
		const VariantConfig *variation;

		if (problem != NULL)
			return AbTastyError(CODE_INVALID_ARGUMENT, problem);
		if (campaign == NULL)
			return CampaignNotFound(&f.values[AL_CAMPAIGN_ID]);
		variation = AssignedVariant(campaign, visitor, EmptyAttributes(), now);
		return AllocationsDocument(&campaign, &variation, 1, true, warning);
	}
}

/*
 * allocate(jsonb) returns jsonb
 *		The body {"visitor_id", "campaign_id"}: every running campaign of the
 *		tenant that gives the visitor a variation, or the one campaign_id
 *		names. Reads only.
 */
Datum
allocate(PG_FUNCTION_ARGS)
{
	Oid			caller;
	int			caller_context;
	pg_uuid_t	tenant;
	Jsonb	   *document;

	/* as SECURITY DEFINER would; an error restores the caller on abort */
	GetUserIdAndSecContext(&caller, &caller_context);
	SetUserIdAndSecContext(FunctionOwner(fcinfo), caller_context | SECURITY_LOCAL_USERID_CHANGE);
	/* authorize()'s test, without its call when the request may go on */
	if (!CurrentTenant(&tenant) || GetCurrentRoleId() == get_role_oid("experiments_anon", true))
		document = Refusal();
	else
		document = Allocations(fcinfo, &tenant);
	SetUserIdAndSecContext(caller, caller_context);
	PG_RETURN_JSONB_P(document);
}
