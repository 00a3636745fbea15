/*-------------------------------------------------------------------------
 *
 * pending.c
 *	  The current transaction's rows: collecting them, spilling them to a
 *	  private file, savepoints, and handing them over at commit.
 *
 * Rows inserted by a transaction stay in backend memory until it commits.
 * When a table's buffer passes its limit the rows are compressed into blocks
 * of a private file in the table's seg/ directory (tmp-<pid>-<n>.seg), so a
 * COPY of any size holds little memory.  Savepoints record how far the buffer
 * and the file reached; rolling one back cuts both back to that point.
 *
 * At PRE_COMMIT (pending_pre_commit) a small transaction's rows become one
 * memtable batch, tagged with its xid, and with durability 'commit' the disk
 * space of its block is reserved, so that the write after the commit record
 * (pending_commit, through the grouped segment_commit_write) cannot fail for
 * want of quota.  A large
 * transaction's private file is renamed into the segment sequence instead;
 * its blocks are decided by the commit log, so its commit record is flushed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "access/detoast.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "replication/message.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "spillpool.h"
#include "tier/pending.h"
#include "vector/distance.h"
#include "tier/compress.h"
#include "tier/fault.h"
#include "tier/memtable.h"
#include "tier/options.h"
#include "tier/position.h"
#include "tier/rowrecord.h"
#include "tier/segment.h"
#include "tier/storage.h"

/* Where a savepoint found a table's pending rows. */
typedef struct PendingMark
{
	SubTransactionId subid;
	int64		buf_used;
	int64		buf_rows;
	int64		file_size;
	int64		file_rows;
	int64		file_raw;
} PendingMark;

/* One private file; a transaction rotates them at max_file_size. */
typedef struct PrivateFile
{
	char		path[MAXPGPATH];
	int64		size;
	int64		rows;
	int64		raw;
} PrivateFile;

struct PendingTable
{
	Oid			relid;
	Oid			relfilenode;
	SpillOptions opts;
	SpillTable *tab;
	FullTransactionId fxid;
	AttrNumber	embedding_attnum;	/* the embedding column, 0 if none */

	char	   *buf;			/* row records, newest rows */
	int64		buf_used;
	int64		buf_cap;
	int64		buf_rows;
	int64		buf_limit;		/* flush to the private file past this */

	PrivateFile *files;			/* private files, older rows */
	int			nfiles;
	int			files_cap;
	File		file;			/* the last file, while open for writing */
	bool		has_file;		/* some private file exists */
	int64		file_size;		/* totals over all private files */
	int64		file_rows;
	int64		file_raw;
	int64		file_reserved;	/* quota reserved for the files */

	PendingMark *marks;
	int			nmarks;
	int			marks_cap;

	/* row counts savepoint rollbacks cut back to, for open readers */
	int64	   *cuts;
	int			ncuts;
	int			cuts_cap;

	/* set at PRE_COMMIT for the write after commit */
	MemBatch   *batch;
	int64		commit_reserved;	/* quota for the block written at COMMIT */
	int64		room_promised;	/* its room in the active segment file */
};

static List *pending_tables = NIL;
static MemoryContext pending_cxt = NULL;
static MemoryContext row_cxt = NULL;

static void pending_remove_files(PendingTable *pt, int from);
static void pending_log_xid(void);

/* True if this transaction inserted into any spillpool table. */
bool
pending_any(void)
{
	return pending_tables != NIL;
}

/*
 * The pending state of a relation in this transaction, created on the first
 * insert.  Creating it assigns the transaction id: stored rows carry it.
 */
PendingTable *
pending_for_rel(Relation rel, bool create)
{
	ListCell   *lc;
	PendingTable *pt;
	MemoryContext old;

	foreach(lc, pending_tables)
	{
		pt = lfirst(lc);
		if (pt->relid == RelationGetRelid(rel) && pt->relfilenode == rel->rd_node.relNode)
			return pt;
	}
	if (!create)
		return NULL;

	if (pending_cxt == NULL)
		pending_cxt = AllocSetContextCreate(TopTransactionContext,
											"spillpool pending rows",
											ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(pending_cxt);
	pt = palloc0(sizeof(PendingTable));
	pt->relid = RelationGetRelid(rel);
	pt->relfilenode = rel->rd_node.relNode;
	options_get(rel, &pt->opts);
	/* alter_table checked the column; a renamed or dropped one is not checked */
	if (pt->opts.embedding_column[0] != '\0' && pt->opts.embedding_dimension > 0)
	{
		AttrNumber	a = get_attnum(pt->relid, pt->opts.embedding_column);

		if (a > 0 && a <= RelationGetDescr(rel)->natts &&
			getBaseType(TupleDescAttr(RelationGetDescr(rel), a - 1)->atttypid) == FLOAT4ARRAYOID)
			pt->embedding_attnum = a;
	}
	pt->tab = spilltable_for_rel(rel);
	spilltable_refresh_options(pt->tab, rel, &pt->opts);
	pt->fxid = GetTopFullTransactionId();
	pt->buf_limit = Min(pt->opts.memory_limit, PENDING_BUFFER_MAX);
	pt->buf_cap = 8192;			/* grows by doubling; most commits are small */
	pt->buf = MemoryContextAllocHuge(pending_cxt, pt->buf_cap);
	pt->file = -1;
	pending_tables = lappend(pending_tables, pt);
	MemoryContextSwitchTo(old);
	return pt;
}

/*
 * Appends a run of buffered row records to the private file as one block,
 * creating the file on first use.  Quota is checked for every block.
 */
static void
pending_write_file_block(PendingTable *pt, const char *data, int64 len, int64 nrows)
{
	SegmentBlock blk;
	PrivateFile *cur;
	int			rc;

	if (len == 0)
		return;
	segment_build_block(&blk, pt->opts.spill_codec, pt->opts.compression_level,
						data, (uint32) len, (uint32) nrows, pt->fxid, 0, 0);
	cur = pt->nfiles > 0 ? &pt->files[pt->nfiles - 1] : NULL;
	if (pt->file >= 0 && cur->size > 0 && cur->size + (int64) blk.len > pt->opts.max_file_size)
	{
		/* rotate, as segments do: the file becomes one segment at commit */
		FileClose(pt->file);
		pt->file = -1;
	}
	if (pt->file < 0)
	{
		if (pt->nfiles == pt->files_cap)
		{
			pt->files_cap = Max(4, pt->files_cap * 2);
			pt->files = pt->files ?
				repalloc(pt->files, sizeof(PrivateFile) * pt->files_cap) :
				MemoryContextAlloc(pending_cxt, sizeof(PrivateFile) * pt->files_cap);
		}
		cur = &pt->files[pt->nfiles];
		memset(cur, 0, sizeof(PrivateFile));
		segment_private_path(cur->path, MyDatabaseId, pt->relfilenode);
		pt->file = PathNameOpenFile(cur->path, O_RDWR | O_CREAT | O_EXCL | PG_BINARY);
		if (pt->file < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not create spillpool file \"%s\": %m", cur->path)));
		pt->nfiles++;
		pt->has_file = true;
	}
	segment_reserve_quota(pt->tab, (int64) blk.len);
	pt->file_reserved += blk.len;
	rc = FileWrite(pt->file, blk.buf, blk.len, cur->size, WAIT_EVENT_DATA_FILE_WRITE);
	if (rc != (int) blk.len)
	{
		int			save_errno = (rc < 0) ? errno : ENOSPC;

		(void) FileTruncate(pt->file, cur->size, WAIT_EVENT_DATA_FILE_TRUNCATE);
		errno = save_errno;
		ereport(ERROR,
				(save_errno == ENOSPC ? errcode(ERRCODE_DISK_FULL) : errcode_for_file_access(),
				 errmsg("could not write spillpool file \"%s\": %m", cur->path)));
	}
	cur->size += blk.len;
	cur->rows += nrows;
	cur->raw += len;
	pt->file_size += blk.len;
	pt->file_rows += nrows;
	pt->file_raw += len;
	pfree(blk.buf);
}

/*
 * Moves the in-memory rows to the private file in blocks of about
 * SEGMENT_BLOCK_RAW_TARGET bytes.  Block boundaries are placed at every
 * savepoint mark that points into the buffer, and those marks are moved to
 * the file, so rolling back a savepoint can still cut exactly.
 */
static void
pending_spill_buffer(PendingTable *pt)
{
	int64		pos = 0;
	int			m = 0;

	while (m < pt->nmarks && pt->marks[m].file_size < pt->file_size)
		m++;
	while (pos < pt->buf_used)
	{
		int64		end = pos;
		int64		rows = 0;
		int64		stop = pt->buf_used;

		/* the next mark into the buffer bounds this block */
		while (m < pt->nmarks && pt->marks[m].buf_used <= pos)
		{
			pt->marks[m].file_size = pt->file_size;
			pt->marks[m].file_rows = pt->file_rows;
			pt->marks[m].file_raw = pt->file_raw;
			pt->marks[m].buf_used = 0;
			pt->marks[m].buf_rows = 0;
			m++;
		}
		if (m < pt->nmarks)
			stop = pt->marks[m].buf_used;

		while (end < stop && end - pos < SEGMENT_BLOCK_RAW_TARGET)
		{
			SpillRowHeader *h = (SpillRowHeader *) (pt->buf + end);

			end += ROW_RECORD_SIZE(h->len);
			rows++;
		}
		pending_write_file_block(pt, pt->buf + pos, end - pos, rows);
		pos = end;
	}
	for (; m < pt->nmarks; m++)
	{
		pt->marks[m].file_size = pt->file_size;
		pt->marks[m].file_rows = pt->file_rows;
		pt->marks[m].file_raw = pt->file_raw;
		pt->marks[m].buf_used = 0;
		pt->marks[m].buf_rows = 0;
	}
	pt->buf_used = 0;
	pt->buf_rows = 0;

	/*
	 * From now on the transaction's rows go to the private file anyway:
	 * compress them in blocks while they are still in the CPU cache.
	 */
	pt->buf_limit = Min(pt->buf_limit, SEGMENT_BLOCK_RAW_TARGET);
}

/* Records where the current subtransaction starts, once per table. */
static void
pending_push_mark(PendingTable *pt)
{
	SubTransactionId subid = GetCurrentSubTransactionId();
	PendingMark *mk;

	if (subid == TopSubTransactionId)
		return;
	if (pt->nmarks > 0 && pt->marks[pt->nmarks - 1].subid == subid)
		return;
	if (pt->nmarks == pt->marks_cap)
	{
		pt->marks_cap = Max(8, pt->marks_cap * 2);
		if (pt->marks)
			pt->marks = repalloc(pt->marks, sizeof(PendingMark) * pt->marks_cap);
		else
			pt->marks = MemoryContextAlloc(pending_cxt, sizeof(PendingMark) * pt->marks_cap);
	}
	mk = &pt->marks[pt->nmarks++];
	mk->subid = subid;
	mk->buf_used = pt->buf_used;
	mk->buf_rows = pt->buf_rows;
	mk->file_size = pt->file_size;
	mk->file_rows = pt->file_rows;
	mk->file_raw = pt->file_raw;
}

/*
 * Makes room for a row record of a tuple of "len" bytes at the end of the
 * buffer (moving older rows to the private file when the buffer is full)
 * and returns where the tuple goes.
 */
static MinimalTuple
pending_reserve_row(PendingTable *pt, Size len, CommandId cid)
{
	int64		rec = ROW_RECORD_SIZE(len);
	SpillRowHeader *h;

	if (pt->buf_used + rec > pt->buf_limit && pt->buf_used > 0)
		pending_spill_buffer(pt);
	if (pt->buf_used + rec > pt->buf_cap)
	{
		int64		newcap = Max(pt->buf_cap * 2, pt->buf_used + rec);

		pt->buf = repalloc_huge(pt->buf, newcap);
		pt->buf_cap = newcap;
	}
	h = (SpillRowHeader *) (pt->buf + pt->buf_used);
	h->len = (uint32) len;
	h->cid = cid;
	pt->buf_used += rec;
	pt->buf_rows++;
	return ROW_RECORD_TUPLE(h);
}

/* A stand-in ctid for the inserted row: its number in the transaction. */
static void
pending_set_tid(PendingTable *pt, Relation rel, TupleTableSlot *slot)
{
	int64		n = pt->buf_rows + pt->file_rows;

	ItemPointerSet(&slot->tts_tid, (BlockNumber) (n / MaxOffsetNumber),
				   (OffsetNumber) (n % MaxOffsetNumber + 1));
	slot->tts_tableOid = RelationGetRelid(rel);
}

/*
 * True if a stored varlena must be turned into its plain form before it is
 * kept: an external TOAST pointer (it points into a table that may be gone
 * when the row is read) or a value compressed inline (pglz or lz4; heap
 * compresses values when it stores them, so INSERT ... SELECT from a heap
 * table hands them over compressed).  Expanded objects are flattened by
 * heap_fill_tuple, and short (1-byte) headers are plain data.
 */
static inline bool
pending_value_needs_detoast(Datum value)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);

	if (VARATT_IS_EXTERNAL(v))
		return !VARATT_IS_EXTERNAL_EXPANDED(v);
	return VARATT_IS_COMPRESSED(v);
}

/*
 * Stores one row of the slot as a row record, with every value in its plain
 * form: external TOAST values are fetched and compressed values are
 * decompressed, so the row needs no catalog access to be read back, and
 * whatever reads a stored row (scans, the shard writer) sees the values'
 * bytes themselves.  Segment blocks are compressed as a whole, so nothing is
 * lost by keeping the values uncompressed.  The MinimalTuple is formed
 * straight into the buffer.
 */
void
pending_append_slot(PendingTable *pt, Relation rel, TupleTableSlot *slot, CommandId cid)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			natts = desc->natts;
	Datum	   *values;
	bool	   *isnull;
	bool		hasnull = false;
	bool		detoasted = false;
	Size		hoff,
				data_len,
				len;
	MinimalTuple tup;
	int			i;

	pending_push_mark(pt);

	slot_getallattrs(slot);
	values = slot->tts_values;
	isnull = slot->tts_isnull;

	/* the embedding column holds vectors of the table's dimension */
	if (pt->embedding_attnum > 0 && !isnull[pt->embedding_attnum - 1])
		vector_check_dimension(DatumGetArrayTypeP(values[pt->embedding_attnum - 1]),
							   pt->opts.embedding_dimension, pt->opts.embedding_column);

	for (i = 0; i < natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (isnull[i])
		{
			hasnull = true;
			continue;
		}
		if (att->attlen == -1 && !att->attisdropped &&
			pending_value_needs_detoast(values[i]))
		{
			MemoryContext old;

			if (!detoasted)
			{
				if (row_cxt == NULL)
					row_cxt = AllocSetContextCreate(TopMemoryContext,
													"spillpool row",
													ALLOCSET_DEFAULT_SIZES);
				values = MemoryContextAlloc(row_cxt, sizeof(Datum) * natts);
				memcpy(values, slot->tts_values, sizeof(Datum) * natts);
				detoasted = true;
			}
			old = MemoryContextSwitchTo(row_cxt);
			values[i] = PointerGetDatum(detoast_attr((struct varlena *)
													 DatumGetPointer(values[i])));
			MemoryContextSwitchTo(old);
		}
	}

	/*
	 * COPY hands over slots whose minimal tuple is already formed: when all
	 * its values are plain it is stored as it is.  A minimal tuple from a
	 * Sort or Material node of INSERT ... SELECT can hold compressed values
	 * without HEAP_HASEXTERNAL, hence the check of every value above.
	 */
	if (!detoasted && TTS_IS_MINIMALTUPLE(slot) &&
		((MinimalTupleTableSlot *) slot)->mintuple != NULL &&
		!(((MinimalTupleTableSlot *) slot)->mintuple->t_infomask & HEAP_HASEXTERNAL))
	{
		MinimalTuple src = ((MinimalTupleTableSlot *) slot)->mintuple;

		tup = pending_reserve_row(pt, src->t_len, cid);
		memcpy(tup, src, src->t_len);
		pending_set_tid(pt, rel, slot);
		return;
	}

	len = SizeofMinimalTupleHeader;
	if (hasnull)
		len += BITMAPLEN(natts);
	hoff = len = MAXALIGN(len);
	data_len = heap_compute_data_size(desc, values, isnull);
	len += data_len;
	if (len > MaxAllocSize - 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("row is too big for a spillpool table: %zu bytes", len)));

	tup = pending_reserve_row(pt, len, cid);
	memset(tup, 0, len);
	tup->t_len = (uint32) len;
	HeapTupleHeaderSetNatts(tup, natts);
	tup->t_hoff = hoff + MINIMAL_TUPLE_OFFSET;
	heap_fill_tuple(desc, values, isnull, (char *) tup + hoff, data_len,
					&tup->t_infomask, hasnull ? tup->t_bits : NULL);
	if (detoasted)
		MemoryContextReset(row_cxt);
	pending_set_tid(pt, rel, slot);
}

/*
 * Makes the transaction id durable in WAL before a block that the commit log
 * decides (one written before the commit record) becomes durable.  Crash
 * recovery then always advances nextXid past it, so after a crash the xid
 * can never be handed to another transaction whose fate would decide these
 * rows.  A non-transactional logical message carries the xid in its record
 * header; logical decoding sees it under the prefix "spillpool".
 */
static void
pending_log_xid(void)
{
	XLogRecPtr	lsn = LogLogicalMessage("spillpool", "", 0, false);

	XLogFlush(lsn);
}

/*
 * Hands a large transaction's rows over as a segment: the rest of the buffer
 * goes to the private file, which is renamed into the sequence.  With
 * durability 'none' older memtable batches are written out first, so the
 * segments stay in commit order.  The blocks are decided by the commit log,
 * so the commit record must be durable when COMMIT returns.
 */
static void
pending_adopt_private_file(PendingTable *pt)
{
	SpillTable *tab = pt->tab;
	uint64		nrows = 0;
	uint64		pos;
	int			i;

	pending_spill_buffer(pt);
	memtable_spill_all(tab);
	pending_log_xid();
	if (pt->file >= 0)
		FileClose(pt->file);
	pt->file = -1;
	for (i = 0; i < pt->nfiles; i++)
		nrows += pt->files[i].rows;

	/*
	 * The rows take their positions now, but become readable only when
	 * their files join the segment sequence: until then adopt_pos tells
	 * readers of positions (tail) not to pass them.  Adoptions of a table
	 * are serialized by write_lock.
	 */
	for (;;)
	{
		bool		taken;

		position_reserve(tab, nrows);
		LWLockAcquire(&tab->write_lock, LW_EXCLUSIVE);
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		taken = position_take_locked(tab, nrows, &pos);
		if (taken)
			tab->adopt_pos = pos;
		LWLockRelease(&tab->lock);
		if (taken)
			break;
		LWLockRelease(&tab->write_lock);
	}
	PG_TRY();
	{
		for (i = 0; i < pt->nfiles; i++)
		{
			pos = segment_stamp_positions(pt->files[i].path, pt->files[i].size, pos);
			segment_adopt_file(tab, pt->files[i].path, pt->files[i].size,
							   pt->files[i].rows, pt->files[i].raw);
		}
	}
	PG_FINALLY();
	{
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		tab->adopt_pos = 0;
		LWLockRelease(&tab->lock);
	}
	PG_END_TRY();
	LWLockRelease(&tab->write_lock);
	pt->nfiles = 0;
	pt->has_file = false;
	segment_release_quota(tab, pt->file_reserved);
	pt->file_reserved = 0;
	if (synchronous_commit > SYNCHRONOUS_COMMIT_OFF)
		ForceSyncCommit();
}

/*
 * PRE_COMMIT: everything that can fail happens here.  Small transactions
 * become memtable batches; with durability 'commit' the worst-case size of
 * their block is reserved for pending_commit.  A transaction that also wrote WAL
 * (heap rows, say) writes its block now and syncs it, so that the commit
 * record, once durable, never refers to spillpool rows that are not.
 */
void
pending_pre_commit(void)
{
	ListCell   *lc;
	int			durable_tables = 0;

	/*
	 * Blocks flagged committed are visible by themselves after a crash, one
	 * table at a time.  A transaction writing several durable tables must
	 * not come back half, so its blocks are all decided by the commit log:
	 * making its xid durable in WAL first sends every table down the path
	 * of a transaction that wrote WAL.
	 */
	foreach(lc, pending_tables)
	{
		PendingTable *pt = lfirst(lc);

		if (pt->opts.durability == SPILL_DURABILITY_COMMIT &&
			(pt->buf_rows > 0 || pt->file_rows > 0))
			durable_tables++;
	}
	if (durable_tables > 1 && XactLastRecEnd == InvalidXLogRecPtr)
		pending_log_xid();

	foreach(lc, pending_tables)
	{
		PendingTable *pt = lfirst(lc);
		SpillTable *tab = pt->tab;
		uint64		seq = 0;
		bool		durable = (pt->opts.durability == SPILL_DURABILITY_COMMIT);

		if (pt->buf_rows == 0 && pt->file_rows == 0)
			continue;

		if (!pt->has_file)
			pt->batch = memtable_append(tab, pt->fxid, pt->buf, (uint32) pt->buf_used,
										(uint32) pt->buf_rows,
										durable && XactLastRecEnd == InvalidXLogRecPtr,
										&seq);
		if (pt->batch == NULL)
		{
			pending_adopt_private_file(pt);
			continue;
		}
		if (!durable)
			continue;

		if (XactLastRecEnd != InvalidXLogRecPtr)
		{
			/* mixed transaction: write and sync before the commit record */
			SegmentBlock blk;
			uint32		end_seg;
			int64		end_off;

			pending_log_xid();
			segment_build_block(&blk, tab->spill_codec, tab->compression_level,
								pt->buf, (uint32) pt->buf_used, (uint32) pt->buf_rows,
								pt->fxid, seq, 0);
			LWLockAcquire(&tab->write_lock, LW_EXCLUSIVE);
			segment_append_blocks(tab, &blk, 1, SEGMENT_APPEND_CHECK_QUOTA, &end_seg, &end_off);
			LWLockRelease(&tab->write_lock);
			pfree(blk.buf);
			memtable_mark_batch(tab, pt->batch, false, false, true, false);
			if (synchronous_commit > SYNCHRONOUS_COMMIT_OFF)
				segment_sync_to(tab, end_seg, end_off, false);
			continue;
		}

		/*
		 * The write after the commit record must not fail for want of quota,
		 * nor of space on disk when the committer writes it itself (a
		 * synchronous commit; others are written by the background worker,
		 * where a failure is an ERROR tried again).
		 */
		{
			int64		bound = sizeof(SegmentBlockHeader) +
				codec_compress_bound(tab->spill_codec, pt->buf_used);

			segment_reserve_quota(tab, bound);
			pt->commit_reserved = bound;	/* only once it is really reserved */
			if (synchronous_commit > SYNCHRONOUS_COMMIT_OFF)
			{
				segment_promise_room(tab, bound);
				pt->room_promised = bound;
			}
		}
	}
	if (pending_tables != NIL)
		spillpool_fault_wait_after_pre_commit();
}

/*
 * COMMIT: the commit record is written.  Marks each batch committed and,
 * unless synchronous_commit is off, waits until the grouped writer has
 * written and synced it, flagged committed: its presence proves the commit
 * even if the commit record, never flushed for a transaction without WAL,
 * is lost.  A failure here is a PANIC, as for WAL.
 */
void
pending_commit(void)
{
	ListCell   *lc;

	foreach(lc, pending_tables)
	{
		PendingTable *pt = lfirst(lc);
		SpillTable *tab = pt->tab;

		/* waiting readers of positions (tail) look again */
		ConditionVariableBroadcast(&tab->batch_cv);
		if (pt->batch == NULL)
			continue;
		if (pt->commit_reserved == 0)
		{
			/* durability 'none', or written before the commit record */
			memtable_mark_batch(tab, pt->batch, true, false, false, true);
			pt->batch = NULL;
			continue;
		}
		memtable_mark_batch(tab, pt->batch, true, false, false, false);
		if (synchronous_commit > SYNCHRONOUS_COMMIT_OFF)
			segment_commit_write(tab, pt->batch);
		if (pt->room_promised)
			segment_release_room(tab, pt->room_promised);
		pt->room_promised = 0;
		segment_release_quota(tab, pt->commit_reserved);
		pt->commit_reserved = 0;
		/* unsynced, it is written by the next flush, eviction or the worker */
		memtable_mark_batch(tab, pt->batch, false, false, false, true);
		pt->batch = NULL;
	}
	pending_tables = NIL;
	pending_cxt = NULL;			/* freed with TopTransactionContext */
}

/*
 * ABORT: nothing of the transaction may stay visible or on disk.  Its
 * memtable batch (if PRE_COMMIT got that far) is marked aborted, reserved
 * quota is returned and the private file removed.
 */
void
pending_abort(void)
{
	ListCell   *lc;

	foreach(lc, pending_tables)
	{
		PendingTable *pt = lfirst(lc);

		if (pt->batch)
			memtable_mark_batch(pt->tab, pt->batch, false, true, false, true);
		else if (pt->tab != NULL)
			ConditionVariableBroadcast(&pt->tab->batch_cv);
		if (pt->commit_reserved)
			segment_release_quota(pt->tab, pt->commit_reserved);
		if (pt->room_promised)
			segment_release_room(pt->tab, pt->room_promised);
		if (pt->file_reserved)
			segment_release_quota(pt->tab, pt->file_reserved);
		pending_remove_files(pt, 0);
	}
	pending_tables = NIL;
	pending_cxt = NULL;
}

/* Closes and removes the private files from index "from" on. */
static void
pending_remove_files(PendingTable *pt, int from)
{
	int			i;

	if (pt->file >= 0)
		FileClose(pt->file);
	pt->file = -1;
	for (i = from; i < pt->nfiles; i++)
		(void) storage_unlink_file(pt->files[i].path, true);
	pt->nfiles = Min(pt->nfiles, from);
	pt->has_file = pt->nfiles > 0;
}

/*
 * Forgets a relation's pending rows (TRUNCATE of a table created in this
 * transaction empties it in place).
 */
void
pending_forget_rel(Relation rel)
{
	PendingTable *pt = pending_for_rel(rel, false);

	if (pt == NULL)
		return;
	if (pt->file_reserved)
		segment_release_quota(pt->tab, pt->file_reserved);
	pending_remove_files(pt, 0);
	pending_tables = list_delete_ptr(pending_tables, pt);
}

/* A subtransaction ended well: its marks now belong to its parent. */
void
pending_subxact_commit(SubTransactionId subid, SubTransactionId parent)
{
	ListCell   *lc;

	foreach(lc, pending_tables)
	{
		PendingTable *pt = lfirst(lc);

		if (pt->nmarks > 0 && pt->marks[pt->nmarks - 1].subid == subid)
		{
			if (parent == TopSubTransactionId ||
				(pt->nmarks > 1 && pt->marks[pt->nmarks - 2].subid == parent))
				pt->nmarks--;	/* the parent's own mark is earlier */
			else
				pt->marks[pt->nmarks - 1].subid = parent;
		}
	}
}

/*
 * Cuts the private files back to a savepoint mark: later files are
 * removed, the one the mark points into is truncated and reopened.
 */
static void
pending_truncate_files(PendingTable *pt, PendingMark *mk)
{
	int64		start = 0,
				rows = 0,
				raw = 0;
	int			i;
	PrivateFile *cur;

	segment_release_quota(pt->tab, pt->file_size - mk->file_size);
	pt->file_reserved -= pt->file_size - mk->file_size;
	for (i = 0; i < pt->nfiles; i++)
	{
		if (start + pt->files[i].size > mk->file_size ||
			(start + pt->files[i].size == mk->file_size && i == pt->nfiles - 1))
			break;
		start += pt->files[i].size;
		rows += pt->files[i].rows;
		raw += pt->files[i].raw;
	}
	if (i >= pt->nfiles)
		return;
	if (start == mk->file_size)
	{
		pending_remove_files(pt, i);
		return;
	}
	if (i < pt->nfiles - 1)
	{
		pending_remove_files(pt, i + 1);
		pt->has_file = true;
	}
	cur = &pt->files[i];
	if (pt->file < 0)
	{
		pt->file = PathNameOpenFile(cur->path, O_RDWR | PG_BINARY);
		if (pt->file < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open spillpool file \"%s\": %m", cur->path)));
	}
	if (FileTruncate(pt->file, mk->file_size - start, WAIT_EVENT_DATA_FILE_TRUNCATE) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not truncate file \"%s\": %m", cur->path)));
	cur->size = mk->file_size - start;
	cur->rows = mk->file_rows - rows;
	cur->raw = mk->file_raw - raw;
}

/*
 * Remembers that the rows from number "rows" on were rolled back, so that a
 * reader that began earlier (a cursor) stops there instead of reading files
 * that were cut short underneath it.
 */
static void
pending_record_cut(PendingTable *pt, int64 rows)
{
	if (rows >= pt->file_rows + pt->buf_rows)
		return;
	if (pt->ncuts == pt->cuts_cap)
	{
		pt->cuts_cap = Max(8, pt->cuts_cap * 2);
		pt->cuts = pt->cuts ?
			repalloc(pt->cuts, sizeof(int64) * pt->cuts_cap) :
			MemoryContextAlloc(pending_cxt, sizeof(int64) * pt->cuts_cap);
	}
	pt->cuts[pt->ncuts++] = rows;
}

/*
 * A subtransaction rolled back: cut every table back to where the
 * subtransaction (or its earliest open descendant) first wrote to it.
 */
void
pending_subxact_abort(SubTransactionId subid)
{
	ListCell   *lc;

	foreach(lc, pending_tables)
	{
		PendingTable *pt = lfirst(lc);
		int			i;
		PendingMark *mk;

		for (i = 0; i < pt->nmarks; i++)
			if (pt->marks[i].subid >= subid)
				break;
		if (i == pt->nmarks)
			continue;
		mk = &pt->marks[i];
		if (mk->file_size < pt->file_size)
			pending_truncate_files(pt, mk);
		pending_record_cut(pt, mk->file_rows + mk->buf_rows);
		pt->file_size = mk->file_size;
		pt->file_rows = mk->file_rows;
		pt->file_raw = mk->file_raw;
		pt->buf_used = mk->buf_used;
		pt->buf_rows = mk->buf_rows;
		pt->nmarks = i;
	}
}

/*
 * Starts reading the current transaction's own rows of a relation.  What
 * exists now is fixed: the private files up to their present sizes and a
 * copy of the buffer, so rows the same command appends during the scan
 * (they are invisible to it anyway) cannot move anything under the reader.
 */
void
pending_reader_begin(PendingReader *rd, Relation rel)
{
	PendingTable *pt;
	int			i;

	memset(rd, 0, sizeof(*rd));
	pt = rd->pt = pending_for_rel(rel, false);
	if (pt == NULL)
		return;
	rd->nfiles = pt->nfiles;
	if (rd->nfiles > 0)
	{
		rd->paths = palloc(sizeof(char *) * rd->nfiles);
		rd->sizes = palloc(sizeof(int64) * rd->nfiles);
		for (i = 0; i < rd->nfiles; i++)
		{
			rd->paths[i] = pstrdup(pt->files[i].path);
			rd->sizes[i] = pt->files[i].size;
		}
	}
	rd->limit = pt->file_rows + pt->buf_rows;
	rd->cuts_seen = pt->ncuts;
	rd->buf_len = pt->buf_used;
	if (rd->buf_len > 0)
	{
		rd->buf = palloc(rd->buf_len);
		memcpy(rd->buf, pt->buf, rd->buf_len);
	}
}

/*
 * The next own row record: first those in the private files, then those in
 * memory.  Returns NULL at the end.
 */
SpillRowHeader *
pending_reader_next(PendingReader *rd)
{
	SpillRowHeader *h;

	if (rd->pt == NULL)
		return NULL;

	/* rows rolled back since the reader began are gone, and so is what follows */
	for (; rd->cuts_seen < rd->pt->ncuts; rd->cuts_seen++)
		rd->limit = Min(rd->limit, rd->pt->cuts[rd->cuts_seen]);
	if (rd->returned >= rd->limit)
		return NULL;

	for (;;)
	{
		SegmentBlockHeader hdr;

		if (rd->pos != NULL && rd->pos < rd->block_end)
		{
			h = (SpillRowHeader *) rd->pos;
			rd->pos += ROW_RECORD_SIZE(h->len);
			rd->returned++;
			return h;
		}
		if (rd->in_memory)
			return NULL;
		if (rd->file_open && segment_reader_next(&rd->file, &hdr, true))
		{
			rd->pos = rd->file.raw;
			rd->block_end = rd->file.raw + rd->file.raw_len;
			continue;
		}
		if (rd->file_open)
		{
			segment_reader_close(&rd->file);
			rd->file_open = false;
		}
		if (rd->next_file < rd->nfiles)
		{
			int			i = rd->next_file++;

			rd->file_open = segment_reader_open(&rd->file, rd->paths[i], rd->sizes[i], false);
			continue;
		}
		rd->in_memory = true;
		rd->pos = rd->buf;
		rd->block_end = rd->buf + rd->buf_len;
	}
}

/* Ends reading own rows. */
void
pending_reader_end(PendingReader *rd)
{
	if (rd->file_open)
		segment_reader_close(&rd->file);
	rd->file_open = false;
}
