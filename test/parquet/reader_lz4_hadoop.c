/*-------------------------------------------------------------------------
 *
 * reader_lz4_hadoop.c
 *	  Fixture tool for the Parquet reader tests: rewrites an UNCOMPRESSED
 *	  Parquet file so that every page is compressed with the deprecated LZ4
 *	  codec (5), either with Hadoop framing or as one raw LZ4 block (what
 *	  old parquet-cpp wrote), since no current writer produces these.
 *
 *	  usage: reader_lz4_hadoop hadoop|raw IN.parquet OUT.parquet
 *
 * Hadoop framing: blocks of at most HADOOP_BLOCK uncompressed bytes, each
 * a big-endian uncompressed length then one or two (big-endian compressed
 * length, LZ4 block) chunks, so the reader's multi-block and multi-chunk
 * paths are both exercised.  The footer and page headers are round-tripped
 * through a generic thrift compact tree; only sizes, offsets and the codec
 * change, and page/column indexes and bloom filters are dropped (their
 * offsets would be stale).  This is a test tool: it exits on any error.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>

#define HADOOP_BLOCK 4096

/* Exits with a message: this tool only runs on files it was given. */
static void
die(const char *msg)
{
	fprintf(stderr, "reader_lz4_hadoop: %s\n", msg);
	exit(1);
}

/* A thrift compact value: struct fields, list elements or a scalar. */
typedef struct TNode
{
	uint8_t		type;			/* compact type; bool fields 1/2 */
	int16_t		id;				/* field id inside a struct */
	int64_t		i;				/* integers and booleans */
	uint8_t		raw[16];		/* double (8 bytes) */
	const uint8_t *bin;
	size_t		binlen;
	uint8_t		elem_type;		/* list/set element type */
	uint8_t		map_types;		/* map key<<4|value */
	struct TNode *kids;
	size_t		nkids;
} TNode;

typedef struct Cursor
{
	const uint8_t *p;
	const uint8_t *end;
} Cursor;

/* Reads one byte or dies. */
static uint8_t
get_byte(Cursor *c)
{
	if (c->p >= c->end)
		die("truncated thrift");
	return *c->p++;
}

/* ULEB128. */
static uint64_t
get_varint(Cursor *c)
{
	uint64_t	v = 0;

	for (int shift = 0; shift < 64; shift += 7)
	{
		uint8_t		b = get_byte(c);

		v |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	die("bad varint");
	return 0;
}

static TNode *add_kid(TNode *n);
static void parse_value(Cursor *c, TNode *n, uint8_t type, bool in_container);

/* Parses struct fields into n->kids until STOP. */
static void
parse_struct(Cursor *c, TNode *n)
{
	int16_t		last = 0;

	n->type = 12;
	for (;;)
	{
		uint8_t		b = get_byte(c);
		TNode	   *k;
		int16_t		id;

		if (b == 0)
			return;
		if (b >> 4)
			id = (int16_t) (last + (b >> 4));
		else
		{
			uint64_t	u = get_varint(c);

			id = (int16_t) ((u >> 1) ^ (~(u & 1) + 1));
		}
		last = id;
		k = add_kid(n);
		k->id = id;
		parse_value(c, k, b & 0x0f, false);
	}
}

/* Appends a zeroed child. */
static TNode *
add_kid(TNode *n)
{
	n->kids = realloc(n->kids, sizeof(TNode) * (n->nkids + 1));
	if (n->kids == NULL)
		die("out of memory");
	memset(&n->kids[n->nkids], 0, sizeof(TNode));
	return &n->kids[n->nkids++];
}

/* Parses a value of the given type. */
static void
parse_value(Cursor *c, TNode *n, uint8_t type, bool in_container)
{
	uint64_t	u;

	n->type = type;
	switch (type)
	{
		case 1:
		case 2:
			if (in_container)
				n->i = get_byte(c) == 1;
			else
				n->i = (type == 1);
			break;
		case 3:
			n->i = (int8_t) get_byte(c);
			break;
		case 4:
		case 5:
		case 6:
			u = get_varint(c);
			n->i = (int64_t) ((u >> 1) ^ (~(u & 1) + 1));
			break;
		case 7:
			for (int i = 0; i < 8; i++)
				n->raw[i] = get_byte(c);
			break;
		case 8:
			n->binlen = get_varint(c);
			if (n->binlen > (size_t) (c->end - c->p))
				die("bad binary");
			n->bin = c->p;
			c->p += n->binlen;
			break;
		case 9:
		case 10:
			{
				uint8_t		b = get_byte(c);
				uint64_t	cnt = b >> 4;

				if (cnt == 15)
					cnt = get_varint(c);
				n->elem_type = b & 0x0f;
				for (uint64_t i = 0; i < cnt; i++)
					parse_value(c, add_kid(n), n->elem_type, true);
				break;
			}
		case 11:
			{
				uint64_t	cnt = get_varint(c);

				if (cnt > 0)
					n->map_types = get_byte(c);
				for (uint64_t i = 0; i < cnt; i++)
				{
					parse_value(c, add_kid(n), n->map_types >> 4, true);
					parse_value(c, add_kid(n), n->map_types & 0x0f, true);
				}
				break;
			}
		case 12:
			parse_struct(c, n);
			break;
		default:
			die("unknown thrift type");
	}
}

/* A growable output buffer. */
typedef struct Buf
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
} Buf;

/* Appends bytes to a growable buffer. */
static void
put(Buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap)
	{
		b->cap = (b->len + n) * 2 + 1024;
		b->data = realloc(b->data, b->cap);
		if (b->data == NULL)
			die("out of memory");
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* Appends one byte. */
static void
put_byte(Buf *b, uint8_t v)
{
	put(b, &v, 1);
}

/* Appends a ULEB128 varint. */
static void
put_varint(Buf *b, uint64_t v)
{
	while (v >= 0x80)
	{
		put_byte(b, (uint8_t) (v | 0x80));
		v >>= 7;
	}
	put_byte(b, (uint8_t) v);
}

/* Appends a big-endian 32-bit value (Hadoop framing). */
static void
put_be32(Buf *b, uint32_t v)
{
	uint8_t		x[4] = {v >> 24, v >> 16, v >> 8, v};

	put(b, x, 4);
}

static void write_value(Buf *b, const TNode *n, bool in_container);

/* Writes struct fields with delta-encoded ids, then STOP. */
static void
write_struct(Buf *b, const TNode *n)
{
	int16_t		last = 0;

	for (size_t i = 0; i < n->nkids; i++)
	{
		const TNode *k = &n->kids[i];
		uint8_t		t = k->type;

		if (t == 1 || t == 2)
			t = k->i ? 1 : 2;
		if (k->id > last && k->id - last <= 15)
			put_byte(b, (uint8_t) (((k->id - last) << 4) | t));
		else
		{
			put_byte(b, t);
			put_varint(b, ((uint64_t) k->id << 1) ^ (uint64_t) (k->id >> 15));
		}
		last = k->id;
		write_value(b, k, false);
	}
	put_byte(b, 0);
}

/* Writes a value (the field header, if any, is already out). */
static void
write_value(Buf *b, const TNode *n, bool in_container)
{
	switch (n->type)
	{
		case 1:
		case 2:
			if (in_container)
				put_byte(b, n->i ? 1 : 2);
			break;
		case 3:
			put_byte(b, (uint8_t) n->i);
			break;
		case 4:
		case 5:
		case 6:
			put_varint(b, ((uint64_t) n->i << 1) ^ (uint64_t) (n->i >> 63));
			break;
		case 7:
			put(b, n->raw, 8);
			break;
		case 8:
			put_varint(b, n->binlen);
			put(b, n->bin, n->binlen);
			break;
		case 9:
		case 10:
			if (n->nkids < 15)
				put_byte(b, (uint8_t) ((n->nkids << 4) | n->elem_type));
			else
			{
				put_byte(b, (uint8_t) (0xf0 | n->elem_type));
				put_varint(b, n->nkids);
			}
			for (size_t i = 0; i < n->nkids; i++)
				write_value(b, &n->kids[i], true);
			break;
		case 11:
			put_varint(b, n->nkids / 2);
			if (n->nkids > 0)
				put_byte(b, n->map_types);
			for (size_t i = 0; i < n->nkids; i++)
				write_value(b, &n->kids[i], true);
			break;
		case 12:
			write_struct(b, n);
			break;
	}
}

/* The field with the id, or NULL. */
static TNode *
field(TNode *s, int16_t id)
{
	for (size_t i = 0; i < s->nkids; i++)
		if (s->kids[i].id == id)
			return &s->kids[i];
	return NULL;
}

/* Sets (or adds) an i64/i32 field. */
static void
set_int(TNode *s, int16_t id, uint8_t type, int64_t v)
{
	TNode	   *f = field(s, id);

	if (f == NULL)
	{
		/* keep ids ascending: append then bubble into place */
		f = add_kid(s);
		f->id = id;
		for (size_t i = s->nkids - 1; i > 0 && s->kids[i - 1].id > id; i--)
		{
			TNode		t = s->kids[i - 1];

			s->kids[i - 1] = s->kids[i];
			s->kids[i] = t;
		}
		f = field(s, id);
	}
	f->type = type;
	f->i = v;
}

/* Removes a field if present. */
static void
drop_field(TNode *s, int16_t id)
{
	for (size_t i = 0; i < s->nkids; i++)
	{
		if (s->kids[i].id == id)
		{
			memmove(&s->kids[i], &s->kids[i + 1], sizeof(TNode) * (s->nkids - i - 1));
			s->nkids--;
			return;
		}
	}
}

/* LZ4 block of src, or dies. */
static void
lz4_block(Buf *out, const uint8_t *src, size_t len, bool with_length)
{
	int			bound = LZ4_compressBound((int) len);
	char	   *tmp = malloc((size_t) bound + 1);
	int			n;

	if (tmp == NULL)
		die("out of memory");
	n = LZ4_compress_default((const char *) src, tmp, (int) len, bound);
	if (n <= 0 && len > 0)
		die("LZ4 compression failed");
	if (with_length)
		put_be32(out, (uint32_t) n);
	put(out, tmp, (size_t) n);
	free(tmp);
}

/* Compresses a page body in the requested framing. */
static void
compress_body(Buf *out, const uint8_t *src, size_t len, bool hadoop)
{
	if (!hadoop)
	{
		lz4_block(out, src, len, false);
		return;
	}
	for (size_t off = 0; off < len; off += HADOOP_BLOCK)
	{
		size_t		n = len - off < HADOOP_BLOCK ? len - off : HADOOP_BLOCK;

		put_be32(out, (uint32_t) n);
		if (n > 2048)
		{
			/* two inner chunks in one block */
			lz4_block(out, src + off, 1000, true);
			lz4_block(out, src + off + 1000, n - 1000, true);
		}
		else
			lz4_block(out, src + off, n, true);
	}
}

/* Rewrites IN into OUT page by page, then the footer. */
int
main(int argc, char **argv)
{
	FILE	   *f;
	uint8_t    *in;
	long		size;
	uint32_t	meta_len;
	Cursor		c;
	TNode		meta;
	TNode	   *rgs;
	Buf			out = {0};
	bool		hadoop;

	if (argc != 4 || (strcmp(argv[1], "hadoop") != 0 && strcmp(argv[1], "raw") != 0))
		die("usage: reader_lz4_hadoop hadoop|raw IN OUT");
	hadoop = strcmp(argv[1], "hadoop") == 0;
	f = fopen(argv[2], "rb");
	if (f == NULL)
		die("cannot open input");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	in = malloc((size_t) size);
	if (in == NULL || fread(in, 1, (size_t) size, f) != (size_t) size)
		die("cannot read input");
	fclose(f);
	if (size < 12 || memcmp(in, "PAR1", 4) != 0 || memcmp(in + size - 4, "PAR1", 4) != 0)
		die("not a Parquet file");
	meta_len = (uint32_t) in[size - 8] | (uint32_t) in[size - 7] << 8 |
		(uint32_t) in[size - 6] << 16 | (uint32_t) in[size - 5] << 24;
	c.p = in + size - 8 - meta_len;
	c.end = in + size - 8;
	memset(&meta, 0, sizeof(meta));
	parse_struct(&c, &meta);

	put(&out, "PAR1", 4);
	rgs = field(&meta, 4);
	for (size_t g = 0; rgs != NULL && g < rgs->nkids; g++)
	{
		TNode	   *rg = &rgs->kids[g];
		TNode	   *cols = field(rg, 1);
		int64_t		rg_start = -1;
		int64_t		rg_size = 0;

		for (size_t ci = 0; ci < cols->nkids; ci++)
		{
			TNode	   *cc = &cols->kids[ci];
			TNode	   *md = field(cc, 3);
			TNode	   *dict = field(md, 11);
			int64_t		data_off = field(md, 9)->i;
			int64_t		start = data_off;
			int64_t		len = field(md, 7)->i;
			int64_t		new_start = (int64_t) out.len;
			int64_t		new_data_off = -1;
			int64_t		new_dict_off = -1;
			Cursor		pc;

			if (field(md, 4)->i != 0)
				die("input must be UNCOMPRESSED");
			if (dict != NULL && dict->i > 0 && dict->i < start)
				start = dict->i;
			pc.p = in + start;
			pc.end = in + start + len;
			while (pc.p < pc.end)
			{
				int64_t		old_off = pc.p - in;
				TNode		ph;
				TNode	   *v2;
				int64_t		csize;
				Buf			body = {0};
				Buf			hdr = {0};
				size_t		levels = 0;

				memset(&ph, 0, sizeof(ph));
				parse_struct(&pc, &ph);
				csize = field(&ph, 3)->i;
				v2 = field(&ph, 8);
				if (v2 != NULL)
				{
					TNode	   *rl = field(v2, 6);
					TNode	   *dl = field(v2, 5);

					levels = (size_t) ((rl ? rl->i : 0) + (dl ? dl->i : 0));
					put(&body, pc.p, levels);
					drop_field(v2, 7);	/* is_compressed defaults to true */
				}
				compress_body(&body, pc.p + levels, (size_t) csize - levels, hadoop);
				pc.p += csize;
				set_int(&ph, 3, 5, (int64_t) body.len);
				drop_field(&ph, 4); /* crc of the old bytes */
				if (old_off == data_off)
					new_data_off = (int64_t) out.len;
				if (dict != NULL && old_off == dict->i)
					new_dict_off = (int64_t) out.len;
				write_struct(&hdr, &ph);
				put(&out, hdr.data, hdr.len);
				put(&out, body.data, body.len);
				free(hdr.data);
				free(body.data);
			}
			if (new_data_off < 0)
				die("data page offset not found");
			set_int(md, 4, 5, 5);	/* codec LZ4 */
			set_int(md, 7, 6, (int64_t) out.len - new_start);
			set_int(md, 9, 6, new_data_off);
			if (dict != NULL)
				set_int(md, 11, 6, new_dict_off >= 0 ? new_dict_off : 0);
			drop_field(md, 14);	/* bloom filter offset */
			drop_field(md, 15);	/* bloom filter length */
			for (int16_t id = 4; id <= 7; id++)
				drop_field(cc, id); /* offset/column index */
			if (field(cc, 2) != NULL)
				set_int(cc, 2, 6, new_start);
			if (rg_start < 0)
				rg_start = new_start;
			rg_size += (int64_t) out.len - new_start;
		}
		if (field(rg, 5) != NULL)
			set_int(rg, 5, 6, rg_start);
		if (field(rg, 6) != NULL)
			set_int(rg, 6, 6, rg_size);
	}

	{
		Buf			footer = {0};
		uint8_t		lenb[4];

		write_struct(&footer, &meta);
		put(&out, footer.data, footer.len);
		lenb[0] = (uint8_t) footer.len;
		lenb[1] = (uint8_t) (footer.len >> 8);
		lenb[2] = (uint8_t) (footer.len >> 16);
		lenb[3] = (uint8_t) (footer.len >> 24);
		put(&out, lenb, 4);
		put(&out, "PAR1", 4);
	}
	f = fopen(argv[3], "wb");
	if (f == NULL || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0)
		die("cannot write output");
	return 0;
}
