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

extern bool spillpool_enable_custom_scan;

extern void customscan_init(void);
extern void customscan_add_path(struct PlannerInfo *root, struct RelOptInfo *rel,
								struct RangeTblEntry *rte);

#endif							/* SPILLPOOL_CUSTOMSCAN_H */
