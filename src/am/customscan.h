/*-------------------------------------------------------------------------
 *
 * customscan.h
 *	  The SpillpoolScan custom scan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_CUSTOMSCAN_H
#define SPILLPOOL_CUSTOMSCAN_H

struct PlannerInfo;
struct RelOptInfo;
struct RangeTblEntry;

#include "nodes/pg_list.h"

extern bool spillpool_enable_custom_scan;
extern bool spillpool_enable_parallel_scan;

extern void customscan_init(void);
extern List *customscan_row_group_filters(List *clauses, Index relid,
										  List **sources);
extern List *customscan_shard_filters(List *filter_lists);
extern double customscan_parallel_divisor(int workers);
extern void customscan_add_path(struct PlannerInfo *root, struct RelOptInfo *rel,
								struct RangeTblEntry *rte);

#endif							/* SPILLPOOL_CUSTOMSCAN_H */
