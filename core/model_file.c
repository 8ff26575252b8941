/* phasepinn — the model file, RUN_DIR/model.npz (model_file.h,
 * docs/model-file.md).
 *
 * Three layers, bottom up: the .npy arrays (a text header of a Python
 * dict, then little-endian data), the ZIP container around them (STORED
 * members, CRC-32, a central directory; PKWARE APPNOTE 6.3, sections 4.3.7,
 * 4.3.12 and 4.3.16), and the model: the metadata JSON and the tensors of
 * the network's private layout (core/network_impl.h).
 */
#include "core/model_file.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <phasepinn/output.h>
#include <phasepinn/phasepinn.h>

#include "core/checkpoint.h"    /* pp_crc32 */
#include "core/network_impl.h"
#include "core/rundir.h"
#include "core/safe_open.h"

#define NPY_ALIGN 64
#define MAX_MEMBERS 4096
#define MAX_FILE_BYTES ((size_t)1 << 31)
#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_END_SIG 0x06054b50u
#define ZIP_DATE_1980 0x0021u   /* 1980-01-01: day 1, month 1, year 0 */

/* ---- a growing byte buffer ------------------------------------------------ */

typedef struct bytes {
	unsigned char *p;
	size_t len, cap;
	int failed;
} bytes;

static void put(bytes *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *q;
		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->failed = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_u16(bytes *b, unsigned v)
{
	unsigned char c[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
	put(b, c, 2);
}

static void put_u32(bytes *b, uint32_t v)
{
	unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};
	put(b, c, 4);
}

static unsigned get_u16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- text: UTF-8 <-> the UCS-4 code points of a '<U' array ---------------- */

/* The next code point of @s (advancing *i); U+FFFD for a malformed byte. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned c = s[*i];
	int more = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
		   : (c & 0xf8) == 0xf0 ? 3 : -1;
	uint32_t cp = more == 0 ? c : more == 1 ? c & 0x1f : more == 2 ? c & 0x0f : c & 0x07;

	(*i)++;
	if (more < 0)
		return 0xfffd;
	for (int k = 0; k < more; k++) {
		if (*i >= len || (s[*i] & 0xc0) != 0x80)
			return 0xfffd;
		cp = cp << 6 | (s[(*i)++] & 0x3f);
	}
	return cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0xfffd : cp;
}

static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* ---- .npy ------------------------------------------------------------------ */

/* An .npy file, format 1.0: magic, version, u16 header length, the header
 * dict padded with spaces to end in '\n' at a multiple of 64 bytes, data. */
static void npy_header(bytes *b, const char *descr, int ndim, const size_t *shape)
{
	char dict[512];
	size_t n, total;
	int len;

	len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
		       descr);
	/* as numpy writes it: (3,) for one dimension, (3, 2) for two */
	for (int k = 0; k < ndim; k++)
		len += snprintf(dict + len, sizeof dict - (size_t)len, "%s%zu%s", k ? ", " : "",
				shape[k], ndim == 1 ? "," : "");
	len += snprintf(dict + len, sizeof dict - (size_t)len, "), }");
	n = (size_t)len;
	total = (10 + n + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
	put(b, "\x93NUMPY\x01\x00", 8);
	put_u16(b, (unsigned)(total - 10));
	put(b, dict, n);
	while (b->len % NPY_ALIGN != NPY_ALIGN - 1 && !b->failed)
		put(b, " ", 1);
	put(b, "\n", 1);
}

/* One member's .npy bytes into @b (which starts empty). */
static int npy_build(const pp_npz_member *m, bytes *b, pp_error *err)
{
	if (m->text) {
		const unsigned char *s = (const unsigned char *)m->text;
		size_t len = strlen(m->text), chars = 0;
		char descr[32];
		for (size_t i = 0; i < len; chars++)
			utf8_next(s, len, &i);
		if (chars == 0)
			return pp_error_set(err, PP_ERR_INVALID, "member '%s': empty text", m->name);
		snprintf(descr, sizeof descr, "<U%zu", chars);
		npy_header(b, descr, 0, NULL);
		for (size_t i = 0; i < len;)
			put_u32(b, utf8_next(s, len, &i));
	} else {
		size_t count = 1;
		npy_header(b, "<f8", m->ndim, m->shape);
		for (int k = 0; k < m->ndim; k++)
			count *= m->shape[k];
		for (size_t i = 0; i < count; i++) {
			uint64_t u;
			memcpy(&u, &m->data[i], 8);
			put_u32(b, (uint32_t)u);
			put_u32(b, (uint32_t)(u >> 32));
		}
	}
	return b->failed ? pp_error_set(err, PP_ERR_NOMEM, "out of memory") : PP_OK;
}

/* The value after `'key':` in an .npy header dict; NULL when absent. */
static const char *dict_value(const char *h, const char *key)
{
	char quoted[32];
	const char *p;

	snprintf(quoted, sizeof quoted, "'%s'", key);
	p = strstr(h, quoted);
	if (!p)
		return NULL;
	p += strlen(quoted);
	while (*p == ' ')
		p++;
	if (*p != ':')
		return NULL;
	p++;
	while (*p == ' ')
		p++;
	return p;
}

/* descr, fortran_order and shape of the dict @h into @t; the item size
 * (8, or 4 per character) into *item. */
static int npy_parse_dict(const char *h, pp_model_tensor *t, size_t *item, const char *where,
			  pp_error *err)
{
	const char *d = dict_value(h, "descr"), *f = dict_value(h, "fortran_order"),
		   *s = dict_value(h, "shape");
	char descr[32];
	size_t n = 0;

	if (!d || !f || !s || (*d != '\'' && *d != '"'))
		return pp_error_set(err, PP_ERR_INVALID, "%s: not an .npy header dict", where);
	while (d[n + 1] && d[n + 1] != d[0] && n < sizeof descr - 1) {
		descr[n] = d[n + 1];
		n++;
	}
	descr[n] = '\0';
	if (strncmp(f, "False", 5) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "%s: Fortran order; phasepinn reads C order only",
				    where);
	if (strcmp(descr, "<f8") == 0) {
		t->is_text = 0;
		*item = 8;
	} else if (descr[0] == '<' && descr[1] == 'U' && descr[2] >= '1' && descr[2] <= '9' &&
		   strspn(descr + 2, "0123456789") == strlen(descr + 2)) {
		t->is_text = 1;
		*item = 4 * strtoul(descr + 2, NULL, 10);
	} else {
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: dtype '%s'; phasepinn reads float64 ('<f8') and text ('<U') arrays",
				    where, descr);
	}
	if (*s != '(')
		return pp_error_set(err, PP_ERR_INVALID, "%s: shape is not a tuple", where);
	s++;
	t->ndim = 0;
	t->count = 1;
	for (;;) {
		char *end;
		unsigned long long v;
		while (*s == ' ' || *s == ',')
			s++;
		if (*s == ')')
			break;
		v = strtoull(s, &end, 10);
		if (end == s || t->ndim == PP_MODEL_MAX_DIMS || v > (1ull << 40))
			return pp_error_set(err, PP_ERR_INVALID, "%s: bad or too large shape", where);
		t->shape[t->ndim++] = (size_t)v;
		if (v && t->count > ((size_t)1 << 40) / v)
			return pp_error_set(err, PP_ERR_INVALID, "%s: shape too large", where);
		t->count *= (size_t)v;
		s = end;
	}
	if (t->is_text && t->ndim != 0)
		return pp_error_set(err, PP_ERR_INVALID, "%s: a text member must be 0-d", where);
	return PP_OK;
}

/* The text of a '<U' array: UCS-4 code points to UTF-8, trailing NULs (numpy's
 * padding) dropped, an embedded NUL refused. */
static int npy_text(const unsigned char *p, size_t chars, pp_model_tensor *t, const char *where,
		    pp_error *err)
{
	size_t used = chars, o = 0;

	while (used > 0 && get_u32(p + 4 * (used - 1)) == 0)
		used--;
	t->text = malloc(4 * used + 1);
	if (!t->text)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < used; i++) {
		uint32_t cp = get_u32(p + 4 * i);
		if (cp == 0 || cp > 0x10ffff)
			return pp_error_set(err, PP_ERR_INVALID, "%s: character %zu is not text", where, i);
		o += utf8_put(cp, t->text + o);
	}
	t->text[o] = '\0';
	return PP_OK;
}

static int npy_parse(const unsigned char *p, size_t len, pp_model_tensor *t, const char *where,
		     pp_error *err)
{
	size_t hlen, start, item = 0, need;
	char *dict;
	int rc;

	if (len < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "%s: not an .npy array (no \\x93NUMPY magic)",
				    where);
	if (p[6] == 1) {
		hlen = get_u16(p + 8);
		start = 10;
	} else if ((p[6] == 2 || p[6] == 3) && len >= 12) {
		hlen = get_u32(p + 8);
		start = 12;
	} else {
		return pp_error_set(err, PP_ERR_INVALID, "%s: .npy format version %d.%d", where, p[6],
				    p[7]);
	}
	if (hlen > len - start || hlen > 65536)
		return pp_error_set(err, PP_ERR_INVALID, "%s: .npy header runs past the member", where);
	dict = malloc(hlen + 1);
	if (!dict)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	memcpy(dict, p + start, hlen);
	dict[hlen] = '\0';
	rc = npy_parse_dict(dict, t, &item, where, err);
	free(dict);
	if (rc)
		return rc;
	start += hlen;
	need = t->count * item;
	if (len - start != need)
		return pp_error_set(err, PP_ERR_INVALID, "%s: %zu data bytes, the shape needs %zu", where,
				    len - start, need);
	if (t->is_text)
		return npy_text(p + start, item / 4, t, where, err);
	t->data = malloc((t->count ? t->count : 1) * sizeof *t->data);
	if (!t->data)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < t->count; i++) {
		uint64_t u = (uint64_t)get_u32(p + start + 8 * i) |
			     (uint64_t)get_u32(p + start + 8 * i + 4) << 32;
		memcpy(&t->data[i], &u, 8);
	}
	return PP_OK;
}

/* ---- the ZIP container ------------------------------------------------------ */

typedef struct zip_entry {
	uint32_t crc, size, offset;
	char name[160];
} zip_entry;

/* Local header (APPNOTE 4.3.7): STORED, no flags, 1980-01-01, no extra. */
static void zip_local(bytes *b, const zip_entry *e)
{
	put_u32(b, ZIP_LOCAL_SIG);
	put_u16(b, 20);                 /* version needed: 2.0 */
	put_u16(b, 0);                  /* flags */
	put_u16(b, 0);                  /* method: stored */
	put_u16(b, 0);                  /* time 00:00 */
	put_u16(b, ZIP_DATE_1980);
	put_u32(b, e->crc);
	put_u32(b, e->size);            /* compressed */
	put_u32(b, e->size);            /* uncompressed */
	put_u16(b, (unsigned)strlen(e->name));
	put_u16(b, 0);                  /* extra */
	put(b, e->name, strlen(e->name));
}

/* Central directory header (APPNOTE 4.3.12), made by UNIX, mode 0644. */
static void zip_central(bytes *b, const zip_entry *e)
{
	put_u32(b, ZIP_CENTRAL_SIG);
	put_u16(b, 3u << 8 | 20);       /* made by: UNIX, 2.0 */
	put_u16(b, 20);
	put_u16(b, 0);
	put_u16(b, 0);
	put_u16(b, 0);
	put_u16(b, ZIP_DATE_1980);
	put_u32(b, e->crc);
	put_u32(b, e->size);
	put_u32(b, e->size);
	put_u16(b, (unsigned)strlen(e->name));
	put_u16(b, 0);                  /* extra */
	put_u16(b, 0);                  /* comment */
	put_u16(b, 0);                  /* disk */
	put_u16(b, 0);                  /* internal attributes */
	put_u32(b, 0100644u << 16);     /* external: a regular file, rw-r--r-- */
	put_u32(b, e->offset);
	put(b, e->name, strlen(e->name));
}

int pp_npz_build(const pp_npz_member *members, int n, unsigned char **buf, size_t *len,
		 pp_error *err)
{
	bytes out = {0};
	zip_entry *entries = calloc((size_t)(n > 0 ? n : 1), sizeof *entries);
	size_t cd_start;
	int rc = PP_OK;

	*buf = NULL;
	*len = 0;
	if (!entries)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	for (int k = 0; k < n && !rc; k++) {
		bytes npy = {0};
		zip_entry *e = &entries[k];
		if (strlen(members[k].name) + 5 > sizeof e->name) {
			rc = pp_error_set(err, PP_ERR_INVALID, "member name '%s' too long",
					  members[k].name);
			break;
		}
		snprintf(e->name, sizeof e->name, "%s.npy", members[k].name);
		rc = npy_build(&members[k], &npy, err);
		if (!rc && (npy.len > UINT32_MAX || out.len > UINT32_MAX - npy.len - 256))
			rc = pp_error_set(err, PP_ERR_INVALID,
					  "member '%s': the archive would pass 4 GiB (no ZIP64)",
					  members[k].name);
		if (!rc) {
			e->crc = pp_crc32(0, npy.p, npy.len);
			e->size = (uint32_t)npy.len;
			e->offset = (uint32_t)out.len;
			zip_local(&out, e);
			put(&out, npy.p, npy.len);
		}
		free(npy.p);
	}
	cd_start = out.len;
	for (int k = 0; k < n && !rc; k++)
		zip_central(&out, &entries[k]);
	if (!rc) {
		/* end of central directory (APPNOTE 4.3.16) */
		put_u32(&out, ZIP_END_SIG);
		put_u16(&out, 0);
		put_u16(&out, 0);
		put_u16(&out, (unsigned)n);
		put_u16(&out, (unsigned)n);
		put_u32(&out, (uint32_t)(out.len - 12 - cd_start));
		put_u32(&out, (uint32_t)cd_start);
		put_u16(&out, 0);
		if (out.failed)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	free(entries);
	if (rc) {
		free(out.p);
		return rc;
	}
	*buf = out.p;
	*len = out.len;
	return PP_OK;
}

void pp_npz_free_tensors(pp_model_tensor *tensors, int n)
{
	for (int k = 0; tensors && k < n; k++) {
		free(tensors[k].data);
		free(tensors[k].text);
	}
	free(tensors);
}

/* The end-of-central-directory record: the last one, which may be followed
 * by a comment of up to 65535 bytes.  Its offset, or -1. */
static long zip_find_end(const unsigned char *buf, size_t len)
{
	if (len < 22)
		return -1;
	for (size_t back = 0; back <= 65535 && back + 22 <= len; back++) {
		size_t at = len - 22 - back;
		if (get_u32(buf + at) == ZIP_END_SIG && get_u16(buf + at + 20) == back)
			return (long)at;
	}
	return -1;
}

/* One central directory entry at @p (bounds checked by the caller for the
 * fixed part): its member's data, checked, parsed into @t. */
static int zip_member(const unsigned char *buf, size_t len, const unsigned char *p,
		      size_t room, const char *name, pp_model_tensor *t, pp_error *err)
{
	unsigned flags = get_u16(p + 8), method = get_u16(p + 10), nlen = get_u16(p + 28);
	uint32_t crc = get_u32(p + 16), csize = get_u32(p + 20), usize = get_u32(p + 24);
	size_t off = get_u32(p + 42), data;
	char where[512];

	if (46 + nlen + (size_t)get_u16(p + 30) + get_u16(p + 32) > room || nlen < 5 ||
	    nlen >= sizeof t->name + 4)
		return pp_error_set(err, PP_ERR_INVALID, "%s: a bad central directory entry", name);
	if (memcmp(p + 46 + nlen - 4, ".npy", 4) != 0 || memchr(p + 46, 0, nlen))
		return pp_error_set(err, PP_ERR_INVALID, "%s: member '%.*s' is not an .npy file",
				    name, (int)nlen, (const char *)p + 46);
	memcpy(t->name, p + 46, nlen - 4);
	t->name[nlen - 4] = '\0';
	snprintf(where, sizeof where, "%s, member '%s.npy'", name, t->name);
	if (flags & 1)
		return pp_error_set(err, PP_ERR_INVALID, "%s: encrypted", where);
	if (method != 0 || csize != usize)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: compressed (method %u); phasepinn reads STORED members (np.savez, not savez_compressed)",
				    where, method);
	if (off > len - 30 || get_u32(buf + off) != ZIP_LOCAL_SIG)
		return pp_error_set(err, PP_ERR_INVALID, "%s: no local header at offset %zu", where, off);
	data = off + 30 + get_u16(buf + off + 26) + get_u16(buf + off + 28);
	if (data > len || csize > len - data)
		return pp_error_set(err, PP_ERR_INVALID, "%s: truncated (%u bytes at %zu of %zu)", where,
				    csize, data, len);
	if (pp_crc32(0, buf + data, csize) != crc)
		return pp_error_set(err, PP_ERR_INVALID, "%s: CRC-32 mismatch (the file is corrupted)",
				    where);
	return npy_parse(buf + data, csize, t, where, err);
}

int pp_npz_parse(const unsigned char *buf, size_t len, const char *name,
		 pp_model_tensor **tensors, int *n, pp_error *err)
{
	long end = zip_find_end(buf, len);
	size_t count, cd_size, cd_off, pos;
	pp_model_tensor *t;
	int rc = PP_OK;

	*tensors = NULL;
	*n = 0;
	if (end < 0)
		return pp_error_set(err, PP_ERR_INVALID, "%s: not a ZIP (.npz) archive", name);
	count = get_u16(buf + end + 10);
	cd_size = get_u32(buf + end + 12);
	cd_off = get_u32(buf + end + 16);
	if (count == 0 || count > MAX_MEMBERS || cd_off > (size_t)end ||
	    cd_size > (size_t)end - cd_off || get_u16(buf + end + 8) != count)
		return pp_error_set(err, PP_ERR_INVALID, "%s: a bad central directory (%zu members)",
				    name, count);
	t = calloc(count, sizeof *t);
	if (!t)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	pos = cd_off;
	for (size_t k = 0; k < count && !rc; k++) {
		size_t room = cd_off + cd_size - pos;
		if (room < 46 || get_u32(buf + pos) != ZIP_CENTRAL_SIG) {
			rc = pp_error_set(err, PP_ERR_INVALID, "%s: central directory entry %zu is bad",
					  name, k);
			break;
		}
		rc = zip_member(buf, len, buf + pos, room, name, &t[k], err);
		for (size_t j = 0; !rc && j < k; j++)
			if (strcmp(t[j].name, t[k].name) == 0)
				rc = pp_error_set(err, PP_ERR_INVALID, "%s: member '%s' twice", name,
						  t[k].name);
		pos += 46 + get_u16(buf + pos + 28) + get_u16(buf + pos + 30) + get_u16(buf + pos + 32);
	}
	if (rc) {
		pp_npz_free_tensors(t, (int)count);
		return rc;
	}
	*tensors = t;
	*n = (int)count;
	return PP_OK;
}

/* ---- the metadata ------------------------------------------------------------ */

static const char *const act_names[] = {"tanh", "sin", "gelu"};
static const char *const kind_names[] = {"identity", "cos", "sin"};

/* A JSON number that reads back as the same double. */
static void put_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else
		fputs("null", f);
}

/* The embedding's origin: the periodic rows (leading, nonzero in the
 * periodic input, which random Fourier rows leave out) and the random
 * ones after them; B itself holds the numbers. */
static void put_embedding(FILE *f, const pp_experiment *exp)
{
	const pp_network *net = exp->net;
	const pp_config *emb = pp_config_get(pp_config_get(exp->root, "network"), "embedding");
	const pp_config *per = pp_config_get(emb, "periodic"), *rff = pp_config_get(emb, "random_fourier");
	int p = exp->pde.periodic_input, n_per = 0, n_trig = 0;
	double period, scale = 1.0;

	if (per && pp_config_text(pp_config_get(per, "input")))
		for (int i = 0; i < exp->pde.n_inputs; i++)
			if (strcmp(exp->pde.input_names[i], pp_config_text(pp_config_get(per, "input"))) == 0)
				p = i;
	if (!per && exp->pde.periodic_input < 0)
		p = -1;
	for (int j = 0; j < net->n_features; j++) {
		n_trig += net->features[j].trig != 0;
		if (p >= 0 && j == n_per && net->features[j].trig && net->features[j].b[p] != 0)
			n_per++;
	}
	fputs("{\"features\": [", f);
	for (int j = 0; j < net->n_features; j++)
		fprintf(f, "%s\"%s\"", j ? ", " : "", kind_names[net->features[j].trig]);
	fputs("], \"periodic\": ", f);
	if (p >= 0 && n_per > 0) {
		period = exp->pde.hi[p] - exp->pde.lo[p];
		if (pp_config_get(per, "period"))
			pp_config_node_double(pp_config_get(per, "period"), &period, NULL);
		fputs("{\"input\": ", f);
		pp_json_write_string(f, exp->pde.input_names[p]);
		fputs(", \"period\": ", f);
		put_number(f, period);
		fprintf(f, ", \"harmonics\": %d}", n_per / 2);
	} else {
		fputs("null", f);
	}
	fputs(", \"random_fourier\": ", f);
	if (rff && n_trig > n_per) {
		if (pp_config_get(rff, "scale"))
			pp_config_node_double(pp_config_get(rff, "scale"), &scale, NULL);
		fprintf(f, "{\"features\": %d, \"scale\": ", (n_trig - n_per) / 2);
		put_number(f, scale);
		fputs("}", f);
	} else {
		fputs("null", f);
	}
	fputs("}", f);
}

static void put_hard(FILE *f, const pp_experiment *exp, int k)
{
	const hard_spec *h = &exp->net->hard[k];
	int first = 1;

	fputs("{\"output\": ", f);
	pp_json_write_string(f, pp_pde_output_name(&exp->pde, k));
	if (h->kind == HARD_NONE) {
		fputs(", \"type\": \"none\"}", f);
		return;
	}
	if (h->kind == HARD_PLUGIN) {
		fputs(", \"type\": \"transform\", \"name\": ", f);
		pp_json_write_string(f, exp->pde.transforms[h->transform].name);
		fputs("}", f);
		return;
	}
	fputs(", \"type\": \"dirichlet_box\", \"inputs\": [", f);
	for (int i = 0; i < exp->net->n_inputs; i++) {
		if (!(h->inputs & (1u << i)))
			continue;
		fputs(first ? "" : ", ", f);
		pp_json_write_string(f, exp->pde.input_names[i]);
		first = 0;
	}
	fputs("], \"input_index\": [", f);
	first = 1;
	for (int i = 0; i < exp->net->n_inputs; i++)
		if (h->inputs & (1u << i)) {
			fprintf(f, "%s%d", first ? "" : ", ", i);
			first = 0;
		}
	fputs("], \"value\": ", f);
	put_number(f, h->value);
	for (int side = 0; side < 2; side++) {
		fputs(side ? ", \"hi\": [" : ", \"lo\": [", f);
		first = 1;
		for (int i = 0; i < exp->net->n_inputs; i++)
			if (h->inputs & (1u << i)) {
				fputs(first ? "" : ", ", f);
				put_number(f, side ? h->hi[i] : h->lo[i]);
				first = 0;
			}
		fputs("]", f);
	}
	fputs("}", f);
}

/* Index of @exp's trainable setup for PDE coefficient @c, or -1. */
static int trainable_of(const pp_experiment *exp, int c)
{
	for (int t = 0; t < exp->n_trainable; t++)
		if (exp->trainable[t].index == c)
			return t;
	return -1;
}

static void put_coefficients(FILE *f, const pp_experiment *exp)
{
	static const char *const maps[] = {"plain", "log", "bounded", "bounded_log"};
	const pp_real *p = pp_network_params_const(exp->net);
	size_t base = pp_network_param_count(exp->net) - pp_network_extra_count(exp->net);

	fputs("[", f);
	for (int c = 0; c < exp->pde.n_coefficients; c++) {
		int t = trainable_of(exp, c);
		fputs(c ? ", {\"name\": " : "{\"name\": ", f);
		pp_json_write_string(f, exp->pde.coefficients[c].name);
		if (t < 0) {
			fputs(", \"value\": ", f);
			put_number(f, exp->pde.coefficients[c].value);
			fputs(", \"trainable\": false}", f);
			continue;
		}
		const pp_coef_setup *s = &exp->trainable[t];
		double raw = (double)p[base + (size_t)t];
		fputs(", \"value\": ", f);
		put_number(f, pp_coef_value(s, raw, NULL));
		fputs(", \"trainable\": true, \"raw\": ", f);
		put_number(f, raw);
		fprintf(f, ", \"map\": \"%s\"", maps[s->log + 2 * s->bounded]);
		if (s->bounded) {
			fputs(", \"lo\": ", f);
			put_number(f, s->lo);
			fputs(", \"hi\": ", f);
			put_number(f, s->hi);
		}
		fputs("}", f);
	}
	fputs("]", f);
}

static const char *const arch_names[] = {"mlp", "modified_mlp", "pirate"};

/* One dense layer of the model file: its member prefix ("layer0", "gate_u")
 * and its index in net->layers. */
typedef struct model_layer {
	char prefix[16];
	int index;
} model_layer;

/* The chain's layers, then U and V of the gated architectures. */
static int model_layers(const pp_network *net, model_layer *out)
{
	int n = 0;

	for (int l = 0; l < net->n_layers; l++, n++) {
		snprintf(out[n].prefix, sizeof out[n].prefix, "layer%d", l);
		out[n].index = l;
	}
	if (net->arch != ARCH_MLP) {
		snprintf(out[n].prefix, sizeof out[n].prefix, "gate_u");
		out[n++].index = GATE_U(net);
		snprintf(out[n].prefix, sizeof out[n].prefix, "gate_v");
		out[n++].index = GATE_V(net);
	}
	return n;
}

static void put_architecture(FILE *f, const pp_network *net)
{
	model_layer ml[PP_MAX_LAYERS];
	int n = model_layers(net, ml);

	fprintf(f, "{\"type\": \"%s\", \"activation\": \"%s\", \"factorized\": %s, ",
		arch_names[net->arch], act_names[net->act], net->factorized ? "true" : "false");
	if (net->arch == ARCH_PIRATE)
		fprintf(f, "\"blocks\": %d, ", net->n_blocks);
	fputs("\"widths\": [", f);
	for (int l = 0; l <= net->n_layers; l++)
		fprintf(f, "%s%d", l ? ", " : "", net->width[l]);
	fputs("], \"tensors\": [\"features.B\"", f);
	for (int k = 0; k < n; k++) {
		fprintf(f, ", \"%s.W\", \"%s.b\"", ml[k].prefix, ml[k].prefix);
		if (net->factorized)
			fprintf(f, ", \"%s.s\"", ml[k].prefix);
	}
	if (net->arch == ARCH_PIRATE)
		fputs(", \"alpha\"", f);
	fputs("]}", f);
}

static void put_metadata(FILE *f, const pp_experiment *exp, long step)
{
	const pp_pde_info *pde = &exp->pde;

	fprintf(f, "{\n  \"format\": \"phasepinn-model\",\n  \"format_version\": %d,\n",
		PP_MODEL_FORMAT_VERSION);
	fputs("  \"phasepinn_version\": ", f);
	pp_json_write_string(f, PP_VERSION);
	fputs(",\n  \"pde\": ", f);
	pp_json_write_string(f, exp->pde_plugin->name);
	fputs(",\n  \"inputs\": [", f);
	for (int i = 0; i < pde->n_inputs; i++) {
		fputs(i ? ", {\"name\": " : "{\"name\": ", f);
		pp_json_write_string(f, pde->input_names[i]);
		fputs(", \"lo\": ", f);
		put_number(f, pde->lo[i]);
		fputs(", \"hi\": ", f);
		put_number(f, pde->hi[i]);
		fputs("}", f);
	}
	fputs("],\n  \"time_input\": ", f);
	if (pde->time_input >= 0)
		pp_json_write_string(f, pde->input_names[pde->time_input]);
	else
		fputs("null", f);
	fputs(",\n  \"outputs\": [", f);
	for (int k = 0; k < pp_pde_output_count(pde); k++) {
		fputs(k ? ", " : "", f);
		pp_json_write_string(f, pp_pde_output_name(pde, k));
	}
	fputs("],\n  \"architecture\": ", f);
	put_architecture(f, exp->net);
	fputs(",\n  \"embedding\": ", f);
	put_embedding(f, exp);
	fputs(",\n  \"hard\": [", f);
	for (int k = 0; k < exp->net->n_outputs; k++) {
		fputs(k ? ",\n    " : "\n    ", f);
		put_hard(f, exp, k);
	}
	fputs("],\n  \"coefficients\": ", f);
	put_coefficients(f, exp);
	fprintf(f, ",\n  \"parameters\": %zu,\n  \"run\": {\"name\": ",
		pp_network_param_count(exp->net));
	pp_json_write_string(f, exp->name);
	fputs(", \"experiment\": ", f);
	pp_json_write_string(f, exp->path);
	fprintf(f, ", \"step\": %ld},\n  \"started_from\": ", step);
	if (exp->init_from) {
		fputs("{\"run\": ", f);
		pp_json_write_string(f, exp->init_from);
		fputs(", \"file\": \"" PP_RUN_MODEL "\"", f);
		fputs(", \"step\": ", f);
		if (exp->init_from_step >= 0)
			fprintf(f, "%ld}", exp->init_from_step);
		else
			fputs("null}", f);
	} else {
		fputs("null", f);
	}
	fputs("\n}\n", f);
}

/* ---- writing the model --------------------------------------------------------- */

/* The float64 members, in the order put_architecture lists them: one
 * allocation for the data, cut into the members (names in @names). */
typedef struct model_members {
	pp_npz_member m[3 * (PP_MAX_LAYERS + 2) + 3];
	char names[3 * (PP_MAX_LAYERS + 2) + 3][24];
	int n;
	double *data;
} model_members;

static double *add_member(model_members *mm, double *at, const char *name, size_t rows,
			  size_t cols)
{
	pp_npz_member *m = &mm->m[mm->n];

	snprintf(mm->names[mm->n], sizeof mm->names[0], "%s", name);
	*m = (pp_npz_member){.name = mm->names[mm->n], .ndim = cols ? 2 : 1,
			     .shape = {rows, cols}, .data = at};
	mm->n++;
	return at + rows * (cols ? cols : 1);
}

/* Layer @ml's W (e^s·V when factorised: what an evaluator multiplies by),
 * b and (factorised) s. */
static double *put_layer(const pp_network *net, const model_layer *ml, model_members *mm,
			 double *at)
{
	const pp_layer_view *v = &net->layers[ml->index];
	const pp_real *p = net->params;
	char name[24];
	double *w = at, *b, *s;

	snprintf(name, sizeof name, "%.15s.W", ml->prefix);
	b = add_member(mm, w, name, (size_t)v->fan_out, (size_t)v->fan_in);
	snprintf(name, sizeof name, "%.15s.b", ml->prefix);
	s = add_member(mm, b, name, (size_t)v->fan_out, 0);
	for (int k = 0; k < v->fan_out; k++) {
		double e = net->factorized ? exp((double)p[net->scale_offset[ml->index] + (size_t)k])
					   : 1.0;
		for (int j = 0; j < v->fan_in; j++) {
			size_t at_kj = (size_t)k * (size_t)v->fan_in + (size_t)j;
			w[at_kj] = e * (double)p[v->weight_offset + at_kj];
		}
		b[k] = (double)p[v->bias_offset + (size_t)k];
	}
	if (!net->factorized)
		return s;
	snprintf(name, sizeof name, "%.15s.s", ml->prefix);
	for (int k = 0; k < v->fan_out; k++)
		s[k] = (double)p[net->scale_offset[ml->index] + (size_t)k];
	return add_member(mm, s, name, (size_t)v->fan_out, 0);
}

static int model_tensors(const pp_network *net, model_members *mm)
{
	model_layer ml[PP_MAX_LAYERS];
	int n = model_layers(net, ml);
	size_t total = (size_t)net->n_features * (size_t)net->n_inputs + (size_t)net->n_blocks;
	double *at;

	for (int k = 0; k < n; k++) {
		const pp_layer_view *v = &net->layers[ml[k].index];
		total += (size_t)v->fan_out * (size_t)(v->fan_in + 1 + (net->factorized ? 1 : 0));
	}
	mm->n = 0;
	mm->data = calloc(total ? total : 1, sizeof *mm->data);
	if (!mm->data)
		return PP_ERR_NOMEM;
	at = add_member(mm, mm->data, "features.B", (size_t)net->n_features, (size_t)net->n_inputs);
	for (int j = 0; j < net->n_features; j++) {
		const feature *fe = &net->features[j];
		double *row = mm->data + (size_t)j * (size_t)net->n_inputs;
		for (int i = 0; i < net->n_inputs; i++)
			row[i] = fe->trig ? fe->b[i] : (i == fe->input ? 1.0 : 0.0);
	}
	for (int k = 0; k < n; k++)
		at = put_layer(net, &ml[k], mm, at);
	if (net->arch == ARCH_PIRATE) {
		double *alpha = at;
		int q = 0;
		for (int l = 1; l < net->n_layers; l++)
			if (net->mixed[l])
				alpha[q++] = (double)net->params[net->alpha_offset[l]];
		add_member(mm, alpha, "alpha", (size_t)net->n_blocks, 0);
	}
	return PP_OK;
}

int pp_model_write(const pp_experiment *exp, long step, const char *path, pp_error *err)
{
	const pp_network *net = exp->net;
	model_members *mm = calloc(1, sizeof *mm);
	pp_npz_member *all = NULL;
	char *meta = NULL;
	size_t meta_len = 0, len = 0;
	unsigned char *buf = NULL;
	FILE *mf;
	pp_atomic_file af;
	int rc;

	if (!mm || model_tensors(net, mm)) {
		free(mm);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	all = calloc((size_t)mm->n + 1, sizeof *all);
	mf = all ? open_memstream(&meta, &meta_len) : NULL;
	if (!mf) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
		goto out;
	}
	put_metadata(mf, exp, step);
	if (fclose(mf) != 0) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
		goto out;
	}
	all[0] = (pp_npz_member){.name = "metadata", .text = meta};
	memcpy(all + 1, mm->m, (size_t)mm->n * sizeof *all);
	rc = pp_npz_build(all, mm->n + 1, &buf, &len, err);
	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (!rc) {
		if (fwrite(buf, 1, len, af.f) != len) {
			pp_atomic_abort(&af);
			rc = pp_error_set(err, PP_ERR_IO, "cannot write %s", path);
		} else {
			rc = pp_atomic_commit(&af, err);
		}
	}
out:
	free(buf);
	free(meta);
	free(all);
	free(mm->data);
	free(mm);
	return rc;
}

int pp_model_write_run(const pp_experiment *exp, long step, pp_error *err)
{
	char path[4096];
	int rc = pp_path_join(path, sizeof path, exp->run_dir, PP_RUN_MODEL, err);

	return rc ? rc : pp_model_write(exp, step, path, err);
}

/* ---- reading the model ------------------------------------------------------------ */

static int read_whole(const char *path, unsigned char **buf, size_t *len, pp_error *err)
{
	struct stat st;
	pp_open_fault fault;
	int fd = pp_open_regular(path, 1, &st, &fault);

	*buf = NULL;
	if (fd < 0) {
		if (fault == PP_OPEN_NOT_REGULAR)
			return pp_error_set(err, PP_ERR_IO, "%s: %s, not a model file", path,
					    pp_file_kind(st.st_mode));
		return pp_error_set(err, PP_ERR_IO, "%s: %s", path, strerror(errno));
	}
	if ((size_t)st.st_size > MAX_FILE_BYTES) {
		close(fd);
		return pp_error_set(err, PP_ERR_INVALID, "%s: %lld bytes, more than a model file holds",
				    path, (long long)st.st_size);
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		close(fd);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	if (*len && pp_read_at(fd, *buf, *len, 0) != 0) {
		close(fd);
		free(*buf);
		*buf = NULL;
		return pp_error_set(err, PP_ERR_IO, "%s: cannot read it", path);
	}
	close(fd);
	return PP_OK;
}

const pp_model_tensor *pp_model_tensor_find(const pp_model *m, const char *name)
{
	for (int k = 0; k < m->n_tensors; k++)
		if (strcmp(m->tensors[k].name, name) == 0)
			return &m->tensors[k];
	return NULL;
}

static const char *json_string(const pp_json *v)
{
	return v && v->type == PP_JSON_STRING ? v->text : NULL;
}

long pp_model_step(const pp_model *m)
{
	const pp_json *s = pp_json_get(pp_json_get(m->meta, "run"), "step");

	return s && s->type == PP_JSON_NUMBER ? (long)s->number : -1;
}

void pp_model_free(pp_model *m)
{
	if (!m)
		return;
	pp_npz_free_tensors(m->tensors, m->n_tensors);
	pp_json_free(m->meta);
	free(m);
}

int pp_model_read(const char *path, pp_model **out, pp_error *err)
{
	pp_model *m = calloc(1, sizeof *m);
	const pp_model_tensor *meta;
	const pp_json *fmt, *ver;
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!m)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	snprintf(m->path, sizeof m->path, "%s", path);
	rc = read_whole(path, &buf, &len, err);
	if (!rc)
		rc = pp_npz_parse(buf, len, path, &m->tensors, &m->n_tensors, err);
	free(buf);
	if (rc)
		goto fail;
	meta = pp_model_tensor_find(m, "metadata");
	if (!meta || !meta->is_text) {
		rc = pp_error_set(err, PP_ERR_INVALID, "%s: no text member 'metadata'; not a phasepinn model file",
				  path);
		goto fail;
	}
	rc = pp_json_parse(meta->text, strlen(meta->text), path, &m->meta, err);
	if (rc)
		goto fail;
	fmt = pp_json_get(m->meta, "format");
	ver = pp_json_get(m->meta, "format_version");
	if (!json_string(fmt) || strcmp(fmt->text, "phasepinn-model") != 0 || !ver ||
	    ver->type != PP_JSON_NUMBER) {
		rc = pp_error_set(err, PP_ERR_INVALID, "%s: its metadata is not a phasepinn model's", path);
		goto fail;
	}
	if (ver->number > PP_MODEL_FORMAT_VERSION) {
		rc = pp_error_set(err, PP_ERR_INVALID,
				  "%s: model format version %g, newer than this phasepinn's %d; update phasepinn",
				  path, ver->number, PP_MODEL_FORMAT_VERSION);
		goto fail;
	}
	*out = m;
	return PP_OK;
fail:
	pp_model_free(m);
	return rc;
}

/* ---- loading into a network ---------------------------------------------------------- */

/* "inputs (x, t), features 2 identity + 0 cos/sin, layers [50, 50] tanh,
 * outputs (u)": what must match, for the error message. */
static void describe_shape(char *buf, size_t size, const char *const *inputs, int n_in,
			   int n_ident, int n_trig, const int *widths, int n_widths,
			   const char *act, const char *const *outputs, int n_out)
{
	size_t len;

	snprintf(buf, size, "inputs (");
	for (int i = 0; i < n_in; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i ? ", " : "", inputs[i]);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "), features %d identity + %d cos/sin, layers [", n_ident,
		 n_trig);
	for (int l = 1; l + 1 < n_widths; l++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%d", l > 1 ? ", " : "", widths[l]);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "] %s, outputs (", act);
	for (int k = 0; k < n_out; k++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", k ? ", " : "", outputs[k]);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, ")");
}

static void network_shape(const pp_experiment *exp, char *buf, size_t size)
{
	const pp_network *net = exp->net;
	const char *outs[PP_MAX_OUTPUTS];
	int n_ident = 0;

	for (int j = 0; j < net->n_features; j++)
		n_ident += net->features[j].trig == 0;
	for (int k = 0; k < net->n_outputs; k++)
		outs[k] = pp_pde_output_name(&exp->pde, k);
	describe_shape(buf, size, exp->pde.input_names, net->n_inputs, n_ident,
		       net->n_features - n_ident, net->width, net->n_layers + 1,
		       act_names[net->act], outs, net->n_outputs);
}

/* The file's shape as network_shape words it; PP_ERR_INVALID when the
 * metadata lacks a field. */
static int file_shape(const pp_model *m, char *buf, size_t size, pp_error *err)
{
	const pp_json *arch = pp_json_get(m->meta, "architecture");
	const pp_json *in = pp_json_get(m->meta, "inputs"), *out = pp_json_get(m->meta, "outputs");
	const pp_json *w = pp_json_get(arch, "widths");
	const pp_json *kinds = pp_json_get(pp_json_get(m->meta, "embedding"), "features");
	const char *act = json_string(pp_json_get(arch, "activation"));
	const char *inputs[PP_MAX_INPUTS], *outputs[PP_MAX_OUTPUTS];
	int widths[PP_MAX_LAYERS + 1], n_ident = 0;

	if (!in || in->type != PP_JSON_ARRAY || in->n > PP_MAX_INPUTS || !out ||
	    out->type != PP_JSON_ARRAY || out->n > PP_MAX_OUTPUTS || !w ||
	    w->type != PP_JSON_ARRAY || w->n < 2 || w->n > PP_MAX_LAYERS + 1 || !act || !kinds ||
	    kinds->type != PP_JSON_ARRAY)
		return pp_error_set(err, PP_ERR_INVALID, "%s: its metadata lacks the network's shape",
				    m->path);
	for (size_t i = 0; i < in->n; i++)
		inputs[i] = json_string(pp_json_get(&in->items[i], "name")) ?
			    json_string(pp_json_get(&in->items[i], "name")) : "?";
	for (size_t k = 0; k < out->n; k++)
		outputs[k] = json_string(&out->items[k]) ? out->items[k].text : "?";
	for (size_t l = 0; l < w->n; l++)
		widths[l] = w->items[l].type == PP_JSON_NUMBER ? (int)w->items[l].number : -1;
	for (size_t j = 0; j < kinds->n; j++)
		n_ident += json_string(&kinds->items[j]) && strcmp(kinds->items[j].text, "identity") == 0;
	describe_shape(buf, size, inputs, (int)in->n, n_ident, (int)kinds->n - n_ident, widths,
		       (int)w->n, act, outputs, (int)out->n);
	return PP_OK;
}

/* The member @name, a float64 array of @rows × @cols (cols 0: a vector). */
static const pp_model_tensor *want_tensor(const pp_model *m, const char *name, size_t rows,
					  size_t cols, pp_error *err)
{
	const pp_model_tensor *t = pp_model_tensor_find(m, name);
	int ndim = cols ? 2 : 1;

	if (!t || t->is_text) {
		pp_error_set(err, PP_ERR_INVALID, "%s: no float64 member '%s'", m->path, name);
		return NULL;
	}
	if (t->ndim != ndim || t->shape[0] != rows || (cols && t->shape[1] != cols)) {
		pp_error_set(err, PP_ERR_INVALID, "%s: member '%s' has shape (%zu%s%zu), the network needs (%zu%s%zu)",
			     m->path, name, t->ndim ? t->shape[0] : 0, t->ndim > 1 ? ", " : "",
			     t->ndim > 1 ? t->shape[1] : 0, rows, cols ? ", " : "", cols);
		return NULL;
	}
	return t;
}

/* Feature kinds in the same order, and identity rows of B picking the same
 * inputs; then the frequencies of the cos/sin rows into the network. */
static int load_features(const pp_model *m, pp_network *net, pp_error *err)
{
	const pp_json *kinds = pp_json_get(pp_json_get(m->meta, "embedding"), "features");
	const pp_model_tensor *B = want_tensor(m, "features.B", (size_t)net->n_features,
					       (size_t)net->n_inputs, err);

	if (!B)
		return err->code;
	for (int j = 0; j < net->n_features; j++) {
		feature *f = &net->features[j];
		const double *row = B->data + (size_t)j * (size_t)net->n_inputs;
		const char *k = json_string(&kinds->items[j]);
		if (!k || strcmp(k, kind_names[f->trig]) != 0)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "%s: feature %d is '%s', the network's is '%s' (another embedding)",
					    m->path, j, k ? k : "?", kind_names[f->trig]);
		if (f->trig == 0) {
			for (int i = 0; i < net->n_inputs; i++)
				if (row[i] != (i == f->input ? 1.0 : 0.0))
					return pp_error_set(err, PP_ERR_CONFIG,
							    "%s: feature %d does not pick input %d as the network's does",
							    m->path, j, f->input);
			continue;
		}
		for (int i = 0; i < net->n_inputs; i++)
			f->b[i] = row[i];
	}
	return PP_OK;
}

static int load_layers(const pp_model *m, pp_network *net, pp_error *err)
{
	model_layer ml[PP_MAX_LAYERS];
	int n = model_layers(net, ml);

	for (int k = 0; k < n; k++) {
		const pp_layer_view *v = &net->layers[ml[k].index];
		char wn[32], bn[32], sn[32];
		const pp_model_tensor *W, *b, *s = NULL;
		snprintf(wn, sizeof wn, "%.15s.W", ml[k].prefix);
		snprintf(bn, sizeof bn, "%.15s.b", ml[k].prefix);
		snprintf(sn, sizeof sn, "%.15s.s", ml[k].prefix);
		W = want_tensor(m, wn, (size_t)v->fan_out, (size_t)v->fan_in, err);
		b = W ? want_tensor(m, bn, (size_t)v->fan_out, 0, err) : NULL;
		if (b && net->factorized)
			s = want_tensor(m, sn, (size_t)v->fan_out, 0, err);
		if (!b || (net->factorized && !s))
			return err->code;
		/* a factorised layer keeps V = W/e^s and s itself */
		for (int r = 0; r < v->fan_out; r++) {
			double e = s ? exp(s->data[r]) : 1.0;
			for (int j = 0; j < v->fan_in; j++) {
				size_t at = (size_t)r * (size_t)v->fan_in + (size_t)j;
				net->params[v->weight_offset + at] = (pp_real)(W->data[at] / e);
			}
			net->params[v->bias_offset + (size_t)r] = (pp_real)b->data[r];
			if (s)
				net->params[net->scale_offset[ml[k].index] + (size_t)r] =
					(pp_real)s->data[r];
		}
	}
	if (net->arch == ARCH_PIRATE) {
		const pp_model_tensor *a = want_tensor(m, "alpha", (size_t)net->n_blocks, 0, err);
		int q = 0;
		if (!a)
			return err->code;
		for (int l = 1; l < net->n_layers; l++)
			if (net->mixed[l])
				net->params[net->alpha_offset[l]] = (pp_real)a->data[q++];
	}
	return PP_OK;
}

/* Each trainable coefficient of @exp that the file learned too: its
 * value, turned into @exp's raw parameter. */
static int load_coefficients(const pp_model *m, pp_experiment *exp, pp_error *err)
{
	const pp_json *coefs = pp_json_get(m->meta, "coefficients");
	pp_real *p = pp_network_params(exp->net);
	size_t base = pp_network_param_count(exp->net) - pp_network_extra_count(exp->net);

	for (int t = 0; t < exp->n_trainable; t++) {
		pp_coef_setup *s = &exp->trainable[t];
		const char *name = exp->pde.coefficients[s->index].name;
		for (size_t j = 0; coefs && coefs->type == PP_JSON_ARRAY && j < coefs->n; j++) {
			const pp_json *c = &coefs->items[j], *v = pp_json_get(c, "value");
			const pp_json *tr = pp_json_get(c, "trainable");
			const char *cn = json_string(pp_json_get(c, "name"));
			if (!cn || strcmp(cn, name) != 0 || !tr || tr->type != PP_JSON_TRUE || !v ||
			    v->type != PP_JSON_NUMBER)
				continue;
			if ((s->log && !(v->number > 0)) ||
			    (s->bounded && !(v->number > s->lo && v->number < s->hi)))
				return pp_error_set(err, PP_ERR_CONFIG,
						    "%s: coefficient '%s' = %g lies outside what this experiment's parameterisation allows",
						    m->path, name, v->number);
			s->init = v->number;
			p[base + (size_t)t] = (pp_real)pp_coef_raw(s, v->number);
		}
	}
	return PP_OK;
}

int pp_model_load_into(const pp_model *m, pp_experiment *exp, pp_error *err)
{
	const char *type = json_string(pp_json_get(pp_json_get(m->meta, "architecture"), "type"));
	char have[1024], want[1024];
	int rc;

	const pp_json *fact = pp_json_get(pp_json_get(m->meta, "architecture"), "factorized");
	int factorized = fact && fact->type == PP_JSON_TRUE, known = 0;

	for (int a = 0; type && a < (int)(sizeof arch_names / sizeof arch_names[0]); a++)
		known |= strcmp(type, arch_names[a]) == 0;
	if (!known)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s: architecture '%s' is not one this phasepinn reads (mlp, modified_mlp, pirate)",
				    m->path, type ? type : "?");
	if (strcmp(type, arch_names[exp->net->arch]) != 0 || factorized != exp->net->factorized)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s does not fit this experiment's network: the file has type %s%s, the experiment type %s%s",
				    m->path, type, factorized ? " with factorised weights" : "",
				    arch_names[exp->net->arch],
				    exp->net->factorized ? " with factorised weights" : "");
	rc = file_shape(m, have, sizeof have, err);
	if (rc)
		return rc;
	network_shape(exp, want, sizeof want);
	if (strcmp(have, want) != 0)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s does not fit this experiment's network: the file has %s; the experiment has %s",
				    m->path, have, want);
	rc = load_features(m, exp->net, err);
	if (!rc)
		rc = load_layers(m, exp->net, err);
	if (!rc)
		rc = load_coefficients(m, exp, err);
	return rc;
}
