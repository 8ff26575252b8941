/* phasepinn — checkpoint files (see checkpoint.h for the layout). */
#include "core/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phasepinn/output.h>
#include <phasepinn/real.h>

static const unsigned char magic[8] = {'P', 'P', 'C', 'K', 'P', 'T', '\r', '\n'};

enum { HEADER = 40, SECTION_HEADER = 16, TRAILER = 8 };

/* ---- CRC-32 ------------------------------------------------------------- */

static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = 1;
}

uint32_t pp_crc32(uint32_t crc, const void *data, size_t n)
{
	const unsigned char *p = data;

	if (!crc_ready)
		crc_init();
	crc = ~crc;
	for (size_t i = 0; i < n; i++)
		crc = crc_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
	return ~crc;
}

/* ---- writing ------------------------------------------------------------ */

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static int grow(pp_ckpt_writer *w, size_t extra)
{
	size_t need, cap;
	unsigned char *p;

	if (w->failed)
		return -1;
	need = w->len + extra;
	if (need <= w->cap)
		return 0;
	cap = w->cap ? w->cap : 4096;
	while (cap < need)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p) {
		w->failed = 1;
		return -1;
	}
	w->buf = p;
	w->cap = cap;
	return 0;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put_u64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

void pp_ckpt_writer_init(pp_ckpt_writer *w, long step)
{
	memset(w, 0, sizeof *w);
	if (grow(w, HEADER) == 0) {
		memset(w->buf, 0, HEADER);
		put_u64(w->buf + 16, (uint64_t)step);
		w->len = HEADER;
	}
}

void *pp_ckpt_reserve(pp_ckpt_writer *w, uint32_t tag, uint32_t index, size_t len)
{
	unsigned char *p;

	if (grow(w, SECTION_HEADER + pad8(len)) != 0)
		return NULL;
	p = w->buf + w->len;
	put_u32(p, tag);
	put_u32(p + 4, index);
	put_u64(p + 8, (uint64_t)len);
	memset(p + SECTION_HEADER, 0, pad8(len));
	w->len += SECTION_HEADER + pad8(len);
	w->n_sections++;
	return p + SECTION_HEADER;
}

void pp_ckpt_put(pp_ckpt_writer *w, uint32_t tag, uint32_t index, const void *data,
		 size_t len)
{
	void *p = pp_ckpt_reserve(w, tag, index, len);

	if (p && len)
		memcpy(p, data, len);
}

int pp_ckpt_write_file(pp_ckpt_writer *w, const char *path, pp_error *err)
{
	pp_atomic_file af;
	int rc;

	if (grow(w, TRAILER) != 0)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory building checkpoint %s", path);
	memcpy(w->buf, magic, sizeof magic);
	put_u32(w->buf + 8, PP_CKPT_VERSION);
	put_u32(w->buf + 12, (uint32_t)sizeof(pp_real));
	put_u64(w->buf + 24, (uint64_t)(w->len + TRAILER));
	put_u32(w->buf + 32, w->n_sections);
	put_u32(w->buf + 36, 0);
	put_u32(w->buf + w->len, pp_crc32(0, w->buf, w->len));
	put_u32(w->buf + w->len + 4, 0);
	rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	if (fwrite(w->buf, 1, w->len + TRAILER, af.f) != w->len + TRAILER) {
		pp_atomic_abort(&af);
		return pp_error_set(err, PP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
	}
	return pp_atomic_commit(&af, err);
}

void pp_ckpt_writer_free(pp_ckpt_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof *w);
}

/* ---- reading ------------------------------------------------------------ */

/* Walk the section table; PP_OK when every section lies inside the body. */
static int check_sections(const unsigned char *d, size_t body, uint32_t n, const char *path,
			  pp_error *err)
{
	size_t off = HEADER;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t len;
		if (body - off < SECTION_HEADER)
			return pp_error_set(err, PP_ERR_INVALID,
					    "%s: section %u runs past the end of the file", path, i);
		len = get_u64(d + off + 8);
		if (len > body - off - SECTION_HEADER ||
		    pad8((size_t)len) > body - off - SECTION_HEADER)
			return pp_error_set(err, PP_ERR_INVALID,
					    "%s: section %u claims %llu bytes, more than the file holds",
					    path, i, (unsigned long long)len);
		off += SECTION_HEADER + pad8((size_t)len);
	}
	if (off != body)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: %zu bytes after the last section", path, body - off);
	return PP_OK;
}

static int verify(const pp_ckpt *c, pp_error *err)
{
	const unsigned char *d = c->data;
	uint64_t size;
	uint32_t crc;

	if (c->size < HEADER + TRAILER || memcmp(d, magic, sizeof magic) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "%s: not a phasepinn checkpoint", c->path);
	if (get_u32(d + 8) != PP_CKPT_VERSION)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: checkpoint format %u, this build reads format %u",
				    c->path, get_u32(d + 8), PP_CKPT_VERSION);
	if (get_u32(d + 12) != sizeof(pp_real))
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: written by a %s-precision build; this is a %s-precision build",
				    c->path, get_u32(d + 12) == 8 ? "double" : "single", PP_REAL_NAME);
	size = get_u64(d + 24);
	if (size != c->size)
		return pp_error_set(err, PP_ERR_INVALID, "%s: truncated or extended: %zu of %llu bytes",
				    c->path, c->size, (unsigned long long)size);
	crc = pp_crc32(0, d, c->size - TRAILER);
	if (crc != get_u32(d + c->size - TRAILER))
		return pp_error_set(err, PP_ERR_INVALID, "%s: checksum mismatch (the file is corrupted)",
				    c->path);
	return check_sections(d, c->size - TRAILER, get_u32(d + 32), c->path, err);
}

int pp_ckpt_read(const char *path, pp_ckpt **out, pp_error *err)
{
	pp_ckpt *c = calloc(1, sizeof *c);
	FILE *f = NULL;
	struct stat st;
	int rc;

	*out = NULL;
	if (!c)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	snprintf(c->path, sizeof c->path, "%s", path);
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) != 0) {
		rc = pp_error_set(err, PP_ERR_IO, "cannot read %s: %s", path, strerror(errno));
		goto cleanup;
	}
	c->size = (size_t)st.st_size;
	c->data = malloc(c->size ? c->size : 1);
	if (!c->data) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", path);
		goto cleanup;
	}
	if (fread(c->data, 1, c->size, f) != c->size) {
		rc = pp_error_set(err, PP_ERR_IO, "cannot read %s: short read", path);
		goto cleanup;
	}
	rc = verify(c, err);
	if (rc)
		goto cleanup;
	c->step = (long)get_u64(c->data + 16);
	*out = c;
	c = NULL;
cleanup:
	if (f)
		fclose(f);
	pp_ckpt_free(c);
	return rc;
}

const void *pp_ckpt_find(const pp_ckpt *c, uint32_t tag, uint32_t index, size_t *len)
{
	uint32_t n = get_u32(c->data + 32);
	size_t off = HEADER;

	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *s = c->data + off;
		size_t l = (size_t)get_u64(s + 8);
		if (get_u32(s) == tag && get_u32(s + 4) == index) {
			if (len)
				*len = l;
			return s + SECTION_HEADER;
		}
		off += SECTION_HEADER + pad8(l);
	}
	return NULL;
}

void pp_ckpt_free(pp_ckpt *c)
{
	if (!c)
		return;
	free(c->data);
	free(c);
}

/* ---- the checkpoint directory ------------------------------------------- */

int pp_ckpt_path(char *buf, size_t size, const char *run_dir, long step, pp_error *err)
{
	if (snprintf(buf, size, "%s/%s/step-%010ld.ckpt", run_dir, PP_CKPT_DIR, step) >= (int)size)
		return pp_error_set(err, PP_ERR_INVALID, "path too long: %s/%s", run_dir, PP_CKPT_DIR);
	return PP_OK;
}

/* Step of a checkpoint file name, -1 for any other name. */
static long name_step(const char *name)
{
	char *end;
	long step;

	if (strncmp(name, "step-", 5) != 0)
		return -1;
	errno = 0;
	step = strtol(name + 5, &end, 10);
	if (errno || end == name + 5 || strcmp(end, ".ckpt") != 0 || step < 0)
		return -1;
	return step;
}

static int cmp_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x < y) - (x > y);
}

/* Steps of the checkpoints in @run_dir, newest first, in *steps (malloc'd). */
static int list_steps(const char *run_dir, long **steps, size_t *n, pp_error *err)
{
	char dir[4096];
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int rc;

	*steps = NULL;
	*n = 0;
	rc = pp_path_join(dir, sizeof dir, run_dir, PP_CKPT_DIR, err);
	if (rc)
		return rc;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? PP_OK
				       : pp_error_set(err, PP_ERR_IO, "cannot read %s: %s", dir,
						      strerror(errno));
	while ((e = readdir(d)) != NULL) {
		long s = name_step(e->d_name);
		if (s < 0)
			continue;
		if (*n == cap) {
			long *p = realloc(*steps, (cap ? 2 * cap : 16) * sizeof *p);
			if (!p) {
				closedir(d);
				return pp_error_set(err, PP_ERR_NOMEM, "out of memory listing %s", dir);
			}
			*steps = p;
			cap = cap ? 2 * cap : 16;
		}
		(*steps)[(*n)++] = s;
	}
	closedir(d);
	if (*n)
		qsort(*steps, *n, sizeof **steps, cmp_desc);
	return PP_OK;
}

int pp_ckpt_latest(const char *run_dir, FILE *notes, pp_ckpt **out, pp_error *err)
{
	char path[4096];
	long *steps;
	size_t n;
	int rc = list_steps(run_dir, &steps, &n, err);

	*out = NULL;
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		pp_error bad = {0};
		rc = pp_ckpt_path(path, sizeof path, run_dir, steps[i], err);
		if (rc)
			break;
		rc = pp_ckpt_read(path, out, &bad);
		if (rc == PP_OK)
			break;
		if (rc == PP_ERR_NOMEM) {
			*err = bad;
			break;
		}
		if (notes)
			fprintf(notes, "phasepinn: %s; %s\n", bad.message,
				i + 1 < n ? "trying the previous checkpoint" : "no older checkpoint is left");
	}
	free(steps);
	if (!*out && rc != PP_ERR_NOMEM)
		rc = pp_error_set(err, PP_ERR_IO,
				  "%s/%s holds no usable checkpoint; start the run again with phasepinn run --force",
				  run_dir, PP_CKPT_DIR);
	return rc;
}

int pp_ckpt_prune(const char *run_dir, int keep, long after, pp_error *err)
{
	char path[4096], dir[4096];
	struct dirent *e;
	long *steps;
	size_t n;
	DIR *d;
	int rc = list_steps(run_dir, &steps, &n, err);

	if (rc)
		return rc;
	for (size_t i = 0, kept = 0; i < n && rc == PP_OK; i++) {
		if (steps[i] <= after && kept < (size_t)(keep < 0 ? 0 : keep)) {
			kept++;
			continue;
		}
		rc = pp_ckpt_path(path, sizeof path, run_dir, steps[i], err);
		if (!rc && unlink(path) != 0 && errno != ENOENT)
			rc = pp_error_set(err, PP_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
	}
	free(steps);
	if (rc)
		return rc;
	/* Temporary files of writes a kill -9 interrupted. */
	rc = pp_path_join(dir, sizeof dir, run_dir, PP_CKPT_DIR, err);
	if (rc || !(d = opendir(dir)))
		return rc;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "step-", 5) == 0 && strstr(e->d_name, ".ckpt.tmp.") &&
		    pp_path_join(path, sizeof path, dir, e->d_name, NULL) == PP_OK)
			unlink(path);
	}
	closedir(d);
	return PP_OK;
}

int pp_ckpt_remove_all(const char *run_dir, pp_error *err)
{
	return pp_ckpt_prune(run_dir, 0, -1, err);
}
