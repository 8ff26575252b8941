/* phasepinn plugin — Adam (Kingma & Ba 2015) with decoupled weight decay
 * (AdamW, Loshchilov & Hutter 2019) and learning-rate schedules.
 *
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
 *   m̂ = m/(1−β1^t), v̂ = v/(1−β2^t),
 *   θ ← θ − lr·(m̂/(√v̂ + ε) + λ·θ)
 * Keys: lr (1e-3), beta1 (0.9), beta2 (0.999), eps (1e-8), weight_decay (0),
 * schedule (plugins/common/schedule.h).  Publishes m̂ and v̂ for adam_snr.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/common/schedule.h"

typedef struct adam {
	pp_schedule schedule;
	double beta1, beta2, eps, weight_decay;
	size_t n;
	long t;          /* updates done */
	pp_real *m, *v;
} adam;

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
		rc = pp_config_double(cfg, "eps", 1e-8, 0, 1, &a->eps, err);
	if (!rc)
		rc = pp_config_double(cfg, "weight_decay", 0, 0, 1e3, &a->weight_decay, err);
	if (rc)
		goto fail;
	a->n = n_params;
	a->m = calloc(n_params ? n_params : 1, sizeof *a->m);
	a->v = calloc(n_params ? n_params : 1, sizeof *a->v);
	if (!a->m || !a->v) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for Adam moments");
		goto fail;
	}
	*state = a;
	return PP_OK;
fail:
	free(a->m);
	free(a->v);
	free(a);
	return rc;
}

static void adam_destroy(void *state)
{
	adam *a = state;

	if (!a)
		return;
	free(a->m);
	free(a->v);
	free(a);
}

static int adam_step(void *state, pp_real *params, pp_optimizer_args *args, pp_error *err)
{
	adam *a = state;
	const pp_real *g = args->grad;
	double lr = pp_schedule_lr(&a->schedule, args->stage_step, args->stage_iterations);
	double c1, c2;

	if (!isfinite(args->loss))
		return pp_error_set(err, PP_ERR_NUMERIC, "adam: loss is not finite at step %ld",
				    args->step);
	for (size_t j = 0; j < a->n; j++)
		if (!isfinite(g[j]))
			return pp_error_set(err, PP_ERR_NUMERIC,
					    "adam: gradient entry %zu is not finite at step %ld", j,
					    args->step);
	a->t++;
	c1 = 1.0 / (1.0 - pow(a->beta1, (double)a->t));
	c2 = 1.0 / (1.0 - pow(a->beta2, (double)a->t));
	{
		const pp_real b1 = (pp_real)a->beta1, b2 = (pp_real)a->beta2;
		const pp_real s1 = (pp_real)c1, s2 = (pp_real)c2, eps = (pp_real)a->eps;
		const pp_real step = (pp_real)lr, wd = (pp_real)a->weight_decay;
		pp_real *restrict m = a->m, *restrict v = a->v, *restrict p = params;
		for (size_t j = 0; j < a->n; j++) {
			m[j] = b1 * m[j] + (1 - b1) * g[j];
			v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
			p[j] -= step * ((m[j] * s1) / (sqrt(v[j] * s2) + eps) + wd * p[j]);
		}
	}
	args->lr = lr;
	return PP_OK;
}

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

/* Checkpoint: "ADAM", version 1, n, t, then m and v. */
static int adam_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const adam *a = state;
	size_t need = 4 + 4 + 8 + 8 + 2 * a->n * sizeof(pp_real);
	unsigned char *p = buf;
	uint32_t version = 1;
	uint64_t n = a->n;
	int64_t t = a->t;

	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID, "adam: checkpoint buffer too small");
	memcpy(p, "ADAM", 4);
	memcpy(p + 4, &version, 4);
	memcpy(p + 8, &n, 8);
	memcpy(p + 16, &t, 8);
	memcpy(p + 24, a->m, a->n * sizeof(pp_real));
	memcpy(p + 24 + a->n * sizeof(pp_real), a->v, a->n * sizeof(pp_real));
	*size = need;
	return PP_OK;
}

static int adam_load(void *state, const void *buf, size_t size, pp_error *err)
{
	adam *a = state;
	const unsigned char *p = buf;
	uint32_t version;
	uint64_t n;
	int64_t t;

	if (size < 24 || memcmp(p, "ADAM", 4) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "adam: not an Adam checkpoint");
	memcpy(&version, p + 4, 4);
	memcpy(&n, p + 8, 8);
	memcpy(&t, p + 16, 8);
	if (version != 1 || n != a->n || size != 24 + 2 * a->n * sizeof(pp_real))
		return pp_error_set(err, PP_ERR_INVALID,
				    "adam: checkpoint is for %llu parameters (version %u), this network has %zu",
				    (unsigned long long)n, version, a->n);
	a->t = t;
	memcpy(a->m, p + 24, a->n * sizeof(pp_real));
	memcpy(a->v, p + 24 + a->n * sizeof(pp_real), a->n * sizeof(pp_real));
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
