/* phasepinn plugins — Gauss-Hermite quadrature nodes and weights for
 * ∫ f(s) e^{−s²} ds ≈ Σ w_i f(s_i) (header-only helper).
 *
 * Golub-Welsch: the nodes are the eigenvalues of the symmetric tridiagonal
 * Jacobi matrix of the Hermite recurrence (zero diagonal, off-diagonal
 * √(j/2)), the weights √π·v_{0,i}² from the first components of its
 * normalised eigenvectors.  LAPACK's dstev (shipped with OpenBLAS) does the
 * eigen-decomposition; unlike Newton from asymptotic guesses it stays
 * correct for the hundreds of nodes the Burgers front needs. */
#ifndef PHASEPINN_PLUGINS_GAUSS_HERMITE_H
#define PHASEPINN_PLUGINS_GAUSS_HERMITE_H

#include <math.h>
#include <stdlib.h>

#include <phasepinn/error.h>

void dstev_(const char *jobz, const int *n, double *d, double *e, double *z, const int *ldz,
	    double *work, int *info);

static inline int pp_gauss_hermite(long n, double **nodes, double **weights, pp_error *err)
{
	int nn = (int)n, info = 0;
	double *d = calloc((size_t)n, sizeof *d), *e = calloc((size_t)n, sizeof *e);
	double *z = malloc((size_t)n * (size_t)n * sizeof *z);
	double *work = malloc((size_t)(2 * n) * sizeof *work);
	double *w = malloc((size_t)n * sizeof *w);

	if (!d || !e || !z || !work || !w) {
		info = -1;
		goto done;
	}
	for (long j = 1; j < n; j++)
		e[j - 1] = sqrt((double)j / 2.0);
	dstev_("V", &nn, d, e, z, &nn, work, &info);
	if (info == 0)
		for (long i = 0; i < n; i++)  /* column i of z (column-major) */
			w[i] = sqrt(M_PI) * z[(size_t)i * (size_t)n] * z[(size_t)i * (size_t)n];
done:
	free(e);
	free(z);
	free(work);
	if (info != 0) {
		free(d);
		free(w);
		return pp_error_set(err, info < 0 ? PP_ERR_NOMEM : PP_ERR_NUMERIC,
				    "Gauss-Hermite: %s for %ld nodes",
				    info < 0 ? "out of memory" : "eigenvalue solver failed", n);
	}
	*nodes = d;
	*weights = w;
	return PP_OK;
}

#endif
