/*
 * audience.h
 *		Targeting conditions compiled from jsonb and evaluated in C (audience.c).
 */
#ifndef EXPERIMENTS_AUDIENCE_H
#define EXPERIMENTS_AUDIENCE_H

#include "postgres.h"

#include "utils/jsonb.h"

typedef struct AudienceNode AudienceNode;
extern AudienceNode *AudienceCompile(Jsonb *condition, MemoryContext context);
extern bool AudienceMatches(const AudienceNode *node, Jsonb *attributes);
extern void AudienceFree(AudienceNode *node);

#endif							/* EXPERIMENTS_AUDIENCE_H */
