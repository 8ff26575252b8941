/* phasepinn plugin — residual homogeneity (the phase-transition paper's
 * φ_RBA, after the authors' code).
 *
 * The interior points are binned on a grid over the PDE's own box (first two
 * inputs, `bins: [10, 10]`; one input: `bins: [10]`); b_k = mean of the
 * scheme's λ over the points in bin k (empty bins left out);
 *   homog_phi = mean(b)/√mean(b²) = 1/√(1 + CV²)   (1: homogeneous),
 * plus the coefficient of variation and max/mean of the raw |r| over the
 * interior points (homog_cv_r, homog_max_over_mean_r).
 *
 * Shadow RBA (`shadow: auto`, on unless the run's weighting is rba): the
 * RBA multiplier of the interior term is kept here even though the loss
 * does not use it, updated at every training step from that step's
 * residuals exactly as plugins/weighting/rba.c does with its defaults
 * (λ ← γλ + η·|r|/max|r|, λ⁰ = 0; `shadow_gamma`, `shadow_eta`,
 * `shadow_normalization`, `shadow_init`, `shadow_components` as rba's
 * keys), and
 *   homog_phi_rba_shadow = φ of that λ, binned as above.
 * That is how the authors' vanilla runs report a φ_RBA below 1.  The shadow
 * λ is saved in checkpoints.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/sdk/residual_map.h>

enum { SHADOW_AUTO, SHADOW_ON, SHADOW_OFF };
enum { INIT_ZERO, INIT_RESIDUAL, INIT_ONE };
enum { NORM_MAX, NORM_MINMAX };
enum { COMP_SUM_ABS, COMP_NORM };

typedef struct homogeneity {
	int dims;
	long bins[2];
	double lo[2], hi[2];
	double *sum;
	long *count;
	double *reduced;      /* 2 × bins: sums and counts over ranks */
	/* the shadow RBA multiplier of the interior term */
	int shadow;
	double gamma, eta;
	int normalization, components, init;
	size_t n;             /* points λ holds; 0 until the first step */
	uint64_t started;     /* updates made */
	double *lambda;       /* [n] */
} homogeneity;

static const char *const homog_columns[] = {"homog_phi", "homog_cv_r", "homog_max_over_mean_r",
					     "homog_phi_rba_shadow"};

static void hg_destroy(void *state)
{
	homogeneity *h = state;

	if (!h)
		return;
	free(h->sum);
	free(h->count);
	free(h->reduced);
	free(h->lambda);
	free(h);
}

/* bins: one count per binned input, default 10 each (recorded). */
static int read_bins(const pp_config *cfg, homogeneity *h, pp_error *err)
{
	static const long def[2] = {10, 10};

	h->bins[1] = 1;
	return pp_config_long_list(cfg, "bins", (size_t)h->dims, def, 1, 10000, h->bins, err);
}

/* shadow: and its RBA keys, with rba's defaults and ranges (read even when
 * the shadow is off, so that giving them is never an "unknown key").  auto
 * is on unless the run's weighting is rba itself (its λ is then the real
 * one). */
static int read_shadow(const pp_config *cfg, const pp_problem *problem, homogeneity *h,
		       pp_error *err)
{
	static const char *const modes[] = {"auto", "on", "off", NULL};
	static const char *const norms[] = {"max", "minmax", NULL};
	static const char *const comps[] = {"sum_abs", "norm", NULL};
	static const char *const inits[] = {"zero", "residual", "one", NULL};
	int mode, rc;

	rc = pp_config_choice(cfg, "shadow", "auto", modes, &mode, err);
	if (rc)
		return rc;
	if (mode == SHADOW_AUTO)
		h->shadow = !(problem->weighting && strcmp(problem->weighting, "rba") == 0);
	else
		h->shadow = mode == SHADOW_ON;
	rc = pp_config_double(cfg, "shadow_gamma", 0.999, 0, 1 - 1e-12, &h->gamma, err);
	if (!rc)
		rc = pp_config_double(cfg, "shadow_eta", 0.001, 1e-300, 1e300, &h->eta, err);
	if (!rc)
		rc = pp_config_choice(cfg, "shadow_normalization", "max", norms, &h->normalization, err);
	if (!rc)
		rc = pp_config_choice(cfg, "shadow_components", "sum_abs", comps, &h->components, err);
	if (!rc)
		rc = pp_config_choice(cfg, "shadow_init", "zero", inits, &h->init, err);
	return rc;
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
	if (!rc)
		rc = read_shadow(cfg, problem, h, err);
	if (!rc) {
		size_t n = (size_t)h->bins[0] * (size_t)(h->dims == 2 ? h->bins[1] : 1);
		h->sum = calloc(n, sizeof *h->sum);
		h->count = calloc(n, sizeof *h->count);
		h->reduced = calloc(2 * n, sizeof *h->reduced);
		if (!h->sum || !h->count || !h->reduced)
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
	const homogeneity *h = state;

	*names = homog_columns;
	*count = h->shadow ? 4 : 3;
	return PP_OK;
}

static const pp_term_state *interior_term(const pp_step_view *view)
{
	for (int k = 0; k < view->n_terms; k++)
		if (view->terms[k].interior)
			return &view->terms[k];
	return NULL;
}

/* ---- the shadow RBA multiplier (as plugins/weighting/rba.c) ------------- */

/* λ for @n points; another n (the trainer changed the number of points)
 * starts afresh from λ = 0, as rba does. */
static int shadow_fit(homogeneity *h, size_t n, pp_error *err)
{
	double *lambda;

	if (h->n == n && h->lambda)
		return PP_OK;
	lambda = calloc(n ? n : 1, sizeof *lambda);
	if (!lambda)
		return pp_error_set(err, PP_ERR_NOMEM, "homogeneity: out of memory for %zu weights", n);
	free(h->lambda);
	h->lambda = lambda;
	h->n = n;
	h->started = 0;
	return PP_OK;
}

/* λ_i ← γ·λ_i + η·a_i with a_i = (|r_i| − lo)·scale in [0, 1], the same
 * operations in the same order as rba_update (the map of
 * <phasepinn/sdk/residual_map.h>), so the two agree bit for bit. */
static int hg_every_step(void *state, const pp_step_view *view, pp_error *err)
{
	homogeneity *h = state;
	const pp_term_state *t = interior_term(view);
	int sum_abs = h->components == COMP_SUM_ABS, first, rc;
	double lo, scale, keep, rate;

	if (!h->shadow || !t)
		return PP_OK;
	rc = shadow_fit(h, t->n, err);
	if (rc)
		return rc;
	/* over every rank's points (docs/scaling.md), as rba does */
	rc = pp_residual_map_all(view, (int)(t - view->terms), sum_abs,
				 h->normalization == NORM_MINMAX, &lo, &scale, err);
	if (rc)
		return rc;
	/* shadow_init: residual starts from the bound scaled by the first
	 * residuals, λ = a·η/(1 − γ), as rba's init: residual; shadow_init:
	 * one from λ⁰ = η/(1 − γ), as rba's init: one */
	if (h->started == 0 && h->init == INIT_ONE)
		for (size_t i = 0; i < t->n; i++)
			h->lambda[i] = h->eta / (1 - h->gamma);
	first = h->started == 0 && h->init == INIT_RESIDUAL;
	keep = first ? 0 : h->gamma;
	rate = first ? h->eta / (1 - h->gamma) : h->eta;
	for (size_t i = 0; i < t->n; i++) {
		double a = (pp_residual_magnitude(t, i, sum_abs) - lo) * scale;
		h->lambda[i] = keep * h->lambda[i] + rate * a;
	}
	h->started++;
	return PP_OK;
}

/* ---- φ ------------------------------------------------------------------ */

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

/* The bins' sums and counts of every rank (collective; the identity on
 * one rank). */
static int reduce_bins(homogeneity *h, const pp_step_view *view, size_t nb, pp_error *err)
{
	double *v = h->reduced;
	int rc;

	if (!view->problem || view->problem->ranks <= 1)
		return PP_OK;
	for (size_t b = 0; b < nb; b++) {
		v[b] = h->sum[b];
		v[nb + b] = (double)h->count[b];
	}
	rc = pp_problem_allreduce(view->problem, v, 2 * nb, PP_REDUCE_SUM, err);
	for (size_t b = 0; !rc && b < nb; b++) {
		h->sum[b] = v[b];
		h->count[b] = (long)v[nb + b];
	}
	return rc;
}

/* φ = mean(b)/√mean(b²) of the bin means b of the weights (@pp_lambda, or
 * @lambda when that is NULL) of @t's points, over every rank's; NaN while
 * every one is 0. */
static double phi(homogeneity *h, const pp_step_view *view, const pp_term_state *t,
		  const pp_real *pp_lambda, const double *lambda, pp_error *err, int *rc)
{
	size_t nb = (size_t)h->bins[0] * (size_t)(h->dims == 2 ? h->bins[1] : 1), used = 0;
	double mb = 0, mb2 = 0;

	for (size_t b = 0; b < nb; b++) {
		h->sum[b] = 0;
		h->count[b] = 0;
	}
	for (size_t i = 0; i < t->n; i++) {
		long b = bin_index(h, t->x + i * (size_t)t->n_inputs);
		h->sum[b] += pp_lambda ? (double)pp_lambda[i] : lambda[i];
		h->count[b]++;
	}
	if (!*rc)
		*rc = reduce_bins(h, view, nb, err);
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
	return mb2 > 0 ? mb / sqrt(mb2) : NAN;
}

static int hg_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	homogeneity *h = state;
	const pp_term_state *t = interior_term(view);
	double mr = 0, mr2 = 0, rmax = 0, n, sums[2];
	int rc = PP_OK;

	if (!t)
		return pp_error_set(err, PP_ERR_STATE, "homogeneity: no interior term");
	n = (double)pp_view_points(view, (int)(t - view->terms));   /* over every rank */
	for (size_t i = 0; i < t->n; i++) {
		double a = fabs((double)t->r[i]);
		mr += a;
		mr2 += a * a;
		rmax = a > rmax ? a : rmax;
	}
	sums[0] = mr;
	sums[1] = mr2;
	rc = pp_problem_allreduce(view->problem, sums, 2, PP_REDUCE_SUM, err);
	if (!rc)
		rc = pp_problem_allreduce(view->problem, &rmax, 1, PP_REDUCE_MAX, err);
	if (rc)
		return rc;
	mr = sums[0] / n;
	mr2 = sums[1] / n;
	values[0] = phi(h, view, t, t->lambda, NULL, err, &rc);
	values[1] = mr > 0 ? sqrt(fmax(mr2 - mr * mr, 0)) / mr : NAN;
	values[2] = mr > 0 ? rmax / mr : NAN;
	/* collective: every rank has the same started and its own n */
	if (h->shadow)
		values[3] = h->started && h->n == t->n ? phi(h, view, t, NULL, h->lambda, err, &rc)
						       : NAN;
	return rc;
}

/* ---- checkpoints -------------------------------------------------------- */

/* Without the shadow: nothing (as before it existed).  With it: "HMG" +
 * version byte, uint64 n, uint64 started, n doubles λ (native byte order). */
#define HMG_MAGIC "HMG\001"

static int hg_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const homogeneity *h = state;
	size_t need = h->shadow ? 20 + h->n * sizeof(double) : 0;
	unsigned char *p = buf;
	uint64_t n = h->n;

	if (!buf || !need) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID,
				    "homogeneity: checkpoint buffer of %zu bytes, %zu needed", *size, need);
	memcpy(p, HMG_MAGIC, 4);
	memcpy(p + 4, &n, 8);
	memcpy(p + 12, &h->started, 8);
	if (n)
		memcpy(p + 20, h->lambda, n * sizeof(double));
	*size = need;
	return PP_OK;
}

/* The whole buffer is checked before the state changes. */
static int hg_load(void *state, const void *buf, size_t size, pp_error *err)
{
	homogeneity *h = state;
	const unsigned char *p = buf;
	uint64_t n;
	int rc;

	if (!h->shadow)
		return pp_stateless_load(state, buf, size, err);
	if (size == 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "homogeneity: the checkpoint holds no shadow RBA multiplier (written with shadow: off, or before it existed); resume with shadow: off or start again");
	if (size < 20 || memcmp(p, HMG_MAGIC, 4) != 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "homogeneity: not a homogeneity checkpoint (version 1)");
	memcpy(&n, p + 4, 8);
	if ((size - 20) / sizeof(double) != n || (size - 20) % sizeof(double))
		return pp_error_set(err, PP_ERR_INVALID,
				    "homogeneity: checkpoint of %zu bytes for %llu weights", size,
				    (unsigned long long)n);
	if (n) {
		rc = shadow_fit(h, (size_t)n, err);
		if (rc)
			return rc;
		memcpy(h->lambda, p + 20, (size_t)n * sizeof(double));
	} else {        /* saved before the first step: as after create() */
		free(h->lambda);
		h->lambda = NULL;
		h->n = 0;
	}
	memcpy(&h->started, p + 12, 8);
	return PP_OK;
}

static const pp_analyzer_ops homogeneity_ops = {
	.struct_size = sizeof homogeneity_ops,
	.create = hg_create,
	.destroy = hg_destroy,
	.columns = hg_columns,
	.observe = hg_observe,
	.save = hg_save,
	.load = hg_load,
	.every_step = hg_every_step,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "homogeneity",
		 "residual homogeneity phi = 1/sqrt(1 + CV^2) of binned point weights (and of a shadow RBA lambda)",
		 &homogeneity_ops)
