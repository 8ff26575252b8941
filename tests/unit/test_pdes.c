/* PDE plugins: residual Jacobians against finite differences, exact solutions
 * with zero residual, reference solvers checked for convergence and the
 * properties they must have, and bad input refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_test.h"

typedef struct pde {
	const pp_pde_ops *ops;
	void *state;
	pp_pde_info info;
	pp_config_doc *doc;
} pde;

static int open_pde(const char *name, const char *yaml, pde *p, pp_error *err)
{
	int rc;

	memset(p, 0, sizeof *p);
	p->ops = pp_test_plugin(PP_KIND_PDE, name)->ops;
	if (yaml) {
		rc = pp_config_doc_parse(yaml, strlen(yaml), "pde.yaml", &p->doc, err);
		if (rc)
			return rc;
	}
	rc = p->ops->create(pp_config_doc_root(p->doc), &p->state, err);
	if (rc)
		return rc;
	return p->ops->describe(p->state, &p->info, err);
}

static void close_pde(pde *p)
{
	if (p->state)
		p->ops->destroy(p->state);
	pp_config_doc_destroy(p->doc);
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

/* Exact solutions fed in as channels give residual ~ 0. */
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
	close_pde(&a);
	close_pde(&b);
}

/* Allen-Cahn for t in [0.125, 0.375] (about a second): ETDRK4 is fourth
 * order, so halving dt cuts the error ~16x; the default 1024 modes agree with
 * a twice-finer solve (2048 modes, dt/2) to 1e-6 (measured: 2e-10, because the
 * solver starts from the exact Fourier coefficients of u0, whose u_x jumps at
 * x = ±1); the free energy never increases; evenness holds. */
static double ac_diff(pde *p, pde *q, pp_grid g)
{
	double *u = reference(p, g), *v = reference(q, g), worst = 0;

	for (size_t i = 0; u && v && i < pp_grid_size(&g); i++)
		worst = fmax(worst, fabs(u[i] - v[i]));
	free(u);
	free(v);
	return worst;
}

static void test_allen_cahn_solver_converges_in_dt_and_modes(void)
{
	pde c1, c2, c4, m2;
	pp_error err = {0};
	pp_grid g = {.n_dims = 2, .n = {64, 3}, .lo = {-1, 0.125}, .hi = {1, 0.375}, .endpoint = {0, 1}};

	open_pde("allen_cahn", "reference_modes: 1024\nreference_dt: 4.0e-3\n", &c1, &err);
	open_pde("allen_cahn", "reference_modes: 1024\nreference_dt: 2.0e-3\n", &c2, &err);
	open_pde("allen_cahn", "reference_modes: 1024\nreference_dt: 1.0e-3\n", &c4, &err);
	open_pde("allen_cahn", "reference_modes: 2048\nreference_dt: 5.0e-4\n", &m2, &err);
	double e1 = ac_diff(&c1, &c4, g), e2 = ac_diff(&c2, &c4, g);
	/* error(dt) ≈ C dt⁴: e1/e2 ≈ (2⁴ − 1)/(1 − 1/16)... ≥ 8 leaves room for pre-asymptotics */
	CU_ASSERT(e1 > 0 && e1 / e2 > 8);
	CU_ASSERT(ac_diff(&c4, &m2, g) < 1e-6);
	close_pde(&c1);
	close_pde(&c2);
	close_pde(&c4);
	close_pde(&m2);
}

static void test_allen_cahn_energy_decreases_and_evenness_holds(void)
{
	pde p;
	pp_error err = {0};
	const long nx = 256, nt = 11;
	pp_grid g = {.n_dims = 2, .n = {nx, nt}, .lo = {-1, 0}, .hi = {1, 0.5}, .endpoint = {0, 1}};
	double d = 1e-4, rho = 5, prev = INFINITY;

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
		prev = e;
	}
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
		{"residual jacobians match finite differences", test_residual_jacobians_match_finite_differences},
		{"exact helmholtz and heat solutions have zero residual", test_exact_helmholtz_and_heat_solutions_have_zero_residual},
		{"burgers reference properties and quadrature convergence", test_burgers_reference_properties_and_quadrature_convergence},
		{"allen-cahn solver converges in dt and modes", test_allen_cahn_solver_converges_in_dt_and_modes},
		{"allen-cahn energy decreases and evenness holds", test_allen_cahn_energy_decreases_and_evenness_holds},
		{"bad input is refused with a clear error", test_bad_input_is_refused_with_a_clear_error},
		{"burgers reference refuses a changed domain", test_burgers_reference_refuses_a_changed_domain},
		{NULL, NULL},
	};
	PP_TEST_DOUBLE_ONLY();
	return pp_test_run("pdes", cases);
}
