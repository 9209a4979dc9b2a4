/*
 * core.h
 *		The core every other module builds on: the caller's tenant, table work
 *		as the owner of the tables, and calling the extension's SQL functions.
 */
#ifndef EXPERIMENTS_CORE_H
#define EXPERIMENTS_CORE_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/uuid.h"

/* experiments.c: calls <schema>.<name>(...) of the extension from C. */
extern Datum CallExtensionFunction(const char *schema, const char *name, int nargs, Oid *types,
								   Datum *values, bool *nulls, bool *isnull);

/*
 * experiments.c: input for a message, cut to its first SHOWN_INPUT_BYTES
 * bytes (whole characters) and marked with its length, so that no error or
 * warning echoes more of what a client sent.
 */
#define SHOWN_INPUT_BYTES 64
extern char *ShownInput(const char *s, int len);

/* experiments.c: work on the tables as their owner, and not on a standby. */
/* What BeginTableWork() changed, for EndTableWork() to restore. */
typedef struct TableWork
{
	int			guc_level;
	Oid			caller;
	int			caller_context;
} TableWork;

extern void BeginTableWork(TableWork *work);
extern void EndTableWork(TableWork *work);
extern void RequireWritable(const char *what);

/*
 * Changes whenever a remembered experiment lookup may be wrong: the tenant
 * setting changed, the configuration cache was invalidated or emptied, or a
 * transaction ended. A plain variable, so that the check costs assignment
 * one comparison.
 */
extern uint64 lookup_epoch;

/* experiments.c: a jsonb number as the nearest double, as numeric_float8() gives it. */
extern double JsonbNumberDouble(const JsonbValue *v);

/* results.c: whether results read the exposure rollups. */
extern void ResultsSettingsInit(void);

/* tenant.c: the caller's tenant for this transaction. */
extern void TenantGucInit(void);
extern bool CurrentTenant(pg_uuid_t *tenant);
extern void RequireTenant(pg_uuid_t *tenant);

#endif							/* EXPERIMENTS_CORE_H */
