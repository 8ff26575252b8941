/* phasepinn — atomic file output and paths (see include/phasepinn/output.h).
 * Inside an open run directory every file and directory made here is first
 * recorded in its manifest and never made through a link (core/rundir.h). */
#include <phasepinn/output.h>

#include "core/rundir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pp_path_join(char *buf, size_t size, const char *dir, const char *name,
		 pp_error *err)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return pp_error_set(err, PP_ERR_INVALID, "path too long: %s/%s", dir, name);
	return PP_OK;
}

int pp_mkdir_p(const char *path, pp_error *err)
{
	char buf[4096];
	size_t n = strlen(path);
	struct stat st;

	/* below an open run directory: recorded, and never through a link */
	if (pp_rundir_contains(path))
		return pp_rundir_prepare(path, 1, err);
	if (n == 0 || n >= sizeof buf)
		return pp_error_set(err, PP_ERR_INVALID, "bad directory name '%s'", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return pp_error_set(err, PP_ERR_IO, "cannot create directory %s: %s",
					    buf, strerror(errno));
		buf[i] = saved;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return pp_error_set(err, PP_ERR_IO, "%s exists and is not a directory", path);
	return PP_OK;
}

int pp_atomic_open(pp_atomic_file *af, const char *path, pp_error *err)
{
	int fd, rc;

	af->f = NULL;
	af->tmp[0] = '\0';
	if (snprintf(af->path, sizeof af->path, "%s", path) >= (int)sizeof af->path ||
	    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof af->tmp) {
		af->tmp[0] = '\0';
		return pp_error_set(err, PP_ERR_INVALID, "path too long: %s", path);
	}
	/* In a run directory: recorded first, never below a link.  The
	 * temporary file is made with O_EXCL (never follows a link), and the
	 * rename replaces a link at @path rather than writing through it. */
	rc = pp_rundir_prepare(path, 0, err);
	if (rc) {
		af->tmp[0] = '\0';
		return rc;
	}
	fd = mkstemp(af->tmp);
	if (fd < 0) {
		af->tmp[0] = '\0';
		return pp_error_set(err, PP_ERR_IO, "cannot create a file beside %s: %s",
				    path, strerror(errno));
	}
	fchmod(fd, 0644);
	af->f = fdopen(fd, "w");
	if (!af->f) {
		close(fd);
		unlink(af->tmp);
		af->tmp[0] = '\0';
		return pp_error_set(err, PP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
	}
	return PP_OK;
}

int pp_atomic_commit(pp_atomic_file *af, pp_error *err)
{
	int failed;

	if (!af->f)
		return pp_error_set(err, PP_ERR_STATE, "%s: not open", af->path);
	failed = fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0;
	if (fclose(af->f) != 0)
		failed = 1;
	af->f = NULL;
	if (failed || rename(af->tmp, af->path) != 0) {
		int e = errno;
		unlink(af->tmp);
		af->tmp[0] = '\0';
		return pp_error_set(err, PP_ERR_IO, "cannot write %s: %s", af->path, strerror(e));
	}
	af->tmp[0] = '\0';
	return PP_OK;
}

void pp_atomic_abort(pp_atomic_file *af)
{
	if (af->f) {
		fclose(af->f);
		af->f = NULL;
	}
	if (af->tmp[0]) {
		unlink(af->tmp);
		af->tmp[0] = '\0';
	}
}
