/* phasepinn plugin — the SNR Adam itself sees: ‖m̂‖₂ / ‖√v̂ + ε‖₂ from the
 * bias-corrected moments of the running adam stage (docs/analyzers.md,
 * "adam_snr").  NaN while the stage's optimizer has no moments (sgd, lbfgs)
 * or before its first update.  Key: eps (1e-8). */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>

typedef struct adam_snr {
	double eps;
	size_t n;
	pp_real *m, *v;
} adam_snr;

static const char *const adam_snr_columns[] = {"adam_snr"};

static void as_destroy(void *state)
{
	adam_snr *a = state;

	if (!a)
		return;
	free(a->m);
	free(a->v);
	free(a);
}

static int as_create(const pp_config *cfg, const pp_problem *problem, void **state,
		     pp_error *err)
{
	adam_snr *a = calloc(1, sizeof *a);
	int rc;

	if (!a)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "eps", 1e-8, 0, 1, &a->eps, err);
	a->n = problem->n_params;
	a->m = malloc(a->n * sizeof *a->m);
	a->v = malloc(a->n * sizeof *a->v);
	if (!rc && (!a->m || !a->v))
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	if (rc) {
		as_destroy(a);
		return rc;
	}
	*state = a;
	return PP_OK;
}

static int as_columns(void *state, const char *const **names, int *count)
{
	(void)state;
	*names = adam_snr_columns;
	*count = 1;
	return PP_OK;
}

static int as_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	adam_snr *a = state;
	double num = 0, den = 0;
	(void)err;

	values[0] = NAN;
	if (!view->moments || !view->optimizer_state ||
	    view->moments(view->optimizer_state, a->m, a->v) != PP_OK)
		return PP_OK;
	for (size_t j = 0; j < a->n; j++) {
		double s = sqrt((double)a->v[j]) + a->eps;
		num += (double)a->m[j] * (double)a->m[j];
		den += s * s;
	}
	if (num > 0)
		values[0] = sqrt(num / den);
	return PP_OK;
}

static const pp_analyzer_ops adam_snr_ops = {
	.struct_size = sizeof adam_snr_ops,
	.create = as_create,
	.destroy = as_destroy,
	.columns = as_columns,
	.observe = as_observe,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "adam_snr",
		 "Adam's own SNR ||m_hat|| / ||sqrt(v_hat) + eps|| from its moments", &adam_snr_ops)
