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

/* Time travel: only the shards of snapshots up to snapshot_id. */
extern void spillpool_scan_set_snapshot_id(TableScanDesc scan, uint64 snapshot_id);

#endif							/* SPILLPOOL_SCAN_H */
