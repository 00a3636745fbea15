/*-------------------------------------------------------------------------
 *
 * tableam.c
 *	  The spillpool table access method: inserts, scans over every tier,
 *	  TRUNCATE, ANALYZE sampling, and the refusals of an append-only table.
 *
 * A scan returns, in order: the segment files (oldest first; a block whose
 * batch is still in the memtable is served from memory instead of being
 * decompressed), then memtable batches not yet written to any segment, then
 * this transaction's own pending rows.  The memtable is copied at the start
 * of the scan together with the segment range that existed at that moment,
 * so rows moving between tiers during the scan are seen exactly once.
 * Visibility is decided per batch from its transaction id, as heap does for
 * xmin; own rows by command id.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/multixact.h"
#include "access/parallel.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/storage.h"
#include "catalog/storage_xlog.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/paths.h"
#include "optimizer/plancat.h"
#include "parser/parsetree.h"
#include "pgstat.h"
#include "storage/predicate.h"
#include "storage/procarray.h"
#include "storage/smgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "spillpool.h"

PG_FUNCTION_INFO_V1(spillpool_tableam_handler);

/* Pseudo rows per block, for ANALYZE's block sampler. */
#define ANALYZE_ROWS_PER_BLOCK 100

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
	TransactionId last_xid;
	bool		last_visible;

	/* ANALYZE */
	int64		rows_seen;
	BlockNumber analyze_block;
} SpillScanDescData;

typedef SpillScanDescData *SpillScanDesc;

static const TableAmRoutine spillpool_methods;
static ExecutorStart_hook_type prev_executor_start = NULL;
static get_relation_info_hook_type prev_get_relation_info = NULL;
static set_rel_pathlist_hook_type prev_set_rel_pathlist = NULL;

/* True if the relation uses this access method. */
bool
rel_is_spillpool(Relation rel)
{
	return rel->rd_tableam == &spillpool_methods;
}

/* True if the relation with this oid uses this access method. */
bool
relid_is_spillpool(Oid relid)
{
	HeapTuple	tup;
	bool		result = false;
	Oid			am = get_am_oid("spillpool", true);

	if (!OidIsValid(am))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tup))
	{
		result = ((Form_pg_class) GETSTRUCT(tup))->relam == am;
		ReleaseSysCache(tup);
	}
	return result;
}

/* The error of every operation an append-only table does not have. */
static void
spillpool_append_only_error(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("spillpool tables are append-only: %s is not supported", what),
			 errhint("Rows can only be added with INSERT or COPY, and removed with TRUNCATE or DROP TABLE.")));
}

/*
 * Is a batch of transaction xid visible?  committed says the rows are known
 * committed (written after commit, or hinted).  MVCC snapshots follow heap's
 * xmin rule; other snapshots see what has committed.
 */
bool
spill_xid_visible(TransactionId xid, bool committed, Snapshot snapshot)
{
	if (!TransactionIdIsNormal(xid))
		return true;			/* frozen or bootstrap */
	if (snapshot != NULL && IsMVCCSnapshot(snapshot) &&
		XidInMVCCSnapshot(xid, snapshot))
		return false;
	if (committed)
		return true;
	if (TransactionIdIsCurrentTransactionId(xid))
		return false;			/* our own rows are read from pending */
	if (TransactionIdIsInProgress(xid))
		return false;
	/* status older than the commit log: only committed rows survive that long */
	if (TransactionIdPrecedes(xid, ShmemVariableCache->oldestClogXid))
		return true;
	return TransactionIdDidCommit(xid);
}

/*
 * True if rows of fxid are older than the wraparound horizon: their xid
 * may name a newer transaction now, so they count as frozen (committed and
 * visible to everyone).  Scans and flushes both judge rows by this.
 */
bool
spill_fxid_frozen(FullTransactionId fxid)
{
	FullTransactionId next = ReadNextFullTransactionId();

	return FullTransactionIdPrecedes(fxid, next) &&
		U64FromFullTransactionId(next) - U64FromFullTransactionId(fxid) > (UINT64CONST(1) << 31);
}

/* Visibility with a one-entry cache, since rows come in long runs. */
static bool
scan_xid_visible(SpillScanDesc scan, FullTransactionId fxid, bool committed)
{
	TransactionId xid = XidFromFullTransactionId(fxid);

	if (spill_fxid_frozen(fxid))
		return true;
	if (xid == scan->last_xid && !committed)
		return scan->last_visible;
	scan->last_xid = xid;
	scan->last_visible = spill_xid_visible(xid, committed, scan->base.rs_snapshot);
	return scan->last_visible;
}

/*
 * Visibility of a segment block.  A block flagged committed that was on
 * disk before this server started is visible to every snapshot: its
 * transaction wrote no WAL, so after a crash its xid may even have been
 * handed out again.  Blocks decided by the commit log had their xid made
 * durable in WAL first (pending_log_xid), so the xid cannot be reused.
 */
static bool
spillpool_block_visible(SpillScanDesc scan, const SegmentBlockHeader *hdr)
{
	bool		committed = (hdr->flags & SEGMENT_BLOCK_COMMITTED) != 0;

	if (committed &&
		(scan->cur_seg < scan->load_seg ||
		 (scan->cur_seg == scan->load_seg && scan->rd.block_off < scan->load_off)))
		return true;
	return scan_xid_visible(scan, FullTransactionIdFromU64(hdr->fxid), committed);
}

static const TupleTableSlotOps *
spillpool_slot_callbacks(Relation rel)
{
	return &TTSOpsMinimalTuple;
}

static TableScanDesc
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
	scan->last_xid = InvalidTransactionId;
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
	int64		pin_gen;		/* flush count when the pin was taken */
	bool		pinned;
	ShardScan  *shards;			/* NULL when not reading shards */
	File		seg_file;		/* the segment file open for reading, or -1 */
	ResourceOwner owner;
	struct OpenScan *next;
} OpenScan;

static OpenScan *open_scans = NULL;
static bool open_scans_callback_registered = false;

/*
 * Releases a scan's pin on the table's segment files: the count it was
 * taken under (the flush count then) tells which counter it is in.
 */
void
scan_unpin(SpillTable *tab, int64 gen)
{
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	if (gen == tab->flushes && pg_atomic_read_u32(&tab->readers_cur) > 0)
		pg_atomic_fetch_sub_u32(&tab->readers_cur, 1);
	else if (tab->readers_old > 0)
		tab->readers_old--;
	LWLockRelease(&tab->lock);
}

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
			scan_unpin(tab, os->pin_gen);
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

	memtable_copy(scan->tab, &scan->mem, &scan->start);
	os->pin_gen = scan->start.pin_gen;
	os->pinned = true;
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
		scan->start.snapshot_id = scan->travel_id;
	}

	/* in a parallel scan one participant, the leader, reads everything */
	if (scan->base.rs_parallel != NULL && IsParallelWorker())
		scan->phase = SCAN_DONE;
	pending_reader_begin(&scan->own, rel);
	MemoryContextSwitchTo(old);
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

static void
spillpool_scan_end(TableScanDesc sscan)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	spillpool_scan_stop(scan);
	if (scan->base.rs_flags & SO_TEMP_SNAPSHOT)
		UnregisterSnapshot(scan->base.rs_snapshot);
	MemoryContextDelete(scan->cxt);
	pfree(scan);
}

static void
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
 * The next shard row into slot, or false when the shards are exhausted
 * (the scan then moves on to the segments, or ends for time travel).
 */
static bool
spillpool_scan_next_shard_row(SpillScanDesc scan, TupleTableSlot *slot)
{
	if (scan->start.snapshot_id > 0)
	{
		OpenScan   *os = scan->open;

		if (os->shards == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(scan->cxt);

			os->shards = shard_scan_begin(scan->base.rs_rd, slot->tts_tupleDescriptor,
										  scan->tab->key.dbid,
										  scan->tab->key.relfilenode,
										  scan->start.snapshot_id, scan->attrs,
										  scan->filters, scan->counters);
			MemoryContextSwitchTo(old);
		}
		if (shard_scan_next(os->shards, slot))
			return true;
		shard_scan_end(os->shards);
		os->shards = NULL;
	}
	scan->phase = scan->time_travel ? SCAN_DONE : SCAN_SEGMENTS;
	return false;
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
		if (idx >= 0)
		{
			/* still in memory: no need to decompress */
			scan->mem.consumed[idx] = true;
			if (!scan_xid_visible(scan, scan->mem.fxids[idx], scan->mem.committed[idx]))
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
	while (scan->phase == SCAN_MEMTABLE)
	{
		int			i = scan->mem_idx++;

		if (i >= scan->mem.nbatches)
		{
			scan->phase = SCAN_OWN_ROWS;
			break;
		}
		if (scan->mem.consumed[i] ||
			!scan_xid_visible(scan, scan->mem.fxids[i], scan->mem.committed[i]))
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

static bool
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

/* Parallel scans: one participant reads; see spillpool_scan_start. */
static Size
spillpool_parallelscan_estimate(Relation rel)
{
	return sizeof(ParallelTableScanDescData);
}

static Size
spillpool_parallelscan_initialize(Relation rel, ParallelTableScanDesc pscan)
{
	pscan->phs_relid = RelationGetRelid(rel);
	pscan->phs_syncscan = false;
	pscan->phs_snapshot_any = false;
	return sizeof(ParallelTableScanDescData);
}

static void
spillpool_parallelscan_reinitialize(Relation rel, ParallelTableScanDesc pscan)
{
}

static IndexFetchTableData *
spillpool_index_fetch_begin(Relation rel)
{
	spillpool_append_only_error("an index");
	return NULL;
}

static void
spillpool_index_fetch_reset(IndexFetchTableData *scan)
{
}

static void
spillpool_index_fetch_end(IndexFetchTableData *scan)
{
}

static bool
spillpool_index_fetch_tuple(IndexFetchTableData *scan, ItemPointer tid,
							Snapshot snapshot, TupleTableSlot *slot,
							bool *call_again, bool *all_dead)
{
	spillpool_append_only_error("an index");
	return false;
}

static bool
spillpool_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot,
							TupleTableSlot *slot)
{
	spillpool_append_only_error("fetching a row by its ctid");
	return false;
}

static void
spillpool_get_latest_tid(TableScanDesc sscan, ItemPointer tid)
{
	spillpool_append_only_error("fetching a row by its ctid");
}

static bool
spillpool_tuple_tid_valid(TableScanDesc scan, ItemPointer tid)
{
	return false;
}

static bool
spillpool_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot, Snapshot snapshot)
{
	return true;
}

static TransactionId
spillpool_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate)
{
	spillpool_append_only_error("an index");
	return InvalidTransactionId;
}

static void
spillpool_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid,
					   int options, BulkInsertState bistate)
{
	PendingTable *pt = pending_for_rel(rel, true);

	CheckForSerializableConflictIn(rel, NULL, InvalidBlockNumber);
	pending_append_slot(pt, rel, slot, cid);
	pgstat_count_heap_insert(rel, 1);
}

static void
spillpool_tuple_insert_speculative(Relation rel, TupleTableSlot *slot, CommandId cid,
								   int options, BulkInsertState bistate, uint32 specToken)
{
	spillpool_append_only_error("INSERT ... ON CONFLICT");
}

static void
spillpool_tuple_complete_speculative(Relation rel, TupleTableSlot *slot,
									 uint32 specToken, bool succeeded)
{
	spillpool_append_only_error("INSERT ... ON CONFLICT");
}

/* COPY FROM comes here in batches. */
static void
spillpool_multi_insert(Relation rel, TupleTableSlot **slots, int ntuples,
					   CommandId cid, int options, BulkInsertState bistate)
{
	PendingTable *pt = pending_for_rel(rel, true);
	int			i;

	CheckForSerializableConflictIn(rel, NULL, InvalidBlockNumber);
	for (i = 0; i < ntuples; i++)
		pending_append_slot(pt, rel, slots[i], cid);
	pgstat_count_heap_insert(rel, ntuples);
}

static TM_Result
spillpool_tuple_delete(Relation rel, ItemPointer tid, CommandId cid,
					   Snapshot snapshot, Snapshot crosscheck, bool wait,
					   TM_FailureData *tmfd, bool changingPart)
{
	spillpool_append_only_error("DELETE");
	return TM_Ok;
}

static TM_Result
spillpool_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
					   CommandId cid, Snapshot snapshot, Snapshot crosscheck,
					   bool wait, TM_FailureData *tmfd, LockTupleMode *lockmode,
					   bool *update_indexes)
{
	spillpool_append_only_error("UPDATE");
	return TM_Ok;
}

static TM_Result
spillpool_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
					 TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
					 LockWaitPolicy wait_policy, uint8 flags, TM_FailureData *tmfd)
{
	spillpool_append_only_error("SELECT ... FOR UPDATE/SHARE");
	return TM_Ok;
}

static void
spillpool_finish_bulk_insert(Relation rel, int options)
{
}

/*
 * CREATE TABLE and TRUNCATE: a new relfilenode gets an empty relation file
 * (so that generic code and the orphan sweep find one) and its directory;
 * the old relfilenode's directory goes when the transaction commits.
 */
static void
spillpool_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode,
									char persistence, TransactionId *freezeXid,
									MultiXactId *minmulti)
{
	SMgrRelation srel;

	spillpool_require_preload();
	if (persistence == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("spillpool does not support temporary tables")));

	*freezeXid = InvalidTransactionId;
	*minmulti = InvalidMultiXactId;

	srel = RelationCreateStorage(*newrnode, persistence, true);
	if (persistence == RELPERSISTENCE_UNLOGGED)
	{
		smgrcreate(srel, INIT_FORKNUM, false);
		log_smgrcreate(newrnode, INIT_FORKNUM);
		smgrimmedsync(srel, INIT_FORKNUM);
	}
	smgrclose(srel);

	storage_create_table_dir(MyDatabaseId, newrnode->relNode);
	storage_schedule_unlink(MyDatabaseId, newrnode->relNode, false);
	if (rel->rd_node.relNode != newrnode->relNode && OidIsValid(rel->rd_node.relNode))
		storage_schedule_unlink(MyDatabaseId, rel->rd_node.relNode, true);
}

/*
 * TRUNCATE of a table created in the same transaction: empty it in place.
 * Nobody else can see the table yet.
 */
static void
spillpool_relation_nontransactional_truncate(Relation rel)
{
	Oid			rfn = rel->rd_node.relNode;

	pending_forget_rel(rel);
	storage_remove_table_dir(MyDatabaseId, rfn);
	storage_create_table_dir(MyDatabaseId, rfn);
}

static void
spillpool_relation_copy_data(Relation rel, const RelFileNode *newrnode)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("spillpool tables cannot be moved to another tablespace")));
}

static void
spillpool_relation_copy_for_cluster(Relation OldTable, Relation NewTable,
									Relation OldIndex, bool use_sort,
									TransactionId OldestXmin,
									TransactionId *xid_cutoff,
									MultiXactId *multi_cutoff,
									double *num_tuples, double *tups_vacuumed,
									double *tups_recently_dead)
{
	spillpool_append_only_error("VACUUM FULL or CLUSTER");
}

/* VACUUM: an append-only table has no dead rows; nothing to do. */
static void
spillpool_relation_vacuum(Relation rel, struct VacuumParams *params,
						  BufferAccessStrategy bstrategy)
{
}

/*
 * ANALYZE samples pseudo-blocks of ANALYZE_ROWS_PER_BLOCK rows, in scan
 * order; the block sampler asks for them in ascending order, so one forward
 * scan serves them all.
 */
static bool
spillpool_scan_analyze_next_block(TableScanDesc sscan, BlockNumber blockno,
								  BufferAccessStrategy bstrategy)
{
	SpillScanDesc scan = (SpillScanDesc) sscan;

	scan->analyze_block = blockno;
	return true;
}

static bool
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

static double
spillpool_index_build_range_scan(Relation table_rel, Relation index_rel,
								 struct IndexInfo *index_info, bool allow_sync,
								 bool anyvisible, bool progress,
								 BlockNumber start_blockno, BlockNumber numblocks,
								 IndexBuildCallback callback, void *callback_state,
								 TableScanDesc scan)
{
	spillpool_append_only_error("CREATE INDEX");
	return 0;
}

static void
spillpool_index_validate_scan(Relation table_rel, Relation index_rel,
							  struct IndexInfo *index_info, Snapshot snapshot,
							  struct ValidateIndexState *state)
{
	spillpool_append_only_error("CREATE INDEX");
}

/* Rows the table holds, from the shared counters (no scan). */
static double
spillpool_estimate_rows(Relation rel, double *bytes)
{
	SpillTable *tab = spilltable_for_rel(rel);
	double		rows;

	LWLockAcquire(&tab->lock, LW_SHARED);
	rows = (double) tab->seg_rows + (double) tab->shard_rows;
	*bytes = (double) tab->seg_raw_bytes + (double) tab->shard_bytes;
	if (tab->durability == SPILL_DURABILITY_NONE || rows == 0)
	{
		rows += (double) tab->mem_rows;
		*bytes += (double) tab->mem_bytes;
	}
	LWLockRelease(&tab->lock);
	return rows;
}

/* Pseudo size: enough blocks for ANALYZE to sample every row. */
static uint64
spillpool_relation_size(Relation rel, ForkNumber forkNumber)
{
	double		bytes;
	double		rows;

	if (forkNumber != MAIN_FORKNUM)
		return 0;
	rows = spillpool_estimate_rows(rel, &bytes);
	return (uint64) ((rows + ANALYZE_ROWS_PER_BLOCK - 1) / ANALYZE_ROWS_PER_BLOCK) * BLCKSZ;
}

static bool
spillpool_relation_needs_toast_table(Relation rel)
{
	return false;
}

/* Planner estimates from the shared counters. */
static void
spillpool_relation_estimate_size(Relation rel, int32 *attr_widths,
								 BlockNumber *pages, double *tuples,
								 double *allvisfrac)
{
	double		bytes;
	double		rows = spillpool_estimate_rows(rel, &bytes);

	*tuples = rows;
	*pages = (BlockNumber) Max(1, bytes / BLCKSZ);
	*allvisfrac = 0;
}

static bool
spillpool_scan_sample_next_block(TableScanDesc scan, struct SampleScanState *scanstate)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("spillpool tables do not support TABLESAMPLE")));
	return false;
}

static bool
spillpool_scan_sample_next_tuple(TableScanDesc scan, struct SampleScanState *scanstate,
								 TupleTableSlot *slot)
{
	return false;
}

static const TableAmRoutine spillpool_methods = {
	.type = T_TableAmRoutine,
	.slot_callbacks = spillpool_slot_callbacks,
	.scan_begin = spillpool_scan_begin,
	.scan_end = spillpool_scan_end,
	.scan_rescan = spillpool_scan_rescan,
	.scan_getnextslot = spillpool_scan_getnextslot,
	.parallelscan_estimate = spillpool_parallelscan_estimate,
	.parallelscan_initialize = spillpool_parallelscan_initialize,
	.parallelscan_reinitialize = spillpool_parallelscan_reinitialize,
	.index_fetch_begin = spillpool_index_fetch_begin,
	.index_fetch_reset = spillpool_index_fetch_reset,
	.index_fetch_end = spillpool_index_fetch_end,
	.index_fetch_tuple = spillpool_index_fetch_tuple,
	.tuple_fetch_row_version = spillpool_fetch_row_version,
	.tuple_tid_valid = spillpool_tuple_tid_valid,
	.tuple_get_latest_tid = spillpool_get_latest_tid,
	.tuple_satisfies_snapshot = spillpool_tuple_satisfies_snapshot,
	.index_delete_tuples = spillpool_index_delete_tuples,
	.tuple_insert = spillpool_tuple_insert,
	.tuple_insert_speculative = spillpool_tuple_insert_speculative,
	.tuple_complete_speculative = spillpool_tuple_complete_speculative,
	.multi_insert = spillpool_multi_insert,
	.tuple_delete = spillpool_tuple_delete,
	.tuple_update = spillpool_tuple_update,
	.tuple_lock = spillpool_tuple_lock,
	.finish_bulk_insert = spillpool_finish_bulk_insert,
	.relation_set_new_filenode = spillpool_relation_set_new_filenode,
	.relation_nontransactional_truncate = spillpool_relation_nontransactional_truncate,
	.relation_copy_data = spillpool_relation_copy_data,
	.relation_copy_for_cluster = spillpool_relation_copy_for_cluster,
	.relation_vacuum = spillpool_relation_vacuum,
	.scan_analyze_next_block = spillpool_scan_analyze_next_block,
	.scan_analyze_next_tuple = spillpool_scan_analyze_next_tuple,
	.index_build_range_scan = spillpool_index_build_range_scan,
	.index_validate_scan = spillpool_index_validate_scan,
	.relation_size = spillpool_relation_size,
	.relation_needs_toast_table = spillpool_relation_needs_toast_table,
	.relation_estimate_size = spillpool_relation_estimate_size,
	.scan_sample_next_block = spillpool_scan_sample_next_block,
	.scan_sample_next_tuple = spillpool_scan_sample_next_tuple,
};

/* The access method handler named by CREATE ACCESS METHOD. */
Datum
spillpool_tableam_handler(PG_FUNCTION_ARGS)
{
	spillpool_require_preload();
	PG_RETURN_POINTER(&spillpool_methods);
}

/* Refuses the modifications of one ModifyTable node on a spillpool table. */
static void
spillpool_check_modify(ModifyTable *mt, List *rtable)
{
	ListCell   *lc;

	foreach(lc, mt->resultRelations)
	{
		RangeTblEntry *rte = rt_fetch(lfirst_int(lc), rtable);

		if (rte->rtekind != RTE_RELATION || !relid_is_spillpool(rte->relid))
			continue;
		switch (mt->operation)
		{
			case CMD_UPDATE:
				spillpool_append_only_error("UPDATE");
				break;
			case CMD_DELETE:
				spillpool_append_only_error("DELETE");
				break;
			case CMD_MERGE:
				spillpool_append_only_error("MERGE");
				break;
			case CMD_INSERT:
				if (mt->onConflictAction != ONCONFLICT_NONE)
					spillpool_append_only_error("INSERT ... ON CONFLICT");
				break;
			default:
				break;
		}
	}
}

/* Walks a plan tree for ModifyTable nodes. */
static void
spillpool_check_plan(Plan *plan, List *rtable)
{
	if (plan == NULL)
		return;
	if (IsA(plan, ModifyTable))
		spillpool_check_modify((ModifyTable *) plan, rtable);
	spillpool_check_plan(plan->lefttree, rtable);
	spillpool_check_plan(plan->righttree, rtable);
	if (IsA(plan, Append))
	{
		ListCell   *lc;

		foreach(lc, ((Append *) plan)->appendplans)
			spillpool_check_plan(lfirst(lc), rtable);
	}
}

/*
 * Refuses UPDATE, DELETE, MERGE, ON CONFLICT and row locks on spillpool
 * tables before anything runs, so they fail even when no row matches.
 */
static void
spillpool_executor_start(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	ListCell   *lc;

	/* EXPLAIN without ANALYZE changes nothing */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		goto run;
	if (stmt->commandType != CMD_SELECT || stmt->hasModifyingCTE)
	{
		spillpool_check_plan(stmt->planTree, stmt->rtable);
		foreach(lc, stmt->subplans)
			spillpool_check_plan(lfirst(lc), stmt->rtable);
	}
	foreach(lc, stmt->rowMarks)
	{
		PlanRowMark *rm = lfirst(lc);
		RangeTblEntry *rte = rt_fetch(rm->rti, stmt->rtable);

		if (rm->markType != ROW_MARK_REFERENCE && rm->markType != ROW_MARK_COPY &&
			rte->rtekind == RTE_RELATION && relid_is_spillpool(rte->relid))
			spillpool_append_only_error("SELECT ... FOR UPDATE/SHARE");
	}

run:
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/*
 * No parallel plans over spillpool tables: the scan reads the leader's own
 * pending rows, which workers cannot see.
 */
static void
spillpool_get_relation_info(PlannerInfo *root, Oid relationObjectId,
							bool inhparent, RelOptInfo *rel)
{
	if (prev_get_relation_info)
		prev_get_relation_info(root, relationObjectId, inhparent, rel);
	if (relid_is_spillpool(relationObjectId))
		rel->rel_parallel_workers = 0;
}

/*
 * ... nor may a spillpool scan run inside a parallel plan at all (a Parallel
 * Append runs even non-partial child scans in workers): its paths are
 * marked parallel-unsafe.
 */
static void
spillpool_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
						   RangeTblEntry *rte)
{
	ListCell   *lc;

	if (prev_set_rel_pathlist)
		prev_set_rel_pathlist(root, rel, rti, rte);
	if (rte->rtekind != RTE_RELATION || !relid_is_spillpool(rte->relid))
		return;
	rel->consider_parallel = false;
	rel->partial_pathlist = NIL;
	foreach(lc, rel->pathlist)
		((Path *) lfirst(lc))->parallel_safe = false;
	customscan_add_path(root, rel, rte);
}

/* Installs the executor and planner hooks; called from _PG_init. */
void
tableam_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = spillpool_executor_start;
	prev_get_relation_info = get_relation_info_hook;
	get_relation_info_hook = spillpool_get_relation_info;
	prev_set_rel_pathlist = set_rel_pathlist_hook;
	set_rel_pathlist_hook = spillpool_set_rel_pathlist;
}
