/* phasepinn — the run directory: its manifest, its lock, preparing and
 * clearing it (see core/rundir.h).  The atomic writes that go through it
 * are in core/atomic_file.c. */
#include "core/rundir.h"

#include <phasepinn/output.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_HEADER "# phasepinn manifest 1"
#define MANIFEST_MAX_BYTES (16L << 20)
#define LINK_ADVICE "phasepinn does not write through links in a run directory: remove it or choose another output"

/* ---- the open run directories ------------------------------------------- */

typedef struct entry_list {
	char **v;
	size_t n, cap;
} entry_list;

struct pp_rundir {
	char dir[4096];       /* as the caller named it, trailing '/' removed */
	int fd;               /* the directory itself (O_DIRECTORY) */
	int lock_fd;          /* RUN_DIR/.phasepinn.lock when PP_RUNDIR_LOCK */
	entry_list list;      /* what the manifest records */
	pp_rundir *next;
};

static pp_rundir *open_dirs;

static int list_has(const entry_list *l, const char *e)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], e) == 0)
			return 1;
	return 0;
}

static int list_add(entry_list *l, const char *e)
{
	char *copy;

	if (list_has(l, e))
		return PP_OK;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		char **v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return PP_ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (!(copy = strdup(e)))
		return PP_ERR_NOMEM;
	l->v[l->n++] = copy;
	return PP_OK;
}

static void list_drop(entry_list *l, const char *e)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], e) != 0)
			continue;
		free(l->v[i]);
		memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof *l->v);
		l->n--;
		return;
	}
}

static void list_free(entry_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* A manifest entry phasepinn may act on: relative, no empty, "." or ".."
 * component (a directory's trailing '/' aside), no line break. */
static int valid_entry(const char *e)
{
	size_t n = strlen(e);

	if (n == 0 || n >= 4096 || e[0] == '/' || strpbrk(e, "\r\n"))
		return 0;
	for (const char *p = e; *p;) {
		size_t k = strcspn(p, "/");
		if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += k;
		if (*p == '/')
			p++;
	}
	return 1;
}

/* The open run directory holding @path (the longest match, so a variant's
 * directory wins over its comparison's), and in *rel the rest of @path. */
static pp_rundir *find(const char *path, const char **rel)
{
	pp_rundir *best = NULL;
	size_t best_len = 0;

	for (pp_rundir *rd = open_dirs; rd; rd = rd->next) {
		size_t n = strlen(rd->dir);
		if (strncmp(path, rd->dir, n) != 0 || (path[n] != '/' && path[n] != '\0'))
			continue;
		if (!best || n > best_len) {
			best = rd;
			best_len = n;
		}
	}
	if (best) {
		*rel = path + best_len;
		while (**rel == '/')
			(*rel)++;
	}
	return best;
}

int pp_rundir_is_open(const char *dir)
{
	const char *rel;

	return find(dir, &rel) && *rel == '\0';
}

int pp_rundir_weights_name(char *buf, size_t size, const char *term, pp_error *err)
{
	int n = snprintf(buf, size, PP_RUN_WEIGHTS_PREFIX "%s" PP_RUN_WEIGHTS_SUFFIX, term);

	if (n < 0 || (size_t)n >= size)
		return pp_error_set(err, PP_ERR_INVALID, "term name too long: %s", term);
	return PP_OK;
}

int pp_rundir_contains(const char *path)
{
	const char *rel;

	return find(path, &rel) && *rel != '\0';
}

/* @rel with single slashes into @out; refuses "." and "..". */
static int normalize(const char *rel, char *out, size_t size, pp_error *err)
{
	size_t n = 0;

	for (const char *p = rel; *p;) {
		size_t k = strcspn(p, "/");
		if ((k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
			return pp_error_set(err, PP_ERR_INVALID,
					    "%s: a path in a run directory may not hold '.' or '..'", rel);
		if (k > 0) {
			if (n + k + 2 > size)
				return pp_error_set(err, PP_ERR_INVALID, "path too long: %s", rel);
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, k);
			n += k;
		}
		p += k;
		while (*p == '/')
			p++;
	}
	out[n] = '\0';
	if (strpbrk(out, "\r\n"))
		return pp_error_set(err, PP_ERR_INVALID,
				    "cannot record a file name with a line break: %s", rel);
	return PP_OK;
}

/* ---- the manifest file --------------------------------------------------- */

/* Read @dirfd's manifest into @l (valid entries only; the others named on
 * @notes).  1 when there is a valid manifest, 0 when none (or not one of
 * phasepinn's), negative on error. */
static int read_manifest(int dirfd, const char *dir, entry_list *l, FILE *notes)
{
	struct stat st;
	char *buf = NULL;
	int fd, rc = 0;
	ssize_t got = 0;

	fd = openat(dirfd, PP_RUN_MANIFEST, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX_BYTES)
		goto done;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = PP_ERR_NOMEM;
		goto done;
	}
	while (got < st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)(st.st_size - got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += k;
	}
	buf[got] = '\0';
	if (strncmp(buf, MANIFEST_HEADER "\n", sizeof MANIFEST_HEADER) != 0 &&
	    strncmp(buf, MANIFEST_HEADER " ", sizeof MANIFEST_HEADER) != 0)
		goto done;
	rc = 1;
	for (char *line = strchr(buf, '\n'); line && line[1];) {
		char *end = strchr(++line, '\n');
		if (end)
			*end = '\0';
		if (!valid_entry(line)) {
			if (notes && line[0])
				fprintf(notes, "phasepinn: note: %s/%s: entry '%s' ignored (not a path inside the run directory)\n",
					dir, PP_RUN_MANIFEST, line);
		} else if (list_add(l, line)) {
			rc = PP_ERR_NOMEM;
			break;
		}
		line = end;
	}
done:
	free(buf);
	close(fd);
	return rc;
}

/* Replace the manifest with @rd->list: temporary file, fsync, rename
 * (pp_atomic_file).  Against kill -9 the order alone is enough (the kernel
 * keeps what a dead process wrote); against a power cut the journal of a
 * journaling file system commits this rename before the later creation of
 * the file it records, so no fsync of the directory is added to every
 * checkpoint. */
static int write_manifest(pp_rundir *rd, pp_error *err)
{
	char path[4200];
	pp_atomic_file af;
	int rc = pp_path_join(path, sizeof path, rd->dir, PP_RUN_MANIFEST, err);

	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	fputs(MANIFEST_HEADER " (paths this run wrote; phasepinn run --force deletes only these)\n",
	      af.f);
	for (size_t i = 0; i < rd->list.n; i++)
		fprintf(af.f, "%s\n", rd->list.v[i]);
	return pp_atomic_commit(&af, err);
}

/* Add @add and/or drop @drop, merging what another process (a concurrent
 * `plot`) recorded meanwhile; flock on the directory serialises writers. */
static int update_manifest(pp_rundir *rd, const char *add, const char *drop, pp_error *err)
{
	int rc;

	if (add && list_has(&rd->list, add))
		return PP_OK;
	if (drop && !list_has(&rd->list, drop))
		return PP_OK;
	while (flock(rd->fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return pp_error_set(err, PP_ERR_IO, "cannot lock %s: %s", rd->dir, strerror(errno));
	rc = read_manifest(rd->fd, rd->dir, &rd->list, NULL) < 0 ? PP_ERR_NOMEM : PP_OK;
	if (!rc && add)
		rc = list_add(&rd->list, add);
	if (rc)
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory recording %s", add ? add : drop);
	if (!rc && drop)
		list_drop(&rd->list, drop);
	if (!rc)
		rc = write_manifest(rd, err);
	flock(rd->fd, LOCK_UN);
	return rc;
}

/* ---- walking inside a run directory, never through a link ---------------- */

static int link_error(const char *dir, const char *rel, size_t len, pp_error *err)
{
	return pp_error_set(err, PP_ERR_CONFIG, "%s/%.*s is a symbolic link; " LINK_ADVICE, dir,
			    (int)len, rel);
}

/* Open the directory holding the last component of @rel (below @base),
 * refusing a component that is a link.  With @create, missing directories
 * are recorded in @rd's manifest and made.  *last points into @rel. */
static int walk(pp_rundir *rd, int base, const char *rel, int create, int *parent,
		const char **last, pp_error *err)
{
	int fd = dup(base);
	const char *p = rel;
	char comp[4096];

	*parent = -1;
	if (fd < 0)
		return pp_error_set(err, PP_ERR_IO, "%s: %s", rd->dir, strerror(errno));
	for (;;) {
		size_t k = strcspn(p, "/");
		struct stat st;
		int next;

		if (p[k] == '\0')
			break;
		memcpy(comp, p, k);
		comp[k] = '\0';
		if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			char entry[4200];
			int rc;
			if (errno != ENOENT || !create) {
				int e = errno;
				close(fd);
				return pp_error_set(err, PP_ERR_IO, "cannot open %s/%.*s: %s", rd->dir,
						    (int)(p - rel + k), rel, strerror(e));
			}
			snprintf(entry, sizeof entry, "%.*s/", (int)(p - rel + k), rel);
			rc = update_manifest(rd, entry, NULL, err);
			if (rc || (mkdirat(fd, comp, 0777) != 0 && errno != EEXIST)) {
				int e = errno;
				close(fd);
				return rc ? rc : pp_error_set(err, PP_ERR_IO, "cannot create directory %s/%s: %s",
							      rd->dir, entry, strerror(e));
			}
		} else if (S_ISLNK(st.st_mode)) {
			close(fd);
			return link_error(rd->dir, rel, (size_t)(p - rel + k), err);
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0) {
			if (errno == ELOOP)
				return link_error(rd->dir, rel, (size_t)(p - rel + k), err);
			return pp_error_set(err, PP_ERR_IO, "cannot open %s/%.*s: %s", rd->dir,
					    (int)(p - rel + k), rel, strerror(errno));
		}
		fd = next;
		p += k + 1;
	}
	*parent = fd;
	*last = p;
	return PP_OK;
}

int pp_rundir_prepare(const char *path, int is_dir, pp_error *err)
{
	char rel[4096], entry[4100];
	const char *last, *tail;
	pp_rundir *rd = find(path, &tail);
	int parent, rc;

	if (!rd)
		return PP_OK;
	rc = normalize(tail, rel, sizeof rel, err);
	if (rc || rel[0] == '\0' || strcmp(rel, PP_RUN_MANIFEST) == 0)
		return rc;
	if (is_dir) {
		/* every component, the last one included, is a directory */
		snprintf(entry, sizeof entry, "%s/.", rel);
		rc = walk(rd, rd->fd, entry, 1, &parent, &last, err);
		if (!rc)
			close(parent);
		return rc;
	}
	rc = walk(rd, rd->fd, rel, 0, &parent, &last, err);
	if (rc)
		return rc;
	close(parent);
	return update_manifest(rd, rel, NULL, err);
}

FILE *pp_rundir_fopen(const char *path, const char *mode, pp_error *err)
{
	int flags = strcmp(mode, "r+") == 0 ? O_RDWR : O_WRONLY | O_CREAT | O_TRUNC;
	char rel[4096];
	const char *tail, *last;
	pp_rundir *rd = find(path, &tail);
	int parent, fd;
	FILE *f;

	if (!rd) {
		if (!(f = fopen(path, mode)))
			pp_error_set(err, PP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
		return f;
	}
	if (normalize(tail, rel, sizeof rel, err) || pp_rundir_prepare(path, 0, err) ||
	    walk(rd, rd->fd, rel, 0, &parent, &last, err))
		return NULL;
	fd = openat(parent, last, flags | O_NOFOLLOW | O_CLOEXEC, 0644);
	close(parent);
	if (fd < 0) {
		if (errno == ELOOP)
			link_error(rd->dir, rel, strlen(rel), err);
		else
			pp_error_set(err, PP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!(f = fdopen(fd, mode))) {
		pp_error_set(err, PP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

/* Is @name "<base>.tmp.XXXXXX", pp_atomic_open's temporary file of @base? */
static int is_temp_of(const char *name, const char *base)
{
	size_t n = strlen(base);

	return strncmp(name, base, n) == 0 && strncmp(name + n, ".tmp.", 5) == 0 &&
	       strlen(name + n + 5) == 6 && !strchr(name + n + 5, '/');
}

/* Does @rd own @rel: recorded, or the temporary file of a recorded path? */
static int owns(const pp_rundir *rd, const char *rel)
{
	const char *dot = strstr(rel, ".tmp.");
	char base[4096];

	if (list_has(&rd->list, rel))
		return 1;
	for (; dot; dot = strstr(dot + 1, ".tmp.")) {
		size_t n = (size_t)(dot - rel);
		if (n >= sizeof base)
			return 0;
		memcpy(base, rel, n);
		base[n] = '\0';
		if (is_temp_of(rel, base) && list_has(&rd->list, base))
			return 1;
	}
	return 0;
}

/* Outside an open run directory: a regular file in a directory that is
 * not a link. */
static int remove_unmanaged(const char *path, pp_error *err)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return PP_OK;
	if (slash && slash > path) {
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
		if (lstat(dir, &st) != 0 || S_ISLNK(st.st_mode))
			return PP_OK;
	}
	if (unlink(path) != 0 && errno != ENOENT)
		return pp_error_set(err, PP_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
	return PP_OK;
}

int pp_rundir_remove(const char *path, pp_error *err)
{
	char rel[4096];
	const char *tail, *last;
	pp_rundir *rd = find(path, &tail);
	struct stat st;
	int parent, rc;

	if (!rd)
		return remove_unmanaged(path, err);
	if (normalize(tail, rel, sizeof rel, NULL) != PP_OK || !owns(rd, rel))
		return PP_OK;
	if (walk(rd, rd->fd, rel, 0, &parent, &last, NULL) != PP_OK)
		return PP_OK;  /* through a link, or gone: not ours to touch */
	rc = PP_OK;
	if (fstatat(parent, last, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    unlinkat(parent, last, 0) != 0 && errno != ENOENT)
		rc = pp_error_set(err, PP_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
	close(parent);
	if (!rc && list_has(&rd->list, rel))
		rc = update_manifest(rd, NULL, rel, err);
	return rc;
}

/* ---- --force: removing an earlier run ------------------------------------ */

static void remove_temps(int dirfd, const char *base)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (is_temp_of(e->d_name, base) &&
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			unlinkat(dirfd, e->d_name, 0);
	closedir(d);
}

static void remove_run(int dirfd, const char *dir, const entry_list *l, int depth, FILE *notes);

/* A directory entry of a manifest: a nested run (a comparison's variant)
 * first loses its own files, then the directory goes if nothing is left. */
static void remove_dir_entry(int parent, const char *name, const char *dir, const char *entry,
			     int depth, FILE *notes)
{
	char sub[4200];
	entry_list inner = {0};
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	snprintf(sub, sizeof sub, "%s/%s", dir, entry);
	sub[strlen(sub) - 1] = '\0';
	if (depth < 2 && read_manifest(fd, sub, &inner, notes) == 1) {
		int lock = openat(fd, PP_RUN_LOCK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) != 0) {
			if (notes)
				fprintf(notes, "phasepinn: note: %s is in use by another phasepinn process; left as it is\n",
					sub);
		} else {
			remove_run(fd, sub, &inner, depth + 1, notes);
			unlinkat(fd, PP_RUN_MANIFEST, 0);
			remove_temps(fd, PP_RUN_MANIFEST);
		}
		if (lock >= 0)
			close(lock);
	}
	list_free(&inner);
	close(fd);
	unlinkat(parent, name, AT_REMOVEDIR);  /* fails, as it should, when not empty */
}

/* Delete what @l records below @dirfd, newest first (a directory's files
 * before the directory): regular files and directories left empty, never
 * through a link.  The lock of the top directory stays (it is held). */
static void remove_run(int dirfd, const char *dir, const entry_list *l, int depth, FILE *notes)
{
	pp_rundir walker = {.fd = dirfd};

	snprintf(walker.dir, sizeof walker.dir, "%s", dir);
	for (size_t i = l->n; i-- > 0;) {
		const char *e = l->v[i], *last;
		size_t n = strlen(e);
		int is_dir = e[n - 1] == '/', parent;
		char rel[4096], name[4096];
		pp_error why = {0};
		struct stat st;

		if (depth == 0 && strcmp(e, PP_RUN_LOCK) == 0)
			continue;
		snprintf(rel, sizeof rel, "%.*s", (int)(n - (size_t)is_dir), e);
		if (walk(&walker, dirfd, rel, 0, &parent, &last, &why) != PP_OK) {
			if (notes && why.code == PP_ERR_CONFIG)
				fprintf(notes, "phasepinn: note: %s/%s: entry '%s' ignored: it leads through a symbolic link\n",
					dir, PP_RUN_MANIFEST, e);
			continue;
		}
		snprintf(name, sizeof name, "%s", last);
		if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISLNK(st.st_mode) || (is_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
				if (notes)
					fprintf(notes, "phasepinn: note: %s/%s is no longer the %s the earlier run wrote (%s); left as it is\n",
						dir, e, is_dir ? "directory" : "file",
						S_ISLNK(st.st_mode) ? "a symbolic link" : "another kind of file");
			} else if (is_dir) {
				remove_dir_entry(parent, name, dir, e, depth, notes);
			} else {
				unlinkat(parent, name, 0);
			}
		}
		if (!is_dir)
			remove_temps(parent, name);
		close(parent);
	}
}

/* ---- opening a run directory --------------------------------------------- */

int pp_rundir_check_output(const char *dir, pp_error *err)
{
	char buf[4096], real[PATH_MAX], cwd[PATH_MAX];
	size_t n = dir ? strlen(dir) : 0;
	const char *last;

	if (n == 0)
		return pp_error_set(err, PP_ERR_CONFIG, "the output directory is empty; name one (e.g. runs/NAME)");
	if (n >= sizeof buf)
		return pp_error_set(err, PP_ERR_CONFIG, "output directory name too long: %.64s...", dir);
	memcpy(buf, dir, n + 1);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (n == 0)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "output '%s' is the root directory; a run needs a directory of its own (e.g. runs/NAME)",
				    dir);
	last = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	if (strcmp(last, "..") == 0)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "output '%s' ends in '..'; a run needs a directory of its own (e.g. runs/NAME)",
				    dir);
	if (!realpath(buf, real) || !getcwd(cwd, sizeof cwd))
		return PP_OK;  /* not there yet: it is no parent of ours */
	if (strcmp(real, "/") == 0)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "output '%s' is the root directory; a run needs a directory of its own (e.g. runs/NAME)",
				    dir);
	n = strlen(real);
	if (strncmp(cwd, real, n) == 0 && cwd[n] == '/')
		return pp_error_set(err, PP_ERR_CONFIG,
				    "output '%s' is %s, a parent of the current directory; a run needs a directory of its own (e.g. runs/NAME)",
				    dir, real);
	return PP_OK;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What @dir holds: *first gets the alphabetically first entry (empty when
 * the directory is empty or missing). */
static int first_entry(const char *dir, char *first, size_t size, pp_error *err)
{
	entry_list names = {0};
	struct dirent *e;
	DIR *d = opendir(dir);

	first[0] = '\0';
	if (!d && errno == ENOTDIR)
		return pp_error_set(err, PP_ERR_CONFIG, "%s exists and is not a directory", dir);
	if (!d)
		return errno == ENOENT ? PP_OK
				       : pp_error_set(err, PP_ERR_IO, "cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (list_add(&names, e->d_name)) {
			closedir(d);
			list_free(&names);
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory listing %s", dir);
		}
	}
	closedir(d);
	if (names.n) {
		qsort(names.v, names.n, sizeof *names.v, name_cmp);
		snprintf(first, size, "%s", names.v[0]);
	}
	list_free(&names);
	return PP_OK;
}

static int is_cwd(const char *dir)
{
	struct stat a, b;

	return stat(dir, &a) == 0 && stat(".", &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* May a new run write into @dir?  *had_run says it holds an earlier one. */
static int judge_new(const char *dir, int force, int *had_run, pp_error *err)
{
	char first[1024];
	entry_list l = {0};
	int fd, rc = first_entry(dir, first, sizeof first, err);

	*had_run = 0;
	if (rc || !first[0])
		return rc;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pp_error_set(err, PP_ERR_CONFIG, "%s exists and is not a directory", dir);
	*had_run = read_manifest(fd, dir, &l, NULL) == 1;
	close(fd);
	list_free(&l);
	if (*had_run && !force)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s already holds a run; pass --force to overwrite it, phasepinn resume %s to continue it, or choose another output: / --output",
				    dir, dir);
	if (!*had_run && is_cwd(dir))
		return pp_error_set(err, PP_ERR_CONFIG,
				    "output '%s' is the current directory, which holds files phasepinn did not write (first: %s); a run needs a directory of its own (e.g. runs/NAME), --force or not",
				    dir, first);
	if (!*had_run && !force)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s holds files phasepinn did not write (first: %s); pass --force to write into it anyway (they are kept), or choose another output: / --output",
				    dir, first);
	return PP_OK;
}

static int take_lock(pp_rundir *rd, pp_error *err)
{
	int rc = update_manifest(rd, PP_RUN_LOCK, NULL, err), e;

	if (rc)
		return rc;
	rd->lock_fd = openat(rd->fd, PP_RUN_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (rd->lock_fd < 0) {
		if (errno == ELOOP)
			return link_error(rd->dir, PP_RUN_LOCK, strlen(PP_RUN_LOCK), err);
		return pp_error_set(err, PP_ERR_IO, "cannot create %s/%s: %s", rd->dir, PP_RUN_LOCK,
				    strerror(errno));
	}
	if (flock(rd->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return PP_OK;
	e = errno;
	close(rd->lock_fd);
	rd->lock_fd = -1;
	if (e == EWOULDBLOCK)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s is in use by another phasepinn process; wait for it to end or choose another output: / --output",
				    rd->dir);
	return pp_error_set(err, PP_ERR_IO, "cannot lock %s/%s: %s", rd->dir, PP_RUN_LOCK,
			    strerror(e));
}

/* --force over an earlier run: its files go, a fresh manifest starts. */
static int clear_earlier_run(pp_rundir *rd, FILE *notes, pp_error *err)
{
	int rc;

	remove_run(rd->fd, rd->dir, &rd->list, 0, notes);
	remove_temps(rd->fd, PP_RUN_MANIFEST);
	while (rd->list.n)
		list_drop(&rd->list, rd->list.v[rd->list.n - 1]);
	rc = rd->lock_fd >= 0 ? list_add(&rd->list, PP_RUN_LOCK) : PP_OK;
	if (rc)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	while (flock(rd->fd, LOCK_EX) != 0 && errno == EINTR)
		;
	rc = write_manifest(rd, err);
	flock(rd->fd, LOCK_UN);
	return rc;
}

/* Entries of files that are gone: a path is dropped from the manifest only
 * after its file is removed (pp_rundir_remove), so a kill between the two
 * leaves an entry behind; a resumed run, holding the lock, forgets them
 * (nothing is being written, so an entry without its file is no file). */
static int drop_vanished(pp_rundir *rd, pp_error *err)
{
	struct stat st;
	int rc = PP_OK;

	for (size_t i = rd->list.n; i-- > 0 && !rc;) {
		const char *e = rd->list.v[i];
		size_t len = strlen(e);
		if (len == 0 || e[len - 1] == '/' || strcmp(e, PP_RUN_LOCK) == 0 ||
		    fstatat(rd->fd, e, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			continue;
		rc = update_manifest(rd, NULL, e, err);
	}
	return rc;
}

int pp_rundir_open(const char *dir, int flags, FILE *notes, pp_rundir **out, pp_error *err)
{
	pp_rundir *rd = calloc(1, sizeof *rd);
	size_t n = dir ? strlen(dir) : 0;
	int rc = PP_OK, had_run = 0;

	*out = NULL;
	if (!rd)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rd->fd = rd->lock_fd = -1;
	if (n >= sizeof rd->dir) {
		rc = pp_error_set(err, PP_ERR_CONFIG, "output directory name too long: %.64s...", dir);
		goto fail;
	}
	memcpy(rd->dir, dir ? dir : "", n + 1);
	while (n > 1 && rd->dir[n - 1] == '/')
		rd->dir[--n] = '\0';
	if (flags & PP_RUNDIR_NEW) {
		rc = pp_rundir_check_output(rd->dir, err);
		if (!rc)
			rc = judge_new(rd->dir, flags & PP_RUNDIR_FORCE, &had_run, err);
		if (!rc)
			rc = pp_mkdir_p(rd->dir, err);
		if (rc)
			goto fail;
	}
	rd->fd = open(rd->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rd->fd < 0) {
		rc = pp_error_set(err, errno == ENOENT ? PP_ERR_INVALID : PP_ERR_IO, "cannot open %s: %s",
				  rd->dir, strerror(errno));
		goto fail;
	}
	if (read_manifest(rd->fd, rd->dir, &rd->list, had_run ? notes : NULL) < 0) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s/%s", rd->dir,
				  PP_RUN_MANIFEST);
		goto fail;
	}
	/* open from here on, so that its own manifest and lock are written as
	 * its files (not as those of a comparison directory around it) */
	rd->next = open_dirs;
	open_dirs = rd;
	if (flags & PP_RUNDIR_LOCK)
		rc = take_lock(rd, err);
	if (!rc && (flags & PP_RUNDIR_LOCK)) {
		/* a manifest rewrite that a kill cut short (writers of the
		 * manifest hold the directory's flock, so none is under way) */
		while (flock(rd->fd, LOCK_EX) != 0 && errno == EINTR)
			;
		remove_temps(rd->fd, PP_RUN_MANIFEST);
		flock(rd->fd, LOCK_UN);
	}
	if (!rc && (flags & PP_RUNDIR_LOCK) && !(flags & PP_RUNDIR_NEW))
		rc = drop_vanished(rd, err);
	if (!rc && had_run)
		rc = clear_earlier_run(rd, notes, err);
	if (rc) {
		pp_rundir_close(rd);
		return rc;
	}
	*out = rd;
	return PP_OK;
fail:
	if (rd->fd >= 0)
		close(rd->fd);
	list_free(&rd->list);
	free(rd);
	return rc;
}

void pp_rundir_close(pp_rundir *rd)
{
	if (!rd)
		return;
	for (pp_rundir **p = &open_dirs; *p; p = &(*p)->next) {
		if (*p == rd) {
			*p = rd->next;
			break;
		}
	}
	if (rd->lock_fd >= 0)
		close(rd->lock_fd);
	close(rd->fd);
	list_free(&rd->list);
	free(rd);
}

int pp_rundir_check_subdir(pp_rundir *rd, const char *name, int must_be_empty, pp_error *err)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd;

	if (fstatat(rd->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return PP_OK;
	if (S_ISLNK(st.st_mode))
		return link_error(rd->dir, name, strlen(name), err);
	if (!S_ISDIR(st.st_mode))
		return pp_error_set(err, PP_ERR_CONFIG, "%s/%s is not a directory; remove it or choose another output",
				    rd->dir, name);
	if (!must_be_empty)
		return PP_OK;
	fd = openat(rd->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return pp_error_set(err, PP_ERR_IO, "cannot read %s/%s: %s", rd->dir, name, strerror(errno));
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		pp_error_set(err, PP_ERR_CONFIG,
			     "%s/%s holds %s, which this run did not write and resume would read as its own; move it away or choose another output",
			     rd->dir, name, e->d_name);
		closedir(d);
		return PP_ERR_CONFIG;
	}
	closedir(d);
	return PP_OK;
}
