/* phasepinn plugin — self-adaptive weights (McClenny & Braga-Neto,
 * "Self-adaptive physics-informed neural networks", J. Comput. Phys. 474,
 * 111722, 2023).
 *
 * Every point of a chosen term has a trainable λ_i; the term's loss is
 * term_weight·mean(m(λ_i)·r_i²) and λ climbs the loss (gradient ascent)
 * while θ descends it, both from the same residuals:
 *   g_i = ∂L/∂λ_i = term_weight·m'(λ_i)·r_i²/N
 *   optimizer: sgd    λ_i ← λ_i + lr·g_i
 *   optimizer: adam   λ_i ← λ_i + lr·m̂_i/(√v̂_i + 1e-8)   (Adam on −g)
 * Mask m: polynomial λ^q (mask: polynomial, q = 2, the paper's choice) or
 * logistic 1/(1 + e^{−λ}) (mask: sigmoid).  Both have m' ≥ 0 for λ ≥ 0, so
 * λ never decreases.  The step's loss uses the current λ (w = m(λ),
 * lambda = λ); λ is updated after, as θ and λ move together in the paper.
 * Adam is per point, so it follows the sign of g_i rather than its size: a
 * point with constant residual grows by about lr per step whatever |r|;
 * sgd grows λ in proportion to r².
 * Defaults follow the authors' Allen–Cahn code (levimcclenny/SA-PINNs,
 * Allen-Cahn/AC.py): Adam, lr 0.005, β1 0.99; λ⁰ ~ U[0,1) per point.
 * Keys: lr, optimizer, beta1, beta2, mask, q, init, init_scale, terms.
 * λ stays with the point index across resampling (docs/weighting.md);
 * under adaptive sampling a new point takes the λ of its nearest old point
 * with zero Adam moments (points_changed).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/sdk/terms.h>

enum { OPT_ADAM, OPT_SGD };
enum { MASK_POLYNOMIAL, MASK_SIGMOID };
enum { INIT_UNIFORM, INIT_CONSTANT };

#define SA_ADAM_EPS 1e-8

/* One PDE term's λ and Adam moments, n == 0 until first seen. */
typedef struct sa_term {
	size_t n;
	uint64_t t;           /* ascent steps taken (Adam bias correction) */
	double *lambda;       /* [n]; moments follow: m = lambda + n, v = m + n */
} sa_term;

typedef struct sa {
	double lr, beta1, beta2, q, init_scale;
	int optimizer, mask, init;
	int applies[PP_MAX_TERMS];   /* by PDE term index */
	sa_term term[PP_MAX_TERMS];
	pp_rng rng;                  /* draws λ⁰ */
} sa;

static void sa_destroy(void *state)
{
	sa *s = state;

	if (!s)
		return;
	for (int k = 0; k < PP_MAX_TERMS; k++)
		free(s->term[k].lambda);
	free(s);
}

static int sa_read(sa *s, const pp_config *cfg, const pp_problem *problem, pp_error *err)
{
	static const char *const opts[] = {"adam", "sgd", NULL};
	static const char *const masks[] = {"polynomial", "sigmoid", NULL};
	static const char *const inits[] = {"uniform", "constant", NULL};
	int rc;

	rc = pp_config_double(cfg, "lr", 0.005, 0, 1e6, &s->lr, err);
	if (!rc)
		rc = pp_config_choice(cfg, "optimizer", "adam", opts, &s->optimizer, err);
	if (!rc)
		rc = pp_config_double(cfg, "beta1", 0.99, 0, 1 - 1e-12, &s->beta1, err);
	if (!rc)
		rc = pp_config_double(cfg, "beta2", 0.999, 0, 1 - 1e-12, &s->beta2, err);
	if (!rc)
		rc = pp_config_choice(cfg, "mask", "polynomial", masks, &s->mask, err);
	if (!rc)
		rc = pp_config_double(cfg, "q", 2, 1, 16, &s->q, err);
	if (!rc)
		rc = pp_config_choice(cfg, "init", "uniform", inits, &s->init, err);
	if (!rc)
		rc = pp_config_double(cfg, "init_scale", 1, 0, 1e12, &s->init_scale, err);
	if (!rc)
		rc = pp_terms_select(cfg, "terms", problem->pde, 1, s->applies, err);
	return rc;
}

static int sa_create(const pp_config *cfg, const pp_problem *problem, void **state,
		     pp_error *err)
{
	sa *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = sa_read(s, cfg, problem, err);
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
	double e;

	if (s->mask == MASK_POLYNOMIAL)
		return s->q * pow(l, s->q - 1);
	e = 1.0 / (1.0 + exp(-l));
	return e * (1.0 - e);
}

/* Make @st hold @n points with fresh λ⁰ and zero moments (first call, or a
 * trainer that changed the number of points).  On several ranks this
 * rank's @n are points @first.. of @total (docs/scaling.md): every rank
 * draws all @total λ⁰, in the one-rank order, and keeps its own, so the
 * λ⁰ and the stream after them are the one-rank run's. */
static int sa_fit(sa *s, sa_term *st, size_t n, size_t first, size_t total, pp_error *err)
{
	double *block;

	if (st->n == n && st->lambda)
		return PP_OK;
	block = calloc(3 * (n ? n : 1), sizeof *block);
	if (!block)
		return pp_error_set(err, PP_ERR_NOMEM, "sa: out of memory for %zu weights", n);
	for (size_t i = 0; i < total || i < n; i++) {
		double l = s->init_scale * (s->init == INIT_UNIFORM ? pp_rng_uniform(&s->rng) : 1.0);
		if (i >= first && i - first < n)
			block[i - first] = l;
	}
	free(st->lambda);
	st->lambda = block;
	st->n = n;
	st->t = 0;
	return PP_OK;
}

/* Weights from the current λ, then one ascent step on λ. */
static void sa_update(const sa *s, sa_term *st, pp_term_state *t, size_t total)
{
	double *l = st->lambda, *m = l + st->n, *v = m + st->n;
	double c1, c2, scale = t->term_weight / (double)(total ? total : 1);

	st->t++;
	c1 = 1.0 / (1.0 - pow(s->beta1, (double)st->t));
	c2 = 1.0 / (1.0 - pow(s->beta2, (double)st->t));
	for (size_t i = 0; i < t->n; i++) {
		double r2 = (double)t->r[i] * (double)t->r[i];
		double g = scale * mask_slope(s, l[i]) * r2;

		t->w[i] = (pp_real)mask(s, l[i]);
		t->lambda[i] = (pp_real)l[i];
		if (s->optimizer == OPT_SGD) {
			l[i] += s->lr * g;
			continue;
		}
		m[i] = s->beta1 * m[i] + (1 - s->beta1) * g;
		v[i] = s->beta2 * v[i] + (1 - s->beta2) * g * g;
		l[i] += s->lr * (m[i] * c1) / (sqrt(v[i] * c2) + SA_ADAM_EPS);
	}
}

static int sa_point_weights(void *state, pp_step_view *view, pp_error *err)
{
	sa *s = state;

	for (int k = 0; k < view->n_terms; k++) {
		pp_term_state *t = &view->terms[k];
		int p = t->pde_term, rc;

		if (p < 0 || p >= PP_MAX_TERMS || !s->applies[p])
			continue;
		rc = sa_fit(s, &s->term[p], t->n, pp_view_first(view, k), pp_view_points(view, k),
			    err);
		if (rc)
			return rc;
		sa_update(s, &s->term[p], t, pp_view_points(view, k));
	}
	return PP_OK;
}

/* Checkpoint: "SA" 0 version byte, uint32 PP_MAX_TERMS, the λ⁰ generator
 * (4 uint64), then per term uint64 n, uint64 t and 3n doubles (λ, m, v). */
#define SA_MAGIC "SA\000\001"
#define SA_HEAD (8 + sizeof(pp_rng))

static int sa_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const sa *s = state;
	unsigned char *p = buf;
	uint32_t terms = PP_MAX_TERMS;
	size_t need = SA_HEAD;

	for (int k = 0; k < PP_MAX_TERMS; k++)
		need += 16 + 3 * s->term[k].n * sizeof(double);
	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID,
				    "sa: checkpoint buffer of %zu bytes, %zu needed", *size, need);
	memcpy(p, SA_MAGIC, 4);
	memcpy(p + 4, &terms, 4);
	memcpy(p + 8, &s->rng, sizeof s->rng);
	p += SA_HEAD;
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		const sa_term *st = &s->term[k];
		uint64_t n = st->n;

		memcpy(p, &n, 8);
		memcpy(p + 8, &st->t, 8);
		if (n)
			memcpy(p + 16, st->lambda, 3 * n * sizeof(double));
		p += 16 + 3 * n * sizeof(double);
	}
	*size = need;
	return PP_OK;
}

/* The whole buffer is checked before the state changes. */
static int sa_check(const unsigned char *p, size_t size, pp_error *err)
{
	size_t off = SA_HEAD;
	uint32_t terms;

	if (size < SA_HEAD || memcmp(p, SA_MAGIC, 4) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "sa: not an sa checkpoint (version 1)");
	memcpy(&terms, p + 4, 4);
	if (terms != PP_MAX_TERMS)
		return pp_error_set(err, PP_ERR_INVALID,
				    "sa: checkpoint has %u terms, this build %d", terms, PP_MAX_TERMS);
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		uint64_t n;

		if (size - off < 16)
			return pp_error_set(err, PP_ERR_INVALID, "sa: truncated checkpoint");
		memcpy(&n, p + off, 8);
		if ((size - off - 16) / (3 * sizeof(double)) < n)
			return pp_error_set(err, PP_ERR_INVALID, "sa: truncated checkpoint");
		off += 16 + 3 * n * sizeof(double);
	}
	if (off != size)
		return pp_error_set(err, PP_ERR_INVALID, "sa: %zu stray bytes in checkpoint",
				    size - off);
	return PP_OK;
}

static int sa_load(void *state, const void *buf, size_t size, pp_error *err)
{
	sa *s = state;
	const unsigned char *p = buf;
	int rc = sa_check(p, size, err);

	if (rc)
		return rc;
	memcpy(&s->rng, p + 8, sizeof s->rng);
	p += SA_HEAD;
	for (int k = 0; k < PP_MAX_TERMS; k++) {
		sa_term *st = &s->term[k];
		uint64_t n;

		memcpy(&n, p, 8);
		free(st->lambda);
		st->lambda = NULL;
		st->n = 0;
		if (n) {
			st->lambda = malloc(3 * n * sizeof(double));
			if (!st->lambda)
				return pp_error_set(err, PP_ERR_NOMEM, "sa: out of memory");
			memcpy(st->lambda, p + 16, 3 * n * sizeof(double));
			st->n = (size_t)n;
		}
		memcpy(&st->t, p + 8, 8);
		p += 16 + 3 * n * sizeof(double);
	}
	return PP_OK;
}

/* Adaptive sampling moved the term's points: a kept point keeps λ and its
 * moments; a new one takes its nearest old point's λ — the cheapest form
 * of the paper's proposal to map λ onto new points by regression — and
 * starts its Adam moments at zero (they are the history of another
 * point's residual).  Nothing is drawn, so the λ⁰ stream is untouched. */
static int sa_points_changed(void *state, const pp_points_change *change, pp_error *err)
{
	sa *s = state;
	sa_term *st;
	double *block;
	size_t n = change->n;

	if (change->pde_term < 0 || change->pde_term >= PP_MAX_TERMS ||
	    !s->applies[change->pde_term])
		return PP_OK;
	st = &s->term[change->pde_term];
	if (!st->lambda || st->n != change->n_old)   /* not started: λ⁰ comes at its first step */
		return PP_OK;
	block = calloc(3 * (n ? n : 1), sizeof *block);
	if (!block)
		return pp_error_set(err, PP_ERR_NOMEM, "sa: out of memory for %zu weights", n);
	for (size_t i = 0; i < n; i++) {
		int64_t kept = change->kept[i], near = kept >= 0 ? kept : change->nearest[i];
		if (near < 0 || (uint64_t)near >= st->n)
			block[i] = s->init_scale;
		else
			block[i] = st->lambda[near];
		if (kept >= 0 && (uint64_t)kept < st->n) {
			block[n + i] = st->lambda[st->n + (size_t)kept];
			block[2 * n + i] = st->lambda[2 * st->n + (size_t)kept];
		}
	}
	free(st->lambda);
	st->lambda = block;
	st->n = n;
	return PP_OK;
}

static const pp_weighting_ops sa_ops = {
	.struct_size = sizeof sa_ops,
	.create = sa_create,
	.destroy = sa_destroy,
	.point_weights = sa_point_weights,
	.save = sa_save,
	.load = sa_load,
	.points_changed = sa_points_changed,
};

PP_PLUGIN_DEFINE(PP_KIND_WEIGHTING, "sa",
		 "self-adaptive per-point weights trained by gradient ascent (McClenny & Braga-Neto)",
		 &sa_ops)
