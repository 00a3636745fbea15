/*-------------------------------------------------------------------------
 *
 * compact.h
 *	  Compaction of small shards into larger ones (compact.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_COMPACT_H
#define SPILLPOOL_COMPACT_H

#include "utils/rel.h"

extern int	spillpool_compact_target_size_kb;

extern int64 compact_table(Relation rel);

#endif							/* SPILLPOOL_COMPACT_H */
