/* phasepinn plugin — steady lid-driven cavity flow on [0,1]².
 *
 *   (u·∇)u + ∇p − ∇²u/Re = 0,  ∇·u = 0,
 *   u = (1, 0) on the lid y = 1, u = 0 on the other three walls.
 * YAML: `re` (Reynolds number, default 100; the paper's case is 1000),
 * `formulation`:
 *   velocity_pressure (default): outputs u, v, p; term `residual` with the
 *     components momentum_x, momentum_y, continuity;
 *   stream_function: outputs psi, p with u = ψ_y, v = −ψ_x (continuity is
 *     exact); `residual` has momentum_x, momentum_y and needs third
 *     derivatives of ψ.
 * `lid_profile`: uniform (default, u = 1 on the lid) or parabolic
 * (u = 4x(1 − x), PINNacle's NS2d-C, whose corners are not singular).
 * Boundary terms: `lid` (y = 1: u − lid speed, v) and `walls` (x = 0, x = 1, y = 0:
 * u, v), both on ψ's derivatives in the stream-function form, which also
 * offers `psi_wall` (ψ = 0 on all four sides, off by default: only ψ's
 * derivatives enter the flow, and errors compare ψ up to a constant).
 *
 * Reference: stream function–vorticity finite differences on a uniform grid
 * of `reference_cells` (default 128) cells per side, second-order central
 * differences, Thom's wall vorticity, solved to steady state by Newton's
 * method with a banded LU (LAPACK dgbtrf/dgbtrs from OpenBLAS), started from
 * coarser grids (and, above Re = 100, from lower Reynolds numbers on the
 * coarsest).  The pressure is the least-squares fit of the momentum
 * equations' ∇p on the grid's edges (a Neumann Poisson problem that is
 * exactly compatible), with mean zero.  The solution is computed once per
 * state, on the first reference() call, and interpolated bicubically onto
 * the requested grid.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK's banded LU, exported by OpenBLAS (32-bit integers; the trailing
 * size_t is gfortran's hidden length of the character argument). */
void dgbtrf_(const int *m, const int *n, const int *kl, const int *ku, double *ab,
	     const int *ldab, int *ipiv, int *info);
void dgbtrs_(const char *trans, const int *n, const int *kl, const int *ku, const int *nrhs,
	     const double *ab, const int *ldab, const int *ipiv, double *b, const int *ldb,
	     int *info, size_t trans_len);

enum { X, Y };
enum { VELOCITY_PRESSURE, STREAM_FUNCTION };
enum { TERM_RESIDUAL, TERM_LID, TERM_WALLS, TERM_PSI_WALL };

/* Channels of the velocity–pressure residual (outputs u = 0, v = 1, p = 2). */
enum { VU, VU_X, VU_Y, VU_XX, VU_YY, VV, VV_X, VV_Y, VV_XX, VV_YY, VP_X, VP_Y, VP_CHANNELS };
/* Channels of the stream-function residual (outputs psi = 0, p = 1). */
enum {
	S_X, S_Y, S_XX, S_XY, S_YY, S_XXX, S_XXY, S_XYY, S_YYY, SP_X, SP_Y, SP_CHANNELS
};

/* The converged finite-difference solution: (n+1)² nodes, node (i, j) at
 * (i/n, j/n) stored at [j·(n+1) + i]. */
typedef struct cavity_flow {
	long n;
	double *psi, *omega, *u, *v, *p;
} cavity_flow;

typedef struct cavity {
	double re;
	int formulation;
	int parabolic;       /* lid speed 4x(1 − x) instead of 1 */
	long cells;          /* reference grid: cells per side */
	int richardson;      /* extrapolate the last two grids */
	int solved;
	cavity_flow flow;
	int newton_steps;    /* on the finest grid, for tests and messages */
} cavity;

static int cavity_create(const pp_config *cfg, void **state, pp_error *err)
{
	static const char *const forms[] = {"velocity_pressure", "stream_function", NULL};
	static const char *const lids[] = {"uniform", "parabolic", NULL};
	cavity *c = calloc(1, sizeof *c);
	int rc;

	if (!c)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "re", 100, -1e300, 1e4, &c->re, err);
	if (!rc && !(c->re > 0))
		rc = pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "re"),
				     "re must be > 0 (the Reynolds number), got %g", c->re);
	if (!rc)
		rc = pp_config_choice(cfg, "formulation", "velocity_pressure", forms,
				      &c->formulation, err);
	/* 256 cells need about 1.6 GB for the banded LU; 128 about 200 MB. */
	if (!rc)
		rc = pp_config_long(cfg, "reference_cells", 128, 16, 256, &c->cells, err);
	if (!rc)
		rc = pp_config_choice(cfg, "lid_profile", "uniform", lids, &c->parabolic, err);
	if (!rc)
		rc = pp_config_bool(cfg, "reference_extrapolate", 1, &c->richardson, err);
	if (rc) {
		free(c);
		return rc;
	}
	*state = c;
	return PP_OK;
}

static void flow_free(cavity_flow *f)
{
	free(f->psi);
	memset(f, 0, sizeof *f);
}

static void cavity_destroy(void *state)
{
	cavity *c = state;

	flow_free(&c->flow);
	free(c);
}

static const pp_piece lid_piece = {.side = {PP_SIDE_FREE, PP_SIDE_HI}};
static const pp_piece wall_pieces[3] = {
	{.side = {PP_SIDE_LO, PP_SIDE_FREE}},
	{.side = {PP_SIDE_HI, PP_SIDE_FREE}},
	{.side = {PP_SIDE_FREE, PP_SIDE_LO}},
};

static void boundary_terms(pp_pde_info *info, pp_channel a, pp_channel b)
{
	pp_term_info *lid = &info->terms[TERM_LID], *walls = &info->terms[TERM_WALLS];

	*lid = (pp_term_info){
		.name = "lid", .enabled = 1, .points = 200, .weight = 1, .n_pieces = 1,
		.pieces = {lid_piece}, .n_channels = 2, .channels = {a, b}, .pair_input = -1,
		.n_components = 2, .component_names = {"u", "v"}};
	*walls = (pp_term_info){
		.name = "walls", .enabled = 1, .points = 600, .weight = 1, .n_pieces = 3,
		.pieces = {wall_pieces[0], wall_pieces[1], wall_pieces[2]}, .n_channels = 2,
		.channels = {a, b}, .pair_input = -1,
		.n_components = 2, .component_names = {"u", "v"}};
}

static void describe_velocity_pressure(pp_pde_info *info)
{
	info->n_outputs = 3;
	info->output_names[0] = "u";
	info->output_names[1] = "v";
	info->output_names[2] = "p";
	info->output_up_to_constant[2] = 1;
	info->n_terms = 3;
	info->terms[TERM_RESIDUAL] = (pp_term_info){
		.name = "residual", .interior = 1, .enabled = 1, .points = 4000, .weight = 1,
		.n_pieces = 1, .n_channels = VP_CHANNELS,
		.channels = {PP_U(0), PP_D(0, X), PP_D(0, Y), PP_DD(0, X, X), PP_DD(0, Y, Y),
			     PP_U(1), PP_D(1, X), PP_D(1, Y), PP_DD(1, X, X), PP_DD(1, Y, Y),
			     PP_D(2, X), PP_D(2, Y)},
		.pair_input = -1, .n_components = 3,
		.component_names = {"momentum_x", "momentum_y", "continuity"}};
	boundary_terms(info, PP_U(0), PP_U(1));
}

static void describe_stream_function(pp_pde_info *info)
{
	info->n_outputs = 2;
	info->output_names[0] = "psi";
	info->output_names[1] = "p";
	info->output_up_to_constant[0] = 1;
	info->output_up_to_constant[1] = 1;
	info->n_terms = 4;
	info->terms[TERM_RESIDUAL] = (pp_term_info){
		.name = "residual", .interior = 1, .enabled = 1, .points = 4000, .weight = 1,
		.n_pieces = 1, .n_channels = SP_CHANNELS,
		.channels = {PP_D(0, X), PP_D(0, Y), PP_DD(0, X, X), PP_DD(0, X, Y),
			     PP_DD(0, Y, Y), PP_D3(0, X, X, X), PP_D3(0, X, X, Y),
			     PP_D3(0, X, Y, Y), PP_D3(0, Y, Y, Y), PP_D(1, X), PP_D(1, Y)},
		.pair_input = -1, .n_components = 2,
		.component_names = {"momentum_x", "momentum_y"}};
	/* u = ψ_y, v = −ψ_x */
	boundary_terms(info, PP_D(0, Y), PP_D(0, X));
	info->terms[TERM_PSI_WALL] = (pp_term_info){
		.name = "psi_wall", .enabled = 0, .points = 800, .weight = 1, .n_pieces = 4,
		.pieces = {wall_pieces[0], wall_pieces[1], wall_pieces[2], lid_piece},
		.n_channels = 1, .channels = {PP_U(0)}, .pair_input = -1};
}

static int cavity_describe(void *state, pp_pde_info *info, pp_error *err)
{
	const cavity *c = state;
	(void)err;

	info->n_inputs = 2;
	info->input_names[X] = "x";
	info->input_names[Y] = "y";
	info->lo[X] = info->lo[Y] = 0;
	info->hi[X] = info->hi[Y] = 1;
	info->time_input = -1;
	info->periodic_input = -1;
	if (c->formulation == VELOCITY_PRESSURE)
		describe_velocity_pressure(info);
	else
		describe_stream_function(info);
	info->has_reference = 1;
	info->reference_grid = (pp_grid){.n_dims = 2, .n = {101, 101}, .lo = {0, 0},
					 .hi = {1, 1}, .endpoint = {1, 1}};
	return PP_OK;
}

/* Zero the K·C Jacobian arrays of @a, which the residuals then fill sparsely. */
static void clear_jacobian(const pp_residual_args *a, int arrays)
{
	for (int k = 0; k < arrays; k++)
		memset(a->dr[k], 0, a->n * sizeof a->dr[k][0]);
}

/* r0 = u u_x + v u_y + p_x − (u_xx + u_yy)/Re, r1 likewise for v,
 * r2 = u_x + v_y. */
static void residual_velocity_pressure(const cavity *c, const pp_residual_args *a)
{
	const pp_real *const *ch = a->u;
	pp_real nu = (pp_real)(1 / c->re);
	pp_real *const *d0 = a->dr, *const *d1 = a->dr + VP_CHANNELS,
		*const *d2 = a->dr + 2 * VP_CHANNELS;
	size_t n = a->n;

	clear_jacobian(a, 3 * VP_CHANNELS);
	for (size_t i = 0; i < n; i++) {
		pp_real u = ch[VU][i], v = ch[VV][i];

		a->r[i] = u * ch[VU_X][i] + v * ch[VU_Y][i] + ch[VP_X][i] -
			  nu * (ch[VU_XX][i] + ch[VU_YY][i]);
		a->r[n + i] = u * ch[VV_X][i] + v * ch[VV_Y][i] + ch[VP_Y][i] -
			      nu * (ch[VV_XX][i] + ch[VV_YY][i]);
		a->r[2 * n + i] = ch[VU_X][i] + ch[VV_Y][i];
		d0[VU][i] = ch[VU_X][i];
		d0[VU_X][i] = u;
		d0[VV][i] = ch[VU_Y][i];
		d0[VU_Y][i] = v;
		d0[VP_X][i] = 1;
		d0[VU_XX][i] = d0[VU_YY][i] = -nu;
		d1[VU][i] = ch[VV_X][i];
		d1[VV_X][i] = u;
		d1[VV][i] = ch[VV_Y][i];
		d1[VV_Y][i] = v;
		d1[VP_Y][i] = 1;
		d1[VV_XX][i] = d1[VV_YY][i] = -nu;
		d2[VU_X][i] = d2[VV_Y][i] = 1;
	}
}

/* The momentum equations with u = ψ_y, v = −ψ_x:
 *   r0 = ψ_y ψ_xy − ψ_x ψ_yy + p_x − (ψ_xxy + ψ_yyy)/Re,
 *   r1 = −ψ_y ψ_xx + ψ_x ψ_xy + p_y + (ψ_xxx + ψ_xyy)/Re. */
static void residual_stream_function(const cavity *c, const pp_residual_args *a)
{
	const pp_real *const *ch = a->u;
	pp_real nu = (pp_real)(1 / c->re);
	pp_real *const *d0 = a->dr, *const *d1 = a->dr + SP_CHANNELS;
	size_t n = a->n;

	clear_jacobian(a, 2 * SP_CHANNELS);
	for (size_t i = 0; i < n; i++) {
		a->r[i] = ch[S_Y][i] * ch[S_XY][i] - ch[S_X][i] * ch[S_YY][i] + ch[SP_X][i] -
			  nu * (ch[S_XXY][i] + ch[S_YYY][i]);
		a->r[n + i] = -ch[S_Y][i] * ch[S_XX][i] + ch[S_X][i] * ch[S_XY][i] +
			      ch[SP_Y][i] + nu * (ch[S_XXX][i] + ch[S_XYY][i]);
		d0[S_Y][i] = ch[S_XY][i];
		d0[S_XY][i] = ch[S_Y][i];
		d0[S_X][i] = -ch[S_YY][i];
		d0[S_YY][i] = -ch[S_X][i];
		d0[SP_X][i] = 1;
		d0[S_XXY][i] = d0[S_YYY][i] = -nu;
		d1[S_Y][i] = -ch[S_XX][i];
		d1[S_XX][i] = -ch[S_Y][i];
		d1[S_X][i] = ch[S_XY][i];
		d1[S_XY][i] = ch[S_X][i];
		d1[SP_Y][i] = 1;
		d1[S_XXX][i] = d1[S_XYY][i] = nu;
	}
}

/* The lid's speed at @x: 1, or PINNacle's NS2d-C profile 4x(1 − x), which
 * is continuous at the corners. */
static double lid_speed(int parabolic, double x)
{
	return parabolic ? 4 * x * (1 - x) : 1;
}

/* Lid (@lid) and walls: r0 = u − the wall's speed, r1 = v, from channels 0
 * and 1, which are (u, v) or (ψ_y, ψ_x) with v = −ψ_x. */
static void residual_boundary(const cavity *c, const pp_residual_args *a, int lid)
{
	pp_real sv = c->formulation == STREAM_FUNCTION ? -1 : 1;
	size_t n = a->n;

	for (size_t i = 0; i < n; i++) {
		double speed = lid ? lid_speed(c->parabolic, (double)a->x[2 * i]) : 0;

		a->r[i] = a->u[0][i] - (pp_real)speed;
		a->r[n + i] = sv * a->u[1][i];
		a->dr[0][i] = 1;
		a->dr[1][i] = 0;
		a->dr[2][i] = 0;
		a->dr[3][i] = sv;
	}
}

static int cavity_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	const cavity *c = state;

	switch (a->term) {
	case TERM_RESIDUAL:
		if (c->formulation == VELOCITY_PRESSURE)
			residual_velocity_pressure(c, a);
		else
			residual_stream_function(c, a);
		return PP_OK;
	case TERM_LID:
		residual_boundary(c, a, 1);
		return PP_OK;
	case TERM_WALLS:
		residual_boundary(c, a, 0);
		return PP_OK;
	case TERM_PSI_WALL:
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i];
			a->dr[0][i] = 1;
		}
		return PP_OK;
	}
	return pp_error_set(err, PP_ERR_INVALID, "cavity: no term %d", a->term);
}

/* ---- Reference: stream function–vorticity finite differences ----------- */

/* A banded matrix in LAPACK's storage for dgbtrf: entry (i, j), 0-based,
 * at ab[j·ldab + kl + ku + i − j], for j − ku ≤ i ≤ j + kl. */
typedef struct band {
	int n, kl, ku, ldab;
	double *ab;
	int *ipiv;
} band;

static int band_init(band *b, int n, int kl, int ku, pp_error *err)
{
	b->n = n;
	b->kl = kl;
	b->ku = ku;
	b->ldab = 2 * kl + ku + 1;
	b->ab = malloc((size_t)b->ldab * (size_t)n * sizeof *b->ab);
	b->ipiv = malloc((size_t)n * sizeof *b->ipiv);
	if (!b->ab || !b->ipiv) {
		free(b->ab);
		free(b->ipiv);
		return pp_error_set(err, PP_ERR_NOMEM,
				    "cavity reference: out of memory for a banded matrix of "
				    "%d rows and bandwidth %d", n, kl + ku + 1);
	}
	return PP_OK;
}

static void band_free(band *b)
{
	free(b->ab);
	free(b->ipiv);
}

static void band_zero(band *b)
{
	memset(b->ab, 0, (size_t)b->ldab * (size_t)b->n * sizeof *b->ab);
}

static void band_add(band *b, int i, int j, double v)
{
	b->ab[(size_t)j * b->ldab + b->kl + b->ku + i - j] += v;
}

/* Solve A·x = rhs in place (A is overwritten by its LU factors). */
static int band_solve(band *b, double *rhs, pp_error *err)
{
	int info = 0, one = 1;

	dgbtrf_(&b->n, &b->n, &b->kl, &b->ku, b->ab, &b->ldab, b->ipiv, &info);
	if (info == 0)
		dgbtrs_("N", &b->n, &b->kl, &b->ku, &one, b->ab, &b->ldab, b->ipiv, rhs, &b->n,
			&info, 1);
	if (info != 0)
		return pp_error_set(err, PP_ERR_NUMERIC,
				    "cavity reference: banded LU failed (info %d)", info);
	return PP_OK;
}

/* The discrete problem on n cells: unknowns ψ and ω at the interior nodes,
 * interleaved, z[2m] = ψ and z[2m+1] = ω at node m = (j−1)(n−1) + (i−1).
 * On the walls ψ = 0 and ω follows Thom's formula from the adjacent
 * interior ψ: ω = −2ψ_adj/h² (− 2/h on the lid, whose speed is 1). */
typedef struct fd_level {
	int n, parabolic;
	double h, re;
	double *z, *f;
	band jac;
} fd_level;

static int node(const fd_level *l, int i, int j)
{
	return (j - 1) * (l->n - 1) + (i - 1);
}

static int interior(const fd_level *l, int i, int j)
{
	return i > 0 && i < l->n && j > 0 && j < l->n;
}

/* ψ at node (i, j), 0 on the walls. */
static double psi_at(const fd_level *l, int i, int j)
{
	return interior(l, i, j) ? l->z[2 * node(l, i, j)] : 0;
}

/* ω at the neighbour (i, j) of interior node @m: its unknown, or Thom's
 * value on a wall, whose only dependence is on ψ at @m itself.  *col and
 * *dcoef say which unknown it depends on, with what coefficient. */
static double omega_near(const fd_level *l, int m, int i, int j, int *col, double *dcoef)
{
	double h2 = l->h * l->h;

	if (interior(l, i, j)) {
		*col = 2 * node(l, i, j) + 1;
		*dcoef = 1;
		return l->z[*col];
	}
	*col = 2 * m;
	*dcoef = -2 / h2;
	return -2 * l->z[2 * m] / h2 -
	       (j == l->n ? 2 * lid_speed(l->parabolic, i * l->h) / l->h : 0);
}

/* Residual F at node (i, j) into f and, when @jac, its Jacobian rows, with
 * 1/dt added on ω's diagonal (pseudo-time damping; 0: pure Newton). */
static void fd_node(fd_level *l, int i, int j, int jac, double inv_dt)
{
	static const int di[4] = {1, -1, 0, 0}, dj[4] = {0, 0, 1, -1};  /* E W N S */
	int m = node(l, i, j), rp = 2 * m, rw = 2 * m + 1, col[4];
	double h = l->h, h2 = h * h, nu = 1 / l->re, om[4], dom[4], ps[4];
	double lap_psi = -4 * l->z[rp], lap_om = -4 * l->z[rw], a, b;

	for (int k = 0; k < 4; k++) {
		ps[k] = psi_at(l, i + di[k], j + dj[k]);
		om[k] = omega_near(l, m, i + di[k], j + dj[k], &col[k], &dom[k]);
		lap_psi += ps[k];
		lap_om += om[k];
	}
	/* a = u/(2h), b = v/(2h) with u = ψ_y, v = −ψ_x */
	a = (ps[2] - ps[3]) / (4 * h2);
	b = -(ps[0] - ps[1]) / (4 * h2);
	l->f[rp] = lap_psi / h2 + l->z[rw];
	l->f[rw] = a * (om[0] - om[1]) + b * (om[2] - om[3]) - nu * lap_om / h2;
	if (!jac)
		return;
	band_add(&l->jac, rp, rp, -4 / h2);
	band_add(&l->jac, rp, rw, 1);
	band_add(&l->jac, rw, rw, 4 * nu / h2 + inv_dt);
	for (int k = 0; k < 4; k++) {
		int ii = i + di[k], jj = j + dj[k];
		/* ∂F_ω/∂ω_k: advection ± a or b, diffusion −ν/h² */
		double cw = (k == 0 ? a : k == 1 ? -a : k == 2 ? b : -b) - nu / h2;

		if (interior(l, ii, jj)) {
			int q = 2 * node(l, ii, jj);
			/* ∂F_ω/∂ψ_k through a (N, S) or b (E, W) */
			double cp = k == 2 ? (om[0] - om[1]) / (4 * h2)
				  : k == 3 ? -(om[0] - om[1]) / (4 * h2)
				  : k == 0 ? -(om[2] - om[3]) / (4 * h2)
					   : (om[2] - om[3]) / (4 * h2);
			band_add(&l->jac, rp, q, 1 / h2);
			band_add(&l->jac, rw, q, cp);
		}
		band_add(&l->jac, rw, col[k], cw * dom[k]);
	}
}

static double fd_residual(fd_level *l, int jac, double inv_dt)
{
	double worst = 0;

	if (jac)
		band_zero(&l->jac);
	for (int j = 1; j < l->n; j++)
		for (int i = 1; i < l->n; i++)
			fd_node(l, i, j, jac, inv_dt);
	for (int k = 0; k < 2 * (l->n - 1) * (l->n - 1); k++)
		worst = fmax(worst, fabs(l->f[k]) * l->h * l->h);
	return worst;
}

static int fd_init(fd_level *l, int n, double re, pp_error *err)
{
	int unknowns = 2 * (n - 1) * (n - 1), bw = 2 * (n - 1) + 1;

	memset(l, 0, sizeof *l);
	l->n = n;
	l->h = 1.0 / n;
	l->re = re;
	l->z = calloc((size_t)unknowns, sizeof *l->z);
	l->f = calloc((size_t)unknowns, sizeof *l->f);
	if (!l->z || !l->f) {
		free(l->z);
		free(l->f);
		return pp_error_set(err, PP_ERR_NOMEM, "cavity reference: out of memory");
	}
	if (band_init(&l->jac, unknowns, bw, bw, err)) {
		free(l->z);
		free(l->f);
		return PP_ERR_NOMEM;
	}
	return PP_OK;
}

static void fd_free(fd_level *l)
{
	free(l->z);
	free(l->f);
	band_free(&l->jac);
}

/* Newton's method with switched-evolution-relaxation pseudo-time damping
 * (dt grows as the residual falls) until the step is below 1e-10 of the
 * solution.  *steps: Newton steps taken. */
static int fd_solve(fd_level *l, int *steps, pp_error *err)
{
	int unknowns = 2 * (l->n - 1) * (l->n - 1);
	double f0 = 0, fprev = 0, damp = 0.1 * 4 / (l->re * l->h * l->h);

	for (int it = 0; it < 80; it++) {
		double fn, inv_dt, step = 0, size = 0;

		fn = fd_residual(l, 1, 0);
		if (it == 0)
			f0 = fmax(fn, 1e-300);
		else if (fn > fprev)
			damp *= 10;   /* the residual grew: a shorter pseudo-time step */
		fprev = fn;
		inv_dt = damp * fn / f0;
		if (inv_dt < 1e-8 * damp)
			inv_dt = 0;
		if (inv_dt > 0)
			fd_residual(l, 1, inv_dt);
		for (int k = 0; k < unknowns; k++)
			l->f[k] = -l->f[k];
		if (band_solve(&l->jac, l->f, err))
			return PP_ERR_NUMERIC;
		for (int k = 0; k < unknowns; k++) {
			l->z[k] += l->f[k];
			step = fmax(step, fabs(l->f[k]));
			size = fmax(size, fabs(l->z[k]));
		}
		*steps = it + 1;
		if (!isfinite(step))
			break;
		if (inv_dt == 0 && step <= 1e-10 * fmax(size, 1))
			return PP_OK;
	}
	return pp_error_set(err, PP_ERR_NUMERIC,
			    "cavity reference: Newton did not converge on %d cells at Re = %g "
			    "(try fewer reference_cells or a lower re)", l->n, l->re);
}

/* Full nodal fields of a level: ψ (0 on walls) and ω (Thom's on walls, the
 * mean of the two adjacent wall values at a corner). */
static void fd_fields(const fd_level *l, double *psi, double *omega)
{
	int n = l->n, w = n + 1;
	double h2 = l->h * l->h;

	for (int j = 0; j <= n; j++)
		for (int i = 0; i <= n; i++) {
			psi[j * w + i] = psi_at(l, i, j);
			omega[j * w + i] = interior(l, i, j) ? l->z[2 * node(l, i, j) + 1] : 0;
		}
	for (int k = 1; k < n; k++) {
		omega[k] = -2 * psi[w + k] / h2;                                  /* y = 0 */
		omega[n * w + k] = -2 * psi[(n - 1) * w + k] / h2 -             /* lid */
				   2 * lid_speed(l->parabolic, k * l->h) / l->h;
		omega[k * w] = -2 * psi[k * w + 1] / h2;                          /* x = 0 */
		omega[k * w + n] = -2 * psi[k * w + n - 1] / h2;                  /* x = 1 */
	}
	omega[0] = (omega[1] + omega[w]) / 2;
	omega[n] = (omega[n - 1] + omega[w + n]) / 2;
	omega[n * w] = (omega[n * w + 1] + omega[(n - 1) * w]) / 2;
	omega[n * w + n] = (omega[n * w + n - 1] + omega[(n - 1) * w + n]) / 2;
}

/* Bilinear value at (x, y) of a nodal field on n cells. */
static double bilinear(const double *f, int n, double x, double y)
{
	double s = x * n, t = y * n;
	int i = (int)fmin(floor(s), n - 1), j = (int)fmin(floor(t), n - 1);
	double a = s - i, b = t - j;
	const double *q = f + (size_t)j * (n + 1) + i;

	return (1 - a) * (1 - b) * q[0] + a * (1 - b) * q[1] + (1 - a) * b * q[n + 1] +
	       a * b * q[n + 2];
}

/* Start level @l from the fields of a coarser one (bilinear). */
static void fd_prolong(fd_level *l, const double *psi, const double *omega, int nc)
{
	for (int j = 1; j < l->n; j++)
		for (int i = 1; i < l->n; i++) {
			int m = node(l, i, j);
			double x = i * l->h, y = j * l->h;

			l->z[2 * m] = bilinear(psi, nc, x, y);
			l->z[2 * m + 1] = bilinear(omega, nc, x, y);
		}
}

/* ∂f/∂x (dir 1) or ∂f/∂y (dir n+1) at node (i, j): central inside,
 * one-sided second order on the walls. */
static double nodal_derivative(const double *f, int n, int i, int j, int dir)
{
	int k = dir == 1 ? i : j;
	const double *q = f + (size_t)j * (n + 1) + i;

	if (k == 0)
		return (-3 * q[0] + 4 * q[dir] - q[2 * dir]) * n / 2;
	if (k == n)
		return (3 * q[0] - 4 * q[-dir] + q[-2 * dir]) * n / 2;
	return (q[dir] - q[-dir]) * n / 2;
}

/* u = ψ_y, v = −ψ_x inside; the wall and lid values on the boundary (the
 * lid's corners take the lid's speed: 1 when uniform, 0 when parabolic). */
static void flow_velocity(cavity_flow *fl, int parabolic)
{
	int n = (int)fl->n, w = n + 1;

	for (int j = 0; j <= n; j++)
		for (int i = 0; i <= n; i++) {
			int q = j * w + i;

			if (i == 0 || i == n || j == 0 || j == n) {
				fl->u[q] = j == n ? lid_speed(parabolic, (double)i / n) : 0;
				fl->v[q] = 0;
			} else {
				fl->u[q] = (fl->psi[q + w] - fl->psi[q - w]) * n / 2;
				fl->v[q] = -(fl->psi[q + 1] - fl->psi[q - 1]) * n / 2;
			}
		}
}

/* ∇p from the momentum equations at node q, with ∇²u = (−ω_y, ω_x):
 * p_x = −(u u_x + v u_y) − ω_y/Re, p_y = −(u v_x + v v_y) + ω_x/Re. */
static void pressure_gradient(const cavity_flow *fl, double re, int i, int j, double *g)
{
	int n = (int)fl->n, q = j * (n + 1) + i, dy = n + 1;
	double ux = nodal_derivative(fl->u, n, i, j, 1), uy = nodal_derivative(fl->u, n, i, j, dy);
	double vx = nodal_derivative(fl->v, n, i, j, 1), vy = nodal_derivative(fl->v, n, i, j, dy);
	double ox = nodal_derivative(fl->omega, n, i, j, 1);
	double oy = nodal_derivative(fl->omega, n, i, j, dy);

	g[X] = -(fl->u[q] * ux + fl->v[q] * uy) - oy / re;
	g[Y] = -(fl->u[q] * vx + fl->v[q] * vy) + ox / re;
}

/* p minimising Σ over the grid's edges (p_b − p_a − h·mean of ∂p/∂s at a
 * and b)²: a graph-Laplacian system, compatible by construction, made
 * regular by fixing the centre node, then shifted to mean zero. */
static int flow_pressure(cavity_flow *fl, double re, pp_error *err)
{
	int n = (int)fl->n, w = n + 1, nodes = w * w, centre = (n / 2) * w + n / 2, rc;
	double *g = malloc(2 * (size_t)nodes * sizeof *g), mean = 0;
	band lap;

	if (!g)
		return pp_error_set(err, PP_ERR_NOMEM, "cavity reference: out of memory");
	rc = band_init(&lap, nodes, w, w, err);
	if (rc) {
		free(g);
		return rc;
	}
	band_zero(&lap);
	memset(fl->p, 0, (size_t)nodes * sizeof *fl->p);
	for (int j = 0; j <= n; j++)
		for (int i = 0; i <= n; i++)
			pressure_gradient(fl, re, i, j, g + 2 * (j * w + i));
	for (int q = 0; q < nodes; q++)
		for (int dir = 0; dir < 2; dir++) {
			int i = q % w, j = q / w, b = dir == X ? q + 1 : q + w;
			double e;

			if ((dir == X && i == n) || (dir == Y && j == n))
				continue;
			e = (g[2 * q + dir] + g[2 * b + dir]) / (2.0 * n);
			band_add(&lap, q, q, 1);
			band_add(&lap, b, b, 1);
			band_add(&lap, q, b, -1);
			band_add(&lap, b, q, -1);
			fl->p[q] -= e;
			fl->p[b] += e;
		}
	for (int b = centre - w; b <= centre + w; b++)   /* row `centre`: p = 0 */
		if (b != centre)
			lap.ab[(size_t)b * lap.ldab + lap.kl + lap.ku + centre - b] = 0;
	lap.ab[(size_t)centre * lap.ldab + lap.kl + lap.ku] = 1;
	fl->p[centre] = 0;
	rc = band_solve(&lap, fl->p, err);
	for (int q = 0; q < nodes && !rc; q++)
		mean += fl->p[q] / nodes;
	for (int q = 0; q < nodes && !rc; q++)
		fl->p[q] -= mean;
	band_free(&lap);
	free(g);
	return rc;
}

static int flow_alloc(cavity_flow *fl, long n, pp_error *err)
{
	size_t nodes = (size_t)(n + 1) * (size_t)(n + 1);

	fl->n = n;
	fl->psi = malloc(5 * nodes * sizeof *fl->psi);
	if (!fl->psi)
		return pp_error_set(err, PP_ERR_NOMEM, "cavity reference: out of memory");
	fl->omega = fl->psi + nodes;
	fl->u = fl->omega + nodes;
	fl->v = fl->u + nodes;
	fl->p = fl->v + nodes;
	return PP_OK;
}

/* Cubic Lagrange weights of the 4 nodes from *first at s (in cells). */
static void cubic_weights(double s, int n, int *first, double *w)
{
	int i0 = (int)floor(s) - 1;

	if (i0 < 0)
		i0 = 0;
	if (i0 > n - 3)
		i0 = n - 3;
	*first = i0;
	for (int a = 0; a < 4; a++) {
		w[a] = 1;
		for (int b = 0; b < 4; b++)
			if (b != a)
				w[a] *= (s - (i0 + b)) / (double)(a - b);
	}
}

static double bicubic(const double *f, int n, double x, double y)
{
	int i0, j0;
	double wx[4], wy[4], sum = 0;

	cubic_weights(x * n, n, &i0, wx);
	cubic_weights(y * n, n, &j0, wy);
	for (int b = 0; b < 4; b++)
		for (int a = 0; a < 4; a++)
			sum += wx[a] * wy[b] * f[(size_t)(j0 + b) * (n + 1) + i0 + a];
	return sum;
}

/* Cell counts from the coarsest up to @cells, halving; at least two levels
 * (for the extrapolation).  The coarsest has at least 16 cells and at least
 * Re/16 when it can: coarser grids at a high Re have no steady
 * central-difference solution to start from (at Re = 1000, Newton stalls
 * on 32 cells). */
static int level_sizes(long cells, double re, int *sizes)
{
	int k = 0;

	for (long n = cells; ; n /= 2) {
		sizes[k++] = (int)n;
		if (k >= 2 && (n / 2 < 16 || n / 2 < re / 16))
			break;
	}
	for (int a = 0, b = k - 1; a < b; a++, b--) {
		int t = sizes[a];
		sizes[a] = sizes[b];
		sizes[b] = t;
	}
	return k;
}

/* Richardson extrapolation of the second-order fields of @fine with those
 * of @coarse (half the cells), interpolated bicubically (fourth order) onto
 * the fine nodes: f = (4·f_fine − f_coarse)/3 cancels the h² error term
 * where the solution is smooth. */
static void flow_extrapolate(cavity_flow *fine, const cavity_flow *coarse)
{
	int n = (int)fine->n, w = n + 1;
	double *f[5] = {fine->psi, fine->omega, fine->u, fine->v, fine->p};
	const double *g[5] = {coarse->psi, coarse->omega, coarse->u, coarse->v, coarse->p};
	double mean = 0;

	for (int k = 0; k < 5; k++)
		for (int j = 0; j <= n; j++)
			for (int i = 0; i <= n; i++) {
				double *q = &f[k][j * w + i];
				*q = (4 * *q - bicubic(g[k], (int)coarse->n, (double)i / n,
							(double)j / n)) / 3;
			}
	for (int q = 0; q < w * w; q++)
		mean += fine->p[q] / (w * w);
	for (int q = 0; q < w * w; q++)
		fine->p[q] -= mean;
}

/* One level of @n cells into @cur, started from @prev (the level before)
 * or, on the first level, from rest and raised to Re by doubling from 100. */
static int solve_level(const cavity *c, int n, cavity_flow *cur, const cavity_flow *prev,
		       int *steps, pp_error *err)
{
	fd_level l;
	int rc = fd_init(&l, n, prev ? c->re : fmin(c->re, 100), err);

	if (rc)
		return rc;
	l.parabolic = c->parabolic;
	if (prev)
		fd_prolong(&l, prev->psi, prev->omega, (int)prev->n);
	rc = fd_solve(&l, steps, err);
	while (!rc && l.re < c->re) {
		l.re = fmin(c->re, 2 * l.re);
		rc = fd_solve(&l, steps, err);
	}
	if (!rc)
		fd_fields(&l, cur->psi, cur->omega);
	fd_free(&l);
	return rc;
}

/* The steady flow on c->cells cells, from coarser grids up, with velocity
 * and pressure on the last two levels and, when asked, their Richardson
 * extrapolation. */
static int cavity_solve(cavity *c, pp_error *err)
{
	int sizes[8], levels = level_sizes(c->cells, c->re, sizes), rc = PP_OK, steps = 0, k;
	cavity_flow fl[2] = {{0}};
	cavity_flow *cur = NULL, *prev = NULL;

	for (k = 0; k < levels && !rc; k++) {
		prev = k ? cur : NULL;
		cur = &fl[k % 2];
		flow_free(cur);
		rc = flow_alloc(cur, sizes[k], err);
		if (!rc)
			rc = solve_level(c, sizes[k], cur, prev, &steps, err);
		if (!rc && k >= levels - 2) {
			flow_velocity(cur, c->parabolic);
			rc = flow_pressure(cur, c->re, err);
		}
	}
	if (!rc && c->richardson)
		flow_extrapolate(cur, prev);
	if (rc) {
		flow_free(&fl[0]);
		flow_free(&fl[1]);
		return rc;
	}
	flow_free(prev);
	c->flow = *cur;
	c->newton_steps = steps;
	c->solved = 1;
	return PP_OK;
}

static int cavity_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	cavity *c = state;
	const double *fields[3];
	size_t size;
	int k_out;
	double x[PP_MAX_INPUTS];

	if (pp_grid_check(grid, 2, err))
		return pp_error_prefix(err, "cavity reference (x, y)");
	for (int d = 0; d < 2; d++)
		if (grid->lo[d] < -1e-12 || grid->hi[d] > 1 + 1e-12)
			return pp_error_set(err, PP_ERR_INVALID,
					    "cavity reference: %s must lie in [0, 1], got [%g, %g]",
					    d == X ? "x" : "y", grid->lo[d], grid->hi[d]);
	if (!c->solved && cavity_solve(c, err))
		return pp_error_prefix(err, "cavity (re %g, %ld cells)", c->re, c->cells);
	if (c->formulation == VELOCITY_PRESSURE) {
		fields[0] = c->flow.u;
		fields[1] = c->flow.v;
		fields[2] = c->flow.p;
		k_out = 3;
	} else {
		fields[0] = c->flow.psi;
		fields[1] = c->flow.p;
		k_out = 2;
	}
	size = pp_grid_size(grid);
	for (size_t i = 0; i < size; i++) {
		pp_grid_point(grid, i, x);
		x[X] = fmin(fmax(x[X], 0), 1);
		x[Y] = fmin(fmax(x[Y], 0), 1);
		for (int k = 0; k < k_out; k++)
			u[(size_t)k * size + i] = bicubic(fields[k], (int)c->flow.n, x[X], x[Y]);
	}
	return PP_OK;
}

static const pp_pde_ops cavity_ops = {
	.struct_size = sizeof cavity_ops,
	.create = cavity_create,
	.destroy = cavity_destroy,
	.describe = cavity_describe,
	.residual = cavity_residual,
	.reference = cavity_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "cavity",
		 "steady lid-driven cavity on [0,1]^2 (re, formulation: velocity_pressure | "
		 "stream_function), finite-difference reference",
		 &cavity_ops)
