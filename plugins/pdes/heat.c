/* phasepinn plugin — the 1-D heat equation, the worked example of
 * docs/writing-a-pde-plugin.md.
 *
 *   u_t = κ·u_xx on x ∈ [−1, 1], t ∈ [0, 1],  u(x, 0) = sin(πx),  u(±1, t) = 0,
 *   exact solution u = exp(−κπ²t)·sin(πx).
 * Terms: residual (u_t, u_xx), initial, boundary.  Key: kappa (0.1, > 0).
 */
#include <phasepinn/phasepinn.h>
#include <phasepinn/sdk/coefficient.h>

#include <math.h>
#include <stdlib.h>

/* M_PI is POSIX, not C11: this file also builds with plain -std=c11 */
#define PI 3.14159265358979323846

enum { TERM_RESIDUAL, TERM_INITIAL, TERM_BOUNDARY };   /* order of describe() */
enum { X, T };                                          /* inputs */

typedef struct heat {
	double kappa;
} heat;

/* Read the coefficients; the config getters quote file:line:col on errors. */
static int heat_create(const pp_config *cfg, void **state, pp_error *err)
{
	heat *h = calloc(1, sizeof *h);
	int rc;

	if (!h)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_coefficient_read(cfg, "kappa", 0.1, 1e-12, 1e6, &h->kappa, err);
	if (rc) {
		free(h);
		return rc;
	}
	*state = h;
	return PP_OK;
}

static void heat_destroy(void *state)
{
	free(state);
}

/* Inputs, domain, loss terms and the channels each term needs. */
static int heat_describe(void *state, pp_pde_info *info, pp_error *err)
{
	(void)state;
	(void)err;
	info->n_inputs = 2;
	info->input_names[X] = "x";
	info->input_names[T] = "t";
	info->lo[X] = -1;
	info->hi[X] = 1;
	info->lo[T] = 0;
	info->hi[T] = 1;
	info->time_input = T;
	info->periodic_input = -1;
	info->n_terms = 3;
	info->terms[TERM_RESIDUAL] = (pp_term_info){
		.name = "residual", .interior = 1, .enabled = 1, .points = 2000, .weight = 1,
		.n_pieces = 1, .n_channels = 2,
		.channels = {PP_CHANNEL_D(T), PP_CHANNEL_DD(X, X)}, .pair_input = -1};
	info->terms[TERM_INITIAL] = (pp_term_info){
		.name = "initial", .enabled = 1, .points = 200, .weight = 1, .n_pieces = 1,
		.pieces = {{.side = {PP_SIDE_FREE, PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	info->terms[TERM_BOUNDARY] = (pp_term_info){
		.name = "boundary", .boundary = 1, .enabled = 1, .points = 200, .weight = 1, .n_pieces = 2,
		.pieces = {{.side = {PP_SIDE_LO, PP_SIDE_FREE}}, {.side = {PP_SIDE_HI, PP_SIDE_FREE}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	info->has_reference = 1;
	info->reference_grid = (pp_grid){.n_dims = 2, .n = {101, 101}, .lo = {-1, 0},
					 .hi = {1, 1}, .endpoint = {1, 1}};
	/* inverse problems: the diffusivity */
	info->n_coefficients = 1;
	info->coefficients[0] = (pp_coefficient_info){"kappa", ((const heat *)state)->kappa};
	info->n_transforms = 1;
	info->transforms[0].name = "initial";
	info->transforms[0].output = 0;
	info->transforms[0].summary = "u = sin(pi x) + t N: the initial condition exactly";
	return PP_OK;
}

/* r and ∂r/∂channel per point; a->u[c] and a->dr[c] follow the order of the
 * term's channels in describe().  One plain loop per term: no allocation, no
 * branch inside the loop, so the compiler vectorises it. */
static int heat_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	const pp_real kappa = (pp_real)(a->coef ? a->coef[0] : ((const heat *)state)->kappa);
	(void)err;

	switch (a->term) {
	case TERM_RESIDUAL:   /* channels u_t, u_xx */
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i] - kappa * a->u[1][i];   /* u_t − κ·u_xx */
			a->dr[0][i] = 1;                             /* ∂r/∂u_t */
			a->dr[1][i] = -kappa;                        /* ∂r/∂u_xx */
		}
		if (a->dr_coef)   /* zeroed by the core: the other terms leave them */
			for (size_t i = 0; i < a->n; i++)
				a->dr_coef[0][i] = -a->u[1][i];      /* ∂r/∂κ = −u_xx */
		break;
	case TERM_INITIAL:    /* channel u at t = 0 */
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i] - (pp_real)sin(PI * (double)a->x[2 * i + X]);
			a->dr[0][i] = 1;
		}
		break;
	default:              /* boundary: u = 0 at x = ±1 */
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i];
			a->dr[0][i] = 1;
		}
		break;
	}
	return PP_OK;
}

static int heat_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	const heat *h = state;
	double x[PP_MAX_INPUTS];

	if (pp_grid_check(grid, 2, err))   /* e.g. too large for memory */
		return pp_error_prefix(err, "heat reference (x, t)");
	for (size_t i = 0; i < pp_grid_size(grid); i++) {
		pp_grid_point(grid, i, x);
		u[i] = exp(-h->kappa * PI * PI * x[T]) * sin(PI * x[X]);
	}
	return PP_OK;
}

/* The hard constraint `initial`: u = g + d·N with g = sin(πx) and d = t
 * (t0 = 0), their derivatives in the channels the engine asks for:
 * ∂x^k sin(πx) = π^k·sin(πx + kπ/2), nothing in t; d_t = 1, others 0. */
static int heat_transform(void *state, const pp_transform_args *a, pp_error *err)
{
	(void)state;
	(void)err;
	for (int c = 0; c < a->n_channels; c++) {
		int nx = 0, nt = 0;
		for (int j = 0; j < a->channels[c].order; j++) {
			nx += a->channels[c].d[j] == X;
			nt += a->channels[c].d[j] == T;
		}
		for (size_t i = 0; i < a->n; i++) {
			double x = (double)a->x[2 * i + X], t = (double)a->x[2 * i + T];
			a->g[c][i] = (pp_real)(nt ? 0.0 : pow(PI, nx) * sin(PI * x + nx * PI / 2));
			a->d[c][i] = (pp_real)(nx ? 0.0 : nt == 0 ? t : nt == 1 ? 1.0 : 0.0);
		}
	}
	return PP_OK;
}

static const pp_pde_ops heat_ops = {
	.struct_size = sizeof heat_ops,
	.create = heat_create,
	.destroy = heat_destroy,
	.describe = heat_describe,
	.residual = heat_residual,
	.reference = heat_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
	.transform = heat_transform,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "heat", "1-D heat equation u_t = kappa u_xx, exact reference",
		 &heat_ops)
