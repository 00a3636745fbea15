/*-------------------------------------------------------------------------
 *
 * flush.h
 *	  Flushing committed rows into a new snapshot of Parquet shards.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_FLUSH_H
#define SPILLPOOL_FLUSH_H

#include "tier/memtable.h"
#include "utils/rel.h"

extern int64 flush_table(Relation rel, bool only_if_due, bool *done);
extern bool flush_is_due(SpillTable *tab, TimestampTz now);

#endif							/* SPILLPOOL_FLUSH_H */
