/*-------------------------------------------------------------------------
 *
 * segment.c
 *	  Segment files: the block format, appending with rotation, group fsync,
 *	  disk quotas, loading after a restart, and reading.
 *
 * A table's segments live in $PGDATA/spillpool/<db>/<relfilenode>/seg/ as
 * <number>.seg, numbered upwards; a file is finished once its compressed
 * on-disk size would pass max_file_size, and the next one is created when
 * the next block is written.  A block is a SegmentBlockHeader (magic,
 * version, codec, lengths, row count, full xid, memtable seq, CRC32C of
 * header and payload) followed by the compressed row records.
 *
 * Appends are serialized by the table's write_lock, which plays the part of
 * WALWriteLock: the block is fully built and compressed before the lock is
 * taken, and a failed write is cut back off before the lock is released.
 * fsync is grouped: a committer that finds its block already synced by
 * another returns at once (LWLockAcquireOrWait, as XLogFlush does).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "common/file_perm.h"
#include "miscadmin.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"
#include "pgstat.h"

#include "spillpool.h"
#include "tier/segment.h"
#include "tier/compress.h"
#include "tier/position.h"
#include "tier/fault.h"
#include "tier/manifest.h"
#include "tier/memtable.h"
#include "tier/storage.h"

/* Backend-local cache of open segment files, for appending and fsync. */
typedef struct SegmentFileKey
{
	Oid			dbid;
	Oid			relfilenode;
	uint32		segno;
} SegmentFileKey;

typedef struct SegmentFileEntry
{
	SegmentFileKey key;
	File		file;
} SegmentFileEntry;

static HTAB *segment_files = NULL;

/*
 * How often a committer waits 1 ms for others to write the room they hold
 * in a full active file before it takes room past max_file_size instead.
 */
#define SEGMENT_ROOM_TRIES			100

static bool segment_rest_is_zero(SegmentReader *rd, int64 off);
static bool segment_reader_check_payload(SegmentReader *rd, const SegmentBlockHeader *hdr);

/* $PGDATA-relative directory of a table's files. */
void
segment_table_dir_path(char *path, Oid dbid, Oid relfilenode)
{
	snprintf(path, MAXPGPATH, "spillpool/%u/%u", dbid, relfilenode);
}

/* $PGDATA-relative directory of a table's segment files. */
void
segment_dir_path(char *path, Oid dbid, Oid relfilenode)
{
	snprintf(path, MAXPGPATH, "spillpool/%u/%u/seg", dbid, relfilenode);
}

/* $PGDATA-relative path of one segment file. */
void
segment_file_path(char *path, Oid dbid, Oid relfilenode, uint32 segno)
{
	snprintf(path, MAXPGPATH, "spillpool/%u/%u/seg/%010u.seg", dbid, relfilenode, segno);
}

/*
 * A new private file name for this backend's transaction: it collects the
 * transaction's rows once they outgrow memory, and becomes a segment at
 * commit (segment_adopt_file).
 */
void
segment_private_path(char *path, Oid dbid, Oid relfilenode)
{
	static uint32 counter = 0;

	snprintf(path, MAXPGPATH, "spillpool/%u/%u/seg/tmp-%d-%u.seg",
			 dbid, relfilenode, MyProcPid, ++counter);
}

/*
 * CRC32C of a block.  Version 1: its header with crc = 0, then the payload.
 * Version 2: the payload alone, since the header has its own CRC (which
 * covers this one), so that the header can be rewritten without reading
 * the payload (segment_stamp_positions).
 */
static pg_crc32c
segment_block_crc(const SegmentBlockHeader *hdr, const char *payload)
{
	SegmentBlockHeader h = *hdr;
	pg_crc32c	crc;

	h.crc = 0;
	INIT_CRC32C(crc);
	if (hdr->version < 2)
		COMP_CRC32C(crc, &h, sizeof(h));
	COMP_CRC32C(crc, payload, hdr->comp_len);
	FIN_CRC32C(crc);
	return crc;
}

/*
 * CRC32C of a block's header alone, with hdr_crc = 0; in version 1 with
 * crc = 0 too.
 */
static pg_crc32c
segment_header_crc(const SegmentBlockHeader *hdr)
{
	SegmentBlockHeader h = *hdr;
	pg_crc32c	crc;

	if (hdr->version < 2)
		h.crc = 0;
	h.hdr_crc = 0;
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, &h, sizeof(h));
	FIN_CRC32C(crc);
	return crc;
}

/*
 * Compresses a run of row records into a block ready to write.  Stores the
 * rows uncompressed when compression would not make them smaller.
 */
void
segment_build_block(SegmentBlock *blk, SpillCodec codec, int level,
					const char *raw, uint32 raw_len, uint32 nrows,
					FullTransactionId fxid, uint64 seq, uint8 flags)
{
	size_t		cap = codec_compress_bound(codec, raw_len);
	size_t		clen;
	SegmentBlockHeader *hdr;

	/* a row or two does not compress; spare the codec's set-up cost */
	if (raw_len < 256)
		codec = SPILL_CODEC_NONE;
	blk->buf = palloc(sizeof(SegmentBlockHeader) + Max(cap, raw_len));
	clen = codec_compress(codec, level, raw, raw_len,
						  blk->buf + sizeof(SegmentBlockHeader), cap);
	if (codec != SPILL_CODEC_NONE && clen >= raw_len)
	{
		codec = SPILL_CODEC_NONE;
		memcpy(blk->buf + sizeof(SegmentBlockHeader), raw, raw_len);
		clen = raw_len;
	}
	hdr = &blk->hdr;
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = SEGMENT_BLOCK_MAGIC;
	hdr->version = SEGMENT_FORMAT_VERSION;
	hdr->codec = (uint8) codec;
	hdr->flags = flags;
	hdr->raw_len = raw_len;
	hdr->comp_len = (uint32) clen;
	hdr->nrows = nrows;
	hdr->fxid = U64FromFullTransactionId(fxid);
	hdr->seq = seq;
	hdr->crc = segment_block_crc(hdr, blk->buf + sizeof(SegmentBlockHeader));
	hdr->hdr_crc = segment_header_crc(hdr);
	memcpy(blk->buf, hdr, sizeof(*hdr));
	blk->len = sizeof(SegmentBlockHeader) + clen;
}

/* Opens (and caches) a segment file of a table for writing or fsync. */
static File
segment_open_cached(Oid dbid, Oid relfilenode, uint32 segno, bool create)
{
	SegmentFileKey key;
	SegmentFileEntry *ent;
	bool		found;
	char		path[MAXPGPATH];

	if (segment_files == NULL)
		segment_files = spillpool_local_hash("spillpool segment files", 64, sizeof(SegmentFileKey),
										 sizeof(SegmentFileEntry), TopMemoryContext);
	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.relfilenode = relfilenode;
	key.segno = segno;
	ent = hash_search(segment_files, &key, HASH_FIND, &found);
	if (found)
		return ent->file;

	/*
	 * Only the active segment is ever written or synced: files of earlier
	 * segments (rotated away by another backend, or since removed) need not
	 * stay open here.
	 */
	{
		HASH_SEQ_STATUS status;
		SegmentFileEntry *old;

		hash_seq_init(&status, segment_files);
		while ((old = hash_seq_search(&status)) != NULL)
		{
			if (old->key.dbid == dbid && old->key.relfilenode == relfilenode &&
				old->key.segno < segno)
			{
				FileClose(old->file);
				hash_search(segment_files, &old->key, HASH_REMOVE, NULL);
			}
		}
	}

	segment_file_path(path, dbid, relfilenode, segno);
	{
		File		f = PathNameOpenFile(path, O_RDWR | PG_BINARY | (create ? O_CREAT : 0));

		if (f < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open spillpool segment file \"%s\": %m", path)));
		ent = hash_search(segment_files, &key, HASH_ENTER, NULL);
		ent->file = f;
		return f;
	}
}

/* Closes this backend's cached file of one finished segment. */
void
segment_close_cached(Oid dbid, Oid relfilenode, uint32 segno)
{
	SegmentFileKey key;
	SegmentFileEntry *ent;

	if (segment_files == NULL)
		return;
	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.relfilenode = relfilenode;
	key.segno = segno;
	ent = hash_search(segment_files, &key, HASH_FIND, NULL);
	if (ent)
	{
		FileClose(ent->file);
		hash_search(segment_files, &key, HASH_REMOVE, NULL);
	}
}

/*
 * Closes this backend's cached files of a table whose files are being
 * removed, so that no write can reach an unlinked file.
 */
void
segment_forget_files(Oid dbid, Oid relfilenode)
{
	HASH_SEQ_STATUS status;
	SegmentFileEntry *ent;

	if (segment_files == NULL)
		return;
	hash_seq_init(&status, segment_files);
	while ((ent = hash_seq_search(&status)) != NULL)
	{
		if (ent->key.dbid == dbid && ent->key.relfilenode == relfilenode)
		{
			FileClose(ent->file);
			hash_search(segment_files, &ent->key, HASH_REMOVE, NULL);
		}
	}
}

/* Raises an I/O failure as an ERROR, or a PANIC after commit. */
static void
segment_io_failure(int flags, const char *path, const char *what, int save_errno)
{
	errno = save_errno;
	ereport((flags & SEGMENT_APPEND_PANIC) ? PANIC : ERROR,
			(save_errno == ENOSPC ? errcode(ERRCODE_DISK_FULL) : errcode_for_file_access(),
			 errmsg("could not %s spillpool segment file \"%s\": %m", what, path)));
}

/*
 * fdatasync of a segment file.  Enough for durability: the file's size only
 * changes when it is extended (zero-filled ahead, as WAL segments are), and
 * fdatasync flushes a size change with the data.
 */
static int
segment_datasync(File f)
{
	int			rc;

	pgstat_report_wait_start(WAIT_EVENT_DATA_FILE_SYNC);
	rc = pg_fdatasync(FileGetRawDesc(f));
	pgstat_report_wait_end();
	return rc;
}

/*
 * Zero-fills the active segment ahead of the write position, so that a
 * commit's fdatasync writes data only and not the file's size as well.
 * Up to need_end it must succeed (an error otherwise); the chunk beyond it
 * is taken when the file system has room for it.  Caller holds write_lock.
 */
static void
segment_preallocate(SpillTable *tab, File f, int64 need_end, int flags)
{
	static char zeros[BLCKSZ * 8];
	int64		target;
	int64		off = Max(tab->seg_active_alloc, tab->seg_active_size);
	int64		grown;

	/* zeros go past the blocks only, never over them */
	if (need_end <= off)
		return;
	target = Max(need_end, off + SEGMENT_PREALLOC_CHUNK);
	target = Min(target, Max(tab->max_file_size, need_end));
	/*
	 * Preallocation never takes the table past its own disk limit: the
	 * zeros and the data about to be written (need_end - size) together
	 * stay within what the quota leaves.
	 */
	if (tab->max_disk_size >= 0)
		target = Min(target, Max(need_end, need_end +
								 (tab->max_disk_size - segment_quota_used(tab) -
								  (need_end - tab->seg_active_size))));
	while (off < target)
	{
		/* a write ends at need_end, so that what is needed is tried alone */
		int			n = (int) Min((int64) sizeof(zeros), (off < need_end ? need_end : target) - off);

		errno = 0;
		if (FileWrite(f, zeros, n, off, WAIT_EVENT_DATA_FILE_EXTEND) != n)
		{
			int			save_errno = errno ? errno : ENOSPC;

			if (off >= need_end)
			{
				/* what is needed is there; only the extra room is not */
				(void) FileTruncate(f, off, WAIT_EVENT_DATA_FILE_TRUNCATE);
				target = off;
				break;
			}

			(void) FileTruncate(f, tab->seg_active_alloc, WAIT_EVENT_DATA_FILE_TRUNCATE);
			segment_io_failure(flags, FilePathName(f), "extend", save_errno);
		}
		off += n;
	}
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	grown = target - Max(tab->seg_active_alloc, tab->seg_active_size);
	tab->seg_bytes += grown;
	tab->seg_active_alloc = target;
	LWLockRelease(&tab->lock);
	pg_atomic_add_fetch_u64(&spill_shared->disk_bytes, (uint64) grown);
}

/* fsync of a segment directory, so that a new file's name is durable. */
static void
segment_sync_dir(SpillTable *tab, int elevel)
{
	char		dir[MAXPGPATH];

	segment_dir_path(dir, tab->key.dbid, tab->key.relfilenode);
	fsync_fname_ext(dir, true, false, elevel);
}

/*
 * Bytes a table's limits count: its segment data and reservations, not the
 * zeros preallocated past the end of the active file.  Caller holds the
 * table's lock.
 */
int64
segment_quota_used(SpillTable *tab)
{
	return tab->seg_bytes - (tab->seg_active_alloc - tab->seg_active_size) +
		tab->reserved_bytes;
}

/*
 * Reserves disk quota for bytes a transaction will write after it commits,
 * or checks it for bytes written now.  Fails with DISK_FULL, naming the
 * table, the limit and the setting, when the table's max_disk_size or
 * spillpool.max_disk_size would be passed.
 */
void
segment_reserve_quota(SpillTable *tab, int64 add_bytes)
{
	int64		table_used;
	int64		limit = tab->max_disk_size;
	uint64		total;

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	table_used = segment_quota_used(tab);
	if (limit >= 0 && table_used + add_bytes > limit)
	{
		/* a flush frees segment space: ask the background worker for one */
		tab->flush_requested = true;
		LWLockRelease(&tab->lock);
		ereport(ERROR,
				(errcode(ERRCODE_DISK_FULL),
				 errmsg("spillpool table \"%s\" would exceed its max_disk_size of " INT64_FORMAT " bytes",
						get_rel_name(tab->relid) ? get_rel_name(tab->relid) : "?", limit),
				 errdetail("The table's segment files take " INT64_FORMAT " bytes and the write needs " INT64_FORMAT " more.",
						   table_used, add_bytes),
				 errhint("Raise the table's limit with spillpool.alter_table(..., max_disk_size => ...), or flush the table with spillpool.flush(); the background worker has been asked to flush it.")));
	}
	total = pg_atomic_add_fetch_u64(&spill_shared->disk_bytes, (uint64) add_bytes);
	if (spillpool_max_disk_size_mb >= 0 &&
		total > (uint64) spillpool_max_disk_size_mb * 1024 * 1024)
	{
		pg_atomic_sub_fetch_u64(&spill_shared->disk_bytes, (uint64) add_bytes);
		tab->flush_requested = true;
		LWLockRelease(&tab->lock);
		ereport(ERROR,
				(errcode(ERRCODE_DISK_FULL),
				 errmsg("spillpool table \"%s\" would take all spillpool tables past spillpool.max_disk_size of %d MB",
						get_rel_name(tab->relid) ? get_rel_name(tab->relid) : "?",
						spillpool_max_disk_size_mb),
				 errdetail("All spillpool segment files take " UINT64_FORMAT " bytes and the write needs " INT64_FORMAT " more.",
						   total - add_bytes, add_bytes),
				 errhint("Raise spillpool.max_disk_size, or flush spillpool tables.")));
	}
	tab->reserved_bytes += add_bytes;
	LWLockRelease(&tab->lock);
}

/* Returns a reservation made by segment_reserve_quota. */
void
segment_release_quota(SpillTable *tab, int64 bytes)
{
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->reserved_bytes -= bytes;
	LWLockRelease(&tab->lock);
	pg_atomic_sub_fetch_u64(&spill_shared->disk_bytes, (uint64) bytes);
}

/*
 * Makes segno the next segment to append to, not yet created.  Everything
 * before it is durable (finished files are synced, adopted ones renamed
 * durably).  Caller holds the table's lock exclusively.
 */
static void
segment_begin_next_locked(SpillTable *tab, uint32 segno)
{
	tab->seg_active = segno;
	tab->seg_active_exists = false;
	tab->seg_active_size = 0;
	tab->seg_active_alloc = 0;
	tab->seg_closing = false;
	tab->synced_seg = segno;
	tab->synced_off = 0;
}

/*
 * Finishes the active segment: fsyncs it, so that the group fsync only ever
 * needs to sync the active file, and moves on to the next number.  Caller
 * holds write_lock.
 */
static void
segment_rotate(SpillTable *tab, int flags)
{
	File		f;
	int64		unused;

	if (!tab->seg_active_exists)
		return;
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->seg_closing = true;
	LWLockRelease(&tab->lock);
	f = segment_open_cached(tab->key.dbid, tab->key.relfilenode, tab->seg_active, false);
	unused = Max(tab->seg_active_alloc - tab->seg_active_size, 0);
	if (unused > 0 &&
		FileTruncate(f, tab->seg_active_size, WAIT_EVENT_DATA_FILE_TRUNCATE) != 0)
		segment_io_failure(flags | SEGMENT_APPEND_PANIC, FilePathName(f), "truncate", errno);
	if (segment_datasync(f) != 0)
		segment_io_failure(flags | SEGMENT_APPEND_PANIC, FilePathName(f), "fsync", errno);
	segment_close_cached(tab->key.dbid, tab->key.relfilenode, tab->seg_active);

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->seg_bytes -= unused;
	segment_begin_next_locked(tab, tab->seg_active + 1);
	LWLockRelease(&tab->lock);
	pg_atomic_sub_fetch_u64(&spill_shared->disk_bytes, (uint64) unused);
}

/*
 * Zero-filled room of the active file that nobody holds: past its blocks,
 * less what committers were promised and what other writers are writing.
 * Caller holds the table's lock.
 */
static inline int64
segment_free_room_locked(SpillTable *tab)
{
	return Max(tab->seg_active_alloc, tab->seg_active_size) - tab->seg_active_size -
		tab->seg_promised;
}

/*
 * True if the active file may be finished now: no committer holds room in
 * it.  Marks it closing in the same step, so that no room is promised in
 * it any more (segment_promise_room's fast path checks the mark).  Caller
 * holds write_lock and then calls segment_rotate.
 */
static bool
segment_try_close(SpillTable *tab)
{
	bool		ok;

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	ok = (tab->seg_promised == 0);
	if (ok)
		tab->seg_closing = true;
	LWLockRelease(&tab->lock);
	return ok;
}

/*
 * Finishes the active segment if it ends exactly at (seg, off), so that a
 * flush that took every block of it can have it removed.  Returns true if
 * it did; the flushed position is then the start of the next segment.
 */
bool
segment_finish_if_at(SpillTable *tab, uint32 seg, int64 off)
{
	bool		done = false;

	LWLockAcquire(&tab->write_lock, LW_EXCLUSIVE);
	if (tab->seg_active == seg && tab->seg_active_exists &&
		tab->seg_active_size == off && off > 0 && segment_try_close(tab))
	{
		segment_rotate(tab, 0);
		done = true;
	}
	LWLockRelease(&tab->write_lock);
	return done;
}

/*
 * The active segment file, created (and its name made durable) if it does
 * not exist yet.  Caller holds write_lock.
 */
static File
segment_open_active(SpillTable *tab, int flags)
{
	File		f;

	if (tab->seg_active_exists)
		return segment_open_cached(tab->key.dbid, tab->key.relfilenode, tab->seg_active, false);
	f = segment_open_cached(tab->key.dbid, tab->key.relfilenode, tab->seg_active, true);
	segment_sync_dir(tab, (flags & SEGMENT_APPEND_PANIC) ? PANIC : ERROR);
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->seg_active_exists = true;
	tab->seg_active_size = 0;
	tab->seg_active_alloc = 0;
	tab->seg_files++;
	LWLockRelease(&tab->lock);
	return f;
}

/*
 * At PRE_COMMIT, before the commit record: makes sure that the block a
 * committer writes after it (segment_commit_write) has room in the active
 * file, zero-filled and counted in seg_promised, so that the write after
 * the commit record cannot fail for want of space, which would be a PANIC.
 * Everything that can fail for lack of space happens here and is an ERROR
 * (ERRCODE_DISK_FULL for ENOSPC) that rolls the transaction back: the
 * rotation to the next file, its creation, the zero-fill.  The commit
 * writer then writes into the promised room (past max_file_size when
 * several committers' promises overlap a rotation) and every other writer
 * leaves it free.  The committer gives the room back with
 * segment_release_room once its write is done, or at abort.
 */
void
segment_promise_room(SpillTable *tab, int64 bytes)
{
	int			tries;

	for (tries = 0;; tries++)
	{
		File		f;
		int64		promised;
		bool		full;

		/*
		 * Usually the zero-filled tail of the active file has room: take it
		 * under the table's lock alone, without waiting for write_lock,
		 * which the commit writer holds across its write and fdatasync.
		 * The room left counts what is promised and what other writers are
		 * writing (see segment_append_blocks); a file that is being
		 * finished, or that the block would take past max_file_size, gives
		 * none.
		 */
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		full = tab->seg_active_size > 0 &&
			tab->seg_active_size + tab->seg_promised + bytes > tab->max_file_size;
		if (tab->seg_active_exists && !tab->seg_closing && (!full || tries >= SEGMENT_ROOM_TRIES) &&
			segment_free_room_locked(tab) >= bytes)
		{
			tab->seg_promised += bytes;
			LWLockRelease(&tab->lock);
			return;
		}
		promised = tab->seg_promised;
		LWLockRelease(&tab->lock);

		if (full && promised > 0 && tries < SEGMENT_ROOM_TRIES)
		{
			/*
			 * The file is full, but others still have room in it: wait for
			 * their commits to write it, then start the next file.  After
			 * SEGMENT_ROOM_TRIES waits, take room past max_file_size.
			 */
			pg_usleep(1000L);
			CHECK_FOR_INTERRUPTS();
			continue;
		}

		LWLockAcquire(&tab->write_lock, LW_EXCLUSIVE);
		if (tab->seg_active_exists && tab->seg_active_size > 0 &&
			tab->seg_active_size + bytes > tab->max_file_size && segment_try_close(tab))
			segment_rotate(tab, 0);
		f = segment_open_active(tab, 0);
		LWLockAcquire(&tab->lock, LW_SHARED);
		promised = tab->seg_promised;
		LWLockRelease(&tab->lock);
		segment_preallocate(tab, f, tab->seg_active_size + promised + bytes, 0);

		/* others may have taken room meanwhile: check and take at once */
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		if (segment_free_room_locked(tab) >= bytes)
		{
			tab->seg_promised += bytes;
			LWLockRelease(&tab->lock);
			LWLockRelease(&tab->write_lock);
			return;
		}
		LWLockRelease(&tab->lock);
		LWLockRelease(&tab->write_lock);
	}
}

/* Gives back room that segment_promise_room promised. */
void
segment_release_room(SpillTable *tab, int64 bytes)
{
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	Assert(tab->seg_promised >= bytes);
	tab->seg_promised -= bytes;
	LWLockRelease(&tab->lock);
}

/*
 * Reserves quota for a write of len bytes that counts inflight bytes as
 * promised room (segment_append_blocks): a failure gives that room back
 * before the error goes on.
 */
static void
segment_reserve_quota_for_write(SpillTable *tab, int64 len, int64 inflight)
{
	PG_TRY();
	{
		segment_reserve_quota(tab, len);
	}
	PG_CATCH();
	{
		if (inflight > 0)
			segment_release_room(tab, inflight);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * Appends blocks to the table's active segment, rotating on max_file_size
 * and creating files as needed.  Caller holds write_lock.  Returns the
 * position after the last block, for segment_sync_to.  On a failed write
 * the partial block is cut off again before the error is raised.
 */
void
segment_append_blocks(SpillTable *tab, SegmentBlock *blocks, int nblocks,
					  int flags, uint32 *end_seg, int64 *end_off)
{
	int			i = 0;
	char	   *run = NULL;
	size_t		run_cap = 0;

	while (i < nblocks)
	{
		File		f;
		int			rc;
		int64		off;
		int			first = i;
		size_t		len = 0;
		int64		rows = 0;
		int64		raw = 0;
		int64		promised;
		int64		inflight = 0;
		int64		grown = 0;
		char	   *buf;

		/* a write past the quota fails before any file grows */
		if (flags & SEGMENT_APPEND_CHECK_QUOTA)
		{
			segment_reserve_quota(tab, (int64) blocks[i].len);
			segment_release_quota(tab, (int64) blocks[i].len);
		}

		/*
		 * A commit's write goes into the room its committer was promised
		 * in the active file, past max_file_size if need be: a rotation
		 * creates and fills a file, which can fail.  Others rotate only
		 * when no room is promised, which a rotation would take away.
		 */
		if (tab->seg_active_exists && tab->seg_active_size > 0 &&
			tab->seg_active_size + (int64) blocks[i].len > tab->max_file_size &&
			!(flags & SEGMENT_APPEND_PANIC) && segment_try_close(tab))
			segment_rotate(tab, flags);

		f = segment_open_active(tab, flags);

		/* the run of blocks that fits in this file goes out in one write */
		off = tab->seg_active_size;
		do
		{
			len += blocks[i].len;
			rows += blocks[i].hdr.nrows;
			raw += blocks[i].hdr.raw_len;
			i++;
		} while (i < nblocks && !(flags & SEGMENT_APPEND_CHECK_QUOTA) &&
				 off + (int64) (len + blocks[i].len) <= tab->max_file_size);
		if (i - first == 1)
			buf = blocks[first].buf;
		else
		{
			size_t		pos = 0;
			int			j;

			if (run_cap < len)
			{
				if (run)
					pfree(run);
				run = palloc(len);
				run_cap = len;
			}
			for (j = first; j < i; j++)
			{
				memcpy(run + pos, blocks[j].buf, blocks[j].len);
				pos += blocks[j].len;
			}
			buf = run;
		}

		/*
		 * Others' writes leave the promised room free, and count as
		 * promised while they are under way, so that a committer taking
		 * room without write_lock (segment_promise_room) does not take
		 * theirs.  A commit's own write is within its committers' promises.
		 */
		if (!(flags & SEGMENT_APPEND_PANIC))
		{
			for (;;)
			{
				LWLockAcquire(&tab->lock, LW_SHARED);
				promised = tab->seg_promised;
				LWLockRelease(&tab->lock);
				segment_preallocate(tab, f, off + (int64) len + promised, flags);
				LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
				if (segment_free_room_locked(tab) >= (int64) len)
					break;		/* keeping the lock */
				LWLockRelease(&tab->lock);
			}
			tab->seg_promised += len;
			LWLockRelease(&tab->lock);
			inflight = len;
		}
		/* reserved only now, so that nothing above can leak the reservation */
		if (flags & SEGMENT_APPEND_CHECK_QUOTA)
			segment_reserve_quota_for_write(tab, (int64) len, inflight);
		errno = 0;
		rc = FileWrite(f, buf, (int) len, off, WAIT_EVENT_DATA_FILE_WRITE);
		if (rc != (int) len)
		{
			int			save_errno = (rc < 0) ? errno : ENOSPC;
			static char zeros[sizeof(SegmentBlockHeader)];

			/* the blocks never happened: leave zeros where they began */
			(void) FileWrite(f, zeros, sizeof(zeros), off, WAIT_EVENT_DATA_FILE_WRITE);
			if (flags & SEGMENT_APPEND_CHECK_QUOTA)
				segment_release_quota(tab, (int64) len);
			if (inflight > 0)
				segment_release_room(tab, inflight);
			segment_io_failure(flags, FilePathName(f), "write", save_errno);
		}

		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		tab->seg_promised -= inflight;
		inflight = 0;
		if (off + (int64) len > tab->seg_active_alloc)
		{
			/* written past the zero-filled tail: the file grew by that */
			grown = off + (int64) len - Max(tab->seg_active_alloc, off);
			tab->seg_bytes += grown;
			tab->seg_active_alloc = off + (int64) len;
		}
		tab->seg_active_size += len;
		tab->seg_rows += rows;
		tab->seg_raw_bytes += raw;
		if (tab->unflushed_since == 0)
			tab->unflushed_since = GetCurrentTimestamp();
		LWLockRelease(&tab->lock);
		if (grown > 0)
			pg_atomic_add_fetch_u64(&spill_shared->disk_bytes, (uint64) grown);
		if (flags & SEGMENT_APPEND_CHECK_QUOTA)
			segment_release_quota(tab, (int64) len);	/* now on disk */
	}
	if (run)
		pfree(run);
	*end_seg = tab->seg_active;
	*end_off = tab->seg_active_size;
}

/*
 * The commit-time write of durability 'commit' tables, shared by concurrent
 * committers as WAL's XLogFlush is: whoever gets write_lock writes every
 * committed batch still waiting for its block (in batch order, with as few
 * writes as the file boundaries allow), fdatasyncs once, and marks them all
 * on disk; the others find their batch written when the lock is free again.
 * With "mine" NULL (the background worker, for commits that did not wait)
 * it writes what is waiting and returns, and a failure is an ERROR that
 * leaves the batches for another try.  For a committer a failure is a
 * PANIC: its transaction has committed and COMMIT must not return.
 */
void
segment_commit_write(SpillTable *tab, MemBatch *mine)
{
	int			flags = mine ? SEGMENT_APPEND_PANIC : 0;

	for (;;)
	{
		MemBatch  **batches;
		SegmentBlock *blocks;
		int			n;
		int			i;
		uint32		end_seg;
		int64		end_off;
		uint32		start_seg;
		int64		start_off;
		File		f;

		if (mine)
		{
			bool		done;

			LWLockAcquire(&tab->lock, LW_SHARED);
			done = mine->on_disk;
			LWLockRelease(&tab->lock);
			if (done)
				return;
		}
		if (!LWLockAcquireOrWait(&tab->write_lock, LW_EXCLUSIVE))
			continue;			/* someone else wrote meanwhile; look again */

		n = memtable_claim_committed(tab, &batches);
		if (n == 0)
		{
			LWLockRelease(&tab->write_lock);
			if (!mine)
				return;
			/* mine is not claimable yet (being evicted?): wait, do not spin */
			ConditionVariableTimedSleep(&tab->batch_cv, MEMTABLE_BATCH_WAIT_MS,
										PG_WAIT_EXTENSION);
			ConditionVariableCancelSleep();
			continue;
		}
		blocks = palloc(sizeof(SegmentBlock) * n);
		start_seg = tab->seg_active;
		start_off = tab->seg_active_size;
		PG_TRY();
		{
			for (i = 0; i < n; i++)
				segment_build_block(&blocks[i], tab->spill_codec, tab->compression_level,
									MEMBATCH_DATA(batches[i]), batches[i]->data_len,
									batches[i]->nrows, batches[i]->fxid, batches[i]->seq,
									SEGMENT_BLOCK_COMMITTED);
			segment_append_blocks(tab, blocks, n, flags, &end_seg, &end_off);
			f = segment_open_cached(tab->key.dbid, tab->key.relfilenode, end_seg, false);
			if (segment_datasync(f) != 0)
				segment_io_failure(flags, FilePathName(f), "fsync", errno);
		}
		PG_CATCH();
		{
			/*
			 * Only the worker gets here (owners PANIC).  Once part of the
			 * group is in the file, writing it again would duplicate rows.
			 */
			if (tab->seg_active != start_seg || tab->seg_active_size != start_off)
				ereport(PANIC,
						(errcode(ERRCODE_IO_ERROR),
						 errmsg("could not finish writing committed spillpool rows of table with relfilenode %u",
								tab->key.relfilenode)));
			/* nothing was written: leave the batches for another try */
			LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
			memtable_end_claim_locked(batches, n, false);
			LWLockRelease(&tab->lock);
			PG_RE_THROW();
		}
		PG_END_TRY();
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		if (tab->synced_seg < end_seg ||
			(tab->synced_seg == end_seg && tab->synced_off < end_off))
		{
			tab->synced_seg = end_seg;
			tab->synced_off = end_off;
		}
		memtable_end_claim_locked(batches, n, true);
		LWLockRelease(&tab->lock);
		LWLockRelease(&tab->write_lock);
		ConditionVariableBroadcast(&tab->batch_cv);
		for (i = 0; i < n; i++)
			pfree(blocks[i].buf);
		pfree(blocks);
		pfree(batches);
		if (!mine)
			return;
	}
}

/*
 * Makes everything up to (seg, off) durable.  Concurrent committers share
 * one fsync: whoever gets sync_lock syncs up to the current end, and those
 * that waited find their position covered.
 */
void
segment_sync_to(SpillTable *tab, uint32 seg, int64 off, bool panic_on_error)
{
	for (;;)
	{
		uint32		target_seg;
		int64		target_off;
		File		f;

		LWLockAcquire(&tab->lock, LW_SHARED);
		if (tab->synced_seg > seg || (tab->synced_seg == seg && tab->synced_off >= off))
		{
			LWLockRelease(&tab->lock);
			return;
		}
		LWLockRelease(&tab->lock);

		if (!LWLockAcquireOrWait(&tab->sync_lock, LW_EXCLUSIVE))
			continue;			/* someone synced meanwhile; look again */

		LWLockAcquire(&tab->lock, LW_SHARED);
		if (tab->synced_seg > seg || (tab->synced_seg == seg && tab->synced_off >= off))
		{
			LWLockRelease(&tab->lock);
			LWLockRelease(&tab->sync_lock);
			return;
		}
		target_seg = tab->seg_active;
		target_off = tab->seg_active_size;
		LWLockRelease(&tab->lock);

		/* earlier segments were synced when they were finished */
		f = segment_open_cached(tab->key.dbid, tab->key.relfilenode, target_seg, false);
		if (segment_datasync(f) != 0)
			segment_io_failure(panic_on_error ? SEGMENT_APPEND_PANIC : 0,
							   FilePathName(f), "fsync", errno);

		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		if (tab->synced_seg < target_seg ||
			(tab->synced_seg == target_seg && tab->synced_off < target_off))
		{
			tab->synced_seg = target_seg;
			tab->synced_off = target_off;
		}
		LWLockRelease(&tab->lock);
		LWLockRelease(&tab->sync_lock);
	}
}

/*
 * Writes the positions of a private file's blocks into their headers
 * before the file is adopted (segment_adopt_file): its rows were written
 * before their transaction took its positions at PRE_COMMIT.  Only the
 * headers change (with their own CRCs; a version 2 block's CRC covers the
 * payload alone).  The rename that adopts the file fsyncs it.  Returns the
 * position after the file's last row.
 */
uint64
segment_stamp_positions(const char *path, int64 size, uint64 first_pos)
{
	int			fd;
	int64		off = 0;
	uint64		pos = first_pos;

	fd = OpenTransientFile(path, O_RDWR | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	while (off + (int64) sizeof(SegmentBlockHeader) <= size)
	{
		SegmentBlockHeader hdr;
		int			rc;

		CHECK_FOR_INTERRUPTS();
		pgstat_report_wait_start(WAIT_EVENT_DATA_FILE_READ);
		rc = pg_pread(fd, &hdr, sizeof(hdr), off);
		pgstat_report_wait_end();
		if (rc < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		if (rc != sizeof(hdr))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("could not read file \"%s\": read %d of %zu bytes at offset " INT64_FORMAT,
							path, rc, sizeof(hdr), off)));
		if (hdr.magic != SEGMENT_BLOCK_MAGIC || hdr.version != SEGMENT_FORMAT_VERSION ||
			hdr.hdr_crc != segment_header_crc(&hdr))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid block header in spillpool segment file \"%s\" at offset " INT64_FORMAT,
							path, off)));
		hdr.seq = pos;
		hdr.hdr_crc = segment_header_crc(&hdr);
		errno = 0;
		pgstat_report_wait_start(WAIT_EVENT_DATA_FILE_WRITE);
		rc = pg_pwrite(fd, &hdr, sizeof(hdr), off);
		pgstat_report_wait_end();
		if (rc != sizeof(hdr))
		{
			if (errno == 0)
				errno = ENOSPC;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write file \"%s\": %m", path)));
		}
		pos += hdr.nrows;
		off += sizeof(hdr) + hdr.comp_len;
	}
	CloseTransientFile(fd);
	return pos;
}

/*
 * Makes a transaction's private file the next segment.  It was written and
 * fsynced by its owner; durable_rename makes the new name durable.  The
 * caller holds write_lock, so nothing is appended in between.
 */
void
segment_adopt_file(SpillTable *tab, const char *private_path, int64 file_size,
				   int64 nrows, int64 raw_bytes)
{
	char		path[MAXPGPATH];
	uint32		segno;

	segment_rotate(tab, 0);
	segno = tab->seg_active;
	segment_file_path(path, tab->key.dbid, tab->key.relfilenode, segno);
	if (durable_rename(private_path, path, ERROR) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rename \"%s\" to \"%s\": %m", private_path, path)));

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->seg_files++;
	tab->seg_bytes += file_size;
	tab->seg_rows += nrows;
	tab->seg_raw_bytes += raw_bytes;
	if (tab->unflushed_since == 0)
		tab->unflushed_since = GetCurrentTimestamp();
	segment_begin_next_locked(tab, segno + 1);
	LWLockRelease(&tab->lock);
	/* the caller then returns the file's reservation, counted until now */
	pg_atomic_add_fetch_u64(&spill_shared->disk_bytes, (uint64) file_size);
}

/*
 * At a clean shutdown, writes the blocks of a table's memory-only batches
 * (durability 'none') to new segment files after the active one, without
 * fd.c or locks (the postmaster, every backend gone).  The active file's
 * zero-filled tail is given back first, so that its room serves the
 * blocks.  On a failure (a full disk, say) the blocks written so far stay,
 * whole, and a WARNING names the table and the rows that are lost; the
 * partial block is cut off at the next start.  Returns the number of
 * blocks written.
 */
int
segment_write_at_shutdown(SpillTable *tab, SegmentBlock *blocks, int nblocks)
{
	uint32		segno = tab->seg_active + (tab->seg_active_exists ? 1 : 0);
	char		path[MAXPGPATH];
	char		dir[MAXPGPATH];
	int			fd = -1;
	int64		size = 0;
	int			i;
	int			written = 0;
	int64		lost_rows = 0;

	if (tab->seg_active_exists && tab->seg_active_alloc > tab->seg_active_size)
	{
		segment_file_path(path, tab->key.dbid, tab->key.relfilenode, tab->seg_active);
		if (truncate(path, tab->seg_active_size) == 0)
			tab->seg_active_alloc = tab->seg_active_size;
	}

	for (i = 0; i <= nblocks; i++)
	{
		bool		finish = (i == nblocks) ||
			(fd >= 0 && size > 0 && size + (int64) blocks[i].len > tab->max_file_size);

		if (finish && fd >= 0)
		{
			if (pg_fsync(fd) != 0 || close(fd) != 0)
			{
				fd = -1;
				goto fail;
			}
			fd = -1;
			segno++;
			size = 0;
		}
		if (i == nblocks)
			break;
		if (fd < 0)
		{
			segment_file_path(path, tab->key.dbid, tab->key.relfilenode, segno);
			fd = open(path, O_RDWR | O_CREAT | O_EXCL | PG_BINARY, pg_file_create_mode);
			if (fd < 0)
				goto fail;
		}
		errno = 0;
		if (write(fd, blocks[i].buf, blocks[i].len) != (ssize_t) blocks[i].len)
		{
			if (errno == 0)
				errno = ENOSPC;	/* a short write: out of space */
			goto fail;
		}
		size += blocks[i].len;
		written = i + 1;
	}

	segment_dir_path(dir, tab->key.dbid, tab->key.relfilenode);
	fd = open(dir, O_RDONLY | PG_BINARY);
	if (fd < 0 || pg_fsync(fd) != 0 || close(fd) != 0)
	{
		strlcpy(path, dir, MAXPGPATH);
		written = 0;			/* the files' names may not be durable */
		goto fail;
	}
	return nblocks;

fail:
	{
		int			save_errno = errno;

		if (fd >= 0)
		{
			/* the blocks written whole stay; make them durable */
			(void) pg_fsync(fd);
			close(fd);
		}
		for (i = written; i < nblocks; i++)
			lost_rows += blocks[i].hdr.nrows;
		errno = save_errno;
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not write " INT64_FORMAT " rows of spillpool table %u at shutdown to \"%s\": %m",
						lost_rows, tab->relid, path),
				 errdetail("The rows were committed into a table with durability 'none' and were only in memory; they are lost. %d of %d blocks were written.",
						   written, nblocks),
				 errhint("Keep free space in the file system of the data directory, or use durability 'commit', whose rows are on disk at commit.")));
	}
	return written;
}

/* qsort comparator for segment numbers. */
static int
segno_cmp(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return (x > y) - (x < y);
}

/*
 * True if nothing but zeros (or nothing) follows the block just read: it is
 * the last block of the file.  Looks at one header's worth of bytes.
 */
static bool
segment_reader_at_data_end(SegmentReader *rd)
{
	char		buf[sizeof(SegmentBlockHeader)];
	int			n;
	int			i;

	if (rd->off >= rd->end)
		return true;
	n = (int) Min((int64) sizeof(buf), rd->end - rd->off);
	if (FileRead(rd->file, buf, n, rd->off, WAIT_EVENT_DATA_FILE_READ) != n)
		return false;
	for (i = 0; i < n; i++)
		if (buf[i] != 0)
			return false;
	return true;
}

/*
 * Reads the next block header during segment_load.  Only the last block of
 * the last file can be torn, so there the payload is read to check its CRC;
 * elsewhere the header is enough.  A bad block that runs to the end of the
 * last file sets *torn instead of raising an error.
 */
static bool
segment_load_next_block(SegmentReader *rd, SegmentBlockHeader *hdr, bool last_file,
						bool *torn)
{
	volatile bool ok = false;
	int64		block_off = rd->off;
	MemoryContext ccxt = CurrentMemoryContext;

	PG_TRY();
	{
		ok = segment_reader_next(rd, hdr, false);
		if (ok && last_file && segment_reader_at_data_end(rd))
			segment_reader_payload(rd, hdr);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		if (!last_file || !rd->torn_tail)
			PG_RE_THROW();
		MemoryContextSwitchTo(ccxt);
		edata = CopyErrorData();
		FlushErrorState();
		FreeErrorData(edata);
		rd->off = block_off;
		*torn = true;
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * Sets where a loaded table's positions continue: past the durable bound,
 * every stored row and the legacy rows.  Rows of version 1 blocks (written
 * before positions existed) are numbered from the manifest's legacy line,
 * which the flush that moved some of them wrote, or else from after the
 * shards, so that they are numbered alike at every load.  pos_end is the
 * end of the version 2 blocks' positions, legacy_rows the rows of version
 * 1 blocks not yet flushed.  Caller holds tab->lock exclusively.
 */
static void
segment_load_positions_locked(SpillTable *tab, const Manifest *m, uint64 floor,
							  uint64 pos_end, int64 legacy_rows)
{
	uint64		next = Max(Max(floor, (uint64) 1), Max(pos_end, manifest_position_end(m)));

	tab->legacy_next = 0;
	if (legacy_rows > 0)
	{
		tab->legacy_next = m->legacy_next != 0 ? m->legacy_next : manifest_position_end(m);
		/* the legacy positions end where new ones may begin */
		next = Max(next, tab->legacy_next + legacy_rows);
	}
	tab->next_pos = next;
	tab->pos_floor = floor;
}

/*
 * Reads a table's segment files after startup: removes private files left
 * by dead transactions, cuts a torn block off the end of the last file (it
 * was never acknowledged), and rebuilds the counters.  A bad block anywhere
 * else is corruption and an error naming the file.
 */
void
segment_load(SpillTable *tab)
{
	char		dir[MAXPGPATH];
	DIR		   *d;
	struct dirent *de;
	uint32	   *segnos;
	int			nsegs = 0,
				cap = 16;
	int			i;
	int64		files = 0,
				rows = 0,
				bytes = 0,
				raw = 0;
	uint64		pos_end = 0;
	int64		legacy_rows = 0;
	uint64		floor;
	int64		last_size = 0;
	int64		last_alloc = 0;
	Manifest	m;

	LWLockAcquire(&tab->write_lock, LW_EXCLUSIVE);
	if (tab->loaded)
	{
		LWLockRelease(&tab->write_lock);
		return;
	}

	/*
	 * A table may have lost its directory (a database copied from a template
	 * copies relations, not spillpool's files): recreate it empty rather
	 * than fail at the first commit.
	 */
	storage_create_table_dir(tab->key.dbid, tab->key.relfilenode);

	/* what earlier flushes committed; undo what an interrupted one left */
	(void) manifest_read(tab->key.dbid, tab->key.relfilenode, &m);
	manifest_remove_leftovers(tab->key.dbid, tab->key.relfilenode, &m);

	segment_dir_path(dir, tab->key.dbid, tab->key.relfilenode);
	segnos = palloc(sizeof(uint32) * cap);
	d = AllocateDir(dir);
	while (d && (de = ReadDirExtended(d, dir, LOG)) != NULL)
	{
		char		path[MAXPGPATH];
		unsigned int segno;
		char		tail;

		if (strncmp(de->d_name, "tmp-", 4) == 0)
		{
			snprintf(path, MAXPGPATH, "%s/%s", dir, de->d_name);
			(void) storage_unlink_file(path, false);
			continue;
		}
		if (sscanf(de->d_name, "%u.se%c", &segno, &tail) != 2 || tail != 'g')
			continue;
		if (segno < m.flush_seg)
		{
			/* flushed, and a crash came before its removal */
			snprintf(path, MAXPGPATH, "%s/%s", dir, de->d_name);
			(void) storage_unlink_file(path, false);
			continue;
		}
		if (nsegs == cap)
		{
			cap *= 2;
			segnos = repalloc(segnos, sizeof(uint32) * cap);
		}
		segnos[nsegs++] = segno;
	}
	if (d)
		FreeDir(d);
	qsort(segnos, nsegs, sizeof(uint32), segno_cmp);

	for (i = 0; i < nsegs; i++)
	{
		char		path[MAXPGPATH];
		SegmentReader rd;
		SegmentBlockHeader hdr;
		bool		last_file = (i == nsegs - 1);

		segment_file_path(path, tab->key.dbid, tab->key.relfilenode, segnos[i]);
		if (!segment_reader_open(&rd, path, -1, true))
			continue;
		for (;;)
		{
			int64		block_off = rd.off;
			bool		torn = false;
			bool		ok = segment_load_next_block(&rd, &hdr, last_file, &torn);

			if (torn)
			{
				ereport(LOG,
						(errmsg("cutting torn block off spillpool segment file \"%s\" at offset " INT64_FORMAT,
								path, block_off)));
				if (FileTruncate(rd.file, block_off, WAIT_EVENT_DATA_FILE_TRUNCATE) != 0 ||
					FileSync(rd.file, WAIT_EVENT_DATA_FILE_SYNC) != 0)
					ereport(ERROR,
							(errcode_for_file_access(),
							 errmsg("could not truncate file \"%s\": %m", path)));
				rd.end = block_off;
				break;
			}
			if (!ok)
				break;
			if (segnos[i] == m.flush_seg && block_off < m.flush_off)
				continue;		/* in a shard already */
			rows += hdr.nrows;
			raw += hdr.raw_len;
			if (hdr.version < 2)
				legacy_rows += hdr.nrows;
			else if (hdr.seq + hdr.nrows > pos_end)
				pos_end = hdr.seq + hdr.nrows;
		}
		files++;
		bytes += rd.end;
		if (last_file)
		{
			last_size = Min(rd.data_end, rd.off);
			last_alloc = rd.end;
		}
		segment_reader_close(&rd);
	}

	floor = position_read_floor(tab->key.dbid, tab->key.relfilenode);

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->seg_files = files;
	tab->seg_rows = rows;
	tab->seg_bytes = bytes;
	tab->seg_raw_bytes = raw;
	if (nsegs > 0)
	{
		tab->seg_first = segnos[0];
		tab->seg_active = segnos[nsegs - 1];
		tab->seg_active_exists = true;
		tab->seg_active_size = last_size;
		tab->seg_active_alloc = last_alloc;
	}
	if (nsegs > 0 && m.flush_off > 0 && tab->seg_active == m.flush_seg &&
		tab->seg_active_size <= m.flush_off)
	{
		/* everything in the last file is flushed: append to a new one */
		tab->seg_active = m.flush_seg + 1;
		tab->seg_active_exists = false;
		tab->seg_active_size = tab->seg_active_alloc = 0;
	}
	else if (nsegs == 0)
	{
		/* new segments never go where flushed ones were */
		tab->seg_first = tab->seg_active =
			Max(tab->seg_active, m.flush_seg + (m.flush_off > 0 ? 1 : 0));
		tab->seg_active_exists = false;
	}
	manifest_load_table_state(tab, &m);
	tab->unflushed_since = rows > 0 ? GetCurrentTimestamp() : 0;
	tab->synced_seg = tab->seg_active;
	tab->synced_off = tab->seg_active_size;
	tab->load_seg = tab->seg_active;
	tab->load_off = tab->seg_active_exists ? tab->seg_active_size : 0;
	segment_load_positions_locked(tab, &m, floor, pos_end, legacy_rows);
	tab->loaded = true;
	LWLockRelease(&tab->lock);
	pg_atomic_add_fetch_u64(&spill_shared->disk_bytes, (uint64) bytes);
	LWLockRelease(&tab->write_lock);
	pfree(segnos);
}

/*
 * Opens a segment file for reading up to "end" bytes (-1: its size).
 * Returns false if it does not exist and missing_ok.
 */
bool
segment_reader_open(SegmentReader *rd, const char *path, int64 end, bool missing_ok)
{
	memset(rd, 0, sizeof(*rd));
	strlcpy(rd->path, path, MAXPGPATH);
	rd->file = PathNameOpenFile(path, O_RDWR | PG_BINARY);
	if (rd->file < 0)
	{
		if (missing_ok && errno == ENOENT)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open spillpool segment file \"%s\": %m", path)));
	}
	rd->end = (end >= 0) ? end : FileSize(rd->file);
	rd->data_end = rd->end;
	if (rd->end < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not determine size of file \"%s\": %m", path)));
	return true;
}

/* Reads exactly len bytes at off, or raises corruption. */
static void
segment_read_exact(SegmentReader *rd, char *buf, size_t len, int64 off)
{
	int			rc = FileRead(rd->file, buf, len, off, WAIT_EVENT_DATA_FILE_READ);

	if (rc < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read spillpool segment file \"%s\": %m", rd->path)));
	if ((size_t) rc != len)
	{
		rd->torn_tail = true;
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("spillpool segment file \"%s\" is truncated at offset " INT64_FORMAT,
						rd->path, off)));
	}
}

/* True if every byte of the file from off to its end is zero. */
static bool
segment_rest_is_zero(SegmentReader *rd, int64 off)
{
	char		buf[8192];

	while (off < rd->end)
	{
		int			n = (int) Min((int64) sizeof(buf), rd->end - off);
		int			i;

		if (FileRead(rd->file, buf, n, off, WAIT_EVENT_DATA_FILE_READ) != n)
			return false;
		for (i = 0; i < n; i++)
			if (buf[i] != 0)
				return false;
		off += n;
	}
	return true;
}

/*
 * Reads the next block header, and with want_payload its rows into rd->raw
 * (rd->raw_len bytes).  Returns false at the end.  Any inconsistency is an
 * ERRCODE_DATA_CORRUPTED error naming the file; rd->torn_tail says whether
 * the bad block ran to the end of the file.
 */
bool
segment_reader_next(SegmentReader *rd, SegmentBlockHeader *hdr, bool want_payload)
{
	int64		off = rd->off;

	rd->torn_tail = false;
	if (off >= rd->end || off >= rd->data_end)
		return false;
	if (off + (int64) sizeof(SegmentBlockHeader) > rd->end)
	{
		if (segment_rest_is_zero(rd, off))
		{
			rd->data_end = off;
			return false;
		}
		rd->torn_tail = true;
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("spillpool segment file \"%s\" ends in a partial block header at offset " INT64_FORMAT,
						rd->path, off)));
	}
	segment_read_exact(rd, (char *) hdr, sizeof(SegmentBlockHeader), off);
	rd->v1_seq = hdr->seq;		/* a version 1 block's CRC covers it */
	if (hdr->magic == 0 && segment_rest_is_zero(rd, off))
	{
		/* zeros preallocated past the last block: the end of the data */
		rd->data_end = off;
		return false;
	}
	if (hdr->magic != SEGMENT_BLOCK_MAGIC ||
		hdr->version < 1 || hdr->version > SEGMENT_FORMAT_VERSION ||
		hdr->codec > SPILL_CODEC_ZSTD ||
		off + (int64) sizeof(SegmentBlockHeader) + hdr->comp_len > rd->end)
	{
		/*
		 * A header that claims more bytes than the file has, or a partial
		 * header followed only by zeros, is a write the crash cut short.
		 */
		if (hdr->magic == SEGMENT_BLOCK_MAGIC)
			rd->torn_tail = (off + (int64) sizeof(SegmentBlockHeader) + hdr->comp_len > rd->end);
		else
			rd->torn_tail = segment_rest_is_zero(rd, off + sizeof(SegmentBlockHeader));
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid block header in spillpool segment file \"%s\" at offset " INT64_FORMAT,
						rd->path, off)));
	}
	rd->block_off = off;
	rd->off = off + sizeof(SegmentBlockHeader) + hdr->comp_len;
	rd->raw_len = 0;

	/*
	 * Callers act on the header alone (the visibility of its transaction,
	 * the memtable batch that holds the same rows, the counters) and may
	 * skip the payload, so the header is checked here: by its own CRC, or,
	 * in blocks written before there was one, by the block's CRC.
	 */
	if (hdr->hdr_crc != 0 ? segment_header_crc(hdr) != hdr->hdr_crc :
		!want_payload && !segment_reader_check_payload(rd, hdr))
	{
		rd->torn_tail = (rd->off >= rd->end) || segment_rest_is_zero(rd, rd->off);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("checksum mismatch in the block header of spillpool segment file \"%s\" at offset " INT64_FORMAT,
						rd->path, off)));
	}
	if (want_payload)
		segment_reader_payload(rd, hdr);

	/*
	 * Before version 2 seq was a batch number, not a position: such a block
	 * takes the next of the legacy positions the caller counts from, if it
	 * counts them (see segment_load), and never matches a memtable batch.
	 */
	if (hdr->version < 2)
	{
		hdr->seq = rd->legacy_pos;
		if (rd->legacy_pos != 0)
			rd->legacy_pos += hdr->nrows;
	}
	return true;
}

/*
 * Reads the compressed payload of the block whose header segment_reader_next
 * is reading into rd->comp; true if the block's CRC matches.
 */
static bool
segment_reader_check_payload(SegmentReader *rd, const SegmentBlockHeader *hdr)
{
	if (rd->comp_cap < hdr->comp_len)
	{
		if (rd->comp)
			pfree(rd->comp);
		rd->comp_cap = Max(hdr->comp_len, SEGMENT_BLOCK_RAW_TARGET);
		rd->comp = palloc(rd->comp_cap);
	}
	segment_read_exact(rd, rd->comp, hdr->comp_len, rd->block_off + sizeof(SegmentBlockHeader));
	if (hdr->version < 2)
	{
		/* the CRC of a version 1 block covers the header as written */
		SegmentBlockHeader h = *hdr;

		h.seq = rd->v1_seq;
		return segment_block_crc(&h, rd->comp) == h.crc;
	}
	return segment_block_crc(hdr, rd->comp) == hdr->crc;
}

/*
 * Reads, checks and decompresses the payload of the block whose header
 * segment_reader_next returned last, into rd->raw.
 */
void
segment_reader_payload(SegmentReader *rd, const SegmentBlockHeader *hdr)
{
	int64		off = rd->block_off;

	if (!segment_reader_check_payload(rd, hdr))
	{
		rd->torn_tail = (rd->off >= rd->end) || segment_rest_is_zero(rd, rd->off);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("checksum mismatch in spillpool segment file \"%s\" at offset " INT64_FORMAT,
						rd->path, off)));
	}
	if (rd->raw_cap < hdr->raw_len)
	{
		if (rd->raw)
			pfree(rd->raw);
		rd->raw_cap = Max(hdr->raw_len, SEGMENT_BLOCK_RAW_TARGET);
		rd->raw = palloc(rd->raw_cap);
	}
	codec_decompress((SpillCodec) hdr->codec, rd->comp, hdr->comp_len,
					 rd->raw, hdr->raw_len, rd->path);
	rd->raw_len = hdr->raw_len;
}

/* Closes a reader and frees its buffers. */
void
segment_reader_close(SegmentReader *rd)
{
	if (rd->file >= 0)
		FileClose(rd->file);
	rd->file = -1;
	if (rd->comp)
		pfree(rd->comp);
	if (rd->raw)
		pfree(rd->raw);
	rd->comp = rd->raw = NULL;
}

/*
 * Removes segment files that lie wholly before the flushed position, once
 * no scan that started before the flush that emptied them is running.
 * Claims the range under the lock (by moving seg_first), so a flush and
 * the background worker never remove the same file twice.  Called after
 * each flush and by the launcher.
 */
void
segment_remove_flushed(SpillTable *tab)
{
	uint32		first,
				below,
				segno;
	int64		bytes = 0;
	int64		files = 0;

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	first = tab->seg_first;
	below = Min(tab->delete_below, tab->seg_active);
	if (tab->readers_old > 0 || first >= below || tab->dropped)
	{
		LWLockRelease(&tab->lock);
		return;
	}
	tab->seg_first = below;
	LWLockRelease(&tab->lock);

	for (segno = first; segno < below; segno++)
	{
		char		path[MAXPGPATH];
		struct stat st;

		segment_file_path(path, tab->key.dbid, tab->key.relfilenode, segno);
		segment_close_cached(tab->key.dbid, tab->key.relfilenode, segno);
		if (stat(path, &st) != 0)
			continue;
		if (!storage_unlink_file(path, false))
			continue;
		bytes += st.st_size;
		files++;
	}
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->seg_bytes -= bytes;
	tab->seg_files -= files;
	LWLockRelease(&tab->lock);
	pg_atomic_sub_fetch_u64(&spill_shared->disk_bytes, (uint64) bytes);
	spillpool_fault_point("segments-removed");
}

/*
 * A flush took the segment rows before its new flushed position: they no
 * longer count as spilled.  Caller holds tab->lock exclusively.
 */
void
segment_forget_flushed_locked(SpillTable *tab, int64 rows, int64 raw_bytes)
{
	tab->seg_rows -= rows;
	tab->seg_raw_bytes -= raw_bytes;
}
