/*
 * experiments.c
 *		Module entry point of the experiments extension.
 */
#include "events.h"

#include "fmgr.h"
#include "nodes/value.h"
#include "parser/parse_func.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Defines the settings and hooks every other file relies on, once per
 *		backend, when the library is first loaded.
 */
void
_PG_init(void)
{
	TenantGucInit();
	ConfigCacheInit();
	KeyCacheInit();
	EventSettingsInit();
}

/*
 * CallExtensionFunction
 *		Calls <schema>.<name>(...), found by its schema-qualified name and
 *		argument types (so whatever the search_path), with up to two
 *		arguments, any of them NULL. C code goes through the SQL functions
 *		that decide (authentication) or raise the API's errors, so that those
 *		stay in one place. Returns the result; *isnull, when asked for,
 *		says whether it is NULL.
 */
Datum
CallExtensionFunction(const char *schema, const char *name, int nargs, Oid *types, Datum *values,
					  bool *nulls, bool *isnull)
{
	List	   *qualified = list_make2(makeString(pstrdup(schema)), makeString(pstrdup(name)));
	FmgrInfo	flinfo;
	Datum		result;

	LOCAL_FCINFO(fcinfo, 2);

	Assert(nargs <= 2);
	fmgr_info(LookupFuncName(qualified, nargs, types, false), &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, nargs, InvalidOid, NULL, NULL);
	for (int i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = values[i];
		fcinfo->args[i].isnull = nulls[i];
	}
	result = FunctionCallInvoke(fcinfo);
	if (isnull != NULL)
		*isnull = fcinfo->isnull;
	return result;
}
