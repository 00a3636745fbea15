/*-------------------------------------------------------------------------
 *
 * memtable.h
 *	  The shared state of each table and its memtable of batches.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_MEMTABLE_H
#define SPILLPOOL_MEMTABLE_H

#include "access/transam.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/lwlock.h"
#include "utils/dsa.h"
#include "utils/timestamp.h"
#include "tier/options.h"

/*
 * Waits for a batch that another backend is writing out: each is one sleep
 * on the table's batch condition variable of this many milliseconds, and an
 * eviction gives up after this many (the memtable overshoots its limit a
 * little rather than stall ingest).
 */
#define MEMTABLE_BATCH_WAIT_MS	10
#define MEMTABLE_EVICT_MAX_WAITS 50

typedef struct SpillTableKey
{
	Oid			dbid;
	Oid			relfilenode;
} SpillTableKey;

/*
 * A memtable batch: the rows one transaction committed, in insertion order.
 * Lives in the shared DSA area; batches form a FIFO list per table.
 */
typedef struct MemBatch
{
	dsa_pointer next;
	uint64		seq;			/* position of its first row: batches in
								 * the list have ascending seqs */
	FullTransactionId fxid;		/* top-level transaction of the rows */
	bool		committed;		/* hint: xid known committed */
	bool		owner_active;	/* its transaction has not ended yet */
	bool		needs_write;	/* durability 'commit': written after commit */
	bool		aborted;		/* xid aborted after PRE_COMMIT */
	bool		on_disk;		/* a copy is in a segment file */
	bool		writing;		/* being written out by some backend */
	bool		flush_taken;	/* memory-only rows a running flush has taken */
	bool		in_shard;		/* its rows are in a shard: skip, free */
	uint32		nrows;
	uint32		data_len;		/* bytes of row records that follow */
	/* row records follow, MAXALIGNed */
} MemBatch;

#define MEMBATCH_DATA(b) ((char *) (b) + MAXALIGN(sizeof(MemBatch)))

/* Rows that exist in this batch only: not on disk, in a shard or aborted. */
#define MEMBATCH_MEMORY_ONLY(b) (!(b)->on_disk && !(b)->aborted && !(b)->in_shard)

typedef struct SpillTable
{
	SpillTableKey key;			/* hash key: must be first */
	bool		loaded;			/* on-disk state read since startup */
	bool		dropped;		/* table gone; files being removed */
	int			pins;			/* users without the relation open (the
								 * launcher): DROP waits for them; under lock */

	/* effective options, refreshed by every writer */
	Oid			relid;			/* for messages */
	int64		max_disk_size;
	SpillCodec	spill_codec;
	int			compression_level;
	SpillDurability durability;
	int64		memory_limit;
	int64		max_file_size;

	/* memtable, protected by lock */
	dsa_pointer mem_head;		/* oldest batch */
	dsa_pointer mem_tail;		/* newest batch */
	dsa_pointer write_cursor;	/* no batch before it waits for its block */
	int64		mem_bytes;
	int64		mem_rows;
	int64		mem_batches;

	/*
	 * Row positions (tier/position.c), protected by lock: the next one to
	 * hand out, the bound below which positions may be handed out because
	 * the positions file already says so (pos_floor, written under
	 * pos_lock), the first position of an adoption under way (0 if none:
	 * its rows are not yet readable, so tail stops before them) and the
	 * position of the first unflushed row in a segment block written before
	 * positions were stored (legacy_next, 0 if there is none).
	 */
	uint64		next_pos;
	uint64		pos_floor;
	uint64		adopt_pos;
	uint64		legacy_next;

	/* segments, protected by lock; written under write_lock */
	uint32		seg_first;		/* oldest segment number present */
	uint32		seg_active;		/* segment being appended to */
	bool		seg_active_exists;	/* the active file has been created */
	int64		seg_active_size;	/* bytes of blocks in the active file */
	int64		seg_active_alloc;	/* its size on disk, zero-filled past the blocks */
	int64		seg_promised;	/* zero-filled room of the active file promised
								 * to committers between PRE_COMMIT and their
								 * commit write (segment_promise_room) */
	bool		seg_closing;	/* the active file is being finished: no
								 * room is promised in it any more */
	int64		seg_files;
	int64		seg_rows;
	int64		seg_bytes;		/* on-disk bytes of all segment files */
	int64		seg_raw_bytes;
	int64		reserved_bytes; /* private files and pending commit writes */
	uint32		load_seg;		/* blocks before (load_seg, load_off) were */
	int64		load_off;		/* written before this server started */
	uint32		synced_seg;		/* everything before (synced_seg, synced_off) */
	int64		synced_off;		/* is known to be fsynced */

	/* flushing, protected by lock */
	int64		flush_rows;		/* thresholds (options), for the launcher */
	int64		flush_bytes;
	int64		flush_interval_ms;
	bool		flush_requested;	/* a writer hit a disk limit: flush soon */
	TimestampTz flush_retry_after;	/* a flush failed: not due before this */
	bool		flush_running;	/* a flush of this table is running */
	uint64		snapshot_id;	/* current snapshot, 0 before the first flush */
	uint64		oldest_snapshot;	/* time travel to snapshots below it
									 * fails: they expired */
	uint32		flush_seg;		/* segment blocks before (flush_seg, */
	int64		flush_off;		/* flush_off) are in shards */
	TimestampTz unflushed_since;	/* first row not yet flushed, 0 if none */
	TimestampTz last_flush;		/* 0 if never */
	int64		flushes;
	int64		shards;
	int64		shard_rows;
	int64		shard_bytes;
	uint32		delete_below;	/* flushed segment files still to remove */
	bool		expire_pending; /* an expiry's second step waits for scans
								 * that started before it (expire.c) */
	pg_atomic_uint32 readers_cur;	/* scans that started after the last
									 * retirement (added under the shared
									 * lock) */
	int			readers_old;	/* scans that may still read files a flush
								 * emptied or an expiry unlisted */
	int64		pin_generation; /* retirements so far (pins record it) */

	LWLock		lock;			/* the fields above */
	LWLock		write_lock;		/* appends to segment files, like WALWriteLock */
	LWLock		sync_lock;		/* group fsync of segment files */
	LWLock		pos_lock;		/* writes of the positions file */
	ConditionVariable batch_cv; /* a batch became durable or was freed, a
								 * transaction that handed rows over ended */
} SpillTable;

/*
 * Global shared state: the table hash lives beside it, the DSA area holding
 * all memtable batches right after it.
 */
typedef struct SpillShared
{
	LWLock	   *hash_lock;		/* the table hash (lookups, inserts, deletes) */
	int			ntables;		/* entries in the hash, under hash_lock */
	pg_atomic_uint64 disk_bytes;	/* all tables' segment + reserved bytes */
	int			dsa_tranche;
	int			table_tranche;
	Size		dsa_size;
	/* DSA area follows, MAXALIGNed */
} SpillShared;

extern SpillShared *spill_shared;

extern Size memtable_shmem_size(void);
extern void memtable_shmem_init(void);
extern dsa_area *memtable_area(void);
extern SpillTable *spilltable_lookup(Oid dbid, Oid relfilenode, bool create);
extern SpillTable *spilltable_for_rel(Relation rel);
extern SpillTable *spilltable_pin(const SpillTableKey *key);
extern void spilltable_unpin(SpillTable *tab);
extern int64 spilltable_pin_segments_locked(SpillTable *tab);
extern void spilltable_unpin_segments(SpillTable *tab, int64 gen);
extern void spilltable_retire_segment_pins_locked(SpillTable *tab);
extern int	spilltable_collect_keys(Oid dbid, SpillTableKey *keys);
extern void spilltable_refresh_options(SpillTable *tab, Relation rel, const SpillOptions *opts);
extern void spilltable_forget(Oid dbid, Oid relfilenode);
extern void spilltable_forget_database(Oid dbid);
extern MemBatch *memtable_append(SpillTable *tab, FullTransactionId fxid,
								 const char *data, uint32 data_len,
								 uint32 nrows, bool needs_write, uint64 *seq);
extern void memtable_mark_batch(SpillTable *tab, MemBatch *b, bool committed,
								bool aborted, bool on_disk, bool release);
extern void memtable_spill_all(SpillTable *tab);

/*
 * The batches of a table, oldest first; caller holds tab->lock:
 *	for (b = memtable_first(tab); b != NULL; b = memtable_next(b))
 */
static inline MemBatch *
memtable_batch_at(dsa_pointer dp)
{
	return DsaPointerIsValid(dp) ? (MemBatch *) dsa_get_address(memtable_area(), dp) : NULL;
}

static inline MemBatch *
memtable_first(SpillTable *tab)
{
	return memtable_batch_at(tab->mem_head);
}

static inline MemBatch *
memtable_next(MemBatch *b)
{
	return memtable_batch_at(b->next);
}

/*
 * The segment range not yet in shards: from the flushed position to the
 * current end of the active segment, what scans and flushes start from.
 * Caller holds tab->lock.
 */
static inline void
spilltable_unflushed_range(SpillTable *tab, uint32 *first_seg, int64 *first_off,
						   uint32 *end_seg, int64 *end_off)
{
	*first_seg = tab->flush_seg;
	*first_off = tab->flush_off;
	*end_seg = tab->seg_active;
	*end_off = tab->seg_active_exists ? tab->seg_active_size : 0;
}

/* What a flush needs of the memtable (callers hold tab->lock, exclusively to change it) */
extern void memtable_memory_only_locked(SpillTable *tab, int64 *rows, int64 *bytes);
extern int	memtable_take_for_flush_locked(SpillTable *tab, MemBatch **out, int cap);
extern void memtable_return_from_flush(SpillTable *tab, MemBatch **batches, int n);
extern int	memtable_seq_cmp(const void *a, const void *b);
extern void memtable_mark_flushed_locked(SpillTable *tab, MemBatch **taken, int ntaken,
										 const uint64 *seqs, int nseqs);
extern int	memtable_claim_committed(SpillTable *tab, MemBatch ***out);
extern void memtable_end_claim_locked(MemBatch **batches, int n, bool written);

/* A backend-local copy of a table's memtable, taken at scan start. */
typedef struct MemtableCopy
{
	int			nbatches;
	uint64	   *seqs;			/* ascending */
	FullTransactionId *fxids;
	bool	   *committed;
	bool	   *consumed;		/* already returned by the scan */
	char	  **data;
	uint32	   *data_len;
	uint32	   *nrows;
} MemtableCopy;

/* What a scan captures together with the memtable copy. */
typedef struct ScanStart
{
	uint32		seg_first;		/* first segment with unflushed blocks */
	int64		seg_first_off;	/* its first unflushed block */
	uint32		seg_end;		/* active segment at the time */
	int64		seg_end_off;	/* its size then */
	uint64		snapshot_id;	/* shards of snapshots up to this one */
	uint64		oldest_snapshot;	/* time travel below it fails */
	int64		pin_gen;		/* see spilltable_pin_segments_locked */
} ScanStart;

extern void memtable_copy(SpillTable *tab, MemtableCopy *copy, ScanStart *start);
extern int	memtable_copy_find(MemtableCopy *copy, uint64 seq);

#endif							/* SPILLPOOL_MEMTABLE_H */
