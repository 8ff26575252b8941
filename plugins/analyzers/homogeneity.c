/* phasepinn plugin — residual homogeneity (the phase-transition paper's
 * φ_RBA, after the authors' code).
 *
 * The interior points are binned on a grid over the PDE's own box (first two
 * inputs, `bins: [10, 10]`; one input: `bins: [10]`); b_k = mean of the
 * scheme's λ over the points in bin k (empty bins left out);
 *   homog_phi = mean(b)/√mean(b²) = 1/√(1 + CV²)   (1: homogeneous),
 * plus the coefficient of variation and max/mean of the raw |r| over the
 * interior points (homog_cv_r, homog_max_over_mean_r).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>

typedef struct homogeneity {
	int dims;
	long bins[2];
	double lo[2], hi[2];
	double *sum;
	long *count;
} homogeneity;

static const char *const homog_columns[] = {"homog_phi", "homog_cv_r", "homog_max_over_mean_r"};

static void hg_destroy(void *state)
{
	homogeneity *h = state;

	if (!h)
		return;
	free(h->sum);
	free(h->count);
	free(h);
}

/* bins: one count per binned input, default 10 each (recorded). */
static int read_bins(const pp_config *cfg, homogeneity *h, pp_error *err)
{
	static const long def[2] = {10, 10};

	h->bins[1] = 1;
	return pp_config_long_list(cfg, "bins", (size_t)h->dims, def, 1, 10000, h->bins, err);
}

static int hg_create(const pp_config *cfg, const pp_problem *problem, void **state,
		     pp_error *err)
{
	homogeneity *h = calloc(1, sizeof *h);
	int rc;

	if (!h)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	h->dims = problem->pde->n_inputs >= 2 ? 2 : 1;
	for (int d = 0; d < h->dims; d++) {
		h->lo[d] = problem->pde->lo[d];
		h->hi[d] = problem->pde->hi[d];
	}
	rc = read_bins(cfg, h, err);
	if (!rc) {
		size_t n = (size_t)h->bins[0] * (size_t)(h->dims == 2 ? h->bins[1] : 1);
		h->sum = calloc(n, sizeof *h->sum);
		h->count = calloc(n, sizeof *h->count);
		if (!h->sum || !h->count)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	if (rc) {
		hg_destroy(h);
		return rc;
	}
	*state = h;
	return PP_OK;
}

static int hg_columns(void *state, const char *const **names, int *count)
{
	(void)state;
	*names = homog_columns;
	*count = 3;
	return PP_OK;
}

static long bin_index(const homogeneity *h, const pp_real *x)
{
	long idx = 0;

	for (int d = 0; d < h->dims; d++) {
		double f = ((double)x[d] - h->lo[d]) / (h->hi[d] - h->lo[d]) * (double)h->bins[d];
		/* clamp before converting: a point off the box (or NaN) must
		 * not make the conversion undefined */
		long b = f >= 0 ? (f < (double)h->bins[d] ? (long)f : h->bins[d] - 1) : 0;
		idx = idx * h->bins[d] + b;
	}
	return idx;
}

static int hg_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	homogeneity *h = state;
	const pp_term_state *t = NULL;
	size_t nb = (size_t)h->bins[0] * (size_t)(h->dims == 2 ? h->bins[1] : 1), used = 0;
	double mb = 0, mb2 = 0, mr = 0, mr2 = 0, rmax = 0;

	for (int k = 0; k < view->n_terms && !t; k++)
		if (view->terms[k].interior)
			t = &view->terms[k];
	if (!t)
		return pp_error_set(err, PP_ERR_STATE, "homogeneity: no interior term");
	for (size_t b = 0; b < nb; b++) {
		h->sum[b] = 0;
		h->count[b] = 0;
	}
	for (size_t i = 0; i < t->n; i++) {
		long b = bin_index(h, t->x + i * (size_t)t->n_inputs);
		double a = fabs((double)t->r[i]);
		h->sum[b] += (double)t->lambda[i];
		h->count[b]++;
		mr += a;
		mr2 += a * a;
		rmax = a > rmax ? a : rmax;
	}
	for (size_t b = 0; b < nb; b++) {
		if (!h->count[b])
			continue;
		double m = h->sum[b] / (double)h->count[b];
		mb += m;
		mb2 += m * m;
		used++;
	}
	mb /= (double)used;
	mb2 /= (double)used;
	mr /= (double)t->n;
	mr2 /= (double)t->n;
	values[0] = mb2 > 0 ? mb / sqrt(mb2) : NAN;
	values[1] = mr > 0 ? sqrt(fmax(mr2 - mr * mr, 0)) / mr : NAN;
	values[2] = mr > 0 ? rmax / mr : NAN;
	return PP_OK;
}

static const pp_analyzer_ops homogeneity_ops = {
	.struct_size = sizeof homogeneity_ops,
	.create = hg_create,
	.destroy = hg_destroy,
	.columns = hg_columns,
	.observe = hg_observe,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "homogeneity",
		 "residual homogeneity phi = 1/sqrt(1 + CV^2) of binned point weights", &homogeneity_ops)
