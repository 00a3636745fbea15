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

extern int64 compact_table(Relation rel, bool only_if_due);

#endif							/* SPILLPOOL_COMPACT_H */
