/* phasepinn PDE plugins — private: Fourier spectral reference solvers with
 * ETDRK4 time stepping, shared by allen_cahn, kdv and ks.
 *
 * A 1-D periodic problem in x on [lo, lo + period) written per Fourier mode
 * as  v_t = L·v + N(v),  with L diagonal (lin[j]) and
 *   N(v) = factor[j] · FFT(f(u)),  u = IFFT(v),
 * f pointwise (the plugin's `pointwise` callback; f(u) = −ρu³ for
 * Allen–Cahn, u² for KdV and KS with factor = −(coefficient/2)·i·k_j, the
 * derivative of u²/2 taken in Fourier space).  factor NULL means 1.  Modes
 * at and above `keep` are set to zero in N (dealiasing: keep = n/3 is the
 * 2/3 rule; keep = m keeps every mode).
 *
 * Time stepping: ETDRK4 (Cox & Matthews 2002) with the coefficients by the
 * contour integrals of Kassam & Trefethen (2005): for a real L the mean over
 * CONTOUR_POINTS points on the upper half of the unit circle around h·L,
 * real part taken (their trick for real spectra), otherwise the mean over
 * 2·CONTOUR_POINTS points on the whole circle (L purely imaginary for KdV).
 *
 * Grids are (x, t) with x as input 0 and t as input 1 (pp_grid order, x
 * varying slowest); the solution is evaluated at the grid's x points by the
 * trigonometric interpolant, so any x points are allowed.
 *
 * Use: spectral_init(), fill lin (and factor, keep, pointwise, ctx,
 * real_linear) and the initial spectrum v (spectral_set_initial() from
 * values at the nodes, or directly), then spectral_reference(); finally
 * spectral_free().
 */
#ifndef PHASEPINN_PDES_SPECTRAL_H
#define PHASEPINN_PDES_SPECTRAL_H

#include <complex.h>   /* before fftw3.h: fftw_complex is double complex */

#include <fftw3.h>

#include <phasepinn/phasepinn.h>

typedef struct spectral {
	const char *name;       /* the plugin, for messages */
	long n, m;              /* grid points in x, complex modes n/2 + 1 */
	double lo, period;      /* x domain [lo, lo + period) */
	double *u;              /* n values in physical space */
	fftw_complex *v;        /* m modes: the solution (FFTW's convention) */
	fftw_complex *nv, *a, *na, *b, *nb, *c, *nc, *tmp;
	double complex *lin;    /* m: the linear operator per mode (caller fills) */
	double complex *factor; /* m or NULL: the factor of N per mode (caller) */
	long keep;              /* modes j >= keep are zero in N (m: none) */
	int real_linear;        /* 1: every lin[j] is real (caller) */
	/* f(u) in place on n values */
	void (*pointwise)(void *ctx, double *u, long n);
	void *ctx;
	double complex *e, *e2, *q, *f1, *f2, *f3;  /* ETDRK4 coefficients */
	double h;               /* step the coefficients were made for */
	fftw_plan fwd, inv;
} spectral;

/* Allocate for @n (even) points on [lo, lo + period); lin and factor are
 * allocated and zeroed (factor only when @with_factor), keep = m. */
int spectral_init(spectral *s, const char *name, long n, double lo, double period,
		  int with_factor, pp_error *err);
void spectral_free(spectral *s);

/* Angular wavenumber of mode j: 2π·j / period. */
double spectral_wavenumber(const spectral *s, long j);

/* v = FFT of u0 at the nodes x_i = lo + i·period/n (exact for a
 * band-limited u0 with fewer than n/2 modes); the Nyquist mode is zeroed. */
void spectral_set_initial(spectral *s, double (*u0)(void *ctx, double x), void *ctx);

/* Fill u[n_x × n_t] (x slowest) on @grid from t0, where v holds the
 * solution, in steps no longer than @dt; points at t = t0 take @u0 exactly.
 * The grid must not start before t0.  Fails with PP_ERR_NUMERIC when the
 * solution is not finite. */
int spectral_reference(spectral *s, const pp_grid *grid, double t0, double dt,
		       double (*u0)(void *ctx, double x), void *ctx, double *u, pp_error *err);

#endif
