/* A PDE plugin that breaks the contract the way a new author might: its
 * describe() never sets time_input or periodic_input (the core must read
 * that as "none", not input 0, which would make the network periodic in
 * x), and with `bad_channel: true` its residual asks for ∂²u/∂x∂x[5] of a
 * 2-input problem, which `phasepinn check` must refuse naming the plugin
 * and the term; with `bad_output: true` it reads output 1 of a one-output
 * problem and with `bad_coefficient: true` declares a coefficient without
 * a name.  Otherwise heat-like: u_t = u_xx / 10 on [-1, 1] × [0, 1]. */
#include <stdlib.h>

#include <phasepinn/phasepinn.h>

typedef struct forgetful {
	int bad_channel, bad_output, bad_coefficient;
} forgetful;

static int forgetful_create(const pp_config *cfg, void **state, pp_error *err)
{
	forgetful *f = calloc(1, sizeof *f);
	int rc;

	if (!f)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_bool(cfg, "bad_channel", 0, &f->bad_channel, err);
	if (!rc)
		rc = pp_config_bool(cfg, "bad_output", 0, &f->bad_output, err);
	if (!rc)
		rc = pp_config_bool(cfg, "bad_coefficient", 0, &f->bad_coefficient, err);
	if (rc) {
		free(f);
		return rc;
	}
	*state = f;
	return PP_OK;
}

static void forgetful_destroy(void *state)
{
	free(state);
}

static int forgetful_describe(void *state, pp_pde_info *info, pp_error *err)
{
	const forgetful *f = state;

	(void)err;
	info->n_inputs = 2;
	info->input_names[0] = "x";
	info->input_names[1] = "t";
	info->lo[0] = -1;
	info->hi[0] = 1;
	info->lo[1] = 0;
	info->hi[1] = 1;
	/* (no time_input, no periodic_input: forgotten) */
	info->n_terms = 2;
	info->terms[0] = (pp_term_info){.name = "residual", .interior = 1, .enabled = 1,
		.points = 64, .weight = 1, .n_pieces = 1, .n_channels = 2,
		.channels = {PP_D(f->bad_output ? 1 : 0, 1), PP_CHANNEL_DD(0, f->bad_channel ? 5 : 0)},
		.pair_input = -1};
	if (f->bad_coefficient) {
		info->n_coefficients = 1;
		info->coefficients[0].value = 0.1;   /* and no name */
	}
	info->terms[1] = (pp_term_info){.name = "initial", .enabled = 1, .points = 16,
		.weight = 1, .n_pieces = 1, .pieces = {{.side = {PP_SIDE_FREE, PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	return PP_OK;
}

static int forgetful_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	(void)state;
	(void)err;
	for (size_t i = 0; i < a->n; i++) {
		if (a->term == 0) {
			a->r[i] = a->u[0][i] - (pp_real)0.1 * a->u[1][i];
			a->dr[0][i] = 1;
			a->dr[1][i] = (pp_real)-0.1;
		} else {
			a->r[i] = a->u[0][i] - a->x[2 * i];
			a->dr[0][i] = 1;
		}
	}
	return PP_OK;
}

static const pp_pde_ops forgetful_ops = {
	.struct_size = sizeof forgetful_ops,
	.create = forgetful_create,
	.destroy = forgetful_destroy,
	.describe = forgetful_describe,
	.residual = forgetful_residual,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "forgetful_pde",
		 "test fixture: forgets time_input and periodic_input", &forgetful_ops)
