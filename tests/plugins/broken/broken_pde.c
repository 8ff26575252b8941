/* A heat equation u_t = κ·u_xx on [−1, 1] × [0, 1] (κ = 0.1, u(x, 0) =
 * sin(πx), u(±1, t) = 0, exact u = exp(−κπ²t)·sin(πx)) that is wrong in
 * one place, for `phasepinn check-plugin` to find (tests/e2e/test_check_plugin.c):
 *   BROKEN_JACOBIAN    the residual's ∂r/∂u_xx is +κ instead of −κ;
 *   BROKEN_REFERENCE   the reference decays at twice the rate, exp(−2κπ²t);
 *   BROKEN_NAMES       its boundary term is named "initial" too.
 * Everything else is right, so exactly that check must fail. */
#include <math.h>
#include <stdlib.h>

#include <phasepinn/phasepinn.h>

#define PI 3.14159265358979323846
#define KAPPA 0.1

enum { X, T };

#ifdef BROKEN_JACOBIAN
#define NAME "broken_jacobian_pde"
#define DR_UXX (+KAPPA)
#elif defined(BROKEN_NAMES)
#define NAME "broken_names_pde"
#define DR_UXX (-KAPPA)
#else
#define NAME "broken_reference_pde"
#define DR_UXX (-KAPPA)
#endif
#ifdef BROKEN_NAMES
#define BOUNDARY_NAME "initial"
#else
#define BOUNDARY_NAME "boundary"
#endif
#ifdef BROKEN_REFERENCE
#define DECAY (2 * KAPPA * PI * PI)
#else
#define DECAY (KAPPA * PI * PI)
#endif

static int broken_create(const pp_config *cfg, void **state, pp_error *err)
{
	(void)cfg;
	(void)err;
	*state = NULL;
	return PP_OK;
}

static void broken_destroy(void *state)
{
	(void)state;
}

static int broken_describe(void *state, pp_pde_info *info, pp_error *err)
{
	(void)state;
	(void)err;
	info->n_inputs = 2;
	info->input_names[X] = "x";
	info->lo[X] = -1;
	info->hi[X] = 1;
	info->input_names[T] = "t";
	info->lo[T] = 0;
	info->hi[T] = 1;
	info->time_input = T;
	info->n_terms = 3;
	info->terms[0] = (pp_term_info){.name = "residual", .interior = 1, .enabled = 1,
		.points = 500, .weight = 1, .n_pieces = 1, .n_channels = 2,
		.channels = {PP_CHANNEL_D(T), PP_CHANNEL_DD(X, X)}, .pair_input = -1};
	info->terms[1] = (pp_term_info){.name = "initial", .enabled = 1, .points = 50,
		.weight = 1, .n_pieces = 1, .pieces = {{.side = {PP_SIDE_FREE, PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	info->terms[2] = (pp_term_info){.name = BOUNDARY_NAME, .enabled = 1, .points = 50,
		.weight = 1, .n_pieces = 2, .pieces = {{.side = {PP_SIDE_LO, PP_SIDE_FREE}},
							{.side = {PP_SIDE_HI, PP_SIDE_FREE}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	info->has_reference = 1;
	info->reference_grid = (pp_grid){.n_dims = 2, .n = {101, 101}, .lo = {-1, 0},
					 .hi = {1, 1}, .endpoint = {1, 1}};
	return PP_OK;
}

static int broken_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	(void)state;
	(void)err;
	for (size_t i = 0; i < a->n; i++) {
		if (a->term == 0) {
			a->r[i] = a->u[0][i] - (pp_real)KAPPA * a->u[1][i];
			a->dr[0][i] = 1;
			a->dr[1][i] = (pp_real)DR_UXX;
		} else {
			double x = a->x[2 * i + X];
			a->r[i] = a->u[0][i] - (a->term == 1 ? (pp_real)sin(PI * x) : 0);
			a->dr[0][i] = 1;
		}
	}
	return PP_OK;
}

static int broken_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	double x[PP_MAX_INPUTS];

	(void)state;
	if (pp_grid_check(grid, 2, err))
		return pp_error_prefix(err, NAME " reference");
	for (size_t i = 0; i < pp_grid_size(grid); i++) {
		pp_grid_point(grid, i, x);
		u[i] = exp(-DECAY * x[T]) * sin(PI * x[X]);
	}
	return PP_OK;
}

static const pp_pde_ops broken_ops = {
	.struct_size = sizeof broken_ops,
	.create = broken_create,
	.destroy = broken_destroy,
	.describe = broken_describe,
	.residual = broken_residual,
	.reference = broken_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, NAME, "a heat equation with one deliberate mistake", &broken_ops)
