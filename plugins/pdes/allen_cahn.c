/* phasepinn plugin — the Allen-Cahn equation.
 *
 *   u_t − d·u_xx + ρ·u³ − ρ·u = 0,  x ∈ [−1, 1] periodic, t ∈ [0, 1],
 *   u(x, 0) = x²·cos(πx),  d = 1e-4, ρ = 5.
 * periodic: embed (default: the network is exactly periodic in x, no
 * boundary term), soft (terms periodic: u(−1,t) − u(1,t) and periodic_dx:
 * u_x(−1,t) − u_x(1,t)), none (no boundary condition, as the
 * phase-transition paper trains it).
 * Reference: Fourier spectral in x with ETDRK4 in time (Cox & Matthews 2002,
 * coefficients by the contour integrals of Kassam & Trefethen 2005), FFTW3.
 * Keys: d, rho, periodic, reference_modes (2048), reference_dt (1e-5).
 *
 * Why 2048 modes where the classic data set used 512: the periodic extension
 * of u0 has a kink at x = ±1 (u0' = ∓2 on either side), which diffusion
 * smooths only over √(d·t), 7e-4 at t = 0.005, the first time of the classic
 * grid.  Measured on the classic 512 × 201 grid against 4096 modes: 512
 * modes are off by 4e-4, 1024 by 4e-5, 2048 by 1.7e-7 (all at x = −1,
 * t = 0.005; after t = 0.05 even 1024 modes agree to 3e-10).  Halving dt to
 * 5e-6 changes the 2048-mode solution by 7e-11.  About 3 s for that grid.
 */
#include <phasepinn/phasepinn.h>

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

enum { TERM_RESIDUAL, TERM_INITIAL, TERM_PERIODIC, TERM_PERIODIC_DX };
enum { X, T };
enum { PERIODIC_EMBED, PERIODIC_SOFT, PERIODIC_NONE };

#define CONTOUR_POINTS 64

typedef struct allen_cahn {
	double d, rho;
	int periodic;
	long modes;
	double dt;
} allen_cahn;

static int ac_create(const pp_config *cfg, void **state, pp_error *err)
{
	static const char *const modes[] = {"embed", "soft", "none", NULL};
	allen_cahn *ac = calloc(1, sizeof *ac);
	int rc;

	if (!ac)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "d", 1e-4, 1e-12, 1e3, &ac->d, err);
	if (!rc)
		rc = pp_config_double(cfg, "rho", 5, 0, 1e4, &ac->rho, err);
	if (!rc)
		rc = pp_config_choice(cfg, "periodic", "embed", modes, &ac->periodic, err);
	if (!rc)
		rc = pp_config_long(cfg, "reference_modes", 2048, 16, 1L << 20, &ac->modes, err);
	if (!rc)
		rc = pp_config_double(cfg, "reference_dt", 1e-5, 1e-9, 0.1, &ac->dt, err);
	if (!rc && ac->modes % 2)
		rc = pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "reference_modes"),
				     "reference_modes must be even");
	if (rc) {
		free(ac);
		return rc;
	}
	*state = ac;
	return PP_OK;
}

static void ac_destroy(void *state)
{
	free(state);
}

static int ac_describe(void *state, pp_pde_info *info, pp_error *err)
{
	const allen_cahn *ac = state;
	const pp_piece left = {.side = {PP_SIDE_LO, PP_SIDE_FREE}};
	(void)err;

	info->n_inputs = 2;
	info->input_names[X] = "x";
	info->input_names[T] = "t";
	info->lo[X] = -1;
	info->hi[X] = 1;
	info->lo[T] = 0;
	info->hi[T] = 1;
	info->time_input = T;
	info->periodic_input = ac->periodic == PERIODIC_EMBED ? X : -1;
	info->terms[TERM_RESIDUAL] = (pp_term_info){
		.name = "residual", .interior = 1, .enabled = 1, .points = 10000, .weight = 1,
		.n_pieces = 1, .n_channels = 3,
		.channels = {PP_CHANNEL_U, PP_CHANNEL_D(T), PP_CHANNEL_DD(X, X)}, .pair_input = -1};
	info->terms[TERM_INITIAL] = (pp_term_info){
		.name = "initial", .enabled = 1, .points = 512, .weight = 1, .n_pieces = 1,
		.pieces = {{.side = {PP_SIDE_FREE, PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	info->n_terms = 2;
	if (ac->periodic == PERIODIC_SOFT) {
		info->terms[TERM_PERIODIC] = (pp_term_info){
			.name = "periodic", .enabled = 1, .points = 200, .weight = 1, .n_pieces = 1,
			.pieces = {left}, .n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = X};
		info->terms[TERM_PERIODIC_DX] = (pp_term_info){
			.name = "periodic_dx", .enabled = 1, .points = 200, .weight = 1, .n_pieces = 1,
			.pieces = {left}, .n_channels = 1, .channels = {PP_CHANNEL_D(X)},
			.pair_input = X};
		info->n_terms = 4;
	}
	info->has_reference = 1;
	info->reference_grid = (pp_grid){.n_dims = 2, .n = {512, 201}, .lo = {-1, 0},
					 .hi = {1, 1}, .endpoint = {0, 1}};
	return PP_OK;
}

static int ac_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	const allen_cahn *ac = state;
	const pp_real d = (pp_real)ac->d, rho = (pp_real)ac->rho;
	(void)err;

	switch (a->term) {
	case TERM_RESIDUAL:
		for (size_t i = 0; i < a->n; i++) {
			pp_real u = a->u[0][i];
			a->r[i] = a->u[1][i] - d * a->u[2][i] + rho * u * u * u - rho * u;
			a->dr[0][i] = 3 * rho * u * u - rho;
			a->dr[1][i] = 1;
			a->dr[2][i] = -d;
		}
		break;
	case TERM_INITIAL:
		for (size_t i = 0; i < a->n; i++) {
			double x = (double)a->x[2 * i + X];
			a->r[i] = a->u[0][i] - (pp_real)(x * x * cos(M_PI * x));
			a->dr[0][i] = 1;
		}
		break;
	default:  /* periodic pairs: value (or slope) at x = −1 minus at x = +1 */
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i] - a->u_pair[0][i];
			a->dr[0][i] = 1;
			a->dr_pair[0][i] = -1;
		}
		break;
	}
	return PP_OK;
}

/* ---- reference: Fourier spectral + ETDRK4 ---------------------------------- */

typedef struct etd {
	long n, m;              /* grid points, complex modes n/2+1 */
	double *u;              /* physical */
	fftw_complex *v, *nv, *a, *na, *b, *nb, *c, *nc, *tmp;
	double *e, *e2, *q, *f1, *f2, *f3, *lin;
	double h;               /* step the coefficients were made for */
	double rho;
	fftw_plan fwd, inv;
} etd;

static void etd_free(etd *s)
{
	if (s->fwd)
		fftw_destroy_plan(s->fwd);
	if (s->inv)
		fftw_destroy_plan(s->inv);
	fftw_free(s->u);
	fftw_complex *cs[] = {s->v, s->nv, s->a, s->na, s->b, s->nb, s->c, s->nc, s->tmp};
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
		fftw_free(cs[i]);
	double *rs[] = {s->e, s->e2, s->q, s->f1, s->f2, s->f3, s->lin};
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
		free(rs[i]);
}

/* ETDRK4 coefficients for step h (Kassam & Trefethen, eq. 2.5 with the
 * contour mean over CONTOUR_POINTS points on the unit circle around hL). */
static void etd_coefficients(etd *s, double h)
{
	for (long k = 0; k < s->m; k++) {
		double L = s->lin[k];
		double complex q = 0, f1 = 0, f2 = 0, f3 = 0;
		for (int j = 1; j <= CONTOUR_POINTS; j++) {
			double complex r = cexp(I * M_PI * (j - 0.5) / CONTOUR_POINTS);
			double complex z = h * L + r, ez = cexp(z), z3 = z * z * z;
			q += (cexp(z / 2) - 1) / z;
			f1 += (-4.0 - z + ez * (4.0 - 3.0 * z + z * z)) / z3;
			f2 += (2.0 + z + ez * (z - 2.0)) / z3;
			f3 += (-4.0 - 3.0 * z - z * z + ez * (4.0 - z)) / z3;
		}
		s->e[k] = exp(h * L);
		s->e2[k] = exp(h * L / 2);
		s->q[k] = h * creal(q) / CONTOUR_POINTS;
		s->f1[k] = h * creal(f1) / CONTOUR_POINTS;
		s->f2[k] = h * creal(f2) / CONTOUR_POINTS;
		s->f3[k] = h * creal(f3) / CONTOUR_POINTS;
	}
	s->h = h;
}

/* N(v) = FFT(−ρ·u³), u = IFFT(v). */
static void etd_nonlinear(etd *s, const fftw_complex *v, fftw_complex *out)
{
	memcpy(s->tmp, v, (size_t)s->m * sizeof *s->tmp);
	fftw_execute_dft_c2r(s->inv, s->tmp, s->u);
	for (long i = 0; i < s->n; i++) {
		double u = s->u[i] / (double)s->n;
		s->u[i] = -s->rho * u * u * u;
	}
	fftw_execute_dft_r2c(s->fwd, s->u, out);
}

static void etd_step(etd *s)
{
	long m = s->m;

	etd_nonlinear(s, s->v, s->nv);
	for (long k = 0; k < m; k++)
		s->a[k] = s->e2[k] * s->v[k] + s->q[k] * s->nv[k];
	etd_nonlinear(s, s->a, s->na);
	for (long k = 0; k < m; k++)
		s->b[k] = s->e2[k] * s->v[k] + s->q[k] * s->na[k];
	etd_nonlinear(s, s->b, s->nb);
	for (long k = 0; k < m; k++)
		s->c[k] = s->e2[k] * s->a[k] + s->q[k] * (2.0 * s->nb[k] - s->nv[k]);
	etd_nonlinear(s, s->c, s->nc);
	for (long k = 0; k < m; k++)
		s->v[k] = s->e[k] * s->v[k] + s->nv[k] * s->f1[k] +
			  2.0 * (s->na[k] + s->nb[k]) * s->f2[k] + s->nc[k] * s->f3[k];
}

/* ∫_{−1}^{1} x² cos(mπx) dx: 2/3 for m = 0, 4(−1)^m/(mπ)² otherwise. */
static double x2_cos_integral(long m)
{
	if (m == 0)
		return 2.0 / 3.0;
	return 4.0 * (m % 2 ? -1.0 : 1.0) / ((double)m * M_PI * (double)m * M_PI);
}

/* c_j of u0(x) = Σ c_j e^{iπjx}: c_j = ½∫ x²cos(πx)cos(πjx) dx (u0 is even). */
static double initial_coefficient(long j)
{
	return 0.25 * (x2_cos_integral(labs(j + 1)) + x2_cos_integral(labs(j - 1)));
}

static int etd_init(etd *s, const allen_cahn *ac, pp_error *err)
{
	long n = ac->modes, m = n / 2 + 1;

	memset(s, 0, sizeof *s);
	s->n = n;
	s->m = m;
	s->rho = ac->rho;
	s->u = fftw_malloc((size_t)n * sizeof *s->u);
	fftw_complex **cs[] = {&s->v, &s->nv, &s->a, &s->na, &s->b, &s->nb, &s->c, &s->nc, &s->tmp};
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
		*cs[i] = fftw_malloc((size_t)m * sizeof(fftw_complex));
	double **rs[] = {&s->e, &s->e2, &s->q, &s->f1, &s->f2, &s->f3, &s->lin};
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
		*rs[i] = malloc((size_t)m * sizeof(double));
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
		if (!*cs[i])
			goto nomem;
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
		if (!*rs[i])
			goto nomem;
	if (!s->u)
		goto nomem;
	s->fwd = fftw_plan_dft_r2c_1d((int)n, s->u, s->v, FFTW_ESTIMATE);
	s->inv = fftw_plan_dft_c2r_1d((int)n, s->tmp, s->u, FFTW_ESTIMATE);
	if (!s->fwd || !s->inv)
		goto nomem;
	/* wavenumbers on [−1, 1): k = π·j; linear part d·(−k²) + ρ */
	for (long j = 0; j < m; j++)
		s->lin[j] = -ac->d * (M_PI * j) * (M_PI * j) + ac->rho;
	/* The exact Fourier coefficients of u0 = x²cos(πx), not the FFT of its
	 * grid values: u0' jumps at x = ±1, so sampled values alias at O(1/N²)
	 * into every mode and the reaction term amplifies that (see
	 * initial_coefficient).  In FFTW's convention for x_n = −1 + 2n/N,
	 * v_j = N·c_j·(−1)^j; the Nyquist mode is left out. */
	for (long j = 0; j < m; j++)
		s->v[j] = j == n / 2 ? 0 : (double)n * initial_coefficient(j) * (j % 2 ? -1.0 : 1.0);
	return PP_OK;
nomem:
	etd_free(s);
	return pp_error_set(err, PP_ERR_NOMEM, "allen_cahn: out of memory for %ld modes", n);
}

/* Evaluation of the spectral solution at the grid's x points: the
 * trigonometric interpolant u(x) = (1/N)·[v_0 + Σ_j w_j·Re(v_j e^{iπj(x+1)})]
 * (w_j = 2, the Nyquist mode 1, as its cosine).  The powers e^{iπjξ} come from
 * a complex rotation per mode, re-seeded with cos/sin every RESEED modes so
 * their rounding stays ~1e-14, and the loop over x vectorises. */
#define RESEED 128

typedef struct spectral_eval {
	long nx;
	double *xi;             /* x + 1 at each point */
	double *base_re, *base_im, *pow_re, *pow_im;
} spectral_eval;

static void eval_free(spectral_eval *ev)
{
	free(ev->xi);
	free(ev->base_re);
	free(ev->base_im);
	free(ev->pow_re);
	free(ev->pow_im);
}

static int eval_init(spectral_eval *ev, const pp_grid *grid, pp_error *err)
{
	long nx = grid->n[X];
	double x[PP_MAX_INPUTS];

	ev->nx = nx;
	ev->xi = malloc((size_t)nx * sizeof *ev->xi);
	ev->base_re = malloc((size_t)nx * sizeof *ev->base_re);
	ev->base_im = malloc((size_t)nx * sizeof *ev->base_im);
	ev->pow_re = malloc((size_t)nx * sizeof *ev->pow_re);
	ev->pow_im = malloc((size_t)nx * sizeof *ev->pow_im);
	if (!ev->xi || !ev->base_re || !ev->base_im || !ev->pow_re || !ev->pow_im) {
		eval_free(ev);
		return pp_error_set(err, PP_ERR_NOMEM,
				    "allen_cahn: out of memory for %ld grid points in x", nx);
	}
	for (long ix = 0; ix < nx; ix++) {
		pp_grid_point(grid, (size_t)(ix * grid->n[T]), x);
		ev->xi[ix] = x[X] + 1.0;
		ev->base_re[ix] = cos(M_PI * ev->xi[ix]);
		ev->base_im[ix] = sin(M_PI * ev->xi[ix]);
	}
	return PP_OK;
}

/* u at every x of the grid into out[ix·stride]. */
static void eval_spectrum(const etd *s, spectral_eval *ev, double *out, size_t stride)
{
	double *pr = ev->pow_re, *pi = ev->pow_im;
	const double *br = ev->base_re, *bi = ev->base_im;
	long nx = ev->nx;

	for (long ix = 0; ix < nx; ix++)
		out[(size_t)ix * stride] = creal(s->v[0]);
	for (long j = 1; j < s->m; j++) {
		double w = j == s->n / 2 ? 1.0 : 2.0;
		double a = w * creal(s->v[j]), b = w * cimag(s->v[j]);
		if ((j - 1) % RESEED == 0) {
			for (long ix = 0; ix < nx; ix++) {
				pr[ix] = cos(M_PI * (double)j * ev->xi[ix]);
				pi[ix] = sin(M_PI * (double)j * ev->xi[ix]);
			}
		} else {
			for (long ix = 0; ix < nx; ix++) {
				double re = pr[ix] * br[ix] - pi[ix] * bi[ix];
				pi[ix] = pr[ix] * bi[ix] + pi[ix] * br[ix];
				pr[ix] = re;
			}
		}
		for (long ix = 0; ix < nx; ix++)
			out[(size_t)ix * stride] += a * pr[ix] - b * pi[ix];
	}
	for (long ix = 0; ix < nx; ix++)
		out[(size_t)ix * stride] /= (double)s->n;
}

/* Advance from @t to @target (> t) in equal steps no longer than dt, the
 * last one landing exactly on @target.  The coefficients are recomputed
 * only when the step changes by more than rounding (1e-12 relative; reusing
 * them then moves the time by at most 1e-12 of the interval). */
static void etd_advance(etd *s, double dt, double t, double target)
{
	long steps = (long)ceil((target - t) / dt - 1e-9);
	double h;

	if (steps < 1)
		steps = 1;
	h = (target - t) / (double)steps;
	if (!(fabs(h - s->h) <= 1e-12 * h))
		etd_coefficients(s, h);
	for (long k = 0; k < steps; k++)
		etd_step(s);
}

static int ac_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	const allen_cahn *ac = state;
	long nx, nt;
	double t = 0, x[PP_MAX_INPUTS];
	spectral_eval ev = {0};
	etd s;
	int rc;

	rc = pp_grid_check(grid, 2, err);
	if (rc)
		return pp_error_prefix(err, "allen_cahn reference (x, t)");
	if (grid->lo[T] < 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "allen_cahn reference: the grid starts at t = %g, before t = 0",
				    grid->lo[T]);
	nx = grid->n[X];
	nt = grid->n[T];
	rc = eval_init(&ev, grid, err);
	if (rc)
		return rc;
	rc = etd_init(&s, ac, err);
	if (rc)
		goto free_eval;
	for (long it = 0; it < nt; it++) {
		pp_grid_point(grid, (size_t)it, x);   /* first x, it-th t */
		if (x[T] > t)
			etd_advance(&s, ac->dt, t, x[T]);
		t = x[T];
		if (t > 0) {
			eval_spectrum(&s, &ev, u + it, (size_t)nt);
			continue;
		}
		for (long ix = 0; ix < nx; ix++) {   /* the exact IC, not its series */
			double xx = ev.xi[ix] - 1.0;
			u[ix * nt + it] = xx * xx * cos(M_PI * xx);
		}
	}
	etd_free(&s);
	fftw_cleanup();   /* FFTW's planner caches: ours were the only plans */
	for (size_t i = 0; i < pp_grid_size(grid); i++)
		if (!isfinite(u[i])) {
			rc = pp_error_set(err, PP_ERR_NUMERIC,
					  "allen_cahn reference is not finite; lower reference_dt");
			break;
		}
free_eval:
	eval_free(&ev);
	return rc;
}

static const pp_pde_ops allen_cahn_ops = {
	.struct_size = sizeof allen_cahn_ops,
	.create = ac_create,
	.destroy = ac_destroy,
	.describe = ac_describe,
	.residual = ac_residual,
	.reference = ac_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "allen_cahn",
		 "Allen-Cahn u_t - d u_xx + rho u^3 - rho u = 0, periodic in x, ETDRK4 spectral reference",
		 &allen_cahn_ops)
