/*-------------------------------------------------------------------------
 *
 * options.h
 *	  Per-table options, their defaults and their cache.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_OPTIONS_H
#define SPILLPOOL_OPTIONS_H

#include "tier/compress.h"
#include "utils/rel.h"

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
	/* lifecycle (0.5) */
	int64		compact_target_size;	/* bytes: shards below it are small;
										 * -1: spillpool.compact_target_size */
	int			compact_min_shards; /* the worker compacts above this many
									 * small shards; 0 = never */
	char		retention_column[NAMEDATALEN];	/* "" = no retention */
	int64		retention_ms;	/* 0 = no retention */
	int64		snapshot_retention_ms;
	/* vectors (0.6) */
	char		embedding_column[NAMEDATALEN];	/* "" = none */
	int			embedding_dimension;
	int			embedding_metric;	/* VectorMetric */
	int			index_m;		/* HNSW links per node and layer */
	int			index_ef_construction;	/* HNSW build candidate list */
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
extern int	spillpool_default_compact_min_shards;
extern int	spillpool_default_snapshot_retention_s;
extern int	spillpool_compact_target_size_kb;
extern int	spillpool_default_index_m;
extern int	spillpool_default_index_ef_construction;

extern const struct config_enum_entry spill_codec_options[];
extern const struct config_enum_entry spill_durability_options[];

/* What options_as_owner_begin changed, for options_as_owner_end. */
typedef struct OptionsOwnerState
{
	Oid			save_userid;
	int			save_sec;
	int			guc_level;
} OptionsOwnerState;

extern void options_get(Relation rel, SpillOptions *opts);
extern Oid	options_catalog_owner(Oid relid);
extern void options_as_owner_begin(Oid owner, OptionsOwnerState *st);
extern void options_as_owner_end(OptionsOwnerState *st);
extern int	options_catalog_execute(Oid owner, const char *sql, int nargs, Oid *types,
									Datum *values, const char *nulls);
extern void options_invalidate(Oid relid);
/* Columns of spillpool.table_options: relid, then the twenty options. */
#define OPTIONS_CATALOG_COLUMNS 21

extern int	options_catalog_columns(void);
extern void options_store(Datum *values, const char *nulls);
extern void options_forget_relation(Oid relid);
extern void options_init(void);

#endif							/* SPILLPOOL_OPTIONS_H */
