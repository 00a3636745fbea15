/*-------------------------------------------------------------------------
 *
 * bgworker.h
 *	  The launcher and the per-database flush workers.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_BGWORKER_H
#define SPILLPOOL_BGWORKER_H


extern void bgworker_register(void);

#endif							/* SPILLPOOL_BGWORKER_H */
