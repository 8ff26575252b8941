/* phasepinn plugin SDK — residual-based attention's view of a term's
 * residuals, shared by the rba weighting and the homogeneity analyzer's
 * shadow multiplier so that the two agree bit for bit.
 *
 * For plugin authors (installed as <phasepinn/sdk/residual_map.h>,
 * header-only): a point's magnitude a_i (|r_i|, or for a system either the
 * norm the trainer reduced it to or Σ_k |r_k,i| as the authors' cavity code
 * does), and the offset and scale that map the term's magnitudes onto
 * [0, 1], a_i ↦ (a_i − lo)·scale with lo = 0 (max normalisation) or the
 * minimum (min-max).  All-equal magnitudes give scale 0: no point stands
 * out.
 */
#ifndef PHASEPINN_SDK_RESIDUAL_MAP_H
#define PHASEPINN_SDK_RESIDUAL_MAP_H

#include <math.h>

#include <phasepinn/phasepinn.h>

/* |r_i| of point i; with @sum_abs and several components, Σ_k |r_k,i|. */
static inline double pp_residual_magnitude(const pp_term_state *t, size_t i, int sum_abs)
{
	double a = 0;

	if (t->n_components <= 1 || !sum_abs)
		return fabs((double)t->r[i]);
	for (int k = 0; k < t->n_components; k++)
		a += fabs((double)t->components[(size_t)k * t->n + i]);
	return a;
}

/* The smallest and largest magnitude over @t's points (INFINITY and 0
 * without points). */
static inline void pp_residual_range(const pp_term_state *t, int sum_abs, double *mn,
				     double *mx)
{
	*mx = 0;
	*mn = INFINITY;
	for (size_t i = 0; i < t->n; i++) {
		double a = pp_residual_magnitude(t, i, sum_abs);
		*mx = a > *mx ? a : *mx;
		*mn = a < *mn ? a : *mn;
	}
}

/* lo and scale of the map from a range (@any: there are points). */
static inline void pp_residual_map_range(double mn, double mx, int any, int minmax, double *lo,
					 double *scale)
{
	*lo = minmax && any ? mn : 0;
	*scale = mx > *lo ? 1.0 / (mx - *lo) : 0;
}

/* lo and scale of the map above over @t's points. */
static inline void pp_residual_map(const pp_term_state *t, int sum_abs, int minmax, double *lo,
				   double *scale)
{
	double mx, mn;

	pp_residual_range(t, sum_abs, &mn, &mx);
	pp_residual_map_range(mn, mx, t->n > 0, minmax, lo, scale);
}

/* The same over every rank of a data-parallel run (collective: every rank
 * calls it for the term, docs/scaling.md): the range is reduced with
 * pp_problem_allreduce, so the map is the one-rank map of all the points. */
static inline int pp_residual_map_all(const pp_step_view *v, int k, int sum_abs, int minmax,
				      double *lo, double *scale, pp_error *err)
{
	const pp_term_state *t = &v->terms[k];
	double range[2];
	int rc;

	pp_residual_range(t, sum_abs, &range[0], &range[1]);
	range[0] = -range[0];   /* one MAX reduces both */
	rc = pp_problem_allreduce(v->problem, range, 2, PP_REDUCE_MAX, err);
	pp_residual_map_range(-range[0], range[1], pp_view_points(v, k) > 0, minmax, lo, scale);
	return rc;
}

#endif
