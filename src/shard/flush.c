/*-------------------------------------------------------------------------
 *
 * flush.c
 *	  Flushing a table's committed rows into Parquet shards: one snapshot
 *	  per flush, committed by replacing the manifest; removal of the segment
 *	  files a flush emptied.  The SQL functions that call it are in
 *	  am/functions.c, the background worker in worker/bgworker.c.
 *
 * A flush takes the oldest rows of the table, in scan order (segment files,
 * then memtable batches that are in memory only), up to the first rows that
 * some running snapshot might not see yet: rows of a transaction that is
 * still running, or that committed after the oldest snapshot's xmin (the
 * same horizon VACUUM uses).  Rows of aborted transactions are dropped.  So
 * moving rows into a shard never changes what any snapshot sees: shards are
 * read first, and every row in them is visible to everyone.
 *
 * Steps, each a fault-injection point (spillpool.debug_crash_at):
 *	 1. write the shard files and fsync them and their directory
 *		(shards-written);
 *	 2. write manifest.tmp and fsync it (manifest-temp), then durable_rename
 *		it over the manifest: the commit point (manifest-renamed);
 *	 3. move the flushed position in shared memory, so scans skip the
 *		flushed blocks and memtable batches;
 *	 4. remove segment files that lie wholly before the flushed position, as
 *		soon as no scan that started before step 3 may still read them
 *		(segments-removed).
 * A crash before step 2's rename leaves the old snapshot (loading removes
 * the unlisted shard files); after it, the new one (loading skips, and
 * removes, what the manifest says was flushed).
 *
 * Only one flush of a table runs at a time (SpillTable.flushing).  A flush
 * is not part of the caller's transaction: it only moves rows that are
 * already visible to everyone, so there is nothing to roll back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "catalog/pg_class.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/wait_event.h"

#include "spillpool.h"
#include "shard/flush.h"
#include "shard/shard_write.h"
#include "tier/fault.h"
#include "tier/manifest.h"
#include "tier/memtable.h"
#include "tier/options.h"
#include "iceberg/iceberg.h"
#include "tier/rowrecord.h"
#include "tier/segment.h"
#include "tier/storage.h"
#include "tier/visibility.h"
#include "vector/shard_index.h"

/* After a failed flush a table is not due again for this long. */
#define FLUSH_RETRY_DELAY_MS (60 * 1000)

/* The table whose flushing flag this backend holds, for cleanup. */
static SpillTable *flush_held = NULL;
static bool flush_exit_registered = false;

/* What becomes of a block or batch when a flush reaches it. */
typedef enum BlockFate
{
	FATE_FLUSH,					/* visible to every snapshot: into the shard */
	FATE_DROP,					/* aborted: nobody will ever see it */
	FATE_WAIT					/* not yet visible to all: stop here */
} BlockFate;

/*
 * Rows and raw bytes not yet flushed: segment rows past the flushed
 * position plus batches that are in memory only.  Caller holds tab->lock.
 */
static void
flush_unflushed_locked(SpillTable *tab, int64 *rows, int64 *bytes)
{
	memtable_memory_only_locked(tab, rows, bytes);
	*rows += tab->seg_rows;
	*bytes += tab->seg_raw_bytes;
}

/*
 * Is a flush of this table due: flush_rows or flush_bytes reached, or
 * flush_interval passed since the first unflushed row, or a writer hit a
 * disk limit?  Reads shared memory only, so the launcher can ask.
 */
bool
flush_is_due(SpillTable *tab, TimestampTz now)
{
	int64		rows,
				bytes;
	bool		due;

	LWLockAcquire(&tab->lock, LW_SHARED);
	flush_unflushed_locked(tab, &rows, &bytes);
	due = rows > 0 && now >= tab->flush_retry_after &&
		(tab->flush_requested ||
		 (tab->flush_rows > 0 && rows >= tab->flush_rows) ||
		 (tab->flush_bytes > 0 && bytes >= tab->flush_bytes) ||
		 (tab->unflushed_since != 0 &&
		  (now - tab->unflushed_since) / 1000 >= tab->flush_interval_ms));
	LWLockRelease(&tab->lock);
	return due;
}

/*
 * The end of the WAL inserted so far, as XLogFlush takes it.  When the
 * insert position is at the start of a page, GetXLogInsertRecPtr points
 * past that page's header, into a page nobody has written yet, and
 * XLogFlush of it fails ("xlog flush request ... is not satisfied"); the
 * WAL before it ends at the page boundary.
 */
static XLogRecPtr
flush_wal_insert_end(void)
{
	XLogRecPtr	ptr = GetXLogInsertRecPtr();

	if (XLogSegmentOffset(ptr, wal_segment_size) == SizeOfXLogLongPHD)
		return ptr - SizeOfXLogLongPHD;
	if (ptr % XLOG_BLCKSZ == SizeOfXLogShortPHD)
		return ptr - SizeOfXLogShortPHD;
	return ptr;
}

/*
 * What a flush does with a block or batch of transaction fxid: committed
 * and before_load as for spill_rows_status.  horizon is the oldest xmin any
 * snapshot of this database may have: rows committed after it may still be
 * invisible to some snapshot, so they wait.
 */
static BlockFate
flush_block_fate(FullTransactionId fxid, bool committed, bool before_load,
				 TransactionId horizon)
{
	switch (spill_rows_status(fxid, committed, before_load))
	{
		case SPILL_ROWS_SETTLED:
			return FATE_FLUSH;
		case SPILL_ROWS_COMMITTED:
			return TransactionIdPrecedes(XidFromFullTransactionId(fxid), horizon) ?
				FATE_FLUSH : FATE_WAIT;
		case SPILL_ROWS_IN_PROGRESS:
			return FATE_WAIT;
		case SPILL_ROWS_ABORTED:
			break;
	}
	return FATE_DROP;
}

/*
 * Adds the row records of one batch, whose first row is at position
 * first_pos, to the shard, and their vectors to the index build if the
 * table has an embedding column.
 */
static int64
flush_add_rows(ShardWriter *sw, ShardIndexBuild *index, const char *pos, const char *end,
			   uint64 first_pos)
{
	int64		n = 0;

	while (pos < end)
	{
		SpillRowHeader *h = (SpillRowHeader *) pos;

		shard_writer_add(sw, ROW_RECORD_TUPLE(h), first_pos + n);
		if (index != NULL)
			shard_index_add_tuple(index, ROW_RECORD_TUPLE(h));
		pos += ROW_RECORD_SIZE(h->len);
		n++;
	}
	return n;
}

/* Clears this backend's flushing flag; on errors and at exit too. */
void
flush_release(void)
{
	SpillTable *tab = flush_held;

	if (tab == NULL)
		return;
	flush_held = NULL;
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->flush_running = false;
	LWLockRelease(&tab->lock);
	ConditionVariableBroadcast(&tab->batch_cv);
}

static void
flush_exit_callback(int code, Datum arg)
{
	flush_release();
}

/*
 * Text forms in shards must read back the same whatever the session's
 * settings: flushes format with fixed ones.
 */
int
flush_fix_output_settings(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("datestyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "1", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("bytea_output", "hex", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("lc_monetary", "C", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

/* Everything one flush works with; on the heap, so PG_TRY leaves it intact. */
typedef struct FlushState
{
	Relation	rel;
	SpillTable *tab;
	const SpillOptions *opts;
	TransactionId horizon;
	uint32		start_seg,
				end_seg,
				load_seg,
				new_seg;
	int64		start_off,
				end_off,
				load_off,
				new_off;
	uint64		snapshot;		/* the id this flush commits */
	MemBatch  **batches;		/* memory-only batches taken (flush_taken) */
	int			nbatches;
	uint64	   *seqs;			/* seqs of flushed segment blocks */
	int			nseqs;
	int			seqs_cap;
	ShardWriter *sw;			/* NULL until the first row */
	ShardIndexBuild *index;		/* vectors of the rows, if the table has an
								 * embedding column */
	int64		rows;
	int64		seg_rows;		/* segment rows and raw bytes left behind */
	int64		seg_raw;
	bool		stopped;		/* reached rows not yet visible to all */
	uint64		legacy_pos;		/* position of the next version 1 block's
								 * first row (see segment_load) */
	uint64		legacy_left;	/* where the flush stopped, if in version 1
								 * blocks; else 0 */
	SegmentReader rd;			/* the segment file being read */
	bool		rd_open;		/* closed on errors too */
} FlushState;

/*
 * Adds one batch's rows, the first at position first_pos, to the shard,
 * opening it at the first row.
 */
static void
flush_take_rows(FlushState *fs, const char *pos, const char *end, uint64 first_pos)
{
	if (first_pos == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("rows without positions in spillpool table \"%s\"",
						RelationGetRelationName(fs->rel))));
	if (fs->sw == NULL)
	{
		/* the manifest exists before any shard file does */
		manifest_ensure(fs->tab->key.dbid, fs->tab->key.relfilenode);
		fs->sw = shard_writer_begin(fs->rel, fs->tab->key.dbid, fs->tab->key.relfilenode,
									fs->snapshot, fs->opts->shard_codec,
									fs->opts->compression_level);
		fs->index = shard_index_begin(fs->rel, fs->opts);
	}
	fs->rows += flush_add_rows(fs->sw, fs->index, pos, end, first_pos);
}

/*
 * Step 0: what there is.  Fixes the segment range (up to the active
 * segment's current end) and flags the memory-only batches at the head of
 * the memtable, which come after every segment block in scan order.
 */
static void
flush_capture(FlushState *fs)
{
	SpillTable *tab = fs->tab;
	int			cap;

	/* allocate first: nothing that can fail while the lock is held */
	LWLockAcquire(&tab->lock, LW_SHARED);
	cap = (int) tab->mem_batches + 64;
	LWLockRelease(&tab->lock);
	fs->batches = palloc(sizeof(MemBatch *) * cap);

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	spilltable_unflushed_range(tab, &fs->start_seg, &fs->start_off,
							   &fs->end_seg, &fs->end_off);
	fs->load_seg = tab->load_seg;
	fs->load_off = tab->load_off;
	fs->snapshot = tab->snapshot_id + 1;
	fs->legacy_pos = tab->legacy_next;
	fs->nbatches = memtable_take_for_flush_locked(tab, fs->batches, cap);
	LWLockRelease(&tab->lock);
}

/* Step 1a: the segment blocks, oldest first, up to the first that waits. */
static void
flush_read_segments(FlushState *fs)
{
	SpillTable *tab = fs->tab;
	uint32		seg;

	for (seg = fs->start_seg; seg <= fs->end_seg && !fs->stopped; seg++)
	{
		char		path[MAXPGPATH];
		SegmentReader *rdp = &fs->rd;
		SegmentBlockHeader hdr;

		if (seg == fs->end_seg && fs->end_off == 0)
			break;
		segment_file_path(path, tab->key.dbid, tab->key.relfilenode, seg);
		if (!segment_reader_open(rdp, path, seg == fs->end_seg ? fs->end_off : -1, true))
			continue;
		fs->rd_open = true;
		rdp->legacy_pos = fs->legacy_pos;
		if (seg == fs->start_seg)
			rdp->off = fs->start_off;
		while (segment_reader_next(rdp, &hdr, false))
		{
			bool		committed = (hdr.flags & SEGMENT_BLOCK_COMMITTED) != 0;
			bool		before_load = seg < fs->load_seg ||
				(seg == fs->load_seg && rdp->block_off < fs->load_off);
			BlockFate	fate = flush_block_fate(FullTransactionIdFromU64(hdr.fxid),
												committed, before_load, fs->horizon);

			if (fate == FATE_WAIT)
			{
				fs->stopped = true;
				fs->new_seg = seg;
				fs->new_off = rdp->block_off;
				if (hdr.version < 2)
					fs->legacy_left = hdr.seq;
				break;
			}
			if (fate == FATE_FLUSH)
			{
				segment_reader_payload(rdp, &hdr);
				flush_take_rows(fs, rdp->raw, rdp->raw + rdp->raw_len, hdr.seq);
			}
			fs->seg_rows += hdr.nrows;
			fs->seg_raw += hdr.raw_len;
			if (hdr.seq != 0)
			{
				if (fs->nseqs == fs->seqs_cap)
				{
					fs->seqs_cap *= 2;
					fs->seqs = repalloc(fs->seqs, sizeof(uint64) * fs->seqs_cap);
				}
				fs->seqs[fs->nseqs++] = hdr.seq;
			}
		}
		fs->legacy_pos = rdp->legacy_pos;
		segment_reader_close(rdp);
		fs->rd_open = false;
	}
	if (!fs->stopped)
	{
		fs->new_seg = fs->end_seg;
		fs->new_off = fs->end_off;
	}
}

/* Step 1b: the memory-only batches, if every segment block was taken. */
static void
flush_read_batches(FlushState *fs)
{
	int			i;

	for (i = 0; i < fs->nbatches; i++)
	{
		MemBatch   *b = fs->batches[i];
		BlockFate	fate = FATE_WAIT;

		if (!fs->stopped)
			fate = flush_block_fate(b->fxid, b->committed, false, fs->horizon);
		if (fate == FATE_WAIT)
		{
			/* this one and the rest stay */
			memtable_return_from_flush(fs->tab, fs->batches + i, fs->nbatches - i);
			fs->nbatches = i;
			fs->stopped = true;
			break;
		}
		/* the batch is not freed while flagged flush_taken */
		if (fate == FATE_FLUSH)
			flush_take_rows(fs, MEMBATCH_DATA(b), MEMBATCH_DATA(b) + b->data_len, b->seq);
	}
}

/*
 * Step 3: shared memory follows the manifest.  Scans that start from now
 * on skip the flushed blocks and batches and read the new shards.
 */
static void
flush_publish(FlushState *fs, ManifestShard *shards, int nshards, TimestampTz now)
{
	SpillTable *tab = fs->tab;
	int64		left_rows,
				left_bytes;
	int			i;

	qsort(fs->seqs, fs->nseqs, sizeof(uint64), memtable_seq_cmp);
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	if (fs->rows > 0)
	{
		tab->snapshot_id = fs->snapshot;
		tab->flushes++;
		tab->shards += nshards;
		for (i = 0; i < nshards; i++)
		{
			tab->shard_rows += shards[i].rows;
			tab->shard_bytes += shards[i].bytes;
		}
		tab->last_flush = now;
	}
	tab->flush_seg = fs->new_seg;
	tab->flush_off = fs->new_off;
	tab->legacy_next = fs->legacy_left;
	segment_forget_flushed_locked(tab, fs->seg_rows, fs->seg_raw);
	memtable_mark_flushed_locked(tab, fs->batches, fs->nbatches, fs->seqs, fs->nseqs);
	/* scans running now may still read the files this flush emptied */
	spilltable_retire_segment_pins_locked(tab);
	tab->delete_below = fs->new_seg;
	tab->flush_requested = false;
	flush_unflushed_locked(tab, &left_rows, &left_bytes);
	tab->unflushed_since = left_rows > 0 ? now : 0;
	LWLockRelease(&tab->lock);
	fs->nbatches = 0;
}

/* Step 2: shards durable, then the manifest that lists them. */
static void
flush_commit(FlushState *fs)
{
	Manifest	m;
	ManifestShard *shards = NULL;
	int			nshards = 0;
	TimestampTz now = GetCurrentTimestamp();

	if (fs->sw != NULL)
		nshards = shard_writer_finish(fs->sw, &shards);
	spillpool_fault_point("shards-written");
	/* each shard's index, durable before the manifest that lists it */
	if (fs->index != NULL && nshards > 0)
		shard_index_write(fs->index, fs->tab->key.dbid, fs->tab->key.relfilenode,
						  shards, nshards);
	shard_index_end(fs->index);
	fs->index = NULL;

	/* a wholly flushed active segment is finished, so that it can go */
	if (!fs->stopped && segment_finish_if_at(fs->tab, fs->new_seg, fs->new_off))
	{
		fs->new_seg++;
		fs->new_off = 0;
	}

	/*
	 * A transaction whose rows are decided by the commit log may have
	 * committed asynchronously: its commit record can still be in memory
	 * only.  Make every commit record written so far durable before its
	 * rows become durable in a shard, or a crash could keep that half of
	 * a transaction whose heap half is lost.
	 */
	XLogFlush(flush_wal_insert_end());

	(void) manifest_read(fs->tab->key.dbid, fs->tab->key.relfilenode, &m);
	m.flush_seg = fs->new_seg;
	m.flush_off = fs->new_off;
	m.legacy_next = fs->legacy_left;
	if (fs->rows > 0)
	{
		ManifestSnapshot *s;

		m.snapshots = m.nsnapshots > 0 ?
			repalloc(m.snapshots, sizeof(ManifestSnapshot) * (m.nsnapshots + 1)) :
			palloc(sizeof(ManifestSnapshot));
		s = &m.snapshots[m.nsnapshots++];
		memset(s, 0, sizeof(*s));
		s->op = MANIFEST_APPEND;
		s->id = fs->snapshot;
		s->commit_time = now;
		s->rows = fs->rows;
		s->nshards = nshards;
		m.shards = m.nshards > 0 ?
			repalloc(m.shards, sizeof(ManifestShard) * (m.nshards + nshards)) :
			palloc(sizeof(ManifestShard) * Max(nshards, 1));
		memcpy(m.shards + m.nshards, shards, sizeof(ManifestShard) * nshards);
		m.nshards += nshards;
	}
	if (fs->rows > 0)
		iceberg_before_commit(fs->rel, fs->tab, &m, true);
	manifest_write(fs->tab->key.dbid, fs->tab->key.relfilenode, &m);
	fs->sw = NULL;				/* the files are committed */
	spillpool_fault_point("manifest-renamed");

	flush_publish(fs, shards, nshards, now);
	if (fs->rows > 0)
		iceberg_after_commit(fs->rel, fs->tab, &m);
}

/* The steps of a flush, run under PG_TRY by flush_table_claimed. */
static void
flush_run(FlushState *fs)
{
	flush_read_segments(fs);
	flush_read_batches(fs);
	if (fs->rows == 0 && fs->nbatches == 0 &&
		fs->new_seg == fs->start_seg && fs->new_off == fs->start_off)
	{
		/* nothing to flush */
		return;
	}
	flush_commit(fs);
	segment_remove_flushed(fs->tab);
}

/*
 * The body of a flush; the caller holds the table's flushing flag.
 * Returns the snapshot id after the flush.
 */
static int64
flush_table_claimed(Relation rel, SpillTable *tab, const SpillOptions *opts)
{
	FlushState *fs = palloc0(sizeof(FlushState));
	uint64		snapshot;

	fs->rel = rel;
	fs->tab = tab;
	fs->opts = opts;
	fs->horizon = GetOldestNonRemovableTransactionId(rel);
	fs->seqs_cap = 64;
	fs->seqs = palloc(sizeof(uint64) * fs->seqs_cap);
	flush_capture(fs);
	PG_TRY();
	{
		flush_run(fs);
	}
	PG_CATCH();
	{
		if (fs->rd_open)
			segment_reader_close(&fs->rd);
		if (fs->sw != NULL)
		{
			shard_writer_abort(fs->sw);
			shard_index_remove_files(tab->key.dbid, tab->key.relfilenode, fs->snapshot);
		}
		memtable_return_from_flush(tab, fs->batches, fs->nbatches);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (fs->sw != NULL)
	{
		shard_writer_abort(fs->sw);
		shard_index_remove_files(tab->key.dbid, tab->key.relfilenode, fs->snapshot);
	}
	memtable_return_from_flush(tab, fs->batches, fs->nbatches);

	LWLockAcquire(&tab->lock, LW_SHARED);
	snapshot = tab->snapshot_id;
	LWLockRelease(&tab->lock);
	return (int64) snapshot;
}

/*
 * Shards record the table's columns, and neither a flush nor a compaction
 * is undone when the transaction that runs it rolls back: refuses to write
 * shards with columns that this transaction changed (added, dropped,
 * renamed, retyped) and may still take back.  A table the transaction
 * created goes whole on a rollback, files and all.
 */
void
flush_check_columns_committed(Relation rel)
{
	int			i;

	if (rel->rd_createSubid != InvalidSubTransactionId)
		return;
	for (i = 1; i <= RelationGetNumberOfAttributes(rel); i++)
	{
		HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(RelationGetRelid(rel)),
										  Int16GetDatum(i));
		bool		changed;

		if (!HeapTupleIsValid(tup))
			continue;
		changed = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data));
		ReleaseSysCache(tup);
		if (changed)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot write shards of spillpool table \"%s\" in the transaction that changed its columns",
							RelationGetRelationName(rel)),
					 errdetail("Shards are not removed if the transaction rolls back, and would keep columns it takes back."),
					 errhint("Commit the change first, then flush or compact.")));
	}
}

/*
 * Takes the table's flushing flag, which flushes and compactions (both
 * write the manifest) hold while they run, waiting for the holder if wait;
 * false if another holds it and not wait.  flush_release gives it back, on
 * errors and at exit too.
 */
bool
flush_claim(SpillTable *tab, bool wait)
{
	if (!flush_exit_registered)
	{
		before_shmem_exit(flush_exit_callback, (Datum) 0);
		flush_exit_registered = true;
	}
	for (;;)
	{
		bool		mine = false;

		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		if (!tab->flush_running)
		{
			tab->flush_running = true;
			mine = true;
		}
		LWLockRelease(&tab->lock);
		if (mine)
			break;
		if (!wait)
		{
			ConditionVariableCancelSleep();
			return false;
		}
		ConditionVariableSleep(&tab->batch_cv, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	flush_held = tab;
	return true;
}

/*
 * Flushes a table (only_if_due: only when a threshold is reached) and
 * returns the snapshot id after it; *done says whether a flush ran.  The
 * caller holds a lock on the relation.  Waits for a running flush of the
 * same table, unless only_if_due (then it leaves the work to that one).
 */
int64
flush_table(Relation rel, bool only_if_due, bool *done)
{
	SpillTable *tab = spilltable_for_rel(rel);
	SpillOptions opts;
	volatile int64 result = -1;
	int			guc_level;

	*done = false;
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot flush spillpool tables during recovery")));
	options_get(rel, &opts);
	spilltable_refresh_options(tab, rel, &opts);
	if (only_if_due && !flush_is_due(tab, GetCurrentTimestamp()))
		return -1;
	flush_check_columns_committed(rel);

	if (!flush_claim(tab, !only_if_due))
		return -1;

	guc_level = flush_fix_output_settings();
	PG_TRY();
	{
		result = flush_table_claimed(rel, tab, &opts);
	}
	PG_CATCH();
	{
		/* the background worker tries again in a minute, not every round */
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		tab->flush_retry_after = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															 FLUSH_RETRY_DELAY_MS);
		LWLockRelease(&tab->lock);
		flush_release();
		PG_RE_THROW();
	}
	PG_END_TRY();
	AtEOXact_GUC(true, guc_level);
	flush_release();
	*done = true;
	return result;
}
