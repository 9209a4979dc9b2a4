/*
 * tenant.c
 *		The caller's tenant, set per transaction.
 *
 * Row-level security on every tenant table compares the row's tenant with
 * current_tenant(). The tenant lives in the setting experiments.tenant, which
 * only superusers, and SECURITY DEFINER functions owned by one (authentication,
 * set_tenant), may change: a client cannot name another tenant by issuing SET.
 */
#include "core.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_FUNCTION_INFO_V1(current_tenant);
PG_FUNCTION_INFO_V1(required_tenant);

static char *tenant_setting = NULL;

/* experiments.principal: who the transaction's credentials name. */
static char *principal_setting = NULL;

/* The parsed form of tenant_setting, kept current by the assign hook. */
static bool tenant_is_set = false;
static pg_uuid_t tenant_value;

/* Counts changes of the tenant, so callers can tell it is the same one. */

/*
 * HexValue
 *		The value of one hexadecimal digit, or -1.
 */
static int
HexValue(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * ParseTenant
 *		Parses a uuid in its canonical 8-4-4-4-12 form without raising an
 *		error, so that the check hook can refuse a bad value politely.
 */
static bool
ParseTenant(const char *value, pg_uuid_t *out)
{
	int			byte = 0;

	for (int i = 0; value[i] != '\0'; i++)
	{
		int			hi,
					lo;

		if ((i == 8 || i == 13 || i == 18 || i == 23) && value[i] == '-')
			continue;
		if (byte == UUID_LEN)
			return false;
		hi = HexValue(value[i]);
		lo = value[i + 1] != '\0' ? HexValue(value[i + 1]) : -1;
		if (hi < 0 || lo < 0)
			return false;
		out->data[byte++] = (unsigned char) (hi * 16 + lo);
		i++;
	}
	return byte == UUID_LEN;
}

/*
 * CheckTenant
 *		GUC check hook: the tenant is empty (none) or a uuid.
 */
static bool
CheckTenant(char **newval, void **extra, GucSource source)
{
	pg_uuid_t	parsed;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (!ParseTenant(*newval, &parsed))
	{
		GUC_check_errcode(ERRCODE_INVALID_TEXT_REPRESENTATION);
		GUC_check_errmsg("invalid tenant \"%s\"", *newval);
		GUC_check_errdetail("A tenant is named by its uuid.");
		return false;
	}
	return true;
}

/*
 * AssignTenant
 *		GUC assign hook: keeps the parsed tenant beside the setting so that
 *		current_tenant() costs no parsing.
 */
static void
AssignTenant(const char *newval, void *extra)
{
	tenant_is_set = newval != NULL && newval[0] != '\0' &&
		ParseTenant(newval, &tenant_value);
	lookup_epoch++;
}

/*
 * TenantGucInit
 *		Defines experiments.tenant and experiments.principal. Superuser-only,
 *		so that the only way for a client to get a tenant, or to be named as
 *		the author of a change, is through an authentication function.
 */
void
TenantGucInit(void)
{
	DefineCustomStringVariable("experiments.tenant",
							   "The tenant of the current transaction.",
							   "Set by the authentication function, or by set_tenant(), for one transaction at a time.",
							   &tenant_setting,
							   "",
							   PGC_SUSET,
							   0,
							   CheckTenant,
							   AssignTenant,
							   NULL);
	DefineCustomStringVariable("experiments.principal",
							   "Who the current transaction's credentials name: an API key or a token's subject.",
							   "Set by the authentication function with the tenant; management changes record it.",
							   &principal_setting,
							   "",
							   PGC_SUSET,
							   0,
							   NULL,
							   NULL,
							   NULL);
}

/*
 * CurrentTenant
 *		The caller's tenant, if one is set.
 */
bool
CurrentTenant(pg_uuid_t *tenant)
{
	if (!tenant_is_set)
		return false;
	*tenant = tenant_value;
	return true;
}

/*
 * current_tenant() returns uuid
 *		The caller's tenant, or NULL when none is set, so that row-level
 *		security shows nothing to a caller without a tenant.
 */
Datum
current_tenant(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result;

	if (!tenant_is_set)
		PG_RETURN_NULL();
	result = palloc(sizeof(pg_uuid_t));
	*result = tenant_value;
	PG_RETURN_UUID_P(result);
}

/*
 * RequireTenant
 *		The caller's tenant, for whatever reads or writes tenant rows: the one
 *		error every path gives when the transaction has none.
 */
void
RequireTenant(pg_uuid_t *tenant)
{
	if (!CurrentTenant(tenant))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("no tenant is set for this transaction"),
				 errdetail("Every experiment, variant and event belongs to a tenant, and this call works in the tenant its transaction authenticated for."),
				 errhint("Call experiments.authenticate(api_key) in the same transaction first (through PostgREST: send an x-api-key header, or a token with a tenant claim).")));
}

/*
 * required_tenant() returns uuid
 *		The caller's tenant for writes: a clear error instead of a NULL that
 *		would surface as a confusing not-null violation.
 */
Datum
required_tenant(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	RequireTenant(result);
	PG_RETURN_UUID_P(result);
}
