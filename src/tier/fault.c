/*-------------------------------------------------------------------------
 *
 * fault.c
 *	  Fault injection: crash the server at a named step, when the
 *	  superuser-only setting spillpool.debug_crash_at names it.
 *
 * The crash tests set spillpool.debug_crash_at to a step name; the code
 * calls spillpool_fault_point() at each step where a crash must leave the
 * table consistent.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "tier/fault.h"

char	   *spillpool_debug_crash_at = NULL;
int			spillpool_debug_wait_after_pre_commit = 0;

/*
 * Crashes the server at a named step (of a flush, or of the manifest
 * replacement it commits), for the fault-injection tests.  SIGKILL makes the postmaster treat it as a crash of the whole
 * server: every process is killed and shared memory reinitialized.
 */
void
spillpool_fault_point(const char *step)
{
	if (spillpool_debug_crash_at == NULL || strcmp(spillpool_debug_crash_at, step) != 0)
		return;
	ereport(LOG,
			(errmsg("crashing at flush step \"%s\" as spillpool.debug_crash_at asks", step)));
	(void) kill(MyProcPid, SIGKILL);
	pg_usleep(10 * 1000000L);
	ereport(PANIC,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("SIGKILL at flush step \"%s\" did not stop the process", step)));
}

/*
 * Holds a committing transaction between PRE_COMMIT, where its rows took
 * their positions, and its commit, when the superuser-only setting
 * spillpool.debug_wait_after_pre_commit names an advisory lock key: the
 * transaction waits for a shared transaction-level advisory lock on it.
 * The isolation tests hold the key exclusively from another session to
 * make a transaction with lower positions commit after one with higher
 * positions, a race that is otherwise too short to reach.  A heavyweight
 * lock, so that the isolation tester sees the session as blocked.
 */
void
spillpool_fault_wait_after_pre_commit(void)
{
	if (spillpool_debug_wait_after_pre_commit == 0)
		return;
	(void) DirectFunctionCall1(pg_advisory_xact_lock_shared_int8,
							   Int64GetDatum((int64) spillpool_debug_wait_after_pre_commit));
}
