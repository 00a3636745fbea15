/*-------------------------------------------------------------------------
 *
 * test_md5.h
 *	  MD5 (RFC 1321) for the Parquet writer and reader tests, which compare
 *	  columns with DuckDB's md5() of their text forms.  Included by both test
 *	  programs; test code only (the extension uses PostgreSQL's own).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEST_MD5_H
#define TEST_MD5_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct Md5
{
	uint32_t	h[4];
	uint64_t	len;
	uint8_t		block[64];
	size_t		fill;
} Md5;

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391
};
static const int md5_r[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
	4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21
};

/* Starts an MD5 computation. */
static void
md5_init(Md5 *m)
{
	m->h[0] = 0x67452301;
	m->h[1] = 0xefcdab89;
	m->h[2] = 0x98badcfe;
	m->h[3] = 0x10325476;
	m->len = 0;
	m->fill = 0;
}

/* One 64-byte block. */
static void
md5_block(Md5 *m, const uint8_t *p)
{
	uint32_t	w[16];
	uint32_t	a = m->h[0],
				b = m->h[1],
				c = m->h[2],
				d = m->h[3];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t) p[4 * i] | (uint32_t) p[4 * i + 1] << 8 |
			(uint32_t) p[4 * i + 2] << 16 | (uint32_t) p[4 * i + 3] << 24;
	for (int i = 0; i < 64; i++)
	{
		uint32_t	f;
		int			g;
		uint32_t	t;

		if (i < 16)
		{
			f = (b & c) | (~b & d);
			g = i;
		}
		else if (i < 32)
		{
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		}
		else if (i < 48)
		{
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		}
		else
		{
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		t = d;
		d = c;
		c = b;
		f = f + a + md5_k[i] + w[g];
		b = b + ((f << md5_r[i]) | (f >> (32 - md5_r[i])));
		a = t;
	}
	m->h[0] += a;
	m->h[1] += b;
	m->h[2] += c;
	m->h[3] += d;
}

/* Feeds bytes to an MD5 computation, hashing each full block. */
static void
md5_update(Md5 *m, const void *data, size_t len)
{
	const uint8_t *p = data;

	m->len += len;
	while (len > 0)
	{
		size_t		n = 64 - m->fill < len ? 64 - m->fill : len;

		memcpy(m->block + m->fill, p, n);
		m->fill += n;
		p += n;
		len -= n;
		if (m->fill == 64)
		{
			md5_block(m, m->block);
			m->fill = 0;
		}
	}
}

/* Finishes into 33 bytes of lowercase hex. */
static void
md5_final(Md5 *m, char *hex)
{
	uint64_t	bits = m->len * 8;
	uint8_t		pad = 0x80;
	uint8_t		zero = 0;
	uint8_t		lenb[8];

	md5_update(m, &pad, 1);
	while (m->fill != 56)
		md5_update(m, &zero, 1);
	for (int i = 0; i < 8; i++)
		lenb[i] = (uint8_t) (bits >> (8 * i));
	md5_update(m, lenb, 8);
	for (int i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", (m->h[i / 4] >> (8 * (i % 4))) & 0xff);
}

#endif							/* TEST_MD5_H */
