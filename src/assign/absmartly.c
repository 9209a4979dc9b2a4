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
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
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

/* MD5's step: a, rotated by s after the round function, message word and constant. */
#define MD5_STEP(f, a, b, c, d, x, k, s) \
	((a) = (b) + pg_rotate_left32((a) + f((b), (c), (d)) + (x) + (k), (s)))
#define MD5_F(b, c, d) (((b) & (c)) | (~(b) & (d)))
#define MD5_G(b, c, d) (((d) & (b)) | (~(d) & (c)))
#define MD5_H(b, c, d) ((b) ^ (c) ^ (d))
#define MD5_I(b, c, d) ((c) ^ ((b) | ~(d)))

/*
 * Md5Block
 *		MD5's compression of one 64-byte block into state (RFC 1321), its
 *		four rounds of sixteen steps. Written here rather than taken from
 *		PostgreSQL's pg_md5_binary(), whose OpenSSL context per call costs
 *		more than the rest of an assignment.
 */
static void
Md5Block(uint32 *state, const uint8 *block)
{
	static uint32 k[64];
	uint32		m[16];
	uint32		a = state[0],
				b = state[1],
				c = state[2],
				d = state[3];

	/* the constants are the integer parts of 2^32 * |sin(i + 1)| */
	if (unlikely(k[0] == 0))
		for (int i = 0; i < 64; i++)
			k[i] = (uint32) floor(fabs(sin((double) (i + 1))) * 4294967296.0);
	for (int i = 0; i < 16; i++)
		m[i] = (uint32) block[4 * i] | (uint32) block[4 * i + 1] << 8 |
			(uint32) block[4 * i + 2] << 16 | (uint32) block[4 * i + 3] << 24;
	for (int i = 0; i < 16; i += 4)
	{
		MD5_STEP(MD5_F, a, b, c, d, m[i], k[i], 7);
		MD5_STEP(MD5_F, d, a, b, c, m[i + 1], k[i + 1], 12);
		MD5_STEP(MD5_F, c, d, a, b, m[i + 2], k[i + 2], 17);
		MD5_STEP(MD5_F, b, c, d, a, m[i + 3], k[i + 3], 22);
	}
	for (int i = 16; i < 32; i += 4)
	{
		MD5_STEP(MD5_G, a, b, c, d, m[(5 * i + 1) & 15], k[i], 5);
		MD5_STEP(MD5_G, d, a, b, c, m[(5 * i + 6) & 15], k[i + 1], 9);
		MD5_STEP(MD5_G, c, d, a, b, m[(5 * i + 11) & 15], k[i + 2], 14);
		MD5_STEP(MD5_G, b, c, d, a, m[(5 * i + 16) & 15], k[i + 3], 20);
	}
	for (int i = 32; i < 48; i += 4)
	{
		MD5_STEP(MD5_H, a, b, c, d, m[(3 * i + 5) & 15], k[i], 4);
		MD5_STEP(MD5_H, d, a, b, c, m[(3 * i + 8) & 15], k[i + 1], 11);
		MD5_STEP(MD5_H, c, d, a, b, m[(3 * i + 11) & 15], k[i + 2], 16);
		MD5_STEP(MD5_H, b, c, d, a, m[(3 * i + 14) & 15], k[i + 3], 23);
	}
	for (int i = 48; i < 64; i += 4)
	{
		MD5_STEP(MD5_I, a, b, c, d, m[(7 * i) & 15], k[i], 6);
		MD5_STEP(MD5_I, d, a, b, c, m[(7 * i + 7) & 15], k[i + 1], 10);
		MD5_STEP(MD5_I, c, d, a, b, m[(7 * i + 14) & 15], k[i + 2], 15);
		MD5_STEP(MD5_I, b, c, d, a, m[(7 * i + 21) & 15], k[i + 3], 21);
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
}

/*
 * Md5Digest
 *		The MD5 digest of bytes: the blocks, then the padding and the bit
 *		length in one or two more.
 */
void
Md5Digest(const void *bytes, size_t len, uint8 *digest)
{
	const uint8 *p = bytes;
	uint32		state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	uint8		tail[128];
	size_t		rest = len & 63;
	size_t		tail_len = rest < 56 ? 64 : 128;
	uint64		bits = (uint64) len * 8;

	for (size_t i = 0; i + 64 <= len; i += 64)
		Md5Block(state, p + i);
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p + (len - rest), rest);
	tail[rest] = 0x80;
	for (int i = 0; i < 8; i++)
		tail[tail_len - 8 + i] = (uint8) (bits >> (8 * i));
	Md5Block(state, tail);
	if (tail_len == 128)
		Md5Block(state, tail + 64);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			digest[4 * i + j] = (uint8) (state[i] >> (8 * j));
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
	MemoryContextSwitchTo(old);
	return ab;
}

/*
 * Murmur3
 *		murmur3_32 of bytes under a seed: 4-byte little-endian blocks, the
 *		tail, then the finalizer.
 */
static inline uint32
Murmur3(const uint8 *p, size_t len, uint32 h)
{
	const uint32 c1 = 0xcc9e2d51;
	const uint32 c2 = 0x1b873593;
	size_t		i;
	uint32		k;

	for (i = 0; i + 4 <= len; i += 4)
	{
		k = (uint32) p[i] | (uint32) p[i + 1] << 8 | (uint32) p[i + 2] << 16 |
			(uint32) p[i + 3] << 24;
		k = pg_rotate_left32(k * c1, 15) * c2;
		h ^= k;
		h = pg_rotate_left32(h, 13) * 5 + 0xe6546b64;
	}
	k = 0;
	switch (len & 3)
	{
		case 3:
			k ^= (uint32) p[i + 2] << 16;
			/* FALLTHROUGH */
		case 2:
			k ^= (uint32) p[i + 1] << 8;
			/* FALLTHROUGH */
		case 1:
			k ^= p[i];
			h ^= pg_rotate_left32(k * c1, 15) * c2;
	}
	h ^= (uint32) len;
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
 * AbsmartlyUnitKey
 *		murmur3_32 of a uid's digest (MD5, base64url unpadded) as the
 *		collector stores it: the key every draw of the unit hashes.
 */
static uint32
AbsmartlyUnitKey(const char *unit, int len)
{
	char		digest[UID_DIGEST_CHARS];
	int			blen;
	const uint8 *bytes = JavaScriptBytes(unit, len, &blen);

	UidDigestChars((const char *) bytes, blen, digest);
	return Murmur3((const uint8 *) digest, UID_DIGEST_CHARS, 0);
}

/*
 * Draw
 *		A draw's probability, from 0 to 1: murmur3_32 of seedLo, seedHi and
 *		the unit key, little-endian, times 1 / 0xffffffff.
 */
static inline double
Draw(uint32 key, uint32 seed_hi, uint32 seed_lo)
{
	uint8		block[12];

	for (int i = 0; i < 4; i++)
	{
		block[i] = (seed_lo >> (8 * i)) & 0xFF;
		block[4 + i] = (seed_hi >> (8 * i)) & 0xFF;
		block[8 + i] = (key >> (8 * i)) & 0xFF;
	}
	return Murmur3(block, sizeof(block), 0) * (1.0 / 0xffffffff);
}

/*
 * ChooseVariant
 *		The first index whose cumulative split exceeds prob, else the last:
 *		the sum is formed in order, in doubles, as the SDK forms it.
 */
static inline int
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
 * AbsmartlyDecide
 *		Whether a unit is in traffic and, if so, its variant index (from 0)
 *		and the bucket (0 to 9999) its variant draw fell in.
 */
bool
AbsmartlyDecide(const AbsmartlyConfig *ab, const char *unit, int len, int *variant, int32 *bucket)
{
	uint32		key = AbsmartlyUnitKey(unit, len);
	double		prob;

	if (ChooseVariant(ab->traffic_split, ab->ntraffic,
					  Draw(key, ab->traffic_seed_hi, ab->traffic_seed_lo)) != 1)
		return false;
	prob = Draw(key, ab->seed_hi, ab->seed_lo);
	*variant = ChooseVariant(ab->split, ab->nsplit, prob);
	*bucket = Min((int32) (prob * 10000), 9999);
	return true;
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
