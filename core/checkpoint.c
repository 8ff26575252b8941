/* phasepinn — checkpoint files (see checkpoint.h for the layout). */
#include "core/checkpoint.h"
#include "core/rundir.h"
#include "core/safe_open.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phasepinn/output.h>
#include <phasepinn/real.h>

#include "core/config_doc.h"

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

const void *pp_ckpt_sections(const pp_ckpt_writer *w, size_t *len)
{
	*len = w->buf && w->len >= HEADER ? w->len - HEADER : 0;
	return w->buf ? w->buf + HEADER : NULL;
}

/* The bytes come from pp_ckpt_sections of a writer of this build: whole
 * sections, which are counted as they are copied. */
void pp_ckpt_put_sections(pp_ckpt_writer *w, const void *sections, size_t len)
{
	const unsigned char *p = sections;
	size_t off = 0;

	if (len == 0 || grow(w, len) != 0)
		return;
	memcpy(w->buf + w->len, p, len);
	w->len += len;
	while (len - off >= SECTION_HEADER) {
		off += SECTION_HEADER + pad8((size_t)get_u64(p + off + 8));
		w->n_sections++;
	}
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

/* The header fields a reader can check before it reads the rest: magic,
 * version, real size and the size field against @file_size. */
static int check_header(const unsigned char *d, size_t file_size, const char *path,
			pp_error *err)
{
	uint64_t size;

	if (file_size < HEADER + TRAILER || memcmp(d, magic, sizeof magic) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "%s: not a phasepinn checkpoint", path);
	if (get_u32(d + 8) != PP_CKPT_VERSION)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: checkpoint format %u, this build reads format %u",
				    path, get_u32(d + 8), PP_CKPT_VERSION);
	if (get_u32(d + 12) != sizeof(pp_real))
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: written by a %s-precision build; this is a %s-precision build",
				    path, get_u32(d + 12) == 8 ? "double" : "single", PP_REAL_NAME);
	size = get_u64(d + 24);
	if (size != file_size)
		return pp_error_set(err, PP_ERR_INVALID, "%s: truncated or extended: %zu of %llu bytes",
				    path, file_size, (unsigned long long)size);
	return PP_OK;
}

static int verify(const pp_ckpt *c, pp_error *err)
{
	const unsigned char *d = c->data;
	uint32_t crc;
	int rc = check_header(d, c->size, c->path, err);

	if (rc)
		return rc;
	crc = pp_crc32(0, d, c->size - TRAILER);
	if (crc != get_u32(d + c->size - TRAILER))
		return pp_error_set(err, PP_ERR_INVALID, "%s: checksum mismatch (the file is corrupted)",
				    c->path);
	return check_sections(d, c->size - TRAILER, get_u32(d + 32), c->path, err);
}

/* Open @path for reading if it is a regular file, never through a symbolic
 * link (core/safe_open.h).  Returns the descriptor, or -1 with @err set. */
static int open_regular(const char *path, struct stat *st, pp_error *err)
{
	pp_open_fault fault;
	int fd = pp_open_regular(path, 0, st, &fault);

	if (fault == PP_OPEN_LINK)
		pp_error_set(err, PP_ERR_INVALID,
			     "%s: a symbolic link, not a checkpoint phasepinn wrote; skipped", path);
	else if (fault == PP_OPEN_NOT_REGULAR)
		pp_error_set(err, PP_ERR_INVALID, "%s: %s, not a checkpoint file; skipped", path,
			     pp_file_kind(st->st_mode));
	else if (fault != PP_OPEN_OK)
		pp_error_set(err, PP_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	return fd;
}

int pp_ckpt_read(const char *path, pp_ckpt **out, pp_error *err)
{
	pp_ckpt *c = calloc(1, sizeof *c);
	unsigned char header[HEADER];
	struct stat st;
	int fd = -1, rc;

	*out = NULL;
	if (!c)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	snprintf(c->path, sizeof c->path, "%s", path);
	fd = open_regular(path, &st, err);
	if (fd < 0) {
		rc = err->code;
		goto cleanup;
	}
	/* The header first: a file whose length is not the one it states is
	 * refused without reading (or allocating for) the rest of it. */
	memset(header, 0, sizeof header);
	if ((size_t)st.st_size >= HEADER && pp_read_at(fd, header, HEADER, 0) != 0) {
		rc = pp_error_set(err, PP_ERR_IO, "cannot read %s: short read", path);
		goto cleanup;
	}
	rc = check_header(header, (size_t)st.st_size, path, err);
	if (rc)
		goto cleanup;
	c->size = (size_t)st.st_size;
	c->data = malloc(c->size);
	if (!c->data) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s (%zu bytes)", path,
				  c->size);
		goto cleanup;
	}
	if (pp_read_at(fd, c->data, c->size, 0) != 0) {
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
	if (fd >= 0)
		close(fd);
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
	if (snprintf(buf, size, "%s/%s/step-%010ld.ckpt", run_dir, PP_RUN_CHECKPOINTS, step) >= (int)size)
		return pp_error_set(err, PP_ERR_INVALID, "path too long: %s/%s", run_dir, PP_RUN_CHECKPOINTS);
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

/* Is the entry @name of @dir a regular file (not followed if a link)?
 * Otherwise it is named on @notes. */
static int is_regular_entry(const char *dir, const char *name, FILE *notes)
{
	char path[4096];
	struct stat st;

	if (pp_path_join(path, sizeof path, dir, name, NULL) != PP_OK ||
	    lstat(path, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return 1;
	if (notes)
		fprintf(notes, "phasepinn: %s: %s, not a checkpoint file; skipped\n", path,
			pp_file_kind(st.st_mode));
	return 0;
}

/* Steps of the checkpoints in @run_dir, newest first, in *steps (malloc'd).
 * Only regular files count: a directory, FIFO, device or symbolic link
 * with a checkpoint's name is not one phasepinn wrote, and is named on
 * @notes (may be NULL) and otherwise left alone. */
static int list_steps_noted(const char *run_dir, FILE *notes, long **steps, size_t *n,
			    pp_error *err)
{
	char dir[4096];
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int rc;

	*steps = NULL;
	*n = 0;
	rc = pp_path_join(dir, sizeof dir, run_dir, PP_RUN_CHECKPOINTS, err);
	if (rc)
		return rc;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? PP_OK
				       : pp_error_set(err, PP_ERR_IO, "cannot read %s: %s", dir,
						      strerror(errno));
	while ((e = readdir(d)) != NULL) {
		long s = name_step(e->d_name);
		if (s < 0 || !is_regular_entry(dir, e->d_name, notes))
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

static int list_steps(const char *run_dir, long **steps, size_t *n, pp_error *err)
{
	return list_steps_noted(run_dir, NULL, steps, n, err);
}

int pp_ckpt_latest(const char *run_dir, FILE *notes, pp_ckpt **out, pp_error *err)
{
	char path[4096];
	long *steps;
	size_t n;
	int rc = list_steps_noted(run_dir, notes, &steps, &n, err);

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
				  run_dir, PP_RUN_CHECKPOINTS);
	/* A whole checkpoint of another run is refused, not skipped: someone
	 * put it there, and resuming from an older one of this run would
	 * hide that. */
	if (*out && (rc = pp_ckpt_check_origin(*out, run_dir, err)) != PP_OK) {
		pp_ckpt_free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- which run a checkpoint belongs to ---------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The tree under @node into @h: a type byte, then keys and scalar texts
 * with their NULs, in document order. */
static uint64_t hash_node(uint64_t h, const pp_config *node)
{
	pp_config_type type = pp_config_node_type(node);
	unsigned char tag = (unsigned char)type;
	size_t n = pp_config_size(node);

	h = fnv1a(h, &tag, 1);
	if (type == PP_CONFIG_SCALAR) {
		const char *text = pp_config_text(node);
		return fnv1a(h, text ? text : "", text ? strlen(text) + 1 : 1);
	}
	h = fnv1a(h, &n, sizeof n);
	for (size_t i = 0; i < n; i++) {
		if (type == PP_CONFIG_MAP) {
			const char *key = pp_config_key_at(node, i);
			h = fnv1a(h, key, strlen(key) + 1);
			h = hash_node(h, pp_config_get(node, key));
		} else {
			h = hash_node(h, pp_config_at(node, i));
		}
	}
	return h;
}

int pp_ckpt_config_hash(const char *text, size_t len, const char *name, uint64_t *hash,
			pp_error *err)
{
	pp_config_doc *doc = NULL;
	int rc = pp_config_doc_parse(text, len, name, &doc, err);

	if (rc)
		return rc;
	*hash = hash_node(0xcbf29ce484222325ull, pp_config_doc_root(doc));
	pp_config_doc_destroy(doc);
	return PP_OK;
}

int pp_ckpt_origin_of(const pp_ckpt *c, pp_ckpt_origin *origin, pp_error *err)
{
	size_t len = 0;
	const void *p = pp_ckpt_find(c, PP_CKPT_TAG_ORIGIN, 0, &len);

	if (!p || len != sizeof *origin)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: holds no record of the run that wrote it (section EXPT)", c->path);
	memcpy(origin, p, sizeof *origin);
	if (memchr(origin->network, '\0', sizeof origin->network) == NULL)
		return pp_error_set(err, PP_ERR_INVALID, "%s: its record of the network is damaged",
				    c->path);
	return PP_OK;
}

int pp_ckpt_file_crc(int fd, int64_t from, int64_t to, uint32_t *crc)
{
	unsigned char buf[65536];

	while (from < to) {
		size_t n = (size_t)(to - from) < sizeof buf ? (size_t)(to - from) : sizeof buf;
		if (pp_read_at(fd, buf, n, (off_t)from) != 0)
			return -1;
		*crc = pp_crc32(*crc, buf, n);
		from += (int64_t)n;
	}
	return 0;
}

/* The hash of RUN_DIR/config.yaml, read as a regular file of sane size. */
static int run_config_hash(const char *run_dir, uint64_t *hash, pp_error *err)
{
	char path[4096];
	struct stat st;
	char *text = NULL;
	int fd, rc;

	rc = pp_path_join(path, sizeof path, run_dir, PP_RUN_CONFIG, err);
	if (rc)
		return rc;
	fd = open_regular(path, &st, err);
	if (fd < 0)
		return pp_error_prefix(err, "cannot tell whether the checkpoints belong to %s",
				       run_dir);
	if (st.st_size > (16 << 20)) {
		close(fd);
		return pp_error_set(err, PP_ERR_INVALID, "%s: %lld bytes, too large for a " PP_RUN_CONFIG,
				    path, (long long)st.st_size);
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", path);
	}
	if (pp_read_at(fd, text, (size_t)st.st_size, 0) != 0)
		rc = pp_error_set(err, PP_ERR_IO, "cannot read %s: short read", path);
	else
		rc = pp_ckpt_config_hash(text, (size_t)st.st_size, path, hash, err);
	close(fd);
	free(text);
	return rc;
}

/* RUN_DIR/metrics.csv begins with the @o->metrics_bytes bytes @o recorded. */
static int check_metrics(const pp_ckpt *c, const pp_ckpt_origin *o, const char *run_dir,
			 pp_error *err)
{
	char path[4096];
	struct stat st;
	uint32_t crc = 0;
	int fd, rc;

	if (o->metrics_bytes < 0)
		return PP_OK;
	rc = pp_path_join(path, sizeof path, run_dir, PP_RUN_METRICS, err);
	if (rc)
		return rc;
	fd = open_regular(path, &st, err);
	if (fd < 0)
		return err->code;
	if (st.st_size < o->metrics_bytes)
		rc = pp_error_set(err, PP_ERR_INVALID,
				  "%s holds %lld bytes, fewer than the %lld it had at %s; the run directory was changed by hand",
				  path, (long long)st.st_size, (long long)o->metrics_bytes, c->path);
	else if (pp_ckpt_file_crc(fd, 0, o->metrics_bytes, &crc) != 0)
		rc = pp_error_set(err, PP_ERR_IO, "cannot read %s", path);
	else if (crc != o->metrics_crc)
		rc = pp_error_set(err, PP_ERR_INVALID,
				  "%s was not written by the run in %s: the metrics it recorded are not those of %s (copied from another run directory?); move it away and resume again",
				  c->path, run_dir, path);
	close(fd);
	return rc;
}

int pp_ckpt_check_origin(const pp_ckpt *c, const char *run_dir, pp_error *err)
{
	pp_ckpt_origin o;
	uint64_t hash;
	int rc = pp_ckpt_origin_of(c, &o, err);

	if (!rc)
		rc = run_config_hash(run_dir, &hash, err);
	if (rc)
		return rc;
	if (hash != o.config_hash)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s belongs to another experiment: its configuration is not the one in %s/config.yaml (copied from another run directory?); move it away and resume again",
				    c->path, run_dir);
	return check_metrics(c, &o, run_dir, err);
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
		/* only a regular file the run recorded, never through a link */
		if (!rc)
			rc = pp_rundir_remove(path, err);
	}
	free(steps);
	if (rc)
		return rc;
	/* Temporary files of writes a kill -9 interrupted. */
	rc = pp_path_join(dir, sizeof dir, run_dir, PP_RUN_CHECKPOINTS, err);
	if (rc || !(d = opendir(dir)))
		return rc;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "step-", 5) == 0 && strstr(e->d_name, ".ckpt.tmp.") &&
		    pp_path_join(path, sizeof path, dir, e->d_name, NULL) == PP_OK)
			pp_rundir_remove(path, NULL);
	}
	closedir(d);
	return PP_OK;
}

int pp_ckpt_remove_all(const char *run_dir, pp_error *err)
{
	return pp_ckpt_prune(run_dir, 0, -1, err);
}
