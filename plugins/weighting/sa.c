/* phasepinn plugin — self-adaptive weights (McClenny & Braga-Neto,
 * "Self-adaptive physics-informed neural networks", JCP 2023).
 *
 * Every point has a trainable λ_i; the loss term is mean(m(λ_i)·r_i²) and λ
 * climbs the loss (gradient ascent) while θ descends it:
 *   ∂L/∂λ_i = m'(λ_i)·r_i²/N,  λ ← λ + lr·∂L/∂λ   (optimizer: sgd)
 *   or the Adam step on −∂L/∂λ reversed           (optimizer: adam, default)
 * Mask m: polynomial λ^q (mask: polynomial, q = 2) or logistic 1/(1 + e^{−λ})
 * (mask: sigmoid).  λ starts uniform in [0, 1) (init: uniform, seeded) or at
 * 1 (init: constant).  The step uses the current λ, then λ is updated from the
 * same residuals, as θ and λ update together in the paper.
 * Keys: lr (0.005), optimizer, mask, q, init, terms (default: all terms).
 * On resampling λ stays with the point index.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/common/terms.h"

enum { OPT_ADAM, OPT_SGD };
enum { MASK_POLYNOMIAL, MASK_SIGMOID };
enum { INIT_UNIFORM, INIT_CONSTANT };

typedef struct sa {
	double lr, q;
	int optimizer, mask, init;
	int applies[PP_MAX_TERMS];
	size_t n[PP_MAX_TERMS];
	double *lambda[PP_MAX_TERMS], *m[PP_MAX_TERMS], *v[PP_MAX_TERMS];
	long t;
	pp_rng rng;
} sa;

static void sa_destroy(void *state)
{
	sa *s = state;

	if (!s)
		return;
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		free(s->lambda[k]);
		free(s->m[k]);
		free(s->v[k]);
	}
	free(s);
}

static int sa_create(const pp_config *cfg, const pp_problem *problem, void **state,
		     pp_error *err)
{
	static const char *const opts[] = {"adam", "sgd", NULL};
	static const char *const masks[] = {"polynomial", "sigmoid", NULL};
	static const char *const inits[] = {"uniform", "constant", NULL};
	sa *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "lr", 0.005, 0, 1e6, &s->lr, err);
	if (!rc)
		rc = pp_config_choice(cfg, "optimizer", "adam", opts, &s->optimizer, err);
	if (!rc)
		rc = pp_config_choice(cfg, "mask", "polynomial", masks, &s->mask, err);
	if (!rc)
		rc = pp_config_double(cfg, "q", 2, 1, 16, &s->q, err);
	if (!rc)
		rc = pp_config_choice(cfg, "init", "uniform", inits, &s->init, err);
	if (!rc)
		rc = pp_terms_select(cfg, "terms", problem->pde, 1, s->applies, err);
	if (rc) {
		sa_destroy(s);
		return rc;
	}
	pp_rng_init(&s->rng, problem->seed, 0x5341u /* "SA" */);
	*state = s;
	return PP_OK;
}

static double mask(const sa *s, double l)
{
	return s->mask == MASK_POLYNOMIAL ? pow(l, s->q) : 1.0 / (1.0 + exp(-l));
}

static double mask_slope(const sa *s, double l)
{
	if (s->mask == MASK_POLYNOMIAL)
		return s->q * pow(l, s->q - 1);
	double e = 1.0 / (1.0 + exp(-l));
	return e * (1.0 - e);
}

static int ensure(sa *s, int p, size_t n, pp_error *err)
{
	if (s->n[p] == n)
		return PP_OK;
	free(s->lambda[p]);
	free(s->m[p]);
	free(s->v[p]);
	s->lambda[p] = malloc(n * sizeof(double));
	s->m[p] = calloc(n, sizeof(double));
	s->v[p] = calloc(n, sizeof(double));
	if (!s->lambda[p] || !s->m[p] || !s->v[p])
		return pp_error_set(err, PP_ERR_NOMEM, "sa: out of memory");
	for (size_t i = 0; i < n; i++)
		s->lambda[p][i] = s->init == INIT_UNIFORM ? pp_rng_uniform(&s->rng) : 1.0;
	s->n[p] = n;
	return PP_OK;
}

static int sa_point_weights(void *state, pp_step_view *view, pp_error *err)
{
	sa *s = state;
	double c1, c2;

	s->t++;
	c1 = 1.0 / (1.0 - pow(0.9, (double)s->t));
	c2 = 1.0 / (1.0 - pow(0.999, (double)s->t));
	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		int p = t->pde_term, rc;

		if (!s->applies[p])
			continue;
		rc = ensure(s, p, t->n, err);
		if (rc)
			return rc;
		double *l = s->lambda[p], *m = s->m[p], *v = s->v[p];
		for (size_t i = 0; i < t->n; i++) {
			double r2 = (double)t->r[i] * (double)t->r[i];
			double g = mask_slope(s, l[i]) * r2 / (double)t->n;  /* ∂L/∂λ_i */
			t->w[i] = (pp_real)mask(s, l[i]);
			t->lambda[i] = (pp_real)l[i];
			if (s->optimizer == OPT_SGD) {
				l[i] += s->lr * g;
			} else {
				m[i] = 0.9 * m[i] + 0.1 * g;
				v[i] = 0.999 * v[i] + 0.001 * g * g;
				l[i] += s->lr * (m[i] * c1) / (sqrt(v[i] * c2) + 1e-8);
			}
		}
	}
	return PP_OK;
}

static const pp_weighting_ops sa_ops = {
	.struct_size = sizeof sa_ops,
	.create = sa_create,
	.destroy = sa_destroy,
	.point_weights = sa_point_weights,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "sa",
		 "self-adaptive per-point weights trained by gradient ascent (McClenny & Braga-Neto)",
		 &sa_ops)
