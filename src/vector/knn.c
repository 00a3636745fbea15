/*-------------------------------------------------------------------------
 *
 * knn.c
 *	  SpillpoolKnn: the plan node of a nearest-neighbour query over a
 *	  spillpool table,
 *		SELECT ... FROM t [WHERE ...] ORDER BY embedding <-> query LIMIT k
 *	  (or <=>, <#>: the operator of the table's embedding_metric).
 *
 * The planner hook offers the node for a query on one spillpool table
 * ordered by the distance between the table's embedding column and a
 * value that does not depend on the row, with a constant LIMIT (k is
 * LIMIT plus OFFSET; a parameter of a custom plan is a constant by then;
 * not WITH TIES, whose ties go past k).  The node then stands for the
 * scan, the sort and the rows the limit drops:
 *	- each shard of the scan's snapshot is searched in its HNSW index
 *	  (shard_index.c) with a candidate list of max(spillpool.ef_search, k),
 *	  giving its k nearest rows; a shard with no more vectors than that,
 *	  and a shard without a usable index (written before the table had an
 *	  embedding column, or whose index file is missing or damaged: a
 *	  WARNING says so), is searched exactly;
 *	- the rows not yet in shards (segments, memtable, the transaction's
 *	  own rows) are read as a scan reads them and their distances computed
 *	  exactly;
 *	- the k nearest of all those are returned in distance order, then
 *	  the rows whose embedding is NULL, as ORDER BY puts NULLs last (and
 *	  rows whose value is not a vector of the column's dimension, whose
 *	  distance then fails to compute, as it does without the node).
 * The indexes are those of the embedding column as it is now: one built
 * over another column, dimension or metric is not used.
 *
 * With a WHERE clause the node evaluates the clause itself before the
 * search, so that the k rows it returns all pass it (a search that
 * returned k rows and filtered them afterwards could return fewer than k
 * when k exist).  For each shard it reads only the clause's columns,
 * evaluates the clause on every row, and searches the index for the
 * nearest vectors among the rows that passed: the graph is walked through
 * every vector, but only passing ones are kept.  When few rows pass (no
 * more than the candidate list), or the walk found fewer than k while more
 * passed, the shard's passing vectors are searched exactly instead, so a
 * shard with k passing rows always yields k.  The unflushed rows are
 * filtered as they are read.
 *
 * Rows of a shard found through its index are fetched by their row
 * number, reading only the columns the query needs besides the embedding,
 * whose value is rebuilt from the index's copy of the vector.  Inserts
 * check that the embedding column holds vectors with subscripts from 1;
 * a value stored before the column was the embedding column may start
 * elsewhere, and the index flags it, so that it is read from the shard
 * instead and comes back as stored.
 *
 * spillpool.enable_knn = off plans such queries as before: a scan, a sort
 * and a limit.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relscan.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "spillpool.h"
#include "am/scan.h"
#include "shard/shard_read.h"
#include "tier/manifest.h"
#include "tier/memtable.h"
#include "tier/options.h"
#include "vector/distance.h"
#include "vector/knn.h"
#include "vector/shard_index.h"

/* Larger limits are planned as a sort: a search would gain nothing. */
#define KNN_MAX_K 10000

/* One row the search found: in a shard (by row number) or unflushed. */
typedef struct KnnCandidate
{
	float8		distance;
	int			shard;			/* in the scan's shard list; INT_MAX: unflushed */
	int64		row;			/* row of the shard, or order of the unflushed */
	int32		vector;			/* its vector in the shard's index, or -1 */
	MinimalTuple tuple;			/* the row, once fetched or copied */
} KnnCandidate;

typedef struct KnnScanState
{
	CustomScanState css;
	AttrNumber	attnum;			/* the embedding column */
	int			metric;
	int			dim;
	int			k;
	ExprState  *query_expr;
	Bitmapset  *attrs;			/* columns the rows returned need (NULL: all) */
	Bitmapset  *qual_attrs;		/* columns the quals need (NULL: all) */
	bool		has_qual;
	MemoryContext cxt;			/* everything one search allocates */
	bool		searched;
	bool		query_null;		/* no distance to compute: every row, after */
	int			query_dim;		/* the query vector's, if not the column's
								 * (knn_search_all); else 0 */
	ShardScan  *qs;				/* the shard readers of a search, ended on */
	ShardScan  *es;				/* errors too (knn_search) */
	ShardScan  *fs;
	KnnCandidate *results;
	int			nresults;
	int			next;
	TableScanDesc null_scan;	/* the rows with NULL embeddings, after */
	bool		null_done;
	TupleTableSlot *fetch_slot;
	/* for EXPLAIN ANALYZE */
	int64		shards_indexed;
	int64		shards_exact;
	int64		shards_warned;
	int64		rows_brute_forced;
	int64		vectors_compared;	/* index vectors searched exactly */
} KnnScanState;

static Plan *knn_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
						   List *tlist, List *clauses, List *custom_plans);
static Node *knn_create_scan_state(CustomScan *cscan);
static void knn_begin_scan(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *knn_exec_scan(CustomScanState *node);
static void knn_end_scan(CustomScanState *node);
static void knn_rescan(CustomScanState *node);
static void knn_explain_scan(CustomScanState *node, List *ancestors, ExplainState *es);

static const CustomPathMethods knn_path_methods = {
	.CustomName = "SpillpoolKnn",
	.PlanCustomPath = knn_plan_path,
};

static const CustomScanMethods knn_scan_methods = {
	.CustomName = "SpillpoolKnn",
	.CreateCustomScanState = knn_create_scan_state,
};

static const CustomExecMethods knn_exec_methods = {
	.CustomName = "SpillpoolKnn",
	.BeginCustomScan = knn_begin_scan,
	.ExecCustomScan = knn_exec_scan,
	.EndCustomScan = knn_end_scan,
	.ReScanCustomScan = knn_rescan,
	.ExplainCustomScan = knn_explain_scan,
};

/* Registers the scan methods, so plans can be copied and read back. */
void
knn_init(void)
{
	RegisterCustomScanMethods(&knn_scan_methods);
}

/* The operator of a metric: spillpool.<->, <=> or <#> on real[]. */
static Oid
knn_metric_operator(int metric)
{
	const char *name = metric == VECTOR_METRIC_COSINE ? "<=>" :
		metric == VECTOR_METRIC_INNER_PRODUCT ? "<#>" : "<->";

	return OpernameGetOprid(list_make2(makeString("spillpool"), makeString(pstrdup(name))),
							FLOAT4ARRAYOID, FLOAT4ARRAYOID);
}

/* Is node the column attnum of the relation relid? */
static bool
knn_is_column(Node *node, Index relid, AttrNumber attnum)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node && IsA(node, Var) && ((Var *) node)->varno == relid &&
		((Var *) node)->varattno == attnum && ((Var *) node)->varlevelsup == 0;
}

/* Is node a value the same for every row: no column, nothing volatile? */
static bool
knn_is_query(Node *node)
{
	return !contain_var_clause(node) && !contain_volatile_functions(node) &&
		!contain_subplans(node);
}

/*
 * Is the query ordered by the distance between the embedding column and a
 * value the same for every row, ascending, NULLs last, and by nothing
 * else?  Sets *query to that value.
 */
static bool
knn_match_order(PlannerInfo *root, RelOptInfo *rel, AttrNumber attnum, Oid opno, Expr **query)
{
	PathKey    *pk;
	ListCell   *lc;

	if (list_length(root->query_pathkeys) != 1)
		return false;
	pk = linitial(root->query_pathkeys);
	if (pk->pk_strategy != BTLessStrategyNumber || pk->pk_nulls_first ||
		get_opfamily_member(pk->pk_opfamily, FLOAT8OID, FLOAT8OID,
							BTLessStrategyNumber) != Float8LessOperator)
		return false;
	foreach(lc, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);
		Expr	   *e = em->em_expr;
		OpExpr	   *op;
		Node	   *a,
				   *b;

		while (IsA(e, RelabelType))
			e = ((RelabelType *) e)->arg;
		if (!IsA(e, OpExpr))
			continue;
		op = (OpExpr *) e;
		if (op->opno != opno || list_length(op->args) != 2)
			continue;
		a = linitial(op->args);
		b = lsecond(op->args);
		if (knn_is_column(a, rel->relid, attnum) && knn_is_query(b))
		{
			*query = (Expr *) b;
			return true;
		}
		if (knn_is_column(b, rel->relid, attnum) && knn_is_query(a))
		{
			*query = (Expr *) a;
			return true;
		}
	}
	return false;
}

/*
 * The attribute numbers a list of expressions reads, as a list; false if
 * one is a system column (shard rows fetched by number have none).  A
 * whole-row reference gives 0.
 */
static bool
knn_columns(Node *exprs, Index relid, List **attnums)
{
	Bitmapset  *attrs = NULL;
	int			x = -1;

	pull_varattnos(exprs, relid, &attrs);
	*attnums = NIL;
	while ((x = bms_next_member(attrs, x)) >= 0)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;

		if (attnum < 0)
			return false;
		*attnums = lappend_int(*attnums, attnum);
	}
	return true;
}

/*
 * Adds a SpillpoolKnn path to a spillpool base relation when the query
 * is a nearest-neighbour query on its embedding column (see the file
 * comment).  Called from the planner hook in hooks.c.
 */
void
knn_add_path(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	Relation	relation;
	SpillOptions opts;
	AttrNumber	attnum;
	Oid			opno;
	Expr	   *query;
	CustomPath *cpath;
	List	   *out_cols;
	List	   *qual_cols;
	List	   *quals = NIL;
	ListCell   *lc;
	double		k = root->limit_tuples;
	Cost		full;

	if (!spillpool_enable_knn || rel->reloptkind != RELOPT_BASEREL || rte->inh ||
		bms_num_members(root->all_baserels) != 1 || k < 1 || k > KNN_MAX_K ||
		root->query_pathkeys == NIL || rel->pathlist == NIL)
		return;

	/*
	 * k must be what the limit is, not an estimate: a constant LIMIT (and
	 * OFFSET), which a custom plan's parameters also become, without WITH
	 * TIES.
	 */
	if (root->parse->limitOption == LIMIT_OPTION_WITH_TIES ||
		root->parse->limitCount == NULL || !IsA(root->parse->limitCount, Const) ||
		(root->parse->limitOffset != NULL && !IsA(root->parse->limitOffset, Const)))
		return;
	relation = table_open(rte->relid, NoLock);
	options_get(relation, &opts);
	attnum = opts.embedding_column[0] != '\0' ?
		get_attnum(rte->relid, opts.embedding_column) : InvalidAttrNumber;
	table_close(relation, NoLock);
	if (attnum <= 0 || opts.embedding_dimension <= 0)
		return;
	opno = knn_metric_operator(opts.embedding_metric);
	if (!OidIsValid(opno) || !knn_match_order(root, rel, attnum, opno, &query))
		return;
	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst(lc);

		/* evaluated on rows the plain plan never reads: nothing volatile */
		if (contain_volatile_functions((Node *) ri->clause))
			return;
		quals = lappend(quals, ri->clause);
	}
	if (!knn_columns((Node *) rel->reltarget->exprs, rel->relid, &out_cols) ||
		!knn_columns((Node *) quals, rel->relid, &qual_cols))
		return;

	cpath = makeNode(CustomPath);
	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = rel;
	cpath->path.pathtarget = rel->reltarget;
	cpath->path.param_info = NULL;
	cpath->path.parallel_aware = false;
	cpath->path.parallel_safe = false;
	cpath->path.parallel_workers = 0;
	cpath->path.rows = Min(k, rel->rows);
	/* a search reads a small part of the table */
	full = ((Path *) linitial(rel->pathlist))->total_cost;
	foreach(lc, rel->pathlist)
		full = Min(full, ((Path *) lfirst(lc))->total_cost);
	cpath->path.startup_cost = full * 0.01;
	cpath->path.total_cost = full * 0.01 + cpath->path.rows * cpu_tuple_cost;
	cpath->path.pathkeys = root->query_pathkeys;
	cpath->flags = CUSTOMPATH_SUPPORT_PROJECTION;
	cpath->methods = &knn_path_methods;
	cpath->custom_private = list_make5(list_make4_int(attnum, opts.embedding_metric,
													  opts.embedding_dimension, (int) k),
									   out_cols, qual_cols, query,
									   makeInteger(quals != NIL));
	add_path(rel, &cpath->path);
}

/* The plan: the quals stay in the plan's qual, the query in custom_exprs. */
static Plan *
knn_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			  List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	List	   *priv = best_path->custom_private;

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = extract_actual_clauses(clauses, false);
	cscan->scan.scanrelid = rel->relid;
	cscan->flags = best_path->flags;
	cscan->methods = &knn_scan_methods;
	cscan->custom_exprs = list_make1(list_nth(priv, 3));
	cscan->custom_private = list_make4(linitial(priv), lsecond(priv), lthird(priv),
									   list_nth(priv, 4));
	return &cscan->scan.plan;
}

/* The node's state, filled by knn_begin_scan. */
static Node *
knn_create_scan_state(CustomScan *cscan)
{
	KnnScanState *state = palloc0(sizeof(KnnScanState));

	NodeSetTag(state, T_CustomScanState);
	state->css.methods = &knn_exec_methods;
	return (Node *) state;
}

/* Attribute numbers into a set as scans take it; 0 (whole row): NULL. */
static Bitmapset *
knn_attr_set(List *attnums, AttrNumber also)
{
	Bitmapset  *attrs = NULL;
	ListCell   *lc;

	foreach(lc, attnums)
	{
		if (lfirst_int(lc) == 0)
			return NULL;
		attrs = bms_add_member(attrs, lfirst_int(lc) - FirstLowInvalidHeapAttributeNumber);
	}
	if (also > 0)
		attrs = bms_add_member(attrs, also - FirstLowInvalidHeapAttributeNumber);
	if (attrs == NULL)
		attrs = bms_make_singleton(SelfItemPointerAttributeNumber -
								   FirstLowInvalidHeapAttributeNumber);
	return attrs;
}

/* Reads the plan's parameters; the search waits for the first row. */
static void
knn_begin_scan(CustomScanState *node, EState *estate, int eflags)
{
	KnnScanState *state = (KnnScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *params = linitial(cscan->custom_private);

	state->attnum = linitial_int(params);
	state->metric = lsecond_int(params);
	state->dim = lthird_int(params);
	state->k = lfourth_int(params);
	state->qual_attrs = knn_attr_set(lthird(cscan->custom_private), 0);
	/* the rows returned are checked against the quals again (ExecScan) */
	state->attrs = knn_attr_set(lsecond(cscan->custom_private), state->attnum);
	if (state->attrs != NULL && state->qual_attrs != NULL)
		state->attrs = bms_union(state->attrs, state->qual_attrs);
	else
		state->attrs = NULL;
	state->has_qual = intVal(lfourth(cscan->custom_private)) != 0;
	state->query_expr = ExecInitExpr(linitial(cscan->custom_exprs), &node->ss.ps);
	state->fetch_slot = table_slot_create(node->ss.ss_currentRelation, &estate->es_tupleTable);
	state->cxt = AllocSetContextCreate(CurrentMemoryContext, "spillpool knn",
									   ALLOCSET_DEFAULT_SIZES);
}

/* Orders candidates by distance (NaN last), then in scan order. */
static int
knn_candidate_cmp(const void *a, const void *b)
{
	const KnnCandidate *x = a;
	const KnnCandidate *y = b;

	if (float8_lt(x->distance, y->distance))
		return -1;
	if (float8_gt(x->distance, y->distance))
		return 1;
	if (x->shard != y->shard)
		return x->shard < y->shard ? -1 : 1;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return 0;
}

/* Orders candidates by shard and row, to fetch them in file order. */
static int
knn_candidate_place_cmp(const void *a, const void *b)
{
	const KnnCandidate *const *x = a;
	const KnnCandidate *const *y = b;

	if ((*x)->shard != (*y)->shard)
		return (*x)->shard < (*y)->shard ? -1 : 1;
	if ((*x)->row != (*y)->row)
		return (*x)->row < (*y)->row ? -1 : 1;
	return 0;
}

/* A growing list of candidates. */
typedef struct KnnList
{
	KnnCandidate *c;
	int			n;
	int			cap;
} KnnList;

static void
knn_list_add(KnnList *l, float8 distance, int shard, int64 row, int32 vector,
			 MinimalTuple tuple)
{
	if (l->n == l->cap)
	{
		l->cap = Max(l->cap * 2, 64);
		l->c = l->c ? repalloc_huge(l->c, sizeof(KnnCandidate) * l->cap) :
			palloc_extended(sizeof(KnnCandidate) * l->cap, MCXT_ALLOC_HUGE);
	}
	l->c[l->n].distance = distance;
	l->c[l->n].shard = shard;
	l->c[l->n].row = row;
	l->c[l->n].vector = vector;
	l->c[l->n].tuple = tuple;
	l->n++;
}

/*
 * Keeps the "keep" nearest candidates of l from index "from" on, once
 * more than twice that many gathered there (so trimming costs little per
 * candidate); frees the tuples of the others.
 */
static void
knn_list_trim(KnnList *l, int from, int keep, bool force)
{
	int			i;

	if (l->n - from <= keep || (!force && l->n - from < 2 * keep + 64))
		return;
	qsort(l->c + from, l->n - from, sizeof(KnnCandidate), knn_candidate_cmp);
	for (i = from + keep; i < l->n; i++)
		if (l->c[i].tuple)
			pfree(l->c[i].tuple);
	l->n = from + keep;
}

/*
 * Do the quals pass on a row in slot?  The quals were compiled for the
 * node's scan slot, which is virtual: they read the slot's values as they
 * are, so the row is deformed first.
 */
static bool
knn_qual(KnnScanState *state, TupleTableSlot *slot)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;

	if (state->css.ss.ps.qual == NULL)
		return true;
	slot_getallattrs(slot);
	econtext->ecxt_scantuple = slot;
	return ExecQual(state->css.ss.ps.qual, econtext);
}

/*
 * Evaluates the quals on every row of shard number "shard", reading only
 * their columns; returns a flag per row, and the number that passed.
 */
static bool *
knn_shard_qual(KnnScanState *state, ShardScan *qs, int shard, int64 rows, int64 *npass)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	bool	   *ok = palloc_extended(Max(rows, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	int64		r = 0;

	*npass = 0;
	shard_scan_seek(qs, shard, 0);
	while (r < rows && shard_scan_next(qs, state->fetch_slot))
	{
		ok[r] = knn_qual(state, state->fetch_slot);
		if (ok[r])
			(*npass)++;
		ResetExprContext(econtext);
		r++;
	}
	return ok;
}

/*
 * The vector of the embedding column in slot, if it holds one of the
 * table's dimension.
 */
static bool
knn_slot_vector(KnnScanState *state, TupleTableSlot *slot, const float4 **v)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, state->attnum, &isnull);

	return !isnull && shard_index_vector(d, state->dim, v, NULL);
}

/*
 * A shard without a usable index: every row's distance, exactly, from
 * the Parquet file; the k nearest (of the rows in ok, if given) go to l.
 */
static void
knn_shard_exact(KnnScanState *state, ShardScan *es, int shard, const bool *ok,
				const float4 *q, KnnList *l)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	int64		r = 0;
	int			from = l->n;

	shard_scan_seek(es, shard, 0);
	while (shard_scan_next(es, state->fetch_slot))
	{
		const float4 *v;
		bool		found;
		float8		d = 0;
		/* a detoasted copy of the vector lives as long as the row */
		MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);

		found = (ok == NULL || ok[r]) && knn_slot_vector(state, state->fetch_slot, &v);
		if (found)
			d = hnsw_distance(state->metric, q, v, state->dim);
		MemoryContextSwitchTo(old);
		if (found)
		{
			knn_list_add(l, d, shard, r, -1, NULL);
			knn_list_trim(l, from, state->k, false);
		}
		ResetExprContext(econtext);
		state->rows_brute_forced++;
		r++;
	}
	knn_list_trim(l, from, state->k, true);
}

/*
 * A shard with an index: its k nearest rows (of those in ok, if given),
 * by the index, or exactly over the index's vectors when the candidate
 * list would cover every vector that may be returned.
 */
static void
knn_shard_indexed(KnnScanState *state, const HnswIndex *ix, int shard, const bool *ok,
				  const float4 *q, KnnList *l)
{
	int			ef = Max(spillpool_ef_search, state->k);
	bool	   *allowed = NULL;
	int64		nallowed = ix->n;
	HnswHit    *hits;
	int			nhits;
	int			i;

	if (ok != NULL)
	{
		allowed = palloc_extended(Max(ix->n, 1), MCXT_ALLOC_HUGE);
		nallowed = 0;
		for (i = 0; i < ix->n; i++)
			if ((allowed[i] = ok[ix->rows[i]]))
				nallowed++;
	}
	if (nallowed == 0)
	{
		if (allowed)
			pfree(allowed);
		return;
	}
	hits = palloc(sizeof(HnswHit) * Max(ef, 1));
	if (nallowed <= ef)
	{
		nhits = hnsw_search_exact(ix, q, state->k, allowed, hits);
		state->vectors_compared += ok ? ix->n : nallowed;
	}
	else
	{
		nhits = hnsw_search(ix, q, ef, state->k, allowed, hits);
		/* the walk may miss passing vectors the filter cut off: be exact */
		if (nhits < state->k && nhits < nallowed)
		{
			nhits = hnsw_search_exact(ix, q, state->k, allowed, hits);
			state->vectors_compared += ix->n;
		}
	}
	/* a value whose subscripts do not start at 1 is read, not rebuilt */
	for (i = 0; i < nhits; i++)
		knn_list_add(l, hits[i].distance, shard, ix->rows[hits[i].id],
					 (ix->flags[hits[i].id] & HNSW_VECTOR_OWN_BOUNDS) ? -1 : hits[i].id,
					 NULL);
	pfree(hits);
	if (allowed)
		pfree(allowed);
}

/*
 * The rows a shard search found: each fetched by its row number with the
 * columns the query needs; the embedding, when the index gave the
 * vector, is rebuilt from it rather than read (and not read at all when
 * every row found came from an index).
 */
static void
knn_fetch_shard_rows(KnnScanState *state, Relation rel, const SpillTableKey *key,
					 uint64 snapshot, KnnCandidate *c, int n, const HnswIndex **indexes)
{
	TupleDesc	desc = RelationGetDescr(rel);
	KnnCandidate **order = palloc(sizeof(KnnCandidate *) * Max(n, 1));
	int			norder = 0;
	bool		all_indexed = true;
	Bitmapset  *attrs = bms_copy(state->attrs);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *isnull = palloc(sizeof(bool) * desc->natts);
	int			i;

	for (i = 0; i < n; i++)
		if (c[i].shard != INT_MAX)
		{
			order[norder++] = &c[i];
			all_indexed &= (c[i].vector >= 0);
		}
	if (norder == 0)
		return;
	qsort(order, norder, sizeof(KnnCandidate *), knn_candidate_place_cmp);
	if (attrs != NULL && all_indexed)
		attrs = bms_del_member(attrs, state->attnum - FirstLowInvalidHeapAttributeNumber);
	/* no column at all: a system column decodes none */
	if (attrs != NULL && bms_is_empty(attrs))
		attrs = bms_make_singleton(SelfItemPointerAttributeNumber -
								   FirstLowInvalidHeapAttributeNumber);
	state->fs = shard_scan_begin(rel, desc, key->dbid, key->relfilenode, snapshot, attrs,
								 NIL, NULL);
	for (i = 0; i < norder; i++)
	{
		KnnCandidate *cand = order[i];

		shard_scan_seek(state->fs, cand->shard, cand->row);
		if (!shard_scan_next(state->fs, state->fetch_slot))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("row " INT64_FORMAT " of a shard of spillpool table \"%s\" is missing",
							cand->row, RelationGetRelationName(rel))));
		slot_getallattrs(state->fetch_slot);
		memcpy(values, state->fetch_slot->tts_values, sizeof(Datum) * desc->natts);
		memcpy(isnull, state->fetch_slot->tts_isnull, sizeof(bool) * desc->natts);
		if (cand->vector >= 0)
		{
			const float4 *v = indexes[cand->shard]->vectors + (Size) cand->vector * state->dim;
			Datum	   *elems = palloc(sizeof(Datum) * state->dim);
			int			j;

			for (j = 0; j < state->dim; j++)
				elems[j] = Float4GetDatum(v[j]);
			values[state->attnum - 1] =
				PointerGetDatum(construct_array(elems, state->dim, FLOAT4OID,
												sizeof(float4), true, TYPALIGN_INT));
			isnull[state->attnum - 1] = false;
		}
		cand->tuple = heap_form_minimal_tuple(desc, values, isnull);
	}
}

/*
 * The search proper: every shard of the snapshot, then the unflushed rows;
 * the k nearest into state->results, in distance order, fetched.  Its
 * shard readers are in state, for knn_search to end.
 */
static void
knn_search_tiers(KnnScanState *state, const float4 *q)
{
	ScanState  *ss = &state->css.ss;
	EState	   *estate = ss->ps.state;
	Relation	rel = ss->ss_currentRelation;
	TupleDesc	desc = RelationGetDescr(rel);
	ExprContext *econtext = ss->ps.ps_ExprContext;
	TableScanDesc sscan;
	uint64		snapshot;
	ManifestShard *shards = NULL;
	int			nshards = 0;
	const HnswIndex **indexes;
	KnnList		l = {NULL, 0, 0};
	int			from;
	int64		unflushed = 0;
	SpillTableKey key = spilltable_for_rel(rel)->key;
	int			i;

	sscan = table_beginscan(rel, estate->es_snapshot, 0, NULL);
	spillpool_scan_set_projection(sscan, state->attrs, NIL, NULL);
	snapshot = spillpool_scan_snapshot_id(sscan);
	if (snapshot > 0)
	{
		const Manifest *m = manifest_get(key.dbid, key.relfilenode, snapshot);

		shards = palloc(sizeof(ManifestShard) * Max(m->nshards, 1));
		for (i = 0; i < m->nshards; i++)
			if (manifest_shard_in_snapshot(&m->shards[i], snapshot))
				shards[nshards++] = m->shards[i];
	}
	indexes = palloc0(sizeof(HnswIndex *) * Max(nshards, 1));

	/* the shards: by index, or exactly */
	for (i = 0; i < nshards; i++)
	{
		bool	   *ok = NULL;
		int64		npass = shards[i].rows;
		char	   *error = NULL;

		CHECK_FOR_INTERRUPTS();
		if (state->has_qual)
		{
			if (state->qs == NULL)
				state->qs = shard_scan_begin(rel, desc, key.dbid, key.relfilenode,
											 snapshot, state->qual_attrs, NIL, NULL);
			ok = knn_shard_qual(state, state->qs, i, shards[i].rows, &npass);
			if (npass == 0)
				continue;
		}
		if (shards[i].has_index)
		{
			indexes[i] = shard_index_load(key.dbid, key.relfilenode, &shards[i],
										  state->attnum, state->dim, state->metric, &error);
			if (indexes[i] == NULL)
			{
				char		path[MAXPGPATH];

				shard_index_path(path, key.dbid, key.relfilenode,
								 shards[i].snapshot, shards[i].n);
				ereport(WARNING,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("index of a shard of spillpool table \"%s\" cannot be used; searching the shard exactly",
								RelationGetRelationName(rel)),
						 errdetail_internal("%s", error),
						 errhint("spillpool.compact builds new indexes for the shards it rewrites (those below the table's compact_target_size).")));
				state->shards_warned++;
			}
		}
		if (indexes[i] != NULL)
		{
			knn_shard_indexed(state, indexes[i], i, ok, q, &l);
			state->shards_indexed++;
		}
		else
		{
			Bitmapset  *attrs = bms_make_singleton(state->attnum - FirstLowInvalidHeapAttributeNumber);

			if (state->es == NULL)
				state->es = shard_scan_begin(rel, desc, key.dbid, key.relfilenode,
											 snapshot, attrs, NIL, NULL);
			knn_shard_exact(state, state->es, i, ok, q, &l);
			state->shards_exact++;
		}
		if (ok)
			pfree(ok);
	}

	/* the unflushed rows, exactly */
	spillpool_scan_end_shards(sscan);
	from = l.n;
	while (table_scan_getnextslot(sscan, ForwardScanDirection, state->fetch_slot))
	{
		const float4 *v;
		bool		found;
		float8		d = 0;

		CHECK_FOR_INTERRUPTS();
		state->rows_brute_forced++;
		/* a detoasted copy of the vector lives as long as the row */
		MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		found = knn_qual(state, state->fetch_slot) &&
			knn_slot_vector(state, state->fetch_slot, &v);
		if (found)
			d = hnsw_distance(state->metric, q, v, state->dim);
		MemoryContextSwitchTo(state->cxt);
		if (found)
		{
			knn_list_add(&l, d, INT_MAX, unflushed, -1,
						 ExecCopySlotMinimalTuple(state->fetch_slot));
			knn_list_trim(&l, from, state->k, false);
		}
		ResetExprContext(econtext);
		unflushed++;
	}

	/*
	 * The k nearest of all, fetched, in order.  The table scan ends after
	 * the fetch: while it runs, no expiry deletes the shards it reads.
	 */
	knn_list_trim(&l, 0, state->k, true);
	if (l.n > 0)
		qsort(l.c, l.n, sizeof(KnnCandidate), knn_candidate_cmp);
	knn_fetch_shard_rows(state, rel, &key, snapshot, l.c, l.n, indexes);
	table_endscan(sscan);
	state->results = l.c;
	state->nresults = l.n;
}

/*
 * A query vector of another dimension than the column's: the distance of
 * every row that passes the quals, computed as the operator computes it
 * (a row with a vector of the query's dimension gets one, any other vector
 * is the operator's error), and the k nearest of them, as the plan without
 * the node would sort them.  Column values stored before the column became
 * the embedding column may have any dimension, so this is not an error in
 * itself.
 */
static void
knn_search_all(KnnScanState *state, const float4 *q, int qdim)
{
	ScanState  *ss = &state->css.ss;
	ExprContext *econtext = ss->ps.ps_ExprContext;
	TableScanDesc sscan;
	KnnList		l = {NULL, 0, 0};
	int64		row = 0;

	sscan = table_beginscan(ss->ss_currentRelation, ss->ps.state->es_snapshot, 0, NULL);
	spillpool_scan_set_projection(sscan, state->attrs, NIL, NULL);
	while (table_scan_getnextslot(sscan, ForwardScanDirection, state->fetch_slot))
	{
		bool		isnull;
		bool		found = false;
		float8		d = 0;

		CHECK_FOR_INTERRUPTS();
		state->rows_brute_forced++;
		MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		if (knn_qual(state, state->fetch_slot))
		{
			Datum		value = slot_getattr(state->fetch_slot, state->attnum, &isnull);

			if (!isnull)
			{
				const float4 *v;
				int			n = vector_elements(DatumGetArrayTypeP(value), &v);

				if (n != qdim)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("different vector dimensions %d and %d", n, qdim)));
				d = hnsw_distance(state->metric, v, q, n);
				found = true;
			}
		}
		MemoryContextSwitchTo(state->cxt);
		if (found)
		{
			knn_list_add(&l, d, INT_MAX, row, -1, ExecCopySlotMinimalTuple(state->fetch_slot));
			knn_list_trim(&l, 0, state->k, false);
		}
		ResetExprContext(econtext);
		row++;
	}
	table_endscan(sscan);
	knn_list_trim(&l, 0, state->k, true);
	if (l.n > 0)
		qsort(l.c, l.n, sizeof(KnnCandidate), knn_candidate_cmp);
	state->results = l.c;
	state->nresults = l.n;
}

/* Ends the shard readers of a search. */
static void
knn_end_shard_scans(KnnScanState *state)
{
	if (state->qs)
		shard_scan_end(state->qs);
	if (state->es)
		shard_scan_end(state->es);
	if (state->fs)
		shard_scan_end(state->fs);
	state->qs = state->es = state->fs = NULL;
}

/*
 * Evaluates the query vector and searches.  A NULL vector gives no
 * distance at all: every row comes, in scan order.  One of another
 * dimension than the column's is searched for among every row
 * (knn_search_all).  The shard readers (allocated outside the query's
 * memory) are ended on errors too, and the indexes the search uses stay
 * cached until it ends.
 */
static void
knn_search(KnnScanState *state)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	MemoryContext old;
	Datum		qd;
	bool		qnull;
	const float4 *q;
	int			qdim;

	state->searched = true;
	qd = ExecEvalExprSwitchContext(state->query_expr, econtext, &qnull);
	if (qnull)
	{
		state->query_null = true;
		return;
	}
	old = MemoryContextSwitchTo(state->cxt);
	qdim = vector_elements(DatumGetArrayTypePCopy(qd), &q);
	if (qdim != state->dim)
	{
		state->query_dim = qdim;
		knn_search_all(state, q, qdim);
		MemoryContextSwitchTo(old);
		return;
	}
	shard_index_search_begin();
	PG_TRY();
	{
		knn_search_tiers(state, q);
	}
	PG_FINALLY();
	{
		knn_end_shard_scans(state);
		shard_index_search_end();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
}

/*
 * The next row: the k nearest, then the rows whose embedding is NULL (or
 * is not a vector of the table's dimension: computing its distance for
 * ORDER BY then fails, as in a plan without this node); when the query
 * vector is NULL, every row in scan order.
 */
static TupleTableSlot *
knn_next(ScanState *ss)
{
	KnnScanState *state = (KnnScanState *) ss;
	TupleTableSlot *slot = ss->ss_ScanTupleSlot;

	if (!state->searched)
		knn_search(state);
	if (state->next < state->nresults)
	{
		ExecForceStoreMinimalTuple(state->results[state->next++].tuple, slot, false);
		return slot;
	}
	if (state->null_done)
		return ExecClearTuple(slot);
	if (state->null_scan == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(state->cxt);

		state->null_scan = table_beginscan(ss->ss_currentRelation, ss->ps.state->es_snapshot,
										   0, NULL);
		spillpool_scan_set_projection(state->null_scan, state->attrs, NIL, NULL);
		MemoryContextSwitchTo(old);
	}
	while (table_scan_getnextslot(state->null_scan, ForwardScanDirection, state->fetch_slot))
	{
		const float4 *v;
		MemoryContext old;
		bool		vector;

		if (state->query_null)
			return ExecCopySlot(slot, state->fetch_slot);
		old = MemoryContextSwitchTo(ss->ps.ps_ExprContext->ecxt_per_tuple_memory);
		/* after knn_search_all, every row with a value came already */
		if (state->query_dim > 0)
			vector = !slot_attisnull(state->fetch_slot, state->attnum);
		else
			vector = knn_slot_vector(state, state->fetch_slot, &v);
		MemoryContextSwitchTo(old);
		ResetExprContext(ss->ps.ps_ExprContext);
		if (!vector)
			return ExecCopySlot(slot, state->fetch_slot);
	}
	state->null_done = true;
	return ExecClearTuple(slot);
}

/* The rows returned passed the quals already; ExecScan checks them again. */
static bool
knn_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

/* The rows, through ExecScan (the quals again, the projection). */
static TupleTableSlot *
knn_exec_scan(CustomScanState *node)
{
	return ExecScan(&node->ss, knn_next, knn_recheck);
}

/* Forgets the search: the next row searches again (new parameters). */
static void
knn_reset(KnnScanState *state)
{
	if (state->null_scan)
		table_endscan(state->null_scan);
	state->null_scan = NULL;
	state->null_done = false;
	state->searched = false;
	state->query_null = false;
	state->query_dim = 0;
	state->results = NULL;
	state->nresults = 0;
	state->next = 0;
	MemoryContextReset(state->cxt);
}

/* The end of the node: its scan and memory go. */
static void
knn_end_scan(CustomScanState *node)
{
	knn_reset((KnnScanState *) node);
}

/* A rescan searches again, with the parameters it has now. */
static void
knn_rescan(CustomScanState *node)
{
	knn_reset((KnnScanState *) node);
	ExecScanReScan(&node->ss);
}

/*
 * EXPLAIN: the column, metric, k and ef_search; with ANALYZE, the shards
 * searched through their index and exactly, and the rows whose distance
 * was computed one by one (unflushed rows and shards without an index).
 */
static void
knn_explain_scan(CustomScanState *node, List *ancestors, ExplainState *es)
{
	KnnScanState *state = (KnnScanState *) node;
	Relation	rel = node->ss.ss_currentRelation;

	ExplainPropertyText("Embedding Column",
						quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(rel),
															   state->attnum - 1)->attname)),
						es);
	ExplainPropertyText("Metric", vector_metric_name(state->metric), es);
	ExplainPropertyInteger("Nearest", NULL, state->k, es);
	ExplainPropertyInteger("ef_search", NULL, Max(spillpool_ef_search, state->k), es);
	if (es->analyze)
	{
		ExplainPropertyInteger("Shards Searched by Index", NULL, state->shards_indexed, es);
		ExplainPropertyInteger("Shards Searched Exactly", NULL, state->shards_exact, es);
		ExplainPropertyInteger("Rows Brute-Forced", NULL, state->rows_brute_forced, es);
		if (state->vectors_compared > 0)
			ExplainPropertyInteger("Index Vectors Compared Exactly", NULL,
								   state->vectors_compared, es);
	}
}
