/*-------------------------------------------------------------------------
 *
 * convert.h
 *	  Conversions between PostgreSQL values and Parquet values, and the
 *	  mapping of the Parquet library's statuses to SQLSTATEs, for the shard
 *	  reader and writer and spillpool.read_parquet.
 *
 * src/parquet knows nothing about PostgreSQL; what ties Parquet values to
 * PostgreSQL's (its epoch, its date and timestamp range and infinities,
 * numeric) lives here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_CONVERT_H
#define SPILLPOOL_CONVERT_H

#include "datatype/timestamp.h"
#include "utils/date.h"

#include "parquet/parquet_format.h"
#include "parquet/parquet_types.h"
#include "tier/compress.h"

/* Days between 1970-01-01 (Parquet DATE) and 2000-01-01 (PostgreSQL) */
#define PARQUET_PG_EPOCH_DAYS			10957
/* Microseconds between the two epochs */
#define PARQUET_PG_EPOCH_USECS			(INT64_C(10957) * 86400 * 1000000)


/*
 * How a column is stored in a shard; recorded per column in the shard's
 * key-value metadata ("spillpool.columns") so that reads map it back.
 */
typedef enum ShardKind
{
	SK_BOOL = 1,
	SK_INT2,
	SK_INT4,
	SK_INT8,
	SK_FLOAT4,
	SK_FLOAT8,
	SK_TEXT,					/* text, varchar, bpchar: STRING */
	SK_BYTEA,
	SK_DATE,
	SK_TIMESTAMP,
	SK_TIMESTAMPTZ,
	SK_UUID,
	SK_JSON,
	SK_JSONB,
	SK_NUMERIC,					/* numeric(p <= 38, s): DECIMAL */
	SK_TEXTFORM,				/* any other type: its text form */
	SK_LIST						/* a one-dimensional array of a list element
								 * kind: a Parquet LIST of that kind (see
								 * shard_list_element_kind) */
} ShardKind;

/*
 * True for the kinds whose Parquet values are fixed-size numbers that map
 * to a by-value datum (see shard_fixed_datum): every kind from bool to
 * timestamptz but uuid.
 */
static inline bool
shard_kind_is_fixed(ShardKind kind)
{
	switch (kind)
	{
		case SK_BOOL:
		case SK_INT2:
		case SK_INT4:
		case SK_INT8:
		case SK_FLOAT4:
		case SK_FLOAT8:
		case SK_DATE:
		case SK_TIMESTAMP:
		case SK_TIMESTAMPTZ:
			return true;
		default:
			return false;
	}
}

extern ShardKind shard_kind_of_type(Oid base, int32 typmod, int *precision, int *scale);

/*
 * The field id of a LIST column's element, in the shards' Parquet schema
 * and the table's Iceberg schema (whose column field ids are attribute
 * numbers): one million plus the attribute number.  It is unique (columns
 * number at most 1600), the same in every shard and every version of the
 * schema (an id computed from the number of columns would move when a
 * column is added), and never used by anything else.
 */
#define SHARD_LIST_ELEMENT_FIELD_ID_BASE	1000000

static inline int
shard_list_element_field_id(int attnum)
{
	return SHARD_LIST_ELEMENT_FIELD_ID_BASE + attnum;
}

/*
 * The kind the elements of an array type (a base type, with the typmod of
 * its elements) are stored as in a LIST column, and the element type; 0 if
 * the array's elements are not a list element kind, and the array is kept
 * in its text form.
 */
extern ShardKind shard_list_element_kind(Oid base, int32 typmod, Oid *elemtype,
										 int *precision, int *scale);

/* A Parquet DECIMAL's unscaled value and scale as a numeric Datum. */
extern Datum parquet_decimal_to_numeric(int128 unscaled, int scale);

/* A big-endian two's-complement FIXED_LEN_BYTE_ARRAY decimal as int128. */
extern int128 parquet_be_bytes_to_int128(const uint8 *p, uint32 len, const char *colname);

/*
 * The SQLSTATE of a Parquet library failure: IO -> ERRCODE_IO_ERROR (a
 * caller with a meaningful errno uses errcode_for_file_access() instead),
 * NOMEM -> ERRCODE_OUT_OF_MEMORY, CORRUPT -> ERRCODE_DATA_CORRUPTED,
 * UNSUPPORTED and NESTED -> ERRCODE_FEATURE_NOT_SUPPORTED, LIMIT ->
 * ERRCODE_PROGRAM_LIMIT_EXCEEDED, INVALID, STATE and COMPRESS (misuse or
 * a library failure) -> ERRCODE_INTERNAL_ERROR.
 */
extern int	parquet_status_errcode(ParquetStatus st);

/*
 * True if text in this database is already UTF-8, as Parquet strings are
 * (UTF-8 or SQL_ASCII): no conversion when writing or reading shards, and
 * string statistics order like the database's bytes.
 */
extern bool database_text_is_utf8(void);

/*
 * A Parquet DATE (days since 1970) as a date: the largest int32 is
 * infinity, its negation and below -infinity (as DuckDB and shard_write.c
 * write them); other values outside PostgreSQL's range are an error
 * naming the column.
 */
extern DateADT parquet_date_to_pg(int32 v, const char *colname);

/*
 * A Parquet timestamp in the given unit since 1970 as a PostgreSQL
 * timestamp, with infinities as for dates (INT64_MIN is -infinity too);
 * values outside PostgreSQL's range are an error naming the column.
 */
extern Timestamp parquet_timestamp_to_pg(int64 v, ParquetTimeUnit unit, const char *colname);

/*
 * An INT96 timestamp as the Parquet reader decodes it (microseconds since
 * 1970, INT64_MAX for anything later than int64 holds) as a PostgreSQL
 * timestamp: values before PostgreSQL's earliest (4714-11-24 00:00:00 BC,
 * Julian day 0) are -infinity and INT64_MAX is infinity, never an error,
 * since INT96 has no infinity of its own and Spark and Impala write
 * values beyond any range; everything else is exact.
 */
extern Timestamp parquet_int96_to_pg(int64 micros);

/*
 * PostgreSQL values as Parquet values, for the shard writer: a date as
 * days since 1970 (infinity as the largest int32, -infinity as its
 * negation, which DuckDB reads as its own infinities); a timestamp as
 * microseconds since 1970 (false when it is too large for that, from
 * 294247-01-10 on: such values are recorded as exceptions); a numeric as
 * its unscaled integer at the given scale (false for NaN).
 */
extern int32 pg_date_to_parquet(DateADT d);
extern bool pg_timestamp_to_parquet(Timestamp t, int64 *out);
extern bool pg_numeric_to_unscaled(Datum numeric, int scale, int128 *out);

/*
 * A table's shard_compression as the Parquet codec it writes (lz4 is
 * written as LZ4_RAW, never the deprecated LZ4), and that codec's name as
 * spillpool.shards() shows it.
 */
extern ParquetCodec shard_parquet_codec(SpillCodec codec);
extern const char *shard_parquet_codec_name(SpillCodec codec);

#endif							/* SPILLPOOL_CONVERT_H */
