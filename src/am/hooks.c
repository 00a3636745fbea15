/*-------------------------------------------------------------------------
 *
 * hooks.c
 *	  The executor and planner hooks: append-only refusals before anything
 *	  runs, only the parallel custom scan in parallel plans, and the custom
 *	  scan's paths.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/paths.h"
#include "optimizer/plancat.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"

#include "spillpool.h"
#include "am/aggscan.h"
#include "am/customscan.h"
#include "am/hooks.h"
#include "am/tableam.h"
#include "vector/knn.h"

static ExecutorStart_hook_type prev_executor_start = NULL;
static set_rel_pathlist_hook_type prev_set_rel_pathlist = NULL;
static create_upper_paths_hook_type prev_create_upper_paths = NULL;

/* Refuses the modifications of one ModifyTable node on a spillpool table. */
static void
spillpool_check_modify(ModifyTable *mt, List *rtable)
{
	ListCell   *lc;

	foreach(lc, mt->resultRelations)
	{
		RangeTblEntry *rte = rt_fetch(lfirst_int(lc), rtable);

		if (rte->rtekind != RTE_RELATION || !relid_is_spillpool(rte->relid))
			continue;
		switch (mt->operation)
		{
			case CMD_UPDATE:
				spillpool_append_only_error("UPDATE");
				break;
			case CMD_DELETE:
				spillpool_append_only_error("DELETE");
				break;
			case CMD_MERGE:
				spillpool_append_only_error("MERGE");
				break;
			case CMD_INSERT:
				if (mt->onConflictAction != ONCONFLICT_NONE)
					spillpool_append_only_error("INSERT ... ON CONFLICT");
				break;
			default:
				break;
		}
	}
}

/* Walks a plan tree for ModifyTable nodes. */
static void
spillpool_check_plan(Plan *plan, List *rtable)
{
	if (plan == NULL)
		return;
	if (IsA(plan, ModifyTable))
		spillpool_check_modify((ModifyTable *) plan, rtable);
	spillpool_check_plan(plan->lefttree, rtable);
	spillpool_check_plan(plan->righttree, rtable);
	if (IsA(plan, Append))
	{
		ListCell   *lc;

		foreach(lc, ((Append *) plan)->appendplans)
			spillpool_check_plan(lfirst(lc), rtable);
	}
}

/*
 * Refuses UPDATE, DELETE, MERGE, ON CONFLICT and row locks on spillpool
 * tables before anything runs, so they fail even when no row matches.
 */
static void
spillpool_executor_start(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	ListCell   *lc;

	/* EXPLAIN without ANALYZE changes nothing */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		goto run;
	if (stmt->commandType != CMD_SELECT || stmt->hasModifyingCTE)
	{
		spillpool_check_plan(stmt->planTree, stmt->rtable);
		foreach(lc, stmt->subplans)
			spillpool_check_plan(lfirst(lc), stmt->rtable);
	}
	foreach(lc, stmt->rowMarks)
	{
		PlanRowMark *rm = lfirst(lc);
		RangeTblEntry *rte = rt_fetch(rm->rti, stmt->rtable);

		if (rm->markType != ROW_MARK_REFERENCE && rm->markType != ROW_MARK_COPY &&
			rte->rtekind == RTE_RELATION && relid_is_spillpool(rte->relid))
			spillpool_append_only_error("SELECT ... FOR UPDATE/SHARE");
	}

run:
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/*
 * A spillpool scan that runs in a worker must know it is one: only the
 * leader holds the transaction's own pending rows and the copy of the
 * memtable the scan reads.  So every path of a spillpool table is marked
 * parallel-unsafe (a Parallel Append would run even a non-partial child
 * scan in a worker, and a worker could build a hash table from one), the
 * access method's partial sequential scan is dropped, and the one path
 * that may run in workers is the parallel SpillpoolScan, which shares the
 * tiers with the leader (customscan.c).  The relation itself stays open to
 * parallel plans, so that joins with it can be parallel.
 */
static void
spillpool_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
						   RangeTblEntry *rte)
{
	ListCell   *lc;

	if (prev_set_rel_pathlist)
		prev_set_rel_pathlist(root, rel, rti, rte);
	if (rte->rtekind != RTE_RELATION || !relid_is_spillpool(rte->relid))
		return;
	rel->partial_pathlist = NIL;
	foreach(lc, rel->pathlist)
		((Path *) lfirst(lc))->parallel_safe = false;
	if (!spillpool_enable_custom_scan)
		rel->consider_parallel = false;
	customscan_add_path(root, rel, rte);
	knn_add_path(root, rel, rte);
}

/*
 * Upper paths: an aggregate over one spillpool table may be computed in the
 * scan (aggscan.c).
 */
static void
spillpool_create_upper_paths(PlannerInfo *root, UpperRelationKind stage,
							 RelOptInfo *input_rel, RelOptInfo *output_rel,
							 void *extra)
{
	if (prev_create_upper_paths)
		prev_create_upper_paths(root, stage, input_rel, output_rel, extra);
	aggscan_add_paths(root, stage, input_rel, output_rel, extra);
}

/* Installs the executor and planner hooks; called from _PG_init. */
void
hooks_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = spillpool_executor_start;
	prev_set_rel_pathlist = set_rel_pathlist_hook;
	set_rel_pathlist_hook = spillpool_set_rel_pathlist;
	prev_create_upper_paths = create_upper_paths_hook;
	create_upper_paths_hook = spillpool_create_upper_paths;
}
