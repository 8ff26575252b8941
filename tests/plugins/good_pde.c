/* A minimal, correct PDE plugin for the loader tests: u' = 1 on [0, 1],
 * u(0) = 0.  Also compiled out of tree against the installed headers. */
#include <phasepinn/phasepinn.h>

static int toy_create(const pp_config *cfg, void **state, pp_error *err)
{
	(void)cfg;
	(void)err;
	*state = NULL;
	return PP_OK;
}

static void toy_destroy(void *state)
{
	(void)state;
}

static int toy_describe(void *state, pp_pde_info *info, pp_error *err)
{
	(void)state;
	(void)err;
	info->n_inputs = 1;
	info->input_names[0] = "x";
	info->lo[0] = 0;
	info->hi[0] = 1;
	info->time_input = -1;
	info->periodic_input = -1;
	info->n_terms = 2;
	info->terms[0] = (pp_term_info){.name = "residual", .interior = 1, .enabled = 1,
		.points = 64, .weight = 1, .n_pieces = 1, .n_channels = 1,
		.channels = {PP_CHANNEL_D(0)}, .pair_input = -1};
	info->terms[1] = (pp_term_info){.name = "boundary", .enabled = 1, .points = 1,
		.weight = 1, .n_pieces = 1, .pieces = {{.side = {PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	return PP_OK;
}

static int toy_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	(void)state;
	(void)err;
	for (size_t i = 0; i < a->n; i++) {
		a->r[i] = a->term == 0 ? a->u[0][i] - 1 : a->u[0][i];
		a->dr[0][i] = 1;
	}
	return PP_OK;
}

static const pp_pde_ops toy_ops = {
	.struct_size = sizeof toy_ops,
	.create = toy_create,
	.destroy = toy_destroy,
	.describe = toy_describe,
	.residual = toy_residual,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

#ifndef TOY_NAME
#define TOY_NAME "good_pde"
#endif
#ifndef TOY_ABI
#define TOY_ABI PP_ABI_VERSION
#endif

PP_EXPORT const pp_plugin pp_plugin_entry = {
	.abi_version = TOY_ABI,
	.struct_size = sizeof(pp_plugin),
	.kind = PP_KIND_PDE,
	.name = TOY_NAME,
	.summary = "toy ODE u' = 1 for loader tests",
	.ops = &toy_ops,
};
