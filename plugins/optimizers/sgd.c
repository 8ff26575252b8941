/* phasepinn plugin — stochastic gradient descent with momentum and Nesterov.
 *
 *   g' = g + λ·θ (weight decay, coupled as in classical SGD),
 *   v ← μ·v + g',
 *   θ ← θ − lr·v            (classical / heavy-ball momentum)
 *   θ ← θ − lr·(g' + μ·v)   (nesterov: true, in the form PyTorch uses)
 * With μ = 0 this is plain gradient descent.  Keys: lr (1e-3), momentum (0),
 * nesterov (false), weight_decay (0), schedule (<phasepinn/sdk/schedule.h>).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/sdk/checkpoint.h>
#include <phasepinn/sdk/schedule.h>

typedef struct sgd {
	pp_schedule schedule;
	double momentum, weight_decay;
	int nesterov;
	size_t n;
	pp_real *v;      /* velocity, n */
} sgd;

static void sgd_destroy(void *state)
{
	sgd *s = state;

	if (!s)
		return;
	free(s->v);
	free(s);
}

static int sgd_read_options(const pp_config *cfg, sgd *s, pp_error *err)
{
	int rc = pp_schedule_read(cfg, 1e-3, &s->schedule, err);

	if (!rc)
		rc = pp_config_double(cfg, "momentum", 0, 0, 0.999999, &s->momentum, err);
	if (!rc)
		rc = pp_config_bool(cfg, "nesterov", 0, &s->nesterov, err);
	if (!rc)
		rc = pp_config_double(cfg, "weight_decay", 0, 0, 1e3, &s->weight_decay, err);
	if (!rc && s->nesterov && s->momentum == 0)
		rc = pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "nesterov"),
				     "nesterov needs momentum > 0");
	return rc;
}

static int sgd_create(const pp_config *cfg, size_t n_params, void **state, pp_error *err)
{
	sgd *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = sgd_read_options(cfg, s, err);
	if (rc)
		goto free_sgd;
	s->n = n_params;
	s->v = calloc(n_params ? n_params : 1, sizeof *s->v);
	if (!s->v) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for the SGD velocity");
		goto free_sgd;
	}
	*state = s;
	return PP_OK;
free_sgd:
	sgd_destroy(s);
	return rc;
}

static int sgd_step(void *state, pp_real *params, pp_optimizer_args *args, pp_error *err)
{
	sgd *s = state;
	const pp_real *g = args->grad;
	double lr = pp_schedule_lr(&s->schedule, args->stage_step, args->stage_iterations);
	const pp_real mu = (pp_real)s->momentum, wd = (pp_real)s->weight_decay;
	const pp_real step = (pp_real)lr;

	(void)err;
	for (size_t j = 0; j < s->n; j++) {
		pp_real gj = g[j] + wd * params[j];
		s->v[j] = mu * s->v[j] + gj;
		params[j] -= step * (s->nesterov ? gj + mu * s->v[j] : s->v[j]);
	}
	args->lr = lr;
	return PP_OK;
}

/* Checkpoint (checkpoint.h header, version 1): the velocity. */
static size_t sgd_checkpoint_size(const sgd *s)
{
	return PP_CHECKPOINT_HEADER_SIZE + s->n * sizeof(pp_real);
}

static int sgd_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const sgd *s = state;
	size_t need = sgd_checkpoint_size(s);
	unsigned char *p;

	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID, "sgd: checkpoint buffer too small");
	p = pp_checkpoint_put_header(buf, "sgd", 1, s->n);
	pp_checkpoint_put(&p, s->v, s->n * sizeof(pp_real));
	*size = need;
	return PP_OK;
}

static int sgd_load(void *state, const void *buf, size_t size, pp_error *err)
{
	sgd *s = state;
	const unsigned char *p = NULL;
	int rc = pp_checkpoint_check_header(buf, size, "sgd", 1, s->n, sgd_checkpoint_size(s),
					    &p, err);

	if (rc)
		return rc;
	pp_checkpoint_get(&p, s->v, s->n * sizeof(pp_real));
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
