/*-------------------------------------------------------------------------
 *
 * storage.h
 *	  Table directories, their removal at TRUNCATE and DROP, the orphan sweep.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_STORAGE_H
#define SPILLPOOL_STORAGE_H


extern bool storage_unlink_file(const char *path, bool missing_ok);
extern void storage_write_temp_file(const char *tmp, const char *data, int len);
extern void storage_create_table_dir(Oid dbid, Oid relfilenode);
extern void storage_remove_table_dir(Oid dbid, Oid relfilenode);
extern void storage_schedule_unlink(Oid dbid, Oid relfilenode, bool at_commit);
extern bool storage_has_pending_unlinks(void);
extern void storage_at_xact_end(bool commit);
extern void storage_at_subxact_end(bool commit, SubTransactionId subid,
								   SubTransactionId parent);
extern void storage_remove_orphans(void);
extern void storage_init(void);

#endif							/* SPILLPOOL_STORAGE_H */
