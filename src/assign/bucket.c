/*
 * bucket.c
 *		The hash and bucket functions of assignment version 1.
 *
 * These few lines are a published contract: every assignment ever made can be
 * recomputed from the unit, the seeds and this code, here or in any other
 * language (README, "Assignment algorithm").
 */
#include "hash.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(bucket);

/*
 * PeriodSeed
 *		The variant seed of reset period p: h(variant_seed, p as 8 bytes, little
 *		endian). Spelled out byte by byte so big-endian servers agree.
 */
uint64
PeriodSeed(uint64 variant_seed, int64 period)
{
	unsigned char bytes[8];
	uint64		p = (uint64) period;

	for (int i = 0; i < 8; i++)
		bytes[i] = (unsigned char) (p >> (8 * i));
	return UnitHash(variant_seed, (const char *) bytes, sizeof(bytes));
}

/*
 * bucket(unit text, seed bigint) returns integer
 *		The bucket of a unit under a seed, the building block of assignment.
 *		The seed's 64 bits are taken as unsigned, so negative seeds are valid.
 */
Datum
bucket(PG_FUNCTION_ARGS)
{
	text	   *unit = UnitArgument(fcinfo, 0);
	int64		seed = PG_GETARG_INT64(1);

	PG_RETURN_INT32(UnitBucket((uint64) seed, VARDATA_ANY(unit),
							   VARSIZE_ANY_EXHDR(unit)));
}
