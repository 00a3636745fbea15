/*-------------------------------------------------------------------------
 *
 * tableam.h
 *	  The table access method of spillpool tables.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_TABLEAM_H
#define SPILLPOOL_TABLEAM_H

#include "fmgr.h"
#include "utils/rel.h"

extern bool rel_is_spillpool(Relation rel);
extern bool relid_is_spillpool(Oid relid);
extern void spillpool_append_only_error(const char *what) pg_attribute_noreturn();
extern double spillpool_estimate_shard_fraction(Relation rel);

/* Opens a spillpool table for a SQL function (functions.c). */
extern Relation spillpool_open_checked(Oid relid, bool need_owner);
extern Relation spillpool_open_rowtype(FunctionCallInfo fcinfo, int argno,
									   const char *fname, const char *more_args);

#endif							/* SPILLPOOL_TABLEAM_H */
