/*-------------------------------------------------------------------------
 *
 * read_parquet.c
 *	  spillpool.read_parquet(path): the rows of any Parquet file of
 *	  primitive and LIST columns, as SETOF record with a column definition
 *	  list.
 *
 * The file is decoded by the standalone reader (parquet_read.c); this file
 * maps its values to PostgreSQL.  Every Parquet column gets a "natural"
 * PostgreSQL type from its physical and logical type (the mapping spillpool
 * writes, after pg_parquet's); when the column definition list asks for
 * another type the value goes through its text form.  Columns are matched by
 * name, so a definition list may name any subset of the file's columns.
 *
 * Timestamps: Parquet counts from 1970-01-01, PostgreSQL from 2000-01-01.
 * The largest INT64 timestamp (INT32 date) is read as infinity; its
 * negation and the smallest value as -infinity (DuckDB, and spillpool,
 * write -infinity as the negated largest value).  Other values outside
 * PostgreSQL's range are an error.  INT96 timestamps, which have no
 * infinities of their own, are never an error: those before PostgreSQL's
 * earliest are -infinity, those from 2^63 - 1 microseconds since 1970 on
 * (294247-01-10 04:00:54.775807) infinity, the others exact to the
 * microsecond, their nanoseconds truncated as DuckDB does (see
 * parquet_int96_to_pg).
 *
 * A LIST column (any of the list forms the reader accepts, see
 * parquet_read.h) reads as a one-dimensional array of its element's
 * natural type (lower bound 1; an empty list as an empty array, NULL
 * elements as NULL), e.g. integer[] for DuckDB's INTEGER[]; another type
 * in the definition list goes through the array's text form, so a list
 * can be read as bigint[] or text.
 *
 * FLOAT16 (FIXED_LEN_BYTE_ARRAY(2) with that logical type) reads as real,
 * which holds every half-precision value exactly; like FLOAT, it can be
 * asked for as double precision or text, through real's text form.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "parquet/parquet_read.h"
#include "spillpool.h"
#include "shard/convert.h"

PG_FUNCTION_INFO_V1(spillpool_read_parquet);

/* How one requested column is produced. */
typedef struct ReadColumn
{
	int			pq_index;		/* column in the file */
	const ParquetColumnSchema *schema;
	Oid			natural;		/* the PostgreSQL type of the Parquet column */
	Oid			elem_natural;	/* a LIST's: the type of its elements */
	int16		elmlen;			/* ... and their storage */
	bool		elmbyval;
	char		elmalign;
	Oid			target;			/* the type the definition list asks for */
	int32		target_typmod;
	bool		via_text;		/* natural != target: output, then input */
	FmgrInfo	natural_out;
	FmgrInfo	target_in;
	Oid			target_ioparam;
} ReadColumn;

/* The PostgreSQL type a Parquet column's values are read as. */
static Oid
parquet_natural_type(const ParquetColumnSchema *col)
{
	ParquetLogicalType lt = col->logical_type;
	ParquetConvertedType ct = col->converted_type;

	if (lt == PQ_LT_DECIMAL || ct == PQ_CT_DECIMAL)
		return NUMERICOID;
	switch (col->physical_type)
	{
		case PQ_BOOLEAN:
			return BOOLOID;
		case PQ_INT32:
			if (lt == PQ_LT_DATE || ct == PQ_CT_DATE)
				return DATEOID;
			if (lt == PQ_LT_TIME || ct == PQ_CT_TIME_MILLIS)
				return TIMEOID;
			if (col->int_bit_width == 32 && !col->int_is_signed &&
				(lt == PQ_LT_INTEGER || ct == PQ_CT_UINT_32))
				return INT8OID;
			if (col->int_bit_width == 8 || col->int_bit_width == 16)
				return col->int_is_signed || col->int_bit_width == 8 ? INT2OID : INT4OID;
			return INT4OID;
		case PQ_INT64:
			if (lt == PQ_LT_TIMESTAMP || ct == PQ_CT_TIMESTAMP_MICROS ||
				ct == PQ_CT_TIMESTAMP_MILLIS)
				return (col->is_adjusted_to_utc || lt != PQ_LT_TIMESTAMP) ?
					TIMESTAMPTZOID : TIMESTAMPOID;
			if (lt == PQ_LT_TIME || ct == PQ_CT_TIME_MICROS)
				return TIMEOID;
			if (col->int_bit_width == 64 && !col->int_is_signed &&
				(lt == PQ_LT_INTEGER || ct == PQ_CT_UINT_64))
				return NUMERICOID;
			return INT8OID;
		case PQ_INT96:
			return TIMESTAMPOID;
		case PQ_FLOAT:
			return FLOAT4OID;
		case PQ_DOUBLE:
			return FLOAT8OID;
		case PQ_BYTE_ARRAY:
			if (lt == PQ_LT_JSON || ct == PQ_CT_JSON)
				return JSONOID;
			if (lt == PQ_LT_STRING || lt == PQ_LT_ENUM ||
				ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM)
				return TEXTOID;
			return BYTEAOID;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (lt == PQ_LT_UUID && col->type_length == 16)
				return UUIDOID;
			/* the reader checked that FLOAT16 is 2 bytes long */
			if (lt == PQ_LT_FLOAT16)
				return FLOAT4OID;
			return BYTEAOID;
	}
	return TEXTOID;
}

/*
 * The unit of an INT64 timestamp column's values: TIMESTAMP_MILLIS without
 * a LogicalType is milliseconds.
 */
static ParquetTimeUnit
parquet_timestamp_unit(const ParquetColumnSchema *col)
{
	if (col->time_unit == PQ_UNIT_MILLIS ||
		(col->logical_type != PQ_LT_TIMESTAMP &&
		 col->converted_type == PQ_CT_TIMESTAMP_MILLIS))
		return PQ_UNIT_MILLIS;
	if (col->time_unit == PQ_UNIT_NANOS)
		return PQ_UNIT_NANOS;
	return PQ_UNIT_MICROS;
}

/*
 * One decoded value as a datum of natural, the natural type of the
 * column's values (of a LIST's elements).
 */
static pg_noinline Datum
parquet_value_to_natural(const ReadColumn *rc, Oid natural, const ParquetValue *v)
{
	const ParquetColumnSchema *col = rc->schema;

	switch (natural)
	{
		case BOOLOID:
			return BoolGetDatum(v->boolean);
		case INT2OID:
			return Int16GetDatum((int16) v->int32);
		case INT4OID:
			return Int32GetDatum(v->int32);
		case INT8OID:
			if (col->physical_type == PQ_INT32)	/* UINT_32 */
				return Int64GetDatum((int64) (uint32) v->int32);
			return Int64GetDatum(v->int64);
		case FLOAT4OID:
			if (col->physical_type == PQ_FIXED_LEN_BYTE_ARRAY)	/* FLOAT16 */
				return Float4GetDatum(parquet_float16_to_float(v->bytes.ptr));
			return Float4GetDatum(v->float4);
		case FLOAT8OID:
			return Float8GetDatum(v->float8);
		case DATEOID:
			return DateADTGetDatum(parquet_date_to_pg(v->int32, col->name));
		case TIMEOID:
			if (col->physical_type == PQ_INT32)
				return TimeADTGetDatum((TimeADT) v->int32 * 1000);
			return TimeADTGetDatum(col->time_unit == PQ_UNIT_NANOS ?
								   v->int64 / 1000 : v->int64);
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			if (col->physical_type == PQ_INT96)
				return TimestampGetDatum(parquet_int96_to_pg(v->int64));
			return TimestampGetDatum(parquet_timestamp_to_pg(v->int64,
															 parquet_timestamp_unit(col),
															 col->name));
		case NUMERICOID:
			if (col->logical_type == PQ_LT_DECIMAL || col->converted_type == PQ_CT_DECIMAL)
			{
				int128		u;

				if (col->physical_type == PQ_INT32)
					u = v->int32;
				else if (col->physical_type == PQ_INT64)
					u = v->int64;
				else
					u = parquet_be_bytes_to_int128(v->bytes.ptr, v->bytes.len, col->name);
				return parquet_decimal_to_numeric(u, col->decimal_scale);
			}
			/* UINT_64 */
			return parquet_decimal_to_numeric((int128) (uint64) v->int64, 0);
		case UUIDOID:
			{
				pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

				memcpy(u->data, v->bytes.ptr, UUID_LEN);
				return UUIDPGetDatum(u);
			}
		case BYTEAOID:
			{
				bytea	   *b = palloc(VARHDRSZ + v->bytes.len);

				SET_VARSIZE(b, VARHDRSZ + v->bytes.len);
				memcpy(VARDATA(b), v->bytes.ptr, v->bytes.len);
				return PointerGetDatum(b);
			}
		case TEXTOID:
		case JSONOID:
			{
				/* Parquet strings are UTF-8: check and convert them */
				char	   *s = pg_any_to_server((const char *) v->bytes.ptr,
												 (int) v->bytes.len, PG_UTF8);
				int			len = (s == (const char *) v->bytes.ptr) ?
					(int) v->bytes.len : (int) strlen(s);

				if (natural == JSONOID)
					return DirectFunctionCall1(json_in, CStringGetDatum(pnstrdup(s, len)));
				return PointerGetDatum(cstring_to_text_with_len(s, len));
			}
	}
	elog(ERROR, "unexpected natural type %u", natural);
	return (Datum) 0;
}

/*
 * Row r of a LIST column as an array of its elements' natural type: one
 * dimension with lower bound 1, or an empty array.
 */
static Datum
parquet_list_to_natural(const ReadColumn *rc, const ParquetColumnValues *cv, int64 r)
{
	int64		first = cv->list_offsets[r];
	int64		n = cv->list_offsets[r + 1] - first;
	Datum	   *elems;
	bool	   *nulls;
	int			dims[1];
	int			lbs[1] = {1};

	if (n == 0)
		return PointerGetDatum(construct_empty_array(rc->elem_natural));
	if (n > MaxArraySize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Parquet list column \"%s\" holds a list of " INT64_FORMAT " elements",
						rc->schema->name, n),
				 errdetail("PostgreSQL arrays hold at most %d elements.", (int) MaxArraySize)));
	elems = palloc(sizeof(Datum) * n);
	nulls = palloc(sizeof(bool) * n);
	for (int64 k = 0; k < n; k++)
	{
		nulls[k] = cv->element_is_null[first + k];
		elems[k] = nulls[k] ? (Datum) 0 :
			parquet_value_to_natural(rc, rc->elem_natural, &cv->elements[first + k]);
	}
	dims[0] = (int) n;
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, rc->elem_natural,
											  rc->elmlen, rc->elmbyval, rc->elmalign));
}

/* Maps the definition list's columns to the file's, by name. */
static ReadColumn *
read_parquet_plan_columns(ParquetReader *reader, TupleDesc desc, const char *path)
{
	ReadColumn *cols = palloc0(sizeof(ReadColumn) * desc->natts);
	const ParquetFileMeta *meta = parquet_reader_metadata(reader);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ReadColumn *rc = &cols[i];
		int			idx = parquet_reader_find_column(reader, NameStr(att->attname));

		if (idx < 0)
		{
			StringInfoData names;
			int			j;

			initStringInfo(&names);
			for (j = 0; j < meta->num_columns; j++)
				appendStringInfo(&names, "%s%s", j > 0 ? ", " : "", meta->columns[j].name);
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" does not exist in Parquet file \"%s\"",
							NameStr(att->attname), path),
					 errhint("The column definition list names columns of the file, which are: %s.",
							 names.data)));
		}
		rc->pq_index = idx;
		rc->schema = &meta->columns[idx];
		rc->natural = parquet_natural_type(rc->schema);
		if (rc->schema->is_list)
		{
			rc->elem_natural = rc->natural;
			rc->natural = get_array_type(rc->elem_natural);
			if (!OidIsValid(rc->natural))
				elog(ERROR, "type %u has no array type", rc->elem_natural);
			get_typlenbyvalalign(rc->elem_natural, &rc->elmlen, &rc->elmbyval, &rc->elmalign);
		}
		if ((rc->schema->logical_type == PQ_LT_DECIMAL ||
			 rc->schema->converted_type == PQ_CT_DECIMAL) &&
			(rc->schema->decimal_precision > 38 || rc->schema->decimal_scale > 38 ||
			 rc->schema->decimal_scale < 0))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("Parquet decimal column \"%s\" has precision %d and scale %d",
							rc->schema->name, rc->schema->decimal_precision,
							rc->schema->decimal_scale),
					 errdetail("Decimals of precision and scale up to 38 are supported.")));
		rc->target = att->atttypid;
		rc->target_typmod = att->atttypmod;
		rc->via_text = (rc->natural != rc->target || rc->target_typmod != -1);
		if (rc->via_text)
		{
			Oid			func;
			bool		isvarlena;

			getTypeOutputInfo(rc->natural, &func, &isvarlena);
			fmgr_info(func, &rc->natural_out);
			getTypeInputInfo(rc->target, &func, &rc->target_ioparam);
			fmgr_info(func, &rc->target_in);
		}
	}
	return cols;
}

/* Raises a reader failure as the matching PostgreSQL error. */
static void
read_parquet_error(ParquetStatus st, const char *path, const char *msg)
{
	ereport(ERROR,
			(errcode(parquet_status_errcode(st)),
			 errmsg("could not read Parquet file \"%s\": %s", path, msg)));
}

/*
 * Decodes every row group and stores the rows.  Runs inside PG_TRY in the
 * caller, which closes the reader however this ends.
 */
static void
read_parquet_rows(ParquetReader *reader, ReadColumn *cols, TupleDesc desc,
				  ReturnSetInfo *rsinfo, const char *path)
{
	const ParquetFileMeta *meta = parquet_reader_metadata(reader);
	int		   *indexes = palloc(sizeof(int) * Max(desc->natts, 1));
	Datum	   *values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(desc->natts, 1));
	MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "read_parquet row",
												  ALLOCSET_DEFAULT_SIZES);
	char		err[PARQUET_ERROR_MESSAGE_SIZE];
	int			rg;
	int			i;

	for (i = 0; i < desc->natts; i++)
		indexes[i] = cols[i].pq_index;

	for (rg = 0; rg < meta->num_row_groups; rg++)
	{
		ParquetRowGroupBatch batch;
		ParquetStatus st;
		int64		r;

		CHECK_FOR_INTERRUPTS();
		memset(&batch, 0, sizeof(batch));
		st = parquet_read_row_group(reader, rg, indexes, desc->natts, &batch,
									err, sizeof(err));
		if (st != PARQUET_OK)
		{
			parquet_row_group_batch_free(&batch);
			read_parquet_error(st, path, err);
		}
		PG_TRY();
		{
			for (r = 0; r < batch.num_rows; r++)
			{
				MemoryContext old = MemoryContextSwitchTo(row_cxt);

				for (i = 0; i < desc->natts; i++)
				{
					ParquetColumnValues *cv = &batch.columns[i];
					ReadColumn *rc = &cols[i];

					nulls[i] = cv->is_null[r];
					if (nulls[i])
						continue;
					if (rc->schema->is_list)
						values[i] = parquet_list_to_natural(rc, cv, r);
					else
						values[i] = parquet_value_to_natural(rc, rc->natural, &cv->values[r]);
					if (rc->via_text)
						values[i] = InputFunctionCall(&rc->target_in,
													  OutputFunctionCall(&rc->natural_out, values[i]),
													  rc->target_ioparam, rc->target_typmod);
				}
				MemoryContextSwitchTo(old);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
				MemoryContextReset(row_cxt);
			}
		}
		PG_CATCH();
		{
			parquet_row_group_batch_free(&batch);
			PG_RE_THROW();
		}
		PG_END_TRY();
		parquet_row_group_batch_recycle(reader, &batch);
	}
	MemoryContextDelete(row_cxt);
}

/*
 * Refuses anything but a regular file.  The file was opened without
 * blocking, so that a FIFO with no writer (whose reads would wait, deaf to
 * cancellation) or a device is refused here instead of hanging the open.
 */
static void
read_parquet_check_regular(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
	{
		int			save_errno = errno;

		CloseTransientFile(fd);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat Parquet file \"%s\": %m", path)));
	}
	if (!S_ISREG(st.st_mode))
	{
		CloseTransientFile(fd);
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file", path),
				 errdetail("spillpool.read_parquet reads regular files only, not directories, FIFOs or devices.")));
	}
}

/*
 * spillpool.read_parquet(path text) RETURNS SETOF record.  Superusers and
 * members of pg_read_server_files only: it reads any file the server can.
 */
Datum
spillpool_read_parquet(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *path;
	int			fd;
	ParquetReader *reader = NULL;
	ParquetStatus st;
	char		err[PARQUET_ERROR_MESSAGE_SIZE];
	TupleDesc	desc;

	spillpool_require_preload();
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read Parquet files"),
				 errdetail("Only superusers and roles with privileges of pg_read_server_files may call spillpool.read_parquet.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("path must not be NULL")));
	path = text_to_cstring(PG_GETARG_TEXT_PP(0));

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	desc = rsinfo->setDesc;

	/*
	 * The file is opened through fd.c, which accounts for it and closes it
	 * at the end of the transaction at the latest; the reader only preads
	 * it.  A file that does not open gives the message (and SQLSTATE) the
	 * reader gave when it opened files itself.
	 */
	fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (fd < 0)
	{
		snprintf(err, sizeof(err), "could not open Parquet file \"%s\": %m", path);
		read_parquet_error(PARQUET_ERROR_IO, path, err);
	}
	read_parquet_check_regular(fd, path);
	st = parquet_reader_open_fd(fd, NULL, &reader, err, sizeof(err));
	if (st != PARQUET_OK)
	{
		CloseTransientFile(fd);
		read_parquet_error(st, path, err);
	}
	PG_TRY();
	{
		ReadColumn *cols = read_parquet_plan_columns(reader, desc, path);

		read_parquet_rows(reader, cols, desc, rsinfo, path);
	}
	PG_CATCH();
	{
		parquet_reader_close(reader);
		CloseTransientFile(fd);
		PG_RE_THROW();
	}
	PG_END_TRY();
	parquet_reader_close(reader);
	CloseTransientFile(fd);
	return (Datum) 0;
}
