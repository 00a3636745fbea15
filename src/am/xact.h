/*-------------------------------------------------------------------------
 *
 * xact.h
 *	  Transaction and subtransaction callbacks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_XACT_H
#define SPILLPOOL_XACT_H

extern void xact_init(void);

#endif							/* SPILLPOOL_XACT_H */
