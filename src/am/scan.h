/*-------------------------------------------------------------------------
 *
 * scan.h
 *	  The scan of a spillpool table across its tiers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_SCAN_H
#define SPILLPOOL_SCAN_H

#include "access/relscan.h"
#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"
#include "port/atomics.h"
#include "shard/shard_read.h"
#include "utils/snapshot.h"

/* Pseudo rows per block, for ANALYZE's block sampler and relation_size. */
#define ANALYZE_ROWS_PER_BLOCK 100

extern TableScanDesc spillpool_scan_begin(Relation rel, Snapshot snapshot, int nkeys,
										  struct ScanKeyData *key,
										  ParallelTableScanDesc parallel_scan,
										  uint32 flags);
extern void spillpool_scan_end(TableScanDesc sscan);
extern void spillpool_scan_rescan(TableScanDesc sscan, struct ScanKeyData *key,
								  bool set_params, bool allow_strat,
								  bool allow_sync, bool allow_pagemode);
extern bool spillpool_scan_getnextslot(TableScanDesc sscan, ScanDirection direction,
									   TupleTableSlot *slot);
extern bool spillpool_scan_analyze_next_block(TableScanDesc sscan, BlockNumber blockno,
											  BufferAccessStrategy bstrategy);
extern bool spillpool_scan_analyze_next_tuple(TableScanDesc sscan,
											  TransactionId OldestXmin,
											  double *liverows, double *deadrows,
											  TupleTableSlot *slot);

/* Scans with projection and row-group filters (the custom scan). */
extern void spillpool_scan_set_projection(TableScanDesc scan, Bitmapset *attrs,
										  List *filters, ShardScanCounters *counters);

/* The aggregate scan reads the shards through their reader first. */
extern ShardScan *spillpool_scan_shards(TableScanDesc sscan);
extern void spillpool_scan_end_shards(TableScanDesc sscan);
extern uint64 spillpool_scan_snapshot_id(TableScanDesc sscan);

/*
 * Parallel scans (the parallel custom scan): what the participants share,
 * in the dynamic shared memory of the query.  The leader fixes the tiers
 * every participant reads (its ScanStart); the shards' row groups and the
 * segments' blocks go to whichever participant claims them first, and the
 * leader alone reads the memtable's batches and its transaction's rows.
 */
typedef struct SpillParallelScan
{
	uint32		seg_first;		/* the leader's ScanStart */
	int64		seg_first_off;
	uint32		seg_end;
	int64		seg_end_off;
	uint64		snapshot_id;
	pg_atomic_uint64 next_row_group;	/* the next unit to claim */
	pg_atomic_uint64 next_block;
} SpillParallelScan;

extern void spillpool_scan_parallel_leader(TableScanDesc sscan, SpillParallelScan *shared);
extern void spillpool_scan_parallel_worker(TableScanDesc sscan, SpillParallelScan *shared);

/* Time travel: only the shards of snapshots up to snapshot_id. */
extern void spillpool_scan_set_snapshot_id(TableScanDesc scan, uint64 snapshot_id);

#endif							/* SPILLPOOL_SCAN_H */
