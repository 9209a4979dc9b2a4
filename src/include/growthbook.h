/*
 * growthbook.h
 *		GrowthBook-compatible assignment (growthbook.c) and GrowthBook's
 *		targeting conditions (conditions.c): docs/assignment.md, "GrowthBook
 *		mode".
 */
#ifndef EXPERIMENTS_GROWTHBOOK_H
#define EXPERIMENTS_GROWTHBOOK_H

#include "postgres.h"

#include "utils/jsonb.h"

/* conditions.c: MongoDB-style conditions over jsonb attributes. */
extern void GrowthBookConditionCheck(JsonbValue *condition, const char *path);
extern bool GrowthBookConditionMatches(JsonbContainer *condition, JsonbContainer *attributes,
									   JsonbContainer *saved_groups);
extern void GrowthBookValueText(const JsonbValue *v, StringInfo out);

/* growthbook.c: the compiled GrowthBook settings of an experiment. */
typedef struct GrowthBookConfig GrowthBookConfig;

/* Why a GrowthBook experiment gave a unit no variant, or that it gave one. */
typedef enum GrowthBookOutcome
{
	GB_IN,						/* variant and bucket are set */
	GB_NO_HASH_VALUE,			/* the hash attribute is empty or missing */
	GB_FILTERED,				/* outside the namespace or the filters */
	GB_CONDITION,				/* the condition is false */
	GB_NOT_IN_RANGE				/* in no variation's range (coverage) */
} GrowthBookOutcome;

struct ExperimentConfig;
extern GrowthBookConfig *GrowthBookCompile(Jsonb *options, const struct ExperimentConfig *config,
										   MemoryContext context);
extern bool GrowthBookBucketOnly(const GrowthBookConfig *gb);
extern int32 GrowthBookUnitBucket(const GrowthBookConfig *gb, const char *unit, int len);
extern int	GrowthBookVariantOfBucket(const GrowthBookConfig *gb, int32 bucket);
extern GrowthBookOutcome GrowthBookDecide(const GrowthBookConfig *gb, text *unit, Datum attributes,
										  int *variant, int32 *bucket);

#endif							/* EXPERIMENTS_GROWTHBOOK_H */
