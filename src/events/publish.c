/*
 * publish.c
 *		experiments.publish(): a batch of exposures, goals and attributes in
 *		the shape of ABsmartly's PUT /context/batch (the ABsmartly document).
 *
 * One pass over the binary jsonb checks every request and event, looks
 * experiments up in the per-backend configuration cache, and buffers the
 * valid rows and the refused events; then one insert per table stores them.
 * The answer lists an error for every refused event and a warning for every
 * event stored with a remark, each with batchIndex (the request), eventIndex
 * (the event in its array, -1 for the request itself) and subject (where).
 * A batch that breaks the seed's schema (1 to 500 requests, each with units
 * whose uids have 1 to 640 characters and at most 128 exposures) or a size
 * setting is refused whole: an error, and nothing stored. publish() raises
 * it as a SQL error; publish_answer(), for the HTTP endpoint, as PT400 or
 * PT413 with the seed's {ok, warnings, errors} document as its detail.
 *
 * Longer than the usual 800 lines: the validators of requests, units and
 * events are one pass sharing this file's static state (Publish, Request);
 * the field readers they share are in event_input.c.
 */
#include "events.h"

#include <xxhash.h>

#include "access/detoast.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_FUNCTION_INFO_V1(publish);
PG_FUNCTION_INFO_V1(publish_answer);
PG_FUNCTION_INFO_V1(publish_text);

/* Most errors, and most warnings, an answer lists. */
#define MAX_LISTED_ISSUES 1000

typedef struct Issue
{
	int			batch_index;
	int			event_index;
	char	   *subject;
	char	   *message;
} Issue;

typedef struct Unit
{
	const char *type;
	int			type_len;
	Datum		type_text;		/* type as a text datum, made once per unit */
	Datum		uid;			/* text, hashed when the request says so */
} Unit;

/* What the events of one request share. */
typedef struct Request
{
	int			index;
	int			nunits;
	Unit	   *units;
	TimestampTz reference;		/* publishedAt, or the time of receipt */
	bool		historic;
	char	   *problem;		/* the request's events are refused: why */
} Request;

typedef struct Publish
{
	bool		api_document;	/* refuse a batch in the seed's document */
	pg_uuid_t	tenant;
	TimestampTz now;
	List	   *warnings;
	List	   *errors;
	EventBuffer exposures;
	EventBuffer goals;
	EventBuffer attributes;
	EventBuffer rejected;
} Publish;

/* Columns of the event tables after tenant_id and batch_id. */
enum
{
	EXP_EXPERIMENT, EXP_ORDINAL, EXP_UNIT_TYPE, EXP_UNIT, EXP_EXPOSED_AT, EXP_ASSIGNED,
	EXP_ELIGIBLE, EXP_OVERRIDDEN, EXP_FULL_ON, EXP_CUSTOM, EXP_AUDIENCE_MISMATCH,
	EXP_BATCH_INDEX, EXP_EVENT_INDEX, EXP_NCOLUMNS
};
static const char *const exposure_columns[] = {
	"experiment_id", "ordinal", "unit_type", "unit", "exposed_at", "assigned", "eligible",
	"overridden", "full_on", "custom", "audience_mismatch", "batch_index", "event_index"
};
static const Oid exposure_types[] = {
	INT8OID, INT4OID, TEXTOID, TEXTOID, TIMESTAMPTZOID, BOOLOID, BOOLOID, BOOLOID, BOOLOID,
	BOOLOID, BOOLOID, INT4OID, INT4OID
};
static EventTable exposures_table = {
	"exposures", true, EXP_NCOLUMNS, exposure_columns, exposure_types, NULL
};

/* goal_events and attribute_events share their layout. */
enum
{
	UE_UNIT_TYPE, UE_UNIT, UE_NAME, UE_VALUE, UE_TIME, UE_BATCH_INDEX, UE_EVENT_INDEX, UE_NCOLUMNS
};
static const char *const goal_columns[] = {
	"unit_type", "unit", "goal", "properties", "achieved_at", "batch_index", "event_index"
};
static const char *const attribute_columns[] = {
	"unit_type", "unit", "name", "value", "set_at", "batch_index", "event_index"
};
static const Oid unit_event_types[] = {
	TEXTOID, TEXTOID, TEXTOID, JSONBOID, TIMESTAMPTZOID, INT4OID, INT4OID
};
static EventTable goals_table = {
	"goal_events", true, UE_NCOLUMNS, goal_columns, unit_event_types, NULL
};
static EventTable attributes_table = {
	"attribute_events", true, UE_NCOLUMNS, attribute_columns, unit_event_types, NULL
};

static const char *const batch_fields[] = {"requests"};

static const char *const request_fields[] = {
	"units", "exposures", "goals", "attributes", "hashed", "historic", "publishedAt"
};
enum
{
	REQ_UNITS, REQ_EXPOSURES, REQ_GOALS, REQ_ATTRIBUTES, REQ_HASHED, REQ_HISTORIC, REQ_PUBLISHED_AT
};

static const char *const unit_fields[] = {"type", "uid"};

static const char *const exposure_fields[] = {
	"id", "name", "unit", "variant", "exposedAt", "assigned", "eligible", "overridden",
	"fullOn", "custom", "audienceMismatch"
};
enum
{
	X_ID, X_NAME, X_UNIT, X_VARIANT, X_EXPOSED_AT, X_ASSIGNED, X_ELIGIBLE, X_OVERRIDDEN,
	X_FULL_ON, X_CUSTOM, X_AUDIENCE_MISMATCH
};

static const char *const goal_fields[] = {"name", "achievedAt", "properties"};
static const char *const attribute_fields[] = {"name", "value", "setAt"};

/* The array a request carries events in, and how to check one. */
typedef char *(*EventValidator) (Publish *p, Request *r, int index, const JsonbValue *event,
								 const char *prefix);

/*
 * AddIssue
 *		An error or warning for the answer.
 */
static void
AddIssue(List **list, int batch_index, int event_index, const char *subject, const char *message)
{
	Issue	   *issue = palloc(sizeof(Issue));

	issue->batch_index = batch_index;
	issue->event_index = event_index;
	issue->subject = pstrdup(subject);
	issue->message = pstrdup(message);
	*list = lappend(*list, issue);
}

/*
 * Reject
 *		An event refused: an error in the answer and a row of rejected_events.
 */
static void
Reject(Publish *p, int batch_index, int event_index, const char *subject, const char *message,
	   const JsonbValue *event)
{
	AddIssue(&p->errors, batch_index, event_index, subject, message);
	BufferRejected(&p->rejected, "publish", batch_index, event_index, subject, message, event);
}

/*
 * PushIssues
 *		The warnings or errors array of the answer: the first
 *		MAX_LISTED_ISSUES, then one saying how many more there are, so that
 *		many small bad events cannot make a long answer (each refused event
 *		is in rejected_events all the same).
 */
static void
PushIssues(JsonbParseState **state, const char *key, List *issues)
{
	JsonbValue	v;
	ListCell   *lc;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &v);
	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	if (list_length(issues) > MAX_LISTED_ISSUES)
	{
		Issue	   *more = palloc(sizeof(Issue));

		more->batch_index = -1;
		more->event_index = -1;
		more->subject = "batch";
		more->message = psprintf("%d more %s are not listed; every refused event is in rejected_events",
								 list_length(issues) - MAX_LISTED_ISSUES, key);
		issues = lappend(list_truncate(list_copy(issues), MAX_LISTED_ISSUES), more);
	}
	foreach(lc, issues)
	{
		Issue	   *issue = lfirst(lc);
		const char *names[4] = {"batchIndex", "eventIndex", "subject", "message"};

		pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		for (int i = 0; i < 4; i++)
		{
			v.type = jbvString;
			v.val.string.val = (char *) names[i];
			v.val.string.len = strlen(names[i]);
			pushJsonbValue(state, WJB_KEY, &v);
			if (i < 2)
			{
				v.type = jbvNumeric;
				v.val.numeric = int64_to_numeric(i == 0 ? issue->batch_index : issue->event_index);
			}
			else
			{
				v.val.string.val = i == 2 ? issue->subject : issue->message;
				v.val.string.len = strlen(v.val.string.val);
			}
			pushJsonbValue(state, WJB_VALUE, &v);
		}
		pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

/*
 * Answer
 *		{ok, warnings, errors}: ok is true when every event was stored.
 */
static Jsonb *
Answer(Publish *p)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *result;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	v.type = jbvString;
	v.val.string.val = "ok";
	v.val.string.len = 2;
	pushJsonbValue(&state, WJB_KEY, &v);
	v.type = jbvBool;
	v.val.boolean = p->errors == NIL;
	pushJsonbValue(&state, WJB_VALUE, &v);
	PushIssues(&state, "warnings", p->warnings);
	PushIssues(&state, "errors", p->errors);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(result);
}

/*
 * RefuseBatch
 *		The batch breaks the seed's schema (status 400) or a size setting
 *		(413), and nothing of it is stored: publish() raises a SQL error,
 *		publish_answer() PostgREST's PT<status> with the seed's document
 *		{ok: false, warnings: [], errors: [the problem]} as its detail, which
 *		the endpoint answers.
 */
static void
pg_attribute_noreturn()
RefuseBatch(Publish *p, int status, int batch_index, int event_index, const char *subject,
			const char *message, const char *hint)
{
	if (p->api_document)
	{
		Jsonb	   *document;

		p->warnings = NIL;
		p->errors = NIL;
		AddIssue(&p->errors, batch_index, event_index, subject, message);
		document = Answer(p);
		ereport(ERROR,
				(errcode(status == 413 ? MAKE_SQLSTATE('P', 'T', '4', '1', '3') :
						 MAKE_SQLSTATE('P', 'T', '4', '0', '0')),
				 errmsg_internal("%s", message),
				 errdetail_internal("%s", JsonbToCString(NULL, &document->root, VARSIZE(document)))));
	}
	ereport(ERROR,
			(errcode(status == 413 ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg_internal("%s", message),
			 errdetail("Nothing of the batch was stored."),
			 hint != NULL ? errhint("%s", hint) : 0));
}

/*
 * WarnUnknown
 *		Fields nobody reads are ignored, but said so.
 */
static void
WarnUnknown(Publish *p, Request *r, int event_index, const char *subject, ObjectFields *f)
{
	if (f->unknown != NULL)
		AddIssue(&p->warnings, r->index, event_index, subject,
				 psprintf("unknown field(s) %s ignored", f->unknown));
}

/*
 * EventTime
 *		The time an event is stored at (docs/events.md, "Timestamps"): as sent, or
 *		the request's reference time when it is more than max_future_skew
 *		after it, or more than max_event_age before it in a request that is
 *		not historic; *warning then says so and gives the time as sent.
 */
static TimestampTz
EventTime(Request *r, TimestampTz sent, const char *prefix, const char *field, char **warning)
{
	*warning = NULL;
	if (sent > r->reference + (int64) max_future_skew_s * USECS_PER_SEC)
	{
		*warning = psprintf("%s %s is more than %d s after publishedAt; stored at publishedAt %s",
							FieldPath(prefix, field), FormatTime(sent), max_future_skew_s,
							FormatTime(r->reference));
		return r->reference;
	}
	if (!r->historic && sent < r->reference - (int64) max_event_age_s * USECS_PER_SEC)
	{
		*warning = psprintf("%s %s is more than %d s before publishedAt and the request is not historic; stored at publishedAt %s",
							FieldPath(prefix, field), FormatTime(sent), max_event_age_s,
							FormatTime(r->reference));
		return r->reference;
	}
	return sent;
}

/*
 * ValidateExposure
 *		One exposure: its fields, then the catalog (the experiment exists,
 *		uses the unit type, has the variant, and had started). Returns why
 *		it is refused, or NULL once its row is buffered.
 */
static char *
ValidateExposure(Publish *p, Request *r, int index, const JsonbValue *event, const char *prefix)
{
	ObjectFields f;
	const char *name,
			   *unit_type;
	int			name_len,
				unit_type_len;
	int64		variant,
				id = -1;
	TimestampTz sent,
				at;
	bool		flags[6] = {false, false, false, false, false, false};
	char	   *problem;
	char	   *warning;
	const Unit *unit = NULL;
	ExperimentConfig *config;
	int			row;

	if (!ReadObject(event, exposure_fields, lengthof(exposure_fields), &f))
		return psprintf("%s must be an object", prefix);
	WarnUnknown(p, r, index, prefix, &f);
	if (!f.present[X_NAME])
		return psprintf("%s.name is missing", prefix);
	if ((problem = ReadString(&f.values[X_NAME], prefix, "name", max_string_chars,
							  &name, &name_len)) != NULL)
		return problem;
	if (!f.present[X_UNIT])
		return psprintf("%s.unit is missing", prefix);
	if ((problem = ReadString(&f.values[X_UNIT], prefix, "unit", max_string_chars,
							  &unit_type, &unit_type_len)) != NULL)
		return problem;
	if (!f.present[X_VARIANT])
		return psprintf("%s.variant is missing", prefix);
	if ((problem = ReadInteger(&f.values[X_VARIANT], prefix, "variant", 0, MAX_VARIANT,
							   &variant)) != NULL)
		return problem;
	if (!f.present[X_EXPOSED_AT])
		return psprintf("%s.exposedAt is missing", prefix);
	if ((problem = ReadMillisOrIso(&f.values[X_EXPOSED_AT], prefix, "exposedAt", &sent)) != NULL)
		return problem;
	for (int i = X_ASSIGNED; i <= X_AUDIENCE_MISMATCH; i++)
		if (f.present[i] &&
			(problem = ReadBoolean(&f.values[i], prefix, exposure_fields[i],
								   &flags[i - X_ASSIGNED])) != NULL)
			return problem;
	if (f.present[X_ID] &&
		(problem = ReadInteger(&f.values[X_ID], prefix, "id", 1, PG_INT64_MAX, &id)) != NULL)
		return problem;

	for (int u = 0; u < r->nunits; u++)
		if (r->units[u].type_len == unit_type_len &&
			memcmp(r->units[u].type, unit_type, unit_type_len) == 0)
			unit = &r->units[u];
	if (unit == NULL)
		return psprintf("%s.unit: the request has no valid unit of type \"%s\"", prefix,
						ShownInput(unit_type, unit_type_len));

	config = LookupExperimentByName(&p->tenant, name, name_len);
	if (!config->exists)
		return psprintf("%s.name: experiment \"%s\" does not exist", prefix, ShownInput(name, name_len));
	if (id >= 0 && id != config->id)
		return psprintf("%s.id: experiment \"%s\" has id " INT64_FORMAT ", not " INT64_FORMAT,
						prefix, ShownInput(name, name_len), config->id, id);
	if (strncmp(config->unit_type, unit_type, unit_type_len) != 0 ||
		config->unit_type[unit_type_len] != '\0')
		return psprintf("%s.unit: experiment \"%s\" uses unit type \"%s\", not \"%s\"",
						prefix, ShownInput(name, name_len), config->unit_type, ShownInput(unit_type, unit_type_len));
	if (VariantByOrdinal(config, (int32) variant) == NULL)
		return psprintf("%s.variant: experiment \"%s\" has no variant " INT64_FORMAT,
						prefix, ShownInput(name, name_len), variant);
	at = EventTime(r, sent, prefix, "exposedAt", &warning);
	if (!config->has_started)
		return psprintf("%s.name: experiment \"%s\" has not started", prefix, ShownInput(name, name_len));
	if (at < config->started)
		return psprintf("%s.exposedAt %s is before experiment \"%s\" started, at %s", prefix,
						FormatTime(at), ShownInput(name, name_len), FormatTime(config->started));
	if (warning != NULL)
		AddIssue(&p->warnings, r->index, index, FieldPath(prefix, "exposedAt"), warning);

	row = EventBufferAddRow(&p->exposures);
	p->exposures.values[EXP_EXPERIMENT][row] = Int64GetDatum(config->id);
	p->exposures.values[EXP_ORDINAL][row] = Int32GetDatum((int32) variant);
	p->exposures.values[EXP_UNIT_TYPE][row] = unit->type_text;
	p->exposures.values[EXP_UNIT][row] = unit->uid;
	p->exposures.values[EXP_EXPOSED_AT][row] = TimestampTzGetDatum(at);
	for (int i = 0; i < 6; i++)
		p->exposures.values[EXP_ASSIGNED + i][row] = BoolGetDatum(flags[i]);
	p->exposures.values[EXP_BATCH_INDEX][row] = Int32GetDatum(r->index);
	p->exposures.values[EXP_EVENT_INDEX][row] = Int32GetDatum(index);
	for (int c = 0; c < EXP_NCOLUMNS; c++)
		p->exposures.nulls[c][row] = false;
	return NULL;
}

/*
 * BufferPerUnit
 *		A goal or attribute applies to every unit of its request: one row
 *		each.
 */
static void
BufferPerUnit(EventBuffer *buffer, Request *r, int index, const char *name, int name_len,
			  const JsonbValue *value, TimestampTz at)
{
	Datum		name_datum = PointerGetDatum(cstring_to_text_with_len(name, name_len));
	Datum		value_datum = value != NULL ? JsonbPGetDatum(JsonbValueToJsonb((JsonbValue *) value)) : (Datum) 0;

	for (int u = 0; u < r->nunits; u++)
	{
		int			row = EventBufferAddRow(buffer);

		buffer->values[UE_UNIT_TYPE][row] = r->units[u].type_text;
		buffer->values[UE_UNIT][row] = r->units[u].uid;
		buffer->values[UE_NAME][row] = name_datum;
		buffer->values[UE_VALUE][row] = value_datum;
		buffer->values[UE_TIME][row] = TimestampTzGetDatum(at);
		buffer->values[UE_BATCH_INDEX][row] = Int32GetDatum(r->index);
		buffer->values[UE_EVENT_INDEX][row] = Int32GetDatum(index);
		for (int c = 0; c < UE_NCOLUMNS; c++)
			buffer->nulls[c][row] = c == UE_VALUE && value == NULL;
	}
}

/*
 * ValidateUnitEvent
 *		A goal (name, achievedAt, properties) or an attribute (name, value,
 *		setAt): the two have the same shape, a name, a free-form JSON value
 *		and a time.
 */
static char *
ValidateUnitEvent(Publish *p, Request *r, int index, const JsonbValue *event, const char *prefix,
				  bool goal)
{
	ObjectFields f;
	const char *const *fields = goal ? goal_fields : attribute_fields;
	int			name_field = 0,
				value_field = goal ? 2 : 1,
				time_field = goal ? 1 : 2;
	const char *name;
	int			name_len;
	TimestampTz sent,
				at;
	char	   *problem;
	char	   *warning;
	const JsonbValue *value = NULL;

	if (!ReadObject(event, fields, 3, &f))
		return psprintf("%s must be an object", prefix);
	WarnUnknown(p, r, index, prefix, &f);
	if (!f.present[name_field])
		return psprintf("%s.name is missing", prefix);
	if ((problem = ReadString(&f.values[name_field], prefix, "name", max_string_chars,
							  &name, &name_len)) != NULL)
		return problem;
	if (!f.present[time_field])
		return psprintf("%s.%s is missing", prefix, fields[time_field]);
	if ((problem = ReadMillisOrIso(&f.values[time_field], prefix, fields[time_field],
								   &sent)) != NULL)
		return problem;
	if (f.present[value_field])
	{
		value = &f.values[value_field];
		if (goal && value->type == jbvNull)
			value = NULL;
		else if (goal && (value->type != jbvBinary || !JsonContainerIsObject(value->val.binary.data)))
			return psprintf("%s.properties must be an object or null", prefix);
		else if ((problem = CheckFreeJson(value, prefix, fields[value_field])) != NULL)
			return problem;
	}
	else if (!goal)
		return psprintf("%s.value is missing", prefix);
	at = EventTime(r, sent, prefix, fields[time_field], &warning);
	if (warning != NULL)
		AddIssue(&p->warnings, r->index, index, FieldPath(prefix, fields[time_field]), warning);
	BufferPerUnit(goal ? &p->goals : &p->attributes, r, index, name, name_len, value, at);
	return NULL;
}

static char *
ValidateGoal(Publish *p, Request *r, int index, const JsonbValue *event, const char *prefix)
{
	return ValidateUnitEvent(p, r, index, event, prefix, true);
}

static char *
ValidateAttribute(Publish *p, Request *r, int index, const JsonbValue *event, const char *prefix)
{
	return ValidateUnitEvent(p, r, index, event, prefix, false);
}

/*
 * CheckArraySize
 *		Caps on the events of one request, over which the batch is refused
 *		whole: the seed's 128 exposures (400), and
 *		experiments.max_events_per_request for every array (413).
 */
static void
CheckArraySize(Publish *p, Request *r, const char *array, const JsonbValue *v)
{
	uint32		size;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		return;
	size = JsonContainerSize(v->val.binary.data);
	if (strcmp(array, "exposures") == 0 && size > MAX_EXPOSURES)
		RefuseBatch(p, 400, r->index, -1, array,
					psprintf("request %d of the batch has %u exposures; a request carries at most %d",
							 r->index, size, MAX_EXPOSURES),
					"Split the exposures into several requests.");
	if (size > (uint32) max_events_per_request)
		RefuseBatch(p, 413, r->index, -1, array,
					psprintf("request %d of the batch has %u %s, more than experiments.max_events_per_request (%d)",
							 r->index, size, array, max_events_per_request),
					"Split the events into several requests or batches.");
}

/*
 * ValidateEvents
 *		Every event of one array of a request: stored, or refused with a
 *		reason (every one of them when the request itself is refused).
 */
static void
ValidateEvents(Publish *p, Request *r, const char *array, const JsonbValue *v, EventValidator validate)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	event;
	int			index = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
	{
		if (v->type != jbvNull)
			Reject(p, r->index, -1, array, psprintf("%s must be an array, not %s", array,
													v->type == jbvBinary ? "an object" : "a scalar"), v);
		return;
	}
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &event, true)) != WJB_DONE)
	{
		char		prefix[32];
		char	   *problem;

		if (tok != WJB_ELEM)
			continue;
		snprintf(prefix, sizeof(prefix), "%s[%d]", array, index);
		if (r->problem != NULL)
			problem = psprintf("request refused: %s", r->problem);
		else
			problem = validate(p, r, index, &event, prefix);
		if (problem != NULL)
			Reject(p, r->index, index, prefix, problem, &event);
		index++;
	}
}

/*
 * ReadUnits
 *		The request's units, which the seed requires: a non-empty array, each
 *		a type and a uid of 1 to 640 characters, one per type. Any other
 *		units refuse the batch whole (400): every event of the request is
 *		about them.
 */
static void
ReadUnits(Publish *p, Request *r, const JsonbValue *v, bool hashed)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	unit;
	int			index = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) == 0)
		RefuseBatch(p, 400, r->index, -1, "units",
					psprintf("request %d of the batch: units must be a non-empty array", r->index),
					"Send the units the request's events are about, e.g. [{\"type\": \"user_id\", \"uid\": \"...\"}].");
	r->units = palloc(sizeof(Unit) * JsonContainerSize(v->val.binary.data));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &unit, true)) != WJB_DONE)
	{
		ObjectFields f;
		char		prefix[32];
		char	   *problem = NULL;
		const char *type = NULL,
				   *uid = NULL;
		int			type_len = 0,
					uid_len = 0;

		if (tok != WJB_ELEM)
			continue;
		snprintf(prefix, sizeof(prefix), "units[%d]", index);
		if (!ReadObject(&unit, unit_fields, 2, &f))
			problem = psprintf("%s must be an object", prefix);
		else if (!f.present[0])
			problem = psprintf("%s.type is missing", prefix);
		else if (!f.present[1])
			problem = psprintf("%s.uid is missing", prefix);
		else if ((problem = ReadString(&f.values[0], prefix, "type", 63, &type, &type_len)) == NULL &&
				 (problem = ReadString(&f.values[1], prefix, "uid", MAX_UID_CHARS, &uid, &uid_len)) == NULL)
		{
			for (int u = 0; u < r->nunits; u++)
				if (r->units[u].type_len == type_len && memcmp(r->units[u].type, type, type_len) == 0)
					problem = psprintf("%s.type: the request already has a unit of type \"%s\"",
									   prefix, ShownInput(type, type_len));
		}
		if (problem != NULL)
			RefuseBatch(p, 400, r->index, index, prefix,
						psprintf("request %d of the batch: %s", r->index, problem), NULL);
		WarnUnknown(p, r, index, prefix, &f);
		r->units[r->nunits].type = type;
		r->units[r->nunits].type_len = type_len;
		r->units[r->nunits].type_text = PointerGetDatum(cstring_to_text_with_len(type, type_len));
		r->units[r->nunits].uid = PointerGetDatum(hashed ? cstring_to_text_with_len(uid, uid_len)
												  : UidDigest(uid, uid_len));
		r->nunits++;
		index++;
	}
}

/*
 * ValidateRequest
 *		One request of the batch: its array sizes and units, which refuse the
 *		batch when wrong; its times, which refuse its events when wrong; then
 *		its events.
 */
static void
ValidateRequest(Publish *p, int index, const JsonbValue *v)
{
	ObjectFields f;
	Request		r;
	bool		hashed = true;
	char	   *problem = NULL;

	memset(&r, 0, sizeof(r));
	r.index = index;
	r.reference = p->now;
	if (!ReadObject(v, request_fields, lengthof(request_fields), &f))
	{
		Reject(p, index, -1, "request", "the request must be an object", v);
		return;
	}
	WarnUnknown(p, &r, -1, "request", &f);
	for (int a = REQ_UNITS; a <= REQ_ATTRIBUTES; a++)
		if (f.present[a])
			CheckArraySize(p, &r, request_fields[a], &f.values[a]);
	if (!f.present[REQ_UNITS])
		RefuseBatch(p, 400, index, -1, "units",
					psprintf("request %d of the batch: units is missing", index),
					"Send the units the request's events are about, e.g. [{\"type\": \"user_id\", \"uid\": \"...\"}].");

	if (f.present[REQ_HASHED] && (problem = ReadBoolean(&f.values[REQ_HASHED], NULL, "hashed", &hashed)) != NULL)
		Reject(p, index, -1, "hashed", problem, &f.values[REQ_HASHED]);
	else if (f.present[REQ_HISTORIC] &&
			 (problem = ReadBoolean(&f.values[REQ_HISTORIC], NULL, "historic", &r.historic)) != NULL)
		Reject(p, index, -1, "historic", problem, &f.values[REQ_HISTORIC]);
	else if (f.present[REQ_PUBLISHED_AT] &&
			 (problem = ReadMillisOrIso(&f.values[REQ_PUBLISHED_AT], NULL, "publishedAt", &r.reference)) != NULL)
		Reject(p, index, -1, "publishedAt", problem, &f.values[REQ_PUBLISHED_AT]);
	r.problem = problem;
	ReadUnits(p, &r, &f.values[REQ_UNITS], hashed);
	if (problem == NULL && !f.present[REQ_PUBLISHED_AT])
		AddIssue(&p->warnings, index, -1, "publishedAt",
				 "publishedAt is missing; event times are checked against the time of receipt");
	else if (problem == NULL && r.reference > p->now + (int64) max_future_skew_s * USECS_PER_SEC)
	{
		AddIssue(&p->warnings, index, -1, "publishedAt",
				 psprintf("publishedAt %s is more than %d s after the time of receipt %s; event times are checked against the time of receipt",
						  FormatTime(r.reference), max_future_skew_s, FormatTime(p->now)));
		r.reference = p->now;
	}

	if (f.present[REQ_EXPOSURES])
		ValidateEvents(p, &r, "exposures", &f.values[REQ_EXPOSURES], ValidateExposure);
	if (f.present[REQ_GOALS])
		ValidateEvents(p, &r, "goals", &f.values[REQ_GOALS], ValidateGoal);
	if (f.present[REQ_ATTRIBUTES])
		ValidateEvents(p, &r, "attributes", &f.values[REQ_ATTRIBUTES], ValidateAttribute);
}

/*
 * CheckWrites
 *		The rows and bytes the batch may write, counted from its shape before
 *		any event is read: every exposure is a row, every goal and attribute
 *		a row per unit of its request, every request one more (a refusal of
 *		the request itself). Events stored and refused count alike, so that
 *		neither a few goals for many units nor many empty events can make a
 *		small body write much. Over experiments.max_request_rows or
 *		experiments.max_request_bytes, the batch is refused whole (413).
 */
static void
CheckWrites(Publish *p, const JsonbValue *requests)
{
	JsonbIterator *it = JsonbIteratorInit(requests->val.binary.data);
	JsonbIteratorToken tok;
	JsonbValue	v;
	int64		rows = 0,
				bytes = 0;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		ObjectFields f;
		int64		units = 1;

		if (tok != WJB_ELEM)
			continue;
		rows++;
		if (!ReadObject(&v, request_fields, lengthof(request_fields), &f))
			continue;
		for (int a = REQ_UNITS; a <= REQ_ATTRIBUTES; a++)
		{
			const JsonbValue *array = &f.values[a];
			int64		copies = a == REQ_EXPOSURES ? 1 : units;

			if (!f.present[a] || array->type != jbvBinary ||
				!JsonContainerIsArray(array->val.binary.data))
				continue;
			if (a == REQ_UNITS)
			{
				units = Max(JsonContainerSize(array->val.binary.data), 1);
				continue;
			}
			rows += copies * JsonContainerSize(array->val.binary.data);
			bytes += copies * array->val.binary.len;
		}
	}
	if (rows > max_request_rows)
		RefuseBatch(p, 413, -1, -1, "batch",
					psprintf("the batch would write up to " INT64_FORMAT " rows, more than experiments.max_request_rows (%d)",
							 rows, max_request_rows),
					"Goals and attributes are stored once per unit of their request: send fewer units, goals or attributes per batch, or have a superuser raise experiments.max_request_rows.");
	if (bytes > (int64) max_request_kb * 1024)
		RefuseBatch(p, 413, -1, -1, "batch",
					psprintf("the batch would write up to " INT64_FORMAT " bytes of events, more than experiments.max_request_bytes (%d kB)",
							 bytes, max_request_kb),
					"Goals and attributes are stored once per unit of their request: send fewer units, goals or attributes per batch, or have a superuser raise experiments.max_request_bytes.");
}

/*
 * CheckBatch
 *		The batch-level limits: size, shape, 1 to 500 requests, the rows and
 *		bytes it may write (CheckWrites). Over any,
 *		the batch is refused whole. Fields besides requests are ignored with
 *		a warning.
 */
static JsonbValue
CheckBatch(Publish *p, Jsonb *batch)
{
	JsonbValue	root;
	ObjectFields f;
	const JsonbValue *requests = &f.values[0];
	uint32		size;

	if (VARSIZE_ANY_EXHDR(batch) > (Size) max_batch_kb * 1024)
		RefuseBatch(p, 413, -1, -1, "batch",
					psprintf("the batch is %zu bytes of jsonb, more than experiments.max_batch_size (%d kB)",
							 VARSIZE_ANY_EXHDR(batch), max_batch_kb),
					"Publish fewer requests per batch.");
	root.type = jbvBinary;
	root.val.binary.data = &batch->root;
	root.val.binary.len = VARSIZE_ANY_EXHDR(batch);
	if (!ReadObject(&root, batch_fields, lengthof(batch_fields), &f) || !f.present[0])
		RefuseBatch(p, 400, -1, -1, "requests",
					"the batch must be an object with a \"requests\" array",
					"Send {\"requests\": [{\"units\": [...], \"exposures\": [...], ...}]}.");
	if (f.unknown != NULL)
		AddIssue(&p->warnings, -1, -1, "batch", psprintf("unknown field(s) %s ignored", f.unknown));
	if (requests->type != jbvBinary || !JsonContainerIsArray(requests->val.binary.data))
		RefuseBatch(p, 400, -1, -1, "requests", "\"requests\" must be an array", NULL);
	size = JsonContainerSize(requests->val.binary.data);
	if (size < MIN_REQUESTS || size > MAX_REQUESTS)
		RefuseBatch(p, 400, -1, -1, "requests",
					psprintf("a batch must have %d to %d requests, not %u", MIN_REQUESTS, MAX_REQUESTS, size),
					"Split larger batches.");
	CheckWrites(p, requests);
	return *requests;
}

/*
 * ClaimKey
 *		Records an idempotency key (a digest) for the tenant in
 *		published_batches; returns the row's id, or 0 with *answer set to the
 *		answer kept for it (NULL when none was) when the key was claimed
 *		before. A session claiming the same key concurrently waits here for
 *		the first to finish, then finds it (under REPEATABLE READ or
 *		SERIALIZABLE it fails with a serialization error instead, and its
 *		retry finds it): one unique index decides, whatever the snapshots.
 *		Batches (here) and AB Tasty events (abtasty.c) claim their keys so.
 */
int64
ClaimKey(const pg_uuid_t *tenant, bytea *digest, Jsonb **answer)
{
	static SPIPlanPtr claim_plan = NULL;
	static SPIPlanPtr answer_plan = NULL;
	Datum		args[2] = {UUIDPGetDatum(tenant), PointerGetDatum(digest)};
	Datum		kept;
	bool		isnull;

	if (claim_plan == NULL)
	{
		Oid			types[2] = {UUIDOID, BYTEAOID};

		claim_plan = SPI_prepare("INSERT INTO experiments.published_batches (tenant_id, digest)"
								 " VALUES ($1, $2) ON CONFLICT ON CONSTRAINT published_batches_digest"
								 " DO NOTHING RETURNING id", 2, types);
		answer_plan = SPI_prepare("SELECT answer FROM experiments.published_batches"
								  " WHERE tenant_id = $1 AND digest = $2", 2, types);
		if (claim_plan == NULL || answer_plan == NULL ||
			SPI_keepplan(claim_plan) != 0 || SPI_keepplan(answer_plan) != 0)
			elog(ERROR, "could not prepare the idempotency check");
	}
	if (SPI_execute_plan(claim_plan, args, NULL, false, 1) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not record an idempotency key");
	if (SPI_processed == 1)
		return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (SPI_execute_plan(answer_plan, args, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the answer kept for an idempotency key");
	kept = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*answer = isnull ? NULL : DatumGetJsonbPCopy(kept);
	return 0;
}

/*
 * SaveAnswer
 *		Keeps the answer for retries with the key claimed as id.
 */
void
SaveAnswer(int64 id, Jsonb *answer)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[2] = {JsonbPGetDatum(answer), Int64GetDatum(id)};

	if (plan == NULL)
	{
		Oid			types[2] = {JSONBOID, INT8OID};

		plan = SPI_prepare("UPDATE experiments.published_batches SET answer = $1 WHERE id = $2",
						   2, types);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the answer update");
	}
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not save the answer of a batch");
}

/*
 * KeyDigest
 *		An idempotency key: XXH3-128 of data with a seed per kind of key
 *		(events.h), so that keys of different kinds never meet.
 */
bytea *
KeyDigest(const char *data, Size len, uint64 seed)
{
	XXH128_hash_t h = XXH3_128bits_withSeed(data, len, seed);
	bytea	   *digest = palloc(VARHDRSZ + 16);

	SET_VARSIZE(digest, VARHDRSZ + 16);
	memcpy(VARDATA(digest), &h.high64, 8);
	memcpy(VARDATA(digest) + 8, &h.low64, 8);
	return digest;
}

/*
 * Digest
 *		The idempotency key of a batch: of the caller's key, or of the batch's
 *		jsonb bytes (the same document sent again has the same bytes).
 */
static bytea *
Digest(Jsonb *batch, text *key)
{
	return key != NULL ?
		KeyDigest(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), KEY_SEED_BATCH_KEY) :
		KeyDigest(VARDATA_ANY(batch), VARSIZE_ANY_EXHDR(batch), KEY_SEED_BATCH);
}

/*
 * PublishBatch
 *		Validates and stores a batch; answers {ok, warnings, errors}. A batch
 *		refused whole is refused as RefuseBatch says for api_document.
 */
static Jsonb *
PublishBatch(Jsonb *batch, text *key, bool api_document)
{
	Publish		p;
	JsonbValue	requests;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	v;
	int			index = 0;
	TableWork	work;
	int64		batch_id;
	Jsonb	   *answer = NULL;

	RequireWritable("events");
	RequireTenant(&p.tenant);
	p.api_document = api_document;
	p.now = GetCurrentTransactionStartTimestamp();
	p.warnings = NIL;
	p.errors = NIL;
	requests = CheckBatch(&p, batch);
	EventBufferInit(&p.exposures, &exposures_table, 1024);
	EventBufferInit(&p.goals, &goals_table, 1024);
	EventBufferInit(&p.attributes, &attributes_table, 64);
	EventBufferInit(&p.rejected, &rejected_events_table, 16);

	it = JsonbIteratorInit(requests.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
			ValidateRequest(&p, index++, &v);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	BeginTableWork(&work);
	batch_id = ClaimKey(&p.tenant, Digest(batch, key), &answer);
	if (batch_id != 0)
	{
		EventBufferInsert(&p.exposures, &p.tenant, batch_id);
		EventBufferInsert(&p.goals, &p.tenant, batch_id);
		EventBufferInsert(&p.attributes, &p.tenant, batch_id);
		EventBufferInsert(&p.rejected, &p.tenant, batch_id);
		answer = Answer(&p);
		SaveAnswer(batch_id, answer);
	}
	else if (answer == NULL)
		elog(ERROR, "the idempotency key of a batch was claimed without an answer");
	EndTableWork(&work);
	answer = (Jsonb *) SPI_datumTransfer(JsonbPGetDatum(answer), false, -1);
	SPI_finish();
	return answer;
}

/*
 * publish(batch jsonb, idempotency_key text DEFAULT NULL) returns jsonb
 *		Validates and stores a batch; a batch refused whole is a SQL error
 *		(22023 or 54000).
 */
Datum
publish(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the batch must not be null"),
				 errdetail("experiments.publish() stores the events of a batch document.")));
	PG_RETURN_JSONB_P(PublishBatch(PG_GETARG_JSONB_P(0), PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1),
								   false));
}

/*
 * BatchFromText
 *		The jsonb of a batch sent as JSON text (text or json): the size cap is
 *		checked on the text, before it is detoasted or parsed, so an oversized
 *		body costs neither the time nor the memory of building its jsonb.
 */
static Jsonb *
BatchFromText(Datum body, bool api_document)
{
	Size		size = toast_raw_datum_size(body) - VARHDRSZ;

	if (size > (Size) max_batch_kb * 1024)
	{
		Publish		p;

		memset(&p, 0, sizeof(p));
		p.api_document = api_document;
		RefuseBatch(&p, 413, -1, -1, "batch",
					psprintf("the batch is %zu bytes of JSON text, more than experiments.max_batch_size (%d kB); it was not parsed",
							 size, max_batch_kb),
					"Publish fewer requests per batch.");
	}
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
											  CStringGetDatum(text_to_cstring(DatumGetTextPP(body)))));
}

/*
 * publish_answer(batch json) returns jsonb
 *		publish_text() as ABsmartly's endpoint answers: a batch refused whole
 *		raises PT400 or PT413 with the seed's {ok: false, warnings, errors}
 *		as its detail. It takes json, as PostgREST passes a body to a lone
 *		unnamed json parameter, so that an oversized body is refused on its
 *		length before jsonb is built. STRICT: PostgREST passes a body, never
 *		NULL.
 */
Datum
publish_answer(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(PublishBatch(BatchFromText(PG_GETARG_DATUM(0), true), NULL, true));
}

/*
 * publish_text(body text, idempotency_key text DEFAULT NULL) returns jsonb
 *		publish() for a batch sent as JSON text, its size checked before it is
 *		parsed (BatchFromText).
 */
Datum
publish_text(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the batch must not be null"),
				 errdetail("experiments.publish_text() stores the events of a batch document.")));
	PG_RETURN_JSONB_P(PublishBatch(BatchFromText(PG_GETARG_DATUM(0), false),
								   PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1), false));
}
