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
/* Columns of spillpool.table_options: relid, then the ten options. */
#define OPTIONS_CATALOG_COLUMNS 11

extern void options_store(Datum *values, const char *nulls);
extern void options_forget_relation(Oid relid);
extern void options_init(void);

#endif							/* SPILLPOOL_OPTIONS_H */
