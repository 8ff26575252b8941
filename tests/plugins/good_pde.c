/* A minimal, correct PDE plugin for the loader tests: u' = 1 on [lo, hi]
 * (key x, default [0, 1]), u(lo) = 0.  Also compiled out of tree against
 * the installed headers (the out_of_tree_plugin test), so it reads its
 * domain with a plugin SDK helper: an SDK header must build with nothing
 * but pkg-config. */
#include <phasepinn/phasepinn.h>
#include <phasepinn/sdk/domain.h>

#include <stdlib.h>

typedef struct toy {
	double lo, hi;
} toy;

static int toy_create(const pp_config *cfg, void **state, pp_error *err)
{
	toy *t = calloc(1, sizeof *t);
	int rc;

	if (!t)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_domain_read(cfg, "x", 0, 1, &t->lo, &t->hi, err);
	if (rc) {
		free(t);
		return rc;
	}
	*state = t;
	return PP_OK;
}

static void toy_destroy(void *state)
{
	free(state);
}

static int toy_describe(void *state, pp_pde_info *info, pp_error *err)
{
	const toy *t = state;

	(void)err;
	info->n_inputs = 1;
	info->input_names[0] = "x";
	info->lo[0] = t->lo;
	info->hi[0] = t->hi;
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
