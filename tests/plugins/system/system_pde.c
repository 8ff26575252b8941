/* A first-order system with two unknowns for the trainer's tests:
 *   u' − v = 0,  v' + u = 0  on x ∈ [0, π],  u(0) = 1, v(0) = 0,
 * exact u = cos x, v = −sin x.  The residual has two components (one per
 * equation) and so has the boundary term; the plugin gives a reference
 * and offers the hard constraint `start` on u: g = 1, d = x (u = 1 + x·N),
 * which makes u(0) = 1 exact. */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>

enum { U = 0, V = 1 };

static int sys_create(const pp_config *cfg, void **state, pp_error *err)
{
	(void)cfg;
	(void)err;
	*state = NULL;
	return PP_OK;
}

static void sys_destroy(void *state)
{
	(void)state;
}

static int sys_describe(void *state, pp_pde_info *info, pp_error *err)
{
	(void)state;
	(void)err;
	info->n_inputs = 1;
	info->input_names[0] = "x";
	info->lo[0] = 0;
	info->hi[0] = M_PI;
	info->n_outputs = 2;
	info->output_names[U] = "u";
	info->output_names[V] = "v";
	info->n_terms = 2;
	info->terms[0] = (pp_term_info){.name = "residual", .interior = 1, .enabled = 1,
		.points = 64, .weight = 1, .n_pieces = 1, .n_channels = 4,
		.channels = {PP_U(U), PP_U(V), PP_D(U, 0), PP_D(V, 0)}, .pair_input = -1,
		.n_components = 2, .component_names = {"u_eq", "v_eq"}};
	info->terms[1] = (pp_term_info){.name = "boundary", .enabled = 1, .points = 1,
		.weight = 1, .n_pieces = 1, .pieces = {{.side = {PP_SIDE_LO}}},
		.n_channels = 2, .channels = {PP_U(U), PP_U(V)}, .pair_input = -1,
		.n_components = 2};
	info->has_reference = 1;
	info->reference_grid = (pp_grid){.n_dims = 1, .n = {101}, .lo = {0}, .hi = {M_PI},
					 .endpoint = {1}};
	info->n_transforms = 1;
	info->transforms[0].name = "start";
	info->transforms[0].output = U;
	info->transforms[0].summary = "u = 1 + x·N: u(0) = 1 exactly";
	return PP_OK;
}

/* r[k·n + i], dr[k·C + c][i] (pde.h); every Jacobian entry is set. */
static int sys_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	size_t n = a->n;

	(void)state;
	(void)err;
	for (size_t i = 0; i < n; i++) {
		if (a->term == 0) {
			/* channels: u, v, u_x, v_x */
			a->r[i] = a->u[2][i] - a->u[1][i];
			a->r[n + i] = a->u[3][i] + a->u[0][i];
			for (int c = 0; c < 8; c++)
				a->dr[c][i] = 0;
			a->dr[2][i] = 1;     /* ∂r0/∂u_x */
			a->dr[1][i] = -1;    /* ∂r0/∂v */
			a->dr[4 + 3][i] = 1; /* ∂r1/∂v_x */
			a->dr[4 + 0][i] = 1; /* ∂r1/∂u */
		} else {
			a->r[i] = a->u[0][i] - 1;
			a->r[n + i] = a->u[1][i];
			a->dr[0][i] = 1;
			a->dr[1][i] = 0;
			a->dr[2][i] = 0;
			a->dr[3][i] = 1;
		}
	}
	return PP_OK;
}

static int sys_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	size_t n = pp_grid_size(grid);
	int rc = pp_grid_check(grid, 1, err);

	(void)state;
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		double x;
		pp_grid_point(grid, i, &x);
		u[i] = cos(x);
		u[n + i] = -sin(x);
	}
	return PP_OK;
}

static int sys_transform(void *state, const pp_transform_args *a, pp_error *err)
{
	(void)state;
	(void)err;
	for (int c = 0; c < a->n_channels; c++) {
		int order = a->channels[c].order;
		for (size_t i = 0; i < a->n; i++) {
			a->g[c][i] = order == 0 ? 1 : 0;
			a->d[c][i] = order == 0 ? a->x[i] : order == 1 ? 1 : 0;
		}
	}
	return PP_OK;
}

static const pp_pde_ops sys_ops = {
	.struct_size = sizeof sys_ops,
	.create = sys_create,
	.destroy = sys_destroy,
	.describe = sys_describe,
	.residual = sys_residual,
	.reference = sys_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
	.transform = sys_transform,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "system_pde", "u' = v, v' = -u: two outputs, two components",
		 &sys_ops)
