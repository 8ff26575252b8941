/* phasepinn plugin — Adam (Kingma & Ba 2015) with decoupled weight decay
 * (AdamW, Loshchilov & Hutter 2019) and learning-rate schedules.
 *
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
 *   m̂ = m/(1−β1^t), v̂ = v/(1−β2^t),
 *   θ ← θ − lr·(m̂/(√v̂ + ε) + λ·θ)
 * Keys: lr (1e-3), beta1 (0.9), beta2 (0.999), eps (1e-8), weight_decay (0),
 * schedule (<phasepinn/sdk/schedule.h>).  Publishes m̂ and v̂ for
 * adam_snr.  The loss and gradient are finite (the trainer's guard,
 * <phasepinn/optimizer.h>).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/sdk/checkpoint.h>
#include <phasepinn/sdk/schedule.h>

typedef struct adam {
	pp_schedule schedule;
	double beta1, beta2, eps, weight_decay;
	size_t n;
	long t;          /* updates done */
	pp_real *m, *v;
} adam;

static void adam_destroy(void *state)
{
	adam *a = state;

	if (!a)
		return;
	free(a->m);
	free(a->v);
	free(a);
}

static int adam_create(const pp_config *cfg, size_t n_params, void **state, pp_error *err)
{
	adam *a = calloc(1, sizeof *a);
	int rc;

	if (!a)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_schedule_read(cfg, 1e-3, &a->schedule, err);
	if (!rc)
		rc = pp_config_double(cfg, "beta1", 0.9, 0, 0.999999999, &a->beta1, err);
	if (!rc)
		rc = pp_config_double(cfg, "beta2", 0.999, 0, 0.999999999, &a->beta2, err);
	if (!rc)
		rc = pp_config_double(cfg, "eps", 1e-8, 1e-30, 1, &a->eps, err);
	if (!rc)
		rc = pp_config_double(cfg, "weight_decay", 0, 0, 1e3, &a->weight_decay, err);
	if (rc)
		goto free_adam;
	a->n = n_params;
	a->m = calloc(n_params ? n_params : 1, sizeof *a->m);
	a->v = calloc(n_params ? n_params : 1, sizeof *a->v);
	if (!a->m || !a->v) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for Adam moments");
		goto free_adam;
	}
	*state = a;
	return PP_OK;
free_adam:
	adam_destroy(a);
	return rc;
}

/* One Adam update of @params with gradient @g at learning rate @lr. */
static void adam_update(adam *a, pp_real *restrict params, const pp_real *restrict g, double lr)
{
	const double c1 = 1.0 / (1.0 - pow(a->beta1, (double)a->t));
	const double c2 = 1.0 / (1.0 - pow(a->beta2, (double)a->t));
	const pp_real b1 = (pp_real)a->beta1, b2 = (pp_real)a->beta2;
	const pp_real s1 = (pp_real)c1, s2 = (pp_real)c2, eps = (pp_real)a->eps;
	const pp_real step = (pp_real)lr, wd = (pp_real)a->weight_decay;
	pp_real *restrict m = a->m, *restrict v = a->v;

	for (size_t j = 0; j < a->n; j++) {
		m[j] = b1 * m[j] + (1 - b1) * g[j];
		v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
		params[j] -= step * ((m[j] * s1) / (sqrt(v[j] * s2) + eps) + wd * params[j]);
	}
}

static int adam_step(void *state, pp_real *params, pp_optimizer_args *args, pp_error *err)
{
	adam *a = state;
	double lr = pp_schedule_lr(&a->schedule, args->stage_step, args->stage_iterations);

	(void)err;
	a->t++;  /* t = updates done, so the bias corrections use t ≥ 1 */
	adam_update(a, params, args->grad, lr);
	args->lr = lr;
	return PP_OK;
}

/* m̂ and v̂ after the last update; zeros before the first. */
static int adam_moments(void *state, pp_real *m_hat, pp_real *v_hat)
{
	const adam *a = state;
	double c1 = a->t ? 1.0 / (1.0 - pow(a->beta1, (double)a->t)) : 0;
	double c2 = a->t ? 1.0 / (1.0 - pow(a->beta2, (double)a->t)) : 0;

	for (size_t j = 0; j < a->n; j++) {
		m_hat[j] = (pp_real)(a->m[j] * c1);
		v_hat[j] = (pp_real)(a->v[j] * c2);
	}
	return PP_OK;
}

/* Checkpoint (checkpoint.h header, version 1): t (int64), then m and v. */
static size_t adam_checkpoint_size(const adam *a)
{
	return PP_CHECKPOINT_HEADER_SIZE + 8 + 2 * a->n * sizeof(pp_real);
}

static int adam_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const adam *a = state;
	size_t need = adam_checkpoint_size(a);
	int64_t t = a->t;
	unsigned char *p;

	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID, "adam: checkpoint buffer too small");
	p = pp_checkpoint_put_header(buf, "adam", 1, a->n);
	pp_checkpoint_put(&p, &t, 8);
	pp_checkpoint_put(&p, a->m, a->n * sizeof(pp_real));
	pp_checkpoint_put(&p, a->v, a->n * sizeof(pp_real));
	*size = need;
	return PP_OK;
}

static int adam_load(void *state, const void *buf, size_t size, pp_error *err)
{
	adam *a = state;
	const unsigned char *p = NULL;
	int64_t t;
	int rc;

	rc = pp_checkpoint_check_header(buf, size, "adam", 1, a->n, adam_checkpoint_size(a), &p,
					 err);
	if (rc)
		return rc;
	pp_checkpoint_get(&p, &t, 8);
	if (t < 0)
		return pp_error_set(err, PP_ERR_INVALID, "adam: checkpoint has a negative step count");
	a->t = t;
	pp_checkpoint_get(&p, a->m, a->n * sizeof(pp_real));
	pp_checkpoint_get(&p, a->v, a->n * sizeof(pp_real));
	return PP_OK;
}

static const pp_optimizer_ops adam_ops = {
	.struct_size = sizeof adam_ops,
	.create = adam_create,
	.destroy = adam_destroy,
	.step = adam_step,
	.moments = adam_moments,
	.save = adam_save,
	.load = adam_load,
};

PP_PLUGIN_DEFINE(PP_KIND_OPTIMIZER, "adam",
		 "Adam/AdamW with constant, exponential, cosine and warm-up schedules", &adam_ops)
