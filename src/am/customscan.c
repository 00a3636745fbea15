/*-------------------------------------------------------------------------
 *
 * customscan.c
 *	  The SpillpoolScan custom scan: the plan node that reads a spillpool
 *	  table with column projection and row-group skipping in its shards.
 *
 * A plain sequential scan through the table access method cannot tell the
 * access method which columns the query needs, so for every spillpool base
 * relation the planner hook replaces the sequential scan path with a
 * CustomPath (as Citus columnar does).  Its plan records
 *	- the attributes the query reads (target list and quals), so that only
 *	  those Parquet columns are decoded;
 *	- the quals of the form "column op constant" with op one of <, <=, =,
 *	  >=, > (BETWEEN becomes two of them) on integer, float, date,
 *	  timestamp and text columns: a shard row group whose min/max rule the
 *	  qual out is not read at all.  Text ranges are used only under the C
 *	  collation (Parquet orders strings by bytes); text equality under any
 *	  deterministic collation.
 * The quals of one column that arrayqual.c evaluates on column arrays
 * (comparisons, LIKE, IS NULL, ...) are taken out of the plan's qual: they
 * are evaluated on each shard row group's arrays before any row is built,
 * so that only the rows that pass are built from the arrays (late
 * materialization), and on the rows of the other tiers as they come.  The
 * remaining quals are evaluated by ExecScan on every row returned.
 * EXPLAIN shows the columns and the filters, and EXPLAIN ANALYZE how many
 * row groups were skipped.  spillpool.enable_custom_scan = off falls back
 * to the plain scan.
 *
 * The parallel path (customscan_add_partial_path) shares the scan through
 * the query's shared memory; see SpillParallelScan in scan.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "access/parallel.h"
#include "access/stratnum.h"
#include "access/sysattr.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "spillpool.h"
#include "am/arrayqual.h"
#include "am/customscan.h"
#include "am/scan.h"
#include "shard/convert.h"
#include "shard/shard_read.h"

bool		spillpool_enable_custom_scan = true;
bool		spillpool_enable_parallel_scan = true;

static void customscan_add_partial_path(PlannerInfo *root, RelOptInfo *rel);
static void customscan_split_array_quals(PlannerInfo *root, RelOptInfo *rel, List *clauses,
										 List *actual, List **array_clauses,
										 List **row_clauses);

/* Execution state of one SpillpoolScan. */
typedef struct SpillpoolScanState
{
	CustomScanState css;
	Bitmapset  *attrs;			/* needed attributes, NULL = all */
	List	   *filters;		/* ShardFilter */
	List	   *filter_exprs;	/* the quals they came from, for EXPLAIN */
	ShardScanCounters counters;
	TupleTableSlot *fetch_slot; /* the access method's slot type */
	int			max_attr;		/* highest attribute the query reads */

	/* conditions evaluated on shard arrays first (see spillpool_scan_next) */
	List	   *array_clauses;	/* for EXPLAIN */
	ArrayQuals *array_quals;	/* on the arrays of a row group */
	ExprState  *array_qual;		/* the same on rows of the other tiers */
	ShardScan  *shards;			/* the scan's shards, read row group by row group */
	bool		shards_done;
	bool	   *pass;			/* rows of the row group that passed */
	int64		pass_cap;
	int64		batch_rows;
	int64		batch_next;		/* next row of the row group to look at */
	bool		batch_on_rows;	/* its arrays could not take the conditions */
	int64		rows_removed_on_arrays;	/* for EXPLAIN ANALYZE */
} SpillpoolScanState;

static Plan *spillpool_plan_path(PlannerInfo *root, RelOptInfo *rel,
								 CustomPath *best_path, List *tlist,
								 List *clauses, List *custom_plans);
static Node *spillpool_create_scan_state(CustomScan *cscan);
static void spillpool_begin_scan(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *spillpool_exec_scan(CustomScanState *node);
static void spillpool_end_scan(CustomScanState *node);
static void spillpool_rescan(CustomScanState *node);
static void spillpool_explain_scan(CustomScanState *node, List *ancestors,
								   ExplainState *es);

static const CustomPathMethods spillpool_path_methods = {
	.CustomName = "SpillpoolScan",
	.PlanCustomPath = spillpool_plan_path,
};

static const CustomScanMethods spillpool_scan_methods = {
	.CustomName = "SpillpoolScan",
	.CreateCustomScanState = spillpool_create_scan_state,
};

static Size spillpool_estimate_dsm(CustomScanState *node, ParallelContext *pcxt);
static void spillpool_initialize_dsm(CustomScanState *node, ParallelContext *pcxt,
									 void *coordinate);
static void spillpool_reinitialize_dsm(CustomScanState *node, ParallelContext *pcxt,
									   void *coordinate);
static void spillpool_initialize_worker(CustomScanState *node, shm_toc *toc,
										void *coordinate);

static const CustomExecMethods spillpool_exec_methods = {
	.CustomName = "SpillpoolScan",
	.BeginCustomScan = spillpool_begin_scan,
	.ExecCustomScan = spillpool_exec_scan,
	.EndCustomScan = spillpool_end_scan,
	.ReScanCustomScan = spillpool_rescan,
	.EstimateDSMCustomScan = spillpool_estimate_dsm,
	.InitializeDSMCustomScan = spillpool_initialize_dsm,
	.ReInitializeDSMCustomScan = spillpool_reinitialize_dsm,
	.InitializeWorkerCustomScan = spillpool_initialize_worker,
	.ExplainCustomScan = spillpool_explain_scan,
};

/* Registers the scan methods, so plans can be copied and read back. */
void
customscan_init(void)
{
	RegisterCustomScanMethods(&spillpool_scan_methods);
}

/*
 * Replaces the sequential scan paths of a spillpool base relation with a
 * SpillpoolScan path of slightly lower cost.  Called from the planner hook
 * in hooks.c, after the paths were made parallel-unsafe.
 */
void
customscan_add_path(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	List	   *paths = NIL;
	ListCell   *lc;

	if (!spillpool_enable_custom_scan || rel->reloptkind != RELOPT_BASEREL)
		return;
	foreach(lc, rel->pathlist)
	{
		Path	   *path = lfirst(lc);

		if (path->pathtype == T_SeqScan)
		{
			CustomPath *cpath = makeNode(CustomPath);

			cpath->path.pathtype = T_CustomScan;
			cpath->path.parent = rel;
			cpath->path.pathtarget = rel->reltarget;
			cpath->path.param_info = path->param_info;
			cpath->path.parallel_aware = false;
			cpath->path.parallel_safe = false;
			cpath->path.parallel_workers = 0;
			cpath->path.rows = path->rows;
			cpath->path.startup_cost = path->startup_cost;
			/* reading fewer columns costs less; stay just below seqscan */
			cpath->path.total_cost = path->total_cost * 0.99;
			cpath->path.pathkeys = NIL;
			cpath->flags = 0;
			cpath->methods = &spillpool_path_methods;
			paths = lappend(paths, cpath);
		}
		else
			paths = lappend(paths, path);
	}
	rel->pathlist = NIL;
	foreach(lc, paths)
		add_path(rel, (Path *) lfirst(lc));
	customscan_add_partial_path(root, rel);
	set_cheapest(rel);
}

/*
 * The share of a parallel spillpool scan's work that each participant
 * does, as costsize.c's get_parallel_divisor with the leader taking part
 * (a parallel spillpool scan always has it: see below).  The aggregate
 * node's parallel form divides its work the same way (aggplan.c).
 */
double
customscan_parallel_divisor(int workers)
{
	return workers + Max(0.0, 1.0 - 0.3 * workers);
}

/*
 * A parallel SpillpoolScan (see SpillParallelScan in scan.h): workers and
 * leader share the shards' row groups and the segments' blocks, the leader
 * alone reads the memtable and its own rows.  So the leader must take part
 * (parallel_leader_participation), and only this partial path may run in
 * a worker: the table's other paths stay parallel-unsafe (hooks.c).
 */
static void
customscan_add_partial_path(PlannerInfo *root, RelOptInfo *rel)
{
	CustomPath *cpath;
	Path	   *seq = NULL;
	ListCell   *lc;
	int			workers;
	double		divisor;

	if (!spillpool_enable_parallel_scan || !rel->consider_parallel ||
		!parallel_leader_participation || rel->lateral_relids != NULL)
		return;
	foreach(lc, rel->pathlist)
	{
		Path	   *path = lfirst(lc);

		if (IsA(path, CustomPath) && ((CustomPath *) path)->methods == &spillpool_path_methods &&
			path->param_info == NULL)
			seq = path;
	}
	if (seq == NULL)
		return;
	/*
	 * Decoding costs per row, whatever the size of the compressed files:
	 * the workers are those of a heap table of as many rows.
	 */
	workers = compute_parallel_worker(rel, Max(rel->pages, rel->tuples / ANALYZE_ROWS_PER_BLOCK),
									  -1, max_parallel_workers_per_gather);
	if (workers <= 0)
		return;
	divisor = customscan_parallel_divisor(workers);

	cpath = makeNode(CustomPath);
	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = rel;
	cpath->path.pathtarget = rel->reltarget;
	cpath->path.param_info = NULL;
	cpath->path.parallel_aware = true;
	cpath->path.parallel_safe = true;
	cpath->path.parallel_workers = workers;
	cpath->path.rows = clamp_row_est(seq->rows / divisor);
	cpath->path.startup_cost = seq->startup_cost;
	/* the CPU part divides among the participants, the I/O part not quite */
	cpath->path.total_cost = seq->startup_cost +
		(seq->total_cost - seq->startup_cost) / divisor;
	cpath->path.pathkeys = NIL;
	cpath->flags = 0;
	cpath->methods = &spillpool_path_methods;
	add_partial_path(rel, &cpath->path);
}

/*
 * A row-group filter travels from the planner to the executor in the plan's
 * custom_private, which must hold nodes only (plans are copied and may be
 * cached): a list of five nodes, in the order of FilterField.  These two
 * functions are the only ones that know that layout.
 */
typedef enum FilterField
{
	FILTER_ATTNUM,				/* Integer: the column */
	FILTER_STRATEGY,			/* Integer: BTLessStrategyNumber ... */
	FILTER_VALUE,				/* Const: the constant compared with */
	FILTER_CMP_PROC,			/* Integer: btree comparison function */
	FILTER_COLLATION			/* Integer: collation of the comparison */
} FilterField;

static List *
filter_to_list(AttrNumber attnum, int strategy, Const *value, Oid cmp_proc,
			   Oid collation)
{
	return list_make5(makeInteger(attnum), makeInteger(strategy),
					  copyObject(value), makeInteger((int) cmp_proc),
					  makeInteger((int) collation));
}

static ShardFilter *
filter_from_list(List *f)
{
	ShardFilter *sf = palloc0(sizeof(ShardFilter));
	Const	   *value = list_nth_node(Const, f, FILTER_VALUE);

	sf->attnum = (AttrNumber) intVal(list_nth(f, FILTER_ATTNUM));
	sf->strategy = intVal(list_nth(f, FILTER_STRATEGY));
	sf->value = value->constvalue;
	sf->value_type = value->consttype;
	sf->cmp_proc = (Oid) intVal(list_nth(f, FILTER_CMP_PROC));
	sf->collation = (Oid) intVal(list_nth(f, FILTER_COLLATION));
	return sf;
}

/*
 * The row-group filter (see filter_to_list) of a qual "column op constant"
 * (either way round), or NIL if the qual is not one row-group statistics
 * can decide.
 */
static List *
spillpool_filter_for_clause(Expr *clause, Index relid)
{
	OpExpr	   *op;
	Node	   *left,
			   *right;
	Var		   *var;
	Const	   *cst;
	bool		var_left;
	Oid			opclass,
				opfamily,
				vartype,
				cmp;
	int			strategy;

	if (!IsA(clause, OpExpr))
		return NIL;
	op = (OpExpr *) clause;
	if (list_length(op->args) != 2)
		return NIL;
	left = strip_implicit_coercions(linitial(op->args));
	right = strip_implicit_coercions(lsecond(op->args));
	if (IsA(left, Var) && IsA(right, Const))
	{
		var = (Var *) left;
		cst = (Const *) right;
		var_left = true;
	}
	else if (IsA(right, Var) && IsA(left, Const))
	{
		var = (Var *) right;
		cst = (Const *) left;
		var_left = false;
	}
	else
		return NIL;
	if (var->varno != relid || var->varlevelsup != 0 || var->varattno <= 0 ||
		cst->constisnull)
		return NIL;

	vartype = var->vartype;
	switch (vartype)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			break;
		case TEXTOID:
		case VARCHAROID:
			vartype = TEXTOID;
			break;
		default:
			return NIL;
	}
	opclass = GetDefaultOpClass(vartype, BTREE_AM_OID);
	if (!OidIsValid(opclass))
		return NIL;
	opfamily = get_opclass_family(opclass);
	strategy = get_op_opfamily_strategy(op->opno, opfamily);
	if (strategy == 0)
		return NIL;
	if (!var_left)
		strategy = BTCommuteStrategyNumber(strategy);
	if (vartype == TEXTOID)
	{
		/* shards order strings by UTF-8 bytes: other encodings differ */
		if (!database_text_is_utf8())
			return NIL;
		if (cst->consttype != TEXTOID && cst->consttype != VARCHAROID)
			return NIL;
		if (!OidIsValid(op->inputcollid) ||
			(strategy == BTEqualStrategyNumber ?
			 !get_collation_isdeterministic(op->inputcollid) :
			 !lc_collate_is_c(op->inputcollid)))
			return NIL;
	}
	cmp = get_opfamily_proc(opfamily, vartype,
							vartype == TEXTOID ? TEXTOID : cst->consttype, BTORDER_PROC);
	if (!OidIsValid(cmp))
		return NIL;
	/*
	 * Text min/max are in byte order, so they are compared under "C": for
	 * ranges the qual's collation is "C" anyway, and under a deterministic
	 * collation equal strings are equal bytes.
	 */
	return filter_to_list(var->varattno, strategy, cst, cmp,
						  vartype == TEXTOID ? C_COLLATION_OID : op->inputcollid);
}

/*
 * The row-group filters (see filter_to_list) that the quals "clauses" of
 * relation relid give, for a plan's custom_private; the quals they came
 * from go to *sources, for EXPLAIN.  Shared with the aggregate scan.
 */
List *
customscan_row_group_filters(List *clauses, Index relid, List **sources)
{
	List	   *filters = NIL;
	ListCell   *lc;

	*sources = NIL;
	foreach(lc, clauses)
	{
		List	   *f = spillpool_filter_for_clause(lfirst(lc), relid);

		if (f != NIL)
		{
			filters = lappend(filters, f);
			*sources = lappend(*sources, lfirst(lc));
		}
	}
	return filters;
}

/* The ShardFilters of a plan's filter lists, for the shard reader. */
List *
customscan_shard_filters(List *filter_lists)
{
	List	   *filters = NIL;
	ListCell   *lc;

	foreach(lc, filter_lists)
		filters = lappend(filters, filter_from_list(lfirst(lc)));
	return filters;
}

/*
 * Builds the CustomScan plan: the quals as usual, and in custom_private
 * the attributes to decode (an integer list, empty for all) and the
 * row-group filters (see filter_to_list) with, for EXPLAIN, the
 * quals they came from.
 */
static Plan *
spillpool_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
					List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	Bitmapset  *attrs = NULL;
	List	   *attr_list = NIL;
	List	   *filters = NIL;
	List	   *filter_exprs = NIL;
	List	   *actual = extract_actual_clauses(clauses, false);
	List	   *array_clauses;
	List	   *row_clauses;
	int			x;
	bool		all = false;

	pull_varattnos((Node *) rel->reltarget->exprs, rel->relid, &attrs);
	pull_varattnos((Node *) actual, rel->relid, &attrs);
	x = -1;
	while ((x = bms_next_member(attrs, x)) >= 0)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;

		if (attnum == 0)
			all = true;			/* a whole-row reference */
		else if (attnum > 0)
			attr_list = lappend_int(attr_list, attnum);
	}
	if (all)
		attr_list = list_make1_int(0);

	filters = customscan_row_group_filters(actual, rel->relid, &filter_exprs);
	customscan_split_array_quals(root, rel, clauses, actual, &array_clauses, &row_clauses);

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = row_clauses;
	cscan->scan.scanrelid = rel->relid;
	cscan->flags = best_path->flags;
	cscan->methods = &spillpool_scan_methods;
	cscan->custom_private = list_make5(attr_list, filters, filter_exprs, array_clauses,
									   makeInteger((int) rel->relid));
	return &cscan->scan.plan;
}

/*
 * Which quals the scan evaluates on a shard row group's column arrays
 * before it builds any row (late materialization): those of one column
 * that arrayqual.c takes, in their order, as long as they can all go
 * first, i.e. no qual is a row-level security or security-barrier one
 * (those must run before the user's own) and the query reads no system
 * column (shard rows built from arrays get no row position).  The others
 * stay in the plan's qual, evaluated by ExecScan on the rows built.
 */
static void
customscan_split_array_quals(PlannerInfo *root, RelOptInfo *rel, List *clauses,
							 List *actual, List **array_clauses, List **row_clauses)
{
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	int			x = -1;

	*array_clauses = NIL;
	*row_clauses = actual;
	foreach(lc, clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (ri->security_level > 0)
			return;
	}
	pull_varattnos((Node *) rel->reltarget->exprs, rel->relid, &attrs);
	pull_varattnos((Node *) actual, rel->relid, &attrs);
	while ((x = bms_next_member(attrs, x)) >= 0)
	{
		if (x + FirstLowInvalidHeapAttributeNumber < 0)
			return;
	}
	*row_clauses = NIL;
	foreach(lc, actual)
	{
		Expr	   *clause = lfirst(lc);

		if (!contain_exec_param((Node *) clause, NULL) &&
			arrayqual_clause_ok(clause, rel->relid, rte->relid))
			*array_clauses = lappend(*array_clauses, clause);
		else
			*row_clauses = lappend(*row_clauses, clause);
	}
}

/* Creates the execution state; BeginCustomScan fills it. */
static Node *
spillpool_create_scan_state(CustomScan *cscan)
{
	SpillpoolScanState *state = palloc0(sizeof(SpillpoolScanState));

	NodeSetTag(state, T_CustomScanState);
	state->css.methods = &spillpool_exec_methods;
	return (Node *) state;
}

/* Decodes custom_private into the attribute set and ShardFilters. */
static void
spillpool_begin_scan(CustomScanState *node, EState *estate, int eflags)
{
	SpillpoolScanState *state = (SpillpoolScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	Relation	rel = node->ss.ss_currentRelation;
	List	   *attr_list = linitial(cscan->custom_private);
	List	   *filters = lsecond(cscan->custom_private);
	ListCell   *lc;

	state->max_attr = 0;
	foreach(lc, attr_list)
	{
		int			attnum = lfirst_int(lc);

		if (attnum == 0)
		{
			state->attrs = NULL;
			state->max_attr = RelationGetDescr(rel)->natts;
			break;
		}
		state->attrs = bms_add_member(state->attrs,
									  attnum - FirstLowInvalidHeapAttributeNumber);
		state->max_attr = Max(state->max_attr, attnum);
	}
	if (attr_list == NIL)
	{
		/* no user column at all (count(*)): a system column decodes none */
		state->attrs = bms_make_singleton(SelfItemPointerAttributeNumber -
										  FirstLowInvalidHeapAttributeNumber);
	}
	state->filters = customscan_shard_filters(filters);
	state->filter_exprs = lthird(cscan->custom_private);
	state->fetch_slot = table_slot_create(rel, &estate->es_tupleTable);
	state->array_clauses = lfourth(cscan->custom_private);
	if (state->array_clauses != NIL)
	{
		state->array_quals = arrayqual_begin(state->array_clauses,
											 (Index) intVal(list_nth(cscan->custom_private, 4)),
											 rel, &node->ss.ps);
		state->array_qual = ExecInitQual(state->array_clauses, &node->ss.ps);
	}
}

/* The table scan of the node, begun on first use. */
static TableScanDesc
spillpool_scan_desc(ScanState *ss)
{
	SpillpoolScanState *state = (SpillpoolScanState *) ss;

	if (ss->ss_currentScanDesc == NULL)
	{
		EState	   *estate = ss->ps.state;

		ss->ss_currentScanDesc = table_beginscan(ss->ss_currentRelation,
												 estate->es_snapshot, 0, NULL);
		spillpool_scan_set_projection(ss->ss_currentScanDesc, state->attrs,
									  state->filters, &state->counters);
	}
	return ss->ss_currentScanDesc;
}

/*
 * With conditions to evaluate on the arrays: the next shard row that passes
 * them, built from the row group's arrays into fetch; false after the last
 * shard.  A row group whose arrays cannot take the conditions (a column
 * with exception values, text to convert) is read row by row, with the
 * conditions evaluated on each row.
 */
static bool
spillpool_scan_next_shard_row(SpillpoolScanState *state, TupleTableSlot *fetch)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;

	for (;;)
	{
		while (state->batch_next < state->batch_rows)
		{
			int64		r = state->batch_next++;

			if (!state->batch_on_rows && !state->pass[r])
				continue;
			shard_scan_batch_row(state->shards, r, fetch);
			if (state->batch_on_rows)
			{
				/* the qual reads the slot's values as they are */
				slot_getallattrs(fetch);
				econtext->ecxt_scantuple = fetch;
				if (!ExecQual(state->array_qual, econtext))
				{
					ResetExprContext(econtext);
					state->rows_removed_on_arrays++;
					continue;
				}
			}
			return true;
		}
		CHECK_FOR_INTERRUPTS();
		if (!shard_scan_next_batch(state->shards))
			return false;
		state->batch_rows = shard_scan_batch_rows(state->shards);
		state->batch_next = 0;
		if (state->batch_rows > state->pass_cap)
		{
			state->pass_cap = Max(state->batch_rows, 2 * state->pass_cap);
			if (state->pass)
				pfree(state->pass);
			state->pass = MemoryContextAlloc(state->css.ss.ps.state->es_query_cxt,
											 sizeof(bool) * state->pass_cap);
		}
		state->batch_on_rows = false;
		{
			int64		npass = arrayqual_filter_batch(state->array_quals, state->shards,
													   state->batch_rows, state->pass);

			if (npass < 0)
				state->batch_on_rows = true;
			else
				state->rows_removed_on_arrays += state->batch_rows - npass;
		}
	}
}

/* Fetches the next row from the access method into the scan slot. */
static TupleTableSlot *
spillpool_scan_next(ScanState *ss)
{
	SpillpoolScanState *state = (SpillpoolScanState *) ss;
	TupleTableSlot *scan_slot = ss->ss_ScanTupleSlot;
	TupleTableSlot *fetch = state->fetch_slot;
	int			natts = scan_slot->tts_tupleDescriptor->natts;
	int			n = Min(state->max_attr, natts);
	TableScanDesc scan = spillpool_scan_desc(ss);
	bool		found = false;

	ExecClearTuple(scan_slot);
	if (state->array_quals != NULL)
	{
		if (ScanDirectionIsBackward(ss->ps.state->es_direction))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("spillpool tables can only be scanned forward"),
					 errhint("Use a SCROLL cursor, which reads backward through a Material node.")));
		if (!state->shards_done)
		{
			if (state->shards == NULL)
				state->shards = spillpool_scan_shards(scan);
			if (state->shards != NULL && spillpool_scan_next_shard_row(state, fetch))
				found = true;
			else
			{
				if (state->shards != NULL)
					spillpool_scan_end_shards(scan);
				state->shards = NULL;
				state->shards_done = true;
			}
		}
		while (!found)
		{
			ExprContext *econtext = ss->ps.ps_ExprContext;

			if (!table_scan_getnextslot(scan, ForwardScanDirection, fetch))
				return scan_slot;
			slot_getallattrs(fetch);
			econtext->ecxt_scantuple = fetch;
			found = ExecQual(state->array_qual, econtext);
			ResetExprContext(econtext);
			if (!found)
				state->rows_removed_on_arrays++;
		}
	}
	/* the access method refuses backward scans with a clear error */
	else if (!table_scan_getnextslot(scan, ss->ps.state->es_direction, fetch))
		return scan_slot;
	if (n > 0)
		slot_getsomeattrs(fetch, n);
	memcpy(scan_slot->tts_values, fetch->tts_values, sizeof(Datum) * n);
	memcpy(scan_slot->tts_isnull, fetch->tts_isnull, sizeof(bool) * n);
	if (n < natts)
	{
		memset(scan_slot->tts_values + n, 0, sizeof(Datum) * (natts - n));
		memset(scan_slot->tts_isnull + n, true, sizeof(bool) * (natts - n));
	}
	scan_slot->tts_tableOid = RelationGetRelid(ss->ss_currentRelation);
	scan_slot->tts_tid = fetch->tts_tid;
	return ExecStoreVirtualTuple(scan_slot);
}

/* Quals are evaluated by ExecScan; nothing to recheck. */
static bool
spillpool_scan_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
spillpool_exec_scan(CustomScanState *node)
{
	return ExecScan(&node->ss, spillpool_scan_next, spillpool_scan_recheck);
}

static void
spillpool_end_scan(CustomScanState *node)
{
	if (node->ss.ss_currentScanDesc != NULL)
		table_endscan(node->ss.ss_currentScanDesc);
	node->ss.ss_currentScanDesc = NULL;
}

static void
spillpool_rescan(CustomScanState *node)
{
	SpillpoolScanState *state = (SpillpoolScanState *) node;

	if (node->ss.ss_currentScanDesc != NULL)
		table_rescan(node->ss.ss_currentScanDesc, NULL);
	state->shards = NULL;		/* the rescan ended them */
	state->shards_done = false;
	state->batch_rows = state->batch_next = 0;
}

/* Parallel: the shared state of the scan (SpillParallelScan). */
static Size
spillpool_estimate_dsm(CustomScanState *node, ParallelContext *pcxt)
{
	return sizeof(SpillParallelScan);
}

/*
 * The leader, before the workers start: begins its scan, which fixes what
 * every participant reads (and checks that the leader takes part).
 */
static void
spillpool_initialize_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	spillpool_scan_parallel_leader(spillpool_scan_desc(&node->ss), coordinate);
}

/* A rescan: the leader's scan starts anew (ReScan reset it). */
static void
spillpool_reinitialize_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	spillpool_scan_parallel_leader(spillpool_scan_desc(&node->ss), coordinate);
}

/* A worker joins the scan the leader fixed. */
static void
spillpool_initialize_worker(CustomScanState *node, shm_toc *toc, void *coordinate)
{
	spillpool_scan_parallel_worker(spillpool_scan_desc(&node->ss), coordinate);
}

/*
 * EXPLAIN: the columns decoded from shards and the row-group filters;
 * with ANALYZE, the shards and row groups read and skipped.
 */
static void
spillpool_explain_scan(CustomScanState *node, List *ancestors, ExplainState *es)
{
	SpillpoolScanState *state = (SpillpoolScanState *) node;
	Relation	rel = node->ss.ss_currentRelation;
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData cols;

	initStringInfo(&cols);
	if (state->attrs == NULL)
		appendStringInfoString(&cols, "all");
	else
	{
		int			x = -1;

		while ((x = bms_next_member(state->attrs, x)) >= 0)
		{
			AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;

			if (attnum <= 0 || attnum > desc->natts)
				continue;
			appendStringInfo(&cols, "%s%s", cols.len > 0 ? ", " : "",
							 quote_identifier(NameStr(TupleDescAttr(desc, attnum - 1)->attname)));
		}
		if (cols.len == 0)
			appendStringInfoString(&cols, "none");
	}
	ExplainPropertyText("Shard Columns", cols.data, es);
	if (state->filter_exprs != NIL)
	{
		List	   *context = set_deparse_context_plan(es->deparse_cxt,
													   node->ss.ps.plan, ancestors);
		Node	   *expr = (Node *) make_ands_explicit(state->filter_exprs);

		ExplainPropertyText("Row Group Filter",
							deparse_expression(expr, context, true, false), es);
	}
	if (state->array_clauses != NIL)
	{
		List	   *context = set_deparse_context_plan(es->deparse_cxt,
													   node->ss.ps.plan, ancestors);
		Node	   *expr = (Node *) make_ands_explicit(state->array_clauses);
		CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
		Index		relid = (Index) intVal(list_nth(cscan->custom_private, 4));

		/* the conditions keep planning's range table index (see plan_path) */
		if (relid != cscan->scan.scanrelid)
		{
			expr = copyObject(expr);
			ChangeVarNodes(expr, relid, cscan->scan.scanrelid, 0);
		}
		ExplainPropertyText("Array Filter", deparse_expression(expr, context, false, false), es);
		if (es->analyze)
			ExplainPropertyInteger("Rows Removed by Array Filter", NULL,
								   state->rows_removed_on_arrays, es);
	}
	if (es->analyze)
	{
		ExplainPropertyInteger("Shards Read", NULL, state->counters.shards, es);
		ExplainPropertyInteger("Row Groups Read", NULL,
							   state->counters.row_groups - state->counters.row_groups_skipped, es);
		ExplainPropertyInteger("Row Groups Skipped", NULL,
							   state->counters.row_groups_skipped, es);
	}
}
