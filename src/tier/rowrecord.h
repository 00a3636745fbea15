/*-------------------------------------------------------------------------
 *
 * rowrecord.h
 *	  The row record, the one row format of every tier.
 *
 * Every tier stores rows as row records: an 8-byte SpillRowHeader followed
 * by a MinimalTuple whose varlena values are all inline and uncompressed
 * (never TOAST pointers), padded to MAXALIGN.  A run of row records is a
 * "batch"; batches move between tiers by memcpy, and segment blocks hold
 * compressed batches.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_ROWRECORD_H
#define SPILLPOOL_ROWRECORD_H

#include "access/htup_details.h"

typedef struct SpillRowHeader
{
	uint32		len;			/* length of the MinimalTuple that follows */
	CommandId	cid;			/* inserting command; meaningful while pending */
} SpillRowHeader;

#define ROW_RECORD_SIZE(tuplen) \
	(MAXALIGN(sizeof(SpillRowHeader)) + MAXALIGN(tuplen))
#define ROW_RECORD_TUPLE(rec) \
	((MinimalTuple) ((char *) (rec) + MAXALIGN(sizeof(SpillRowHeader))))

#endif							/* SPILLPOOL_ROWRECORD_H */
