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

#include "tier/fault.h"

char	   *spillpool_debug_crash_at = NULL;

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
