/* Optimizers driven directly through their ops, the way the trainer (core/trainer/) does:
 * loss and gradient at params in args, the objective for L-BFGS's line
 * search.
 *
 * Test functions with known minima:
 *   - Rosenbrock f = (1 − x)² + 100·(y − x²)², minimum (1, 1), from the
 *     classic start (−1.2, 1);
 *   - an ill-conditioned quadratic in 10-D, f = ½·eᵀA·e with e = θ − θ*,
 *     θ*_j = 1 + 0.1·j, A = H·diag(c)·H, c_j = 10^(4j/9) from 1 to 1e4
 *     (condition number 1e4) and H a Householder reflection, so that A is
 *     not diagonal (a diagonal A would be easy for Adam's per-coordinate
 *     scaling and would not exercise L-BFGS's two-loop recursion).
 * Variants make the functions hostile: a gradient that lies (points
 * uphill), NaN or PP_ERR_NUMERIC outside a radius around the minimum, NaN
 * everywhere except the start, and a sudden rescaling.
 *
 * Tolerances: hand-computed single steps are compared to 1e-12 relative
 * (a few ulps of double arithmetic on O(1) numbers); convergence tolerances
 * are justified where they are asserted. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_test.h"

#define MAXN 16

/* ---- test functions ------------------------------------------------------ */

enum { ROSENBROCK, QUADRATIC };

typedef struct problem {
	int kind;
	size_t n;
	double scale;        /* f and g multiplied by this (1 normally) */
	int lying;           /* gradient negated: every direction looks downhill */
	double nan_radius;   /* > 0: non-finite where some |θ_j − θ*_j| > radius */
	int numeric_error;   /* with nan_radius: return PP_ERR_NUMERIC there instead */
	int nan_off_start;   /* non-finite everywhere except at start[] */
	pp_real start[MAXN];
	long evals;          /* every evaluation, the test's own ones included */
} problem;

static problem rosenbrock(void)
{
	return (problem){.kind = ROSENBROCK, .n = 2, .scale = 1};
}

static problem quadratic(void)
{
	return (problem){.kind = QUADRATIC, .n = 10, .scale = 1};
}

static double minimum_at(const problem *pr, size_t j)
{
	return pr->kind == ROSENBROCK ? 1.0 : 1.0 + 0.1 * (double)j;
}

/* x ← H·x with H = I − 2·v·vᵀ/(vᵀv), v_j = j + 1 (symmetric, orthogonal). */
static void householder(double *x, size_t n)
{
	double vx = 0, vv = 0;

	for (size_t j = 0; j < n; j++) {
		vx += (double)(j + 1) * x[j];
		vv += (double)(j + 1) * (double)(j + 1);
	}
	for (size_t j = 0; j < n; j++)
		x[j] -= 2.0 * (double)(j + 1) * vx / vv;
}

static void eval_quadratic(const problem *pr, const pp_real *p, double *loss, double *g)
{
	double z[MAXN];
	size_t n = pr->n;

	for (size_t j = 0; j < n; j++)
		z[j] = (double)p[j] - minimum_at(pr, j);
	householder(z, n);
	*loss = 0;
	for (size_t j = 0; j < n; j++) {
		double c = pow(1e4, (double)j / (double)(n - 1));
		*loss += 0.5 * c * z[j] * z[j];
		g[j] = c * z[j];
	}
	householder(g, n);
}

static void eval_rosenbrock(const pp_real *p, double *loss, double *g)
{
	double x = p[0], y = p[1];

	*loss = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
	g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
	g[1] = 200 * (y - x * x);
}

/* Where the hostile variants make the function non-finite. */
static int outside_domain(const problem *pr, const pp_real *p)
{
	if (pr->nan_off_start)
		return memcmp(p, pr->start, pr->n * sizeof *p) != 0;
	for (size_t j = 0; pr->nan_radius > 0 && j < pr->n; j++)
		if (fabs((double)p[j] - minimum_at(pr, j)) > pr->nan_radius)
			return 1;
	return 0;
}

static int eval(void *ctx, const pp_real *p, double *loss, pp_real *grad, pp_error *err)
{
	problem *pr = ctx;
	double g[MAXN];

	pr->evals++;
	if (outside_domain(pr, p)) {
		if (pr->numeric_error)
			return pp_error_set(err, PP_ERR_NUMERIC, "test: loss is not finite here");
		*loss = NAN;
		for (size_t j = 0; grad && j < pr->n; j++)
			grad[j] = NAN;
		return PP_OK;
	}
	if (pr->kind == ROSENBROCK)
		eval_rosenbrock(p, loss, g);
	else
		eval_quadratic(pr, p, loss, g);
	*loss *= pr->scale;
	for (size_t j = 0; grad && j < pr->n; j++)
		grad[j] = (pp_real)(pr->scale * (pr->lying ? -g[j] : g[j]));
	return PP_OK;
}

static double distance_to_minimum(const problem *pr, const pp_real *p)
{
	double worst = 0;

	for (size_t j = 0; j < pr->n; j++)
		worst = fmax(worst, fabs((double)p[j] - minimum_at(pr, j)));
	return worst;
}

/* ---- driving an optimizer ------------------------------------------------ */

typedef struct optimizer {
	const pp_optimizer_ops *ops;
	pp_config_doc *doc;
	void *state;
	pp_error err;
	int status;      /* of create(), then of the last step() */
} optimizer;

/* Create @name with options @yaml ("" for the defaults) for @n parameters. */
static void opt_open(optimizer *o, const char *name, const char *yaml, size_t n)
{
	memset(o, 0, sizeof *o);
	o->ops = pp_test_plugin(PP_KIND_OPTIMIZER, name)->ops;
	if (yaml[0] && pp_config_doc_parse(yaml, strlen(yaml), "opt.yaml", &o->doc, &o->err)) {
		fprintf(stderr, "%s\n", o->err.message);
		o->status = o->err.code;
		return;
	}
	o->status = o->ops->create(pp_config_doc_root(o->doc), n, &o->state, &o->err);
}

static void opt_close(optimizer *o)
{
	if (o->state)
		o->ops->destroy(o->state);
	pp_config_doc_destroy(o->doc);
}

/* One step as the trainer makes it: evaluate at p, then step(). */
static void opt_step(optimizer *o, problem *pr, pp_real *p, long step, long total,
		     pp_optimizer_args *args)
{
	pp_real grad[MAXN];
	pp_objective obj = {pr, eval};
	double loss;

	memset(args, 0, sizeof *args);
	eval(pr, p, &loss, grad, &o->err);
	args->step = args->stage_step = step;
	args->stage_iterations = total;
	args->loss = loss;
	args->grad = grad;
	args->objective = &obj;
	args->lr = NAN;
	o->status = o->ops->step(o->state, p, args, &o->err);
	args->grad = NULL;
	args->objective = NULL;
}

typedef struct outcome {
	int status;
	long steps;              /* step() calls */
	int stopped;
	char reason[160];
	int always_finite;       /* params finite after every step */
} outcome;

/* Up to @steps steps of @name on @pr from p. */
static outcome minimise(const char *name, const char *yaml, problem *pr, pp_real *p, long steps)
{
	optimizer o;
	outcome r = {.always_finite = 1};

	opt_open(&o, name, yaml, pr->n);
	r.status = o.status;
	while (!r.status && !r.stopped && r.steps < steps) {
		pp_optimizer_args args;
		opt_step(&o, pr, p, r.steps, steps, &args);
		r.status = o.status;
		r.steps++;
		r.stopped = args.stop;
		snprintf(r.reason, sizeof r.reason, "%s", args.stop_reason);
		for (size_t j = 0; j < pr->n; j++)
			r.always_finite &= isfinite(p[j]) != 0;
	}
	if (r.status)
		fprintf(stderr, "%s: %s\n", name, o.err.message);
	opt_close(&o);
	return r;
}

/* ---- convergence ---------------------------------------------------------- */

static void test_lbfgs_solves_rosenbrock_to_1e8(void)
{
	problem pr = rosenbrock();
	pp_real p[2] = {-1.2, 1.0};
	outcome r = minimise("lbfgs", "history: 10\n", &pr, p, 200);

	CU_ASSERT_EQUAL(r.status, PP_OK);
	/* stops on |g|_inf <= 1e-9; the Hessian's smallest eigenvalue at (1, 1)
	 * is about 0.4, so the distance is below 1e-9/0.4 = 2.5e-9 */
	CU_ASSERT(r.stopped);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, "converged"));
	CU_ASSERT(distance_to_minimum(&pr, p) < 1e-8);
	CU_ASSERT(pr.evals < 200);
}

static void test_adam_and_sgd_reach_the_rosenbrock_minimum(void)
{
	problem pa = rosenbrock(), ps = rosenbrock();
	pp_real p[2] = {-1.2, 1.0}, q[2] = {-1.2, 1.0};
	outcome ra, rs;

	/* Adam crawls along the curved valley: 20k steps at lr 1e-2 halved
	 * every 4,000; its remaining jitter scales with the final lr (3e-4), so
	 * 1e-3 is what this budget reaches reliably. */
	ra = minimise("adam", "lr: 0.01\nschedule: {type: exponential, rate: 0.5, every: 4000}\n",
		      &pa, p, 20000);
	CU_ASSERT_EQUAL(ra.status, PP_OK);
	CU_ASSERT(distance_to_minimum(&pa, p) < 1e-3);
	/* Nesterov SGD: lr·L must stay below ~2 with L ≈ 1000 near the valley
	 * floor (the Hessian's large eigenvalue at (1, 1) is 1001.6) */
	rs = minimise("sgd", "lr: 0.0005\nmomentum: 0.9\nnesterov: true\n", &ps, q, 50000);
	CU_ASSERT_EQUAL(rs.status, PP_OK);
	CU_ASSERT(distance_to_minimum(&ps, q) < 1e-3);
}

static void test_lbfgs_needs_far_fewer_evaluations_than_adam_on_rosenbrock(void)
{
	problem pa = rosenbrock(), pl = rosenbrock();
	pp_real p[2] = {-1.2, 1.0}, q[2] = {-1.2, 1.0};

	minimise("adam", "lr: 0.01\nschedule: {type: exponential, rate: 0.5, every: 4000}\n", &pa, p,
		 20000);
	minimise("lbfgs", "", &pl, q, 200);
	/* and lbfgs ends 1e5 times closer (1e-8 against 1e-3) */
	CU_ASSERT(pl.evals * 10 < pa.evals);
	CU_ASSERT(distance_to_minimum(&pl, q) < 1e-8);
}

static void test_ill_conditioned_quadratic_all_reach_the_minimum_lbfgs_far_cheaper(void)
{
	problem qa = quadratic(), ql = quadratic(), qs = quadratic();
	pp_real pa[10] = {0}, pl[10] = {0}, ps[10] = {0};
	outcome ra, rl, rs;

	/* Adam's steps are about lr in size per coordinate whatever the
	 * curvature; lr 0.05 decayed ×0.5 every 2,000 steps ends below 1e-3 */
	ra = minimise("adam", "lr: 0.05\nschedule: {type: exponential, rate: 0.5, every: 2000}\n",
		      &qa, pa, 20000);
	/* heavy ball with the optimal constants for eigenvalues in [1, 1e4]:
	 * lr = 4/(√L + √μ)² = 3.9e-4, momentum ((√κ − 1)/(√κ + 1))² = 0.96;
	 * error contracts ~0.98 a step */
	rs = minimise("sgd", "lr: 3.9e-4\nmomentum: 0.96\n", &qs, ps, 5000);
	rl = minimise("lbfgs", "", &ql, pl, 500);
	CU_ASSERT(ra.status == PP_OK && rs.status == PP_OK && rl.status == PP_OK);
	CU_ASSERT(distance_to_minimum(&qa, pa) < 1e-3);
	CU_ASSERT(distance_to_minimum(&qs, ps) < 1e-3);
	/* |g|_inf <= 1e-9 and the smallest eigenvalue 1: distance <= ~3e-9 */
	CU_ASSERT(rl.stopped);
	CU_ASSERT(distance_to_minimum(&ql, pl) < 1e-8);
	CU_ASSERT(ql.evals * 10 < qa.evals);
}

/* ---- schedules ------------------------------------------------------------- */

/* The lr @name reports at @step of a stage of @total steps. */
static double lr_at(const char *name, const char *yaml, long step, long total)
{
	optimizer o;
	problem pr = quadratic();
	pp_real p[10] = {0};
	pp_optimizer_args args;

	opt_open(&o, name, yaml, pr.n);
	opt_step(&o, &pr, p, step, total, &args);
	CU_ASSERT_EQUAL(o.status, PP_OK);
	opt_close(&o);
	return args.lr;
}

static void test_exponential_schedule_follows_the_paper(void)
{
	/* the paper: 1e-3 × 0.9 every 5,000 iterations, staircase */
	const char *yaml = "lr: 1.0e-3\nschedule: {type: exponential, rate: 0.9, every: 5000}\n";
	const long steps[5] = {0, 4999, 5000, 14999, 15000};
	const double want[5] = {1e-3, 1e-3, 9e-4, 8.1e-4, 7.29e-4};

	for (int i = 0; i < 5; i++) {
		PP_ASSERT_CLOSE(lr_at("adam", yaml, steps[i], 300000), want[i], 0, 1e-12);
		PP_ASSERT_CLOSE(lr_at("sgd", yaml, steps[i], 300000), want[i], 0, 1e-12);
	}
}

static void test_smooth_exponential_schedule(void)
{
	const char *yaml = "lr: 1.0e-3\nschedule: {type: exponential, rate: 0.9, every: 5000, "
			   "staircase: false}\n";

	PP_ASSERT_CLOSE(lr_at("adam", yaml, 2500, 300000), 1e-3 * sqrt(0.9), 0, 1e-12);
	PP_ASSERT_CLOSE(lr_at("adam", yaml, 7500, 300000), 1e-3 * pow(0.9, 1.5), 0, 1e-12);
}

static void test_warmup_ramps_then_the_decay_starts(void)
{
	const char *yaml = "lr: 0.1\nschedule: {type: exponential, rate: 0.5, every: 10, warmup: 4}\n";

	/* lr·(step + 1)/warmup during the warm-up */
	PP_ASSERT_CLOSE(lr_at("sgd", yaml, 0, 100), 0.025, 0, 1e-12);
	PP_ASSERT_CLOSE(lr_at("sgd", yaml, 3, 100), 0.1, 0, 1e-12);
	/* then the decay counts from the end of the warm-up */
	PP_ASSERT_CLOSE(lr_at("sgd", yaml, 13, 100), 0.1, 0, 1e-12);
	PP_ASSERT_CLOSE(lr_at("sgd", yaml, 14, 100), 0.05, 0, 1e-12);
}

static void test_cosine_schedule_endpoints(void)
{
	const char *yaml = "lr: 0.1\nschedule: {type: cosine, min_lr: 0.01, warmup: 10}\n";

	PP_ASSERT_CLOSE(lr_at("adam", yaml, 0, 110), 0.01, 0, 1e-12);    /* warm-up: 1/10 */
	PP_ASSERT_CLOSE(lr_at("adam", yaml, 10, 110), 0.1, 0, 1e-12);    /* cosine starts at lr */
	PP_ASSERT_CLOSE(lr_at("adam", yaml, 60, 110), 0.055, 0, 1e-12);  /* half-way: (lr + min)/2 */
	PP_ASSERT_CLOSE(lr_at("adam", yaml, 110, 110), 0.01, 0, 1e-12);  /* ends at min_lr */
	PP_ASSERT_CLOSE(lr_at("adam", "lr: 0.2\n", 12345, 20000), 0.2, 0, 0);  /* constant */
}

/* @yaml must be refused by create() with PP_ERR_CONFIG quoting @where and
 * containing @words. */
static void assert_config_error(const char *name, const char *yaml, const char *where,
				const char *words)
{
	optimizer o;

	opt_open(&o, name, yaml, 2);
	CU_ASSERT_EQUAL(o.status, PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.err.message, where));
	CU_ASSERT_PTR_NOT_NULL(strstr(o.err.message, words));
	opt_close(&o);
}

static void test_bad_options_are_refused_with_their_location(void)
{
	assert_config_error("adam", "lr: 1.0e-3\nschedule: {type: linear}\n", "opt.yaml:2:",
			    "constant");
	assert_config_error("adam", "schedule:\n  type: exponential\n  min_lr: 0.1\n",
			    "opt.yaml:3:", "min_lr' applies to type: cosine");
	assert_config_error("sgd", "schedule: {type: cosine, every: 10}\n", "opt.yaml:1:",
			    "every' applies to type: exponential");
	assert_config_error("sgd", "lr: 0.1\nschedule: {type: cosine, min_lr: 0.5}\n",
			    "opt.yaml:2:", "min_lr");
	assert_config_error("sgd", "nesterov: true\n", "opt.yaml:1:", "momentum");
	assert_config_error("lbfgs", "c1: 0.5\nc2: 0.4\n", "opt.yaml:2:", "c1 < c2");
	assert_config_error("lbfgs", "history: 0\n", "opt.yaml:1:", "history");
}

/* ---- single steps by hand -------------------------------------------------- */

static void test_adam_moments_by_hand_after_one_and_two_steps(void)
{
	optimizer o;
	pp_real p[1] = {2.0}, g1[1] = {0.5}, g2[1] = {-1.0}, m[1] = {7}, v[1] = {7};
	pp_optimizer_args a = {.loss = 1, .grad = g1, .stage_iterations = 10};

	opt_open(&o, "adam", "lr: 0.1\n", 1);
	o.ops->moments(o.state, m, v);
	CU_ASSERT(m[0] == 0 && v[0] == 0);  /* before any update */
	o.ops->step(o.state, p, &a, &o.err);
	/* t = 1: m = 0.1·g, v = 0.001·g², so m̂ = g and v̂ = g² */
	o.ops->moments(o.state, m, v);
	PP_ASSERT_CLOSE(m[0], 0.5, 0, 1e-12);
	PP_ASSERT_CLOSE(v[0], 0.25, 0, 1e-12);
	a.grad = g2;
	a.stage_step = 1;
	o.ops->step(o.state, p, &a, &o.err);
	/* t = 2: m = 0.9·0.05 + 0.1·(−1) = −0.055, m̂ = m/(1 − 0.9²) = m/0.19;
	 * v = 0.999·0.00025 + 0.001·1, v̂ = v/(1 − 0.999²) */
	o.ops->moments(o.state, m, v);
	PP_ASSERT_CLOSE(m[0], -0.055 / 0.19, 0, 1e-12);
	PP_ASSERT_CLOSE(v[0], (0.999 * 0.00025 + 0.001) / (1 - 0.999 * 0.999), 0, 1e-12);
	opt_close(&o);
}

static void test_adamw_weight_decay_step_by_hand(void)
{
	optimizer o;
	pp_real p[2] = {2.0, -4.0}, g[2] = {0.5, 0.0};
	pp_optimizer_args a = {.loss = 1, .grad = g, .stage_iterations = 10};

	opt_open(&o, "adam", "lr: 0.1\nweight_decay: 0.5\n", 2);
	o.ops->step(o.state, p, &a, &o.err);
	/* θ ← θ − lr·(m̂/(√v̂ + ε) + λθ) with m̂ = g, v̂ = g²: decoupled, so a
	 * zero gradient still decays the weight (−4 → −4 + 0.1·0.5·4) */
	PP_ASSERT_CLOSE(p[0], 2.0 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.5 * 2.0), 0, 1e-12);
	PP_ASSERT_CLOSE(p[1], -4.0 + 0.1 * 0.5 * 4.0, 0, 1e-12);
	PP_ASSERT_CLOSE(a.lr, 0.1, 0, 0);
	opt_close(&o);
}

static void test_sgd_momentum_nesterov_and_weight_decay_steps_by_hand(void)
{
	optimizer heavy, nesterov, decay;
	pp_real p1[1] = {1}, p2[1] = {1}, p3[1] = {1}, g[1] = {2};
	pp_optimizer_args a = {.loss = 1, .grad = g, .stage_iterations = 10};

	opt_open(&heavy, "sgd", "lr: 0.1\nmomentum: 0.9\n", 1);
	opt_open(&nesterov, "sgd", "lr: 0.1\nmomentum: 0.9\nnesterov: true\n", 1);
	opt_open(&decay, "sgd", "lr: 0.1\nweight_decay: 0.5\n", 1);
	heavy.ops->step(heavy.state, p1, &a, &heavy.err);  /* v = 2, θ = 1 − 0.2 */
	heavy.ops->step(heavy.state, p1, &a, &heavy.err);  /* v = 3.8, θ = 0.8 − 0.38 */
	PP_ASSERT_CLOSE(p1[0], 0.42, 0, 1e-12);
	/* v = 2, θ = 1 − 0.1·(2 + 0.9·2) */
	nesterov.ops->step(nesterov.state, p2, &a, &nesterov.err);
	PP_ASSERT_CLOSE(p2[0], 0.62, 0, 1e-12);
	/* g' = 2 + 0.5·1, θ = 1 − 0.1·2.5 */
	decay.ops->step(decay.state, p3, &a, &decay.err);
	PP_ASSERT_CLOSE(p3[0], 0.75, 0, 1e-12);
	opt_close(&heavy);
	opt_close(&nesterov);
	opt_close(&decay);
}

/* ---- hostile functions -------------------------------------------------- */

static void test_lbfgs_failed_line_search_stops_with_reason_and_params_kept(void)
{
	problem pr = quadratic();
	pp_real p[10] = {0};
	optimizer o;
	pp_optimizer_args args;

	pr.lying = 1;  /* −g points uphill: no step along it decreases the loss */
	opt_open(&o, "lbfgs", "max_evaluations: 10\n", pr.n);
	opt_step(&o, &pr, p, 0, 50, &args);
	CU_ASSERT_EQUAL(o.status, PP_OK);
	CU_ASSERT(args.stop);
	CU_ASSERT_PTR_NOT_NULL(strstr(args.stop_reason, "line search failed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(args.stop_reason, "parameters kept"));
	CU_ASSERT(args.evaluations >= 1 && args.evaluations <= 10);
	for (int j = 0; j < 10; j++)
		CU_ASSERT_EQUAL(p[j], 0);
	opt_close(&o);
}

static void test_lbfgs_shrinks_past_non_finite_trials_and_converges(void)
{
	/* NaN outside radius 2 of the minimum, from 0 (inside); lr 1e3 makes
	 * the first trials land far outside.  Then the same with the objective
	 * reporting PP_ERR_NUMERIC there, as an objective may. */
	for (int mode = 0; mode < 2; mode++) {
		problem pr = quadratic();
		pp_real p[10] = {0};
		outcome r;

		pr.nan_radius = 2.0;
		pr.numeric_error = mode;
		r = minimise("lbfgs", "lr: 1000\n", &pr, p, 500);
		CU_ASSERT_EQUAL(r.status, PP_OK);
		CU_ASSERT(r.always_finite);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, "converged"));
		CU_ASSERT(distance_to_minimum(&pr, p) < 1e-8);
	}
}

static void test_lbfgs_all_trials_non_finite_stops_with_params_untouched(void)
{
	problem pr = rosenbrock();
	pp_real p[2] = {-1.2, 1.0};
	outcome r;

	memcpy(pr.start, p, sizeof p);
	pr.nan_off_start = 1;
	r = minimise("lbfgs", "", &pr, p, 20);
	CU_ASSERT_EQUAL(r.status, PP_OK);
	CU_ASSERT_EQUAL(r.steps, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, "non-finite"));
	CU_ASSERT(p[0] == (pp_real)-1.2 && p[1] == (pp_real)1.0);
}

static void test_lbfgs_retries_along_minus_g_when_the_quasi_newton_step_fails(void)
{
	problem pr = quadratic();
	pp_real p[10] = {0};
	optimizer o;
	pp_optimizer_args args;
	double before, after;
	pp_real g[MAXN];

	opt_open(&o, "lbfgs", "", pr.n);
	for (long s = 0; s < 3; s++)  /* history from the quadratic as it is */
		opt_step(&o, &pr, p, s, 100, &args);
	/* Now the loss is 1e10 times steeper and non-finite beyond radius 2:
	 * the stored curvature says "step ~1e10 times too far", and 25
	 * halvings cannot bring such a step back inside.  Along −g with the
	 * first-step scaling the search succeeds. */
	pr.scale = 1e10;
	pr.nan_radius = 2.0;
	eval(&pr, p, &before, g, &o.err);
	opt_step(&o, &pr, p, 3, 100, &args);
	eval(&pr, p, &after, g, &o.err);
	CU_ASSERT_EQUAL(o.status, PP_OK);
	CU_ASSERT_FALSE(args.stop);
	CU_ASSERT(args.evaluations > 25);   /* the first search used its whole budget */
	CU_ASSERT(isfinite(after) && after < before);
	opt_close(&o);
}

/* Dense inverse-BFGS from H0 = γI, γ = sᵀy/yᵀy of the newest pair, over
 * the pairs oldest first: H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ; returns
 * d = −H·g.  An independent check of the plugin's two-loop recursion. */
static void dense_bfgs_direction(double S[][MAXN], double Y[][MAXN], int m, size_t n,
				 const double *g, double *d)
{
	double H[MAXN][MAXN] = {{0}}, T[MAXN][MAXN];
	double sy = 0, yy = 0;

	for (size_t j = 0; m > 0 && j < n; j++) {
		sy += S[m - 1][j] * Y[m - 1][j];
		yy += Y[m - 1][j] * Y[m - 1][j];
	}
	for (size_t j = 0; j < n; j++)
		H[j][j] = m > 0 ? sy / yy : 1.0;
	for (int k = 0; k < m; k++) {
		double rho = 0, Hy[MAXN] = {0}, yHy = 0;
		for (size_t j = 0; j < n; j++)
			rho += S[k][j] * Y[k][j];
		rho = 1.0 / rho;
		/* expanded: H − ρ(s·(Hy)ᵀ + (Hy)·sᵀ) + (ρ²·yᵀHy + ρ)·s·sᵀ */
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				Hy[i] += H[i][j] * Y[k][j];
		for (size_t i = 0; i < n; i++)
			yHy += Y[k][i] * Hy[i];
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				T[i][j] = H[i][j] - rho * (S[k][i] * Hy[j] + Hy[i] * S[k][j]) +
					  (rho * rho * yHy + rho) * S[k][i] * S[k][j];
		memcpy(H, T, sizeof H);
	}
	for (size_t i = 0; i < n; i++) {
		d[i] = 0;
		for (size_t j = 0; j < n; j++)
			d[i] -= H[i][j] * g[j];
	}
}

static void test_lbfgs_direction_matches_dense_bfgs_over_the_last_pairs(void)
{
	/* history 3 over 8 steps: the ring wraps, so order and slots matter */
	enum { HISTORY = 3, STEPS = 8 };
	problem pr = quadratic();
	size_t n = pr.n;
	pp_real p[10] = {0}, before[10], g0[MAXN], g1[MAXN];
	double S[STEPS][MAXN], Y[STEPS][MAXN], g[MAXN], d[MAXN], loss;
	optimizer o;
	int pairs = 0;

	opt_open(&o, "lbfgs", "history: 3\n", n);
	for (long step = 0; step < STEPS; step++) {
		pp_optimizer_args args;
		int m = pairs < HISTORY ? pairs : HISTORY;
		double err = 0, norm = 0;

		eval(&pr, p, &loss, g0, &o.err);
		for (size_t j = 0; j < n; j++)
			g[j] = g0[j];
		dense_bfgs_direction(S + (pairs - m), Y + (pairs - m), m, n, g, d);
		memcpy(before, p, sizeof p);
		opt_step(&o, &pr, p, step, STEPS, &args);
		CU_ASSERT_FATAL(o.status == PP_OK && !args.stop);
		/* the step taken is α·d: compare its direction to the dense one
		 * (both in double; H's condition number stays below 1e4, so 1e-8
		 * leaves ample room over rounding) */
		for (size_t j = 0; j < n; j++) {
			double got = ((double)p[j] - (double)before[j]) / args.lr;
			err = fmax(err, fabs(got - d[j]));
			norm = fmax(norm, fabs(d[j]));
		}
		CU_ASSERT(err <= 1e-8 * norm);
		/* the pair the optimizer stored (a quadratic: sᵀy > 0 always) */
		eval(&pr, p, &loss, g1, &o.err);
		for (size_t j = 0; j < n; j++) {
			S[pairs][j] = (double)p[j] - (double)before[j];
			Y[pairs][j] = (double)g1[j] - (double)g0[j];
		}
		pairs++;
	}
	opt_close(&o);
}

/* ---- checkpoints ----------------------------------------------------------- */

static void test_checkpoint_round_trip_gives_identical_next_step(void)
{
	const char *names[3] = {"adam", "sgd", "lbfgs"};
	const char *yaml[3] = {"lr: 0.01\n", "lr: 1.0e-4\nmomentum: 0.9\n", "history: 5\n"};

	for (int i = 0; i < 3; i++) {
		problem pr = quadratic();
		optimizer a, b;
		pp_real pa[10] = {0}, pb[10];
		pp_optimizer_args args;
		unsigned char buf[4096];
		size_t size = 0;

		opt_open(&a, names[i], yaml[i], pr.n);
		opt_open(&b, names[i], yaml[i], pr.n);
		for (long s = 0; s < 3; s++)
			opt_step(&a, &pr, pa, s, 10, &args);
		CU_ASSERT_EQUAL(a.ops->save(a.state, NULL, &size, &a.err), PP_OK);
		CU_ASSERT_FATAL(size <= sizeof buf);
		CU_ASSERT_EQUAL(a.ops->save(a.state, buf, &size, &a.err), PP_OK);
		CU_ASSERT_EQUAL(b.ops->load(b.state, buf, size, &b.err), PP_OK);
		memcpy(pb, pa, sizeof pa);
		opt_step(&a, &pr, pa, 3, 10, &args);
		opt_step(&b, &pr, pb, 3, 10, &args);
		CU_ASSERT(memcmp(pa, pb, sizeof pa) == 0);
		/* a blob of another size or kind is refused */
		CU_ASSERT_EQUAL(b.ops->load(b.state, buf, size - 1, &b.err), PP_ERR_INVALID);
		memcpy(buf, "other", 6);
		CU_ASSERT_EQUAL(b.ops->load(b.state, buf, size, &b.err), PP_ERR_INVALID);
		opt_close(&a);
		opt_close(&b);
	}
}

static void test_checkpoint_for_another_network_is_refused(void)
{
	const char *names[3] = {"adam", "sgd", "lbfgs"};

	for (int i = 0; i < 3; i++) {
		optimizer a, b;
		unsigned char buf[4096];
		size_t size = sizeof buf;

		opt_open(&a, names[i], "", 3);
		opt_open(&b, names[i], "", 4);
		CU_ASSERT_EQUAL(a.ops->save(a.state, buf, &size, &a.err), PP_OK);
		CU_ASSERT_EQUAL(b.ops->load(b.state, buf, size, &b.err), PP_ERR_INVALID);
		CU_ASSERT_PTR_NOT_NULL(strstr(b.err.message, "3 parameters"));
		opt_close(&a);
		opt_close(&b);
	}
}

/* ---- dense quasi-Newton: bfgs, ssbfgs, ssbroyden ------------------------ */

static const char *const dense_names[3] = {"bfgs", "ssbfgs", "ssbroyden"};

/* Small objectives with hand-computable steps, beside the problems above:
 *   TOY_QUADRATIC: f = ½·xᵀAx − bᵀx, A = [[0.3, 0.1], [0.1, 0.2]], b = (1, 1),
 *     minimum A⁻¹b = (2, 4); eigenvalues 0.36 and 0.14 are below 1, so the
 *     self-scaling factors differ from 1 (they would be 1 on the 10-D
 *     quadratic, whose eigenvalues are ≥ 1);
 *   TOY_LYING: f = ½·|x − 1|², but away from the start the reported
 *     gradient is 3·∇f(start): the loss falls along −g while the gradient
 *     "change" y = 2·∇f(start) points against the step, sᵀy < 0;
 *   TOY_FLOOR: f = 1e6 + ½·((x − 1)² + c·(y − 1)²) + ν(x), ν a fixed
 *     pseudo-random "summation error" of up to ±1e-9 (8 ulps of 1e6),
 *     started a few 1e-6 from the minimum: the decrease (< 1e-9) drowns in
 *     ν, so loss values cannot tell trials apart, but the gradient is
 *     exact — the situation of a PINN loss near its floor;
 *   TOY_FLAT: f ≡ 1 with a constant gradient (1, 1): nothing can decrease. */
enum { TOY_QUADRATIC, TOY_LYING, TOY_FLOOR, TOY_FLAT };

typedef struct toy {
	int kind;
	double c;        /* TOY_LYING, TOY_FLOOR: curvature along y (0 means 1) */
	pp_real start[2];
	long evals;
} toy;

static void toy_true(const toy *t, const pp_real *p, double *loss, double *g)
{
	double x = p[0], y = p[1];

	switch (t->kind) {
	case TOY_QUADRATIC:
		*loss = 0.5 * (0.3 * x * x + 0.2 * x * y + 0.2 * y * y) - x - y;
		g[0] = 0.3 * x + 0.1 * y - 1;
		g[1] = 0.1 * x + 0.2 * y - 1;
		break;
	case TOY_FLAT:
		*loss = 1;
		g[0] = g[1] = 1;
		break;
	default:
		*loss = 0.5 * ((x - 1) * (x - 1) + t->c * (y - 1) * (y - 1));
		if (t->kind == TOY_FLOOR) {
			double r = sin(1e7 * x + 3e7 * y) * 43758.5453;
			*loss += 1e6 + 2e-9 * (r - floor(r) - 0.5);
		}
		g[0] = x - 1;
		g[1] = t->c * (y - 1);
	}
}

static int toy_eval(void *ctx, const pp_real *p, double *loss, pp_real *grad, pp_error *err)
{
	toy *t = ctx;
	double g[2];

	(void)err;
	t->evals++;
	if (t->c == 0)
		t->c = 1;
	toy_true(t, p, loss, g);
	if (t->kind == TOY_LYING && (p[0] != t->start[0] || p[1] != t->start[1])) {
		double f0;
		toy_true(t, t->start, &f0, g);
		g[0] *= 3;
		g[1] *= 3;
	}
	for (int j = 0; grad && j < 2; j++)
		grad[j] = (pp_real)g[j];
	return PP_OK;
}

/* One trainer-like step of @o on @t at p; the gradient at p is left in g. */
static void toy_step(optimizer *o, toy *t, pp_real *p, long step, pp_real *g,
		     pp_optimizer_args *args)
{
	pp_objective obj = {t, toy_eval};
	double loss;

	memset(args, 0, sizeof *args);
	toy_eval(t, p, &loss, g, &o->err);
	args->step = args->stage_step = step;
	args->stage_iterations = 100;
	args->loss = loss;
	args->grad = g;
	args->objective = &obj;
	o->status = o->ops->step(o->state, p, args, &o->err);
	args->grad = NULL;
	args->objective = NULL;
}

/* The dense state as dense_quasi_newton.h documents its checkpoint blob. */
typedef struct dense_blob {
	int64_t identity, fresh, updates, restarts;
	double gamma, tau, phi;
	double H[MAXN * MAXN];
} dense_blob;

static void read_dense_blob(optimizer *o, size_t n, dense_blob *b)
{
	static unsigned char buf[24 + 56 + MAXN * MAXN * 8];
	size_t size = sizeof buf;

	CU_ASSERT_EQUAL_FATAL(o->ops->save(o->state, buf, &size, &o->err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(size, 24 + 56 + n * n * 8);
	memcpy(&b->identity, buf + 24, 32);
	memcpy(&b->gamma, buf + 56, 24);
	memcpy(b->H, buf + 80, n * n * 8);
}

static double norm2(const pp_real *v, size_t n)
{
	double s = 0;

	for (size_t j = 0; j < n; j++)
		s += (double)v[j] * (double)v[j];
	return sqrt(s);
}

static void test_dense_quasi_newton_solve_rosenbrock_to_gradient_1e8(void)
{
	for (int i = 0; i < 3; i++) {
		problem pr = rosenbrock();
		pp_real p[2] = {-1.2, 1.0}, g[2];
		double loss;
		outcome r = minimise(dense_names[i], "", &pr, p, 500);

		CU_ASSERT_EQUAL(r.status, PP_OK);
		/* stops on |g|_inf <= 1e-9 (the default), so |g|_2 <= 1.5e-9 */
		CU_ASSERT(r.stopped);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, "converged: |g|_inf"));
		eval(&pr, p, &loss, g, NULL);
		CU_ASSERT(norm2(g, 2) < 1e-8);
		CU_ASSERT(distance_to_minimum(&pr, p) < 1e-7);
		CU_ASSERT(r.always_finite);
	}
}

static void test_bfgs_with_exact_line_searches_solves_the_quadratic_in_n_steps(void)
{
	/* With c2 = 1e-6 (and c1 below it) the line search is exact to ~1e-6
	 * in φ' (on a
	 * quadratic one cubic interpolation lands on the line minimum), and
	 * BFGS with exact line searches ends on a quadratic in n steps (N&W
	 * Theorem 6.4 / §6.1); rounding at condition 1e4 costs at most a few
	 * more.  The self-scaled members converge too (Oren & Luenberger:
	 * quadratic termination holds for the self-scaled family). */
	for (int i = 0; i < 3; i++) {
		problem pr = quadratic();
		pp_real p[10] = {0};
		optimizer o;
		long steps = 0;

		opt_open(&o, dense_names[i], "c1: 1.0e-7\nc2: 1.0e-6\ntolerance_grad: 0\n", pr.n);
		CU_ASSERT_FATAL(o.status == PP_OK);
		while (steps < 60 && distance_to_minimum(&pr, p) > 1e-10) {
			pp_optimizer_args args;
			opt_step(&o, &pr, p, steps, 60, &args);
			CU_ASSERT_EQUAL_FATAL(o.status, PP_OK);
			steps++;
			if (args.stop)
				break;
		}
		CU_ASSERT(distance_to_minimum(&pr, p) <= 1e-10);
		if (i == 0) {
			CU_ASSERT(steps <= (long)pr.n + 2);
		} else {
			CU_ASSERT(steps <= 3 * (long)pr.n);
		}
		opt_close(&o);
	}
}

static void test_dense_quasi_newton_reach_the_ill_conditioned_quadratic_minimum(void)
{
	for (int i = 0; i < 3; i++) {
		problem pr = quadratic();
		pp_real p[10] = {0};
		outcome r = minimise(dense_names[i], "", &pr, p, 200);

		CU_ASSERT_EQUAL(r.status, PP_OK);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, "converged"));
		/* |g|_inf <= 1e-9 and the smallest eigenvalue 1: distance <= ~3e-9 */
		CU_ASSERT(distance_to_minimum(&pr, p) < 1e-8);
	}
}

/* |H·y − s|_inf relative to |s|_inf for the step just taken. */
static double secant_error(const dense_blob *b, const pp_real *p0, const pp_real *p1,
			   const pp_real *g0, const pp_real *g1)
{
	double s[2], y[2], err = 0;

	for (int j = 0; j < 2; j++) {
		s[j] = (double)p1[j] - (double)p0[j];
		y[j] = (double)g1[j] - (double)g0[j];
	}
	for (int i = 0; i < 2; i++) {
		double hy = b->H[i * 2] * y[0] + b->H[i * 2 + 1] * y[1];
		err = fmax(err, fabs(hy - s[i]) / fmax(fabs(s[0]), fabs(s[1])));
	}
	return err;
}

static void test_bfgs_update_by_hand_satisfies_the_secant_equation(void)
{
	toy t = {.kind = TOY_QUADRATIC};
	optimizer o;
	pp_real p[2] = {0, 0}, p0[2], g0[2], g1[2];
	pp_optimizer_args args;
	dense_blob b;
	double s[2], y[2], sy, H[2][2];
	double loss;

	/* one step from H = I (no initial scaling: H0 stays I) */
	opt_open(&o, "bfgs", "initial_scale: false\n", 2);
	memcpy(p0, p, sizeof p);
	toy_step(&o, &t, p, 0, g0, &args);
	CU_ASSERT_EQUAL_FATAL(o.status, PP_OK);
	toy_eval(&t, p, &loss, g1, NULL);
	read_dense_blob(&o, 2, &b);
	CU_ASSERT_EQUAL(b.updates, 1);
	CU_ASSERT_EQUAL(b.restarts, 0);
	/* H₁ by hand: (I − ρ·s·yᵀ)(I − ρ·y·sᵀ) + ρ·s·sᵀ, written out for 2×2 */
	for (int j = 0; j < 2; j++) {
		s[j] = (double)p[j] - (double)p0[j];
		y[j] = (double)g1[j] - (double)g0[j];
	}
	sy = s[0] * y[0] + s[1] * y[1];
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			double h = 0;
			for (int k = 0; k < 2; k++)
				h += ((i == k) - s[i] * y[k] / sy) * ((k == j) - y[k] * s[j] / sy);
			H[i][j] = h + s[i] * s[j] / sy;
		}
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			PP_ASSERT_CLOSE(b.H[i * 2 + j], H[i][j], 1e-14, 1e-12);
	/* the secant equation H₁·y = s, to rounding */
	CU_ASSERT(secant_error(&b, p0, p, g0, g1) < 1e-13);
	opt_close(&o);

	/* every member, with the default initial scaling, over several steps */
	for (int i = 0; i < 3; i++) {
		toy u = {.kind = TOY_QUADRATIC};
		pp_real q[2] = {0, 0}, q0[2];

		opt_open(&o, dense_names[i], "", 2);
		for (long k = 0; k < 3; k++) {
			memcpy(q0, q, sizeof q);
			toy_step(&o, &u, q, k, g0, &args);
			CU_ASSERT_EQUAL_FATAL(o.status, PP_OK);
			if (args.stop)
				break;
			toy_eval(&u, q, &loss, g1, NULL);
			read_dense_blob(&o, 2, &b);
			CU_ASSERT(secant_error(&b, q0, q, g0, g1) < 1e-12);
		}
		opt_close(&o);
	}
}

static void test_self_scaling_factors_match_hand_computed_values(void)
{
	/* First step from x = 0 on TOY_QUADRATIC with H = I: g = (−1, −1), the
	 * step s = −α·g for whatever α the line search takes, y = A·s, so
	 *   b = −α·sᵀg/sᵀy = sᵀs/sᵀAs = gᵀg/gᵀAg = 2/0.7,
	 *   h = yᵀy/sᵀy = gᵀA²g/gᵀAg = 0.25/0.7   (A·g = −(0.4, 0.3)).
	 * ssbfgs (Al-Baali): τ = min(1, 1/b) = 0.35; (Oren–Luenberger) 1/b.
	 * ssbroyden: a = bh − 1 = 1/49, c = √(a/(1+a)) = √(1/50),
	 *   ρ⁻ = h(1 − c) = 0.3066, θ⁻ = (ρ⁻ − 1)/a = −33.97, θ⁺ = 1/ρ⁻ = 3.26,
	 *   (1 − b)/b = −0.65, so θ = −0.65; σ = 1 + aθ = 48.35/49;
	 *   ρ = min(1, 1/b) = 0.35, σ^(1/(1−n)) = 1/σ for n = 2, θ ≤ 0:
	 *   τ = min(ρ/σ, σ) = 0.35·49/48.35, φ = (1 − θ)/σ = 1.65·49/48.35. */
	const char *names[3] = {"ssbfgs", "ssbfgs", "ssbroyden"};
	const char *yaml[3] = {"initial_scale: false\n",
			       "initial_scale: false\ntau: oren_luenberger\n",
			       "initial_scale: false\n"};
	const double tau[3] = {0.35, 0.35, 0.35 * 49 / 48.35};
	const double phi[3] = {1, 1, 1.65 * 49 / 48.35};

	for (int i = 0; i < 3; i++) {
		toy t = {.kind = TOY_QUADRATIC};
		optimizer o;
		pp_real p[2] = {0, 0}, g[2];
		pp_optimizer_args args;
		dense_blob b;

		opt_open(&o, names[i], yaml[i], 2);
		toy_step(&o, &t, p, 0, g, &args);
		CU_ASSERT_EQUAL_FATAL(o.status, PP_OK);
		read_dense_blob(&o, 2, &b);
		CU_ASSERT_EQUAL(b.updates, 1);
		/* the hand values hold for any α; rounding in s and y: 1e-12 */
		PP_ASSERT_CLOSE(b.tau, tau[i], 0, 1e-12);
		PP_ASSERT_CLOSE(b.phi, phi[i], 0, 1e-12);
		opt_close(&o);
	}
	/* the two ssbfgs choices differ only where 1/b > 1 */
	CU_ASSERT(tau[0] == tau[1]);
}

static void test_restart_when_the_pair_has_no_positive_curvature(void)
{
	/* TOY_LYING from 0 with two evaluations per search: both trials have
	 * sufficient decrease (f falls along −g) but fail the curvature test
	 * (the lying slope is 3·gᵀd), so the budget runs out and the lower one
	 * is taken.  There y = 2·g(0), sᵀy = 2α·gᵀd < 0: H restarts to γ·I
	 * (γ = 1: no pair yet) and no update is made. */
	for (int i = 0; i < 3; i++) {
		toy t = {.kind = TOY_LYING};
		optimizer o;
		pp_real p[2] = {0, 0}, g[2];
		pp_optimizer_args args;
		dense_blob b;

		opt_open(&o, dense_names[i], "max_evaluations: 2\n", 2);
		toy_step(&o, &t, p, 0, g, &args);
		CU_ASSERT_EQUAL_FATAL(o.status, PP_OK);
		CU_ASSERT_FALSE(args.stop);
		CU_ASSERT(p[0] != 0 && p[1] != 0);  /* the step was taken */
		read_dense_blob(&o, 2, &b);
		CU_ASSERT_EQUAL(b.restarts, 1);
		CU_ASSERT_EQUAL(b.updates, 0);
		CU_ASSERT(b.H[0] == 1 && b.H[1] == 0 && b.H[2] == 0 && b.H[3] == 1);
		opt_close(&o);
	}
}

static void test_restart_when_h_gives_no_descent_direction(void)
{
	/* Load an H that is symmetric with a positive diagonal but indefinite,
	 * [[1, 2], [2, 1]] (eigenvalues 3 and −1).  On TOY_QUADRATIC at
	 * x = A⁻¹(b + (0.5, −0.5)) = [[4, −2], [−2, 6]]·(1.5, 0.5) = (5, 0) the
	 * gradient is (0.5, −0.5), gᵀHg = −0.5 < 0: d = −Hg goes uphill.  The
	 * step restarts H to γ·I and still decreases the loss. */
	optimizer o;
	toy t = {.kind = TOY_QUADRATIC};
	pp_real p[2] = {5, 0}, g[2];
	pp_optimizer_args args;
	unsigned char buf[24 + 56 + 32];
	size_t size = sizeof buf;
	double H[4] = {1, 2, 2, 1}, before, after;
	dense_blob b;

	opt_open(&o, "bfgs", "", 2);
	CU_ASSERT_EQUAL_FATAL(o.ops->save(o.state, buf, &size, &o.err), PP_OK);
	memcpy(buf + 80, H, sizeof H);
	CU_ASSERT_EQUAL_FATAL(o.ops->load(o.state, buf, size, &o.err), PP_OK);
	toy_eval(&t, p, &before, g, NULL);
	PP_ASSERT_CLOSE(g[0], 0.5, 1e-15, 0);
	PP_ASSERT_CLOSE(g[1], -0.5, 1e-15, 0);
	toy_step(&o, &t, p, 0, g, &args);
	CU_ASSERT_EQUAL(o.status, PP_OK);
	CU_ASSERT_FALSE(args.stop);
	toy_eval(&t, p, &after, g, NULL);
	CU_ASSERT(after < before);
	read_dense_blob(&o, 2, &b);
	CU_ASSERT_EQUAL(b.restarts, 1);
	opt_close(&o);
}

static void test_too_large_network_is_refused_naming_its_size_and_memory(void)
{
	optimizer o;

	/* 30,000 parameters: 30000² doubles = 6866 MiB > the default 4096 */
	for (int i = 0; i < 3; i++) {
		opt_open(&o, dense_names[i], "", 30000);
		CU_ASSERT_EQUAL(o.status, PP_ERR_CONFIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(o.err.message, dense_names[i]));
		CU_ASSERT_PTR_NOT_NULL(strstr(o.err.message, "30000 parameters"));
		CU_ASSERT_PTR_NOT_NULL(strstr(o.err.message, "6866 MiB"));
		CU_ASSERT_PTR_NOT_NULL(strstr(o.err.message, "max_memory_mb 4096"));
		CU_ASSERT_PTR_NULL(o.state);
		opt_close(&o);
	}
	/* the limit is the key: 1 MiB holds 362² doubles, not 363² */
	opt_open(&o, "ssbroyden", "max_memory_mb: 1\n", 363);
	CU_ASSERT_EQUAL(o.status, PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.err.message, "at most 362 parameters"));
	opt_close(&o);
	opt_open(&o, "ssbroyden", "max_memory_mb: 1\n", 362);
	CU_ASSERT_EQUAL(o.status, PP_OK);
	opt_close(&o);
}

static void test_approximate_wolfe_converges_where_the_loss_cannot_resolve_the_decrease(void)
{
	/* TOY_FLOOR: near the minimum every trial's loss is 1e6 plus noise.
	 * With the approximate Wolfe test the gradient, which is exact, still
	 * drives the iterate to |g|_inf <= 1e-13; with noise_tolerance 0
	 * (values decide) the search fails to find a sufficient decrease as
	 * soon as the decrease is below the noise, and the stage ends short
	 * of that. */
	for (int mode = 0; mode < 2; mode++) {
		toy t = {.kind = TOY_FLOOR, .c = 100};
		optimizer o;
		pp_real p[2] = {1 + 4e-5, 1 - 3e-5}, g[2];
		pp_optimizer_args args = {0};
		long k;

		opt_open(&o, "bfgs", mode ? "noise_tolerance: 0\ntolerance_grad: 1.0e-13\n"
					  : "tolerance_grad: 1.0e-13\n", 2);
		for (k = 0; k < 50 && !args.stop; k++) {
			toy_step(&o, &t, p, k, g, &args);
			CU_ASSERT_EQUAL_FATAL(o.status, PP_OK);
		}
		if (mode == 0) {
			CU_ASSERT_PTR_NOT_NULL(strstr(args.stop_reason, "converged: |g|_inf"));
			CU_ASSERT(fabs((double)p[0] - 1) <= 1e-13 && fabs((double)p[1] - 1) <= 1e-13);
		} else {
			CU_ASSERT_PTR_NULL(strstr(args.stop_reason, "converged: |g|_inf"));
			CU_ASSERT(fabs((double)p[0] - 1) > 1e-13);
		}
		opt_close(&o);
	}
}

static void test_a_loss_flat_to_rounding_stops_as_converged_at_machine_precision(void)
{
	/* TOY_FLAT: no trial decreases the loss and the (inconsistent)
	 * gradient never passes the curvature test; every trial is within the
	 * noise band, so the stop says converged at machine precision, with
	 * the parameters kept. */
	toy t = {.kind = TOY_FLAT};
	optimizer o;
	pp_real p[2] = {0.25, 0.5}, g[2];
	pp_optimizer_args args;

	opt_open(&o, "ssbroyden", "", 2);
	toy_step(&o, &t, p, 0, g, &args);
	CU_ASSERT_EQUAL(o.status, PP_OK);
	CU_ASSERT(args.stop);
	CU_ASSERT_PTR_NOT_NULL(strstr(args.stop_reason, "no longer decreases at machine precision"));
	CU_ASSERT(p[0] == (pp_real)0.25 && p[1] == (pp_real)0.5);
	opt_close(&o);
}

static void test_dense_checkpoint_round_trip_gives_identical_next_steps(void)
{
	for (int i = 0; i < 3; i++) {
		problem pr = quadratic();
		optimizer a, b;
		pp_real pa[10] = {0}, pb[10];
		pp_optimizer_args args;
		static unsigned char buf[24 + 56 + 800], again[24 + 56 + 800];
		size_t size = 0, size2 = sizeof again;

		opt_open(&a, dense_names[i], "", pr.n);
		opt_open(&b, dense_names[i], "", pr.n);
		for (long s = 0; s < 4; s++)
			opt_step(&a, &pr, pa, s, 20, &args);
		CU_ASSERT_EQUAL(a.ops->save(a.state, NULL, &size, &a.err), PP_OK);
		CU_ASSERT_FATAL(size == sizeof buf);
		CU_ASSERT_EQUAL(a.ops->save(a.state, buf, &size, &a.err), PP_OK);
		CU_ASSERT_EQUAL(b.ops->load(b.state, buf, size, &b.err), PP_OK);
		/* what was loaded saves back byte for byte */
		CU_ASSERT_EQUAL(b.ops->save(b.state, again, &size2, &b.err), PP_OK);
		CU_ASSERT(size2 == size && memcmp(buf, again, size) == 0);
		memcpy(pb, pa, sizeof pa);
		for (long s = 4; s < 8; s++) {
			opt_step(&a, &pr, pa, s, 20, &args);
			opt_step(&b, &pr, pb, s, 20, &args);
		}
		CU_ASSERT(memcmp(pa, pb, sizeof pa) == 0);
		/* refused: another size, another optimizer, another network, bad H */
		CU_ASSERT_EQUAL(b.ops->load(b.state, buf, size - 1, &b.err), PP_ERR_INVALID);
		memcpy(again, buf, size);
		memcpy(again, "lbfgs\0\0\0", 8);
		CU_ASSERT_EQUAL(b.ops->load(b.state, again, size, &b.err), PP_ERR_INVALID);
		memcpy(again, buf, size);
		memset(again + 80, 0, 8);   /* H[0][0] = 0: not positive definite */
		CU_ASSERT_EQUAL(b.ops->load(b.state, again, size, &b.err), PP_ERR_INVALID);
		CU_ASSERT_PTR_NOT_NULL(strstr(b.err.message, "positive definite"));
		opt_close(&a);
		opt_close(&b);
	}
	for (int i = 0; i < 3; i++) {
		optimizer a, b;
		unsigned char buf[4096];
		size_t size = sizeof buf;

		opt_open(&a, dense_names[i], "", 3);
		opt_open(&b, dense_names[i], "", 4);
		CU_ASSERT_EQUAL(a.ops->save(a.state, buf, &size, &a.err), PP_OK);
		CU_ASSERT_EQUAL(b.ops->load(b.state, buf, size, &b.err), PP_ERR_INVALID);
		CU_ASSERT_PTR_NOT_NULL(strstr(b.err.message, "3 parameters"));
		opt_close(&a);
		opt_close(&b);
	}
}

static void test_dense_quasi_newton_bad_options_are_refused(void)
{
	assert_config_error("bfgs", "c1: 0.5\nc2: 0.4\n", "opt.yaml:2:", "c1 < c2");
	assert_config_error("ssbfgs", "tau: spectral\n", "opt.yaml:1:", "al_baali");
	assert_config_error("ssbroyden", "max_memory_mb: 0\n", "opt.yaml:1:", "max_memory_mb");
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"lbfgs solves rosenbrock to 1e-8", test_lbfgs_solves_rosenbrock_to_1e8},
		{"adam and sgd reach the rosenbrock minimum", test_adam_and_sgd_reach_the_rosenbrock_minimum},
		{"lbfgs needs far fewer evaluations than adam on rosenbrock", test_lbfgs_needs_far_fewer_evaluations_than_adam_on_rosenbrock},
		{"ill-conditioned quadratic: all reach the minimum, lbfgs far cheaper", test_ill_conditioned_quadratic_all_reach_the_minimum_lbfgs_far_cheaper},
		{"exponential schedule follows the paper", test_exponential_schedule_follows_the_paper},
		{"smooth exponential schedule", test_smooth_exponential_schedule},
		{"warmup ramps, then the decay starts", test_warmup_ramps_then_the_decay_starts},
		{"cosine schedule endpoints", test_cosine_schedule_endpoints},
		{"bad options are refused with their location", test_bad_options_are_refused_with_their_location},
		{"adam moments by hand after one and two steps", test_adam_moments_by_hand_after_one_and_two_steps},
		{"adamw weight decay step by hand", test_adamw_weight_decay_step_by_hand},
		{"sgd momentum, nesterov and weight decay steps by hand", test_sgd_momentum_nesterov_and_weight_decay_steps_by_hand},
		{"lbfgs failed line search stops with reason, params kept", test_lbfgs_failed_line_search_stops_with_reason_and_params_kept},
		{"lbfgs shrinks past non-finite trials and converges", test_lbfgs_shrinks_past_non_finite_trials_and_converges},
		{"lbfgs: all trials non-finite stops, params untouched", test_lbfgs_all_trials_non_finite_stops_with_params_untouched},
		{"lbfgs retries along -g when the quasi-newton step fails", test_lbfgs_retries_along_minus_g_when_the_quasi_newton_step_fails},
		{"lbfgs direction matches dense bfgs over the last pairs", test_lbfgs_direction_matches_dense_bfgs_over_the_last_pairs},
		{"checkpoint round trip gives identical next step", test_checkpoint_round_trip_gives_identical_next_step},
		{"checkpoint for another network is refused", test_checkpoint_for_another_network_is_refused},
		{"dense quasi-newton solve rosenbrock to gradient 1e-8", test_dense_quasi_newton_solve_rosenbrock_to_gradient_1e8},
		{"bfgs with exact line searches solves the quadratic in n steps", test_bfgs_with_exact_line_searches_solves_the_quadratic_in_n_steps},
		{"dense quasi-newton reach the ill-conditioned quadratic minimum", test_dense_quasi_newton_reach_the_ill_conditioned_quadratic_minimum},
		{"bfgs update by hand satisfies the secant equation", test_bfgs_update_by_hand_satisfies_the_secant_equation},
		{"self-scaling factors match hand-computed values", test_self_scaling_factors_match_hand_computed_values},
		{"restart when the pair has no positive curvature", test_restart_when_the_pair_has_no_positive_curvature},
		{"restart when H gives no descent direction", test_restart_when_h_gives_no_descent_direction},
		{"too-large network is refused naming its size and memory", test_too_large_network_is_refused_naming_its_size_and_memory},
		{"approximate wolfe converges where the loss cannot resolve the decrease", test_approximate_wolfe_converges_where_the_loss_cannot_resolve_the_decrease},
		{"a loss flat to rounding stops as converged at machine precision", test_a_loss_flat_to_rounding_stops_as_converged_at_machine_precision},
		{"dense checkpoint round trip gives identical next steps", test_dense_checkpoint_round_trip_gives_identical_next_steps},
		{"dense quasi-newton bad options are refused", test_dense_quasi_newton_bad_options_are_refused},
		{NULL, NULL},
	};
	PP_TEST_DOUBLE_ONLY();
	return pp_test_run("optimizers", cases);
}
