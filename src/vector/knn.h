/*-------------------------------------------------------------------------
 *
 * knn.h
 *	  SpillpoolKnn, the nearest-neighbour scan (knn.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_KNN_H
#define SPILLPOOL_KNN_H

#include "nodes/pathnodes.h"

extern void knn_init(void);
extern void knn_add_path(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte);

#endif							/* SPILLPOOL_KNN_H */
