/*-------------------------------------------------------------------------
 *
 * shard_read.h
 *	  Parquet shards back into rows: projection, row-group skipping.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_SHARD_READ_H
#define SPILLPOOL_SHARD_READ_H

#include "access/attnum.h"
#include "executor/tuptable.h"
#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"
#include "utils/rel.h"

/* A qual a row group's min/max can rule out: column op constant. */
typedef struct ShardFilter
{
	AttrNumber	attnum;
	int			strategy;		/* BTLessStrategyNumber ... BTGreaterStrategyNumber */
	Datum		value;
	Oid			value_type;
	Oid			collation;
	Oid			cmp_proc;		/* btree comparison (column type, value type) */
} ShardFilter;

/* What a shard scan did, for EXPLAIN ANALYZE. */
typedef struct ShardScanCounters
{
	int64		shards;
	int64		row_groups;
	int64		row_groups_skipped;
	int64		rows;
} ShardScanCounters;

typedef struct ShardScan ShardScan;

extern ShardScan *shard_scan_begin(Relation rel, TupleDesc desc, Oid dbid,
								   Oid relfilenode, uint64 snapshot_id,
								   Bitmapset *attrs, List *filters,
								   ShardScanCounters *counters);
extern bool shard_scan_next(ShardScan *ss, TupleTableSlot *slot);
extern void shard_scan_end(ShardScan *ss);
extern char *shard_column_minmax(const char *path, TupleDesc desc);

#endif							/* SPILLPOOL_SHARD_READ_H */
