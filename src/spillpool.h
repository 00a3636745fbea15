/*-------------------------------------------------------------------------
 *
 * spillpool.h
 *	  What every spillpool module needs: the version, the server-wide
 *	  settings and the preload check.
 *
 * The modules declare the rest in headers of their own, one folder per
 * layer, each including only the layers below it:
 *
 *	parquet/	standalone Parquet reading and writing (no PostgreSQL)
 *	tier/		a table's tiers and their state: pending rows, memtable,
 *				segments, compression, manifest, options, visibility,
 *				storage paths
 *	shard/		shards and flushing, the PostgreSQL <-> Parquet conversions
 *	am/			what PostgreSQL calls: the access method, the scan, the
 *				custom scan, hooks, transaction callbacks, SQL functions
 *	worker/		the background workers, beside am/
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_H
#define SPILLPOOL_H

#include "utils/guc.h"
#include "utils/hsearch.h"

#define SPILLPOOL_VERSION_STR "0.4"

/* Settings (spillpool.c) */
extern int	spillpool_memory_mb;
extern int	spillpool_max_tables;
extern int	spillpool_max_disk_size_mb;
extern int	spillpool_flush_naptime_ms;
extern int	spillpool_maintenance_naptime_s;
extern int	spillpool_ef_search;
extern bool spillpool_enable_knn;
extern int	spillpool_index_cache_size_kb;
extern bool spillpool_loaded;

/* Fails with a hint when the library was not preloaded. */
extern void spillpool_require_preload(void);

/* True if amoid is the spillpool table access method. */
extern bool spillpool_is_access_method(Oid amoid);

/* A backend-local hash table of byte-compared keys, in cxt. */
extern HTAB *spillpool_local_hash(const char *name, long nelem, Size keysize,
								  Size entrysize, MemoryContext cxt);

#endif							/* SPILLPOOL_H */
