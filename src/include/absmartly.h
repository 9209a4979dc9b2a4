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
extern const char Base64urlAlphabet[64];

/*
 * Base64urlWord
 *		The base64url characters of a 16-byte digest's 3-byte group g (0 to
 *		5; group 5 is the last byte alone, 2 characters, no padding) as a
 *		little-endian word: the block murmur3 hashes of the characters.
 */
static inline uint32
Base64urlWord(const uint8 *digest, int g)
{
	uint32		chunk = (uint32) digest[3 * g] << 16;

	if (g == 5)
		return (uint32) Base64urlAlphabet[chunk >> 18] |
			(uint32) Base64urlAlphabet[(chunk >> 12) & 63] << 8;
	chunk |= (uint32) digest[3 * g + 1] << 8 | digest[3 * g + 2];
	return (uint32) Base64urlAlphabet[chunk >> 18] |
		(uint32) Base64urlAlphabet[(chunk >> 12) & 63] << 8 |
		(uint32) Base64urlAlphabet[(chunk >> 6) & 63] << 16 |
		(uint32) Base64urlAlphabet[chunk & 63] << 24;
}
extern void AbsmartlyCheckOptions(Jsonb *options);
extern AbsmartlyConfig *AbsmartlyCompile(Jsonb *options, const struct ExperimentConfig *config,
										 MemoryContext context);
extern bool AbsmartlyDecide(const AbsmartlyConfig *ab, const char *unit, int len, int *variant,
							int32 *bucket, bool *at_start);
extern int	AbsmartlyVariantOfBucket(const AbsmartlyConfig *ab, int32 bucket);

#endif							/* EXPERIMENTS_ABSMARTLY_H */
