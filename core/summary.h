/* phasepinn — summary.json, how a run ended (private to the core and the
 * command line).  The one writer and the one reader of the file; the name
 * is PP_RUN_SUMMARY of core/rundir.h, the JSON is core/json.h's.
 *
 *   {"name", "config", "status": "completed"|"interrupted"|"failed",
 *    "error": message or null, "version", "precision", "threads", "seed",
 *    "blas_kernels", "pde", "weighting", "network", "parameters", "steps",
 *    "seconds", "final_loss",
 *    "kept": {"step", "val_loss", "last_val_loss"} (validation.keep_best only),
 *    "stages": [{"optimizer", "iterations", "steps", "stop"}, ...],
 *    "final": {"<metrics column>": last value, ...}}
 *
 * Numbers that are not finite (a diverged loss) are written as null and
 * read back as NaN.  The reader takes what an older or newer phasepinn
 * wrote: a member it does not know is ignored, a member that is missing
 * reads as NULL, -1 or NaN; a known member of the wrong type, or text that
 * is not JSON, is an error naming the file, line and column.
 */
#ifndef PHASEPINN_CORE_SUMMARY_H
#define PHASEPINN_CORE_SUMMARY_H

#include <stddef.h>

#include <phasepinn/error.h>

#include "core/experiment.h"
#include "core/trainer.h"

typedef struct pp_summary_stage {
	const char *optimizer;
	long iterations;        /* as configured; -1: missing */
	long steps;             /* run; -1: missing */
	const char *stop;       /* why it stopped, "not run" */
} pp_summary_stage;

typedef struct pp_summary_value {
	const char *column;     /* a metrics.csv column */
	double value;           /* its last value; NaN: null */
} pp_summary_value;

/* Strings are NULL when missing (or null); "error" is NULL when the run
 * had none.  Integers are -1 when missing. */
typedef struct pp_summary {
	const char *name, *config, *status, *error;
	const char *version, *precision, *blas_kernels;
	long threads;
	int has_seed;
	unsigned long seed;
	const char *pde, *weighting, *network;
	/* a warm start (network: {init: {from: RUN_DIR}}): that run directory
	 * and the step of its model (-1: unknown); NULL: none, and no
	 * "started_from" member in the file */
	const char *started_from;
	long started_from_step;
	long parameters, steps;
	double seconds, final_loss;      /* NaN: not finite, or missing */
	/* validation.keep_best: the step of the parameters the run ended with
	 * and its val_loss, and the last step's val_loss; kept_step -1: no
	 * keep_best, and no "kept" member in the file */
	long kept_step;
	double kept_val_loss, last_val_loss;
	int n_stages;
	pp_summary_stage *stages;
	int n_final;
	pp_summary_value *final;
	/* the parsed file, which the strings of a read summary point into */
	struct pp_json *tree;
} pp_summary;

/* A finished (or stopped) run's summary: @status "completed",
 * "interrupted" or "failed", @run_err the reason (NULL or code 0: none).
 * The strings are borrowed from @exp, @res and @run_err, which must
 * outlive @s; release it with pp_summary_free. */
int pp_summary_of_run(const pp_experiment *exp, const pp_train_result *res, const char *status,
		      const pp_error *run_err, pp_summary *s, pp_error *err);

/* RUN_DIR/summary.json, atomically. */
int pp_summary_write(const char *run_dir, const pp_summary *s, pp_error *err);

/* Read RUN_DIR/summary.json into @s (release with pp_summary_free, also
 * after a failure).  PP_ERR_IO when it cannot be read (errno's words;
 * a missing file among them), PP_ERR_CONFIG when it is not a summary. */
int pp_summary_read(const char *run_dir, pp_summary *s, pp_error *err);

/* The same from the @len bytes of @text, @name in error messages. */
int pp_summary_parse(const char *text, size_t len, const char *name, pp_summary *s,
		     pp_error *err);

/* Release what pp_summary_of_run, _read or _parse put in @s (the arrays
 * and the parsed file) and clear it; a zeroed summary is fine. */
void pp_summary_free(pp_summary *s);

#endif
