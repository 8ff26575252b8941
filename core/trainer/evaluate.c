/* phasepinn — one evaluation of the loss and its gradient at the network's
 * current parameters (see trainer_impl.h): forward every term and its
 * residuals, the weighting's point and term weights, backward per term (the
 * interior term chunk by chunk or point by point when analyzers read the
 * gradient statistics), the combined gradient; the divergence guard; the
 * objective optimizers evaluate inside a step. */
#include "core/trainer/trainer_impl.h"
#include "core/comm.h"
#include "core/observations.h"

#include <math.h>
#include <string.h>

/* The N of a term's mean: its points over every rank (docs/scaling.md),
 * or a probe's own count. */
static double points_of(const term_run *tr)
{
	return (double)(tr->n_total ? tr->n_total : tr->n);
}

/* Channel pointers of batch b into an [S × len] block at S·start. */
static void channel_ptrs(pp_real *base, const term_run *tr, size_t b, pp_real **ptr)
{
	for (int c = 0; c < tr->n_channels; c++)
		ptr[c] = base + (size_t)tr->n_channels * tr->start[b] + (size_t)c * tr->len[b];
}

/* A system's batch b: the components into comp, each point's norm
 * ρ = sqrt(Σ_k r_k²) into r and ∂ρ/∂u = Σ_k r_k·∂r_k/∂u / ρ into dr (and
 * dr_pair), so that the loss w·ρ², its seed 2·w·ρ·∂ρ/∂u / N = 2·w·Σ_k r_k·
 * ∂r_k/∂u / N and everything downstream read one residual per point.  At
 * ρ = 0 the seed is zero whatever ∂ρ/∂u is: it is set to 0. */
static void reduce_components(term_run *tr, size_t b)
{
	size_t s = tr->start[b], len = tr->len[b], C = (size_t)tr->n_channels;
	size_t K = (size_t)tr->K;

	for (size_t i = 0; i < len; i++) {
		double sum = 0;
		for (size_t k = 0; k < K; k++) {
			double v = (double)tr->rk[k * len + i];
			tr->comp[k * tr->n + s + i] = (pp_real)v;
			sum += v * v;
		}
		double rho = sqrt(sum), inv = rho > 0 ? 1.0 / rho : 0.0;
		tr->r[s + i] = (pp_real)rho;
		for (size_t c = 0; c < C; c++) {
			double g = 0, gp = 0;
			for (size_t k = 0; k < K; k++) {
				double rk = (double)tr->rk[k * len + i];
				g += rk * (double)tr->drk[(k * C + c) * len + i];
				if (tr->paired)
					gp += rk * (double)tr->drk_pair[(k * C + c) * len + i];
			}
			tr->dr[C * s + c * len + i] = (pp_real)(g * inv);
			if (tr->paired)
				tr->dr_pair[C * s + c * len + i] = (pp_real)(gp * inv);
		}
	}
}

/* Every declared coefficient's value: the trainable ones from their raw
 * parameters after the network's (c = map(s), core/experiment.h), the
 * others as the plugin read them. */
void trainer_update_coefficients(trainer *t)
{
	const pp_real *p = pp_network_params_const(t->net);

	for (int j = 0; j < t->exp->pde.n_coefficients; j++)
		t->coef[j] = t->exp->pde.coefficients[j].value;
	for (int j = 0; j < t->n_train; j++) {
		const pp_coef_setup *c = &t->exp->trainable[j];
		t->coef[c->index] = pp_coef_value(c, (double)p[t->n_net + (size_t)j], &t->dcoef[j]);
	}
}

/* Batch b's Σ_k r_k·∂r_k/∂c_j of each trainable coefficient into rdc. */
static void coefficient_products(const trainer *t, term_run *tr, size_t b)
{
	size_t s = tr->start[b], len = tr->len[b], M = (size_t)t->exp->pde.n_coefficients;

	for (int j = 0; j < t->n_train; j++) {
		size_t idx = (size_t)t->exp->trainable[j].index;
		pp_real *out = tr->rdc + (size_t)j * tr->n + s;
		for (size_t i = 0; i < len; i++) {
			double sum = 0;
			for (size_t k = 0; k < (size_t)tr->K; k++) {
				double r = tr->K > 1 ? (double)tr->rk[k * len + i] : (double)tr->r[s + i];
				sum += r * (double)tr->drc[(k * M + idx) * len + i];
			}
			out[i] = (pp_real)sum;
		}
	}
}

/* ∂(mean(w·r²))/∂s_j of points [p0, p0 + len) into grad[n_net + j]:
 * (2/N)·Σ_i w_i·Σ_k r_k·∂r_k/∂c_j·dc_j/ds_j. */
static void coefficient_gradient(const trainer *t, const term_run *tr, size_t p0, size_t len,
				 pp_real *grad)
{
	double scale = 2.0 / points_of(tr);

	for (int j = 0; j < t->n_train; j++) {
		const pp_real *rd = tr->rdc + (size_t)j * tr->n + p0;
		double sum = 0;
		for (size_t i = 0; i < len; i++)
			sum += (double)tr->w[p0 + i] * (double)rd[i];
		grad[t->n_net + (size_t)j] = (pp_real)(scale * sum * t->dcoef[j]);
	}
}

/* The data term's residual for batch b: for observed output j (channel
 * j), r_j = sqrt(w_row)·(u_j − observed u_j), ∂r_j/∂u_j = sqrt(w_row). */
static void data_residual(const trainer *t, const term_run *tr, size_t b,
			  const pp_residual_args *a)
{
	const pp_observations *o = t->exp->obs;
	size_t s = tr->start[b], len = tr->len[b], K = (size_t)o->n_observed;

	for (size_t k = 0; k < K; k++) {
		for (size_t c = 0; c < K; c++)
			for (size_t i = 0; i < len; i++)
				a->dr[k * K + c][i] = 0;
		for (size_t i = 0; i < len; i++) {
			pp_real sw = tr->sqrt_w ? tr->sqrt_w[s + i] : 1;
			size_t row = tr->offset + s + i;   /* this rank's rows start there */
			a->r[k * len + i] = sw * (a->u[k][i] - (pp_real)o->train.u[row * K + k]);
			a->dr[k * K + k][i] = sw;
		}
	}
}

/* Batch b of @tr through the network (and its paired points): its
 * outputs into out (out_pair), its activations into its batch object. */
static int forward_batch(trainer *t, term_run *tr, size_t b, pp_error *err)
{
	size_t s = tr->start[b], len = tr->len[b], slot = tr->reuse ? 0 : b;
	int rc;

	tr->resident = NO_BATCH;
	rc = pp_network_forward(t->net, tr->batches[slot], len, tr->x + s * (size_t)t->d,
				tr->out + (size_t)tr->n_channels * s, err);
	if (!rc && tr->paired)
		rc = pp_network_forward(t->net, tr->pair_batches[slot], len,
					tr->x_pair + s * (size_t)t->d,
					tr->out_pair + (size_t)tr->n_channels * s, err);
	if (!rc)
		tr->resident = b;
	return rc;
}

static int backward_batch(trainer *t, term_run *tr, size_t b, pp_real *grad, pp_error *err);

/* Forward @tr batch by batch and the residuals of each; @backward: also
 * each batch's backward into tr->grad (zeroed first) right after its
 * residuals, which needs the point weights to stay as they are. */
static int forward_term(trainer *t, term_run *tr, int backward, pp_error *err)
{
	const pp_pde_ops *pde = t->exp->pde_ops;
	pp_real *u[PP_MAX_CHANNELS], *dr[PP_MAX_CHANNELS * PP_MAX_COMPONENTS];
	pp_real *up[PP_MAX_CHANNELS], *drp[PP_MAX_CHANNELS * PP_MAX_COMPONENTS];
	pp_real *drc[PP_MAX_COEFFICIENTS * PP_MAX_COMPONENTS];
	double sum = 0;
	int rc;

	if (backward)
		memset(tr->grad, 0, t->n_params * sizeof *tr->grad);
	for (size_t b = 0; b < tr->n_batches; b++) {
		size_t s = tr->start[b], len = tr->len[b];
		pp_residual_args args = {0};

		rc = forward_batch(t, tr, b, err);
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
		args.coef = t->coef;
		if (tr->normal) {
			args.normal = tr->normal + s * (size_t)t->d;
			args.part = tr->part + s;
			args.part_names = t->part_names;
		}
		if (t->n_train > 0) {
			int M = t->exp->pde.n_coefficients;
			for (int q = 0; q < tr->K * M; q++)
				drc[q] = tr->drc + (size_t)q * len;
			memset(tr->drc, 0, (size_t)(tr->K * M) * len * sizeof *tr->drc);
			args.dr_coef = drc;
		}
		if (tr->paired) {
			channel_ptrs(tr->out_pair, tr, b, up);
			channel_ptrs(tr->dr_pair, tr, b, drp);
			args.x_pair = tr->x_pair + s * (size_t)t->d;
			args.u_pair = (const pp_real *const *)up;
			args.dr_pair = drp;
		}
		if (tr->K > 1) {
			/* component-major scratch: r[k·len + i], dr[k·C + c][i] */
			for (int q = 0; q < tr->K * tr->n_channels; q++) {
				dr[q] = tr->drk + (size_t)q * len;
				if (tr->paired)
					drp[q] = tr->drk_pair + (size_t)q * len;
			}
			args.r = tr->rk;
		}
		if (tr->data)
			data_residual(t, tr, b, &args);
		else
			rc = pde->residual(t->exp->pde_state, &args, err);
		if (rc)
			return pp_error_prefix(err, "pde '%s', term '%s'", t->exp->pde_plugin->name,
					       tr->info->name);
		if (tr->K > 1)
			reduce_components(tr, b);
		if (t->n_train > 0)
			coefficient_products(t, tr, b);
		if (backward) {
			rc = backward_batch(t, tr, b, tr->grad, err);
			if (rc)
				return rc;
		}
	}
	for (size_t i = 0; i < tr->n; i++)
		sum += (double)tr->r[i] * (double)tr->r[i];
	tr->loss_sum = sum;   /* this rank's; reduce_losses makes it the run's */
	tr->st->loss = sum / points_of(tr);
	return PP_OK;
}

int trainer_term_residuals(trainer *t, term_run *tr, pp_error *err)
{
	return forward_term(t, tr, 0, err);
}

/* Each term's Σ r² over every rank (one rank: as it is), agreeing on @rc:
 * the losses are sums over points divided by the run's N, never means of
 * the ranks' means. */
static int reduce_losses(trainer *t, int rc, pp_error *err)
{
	double sums[PP_MAX_TERMS];

	if (t->ranks <= 1)
		return rc;
	for (int k = 0; k < t->n_terms; k++)
		sums[k] = t->terms[k].loss_sum;
	rc = pp_comm_sum_doubles(sums, (size_t)t->n_terms, rc, err);
	for (int k = 0; !rc && k < t->n_terms; k++) {
		t->terms[k].loss_sum = sums[k];
		t->terms[k].st->loss = sums[k] / points_of(&t->terms[k]);
	}
	return rc;
}

/* Σ w·r² of every term (over every rank), agreeing on @rc. */
static int weighted_sums(trainer *t, int rc, pp_error *err)
{
	double sums[PP_MAX_TERMS];

	for (int k = 0; k < t->n_terms; k++) {
		term_run *tr = &t->terms[k];
		double sum = 0;
		for (size_t i = 0; i < tr->n; i++)
			sum += (double)tr->w[i] * (double)tr->r[i] * (double)tr->r[i];
		sums[k] = sum;
	}
	rc = pp_comm_sum_doubles(sums, (size_t)t->n_terms, rc, err);
	for (int k = 0; k < t->n_terms; k++)
		t->terms[k].wsum = sums[k];
	return rc;
}

static void weighted_losses(trainer *t, double *total)
{
	*total = 0;
	for (int k = 0; k < t->n_terms; k++) {
		term_run *tr = &t->terms[k];
		tr->st->weighted_loss = tr->st->term_weight * tr->wsum / points_of(tr);
		*total += tr->st->weighted_loss;
	}
}

/* seed = 2·w·r·∂r/∂u / N for batch b: gradient of mean(w r²) w.r.t. the
 * network outputs of that batch. */
static void make_seed(const term_run *tr, size_t b, const pp_real *dr_base, pp_real *seed)
{
	size_t s = tr->start[b], len = tr->len[b];
	pp_real scale = (pp_real)(2.0 / points_of(tr));

	for (int c = 0; c < tr->n_channels; c++) {
		const pp_real *drc = dr_base + (size_t)tr->n_channels * s + (size_t)c * len;
		pp_real *sc = seed + (size_t)c * len;
		for (size_t i = 0; i < len; i++)
			sc[i] = scale * tr->w[s + i] * tr->r[s + i] * drc[i];
	}
}

/* Backward of batch b into @grad.  Bounded memory: the batch object holds
 * the activations of the last batch forwarded only, so any other is pushed
 * through again first (the same arithmetic, so the same activations bit for
 * bit as in the residual pass). */
static int backward_batch(trainer *t, term_run *tr, size_t b, pp_real *grad, pp_error *err)
{
	size_t slot = tr->reuse ? 0 : b;
	int rc = PP_OK;

	if (tr->reuse && tr->resident != b)
		rc = forward_batch(t, tr, b, err);
	if (rc)
		return rc;
	make_seed(tr, b, tr->dr, t->seed);
	rc = pp_network_backward(t->net, tr->batches[slot], t->seed, grad, err);
	if (rc || !tr->paired)
		return rc;
	make_seed(tr, b, tr->dr_pair, t->seed);
	return pp_network_backward(t->net, tr->pair_batches[slot], t->seed, grad, err);
}

static void add_scaled(pp_real *y, double a, const pp_real *x, size_t n)
{
	for (size_t j = 0; j < n; j++)
		y[j] += (pp_real)a * x[j];
}

/* Points [p, p + len) of batch b through the chunk batch (bounded memory:
 * the term's batch object) and their gradient added into chunk_grad. */
static int backward_piece(trainer *t, term_run *tr, size_t b, size_t p, size_t len,
			  pp_error *err)
{
	pp_real scale = (pp_real)(2.0 / points_of(tr));
	size_t S = (size_t)tr->n_channels, off = p - tr->start[b];
	const pp_real *dr = tr->dr + S * tr->start[b];
	pp_batch *batch = t->chunk_batch ? t->chunk_batch : tr->batches[0];
	int rc;

	if (!t->chunk_batch)
		tr->resident = NO_BATCH;
	rc = pp_network_forward(t->net, batch, len, tr->x + p * (size_t)t->d, t->chunk_out, err);
	if (rc)
		return rc;
	for (size_t ch = 0; ch < S; ch++)
		for (size_t i = 0; i < len; i++)
			t->seed[ch * len + i] = scale * tr->w[p + i] * tr->r[p + i] *
						dr[ch * tr->len[b] + off + i];
	return pp_network_backward(t->net, batch, t->seed, t->chunk_grad, err);
}

/* The interior term chunk by chunk: g_int and the chunk statistics of
 * g_chunk = K·(chunk's share of tw·g_int) + other.  Each chunk is pushed
 * through the network once more on its own (the batches hold larger
 * pieces), its seed built from the residuals and Jacobians of the batched
 * pass, so statistics cost one extra forward on the steps that read them.
 * (Bounded memory, chunks longer than batch_points: each chunk is pushed
 * through piece by piece, its batches, and its gradient summed.) */
static int backward_chunked(trainer *t, term_run *tr, pp_error *err)
{
	double tw = tr->st->term_weight, K = (double)t->n_chunks;
	size_t b = 0;
	int rc;

	memset(t->chunk_sum, 0, t->n_params * sizeof *t->chunk_sum);
	memset(t->chunk_sumsq, 0, t->n_params * sizeof *t->chunk_sumsq);
	/* this rank's chunks; reduce_chunks adds the other ranks' */
	for (int c = 0; c < t->chunk_count; c++) {
		size_t p0 = t->chunk_start[c], p1 = t->chunk_start[c + 1], len = p1 - p0;
		double share = points_of(tr) / ((double)len * K);

		while (p0 >= tr->start[b] + tr->len[b])
			b++;
		memset(t->chunk_grad, 0, t->n_params * sizeof *t->chunk_grad);
		/* a chunk lies in one batch, or (bounded memory, chunks longer
		 * than batch_points) is cut into whole batches */
		for (size_t p = p0; p < p1;) {
			size_t end = tr->start[b] + tr->len[b] < p1 ? tr->start[b] + tr->len[b] : p1;
			rc = backward_piece(t, tr, b, p, end - p, err);
			if (rc)
				return rc;
			p = end;
			if (p < p1)
				b++;
		}
		coefficient_gradient(t, tr, p0, len, t->chunk_grad);
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
	double tw = tr->st->term_weight, N = points_of(tr);
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
			coefficient_gradient(t, tr, p, 1, t->chunk_grad);
			for (size_t j = 0; j < t->n_params; j++) {
				double g = N * tw * (double)t->chunk_grad[j] + (double)t->other[j];
				t->chunk_sum[j] += g;
				t->chunk_sumsq[j] += g * g;
			}
		}
	}
	return PP_OK;
}

/* The interior term on a chunk statistics step: backward_chunked makes its
 * gradient, not its batches. */
static int chunked_term(const trainer *t, int k, int with_chunks)
{
	return with_chunks && k == t->interior && t->n_chunks > 0;
}

/* The chunk statistics (and, chunked, the interior gradient) over every
 * rank, agreeing on @rc. */
static int reduce_chunks(trainer *t, int chunked, int rc, pp_error *err)
{
	if (t->ranks <= 1)
		return rc;
	if (chunked)
		rc = pp_comm_sum_reals(t->terms[t->interior].grad, t->n_params, rc, err);
	rc = pp_comm_sum_doubles(t->chunk_sum, t->n_params, rc, err);
	return pp_comm_sum_doubles(t->chunk_sumsq, t->n_params, rc, err);
}

/* Several ranks, and nobody reads a term's own gradient: one message of
 * P values, this rank's Σ_k tw_k·g_k, instead of T·P (the terms' grad
 * stay this rank's parts).  With chunk statistics Σ_{k≠interior} tw_k·g_k
 * first, which every chunk's gradient contains, and the interior's after. */
static int backward_combined(trainer *t, int with_chunks, int rc, pp_error *err)
{
	int chunked = with_chunks && t->n_chunks > 0;

	memset(t->other, 0, t->n_params * sizeof *t->other);
	for (int k = 0; k < t->n_terms; k++)
		if (k != t->interior || !with_chunks)
			add_scaled(t->other, t->terms[k].st->term_weight, t->terms[k].grad,
				   t->n_params);
	rc = pp_comm_sum_reals(t->other, t->n_params, rc, err);
	if (rc)
		return rc;
	t->combined = 1;
	if (!with_chunks) {
		memcpy(t->grad, t->other, t->n_params * sizeof *t->grad);
		return PP_OK;
	}
	rc = chunked ? backward_chunked(t, &t->terms[t->interior], err)
		     : backward_samples(t, &t->terms[t->interior], err);
	if (!chunked)   /* per-sample: the batched pass made g_int, this rank's */
		rc = pp_comm_sum_reals(t->terms[t->interior].grad, t->n_params, rc, err);
	rc = reduce_chunks(t, chunked, rc, err);
	if (rc)
		return rc;
	memcpy(t->grad, t->other, t->n_params * sizeof *t->grad);
	add_scaled(t->grad, t->terms[t->interior].st->term_weight, t->terms[t->interior].grad,
		   t->n_params);
	return PP_OK;
}

/* @fused: forward_term did the batches' backward of every term but the
 * chunked one already. */
static int backward_all(trainer *t, int with_chunks, int fused, pp_error *err)
{
	pp_real *parts[PP_MAX_TERMS];
	size_t n_parts = 0;
	int rc = PP_OK;

	for (int k = 0; k < t->n_terms; k++) {
		term_run *tr = &t->terms[k];
		int done = fused && !chunked_term(t, k, with_chunks);
		if (!done)
			memset(tr->grad, 0, t->n_params * sizeof *tr->grad);
		if (chunked_term(t, k, with_chunks))
			continue;
		for (size_t b = 0; !done && !rc && b < tr->n_batches; b++)
			rc = backward_batch(t, tr, b, tr->grad, err);
		if (rc)
			break;
		coefficient_gradient(t, tr, 0, tr->n, tr->grad);
		parts[n_parts++] = tr->grad;
	}
	t->combined = 0;
	if (t->ranks > 1 && !t->term_grads)
		return backward_combined(t, with_chunks, rc, err);
	/* every term's gradient over every rank: one message of T·P values */
	rc = pp_comm_sum_parts(parts, n_parts, t->n_params, rc, err);
	if (rc)
		return rc;
	memset(t->other, 0, t->n_params * sizeof *t->other);
	for (int k = 0; k < t->n_terms; k++)
		if (k != t->interior)
			add_scaled(t->other, t->terms[k].st->term_weight, t->terms[k].grad,
				   t->n_params);
	if (with_chunks && t->n_chunks > 0)
		return reduce_chunks(t, 1, backward_chunked(t, &t->terms[t->interior], err), err);
	if (with_chunks)
		return reduce_chunks(t, 0, backward_samples(t, &t->terms[t->interior], err), err);
	return PP_OK;
}

static void combine_gradient(trainer *t)
{
	memset(t->grad, 0, t->n_params * sizeof *t->grad);
	for (int k = 0; k < t->n_terms; k++)
		add_scaled(t->grad, t->terms[k].st->term_weight, t->terms[k].grad, t->n_params);
}

/* The divergence guard, the only one: name the first non-finite quantity,
 * if any.  Optimizers rely on it (phasepinn/optimizer.h): the loss and the
 * gradient they are handed are finite, the combined gradient included,
 * which can overflow although every term's is finite. */
int trainer_check_finite(trainer *t, long step, double loss, pp_error *err)
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
	for (size_t j = 0; j < t->n_params; j++)
		if (!isfinite(t->grad[j]))
			return pp_error_set(err, PP_ERR_NUMERIC,
					    "step %ld: gradient is not finite (parameter %zu) although every term's is; the term weights of weighting '%s' overflow it",
					    step, j, t->exp->weighting_plugin->name);
	return PP_OK;
}

/* Full evaluation at the network's current parameters. @update_weights:
 * let the weighting scheme see the residuals (training steps); objective
 * evaluations inside an optimizer step keep the weights fixed. */
int trainer_evaluate(trainer *t, int update_weights, double *loss, pp_error *err)
{
	const pp_weighting_ops *wops = t->exp->weighting_ops;
	void *wstate = t->exp->weighting_state;
	int with_chunks = t->want_chunks && t->stats_due;
	/* Bounded memory: when the point weights stay as they are (objective
	 * evaluations, or a weighting without point weights), each batch goes
	 * backward right after its forward; otherwise the weighting needs every
	 * residual first, and backward_batch pushes each batch through again. */
	int fused = !t->exp->keep_activations && !(update_weights && wops->point_weights);
	int rc;

	trainer_update_coefficients(t);
	rc = PP_OK;
	for (int k = 0; k < t->n_terms && !rc; k++)
		rc = forward_term(t, &t->terms[k], fused && !chunked_term(t, k, with_chunks), err);
	/* On several ranks each step meets at these reductions, which also
	 * carry every rank's status: a failure anywhere stops all ranks here
	 * with the failing rank's message (core/comm.h). */
	rc = reduce_losses(t, rc, err);
	if (rc)
		return rc;
	if (update_weights && wops->point_weights) {
		rc = wops->point_weights(wstate, &t->view, err);
		if (rc)
			pp_error_prefix(err, "weighting '%s'", t->exp->weighting_plugin->name);
	}
	rc = weighted_sums(t, rc, err);
	if (rc)
		return rc;
	weighted_losses(t, loss);
	rc = backward_all(t, with_chunks, fused, err);
	if (rc)
		return rc;
	if (update_weights && wops->term_weights) {
		rc = wops->term_weights(wstate, &t->view, err);
		if (rc)
			pp_error_prefix(err, "weighting '%s'", t->exp->weighting_plugin->name);
		rc = pp_comm_agree(rc, err);
		if (rc)
			return rc;
		weighted_losses(t, loss);
	}
	if (!t->combined)
		combine_gradient(t);
	t->view.loss = *loss;
	return PP_OK;
}

int trainer_objective_eval(void *ctx, const pp_real *params, double *loss, pp_real *grad,
			   pp_error *err)
{
	trainer *t = ctx;
	int rc;

	memcpy(pp_network_params(t->net), params, t->n_params * sizeof *params);
	t->stats_due = 0;
	rc = trainer_evaluate(t, 0, loss, err);
	if (rc)
		return rc;
	if (grad)
		memcpy(grad, t->grad, t->n_params * sizeof *grad);
	return PP_OK;
}

