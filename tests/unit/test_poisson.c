/* The poisson PDE plugin: what describe() declares, every term's Jacobian
 * and ∂r/∂coefficient against central differences, the manufactured
 * solution's exact channels giving zero residual in every term in 1, 2 and
 * 3 dimensions, the reference, the checks on bad YAML and on missing
 * normals, and (once the core samples geometries) a short training on the
 * unit square with a hole. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_shell.h"
#include "pp_test.h"

#define PI 3.14159265358979323846
#define NPTS 7
#define MAXD 3

typedef pp_test_pde pde;

static int open_poisson(const char *yaml, pde *p, pp_error *err)
{
	return pp_test_pde_open("poisson", yaml, "poisson.yaml", p, err);
}

static void close_poisson(pde *p)
{
	pp_test_pde_close(p);
}

/* One residual() call's inputs and outputs. */
typedef struct call {
	pp_real x[NPTS * MAXD];
	pp_real normal[NPTS * MAXD];
	pp_real ch[PP_MAX_CHANNELS][NPTS];
	pp_real r[NPTS];
	pp_real dr[PP_MAX_CHANNELS][NPTS];
	double coef[2];
	pp_real dr_coef[2][NPTS];
	int with_coef;
} call;

static int eval(pde *p, int term, call *c, pp_error *err)
{
	const pp_term_info *t = &p->info.terms[term];
	const pp_real *u[PP_MAX_CHANNELS];
	pp_real *d[PP_MAX_CHANNELS], *dc[2] = {c->dr_coef[0], c->dr_coef[1]};
	pp_residual_args a = {0};

	for (int k = 0; k < t->n_channels; k++) {
		u[k] = c->ch[k];
		d[k] = c->dr[k];
	}
	memset(c->dr_coef, 0, sizeof c->dr_coef);   /* as the core does */
	a.term = term;
	a.n = NPTS;
	a.x = c->x;
	a.u = u;
	a.r = c->r;
	a.dr = d;
	a.normal = t->boundary ? c->normal : NULL;
	a.part = NULL;
	a.coef = c->with_coef ? c->coef : NULL;
	a.dr_coef = c->with_coef ? dc : NULL;
	return p->ops->residual(p->state, &a, err);
}

/* Random points of the box and random unit normals. */
static void random_points(const pde *p, pp_rng *rng, call *c)
{
	const int dim = p->info.n_inputs;

	for (int i = 0; i < NPTS; i++) {
		double norm = 0;
		for (int k = 0; k < dim; k++) {
			double lo = p->info.lo[k], hi = p->info.hi[k];
			c->x[i * dim + k] = (pp_real)(lo + (hi - lo) * pp_rng_uniform(rng));
			c->normal[i * dim + k] = (pp_real)pp_rng_normal(rng);
			norm += (double)c->normal[i * dim + k] * (double)c->normal[i * dim + k];
		}
		for (int k = 0; k < dim; k++)
			c->normal[i * dim + k] = (pp_real)((double)c->normal[i * dim + k] / sqrt(norm));
	}
}

static const char *const configs[] = {
	"dim: 1\nk: 0.5\nf: -2\nrobin: {alpha: 0.7, beta: -1.3}\n",
	"dim: 1\nx: [-1, 2]\nk: 3\nmanufactured: {frequency: [1.5]}\n",
	"dim: 2\nk: 2\ndirichlet_value: 0.3\nneumann_value: -1.1\nrobin_value: 0.4\n"
	"robin: {alpha: 2, beta: 0.5}\n",
	"dim: 2\nk: 0.25\nmanufactured: {frequency: [1, 2]}\nrobin: {alpha: 0, beta: 2}\n",
	"dim: 3\nx: [0, 2]\nz: [-1, 1]\nk: 1\nmanufactured: {frequency: [1, 0.5, 2]}\n"
	"robin: {alpha: 1.5, beta: 0}\n",
};

/* Every term's ∂r/∂channel against central differences in the channel value
 * at random points, channel values and unit normals, for five
 * configurations covering 1-3 dimensions, constant and manufactured data.
 * The residuals are affine in the channels, so the difference quotient is
 * exact up to rounding, ~1e-16/1e-4 times the residual's size: 1e-9. */
static void test_residual_jacobians_match_central_differences(void)
{
	pp_rng rng;

	pp_rng_init(&rng, 3, 0);
	for (size_t cfg = 0; cfg < sizeof configs / sizeof configs[0]; cfg++) {
		pde p;
		pp_error err = {0};
		CU_ASSERT_EQUAL_FATAL(open_poisson(configs[cfg], &p, &err), PP_OK);
		for (int term = 0; term < p.info.n_terms; term++) {
			const pp_term_info *t = &p.info.terms[term];
			static call c, cp, cm;
			random_points(&p, &rng, &c);
			for (int k = 0; k < t->n_channels; k++)
				for (int i = 0; i < NPTS; i++)
					c.ch[k][i] = (pp_real)(4 * pp_rng_uniform(&rng) - 2);
			CU_ASSERT_EQUAL_FATAL(eval(&p, term, &c, &err), PP_OK);
			for (int k = 0; k < t->n_channels; k++)
				for (int i = 0; i < NPTS; i++) {
					cp = c;
					cm = c;
					cp.ch[k][i] += (pp_real)1e-4;
					cm.ch[k][i] -= (pp_real)1e-4;
					CU_ASSERT_EQUAL(eval(&p, term, &cp, &err), PP_OK);
					CU_ASSERT_EQUAL(eval(&p, term, &cm, &err), PP_OK);
					PP_ASSERT_CLOSE(c.dr[k][i],
							((double)cp.r[i] - (double)cm.r[i]) / 2e-4,
							1e-9, 1e-9);
				}
		}
		close_poisson(&p);
	}
}

/* ∂r/∂k and ∂r/∂f (the declared coefficients, passed in a->coef) against
 * central differences of r in each: r is affine in both, so again 1e-9.
 * The residual reads the coefficients from a->coef, not from its state (a
 * k of 5 passed in changes r by 5·u − 0.5·u); with `manufactured` the
 * source does not move with k and f is unused (∂r/∂f = 0). */
static void test_coefficient_derivatives_match_central_differences(void)
{
	static const char *const cfgs[] = {"dim: 2\nk: 0.5\nf: 3\n",
					   "dim: 3\nk: 0.5\nmanufactured: {frequency: [1, 2, 1]}\n"};
	pp_rng rng;

	pp_rng_init(&rng, 17, 0);
	for (int cfg = 0; cfg < 2; cfg++) {
		pde p;
		pp_error err = {0};
		static call c, cp, cm, c0;
		int term;
		CU_ASSERT_EQUAL_FATAL(open_poisson(cfgs[cfg], &p, &err), PP_OK);
		CU_ASSERT_EQUAL_FATAL(p.info.n_coefficients, 2);
		CU_ASSERT_STRING_EQUAL(p.info.coefficients[0].name, "k");
		CU_ASSERT_STRING_EQUAL(p.info.coefficients[1].name, "f");
		CU_ASSERT_DOUBLE_EQUAL(p.info.coefficients[0].value, 0.5, 0);
		term = pp_test_pde_term(&p, "residual");
		random_points(&p, &rng, &c);
		for (int k = 0; k < p.info.terms[term].n_channels; k++)
			for (int i = 0; i < NPTS; i++)
				c.ch[k][i] = (pp_real)(4 * pp_rng_uniform(&rng) - 2);
		c.with_coef = 1;
		c.coef[0] = 5;
		c.coef[1] = -0.7;
		CU_ASSERT_EQUAL_FATAL(eval(&p, term, &c, &err), PP_OK);
		c0 = c;
		c0.with_coef = 0;
		CU_ASSERT_EQUAL_FATAL(eval(&p, term, &c0, &err), PP_OK);
		for (int i = 0; i < NPTS; i++) {
			double df = cfg == 0 ? -(-0.7 - 3.0) : 0.0;   /* −(f − f0) */
			PP_ASSERT_CLOSE(c.r[i] - c0.r[i], 4.5 * (double)c.ch[0][i] + df, 1e-12, 0);
			PP_ASSERT_CLOSE(c.dr[0][i], 5, 0, 0);
		}
		for (int j = 0; j < 2; j++) {
			cp = c;
			cm = c;
			cp.coef[j] += 1e-4;
			cm.coef[j] -= 1e-4;
			CU_ASSERT_EQUAL(eval(&p, term, &cp, &err), PP_OK);
			CU_ASSERT_EQUAL(eval(&p, term, &cm, &err), PP_OK);
			for (int i = 0; i < NPTS; i++)
				PP_ASSERT_CLOSE(c.dr_coef[j][i],
						((double)cp.r[i] - (double)cm.r[i]) / 2e-4, 1e-9, 1e-9);
		}
		close_poisson(&p);
	}
}

/* The test's own u* = Π sin(π·ω_i·x_i + 1/4) (the plugin's header), its
 * gradient and pure second derivatives. */
static double u_star(int dim, const double *w, const double *x, double *grad, double *dd)
{
	double u = 1;

	for (int i = 0; i < dim; i++)
		u *= sin(PI * w[i] * x[i] + 0.25);
	for (int i = 0; i < dim; i++) {
		double g = PI * w[i] * cos(PI * w[i] * x[i] + 0.25);
		for (int j = 0; j < dim; j++)
			if (j != i)
				g *= sin(PI * w[j] * x[j] + 0.25);
		grad[i] = g;
		dd[i] = -(PI * w[i]) * (PI * w[i]) * u;
	}
	return u;
}

/* Feed the channels of u* (computed here from the documented formula, not
 * by the plugin) into every term, with every term enabled, at random points
 * of the box with random unit normals (each boundary residual is an
 * identity in n): all residuals vanish to rounding of values of order
 * π²·Σω² ≈ 50 (1e-12).  This checks the manufactured source f = −Δu* + k·u*
 * and the Dirichlet, Neumann and Robin data.  Zero channels instead give
 * residuals of the data's size, so the check is not vacuous, and the
 * reference is u* itself. */
static void test_manufactured_solution_has_zero_residual_in_every_term(void)
{
	static const struct {
		const char *yaml;
		int dim;
		double w[MAXD];
	} cases[] = {
		{"dim: 1\nk: 2\nmanufactured: {frequency: [1.5]}\nrobin: {alpha: 0.5, beta: 2}\n",
		 1, {1.5}},
		{"dim: 2\nk: 0\nmanufactured: {frequency: [1, 2]}\n", 2, {1, 2}},
		{"dim: 2\nx: [-0.5, 1]\ny: [0, 3]\nk: 4\nmanufactured: {}\n"
		 "robin: {alpha: -1, beta: 3}\n", 2, {1, 2}},
		{"dim: 3\nk: 1\nmanufactured: {frequency: [1, 0.5, 2]}\n", 3, {1, 0.5, 2}},
	};
	pp_rng rng;

	pp_rng_init(&rng, 29, 0);
	for (size_t n = 0; n < sizeof cases / sizeof cases[0]; n++) {
		pde p;
		pp_error err = {0};
		const int dim = cases[n].dim;
		CU_ASSERT_EQUAL_FATAL(open_poisson(cases[n].yaml, &p, &err), PP_OK);
		CU_ASSERT_EQUAL(p.info.n_inputs, dim);
		CU_ASSERT_EQUAL(p.info.has_reference, 1);
		for (int term = 0; term < p.info.n_terms; term++) {
			const pp_term_info *t = &p.info.terms[term];
			static call c, z;
			double worst = 0, data = 0;
			random_points(&p, &rng, &c);
			for (int i = 0; i < NPTS; i++) {
				double x[MAXD], g[MAXD], dd[MAXD], u;
				for (int d = 0; d < dim; d++)
					x[d] = (double)c.x[i * dim + d];
				u = u_star(dim, cases[n].w, x, g, dd);
				for (int k = 0; k < t->n_channels; k++) {
					const pp_channel ch = t->channels[k];
					c.ch[k][i] = (pp_real)(ch.order == 0 ? u
							       : ch.order == 1 ? g[ch.d[0]]
									       : dd[ch.d[0]]);
					CU_ASSERT(ch.order < 2 || ch.d[0] == ch.d[1]);
				}
			}
			CU_ASSERT_EQUAL_FATAL(eval(&p, term, &c, &err), PP_OK);
			z = c;
			memset(z.ch, 0, sizeof z.ch);
			CU_ASSERT_EQUAL_FATAL(eval(&p, term, &z, &err), PP_OK);
			for (int i = 0; i < NPTS; i++) {
				worst = fmax(worst, fabs((double)c.r[i]));
				data = fmax(data, fabs((double)z.r[i]));
			}
			CU_ASSERT(worst < 1e-12);
			CU_ASSERT(data > 1e-2);
			if (worst >= 1e-12 || data <= 1e-2)
				printf("\n  %s, term %s: max |r| %.3g, data %.3g\n", cases[n].yaml,
				       t->name, worst, data);
		}
		for (int i = 0; i < NPTS; i++) {   /* reference() at one point is u* */
			pp_grid grid = {.n_dims = dim};
			double x[MAXD], g[MAXD], dd[MAXD], u = NAN;
			for (int d = 0; d < dim; d++) {
				x[d] = p.info.lo[d] + (p.info.hi[d] - p.info.lo[d]) * pp_rng_uniform(&rng);
				grid.n[d] = 1;
				grid.lo[d] = grid.hi[d] = x[d];
				grid.endpoint[d] = 1;
			}
			CU_ASSERT_EQUAL(p.ops->reference(p.state, &grid, &u, &err), PP_OK);
			PP_ASSERT_CLOSE(u, u_star(dim, cases[n].w, x, g, dd), 1e-15, 0);
		}
		close_poisson(&p);
	}
}

/* Neumann data really are nonzero around a hole: on the circle of centre
 * (0.5, 0.5) and radius 0.2 with normals into the hole, h = n·∇u* has a
 * mean square of order 1 (u* = sin(πx + 1/4)·sin(2πy + 1/4) is not
 * symmetric about the centre, unlike sin(πx)·sin(2πy), whose flux there is
 * odd), and the Dirichlet data on the square's sides are nonzero. */
static void test_manufactured_data_are_nonzero_on_a_hole(void)
{
	pde p;
	pp_error err = {0};
	static call c;
	double h2 = 0;
	int term;

	CU_ASSERT_EQUAL_FATAL(open_poisson("manufactured: {frequency: [1, 2]}\n", &p, &err),
			      PP_OK);
	term = pp_test_pde_term(&p, "neumann");
	for (int i = 0; i < NPTS; i++) {
		double th = 2 * PI * (i + 0.3) / NPTS;
		c.x[2 * i] = (pp_real)(0.5 + 0.2 * cos(th));
		c.x[2 * i + 1] = (pp_real)(0.5 + 0.2 * sin(th));
		c.normal[2 * i] = (pp_real)-cos(th);
		c.normal[2 * i + 1] = (pp_real)-sin(th);
	}
	memset(c.ch, 0, sizeof c.ch);
	CU_ASSERT_EQUAL_FATAL(eval(&p, term, &c, &err), PP_OK);
	for (int i = 0; i < NPTS; i++)
		h2 += (double)c.r[i] * (double)c.r[i] / NPTS;
	CU_ASSERT(h2 > 0.1);
	close_poisson(&p);
}

/* describe(): x, y (z) inputs on the box, the residual with u and the pure
 * second derivatives, dirichlet on (enabled), neumann and robin off, all
 * three marked boundary and sampled on every face of the box without a
 * geometry; a reference only with `manufactured`. */
static void test_describe_declares_terms_faces_and_reference(void)
{
	for (int dim = 1; dim <= 3; dim++) {
		pde p;
		pp_error err = {0};
		char yaml[64];
		snprintf(yaml, sizeof yaml, "dim: %d\n", dim);
		CU_ASSERT_EQUAL_FATAL(open_poisson(yaml, &p, &err), PP_OK);
		CU_ASSERT_EQUAL(p.info.n_inputs, dim);
		CU_ASSERT_EQUAL(p.info.time_input, -1);
		CU_ASSERT_EQUAL(p.info.has_reference, 0);
		CU_ASSERT_EQUAL(p.info.n_terms, 4);
		CU_ASSERT_STRING_EQUAL(p.info.input_names[dim - 1], dim == 1 ? "x" : dim == 2 ? "y" : "z");
		for (int d = 0; d < dim; d++) {
			CU_ASSERT_DOUBLE_EQUAL(p.info.lo[d], 0, 0);
			CU_ASSERT_DOUBLE_EQUAL(p.info.hi[d], 1, 0);
		}
		CU_ASSERT_EQUAL(p.info.terms[0].interior, 1);
		CU_ASSERT_EQUAL(p.info.terms[0].boundary, 0);
		CU_ASSERT_EQUAL(p.info.terms[0].n_channels, 1 + dim);
		CU_ASSERT_EQUAL(p.info.terms[pp_test_pde_term(&p, "dirichlet")].enabled, 1);
		CU_ASSERT_EQUAL(p.info.terms[pp_test_pde_term(&p, "neumann")].enabled, 0);
		CU_ASSERT_EQUAL(p.info.terms[pp_test_pde_term(&p, "robin")].enabled, 0);
		CU_ASSERT_EQUAL(p.info.terms[pp_test_pde_term(&p, "neumann")].n_channels, dim);
		CU_ASSERT_EQUAL(p.info.terms[pp_test_pde_term(&p, "robin")].n_channels, 1 + dim);
		for (int t = 1; t < 4; t++) {
			const pp_term_info *ti = &p.info.terms[t];
			int seen[2 * MAXD] = {0};
			CU_ASSERT_EQUAL(ti->boundary, 1);
			CU_ASSERT_EQUAL(ti->interior, 0);
			CU_ASSERT_EQUAL_FATAL(ti->n_pieces, 2 * dim);
			for (int k = 0; k < ti->n_pieces; k++) {
				int fixed = -1, n_fixed = 0;
				for (int d = 0; d < dim; d++)
					if (ti->pieces[k].side[d] != PP_SIDE_FREE) {
						fixed = d;
						n_fixed++;
					}
				CU_ASSERT_EQUAL_FATAL(n_fixed, 1);
				seen[2 * fixed + (ti->pieces[k].side[fixed] == PP_SIDE_HI)]++;
			}
			for (int k = 0; k < 2 * dim; k++)
				CU_ASSERT_EQUAL(seen[k], 1);
		}
		close_poisson(&p);
	}
}

/* Neumann and Robin need normals: without a->normal they fail with a
 * message saying so instead of reading through NULL. */
static void test_flux_terms_refuse_missing_normals(void)
{
	pde p;
	pp_error err = {0};
	const char *names[] = {"neumann", "robin"};
	static call c;

	CU_ASSERT_EQUAL_FATAL(open_poisson(NULL, &p, &err), PP_OK);
	for (int k = 0; k < 2; k++) {
		int term = pp_test_pde_term(&p, names[k]);
		const pp_real *u[PP_MAX_CHANNELS];
		pp_real *d[PP_MAX_CHANNELS];
		pp_residual_args a = {.term = term, .n = NPTS, .x = c.x, .r = c.r};
		for (int j = 0; j < p.info.terms[term].n_channels; j++) {
			u[j] = c.ch[j];
			d[j] = c.dr[j];
		}
		a.u = u;
		a.dr = d;
		memset(&err, 0, sizeof err);
		CU_ASSERT_EQUAL(p.ops->residual(p.state, &a, &err), PP_ERR_INVALID);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "normal"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, names[k]));
	}
	close_poisson(&p);
}

/* Bad YAML, each refused at its file:line:col with a message naming the
 * fault: dim 4 and 0, a frequency list of the wrong length, k < 0, robin
 * with α = β = 0, a reversed interval, manufactured given as a scalar; and
 * z in 2-D is a key nobody reads. */
static void test_bad_yaml_is_refused(void)
{
	static const struct {
		const char *yaml, *says;
	} bad[] = {
		{"dim: 4\n", "dim"},
		{"dim: 0\n", "dim"},
		{"dim: 2\nmanufactured: {frequency: [1, 2, 3]}\n", "frequency"},
		{"dim: 3\nmanufactured: {frequency: [1, 2]}\n", "frequency"},
		{"k: -1\n", "k"},
		{"k: {trainable: true, value: -0.5}\n", "value"},
		{"robin: {alpha: 0, beta: 0}\n", "alpha and beta"},
		{"y: [1, 0]\n", "y"},
		{"manufactured: yes\n", "manufactured"},
	};

	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		pde p;
		pp_error err = {0};
		int rc = open_poisson(bad[k].yaml, &p, &err);
		CU_ASSERT_NOT_EQUAL(rc, PP_OK);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "poisson.yaml:"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, bad[k].says));
		if (rc == PP_OK || !strstr(err.message, bad[k].says))
			printf("\n  '%s' gave: %s\n", bad[k].yaml, err.message);
		close_poisson(&p);
	}
	{
		pde p;
		pp_error err = {0};
		CU_ASSERT_EQUAL_FATAL(open_poisson("dim: 2\nz: [0, 1]\n", &p, &err), PP_OK);
		CU_ASSERT_NOT_EQUAL(pp_config_check_unknown(pp_config_doc_root(p.doc), "pde", &err),
				    PP_OK);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "'z'"));
		close_poisson(&p);
	}
}

/* The reference refuses a grid of the wrong dimension and a problem
 * without a manufactured solution. */
static void test_reference_refuses_wrong_grids_and_missing_solution(void)
{
	pde p;
	pp_error err = {0};
	pp_grid g3 = {.n_dims = 3, .n = {2, 2, 2}, .hi = {1, 1, 1}, .endpoint = {1, 1, 1}};
	pp_grid g2 = {.n_dims = 2, .n = {2, 2}, .hi = {1, 1}, .endpoint = {1, 1}};
	double u[8];

	CU_ASSERT_EQUAL_FATAL(open_poisson("manufactured: {}\n", &p, &err), PP_OK);
	CU_ASSERT_NOT_EQUAL(p.ops->reference(p.state, &g3, u, &err), PP_OK);
	CU_ASSERT_EQUAL(p.ops->reference(p.state, &g2, u, &err), PP_OK);
	CU_ASSERT_EQUAL(p.info.reference_grid.n_dims, 2);
	close_poisson(&p);
	CU_ASSERT_EQUAL_FATAL(open_poisson(NULL, &p, &err), PP_OK);
	CU_ASSERT_NOT_EQUAL(p.ops->reference(p.state, &g2, u, &err), PP_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "manufactured"));
	close_poisson(&p);
}

static void test_checkpoint_hooks_are_stateless(void)
{
	pde p;
	pp_error err = {0};
	size_t size = 99;
	char buf[1];

	CU_ASSERT_EQUAL_FATAL(open_poisson(NULL, &p, &err), PP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.ops->save);
	CU_ASSERT_EQUAL(p.ops->save(p.state, NULL, &size, &err), PP_OK);
	CU_ASSERT_EQUAL(size, 0);
	CU_ASSERT_EQUAL(p.ops->load(p.state, buf, 0, &err), PP_OK);
	CU_ASSERT_NOT_EQUAL(p.ops->load(p.state, buf, 1, &err), PP_OK);
	close_poisson(&p);
}

/* The number after "@key": in the summary text, or NAN. */
static double summary_number(const char *text, const char *key)
{
	char quoted[64];
	const char *at;

	snprintf(quoted, sizeof quoted, "\"%s\":", key);
	at = strstr(text, quoted);
	return at ? atof(at + strlen(quoted)) : NAN;
}

/* A short training through `phasepinn run` on the unit square minus the
 * disk of centre (0.5, 0.5) and radius 0.2: u* = sin(πx + 1/4)·sin(2πy + 1/4)
 * (frequency [1, 2]), Dirichlet on the square (part outer, weight 100),
 * Neumann on the hole (part hole, weight 10; its normals point into the
 * hole), [20, 20, 20] tanh, 1000 residual points, 500 Adam steps at 5e-3
 * and 800 L-BFGS steps (~17 s on a loaded core).  The untrained network
 * scores a rel. L2 of about 1.3 and the zero field 1; observed 1.4e-3 on
 * the error grid's points inside the domain (Adam alone reaches 4e-2).
 * Below 5e-3 the solution is right to a few parts in a thousand, which a
 * wrong sign of the normals or of the Neumann data does not allow (the
 * Neumann datum −n·∇u* instead of n·∇u* ends at 0.47); the margin of 3.5
 * covers L-BFGS's sensitivity to rounding on other BLAS kernels. */
static void test_a_short_training_solves_poisson_on_a_square_with_a_hole(void)
{
	static char dir[] = "/tmp/pp_test_poisson_XXXXXX";
	char *text;
	double e;

	CU_ASSERT_EQUAL_FATAL(pp_shell_init(dir), 0);
	pp_shell_write("p.yaml",
		       "seed: 3\nthreads: 1\noutput: out\npde:\n  type: poisson\n"
		       "  manufactured: {frequency: [1, 2]}\n  terms:\n"
		       "    residual: {points: 1000}\n"
		       "    dirichlet: {points: 200, weight: 100, parts: [outer]}\n"
		       "    neumann: {enabled: true, points: 100, weight: 10, parts: [hole]}\n"
		       "domain:\n  geometry:\n    difference:\n"
		       "      - rectangle: {lo: [0, 0], hi: [1, 1], name: outer}\n"
		       "      - disk: {center: [0.5, 0.5], radius: 0.2, name: hole}\n"
		       "network: {layers: [20, 20, 20]}\nweighting: {type: none}\nstages:\n"
		       "  - {optimizer: adam, iterations: 500, lr: 5.0e-3}\n"
		       "  - {optimizer: lbfgs, iterations: 800}\n"
		       "analyzers:\n  - {type: error, every: 1300}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run p.yaml --quiet --no-plot"), 0);
	text = pp_shell_slurp("out/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	e = summary_number(text, "error_rel_l2");
	printf("\n  rel. L2 after the short training: %.3g ", e);
	CU_ASSERT(e < 5e-3);
	pp_shell_cleanup();
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"residual jacobians match central differences", test_residual_jacobians_match_central_differences},
		{"coefficient derivatives match central differences", test_coefficient_derivatives_match_central_differences},
		{"manufactured solution has zero residual in every term", test_manufactured_solution_has_zero_residual_in_every_term},
		{"manufactured data are nonzero on a hole", test_manufactured_data_are_nonzero_on_a_hole},
		{"describe declares terms, faces and reference", test_describe_declares_terms_faces_and_reference},
		{"flux terms refuse missing normals", test_flux_terms_refuse_missing_normals},
		{"bad yaml is refused", test_bad_yaml_is_refused},
		{"reference refuses wrong grids and a missing solution", test_reference_refuses_wrong_grids_and_missing_solution},
		{"checkpoint hooks are stateless", test_checkpoint_hooks_are_stateless},
		{"a short training solves poisson on a square with a hole", test_a_short_training_solves_poisson_on_a_square_with_a_hole},
		{NULL, NULL},
	};

	PP_TEST_DOUBLE_ONLY();
	return pp_test_run("poisson", cases);
}
