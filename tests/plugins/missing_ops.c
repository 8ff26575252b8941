/* A PDE plugin whose ops table lacks residual(): the loader must refuse it. */
#include <phasepinn/phasepinn.h>

static int bad_create(const pp_config *cfg, void **state, pp_error *err)
{
	(void)cfg;
	(void)err;
	*state = NULL;
	return PP_OK;
}

static void bad_destroy(void *state)
{
	(void)state;
}

static int bad_describe(void *state, pp_pde_info *info, pp_error *err)
{
	(void)state;
	(void)info;
	(void)err;
	return PP_OK;
}

static const pp_pde_ops bad_ops = {
	.struct_size = sizeof bad_ops,
	.create = bad_create,
	.destroy = bad_destroy,
	.describe = bad_describe,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "missing_ops", "lacks residual()", &bad_ops)
