/*-------------------------------------------------------------------------
 *
 * iceberg_avro.c
 *	  Iceberg v2 manifest files and manifest lists as Avro object container
 *	  files, encoded with avro-c.
 *
 * This file owns the Avro side of spillpool's Iceberg metadata: the writer
 * schemas of manifest_entry and manifest_file (with the field ids, the
 * element ids and the int-keyed maps exactly as the Iceberg table spec and
 * the Java implementation write them), the key/value metadata of both kinds
 * of file, and writing and fsyncing the files.  What goes into them is the
 * caller's business (iceberg.c); see iceberg_avro.h.
 *
 * Why not avro-c's avro_file_writer: it writes the "avro.schema" metadata
 * by serializing its own parsed schema, which drops every attribute it does
 * not know ("field-id", "element-id", "logicalType": "map", "default"), and
 * it has no way to add metadata such as "schema" or "format-version".
 * Iceberg readers need both.  So the container is assembled here, but every
 * byte of it is still encoded by avro-c: the Avro specification defines the
 * file header as a record (magic, metadata map, sync marker), and a data
 * block is laid out exactly like a record of an object count, a bytes
 * value and the sync marker, so both are avro-c values of small schemas
 * written with avro_value_write.  The "avro.schema" metadata is our own
 * schema text, the same text avro-c parses to encode the records, so what
 * the file declares is what it holds.
 *
 * Blocks use the deflate codec (raw RFC 1951 deflate, as Java writes
 * manifests by default), compressed with zlib here because avro-c's codec
 * interface is not part of its public headers.  A block is cut after about
 * 64kB of encoded records, like Java's default sync interval.
 *
 * The whole file is built in memory (manifests are small) and written with
 * one write(), then fsynced.  Making the directory entry durable is up to
 * the caller.
 *
 * avro-c allocates with malloc; every avro-c object a call creates is
 * released in a PG_FINALLY block, on success and on error alike.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <avro.h>

#include "lib/stringinfo.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "iceberg/iceberg_avro.h"

/* Encoded records per data block before it is cut, like Java's default. */
#define ICEBERG_AVRO_BLOCK_SIZE		(64 * 1024)

/* Length of the sync marker that ends the header and every block. */
#define ICEBERG_AVRO_SYNC_SIZE		16

/*
 * Building blocks of the writer schemas.  Field ids are written as JSON
 * numbers, optional fields as ["null", T] unions with a null default.
 * Maps with int keys become arrays of key/value records carrying the
 * "map" logical type, the element record named k<key id>_v<value id>, and
 * lists carry their "element-id": the spec's Appendix A, as Java's
 * AvroSchemaUtil writes them.
 */
#define AV_FIELD(name, type, id) \
	"{\"name\":\"" name "\",\"type\":" type ",\"field-id\":" #id "}"
#define AV_OPTIONAL(name, type, id) \
	"{\"name\":\"" name "\",\"type\":[\"null\"," type "]," \
	"\"default\":null,\"field-id\":" #id "}"
#define AV_INT_MAP(key_id, value_id, value_type) \
	"{\"type\":\"array\",\"logicalType\":\"map\",\"items\":" \
	"{\"type\":\"record\",\"name\":\"k" #key_id "_v" #value_id "\"," \
	"\"fields\":[" AV_FIELD("key", "\"int\"", key_id) "," \
	AV_FIELD("value", value_type, value_id) "]}}"
#define AV_LIST(element_type, element_id) \
	"{\"type\":\"array\",\"items\":" element_type \
	",\"element-id\":" #element_id "}"

/*
 * manifest_entry of format version 2 (spec "Manifest Entry Fields" and
 * "Data File Fields"), for an unpartitioned spec: the partition tuple is
 * the empty record r102.  Record names follow Java (r<field id>).  The
 * optional referenced_data_file (143, for position deletes) is declared as
 * Java declares it in v2 and always null here.
 */
static const char manifest_entry_schema_json[] =
"{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
AV_FIELD("status", "\"int\"", 0) ","
AV_OPTIONAL("snapshot_id", "\"long\"", 1) ","
AV_OPTIONAL("sequence_number", "\"long\"", 3) ","
AV_OPTIONAL("file_sequence_number", "\"long\"", 4) ","
AV_FIELD("data_file",
		 "{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
		 AV_FIELD("content", "\"int\"", 134) ","
		 AV_FIELD("file_path", "\"string\"", 100) ","
		 AV_FIELD("file_format", "\"string\"", 101) ","
		 AV_FIELD("partition",
				  "{\"type\":\"record\",\"name\":\"r102\",\"fields\":[]}", 102) ","
		 AV_FIELD("record_count", "\"long\"", 103) ","
		 AV_FIELD("file_size_in_bytes", "\"long\"", 104) ","
		 AV_OPTIONAL("column_sizes", AV_INT_MAP(117, 118, "\"long\""), 108) ","
		 AV_OPTIONAL("value_counts", AV_INT_MAP(119, 120, "\"long\""), 109) ","
		 AV_OPTIONAL("null_value_counts", AV_INT_MAP(121, 122, "\"long\""), 110) ","
		 AV_OPTIONAL("nan_value_counts", AV_INT_MAP(138, 139, "\"long\""), 137) ","
		 AV_OPTIONAL("lower_bounds", AV_INT_MAP(126, 127, "\"bytes\""), 125) ","
		 AV_OPTIONAL("upper_bounds", AV_INT_MAP(129, 130, "\"bytes\""), 128) ","
		 AV_OPTIONAL("key_metadata", "\"bytes\"", 131) ","
		 AV_OPTIONAL("split_offsets", AV_LIST("\"long\"", 133), 132) ","
		 AV_OPTIONAL("equality_ids", AV_LIST("\"int\"", 136), 135) ","
		 AV_OPTIONAL("sort_order_id", "\"int\"", 140) ","
		 AV_OPTIONAL("referenced_data_file", "\"string\"", 143)
		 "]}", 2)
"]}";

/*
 * manifest_file of format version 2 (spec "Manifest Lists"), with the
 * fields required in v2 written as required, as Java's V2Metadata does.
 */
static const char manifest_file_schema_json[] =
"{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
AV_FIELD("manifest_path", "\"string\"", 500) ","
AV_FIELD("manifest_length", "\"long\"", 501) ","
AV_FIELD("partition_spec_id", "\"int\"", 502) ","
AV_FIELD("content", "\"int\"", 517) ","
AV_FIELD("sequence_number", "\"long\"", 515) ","
AV_FIELD("min_sequence_number", "\"long\"", 516) ","
AV_FIELD("added_snapshot_id", "\"long\"", 503) ","
AV_FIELD("added_files_count", "\"int\"", 504) ","
AV_FIELD("existing_files_count", "\"int\"", 505) ","
AV_FIELD("deleted_files_count", "\"int\"", 506) ","
AV_FIELD("added_rows_count", "\"long\"", 512) ","
AV_FIELD("existing_rows_count", "\"long\"", 513) ","
AV_FIELD("deleted_rows_count", "\"long\"", 514) ","
AV_OPTIONAL("partitions",
			AV_LIST("{\"type\":\"record\",\"name\":\"r508\",\"fields\":["
					AV_FIELD("contains_null", "\"boolean\"", 509) ","
					AV_OPTIONAL("contains_nan", "\"boolean\"", 518) ","
					AV_OPTIONAL("lower_bound", "\"bytes\"", 510) ","
					AV_OPTIONAL("upper_bound", "\"bytes\"", 511)
					"]}", 508), 507) ","
AV_OPTIONAL("key_metadata", "\"bytes\"", 519)
"]}";

/* The object container file header, as the Avro specification defines it. */
static const char container_header_schema_json[] =
"{\"type\":\"record\",\"name\":\"org.apache.avro.file.Header\",\"fields\":["
"{\"name\":\"magic\",\"type\":{\"type\":\"fixed\",\"name\":\"Magic\",\"size\":4}},"
"{\"name\":\"meta\",\"type\":{\"type\":\"map\",\"values\":\"bytes\"}},"
"{\"name\":\"sync\",\"type\":{\"type\":\"fixed\",\"name\":\"Sync\",\"size\":16}}"
"]}";

/*
 * A data block: the object count, the (compressed) serialized objects
 * preceded by their size, and the sync marker.  Not a schema the Avro
 * specification names, but its binary encoding is the block layout.
 */
static const char container_block_schema_json[] =
"{\"type\":\"record\",\"name\":\"Block\",\"fields\":["
"{\"name\":\"count\",\"type\":\"long\"},"
"{\"name\":\"data\",\"type\":\"bytes\"},"
"{\"name\":\"sync\",\"type\":{\"type\":\"fixed\",\"name\":\"Sync\",\"size\":16}}"
"]}";

/* Iceberg's key/value metadata of a manifest; values in that order. */
static const char *const manifest_meta_keys[] = {
	"schema", "schema-id", "partition-spec", "partition-spec-id",
	"format-version", "content"
};

/* Iceberg's key/value metadata of a manifest list; values in that order. */
static const char *const manifest_list_meta_keys[] = {
	"snapshot-id", "parent-snapshot-id", "sequence-number", "format-version"
};

/* One avro-c schema with its generic value class and one reusable value. */
typedef struct AvroType
{
	avro_schema_t schema;		/* NULL until parsed */
	avro_value_iface_t *iface;	/* NULL until created */
	avro_value_t value;			/* iface NULL until created */
} AvroType;

/* One Avro file being built in memory. */
typedef struct IcebergAvroFile
{
	const char *path;
	bool		is_list;		/* a manifest list, for error messages */
	AvroType	header;
	AvroType	block;
	AvroType	record;			/* manifest_entry or manifest_file */
	avro_writer_t mem;			/* avro-c memory writer, re-aimed per value */
	char		sync[ICEBERG_AVRO_SYNC_SIZE];
	StringInfoData out;			/* the file so far */
	StringInfoData pending;		/* encoded records of the unfinished block */
	int64		pending_count;
	int64		length;			/* of the finished file */
} IcebergAvroFile;

static void iceberg_avro_fail(IcebergAvroFile *f, int rc) pg_attribute_noreturn();

/*
 * Raises the failure of an avro-c call (rc is its return value, an errno
 * code) with avro-c's message.  Only a bug in this file (a schema and the
 * values not matching) or running out of memory can make them fail.
 */
static void
iceberg_avro_fail(IcebergAvroFile *f, int rc)
{
	int			code = rc == ENOMEM ? ERRCODE_OUT_OF_MEMORY : ERRCODE_INTERNAL_ERROR;

	if (f->is_list)
		ereport(ERROR,
				(errcode(code),
				 errmsg("could not write Iceberg manifest list \"%s\": %s",
						f->path, avro_strerror())));
	ereport(ERROR,
			(errcode(code),
			 errmsg("could not write Iceberg manifest \"%s\": %s",
					f->path, avro_strerror())));
}

/* Checks the return value of an avro-c call. */
static inline void
av_check(IcebergAvroFile *f, int rc)
{
	if (rc != 0)
		iceberg_avro_fail(f, rc);
}

/*
 * Parses one schema and creates its generic value, keeping each piece in
 * *t as soon as it exists so that iceberg_avro_release can free it.
 */
static void
avro_type_create(IcebergAvroFile *f, AvroType *t, const char *json, size_t len)
{
	av_check(f, avro_schema_from_json_length(json, len, &t->schema));
	t->iface = avro_generic_class_from_schema(t->schema);
	if (t->iface == NULL)
		iceberg_avro_fail(f, EINVAL);
	av_check(f, avro_generic_value_new(t->iface, &t->value));
}

/* Frees what avro_type_create created, however far it got. */
static void
avro_type_release(AvroType *t)
{
	if (t->value.iface != NULL)
		avro_value_decref(&t->value);
	t->value.iface = NULL;
	if (t->iface != NULL)
		avro_value_iface_decref(t->iface);
	t->iface = NULL;
	if (t->schema != NULL)
		avro_schema_decref(t->schema);
	t->schema = NULL;
}

/*
 * Starts a file: no avro-c object exists yet, so this may fail without
 * cleanup.  The sync marker only has to be unlikely to occur in the data.
 */
static IcebergAvroFile *
iceberg_avro_begin(const char *path, bool is_list)
{
	IcebergAvroFile *f = palloc0(sizeof(IcebergAvroFile));

	f->path = path;
	f->is_list = is_list;
	if (!pg_strong_random(f->sync, sizeof(f->sync)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a sync marker for Iceberg file \"%s\"",
						path)));
	initStringInfo(&f->out);
	initStringInfo(&f->pending);
	return f;
}

/* Frees every avro-c object of a file; called from PG_FINALLY. */
static void
iceberg_avro_release(IcebergAvroFile *f)
{
	if (f->mem != NULL)
		avro_writer_free(f->mem);
	f->mem = NULL;
	avro_type_release(&f->record);
	avro_type_release(&f->block);
	avro_type_release(&f->header);
}

/* Gets a record's field by name (the schemas are ours, so it exists). */
static void
av_field(IcebergAvroFile *f, avro_value_t *rec, const char *name,
		 avro_value_t *field)
{
	av_check(f, avro_value_get_by_name(rec, name, field, NULL));
}

/* Sets a required int field of a record. */
static void
av_set_int(IcebergAvroFile *f, avro_value_t *rec, const char *name, int32 v)
{
	avro_value_t field;

	av_field(f, rec, name, &field);
	av_check(f, avro_value_set_int(&field, v));
}

/* Sets a required long field of a record. */
static void
av_set_long(IcebergAvroFile *f, avro_value_t *rec, const char *name, int64 v)
{
	avro_value_t field;

	av_field(f, rec, name, &field);
	av_check(f, avro_value_set_long(&field, v));
}

/* Sets a required string field of a record; NULL is the caller's bug. */
static void
av_set_string(IcebergAvroFile *f, avro_value_t *rec, const char *name,
			  const char *v)
{
	avro_value_t field;

	if (v == NULL)
		elog(ERROR, "no value for required Iceberg field \"%s\"", name);

	av_field(f, rec, name, &field);
	av_check(f, avro_value_set_string(&field, v));
}

/* Sets an optional (["null", T]) field to null. */
static void
av_set_null(IcebergAvroFile *f, avro_value_t *rec, const char *name)
{
	avro_value_t field;
	avro_value_t branch;

	av_field(f, rec, name, &field);
	av_check(f, avro_value_set_branch(&field, 0, &branch));
	av_check(f, avro_value_set_null(&branch));
}

/* Selects the non-null branch of an optional field into *branch. */
static void
av_set_present(IcebergAvroFile *f, avro_value_t *rec, const char *name,
			   avro_value_t *branch)
{
	avro_value_t field;

	av_field(f, rec, name, &field);
	av_check(f, avro_value_set_branch(&field, 1, branch));
}

/* Sets an optional (["null", "long"]) field to a value. */
static void
av_set_optional_long(IcebergAvroFile *f, avro_value_t *rec, const char *name,
					 int64 v)
{
	avro_value_t branch;

	av_set_present(f, rec, name, &branch);
	av_check(f, avro_value_set_long(&branch, v));
}

/*
 * Encodes a value and appends it to dst.  avro-c writes into a fixed
 * buffer, so the encoded size is asked for first and room made for it.
 */
static void
iceberg_avro_encode(IcebergAvroFile *f, avro_value_t *value, StringInfo dst)
{
	size_t		size;

	av_check(f, avro_value_sizeof(value, &size));
	if (size >= MaxAllocSize - (Size) dst->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Iceberg file \"%s\" would be too large", f->path)));
	enlargeStringInfo(dst, (int) size);
	if (f->mem == NULL)
	{
		f->mem = avro_writer_memory(dst->data + dst->len, size);
		if (f->mem == NULL)
			iceberg_avro_fail(f, ENOMEM);
	}
	else
		avro_writer_memory_set_dest(f->mem, dst->data + dst->len, size);
	av_check(f, avro_value_write(f->mem, value));
	dst->len += (int) size;
	dst->data[dst->len] = '\0';
}

/*
 * Creates the avro-c values and writes the header: magic, the metadata
 * (avro.schema, avro.codec, then the nkeys Iceberg keys) and sync marker.
 */
static void
iceberg_avro_open(IcebergAvroFile *f, const char *schema_json,
				  const char *const *keys, const char *const *values, int nkeys)
{
	avro_value_t *hdr = &f->header.value;
	avro_value_t field;
	avro_value_t entry;

	avro_type_create(f, &f->header, container_header_schema_json,
					 sizeof(container_header_schema_json) - 1);
	avro_type_create(f, &f->block, container_block_schema_json,
					 sizeof(container_block_schema_json) - 1);
	avro_type_create(f, &f->record, schema_json, strlen(schema_json));

	av_field(f, hdr, "magic", &field);
	av_check(f, avro_value_set_fixed(&field, "Obj\x01", 4));
	av_field(f, hdr, "meta", &field);
	av_check(f, avro_value_add(&field, "avro.schema", &entry, NULL, NULL));
	av_check(f, avro_value_set_bytes(&entry, (void *) schema_json,
									 strlen(schema_json)));
	av_check(f, avro_value_add(&field, "avro.codec", &entry, NULL, NULL));
	av_check(f, avro_value_set_bytes(&entry, "deflate", strlen("deflate")));
	for (int i = 0; i < nkeys; i++)
	{
		av_check(f, avro_value_add(&field, keys[i], &entry, NULL, NULL));
		av_check(f, avro_value_set_bytes(&entry, (void *) values[i],
										 strlen(values[i])));
	}
	av_field(f, hdr, "sync", &field);
	av_check(f, avro_value_set_fixed(&field, f->sync, sizeof(f->sync)));
	iceberg_avro_encode(f, hdr, &f->out);
}

/*
 * Deflates the pending records (raw deflate, no zlib header, as the Avro
 * deflate codec is defined) and appends them to the file as one block.
 */
static void
iceberg_avro_flush_block(IcebergAvroFile *f)
{
	avro_value_t *blk = &f->block.value;
	avro_value_t field;
	z_stream	zs;
	int			rc;
	char	   *zbuf;
	uLong		zcap;
	size_t		zlen;

	if (f->pending_count == 0)
		return;

	memset(&zs, 0, sizeof(zs));
	rc = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
					  Z_DEFAULT_STRATEGY);
	if (rc != Z_OK)
		ereport(ERROR,
				(errcode(rc == Z_MEM_ERROR ? ERRCODE_OUT_OF_MEMORY : ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compress Iceberg file \"%s\": %s",
						f->path, zError(rc))));
	zcap = deflateBound(&zs, f->pending.len);
	zbuf = palloc_extended(zcap, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (zbuf == NULL)
	{
		deflateEnd(&zs);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", (size_t) zcap)));
	}
	zs.next_in = (Bytef *) f->pending.data;
	zs.avail_in = f->pending.len;
	zs.next_out = (Bytef *) zbuf;
	zs.avail_out = zcap;
	rc = deflate(&zs, Z_FINISH);
	zlen = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compress Iceberg file \"%s\": %s",
						f->path, zError(rc))));

	av_field(f, blk, "count", &field);
	av_check(f, avro_value_set_long(&field, f->pending_count));
	av_field(f, blk, "data", &field);
	av_check(f, avro_value_set_bytes(&field, zbuf, zlen));
	av_field(f, blk, "sync", &field);
	av_check(f, avro_value_set_fixed(&field, f->sync, sizeof(f->sync)));
	iceberg_avro_encode(f, blk, &f->out);

	pfree(zbuf);
	resetStringInfo(&f->pending);
	f->pending_count = 0;
}

/* Encodes the record value as the next object of the file. */
static void
iceberg_avro_append(IcebergAvroFile *f)
{
	iceberg_avro_encode(f, &f->record.value, &f->pending);
	f->pending_count++;
	if (f->pending.len >= ICEBERG_AVRO_BLOCK_SIZE)
		iceberg_avro_flush_block(f);
}

/*
 * Writes the finished file to its path (replacing any file there), fsyncs
 * it and records its length.  A failed write removes the partial file.
 */
static void
iceberg_avro_finish(IcebergAvroFile *f)
{
	int			fd;

	iceberg_avro_flush_block(f);

	fd = OpenTransientFile(f->path, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", f->path)));
	errno = 0;
	pgstat_report_wait_start(WAIT_EVENT_DATA_FILE_WRITE);
	if (write(fd, f->out.data, f->out.len) != f->out.len)
	{
		int			save_errno = errno ? errno : ENOSPC;

		pgstat_report_wait_end();
		CloseTransientFile(fd);
		(void) unlink(f->path);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", f->path)));
	}
	pgstat_report_wait_end();
	pgstat_report_wait_start(WAIT_EVENT_DATA_FILE_SYNC);
	if (pg_fsync(fd) != 0)
	{
		int			save_errno = errno;

		pgstat_report_wait_end();
		CloseTransientFile(fd);
		errno = save_errno;
		ereport(data_sync_elevel(ERROR),
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", f->path)));
	}
	pgstat_report_wait_end();
	if (CloseTransientFile(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", f->path)));
	f->length = f->out.len;
}

/* The int-keyed metrics maps of data_file that come from column metrics. */
typedef enum MetricsMap
{
	METRICS_VALUE_COUNTS,
	METRICS_NULL_COUNTS,
	METRICS_NAN_COUNTS,
	METRICS_LOWER_BOUNDS,
	METRICS_UPPER_BOUNDS
} MetricsMap;

/*
 * Fills one int-keyed map field of data_file (an array of key/value
 * records) from the columns' metrics, in column order.  NaN counts are
 * written only for columns that have one, bounds only where the column
 * has that bound.  A map with no entries is written as null, which
 * readers treat like an empty one (nothing known about any column).
 */
static void
iceberg_avro_set_metrics(IcebergAvroFile *f, avro_value_t *data_file,
						 const char *name, MetricsMap kind,
						 const IcebergDataFile *df)
{
	avro_value_t array;
	int			n = 0;

	for (int i = 0; i < df->ncolumns; i++)
	{
		const IcebergColumnMetrics *c = &df->columns[i];
		avro_value_t kv;
		avro_value_t key;
		avro_value_t value;

		switch (kind)
		{
			case METRICS_NAN_COUNTS:
				if (!c->has_nan_count)
					continue;
				break;
			case METRICS_LOWER_BOUNDS:
				if (c->lower_len < 0)
					continue;
				break;
			case METRICS_UPPER_BOUNDS:
				if (c->upper_len < 0)
					continue;
				break;
			default:
				break;
		}
		if (n++ == 0)
			av_set_present(f, data_file, name, &array);
		av_check(f, avro_value_append(&array, &kv, NULL));
		av_field(f, &kv, "key", &key);
		av_check(f, avro_value_set_int(&key, c->field_id));
		av_field(f, &kv, "value", &value);
		switch (kind)
		{
			case METRICS_VALUE_COUNTS:
				av_check(f, avro_value_set_long(&value, c->value_count));
				break;
			case METRICS_NULL_COUNTS:
				av_check(f, avro_value_set_long(&value, c->null_count));
				break;
			case METRICS_NAN_COUNTS:
				av_check(f, avro_value_set_long(&value, c->nan_count));
				break;
			case METRICS_LOWER_BOUNDS:
				av_check(f, avro_value_set_bytes(&value,
												 c->lower_len > 0 ? (void *) c->lower : "",
												 c->lower_len));
				break;
			case METRICS_UPPER_BOUNDS:
				av_check(f, avro_value_set_bytes(&value,
												 c->upper_len > 0 ? (void *) c->upper : "",
												 c->upper_len));
				break;
		}
	}
	if (n == 0)
		av_set_null(f, data_file, name);
}

/* Sets the record value to the manifest_entry of one data file. */
static void
iceberg_avro_set_entry(IcebergAvroFile *f, const IcebergDataFile *df)
{
	avro_value_t *entry = &f->record.value;
	avro_value_t data_file;

	if (df->status != ICEBERG_STATUS_EXISTING &&
		df->status != ICEBERG_STATUS_ADDED &&
		df->status != ICEBERG_STATUS_DELETED)
		elog(ERROR, "invalid Iceberg manifest entry status %d", df->status);

	av_check(f, avro_value_reset(entry));
	av_set_int(f, entry, "status", df->status);
	av_set_optional_long(f, entry, "snapshot_id", df->snapshot_id);
	av_set_optional_long(f, entry, "sequence_number", df->sequence_number);
	av_set_optional_long(f, entry, "file_sequence_number",
						 df->file_sequence_number);

	av_field(f, entry, "data_file", &data_file);
	av_set_int(f, &data_file, "content", 0);
	av_set_string(f, &data_file, "file_path", df->file_path);
	av_set_string(f, &data_file, "file_format", "PARQUET");
	/* partition: the empty record, nothing to set */
	av_set_long(f, &data_file, "record_count", df->record_count);
	av_set_long(f, &data_file, "file_size_in_bytes", df->file_size_in_bytes);
	av_set_null(f, &data_file, "column_sizes");
	iceberg_avro_set_metrics(f, &data_file, "value_counts",
							 METRICS_VALUE_COUNTS, df);
	iceberg_avro_set_metrics(f, &data_file, "null_value_counts",
							 METRICS_NULL_COUNTS, df);
	iceberg_avro_set_metrics(f, &data_file, "nan_value_counts",
							 METRICS_NAN_COUNTS, df);
	iceberg_avro_set_metrics(f, &data_file, "lower_bounds",
							 METRICS_LOWER_BOUNDS, df);
	iceberg_avro_set_metrics(f, &data_file, "upper_bounds",
							 METRICS_UPPER_BOUNDS, df);
	av_set_null(f, &data_file, "key_metadata");
	av_set_null(f, &data_file, "split_offsets");
	av_set_null(f, &data_file, "equality_ids");
	av_set_null(f, &data_file, "sort_order_id");
	av_set_null(f, &data_file, "referenced_data_file");
}

/*
 * Writes a data manifest; see iceberg_avro.h.  Every entry states its
 * snapshot id and both sequence numbers explicitly (none is left null to
 * be inherited from the manifest list), which the spec allows for every
 * status and requires for EXISTING and DELETED entries.
 */
int64
iceberg_write_manifest(const char *path, const char *schema_json,
					   int schema_id, const IcebergDataFile *files, int nfiles)
{
	IcebergAvroFile *f;
	int64		length;
	char		schema_id_str[12];
	const char *values[lengthof(manifest_meta_keys)];

	if (schema_json == NULL)
		elog(ERROR, "no table schema for Iceberg manifest \"%s\"", path);
	snprintf(schema_id_str, sizeof(schema_id_str), "%d", schema_id);
	values[0] = schema_json;
	values[1] = schema_id_str;
	values[2] = "[]";
	values[3] = "0";
	values[4] = "2";
	values[5] = "data";

	f = iceberg_avro_begin(path, false);
	PG_TRY();
	{
		iceberg_avro_open(f, manifest_entry_schema_json, manifest_meta_keys,
						  values, lengthof(manifest_meta_keys));
		for (int i = 0; i < nfiles; i++)
		{
			iceberg_avro_set_entry(f, &files[i]);
			iceberg_avro_append(f);
		}
		iceberg_avro_finish(f);
	}
	PG_FINALLY();
	{
		iceberg_avro_release(f);
	}
	PG_END_TRY();

	length = f->length;
	pfree(f->out.data);
	pfree(f->pending.data);
	pfree(f);
	return length;
}

/*
 * Writes a manifest list; see iceberg_avro.h.  All manifests are data
 * manifests of the unpartitioned spec 0, so partition summaries are null.
 * Without a parent, "parent-snapshot-id" says "null", as Java writes it.
 */
void
iceberg_write_manifest_list(const char *path, int64 snapshot_id,
							int64 parent_snapshot_id, int64 sequence_number,
							const IcebergManifestRef *manifests, int nmanifests)
{
	IcebergAvroFile *f;
	char		snapshot_str[24];
	char		parent_str[24];
	char		sequence_str[24];
	const char *values[lengthof(manifest_list_meta_keys)];

	snprintf(snapshot_str, sizeof(snapshot_str), INT64_FORMAT, snapshot_id);
	if (parent_snapshot_id < 0)
		strlcpy(parent_str, "null", sizeof(parent_str));
	else
		snprintf(parent_str, sizeof(parent_str), INT64_FORMAT,
				 parent_snapshot_id);
	snprintf(sequence_str, sizeof(sequence_str), INT64_FORMAT, sequence_number);
	values[0] = snapshot_str;
	values[1] = parent_str;
	values[2] = sequence_str;
	values[3] = "2";

	f = iceberg_avro_begin(path, true);
	PG_TRY();
	{
		avro_value_t *rec;

		iceberg_avro_open(f, manifest_file_schema_json,
						  manifest_list_meta_keys, values,
						  lengthof(manifest_list_meta_keys));
		rec = &f->record.value;
		for (int i = 0; i < nmanifests; i++)
		{
			const IcebergManifestRef *m = &manifests[i];

			av_check(f, avro_value_reset(rec));
			av_set_string(f, rec, "manifest_path", m->manifest_path);
			av_set_long(f, rec, "manifest_length", m->manifest_length);
			av_set_int(f, rec, "partition_spec_id", 0);
			av_set_int(f, rec, "content", 0);
			av_set_long(f, rec, "sequence_number", m->sequence_number);
			av_set_long(f, rec, "min_sequence_number", m->min_sequence_number);
			av_set_long(f, rec, "added_snapshot_id", m->added_snapshot_id);
			av_set_int(f, rec, "added_files_count", m->added_files_count);
			av_set_int(f, rec, "existing_files_count", m->existing_files_count);
			av_set_int(f, rec, "deleted_files_count", m->deleted_files_count);
			av_set_long(f, rec, "added_rows_count", m->added_rows_count);
			av_set_long(f, rec, "existing_rows_count", m->existing_rows_count);
			av_set_long(f, rec, "deleted_rows_count", m->deleted_rows_count);
			av_set_null(f, rec, "partitions");
			av_set_null(f, rec, "key_metadata");
			iceberg_avro_append(f);
		}
		iceberg_avro_finish(f);
	}
	PG_FINALLY();
	{
		iceberg_avro_release(f);
	}
	PG_END_TRY();

	pfree(f->out.data);
	pfree(f->pending.data);
	pfree(f);
}
