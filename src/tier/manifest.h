/*-------------------------------------------------------------------------
 *
 * manifest.h
 *	  The manifest of a table: snapshots, shards and the flushed position.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_MANIFEST_H
#define SPILLPOOL_MANIFEST_H

#include "port/pg_crc32c.h"
#include "tier/memtable.h"

/* What a snapshot did (spillpool.snapshots shows it). */
typedef enum ManifestOperation
{
	MANIFEST_APPEND,			/* a flush added shards */
	MANIFEST_REPLACE,			/* a compaction rewrote shards into others */
	MANIFEST_DELETE				/* retention dropped whole shards */
} ManifestOperation;

typedef struct ManifestSnapshot
{
	uint64		id;
	TimestampTz commit_time;
	int64		rows;			/* rows of the shards it added */
	int			nshards;		/* shards it added */
	ManifestOperation op;
	int			removed_shards; /* shards it removed (replace, delete) */
	int64		removed_rows;
} ManifestSnapshot;

typedef struct ManifestShard
{
	uint64		snapshot;
	int			n;				/* file <snapshot>-<n>.parquet */
	int64		rows;
	int64		bytes;
	SpillCodec	codec;
	int			row_groups;
	bool		has_footer_crc; /* false in manifests written before 0.3 */
	pg_crc32c	footer_crc;		/* CRC32C of the file's last footer_len
								 * bytes: FileMetaData, its length, "PAR1" */
	uint64		pos_min;		/* the smallest and largest position of its */
	uint64		pos_max;		/* rows (the runs are in the file's footer) */
	bool		pos_legacy;		/* written before positions: its rows are
								 * pos_min .. pos_max, in order (see
								 * manifest_number_legacy_shards) */
	uint64		removed_in;		/* the snapshot that replaced it, 0 if none */
	/* its HNSW index <snapshot>-<n>.hnsw (hnsw.c), if it has one */
	bool		has_index;
	int64		index_bytes;
	pg_crc32c	index_crc;		/* CRC32C of the whole file */
	int64		index_vectors;	/* vectors it holds */
} ManifestShard;

/*
 * Is a shard part of snapshot s?  Added by s or before it and not removed by
 * s or before it.  The manifest lists shards in scan order.
 */
static inline bool
manifest_shard_in_snapshot(const ManifestShard *sh, uint64 s)
{
	return sh->snapshot <= s && (sh->removed_in == 0 || sh->removed_in > s);
}

typedef struct Manifest
{
	uint32		flush_seg;		/* segment blocks before (flush_seg, */
	int64		flush_off;		/* flush_off) are in shards */
	uint64		legacy_next;	/* position of the first unflushed row in a
								 * version 1 segment block, 0 if unknown */
	uint64		expired_below;	/* snapshots below this id have expired (0:
								 * none); the list starts at the oldest kept */
	uint64		expired_base;	/* the Iceberg base of expired_below (the
								 * snapshot whose manifest lists the whole
								 * table, iceberg.c), 0 if none */
	/* the Iceberg metadata that describes this manifest (iceberg.c) */
	uint32		ice_gen;		/* generation of its Avro files, 0 if none */
	uint32		ice_version;	/* its v<N>.metadata.json */
	uint32		ice_location_crc;	/* CRC of the location it was written for */
	int			nsnapshots;
	ManifestSnapshot *snapshots;	/* ascending ids */
	int			nshards;
	ManifestShard *shards;		/* by snapshot, then n */
} Manifest;

extern void shard_dir_path(char *path, Oid dbid, Oid relfilenode);
extern void shard_file_path(char *path, Oid dbid, Oid relfilenode, uint64 snapshot, int n);
extern void shard_index_path(char *path, Oid dbid, Oid relfilenode, uint64 snapshot, int n);
extern bool manifest_read(Oid dbid, Oid relfilenode, Manifest *m);
extern void manifest_write(Oid dbid, Oid relfilenode, const Manifest *m);
extern void manifest_ensure(Oid dbid, Oid relfilenode);
extern const Manifest *manifest_get(Oid dbid, Oid relfilenode, uint64 snapshot_id);
extern void manifest_forget(Oid dbid, Oid relfilenode);
extern void manifest_remove_leftovers(Oid dbid, Oid relfilenode, const Manifest *m);
extern int	manifest_remove_unlisted(Oid dbid, Oid relfilenode, const Manifest *m,
									 int elevel);
extern uint64 manifest_oldest_snapshot(const Manifest *m);
extern uint64 manifest_position_end(const Manifest *m);
extern const char *manifest_operation_name(ManifestOperation op);
extern void manifest_load_table_state(SpillTable *tab, const Manifest *m);

#endif							/* SPILLPOOL_MANIFEST_H */
