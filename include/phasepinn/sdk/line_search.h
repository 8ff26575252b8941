/* phasepinn plugin SDK — strong-Wolfe line search along a fixed direction.
 *
 * For plugin authors (installed as <phasepinn/sdk/line_search.h>,
 * header-only): a line search any optimizer plugin can run on the
 * pp_objective its step() is given (optimizer.h); the shipped bfgs, ssbfgs
 * and ssbroyden use it through their shared engine dense_quasi_newton.h.
 *
 * With φ(α) = f(x0 + α·d) and φ'(α) = ∇f(x0 + α·d)ᵀd, φ'(0) < 0, a step α is
 * accepted when it satisfies the strong Wolfe conditions
 *     φ(α) ≤ φ(0) + c1·α·φ'(0),   |φ'(α)| ≤ c2·|φ'(0)|
 * found by bracketing (doubling α) and zoom (Nocedal & Wright, Numerical
 * Optimization, 2nd ed., Algorithms 3.5 and 3.6).  Trial steps inside a
 * bracket come from the cubic through (α, φ, φ') at both ends, or, when that
 * cubic has no minimiser, the quadratic through φ(lo), φ'(lo), φ(hi) (N&W
 * §3.5); either is kept inside the middle 80% of the bracket, else bisection.
 *
 * Robust near convergence in float64: when the loss at a trial differs from
 * φ(0) by no more than `noise`·|φ(0)| the values no longer resolve the
 * decrease c1·α·φ'(0) (it is below the rounding of the loss), and the
 * derivative decides instead — the approximate Wolfe conditions of Hager &
 * Zhang (SIAM J. Optim. 16, 2005, §4):
 *     (2·c1 − 1)·φ'(0) ≥ φ'(α) ≥ c2·φ'(0),
 * so on such a step the loss may rise, but by no more than its rounding
 * (noise·|φ(0)|); it never rises by more.  A search that ends without an accepted
 * point says whether every finite trial was within that noise band
 * (flat == finite): the loss has stopped decreasing at machine precision,
 * which the optimizer reports as convergence rather than failure.
 *
 * A trial with a non-finite loss or gradient, or whose evaluation returns
 * PP_ERR_NUMERIC, reads as φ = +inf: "too far", the bracket shrinks by
 * bisection.  Only the caller's scratch vectors are written; x0 is not.
 */
#ifndef PHASEPINN_SDK_LINE_SEARCH_H
#define PHASEPINN_SDK_LINE_SEARCH_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#include <phasepinn/error.h>
#include <phasepinn/optimizer.h>
#include <phasepinn/real.h>

typedef struct pp_ls_point {
	double a, f, g;   /* step, loss, directional derivative φ'(a) */
} pp_ls_point;

typedef struct pp_line_search {
	/* set by the caller */
	size_t n;
	double c1, c2;          /* 0 < c1 < c2 < 1 */
	double noise;           /* relative loss difference that is rounding (0: off) */
	const pp_real *x0, *d;  /* n: start point and direction */
	pp_objective *obj;
	pp_real *x, *g_trial;   /* n: scratch, the latest trial and its gradient */
	pp_real *x_best, *g_best; /* n: the accepted point and its gradient */
	double f0, g0;          /* φ(0), φ'(0) < 0 */
	/* kept across the searches of one step (the caller zeroes them) */
	long evals;             /* objective evaluations */
	long non_finite;        /* trials with a non-finite loss or gradient */
	/* results of the latest pp_line_search_run() */
	long budget;            /* evals may grow up to this */
	long finite, flat;      /* finite trials; of those, within noise of φ(0) */
	pp_ls_point best;       /* accepted point; a = 0: none */
} pp_line_search;

static inline double pp_ls_dot(const pp_real *a, const pp_real *b, size_t n)
{
	double sum = 0;

	for (size_t j = 0; j < n; j++)
		sum += (double)a[j] * (double)b[j];
	return sum;
}

static inline int pp_ls_sufficient_decrease(const pp_line_search *c, pp_ls_point p)
{
	return p.f <= c->f0 + c->c1 * p.a * c->g0;
}

static inline int pp_ls_curvature_holds(const pp_line_search *c, pp_ls_point p)
{
	return fabs(p.g) <= -c->c2 * c->g0;
}

/* The loss at @p is the loss at 0 up to rounding. */
static inline int pp_ls_flat(const pp_line_search *c, pp_ls_point p)
{
	return fabs(p.f - c->f0) <= c->noise * fabs(c->f0);
}

/* Hager–Zhang's approximate Wolfe conditions, where values cannot decide. */
static inline int pp_ls_approximate_wolfe(const pp_line_search *c, pp_ls_point p)
{
	return c->noise > 0 && pp_ls_flat(c, p) && p.g >= c->c2 * c->g0 &&
	       p.g <= (2.0 * c->c1 - 1.0) * c->g0;
}

/* Minimiser of the cubic (else the quadratic) interpolating @lo and @hi,
 * kept inside the middle 80% of the interval; bisection otherwise (e.g.
 * when @hi is a non-finite trial). */
static inline double pp_ls_interpolate(pp_ls_point lo, pp_ls_point hi)
{
	double left = fmin(lo.a, hi.a), right = fmax(lo.a, hi.a), t = NAN;
	double d1 = lo.g + hi.g - 3.0 * (lo.f - hi.f) / (lo.a - hi.a);
	double disc = d1 * d1 - lo.g * hi.g;

	if (disc >= 0 && isfinite(disc)) {
		double d2 = copysign(sqrt(disc), hi.a - lo.a);
		t = hi.a - (hi.a - lo.a) * (hi.g + d2 - d1) / (hi.g - lo.g + 2.0 * d2);
	}
	if (!isfinite(t) && isfinite(hi.f)) {
		double h = hi.a - lo.a, curv = hi.f - lo.f - lo.g * h;  /* ½·φ''·h² */
		if (curv > 0)
			t = lo.a - lo.g * h * h / (2.0 * curv);
	}
	if (!isfinite(t) || t < left + 0.1 * (right - left) || t > right - 0.1 * (right - left))
		t = 0.5 * (lo.a + hi.a);
	return t;
}

/* Take the trial just evaluated (still in x, g_trial) as the result. */
static inline void pp_ls_accept(pp_line_search *c, pp_ls_point p)
{
	c->best = p;
	memcpy(c->x_best, c->x, c->n * sizeof *c->x);
	memcpy(c->g_best, c->g_trial, c->n * sizeof *c->g_trial);
}

/* Evaluate φ at @a.  The lowest loss with sufficient decrease seen so far,
 * and below φ(0) (a tie is no evidence of decrease), is kept as c->best:
 * the fallback when the budget runs out. */
static inline int pp_ls_evaluate(pp_line_search *c, double a, pp_ls_point *p, pp_error *err)
{
	double f = NAN;
	int rc;

	for (size_t j = 0; j < c->n; j++)
		c->x[j] = c->x0[j] + (pp_real)a * c->d[j];
	rc = c->obj->eval(c->obj->ctx, c->x, &f, c->g_trial, err);
	c->evals++;
	if (rc == PP_ERR_NUMERIC)
		pp_error_clear(err);
	else if (rc)
		return rc;
	p->a = a;
	p->f = f;
	/* a finite dot product means every entry of g_trial is finite */
	p->g = rc ? NAN : pp_ls_dot(c->g_trial, c->d, c->n);
	if (!isfinite(p->f) || !isfinite(p->g)) {
		c->non_finite++;
		*p = (pp_ls_point){a, INFINITY, NAN};
		return PP_OK;
	}
	c->finite++;
	c->flat += pp_ls_flat(c, *p);
	if (pp_ls_sufficient_decrease(c, *p) && p->f < c->best.f)
		pp_ls_accept(c, *p);
	return PP_OK;
}

/* Algorithm 3.6: shrink the bracket [lo, hi] until a (approximate) Wolfe
 * point; lo always holds the lowest loss with sufficient decrease. */
static inline int pp_ls_zoom(pp_line_search *c, pp_ls_point lo, pp_ls_point hi, pp_error *err)
{
	while (c->evals < c->budget) {
		pp_ls_point p;
		int rc = pp_ls_evaluate(c, pp_ls_interpolate(lo, hi), &p, err);
		if (rc)
			return rc;
		if (pp_ls_approximate_wolfe(c, p) && !pp_ls_sufficient_decrease(c, p)) {
			pp_ls_accept(c, p);
			return PP_OK;
		}
		if (!pp_ls_sufficient_decrease(c, p) || p.f >= lo.f) {
			hi = p;
		} else {
			if (pp_ls_curvature_holds(c, p)) {
				pp_ls_accept(c, p);  /* the Wolfe point */
				return PP_OK;
			}
			if (p.g * (hi.a - lo.a) >= 0)
				hi = lo;
			lo = p;
		}
		if (fabs(hi.a - lo.a) <= 1e-12 * fmax(fabs(lo.a), fabs(hi.a)))
			break;  /* the interval no longer moves the parameters */
	}
	return PP_OK;
}

/* Algorithm 3.5 from the trial step @a0 with at most @max_evals
 * evaluations.  On return c->best is the point to take: the (approximate)
 * Wolfe point when one was reached, else the lowest loss with sufficient
 * decrease, else a = 0 (nothing found; x_best/g_best untouched). */
static inline int pp_line_search_run(pp_line_search *c, double a0, long max_evals,
				     pp_error *err)
{
	pp_ls_point prev = {0, c->f0, c->g0}, p;
	double a = a0;

	c->best = (pp_ls_point){0, c->f0, c->g0};
	c->budget = c->evals + max_evals;
	c->finite = c->flat = 0;
	for (int i = 0; c->evals < c->budget; i++) {
		int rc = pp_ls_evaluate(c, a, &p, err);
		if (rc)
			return rc;
		if (pp_ls_approximate_wolfe(c, p) && !pp_ls_sufficient_decrease(c, p)) {
			pp_ls_accept(c, p);
			return PP_OK;
		}
		if (!pp_ls_sufficient_decrease(c, p) || (i > 0 && p.f >= prev.f))
			return pp_ls_zoom(c, prev, p, err);
		if (pp_ls_curvature_holds(c, p)) {
			pp_ls_accept(c, p);
			return PP_OK;
		}
		if (p.g >= 0)
			return pp_ls_zoom(c, p, prev, err);
		prev = p;
		a *= 2.0;
	}
	return PP_OK;
}

#endif
