/*-------------------------------------------------------------------------
 *
 * parquet_types.h
 *	  The vocabulary spillpool's Parquet writer and reader share: the status
 *	  every fallible call returns, byte strings, physical values and
 *	  key/value metadata entries.
 *
 * Both parquet_write.h and parquet_read.h include this header, so a caller
 * that uses both sides sees one ParquetStatus, one ParquetValue and one
 * ParquetKeyValue.  Like the rest of src/parquet it has no PostgreSQL
 * dependency.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PARQUET_TYPES_H
#define PARQUET_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet_format.h"

/* Size of the buffers the reader and the writer put their error texts in. */
#define PARQUET_ERROR_MESSAGE_SIZE	256

/*
 * Outcome of every fallible call of the reader and the writer; the message
 * (an error buffer, or parquet_writer_error()) says more.  PARQUET_OK is 0
 * and every error is nonzero.
 */
typedef enum ParquetStatus
{
	PARQUET_OK = 0,
	PARQUET_ERROR_IO,			/* read(2)/open(2)/write(2) failed */
	PARQUET_ERROR_CORRUPT,		/* not a valid Parquet file */
	PARQUET_ERROR_UNSUPPORTED,	/* valid, but a codec/encoding we lack */
	PARQUET_ERROR_NESTED,		/* valid, but the schema is not flat */
	PARQUET_ERROR_LIMIT,		/* over a ParquetReaderOptions limit */
	PARQUET_ERROR_NOMEM,		/* malloc failed */
	PARQUET_ERROR_INVALID,		/* invalid use: bad schema, option, value,
								 * index or pointer from the caller */
	PARQUET_ERROR_COMPRESS,		/* the writer's zstd or lz4 call failed */
	PARQUET_ERROR_STATE			/* writer already failed or finished */
} ParquetStatus;

/* A byte string inside a buffer owned by the caller, reader or column. */
typedef struct ParquetBytes
{
	const uint8_t *ptr;
	uint32_t	len;
} ParquetBytes;

/*
 * One physical value.  Which member is meant follows from the column's
 * physical type: boolean (BOOLEAN), int32 (INT32), int64 (INT64, and INT96
 * as decoded by the reader), float4 (FLOAT), float8 (DOUBLE), bytes
 * (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY).  Nullness is kept beside the value,
 * not in it: the reader decodes whole columns into a value array and a
 * null-flag array, the writer takes a row of ParquetRowValues.
 */
typedef union ParquetValue
{
	bool		boolean;
	int32_t		int32;
	int64_t		int64;
	float		float4;
	double		float8;
	ParquetBytes bytes;
} ParquetValue;

/*
 * One key_value_metadata entry.  The reader fills all three fields (value
 * is NULL when the file has none, else a NUL-terminated copy whose real
 * length, NULs included, is value_len).  The writer takes key and value as
 * NUL-terminated strings (value may be NULL) and ignores value_len.
 */
typedef struct ParquetKeyValue
{
	const char *key;
	const char *value;
	size_t		value_len;
} ParquetKeyValue;

#endif							/* PARQUET_TYPES_H */
