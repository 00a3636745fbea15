/*-------------------------------------------------------------------------
 *
 * segment.h
 *	  Segment files: block format, appends, rotation, quotas, reading.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_SEGMENT_H
#define SPILLPOOL_SEGMENT_H

#include "port/pg_crc32c.h"
#include "storage/fd.h"
#include "tier/memtable.h"

#define SEGMENT_BLOCK_MAGIC		0x42504C53	/* "SLPB" */
#define SEGMENT_FORMAT_VERSION	2	/* 1: before positions (0.3 and older) */
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
	uint64		seq;			/* position of the first row, which is also
								 * the seq of the memtable batch holding the
								 * same rows; 0 in a private file not yet
								 * adopted.  Version 1: a batch number */
	pg_crc32c	crc;			/* CRC32C of the payload (version 1: of the
								 * header with crc = 0, and the payload) */
	pg_crc32c	hdr_crc;		/* CRC32C of the header with hdr_crc = 0
								 * (version 1: and crc = 0), so that a reader
								 * may trust the header without reading the
								 * payload; 0 in blocks written before 0.3 */
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
extern void segment_promise_room(SpillTable *tab, int64 bytes);
extern void segment_release_room(SpillTable *tab, int64 bytes);
#define SEGMENT_APPEND_PANIC		0x01	/* after commit: failure is a PANIC */
#define SEGMENT_APPEND_CHECK_QUOTA	0x02	/* fail with DISK_FULL past a limit */
extern void segment_append_blocks(SpillTable *tab, SegmentBlock *blocks, int nblocks,
								  int flags, uint32 *end_seg, int64 *end_off);
extern void segment_forget_files(Oid dbid, Oid relfilenode);
extern void segment_close_cached(Oid dbid, Oid relfilenode, uint32 segno);
extern bool segment_finish_if_at(SpillTable *tab, uint32 seg, int64 off);
extern int	segment_write_at_shutdown(SpillTable *tab, SegmentBlock *blocks, int nblocks);
extern void segment_private_path(char *path, Oid dbid, Oid relfilenode);
extern void segment_sync_to(SpillTable *tab, uint32 seg, int64 off, bool panic_on_error);
extern void segment_commit_write(SpillTable *tab, MemBatch *mine);
extern void segment_remove_flushed(SpillTable *tab);
extern void segment_forget_flushed_locked(SpillTable *tab, int64 rows, int64 raw_bytes);
extern void segment_reserve_quota(SpillTable *tab, int64 add_bytes);
extern int64 segment_quota_used(SpillTable *tab);
extern void segment_release_quota(SpillTable *tab, int64 bytes);
extern uint64 segment_stamp_positions(const char *path, int64 size, uint64 first_pos);
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
	uint64		v1_seq;			/* the seq field of the last version 1 header
								 * read, as written */
	uint64		legacy_pos;		/* set by the caller: the position of the
								 * next version 1 block's first row, or 0
								 * (see segment_reader_next) */
} SegmentReader;

extern bool segment_reader_open(SegmentReader *rd, const char *path, int64 end,
								bool missing_ok);
extern bool segment_reader_next(SegmentReader *rd, SegmentBlockHeader *hdr,
								bool want_payload);
extern void segment_reader_payload(SegmentReader *rd, const SegmentBlockHeader *hdr);
extern void segment_reader_close(SegmentReader *rd);

#endif							/* SPILLPOOL_SEGMENT_H */
