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
extern bool flush_claim(SpillTable *tab, bool wait);
extern void flush_check_columns_committed(Relation rel);
extern void flush_release(void);
extern int	flush_fix_output_settings(void);

#endif							/* SPILLPOOL_FLUSH_H */
