/*-------------------------------------------------------------------------
 *
 * visibility.h
 *	  Which stored rows a snapshot sees.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_VISIBILITY_H
#define SPILLPOOL_VISIBILITY_H

#include "access/transam.h"
#include "utils/snapshot.h"

/* What became of the transaction of a batch or block of rows. */
typedef enum SpillRowsStatus
{
	SPILL_ROWS_SETTLED,			/* visible to every snapshot: frozen, or on
								 * disk as committed before the server started */
	SPILL_ROWS_COMMITTED,		/* committed: visible unless a snapshot
								 * still sees the transaction running */
	SPILL_ROWS_IN_PROGRESS,		/* running, or the current transaction */
	SPILL_ROWS_ABORTED			/* rolled back: never visible */
} SpillRowsStatus;

/*
 * Row visibility shared by the scan and the flush: the rows of a batch or
 * block are visible as heap decides it for a tuple's xmin.
 */
extern SpillRowsStatus spill_rows_status(FullTransactionId fxid, bool committed_hint,
										 bool before_load);
extern bool spill_rows_visible(FullTransactionId fxid, bool committed_hint,
							   bool before_load, Snapshot snapshot);

#endif							/* SPILLPOOL_VISIBILITY_H */
