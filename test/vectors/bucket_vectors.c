/*
 * bucket_vectors.c
 *		Computes bucket test vectors straight from libxxhash, independently of
 *		the extension's code, for sql/bucket.sql.
 *
 *		cc -O2 -o bucket_vectors bucket_vectors.c -lxxhash && ./bucket_vectors
 *
 * Prints one SQL VALUES row per vector: (unit, seed, bucket), where
 * bucket = (XXH3_64bits_withSeed(unit, seed) * 10000) >> 64.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

static const char *const units[] = {
	"", "a", "user-1", "user-2", "4a42766ca6313d26f49985e799ff4f3790fb86efa0fce46edb3ea8fbf1ea3408",
	"bfr9ad2t0hm0009vj6l0", "émile", "日本語のユーザー", "🎉party", "O'Brien",
	"x x", "0123456789012345678901234567890123456789012345678901234567890123456789"
};

static const int64_t seeds[] = {
	0, 1, -1, 42, 9223372036854775807LL, -9223372036854775807LL - 1, 123456789012345LL, -98765
};

int
main(void)
{
	int			n = 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		for (size_t j = 0; j < sizeof(seeds) / sizeof(seeds[0]); j++)
		{
			/* a spread of pairs rather than the full product */
			if ((i + j) % 3 != 0 && !(i < 3 && j < 3))
				continue;
			{
				uint64_t	h = XXH3_64bits_withSeed(units[i], strlen(units[i]), (uint64_t) seeds[j]);
				unsigned	bucket = (unsigned) (((unsigned __int128) h * 10000) >> 64);
				const char *p;

				printf("%s\t('", n++ ? "," : " ");
				for (p = units[i]; *p; p++)
				{
					if (*p == '\'')
						putchar('\'');
					putchar(*p);
				}
				printf("', %" PRId64 ", %u)\n", seeds[j], bucket);
			}
		}
	return 0;
}
