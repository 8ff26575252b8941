/* PDE plugins: residual Jacobians against finite differences, exact solutions
 * with zero residual, reference solvers checked for convergence and the
 * properties they must have, and bad input refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phasepinn.h>
#include <phasepinn/sdk/gauss_hermite.h>

#include "core/config_doc.h"
#include "pp_test.h"

typedef pp_test_pde pde;

static int open_pde(const char *name, const char *yaml, pde *p, pp_error *err)
{
	return pp_test_pde_open(name, yaml, "pde.yaml", p, err);
}

static void close_pde(pde *p)
{
	pp_test_pde_close(p);
}

#define NPTS 6

/* Residual of @term at random points and channel values. */
static void residual(pde *p, int term, pp_real *x, pp_real ch[][NPTS], pp_real chp[][NPTS],
		     pp_real *r, pp_real dr[][NPTS], pp_real drp[][NPTS])
{
	const pp_term_info *t = &p->info.terms[term];
	const pp_real *u[PP_MAX_CHANNELS], *up[PP_MAX_CHANNELS];
	pp_real *d[PP_MAX_CHANNELS], *dp[PP_MAX_CHANNELS];
	pp_residual_args a = {0};
	pp_error err = {0};

	for (int c = 0; c < t->n_channels; c++) {
		u[c] = ch[c];
		up[c] = chp[c];
		d[c] = dr[c];
		dp[c] = drp[c];
	}
	a.term = term;
	a.n = NPTS;
	a.x = x;
	a.u = u;
	a.r = r;
	a.dr = d;
	if (t->pair_input >= 0) {
		a.x_pair = x;
		a.u_pair = up;
		a.dr_pair = dp;
	}
	CU_ASSERT_EQUAL(p->ops->residual(p->state, &a, &err), PP_OK);
}

/* ∂r/∂channel against central differences in each channel value; residuals
 * are at most cubic in the channels, so h = 1e-4 gives ~1e-8 truncation. */
static void check_jacobians(const char *name, const char *yaml)
{
	pde p;
	pp_error err = {0};
	pp_rng rng;

	CU_ASSERT_EQUAL_FATAL(open_pde(name, yaml, &p, &err), PP_OK);
	pp_rng_init(&rng, 42, 0);
	for (int term = 0; term < p.info.n_terms; term++) {
		const pp_term_info *t = &p.info.terms[term];
		pp_real x[NPTS * PP_MAX_INPUTS], ch[PP_MAX_CHANNELS][NPTS], chp[PP_MAX_CHANNELS][NPTS];
		pp_real r[NPTS], rp[NPTS], rm[NPTS], dr[PP_MAX_CHANNELS][NPTS], drp[PP_MAX_CHANNELS][NPTS];
		pp_real scratch[PP_MAX_CHANNELS][NPTS], scratch2[PP_MAX_CHANNELS][NPTS];

		for (int i = 0; i < NPTS * p.info.n_inputs; i++)
			x[i] = (pp_real)pp_rng_uniform(&rng);
		for (int c = 0; c < t->n_channels; c++)
			for (int i = 0; i < NPTS; i++) {
				ch[c][i] = (pp_real)(2 * pp_rng_uniform(&rng) - 1);
				chp[c][i] = (pp_real)(2 * pp_rng_uniform(&rng) - 1);
			}
		residual(&p, term, x, ch, chp, r, dr, drp);
		for (int pair = 0; pair <= (t->pair_input >= 0); pair++) {
			for (int c = 0; c < t->n_channels; c++) {
				pp_real (*v)[NPTS] = pair ? chp : ch;
				for (int i = 0; i < NPTS; i++) {
					pp_real save = v[c][i];
					v[c][i] = save + 1e-4;
					residual(&p, term, x, ch, chp, rp, scratch, scratch2);
					v[c][i] = save - 1e-4;
					residual(&p, term, x, ch, chp, rm, scratch, scratch2);
					v[c][i] = save;
					PP_ASSERT_CLOSE(pair ? drp[c][i] : dr[c][i],
							((double)rp[i] - (double)rm[i]) / 2e-4, 1e-7, 1e-7);
				}
			}
		}
	}
	close_pde(&p);
}

static void test_residual_jacobians_match_finite_differences(void)
{
	check_jacobians("burgers", NULL);
	check_jacobians("allen_cahn", "periodic: soft\n");
	check_jacobians("helmholtz", "a1: 6\na2: 6\nk: 2\n");
	check_jacobians("heat", NULL);
}

/* ∂r/∂coefficient against central differences in each declared
 * coefficient (residuals are linear in them: h = 1e-4 is exact up to
 * rounding), for every term; the coefficients are passed in args.coef. */
static void check_coefficient_jacobians(const char *name, const char *yaml)
{
	pde p;
	pp_error err = {0};
	pp_rng rng;

	CU_ASSERT_EQUAL_FATAL(open_pde(name, yaml, &p, &err), PP_OK);
	CU_ASSERT_FATAL(p.info.n_coefficients > 0);
	pp_rng_init(&rng, 43, 0);
	for (int term = 0; term < p.info.n_terms; term++) {
		const pp_term_info *t = &p.info.terms[term];
		int M = p.info.n_coefficients;
		pp_real x[NPTS * PP_MAX_INPUTS], ch[PP_MAX_CHANNELS][NPTS];
		pp_real r[NPTS], rp[NPTS], rm[NPTS], dr[PP_MAX_CHANNELS][NPTS];
		pp_real dc[PP_MAX_COEFFICIENTS][NPTS], *dcp[PP_MAX_COEFFICIENTS];
		const pp_real *u[PP_MAX_CHANNELS];
		pp_real *d[PP_MAX_CHANNELS];
		double coef[PP_MAX_COEFFICIENTS];
		pp_residual_args a = {0};

		for (int i = 0; i < NPTS * p.info.n_inputs; i++)
			x[i] = (pp_real)pp_rng_uniform(&rng);
		for (int c = 0; c < t->n_channels; c++) {
			for (int i = 0; i < NPTS; i++)
				ch[c][i] = (pp_real)(2 * pp_rng_uniform(&rng) - 1);
			u[c] = ch[c];
			d[c] = dr[c];
		}
		for (int j = 0; j < M; j++) {
			coef[j] = p.info.coefficients[j].value * (1.5 + 0.25 * j);
			dcp[j] = dc[j];
		}
		a.term = term;
		a.n = NPTS;
		a.x = x;
		a.u = u;
		a.dr = d;
		a.coef = coef;
		a.r = r;
		memset(dc, 0, sizeof dc);   /* the core zeroes them */
		a.dr_coef = dcp;
		CU_ASSERT_EQUAL_FATAL(p.ops->residual(p.state, &a, &err), PP_OK);
		a.dr_coef = NULL;
		for (int j = 0; j < M; j++) {
			double save = coef[j], h = 1e-4 * fmax(1.0, fabs(save));
			coef[j] = save + h;
			a.r = rp;
			p.ops->residual(p.state, &a, &err);
			coef[j] = save - h;
			a.r = rm;
			p.ops->residual(p.state, &a, &err);
			coef[j] = save;
			for (int i = 0; i < NPTS; i++)
				PP_ASSERT_CLOSE(dc[j][i], ((double)rp[i] - (double)rm[i]) / (2 * h), 1e-9, 1e-7);
		}
		/* and the values used are the passed ones, not the plugin's own */
		a.r = rp;
		a.coef = NULL;
		p.ops->residual(p.state, &a, &err);
		if (term == 0)
			CU_ASSERT(fabs((double)rp[0] - (double)r[0]) > 1e-9);
	}
	close_pde(&p);
}

static void test_coefficient_jacobians_match_finite_differences(void)
{
	check_coefficient_jacobians("burgers", "lambda1: 0.7\n");
	check_coefficient_jacobians("heat", "kappa: {value: 0.3}\n");
}

/* Exact solutions fed in as channels give residual ~ 0. */
/* g and d of @pde's hard constraint @k: every channel of order >= 1 up to
 * 3 in (x, t) against central differences of the channel one order lower
 * (h = 1e-5 on smooth closed forms: ~1e-10, tolerance 1e-7), and at t = t0
 * out = g: g then satisfies the initial term, so its residual vanishes. */
static void check_transform(const char *name, const char *yaml, int k)
{
	enum { NCH = 10 };
	static const pp_channel ch[NCH] = {
		PP_CHANNEL_U, PP_CHANNEL_D(0), PP_CHANNEL_D(1), PP_CHANNEL_DD(0, 0),
		PP_CHANNEL_DD(0, 1), PP_CHANNEL_DD(1, 1), PP_CHANNEL_D3(0, 0, 0),
		PP_CHANNEL_D3(0, 0, 1), PP_CHANNEL_D3(0, 1, 1), PP_CHANNEL_D3(1, 1, 1),
	};
	pde p;
	pp_error err = {0};
	const double h = 1e-5;

	CU_ASSERT_EQUAL_FATAL(open_pde(name, yaml, &p, &err), PP_OK);
	CU_ASSERT_FATAL(k < p.info.n_transforms);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.ops->transform);
	for (int pt = 0; pt < 4; pt++) {
		double x0 = -0.7 + 0.45 * pt, t0 = 0.1 + 0.2 * pt;
		/* 5 points: the point, ±h in x, ±h in t */
		pp_real x[10] = {x0, t0, x0 + h, t0, x0 - h, t0, x0, t0 + h, x0, t0 - h};
		pp_real g[NCH][5], d[NCH][5], *gp[NCH], *dp[NCH];
		pp_transform_args a = {.transform = k, .output = 0, .n = 5, .x = x,
				       .n_channels = NCH, .channels = ch, .g = gp, .d = dp};
		for (int c = 0; c < NCH; c++) {
			gp[c] = g[c];
			dp[c] = d[c];
		}
		CU_ASSERT_EQUAL_FATAL(p.ops->transform(p.state, &a, &err), PP_OK);
		for (int c = 1; c < NCH; c++) {
			pp_channel lower = ch[c];
			int dir = lower.d[--lower.order], lc = -1;
			lower.d[lower.order] = -1;
			for (int q = 0; q < NCH; q++)
				if (ch[q].order == lower.order &&
				    !memcmp(ch[q].d, lower.d, sizeof lower.d))
					lc = q;
			CU_ASSERT_FATAL(lc >= 0);
			int plus = dir == 0 ? 1 : 3, minus = plus + 1;
			PP_ASSERT_CLOSE(g[c][0], (g[lc][plus] - g[lc][minus]) / (2 * h), 1e-7, 1e-7);
			PP_ASSERT_CLOSE(d[c][0], (d[lc][plus] - d[lc][minus]) / (2 * h), 1e-7, 1e-7);
		}
	}
	/* at t = t0 the factor vanishes; out = g must satisfy the initial term */
	for (int term = 0; term < p.info.n_terms; term++) {
		if (strcmp(p.info.terms[term].name, "initial") != 0)
			continue;
		pp_real x[2 * NPTS], u[1][NPTS], up[1][NPTS], r[NPTS], dr[1][NPTS], drp[1][NPTS];
		pp_real g0[NPTS], d0[NPTS], *gp[1] = {g0}, *dp[1] = {d0};
		pp_transform_args a = {.transform = k, .n = NPTS, .x = x, .n_channels = 1,
				       .channels = ch, .g = gp, .d = dp};
		for (int i = 0; i < NPTS; i++) {
			x[2 * i] = (pp_real)(p.info.lo[0] + (p.info.hi[0] - p.info.lo[0]) * (i + 0.5) / NPTS);
			x[2 * i + 1] = (pp_real)p.info.lo[1];
		}
		CU_ASSERT_EQUAL_FATAL(p.ops->transform(p.state, &a, &err), PP_OK);
		for (int i = 0; i < NPTS; i++) {
			CU_ASSERT_EQUAL(d0[i], 0);
			u[0][i] = g0[i];
		}
		residual(&p, term, x, u, up, r, dr, drp);
		for (int i = 0; i < NPTS; i++)
			PP_ASSERT_CLOSE(r[i], 0, 1e-15, 0);
	}
	close_pde(&p);
}

static void test_hard_constraints_of_heat_and_burgers_match_differences(void)
{
	check_transform("heat", NULL, 0);
	check_transform("burgers", NULL, 0);
	check_transform("burgers", NULL, 1);
	check_transform("burgers", "t: [0.5, 2.0]\n", 0);
}

static void test_exact_helmholtz_and_heat_solutions_have_zero_residual(void)
{
	pde h, q;
	pp_error err = {0};
	pp_real x[2 * NPTS], ch[PP_MAX_CHANNELS][NPTS], r[NPTS], dr[PP_MAX_CHANNELS][NPTS];
	double a1 = 1, a2 = 4;

	CU_ASSERT_EQUAL_FATAL(open_pde("helmholtz", NULL, &h, &err), PP_OK);
	for (int i = 0; i < NPTS; i++) {
		double xx = -0.9 + 0.3 * i, yy = 0.8 - 0.25 * i;
		double u = sin(a1 * M_PI * xx) * sin(a2 * M_PI * yy);
		x[2 * i] = (pp_real)xx;
		x[2 * i + 1] = (pp_real)yy;
		ch[0][i] = (pp_real)u;
		ch[1][i] = (pp_real)(-(a1 * M_PI) * (a1 * M_PI) * u);
		ch[2][i] = (pp_real)(-(a2 * M_PI) * (a2 * M_PI) * u);
	}
	residual(&h, 0, x, ch, ch, r, dr, dr);
	for (int i = 0; i < NPTS; i++)
		PP_ASSERT_CLOSE(r[i], 0, 1e-11, 0);
	close_pde(&h);

	CU_ASSERT_EQUAL_FATAL(open_pde("heat", "kappa: 0.3\n", &q, &err), PP_OK);
	for (int i = 0; i < NPTS; i++) {
		double xx = -0.7 + 0.25 * i, t = 0.1 * i, e = exp(-0.3 * M_PI * M_PI * t);
		x[2 * i] = (pp_real)xx;
		x[2 * i + 1] = (pp_real)t;
		ch[0][i] = (pp_real)(-0.3 * M_PI * M_PI * e * sin(M_PI * xx));  /* u_t */
		ch[1][i] = (pp_real)(-M_PI * M_PI * e * sin(M_PI * xx));        /* u_xx */
	}
	residual(&q, 0, x, ch, ch, r, dr, dr);
	for (int i = 0; i < NPTS; i++)
		PP_ASSERT_CLOSE(r[i], 0, 1e-12, 0);
	close_pde(&q);
}

/* The heat reference is the exact solution, and it satisfies the initial
 * and boundary terms: fed in as u, their residuals vanish. */
static void test_heat_reference_is_exact_and_meets_its_conditions(void)
{
	pde q;
	pp_error err = {0};
	pp_grid g = {.n_dims = 2, .n = {5, 4}, .lo = {-1, 0}, .hi = {1, 0.6}, .endpoint = {1, 1}};
	double u[20], x[2];
	pp_real xr[2 * NPTS], ch[PP_MAX_CHANNELS][NPTS], r[NPTS], dr[PP_MAX_CHANNELS][NPTS];

	CU_ASSERT_EQUAL_FATAL(open_pde("heat", "kappa: 0.5\n", &q, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(q.ops->reference(q.state, &g, u, &err), PP_OK);
	for (size_t i = 0; i < 20; i++) {
		pp_grid_point(&g, i, x);
		PP_ASSERT_CLOSE(u[i], exp(-0.5 * M_PI * M_PI * x[1]) * sin(M_PI * x[0]), 1e-15, 0);
	}
	for (int i = 0; i < NPTS; i++) {   /* t = 0: u = sin(πx) */
		xr[2 * i] = (pp_real)(-0.9 + 0.3 * i);
		xr[2 * i + 1] = 0;
		ch[0][i] = (pp_real)sin(M_PI * (double)xr[2 * i]);
	}
	residual(&q, 1, xr, ch, ch, r, dr, dr);
	for (int i = 0; i < NPTS; i++)
		PP_ASSERT_CLOSE(r[i], 0, 1e-15, 0);
	close_pde(&q);
}

static double *reference(pde *p, pp_grid g)
{
	double *u = malloc(pp_grid_size(&g) * sizeof *u);
	pp_error err = {0};

	if (p->ops->reference(p->state, &g, u, &err)) {
		fprintf(stderr, "%s\n", err.message);
		free(u);
		return NULL;
	}
	return u;
}

static void test_burgers_reference_properties_and_quadrature_convergence(void)
{
	pde a, b;
	pp_error err = {0};
	/* x on [−1, 1] (odd count: x = 0 included), t at 0, 0.25, 1/π + 0.05, 0.6, 0.99 */
	pp_grid g = {.n_dims = 2, .n = {201, 1}, .lo = {-1, 0}, .hi = {1, 0}, .endpoint = {1, 1}};
	double times[5] = {0, 0.25, 1 / M_PI + 0.05, 0.6, 0.99};

	CU_ASSERT_EQUAL_FATAL(open_pde("burgers", "quadrature_nodes: 240\n", &a, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(open_pde("burgers", "quadrature_nodes: 480\n", &b, &err), PP_OK);
	for (int k = 0; k < 5; k++) {
		g.lo[1] = g.hi[1] = times[k];
		double *ua = reference(&a, g), *ub = reference(&b, g);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ua);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ub);
		for (int i = 0; i < 201; i++) {
			double xx = -1 + 0.01 * i;
			if (k == 0)
				PP_ASSERT_CLOSE(ua[i], -sin(M_PI * xx), 1e-15, 0);
			PP_ASSERT_CLOSE(ua[i], -ua[200 - i], 1e-12, 0);   /* odd in x */
			PP_ASSERT_CLOSE(ua[i], ub[i], 1e-6, 0);           /* N vs 2N nodes */
		}
		PP_ASSERT_CLOSE(ua[0], 0, 1e-12, 0);
		PP_ASSERT_CLOSE(ua[200], 0, 1e-12, 0);
		free(ua);
		free(ub);
	}
	/* The steep front: Basdevant et al. (Computers & Fluids 14, 1986) give the
	 * largest slope |u_x(0, t)| = 152.00516 at t = 1.6037/π; central
	 * differences with h = 1e-5 are accurate to ~1e-5 relative there. */
	g.n[0] = 3;
	g.lo[0] = -1e-5;
	g.hi[0] = 1e-5;
	g.lo[1] = g.hi[1] = 1.6037 / M_PI;
	double *uf = reference(&a, g);
	PP_ASSERT_CLOSE(-(uf[2] - uf[0]) / 2e-5, 152.00516, 0, 1e-4);
	free(uf);
	/* Inside the front, |x| <= 0.02 every 1e-4, after it has formed (t > 1/π):
	 * the default 240 nodes against 480.  (Measured: 120 nodes already agree
	 * with 1920 to 3e-15 on [−1, 1] for t <= 0.99; 60 are off by 1e-9.) */
	g.n[0] = 401;
	g.lo[0] = -0.02;
	g.hi[0] = 0.02;
	for (double t = 1 / M_PI + 0.01; t < 1; t += 0.2) {
		g.lo[1] = g.hi[1] = t;
		double *fa = reference(&a, g), *fb = reference(&b, g);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fa);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fb);
		for (int i = 0; i < 401; i++) {
			PP_ASSERT_CLOSE(fa[i], fb[i], 1e-6, 0);
			PP_ASSERT_CLOSE(fa[i], -fa[400 - i], 1e-12, 0);
		}
		CU_ASSERT(fa[0] > 0.3 && fa[400] < -0.3);   /* it is the front: a jump */
		free(fa);
		free(fb);
	}
	close_pde(&a);
	close_pde(&b);
}

/* A smaller ν widens the Gaussian's reach in s: the node count is raised
 * to what ν needs (359 for ν = 1e-3 from a requested 8), and that agrees with
 * twice as many nodes; a ν beyond the quadrature is refused clearly. */
static void test_burgers_quadrature_adapts_to_a_small_viscosity(void)
{
	pde a, b, c;
	pp_error err = {0};
	pp_grid g = {.n_dims = 2, .n = {201, 3}, .lo = {-1, 0.3}, .hi = {1, 0.99}, .endpoint = {1, 1}};
	double u[4];

	CU_ASSERT_EQUAL_FATAL(open_pde("burgers", "nu: 1.0e-3\nquadrature_nodes: 8\n", &a, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(open_pde("burgers", "nu: 1.0e-3\nquadrature_nodes: 718\n", &b, &err),
			      PP_OK);
	double *ua = reference(&a, g), *ub = reference(&b, g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ua);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ub);
	for (int i = 0; i < 201 * 3; i++)
		PP_ASSERT_CLOSE(ua[i], ub[i], 1e-6, 0);
	free(ua);
	free(ub);
	close_pde(&a);
	close_pde(&b);
	CU_ASSERT_EQUAL_FATAL(open_pde("burgers", "nu: 1.0e-6\n", &c, &err), PP_OK);
	g.n[0] = g.n[1] = 2;
	CU_ASSERT_EQUAL(c.ops->reference(c.state, &g, u, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "too small for the Cole-Hopf reference"));
	close_pde(&c);
}

/* Gauss-Hermite: exact for polynomials of degree < 2n, so with 20 nodes
 * ∫ s^{2m} e^{−s²} ds = Γ(m + ½) up to m = 19 (relative 1e-13: positive
 * terms, rounding only); odd moments vanish by symmetry; with 480 nodes the
 * weights still sum to √π although the outer ones underflow. */
static void test_gauss_hermite_is_exact_for_polynomials(void)
{
	double *s = NULL, *lw = NULL;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(pp_gauss_hermite(20, &s, &lw, &err), PP_OK);
	for (int m = 0; m <= 19; m++) {
		double sum = 0;
		for (int i = 0; i < 20; i++)
			sum += exp(lw[i]) * pow(s[i], 2 * m);
		PP_ASSERT_CLOSE(sum, tgamma(m + 0.5), 0, 1e-13);
	}
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(s[i], -s[19 - i]);
		CU_ASSERT(i == 0 || s[i] > s[i - 1]);
	}
	free(s);
	free(lw);
	CU_ASSERT_EQUAL_FATAL(pp_gauss_hermite(481, &s, &lw, &err), PP_OK);
	double sum = 0;
	for (int i = 0; i < 481; i++)
		sum += exp(lw[i]);
	PP_ASSERT_CLOSE(sum, sqrt(M_PI), 0, 1e-13);
	CU_ASSERT_EQUAL(s[240], 0);
	CU_ASSERT(isfinite(lw[0]) && lw[0] < -700);   /* e^{−s²} at s ≈ 30.5 */
	free(s);
	free(lw);
}

/* Allen-Cahn.  The solver's hardest moment is the start: the periodic
 * extension of u0 has a kink at x = ±1 that diffusion smooths only over
 * √(d·t), so the number of modes matters most at small t (measured on the
 * classic grid: the default 2048 modes and dt = 1e-5 are within 1.7e-7 of
 * 4096 modes and dt = 5e-6, the worst at x = −1, t = 0.005; from t = 0.015
 * on within 3e-11).  The tests therefore look at short times, which also
 * keeps them to about a second. */
static double ac_diff(pde *p, pde *q, pp_grid g)
{
	double *u = reference(p, g), *v = reference(q, g), worst = 0;

	for (size_t i = 0; u && v && i < pp_grid_size(&g); i++)
		worst = fmax(worst, fabs(u[i] - v[i]));
	if (!u || !v)
		worst = INFINITY;
	free(u);
	free(v);
	return worst;
}

/* ETDRK4 is fourth order: with dt = 4e-3, 2e-3 and 1e-3 against 2.5e-4 the
 * errors fall ~16x per halving (measured 4.4e-9, 2.9e-10, 1.9e-11);
 * > 8 leaves room for pre-asymptotic steps. */
static void test_allen_cahn_solver_converges_in_dt(void)
{
	pde c[4];
	pp_error err = {0};
	const char *dts[4] = {"4.0e-3", "2.0e-3", "1.0e-3", "2.5e-4"};
	pp_grid g = {.n_dims = 2, .n = {64, 3}, .lo = {-1, 0.125}, .hi = {1, 0.375}, .endpoint = {0, 1}};
	char yaml[96];

	for (int k = 0; k < 4; k++) {
		snprintf(yaml, sizeof yaml, "reference_modes: 1024\nreference_dt: %s\n", dts[k]);
		CU_ASSERT_EQUAL_FATAL(open_pde("allen_cahn", yaml, &c[k], &err), PP_OK);
	}
	double e0 = ac_diff(&c[0], &c[3], g), e1 = ac_diff(&c[1], &c[3], g);
	double e2 = ac_diff(&c[2], &c[3], g);
	CU_ASSERT(e0 > 0 && e0 / e1 > 8 && e1 / e2 > 8);
	CU_ASSERT(e2 < 1e-8);
	for (int k = 0; k < 4; k++)
		close_pde(&c[k]);
}

/* Modes: 512, 1024 and 2048 against 4096 (the same dt) at t = 0.005 and
 * 0.01, on 401 x points with both ends, most of them between the spectral
 * nodes (this also checks the trigonometric interpolation).  The error
 * falls with every doubling (measured 4e-4, 4e-5, 1.7e-7) and the
 * default 2048 is within 1e-6. */
static void test_allen_cahn_solver_converges_in_modes(void)
{
	pde c[4];
	pp_error err = {0};
	const int modes[4] = {512, 1024, 2048, 4096};
	pp_grid g = {.n_dims = 2, .n = {401, 2}, .lo = {-1, 0.005}, .hi = {1, 0.01}, .endpoint = {1, 1}};
	double e[3];
	char yaml[96];

	for (int k = 0; k < 4; k++) {
		snprintf(yaml, sizeof yaml, "reference_modes: %d\nreference_dt: 1.0e-4\n", modes[k]);
		CU_ASSERT_EQUAL_FATAL(open_pde("allen_cahn", yaml, &c[k], &err), PP_OK);
	}
	for (int k = 0; k < 3; k++)
		e[k] = ac_diff(&c[k], &c[3], g);
	CU_ASSERT(e[0] > 4 * e[1] && e[1] > 4 * e[2]);
	CU_ASSERT(e[2] < 1e-6);
	/* periodic interpolation: the two ends of the x grid are the same point */
	double *u = reference(&c[2], g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	for (int it = 0; it < 2; it++)
		PP_ASSERT_CLOSE(u[it], u[400 * 2 + it], 1e-12, 0);
	free(u);
	for (int k = 0; k < 4; k++)
		close_pde(&c[k]);
}

/* The reference as configured by default against a twice-finer solve
 * (4096 modes, dt = 5e-6) over t in [0, 0.05], which holds the worst case
 * of the whole classic grid (see above), on the classic 512 x points. */
static void test_allen_cahn_reference_is_within_1e6_of_a_twice_finer_solve(void)
{
	pde coarse, fine;
	pp_error err = {0};
	pp_grid g = {.n_dims = 2, .n = {512, 11}, .lo = {-1, 0}, .hi = {1, 0.05}, .endpoint = {0, 1}};

	CU_ASSERT_EQUAL_FATAL(open_pde("allen_cahn", NULL, &coarse, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(open_pde("allen_cahn", "reference_modes: 4096\nreference_dt: 5.0e-6\n",
				       &fine, &err), PP_OK);
	CU_ASSERT(ac_diff(&coarse, &fine, g) < 1e-6);
	close_pde(&coarse);
	close_pde(&fine);
}

static void test_allen_cahn_energy_decreases_and_evenness_holds(void)
{
	pde p;
	pp_error err = {0};
	const long nx = 256, nt = 11;
	pp_grid g = {.n_dims = 2, .n = {nx, nt}, .lo = {-1, 0}, .hi = {1, 0.5}, .endpoint = {0, 1}};
	double d = 1e-4, rho = 5, prev = INFINITY, first = 0;

	/* dE/dt = −∫ u_t² dx <= 0 along exact solutions (u_t = −δE/δu); the
	 * discrete E below only approximates it, hence a coarse solve for speed
	 * and a check of the sign, not of the rate.  u0 is even and the equation
	 * commutes with x → −x, so u stays even. */
	open_pde("allen_cahn", "reference_modes: 512\nreference_dt: 1.0e-3\n", &p, &err);
	double *u = reference(&p, g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	for (long it = 0; it < nt; it++) {
		/* E = ∫ d/2 u_x² + ρ/4 (u² − 1)² dx on the periodic grid (h = 2/nx) */
		double e = 0, h = 2.0 / nx;
		for (long i = 0; i < nx; i++) {
			double ui = u[i * nt + it], un = u[((i + 1) % nx) * nt + it];
			double ux = (un - ui) / h;
			e += h * (0.5 * d * ux * ux + 0.25 * rho * (ui * ui - 1) * (ui * ui - 1));
			if (i > 0)  /* x_i = −1 + i h mirrors to x_{nx−i} */
				PP_ASSERT_CLOSE(ui, u[(nx - i) * nt + it], 1e-9, 0);
		}
		CU_ASSERT(e <= prev + 1e-12);
		if (it == 0)
			first = e;
		prev = e;
	}
	CU_ASSERT(prev < 0.75 * first);   /* it does fall (measured 2.00 to 1.09) */
	free(u);
	close_pde(&p);
}

static void test_bad_input_is_refused_with_a_clear_error(void)
{
	pde p;
	pp_error err = {0};

	CU_ASSERT_EQUAL(open_pde("burgers", "nu: -1\n", &p, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "pde.yaml:1:5:"));
	close_pde(&p);
	CU_ASSERT_EQUAL(open_pde("burgers", "x: [1, -1]\n", &p, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "lower bound 1 must be below upper bound -1"));
	close_pde(&p);
	CU_ASSERT_EQUAL(open_pde("allen_cahn", "periodic: sideways\n", &p, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "choose one of: embed, soft, none"));
	close_pde(&p);
	CU_ASSERT_EQUAL(open_pde("helmholtz", "a1: 1.5\n", &p, &err), PP_ERR_CONFIG);
	close_pde(&p);
	CU_ASSERT_EQUAL(open_pde("burgers", "nu: 0\n", &p, &err), PP_ERR_CONFIG);
	close_pde(&p);
	CU_ASSERT_EQUAL(open_pde("burgers", "t: [0.5, 0.5]\n", &p, &err), PP_ERR_CONFIG);
	close_pde(&p);
	CU_ASSERT_EQUAL(open_pde("heat", "kappa: -1\n", &p, &err), PP_ERR_CONFIG);
	close_pde(&p);
	CU_ASSERT_EQUAL(open_pde("allen_cahn", "reference_modes: 1001\n", &p, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "even"));
	close_pde(&p);
}

/* Every reference refuses grids it cannot fill, before allocating anything:
 * too large to address, the wrong number of inputs, reversed bounds. */
static void test_references_refuse_bad_grids(void)
{
	const char *names[4] = {"burgers", "allen_cahn", "helmholtz", "heat"};
	pp_grid huge = {.n_dims = 2, .n = {1L << 40, 1L << 30}, .lo = {-1, 0}, .hi = {1, 1},
			.endpoint = {1, 1}};
	pp_grid flat = {.n_dims = 3, .n = {2, 2, 2}, .lo = {-1, 0, 0}, .hi = {1, 1, 1},
			.endpoint = {1, 1, 1}};
	pp_grid reversed = {.n_dims = 2, .n = {4, 4}, .lo = {1, 0}, .hi = {-1, 1}, .endpoint = {1, 1}};
	double u[64];

	for (int k = 0; k < 4; k++) {
		pde p;
		pp_error err = {0};
		CU_ASSERT_EQUAL_FATAL(open_pde(names[k], NULL, &p, &err), PP_OK);
		CU_ASSERT_EQUAL(p.ops->reference(p.state, &huge, u, &err), PP_ERR_INVALID);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "1099511627776 x 1073741824 points is too large"));
		CU_ASSERT_EQUAL(p.ops->reference(p.state, &flat, u, &err), PP_ERR_INVALID);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "3-dimensional grid"));
		CU_ASSERT_EQUAL(p.ops->reference(p.state, &reversed, u, &err), PP_ERR_INVALID);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "lower bound 1 must be below upper bound -1"));
		close_pde(&p);
	}
}

/* describe(): the Allen-Cahn periodic modes and the classic grids. */
static void test_descriptions_follow_the_options(void)
{
	pde p;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(open_pde("allen_cahn", NULL, &p, &err), PP_OK);
	CU_ASSERT_EQUAL(p.info.periodic_input, 0);   /* embed: exact periodic features */
	CU_ASSERT_EQUAL(p.info.n_terms, 2);
	CU_ASSERT(p.info.reference_grid.n[0] == 512 && p.info.reference_grid.n[1] == 201 &&
		  !p.info.reference_grid.endpoint[0]);
	close_pde(&p);
	CU_ASSERT_EQUAL_FATAL(open_pde("allen_cahn", "periodic: soft\n", &p, &err), PP_OK);
	CU_ASSERT_EQUAL(p.info.periodic_input, -1);
	CU_ASSERT_EQUAL(p.info.n_terms, 4);
	CU_ASSERT_STRING_EQUAL(p.info.terms[2].name, "periodic");
	CU_ASSERT_STRING_EQUAL(p.info.terms[3].name, "periodic_dx");
	CU_ASSERT(p.info.terms[2].pair_input == 0 && p.info.terms[3].pair_input == 0);
	CU_ASSERT_EQUAL(p.info.terms[2].pieces[0].side[0], PP_SIDE_LO);
	close_pde(&p);
	CU_ASSERT_EQUAL_FATAL(open_pde("allen_cahn", "periodic: none\n", &p, &err), PP_OK);
	CU_ASSERT(p.info.periodic_input == -1 && p.info.n_terms == 2);
	close_pde(&p);
	CU_ASSERT_EQUAL_FATAL(open_pde("burgers", "t: [0, 2]\n", &p, &err), PP_OK);
	CU_ASSERT(p.info.reference_grid.n[0] == 256 && p.info.reference_grid.n[1] == 100);
	PP_ASSERT_CLOSE(p.info.reference_grid.hi[1], 1.98, 1e-15, 0);   /* 0.99 of the span */
	close_pde(&p);
	CU_ASSERT_EQUAL_FATAL(open_pde("helmholtz", NULL, &p, &err), PP_OK);
	CU_ASSERT(p.info.time_input == -1 && p.info.terms[1].n_pieces == 4 &&
		  p.info.terms[1].points == 400);
	close_pde(&p);
}

static void test_burgers_reference_refuses_a_changed_domain(void)
{
	pde p;
	pp_error err = {0};
	pp_grid g = {.n_dims = 2, .n = {3, 3}, .lo = {0, 0}, .hi = {2, 1}, .endpoint = {1, 1}};
	double u[9];

	CU_ASSERT_EQUAL_FATAL(open_pde("burgers", "x: [0, 2]\n", &p, &err), PP_OK);
	CU_ASSERT_EQUAL(p.info.has_reference, 0);
	CU_ASSERT_EQUAL(p.ops->reference(p.state, &g, u, &err), PP_ERR_INVALID);
	close_pde(&p);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"coefficient jacobians match finite differences", test_coefficient_jacobians_match_finite_differences},
		{"hard constraints of heat and burgers match differences", test_hard_constraints_of_heat_and_burgers_match_differences},
		{"residual jacobians match finite differences", test_residual_jacobians_match_finite_differences},
		{"exact helmholtz and heat solutions have zero residual", test_exact_helmholtz_and_heat_solutions_have_zero_residual},
		{"heat reference is exact and meets its conditions", test_heat_reference_is_exact_and_meets_its_conditions},
		{"gauss-hermite is exact for polynomials", test_gauss_hermite_is_exact_for_polynomials},
		{"burgers quadrature adapts to a small viscosity", test_burgers_quadrature_adapts_to_a_small_viscosity},
		{"burgers reference properties and quadrature convergence", test_burgers_reference_properties_and_quadrature_convergence},
		{"allen-cahn solver converges in dt", test_allen_cahn_solver_converges_in_dt},
		{"allen-cahn solver converges in modes", test_allen_cahn_solver_converges_in_modes},
		{"allen-cahn reference is within 1e-6 of a twice-finer solve", test_allen_cahn_reference_is_within_1e6_of_a_twice_finer_solve},
		{"allen-cahn energy decreases and evenness holds", test_allen_cahn_energy_decreases_and_evenness_holds},
		{"bad input is refused with a clear error", test_bad_input_is_refused_with_a_clear_error},
		{"burgers reference refuses a changed domain", test_burgers_reference_refuses_a_changed_domain},
		{"references refuse bad grids", test_references_refuse_bad_grids},
		{"descriptions follow the options", test_descriptions_follow_the_options},
		{NULL, NULL},
	};
	PP_TEST_DOUBLE_ONLY();
	return pp_test_run("pdes", cases);
}
