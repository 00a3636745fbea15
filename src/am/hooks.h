/*-------------------------------------------------------------------------
 *
 * hooks.h
 *	  Planner and executor hooks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_HOOKS_H
#define SPILLPOOL_HOOKS_H

extern void hooks_init(void);

#endif							/* SPILLPOOL_HOOKS_H */
