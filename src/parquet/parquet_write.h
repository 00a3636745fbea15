/*-------------------------------------------------------------------------
 *
 * parquet_write.h
 *	  spillpool's standalone Parquet writer: the public API.
 *
 * This header owns the interface of src/parquet/parquet_write*.c, a Parquet file
 * writer for flat schemas (a root group plus N primitive columns, each
 * REQUIRED or OPTIONAL) and one-dimensional lists of primitives (a column
 * with spec.list set, see below).  It has no PostgreSQL dependency: plain C11,
 * liblz4, libzstd and zlib (the CRC-32 of every page), malloc/free, and errors reported as negative return
 * codes plus a message, so that it can be unit-tested outside the server.
 * The PostgreSQL glue maps PG types to column specs and converts datums to
 * ParquetRowValues; this file knows nothing about PG types.
 *
 * Usage:
 *
 *		ParquetWriterOptions opts;
 *		ParquetColumnSpec cols[2];
 *		ParquetRowValue row[2];
 *		ParquetWriteResult res;
 *		char err[PARQUET_ERROR_MESSAGE_SIZE];
 *
 *		parquet_writer_options_init(&opts);
 *		opts.codec = PQ_CODEC_ZSTD;
 *		opts.created_by = "spillpool version 0.1";
 *		parquet_column_init(&cols[0], "id", PQ_INT64, false);
 *		parquet_column_init(&cols[1], "msg", PQ_BYTE_ARRAY, true);
 *		cols[1].logical = PQ_LT_STRING;
 *		w = parquet_writer_create(fd, cols, 2, &opts, err, sizeof(err));
 *		for each row:
 *			row[0].isnull = false; row[0].v.int64 = ...;
 *			row[1].isnull = false; row[1].v.bytes.ptr = (const uint8_t *) s; row[1].v.bytes.len = n;
 *			if (parquet_writer_add_row(w, row) != PARQUET_OK)
 *				report parquet_writer_error(w);
 *		parquet_writer_finish(w, &res, err, sizeof(err));
 *		parquet_writer_free(w);
 *		fsync(fd); close(fd);
 *
 * Supported physical/logical combinations (the ConvertedType is derived
 * from the logical type by the writer, see parquet_column_init()):
 *
 *		BOOLEAN					no annotation
 *		INT32					none, INTEGER(8/16/32, signed or not), DATE,
 *								TIME(MILLIS), DECIMAL(precision <= 9)
 *		INT64					none, INTEGER(64), TIMESTAMP(any unit),
 *								TIME(MICROS/NANOS), DECIMAL(precision <= 18)
 *		FLOAT, DOUBLE			no annotation
 *		BYTE_ARRAY				none, STRING, JSON, BSON, ENUM
 *		FIXED_LEN_BYTE_ARRAY	none, UUID (length 16), DECIMAL (precision
 *								fitting the length, big-endian two's complement)
 *
 * Values are supplied already converted: dates as days since 1970-01-01,
 * timestamps as int64 units since the Unix epoch, decimals as unscaled
 * integers (int32/int64, or big-endian two's-complement bytes of exactly
 * type_length bytes for FIXED_LEN_BYTE_ARRAY).
 *
 * File layout and behaviour:
 *	- data pages v1 of about opts.page_bytes (uncompressed), row groups of
 *	  opts.row_group_rows rows (or fewer, when the row group's PLAIN size,
 *	  values plus one byte per definition level, reaches
 *	  opts.row_group_bytes: a bound on memory for very wide rows);
 *	- every column except BOOLEAN is dictionary-encoded per column chunk
 *	  (PLAIN dictionary page + RLE_DICTIONARY data pages) unless the
 *	  dictionary exceeds opts.dictionary_bytes or would not be smaller than
 *	  PLAIN, in which case the whole chunk is written PLAIN;
 *	- definition levels of OPTIONAL columns use the RLE/bit-packed hybrid;
 *	- column chunk statistics: null_count and min_value/max_value (fields
 *	  5/6) in the column's type-defined sort order, and column_orders with
 *	  TypeDefinedOrder for every column;
 *	- codecs UNCOMPRESSED, ZSTD and LZ4_RAW (never the framed LZ4).
 *
 * LIST columns: a column spec with list = true describes the element; the
 * column is written in the standard three-level form of LogicalTypes.md,
 *
 *		<optional|required> group <name> (LIST) {
 *			repeated group list {
 *				optional <element type> element;
 *			}
 *		}
 *
 * (the outer group OPTIONAL when nullable, field_id on the outer group,
 * element_field_id on the element), with repetition levels 0..1 and
 * definition levels 0..3 (0..2 when the list is REQUIRED): a NULL list, an
 * empty list and a NULL element each have their own level.  A row gives
 * the list as ParquetRowValue.elements/nelements.  List columns get no
 * min/max statistics (no Statistics at all): element bounds are not bounds
 * of the column's values, and readers must not take them for such.
 *
 * Memory is bounded by one buffered row group (values as 4-byte dictionary
 * indices or their PLAIN encoding, one byte of definition level per row of
 * an OPTIONAL column), one page and its compressed copy, and the footer.
 *
 * The writer writes through the file descriptor with write(2) starting at
 * its current position, which must be the start of the file (Parquet
 * offsets are absolute); the caller fsyncs and closes it.  After any error
 * the writer is unusable: every further call fails with the same error,
 * and only parquet_writer_free() remains to be called.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PARQUET_WRITE_H
#define PARQUET_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet_types.h"

/*
 * Every function that can fail returns a ParquetStatus (parquet_types.h):
 * PARQUET_ERROR_INVALID for a bad schema, option or value,
 * PARQUET_ERROR_NOMEM, PARQUET_ERROR_IO (write(2) failed),
 * PARQUET_ERROR_COMPRESS (zstd or lz4 failed) and PARQUET_ERROR_STATE
 * (the writer already failed or finished).
 */

/* Defaults besides those of parquet_format.h */
#define PARQUET_DEFAULT_DICTIONARY_BYTES	(1024 * 1024)
#define PARQUET_DEFAULT_ROW_GROUP_BYTES		((size_t) 256 * 1024 * 1024)
#define PARQUET_DEFAULT_ZSTD_LEVEL			3
#define PARQUET_DEFAULT_SCHEMA_NAME			"schema"

/* Largest single BYTE_ARRAY value accepted (PostgreSQL's own limit) */
#define PARQUET_MAX_VALUE_BYTES				((uint32_t) 0x40000000)

/* Statistics larger than this are left out (like Arrow's default) */
#define PARQUET_MAX_STATISTICS_BYTES		4096

/* Largest FIXED_LEN_BYTE_ARRAY DECIMAL precision the writer accepts */
#define PARQUET_MAX_DECIMAL_PRECISION		38

/*
 * One column of the schema.  Use parquet_column_init() to zero it and set
 * the essentials, then set the logical-type fields that apply.
 */
typedef struct ParquetColumnSpec
{
	const char *name;			/* column name, copied by the writer */
	ParquetType type;			/* physical type (no INT96) */
	bool		nullable;		/* OPTIONAL if true, else REQUIRED */
	int32_t		type_length;	/* FIXED_LEN_BYTE_ARRAY: bytes per value */
	ParquetLogicalType logical; /* PQ_LT_NONE for no annotation */
	int32_t		precision;		/* DECIMAL */
	int32_t		scale;			/* DECIMAL */
	int32_t		bit_width;		/* INTEGER: 8, 16, 32 or 64 */
	bool		is_signed;		/* INTEGER */
	ParquetTimeUnit unit;		/* TIMESTAMP, TIME */
	bool		adjusted_to_utc;	/* TIMESTAMP, TIME */
	bool		no_dictionary;	/* never dictionary-encode this column */
	int32_t		field_id;		/* SchemaElement.field_id if > 0 (Iceberg) */
	bool		list;			/* a LIST of elements of this type */
	int32_t		element_field_id;	/* LIST: the element's field_id if > 0 */
} ParquetColumnSpec;

/*
 * Writer options.  parquet_writer_options_init() sets the defaults; a zero
 * numeric field also means "default".
 */
typedef struct ParquetWriterOptions
{
	ParquetCodec codec;			/* UNCOMPRESSED, ZSTD or LZ4_RAW */
	int			compression_level;	/* ZSTD level (0: default 3) */
	int64_t		row_group_rows; /* rows per row group */
	size_t		row_group_bytes;	/* PLAIN bytes that end a row group early */
	size_t		page_bytes;		/* target uncompressed data page size */
	size_t		dictionary_bytes;	/* largest dictionary page kept */
	const char *created_by;		/* FileMetaData.created_by (copied) */
	const char *schema_name;	/* name of the root group (copied) */
	const ParquetKeyValue *key_value_metadata;	/* copied at create */
	int			nkey_value_metadata;
} ParquetWriterOptions;

/*
 * One value of one row, as handed to parquet_writer_add_row(): the value
 * (the ParquetValue member of the column's physical type, see
 * parquet_types.h; bytes.len must equal type_length for
 * FIXED_LEN_BYTE_ARRAY) and whether it is NULL.  The reader keeps nulls in
 * a separate array of a decoded column instead, which is why the flag is
 * not part of ParquetValue.  The bytes are copied before
 * parquet_writer_add_row() returns.  A non-NULL value of a LIST column is
 * its elements instead: nelements values (none for an empty list) at
 * elements, each checked and copied like a value of a flat column.
 */
typedef struct ParquetRowValue
{
	bool		isnull;
	ParquetValue v;
	/* LIST columns: the elements (each NULL or not), v unused */
	const struct ParquetRowValue *elements;
	uint32_t	nelements;
} ParquetRowValue;

/* What parquet_writer_finish() reports */
typedef struct ParquetWriteResult
{
	uint64_t	bytes_written;	/* file size */
	int64_t		rows;
	int32_t		row_groups;
} ParquetWriteResult;

typedef struct ParquetWriter ParquetWriter;

/* Defaults: ZSTD level 3, default page, row group and dictionary sizes */
extern void parquet_writer_options_init(ParquetWriterOptions *opts);

/* Zero *col and set name, physical type and nullability */
extern void parquet_column_init(ParquetColumnSpec *col, const char *name,
								ParquetType type, bool nullable);

/*
 * Smallest FIXED_LEN_BYTE_ARRAY length holding every unscaled value of a
 * DECIMAL of this precision (1..38), or -1 if out of range.
 */
extern int	parquet_decimal_flba_length(int precision);

/*
 * Validate the schema and options and write the leading magic.  Returns
 * NULL with a message in errbuf on failure.
 */
extern ParquetWriter *parquet_writer_create(int fd,
											const ParquetColumnSpec *cols,
											int ncols,
											const ParquetWriterOptions *opts,
											char *errbuf, size_t errlen);

/*
 * Append one row: values[i] is the value of column i.  The row is
 * validated before anything is buffered, so a PARQUET_ERROR_INVALID for a
 * NULL in a REQUIRED column or a wrong FIXED_LEN_BYTE_ARRAY length leaves
 * the writer usable; any other error makes it unusable.  Writes a row group
 * when it is full.
 */
extern ParquetStatus parquet_writer_add_row(ParquetWriter *w,
										   const ParquetRowValue *values);

/* Add a key_value_metadata entry before finishing (strings copied) */
extern ParquetStatus parquet_writer_add_metadata(ParquetWriter *w, const char *key,
												const char *value);

/*
 * Write the last row group and the footer.  Does not fsync or close the
 * fd.  result may be NULL.
 */
extern ParquetStatus parquet_writer_finish(ParquetWriter *w, ParquetWriteResult *result,
										  char *errbuf, size_t errlen);

/* Message of the writer's last error ("" if none) */
extern const char *parquet_writer_error(const ParquetWriter *w);

/* Release all memory; does not close the fd.  Accepts NULL. */
extern void parquet_writer_free(ParquetWriter *w);

/* Bytes of the file so far, including what is still buffered */
extern uint64_t parquet_writer_bytes(const ParquetWriter *w);

#endif							/* PARQUET_WRITE_H */
