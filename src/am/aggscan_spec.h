/*-------------------------------------------------------------------------
 *
 * aggscan_spec.h
 *	  What the planning (aggplan.c) and the execution (aggscan.c) of
 *	  SpillpoolAggregate share: how each aggregate is computed, and which
 *	  shard column kinds hold the types it reads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_AGGSCAN_SPEC_H
#define SPILLPOOL_AGGSCAN_SPEC_H

#include "catalog/pg_type.h"
#include "nodes/extensible.h"
#include "nodes/primnodes.h"

#include "shard/convert.h"

/* How one aggregate is computed. */
typedef enum AggCalc
{
	CALC_COUNT_STAR,			/* count(*) */
	CALC_COUNT,					/* count(col) */
	CALC_SUM_INT,				/* sum of int2/int4: int8 */
	CALC_SUM_INT8,				/* sum of int8: numeric */
	CALC_AVG_INT,				/* avg of int2/int4/int8: numeric */
	CALC_SUM_FLOAT4,			/* sum of float4: float4 */
	CALC_SUM_FLOAT8,			/* sum of float8: float8 */
	CALC_AVG_FLOAT,				/* avg of float4/float8: float8 */
	CALC_MIN_INT,				/* min/max of int2/int4/int8/date/timestamp(tz) */
	CALC_MAX_INT,
	CALC_MIN_FLOAT,				/* min/max of float4/float8 */
	CALC_MAX_FLOAT,
	CALC_COUNT_DISTINCT,		/* count(DISTINCT col), the only aggregate:
								 * the groups of col, counted */
	CALC_SUM_NUMERIC,			/* sum/avg/min/max of numeric(p <= 38, s) */
	CALC_AVG_NUMERIC,
	CALC_MIN_NUMERIC,
	CALC_MAX_NUMERIC
} AggCalc;

/* One aggregate of the node: what it computes, over which column. */
typedef struct AggSpec
{
	AggCalc		calc;
	AttrNumber	attnum;			/* 0 for count(*) */
	Oid			argtype;
	int32		argtypmod;
	Oid			restype;
	int			scale;			/* numeric: the column's scale (execution) */
} AggSpec;

/* How an Aggref is computed, or false if the node cannot compute it. */
extern bool aggscan_agg_spec(Aggref *aggref, Index relid, AggSpec *spec);

/* The scan methods of the plan node (aggscan.c). */
extern CustomScanMethods aggscan_scan_methods;

/*
 * The shard column kind that holds values of an SQL type the node reads,
 * or 0 for the types it does not: bpchar (its equality ignores trailing
 * blanks) and money are stored as text and int8 but not read by it.
 */
static inline ShardKind
aggscan_kind_of_type(Oid type)
{
	int			precision,
				scale;
	ShardKind	kind;

	if (type == BPCHAROID || type == CASHOID)
		return (ShardKind) 0;
	kind = shard_kind_of_type(type, -1, &precision, &scale);
	return shard_kind_is_fixed(kind) || kind == SK_TEXT ? kind : (ShardKind) 0;
}

/* True if a shard column of this kind holds values of the SQL type. */
static inline bool
aggscan_kind_matches(ShardKind kind, Oid type)
{
	return kind == aggscan_kind_of_type(type);
}

/*
 * The same for an aggregate's argument, which may also be numeric of at
 * most 38 digits (a DECIMAL column).
 */
static inline bool
aggscan_arg_kind_matches(ShardKind kind, const AggSpec *spec)
{
	int			precision,
				scale;

	if (spec->argtype == NUMERICOID)
		return kind == SK_NUMERIC &&
			shard_kind_of_type(NUMERICOID, spec->argtypmod, &precision, &scale) == SK_NUMERIC;
	return aggscan_kind_matches(kind, spec->argtype);
}

#endif							/* SPILLPOOL_AGGSCAN_SPEC_H */
