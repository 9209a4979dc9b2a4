/*
 * hash.h
 *		The hash and bucket of assignment version 1 (README, "Assignment
 *		algorithm"), compiled into the functions that run them per row.
 *
 * xxHash is taken inline (xxhash_inline.h): a call through the shared
 * library's PLT on every hash would be most of what bucket() costs beyond
 * reading the row.
 */
#ifndef EXPERIMENTS_HASH_H
#define EXPERIMENTS_HASH_H

#include "assign.h"

#include "fmgr.h"

#include "xxhash_inline.h"

/*
 * UnitArgument
 *		A text argument as PG_GETARG_TEXT_PP gives it, without a function call
 *		when it is neither compressed nor stored out of line, as units are.
 */
static inline text *
UnitArgument(FunctionCallInfo fcinfo, int n)
{
	struct varlena *value = (struct varlena *) DatumGetPointer(fcinfo->args[n].value);

	if (unlikely(VARATT_IS_COMPRESSED(value) || VARATT_IS_EXTERNAL(value)))
		return (text *) pg_detoast_datum_packed(value);
	return (text *) value;
}

/*
 * UnitHash
 *		h(seed, bytes) = XXH3_64bits_withSeed(bytes, seed).
 */
static inline uint64
UnitHash(uint64 seed, const char *data, size_t len)
{
	return (uint64) XXH3_64bits_withSeed(data, len, (XXH64_hash_t) seed);
}

/*
 * BucketOfHash
 *		Maps a 64-bit hash onto [0, 10000) by a 128-bit multiply-high, which
 *		has no modulo bias: bucket = (hash * 10000) >> 64.
 */
static inline int32
BucketOfHash(uint64 hash)
{
	return (int32) (((unsigned __int128) hash * BUCKET_SPACE) >> 64);
}

/*
 * UnitBucket
 *		The bucket of a unit's UTF-8 bytes under a seed.
 */
static inline int32
UnitBucket(uint64 seed, const char *unit, size_t len)
{
	return BucketOfHash(UnitHash(seed, unit, len));
}

#endif							/* EXPERIMENTS_HASH_H */
