/*-------------------------------------------------------------------------
 *
 * bgworker.c
 *	  The spillpool background worker: removes orphaned directories once
 *	  recovery has finished, and fsyncs segment data that commits with
 *	  synchronous_commit = off left unsynced.
 *
 * It connects to no database: neither job needs a catalog.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "spillpool.h"

PGDLLEXPORT void spillpool_worker_main(Datum main_arg);

/* Registers the worker; called from _PG_init while preloading. */
void
bgworker_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	strlcpy(worker.bgw_library_name, "spillpool", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "spillpool_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "spillpool worker", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "spillpool worker", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/*
 * Worker entry point: one orphan sweep, then a loop that syncs unsynced
 * segment data every spillpool.flush_naptime.
 */
void
spillpool_worker_main(Datum main_arg)
{
	MemoryContext loop_cxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	loop_cxt = AllocSetContextCreate(TopMemoryContext, "spillpool worker",
									 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(loop_cxt);
	storage_remove_orphans();

	while (!ShutdownRequestPending)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 spillpool_flush_naptime_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		memtable_sync_all();
		MemoryContextReset(loop_cxt);
	}
	proc_exit(0);
}
