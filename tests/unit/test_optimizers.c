/* Optimizers: each reaches the known minimum of Rosenbrock and of an
 * ill-conditioned quadratic; L-BFGS with far fewer evaluations; schedules,
 * moments and single steps against hand-computed values; non-finite input is
 * refused with the parameters untouched; checkpoints round-trip. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_test.h"

/* ---- test functions ------------------------------------------------------ */

typedef struct problem {
	int kind;       /* 0 Rosenbrock (n = 2), 1 quadratic, 2 lying gradient */
	size_t n;
	long evals;
} problem;

/* Quadratic ½ Σ c_j (θ_j − 1)², c_j from 1 to 1e4 (condition number 1e4). */
static double quad_c(size_t j, size_t n)
{
	return pow(1e4, (double)j / (double)(n - 1));
}

static int eval(void *ctx, const pp_real *p, double *loss, pp_real *grad, pp_error *err)
{
	problem *pr = ctx;
	(void)err;

	pr->evals++;
	if (pr->kind == 0) {
		double x = p[0], y = p[1];
		*loss = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
		if (grad) {
			grad[0] = (pp_real)(-2 * (1 - x) - 400 * x * (y - x * x));
			grad[1] = (pp_real)(200 * (y - x * x));
		}
		return PP_OK;
	}
	*loss = 0;
	for (size_t j = 0; j < pr->n; j++) {
		double c = quad_c(j, pr->n), e = (double)p[j] - 1;
		*loss += 0.5 * c * e * e;
		if (grad)
			grad[j] = (pp_real)(pr->kind == 2 ? -c * e : c * e);  /* kind 2 lies */
	}
	return PP_OK;
}

static pp_config_doc *doc_of(const char *yaml)
{
	pp_config_doc *doc = NULL;
	pp_error err = {0};

	if (pp_config_doc_parse(yaml, strlen(yaml), "opt.yaml", &doc, &err))
		fprintf(stderr, "%s\n", err.message);
	return doc;
}

/* Run @name on @pr from p for at most @steps; returns steps taken. */
static long minimise(const char *name, const char *yaml, problem *pr, pp_real *p, long steps,
		     int *status)
{
	const pp_plugin *plugin = pp_test_plugin(PP_KIND_OPTIMIZER, name);
	const pp_optimizer_ops *ops = plugin->ops;
	pp_config_doc *doc = doc_of(yaml);
	pp_objective obj = {pr, eval};
	pp_real grad[16];
	pp_error err = {0};
	void *state = NULL;
	long s;

	*status = ops->create(pp_config_doc_root(doc), pr->n, &state, &err);
	for (s = 0; !*status && s < steps; s++) {
		pp_optimizer_args args = {0};
		double loss;
		eval(pr, p, &loss, grad, &err);
		args.step = args.stage_step = s;
		args.stage_iterations = steps;
		args.loss = loss;
		args.grad = grad;
		args.objective = &obj;
		*status = ops->step(state, p, &args, &err);
		if (args.stop)
			break;
	}
	if (*status)
		fprintf(stderr, "%s: %s\n", name, err.message);
	ops->destroy(state);
	pp_config_doc_destroy(doc);
	return s;
}

static void test_lbfgs_solves_rosenbrock_tightly(void)
{
	problem pr = {0, 2, 0};
	pp_real p[2] = {-1.2, 1.0};
	int status;

	minimise("lbfgs", "history: 10\n", &pr, p, 200, &status);
	CU_ASSERT_EQUAL(status, PP_OK);
	PP_ASSERT_CLOSE(p[0], 1.0, 1e-6, 0);
	PP_ASSERT_CLOSE(p[1], 1.0, 1e-6, 0);
	CU_ASSERT(pr.evals < 300);
}

static void test_adam_and_sgd_reach_the_rosenbrock_minimum(void)
{
	problem pr = {0, 2, 0};
	pp_real p[2] = {-1.2, 1.0};
	int status;

	/* Adam crawls along the valley: 20k steps at lr 1e-2, then a decay;
	 * 1e-3 is what that budget reaches reliably. */
	minimise("adam", "lr: 0.01\nschedule: {type: exponential, rate: 0.5, every: 4000}\n", &pr, p,
		 20000, &status);
	CU_ASSERT_EQUAL(status, PP_OK);
	PP_ASSERT_CLOSE(p[0], 1.0, 1e-3, 0);
	PP_ASSERT_CLOSE(p[1], 1.0, 2e-3, 0);
	p[0] = -1.2;
	p[1] = 1.0;
	minimise("sgd", "lr: 0.0005\nmomentum: 0.9\nnesterov: true\n", &pr, p, 50000, &status);
	CU_ASSERT_EQUAL(status, PP_OK);
	PP_ASSERT_CLOSE(p[0], 1.0, 1e-3, 0);
	PP_ASSERT_CLOSE(p[1], 1.0, 2e-3, 0);
}

static void test_ill_conditioned_quadratic_lbfgs_needs_far_fewer_evaluations(void)
{
	problem qa = {1, 10, 0}, ql = {1, 10, 0};
	pp_real pa[10] = {0}, pl[10] = {0};
	int status;
	double worst_a = 0, worst_l = 0;

	problem qs = {1, 10, 0};
	pp_real ps[10] = {0};
	double worst_s = 0;

	minimise("adam", "lr: 0.05\n", &qa, pa, 20000, &status);
	minimise("lbfgs", "", &ql, pl, 500, &status);
	/* heavy-ball SGD: stable for lr < 2(1 + μ)/c_max = 3.8e-4; the slowest
	 * mode (c = 1) contracts by ~(1 − lr/(1 − μ)) a step */
	minimise("sgd", "lr: 3.0e-4\nmomentum: 0.9\n", &qs, ps, 20000, &status);
	for (int j = 0; j < 10; j++)
		worst_s = fmax(worst_s, fabs(ps[j] - 1));
	CU_ASSERT(worst_s < 1e-3);
	for (int j = 0; j < 10; j++) {
		worst_a = fmax(worst_a, fabs(pa[j] - 1));
		worst_l = fmax(worst_l, fabs(pl[j] - 1));
	}
	CU_ASSERT(worst_a < 1e-3);
	CU_ASSERT(worst_l < 1e-8);
	CU_ASSERT(ql.evals * 10 < qa.evals);
}

static void test_exponential_schedule_follows_the_paper(void)
{
	const pp_plugin *plugin = pp_test_plugin(PP_KIND_OPTIMIZER, "adam");
	const pp_optimizer_ops *ops = plugin->ops;
	pp_config_doc *doc = doc_of("lr: 1.0e-3\nschedule: {type: exponential, rate: 0.9, every: 5000}\n");
	long steps[4] = {0, 4999, 5000, 15000};
	double want[4] = {1e-3, 1e-3, 9e-4, 1e-3 * 0.729};
	pp_error err = {0};
	void *state;
	pp_real p[1] = {0}, g[1] = {1};

	ops->create(pp_config_doc_root(doc), 1, &state, &err);
	for (int i = 0; i < 4; i++) {
		pp_optimizer_args args = {.stage_step = steps[i], .stage_iterations = 20000,
					  .loss = 1, .grad = g};
		ops->step(state, p, &args, &err);
		PP_ASSERT_CLOSE(args.lr, want[i], 0, 1e-12);
	}
	ops->destroy(state);
	pp_config_doc_destroy(doc);
}

static void test_cosine_and_warmup_schedules(void)
{
	const pp_optimizer_ops *ops = pp_test_plugin(PP_KIND_OPTIMIZER, "sgd")->ops;
	pp_config_doc *doc = doc_of("lr: 0.1\nschedule: {type: cosine, min_lr: 0.01, warmup: 10}\n");
	pp_error err = {0};
	void *state;
	pp_real p[1] = {0}, g[1] = {1};
	pp_optimizer_args a0 = {.stage_step = 0, .stage_iterations = 110, .loss = 1, .grad = g};
	pp_optimizer_args a9 = {.stage_step = 9, .stage_iterations = 110, .loss = 1, .grad = g};
	pp_optimizer_args a60 = {.stage_step = 60, .stage_iterations = 110, .loss = 1, .grad = g};
	pp_optimizer_args a110 = {.stage_step = 110, .stage_iterations = 110, .loss = 1, .grad = g};

	ops->create(pp_config_doc_root(doc), 1, &state, &err);
	ops->step(state, p, &a0, &err);
	ops->step(state, p, &a9, &err);
	ops->step(state, p, &a60, &err);
	ops->step(state, p, &a110, &err);
	PP_ASSERT_CLOSE(a0.lr, 0.1 * 0.1, 0, 1e-12);   /* warm-up: (0+1)/10 of the start */
	PP_ASSERT_CLOSE(a9.lr, 0.1, 0, 1e-12);
	PP_ASSERT_CLOSE(a60.lr, 0.055, 0, 1e-12);      /* half-way: (lr + min)/2 */
	PP_ASSERT_CLOSE(a110.lr, 0.01, 0, 1e-12);
	ops->destroy(state);
	pp_config_doc_destroy(doc);
}

static void test_adam_moments_and_adamw_step_by_hand(void)
{
	const pp_optimizer_ops *ops = pp_test_plugin(PP_KIND_OPTIMIZER, "adam")->ops;
	pp_config_doc *doc = doc_of("lr: 0.1\nweight_decay: 0.5\n");
	pp_error err = {0};
	void *state;
	pp_real p[1] = {2.0}, g1[1] = {0.5}, g2[1] = {-1.0}, m[1], v[1];
	pp_optimizer_args a = {.loss = 1, .grad = g1, .stage_iterations = 10};

	ops->create(pp_config_doc_root(doc), 1, &state, &err);
	ops->step(state, p, &a, &err);
	/* m̂ = g, v̂ = g² after one step: θ = 2 − 0.1·(0.5/(0.5 + 1e-8) + 0.5·2) */
	ops->moments(state, m, v);
	PP_ASSERT_CLOSE(m[0], 0.5, 0, 1e-12);
	PP_ASSERT_CLOSE(v[0], 0.25, 0, 1e-12);
	PP_ASSERT_CLOSE(p[0], 2.0 - 0.1 * (0.5 / (0.5 + 1e-8) + 1.0), 0, 1e-12);
	a.grad = g2;
	a.stage_step = 1;
	ops->step(state, p, &a, &err);
	/* m = 0.9·0.05 + 0.1·(−1) = −0.055, m̂ = m/0.19; v = 0.999·0.00025 + 0.001, v̂ = v/(1 − 0.999²) */
	ops->moments(state, m, v);
	PP_ASSERT_CLOSE(m[0], -0.055 / 0.19, 0, 1e-12);
	PP_ASSERT_CLOSE(v[0], (0.999 * 0.00025 + 0.001) / (1 - 0.999 * 0.999), 0, 1e-12);
	ops->destroy(state);
	pp_config_doc_destroy(doc);
}

static void test_sgd_momentum_and_nesterov_steps_by_hand(void)
{
	const pp_optimizer_ops *ops = pp_test_plugin(PP_KIND_OPTIMIZER, "sgd")->ops;
	pp_config_doc *d1 = doc_of("lr: 0.1\nmomentum: 0.9\n");
	pp_config_doc *d2 = doc_of("lr: 0.1\nmomentum: 0.9\nnesterov: true\n");
	pp_error err = {0};
	void *s1, *s2;
	pp_real p1[1] = {1}, p2[1] = {1}, g[1] = {2};
	pp_optimizer_args a = {.loss = 1, .grad = g, .stage_iterations = 10};

	ops->create(pp_config_doc_root(d1), 1, &s1, &err);
	ops->create(pp_config_doc_root(d2), 1, &s2, &err);
	ops->step(s1, p1, &a, &err);   /* v = 2, θ = 1 − 0.2 */
	ops->step(s1, p1, &a, &err);   /* v = 3.8, θ = 0.8 − 0.38 */
	PP_ASSERT_CLOSE(p1[0], 0.42, 1e-12, 0);
	ops->step(s2, p2, &a, &err);   /* v = 2, θ = 1 − 0.1·(2 + 1.8) */
	PP_ASSERT_CLOSE(p2[0], 0.62, 1e-12, 0);
	ops->destroy(s1);
	ops->destroy(s2);
	pp_config_doc_destroy(d1);
	pp_config_doc_destroy(d2);
}

static void test_non_finite_gradient_is_refused_and_params_kept(void)
{
	const char *names[3] = {"adam", "sgd", "lbfgs"};

	for (int i = 0; i < 3; i++) {
		const pp_optimizer_ops *ops = pp_test_plugin(PP_KIND_OPTIMIZER, names[i])->ops;
		pp_error err = {0};
		void *state;
		pp_real p[2] = {1, 2}, g[2] = {0.5, NAN};
		problem pr = {0, 2, 0};
		pp_objective obj = {&pr, eval};
		pp_optimizer_args a = {.step = 7, .loss = 1, .grad = g, .objective = &obj};

		ops->create(NULL, 2, &state, &err);
		CU_ASSERT_EQUAL(ops->step(state, p, &a, &err), PP_ERR_NUMERIC);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not finite at step 7"));
		CU_ASSERT(p[0] == 1 && p[1] == 2);
		ops->destroy(state);
	}
}

static void test_lbfgs_failed_line_search_stops_with_reason_and_finite_params(void)
{
	problem pr = {2, 4, 0};   /* the gradient points uphill */
	pp_real p[4] = {0, 0, 0, 0};
	int status;

	minimise("lbfgs", "max_evaluations: 10\n", &pr, p, 50, &status);
	CU_ASSERT_EQUAL(status, PP_OK);
	for (int j = 0; j < 4; j++)
		CU_ASSERT(isfinite(p[j]));
	/* it never accepted a worse point: still at the start, where loss is lowest along −g */
	for (int j = 0; j < 4; j++)
		CU_ASSERT_EQUAL(p[j], 0);
}

static void test_checkpoint_round_trip_gives_identical_next_step(void)
{
	const pp_optimizer_ops *ops = pp_test_plugin(PP_KIND_OPTIMIZER, "adam")->ops;
	pp_error err = {0};
	void *a, *b;
	pp_real pa[2] = {1, 2}, pb[2], g[2] = {0.3, -0.7};
	pp_optimizer_args args = {.loss = 1, .grad = g, .stage_iterations = 10};
	unsigned char buf[256];
	size_t size = sizeof buf;

	ops->create(NULL, 2, &a, &err);
	ops->create(NULL, 2, &b, &err);
	ops->step(a, pa, &args, &err);
	CU_ASSERT_EQUAL(ops->save(a, buf, &size, &err), PP_OK);
	CU_ASSERT_EQUAL(ops->load(b, buf, size, &err), PP_OK);
	memcpy(pb, pa, sizeof pa);
	ops->step(a, pa, &args, &err);
	ops->step(b, pb, &args, &err);
	CU_ASSERT(pa[0] == pb[0] && pa[1] == pb[1]);
	ops->destroy(a);
	ops->destroy(b);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"lbfgs solves rosenbrock tightly", test_lbfgs_solves_rosenbrock_tightly},
		{"adam and sgd reach the rosenbrock minimum", test_adam_and_sgd_reach_the_rosenbrock_minimum},
		{"ill-conditioned quadratic: lbfgs needs far fewer evaluations", test_ill_conditioned_quadratic_lbfgs_needs_far_fewer_evaluations},
		{"exponential schedule follows the paper", test_exponential_schedule_follows_the_paper},
		{"cosine and warmup schedules", test_cosine_and_warmup_schedules},
		{"adam moments and adamw step by hand", test_adam_moments_and_adamw_step_by_hand},
		{"sgd momentum and nesterov steps by hand", test_sgd_momentum_and_nesterov_steps_by_hand},
		{"non-finite gradient is refused and params kept", test_non_finite_gradient_is_refused_and_params_kept},
		{"lbfgs failed line search stops with reason and finite params", test_lbfgs_failed_line_search_stops_with_reason_and_finite_params},
		{"checkpoint round trip gives identical next step", test_checkpoint_round_trip_gives_identical_next_step},
		{NULL, NULL},
	};
	PP_TEST_DOUBLE_ONLY();
	return pp_test_run("optimizers", cases);
}
