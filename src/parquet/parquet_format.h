/*-------------------------------------------------------------------------
 *
 * parquet_format.h
 *	  Constants of the Apache Parquet file format (parquet.thrift) that
 *	  spillpool's Parquet writer and reader share.
 *
 * Values are those of the format specification; the file layout is
 *
 *	  "PAR1" | column chunks (pages) ... | FileMetaData (thrift compact) |
 *	  4-byte little-endian metadata length | "PAR1"
 *
 * This header has no PostgreSQL dependencies, so the writer and reader can
 * be unit-tested and fuzzed outside the server.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PARQUET_FORMAT_H
#define PARQUET_FORMAT_H

#define PARQUET_MAGIC "PAR1"
#define PARQUET_MAGIC_LEN 4

/* parquet.thrift: enum Type (physical types) */
typedef enum ParquetType
{
	PQ_BOOLEAN = 0,
	PQ_INT32 = 1,
	PQ_INT64 = 2,
	PQ_INT96 = 3,				/* deprecated; read only */
	PQ_FLOAT = 4,
	PQ_DOUBLE = 5,
	PQ_BYTE_ARRAY = 6,
	PQ_FIXED_LEN_BYTE_ARRAY = 7
} ParquetType;

/* parquet.thrift: enum ConvertedType (legacy logical annotations) */
typedef enum ParquetConvertedType
{
	PQ_CT_NONE = -1,			/* not in the spec: "no converted type" */
	PQ_CT_UTF8 = 0,
	PQ_CT_MAP = 1,
	PQ_CT_MAP_KEY_VALUE = 2,
	PQ_CT_LIST = 3,
	PQ_CT_ENUM = 4,
	PQ_CT_DECIMAL = 5,
	PQ_CT_DATE = 6,
	PQ_CT_TIME_MILLIS = 7,
	PQ_CT_TIME_MICROS = 8,
	PQ_CT_TIMESTAMP_MILLIS = 9,
	PQ_CT_TIMESTAMP_MICROS = 10,
	PQ_CT_UINT_8 = 11,
	PQ_CT_UINT_16 = 12,
	PQ_CT_UINT_32 = 13,
	PQ_CT_UINT_64 = 14,
	PQ_CT_INT_8 = 15,
	PQ_CT_INT_16 = 16,
	PQ_CT_INT_32 = 17,
	PQ_CT_INT_64 = 18,
	PQ_CT_JSON = 19,
	PQ_CT_BSON = 20,
	PQ_CT_INTERVAL = 21
} ParquetConvertedType;

/*
 * parquet.thrift: union LogicalType; the value is the union's field id.
 * TIMESTAMP/TIME carry isAdjustedToUTC and a unit; DECIMAL scale and
 * precision; INTEGER bitWidth and isSigned.  FLOAT16 annotates
 * FIXED_LEN_BYTE_ARRAY(2) values that are IEEE 754 half-precision floats,
 * little-endian.  Later members (VARIANT, GEOMETRY, ...) are not read.
 */
typedef enum ParquetLogicalType
{
	PQ_LT_NONE = 0,				/* not in the spec: "no logical type" */
	PQ_LT_STRING = 1,
	PQ_LT_MAP = 2,
	PQ_LT_LIST = 3,
	PQ_LT_ENUM = 4,
	PQ_LT_DECIMAL = 5,
	PQ_LT_DATE = 6,
	PQ_LT_TIME = 7,
	PQ_LT_TIMESTAMP = 8,
	/* 9 is reserved */
	PQ_LT_INTEGER = 10,
	PQ_LT_UNKNOWN = 11,			/* "NullType" */
	PQ_LT_JSON = 12,
	PQ_LT_BSON = 13,
	PQ_LT_UUID = 14,
	PQ_LT_FLOAT16 = 15
} ParquetLogicalType;

/* parquet.thrift: union TimeUnit; the value is the union's field id */
typedef enum ParquetTimeUnit
{
	PQ_UNIT_MILLIS = 1,
	PQ_UNIT_MICROS = 2,
	PQ_UNIT_NANOS = 3
} ParquetTimeUnit;

/* parquet.thrift: enum FieldRepetitionType */
typedef enum ParquetRepetition
{
	PQ_REQUIRED = 0,
	PQ_OPTIONAL = 1,
	PQ_REPEATED = 2
} ParquetRepetition;

/* parquet.thrift: enum Encoding */
typedef enum ParquetEncoding
{
	PQ_ENC_PLAIN = 0,
	PQ_ENC_PLAIN_DICTIONARY = 2,	/* deprecated spelling of dictionary */
	PQ_ENC_RLE = 3,
	PQ_ENC_BIT_PACKED = 4,		/* deprecated */
	PQ_ENC_DELTA_BINARY_PACKED = 5,
	PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
	PQ_ENC_DELTA_BYTE_ARRAY = 7,
	PQ_ENC_RLE_DICTIONARY = 8,
	PQ_ENC_BYTE_STREAM_SPLIT = 9
} ParquetEncoding;

/*
 * parquet.thrift: enum CompressionCodec.  spillpool writes UNCOMPRESSED,
 * ZSTD and LZ4_RAW, never the deprecated Hadoop-framed LZ4 (5), which
 * DuckDB rejects; the reader accepts LZ4 as a fallback.
 */
typedef enum ParquetCodec
{
	PQ_CODEC_UNCOMPRESSED = 0,
	PQ_CODEC_SNAPPY = 1,
	PQ_CODEC_GZIP = 2,
	PQ_CODEC_LZO = 3,
	PQ_CODEC_BROTLI = 4,
	PQ_CODEC_LZ4 = 5,
	PQ_CODEC_ZSTD = 6,
	PQ_CODEC_LZ4_RAW = 7
} ParquetCodec;

/* parquet.thrift: enum PageType */
typedef enum ParquetPageType
{
	PQ_PAGE_DATA = 0,
	PQ_PAGE_INDEX = 1,
	PQ_PAGE_DICTIONARY = 2,
	PQ_PAGE_DATA_V2 = 3
} ParquetPageType;

/* thrift compact protocol: field and element type codes */
typedef enum ThriftCompactType
{
	TC_STOP = 0,
	TC_BOOLEAN_TRUE = 1,
	TC_BOOLEAN_FALSE = 2,
	TC_BYTE = 3,
	TC_I16 = 4,
	TC_I32 = 5,
	TC_I64 = 6,
	TC_DOUBLE = 7,
	TC_BINARY = 8,
	TC_LIST = 9,
	TC_SET = 10,
	TC_MAP = 11,
	TC_STRUCT = 12
} ThriftCompactType;

/* Defaults of spillpool's writer */
#define PARQUET_DEFAULT_ROW_GROUP_ROWS	122880
#define PARQUET_DEFAULT_PAGE_BYTES		(1024 * 1024)

#endif							/* PARQUET_FORMAT_H */
