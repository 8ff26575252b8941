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

/* Files analyzers write into the run directory (pp_problem.run_dir) that
 * phasepinn's own tools read back: `phasepinn plot` draws the prediction
 * and shades the phases, its report lists them.  An analyzer of another
 * author writing these names, in these formats, gets the same figures.
 *   prediction.csv  <input 1>,<input 2>,...,u_pred,u_ref,abs_err per grid point;
 *                   with several outputs <f>_pred,<f>_ref,<f>_abs_err per field f
 *                   (<f>_pred alone for a field without a reference); on a
 *                   geometry, grid points outside it are "nan" in every field
 *   phases.txt      "<phase> <step>" per transition (pp_phase_write_transitions)
 * (The core's own files are named in its private core/rundir.h.) */
#define PP_RUN_PREDICTION "prediction.csv"
#define PP_RUN_PHASES "phases.txt"

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
