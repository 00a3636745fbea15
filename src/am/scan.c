/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  The scan of a spillpool table: every tier as one table, in commit
 *	  order, for SELECT, the custom scan, ANALYZE and time travel.
 *
 * A scan returns, in order: the rows of the shards (oldest snapshot first),
 * the segment files (oldest first; a block whose batch is still in the
 * memtable is served from memory instead of being decompressed), then
 * memtable batches not yet written to any segment, then this transaction's
 * own pending rows.  The memtable is copied at the start of the scan
 * together with the segment range and the snapshot that existed at that
 * moment, so rows moving between tiers during the scan are seen exactly
 * once.  Visibility is decided per batch from its transaction id, as heap
 * does for xmin; own rows by command id.
 *
 * A started scan pins the table's segment files (a flush does not delete
 * what a running scan may still read) and may hold a shard reader; both
 * are released by a resource-owner callback when an error ends the scan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/skey.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "storage/predicate.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "spillpool.h"
#include "am/scan.h"
#include "shard/shard_read.h"
#include "tier/memtable.h"
#include "tier/pending.h"
#include "tier/rowrecord.h"
#include "tier/segment.h"
#include "tier/visibility.h"


typedef enum ScanPhase
{
	SCAN_SHARDS,
	SCAN_SEGMENTS,
	SCAN_MEMTABLE,
	SCAN_OWN_ROWS,
	SCAN_DONE
} ScanPhase;

typedef struct SpillScanDescData
{
	TableScanDescData base;
	MemoryContext cxt;			/* everything the scan allocates */
	bool		started;
	ScanPhase	phase;
	SpillTable *tab;

	MemtableCopy mem;
	int			mem_idx;
	ScanStart	start;			/* what the scan sees, fixed at its start */
	struct OpenScan *open;		/* its pin and shard reader */
	uint32		cur_seg;

	/* shards: projection and filters set by the custom scan */
	Bitmapset  *attrs;			/* NULL: every column */
	List	   *filters;
	ShardScanCounters *counters;
	bool		time_travel;	/* shards of snapshots up to travel_id only */
	uint64		travel_id;
	SegmentReader rd;
	bool		rd_open;
	uint32		load_seg;		/* blocks before this were written before */
	int64		load_off;		/* the server started */

	char	   *pos;			/* row records of the current block */
	char	   *end;

	PendingReader own;

	/* visibility cache: the last transaction looked at */
	FullTransactionId last_fxid;
	bool		last_visible;

	/* ANALYZE */
	int64		rows_seen;
	BlockNumber analyze_block;

	/* a participant of a parallel scan (see SpillParallelScan) */
	SpillParallelScan *par;
	bool		par_leader;
	uint64		par_row_group;	/* units this participant has come to */
	uint64		par_block;
} SpillScanDescData;

typedef SpillScanDescData *SpillScanDesc;

/*
 * Visibility of the rows of fxid (before_load: on disk, flagged committed,
 * before this server started; see spill_rows_status), with a one-entry
 * cache, since rows come in long runs of one transaction.
 */
static bool
scan_rows_visible(SpillScanDesc scan, FullTransactionId fxid, bool committed,
				  bool before_load)
{
	bool		visible;

	if (committed)
	{
		/*
		 * Not cached: a block on disk from before a crash may carry an xid
		 * that was handed out again since, and must not decide the fate of
		 * the new transaction's rows.
		 */
		return spill_rows_visible(fxid, committed, before_load, scan->base.rs_snapshot);
	}
	if (FullTransactionIdEquals(fxid, scan->last_fxid))
		return scan->last_visible;
	visible = spill_rows_visible(fxid, false, before_load, scan->base.rs_snapshot);
	scan->last_fxid = fxid;
	scan->last_visible = visible;
	return visible;
}

/* Visibility of a segment block. */
static bool
spillpool_block_visible(SpillScanDesc scan, const SegmentBlockHeader *hdr)
{
	bool		committed = (hdr->flags & SEGMENT_BLOCK_COMMITTED) != 0;
	bool		before_load = scan->cur_seg < scan->load_seg ||
		(scan->cur_seg == scan->load_seg && scan->rd.block_off < scan->load_off);

	return scan_rows_visible(scan, FullTransactionIdFromU64(hdr->fxid), committed,
							 before_load);
}

TableScanDesc
spillpool_scan_begin(Relation rel, Snapshot snapshot, int nkeys, ScanKey key,
					 ParallelTableScanDesc pscan, uint32 flags)
{
	SpillScanDesc scan = palloc0(sizeof(SpillScanDescData));

	spillpool_require_preload();
	/* rows are returned in per-tuple contexts that callers reset */
	scan->cxt = AllocSetContextCreate(CurrentMemoryContext, "spillpool scan",
									  ALLOCSET_DEFAULT_SIZES);
	scan->base.rs_rd = rel;
	scan->base.rs_snapshot = snapshot;
	scan->base.rs_nkeys = nkeys;
	scan->base.rs_flags = flags;
	scan->base.rs_parallel = pscan;
	scan->last_fxid = InvalidFullTransactionId;
	scan->rd.file = -1;
	return (TableScanDesc) scan;
}

/*
 * What a started scan holds outside its memory context: its pin on the
 * table's segment files and the malloc'd buffers of its shard reader.  The
 * entries live in TopMemoryContext so that they can be released when an
 * error ends the scan: the executor then never calls scan_end, and the
 * scan descriptor itself may already be freed with the portal's memory.
 * A resource-owner callback releases the entries of the owner being
 * released.
 */
typedef struct OpenScan
{
	SpillTableKey key;
	int64		pin_gen;		/* retirement count when the pin was taken */
	bool		pinned;
	ShardScan  *shards;			/* NULL when not reading shards */
	File		seg_file;		/* the segment file open for reading, or -1 */
	ResourceOwner owner;
	struct OpenScan *next;
} OpenScan;

static OpenScan *open_scans = NULL;
static bool open_scans_callback_registered = false;

/* Releases what an open scan holds and forgets it. */
static void
open_scan_release(OpenScan *os)
{
	OpenScan  **pp;

	if (os->shards != NULL)
	{
		shard_scan_end(os->shards);
		os->shards = NULL;
	}
	if (os->seg_file >= 0)
		FileClose(os->seg_file);
	os->seg_file = -1;
	if (os->pinned)
	{
		SpillTable *tab = spilltable_lookup(os->key.dbid, os->key.relfilenode, false);

		if (tab != NULL)
			spilltable_unpin_segments(tab, os->pin_gen);
		os->pinned = false;
	}
	for (pp = &open_scans; *pp != NULL; pp = &(*pp)->next)
	{
		if (*pp == os)
		{
			*pp = os->next;
			break;
		}
	}
	pfree(os);
}

/* Resource-owner callback: releases the scans an ending owner leaves. */
static void
spillpool_release_scans(ResourceReleasePhase phase, bool isCommit, bool isTopLevel,
						void *arg)
{
	OpenScan   *os = open_scans;

	if (phase != RESOURCE_RELEASE_BEFORE_LOCKS)
		return;
	while (os != NULL)
	{
		OpenScan   *next = os->next;

		if (os->owner == CurrentResourceOwner)
			open_scan_release(os);
		os = next;
	}
}

/* Copies the memtable and fixes the tiers' extent, at the first row. */
static void
spillpool_scan_start(SpillScanDesc scan)
{
	Relation	rel = scan->base.rs_rd;
	OpenScan   *os;
	MemoryContext old = MemoryContextSwitchTo(scan->cxt);

	scan->started = true;
	/* SERIALIZABLE: a scan reads the whole relation; lock it as such */
	if (scan->base.rs_snapshot && IsMVCCSnapshot(scan->base.rs_snapshot))
		PredicateLockRelation(rel, scan->base.rs_snapshot);
	scan->tab = spilltable_for_rel(rel);

	if (!open_scans_callback_registered)
	{
		RegisterResourceReleaseCallback(spillpool_release_scans, NULL);
		open_scans_callback_registered = true;
	}
	os = MemoryContextAllocZero(TopMemoryContext, sizeof(OpenScan));
	os->key = scan->tab->key;
	os->seg_file = -1;
	os->owner = CurrentResourceOwner;
	os->next = open_scans;
	open_scans = os;
	scan->open = os;

	if (scan->par != NULL && !scan->par_leader)
	{
		/*
		 * A worker reads what the leader fixed, under the leader's pin,
		 * and no memtable batch: only the leader has them.
		 */
		scan->start.seg_first = scan->par->seg_first;
		scan->start.seg_first_off = scan->par->seg_first_off;
		scan->start.seg_end = scan->par->seg_end;
		scan->start.seg_end_off = scan->par->seg_end_off;
		scan->start.snapshot_id = scan->par->snapshot_id;
		memset(&scan->mem, 0, sizeof(scan->mem));
	}
	else
	{
		memtable_copy(scan->tab, &scan->mem, &scan->start);
		os->pin_gen = scan->start.pin_gen;
		os->pinned = true;
	}
	scan->load_seg = scan->tab->load_seg;
	scan->load_off = scan->tab->load_off;
	scan->cur_seg = scan->start.seg_first;
	scan->phase = SCAN_SHARDS;
	if (scan->time_travel)
	{
		if (scan->travel_id > scan->start.snapshot_id)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("snapshot " UINT64_FORMAT " of spillpool table \"%s\" does not exist",
							scan->travel_id, RelationGetRelationName(rel)),
					 errdetail("The current snapshot is " UINT64_FORMAT ".", scan->start.snapshot_id)));
		if (scan->travel_id < scan->start.oldest_snapshot)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("snapshot " UINT64_FORMAT " of spillpool table \"%s\" has expired",
							scan->travel_id, RelationGetRelationName(rel)),
					 errdetail("The oldest snapshot still held is " UINT64_FORMAT ".",
							   scan->start.oldest_snapshot),
					 errhint("Raise the table's snapshot_retention with spillpool.alter_table to keep snapshots longer.")));
		scan->start.snapshot_id = scan->travel_id;
	}

	/*
	 * A parallel sequential scan of the access method: one participant, the
	 * leader, reads everything (the planner offers none; see hooks.c).
	 */
	if (scan->base.rs_parallel != NULL && IsParallelWorker())
		scan->phase = SCAN_DONE;
	pending_reader_begin(&scan->own, rel);
	scan->par_row_group = scan->par_block = 0;
	MemoryContextSwitchTo(old);
}

/*
 * Claims the next unit of work of a parallel scan (a row group or a
 * block), numbered in the order every participant comes to them: *mine is
 * this participant's count of units come to, *next the first unit nobody
 * has claimed.  A participant reaching unit k finds next >= k, since it
 * came to every unit before k; the unit is its own if it moves next from
 * k to k + 1.
 */
static bool
scan_claim(pg_atomic_uint64 *next, uint64 *mine)
{
	uint64		k = (*mine)++;
	uint64		cur = pg_atomic_read_u64(next);

	while (cur == k)
	{
		if (pg_atomic_compare_exchange_u64(next, &cur, k + 1))
			return true;
	}
	return false;
}

/* Claims a shard row group for this participant (shard_scan_set_claim). */
static bool
scan_claim_row_group(void *arg)
{
	SpillScanDesc scan = (SpillScanDesc) arg;

	return scan_claim(&scan->par->next_row_group, &scan->par_row_group);
}

/*
 * The leader of a parallel scan: fixes what every participant reads and
 * shares it, before any worker starts.  Without the leader nobody would
 * read the memtable and the transaction's own rows; the planner offers
 * parallel paths only with parallel_leader_participation, which may have
 * changed since.
 */
void
spillpool_scan_parallel_leader(TableScanDesc sscan, SpillParallelScan *shared)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	if (!parallel_leader_participation)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a parallel scan of spillpool table \"%s\" needs parallel_leader_participation",
						RelationGetRelationName(sscan->rs_rd)),
				 errdetail("The leader reads the rows that are only in memory and the transaction's own rows."),
				 errhint("Set parallel_leader_participation to on, or plan the query again.")));

	scan->par = shared;
	scan->par_leader = true;
	if (!scan->started)
		spillpool_scan_start(scan);
	shared->seg_first = scan->start.seg_first;
	shared->seg_first_off = scan->start.seg_first_off;
	shared->seg_end = scan->start.seg_end;
	shared->seg_end_off = scan->start.seg_end_off;
	shared->snapshot_id = scan->start.snapshot_id;
	pg_atomic_init_u64(&shared->next_row_group, 0);
	pg_atomic_init_u64(&shared->next_block, 0);
}

/* A worker of a parallel scan: reads its share of what the leader fixed. */
void
spillpool_scan_parallel_worker(TableScanDesc sscan, SpillParallelScan *shared)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	scan->par = shared;
	scan->par_leader = false;
}

/*
 * Called by the custom scan before the first row: decode only these
 * columns of the shards, and skip row groups the filters rule out.
 */
void
spillpool_scan_set_projection(TableScanDesc sscan, Bitmapset *attrs, List *filters,
							  ShardScanCounters *counters)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	scan->attrs = attrs;
	scan->filters = filters;
	scan->counters = counters;
}

/*
 * Time travel: the scan returns the rows of the shards of snapshots up to
 * snapshot_id and nothing else.
 */
void
spillpool_scan_set_snapshot_id(TableScanDesc sscan, uint64 snapshot_id)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	scan->time_travel = true;
	scan->travel_id = snapshot_id;
}

static void
spillpool_scan_close_reader(SpillScanDesc scan)
{
	if (scan->rd_open)
		segment_reader_close(&scan->rd);
	scan->rd_open = false;
	if (scan->open != NULL)
		scan->open->seg_file = -1;
}

/*
 * Ends what a started scan has open (segment file, own-rows reader, pin and
 * shard reader), for scan_end and rescan.
 */
static void
spillpool_scan_stop(SpillScanDesc scan)
{
	spillpool_scan_close_reader(scan);
	if (scan->started)
	{
		pending_reader_end(&scan->own);
		if (scan->open != NULL)
			open_scan_release(scan->open);
		scan->open = NULL;
	}
}

void
spillpool_scan_end(TableScanDesc sscan)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	spillpool_scan_stop(scan);
	if (scan->base.rs_flags & SO_TEMP_SNAPSHOT)
		UnregisterSnapshot(scan->base.rs_snapshot);
	MemoryContextDelete(scan->cxt);
	pfree(scan);
}

void
spillpool_scan_rescan(TableScanDesc sscan, ScanKey key, bool set_params,
					  bool allow_strat, bool allow_sync, bool allow_pagemode)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	spillpool_scan_stop(scan);
	MemoryContextReset(scan->cxt);
	scan->started = false;
	scan->pos = scan->end = NULL;
	scan->mem_idx = 0;
	scan->rows_seen = 0;
}

/*
 * The shard reader of a started scan in its shard phase, opened on first
 * use, producing rows of layout desc (the slot's: during an ALTER TABLE
 * rewrite it is the old layout); NULL when the scan has no shards to read
 * (then the phase moves on).
 * The reader is the scan's (see OpenScan): released with it, on errors too.
 */
static ShardScan *
spillpool_scan_open_shards(SpillScanDesc scan, TupleDesc desc)
{
	OpenScan   *os = scan->open;

	if (scan->phase != SCAN_SHARDS)
		return NULL;
	if (scan->start.snapshot_id == 0)
	{
		scan->phase = scan->time_travel ? SCAN_DONE : SCAN_SEGMENTS;
		return NULL;
	}
	if (os->shards == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(scan->cxt);

		os->shards = shard_scan_begin(scan->base.rs_rd, desc,
									  scan->tab->key.dbid,
									  scan->tab->key.relfilenode,
									  scan->start.snapshot_id, scan->attrs,
									  scan->filters, scan->counters);
		if (scan->par != NULL)
			shard_scan_set_claim(os->shards, scan_claim_row_group, scan);
		MemoryContextSwitchTo(old);
	}
	return os->shards;
}

/* Ends the shard phase: the reader goes, the segments come next. */
static void
spillpool_scan_close_shards(SpillScanDesc scan)
{
	OpenScan   *os = scan->open;

	if (os->shards != NULL)
	{
		shard_scan_end(os->shards);
		os->shards = NULL;
	}
	scan->phase = scan->time_travel ? SCAN_DONE : SCAN_SEGMENTS;
}

/* The next shard row into slot; false (and the next phase) after the last. */
static bool
spillpool_scan_next_shard_row(SpillScanDesc scan, TupleTableSlot *slot)
{
	ShardScan  *ss = spillpool_scan_open_shards(scan, slot->tts_tupleDescriptor);

	if (ss == NULL)
		return false;
	if (shard_scan_next(ss, slot))
		return true;
	spillpool_scan_close_shards(scan);
	return false;
}

/*
 * For the aggregate scan, which reads shards column by column: the shard
 * reader of the scan, positioned before its first row group, or NULL when
 * there are no shards.  The caller reads it with shard_scan_next_batch and
 * then calls spillpool_scan_end_shards; table_scan_getnextslot returns the
 * unflushed rows after that.  Must come before any getnextslot call.
 */
ShardScan *
spillpool_scan_shards(TableScanDesc sscan)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	if (!scan->started)
		spillpool_scan_start(scan);
	return spillpool_scan_open_shards(scan, RelationGetDescr(sscan->rs_rd));
}

/*
 * The snapshot whose shards the scan reads, fixed when it starts (started
 * here if need be); 0 when the table has no shards.  The nearest-neighbour
 * scan lists the same shards from the manifest (knn.c).
 */
uint64
spillpool_scan_snapshot_id(TableScanDesc sscan)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	if (!scan->started)
		spillpool_scan_start(scan);
	return scan->start.snapshot_id;
}

/* Ends the shard phase that spillpool_scan_shards began. */
void
spillpool_scan_end_shards(TableScanDesc sscan)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	if (scan->started && scan->phase == SCAN_SHARDS)
		spillpool_scan_close_shards(scan);
}

/*
 * Positions the scan on the next block of visible rows.  Returns false when
 * every tier is exhausted.
 */
static bool
spillpool_scan_next_block(SpillScanDesc scan)
{
	while (scan->phase == SCAN_SEGMENTS)
	{
		SegmentBlockHeader hdr;
		int			idx;

		if (!scan->rd_open)
		{
			char		path[MAXPGPATH];

			if (scan->cur_seg > scan->start.seg_end ||
				(scan->cur_seg == scan->start.seg_end && scan->start.seg_end_off == 0))
			{
				scan->phase = SCAN_MEMTABLE;
				break;
			}
			segment_file_path(path, scan->tab->key.dbid, scan->tab->key.relfilenode,
							  scan->cur_seg);
			scan->rd_open = segment_reader_open(&scan->rd, path,
												scan->cur_seg == scan->start.seg_end ?
												scan->start.seg_end_off : -1,
												true);
			if (!scan->rd_open)
			{
				scan->cur_seg++;
				continue;
			}
			scan->open->seg_file = scan->rd.file;
			/* blocks before the flushed position are in the shards */
			if (scan->cur_seg == scan->start.seg_first)
				scan->rd.off = Max(scan->rd.off, scan->start.seg_first_off);
		}
		if (!segment_reader_next(&scan->rd, &hdr, false))
		{
			spillpool_scan_close_reader(scan);
			scan->cur_seg++;
			continue;
		}
		idx = memtable_copy_find(&scan->mem, hdr.seq);
		if (scan->par != NULL && !scan_claim(&scan->par->next_block, &scan->par_block))
		{
			/* another participant's; the leader's memtable phase skips it */
			if (idx >= 0)
				scan->mem.consumed[idx] = true;
			continue;
		}
		if (idx >= 0)
		{
			/* still in memory: no need to decompress */
			scan->mem.consumed[idx] = true;
			if (!scan_rows_visible(scan, scan->mem.fxids[idx], scan->mem.committed[idx], false))
				continue;
			scan->pos = scan->mem.data[idx];
			scan->end = scan->pos + scan->mem.data_len[idx];
			return true;
		}
		if (!spillpool_block_visible(scan, &hdr))
			continue;
		segment_reader_payload(&scan->rd, &hdr);
		scan->pos = scan->rd.raw;
		scan->end = scan->rd.raw + scan->rd.raw_len;
		return true;
	}
	if (scan->phase == SCAN_MEMTABLE && scan->par != NULL && !scan->par_leader)
		scan->phase = SCAN_DONE;	/* the memtable and own rows: the leader's */
	while (scan->phase == SCAN_MEMTABLE)
	{
		int			i = scan->mem_idx++;

		if (i >= scan->mem.nbatches)
		{
			scan->phase = SCAN_OWN_ROWS;
			break;
		}
		if (scan->mem.consumed[i] ||
			!scan_rows_visible(scan, scan->mem.fxids[i], scan->mem.committed[i], false))
			continue;
		scan->pos = scan->mem.data[i];
		scan->end = scan->pos + scan->mem.data_len[i];
		return true;
	}
	return false;
}

/*
 * The next visible row record, or NULL: the body of spillpool_scan_next_row,
 * run in the scan's memory context.  Own rows are checked against the
 * snapshot's command id (a command does not see its own inserts).
 */
static SpillRowHeader *
spillpool_scan_next_row_internal(SpillScanDesc scan)
{
	SpillRowHeader *h;

	if (!scan->started)
		spillpool_scan_start(scan);
	for (;;)
	{
		if (scan->pos != NULL && scan->pos < scan->end)
		{
			h = (SpillRowHeader *) scan->pos;
			scan->pos += ROW_RECORD_SIZE(h->len);
			return h;
		}
		scan->pos = scan->end = NULL;
		if (scan->phase == SCAN_DONE)
			return NULL;
		if (scan->phase != SCAN_OWN_ROWS && spillpool_scan_next_block(scan))
			continue;
		if (scan->phase == SCAN_OWN_ROWS)
		{
			Snapshot	snap = scan->base.rs_snapshot;

			while ((h = pending_reader_next(&scan->own)) != NULL)
			{
				if (snap == NULL || !IsMVCCSnapshot(snap) || h->cid < snap->curcid)
					return h;
			}
			scan->phase = SCAN_DONE;
			return NULL;
		}
	}
}

/*
 * Returns the next visible row record, or NULL.  Everything a scan allocates
 * lives in its own context: callers such as ALTER TABLE's rewrite reset the
 * current context after every row.
 */
static SpillRowHeader *
spillpool_scan_next_row(SpillScanDesc scan)
{
	SpillRowHeader *h;
	MemoryContext old = MemoryContextSwitchTo(scan->cxt);

	h = spillpool_scan_next_row_internal(scan);
	MemoryContextSwitchTo(old);
	return h;
}

/* Sets the table oid and a made-up row position of a returned row. */
static void
spillpool_count_row(SpillScanDesc scan, TupleTableSlot *slot)
{
	slot->tts_tableOid = RelationGetRelid(scan->base.rs_rd);
	scan->rows_seen++;
	ItemPointerSet(&slot->tts_tid,
				   (BlockNumber) (scan->rows_seen / MaxOffsetNumber),
				   (OffsetNumber) (scan->rows_seen % MaxOffsetNumber + 1));
}

/* Stores a row record into a minimal tuple slot. */
static void
spillpool_store_row(SpillScanDesc scan, SpillRowHeader *h, TupleTableSlot *slot)
{
	ExecStoreMinimalTuple(ROW_RECORD_TUPLE(h), slot, false);
	spillpool_count_row(scan, slot);
}

bool
spillpool_scan_getnextslot(TableScanDesc sscan, ScanDirection direction,
						   TupleTableSlot *slot)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;
	SpillRowHeader *h;

	if (direction == BackwardScanDirection)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("spillpool tables do not support backward scans")));
	CHECK_FOR_INTERRUPTS();
	if (!scan->started)
		spillpool_scan_start(scan);
	if (scan->phase == SCAN_SHARDS && spillpool_scan_next_shard_row(scan, slot))
	{
		spillpool_count_row(scan, slot);
		return true;
	}
	h = spillpool_scan_next_row(scan);
	if (h == NULL)
	{
		ExecClearTuple(slot);
		return false;
	}
	spillpool_store_row(scan, h, slot);
	return true;
}

/*
 * ANALYZE samples pseudo-blocks of ANALYZE_ROWS_PER_BLOCK rows, in scan
 * order; the block sampler asks for them in ascending order, so one forward
 * scan serves them all.
 */
bool
spillpool_scan_analyze_next_block(TableScanDesc sscan, BlockNumber blockno,
								  BufferAccessStrategy bstrategy)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	scan->analyze_block = blockno;
	return true;
}

bool
spillpool_scan_analyze_next_tuple(TableScanDesc sscan, TransactionId OldestXmin,
								  double *liverows, double *deadrows,
								  TupleTableSlot *slot)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;
	int64		first = (int64) scan->analyze_block * ANALYZE_ROWS_PER_BLOCK;
	SpillRowHeader *h;

	for (;;)
	{
		if (scan->rows_seen >= first + ANALYZE_ROWS_PER_BLOCK)
			return false;
		if (!scan->started)
			spillpool_scan_start(scan);
		if (scan->phase == SCAN_SHARDS && spillpool_scan_next_shard_row(scan, slot))
			spillpool_count_row(scan, slot);
		else
		{
			h = spillpool_scan_next_row(scan);
			if (h == NULL)
				return false;
			spillpool_store_row(scan, h, slot);
		}
		if (scan->rows_seen > first)
		{
			*liverows += 1;
			return true;
		}
	}
}
