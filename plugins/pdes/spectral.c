/* phasepinn PDE plugins — private: Fourier spectral + ETDRK4 reference
 * solvers (see spectral.h). */
#include "spectral.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { X, T };   /* grid inputs */

#define CONTOUR_POINTS 64

void spectral_free(spectral *s)
{
	if (s->fwd)
		fftw_destroy_plan(s->fwd);
	if (s->inv)
		fftw_destroy_plan(s->inv);
	fftw_free(s->u);
	fftw_complex *cs[] = {s->v, s->nv, s->a, s->na, s->b, s->nb, s->c, s->nc, s->tmp};
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
		fftw_free(cs[i]);
	double complex *rs[] = {s->e, s->e2, s->q, s->f1, s->f2, s->f3, s->lin, s->factor};
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
		free(rs[i]);
	memset(s, 0, sizeof *s);
}

int spectral_init(spectral *s, const char *name, long n, double lo, double period,
		  int with_factor, pp_error *err)
{
	long m = n / 2 + 1;

	memset(s, 0, sizeof *s);
	s->name = name;
	s->n = n;
	s->m = m;
	s->lo = lo;
	s->period = period;
	s->keep = m;
	s->u = fftw_malloc((size_t)n * sizeof *s->u);
	fftw_complex **cs[] = {&s->v, &s->nv, &s->a, &s->na, &s->b, &s->nb, &s->c, &s->nc, &s->tmp};
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
		if (!(*cs[i] = fftw_malloc((size_t)m * sizeof(fftw_complex))))
			goto nomem;
	double complex **rs[] = {&s->e, &s->e2, &s->q, &s->f1, &s->f2, &s->f3, &s->lin, &s->factor};
	for (size_t i = 0; i < sizeof rs / sizeof rs[0] - !with_factor; i++)
		if (!(*rs[i] = calloc((size_t)m, sizeof(double complex))))
			goto nomem;
	if (!s->u)
		goto nomem;
	s->fwd = fftw_plan_dft_r2c_1d((int)n, s->u, s->v, FFTW_ESTIMATE);
	s->inv = fftw_plan_dft_c2r_1d((int)n, s->tmp, s->u, FFTW_ESTIMATE);
	if (!s->fwd || !s->inv)
		goto nomem;
	return PP_OK;
nomem:
	spectral_free(s);
	return pp_error_set(err, PP_ERR_NOMEM, "%s: out of memory for %ld modes", name, n);
}

double spectral_wavenumber(const spectral *s, long j)
{
	return 2.0 * M_PI / s->period * (double)j;
}

void spectral_set_initial(spectral *s, double (*u0)(void *ctx, double x), void *ctx)
{
	for (long i = 0; i < s->n; i++)
		s->u[i] = u0(ctx, s->lo + s->period * (double)i / (double)s->n);
	fftw_execute_dft_r2c(s->fwd, s->u, s->v);
	s->v[s->n / 2] = 0;
}

/* The three ETDRK4 integrals of Kassam & Trefethen (eq. 2.5) at z = hL + r. */
static void contour_terms(double complex z, double complex *q, double complex *f1,
			  double complex *f2, double complex *f3)
{
	double complex ez = cexp(z), z3 = z * z * z;

	*q += (cexp(z / 2) - 1) / z;
	*f1 += (-4.0 - z + ez * (4.0 - 3.0 * z + z * z)) / z3;
	*f2 += (2.0 + z + ez * (z - 2.0)) / z3;
	*f3 += (-4.0 - 3.0 * z - z * z + ez * (4.0 - z)) / z3;
}

/* ETDRK4 coefficients for step h: contour means around h·L (see spectral.h). */
static void etd_coefficients(spectral *s, double h)
{
	for (long k = 0; k < s->m; k++) {
		double complex L = s->lin[k], q = 0, f1 = 0, f2 = 0, f3 = 0;
		if (s->real_linear) {
			for (int j = 1; j <= CONTOUR_POINTS; j++) {
				double complex r = cexp(I * M_PI * (j - 0.5) / CONTOUR_POINTS);
				contour_terms(h * creal(L) + r, &q, &f1, &f2, &f3);
			}
			s->e[k] = exp(h * creal(L));
			s->e2[k] = exp(h * creal(L) / 2);
			s->q[k] = h * creal(q) / CONTOUR_POINTS;
			s->f1[k] = h * creal(f1) / CONTOUR_POINTS;
			s->f2[k] = h * creal(f2) / CONTOUR_POINTS;
			s->f3[k] = h * creal(f3) / CONTOUR_POINTS;
			continue;
		}
		for (int j = 1; j <= 2 * CONTOUR_POINTS; j++) {
			double complex r = cexp(I * M_PI * (j - 0.5) / CONTOUR_POINTS);
			contour_terms(h * L + r, &q, &f1, &f2, &f3);
		}
		s->e[k] = cexp(h * L);
		s->e2[k] = cexp(h * L / 2);
		s->q[k] = h * q / (2 * CONTOUR_POINTS);
		s->f1[k] = h * f1 / (2 * CONTOUR_POINTS);
		s->f2[k] = h * f2 / (2 * CONTOUR_POINTS);
		s->f3[k] = h * f3 / (2 * CONTOUR_POINTS);
	}
	s->h = h;
}

/* a·b without the C99 checks for infinities (__muldc3): the values here are
 * finite, and for a real a this is exactly a·Re b + i·a·Im b. */
static inline double complex cmul(double complex a, double complex b)
{
	/* built through its two parts (C11 6.2.5: a complex is an array of
	 * two reals), as CMPLX would, which not every compiler's complex.h
	 * has (clang's build of libFuzzer lacked it) */
	double complex z;
	double *part = (double *)&z;

	part[0] = creal(a) * creal(b) - cimag(a) * cimag(b);
	part[1] = creal(a) * cimag(b) + cimag(a) * creal(b);
	return z;
}

/* out = N(v) = factor · FFT(f(IFFT(v))), modes from keep on zeroed. */
static void etd_nonlinear(spectral *s, const fftw_complex *v, fftw_complex *out)
{
	memcpy(s->tmp, v, (size_t)s->m * sizeof *s->tmp);
	fftw_execute_dft_c2r(s->inv, s->tmp, s->u);
	for (long i = 0; i < s->n; i++)
		s->u[i] /= (double)s->n;
	s->pointwise(s->ctx, s->u, s->n);
	fftw_execute_dft_r2c(s->fwd, s->u, out);
	if (s->factor)
		for (long k = 0; k < s->keep; k++)
			out[k] = cmul(s->factor[k], out[k]);
	for (long k = s->keep; k < s->m; k++)
		out[k] = 0;
}

/* c·v, for a real c (real_linear) as the two real products */
static inline double complex coef_mul(int real, double complex c, double complex v)
{
	return real ? creal(c) * v : cmul(c, v);
}

/* One ETDRK4 step; @real is a constant in each call, so both versions
 * compile to straight loops. */
static inline void etd_step_with(spectral *s, int real)
{
	long m = s->m;

	etd_nonlinear(s, s->v, s->nv);
	for (long k = 0; k < m; k++)
		s->a[k] = coef_mul(real, s->e2[k], s->v[k]) + coef_mul(real, s->q[k], s->nv[k]);
	etd_nonlinear(s, s->a, s->na);
	for (long k = 0; k < m; k++)
		s->b[k] = coef_mul(real, s->e2[k], s->v[k]) + coef_mul(real, s->q[k], s->na[k]);
	etd_nonlinear(s, s->b, s->nb);
	for (long k = 0; k < m; k++)
		s->c[k] = coef_mul(real, s->e2[k], s->a[k]) +
			  coef_mul(real, s->q[k], 2.0 * s->nb[k] - s->nv[k]);
	etd_nonlinear(s, s->c, s->nc);
	for (long k = 0; k < m; k++)
		s->v[k] = coef_mul(real, s->e[k], s->v[k]) + coef_mul(real, s->f1[k], s->nv[k]) +
			  coef_mul(real, s->f2[k], 2.0 * (s->na[k] + s->nb[k])) +
			  coef_mul(real, s->f3[k], s->nc[k]);
}

static void etd_step(spectral *s)
{
	if (s->real_linear)
		etd_step_with(s, 1);
	else
		etd_step_with(s, 0);
}

/* Advance from @t to @target (> t) in equal steps no longer than dt, the
 * last one landing exactly on @target.  The coefficients are recomputed
 * only when the step changes by more than rounding (1e-12 relative; reusing
 * them then moves the time by at most 1e-12 of the interval). */
static void etd_advance(spectral *s, double dt, double t, double target)
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

/* Evaluation of the spectral solution at the grid's x points: the
 * trigonometric interpolant u(x) = (1/N)·[v_0 + Σ_j w_j·Re(v_j e^{iωjξ})],
 * ξ = x − lo, ω = 2π/period (w_j = 2, the Nyquist mode 1, as its cosine).
 * The powers e^{iωjξ} come from a complex rotation per mode, re-seeded with
 * cos/sin every RESEED modes so their rounding stays ~1e-14, and the loop
 * over x vectorises. */
#define RESEED 128

typedef struct spectral_eval {
	long nx;
	double omega;
	double *xi;             /* x − lo at each point */
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

static int eval_init(spectral_eval *ev, const spectral *s, const pp_grid *grid, pp_error *err)
{
	long nx = grid->n[X];
	double x[PP_MAX_INPUTS];

	ev->nx = nx;
	ev->omega = 2.0 * M_PI / s->period;
	ev->xi = malloc((size_t)nx * sizeof *ev->xi);
	ev->base_re = malloc((size_t)nx * sizeof *ev->base_re);
	ev->base_im = malloc((size_t)nx * sizeof *ev->base_im);
	ev->pow_re = malloc((size_t)nx * sizeof *ev->pow_re);
	ev->pow_im = malloc((size_t)nx * sizeof *ev->pow_im);
	if (!ev->xi || !ev->base_re || !ev->base_im || !ev->pow_re || !ev->pow_im) {
		eval_free(ev);
		return pp_error_set(err, PP_ERR_NOMEM,
				    "%s: out of memory for %ld grid points in x", s->name, nx);
	}
	for (long ix = 0; ix < nx; ix++) {
		pp_grid_point(grid, (size_t)(ix * grid->n[T]), x);
		ev->xi[ix] = x[X] - s->lo;
		ev->base_re[ix] = cos(ev->omega * ev->xi[ix]);
		ev->base_im[ix] = sin(ev->omega * ev->xi[ix]);
	}
	return PP_OK;
}

/* u at every x of the grid into out[ix·stride]. */
static void eval_spectrum(const spectral *s, spectral_eval *ev, double *out, size_t stride)
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
				pr[ix] = cos(ev->omega * (double)j * ev->xi[ix]);
				pi[ix] = sin(ev->omega * (double)j * ev->xi[ix]);
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

int spectral_reference(spectral *s, const pp_grid *grid, double t0, double dt,
		       double (*u0)(void *ctx, double x), void *ctx, double *u, pp_error *err)
{
	long nx, nt;
	double t = t0, x[PP_MAX_INPUTS];
	spectral_eval ev = {0};
	int rc;

	rc = pp_grid_check(grid, 2, err);
	if (rc)
		return pp_error_prefix(err, "%s reference (x, t)", s->name);
	if (grid->lo[T] < t0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s reference: the grid starts at t = %g, before t = %g",
				    s->name, grid->lo[T], t0);
	nx = grid->n[X];
	nt = grid->n[T];
	rc = eval_init(&ev, s, grid, err);
	if (rc)
		return rc;
	for (long it = 0; it < nt; it++) {
		pp_grid_point(grid, (size_t)it, x);   /* first x, it-th t */
		if (x[T] > t)
			etd_advance(s, dt, t, x[T]);
		t = x[T];
		if (t > t0) {
			eval_spectrum(s, &ev, u + it, (size_t)nt);
			continue;
		}
		for (long ix = 0; ix < nx; ix++)   /* the exact IC, not its series */
			u[ix * nt + it] = u0(ctx, ev.xi[ix] + s->lo);
	}
	for (size_t i = 0; i < pp_grid_size(grid); i++)
		if (!isfinite(u[i])) {
			rc = pp_error_set(err, PP_ERR_NUMERIC,
					  "%s reference is not finite; lower reference_dt", s->name);
			break;
		}
	eval_free(&ev);
	return rc;
}
