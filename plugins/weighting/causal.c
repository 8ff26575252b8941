/* phasepinn plugin — causal weighting of the interior residual (Wang,
 * Sankaran & Perdikaris, "Respecting causality for training physics-informed
 * neural networks", CMAME 421, 2024; arXiv 2203.07404 "Respecting causality
 * is all you need").
 *
 * The interior points are grouped by time into M chunks of equal width over
 * the PDE's [t_lo, t_hi].  With L_i = mean r² over chunk i (unweighted),
 *   W_0 = 1,   W_i = exp(−ε·Σ_{j<i} L_j),
 * so a later time only counts once the earlier ones are fitted.  The
 * interior loss becomes the mean over the M' non-empty chunks of W_i·L_i:
 * each point of chunk i gets w = W_i·N/(M'·n_i), and lambda = W_i (so the
 * smallest lambda is min W, the paper's convergence signal).  W is computed
 * from the residuals and not differentiated (the paper's stop-gradient).
 * ε is `tolerance`: one number, or the paper's schedule as a list
 * (e.g. [0.01, 0.1, 1, 10, 100]), moving to the next ε once min W > delta
 * (0.99 in the paper).  Keys: chunks (32), tolerance (1.0), delta (0.99).
 * Needs a PDE with a time input.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHUNKS 4096
#define MAX_TOLERANCES 16

typedef struct causal {
	long chunks;
	double tolerance[MAX_TOLERANCES];
	int n_tolerances;
	uint64_t stage;          /* index of the ε in use */
	double delta;
	int t_input;
	double t_lo, t_hi;
	double *loss, *weight;   /* per chunk */
	size_t *count;
	double *sums;            /* 2 × chunks: Σ r² and counts, reduced over ranks */
} causal;

static void causal_destroy(void *state)
{
	causal *c = state;

	if (!c)
		return;
	free(c->loss);
	free(c->weight);
	free(c->count);
	free(c->sums);
	free(c);
}

/* `tolerance`: a number or a list of numbers, each >= 0. */
static int read_tolerances(causal *c, const pp_config *cfg, pp_error *err)
{
	const pp_config *node = pp_config_get(cfg, "tolerance");
	size_t n;

	c->n_tolerances = 1;
	if (!node || pp_config_node_type(node) != PP_CONFIG_SEQUENCE)
		return pp_config_double(cfg, "tolerance", 1.0, 0, 1e12, &c->tolerance[0], err);
	n = pp_config_size(node);
	if (n < 1 || n > MAX_TOLERANCES)
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "tolerance: a number or a list of 1 to %d numbers",
				       MAX_TOLERANCES);
	for (size_t i = 0; i < n; i++) {
		const pp_config *e = pp_config_at(node, i);
		int rc = pp_config_node_double(e, &c->tolerance[i], err);
		if (rc)
			return rc;
		if (!(c->tolerance[i] >= 0))
			return pp_config_error(err, PP_ERR_CONFIG, e,
					       "tolerance: values are >= 0");
	}
	c->n_tolerances = (int)n;
	return PP_OK;
}

static int causal_read(causal *c, const pp_config *cfg, const pp_pde_info *pde,
		       pp_error *err)
{
	int rc;

	rc = pp_config_long(cfg, "chunks", 32, 1, MAX_CHUNKS, &c->chunks, err);
	if (!rc)
		rc = read_tolerances(c, cfg, err);
	if (!rc)
		rc = pp_config_double(cfg, "delta", 0.99, 0, 1, &c->delta, err);
	if (rc)
		return rc;
	if (pde->time_input < 0 || pde->time_input >= pde->n_inputs)
		return pp_config_error(err, PP_ERR_CONFIG, cfg,
				       "causal weighting needs a time-dependent PDE; this one has no time input");
	c->t_input = pde->time_input;
	c->t_lo = pde->lo[c->t_input];
	c->t_hi = pde->hi[c->t_input];
	if (!(c->t_hi > c->t_lo))
		return pp_config_error(err, PP_ERR_CONFIG, cfg,
				       "causal weighting needs a time interval of positive length, not [%g, %g]",
				       c->t_lo, c->t_hi);
	return PP_OK;
}

static int causal_create(const pp_config *cfg, const pp_problem *problem, void **state,
			 pp_error *err)
{
	causal *c = calloc(1, sizeof *c);
	int rc;

	if (!c)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = causal_read(c, cfg, problem->pde, err);
	if (!rc) {
		c->loss = calloc((size_t)c->chunks, sizeof *c->loss);
		c->weight = calloc((size_t)c->chunks, sizeof *c->weight);
		c->count = calloc((size_t)c->chunks, sizeof *c->count);
		c->sums = calloc(2 * (size_t)c->chunks, sizeof *c->sums);
		if (!c->loss || !c->weight || !c->count || !c->sums)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	if (rc) {
		causal_destroy(c);
		return rc;
	}
	*state = c;
	return PP_OK;
}

/* Chunk of time t; times outside [t_lo, t_hi] fall into the end chunks. */
static long chunk_of(const causal *c, const pp_term_state *t, size_t p)
{
	double time = (double)t->x[p * (size_t)t->n_inputs + (size_t)c->t_input];
	double u = (time - c->t_lo) / (c->t_hi - c->t_lo) * (double)c->chunks;

	return u < 1 ? 0 : u >= (double)c->chunks ? c->chunks - 1 : (long)u;
}

/* Every rank's per-chunk Σ r² and counts summed (collective; the
 * identity on one rank). */
static int reduce_chunks(causal *c, const pp_problem *problem, pp_error *err)
{
	size_t K = (size_t)c->chunks;
	int rc;

	if (!problem || problem->ranks <= 1)
		return PP_OK;
	for (size_t i = 0; i < K; i++) {
		c->sums[i] = c->loss[i];
		c->sums[K + i] = (double)c->count[i];
	}
	rc = pp_problem_allreduce(problem, c->sums, 2 * K, PP_REDUCE_SUM, err);
	for (size_t i = 0; !rc && i < K; i++) {
		c->loss[i] = c->sums[i];
		c->count[i] = (size_t)c->sums[K + i];
	}
	return rc;
}

/* Per-chunk mean r² and W for one term over every rank's points; the
 * number of non-empty chunks into *filled and the smallest W among them
 * into *min_weight. */
static int chunk_weights(causal *c, const pp_step_view *view, const pp_term_state *t, double eps,
			 double *min_weight, long *filled, pp_error *err)
{
	double cumulative = 0;
	int rc;

	*filled = 0;
	memset(c->loss, 0, (size_t)c->chunks * sizeof *c->loss);
	memset(c->count, 0, (size_t)c->chunks * sizeof *c->count);
	for (size_t p = 0; p < t->n; p++) {
		long i = chunk_of(c, t, p);
		c->loss[i] += (double)t->r[p] * (double)t->r[p];
		c->count[i]++;
	}
	rc = reduce_chunks(c, view->problem, err);
	if (rc)
		return rc;
	*min_weight = 1;
	for (long i = 0; i < c->chunks; i++) {
		c->weight[i] = exp(-eps * cumulative);
		if (!c->count[i])
			continue;
		c->loss[i] /= (double)c->count[i];
		cumulative += c->loss[i];
		*min_weight = fmin(*min_weight, c->weight[i]);
		(*filled)++;
	}
	return PP_OK;
}

static int causal_point_weights(void *state, pp_step_view *view, pp_error *err)
{
	causal *c = state;
	double eps = c->tolerance[c->stage], min_weight = 1;

	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		size_t n = pp_view_points(view, k);   /* over every rank */
		double lowest;
		long filled;
		int rc;

		if (!t->interior || n == 0)
			continue;
		rc = chunk_weights(c, view, t, eps, &lowest, &filled, err);
		if (rc)
			return rc;
		min_weight = fmin(min_weight, lowest);
		for (size_t p = 0; p < t->n; p++) {
			long i = chunk_of(c, t, p);
			t->lambda[p] = (pp_real)c->weight[i];
			t->w[p] = (pp_real)(c->weight[i] * (double)n /
					    ((double)filled * (double)c->count[i]));
		}
	}
	/* the schedule moves on once every chunk counts (from the next step) */
	if (min_weight > c->delta && c->stage + 1 < (uint64_t)c->n_tolerances)
		c->stage++;
	return PP_OK;
}

/* Checkpoint: "CA" 0 version byte, uint32 0, uint64 index of the ε in use. */
#define CAUSAL_MAGIC "CA\000\001"

static int causal_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const causal *c = state;
	unsigned char *p = buf;

	if (!buf) {
		*size = 16;
		return PP_OK;
	}
	if (*size < 16)
		return pp_error_set(err, PP_ERR_INVALID, "causal: checkpoint buffer too small");
	memset(p, 0, 16);
	memcpy(p, CAUSAL_MAGIC, 4);
	memcpy(p + 8, &c->stage, 8);
	*size = 16;
	return PP_OK;
}

static int causal_load(void *state, const void *buf, size_t size, pp_error *err)
{
	causal *c = state;
	uint64_t stage;

	if (size != 16 || memcmp(buf, CAUSAL_MAGIC, 4) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "causal: not a causal checkpoint (version 1)");
	memcpy(&stage, (const unsigned char *)buf + 8, 8);
	if (stage >= (uint64_t)c->n_tolerances)
		return pp_error_set(err, PP_ERR_INVALID,
				    "causal: checkpoint at tolerance %llu of a list of %d",
				    (unsigned long long)stage + 1, c->n_tolerances);
	c->stage = stage;
	return PP_OK;
}

static const pp_weighting_ops causal_ops = {
	.struct_size = sizeof causal_ops,
	.create = causal_create,
	.destroy = causal_destroy,
	.point_weights = causal_point_weights,
	.save = causal_save,
	.load = causal_load,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "causal",
		 "temporal causal weighting of the interior residual (Wang, Sankaran & Perdikaris)",
		 &causal_ops)
