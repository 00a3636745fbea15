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

extern int	vector_elements(ArrayType *a, const float4 **elems);
extern float8 vector_l2_distance(const float4 *a, const float4 *b, int n);
extern float8 vector_inner_product(const float4 *a, const float4 *b, int n);
extern float8 vector_cosine_distance(const float4 *a, const float4 *b, int n);

#endif							/* SPILLPOOL_DISTANCE_H */
