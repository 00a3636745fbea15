/*-------------------------------------------------------------------------
 *
 * parquet_thrift.h
 *	  The thrift compact protocol as spillpool's Parquet code uses it (not
 *	  part of the public interface): ThriftReader, a bounded decoder for
 *	  the reader's footer and page headers, and ThriftWriter, the writer's
 *	  serializer of the same structs.
 *
 * Every struct the reader decodes goes through thrift_read_struct: the one
 * loop over its fields, the skipping of fields it does not read and the
 * check of its required fields; a struct is described by a ThriftStructDef
 * whose callback reads one field.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PARQUET_THRIFT_H
#define PARQUET_THRIFT_H

#include "parquet_encoding.h"

/* Nesting limit of thrift structs, lists and maps in one decode */
#define THRIFT_MAX_DEPTH 64

/* Deepest nesting of thrift structs the serializer supports */
#define THRIFT_WRITER_MAX_DEPTH		8

/* A decoding cursor over one bounded buffer */
typedef struct ThriftReader
{
	const uint8_t *pos;
	const uint8_t *end;
	int			depth;
	PqErr	   *err;
} ThriftReader;

/* Thrift compact protocol serializer state */
typedef struct ThriftWriter
{
	PqBuf	   *buf;
	int			depth;
	int16_t		last[THRIFT_WRITER_MAX_DEPTH];
} ThriftWriter;

/*
 * What a struct's field callback did with the field it was handed: read
 * it, left it for thrift_read_struct to skip (a field it does not know, or
 * one it only notes), or failed with the error recorded in tr->err.
 */
typedef enum ThriftFieldResult
{
	THRIFT_FIELD_FAILED = 0,
	THRIFT_FIELD_READ,
	THRIFT_FIELD_SKIP
} ThriftFieldResult;

/*
 * Reads the value of one field of a struct (id and wire type as decoded),
 * into whatever arg points to.
 */
typedef ThriftFieldResult (*ThriftFieldFn) (ThriftReader *tr, int16_t id,
											uint8_t type, void *arg);

/* The bit of a field id (1 to 31) in ThriftStructDef.required */
#define THRIFT_FIELD_BIT(id)	((uint32_t) 1 << (id))

/*
 * How thrift_read_struct reads one kind of struct: the field callback, and
 * the fields that must be present, with the failure to record when one is
 * not.  Only ids 1 to 31 can be required.
 */
typedef struct ThriftStructDef
{
	ThriftFieldFn read_field;
	uint32_t	required;		/* THRIFT_FIELD_BIT of each required field */
	ParquetStatus missing_status;	/* when a required field is missing */
	const char *missing;		/* the message then */
} ThriftStructDef;

/* Bytes left in the cursor. */
static inline size_t
thrift_remaining(const ThriftReader *tr)
{
	return (size_t) (tr->end - tr->pos);
}

/* Leaves a nesting level entered with thrift_enter. */
static inline void
thrift_leave(ThriftReader *tr)
{
	tr->depth--;
}

/* What a field callback returns for a read that succeeded (ok) or not. */
static inline ThriftFieldResult
thrift_field_read(bool ok)
{
	return ok ? THRIFT_FIELD_READ : THRIFT_FIELD_FAILED;
}

/* Decoder; every function records a failure in tr->err and returns false */
extern void thrift_reader_init(ThriftReader *tr, const uint8_t *p, size_t len,
							   PqErr *err);
extern bool thrift_read_varint(ThriftReader *tr, uint64_t *out);
extern bool thrift_read_int(ThriftReader *tr, uint8_t type, int64_t *out);
extern bool thrift_read_i32(ThriftReader *tr, uint8_t type, int32_t *out);
extern bool thrift_read_bool(ThriftReader *tr, uint8_t type, bool *out);
extern bool thrift_read_binary(ThriftReader *tr, uint8_t type,
							   const uint8_t **data, size_t *len);
extern bool thrift_read_list_header(ThriftReader *tr, uint8_t field_type,
									uint8_t *elem_type, size_t *count,
									size_t min_element_bytes);
extern bool thrift_enter(ThriftReader *tr);
extern int	thrift_next_field(ThriftReader *tr, int16_t *last_id,
							  int16_t *id, uint8_t *type);
extern bool thrift_read_struct(ThriftReader *tr, const ThriftStructDef *def,
							   void *arg);
extern bool thrift_skip_value(ThriftReader *tr, uint8_t type, bool in_container);
extern bool thrift_expect(ThriftReader *tr, uint8_t type, uint8_t expected,
						  const char *what);

/* Serializer; allocation failure is recorded in the buffer's oom flag */
extern void tw_init(ThriftWriter *t, PqBuf *buf);
extern void tw_i8(ThriftWriter *t, int16_t id, int8_t v);
extern void tw_i16(ThriftWriter *t, int16_t id, int16_t v);
extern void tw_i32(ThriftWriter *t, int16_t id, int32_t v);
extern void tw_i64(ThriftWriter *t, int16_t id, int64_t v);
extern void tw_bool(ThriftWriter *t, int16_t id, bool v);
extern void tw_binary(ThriftWriter *t, int16_t id, const void *p, size_t n);
extern void tw_string(ThriftWriter *t, int16_t id, const char *s);
extern void tw_struct_begin(ThriftWriter *t, int16_t id);
extern void tw_struct_end(ThriftWriter *t);
extern void tw_list_begin(ThriftWriter *t, int16_t id, int elemtype, int64_t n);
extern void tw_elem_struct_begin(ThriftWriter *t);
extern void tw_elem_i32(ThriftWriter *t, int32_t v);
extern void tw_elem_binary(ThriftWriter *t, const void *p, size_t n);
extern void tw_empty_struct(ThriftWriter *t, int16_t id);

#endif							/* PARQUET_THRIFT_H */
