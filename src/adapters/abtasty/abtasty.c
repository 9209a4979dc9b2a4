/*
 * abtasty.c
 *		The AB Tasty server-side events of the AB Tasty document: campaign activated,
 *		action tracking, custom, transaction and visit.
 *
 * Each event is read from a JSON object: the whole request body over HTTP
 * (experiments_internal.abtasty_event(), which the experiments_api endpoints
 * call, so that any key the seed documents or not reaches us: unknown ones
 * are ignored with a warning), or the arguments of the SQL function named
 * after the endpoint (experiments.visit_event(tracking_data => ...)), each a
 * jsonb value so that every type check is ours. Each value is read in one
 * pass over its binary jsonb. A refused event must still land in
 * experiments.rejected_events, so bad input raises no error (that would roll
 * the rejected row back): the function stores the rejection, sets
 * PostgREST's response.status and answers AB Tasty's error document
 * {"code": 3, "message": "InvalidArgument: ..."} (AbTastyError(), which
 * allocate.c answers with too). Success answers {}, or {"warnings": [...]}
 * when the event was stored with remarks. Server errors (no tenant) still
 * raise.
 *
 * Over 800 lines: the five events share the readers of tracking data and of
 * the field types, static here, and the transaction's items; splitting them
 * would export those readers for this file alone.
 */
#include "abtasty.h"
#include "events.h"

#include <arpa/inet.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(campaign_activated_event);
PG_FUNCTION_INFO_V1(action_tracking_event);
PG_FUNCTION_INFO_V1(custom_event);
PG_FUNCTION_INFO_V1(transaction_event);
PG_FUNCTION_INFO_V1(visit_event);
PG_FUNCTION_INFO_V1(abtasty_event);
PG_FUNCTION_INFO_V1(abtasty_error);

/* The tracking data every event carries, as read. */
typedef struct Tracking
{
	const char *visitor_id;
	int			visitor_len;
	const char *device_type;	/* one of device_types */
	const char *origin;
	int			origin_len;
	TimestampTz at;
	char	   *ip;				/* NULL when not sent */
	bool		has_geolocation;
	double		latitude;
	double		longitude;
} Tracking;

/* One event being validated: its arguments and what was found. */
typedef struct AbEvent
{
	const char *source;			/* rejected_events.source */
	pg_uuid_t	tenant;
	TimestampTz now;
	ObjectFields args;			/* the arguments, by the body's keys */
	Size		size;			/* bytes of jsonb sent */
	List	   *warnings;		/* of char * */
	int			code;			/* 0 while accepted */
	char	   *subject;
	char	   *message;
	Tracking	tracking;
	int64		key_id;			/* its idempotency key's row, or 0 */
	Jsonb	   *replay;			/* the answer kept for a key sent before */
} AbEvent;

static const char *const device_types[] = {
	"DESKTOP", "MOBILE_PHONE", "TABLET", "CAMERA", "TV", "GAMES_CONSOLE",
	"PAYMENT_TERMINAL", "WRISTWATCH", "OTHER"
};

static const char *const tracking_fields[] = {
	"visitor_id", "device_type", "origin", "timestamp", "ip", "geolocation"
};
enum
{
	TD_VISITOR_ID, TD_DEVICE_TYPE, TD_ORIGIN, TD_TIMESTAMP, TD_IP, TD_GEOLOCATION
};

/*
 * Every AB Tasty table starts, in these arrays, with the tracking columns;
 * the table's own columns follow from TRK_NCOLUMNS on.
 */
enum
{
	TRK_VISITOR_ID, TRK_DEVICE_TYPE, TRK_ORIGIN, TRK_OCCURRED_AT, TRK_IP, TRK_LATITUDE,
	TRK_LONGITUDE, TRK_NCOLUMNS
};
#define TRACKING_COLUMNS "visitor_id", "device_type", "origin", "occurred_at", "ip", "latitude", "longitude"
#define TRACKING_TYPES TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, INETOID, FLOAT8OID, FLOAT8OID
#define TRACKING_CASTS NULL, "experiments.device_type", NULL, NULL, NULL, NULL, NULL

/* campaign_activations */
enum
{
	CA_EXPERIMENT = TRK_NCOLUMNS, CA_VARIANT, CA_ORDINAL, CA_ENROLLED, CA_NCOLUMNS
};
static const char *const activation_columns[] = {
	TRACKING_COLUMNS, "experiment_id", "variant_id", "ordinal", "enrolled_ordinal"
};
static const Oid activation_types[] = {TRACKING_TYPES, INT8OID, INT8OID, INT4OID, INT4OID};
static const char *const activation_casts[] = {TRACKING_CASTS, NULL, NULL, NULL, NULL};
static EventTable activations_table = {
	"campaign_activations", false, CA_NCOLUMNS, activation_columns, activation_types, NULL,
	activation_casts
};

/* actions and custom_events: a name and an optional string or integer */
enum
{
	NV_NAME = TRK_NCOLUMNS, NV_VALUE_STRING, NV_VALUE_INTEGER, NV_NCOLUMNS
};
enum
{
	AC_TYPE = NV_NCOLUMNS, AC_POSITION_X, AC_POSITION_Y, AC_RESOLUTION_WIDTH,
	AC_RESOLUTION_HEIGHT, AC_NCOLUMNS
};
static const char *const action_columns[] = {
	TRACKING_COLUMNS, "name", "value_string", "value_integer", "type", "position_x", "position_y",
	"resolution_width", "resolution_height"
};
static const Oid action_types[] = {
	TRACKING_TYPES, TEXTOID, TEXTOID, INT8OID, TEXTOID, INT4OID, INT4OID, INT4OID, INT4OID
};
static const char *const action_casts[] = {
	TRACKING_CASTS, NULL, NULL, NULL, "experiments.action_type", NULL, NULL, NULL, NULL
};
static EventTable actions_table = {
	"actions", false, AC_NCOLUMNS, action_columns, action_types, NULL, action_casts
};
static EventTable custom_events_table = {
	"custom_events", false, NV_NCOLUMNS, action_columns, action_types, NULL, action_casts
};

/* transactions */
enum
{
	TX_ID = TRK_NCOLUMNS, TX_NAME, TX_REVENUE, TX_SHIPPING, TX_TAX_TOTAL, TX_PAYMENT_METHOD,
	TX_ITEMS_COUNT, TX_CURRENCY, TX_CURRENCY_RATE, TX_NCOLUMNS
};
static const char *const transaction_columns[] = {
	TRACKING_COLUMNS, "transaction_id", "name", "revenue", "shipping", "tax_total",
	"payment_method", "items_count", "currency", "currency_rate"
};
static const Oid transaction_types[] = {
	TRACKING_TYPES, TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID, TEXTOID, INT4OID, TEXTOID, FLOAT8OID
};
static const char *const transaction_casts[] = {
	TRACKING_CASTS, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};
static EventTable transactions_table = {
	"transactions", false, TX_NCOLUMNS, transaction_columns, transaction_types, NULL,
	transaction_casts
};

/* transaction_items: no tracking data, the transaction's time */
enum
{
	TI_TRANSACTION, TI_INDEX, TI_NAME, TI_PRICE, TI_SKU, TI_CATEGORY, TI_QUANTITY, TI_TAX_AMOUNT,
	TI_TAX_RATE, TI_OCCURRED_AT, TI_NCOLUMNS
};
static const char *const item_columns[] = {
	"transaction_id", "item_index", "name", "price", "sku", "category", "quantity", "tax_amount",
	"tax_rate", "occurred_at"
};
static const Oid item_types[] = {
	TEXTOID, INT4OID, TEXTOID, INT8OID, TEXTOID, TEXTOID, INT4OID, INT8OID, FLOAT8OID, TIMESTAMPTZOID
};
static EventTable items_table = {
	"transaction_items", false, TI_NCOLUMNS, item_columns, item_types, NULL
};

/* visits */
static EventTable visits_table = {
	"visits", false, TRK_NCOLUMNS, action_columns, action_types, NULL, action_casts
};

/* The body's keys, in the functions' argument order. */
static const char *const activation_args[] = {"campaign_id", "variation_id", "tracking_data"};
enum
{
	ARG_CAMPAIGN, ARG_VARIATION, ARG_CA_TRACKING
};
static const char *const action_args[] = {
	"name", "type", "tracking_data", "value_string", "value_integer", "position", "resolution"
};
enum
{
	ARG_AC_NAME, ARG_TYPE, ARG_AC_TRACKING, ARG_AC_VALUE_STRING, ARG_AC_VALUE_INTEGER,
	ARG_POSITION, ARG_RESOLUTION
};
static const char *const custom_args[] = {"name", "tracking_data", "value_string", "value_integer"};
enum
{
	ARG_CU_NAME, ARG_CU_TRACKING, ARG_CU_VALUE_STRING, ARG_CU_VALUE_INTEGER
};
/*
 * items_count is the spelling of the seed's sample, item_count of its table:
 * the body may use either; the SQL function has items_count only.
 */
static const char *const transaction_args[] = {
	"name", "id", "revenue", "shipping", "tracking_data", "tax_total", "payment_method",
	"items_count", "currency", "items", "item_count"
};
enum
{
	ARG_TX_NAME, ARG_ID, ARG_REVENUE, ARG_SHIPPING, ARG_TX_TRACKING, ARG_TAX_TOTAL,
	ARG_PAYMENT_METHOD, ARG_ITEMS_COUNT, ARG_CURRENCY, ARG_ITEMS, ARG_ITEM_COUNT
};
static const char *const visit_args[] = {"tracking_data"};

static const char *const position_fields[] = {"x", "y"};
static const char *const resolution_fields[] = {"width", "height"};
static const char *const currency_fields[] = {"name", "rate"};
static const char *const geolocation_fields[] = {"lat", "long"};
static const char *const item_fields[] = {
	"name", "price", "sku", "category", "quantity", "tax_amount", "tax_rate", "tax-rate"
};
enum
{
	IT_NAME, IT_PRICE, IT_SKU, IT_CATEGORY, IT_QUANTITY, IT_TAX_AMOUNT, IT_TAX_RATE, IT_TAX_RATE_DASH
};

/*
 * Refuse
 *		Records why the event is refused; the first reason found is the one
 *		given. Returns false, for the validators' convenience.
 */
static bool
Refuse(AbEvent *e, int code, const char *subject, char *message)
{
	if (e->code == 0)
	{
		e->code = code;
		e->subject = pstrdup(subject);
		e->message = message;
	}
	return false;
}

/*
 * Has
 *		Whether a field was sent with a value: a JSON null counts as absent,
 *		as PostgREST passes a null key and a missing one alike.
 */
static bool
Has(const ObjectFields *f, int i)
{
	return f->present[i] && f->values[i].type != jbvNull;
}

/*
 * Missing
 *		The refusal of a required field that was not sent.
 */
static bool
Missing(AbEvent *e, const ObjectFields *f, int i, const char *prefix)
{
	char	   *path = FieldPath(prefix, f->names[i]);

	return Refuse(e, CODE_INVALID_ARGUMENT, path, psprintf("%s is missing", path));
}

/*
 * Check
 *		Refuses the event when a reader found a problem with field i.
 */
static bool
Check(AbEvent *e, const ObjectFields *f, int i, const char *prefix, char *problem)
{
	if (problem == NULL)
		return true;
	return Refuse(e, CODE_INVALID_ARGUMENT, FieldPath(prefix, f->names[i]), problem);
}

/*
 * GetString
 *		Field i as a string of 1 to max_chars characters; *str is NULL when
 *		an optional field was not sent.
 */
static bool
GetString(AbEvent *e, const ObjectFields *f, int i, const char *prefix, bool required,
		  int max_chars, const char **str, int *len)
{
	*str = NULL;
	*len = 0;
	if (!Has(f, i))
		return !required || Missing(e, f, i, prefix);
	return Check(e, f, i, prefix, ReadString(&f->values[i], prefix, f->names[i], max_chars, str, len));
}

/*
 * GetInteger
 *		Field i as a whole number in [min, max]; *has says whether it was
 *		sent.
 */
static bool
GetInteger(AbEvent *e, const ObjectFields *f, int i, const char *prefix, bool required,
		   int64 min, int64 max, int64 *out, bool *has)
{
	*has = Has(f, i);
	if (!*has)
		return !required || Missing(e, f, i, prefix);
	return Check(e, f, i, prefix, ReadInteger(&f->values[i], prefix, f->names[i], min, max, out));
}

/*
 * GetFloat
 *		Field i as a finite number of at least min (a number, or a numeric
 *		string as the seed sends currency rates).
 */
static bool
GetFloat(AbEvent *e, const ObjectFields *f, int i, const char *prefix, bool required,
		 double min, double *out, bool *has)
{
	*has = Has(f, i);
	if (!*has)
		return !required || Missing(e, f, i, prefix);
	if (!Check(e, f, i, prefix, ReadFloat(&f->values[i], prefix, f->names[i], out)))
		return false;
	if (*out < min)
		return Check(e, f, i, prefix, psprintf("%s must be at least %g, not %g",
											   FieldPath(prefix, f->names[i]), min, *out));
	return true;
}

/*
 * GetObject
 *		Field i as an object, its own fields read in one pass; unknown ones
 *		are ignored with a warning. *has says whether it was sent.
 */
static bool
GetObject(AbEvent *e, const ObjectFields *f, int i, const char *prefix, bool required,
		  const char *const *names, int nfields, ObjectFields *out, bool *has)
{
	*has = Has(f, i);
	if (!*has)
		return !required || Missing(e, f, i, prefix);
	if (!ReadObject(&f->values[i], names, nfields, out))
		return Check(e, f, i, prefix, psprintf("%s must be an object, not %s",
											   FieldPath(prefix, f->names[i]),
											   JsonTypeName(&f->values[i])));
	if (out->unknown != NULL)
		e->warnings = lappend(e->warnings,
							  psprintf("unknown field(s) %s of %s ignored", out->unknown,
									   FieldPath(prefix, f->names[i])));
	return true;
}

/*
 * GetId
 *		An AB Tasty id: a numeric id of ours sent as a string of digits.
 */
static bool
GetId(AbEvent *e, const ObjectFields *f, int i, int64 *id)
{
	const char *s;
	int			len;

	if (!GetString(e, f, i, NULL, true, 64, &s, &len))
		return false;
	*id = 0;
	for (int c = 0; c < len; c++)
	{
		if (s[c] < '0' || s[c] > '9' || c >= 18)
			return Check(e, f, i, NULL,
						 psprintf("%s must be a string of at most 18 digits such as \"355385\", not \"%s\"",
								  f->names[i], ShownInput(s, len)));
		*id = *id * 10 + (s[c] - '0');
	}
	return true;
}

/*
 * ReadIp
 *		An IPv4 or IPv6 address of a device, as inet accepts it (checked
 *		here, so that storing it cannot fail).
 */
static char *
ReadIp(const JsonbValue *v, char **ip)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char	   *s;

	if (v->type != jbvString)
		return psprintf("tracking_data.ip must be a string, not %s", JsonTypeName(v));
	s = pnstrdup(v->val.string.val, Min(v->val.string.len, 64));
	if (v->val.string.len > 45 || strlen(s) != (size_t) v->val.string.len ||
		(inet_pton(AF_INET, s, buf) != 1 && inet_pton(AF_INET6, s, buf) != 1))
		return psprintf("tracking_data.ip must be an IPv4 or IPv6 address such as 87.200.72.165, not \"%s\"",
						ShownInput(v->val.string.val, v->val.string.len));
	*ip = s;
	return NULL;
}

/*
 * ReadGeolocation
 *		tracking_data.geolocation, which the seed's samples send but its
 *		tables do not define: kept when it is {"lat": -90..90, "long":
 *		-180..180}, otherwise ignored with a warning (the event stays good).
 */
static void
ReadGeolocation(AbEvent *e, const JsonbValue *v)
{
	ObjectFields g;
	double		lat,
				lon;
	char	   *problem = NULL;

	if (!ReadObject(v, geolocation_fields, lengthof(geolocation_fields), &g))
		problem = "it is not an object";
	else if (!Has(&g, 0) || !Has(&g, 1))
		problem = "it needs lat and long";
	else if (g.values[0].type != jbvNumeric || g.values[1].type != jbvNumeric ||
			 ReadFloat(&g.values[0], NULL, "lat", &lat) != NULL ||
			 ReadFloat(&g.values[1], NULL, "long", &lon) != NULL)
		problem = "lat and long must be finite numbers";
	else if (lat < -90 || lat > 90 || lon < -180 || lon > 180)
		problem = "lat must be in [-90, 90] and long in [-180, 180]";
	if (problem != NULL)
	{
		e->warnings = lappend(e->warnings,
							  psprintf("tracking_data.geolocation ignored: %s", problem));
		return;
	}
	if (g.unknown != NULL)
		e->warnings = lappend(e->warnings,
							  psprintf("unknown field(s) %s of tracking_data.geolocation ignored", g.unknown));
	e->tracking.has_geolocation = true;
	e->tracking.latitude = lat;
	e->tracking.longitude = lon;
}

/*
 * ReadTracking
 *		The tracking_data argument, as the seed requires it: visitor_id,
 *		device_type from the seed's list and origin; optional ISO-8601
 *		timestamp with an offset and IP address.
 */
static bool
ReadTracking(AbEvent *e, int arg)
{
	ObjectFields f;
	Tracking   *t = &e->tracking;
	const char *device;
	int			device_len;
	bool		has;

	if (!GetObject(e, &e->args, arg, NULL, true, tracking_fields, lengthof(tracking_fields), &f, &has))
		return false;
	/* its limit is in bytes, as enrolment units': no count of characters */
	if (!GetString(e, &f, TD_VISITOR_ID, "tracking_data", true, INT_MAX,
				   &t->visitor_id, &t->visitor_len))
		return false;
	if (t->visitor_len > MAX_UID_CHARS)
		return Check(e, &f, TD_VISITOR_ID, "tracking_data",
					 psprintf("tracking_data.visitor_id is %d bytes long; the limit is %d bytes",
							  t->visitor_len, MAX_UID_CHARS));
	if (!GetString(e, &f, TD_DEVICE_TYPE, "tracking_data", true, 64, &device, &device_len))
		return false;
	t->device_type = NULL;
	for (int i = 0; i < (int) lengthof(device_types); i++)
		if (strlen(device_types[i]) == (size_t) device_len &&
			memcmp(device_types[i], device, device_len) == 0)
			t->device_type = device_types[i];
	if (t->device_type == NULL)
		return Check(e, &f, TD_DEVICE_TYPE, "tracking_data",
					 psprintf("tracking_data.device_type must be one of DESKTOP, MOBILE_PHONE, TABLET, CAMERA, TV, GAMES_CONSOLE, PAYMENT_TERMINAL, WRISTWATCH, OTHER, not \"%s\"",
							  ShownInput(device, device_len)));
	if (!GetString(e, &f, TD_ORIGIN, "tracking_data", true, max_string_chars, &t->origin, &t->origin_len))
		return false;
	t->at = e->now;
	if (Has(&f, TD_TIMESTAMP))
	{
		TimestampTz at;

		if (!Check(e, &f, TD_TIMESTAMP, "tracking_data",
				   ReadIsoTime(&f.values[TD_TIMESTAMP], "tracking_data", "timestamp", &at)))
			return false;
		if (at > e->now + (int64) max_future_skew_s * USECS_PER_SEC)
			e->warnings = lappend(e->warnings,
								  psprintf("tracking_data.timestamp %s is more than %d s after the time of receipt; stored at the time of receipt %s",
										   FormatTime(at), max_future_skew_s, FormatTime(e->now)));
		else
			t->at = at;
	}
	t->ip = NULL;
	if (Has(&f, TD_IP) && !Check(e, &f, TD_IP, "tracking_data", ReadIp(&f.values[TD_IP], &t->ip)))
		return false;
	t->has_geolocation = false;
	if (Has(&f, TD_GEOLOCATION))
		ReadGeolocation(e, &f.values[TD_GEOLOCATION]);
	return true;
}

/*
 * StartEvent
 *		An event of the caller's tenant (a server error without one) whose
 *		fields are the keys names; size is the bytes of JSON sent, refused
 *		over experiments.max_batch_size.
 */
static void
StartEvent(AbEvent *e, const char *source, const char *const *names, int nargs, Size size)
{
	memset(e, 0, sizeof(*e));
	RequireTenant(&e->tenant);
	e->source = source;
	e->now = GetCurrentTransactionStartTimestamp();
	e->args.nfields = nargs;
	e->args.names = names;
	e->size = size;
	if (size > (Size) max_batch_kb * 1024)
		Refuse(e, CODE_INVALID_ARGUMENT, "body",
			   psprintf("the event is %zu bytes of JSON, more than experiments.max_batch_size (%d kB)",
						size, max_batch_kb));
}

/*
 * ReadArguments
 *		An event from the arguments of its SQL function, one per key of the
 *		body (of the first PG_NARGS() keys).
 */
static void
ReadArguments(FunctionCallInfo fcinfo, AbEvent *e, const char *source, const char *const *names,
			  int nargs)
{
	Size		size = 0;

	for (int i = 0; i < PG_NARGS(); i++)
		if (!PG_ARGISNULL(i))
			size += VARSIZE_ANY_EXHDR(PG_GETARG_JSONB_P(i));
	StartEvent(e, source, names, nargs, size);
	for (int i = 0; i < PG_NARGS(); i++)
	{
		if (PG_ARGISNULL(i))
			continue;
		JsonbRootValue(PG_GETARG_JSONB_P(i), &e->args.values[i]);
		e->args.present[i] = true;
	}
}

/*
 * ReadBody
 *		An event from the request body: a JSON object of the keys names;
 *		other keys are ignored with a warning, as the seed's API does.
 */
static void
ReadBody(Jsonb *body, AbEvent *e, const char *source, const char *const *names, int nargs)
{
	JsonbValue	whole;

	StartEvent(e, source, names, nargs, VARSIZE_ANY_EXHDR(body));
	JsonbRootValue(body, &whole);
	if (!ReadObject(&whole, names, nargs, &e->args))
		Refuse(e, CODE_INVALID_ARGUMENT, "body",
			   psprintf("the body must be a JSON object, not %s", JsonTypeName(&whole)));
	else if (e->args.unknown != NULL)
		e->warnings = lappend(e->warnings,
							  psprintf("unknown field(s) %s of the body ignored", e->args.unknown));
}

/*
 * SentEvent
 *		The event as sent, for rejected_events: an object of the arguments
 *		given (a JSON null kept as null). NULL when it is too large to keep.
 */
static JsonbValue *
SentEvent(AbEvent *e)
{
	JsonbParseState *state = NULL;
	JsonbValue	key;

	if (e->size > (Size) max_batch_kb * 1024)
		return NULL;
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < e->args.nfields; i++)
	{
		if (!e->args.present[i])
			continue;
		key.type = jbvString;
		key.val.string.val = (char *) e->args.names[i];
		key.val.string.len = strlen(e->args.names[i]);
		pushJsonbValue(&state, WJB_KEY, &key);
		pushJsonbValue(&state, WJB_VALUE, &e->args.values[i]);
	}
	return pushJsonbValue(&state, WJB_END_OBJECT, NULL);
}

/*
 * Put
 *		One value of a buffered row.
 */
static void
Put(EventBuffer *b, int row, int column, Datum value)
{
	b->values[column][row] = value;
	b->nulls[column][row] = false;
}

/*
 * PutText
 *		A string of the document as a text value; nothing when str is NULL.
 */
static void
PutText(EventBuffer *b, int row, int column, const char *str, int len)
{
	if (str != NULL)
		Put(b, row, column, PointerGetDatum(cstring_to_text_with_len(str, len)));
}

/*
 * AddTrackedRow
 *		A row of an AB Tasty table with its tracking columns filled in.
 */
static int
AddTrackedRow(AbEvent *e, EventBuffer *b, EventTable *table)
{
	Tracking   *t = &e->tracking;
	int			row;

	EventBufferInit(b, table, 1);
	row = EventBufferAddRow(b);
	PutText(b, row, TRK_VISITOR_ID, t->visitor_id, t->visitor_len);
	Put(b, row, TRK_DEVICE_TYPE, CStringGetTextDatum(t->device_type));
	PutText(b, row, TRK_ORIGIN, t->origin, t->origin_len);
	Put(b, row, TRK_OCCURRED_AT, TimestampTzGetDatum(t->at));
	if (t->ip != NULL)
		Put(b, row, TRK_IP, DirectFunctionCall1(inet_in, CStringGetDatum(t->ip)));
	if (t->has_geolocation)
	{
		Put(b, row, TRK_LATITUDE, Float8GetDatum(t->latitude));
		Put(b, row, TRK_LONGITUDE, Float8GetDatum(t->longitude));
	}
	return row;
}

/*
 * IdempotencyKey
 *		The key a client sent with the event: the setting
 *		experiments.idempotency_key (SQL callers), else the HTTP header
 *		Idempotency-Key (PostgREST's request.headers); NULL when none.
 */
static const char *
IdempotencyKey(void)
{
	const char *headers;
	Jsonb	   *doc;
	JsonbValue *v;

	if (event_idempotency_key != NULL && event_idempotency_key[0] != '\0')
		return event_idempotency_key;
	headers = GetConfigOption("request.headers", true, false);
	if (headers == NULL || headers[0] != '{')
		return NULL;
	doc = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(headers)));
	v = getKeyJsonValueFromContainer(&doc->root, "idempotency-key", 15, NULL);
	if (v == NULL || v->type != jbvString || v->val.string.len == 0)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * BeginStore
 *		SPI as the tables' owner (BeginTableWork), for the catalog checks
 *		that need the database and for the inserts; then the event's
 *		idempotency key, when it has one, is claimed (ClaimKey). Returns
 *		false when the key was sent before: e->replay is then the answer
 *		given, and nothing is stored again.
 */
static bool
BeginStore(AbEvent *e, TableWork *work)
{
	const char *key = IdempotencyKey();

	RequireWritable("events");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	BeginTableWork(work);
	if (key != NULL)
	{
		char	   *scoped = psprintf("%s%c%s", e->source, '\0', key);
		Size		len = strlen(e->source) + 1 + strlen(key);

		e->key_id = ClaimKey(&e->tenant, KeyDigest(scoped, len, KEY_SEED_EVENT_KEY), &e->replay);
		if (e->key_id == 0 && e->replay == NULL)
			elog(ERROR, "the idempotency key of an event was claimed without an answer");
	}
	return e->replay == NULL;
}

/*
 * AbTastyStatus
 *		Sets PostgREST's response.status to the HTTP status of an AB Tasty
 *		error code (as the gRPC gateway maps them); returns the code's label.
 */
static const char *
AbTastyStatus(int code)
{
	/* the seed's table of codes (its 8 is spelled RessourceExhausted) */
	static const char *const labels[] = {
		"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
		"AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted",
		"OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"
	};
	static const char *const statuses[] = {
		"200", "499", "500", "400", "504", "404", "409", "403", "429", "400", "409", "400", "501",
		"500", "503", "500", "401"
	};

	if (code < 1 || code >= (int) lengthof(labels))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("AB Tasty error code %d does not exist", code),
				 errdetail("The codes of errors are 1 to 16.")));
	(void) set_config_option("response.status", statuses[code], PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	return labels[code];
}

/*
 * AbTastyError
 *		AB Tasty's error document {"code": <code>, "message": "<label>:
 *		<message>"}, with PostgREST's response.status set to the HTTP status
 *		of the code (as the gRPC gateway maps them) for the transaction.
 */
Jsonb *
AbTastyError(int code, const char *message)
{
	const char *label = AbTastyStatus(code);
	JsonbParseState *state = NULL;
	JsonbValue	v;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	v.type = jbvString;
	v.val.string.val = "code";
	v.val.string.len = 4;
	pushJsonbValue(&state, WJB_KEY, &v);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(code);
	pushJsonbValue(&state, WJB_VALUE, &v);
	v.type = jbvString;
	v.val.string.val = "message";
	v.val.string.len = 7;
	pushJsonbValue(&state, WJB_KEY, &v);
	v.val.string.val = psprintf("%s: %s", label, message);
	v.val.string.len = strlen(v.val.string.val);
	pushJsonbValue(&state, WJB_VALUE, &v);
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
}

/*
 * Answer
 *		Stores the rejection of a refused event, or the buffered rows of an
 *		accepted one, leaves SPI, and forms the answer: {} or {"warnings":
 *		[...]} on success; AB Tasty's {"code", "message"} with PostgREST's
 *		response.status set when refused. The answer is kept for the event's
 *		idempotency key; an event sent before with its key stores nothing
 *		and gets the answer kept (e->replay), its status set again.
 */
static Datum
Answer(AbEvent *e, TableWork *work, EventBuffer *rows, int nrows)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;
	Jsonb	   *answer;

	if (e->replay != NULL)
	{
		JsonbValue *code = getKeyJsonValueFromContainer(&e->replay->root, "code", 4, NULL);

		if (code != NULL && code->type == jbvNumeric)
			AbTastyStatus(DatumGetInt32(DirectFunctionCall1(numeric_int4,
															NumericGetDatum(code->val.numeric))));
		answer = e->replay;
	}
	else if (e->code != 0)
	{
		EventBuffer rejected;

		EventBufferInit(&rejected, &rejected_events_table, 1);
		BufferRejected(&rejected, e->source, -1, -1, e->subject, e->message, SentEvent(e));
		EventBufferInsert(&rejected, &e->tenant, 0);
		answer = AbTastyError(e->code, e->message);
	}
	else
	{
		for (int i = 0; i < nrows; i++)
			EventBufferInsert(&rows[i], &e->tenant, 0);
		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		if (e->warnings != NIL)
		{
			ListCell   *lc;

			v.type = jbvString;
			v.val.string.val = "warnings";
			v.val.string.len = 8;
			pushJsonbValue(&state, WJB_KEY, &v);
			pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
			foreach(lc, e->warnings)
			{
				v.val.string.val = lfirst(lc);
				v.val.string.len = strlen(v.val.string.val);
				pushJsonbValue(&state, WJB_ELEM, &v);
			}
			pushJsonbValue(&state, WJB_END_ARRAY, NULL);
		}
		answer = JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
	}
	if (e->key_id != 0)
		SaveAnswer(e->key_id, answer);
	EndTableWork(work);
	answer = (Jsonb *) SPI_datumTransfer(JsonbPGetDatum(answer), false, -1);
	SPI_finish();
	PG_RETURN_JSONB_P(answer);
}

/*
 * Enrol
 *		Once seen, the variation is stored for the visitor (the AB Tasty document): the
 *		visitor is enrolled in it for the period of the event unless already
 *		enrolled, by the one writer of enrolments (record_enrolment() in
 *		src/assign/assign.sql); the ordinal enrolled in is returned either way.
 *		A campaign deleted meanwhile by another transaction is an error.
 */
static int32
Enrol(AbEvent *e, const ExperimentConfig *config, int32 ordinal)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[4] = {INT8OID, TEXTOID, INT8OID, INT4OID};
	Datum		args[4];
	Datum		enrolled;
	bool		isnull;

	if (plan == NULL)
	{
		plan = SPI_prepare("SELECT enrolled_ordinal FROM experiments_internal.record_enrolment($1, $2, $3, $4, 'activation')",
						   4, types);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the enrolment of an activation");
	}
	args[0] = Int64GetDatum(config->id);
	args[1] = PointerGetDatum(cstring_to_text_with_len(e->tracking.visitor_id, e->tracking.visitor_len));
	args[2] = Int64GetDatum(ResetPeriod(config, e->tracking.at));
	args[3] = Int32GetDatum(ordinal);
	if (SPI_execute_plan(plan, args, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not enrol a visitor");
	enrolled = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	/* No ordinal: another transaction deleted the campaign since its lookup. */
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign " INT64_FORMAT " does not exist", config->id),
				 errdetail("Another transaction deleted the campaign while the activation was recorded."),
				 errhint("Send the event again: a campaign that does not exist is refused with its code.")));
	return DatumGetInt32(enrolled);
}

/*
 * CampaignActivated
 *		A visitor saw a variation: stored, and the visitor enrolled in it
 *		unless already enrolled in another (stored with a warning then).
 */
static Datum
CampaignActivated(AbEvent *e)
{
	int64		campaign = 0,
				variation = 0;
	ExperimentConfig *config = NULL;
	const VariantConfig *variant = NULL;
	EventBuffer row;
	int			r;
	TableWork	work;
	int32		enrolled = -1;

	if (e->code == 0 && GetId(e, &e->args, ARG_CAMPAIGN, &campaign) &&
		GetId(e, &e->args, ARG_VARIATION, &variation) && ReadTracking(e, ARG_CA_TRACKING))
	{
		config = LookupExperimentById(&e->tenant, campaign);
		if (!config->exists)
			Refuse(e, CODE_NOT_FOUND, "campaign_id",
				   psprintf("campaign_id: campaign " INT64_FORMAT " does not exist", campaign));
		else
		{
			for (int i = 0; i < config->nvariants; i++)
				if (config->variants[i].id == variation)
					variant = &config->variants[i];
			if (variant == NULL)
				Refuse(e, CODE_NOT_FOUND, "variation_id",
					   psprintf("variation_id: campaign " INT64_FORMAT " has no variation " INT64_FORMAT,
								campaign, variation));
			else if (!config->has_started)
				Refuse(e, CODE_FAILED_PRECONDITION, "campaign_id",
					   psprintf("campaign_id: campaign " INT64_FORMAT " has not started", campaign));
			else if (e->tracking.at < config->started)
				Refuse(e, CODE_INVALID_ARGUMENT, "tracking_data.timestamp",
					   psprintf("tracking_data.timestamp %s is before campaign " INT64_FORMAT " started, at %s",
								FormatTime(e->tracking.at), campaign, FormatTime(config->started)));
		}
	}

	if (BeginStore(e, &work) && e->code == 0)
	{
		enrolled = Enrol(e, config, variant->ordinal);
		if (enrolled != variant->ordinal)
		{
			const VariantConfig *other = VariantByOrdinal(config, enrolled);

			e->warnings = lappend(e->warnings,
								 psprintf("visitor \"%s\" is enrolled in variation " INT64_FORMAT " of campaign " INT64_FORMAT ", not " INT64_FORMAT "; the activation is stored and the enrolment kept",
										  ShownInput(e->tracking.visitor_id, e->tracking.visitor_len),
										  other != NULL ? other->id : (int64) -1, campaign, variation));
		}
		r = AddTrackedRow(e, &row, &activations_table);
		Put(&row, r, CA_EXPERIMENT, Int64GetDatum(config->id));
		Put(&row, r, CA_VARIANT, Int64GetDatum(variant->id));
		Put(&row, r, CA_ORDINAL, Int32GetDatum(variant->ordinal));
		Put(&row, r, CA_ENROLLED, Int32GetDatum(enrolled));
	}
	return Answer(e, &work, &row, 1);
}

/*
 * ReadNameAndValue
 *		name, and the optional value_string and value_integer, of an action
 *		or custom event, into the row's NV_ columns.
 */
static bool
ReadNameAndValue(AbEvent *e, EventBuffer *b, int row, int name_arg, int string_arg, int integer_arg)
{
	const char *s;
	int			len;
	int64		n;
	bool		has;

	if (!GetString(e, &e->args, name_arg, NULL, true, max_string_chars, &s, &len))
		return false;
	PutText(b, row, NV_NAME, s, len);
	if (!GetString(e, &e->args, string_arg, NULL, false, max_string_chars, &s, &len))
		return false;
	PutText(b, row, NV_VALUE_STRING, s, len);
	if (!GetInteger(e, &e->args, integer_arg, NULL, false, PG_INT64_MIN, PG_INT64_MAX, &n, &has))
		return false;
	if (has)
		Put(b, row, NV_VALUE_INTEGER, Int64GetDatum(n));
	return true;
}

/*
 * ReadPair
 *		position {x, y} or resolution {width, height}: an optional object
 *		whose two integers are required.
 */
static bool
ReadPair(AbEvent *e, int arg, const char *const *names, int64 min, EventBuffer *b, int row,
		 int column)
{
	ObjectFields f;
	bool		has;
	int64		n;

	if (!GetObject(e, &e->args, arg, NULL, false, names, 2, &f, &has))
		return false;
	if (!has)
		return true;
	for (int i = 0; i < 2; i++)
	{
		if (!GetInteger(e, &f, i, e->args.names[arg], true, min, PG_INT32_MAX, &n, &has))
			return false;
		Put(b, row, column + i, Int32GetDatum((int32) n));
	}
	return true;
}

/*
 * ActionTracking
 *		A click or touch.
 */
static Datum
ActionTracking(AbEvent *e)
{
	EventBuffer row;
	int			r = 0;
	const char *type;
	int			type_len;
	TableWork	work;

	if (e->code == 0 && ReadTracking(e, ARG_AC_TRACKING))
	{
		r = AddTrackedRow(e, &row, &actions_table);
		if (ReadNameAndValue(e, &row, r, ARG_AC_NAME, ARG_AC_VALUE_STRING, ARG_AC_VALUE_INTEGER) &&
			GetString(e, &e->args, ARG_TYPE, NULL, true, 16, &type, &type_len))
		{
			if ((type_len != 5 || memcmp(type, "CLICK", 5) != 0) &&
				(type_len != 5 || memcmp(type, "TOUCH", 5) != 0))
				Check(e, &e->args, ARG_TYPE, NULL,
					  psprintf("type must be CLICK or TOUCH, not \"%s\"", ShownInput(type, type_len)));
			else
			{
				PutText(&row, r, AC_TYPE, type, type_len);
				if (ReadPair(e, ARG_POSITION, position_fields, PG_INT32_MIN, &row, r, AC_POSITION_X))
					ReadPair(e, ARG_RESOLUTION, resolution_fields, 1, &row, r, AC_RESOLUTION_WIDTH);
			}
		}
	}
	(void) BeginStore(e, &work);
	return Answer(e, &work, &row, 1);
}

/*
 * TrackedEvent
 *		An event that is its tracking data and, when name_arg >= 0, a name
 *		with an optional string or integer value: custom and visit events.
 */
static Datum
TrackedEvent(AbEvent *e, EventTable *table, int tracking_arg, int name_arg, int string_arg,
			 int integer_arg)
{
	EventBuffer row;
	int			r;
	TableWork	work;

	if (e->code == 0 && ReadTracking(e, tracking_arg))
	{
		r = AddTrackedRow(e, &row, table);
		if (name_arg >= 0)
			ReadNameAndValue(e, &row, r, name_arg, string_arg, integer_arg);
	}
	(void) BeginStore(e, &work);
	return Answer(e, &work, &row, 1);
}

/*
 * Custom
 *		A business event with an optional value.
 */
static Datum
Custom(AbEvent *e)
{
	return TrackedEvent(e, &custom_events_table, ARG_CU_TRACKING, ARG_CU_NAME, ARG_CU_VALUE_STRING,
						ARG_CU_VALUE_INTEGER);
}

/*
 * Visit
 *		A page visit.
 */
static Datum
Visit(AbEvent *e)
{
	return TrackedEvent(e, &visits_table, 0, -1, -1, -1);
}

/*
 * ReadItem
 *		One product of a transaction, buffered as a transaction_items row.
 *		tax_rate is also accepted as "tax-rate", the spelling of the seed's
 *		sample; sending both is refused.
 */
static bool
ReadItem(AbEvent *e, const JsonbValue *item, int index, const char *id, int id_len,
		 EventBuffer *items)
{
	ObjectFields f;
	char		prefix[32];
	const char *s;
	int			len;
	int64		n;
	double		rate;
	bool		has;
	int			row;

	snprintf(prefix, sizeof(prefix), "items[%d]", index);
	if (!ReadObject(item, item_fields, lengthof(item_fields), &f))
		return Refuse(e, CODE_INVALID_ARGUMENT, prefix, psprintf("%s must be an object", prefix));
	if (f.unknown != NULL)
		e->warnings = lappend(e->warnings,
							  psprintf("unknown field(s) %s of %s ignored", f.unknown, prefix));
	row = EventBufferAddRow(items);
	PutText(items, row, TI_TRANSACTION, id, id_len);
	Put(items, row, TI_INDEX, Int32GetDatum(index));
	Put(items, row, TI_OCCURRED_AT, TimestampTzGetDatum(e->tracking.at));
	if (!GetString(e, &f, IT_NAME, prefix, true, max_string_chars, &s, &len))
		return false;
	PutText(items, row, TI_NAME, s, len);
	if (!GetInteger(e, &f, IT_PRICE, prefix, true, 0, PG_INT64_MAX, &n, &has))
		return false;
	Put(items, row, TI_PRICE, Int64GetDatum(n));
	if (!GetString(e, &f, IT_SKU, prefix, false, max_string_chars, &s, &len))
		return false;
	PutText(items, row, TI_SKU, s, len);
	if (!GetString(e, &f, IT_CATEGORY, prefix, false, max_string_chars, &s, &len))
		return false;
	PutText(items, row, TI_CATEGORY, s, len);
	if (!GetInteger(e, &f, IT_QUANTITY, prefix, false, 1, PG_INT32_MAX, &n, &has))
		return false;
	if (has)
		Put(items, row, TI_QUANTITY, Int32GetDatum((int32) n));
	if (!GetInteger(e, &f, IT_TAX_AMOUNT, prefix, false, 0, PG_INT64_MAX, &n, &has))
		return false;
	if (has)
		Put(items, row, TI_TAX_AMOUNT, Int64GetDatum(n));
	if (Has(&f, IT_TAX_RATE) && Has(&f, IT_TAX_RATE_DASH))
		return Check(e, &f, IT_TAX_RATE, prefix,
					 psprintf("%s has both tax_rate and tax-rate; send one", prefix));
	if (!GetFloat(e, &f, Has(&f, IT_TAX_RATE_DASH) ? IT_TAX_RATE_DASH : IT_TAX_RATE, prefix, false,
				  0, &rate, &has))
		return false;
	if (has)
		Put(items, row, TI_TAX_RATE, Float8GetDatum(rate));
	return true;
}

/*
 * ReadTransaction
 *		The fields of a transaction event other than tracking_data, into the
 *		transaction's row and its items' rows.
 */
static bool
ReadTransaction(AbEvent *e, EventBuffer *tx, int row, EventBuffer *items)
{
	const ObjectFields *a = &e->args;
	ObjectFields currency;
	const char *id,
			   *s;
	int			id_len,
				len;
	int64		n;
	double		rate;
	bool		has;

	if (!GetString(e, a, ARG_TX_NAME, NULL, true, max_string_chars, &s, &len))
		return false;
	PutText(tx, row, TX_NAME, s, len);
	if (!GetString(e, a, ARG_ID, NULL, true, max_string_chars, &id, &id_len))
		return false;
	PutText(tx, row, TX_ID, id, id_len);
	/* the seed: "If no value is passed, the revenue [shipping] will be 0" */
	for (int arg = ARG_REVENUE; arg <= ARG_SHIPPING; arg++)
	{
		if (!GetInteger(e, a, arg, NULL, false, 0, PG_INT64_MAX, &n, &has))
			return false;
		if (!has)
		{
			n = 0;
			e->warnings = lappend(e->warnings,
								  psprintf("%s is missing; stored as 0, as the seed says", a->names[arg]));
		}
		Put(tx, row, arg == ARG_REVENUE ? TX_REVENUE : TX_SHIPPING, Int64GetDatum(n));
	}
	if (!GetInteger(e, a, ARG_TAX_TOTAL, NULL, false, 0, PG_INT64_MAX, &n, &has))
		return false;
	if (has)
		Put(tx, row, TX_TAX_TOTAL, Int64GetDatum(n));
	if (!GetString(e, a, ARG_PAYMENT_METHOD, NULL, false, max_string_chars, &s, &len))
		return false;
	PutText(tx, row, TX_PAYMENT_METHOD, s, len);
	if (!GetObject(e, a, ARG_CURRENCY, NULL, false, currency_fields, 2, &currency, &has))
		return false;
	if (has)
	{
		if (!GetString(e, &currency, 0, "currency", true, 64, &s, &len) ||
			!GetFloat(e, &currency, 1, "currency", true, 0, &rate, &has))
			return false;
		if (rate <= 0)
			return Check(e, &currency, 1, "currency",
						 psprintf("currency.rate must be greater than 0, not %g", rate));
		PutText(tx, row, TX_CURRENCY, s, len);
		Put(tx, row, TX_CURRENCY_RATE, Float8GetDatum(rate));
	}

	EventBufferInit(items, &items_table, 4);
	if (Has(a, ARG_ITEMS))
	{
		const JsonbValue *v = &a->values[ARG_ITEMS];
		JsonbIterator *it;
		JsonbIteratorToken tok;
		JsonbValue	item;
		int			index = 0;

		if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
			return Check(e, a, ARG_ITEMS, NULL, psprintf("items must be an array, not %s", JsonTypeName(v)));
		if (JsonContainerSize(v->val.binary.data) > (uint32) max_events_per_request)
			return Check(e, a, ARG_ITEMS, NULL,
						 psprintf("items has %u elements, more than experiments.max_events_per_request (%d)",
								  JsonContainerSize(v->val.binary.data), max_events_per_request));
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
			if (tok == WJB_ELEM && !ReadItem(e, &item, index++, id, id_len, items))
				return false;
	}
	if (Has(a, ARG_ITEMS_COUNT) && Has(a, ARG_ITEM_COUNT))
		return Check(e, a, ARG_ITEM_COUNT, NULL,
					 pstrdup("item_count and items_count are one field spelled two ways; send one"));
	if (!GetInteger(e, a, Has(a, ARG_ITEM_COUNT) ? ARG_ITEM_COUNT : ARG_ITEMS_COUNT, NULL, false, 0,
					PG_INT32_MAX, &n, &has))
		return false;
	if (has || Has(a, ARG_ITEMS))
		Put(tx, row, TX_ITEMS_COUNT, Int32GetDatum(has ? (int32) n : items->nrows));
	return true;
}

/*
 * TransactionClaimed
 *		Whether the tenant's transaction of this id was stored before. The id
 *		is claimed as an idempotency key (ClaimKey): of two events with one
 *		id, concurrent or not, under any isolation level, one unique index
 *		lets one claim it. Transactions stored before 0.2.0 have no claim and
 *		are looked up; the claim, made first, makes a concurrent event with
 *		the same id wait, so that lookup finds only committed rows.
 */
static bool
TransactionClaimed(AbEvent *e, Datum id)
{
	static SPIPlanPtr plan = NULL;
	text	   *t = DatumGetTextPP(id);
	Jsonb	   *unused;
	Datum		args[2] = {UUIDPGetDatum(&e->tenant), id};

	if (ClaimKey(&e->tenant, KeyDigest(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), KEY_SEED_TRANSACTION),
				 &unused) == 0)
		return true;
	if (plan == NULL)
	{
		Oid			types[2] = {UUIDOID, TEXTOID};

		plan = SPI_prepare("SELECT FROM experiments.transactions t"
						   " WHERE t.tenant_id = $1 AND t.transaction_id = $2 LIMIT 1", 2, types);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the transaction id check");
	}
	if (SPI_execute_plan(plan, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not check a transaction id");
	return SPI_processed > 0;
}

/*
 * Transaction
 *		A purchase and its items, stored together or not at all, once per
 *		transaction id.
 */
static Datum
Transaction(AbEvent *e)
{
	EventBuffer rows[2];
	int			r;
	TableWork	work;

	if (e->code == 0 && ReadTracking(e, ARG_TX_TRACKING))
	{
		r = AddTrackedRow(e, &rows[0], &transactions_table);
		ReadTransaction(e, &rows[0], r, &rows[1]);
	}
	if (BeginStore(e, &work) && e->code == 0 && TransactionClaimed(e, rows[0].values[TX_ID][0]))
		Refuse(e, CODE_ALREADY_EXISTS, "id",
			   psprintf("id: transaction \"%s\" was already stored",
						TextDatumGetCString(rows[0].values[TX_ID][0])));
	return Answer(e, &work, rows, 2);
}

/* An event endpoint: the body's keys, where a refusal is recorded, and what stores it. */
typedef struct EventKind
{
	const char *endpoint;		/* experiments_api.<endpoint>(), experiments.<endpoint>() */
	const char *source;			/* rejected_events.source */
	const char *const *args;	/* the body's keys */
	int			nargs;
	Datum		(*store) (AbEvent *e);
} EventKind;

static const EventKind event_kinds[] = {
	{"campaign_activated_event", "campaign_activated", activation_args, lengthof(activation_args),
	CampaignActivated},
	{"action_tracking_event", "action_tracking", action_args, lengthof(action_args), ActionTracking},
	{"custom_event", "custom", custom_args, lengthof(custom_args), Custom},
	{"transaction_event", "transaction", transaction_args, lengthof(transaction_args), Transaction},
	{"visit_event", "visit", visit_args, lengthof(visit_args), Visit}
};
enum
{
	EV_CAMPAIGN_ACTIVATED, EV_ACTION_TRACKING, EV_CUSTOM, EV_TRANSACTION, EV_VISIT
};

/*
 * FromArguments
 *		The event of the SQL function called, from its arguments.
 */
static Datum
FromArguments(FunctionCallInfo fcinfo, const EventKind *kind)
{
	AbEvent		e;

	ReadArguments(fcinfo, &e, kind->source, kind->args, kind->nargs);
	return kind->store(&e);
}

/*
 * campaign_activated_event(campaign_id, variation_id, tracking_data) returns jsonb
 */
Datum
campaign_activated_event(PG_FUNCTION_ARGS)
{
	return FromArguments(fcinfo, &event_kinds[EV_CAMPAIGN_ACTIVATED]);
}

/*
 * action_tracking_event(name, type, tracking_data, value_string,
 *		value_integer, position, resolution) returns jsonb
 */
Datum
action_tracking_event(PG_FUNCTION_ARGS)
{
	return FromArguments(fcinfo, &event_kinds[EV_ACTION_TRACKING]);
}

/*
 * custom_event(name, tracking_data, value_string, value_integer) returns jsonb
 */
Datum
custom_event(PG_FUNCTION_ARGS)
{
	return FromArguments(fcinfo, &event_kinds[EV_CUSTOM]);
}

/*
 * transaction_event(name, id, revenue, shipping, tracking_data, tax_total,
 *		payment_method, items_count, currency, items) returns jsonb
 */
Datum
transaction_event(PG_FUNCTION_ARGS)
{
	return FromArguments(fcinfo, &event_kinds[EV_TRANSACTION]);
}

/*
 * visit_event(tracking_data) returns jsonb
 */
Datum
visit_event(PG_FUNCTION_ARGS)
{
	return FromArguments(fcinfo, &event_kinds[EV_VISIT]);
}

/*
 * abtasty_event(endpoint text, body jsonb) returns jsonb
 *		The event of an HTTP endpoint, from the whole request body.
 */
Datum
abtasty_event(PG_FUNCTION_ARGS)
{
	char	   *endpoint = text_to_cstring(PG_GETARG_TEXT_PP(0));
	AbEvent		e;

	for (int i = 0; i < (int) lengthof(event_kinds); i++)
	{
		const EventKind *kind = &event_kinds[i];

		if (strcmp(kind->endpoint, endpoint) != 0)
			continue;
		ReadBody(PG_GETARG_JSONB_P(1), &e, kind->source, kind->args, kind->nargs);
		return kind->store(&e);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("\"%s\" is not an AB Tasty event endpoint", endpoint),
			 errhint("The endpoints are campaign_activated_event, action_tracking_event, custom_event, transaction_event and visit_event.")));
	PG_RETURN_NULL();
}

/*
 * abtasty_error(code integer, message text) returns jsonb
 *		AbTastyError() for the SQL endpoints' refusals.
 */
Datum
abtasty_error(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(AbTastyError(PG_GETARG_INT32(0), text_to_cstring(PG_GETARG_TEXT_PP(1))));
}
