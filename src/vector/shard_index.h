/*-------------------------------------------------------------------------
 *
 * shard_index.h
 *	  The HNSW index of each shard: built by flushes and compactions over
 *	  the embedding column, loaded (and cached) for searches
 *	  (shard_index.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_SHARD_INDEX_H
#define SPILLPOOL_SHARD_INDEX_H

#include "access/htup.h"
#include "utils/array.h"
#include "utils/rel.h"

#include "tier/manifest.h"
#include "tier/options.h"
#include "vector/hnsw.h"

typedef struct ShardIndexBuild ShardIndexBuild;

extern ShardIndexBuild *shard_index_begin(Relation rel, const SpillOptions *opts);
extern void shard_index_add_tuple(ShardIndexBuild *b, MinimalTuple tup);
extern void shard_index_add_values(ShardIndexBuild *b, const Datum *values, const bool *isnull);
extern void shard_index_write(ShardIndexBuild *b, Oid dbid, Oid relfilenode,
							  ManifestShard *shards, int nshards);
extern void shard_index_end(ShardIndexBuild *b);

extern void shard_index_remove_files(Oid dbid, Oid relfilenode, uint64 snapshot);

extern bool shard_index_vector(Datum d, int dim, const float4 **elems, bool *own_bounds);
extern void shard_index_search_begin(void);
extern void shard_index_search_end(void);
extern const HnswIndex *shard_index_load(Oid dbid, Oid relfilenode, const ManifestShard *sh,
										 AttrNumber attnum, int dim, int metric, char **error);

#endif							/* SPILLPOOL_SHARD_INDEX_H */
