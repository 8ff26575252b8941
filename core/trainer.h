/* phasepinn — the training loop (private to the core, the CLI and tests).
 *
 * One step:
 *   1. forward every enabled term's points (batch by batch) and ask the PDE
 *      for residuals r and Jacobians ∂r/∂channel;
 *   2. weighting.point_weights() sets per-point weights w from r;
 *   3. backward per term into its own gradient g_k (interior term chunk by
 *      chunk, accumulating the chunk statistics analyzers asked for);
 *   4. weighting.term_weights() may rebalance term weights from the g_k;
 *      the gradient is Σ_k term_weight_k · g_k;
 *   5. divergence guard: a non-finite loss or gradient ends the run with the
 *      step and term named;
 *   6. analyzers observe (every `every` steps), a metrics row is written;
 *   7. the stage's optimizer updates the parameters (L-BFGS may evaluate the
 *      objective again with the point weights of this step held fixed).
 * After the last stage the final parameters are evaluated once more and that
 * row is the run's final result.
 *
 * Checkpoints (docs/checkpoints.md) are taken between steps: every
 * checkpoint.every steps, after the last step, and when a signal interrupts
 * the run.  A run resumed from one continues bit for bit as the run would
 * have without the interruption (same thread count; only time_s differs).
 */
#ifndef PHASEPINN_CORE_TRAINER_H
#define PHASEPINN_CORE_TRAINER_H

#include <signal.h>
#include <stdio.h>

#include "core/checkpoint.h"
#include "core/experiment.h"

typedef struct pp_train_options {
	FILE *progress;                      /* progress lines, NULL for none */
	FILE *metrics;                       /* metrics.csv, NULL for none */
	volatile sig_atomic_t *interrupted;  /* set by a signal handler; may be NULL */
	int checkpoints;                     /* write checkpoints into the run
						directory as exp->checkpoint_* say,
						and one when interrupted */
	const pp_ckpt *resume;               /* continue from this checkpoint;
						metrics must then be positioned
						at its metrics offset (see
						pp_train_resume_offset) */
} pp_train_options;

#define PP_MAX_COLUMNS 256

typedef struct pp_train_result {
	int started;                /* set-up passed: a failure from here on is
				       the run's (exit 1), not the experiment's */
	long steps;                 /* optimizer steps taken */
	double seconds;             /* wall time of training */
	double final_loss;
	int stages_run;
	char stop_reasons[PP_MAX_STAGES][160];
	long stage_steps[PP_MAX_STAGES];
	int n_columns;
	const char *columns[PP_MAX_COLUMNS];   /* metric names (strings owned by
						  the trainer's result) */
	double last[PP_MAX_COLUMNS];           /* last value written per column */
	char column_store[PP_MAX_COLUMNS][48];
} pp_train_result;

/* Train @exp; writes metrics rows to opts->metrics and per-point weights
 * into exp->run_dir (when set).  @res is filled even on failure with what was
 * done so far. */
int pp_train(pp_experiment *exp, const pp_train_options *opts,
	     pp_train_result *res, pp_error *err);

/* Byte length of metrics.csv when @ckpt was written (-1: the run kept no
 * metrics file).  Rows after it belong to steps the resumed run redoes. */
long pp_train_resume_offset(const pp_ckpt *ckpt, pp_error *err);
/* Plugins of @exp that cannot be checkpointed (no save/load hooks) and
 * whose state a resume would therefore lose, as "analyzer 'x', ..." into
 * @buf; returns how many. */
int pp_train_unresumable(const pp_experiment *exp, char *buf, size_t size);

#endif
