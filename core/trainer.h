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
 *   6. analyzers observe (every `every` steps), a metrics row is written
 *      and reported to the progress callback;
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

/* What the trainer reports as it goes (pp_train_options.progress).  The
 * trainer draws nothing: the command line turns reports into its progress
 * line (cli/progress.c). */
typedef enum pp_train_event {
	PP_TRAIN_STAGE,     /* a stage starts, or a resumed run goes on in it */
	PP_TRAIN_STEP,      /* an optimizer step is done; row: its metrics row */
	PP_TRAIN_FINAL,     /* the final parameters are evaluated; row: the final row */
	PP_TRAIN_END        /* training ends, completed or not (an error
			       message may follow) */
} pp_train_event;

/* A metrics row as the trainer reports it; all arrays n_columns long and
 * borrowed for the call. */
typedef struct pp_train_row {
	int n_columns;
	const char *const *columns;   /* names, as in pp_train_result */
	const double *values;         /* this row's values where set[i] */
	const unsigned char *set;     /* 1: measured for this row */
	const double *last;           /* the last value written per column, this
					 row's included (NaN: none yet) */
} pp_train_row;

typedef struct pp_train_report {
	pp_train_event event;
	long step;                    /* STEP, FINAL: the row's step; STAGE: the
					 stage's first (or resumed) step */
	double seconds;               /* on the training clock, which a resumed
					 run continues */
	long total_steps;             /* of all stages together */
	int n_stages;
	long log_every;               /* logging.every */
	const pp_step_view *view;     /* stage, optimizer and loss of the step */
	const pp_train_row *row;      /* STEP and FINAL, else NULL */
} pp_train_report;

typedef void (*pp_train_progress_fn)(void *ctx, const pp_train_report *report);

typedef struct pp_train_options {
	pp_train_progress_fn progress;       /* called with each report, NULL for none */
	void *progress_ctx;                  /* its first argument */
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
	/* validation.keep_best: the step whose parameters the run ended with
	 * (-1: none kept, the last ones), its val_loss and the last step's */
	long kept_step;
	double kept_val_loss, last_val_loss;
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

/* Adaptive sampling's draw (core/trainer/adaptive.c, docs/sampling.md): @n
 * distinct indices of the @m candidates whose residual magnitudes are @mag,
 * without replacement, each next one with probability proportional to
 * |r|^k / mean(|r|^k) + c among those left; into @chosen in increasing
 * order.  Refuses n > m and a non-finite or negative magnitude. */
int pp_adaptive_choose(const double *mag, size_t m, double k, double c, size_t n, pp_rng *rng,
		       size_t *chosen, pp_error *err);

#endif
