/*-------------------------------------------------------------------------
 *
 * aggscan.h
 *	  SpillpoolAggregate: aggregates computed inside the scan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_AGGSCAN_H
#define SPILLPOOL_AGGSCAN_H

#include "nodes/pathnodes.h"

extern bool spillpool_enable_aggregate_pushdown;

extern void aggscan_init(void);
extern void aggscan_add_paths(PlannerInfo *root, UpperRelationKind stage,
							  RelOptInfo *input_rel, RelOptInfo *output_rel,
							  void *extra);

#endif							/* SPILLPOOL_AGGSCAN_H */
