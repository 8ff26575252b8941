/* phasepinn plugin — no re-weighting: every point weighs 1 (w = λ = 1) and
 * term weights stay as configured.  The baseline ("vanilla PINN") of every
 * comparison.  Setting the weights each step costs O(points) and makes the
 * scheme independent of what the arrays held before (a resumed run, a
 * trainer that reuses them). */
#include <phasepinn/phasepinn.h>

static int none_create(const pp_config *cfg, const pp_problem *problem, void **state,
		       pp_error *err)
{
	(void)cfg;
	(void)problem;
	(void)err;
	*state = NULL;
	return PP_OK;
}

static void none_destroy(void *state)
{
	(void)state;
}

static int none_point_weights(void *state, pp_step_view *view, pp_error *err)
{
	(void)state;
	(void)err;
	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		for (size_t i = 0; i < t->n; i++)
			t->w[i] = t->lambda[i] = 1;
	}
	return PP_OK;
}

static const pp_weighting_ops none_ops = {
	.struct_size = sizeof none_ops,
	.create = none_create,
	.destroy = none_destroy,
	.point_weights = none_point_weights,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "none", "uniform weights (vanilla PINN)", &none_ops)
