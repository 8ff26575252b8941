/* phasepinn plugin — residual-based attention (Anagnostopoulos et al.,
 * CMAME 2024).
 *
 * Each step, before the loss, from the current residuals (no gradient
 * through the weights):
 *   λ_i ← γ·λ_i + η·|r_i| / max_j |r_j|          (normalization: max)
 *   λ_i ← γ·λ_i + η·(|r_i| − min)/(max − min)     (normalization: minmax)
 * with λ⁰ = 0, so 0 ≤ λ ≤ η/(1−γ) (= 1 for the defaults γ = 0.999, η = 0.001).
 * The loss term is mean((λ_i r_i)²) (form: squared, w = λ²) or mean(λ_i r_i²)
 * (form: linear, w = λ).  init: residual starts from λ⁰ = η/(1−γ)·|r|/max|r|
 * (the bound scaled by the first residuals) instead of 0.
 * Keys: gamma, eta, normalization, form, init, terms (default: interior terms).
 * On resampling λ stays with the point index (as the authors' code does).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/common/terms.h"

enum { NORM_MAX, NORM_MINMAX };
enum { FORM_SQUARED, FORM_LINEAR };
enum { INIT_ZERO, INIT_RESIDUAL };

typedef struct rba {
	double gamma, eta;
	int normalization, form, init;
	int applies[PP_MAX_TERMS];   /* by pde term index */
	pp_real *lambda[PP_MAX_TERMS];
	size_t n[PP_MAX_TERMS];
	int started;
} rba;

static void rba_destroy(void *state)
{
	rba *s = state;

	if (!s)
		return;
	for (int k = 0; k < PP_MAX_TERMS; k++)
		free(s->lambda[k]);
	free(s);
}

static int rba_create(const pp_config *cfg, const pp_problem *problem, void **state,
		      pp_error *err)
{
	static const char *const norms[] = {"max", "minmax", NULL};
	static const char *const forms[] = {"squared", "linear", NULL};
	static const char *const inits[] = {"zero", "residual", NULL};
	rba *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "gamma", 0.999, 0, 0.999999999, &s->gamma, err);
	if (!rc)
		rc = pp_config_double(cfg, "eta", 0.001, 1e-12, 1e6, &s->eta, err);
	if (!rc)
		rc = pp_config_choice(cfg, "normalization", "max", norms, &s->normalization, err);
	if (!rc)
		rc = pp_config_choice(cfg, "form", "squared", forms, &s->form, err);
	if (!rc)
		rc = pp_config_choice(cfg, "init", "zero", inits, &s->init, err);
	if (!rc)
		rc = pp_terms_select(cfg, "terms", problem->pde, 0, s->applies, err);
	if (rc) {
		rba_destroy(s);
		return rc;
	}
	*state = s;
	return PP_OK;
}

/* The normalised |r| in [0, 1] of point i: (|r_i| − lo) / span. */
static void residual_range(const pp_term_state *t, int minmax, double *lo, double *span)
{
	double mx = 0, mn = INFINITY;

	for (size_t i = 0; i < t->n; i++) {
		double a = fabs((double)t->r[i]);
		mx = a > mx ? a : mx;
		mn = a < mn ? a : mn;
	}
	*lo = minmax ? mn : 0;
	*span = mx - *lo;
}

static int rba_point_weights(void *state, pp_step_view *view, pp_error *err)
{
	rba *s = state;

	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		int p = t->pde_term;
		double lo, span;

		if (!s->applies[p])
			continue;
		if (s->n[p] != t->n) {
			free(s->lambda[p]);
			s->lambda[p] = calloc(t->n, sizeof *s->lambda[p]);
			if (!s->lambda[p])
				return pp_error_set(err, PP_ERR_NOMEM, "rba: out of memory");
			s->n[p] = t->n;
		}
		residual_range(t, s->normalization == NORM_MINMAX, &lo, &span);
		pp_real *lam = s->lambda[p];
		const pp_real gamma = (pp_real)s->gamma;
		const pp_real scale = (pp_real)(span > 0 ? 1.0 / span : 0.0);
		const pp_real eta = (pp_real)(s->init == INIT_RESIDUAL && !s->started
					     ? s->eta / (1.0 - s->gamma) : s->eta);
		const pp_real keep = s->init == INIT_RESIDUAL && !s->started ? 0 : gamma;
		for (size_t i = 0; i < t->n; i++) {
			pp_real a = (pp_real)((fabs((double)t->r[i]) - lo)) * scale;
			lam[i] = keep * lam[i] + eta * a;
			t->lambda[i] = lam[i];
			t->w[i] = s->form == FORM_SQUARED ? lam[i] * lam[i] : lam[i];
		}
	}
	s->started = 1;
	return PP_OK;
}

/* Checkpoint: "RBA1", started, then per term n and λ. */
static int rba_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const rba *s = state;
	size_t need = 8;
	unsigned char *p = buf;

	for (int k = 0; k < PP_MAX_TERMS; k++)
		need += 8 + s->n[k] * sizeof(pp_real);
	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID, "rba: checkpoint buffer too small");
	memcpy(p, "RBA1", 4);
	memcpy(p + 4, &s->started, 4);
	p += 8;
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		uint64_t n = s->n[k];
		memcpy(p, &n, 8);
		memcpy(p + 8, s->lambda[k], s->n[k] * sizeof(pp_real));
		p += 8 + s->n[k] * sizeof(pp_real);
	}
	*size = need;
	return PP_OK;
}

static int rba_load(void *state, const void *buf, size_t size, pp_error *err)
{
	rba *s = state;
	const unsigned char *p = buf, *end = p + size;

	if (size < 8 || memcmp(p, "RBA1", 4) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "rba: not an RBA checkpoint");
	memcpy(&s->started, p + 4, 4);
	p += 8;
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		uint64_t n;
		if (end - p < 8)
			return pp_error_set(err, PP_ERR_INVALID, "rba: truncated checkpoint");
		memcpy(&n, p, 8);
		if ((size_t)(end - p - 8) < n * sizeof(pp_real))
			return pp_error_set(err, PP_ERR_INVALID, "rba: truncated checkpoint");
		free(s->lambda[k]);
		s->lambda[k] = n ? malloc(n * sizeof(pp_real)) : NULL;
		if (n && !s->lambda[k])
			return pp_error_set(err, PP_ERR_NOMEM, "rba: out of memory");
		memcpy(s->lambda[k], p + 8, n * sizeof(pp_real));
		s->n[k] = n;
		p += 8 + n * sizeof(pp_real);
	}
	return PP_OK;
}

static const pp_weighting_ops rba_ops = {
	.struct_size = sizeof rba_ops,
	.create = rba_create,
	.destroy = rba_destroy,
	.point_weights = rba_point_weights,
	.save = rba_save,
	.load = rba_load,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "rba",
		 "residual-based attention: lambda <- gamma lambda + eta |r|/max|r|", &rba_ops)
