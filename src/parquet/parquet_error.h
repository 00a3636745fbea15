/*-------------------------------------------------------------------------
 *
 * parquet_error.h
 *	  Internal error recording and checked allocation shared by the
 *	  Parquet reader and writer (not part of the public interface).
 *
 * A PqErr is where a failure is recorded: a ParquetStatus and a message in
 * a caller-supplied buffer.  The first failure wins, so the innermost and
 * most precise message survives the consequences it has further up.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PARQUET_ERROR_H
#define PARQUET_ERROR_H

#include <stdarg.h>

#include "parquet_types.h"

/* Let the compiler check the format strings of our message functions */
#if defined(__GNUC__) || defined(__clang__)
#define PQ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PQ_PRINTF(f, a)
#endif

/* Where a failure is recorded: the first one wins. */
typedef struct PqErr
{
	ParquetStatus status;
	char	   *buf;			/* message buffer, may be NULL */
	size_t		len;
} PqErr;

extern bool pq_vfail(PqErr *e, ParquetStatus status, const char *fmt, va_list ap) PQ_PRINTF(3, 0);
extern bool pq_fail(PqErr *e, ParquetStatus status, const char *fmt,...) PQ_PRINTF(3, 4);
extern void pq_add_context(PqErr *e, const char *fmt,...) PQ_PRINTF(2, 3);
extern void *pq_malloc(PqErr *e, size_t size);
extern void *pq_calloc(PqErr *e, size_t n, size_t size);

/* Shorthand for the most common failure: the file is malformed. */
#define pq_corrupt(e, ...) pq_fail((e), PARQUET_ERROR_CORRUPT, __VA_ARGS__)

#endif							/* PARQUET_ERROR_H */
