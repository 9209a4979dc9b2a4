/*
 * abtasty.h
 *		The AB Tasty adapter's error document (the AB Tasty document),
 *		shared by its events (abtasty.c) and allocate (allocate.c).
 */
#ifndef EXPERIMENTS_ABTASTY_H
#define EXPERIMENTS_ABTASTY_H

#include "postgres.h"

#include "utils/jsonb.h"

/* AB Tasty's error codes (gRPC status codes, the seed's table) used in C. */
#define CODE_INVALID_ARGUMENT 3
#define CODE_NOT_FOUND 5
#define CODE_ALREADY_EXISTS 6
#define CODE_FAILED_PRECONDITION 9

/* abtasty.c: {"code", "message"}, with PostgREST's response.status set. */
extern Jsonb *AbTastyError(int code, const char *message);

#endif							/* EXPERIMENTS_ABTASTY_H */
