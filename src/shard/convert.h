/*-------------------------------------------------------------------------
 *
 * convert.h
 *	  Conversions between PostgreSQL values and Parquet values.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_CONVERT_H
#define SPILLPOOL_CONVERT_H


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
	SK_TEXTFORM					/* any other type: its text form */
} ShardKind;

/* A Parquet DECIMAL's unscaled value and scale as a numeric Datum. */
extern Datum parquet_decimal_to_numeric(int128 unscaled, int scale);

/* A big-endian two's-complement FIXED_LEN_BYTE_ARRAY decimal as int128. */
extern int128 parquet_be_bytes_to_int128(const uint8 *p, uint32 len, const char *colname);

#endif							/* SPILLPOOL_CONVERT_H */
