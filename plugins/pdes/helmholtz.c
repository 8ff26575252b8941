/* phasepinn plugin — 2-D Helmholtz equation with a manufactured solution.
 *
 *   u_xx + u_yy + k²·u = q on [−1, 1]²,  u = 0 on the boundary,
 *   u = sin(a1·π·x)·sin(a2·π·y),  q = (k² − (a1π)² − (a2π)²)·u.
 * Defaults a1 = 1, a2 = 4, k = 1 (the RBA paper); the phase-transition paper
 * uses a1 = a2 = 6.  Terms: residual (u, u_xx, u_yy), boundary (u on the four
 * edges, 100 points per edge).  Reference: the exact solution.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>

enum { TERM_RESIDUAL, TERM_BOUNDARY };
enum { X, Y };

typedef struct helmholtz {
	double a1, a2, k;
} helmholtz;

static int helmholtz_create(const pp_config *cfg, void **state, pp_error *err)
{
	helmholtz *h = calloc(1, sizeof *h);
	int rc;

	if (!h)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "a1", 1, -1e3, 1e3, &h->a1, err);
	if (!rc)
		rc = pp_config_double(cfg, "a2", 4, -1e3, 1e3, &h->a2, err);
	if (!rc)
		rc = pp_config_double(cfg, "k", 1, 0, 1e4, &h->k, err);
	if (!rc && (h->a1 != floor(h->a1) || h->a2 != floor(h->a2)))
		rc = pp_config_error(err, PP_ERR_CONFIG, cfg,
				     "a1 and a2 must be integers so that u vanishes on the boundary");
	if (rc) {
		free(h);
		return rc;
	}
	*state = h;
	return PP_OK;
}

static void helmholtz_destroy(void *state)
{
	free(state);
}

static int helmholtz_describe(void *state, pp_pde_info *info, pp_error *err)
{
	(void)state;
	(void)err;
	info->n_inputs = 2;
	info->input_names[X] = "x";
	info->input_names[Y] = "y";
	info->lo[X] = info->lo[Y] = -1;
	info->hi[X] = info->hi[Y] = 1;
	info->time_input = -1;
	info->periodic_input = -1;
	info->n_terms = 2;
	info->terms[TERM_RESIDUAL] = (pp_term_info){
		.name = "residual", .interior = 1, .enabled = 1, .points = 10000, .weight = 1,
		.n_pieces = 1, .n_channels = 3,
		.channels = {PP_CHANNEL_U, PP_CHANNEL_DD(X, X), PP_CHANNEL_DD(Y, Y)},
		.pair_input = -1};
	info->terms[TERM_BOUNDARY] = (pp_term_info){
		.name = "boundary", .boundary = 1, .enabled = 1, .points = 400, .weight = 1, .n_pieces = 4,
		.pieces = {{.side = {PP_SIDE_LO, PP_SIDE_FREE}}, {.side = {PP_SIDE_HI, PP_SIDE_FREE}},
			   {.side = {PP_SIDE_FREE, PP_SIDE_LO}}, {.side = {PP_SIDE_FREE, PP_SIDE_HI}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	info->has_reference = 1;
	info->reference_grid = (pp_grid){.n_dims = 2, .n = {101, 101}, .lo = {-1, -1},
					 .hi = {1, 1}, .endpoint = {1, 1}};
	return PP_OK;
}

static double exact(const helmholtz *h, double x, double y)
{
	return sin(h->a1 * M_PI * x) * sin(h->a2 * M_PI * y);
}

static int helmholtz_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	const helmholtz *h = state;
	double k2 = h->k * h->k;
	double c = k2 - pow(h->a1 * M_PI, 2) - pow(h->a2 * M_PI, 2);
	(void)err;

	if (a->term == TERM_RESIDUAL) {
		for (size_t i = 0; i < a->n; i++) {
			double q = c * exact(h, (double)a->x[2 * i], (double)a->x[2 * i + 1]);
			a->r[i] = a->u[1][i] + a->u[2][i] + (pp_real)k2 * a->u[0][i] - (pp_real)q;
			a->dr[0][i] = (pp_real)k2;
			a->dr[1][i] = 1;
			a->dr[2][i] = 1;
		}
	} else {
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i];
			a->dr[0][i] = 1;
		}
	}
	return PP_OK;
}

static int helmholtz_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	double x[PP_MAX_INPUTS];

	if (pp_grid_check(grid, 2, err))   /* e.g. too large for memory */
		return pp_error_prefix(err, "helmholtz reference (x, y)");
	for (size_t i = 0; i < pp_grid_size(grid); i++) {
		pp_grid_point(grid, i, x);
		u[i] = exact(state, x[X], x[Y]);
	}
	return PP_OK;
}

static const pp_pde_ops helmholtz_ops = {
	.struct_size = sizeof helmholtz_ops,
	.create = helmholtz_create,
	.destroy = helmholtz_destroy,
	.describe = helmholtz_describe,
	.residual = helmholtz_residual,
	.reference = helmholtz_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "helmholtz",
		 "Helmholtz u_xx + u_yy + k^2 u = q on [-1,1]^2, exact sin(a1 pi x) sin(a2 pi y)",
		 &helmholtz_ops)
