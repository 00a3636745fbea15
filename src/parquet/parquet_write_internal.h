/*-------------------------------------------------------------------------
 *
 * parquet_write_internal.h
 *	  What the files of spillpool's Parquet writer share and callers must
 *	  not see: the writer and per-column state, tuning constants, and the
 *	  functions one writer file calls in another.
 *
 * The writer is split by concern: parquet_write.c (public entry points,
 * validation, errors, output to the fd), parquet_write_values.c (buffering
 * rows: dictionary, PLAIN values, statistics folding) and
 * parquet_write_chunk.c (pages, column chunks, row groups, the footer).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PARQUET_WRITE_INTERNAL_H
#define PARQUET_WRITE_INTERNAL_H

#include <zstd.h>

#include "parquet_write.h"
#include "parquet_encoding.h"
#include "parquet_thrift.h"

/* Hard cap on rows in one data page (bounds pages of tiny values) */
#define PQ_PAGE_MAX_ROWS		(1 << 20)

/* After this many values of a chunk, give up a dictionary of >90% uniques */
#define PQ_DICT_PROBE_VALUES	32768

/* Most chunks a column writes PLAIN before trying a dictionary again */
#define PQ_DICT_MAX_BACKOFF		16

/* Initial number of hash slots of a dictionary (power of two) */
#define PQ_DICT_INITIAL_SLOTS	1024

/* Size of the output buffer in front of write(2) */
#define PQ_OUT_BUFFER_BYTES		(1024 * 1024)

/* Check the column buffers for failed allocations this often (rows) */
#define PQ_OOM_CHECK_ROWS		1024

/* How min/max statistics of a column compare (its type-defined order) */
typedef enum PqSortKind
{
	PQ_SORT_BOOL,
	PQ_SORT_INT,				/* signed INT32 or INT64 */
	PQ_SORT_UINT,				/* INTEGER(isSigned=false) */
	PQ_SORT_FLOAT,				/* FLOAT or DOUBLE, IEEE 754 */
	PQ_SORT_BYTES,				/* unsigned lexicographic */
	PQ_SORT_DECIMAL_BE			/* signed big-endian two's complement */
} PqSortKind;

/* How a buffered column chunk is turned into pages */
typedef enum PqChunkEncoding
{
	PQ_CHUNK_DICT,				/* dictionary page + RLE_DICTIONARY pages */
	PQ_CHUNK_PLAIN,				/* PLAIN pages from the plain buffer */
	PQ_CHUNK_EXPAND				/* PLAIN pages expanded from dict indices */
} PqChunkEncoding;

/* One slot of a dictionary hash table; idx1 == 0 marks an empty slot */
typedef struct PqSlot
{
	uint64_t	key;			/* value bits, or hash of a byte value */
	uint32_t	idx1;			/* dictionary index + 1 */
} PqSlot;

/* Where and how one column chunk was written */
typedef struct PqChunkInfo
{
	uint64_t	start;			/* offset of the chunk's first page */
	uint64_t	dict_offset;	/* offset of the dictionary page */
	uint64_t	data_offset;	/* offset of the first data page */
	int64_t		total_uncompressed;
	int64_t		total_compressed;
	int32_t		ndata_pages;
	bool		has_dict;
} PqChunkInfo;

/* Numeric min/max of the chunk's statistics */
typedef union PqNum
{
	int64_t		i;
	uint64_t	u;
	double		d;
} PqNum;

/* Per-column state: schema, buffered row group, dictionary, statistics */
typedef struct PqColumn
{
	ParquetColumnSpec spec;		/* spec.name points to 'name' */
	char	   *name;
	ParquetConvertedType converted;
	PqSortKind	sort;
	int			width;			/* bytes of one buffered PLAIN value; 0 for
								 * BYTE_ARRAY (4-byte length + bytes) */
	bool		dict_capable;
	int			max_def;		/* 0 REQUIRED, 1 OPTIONAL, 2..3 LIST */
	int			max_rep;		/* 1 for a LIST, else 0 */

	/* the buffered row group */
	PqBuf		def;			/* one definition level byte per level entry
								 * (a row, or a LIST element, empty or NULL
								 * list); empty when max_def is 0 */
	PqBuf		rep;			/* LIST: one repetition level byte per entry */
	int64_t		nnull;
	size_t		nvalues;		/* non-null values buffered */
	bool		use_dict;		/* values are buffered as dict indices */
	bool		dict_tried;		/* this chunk started with a dictionary */
	PqBuf		plain;			/* PLAIN values (BOOLEAN: one byte each) */
	PqBuf		idx;			/* uint32 dictionary indices */
	uint64_t	plain_bytes;	/* BYTE_ARRAY: PLAIN size of dict values */

	/* the chunk's dictionary */
	PqSlot	   *slots;
	uint32_t	nslots;			/* power of two, or 0 */
	int			slot_shift;		/* 64 - log2(nslots) */
	uint32_t	ndict;
	PqBuf		dict;			/* PLAIN encoding of the entries */
	PqBuf		dict_off;		/* BYTE_ARRAY: uint32 offset of each entry */
	int			dict_skip;		/* chunks left to write without trying */
	int			dict_backoff;	/* next value of dict_skip after a failure */

	/* the chunk's statistics */
	bool		has_minmax;
	PqNum		min;
	PqNum		max;
	PqBuf		minb;			/* byte array min */
	PqBuf		maxb;			/* byte array max */

	PqChunkInfo chunk;
} PqColumn;

struct ParquetWriter
{
	int			fd;
	PqErr		err;			/* status: PARQUET_OK or the error that
								 * stopped us; buf: errmsg */
	bool		finished;
	char		errmsg[PARQUET_ERROR_MESSAGE_SIZE];

	ParquetCodec codec;
	int			level;
	int64_t		rg_rows;
	size_t		rg_bytes;
	size_t		page_bytes;
	size_t		dict_bytes;
	char	   *created_by;
	char	   *schema_name;
	char	  **kv_keys;
	char	  **kv_values;
	int			nkv;
	int			kv_cap;

	int			ncols;
	PqColumn   *cols;

	size_t		fixed_row_bytes;	/* PLAIN bytes of a row's fixed-width
									 * values plus definition levels */
	uint64_t	var_bytes;		/* PLAIN bytes of the buffered byte arrays */
	int64_t		rg_nrows;		/* rows in the buffered row group */
	int64_t		total_rows;
	int32_t		nrowgroups;

	uint64_t	offset;			/* file offset of the next byte */
	PqBuf		out;			/* bytes not yet passed to write(2) */
	PqBuf		page;			/* page body under construction */
	PqBuf		cpage;			/* compressed page body */
	PqBuf		hdr;			/* serialized page header */
	PqBuf		rowgroups;		/* serialized RowGroup structs */
	PqBuf		footer;			/* serialized FileMetaData */
	ZSTD_CCtx  *zctx;
	void	   *lz4state;
};


/* parquet_write.c */
extern ParquetStatus pq_writer_fail(ParquetWriter *w, ParquetStatus code, const char *fmt,...) PQ_PRINTF(3, 4);
extern ParquetStatus pq_writer_reject(ParquetWriter *w, const char *fmt,...) PQ_PRINTF(2, 3);
extern ParquetStatus pq_out(ParquetWriter *w, const void *p, size_t n);

/* parquet_write_values.c */
extern bool pq_column_oom(const PqColumn *c);
extern void pq_column_reset(PqColumn *c);

/* parquet_write_chunk.c */
extern ParquetStatus pq_flush_row_group(ParquetWriter *w);
extern void pq_write_file_metadata(ParquetWriter *w);
extern ParquetConvertedType pq_converted_type(const ParquetColumnSpec *s);

#endif							/* PARQUET_WRITE_INTERNAL_H */
