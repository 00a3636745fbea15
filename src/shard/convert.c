/*-------------------------------------------------------------------------
 *
 * convert.c
 *	  Conversions between PostgreSQL values and Parquet values that both
 *	  the shard reader and spillpool.read_parquet use (dates, timestamps,
 *	  decimals), and the one mapping of Parquet statuses to SQLSTATEs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/date.h"
#include "utils/numeric.h"

#include "parquet/parquet_write.h"
#include "shard/convert.h"

/*
 * A DECIMAL's unscaled integer (given as a signed 128-bit value) and scale,
 * as a numeric datum.
 */
Datum
parquet_decimal_to_numeric(int128 unscaled, int scale)
{
	char		digits[64];
	char		out[80];
	int			n = 0;
	bool		neg = unscaled < 0;
	uint128		u = neg ? (uint128) (-(unscaled + 1)) + 1 : (uint128) unscaled;
	int			pos = 0;
	int			i;

	do
	{
		digits[n++] = '0' + (int) (u % 10);
		u /= 10;
	} while (u != 0);
	while (n <= scale)
		digits[n++] = '0';
	if (neg)
		out[pos++] = '-';
	for (i = n - 1; i >= 0; i--)
	{
		out[pos++] = digits[i];
		if (i == scale && scale > 0)
			out[pos++] = '.';
	}
	out[pos] = '\0';
	return DirectFunctionCall3(numeric_in, CStringGetDatum(out),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* Big-endian two's-complement bytes (at most 16) as a 128-bit integer. */
pg_noinline int128
parquet_be_bytes_to_int128(const uint8 *p, uint32 len, const char *colname)
{
	int128		v;
	uint32		i;

	if (len == 0 || len > 16)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Parquet decimal column \"%s\" has a %u-byte value", colname, len),
				 errdetail("Decimals of up to 16 bytes (precision 38) are supported.")));
	v = (p[0] & 0x80) ? -1 : 0;
	for (i = 0; i < len; i++)
		v = (int128) (((uint128) v << 8) | p[i]);
	return v;
}

/*
 * The errcode of a Parquet status, so that the shard reader, the shard
 * writer and read_parquet report the same failure with the same SQLSTATE.
 */
int
parquet_status_errcode(ParquetStatus st)
{
	switch (st)
	{
		case PARQUET_ERROR_IO:
			return ERRCODE_IO_ERROR;
		case PARQUET_ERROR_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case PARQUET_ERROR_CORRUPT:
			return ERRCODE_DATA_CORRUPTED;
		case PARQUET_ERROR_UNSUPPORTED:
		case PARQUET_ERROR_NESTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case PARQUET_ERROR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case PARQUET_OK:
		case PARQUET_ERROR_INVALID:
		case PARQUET_ERROR_COMPRESS:
		case PARQUET_ERROR_STATE:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

/* The error for a Parquet date or timestamp PostgreSQL cannot hold. */
static pg_noinline void
parquet_timestamp_out_of_range(const char *colname)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("Parquet column \"%s\" holds a date or timestamp out of PostgreSQL's range",
					colname)));
}

/* See convert.h: days since 1970 as a date, infinities included. */
DateADT
parquet_date_to_pg(int32 v, const char *colname)
{
	if (v == PG_INT32_MAX)
		return DATEVAL_NOEND;
	if (v <= -PG_INT32_MAX)
		return DATEVAL_NOBEGIN;
	if (!IS_VALID_DATE((int64) v - PARQUET_PG_EPOCH_DAYS))
		parquet_timestamp_out_of_range(colname);
	return v - PARQUET_PG_EPOCH_DAYS;
}

/* See convert.h: a timestamp in unit since 1970 as PostgreSQL microseconds. */
Timestamp
parquet_timestamp_to_pg(int64 v, ParquetTimeUnit unit, const char *colname)
{
	/* DuckDB writes -infinity as -INT64_MAX, others INT64_MIN */
	if (v == PG_INT64_MAX)
		return DT_NOEND;
	if (v <= -PG_INT64_MAX)
		return DT_NOBEGIN;
	if (unit == PQ_UNIT_MILLIS)
	{
		if (v > PG_INT64_MAX / 1000 || v < -(PG_INT64_MAX / 1000))
			parquet_timestamp_out_of_range(colname);
		v *= 1000;
	}
	else if (unit == PQ_UNIT_NANOS)
		v /= 1000;
	if (v < PG_INT64_MIN + PARQUET_PG_EPOCH_USECS ||
		!IS_VALID_TIMESTAMP(v - PARQUET_PG_EPOCH_USECS))
		parquet_timestamp_out_of_range(colname);
	return v - PARQUET_PG_EPOCH_USECS;
}

/*
 * See convert.h: INT96 microseconds since 1970 as a timestamp, what lies
 * beyond PostgreSQL's range clamped to -infinity or infinity.  Unlike the
 * INT64 timestamps of parquet_timestamp_to_pg, whose writers have their
 * own infinities (the largest value and its negation) and whose other
 * out-of-range values are an error, INT96 has none: Spark, Hive and
 * Impala write out-of-range values as sentinels or by overflowing their
 * own arithmetic (parquet-testing's int96_from_spark.parquet), and failing
 * the whole read on one of them would leave such files unreadable.
 * Values from PostgreSQL's earliest up to 294247-01-10 04:00:54.775806
 * are exact.  INT64_MAX, where the reader saturates (and the infinity of
 * INT64 timestamps), is infinity: microseconds since 1970 in an int64 do
 * not reach the last 30 years PostgreSQL could hold (up to 294276).
 */
Timestamp
parquet_int96_to_pg(int64 micros)
{
	if (micros < MIN_TIMESTAMP + PARQUET_PG_EPOCH_USECS)
		return DT_NOBEGIN;
	if (micros == PG_INT64_MAX)
		return DT_NOEND;
	/* micros - the epoch is below INT64_MAX - the epoch < END_TIMESTAMP */
	return micros - PARQUET_PG_EPOCH_USECS;
}

/* See convert.h: UTF-8 and SQL_ASCII text needs no conversion. */
bool
database_text_is_utf8(void)
{
	int			encoding = GetDatabaseEncoding();

	return encoding == PG_UTF8 || encoding == PG_SQL_ASCII;
}

/* A date as a Parquet DATE; see convert.h. */
int32
pg_date_to_parquet(DateADT d)
{
	if (DATE_IS_NOEND(d))
		return PG_INT32_MAX;
	if (DATE_IS_NOBEGIN(d))
		return -PG_INT32_MAX;
	return d + PARQUET_PG_EPOCH_DAYS;
}

/* A timestamp as a Parquet TIMESTAMP(MICROS); see convert.h. */
bool
pg_timestamp_to_parquet(Timestamp t, int64 *out)
{
	if (t == DT_NOEND)
		*out = PG_INT64_MAX;
	else if (t == DT_NOBEGIN)
		*out = -PG_INT64_MAX;
	else if (t > PG_INT64_MAX - PARQUET_PG_EPOCH_USECS - 1)
		return false;
	else
		*out = t + PARQUET_PG_EPOCH_USECS;
	return true;
}

/*
 * A numeric of at most 38 digits as its unscaled integer at scale, read
 * from its text form (exact, and the column's typmod guarantees that it
 * fits); false for NaN (infinity cannot have a typmod).
 */
bool
pg_numeric_to_unscaled(Datum numeric, int scale, int128 *out)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, numeric));
	char	   *p = s;
	bool		neg = false;
	int128		v = 0;
	int			frac = -1;

	if (*p == '-')
	{
		neg = true;
		p++;
	}
	if (!isdigit((unsigned char) *p))
		return false;
	for (; *p; p++)
	{
		if (*p == '.')
		{
			frac = 0;
			continue;
		}
		v = v * 10 + (*p - '0');
		if (frac >= 0)
			frac++;
	}
	for (frac = Max(frac, 0); frac < scale; frac++)
		v *= 10;
	*out = neg ? -v : v;
	return true;
}

/* The Parquet codec of a shard_compression; see convert.h. */
ParquetCodec
shard_parquet_codec(SpillCodec codec)
{
	switch (codec)
	{
		case SPILL_CODEC_ZSTD:
			return PQ_CODEC_ZSTD;
		case SPILL_CODEC_LZ4:
			return PQ_CODEC_LZ4_RAW;
		case SPILL_CODEC_NONE:
			break;
	}
	return PQ_CODEC_UNCOMPRESSED;
}

/* The name spillpool.shards() shows for a shard's codec. */
const char *
shard_parquet_codec_name(SpillCodec codec)
{
	switch (codec)
	{
		case SPILL_CODEC_ZSTD:
			return "zstd";
		case SPILL_CODEC_LZ4:
			return "lz4_raw";
		case SPILL_CODEC_NONE:
			break;
	}
	return "uncompressed";
}

/*
 * The kind a column of (base) type "base" is stored as in shards; for
 * numeric, the precision and scale of a DECIMAL (typmod -1: text form).
 * The one mapping of types to kinds, for the writer and the aggregate scan.
 */
ShardKind
shard_kind_of_type(Oid base, int32 typmod, int *precision, int *scale)
{
	switch (base)
	{
		case BOOLOID:
			return SK_BOOL;
		case INT2OID:
			return SK_INT2;
		case INT4OID:
			return SK_INT4;
		case INT8OID:
		case CASHOID:			/* cents, whatever lc_monetary says */
			return SK_INT8;
		case FLOAT4OID:
			return SK_FLOAT4;
		case FLOAT8OID:
			return SK_FLOAT8;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return SK_TEXT;
		case BYTEAOID:
			return SK_BYTEA;
		case DATEOID:
			return SK_DATE;
		case TIMESTAMPOID:
			return SK_TIMESTAMP;
		case TIMESTAMPTZOID:
			return SK_TIMESTAMPTZ;
		case UUIDOID:
			return SK_UUID;
		case JSONOID:
			return SK_JSON;
		case JSONBOID:
			return SK_JSONB;
		case NUMERICOID:
			if (typmod >= (int32) VARHDRSZ)
			{
				*precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
				*scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
				if (*precision >= 1 && *precision <= PARQUET_MAX_DECIMAL_PRECISION &&
					*scale >= 0 && *scale <= *precision)
					return SK_NUMERIC;
			}
			return SK_TEXTFORM;
		default:
			{
				Oid			elemtype;
				int			p,
							s;

				if (shard_list_element_kind(base, typmod, &elemtype, &p, &s) != 0)
					return SK_LIST;
			}
			return SK_TEXTFORM;
	}
}

/*
 * See convert.h.  The element types whose arrays are LISTs: the integers,
 * floats, bool, text, date, timestamp, timestamptz, uuid and numeric
 * (unconstrained numeric elements in their text form, as unconstrained
 * numeric columns are; constrained ones as DECIMAL), each exactly as a
 * column of that type; domains over them too, as their base type.  Other
 * arrays (of varchar, json, intervals, enums, composites ...) keep their
 * text form.  An array type's typmod is that of its elements.
 */
ShardKind
shard_list_element_kind(Oid base, int32 typmod, Oid *elemtype, int *precision, int *scale)
{
	Oid			elem;
	int32		elem_typmod = typmod;
	Oid			elem_base;

	if (base == InvalidOid || !type_is_array(base))
		return (ShardKind) 0;
	elem = get_element_type(base);
	/* true arrays only: int2vector and oidvector have their own I/O */
	if (!OidIsValid(elem) || get_array_type(elem) != base)
		return (ShardKind) 0;
	elem_base = getBaseTypeAndTypmod(elem, &elem_typmod);
	if (elem_base != elem)
		elem_typmod = typmod >= 0 ? typmod : elem_typmod;
	*elemtype = elem;
	switch (elem_base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case BOOLOID:
		case TEXTOID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case UUIDOID:
		case NUMERICOID:
			return shard_kind_of_type(elem_base, elem_typmod, precision, scale);
		default:
			return (ShardKind) 0;
	}
}
