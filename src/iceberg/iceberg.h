/*-------------------------------------------------------------------------
 *
 * iceberg.h
 *	  Iceberg v2 metadata of a spillpool table (iceberg.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_ICEBERG_H
#define SPILLPOOL_ICEBERG_H

#include "tier/manifest.h"
#include "tier/memtable.h"
#include "utils/rel.h"

extern char *spillpool_iceberg_location_prefix;

extern void iceberg_metadata_dir(char *path, Oid dbid, Oid relfilenode);
extern char *iceberg_table_location(Oid dbid, Oid relfilenode);
extern void iceberg_before_commit(Relation rel, SpillTable *tab, Manifest *m,
								  bool new_snapshot);
extern void iceberg_after_commit(Relation rel, SpillTable *tab, const Manifest *m);
extern bool iceberg_check(Relation rel, SpillTable *tab);
extern void iceberg_remove_unreferenced(Oid dbid, Oid relfilenode, const Manifest *m);
extern char *iceberg_metadata_location(Oid dbid, Oid relfilenode, bool previous);
extern uint64 iceberg_base_at(const Manifest *m, uint64 s);

#endif							/* SPILLPOOL_ICEBERG_H */
