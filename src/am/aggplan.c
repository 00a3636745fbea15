/*-------------------------------------------------------------------------
 *
 * aggplan.c
 *	  SpillpoolAggregate, planning: which aggregate queries over a
 *	  spillpool table are computed inside its scan (aggscan.c).
 *
 * The planner's upper-path hook offers, for a query that aggregates one
 * spillpool table, a CustomScan path that produces the grouped result
 * itself.  It is offered only when everything can be computed exactly as
 * PostgreSQL's own aggregates compute it:
 *
 *	- the aggregates are count(*), count(col), sum, avg, min and max of a
 *	  plain column of type int2, int4, int8, float4 or float8 (min and max
 *	  also of date, timestamp and timestamptz), without DISTINCT, ORDER BY
 *	  or FILTER;
 *	- the GROUP BY columns (any number, also none) are plain columns of type
 *	  int2, int4, int8, bool, date, timestamp, timestamptz, text or varchar
 *	  under a deterministic collation, grouped by the type's default
 *	  equality;
 *	- there is no HAVING, no grouping sets, and the WHERE clause holds no
 *	  subquery, no parameter of an outer plan, no system column and no
 *	  row-level security or security-barrier qual.
 *
 * Anything else takes the ordinary plan, and spillpool.enable_aggregate_pushdown
 * = off switches the node off.
 *
 * When the table can be scanned in parallel, the hook also offers the node
 * in partial mode under Gather: each participant aggregates the row groups
 * and blocks it claims (the leader also the memtable and its own rows) and
 * returns the transition states of its groups, in the form PostgreSQL's own
 * partial aggregates hand them on, and a Finalize Aggregate above Gather
 * combines them.  PostgreSQL 15 calls no hook for partial grouping, so the
 * whole Finalize-Gather-partial path is built here, as the planner builds
 * its own (add_paths_to_grouping_rel).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "executor/nodeHash.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/selfuncs.h"
#include "utils/typcache.h"

#include "spillpool.h"
#include "am/aggscan.h"
#include "am/aggscan_spec.h"
#include "am/arrayqual.h"
#include "am/customscan.h"
#include "am/tableam.h"

bool		spillpool_enable_aggregate_pushdown = true;

static Plan *aggscan_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
							   List *tlist, List *clauses, List *custom_plans);
static Cost aggscan_work_cost(PlannerInfo *root, RelOptInfo *input_rel, List *aggrefs,
							  int nkeys, List *quals, double groups);
static void aggscan_add_parallel_path(PlannerInfo *root, RelOptInfo *input_rel,
									  RelOptInfo *output_rel, GroupPathExtraData *extra,
									  List *group_vars, List *group_attnums, List *quals,
									  double groups, Cost serial_work);
static CustomPath *aggscan_make_path(RelOptInfo *parent, PathTarget *target, bool partial,
									 int workers, double rows, Cost startup, Index relid,
									 List *group_attnums, List *aggrefs, List *quals);

static const CustomPathMethods aggscan_path_methods = {
	.CustomName = "SpillpoolAggregate",
	.PlanCustomPath = aggscan_plan_path,
};

/*
 * True for the group-key types the node hashes: not floats (their equality
 * is not bytewise), text only under a deterministic collation (where equal
 * strings are equal bytes).
 */
static bool
aggscan_key_type_ok(Oid type, Oid collation)
{
	ShardKind	kind = aggscan_kind_of_type(type);

	if (kind == 0 || kind == SK_FLOAT4 || kind == SK_FLOAT8)
		return false;
	if (kind == SK_TEXT)
		return OidIsValid(collation) && get_collation_isdeterministic(collation);
	return true;
}

/*
 * count(DISTINCT col) of a column the node can group by, with the type's
 * default equality: computed as the groups of col, counted.
 */
static bool
aggscan_count_distinct_spec(Aggref *aggref, Index relid, AggSpec *spec)
{
	TargetEntry *tle;
	Var		   *var;
	SortGroupClause *sgc;

	if (aggref->aggfnoid != F_COUNT_ANY || aggref->aggorder != NIL ||
		aggref->aggfilter != NULL || aggref->aggkind != AGGKIND_NORMAL ||
		aggref->agglevelsup != 0 || aggref->aggsplit != AGGSPLIT_SIMPLE ||
		list_length(aggref->args) != 1 || list_length(aggref->aggdistinct) != 1)
		return false;
	tle = linitial_node(TargetEntry, aggref->args);
	sgc = linitial_node(SortGroupClause, aggref->aggdistinct);
	if (!IsA(tle->expr, Var))
		return false;
	var = (Var *) tle->expr;
	if (var->varno != relid || var->varlevelsup != 0 || var->varattno <= 0 ||
		!aggscan_key_type_ok(var->vartype, var->varcollid) ||
		sgc->eqop != lookup_type_cache(var->vartype, TYPECACHE_EQ_OPR)->eq_opr)
		return false;
	spec->calc = CALC_COUNT_DISTINCT;
	spec->attnum = var->varattno;
	spec->argtype = var->vartype;
	spec->argtypmod = var->vartypmod;
	spec->restype = aggref->aggtype;
	return true;
}

/*
 * How the Aggref is computed, or false if the node cannot compute it
 * exactly as PostgreSQL does.  Its argument must be a plain column of
 * relid.  A partial Aggref (AGGSPLIT_INITIAL_SERIAL, the partial target of
 * a parallel plan) is computed the same way; the node then returns its
 * transition state.
 */
bool
aggscan_agg_spec(Aggref *aggref, Index relid, AggSpec *spec)
{
	Var		   *var = NULL;

	if (aggref->aggdistinct != NIL)
		return aggscan_count_distinct_spec(aggref, relid, spec);
	if (aggref->aggorder != NIL ||
		aggref->aggfilter != NULL || aggref->aggkind != AGGKIND_NORMAL ||
		aggref->agglevelsup != 0 ||
		(aggref->aggsplit != AGGSPLIT_SIMPLE && aggref->aggsplit != AGGSPLIT_INITIAL_SERIAL) ||
		aggref->aggstar != (aggref->aggfnoid == F_COUNT_))
		return false;
	if (aggref->aggfnoid != F_COUNT_)
	{
		TargetEntry *tle;

		if (list_length(aggref->args) != 1)
			return false;
		tle = linitial_node(TargetEntry, aggref->args);
		if (!IsA(tle->expr, Var))
			return false;
		var = (Var *) tle->expr;
		if (var->varno != relid || var->varlevelsup != 0 || var->varattno <= 0)
			return false;
		spec->attnum = var->varattno;
		spec->argtype = var->vartype;
		spec->argtypmod = var->vartypmod;
	}
	else
	{
		spec->attnum = 0;
		spec->argtype = InvalidOid;
		spec->argtypmod = -1;
	}
	spec->restype = aggref->aggtype;

	switch (aggref->aggfnoid)
	{
		case F_COUNT_:
			spec->calc = CALC_COUNT_STAR;
			return true;
		case F_SUM_INT2:
		case F_SUM_INT4:
			spec->calc = CALC_SUM_INT;
			return true;
		case F_SUM_INT8:
			spec->calc = CALC_SUM_INT8;
			return true;
		case F_AVG_INT2:
		case F_AVG_INT4:
		case F_AVG_INT8:
			spec->calc = CALC_AVG_INT;
			return true;
		case F_SUM_FLOAT4:
			spec->calc = CALC_SUM_FLOAT4;
			return true;
		case F_SUM_FLOAT8:
			spec->calc = CALC_SUM_FLOAT8;
			return true;
		case F_AVG_FLOAT4:
		case F_AVG_FLOAT8:
			spec->calc = CALC_AVG_FLOAT;
			return true;
		case F_MIN_INT2:
		case F_MIN_INT4:
		case F_MIN_INT8:
		case F_MIN_DATE:
		case F_MIN_TIMESTAMP:
		case F_MIN_TIMESTAMPTZ:
			spec->calc = CALC_MIN_INT;
			return true;
		case F_MAX_INT2:
		case F_MAX_INT4:
		case F_MAX_INT8:
		case F_MAX_DATE:
		case F_MAX_TIMESTAMP:
		case F_MAX_TIMESTAMPTZ:
			spec->calc = CALC_MAX_INT;
			return true;
		case F_MIN_FLOAT4:
		case F_MIN_FLOAT8:
			spec->calc = CALC_MIN_FLOAT;
			return true;
		case F_MAX_FLOAT4:
		case F_MAX_FLOAT8:
			spec->calc = CALC_MAX_FLOAT;
			return true;
		case F_SUM_NUMERIC:
		case F_AVG_NUMERIC:
		case F_MIN_NUMERIC:
		case F_MAX_NUMERIC:
			{
				int			precision,
							scale;

				/* numeric(p, s) with p <= 38: DECIMAL in shards */
				if (shard_kind_of_type(NUMERICOID, var->vartypmod, &precision, &scale) != SK_NUMERIC)
					return false;
				spec->calc = aggref->aggfnoid == F_SUM_NUMERIC ? CALC_SUM_NUMERIC :
					aggref->aggfnoid == F_AVG_NUMERIC ? CALC_AVG_NUMERIC :
					aggref->aggfnoid == F_MIN_NUMERIC ? CALC_MIN_NUMERIC : CALC_MAX_NUMERIC;
				return true;
			}
		default:
			break;
	}
	if (aggref->aggfnoid == F_COUNT_ANY)
	{
		spec->calc = CALC_COUNT;
		return true;
	}
	return false;
}

/* What the planning walk collects. */
typedef struct AggscanPlanContext
{
	Index		relid;
	List	   *group_vars;
	List	   *aggrefs;		/* distinct Aggrefs, in order of appearance */
	bool		ok;
} AggscanPlanContext;

/*
 * Walks the grouping target: collects its Aggrefs, and checks that every
 * column outside them is a group column.
 */
static bool
aggscan_target_walker(Node *node, AggscanPlanContext *cxt)
{
	if (node == NULL || !cxt->ok)
		return false;
	if (IsA(node, Aggref))
	{
		AggSpec		spec;

		if (!aggscan_agg_spec((Aggref *) node, cxt->relid, &spec))
			cxt->ok = false;
		else if (!list_member(cxt->aggrefs, node))
			cxt->aggrefs = lappend(cxt->aggrefs, node);
		return false;
	}
	if (IsA(node, Var))
	{
		if (!list_member(cxt->group_vars, node))
			cxt->ok = false;
		return false;
	}
	if (IsA(node, SubPlan) || IsA(node, AlternativeSubPlan) || IsA(node, SubLink) ||
		IsA(node, GroupingFunc) || IsA(node, WindowFunc))
	{
		cxt->ok = false;
		return false;
	}
	return expression_tree_walker(node, aggscan_target_walker, (void *) cxt);
}

/* True if the WHERE clause can be evaluated by the node on table rows. */
static bool
aggscan_qual_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	if (IsA(node, SubPlan) || IsA(node, AlternativeSubPlan) || IsA(node, SubLink))
		return true;
	if (IsA(node, Var) && ((Var *) node)->varlevelsup != 0)
		return true;
	return expression_tree_walker(node, aggscan_qual_walker, context);
}

/* A short text of an aggregate for EXPLAIN: "avg(temp)". */
static char *
aggscan_agg_name(Aggref *aggref, Oid relid)
{
	if (aggref->aggstar)
		return psprintf("%s(*)", get_func_name(aggref->aggfnoid));
	return psprintf("%s(%s%s)", get_func_name(aggref->aggfnoid),
					aggref->aggdistinct != NIL ? "DISTINCT " : "",
					get_attname(relid, ((Var *) linitial_node(TargetEntry, aggref->args)->expr)->varattno,
								false));
}

/*
 * Upper-path hook: offers SpillpoolAggregate for a grouping over one
 * spillpool table that it can compute (see the file header).
 */
void
aggscan_add_paths(PlannerInfo *root, UpperRelationKind stage,
				  RelOptInfo *input_rel, RelOptInfo *output_rel, void *extra)
{
	Query	   *parse = root->parse;
	RangeTblEntry *rte;
	AggscanPlanContext cxt;
	CustomPath *cpath;
	List	   *quals = NIL;
	List	   *group_attnums = NIL;
	List	   *group_exprs = NIL;
	ListCell   *lc;
	double		groups;
	Cost		best = -1;
	Cost		work;

	if (stage != UPPERREL_GROUP_AGG || !spillpool_enable_aggregate_pushdown)
		return;
	if (input_rel->reloptkind != RELOPT_BASEREL || input_rel->rtekind != RTE_RELATION)
		return;
	rte = planner_rt_fetch(input_rel->relid, root);
	if (rte->inh || rte->tablesample != NULL || !relid_is_spillpool(rte->relid))
		return;
	if (!parse->hasAggs || parse->groupingSets != NIL || parse->havingQual != NULL ||
		parse->hasTargetSRFs)
		return;

	memset(&cxt, 0, sizeof(cxt));
	cxt.relid = input_rel->relid;
	cxt.ok = true;
	foreach(lc, parse->groupClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		Node	   *expr = get_sortgroupclause_expr(sgc, parse->targetList);
		Var		   *var;
		TypeCacheEntry *tc;

		if (!IsA(expr, Var))
			return;
		var = (Var *) expr;
		if (var->varno != input_rel->relid || var->varlevelsup != 0 || var->varattno <= 0 ||
			!aggscan_key_type_ok(var->vartype, var->varcollid))
			return;
		tc = lookup_type_cache(var->vartype, TYPECACHE_EQ_OPR);
		if (sgc->eqop != tc->eq_opr)
			return;
		if (!list_member(cxt.group_vars, var))
		{
			cxt.group_vars = lappend(cxt.group_vars, var);
			group_attnums = lappend_int(group_attnums, var->varattno);
			group_exprs = lappend(group_exprs, var);
		}
	}
	aggscan_target_walker((Node *) output_rel->reltarget->exprs, &cxt);
	if (!cxt.ok || cxt.aggrefs == NIL)
		return;
	/* count(DISTINCT col) alone, over the whole table */
	foreach(lc, cxt.aggrefs)
	{
		if (((Aggref *) lfirst(lc))->aggdistinct != NIL &&
			(list_length(cxt.aggrefs) != 1 || group_attnums != NIL))
			return;
	}
	foreach(lc, input_rel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		/*
		 * Row-level security and security-barrier quals must run before
		 * the user's own (order_qual_clauses sorts by security level); the
		 * node evaluates the clauses as they come, so it leaves such
		 * queries to the ordinary plan.
		 */
		if (ri->pseudoconstant || ri->security_level > 0 ||
			aggscan_qual_walker((Node *) ri->clause, NULL))
			return;
		quals = lappend(quals, ri->clause);
	}

	/* system columns (tableoid, ctid) are not set on shard rows read here */
	{
		Bitmapset  *qual_attrs = NULL;
		int			x = -1;

		pull_varattnos((Node *) quals, input_rel->relid, &qual_attrs);
		while ((x = bms_next_member(qual_attrs, x)) >= 0)
		{
			if (x + FirstLowInvalidHeapAttributeNumber < 0)
				return;
		}
	}

	groups = group_exprs == NIL ? 1 :
		estimate_num_groups(root, group_exprs, input_rel->rows, NULL, NULL);

	foreach(lc, output_rel->pathlist)
	{
		Path	   *p = lfirst(lc);

		if (best < 0 || p->total_cost < best)
			best = p->total_cost;
	}
	work = aggscan_work_cost(root, input_rel, cxt.aggrefs, list_length(group_attnums), quals,
							 groups);

	cpath = aggscan_make_path(output_rel, output_rel->reltarget, false, 0, groups, work,
							  input_rel->relid, group_attnums, cxt.aggrefs, quals);
	/* cheaper than scanning and aggregating row by row, which it replaces */
	if (best >= 0 && cpath->path.total_cost >= best)
	{
		/* and the parallel form's work in the same proportion, below */
		work *= best * 0.5 / cpath->path.total_cost;
		cpath->path.startup_cost = cpath->path.total_cost = best * 0.5;
	}
	add_path(output_rel, &cpath->path);

	aggscan_add_parallel_path(root, input_rel, output_rel, (GroupPathExtraData *) extra,
							  cxt.group_vars, group_attnums, quals, groups, work);
}

/*
 * A SpillpoolAggregate path over the table of range table index relid:
 * serial (parent the grouped relation) or partial (parent the partially
 * grouped relation, run by the workers of a parallel scan), its groups
 * returned after startup, which holds all the aggregation work.
 * custom_private: relid, the group columns, the Aggrefs, the WHERE clause
 * and whether the node returns transition states (aggscan_plan_path).
 */
static CustomPath *
aggscan_make_path(RelOptInfo *parent, PathTarget *target, bool partial, int workers,
				  double rows, Cost startup, Index relid, List *group_attnums,
				  List *aggrefs, List *quals)
{
	CustomPath *cpath = makeNode(CustomPath);

	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = parent;
	cpath->path.pathtarget = target;
	cpath->path.param_info = NULL;
	cpath->path.parallel_aware = partial;
	cpath->path.parallel_safe = partial;
	cpath->path.parallel_workers = workers;
	cpath->path.rows = rows;
	cpath->path.startup_cost = startup;
	cpath->path.total_cost = startup + rows * cpu_tuple_cost;
	cpath->path.pathkeys = NIL;
	cpath->flags = 0;
	cpath->methods = (CustomPathMethods *) &aggscan_path_methods;
	cpath->custom_private = list_make5(makeInteger((int) relid), group_attnums, aggrefs,
									   quals, makeInteger(partial));
	return cpath;
}

/*
 * The estimated cost of aggregating the table's rows inside the scan.  The
 * shard rows are aggregated from column arrays: a quarter of an operator
 * per row and aggregate or key (the vectorized loops measure about that,
 * against a heap scan's costs), nothing when the footers' statistics
 * answer (no WHERE clause, no key, only count, min and max).  The unflushed
 * rows are deformed and aggregated one by one.  Groups beyond hash_mem
 * cost their rows a write and a read.
 */
static Cost
aggscan_work_cost(PlannerInfo *root, RelOptInfo *input_rel, List *aggrefs, int nkeys,
				  List *quals, double groups)
{
	double		rows = input_rel->rows;
	int			naggs = list_length(aggrefs);
	bool		from_stats = quals == NIL && nkeys == 0;
	double		shard_fraction;
	Relation	rel;
	Cost		work;
	ListCell   *lc;

	foreach(lc, aggrefs)
	{
		AggSpec		spec;

		if (!aggscan_agg_spec(lfirst_node(Aggref, lc), input_rel->relid, &spec) ||
			(spec.calc != CALC_COUNT_STAR && spec.calc != CALC_COUNT &&
			 spec.calc != CALC_MIN_INT && spec.calc != CALC_MAX_INT))
			from_stats = false;
	}
	rel = table_open(planner_rt_fetch(input_rel->relid, root)->relid, NoLock);
	shard_fraction = spillpool_estimate_shard_fraction(rel);
	table_close(rel, NoLock);

	work = (1.0 - shard_fraction) * rows * (cpu_tuple_cost + cpu_operator_cost * (naggs + nkeys));
	if (!from_stats)
		work += shard_fraction * rows * 0.25 * cpu_operator_cost * (naggs + nkeys);
	if (groups * (64.0 + 48.0 * naggs) > (double) get_hash_memory_limit())
		work += 2.0 * rows * cpu_tuple_cost;
	return work;
}

/*
 * The parallel form of the node: a partial SpillpoolAggregate, run by every
 * participant of a parallel scan of the table, under Gather and a Finalize
 * Aggregate, as the planner's own parallel aggregation is built
 * (add_paths_to_grouping_rel).  Offered when the planner itself considered
 * a partial aggregation of the table, whose partial grouping target (the
 * upper relation UPPERREL_PARTIAL_GROUP_AGG) it reuses: its aggregates
 * must all be ones the node computes.  The table's parallel scan path
 * (customscan.c) gives the number of workers.  Its work is the serial
 * node's, serial_work (lowered as its cost is, below the ordinary
 * plans'), divided among the participants, plus what a worker pays to
 * warm up.
 */
static void
aggscan_add_parallel_path(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
						  GroupPathExtraData *extra, List *group_vars, List *group_attnums,
						  List *quals, double groups, Cost serial_work)
{
	Query	   *parse = root->parse;
	RelOptInfo *prel;
	Path	   *scan_path;
	AggscanPlanContext cxt;
	CustomPath *cpath;
	Path	   *gpath;
	double		divisor;
	double		partial_groups;
	double		gathered_groups;

	/*
	 * extra->patype is not looked at: enable_partitionwise_aggregate sets it
	 * for plain tables too, and input_rel is a base relation (no child of a
	 * partitioned one: see aggscan_add_paths).
	 */
	if (!output_rel->consider_parallel || input_rel->partial_pathlist == NIL ||
		!extra->partial_costs_set || (extra->flags & GROUPING_CAN_PARTIAL_AGG) == 0)
		return;
	if (parse->groupClause != NIL && (extra->flags & GROUPING_CAN_USE_HASH) == 0)
		return;
	prel = fetch_upper_rel(root, UPPERREL_PARTIAL_GROUP_AGG, output_rel->relids);
	if (prel->reltarget == NULL || prel->reltarget->exprs == NIL || !prel->consider_parallel)
		return;

	memset(&cxt, 0, sizeof(cxt));
	cxt.relid = input_rel->relid;
	cxt.group_vars = group_vars;
	cxt.ok = true;
	aggscan_target_walker((Node *) prel->reltarget->exprs, &cxt);
	if (!cxt.ok || cxt.aggrefs == NIL)
		return;

	scan_path = linitial(input_rel->partial_pathlist);
	if (scan_path->parallel_workers <= 0)
		return;
	divisor = customscan_parallel_divisor(scan_path->parallel_workers);
	partial_groups = Min(groups, clamp_row_est(input_rel->rows / divisor));

	/*
	 * Each worker also opens the shards and faults in the buffers the
	 * leader keeps between scans (about the price of starting it).
	 */
	cpath = aggscan_make_path(prel, prel->reltarget, true, scan_path->parallel_workers,
							  partial_groups, parallel_setup_cost + serial_work / divisor,
							  input_rel->relid, group_attnums, cxt.aggrefs, quals);

	/* as gather_grouping_paths: every participant may return every group */
	gathered_groups = partial_groups * scan_path->parallel_workers;
	gpath = (Path *) create_gather_path(root, prel, &cpath->path, prel->reltarget, NULL,
										&gathered_groups);
	add_path(output_rel, (Path *)
			 create_agg_path(root, output_rel, gpath, output_rel->reltarget,
							 parse->groupClause != NIL ? AGG_HASHED : AGG_PLAIN,
							 AGGSPLIT_FINAL_DESERIAL, parse->groupClause,
							 (List *) extra->havingQual, &extra->agg_final_costs,
							 groups));
}

/*
 * Builds the CustomScan.  Its scan tuple (custom_scan_tlist) is the group
 * columns followed by the aggregates; setrefs turns the target list's
 * references to them into INDEX_VAR columns of that tuple.  The WHERE
 * clause goes into custom_private: it is evaluated on table rows, not on
 * the node's output, and holds no parameter or subquery (see the path's
 * conditions), so setrefs has nothing to adjust in it.  Its Vars keep the
 * range table index of planning, which goes along with it: setrefs may
 * offset scanrelid (a query flattened into another) but not custom_private.
 * custom_private: (group attnums, decoded attnums), the aggregate specs,
 * (WHERE clause, row-group filters, its text, whether it is evaluated on
 * the arrays, range table index), the aggregates' and keys' names, and
 * whether the node returns transition states (partial, under Gather)
 * rather than results.
 */
static Plan *
aggscan_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
				  List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	Index		relid = (Index) intVal(linitial(best_path->custom_private));
	List	   *group_attnums = lsecond(best_path->custom_private);
	List	   *aggrefs = lthird(best_path->custom_private);
	List	   *quals = lfourth(best_path->custom_private);
	bool		partial = intVal(list_nth(best_path->custom_private, 4)) != 0;
	RangeTblEntry *rte = planner_rt_fetch(relid, root);
	List	   *scan_tlist = NIL;
	List	   *agg_names = NIL;
	List	   *key_names = NIL;
	List	   *specs = NIL;
	List	   *attr_list = NIL;
	List	   *filters;
	List	   *filter_sources;
	char	   *filter_text = "";
	bool		on_arrays = quals != NIL;
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	AttrNumber	resno = 1;
	int			x;

	foreach(lc, group_attnums)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
		Oid			type;
		int32		typmod;
		Oid			collid;

		get_atttypetypmodcoll(rte->relid, attnum, &type, &typmod, &collid);
		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) makeVar(relid, attnum, type, typmod, collid, 0),
											 resno++, NULL, false));
		key_names = lappend(key_names, makeString(get_attname(rte->relid, attnum, false)));
		attrs = bms_add_member(attrs, attnum - FirstLowInvalidHeapAttributeNumber);
	}
	foreach(lc, aggrefs)
	{
		Aggref	   *aggref = lfirst_node(Aggref, lc);
		AggSpec		spec;

		if (!aggscan_agg_spec(aggref, relid, &spec))
			elog(ERROR, "unexpected aggregate in a spillpool aggregate scan");
		scan_tlist = lappend(scan_tlist, makeTargetEntry((Expr *) aggref, resno++, NULL, false));
		agg_names = lappend(agg_names, makeString(aggscan_agg_name(aggref, rte->relid)));
		specs = lappend(specs, list_make5_int((int) spec.calc, (int) spec.attnum,
											  (int) spec.argtype, (int) spec.restype,
											  (int) spec.argtypmod));
		if (spec.attnum > 0)
			attrs = bms_add_member(attrs, spec.attnum - FirstLowInvalidHeapAttributeNumber);
	}
	pull_varattnos((Node *) quals, relid, &attrs);
	x = -1;
	while ((x = bms_next_member(attrs, x)) >= 0)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;

		/* 0: a whole-row reference in the WHERE clause needs every column */
		if (attnum >= 0)
			attr_list = lappend_int(attr_list, attnum);
	}
	filters = customscan_row_group_filters(quals, relid, &filter_sources);
	if (quals != NIL)
	{
		/* the filter's text for EXPLAIN, over the table alone */
		Node	   *expr = copyObject((Node *) make_ands_explicit(quals));

		if (relid != 1)
			ChangeVarNodes(expr, relid, 1, 0);
		filter_text = deparse_expression(expr,
										 deparse_context_for(rte->eref->aliasname, rte->relid),
										 false, false);
	}

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = NIL;
	cscan->scan.scanrelid = relid;
	cscan->custom_scan_tlist = scan_tlist;
	cscan->flags = best_path->flags;
	cscan->methods = &aggscan_scan_methods;
	foreach(lc, quals)
		on_arrays = on_arrays && arrayqual_clause_ok(lfirst(lc), relid, rte->relid);
	cscan->custom_private = list_make5(list_make2(group_attnums, attr_list), specs,
									   list_make5(copyObject(quals), filters, makeString(filter_text),
												  makeInteger(on_arrays), makeInteger((int) relid)),
									   agg_names, key_names);
	cscan->custom_private = lappend(cscan->custom_private, makeInteger(partial));
	return &cscan->scan.plan;
}
