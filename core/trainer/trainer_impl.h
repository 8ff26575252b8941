/* phasepinn — the trainer's state, shared by the files of core/trainer/
 * (private to them; the CLI and tests see core/trainer.h only).
 *
 * One concern per file:
 *   loop.c      the stages and the steps: pp_train, run_stage, train_step,
 *               finish;
 *   plan.c      set-up: each term's points, batches and work arrays, the
 *               gradient chunks, resampling;
 *   evaluate.c  one evaluation: forward, residuals, point and term weights,
 *               backward, the combined gradient, the divergence guard and the
 *               objective optimizers call;
 *   metrics.c   the metrics row: its columns, what analyzers observe, the rows
 *               written, the reports to the progress callback, the per-point
 *               weights files;
 *   sections.c  checkpoints: the trainer's sections, the plugins' hooks, and
 *               putting a run back where a checkpoint left it;
 *   adaptive.c  adaptive sampling (RAD, RAR-D): candidates, their residuals,
 *               the draw, and telling the weighting which points moved;
 *   probe.c     residuals at points that are not a term's own, a batch at
 *               a time (adaptive sampling's candidates, validation points);
 *   validation.c  the validation points: their loss, and the parameters of
 *               its lowest value (validation.keep_best).
 *
 * Buffers are owned by the trainer (plan.c allocates, trainer_teardown
 * frees); the term states in `states` are what the step view shows plugins.
 */
#ifndef PHASEPINN_CORE_TRAINER_IMPL_H
#define PHASEPINN_CORE_TRAINER_IMPL_H

#include <time.h>

#include "core/trainer.h"

/* One enabled loss term with its points and work arrays. */
typedef struct term_run {
	pp_term_state *st;          /* the view's entry for this term */
	const pp_term_info *info;
	int n_channels;
	int paired;
	size_t n;
	/* Data-parallel runs (docs/scaling.md): this rank holds n of the
	 * term's n_total points, the one-rank run's points from offset on
	 * (one rank: n_total = n, offset = 0; 0 for a probe, which is not
	 * sharded).  Losses divide by n_total. */
	size_t n_total, offset;
	double loss_sum, wsum;      /* this rank's Σ r², Σ w·r²; then the sums over ranks */
	pp_real *x, *x_pair;        /* n × d */
	pp_real *r, *w, *lambda;    /* n */
	pp_real *out, *out_pair;    /* per batch b: n_channels × len_b at n_channels·start_b */
	pp_real *dr, *dr_pair;      /* same layout */
	/* A system (K components > 1): the plugin writes K·len residuals and
	 * K·C Jacobian arrays of the current batch into these scratch arrays;
	 * r and dr above then hold each point's norm ρ = ‖r‖ and ∂ρ/∂u, and
	 * comp the components, component k of point i at comp[k·n + i]. */
	int K;
	pp_real *rk, *drk, *drk_pair;  /* K·longest batch, K·C·longest */
	pp_real *comp;              /* K·n */
	/* Trainable coefficients (trainer.n_train > 0): the plugin's
	 * ∂r_k/∂c_j of the current batch (K·M arrays of the longest batch),
	 * and per point Σ_k r_k·∂r_k/∂c_j of trainable j at rdc[j·n + i]. */
	pp_real *drc;
	pp_real *rdc;
	const pp_term_setup *setup; /* the experiment's settings of the term */
	pp_real *normal;            /* boundary terms: outward unit normals, n × d */
	int *part;                  /* ... and the geometry part of each point */
	int data;                   /* the core's data term: points and observed
				       values from exp->obs, residual computed here */
	pp_real *sqrt_w;            /* data: sqrt of each row's weight, NULL for 1 */
	pp_real *grad;              /* g_k, n_params, without the term weight */
	size_t n_batches;
	size_t *start, *len;
	pp_batch **batches, **pair_batches;
	/* Bounded memory (exp->keep_activations 0): batches[0] and
	 * pair_batches[0], sized for the longest batch, serve every batch; they
	 * hold the activations of batch `resident` (NO_BATCH: none), and a
	 * backward of another batch pushes it through them again first. */
	int reuse;
	size_t resident;
} term_run;

#define NO_BATCH ((size_t)-1)

/* One batch's work arrays for the residuals of a term's kind at points
 * that are not its own (probe.c). */
typedef struct term_probe {
	term_run run;               /* the term's settings, n_batches = 1 */
	pp_term_state state;
	size_t start, len;          /* the one batch */
	size_t capacity;            /* points per batch */
} term_probe;

/* The validation set of one term (validation.c): points drawn once from
 * the term's sampler with the validation stream, and a probe. */
typedef struct validation_set {
	term_run points;            /* x (normals, parts) of n points */
	term_probe probe;
	double *mag;                /* |r| per point, scratch */
	double weight;              /* the term's configured weight */
} validation_set;

/* Where the run stands: the next global step, its stage and its step within
 * that stage (stage == n_stages once every stage is done).  A checkpoint
 * records it; a resumed run starts from it. */
typedef struct trainer_position {
	long step;
	int stage;
	long stage_step;
} trainer_position;

typedef struct trainer {
	pp_experiment *exp;
	const pp_train_options *opts;
	pp_train_result *res;       /* filled as the run goes */
	struct timespec t0;         /* the training clock's start; a resumed run
				       moves it back by the time already trained */
	trainer_position pos;
	long first_step;            /* 0, or the step a resumed run starts at */
	double stage_t0;            /* training clock when the stage began */
	double prev_loss;           /* the stage's previous step's loss, NAN at
				       its first (both kept by checkpoints) */
	pp_network *net;
	size_t n_params;            /* the network's and the trainable coefficients' */
	size_t n_net;               /* the network's alone: coefficients start here */
	int n_train;                /* trainable coefficients (exp->trainable) */
	double coef[PP_MAX_COEFFICIENTS];  /* every declared coefficient's current value */
	double dcoef[PP_MAX_COEFFICIENTS]; /* dc/ds of trainable j */
	int d;
	pp_term_state states[PP_MAX_TERMS];
	term_run terms[PP_MAX_TERMS];
	int n_terms;
	int interior;               /* index of the chunked term, -1 if none */
	pp_real *seed;              /* scratch: max channels × max batch */
	size_t seed_size;           /* its length */
	pp_real *grad;              /* full gradient */
	pp_real *chunk_grad;        /* one chunk's contribution */
	pp_real *other;             /* Σ over non-interior terms of tw·g */
	pp_real *params;            /* copy the optimizer works on */
	pp_real *opt_grad;          /* the gradient at params, which objective
				       evaluations inside the step must not clobber */
	int want_chunks;
	int n_chunks;               /* 0: one per point (per-sample statistics) */
	int chunk_count;            /* the chunks this rank holds (n_chunks on one rank) */
	int rank, ranks;            /* core/comm.h; 0 and 1 without MPI */
	int term_grads;             /* each term's gradient over all ranks is read
				       (PP_NEED_TERM_GRADIENTS, term_weights) */
	int combined;               /* this evaluation reduced grad itself */
	size_t n_total[PP_MAX_TERMS], first[PP_MAX_TERMS];  /* the view's per-term counts */
	size_t *chunk_start;        /* chunk c of the interior term: points
				       [chunk_start[c], chunk_start[c + 1]) */
	pp_batch *chunk_batch;      /* chunk mode: one chunk at a time */
	pp_real *chunk_out;         /* its outputs, n_channels × chunk */
	int stats_due;              /* an analyzer reads the statistics this step */
	pp_batch *sample_batch;     /* per-sample mode: one point at a time */
	double *chunk_sum, *chunk_sumsq;
	pp_chunk_stats chunks;
	pp_rng rng;
	pp_step_view view;
	void *opt_state;            /* the current stage's optimizer */
	pp_objective objective;
	char *config_text;          /* resolved config for checkpoints */
	size_t config_len;
	pp_ckpt_origin origin;      /* which run this is (section EXPT); its
				       metrics fields are updated per checkpoint */
	const char *part_names[PP_MAX_PARTS]; /* the geometry's parts, for residual() */
	pp_real *val_x;             /* validation rows of the data (n × d), NULL: none */
	pp_real *val_u;             /* predictions there: n_outputs × n */
	int val_column;             /* data_val_rel_l2's column, -1: none */
	/* Adaptive sampling (adaptive.c; exp->adaptive): its own random
	 * stream (candidates and draws), the resamplings made so far, whether
	 * this step made one, and the metrics column that says so. */
	pp_rng adaptive_rng;
	long adaptive_events;
	int adaptive_now;
	int adaptive_column;        /* "resamplings", -1: none */
	/* Validation (validation.c; exp->validation): one set per term that
	 * has one, the column val_loss, and with keep_best the lowest value so
	 * far, its step and its parameters. */
	validation_set vsets[PP_MAX_TERMS];
	int n_vsets;
	int vcolumn;                /* "val_loss", -1: none */
	double val_last;            /* at the last validation step, NAN before */
	double val_best;            /* NAN before the first */
	long val_best_step;
	pp_real *val_best_params;   /* n_params, keep_best only */
} trainer;

/* One metrics row as observe() fills it: value and "measured" per column. */
typedef struct metrics_row {
	double v[PP_MAX_COLUMNS];
	unsigned char set[PP_MAX_COLUMNS];
	int any;                    /* worth writing: measured, or a logging step */
} metrics_row;

/* The fixed columns of every row, before the terms' and analyzers'. */
enum { COL_STEP, COL_STAGE, COL_LOSS, COL_LR, COL_TIME, COL_FIXED };

/* Not part of libphasepinn's interface. */
#pragma GCC visibility push(hidden)

/* plan.c */
int trainer_setup(trainer *t, pp_experiment *exp, pp_error *err);
void trainer_teardown(trainer *t);
void trainer_pair_points(trainer *t, term_run *tr);
int trainer_resample(trainer *t, pp_error *err);
int trainer_sample_points(trainer *t, term_run *tr, pp_rng *rng, pp_error *err);
/* Term @k to @n points: the first min(n, old n) keep their coordinates,
 * normals, parts, w and λ; the rest are zero with w = λ = 1, for the caller
 * to fill (then trainer_pair_points).  Batches and chunks are planned anew. */
int trainer_resize_term(trainer *t, int k, size_t n, pp_error *err);
/* This rank's first point of @n of term @k in the one-rank order (rank
 * @r; r = ranks gives n): contiguous shares, or for the chunked interior
 * term whole chunks, so that every chunk lies on one rank. */
size_t trainer_shard_start(const trainer *t, int k, size_t n, int r);

/* adaptive.c */
void trainer_adaptive_init(trainer *t);
int trainer_adaptive_due(const trainer *t, long step);
/* The point count of term @k at the checkpoint before @step. */
size_t trainer_adaptive_points(const trainer *t, int k, long step);
/* ... and this rank's share of it: its count and first point. */
size_t trainer_adaptive_share(const trainer *t, int k, long step, size_t *offset);
int trainer_adaptive_resample(trainer *t, pp_error *err);

/* probe.c */
int trainer_probe_create(trainer *t, const term_run *tr, size_t capacity, term_probe *p,
			 pp_error *err);
void trainer_probe_destroy(term_probe *p);
/* |r| (‖r‖ for a system) at @m points x (normals, parts: NULL if the term
 * has none) at the current parameters and coefficients, into mag. */
int trainer_probe_residuals(trainer *t, term_probe *p, size_t m, pp_real *x, pp_real *normal,
			    int *part, double *mag, pp_error *err);

/* @m points of @tr's kind into @set (x, and normals and parts when @tr
 * has them), drawn by the term's sampler from @rng; free with
 * trainer_point_set_free, also after a failure. */
int trainer_point_set_draw(trainer *t, const term_run *tr, size_t m, pp_rng *rng, term_run *set,
			   pp_error *err);
void trainer_point_set_free(term_run *set);

/* validation.c */
int trainer_validation_init(trainer *t, pp_error *err);
void trainer_validation_free(trainer *t);
int trainer_validation_due(const trainer *t, long step);
/* val_loss at the current parameters; with keep_best, remember them when
 * it is the lowest so far (at @step). */
int trainer_validate(trainer *t, long step, double *val, pp_error *err);
/* keep_best: put the parameters of the lowest val_loss back when they
 * are not the current ones; *kept = 1 if it did. */
void trainer_validation_restore(trainer *t, int *kept);

/* evaluate.c */
void trainer_update_coefficients(trainer *t);
int trainer_evaluate(trainer *t, int update_weights, double *loss, pp_error *err);
/* Residuals r (and their components) of @tr's points at the current
 * parameters and coefficients, batch by batch; nothing else changes. */
int trainer_term_residuals(trainer *t, term_run *tr, pp_error *err);
int trainer_check_finite(trainer *t, long step, double loss, pp_error *err);
int trainer_objective_eval(void *ctx, const pp_real *params, double *loss, pp_real *grad,
			   pp_error *err);

/* metrics.c */
double trainer_seconds(const trainer *t);
int trainer_name_columns(trainer *t, pp_error *err);
void trainer_write_header(const trainer *t);
int trainer_observe(trainer *t, int force, metrics_row *row, pp_error *err);
void trainer_emit(trainer *t, const metrics_row *row);
void trainer_report(trainer *t, pp_train_event event, const metrics_row *row);
int trainer_write_weights(trainer *t, pp_error *err);

/* sections.c */
int trainer_config_text(trainer *t, pp_error *err);
int trainer_start_origin(trainer *t, pp_error *err);
int trainer_save_checkpoint(trainer *t, pp_error *err);
int trainer_restore(trainer *t, const pp_ckpt *c, double *elapsed, pp_error *err);
int trainer_load_optimizer(trainer *t, const pp_ckpt *c, pp_error *err);

#pragma GCC visibility pop

#endif
