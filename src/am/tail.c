/*-------------------------------------------------------------------------
 *
 * tail.c
 *	  Reading a table by row position: spillpool.tail, which returns the
 *	  rows after a position in position order and can wait for the next
 *	  commit, and the count of rows after a position behind the consumers
 *	  view.  consumer.c builds spillpool.consume on it.
 *
 * Positions are handed out at PRE_COMMIT (see tier/position.c), so a
 * transaction may commit after one with higher positions, and rows are not
 * stored in position order: the commit-time write puts blocks in the order
 * of their commits, a flush moves segment blocks before memtable batches.
 * A read therefore works on pieces, the runs of consecutive positions that
 * each tier describes without reading a row (a memtable batch, a segment
 * block header, a run listed in a shard's footer), sorts them, and reads
 * only the rows it returns.
 *
 * No gaps: a read returns rows only below the first position whose rows
 * may still appear: those of a transaction still in progress, of a
 * committed batch whose commit-time write has not happened yet (durability
 * 'commit': a crash would lose it, so it is not handed to a consumer
 * before COMMIT returns to its writer), and of an adoption of segment
 * files under way (SpillTable.adopt_pos).  So a consumer that passes the
 * largest position it has received never skips a row: every position
 * below what it received is either returned already, or aborted, or lost
 * with its transaction.
 *
 * Waiting: a read that finds nothing sleeps on the table's batch_cv, which
 * every commit and abort of rows of the table broadcasts (pending.c), as
 * do commit-time writes and flushes, until the wait runs out.
 *
 * The headers of segment blocks are cached per backend (segment files only
 * grow, and are removed whole), so that a consumer that keeps up does not
 * read the headers of the unflushed range again at every call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "spillpool.h"
#include "am/tableam.h"
#include "am/tail.h"
#include "shard/shard_read.h"
#include "tier/manifest.h"
#include "tier/memtable.h"
#include "tier/rowrecord.h"
#include "tier/segment.h"
#include "tier/visibility.h"

PG_FUNCTION_INFO_V1(spillpool_tail);
PG_FUNCTION_INFO_V1(spillpool_position_lag);

/* Where a piece's rows are. */
typedef enum TailSource
{
	TAIL_MEMTABLE,
	TAIL_SEGMENT,
	TAIL_SHARD
} TailSource;

/* A run of consecutive positions whose rows are stored together. */
typedef struct TailPiece
{
	uint64		pos;			/* position of its first row */
	int64		nrows;
	TailSource	source;
	bool		aborted;		/* rolled back: never returned */
	bool		blocks;			/* may still become readable (see above):
								 * nothing from pos on is returned */
	int			index;			/* memtable: batch; shard: shard number */
	int64		row;			/* shard: shard row of the first row;
								 * memtable and segment: rows to skip */
	const ManifestShard *shard; /* shard: the manifest's entry */
	uint32		segno;			/* segment: the block's file and offset */
	int64		off;
	ino_t		ino;			/* segment: the file's inode */
} TailPiece;

/* A memtable batch as a read captured it. */
typedef struct TailBatch
{
	uint64		seq;
	uint32		nrows;
	FullTransactionId fxid;
	bool		committed;
	bool		aborted;
	bool		durable;		/* its commit-time write is done or not due */
	char	   *data;			/* row records; NULL when counting only */
	uint32		data_len;
} TailBatch;

/* A segment block header, cached. */
typedef struct TailBlock
{
	int64		off;
	uint64		seq;			/* 0 in version 1 blocks */
	FullTransactionId fxid;
	uint32		nrows;
	uint8		flags;
	uint8		version;
} TailBlock;

typedef struct TailFileKey
{
	Oid			dbid;
	Oid			relfilenode;
	uint32		segno;
} TailFileKey;

/* The cached headers of one segment file, up to read_to. */
typedef struct TailFile
{
	TailFileKey key;
	ino_t		ino;			/* the file they were read from */
	int64		read_to;
	int			nblocks;
	int			cap;
	TailBlock  *blocks;			/* in tail_cxt */
} TailFile;

#define TAIL_CACHE_MAX_FILES 256

static HTAB *tail_files = NULL;
static MemoryContext tail_cxt = NULL;

/* One read: what it captured, its pieces, and what it holds. */
typedef struct TailRead
{
	Relation	rel;
	SpillTable *tab;
	uint64		after;
	int64		max_rows;
	bool		count_only;		/* count the rows, read none */

	TailBatch  *batches;
	int			nbatches;
	uint32		seg_first;
	int64		seg_first_off;
	uint32		seg_end;
	int64		seg_end_off;
	uint32		load_seg;
	int64		load_off;
	uint64		snapshot_id;
	uint64		adopt_pos;
	uint64		uncaptured;		/* the first batch not captured, or 0 */
	uint64		legacy_next;
	int64		pin_gen;
	bool		pinned;

	TailPiece  *pieces;
	int			npieces;
	int			cap;
	uint64		stop;			/* nothing at or past it is returned */

	ShardScan  *shards;			/* open while reading shards */
	SegmentReader rd;
	bool		rd_open;
} TailRead;

/* Appends a piece; returns it for the caller to fill. */
static TailPiece *
tail_add_piece(TailRead *tr)
{
	if (tr->npieces == tr->cap)
	{
		tr->cap = Max(64, tr->cap * 2);
		tr->pieces = tr->pieces ? repalloc(tr->pieces, sizeof(TailPiece) * tr->cap) :
			palloc(sizeof(TailPiece) * tr->cap);
	}
	memset(&tr->pieces[tr->npieces], 0, sizeof(TailPiece));
	return &tr->pieces[tr->npieces++];
}

/* Orders pieces by position. */
static int
tail_piece_cmp(const void *a, const void *b)
{
	uint64		x = ((const TailPiece *) a)->pos;
	uint64		y = ((const TailPiece *) b)->pos;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Adds a piece for the rows at positions pos .. pos + nrows - 1 of a
 * source, without those at or before tr->after: its row is the number of
 * the source's rows cut off.  NULL if no row is left.
 */
static TailPiece *
tail_add_run(TailRead *tr, TailSource source, uint64 pos, int64 nrows)
{
	TailPiece  *p;
	int64		cut = 0;

	if (nrows <= 0 || pos + nrows <= tr->after + 1)
		return NULL;
	if (pos <= tr->after)
		cut = (int64) (tr->after + 1 - pos);
	p = tail_add_piece(tr);
	p->pos = pos + cut;
	p->nrows = nrows - cut;
	p->row = cut;
	p->source = source;
	return p;
}

/*
 * Step 1, under the table's lock: the memtable batches after the position
 * (enough of them: once they hold max_rows rows, later batches, which have
 * higher positions, cannot be needed), the segment range and shard
 * snapshot of the same moment, and a pin on the segment files.
 */
static void
tail_capture(TailRead *tr)
{
	SpillTable *tab = tr->tab;
	MemBatch   *b;
	int64		rows = 0;
	int			cap;

	LWLockAcquire(&tab->lock, LW_SHARED);
	cap = (int) tab->mem_batches + 1;
	LWLockRelease(&tab->lock);
	tr->batches = palloc(sizeof(TailBatch) * cap);

	LWLockAcquire(&tab->lock, LW_SHARED);
	for (b = memtable_first(tab); b != NULL; b = memtable_next(b))
	{
		TailBatch  *tb;

		if (b->in_shard || b->seq + b->nrows <= tr->after + 1)
			continue;
		if ((!tr->count_only && rows >= tr->max_rows) || tr->nbatches == cap)
		{
			/*
			 * Not captured: neither may anything at or past it be returned,
			 * though a copy in a segment block be found (see tail_find_stop)
			 */
			tr->uncaptured = b->seq;
			break;
		}
		tb = &tr->batches[tr->nbatches++];
		tb->seq = b->seq;
		tb->nrows = b->nrows;
		tb->fxid = b->fxid;
		tb->committed = b->committed;
		tb->aborted = b->aborted;
		tb->durable = !(b->needs_write && !b->on_disk);
		tb->data = NULL;
		tb->data_len = b->data_len;
		if (!tr->count_only && !b->aborted)
		{
			/* as memtable_copy: a copy, so that the batch may go meanwhile */
			tb->data = palloc(Max(b->data_len, 1));
			memcpy(tb->data, MEMBATCH_DATA(b), b->data_len);
			rows += b->nrows;
		}
	}
	spilltable_unflushed_range(tab, &tr->seg_first, &tr->seg_first_off,
							   &tr->seg_end, &tr->seg_end_off);
	tr->load_seg = tab->load_seg;
	tr->load_off = tab->load_off;
	tr->snapshot_id = tab->snapshot_id;
	tr->adopt_pos = tab->adopt_pos;
	tr->legacy_next = tab->legacy_next;
	tr->pin_gen = spilltable_pin_segments_locked(tab);
	tr->pinned = true;
	LWLockRelease(&tab->lock);
}

/* Forgets the cached headers of files that are gone (below first). */
static void
tail_cache_prune(const SpillTableKey *key, uint32 first)
{
	HASH_SEQ_STATUS status;
	TailFile   *f;

	if (tail_files == NULL)
		return;
	if (hash_get_num_entries(tail_files) > TAIL_CACHE_MAX_FILES)
	{
		/* many tables read: start over */
		hash_destroy(tail_files);
		MemoryContextReset(tail_cxt);
		tail_files = NULL;
		return;
	}
	hash_seq_init(&status, tail_files);
	while ((f = hash_seq_search(&status)) != NULL)
	{
		if (f->key.dbid == key->dbid && f->key.relfilenode == key->relfilenode &&
			f->key.segno < first)
		{
			if (f->blocks)
				pfree(f->blocks);
			(void) hash_search(tail_files, &f->key, HASH_REMOVE, NULL);
		}
	}
}

/*
 * The block headers of segment file segno up to end (-1: its size), from
 * the cache, reading the headers it does not have yet.  NULL if the file
 * does not exist.  A cached file that was replaced (another inode) or cut
 * shorter than what was read is read again.
 */
static TailFile *
tail_file_blocks(TailRead *tr, uint32 segno, int64 end)
{
	SpillTable *tab = tr->tab;
	char		path[MAXPGPATH];
	struct stat st;
	TailFileKey key;
	TailFile   *f;
	bool		found;
	int64		limit;

	if (tail_files == NULL)
	{
		HASHCTL		ctl;

		if (tail_cxt == NULL)
			tail_cxt = AllocSetContextCreate(TopMemoryContext, "spillpool tail cache",
											 ALLOCSET_DEFAULT_SIZES);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(TailFileKey);
		ctl.entrysize = sizeof(TailFile);
		ctl.hcxt = tail_cxt;
		tail_files = hash_create("spillpool tail cache", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	segment_file_path(path, tab->key.dbid, tab->key.relfilenode, segno);
	if (stat(path, &st) != 0)
	{
		if (errno == ENOENT)
			return NULL;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	}
	limit = end >= 0 ? end : (int64) st.st_size;
	memset(&key, 0, sizeof(key));
	key.dbid = tab->key.dbid;
	key.relfilenode = tab->key.relfilenode;
	key.segno = segno;
	f = hash_search(tail_files, &key, HASH_ENTER, &found);
	if (!found || f->ino != st.st_ino || f->read_to > limit)
	{
		if (found && f->blocks)
			pfree(f->blocks);
		f->ino = st.st_ino;
		f->read_to = 0;
		f->nblocks = 0;
		f->cap = 0;
		f->blocks = NULL;
	}
	if (f->read_to < limit)
	{
		SegmentBlockHeader hdr;

		if (!segment_reader_open(&tr->rd, path, end, true))
			return NULL;
		tr->rd_open = true;
		tr->rd.off = f->read_to;
		while (segment_reader_next(&tr->rd, &hdr, false))
		{
			TailBlock  *tb;

			CHECK_FOR_INTERRUPTS();
			if (f->nblocks == f->cap)
			{
				f->cap = Max(64, f->cap * 2);
				f->blocks = f->blocks ?
					repalloc(f->blocks, sizeof(TailBlock) * f->cap) :
					MemoryContextAlloc(tail_cxt, sizeof(TailBlock) * f->cap);
			}
			tb = &f->blocks[f->nblocks++];
			tb->off = tr->rd.block_off;
			tb->seq = hdr.seq;
			tb->fxid = FullTransactionIdFromU64(hdr.fxid);
			tb->nrows = hdr.nrows;
			tb->flags = hdr.flags;
			tb->version = (uint8) hdr.version;
			f->read_to = tr->rd.off;
		}
		segment_reader_close(&tr->rd);
		tr->rd_open = false;
	}
	return f;
}

/*
 * True if seq is the seq of a captured memtable batch (batches ascend; seq
 * is a TailBatch's first field, which memtable_seq_cmp compares).
 */
static bool
tail_batch_captured(TailRead *tr, uint64 seq)
{
	return bsearch(&seq, tr->batches, tr->nbatches, sizeof(TailBatch),
				   memtable_seq_cmp) != NULL;
}

/* Whether the rows of a transaction are aborted, or may still appear. */
static void
tail_judge(TailPiece *p, FullTransactionId fxid, bool committed, bool before_load,
		   bool durable)
{
	switch (spill_rows_status(fxid, committed, before_load))
	{
		case SPILL_ROWS_SETTLED:
		case SPILL_ROWS_COMMITTED:
			p->blocks = !durable;
			break;
		case SPILL_ROWS_IN_PROGRESS:
			p->blocks = true;
			break;
		case SPILL_ROWS_ABORTED:
			p->aborted = true;
			break;
	}
}

/*
 * Step 2: the pieces of the segment blocks in the range, except those the
 * captured memtable batches hold too (read from memory).  Blocks written
 * before positions existed take theirs from the legacy count, in order.
 */
static void
tail_segment_pieces(TailRead *tr)
{
	uint64		legacy = tr->legacy_next;
	uint32		segno;

	tail_cache_prune(&tr->tab->key, tr->seg_first);
	for (segno = tr->seg_first; segno <= tr->seg_end; segno++)
	{
		TailFile   *f;
		int			i;

		if (segno == tr->seg_end && tr->seg_end_off == 0)
			break;
		f = tail_file_blocks(tr, segno, segno == tr->seg_end ? tr->seg_end_off : -1);
		if (f == NULL)
			continue;
		for (i = 0; i < f->nblocks; i++)
		{
			TailBlock  *b = &f->blocks[i];
			uint64		pos = b->seq;
			TailPiece  *p;

			if (segno == tr->seg_first && b->off < tr->seg_first_off)
				continue;		/* flushed */
			if (b->version < 2)
			{
				pos = legacy;
				legacy += b->nrows;
			}
			else if (tail_batch_captured(tr, b->seq))
				continue;
			if (pos == 0 || (p = tail_add_run(tr, TAIL_SEGMENT, pos, b->nrows)) == NULL)
				continue;
			p->segno = segno;
			p->off = b->off;
			p->ino = f->ino;
			tail_judge(p, b->fxid, (b->flags & SEGMENT_BLOCK_COMMITTED) != 0,
					   segno < tr->load_seg ||
					   (segno == tr->load_seg && b->off < tr->load_off),
					   true);
		}
	}
}

/* Step 3: the pieces of the captured memtable batches. */
static void
tail_memtable_pieces(TailRead *tr)
{
	int			i;

	for (i = 0; i < tr->nbatches; i++)
	{
		TailBatch  *b = &tr->batches[i];
		TailPiece  *p = tail_add_run(tr, TAIL_MEMTABLE, b->seq, b->nrows);

		if (p == NULL)
			continue;
		p->index = i;
		if (b->aborted)
			p->aborted = true;
		else
			tail_judge(p, b->fxid, b->committed, false, b->durable);
	}
}

/* Step 4: the first position that may still appear. */
static void
tail_find_stop(TailRead *tr)
{
	int			i;

	tr->stop = tr->adopt_pos != 0 ? tr->adopt_pos : PG_UINT64_MAX;
	if (tr->uncaptured != 0)
		tr->stop = Min(tr->stop, tr->uncaptured);
	for (i = 0; i < tr->npieces; i++)
		if (tr->pieces[i].blocks && !tr->pieces[i].aborted)
			tr->stop = Min(tr->stop, tr->pieces[i].pos);
}

/*
 * The position of the max_rows-th row among the pieces that would be
 * returned (sorted), or PG_UINT64_MAX if they hold fewer rows.
 */
static uint64
tail_last_needed(TailRead *tr)
{
	int64		rows = 0;
	int			i;

	for (i = 0; i < tr->npieces; i++)
	{
		TailPiece  *p = &tr->pieces[i];

		if (p->aborted)
			continue;
		if (p->pos >= tr->stop)
			break;
		if (rows + p->nrows >= tr->max_rows)
			return p->pos + (tr->max_rows - rows) - 1;
		rows += p->nrows;
	}
	return PG_UINT64_MAX;
}

/* Orders shard numbers by their first position (tail_shard_pieces). */
static const ManifestShard *tail_sort_shards;

static int
tail_shard_cmp(const void *a, const void *b)
{
	uint64		x = tail_sort_shards[*(const int *) a].pos_min;
	uint64		y = tail_sort_shards[*(const int *) b].pos_min;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Step 5: the pieces of the shards, whose rows are all committed.  Shards
 * are taken in the order of their first positions, and only while one may
 * hold rows before the max_rows-th row found so far: a consumer that keeps
 * up opens no shard at all, one that replays opens a few.  Counting only,
 * a shard wholly after the position counts whole without being opened.
 * Shard numbers are those of the shard scan: the manifest's shards of
 * snapshots up to the captured one.
 */
static void
tail_shard_pieces(TailRead *tr, int64 *counted)
{
	const Manifest *m = manifest_get(tr->tab->key.dbid, tr->tab->key.relfilenode,
									 tr->snapshot_id);
	ManifestShard *list = palloc(sizeof(ManifestShard) * Max(m->nshards, 1));
	int		   *order = palloc(sizeof(int) * Max(m->nshards, 1));
	int			n = 0,
				nshards = 0;
	int			i;

	for (i = 0; i < m->nshards; i++)
	{
		const ManifestShard *sh = &m->shards[i];

		if (!manifest_shard_in_snapshot(sh, tr->snapshot_id))
			continue;
		if (sh->rows > 0 && sh->pos_max > tr->after && sh->pos_min < tr->stop)
			order[n++] = nshards;
		list[nshards++] = *sh;
	}
	tail_sort_shards = list;
	qsort(order, n, sizeof(int), tail_shard_cmp);
	tail_sort_shards = NULL;

	for (i = 0; i < n; i++)
	{
		const ManifestShard *sh = &list[order[i]];
		uint64	   *firsts;
		int64	   *counts;
		int64		row = 0;
		int			nruns;
		int			r;

		if (tr->count_only && sh->pos_min > tr->after)
		{
			*counted += sh->rows;
			continue;
		}
		if (!tr->count_only)
		{
			qsort(tr->pieces, tr->npieces, sizeof(TailPiece), tail_piece_cmp);
			if (sh->pos_min > tail_last_needed(tr))
				break;
		}
		if (tr->shards == NULL)
			tr->shards = shard_scan_begin(tr->rel, RelationGetDescr(tr->rel),
										  tr->tab->key.dbid, tr->tab->key.relfilenode,
										  tr->snapshot_id, NULL, NIL, NULL);
		nruns = shard_scan_position_runs(tr->shards, order[i], &firsts, &counts);
		for (r = 0; r < nruns; r++)
		{
			TailPiece  *p = tail_add_run(tr, TAIL_SHARD, firsts[r], counts[r]);

			if (p != NULL)
			{
				p->index = order[i];
				p->row += row;	/* the shard's row of the run's first */
				p->shard = sh;
			}
			row += counts[r];
		}
	}
}

/* Releases what a read holds outside its memory: on errors too. */
static void
tail_release(TailRead *tr)
{
	if (tr->rd_open)
		segment_reader_close(&tr->rd);
	tr->rd_open = false;
	if (tr->shards != NULL)
		shard_scan_end(tr->shards);
	tr->shards = NULL;
	if (tr->pinned)
		spilltable_unpin_segments(tr->tab, tr->pin_gen);
	tr->pinned = false;
}

/* Where a read puts its rows. */
typedef struct TailOut
{
	Tuplestorestate *store;
	TupleDesc	result_desc;	/* (position, row) */
	TupleDesc	desc;			/* the table's */
	TupleTableSlot *mslot;		/* minimal tuples of row records */
	TupleTableSlot *vslot;		/* shard rows */
	MemoryContext row_cxt;
	uint64		last;			/* the last position put */
	int64		rows;
} TailOut;

/*
 * The rows after the last read of a shard, up to the end of the row group
 * it decoded, kept for the next call: a consumer reading batches smaller
 * than a row group would otherwise decode each row group many times.  One
 * entry per backend, used only for a shard the manifest still lists (the
 * entry names the file by its manifest identity and footer checksum).
 */
#define TAIL_SHARD_CACHE_MAX_BYTES	((Size) 64 * 1024 * 1024)

typedef struct TailShardCache
{
	Oid			dbid;
	Oid			relfilenode;
	uint64		snapshot;		/* the shard: <snapshot>-<n>.parquet */
	int			n;
	pg_crc32c	footer_crc;
	int64		first_row;		/* shard row of rows[0] */
	int64		nrows;
	HeapTuple  *rows;			/* the table's rows as composite tuples */
	MemoryContext cxt;
} TailShardCache;

static TailShardCache tail_shard_cache;

/* True if the cache holds rows row .. row + n - 1 of this piece's shard. */
static bool
tail_shard_cache_has(TailRead *tr, TailPiece *p, int64 n)
{
	TailShardCache *c = &tail_shard_cache;

	return c->rows != NULL && c->dbid == tr->tab->key.dbid &&
		c->relfilenode == tr->tab->key.relfilenode &&
		c->snapshot == p->shard->snapshot && c->n == p->shard->n &&
		c->footer_crc == p->shard->footer_crc &&
		p->row >= c->first_row && p->row + n <= c->first_row + c->nrows;
}

/* Empties the cache and makes it the cache of this piece's shard. */
static void
tail_shard_cache_reset(TailRead *tr, TailPiece *p, int64 first_row, int64 nrows)
{
	TailShardCache *c = &tail_shard_cache;

	if (c->cxt == NULL)
		c->cxt = AllocSetContextCreate(TopMemoryContext, "spillpool tail shard cache",
									   ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(c->cxt);
	c->rows = NULL;
	c->nrows = 0;
	if (nrows <= 0)
		return;
	c->dbid = tr->tab->key.dbid;
	c->relfilenode = tr->tab->key.relfilenode;
	c->snapshot = p->shard->snapshot;
	c->n = p->shard->n;
	c->footer_crc = p->shard->footer_crc;
	c->first_row = first_row;
	c->rows = MemoryContextAlloc(c->cxt, sizeof(HeapTuple) * nrows);
}

/*
 * The rows of the last segment block read, decompressed, kept for the next
 * call, which often starts inside the same block.  One per backend; the
 * file is named by its inode too, since a dropped table's relfilenode may
 * be used again.
 */
typedef struct TailBlockCache
{
	Oid			dbid;
	Oid			relfilenode;
	uint32		segno;
	ino_t		ino;
	int64		off;
	char	   *raw;			/* in TopMemoryContext; NULL if none */
	size_t		raw_len;
} TailBlockCache;

static TailBlockCache tail_block_cache;

/* True if the block cache holds this piece's block. */
static bool
tail_block_cache_has(TailRead *tr, TailPiece *p)
{
	TailBlockCache *c = &tail_block_cache;

	return c->raw != NULL && c->dbid == tr->tab->key.dbid &&
		c->relfilenode == tr->tab->key.relfilenode && c->segno == p->segno &&
		c->ino == p->ino && c->off == p->off;
}

/* Keeps the rows of a block just read for the next call. */
static void
tail_block_cache_set(TailRead *tr, TailPiece *p, const char *raw, size_t raw_len)
{
	TailBlockCache *c = &tail_block_cache;

	if (c->raw != NULL)
		pfree(c->raw);
	c->raw = MemoryContextAlloc(TopMemoryContext, Max(raw_len, 1));
	memcpy(c->raw, raw, raw_len);
	c->raw_len = raw_len;
	c->dbid = tr->tab->key.dbid;
	c->relfilenode = tr->tab->key.relfilenode;
	c->segno = p->segno;
	c->ino = p->ino;
	c->off = p->off;
}

/* Puts one row, a composite tuple of the table's type, into the result. */
static void
tail_put_tuple(TailOut *out, uint64 pos, HeapTuple tup)
{
	Datum		values[2];
	bool		nulls[2] = {false, false};

	values[0] = Int64GetDatum((int64) pos);
	values[1] = HeapTupleGetDatum(tup);
	tuplestore_putvalues(out->store, out->result_desc, values, nulls);
	out->last = pos;
	out->rows++;
}

/* Puts one row, at its position, into the result. */
static void
tail_put_row(TailOut *out, uint64 pos, TupleTableSlot *slot)
{
	MemoryContext old = MemoryContextSwitchTo(out->row_cxt);

	slot_getallattrs(slot);
	tail_put_tuple(out, pos, heap_form_tuple(out->desc, slot->tts_values, slot->tts_isnull));
	MemoryContextSwitchTo(old);
	MemoryContextReset(out->row_cxt);
}

/* Puts rows "skip" .. "skip" + n - 1 of a run of row records. */
static void
tail_put_records(TailOut *out, const char *data, const char *end, int64 skip,
				 int64 n, uint64 pos)
{
	int64		i = 0;

	while (data < end && i < skip + n)
	{
		SpillRowHeader *h = (SpillRowHeader *) data;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (i >= skip)
		{
			MinimalTuple mt = ROW_RECORD_TUPLE(h);

			if (HeapTupleHeaderGetNatts((HeapTupleHeader) ((char *) mt - MINIMAL_TUPLE_OFFSET)) ==
				out->desc->natts)
			{
				/*
				 * The stored tuple has the row's layout: made a composite
				 * datum as it is, without taking it apart (the datum's
				 * header is heap_copy_tuple_as_datum's business)
				 */
				MemoryContext old = MemoryContextSwitchTo(out->row_cxt);
				HeapTupleData tmp;
				Datum		values[2];
				bool		nulls[2] = {false, false};

				tmp.t_len = mt->t_len + MINIMAL_TUPLE_OFFSET;
				tmp.t_data = (HeapTupleHeader) ((char *) mt - MINIMAL_TUPLE_OFFSET);
				ItemPointerSetInvalid(&tmp.t_self);
				tmp.t_tableOid = InvalidOid;
				values[0] = Int64GetDatum((int64) (pos + (i - skip)));
				values[1] = heap_copy_tuple_as_datum(&tmp, out->desc);
				tuplestore_putvalues(out->store, out->result_desc, values, nulls);
				out->last = pos + (i - skip);
				out->rows++;
				MemoryContextSwitchTo(old);
				MemoryContextReset(out->row_cxt);
			}
			else
			{
				/* stored before an ALTER TABLE ADD COLUMN: fill it in */
				ExecStoreMinimalTuple(mt, out->mslot, false);
				tail_put_row(out, pos + (i - skip), out->mslot);
				ExecClearTuple(out->mslot);
			}
		}
		data += ROW_RECORD_SIZE(h->len);
		i++;
	}
	if (i < skip + n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a batch of spillpool rows holds fewer rows than its header says")));
}

/* Reads n rows of a piece, from its first, into the result. */
static void
tail_read_piece(TailRead *tr, TailPiece *p, int64 n, TailOut *out)
{
	switch (p->source)
	{
		case TAIL_MEMTABLE:
			{
				TailBatch  *b = &tr->batches[p->index];

				tail_put_records(out, b->data, b->data + b->data_len, p->row, n, p->pos);
				break;
			}
		case TAIL_SEGMENT:
			{
				char		path[MAXPGPATH];
				SegmentBlockHeader hdr;
				TailBlockCache *c = &tail_block_cache;

				if (tail_block_cache_has(tr, p))
				{
					tail_put_records(out, c->raw, c->raw + c->raw_len, p->row, n, p->pos);
					break;
				}
				segment_file_path(path, tr->tab->key.dbid, tr->tab->key.relfilenode, p->segno);
				if (!segment_reader_open(&tr->rd, path, -1, false))
					break;
				tr->rd_open = true;
				tr->rd.off = p->off;
				if (!segment_reader_next(&tr->rd, &hdr, true))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_CORRUPTED),
							 errmsg("spillpool segment file \"%s\" has no block at offset " INT64_FORMAT,
									path, p->off)));
				tail_put_records(out, tr->rd.raw, tr->rd.raw + tr->rd.raw_len, p->row, n, p->pos);
				if (p->row + n < hdr.nrows)
					tail_block_cache_set(tr, p, tr->rd.raw, tr->rd.raw_len);
				segment_reader_close(&tr->rd);
				tr->rd_open = false;
				break;
			}
		case TAIL_SHARD:
			{
				TailShardCache *c = &tail_shard_cache;
				int64		i;
				int64		left;
				Size		bytes = 0;

				if (tail_shard_cache_has(tr, p, n))
				{
					for (i = 0; i < n; i++)
						tail_put_tuple(out, p->pos + i,
									   c->rows[p->row - c->first_row + i]);
					break;
				}
				shard_scan_seek(tr->shards, p->index, p->row);
				for (i = 0; i < n; i++)
				{
					if (!shard_scan_next(tr->shards, out->vslot))
						ereport(ERROR,
								(errcode(ERRCODE_DATA_CORRUPTED),
								 errmsg("a spillpool shard of table \"%s\" holds fewer rows than its positions list",
										RelationGetRelationName(tr->rel))));
					tail_put_row(out, p->pos + i, out->vslot);
				}
				/* the rest of the row group decoded, for the next call */
				left = shard_scan_batch_rows_left(tr->shards);
				tail_shard_cache_reset(tr, p, p->row + n, left);
				for (i = 0; i < left && bytes < TAIL_SHARD_CACHE_MAX_BYTES; i++)
				{
					MemoryContext old;
					HeapTuple	tup;

					if (!shard_scan_next(tr->shards, out->vslot))
						break;
					slot_getallattrs(out->vslot);
					old = MemoryContextSwitchTo(c->cxt);
					tup = heap_form_tuple(out->desc, out->vslot->tts_values,
										  out->vslot->tts_isnull);
					MemoryContextSwitchTo(old);
					c->rows[c->nrows++] = tup;
					bytes += tup->t_len;
				}
				break;
			}
	}
}

/*
 * One read of the rows after tr->after: collects, sorts and reads the
 * pieces.  With out NULL only counts the committed rows (stop or not) and
 * returns the count.  Otherwise returns the number of rows put.
 */
static int64
tail_read(TailRead *tr, TailOut *out)
{
	volatile int64 counted = 0;
	volatile int64 left = tr->max_rows;
	int			i;

	tr->count_only = (out == NULL);
	tr->tab = spilltable_for_rel(tr->rel);
	PG_TRY();
	{
		tail_capture(tr);
		tail_segment_pieces(tr);
		tail_memtable_pieces(tr);
		tail_find_stop(tr);
		if (tr->count_only)
			tr->stop = PG_UINT64_MAX;
		{
			int64		shard_rows = 0;

			tail_shard_pieces(tr, &shard_rows);
			counted += shard_rows;
		}
		qsort(tr->pieces, tr->npieces, sizeof(TailPiece), tail_piece_cmp);
		for (i = 0; i < tr->npieces && (tr->count_only || left > 0); i++)
		{
			TailPiece  *p = &tr->pieces[i];
			int64		n;

			CHECK_FOR_INTERRUPTS();
			if (p->aborted)
				continue;
			if (tr->count_only)
			{
				if (!p->blocks || p->source == TAIL_SHARD)
					counted += p->nrows;
				continue;
			}
			if (p->pos >= tr->stop)
				break;
			n = Min(p->nrows, left);
			if (p->pos + n > tr->stop)
				n = (int64) (tr->stop - p->pos);
			tail_read_piece(tr, p, n, out);
			left -= n;
		}
	}
	PG_FINALLY();
	{
		tail_release(tr);
	}
	PG_END_TRY();
	return tr->count_only ? counted : tr->max_rows - left;
}

/*
 * Reads up to max_rows rows after position "after" of a spillpool table
 * into out, waiting up to wait_ms for a commit when there are none; the
 * body of spillpool.tail and spillpool.consume.  The caller has checked
 * the privileges and opened rel.  Returns the rows put; out->last is the
 * last position.
 */
int64
tail_rows(Relation rel, uint64 after, int64 max_rows, int64 wait_ms,
		  Tuplestorestate *store, TupleDesc result_desc, uint64 *last)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "spillpool tail",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	TimestampTz deadline = 0;
	SpillTable *tab = spilltable_for_rel(rel);
	TailOut		out;
	int64		rows = 0;

	memset(&out, 0, sizeof(out));
	out.store = store;
	out.result_desc = result_desc;

	/*
	 * Keep the row's composite datum with its 4-byte header in the result:
	 * packed to a 1-byte header (rows under 127 bytes), every field
	 * selection of (t.row).* would have to copy it first.  Storage only;
	 * readers of the result accept either form.
	 */
	if (result_desc->natts >= 2)
		TupleDescAttr(result_desc, 1)->attstorage = TYPSTORAGE_PLAIN;
	out.desc = RelationGetDescr(rel);
	out.mslot = MakeSingleTupleTableSlot(out.desc, &TTSOpsMinimalTuple);
	out.vslot = MakeSingleTupleTableSlot(out.desc, &TTSOpsVirtual);
	out.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "spillpool tail row",
										ALLOCSET_DEFAULT_SIZES);
	if (wait_ms > 0)
		deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
	for (;;)
	{
		TailRead	tr;
		long		secs;
		int			usecs;
		int64		left_ms;

		/* prepared before the read: a commit during it wakes the sleep */
		if (wait_ms > 0)
			ConditionVariablePrepareToSleep(&tab->batch_cv);
		memset(&tr, 0, sizeof(tr));
		tr.rel = rel;
		tr.after = after;
		tr.max_rows = max_rows;
		old = MemoryContextSwitchTo(cxt);
		rows = tail_read(&tr, &out);
		MemoryContextSwitchTo(old);
		MemoryContextReset(cxt);
		if (rows > 0 || wait_ms <= 0)
			break;
		if (GetCurrentTimestamp() >= deadline)
			break;
		TimestampDifference(GetCurrentTimestamp(), deadline, &secs, &usecs);
		/* rounded up: never end the wait early */
		left_ms = (int64) secs * 1000 + (usecs + 999) / 1000;
		(void) ConditionVariableTimedSleep(&tab->batch_cv, (long) Max(Min(left_ms, 1000), 1),
										   PG_WAIT_EXTENSION);
	}
	if (wait_ms > 0)
		ConditionVariableCancelSleep();
	ExecDropSingleTupleTableSlot(out.mslot);
	ExecDropSingleTupleTableSlot(out.vslot);
	MemoryContextDelete(out.row_cxt);
	MemoryContextDelete(cxt);
	*last = out.last;
	return rows;
}

/*
 * The committed rows of a table with a position after "after" (rows of
 * transactions still in progress are not counted): the consumers view's
 * lag.  Reads no row, only headers, and the footers of shards that hold
 * positions on both sides.
 */
int64
tail_count_after(Relation rel, uint64 after)
{
	TailRead	tr;

	memset(&tr, 0, sizeof(tr));
	tr.rel = rel;
	tr.after = after;
	tr.max_rows = PG_INT64_MAX;
	return tail_read(&tr, NULL);
}

/*
 * Checks tail's and consume's max_rows and wait arguments; returns the
 * wait in milliseconds.
 */
int64
tail_check_limits(int32 max_rows, Interval *wait)
{
	int64		wait_us;

	if (max_rows < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_rows must be at least 1")));
	if (wait == NULL)
		return 0;
	if (wait->month != 0 || wait->day != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait must be given in hours, minutes or seconds"),
				 errdetail("Days and months are not allowed.")));
	wait_us = wait->time;
	if (wait_us < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait must not be negative")));
	/* about 24 days at most, so that the deadline cannot overflow */
	return Min(wait_us / 1000 + (wait_us % 1000 != 0), (int64) PG_INT32_MAX);
}

/*
 * spillpool.tail(rel anyelement, after bigint, max_rows int, wait
 * interval): the committed rows with a position after "after", in position
 * order, at most max_rows, and none at or past the first position that may
 * still appear; with a wait, sleeps until a commit when there is none.
 */
Datum
spillpool_tail(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = spillpool_open_rowtype(fcinfo, 0, "spillpool.tail", "...");
	int64		after = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);
	int32		max_rows = PG_ARGISNULL(2) ? 1000 : PG_GETARG_INT32(2);
	int64		wait_ms = tail_check_limits(max_rows, PG_ARGISNULL(3) ? NULL :
											PG_GETARG_INTERVAL_P(3));
	uint64		last;

	if (after < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("position must not be negative")));
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	(void) tail_rows(rel, (uint64) after, max_rows, wait_ms, rsinfo->setResult,
					 rsinfo->setDesc, &last);
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/*
 * spillpool.position_lag(rel regclass, position bigint): the committed
 * rows after the position, for the consumers view.  NULL for a table the
 * caller may not read.
 */
Datum
spillpool_position_lag(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	int64		after = PG_GETARG_INT64(1);
	Relation	rel;
	int64		n;

	/* nothing about a table the caller may not read, or reads under RLS */
	if (!relid_is_spillpool(relid) ||
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
		check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		PG_RETURN_NULL();
	rel = spillpool_open_checked(relid, false);
	n = tail_count_after(rel, (uint64) Max(after, 0));
	table_close(rel, AccessShareLock);
	PG_RETURN_INT64(n);
}
