/* A weighting scheme whose term weight overflows the gradient and nothing
 * else: uniform weights, except that at step `at` (YAML key, default 10)
 * the interior term weighs only its point i of smallest nonzero |r_i|, by
 * s = 1e-4·√(largest pp_real), and its term weight is
 * tw = (largest pp_real) / (4·Σ w·r²).  Then the term's gradient g
 * (∇ mean(w·r²)) and its weighted loss tw·Σ w·r²/n are finite, but tw·g_j
 * at the largest entry G = max_j |g_j| is not once G/mean(w·r²) > 4·n, as
 * G/mean(w·r²) = 2·max_j |∂r_i/∂θ_j| / |r_i| is large at the smallest
 * residual: the combined gradient is the one non-finite quantity, and the
 * trainer's guard must stop the run there before the optimizer sees it.
 * Stateless between steps. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <phasepinn/phasepinn.h>

#define REAL_MAX (sizeof(pp_real) == sizeof(double) ? DBL_MAX : (double)FLT_MAX)

typedef struct overflow_weighting {
	long at;
} overflow_weighting;

static int ow_create(const pp_config *cfg, const pp_problem *problem, void **state,
		     pp_error *err)
{
	overflow_weighting *s = calloc(1, sizeof *s);
	int rc;

	(void)problem;
	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "at", 10, 0, 1000000000L, &s->at, err);
	if (rc) {
		free(s);
		return rc;
	}
	*state = s;
	return PP_OK;
}

static void ow_destroy(void *state)
{
	free(state);
}

static int ow_point_weights(void *state, pp_step_view *view, pp_error *err)
{
	const overflow_weighting *s = state;
	pp_real big = (pp_real)(1e-4 * sqrt(REAL_MAX));

	(void)err;
	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		int here = t->interior && view->step == s->at;
		size_t best = 0;
		for (size_t i = 0; i < t->n; i++) {
			t->w[i] = t->lambda[i] = here ? 0 : 1;
			if (t->r[i] != 0 && (t->r[best] == 0 || fabs((double)t->r[i]) < fabs((double)t->r[best])))
				best = i;
		}
		if (here && t->n > 0)
			t->w[best] = t->lambda[best] = big;
	}
	return PP_OK;
}

static int ow_term_weights(void *state, pp_step_view *view, pp_error *err)
{
	const overflow_weighting *s = state;

	(void)err;
	if (view->step != s->at)
		return PP_OK;
	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		double sum = 0;
		if (!t->interior)
			continue;
		for (size_t i = 0; i < t->n; i++)
			sum += (double)t->w[i] * (double)t->r[i] * (double)t->r[i];
		if (sum > 0)
			t->term_weight = 0.25 * REAL_MAX / sum;
	}
	return PP_OK;
}

static const pp_weighting_ops ow_ops = {
	.struct_size = sizeof ow_ops,
	.create = ow_create,
	.destroy = ow_destroy,
	.point_weights = ow_point_weights,
	.term_weights = ow_term_weights,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "overflow_weighting",
		 "a term weight that overflows only the combined gradient at a chosen step (divergence tests)",
		 &ow_ops)
