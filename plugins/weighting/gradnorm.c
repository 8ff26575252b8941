/* phasepinn plugin — loss-term balancing by gradient statistics.
 *
 * form: max_mean — learning-rate annealing of Wang, Teng & Perdikaris,
 * "Understanding and mitigating gradient flow pathologies in
 * physics-informed neural networks", SIAM J. Sci. Comput. 43, 2021, Alg. 1:
 *   λ̂_k = max_θ |∇θ L_r| / mean_θ |∇θ L_k|   for every non-interior term k
 * (L_r: the interior term, whose weight is left alone).
 * form: norm — Wang et al., "An expert's guide to training physics-informed
 * neural networks", 2023:
 *   λ̂_k = Σ_j ‖∇θ L_j‖ / ‖∇θ L_k‖          for every term.
 * Then every `every` steps λ_k ← (1 − α)·λ_k + α·λ̂_k.
 *
 * L_k is the term's mean(w·r²) without its term weight (the trainer's
 * per-term gradient).  Defaults follow the authors' code
 * (PredictiveIntelligenceLab/GradientPathologiesPINNs, Helmholtz2D_model_tf.py):
 * an update every 10 steps keeping 0.9 of the old value (α = 0.1 here), and
 * statistics over the weight matrices only (parameters: weights).
 * Keys: form, alpha, every, parameters.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { FORM_MAX_MEAN, FORM_NORM };
enum { PARAMS_WEIGHTS, PARAMS_ALL };

/* A half-open slice [begin, end) of the parameter slab that counts. */
typedef struct gn_range {
	size_t begin, end;
} gn_range;

typedef struct gradnorm {
	int form, parameters;
	double alpha;
	long every;
	int n_ranges;
	gn_range *ranges;
	double lambda[PP_MAX_TERMS];   /* by PDE term index */
	uint64_t known[PP_MAX_TERMS];  /* lambda[k] holds a value */
} gradnorm;

/* Statistics of one term's gradient over the counted parameters. */
typedef struct gn_stats {
	double max_abs, mean_abs, norm;
} gn_stats;

static void gn_destroy(void *state)
{
	gradnorm *g = state;

	if (!g)
		return;
	free(g->ranges);
	free(g);
}

/* parameters: weights — every layer's W block (biases excluded); without a
 * network (unit tests) or with parameters: all — the whole slab. */
static int gn_ranges(gradnorm *g, const pp_problem *problem, pp_error *err)
{
	int layers = 0;

	if (g->parameters == PARAMS_WEIGHTS && problem->net)
		layers = pp_network_layer_count(problem->net);
	g->n_ranges = layers > 0 ? layers : 1;
	g->ranges = calloc((size_t)g->n_ranges, sizeof *g->ranges);
	if (!g->ranges)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	if (layers <= 0) {
		g->ranges[0].end = problem->n_params;
		return PP_OK;
	}
	for (int l = 0; l < layers; l++) {
		pp_layer_view v;
		if (pp_network_layer(problem->net, l, &v))
			return pp_error_set(err, PP_ERR_PLUGIN, "gradnorm: no layer %d", l);
		g->ranges[l].begin = v.weight_offset;
		g->ranges[l].end = v.weight_offset + (size_t)v.fan_in * (size_t)v.fan_out;
	}
	return PP_OK;
}

static int gn_create(const pp_config *cfg, const pp_problem *problem, void **state,
		     pp_error *err)
{
	static const char *const forms[] = {"max_mean", "norm", NULL};
	static const char *const params[] = {"weights", "all", NULL};
	gradnorm *g = calloc(1, sizeof *g);
	int rc;

	if (!g)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_choice(cfg, "form", "max_mean", forms, &g->form, err);
	if (!rc)
		rc = pp_config_double(cfg, "alpha", 0.1, 1e-12, 1, &g->alpha, err);
	if (!rc)
		rc = pp_config_long(cfg, "every", 10, 1, 1000000000L, &g->every, err);
	if (!rc)
		rc = pp_config_choice(cfg, "parameters", "weights", params, &g->parameters, err);
	if (!rc)
		rc = gn_ranges(g, problem, err);
	if (rc) {
		gn_destroy(g);
		return rc;
	}
	*state = g;
	return PP_OK;
}

static unsigned gn_needs(void *state)
{
	(void)state;
	/* needs() is asked once, so always; the trainer keeps one gradient per
	 * term in any case, so this costs no extra backward pass */
	return PP_NEED_TERM_GRADIENTS;
}

static gn_stats gn_measure(const gradnorm *g, const pp_real *grad, size_t n_params)
{
	gn_stats st = {0, 0, 0};
	double sum_abs = 0, sum_sq = 0;
	size_t count = 0;

	for (int r = 0; r < g->n_ranges; r++) {
		size_t end = g->ranges[r].end < n_params ? g->ranges[r].end : n_params;
		for (size_t j = g->ranges[r].begin; j < end; j++) {
			double a = fabs((double)grad[j]);
			sum_abs += a;
			sum_sq += a * a;
			st.max_abs = a > st.max_abs ? a : st.max_abs;
			count++;
		}
	}
	st.mean_abs = count ? sum_abs / (double)count : 0;
	st.norm = sqrt(sum_sq);
	return st;
}

/* λ̂ of every term into target[k]; NAN where the scheme leaves k alone. */
static void gn_targets(const gradnorm *g, const pp_step_view *view, double *target)
{
	gn_stats st[PP_MAX_TERMS];
	double total = 0, rmax = 0;
	int interior = -1;

	for (int k = 0; k < view->n_terms; k++) {
		st[k] = gn_measure(g, view->terms[k].grad, view->n_params);
		total += st[k].norm;
		if (view->terms[k].interior && interior < 0) {
			interior = k;
			rmax = st[k].max_abs;
		}
	}
	for (int k = 0; k < view->n_terms; k++) {
		target[k] = NAN;
		if (g->form == FORM_NORM && st[k].norm > 0)
			target[k] = total / st[k].norm;
		/* max_mean: no interior term, or a zero gradient, says nothing */
		if (g->form == FORM_MAX_MEAN && interior >= 0 && k != interior &&
		    rmax > 0 && st[k].mean_abs > 0)
			target[k] = rmax / st[k].mean_abs;
	}
}

static int gn_term_weights(void *state, pp_step_view *view, pp_error *err)
{
	gradnorm *g = state;
	double target[PP_MAX_TERMS];
	int update = view->step % g->every == 0;

	if (view->n_terms > PP_MAX_TERMS)
		return pp_error_set(err, PP_ERR_INVALID, "gradnorm: %d terms, at most %d",
				    view->n_terms, PP_MAX_TERMS);
	if (update)
		gn_targets(g, view, target);
	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		int p = t->pde_term;

		if (p < 0 || p >= PP_MAX_TERMS)
			continue;
		if (!g->known[p]) {   /* start from the configured weight */
			g->lambda[p] = t->term_weight;
			g->known[p] = 1;
		}
		if (update && isfinite(target[k]))
			g->lambda[p] = (1 - g->alpha) * g->lambda[p] + g->alpha * target[k];
		t->term_weight = g->lambda[p];
	}
	return PP_OK;
}

/* Checkpoint: "GN" 0 version byte, uint32 PP_MAX_TERMS, then per term a
 * double λ_k and a uint64 "known" flag. */
#define GN_MAGIC "GN\000\001"
#define GN_SIZE (8 + PP_MAX_TERMS * 16)

static int gn_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const gradnorm *g = state;
	unsigned char *p = buf;
	uint32_t terms = PP_MAX_TERMS;

	if (!buf) {
		*size = GN_SIZE;
		return PP_OK;
	}
	if (*size < GN_SIZE)
		return pp_error_set(err, PP_ERR_INVALID,
				    "gradnorm: checkpoint buffer of %zu bytes, %d needed", *size,
				    GN_SIZE);
	memcpy(p, GN_MAGIC, 4);
	memcpy(p + 4, &terms, 4);
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		memcpy(p + 8 + 16 * k, &g->lambda[k], 8);
		memcpy(p + 16 + 16 * k, &g->known[k], 8);
	}
	*size = GN_SIZE;
	return PP_OK;
}

static int gn_load(void *state, const void *buf, size_t size, pp_error *err)
{
	gradnorm *g = state;
	const unsigned char *p = buf;
	uint32_t terms = 0;

	if (size >= 8)
		memcpy(&terms, p + 4, 4);
	if (size != GN_SIZE || memcmp(p, GN_MAGIC, 4) != 0 || terms != PP_MAX_TERMS)
		return pp_error_set(err, PP_ERR_INVALID,
				    "gradnorm: not a gradnorm checkpoint (version 1, %d terms)",
				    PP_MAX_TERMS);
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		memcpy(&g->lambda[k], p + 8 + 16 * k, 8);
		memcpy(&g->known[k], p + 16 + 16 * k, 8);
	}
	return PP_OK;
}

static const pp_weighting_ops gradnorm_ops = {
	.struct_size = sizeof gradnorm_ops,
	.create = gn_create,
	.destroy = gn_destroy,
	.needs = gn_needs,
	.term_weights = gn_term_weights,
	.save = gn_save,
	.load = gn_load,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "gradnorm",
		 "per-term weights balanced by gradient statistics (Wang, Teng & Perdikaris 2021)",
		 &gradnorm_ops)
