/*
 * events.h
 *		Declarations shared by the event ingestion files: reading fields out
 *		of jsonb, the caps on what clients send, and buffered inserts.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include "assign.h"

#include "executor/spi.h"

/* The seed's fixed limits (ABsmartly PUT /context/batch). */
#define MIN_REQUESTS 1
#define MAX_REQUESTS 500
#define MAX_UID_CHARS 640
#define MAX_EXPOSURES 128
#define MAX_VARIANT 128

/* event_input.c: settings (docs/events.md). */
extern int	max_batch_kb;
extern int	max_events_per_request;
extern int	max_request_rows;
extern int	max_request_kb;
extern char *event_idempotency_key;
extern int	max_string_chars;
extern int	max_json_bytes;
extern int	max_json_depth;
extern int	max_future_skew_s;
extern int	max_event_age_s;
extern void EventSettingsInit(void);

/*
 * The fields of one JSON object, read in a single pass over it: values[i] is
 * the value of names[i] when present[i]. unknown lists the other keys.
 */
#define MAX_FIELDS 16

typedef struct ObjectFields
{
	int			nfields;
	const char *const *names;
	JsonbValue	values[MAX_FIELDS];
	bool		present[MAX_FIELDS];
	char	   *unknown;		/* "a", "b" or NULL */
} ObjectFields;

extern bool ReadObject(const JsonbValue *object, const char *const *names, int nfields,
					   ObjectFields *fields);
/* A whole document as one value, for ReadObject() and the readers. */
extern void JsonbRootValue(Jsonb *jb, JsonbValue *v);

/*
 * The readers return NULL for a good value, or the message saying what is
 * wrong with it. They name the field prefix.field (field alone when prefix
 * is NULL), and build that name only when there is something wrong.
 */
extern char *FieldPath(const char *prefix, const char *field);
extern const char *JsonTypeName(const JsonbValue *v);
extern char *ReadString(const JsonbValue *v, const char *prefix, const char *field,
						int max_chars, const char **str, int *len);
extern char *ReadInteger(const JsonbValue *v, const char *prefix, const char *field,
						 int64 min, int64 max, int64 *out);
extern char *ReadBoolean(const JsonbValue *v, const char *prefix, const char *field, bool *out);
extern char *ReadFloat(const JsonbValue *v, const char *prefix, const char *field, double *out);
extern char *ReadMillisOrIso(const JsonbValue *v, const char *prefix, const char *field,
							 TimestampTz *out);
extern char *ReadIsoTime(const JsonbValue *v, const char *prefix, const char *field,
						 TimestampTz *out);
extern char *CheckFreeJson(const JsonbValue *v, const char *prefix, const char *field);
/* Characters of a uid's digest: 16 bytes in base64url, unpadded. */
#define UID_DIGEST_CHARS 22
extern void UidDigestChars(const char *uid, int len, char *out);
extern text *UidDigest(const char *uid, int len);
extern char *FormatTime(TimestampTz t);

/* event_store.c: rows buffered column by column and inserted set-based. */
typedef struct EventTable
{
	const char *table;
	bool		batched;		/* has batch_id, given once for all rows */
	int			ncolumns;
	const char *const *columns;
	const Oid  *types;
	SPIPlanPtr	plan;
	const char *const *casts;	/* per column, the type a value is cast to
								 * (enums travel as text), or NULL */
} EventTable;

typedef struct EventBuffer
{
	EventTable *table;
	int			nrows;
	int			capacity;
	Datum	  **values;			/* [column][row] */
	bool	  **nulls;
} EventBuffer;

extern void EventBufferInit(EventBuffer *buffer, EventTable *table, int capacity);
extern int	EventBufferAddRow(EventBuffer *buffer);
extern void EventBufferInsert(EventBuffer *buffer, const pg_uuid_t *tenant, int64 batch_id);

extern EventTable rejected_events_table;

/*
 * publish.c: idempotency keys, unique per tenant in published_batches. The
 * seeds keep the kinds of keys apart (XXH3 with seed 0 is its plain hash,
 * which 0.1.0 stored for batches).
 */
#define KEY_SEED_BATCH 0		/* a batch's jsonb */
#define KEY_SEED_BATCH_KEY 1	/* publish()'s idempotency_key */
#define KEY_SEED_EVENT_KEY 2	/* an AB Tasty event's idempotency key */
#define KEY_SEED_TRANSACTION 3	/* an AB Tasty transaction id */
extern int64 ClaimKey(const pg_uuid_t *tenant, bytea *digest, Jsonb **answer);
extern void SaveAnswer(int64 id, Jsonb *answer);
extern bytea *KeyDigest(const char *data, Size len, uint64 seed);

/* Columns of experiments.rejected_events after tenant_id and batch_id. */
enum
{
	REJ_SOURCE, REJ_BATCH_INDEX, REJ_EVENT_INDEX, REJ_SUBJECT, REJ_REASON, REJ_EVENT, REJ_NCOLUMNS
};

extern void BufferRejected(EventBuffer *rejected, const char *source, int batch_index,
						   int event_index, const char *subject, const char *reason,
						   const JsonbValue *event);

#endif							/* EVENTS_H */
