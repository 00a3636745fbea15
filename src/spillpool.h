/*-------------------------------------------------------------------------
 *
 * spillpool.h
 *	  Declarations shared by the spillpool modules.
 *
 * spillpool keeps the rows of a spill-backed table in three tiers: the
 * committing backend's pending batch (local memory and a private file), the
 * table's memtable in shared memory, and the table's segment files under
 * $PGDATA/spillpool/<database oid>/<relfilenode>/seg/.  Every tier stores
 * rows in one format, a "row record": an 8-byte SpillRowHeader followed by a
 * MinimalTuple whose varlena values are all inline (never TOAST pointers),
 * padded to MAXALIGN.  A run of row records is a "batch"; batches move
 * between tiers by memcpy, and segment blocks hold compressed batches.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_H
#define SPILLPOOL_H

#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/transam.h"
#include "executor/tuptable.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/fd.h"
#include "storage/lwlock.h"
#include "storage/relfilenode.h"
#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"
#include "utils/dsa.h"
#include "utils/timestamp.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/snapshot.h"

#define SPILLPOOL_VERSION_STR "0.2"

/* ---------------------------------------------------------------------
 * Settings (spillpool.c)
 * ---------------------------------------------------------------------
 */
extern int	spillpool_memory_mb;
extern int	spillpool_max_tables;
extern int	spillpool_max_disk_size_mb;
extern int	spillpool_flush_naptime_ms;
extern bool spillpool_loaded;

/* Fails with a hint when the library was not preloaded. */
extern void spillpool_require_preload(void);

/* Opens a spillpool table after checking SELECT (or ownership) (functions.c). */
extern Relation spillpool_open_checked(Oid relid, bool need_owner);

/* ---------------------------------------------------------------------
 * Compression (compress.c)
 * ---------------------------------------------------------------------
 */
typedef enum SpillCodec
{
	SPILL_CODEC_NONE = 0,
	SPILL_CODEC_LZ4 = 1,
	SPILL_CODEC_ZSTD = 2
} SpillCodec;

extern bool codec_from_name(const char *name, SpillCodec *codec);
extern const char *codec_name(SpillCodec codec);
extern size_t codec_compress_bound(SpillCodec codec, size_t raw_len);
extern size_t codec_compress(SpillCodec codec, int level, const char *src,
							 size_t src_len, char *dst, size_t dst_cap);
extern void codec_decompress(SpillCodec codec, const char *src, size_t src_len,
							 char *dst, size_t raw_len, const char *what);

/* ---------------------------------------------------------------------
 * Per-table options (options.c)
 * ---------------------------------------------------------------------
 */
typedef enum SpillDurability
{
	SPILL_DURABILITY_COMMIT = 0,
	SPILL_DURABILITY_NONE = 1
} SpillDurability;

typedef struct SpillOptions
{
	int64		memory_limit;	/* bytes */
	int64		max_file_size;	/* bytes, compressed on disk */
	SpillCodec	spill_codec;
	SpillCodec	shard_codec;
	int			compression_level;
	int64		flush_rows;
	int64		flush_bytes;
	int64		flush_interval_ms;
	int64		max_disk_size;	/* bytes, -1 = unlimited */
	SpillDurability durability;
} SpillOptions;

/* defaults for the per-table options, settable as GUCs */
extern int	spillpool_default_memory_limit_kb;
extern int	spillpool_default_max_file_size_kb;
extern int	spillpool_default_spill_codec;
extern int	spillpool_default_shard_codec;
extern int	spillpool_default_compression_level;
extern int	spillpool_default_flush_rows;
extern int	spillpool_default_flush_bytes_kb;
extern int	spillpool_default_flush_interval_s;
extern int	spillpool_default_max_disk_size_mb;
extern int	spillpool_default_durability;

extern const struct config_enum_entry spill_codec_options[];
extern const struct config_enum_entry spill_durability_options[];

extern void options_get(Relation rel, SpillOptions *opts);
extern void options_invalidate(Oid relid);
extern void options_forget_relation(Oid relid);
extern void options_init(void);

/* ---------------------------------------------------------------------
 * Row records
 * ---------------------------------------------------------------------
 */
typedef struct SpillRowHeader
{
	uint32		len;			/* length of the MinimalTuple that follows */
	CommandId	cid;			/* inserting command; meaningful while pending */
} SpillRowHeader;

#define ROW_RECORD_SIZE(tuplen) \
	(MAXALIGN(sizeof(SpillRowHeader)) + MAXALIGN(tuplen))
#define ROW_RECORD_TUPLE(rec) \
	((MinimalTuple) ((char *) (rec) + MAXALIGN(sizeof(SpillRowHeader))))

/* ---------------------------------------------------------------------
 * Shared state of one table (memtable.c)
 * ---------------------------------------------------------------------
 */
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
	uint64		seq;			/* per-table batch sequence number */
	FullTransactionId fxid;		/* top-level transaction of the rows */
	bool		committed;		/* hint: xid known committed */
	bool		owner_active;	/* its transaction has not ended yet */
	bool		needs_write;	/* durability 'commit': written after commit */
	bool		aborted;		/* xid aborted after PRE_COMMIT */
	bool		on_disk;		/* a copy is in a segment file */
	bool		writing;		/* being written out by some backend */
	bool		flushing;		/* memory-only rows a flush is taking */
	bool		flushed;		/* its rows are in a shard: skip, free */
	uint32		nrows;
	uint32		data_len;		/* bytes of row records that follow */
	/* row records follow, MAXALIGNed */
} MemBatch;

#define MEMBATCH_DATA(b) ((char *) (b) + MAXALIGN(sizeof(MemBatch)))

/* Rows that exist in this batch only: not on disk, in a shard or aborted. */
#define MEMBATCH_MEMORY_ONLY(b) (!(b)->on_disk && !(b)->aborted && !(b)->flushed)

typedef struct SpillTable
{
	SpillTableKey key;			/* hash key: must be first */
	bool		loaded;			/* on-disk state read since startup */
	bool		dropped;		/* table gone; files being removed */

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
	uint64		next_seq;

	/* segments, protected by lock; written under write_lock */
	uint32		seg_first;		/* oldest segment number present */
	uint32		seg_active;		/* segment being appended to */
	bool		seg_active_exists;	/* the active file has been created */
	int64		seg_active_size;	/* bytes of blocks in the active file */
	int64		seg_active_alloc;	/* its size on disk, zero-filled past the blocks */
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
	bool		flushing;		/* a flush of this table is running */
	uint64		snapshot_id;	/* current snapshot, 0 before the first flush */
	uint32		flush_seg;		/* segment blocks before (flush_seg, */
	int64		flush_off;		/* flush_off) are in shards */
	TimestampTz unflushed_since;	/* first row not yet flushed, 0 if none */
	TimestampTz last_flush;		/* 0 if never */
	int64		flushes;
	int64		shards;
	int64		shard_rows;
	int64		shard_bytes;
	uint32		delete_below;	/* flushed segment files still to remove */
	pg_atomic_uint32 readers_cur;	/* scans that started after the last
									 * flush (added under the shared lock) */
	int			readers_old;	/* scans that may still read flushed files */

	LWLock		lock;			/* the fields above */
	LWLock		write_lock;		/* appends to segment files, like WALWriteLock */
	LWLock		sync_lock;		/* group fsync of segment files */
	ConditionVariable batch_cv; /* a batch became durable or was freed */
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
extern SpillTable *spilltable_lookup_locked(Oid dbid, Oid relfilenode);
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
extern void memtable_free_flushed_locked(SpillTable *tab);
extern int	memtable_claim_committed(SpillTable *tab, MemBatch ***out);
extern void memtable_shutdown_dump(void);
extern void memtable_sync_all(void);

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
	int64		pin_gen;		/* flush count when pinned: see scan_unpin */
} ScanStart;

extern void memtable_copy(SpillTable *tab, MemtableCopy *copy, ScanStart *start);
extern int	memtable_copy_find(MemtableCopy *copy, uint64 seq);

/* ---------------------------------------------------------------------
 * Segment files (segment.c)
 * ---------------------------------------------------------------------
 */
#define SEGMENT_BLOCK_MAGIC		0x42504C53	/* "SLPB" */
#define SEGMENT_FORMAT_VERSION	1
#define SEGMENT_BLOCK_COMMITTED 0x01	/* written after commit: visible */
#define SEGMENT_BLOCK_RAW_TARGET (1024 * 1024)
#define SEGMENT_PREALLOC_CHUNK	(256 * 1024)

typedef struct SegmentBlockHeader
{
	uint32		magic;
	uint16		version;
	uint8		codec;
	uint8		flags;
	uint32		raw_len;
	uint32		comp_len;		/* bytes of payload after the header */
	uint32		nrows;
	uint32		reserved;
	uint64		fxid;			/* FullTransactionId of the rows */
	uint64		seq;			/* memtable batch seq, 0 if none */
	pg_crc32c	crc;			/* CRC32C of header (crc = 0) and payload */
	uint32		reserved2;
} SegmentBlockHeader;

/* A compressed block ready to write: header and payload, contiguous. */
typedef struct SegmentBlock
{
	SegmentBlockHeader hdr;		/* a copy of the header at the start of buf */
	char	   *buf;
	size_t		len;
} SegmentBlock;

extern void segment_dir_path(char *path, Oid dbid, Oid relfilenode);
extern void segment_table_dir_path(char *path, Oid dbid, Oid relfilenode);
extern void segment_file_path(char *path, Oid dbid, Oid relfilenode, uint32 segno);
extern void segment_build_block(SegmentBlock *blk, SpillCodec codec, int level,
								const char *raw, uint32 raw_len, uint32 nrows,
								FullTransactionId fxid, uint64 seq, uint8 flags);
extern void segment_load(SpillTable *tab);
#define SEGMENT_APPEND_PANIC		0x01	/* after commit: failure is a PANIC */
#define SEGMENT_APPEND_CHECK_QUOTA	0x02	/* fail with DISK_FULL past a limit */
extern void segment_append_blocks(SpillTable *tab, SegmentBlock *blocks, int nblocks,
								  int flags, uint32 *end_seg, int64 *end_off);
extern void segment_forget_files(Oid dbid, Oid relfilenode);
extern void segment_close_cached(Oid dbid, Oid relfilenode, uint32 segno);
extern bool segment_finish_if_at(SpillTable *tab, uint32 seg, int64 off);
extern bool segment_write_at_shutdown(SpillTable *tab, SegmentBlock *blocks, int nblocks);
extern void segment_private_path(char *path, Oid dbid, Oid relfilenode);
extern void segment_sync_to(SpillTable *tab, uint32 seg, int64 off, bool panic_on_error);
extern void segment_commit_flush(SpillTable *tab, MemBatch *mine);
extern void segment_reserve_quota(SpillTable *tab, int64 add_bytes);
extern int64 segment_quota_used(SpillTable *tab);
extern void segment_release_quota(SpillTable *tab, int64 bytes);
extern void segment_adopt_file(SpillTable *tab, const char *private_path,
							   int64 file_size, int64 nrows, int64 raw_bytes);

/* Reads the blocks of one segment file in order. */
typedef struct SegmentReader
{
	File		file;
	char		path[MAXPGPATH];
	int64		off;
	int64		block_off;		/* offset of the last header read */
	int64		end;			/* stop here */
	int64		data_end;		/* where preallocated zeros begin */
	char	   *comp;
	size_t		comp_cap;
	char	   *raw;
	size_t		raw_cap;
	size_t		raw_len;		/* rows of the last block read */
	bool		torn_tail;		/* the last error was a block running to EOF */
} SegmentReader;

extern bool segment_reader_open(SegmentReader *rd, const char *path, int64 end,
								bool missing_ok);
extern bool segment_reader_next(SegmentReader *rd, SegmentBlockHeader *hdr,
								bool want_payload);
extern void segment_reader_payload(SegmentReader *rd, const SegmentBlockHeader *hdr);
extern void segment_reader_close(SegmentReader *rd);

/* ---------------------------------------------------------------------
 * Manifest, snapshots and shards (manifest.c)
 * ---------------------------------------------------------------------
 */
typedef struct ManifestSnapshot
{
	uint64		id;
	TimestampTz commit_time;
	int64		rows;
	int			nshards;
} ManifestSnapshot;

typedef struct ManifestShard
{
	uint64		snapshot;
	int			n;				/* file <snapshot>-<n>.parquet */
	int64		rows;
	int64		bytes;
	SpillCodec	codec;
	int			row_groups;
} ManifestShard;

typedef struct Manifest
{
	uint32		flush_seg;		/* segment blocks before (flush_seg, */
	int64		flush_off;		/* flush_off) are in shards */
	int			nsnapshots;
	ManifestSnapshot *snapshots;	/* ascending ids */
	int			nshards;
	ManifestShard *shards;		/* by snapshot, then n */
} Manifest;

extern void manifest_path(char *path, Oid dbid, Oid relfilenode, bool temp);
extern void shard_dir_path(char *path, Oid dbid, Oid relfilenode);
extern void shard_file_path(char *path, Oid dbid, Oid relfilenode, uint64 snapshot, int n);
extern void manifest_init(Manifest *m);
extern bool manifest_read(Oid dbid, Oid relfilenode, Manifest *m);
extern void manifest_write(Oid dbid, Oid relfilenode, const Manifest *m);
extern uint64 manifest_latest_snapshot(const Manifest *m);
extern const Manifest *manifest_get(Oid dbid, Oid relfilenode, uint64 snapshot_id);
extern void manifest_forget(Oid dbid, Oid relfilenode);
extern void manifest_remove_leftovers(Oid dbid, Oid relfilenode, const Manifest *m);

/* ---------------------------------------------------------------------
 * Writing shards (shard_write.c)
 * ---------------------------------------------------------------------
 */
/*
 * How a column is stored in a shard; recorded per column in the shard's
 * key-value metadata ("spillpool.columns") so that reads map it back.
 */
typedef enum ShardKind
{
	SK_BOOL = 1,
	SK_INT2,
	SK_INT4,
	SK_INT8,
	SK_FLOAT4,
	SK_FLOAT8,
	SK_TEXT,					/* text, varchar, bpchar: STRING */
	SK_BYTEA,
	SK_DATE,
	SK_TIMESTAMP,
	SK_TIMESTAMPTZ,
	SK_UUID,
	SK_JSON,
	SK_JSONB,
	SK_NUMERIC,					/* numeric(p <= 38, s): DECIMAL */
	SK_TEXTFORM					/* any other type: its text form */
} ShardKind;

typedef struct ShardWriter ShardWriter;

extern int	spillpool_max_shard_size_mb;
extern int	spillpool_shard_row_group_rows;

extern ShardWriter *shard_writer_begin(Relation rel, Oid dbid, Oid relfilenode,
									   uint64 snapshot, SpillCodec codec, int level);
extern void shard_writer_add(ShardWriter *sw, MinimalTuple tup);
extern int	shard_writer_finish(ShardWriter *sw, ManifestShard **shards);
extern void shard_writer_abort(ShardWriter *sw);

/* ---------------------------------------------------------------------
 * Reading shards (shard_read.c)
 * ---------------------------------------------------------------------
 */

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

/* Decimal helpers shared with read_parquet.c */
extern Datum parquet_decimal_to_numeric(int128 unscaled, int scale);
extern int128 parquet_be_bytes_to_int128(const uint8 *p, uint32 len, const char *colname);

/* ---------------------------------------------------------------------
 * Flushing (flush.c)
 * ---------------------------------------------------------------------
 */
extern char *spillpool_debug_crash_at;

extern int64 flush_table(Relation rel, bool only_if_due, bool *done);
extern bool flush_is_due(SpillTable *tab, TimestampTz now);
extern void flush_remove_segments(SpillTable *tab);
extern void flush_fault_point(const char *step);
extern void flush_load_state(SpillTable *tab, const Manifest *m);

/* ---------------------------------------------------------------------
 * Pending batches of the current transaction (pending.c)
 * ---------------------------------------------------------------------
 */
/*
 * A transaction keeps at most min(memory_limit, this) of its rows in
 * memory; the rest goes to its private file.
 */
#define PENDING_BUFFER_MAX		(16 * 1024 * 1024)

typedef struct PendingTable PendingTable;

extern PendingTable *pending_for_rel(Relation rel, bool create);
extern void pending_append_slot(PendingTable *pt, Relation rel, TupleTableSlot *slot,
								CommandId cid);
extern void pending_pre_commit(void);
extern void pending_commit(void);
extern void pending_abort(void);
extern void pending_subxact_commit(SubTransactionId subid, SubTransactionId parent);
extern void pending_subxact_abort(SubTransactionId subid);
extern bool pending_any(void);
extern void pending_forget_rel(Relation rel);

/* Iterates this transaction's own pending rows of one table. */
typedef struct PendingReader
{
	PendingTable *pt;
	SegmentReader file;
	bool		file_open;
	int			next_file;		/* private files fixed at the start */
	int			nfiles;
	char	  **paths;
	int64	   *sizes;
	char	   *buf;			/* copy of the in-memory rows */
	int64		buf_len;
	int64		limit;			/* rows to return at most */
	int64		returned;
	int			cuts_seen;		/* savepoint rollbacks already applied */
	char	   *pos;
	char	   *block_end;
	bool		in_memory;
} PendingReader;

extern void pending_reader_begin(PendingReader *rd, Relation rel);
extern SpillRowHeader *pending_reader_next(PendingReader *rd);
extern void pending_reader_end(PendingReader *rd);

/* ---------------------------------------------------------------------
 * Files and cleanup (storage.c)
 * ---------------------------------------------------------------------
 */
extern void storage_create_table_dir(Oid dbid, Oid relfilenode);
extern void storage_remove_table_dir(Oid dbid, Oid relfilenode);
extern void storage_schedule_unlink(Oid dbid, Oid relfilenode, bool at_commit);
extern bool storage_has_pending_unlinks(void);
extern void storage_at_xact_end(bool commit);
extern void storage_at_subxact_end(bool commit, SubTransactionId subid,
								   SubTransactionId parent);
extern void storage_remove_orphans(void);
extern void storage_init(void);

/* ---------------------------------------------------------------------
 * Table access method (tableam.c) and transactions (xact.c)
 * ---------------------------------------------------------------------
 */
extern bool rel_is_spillpool(Relation rel);
extern bool relid_is_spillpool(Oid relid);
extern void xact_init(void);
extern void tableam_init(void);

/* Row visibility shared by the scan and the time-travel functions. */
extern bool spill_xid_visible(TransactionId xid, bool committed_hint, Snapshot snapshot);
extern bool spill_fxid_frozen(FullTransactionId fxid);

/* Scans with projection and row-group filters (the custom scan). */
extern void spillpool_scan_set_projection(TableScanDesc scan, Bitmapset *attrs,
										  List *filters, ShardScanCounters *counters);
extern void spillpool_scan_set_snapshot_id(TableScanDesc scan, uint64 snapshot_id);
extern void scan_unpin(SpillTable *tab, int64 gen);
extern void customscan_init(void);
struct PlannerInfo;
struct RelOptInfo;
struct RangeTblEntry;
extern void customscan_add_path(struct PlannerInfo *root, struct RelOptInfo *rel,
								struct RangeTblEntry *rte);
extern bool spillpool_enable_custom_scan;

/* ---------------------------------------------------------------------
 * Background worker (bgworker.c)
 * ---------------------------------------------------------------------
 */
extern void bgworker_register(void);

#endif							/* SPILLPOOL_H */
