/*-------------------------------------------------------------------------
 *
 * distance.c
 *	  Distances between vectors stored as real[]: the operators <-> (l2),
 *	  <=> (cosine distance) and <#> (negative inner product), spelled as
 *	  pgvector spells them, in the extension's schema.
 *
 * A vector is a one-dimensional real[] without NULL elements, NaN or
 * infinities; both sides of an operator must have the same number of
 * elements.  Anything else is an error naming what is wrong, as pgvector's
 * own input checks do.  Sums are taken in double precision, so that the
 * distances of the nearest-neighbour search (and of an exact scan to
 * compare it with) do not depend on the order of the elements' rounding.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/float.h"

#include "vector/distance.h"

PG_FUNCTION_INFO_V1(spillpool_l2_distance);
PG_FUNCTION_INFO_V1(spillpool_cosine_distance);
PG_FUNCTION_INFO_V1(spillpool_negative_inner_product);

/*
 * The elements of a real[] that is a valid vector; errors otherwise.
 * Returns the number of elements (0 for an empty array).
 */
int
vector_elements(ArrayType *a, const float4 **elems)
{
	int			n;
	int			i;
	const float4 *v;

	if (ARR_ELEMTYPE(a) != FLOAT4OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a vector must be an array of real")));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a vector must have one dimension, not %d", ARR_NDIM(a))));
	if (ARR_HASNULL(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a vector must not contain NULL elements")));
	n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	v = (const float4 *) ARR_DATA_PTR(a);
	for (i = 0; i < n; i++)
		if (isnan(v[i]) || isinf(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s not allowed in a vector", isnan(v[i]) ? "NaN" : "infinity"),
					 errdetail("Element %d is %s.", i + 1, isnan(v[i]) ? "NaN" : "infinite")));
	*elems = v;
	return n;
}

/* A metric by name (l2, cosine, inner_product), or -1. */
int
vector_metric_from_name(const char *name)
{
	if (pg_strcasecmp(name, "l2") == 0)
		return VECTOR_METRIC_L2;
	if (pg_strcasecmp(name, "cosine") == 0)
		return VECTOR_METRIC_COSINE;
	if (pg_strcasecmp(name, "inner_product") == 0 || pg_strcasecmp(name, "ip") == 0)
		return VECTOR_METRIC_INNER_PRODUCT;
	return -1;
}

/* The name of a metric, as the options show it. */
const char *
vector_metric_name(int metric)
{
	switch (metric)
	{
		case VECTOR_METRIC_COSINE:
			return "cosine";
		case VECTOR_METRIC_INNER_PRODUCT:
			return "inner_product";
		default:
			return "l2";
	}
}

/*
 * The check of a value of a table's embedding column at insert: a valid
 * vector of the table's dimension.
 */
void
vector_check_dimension(ArrayType *a, int dimension, const char *column)
{
	const float4 *v;
	int			n = vector_elements(a, &v);

	if (n != dimension)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", dimension, n),
				 errdetail("Column \"%s\" is the table's embedding column, of dimension %d.",
						   column, dimension)));
	/* the nearest-neighbour scan rebuilds values from the index's copies */
	if (n > 0 && ARR_LBOUND(a)[0] != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the subscripts of a vector must start at 1"),
				 errdetail("Column \"%s\" is the table's embedding column; this value starts at %d.",
						   column, ARR_LBOUND(a)[0])));
}

/* The elements of both arguments, checked to have the same dimension. */
static int
vector_pair(FunctionCallInfo fcinfo, const float4 **a, const float4 **b)
{
	int			na = vector_elements(PG_GETARG_ARRAYTYPE_P(0), a);
	int			nb = vector_elements(PG_GETARG_ARRAYTYPE_P(1), b);

	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", na, nb)));
	return na;
}

/* Euclidean distance between two vectors of the same dimension. */
float8
vector_l2_distance(const float4 *a, const float4 *b, int n)
{
	float8		sum = 0.0;
	int			i;

	for (i = 0; i < n; i++)
	{
		float8		d = (float8) a[i] - (float8) b[i];

		sum += d * d;
	}
	return sqrt(sum);
}

/* Inner product of two vectors of the same dimension. */
float8
vector_inner_product(const float4 *a, const float4 *b, int n)
{
	float8		sum = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		sum += (float8) a[i] * (float8) b[i];
	return sum;
}

/*
 * Cosine distance, 1 - cos(a, b); NaN when either vector is all zeros
 * (the cosine has no value then), as pgvector returns.
 */
float8
vector_cosine_distance(const float4 *a, const float4 *b, int n)
{
	float8		dot = 0.0,
				na = 0.0,
				nb = 0.0,
				sim;
	int			i;

	for (i = 0; i < n; i++)
	{
		dot += (float8) a[i] * (float8) b[i];
		na += (float8) a[i] * (float8) a[i];
		nb += (float8) b[i] * (float8) b[i];
	}
	if (na == 0.0 || nb == 0.0)
		return get_float8_nan();
	sim = dot / sqrt(na * nb);
	/* rounding may leave the cosine just outside [-1, 1] */
	if (sim > 1.0)
		sim = 1.0;
	else if (sim < -1.0)
		sim = -1.0;
	return 1.0 - sim;
}

/* real[] <-> real[]: the Euclidean (l2) distance. */
Datum
spillpool_l2_distance(PG_FUNCTION_ARGS)
{
	const float4 *a,
			   *b;
	int			n = vector_pair(fcinfo, &a, &b);

	PG_RETURN_FLOAT8(vector_l2_distance(a, b, n));
}

/* real[] <=> real[]: the cosine distance. */
Datum
spillpool_cosine_distance(PG_FUNCTION_ARGS)
{
	const float4 *a,
			   *b;
	int			n = vector_pair(fcinfo, &a, &b);

	PG_RETURN_FLOAT8(vector_cosine_distance(a, b, n));
}

/* real[] <#> real[]: the negative inner product (smaller is closer). */
Datum
spillpool_negative_inner_product(PG_FUNCTION_ARGS)
{
	const float4 *a,
			   *b;
	int			n = vector_pair(fcinfo, &a, &b);

	PG_RETURN_FLOAT8(-vector_inner_product(a, b, n));
}
