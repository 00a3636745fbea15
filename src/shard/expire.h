/*-------------------------------------------------------------------------
 *
 * expire.h
 *	  Snapshot expiry (expire.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_EXPIRE_H
#define SPILLPOOL_EXPIRE_H

#include "datatype/timestamp.h"
#include "tier/memtable.h"
#include "utils/rel.h"

extern int	expire_snapshots(Relation rel, TimestampTz limit, int *files_removed);
extern int	expire_prune_pending(SpillTable *tab);

#endif							/* SPILLPOOL_EXPIRE_H */
