/*
 * absmartly.c
 *		ABsmartly-compatible assignment: an experiment whose hashing is
 *		'absmartly' gives every unit the variant ABsmartly's SDKs give it.
 *
 * ABsmartly hashes a unit's uid with MD5 and writes the digest in base64url
 * without padding; murmur3_32 (seed 0) of that text is the unit's key. Each
 * draw hashes 12 little-endian bytes, seedLo, seedHi and the key, with
 * murmur3_32, and scales the hash to [0, 1] by 1 / 0xffffffff; the draw's
 * index is the first whose cumulative split exceeds it. The traffic draw
 * (trafficSeedHi, trafficSeedLo, trafficSplit) lets a unit in when its
 * index is 1; the variant draw (seedHi, seedLo, split) chooses the variant.
 * Seeds left out are derived from the experiment key, splits from its
 * allocations and traffic, so one definition assigns alike everywhere
 * (docs/assignment.md, "ABsmartly mode").
 */
#include "assign.h"
#include "absmartly.h"
#include "events.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "port/pg_bitutils.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(absmartly_context);

struct AbsmartlyConfig
{
	uint32		seed_hi;
	uint32		seed_lo;
	uint32		traffic_seed_hi;
	uint32		traffic_seed_lo;
	int			nsplit;
	double	   *split;
	int			ntraffic;
	double	   *traffic_split;
	uint32		traffic_state;	/* murmur3_32 state after a traffic draw's seeds */
	uint32		variant_state;	/* murmur3_32 state after a variant draw's seeds */
	uint64	   *traffic_cuts;	/* the least hash drawing past each cumulative split */
	uint64	   *variant_cuts;	/* the same for split */
	int			nboundaries;
	int32	   *boundaries;		/* the buckets a cumulative split ends in */
};

/* The fields of the options, as ABsmartly's context data names them. */
typedef struct AbsmartlyOptions
{
	bool		has_seed[4];	/* seedHi, seedLo, trafficSeedHi, trafficSeedLo */
	uint32		seed[4];
	int			nsplit;
	double	   *split;
	int			ntraffic;
	double	   *traffic_split;
} AbsmartlyOptions;

static uint32 DrawState(uint32 seed_hi, uint32 seed_lo);
static uint64 *DrawCuts(const double *split, int n);

static const char *const seed_names[4] = {"seedHi", "seedLo", "trafficSeedHi", "trafficSeedLo"};

/*
 * JsonbNumber
 *		A JSON number as a double, or an error naming the field.
 */
static double
JsonbNumber(const JsonbValue *v, const char *what)
{
	if (v == NULL || v->type != jbvNumeric)
		HashingOptionsError("ABsmartly", psprintf("ABsmartly %s is not a number", what),
					 "Seeds are integers and splits arrays of numbers, as in ABsmartly's context data.");
	return JsonbNumberDouble(v);
}

/*
 * ParseSplit
 *		A split: a non-empty array of fractions, which ABsmartly accumulates
 *		in order.
 */
static double *
ParseSplit(const JsonbValue *v, int *n, int least, const char *what)
{
	double	   *out;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) < (uint32) least)
		HashingOptionsError("ABsmartly", psprintf("ABsmartly %s is not an array of %d or more numbers", what, least),
					 "A split gives one fraction from 0 to 1 per draw outcome, in order.");
	*n = JsonContainerSize(v->val.binary.data);
	out = palloc(sizeof(double) * *n);
	for (int i = 0; i < *n; i++)
	{
		out[i] = JsonbNumber(getIthJsonbValueFromContainer(v->val.binary.data, i), what);
		if (!(out[i] >= 0 && out[i] <= 1))
			HashingOptionsError("ABsmartly", psprintf("ABsmartly %s has %g, outside 0 to 1", what, out[i]),
						 "A split gives one fraction from 0 to 1 per draw outcome, in order.");
	}
	return out;
}

/*
 * ParseOptions
 *		The options of an ABsmartly experiment, every field checked: the
 *		check on write and the compiler read them alike.
 */
static void
ParseOptions(Jsonb *options, AbsmartlyOptions *o)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	k;
	JsonbValue	v;

	memset(o, 0, sizeof(*o));
	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		HashingOptionsError("ABsmartly", "ABsmartly hashing options are not a JSON object",
					 "They are an object of seedHi, seedLo, trafficSeedHi, trafficSeedLo, split and trafficSplit, each optional.");
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *name;
		int			s;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(k.val.string.val, k.val.string.len);
		tok = JsonbIteratorNext(&it, &v, true);
		for (s = 0; s < 4 && strcmp(name, seed_names[s]) != 0; s++)
			;
		if (s < 4)
		{
			double		seed = JsonbNumber(&v, name);

			if (!(seed >= 0 && seed <= PG_UINT32_MAX && seed == floor(seed)))
				HashingOptionsError("ABsmartly", psprintf("ABsmartly %s is not an integer from 0 to 4294967295", name),
							 "ABsmartly's seeds are unsigned 32-bit integers.");
			o->has_seed[s] = true;
			o->seed[s] = (uint32) seed;
		}
		else if (strcmp(name, "split") == 0)
			o->split = ParseSplit(&v, &o->nsplit, 1, "split");
		else if (strcmp(name, "trafficSplit") == 0)
			o->traffic_split = ParseSplit(&v, &o->ntraffic, 2, "trafficSplit");
		else
			HashingOptionsError("ABsmartly", psprintf("ABsmartly hashing options have an unknown field \"%s\"", name),
						 "The fields are seedHi, seedLo, trafficSeedHi, trafficSeedLo, split and trafficSplit.");
		pfree(name);
	}
}

/*
 * AbsmartlyCheckOptions
 *		Raises an error that says what is wrong with an ABsmartly
 *		experiment's options, for experiments.hashing_options_valid().
 */
void
AbsmartlyCheckOptions(Jsonb *options)
{
	AbsmartlyOptions o;

	ParseOptions(options, &o);
}

/*
 * MD5's step: a, rotated by s after the round function, message word and
 * constant. The round function is handed t = a + x + k, which is known
 * before b, the word the previous step just made, and adds it where the
 * fewest operations wait on b: MD5 of a short uid is a chain of 64 steps,
 * and its length is what a unit's hash costs.
 */
#define MD5_STEP(f, a, b, c, d, x, k, s) \
	((a) = (b) + pg_rotate_left32(f((b), (c), (d), (a) + (x) + (uint32) (k)), (s)))
#define MD5_F(b, c, d, t) (((d) ^ ((b) & ((c) ^ (d)))) + (t))
#define MD5_G(b, c, d, t) (((b) & (d)) + (((c) & ~(d)) + (t)))
#define MD5_H(b, c, d, t) (((b) ^ ((c) ^ (d))) + (t))
#define MD5_I(b, c, d, t) (((c) ^ ((b) | ~(d))) + (t))

/*
 * Four steps of a round from step i (a multiple of 4): the message word of a
 * step is m[(mul * step + add) & 15]. With i a constant, every index and
 * constant is known when compiling, and the 64 steps are straight-line code.
 */
#define MD5_FOUR(f, i, mul, add, s1, s2, s3, s4) \
	do { \
		MD5_STEP(f, a, b, c, d, m[((mul) * (i) + (add)) & 15], md5_k[(i)], s1); \
		MD5_STEP(f, d, a, b, c, m[((mul) * ((i) + 1) + (add)) & 15], md5_k[(i) + 1], s2); \
		MD5_STEP(f, c, d, a, b, m[((mul) * ((i) + 2) + (add)) & 15], md5_k[(i) + 2], s3); \
		MD5_STEP(f, b, c, d, a, m[((mul) * ((i) + 3) + (add)) & 15], md5_k[(i) + 3], s4); \
	} while (0)
#define MD5_ROUND(f, i, mul, add, s1, s2, s3, s4) \
	do { \
		MD5_FOUR(f, (i), mul, add, s1, s2, s3, s4); \
		MD5_FOUR(f, (i) + 4, mul, add, s1, s2, s3, s4); \
		MD5_FOUR(f, (i) + 8, mul, add, s1, s2, s3, s4); \
		MD5_FOUR(f, (i) + 12, mul, add, s1, s2, s3, s4); \
	} while (0)

/* MD5's constants (RFC 1321): the integer parts of 2^32 * |sin(i + 1)|. */
static const uint32 md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391
};

/* The base64url alphabet, which a uid's digest is written in. */
const char Base64urlAlphabet[64] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * LittleEndianWords
 *		Bytes read in place as MD5's little-endian 32-bit words: nothing to
 *		do on a little-endian machine, each word's bytes swapped on others.
 */
static inline void
LittleEndianWords(uint32 *words, int n)
{
#ifdef WORDS_BIGENDIAN
	for (int i = 0; i < n; i++)
		words[i] = pg_bswap32(words[i]);
#else
	(void) words;
	(void) n;
#endif
}

/*
 * Md5Block
 *		MD5's compression of one 64-byte block, given as its sixteen
 *		little-endian words, into state (RFC 1321): four rounds of sixteen
 *		steps, unrolled. Written here rather than taken from PostgreSQL's
 *		pg_md5_binary(), whose OpenSSL context per call costs more than the
 *		rest of an assignment.
 */
static pg_attribute_always_inline void
Md5Block(uint32 *state, const uint32 *m)
{
	uint32		a = state[0],
				b = state[1],
				c = state[2],
				d = state[3];

	MD5_ROUND(MD5_F, 0, 1, 0, 7, 12, 17, 22);
	MD5_ROUND(MD5_G, 16, 5, 1, 5, 9, 14, 20);
	MD5_ROUND(MD5_H, 32, 3, 5, 4, 11, 16, 23);
	MD5_ROUND(MD5_I, 48, 7, 0, 6, 10, 15, 21);
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
}

/*
 * Md5Digest
 *		The MD5 digest of bytes: the whole blocks, then the rest, the padding
 *		and the bit length in one more (the length in a second when fewer
 *		than 9 bytes are left after the rest). A uid of up to 55 bytes is one
 *		block, copied once into words that are read as they are, never
 *		assembled byte by byte.
 */
void
Md5Digest(const void *bytes, size_t len, uint8 *digest)
{
	const uint8 *p = bytes;
	uint32		state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	union
	{
		uint32		words[16];
		uint8		bytes[64];
	}			block;
	size_t		rest = len & 63;
	uint64		bits = (uint64) len * 8;

	for (size_t i = 0; i + 64 <= len; i += 64)
	{
		memcpy(block.bytes, p + i, 64);
		LittleEndianWords(block.words, 16);
		Md5Block(state, block.words);
	}
	memset(block.bytes, 0, 64);
	memcpy(block.bytes, p + (len - rest), rest);
	block.bytes[rest] = 0x80;
	LittleEndianWords(block.words, 16);
	if (unlikely(rest >= 56))
	{
		Md5Block(state, block.words);
		memset(block.bytes, 0, 64);
	}
	block.words[14] = (uint32) bits;
	block.words[15] = (uint32) (bits >> 32);
	Md5Block(state, block.words);
	LittleEndianWords(state, 4);
	memcpy(digest, state, 16);
}

/*
 * AbsmartlyDerivedSeeds
 *		The seeds of an experiment that gives none: the MD5 digest of its key's
 *		UTF-8 bytes, read as four little-endian 32-bit integers, seedHi,
 *		seedLo, trafficSeedHi and trafficSeedLo in that order.
 */
static void
AbsmartlyDerivedSeeds(const char *key, int len, uint32 *seeds)
{
	uint8		digest[16];

	Md5Digest(key, len, digest);
	for (int s = 0; s < 4; s++)
		seeds[s] = (uint32) digest[4 * s] | (uint32) digest[4 * s + 1] << 8 |
			(uint32) digest[4 * s + 2] << 16 | (uint32) digest[4 * s + 3] << 24;
}

/*
 * AbsmartlyCompile
 *		The settings of an ABsmartly experiment, kept in context; the splits
 *		left out are the variants' allocations and [1 - traffic, traffic].
 */
AbsmartlyConfig *
AbsmartlyCompile(Jsonb *options, const ExperimentConfig *config, MemoryContext context)
{
	MemoryContext old = MemoryContextSwitchTo(context);
	AbsmartlyConfig *ab = palloc0(sizeof(AbsmartlyConfig));
	AbsmartlyOptions o;
	uint32		derived[4];

	ParseOptions(options, &o);
	AbsmartlyDerivedSeeds(VARDATA_ANY(config->key), VARSIZE_ANY_EXHDR(config->key), derived);
	ab->seed_hi = o.has_seed[0] ? o.seed[0] : derived[0];
	ab->seed_lo = o.has_seed[1] ? o.seed[1] : derived[1];
	ab->traffic_seed_hi = o.has_seed[2] ? o.seed[2] : derived[2];
	ab->traffic_seed_lo = o.has_seed[3] ? o.seed[3] : derived[3];
	if (o.split != NULL)
	{
		ab->nsplit = o.nsplit;
		ab->split = o.split;
	}
	else
	{
		ab->nsplit = config->nvariants;
		ab->split = palloc(sizeof(double) * Max(config->nvariants, 1));
		for (int i = 0; i < config->nvariants; i++)
			ab->split[i] = (config->variants[i].upper -
							(i > 0 ? config->variants[i - 1].upper : 0)) / 10000.0;
	}
	if (o.traffic_split != NULL)
	{
		ab->ntraffic = o.ntraffic;
		ab->traffic_split = o.traffic_split;
	}
	else
	{
		ab->ntraffic = 2;
		ab->traffic_split = palloc(sizeof(double) * 2);
		ab->traffic_split[0] = 1.0 - config->traffic_bp / 10000.0;
		ab->traffic_split[1] = config->traffic_bp / 10000.0;
	}
	ab->traffic_state = DrawState(ab->traffic_seed_hi, ab->traffic_seed_lo);
	ab->variant_state = DrawState(ab->seed_hi, ab->seed_lo);
	ab->traffic_cuts = DrawCuts(ab->traffic_split, ab->ntraffic);
	ab->variant_cuts = DrawCuts(ab->split, ab->nsplit);

	/*
	 * The bucket each cumulative sum but the last ends in (a draw past the
	 * last sum still gets the last variant), summed as ChooseVariant() sums.
	 */
	ab->nboundaries = Max(ab->nsplit - 1, 0);
	ab->boundaries = palloc(sizeof(int32) * Max(ab->nboundaries, 1));
	{
		double		sum = 0.0;

		for (int i = 0; i < ab->nboundaries; i++)
		{
			sum += ab->split[i];
			ab->boundaries[i] = (int32) Min(floor(sum * 10000), (double) PG_INT32_MAX - 1);
		}
	}
	MemoryContextSwitchTo(old);
	return ab;
}

/*
 * MurmurScramble, MurmurMix, MurmurFinal
 *		murmur3_32's steps: a 4-byte little-endian block scrambled, then mixed
 *		into the state; the tail is scrambled only; the length and the
 *		finalizer end it.
 */
static inline uint32
MurmurScramble(uint32 k)
{
	return pg_rotate_left32(k * 0xcc9e2d51, 15) * 0x1b873593;
}

static inline uint32
MurmurMix(uint32 h, uint32 k)
{
	return pg_rotate_left32(h ^ MurmurScramble(k), 13) * 5 + 0xe6546b64;
}

static inline uint32
MurmurFinal(uint32 h, uint32 len)
{
	h ^= len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/*
 * JavaScriptBytes
 *		The bytes the SDK's stringToUint8Array() makes of a uid: UTF-8, but a
 *		character above U+FFFF becomes its two UTF-16 surrogates, three bytes
 *		each. Returns unit itself when it has no such character.
 */
static const uint8 *
JavaScriptBytes(const char *unit, int len, int *outlen)
{
	const uint8 *u = (const uint8 *) unit;
	uint8	   *out;
	int			n = 0;
	int			i;

	for (i = 0; i < len && u[i] < 0xF0; i++)
		;
	*outlen = len;
	if (i == len)
		return u;
	out = palloc(len * 2);
	for (i = 0; i < len;)
	{
		if (u[i] >= 0xF0 && i + 3 < len)
		{
			uint32		cp = ((u[i] & 0x07) << 18) | ((u[i + 1] & 0x3F) << 12) |
				((u[i + 2] & 0x3F) << 6) | (u[i + 3] & 0x3F);
			uint32		pair[2] = {0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)};

			for (int s = 0; s < 2; s++)
			{
				out[n++] = 0xE0 | (pair[s] >> 12);
				out[n++] = 0x80 | ((pair[s] >> 6) & 0x3F);
				out[n++] = 0x80 | (pair[s] & 0x3F);
			}
			i += 4;
		}
		else
			out[n++] = u[i++];
	}
	*outlen = n;
	return out;
}

/*
 * The last unit whose key was worked out, and that key: the SDK's usual
 * pattern assigns one unit to several experiments in a row (assign_all(), or
 * a context's assign() calls), and the key does not depend on the experiment.
 */
#define UNIT_MEMO_BYTES 64

typedef struct UnitMemo
{
	int			len;			/* -1: empty */
	uint32		key;
	char		unit[UNIT_MEMO_BYTES];
} UnitMemo;

static UnitMemo unit_memo = {.len = -1};

/*
 * AbsmartlyUnitKey
 *		murmur3_32 of a uid's digest (MD5, base64url unpadded) as the
 *		collector stores it: the key every draw of the unit hashes. Each
 *		block of four characters is one 3-byte group of the digest, so the
 *		characters are hashed as they are made, never written out.
 */
static uint32
AbsmartlyUnitKey(const char *unit, int len)
{
	uint8		digest[16];
	int			blen;
	const uint8 *bytes;
	uint32		h = 0;

	if (len == unit_memo.len && memcmp(unit, unit_memo.unit, len) == 0)
		return unit_memo.key;
	bytes = JavaScriptBytes(unit, len, &blen);
	Md5Digest(bytes, blen, digest);
	for (int g = 0; g < 5; g++)
		h = MurmurMix(h, Base64urlWord(digest, g));
	h = MurmurFinal(h ^ MurmurScramble(Base64urlWord(digest, 5)), UID_DIGEST_CHARS);
	if (len <= UNIT_MEMO_BYTES)
	{
		memcpy(unit_memo.unit, unit, len);
		unit_memo.len = len;
		unit_memo.key = h;
	}
	return h;
}

/*
 * DrawHash, DrawProbability
 *		A draw: murmur3_32 of seedLo, seedHi and the unit key, little-endian,
 *		from state, the hash state after the seeds, worked out once per
 *		experiment (DrawState); its probability, from 0 to 1, is the hash
 *		times 1 / 0xffffffff.
 */
static inline uint32
DrawHash(uint32 state, uint32 key)
{
	return MurmurFinal(MurmurMix(state, key), 12);
}

static inline double
DrawProbability(uint32 hash)
{
	return hash * (1.0 / 0xffffffff);
}

/*
 * DrawState
 *		murmur3_32's state after a draw's first 8 bytes, seedLo and seedHi.
 */
static uint32
DrawState(uint32 seed_hi, uint32 seed_lo)
{
	return MurmurMix(MurmurMix(0, seed_lo), seed_hi);
}

/*
 * ChooseVariant
 *		The first index whose cumulative split exceeds prob, else the last:
 *		the sum is formed in order, in doubles, as the SDK forms it.
 */
static int
ChooseVariant(const double *split, int n, double prob)
{
	double		sum = 0.0;

	for (int i = 0; i < n; i++)
	{
		sum += split[i];
		if (prob < sum)
			return i;
	}
	return n - 1;
}

/*
 * DrawCuts
 *		For each cumulative split but the last, summed as ChooseVariant()
 *		sums, the least hash whose probability is not below it (2^32 when
 *		none). The probability never falls as the hash grows, and the sums
 *		never fall (no split is negative), so a draw's index is the number of
 *		cuts its hash reaches (DrawIndex): ChooseVariant()'s answer, worked
 *		out without a branch that waits on the unit's hash.
 */
static uint64 *
DrawCuts(const double *split, int n)
{
	uint64	   *cuts = palloc(sizeof(uint64) * Max(n - 1, 1));
	double		sum = 0.0;

	for (int i = 0; i < n - 1; i++)
	{
		uint64		low = 0,
					high = (uint64) PG_UINT32_MAX + 1;

		sum += split[i];
		while (low < high)
		{
			uint64		mid = (low + high) / 2;

			if (DrawProbability((uint32) mid) < sum)
				low = mid + 1;
			else
				high = mid;
		}
		cuts[i] = low;
	}
	return cuts;
}

/*
 * DrawIndex
 *		ChooseVariant() of a draw's probability, from its hash and the split's
 *		cuts (DrawCuts): -1 when the split is empty.
 */
static inline int
DrawIndex(const uint64 *cuts, int n, uint32 hash)
{
	int			index = 0;

	for (int i = 0; i < n - 1; i++)
		index += hash >= cuts[i];
	return Min(index, n - 1);
}

/*
 * AbsmartlyVariantOfBucket
 *		The variant index (from 0) of the start of a bucket, b / 10000: that
 *		of every draw in the bucket unless a split boundary falls inside it.
 */
int
AbsmartlyVariantOfBucket(const AbsmartlyConfig *ab, int32 bucket)
{
	return ChooseVariant(ab->split, ab->nsplit, bucket / 10000.0);
}

/*
 * AbsmartlyDecide
 *		Whether a unit is in traffic, its variant index (from 0), the bucket
 *		(0 to 9999) its variant draw fell in and, when at_start is not NULL,
 *		whether that variant is the one of the bucket's start
 *		(AbsmartlyVariantOfBucket): worked out only in the buckets next to a
 *		split boundary, since elsewhere a whole bucket has one variant. Both
 *		draws are made for every unit, and nothing branches on them but the
 *		rare boundary case: a branch on a random draw would be mispredicted
 *		often, and the processor could not go on with the next row while
 *		the unit's MD5 chain runs.
 */
bool
AbsmartlyDecide(const AbsmartlyConfig *ab, const char *unit, int len, int *variant,
				int32 *bucket, bool *at_start)
{
	uint32		key = AbsmartlyUnitKey(unit, len);
	uint32		hash = DrawHash(ab->variant_state, key);

	*variant = DrawIndex(ab->variant_cuts, ab->nsplit, hash);
	*bucket = Min((int32) (DrawProbability(hash) * 10000), 9999);
	if (at_start != NULL)
	{
		*at_start = true;
		for (int i = 0; i < ab->nboundaries; i++)
			if (unlikely(ab->boundaries[i] >= *bucket - 1 && ab->boundaries[i] <= *bucket + 1))
			{
				*at_start = *variant == AbsmartlyVariantOfBucket(ab, *bucket);
				break;
			}
	}
	return DrawIndex(ab->traffic_cuts, ab->ntraffic, DrawHash(ab->traffic_state, key)) == 1;
}

/*
 * AppendSplit
 *		A split as a JSON array, each fraction in its shortest exact decimal,
 *		so that the SDK parses the very doubles assignment sums.
 */
static void
AppendSplit(StringInfo out, const double *split, int n)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	appendStringInfoChar(out, '[');
	for (int i = 0; i < n; i++)
	{
		double_to_shortest_decimal_buf(split[i], buf);
		appendStringInfo(out, "%s%s", i > 0 ? "," : "", buf);
	}
	appendStringInfoChar(out, ']');
}

/*
 * absmartly_context() returns jsonb
 *		ABsmartly's context data for the current tenant's running ABsmartly
 *		experiments, with the seeds and splits assignment uses (given or
 *		derived), so that an ABsmartly SDK given it assigns as assign() does.
 */
Datum
absmartly_context(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	int			count;
	ExperimentConfig **configs;
	StringInfoData out;
	bool		first = true;

	RequireTenant(&tenant);
	configs = LookupRunningExperiments(&tenant, RUNNING_BY_KEY, &count);
	initStringInfo(&out);
	appendStringInfoString(&out, "{\"experiments\":[");
	for (int i = 0; i < count; i++)
	{
		const ExperimentConfig *c = configs[i];
		const AbsmartlyConfig *ab = c->absmartly;
		const VariantConfig *full_on;

		if (ab == NULL)
			continue;
		full_on = c->full_on_ordinal >= 0 ? VariantByOrdinal(c, c->full_on_ordinal) : NULL;
		appendStringInfo(&out, "%s{\"id\":" INT64_FORMAT ",\"name\":", first ? "" : ",", c->id);
		escape_json(&out, text_to_cstring(c->key));
		appendStringInfoString(&out, ",\"unitType\":");
		escape_json(&out, c->unit_type);
		appendStringInfo(&out, ",\"iteration\":1,\"seedHi\":%u,\"seedLo\":%u,\"split\":",
						 ab->seed_hi, ab->seed_lo);
		AppendSplit(&out, ab->split, ab->nsplit);
		appendStringInfo(&out, ",\"trafficSeedHi\":%u,\"trafficSeedLo\":%u,\"trafficSplit\":",
						 ab->traffic_seed_hi, ab->traffic_seed_lo);
		AppendSplit(&out, ab->traffic_split, ab->ntraffic);
		appendStringInfo(&out, ",\"fullOnVariant\":%d,\"applications\":[],\"variants\":[",
						 full_on != NULL ? (int) (full_on - c->variants) : 0);
		for (int v = 0; v < c->nvariants; v++)
		{
			appendStringInfoString(&out, v > 0 ? ",{\"name\":" : "{\"name\":");
			escape_json(&out, text_to_cstring(c->variants[v].key));
			appendStringInfoString(&out, ",\"config\":null}");
		}
		appendStringInfoString(&out, "],\"audience\":\"\",\"audienceStrict\":false}");
		first = false;
	}
	appendStringInfoString(&out, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
