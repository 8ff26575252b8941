/* phasepinn plugin — viscous Burgers' equation.
 *
 *   u_t + u·u_x − ν·u_xx = 0,  x ∈ [−1, 1], t ∈ [0, 1],  ν = 0.01/π,
 *   u(x, 0) = −sin(πx),  u(±1, t) = 0.
 *
 * Terms: residual (u, u_t, u_x, u_xx), initial (u at t = lo), boundary (u at
 * x = lo and x = hi).  Reference: the Cole-Hopf transform,
 *   u(x,t) = −∫ sin(π(x−η)) f(x−η) e^{−η²/4νt} dη / ∫ f(x−η) e^{−η²/4νt} dη,
 *   f(y) = exp(−cos(πy)/(2πν)),
 * evaluated with η = √(4νt)·s and Gauss-Hermite quadrature in s.
 *
 * Keys: nu (0.01/π, > 0); x, t: [lo, hi] (the domain; the reference needs
 * x = [−1, 1], and takes the initial condition to hold at t = lo);
 * quadrature_nodes (240, raised automatically when a small ν needs more,
 * see nodes_needed).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>

#include <phasepinn/sdk/coefficient.h>
#include <phasepinn/sdk/domain.h>
#include <phasepinn/sdk/gauss_hermite.h>

enum { TERM_RESIDUAL, TERM_INITIAL, TERM_BOUNDARY };
enum { X, T };
enum { LAMBDA1, NU };   /* the learnable coefficients, in declaration order */

typedef struct burgers {
	double lambda1, nu;
	double lo[2], hi[2];
	long nodes;
	double *s, *log_w;   /* Gauss-Hermite nodes and log weights */
} burgers;

/* How many Gauss-Hermite nodes the Cole-Hopf integrals need.  In s the
 * integrand is e^{−s²} times f, and f varies by at most e^{1/(πν)} over
 * x − η, so nothing beyond s² = 1/(πν) + 40 matters (e^{−40} ≈ 4e-18).  The
 * largest of n nodes is about √(2n); n >= s_max² puts it at 1.4·s_max, where
 * the nodes are still dense enough.  For ν = 0.01/π that is 140 (measured:
 * 60 nodes, the largest at 10.4 < s_max = 11.8, are 1e-9 off at t = 0.99;
 * 120 agree with 1920 to 3e-15), for ν = 1e-4, 3224. */
#define MAX_NODES 10000L

static long nodes_needed(double nu)
{
	double s2 = 1.0 / (M_PI * nu) + 40.0;

	return s2 > (double)MAX_NODES ? MAX_NODES + 1 : (long)ceil(s2);
}

static int burgers_create(const pp_config *cfg, void **state, pp_error *err)
{
	burgers *b = calloc(1, sizeof *b);
	int rc;

	if (!b)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_coefficient_read(cfg, "nu", 0.01 / M_PI, 1e-12, 1e6, &b->nu, err);
	if (!rc)
		rc = pp_coefficient_read(cfg, "lambda1", 1.0, -1e6, 1e6, &b->lambda1, err);
	if (!rc)
		rc = pp_domain_read(cfg, "x", -1, 1, &b->lo[X], &b->hi[X], err);
	if (!rc)
		rc = pp_domain_read(cfg, "t", 0, 1, &b->lo[T], &b->hi[T], err);
	if (!rc)
		rc = pp_config_long(cfg, "quadrature_nodes", 240, 8, MAX_NODES, &b->nodes, err);
	if (!rc && b->nodes < nodes_needed(b->nu))
		b->nodes = nodes_needed(b->nu);
	if (!rc && b->nodes <= MAX_NODES)
		rc = pp_gauss_hermite(b->nodes, &b->s, &b->log_w, err);
	if (rc) {
		free(b);
		return rc;
	}
	*state = b;
	return PP_OK;
}

static void burgers_destroy(void *state)
{
	burgers *b = state;

	if (!b)
		return;
	free(b->s);
	free(b->log_w);
	free(b);
}

static int burgers_describe(void *state, pp_pde_info *info, pp_error *err)
{
	burgers *b = state;
	(void)err;

	info->n_inputs = 2;
	info->input_names[X] = "x";
	info->input_names[T] = "t";
	for (int d = 0; d < 2; d++) {
		info->lo[d] = b->lo[d];
		info->hi[d] = b->hi[d];
	}
	info->time_input = T;
	info->periodic_input = -1;
	info->n_terms = 3;
	info->terms[TERM_RESIDUAL] = (pp_term_info){
		.name = "residual", .interior = 1, .enabled = 1, .points = 10000, .weight = 1,
		.n_pieces = 1, .n_channels = 4,
		.channels = {PP_CHANNEL_U, PP_CHANNEL_D(T), PP_CHANNEL_D(X), PP_CHANNEL_DD(X, X)},
		.pair_input = -1};
	info->terms[TERM_INITIAL] = (pp_term_info){
		.name = "initial", .enabled = 1, .points = 256, .weight = 1,
		.n_pieces = 1, .pieces = {{.side = {PP_SIDE_FREE, PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	info->terms[TERM_BOUNDARY] = (pp_term_info){
		.name = "boundary", .boundary = 1, .enabled = 1, .points = 256, .weight = 1,
		.n_pieces = 2, .pieces = {{.side = {PP_SIDE_LO, PP_SIDE_FREE}},
					  {.side = {PP_SIDE_HI, PP_SIDE_FREE}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	/* The classic grid (Raissi et al.): 256 x with both ends by 100 t in
	 * steps of 1/100 from t = 0, the last at 0.99; scaled to the t-domain. */
	/* Cole-Hopf as implemented: λ1 = 1 on x ∈ [−1, 1] */
	info->has_reference = b->lo[X] == -1 && b->hi[X] == 1 && b->lambda1 == 1;
	info->reference_grid = (pp_grid){.n_dims = 2, .n = {256, 100},
		.lo = {-1, b->lo[T]}, .hi = {1, b->lo[T] + 0.99 * (b->hi[T] - b->lo[T])},
		.endpoint = {1, 1}};
	/* inverse problems: u_t + λ1·u·u_x − ν·u_xx = 0 (Raissi et al. 2019's λ1, λ2) */
	info->n_coefficients = 2;
	info->coefficients[LAMBDA1] = (pp_coefficient_info){"lambda1", b->lambda1};
	info->coefficients[NU] = (pp_coefficient_info){"nu", b->nu};
	info->n_transforms = 1;
	info->transforms[0] = (pp_transform_info){"initial", 0,
		"u = -sin(pi x) + (t - t0) N: the initial condition exactly"};
	if (b->lo[X] == -1 && b->hi[X] == 1) {
		/* −sin(πx) vanishes at x = ±1: the boundary values hold too */
		info->n_transforms = 2;
		info->transforms[1] = (pp_transform_info){"initial_boundary", 0,
			"u = -sin(pi x) + (t - t0)(1 - x^2) N: initial and boundary conditions exactly"};
	}
	return PP_OK;
}

static int burgers_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	const burgers *b = state;
	(void)err;

	if (a->term == TERM_RESIDUAL) {
		const pp_real *u = a->u[0], *ut = a->u[1], *ux = a->u[2], *uxx = a->u[3];
		pp_real l1 = (pp_real)(a->coef ? a->coef[LAMBDA1] : b->lambda1);
		pp_real nu = (pp_real)(a->coef ? a->coef[NU] : b->nu);
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = ut[i] + l1 * u[i] * ux[i] - nu * uxx[i];
			a->dr[0][i] = l1 * ux[i];
			a->dr[1][i] = 1;
			a->dr[2][i] = l1 * u[i];
			a->dr[3][i] = -nu;
		}
		if (a->dr_coef)   /* the core has zeroed them; the other terms have none */
			for (size_t i = 0; i < a->n; i++) {
				a->dr_coef[LAMBDA1][i] = u[i] * ux[i];
				a->dr_coef[NU][i] = -uxx[i];
			}
	} else if (a->term == TERM_INITIAL) {
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i] + (pp_real)sin(M_PI * (double)a->x[2 * i + X]);
			a->dr[0][i] = 1;
		}
	} else {
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i];
			a->dr[0][i] = 1;
		}
	}
	return PP_OK;
}

/* Cole-Hopf at one point.  Each quadrature term is w_i·f(y_i) with
 * f = exp(−cos(πy)/(2πν)) ~ e^{±50} and w_i as small as e^{−s_i²}: both are
 * kept as logs and shifted by the largest total exponent (log-sum-exp), so
 * neither overflows nor underflows, whatever ν. */
static double cole_hopf(const burgers *b, double x, double t)
{
	double c, emax = -INFINITY, num = 0, den = 0, k = 1.0 / (2.0 * M_PI * b->nu);

	if (t <= 0)
		return -sin(M_PI * x);
	c = sqrt(4.0 * b->nu * t);
	for (long i = 0; i < b->nodes; i++)
		emax = fmax(emax, b->log_w[i] - k * cos(M_PI * (x - c * b->s[i])));
	for (long i = 0; i < b->nodes; i++) {
		double y = x - c * b->s[i];
		double f = exp(b->log_w[i] - k * cos(M_PI * y) - emax);
		num += sin(M_PI * y) * f;
		den += f;
	}
	return -num / den;
}

static int burgers_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	const burgers *b = state;
	double x[PP_MAX_INPUTS];
	int rc;

	if (b->lo[X] != -1 || b->hi[X] != 1)
		return pp_error_set(err, PP_ERR_INVALID,
				    "burgers: the Cole-Hopf reference assumes u(x,0) = -sin(pi x) with "
				    "u = 0 at x = -1 and 1, but x was set to [%g, %g]", b->lo[X], b->hi[X]);
	if (b->nodes > MAX_NODES)
		return pp_error_set(err, PP_ERR_INVALID,
				    "burgers: nu = %g is too small for the Cole-Hopf reference: its "
				    "quadrature would need more than %ld Gauss-Hermite nodes",
				    b->nu, MAX_NODES);
	rc = pp_grid_check(grid, 2, err);
	if (rc)
		return pp_error_prefix(err, "burgers reference (x, t)");
	if (grid->lo[T] < b->lo[T])
		return pp_error_set(err, PP_ERR_INVALID,
				    "burgers reference: the grid starts at t = %g, before the initial "
				    "time %g", grid->lo[T], b->lo[T]);
	for (size_t i = 0; i < pp_grid_size(grid); i++) {
		pp_grid_point(grid, i, x);
		u[i] = cole_hopf(b, x[X], x[T] - b->lo[T]);   /* the IC holds at t = lo */
	}
	return PP_OK;
}

/* The hard constraints: g = −sin(πx) (∂x^k = −π^k·sin(πx + kπ/2), nothing
 * in t) and d = τ·f(x), τ = t − t0, with f = 1 for `initial` and
 * f = 1 − x² for `initial_boundary` (f' = −2x, f'' = −2): ∂x^a ∂t^b d is
 * τ·f^(a) for b = 0, f^(a) for b = 1, 0 beyond. */
static int burgers_transform(void *state, const pp_transform_args *a, pp_error *err)
{
	const burgers *b = state;
	int boundary = a->transform == 1;

	(void)err;
	for (int c = 0; c < a->n_channels; c++) {
		int nx = 0, nt = 0;
		for (int j = 0; j < a->channels[c].order; j++) {
			nx += a->channels[c].d[j] == X;
			nt += a->channels[c].d[j] == T;
		}
		for (size_t i = 0; i < a->n; i++) {
			double x = (double)a->x[2 * i + X], tau = (double)a->x[2 * i + T] - b->lo[T];
			double f = !boundary ? (nx == 0 ? 1.0 : 0.0)
				   : nx == 0 ? 1.0 - x * x : nx == 1 ? -2.0 * x : nx == 2 ? -2.0 : 0.0;
			a->g[c][i] = (pp_real)(nt ? 0.0 : -pow(M_PI, nx) * sin(M_PI * x + nx * M_PI / 2));
			a->d[c][i] = (pp_real)(nt == 0 ? tau * f : nt == 1 ? f : 0.0);
		}
	}
	return PP_OK;
}

static const pp_pde_ops burgers_ops = {
	.struct_size = sizeof burgers_ops,
	.create = burgers_create,
	.destroy = burgers_destroy,
	.describe = burgers_describe,
	.residual = burgers_residual,
	.reference = burgers_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
	.transform = burgers_transform,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "burgers",
		 "viscous Burgers u_t + lambda1 u u_x - nu u_xx = 0 on [-1,1]x[0,1] (both learnable), Cole-Hopf reference",
		 &burgers_ops)
