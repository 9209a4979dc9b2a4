/*
 * experiments.c
 *		Module entry point of the experiments extension, and what every
 *		module does with the database: call the extension's SQL functions,
 *		and work on its tables as their owner.
 */
#include "assign.h"
#include "auth.h"
#include "core.h"
#include "events.h"

#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/numeric.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(shown_input);

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
	ResultsSettingsInit();
}

/*
 * The first 16 bits of a numeric as stored (numeric.c, whose on-disk format
 * does not change): its kind, then for a short one its sign and weight.
 */
#define NUMERIC_HEAD_KIND 0xC000
#define NUMERIC_HEAD_NEGATIVE 0x4000	/* a long numeric below zero */
#define NUMERIC_HEAD_SHORT 0x8000
#define NUMERIC_HEAD_SPECIAL 0xC000		/* NaN or an infinity */
#define NUMERIC_SHORT_NEGATIVE 0x2000
#define NUMERIC_SHORT_WEIGHT_NEGATIVE 0x0040
#define NUMERIC_SHORT_WEIGHT 0x003F

/*
 * JsonbNumberDouble
 *		A jsonb number as float8: the nearest double, which is what
 *		numeric_float8() gives and JavaScript holds. numeric_float8() goes
 *		through the number's text; an integer below 10^12 (which a double
 *		holds exactly) is read from the numeric's base-10000 digits instead,
 *		for results read the value of every goal event this way.
 */
double
JsonbNumberDouble(const JsonbValue *v)
{
	const char *data = VARDATA_ANY(v->val.numeric);
	uint16		header;

	memcpy(&header, data, sizeof(header));
	if ((header & NUMERIC_HEAD_KIND) != NUMERIC_HEAD_SPECIAL)
	{
		bool		short_form = (header & NUMERIC_HEAD_KIND) == NUMERIC_HEAD_SHORT;
		Size		head = short_form ? sizeof(uint16) : sizeof(uint16) + sizeof(int16);
		int			ndigits = (int) ((VARSIZE_ANY_EXHDR(v->val.numeric) - head) / sizeof(int16));
		int16		weight;

		if (short_form)
			weight = (header & NUMERIC_SHORT_WEIGHT_NEGATIVE) ?
				(int16) (~NUMERIC_SHORT_WEIGHT | (header & NUMERIC_SHORT_WEIGHT)) :
				(int16) (header & NUMERIC_SHORT_WEIGHT);
		else
			memcpy(&weight, data + sizeof(uint16), sizeof(weight));
		/* no digit after the point, and below 10000^3 */
		if (weight <= 2 && weight >= ndigits - 1)
		{
			int64		value = 0;

			for (int i = 0; i <= weight; i++)
			{
				int16		digit = 0;

				if (i < ndigits)
					memcpy(&digit, data + head + i * sizeof(int16), sizeof(digit));
				value = value * 10000 + digit;
			}
			if (short_form ? (header & NUMERIC_SHORT_NEGATIVE) != 0 :
				(header & NUMERIC_HEAD_KIND) == NUMERIC_HEAD_NEGATIVE)
				return -(double) value;
			return (double) value;
		}
	}
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

/*
 * ShownInput
 *		len bytes a client sent, for a message: whole when at most
 *		SHOWN_INPUT_BYTES, else their first SHOWN_INPUT_BYTES bytes cut at a
 *		character boundary, then "... (N bytes)". Every message that echoes
 *		input goes through it, so that a long input cannot make an error, an
 *		answer or the server log long.
 */
char *
ShownInput(const char *s, int len)
{
	if (len <= SHOWN_INPUT_BYTES)
		return pnstrdup(s, len);
	return psprintf("%.*s... (%d bytes)", pg_mbcliplen(s, len, SHOWN_INPUT_BYTES), s, len);
}

/*
 * shown_input(input text) returns text
 *		ShownInput() for the messages of SQL and PL/pgSQL functions.
 */
Datum
shown_input(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(cstring_to_text(ShownInput(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))));
}

/*
 * CallExtensionFunction
 *		Calls <schema>.<name>(...), found by its schema-qualified name and
 *		argument types (so whatever the search_path), with up to two
 *		arguments, any of them NULL. C code goes through the SQL functions
 *		that decide (authentication) or raise the API's errors, so that those
 *		stay in one place. Like a direct call of a C function, it checks no
 *		privilege: neither USAGE on the schema (the internal one is not the
 *		API roles') nor EXECUTE. Returns the result; *isnull, when asked
 *		for, says whether it is NULL.
 */
Datum
CallExtensionFunction(const char *schema, const char *name, int nargs, Oid *types, Datum *values,
					  bool *nulls, bool *isnull)
{
	HeapTuple	proc = SearchSysCache3(PROCNAMEARGSNSP, CStringGetDatum(name),
									   PointerGetDatum(buildoidvector(types, nargs)),
									   ObjectIdGetDatum(get_namespace_oid(schema, false)));
	FmgrInfo	flinfo;
	Datum		result;

	LOCAL_FCINFO(fcinfo, 2);

	Assert(nargs <= 2);
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "function %s.%s of %d arguments does not exist", schema, name, nargs);
	fmgr_info(((Form_pg_proc) GETSTRUCT(proc))->oid, &flinfo);
	ReleaseSysCache(proc);
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

/*
 * BeginTableWork
 *		Runs the catalog queries below (and the event inserts) as the owner of
 *		the extension's tables' API, experiments_api_owner, with a fixed
 *		search_path, whatever the caller: a caller needs EXECUTE on the
 *		function it called and nothing on the tables, and row-level security
 *		still confines the owner (not BYPASSRLS) to the caller's tenant. Every
 *		name in the queries is schema-qualified as well. An error restores
 *		the caller's user and settings when the (sub)transaction aborts;
 *		otherwise EndTableWork() does.
 */
void
BeginTableWork(TableWork *work)
{
	static Oid	data_owner = InvalidOid;

	if (!OidIsValid(data_owner))
		data_owner = get_role_oid("experiments_api_owner", false);
	GetUserIdAndSecContext(&work->caller, &work->caller_context);
	SetUserIdAndSecContext(data_owner, work->caller_context | SECURITY_LOCAL_USERID_CHANGE);
	work->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

/*
 * RequireWritable
 *		On a hot standby a write would fail deep inside its INSERT with
 *		PostgreSQL's generic read-only error; say instead what the server is
 *		and where the write belongs. what names the write, as "events".
 */
void
RequireWritable(const char *what)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("%s cannot be recorded on a hot standby", what),
				 errdetail("This server is a read-only replica: it answers assign(), assign_all() and allocate, and records nothing."),
				 errhint("Send enrolments, events and management calls to the primary.")));
}

/*
 * EndTableWork
 *		Back to the caller's user and settings.
 */
void
EndTableWork(TableWork *work)
{
	AtEOXact_GUC(true, work->guc_level);
	SetUserIdAndSecContext(work->caller, work->caller_context);
}
