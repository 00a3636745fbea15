/*-------------------------------------------------------------------------
 *
 * visibility.c
 *	  Which stored rows a snapshot sees: the rule the scan and the flush
 *	  share.
 *
 * Rows are stored in batches and blocks tagged with the full transaction
 * id of the transaction that inserted them, and are visible as heap decides
 * it for a tuple's xmin.  Rows older than the wraparound horizon count as
 * frozen.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "storage/procarray.h"
#include "utils/snapmgr.h"

#include "tier/visibility.h"

static bool spill_fxid_frozen(FullTransactionId fxid);

/*
 * What became of the transaction that inserted a batch or block of rows,
 * fxid.  committed says the rows are known committed (written after their
 * commit, or hinted); before_load that they were on disk, flagged
 * committed, before this server started: their transaction wrote no WAL,
 * so after a crash its xid may even have been handed out again, and such
 * rows count as settled.  Rows of the current transaction are in progress
 * (a transaction reads its own rows from its pending batch).
 */
SpillRowsStatus
spill_rows_status(FullTransactionId fxid, bool committed, bool before_load)
{
	TransactionId xid = XidFromFullTransactionId(fxid);

	if (!TransactionIdIsNormal(xid) || (committed && before_load) ||
		spill_fxid_frozen(fxid))
		return SPILL_ROWS_SETTLED;
	if (committed)
		return SPILL_ROWS_COMMITTED;
	if (TransactionIdIsCurrentTransactionId(xid) || TransactionIdIsInProgress(xid))
		return SPILL_ROWS_IN_PROGRESS;
	/* status older than the commit log: only committed rows survive that long */
	if (TransactionIdPrecedes(xid, ShmemVariableCache->oldestClogXid))
		return SPILL_ROWS_COMMITTED;
	return TransactionIdDidCommit(xid) ? SPILL_ROWS_COMMITTED : SPILL_ROWS_ABORTED;
}

/*
 * Are the rows of fxid visible to snapshot?  MVCC snapshots follow heap's
 * xmin rule; other snapshots (NULL included) see what has committed.
 */
bool
spill_rows_visible(FullTransactionId fxid, bool committed, bool before_load,
				   Snapshot snapshot)
{
	switch (spill_rows_status(fxid, committed, before_load))
	{
		case SPILL_ROWS_SETTLED:
			return true;
		case SPILL_ROWS_COMMITTED:
			return snapshot == NULL || !IsMVCCSnapshot(snapshot) ||
				!XidInMVCCSnapshot(XidFromFullTransactionId(fxid), snapshot);
		case SPILL_ROWS_IN_PROGRESS:
		case SPILL_ROWS_ABORTED:
			break;
	}
	return false;
}

/*
 * True if rows of fxid are older than the wraparound horizon: their xid
 * may name a newer transaction now, so they count as frozen (committed and
 * visible to everyone).  Scans and flushes both judge rows by this.
 */
static bool
spill_fxid_frozen(FullTransactionId fxid)
{
	FullTransactionId next = ReadNextFullTransactionId();

	return FullTransactionIdPrecedes(fxid, next) &&
		U64FromFullTransactionId(next) - U64FromFullTransactionId(fxid) > (UINT64CONST(1) << 31);
}
