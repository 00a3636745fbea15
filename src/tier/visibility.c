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

/*
 * Is a batch of transaction xid visible?  committed says the rows are known
 * committed (written after commit, or hinted).  MVCC snapshots follow heap's
 * xmin rule; other snapshots see what has committed.
 */
bool
spill_xid_visible(TransactionId xid, bool committed, Snapshot snapshot)
{
	if (!TransactionIdIsNormal(xid))
		return true;			/* frozen or bootstrap */
	if (snapshot != NULL && IsMVCCSnapshot(snapshot) &&
		XidInMVCCSnapshot(xid, snapshot))
		return false;
	if (committed)
		return true;
	if (TransactionIdIsCurrentTransactionId(xid))
		return false;			/* our own rows are read from pending */
	if (TransactionIdIsInProgress(xid))
		return false;
	/* status older than the commit log: only committed rows survive that long */
	if (TransactionIdPrecedes(xid, ShmemVariableCache->oldestClogXid))
		return true;
	return TransactionIdDidCommit(xid);
}

/*
 * True if rows of fxid are older than the wraparound horizon: their xid
 * may name a newer transaction now, so they count as frozen (committed and
 * visible to everyone).  Scans and flushes both judge rows by this.
 */
bool
spill_fxid_frozen(FullTransactionId fxid)
{
	FullTransactionId next = ReadNextFullTransactionId();

	return FullTransactionIdPrecedes(fxid, next) &&
		U64FromFullTransactionId(next) - U64FromFullTransactionId(fxid) > (UINT64CONST(1) << 31);
}
