/* phasepinn plugin — L-BFGS with a strong-Wolfe line search.
 *
 * One step() is one quasi-Newton iteration (logged like any step):
 *   d = −H·g by the two-loop recursion over the last `history` pairs
 *   (s = Δθ, y = Δg), H0 = γ·I with γ = sᵀy/yᵀy of the newest pair; without
 *   pairs d = −g and the first trial step is lr·min(1, 1/‖g‖₁) (as PyTorch's
 *   L-BFGS does), afterwards lr (1: the quasi-Newton step itself);
 *   α from the strong Wolfe conditions
 *     f(θ + αd) ≤ f(θ) + c1·α·gᵀd,   |g(θ + αd)ᵀd| ≤ c2·|gᵀd|
 *   by bracketing and zoom (Nocedal & Wright, Numerical Optimization, 2nd ed.,
 *   Algorithms 3.5 and 3.6) with safeguarded cubic interpolation.
 *
 * Robustness, because "L-BFGS stops after one iteration, freezes or gives
 * NaN" is the usual complaint:
 *   - parameters change only to an accepted point, which satisfies the
 *     sufficient-decrease condition, so the loss never goes up and nothing
 *     non-finite is ever written;
 *   - a trial point with a non-finite loss or gradient (or an objective that
 *     reports PP_ERR_NUMERIC there) counts as "too far" and shrinks the step;
 *   - a pair with sᵀy ≤ 1e-10·yᵀy is not stored (H stays positive definite);
 *     a direction that is not a descent direction drops the history;
 *   - when the line search along the quasi-Newton direction fails, the
 *     history is dropped and the step is retried once along −g; only when
 *     that fails too does the stage stop, with the parameters left at the
 *     last good point.
 * Stop reasons (args->stop_reason): "converged: |g|_inf ...",
 * "converged: relative loss change ...", "line search failed ...".
 *
 * Keys: lr (1), history (50), max_evaluations (25 per line search),
 * tolerance_grad (1e-9, on ‖g‖∞), tolerance_change (1e-12, on
 * |f_new − f|/|f|), c1 (1e-4), c2 (0.9).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/sdk/checkpoint.h>

/* Pairs with sᵀy at most this fraction of yᵀy are not curvature information. */
#define LBFGS_CURVATURE_EPS 1e-10

typedef struct lbfgs {
	double lr, tol_grad, tol_change, c1, c2;
	long history, max_evals;
	size_t n;
	long count, head;     /* stored pairs; ring slot of the newest */
	pp_real *S, *Y;       /* history × n: the pairs */
	double *rho, *alpha;  /* history: 1/sᵀy, two-loop scratch */
	pp_real *d;           /* n: search direction */
	pp_real *x, *g_trial; /* n: trial point and its gradient */
	pp_real *x_best, *g_best; /* n: best accepted trial so far */
} lbfgs;

static void lbfgs_destroy(void *state)
{
	lbfgs *s = state;

	if (!s)
		return;
	free(s->S);
	free(s->Y);
	free(s->rho);
	free(s->alpha);
	free(s->d);
	free(s->x);
	free(s->g_trial);
	free(s->x_best);
	free(s->g_best);
	free(s);
}

static int lbfgs_read_options(const pp_config *cfg, lbfgs *s, pp_error *err)
{
	int rc = pp_config_double(cfg, "lr", 1.0, 1e-12, 1e6, &s->lr, err);

	if (!rc)
		rc = pp_config_long(cfg, "history", 50, 1, 1000, &s->history, err);
	if (!rc)
		rc = pp_config_long(cfg, "max_evaluations", 25, 2, 10000, &s->max_evals, err);
	if (!rc)
		rc = pp_config_double(cfg, "tolerance_grad", 1e-9, 0, 1e6, &s->tol_grad, err);
	if (!rc)
		rc = pp_config_double(cfg, "tolerance_change", 1e-12, 0, 1, &s->tol_change, err);
	if (!rc)
		rc = pp_config_double(cfg, "c1", 1e-4, 1e-12, 0.5, &s->c1, err);
	if (!rc)
		rc = pp_config_double(cfg, "c2", 0.9, 1e-6, 0.999999, &s->c2, err);
	if (!rc && !(s->c1 < s->c2))
		rc = pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "c2"),
				     "lbfgs needs 0 < c1 < c2 < 1 (c1 = %g, c2 = %g)", s->c1, s->c2);
	return rc;
}

static int lbfgs_create(const pp_config *cfg, size_t n, void **state, pp_error *err)
{
	lbfgs *s = calloc(1, sizeof *s);
	size_t h, vec;
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = lbfgs_read_options(cfg, s, err);
	if (rc)
		goto free_lbfgs;
	s->n = n;
	h = (size_t)s->history;
	vec = (n ? n : 1) * sizeof(pp_real);
	s->S = malloc(h * vec);
	s->Y = malloc(h * vec);
	s->rho = calloc(h, sizeof *s->rho);
	s->alpha = calloc(h, sizeof *s->alpha);
	s->d = malloc(vec);
	s->x = malloc(vec);
	s->g_trial = malloc(vec);
	s->x_best = malloc(vec);
	s->g_best = malloc(vec);
	if (!s->S || !s->Y || !s->rho || !s->alpha || !s->d || !s->x || !s->g_trial ||
	    !s->x_best || !s->g_best) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for L-BFGS history (%ld × %zu)",
				  s->history, n);
		goto free_lbfgs;
	}
	*state = s;
	return PP_OK;
free_lbfgs:
	lbfgs_destroy(s);
	return rc;
}

/* ---- direction ------------------------------------------------------------ */

static double dot(const pp_real *a, const pp_real *b, size_t n)
{
	double sum = 0;

	for (size_t j = 0; j < n; j++)
		sum += (double)a[j] * (double)b[j];
	return sum;
}

/* Ring slot of the i-th newest pair (i = 0: newest). */
static long slot(const lbfgs *s, long i)
{
	return (s->head - i + s->history) % s->history;
}

/* d = −H·g by the two-loop recursion (Nocedal & Wright, Algorithm 7.4). */
static void direction(lbfgs *s, const pp_real *g)
{
	size_t n = s->n;

	for (size_t j = 0; j < n; j++)
		s->d[j] = -g[j];
	for (long i = 0; i < s->count; i++) {
		long k = slot(s, i);
		const pp_real *yk = s->Y + (size_t)k * n;
		double a = s->rho[k] * dot(s->S + (size_t)k * n, s->d, n);
		s->alpha[k] = a;
		for (size_t j = 0; j < n; j++)
			s->d[j] -= (pp_real)a * yk[j];
	}
	if (s->count > 0) {
		const pp_real *yk = s->Y + (size_t)s->head * n;
		double gamma = 1.0 / (s->rho[s->head] * dot(yk, yk, n));  /* sᵀy / yᵀy */
		for (size_t j = 0; j < n; j++)
			s->d[j] *= (pp_real)gamma;
	}
	for (long i = s->count - 1; i >= 0; i--) {
		long k = slot(s, i);
		const pp_real *sk = s->S + (size_t)k * n;
		double b = s->rho[k] * dot(s->Y + (size_t)k * n, s->d, n);
		for (size_t j = 0; j < n; j++)
			s->d[j] += (pp_real)(s->alpha[k] - b) * sk[j];
	}
}

/* Store the pair from x0, g0 to the accepted point when it carries positive
 * curvature; otherwise keep the pairs we have. */
static void remember_pair(lbfgs *s, const pp_real *x0, const pp_real *g0)
{
	size_t n = s->n;
	long k = (s->head + 1) % s->history;
	pp_real *sk = s->x, *yk = s->g_trial;  /* scratch: the line search is over */
	double sy, yy;

	for (size_t j = 0; j < n; j++) {
		sk[j] = s->x_best[j] - x0[j];
		yk[j] = s->g_best[j] - g0[j];
	}
	sy = dot(sk, yk, n);
	yy = dot(yk, yk, n);
	if (!(sy > LBFGS_CURVATURE_EPS * yy) || !isfinite(sy) || !isfinite(yy))
		return;
	memcpy(s->S + (size_t)k * n, sk, n * sizeof *sk);
	memcpy(s->Y + (size_t)k * n, yk, n * sizeof *yk);
	s->rho[k] = 1.0 / sy;
	s->head = k;
	if (s->count < s->history)
		s->count++;
}

/* ---- strong-Wolfe line search -------------------------------------------- */

typedef struct ls_point {
	double a, f, g;   /* step, loss, directional derivative g(θ + a·d)ᵀd */
} ls_point;

typedef struct ls_ctx {
	lbfgs *s;
	const pp_real *x0;
	pp_objective *obj;
	long evals;        /* objective evaluations in this step */
	long budget;       /* evaluations allowed for the current search */
	long non_finite;   /* trials with a non-finite loss or gradient */
	double f0, g0;     /* at a = 0 */
	ls_point best;     /* lowest loss among trials with sufficient decrease;
			      a = 0 while there is none (x_best/g_best hold it) */
} ls_ctx;

static int sufficient_decrease(const ls_ctx *c, ls_point p)
{
	return p.f <= c->f0 + c->s->c1 * p.a * c->g0;
}

static int curvature_holds(const ls_ctx *c, ls_point p)
{
	return fabs(p.g) <= -c->s->c2 * c->g0;
}

/* Minimiser of the cubic through (a, f, g) of @lo and @hi, kept inside the
 * middle 80% of the interval (bisection when the cubic is degenerate, e.g.
 * when @hi is a non-finite trial). */
static double cubic_step(ls_point lo, ls_point hi)
{
	double left = fmin(lo.a, hi.a), right = fmax(lo.a, hi.a), t = NAN;
	double d1 = lo.g + hi.g - 3.0 * (lo.f - hi.f) / (lo.a - hi.a);
	double disc = d1 * d1 - lo.g * hi.g;

	if (disc >= 0 && isfinite(disc)) {
		double d2 = copysign(sqrt(disc), hi.a - lo.a);
		t = hi.a - (hi.a - lo.a) * (hi.g + d2 - d1) / (hi.g - lo.g + 2.0 * d2);
	}
	if (!isfinite(t) || t < left + 0.1 * (right - left) || t > right - 0.1 * (right - left))
		t = 0.5 * (lo.a + hi.a);
	return t;
}

/* Evaluate at x0 + a·d.  A non-finite result reads as f = +inf, which fails
 * sufficient decrease and so shrinks the step. */
static int evaluate(ls_ctx *c, double a, ls_point *p, pp_error *err)
{
	lbfgs *s = c->s;
	double f = NAN;
	int rc;

	for (size_t j = 0; j < s->n; j++)
		s->x[j] = c->x0[j] + (pp_real)a * s->d[j];
	rc = c->obj->eval(c->obj->ctx, s->x, &f, s->g_trial, err);
	c->evals++;
	if (rc == PP_ERR_NUMERIC)
		pp_error_clear(err);
	else if (rc)
		return rc;
	p->a = a;
	p->f = f;
	/* a finite dot product means every entry of g_trial is finite */
	p->g = rc ? NAN : dot(s->g_trial, s->d, s->n);
	if (!isfinite(p->f) || !isfinite(p->g)) {
		c->non_finite++;
		*p = (ls_point){a, INFINITY, NAN};
		return PP_OK;
	}
	if (sufficient_decrease(c, *p) && p->f < c->best.f) {
		c->best = *p;
		memcpy(s->x_best, s->x, s->n * sizeof *s->x);
		memcpy(s->g_best, s->g_trial, s->n * sizeof *s->g_trial);
	}
	return PP_OK;
}

/* Algorithm 3.6: shrink the bracket [lo, hi] until a strong-Wolfe point. */
static int zoom(ls_ctx *c, ls_point lo, ls_point hi, pp_error *err)
{
	while (c->evals < c->budget) {
		ls_point p;
		int rc = evaluate(c, cubic_step(lo, hi), &p, err);
		if (rc)
			return rc;
		if (!sufficient_decrease(c, p) || p.f >= lo.f) {
			hi = p;
		} else {
			if (curvature_holds(c, p))
				return PP_OK;  /* the Wolfe point, now c->best */
			if (p.g * (hi.a - lo.a) >= 0)
				hi = lo;
			lo = p;
		}
		if (fabs(hi.a - lo.a) <= 1e-12 * fmax(fabs(lo.a), fabs(hi.a)))
			break;  /* the interval no longer moves the parameters */
	}
	return PP_OK;
}

/* Algorithm 3.5: from a0, double the step until a bracket, then zoom.  On
 * return c->best is the point to accept: the strong-Wolfe point when one was
 * reached (it has the lowest loss with sufficient decrease seen, Algorithm
 * 3.6's invariant), else the best sufficient decrease, else a = 0 (failed). */
static int line_search(ls_ctx *c, double a0, pp_error *err)
{
	ls_point prev = {0, c->f0, c->g0}, p;
	double a = a0;

	for (int i = 0; c->evals < c->budget; i++) {
		int rc = evaluate(c, a, &p, err);
		if (rc)
			return rc;
		if (!sufficient_decrease(c, p) || (i > 0 && p.f >= prev.f))
			return zoom(c, prev, p, err);
		if (curvature_holds(c, p))
			return PP_OK;
		if (p.g >= 0)
			return zoom(c, p, prev, err);
		prev = p;
		a *= 2.0;
	}
	return PP_OK;
}

/* Direction from @g (dropping the history when it does not descend), then a
 * line search with a fresh budget of max_evaluations. */
static int search(lbfgs *s, const pp_real *g, ls_ctx *c, pp_error *err)
{
	double gtd, a0 = s->lr;

	direction(s, g);
	gtd = dot(g, s->d, s->n);
	if (!(gtd < 0) || !isfinite(gtd)) {
		s->count = 0;
		direction(s, g);
		gtd = dot(g, s->d, s->n);
	}
	if (s->count == 0) {
		double g1 = 0;
		for (size_t j = 0; j < s->n; j++)
			g1 += fabs((double)g[j]);
		a0 = s->lr * fmin(1.0, 1.0 / g1);
	}
	c->g0 = gtd;
	c->best = (ls_point){0, c->f0, gtd};
	c->budget = c->evals + c->s->max_evals;
	return line_search(c, a0, err);
}

/* ---- step ------------------------------------------------------------------ */

static void stop(pp_optimizer_args *args, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* End the stage after this step, saying why. */
static void stop(pp_optimizer_args *args, const char *fmt, ...)
{
	va_list ap;

	args->stop = 1;
	va_start(ap, fmt);
	vsnprintf(args->stop_reason, sizeof args->stop_reason, fmt, ap);
	va_end(ap);
}

static void stop_failed_search(pp_optimizer_args *args, const ls_ctx *c, int retried)
{
	if (c->non_finite == c->evals)
		stop(args, "line search failed: all %ld trial points gave a non-finite loss or gradient; parameters kept at the last good point",
		     c->evals);
	else
		stop(args, "line search failed: no sufficient decrease in %ld evaluations (%ld non-finite)%s; parameters kept at the last good point",
		     c->evals, c->non_finite, retried ? ", quasi-Newton direction then -g" : "");
}

static double inf_norm(const pp_real *v, size_t n)
{
	double m = 0;

	for (size_t j = 0; j < n; j++)
		m = fmax(m, fabs((double)v[j]));
	return m;
}

static int lbfgs_step(void *state, pp_real *params, pp_optimizer_args *args, pp_error *err)
{
	lbfgs *s = state;
	ls_ctx c = {.s = s, .x0 = params, .obj = args->objective, .f0 = args->loss};
	double gmax, change;
	int retried = 0, rc;

	args->lr = NAN;
	args->evaluations = 0;
	gmax = inf_norm(args->grad, s->n);
	if (gmax <= s->tol_grad) {
		stop(args, "converged: |g|_inf = %.3g <= tolerance_grad %.3g", gmax, s->tol_grad);
		return PP_OK;
	}
	if (!c.obj)
		return pp_error_set(err, PP_ERR_STATE, "lbfgs: step %ld has no objective to line-search",
				    args->step);
	rc = search(s, args->grad, &c, err);
	if (!rc && c.best.a == 0 && s->count > 0) {
		s->count = 0;  /* the quasi-Newton model misled us: retry along −g */
		retried = 1;
		rc = search(s, args->grad, &c, err);
	}
	args->evaluations = c.evals;
	if (rc)
		return rc;  /* the objective failed; params untouched */
	if (c.best.a == 0) {
		stop_failed_search(args, &c, retried);
		return PP_OK;  /* params untouched */
	}
	/* accept the Wolfe point, or failing that the best sufficient decrease */
	remember_pair(s, params, args->grad);
	memcpy(params, s->x_best, s->n * sizeof *params);
	args->lr = c.best.a;
	change = fabs(c.best.f - args->loss);
	if (change <= s->tol_change * fabs(args->loss))
		stop(args, "converged: relative loss change %.3g <= tolerance_change %.3g",
		     args->loss != 0 ? change / fabs(args->loss) : 0.0, s->tol_change);
	return PP_OK;
}

/* ---- checkpoint ----------------------------------------------------------- */

/* Checkpoint (checkpoint.h header, version 1): history, count, head (int64
 * each), then the S and Y rings and rho. */
static size_t lbfgs_checkpoint_size(const lbfgs *s)
{
	size_t h = (size_t)s->history;

	return PP_CHECKPOINT_HEADER_SIZE + 3 * 8 + 2 * h * s->n * sizeof(pp_real) +
	       h * sizeof(double);
}

static int lbfgs_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const lbfgs *s = state;
	size_t need = lbfgs_checkpoint_size(s), ring = (size_t)s->history * s->n * sizeof(pp_real);
	int64_t ints[3] = {s->history, s->count, s->head};
	unsigned char *p;

	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID, "lbfgs: checkpoint buffer too small");
	p = pp_checkpoint_put_header(buf, "lbfgs", 1, s->n);
	pp_checkpoint_put(&p, ints, sizeof ints);
	pp_checkpoint_put(&p, s->S, ring);
	pp_checkpoint_put(&p, s->Y, ring);
	pp_checkpoint_put(&p, s->rho, (size_t)s->history * sizeof(double));
	*size = need;
	return PP_OK;
}

static int lbfgs_load(void *state, const void *buf, size_t size, pp_error *err)
{
	lbfgs *s = state;
	size_t ring = (size_t)s->history * s->n * sizeof(pp_real);
	const unsigned char *p = NULL;
	int64_t ints[3];
	int rc;

	rc = pp_checkpoint_check_header(buf, size, "lbfgs", 1, s->n, lbfgs_checkpoint_size(s), &p,
					err);
	if (rc)
		return rc;
	pp_checkpoint_get(&p, ints, sizeof ints);
	if (ints[0] != s->history || ints[1] < 0 || ints[1] > s->history || ints[2] < 0 ||
	    ints[2] >= s->history)
		return pp_error_set(err, PP_ERR_INVALID,
				    "lbfgs: checkpoint has history %lld (%lld pairs), this stage uses history %ld",
				    (long long)ints[0], (long long)ints[1], s->history);
	s->count = (long)ints[1];
	s->head = (long)ints[2];
	pp_checkpoint_get(&p, s->S, ring);
	pp_checkpoint_get(&p, s->Y, ring);
	pp_checkpoint_get(&p, s->rho, (size_t)s->history * sizeof(double));
	return PP_OK;
}

static const pp_optimizer_ops lbfgs_ops = {
	.struct_size = sizeof lbfgs_ops,
	.create = lbfgs_create,
	.destroy = lbfgs_destroy,
	.step = lbfgs_step,
	.save = lbfgs_save,
	.load = lbfgs_load,
};

PP_PLUGIN_DEFINE(PP_KIND_OPTIMIZER, "lbfgs",
		 "L-BFGS with strong-Wolfe line search; never writes non-finite parameters",
		 &lbfgs_ops)
