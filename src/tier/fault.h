/*-------------------------------------------------------------------------
 *
 * fault.h
 *	  Fault injection for the tests: crash at a named step, or wait at one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_FAULT_H
#define SPILLPOOL_FAULT_H

extern char *spillpool_debug_crash_at;
extern int	spillpool_debug_wait_after_pre_commit;

extern void spillpool_fault_point(const char *step);
extern void spillpool_fault_wait_after_pre_commit(void);

#endif							/* SPILLPOOL_FAULT_H */
