/* phasepinn — the trainer's set-up: each term's points, batches and work
 * arrays, the gradient chunks analyzers asked for, and resampling
 * (see trainer_impl.h). */
#include "core/trainer/trainer_impl.h"
#include "core/comm.h"
#include "core/observations.h"

#include <math.h>

#include <phasepinn/geometry.h>

#include <stdlib.h>
#include <string.h>

#include <cblas.h>

/* A paired term (periodic boundary) evaluates each point also at the upper
 * end of its pair input. */
void trainer_pair_points(trainer *t, term_run *tr)
{
	int p = tr->info->pair_input;

	if (!tr->paired)
		return;
	memcpy(tr->x_pair, tr->x, tr->n * (size_t)t->d * sizeof *tr->x);
	for (size_t i = 0; i < tr->n; i++)
		tr->x_pair[i * (size_t)t->d + (size_t)p] = (pp_real)t->exp->pde.hi[p];
}

/* A boundary term on the PDE's box: each piece's normal is the sum of the
 * outward unit vectors of the spatial inputs it fixes (an edge or corner
 * piece gets their normalised sum), piece by piece as pp_sample_term lays
 * the points out. */
static void box_normals(const trainer *t, term_run *tr)
{
	const pp_pde_info *pde = &t->exp->pde;
	int pieces = tr->info->n_pieces > 0 ? tr->info->n_pieces : 1;
	size_t done = 0, d = (size_t)t->d;

	for (int p = 0; p < pieces; p++) {
		size_t count = tr->n / (size_t)pieces + ((size_t)p < tr->n % (size_t)pieces ? 1 : 0);
		double nv[PP_MAX_INPUTS] = {0}, len = 0;
		for (int i = 0; i < pde->n_inputs && tr->info->n_pieces > 0; i++) {
			int side = tr->info->pieces[p].side[i];
			if (i == pde->time_input || side == PP_SIDE_FREE)
				continue;
			nv[i] = side == PP_SIDE_HI ? 1.0 : -1.0;
			len += 1;
		}
		for (size_t i = 0; i < count; i++) {
			for (size_t j = 0; j < d; j++)
				tr->normal[(done + i) * d + j] = (pp_real)(len > 0 ? nv[j] / sqrt(len) : 0);
			tr->part[done + i] = -1;
		}
		done += count;
	}
}

/* Points on a geometry: boundary terms on their parts (with normals),
 * the others inside; time, if any, fixed where the term's piece fixes it
 * (initial conditions) or drawn over the interval. */
static int sample_geometry(trainer *t, term_run *tr, const pp_term_setup *ts, pp_rng *rng,
			   pp_error *err)
{
	const pp_experiment *exp = t->exp;
	const pp_pde_info *pde = &exp->pde;
	size_t n = tr->n, d = (size_t)t->d, gd = (size_t)exp->geometry_dim;
	int pieces = tr->info->boundary || tr->info->n_pieces < 1 ? 1 : tr->info->n_pieces;
	int ti = pde->time_input;
	double *xs = malloc((n ? n : 1) * (gd + 1 + gd) * sizeof *xs), *u, *nrm;
	size_t done = 0;
	int rc = PP_OK;

	if (!xs)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory sampling %zu points", n);
	u = xs + n * gd;
	nrm = u + n;
	for (int p = 0; p < pieces && !rc; p++) {
		size_t count = n / (size_t)pieces + ((size_t)p < n % (size_t)pieces ? 1 : 0);
		int tside = ti >= 0 && !tr->info->boundary && tr->info->n_pieces > 0
			    ? tr->info->pieces[p].side[ti] : PP_SIDE_FREE;
		if (tr->info->boundary)
			rc = pp_geometry_sample_boundary(exp->geometry,
							 ts->n_parts ? ts->parts : NULL, ts->n_parts,
							 count, rng, xs, nrm, tr->part + done, err);
		else
			rc = pp_geometry_sample_interior(exp->geometry, exp->sampler, count, rng,
							 xs, err);
		if (!rc && ti >= 0 && tside == PP_SIDE_FREE)
			rc = pp_sample_unit(exp->sampler, count, 1, rng, u, err);
		for (size_t i = 0; !rc && i < count; i++) {
			pp_real *xi = tr->x + (done + i) * d;
			for (size_t c = 0; c < gd; c++) {
				xi[exp->geometry_inputs[c]] = (pp_real)xs[i * gd + c];
				if (tr->normal)
					tr->normal[(done + i) * d + (size_t)exp->geometry_inputs[c]] =
						(pp_real)nrm[i * gd + c];
			}
			if (ti >= 0) {
				xi[ti] = (pp_real)(tside == PP_SIDE_LO ? pde->lo[ti]
						   : tside == PP_SIDE_HI ? pde->hi[ti]
						   : pde->lo[ti] + (pde->hi[ti] - pde->lo[ti]) * u[i]);
				if (tr->normal)
					tr->normal[(done + i) * d + (size_t)ti] = 0;
			}
		}
		done += count;
	}
	free(xs);
	return rc;
}

static int sample_all(trainer *t, term_run *tr, pp_rng *rng, pp_error *err);
static pp_real *alloc_reals_n(size_t n);

size_t trainer_shard_start(const trainer *t, int k, size_t n, int r)
{
	if (k == t->interior && t->want_chunks && t->n_chunks > 0) {
		size_t K = (size_t)t->n_chunks;
		return n * pp_comm_share_start(K, r, t->ranks) / K;   /* chunk_start[c] */
	}
	return pp_comm_share_start(n, r, t->ranks);
}

/* A rank's share of a term (docs/scaling.md): every rank draws the term's
 * n_total points exactly as one rank would, from the same stream, and
 * keeps points [offset, offset + n), so the union over ranks is the
 * one-rank set, point for point. */
static int sample_share(trainer *t, term_run *tr, pp_rng *rng, pp_error *err)
{
	size_t d = (size_t)t->d, off = tr->offset, n = tr->n;
	term_run full = *tr;
	int rc;

	full.n = tr->n_total;
	full.paired = 0;
	full.x = alloc_reals_n(full.n * d);
	full.normal = tr->normal ? alloc_reals_n(full.n * d) : NULL;
	full.part = tr->normal ? calloc(full.n ? full.n : 1, sizeof *full.part) : NULL;
	if (!full.x || (tr->normal && (!full.normal || !full.part)))
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory sampling %zu points", full.n);
	else
		rc = sample_all(t, &full, rng, err);
	if (!rc) {
		memcpy(tr->x, full.x + off * d, n * d * sizeof *tr->x);
		if (tr->normal) {
			memcpy(tr->normal, full.normal + off * d, n * d * sizeof *tr->normal);
			memcpy(tr->part, full.part + off, n * sizeof *tr->part);
		}
		trainer_pair_points(t, tr);
	}
	free(full.x);
	free(full.normal);
	free(full.part);
	return rc;
}

/* Draw the term's tr->n points (with their normals and parts) from @rng:
 * the trainer's sampler stream for the training points, adaptive
 * sampling's own for its candidates; on several ranks this rank's share. */
int trainer_sample_points(trainer *t, term_run *tr, pp_rng *rng, pp_error *err)
{
	if (tr->data) {   /* the observations' own points, never drawn */
		const double *x = t->exp->obs->train.x + tr->offset * (size_t)t->d;
		for (size_t i = 0; i < tr->n * (size_t)t->d; i++)
			tr->x[i] = (pp_real)x[i];
		return PP_OK;
	}
	if (tr->n_total > tr->n)
		return sample_share(t, tr, rng, err);
	return sample_all(t, tr, rng, err);
}

static int sample_all(trainer *t, term_run *tr, pp_rng *rng, pp_error *err)
{
	int rc;

	if (t->exp->geometry)
		return sample_geometry(t, tr, tr->setup, rng, err);
	rc = pp_sample_term(t->exp->sampler, &t->exp->pde, tr->info, tr->n, rng, tr->x, err);
	if (rc)
		return rc;
	if (tr->normal)
		box_normals(t, tr);
	trainer_pair_points(t, tr);
	return PP_OK;
}

static pp_real *alloc_reals_n(size_t n)
{
	return calloc(n ? n : 1, sizeof(pp_real));
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

static int chunk_workspace(trainer *t, term_run *tr, size_t points, pp_error *err);

/* Bounded memory with chunks longer than @batch_points: every chunk cut
 * into ⌈len / batch_points⌉ equal batches, so that no batch crosses a chunk
 * and none is longer than batch_points; backward_chunked then sums a
 * chunk's gradient over its pieces. */
static int plan_chunk_pieces(trainer *t, term_run *tr, size_t batch_points, pp_error *err)
{
	size_t K = (size_t)t->n_chunks, n_batches = 0, b = 0, longest = 0;
	int rc;

	for (size_t c = 0; c < K; c++) {
		size_t len = t->chunk_start[c + 1] - t->chunk_start[c];
		n_batches += (len + batch_points - 1) / batch_points;
	}
	rc = alloc_plan(tr, n_batches, err);
	for (size_t c = 0; !rc && c < K; c++) {
		size_t p0 = t->chunk_start[c], len = t->chunk_start[c + 1] - p0;
		size_t pieces = (len + batch_points - 1) / batch_points;
		for (size_t q = 0; q < pieces; q++, b++) {
			tr->start[b] = p0 + len * q / pieces;
			tr->len[b] = p0 + len * (q + 1) / pieces - tr->start[b];
			longest = tr->len[b] > longest ? tr->len[b] : longest;
		}
	}
	if (!rc)
		rc = chunk_workspace(t, tr, longest, err);
	return rc;
}

/* The interior term when analyzers read gradient statistics: K equal chunks
 * (the statistics' samples), and batches of whole chunks, as many as fit in
 * @batch_points (at least one), so that ordinary steps run large batches on
 * every thread and a statistics step finds each chunk inside one batch. */
static int plan_chunked_batches(trainer *t, term_run *tr, size_t batch_points, pp_error *err)
{
	size_t K, longest = 0, per, n_batches;
	size_t c0 = pp_comm_share_start((size_t)t->n_chunks, t->rank, t->ranks);
	size_t c1 = pp_comm_share_start((size_t)t->n_chunks, t->rank + 1, t->ranks);
	size_t G = (size_t)t->n_chunks, base = tr->n_total * c0 / G;
	/* this rank's chunks are the one-rank run's c0..c1 while its points
	 * are that share; after RAR-D has added some, its own points in
	 * equal chunks */
	int global = tr->offset == base && tr->n_total * c1 / G - base == tr->n;
	int rc;

	K = c1 - c0;
	t->chunk_count = (int)K;
	t->chunk_start = calloc(K + 1, sizeof *t->chunk_start);
	if (!t->chunk_start)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory planning chunks");
	for (size_t c = 0; c <= K; c++)
		t->chunk_start[c] = global ? tr->n_total * (c0 + c) / G - base : tr->n * c / K;
	for (size_t c = 0; c < K; c++)
		if (t->chunk_start[c + 1] - t->chunk_start[c] > longest)
			longest = t->chunk_start[c + 1] - t->chunk_start[c];
	if (!t->exp->keep_activations && longest > batch_points)
		return plan_chunk_pieces(t, tr, batch_points, err);
	per = batch_points / longest ? batch_points / longest : 1;
	n_batches = (K + per - 1) / per;
	rc = alloc_plan(tr, n_batches, err);
	for (size_t b = 0; !rc && b < n_batches; b++) {
		size_t end = (b + 1) * per < K ? (b + 1) * per : K;
		tr->start[b] = t->chunk_start[b * per];
		tr->len[b] = t->chunk_start[end] - tr->start[b];
	}
	if (!rc)
		rc = chunk_workspace(t, tr, longest, err);
	return rc;
}

/* The chunk statistics' batch (one chunk, or one piece of one, at a time)
 * and its outputs, for @points points.  Bounded memory needs no batch of
 * its own: the term's one batch object, as long as the longest batch, runs
 * the chunks too. */
static int chunk_workspace(trainer *t, term_run *tr, size_t points, pp_error *err)
{
	int rc = PP_OK;

	if (t->exp->keep_activations)
		rc = pp_batch_create(t->net, points, tr->n_channels, tr->info->channels,
				     &t->chunk_batch, err);
	if (!rc && !(t->chunk_out = calloc((size_t)tr->n_channels * points, sizeof *t->chunk_out)))
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for a gradient chunk");
	return rc;
}

static pp_real *alloc_reals(size_t n)
{
	return calloc(n ? n : 1, sizeof(pp_real));
}

/* Everything of term @k whose size is its point count tr->n: the per-point
 * arrays (w = λ = 1), the batches and, for the interior term under
 * gradient statistics, its chunks; and the view's pointers into them.
 * Set up once, and again when adaptive sampling changes the count. */
static int alloc_term(trainer *t, int k, pp_error *err)
{
	pp_experiment *exp = t->exp;
	term_run *tr = &t->terms[k];
	size_t n = tr->n, S = (size_t)tr->n_channels, n_batches;
	int rc;

	tr->x = alloc_reals(n * (size_t)t->d);
	tr->r = alloc_reals(n);
	tr->w = alloc_reals(n);
	tr->lambda = alloc_reals(n);
	tr->out = alloc_reals(n * S);
	tr->dr = alloc_reals(n * S);
	if (tr->paired) {
		tr->x_pair = alloc_reals(n * (size_t)t->d);
		tr->out_pair = alloc_reals(n * S);
		tr->dr_pair = alloc_reals(n * S);
	}
	if (tr->info->boundary) {
		tr->normal = alloc_reals(n * (size_t)t->d);
		tr->part = calloc(n ? n : 1, sizeof *tr->part);
		if (!tr->normal || !tr->part)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu points of term '%s'",
					    n, tr->info->name);
	}
	if (!tr->x || !tr->r || !tr->w || !tr->lambda || !tr->out || !tr->dr ||
	    (tr->paired && (!tr->x_pair || !tr->out_pair || !tr->dr_pair)))
		return pp_error_set(err, PP_ERR_NOMEM,
				    "out of memory for %zu points of term '%s'; lower its points",
				    n, tr->info->name);
	for (size_t i = 0; i < n; i++)
		tr->w[i] = tr->lambda[i] = 1;
	if (k == t->interior && t->want_chunks && t->n_chunks > 0) {
		if (tr->n_total < (size_t)t->n_chunks)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "term '%s' has %zu points, fewer than the %d gradient chunks the analyzers asked for",
					    tr->info->name, tr->n_total, t->n_chunks);
		if (t->n_chunks < t->ranks)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "%d gradient chunks cannot be shared by %d ranks; ask for at least as many chunks as ranks",
					    t->n_chunks, t->ranks);
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
	tr->reuse = !exp->keep_activations;
	tr->resident = NO_BATCH;
	for (size_t b = 0; b < (tr->reuse && n_batches > 1 ? 1 : n_batches); b++) {
		size_t cap = tr->len[b];
		for (size_t q = 1; tr->reuse && q < n_batches; q++)
			cap = tr->len[q] > cap ? tr->len[q] : cap;
		rc = pp_batch_create(t->net, cap, tr->n_channels, tr->info->channels,
				     &tr->batches[b], err);
		if (!rc && tr->paired)
			rc = pp_batch_create(t->net, cap, tr->n_channels, tr->info->channels,
					     &tr->pair_batches[b], err);
		if (rc)
			return rc;
	}
	if (t->n_train > 0) {
		size_t longest = 0, M = (size_t)exp->pde.n_coefficients;
		for (size_t b = 0; b < n_batches; b++)
			longest = tr->len[b] > longest ? tr->len[b] : longest;
		tr->drc = alloc_reals((size_t)tr->K * M * longest);
		tr->rdc = alloc_reals((size_t)t->n_train * n);
		if (!tr->drc || !tr->rdc)
			return pp_error_set(err, PP_ERR_NOMEM,
					    "out of memory for %zu points of term '%s'; lower its points",
					    n, tr->info->name);
	}
	if (tr->K > 1) {
		size_t longest = 0;
		for (size_t b = 0; b < n_batches; b++)
			longest = tr->len[b] > longest ? tr->len[b] : longest;
		tr->rk = alloc_reals((size_t)tr->K * longest);
		tr->drk = alloc_reals((size_t)tr->K * S * longest);
		tr->comp = alloc_reals((size_t)tr->K * n);
		if (tr->paired)
			tr->drk_pair = alloc_reals((size_t)tr->K * S * longest);
		if (!tr->rk || !tr->drk || !tr->comp || (tr->paired && !tr->drk_pair))
			return pp_error_set(err, PP_ERR_NOMEM,
					    "out of memory for %zu points of term '%s'; lower its points",
					    n, tr->info->name);
	}
	tr->st->n = n;
	tr->st->x = tr->x;
	tr->st->r = tr->r;
	tr->st->components = tr->K > 1 ? tr->comp : tr->r;
	tr->st->w = tr->w;
	tr->st->lambda = tr->lambda;
	return PP_OK;
}

/* Free what alloc_term made (the term's batches and per-point arrays, and
 * the interior term's chunks). */
static void free_term(trainer *t, int k)
{
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
	free(tr->rk);
	free(tr->drk);
	free(tr->drk_pair);
	free(tr->comp);
	free(tr->drc);
	free(tr->rdc);
	free(tr->normal);
	free(tr->part);
	tr->batches = tr->pair_batches = NULL;
	tr->start = tr->len = NULL;
	tr->n_batches = 0;
	tr->x = tr->x_pair = tr->r = tr->w = tr->lambda = NULL;
	tr->out = tr->out_pair = tr->dr = tr->dr_pair = NULL;
	tr->rk = tr->drk = tr->drk_pair = tr->comp = tr->drc = tr->rdc = NULL;
	tr->normal = NULL;
	tr->part = NULL;
	if (k == t->interior) {
		free(t->chunk_start);
		free(t->chunk_out);
		pp_batch_destroy(t->chunk_batch);
		t->chunk_start = NULL;
		t->chunk_out = NULL;
		t->chunk_batch = NULL;
	}
}

/* The backward seed's scratch holds the longest batch of any term. */
static int fit_seed(trainer *t, pp_error *err)
{
	size_t need = 1;
	pp_real *seed;

	for (int k = 0; k < t->n_terms; k++)
		for (size_t b = 0; b < t->terms[k].n_batches; b++) {
			size_t m = t->terms[k].len[b] * (size_t)t->terms[k].n_channels;
			need = m > need ? m : need;
		}
	if (t->seed && need <= t->seed_size)
		return PP_OK;
	seed = alloc_reals(need);
	if (!seed)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for the training buffers");
	free(t->seed);
	t->seed = seed;
	t->seed_size = need;
	return PP_OK;
}

int trainer_resize_term(trainer *t, int k, size_t n, pp_error *err)
{
	term_run *tr = &t->terms[k];
	size_t keep = tr->n < n ? tr->n : n, d = (size_t)t->d;
	pp_real *x = tr->x, *w = tr->w, *lambda = tr->lambda, *normal = tr->normal;
	int *part = tr->part, rc;

	tr->x = tr->w = tr->lambda = tr->normal = NULL;
	tr->part = NULL;
	free_term(t, k);
	tr->n = n;
	rc = alloc_term(t, k, err);
	if (!rc) {
		memcpy(tr->x, x, keep * d * sizeof *x);
		memcpy(tr->w, w, keep * sizeof *w);
		memcpy(tr->lambda, lambda, keep * sizeof *lambda);
		if (tr->normal) {
			memcpy(tr->normal, normal, keep * d * sizeof *normal);
			memcpy(tr->part, part, keep * sizeof *part);
		}
		trainer_pair_points(t, tr);
		rc = fit_seed(t, err);
	}
	if (!rc && k == t->interior && t->want_chunks && t->n_chunks == 0)
		t->chunks.n_chunks = (int)tr->n_total;
	t->n_total[k] = tr->n_total;
	t->first[k] = tr->offset;
	free(x);
	free(w);
	free(lambda);
	free(normal);
	free(part);
	return rc;
}

static int setup_term(trainer *t, int k, pp_error *err)
{
	pp_experiment *exp = t->exp;
	term_run *tr = &t->terms[k];
	const pp_term_setup *ts = &exp->terms[k];
	size_t n;
	int rc;

	tr->info = &exp->pde.terms[ts->pde_term];
	tr->data = ts->pde_term == exp->data_term;
	tr->setup = ts;
	tr->n_total = (size_t)ts->points;
	tr->offset = trainer_shard_start(t, k, tr->n_total, t->rank);
	n = tr->n = trainer_shard_start(t, k, tr->n_total, t->rank + 1) - tr->offset;
	t->n_total[k] = tr->n_total;
	t->first[k] = tr->offset;
	tr->n_channels = tr->info->n_channels;
	tr->paired = tr->info->pair_input >= 0;
	if (tr->n_channels < 1 || tr->n_channels > PP_MAX_CHANNELS)
		return pp_error_set(err, PP_ERR_PLUGIN, "pde term '%s' declares %d channels",
				    tr->info->name, tr->n_channels);
	tr->K = pp_term_component_count(tr->info);
	tr->st = &t->states[k];
	tr->grad = alloc_reals(t->n_params);
	if (!tr->grad)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for the training buffers");
	rc = alloc_term(t, k, err);
	if (rc)
		return rc;
	if (tr->data && exp->obs->train.weights) {
		tr->sqrt_w = alloc_reals(n);
		if (!tr->sqrt_w)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory for the data term");
		for (size_t i = 0; i < n; i++)
			tr->sqrt_w[i] = (pp_real)sqrt(exp->obs->train.weights[tr->offset + i]);
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
	tr->st->name = tr->info->name;
	tr->st->pde_term = ts->pde_term;
	tr->st->interior = tr->info->interior;
	tr->st->n_inputs = t->d;
	tr->st->n_components = tr->K;
	tr->st->term_weight = ts->weight;
	tr->st->grad = tr->grad;
	return trainer_sample_points(t, tr, &t->rng, err);
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

/* Build the trainer for @exp into @t, which comes zeroed but for the run
 * fields (opts, res, t0) the loop has set. */
int trainer_setup(trainer *t, pp_experiment *exp, pp_error *err)
{
	unsigned needs;
	int rc;

	t->exp = exp;
	t->net = exp->net;
	t->n_params = pp_network_param_count(exp->net);
	t->n_train = exp->n_trainable;
	t->val_column = -1;
	t->vcolumn = -1;
	for (int q = 0; exp->geometry && q < pp_geometry_part_count(exp->geometry) && q < PP_MAX_PARTS; q++)
		t->part_names[q] = pp_geometry_part_name(exp->geometry, q);
	if (exp->obs && exp->obs->val.n > 0) {
		size_t nv = exp->obs->val.n;
		t->val_x = alloc_reals(nv * (size_t)exp->pde.n_inputs);
		t->val_u = alloc_reals(nv * (size_t)pp_network_output_count(exp->net));
		if (!t->val_x || !t->val_u)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory for the validation rows");
		for (size_t i = 0; i < nv * (size_t)exp->pde.n_inputs; i++)
			t->val_x[i] = (pp_real)exp->obs->val.x[i];
	}
	t->n_net = t->n_params - (size_t)t->n_train;
	trainer_update_coefficients(t);
	t->d = exp->pde.n_inputs;
	t->n_terms = exp->n_terms;
	t->interior = -1;
	t->rank = pp_comm_rank();
	t->ranks = pp_comm_size();
	set_threads(exp->threads);
	pp_rng_init(&t->rng, exp->seed, 0x53414d50u /* "SAMP" */);
	trainer_adaptive_init(t);
	needs = all_needs(exp, &t->n_chunks, err);
	if (needs == ~0u)
		return err->code;
	t->want_chunks = (needs & PP_NEED_CHUNK_STATS) != 0;
	t->term_grads = (needs & PP_NEED_TERM_GRADIENTS) || exp->weighting_ops->term_weights;
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
	}
	rc = fit_seed(t, err);
	if (rc)
		return rc;
	t->grad = alloc_reals(t->n_params);
	t->chunk_grad = alloc_reals(t->n_params);
	t->other = alloc_reals(t->n_params);
	t->params = alloc_reals(t->n_params);
	t->opt_grad = alloc_reals(t->n_params);
	if (t->want_chunks) {
		t->chunk_sum = calloc(t->n_params, sizeof *t->chunk_sum);
		t->chunk_sumsq = calloc(t->n_params, sizeof *t->chunk_sumsq);
	}
	if (!t->grad || !t->chunk_grad || !t->other || !t->params || !t->opt_grad ||
	    (t->want_chunks && (!t->chunk_sum || !t->chunk_sumsq)))
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for the training buffers");
	t->chunks.n_chunks = t->n_chunks > 0 ? t->n_chunks
			     : t->interior >= 0 ? (int)t->terms[t->interior].n_total : 1;
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
	t->view.n_total = t->n_total;
	t->view.first = t->first;
	return trainer_validation_init(t, err);
}

void trainer_teardown(trainer *t)
{
	for (int k = 0; k < t->n_terms; k++) {
		free_term(t, k);
		free(t->terms[k].sqrt_w);
		free(t->terms[k].grad);
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
	free(t->val_x);
	free(t->val_u);
	trainer_validation_free(t);
	pp_batch_destroy(t->chunk_batch);
	pp_batch_destroy(t->sample_batch);
}

int trainer_resample(trainer *t, pp_error *err)
{
	for (int k = 0; k < t->n_terms; k++) {
		int rc = trainer_sample_points(t, &t->terms[k], &t->rng, err);
		if (rc)
			return rc;
	}
	return PP_OK;
}
