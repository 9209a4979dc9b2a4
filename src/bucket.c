/*
 * bucket.c
 *		The hash and bucket functions of assignment version 1.
 *
 * These few lines are a published contract: every assignment ever made can be
 * recomputed from the unit, the seeds and this code, here or in any other
 * language (README, "Assignment algorithm").
 */
#include "experiments.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include <xxhash.h>

PG_FUNCTION_INFO_V1(bucket);

/*
 * UnitHash
 *		h(seed, bytes) = XXH3_64bits_withSeed(bytes, seed).
 */
uint64
UnitHash(uint64 seed, const char *data, size_t len)
{
	return (uint64) XXH3_64bits_withSeed(data, len, (XXH64_hash_t) seed);
}

/*
 * BucketOfHash
 *		Maps a 64-bit hash onto [0, 10000) by a 128-bit multiply-high, which
 *		has no modulo bias: bucket = (hash * 10000) >> 64.
 */
int32
BucketOfHash(uint64 hash)
{
	return (int32) (((unsigned __int128) hash * BUCKET_SPACE) >> 64);
}

/*
 * UnitBucket
 *		The bucket of a unit's UTF-8 bytes under a seed.
 */
int32
UnitBucket(uint64 seed, const char *unit, size_t len)
{
	return BucketOfHash(UnitHash(seed, unit, len));
}

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
	text	   *unit = PG_GETARG_TEXT_PP(0);
	int64		seed = PG_GETARG_INT64(1);

	PG_RETURN_INT32(UnitBucket((uint64) seed, VARDATA_ANY(unit),
							   VARSIZE_ANY_EXHDR(unit)));
}
