/* phasepinn — the progress line of `run` and `resume` (private to the CLI).
 *
 * The trainer reports (core/trainer.h, pp_train_report); this draws.  On a
 * terminal one line is redrawn at most 5 times a second, fitted to the
 * terminal's width; anywhere else (CI logs) a plain line every
 * logging.every steps.  The relative L2 error (column error_rel_l2 of the
 * `error` analyzer) and the phase (column `phase` of the `phases`
 * analyzer) are shown when those analyzers run.
 */
#ifndef PHASEPINN_CLI_PROGRESS_H
#define PHASEPINN_CLI_PROGRESS_H

#include <stdio.h>

#include "core/trainer.h"

typedef struct pp_cli_progress {
	FILE *out;
	int tty;                  /* out is a terminal: one updating line */
	double last_drawn;        /* when that line was last drawn (s, training clock) */
	int open;                 /* a redrawn line waits for its newline */
	long rate_step0;          /* step and time (s) the rate counts from: the
				     first step reported in the stage; -1 until then */
	double rate_time0;
	int columns_known;        /* col_error and col_phase looked up */
	int col_error, col_phase; /* their columns in the metrics row, or -1 */
	long error_step;          /* the step that measured the error shown, -1:
				     unknown (a resumed run's earlier value) */
} pp_cli_progress;

/* Draw on @out (stderr for `run`; NULL: draw nothing). */
void pp_cli_progress_init(pp_cli_progress *p, FILE *out);
/* The pp_train_progress_fn; @ctx is a pp_cli_progress. */
void pp_cli_progress_report(void *ctx, const pp_train_report *report);

/* The two halves of pp_cli_progress_report, for its tests: the bookkeeping
 * every report needs (where the rate counts from, which step measured the
 * error), and the line of a STEP or FINAL report into @line, fitted to
 * @cols columns (0: any width).  No rate and no time left are shown until
 * two steps of the stage give a rate; an error value the row did not
 * measure says which step did: "rel.L2 3.1e-02 (step 1000)". */
void pp_cli_progress_update(pp_cli_progress *p, const pp_train_report *report);
void pp_cli_progress_format(const pp_cli_progress *p, const pp_train_report *report, int cols,
			    char *line, size_t size);

#endif
