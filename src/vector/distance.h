/*-------------------------------------------------------------------------
 *
 * distance.h
 *	  Distances between vectors stored as real[] (distance.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_DISTANCE_H
#define SPILLPOOL_DISTANCE_H

#include "utils/array.h"

/* The metric of a table's embedding column (its option embedding_metric). */
typedef enum VectorMetric
{
	VECTOR_METRIC_L2 = 0,
	VECTOR_METRIC_COSINE,
	VECTOR_METRIC_INNER_PRODUCT
} VectorMetric;

extern int	vector_metric_from_name(const char *name);
extern const char *vector_metric_name(int metric);
extern void vector_check_dimension(ArrayType *a, int dimension, const char *column);
extern int	vector_elements(ArrayType *a, const float4 **elems);
extern float8 vector_l2_distance(const float4 *a, const float4 *b, int n);
extern float8 vector_inner_product(const float4 *a, const float4 *b, int n);
extern float8 vector_cosine_distance(const float4 *a, const float4 *b, int n);

#endif							/* SPILLPOOL_DISTANCE_H */
