/*-------------------------------------------------------------------------
 *
 * hnsw.h
 *	  The HNSW index of one shard (hnsw.c): built in memory by a flush or a
 *	  compaction, written beside the shard, read back by searches.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_HNSW_H
#define SPILLPOOL_HNSW_H

#include "access/attnum.h"
#include "port/pg_crc32c.h"

/* Flags of a vector in an index. */
#define HNSW_VECTOR_OWN_BOUNDS	0x01	/* the stored array's subscripts do
										 * not start at 1 */

/* One search result: a vector of the index and its distance to the query. */
typedef struct HnswHit
{
	float8		distance;
	int32		id;				/* vector number in the index */
} HnswHit;

/*
 * An index read from its file (or just built): n vectors of dim floats,
 * the shard row of each, and the graph.  Layer 0 gives each vector
 * 2 * m links, the upper layers m; each list is a count and then ids.
 */
typedef struct HnswIndex
{
	int			dim;
	int			metric;			/* VectorMetric */
	int			m;
	int			ef_construction;
	int32		n;
	int			max_level;
	int32		entry;			/* -1 when empty */
	const int64 *rows;			/* n: row number of each vector in the shard */
	const float4 *vectors;		/* n * dim */
	const uint8 *levels;		/* n */
	const int32 *links0;		/* n * (2m + 1) */
	const int64 *upper_off;		/* n: offset into upper, -1 if level 0 only */
	const int32 *upper;			/* per node, levels blocks of (m + 1) */
	int64		upper_len;
	AttrNumber	attnum;			/* the column the vectors are of */
	const uint8 *flags;			/* n: HNSW_VECTOR_* */
	char	   *file;			/* the file's bytes, which the arrays point into */
	Size		file_len;
} HnswIndex;

/* Vectors collected for an index build, and their rows. */
typedef struct HnswVectors
{
	int			dim;
	int32		n;
	int32		cap;
	float4	   *vectors;
	int64	   *rows;
	uint8	   *flags;			/* HNSW_VECTOR_* of each */
} HnswVectors;

extern void hnsw_vectors_init(HnswVectors *v, int dim);
extern void hnsw_vectors_add(HnswVectors *v, const float4 *x, int64 row, uint8 flags);
extern void hnsw_vectors_free(HnswVectors *v);

extern void hnsw_build_write(const HnswVectors *v, int32 first, int32 count, int64 row_base,
							 int metric, int m, int ef_construction, AttrNumber attnum,
							 const char *path, int64 *bytes, pg_crc32c *crc);
extern HnswIndex *hnsw_read(const char *path, int64 bytes, pg_crc32c crc, int64 vectors,
							int64 rows, MemoryContext cxt, char **error);
extern void hnsw_free(HnswIndex *ix);
extern int	hnsw_search(const HnswIndex *ix, const float4 *query, int ef, int want,
						const bool *allowed, HnswHit *out);
extern int	hnsw_search_exact(const HnswIndex *ix, const float4 *query, int want,
							  const bool *allowed, HnswHit *out);
extern float8 hnsw_distance(int metric, const float4 *a, const float4 *b, int dim);

#endif							/* SPILLPOOL_HNSW_H */
