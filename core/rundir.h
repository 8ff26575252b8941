/* phasepinn — the run directory: the name of every file phasepinn writes
 * or reads in it, its manifest and lock, preparing and clearing it (private
 * to the core and the command line; the atomic writes are declared in
 * include/phasepinn/output.h and made in core/atomic_file.c, summary.json
 * is written and read in core/summary.c, the CSV tables are read with
 * core/csv.c).
 *
 * A run directory holds what phasepinn wrote and, maybe, files of the
 * user's.  To tell them apart every run keeps RUN_DIR/.phasepinn-manifest:
 * a first line "# phasepinn manifest 1", then one path per line, relative to
 * the run directory ("config.yaml", "figures/", "figures/loss.gp"; a
 * directory ends in '/').  A path is recorded BEFORE the file or directory
 * is created, and the manifest is replaced atomically (temporary file, fsync,
 * rename), so a run killed at any moment never
 * leaves a file of its own unrecorded.  A temporary file of a recorded path,
 * "<path>.tmp.XXXXXX" (what pp_atomic_open makes), counts as recorded.
 *
 * While a run directory is open (pp_rundir_open), every write the process
 * makes below it through pp_atomic_open, pp_mkdir_p or pp_rundir_fopen is
 * recorded, and refused when a directory on the way inside the run
 * directory is a symbolic link: phasepinn never writes through a link it did
 * not make.  That covers plugins, which write with pp_atomic_open.  The
 * table of open run directories is process-wide and not locked: open, write
 * and close from one thread (the command line does).
 *
 * Rules (docs/hardening.md, "The run directory"):
 * - a directory holds a phasepinn run when it has a valid manifest;
 * - run into a directory holding anything else is refused unless --force,
 *   naming the first such file; with --force nothing of it is deleted;
 * - --force deletes only what the earlier manifest lists, only regular files
 *   (and directories left empty), never through a symbolic link; entries
 *   that are absolute, hold "." or "..", or lead through a link are
 *   ignored and reported;
 * - an output of "/", one whose last component is "..", or an ancestor of
 *   the current directory is refused, and the current directory itself
 *   unless it is empty or holds a run, with or without --force.
 */
#ifndef PHASEPINN_CORE_RUNDIR_H
#define PHASEPINN_CORE_RUNDIR_H

#include <stddef.h>
#include <stdio.h>

#include <phasepinn/error.h>
#include <phasepinn/output.h>   /* PP_RUN_PREDICTION, PP_RUN_PHASES */

/* ---- what a run directory holds ------------------------------------------
 * Names relative to the run directory, as string literals so that "../"
 * PP_RUN_METRICS makes the path a figure script reads.  Files analyzer
 * plugins write (prediction.csv, phases.txt) are named in the installed
 * output.h, since plugins cannot include this header. */
#define PP_RUN_CONFIG      "config.yaml"     /* the experiment as it ran (resolved) */
#define PP_RUN_METRICS     "metrics.csv"     /* one row per logged step */
#define PP_RUN_SUMMARY     "summary.json"    /* how the run ended (core/summary.h) */
#define PP_RUN_PARAMETERS  "parameters.txt"  /* the network's parameters, one a line */
#define PP_RUN_MODEL       "model.npz"       /* the trained model (core/model_file.h) */
#define PP_RUN_REPORT      "report.md"       /* `plot`'s report of the directory */
#define PP_RUN_FIGURES     "figures"         /* gnuplot scripts and their PNGs */
#define PP_RUN_CHECKPOINTS "checkpoints"     /* step-<step>.ckpt (core/checkpoint.h) */
#define PP_RUN_MANIFEST    ".phasepinn-manifest"
#define PP_RUN_LOCK        ".phasepinn.lock"
/* weights_<term>.csv: a term's final per-point weights (the trainer) */
#define PP_RUN_WEIGHTS_PREFIX "weights_"
#define PP_RUN_WEIGHTS_SUFFIX ".csv"

/* What `compare` adds to its own directory beside the variants' run
 * directories (DIR/<variant>/). */
#define PP_COMPARE_TABLE    "comparison.csv"        /* one row per variant */
#define PP_COMPARE_TABLE_MD "comparison.md"         /* the same as a Markdown table */
#define PP_COMPARE_METRICS  "combined_metrics.csv"  /* variant,step,metric,value */

/* "weights_<term>.csv" into @buf; PP_ERR_INVALID when it does not fit. */
int pp_rundir_weights_name(char *buf, size_t size, const char *term, pp_error *err);

/* ---- the run directory's manifest and lock ------------------------------ */

typedef struct pp_rundir pp_rundir;

enum pp_rundir_flags {
	/* A new run (run, compare): refuse a directory holding anything but a
	 * phasepinn run; with FORCE, delete the earlier run's files first and
	 * start a fresh manifest.  Without NEW the manifest is appended to
	 * (resume, plot) and created when missing. */
	PP_RUNDIR_NEW = 1,
	PP_RUNDIR_FORCE = 2,
	/* Hold RUN_DIR/.phasepinn.lock (flock) until pp_rundir_close: one
	 * writing process per run directory. */
	PP_RUNDIR_LOCK = 4,
};

/* Refuse @dir as a place for a run's files whatever --force says: "/" (or
 * a path resolving to it), a last component "..", an ancestor of the
 * current directory.  PP_ERR_CONFIG with the reason; PP_OK otherwise.
 * (The current directory itself is judged by pp_rundir_open, which looks
 * at what it holds.) */
int pp_rundir_check_output(const char *dir, pp_error *err);

/* Open @dir as a run directory with @flags (enum pp_rundir_flags), creating
 * it when missing (NEW), and add it to the process's open run directories.
 * Entries of an earlier manifest that --force ignores are named on @notes
 * (may be NULL).  Refusals are PP_ERR_CONFIG.  *out is closed with
 * pp_rundir_close. */
int pp_rundir_open(const char *dir, int flags, FILE *notes, pp_rundir **out, pp_error *err);

/* Forget @rd (releasing its lock); NULL is fine. */
void pp_rundir_close(pp_rundir *rd);

/* Is @dir (the same string) open as a run directory in this process? */
int pp_rundir_is_open(const char *dir);

/* Does @path lie below (not at) a directory open as a run directory? */
int pp_rundir_contains(const char *path);

/* Before creating @path (a directory when @is_dir): when it lies in an
 * open run directory, check that no directory on the way inside it is a
 * symbolic link and record it in that manifest.  PP_OK and nothing done
 * for a path outside every open run directory. */
int pp_rundir_prepare(const char *path, int is_dir, pp_error *err);

/* fopen(@path, @mode) for "w" (create or truncate) and "r+" that, inside
 * an open run directory, records the path first and never follows a
 * symbolic link (the file's own name included). */
FILE *pp_rundir_fopen(const char *path, const char *mode, pp_error *err);

/* Remove the regular file @path if it is phasepinn's: inside an open run
 * directory only when its manifest records it (or it is the temporary file
 * of a recorded path) and no directory on the way is a link, and its entry
 * is then dropped; outside one (a library caller managing the directory
 * itself) when it is a regular file whose directory is not a link.
 * PP_OK also when nothing was removed because the file is not ours. */
int pp_rundir_remove(const char *path, pp_error *err);

/* RUN_DIR/@name, when it exists, must be a real directory (not a link):
 * otherwise PP_ERR_CONFIG.  With @must_be_empty it must also hold nothing
 * (a checkpoints/ directory with files this run does not own would be read
 * by resume as this run's). */
int pp_rundir_check_subdir(pp_rundir *rd, const char *name, int must_be_empty, pp_error *err);

#endif
