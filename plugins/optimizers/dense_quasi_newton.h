/* phasepinn optimizer plugins — dense quasi-Newton methods of the
 * self-scaled Broyden family (header-only, private to plugins/optimizers;
 * bfgs.c, ssbfgs.c and ssbroyden.c each supply only their τ and φ).
 * It stays beside those three rather than in the plugin SDK: it is their
 * implementation (keys, stop reasons, checkpoint layout, one n × n matrix),
 * not an interface to build other optimizers on; the parts that are
 * reusable, line_search.h and checkpoint.h, are installed in
 * <phasepinn/sdk/>.
 *
 * The state is the inverse Hessian approximation H (n × n doubles,
 * row-major, only the upper triangle is read and written, so it stays
 * exactly symmetric).  One step() is one iteration, logged like any step:
 *
 *   1. ‖g‖∞ ≤ tolerance_grad: stop (converged) without moving.
 *   2. d = −H·g (cblas_dsymv).  If gᵀd is not negative, H has lost positive
 *      definiteness to rounding: restart (below) and d = −γ·g.
 *   3. Strong-Wolfe line search along d (line_search.h); the first trial is
 *      α = lr, or lr·min(1, 1/‖g‖₁) while H is still the unscaled initial
 *      identity (as lbfgs does).  If it finds nothing and H was not a fresh
 *      restart, restart and search once more along −γ·g.
 *   4. With s = θ₊ − θ, y = g₊ − g of the accepted point (both from the line
 *      search's own evaluations, so the point weights of this step): if
 *      sᵀy ≤ curvature_eps·‖s‖‖y‖ restart, else update H by the self-scaled
 *      Broyden family in the form of Urbán, Stefanou & Pons (J. Comput.
 *      Phys. 2025, arXiv 2405.04230, eq. 10):
 *        H₊ = (1/τ)·[H − (Hy)(Hy)ᵀ/(yᵀHy) + φ·(yᵀHy)·v·vᵀ] + s·sᵀ/(sᵀy),
 *        v = s/(sᵀy) − Hy/(yᵀHy)
 *      with τ and φ from the plugin (bfgs: τ = φ = 1).  Since vᵀy = 0 every
 *      member satisfies the secant equation H₊·y = s.  Expanded, with
 *      ρ = 1/sᵀy and u = Hy, it is one scaling and two BLAS updates:
 *        H ← H/τ + c_ss·s·sᵀ + c_su·(s·uᵀ + u·sᵀ) + c_uu·u·uᵀ,
 *        c_ss = ρ + φ·ρ²·yᵀHy/τ,  c_su = −φ·ρ/τ,  c_uu = (φ − 1)/(τ·yᵀHy)
 *      (cblas_dsyr2 with s and w = ½·c_ss·s + c_su·u, then cblas_dsyr).
 *      Before the first update H = I is replaced by (sᵀy/yᵀy)·I (Nocedal &
 *      Wright eq. 6.20; key initial_scale).
 *   5. tolerance_change > 0 and |f₊ − f| ≤ tolerance_change·|f|: stop.
 *
 * Restart: H = γ·I with γ = sᵀy/yᵀy of the newest pair that had positive
 * curvature (1 before any).  Restarts are counted (checkpointed, and named
 * in the stop reason: optimizers have no metrics hook).
 *
 * Memory: n² doubles for H.  create() refuses a network whose H would need
 * more than max_memory_mb (default 4096 MiB: up to 23,170 parameters) with
 * a message naming the parameter count and the memory needed.
 *
 * pp_real may be float (-Dprecision=single): H and the update vectors are
 * double whatever the engine's precision; the line search works on pp_real
 * parameters like lbfgs does, accumulating dot products in double.
 */
#ifndef PHASEPINN_PLUGINS_OPTIMIZERS_DENSE_QUASI_NEWTON_H
#define PHASEPINN_PLUGINS_OPTIMIZERS_DENSE_QUASI_NEWTON_H

#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include <phasepinn/sdk/checkpoint.h>
#include <phasepinn/sdk/line_search.h>

#define PP_QN_CHECKPOINT_VERSION 1

/* The plugin name reaches checkpoint.h's strncpy through a pointer, so GCC
 * cannot see that padding it to the 8-byte magic (and cutting "ssbroyden"
 * to "ssbroyde", the same way on save and load) is intended. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#endif

/* One accepted step and the quantities every update formula reads. */
typedef struct pp_qn_pair {
	size_t n;        /* parameters */
	double sy;       /* sᵀy > 0 */
	double yHy;      /* yᵀH·y > 0 (H as it enters the update) */
	double b;        /* b_k = sᵀH⁻¹s / sᵀy = −α·sᵀg / sᵀy */
	double h;        /* h_k = yᵀH·y / sᵀy */
} pp_qn_pair;

typedef struct pp_qn_method {
	const char *name;   /* plugin name, also the checkpoint magic */
	/* Optional: the plugin's own keys (e.g. ssbfgs' tau) into *variant. */
	int (*read_variant)(const pp_config *cfg, int *variant, pp_error *err);
	/* τ (H is divided by it, > 0) and φ (the H-form Broyden parameter,
	 * 1 = BFGS, 0 = DFP) for the pair. */
	void (*scaling)(const pp_qn_pair *p, int variant, double *tau, double *phi);
} pp_qn_method;

typedef struct pp_qn {
	const pp_qn_method *method;
	/* options */
	double lr, tol_grad, tol_change, c1, c2, noise, curvature_eps, max_memory_mb;
	long max_evals;
	int initial_scale, variant;
	size_t n;
	/* state, checkpointed */
	double *H;            /* n × n, upper triangle */
	int identity;         /* H is still the unscaled initial I */
	int fresh;            /* H is γ·I: no update since the start or a restart */
	long updates, restarts;
	double gamma;         /* scale of the next restart */
	double last_tau, last_phi;  /* of the latest update (diagnostics) */
	/* scratch */
	double *gd, *dd, *s, *y, *u, *w;  /* n each */
	pp_real *d, *x, *g_trial, *x_best, *g_best;
} pp_qn;

static inline void pp_qn_destroy(void *state)
{
	pp_qn *q = state;

	if (!q)
		return;
	free(q->H);
	free(q->gd);
	free(q->dd);
	free(q->s);
	free(q->y);
	free(q->u);
	free(q->w);
	free(q->d);
	free(q->x);
	free(q->g_trial);
	free(q->x_best);
	free(q->g_best);
	free(q);
}

static inline int pp_qn_read_options(const pp_config *cfg, pp_qn *q, pp_error *err)
{
	const char *name = q->method->name;
	int rc = pp_config_double(cfg, "lr", 1.0, 1e-12, 1e6, &q->lr, err);

	if (!rc)
		rc = pp_config_long(cfg, "max_evaluations", 25, 2, 10000, &q->max_evals, err);
	if (!rc)
		rc = pp_config_double(cfg, "tolerance_grad", 1e-9, 0, 1e6, &q->tol_grad, err);
	if (!rc)
		rc = pp_config_double(cfg, "tolerance_change", 0, 0, 1, &q->tol_change, err);
	if (!rc)
		rc = pp_config_double(cfg, "c1", 1e-4, 1e-12, 0.5, &q->c1, err);
	if (!rc)
		rc = pp_config_double(cfg, "c2", 0.9, 1e-12, 0.999999, &q->c2, err);
	if (!rc)
		rc = pp_config_double(cfg, "noise_tolerance", 1e4 * PP_REAL_EPSILON, 0, 0.01,
				      &q->noise, err);
	if (!rc)
		rc = pp_config_double(cfg, "curvature_eps", 1e-8, 0, 0.5, &q->curvature_eps, err);
	if (!rc)
		rc = pp_config_bool(cfg, "initial_scale", 1, &q->initial_scale, err);
	if (!rc)
		rc = pp_config_double(cfg, "max_memory_mb", 4096, 1, 1e8, &q->max_memory_mb, err);
	if (!rc && q->method->read_variant)
		rc = q->method->read_variant(cfg, &q->variant, err);
	if (!rc && !(q->c1 < q->c2))
		rc = pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "c2"),
				     "%s needs 0 < c1 < c2 < 1 (c1 = %g, c2 = %g)", name, q->c1, q->c2);
	return rc;
}

/* H = γ·I. */
static inline void pp_qn_set_identity(pp_qn *q, double gamma)
{
	memset(q->H, 0, q->n * q->n * sizeof *q->H);
	for (size_t i = 0; i < q->n; i++)
		q->H[i * q->n + i] = gamma;
}

/* Refuse before allocating when H would not fit max_memory_mb. */
static inline int pp_qn_check_memory(const pp_qn *q, size_t n, pp_error *err)
{
	double bytes = (double)n * (double)n * (double)sizeof(double);
	double limit = q->max_memory_mb * 1048576.0;

	if (bytes <= limit)
		return PP_OK;
	return pp_error_set(err, PP_ERR_CONFIG,
			    "%s: the network has %zu parameters; its dense inverse Hessian (%zu² doubles) needs %.0f MiB, above max_memory_mb %.0f (at most %.0f parameters); use lbfgs or raise max_memory_mb",
			    q->method->name, n, n, bytes / 1048576.0, q->max_memory_mb,
			    floor(sqrt(limit / (double)sizeof(double))));
}

static inline int pp_qn_create(const pp_qn_method *method, const pp_config *cfg, size_t n,
			       void **state, pp_error *err)
{
	pp_qn *q = calloc(1, sizeof *q);
	size_t m = n ? n : 1, vec = m * sizeof(double), rvec = m * sizeof(pp_real);
	int rc;

	if (!q)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	q->method = method;
	rc = pp_qn_read_options(cfg, q, err);
	if (!rc)
		rc = pp_qn_check_memory(q, n, err);
	if (rc)
		goto free_qn;
	q->n = n;
	q->H = malloc(m * vec);
	q->gd = malloc(vec);
	q->dd = malloc(vec);
	q->s = malloc(vec);
	q->y = malloc(vec);
	q->u = malloc(vec);
	q->w = malloc(vec);
	q->d = malloc(rvec);
	q->x = malloc(rvec);
	q->g_trial = malloc(rvec);
	q->x_best = malloc(rvec);
	q->g_best = malloc(rvec);
	if (!q->H || !q->gd || !q->dd || !q->s || !q->y || !q->u || !q->w || !q->d || !q->x ||
	    !q->g_trial || !q->x_best || !q->g_best) {
		rc = pp_error_set(err, PP_ERR_NOMEM,
				  "%s: out of memory for the %zu × %zu inverse Hessian (%.0f MiB)",
				  method->name, n, n, (double)m * (double)vec / 1048576.0);
		goto free_qn;
	}
	pp_qn_set_identity(q, 1.0);
	q->identity = q->fresh = 1;
	q->gamma = 1.0;
	q->last_tau = q->last_phi = NAN;
	*state = q;
	return PP_OK;
free_qn:
	pp_qn_destroy(q);
	return rc;
}

/* ---- direction and update ------------------------------------------------ */

/* Before any update γ = 1 and H is again the unscaled initial identity. */
static inline void pp_qn_restart(pp_qn *q)
{
	pp_qn_set_identity(q, q->gamma);
	q->identity = q->updates == 0;
	q->fresh = 1;
	q->restarts++;
}

/* d = −H·g (in dd, and as pp_real in d for the line search); returns gᵀd. */
static inline double pp_qn_direction(pp_qn *q)
{
	size_t n = q->n;
	double gtd = 0;

	cblas_dsymv(CblasRowMajor, CblasUpper, (int)n, -1.0, q->H, (int)n, q->gd, 1, 0.0, q->dd,
		    1);
	for (size_t j = 0; j < n; j++) {
		q->d[j] = (pp_real)q->dd[j];
		gtd += q->gd[j] * (double)q->d[j];
	}
	return gtd;
}

static inline double pp_qn_dot(const double *a, const double *b, size_t n)
{
	double sum = 0;

	for (size_t j = 0; j < n; j++)
		sum += a[j] * b[j];
	return sum;
}

/* H ← H/τ + c_ss·s·sᵀ + c_su·(s·uᵀ + u·sᵀ) + c_uu·u·uᵀ (see the top). */
static inline void pp_qn_apply(pp_qn *q, const pp_qn_pair *p, double tau, double phi)
{
	size_t n = q->n;
	double rho = 1.0 / p->sy;
	double c_ss = rho + phi * rho * rho * p->yHy / tau, c_su = -phi * rho / tau;
	double c_uu = (phi - 1.0) / (tau * p->yHy);

	if (tau != 1.0)
		for (size_t i = 0; i < n; i++)
			cblas_dscal((int)(n - i), 1.0 / tau, q->H + i * n + i, 1);
	for (size_t j = 0; j < n; j++)
		q->w[j] = 0.5 * c_ss * q->s[j] + c_su * q->u[j];
	cblas_dsyr2(CblasRowMajor, CblasUpper, (int)n, 1.0, q->s, 1, q->w, 1, q->H, (int)n);
	if (c_uu != 0.0)
		cblas_dsyr(CblasRowMajor, CblasUpper, (int)n, c_uu, q->u, 1, q->H, (int)n);
}

/* Update H with the pair in s, y of a step of length @alpha from gradient
 * gd, or restart when the pair has no positive curvature or H·y shows H is
 * no longer positive definite. */
static inline void pp_qn_update(pp_qn *q, double alpha)
{
	size_t n = q->n;
	pp_qn_pair p = {.n = n};
	double ss = pp_qn_dot(q->s, q->s, n), yy = pp_qn_dot(q->y, q->y, n);
	double sg = pp_qn_dot(q->s, q->gd, n), scale = 1.0, tau = 1.0, phi = 1.0;

	p.sy = pp_qn_dot(q->s, q->y, n);
	if (!(p.sy > q->curvature_eps * sqrt(ss) * sqrt(yy)) || !isfinite(p.sy) || !isfinite(yy)) {
		pp_qn_restart(q);
		return;
	}
	if (q->identity && q->initial_scale) {
		scale = p.sy / yy;  /* Nocedal & Wright eq. 6.20 */
		pp_qn_set_identity(q, scale);
	}
	cblas_dsymv(CblasRowMajor, CblasUpper, (int)n, 1.0, q->H, (int)n, q->y, 1, 0.0, q->u, 1);
	p.yHy = pp_qn_dot(q->y, q->u, n);
	if (!(p.yHy > 0) || !isfinite(p.yHy)) {
		pp_qn_restart(q);
		return;
	}
	/* s = α·d with d = −H·g, so H⁻¹s = −α·g, divided by the rescaling */
	p.b = -alpha * sg / p.sy / scale;
	p.h = p.yHy / p.sy;
	if (q->method->scaling)
		q->method->scaling(&p, q->variant, &tau, &phi);
	if (!(tau > 0) || !isfinite(tau) || !isfinite(phi))
		tau = phi = 1.0;  /* a degenerate pair: the plain BFGS update */
	pp_qn_apply(q, &p, tau, phi);
	q->gamma = p.sy / yy;
	q->last_tau = tau;
	q->last_phi = phi;
	q->identity = q->fresh = 0;
	q->updates++;
}

/* ---- step ------------------------------------------------------------------ */

static inline void pp_qn_stop(pp_optimizer_args *args, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* End the stage after this step, saying why. */
static inline void pp_qn_stop(pp_optimizer_args *args, const char *fmt, ...)
{
	va_list ap;

	args->stop = 1;
	va_start(ap, fmt);
	vsnprintf(args->stop_reason, sizeof args->stop_reason, fmt, ap);
	va_end(ap);
}

static inline double pp_qn_inf_norm(const pp_real *v, size_t n)
{
	double m = 0;

	for (size_t j = 0; j < n; j++)
		m = fmax(m, fabs((double)v[j]));
	return m;
}

/* Direction (restarting when it does not descend), then a line search. */
static inline int pp_qn_search(pp_qn *q, const pp_real *g, pp_line_search *c, pp_error *err)
{
	double gtd = pp_qn_direction(q), a0 = q->lr;

	if (!(gtd < 0) || !isfinite(gtd)) {
		pp_qn_restart(q);
		gtd = pp_qn_direction(q);
	}
	if (q->identity) {
		double g1 = 0;
		for (size_t j = 0; j < q->n; j++)
			g1 += fabs((double)g[j]);
		a0 = q->lr * fmin(1.0, 1.0 / g1);
	}
	c->g0 = gtd;
	return pp_line_search_run(c, a0, q->max_evals, err);
}

static inline void pp_qn_stop_failed(const pp_qn *q, pp_optimizer_args *args,
				     const pp_line_search *c, double gmax, int retried)
{
	if (c->non_finite == c->evals)
		pp_qn_stop(args, "line search failed: all %ld trial points gave a non-finite loss or gradient; parameters kept at the last good point",
			   c->evals);
	else if (c->finite > 0 && c->flat == c->finite)
		pp_qn_stop(args, "converged: the loss no longer decreases at machine precision (|g|_inf = %.3g, %ld restarts of H); parameters kept",
			   gmax, q->restarts);
	else
		pp_qn_stop(args, "line search failed: no sufficient decrease in %ld evaluations (%ld non-finite)%s; parameters kept at the last good point",
			   c->evals, c->non_finite, retried ? ", quasi-Newton direction then -g" : "");
}

static inline int pp_qn_step(void *state, pp_real *params, pp_optimizer_args *args,
			     pp_error *err)
{
	pp_qn *q = state;
	size_t n = q->n;
	pp_line_search c = {
		.n = n, .c1 = q->c1, .c2 = q->c2, .noise = q->noise, .x0 = params, .d = q->d,
		.obj = args->objective, .x = q->x, .g_trial = q->g_trial, .x_best = q->x_best,
		.g_best = q->g_best, .f0 = args->loss,
	};
	double gmax;
	int retried = 0, rc;

	args->lr = NAN;
	args->evaluations = 0;
	gmax = pp_qn_inf_norm(args->grad, n);
	if (gmax <= q->tol_grad) {
		pp_qn_stop(args, "converged: |g|_inf = %.3g <= tolerance_grad %.3g (%ld updates, %ld restarts of H)",
			   gmax, q->tol_grad, q->updates, q->restarts);
		return PP_OK;
	}
	if (!c.obj)
		return pp_error_set(err, PP_ERR_STATE, "%s: step %ld has no objective to line-search",
				    q->method->name, args->step);
	for (size_t j = 0; j < n; j++)
		q->gd[j] = (double)args->grad[j];
	rc = pp_qn_search(q, args->grad, &c, err);
	if (!rc && c.best.a == 0 && !q->fresh) {
		pp_qn_restart(q);  /* the model misled us: retry along −γ·g */
		retried = 1;
		rc = pp_qn_search(q, args->grad, &c, err);
	}
	args->evaluations = c.evals;
	if (rc)
		return rc;  /* the objective failed; params untouched */
	if (c.best.a == 0) {
		pp_qn_stop_failed(q, args, &c, gmax, retried);
		return PP_OK;  /* params untouched */
	}
	for (size_t j = 0; j < n; j++) {
		q->s[j] = (double)q->x_best[j] - (double)params[j];
		q->y[j] = (double)q->g_best[j] - q->gd[j];
	}
	memcpy(params, q->x_best, n * sizeof *params);
	args->lr = c.best.a;
	pp_qn_update(q, c.best.a);
	if (q->tol_change > 0 && fabs(c.best.f - args->loss) <= q->tol_change * fabs(args->loss))
		pp_qn_stop(args, "converged: relative loss change %.3g <= tolerance_change %.3g (%ld updates, %ld restarts of H)",
			   args->loss != 0 ? fabs(c.best.f - args->loss) / fabs(args->loss) : 0.0,
			   q->tol_change, q->updates, q->restarts);
	return PP_OK;
}

/* ---- checkpoint ----------------------------------------------------------- */

/* Checkpoint (checkpoint.h header, version 1): identity, fresh, updates,
 * restarts (int64 each), gamma, last_tau, last_phi (double each), then H as
 * the full symmetric n × n matrix, row-major (n² doubles). */
static inline size_t pp_qn_checkpoint_size(const pp_qn *q)
{
	return PP_CHECKPOINT_HEADER_SIZE + 4 * 8 + 3 * 8 + q->n * q->n * sizeof(double);
}

static inline int pp_qn_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const pp_qn *q = state;
	size_t n = q->n, need = pp_qn_checkpoint_size(q);
	int64_t ints[4] = {q->identity, q->fresh, q->updates, q->restarts};
	double reals[3] = {q->gamma, q->last_tau, q->last_phi};
	unsigned char *p;

	if (!buf) {
		*size = need;
		return PP_OK;
	}
	if (*size < need)
		return pp_error_set(err, PP_ERR_INVALID, "%s: checkpoint buffer too small",
				    q->method->name);
	p = pp_checkpoint_put_header(buf, q->method->name, PP_QN_CHECKPOINT_VERSION, n);
	pp_checkpoint_put(&p, ints, sizeof ints);
	pp_checkpoint_put(&p, reals, sizeof reals);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double h = j >= i ? q->H[i * n + j] : q->H[j * n + i];
			pp_checkpoint_put(&p, &h, sizeof h);
		}
	*size = need;
	return PP_OK;
}

/* Only a positive-definite-looking H (finite, symmetric, positive
 * diagonal) and sane counters are taken. */
static inline int pp_qn_check_loaded(const pp_qn *q, const int64_t *ints, const double *reals,
				     const double *H, pp_error *err)
{
	size_t n = q->n;

	if (ints[0] < 0 || ints[0] > 1 || ints[1] < 0 || ints[1] > 1 || ints[2] < 0 || ints[3] < 0 ||
	    !(reals[0] > 0) || !isfinite(reals[0]))
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: checkpoint state is out of range (flags %lld/%lld, counts %lld/%lld, gamma %g)",
				    q->method->name, (long long)ints[0], (long long)ints[1],
				    (long long)ints[2], (long long)ints[3], reals[0]);
	for (size_t i = 0; i < n; i++) {
		if (!(H[i * n + i] > 0) || !isfinite(H[i * n + i]))
			return pp_error_set(err, PP_ERR_INVALID,
					    "%s: checkpoint inverse Hessian has diagonal entry %zu = %g (not positive definite)",
					    q->method->name, i, H[i * n + i]);
		for (size_t j = i + 1; j < n; j++)
			if (!isfinite(H[i * n + j]) || H[i * n + j] != H[j * n + i])
				return pp_error_set(err, PP_ERR_INVALID,
						    "%s: checkpoint inverse Hessian entry (%zu, %zu) is not finite or not symmetric",
						    q->method->name, i, j);
	}
	return PP_OK;
}

static inline int pp_qn_load(void *state, const void *buf, size_t size, pp_error *err)
{
	pp_qn *q = state;
	size_t n = q->n;
	const unsigned char *p = NULL, *H;
	int64_t ints[4];
	double reals[3];
	double *tmp;
	int rc;

	rc = pp_checkpoint_check_header(buf, size, q->method->name, PP_QN_CHECKPOINT_VERSION, n,
					pp_qn_checkpoint_size(q), &p, err);
	if (rc)
		return rc;
	pp_checkpoint_get(&p, ints, sizeof ints);
	pp_checkpoint_get(&p, reals, sizeof reals);
	H = p;
	tmp = malloc((n ? n * n : 1) * sizeof *tmp);
	if (!tmp)
		return pp_error_set(err, PP_ERR_NOMEM, "%s: out of memory restoring H", q->method->name);
	memcpy(tmp, H, n * n * sizeof *tmp);  /* the blob may be unaligned */
	rc = pp_qn_check_loaded(q, ints, reals, tmp, err);
	if (!rc) {
		memcpy(q->H, tmp, n * n * sizeof *tmp);
		q->identity = (int)ints[0];
		q->fresh = (int)ints[1];
		q->updates = (long)ints[2];
		q->restarts = (long)ints[3];
		q->gamma = reals[0];
		q->last_tau = reals[1];
		q->last_phi = reals[2];
	}
	free(tmp);
	return rc;
}

/* The ops table every dense quasi-Newton plugin exports; its create()
 * passes its pp_qn_method to pp_qn_create(). */
#define PP_QN_OPS(create_)                                \
	{                                                 \
		.struct_size = sizeof(pp_optimizer_ops),  \
		.create = (create_),                      \
		.destroy = pp_qn_destroy,                 \
		.step = pp_qn_step,                       \
		.save = pp_qn_save,                       \
		.load = pp_qn_load,                       \
	}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif
