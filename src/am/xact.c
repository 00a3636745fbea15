/*-------------------------------------------------------------------------
 *
 * xact.c
 *	  Transaction and subtransaction callbacks: they drive the pending rows
 *	  (pending.c) and the file removals of TRUNCATE and DROP (storage.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"

#include "spillpool.h"
#include "am/xact.h"
#include "tier/pending.h"
#include "tier/storage.h"

/*
 * Fallible work happens at PRE_COMMIT; COMMIT only writes what PRE_COMMIT
 * prepared.  PREPARE TRANSACTION is refused: rows kept in backend memory,
 * and file removals queued in it, cannot outlive the session that holds
 * them.
 */
static void
spillpool_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			pending_pre_commit();
			break;
		case XACT_EVENT_COMMIT:
			pending_commit();
			storage_at_xact_end(true);
			break;
		case XACT_EVENT_ABORT:
			pending_abort();
			storage_at_xact_end(false);
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (pending_any())
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has inserted into a spillpool table")));
			if (storage_has_pending_unlinks())
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has created, truncated or dropped a spillpool table")));
			break;
		default:
			break;
	}
}

/* Savepoints: rolled-back rows are cut off, released ones kept. */
static void
spillpool_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						   SubTransactionId parentSubid, void *arg)
{
	switch (event)
	{
		case SUBXACT_EVENT_COMMIT_SUB:
			pending_subxact_commit(mySubid, parentSubid);
			storage_at_subxact_end(true, mySubid, parentSubid);
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			pending_subxact_abort(mySubid);
			storage_at_subxact_end(false, mySubid, parentSubid);
			break;
		default:
			break;
	}
}

/* Registers the callbacks; called from _PG_init. */
void
xact_init(void)
{
	RegisterXactCallback(spillpool_xact_callback, NULL);
	RegisterSubXactCallback(spillpool_subxact_callback, NULL);
}
