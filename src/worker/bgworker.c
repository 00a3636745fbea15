/*-------------------------------------------------------------------------
 *
 * bgworker.c
 *	  The spillpool background workers: a launcher that connects to no
 *	  database, and short-lived per-database flush workers it starts.
 *
 * The launcher removes orphaned directories once recovery has finished,
 * and then, every spillpool.flush_naptime:
 *	- fsyncs segment data that commits with synchronous_commit = off left
 *	  unsynced;
 *	- removes segment files that flushes emptied once no scan reads them;
 *	- finds tables due for a flush (flush_rows, flush_bytes or
 *	  flush_interval reached, from shared memory only) and starts a flush
 *	  worker for each database that has one, at most
 *	  FLUSH_WORKERS_MAX at a time.
 * None of that needs a catalog.  Flushing does (the tuple descriptor, the
 * options), and a backend can connect to one database only, hence one
 * worker per database, as autovacuum does.  A flush worker runs
 * flush_if_due on every spillpool table of its database and exits.  At
 * startup the launcher starts one for every database that has spillpool
 * files, so tables nobody has touched since the restart are flushed too.
 *
 * Every spillpool.maintenance_naptime the launcher also starts a worker in
 * maintenance mode for every database with spillpool files: after the
 * flushes, it compacts the tables with more small shards than their
 * compact_min_shards, drops the shards their retention no longer keeps,
 * expires the snapshots older than their snapshot_retention, deletes the
 * files of expired snapshots that scans no longer read, and writes Iceberg
 * metadata that a crash left unwritten.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>

#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "utils/resowner.h"
#include "catalog/pg_am.h"
#include "access/heapam.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "spillpool.h"
#include "worker/bgworker.h"
#include "am/tableam.h"
#include "iceberg/iceberg.h"
#include "shard/compact.h"
#include "shard/expire.h"
#include "shard/flush.h"
#include "shard/retention.h"
#include "tier/options.h"
#include "tier/memtable.h"
#include "tier/segment.h"
#include "tier/storage.h"

/* Flush workers running at once, across databases. */
#define FLUSH_WORKERS_MAX 2

PGDLLEXPORT void spillpool_worker_main(Datum main_arg);
PGDLLEXPORT void spillpool_flush_worker_main(Datum main_arg);

/* A flush worker the launcher started. */
typedef struct FlushWorkerSlot
{
	Oid			dbid;
	bool		maintenance;	/* started in maintenance mode */
	BackgroundWorkerHandle *handle;
} FlushWorkerSlot;

static FlushWorkerSlot flush_workers[FLUSH_WORKERS_MAX];

/* Registers the launcher; called from _PG_init while preloading. */
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

/* Forgets flush workers that have exited. */
static void
launcher_reap_workers(void)
{
	int			i;

	for (i = 0; i < FLUSH_WORKERS_MAX; i++)
	{
		pid_t		pid;

		if (flush_workers[i].handle != NULL &&
			GetBackgroundWorkerPid(flush_workers[i].handle, &pid) == BGWH_STOPPED)
		{
			pfree(flush_workers[i].handle);
			flush_workers[i].handle = NULL;
			flush_workers[i].dbid = InvalidOid;
		}
	}
}

/*
 * Starts a flush worker for a database (in maintenance mode if asked)
 * unless one runs for it already or all slots are busy.  Returns false when
 * no slot was free, or when maintenance was asked and the worker running
 * for the database is a flush-only one: the caller asks again later.
 */
static bool
launcher_start_worker(Oid dbid, bool maintenance)
{
	BackgroundWorker worker;
	int			i;
	int			free_slot = -1;
	MemoryContext old;

	for (i = 0; i < FLUSH_WORKERS_MAX; i++)
	{
		if (flush_workers[i].handle != NULL && flush_workers[i].dbid == dbid)
			return flush_workers[i].maintenance || !maintenance;
		if (flush_workers[i].handle == NULL && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return false;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "spillpool", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "spillpool_flush_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "spillpool flush worker for database %u", dbid);
	strlcpy(worker.bgw_type, "spillpool flush worker", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(dbid);
	worker.bgw_extra[0] = maintenance ? 1 : 0;
	worker.bgw_notify_pid = MyProcPid;

	/* the handle outlives the loop's memory context */
	old = MemoryContextSwitchTo(TopMemoryContext);
	if (!RegisterDynamicBackgroundWorker(&worker, &flush_workers[free_slot].handle))
	{
		MemoryContextSwitchTo(old);
		flush_workers[free_slot].handle = NULL;
		return false;
	}
	MemoryContextSwitchTo(old);
	flush_workers[free_slot].dbid = dbid;
	flush_workers[free_slot].maintenance = maintenance;
	return true;
}

/* The databases that have a directory under $PGDATA/spillpool. */
static List *
launcher_databases_on_disk(void)
{
	List	   *dbs = NIL;
	DIR		   *d = AllocateDir("spillpool");
	struct dirent *de;

	while (d && (de = ReadDirExtended(d, "spillpool", LOG)) != NULL)
	{
		char	   *end;
		unsigned long v = strtoul(de->d_name, &end, 10);

		if (*end == '\0' && end != de->d_name && v != 0)
			dbs = lappend_oid(dbs, (Oid) v);
	}
	if (d)
		FreeDir(d);
	return dbs;
}

/*
 * Calls fn for every table in shared memory, each pinned while fn runs, so
 * that DROP cannot free the entry under it (and no lock is held across the
 * I/O fn does).  The launcher runs outside a transaction: an error of fn is
 * reported and cleaned up by hand, and the round goes on with the next
 * table.
 */
static void
launcher_for_each_table(void (*fn) (SpillTable *tab, void *arg), void *arg)
{
	SpillTableKey *keys = palloc(sizeof(SpillTableKey) * spillpool_max_tables);
	MemoryContext cxt = CurrentMemoryContext;
	int			n = spilltable_collect_keys(InvalidOid, keys);
	int			i;

	for (i = 0; i < n; i++)
	{
		SpillTable *tab = spilltable_pin(&keys[i]);

		if (tab == NULL)
			continue;
		PG_TRY();
		{
			fn(tab, arg);
		}
		PG_CATCH();
		{
			/* the clean-up a bgworker's error recovery does */
			MemoryContextSwitchTo(cxt);
			EmitErrorReport();
			FlushErrorState();
			LWLockReleaseAll();
			ConditionVariableCancelSleep();
			pgstat_report_wait_end();
		}
		PG_END_TRY();
		spilltable_unpin(tab);
	}
	pfree(keys);
}

/*
 * Writes and syncs what commits with synchronous_commit = off left written
 * but not yet fsynced, and closes the launcher's cached segment files.
 */
static void
launcher_sync_table(SpillTable *tab, void *arg)
{
	bool		behind;
	uint32		seg;
	int64		off;

	LWLockAcquire(&tab->lock, LW_SHARED);
	behind = tab->seg_active_exists &&
		(tab->synced_seg < tab->seg_active ||
		 (tab->synced_seg == tab->seg_active && tab->synced_off < tab->seg_active_size));
	seg = tab->seg_active;
	off = tab->seg_active_size;
	LWLockRelease(&tab->lock);
	segment_commit_write(tab, NULL);
	if (behind)
		segment_sync_to(tab, seg, off, false);
	segment_forget_files(tab->key.dbid, tab->key.relfilenode);
}

/*
 * Removes the segment files that flushes emptied and collects, into the
 * list *arg, the databases whose tables are due for a flush.
 */
static void
launcher_check_table(SpillTable *tab, void *arg)
{
	List	  **due = (List **) arg;

	segment_remove_flushed(tab);
	if (flush_is_due(tab, GetCurrentTimestamp()))
		*due = list_append_unique_oid(*due, tab->key.dbid);
}

/*
 * Launcher entry point: one orphan sweep and a flush worker per database
 * with spillpool files, then the loop described at the top of the file.
 */
void
spillpool_worker_main(Datum main_arg)
{
	MemoryContext loop_cxt;
	List	   *pending_dbs;
	List	   *maintenance_dbs = NIL;
	TimestampTz next_maintenance;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	loop_cxt = AllocSetContextCreate(TopMemoryContext, "spillpool worker",
									 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(TopMemoryContext);
	storage_remove_orphans();
	pending_dbs = launcher_databases_on_disk();
	MemoryContextSwitchTo(loop_cxt);
	next_maintenance = GetCurrentTimestamp() +
		(int64) spillpool_maintenance_naptime_s * USECS_PER_SEC;

	while (!ShutdownRequestPending)
	{
		List	   *due;
		ListCell   *lc;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 spillpool_flush_naptime_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* a shorter spillpool.maintenance_naptime applies at once */
			next_maintenance = Min(next_maintenance, GetCurrentTimestamp() +
								   (int64) spillpool_maintenance_naptime_s * USECS_PER_SEC);
		}
		launcher_for_each_table(launcher_sync_table, NULL);
		launcher_reap_workers();

		/* databases with files at startup, until each had its worker */
		while (pending_dbs != NIL && launcher_start_worker(linitial_oid(pending_dbs), false))
			pending_dbs = list_delete_first(pending_dbs);

		/* maintenance rounds, each database until its worker started */
		if (GetCurrentTimestamp() >= next_maintenance)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
			List	   *dbs = launcher_databases_on_disk();

			foreach(lc, dbs)
				maintenance_dbs = list_append_unique_oid(maintenance_dbs, lfirst_oid(lc));
			list_free(dbs);
			MemoryContextSwitchTo(old);
			next_maintenance = GetCurrentTimestamp() +
				(int64) spillpool_maintenance_naptime_s * USECS_PER_SEC;
		}
		while (maintenance_dbs != NIL &&
			   launcher_start_worker(linitial_oid(maintenance_dbs), true))
			maintenance_dbs = list_delete_first(maintenance_dbs);

		due = NIL;
		launcher_for_each_table(launcher_check_table, &due);
		foreach(lc, due)
			(void) launcher_start_worker(lfirst_oid(lc), false);
		MemoryContextReset(loop_cxt);
	}
	proc_exit(0);
}

/* The oids of the spillpool tables of the current database. */
static List *
flush_worker_tables(void)
{
	List	   *relids = NIL;
	Relation	pg_class;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pg_class = table_open(RelationRelationId, AccessShareLock);
	scan = table_beginscan_catalog(pg_class, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tup);

		if (form->relkind == RELKIND_RELATION && spillpool_is_access_method(form->relam))
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			relids = lappend_oid(relids, form->oid);
			MemoryContextSwitchTo(old);
		}
	}
	table_endscan(scan);
	table_close(pg_class, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
	list_sort(relids, list_oid_cmp);
	return relids;
}

/* The steps of a table's maintenance (maintain_step runs each). */
typedef enum MaintenanceStep
{
	MAINTAIN_COMPACT,
	MAINTAIN_RETENTION,
	MAINTAIN_EXPIRE,
	MAINTAIN_PRUNE,
	MAINTAIN_ICEBERG
} MaintenanceStep;

/* One step of a table's maintenance; errors are the caller's. */
static void
maintain_step_run(MaintenanceStep step, Relation rel, SpillTable *tab, const SpillOptions *opts)
{
	int64		rows;
	int			n;

	switch (step)
	{
		case MAINTAIN_COMPACT:
			(void) compact_table(rel, true);
			break;
		case MAINTAIN_RETENTION:
			rows = retention_apply(rel, opts);
			if (rows > 0)
				ereport(LOG,
						(errmsg("spillpool dropped " INT64_FORMAT " rows of table \"%s\" older than its retention",
								rows, RelationGetRelationName(rel))));
			break;
		case MAINTAIN_EXPIRE:
			n = expire_snapshots(rel, GetCurrentTimestamp() - opts->snapshot_retention_ms * INT64CONST(1000),
								 NULL);
			if (n > 0)
				ereport(DEBUG1,
						(errmsg_plural("spillpool expired %d snapshot of table \"%s\"",
									   "spillpool expired %d snapshots of table \"%s\"",
									   n, n, RelationGetRelationName(rel))));
			break;
		case MAINTAIN_PRUNE:
			(void) expire_prune_pending(tab);
			break;
		case MAINTAIN_ICEBERG:
			if (flush_claim(tab, false))
			{
				PG_TRY();
				{
					(void) iceberg_check(rel, tab);
				}
				PG_FINALLY();
				{
					flush_release();
				}
				PG_END_TRY();
			}
			break;
	}
}

/*
 * Runs one step of a table's maintenance in a subtransaction of its own, so
 * that an error in one (a retention column renamed away, a damaged shard)
 * is logged and the others still run.
 */
static void
maintain_step(MaintenanceStep step, Relation rel, SpillTable *tab, const SpillOptions *opts)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		maintain_step_run(step, rel, tab, opts);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
}

/*
 * The maintenance of one table, after its flush: compaction when it has
 * more small shards than compact_min_shards, retention, snapshot expiry,
 * the second step of expiries that scans held back, and Iceberg metadata a
 * crash left unwritten.
 */
static void
flush_worker_maintain_table(Relation rel)
{
	SpillTable *tab = spilltable_for_rel(rel);
	SpillOptions opts;

	options_get(rel, &opts);
	pgstat_report_activity(STATE_RUNNING, "maintaining spillpool table");
	maintain_step(MAINTAIN_COMPACT, rel, tab, &opts);
	maintain_step(MAINTAIN_RETENTION, rel, tab, &opts);
	maintain_step(MAINTAIN_EXPIRE, rel, tab, &opts);
	maintain_step(MAINTAIN_PRUNE, rel, tab, &opts);
	maintain_step(MAINTAIN_ICEBERG, rel, tab, &opts);
}

/*
 * Flushes one table if it is due, and maintains it in maintenance mode,
 * in a transaction of its own.
 */
static void
flush_worker_flush_table(Oid relid, bool maintenance)
{
	Relation	rel;
	bool		done;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = try_relation_open(relid, AccessShareLock);
	if (rel != NULL)
	{
		if (rel_is_spillpool(rel))
		{
			pgstat_report_activity(STATE_RUNNING, "flushing spillpool table");
			(void) flush_table(rel, true, &done);
			if (done)
				ereport(DEBUG1,
						(errmsg("spillpool flushed table \"%s\"", RelationGetRelationName(rel))));
			if (maintenance)
				flush_worker_maintain_table(rel);
		}
		relation_close(rel, AccessShareLock);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Flush worker entry point: connects to its database and runs
 * flush_if_due on each spillpool table.  An error in one table is logged
 * and the others are still flushed.
 */
void
spillpool_flush_worker_main(Datum main_arg)
{
	Oid			dbid = DatumGetObjectId(main_arg);
	bool		maintenance = (MyBgworkerEntry->bgw_extra[0] == 1);
	List	   *volatile relids;
	int			i;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dbid, InvalidOid, 0);

	relids = flush_worker_tables();
	for (i = 0; i < list_length(relids); i++)
	{
		MemoryContext cxt = CurrentMemoryContext;
		Oid			relid = list_nth_oid(relids, i);

		CHECK_FOR_INTERRUPTS();
		PG_TRY();
		{
			flush_worker_flush_table(relid, maintenance);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
		}
		PG_END_TRY();
	}
	proc_exit(0);
}
