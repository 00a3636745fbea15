/*-------------------------------------------------------------------------
 *
 * pending.h
 *	  A transaction's own rows of each table, until commit.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_PENDING_H
#define SPILLPOOL_PENDING_H

#include "executor/tuptable.h"
#include "tier/rowrecord.h"
#include "tier/segment.h"

/*
 * A transaction keeps at most min(memory_limit, this) of its rows in
 * memory; the rest goes to its private file.
 */
#define PENDING_BUFFER_MAX		(16 * 1024 * 1024)

typedef struct PendingTable PendingTable;

extern PendingTable *pending_for_rel(Relation rel, bool create);
extern void pending_append_slot(PendingTable *pt, Relation rel, TupleTableSlot *slot,
								CommandId cid);
extern void pending_pre_commit(void);
extern void pending_commit(void);
extern void pending_abort(void);
extern void pending_subxact_commit(SubTransactionId subid, SubTransactionId parent);
extern void pending_subxact_abort(SubTransactionId subid);
extern bool pending_any(void);
extern void pending_forget_rel(Relation rel);

/* Iterates this transaction's own pending rows of one table. */
typedef struct PendingReader
{
	PendingTable *pt;
	SegmentReader file;
	bool		file_open;
	int			next_file;		/* private files fixed at the start */
	int			nfiles;
	char	  **paths;
	int64	   *sizes;
	char	   *buf;			/* copy of the in-memory rows */
	int64		buf_len;
	int64		limit;			/* rows to return at most */
	int64		returned;
	int			cuts_seen;		/* savepoint rollbacks already applied */
	char	   *pos;
	char	   *block_end;
	bool		in_memory;
} PendingReader;

extern void pending_reader_begin(PendingReader *rd, Relation rel);
extern SpillRowHeader *pending_reader_next(PendingReader *rd);
extern void pending_reader_end(PendingReader *rd);

#endif							/* SPILLPOOL_PENDING_H */
