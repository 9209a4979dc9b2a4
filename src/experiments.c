/*
 * experiments.c
 *		Module entry point of the experiments extension.
 */
#include "events.h"

#include "fmgr.h"

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
