/* phasepinn — residual-based adaptive sampling (see trainer_impl.h and
 * docs/sampling.md): RAD and RAR-D of Wu, Zhu, Tan, Kartha & Lu, "A
 * comprehensive study of non-adaptive and residual-based adaptive sampling
 * for physics-informed neural networks", CMAME 403 (2023) 115671.
 *
 * At a resampling step, for each term the experiment names:
 *   1. draw `candidates` points S from the term's own sampler (the box's
 *      pieces, or the geometry and its parts), from this file's random
 *      stream;
 *   2. their residuals at the current parameters, with the engine's forward
 *      pass and the PDE's residual, batch by batch (trainer_term_residuals);
 *   3. the density of the paper's eq. (2) on S,
 *          p_i ∝ |r_i|^k / mean_S(|r|^k) + c,
 *      and a draw from it without replacement (as the authors' code does
 *      with numpy's choice(replace=False)): all the term's points (rad) or
 *      `add` more (rar_d);
 *   4. the term's w and λ for a new point come from its nearest old point,
 *      and the weighting's points_changed hook hears what moved.
 * The trainer then restarts the stage's optimizer (loop.c).
 */
#include "core/trainer/trainer_impl.h"
#include "core/comm.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void trainer_adaptive_init(trainer *t)
{
	pp_rng_init(&t->adaptive_rng, t->exp->seed, 0x41445054u /* "ADPT" */);
	t->adaptive_events = 0;
	t->adaptive_now = 0;
	t->adaptive_column = -1;
}

int trainer_adaptive_due(const trainer *t, long step)
{
	const pp_adaptive_setup *a = &t->exp->adaptive;

	return a->method != PP_ADAPTIVE_NONE && step > 0 && step % a->every == 0;
}

size_t trainer_adaptive_points(const trainer *t, int k, long step)
{
	const pp_adaptive_setup *a = &t->exp->adaptive;
	size_t n = (size_t)t->exp->terms[k].points;

	if (a->method != PP_ADAPTIVE_RAR_D || !a->applies[t->exp->terms[k].pde_term] || step <= 0)
		return n;
	/* resamplings at every, 2·every, ... before @step */
	return n + (size_t)a->add * (size_t)((step - 1) / a->every);
}

/* On several ranks (docs/scaling.md) each rank holds its share of the
 * term's first points and its share of each RAR-D addition, in that order. */
size_t trainer_adaptive_share(const trainer *t, int k, long step, size_t *offset)
{
	const pp_adaptive_setup *a = &t->exp->adaptive;
	size_t n = (size_t)t->exp->terms[k].points, add = (size_t)a->add, events = 0;
	int r = t->rank;

	if (a->method == PP_ADAPTIVE_RAR_D && a->applies[t->exp->terms[k].pde_term] && step > 0)
		events = (size_t)((step - 1) / a->every);
	*offset = trainer_shard_start(t, k, n, r) + events * pp_comm_share_start(add, r, t->ranks);
	return trainer_shard_start(t, k, n, r + 1) - trainer_shard_start(t, k, n, r) +
	       events * (pp_comm_share_start(add, r + 1, t->ranks) -
			 pp_comm_share_start(add, r, t->ranks));
}

/* One candidate's key of the weighted draw without replacement. */
typedef struct draw_key {
	double key;
	size_t index;
} draw_key;

/* Largest key first; equal keys (only −∞, weight 0) by index. */
static int by_key(const void *pa, const void *pb)
{
	const draw_key *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int by_index(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	return a < b ? -1 : a > b;
}

/* The density of eq. (2) at each candidate, up to its normalisation:
 * |r|^k / mean(|r|^k) + c; a mean of 0 (every residual 0) leaves c, and
 * all-zero weights become uniform. */
static int density(const double *mag, size_t m, double k, double c, double *p, pp_error *err)
{
	double sum = 0, mean, total = 0;

	for (size_t i = 0; i < m; i++) {
		if (!isfinite(mag[i]) || mag[i] < 0)
			return pp_error_set(err, PP_ERR_NUMERIC,
					    "adaptive sampling: candidate %zu has residual %g; lower the learning rate",
					    i, mag[i]);
		p[i] = k == 0 ? 1.0 : pow(mag[i], k);
		sum += p[i];
	}
	mean = sum / (double)m;
	if (!isfinite(mean))
		return pp_error_set(err, PP_ERR_NUMERIC,
				    "adaptive sampling: |r|^%g of the candidates overflows; lower k", k);
	for (size_t i = 0; i < m; i++) {
		p[i] = (mean > 0 ? p[i] / mean : 0) + c;
		total += p[i];
	}
	for (size_t i = 0; total == 0 && i < m; i++)
		p[i] = 1;
	return PP_OK;
}

int pp_adaptive_choose(const double *mag, size_t m, double k, double c, size_t n, pp_rng *rng,
		       size_t *chosen, pp_error *err)
{
	double *p = malloc((m ? m : 1) * sizeof *p);
	draw_key *keys = malloc((m ? m : 1) * sizeof *keys);
	int rc = PP_OK;

	if (n > m)
		rc = pp_error_set(err, PP_ERR_INVALID,
				  "adaptive sampling: cannot draw %zu of %zu candidates", n, m);
	else if (!p || !keys)
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu candidates", m);
	if (!rc)
		rc = density(mag, m, k, c, p, err);
	if (rc)
		goto cleanup;
	/* Efraimidis & Spirakis, "Weighted random sampling with a reservoir",
	 * Inf. Process. Lett. 97 (2006): the n largest u^(1/p) (here log u / p,
	 * u in (0, 1]) are a draw without replacement where each next item is
	 * chosen with probability ∝ p among those left. */
	for (size_t i = 0; i < m; i++) {
		double u = 1.0 - pp_rng_uniform(rng);
		keys[i].key = p[i] > 0 ? log(u) / p[i] : -INFINITY;
		keys[i].index = i;
	}
	qsort(keys, m, sizeof *keys, by_key);
	for (size_t i = 0; i < n; i++)
		chosen[i] = keys[i].index;
	qsort(chosen, n, sizeof *chosen, by_index);
cleanup:
	free(p);
	free(keys);
	return rc;
}

/* Scratch of one resampling of one term: the candidates (points, normals
 * and parts) and a probe that evaluates them a batch at a time. */
typedef struct candidates {
	term_run set;           /* m candidate points, drawn like the term's */
	term_probe probe;
	double *mag;            /* |r| per candidate */
	size_t *chosen;
	int64_t *kept, *nearest;
} candidates;

static void free_candidates(candidates *c)
{
	trainer_point_set_free(&c->set);
	trainer_probe_destroy(&c->probe);
	free(c->mag);
	free(c->chosen);
	free(c->kept);
	free(c->nearest);
}

/* Every rank's share of the candidates' |r| onto every rank, so that all
 * make the same draw. */
static int gather_magnitudes(trainer *t, double *mag, size_t m, int rc, pp_error *err)
{
	size_t *counts = malloc((size_t)t->ranks * sizeof *counts);
	double *all = malloc((m ? m : 1) * sizeof *all);
	size_t lo = pp_comm_share_start(m, t->rank, t->ranks);

	if (!rc && (!counts || !all))
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu candidates", m);
	rc = pp_comm_agree(rc, err);
	if (!rc) {
		for (int r = 0; r < t->ranks; r++)
			counts[r] = pp_comm_share_start(m, r + 1, t->ranks) -
				    pp_comm_share_start(m, r, t->ranks);
		rc = pp_comm_allgather_doubles(mag + lo, counts, all, err);
	}
	if (!rc)
		memcpy(mag, all, m * sizeof *mag);
	free(counts);
	free(all);
	return rc;
}

/* Draw the candidates and evaluate |r| at each, one batch at a time. */
static int evaluate_candidates(trainer *t, const term_run *tr, candidates *c, pp_error *err)
{
	size_t m = (size_t)t->exp->adaptive.candidates, d = (size_t)t->d;
	size_t b = (size_t)t->exp->batch_points < m ? (size_t)t->exp->batch_points : m;
	term_run *set = &c->set;
	size_t lo, hi;
	int rc;

	c->mag = malloc(m * sizeof *c->mag);
	if (!c->mag)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu candidates", m);
	rc = trainer_point_set_draw(t, tr, m, &t->adaptive_rng, set, err);
	if (!rc)
		rc = trainer_probe_create(t, tr, b, &c->probe, err);
	/* every rank drew the same candidates; each evaluates its share */
	lo = pp_comm_share_start(m, t->rank, t->ranks);
	hi = pp_comm_share_start(m, t->rank + 1, t->ranks);
	if (!rc)
		rc = trainer_probe_residuals(t, &c->probe, hi - lo, set->x + lo * d,
					     set->normal ? set->normal + lo * d : NULL,
					     set->part ? set->part + lo : NULL, c->mag + lo, err);
	return t->ranks > 1 ? gather_magnitudes(t, c->mag, m, rc, err) : rc;
}

/* Squared distance of two points in inputs scaled to [0, 1] by the box. */
static double distance2(const trainer *t, const pp_real *a, const pp_real *b)
{
	const pp_pde_info *pde = &t->exp->pde;
	double sum = 0;

	for (int j = 0; j < t->d; j++) {
		double w = pde->hi[j] - pde->lo[j], v = ((double)a[j] - (double)b[j]) / (w > 0 ? w : 1);
		sum += v * v;
	}
	return sum;
}

/* For new point i (candidate chosen[i]), the nearest of the term's @n_old
 * current points; brute force, O(new · old · d) per resampling (first of
 * equals wins). */
static void nearest_old(const trainer *t, const term_run *tr, size_t n_old, const candidates *c,
			size_t n_new, int64_t *nearest)
{
	size_t d = (size_t)t->d;

	for (size_t i = 0; i < n_new; i++) {
		const pp_real *x = c->set.x + c->chosen[i] * d;
		double best = INFINITY;
		int64_t arg = -1;
		for (size_t j = 0; j < n_old; j++) {
			double e = distance2(t, x, tr->x + j * d);
			if (e < best) {
				best = e;
				arg = (int64_t)j;
			}
		}
		nearest[i] = arg;
	}
}

/* Candidate chosen[i] into point @dst of the term, with the w and λ of its
 * nearest old point (@w_old, @l_old; 1 without one). */
static void place(trainer *t, term_run *tr, const candidates *c, size_t i, size_t dst,
		  int64_t near, const pp_real *w_old, const pp_real *l_old)
{
	size_t d = (size_t)t->d, src = c->chosen[i];

	memcpy(tr->x + dst * d, c->set.x + src * d, d * sizeof *tr->x);
	if (tr->normal) {
		memcpy(tr->normal + dst * d, c->set.normal + src * d, d * sizeof *tr->normal);
		tr->part[dst] = c->set.part[src];
	}
	tr->w[dst] = near >= 0 ? w_old[near] : 1;
	tr->lambda[dst] = near >= 0 ? l_old[near] : 1;
}

/* The chosen candidates replace every point (rad) or join them (rar_d). */
static int apply(trainer *t, int k, candidates *c, size_t n_new, pp_error *err)
{
	term_run *tr = &t->terms[k];
	int rar_d = t->exp->adaptive.method == PP_ADAPTIVE_RAR_D;
	size_t n_old = tr->n, n = rar_d ? n_old + n_new : n_new, first = rar_d ? n_old : 0;
	pp_real *w_old = malloc((n_old ? n_old : 1) * sizeof *w_old);
	pp_real *l_old = malloc((n_old ? n_old : 1) * sizeof *l_old);
	int rc = PP_OK;

	c->kept = malloc(n * sizeof *c->kept);
	c->nearest = malloc(n * sizeof *c->nearest);
	if (!w_old || !l_old || !c->kept || !c->nearest) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu points", n);
		goto cleanup;
	}
	memcpy(w_old, tr->w, n_old * sizeof *w_old);
	memcpy(l_old, tr->lambda, n_old * sizeof *l_old);
	for (size_t i = 0; i < first; i++)
		c->kept[i] = c->nearest[i] = (int64_t)i;
	for (size_t i = first; i < n; i++)
		c->kept[i] = -1;
	nearest_old(t, tr, n_old, c, n_new, c->nearest + first);
	if (n != n_old)
		rc = trainer_resize_term(t, k, n, err);
	if (rc)
		goto cleanup;
	for (size_t i = 0; i < n_new; i++)
		place(t, tr, c, i, first + i, c->nearest[first + i], w_old, l_old);
	trainer_pair_points(t, tr);
cleanup:
	free(w_old);
	free(l_old);
	return rc;
}

/* Tell the weighting, when it listens, what became of the term's points. */
static int notify(trainer *t, int k, size_t n_old, const candidates *c, pp_error *err)
{
	const pp_weighting_ops *w = t->exp->weighting_ops;
	pp_points_change change;
	int rc;

	if (!PP_OPS_HAS(w, pp_weighting_ops, points_changed) || !w->points_changed)
		return PP_OK;
	change.pde_term = t->terms[k].st->pde_term;
	change.n_old = n_old;
	change.n = t->terms[k].n;
	change.kept = c->kept;
	change.nearest = c->nearest;
	rc = w->points_changed(t->exp->weighting_state, &change, err);
	return rc ? pp_error_prefix(err, "weighting '%s'", t->exp->weighting_plugin->name) : PP_OK;
}

static int resample_term(trainer *t, int k, pp_error *err)
{
	const pp_adaptive_setup *a = &t->exp->adaptive;
	term_run *tr = &t->terms[k];
	int rad = a->method == PP_ADAPTIVE_RAD;
	size_t n_old = tr->n, n_new = rad ? tr->n_total : (size_t)a->add, lo, mine;
	candidates c;
	int rc;

	memset(&c, 0, sizeof c);
	rc = evaluate_candidates(t, tr, &c, err);
	if (!rc && !(c.chosen = malloc((n_new ? n_new : 1) * sizeof *c.chosen)))
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu points", n_new);
	if (!rc)
		rc = pp_adaptive_choose(c.mag, (size_t)a->candidates, a->k, a->c, n_new,
					&t->adaptive_rng, c.chosen, err);
	/* every rank made the same draw; it keeps its share of the chosen
	 * (rad: the one-rank positions it holds; rar_d: its share of the
	 * additions) and finds nearest old points among its own */
	lo = rad ? tr->offset : pp_comm_share_start(n_new, t->rank, t->ranks);
	mine = rad ? tr->n : pp_comm_share_start(n_new, t->rank + 1, t->ranks) - lo;
	if (!rc && lo > 0)
		memmove(c.chosen, c.chosen + lo, mine * sizeof *c.chosen);
	if (!rc && !rad) {
		tr->n_total += n_new;
		/* counts as made: the share after this resampling */
		(void)trainer_adaptive_share(t, k, t->pos.step + 1, &tr->offset);
	}
	if (!rc)
		rc = apply(t, k, &c, mine, err);
	if (!rc)
		rc = notify(t, k, n_old, &c, err);
	free_candidates(&c);
	return rc ? pp_error_prefix(err, "step %ld: adaptive sampling of term '%s'", t->pos.step,
				    tr->info->name) : PP_OK;
}

int trainer_adaptive_resample(trainer *t, pp_error *err)
{
	/* parameters moved since the last evaluation (which may have been a
	 * line search's trial point): the coefficients at the current ones */
	trainer_update_coefficients(t);
	for (int k = 0; k < t->n_terms; k++) {
		if (!t->exp->adaptive.applies[t->terms[k].st->pde_term])
			continue;
		/* every rank stops at the same term if one fails */
		int rc = pp_comm_agree(resample_term(t, k, err), err);
		if (rc)
			return rc;
	}
	t->adaptive_events++;
	t->adaptive_now = 1;
	return PP_OK;
}
