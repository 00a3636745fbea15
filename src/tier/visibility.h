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

/*
 * Row visibility shared by the scan and the flush: the rows of a batch or
 * block are visible as heap decides it for xmin.
 */
extern bool spill_xid_visible(TransactionId xid, bool committed_hint, Snapshot snapshot);
extern bool spill_fxid_frozen(FullTransactionId fxid);

#endif							/* SPILLPOOL_VISIBILITY_H */
