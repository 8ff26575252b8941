/* phasepinn plugin — no re-weighting: every point weighs 1, term weights stay
 * as configured.  The baseline ("vanilla PINN") in every comparison. */
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

static const pp_weighting_ops none_ops = {
	.struct_size = sizeof none_ops,
	.create = none_create,
	.destroy = none_destroy,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "none", "uniform weights (vanilla PINN)", &none_ops)
