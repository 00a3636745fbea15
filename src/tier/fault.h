/*-------------------------------------------------------------------------
 *
 * fault.h
 *	  Fault injection for the crash tests: crash at a named step.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_FAULT_H
#define SPILLPOOL_FAULT_H

extern char *spillpool_debug_crash_at;

extern void spillpool_fault_point(const char *step);

#endif							/* SPILLPOOL_FAULT_H */
