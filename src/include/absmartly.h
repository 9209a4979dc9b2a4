/*
 * absmartly.h
 *		ABsmartly-compatible assignment (absmartly.c): docs/assignment.md,
 *		"ABsmartly mode".
 */
#ifndef EXPERIMENTS_ABSMARTLY_H
#define EXPERIMENTS_ABSMARTLY_H

#include "postgres.h"

#include "utils/jsonb.h"

/* The compiled ABsmartly settings of an experiment. */
typedef struct AbsmartlyConfig AbsmartlyConfig;

struct ExperimentConfig;
extern void Md5Digest(const void *bytes, size_t len, uint8 *digest);
extern void AbsmartlyCheckOptions(Jsonb *options);
extern AbsmartlyConfig *AbsmartlyCompile(Jsonb *options, const struct ExperimentConfig *config,
										 MemoryContext context);
extern bool AbsmartlyDecide(const AbsmartlyConfig *ab, const char *unit, int len, int *variant,
							int32 *bucket);
extern int	AbsmartlyVariantOfBucket(const AbsmartlyConfig *ab, int32 bucket);

#endif							/* EXPERIMENTS_ABSMARTLY_H */
