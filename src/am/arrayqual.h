/*-------------------------------------------------------------------------
 *
 * arrayqual.h
 *	  WHERE clauses evaluated on a shard row group's column arrays.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_ARRAYQUAL_H
#define SPILLPOOL_ARRAYQUAL_H

#include "nodes/execnodes.h"
#include "nodes/pg_list.h"

#include "shard/shard_read.h"

typedef struct ArrayQuals ArrayQuals;

/* Planning: whether a qual of relation relid can be evaluated on arrays. */
extern bool arrayqual_clause_ok(Expr *clause, Index relid, Oid reloid);

/* Execution: see arrayqual.c. */
extern ArrayQuals *arrayqual_begin(List *clauses, Index relid, Relation rel,
								   PlanState *parent);
extern int64 arrayqual_filter_batch(ArrayQuals *aq, ShardScan *ss, int64 nrows,
									bool *pass);

#endif							/* SPILLPOOL_ARRAYQUAL_H */
