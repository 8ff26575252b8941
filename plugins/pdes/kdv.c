/* phasepinn plugin — the Korteweg–de Vries equation.
 *
 *   u_t + λ1·u·u_x + λ2·u_xxx = 0,  x ∈ [−1, 1] periodic, t ∈ [0, 1],
 *   u(x, t0) = cos(πx),  λ1 = 1, λ2 = 0.0025 (Raissi et al.'s KdV data).
 * The network is exactly periodic in x (the engine's Fourier features).
 * Terms: residual (u, u_t, u_x, u_xxx), initial (u at t = t0).
 * Hard constraint `initial`: u = cos(πx) + (t − t0)·N(x, t).
 * Keys: lambda1 (1), lambda2 (0.0025, > 0: the dispersion that keeps the
 * problem well posed), x, t: [lo, hi] (x's period must be a multiple of 2 so
 * that cos(πx) is periodic), reference_modes (512), reference_dt (1e-4).
 *
 * Reference: Fourier spectral in x (2/3-rule dealiasing of u·u_x) with
 * ETDRK4 in time (spectral.h); the stiff dispersion λ2·k³ (1.3e6 at the
 * highest of 512 modes) is integrated exactly by the exponentials, the step
 * is limited by the nonlinear term.  Measured on the classic 512 × 201 grid
 * against 1024 modes and dt = 1e-5: 128 modes are 9e-8 off, 192 and more
 * 1.5e-11 (the time error of dt = 1e-4); with 512 modes dt = 1e-3, 5e-4,
 * 2.5e-4 are 8.5e-8, 5.2e-9, 3.2e-10 off (fourth order) and the default
 * 1e-4 1.5e-11.  About 0.3 s.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>

#include <phasepinn/sdk/domain.h>

#include "spectral.h"

enum { TERM_RESIDUAL, TERM_INITIAL };
enum { X, T };

typedef struct kdv {
	double lambda1, lambda2;
	double lo[2], hi[2];
	long modes;
	double dt;
} kdv;

static int kdv_check(const pp_config *cfg, kdv *k, pp_error *err)
{
	double half_periods = (k->hi[X] - k->lo[X]) / 2;

	if (fabs(half_periods - round(half_periods)) > 1e-9 * half_periods)
		return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "x"),
				       "x: the period %g must be a multiple of 2 (u0 = cos(pi x) "
				       "is periodic)", k->hi[X] - k->lo[X]);
	if (k->modes % 2)
		return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "reference_modes"),
				       "reference_modes must be even");
	return PP_OK;
}

static int kdv_create(const pp_config *cfg, void **state, pp_error *err)
{
	kdv *k = calloc(1, sizeof *k);
	int rc;

	if (!k)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "lambda1", 1, -1e6, 1e6, &k->lambda1, err);
	if (!rc)
		rc = pp_config_double(cfg, "lambda2", 0.0025, 1e-12, 1e6, &k->lambda2, err);
	if (!rc)
		rc = pp_domain_read(cfg, "x", -1, 1, &k->lo[X], &k->hi[X], err);
	if (!rc)
		rc = pp_domain_read(cfg, "t", 0, 1, &k->lo[T], &k->hi[T], err);
	if (!rc)
		rc = pp_config_long(cfg, "reference_modes", 512, 16, 1L << 20, &k->modes, err);
	if (!rc)
		rc = pp_config_double(cfg, "reference_dt", 1e-4, 1e-9, 0.1, &k->dt, err);
	if (!rc)
		rc = kdv_check(cfg, k, err);
	if (rc) {
		free(k);
		return rc;
	}
	*state = k;
	return PP_OK;
}

static void kdv_destroy(void *state)
{
	free(state);
}

static int kdv_describe(void *state, pp_pde_info *info, pp_error *err)
{
	const kdv *k = state;
	(void)err;

	info->n_inputs = 2;
	info->input_names[X] = "x";
	info->input_names[T] = "t";
	for (int d = 0; d < 2; d++) {
		info->lo[d] = k->lo[d];
		info->hi[d] = k->hi[d];
	}
	info->time_input = T;
	info->periodic_input = X;
	info->n_terms = 2;
	info->terms[TERM_RESIDUAL] = (pp_term_info){
		.name = "residual", .interior = 1, .enabled = 1, .points = 10000, .weight = 1,
		.n_pieces = 1, .n_channels = 4,
		.channels = {PP_CHANNEL_U, PP_CHANNEL_D(T), PP_CHANNEL_D(X),
			     PP_CHANNEL_D3(X, X, X)},
		.pair_input = -1};
	info->terms[TERM_INITIAL] = (pp_term_info){
		.name = "initial", .enabled = 1, .points = 512, .weight = 1, .n_pieces = 1,
		.pieces = {{.side = {PP_SIDE_FREE, PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	info->has_reference = 1;
	/* the classic grid of Raissi et al.'s KdV data: 512 x (periodic, the hi
	 * end left out) by 201 t, both ends */
	info->reference_grid = (pp_grid){.n_dims = 2, .n = {512, 201},
					 .lo = {k->lo[X], k->lo[T]}, .hi = {k->hi[X], k->hi[T]},
					 .endpoint = {0, 1}};
	info->n_transforms = 1;
	info->transforms[0].name = "initial";
	info->transforms[0].output = 0;
	info->transforms[0].summary = "u = cos(pi x) + (t - t0) N: the initial condition exactly";
	return PP_OK;
}

static int kdv_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	const kdv *k = state;
	const pp_real l1 = (pp_real)k->lambda1, l2 = (pp_real)k->lambda2;
	(void)err;

	if (a->term == TERM_INITIAL) {
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i] - (pp_real)cos(M_PI * (double)a->x[2 * i + X]);
			a->dr[0][i] = 1;
		}
		return PP_OK;
	}
	for (size_t i = 0; i < a->n; i++) {   /* channels u, u_t, u_x, u_xxx */
		pp_real u = a->u[0][i], ux = a->u[2][i];
		a->r[i] = a->u[1][i] + l1 * u * ux + l2 * a->u[3][i];
		a->dr[0][i] = l1 * ux;
		a->dr[1][i] = 1;
		a->dr[2][i] = l1 * u;
		a->dr[3][i] = l2;
	}
	return PP_OK;
}

/* ∂^m/∂x^m cos(πx) = π^m·cos(πx + mπ/2). */
static double u0_derivative(double x, int m)
{
	return pow(M_PI, m) * cos(M_PI * x + m * M_PI / 2);
}

/* g = cos(πx), d = t − t0 and their derivatives in the channels asked for. */
static int kdv_transform(void *state, const pp_transform_args *a, pp_error *err)
{
	const kdv *k = state;

	if (a->transform != 0)
		return pp_error_set(err, PP_ERR_INVALID, "kdv: no transform %d", a->transform);
	for (int c = 0; c < a->n_channels; c++) {
		const pp_channel *ch = &a->channels[c];
		int nx = 0, nt = 0;
		for (int j = 0; j < ch->order; j++)
			nx += ch->d[j] == X, nt += ch->d[j] == T;
		for (size_t i = 0; i < a->n; i++) {
			double x = (double)a->x[2 * i + X], t = (double)a->x[2 * i + T];
			a->g[c][i] = nt ? 0 : (pp_real)u0_derivative(x, nx);
			a->d[c][i] = ch->order == 0 ? (pp_real)(t - k->lo[T]) : (pp_real)(nx == 0 && nt == 1);
		}
	}
	return PP_OK;
}

/* ---- reference: Fourier spectral + ETDRK4 (spectral.h) ---------------------- */

/* f(u) = u²; the factor −(λ1/2)·ik makes it −λ1·u·u_x */
static void kdv_pointwise(void *ctx, double *u, long n)
{
	(void)ctx;
	for (long i = 0; i < n; i++)
		u[i] = u[i] * u[i];
}

static double kdv_initial(void *ctx, double x)
{
	(void)ctx;
	return cos(M_PI * x);
}

static int kdv_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	const kdv *k = state;
	spectral s;
	int rc;

	rc = spectral_init(&s, "kdv", k->modes, k->lo[X], k->hi[X] - k->lo[X], 1, err);
	if (rc)
		return rc;
	/* −λ2·(ik)³ = iλ2k³: purely imaginary, the whole contour is needed */
	for (long j = 0; j < s.m; j++) {
		double kj = spectral_wavenumber(&s, j);
		s.lin[j] = I * k->lambda2 * kj * kj * kj;
		s.factor[j] = -0.5 * k->lambda1 * I * kj;
	}
	s.keep = k->modes / 3 + 1;   /* 2/3 rule for the quadratic term */
	s.pointwise = kdv_pointwise;
	spectral_set_initial(&s, kdv_initial, NULL);
	rc = spectral_reference(&s, grid, k->lo[T], k->dt, kdv_initial, NULL, u, err);
	spectral_free(&s);
	fftw_cleanup();
	return rc;
}

static const pp_pde_ops kdv_ops = {
	.struct_size = sizeof kdv_ops,
	.create = kdv_create,
	.destroy = kdv_destroy,
	.describe = kdv_describe,
	.residual = kdv_residual,
	.reference = kdv_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
	.transform = kdv_transform,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "kdv",
		 "Korteweg-de Vries u_t + lambda1 u u_x + lambda2 u_xxx = 0, periodic in x, "
		 "ETDRK4 spectral reference",
		 &kdv_ops)
