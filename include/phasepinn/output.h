/* phasepinn — writing files into a run directory.
 *
 * Every file that is written whole (summary.json, config.yaml, weights,
 * predictions) goes through pp_atomic_file: the text lands in a temporary
 * file beside the target, is flushed and fsync'ed, and only then renamed over
 * the target, so a reader (or a run killed half-way) never sees a truncated
 * file.  On any error the temporary file is removed.
 */
#ifndef PHASEPINN_OUTPUT_H
#define PHASEPINN_OUTPUT_H

#include <stdio.h>
#include <phasepinn/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pp_atomic_file {
	FILE *f;           /* write here between open and commit */
	char path[4096];
	char tmp[4096];
} pp_atomic_file;

/* Create @path's directories (like mkdir -p). */
int pp_mkdir_p(const char *path, pp_error *err);

int pp_atomic_open(pp_atomic_file *af, const char *path, pp_error *err);
/* Flush, fsync, rename into place.  On failure the target is untouched. */
int pp_atomic_commit(pp_atomic_file *af, pp_error *err);
/* Give up: close and remove the temporary file. Safe after commit. */
void pp_atomic_abort(pp_atomic_file *af);

/* "<dir>/<name>" into buf; error when it does not fit. */
int pp_path_join(char *buf, size_t size, const char *dir, const char *name,
		 pp_error *err);

#ifdef __cplusplus
}
#endif
#endif
