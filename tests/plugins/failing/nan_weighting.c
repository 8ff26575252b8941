/* A weighting scheme that injects one NaN: uniform weights, except that at
 * step `at` (YAML key, default 10) the first point of the interior term gets
 * weight NaN.  The trainer's divergence guard must stop the run at exactly
 * that step, naming the term, and keep the last good parameters and
 * checkpoints.  Stateless between steps, so it declares the stateless
 * checkpoint hooks and runs using it can be resumed. */
#include <math.h>
#include <stdlib.h>

#include <phasepinn/phasepinn.h>

typedef struct nan_weighting {
	long at;
} nan_weighting;

static int nw_create(const pp_config *cfg, const pp_problem *problem, void **state,
		     pp_error *err)
{
	nan_weighting *s = calloc(1, sizeof *s);
	int rc;

	(void)problem;
	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "at", 10, 0, 1000000000L, &s->at, err);
	if (rc) {
		free(s);
		return rc;
	}
	*state = s;
	return PP_OK;
}

static void nw_destroy(void *state)
{
	free(state);
}

static int nw_point_weights(void *state, pp_step_view *view, pp_error *err)
{
	const nan_weighting *s = state;

	(void)err;
	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		for (size_t i = 0; i < t->n; i++)
			t->w[i] = t->lambda[i] = 1;
		if (t->interior && view->step == s->at && t->n > 0)
			t->w[0] = (pp_real)NAN;
	}
	return PP_OK;
}

static const pp_weighting_ops nw_ops = {
	.struct_size = sizeof nw_ops,
	.create = nw_create,
	.destroy = nw_destroy,
	.point_weights = nw_point_weights,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "nan_weighting",
		 "uniform weights with one NaN at a chosen step (divergence tests)", &nw_ops)
