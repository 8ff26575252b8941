/* phasepinn plugin — L-BFGS with a strong-Wolfe line search.
 *
 * One step() is one quasi-Newton iteration (logged like any step):
 *   d = −H·g by the two-loop recursion over the last `history` pairs
 *   (s = Δθ, y = Δg), H0 = (sᵀy/yᵀy)·I; the first direction is −g scaled to
 *   lr·min(1, 1/‖g‖₁) (as PyTorch's L-BFGS does);
 *   α from the strong Wolfe conditions (Nocedal & Wright, Numerical
 *   Optimization, 2nd ed., Algorithms 3.5 and 3.6, cubic interpolation with
 *   safeguards), c1 = 1e-4, c2 = 0.9.
 * It never writes a non-finite parameter: trial points with a non-finite loss
 * count as "too far" and shrink the step; when the line search fails the
 * parameters stay at the last good point and the stage ends with the reason.
 * Pairs with sᵀy ≤ 1e-10·yᵀy are skipped (curvature condition); a direction
 * that is not a descent direction resets the history.
 * Keys: lr (1), history (50), max_evaluations (25 per step), tolerance_grad
 * (1e-9, on ‖g‖∞), tolerance_change (1e-12, relative loss change), c1, c2.
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lbfgs {
	double lr, tol_grad, tol_change, c1, c2;
	long history, max_evals;
	size_t n;
	long count, head;    /* stored pairs, ring position of the newest */
	pp_real *S, *Y;      /* history × n */
	double *rho, *alpha;
	pp_real *d, *x, *g_trial, *g_lo, *x_best, *g_best;
	long iterations;
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
	free(s->g_lo);
	free(s->x_best);
	free(s->g_best);
	free(s);
}

static int lbfgs_create(const pp_config *cfg, size_t n, void **state, pp_error *err)
{
	lbfgs *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "lr", 1.0, 1e-12, 1e6, &s->lr, err);
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
		rc = pp_config_error(err, PP_ERR_CONFIG, cfg, "lbfgs needs 0 < c1 < c2 < 1");
	if (rc)
		goto fail;
	s->n = n;
	s->S = malloc((size_t)s->history * n * sizeof *s->S);
	s->Y = malloc((size_t)s->history * n * sizeof *s->Y);
	s->rho = calloc((size_t)s->history, sizeof *s->rho);
	s->alpha = calloc((size_t)s->history, sizeof *s->alpha);
	s->d = malloc(n * sizeof *s->d);
	s->x = malloc(n * sizeof *s->x);
	s->g_trial = malloc(n * sizeof *s->g_trial);
	s->g_lo = malloc(n * sizeof *s->g_lo);
	s->x_best = malloc(n * sizeof *s->x_best);
	s->g_best = malloc(n * sizeof *s->g_best);
	if (!s->S || !s->Y || !s->rho || !s->alpha || !s->d || !s->x || !s->g_trial || !s->g_lo ||
	    !s->x_best || !s->g_best) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for L-BFGS history (%ld × %zu)",
				  s->history, n);
		goto fail;
	}
	*state = s;
	return PP_OK;
fail:
	lbfgs_destroy(s);
	return rc;
}

static double dot(const pp_real *a, const pp_real *b, size_t n)
{
	double sum = 0;

	for (size_t j = 0; j < n; j++)
		sum += (double)a[j] * (double)b[j];
	return sum;
}

/* d = −H·g by the two-loop recursion. */
static void direction(lbfgs *s, const pp_real *g)
{
	size_t n = s->n;
	long m = s->count;

	for (size_t j = 0; j < n; j++)
		s->d[j] = -g[j];
	for (long i = 0; i < m; i++) {
		long k = (s->head - i + s->history) % s->history;
		const pp_real *sk = s->S + (size_t)k * n, *yk = s->Y + (size_t)k * n;
		double a = s->rho[k] * dot(sk, s->d, n);
		s->alpha[k] = a;
		for (size_t j = 0; j < n; j++)
			s->d[j] -= (pp_real)a * yk[j];
	}
	if (m > 0) {
		const pp_real *sk = s->S + (size_t)s->head * n, *yk = s->Y + (size_t)s->head * n;
		double gamma = dot(sk, yk, n) / dot(yk, yk, n);
		for (size_t j = 0; j < n; j++)
			s->d[j] *= (pp_real)gamma;
	}
	for (long i = m - 1; i >= 0; i--) {
		long k = (s->head - i + s->history) % s->history;
		const pp_real *sk = s->S + (size_t)k * n, *yk = s->Y + (size_t)k * n;
		double b = s->rho[k] * dot(yk, s->d, n);
		for (size_t j = 0; j < n; j++)
			s->d[j] += (pp_real)(s->alpha[k] - b) * sk[j];
	}
}

typedef struct ls_point {
	double a, f, g;   /* step, loss, directional derivative */
} ls_point;

/* Minimiser of the cubic through (a,f,g) and (b,f,g), kept inside the middle
 * 80% of the bracket (bisection when the cubic is degenerate). */
static double cubic_step(ls_point lo, ls_point hi)
{
	double d1 = lo.g + hi.g - 3.0 * (lo.f - hi.f) / (lo.a - hi.a);
	double disc = d1 * d1 - lo.g * hi.g, t, left, right;

	left = fmin(lo.a, hi.a);
	right = fmax(lo.a, hi.a);
	if (disc >= 0 && isfinite(disc) && isfinite(lo.g) && isfinite(hi.g)) {
		double d2 = copysign(sqrt(disc), hi.a - lo.a);
		t = hi.a - (hi.a - lo.a) * (hi.g + d2 - d1) / (hi.g - lo.g + 2.0 * d2);
	} else {
		t = 0.5 * (lo.a + hi.a);
	}
	if (!isfinite(t) || t < left + 0.1 * (right - left) || t > right - 0.1 * (right - left))
		t = 0.5 * (lo.a + hi.a);
	return t;
}

typedef struct ls_ctx {
	lbfgs *s;
	const pp_real *x0;
	pp_real *params;
	pp_objective *obj;
	long evals;
	double f0, g0;
	ls_point best;     /* lowest finite loss seen, with its gradient in g_best */
} ls_ctx;

/* Evaluate at x0 + a·d; a non-finite result reads as f = +inf. */
static int evaluate(ls_ctx *c, double a, ls_point *p, pp_error *err)
{
	lbfgs *s = c->s;
	double f;
	int rc;

	for (size_t j = 0; j < s->n; j++)
		s->x[j] = c->x0[j] + (pp_real)a * s->d[j];
	rc = c->obj->eval(c->obj->ctx, s->x, &f, s->g_trial, err);
	c->evals++;
	if (rc)
		return rc;
	p->a = a;
	p->f = f;
	p->g = dot(s->g_trial, s->d, s->n);
	if (!isfinite(f) || !isfinite(p->g)) {
		p->f = INFINITY;
		p->g = NAN;
		return PP_OK;
	}
	if (f < c->best.f) {
		c->best = *p;
		memcpy(s->x_best, s->x, s->n * sizeof *s->x);
		memcpy(s->g_best, s->g_trial, s->n * sizeof *s->g_trial);
	}
	return PP_OK;
}

static int armijo_fails(const ls_ctx *c, ls_point p)
{
	return !(p.f <= c->f0 + c->s->c1 * p.a * c->g0);
}

static int curvature_holds(const ls_ctx *c, ls_point p)
{
	return fabs(p.g) <= -c->s->c2 * c->g0;
}

/* Algorithm 3.6: shrink [lo, hi] until a strong-Wolfe point is found. */
static int zoom(ls_ctx *c, ls_point lo, ls_point hi, int *found, pp_error *err)
{
	while (c->evals < c->s->max_evals) {
		ls_point p;
		int rc = evaluate(c, cubic_step(lo, hi), &p, err);
		if (rc)
			return rc;
		if (armijo_fails(c, p) || p.f >= lo.f) {
			hi = p;
		} else {
			if (curvature_holds(c, p)) {
				*found = 1;
				return PP_OK;
			}
			if (p.g * (hi.a - lo.a) >= 0)
				hi = lo;
			lo = p;
		}
		if (fabs(hi.a - lo.a) < 1e-12 * fmax(1.0, fabs(lo.a)))
			break;
	}
	return PP_OK;
}

/* Algorithm 3.5: bracket a strong-Wolfe step, then zoom. */
static int line_search(ls_ctx *c, double a0, int *found, pp_error *err)
{
	ls_point prev = {0, c->f0, c->g0}, p;
	double a = a0;
	int rc;

	*found = 0;
	for (int i = 0; c->evals < c->s->max_evals; i++) {
		rc = evaluate(c, a, &p, err);
		if (rc)
			return rc;
		if (armijo_fails(c, p) || (i > 0 && p.f >= prev.f))
			return zoom(c, prev, p, found, err);
		if (curvature_holds(c, p)) {
			*found = 1;
			return PP_OK;
		}
		if (p.g >= 0)
			return zoom(c, p, prev, found, err);
		prev = p;
		a *= 2.0;
	}
	return PP_OK;
}

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
	if (!(sy > 1e-10 * yy) || !isfinite(sy))
		return;  /* curvature condition fails: keep the pairs we have */
	memcpy(s->S + (size_t)k * n, sk, n * sizeof *sk);
	memcpy(s->Y + (size_t)k * n, yk, n * sizeof *yk);
	s->rho[k] = 1.0 / sy;
	s->head = k;
	if (s->count < s->history)
		s->count++;
}

static int lbfgs_step(void *state, pp_real *params, pp_optimizer_args *args, pp_error *err)
{
	lbfgs *s = state;
	const pp_real *g = args->grad;
	double gmax = 0, gtd, a0;
	ls_ctx c = {0};
	int found, rc;

	if (!isfinite(args->loss))
		return pp_error_set(err, PP_ERR_NUMERIC, "lbfgs: loss is not finite at step %ld",
				    args->step);
	for (size_t j = 0; j < s->n; j++) {
		if (!isfinite(g[j]))
			return pp_error_set(err, PP_ERR_NUMERIC,
					    "lbfgs: gradient entry %zu is not finite at step %ld", j,
					    args->step);
		gmax = fmax(gmax, fabs((double)g[j]));
	}
	args->lr = NAN;
	if (gmax <= s->tol_grad) {
		args->stop = 1;
		snprintf(args->stop_reason, sizeof args->stop_reason,
			 "converged: |g|_inf = %.3g <= tolerance_grad %.3g", gmax, s->tol_grad);
		return PP_OK;
	}
	direction(s, g);
	gtd = dot(g, s->d, s->n);
	if (!(gtd < 0) || !isfinite(gtd)) {
		s->count = 0;  /* not a descent direction: restart from steepest descent */
		direction(s, g);
		gtd = dot(g, s->d, s->n);
	}
	if (s->count == 0) {
		double g1 = 0;
		for (size_t j = 0; j < s->n; j++)
			g1 += fabs((double)g[j]);
		a0 = s->lr * fmin(1.0, 1.0 / g1);
	} else {
		a0 = s->lr;
	}
	c.s = s;
	c.x0 = params;
	c.obj = args->objective;
	c.f0 = args->loss;
	c.g0 = gtd;
	c.best = (ls_point){0, args->loss, gtd};
	rc = line_search(&c, a0, &found, err);
	args->evaluations = c.evals;
	if (rc)
		return rc;
	s->iterations++;
	if (!found && !(c.best.a > 0 && !armijo_fails(&c, c.best))) {
		s->count = 0;
		args->stop = 1;
		snprintf(args->stop_reason, sizeof args->stop_reason,
			 "line search failed after %ld evaluations; parameters kept at the last good point",
			 c.evals);
		return PP_OK;  /* params untouched */
	}
	/* accept the best point found (the Wolfe point when found) */
	remember_pair(s, params, g);
	memcpy(params, s->x_best, s->n * sizeof *params);
	args->lr = c.best.a;
	if (fabs(c.best.f - args->loss) <= s->tol_change * fmax(1.0, fabs(args->loss))) {
		args->stop = 1;
		snprintf(args->stop_reason, sizeof args->stop_reason,
			 "converged: loss change %.3g below tolerance_change %.3g",
			 fabs(c.best.f - args->loss), s->tol_change);
	}
	return PP_OK;
}

/* Checkpoint: header, count, head, then the ring of pairs and rho. */
static int lbfgs_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const lbfgs *s = state;
	size_t pairs = (size_t)s->history * s->n * sizeof(pp_real);
	size_t need = 32 + 2 * pairs + (size_t)s->history * sizeof(double);
	unsigned char *p = buf;
	int64_t head[3] = {s->count, s->head, (int64_t)s->n};

	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID, "lbfgs: checkpoint buffer too small");
	memcpy(p, "LBFGS1\0\0", 8);
	memcpy(p + 8, head, sizeof head);
	memcpy(p + 32, s->S, pairs);
	memcpy(p + 32 + pairs, s->Y, pairs);
	memcpy(p + 32 + 2 * pairs, s->rho, (size_t)s->history * sizeof(double));
	*size = need;
	return PP_OK;
}

static int lbfgs_load(void *state, const void *buf, size_t size, pp_error *err)
{
	lbfgs *s = state;
	size_t pairs = (size_t)s->history * s->n * sizeof(pp_real);
	const unsigned char *p = buf;
	int64_t head[3];

	if (size != 32 + 2 * pairs + (size_t)s->history * sizeof(double) ||
	    memcmp(p, "LBFGS1", 6) != 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "lbfgs: checkpoint does not match this history size and network");
	memcpy(head, p + 8, sizeof head);
	if (head[2] != (int64_t)s->n)
		return pp_error_set(err, PP_ERR_INVALID, "lbfgs: checkpoint for another network");
	s->count = head[0];
	s->head = head[1];
	memcpy(s->S, p + 32, pairs);
	memcpy(s->Y, p + 32 + pairs, pairs);
	memcpy(s->rho, p + 32 + 2 * pairs, (size_t)s->history * sizeof(double));
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
