/* phasepinn — the training loop (see trainer.h). */
#include "core/trainer.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cblas.h>

#include <phasepinn/output.h>

/* One enabled loss term with its points and work arrays. */
typedef struct term_run {
	pp_term_state *st;          /* the view's entry for this term */
	const pp_term_info *info;
	int n_channels;
	int paired;
	size_t n;
	pp_real *x, *x_pair;        /* n × d */
	pp_real *r, *w, *lambda;    /* n */
	pp_real *out, *out_pair;    /* per batch b: n_channels × len_b at n_channels·start_b */
	pp_real *dr, *dr_pair;      /* same layout */
	pp_real *grad;              /* g_k, n_params, without the term weight */
	size_t n_batches;
	size_t *start, *len;
	pp_batch **batches, **pair_batches;
} term_run;

typedef struct trainer {
	pp_experiment *exp;
	int progress_tty;           /* progress goes to a terminal: one updating line */
	double progress_last;       /* when that line was last drawn (s) */
	int progress_open;          /* a redrawn line waits for its newline */
	long rate_step0;            /* step and time (s) the rate counts from */
	double rate_time0;
	int col_error, col_phase;   /* metric columns shown in progress, or -1 */
	pp_network *net;
	size_t n_params;
	int d;
	pp_term_state states[PP_MAX_TERMS];
	term_run terms[PP_MAX_TERMS];
	int n_terms;
	int interior;               /* index of the chunked term, -1 if none */
	pp_real *seed;              /* scratch: max channels × max batch */
	pp_real *grad;              /* full gradient */
	pp_real *chunk_grad;        /* one chunk's contribution */
	pp_real *other;             /* Σ over non-interior terms of tw·g */
	pp_real *params;            /* copy the optimizer works on */
	pp_real *opt_grad;          /* the gradient at params, which objective
				       evaluations inside the step must not clobber */
	int want_chunks;
	int n_chunks;               /* 0: one per point (per-sample statistics) */
	size_t *chunk_start;        /* chunk c of the interior term: points
				       [chunk_start[c], chunk_start[c + 1]) */
	pp_batch *chunk_batch;      /* chunk mode: one chunk at a time */
	pp_real *chunk_out;         /* its outputs, n_channels × chunk */
	int stats_due;              /* an analyzer reads the statistics this step */
	pp_batch *sample_batch;     /* per-sample mode: one point at a time */
	double *chunk_sum, *chunk_sumsq;
	pp_chunk_stats chunks;
	pp_rng rng;
	pp_step_view view;
	const pp_stage *stage;
	void *opt_state;
	pp_objective objective;
	char *config_text;          /* resolved config for checkpoints */
	size_t config_len;
	pp_ckpt_origin origin;      /* which run this is (section EXPT); its
				       metrics fields are updated per checkpoint */
	long first_step;            /* 0, or the step a resumed run starts at */
} trainer;

/* ---- set-up ------------------------------------------------------------- */

/* A paired term (periodic boundary) evaluates each point also at the upper
 * end of its pair input. */
static void pair_points(trainer *t, term_run *tr)
{
	int p = tr->info->pair_input;

	if (!tr->paired)
		return;
	memcpy(tr->x_pair, tr->x, tr->n * (size_t)t->d * sizeof *tr->x);
	for (size_t i = 0; i < tr->n; i++)
		tr->x_pair[i * (size_t)t->d + (size_t)p] = (pp_real)t->exp->pde.hi[p];
}

static int sample_points(trainer *t, term_run *tr, pp_error *err)
{
	int rc = pp_sample_term(t->exp->sampler, &t->exp->pde, tr->info, tr->n, &t->rng,
				tr->x, err);

	if (rc)
		return rc;
	pair_points(t, tr);
	return PP_OK;
}

static int alloc_plan(term_run *tr, size_t n_batches, pp_error *err)
{
	tr->n_batches = n_batches;
	tr->start = calloc(n_batches, sizeof *tr->start);
	tr->len = calloc(n_batches, sizeof *tr->len);
	tr->batches = calloc(n_batches, sizeof *tr->batches);
	tr->pair_batches = calloc(n_batches, sizeof *tr->pair_batches);
	if (!tr->start || !tr->len || !tr->batches || !tr->pair_batches)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory planning batches");
	return PP_OK;
}

/* Cut a term's n points into batches of at most @batch_points. */
static int plan_batches(term_run *tr, size_t batch_points, pp_error *err)
{
	size_t n_batches = (tr->n + batch_points - 1) / batch_points;
	int rc = alloc_plan(tr, n_batches, err);

	for (size_t b = 0; !rc && b < n_batches; b++) {
		tr->start[b] = tr->n * b / n_batches;
		tr->len[b] = tr->n * (b + 1) / n_batches - tr->start[b];
	}
	return rc;
}

/* The interior term when analyzers read gradient statistics: K equal chunks
 * (the statistics' samples), and batches of whole chunks, as many as fit in
 * @batch_points (at least one), so that ordinary steps run large batches on
 * every thread and a statistics step finds each chunk inside one batch. */
static int plan_chunked_batches(trainer *t, term_run *tr, size_t batch_points, pp_error *err)
{
	size_t K = (size_t)t->n_chunks, longest = 0, per, n_batches;
	int rc;

	t->chunk_start = calloc(K + 1, sizeof *t->chunk_start);
	if (!t->chunk_start)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory planning chunks");
	for (size_t c = 0; c <= K; c++)
		t->chunk_start[c] = tr->n * c / K;
	for (size_t c = 0; c < K; c++)
		if (t->chunk_start[c + 1] - t->chunk_start[c] > longest)
			longest = t->chunk_start[c + 1] - t->chunk_start[c];
	per = batch_points / longest ? batch_points / longest : 1;
	n_batches = (K + per - 1) / per;
	rc = alloc_plan(tr, n_batches, err);
	for (size_t b = 0; !rc && b < n_batches; b++) {
		size_t end = (b + 1) * per < K ? (b + 1) * per : K;
		tr->start[b] = t->chunk_start[b * per];
		tr->len[b] = t->chunk_start[end] - tr->start[b];
	}
	if (!rc)
		rc = pp_batch_create(t->net, longest, tr->n_channels, tr->info->channels,
				     &t->chunk_batch, err);
	if (!rc && !(t->chunk_out = calloc((size_t)tr->n_channels * longest, sizeof *t->chunk_out)))
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for a gradient chunk");
	return rc;
}

static pp_real *alloc_reals(size_t n)
{
	return calloc(n ? n : 1, sizeof(pp_real));
}

static int setup_term(trainer *t, int k, pp_error *err)
{
	pp_experiment *exp = t->exp;
	term_run *tr = &t->terms[k];
	const pp_term_setup *ts = &exp->terms[k];
	size_t n = (size_t)ts->points, S, n_batches;
	int rc;

	tr->info = &exp->pde.terms[ts->pde_term];
	tr->n = n;
	tr->n_channels = tr->info->n_channels;
	tr->paired = tr->info->pair_input >= 0;
	S = (size_t)tr->n_channels;
	if (tr->n_channels < 1 || tr->n_channels > PP_MAX_CHANNELS)
		return pp_error_set(err, PP_ERR_PLUGIN, "pde term '%s' declares %d channels",
				    tr->info->name, tr->n_channels);
	tr->x = alloc_reals(n * (size_t)t->d);
	tr->r = alloc_reals(n);
	tr->w = alloc_reals(n);
	tr->lambda = alloc_reals(n);
	tr->out = alloc_reals(n * S);
	tr->dr = alloc_reals(n * S);
	tr->grad = alloc_reals(t->n_params);
	if (tr->paired) {
		tr->x_pair = alloc_reals(n * (size_t)t->d);
		tr->out_pair = alloc_reals(n * S);
		tr->dr_pair = alloc_reals(n * S);
	}
	if (!tr->x || !tr->r || !tr->w || !tr->lambda || !tr->out || !tr->dr || !tr->grad ||
	    (tr->paired && (!tr->x_pair || !tr->out_pair || !tr->dr_pair)))
		return pp_error_set(err, PP_ERR_NOMEM,
				    "out of memory for %zu points of term '%s'; lower its points",
				    n, tr->info->name);
	for (size_t i = 0; i < n; i++)
		tr->w[i] = tr->lambda[i] = 1;
	if (k == t->interior && t->want_chunks && t->n_chunks > 0) {
		if (n < (size_t)t->n_chunks)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "term '%s' has %zu points, fewer than the %d gradient chunks the analyzers asked for",
					    tr->info->name, n, t->n_chunks);
		if (tr->paired)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "gradient statistics do not support a paired interior term");
		rc = plan_chunked_batches(t, tr, (size_t)exp->batch_points, err);
	} else {
		rc = plan_batches(tr, (size_t)exp->batch_points, err);
	}
	if (rc)
		return rc;
	n_batches = tr->n_batches;
	for (size_t b = 0; b < n_batches; b++) {
		rc = pp_batch_create(t->net, tr->len[b], tr->n_channels, tr->info->channels,
				     &tr->batches[b], err);
		if (!rc && tr->paired)
			rc = pp_batch_create(t->net, tr->len[b], tr->n_channels, tr->info->channels,
					     &tr->pair_batches[b], err);
		if (rc)
			return rc;
	}
	if (k == t->interior && t->want_chunks && t->n_chunks == 0) {
		if (tr->paired)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "per-sample statistics do not support a paired interior term");
		rc = pp_batch_create(t->net, 1, tr->n_channels, tr->info->channels,
				     &t->sample_batch, err);
		if (rc)
			return rc;
	}
	tr->st = &t->states[k];
	tr->st->name = tr->info->name;
	tr->st->pde_term = ts->pde_term;
	tr->st->interior = tr->info->interior;
	tr->st->n = n;
	tr->st->n_inputs = t->d;
	tr->st->x = tr->x;
	tr->st->r = tr->r;
	tr->st->w = tr->w;
	tr->st->lambda = tr->lambda;
	tr->st->term_weight = ts->weight;
	tr->st->grad = tr->grad;
	return sample_points(t, tr, err);
}

static unsigned all_needs(const pp_experiment *exp, int *n_chunks, pp_error *err)
{
	unsigned needs = 0;

	int chosen = -1;

	*n_chunks = 100;
	if (exp->weighting_ops->needs)
		needs |= exp->weighting_ops->needs(exp->weighting_state);
	for (int a = 0; a < exp->n_analyzers; a++) {
		const pp_analyzer_slot *s = &exp->analyzers[a];
		unsigned need = s->ops->needs ? s->ops->needs(s->state) : 0;
		if ((need & PP_NEED_CHUNK_STATS) && s->ops->chunk_count) {
			int c = s->ops->chunk_count(s->state);
			c = c < 0 ? 0 : c;
			if (chosen >= 0 && c != chosen) {
				pp_error_set(err, PP_ERR_CONFIG,
					     "analyzers disagree on gradient chunks (%d and %d); give them the same chunks: (or mode:)",
					     chosen, c);
				return ~0u;
			}
			chosen = *n_chunks = c;
		}
		needs |= need;
	}
	return needs;
}

/* Matrix products are the only multi-threaded part (OpenBLAS's threads). */
static void set_threads(int threads)
{
	openblas_set_num_threads(threads);
}

static int trainer_setup(trainer *t, pp_experiment *exp, pp_error *err)
{
	size_t max_seed = 1;
	unsigned needs;
	int rc;

	memset(t, 0, sizeof *t);
	t->exp = exp;
	t->net = exp->net;
	t->n_params = pp_network_param_count(exp->net);
	t->d = exp->pde.n_inputs;
	t->n_terms = exp->n_terms;
	t->interior = -1;
	set_threads(exp->threads);
	pp_rng_init(&t->rng, exp->seed, 0x53414d50u /* "SAMP" */);
	needs = all_needs(exp, &t->n_chunks, err);
	if (needs == ~0u)
		return err->code;
	t->want_chunks = (needs & PP_NEED_CHUNK_STATS) != 0;
	for (int k = 0; k < exp->n_terms; k++)
		if (exp->pde.terms[exp->terms[k].pde_term].interior && t->interior < 0)
			t->interior = k;
	if (t->want_chunks && t->interior < 0)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "gradient statistics need the interior (residual) term, which is disabled");
	for (int k = 0; k < exp->n_terms; k++) {
		rc = setup_term(t, k, err);
		if (rc)
			return rc;
		for (size_t b = 0; b < t->terms[k].n_batches; b++) {
			size_t m = t->terms[k].len[b] * (size_t)t->terms[k].n_channels;
			if (m > max_seed)
				max_seed = m;
		}
	}
	t->seed = alloc_reals(max_seed);
	t->grad = alloc_reals(t->n_params);
	t->chunk_grad = alloc_reals(t->n_params);
	t->other = alloc_reals(t->n_params);
	t->params = alloc_reals(t->n_params);
	t->opt_grad = alloc_reals(t->n_params);
	if (t->want_chunks) {
		t->chunk_sum = calloc(t->n_params, sizeof *t->chunk_sum);
		t->chunk_sumsq = calloc(t->n_params, sizeof *t->chunk_sumsq);
	}
	if (!t->seed || !t->grad || !t->chunk_grad || !t->other || !t->params || !t->opt_grad ||
	    (t->want_chunks && (!t->chunk_sum || !t->chunk_sumsq)))
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for the training buffers");
	t->chunks.n_chunks = t->n_chunks > 0 ? t->n_chunks
			     : t->interior >= 0 ? (int)t->terms[t->interior].n : 1;
	t->chunks.n_params = t->n_params;
	t->chunks.sum = t->chunk_sum;
	t->chunks.sumsq = t->chunk_sumsq;
	t->view.n_terms = t->n_terms;
	t->view.terms = t->states;
	t->view.net = t->net;
	t->view.params = pp_network_params(t->net);
	t->view.grad = t->grad;
	t->view.n_params = t->n_params;
	t->view.chunks = t->want_chunks ? &t->chunks : NULL;
	t->view.problem = &exp->problem;
	return PP_OK;
}

static void trainer_teardown(trainer *t)
{
	for (int k = 0; k < t->n_terms; k++) {
		term_run *tr = &t->terms[k];
		for (size_t b = 0; b < tr->n_batches; b++) {
			if (tr->batches)
				pp_batch_destroy(tr->batches[b]);
			if (tr->pair_batches)
				pp_batch_destroy(tr->pair_batches[b]);
		}
		free(tr->batches);
		free(tr->pair_batches);
		free(tr->start);
		free(tr->len);
		free(tr->x);
		free(tr->x_pair);
		free(tr->r);
		free(tr->w);
		free(tr->lambda);
		free(tr->out);
		free(tr->out_pair);
		free(tr->dr);
		free(tr->dr_pair);
		free(tr->grad);
	}
	free(t->seed);
	free(t->grad);
	free(t->chunk_grad);
	free(t->other);
	free(t->params);
	free(t->opt_grad);
	free(t->chunk_sum);
	free(t->chunk_sumsq);
	free(t->config_text);
	free(t->chunk_start);
	free(t->chunk_out);
	pp_batch_destroy(t->chunk_batch);
	pp_batch_destroy(t->sample_batch);
}

/* ---- one evaluation ----------------------------------------------------- */

/* Channel pointers of batch b into an [S × len] block at S·start. */
static void channel_ptrs(pp_real *base, const term_run *tr, size_t b, pp_real **ptr)
{
	for (int c = 0; c < tr->n_channels; c++)
		ptr[c] = base + (size_t)tr->n_channels * tr->start[b] + (size_t)c * tr->len[b];
}

static int forward_term(trainer *t, term_run *tr, pp_error *err)
{
	const pp_pde_ops *pde = t->exp->pde_ops;
	pp_real *u[PP_MAX_CHANNELS], *dr[PP_MAX_CHANNELS];
	pp_real *up[PP_MAX_CHANNELS], *drp[PP_MAX_CHANNELS];
	double sum = 0;
	int rc;

	for (size_t b = 0; b < tr->n_batches; b++) {
		size_t s = tr->start[b], len = tr->len[b];
		pp_residual_args args = {0};

		rc = pp_network_forward(t->net, tr->batches[b], len, tr->x + s * (size_t)t->d,
					tr->out + (size_t)tr->n_channels * s, err);
		if (!rc && tr->paired)
			rc = pp_network_forward(t->net, tr->pair_batches[b], len,
						tr->x_pair + s * (size_t)t->d,
						tr->out_pair + (size_t)tr->n_channels * s, err);
		if (rc)
			return rc;
		channel_ptrs(tr->out, tr, b, u);
		channel_ptrs(tr->dr, tr, b, dr);
		args.term = tr->st->pde_term;
		args.n = len;
		args.x = tr->x + s * (size_t)t->d;
		args.u = (const pp_real *const *)u;
		args.r = tr->r + s;
		args.dr = dr;
		if (tr->paired) {
			channel_ptrs(tr->out_pair, tr, b, up);
			channel_ptrs(tr->dr_pair, tr, b, drp);
			args.x_pair = tr->x_pair + s * (size_t)t->d;
			args.u_pair = (const pp_real *const *)up;
			args.dr_pair = drp;
		}
		rc = pde->residual(t->exp->pde_state, &args, err);
		if (rc)
			return pp_error_prefix(err, "pde '%s', term '%s'", t->exp->pde_plugin->name,
					       tr->info->name);
	}
	for (size_t i = 0; i < tr->n; i++)
		sum += (double)tr->r[i] * (double)tr->r[i];
	tr->st->loss = sum / (double)tr->n;
	return PP_OK;
}

static void weighted_losses(trainer *t, double *total)
{
	*total = 0;
	for (int k = 0; k < t->n_terms; k++) {
		term_run *tr = &t->terms[k];
		double sum = 0;
		for (size_t i = 0; i < tr->n; i++)
			sum += (double)tr->w[i] * (double)tr->r[i] * (double)tr->r[i];
		tr->st->weighted_loss = tr->st->term_weight * sum / (double)tr->n;
		*total += tr->st->weighted_loss;
	}
}

/* seed = 2·w·r·∂r/∂u / N for batch b: gradient of mean(w r²) w.r.t. the
 * network outputs of that batch. */
static void make_seed(const term_run *tr, size_t b, const pp_real *dr_base, pp_real *seed)
{
	size_t s = tr->start[b], len = tr->len[b];
	pp_real scale = (pp_real)(2.0 / (double)tr->n);

	for (int c = 0; c < tr->n_channels; c++) {
		const pp_real *drc = dr_base + (size_t)tr->n_channels * s + (size_t)c * len;
		pp_real *sc = seed + (size_t)c * len;
		for (size_t i = 0; i < len; i++)
			sc[i] = scale * tr->w[s + i] * tr->r[s + i] * drc[i];
	}
}

static int backward_batch(trainer *t, term_run *tr, size_t b, pp_real *grad, pp_error *err)
{
	int rc;

	make_seed(tr, b, tr->dr, t->seed);
	rc = pp_network_backward(t->net, tr->batches[b], t->seed, grad, err);
	if (rc || !tr->paired)
		return rc;
	make_seed(tr, b, tr->dr_pair, t->seed);
	return pp_network_backward(t->net, tr->pair_batches[b], t->seed, grad, err);
}

static void add_scaled(pp_real *y, double a, const pp_real *x, size_t n)
{
	for (size_t j = 0; j < n; j++)
		y[j] += (pp_real)a * x[j];
}

/* The interior term chunk by chunk: g_int and the chunk statistics of
 * g_chunk = K·(chunk's share of tw·g_int) + other.  Each chunk is pushed
 * through the network once more on its own (the batches hold larger
 * pieces), its seed built from the residuals and Jacobians of the batched
 * pass, so statistics cost one extra forward on the steps that read them. */
static int backward_chunked(trainer *t, term_run *tr, pp_error *err)
{
	double tw = tr->st->term_weight, K = (double)t->n_chunks;
	pp_real scale = (pp_real)(2.0 / (double)tr->n);
	size_t S = (size_t)tr->n_channels, b = 0;
	int rc;

	memset(t->chunk_sum, 0, t->n_params * sizeof *t->chunk_sum);
	memset(t->chunk_sumsq, 0, t->n_params * sizeof *t->chunk_sumsq);
	for (int c = 0; c < t->n_chunks; c++) {
		size_t p0 = t->chunk_start[c], len = t->chunk_start[c + 1] - p0, off;
		double share = (double)tr->n / ((double)len * K);
		const pp_real *dr;

		while (p0 >= tr->start[b] + tr->len[b])
			b++;
		off = p0 - tr->start[b];
		dr = tr->dr + S * tr->start[b];
		rc = pp_network_forward(t->net, t->chunk_batch, len, tr->x + p0 * (size_t)t->d,
					t->chunk_out, err);
		if (rc)
			return rc;
		for (size_t ch = 0; ch < S; ch++)
			for (size_t i = 0; i < len; i++)
				t->seed[ch * len + i] = scale * tr->w[p0 + i] * tr->r[p0 + i] *
							dr[ch * tr->len[b] + off + i];
		memset(t->chunk_grad, 0, t->n_params * sizeof *t->chunk_grad);
		rc = pp_network_backward(t->net, t->chunk_batch, t->seed, t->chunk_grad, err);
		if (rc)
			return rc;
		for (size_t j = 0; j < t->n_params; j++) {
			double g = K * share * tw * (double)t->chunk_grad[j] + (double)t->other[j];
			tr->grad[j] += t->chunk_grad[j];
			t->chunk_sum[j] += g;
			t->chunk_sumsq[j] += g * g;
		}
	}
	return PP_OK;
}

/* Per-sample statistics: g_i = tw·∇θ(w_i·r_i²) + other, point by point
 * (one more forward and backward per point, on a one-point batch; the
 * residual Jacobians come from the batched pass). */
static int backward_samples(trainer *t, term_run *tr, pp_error *err)
{
	double tw = tr->st->term_weight, N = (double)tr->n;
	pp_real out[PP_MAX_CHANNELS], seed[PP_MAX_CHANNELS];
	int S = tr->n_channels, rc;

	memset(t->chunk_sum, 0, t->n_params * sizeof *t->chunk_sum);
	memset(t->chunk_sumsq, 0, t->n_params * sizeof *t->chunk_sumsq);
	for (size_t b = 0; b < tr->n_batches; b++) {
		for (size_t i = 0; i < tr->len[b]; i++) {
			size_t p = tr->start[b] + i;
			const pp_real *dr = tr->dr + (size_t)S * tr->start[b] + i;
			rc = pp_network_forward(t->net, t->sample_batch, 1, tr->x + p * (size_t)t->d,
						out, err);
			if (rc)
				return rc;
			for (int c = 0; c < S; c++)
				seed[c] = (pp_real)(2.0 / N) * tr->w[p] * tr->r[p] * dr[(size_t)c * tr->len[b]];
			memset(t->chunk_grad, 0, t->n_params * sizeof *t->chunk_grad);
			rc = pp_network_backward(t->net, t->sample_batch, seed, t->chunk_grad, err);
			if (rc)
				return rc;
			for (size_t j = 0; j < t->n_params; j++) {
				double g = N * tw * (double)t->chunk_grad[j] + (double)t->other[j];
				t->chunk_sum[j] += g;
				t->chunk_sumsq[j] += g * g;
			}
		}
	}
	return PP_OK;
}

static int backward_all(trainer *t, int with_chunks, pp_error *err)
{
	int rc;

	memset(t->other, 0, t->n_params * sizeof *t->other);
	for (int k = 0; k < t->n_terms; k++) {
		term_run *tr = &t->terms[k];
		memset(tr->grad, 0, t->n_params * sizeof *tr->grad);
		if (with_chunks && k == t->interior && t->n_chunks > 0)
			continue;
		for (size_t b = 0; b < tr->n_batches; b++) {
			rc = backward_batch(t, tr, b, tr->grad, err);
			if (rc)
				return rc;
		}
		if (k != t->interior)
			add_scaled(t->other, tr->st->term_weight, tr->grad, t->n_params);
	}
	if (with_chunks && t->n_chunks > 0)
		return backward_chunked(t, &t->terms[t->interior], err);
	if (with_chunks)
		return backward_samples(t, &t->terms[t->interior], err);
	return PP_OK;
}

static void combine_gradient(trainer *t)
{
	memset(t->grad, 0, t->n_params * sizeof *t->grad);
	for (int k = 0; k < t->n_terms; k++)
		add_scaled(t->grad, t->terms[k].st->term_weight, t->terms[k].grad, t->n_params);
}

/* Name the first non-finite quantity, if any. */
static int check_finite(trainer *t, long step, double loss, pp_error *err)
{
	for (int k = 0; k < t->n_terms; k++) {
		const pp_term_state *st = t->terms[k].st;
		if (!isfinite(st->loss))
			return pp_error_set(err, PP_ERR_NUMERIC,
					    "step %ld: loss of term '%s' is not finite (%g); lower the learning rate or check the PDE coefficients",
					    step, st->name, st->loss);
		if (!isfinite(st->weighted_loss))
			return pp_error_set(err, PP_ERR_NUMERIC,
					    "step %ld: weighted loss of term '%s' is not finite (%g) while its residuals are; weighting '%s' gave it a non-finite weight",
					    step, st->name, st->weighted_loss,
					    t->exp->weighting_plugin->name);
	}
	if (!isfinite(loss))
		return pp_error_set(err, PP_ERR_NUMERIC, "step %ld: loss is not finite", step);
	for (int k = 0; k < t->n_terms; k++)
		for (size_t j = 0; j < t->n_params; j++)
			if (!isfinite(t->terms[k].grad[j]))
				return pp_error_set(err, PP_ERR_NUMERIC,
						    "step %ld: gradient of term '%s' is not finite (parameter %zu); lower the learning rate",
						    step, t->terms[k].st->name, j);
	return PP_OK;
}

/* Full evaluation at the network's current parameters. @update_weights:
 * let the weighting scheme see the residuals (training steps); objective
 * evaluations inside an optimizer step keep the weights fixed. */
static int evaluate(trainer *t, int update_weights, double *loss, pp_error *err)
{
	const pp_weighting_ops *wops = t->exp->weighting_ops;
	void *wstate = t->exp->weighting_state;
	int rc;

	for (int k = 0; k < t->n_terms; k++) {
		rc = forward_term(t, &t->terms[k], err);
		if (rc)
			return rc;
	}
	if (update_weights && wops->point_weights) {
		rc = wops->point_weights(wstate, &t->view, err);
		if (rc)
			return pp_error_prefix(err, "weighting '%s'", t->exp->weighting_plugin->name);
	}
	weighted_losses(t, loss);
	rc = backward_all(t, t->want_chunks && t->stats_due, err);
	if (rc)
		return rc;
	if (update_weights && wops->term_weights) {
		rc = wops->term_weights(wstate, &t->view, err);
		if (rc)
			return pp_error_prefix(err, "weighting '%s'", t->exp->weighting_plugin->name);
		weighted_losses(t, loss);
	}
	combine_gradient(t);
	t->view.loss = *loss;
	return PP_OK;
}

static int objective_eval(void *ctx, const pp_real *params, double *loss, pp_real *grad,
			  pp_error *err)
{
	trainer *t = ctx;
	int rc;

	memcpy(pp_network_params(t->net), params, t->n_params * sizeof *params);
	t->stats_due = 0;
	rc = evaluate(t, 0, loss, err);
	if (rc)
		return rc;
	if (grad)
		memcpy(grad, t->grad, t->n_params * sizeof *grad);
	return PP_OK;
}

/* ---- metrics ------------------------------------------------------------ */

enum { COL_STEP, COL_STAGE, COL_LOSS, COL_LR, COL_TIME, COL_FIXED };

/* The metrics row: the fixed columns, loss and weight per term, then each
 * analyzer's columns; all must fit in PP_MAX_COLUMNS (row buffers are that
 * long and observe() writes n_columns values into them). */
static int name_columns(trainer *t, pp_train_result *res, pp_error *err)
{
	int n = 0, total = COL_FIXED + 2 * t->n_terms;
	static const char *const fixed[] = {"step", "stage", "loss", "lr", "time_s"};

	for (int a = 0; a < t->exp->n_analyzers; a++)
		total += t->exp->analyzers[a].n_columns;
	if (total > PP_MAX_COLUMNS)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "the metrics row would have %d columns (%d analyzers); at most %d fit: drop an analyzer",
				    total, t->exp->n_analyzers, PP_MAX_COLUMNS);
	for (int i = 0; i < COL_FIXED; i++)
		snprintf(res->column_store[n++], sizeof res->column_store[0], "%s", fixed[i]);
	for (int k = 0; k < t->n_terms && n + 2 <= PP_MAX_COLUMNS; k++) {
		snprintf(res->column_store[n++], sizeof res->column_store[0], "loss_%s",
			 t->terms[k].st->name);
		snprintf(res->column_store[n++], sizeof res->column_store[0], "weight_%s",
			 t->terms[k].st->name);
	}
	for (int a = 0; a < t->exp->n_analyzers; a++)
		for (int c = 0; c < t->exp->analyzers[a].n_columns && n < PP_MAX_COLUMNS; c++)
			snprintf(res->column_store[n++], sizeof res->column_store[0], "%s",
				 t->exp->analyzers[a].columns[c]);
	res->n_columns = n;
	for (int i = 0; i < n; i++) {
		res->columns[i] = res->column_store[i];
		res->last[i] = NAN;
	}
	return PP_OK;
}

static void write_header(const pp_train_result *res, FILE *f)
{
	for (int i = 0; i < res->n_columns; i++)
		fprintf(f, "%s%s", i ? "," : "", res->columns[i]);
	fputc('\n', f);
	fflush(f);
}

static void write_row(const double *row, const unsigned char *set, int n, FILE *f)
{
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		if (set[i] && isfinite(row[i]))
			fprintf(f, "%.10g", row[i]);
		else if (set[i] && isnan(row[i]))
			fputs("nan", f);
		else if (set[i])
			fputs(row[i] > 0 ? "inf" : "-inf", f);
	}
	fputc('\n', f);
	fflush(f);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

typedef struct metrics_row {
	double v[PP_MAX_COLUMNS];
	unsigned char set[PP_MAX_COLUMNS];
	int any;
} metrics_row;

/* Analyzers due at @step observe the state at the current parameters; the
 * row is worth writing when anything was measured or the step is a logging
 * step. */
static int observe(trainer *t, long step, int stage, int force, const struct timespec *t0,
		   metrics_row *row, pp_error *err)
{
	int col = COL_FIXED + 2 * t->n_terms;
	int rc;

	memset(row->set, 0, sizeof row->set);
	row->any = force || step % t->exp->log_every == 0;
	for (int a = 0; a < t->exp->n_analyzers; a++) {
		pp_analyzer_slot *s = &t->exp->analyzers[a];
		if (force || step % s->every == 0) {
			rc = s->ops->observe(s->state, &t->view, row->v + col, err);
			if (rc)
				return pp_error_prefix(err, "analyzer '%s' at step %ld",
						       s->plugin->name, step);
			memset(row->set + col, 1, (size_t)s->n_columns);
			row->any = 1;
		}
		col += s->n_columns;
	}
	row->v[COL_STEP] = (double)step;
	row->v[COL_STAGE] = stage;
	row->v[COL_LOSS] = t->view.loss;
	row->v[COL_LR] = NAN;
	row->v[COL_TIME] = seconds_since(t0);
	memset(row->set, 1, COL_FIXED + 2 * (size_t)t->n_terms);
	for (int k = 0; k < t->n_terms; k++) {
		row->v[COL_FIXED + 2 * k] = t->terms[k].st->loss;
		row->v[COL_FIXED + 2 * k + 1] = t->terms[k].st->term_weight;
	}
	return PP_OK;
}

static void emit(trainer *t, const metrics_row *row, const pp_train_options *opts,
		 pp_train_result *res)
{
	(void)t;
	if (!row->any)
		return;
	for (int i = 0; i < res->n_columns; i++)
		if (row->set[i])
			res->last[i] = row->v[i];
	if (opts->metrics)
		write_row(row->v, row->set, res->n_columns, opts->metrics);
}

/* "42s", "12m05s", "3h07m", "2d04h": time left of a run of any length. */
static void format_duration(double sec, char *buf, size_t size)
{
	long s = sec > 0 && sec < 1e9 ? (long)(sec + 0.5) : 0;

	if (s < 120)
		snprintf(buf, size, "%lds", s);
	else if (s < 7200)
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	else if (s < 172800)
		snprintf(buf, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%ldd%02ldh", s / 86400, s / 3600 % 24);
}

/* Columns of the terminal @f is, 0 when unknown. */
static int terminal_columns(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

/* Progress: on a terminal one line redrawn at most 5 times a second, fitted
 * to the terminal's width so it never wraps (the phase, then the error, then
 * the stage are left out first); else a plain line every logging.every
 * steps (CI logs).  Stage, step / total, loss, error and phase when those
 * analyzers run, steps per second over the current stage (setup and earlier
 * stages left out), time left at that rate. */
static void progress(trainer *t, long step, int final, const struct timespec *t0,
		     const pp_train_options *opts, const pp_train_result *res)
{
	static const char *const phase_names[] = {"fitting", "diffusion", "equilibrium"};
	/* pieces in display order; drop[] is the order they go when too wide */
	enum { STAGE, STEP, LOSS, ERROR, PHASE, RATE, LEFT, N_PIECES };
	static const int drop[] = {PHASE, ERROR, STAGE};
	char piece[N_PIECES][96], line[N_PIECES * 96], when[32];
	double now = seconds_since(t0), rate, span;
	size_t width = 0;
	int cols;
	FILE *f = opts->progress;

	if (!f)
		return;
	if (t->progress_tty ? !final && now - t->progress_last < 0.2
			    : !final && step % t->exp->log_every != 0)
		return;
	t->progress_last = now;
	span = now - t->rate_time0;
	rate = span > 0 ? (double)(step - t->rate_step0) / span : 0;
	format_duration(final ? now
		       : rate > 0 ? (double)(t->exp->total_iterations - step) / rate : 0,
		       when, sizeof when);
	memset(piece, 0, sizeof piece);
	snprintf(piece[STAGE], sizeof piece[0], "stage %d/%d %s", t->view.stage + 1,
		 t->exp->n_stages, t->view.optimizer ? t->view.optimizer : "-");
	snprintf(piece[STEP], sizeof piece[0], "step %ld/%ld", step, t->exp->total_iterations);
	snprintf(piece[LOSS], sizeof piece[0], "loss %.3e", t->view.loss);
	if (t->col_error >= 0 && isfinite(res->last[t->col_error]))
		snprintf(piece[ERROR], sizeof piece[0], "rel.L2 %.3e", res->last[t->col_error]);
	if (t->col_phase >= 0 && res->last[t->col_phase] >= 0 && res->last[t->col_phase] <= 2)
		snprintf(piece[PHASE], sizeof piece[0], "phase %s",
			 phase_names[(int)res->last[t->col_phase]]);
	snprintf(piece[RATE], sizeof piece[0],
		 rate >= 100 ? "%.0f steps/s" : rate >= 10 ? "%.1f steps/s" : "%.2f steps/s", rate);
	snprintf(piece[LEFT], sizeof piece[0], "%s %s", final ? "total" : "left", when);
	for (int i = 0; i < N_PIECES; i++)
		width += strlen(piece[i]) + (piece[i][0] ? 2 : 0);
	cols = t->progress_tty ? terminal_columns(f) : 0;
	if (cols > 0)
		for (size_t d = 0; d < sizeof drop / sizeof drop[0] && width > (size_t)cols; d++) {
			width -= strlen(piece[drop[d]]) + (piece[drop[d]][0] ? 2 : 0);
			piece[drop[d]][0] = '\0';
		}
	line[0] = '\0';
	for (int i = 0; i < N_PIECES; i++)
		if (piece[i][0]) {
			if (line[0])
				strcat(line, "  ");
			strcat(line, piece[i]);
		}
	if (cols > 1 && strlen(line) > (size_t)cols - 1)
		line[cols - 1] = '\0';
	fprintf(f, "%s%s%s", t->progress_tty ? "\r\033[K" : "", line,
		t->progress_tty && !final ? "" : "\n");
	t->progress_open = t->progress_tty && !final;
	fflush(f);
}

/* Rates count from here: the start of a stage (or of a resumed run). */
static void progress_mark(trainer *t, long step, const struct timespec *t0)
{
	t->rate_step0 = step;
	t->rate_time0 = seconds_since(t0);
}

/* ---- checkpoints --------------------------------------------------------- */

/* Where the run stands; section "STAT".  Fixed-size types: a checkpoint is
 * read back by the same build (format version and real size are checked). */
typedef struct ckpt_state {
	int64_t step;                /* next global step */
	int32_t stage;               /* stage of that step; n_stages after the last */
	int32_t n_terms;
	int64_t stage_step;          /* its step within the stage */
	int64_t n_params;
	int64_t metrics_offset;      /* bytes of metrics.csv, -1 without one */
	int64_t steps_done;
	double elapsed;              /* wall seconds so far (time_s goes on from it) */
	int32_t n_columns;
	int32_t reserved;
	int64_t stage_steps[PP_MAX_STAGES];
	char stop_reasons[PP_MAX_STAGES][160];
	double last[PP_MAX_COLUMNS];
} ckpt_state;

/* Per term, section "TERM" index k: this header, then x (n × d), w and
 * lambda (n each), as pp_real. */
typedef struct ckpt_term {
	int64_t n, d;
	double term_weight;
} ckpt_term;

/* One plugin's save/load hooks, NULL when it has none. */
typedef struct hooks {
	const char *kind, *name;
	void *state;
	int (*save)(void *, void *, size_t *, pp_error *);
	int (*load)(void *, const void *, size_t, pp_error *);
} hooks;

/* The hooks of an ops table of @type, NULL unless it has both. */
#define HOOKS_OF(kind, name, state, ops, type)                                  \
	((hooks){(kind), (name), (state),                                      \
		 PP_OPS_HAS(ops, type, load) ? (ops)->save : NULL,              \
		 PP_OPS_HAS(ops, type, load) ? (ops)->load : NULL})

static hooks pde_hooks(const pp_experiment *exp)
{
	return HOOKS_OF("pde", exp->pde_plugin->name, exp->pde_state, exp->pde_ops, pp_pde_ops);
}

static hooks weighting_hooks(const pp_experiment *exp)
{
	return HOOKS_OF("weighting", exp->weighting_plugin->name, exp->weighting_state,
			exp->weighting_ops, pp_weighting_ops);
}

static hooks analyzer_hooks(const pp_experiment *exp, int a)
{
	const pp_analyzer_slot *s = &exp->analyzers[a];

	return HOOKS_OF("analyzer", s->plugin->name, s->state, s->ops, pp_analyzer_ops);
}

static hooks optimizer_hooks(const pp_stage *st, void *state)
{
	return HOOKS_OF("optimizer", st->plugin->name, state, st->ops, pp_optimizer_ops);
}

static void append_name(char *buf, size_t size, int *n, const hooks *h)
{
	size_t used = strlen(buf);

	if (h->save && h->load)
		return;
	if (used < size)
		snprintf(buf + used, size - used, "%s%s '%s'", *n ? ", " : "", h->kind, h->name);
	(*n)++;
}

int pp_train_unresumable(const pp_experiment *exp, char *buf, size_t size)
{
	int n = 0;

	if (size)
		buf[0] = '\0';
	{
		hooks h = pde_hooks(exp);
		append_name(buf, size, &n, &h);
	}
	for (int s = 0; s < exp->n_stages; s++) {
		hooks h = optimizer_hooks(&exp->stages[s], NULL);
		append_name(buf, size, &n, &h);
	}
	{
		hooks h = weighting_hooks(exp);
		append_name(buf, size, &n, &h);
	}
	for (int a = 0; a < exp->n_analyzers; a++) {
		hooks h = analyzer_hooks(exp, a);
		append_name(buf, size, &n, &h);
	}
	return n;
}

/* Section @tag/@index from the plugin's save(); nothing when it has none
 * (pp_train_unresumable names it and resume refuses). */
static int save_plugin(pp_ckpt_writer *w, uint32_t tag, uint32_t index, const hooks *h,
		       pp_error *err)
{
	size_t size = 0;
	void *p;
	int rc;

	if (!h->save || !h->load)
		return PP_OK;
	rc = h->save(h->state, NULL, &size, err);
	if (!rc) {
		p = pp_ckpt_reserve(w, tag, index, size);
		if (!p)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory for a checkpoint");
		rc = h->save(h->state, p, &size, err);
	}
	return rc ? pp_error_prefix(err, "saving %s '%s'", h->kind, h->name) : PP_OK;
}

static int load_plugin(const pp_ckpt *c, uint32_t tag, uint32_t index, const hooks *h,
		       pp_error *err)
{
	size_t len;
	const void *p = pp_ckpt_find(c, tag, index, &len);
	int rc;

	if (!h->save || !h->load)
		return pp_error_set(err, PP_ERR_STATE,
				    "cannot resume: %s '%s' has no checkpoint hooks (save/load), so its state would be lost; start the run again",
				    h->kind, h->name);
	if (!p)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s holds no state for %s '%s'; it was written for another experiment",
				    c->path, h->kind, h->name);
	rc = h->load(h->state, p, len, err);
	return rc ? pp_error_prefix(err, "%s: restoring %s '%s'", c->path, h->kind, h->name)
		  : PP_OK;
}

#define TAG_STAT PP_CKPT_TAG("STAT")
#define TAG_CONF PP_CKPT_TAG("CONF")
#define TAG_PATH PP_CKPT_TAG("PATH")
#define TAG_PARM PP_CKPT_TAG("PARM")
#define TAG_RNG PP_CKPT_TAG("RNG_")
#define TAG_TERM PP_CKPT_TAG("TERM")
#define TAG_OPTM PP_CKPT_TAG("OPTM")
#define TAG_WGHT PP_CKPT_TAG("WGHT")
#define TAG_PDE PP_CKPT_TAG("PDE_")
#define TAG_ANLZ PP_CKPT_TAG("ANLZ")

/* The resolved configuration as text, once, for every checkpoint. */
static int config_text(trainer *t, pp_error *err)
{
	FILE *f = open_memstream(&t->config_text, &t->config_len);
	int rc;

	if (!f)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_experiment_write_config(t->exp, f);
	if (fclose(f) != 0 || rc)
		return pp_error_set(err, PP_ERR_NOMEM, "cannot render the configuration");
	return PP_OK;
}

/* The record of this run that every checkpoint carries: the hash of the
 * configuration (config.yaml has the same tree), the parameter count and
 * the network, and a running CRC of metrics.csv.  A resumed run keeps the
 * record of the run it continues (restore()), so the hash stays that of
 * the config.yaml written when the run started. */
static int start_origin(trainer *t, pp_error *err)
{
	pp_ckpt_origin *o = &t->origin;
	int rc;

	memset(o, 0, sizeof *o);
	rc = pp_ckpt_config_hash(t->config_text, t->config_len, "the resolved configuration",
				 &o->config_hash, err);
	if (rc)   /* resume could not read it back either */
		return pp_error_prefix(err, "cannot record the run for its checkpoints");
	o->n_params = (int64_t)t->n_params;
	o->metrics_bytes = 0;
	snprintf(o->network, sizeof o->network, "%s", pp_network_describe(t->net));
	return PP_OK;
}

/* Bring the origin's metrics CRC up to the current end of @metrics, read
 * back through RUN_DIR/metrics.csv (@metrics is open for writing only).
 * When @metrics is not that file, the checkpoint records no metrics. */
static int update_origin_metrics(trainer *t, FILE *metrics, pp_error *err)
{
	pp_ckpt_origin *o = &t->origin;
	struct stat mine, theirs;
	char path[4096];
	long end;
	int fd, ok;

	if (!metrics || !t->exp->run_dir ||
	    pp_path_join(path, sizeof path, t->exp->run_dir, "metrics.csv", NULL) != PP_OK) {
		o->metrics_bytes = -1;
		return PP_OK;
	}
	end = ftell(metrics);
	if (fflush(metrics) != 0 || end < 0)
		return pp_error_set(err, PP_ERR_IO, "cannot write metrics.csv: %s", strerror(errno));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &mine) != 0 || fstat(fileno(metrics), &theirs) != 0 ||
	    mine.st_dev != theirs.st_dev || mine.st_ino != theirs.st_ino) {
		if (fd >= 0)
			close(fd);
		o->metrics_bytes = -1;
		return PP_OK;
	}
	if (o->metrics_bytes < 0 || o->metrics_bytes > end) {   /* resumed from a run that kept none */
		o->metrics_bytes = 0;
		o->metrics_crc = 0;
	}
	ok = pp_ckpt_file_crc(fd, o->metrics_bytes, end, &o->metrics_crc) == 0;
	close(fd);
	if (!ok)
		return pp_error_set(err, PP_ERR_IO, "cannot read back %s for the checkpoint", path);
	o->metrics_bytes = end;
	return PP_OK;
}

/* Checkpoint before global step @step, which is step @i of stage @s
 * (s == n_stages: every stage is done). */
static int save_checkpoint(trainer *t, long step, int s, long i, const struct timespec *t0,
			   const pp_train_options *opts, const pp_train_result *res,
			   pp_error *err)
{
	pp_experiment *exp = t->exp;
	pp_ckpt_writer w;
	ckpt_state *st;
	char path[4096];
	int rc = PP_OK;

	rc = update_origin_metrics(t, opts->metrics, err);
	if (rc)
		return rc;
	pp_ckpt_writer_init(&w, step);
	pp_ckpt_put(&w, PP_CKPT_TAG_ORIGIN, 0, &t->origin, sizeof t->origin);
	st = pp_ckpt_reserve(&w, TAG_STAT, 0, sizeof *st);
	if (st) {
		st->step = step;
		st->stage = s;
		st->n_terms = t->n_terms;
		st->stage_step = i;
		st->n_params = (int64_t)t->n_params;
		st->metrics_offset = opts->metrics ? (int64_t)ftell(opts->metrics) : -1;
		st->steps_done = res->steps;
		st->elapsed = seconds_since(t0);
		st->n_columns = res->n_columns;
		memcpy(st->stage_steps, res->stage_steps, sizeof st->stage_steps);
		memcpy(st->stop_reasons, res->stop_reasons, sizeof st->stop_reasons);
		memcpy(st->last, res->last, sizeof st->last);
	}
	pp_ckpt_put(&w, TAG_CONF, 0, t->config_text, t->config_len);
	pp_ckpt_put(&w, TAG_PATH, 0, exp->path, strlen(exp->path) + 1);
	pp_ckpt_put(&w, TAG_PARM, 0, pp_network_params(t->net), t->n_params * sizeof(pp_real));
	pp_ckpt_put(&w, TAG_RNG, 0, &t->rng, sizeof t->rng);
	for (int k = 0; k < t->n_terms; k++) {
		const term_run *tr = &t->terms[k];
		size_t nx = tr->n * (size_t)t->d, bytes = (nx + 2 * tr->n) * sizeof(pp_real);
		unsigned char *p = pp_ckpt_reserve(&w, TAG_TERM, (uint32_t)k,
						   sizeof(ckpt_term) + bytes);
		ckpt_term h = {(int64_t)tr->n, t->d, tr->st->term_weight};
		if (!p)
			continue;
		memcpy(p, &h, sizeof h);
		p += sizeof h;
		memcpy(p, tr->x, nx * sizeof(pp_real));
		memcpy(p + nx * sizeof(pp_real), tr->w, tr->n * sizeof(pp_real));
		memcpy(p + (nx + tr->n) * sizeof(pp_real), tr->lambda, tr->n * sizeof(pp_real));
	}
	if (s < exp->n_stages) {
		hooks h = optimizer_hooks(&exp->stages[s], t->opt_state);
		rc = save_plugin(&w, TAG_OPTM, (uint32_t)s, &h, err);
	}
	if (!rc) {
		hooks h = weighting_hooks(exp);
		rc = save_plugin(&w, TAG_WGHT, 0, &h, err);
	}
	if (!rc) {
		hooks h = pde_hooks(exp);
		rc = save_plugin(&w, TAG_PDE, 0, &h, err);
	}
	for (int a = 0; a < exp->n_analyzers && !rc; a++) {
		hooks h = analyzer_hooks(exp, a);
		rc = save_plugin(&w, TAG_ANLZ, (uint32_t)a, &h, err);
	}
	if (!rc)
		rc = pp_ckpt_path(path, sizeof path, exp->run_dir, step, err);
	if (!rc) {
		char dir[4096];
		rc = pp_path_join(dir, sizeof dir, exp->run_dir, PP_CKPT_DIR, err);
		if (!rc)
			rc = pp_mkdir_p(dir, err);
	}
	if (!rc)
		rc = pp_ckpt_write_file(&w, path, err);
	if (!rc)
		rc = pp_ckpt_prune(exp->run_dir, exp->checkpoint_keep, LONG_MAX, err);
	pp_ckpt_writer_free(&w);
	return rc;
}

/* Section @tag/@index of exactly @len bytes, else an error naming it. */
static const void *section(const pp_ckpt *c, uint32_t tag, uint32_t index, size_t len,
			   const char *what, pp_error *err)
{
	size_t got;
	const void *p = pp_ckpt_find(c, tag, index, &got);

	if (!p || got != len) {
		pp_error_set(err, PP_ERR_INVALID,
			     "%s: %s does not match this experiment (it was written for another configuration)",
			     c->path, what);
		return NULL;
	}
	return p;
}

long pp_train_resume_offset(const pp_ckpt *ckpt, pp_error *err)
{
	const ckpt_state *st = section(ckpt, TAG_STAT, 0, sizeof *st, "the run state", err);

	return st ? (long)st->metrics_offset : -2;
}

/* Points restored from a checkpoint lie in the PDE's box and every number
 * of the term is finite: a checkpoint of this experiment always passes, and
 * anything else must not reach the plugins as training data. */
static int check_restored_term(const trainer *t, const term_run *tr, const pp_ckpt *c,
			       pp_error *err)
{
	const pp_pde_info *pde = &t->exp->pde;

	if (!isfinite(tr->st->term_weight) || tr->st->term_weight < 0)
		goto bad;
	for (size_t i = 0; i < tr->n; i++) {
		for (int j = 0; j < t->d; j++) {
			/* a few roundings of pp_real off the box are fine */
			double x = (double)tr->x[i * (size_t)t->d + (size_t)j],
			       slack = 8 * PP_REAL_EPSILON * (fabs(pde->lo[j]) + fabs(pde->hi[j]));
			if (!(x >= pde->lo[j] - slack && x <= pde->hi[j] + slack))
				goto bad;
		}
		if (!isfinite(tr->w[i]) || !isfinite(tr->lambda[i]))
			goto bad;
	}
	return PP_OK;
bad:
	return pp_error_set(err, PP_ERR_INVALID,
			    "%s: the points or weights of term '%s' are outside the domain or not finite",
			    c->path, tr->info->name);
}

/* The record of the run in @c fits the experiment rebuilt from its
 * configuration — the same parameter count and network — and the run
 * state's metrics length; the resumed run then carries it on.  (Whether @c
 * belongs to the run directory at all, pp_ckpt_latest has checked against
 * its config.yaml and metrics.csv.) */
static int restore_origin(trainer *t, const pp_ckpt *c, const ckpt_state *st, pp_error *err)
{
	pp_ckpt_origin o;
	int rc = pp_ckpt_origin_of(c, &o, err);

	if (rc)
		return rc;
	if (o.n_params != (int64_t)t->n_params || strcmp(o.network, pp_network_describe(t->net)) != 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: written by a run with network %s (%lld parameters); this experiment's is %s",
				    c->path, o.network, (long long)o.n_params, pp_network_describe(t->net));
	if (o.metrics_bytes >= 0 && o.metrics_bytes != st->metrics_offset)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: its run record and run state disagree on the metrics (%lld and %lld bytes)",
				    c->path, (long long)o.metrics_bytes, (long long)st->metrics_offset);
	t->origin = o;
	return PP_OK;
}

/* Put the trainer, the weighting and the analyzers where @c left them;
 * *stage, *stage_step, *step say where to go on.  The optimizer's state is
 * loaded by run_stage once it has created the optimizer. */
static int restore(trainer *t, const pp_ckpt *c, pp_train_result *res, int *stage,
		   long *stage_step, long *step, double *elapsed, pp_error *err)
{
	pp_experiment *exp = t->exp;
	const ckpt_state *st = section(c, TAG_STAT, 0, sizeof *st, "the run state", err);
	const void *p;
	int rc;

	if (!st)
		return err->code;
	rc = restore_origin(t, c, st, err);
	if (rc)
		return rc;
	if (st->n_params != (int64_t)t->n_params || st->n_terms != t->n_terms ||
	    st->n_columns != res->n_columns || st->stage < 0 || st->stage > exp->n_stages ||
	    st->step < 0 || st->stage_step < 0 ||
	    (st->stage < exp->n_stages && st->stage_step >= exp->stages[st->stage].iterations))
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: its network, terms, metrics or stages differ from this experiment's",
				    c->path);
	p = section(c, TAG_PARM, 0, t->n_params * sizeof(pp_real), "the parameter vector", err);
	if (!p)
		return err->code;
	memcpy(pp_network_params(t->net), p, t->n_params * sizeof(pp_real));
	for (size_t j = 0; j < t->n_params; j++)
		if (!isfinite(pp_network_params(t->net)[j]))
			return pp_error_set(err, PP_ERR_INVALID,
					    "%s: parameter %zu is not finite", c->path, j);
	p = section(c, TAG_RNG, 0, sizeof t->rng, "the sampler's random state", err);
	if (!p)
		return err->code;
	memcpy(&t->rng, p, sizeof t->rng);
	for (int k = 0; k < t->n_terms; k++) {
		term_run *tr = &t->terms[k];
		size_t nx = tr->n * (size_t)t->d;
		const unsigned char *q = section(c, TAG_TERM, (uint32_t)k,
						 sizeof(ckpt_term) + (nx + 2 * tr->n) * sizeof(pp_real),
						 "a term's points", err);
		ckpt_term h;
		if (!q)
			return err->code;
		memcpy(&h, q, sizeof h);
		q += sizeof h;
		memcpy(tr->x, q, nx * sizeof(pp_real));
		memcpy(tr->w, q + nx * sizeof(pp_real), tr->n * sizeof(pp_real));
		memcpy(tr->lambda, q + (nx + tr->n) * sizeof(pp_real), tr->n * sizeof(pp_real));
		tr->st->term_weight = h.term_weight;
		rc = check_restored_term(t, tr, c, err);
		if (rc)
			return rc;
		pair_points(t, tr);
	}
	{
		hooks h = pde_hooks(exp);
		rc = load_plugin(c, TAG_PDE, 0, &h, err);
		if (rc)
			return rc;
		h = weighting_hooks(exp);
		rc = load_plugin(c, TAG_WGHT, 0, &h, err);
		if (rc)
			return rc;
	}
	for (int a = 0; a < exp->n_analyzers; a++) {
		hooks h = analyzer_hooks(exp, a);
		rc = load_plugin(c, TAG_ANLZ, (uint32_t)a, &h, err);
		if (rc)
			return rc;
	}
	res->steps = (long)st->steps_done;
	memcpy(res->stage_steps, st->stage_steps, sizeof res->stage_steps);
	memcpy(res->stop_reasons, st->stop_reasons, sizeof res->stop_reasons);
	memcpy(res->last, st->last, sizeof res->last);
	for (int i = 0; i < PP_MAX_STAGES; i++)
		res->stop_reasons[i][sizeof res->stop_reasons[i] - 1] = '\0';
	*stage = st->stage;
	*stage_step = (long)st->stage_step;
	*step = (long)st->step;
	*elapsed = st->elapsed;
	return PP_OK;
}

/* ---- stages ------------------------------------------------------------- */

static int resample(trainer *t, pp_error *err)
{
	for (int k = 0; k < t->n_terms; k++) {
		int rc = sample_points(t, &t->terms[k], err);
		if (rc)
			return rc;
	}
	return PP_OK;
}

/* Does an analyzer that reads the chunk statistics observe at @step?  The
 * statistics cost a chunked (or per-point) backward, so only then. */
static int stats_due(const trainer *t, long step)
{
	for (int a = 0; a < t->exp->n_analyzers; a++) {
		const pp_analyzer_slot *s = &t->exp->analyzers[a];
		if (s->ops->needs && (s->ops->needs(s->state) & PP_NEED_CHUNK_STATS) &&
		    step % s->every == 0)
			return 1;
	}
	return 0;
}

/* One optimizer step at *step; on failure the network keeps the parameters
 * the step started from. */
static int train_step(trainer *t, const pp_stage *stage, int s, long i, long step,
		      const struct timespec *t0, const pp_train_options *opts,
		      pp_train_result *res, pp_optimizer_args *args, pp_error *err)
{
	pp_real *slab = pp_network_params(t->net);
	size_t bytes = t->n_params * sizeof *slab;
	metrics_row row;
	double loss = 0;
	int rc;

	if (t->exp->resample_every > 0 && step > 0 && step % t->exp->resample_every == 0) {
		rc = resample(t, err);
		if (rc)
			return rc;
	}
	t->view.step = step;
	t->stats_due = stats_due(t, step);
	rc = evaluate(t, 1, &loss, err);
	if (!rc)
		rc = check_finite(t, step, loss, err);
	if (!rc)
		rc = observe(t, step, s, 0, t0, &row, err);
	if (rc)
		return rc;
	memset(args, 0, sizeof *args);
	args->step = step;
	args->stage_step = i;
	args->stage_iterations = stage->iterations;
	args->loss = loss;
	memcpy(t->opt_grad, t->grad, bytes);
	args->grad = t->opt_grad;
	args->objective = &t->objective;
	args->lr = NAN;
	memcpy(t->params, slab, bytes);
	rc = stage->ops->step(t->opt_state, t->params, args, err);
	if (rc) {
		/* Line-search evaluations may have left trial parameters in the
		 * slab; optimizers leave params untouched when they fail. */
		memcpy(slab, t->params, bytes);
		return pp_error_prefix(err, "optimizer '%s' at step %ld", stage->plugin->name, step);
	}
	for (size_t j = 0; j < t->n_params; j++) {
		if (!isfinite(t->params[j])) {
			rc = pp_error_set(err, PP_ERR_NUMERIC,
					  "step %ld: optimizer '%s' produced a non-finite parameter; the last good parameters are kept",
					  step, stage->plugin->name);
			return rc;
		}
	}
	memcpy(slab, t->params, bytes);
	row.v[COL_LR] = args->lr;
	emit(t, &row, opts, res);
	progress(t, step, 0, t0, opts, res);
	res->stage_steps[s]++;
	res->steps++;
	return PP_OK;
}

/* Checkpoint due before @step: every checkpoint.every steps, but not the
 * step the run (re)started at. */
static int checkpoint_due(const trainer *t, const pp_train_options *opts, long step)
{
	long every = t->exp->checkpoint_every;

	return opts->checkpoints && every > 0 && step % every == 0 && step != t->first_step;
}

/* Run stage @s from its step @first (0, or where a checkpoint @resume left
 * it, whose optimizer state is then restored). */
static int run_stage(trainer *t, int s, long first, const pp_ckpt *resume, long *step,
		     const struct timespec *t0, const pp_train_options *opts,
		     pp_train_result *res, pp_error *err)
{
	const pp_stage *stage = &t->exp->stages[s];
	pp_optimizer_args args;
	int rc;

	rc = stage->ops->create(stage->cfg, t->n_params, &t->opt_state, err);
	if (rc)
		return rc;
	if (resume) {
		hooks h = optimizer_hooks(stage, t->opt_state);
		rc = load_plugin(resume, TAG_OPTM, (uint32_t)s, &h, err);
		if (rc) {
			stage->ops->destroy(t->opt_state);
			t->opt_state = NULL;
			return rc;
		}
	}
	t->view.stage = s;
	t->view.optimizer = stage->plugin->name;
	t->view.optimizer_state = t->opt_state;
	t->view.moments = stage->ops->moments;
	snprintf(res->stop_reasons[s], sizeof res->stop_reasons[s], "completed %ld iterations",
		 stage->iterations);
	progress_mark(t, *step, t0);
	for (long i = first; i < stage->iterations; i++) {
		if (opts->interrupted && *opts->interrupted) {
			pp_error ck = {0};
			if (!opts->checkpoints)
				rc = pp_error_set(err, PP_ERR_INTERRUPTED, "interrupted at step %ld", *step);
			else if (save_checkpoint(t, *step, s, i, t0, opts, res, &ck) == PP_OK)
				rc = pp_error_set(err, PP_ERR_INTERRUPTED,
						  "interrupted at step %ld; checkpoint written, continue with: phasepinn resume %s",
						  *step, t->exp->run_dir);
			else
				rc = pp_error_set(err, PP_ERR_INTERRUPTED,
						  "interrupted at step %ld; no checkpoint written: %.600s",
						  *step, ck.message);
			break;
		}
		if (checkpoint_due(t, opts, *step)) {
			rc = save_checkpoint(t, *step, s, i, t0, opts, res, err);
			if (rc)
				break;
		}
		rc = train_step(t, stage, s, i, *step, t0, opts, res, &args, err);
		if (rc)
			break;
		(*step)++;
		if (args.stop) {
			snprintf(res->stop_reasons[s], sizeof res->stop_reasons[s], "%s",
				 args.stop_reason[0] ? args.stop_reason : "stopped by the optimizer");
			break;
		}
	}
	if (rc)
		snprintf(res->stop_reasons[s], sizeof res->stop_reasons[s], "stopped: %.140s",
			 err->message);
	stage->ops->destroy(t->opt_state);
	t->opt_state = NULL;
	t->view.optimizer_state = NULL;
	t->view.moments = NULL;
	return rc;
}

/* Per-point weights of every term: inputs, r, w, lambda. */
static int write_weights(trainer *t, pp_error *err)
{
	const char *dir = t->exp->problem.run_dir;
	char path[4096], name[128];
	int rc;

	if (!dir)
		return PP_OK;
	for (int k = 0; k < t->n_terms; k++) {
		const term_run *tr = &t->terms[k];
		pp_atomic_file af;

		snprintf(name, sizeof name, "weights_%s.csv", tr->st->name);
		rc = pp_path_join(path, sizeof path, dir, name, err);
		if (!rc)
			rc = pp_atomic_open(&af, path, err);
		if (rc)
			return rc;
		for (int j = 0; j < t->d; j++)
			fprintf(af.f, "%s,", t->exp->pde.input_names[j]);
		fputs("r,w,lambda\n", af.f);
		for (size_t i = 0; i < tr->n; i++) {
			for (int j = 0; j < t->d; j++)
				fprintf(af.f, "%.10g,", (double)tr->x[i * (size_t)t->d + (size_t)j]);
			fprintf(af.f, "%.10g,%.10g,%.10g\n", (double)tr->r[i], (double)tr->w[i],
				(double)tr->lambda[i]);
		}
		rc = pp_atomic_commit(&af, err);
		if (rc)
			return rc;
	}
	return PP_OK;
}

/* Evaluate the final parameters, let every analyzer observe and finish. */
static int finish(trainer *t, long step, const struct timespec *t0,
		  const pp_train_options *opts, pp_train_result *res, pp_error *err)
{
	metrics_row row;
	double loss;
	int rc;

	t->view.step = step;
	t->stats_due = 1;   /* every analyzer observes the final parameters */
	rc = evaluate(t, 0, &loss, err);
	if (!rc)
		rc = check_finite(t, step, loss, err);
	if (!rc)
		rc = observe(t, step, t->view.stage, 1, t0, &row, err);
	if (rc)
		return rc;
	emit(t, &row, opts, res);
	progress(t, step, 1, t0, opts, res);
	res->final_loss = loss;
	for (int a = 0; a < t->exp->n_analyzers; a++) {
		pp_analyzer_slot *s = &t->exp->analyzers[a];
		if (s->ops->finish) {
			rc = s->ops->finish(s->state, &t->view, err);
			if (rc)
				return pp_error_prefix(err, "analyzer '%s'", s->plugin->name);
		}
	}
	return write_weights(t, err);
}

int pp_train(pp_experiment *exp, const pp_train_options *opts, pp_train_result *res,
	     pp_error *err)
{
	trainer *t = calloc(1, sizeof *t);
	struct timespec t0;
	long step = 0, first = 0;
	int rc, s0 = 0;

	memset(res, 0, sizeof *res);
	if (!t)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = trainer_setup(t, exp, err);
	if (rc)
		goto cleanup;
	t->objective.ctx = t;
	t->objective.eval = objective_eval;
	rc = name_columns(t, res, err);
	if (rc)
		goto cleanup;
	t->progress_tty = opts->progress && isatty(fileno(opts->progress));
	t->col_error = t->col_phase = -1;
	for (int i = 0; i < res->n_columns; i++) {
		if (!strcmp(res->columns[i], "error_rel_l2"))
			t->col_error = i;
		if (!strcmp(res->columns[i], "phase"))
			t->col_phase = i;
	}
	if (opts->checkpoints) {
		rc = config_text(t, err);
		if (!rc && !opts->resume)
			rc = start_origin(t, err);
		if (rc)
			goto cleanup;
	}
	if (opts->resume) {
		double elapsed = 0;
		rc = restore(t, opts->resume, res, &s0, &first, &step, &elapsed, err);
		if (rc)
			goto cleanup;
		t->first_step = step;
		/* time_s goes on from the interrupted run's clock */
		t0.tv_sec -= (time_t)elapsed;
		t0.tv_nsec -= (long)((elapsed - (double)(time_t)elapsed) * 1e9);
		if (t0.tv_nsec < 0) {
			t0.tv_sec--;
			t0.tv_nsec += 1000000000L;
		}
		if (s0 >= exp->n_stages && exp->n_stages > 0) {
			t->view.stage = exp->n_stages - 1;
			t->view.optimizer = exp->stages[exp->n_stages - 1].plugin->name;
		}
		res->stages_run = s0 < exp->n_stages ? s0 : exp->n_stages;
	} else if (opts->metrics) {
		write_header(res, opts->metrics);
	}
	res->started = 1;
	for (int s = s0; s < exp->n_stages; s++) {
		res->stages_run = s + 1;
		rc = run_stage(t, s, s == s0 ? first : 0, s == s0 ? opts->resume : NULL, &step,
			       &t0, opts, res, err);
		if (rc)
			goto cleanup;
	}
	if (opts->checkpoints && exp->checkpoint_at_end && step != t->first_step) {
		rc = save_checkpoint(t, step, exp->n_stages, 0, &t0, opts, res, err);
		if (rc)
			goto cleanup;
	}
	rc = finish(t, step, &t0, opts, res, err);
cleanup:
	/* An error message must not land on the end of a redrawn line. */
	if (t->progress_open)
		fputc('\n', opts->progress);
	res->seconds = seconds_since(&t0);
	trainer_teardown(t);
	free(t);
	return rc;
}
