/*-------------------------------------------------------------------------
 *
 * retention.h
 *	  Dropping whole shards older than a limit (retention.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_RETENTION_H
#define SPILLPOOL_RETENTION_H

#include "datatype/timestamp.h"
#include "tier/options.h"
#include "utils/rel.h"

extern int64 retention_drop_shards(Relation rel, const char *column, TimestampTz limit,
								   int *nshards_out);
extern int64 retention_apply(Relation rel, const SpillOptions *opts);

#endif							/* SPILLPOOL_RETENTION_H */
