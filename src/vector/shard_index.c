/*-------------------------------------------------------------------------
 *
 * shard_index.c
 *	  The HNSW index of each shard, over the table's embedding column:
 *	  collected while a flush or a compaction writes its shards, built and
 *	  written beside each shard before the snapshot commits, and loaded by
 *	  searches into a per-backend cache.
 *
 * A flush collects the vector of each row it adds (rows whose value is
 * NULL or not a vector of the table's dimension get none and are not in
 * the index), numbered by the row's place among the flushed rows.  The
 * shard writer splits rows into shards in order, so shard j holds a run
 * of consecutive rows and its vectors are a run of the collected ones.
 * Each shard's index is written to <snapshot>-<n>.hnsw and fsynced, the
 * directory once after them, and the manifest line that the commit
 * writes records its size and CRC32C (manifest.c).  A flush or
 * compaction that fails before its commit removes its index files; a
 * crash leaves index files that no manifest lists, which loading the
 * table removes with the unlisted shard files.
 *
 * Building happens in the process that flushes (the background worker,
 * or spillpool.flush), never in a writer: rows are readable in the
 * memtable and segments while it runs, and the nearest-neighbour scan
 * searches them exactly.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "spillpool.h"
#include "tier/fault.h"
#include "vector/distance.h"
#include "vector/shard_index.h"

struct ShardIndexBuild
{
	AttrNumber	attnum;
	TupleDesc	desc;
	int			dim;
	int			metric;
	int			m;
	int			ef_construction;
	int64		rows;			/* rows added so far */
	HnswVectors vectors;
};

/*
 * Starts collecting the vectors of the rows a flush or compaction adds,
 * or returns NULL when the table has no embedding column.
 */
ShardIndexBuild *
shard_index_begin(Relation rel, const SpillOptions *opts)
{
	ShardIndexBuild *b;
	AttrNumber	attnum;

	if (opts->embedding_column[0] == '\0' || opts->embedding_dimension <= 0)
		return NULL;
	attnum = get_attnum(RelationGetRelid(rel), opts->embedding_column);
	if (attnum <= 0)
		return NULL;
	b = palloc0(sizeof(ShardIndexBuild));
	b->attnum = attnum;
	b->desc = RelationGetDescr(rel);
	b->dim = opts->embedding_dimension;
	b->metric = opts->embedding_metric;
	b->m = opts->index_m;
	b->ef_construction = opts->index_ef_construction;
	hnsw_vectors_init(&b->vectors, b->dim);
	return b;
}

/*
 * The elements of a value of an embedding column if it is a vector of
 * dimension dim (one-dimensional real[], no NULL element, NaN or
 * infinity), else false.  *own_bounds (if not NULL) says whether its
 * subscripts start elsewhere than at 1 (values stored before the column
 * was the embedding column may).  Detoasts into the current memory
 * context.
 */
bool
shard_index_vector(Datum d, int dim, const float4 **elems, bool *own_bounds)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	const float4 *v;
	int			i;

	if (ARR_ELEMTYPE(a) != FLOAT4OID || ARR_NDIM(a) != 1 || ARR_HASNULL(a) ||
		ARR_DIMS(a)[0] != dim)
		return false;
	v = (const float4 *) ARR_DATA_PTR(a);
	for (i = 0; i < dim; i++)
		if (isnan(v[i]) || isinf(v[i]))
			return false;
	*elems = v;
	if (own_bounds)
		*own_bounds = (ARR_LBOUND(a)[0] != 1);
	return true;
}

/* Adds the embedding of one row, given as values and nulls of the table. */
void
shard_index_add_values(ShardIndexBuild *b, const Datum *values, const bool *isnull)
{
	const float4 *v;
	bool		own_bounds;

	if (!isnull[b->attnum - 1] &&
		shard_index_vector(values[b->attnum - 1], b->dim, &v, &own_bounds))
		hnsw_vectors_add(&b->vectors, v, b->rows, own_bounds ? HNSW_VECTOR_OWN_BOUNDS : 0);
	b->rows++;
}

/* Adds the embedding of one row, given as a minimal tuple of the table. */
void
shard_index_add_tuple(ShardIndexBuild *b, MinimalTuple tup)
{
	HeapTupleData htup;
	bool		isnull;
	Datum		d;
	const float4 *v;
	bool		own_bounds;

	htup.t_len = tup->t_len + MINIMAL_TUPLE_OFFSET;
	htup.t_data = (HeapTupleHeader) ((char *) tup - MINIMAL_TUPLE_OFFSET);
	ItemPointerSetInvalid(&htup.t_self);
	htup.t_tableOid = InvalidOid;
	d = heap_getattr(&htup, b->attnum, b->desc, &isnull);
	if (!isnull)
	{
		Datum		flat = PointerGetDatum(PG_DETOAST_DATUM(d));

		if (shard_index_vector(flat, b->dim, &v, &own_bounds))
			hnsw_vectors_add(&b->vectors, v, b->rows, own_bounds ? HNSW_VECTOR_OWN_BOUNDS : 0);
		if (DatumGetPointer(flat) != DatumGetPointer(d))
			pfree(DatumGetPointer(flat));
	}
	b->rows++;
}

/*
 * Builds and writes the index of each of the shards the rows went into
 * (in order, shards[j].rows rows each) and records it in the shard's
 * manifest entry.  The files and the directory are durable on return.
 */
void
shard_index_write(ShardIndexBuild *b, Oid dbid, Oid relfilenode, ManifestShard *shards,
				  int nshards)
{
	int64		row_base = 0;
	int32		next = 0;
	int			j;
	char		dir[MAXPGPATH];

	for (j = 0; j < nshards; j++)
	{
		char		path[MAXPGPATH];
		int64		end = row_base + shards[j].rows;
		int32		first = next;

		while (next < b->vectors.n && b->vectors.rows[next] < end)
			next++;
		shard_index_path(path, dbid, relfilenode, shards[j].snapshot, shards[j].n);
		hnsw_build_write(&b->vectors, first, next - first, row_base, b->metric, b->m,
						 b->ef_construction, b->attnum, path, &shards[j].index_bytes,
						 &shards[j].index_crc);
		shards[j].has_index = true;
		shards[j].index_vectors = next - first;
		row_base = end;
	}
	shard_dir_path(dir, dbid, relfilenode);
	fsync_fname(dir, true);
	spillpool_fault_point("index-written");
}

/*
 * Removes the index files a failed flush or compaction of snapshot
 * "snapshot" may have written (its shards are numbered from 0 without
 * gaps), so that they do not wait for the next load of the table.
 */
void
shard_index_remove_files(Oid dbid, Oid relfilenode, uint64 snapshot)
{
	char		path[MAXPGPATH];
	int			n;

	for (n = 0;; n++)
	{
		shard_index_path(path, dbid, relfilenode, snapshot, n);
		if (unlink(path) != 0)
			break;
	}
}

/* Frees what shard_index_begin allocated. */
void
shard_index_end(ShardIndexBuild *b)
{
	if (b == NULL)
		return;
	hnsw_vectors_free(&b->vectors);
	pfree(b);
}

/* The per-backend cache of loaded indexes. */
typedef struct IndexCacheKey
{
	Oid			dbid;
	Oid			relfilenode;
	uint64		snapshot;
	int			n;
	pg_crc32c	crc;
} IndexCacheKey;

typedef struct IndexCacheEntry
{
	IndexCacheKey key;
	HnswIndex  *ix;
	uint64		last_used;
} IndexCacheEntry;

static HTAB *index_cache = NULL;
static MemoryContext index_cache_cxt = NULL;
static Size index_cache_bytes = 0;
static uint64 index_cache_clock = 0;
static int	index_searches_running = 0;

/*
 * Drops least recently used indexes until the cache is within
 * spillpool.index_cache_size.  Only called when no search is running, so
 * no index is in use.
 */
static void
shard_index_cache_trim(void)
{
	while (index_cache_bytes > (Size) spillpool_index_cache_size_kb * 1024)
	{
		HASH_SEQ_STATUS seq;
		IndexCacheEntry *e;
		IndexCacheEntry *oldest = NULL;

		hash_seq_init(&seq, index_cache);
		while ((e = hash_seq_search(&seq)) != NULL)
			if (oldest == NULL || e->last_used < oldest->last_used)
				oldest = e;
		if (oldest == NULL)
			break;
		index_cache_bytes -= oldest->ix->file_len;
		hnsw_free(oldest->ix);
		hash_search(index_cache, &oldest->key, HASH_REMOVE, NULL);
	}
}

/*
 * The index of a shard that the manifest says has one, from the cache or
 * read from its file.  NULL with *error set (for a WARNING) when the file
 * is missing or damaged, or was built for another column, dimension or
 * metric than the table's embedding column now.  Called between
 * shard_index_search_begin and shard_index_search_end, which keep the
 * index in memory until then.
 */
const HnswIndex *
shard_index_load(Oid dbid, Oid relfilenode, const ManifestShard *sh, AttrNumber attnum,
				 int dim, int metric, char **error)
{
	IndexCacheKey key;
	IndexCacheEntry *e;
	bool		found;
	char		path[MAXPGPATH];
	HnswIndex  *ix;
	uint64		now;

	if (index_cache == NULL)
	{
		index_cache_cxt = AllocSetContextCreate(TopMemoryContext, "spillpool index cache",
												ALLOCSET_DEFAULT_SIZES);
		index_cache = spillpool_local_hash("spillpool index cache", 64, sizeof(IndexCacheKey),
										   sizeof(IndexCacheEntry), index_cache_cxt);
	}
	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.relfilenode = relfilenode;
	key.snapshot = sh->snapshot;
	key.n = sh->n;
	key.crc = sh->index_crc;
	now = ++index_cache_clock;
	e = hash_search(index_cache, &key, HASH_FIND, NULL);
	if (e == NULL)
	{
		shard_index_path(path, dbid, relfilenode, sh->snapshot, sh->n);
		ix = hnsw_read(path, sh->index_bytes, sh->index_crc, sh->index_vectors, sh->rows,
					   index_cache_cxt, error);
		if (ix == NULL)
			return NULL;
		e = hash_search(index_cache, &key, HASH_ENTER, &found);
		e->ix = ix;
		index_cache_bytes += ix->file_len;
	}
	e->last_used = now;
	if (e->ix->attnum != attnum)
	{
		*error = psprintf("The index was built over another column (attribute %d) than the table's embedding column now (attribute %d).",
						  e->ix->attnum, attnum);
		return NULL;
	}
	if (e->ix->dim != dim || e->ix->metric != metric)
	{
		*error = psprintf("The index was built for %d dimensions and the %s metric; the table's embedding column has %d and %s.",
						  e->ix->dim, vector_metric_name(e->ix->metric), dim,
						  vector_metric_name(metric));
		return NULL;
	}
	return e->ix;
}

/*
 * A search starts: the indexes it loads stay in memory until
 * shard_index_search_end.  Searches may nest (a WHERE clause can run
 * one); the cache is trimmed to spillpool.index_cache_size only when
 * none is running.
 */
void
shard_index_search_begin(void)
{
	if (index_searches_running == 0 && index_cache != NULL)
		shard_index_cache_trim();
	index_searches_running++;
}

/*
 * A search ended, normally or by an error (see knn.c); after the last
 * one, the cache goes back within its size.
 */
void
shard_index_search_end(void)
{
	Assert(index_searches_running > 0);
	if (--index_searches_running == 0 && index_cache != NULL)
		shard_index_cache_trim();
}
