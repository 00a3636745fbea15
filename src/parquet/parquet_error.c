/*-------------------------------------------------------------------------
 *
 * parquet_error.c
 *	  Error recording (PqErr) and allocation that records out-of-memory,
 *	  shared by the Parquet reader and writer.
 *
 * Nothing here aborts, asserts or longjmps: failures are recorded and the
 * callers return them as a ParquetStatus.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet_error.h"

/*
 * Records a failure with a va_list (unless one is already recorded, so the
 * innermost and most precise message survives) and returns false.  The
 * writer's varargs wrapper and pq_fail() both end here.
 */
bool
pq_vfail(PqErr *e, ParquetStatus status, const char *fmt, va_list ap)
{
	if (e->status != PARQUET_OK)
		return false;
	e->status = status;
	if (e->buf != NULL && e->len > 0)
		vsnprintf(e->buf, e->len, fmt, ap);
	return false;
}

/*
 * Records a failure and returns false so that callers can write
 * "return pq_fail(...)".
 */
bool
pq_fail(PqErr *e, ParquetStatus status, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	pq_vfail(e, status, fmt, ap);
	va_end(ap);
	return false;
}

/*
 * Prefixes the recorded message with where it happened (a row group and
 * column), so that decoding errors name the chunk they came from.
 */
void
pq_add_context(PqErr *e, const char *fmt,...)
{
	char		prefix[256];
	char	   *old;
	va_list		ap;

	if (e->buf == NULL || e->len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	old = strdup(e->buf);
	if (old == NULL)
		return;
	snprintf(e->buf, e->len, "%s: %s", prefix, old);
	free(old);
}

/* malloc that records PARQUET_ERROR_NOMEM; size 0 allocates 1 byte. */
void *
pq_malloc(PqErr *e, size_t size)
{
	void	   *p = malloc(size > 0 ? size : 1);

	if (p == NULL)
		pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory allocating %zu bytes", size);
	return p;
}

/* calloc of n elements with overflow check, recording NOMEM. */
void *
pq_calloc(PqErr *e, size_t n, size_t size)
{
	void	   *p;

	if (size != 0 && n > SIZE_MAX / size)
	{
		pq_fail(e, PARQUET_ERROR_NOMEM, "allocation of %zu x %zu bytes overflows", n, size);
		return NULL;
	}
	p = calloc(n > 0 ? n : 1, size > 0 ? size : 1);
	if (p == NULL)
		pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory allocating %zu x %zu bytes", n, size);
	return p;
}
