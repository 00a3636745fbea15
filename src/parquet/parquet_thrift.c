/*-------------------------------------------------------------------------
 *
 * parquet_thrift.c
 *	  The thrift compact protocol, both ways: the reader's bounded decoder
 *	  of the footer and page headers, and the writer's serializer of them.
 *
 * Both share the varint and zigzag code of parquet_encoding.h.  The
 * decoder treats its input as hostile (every length and count is checked
 * against the bytes left, nesting is depth-limited) and records failures
 * in a PqErr; the serializer only ever writes spillpool's own fixed
 * structs and records allocation failure in its buffer's oom flag.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "parquet_thrift.h"

/* ----------------------------------------------------------------
 * Thrift compact protocol decoder
 *
 * A cursor over one bounded buffer.  The struct parsers of the footer and
 * page headers are field callbacks of thrift_read_struct, which skips
 * every field they do not read, whatever its type, so files from newer
 * writers (new fields, new union members) still open.  Known fields with
 * an unexpected wire type are reported as corrupt rather than guessed at.
 * ----------------------------------------------------------------
 */

/* Starts a cursor over [p, p + len), recording failures in err. */
void
thrift_reader_init(ThriftReader *tr, const uint8_t *p, size_t len, PqErr *err)
{
	tr->pos = p;
	tr->end = p + len;
	tr->depth = 0;
	tr->err = err;
}

/* ULEB128 varint of at most 10 bytes (64 bits), with the footer's wording. */
bool
thrift_read_varint(ThriftReader *tr, uint64_t *out)
{
	switch (pq_uleb128_decode(&tr->pos, tr->end, out))
	{
		case PQ_VARINT_OK:
			return true;
		case PQ_VARINT_TRUNCATED:
			pq_corrupt(tr->err, "invalid Parquet metadata: truncated varint");
			break;
		case PQ_VARINT_OVERFLOW:
			pq_corrupt(tr->err, "invalid Parquet metadata: varint overflows 64 bits");
			break;
		case PQ_VARINT_TOO_LONG:
			pq_corrupt(tr->err, "invalid Parquet metadata: varint longer than 10 bytes");
			break;
	}
	return false;
}

/*
 * Reads an integer field of any integer wire type (byte, i16, i32, i64):
 * writers differ in the width they use for small values.
 */
bool
thrift_read_int(ThriftReader *tr, uint8_t type, int64_t *out)
{
	uint64_t	u;

	switch (type)
	{
		case TC_BYTE:
			if (tr->pos >= tr->end)
				return pq_corrupt(tr->err, "invalid Parquet metadata: truncated byte");
			*out = (int8_t) *tr->pos++;
			return true;
		case TC_I16:
		case TC_I32:
		case TC_I64:
			if (!thrift_read_varint(tr, &u))
				return false;
			*out = pq_zigzag_decode(u);
			if (type == TC_I16 && (*out < INT16_MIN || *out > INT16_MAX))
				return pq_corrupt(tr->err, "invalid Parquet metadata: i16 out of range");
			if (type == TC_I32 && (*out < INT32_MIN || *out > INT32_MAX))
				return pq_corrupt(tr->err, "invalid Parquet metadata: i32 out of range");
			return true;
		default:
			return pq_corrupt(tr->err, "invalid Parquet metadata: expected an integer, found thrift type %d", type);
	}
}

/* An integer field that must fit int32. */
bool
thrift_read_i32(ThriftReader *tr, uint8_t type, int32_t *out)
{
	int64_t		v;

	if (!thrift_read_int(tr, type, &v))
		return false;
	if (v < INT32_MIN || v > INT32_MAX)
		return pq_corrupt(tr->err, "invalid Parquet metadata: i32 out of range");
	*out = (int32_t) v;
	return true;
}

/* A boolean struct field: the value is in the field's wire type. */
bool
thrift_read_bool(ThriftReader *tr, uint8_t type, bool *out)
{
	if (type == TC_BOOLEAN_TRUE)
		*out = true;
	else if (type == TC_BOOLEAN_FALSE)
		*out = false;
	else
		return pq_corrupt(tr->err, "invalid Parquet metadata: expected a boolean, found thrift type %d", type);
	return true;
}

/* A binary/string field: a varint length and that many bytes. */
bool
thrift_read_binary(ThriftReader *tr, uint8_t type,
				   const uint8_t **data, size_t *len)
{
	uint64_t	n;

	if (type != TC_BINARY)
		return pq_corrupt(tr->err, "invalid Parquet metadata: expected a string, found thrift type %d", type);
	if (!thrift_read_varint(tr, &n))
		return false;
	if (n > thrift_remaining(tr))
		return pq_corrupt(tr->err, "invalid Parquet metadata: string of %llu bytes exceeds the metadata",
						  (unsigned long long) n);
	*data = tr->pos;
	*len = (size_t) n;
	tr->pos += n;
	return true;
}

/*
 * Reads a list (or set) header.  The count is checked against the bytes
 * left, at min_element_bytes per element, so that callers can allocate
 * count elements safely.
 */
bool
thrift_read_list_header(ThriftReader *tr, uint8_t field_type,
						uint8_t *elem_type, size_t *count,
						size_t min_element_bytes)
{
	uint8_t		b;
	uint64_t	n;

	if (field_type != TC_LIST && field_type != TC_SET)
		return pq_corrupt(tr->err, "invalid Parquet metadata: expected a list, found thrift type %d", field_type);
	if (tr->pos >= tr->end)
		return pq_corrupt(tr->err, "invalid Parquet metadata: truncated list header");
	b = *tr->pos++;
	n = b >> 4;
	if (n == 15 && !thrift_read_varint(tr, &n))
		return false;
	*elem_type = b & 0x0f;
	if (*elem_type == TC_STOP || *elem_type > 13)
		return pq_corrupt(tr->err, "invalid Parquet metadata: invalid list element type %d", *elem_type);
	if (min_element_bytes == 0)
		min_element_bytes = 1;
	if (n > thrift_remaining(tr) / min_element_bytes)
		return pq_corrupt(tr->err, "invalid Parquet metadata: list of %llu elements exceeds the metadata",
						  (unsigned long long) n);
	*count = (size_t) n;
	return true;
}

/* Enters a nested struct/list/map, enforcing the depth limit. */
bool
thrift_enter(ThriftReader *tr)
{
	if (++tr->depth > THRIFT_MAX_DEPTH)
		return pq_corrupt(tr->err, "invalid Parquet metadata: nested more than %d levels deep", THRIFT_MAX_DEPTH);
	return true;
}

/*
 * Reads the next field header of a struct.  Returns 1 with the field id
 * and type, 0 at the STOP byte, -1 on error.  *last_id carries the
 * previous id for the compact protocol's delta encoding.
 */
int
thrift_next_field(ThriftReader *tr, int16_t *last_id,
				  int16_t *id, uint8_t *type)
{
	uint8_t		b;
	int			delta;

	if (tr->pos >= tr->end)
	{
		pq_corrupt(tr->err, "invalid Parquet metadata: truncated struct");
		return -1;
	}
	b = *tr->pos++;
	if (b == TC_STOP)
		return 0;
	*type = b & 0x0f;
	delta = b >> 4;
	if (*type == TC_STOP || *type > 13)
	{
		pq_corrupt(tr->err, "invalid Parquet metadata: invalid field type %d", *type);
		return -1;
	}
	if (delta != 0)
	{
		int			next = *last_id + delta;

		if (next > INT16_MAX)
		{
			pq_corrupt(tr->err, "invalid Parquet metadata: field id overflows");
			return -1;
		}
		*id = (int16_t) next;
	}
	else
	{
		int64_t		v;

		if (!thrift_read_int(tr, TC_I16, &v))
			return -1;
		*id = (int16_t) v;
	}
	*last_id = *id;
	return 1;
}

/*
 * Reads one struct whose opening was already consumed: the one loop over
 * field headers that every struct parser of the footer and page headers
 * shares.  Each field goes to def->read_field, which reads the fields it
 * knows and hands the rest back to be skipped whatever their type, so
 * files from newer writers still open.  With def NULL every field is
 * skipped (thrift_skip_value's way through a struct it does not read).
 * After the STOP byte, the fields def->required names must all have been
 * present; checks of the values themselves are the caller's.  A field id
 * seen twice is read twice, unless the callback refuses it.
 */
bool
thrift_read_struct(ThriftReader *tr, const ThriftStructDef *def, void *arg)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	uint32_t	seen = 0;

	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		ThriftFieldResult res = THRIFT_FIELD_SKIP;

		if (id >= 1 && id <= 31)
			seen |= THRIFT_FIELD_BIT(id);
		if (def != NULL)
			res = def->read_field(tr, id, type, arg);
		if (res == THRIFT_FIELD_FAILED)
			return false;
		if (res == THRIFT_FIELD_SKIP && !thrift_skip_value(tr, type, false))
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	if (def != NULL && (seen & def->required) != def->required)
		return pq_fail(tr->err, def->missing_status, "%s", def->missing);
	return true;
}

/*
 * Skips one value of any type.  Booleans have no payload as struct
 * fields but take a byte as list/map elements, hence in_container.
 * Type 13 (UUID, 16 bytes) is newer than Parquet but skipped anyway.
 */
bool
thrift_skip_value(ThriftReader *tr, uint8_t type, bool in_container)
{
	uint64_t	u;
	size_t		n;
	size_t		skip = 0;
	uint8_t		elem_type;

	switch (type)
	{
		case TC_BOOLEAN_TRUE:
		case TC_BOOLEAN_FALSE:
			skip = in_container ? 1 : 0;
			break;
		case TC_BYTE:
			skip = 1;
			break;
		case TC_I16:
		case TC_I32:
		case TC_I64:
			return thrift_read_varint(tr, &u);
		case TC_DOUBLE:
			skip = 8;
			break;
		case 13:
			skip = 16;
			break;
		case TC_BINARY:
			if (!thrift_read_varint(tr, &u))
				return false;
			if (u > thrift_remaining(tr))
				return pq_corrupt(tr->err, "invalid Parquet metadata: string exceeds the metadata");
			tr->pos += u;
			return true;
		case TC_LIST:
		case TC_SET:
			if (!thrift_read_list_header(tr, type, &elem_type, &n, 1))
				return false;
			if (!thrift_enter(tr))
				return false;
			while (n-- > 0)
			{
				if (!thrift_skip_value(tr, elem_type, true))
					return false;
			}
			thrift_leave(tr);
			return true;
		case TC_MAP:
			{
				uint8_t		kv;

				if (!thrift_read_varint(tr, &u))
					return false;
				if (u == 0)
					return true;
				if (u > thrift_remaining(tr) / 2)
					return pq_corrupt(tr->err, "invalid Parquet metadata: map exceeds the metadata");
				if (tr->pos >= tr->end)
					return pq_corrupt(tr->err, "invalid Parquet metadata: truncated map");
				kv = *tr->pos++;
				if ((kv >> 4) == 0 || (kv >> 4) > 13 || (kv & 0x0f) == 0 || (kv & 0x0f) > 13)
					return pq_corrupt(tr->err, "invalid Parquet metadata: invalid map types");
				if (!thrift_enter(tr))
					return false;
				while (u-- > 0)
				{
					if (!thrift_skip_value(tr, kv >> 4, true) ||
						!thrift_skip_value(tr, kv & 0x0f, true))
						return false;
				}
				thrift_leave(tr);
				return true;
			}
		case TC_STRUCT:
			return thrift_read_struct(tr, NULL, NULL);
		default:
			return pq_corrupt(tr->err, "invalid Parquet metadata: invalid thrift type %d", type);
	}
	if (skip > thrift_remaining(tr))
		return pq_corrupt(tr->err, "invalid Parquet metadata: truncated value");
	tr->pos += skip;
	return true;
}

/* Checks that a known struct field has the wire type the spec gives it. */
bool
thrift_expect(ThriftReader *tr, uint8_t type, uint8_t expected, const char *what)
{
	if (type != expected)
		return pq_corrupt(tr->err, "invalid Parquet metadata: field %s has thrift type %d, expected %d",
						  what, type, expected);
	return true;
}

/* ----------------------------------------------------------------
 * Thrift compact protocol serializer
 *
 * Only what the Parquet footer and page headers need: structs with field
 * id deltas, i8/i16/i32/i64 (zigzag varints, i8 as a raw byte), bool
 * fields folded into the field header, binary, and lists.
 * ----------------------------------------------------------------
 */

/* Starts serializing into buf, at the top-level struct. */
void
tw_init(ThriftWriter *t, PqBuf *buf)
{
	t->buf = buf;
	t->depth = 0;
	t->last[0] = 0;
}

/* Field header: short form (delta 1..15) or type byte + zigzag i16 id */
static void
tw_field(ThriftWriter *t, int type, int16_t id)
{
	int			delta = id - t->last[t->depth];

	if (delta > 0 && delta <= 15)
		pq_buf_put_u8(t->buf, (uint8_t) ((delta << 4) | type));
	else
	{
		pq_buf_put_u8(t->buf, (uint8_t) type);
		pq_buf_put_varint(t->buf, pq_zigzag_encode(id));
	}
	t->last[t->depth] = id;
}

/* An i8 field (written as one raw byte) */
void
tw_i8(ThriftWriter *t, int16_t id, int8_t v)
{
	tw_field(t, TC_BYTE, id);
	pq_buf_put_u8(t->buf, (uint8_t) v);
}

/*
 * An integer field of wire type i16, i32 or i64: the compact protocol
 * writes all three as a zigzag varint, so only the type nibble differs.
 */
static void
tw_zigzag(ThriftWriter *t, int type, int16_t id, int64_t v)
{
	tw_field(t, type, id);
	pq_buf_put_varint(t->buf, pq_zigzag_encode(v));
}

/* An i16 field */
void
tw_i16(ThriftWriter *t, int16_t id, int16_t v)
{
	tw_zigzag(t, TC_I16, id, v);
}

/* An i32 field (also used for enums) */
void
tw_i32(ThriftWriter *t, int16_t id, int32_t v)
{
	tw_zigzag(t, TC_I32, id, v);
}

/* An i64 field */
void
tw_i64(ThriftWriter *t, int16_t id, int64_t v)
{
	tw_zigzag(t, TC_I64, id, v);
}

/* A bool field: the value is the field header's type nibble */
void
tw_bool(ThriftWriter *t, int16_t id, bool v)
{
	tw_field(t, v ? TC_BOOLEAN_TRUE : TC_BOOLEAN_FALSE, id);
}

/* A binary (or string) field */
void
tw_binary(ThriftWriter *t, int16_t id, const void *p, size_t n)
{
	tw_field(t, TC_BINARY, id);
	pq_buf_put_varint(t->buf, n);
	pq_buf_append(t->buf, p, n);
}

/* A string field */
void
tw_string(ThriftWriter *t, int16_t id, const char *s)
{
	tw_binary(t, id, s, strlen(s));
}

/* Enter a nested struct: field ids restart from 0 inside it */
static void
tw_push(ThriftWriter *t)
{
	if (t->depth + 1 >= THRIFT_WRITER_MAX_DEPTH)
	{
		t->buf->oom = true;		/* cannot happen with our fixed schema */
		return;
	}
	t->depth++;
	t->last[t->depth] = 0;
}

/* A struct-valued field; close it with tw_struct_end() */
void
tw_struct_begin(ThriftWriter *t, int16_t id)
{
	tw_field(t, TC_STRUCT, id);
	tw_push(t);
}

/* Close a struct (or the top-level struct) with a STOP byte */
void
tw_struct_end(ThriftWriter *t)
{
	pq_buf_put_u8(t->buf, TC_STOP);
	if (t->depth > 0)
		t->depth--;
}

/* A list-valued field header: element type and count */
void
tw_list_begin(ThriftWriter *t, int16_t id, int elemtype, int64_t n)
{
	tw_field(t, TC_LIST, id);
	if (n < 15)
		pq_buf_put_u8(t->buf, (uint8_t) ((n << 4) | elemtype));
	else
	{
		pq_buf_put_u8(t->buf, (uint8_t) (0xF0 | elemtype));
		pq_buf_put_varint(t->buf, (uint64_t) n);
	}
}

/* Start a struct element of a list; close it with tw_struct_end() */
void
tw_elem_struct_begin(ThriftWriter *t)
{
	tw_push(t);
}

/* An i32 element of a list */
void
tw_elem_i32(ThriftWriter *t, int32_t v)
{
	pq_buf_put_varint(t->buf, pq_zigzag_encode(v));
}

/* A binary element of a list */
void
tw_elem_binary(ThriftWriter *t, const void *p, size_t n)
{
	pq_buf_put_varint(t->buf, n);
	pq_buf_append(t->buf, p, n);
}

/* An empty struct field (the members of unions like LogicalType) */
void
tw_empty_struct(ThriftWriter *t, int16_t id)
{
	tw_struct_begin(t, id);
	tw_struct_end(t);
}

