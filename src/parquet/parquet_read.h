/*-------------------------------------------------------------------------
 *
 * parquet_read.h
 *	  Public interface of spillpool's standalone Parquet reader: opening a
 *	  file (from memory or a file descriptor), its footer metadata (schema,
 *	  row groups, column chunks, statistics, key/value metadata of the file
 *	  and of column chunks) and the decoding of column chunks into arrays of
 *	  values and null flags.
 *
 * The reader has no PostgreSQL dependency (plain C11, liblz4, libzstd,
 * zlib, libbrotlidec, malloc/free) so that it can be unit-tested and fuzzed outside the server;
 * the PostgreSQL glue (spillpool.read_parquet and the shard scans) is a
 * separate layer on top of it.  Nothing here aborts on bad input: every
 * function that can fail returns a ParquetStatus and, when the caller passes
 * a buffer, a one-line message saying what was wrong.
 *
 * Schemas of primitive columns (REQUIRED or OPTIONAL leaves of the root)
 * and one-dimensional lists of primitives are read.  A list is any of the
 * forms LogicalTypes.md ("Lists", with its backward-compatibility rules)
 * gives a list of primitives: the standard three levels
 * (<name> (LIST) { repeated group <any> { optional|required <element> } }),
 * two levels (<name> (LIST) { repeated <primitive> }: required elements),
 * and a repeated primitive of the root (a required list of required
 * elements).  Opening a file with any other group (structs, maps, a
 * repeated group named "array" or "<name>_tuple", whose element is a
 * struct, lists of lists) fails with PARQUET_ERROR_NESTED and the message
 * "nested Parquet types are not supported: column X", X the root's field.
 *
 * Decoding supports data pages v1 and v2, dictionary pages, the encodings
 * PLAIN, PLAIN_DICTIONARY/RLE_DICTIONARY, RLE (booleans), BIT_PACKED
 * (legacy levels), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT, and the codecs UNCOMPRESSED,
 * SNAPPY, GZIP (gzip or zlib streams, concatenated gzip members too), BROTLI,
 * ZSTD, LZ4_RAW and LZ4 (Hadoop framing, else a raw LZ4 block, else an LZ4
 * frame).  LZO fails with PARQUET_ERROR_UNSUPPORTED.
 *
 * A compressed section of 0 bytes that decompresses to 0 bytes (a v2 data
 * page of only nulls, whose values section Spark writes empty) is read as
 * empty without calling the codec, whatever the codec.
 *
 * INT96 values (nanoseconds of the day, then a Julian day, as Spark, Hive
 * and Impala write timestamps) are decoded to microseconds since
 * 1970-01-01 00:00 UTC, the nanoseconds truncated as DuckDB does; every
 * INT96 value decodes, those beyond what int64 microseconds hold as
 * INT64_MAX or INT64_MIN.
 *
 * FLOAT16 columns (FIXED_LEN_BYTE_ARRAY(2) annotated with LogicalType
 * FLOAT16) decode as 2-byte values like any FIXED_LEN_BYTE_ARRAY;
 * parquet_float16_to_float() converts them, and their statistics, exactly.
 *
 * A page whose header carries a crc (PageHeader field 4) is checked before
 * it is decompressed: the CRC-32 of the bytes after its header must match,
 * else decoding fails with PARQUET_ERROR_CORRUPT and "page checksum
 * mismatch".  Pages without one are read unchecked.
 *
 * Lifetimes: metadata returned by the accessors (names, statistics bytes)
 * lives until parquet_reader_close().  A reader opened on memory does not
 * copy the buffer, so the buffer must outlive the reader and every decoded
 * column: byte-array values of uncompressed pages point straight into it.
 * Otherwise decoded columns own the buffers their byte-array values point
 * into (decompressed pages, the chunk read from a file, rebuilt
 * DELTA_BYTE_ARRAY values), stay valid after the reader is closed, and are
 * freed with parquet_column_values_free().  Decoding one column chunk holds
 * that chunk (compressed and decompressed) plus the value arrays: memory
 * is bounded by one row group's decoded columns.
 *
 * A reader is not thread-safe (it caches a zstd and a zlib context); use
 * one reader per thread.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PARQUET_READ_H
#define PARQUET_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet_types.h"

/*
 * Sanity limits that bound the memory a hostile file can make the reader
 * allocate.  parquet_reader_default_options() gives generous values; the
 * fuzzer and tests lower them.
 */
/*
 * Large decoding buffers kept for reuse (see parquet_row_group_batch_recycle).
 * A reader keeps its own until it is closed; a pool given in the options
 * keeps them for the readers that come after it, up to max_bytes.  Not
 * thread-safe: one pool serves readers used one after another.
 */
typedef struct ParquetBufferPool ParquetBufferPool;

extern ParquetBufferPool *parquet_buffer_pool_create(size_t max_bytes);
extern void parquet_buffer_pool_free(ParquetBufferPool *pool);

typedef struct ParquetReaderOptions
{
	size_t		max_metadata_bytes; /* FileMetaData (footer) size */
	size_t		max_page_bytes; /* one page, compressed or decompressed,
								 * also the expanded DELTA_BYTE_ARRAY data */
	int64_t		max_row_group_rows; /* rows decoded at once */
	int64_t		max_list_elements;	/* elements (NULL, empty lists and
									 * elements, counted by their levels)
									 * of one LIST column chunk */
	ParquetBufferPool *buffer_pool; /* NULL: the reader's own */
} ParquetReaderOptions;

/*
 * One column of the schema: a field of the root, a primitive or a LIST of
 * primitives (one leaf each).  The annotation fields are filled from the
 * LogicalType when the file has one, else from the legacy ConvertedType
 * (and SchemaElement scale/precision), so callers can look at one place;
 * logical_type and converted_type are as stored.  For a LIST column, name,
 * repetition and field id are the list's own, the type and annotation
 * fields the element's.
 */
typedef struct ParquetColumnSchema
{
	const char *name;
	ParquetType physical_type;
	ParquetRepetition repetition;	/* REQUIRED or OPTIONAL */
	int32_t		type_length;	/* FIXED_LEN_BYTE_ARRAY width, INT96 12,
								 * else -1 */
	ParquetConvertedType converted_type;	/* PQ_CT_NONE if absent */
	ParquetLogicalType logical_type;	/* PQ_LT_NONE if absent */
	int32_t		decimal_scale;	/* DECIMAL; else 0 */
	int32_t		decimal_precision;	/* DECIMAL; else 0 */
	ParquetTimeUnit time_unit;	/* TIME/TIMESTAMP; else 0 */
	bool		is_adjusted_to_utc; /* TIME/TIMESTAMP */
	int			int_bit_width;	/* INTEGER (or INT_n/UINT_n); else 0 */
	bool		int_is_signed;	/* INTEGER */
	bool		has_field_id;
	int32_t		field_id;
	int			max_definition_level;	/* 0 for REQUIRED, 1 for OPTIONAL,
										 * up to 3 for a LIST */
	/* LIST columns */
	bool		is_list;
	int			max_repetition_level;	/* 1 for a LIST, else 0 */
	int			list_definition_level;	/* the definition level of an empty
										 * list; below it the list is NULL,
										 * above it an element is there */
	bool		element_required;	/* max_definition_level marks every
									 * element: elements are never NULL */
	bool		has_element_field_id;
	int32_t		element_field_id;
} ParquetColumnSchema;

/*
 * Column chunk statistics.  min_value/max_value are the current fields (6
 * and 5, ordered by the column's sort order); min/max are the deprecated
 * fields (2 and 1, signed byte-wise order) that old writers emit.  The
 * bytes are PLAIN-encoded values (without a length prefix for byte arrays).
 */
typedef struct ParquetStatistics
{
	bool		has_null_count;
	int64_t		null_count;
	bool		has_distinct_count;
	int64_t		distinct_count;
	bool		has_min_value;
	ParquetBytes min_value;
	bool		has_max_value;
	ParquetBytes max_value;
	bool		has_min;
	ParquetBytes min;
	bool		has_max;
	ParquetBytes max;
	bool		has_is_min_value_exact;
	bool		is_min_value_exact;
	bool		has_is_max_value_exact;
	bool		is_max_value_exact;
} ParquetStatistics;

/*
 * ColumnChunk + ColumnMetaData of one column in one row group.  The chunk's
 * bytes are those from dictionary_page_offset (when set, positive and
 * before data_page_offset) or data_page_offset, total_compressed_size long;
 * file_offset is deprecated, as stored, and never used to find them (some
 * writers leave it 0).  A chunk of a row group without rows is never read,
 * so its offsets are not checked (writers leave them 0 too).
 */
typedef struct ParquetColumnChunk
{
	const char *file_path;		/* NULL: the chunk is in this file */
	int64_t		file_offset;	/* deprecated; see above */
	ParquetType physical_type;
	int32_t		codec;			/* a ParquetCodec, possibly unknown */
	int			num_encodings;
	const int32_t *encodings;	/* ParquetEncoding values */
	int64_t		num_values;		/* including nulls */
	int64_t		total_uncompressed_size;
	int64_t		total_compressed_size;
	int64_t		data_page_offset;
	bool		has_index_page_offset;
	int64_t		index_page_offset;
	bool		has_dictionary_page_offset;
	int64_t		dictionary_page_offset;
	bool		has_statistics;
	ParquetStatistics statistics;
	int			num_key_values; /* ColumnMetaData.key_value_metadata */
	const ParquetKeyValue *key_values;	/* as ParquetFileMeta's; NULL if none */
} ParquetColumnChunk;

/* One row group; columns[i] belongs to schema column i. */
typedef struct ParquetRowGroup
{
	int64_t		num_rows;
	int64_t		total_byte_size;
	int			num_columns;
	const ParquetColumnChunk *columns;
} ParquetRowGroup;

/* The decoded footer, as returned by parquet_reader_metadata(). */
typedef struct ParquetFileMeta
{
	int32_t		version;
	int64_t		num_rows;
	const char *created_by;		/* NULL if absent */
	const char *root_name;
	int			num_columns;
	const ParquetColumnSchema *columns;
	int			num_row_groups;
	const ParquetRowGroup *row_groups;
	int			num_key_values;
	const ParquetKeyValue *key_values;
} ParquetFileMeta;

/*
 * Which member of ParquetValue (parquet_types.h) decoded values of a
 * column are stored in; nulls are zeroed values flagged in is_null.
 */
typedef enum ParquetValueKind
{
	PQ_VALUE_BOOLEAN,			/* BOOLEAN */
	PQ_VALUE_INT32,				/* INT32 */
	PQ_VALUE_INT64,				/* INT64, and INT96 as microseconds since
								 * 1970-01-01 00:00 UTC (nanoseconds
								 * truncated; saturated to INT64_MIN or
								 * INT64_MAX beyond what int64 holds) */
	PQ_VALUE_FLOAT,				/* FLOAT */
	PQ_VALUE_DOUBLE,			/* DOUBLE */
	PQ_VALUE_BYTES				/* BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY (FLOAT16
								 * too: see parquet_float16_to_float) */
} ParquetValueKind;

/*
 * All values of one column chunk: values[i] and is_null[i] for every row
 * i of the row group.  For a LIST column values is NULL and is_null[i]
 * says whether row i's list is NULL; its elements are
 * elements[list_offsets[i] .. list_offsets[i + 1]) with element_is_null
 * (list_offsets has num_values + 1 entries; a NULL or empty list has no
 * elements), and dict_index is NULL.  When every data page of the chunk was dictionary
 * encoded, dict_index[i] is also the dictionary entry of row i (0 for a
 * null row) and dict[0 .. dict_count - 1] the entries, which values[]
 * repeat: a caller can then work once per distinct value.  Otherwise
 * dict_index and dict are NULL.  The remaining fields are private: the
 * buffers that byte-array values point into.
 */
typedef struct ParquetColumnValues
{
	int			column;			/* schema column index */
	ParquetValueKind kind;
	int64_t		num_values;		/* rows of the row group */
	int64_t		num_nulls;
	ParquetValue *values;
	bool	   *is_null;
	const uint32_t *dict_index;
	const ParquetValue *dict;
	int64_t		dict_count;
	/* LIST columns */
	int64_t    *list_offsets;
	int64_t		num_elements;
	ParquetValue *elements;
	bool	   *element_is_null;
	/* private */
	size_t		values_cap;		/* bytes allocated for values */
	size_t		is_null_cap;	/* ... and is_null */
	size_t		list_offsets_cap;	/* ... list_offsets, elements and */
	size_t		elements_cap;	/* element_is_null */
	size_t		element_is_null_cap;
	void	  **buffers;
	size_t	   *buffer_caps;
	int			num_buffers;
	int			max_buffers;
} ParquetColumnValues;

/* The selected columns of one row group, in the order they were asked for. */
typedef struct ParquetRowGroupBatch
{
	int			row_group;
	int64_t		num_rows;
	int			num_columns;
	ParquetColumnValues *columns;
} ParquetRowGroupBatch;

typedef struct ParquetReader ParquetReader;

/*
 * Generous defaults: 64 MB footer, 512 MB page, 64M rows per row group,
 * 256M list entries per column chunk.
 */
extern void parquet_reader_default_options(ParquetReaderOptions *options);

/*
 * Open a Parquet file held in memory (not copied: it must outlive the
 * reader and the decoded columns).  options may be NULL for the defaults.
 * On success *reader is set; on failure it is NULL and err says why.
 */
extern ParquetStatus parquet_reader_open_memory(const uint8_t *data, size_t len,
												const ParquetReaderOptions *options,
												ParquetReader **reader,
												char *err, size_t errlen);

/*
 * Open a Parquet file through a file descriptor that the caller opened
 * (in a PostgreSQL backend, with OpenTransientFile so that fd.c accounts
 * for it).  The reader only uses fstat(2) and pread(2) on it, so the file
 * position is neither used nor moved, and never closes it: the caller
 * keeps ownership and closes it after parquet_reader_close(), also when
 * opening fails.  Decoded columns do not need the descriptor.
 */
extern ParquetStatus parquet_reader_open_fd(int fd,
											const ParquetReaderOptions *options,
											ParquetReader **reader,
											char *err, size_t errlen);

/*
 * Like parquet_reader_open_fd() on a path that the reader opens itself and
 * closes in parquet_reader_close(); for standalone programs (the tests and
 * tools), not for backends, which open files through fd.c.
 */
extern ParquetStatus parquet_reader_open_file(const char *path,
											  const ParquetReaderOptions *options,
											  ParquetReader **reader,
											  char *err, size_t errlen);

/* Free the reader and its metadata; NULL is allowed. */
extern void parquet_reader_close(ParquetReader *reader);

/* The footer metadata; valid until parquet_reader_close(). */
extern const ParquetFileMeta *parquet_reader_metadata(const ParquetReader *reader);

/* Schema column index of a name (exact, case-sensitive match), or -1. */
extern int	parquet_reader_find_column(const ParquetReader *reader,
									   const char *name);

/* The value kind that decoded values of a physical type are stored as. */
extern ParquetValueKind parquet_value_kind(ParquetType physical_type);

/*
 * The value of an IEEE 754 half-precision float stored little-endian in
 * p[0..1] (a FLOAT16 column's value or statistics bytes), exactly: every
 * half is a float, subnormals, signed zeros and infinities included; NaNs
 * stay NaN (made quiet, with their sign and payload).
 */
extern float parquet_float16_to_float(const uint8_t *p);

/* Printable names of the enums, for messages. */
extern const char *parquet_type_name(int physical_type);
extern const char *parquet_codec_name(int codec);
extern const char *parquet_encoding_name(int encoding);

/*
 * Decode one column chunk (row_group, column) into *out, which the caller
 * frees with parquet_column_values_free() on success; on failure *out is
 * left empty (safe to free) and err names the row group and column.
 */
extern ParquetStatus parquet_read_column_chunk(ParquetReader *reader,
											   int row_group, int column,
											   ParquetColumnValues *out,
											   char *err, size_t errlen);

/* Free what parquet_read_column_chunk() allocated; idempotent. */
extern void parquet_column_values_free(ParquetColumnValues *values);

/*
 * Decode the given columns of one row group (projection): columns[] holds
 * ncolumns schema indexes; columns == NULL means all columns in schema
 * order.  Row groups the caller does not want (e.g. judged from the
 * statistics) are simply not read.  Free with parquet_row_group_batch_free.
 */
extern ParquetStatus parquet_read_row_group(ParquetReader *reader,
											int row_group,
											const int *columns, int ncolumns,
											ParquetRowGroupBatch *batch,
											char *err, size_t errlen);

/* Free a batch; idempotent. */
extern void parquet_row_group_batch_free(ParquetRowGroupBatch *batch);

/*
 * Like parquet_row_group_batch_free(), but the reader keeps the batch's
 * large buffers (up to a few dozen) to decode its next row groups into,
 * until parquet_reader_close(); for callers that go through a file row
 * group by row group.  Any reader may take them; NULL frees them.
 */
extern void parquet_row_group_batch_recycle(ParquetReader *reader,
											ParquetRowGroupBatch *batch);

#endif							/* PARQUET_READ_H */
