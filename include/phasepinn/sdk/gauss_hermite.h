/* phasepinn plugin SDK — Gauss-Hermite quadrature nodes and weights for
 * ∫ f(s) e^{−s²} ds ≈ Σ w_i f(s_i).
 *
 * For plugin authors (installed as <phasepinn/sdk/gauss_hermite.h>,
 * header-only): n-point nodes and log-weights to full precision for any n,
 * e.g. for a reference solution written as a Gaussian convolution (the
 * Burgers plugin's Cole-Hopf solution uses it).
 *
 * Golub-Welsch: the nodes are the eigenvalues of the symmetric tridiagonal
 * Jacobi matrix of the orthonormal Hermite recurrence (zero diagonal,
 * off-diagonal b_j = √(j/2)).  Each eigenvalue is found by bisection on the
 * Sturm count (the number of negative pivots of J − λI), which reaches full
 * precision for every node however many there are.  The weights come from the
 * Christoffel function, w_i = 1 / Σ_{k<n} p_k(s_i)² with p_k the orthonormal
 * polynomials: a sum of positive terms, so even the e^{−s²}-tiny weights of
 * the outermost nodes keep full relative accuracy (eigenvector components
 * from an eigen-solver only have absolute accuracy, ~1e-16 of the largest,
 * which the Burgers integrand, up to e^{100} times larger out there, would
 * amplify).  Nodes and weights are exactly symmetric: s_{n−1−i} = −s_i.
 */
#ifndef PHASEPINN_SDK_GAUSS_HERMITE_H
#define PHASEPINN_SDK_GAUSS_HERMITE_H

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <phasepinn/error.h>

/* π and ln 10 written out: M_PI and M_LN10 are POSIX, not ISO C, and a
 * plugin author may compile with plain -std=c11 (same digits as glibc's). */
#define PP_GH_PI 3.14159265358979323846
#define PP_GH_LN10 2.30258509299404568402

/* Number of eigenvalues of the n × n Hermite Jacobi matrix below @lambda. */
static inline long pp_gh_sturm_count(long n, double lambda)
{
	long count = 0;
	double q = -lambda;

	for (long k = 0; k < n; k++) {
		if (k > 0)
			q = -lambda - 0.5 * (double)k / q;   /* b_k² = k/2 */
		if (q == 0)
			q = -DBL_MIN;   /* a zero pivot counts as just negative */
		count += q < 0;
	}
	return count;
}

/* The (k+1)-th smallest node: bisection on [lo, hi] until the interval can
 * no longer shrink in double precision. */
static inline double pp_gh_node(long n, long k, double lo, double hi)
{
	for (;;) {
		double mid = 0.5 * (lo + hi);
		if (mid <= lo || mid >= hi)
			return mid;
		if (pp_gh_sturm_count(n, mid) > k)
			hi = mid;
		else
			lo = mid;
	}
}

/* log of the weight 1 / Σ_{k<n} p_k(s)², the recurrence rescaled whenever it
 * grows large (p_k(s) reaches e^{s²/2} ≈ e^{480} for the outer nodes of
 * n = 480, whose weights underflow a double). */
static inline double pp_gh_log_weight(long n, double s)
{
	double prev = 0, cur = pow(PP_GH_PI, -0.25), sum = cur * cur, log_scale = 0;

	for (long k = 1; k < n; k++) {
		double next = (s * cur - sqrt(0.5 * (double)(k - 1)) * prev) / sqrt(0.5 * (double)k);
		prev = cur;
		cur = next;
		sum += cur * cur;
		if (fabs(cur) > 1e100) {   /* true value = stored · e^{log_scale} */
			prev *= 1e-100;
			cur *= 1e-100;
			sum *= 1e-200;
			log_scale += 100 * PP_GH_LN10;
		}
	}
	return -log(sum) - 2 * log_scale;
}

/* @n nodes (ascending) and the natural logs of their weights, newly
 * allocated into *nodes, *log_weights (the caller frees both).  Logs, because
 * the outer weights underflow while the integrand there may be huge. */
static inline int pp_gauss_hermite(long n, double **nodes, double **log_weights,
				   pp_error *err)
{
	double *s, *w, bound = sqrt(2.0 * (double)n + 1.0) + 1.0;  /* nodes < √(2n+1) */

	if (n < 1)
		return pp_error_set(err, PP_ERR_INVALID, "Gauss-Hermite needs at least one node");
	s = malloc((size_t)n * sizeof *s);
	w = malloc((size_t)n * sizeof *w);
	if (!s || !w) {
		free(s);
		free(w);
		return pp_error_set(err, PP_ERR_NOMEM, "Gauss-Hermite: out of memory for %ld nodes", n);
	}
	for (long k = n / 2; k < n; k++) {   /* the upper half; mirror the rest */
		s[k] = k == (n - 1) / 2 && n % 2 ? 0.0 : pp_gh_node(n, k, 0.0, bound);
		w[k] = pp_gh_log_weight(n, s[k]);
		s[n - 1 - k] = -s[k];
		w[n - 1 - k] = w[k];
	}
	*nodes = s;
	*log_weights = w;
	return PP_OK;
}

#endif
