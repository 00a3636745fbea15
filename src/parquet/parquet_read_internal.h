/*-------------------------------------------------------------------------
 *
 * parquet_read_internal.h
 *	  What the files of spillpool's Parquet reader share and callers must
 *	  not see: the reader struct, the metadata arena, the column chunk
 *	  decoder state, and the functions one reader file calls in another.
 *
 * The reader is split by concern: parquet_read.c (public entry points),
 * parquet_read_footer.c (FileMetaData and the schema check),
 * parquet_read_codec.c (page decompression), parquet_read_values.c (value
 * decoders) and parquet_read_chunk.c (pages of a column chunk).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PARQUET_READ_INTERNAL_H
#define PARQUET_READ_INTERNAL_H

#include <zlib.h>
#include <zstd.h>

#include "parquet_read.h"
#include "parquet_encoding.h"
#include "parquet_thrift.h"

/*
 * The metadata arena: every footer allocation (schema, row groups, chunks,
 * strings) comes from here and is freed at once by parquet_reader_close,
 * which keeps the many early-exit paths of the footer parser leak-free.
 */
typedef struct ArenaBlock
{
	struct ArenaBlock *next;
	size_t		size;
	size_t		used;
	/* data follows, aligned to 16 */
} ArenaBlock;

#define ARENA_HEADER_SIZE ((sizeof(ArenaBlock) + 15) & ~(size_t) 15)
#define ARENA_BLOCK_SIZE ((size_t) 64 * 1024)

typedef struct Arena
{
	ArenaBlock *head;
} Arena;

/* An open file: its source, options and decoded footer */
/*
 * Large buffers a reader keeps for reuse between row groups (see
 * pq_buffer_get): decoding a row group after another would otherwise free
 * and allocate the same megabytes again, which malloc may hand back to the
 * kernel in between, so that every page of them faults in anew.
 */
#define PQ_SPARE_BUFFERS	32
#define PQ_SPARE_MIN_BYTES	65536

typedef struct PqSpare
{
	void	   *ptr;
	size_t		cap;
} PqSpare;

/* A set of spares: a reader's own, or one that outlives readers. */
struct ParquetBufferPool
{
	PqSpare		spare[PQ_SPARE_BUFFERS];
	int			nspare;
	size_t		bytes;			/* held in spares */
	size_t		max_bytes;		/* at most */
};

struct ParquetReader
{
	ParquetReaderOptions options;
	const uint8_t *data;		/* memory source, or NULL for a file */
	int			fd;				/* file source, or -1 */
	bool		owns_fd;
	uint64_t	file_size;
	uint64_t	metadata_offset;	/* where FileMetaData starts */
	uint8_t    *footer;			/* FileMetaData bytes read from a file */
	Arena		arena;
	ParquetFileMeta meta;
	ParquetColumnSchema *columns;
	ZSTD_DCtx  *zstd;			/* created on first use */
	z_stream   *inflater;		/* GZIP pages: created on first use */
	ParquetBufferPool own_pool;
	ParquetBufferPool *pool;	/* own_pool or options.buffer_pool */
	/* the chunk decoders' scratch arrays, kept between chunks */
	uint32_t   *levels;
	size_t		levels_cap;
	uint32_t   *indices;
	size_t		indices_cap;
	uint64_t   *deltas;
	size_t		deltas_cap;
};

/* State of one column chunk being decoded. */
typedef struct ChunkDecoder
{
	ParquetReader *reader;
	const ParquetColumnSchema *col;
	const ParquetColumnChunk *cc;
	ParquetColumnValues *out;
	PqErr	   *e;
	int64_t		rows_total;		/* rows of the row group */
	int64_t		rows_done;
	int64_t		capacity;		/* of out->values / out->is_null */
	bool		has_dict;
	ParquetValue *dict;
	size_t		dict_count;
	uint32_t   *levels;			/* definition levels of the current page */
	size_t		levels_cap;
	uint32_t   *indices;		/* dictionary indices of the current page */
	size_t		indices_cap;
	uint32_t   *row_dict;		/* dictionary entry of every row so far */
	bool		not_dict_only;	/* a data page was not dictionary encoded */
	uint64_t   *deltas;			/* DELTA_* scratch */
	size_t		deltas_cap;
	uint8_t    *page_buf;		/* decompressed page not referenced by values */
	size_t		page_buf_cap;
	uint8_t    *chunk_buf;		/* the chunk as read from a file descriptor */
	size_t		chunk_buf_cap;
	size_t		row_dict_cap;
	bool		chunk_referenced;	/* values point into chunk_buf */
	/* LIST columns */
	uint32_t   *rep_levels;		/* repetition levels of the current page */
	size_t		rep_levels_cap;
	int64_t		entries_done;	/* level entries decoded */
} ChunkDecoder;

/* parquet_read_footer.c */
extern void *pq_arena_alloc(Arena *arena, PqErr *e, size_t n, size_t size);
extern void pq_arena_free(Arena *arena);
extern bool pq_reader_load_footer(ParquetReader *reader, const uint8_t *meta,
								  size_t meta_len, PqErr *e);

/* parquet_read.c */
extern void *pq_buffer_get(ParquetReader *reader, size_t size, size_t *cap, PqErr *e);
extern void pq_buffer_put(ParquetReader *reader, void *ptr, size_t cap);
extern bool pq_pread_fully(int fd, uint8_t *buf, size_t len, uint64_t offset,
						   PqErr *e);

/* parquet_read_codec.c */
extern bool pq_decompress_page(ParquetReader *reader, int32_t codec,
							   const uint8_t *src, size_t srclen,
							   uint8_t *dst, size_t dstlen, PqErr *e);
extern void pq_codec_free(ParquetReader *reader);

/* parquet_read_values.c */
extern bool pq_values_keep_buffer(ParquetColumnValues *out, void *buf, size_t cap,
								  PqErr *e);
extern bool pq_scratch_reserve(void **buf, size_t *cap, size_t n,
							   size_t elem_size, PqErr *e);
extern uint64_t pq_plain_min_bits(const ParquetColumnSchema *col);
extern bool pq_decode_plain(ChunkDecoder *cd, const uint8_t *p, size_t len,
							ParquetValue *dst, size_t count);
extern bool pq_decode_values(ChunkDecoder *cd, int32_t encoding,
							 const uint8_t *p, size_t len,
							 ParquetValue *dst, size_t count);

/* parquet_read_chunk.c */
extern bool pq_decode_column_chunk(ChunkDecoder *cd, const ParquetRowGroup *rg);
extern void pq_chunk_decoder_free(ChunkDecoder *cd);

#endif							/* PARQUET_READ_INTERNAL_H */
