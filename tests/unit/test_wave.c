/* The wave PDE plugin: residual Jacobians against central differences, the
 * exact modal reference solving the equation and meeting its initial and
 * boundary data, the `initial` hard constraint's g and d against
 * differences, and bad YAML refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_shell.h"
#include "pp_test.h"

#define PI 3.14159265358979323846
#define NPTS 6

typedef pp_test_pde pde;

static int open_wave(const char *yaml, pde *p, pp_error *err)
{
	return pp_test_pde_open("wave", yaml, "wave.yaml", p, err);
}

static void close_wave(pde *p)
{
	pp_test_pde_close(p);
}

/* The residual of the term called @name at the NPTS points @x. */
static int term_residual(pde *p, const char *name, const pp_real *x, pp_real ch[][NPTS],
			 pp_real *r, pp_real dr[][NPTS])
{
	return pp_test_pde_residual(p, pp_test_pde_term(p, name), NPTS, x, ch[0], r, dr[0]);
}

/* Random points of the box into x[NPTS × 2]. */
static void random_points(const pde *p, pp_rng *rng, pp_real *x)
{
	for (size_t i = 0; i < NPTS; i++)
		for (int k = 0; k < 2; k++)
			x[2 * i + (size_t)k] = (pp_real)(p->info.lo[k] + (p->info.hi[k] - p->info.lo[k]) *
							      pp_rng_uniform(rng));
}

/* Every term's ∂r/∂channel against central differences in the channel
 * value at random points and values.  The residuals are affine in the
 * channels, so the difference is exact up to rounding: 1e-8. */
static void test_residual_jacobians_match_central_differences(void)
{
	pde p;
	pp_error err = {0};
	pp_rng rng;

	CU_ASSERT_EQUAL_FATAL(open_wave("c: 1.5\nmodes: [2, 3, 5]\namplitudes: [1, -0.3, 0.2]\n",
					&p, &err), PP_OK);
	CU_ASSERT_EQUAL(p.info.n_terms, 4);
	pp_rng_init(&rng, 7, 0);
	for (int term = 0; term < p.info.n_terms; term++) {
		pp_real x[2 * NPTS];

		random_points(&p, &rng, x);
		pp_test_check_channel_jacobians(&p, term, NPTS, x, &rng);
	}
	close_wave(&p);
}

/* The reference on a grid of one point at (x, t). */
static double reference_at(pde *p, double x, double t)
{
	pp_grid g = {.n_dims = 2, .n = {1, 1}, .lo = {x, t}, .hi = {x, t}, .endpoint = {1, 1}};
	pp_error err = {0};
	double u = NAN;

	CU_ASSERT_EQUAL(p->ops->reference(p->state, &g, &u, &err), PP_OK);
	return u;
}

/* c²u_xx − u_tt of the reference by second differences with step @h at
 * (x, t); u_tt and u_xx themselves into *size. */
static double difference_residual(pde *p, double c, double x, double t, double h,
				  double *size)
{
	double u = reference_at(p, x, t);
	double u_tt = (reference_at(p, x, t + h) - 2 * u + reference_at(p, x, t - h)) / (h * h);
	double u_xx = (reference_at(p, x + h, t) - 2 * u + reference_at(p, x - h, t)) / (h * h);

	*size = fabs(u_tt) + fabs(u_xx);
	return u_tt - c * c * u_xx;
}

/* The modal solution solves u_tt = c²u_xx: the residual of its second
 * differences is pure truncation, h²/12·(∂⁴_t u − c²∂⁴_x u), largest for the
 * stiffest mode (m = 5, L = 2, amplitude 0.2): (5π/2·1.5)⁴·0.2/12·h² ≈ 3e-4
 * at h = 1e-3, against u_tt of order 10.  So at 50 random points the largest
 * residual is below 1e-3 and falls by the factor 4 of a second-order
 * difference when h halves (observed 4.00; 3 to 5 allowed; rounding,
 * 4ε|u|/h² ≈ 4e-9, is far below).  A wrong sign of c² or a wrong frequency
 * gives residuals of order 10 that do not fall with h.  The residual term
 * fed the exact channels returns the same number. */
static void test_reference_solves_the_wave_equation(void)
{
	pde p;
	pp_error err = {0};
	pp_rng rng;
	const double h = 1e-3, c = 1.5;
	double worst = 0, worst_half = 0;

	CU_ASSERT_EQUAL_FATAL(open_wave("c: 1.5\nlength: 2\nt: [0.5, 2]\nmodes: [2, 3, 5]\n"
					"amplitudes: [1, -0.3, 0.2]\n", &p, &err), PP_OK);
	pp_rng_init(&rng, 11, 0);
	for (int k = 0; k < 50; k++) {
		double x = 0.05 + 1.9 * pp_rng_uniform(&rng), t = 0.55 + 1.4 * pp_rng_uniform(&rng);
		double size, r = difference_residual(&p, c, x, t, h, &size);
		worst = fmax(worst, fabs(r));
		worst_half = fmax(worst_half, fabs(difference_residual(&p, c, x, t, h / 2, &size)));
		CU_ASSERT(size > 1e-2);   /* not trivially zero */
	}
	CU_ASSERT(worst < 1e-3);
	CU_ASSERT(worst / worst_half > 3 && worst / worst_half < 5);
	printf("\nmax |u_tt - c^2 u_xx| by differences: %.3g (h = 1e-3), %.3g (h/2), ratio %.2f\n",
	       worst, worst_half, worst / worst_half);
	{
		pp_real xs[2 * NPTS] = {0}, ch[PP_MAX_CHANNELS][NPTS] = {{0}}, dr[PP_MAX_CHANNELS][NPTS];
		pp_real r[NPTS];
		double u_tt = -2.0, u_xx = 0.5;
		for (int i = 0; i < NPTS; i++) {
			ch[0][i] = (pp_real)u_tt;
			ch[1][i] = (pp_real)u_xx;
		}
		CU_ASSERT_EQUAL(term_residual(&p, "residual", xs, ch, r, dr), PP_OK);
		PP_ASSERT_CLOSE(r[0], u_tt - c * c * u_xx, 1e-15, 0);
	}
	close_wave(&p);
}

/* At t0 the reference is u0 = Σ A_m sin(mπx/L) and its t-derivative (a
 * one-sided difference, error h·|u_tt|/2 ≈ 1e-6·90) is ~0; at x = 0 and L it
 * is 0 for every t (sin(mπ) ≈ 1e-16·m); the initial, initial_velocity and
 * boundary residuals of that data are ~0. */
static void test_reference_meets_the_initial_and_boundary_data(void)
{
	pde p;
	pp_error err = {0};
	const double L = 2, t0 = 0.5, h = 1e-6;
	pp_real x[2 * NPTS], ch[PP_MAX_CHANNELS][NPTS], dr[PP_MAX_CHANNELS][NPTS], r[NPTS];

	CU_ASSERT_EQUAL_FATAL(open_wave("c: 1.5\nlength: 2\nt: [0.5, 2]\nmodes: [2, 3, 5]\n"
					"amplitudes: [1, -0.3, 0.2]\n", &p, &err), PP_OK);
	CU_ASSERT_DOUBLE_EQUAL(p.info.lo[0], 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(p.info.hi[0], L, 0);
	CU_ASSERT_DOUBLE_EQUAL(p.info.lo[1], t0, 0);
	for (int i = 0; i < NPTS; i++) {
		double xi = L * (i + 0.5) / NPTS;
		double u0 = sin(2 * PI * xi / L) - 0.3 * sin(3 * PI * xi / L) + 0.2 * sin(5 * PI * xi / L);
		PP_ASSERT_CLOSE(reference_at(&p, xi, t0), u0, 1e-14, 0);
		CU_ASSERT(fabs(reference_at(&p, xi, t0 + h) - reference_at(&p, xi, t0)) / h < 1e-3);
		PP_ASSERT_CLOSE(reference_at(&p, 0, t0 + 0.2 * i), 0, 1e-14, 0);
		PP_ASSERT_CLOSE(reference_at(&p, L, t0 + 0.2 * i), 0, 1e-14, 0);
		x[2 * i] = (pp_real)xi;
		x[2 * i + 1] = (pp_real)t0;
		ch[0][i] = (pp_real)reference_at(&p, xi, t0);
	}
	CU_ASSERT_EQUAL(term_residual(&p, "initial", x, ch, r, dr), PP_OK);
	for (int i = 0; i < NPTS; i++)
		PP_ASSERT_CLOSE(r[i], 0, 1e-13, 0);
	for (int i = 0; i < NPTS; i++)
		ch[0][i] = 0;   /* u_t of the reference at t0, and u at the ends */
	CU_ASSERT_EQUAL(term_residual(&p, "initial_velocity", x, ch, r, dr), PP_OK);
	CU_ASSERT_DOUBLE_EQUAL(r[0], 0, 0);
	CU_ASSERT_EQUAL(term_residual(&p, "boundary", x, ch, r, dr), PP_OK);
	CU_ASSERT_DOUBLE_EQUAL(r[0], 0, 0);
	close_wave(&p);
}

/* The defaults are PINNacle's Wave1d-C: c = 2 on [0, 1]², modes 1 and 4 with
 * amplitudes 1 and 1/2, u = sin(πx)cos(2πt) + ½ sin(4πx)cos(8πt). */
static void test_defaults_are_the_wave1d_c_problem(void)
{
	pde p;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(open_wave(NULL, &p, &err), PP_OK);
	CU_ASSERT_EQUAL(p.info.n_inputs, 2);
	CU_ASSERT_EQUAL(p.info.time_input, 1);
	CU_ASSERT_EQUAL(p.info.n_transforms, 1);
	CU_ASSERT_STRING_EQUAL(p.info.transforms[0].name, "initial");
	CU_ASSERT_PTR_NOT_NULL(p.ops->save);
	CU_ASSERT_PTR_NOT_NULL(p.ops->load);
	for (int k = 0; k < 5; k++) {
		double x = 0.13 + 0.17 * k, t = 0.07 + 0.19 * k;
		PP_ASSERT_CLOSE(reference_at(&p, x, t),
				sin(PI * x) * cos(2 * PI * t) + 0.5 * sin(4 * PI * x) * cos(8 * PI * t),
				1e-14, 0);
	}
	close_wave(&p);
}

/* g and d of the `initial` transform at points of x[], in @n_ch channels. */
static void transform(pde *p, const pp_real *x, const pp_channel *chs, int n_ch,
		      pp_real g[][NPTS], pp_real d[][NPTS])
{
	pp_real *gp[PP_MAX_CHANNELS], *dp[PP_MAX_CHANNELS];
	pp_error err = {0};
	pp_transform_args a = {.transform = 0, .output = 0, .n = NPTS, .x = x,
			       .n_channels = n_ch, .channels = chs};

	for (int c = 0; c < n_ch; c++) {
		gp[c] = g[c];
		dp[c] = d[c];
	}
	a.g = gp;
	a.d = dp;
	CU_ASSERT_EQUAL(p->ops->transform(p->state, &a, &err), PP_OK);
}

/* Each derivative channel of g and d (orders 1 to 4, pure and mixed) against
 * a central difference of the channel one order below, in the input the
 * channel adds: h = 1e-4 gives h²/6·|f'''| ≲ 1e-9·(4π)³ ≈ 2e-6 relative to
 * values of order (4π)^k, so 1e-6 relative and 1e-6 absolute. */
static void test_initial_transform_derivatives_match_differences(void)
{
	enum { X, T };
	static const pp_channel chs[] = {
		PP_U(0), PP_D(0, X), PP_D(0, T), PP_DD(0, X, X), PP_DD(0, X, T), PP_DD(0, T, T),
		PP_D3(0, X, X, X), PP_D3(0, T, T, T), PP_D3(0, X, T, T), PP_D4(0, X, X, X, X),
		PP_D4(0, T, T, T, T), PP_D4(0, X, X, T, T),
	};
	/* channel c is channel parent[c] differentiated once more in input by[c] */
	static const int parent[] = {-1, 0, 0, 1, 1, 2, 3, 5, 4, 6, 7, 8};
	static const int by[] = {-1, X, T, X, T, T, X, T, T, X, T, X};
	const int n_ch = (int)(sizeof chs / sizeof chs[0]);
	const double h = 1e-4;
	pde p;
	pp_error err = {0};
	pp_rng rng;
	pp_real x[2 * NPTS], xp[2 * NPTS], xm[2 * NPTS];
	pp_real g[PP_MAX_CHANNELS][NPTS], d[PP_MAX_CHANNELS][NPTS];
	pp_real gp[PP_MAX_CHANNELS][NPTS], dp[PP_MAX_CHANNELS][NPTS];
	pp_real gm[PP_MAX_CHANNELS][NPTS], dm[PP_MAX_CHANNELS][NPTS];

	CU_ASSERT_EQUAL_FATAL(open_wave("t: [0.25, 1]\n", &p, &err), PP_OK);
	pp_rng_init(&rng, 5, 0);
	random_points(&p, &rng, x);
	transform(&p, x, chs, n_ch, g, d);
	for (int i = 0; i < NPTS; i++) {
		double xi = (double)x[2 * i], s = (double)x[2 * i + 1] - 0.25;
		PP_ASSERT_CLOSE(g[0][i], sin(PI * xi) + 0.5 * sin(4 * PI * xi), 1e-14, 0);
		PP_ASSERT_CLOSE(d[0][i], s * s, 1e-14, 0);
	}
	for (int c = 1; c < n_ch; c++) {
		int in = by[c];
		memcpy(xp, x, sizeof x);
		memcpy(xm, x, sizeof x);
		for (int i = 0; i < NPTS; i++) {
			xp[2 * i + in] += (pp_real)h;
			xm[2 * i + in] -= (pp_real)h;
		}
		transform(&p, xp, chs, n_ch, gp, dp);
		transform(&p, xm, chs, n_ch, gm, dm);
		for (int i = 0; i < NPTS; i++) {
			int q = parent[c];
			PP_ASSERT_CLOSE(g[c][i], ((double)gp[q][i] - (double)gm[q][i]) / (2 * h),
					1e-6, 1e-6);
			PP_ASSERT_CLOSE(d[c][i], ((double)dp[q][i] - (double)dm[q][i]) / (2 * h),
					1e-6, 1e-6);
		}
	}
	/* the point of the factor: d and d_t vanish at t0, so u(x, t0) = g, u_t = g_t = 0 */
	for (int i = 0; i < NPTS; i++)
		x[2 * i + 1] = (pp_real)0.25;
	transform(&p, x, chs, n_ch, g, d);
	CU_ASSERT_DOUBLE_EQUAL(d[0][0], 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(d[2][0], 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(g[2][0], 0, 0);
	close_wave(&p);
}

static void refused(const char *yaml, const char *words)
{
	pde p;
	pp_error err = {0};

	CU_ASSERT_EQUAL(open_wave(yaml, &p, &err), PP_ERR_CONFIG);
	if (!strstr(err.message, words))
		printf("\n'%s' gave: %s\n", yaml, err.message);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, words));
	close_wave(&p);
}

static void test_bad_yaml_is_refused_with_a_clear_error(void)
{
	refused("modes: [1, 2, 3]\namplitudes: [1, 0.5]\n", "wave.yaml:2:13: amplitudes: one per mode, 3");
	refused("amplitudes: [1, 0.5, 0.2]\n", "one per mode, 2 for modes [1, 4], not 3");
	refused("c: 0\n", "wave.yaml:1:4: c = 0 is out of range");
	refused("c: -2\n", "c = -2 is out of range");
	refused("length: 0\n", "length = 0 is out of range");
	refused("modes: [0, 1]\n", "modes = 0 is out of range");
	refused("modes: [1.5]\n", "wave.yaml:1:9:");
	refused("t: [1, 0]\n", "lower bound 1 must be below upper bound 0");
	refused("modes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]\n",
		"at most 16 modes");
}

/* A short training through `phasepinn run`: one mode, c = 1, the initial
 * hard constraint, 300 Adam and 300 L-BFGS steps on [16, 16] (5 s).  The
 * constraint alone (N = 0) predicts u0(x) for every t, whose rel. L2 error
 * against sin(πx)cos(πt) is sqrt(mean (1 − cos πt)² / mean cos² πt) =
 * sqrt(1.5/0.5) ≈ 1.7; the training must bring it below 0.1, i.e. learn the
 * time dependence (observed 3.3e-2; its boundary loss of ~6e-4, a
 * boundary error of sqrt(6e-4) ≈ 0.024, is the bulk of it). */
static void test_a_short_training_learns_one_standing_wave(void)
{
	static char dir[] = "/tmp/pp_test_wave_XXXXXX";
	const char *key = "\"error_rel_l2\":";
	char *text, *at;
	double e;

	CU_ASSERT_EQUAL_FATAL(pp_shell_init(dir), 0);
	pp_shell_write("w.yaml",
		       "seed: 5\nthreads: 1\noutput: out\npde:\n  type: wave\n  c: 1\n  modes: [1]\n"
		       "  amplitudes: [1]\n  terms:\n    residual: {points: 400}\n"
		       "    initial: {enabled: false}\n    initial_velocity: {enabled: false}\n"
		       "    boundary: {points: 100}\nnetwork:\n  layers: [16, 16]\n"
		       "  hard: {u: initial}\nweighting: {type: none}\nstages:\n"
		       "  - optimizer: adam\n    iterations: 300\n    lr: 1.0e-2\n"
		       "  - optimizer: lbfgs\n    iterations: 300\n"
		       "analyzers:\n  - {type: error, every: 300}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run w.yaml --quiet --no-plot"), 0);
	text = pp_shell_slurp("out/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	at = strstr(text, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	e = atof(at + strlen(key));
	printf("\nrel. L2 after the short training: %.3g\n", e);
	CU_ASSERT(e < 0.1);
	pp_shell_cleanup();
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"residual jacobians match central differences", test_residual_jacobians_match_central_differences},
		{"reference solves the wave equation", test_reference_solves_the_wave_equation},
		{"reference meets the initial and boundary data", test_reference_meets_the_initial_and_boundary_data},
		{"defaults are the wave1d-c problem", test_defaults_are_the_wave1d_c_problem},
		{"initial transform derivatives match differences", test_initial_transform_derivatives_match_differences},
		{"bad yaml is refused with a clear error", test_bad_yaml_is_refused_with_a_clear_error},
		{"a short training learns one standing wave", test_a_short_training_learns_one_standing_wave},
		{NULL, NULL},
	};
	PP_TEST_DOUBLE_ONLY();
	return pp_test_run("wave", cases);
}
