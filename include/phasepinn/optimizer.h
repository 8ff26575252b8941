/* phasepinn — optimizer plugins.
 *
 * The core evaluates loss and gradient at the current parameters (so analyzers
 * and the divergence guard see them), then calls step().  The guard is the
 * core's alone: step() is called only with a finite loss and a finite
 * gradient (a non-finite one ends the run first, naming the step and the
 * term), so an optimizer need not check them.  First-order methods
 * update params in place from grad; methods that need more evaluations (L-BFGS
 * line search) call args->objective, which evaluates with the point weights of
 * this step held fixed.  One step() is one logged iteration.
 *
 * YAML: each entry of `stages:` is
 *   - optimizer: adam          # plugin name
 *     iterations: 20000
 *     <plugin options>          # lr, betas, schedule, history, ...
 */
#ifndef PHASEPINN_OPTIMIZER_H
#define PHASEPINN_OPTIMIZER_H

#include <stddef.h>
#include <stdint.h>
#include <phasepinn/config.h>
#include <phasepinn/error.h>
#include <phasepinn/real.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pp_objective {
	void *ctx;
	/* loss and gradient at params; grad may be NULL when only the loss is needed */
	int (*eval)(void *ctx, const pp_real *params, double *loss, pp_real *grad,
		    pp_error *err);
} pp_objective;

typedef struct pp_optimizer_args {
	long step;               /* global step, 0-based */
	long stage_step;         /* step within this stage, 0-based */
	long stage_iterations;   /* iterations of this stage */
	double loss;             /* at params; finite */
	const pp_real *grad;     /* at params; every entry finite */
	pp_objective *objective;
	/* written by the optimizer: */
	double lr;               /* learning rate used (logged; NAN when meaningless) */
	long evaluations;        /* objective evaluations made inside this step */
	int stop;                /* 1: end the stage after this step */
	char stop_reason[160];   /* why, e.g. "converged: |g|_inf < 1e-9" */
} pp_optimizer_args;

typedef struct pp_optimizer_ops {
	uint32_t struct_size;
	int (*create)(const pp_config *cfg, size_t n_params, void **state, pp_error *err);
	void (*destroy)(void *state);
	int (*step)(void *state, pp_real *params, pp_optimizer_args *args, pp_error *err);
	/* Optional: bias-corrected moments (Adam), for the adam_snr analyzer. */
	int (*moments)(void *state, pp_real *m_hat, pp_real *v_hat);
	/* Optional (NULL): checkpoint hooks.  save() with buf == NULL stores the
	 * size it needs in *size; otherwise it writes at most *size bytes and
	 * stores the count.  load() restores exactly what save() wrote.  A run
	 * refuses to resume when a plugin with state lacks them. */
	int (*save)(void *state, void *buf, size_t *size, pp_error *err);
	int (*load)(void *state, const void *buf, size_t size, pp_error *err);
} pp_optimizer_ops;

#ifdef __cplusplus
}
#endif
#endif
