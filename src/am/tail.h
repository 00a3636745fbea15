/*-------------------------------------------------------------------------
 *
 * tail.h
 *	  Reading a spillpool table by row position (tail.c), for tail and
 *	  consume.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_TAIL_H
#define SPILLPOOL_TAIL_H

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

extern int64 tail_check_limits(int32 max_rows, Interval *wait);
extern int64 tail_rows(Relation rel, uint64 after, int64 max_rows, int64 wait_ms,
					   Tuplestorestate *store, TupleDesc result_desc, uint64 *last);
extern int64 tail_count_after(Relation rel, uint64 after);

#endif							/* SPILLPOOL_TAIL_H */
