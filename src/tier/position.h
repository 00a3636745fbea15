/*-------------------------------------------------------------------------
 *
 * position.h
 *	  Row positions: the durable bound below which they are handed out.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_POSITION_H
#define SPILLPOOL_POSITION_H

#include "tier/memtable.h"

/*
 * Positions handed out past the durable bound move it this far ahead at a
 * time, so that the positions file is written once per this many rows (and
 * a restart skips at most this many positions).
 */
#define POSITION_RESERVE_STEP	((uint64) 1000000)

extern uint64 position_read_floor(Oid dbid, Oid relfilenode);
extern void position_write_floor(Oid dbid, Oid relfilenode, uint64 floor);
extern void position_reserve(SpillTable *tab, uint64 nrows);
extern bool position_take_locked(SpillTable *tab, uint64 nrows, uint64 *first);
extern uint64 position_bound(Oid dbid, Oid relfilenode);
extern void position_carry_over(Oid dbid, Oid old_relfilenode, Oid new_relfilenode);

#endif							/* SPILLPOOL_POSITION_H */
