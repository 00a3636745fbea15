/*-------------------------------------------------------------------------
 *
 * arrayqual.c
 *	  WHERE clauses evaluated on a shard row group's column arrays, before
 *	  any row is built from them.
 *
 * A clause qualifies when it reads exactly one column of the table, of a
 * kind the arrays hold as they are (integers, floats, bool, dates,
 * timestamps, text and varchar), and calls nothing volatile: "column op
 * constant" of the row-group filters, LIKE and regular expressions,
 * IS [NOT] NULL, IN lists, functions of the column.  The clauses are
 * evaluated one after the other, each only on the rows that passed the
 * ones before, so a clause runs on the same rows as in a row-by-row plan.
 *
 * A row-group filter compares the array's values with its constant
 * directly (integers, floats and timestamps as numbers, text as bytes),
 * without building a datum.  Any other clause is evaluated by the
 * executor on a virtual row that holds only its column, whose text value
 * lives in one reused buffer.  When the column's chunk is dictionary
 * encoded, the result for each dictionary entry is computed once, the
 * first time a passing row refers to it, and NULL once per batch: LIKE
 * over 100,000 rows with 5,000 distinct strings runs 5,000 times.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/stratnum.h"
#include "executor/executor.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "am/aggscan_spec.h"
#include "am/arrayqual.h"
#include "am/customscan.h"

/* How a row-group filter compares without the comparison function. */
typedef enum ArrayCompare
{
	CMP_FUNCTION,				/* through the btree comparison function */
	CMP_TEXT,					/* bytes (see customscan's filters) */
	CMP_INT32,					/* int2/int4 column, integer constant */
	CMP_INT64,					/* int8 column, integer constant */
	CMP_TIMESTAMP,				/* timestamp(tz) column and constant */
	CMP_FLOAT4,					/* float4 column and constant */
	CMP_FLOAT8					/* float8 column and constant */
} ArrayCompare;

/* One clause. */
typedef struct ArrayQual
{
	AttrNumber	attnum;
	ShardKind	kind;			/* the column's kind in shards */
	ShardFilter *filter;		/* a row-group filter, or NULL */
	ArrayCompare compare;
	int64		const_int;		/* the filter's constant, for CMP_INT* */
	float8		const_float;	/* ... for CMP_FLOAT* */
	FmgrInfo	cmp;
	ExprState  *expr;			/* not a filter: the clause */
} ArrayQual;

struct ArrayQuals
{
	int			nquals;
	ArrayQual  *quals;
	TupleTableSlot *slot;		/* a row holding one column's value */
	ExprContext *econtext;
	MemoryContext cxt;
	int8	   *entry_state;	/* per dictionary entry: 1 passes, -1 fails,
								 * 0 not evaluated yet */
	int64		entry_cap;
	struct varlena *textbuf;	/* a text value being evaluated */
	Size		textbuf_cap;
	int			evals_since_reset;
};

/*
 * Planning: true if clause, a qual of relation relid (table reloid), is
 * one arrayqual_filter_batch can evaluate (see the file header).  The
 * caller has ruled out parameters set at run time and subqueries.
 */
bool
arrayqual_clause_ok(Expr *clause, Index relid, Oid reloid)
{
	Bitmapset  *attrs = NULL;
	AttrNumber	attnum;

	pull_varattnos((Node *) clause, relid, &attrs);
	if (bms_num_members(attrs) != 1)
		return false;
	attnum = bms_singleton_member(attrs) + FirstLowInvalidHeapAttributeNumber;
	if (attnum <= 0)
		return false;
	if (aggscan_kind_of_type(get_atttype(reloid, attnum)) == 0)
		return false;
	return !contain_volatile_functions((Node *) clause) &&
		!contain_subplans((Node *) clause);
}

/* The direct comparison a filter on a column of this kind can use. */
static ArrayCompare
arrayqual_compare_of(ArrayQual *q)
{
	const ShardFilter *f = q->filter;
	bool		int_const = f->value_type == INT2OID || f->value_type == INT4OID ||
		f->value_type == INT8OID;

	if (int_const)
		q->const_int = f->value_type == INT2OID ? DatumGetInt16(f->value) :
			f->value_type == INT4OID ? DatumGetInt32(f->value) : DatumGetInt64(f->value);
	switch (q->kind)
	{
		case SK_TEXT:
			return CMP_TEXT;
		case SK_INT2:
		case SK_INT4:
			return int_const ? CMP_INT32 : CMP_FUNCTION;
		case SK_INT8:
			return int_const ? CMP_INT64 : CMP_FUNCTION;
		case SK_TIMESTAMP:
		case SK_TIMESTAMPTZ:
			if (f->value_type != (q->kind == SK_TIMESTAMP ? TIMESTAMPOID : TIMESTAMPTZOID))
				return CMP_FUNCTION;
			q->const_int = DatumGetTimestamp(f->value);
			return CMP_TIMESTAMP;
		case SK_FLOAT4:
			if (f->value_type != FLOAT4OID)
				return CMP_FUNCTION;
			q->const_float = DatumGetFloat4(f->value);
			return CMP_FLOAT4;
		case SK_FLOAT8:
			if (f->value_type != FLOAT8OID)
				return CMP_FUNCTION;
			q->const_float = DatumGetFloat8(f->value);
			return CMP_FLOAT8;
		default:
			return CMP_FUNCTION;
	}
}

/*
 * Execution: prepares the clauses (each accepted by arrayqual_clause_ok
 * at planning) of the scan of rel, range table index relid, in the
 * executor state of parent.
 */
ArrayQuals *
arrayqual_begin(List *clauses, Index relid, Relation rel, PlanState *parent)
{
	ArrayQuals *aq = palloc0(sizeof(ArrayQuals));
	TupleDesc	desc = RelationGetDescr(rel);
	ListCell   *lc;
	int			i = 0;

	aq->cxt = CurrentMemoryContext;
	aq->nquals = list_length(clauses);
	aq->quals = palloc0(sizeof(ArrayQual) * Max(aq->nquals, 1));
	foreach(lc, clauses)
	{
		Expr	   *clause = lfirst(lc);
		ArrayQual  *q = &aq->quals[i++];
		Bitmapset  *attrs = NULL;
		List	   *sources;
		List	   *filters;

		pull_varattnos((Node *) clause, relid, &attrs);
		if (bms_num_members(attrs) != 1)
			elog(ERROR, "unexpected clause for a spillpool array qual");
		q->attnum = bms_singleton_member(attrs) + FirstLowInvalidHeapAttributeNumber;
		q->kind = aggscan_kind_of_type(TupleDescAttr(desc, q->attnum - 1)->atttypid);
		filters = customscan_shard_filters(customscan_row_group_filters(list_make1(clause),
																		 relid, &sources));
		if (filters != NIL)
		{
			q->filter = linitial(filters);
			q->compare = arrayqual_compare_of(q);
			fmgr_info(q->filter->cmp_proc, &q->cmp);
		}
		else
			q->expr = ExecInitQual(list_make1(clause), parent);
	}
	aq->econtext = CreateExprContext(parent->state);
	aq->slot = ExecInitExtraTupleSlot(parent->state, desc, &TTSOpsVirtual);
	ExecClearTuple(aq->slot);
	memset(aq->slot->tts_isnull, true, sizeof(bool) * desc->natts);
	ExecStoreVirtualTuple(aq->slot);
	return aq;
}

static inline int32
arrayqual_cmp_int(int64 a, int64 b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

/*
 * Filter q on the non-NULL value of row r: the value compared with the
 * constant, directly where the kinds allow (timestamps outside the range
 * whose conversion cannot fail go through the function, which reports
 * them).
 */
static bool
arrayqual_filter_row(ArrayQual *q, const ShardColumnArray *c, int64 r)
{
	const ShardFilter *f = q->filter;
	const ParquetValue *v = &c->values[r];
	int32		res = 0;
	bool		done = true;

	switch (q->compare)
	{
		case CMP_TEXT:
			{
				text	   *t = (text *) DatumGetPointer(f->value);
				uint32		tlen = VARSIZE_ANY_EXHDR(t);

				res = memcmp(v->bytes.ptr, VARDATA_ANY(t), Min(v->bytes.len, tlen));
				if (res == 0)
					res = arrayqual_cmp_int(v->bytes.len, tlen);
				break;
			}
		case CMP_INT32:
			res = arrayqual_cmp_int(v->int32, q->const_int);
			break;
		case CMP_INT64:
			res = arrayqual_cmp_int(v->int64, q->const_int);
			break;
		case CMP_TIMESTAMP:
			if (v->int64 < PG_INT64_MAX && v->int64 >= PG_INT64_MIN + PARQUET_PG_EPOCH_USECS &&
				IS_VALID_TIMESTAMP(v->int64 - PARQUET_PG_EPOCH_USECS))
				res = arrayqual_cmp_int(v->int64 - PARQUET_PG_EPOCH_USECS, q->const_int);
			else
				done = false;
			break;
		case CMP_FLOAT4:
			res = float4_cmp_internal(v->float4, (float4) q->const_float);
			break;
		case CMP_FLOAT8:
			res = float8_cmp_internal(v->float8, q->const_float);
			break;
		case CMP_FUNCTION:
			done = false;
			break;
	}
	if (!done)
		res = DatumGetInt32(FunctionCall2Coll(&q->cmp, f->collation, shard_array_datum(c, r),
											  f->value));
	switch (f->strategy)
	{
		case BTLessStrategyNumber:
			return res < 0;
		case BTLessEqualStrategyNumber:
			return res <= 0;
		case BTEqualStrategyNumber:
			return res == 0;
		case BTGreaterEqualStrategyNumber:
			return res >= 0;
		case BTGreaterStrategyNumber:
			return res > 0;
	}
	return false;
}

/*
 * Clause q (not a filter) on row r of its column, NULL if r < 0: the
 * executor evaluates it on aq->slot, which holds only that column.
 */
static bool
arrayqual_eval_row(ArrayQuals *aq, const ArrayQual *q, const ShardColumnArray *c, int64 r)
{
	TupleTableSlot *slot = aq->slot;
	int			a = q->attnum - 1;
	bool		result;

	if (r < 0)
		slot->tts_isnull[a] = true;
	else if (c->kind == SK_TEXT)
	{
		const ParquetBytes *b = &c->values[r].bytes;

		if (aq->textbuf_cap < VARHDRSZ + (Size) b->len)
		{
			aq->textbuf_cap = Max(VARHDRSZ + (Size) b->len, 2 * aq->textbuf_cap);
			if (aq->textbuf)
				pfree(aq->textbuf);
			aq->textbuf = MemoryContextAlloc(aq->cxt, aq->textbuf_cap);
		}
		SET_VARSIZE(aq->textbuf, VARHDRSZ + b->len);
		memcpy(VARDATA(aq->textbuf), b->ptr, b->len);
		slot->tts_values[a] = PointerGetDatum(aq->textbuf);
		slot->tts_isnull[a] = false;
	}
	else
	{
		slot->tts_values[a] = shard_array_datum(c, r);
		slot->tts_isnull[a] = false;
	}
	aq->econtext->ecxt_scantuple = slot;
	result = ExecQual(q->expr, aq->econtext);
	slot->tts_isnull[a] = true;
	if (++aq->evals_since_reset >= 1024)
	{
		ResetExprContext(aq->econtext);
		aq->evals_since_reset = 0;
	}
	return result;
}

/* Clause q on row r, which is not NULL in its column. */
static inline bool
arrayqual_row_passes(ArrayQuals *aq, ArrayQual *q, const ShardColumnArray *c, int64 r)
{
	return q->filter != NULL ? arrayqual_filter_row(q, c, r) : arrayqual_eval_row(aq, q, c, r);
}

/*
 * The rows of the current batch of ss (nrows rows) that pass every
 * clause: pass[r] for each row (room for nrows), and the number that
 * pass; -1 if a clause's column is not plain in this row group, when the
 * caller must evaluate the clauses on rows it builds.
 */
int64
arrayqual_filter_batch(ArrayQuals *aq, ShardScan *ss, int64 nrows, bool *pass)
{
	int64		npass = 0;
	int64		r;
	int			i;

	memset(pass, true, sizeof(bool) * nrows);
	for (i = 0; i < aq->nquals; i++)
	{
		ArrayQual  *q = &aq->quals[i];
		ShardColumnArray c;
		int8		null_state = q->filter != NULL ? -1 : 0;

		shard_scan_batch_column(ss, q->attnum, &c);
		if (!c.plain || c.kind != q->kind)
			return -1;
		if (c.dict_index != NULL)
		{
			if (aq->entry_cap < c.dict_count)
			{
				aq->entry_cap = Max(c.dict_count, 2 * aq->entry_cap);
				if (aq->entry_state)
					pfree(aq->entry_state);
				aq->entry_state = MemoryContextAlloc(aq->cxt, aq->entry_cap);
			}
			memset(aq->entry_state, 0, c.dict_count);
		}
		for (r = 0; r < nrows; r++)
		{
			if (!pass[r])
				continue;
			if (c.is_null[r])
			{
				if (null_state == 0)
					null_state = arrayqual_eval_row(aq, q, &c, -1) ? 1 : -1;
				pass[r] = null_state > 0;
			}
			else if (c.dict_index != NULL)
			{
				int8	   *st = &aq->entry_state[c.dict_index[r]];

				if (*st == 0)
					*st = arrayqual_row_passes(aq, q, &c, r) ? 1 : -1;
				pass[r] = *st > 0;
			}
			else
				pass[r] = arrayqual_row_passes(aq, q, &c, r);
		}
	}
	ResetExprContext(aq->econtext);
	aq->evals_since_reset = 0;
	for (r = 0; r < nrows; r++)
		npass += pass[r];
	return npass;
}
