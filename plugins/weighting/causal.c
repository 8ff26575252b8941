/* phasepinn plugin — causal weighting of the interior residual (Wang,
 * Sankaran & Perdikaris, "Respecting causality is all you need for training
 * physics-informed neural networks", CMAME 2024).
 *
 * The interior points are grouped into M time chunks of equal width; with
 * L_i = mean r² over chunk i, chunk i weighs W_i = exp(−ε·Σ_{j<i} L_j), so a
 * later time only counts once the earlier ones are fitted.  The interior loss
 * becomes (1/M)·Σ_i W_i·L_i, i.e. each point of chunk i gets
 * w = W_i·N/(M·n_i); lambda = W_i.  Weights are not differentiated.
 * Keys: chunks (32), tolerance ε (1.0).  Needs a PDE with a time input.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdlib.h>

#define MAX_CHUNKS 4096

typedef struct causal {
	long chunks;
	double tolerance;
	int t_input;
	double t_lo, t_hi;
	double *loss, *weight;   /* per chunk */
	size_t *count;
} causal;

static int causal_create(const pp_config *cfg, const pp_problem *problem, void **state,
			 pp_error *err)
{
	causal *c = calloc(1, sizeof *c);
	int rc;

	if (!c)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "chunks", 32, 1, MAX_CHUNKS, &c->chunks, err);
	if (!rc)
		rc = pp_config_double(cfg, "tolerance", 1.0, 0, 1e9, &c->tolerance, err);
	if (!rc && problem->pde->time_input < 0)
		rc = pp_config_error(err, PP_ERR_CONFIG, cfg,
				     "causal weighting needs a time-dependent PDE; this one has no time input");
	if (!rc) {
		c->loss = calloc((size_t)c->chunks, sizeof *c->loss);
		c->weight = calloc((size_t)c->chunks, sizeof *c->weight);
		c->count = calloc((size_t)c->chunks, sizeof *c->count);
		if (!c->loss || !c->weight || !c->count)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	if (rc) {
		free(c->loss);
		free(c->weight);
		free(c->count);
		free(c);
		return rc;
	}
	c->t_input = problem->pde->time_input;
	c->t_lo = problem->pde->lo[c->t_input];
	c->t_hi = problem->pde->hi[c->t_input];
	*state = c;
	return PP_OK;
}

static void causal_destroy(void *state)
{
	causal *c = state;

	if (!c)
		return;
	free(c->loss);
	free(c->weight);
	free(c->count);
	free(c);
}

static long chunk_of(const causal *c, double t)
{
	long i = (long)((t - c->t_lo) / (c->t_hi - c->t_lo) * (double)c->chunks);

	return i < 0 ? 0 : i >= c->chunks ? c->chunks - 1 : i;
}

static int causal_point_weights(void *state, pp_step_view *view, pp_error *err)
{
	causal *c = state;
	double *loss = c->loss, *weight = c->weight;
	size_t *count = c->count;
	(void)err;

	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		double cumulative = 0;
		if (!t->interior)
			continue;
		for (long i = 0; i < c->chunks; i++) {
			loss[i] = 0;
			count[i] = 0;
		}
		for (size_t p = 0; p < t->n; p++) {
			long i = chunk_of(c, (double)t->x[p * (size_t)t->n_inputs + (size_t)c->t_input]);
			loss[i] += (double)t->r[p] * (double)t->r[p];
			count[i]++;
		}
		for (long i = 0; i < c->chunks; i++) {
			weight[i] = exp(-c->tolerance * cumulative);
			if (count[i])
				cumulative += loss[i] / (double)count[i];
		}
		for (size_t p = 0; p < t->n; p++) {
			long i = chunk_of(c, (double)t->x[p * (size_t)t->n_inputs + (size_t)c->t_input]);
			t->lambda[p] = (pp_real)weight[i];
			t->w[p] = (pp_real)(weight[i] * (double)t->n / ((double)c->chunks * (double)count[i]));
		}
	}
	return PP_OK;
}

static const pp_weighting_ops causal_ops = {
	.struct_size = sizeof causal_ops,
	.create = causal_create,
	.destroy = causal_destroy,
	.point_weights = causal_point_weights,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "causal",
		 "temporal causal weighting of the interior residual (Wang, Sankaran & Perdikaris)",
		 &causal_ops)
