/* phasepinn plugin — the Poisson (screened Poisson) equation on any domain.
 *
 *   −Δu + k·u = f  in Ω ⊂ R^dim, dim = 1, 2 or 3, inputs x, y, z,
 *
 * with Dirichlet, Neumann and Robin conditions on the parts of ∂Ω a user
 * picks.  Ω is the box of the keys x, y, z (default [0, 1] each) unless the
 * experiment gives `domain: {geometry: ...}`: the core then samples the
 * interior term inside the geometry and the boundary terms (boundary = 1)
 * on its parts, `pde: {terms: {neumann: {parts: [hole]}}}`, the box
 * faces below are ignored, and the box and reference grid become the
 * geometry's bounding box.
 *
 * Keys:
 *   dim: 2                       1..3
 *   x: [0, 1], y: ..., z: ...    the box, one per input (pp_domain_read)
 *   k: 0                         >= 0, learnable (k: {trainable: true})
 *   f: 1                         learnable; ignored with `manufactured`
 *   manufactured: {frequency: [1, 2]}
 *                                u*(x) = Π_i sin(π·ω_i·x_i + 1/4), one ω per
 *                                input (default 1, 2, 3 for x, y, z); then
 *                                f(x) = −Δu* + k·u* = (π²·Σ ω_i² + k)·u*
 *                                pointwise with the configured k, every
 *                                boundary datum comes from u*, and
 *                                reference() returns u* (has_reference).
 *                                The phase 1/4 keeps u* and n·∇u* nonzero
 *                                on box faces and around holes, and breaks
 *                                the symmetries of the square and disk.
 *   dirichlet_value: 0           g when not manufactured
 *   neumann_value: 0             h when not manufactured
 *   robin: {alpha: 1, beta: 1}   not both 0
 *   robin_value: 0               the Robin datum when not manufactured
 *
 * Terms (points lie on boundary parts for boundary = 1 on a geometry,
 * otherwise on all 2·dim faces of the box):
 *   residual   interior, enabled:  −Σ_i u_ii + k·u − f
 *              channels u, u_xx [, u_yy [, u_zz]]
 *   dirichlet  boundary, enabled:  u − g,  g = u* or dirichlet_value
 *   neumann    boundary, disabled: n·∇u − h,  h = n·∇u* or neumann_value
 *   robin      boundary, disabled: α·u + β·n·∇u − (α·u* + β·n·∇u*)
 *              or − robin_value
 * n is the outward unit normal the core passes (pp_residual_args.normal);
 * neumann and robin refuse a call without it.
 *
 * k ≥ 0 keeps the Dirichlet and Robin (α·β ≥ 0) problems uniquely
 * solvable; with k = 0 and Neumann data alone u is fixed only up to a
 * constant, so give some part a Dirichlet or Robin condition.
 * State: the keys only (stateless save/load).
 */
#include <phasepinn/phasepinn.h>
#include <phasepinn/sdk/coefficient.h>
#include <phasepinn/sdk/domain.h>

#include <math.h>
#include <stdlib.h>

/* M_PI is POSIX, not C11: this file also builds with plain -std=c11 */
#define PI 3.14159265358979323846
#define PHASE 0.25
#define MAX_DIM 3

enum { TERM_RESIDUAL, TERM_DIRICHLET, TERM_NEUMANN, TERM_ROBIN };   /* describe() order */
enum { COEF_K, COEF_F };                                            /* declared coefficients */

static const char *const input_names[MAX_DIM] = {"x", "y", "z"};

typedef struct poisson {
	int dim;
	double lo[MAX_DIM], hi[MAX_DIM];
	double k, f;
	int manufactured;
	double freq[MAX_DIM];
	double dirichlet_value, neumann_value, robin_value;
	double alpha, beta;
} poisson;

/* ---- the manufactured solution ------------------------------------------ */

/* u*(x) and, when @grad is not NULL, ∇u*(x). */
static double exact(const poisson *p, const double *x, double *grad)
{
	double s[MAX_DIM], c[MAX_DIM], u = 1;

	for (int i = 0; i < p->dim; i++) {
		double arg = PI * p->freq[i] * x[i] + PHASE;
		s[i] = sin(arg);
		c[i] = cos(arg);
		u *= s[i];
	}
	if (grad)
		for (int i = 0; i < p->dim; i++) {
			double g = PI * p->freq[i] * c[i];
			for (int j = 0; j < p->dim; j++)
				if (j != i)
					g *= s[j];
			grad[i] = g;
		}
	return u;
}

/* Point @i of @a in double. */
static void point(const poisson *p, const pp_residual_args *a, size_t i, double *x)
{
	for (int d = 0; d < p->dim; d++)
		x[d] = (double)a->x[i * (size_t)p->dim + (size_t)d];
}

/* n·∇u* at point @i of @a (a->normal checked by the caller); u* in *u. */
static double exact_flux(const poisson *p, const pp_residual_args *a, size_t i, double *u)
{
	double x[MAX_DIM], g[MAX_DIM], flux = 0;

	point(p, a, i, x);
	*u = exact(p, x, g);
	for (int d = 0; d < p->dim; d++)
		flux += (double)a->normal[i * (size_t)p->dim + (size_t)d] * g[d];
	return flux;
}

/* ---- create ---------------------------------------------------------- */

static int read_manufactured(const pp_config *cfg, poisson *p, pp_error *err)
{
	static const double def[MAX_DIM] = {1, 2, 3};
	const pp_config *m;
	int rc;

	if (!pp_config_get(cfg, "manufactured"))
		return PP_OK;
	rc = pp_config_map(cfg, "manufactured", "frequency", &m, err);
	if (rc)
		return rc;
	p->manufactured = 1;
	return pp_config_double_list(m, "frequency", (size_t)p->dim, def, -1e3, 1e3, p->freq,
				     err);
}

static int read_robin(const pp_config *cfg, poisson *p, pp_error *err)
{
	const pp_config *r;
	int rc = pp_config_map(cfg, "robin", "alpha", &r, err);

	if (!rc)
		rc = pp_config_double(r, "alpha", 1, -1e6, 1e6, &p->alpha, err);
	if (!rc)
		rc = pp_config_double(r, "beta", 1, -1e6, 1e6, &p->beta, err);
	if (!rc && p->alpha == 0 && p->beta == 0)
		rc = pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "robin"),
				     "robin: alpha and beta are both 0: the condition says nothing");
	return rc;
}

static int read_keys(const pp_config *cfg, poisson *p, pp_error *err)
{
	long dim;
	int rc = pp_config_long(cfg, "dim", 2, 1, MAX_DIM, &dim, err);

	if (rc)
		return rc;
	p->dim = (int)dim;
	for (int d = 0; d < p->dim && !rc; d++)
		rc = pp_domain_read(cfg, input_names[d], 0, 1, &p->lo[d], &p->hi[d], err);
	if (!rc)
		rc = pp_coefficient_read(cfg, "k", 0, 0, 1e6, &p->k, err);
	if (!rc)
		rc = pp_coefficient_read(cfg, "f", 1, -1e6, 1e6, &p->f, err);
	if (!rc)
		rc = read_manufactured(cfg, p, err);
	if (!rc)
		rc = pp_config_double(cfg, "dirichlet_value", 0, -1e6, 1e6, &p->dirichlet_value, err);
	if (!rc)
		rc = pp_config_double(cfg, "neumann_value", 0, -1e6, 1e6, &p->neumann_value, err);
	if (!rc)
		rc = read_robin(cfg, p, err);
	if (!rc)
		rc = pp_config_double(cfg, "robin_value", 0, -1e6, 1e6, &p->robin_value, err);
	return rc;
}

static int poisson_create(const pp_config *cfg, void **state, pp_error *err)
{
	poisson *p = calloc(1, sizeof *p);
	int rc;

	if (!p)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = read_keys(cfg, p, err);
	if (rc) {
		free(p);
		return rc;
	}
	*state = p;
	return PP_OK;
}

static void poisson_destroy(void *state)
{
	free(state);
}

/* ---- describe -------------------------------------------------------- */

/* Every face of the box: input d fixed at lo, then at hi. */
static void box_faces(int dim, pp_term_info *t)
{
	t->n_pieces = 2 * dim;
	for (int d = 0; d < dim; d++)
		for (int s = 0; s < 2; s++) {
			pp_piece *pc = &t->pieces[2 * d + s];
			for (int j = 0; j < dim; j++)
				pc->side[j] = PP_SIDE_FREE;
			pc->side[d] = s ? PP_SIDE_HI : PP_SIDE_LO;
		}
}

static void boundary_term(const poisson *p, pp_term_info *t, const char *name, int enabled,
			  int with_u, int with_grad)
{
	*t = (pp_term_info){.name = name, .boundary = 1, .enabled = enabled, .points = 400,
			    .weight = 1, .pair_input = -1};
	box_faces(p->dim, t);
	if (with_u)
		t->channels[t->n_channels++] = PP_CHANNEL_U;
	for (int d = 0; with_grad && d < p->dim; d++)
		t->channels[t->n_channels++] = PP_CHANNEL_D(d);
}

static int poisson_describe(void *state, pp_pde_info *info, pp_error *err)
{
	const poisson *p = state;
	pp_term_info *res = &info->terms[TERM_RESIDUAL];
	static const long grid_n[MAX_DIM] = {1001, 201, 41};
	(void)err;

	info->n_inputs = p->dim;
	for (int d = 0; d < p->dim; d++) {
		info->input_names[d] = input_names[d];
		info->lo[d] = p->lo[d];
		info->hi[d] = p->hi[d];
	}
	info->time_input = -1;
	info->periodic_input = -1;
	info->n_terms = 4;
	*res = (pp_term_info){.name = "residual", .interior = 1, .enabled = 1, .points = 2000,
			      .weight = 1, .n_pieces = 1, .pair_input = -1};
	res->channels[res->n_channels++] = PP_CHANNEL_U;
	for (int d = 0; d < p->dim; d++)
		res->channels[res->n_channels++] = PP_CHANNEL_DD(d, d);
	boundary_term(p, &info->terms[TERM_DIRICHLET], "dirichlet", 1, 1, 0);
	boundary_term(p, &info->terms[TERM_NEUMANN], "neumann", 0, 0, 1);
	boundary_term(p, &info->terms[TERM_ROBIN], "robin", 0, 1, 1);
	info->has_reference = p->manufactured;
	info->reference_grid.n_dims = p->dim;
	for (int d = 0; d < p->dim; d++) {
		info->reference_grid.n[d] = grid_n[p->dim - 1];
		info->reference_grid.lo[d] = p->lo[d];
		info->reference_grid.hi[d] = p->hi[d];
		info->reference_grid.endpoint[d] = 1;
	}
	info->n_coefficients = 2;
	info->coefficients[COEF_K] = (pp_coefficient_info){"k", p->k};
	info->coefficients[COEF_F] = (pp_coefficient_info){"f", p->f};
	return PP_OK;
}

/* ---- residual -------------------------------------------------------- */

/* −Σ u_ii + k·u − f; channels u, u_11, ..., u_dd.  With `manufactured`,
 * f(x) = (π²·Σω² + k0)·u*(x) with the configured k0: the data do not move
 * when k is learned. */
static void interior(const poisson *p, const pp_residual_args *a)
{
	const pp_real k = (pp_real)(a->coef ? a->coef[COEF_K] : p->k);
	const pp_real f = p->manufactured ? 0 : (pp_real)(a->coef ? a->coef[COEF_F] : p->f);
	double lap = 0;

	for (size_t i = 0; i < a->n; i++) {
		pp_real r = k * a->u[0][i] - f;
		for (int d = 0; d < p->dim; d++)
			r -= a->u[1 + d][i];
		a->r[i] = r;
		a->dr[0][i] = k;
		for (int d = 0; d < p->dim; d++)
			a->dr[1 + d][i] = -1;
	}
	for (int d = 0; d < p->dim; d++)
		lap += PI * PI * p->freq[d] * p->freq[d];
	for (size_t i = 0; p->manufactured && i < a->n; i++) {
		double x[MAX_DIM];
		point(p, a, i, x);
		a->r[i] -= (pp_real)((lap + p->k) * exact(p, x, NULL));
	}
	if (a->dr_coef)   /* zeroed by the core */
		for (size_t i = 0; i < a->n; i++) {
			a->dr_coef[COEF_K][i] = a->u[0][i];
			a->dr_coef[COEF_F][i] = p->manufactured ? 0 : -1;
		}
}

/* u − g; channel u. */
static void dirichlet(const poisson *p, const pp_residual_args *a)
{
	for (size_t i = 0; i < a->n; i++) {
		a->r[i] = a->u[0][i] - (pp_real)p->dirichlet_value;
		a->dr[0][i] = 1;
	}
	for (size_t i = 0; p->manufactured && i < a->n; i++) {
		double x[MAX_DIM];
		point(p, a, i, x);
		a->r[i] = a->u[0][i] - (pp_real)exact(p, x, NULL);
	}
}

/* α·u + β·n·∇u − datum; channels u (when @with_u), then u_1, ..., u_d.
 * Neumann is with_u = 0, α = 0, β = 1. */
static void flux_condition(const poisson *p, const pp_residual_args *a, int with_u,
			   double alpha, double beta, double value)
{
	const int first = with_u ? 1 : 0;

	for (size_t i = 0; i < a->n; i++) {
		const pp_real *n = a->normal + i * (size_t)p->dim;
		double datum = value, u_star;
		pp_real r = 0;
		if (p->manufactured) {
			double flux = exact_flux(p, a, i, &u_star);
			datum = alpha * u_star + beta * flux;
		}
		if (with_u) {
			r = (pp_real)alpha * a->u[0][i];
			a->dr[0][i] = (pp_real)alpha;
		}
		for (int d = 0; d < p->dim; d++) {
			r += (pp_real)beta * n[d] * a->u[first + d][i];
			a->dr[first + d][i] = (pp_real)beta * n[d];
		}
		a->r[i] = r - (pp_real)datum;
	}
}

static int poisson_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	const poisson *p = state;

	switch (a->term) {
	case TERM_RESIDUAL:
		interior(p, a);
		return PP_OK;
	case TERM_DIRICHLET:
		dirichlet(p, a);
		return PP_OK;
	case TERM_NEUMANN:
	case TERM_ROBIN:
		if (!a->normal)
			return pp_error_set(err, PP_ERR_INVALID,
					    "poisson: the %s term needs the outward normals of its "
					    "boundary points (pp_residual_args.normal is NULL)",
					    a->term == TERM_NEUMANN ? "neumann" : "robin");
		if (a->term == TERM_NEUMANN)
			flux_condition(p, a, 0, 0, 1, p->neumann_value);
		else
			flux_condition(p, a, 1, p->alpha, p->beta, p->robin_value);
		return PP_OK;
	default:
		return pp_error_set(err, PP_ERR_INVALID, "poisson: no term %d", a->term);
	}
}

/* u* on @grid: the manufactured solution, exact. */
static int poisson_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	const poisson *p = state;
	double x[PP_MAX_INPUTS];

	if (!p->manufactured)
		return pp_error_set(err, PP_ERR_INVALID,
				    "poisson: a reference needs `manufactured: {frequency: [...]}`");
	if (pp_grid_check(grid, p->dim, err))
		return pp_error_prefix(err, "poisson reference");
	for (size_t i = 0; i < pp_grid_size(grid); i++) {
		pp_grid_point(grid, i, x);
		u[i] = exact(p, x, NULL);
	}
	return PP_OK;
}

static const pp_pde_ops poisson_ops = {
	.struct_size = sizeof poisson_ops,
	.create = poisson_create,
	.destroy = poisson_destroy,
	.describe = poisson_describe,
	.residual = poisson_residual,
	.reference = poisson_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "poisson",
		 "-laplace(u) + k u = f in 1-3 dimensions on any domain, Dirichlet/Neumann/Robin, "
		 "manufactured reference",
		 &poisson_ops)
