/* phasepinn plugin — loss-term balancing by gradient norms.
 *
 * form: max_mean (Wang, Teng & Perdikaris, "Understanding and mitigating
 * gradient flow pathologies in PINNs", SIAM J. Sci. Comput. 2021, Alg. 1):
 *   λ̂_k = max_θ |∇θ L_r| / mean_θ |∇θ L_k| for every non-interior term k
 *   (the interior term keeps weight 1);
 * form: norm (Wang et al., "An expert's guide to training PINNs", 2023):
 *   λ̂_k = Σ_j ‖∇θ L_j‖ / ‖∇θ L_k‖ for every term.
 * Then λ_k ← α·λ_k + (1 − α)·λ̂_k, every `every` steps.  L_k is the term's
 * mean(w·r²) (point weights of another scheme are not combined here).
 * Keys: form (max_mean), alpha (0.9, weight of the old value), every (10).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>

enum { FORM_MAX_MEAN, FORM_NORM };

typedef struct gradnorm {
	int form;
	double alpha;
	long every;
} gradnorm;

static int gn_create(const pp_config *cfg, const pp_problem *problem, void **state,
		     pp_error *err)
{
	static const char *const forms[] = {"max_mean", "norm", NULL};
	gradnorm *g = calloc(1, sizeof *g);
	int rc;

	(void)problem;
	if (!g)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_choice(cfg, "form", "max_mean", forms, &g->form, err);
	if (!rc)
		rc = pp_config_double(cfg, "alpha", 0.9, 0, 1, &g->alpha, err);
	if (!rc)
		rc = pp_config_long(cfg, "every", 10, 1, 1000000000L, &g->every, err);
	if (rc) {
		free(g);
		return rc;
	}
	*state = g;
	return PP_OK;
}

static void gn_destroy(void *state)
{
	free(state);
}

static unsigned gn_needs(void *state)
{
	(void)state;
	return PP_NEED_TERM_GRADIENTS;  /* the trainer keeps them anyway: no extra cost */
}

static int gn_term_weights(void *state, pp_step_view *view, pp_error *err)
{
	const gradnorm *g = state;
	double stat[PP_MAX_TERMS], total = 0, rmax = 0;
	int interior = -1;
	(void)err;

	if (view->step % g->every != 0)
		return PP_OK;
	for (int k = 0; k < view->n_terms; k++) {
		const pp_term_state *t = &view->terms[k];
		double sum_abs = 0, sum_sq = 0, max_abs = 0;
		for (size_t j = 0; j < view->n_params; j++) {
			double a = fabs((double)t->grad[j]);
			sum_abs += a;
			sum_sq += a * a;
			max_abs = a > max_abs ? a : max_abs;
		}
		stat[k] = g->form == FORM_NORM ? sqrt(sum_sq) : sum_abs / (double)view->n_params;
		total += stat[k];
		if (t->interior && interior < 0) {
			interior = k;
			rmax = max_abs;
		}
	}
	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		double target;
		if (g->form == FORM_MAX_MEAN && (k == interior || interior < 0))
			continue;
		target = g->form == FORM_NORM ? total / stat[k] : rmax / stat[k];
		if (!isfinite(target) || stat[k] == 0)
			continue;  /* a term with zero gradient keeps its weight */
		t->term_weight = g->alpha * t->term_weight + (1.0 - g->alpha) * target;
	}
	return PP_OK;
}

static const pp_weighting_ops gradnorm_ops = {
	.struct_size = sizeof gradnorm_ops,
	.create = gn_create,
	.destroy = gn_destroy,
	.needs = gn_needs,
	.term_weights = gn_term_weights,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "gradnorm",
		 "per-term weights balanced by gradient statistics (Wang, Teng & Perdikaris 2021)",
		 &gradnorm_ops)
