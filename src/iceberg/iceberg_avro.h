/*-------------------------------------------------------------------------
 *
 * iceberg_avro.h
 *	  Writing Iceberg v2 manifest files and manifest lists with avro-c.
 *
 * The caller (iceberg.c) decides what goes into each file: which data files
 * a manifest lists with which status, and which manifests a snapshot's
 * manifest list names.  This module only turns those plain structs into Avro
 * object container files whose schemas, field ids and file metadata follow
 * the Iceberg table spec (format version 2), and fsyncs them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_ICEBERG_AVRO_H
#define SPILLPOOL_ICEBERG_AVRO_H

/* manifest_entry.status */
#define ICEBERG_STATUS_EXISTING 0
#define ICEBERG_STATUS_ADDED	1
#define ICEBERG_STATUS_DELETED	2

/* Per-column metrics of one data file, keyed by Iceberg field id. */
typedef struct IcebergColumnMetrics
{
	int32		field_id;
	int64		value_count;	/* values including nulls */
	int64		null_count;
	bool		has_nan_count;	/* float/double columns only */
	int64		nan_count;
	int			lower_len;		/* -1: no bound; else bytes in lower */
	const unsigned char *lower; /* Iceberg single-value serialization */
	int			upper_len;
	const unsigned char *upper;
} IcebergColumnMetrics;

/* One manifest_entry: a Parquet data file and its status. */
typedef struct IcebergDataFile
{
	int			status;			/* ICEBERG_STATUS_* */
	int64		snapshot_id;	/* the snapshot that added (or deleted) it */
	int64		sequence_number;	/* data sequence number */
	int64		file_sequence_number;
	const char *file_path;		/* location as engines should see it */
	int64		record_count;
	int64		file_size_in_bytes;
	int			ncolumns;
	const IcebergColumnMetrics *columns;
} IcebergDataFile;

/* One manifest_file record of a manifest list. */
typedef struct IcebergManifestRef
{
	const char *manifest_path;	/* location as engines should see it */
	int64		manifest_length;
	int64		sequence_number;
	int64		min_sequence_number;
	int64		added_snapshot_id;
	int32		added_files_count;
	int32		existing_files_count;
	int32		deleted_files_count;
	int64		added_rows_count;
	int64		existing_rows_count;
	int64		deleted_rows_count;
} IcebergManifestRef;

/*
 * Writes a data manifest (content 0, unpartitioned: partition spec id 0 with
 * no fields) to "path", fsyncs it, and returns its length in bytes.
 * schema_json is the table schema as the metadata JSON has it (one "struct"
 * object with "schema-id" and "fields"); it goes into the file's metadata
 * under "schema", as the spec asks.  Errors are reported with ereport(ERROR).
 */
extern int64 iceberg_write_manifest(const char *path, const char *schema_json,
									int schema_id,
									const IcebergDataFile *files, int nfiles);

/*
 * Writes a manifest list for a snapshot to "path" and fsyncs it.
 * parent_snapshot_id < 0 means none.
 */
extern void iceberg_write_manifest_list(const char *path, int64 snapshot_id,
										int64 parent_snapshot_id,
										int64 sequence_number,
										const IcebergManifestRef *manifests,
										int nmanifests);

#endif							/* SPILLPOOL_ICEBERG_AVRO_H */
