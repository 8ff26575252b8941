/* phasepinn plugin — stochastic gradient descent with momentum and Nesterov.
 *
 *   g' = g + λ·θ (weight decay),  v ← μ·v + g',
 *   θ ← θ − lr·v            (classical momentum)
 *   θ ← θ − lr·(g' + μ·v)   (nesterov: true)
 * Keys: lr (1e-3), momentum (0), nesterov (false), weight_decay (0),
 * schedule (plugins/common/schedule.h).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/common/schedule.h"

typedef struct sgd {
	pp_schedule schedule;
	double momentum, weight_decay;
	int nesterov;
	size_t n;
	pp_real *v;
} sgd;

static int sgd_create(const pp_config *cfg, size_t n_params, void **state, pp_error *err)
{
	sgd *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_schedule_read(cfg, 1e-3, &s->schedule, err);
	if (!rc)
		rc = pp_config_double(cfg, "momentum", 0, 0, 0.999999, &s->momentum, err);
	if (!rc)
		rc = pp_config_bool(cfg, "nesterov", 0, &s->nesterov, err);
	if (!rc)
		rc = pp_config_double(cfg, "weight_decay", 0, 0, 1e3, &s->weight_decay, err);
	if (!rc && s->nesterov && s->momentum == 0)
		rc = pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "nesterov"),
				     "nesterov needs momentum > 0");
	if (!rc) {
		s->n = n_params;
		s->v = calloc(n_params ? n_params : 1, sizeof *s->v);
		if (!s->v)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	if (rc) {
		free(s->v);
		free(s);
		return rc;
	}
	*state = s;
	return PP_OK;
}

static void sgd_destroy(void *state)
{
	sgd *s = state;

	if (!s)
		return;
	free(s->v);
	free(s);
}

static int sgd_step(void *state, pp_real *params, pp_optimizer_args *args, pp_error *err)
{
	sgd *s = state;
	const pp_real *g = args->grad;
	double lr = pp_schedule_lr(&s->schedule, args->stage_step, args->stage_iterations);
	const pp_real mu = (pp_real)s->momentum, wd = (pp_real)s->weight_decay;
	const pp_real step = (pp_real)lr;

	if (!isfinite(args->loss))
		return pp_error_set(err, PP_ERR_NUMERIC, "sgd: loss is not finite at step %ld",
				    args->step);
	for (size_t j = 0; j < s->n; j++)
		if (!isfinite(g[j]))
			return pp_error_set(err, PP_ERR_NUMERIC,
					    "sgd: gradient entry %zu is not finite at step %ld", j,
					    args->step);
	for (size_t j = 0; j < s->n; j++) {
		pp_real gj = g[j] + wd * params[j];
		s->v[j] = mu * s->v[j] + gj;
		params[j] -= step * (s->nesterov ? gj + mu * s->v[j] : s->v[j]);
	}
	args->lr = lr;
	return PP_OK;
}

static int sgd_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const sgd *s = state;
	size_t need = 16 + s->n * sizeof(pp_real);
	uint64_t n = s->n;

	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID, "sgd: checkpoint buffer too small");
	memcpy(buf, "SGD1\0\0\0\0", 8);
	memcpy((char *)buf + 8, &n, 8);
	memcpy((char *)buf + 16, s->v, s->n * sizeof(pp_real));
	*size = need;
	return PP_OK;
}

static int sgd_load(void *state, const void *buf, size_t size, pp_error *err)
{
	sgd *s = state;
	uint64_t n;

	if (size < 16 || memcmp(buf, "SGD1", 4) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "sgd: not an SGD checkpoint");
	memcpy(&n, (const char *)buf + 8, 8);
	if (n != s->n || size != 16 + s->n * sizeof(pp_real))
		return pp_error_set(err, PP_ERR_INVALID, "sgd: checkpoint for another network");
	memcpy(s->v, (const char *)buf + 16, s->n * sizeof(pp_real));
	return PP_OK;
}

static const pp_optimizer_ops sgd_ops = {
	.struct_size = sizeof sgd_ops,
	.create = sgd_create,
	.destroy = sgd_destroy,
	.step = sgd_step,
	.save = sgd_save,
	.load = sgd_load,
};

PP_PLUGIN_DEFINE(PP_KIND_OPTIMIZER, "sgd", "SGD with momentum, Nesterov and schedules", &sgd_ops)
