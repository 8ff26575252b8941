/* phasepinn plugin — the Kuramoto–Sivashinsky equation.
 *
 *   u_t + α·u·u_x + β·u_xx + γ·u_xxxx = 0,  x ∈ [0, 2π] periodic, t ∈ [0, 1],
 *   u(x, t0) = cos(x)·(1 + sin(x)),  α = 100/16, β = 100/16², γ = 100/16⁴.
 * With x = x'/16 and t = t'/100 this is u_t' + u·u_x' + u_x'x' + u_x'x'x'x' = 0
 * on [0, 32π], t' ∈ [0, 100], Kassam & Trefethen's (2005) chaotic example.
 * The network is exactly periodic in x (the engine's Fourier features).
 * Terms: residual (u, u_t, u_x, u_xx, u_xxxx), initial (u at t = t0).
 * Hard constraint `initial`: u = cos(x)(1 + sin(x)) + (t − t0)·N(x, t).
 * Keys: alpha, beta, gamma (> 0: the hyperdiffusion that keeps the problem
 * well posed), x, t: [lo, hi] (x's period must be a multiple of 2π so that
 * u0 is periodic), reference_modes (512), reference_dt (2.5e-5).
 *
 * Reference: Fourier spectral in x (2/3-rule dealiasing of u·u_x) with
 * ETDRK4 in time (spectral.h); L = βk² − γk⁴ is real (modes with k < 16
 * grow), so the half-circle contour applies.  The dynamics are chaotic
 * (t' up to 100): differences of rounding size grow by ~1e3..1e4 over
 * [0, 1], which sets the floor of the reference.  Measured on the 512 × 201
 * grid with dt = 1e-5 against 1024 modes: 256 modes are 2.8e-6 off, 384
 * 7e-10, 512 7e-11; over t ∈ [0, 0.1] (before the growth) dt = 1e-4, 5e-5,
 * 2.5e-5 are 5.8e-9, 4.3e-10, 2.8e-11 off dt = 1.25e-6 (fourth order).
 * The default (512 modes, dt = 2.5e-5) is within 3.3e-9 of 768 modes and
 * dt = 1.25e-5 and 3.2e-8 of 1024 modes and dt = 5e-6 over [0, 1]
 * (max |u| = 3.0).  About 1 s.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>

#include <phasepinn/sdk/domain.h>

#include "spectral.h"

enum { TERM_RESIDUAL, TERM_INITIAL };
enum { X, T };

typedef struct ks {
	double alpha, beta, gamma;
	double lo[2], hi[2];
	long modes;
	double dt;
} ks;

static int ks_check(const pp_config *cfg, ks *k, pp_error *err)
{
	double periods = (k->hi[X] - k->lo[X]) / (2 * M_PI);

	if (periods < 0.5 || fabs(periods - round(periods)) > 1e-9 * periods)
		return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "x"),
				       "x: the period %g must be a multiple of 2 pi (u0 = cos(x)(1 + "
				       "sin(x)) is periodic)", k->hi[X] - k->lo[X]);
	if (k->modes % 2)
		return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "reference_modes"),
				       "reference_modes must be even");
	return PP_OK;
}

static int ks_create(const pp_config *cfg, void **state, pp_error *err)
{
	ks *k = calloc(1, sizeof *k);
	int rc;

	if (!k)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "alpha", 100.0 / 16, -1e6, 1e6, &k->alpha, err);
	if (!rc)
		rc = pp_config_double(cfg, "beta", 100.0 / 256, -1e6, 1e6, &k->beta, err);
	if (!rc)
		rc = pp_config_double(cfg, "gamma", 100.0 / 65536, 1e-12, 1e6, &k->gamma, err);
	if (!rc)
		rc = pp_domain_read(cfg, "x", 0, 2 * M_PI, &k->lo[X], &k->hi[X], err);
	if (!rc)
		rc = pp_domain_read(cfg, "t", 0, 1, &k->lo[T], &k->hi[T], err);
	if (!rc)
		rc = pp_config_long(cfg, "reference_modes", 512, 16, 1L << 20, &k->modes, err);
	if (!rc)
		rc = pp_config_double(cfg, "reference_dt", 2.5e-5, 1e-9, 0.1, &k->dt, err);
	if (!rc)
		rc = ks_check(cfg, k, err);
	if (rc) {
		free(k);
		return rc;
	}
	*state = k;
	return PP_OK;
}

static void ks_destroy(void *state)
{
	free(state);
}

static int ks_describe(void *state, pp_pde_info *info, pp_error *err)
{
	const ks *k = state;
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
		.n_pieces = 1, .n_channels = 5,
		.channels = {PP_CHANNEL_U, PP_CHANNEL_D(T), PP_CHANNEL_D(X),
			     PP_CHANNEL_DD(X, X), PP_CHANNEL_D4(X, X, X, X)},
		.pair_input = -1};
	info->terms[TERM_INITIAL] = (pp_term_info){
		.name = "initial", .enabled = 1, .points = 512, .weight = 1, .n_pieces = 1,
		.pieces = {{.side = {PP_SIDE_FREE, PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_CHANNEL_U}, .pair_input = -1};
	info->has_reference = 1;
	/* 512 x (periodic, the hi end left out) by 201 t, both ends: KdV's grid */
	info->reference_grid = (pp_grid){.n_dims = 2, .n = {512, 201},
					 .lo = {k->lo[X], k->lo[T]}, .hi = {k->hi[X], k->hi[T]},
					 .endpoint = {0, 1}};
	info->n_transforms = 1;
	info->transforms[0].name = "initial";
	info->transforms[0].output = 0;
	info->transforms[0].summary = "u = cos(x)(1 + sin(x)) + (t - t0) N: the initial condition exactly";
	return PP_OK;
}

/* ∂^m/∂x^m of u0 = cos(x) + ½·sin(2x): cos(x + mπ/2) + 2^{m−1}·sin(2x + mπ/2). */
static double u0_derivative(double x, int m)
{
	return cos(x + m * M_PI / 2) + ldexp(1.0, m - 1) * sin(2 * x + m * M_PI / 2);
}

static int ks_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	const ks *k = state;
	const pp_real al = (pp_real)k->alpha, be = (pp_real)k->beta, ga = (pp_real)k->gamma;
	(void)err;

	if (a->term == TERM_INITIAL) {
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i] - (pp_real)u0_derivative((double)a->x[2 * i + X], 0);
			a->dr[0][i] = 1;
		}
		return PP_OK;
	}
	for (size_t i = 0; i < a->n; i++) {   /* channels u, u_t, u_x, u_xx, u_xxxx */
		pp_real u = a->u[0][i], ux = a->u[2][i];
		a->r[i] = a->u[1][i] + al * u * ux + be * a->u[3][i] + ga * a->u[4][i];
		a->dr[0][i] = al * ux;
		a->dr[1][i] = 1;
		a->dr[2][i] = al * u;
		a->dr[3][i] = be;
		a->dr[4][i] = ga;
	}
	return PP_OK;
}

/* g = u0(x), d = t − t0 and their derivatives in the channels asked for. */
static int ks_transform(void *state, const pp_transform_args *a, pp_error *err)
{
	const ks *k = state;

	if (a->transform != 0)
		return pp_error_set(err, PP_ERR_INVALID, "ks: no transform %d", a->transform);
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

/* f(u) = u²; the factor −(α/2)·ik makes it −α·u·u_x */
static void ks_pointwise(void *ctx, double *u, long n)
{
	(void)ctx;
	for (long i = 0; i < n; i++)
		u[i] = u[i] * u[i];
}

static double ks_initial(void *ctx, double x)
{
	(void)ctx;
	return cos(x) * (1 + sin(x));
}

static int ks_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	const ks *k = state;
	spectral s;
	int rc;

	rc = spectral_init(&s, "ks", k->modes, k->lo[X], k->hi[X] - k->lo[X], 1, err);
	if (rc)
		return rc;
	/* −β·(ik)² − γ·(ik)⁴ = βk² − γk⁴: real */
	for (long j = 0; j < s.m; j++) {
		double kj = spectral_wavenumber(&s, j);
		s.lin[j] = k->beta * kj * kj - k->gamma * kj * kj * kj * kj;
		s.factor[j] = -0.5 * k->alpha * I * kj;
	}
	s.real_linear = 1;
	s.keep = k->modes / 3 + 1;   /* 2/3 rule for the quadratic term */
	s.pointwise = ks_pointwise;
	spectral_set_initial(&s, ks_initial, NULL);
	rc = spectral_reference(&s, grid, k->lo[T], k->dt, ks_initial, NULL, u, err);
	spectral_free(&s);
	fftw_cleanup();
	return rc;
}

static const pp_pde_ops ks_ops = {
	.struct_size = sizeof ks_ops,
	.create = ks_create,
	.destroy = ks_destroy,
	.describe = ks_describe,
	.residual = ks_residual,
	.reference = ks_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
	.transform = ks_transform,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "ks",
		 "Kuramoto-Sivashinsky u_t + alpha u u_x + beta u_xx + gamma u_xxxx = 0, periodic "
		 "in x, ETDRK4 spectral reference",
		 &ks_ops)
