/*
 * growthbook.c
 *		GrowthBook-compatible assignment: an experiment whose hashing is
 *		'growthbook' gives every unit the variation GrowthBook's SDKs give it.
 *
 * GrowthBook hashes with 32-bit FNV-1a over the UTF-16 code units of a
 * string: version 1 takes fnv(value + seed) mod 1000 / 1000, version 2
 * fnv(decimal text of fnv(seed + value)) mod 10000 / 10000. The seed defaults
 * to the experiment key, so one definition assigns alike everywhere.
 * Coverage and weights become one [start, end) range per variation (or the
 * experiment gives the ranges); namespaces and filters are hashes of their
 * own that must fall in a range. The experiment's settings are kept as
 * GrowthBook writes them, in experiments.hashing_options, checked when
 * written and compiled here once per backend (docs/assignment.md,
 * "GrowthBook mode").
 */
#include "assign.h"
#include "growthbook.h"

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(growthbook_hash);
PG_FUNCTION_INFO_V1(growthbook_bucket_ranges);
PG_FUNCTION_INFO_V1(growthbook_choose_variation);
PG_FUNCTION_INFO_V1(growthbook_in_namespace);
PG_FUNCTION_INFO_V1(growthbook_equal_weights);
PG_FUNCTION_INFO_V1(growthbook_condition_matches);
PG_FUNCTION_INFO_V1(hashing_options_valid);

#define FNV_OFFSET_BASIS 0x811C9DC5u
#define FNV_PRIME 16777619u

/* GrowthBook's tolerance on the sum of weights. */
#define WEIGHTS_LOW 0.99
#define WEIGHTS_HIGH 1.01

typedef double Range[2];

typedef struct GrowthBookFilter
{
	char	   *seed;
	int			seedlen;
	char	   *attribute;		/* NULL: the unit */
	int			version;
	int			nranges;
	Range	   *ranges;
} GrowthBookFilter;

struct GrowthBookConfig
{
	char	   *seed;
	int			seedlen;
	uint32		seeded;			/* FNV state after the seed: version 2 hashes seed first */
	int			version;
	char	   *attribute;		/* the hash attribute; NULL: the unit */
	bool		has_namespace;
	char	   *namespace_seed; /* "__" + namespace id */
	Range		namespace_range;
	int			nfilters;
	GrowthBookFilter *filters;
	Jsonb	   *condition;		/* NULL: none */
	int			nvariants;
	int			nranges;
	Range	   *ranges;
};

/*
 * HashingOptionsError
 *		Refuses a malformed setting of a compatible mode's experiment (mode
 *		"GrowthBook" or "ABsmartly"), pointing at the settings the docs list.
 */
void
HashingOptionsError(const char *mode, const char *message, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 errdetail("%s", detail),
			 errhint("See docs/assignment.md, \"%s mode\", for the settings of a %s experiment.", mode, mode)));
}

/*
 * FnvAppend
 *		FNV-1a over the UTF-16 code units of UTF-8 text, as the SDK's
 *		charCodeAt() loop sees a JavaScript string: ASCII bytes as they are,
 *		other characters as one code unit, or two (a surrogate pair) above
 *		U+FFFF.
 */
static inline uint32
FnvAppend(uint32 h, const char *s, int len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;

	while (p < end)
	{
		if (likely(*p < 0x80))
		{
			h = (h ^ *p++) * FNV_PRIME;
			continue;
		}
		{
			int			n = pg_utf_mblen(p);
			pg_wchar	c = n <= end - p ? utf8_to_unicode(p) : *p;

			p += Min(n, end - p);
			if (c >= 0x10000)
			{
				c -= 0x10000;
				h = (h ^ (0xD800 + (c >> 10))) * FNV_PRIME;
				h = (h ^ (0xDC00 + (c & 0x3FF))) * FNV_PRIME;
			}
			else
				h = (h ^ c) * FNV_PRIME;
		}
	}
	return h;
}

/*
 * FnvDecimal
 *		FNV-1a over the decimal digits of v, most significant first and
 *		without leading zeros, as the SDK hashes String(v): each digit is v
 *		divided by a constant power of ten, a multiplication, all of them
 *		independent, so the hash need not wait for a text to be written.
 */
#define FNV_DIGIT(h, v, p) \
	((v) >= (p) || (p) == 1 ? ((h) ^ (uint32) ('0' + (v) / (p) % 10)) * FNV_PRIME : (h))

static inline uint32
FnvDecimal(uint32 v)
{
	uint32		h = FNV_OFFSET_BASIS;

	h = FNV_DIGIT(h, v, 1000000000u);
	h = FNV_DIGIT(h, v, 100000000u);
	h = FNV_DIGIT(h, v, 10000000u);
	h = FNV_DIGIT(h, v, 1000000u);
	h = FNV_DIGIT(h, v, 100000u);
	h = FNV_DIGIT(h, v, 10000u);
	h = FNV_DIGIT(h, v, 1000u);
	h = FNV_DIGIT(h, v, 100u);
	h = FNV_DIGIT(h, v, 10u);
	return FNV_DIGIT(h, v, 1u);
}

/*
 * Hash
 *		GrowthBook's hash(seed, value, version) in [0, 1), and the same as an
 *		integer bucket in [0, 10000) (version 1's thousandths times 10).
 *		false for a version other than 1 and 2.
 */
static inline bool
Hash(const char *seed, int seedlen, const char *value, int len, int version,
	 double *n, int32 *bucket)
{
	if (version == 2)
	{
		uint32		b = FnvDecimal(FnvAppend(FnvAppend(FNV_OFFSET_BASIS, seed, seedlen), value, len)) % 10000;

		*n = (double) b / 10000;
		*bucket = (int32) b;
		return true;
	}
	if (version == 1)
	{
		uint32		b = FnvAppend(FnvAppend(FNV_OFFSET_BASIS, value, len), seed, seedlen) % 1000;

		*n = (double) b / 1000;
		*bucket = (int32) b * 10;
		return true;
	}
	return false;
}

/*
 * ChooseVariation
 *		The first range with start <= n < end, or -1.
 */
static inline int
ChooseVariation(double n, const Range *ranges, int nranges)
{
	for (int i = 0; i < nranges; i++)
		if (n >= ranges[i][0] && n < ranges[i][1])
			return i;
	return -1;
}

/*
 * BucketRanges
 *		GrowthBook's getBucketRanges(): coverage clamped to [0, 1], weights
 *		replaced by equal ones when their count or sum is off, then each
 *		variation gets [sum of earlier weights, that + coverage * weight).
 */
static void
BucketRanges(int n, double coverage, const double *weights, int nweights, Range *out)
{
	bool		equal = weights == NULL || nweights != n;
	double		cumulative = 0;

	coverage = coverage < 0 ? 0 : coverage > 1 ? 1 : coverage;
	if (!equal)
	{
		double		total = 0;

		for (int i = 0; i < n; i++)
			total += weights[i];
		equal = total < WEIGHTS_LOW || total > WEIGHTS_HIGH;
	}
	for (int i = 0; i < n; i++)
	{
		double		w = equal ? 1.0 / n : weights[i];

		out[i][0] = cumulative;
		out[i][1] = cumulative + coverage * w;
		cumulative += w;
	}
}

/*
 * IsArray
 *		Whether a jsonb value is an array.
 */
static bool
IsArray(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

/*
 * NumberOf
 *		A number setting, refused when it is not a number in [lo, hi].
 */
static double
NumberOf(const JsonbValue *v, double lo, double hi, const char *what)
{
	double		x;

	if (v->type != jbvNumeric)
		HashingOptionsError("GrowthBook", psprintf("GrowthBook %s must be a number", what),
					 psprintf("It must be a number from %g to %g.", lo, hi));
	x = JsonbNumberDouble(v);
	if (!(x >= lo && x <= hi))
		HashingOptionsError("GrowthBook", psprintf("GrowthBook %s %g is out of range", what, x),
					 psprintf("It must be a number from %g to %g.", lo, hi));
	return x;
}

/*
 * ParseRange
 *		[start, end] with 0 <= start <= end <= 1.
 */
static void
ParseRange(const JsonbValue *v, Range out, const char *what)
{
	if (!IsArray(v) || JsonContainerSize(v->val.binary.data) != 2)
		HashingOptionsError("GrowthBook", psprintf("a GrowthBook %s must be a pair [start, end]", what),
					 "A range is an array of two numbers from 0 to 1, start first.");
	out[0] = NumberOf(getIthJsonbValueFromContainer(v->val.binary.data, 0), 0, 1, what);
	out[1] = NumberOf(getIthJsonbValueFromContainer(v->val.binary.data, 1), 0, 1, what);
	if (out[0] > out[1])
		HashingOptionsError("GrowthBook", psprintf("a GrowthBook %s ends before it starts", what),
					 psprintf("The range [%g, %g) is empty the wrong way round.", out[0], out[1]));
}

/*
 * ParseRanges
 *		An array of ranges.
 */
static Range *
ParseRanges(const JsonbValue *v, int *n, const char *what)
{
	Range	   *ranges;

	if (!IsArray(v))
		HashingOptionsError("GrowthBook", psprintf("GrowthBook %ss must be an array of ranges", what),
					 "Give an array of [start, end] pairs.");
	*n = JsonContainerSize(v->val.binary.data);
	ranges = palloc(sizeof(Range) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		ParseRange(getIthJsonbValueFromContainer(v->val.binary.data, i), ranges[i], what);
	return ranges;
}

/*
 * ParseVersion
 *		A hash version: 1 or 2.
 */
static int
ParseVersion(const JsonbValue *v)
{
	if (v->type != jbvNumeric || (JsonbNumberDouble(v) != 1 && JsonbNumberDouble(v) != 2))
	{
		StringInfoData s;

		initStringInfo(&s);
		GrowthBookValueText(v, &s);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown GrowthBook hash version %s", s.data),
				 errdetail("GrowthBook hashes with version 1 (fnv32a(value + seed) mod 1000) or version 2 (fnv32a of the decimal fnv32a(seed + value), mod 10000)."),
				 errhint("Set \"hashVersion\" to 1 or 2, or leave it out for 1.")));
	}
	return (int) JsonbNumberDouble(v);
}

/*
 * StringOf
 *		A string setting, copied with its length.
 */
static char *
StringOf(const JsonbValue *v, int *len, bool nonempty, const char *what)
{
	if (v->type != jbvString || (nonempty && v->val.string.len == 0))
		HashingOptionsError("GrowthBook", psprintf("GrowthBook %s must be a%s string", what, nonempty ? " non-empty" : ""),
					 psprintf("\"%s\" was given another JSON type.", what));
	if (len != NULL)
		*len = v->val.string.len;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * UnitAttribute
 *		NULL when an attribute name means the unit: GrowthBook's "id".
 */
static char *
UnitAttribute(char *name)
{
	return strcmp(name, "id") == 0 ? NULL : name;
}

/*
 * ParseFilter
 *		{"seed", "ranges", "attribute"?, "hashVersion"?}.
 */
static void
ParseFilter(const JsonbValue *v, GrowthBookFilter *f)
{
	JsonbIterator *it;
	JsonbValue	key,
				arg;
	JsonbIteratorToken token;
	bool		has_seed = false,
				has_ranges = false;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		HashingOptionsError("GrowthBook", "a GrowthBook filter must be an object",
					 "A filter is {\"seed\", \"ranges\", \"attribute\", \"hashVersion\"}.");
	f->version = 2;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		char	   *k;

		if (token != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &arg, true);
		k = pnstrdup(key.val.string.val, key.val.string.len);
		if (strcmp(k, "seed") == 0)
			f->seed = StringOf(&arg, &f->seedlen, false, "filter seed"), has_seed = true;
		else if (strcmp(k, "ranges") == 0)
			f->ranges = ParseRanges(&arg, &f->nranges, "filter range"), has_ranges = true;
		else if (strcmp(k, "attribute") == 0)
			f->attribute = UnitAttribute(StringOf(&arg, NULL, true, "filter attribute"));
		else if (strcmp(k, "hashVersion") == 0)
			f->version = ParseVersion(&arg);
		else
			HashingOptionsError("GrowthBook", psprintf("unknown GrowthBook filter setting \"%s\"", k),
						 "A filter has \"seed\", \"ranges\", \"attribute\" and \"hashVersion\".");
	}
	if (!has_seed || !has_ranges)
		HashingOptionsError("GrowthBook", "a GrowthBook filter needs \"seed\" and \"ranges\"",
					 "A unit passes a filter when hash(seed, its attribute) falls in one of the ranges.");
}

/*
 * ParseOptions
 *		Checks the settings of a GrowthBook experiment, raising an error that
 *		says what is wrong, and compiles them into gb. Weights and coverage
 *		are left in *weights (NULL when not given) and *coverage (negative
 *		when not given).
 */
static void
ParseOptions(Jsonb *options, GrowthBookConfig *gb, double **weights, int *nweights,
			 double *coverage)
{
	JsonbIterator *it;
	JsonbValue	key,
				arg;
	JsonbIteratorToken token;

	memset(gb, 0, sizeof(*gb));
	gb->version = 1;
	*weights = NULL;
	*nweights = 0;
	*coverage = -1;
	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		HashingOptionsError("GrowthBook", "GrowthBook settings must be a JSON object",
					 "hashing_options holds the fields of a GrowthBook experiment but its key and variations.");
	it = JsonbIteratorInit(&options->root);
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		char	   *k;

		if (token != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &arg, true);
		k = pnstrdup(key.val.string.val, key.val.string.len);
		if (strcmp(k, "hashAttribute") == 0)
			gb->attribute = UnitAttribute(StringOf(&arg, NULL, true, "hashAttribute"));
		else if (strcmp(k, "hashVersion") == 0)
			gb->version = ParseVersion(&arg);
		else if (strcmp(k, "seed") == 0)
			gb->seed = StringOf(&arg, &gb->seedlen, false, "seed");
		else if (strcmp(k, "coverage") == 0)
			*coverage = NumberOf(&arg, 0, 1, "coverage");
		else if (strcmp(k, "weights") == 0)
		{
			double		total = 0;

			if (!IsArray(&arg))
				HashingOptionsError("GrowthBook", "GrowthBook weights must be an array of numbers",
							 "Give one weight per variant, in ordinal order, summing to 1.");
			*nweights = JsonContainerSize(arg.val.binary.data);
			*weights = palloc(sizeof(double) * Max(*nweights, 1));
			for (int i = 0; i < *nweights; i++)
			{
				(*weights)[i] = NumberOf(getIthJsonbValueFromContainer(arg.val.binary.data, i),
										 0, 1, "weight");
				total += (*weights)[i];
			}
			if (total < WEIGHTS_LOW || total > WEIGHTS_HIGH)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("GrowthBook weights sum to %g, not 1", total),
						 errdetail("GrowthBook ignores weights whose sum is outside [%g, %g] and splits equally; the experiment would not assign as written.",
								   WEIGHTS_LOW, WEIGHTS_HIGH),
						 errhint("Give weights summing to 1, such as [0.5, 0.5].")));
		}
		else if (strcmp(k, "ranges") == 0)
			gb->ranges = ParseRanges(&arg, &gb->nranges, "range");
		else if (strcmp(k, "namespace") == 0)
		{
			JsonbContainer *ns = arg.val.binary.data;
			char	   *id;

			if (!IsArray(&arg) || JsonContainerSize(ns) != 3)
				HashingOptionsError("GrowthBook", "a GrowthBook namespace must be [id, start, end]",
							 "A namespace is an array of its id (a string) and the range the experiment owns in it.");
			id = StringOf(getIthJsonbValueFromContainer(ns, 0), NULL, false, "namespace id");
			gb->has_namespace = true;
			gb->namespace_seed = psprintf("__%s", id);
			gb->namespace_range[0] = NumberOf(getIthJsonbValueFromContainer(ns, 1), 0, 1, "namespace start");
			gb->namespace_range[1] = NumberOf(getIthJsonbValueFromContainer(ns, 2), 0, 1, "namespace end");
			if (gb->namespace_range[0] > gb->namespace_range[1])
				HashingOptionsError("GrowthBook", "a GrowthBook namespace range ends before it starts",
							 psprintf("The range [%g, %g) of namespace \"%s\" is empty the wrong way round.",
									  gb->namespace_range[0], gb->namespace_range[1], id));
		}
		else if (strcmp(k, "filters") == 0)
		{
			if (!IsArray(&arg))
				HashingOptionsError("GrowthBook", "GrowthBook filters must be an array",
							 "Give an array of {\"seed\", \"ranges\", \"attribute\", \"hashVersion\"} objects.");
			gb->nfilters = JsonContainerSize(arg.val.binary.data);
			gb->filters = palloc0(sizeof(GrowthBookFilter) * Max(gb->nfilters, 1));
			for (int i = 0; i < gb->nfilters; i++)
				ParseFilter(getIthJsonbValueFromContainer(arg.val.binary.data, i), &gb->filters[i]);
		}
		else if (strcmp(k, "condition") == 0)
		{
			GrowthBookConditionCheck(&arg, "condition");
			gb->condition = JsonbValueToJsonb(&arg);
		}
		else
			HashingOptionsError("GrowthBook", psprintf("unknown GrowthBook experiment setting \"%s\"", k),
						 "The settings are hashAttribute, hashVersion, seed, coverage, weights, ranges, namespace, filters and condition.");
	}
}

/*
 * GrowthBookCompile
 *		The compiled settings of an experiment whose variants are loaded, in
 *		context. Weights default to the variants' allocations and coverage to
 *		traffic_bp, each over 10000; the seed to the experiment key.
 */
GrowthBookConfig *
GrowthBookCompile(Jsonb *options, const ExperimentConfig *config, MemoryContext context)
{
	MemoryContext old = MemoryContextSwitchTo(context);
	GrowthBookConfig *gb = palloc(sizeof(GrowthBookConfig));
	double	   *weights;
	int			nweights;
	double		coverage;

	ParseOptions(options, gb, &weights, &nweights, &coverage);
	if (gb->seed == NULL || gb->seedlen == 0)
	{
		gb->seed = text_to_cstring(config->key);
		gb->seedlen = strlen(gb->seed);
	}
	gb->seeded = FnvAppend(FNV_OFFSET_BASIS, gb->seed, gb->seedlen);
	gb->nvariants = config->nvariants;
	if (gb->ranges == NULL)
	{
		if (weights == NULL)
		{
			nweights = config->nvariants;
			weights = palloc(sizeof(double) * Max(nweights, 1));
			for (int i = 0; i < nweights; i++)
				weights[i] = (double) (config->variants[i].upper -
									   (i > 0 ? config->variants[i - 1].upper : 0)) / BUCKET_SPACE;
		}
		if (coverage < 0)
			coverage = (double) config->traffic_bp / BUCKET_SPACE;
		gb->nranges = config->nvariants;
		gb->ranges = palloc(sizeof(Range) * Max(gb->nranges, 1));
		BucketRanges(gb->nranges, coverage, weights, nweights, gb->ranges);
	}
	MemoryContextSwitchTo(old);
	return gb;
}

/*
 * HashValue
 *		The text GrowthBook hashes for an attribute (NULL: the unit): its
 *		String(), or false when it is missing or falsy, which keeps the unit
 *		out.
 */
static bool
HashValue(const char *attribute, text *unit, Jsonb *attributes, const char **value, int *len)
{
	JsonbValue	v;
	StringInfoData s;

	if (attribute == NULL)
	{
		*value = VARDATA_ANY(unit);
		*len = VARSIZE_ANY_EXHDR(unit);
		return *len > 0;
	}
	if (getKeyJsonValueFromContainer(&attributes->root, attribute, strlen(attribute), &v) == NULL ||
		v.type == jbvNull || (v.type == jbvBool && !v.val.boolean) ||
		(v.type == jbvString && v.val.string.len == 0) ||
		(v.type == jbvNumeric && JsonbNumberDouble(&v) == 0))
		return false;
	initStringInfo(&s);
	GrowthBookValueText(&v, &s);
	*value = s.data;
	*len = s.len;
	return true;
}

/*
 * GrowthBookBucketOnly
 *		Whether a unit's answer depends on its bucket alone: the unit is the
 *		hash value, and no filter, namespace or condition reads more.
 */
bool
GrowthBookBucketOnly(const GrowthBookConfig *gb)
{
	return gb->attribute == NULL && gb->nfilters == 0 && !gb->has_namespace && gb->condition == NULL;
}

/*
 * GrowthBookUnitBucket
 *		The experiment's bucket of a unit that is its own hash value; -1 for
 *		an empty unit, which has none.
 */
int32
GrowthBookUnitBucket(const GrowthBookConfig *gb, const char *unit, int len)
{
	double		n;
	int32		b = -1;

	if (len == 0)
		return -1;
	if (gb->version == 2)
		/* Hash(), version 2, from the state after the seed */
		return (int32) (FnvDecimal(FnvAppend(gb->seeded, unit, len)) % 10000);
	(void) Hash(gb->seed, gb->seedlen, unit, len, gb->version, &n, &b);
	return b;
}

/*
 * GrowthBookVariantOfBucket
 *		The variant (an index) of a bucket, or -1 when it is in no variant's
 *		range. bucket / 10000 is exactly the double the SDK's hash gives:
 *		both are the correctly rounded quotient of the same fraction.
 */
int
GrowthBookVariantOfBucket(const GrowthBookConfig *gb, int32 bucket)
{
	int			variant;

	if (gb->nvariants < 2)
		return -1;
	variant = ChooseVariation((double) bucket / BUCKET_SPACE, gb->ranges, gb->nranges);
	return variant < gb->nvariants ? variant : -1;
}

/*
 * GrowthBookDecide
 *		GrowthBook's run() from the hash value on, in its order: hash value,
 *		filters (or else the namespace), condition, hash and ranges.
 *		attributes (a jsonb Datum) is detoasted only when a setting reads it.
 */
GrowthBookOutcome
GrowthBookDecide(const GrowthBookConfig *gb, text *unit, Datum attributes, int *variant,
				 int32 *bucket)
{
	Jsonb	   *attrs = NULL;
	const char *value;
	int			len;
	double		n = 0;
	int32		b = 0;

	if (gb->attribute != NULL || gb->nfilters > 0 || gb->condition != NULL)
		attrs = DatumGetJsonbP(attributes);
	if (!HashValue(gb->attribute, unit, attrs, &value, &len))
		return GB_NO_HASH_VALUE;

	if (gb->nfilters > 0)
	{
		for (int i = 0; i < gb->nfilters; i++)
		{
			const GrowthBookFilter *f = &gb->filters[i];
			const char *fvalue;
			int			flen;

			if (!HashValue(f->attribute, unit, attrs, &fvalue, &flen) ||
				!Hash(f->seed, f->seedlen, fvalue, flen, f->version, &n, &b) ||
				ChooseVariation(n, f->ranges, f->nranges) < 0)
				return GB_FILTERED;
		}
	}
	else if (gb->has_namespace)
	{
		(void) Hash(gb->namespace_seed, strlen(gb->namespace_seed), value, len, 1, &n, &b);
		if (!(n >= gb->namespace_range[0] && n < gb->namespace_range[1]))
			return GB_FILTERED;
	}

	if (gb->condition != NULL &&
		!GrowthBookConditionMatches(&gb->condition->root, &attrs->root, NULL))
		return GB_CONDITION;

	b = GrowthBookUnitBucket(gb, value, len);
	*variant = GrowthBookVariantOfBucket(gb, b);
	if (*variant < 0)
		return GB_NOT_IN_RANGE;
	*bucket = b;
	return GB_IN;
}

/*
 * RangesJsonb
 *		Ranges as a jsonb array of [start, end] pairs, each number the shortest
 *		that reads back as the same double.
 */
static Jsonb *
RangesJsonb(const Range *ranges, int n)
{
	StringInfoData s;
	char		buf[32];

	initStringInfo(&s);
	appendStringInfoChar(&s, '[');
	for (int i = 0; i < n; i++)
	{
		double_to_shortest_decimal_buf(ranges[i][0], buf);
		appendStringInfo(&s, "%s[%s, ", i > 0 ? ", " : "", buf);
		double_to_shortest_decimal_buf(ranges[i][1], buf);
		appendStringInfo(&s, "%s]", buf);
	}
	appendStringInfoChar(&s, ']');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}

/*
 * growthbook_hash(seed text, value text, version integer) returns double precision
 *		GrowthBook's hash; NULL for a version other than 1 and 2, as the SDK.
 */
Datum
growthbook_hash(PG_FUNCTION_ARGS)
{
	text	   *seed = PG_GETARG_TEXT_PP(0);
	text	   *value = PG_GETARG_TEXT_PP(1);
	double		n;
	int32		b;

	if (!Hash(VARDATA_ANY(seed), VARSIZE_ANY_EXHDR(seed), VARDATA_ANY(value),
			  VARSIZE_ANY_EXHDR(value), PG_GETARG_INT32(2), &n, &b))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(n);
}

/*
 * growthbook_bucket_ranges(variations integer, coverage double precision,
 *							weights double precision[]) returns jsonb
 *		GrowthBook's getBucketRanges(), the ranges a GrowthBook experiment
 *		without explicit ranges assigns by. NULL coverage is 1; NULL weights,
 *		or weights of the wrong count or sum, split equally.
 */
Datum
growthbook_bucket_ranges(PG_FUNCTION_ARGS)
{
	int			n = PG_ARGISNULL(0) ? 0 : Max(PG_GETARG_INT32(0), 0);
	double		coverage = PG_ARGISNULL(1) ? 1 : PG_GETARG_FLOAT8(1);
	Datum	   *elems = NULL;
	bool	   *nulls;
	int			nweights = 0;
	double	   *weights = NULL;
	Range	   *ranges;

	if (n > BUCKET_SPACE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d variations are too many", n),
				 errdetail("An experiment has at most %d variations.", BUCKET_SPACE)));
	if (!PG_ARGISNULL(2))
	{
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
						  TYPALIGN_DOUBLE, &elems, &nulls, &nweights);
		weights = palloc(sizeof(double) * Max(nweights, 1));
		for (int i = 0; i < nweights; i++)
			weights[i] = nulls[i] ? 0 : DatumGetFloat8(elems[i]);
	}
	ranges = palloc(sizeof(Range) * Max(n, 1));
	BucketRanges(n, coverage, weights, nweights, ranges);
	PG_RETURN_JSONB_P(RangesJsonb(ranges, n));
}

/*
 * growthbook_choose_variation(n double precision, ranges jsonb) returns integer
 *		The index of the first range holding n, or -1.
 */
Datum
growthbook_choose_variation(PG_FUNCTION_ARGS)
{
	Jsonb	   *json = PG_GETARG_JSONB_P(1);
	JsonbValue	v;
	int			nranges;
	Range	   *ranges;

	v.type = jbvBinary;
	v.val.binary.data = &json->root;
	v.val.binary.len = VARSIZE(json);
	ranges = ParseRanges(&v, &nranges, "range");
	PG_RETURN_INT32(ChooseVariation(PG_GETARG_FLOAT8(0), ranges, nranges));
}

/*
 * growthbook_in_namespace(unit text, namespace jsonb) returns boolean
 *		Whether a unit falls in a namespace range [id, start, end]: hash("__"
 *		+ id, unit, 1) in [start, end).
 */
Datum
growthbook_in_namespace(PG_FUNCTION_ARGS)
{
	text	   *unit = PG_GETARG_TEXT_PP(0);
	Jsonb	   *options;
	JsonbParseState *state = NULL;
	JsonbValue	key,
				ns,
			   *built;
	GrowthBookConfig gb;
	double	   *weights;
	int			nweights;
	double		coverage;
	double		n;
	int32		b;

	/* {"namespace": ...}, parsed and checked as a setting */
	key.type = jbvString;
	key.val.string.val = "namespace";
	key.val.string.len = 9;
	ns.type = jbvBinary;
	ns.val.binary.data = &PG_GETARG_JSONB_P(1)->root;
	ns.val.binary.len = 0;
	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	(void) pushJsonbValue(&state, WJB_KEY, &key);
	(void) pushJsonbValue(&state, WJB_VALUE, &ns);
	built = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	options = JsonbValueToJsonb(built);
	ParseOptions(options, &gb, &weights, &nweights, &coverage);
	(void) Hash(gb.namespace_seed, strlen(gb.namespace_seed), VARDATA_ANY(unit),
				VARSIZE_ANY_EXHDR(unit), 1, &n, &b);
	PG_RETURN_BOOL(n >= gb.namespace_range[0] && n < gb.namespace_range[1]);
}

/*
 * growthbook_equal_weights(variations integer) returns double precision[]
 *		GrowthBook's getEqualWeights(): n weights of 1/n, none for n < 1.
 */
Datum
growthbook_equal_weights(PG_FUNCTION_ARGS)
{
	int			n = Max(PG_GETARG_INT32(0), 0);
	Datum	   *elems;

	if (n > BUCKET_SPACE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d variations are too many", n),
				 errdetail("An experiment has at most %d variations.", BUCKET_SPACE)));
	elems = palloc(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(1.0 / n);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

/*
 * growthbook_condition_matches(condition jsonb, attributes jsonb,
 *								saved_groups jsonb) returns boolean
 *		Whether attributes meet a GrowthBook condition, evaluated as the SDK
 *		does (an unknown operator or an invalid pattern matches nothing).
 */
Datum
growthbook_condition_matches(PG_FUNCTION_ARGS)
{
	Jsonb	   *condition = PG_GETARG_JSONB_P(0);
	Jsonb	   *attributes = PG_GETARG_JSONB_P(1);
	Jsonb	   *groups = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);

	if (!JB_ROOT_IS_OBJECT(condition) || JB_ROOT_IS_SCALAR(condition) ||
		!JB_ROOT_IS_OBJECT(attributes) || JB_ROOT_IS_SCALAR(attributes))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a GrowthBook condition and its attributes are JSON objects"),
				 errdetail("One of them is an array or a scalar.")));
	PG_RETURN_BOOL(GrowthBookConditionMatches(&condition->root, &attributes->root,
											  groups != NULL && JB_ROOT_IS_OBJECT(groups) &&
											  !JB_ROOT_IS_SCALAR(groups) ? &groups->root : NULL));
}

/*
 * hashing_options_valid(hashing text, options jsonb) returns boolean
 *		true when an experiment's options suit its hashing; otherwise raises
 *		an error that says what is wrong. Native (xxh3) experiments have none.
 */
Datum
hashing_options_valid(PG_FUNCTION_ARGS)
{
	char	   *hashing = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *options = PG_GETARG_JSONB_P(1);

	if (strcmp(hashing, "growthbook") == 0)
	{
		GrowthBookConfig gb;
		double	   *weights;
		int			nweights;
		double		coverage;

		ParseOptions(options, &gb, &weights, &nweights, &coverage);
	}
	else if (strcmp(hashing, "absmartly") == 0)
		AbsmartlyCheckOptions(options);
	else if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options) ||
			 JB_ROOT_COUNT(options) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hashing %s takes no options", hashing),
				 errdetail("Only GrowthBook and ABsmartly experiments (hashing growthbook, absmartly) have hashing options."),
				 errhint("Leave hashing_options as {}.")));
	PG_RETURN_BOOL(true);
}
