/*-------------------------------------------------------------------------
 *
 * spillpool.c
 *	  Module entry point: settings, shared memory hooks, and the check that
 *	  the library was preloaded.
 *
 * Everything spillpool keeps in shared memory (the table hash and the DSA
 * area of memtable batches) is sized at postmaster start, so the library
 * must be in shared_preload_libraries.  When it is loaded any other way
 * (CREATE EXTENSION in a server that did not preload it) _PG_init installs
 * nothing, and every entry point reports the missing preload instead.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/defrem.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/hsearch.h"

#include "parquet/parquet_format.h"
#include "spillpool.h"
#include "am/aggscan.h"
#include "am/customscan.h"
#include "am/hooks.h"
#include "am/tableam.h"
#include "am/xact.h"
#include "shard/compact.h"
#include "iceberg/iceberg.h"
#include "shard/shard_write.h"
#include "tier/compress.h"
#include "tier/fault.h"
#include "tier/memtable.h"
#include "tier/options.h"
#include "tier/storage.h"
#include "worker/bgworker.h"
#include "vector/knn.h"

PG_MODULE_MAGIC;

int			spillpool_memory_mb = 128;
int			spillpool_max_tables = 256;
int			spillpool_max_disk_size_mb = -1;
int			spillpool_flush_naptime_ms = 1000;
bool		spillpool_loaded = false;

int			spillpool_default_memory_limit_kb = 64 * 1024;
int			spillpool_default_max_file_size_kb = 64 * 1024;
int			spillpool_default_spill_codec = SPILL_CODEC_LZ4;
int			spillpool_default_shard_codec = SPILL_CODEC_ZSTD;
int			spillpool_default_compression_level = 3;
int			spillpool_default_flush_rows = 1000000;
int			spillpool_default_flush_bytes_kb = 256 * 1024;
int			spillpool_default_flush_interval_s = 300;
int			spillpool_default_max_disk_size_mb = -1;
int			spillpool_default_durability = SPILL_DURABILITY_COMMIT;
int			spillpool_default_compact_min_shards = 16;
int			spillpool_default_snapshot_retention_s = 86400;
int			spillpool_maintenance_naptime_s = 60;
int			spillpool_default_index_m = 16;
int			spillpool_default_index_ef_construction = 64;
int			spillpool_ef_search = 100;
bool		spillpool_enable_knn = true;
int			spillpool_index_cache_size_kb = 1024 * 1024;

const struct config_enum_entry spill_codec_options[] = {
	{"none", SPILL_CODEC_NONE, false},
	{"lz4", SPILL_CODEC_LZ4, false},
	{"zstd", SPILL_CODEC_ZSTD, false},
	{NULL, 0, false}
};

const struct config_enum_entry spill_durability_options[] = {
	{"commit", SPILL_DURABILITY_COMMIT, false},
	{"none", SPILL_DURABILITY_NONE, false},
	{NULL, 0, false}
};

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

void		_PG_init(void);

/*
 * Reports that the library is not preloaded.  Called first by every SQL
 * entry point and by the table access method handler.
 */
void
spillpool_require_preload(void)
{
	if (!spillpool_loaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("spillpool must be loaded via shared_preload_libraries"),
				 errhint("Add spillpool to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/* Reserves the shared memory and the LWLock tranche of the table hash. */
static void
spillpool_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(memtable_shmem_size());
	RequestNamedLWLockTranche("spillpool", 1);
}

/*
 * Creates or attaches the shared state; in the postmaster also arranges for
 * memtables to be written out at a clean shutdown.
 */
static void
spillpool_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	memtable_shmem_init();
}

/* Defines the settings that name sizes, codecs and durability defaults. */
static void
spillpool_define_settings(void)
{
	DefineCustomIntVariable("spillpool.memory",
							"Shared memory for the memtables of all spillpool tables.",
							NULL, &spillpool_memory_mb, 128, 8, INT_MAX / 2,
							PGC_POSTMASTER, GUC_UNIT_MB, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.max_tables",
							"Maximum number of spillpool tables in use since server start.",
							NULL, &spillpool_max_tables, 256, 16, 65536,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.max_disk_size",
							"Disk space all spillpool segment files may take together (-1 = unlimited).",
							NULL, &spillpool_max_disk_size_mb, -1, -1, INT_MAX,
							PGC_SUSET, GUC_UNIT_MB, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.flush_naptime",
							"How often the background worker looks for work.",
							NULL, &spillpool_flush_naptime_ms, 1000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);

	DefineCustomIntVariable("spillpool.default_memory_limit",
							"Default memory_limit of a spillpool table.",
							NULL, &spillpool_default_memory_limit_kb, 64 * 1024, 64, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_max_file_size",
							"Default max_file_size of a spillpool table's segment files.",
							NULL, &spillpool_default_max_file_size_kb, 64 * 1024, 64, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomEnumVariable("spillpool.default_spill_compression",
							 "Default codec of segment files.",
							 NULL, &spillpool_default_spill_codec, SPILL_CODEC_LZ4,
							 spill_codec_options, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("spillpool.default_shard_compression",
							 "Default codec of Parquet shards.",
							 NULL, &spillpool_default_shard_codec, SPILL_CODEC_ZSTD,
							 spill_codec_options, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_compression_level",
							"Default zstd compression level.",
							NULL, &spillpool_default_compression_level, 3, 1, 22,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_flush_rows",
							"Default flush_rows of a spillpool table.",
							NULL, &spillpool_default_flush_rows, 1000000, 1, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_flush_bytes",
							"Default flush_bytes of a spillpool table.",
							NULL, &spillpool_default_flush_bytes_kb, 256 * 1024, 64, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_flush_interval",
							"Default flush_interval of a spillpool table.",
							NULL, &spillpool_default_flush_interval_s, 300, 1, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_max_disk_size",
							"Default max_disk_size of a spillpool table (-1 = unlimited).",
							NULL, &spillpool_default_max_disk_size_mb, -1, -1, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MB, NULL, NULL, NULL);
	DefineCustomEnumVariable("spillpool.default_durability",
							 "Default durability of a spillpool table.",
							 NULL, &spillpool_default_durability, SPILL_DURABILITY_COMMIT,
							 spill_durability_options, PGC_SIGHUP, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("spillpool.max_shard_size",
							"Size at which a flush starts another Parquet shard.",
							"Checked after each row group, so a shard may exceed it by up to one row group.",
							&spillpool_max_shard_size_mb, 256, 1, INT_MAX / 2,
							PGC_SUSET, GUC_UNIT_MB, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.shard_row_group_rows",
							"Rows per row group of the Parquet shards.",
							NULL, &spillpool_shard_row_group_rows, PARQUET_DEFAULT_ROW_GROUP_ROWS, 100, 64 * 1024 * 1024,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.compact_target_size",
							"Default compact_target_size of a spillpool table: shards smaller than this are compacted.",
							NULL, &spillpool_compact_target_size_kb, 128 * 1024, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_compact_min_shards",
							"Default compact_min_shards of a spillpool table: the background worker compacts a table with more small shards than this (0 = never).",
							NULL, &spillpool_default_compact_min_shards, 16, 0, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_snapshot_retention",
							"Default snapshot_retention of a spillpool table: how long time travel can read a snapshot after a newer one replaced it.",
							NULL, &spillpool_default_snapshot_retention_s, 86400, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomStringVariable("spillpool.iceberg_location_prefix",
							   "Location prefix of the paths in spillpool tables' Iceberg metadata (empty: the data directory's path).",
							   "For engines that see the files under another mount point or URL, for example 'file:///mnt/pg' or 'http://host:port'.",
							   &spillpool_iceberg_location_prefix, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.maintenance_naptime",
							"Time between the background worker's maintenance rounds (compaction, retention, snapshot expiry).",
							NULL, &spillpool_maintenance_naptime_s, 60, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_index_m",
							"Default index_m of a spillpool table: links per node and layer of the HNSW index each flush builds over the embedding column.",
							"Layer 0 keeps twice as many.",
							&spillpool_default_index_m, 16, 2, 100,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.default_index_ef_construction",
							"Default index_ef_construction of a spillpool table: the candidate list of the HNSW index build.",
							NULL, &spillpool_default_index_ef_construction, 64, 4, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.ef_search",
							"Candidate list of a nearest-neighbour search in each shard's HNSW index.",
							"A search looks at max(ef_search, k) candidates per shard; a shard with no more vectors than that is searched exactly.",
							&spillpool_ef_search, 100, 1, 100000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("spillpool.enable_knn",
							 "Plans ORDER BY embedding <-> vector LIMIT k over a spillpool table as a nearest-neighbour search (SpillpoolKnn).",
							 NULL, &spillpool_enable_knn, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.index_cache_size",
							"Memory each backend keeps the HNSW indexes of shards in, for the searches that follow.",
							NULL, &spillpool_index_cache_size_kb, 1024 * 1024, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomBoolVariable("spillpool.enable_custom_scan",
							 "Reads spillpool tables through the custom scan (column projection, row-group skipping).",
							 NULL, &spillpool_enable_custom_scan, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("spillpool.enable_parallel_scan",
							 "Lets the custom scan of spillpool tables run in parallel plans.",
							 "Workers share the shards' row groups and the segments' blocks; the leader reads the rows in memory and the transaction's own rows.",
							 &spillpool_enable_parallel_scan, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("spillpool.enable_aggregate_pushdown",
							 "Computes supported aggregates over a spillpool table inside its scan (SpillpoolAggregate).",
							 NULL, &spillpool_enable_aggregate_pushdown, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("spillpool.debug_crash_at",
							   "Crashes the server at this step of a flush (testing only).",
							   "Steps of a flush: shards-written, index-build, index-written, manifest-temp, manifest-renamed, segments-removed; the README lists the others.",
							   &spillpool_debug_crash_at, NULL,
							   PGC_SUSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	DefineCustomIntVariable("spillpool.debug_wait_after_pre_commit",
							"Makes COMMIT wait, after its rows took their positions, for a shared advisory lock on this key (testing only).",
							"0 waits for nothing.",
							&spillpool_debug_wait_after_pre_commit, 0, 0, INT_MAX,
							PGC_SUSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);

	MarkGUCPrefixReserved("spillpool");
}

/*
 * Module load.  Installs hooks only when preloaded; a late load leaves
 * spillpool_loaded false so the entry points can explain.
 */
void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;

	spillpool_define_settings();

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = spillpool_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = spillpool_shmem_startup;

	options_init();
	xact_init();
	storage_init();
	hooks_init();
	customscan_init();
	aggscan_init();
	knn_init();
	bgworker_register();

	spillpool_loaded = true;
}

/*
 * True if amoid is the spillpool table access method: the one test of
 * "is this a spillpool table?" from the catalog (an open relation is
 * tested by its table AM routine, rel_is_spillpool).
 */
bool
spillpool_is_access_method(Oid amoid)
{
	Oid			am = get_am_oid("spillpool", true);

	return OidIsValid(am) && amoid == am;
}

/*
 * A backend-local hash table with fixed-size keys compared as bytes, kept
 * in cxt: the per-backend caches of options, manifests and open segment
 * files.
 */
HTAB *
spillpool_local_hash(const char *name, long nelem, Size keysize, Size entrysize,
					 MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = cxt;
	return hash_create(name, nelem, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}
