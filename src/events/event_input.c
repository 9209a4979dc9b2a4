/*
 * event_input.c
 *		Reading event fields out of jsonb, checked, and the caps on them.
 *
 * Every reader works on a JsonbValue that points into the binary document
 * (nested objects and arrays are jbvBinary): nothing is parsed twice and
 * strings are not copied. A reader returns NULL when the value is good, or
 * the message that says what is wrong with it, naming the field.
 */
#include "events.h"

#include <limits.h>
#include <math.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(hash_unit);

int			max_batch_kb = 16384;
int			max_events_per_request = 1000;
int			max_request_rows = 100000;
int			max_request_kb = 65536;
char	   *event_idempotency_key = NULL;
int			max_string_chars = 2048;
int			max_json_bytes = 65536;
int			max_json_depth = 32;
int			max_future_skew_s = 600;
int			max_event_age_s = 30 * 86400;

/* Milliseconds since the Unix epoch of 9999-12-31T23:59:59.999Z. */
#define MAX_EPOCH_MS INT64CONST(253402300799999)
#define UNIX_EPOCH_USECS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

/*
 * EventSettingsInit
 *		Defines the caps on what clients send. Only superusers may change
 *		them: a client must not raise its own limits.
 */
void
EventSettingsInit(void)
{
	DefineCustomIntVariable("experiments.max_batch_size",
							"Largest batch experiments.publish() accepts.",
							"A larger batch is refused whole, and nothing of it is stored.",
							&max_batch_kb, 16384, 1, 1024 * 1024,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("experiments.max_events_per_request",
							"Most units, exposures, goals or attributes one request of a batch may carry, each.",
							"A batch with a request over the cap is refused whole.",
							&max_events_per_request, 1000, 1, INT_MAX / 8,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("experiments.max_request_rows",
							"Most rows one call may write to the event tables, events stored and refused alike.",
							"Goals and attributes are stored once per unit of their request; the count is made from the shape of the call before any event is read, and a call over it is refused whole.",
							&max_request_rows, 100000, 1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("experiments.max_request_bytes",
							"Most bytes of JSON one call may write to the event tables, counting each goal and attribute once per unit of its request.",
							"Counted from the shape of the call before any event is read; a call over it is refused whole.",
							&max_request_kb, 65536, 1, INT_MAX / 1024,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomStringVariable("experiments.idempotency_key",
							   "Idempotency key of the AB Tasty events a SQL caller sends in this transaction or session.",
							   "An event whose endpoint and key were stored before stores nothing and answers as the first did. Over HTTP, the Idempotency-Key header serves.",
							   &event_idempotency_key, NULL,
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("experiments.max_string_length",
							"Longest string, in characters, of an event field (names, origins, SKUs, ...).",
							"Unit uids have their own limit of 640 characters.",
							&max_string_chars, 2048, 1, 1024 * 1024,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("experiments.max_properties_size",
							"Largest free-form JSON of an event: goal properties, attribute values.",
							NULL,
							&max_json_bytes, 65536, 16, 64 * 1024 * 1024,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("experiments.max_json_depth",
							"Deepest nesting of objects and arrays in free-form event JSON.",
							NULL,
							&max_json_depth, 32, 1, 1000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("experiments.max_future_skew",
							"How far after the request's publishedAt an event may be.",
							"A later event is stored at publishedAt, with a warning.",
							&max_future_skew_s, 600, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("experiments.max_event_age",
							"How far before the request's publishedAt an event may be unless the request is historic.",
							"An older event of a request that is not historic is stored at publishedAt, with a warning.",
							&max_event_age_s, 30 * 86400, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
}

/*
 * JsonTypeName
 *		The JSON type of a value, for messages.
 */
const char *
JsonTypeName(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? "an object" : "an array";
		default:
			return "a value of an unexpected type";
	}
}

/*
 * FieldPath
 *		prefix.field (or field alone), for messages and subjects. Readers
 *		build it only on the error path: a valid field costs no string.
 */
char *
FieldPath(const char *prefix, const char *field)
{
	return prefix != NULL ? psprintf("%s.%s", prefix, field) : pstrdup(field);
}

/*
 * JsonbRootValue
 *		A jsonb document as one value: its scalar, or its container.
 */
void
JsonbRootValue(Jsonb *jb, JsonbValue *v)
{
	if (JB_ROOT_IS_SCALAR(jb))
		JsonbExtractScalar(&jb->root, v);
	else
	{
		v->type = jbvBinary;
		v->val.binary.data = &jb->root;
		v->val.binary.len = VARSIZE_ANY_EXHDR(jb);
	}
}

#define SHOWN_UNKNOWN_KEYS 8

/*
 * ReadObject
 *		Reads the listed fields of an object in one pass over its keys; false
 *		when the value is not an object. A duplicate key never reaches here:
 *		jsonb keeps the last one. The unknown keys are listed, the first
 *		SHOWN_UNKNOWN_KEYS of them by name, so that the warning stays short.
 */
bool
ReadObject(const JsonbValue *object, const char *const *names, int nfields, ObjectFields *fields)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	v;
	StringInfoData unknown;
	int			lengths[MAX_FIELDS];
	int			current = -1;
	int			nunknown = 0;

	Assert(nfields <= MAX_FIELDS);
	fields->nfields = nfields;
	fields->names = names;
	fields->unknown = NULL;
	memset(fields->present, 0, sizeof(fields->present));
	if (object->type != jbvBinary || !JsonContainerIsObject(object->val.binary.data))
		return false;

	/* per object, not per key; the list of unknown keys only when there is one */
	for (int i = 0; i < nfields; i++)
		lengths[i] = strlen(names[i]);
	unknown.data = NULL;
	it = JsonbIteratorInit(object->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			current = -1;
			for (int i = 0; i < nfields; i++)
			{
				if (lengths[i] == v.val.string.len &&
					memcmp(names[i], v.val.string.val, v.val.string.len) == 0)
				{
					current = i;
					break;
				}
			}
			if (current < 0 && nunknown++ < SHOWN_UNKNOWN_KEYS)
			{
				if (unknown.data == NULL)
					initStringInfo(&unknown);
				appendStringInfo(&unknown, "%s\"%s\"", unknown.len > 0 ? ", " : "",
								 ShownInput(v.val.string.val, v.val.string.len));
			}
		}
		else if (tok == WJB_VALUE && current >= 0)
		{
			fields->values[current] = v;
			fields->present[current] = true;
		}
	}
	if (nunknown > SHOWN_UNKNOWN_KEYS)
		appendStringInfo(&unknown, " and %d more", nunknown - SHOWN_UNKNOWN_KEYS);
	fields->unknown = unknown.data;
	return true;
}

/*
 * ReadString
 *		A string of 1 to max_chars characters, pointing into the document.
 */
char *
ReadString(const JsonbValue *v, const char *prefix, const char *field, int max_chars,
		   const char **str, int *len)
{
	int			chars;

	if (v->type != jbvString)
		return psprintf("%s must be a string, not %s", FieldPath(prefix, field), JsonTypeName(v));
	if (v->val.string.len == 0)
		return psprintf("%s must not be empty", FieldPath(prefix, field));
	/* a character is at most 4 bytes: count only when it could be too long */
	if (v->val.string.len > max_chars &&
		(chars = pg_mbstrlen_with_len(v->val.string.val, v->val.string.len)) > max_chars)
		return psprintf("%s is %d characters long; the limit is %d", FieldPath(prefix, field),
						chars, max_chars);
	*str = v->val.string.val;
	*len = v->val.string.len;
	return NULL;
}

/*
 * NumericToInt64
 *		The value of a whole number in int64 (1.0 and 1e3 are whole); false
 *		for a fraction or a number out of range (1e400 included).
 */
static bool
NumericToInt64(Numeric num, int64 *out)
{
	static Numeric min_int64 = NULL;
	static Numeric max_int64 = NULL;

	/* compared with numerics, not converted to text: every timestamp pays this */
	if (min_int64 == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		min_int64 = int64_to_numeric(PG_INT64_MIN);
		max_int64 = int64_to_numeric(PG_INT64_MAX);
		MemoryContextSwitchTo(old);
	}
	if (DatumGetInt32(DirectFunctionCall1(numeric_min_scale, NumericGetDatum(num))) != 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(num),
										  NumericGetDatum(min_int64))) < 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(num),
										  NumericGetDatum(max_int64))) > 0)
		return false;
	*out = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(num)));
	return true;
}

/*
 * ShownCString
 *		ShownInput() of a C string.
 */
static char *
ShownCString(const char *s)
{
	return ShownInput(s, strlen(s));
}

/*
 * ShownNumber
 *		A number as sent, cut short for a message (1e400 has 401 digits).
 */
static char *
ShownNumber(Numeric num)
{
	return ShownCString(DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num))));
}

/*
 * ReadInteger
 *		A whole number in [min, max].
 */
char *
ReadInteger(const JsonbValue *v, const char *prefix, const char *field, int64 min, int64 max,
			int64 *out)
{
	if (v->type != jbvNumeric)
		return psprintf("%s must be a number, not %s", FieldPath(prefix, field), JsonTypeName(v));
	if (!NumericToInt64(v->val.numeric, out) || *out < min || *out > max)
		return psprintf("%s must be a whole number from " INT64_FORMAT " to " INT64_FORMAT ", not %s",
						FieldPath(prefix, field), min, max, ShownNumber(v->val.numeric));
	return NULL;
}

/*
 * ReadBoolean
 *		true or false, nothing else (not "true", not 1).
 */
char *
ReadBoolean(const JsonbValue *v, const char *prefix, const char *field, bool *out)
{
	if (v->type != jbvBool)
		return psprintf("%s must be true or false, not %s", FieldPath(prefix, field), JsonTypeName(v));
	*out = v->val.boolean;
	return NULL;
}

/*
 * ReadFloat
 *		A finite number that fits a double (a number, or a numeric string as
 *		AB Tasty sends currency rates).
 */
char *
ReadFloat(const JsonbValue *v, const char *prefix, const char *field, double *out)
{
	char	   *s;
	char	   *end;

	if (v->type == jbvNumeric)
		s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	else if (v->type == jbvString)
		s = pnstrdup(v->val.string.val, v->val.string.len);
	else
		return psprintf("%s must be a number, not %s", FieldPath(prefix, field), JsonTypeName(v));
	errno = 0;
	*out = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || isnan(*out) || isinf(*out) ||
		strspn(s, "0123456789.-+eE") != strlen(s))
		return psprintf("%s must be a finite number, not \"%s\"", FieldPath(prefix, field), ShownCString(s));
	return NULL;
}

/*
 * Digits
 *		n decimal digits at s as a number, or -1.
 */
static int
Digits(const char *s, int n)
{
	int			value = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		value = value * 10 + (s[i] - '0');
	}
	return value;
}

/* The string ParseIso is reading, cut short for a message. */
#define SHOWN ShownInput(s, len)

/*
 * ParseIso
 *		YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|+HHMM|+HH), strictly: a time
 *		without an offset is ambiguous and refused, as are the words PostgreSQL
 *		would accept ("now", "infinity").
 */
static char *
ParseIso(const char *s, int len, const char *prefix, const char *field, TimestampTz *out)
{
	int			year,
				month,
				day,
				hour,
				minute,
				second,
				y2,
				m2,
				d2;
	int64		usecs = 0;
	int			offset = 0;
	int			pos = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
		s[13] != ':' || s[16] != ':' ||
		(year = Digits(s, 4)) < 1 || (month = Digits(s + 5, 2)) < 1 || month > 12 ||
		(day = Digits(s + 8, 2)) < 1 || (hour = Digits(s + 11, 2)) < 0 || hour > 23 ||
		(minute = Digits(s + 14, 2)) < 0 || minute > 59 ||
		(second = Digits(s + 17, 2)) < 0 || second > 59)
		return psprintf("%s must be an ISO-8601 time with an offset such as 2018-02-12T17:29:02Z, not \"%s\"",
						FieldPath(prefix, field), SHOWN);
	j2date(date2j(year, month, day), &y2, &m2, &d2);
	if (y2 != year || m2 != month || d2 != day)
		return psprintf("%s names a day that does not exist: \"%s\"", FieldPath(prefix, field), SHOWN);
	if (pos < len && s[pos] == '.')
	{
		int			scale = 100000;

		pos++;
		if (pos >= len || s[pos] < '0' || s[pos] > '9')
			return psprintf("%s has an empty fraction of a second: \"%s\"", FieldPath(prefix, field), SHOWN);
		for (; pos < len && s[pos] >= '0' && s[pos] <= '9'; pos++)
		{
			usecs += (s[pos] - '0') * scale;	/* beyond microseconds: dropped */
			scale /= 10;
		}
	}
	if (pos == len)
		return psprintf("%s has no time zone offset: \"%s\"; add Z or +HH:MM", FieldPath(prefix, field), SHOWN);
	if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == len)
		offset = 0;
	else if (s[pos] == '+' || s[pos] == '-')
	{
		int			sign = s[pos] == '-' ? -1 : 1;
		int			rest = len - pos - 1;
		int			oh = rest >= 2 ? Digits(s + pos + 1, 2) : -1;
		int			om = 0;

		if (rest == 5 && s[pos + 3] == ':')
			om = Digits(s + pos + 4, 2);
		else if (rest == 4)
			om = Digits(s + pos + 3, 2);
		else if (rest != 2)
			oh = -1;
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return psprintf("%s has a malformed offset: \"%s\"", FieldPath(prefix, field), SHOWN);
		offset = sign * (oh * 3600 + om * 60);
	}
	else
		return psprintf("%s must be an ISO-8601 time with an offset such as 2018-02-12T17:29:02Z, not \"%s\"",
						FieldPath(prefix, field), SHOWN);
	*out = ((int64) (date2j(year, month, day) - POSTGRES_EPOCH_JDATE) * SECS_PER_DAY +
			hour * 3600 + minute * 60 + second - offset) * USECS_PER_SEC + usecs;
	return NULL;
}

#undef SHOWN

/*
 * ReadMillisOrIso
 *		A time as ABsmartly sends it, milliseconds since the Unix epoch, or an
 *		ISO-8601 string with an offset.
 */
char *
ReadMillisOrIso(const JsonbValue *v, const char *prefix, const char *field, TimestampTz *out)
{
	int64		ms;

	if (v->type == jbvString)
		return ParseIso(v->val.string.val, v->val.string.len, prefix, field, out);
	if (v->type != jbvNumeric)
		return psprintf("%s must be milliseconds since the epoch or an ISO-8601 string, not %s",
						FieldPath(prefix, field), JsonTypeName(v));
	if (!NumericToInt64(v->val.numeric, &ms) || ms < 0 || ms > MAX_EPOCH_MS)
		return psprintf("%s must be whole milliseconds since 1970-01-01T00:00:00Z, before the year 10000, not %s",
						FieldPath(prefix, field), ShownNumber(v->val.numeric));
	*out = ms * 1000 - UNIX_EPOCH_USECS;
	return NULL;
}

/*
 * ReadIsoTime
 *		A time as AB Tasty sends it: an ISO-8601 string with an offset.
 */
char *
ReadIsoTime(const JsonbValue *v, const char *prefix, const char *field, TimestampTz *out)
{
	if (v->type != jbvString)
		return psprintf("%s must be an ISO-8601 string, not %s", FieldPath(prefix, field),
						JsonTypeName(v));
	return ParseIso(v->val.string.val, v->val.string.len, prefix, field, out);
}

/*
 * CheckFreeJson
 *		Free-form JSON (goal properties, attribute values) within the size and
 *		nesting caps. The nesting is walked only when the size allows it to
 *		be too deep: each level costs at least 8 bytes.
 */
char *
CheckFreeJson(const JsonbValue *v, const char *prefix, const char *field)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	item;
	int			depth = 0;

	if (v->type == jbvString && v->val.string.len > max_json_bytes)
		return psprintf("%s is %d bytes long; the limit is %d", FieldPath(prefix, field), v->val.string.len, max_json_bytes);
	if (v->type != jbvBinary)
		return NULL;
	if (v->val.binary.len > max_json_bytes)
		return psprintf("%s is %d bytes of JSON; the limit is %d", FieldPath(prefix, field), v->val.binary.len, max_json_bytes);
	if (v->val.binary.len / 8 < max_json_depth)
		return NULL;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &item, false)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT)
		{
			if (++depth > max_json_depth)
				return psprintf("%s nests objects and arrays more than %d levels deep",
								FieldPath(prefix, field), max_json_depth);
		}
		else if (tok == WJB_END_ARRAY || tok == WJB_END_OBJECT)
			depth--;
	}
	return NULL;
}

/*
 * UidDigestChars
 *		The MD5 of a uid's bytes in base64url without padding, into out
 *		(UID_DIGEST_CHARS characters, no NUL): the hash ABsmartly SDKs apply
 *		to a uid, which ABsmartly mode's draws also start from.
 */
void
UidDigestChars(const char *uid, int len, char *out)
{
	uint8		digest[16];

	Md5Digest(uid, len, digest);
	for (int g = 0; g < 6; g++)
	{
		uint32		word = Base64urlWord(digest, g);

		for (int c = 0; c < (g < 5 ? 4 : 2); c++)
			out[4 * g + c] = (char) (word >> (8 * c));
	}
}

/*
 * UidDigest
 *		What the collector stores for a uid sent with hashed = false: the
 *		digest of its UTF-8 bytes, as ABsmartly SDKs send it with hashed =
 *		true.
 */
text *
UidDigest(const char *uid, int len)
{
	char		out[UID_DIGEST_CHARS];

	UidDigestChars(uid, len, out);
	return cstring_to_text_with_len(out, UID_DIGEST_CHARS);
}

/*
 * FormatTime
 *		A time as ISO-8601 in UTC with milliseconds, for messages, whatever
 *		the session's DateStyle and TimeZone.
 */
char *
FormatTime(TimestampTz t)
{
	int64		ms = (t + UNIX_EPOCH_USECS) / 1000;
	int64		days = (t >= 0 ? t : t - USECS_PER_DAY + 1) / USECS_PER_DAY;
	int64		rest = t - days * USECS_PER_DAY;
	int			year,
				month,
				day;

	j2date((int) (days + POSTGRES_EPOCH_JDATE), &year, &month, &day);
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ (" INT64_FORMAT " ms)", year, month, day,
					(int) (rest / USECS_PER_HOUR), (int) (rest / USECS_PER_MINUTE % 60),
					(int) (rest / USECS_PER_SEC % 60), (int) (rest / 1000 % 1000), ms);
}

/*
 * hash_unit(uid text) returns text
 *		The stored form of a uid published with hashed = false.
 */
Datum
hash_unit(PG_FUNCTION_ARGS)
{
	text	   *uid = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(UidDigest(VARDATA_ANY(uid), VARSIZE_ANY_EXHDR(uid)));
}
