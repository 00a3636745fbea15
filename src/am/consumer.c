/*-------------------------------------------------------------------------
 *
 * consumer.c
 *	  Consumers with stored offsets: spillpool.consume, reset_consumer and
 *	  drop_consumer over the catalog spillpool.consumer_offsets.
 *
 * A consumer is a name per table with an offset, the last position it
 * consumed, and an owner, the role that created it.  consume locks the
 * consumer's row (SELECT ... FOR UPDATE), reads the rows after the offset
 * with tail (tail.c) and moves the offset to the last of them, all in the
 * caller's transaction: if it rolls back, the offset stays and the rows
 * come again; once it commits, they never do.  A second session consuming
 * the same consumer waits for the row lock, and then reads after the
 * offset the first one committed (READ COMMITTED re-reads the locked row;
 * under REPEATABLE READ it fails with a serialization error instead).
 *
 * The catalog is written as its owner (see options_as_owner_begin), after
 * this file's own checks: reading needs SELECT on the table, and using or
 * moving a consumer needs membership in its owner or ownership of the
 * table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "spillpool.h"
#include "am/consumer.h"
#include "am/tableam.h"
#include "am/tail.h"
#include "tier/options.h"

PG_FUNCTION_INFO_V1(spillpool_consume);
PG_FUNCTION_INFO_V1(spillpool_reset_consumer);
PG_FUNCTION_INFO_V1(spillpool_drop_consumer);

/* The owner of spillpool.consumer_offsets, or InvalidOid if it is missing. */
static Oid
consumer_catalog_owner(void)
{
	Oid			nsp = get_namespace_oid("spillpool", true);

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("consumer_offsets", nsp)))
		return InvalidOid;
	return options_catalog_owner(InvalidOid);
}

/*
 * Locks the row of a consumer (creating it at offset 0, owned by the
 * current role, when create and it does not exist) and checks that the
 * current role may use it.  Returns its offset, or -1 when it does not
 * exist (and not create).  The lock is held to the end of the transaction.
 */
static int64
consumer_lock(Oid relid, const char *consumer, bool create)
{
	Oid			owner = consumer_catalog_owner();
	Oid			types[3] = {OIDOID, TEXTOID, OIDOID};
	Datum		values[3];
	OptionsOwnerState st;
	Oid			consumer_owner = InvalidOid;
	int64		position = -1;

	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("spillpool.consumer_offsets is missing"),
				 errhint("Update the extension with ALTER EXTENSION spillpool UPDATE.")));
	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(consumer);
	values[2] = ObjectIdGetDatum(GetUserId());

	options_as_owner_begin(owner, &st);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (create &&
		SPI_execute_with_args("INSERT INTO spillpool.consumer_offsets "
							  "(rel, consumer, owner, position, updated) "
							  "VALUES ($1, $2, $3, 0, now()) "
							  "ON CONFLICT (rel, consumer) DO NOTHING",
							  3, types, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not create spillpool consumer");
	if (SPI_execute_with_args("SELECT owner::oid, position FROM spillpool.consumer_offsets "
							  "WHERE rel = $1 AND consumer = $2 FOR UPDATE",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not lock spillpool consumer");
	if (SPI_processed == 1)
	{
		bool		isnull;

		consumer_owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
														SPI_tuptable->tupdesc, 1, &isnull));
		position = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_finish();
	options_as_owner_end(&st);

	if (position >= 0 && !has_privs_of_role(GetUserId(), consumer_owner) &&
		!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for consumer \"%s\" of table \"%s\"",
						consumer, get_rel_name(relid)),
				 errdetail("The consumer belongs to role \"%s\".",
						   GetUserNameFromId(consumer_owner, true) ?
						   GetUserNameFromId(consumer_owner, true) : "?"),
				 errhint("Only members of that role and the table's owner may use or move it.")));
	return position;
}

/*
 * Runs one statement on the consumer catalog as its owner, with the
 * parameters relid, consumer (NULL: none) and position.
 */
static void
consumer_execute(const char *sql, Oid relid, const char *consumer, int64 position)
{
	Oid			types[3] = {OIDOID, TEXTOID, INT8OID};
	Datum		values[3];

	values[0] = ObjectIdGetDatum(relid);
	values[1] = consumer ? CStringGetTextDatum(consumer) : (Datum) 0;
	values[2] = Int64GetDatum(position);
	if (options_catalog_execute(consumer_catalog_owner(), sql, 3, types, values,
								consumer ? NULL : " n ") < 0)
		elog(ERROR, "could not update spillpool consumer");
}

/* The consumer name argument: not NULL, not empty. */
static char *
consumer_name_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *name;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("consumer name must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("consumer name must not be empty")));
	return name;
}

/*
 * spillpool.consume(rel anyelement, consumer text, max_rows int, wait
 * interval): the rows after the consumer's offset, as tail returns them,
 * moving the offset to the last one in the same transaction.
 */
Datum
spillpool_consume(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = spillpool_open_rowtype(fcinfo, 0, "spillpool.consume", "...");
	char	   *consumer = consumer_name_arg(fcinfo, 1);
	int32		max_rows = PG_ARGISNULL(2) ? 1000 : PG_GETARG_INT32(2);
	int64		wait_ms = tail_check_limits(max_rows, PG_ARGISNULL(3) ? NULL :
											PG_GETARG_INTERVAL_P(3));
	int64		offset;
	uint64		last;

	offset = consumer_lock(RelationGetRelid(rel), consumer, true);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (tail_rows(rel, (uint64) offset, max_rows, wait_ms, rsinfo->setResult,
				  rsinfo->setDesc, &last) > 0)
		consumer_execute("UPDATE spillpool.consumer_offsets "
								"SET position = $3, updated = now() "
								"WHERE rel = $1 AND consumer = $2",
								RelationGetRelid(rel), consumer, (int64) last);
	table_close(rel, NoLock);	/* held to the end of the transaction */
	return (Datum) 0;
}

/*
 * spillpool.reset_consumer(rel regclass, consumer text, position bigint):
 * moves a consumer's offset (creating the consumer if needed), so that it
 * reads next the rows after the position.
 */
Datum
spillpool_reset_consumer(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *consumer = consumer_name_arg(fcinfo, 1);
	int64		position = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
	Relation	rel;

	if (position < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("position must not be negative")));
	rel = spillpool_open_checked(relid, false);
	(void) consumer_lock(relid, consumer, true);
	consumer_execute("UPDATE spillpool.consumer_offsets "
							"SET position = $3, updated = now() "
							"WHERE rel = $1 AND consumer = $2",
							relid, consumer, position);
	table_close(rel, NoLock);	/* held to the end of the transaction */
	PG_RETURN_VOID();
}

/*
 * spillpool.drop_consumer(rel regclass, consumer text): forgets a
 * consumer; false if there was none.
 */
Datum
spillpool_drop_consumer(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *consumer = consumer_name_arg(fcinfo, 1);
	Relation	rel;
	bool		found;

	rel = spillpool_open_checked(relid, false);
	found = consumer_lock(relid, consumer, false) >= 0;
	if (found)
		consumer_execute("DELETE FROM spillpool.consumer_offsets "
								"WHERE rel = $1 AND consumer = $2",
								relid, consumer, 0);
	table_close(rel, NoLock);	/* held to the end of the transaction */
	PG_RETURN_BOOL(found);
}

/* DROP TABLE: its consumers go with it (the catalog may predate them). */
void
consumer_forget_relation(Oid relid)
{
	if (!OidIsValid(consumer_catalog_owner()))
		return;
	consumer_execute("DELETE FROM spillpool.consumer_offsets WHERE rel = $1",
							relid, NULL, 0);
}
