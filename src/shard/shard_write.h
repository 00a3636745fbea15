/*-------------------------------------------------------------------------
 *
 * shard_write.h
 *	  PostgreSQL rows into Parquet shards.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_SHARD_WRITE_H
#define SPILLPOOL_SHARD_WRITE_H

#include "shard/convert.h"
#include "tier/manifest.h"

typedef struct ShardWriter ShardWriter;

extern int	spillpool_max_shard_size_mb;
extern int	spillpool_shard_row_group_rows;

extern ShardWriter *shard_writer_begin(Relation rel, Oid dbid, Oid relfilenode,
									   uint64 snapshot, SpillCodec codec, int level);
extern void shard_writer_add(ShardWriter *sw, MinimalTuple tup, uint64 pos);
extern int	shard_writer_finish(ShardWriter *sw, ManifestShard **shards);
extern void shard_writer_abort(ShardWriter *sw);

#endif							/* SPILLPOOL_SHARD_WRITE_H */
