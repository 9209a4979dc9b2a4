/*
 * conditions.c
 *		GrowthBook's targeting conditions, evaluated in C over jsonb.
 *
 * A condition is a MongoDB-style object: keys are $and, $or, $nor, $not or
 * dotted attribute paths; a path's value is a literal to compare with, or an
 * object of operators ($eq $ne $lt $lte $gt $gte $in $nin $all $elemMatch
 * $size $exists $type $regex $not, the version operators $veq ... $vlte, and
 * the case-insensitive $ini $nini $alli $regexi). GrowthBook's SDKs run in
 * JavaScript, and the comparisons follow JavaScript's conversions (String(x),
 * Number(x), truthiness), so that a condition gives here what it gives there
 * (docs/assignment.md, "GrowthBook mode"). Conditions are read as they are
 * stored, without a compiled form: they are small, and a unit evaluates each
 * node once.
 */
#include "core.h"
#include "growthbook.h"

#include <math.h>

#include "catalog/pg_collation.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

/* Conditions nest at most this deep; deeper ones are refused when written. */
#define CONDITION_MAX_DEPTH 32

static bool EvalCondition(JsonbContainer *condition, const JsonbValue *object,
						  JsonbContainer *groups, int depth);
static bool EvalValue(const JsonbValue *condition, const JsonbValue *value,
					  JsonbContainer *groups, bool insensitive, int depth);
static void CheckValue(const JsonbValue *condition, const char *path, int depth);
static void CheckCondition(const JsonbValue *condition, const char *path, int depth);

/*
 * ConditionError
 *		Refuses a malformed condition when it is written, naming where.
 */
static void
pg_attribute_noreturn()
ConditionError(const char *path, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid GrowthBook condition at %s", path),
			 errdetail("%s", problem),
			 errhint("See docs/assignment.md, \"GrowthBook mode\", for the condition language.")));
}

/*
 * IsContainer
 *		Whether a value is an object (object true) or an array (object false).
 */
static bool
IsContainer(const JsonbValue *v, bool object)
{
	return v->type == jbvBinary &&
		(object ? JsonContainerIsObject(v->val.binary.data) : JsonContainerIsArray(v->val.binary.data));
}

/*
 * NumberText
 *		Number.prototype.toString(): the shortest digits that read back as the
 *		same double, in plain notation from 1e-7 up to 1e21, else exponential.
 */
static void
NumberText(double x, StringInfo out)
{
	char		buf[64];
	char		digits[32];
	int			n = 0,
				exponent;
	char	   *e;

	if (isnan(x))
	{
		appendStringInfoString(out, "NaN");
		return;
	}
	if (isinf(x))
	{
		appendStringInfoString(out, x > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (x == 0)
	{
		appendStringInfoChar(out, '0');
		return;
	}
	if (x < 0)
	{
		appendStringInfoChar(out, '-');
		x = -x;
	}
	/* shortest digits, written d.ddde[+-]x: split into digits and exponent */
	double_to_shortest_decimal_buf(x, buf);
	e = strchr(buf, 'e');
	exponent = e != NULL ? atoi(e + 1) : 0;
	for (char *p = buf; *p != '\0' && p != e; p++)
	{
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
		else if (*p == '.' && e == NULL)
			exponent = (int) (p - buf) - 1;
	}
	if (e == NULL && strchr(buf, '.') == NULL)
		exponent = n - 1;
	/* leading zeros of a plain "0.000ddd" */
	while (n > 1 && digits[0] == '0')
	{
		memmove(digits, digits + 1, --n);
		if (e == NULL)
			exponent--;
	}
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';

	/* JavaScript's rules, with k the position of the decimal point */
	{
		int			k = exponent + 1;

		if (n <= k && k <= 21)
		{
			appendStringInfoString(out, digits);
			for (int i = n; i < k; i++)
				appendStringInfoChar(out, '0');
		}
		else if (0 < k && k <= 21)
			appendStringInfo(out, "%.*s.%s", k, digits, digits + k);
		else if (-6 < k && k <= 0)
		{
			appendStringInfoString(out, "0.");
			for (int i = k; i < 0; i++)
				appendStringInfoChar(out, '0');
			appendStringInfoString(out, digits);
		}
		else
		{
			appendStringInfoChar(out, digits[0]);
			if (n > 1)
				appendStringInfo(out, ".%s", digits + 1);
			appendStringInfo(out, "e%c%d", k - 1 >= 0 ? '+' : '-', abs(k - 1));
		}
	}
}

/*
 * GrowthBookValueText
 *		String(value): what GrowthBook hashes and compares strings with.
 */
void
GrowthBookValueText(const JsonbValue *v, StringInfo out)
{
	switch (v->type)
	{
		case jbvString:
			appendBinaryStringInfo(out, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			NumberText(JsonbNumberDouble(v), out);
			break;
		case jbvBool:
			appendStringInfoString(out, v->val.boolean ? "true" : "false");
			break;
		case jbvNull:
			appendStringInfoString(out, "null");
			break;
		default:
			if (IsContainer(v, false))
			{
				JsonbContainer *array = v->val.binary.data;
				int			n = JsonContainerSize(array);

				/* Array.prototype.join(","), null elements empty */
				for (int i = 0; i < n; i++)
				{
					JsonbValue *elem = getIthJsonbValueFromContainer(array, i);

					if (i > 0)
						appendStringInfoChar(out, ',');
					if (elem->type != jbvNull)
						GrowthBookValueText(elem, out);
				}
			}
			else
				appendStringInfoString(out, "[object Object]");
			break;
	}
}

/*
 * TextNumber
 *		Number(string): surrounding white space ignored, empty is 0, anything
 *		that is not a whole number literal is NaN.
 */
static double
TextNumber(const char *s)
{
	char	   *end;
	double		x;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
		s++;
	if (*s == '\0')
		return 0;
	if (strncmp(s, "Infinity", 8) == 0 || strncmp(s, "+Infinity", 9) == 0)
		x = INFINITY, end = (char *) s + (s[0] == '+' ? 9 : 8);
	else if (strncmp(s, "-Infinity", 9) == 0)
		x = -INFINITY, end = (char *) s + 9;
	else
	{
		/* strtod also reads "inf" and "nan", which JavaScript does not */
		const char *p = s + (*s == '+' || *s == '-');

		if (!(isdigit((unsigned char) *p) || (*p == '.' && isdigit((unsigned char) p[1]))))
			return NAN;
		x = strtod(s, &end);
	}
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r' || *end == '\f' || *end == '\v')
		end++;
	return *end == '\0' ? x : NAN;
}

/*
 * ValueNumber
 *		Number(value).
 */
static double
ValueNumber(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNumeric:
			return JsonbNumberDouble(v);
		case jbvBool:
			return v->val.boolean ? 1 : 0;
		case jbvNull:
			return 0;
		case jbvString:
			return TextNumber(pnstrdup(v->val.string.val, v->val.string.len));
		default:
			if (IsContainer(v, false))
			{
				StringInfoData s;

				initStringInfo(&s);
				GrowthBookValueText(v, &s);
				return TextNumber(s.data);
			}
			return NAN;
	}
}

/*
 * Truthy
 *		!!value.
 */
static bool
Truthy(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return false;
		case jbvBool:
			return v->val.boolean;
		case jbvNumeric:
			{
				double		x = JsonbNumberDouble(v);

				return x != 0 && !isnan(x);
			}
		case jbvString:
			return v->val.string.len > 0;
		default:
			return true;
	}
}

/*
 * StrictEquals
 *		a === b for values read from JSON: objects and arrays are never the
 *		same object, so never equal.
 */
static bool
StrictEquals(const JsonbValue *a, const JsonbValue *b, bool insensitive)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case jbvNull:
			return true;
		case jbvBool:
			return a->val.boolean == b->val.boolean;
		case jbvNumeric:
			return JsonbNumberDouble(a) == JsonbNumberDouble(b);
		case jbvString:
			if (a->val.string.len != b->val.string.len)
				return false;
			if (insensitive)
				return pg_strncasecmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
			return memcmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
		default:
			return false;
	}
}

/*
 * Relation
 *		How a < b compares in JavaScript: both strings (objects and arrays
 *		become strings first) by code units, which for UTF-8 is byte order;
 *		otherwise as numbers. Returns -1, 0 or 1, or 2 when a NaN makes every
 *		comparison false.
 */
static int
Relation(const JsonbValue *a, const JsonbValue *b)
{
	StringInfoData sa,
				sb;
	bool		a_text = a->type == jbvString || a->type == jbvBinary;
	bool		b_text = b->type == jbvString || b->type == jbvBinary;

	if (a_text && b_text)
	{
		int			c;

		initStringInfo(&sa);
		initStringInfo(&sb);
		GrowthBookValueText(a, &sa);
		GrowthBookValueText(b, &sb);
		c = strcmp(sa.data, sb.data);
		return c < 0 ? -1 : c > 0;
	}
	{
		double		x = ValueNumber(a),
					y = ValueNumber(b);

		if (isnan(x) || isnan(y))
			return 2;
		return x < y ? -1 : x > y;
	}
}

/*
 * PaddedVersion
 *		GrowthBook's padded version string: no leading "v" nor "+build", parts
 *		split at "." and "-", numeric parts left-padded to 5 characters, and
 *		"~" after a plain x.y.z so that it sorts after its prereleases.
 */
static char *
PaddedVersion(const JsonbValue *v)
{
	StringInfoData in,
				out;
	char	   *s,
			   *plus,
			   *part;
	int			nparts = 0;

	initStringInfo(&in);
	if (v->type == jbvNumeric || (v->type == jbvString && v->val.string.len > 0))
		GrowthBookValueText(v, &in);
	else
		appendStringInfoChar(&in, '0');
	s = in.data;
	if (*s == 'v')
		s++;
	plus = strchr(s, '+');
	if (plus != NULL)
		*plus = '\0';

	initStringInfo(&out);
	for (char *p = s;; p++)
	{
		if (*p == '.' || *p == '-' || *p == '\0')
			nparts++;
		if (*p == '\0')
			break;
	}
	part = s;
	for (char *p = s;; p++)
	{
		if (*p == '.' || *p == '-' || *p == '\0')
		{
			int			len = (int) (p - part);
			bool		numeric = len > 0 && strspn(part, "0123456789") >= (size_t) len;
			bool		last = *p == '\0';

			if (part != s)
				appendStringInfoChar(&out, '-');
			if (numeric)
				for (int i = len; i < 5; i++)
					appendStringInfoChar(&out, ' ');
			appendBinaryStringInfo(&out, part, len);
			part = p + 1;
			if (last)
				break;
		}
	}
	if (nparts == 3)
		appendStringInfoString(&out, "-~");
	return out.data;
}

/*
 * RegexTest
 *		RegExp(pattern).test(String(value)), with PostgreSQL's regular
 *		expressions (advanced syntax, C collation). A pattern they cannot
 *		compile matches nothing, as an invalid RegExp does in the SDK.
 */
static bool
RegexTest(const JsonbValue *pattern, const JsonbValue *value, bool insensitive)
{
	StringInfoData p,
				s;
	regex_t		re;
	pg_wchar   *wide;
	int			wlen;
	bool		matched;

	initStringInfo(&p);
	GrowthBookValueText(pattern, &p);
	wide = palloc((p.len + 1) * sizeof(pg_wchar));
	wlen = pg_mb2wchar_with_len(p.data, wide, p.len);
	if (pg_regcomp(&re, wide, wlen, REG_ADVANCED | (insensitive ? REG_ICASE : 0),
				   C_COLLATION_OID) != REG_OKAY)
		return false;
	initStringInfo(&s);
	GrowthBookValueText(value, &s);
	wide = palloc((s.len + 1) * sizeof(pg_wchar));
	wlen = pg_mb2wchar_with_len(s.data, wide, s.len);
	matched = pg_regexec(&re, wide, wlen, 0, NULL, 0, NULL, 0) == REG_OKAY;
	pg_regfree(&re);
	return matched;
}

/*
 * IsIn
 *		expected.includes(actual), or, for an array, whether the two share an
 *		element.
 */
static bool
IsIn(const JsonbValue *actual, JsonbContainer *expected, bool insensitive)
{
	int			n = JsonContainerSize(expected);

	if (IsContainer(actual, false))
	{
		JsonbContainer *array = actual->val.binary.data;
		int			m = JsonContainerSize(array);

		for (int j = 0; j < m; j++)
		{
			JsonbValue *elem = getIthJsonbValueFromContainer(array, j);

			for (int i = 0; i < n; i++)
				if (StrictEquals(elem, getIthJsonbValueFromContainer(expected, i), insensitive))
					return true;
		}
		return false;
	}
	for (int i = 0; i < n; i++)
		if (StrictEquals(actual, getIthJsonbValueFromContainer(expected, i), insensitive))
			return true;
	return false;
}

/*
 * IsOperatorObject
 *		An object whose keys all start with "$", and that has some.
 */
static bool
IsOperatorObject(const JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	key;
	JsonbIteratorToken token;
	int			nkeys = 0;

	if (!IsContainer(v, true))
		return false;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		if (token != WJB_KEY)
			continue;
		if (key.val.string.len == 0 || key.val.string.val[0] != '$')
			return false;
		nkeys++;
	}
	return nkeys > 0;
}

/*
 * TypeName
 *		GrowthBook's $type names.
 */
static const char *
TypeName(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "string";
		case jbvNumeric:
			return "number";
		case jbvBool:
			return "boolean";
		default:
			return IsContainer(v, false) ? "array" : "object";
	}
}

/* The operators of a path's operator object. */
typedef enum ConditionOp
{
	COP_VEQ, COP_VNE, COP_VGT, COP_VGTE, COP_VLT, COP_VLTE,
	COP_EQ, COP_NE, COP_LT, COP_LTE, COP_GT, COP_GTE,
	COP_EXISTS, COP_IN, COP_INI, COP_NIN, COP_NINI, COP_IN_GROUP, COP_NOT_IN_GROUP,
	COP_NOT, COP_SIZE, COP_ELEM_MATCH, COP_ALL, COP_ALLI, COP_REGEX, COP_REGEXI, COP_TYPE,
	COP_UNKNOWN
} ConditionOp;

static const char *const cop_names[] = {
	"$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte",
	"$eq", "$ne", "$lt", "$lte", "$gt", "$gte",
	"$exists", "$in", "$ini", "$nin", "$nini", "$inGroup", "$notInGroup",
	"$not", "$size", "$elemMatch", "$all", "$alli", "$regex", "$regexi", "$type"
};

/*
 * OpOfKey
 *		The operator a key names; COP_UNKNOWN for any other.
 */
static ConditionOp
OpOfKey(const JsonbValue *key)
{
	for (int i = 0; i < (int) lengthof(cop_names); i++)
		if (strlen(cop_names[i]) == (size_t) key->val.string.len &&
			memcmp(cop_names[i], key->val.string.val, key->val.string.len) == 0)
			return (ConditionOp) i;
	return COP_UNKNOWN;
}

/*
 * ElemMatch
 *		Whether a truthy element of the array actual matches expected: an
 *		operator object applied to the element, or a condition on it.
 */
static bool
ElemMatch(const JsonbValue *actual, const JsonbValue *expected, JsonbContainer *groups, int depth)
{
	bool		operators = IsOperatorObject(expected);
	int			n;

	if (!IsContainer(actual, false) || !IsContainer(expected, true))
		return false;
	n = JsonContainerSize(actual->val.binary.data);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(actual->val.binary.data, i);

		if (!Truthy(elem))
			continue;
		if (operators ? EvalValue(expected, elem, groups, false, depth + 1) :
			EvalCondition(expected->val.binary.data, elem, groups, depth + 1))
			return true;
	}
	return false;
}

/*
 * AllMatch
 *		$all: every expected value matches some element of the array actual.
 */
static bool
AllMatch(const JsonbValue *actual, JsonbContainer *expected, JsonbContainer *groups,
		 bool insensitive, int depth)
{
	int			n = JsonContainerSize(expected);

	if (!IsContainer(actual, false))
		return false;
	for (int i = 0; i < n; i++)
	{
		JsonbValue *want = getIthJsonbValueFromContainer(expected, i);
		int			m = JsonContainerSize(actual->val.binary.data);
		bool		found = false;

		for (int j = 0; j < m && !found; j++)
			found = EvalValue(want, getIthJsonbValueFromContainer(actual->val.binary.data, j),
							  groups, insensitive, depth + 1);
		if (!found)
			return false;
	}
	return true;
}

/*
 * EvalOperator
 *		One operator of an operator object against the attribute's value.
 */
static bool
EvalOperator(ConditionOp op, const JsonbValue *actual, const JsonbValue *expected,
			 JsonbContainer *groups, int depth)
{
	bool		array = IsContainer(expected, false);

	switch (op)
	{
		case COP_VEQ:
		case COP_VNE:
		case COP_VGT:
		case COP_VGTE:
		case COP_VLT:
		case COP_VLTE:
			{
				int			c = strcmp(PaddedVersion(actual), PaddedVersion(expected));

				return op == COP_VEQ ? c == 0 : op == COP_VNE ? c != 0 :
					op == COP_VGT ? c > 0 : op == COP_VGTE ? c >= 0 :
					op == COP_VLT ? c < 0 : c <= 0;
			}
		case COP_EQ:
			return StrictEquals(actual, expected, false);
		case COP_NE:
			return !StrictEquals(actual, expected, false);
		case COP_LT:
			return Relation(actual, expected) == -1;
		case COP_LTE:
			return Relation(actual, expected) <= 0;
		case COP_GT:
			return Relation(actual, expected) == 1;
		case COP_GTE:
			{
				int			r = Relation(actual, expected);

				return r == 0 || r == 1;
			}
		case COP_EXISTS:
			return Truthy(expected) ? actual->type != jbvNull : actual->type == jbvNull;
		case COP_IN:
		case COP_INI:
			return array && IsIn(actual, expected->val.binary.data, op == COP_INI);
		case COP_NIN:
		case COP_NINI:
			return array && !IsIn(actual, expected->val.binary.data, op == COP_NINI);
		case COP_IN_GROUP:
		case COP_NOT_IN_GROUP:
			{
				JsonbValue	members;
				bool		in = false;

				if (groups != NULL && expected->type == jbvString &&
					getKeyJsonValueFromContainer(groups, expected->val.string.val,
												 expected->val.string.len, &members) != NULL &&
					IsContainer(&members, false))
					in = IsIn(actual, members.val.binary.data, false);
				return op == COP_IN_GROUP ? in : !in;
			}
		case COP_NOT:
			return !EvalValue(expected, actual, groups, false, depth + 1);
		case COP_SIZE:
			{
				JsonbValue	size;

				if (!IsContainer(actual, false))
					return false;
				size.type = jbvNumeric;
				size.val.numeric = int64_to_numeric(JsonContainerSize(actual->val.binary.data));
				return EvalValue(expected, &size, groups, false, depth + 1);
			}
		case COP_ELEM_MATCH:
			return ElemMatch(actual, expected, groups, depth);
		case COP_ALL:
		case COP_ALLI:
			return array && AllMatch(actual, expected->val.binary.data, groups,
									 op == COP_ALLI, depth);
		case COP_REGEX:
		case COP_REGEXI:
			return RegexTest(expected, actual, op == COP_REGEXI);
		case COP_TYPE:
			return expected->type == jbvString &&
				strlen(TypeName(actual)) == (size_t) expected->val.string.len &&
				memcmp(TypeName(actual), expected->val.string.val, expected->val.string.len) == 0;
		case COP_UNKNOWN:
			break;
	}
	return false;
}

/*
 * EvalValue
 *		A path's condition against the attribute's value: a literal (equal as
 *		String, Number or truthiness, by the literal's type), a JSON array or
 *		object (equal as JSON), or an object of operators (all must hold).
 */
static bool
EvalValue(const JsonbValue *condition, const JsonbValue *value, JsonbContainer *groups,
		  bool insensitive, int depth)
{
	check_stack_depth();
	switch (condition->type)
	{
		case jbvString:
			{
				StringInfoData s;

				initStringInfo(&s);
				GrowthBookValueText(value, &s);
				if (s.len != condition->val.string.len)
					return false;
				if (insensitive)
					return pg_strncasecmp(s.data, condition->val.string.val, s.len) == 0;
				return memcmp(s.data, condition->val.string.val, s.len) == 0;
			}
		case jbvNumeric:
			return ValueNumber(value) == JsonbNumberDouble(condition);
		case jbvBool:
			return value->type != jbvNull && Truthy(value) == condition->val.boolean;
		case jbvNull:
			return value->type == jbvNull;
		default:
			break;
	}
	if (!IsOperatorObject(condition))
		return value->type == jbvBinary &&
			compareJsonbContainers(condition->val.binary.data, value->val.binary.data) == 0;
	{
		JsonbIterator *it = JsonbIteratorInit(condition->val.binary.data);
		JsonbValue	key,
					arg;
		JsonbIteratorToken token;

		while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
		{
			if (token != WJB_KEY)
				continue;
			(void) JsonbIteratorNext(&it, &arg, true);
			if (!EvalOperator(OpOfKey(&key), value, &arg, groups, depth))
				return false;
		}
	}
	return true;
}

/*
 * PathValue
 *		The value at a dotted path of object; null when any step is missing.
 */
static void
PathValue(const JsonbValue *object, const char *path, int len, JsonbValue *out)
{
	JsonbValue	current = *object;
	const char *part = path;

	for (const char *p = path;; p++)
	{
		if (p == path + len || *p == '.')
		{
			JsonbValue	next;
			bool		found = false;

			if (IsContainer(&current, true))
				found = getKeyJsonValueFromContainer(current.val.binary.data, part,
													 (int) (p - part), &next) != NULL;
			if (!found)
			{
				out->type = jbvNull;
				return;
			}
			current = next;
			part = p + 1;
			if (p == path + len)
				break;
		}
	}
	*out = current;
}

/*
 * AnyOf
 *		Whether some condition of the array holds ($or; $nor negates it). An
 *		empty array holds, as in the SDK.
 */
static bool
AnyOf(const JsonbValue *array, const JsonbValue *object, JsonbContainer *groups, int depth)
{
	int			n;

	if (!IsContainer(array, false))
		return false;
	n = JsonContainerSize(array->val.binary.data);
	if (n == 0)
		return true;
	for (int i = 0; i < n; i++)
	{
		JsonbValue *c = getIthJsonbValueFromContainer(array->val.binary.data, i);

		if (IsContainer(c, true) && EvalCondition(c->val.binary.data, object, groups, depth + 1))
			return true;
	}
	return false;
}

/*
 * EvalCondition
 *		Whether object (the attributes, or an element of $elemMatch) meets a
 *		condition: every key of it must hold.
 */
static bool
EvalCondition(JsonbContainer *condition, const JsonbValue *object, JsonbContainer *groups,
			  int depth)
{
	JsonbIterator *it = JsonbIteratorInit(condition);
	JsonbValue	key,
				arg;
	JsonbIteratorToken token;

	check_stack_depth();
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		const char *k;
		int			klen;
		bool		holds;

		if (token != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &arg, true);
		k = key.val.string.val;
		klen = key.val.string.len;
		if (klen == 3 && memcmp(k, "$or", 3) == 0)
			holds = AnyOf(&arg, object, groups, depth);
		else if (klen == 4 && memcmp(k, "$nor", 4) == 0)
			holds = !AnyOf(&arg, object, groups, depth);
		else if (klen == 4 && memcmp(k, "$and", 4) == 0)
		{
			int			n = IsContainer(&arg, false) ? JsonContainerSize(arg.val.binary.data) : 0;

			holds = IsContainer(&arg, false);
			for (int i = 0; i < n && holds; i++)
			{
				JsonbValue *c = getIthJsonbValueFromContainer(arg.val.binary.data, i);

				holds = IsContainer(c, true) &&
					EvalCondition(c->val.binary.data, object, groups, depth + 1);
			}
		}
		else if (klen == 4 && memcmp(k, "$not", 4) == 0)
			holds = IsContainer(&arg, true) &&
				!EvalCondition(arg.val.binary.data, object, groups, depth + 1);
		else
		{
			JsonbValue	value;

			PathValue(object, k, klen, &value);
			holds = EvalValue(&arg, &value, groups, false, depth);
		}
		if (!holds)
			return false;
	}
	return true;
}

/*
 * GrowthBookConditionMatches
 *		Whether attributes (an object) meet a condition (an object). Saved
 *		groups, for $inGroup and $notInGroup, may be NULL.
 */
bool
GrowthBookConditionMatches(JsonbContainer *condition, JsonbContainer *attributes,
						   JsonbContainer *saved_groups)
{
	JsonbValue	object;

	object.type = jbvBinary;
	object.val.binary.data = attributes;
	object.val.binary.len = 0;
	return EvalCondition(condition, &object, saved_groups, 0);
}

/*
 * CheckArray
 *		Refuses an operator argument that is not an array.
 */
static void
CheckArray(const JsonbValue *arg, const char *op, const char *path)
{
	if (!IsContainer(arg, false))
		ConditionError(path, psprintf("\"%s\" takes an array.", op));
}

/*
 * CheckOperator
 *		Refuses an operator GrowthBook does not know, or an argument it would
 *		never match with: what the SDK silently treats as false is an error
 *		when the condition is written.
 */
static void
CheckOperator(const JsonbValue *key, const JsonbValue *arg, const char *path, int depth)
{
	ConditionOp op = OpOfKey(key);
	const char *name = op == COP_UNKNOWN ? NULL : cop_names[op];

	switch (op)
	{
		case COP_UNKNOWN:
			ConditionError(path, psprintf("Unknown operator \"%.*s\".",
										  key->val.string.len, key->val.string.val));
		case COP_IN_GROUP:
		case COP_NOT_IN_GROUP:
			ConditionError(path, psprintf("\"%s\" needs saved groups, which experiments do not store: list the members with \"$in\" or \"$nin\".", name));
		case COP_IN:
		case COP_INI:
		case COP_NIN:
		case COP_NINI:
		case COP_ALL:
		case COP_ALLI:
			CheckArray(arg, name, path);
			if (op == COP_ALL || op == COP_ALLI)
			{
				int			n = JsonContainerSize(arg->val.binary.data);

				for (int i = 0; i < n; i++)
					CheckValue(getIthJsonbValueFromContainer(arg->val.binary.data, i),
							   psprintf("%s[%d]", path, i), depth + 1);
			}
			break;
		case COP_REGEX:
		case COP_REGEXI:
			{
				regex_t		re;
				pg_wchar   *wide;
				int			wlen,
							rc;
				char		message[256];

				if (arg->type != jbvString)
					ConditionError(path, psprintf("\"%s\" takes a pattern string.", name));
				wide = palloc((arg->val.string.len + 1) * sizeof(pg_wchar));
				wlen = pg_mb2wchar_with_len(arg->val.string.val, wide, arg->val.string.len);
				rc = pg_regcomp(&re, wide, wlen, REG_ADVANCED, C_COLLATION_OID);
				if (rc != REG_OKAY)
				{
					pg_regerror(rc, &re, message, sizeof(message));
					ConditionError(path, psprintf("The regular expression is invalid: %s.", message));
				}
				pg_regfree(&re);
			}
			break;
		case COP_TYPE:
			{
				static const char *const types[] = {"string", "number", "boolean", "array", "object", "null"};
				bool		known = false;

				for (int i = 0; i < (int) lengthof(types) && arg->type == jbvString; i++)
					known |= strlen(types[i]) == (size_t) arg->val.string.len &&
						memcmp(types[i], arg->val.string.val, arg->val.string.len) == 0;
				if (!known)
					ConditionError(path, "\"$type\" takes one of \"string\", \"number\", \"boolean\", \"array\", \"object\" or \"null\".");
			}
			break;
		case COP_ELEM_MATCH:
			if (!IsContainer(arg, true))
				ConditionError(path, "\"$elemMatch\" takes an object: operators or a condition.");
			if (IsOperatorObject(arg))
				CheckValue(arg, path, depth + 1);
			else
				CheckCondition(arg, path, depth + 1);
			break;
		case COP_NOT:
		case COP_SIZE:
			CheckValue(arg, path, depth + 1);
			break;
		case COP_VEQ:
		case COP_VNE:
		case COP_VGT:
		case COP_VGTE:
		case COP_VLT:
		case COP_VLTE:
			if (arg->type != jbvString && arg->type != jbvNumeric)
				ConditionError(path, "Version operators take a version string such as \"2.10.1\".");
			break;
		default:
			break;
	}
}

/*
 * CheckValue
 *		Checks a path's condition: a literal, a JSON value, or operators.
 */
static void
CheckValue(const JsonbValue *condition, const char *path, int depth)
{
	JsonbIterator *it;
	JsonbValue	key,
				arg;
	JsonbIteratorToken token;

	if (depth > CONDITION_MAX_DEPTH)
		ConditionError(path, psprintf("Conditions nest at most %d levels deep.", CONDITION_MAX_DEPTH));
	check_stack_depth();
	if (!IsOperatorObject(condition))
		return;
	it = JsonbIteratorInit(condition->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		if (token != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &arg, true);
		CheckOperator(&key, &arg, psprintf("%s.%.*s", path, key.val.string.len, key.val.string.val),
					  depth);
	}
}

/*
 * CheckConditionArray
 *		Checks the array of conditions of $and, $or or $nor.
 */
static void
CheckConditionArray(const JsonbValue *array, const char *path, int depth)
{
	int			n;

	if (!IsContainer(array, false))
		ConditionError(path, "\"$and\", \"$or\" and \"$nor\" take an array of conditions.");
	n = JsonContainerSize(array->val.binary.data);
	for (int i = 0; i < n; i++)
		CheckCondition(getIthJsonbValueFromContainer(array->val.binary.data, i),
					   psprintf("%s[%d]", path, i), depth + 1);
}

/*
 * CheckCondition
 *		Checks a condition object, key by key.
 */
static void
CheckCondition(const JsonbValue *condition, const char *path, int depth)
{
	JsonbIterator *it;
	JsonbValue	key,
				arg;
	JsonbIteratorToken token;

	if (depth > CONDITION_MAX_DEPTH)
		ConditionError(path, psprintf("Conditions nest at most %d levels deep.", CONDITION_MAX_DEPTH));
	check_stack_depth();
	if (!IsContainer(condition, true))
		ConditionError(path, "A condition is a JSON object.");
	it = JsonbIteratorInit(condition->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		const char *k;
		int			klen;
		char	   *where;

		if (token != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &arg, true);
		k = key.val.string.val;
		klen = key.val.string.len;
		where = psprintf("%s.%.*s", path, klen, k);
		if ((klen == 3 && memcmp(k, "$or", 3) == 0) || (klen == 4 && memcmp(k, "$nor", 4) == 0) ||
			(klen == 4 && memcmp(k, "$and", 4) == 0))
			CheckConditionArray(&arg, where, depth);
		else if (klen == 4 && memcmp(k, "$not", 4) == 0)
			CheckCondition(&arg, where, depth + 1);
		else
			CheckValue(&arg, where, depth + 1);
	}
}

/*
 * GrowthBookConditionCheck
 *		Refuses a malformed condition with an error that says what and where.
 */
void
GrowthBookConditionCheck(JsonbValue *condition, const char *path)
{
	CheckCondition(condition, path, 1);
}
