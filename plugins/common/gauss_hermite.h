/* phasepinn plugins — Gauss-Hermite quadrature nodes and weights for
 * ∫ f(s) e^{−s²} ds ≈ Σ w_i f(s_i) (header-only helper).
 *
 * Newton iteration on the orthonormal Hermite polynomials
 *   p_0 = π^{−1/4}, p_j = s·√(2/j)·p_{j−1} − √((j−1)/j)·p_{j−2},
 *   p_n' = √(2n)·p_{n−1},  w = 2/p_n'(s)²,
 * with the usual asymptotic first guesses for the roots (largest first) and
 * symmetry s_{n−1−i} = −s_i. */
#ifndef PHASEPINN_PLUGINS_GAUSS_HERMITE_H
#define PHASEPINN_PLUGINS_GAUSS_HERMITE_H

#include <math.h>
#include <stdlib.h>

#include <phasepinn/error.h>

static inline void pp_hermite_eval(long n, double s, double *p, double *dp)
{
	double p0 = 0.7511255444649425 /* π^{-1/4} */, p1 = 0;

	for (long j = 1; j <= n; j++) {
		double pj = s * sqrt(2.0 / (double)j) * p0 - sqrt((double)(j - 1) / (double)j) * p1;
		p1 = p0;
		p0 = pj;
	}
	*p = p0;
	*dp = sqrt(2.0 * (double)n) * p1;
}

static inline int pp_gauss_hermite(long n, double **nodes, double **weights, pp_error *err)
{
	double *s = malloc((size_t)n * sizeof *s), *w = malloc((size_t)n * sizeof *w);
	double z = 0;

	if (!s || !w) {
		free(s);
		free(w);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for %ld quadrature nodes", n);
	}
	for (long i = 0; i < (n + 1) / 2; i++) {
		double p, dp;
		if (i == 0)
			z = sqrt(2.0 * n + 1) - 1.85575 * pow(2.0 * n + 1, -1.0 / 6);
		else if (i == 1)
			z -= 1.14 * pow((double)n, 0.426) / z;
		else if (i == 2)
			z = 1.86 * z - 0.86 * s[0];
		else if (i == 3)
			z = 1.91 * z - 0.91 * s[1];
		else
			z = 2.0 * z - s[i - 2];
		for (int it = 0; it < 100; it++) {
			double step;
			pp_hermite_eval(n, z, &p, &dp);
			step = p / dp;
			z -= step;
			if (fabs(step) <= 1e-15 * fmax(1.0, fabs(z)))
				break;
		}
		pp_hermite_eval(n, z, &p, &dp);
		s[i] = z;
		s[n - 1 - i] = -z;
		w[i] = w[n - 1 - i] = 2.0 / (dp * dp);
	}
	*nodes = s;
	*weights = w;
	return PP_OK;
}

#endif
