/*-------------------------------------------------------------------------
 *
 * shard_write.c
 *	  Writing a flush's rows into Parquet shards: the mapping from a
 *	  table's columns to Parquet columns, and from datums to Parquet values.
 *
 * The mapping follows pg_parquet's: int2/int4 -> INT32,
 * int8 -> INT64, float4/8 -> FLOAT/DOUBLE, bool, text/varchar/bpchar ->
 * STRING, bytea -> BYTE_ARRAY, date -> DATE, timestamp/timestamptz ->
 * TIMESTAMP(MICROS, isAdjustedToUTC false/true), uuid -> UUID, json/jsonb ->
 * JSON, numeric with a declared precision of at most 38 -> DECIMAL, money ->
 * INT64 (its integer amount in the smallest unit); arrays of int2, int4,
 * int8, float4, float8, bool, text, date, timestamp, timestamptz, uuid and
 * numeric -> LIST of the element's mapping (see below); every other type
 * (other arrays, composites, enums, intervals, ...) is stored as its text
 * form.  Domains are stored as their base type.
 *
 * LIST columns: a column's Parquet type is fixed per shard, but a value of
 * an int4[] column may have any number of dimensions.  The column is a
 * LIST when its element type has a mapping, decided from the type alone;
 * a value that is not a one-dimensional array of elements Parquet holds
 * (a multi-dimensional array, an element that is itself an exception such
 * as a numeric NaN) is an exception of the row like any other value that
 * does not fit: the list is written NULL and the array's text form goes
 * to spillpool.exceptions.<i>.  Every row reads back exactly, DuckDB and
 * other readers see NULL for such a row, and the common case of
 * one-dimensional arrays is a real LIST for them.  An empty array (no
 * dimensions in PostgreSQL) is an empty list.  A lower bound other than 1
 * cannot be said in Parquet: it is kept in spillpool.lower_bounds.<i>,
 * which spillpool reads and other readers ignore (they see the elements).
 *
 * Key-value metadata of every shard:
 *	 spillpool.version				the extension version
 *	 spillpool.columns				per Parquet column "attnum:kind:type oid:typmod",
 *									for a LIST column ":element kind" after it
 *	 spillpool.type.<column>		the PostgreSQL type, as format_type prints it
 *	 spillpool.exceptions.<i>		rows of column i whose value Parquet's type
 *									cannot hold, as "row:text form" lines; the
 *									Parquet value is NULL (numeric NaN, and
 *									timestamps past 294276-12-31 that do not
 *									fit INT64 microseconds since 1970)
 *	 spillpool.lower_bounds.<i>		rows of LIST column i whose array's lower
 *									bound is not 1, as "row:bound" lines
 *	 spillpool.float_nan			Parquet columns holding a float NaN (their
 *									min/max leave NaN out)
 *	 spillpool.positions			the rows' positions, in row order, as runs
 *									"first:count,first:count,..." (consecutive
 *									positions form one run)
 * Infinite dates and timestamps are written as the largest INT32/INT64 and
 * its negation (what DuckDB uses for infinity and -infinity; the smallest
 * INT64 is not -infinity to DuckDB), and read back as infinity.
 * Text is converted to UTF-8 when the database encoding is not UTF-8.
 *
 * A flush writes one shard, or several when a shard reaches
 * spillpool.max_shard_size (checked after each row group, on the bytes
 * written and buffered).  Files are
 * written under their final names, <snapshot>-<n>.parquet; until the
 * manifest lists them they do not exist as far as readers are concerned.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

#include "parquet/parquet_write.h"
#include "spillpool.h"
#include "shard/convert.h"
#include "shard/shard_read.h"
#include "shard/shard_write.h"
#include "tier/compress.h"
#include "tier/manifest.h"

int			spillpool_max_shard_size_mb = 256;
int			spillpool_shard_row_group_rows = PARQUET_DEFAULT_ROW_GROUP_ROWS;

/* One Parquet column: which attribute, how it is converted. */
typedef struct ShardColumn
{
	AttrNumber	attnum;
	ShardKind	kind;
	Oid			typid;			/* as declared (may be a domain) */
	int32		typmod;
	int			scale;			/* SK_NUMERIC */
	int			flba_len;		/* SK_NUMERIC stored as FIXED_LEN_BYTE_ARRAY */
	ParquetType physical;
	FmgrInfo	out;			/* SK_JSONB, SK_TEXTFORM, exceptions */
	bool		has_nan;		/* float NaN seen in the current shard */
	StringInfoData exceptions;	/* "row:text" lines of the current shard */
	/* SK_LIST: the elements' kind and type (scale etc. above are theirs) */
	ShardKind	elem_kind;
	Oid			elemtype;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	FmgrInfo	elem_out;		/* elements of kind SK_TEXTFORM */
	StringInfoData lower_bounds;	/* "row:bound" lines of the current shard */
} ShardColumn;

struct ShardWriter
{
	Relation	rel;
	Oid			dbid;
	Oid			relfilenode;
	uint64		snapshot;
	SpillCodec	codec;			/* shard_compression */
	int			level;
	int			ncols;
	ShardColumn *cols;
	ParquetColumnSpec *specs;
	ParquetRowValue *values;
	char	  **names;
	char	   *columns_meta;	/* spillpool.columns */
	TupleTableSlot *slot;
	MemoryContext row_cxt;

	/* the shard being written */
	ParquetWriter *w;
	int			fd;
	char		path[MAXPGPATH];
	int64		rows;			/* in the current shard */
	StringInfoData runs;		/* its positions' finished runs */
	uint64		run_first;		/* the run being extended, */
	uint64		run_next;		/* [run_first, run_next) */
	uint64		pos_min;
	uint64		pos_max;

	/* finished shards */
	int			nshards;
	int			shards_cap;
	ManifestShard *shards;
	bool		utf8;			/* database encoding needs no conversion */
};

/*
 * Fills the Parquet column spec of one column: of its kind, or for a LIST
 * column of its elements' kind, with list set (always OPTIONAL: its
 * exceptions are NULL lists).
 */
static void
shard_column_spec(ShardColumn *c, ParquetColumnSpec *spec, const char *name,
				  bool nullable, int precision, int scale)
{
	ShardKind	kind = c->kind == SK_LIST ? c->elem_kind : c->kind;

	if (c->kind == SK_LIST)
		nullable = true;
	switch (kind)
	{
		case SK_BOOL:
			parquet_column_init(spec, name, PQ_BOOLEAN, nullable);
			break;
		case SK_INT2:
			parquet_column_init(spec, name, PQ_INT32, nullable);
			spec->logical = PQ_LT_INTEGER;
			spec->bit_width = 16;
			spec->is_signed = true;
			break;
		case SK_INT4:
			parquet_column_init(spec, name, PQ_INT32, nullable);
			break;
		case SK_INT8:
			parquet_column_init(spec, name, PQ_INT64, nullable);
			break;
		case SK_FLOAT4:
			parquet_column_init(spec, name, PQ_FLOAT, nullable);
			break;
		case SK_FLOAT8:
			parquet_column_init(spec, name, PQ_DOUBLE, nullable);
			break;
		case SK_TEXT:
		case SK_TEXTFORM:
			parquet_column_init(spec, name, PQ_BYTE_ARRAY, nullable);
			spec->logical = PQ_LT_STRING;
			break;
		case SK_BYTEA:
			parquet_column_init(spec, name, PQ_BYTE_ARRAY, nullable);
			break;
		case SK_DATE:
			parquet_column_init(spec, name, PQ_INT32, nullable);
			spec->logical = PQ_LT_DATE;
			break;
		case SK_TIMESTAMP:
		case SK_TIMESTAMPTZ:
			/* exceptions are stored as NULL: always OPTIONAL */
			parquet_column_init(spec, name, PQ_INT64, true);
			spec->logical = PQ_LT_TIMESTAMP;
			spec->unit = PQ_UNIT_MICROS;
			spec->adjusted_to_utc = (kind == SK_TIMESTAMPTZ);
			break;
		case SK_UUID:
			parquet_column_init(spec, name, PQ_FIXED_LEN_BYTE_ARRAY, nullable);
			spec->type_length = UUID_LEN;
			spec->logical = PQ_LT_UUID;
			break;
		case SK_JSON:
		case SK_JSONB:
			parquet_column_init(spec, name, PQ_BYTE_ARRAY, nullable);
			spec->logical = PQ_LT_JSON;
			break;
		case SK_NUMERIC:
			/* NaN is an exception, stored as NULL: always OPTIONAL */
			if (precision <= 9)
				parquet_column_init(spec, name, PQ_INT32, true);
			else if (precision <= 18)
				parquet_column_init(spec, name, PQ_INT64, true);
			else
			{
				parquet_column_init(spec, name, PQ_FIXED_LEN_BYTE_ARRAY, true);
				c->flba_len = parquet_decimal_flba_length(precision);
				spec->type_length = c->flba_len;
			}
			spec->logical = PQ_LT_DECIMAL;
			spec->precision = precision;
			spec->scale = scale;
			break;
		case SK_LIST:
			elog(ERROR, "a list of lists cannot be a shard column");
			break;
	}
	c->physical = spec->type;
	/* the Iceberg schema's field ids of the column and element (iceberg.c) */
	spec->field_id = c->attnum;
	if (c->kind == SK_LIST)
	{
		spec->list = true;
		spec->element_field_id = shard_list_element_field_id(c->attnum);
	}
}

/* Raises a writer failure as an error naming the shard file. */
static void
shard_writer_error(ShardWriter *sw, const char *msg, ParquetStatus rc)
{
	int			save_errno = errno;

	if (rc == PARQUET_ERROR_IO)
	{
		errno = save_errno ? save_errno : ENOSPC;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write shard file \"%s\": %m", sw->path)));
	}
	ereport(ERROR,
			(errcode(parquet_status_errcode(rc)),
			 errmsg("could not write shard file \"%s\": %s", sw->path, msg)));
}

/* Opens the next shard file of the flush and starts a Parquet writer on it. */
static void
shard_writer_open_next(ShardWriter *sw)
{
	ParquetWriterOptions opts;
	char		created_by[64];
	char		err[PARQUET_ERROR_MESSAGE_SIZE];

	shard_file_path(sw->path, sw->dbid, sw->relfilenode, sw->snapshot, sw->nshards);
	sw->fd = OpenTransientFile(sw->path, O_RDWR | O_CREAT | O_TRUNC | PG_BINARY);
	if (sw->fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create shard file \"%s\": %m", sw->path)));
	parquet_writer_options_init(&opts);
	opts.codec = shard_parquet_codec(sw->codec);
	opts.compression_level = sw->level;
	opts.row_group_rows = spillpool_shard_row_group_rows;
	snprintf(created_by, sizeof(created_by), "spillpool version %s", SPILLPOOL_VERSION_STR);
	opts.created_by = created_by;
	errno = 0;
	sw->w = parquet_writer_create(sw->fd, sw->specs, sw->ncols, &opts, err, sizeof(err));
	if (sw->w == NULL)
		shard_writer_error(sw, err, errno ? PARQUET_ERROR_IO : PARQUET_ERROR_INVALID);
	sw->rows = 0;
	resetStringInfo(&sw->runs);
	sw->run_first = sw->run_next = 0;
	sw->pos_min = PG_UINT64_MAX;
	sw->pos_max = 0;
}

/* Adds a finished run of positions to the current shard's list. */
static void
shard_writer_end_run(ShardWriter *sw)
{
	if (sw->run_next == sw->run_first)
		return;
	appendStringInfo(&sw->runs, "%s" UINT64_FORMAT ":" UINT64_FORMAT,
					 sw->runs.len > 0 ? "," : "", sw->run_first,
					 sw->run_next - sw->run_first);
	sw->run_first = sw->run_next = 0;
}

/*
 * Plans the shard columns of a table and opens the first shard file.  The
 * caller owns the result until shard_writer_finish or shard_writer_abort.
 */
ShardWriter *
shard_writer_begin(Relation rel, Oid dbid, Oid relfilenode, uint64 snapshot,
				   SpillCodec codec, int level)
{
	TupleDesc	desc = RelationGetDescr(rel);
	ShardWriter *sw = palloc0(sizeof(ShardWriter));
	StringInfoData meta;
	int			i;

	sw->rel = rel;
	sw->dbid = dbid;
	sw->relfilenode = relfilenode;
	sw->snapshot = snapshot;
	sw->codec = codec;
	sw->level = level;
	sw->fd = -1;
	sw->utf8 = database_text_is_utf8();
	sw->cols = palloc0(sizeof(ShardColumn) * Max(desc->natts, 1));
	sw->specs = palloc0(sizeof(ParquetColumnSpec) * Max(desc->natts, 1));
	sw->values = palloc0(sizeof(ParquetRowValue) * Max(desc->natts, 1));
	sw->names = palloc0(sizeof(char *) * Max(desc->natts, 1));
	initStringInfo(&meta);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ShardColumn *c = &sw->cols[sw->ncols];
		int32		base_typmod;
		Oid			base;
		int			precision = 0,
					scale = 0;
		Oid			outfn;
		bool		isvarlena;

		if (att->attisdropped)
			continue;
		base_typmod = att->atttypmod;
		base = getBaseTypeAndTypmod(att->atttypid, &base_typmod);
		c->attnum = att->attnum;
		c->typid = att->atttypid;
		c->typmod = att->atttypmod;
		c->kind = shard_kind_of_type(base, base_typmod, &precision, &scale);
		if (c->kind == SK_LIST)
		{
			c->elem_kind = shard_list_element_kind(base, base_typmod, &c->elemtype,
												   &precision, &scale);
			get_typlenbyvalalign(c->elemtype, &c->elmlen, &c->elmbyval, &c->elmalign);
			getTypeOutputInfo(c->elemtype, &outfn, &isvarlena);
			fmgr_info(outfn, &c->elem_out);
		}
		c->scale = scale;
		getTypeOutputInfo(att->atttypid, &outfn, &isvarlena);
		fmgr_info(outfn, &c->out);
		initStringInfo(&c->exceptions);
		initStringInfo(&c->lower_bounds);
		sw->names[sw->ncols] = sw->utf8 ? pstrdup(NameStr(att->attname)) :
			pg_server_to_any(NameStr(att->attname), strlen(NameStr(att->attname)), PG_UTF8);
		shard_column_spec(c, &sw->specs[sw->ncols], sw->names[sw->ncols],
						  !att->attnotnull, precision, scale);
		appendStringInfo(&meta, "%s%d:%d:%u:%d", sw->ncols > 0 ? "," : "",
						 c->attnum, (int) c->kind, c->typid, c->typmod);
		if (c->kind == SK_LIST)
			appendStringInfo(&meta, ":%d", (int) c->elem_kind);
		sw->ncols++;
	}
	if (sw->ncols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot flush spillpool table \"%s\" without columns",
						RelationGetRelationName(rel))));
	sw->columns_meta = meta.data;
	sw->slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	sw->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "spillpool shard row",
										ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&sw->runs);
	shard_writer_open_next(sw);
	return sw;
}

/* Records a value Parquet cannot hold; the Parquet value is NULL. */
static void
shard_add_exception(ShardWriter *sw, ShardColumn *c, ParquetRowValue *pv, Datum d)
{
	appendStringInfo(&c->exceptions, INT64_FORMAT ":%s\n", sw->rows,
					 OutputFunctionCall(&c->out, d));
	pv->isnull = true;
}

/*
 * Converts one datum of kind "kind" into a Parquet value of column c (the
 * column's own value, or an element of a LIST column: c's scale and
 * physical type are the element's then; out is the output function of a
 * text form).  False when Parquet's type cannot hold the value (a numeric
 * NaN, a timestamp past 294247-01-10): the caller records an exception.
 */
static bool
shard_convert_scalar(ShardWriter *sw, ShardColumn *c, ShardKind kind, FmgrInfo *out,
					 Datum d, ParquetRowValue *pv)
{
	pv->isnull = false;
	switch (kind)
	{
		case SK_BOOL:
			pv->v.boolean = DatumGetBool(d);
			break;
		case SK_INT2:
			pv->v.int32 = DatumGetInt16(d);
			break;
		case SK_INT4:
			pv->v.int32 = DatumGetInt32(d);
			break;
		case SK_INT8:
			pv->v.int64 = DatumGetInt64(d);
			break;
		case SK_FLOAT4:
			pv->v.float4 = DatumGetFloat4(d);
			if (isnan(pv->v.float4))
				c->has_nan = true;
			break;
		case SK_FLOAT8:
			pv->v.float8 = DatumGetFloat8(d);
			if (isnan(pv->v.float8))
				c->has_nan = true;
			break;
		case SK_TEXT:
		case SK_BYTEA:
		case SK_JSON:
			{
				/*
				 * Rows stored since the fix hold plain values only, but a
				 * segment written before it may still hold a value
				 * compressed inline: decompress it (in the row context),
				 * so that the shard and its statistics get the value.
				 */
				struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));
				const char *ptr = VARDATA_ANY(v);
				int			len = VARSIZE_ANY_EXHDR(v);

				if (kind != SK_BYTEA && !sw->utf8)
				{
					ptr = pg_server_to_any(ptr, len, PG_UTF8);
					if (ptr != VARDATA_ANY(v))
						len = strlen(ptr);
				}
				pv->v.bytes.ptr = (const uint8 *) ptr;
				pv->v.bytes.len = len;
				break;
			}
		case SK_JSONB:
		case SK_TEXTFORM:
			{
				char	   *s = OutputFunctionCall(out, d);
				int			len = strlen(s);

				if (!sw->utf8)
				{
					s = pg_server_to_any(s, len, PG_UTF8);
					len = strlen(s);
				}
				pv->v.bytes.ptr = (const uint8 *) s;
				pv->v.bytes.len = len;
				break;
			}
		case SK_DATE:
			pv->v.int32 = pg_date_to_parquet(DatumGetDateADT(d));
			break;
		case SK_TIMESTAMP:
		case SK_TIMESTAMPTZ:
			if (!pg_timestamp_to_parquet(DatumGetTimestamp(d), &pv->v.int64))
				return false;
			break;
		case SK_UUID:
			pv->v.bytes.ptr = DatumGetUUIDP(d)->data;
			pv->v.bytes.len = UUID_LEN;
			break;
		case SK_NUMERIC:
			{
				int128		u;

				if (!pg_numeric_to_unscaled(d, c->scale, &u))
					return false;
				if (c->physical == PQ_INT32)
					pv->v.int32 = (int32) u;
				else if (c->physical == PQ_INT64)
					pv->v.int64 = (int64) u;
				else
				{
					uint8	   *scratch = palloc(c->flba_len);
					int			i;

					for (i = c->flba_len - 1; i >= 0; i--)
					{
						scratch[i] = (uint8) (u & 0xff);
						u >>= 8;
					}
					pv->v.bytes.ptr = scratch;
					pv->v.bytes.len = c->flba_len;
				}
				break;
			}
		case SK_LIST:
			elog(ERROR, "a list of lists cannot be a shard column");
			break;
	}
	return true;
}

/*
 * Converts an array of a LIST column into its elements (in the row
 * context); false when it does not fit the column (see the file header),
 * and then nothing is recorded.  A lower bound other than 1 is recorded
 * for the row.
 */
static bool
shard_convert_list(ShardWriter *sw, ShardColumn *c, Datum d, ParquetRowValue *pv)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	ParquetRowValue *ev;
	int			k;

	pv->isnull = false;
	pv->elements = NULL;
	pv->nelements = 0;
	if (ARR_NDIM(arr) == 0)
		return true;			/* an empty array: an empty list */
	if (ARR_NDIM(arr) != 1)
		return false;
	deconstruct_array(arr, c->elemtype, c->elmlen, c->elmbyval, c->elmalign,
					  &elems, &nulls, &n);
	ev = palloc0(sizeof(ParquetRowValue) * Max(n, 1));
	for (k = 0; k < n; k++)
	{
		if (nulls[k])
			ev[k].isnull = true;
		else if (!shard_convert_scalar(sw, c, c->elem_kind, &c->elem_out, elems[k], &ev[k]))
			return false;
	}
	if (ARR_LBOUND(arr)[0] != 1)
		appendStringInfo(&c->lower_bounds, INT64_FORMAT ":%d\n", sw->rows, ARR_LBOUND(arr)[0]);
	pv->elements = ev;
	pv->nelements = (uint32) n;
	return true;
}

/*
 * Converts one datum into the Parquet value of its column, or records it
 * as an exception of the row (a NULL Parquet value) when it does not fit.
 */
static void
shard_convert_value(ShardWriter *sw, ShardColumn *c, Datum d, ParquetRowValue *pv)
{
	bool		fits;

	if (c->kind == SK_LIST)
		fits = shard_convert_list(sw, c, d, pv);
	else
		fits = shard_convert_scalar(sw, c, c->kind, &c->out, d, pv);
	if (!fits)
	{
		pv->elements = NULL;
		pv->nelements = 0;
		shard_add_exception(sw, c, pv, d);
	}
}



/* Writes the per-shard metadata and finishes the current shard file. */
static void
shard_writer_close_current(ShardWriter *sw)
{
	ParquetWriteResult res;
	StringInfoData nan;
	char		err[PARQUET_ERROR_MESSAGE_SIZE];
	char		key[NAMEDATALEN + 32];
	ParquetStatus rc;
	int			i;
	ManifestShard *ms;
	pg_crc32c	footer_crc;

	initStringInfo(&nan);
	rc = parquet_writer_add_metadata(sw->w, "spillpool.version", SPILLPOOL_VERSION_STR);
	if (rc == PARQUET_OK)
		rc = parquet_writer_add_metadata(sw->w, "spillpool.columns", sw->columns_meta);
	for (i = 0; i < sw->ncols && rc == PARQUET_OK; i++)
	{
		ShardColumn *c = &sw->cols[i];

		snprintf(key, sizeof(key), "spillpool.type.%s", sw->names[i]);
		{
			char	   *tn = format_type_with_typemod(c->typid, c->typmod);

			if (!sw->utf8)
				tn = pg_server_to_any(tn, strlen(tn), PG_UTF8);
			rc = parquet_writer_add_metadata(sw->w, key, tn);
		}
		if (rc == PARQUET_OK && c->exceptions.len > 0)
		{
			snprintf(key, sizeof(key), "spillpool.exceptions.%d", i);
			rc = parquet_writer_add_metadata(sw->w, key, c->exceptions.data);
		}
		if (rc == PARQUET_OK && c->lower_bounds.len > 0)
		{
			snprintf(key, sizeof(key), "spillpool.lower_bounds.%d", i);
			rc = parquet_writer_add_metadata(sw->w, key, c->lower_bounds.data);
		}
		resetStringInfo(&c->lower_bounds);
		if (c->has_nan)
			appendStringInfo(&nan, "%s%d", nan.len > 0 ? "," : "", i);
		resetStringInfo(&c->exceptions);
		c->has_nan = false;
	}
	if (rc == PARQUET_OK && nan.len > 0)
		rc = parquet_writer_add_metadata(sw->w, "spillpool.float_nan", nan.data);
	shard_writer_end_run(sw);
	if (rc == PARQUET_OK)
		rc = parquet_writer_add_metadata(sw->w, "spillpool.positions", sw->runs.data);
	if (rc != PARQUET_OK)
		shard_writer_error(sw, parquet_writer_error(sw->w), rc);
	errno = 0;
	rc = parquet_writer_finish(sw->w, &res, err, sizeof(err));
	if (rc != PARQUET_OK)
		shard_writer_error(sw, err, rc);
	parquet_writer_free(sw->w);
	sw->w = NULL;
	if (pg_fsync(sw->fd) != 0)
		ereport(data_sync_elevel(ERROR),
				(errcode_for_file_access(),
				 errmsg("could not fsync shard file \"%s\": %m", sw->path)));
	footer_crc = shard_file_footer_crc(sw->fd, sw->path);
	CloseTransientFile(sw->fd);
	sw->fd = -1;

	if (sw->nshards == sw->shards_cap)
	{
		sw->shards_cap = Max(4, sw->shards_cap * 2);
		sw->shards = sw->shards ? repalloc(sw->shards, sizeof(ManifestShard) * sw->shards_cap) :
			palloc(sizeof(ManifestShard) * sw->shards_cap);
	}
	ms = &sw->shards[sw->nshards++];
	memset(ms, 0, sizeof(*ms));
	ms->snapshot = sw->snapshot;
	ms->n = sw->nshards - 1;
	ms->rows = res.rows;
	ms->bytes = (int64) res.bytes_written;
	ms->codec = sw->codec;
	ms->row_groups = res.row_groups;
	ms->has_footer_crc = true;
	ms->footer_crc = footer_crc;
	ms->pos_min = sw->pos_min;
	ms->pos_max = sw->pos_max;
	ms->pos_legacy = false;
	pfree(nan.data);
}

/*
 * Adds one row (a stored row record's tuple) at its position to the
 * current shard.
 */
void
shard_writer_add(ShardWriter *sw, MinimalTuple tup, uint64 pos)
{
	MemoryContext old;
	int			i;
	ParquetStatus rc;

	CHECK_FOR_INTERRUPTS();
	/* a full shard is closed at a row group boundary */
	if (sw->rows > 0 && sw->rows % spillpool_shard_row_group_rows == 0 &&
		parquet_writer_bytes(sw->w) >= (uint64) spillpool_max_shard_size_mb * 1024 * 1024)
	{
		shard_writer_close_current(sw);
		shard_writer_open_next(sw);
	}
	old = MemoryContextSwitchTo(sw->row_cxt);
	ExecStoreMinimalTuple(tup, sw->slot, false);
	slot_getallattrs(sw->slot);
	for (i = 0; i < sw->ncols; i++)
	{
		ShardColumn *c = &sw->cols[i];
		int			a = c->attnum - 1;

		if (sw->slot->tts_isnull[a])
		{
			sw->values[i].isnull = true;
			continue;
		}
		shard_convert_value(sw, c, sw->slot->tts_values[a], &sw->values[i]);
	}
	errno = 0;
	rc = parquet_writer_add_row(sw->w, sw->values);
	MemoryContextSwitchTo(old);
	MemoryContextReset(sw->row_cxt);
	ExecClearTuple(sw->slot);
	if (rc != PARQUET_OK)
		shard_writer_error(sw, parquet_writer_error(sw->w), rc);
	sw->rows++;
	if (pos != sw->run_next || sw->run_next == 0)
	{
		shard_writer_end_run(sw);
		sw->run_first = pos;
	}
	sw->run_next = pos + 1;
	sw->pos_min = Min(sw->pos_min, pos);
	sw->pos_max = Max(sw->pos_max, pos);
}

/*
 * Finishes the last shard and makes the files and their names durable.
 * Returns the number of shards, their manifest entries in *shards.  A
 * flush that added no row writes no shard.
 */
int
shard_writer_finish(ShardWriter *sw, ManifestShard **shards)
{
	char		dir[MAXPGPATH];

	if (sw->rows > 0 || sw->nshards == 0)
		shard_writer_close_current(sw);
	else
	{
		/* an empty file opened after a full one: drop it */
		parquet_writer_free(sw->w);
		sw->w = NULL;
		CloseTransientFile(sw->fd);
		sw->fd = -1;
		(void) unlink(sw->path);
	}
	shard_dir_path(dir, sw->dbid, sw->relfilenode);
	fsync_fname(dir, true);
	ExecDropSingleTupleTableSlot(sw->slot);
	sw->slot = NULL;
	*shards = sw->shards;
	return sw->nshards;
}

/*
 * After an error: frees the writer and removes every file this flush
 * wrote, so that the next flush starts clean.
 */
void
shard_writer_abort(ShardWriter *sw)
{
	int			n;

	if (sw == NULL)
		return;
	if (sw->w != NULL)
		parquet_writer_free(sw->w);
	sw->w = NULL;
	if (sw->fd >= 0)
		CloseTransientFile(sw->fd);
	sw->fd = -1;
	for (n = 0; n <= sw->nshards; n++)
	{
		char		path[MAXPGPATH];

		shard_file_path(path, sw->dbid, sw->relfilenode, sw->snapshot, n);
		(void) unlink(path);
	}
}
