/*
 * event_store.c
 *		Buffered, set-based inserts of validated events.
 *
 * Rows are collected column by column into Datum arrays; one INSERT ...
 * SELECT ... FROM unnest($3, $4, ...) per table then stores them all through
 * a plan prepared once per backend. Going through the executor keeps tuple
 * routing to the monthly partitions, the indexes and row-level security
 * exactly as for any other insert. The caller runs inside SPI with a pinned
 * search_path, and every name here is schema-qualified.
 */
#include "events.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

static const char *const rejected_columns[] = {
	"source", "batch_index", "event_index", "subject", "reason", "event"
};
static const Oid rejected_types[] = {TEXTOID, INT4OID, INT4OID, TEXTOID, TEXTOID, JSONBOID};

EventTable	rejected_events_table = {
	"rejected_events", true, REJ_NCOLUMNS, rejected_columns, rejected_types, NULL
};

/*
 * EventBufferInit
 *		An empty buffer for rows of a table.
 */
void
EventBufferInit(EventBuffer *buffer, EventTable *table, int capacity)
{
	buffer->table = table;
	buffer->nrows = 0;
	buffer->capacity = Max(capacity, 4);
	buffer->values = palloc(sizeof(Datum *) * table->ncolumns);
	buffer->nulls = palloc(sizeof(bool *) * table->ncolumns);
	for (int c = 0; c < table->ncolumns; c++)
	{
		buffer->values[c] = palloc(sizeof(Datum) * buffer->capacity);
		buffer->nulls[c] = palloc(sizeof(bool) * buffer->capacity);
	}
}

/*
 * EventBufferAddRow
 *		Room for one more row, all of it NULL; returns its index.
 */
int
EventBufferAddRow(EventBuffer *buffer)
{
	int			row;

	if (buffer->nrows == buffer->capacity)
	{
		buffer->capacity *= 2;
		for (int c = 0; c < buffer->table->ncolumns; c++)
		{
			buffer->values[c] = repalloc(buffer->values[c], sizeof(Datum) * buffer->capacity);
			buffer->nulls[c] = repalloc(buffer->nulls[c], sizeof(bool) * buffer->capacity);
		}
	}
	row = buffer->nrows++;
	for (int c = 0; c < buffer->table->ncolumns; c++)
	{
		buffer->values[c][row] = (Datum) 0;
		buffer->nulls[c][row] = true;
	}
	return row;
}

/*
 * PrepareInsert
 *		INSERT INTO experiments.TABLE (tenant_id[, batch_id], columns...)
 *		SELECT $1[, $2], u.c0, u.c1::cast, ... FROM unnest(arrays...) AS
 *		u(c0, c1, ...), kept for the backend.
 */
static SPIPlanPtr
PrepareInsert(EventTable *table)
{
	StringInfoData sql;
	int			first = table->batched ? 3 : 2;
	int			nargs = first - 1 + table->ncolumns;
	Oid		   *types = palloc(sizeof(Oid) * nargs);
	SPIPlanPtr	plan;

	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO experiments.%s (tenant_id%s", table->table,
					 table->batched ? ", batch_id" : "");
	for (int c = 0; c < table->ncolumns; c++)
		appendStringInfo(&sql, ", %s", table->columns[c]);
	appendStringInfo(&sql, ") SELECT $1%s", table->batched ? ", $2" : "");
	for (int c = 0; c < table->ncolumns; c++)
	{
		appendStringInfo(&sql, ", u.c%d", c);
		if (table->casts != NULL && table->casts[c] != NULL)
			appendStringInfo(&sql, "::%s", table->casts[c]);
	}
	appendStringInfoString(&sql, " FROM unnest(");
	types[0] = UUIDOID;
	if (table->batched)
		types[1] = INT8OID;
	for (int c = 0; c < table->ncolumns; c++)
	{
		appendStringInfo(&sql, "%s$%d", c > 0 ? ", " : "", first + c);
		types[first - 1 + c] = get_array_type(table->types[c]);
	}
	appendStringInfoString(&sql, ") AS u(");
	for (int c = 0; c < table->ncolumns; c++)
		appendStringInfo(&sql, "%sc%d", c > 0 ? ", " : "", c);
	appendStringInfoChar(&sql, ')');
	plan = SPI_prepare(sql.data, nargs, types);
	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "could not prepare the insert into experiments.%s: %s",
			 table->table, SPI_result_code_string(SPI_result));
	return plan;
}

/*
 * EventBufferInsert
 *		Stores the buffered rows with one statement. batch_id 0 is NULL.
 */
void
EventBufferInsert(EventBuffer *buffer, const pg_uuid_t *tenant, int64 batch_id)
{
	EventTable *table = buffer->table;
	int			first = table->batched ? 2 : 1;
	int			nargs = first + table->ncolumns;
	Datum	   *args = palloc(sizeof(Datum) * nargs);
	char	   *nulls = palloc(nargs);
	int			dims[1] = {buffer->nrows};
	int			lbs[1] = {1};

	if (buffer->nrows == 0)
		return;
	if (table->plan == NULL)
		table->plan = PrepareInsert(table);
	memset(nulls, ' ', nargs);
	args[0] = UUIDPGetDatum(tenant);
	if (table->batched)
	{
		args[1] = Int64GetDatum(batch_id);
		nulls[1] = batch_id == 0 ? 'n' : ' ';
	}
	for (int c = 0; c < table->ncolumns; c++)
	{
		int16		typlen;
		bool		typbyval;
		char		typalign;

		get_typlenbyvalalign(table->types[c], &typlen, &typbyval, &typalign);
		args[first + c] = PointerGetDatum(construct_md_array(buffer->values[c], buffer->nulls[c],
															 1, dims, lbs, table->types[c],
															 typlen, typbyval, typalign));
	}
	if (SPI_execute_plan(table->plan, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into experiments.%s", table->table);
}

/*
 * BufferRejected
 *		One refused event, with the raw JSON sent (NULL when there is none).
 */
void
BufferRejected(EventBuffer *rejected, const char *source, int batch_index, int event_index,
			   const char *subject, const char *reason, const JsonbValue *event)
{
	int			row = EventBufferAddRow(rejected);

	rejected->values[REJ_SOURCE][row] = CStringGetTextDatum(source);
	rejected->nulls[REJ_SOURCE][row] = false;
	if (batch_index >= 0)
	{
		rejected->values[REJ_BATCH_INDEX][row] = Int32GetDatum(batch_index);
		rejected->nulls[REJ_BATCH_INDEX][row] = false;
		rejected->values[REJ_EVENT_INDEX][row] = Int32GetDatum(event_index);
		rejected->nulls[REJ_EVENT_INDEX][row] = false;
	}
	rejected->values[REJ_SUBJECT][row] = CStringGetTextDatum(subject);
	rejected->nulls[REJ_SUBJECT][row] = false;
	rejected->values[REJ_REASON][row] = CStringGetTextDatum(reason);
	rejected->nulls[REJ_REASON][row] = false;
	if (event != NULL)
	{
		rejected->values[REJ_EVENT][row] = JsonbPGetDatum(JsonbValueToJsonb((JsonbValue *) event));
		rejected->nulls[REJ_EVENT][row] = false;
	}
}
