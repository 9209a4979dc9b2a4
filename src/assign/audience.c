/*
 * audience.c
 *		Targeting conditions: compiled once from jsonb, evaluated per unit in C.
 *
 * A condition is {} (everyone), {"and": [c, ...]}, {"or": [c, ...]},
 * {"not": c}, or a comparison {"attr": name, "op": op, "value": v} where op
 * is one of eq, ne, in, nin, gt, gte, lt, lte, exists, regex, version_eq,
 * version_ne, version_gt, version_gte, version_lt, version_lte.
 * docs/assignment.md, "Audiences", is the reference.
 */
#include "audience.h"
#include "core.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "mb/pg_wchar.h"
#include "regex/regex.h"
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(audience_is_valid);
PG_FUNCTION_INFO_V1(audience_matches);

/* Conditions nest at most this deep; deeper ones are refused at compile. */
#define AUDIENCE_MAX_DEPTH 32

typedef enum AudienceKind
{
	AUDIENCE_ALL,
	AUDIENCE_AND,
	AUDIENCE_OR,
	AUDIENCE_NOT,
	AUDIENCE_COMPARE
} AudienceKind;

typedef enum AudienceOp
{
	OP_EQ, OP_NE, OP_IN, OP_NIN, OP_GT, OP_GTE, OP_LT, OP_LTE, OP_EXISTS, OP_REGEX,
	OP_VERSION_EQ, OP_VERSION_NE, OP_VERSION_GT, OP_VERSION_GTE, OP_VERSION_LT, OP_VERSION_LTE
} AudienceOp;

static const char *const op_names[] = {
	"eq", "ne", "in", "nin", "gt", "gte", "lt", "lte", "exists", "regex",
	"version_eq", "version_ne", "version_gt", "version_gte", "version_lt", "version_lte"
};

struct AudienceNode
{
	AudienceKind kind;
	int			nchildren;
	AudienceNode **children;
	/* AUDIENCE_COMPARE */
	AudienceOp	op;
	char	   *attr;
	int			attrlen;
	int			nvalues;
	JsonbValue *values;			/* scalars; one unless op is in or nin */
	bool		exists_wanted;	/* op exists */
	regex_t    *regex;			/* op regex */
};

static AudienceNode *CompileNode(JsonbContainer *container, int depth, const char *path);

/*
 * AudienceError
 *		Refuses a malformed condition, naming where it is wrong.
 */
static void
pg_attribute_noreturn()
AudienceError(const char *path, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid audience condition at %s", path),
			 errdetail("%s", problem),
			 errhint("See docs/assignment.md, \"Audiences\", for the condition language.")));
}

/*
 * ObjectField
 *		The value of key in a jsonb object, if present.
 */
static bool
ObjectField(JsonbContainer *container, const char *key, JsonbValue *out)
{
	return getKeyJsonValueFromContainer(container, key, strlen(key), out) != NULL;
}

/*
 * IsScalar
 *		Whether a value can be compared: string, number, boolean or null.
 */
static bool
IsScalar(const JsonbValue *v)
{
	return v->type == jbvString || v->type == jbvNumeric ||
		v->type == jbvBool || v->type == jbvNull;
}

/*
 * CompileChildren
 *		Compiles the array of an "and" or "or" node.
 */
static void
CompileChildren(AudienceNode *node, JsonbValue *array, int depth, const char *path)
{
	int			n;

	if (array->type != jbvBinary || !JsonContainerIsArray(array->val.binary.data))
		AudienceError(path, "\"and\" and \"or\" take an array of conditions.");
	n = JsonContainerSize(array->val.binary.data);
	if (n == 0)
		AudienceError(path, "\"and\" and \"or\" need at least one condition.");
	node->nchildren = n;
	node->children = palloc(sizeof(AudienceNode *) * n);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(array->val.binary.data, i);

		if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
			AudienceError(path, "Every condition is a JSON object.");
		node->children[i] = CompileNode(elem->val.binary.data, depth + 1,
										psprintf("%s[%d]", path, i));
	}
}

/*
 * CompileRegex
 *		Compiles the pattern of a regex comparison with PostgreSQL's regular
 *		expression engine (advanced syntax, case-sensitive, C collation).
 */
static regex_t *
CompileRegex(const JsonbValue *pattern, const char *path)
{
	regex_t    *re = palloc(sizeof(regex_t));
	pg_wchar   *wide = palloc((pattern->val.string.len + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(pattern->val.string.val, wide,
											pattern->val.string.len);
	int			rc = pg_regcomp(re, wide, wlen, REG_ADVANCED, C_COLLATION_OID);

	if (rc != REG_OKAY)
	{
		char		message[256];

		pg_regerror(rc, re, message, sizeof(message));
		AudienceError(path, psprintf("The regular expression is invalid: %s.", message));
	}
	return re;
}

/*
 * CompileCompare
 *		Compiles {"attr": ..., "op": ..., "value": ...}.
 */
static void
CompileCompare(AudienceNode *node, JsonbContainer *container, const char *path)
{
	JsonbValue	attr,
				op,
				value;
	bool		has_value;
	int			i;

	if (!ObjectField(container, "attr", &attr) || attr.type != jbvString ||
		attr.val.string.len == 0)
		AudienceError(path, "A comparison needs \"attr\", a non-empty string.");
	if (!ObjectField(container, "op", &op) || op.type != jbvString)
		AudienceError(path, "A comparison needs \"op\", a string.");
	for (i = 0; i < (int) lengthof(op_names); i++)
		if (strlen(op_names[i]) == (size_t) op.val.string.len &&
			memcmp(op_names[i], op.val.string.val, op.val.string.len) == 0)
			break;
	if (i == (int) lengthof(op_names))
		AudienceError(path, psprintf("Unknown operator \"%s\".", ShownInput(op.val.string.val, op.val.string.len)));

	node->kind = AUDIENCE_COMPARE;
	node->op = (AudienceOp) i;
	node->attr = pnstrdup(attr.val.string.val, attr.val.string.len);
	node->attrlen = attr.val.string.len;
	has_value = ObjectField(container, "value", &value);

	if (node->op == OP_EXISTS)
	{
		node->exists_wanted = true;
		if (has_value)
		{
			if (value.type != jbvBool)
				AudienceError(path, "\"exists\" takes true, false or no value.");
			node->exists_wanted = value.val.boolean;
		}
		return;
	}
	if (!has_value)
		AudienceError(path, psprintf("\"%s\" needs a \"value\".", op_names[node->op]));

	if (node->op == OP_IN || node->op == OP_NIN)
	{
		JsonbContainer *array;

		if (value.type != jbvBinary || !JsonContainerIsArray(value.val.binary.data))
			AudienceError(path, "\"in\" and \"nin\" take an array of values.");
		array = value.val.binary.data;
		node->nvalues = JsonContainerSize(array);
		node->values = palloc(sizeof(JsonbValue) * Max(node->nvalues, 1));
		for (i = 0; i < node->nvalues; i++)
		{
			JsonbValue *elem = getIthJsonbValueFromContainer(array, i);

			if (!IsScalar(elem))
				AudienceError(path, "The values of \"in\" and \"nin\" are strings, numbers, booleans or null.");
			node->values[i] = *elem;
		}
		return;
	}

	if (!IsScalar(&value))
		AudienceError(path, psprintf("\"%s\" compares with a string, number, boolean or null.", op_names[node->op]));
	node->nvalues = 1;
	node->values = palloc(sizeof(JsonbValue));
	node->values[0] = value;

	if (node->op == OP_REGEX)
	{
		if (value.type != jbvString)
			AudienceError(path, "\"regex\" takes a pattern string.");
		node->regex = CompileRegex(&value, path);
	}
	else if (node->op >= OP_VERSION_EQ && value.type != jbvString && value.type != jbvNumeric)
		AudienceError(path, "Version comparisons take a dotted version string such as \"2.10.1\".");
}

/*
 * CompileNode
 *		Compiles one condition object.
 */
static AudienceNode *
CompileNode(JsonbContainer *container, int depth, const char *path)
{
	AudienceNode *node = palloc0(sizeof(AudienceNode));
	JsonbValue	v;
	int			nkeys = JsonContainerSize(container);

	if (depth > AUDIENCE_MAX_DEPTH)
		AudienceError(path, psprintf("Conditions nest at most %d levels deep.", AUDIENCE_MAX_DEPTH));
	check_stack_depth();

	if (nkeys == 0)
		node->kind = AUDIENCE_ALL;
	else if (ObjectField(container, "and", &v))
	{
		node->kind = AUDIENCE_AND;
		if (nkeys != 1)
			AudienceError(path, "An \"and\" node has no other keys.");
		CompileChildren(node, &v, depth, psprintf("%s.and", path));
	}
	else if (ObjectField(container, "or", &v))
	{
		node->kind = AUDIENCE_OR;
		if (nkeys != 1)
			AudienceError(path, "An \"or\" node has no other keys.");
		CompileChildren(node, &v, depth, psprintf("%s.or", path));
	}
	else if (ObjectField(container, "not", &v))
	{
		node->kind = AUDIENCE_NOT;
		if (nkeys != 1)
			AudienceError(path, "A \"not\" node has no other keys.");
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			AudienceError(path, "\"not\" takes one condition object.");
		node->nchildren = 1;
		node->children = palloc(sizeof(AudienceNode *));
		node->children[0] = CompileNode(v.val.binary.data, depth + 1, psprintf("%s.not", path));
	}
	else
	{
		CompileCompare(node, container, path);
		if (nkeys > 3 || (nkeys == 3 && !ObjectField(container, "value", &v)))
			AudienceError(path, "A comparison has only the keys \"attr\", \"op\" and \"value\".");
	}
	return node;
}

/*
 * AudienceCompile
 *		Compiles a condition into context. The jsonb is copied there too, since
 *		compiled values point into it. Returns NULL for {} (everyone).
 */
AudienceNode *
AudienceCompile(Jsonb *condition, MemoryContext context)
{
	MemoryContext old = MemoryContextSwitchTo(context);
	Jsonb	   *copy;
	AudienceNode *node;

	if (!JB_ROOT_IS_OBJECT(condition) || JB_ROOT_IS_SCALAR(condition))
		AudienceError("$", "An audience is a JSON object.");
	copy = palloc(VARSIZE(condition));
	memcpy(copy, condition, VARSIZE(condition));
	node = CompileNode(&copy->root, 1, "$");
	MemoryContextSwitchTo(old);
	if (node->kind == AUDIENCE_ALL)
		return NULL;
	return node;
}

/*
 * AudienceFree
 *		Releases what palloc does not own: compiled regular expressions.
 */
void
AudienceFree(AudienceNode *node)
{
	if (node == NULL)
		return;
	for (int i = 0; i < node->nchildren; i++)
		AudienceFree(node->children[i]);
	if (node->regex != NULL)
	{
		pg_regfree(node->regex);
		node->regex = NULL;
	}
}

/*
 * CompareScalars
 *		Orders two scalars of one type: numbers numerically, strings by their
 *		bytes (the same everywhere, whatever the collation), booleans false
 *		first. *comparable is false for different types.
 */
static int
CompareScalars(const JsonbValue *a, const JsonbValue *b, bool *comparable)
{
	*comparable = a->type == b->type;
	if (!*comparable)
		return 0;
	switch (a->type)
	{
		case jbvNumeric:
			return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
													 NumericGetDatum(a->val.numeric),
													 NumericGetDatum(b->val.numeric)));
		case jbvString:
			{
				int			len = Min(a->val.string.len, b->val.string.len);
				int			c = memcmp(a->val.string.val, b->val.string.val, len);

				if (c != 0)
					return c;
				return a->val.string.len - b->val.string.len;
			}
		case jbvBool:
			return (int) a->val.boolean - (int) b->val.boolean;
		default:
			return 0;			/* null equals null */
	}
}

/*
 * VersionText
 *		The text of a version operand: a string as is, a number printed.
 */
static char *
VersionText(const JsonbValue *v, int *len)
{
	char	   *s;

	if (v->type == jbvString)
	{
		*len = v->val.string.len;
		return v->val.string.val;
	}
	s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	*len = strlen(s);
	return s;
}

/*
 * CompareVersions
 *		Compares dotted versions part by part: the leading digits of a part
 *		numerically (so 2.10 > 2.9), then any pre-release tag after them, and a
 *		missing part as 0 (so 1.2 = 1.2.0).
 */
static int
CompareVersions(const char *a, int alen, const char *b, int blen)
{
	int			i = 0,
				j = 0;

	while (i < alen || j < blen)
	{
		int			ad,
					bd,
					c;

		/* skip leading zeros of the numeric prefixes, then compare lengths */
		while (i < alen && a[i] == '0' && i + 1 < alen && isdigit((unsigned char) a[i + 1]))
			i++;
		while (j < blen && b[j] == '0' && j + 1 < blen && isdigit((unsigned char) b[j + 1]))
			j++;
		for (ad = i; ad < alen && isdigit((unsigned char) a[ad]); ad++);
		for (bd = j; bd < blen && isdigit((unsigned char) b[bd]); bd++);
		if ((ad - i) != (bd - j))
		{
			/* a missing or empty numeric part counts as 0 */
			bool		a_zero = (ad - i) == 0 || ((ad - i) == 1 && a[i] == '0');
			bool		b_zero = (bd - j) == 0 || ((bd - j) == 1 && b[j] == '0');

			if (!(a_zero && b_zero))
				return (ad - i) - (bd - j);
		}
		else if ((c = memcmp(a + i, b + j, ad - i)) != 0)
			return c;
		i = ad;
		j = bd;
		/*
		 * The non-numeric rest of the part, a pre-release tag: a part with one
		 * sorts before the same part without (3.0.0-beta < 3.0.0), two tags
		 * sort by their bytes.
		 */
		for (ad = i; ad < alen && a[ad] != '.'; ad++);
		for (bd = j; bd < blen && b[bd] != '.'; bd++);
		if ((ad == i) != (bd == j))
			return ad == i ? 1 : -1;
		c = memcmp(a + i, b + j, Min(ad - i, bd - j));
		if (c != 0)
			return c;
		if ((ad - i) != (bd - j))
			return (ad - i) - (bd - j);
		i = ad < alen ? ad + 1 : ad;
		j = bd < blen ? bd + 1 : bd;
	}
	return 0;
}

/*
 * RegexMatches
 *		Whether a string attribute matches a compiled pattern.
 */
static bool
RegexMatches(regex_t *re, const JsonbValue *v)
{
	pg_wchar   *wide;
	int			wlen;

	if (v->type != jbvString)
		return false;
	wide = palloc((v->val.string.len + 1) * sizeof(pg_wchar));
	wlen = pg_mb2wchar_with_len(v->val.string.val, wide, v->val.string.len);
	return pg_regexec(re, wide, wlen, 0, NULL, 0, NULL, 0) == REG_OKAY;
}

/*
 * EvalCompare
 *		Evaluates one comparison. A missing attribute satisfies only ne, nin
 *		and exists=false.
 */
static bool
EvalCompare(const AudienceNode *node, Jsonb *attributes)
{
	JsonbValue	attr;
	bool		present;
	bool		comparable;
	int			c;

	present = JB_ROOT_IS_OBJECT(attributes) &&
		getKeyJsonValueFromContainer(&attributes->root, node->attr, node->attrlen, &attr) != NULL;

	if (node->op == OP_EXISTS)
		return present == node->exists_wanted;
	if (!present)
		return node->op == OP_NE || node->op == OP_NIN || node->op == OP_VERSION_NE;

	switch (node->op)
	{
		case OP_EQ:
		case OP_NE:
			c = CompareScalars(&attr, &node->values[0], &comparable);
			return (comparable && c == 0) == (node->op == OP_EQ);
		case OP_IN:
		case OP_NIN:
			for (int i = 0; i < node->nvalues; i++)
			{
				c = CompareScalars(&attr, &node->values[i], &comparable);
				if (comparable && c == 0)
					return node->op == OP_IN;
			}
			return node->op == OP_NIN;
		case OP_GT:
		case OP_GTE:
		case OP_LT:
		case OP_LTE:
			if (attr.type != jbvNumeric && attr.type != jbvString)
				return false;
			c = CompareScalars(&attr, &node->values[0], &comparable);
			if (!comparable)
				return false;
			return node->op == OP_GT ? c > 0 : node->op == OP_GTE ? c >= 0 :
				node->op == OP_LT ? c < 0 : c <= 0;
		case OP_REGEX:
			return RegexMatches(node->regex, &attr);
		default:
			{
				int			alen,
							vlen;
				char	   *a,
						   *v;

				if (attr.type != jbvString && attr.type != jbvNumeric)
					return node->op == OP_VERSION_NE;
				a = VersionText(&attr, &alen);
				v = VersionText(&node->values[0], &vlen);
				c = CompareVersions(a, alen, v, vlen);
				switch (node->op)
				{
					case OP_VERSION_EQ:
						return c == 0;
					case OP_VERSION_NE:
						return c != 0;
					case OP_VERSION_GT:
						return c > 0;
					case OP_VERSION_GTE:
						return c >= 0;
					case OP_VERSION_LT:
						return c < 0;
					default:
						return c <= 0;
				}
			}
	}
}

/*
 * AudienceMatches
 *		Whether a unit's attributes satisfy a compiled condition; NULL (the
 *		empty condition) matches everyone.
 */
bool
AudienceMatches(const AudienceNode *node, Jsonb *attributes)
{
	if (node == NULL)
		return true;
	switch (node->kind)
	{
		case AUDIENCE_ALL:
			return true;
		case AUDIENCE_AND:
			for (int i = 0; i < node->nchildren; i++)
				if (!AudienceMatches(node->children[i], attributes))
					return false;
			return true;
		case AUDIENCE_OR:
			for (int i = 0; i < node->nchildren; i++)
				if (AudienceMatches(node->children[i], attributes))
					return true;
			return false;
		case AUDIENCE_NOT:
			return !AudienceMatches(node->children[0], attributes);
		default:
			return EvalCompare(node, attributes);
	}
}

/*
 * WithCompiled
 *		Compiles a condition in a scratch context, frees its regular
 *		expressions however the caller's work ends, and drops the context.
 */
static bool
WithCompiled(Jsonb *condition, Jsonb *attributes)
{
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext,
												  "experiments audience",
												  ALLOCSET_SMALL_SIZES);
	AudienceNode *volatile node = NULL;
	bool		result = true;

	PG_TRY();
	{
		node = AudienceCompile(condition, scratch);
		if (attributes != NULL)
			result = AudienceMatches(node, attributes);
	}
	PG_FINALLY();
	{
		AudienceFree(node);
		MemoryContextDelete(scratch);
	}
	PG_END_TRY();
	return result;
}

/*
 * audience_is_valid(condition jsonb) returns boolean
 *		true for a well-formed condition; raises an error naming the problem
 *		otherwise. Used by the CHECK constraint on experiments.audience.
 */
Datum
audience_is_valid(PG_FUNCTION_ARGS)
{
	WithCompiled(PG_GETARG_JSONB_P(0), NULL);
	PG_RETURN_BOOL(true);
}

/*
 * audience_matches(condition jsonb, attributes jsonb) returns boolean
 *		Evaluates a condition against attributes, as assignment does: for
 *		trying conditions out and for testing the evaluator.
 */
Datum
audience_matches(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(WithCompiled(PG_GETARG_JSONB_P(0), PG_GETARG_JSONB_P(1)));
}
