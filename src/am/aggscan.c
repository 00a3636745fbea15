/*-------------------------------------------------------------------------
 *
 * aggscan.c
 *	  SpillpoolAggregate, execution: aggregates computed inside the scan of
 *	  a spillpool table, from the shards' decoded column arrays and the
 *	  unflushed rows, instead of by an Agg node above a row-by-row scan.
 *
 * aggplan.c plans the node and says which queries it takes.  Execution
 * reads the table with the ordinary scan (scan.c), so it sees exactly the
 * rows a SELECT would see: first the shards, whose row groups come as
 * column arrays (shard_scan_next_batch).  The WHERE clause is evaluated on
 * the arrays when each of its conditions reads one column (arrayqual.c);
 * the group of each row is then found through the codes of its key (raw
 * values, dictionary entries), and the aggregates run over the arrays
 * column by column.  count, min and max without WHERE clause or grouping
 * come from the row groups' footer statistics where those are exact.  The
 * unflushed rows (segments, memtable, the transaction's own rows) come as
 * tuples and are aggregated one by one, and so are shard rows when another
 * WHERE clause must be evaluated or a column needs a conversion.  The
 * transition rules are those of PostgreSQL's aggregates: integer sums in
 * 128 bits (sum of int2/int4 wraps into bigint as int4_sum does), avg and
 * sum(int8) as numeric from the exact sum, float sums with the overflow
 * checks of float8pl and float8_accum (and its sum of squares, whose
 * overflow PostgreSQL reports too), float4 sums in float4, min and max of
 * floats with NaN above every number.  Float sums add in scan order, as a
 * serial plan does.
 *
 * Under Gather the node runs in partial mode in every participant of a
 * parallel scan (the leader also reads the memtable and its own rows; see
 * SpillParallelScan): it returns each group's transition states as
 * PostgreSQL's own partial aggregates would (aggscan_partial), and a
 * Finalize Aggregate above Gather combines them.
 *
 * Groups live in a memory context of their own.  Once it holds more than
 * hash_mem (work_mem times hash_mem_multiplier), rows of new groups spill
 * to temporary files, partitioned by the hash of their key, and each file
 * is aggregated in a later round, as HashAgg does; a group's rows are
 * never split between rounds, so float sums keep their order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/nodeHash.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "storage/buffile.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/date.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "spillpool.h"
#include "am/aggscan.h"
#include "am/aggscan_spec.h"
#include "am/arrayqual.h"
#include "am/customscan.h"
#include "am/scan.h"
#include "shard/convert.h"
#include "shard/shard_read.h"

/* The running state of one aggregate in one group. */
typedef struct AggAcc
{
	int64		count;			/* inputs seen (non-NULL ones) */
	int128		isum;			/* integer sums */
	float8		N;				/* float8_accum's transition values */
	float8		Sx;
	float8		Sxx;
	float4		fsum;			/* sum(float4) */
	int64		ival;			/* min/max of integer-like types */
	float8		fval;			/* min/max of floats */
	int64		isum_hi;		/* numeric sums: the bits above isum's 128 */
	int128		nval;			/* min/max of numeric, unscaled */
	int64		nnum;			/* numeric inputs but NaN (sums, min, max) */
	bool		nan;			/* a numeric NaN was seen */
} AggAcc;

/* A group: its key values and one state per aggregate. */
typedef struct AggGroup
{
	Datum	   *keys;
	bool	   *keynulls;
	AggAcc		accs[FLEXIBLE_ARRAY_MEMBER];
} AggGroup;

/* The serialized key of a group, as the hash table holds it. */
typedef struct GroupKeyBytes
{
	const char *data;
	uint32		len;
} GroupKeyBytes;

typedef struct GroupEntry
{
	GroupKeyBytes key;
	uint32		hash;
	char		status;
	int32		group;
} GroupEntry;

#define SH_PREFIX grouphash
#define SH_ELEMENT_TYPE GroupEntry
#define SH_KEY_TYPE GroupKeyBytes
#define SH_KEY key
#define SH_HASH_KEY(tb, k) hash_bytes((const unsigned char *) (k).data, (int) (k).len)
#define SH_EQUAL(tb, a, b) ((a).len == (b).len && memcmp((a).data, (b).data, (a).len) == 0)
#define SH_SCOPE static inline
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * The group key of a shard row as codes, for one or two key columns: a
 * fixed-size column's raw value, or a text column's dictionary entry, with
 * a bit per NULL key.  A batch's rows find their group through these
 * codes, so that a row costs one lookup of two integers; codes of text
 * are those of one row group's dictionary, so the table is emptied for
 * every batch.
 */
typedef struct CodedKey
{
	uint64		v[2];
	uint32		nulls;
} CodedKey;

static inline uint32
aggscan_coded_hash(const CodedKey *k)
{
	uint64		h = hash_combine64(k->v[0] * UINT64CONST(0x9E3779B97F4A7C15), k->v[1]);

	return murmurhash32((uint32) (h ^ (h >> 32)) ^ k->nulls);
}

typedef struct CodedGroupEntry
{
	CodedKey	key;
	char		status;
	int32		group;
} CodedGroupEntry;

#define SH_PREFIX codedgrouphash
#define SH_ELEMENT_TYPE CodedGroupEntry
#define SH_KEY_TYPE CodedKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) aggscan_coded_hash(&(k))
#define SH_EQUAL(tb, a, b) ((a).v[0] == (b).v[0] && (a).v[1] == (b).v[1] && (a).nulls == (b).nulls)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * Groups beyond work_mem: rows of groups that do not fit go to one of
 * AGGSCAN_SPILL_PARTITIONS temporary files by the hash of their key, and
 * each file is aggregated in a round of its own after the groups in memory
 * are returned.  Past AGGSCAN_SPILL_MAX_DEPTH rounds within rounds (the
 * hash's bits are used up) groups are kept in memory whatever it takes.
 */
#define AGGSCAN_SPILL_PARTITIONS	16
#define AGGSCAN_SPILL_BITS			4
#define AGGSCAN_SPILL_MAX_DEPTH		7

typedef struct SpillPartition
{
	BufFile    *file;
	int			depth;			/* of the round that reads it */
	int64		rows;
} SpillPartition;

/* Most slots of the array that maps a batch's key codes to groups. */
#define AGGSCAN_DENSE_SLOTS		65536

/* The executor state of the node. */
typedef struct AggScanState
{
	CustomScanState css;

	/* from the plan */
	int			nkeys;
	AttrNumber *key_attnums;
	Oid		   *key_types;
	int			naggs;
	AggSpec    *aggs;
	ExprState  *qual;			/* the WHERE clause, over the table's rows */
	ArrayQuals *array_quals;	/* the qual on shard arrays (arrayqual.c),
								 * NULL if it cannot be evaluated there */
	bool	   *row_pass;		/* rows of a batch that pass the qual */
	List	   *filters;		/* ShardFilters for row-group skipping */
	Bitmapset  *attrs;			/* columns to decode */
	List	   *agg_names;		/* for EXPLAIN */
	char	   *filter_text;
	List	   *key_names;

	/* execution */
	TableScanDesc scan;
	TupleTableSlot *row_slot;	/* rows of the table */
	ShardScanCounters counters;
	MemoryContext group_cxt;	/* groups and their keys */
	MemoryContext batch_cxt;	/* arrays of a batch's rows */
	MemoryContext row_cxt;		/* per-row and per-batch work */

	/* spilling, see aggscan_spill_row */
	Size		mem_limit;		/* hash_mem: for group_cxt */
	bool		groups_full;	/* no new group in this round */
	int			spill_depth;	/* of the round: hash bits used before */
	BufFile    *spill[AGGSCAN_SPILL_PARTITIONS];	/* this round's */
	List	   *spill_pending;	/* SpillPartition: rounds to come */
	TupleTableSlot *spill_slot;
	int64		rows_spilled;
	int			rounds;
	Size		peak_mem;		/* of group_cxt and batch_cxt */
	grouphash_hash *groups_hash;
	codedgrouphash_hash *coded_groups;	/* see CodedKey */
	int32	   *dense_groups;	/* AGGSCAN_DENSE_SLOTS groups by code */
	AggGroup  **groups;
	int			ngroups;
	int			groups_cap;
	StringInfoData keybuf;
	int32	   *row_groups;		/* group of each row of a batch */
	int64		row_groups_cap;
	bool		partial;		/* return transition states (under Gather) */
	bool		consumed;
	int			next_output;
	bool		from_stats;		/* see aggscan_batch_from_stats */
	bool		count_distinct; /* count(DISTINCT col): groups of col */
	bool		distinct_done;
	int64		rows_in;		/* for EXPLAIN ANALYZE */
	int64		batches_vectorized;
	int64		batches_from_stats;
} AggScanState;

CustomScanMethods aggscan_scan_methods;
static CustomExecMethods aggscan_exec_methods;

/* ------------------------------------------------------------------------
 * Execution: accumulating
 * ------------------------------------------------------------------------
 */

/*
 * The group of the key in keybuf, created with its key values if new; -2
 * for a new key once the groups fill work_mem, whose rows are then
 * spilled (aggscan_spill_row).
 */
static int32
aggscan_group_for_key(AggScanState *state, Datum *keys, bool *keynulls)
{
	GroupKeyBytes k;
	GroupEntry *e;
	bool		found;

	k.data = state->keybuf.data;
	k.len = (uint32) state->keybuf.len;
	if (state->groups_full)
	{
		e = grouphash_lookup(state->groups_hash, k);
		return e != NULL ? e->group : -2;
	}
	e = grouphash_insert(state->groups_hash, k, &found);
	if (!found)
	{
		MemoryContext old = MemoryContextSwitchTo(state->group_cxt);
		AggGroup   *g = palloc0(offsetof(AggGroup, accs) + sizeof(AggAcc) * state->naggs);
		char	   *copy = palloc(k.len + 1);
		int			i;

		memcpy(copy, k.data, k.len);
		e->key.data = copy;
		g->keys = palloc(sizeof(Datum) * Max(state->nkeys, 1));
		g->keynulls = palloc(sizeof(bool) * Max(state->nkeys, 1));
		for (i = 0; i < state->nkeys; i++)
		{
			g->keynulls[i] = keynulls[i];
			g->keys[i] = keynulls[i] ? (Datum) 0 :
				datumCopy(keys[i], state->key_types[i] != TEXTOID &&
						  state->key_types[i] != VARCHAROID, -1);
		}
		if (state->ngroups == state->groups_cap)
		{
			state->groups_cap = Max(64, state->groups_cap * 2);
			state->groups = state->groups ?
				repalloc(state->groups, sizeof(AggGroup *) * state->groups_cap) :
				palloc(sizeof(AggGroup *) * state->groups_cap);
		}
		state->groups[state->ngroups] = g;
		e->group = state->ngroups++;
		MemoryContextSwitchTo(old);
		if (state->nkeys > 0 && state->spill_depth < AGGSCAN_SPILL_MAX_DEPTH &&
			MemoryContextMemAllocated(state->group_cxt, true) > state->mem_limit)
			state->groups_full = true;
	}
	return e->group;
}

/*
 * Writes a row (in slot, past the WHERE clause) whose group did not fit to
 * the spill file of its key's partition; keybuf holds the key.
 */
static void
aggscan_spill_row(AggScanState *state, TupleTableSlot *slot)
{
	uint32		hash = hash_bytes((const unsigned char *) state->keybuf.data, state->keybuf.len);
	int			p = (hash >> (state->spill_depth * AGGSCAN_SPILL_BITS)) &
		(AGGSCAN_SPILL_PARTITIONS - 1);
	bool		should_free;
	MinimalTuple tuple;

	if (state->spill[p] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(state->css.ss.ps.state->es_query_cxt);

		state->spill[p] = BufFileCreateTemp(false);
		MemoryContextSwitchTo(old);
	}
	tuple = ExecFetchSlotMinimalTuple(slot, &should_free);
	BufFileWrite(state->spill[p], &tuple->t_len, sizeof(tuple->t_len));
	BufFileWrite(state->spill[p], tuple, tuple->t_len);
	if (should_free)
		heap_free_minimal_tuple(tuple);
	state->rows_spilled++;
}

/*
 * This round's spill files become rounds to come; the memory its groups
 * took counts for the peak that EXPLAIN ANALYZE shows.
 */
static void
aggscan_spill_finish_round(AggScanState *state)
{
	Size		mem = MemoryContextMemAllocated(state->group_cxt, true) +
		MemoryContextMemAllocated(state->batch_cxt, true);
	int			p;

	state->peak_mem = Max(state->peak_mem, mem);

	for (p = 0; p < AGGSCAN_SPILL_PARTITIONS; p++)
	{
		SpillPartition *sp;
		MemoryContext old;

		if (state->spill[p] == NULL)
			continue;
		old = MemoryContextSwitchTo(state->css.ss.ps.state->es_query_cxt);
		sp = palloc(sizeof(SpillPartition));
		sp->file = state->spill[p];
		sp->depth = state->spill_depth + 1;
		state->spill_pending = lappend(state->spill_pending, sp);
		MemoryContextSwitchTo(old);
		state->spill[p] = NULL;
	}
}

/* Appends one key column's value to keybuf: a null flag, then the value. */
static void
aggscan_key_append_int(StringInfo buf, bool isnull, int64 v)
{
	appendStringInfoChar(buf, isnull ? 'n' : 'v');
	if (!isnull)
		appendBinaryStringInfo(buf, (const char *) &v, sizeof(v));
}

static void
aggscan_key_append_bytes(StringInfo buf, bool isnull, const char *p, uint32 len)
{
	appendStringInfoChar(buf, isnull ? 'n' : 'v');
	if (!isnull)
	{
		appendBinaryStringInfo(buf, (const char *) &len, sizeof(len));
		appendBinaryStringInfo(buf, p, len);
	}
}

/* A key Datum of an integer-like type as the int64 its key bytes hold. */
static int64
aggscan_key_int(Oid type, Datum d)
{
	switch (type)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
		case DATEOID:
			return DatumGetInt32(d);
		case BOOLOID:
			return DatumGetBool(d) ? 1 : 0;
		default:
			return DatumGetInt64(d);
	}
}

/* The group of a row given as Datums (a table row). */
static int32
aggscan_group_of_slot(AggScanState *state, TupleTableSlot *slot)
{
	Datum		keys[INDEX_MAX_KEYS];
	bool		keynulls[INDEX_MAX_KEYS];
	int			i;

	if (state->nkeys == 0)
		return 0;
	resetStringInfo(&state->keybuf);
	for (i = 0; i < state->nkeys; i++)
	{
		AttrNumber	a = state->key_attnums[i];
		Oid			type = state->key_types[i];

		keys[i] = slot->tts_values[a - 1];
		keynulls[i] = slot->tts_isnull[a - 1];
		if (type == TEXTOID || type == VARCHAROID)
		{
			text	   *t = keynulls[i] ? NULL : DatumGetTextPP(keys[i]);

			if (t != NULL)
				keys[i] = PointerGetDatum(t);
			aggscan_key_append_bytes(&state->keybuf, keynulls[i],
									 t ? VARDATA_ANY(t) : NULL,
									 t ? VARSIZE_ANY_EXHDR(t) : 0);
		}
		else
			aggscan_key_append_int(&state->keybuf, keynulls[i],
								   keynulls[i] ? 0 : aggscan_key_int(type, keys[i]));
	}
	return aggscan_group_for_key(state, keys, keynulls);
}

/* float8_accum's step, with its overflow checks (see the file header). */
static inline void
aggscan_float_accum(AggAcc *acc, float8 newval)
{
	float8		N = acc->N;
	float8		Sx = acc->Sx;
	float8		Sxx = acc->Sxx;

	N += 1.0;
	Sx += newval;
	if (acc->N > 0.0)
	{
		float8		tmp = newval * N - Sx;

		Sxx += tmp * tmp / (N * acc->N);
		if (isinf(Sx) || isinf(Sxx))
		{
			if (!isinf(acc->Sx) && !isinf(newval))
				float_overflow_error();
			Sxx = get_float8_nan();
		}
	}
	else if (isnan(newval) || isinf(newval))
		Sxx = get_float8_nan();
	acc->N = N;
	acc->Sx = Sx;
	acc->Sxx = Sxx;
}

/* float8larger/float8smaller's choice: NaN sorts above every number. */
static inline void
aggscan_float_minmax(AggAcc *acc, float8 v, bool is_max)
{
	if (acc->count == 0)
		acc->fval = v;
	else if (is_max ? !float8_gt(acc->fval, v) : !float8_lt(acc->fval, v))
		acc->fval = v;
	acc->count++;
}

/* One input value, in the members its aggregate reads. */
typedef struct AggInput
{
	int64		i;				/* integer-like types */
	float8		f8;				/* floats, float4 widened */
	float4		f4;				/* float4, for sum(float4) */
	int128		d;				/* numeric, unscaled at the column's scale */
	bool		nan;			/* numeric NaN */
} AggInput;

/*
 * Adds an unscaled numeric to a sum of 192 bits (isum_hi, then isum as
 * unsigned): sums of numeric(38, s) values pass 128 bits.
 */
static inline void
aggscan_add_decimal(AggAcc *acc, int128 v)
{
	uint128		lo = (uint128) acc->isum;
	uint128		sum = lo + (uint128) v;

	acc->isum_hi += (sum < lo ? 1 : 0) + (v < 0 ? -1 : 0);
	acc->isum = (int128) sum;
}

/* Adds one non-NULL input value to an aggregate's state. */
static inline void
aggscan_accum(const AggSpec *spec, AggAcc *acc, const AggInput *in)
{
	switch (spec->calc)
	{
		case CALC_COUNT_STAR:
		case CALC_COUNT:
		case CALC_COUNT_DISTINCT:	/* not an aggregate of the groups */
			acc->count++;
			break;
		case CALC_SUM_INT:
		case CALC_SUM_INT8:
		case CALC_AVG_INT:
			acc->isum += in->i;
			acc->count++;
			break;
		case CALC_SUM_FLOAT4:
			acc->fsum = acc->count == 0 ? in->f4 : float4_pl(acc->fsum, in->f4);
			acc->count++;
			break;
		case CALC_SUM_FLOAT8:
			acc->Sx = acc->count == 0 ? in->f8 : float8_pl(acc->Sx, in->f8);
			acc->count++;
			break;
		case CALC_AVG_FLOAT:
			aggscan_float_accum(acc, in->f8);
			acc->count++;
			break;
		case CALC_MIN_INT:
		case CALC_MAX_INT:
			if (acc->count == 0 ||
				(spec->calc == CALC_MIN_INT ? in->i < acc->ival : in->i > acc->ival))
				acc->ival = in->i;
			acc->count++;
			break;
		case CALC_MIN_FLOAT:
		case CALC_MAX_FLOAT:
			aggscan_float_minmax(acc, in->f8, spec->calc == CALC_MAX_FLOAT);
			break;
		case CALC_SUM_NUMERIC:
		case CALC_AVG_NUMERIC:
			if (in->nan)
				acc->nan = true;
			else
			{
				aggscan_add_decimal(acc, in->d);
				acc->nnum++;
			}
			acc->count++;
			break;
		case CALC_MIN_NUMERIC:
		case CALC_MAX_NUMERIC:
			/* NaN above every number, as numeric_larger has it */
			if (in->nan)
				acc->nan = true;
			else
			{
				if (acc->nnum == 0 ||
					(spec->calc == CALC_MIN_NUMERIC ? in->d < acc->nval : in->d > acc->nval))
					acc->nval = in->d;
				acc->nnum++;
			}
			acc->count++;
			break;
	}
}

/* Adds one non-NULL value given as a Datum of the column's type. */
static void
aggscan_accum_datum(const AggSpec *spec, AggAcc *acc, Datum d)
{
	AggInput	in = {0};

	if (spec->argtype == FLOAT4OID)
	{
		in.f4 = DatumGetFloat4(d);
		in.f8 = (float8) in.f4;
	}
	else if (spec->argtype == FLOAT8OID)
		in.f8 = DatumGetFloat8(d);
	else if (spec->argtype == NUMERICOID)
	{
		if (spec->calc != CALC_COUNT)
			in.nan = !pg_numeric_to_unscaled(d, spec->scale, &in.d);
	}
	else if (spec->calc != CALC_COUNT)
		in.i = aggscan_key_int(spec->argtype, d);
	aggscan_accum(spec, acc, &in);
}

/* Empties the groups, for the first run, rescans and spill rounds. */
static void
aggscan_reset_groups(AggScanState *state)
{
	MemoryContextReset(state->group_cxt);
	MemoryContextReset(state->batch_cxt);
	state->groups_hash = grouphash_create(state->group_cxt, 256, NULL);
	state->coded_groups = codedgrouphash_create(state->batch_cxt, 256, NULL);
	state->dense_groups = NULL;
	state->groups = NULL;
	state->ngroups = state->groups_cap = 0;
	state->row_groups = NULL;
	state->row_pass = NULL;
	state->row_groups_cap = 0;
	state->groups_full = false;
	state->next_output = 0;
}

/* Adds one table row (already past the WHERE clause) to its group. */
static void
aggscan_add_slot(AggScanState *state, TupleTableSlot *slot)
{
	int32		gi = aggscan_group_of_slot(state, slot);	/* may grow groups */
	AggGroup   *g;
	int			i;

	if (gi == -2)
	{
		aggscan_spill_row(state, slot);
		return;
	}
	g = state->groups[gi];

	for (i = 0; i < state->naggs; i++)
	{
		const AggSpec *spec = &state->aggs[i];

		if (spec->calc == CALC_COUNT_STAR)
			g->accs[i].count++;
		else if (!slot->tts_isnull[spec->attnum - 1])
			aggscan_accum_datum(spec, &g->accs[i], slot->tts_values[spec->attnum - 1]);
	}
	state->rows_in++;
}

/* True if the WHERE clause passes the row in row_slot. */
static bool
aggscan_row_passes(AggScanState *state)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;

	bool		passes;

	if (state->qual == NULL)
		return true;
	econtext->ecxt_scantuple = state->row_slot;
	passes = ExecQual(state->qual, econtext);
	/* the whole table is read in one call: free what the qual allocated */
	ResetExprContext(econtext);
	return passes;
}

/* Room for a batch of nrows rows in row_groups and row_pass. */
static void
aggscan_batch_reserve(AggScanState *state, int64 nrows)
{
	if (nrows <= state->row_groups_cap)
		return;
	state->row_groups_cap = Max(nrows, state->row_groups_cap * 2);
	if (state->row_groups)
		pfree(state->row_groups);
	if (state->row_pass)
		pfree(state->row_pass);
	state->row_groups = MemoryContextAlloc(state->batch_cxt,
										   sizeof(int32) * state->row_groups_cap);
	state->row_pass = MemoryContextAlloc(state->batch_cxt,
										 sizeof(bool) * state->row_groups_cap);
}

/*
 * The rows of a batch that pass the WHERE clause, evaluated on the column
 * arrays (state->row_pass; NULL = every row), and how many pass.  False
 * if the clause must be evaluated on rows.
 */
static bool
aggscan_batch_mask(AggScanState *state, ShardScan *ss, int64 nrows, bool **pass,
				   int64 *npass)
{
	*pass = NULL;
	*npass = nrows;
	if (state->qual == NULL)
		return true;
	if (state->array_quals == NULL)
		return false;
	*npass = arrayqual_filter_batch(state->array_quals, ss, nrows, state->row_pass);
	if (*npass < 0)
		return false;
	*pass = state->row_pass;
	return true;
}

/*
 * The group of row r of a shard batch from its key columns' arrays, through
 * the serialized key (aggscan_group_for_key): the key's datums are built
 * in row_cxt.
 */
static int32
aggscan_group_of_batch_row(AggScanState *state, const ShardColumnArray *cols, int64 r)
{
	Datum		keys[INDEX_MAX_KEYS];
	bool		keynulls[INDEX_MAX_KEYS];
	MemoryContext old = MemoryContextSwitchTo(state->row_cxt);
	int			i;

	resetStringInfo(&state->keybuf);
	for (i = 0; i < state->nkeys; i++)
	{
		const ShardColumnArray *c = &cols[i];

		keynulls[i] = c->is_null[r];
		keys[i] = (Datum) 0;
		if (c->kind == SK_TEXT)
		{
			const ParquetBytes *b = &c->values[r].bytes;

			aggscan_key_append_bytes(&state->keybuf, keynulls[i],
									 (const char *) b->ptr, b->len);
			if (!keynulls[i])
				keys[i] = PointerGetDatum(cstring_to_text_with_len((const char *) b->ptr,
																	(int) b->len));
		}
		else
		{
			int64		v = 0;

			if (!keynulls[i])
			{
				keys[i] = shard_array_datum(c, r);
				v = aggscan_key_int(state->key_types[i], keys[i]);
			}
			aggscan_key_append_int(&state->keybuf, keynulls[i], v);
		}
	}
	MemoryContextSwitchTo(old);
	return aggscan_group_for_key(state, keys, keynulls);
}

/* The code of row r of key column c (see CodedKey); false if it has none. */
static inline uint64
aggscan_key_code(const ShardColumnArray *c, int64 r)
{
	switch (c->kind)
	{
		case SK_TEXT:
			return c->dict_index[r];
		case SK_INT8:
		case SK_TIMESTAMP:
		case SK_TIMESTAMPTZ:
			return (uint64) c->values[r].int64;
		case SK_BOOL:
			return c->values[r].boolean;
		default:
			return (uint32) c->values[r].int32;
	}
}

/*
 * The groups of a batch's rows for one or two key columns that all have
 * codes, the serialized key looked up only for codes not seen before in
 * this batch.  When the codes of the batch span a small enough range
 * (dictionary entries, or integers between a minimum and a maximum), the
 * group of a row is an array lookup, else a lookup in coded_groups.
 */
static void
aggscan_batch_groups_coded(AggScanState *state, const ShardColumnArray *cols, int64 nrows,
						   const bool *pass)
{
	uint64		lo[2] = {0, 0};
	uint64		width[2] = {1, 1};	/* codes lo .. lo + width - 2, then NULL */
	uint64		slots = 1;
	int64		r;
	int			i;

	for (i = 0; i < state->nkeys; i++)
	{
		const ShardColumnArray *c = &cols[i];

		if (c->kind == SK_TEXT)
			width[i] = (uint64) c->dict_count + 1;
		else
		{
			uint64		mn = PG_UINT64_MAX;
			uint64		mx = 0;

			/* signed values as offsets from their minimum */
			for (r = 0; r < nrows; r++)
			{
				int64		v;

				if (c->is_null[r])
					continue;
				v = (int64) aggscan_key_code(c, r);
				if (c->kind == SK_INT2 || c->kind == SK_INT4 || c->kind == SK_DATE)
					v = (int32) v;
				if ((uint64) (v ^ PG_INT64_MIN) < mn)
					mn = (uint64) (v ^ PG_INT64_MIN);
				if ((uint64) (v ^ PG_INT64_MIN) > mx)
					mx = (uint64) (v ^ PG_INT64_MIN);
			}
			lo[i] = mn;
			width[i] = mn > mx ? 1 : (mx - mn >= AGGSCAN_DENSE_SLOTS ? AGGSCAN_DENSE_SLOTS : mx - mn + 2);
		}
		slots = width[i] >= AGGSCAN_DENSE_SLOTS ? AGGSCAN_DENSE_SLOTS : slots * width[i];
		if (slots >= AGGSCAN_DENSE_SLOTS)
			break;
	}
	if (slots < AGGSCAN_DENSE_SLOTS)
	{
		int32	   *dense;

		if (state->dense_groups == NULL)
			state->dense_groups = MemoryContextAlloc(state->batch_cxt,
													 sizeof(int32) * AGGSCAN_DENSE_SLOTS);
		dense = state->dense_groups;
		memset(dense, -1, sizeof(int32) * slots);
		for (r = 0; r < nrows; r++)
		{
			uint64		slot = 0;

			if (pass != NULL && !pass[r])
			{
				state->row_groups[r] = -1;
				continue;
			}
			for (i = state->nkeys - 1; i >= 0; i--)
			{
				const ShardColumnArray *c = &cols[i];
				uint64		code;

				if (c->is_null[r])
					code = width[i] - 1;
				else if (c->kind == SK_TEXT)
					code = c->dict_index[r];
				else
				{
					int64		v = (int64) aggscan_key_code(c, r);

					if (c->kind == SK_INT2 || c->kind == SK_INT4 || c->kind == SK_DATE)
						v = (int32) v;
					code = ((uint64) v ^ PG_INT64_MIN) - lo[i];
				}
				slot = slot * width[i] + code;
			}
			if (dense[slot] < 0)
			{
				dense[slot] = aggscan_group_of_batch_row(state, cols, r);
				if ((r & 1023) == 1023)
					MemoryContextReset(state->row_cxt);
			}
			state->row_groups[r] = dense[slot];
		}
		MemoryContextReset(state->row_cxt);
		return;
	}

	codedgrouphash_reset(state->coded_groups);
	for (r = 0; r < nrows; r++)
	{
		CodedKey	k = {{0, 0}, 0};
		CodedGroupEntry *e;
		bool		found;

		if (pass != NULL && !pass[r])
		{
			state->row_groups[r] = -1;
			continue;
		}
		for (i = 0; i < state->nkeys; i++)
		{
			if (cols[i].is_null[r])
				k.nulls |= 1 << i;
			else
				k.v[i] = aggscan_key_code(&cols[i], r);
		}
		e = codedgrouphash_insert(state->coded_groups, k, &found);
		if (!found)
		{
			e->group = aggscan_group_of_batch_row(state, cols, r);
			if ((r & 1023) == 1023)
				MemoryContextReset(state->row_cxt);
		}
		state->row_groups[r] = e->group;
	}
	MemoryContextReset(state->row_cxt);
}

/*
 * The groups of the rows of a shard batch, into state->row_groups, from the
 * key columns' arrays.  False if a key column must take the row path.
 */
static bool
aggscan_batch_groups(AggScanState *state, ShardScan *ss, int64 nrows, const bool *pass)
{
	ShardColumnArray cols[INDEX_MAX_KEYS];
	bool		coded = state->nkeys <= 2;
	int64		r;
	int			i;

	if (state->nkeys == 0)
	{
		for (r = 0; r < nrows; r++)
			state->row_groups[r] = (pass == NULL || pass[r]) ? 0 : -1;
		return true;
	}
	for (i = 0; i < state->nkeys; i++)
	{
		shard_scan_batch_column(ss, state->key_attnums[i], &cols[i]);
		if (!cols[i].plain || !aggscan_kind_matches(cols[i].kind, state->key_types[i]))
			return false;
		if (cols[i].kind == SK_TEXT && cols[i].dict_index == NULL)
			coded = false;
	}
	if (coded)
	{
		aggscan_batch_groups_coded(state, cols, nrows, pass);
		return true;
	}
	for (r = 0; r < nrows; r++)
	{
		if (pass != NULL && !pass[r])
		{
			state->row_groups[r] = -1;
			continue;
		}
		state->row_groups[r] = aggscan_group_of_batch_row(state, cols, r);
		if ((r & 1023) == 1023)
			MemoryContextReset(state->row_cxt);
	}
	MemoryContextReset(state->row_cxt);
	return true;
}

/*
 * True if every value of a float8 column array is a number of magnitude
 * below 1e100 (its dictionary's entries when it has one), so that sums of
 * up to 2^53 of them and of their squared deviations stay far from
 * overflowing.
 */
static bool
aggscan_floats_small(const ShardColumnArray *c, int64 nrows)
{
	const ParquetValue *v = c->dict_index != NULL ? c->dict : c->values;
	int64		n = c->dict_index != NULL ? c->dict_count : nrows;
	bool		small = true;
	int64		r;

	/* NaN fails the comparison too; NULL rows hold zeros */
	for (r = 0; r < n; r++)
		small &= fabs(v[r].float8) < 1e100;
	return small;
}

/*
 * Aggregates one column array over the rows of a batch, each into its
 * group.  The value extraction and the transition are specialised per
 * column kind, so the loop does no per-value palloc or function call.
 */
static void
aggscan_batch_aggregate(AggScanState *state, int agg, const ShardColumnArray *c,
						int64 nrows)
{
	const AggSpec *spec = &state->aggs[agg];
	const int32 *rg = state->row_groups;
	AggGroup  **groups = state->groups;
	int64		r;

	if (spec->calc == CALC_AVG_FLOAT && c->kind == SK_FLOAT8 &&
		aggscan_floats_small(c, nrows))
	{
		/*
		 * avg of values that cannot overflow: float8_accum's count and sum,
		 * in the same order, without its sum of squares, which avg never
		 * returns and which only serves to report an overflow (it would
		 * lack these values' contributions, each below 1e201, should
		 * values near the overflow threshold follow).
		 */
		if (state->nkeys == 0)
		{
			/* one group: its state in registers */
			AggAcc	   *acc = &groups[0]->accs[agg];
			float8		N = acc->N;
			float8		Sx = acc->Sx;
			int64		count = acc->count;

			for (r = 0; r < nrows; r++)
			{
				if (rg[r] < 0 || c->is_null[r])
					continue;
				N += 1.0;
				Sx += c->values[r].float8;
				count++;
			}
			acc->N = N;
			acc->Sx = Sx;
			acc->count = count;
			return;
		}
		for (r = 0; r < nrows; r++)
		{
			AggAcc	   *acc;

			if (rg[r] < 0 || c->is_null[r])
				continue;
			acc = &groups[rg[r]]->accs[agg];
			acc->N += 1.0;
			acc->Sx += c->values[r].float8;
			acc->count++;
		}
		return;
	}

	for (r = 0; r < nrows; r++)
	{
		AggInput	in = {0};

		if (rg[r] < 0 || c->is_null[r])
			continue;
		if (spec->calc == CALC_COUNT)
		{
			groups[rg[r]]->accs[agg].count++;
			continue;
		}
		switch (c->kind)
		{
			case SK_INT2:
			case SK_INT4:
				in.i = c->values[r].int32;
				break;
			case SK_INT8:
				in.i = c->values[r].int64;
				break;
			case SK_FLOAT4:
				in.f4 = c->values[r].float4;
				in.f8 = (float8) in.f4;
				break;
			case SK_FLOAT8:
				in.f8 = c->values[r].float8;
				break;
			case SK_NUMERIC:
				in.d = shard_array_decimal(c, r);
				break;
			case SK_TIMESTAMP:
			case SK_TIMESTAMPTZ:
				{
					int64		v = c->values[r].int64;

					/* the common case inline; infinities and errors below */
					if (v < PG_INT64_MAX && v >= PG_INT64_MIN + PARQUET_PG_EPOCH_USECS &&
						IS_VALID_TIMESTAMP(v - PARQUET_PG_EPOCH_USECS))
						in.i = v - PARQUET_PG_EPOCH_USECS;
					else
						in.i = DatumGetTimestamp(shard_array_datum(c, r));
					break;
				}
			default:
				/* dates: PostgreSQL's epoch, range and infinities */
				in.i = aggscan_key_int(spec->argtype, shard_array_datum(c, r));
				break;
		}
		aggscan_accum(spec, &groups[rg[r]]->accs[agg], &in);
	}
}

/*
 * Spills the rows of a vectorized batch whose groups did not fit (-2 in
 * row_groups), built as table rows.
 */
static void
aggscan_spill_batch(AggScanState *state, ShardScan *ss, int64 nrows)
{
	int64		r;

	for (r = 0; r < nrows; r++)
	{
		MemoryContext old;

		if (state->row_groups[r] != -2)
			continue;
		old = MemoryContextSwitchTo(state->row_cxt);
		shard_scan_batch_row(ss, r, state->row_slot);
		state->rows_in--;		/* counted when its round aggregates it */
		aggscan_add_slot(state, state->row_slot);
		MemoryContextSwitchTo(old);
		MemoryContextReset(state->row_cxt);
	}
}

/*
 * One row group of the shards answered from its footer statistics alone,
 * without decoding a page, for a node without WHERE clause or group key
 * whose aggregates are all count, min or max (state->from_stats); false,
 * with nothing added, if a column's statistics are not exact.
 */
static bool
aggscan_batch_from_stats(AggScanState *state, ShardScan *ss)
{
	int64		nrows = shard_scan_batch_rows(ss);
	Datum	   *mins = palloc(sizeof(Datum) * state->naggs);
	Datum	   *maxs = palloc(sizeof(Datum) * state->naggs);
	int64	   *nonnull = palloc0(sizeof(int64) * state->naggs);
	int			i;

	for (i = 0; i < state->naggs; i++)
	{
		if (state->aggs[i].attnum > 0 &&
			!shard_scan_batch_stats(ss, state->aggs[i].attnum, &mins[i], &maxs[i], &nonnull[i]))
			return false;
	}
	for (i = 0; i < state->naggs; i++)
	{
		const AggSpec *spec = &state->aggs[i];
		AggAcc	   *acc = &state->groups[0]->accs[i];

		if (spec->calc == CALC_COUNT_STAR)
			acc->count += nrows;
		else if (spec->calc == CALC_COUNT)
			acc->count += nonnull[i];
		else if (nonnull[i] > 0)
		{
			aggscan_accum_datum(spec, acc, mins[i]);
			aggscan_accum_datum(spec, acc, maxs[i]);
		}
	}
	state->rows_in += nrows;
	state->batches_from_stats++;
	return true;
}

/*
 * One row group of the shards.  Without a WHERE clause, and when every
 * needed column is plain in this shard, column by column; otherwise row by
 * row through row_slot, as unflushed rows are.
 */
static void
aggscan_add_batch(AggScanState *state, ShardScan *ss)
{
	int64		nrows = shard_scan_batch_rows(ss);
	int64		npass;
	bool	   *pass;
	int			i;

	if (state->from_stats)
	{
		MemoryContext old = MemoryContextSwitchTo(state->row_cxt);
		bool		done = aggscan_batch_from_stats(state, ss);

		MemoryContextSwitchTo(old);
		MemoryContextReset(state->row_cxt);
		if (done)
			return;
	}
	aggscan_batch_reserve(state, nrows);
	if (aggscan_batch_mask(state, ss, nrows, &pass, &npass) &&
		aggscan_batch_groups(state, ss, nrows, pass))
	{
		ShardColumnArray *cols = palloc(sizeof(ShardColumnArray) * Max(state->naggs, 1));
		bool		plain = true;

		for (i = 0; i < state->naggs && plain; i++)
		{
			if (state->aggs[i].attnum > 0)
			{
				shard_scan_batch_column(ss, state->aggs[i].attnum, &cols[i]);
				plain = cols[i].plain &&
					aggscan_arg_kind_matches(cols[i].kind, &state->aggs[i]);
			}
		}
		if (plain)
		{
			for (i = 0; i < state->naggs; i++)
			{
				if (state->aggs[i].calc == CALC_COUNT_STAR && state->nkeys == 0)
					state->groups[0]->accs[i].count += npass;
				else if (state->aggs[i].calc == CALC_COUNT_STAR)
				{
					int64		r;

					for (r = 0; r < nrows; r++)
					{
						if (state->row_groups[r] >= 0)
							state->groups[state->row_groups[r]]->accs[i].count++;
					}
				}
				else
					aggscan_batch_aggregate(state, i, &cols[i], nrows);
			}
			pfree(cols);
			state->rows_in += npass;
			state->batches_vectorized++;
			if (state->groups_full)
				aggscan_spill_batch(state, ss, nrows);
			return;
		}
		pfree(cols);
	}
	for (i = 0; i < nrows; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(state->row_cxt);

		shard_scan_batch_row(ss, i, state->row_slot);
		if (aggscan_row_passes(state))
			aggscan_add_slot(state, state->row_slot);
		MemoryContextSwitchTo(old);
		if ((i & 1023) == 1023)
			MemoryContextReset(state->row_cxt);
	}
	MemoryContextReset(state->row_cxt);
}

/* Reads every row of the table into the groups. */
static void
aggscan_consume(AggScanState *state)
{
	ShardScan  *ss;
	int64		n = 0;

	if (state->nkeys == 0 && state->ngroups == 0)
	{
		/* one group even for no rows: count 0, the others NULL */
		resetStringInfo(&state->keybuf);
		(void) aggscan_group_for_key(state, NULL, NULL);
	}
	ss = spillpool_scan_shards(state->scan);
	if (ss != NULL)
	{
		while (shard_scan_next_batch(ss))
		{
			CHECK_FOR_INTERRUPTS();
			aggscan_add_batch(state, ss);
		}
		spillpool_scan_end_shards(state->scan);
	}
	for (;;)
	{
		MemoryContext old = MemoryContextSwitchTo(state->row_cxt);
		bool		more = table_scan_getnextslot(state->scan, ForwardScanDirection,
												  state->row_slot);

		if (more)
		{
			slot_getallattrs(state->row_slot);
			if (aggscan_row_passes(state))
				aggscan_add_slot(state, state->row_slot);
		}
		MemoryContextSwitchTo(old);
		if (!more)
			break;
		if ((++n & 1023) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(state->row_cxt);
		}
	}
	MemoryContextReset(state->row_cxt);
	aggscan_spill_finish_round(state);
	state->consumed = true;
}

/*
 * Starts the next round on a spilled partition (see SpillPartition): its
 * rows aggregated into empty groups, those of groups that do not fit
 * spilled again by the next bits of their hash.  False if none is left.
 */
static bool
aggscan_next_round(AggScanState *state)
{
	SpillPartition *sp;
	int64		n = 0;

	if (state->spill_pending == NIL)
		return false;
	sp = linitial(state->spill_pending);
	state->spill_pending = list_delete_first(state->spill_pending);
	aggscan_reset_groups(state);
	state->spill_depth = sp->depth;
	state->rounds++;
	if (BufFileSeek(sp->file, 0, 0, SEEK_SET) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rewind the temporary file of a spillpool aggregate: %m")));
	for (;;)
	{
		MemoryContext old = MemoryContextSwitchTo(state->row_cxt);
		uint32		len;
		size_t		got = BufFileRead(sp->file, &len, sizeof(len));
		MinimalTuple tuple;

		if (got == 0)
		{
			MemoryContextSwitchTo(old);
			break;
		}
		tuple = palloc(Max(len, sizeof(len)));
		if (got != sizeof(len) || len < sizeof(len) ||
			BufFileRead(sp->file, tuple, len) != len)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read the temporary file of a spillpool aggregate: %m")));
		ExecStoreMinimalTuple(tuple, state->spill_slot, false);
		slot_getallattrs(state->spill_slot);
		aggscan_add_slot(state, state->spill_slot);
		ExecClearTuple(state->spill_slot);
		MemoryContextSwitchTo(old);
		if ((++n & 1023) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(state->row_cxt);
		}
	}
	MemoryContextReset(state->row_cxt);
	BufFileClose(sp->file);
	pfree(sp);
	aggscan_spill_finish_round(state);
	return true;
}

/* Closes the spill files of this round and of the rounds to come. */
static void
aggscan_spill_close(AggScanState *state)
{
	ListCell   *lc;
	int			p;

	for (p = 0; p < AGGSCAN_SPILL_PARTITIONS; p++)
	{
		if (state->spill[p] != NULL)
			BufFileClose(state->spill[p]);
		state->spill[p] = NULL;
	}
	foreach(lc, state->spill_pending)
	{
		SpillPartition *sp = lfirst(lc);

		BufFileClose(sp->file);
	}
	list_free_deep(state->spill_pending);
	state->spill_pending = NIL;
	state->spill_depth = 0;
}

/* ------------------------------------------------------------------------
 * Execution: results
 * ------------------------------------------------------------------------
 */

/* An exact integer sum as numeric. */
static Datum
aggscan_int128_numeric(int128 v)
{
	return parquet_decimal_to_numeric(v, 0);
}

/* numeric NaN. */
static Numeric
aggscan_numeric_nan(void)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum("NaN"),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

/* numeric_in of a C string. */
static Datum
aggscan_numeric_of(const char *s)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(s), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
}

/*
 * A numeric sum of 192 bits (see aggscan_add_decimal) at scale as numeric,
 * with that scale as its display scale, as numeric_sum gives it.
 */
static Datum
aggscan_sum192_numeric(const AggAcc *acc, int scale)
{
	uint128		lo = (uint128) acc->isum;
	char		buf[64];
	Datum		hi,
				low,
				total;

	if ((acc->isum_hi == 0 && acc->isum >= 0) || (acc->isum_hi == -1 && acc->isum < 0))
		return parquet_decimal_to_numeric(acc->isum, scale);
	/* hi * 2^128 + lo, then the decimal point moved by scale */
	hi = DirectFunctionCall2(numeric_mul, NumericGetDatum(int64_to_numeric(acc->isum_hi)),
							 aggscan_numeric_of("340282366920938463463374607431768211456"));
	snprintf(buf, sizeof(buf), UINT64_FORMAT, (uint64) (lo >> 64));
	low = DirectFunctionCall2(numeric_mul, aggscan_numeric_of(buf),
							  aggscan_numeric_of("18446744073709551616"));
	snprintf(buf, sizeof(buf), UINT64_FORMAT, (uint64) lo);
	low = DirectFunctionCall2(numeric_add, low, aggscan_numeric_of(buf));
	total = DirectFunctionCall2(numeric_add, hi, low);
	if (scale > 0)
	{
		snprintf(buf, sizeof(buf), "1e-%d", scale);
		total = DirectFunctionCall2(numeric_mul, total, aggscan_numeric_of(buf));
	}
	return total;
}

/* The final value of one aggregate of a group, as PostgreSQL gives it. */
static Datum
aggscan_final(const AggSpec *spec, const AggAcc *acc, bool *isnull)
{
	*isnull = false;
	switch (spec->calc)
	{
		case CALC_COUNT_STAR:
		case CALC_COUNT:
			return Int64GetDatum(acc->count);
		default:
			break;
	}
	if (acc->count == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	switch (spec->calc)
	{
		case CALC_SUM_INT:
			/* int2_sum and int4_sum add in int64 and wrap, as this does */
			return Int64GetDatum((int64) (uint64) acc->isum);
		case CALC_SUM_INT8:
			return aggscan_int128_numeric(acc->isum);
		case CALC_AVG_INT:
			return DirectFunctionCall2(numeric_div, aggscan_int128_numeric(acc->isum),
									   NumericGetDatum(int64_to_numeric(acc->count)));
		case CALC_SUM_FLOAT4:
			return Float4GetDatum(acc->fsum);
		case CALC_SUM_FLOAT8:
			return Float8GetDatum(acc->Sx);
		case CALC_AVG_FLOAT:
			return Float8GetDatum(acc->Sx / acc->N);
		case CALC_MIN_INT:
		case CALC_MAX_INT:
			switch (spec->argtype)
			{
				case INT2OID:
					return Int16GetDatum((int16) acc->ival);
				case INT4OID:
					return Int32GetDatum((int32) acc->ival);
				case DATEOID:
					return DateADTGetDatum((DateADT) acc->ival);
				default:
					return Int64GetDatum(acc->ival);
			}
		case CALC_MIN_FLOAT:
		case CALC_MAX_FLOAT:
			return spec->argtype == FLOAT4OID ? Float4GetDatum((float4) acc->fval) :
				Float8GetDatum(acc->fval);
		case CALC_SUM_NUMERIC:
			if (acc->nan)
				return NumericGetDatum(aggscan_numeric_nan());
			return aggscan_sum192_numeric(acc, spec->scale);
		case CALC_AVG_NUMERIC:
			/* numeric_avg: the sum divided by the count of inputs */
			if (acc->nan)
				return NumericGetDatum(aggscan_numeric_nan());
			return DirectFunctionCall2(numeric_div, aggscan_sum192_numeric(acc, spec->scale),
									   NumericGetDatum(int64_to_numeric(acc->count)));
		case CALC_MIN_NUMERIC:
			if (acc->nnum == 0)
				return NumericGetDatum(aggscan_numeric_nan());
			return parquet_decimal_to_numeric(acc->nval, spec->scale);
		case CALC_MAX_NUMERIC:
			if (acc->nan)
				return NumericGetDatum(aggscan_numeric_nan());
			return parquet_decimal_to_numeric(acc->nval, spec->scale);
		default:
			break;
	}
	elog(ERROR, "unexpected spillpool aggregate %d", (int) spec->calc);
	return (Datum) 0;
}

/*
 * A numeric in the form numeric.c's numericvar_serialize writes it (the
 * fields of numeric_send, its header as int32s), as partial states of
 * numeric aggregates hold their sums.
 */
static void
aggscan_send_numericvar(StringInfo buf, Datum num)
{
	bytea	   *sent = DatumGetByteaPP(DirectFunctionCall1(numeric_send, num));
	StringInfoData in;
	int			ndigits;
	int			i;

	in.data = VARDATA_ANY(sent);
	in.len = VARSIZE_ANY_EXHDR(sent);
	in.maxlen = in.len;
	in.cursor = 0;
	ndigits = (int16) pq_getmsgint(&in, sizeof(int16));
	pq_sendint32(buf, ndigits);
	pq_sendint32(buf, (int16) pq_getmsgint(&in, sizeof(int16)));	/* weight */
	pq_sendint32(buf, pq_getmsgint(&in, sizeof(int16)));	/* sign */
	pq_sendint32(buf, pq_getmsgint(&in, sizeof(int16)));	/* dscale */
	for (i = 0; i < ndigits; i++)
		pq_sendint16(buf, pq_getmsgint(&in, sizeof(int16)));
	pq_getmsgend(&in);
}

/*
 * The transition state of one aggregate of a group, in the form
 * PostgreSQL 15's own aggregate hands it from a partial aggregation to the
 * Finalize Aggregate above Gather, which combines the states of every
 * participant and computes the results:
 *
 *	- count: the count (int8); sum of int2/int4: the int8 sum (int4_sum's
 *	  state); float sums, min and max: the running value, NULL without
 *	  input (the transition functions' own state);
 *	- avg of int2/int4: int8[] {count, sum} (int4_avg_accum);
 *	- avg of floats: float8[] {N, Sx, Sxx} (float8_accum; where the node
 *	  skipped the sum of squares, see aggscan_batch_aggregate, Sxx lacks
 *	  those values' share, which float8_combine uses only to check for
 *	  overflow and avg never returns);
 *	- sum and avg of int8: int8_avg_serialize's bytea (N, then the sum as
 *	  numericvar_serialize writes it);
 *	- sum and avg of numeric: numeric_avg_serialize's bytea (N, the sum, the
 *	  largest scale and its count, the NaN and infinity counts).
 */
static Datum
aggscan_partial(const AggSpec *spec, const AggAcc *acc, bool *isnull)
{
	StringInfoData buf;
	Datum		elems[3];

	*isnull = false;
	switch (spec->calc)
	{
		case CALC_AVG_FLOAT:
			elems[0] = Float8GetDatumFast(acc->N);
			elems[1] = Float8GetDatumFast(acc->Sx);
			elems[2] = Float8GetDatumFast(acc->Sxx);
			return PointerGetDatum(construct_array(elems, 3, FLOAT8OID, sizeof(float8),
												   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		case CALC_AVG_INT:
			if (spec->argtype == INT8OID)
				break;
			elems[0] = Int64GetDatumFast(acc->count);
			elems[1] = Int64GetDatumFast((int64) (uint64) acc->isum);
			return PointerGetDatum(construct_array(elems, 2, INT8OID, sizeof(int64),
												   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		default:
			break;
	}
	if (acc->count == 0)
		return aggscan_final(spec, acc, isnull);	/* count 0, or NULL */
	switch (spec->calc)
	{
		case CALC_SUM_INT8:
		case CALC_AVG_INT:
			pq_begintypsend(&buf);
			pq_sendint64(&buf, acc->count);
			aggscan_send_numericvar(&buf, aggscan_int128_numeric(acc->isum));
			return PointerGetDatum(pq_endtypsend(&buf));
		case CALC_SUM_NUMERIC:
		case CALC_AVG_NUMERIC:
			/* numeric(p <= 38, s): every number at scale s, no infinity */
			pq_begintypsend(&buf);
			pq_sendint64(&buf, acc->nnum);
			aggscan_send_numericvar(&buf, aggscan_sum192_numeric(acc, spec->scale));
			pq_sendint32(&buf, acc->nnum > 0 ? spec->scale : 0);
			pq_sendint64(&buf, acc->nnum);
			pq_sendint64(&buf, acc->count - acc->nnum);
			pq_sendint64(&buf, 0);
			pq_sendint64(&buf, 0);
			return PointerGetDatum(pq_endtypsend(&buf));
		default:
			/* the state is the result */
			return aggscan_final(spec, acc, isnull);
	}
}

/* ExecScan's access method: the next group's row, or an empty slot. */
static TupleTableSlot *
aggscan_next(ScanState *node)
{
	AggScanState *state = (AggScanState *) node;
	TupleTableSlot *slot = node->ss_ScanTupleSlot;
	AggGroup   *g;
	MemoryContext old;
	int			i;

	if (!state->consumed)
		aggscan_consume(state);
	ExecClearTuple(slot);
	if (state->count_distinct)
	{
		int64		n = 0;

		if (state->distinct_done)
			return slot;
		do
		{
			for (i = 0; i < state->ngroups; i++)
				n += !state->groups[i]->keynulls[0];
		} while (aggscan_next_round(state));
		state->distinct_done = true;
		slot->tts_values[0] = Int64GetDatum(n);
		slot->tts_isnull[0] = false;
		return ExecStoreVirtualTuple(slot);
	}
	while (state->next_output >= state->ngroups)
	{
		if (!aggscan_next_round(state))
			return slot;
	}
	g = state->groups[state->next_output++];
	old = MemoryContextSwitchTo(node->ps.ps_ExprContext->ecxt_per_tuple_memory);
	for (i = 0; i < state->nkeys; i++)
	{
		slot->tts_values[i] = g->keys[i];
		slot->tts_isnull[i] = g->keynulls[i];
	}
	for (i = 0; i < state->naggs; i++)
		slot->tts_values[state->nkeys + i] = state->partial ?
			aggscan_partial(&state->aggs[i], &g->accs[i], &slot->tts_isnull[state->nkeys + i]) :
			aggscan_final(&state->aggs[i], &g->accs[i], &slot->tts_isnull[state->nkeys + i]);
	MemoryContextSwitchTo(old);
	return ExecStoreVirtualTuple(slot);
}

static bool
aggscan_recheck(ScanState *node, TupleTableSlot *slot)
{
	return true;
}

/* ------------------------------------------------------------------------
 * Executor callbacks
 * ------------------------------------------------------------------------
 */

static Node *
aggscan_create_state(CustomScan *cscan)
{
	AggScanState *state = palloc0(sizeof(AggScanState));

	NodeSetTag(state, T_CustomScanState);
	state->css.methods = &aggscan_exec_methods;
	return (Node *) state;
}

static void
aggscan_begin(CustomScanState *node, EState *estate, int eflags)
{
	AggScanState *state = (AggScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	Relation	rel = node->ss.ss_currentRelation;
	List	   *cols = linitial(cscan->custom_private);
	List	   *specs = lsecond(cscan->custom_private);
	List	   *qual_parts = lthird(cscan->custom_private);
	ListCell   *lc;
	bool		all_columns = false;
	int			i;

	state->agg_names = lfourth(cscan->custom_private);
	state->key_names = list_nth(cscan->custom_private, 4);
	state->partial = intVal(list_nth(cscan->custom_private, 5)) != 0;
	state->nkeys = list_length(linitial(cols));
	state->key_attnums = palloc(sizeof(AttrNumber) * Max(state->nkeys, 1));
	state->key_types = palloc(sizeof(Oid) * Max(state->nkeys, 1));
	i = 0;
	foreach(lc, (List *) linitial(cols))
	{
		state->key_attnums[i] = (AttrNumber) lfirst_int(lc);
		state->key_types[i] = TupleDescAttr(RelationGetDescr(rel), state->key_attnums[i] - 1)->atttypid;
		i++;
	}
	foreach(lc, (List *) lsecond(cols))
	{
		if (lfirst_int(lc) == 0)
		{
			all_columns = true;
			break;
		}
		state->attrs = bms_add_member(state->attrs,
									  lfirst_int(lc) - FirstLowInvalidHeapAttributeNumber);
	}
	if (all_columns)
		state->attrs = NULL;	/* every column */
	else if (state->attrs == NULL)
	{
		/* count(*) alone: a system column decodes no user column */
		state->attrs = bms_make_singleton(SelfItemPointerAttributeNumber -
										  FirstLowInvalidHeapAttributeNumber);
	}
	state->naggs = list_length(specs);
	state->aggs = palloc(sizeof(AggSpec) * state->naggs);
	i = 0;
	foreach(lc, specs)
	{
		List	   *s = lfirst(lc);

		state->aggs[i].calc = (AggCalc) linitial_int(s);
		state->aggs[i].attnum = (AttrNumber) lsecond_int(s);
		state->aggs[i].argtype = (Oid) lthird_int(s);
		state->aggs[i].restype = (Oid) lfourth_int(s);
		state->aggs[i].argtypmod = (int32) list_nth_int(s, 4);
		state->aggs[i].scale = 0;
		if (state->aggs[i].argtype == NUMERICOID)
		{
			int			precision;

			(void) shard_kind_of_type(NUMERICOID, state->aggs[i].argtypmod, &precision,
									  &state->aggs[i].scale);
		}
		i++;
	}
	if (state->naggs == 1 && state->aggs[0].calc == CALC_COUNT_DISTINCT)
	{
		/* the groups of the column, counted by aggscan_next */
		state->count_distinct = true;
		state->nkeys = 1;
		state->key_attnums[0] = state->aggs[0].attnum;
		state->key_types[0] = state->aggs[0].argtype;
		state->naggs = 0;
	}
	state->qual = ExecInitQual((List *) linitial(qual_parts), &node->ss.ps);
	state->filters = customscan_shard_filters(lsecond(qual_parts));
	state->filter_text = strVal(lthird(qual_parts));
	if (intVal(lfourth(qual_parts)) != 0)
		state->array_quals = arrayqual_begin((List *) linitial(qual_parts),
											 (Index) intVal(list_nth(qual_parts, 4)),
											 rel, &node->ss.ps);

	state->from_stats = state->qual == NULL && state->nkeys == 0;
	for (i = 0; i < state->naggs; i++)
	{
		AggCalc		calc = state->aggs[i].calc;

		if (calc != CALC_COUNT_STAR && calc != CALC_COUNT && calc != CALC_MIN_INT &&
			calc != CALC_MAX_INT)
			state->from_stats = false;
	}

	state->group_cxt = AllocSetContextCreate(estate->es_query_cxt, "spillpool aggregate groups",
											 ALLOCSET_DEFAULT_SIZES);
	state->batch_cxt = AllocSetContextCreate(estate->es_query_cxt, "spillpool aggregate batches",
											 ALLOCSET_DEFAULT_SIZES);
	state->row_cxt = AllocSetContextCreate(estate->es_query_cxt, "spillpool aggregate rows",
										   ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&state->keybuf);
	aggscan_reset_groups(state);
	state->consumed = false;
	state->mem_limit = get_hash_memory_limit();
	state->row_slot = table_slot_create(rel, &estate->es_tupleTable);
	state->spill_slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel),
											   &TTSOpsMinimalTuple);
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	state->scan = table_beginscan(rel, estate->es_snapshot, 0, NULL);
	spillpool_scan_set_projection(state->scan, state->attrs, state->filters,
								  &state->counters);
}

static TupleTableSlot *
aggscan_exec(CustomScanState *node)
{
	return ExecScan(&node->ss, aggscan_next, aggscan_recheck);
}

static void
aggscan_end(CustomScanState *node)
{
	AggScanState *state = (AggScanState *) node;

	aggscan_spill_close(state);
	if (state->scan != NULL)
		table_endscan(state->scan);
	state->scan = NULL;
}

static void
aggscan_rescan(CustomScanState *node)
{
	AggScanState *state = (AggScanState *) node;

	aggscan_spill_close(state);
	aggscan_reset_groups(state);
	state->consumed = false;
	state->distinct_done = false;
	state->rows_in = 0;
	state->rows_spilled = 0;
	state->rounds = 0;
	state->peak_mem = 0;
	state->batches_vectorized = 0;
	state->batches_from_stats = 0;
	memset(&state->counters, 0, sizeof(state->counters));
	if (state->scan != NULL)
		table_rescan(state->scan, NULL);
}

/* EXPLAIN: what the node computes, and with ANALYZE what it read. */
static void
aggscan_explain(CustomScanState *node, List *ancestors, ExplainState *es)
{
	AggScanState *state = (AggScanState *) node;
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, state->agg_names)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", strVal(lfirst(lc)));
	ExplainPropertyText(state->partial ? "Partial Aggregates" : "Aggregates", buf.data, es);
	if (state->key_names != NIL)
	{
		resetStringInfo(&buf);
		foreach(lc, state->key_names)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", strVal(lfirst(lc)));
		ExplainPropertyText("Group Key", buf.data, es);
	}
	if (state->filter_text[0] != '\0')
		ExplainPropertyText("Filter", state->filter_text, es);
	if (es->analyze)
	{
		ExplainPropertyInteger("Rows Aggregated", NULL, state->rows_in, es);
		ExplainPropertyInteger("Shards Read", NULL, state->counters.shards, es);
		ExplainPropertyInteger("Row Groups Read", NULL,
							   state->counters.row_groups - state->counters.row_groups_skipped, es);
		ExplainPropertyInteger("Row Groups Vectorized", NULL, state->batches_vectorized, es);
		if (state->from_stats)
			ExplainPropertyInteger("Row Groups From Statistics", NULL, state->batches_from_stats, es);

		ExplainPropertyInteger("Row Groups Skipped", NULL, state->counters.row_groups_skipped, es);
		if (state->nkeys > 0)
			ExplainPropertyInteger("Peak Group Memory", "kB", (int64) ((state->peak_mem + 1023) / 1024), es);
		if (state->rows_spilled > 0)
		{
			ExplainPropertyInteger("Rows Spilled", NULL, state->rows_spilled, es);
			ExplainPropertyInteger("Spill Rounds", NULL, state->rounds, es);
		}
	}
}

/*
 * Parallel (the partial node under Gather): the participants share the
 * table's scan as a parallel SpillpoolScan does (SpillParallelScan).
 */
static Size
aggscan_estimate_dsm(CustomScanState *node, ParallelContext *pcxt)
{
	return sizeof(SpillParallelScan);
}

/*
 * The leader, before the workers start: fixes what every participant
 * reads.  It alone reads the memtable and its own rows, so it must take
 * part (spillpool_scan_parallel_leader checks).
 */
static void
aggscan_initialize_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	AggScanState *state = (AggScanState *) node;

	spillpool_scan_parallel_leader(state->scan, coordinate);
}

/* A rescan under Gather: the leader's scan starts anew. */
static void
aggscan_reinitialize_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	spillpool_scan_parallel_leader(((AggScanState *) node)->scan, coordinate);
}

/* A worker joins the scan the leader fixed. */
static void
aggscan_initialize_worker(CustomScanState *node, shm_toc *toc, void *coordinate)
{
	spillpool_scan_parallel_worker(((AggScanState *) node)->scan, coordinate);
}

/* Registers the node's methods; called from _PG_init. */
void
aggscan_init(void)
{
	aggscan_scan_methods.CustomName = "SpillpoolAggregate";
	aggscan_scan_methods.CreateCustomScanState = aggscan_create_state;
	aggscan_exec_methods.CustomName = "SpillpoolAggregate";
	aggscan_exec_methods.BeginCustomScan = aggscan_begin;
	aggscan_exec_methods.ExecCustomScan = aggscan_exec;
	aggscan_exec_methods.EndCustomScan = aggscan_end;
	aggscan_exec_methods.ReScanCustomScan = aggscan_rescan;
	aggscan_exec_methods.ExplainCustomScan = aggscan_explain;
	aggscan_exec_methods.EstimateDSMCustomScan = aggscan_estimate_dsm;
	aggscan_exec_methods.InitializeDSMCustomScan = aggscan_initialize_dsm;
	aggscan_exec_methods.ReInitializeDSMCustomScan = aggscan_reinitialize_dsm;
	aggscan_exec_methods.InitializeWorkerCustomScan = aggscan_initialize_worker;
	RegisterCustomScanMethods(&aggscan_scan_methods);
}
