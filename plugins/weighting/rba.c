/* phasepinn plugin — residual-based attention (Anagnostopoulos, Toscano,
 * Stergiopulos & Karniadakis, "Residual-based attention in physics-informed
 * neural networks", CMAME 421, 2024).
 *
 * Each step, from the current residuals and before the loss (the weights are
 * not differentiated):
 *   λ_i ← γ·λ_i + η·|r_i| / max_j |r_j|              normalization: max
 *   λ_i ← γ·λ_i + η·(|r_i| − min)/(max − min)         normalization: minmax
 * λ⁰ = 0, γ = 0.999, η = 0.001.  The normalised residual a_i lies in [0, 1],
 * so by induction 0 ≤ λ ≤ γ·B + η = B with B = η/(1−γ) (= 1 by default).
 * Loss of the term: mean((λ_i r_i)²) (form: squared, w = λ²) or
 * mean(λ_i r_i²) (form: linear, w = λ); lambda = λ in both.
 * init: residual starts from the bound scaled by the first residuals,
 * λ = B·a_i — the fixed point of the update for constant residuals, so it
 * does not matter whether one counts it as λ⁰ or λ¹.  init: one starts
 * from λ⁰ = B everywhere (= 1 by default), so the first loss is the
 * unweighted one and λ¹ = γ·B + η·a_i: how the phase-transition paper's
 * stored Helmholtz records begin (docs/paper.md, "Helmholtz a = 6").
 * Systems (a term with several residual components r_k per point): the
 * point's |r_i| above is Σ_k |r_k,i| (components: sum_abs, the default: the
 * authors' lid-driven cavity code used |f_x| + |f_y|) or the Euclidean norm
 * sqrt(Σ_k r_k,i²) (components: norm).  One λ per point either way, on the
 * point's whole Σ_k r_k².
 * Keys: gamma, eta, normalization, form, init, components, terms (default:
 * interior).
 * λ stays with the point index across resampling (docs/weighting.md);
 * under adaptive sampling a new point takes the λ of its nearest old point
 * (points_changed).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/sdk/residual_map.h>
#include <phasepinn/sdk/terms.h>

enum { NORM_MAX, NORM_MINMAX };
enum { FORM_SQUARED, FORM_LINEAR };
enum { INIT_ZERO, INIT_RESIDUAL, INIT_ONE };
enum { COMP_SUM_ABS, COMP_NORM };

/* λ of one PDE term; n == 0 until the term is first seen. */
typedef struct rba_term {
	size_t n;
	uint64_t started;     /* updates made (0: the next one is the first) */
	double *lambda;       /* [n] */
} rba_term;

typedef struct rba {
	double gamma, eta;
	int normalization, form, init, components;
	int applies[PP_MAX_TERMS];     /* by PDE term index */
	rba_term term[PP_MAX_TERMS];   /* by PDE term index */
} rba;

static void rba_destroy(void *state)
{
	rba *s = state;

	if (!s)
		return;
	for (int k = 0; k < PP_MAX_TERMS; k++)
		free(s->term[k].lambda);
	free(s);
}

static int rba_create(const pp_config *cfg, const pp_problem *problem, void **state,
		      pp_error *err)
{
	static const char *const norms[] = {"max", "minmax", NULL};
	static const char *const forms[] = {"squared", "linear", NULL};
	static const char *const inits[] = {"zero", "residual", "one", NULL};
	static const char *const comps[] = {"sum_abs", "norm", NULL};
	rba *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	/* γ < 1 keeps the bound η/(1−γ) finite */
	rc = pp_config_double(cfg, "gamma", 0.999, 0, 1 - 1e-12, &s->gamma, err);
	if (!rc)
		rc = pp_config_double(cfg, "eta", 0.001, 1e-300, 1e300, &s->eta, err);
	if (!rc)
		rc = pp_config_choice(cfg, "normalization", "max", norms, &s->normalization, err);
	if (!rc)
		rc = pp_config_choice(cfg, "form", "squared", forms, &s->form, err);
	if (!rc)
		rc = pp_config_choice(cfg, "init", "zero", inits, &s->init, err);
	if (!rc)
		rc = pp_config_choice(cfg, "components", "sum_abs", comps, &s->components, err);
	if (!rc)
		rc = pp_terms_select(cfg, "terms", problem->pde, 0, s->applies, err);
	if (rc) {
		rba_destroy(s);
		return rc;
	}
	*state = s;
	return PP_OK;
}

/* Make @rt hold @n points.  A different n (a trainer that changed the number
 * of points) starts the term afresh: λ = 0 and init applies again. */
static int rba_fit(rba_term *rt, size_t n, pp_error *err)
{
	double *lambda;

	if (rt->n == n && rt->lambda)
		return PP_OK;
	lambda = calloc(n ? n : 1, sizeof *lambda);
	if (!lambda)
		return pp_error_set(err, PP_ERR_NOMEM, "rba: out of memory for %zu weights", n);
	free(rt->lambda);
	rt->lambda = lambda;
	rt->n = n;
	rt->started = 0;
	return PP_OK;
}

/* λ of term @t from its normalised residuals; @lo and @scale map them
 * onto [0, 1] over all the term's points (every rank's). */
static void rba_update(const rba *s, rba_term *rt, pp_term_state *t, double lo, double scale)
{
	int first = rt->started == 0 && s->init == INIT_RESIDUAL;
	double keep = first ? 0 : s->gamma;
	double rate = first ? s->eta / (1 - s->gamma) : s->eta;
	int sum_abs = s->components == COMP_SUM_ABS;

	if (rt->started == 0 && s->init == INIT_ONE)
		for (size_t i = 0; i < t->n; i++)
			rt->lambda[i] = s->eta / (1 - s->gamma);
	for (size_t i = 0; i < t->n; i++) {
		double a = (pp_residual_magnitude(t, i, sum_abs) - lo) * scale;
		double l = keep * rt->lambda[i] + rate * a;

		rt->lambda[i] = l;
		t->lambda[i] = (pp_real)l;
		t->w[i] = (pp_real)(s->form == FORM_SQUARED ? l * l : l);
	}
	rt->started++;
}

static int rba_point_weights(void *state, pp_step_view *view, pp_error *err)
{
	rba *s = state;

	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		double lo, scale;
		int rc;

		if (t->pde_term < 0 || t->pde_term >= PP_MAX_TERMS || !s->applies[t->pde_term])
			continue;
		/* max|r| (and min) over every rank's points: the reduction
		 * comes first, so that every rank reaches it */
		rc = pp_residual_map_all(view, k, s->components == COMP_SUM_ABS,
					 s->normalization == NORM_MINMAX, &lo, &scale, err);
		if (!rc)
			rc = rba_fit(&s->term[t->pde_term], t->n, err);
		if (rc)
			return rc;
		rba_update(s, &s->term[t->pde_term], t, lo, scale);
	}
	return PP_OK;
}

/* Checkpoint: "RBA" + version byte, uint32 PP_MAX_TERMS, then per term
 * uint64 n, uint64 started and n doubles λ (native byte order). */
#define RBA_MAGIC "RBA\001"

static size_t rba_size(const rba *s)
{
	size_t need = 8;

	for (int k = 0; k < PP_MAX_TERMS; k++)
		need += 16 + s->term[k].n * sizeof(double);
	return need;
}

static int rba_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const rba *s = state;
	size_t need = rba_size(s);
	unsigned char *p = buf;
	uint32_t terms = PP_MAX_TERMS;

	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID,
				    "rba: checkpoint buffer of %zu bytes, %zu needed", *size, need);
	memcpy(p, RBA_MAGIC, 4);
	memcpy(p + 4, &terms, 4);
	p += 8;
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		const rba_term *rt = &s->term[k];
		uint64_t n = rt->n;

		memcpy(p, &n, 8);
		memcpy(p + 8, &rt->started, 8);
		if (n)
			memcpy(p + 16, rt->lambda, n * sizeof(double));
		p += 16 + n * sizeof(double);
	}
	*size = need;
	return PP_OK;
}

/* Check the whole buffer before touching the state, so a bad checkpoint
 * leaves the scheme as it was. */
static int rba_check(const unsigned char *p, size_t size, pp_error *err)
{
	size_t off = 8;
	uint32_t terms;

	if (size < 8 || memcmp(p, RBA_MAGIC, 4) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "rba: not an rba checkpoint (version 1)");
	memcpy(&terms, p + 4, 4);
	if (terms != PP_MAX_TERMS)
		return pp_error_set(err, PP_ERR_INVALID,
				    "rba: checkpoint has %u terms, this build %d", terms, PP_MAX_TERMS);
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		uint64_t n;

		if (size - off < 16)
			return pp_error_set(err, PP_ERR_INVALID, "rba: truncated checkpoint");
		memcpy(&n, p + off, 8);
		if ((size - off - 16) / sizeof(double) < n)
			return pp_error_set(err, PP_ERR_INVALID, "rba: truncated checkpoint");
		off += 16 + n * sizeof(double);
	}
	if (off != size)
		return pp_error_set(err, PP_ERR_INVALID, "rba: %zu stray bytes in checkpoint",
				    size - off);
	return PP_OK;
}

static int rba_load(void *state, const void *buf, size_t size, pp_error *err)
{
	rba *s = state;
	const unsigned char *p = buf;
	int rc = rba_check(p, size, err);

	if (rc)
		return rc;
	p += 8;
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		rba_term *rt = &s->term[k];
		uint64_t n;

		memcpy(&n, p, 8);
		if (n) {
			rc = rba_fit(rt, (size_t)n, err);
			if (rc)
				return rc;
			memcpy(rt->lambda, p + 16, n * sizeof(double));
		} else {        /* a term never seen: as after create() */
			free(rt->lambda);
			rt->lambda = NULL;
			rt->n = 0;
		}
		memcpy(&rt->started, p + 8, 8);
		p += 16 + n * sizeof(double);
	}
	return PP_OK;
}

/* Adaptive sampling moved the term's points: a kept point keeps its λ, a
 * new one takes its nearest old point's (docs/weighting.md, "Adaptive
 * sampling"); λ is a moving average of the normalised residual at a
 * place, so the nearest point's is its estimate there, and the term's
 * weight does not fall back to λ⁰ = 0 at every resampling. */
static int rba_points_changed(void *state, const pp_points_change *change, pp_error *err)
{
	rba *s = state;
	rba_term *rt;
	double *lambda;

	if (change->pde_term < 0 || change->pde_term >= PP_MAX_TERMS ||
	    !s->applies[change->pde_term])
		return PP_OK;
	rt = &s->term[change->pde_term];
	if (!rt->lambda || rt->n != change->n_old)   /* not started: nothing to carry */
		return PP_OK;
	lambda = calloc(change->n ? change->n : 1, sizeof *lambda);
	if (!lambda)
		return pp_error_set(err, PP_ERR_NOMEM, "rba: out of memory for %zu weights", change->n);
	for (size_t i = 0; i < change->n; i++) {
		int64_t from = change->kept[i] >= 0 ? change->kept[i] : change->nearest[i];
		lambda[i] = from >= 0 && (uint64_t)from < rt->n ? rt->lambda[from] : 0;
	}
	free(rt->lambda);
	rt->lambda = lambda;
	rt->n = change->n;
	return PP_OK;
}

static const pp_weighting_ops rba_ops = {
	.struct_size = sizeof rba_ops,
	.create = rba_create,
	.destroy = rba_destroy,
	.point_weights = rba_point_weights,
	.save = rba_save,
	.load = rba_load,
	.points_changed = rba_points_changed,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "rba",
		 "residual-based attention: lambda <- gamma lambda + eta |r|/max|r|", &rba_ops)
