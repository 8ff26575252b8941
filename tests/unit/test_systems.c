/* Systems and trainable coefficients in the trainer (contract v2): a PDE with two outputs whose terms
 * have two residual components (tests/plugins/system/system_pde.c:
 * u' = v, v' = −u, u(0) = 1, v(0) = 0).  The trainer's gradient against
 * differences of its loss (batched, chunked for the SNR statistics, and
 * through a hard constraint), and a short training that reaches the exact
 * solution (cos x, −sin x).
 *
 * The gradient is read off one SGD step, g = (θ0 − θ1)/lr, with lr = 1e-3
 * (rounding ε·|θ|/lr ≈ 1e-13); the loss of a parameter vector is the loss
 * the trainer logs at the first step.  Central differences in θ with h =
 * 1e-6 on a loss of O(1): truncation h²·|L'''| ≈ 1e-12, round-off
 * ε·L/h ≈ 1e-10, so 1e-6 relative plus 1e-8 absolute. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/experiment.h"
#include "core/observations.h"
#include "core/trainer.h"
#include "pp_test.h"

static pp_registry *reg;
static char dir[] = "/tmp/pp_test_systems_XXXXXX";

static pp_experiment *build(const char *yaml)
{
	char path[4200];
	pp_experiment *exp = NULL;
	pp_error err = {0};
	FILE *f;

	snprintf(path, sizeof path, "%s/e.yaml", dir);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	if (pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err))
		fprintf(stderr, "%s\n", err.message);
	unlink(path);
	return exp;
}

/* Train @exp as configured; the last value of @column. */
static double train(pp_experiment *exp, const char *column)
{
	pp_train_options opts = {0};
	pp_train_result *res = calloc(1, sizeof *res);
	pp_error err = {0};
	double v = NAN;

	if (pp_train(exp, &opts, res, &err))
		fprintf(stderr, "%s\n", err.message);
	for (int i = 0; i < res->n_columns; i++)
		if (!strcmp(res->columns[i], column))
			v = res->last[i];
	free(res);
	return v;
}

/* The loss of the first step's evaluation (before its update), as the
 * progress report of that step gives it. */
static void on_report(void *ctx, const pp_train_report *r)
{
	double *loss = ctx;

	if (r->event == PP_TRAIN_STEP && r->step == 0) {
		loss[0] = r->view->loss;
		for (int k = 0; k < r->view->n_terms && k < 2; k++)
			loss[1 + k] = r->view->terms[k].loss;
	}
}

/* @which: 0 the loss, 1 + k term k's unweighted loss. */
static double first_loss(pp_experiment *exp, int which)
{
	pp_train_options opts = {0};
	pp_train_result *res = calloc(1, sizeof *res);
	pp_error err = {0};
	double v[3] = {NAN, NAN, NAN};

	opts.progress = on_report;
	opts.progress_ctx = v;
	if (pp_train(exp, &opts, res, &err))
		fprintf(stderr, "%s\n", err.message);
	free(res);
	return v[which];
}

static double loss_at(pp_experiment *exp, const pp_real *theta, size_t P)
{
	pp_real *p = pp_network_params(exp->net);
	pp_real *keep = malloc(P * sizeof *keep);
	double loss;

	memcpy(keep, p, P * sizeof *p);
	memcpy(p, theta, P * sizeof *p);
	loss = first_loss(exp, 0);
	memcpy(p, keep, P * sizeof *p);
	free(keep);
	return loss;
}

#define SYSTEM(extra_net, extra) \
	"seed: 3\npde:\n  type: system_pde\n  terms:\n    residual: {points: 40}\n" \
	"network:\n  layers: [5, 4]\n" extra_net "weighting: {type: none}\n" extra \
	"stages:\n  - optimizer: sgd\n    iterations: 1\n    lr: 1.0e-3\n"

static void check_gradient(const char *yaml)
{
	pp_experiment *exp = build(yaml);
	size_t P;
	pp_real *theta0, *theta, *p;
	const double lr = 1e-3, h = 1e-6;

	CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
	P = pp_network_param_count(exp->net);
	p = pp_network_params(exp->net);
	theta0 = malloc(P * sizeof *theta0);
	theta = malloc(P * sizeof *theta);
	memcpy(theta0, p, P * sizeof *p);
	train(exp, "loss");
	for (size_t j = 0; j < P; j++) {
		double g = ((double)theta0[j] - (double)p[j]) / lr, fd;
		memcpy(theta, theta0, P * sizeof *theta);
		theta[j] = theta0[j] + h;
		fd = loss_at(exp, theta, P);
		theta[j] = theta0[j] - h;
		fd = (fd - loss_at(exp, theta, P)) / (2 * h);
		if (fabs(g - fd) > 1e-8 + 1e-6 * fabs(fd))
			fprintf(stderr, "parameter %zu: gradient %.12g, differences %.12g\n", j, g, fd);
		PP_ASSERT_CLOSE(g, fd, 1e-8, 1e-6);
	}
	free(theta0);
	free(theta);
	pp_experiment_destroy(exp);
}

static void test_a_system_gradient_matches_differences_of_its_loss(void)
{
	check_gradient(SYSTEM("", ""));
}

static void test_a_system_gradient_matches_with_chunk_statistics(void)
{
	check_gradient(SYSTEM("", "analyzers:\n  - {type: snr, every: 1, chunks: 8}\n"));
}

static void test_a_system_gradient_matches_through_a_hard_constraint(void)
{
	check_gradient(SYSTEM("  hard: {u: start, v: {type: dirichlet_box, inputs: [x], value: 0}}\n", ""));
}

/* The loss of a system term is mean over points of Σ_k r_k²: at the
 * network's first parameters, against the components computed here. */
static void test_a_system_loss_sums_its_components(void)
{
	pp_experiment *exp = build(SYSTEM("", ""));
	pp_real x[1], u[2];
	pp_error err = {0};
	double sum = 0, loss;

	CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
	/* a boundary term of one point at x = 0: r = (u − 1, v) */
	x[0] = 0;
	CU_ASSERT_EQUAL_FATAL(pp_network_predict(exp->net, 1, x, u, &err), PP_OK);
	sum = ((double)u[0] - 1) * ((double)u[0] - 1) + (double)u[1] * (double)u[1];
	loss = first_loss(exp, 2);
	PP_ASSERT_CLOSE(loss, sum, 1e-14, 1e-12);
	pp_experiment_destroy(exp);
}

/* Adam then L-BFGS on [16, 16]: u, v within 1e-3 of cos, −sin (the
 * residual loss reaches ~1e-8 in a few hundred steps; its error bound on a
 * stable system of length π is of the order of sqrt(loss)·π).  The path
 * depends on rounding: with the narrow-layer kernels 300 L-BFGS steps
 * ended at 1.04e-3, 400 at 5.2e-4. */
static void test_a_system_trains_to_its_exact_solution(void)
{
	pp_experiment *exp = build(
		"seed: 4\npde:\n  type: system_pde\n  terms:\n    residual: {points: 200}\n"
		"network:\n  layers: [16, 16]\n  hard: {u: start}\nweighting: {type: none}\n"
		"stages:\n  - optimizer: adam\n    iterations: 500\n    lr: 1.0e-2\n"
		"  - optimizer: lbfgs\n    iterations: 400\n");
	pp_real x[64], u[128];
	pp_error err = {0};
	double worst = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
	train(exp, "loss");
	for (int i = 0; i < 64; i++)
		x[i] = (pp_real)(M_PI * i / 63.0);
	CU_ASSERT_EQUAL_FATAL(pp_network_predict(exp->net, 64, x, u, &err), PP_OK);
	CU_ASSERT_EQUAL(u[0], 1.0);   /* the hard constraint: exactly */
	for (int i = 0; i < 64; i++) {
		worst = fmax(worst, fabs((double)u[i] - cos((double)x[i])));
		worst = fmax(worst, fabs((double)u[64 + i] + sin((double)x[i])));
	}
	if (worst >= 1e-3)
		fprintf(stderr, "worst error %g\n", worst);
	CU_ASSERT(worst < 1e-3);
	pp_experiment_destroy(exp);
}

/* Inverse problems: the raw parameters of trainable coefficients sit after
 * the network's and get their gradient from ∂r/∂c·dc/ds; checked against
 * differences for every parameterisation, batched and chunked. */
#define HEAT_INV(coef, extra) \
	"seed: 3\npde:\n  type: heat\n  kappa: " coef "\n  terms:\n    residual: {points: 30}\n" \
	"    initial: {points: 6}\n    boundary: {points: 4}\nnetwork:\n  layers: [4, 3]\n" \
	"weighting: {type: none}\n" extra \
	"stages:\n  - optimizer: sgd\n    iterations: 1\n    lr: 1.0e-3\n"

static void test_trainable_coefficient_gradients_match_differences(void)
{
	check_gradient(HEAT_INV("{trainable: true, init: 0.3}", ""));
	check_gradient(HEAT_INV("{trainable: true, init: 0.3, log: true}", ""));
	check_gradient(HEAT_INV("{trainable: true, init: 0.3, lo: 0.01, hi: 1}", ""));
	check_gradient(HEAT_INV("{trainable: true, init: 0.3, log: true, lo: 0.01, hi: 1}",
				"analyzers:\n  - {type: snr, every: 1, chunks: 5}\n"));
	check_gradient("seed: 3\npde:\n  type: burgers\n  nu: {trainable: true, init: 0.05, log: true}\n"
		       "  lambda1: {trainable: true, init: 0.5}\n  terms:\n    residual: {points: 30}\n"
		       "    initial: {points: 6}\n    boundary: {points: 4}\nnetwork:\n  layers: [4, 3]\n"
		       "weighting: {type: none}\nstages:\n  - optimizer: sgd\n    iterations: 1\n    lr: 1.0e-3\n");
}

/* The coefficient appears in the metrics as coef_<name>, at its init on the
 * first step, and the network gained one parameter for it. */
static void test_a_trainable_coefficient_is_a_parameter_and_a_column(void)
{
	pp_experiment *plain = build(HEAT_INV("0.3", ""));
	pp_experiment *inv = build(HEAT_INV("{trainable: true, init: 0.25, log: true, lo: 0.01, hi: 2}", ""));

	CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
	CU_ASSERT_EQUAL(pp_network_param_count(inv->net), pp_network_param_count(plain->net) + 1);
	PP_ASSERT_CLOSE(train(inv, "coef_kappa"), 0.25, 0, 1e-2);   /* one small step away */
	CU_ASSERT(isnan(train(plain, "coef_kappa")));               /* no such column */
	pp_experiment_destroy(plain);
	pp_experiment_destroy(inv);
}

static void test_bad_trainable_coefficients_are_refused(void)
{
	static const struct {
		const char *coef, *message;
	} cases[] = {
		{"{trainable: true, lo: 0.1}", "kappa: give both lo and hi, or neither"},
		{"{trainable: true, init: 2, lo: 0.1, hi: 1}", "kappa: init 2 must lie strictly between lo 0.1 and hi 1"},
		{"{trainable: true, init: 0.5, log: true, lo: -1, hi: 1}", "lo > 0 with log: true"},
		{"{trainable: true, init: -0.5, log: true}", "log: true needs a positive init"},
		{"{trainable: true, init: 0.5, step: 2}", "unknown key 'step'"},
		{"{trainable: maybe}", "trainable"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char yaml[1024], path[4200];
		pp_experiment *exp = NULL;
		pp_error err = {0};
		FILE *f;
		snprintf(yaml, sizeof yaml, HEAT_INV("%s", ""), cases[k].coef);
		snprintf(path, sizeof path, "%s/bad.yaml", dir);
		f = fopen(path, "w");
		fputs(yaml, f);
		fclose(f);
		CU_ASSERT_EQUAL(pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err),
				PP_ERR_CONFIG);
		if (!strstr(err.message, cases[k].message))
			fprintf(stderr, "case %zu: %s\n", k, err.message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[k].message));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "bad.yaml:"));
		pp_experiment_destroy(exp);
		unlink(path);
	}
}

/* The data term: observations of both outputs of the system with row
 * weights, its gradient against differences (with a trainable coefficient
 * of nothing: the data residual has none), the validation column, and a
 * fit that recovers the observed function. */
static void write_observations(const char *name, int rows)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs("# u = cos x, v = -sin x at points of [0, pi]\nx,u,v,w\n", f);
	for (int i = 0; i < rows; i++) {
		double x = M_PI * (i + 0.5) / rows;
		fprintf(f, "%.17g,%.17g,%.17g,%g\n", x, cos(x), -sin(x), 1.0 + (i % 3));
	}
	fclose(f);
}

#define WITH_DATA(extra) \
	"seed: 3\npde:\n  type: system_pde\n  terms:\n    residual: {points: 40}\n" \
	"    data: {weight: 2.5}\n" \
	"data: {file: obs.csv, weight: w, validation: 0.25" extra "}\n" \
	"network:\n  layers: [5, 4]\nweighting: {type: none}\n" \
	"stages:\n  - optimizer: sgd\n    iterations: 1\n    lr: 1.0e-3\n"

static void test_a_data_term_gradient_matches_differences(void)
{
	write_observations("obs.csv", 24);
	check_gradient(WITH_DATA(""));
	check_gradient(WITH_DATA(", outputs: {v: v}"));
}

static void test_data_fits_and_reports_its_validation_error(void)
{
	pp_experiment *exp;
	double val;

	write_observations("obs.csv", 64);
	/* only data, no physics: the network must interpolate the observations */
	exp = build("seed: 4\npde:\n  type: system_pde\n  terms:\n    residual: {enabled: false}\n"
		    "    boundary: {enabled: false}\n"
		    "data: {file: obs.csv, validation: 0.25}\n"
		    "network:\n  layers: [16, 16]\nweighting: {type: none}\n"
		    "stages:\n  - optimizer: adam\n    iterations: 400\n    lr: 1.0e-2\n"
		    "  - optimizer: lbfgs\n    iterations: 300\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
	CU_ASSERT_EQUAL(exp->obs->train.n, 48);
	CU_ASSERT_EQUAL(exp->obs->val.n, 16);
	val = train(exp, "data_val_rel_l2");
	/* 48 smooth samples of two sines: held-out rows within 1e-3 */
	if (!(val < 1e-3))
		fprintf(stderr, "validation rel. L2 %g\n", val);
	CU_ASSERT(val < 1e-3);
	pp_experiment_destroy(exp);
	exp = build(WITH_DATA(""));
	CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
	/* before training: an untrained network is far from cos, -sin */
	CU_ASSERT(first_loss(exp, 0) > 0.1);
	pp_experiment_destroy(exp);
}

static void test_bad_data_terms_are_refused(void)
{
	static const struct {
		const char *yaml, *message;
	} cases[] = {
		{"seed: 1\npde:\n  type: system_pde\n  terms: {data: {points: 7}}\ndata: {file: obs.csv}\n"
		 "stages: [{optimizer: adam, iterations: 1}]\n",
		 "the data term's points are the 24 training rows of data:"},
		{"seed: 1\npde: {type: system_pde}\ndata: {file: missing.csv}\n"
		 "stages: [{optimizer: adam, iterations: 1}]\n", "missing.csv"},
	};
	write_observations("obs.csv", 24);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char path[4200];
		pp_experiment *exp = NULL;
		pp_error err = {0};
		FILE *f;
		snprintf(path, sizeof path, "%s/bad.yaml", dir);
		f = fopen(path, "w");
		fputs(cases[k].yaml, f);
		fclose(f);
		CU_ASSERT_NOT_EQUAL(pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err),
				    PP_OK);
		if (!strstr(err.message, cases[k].message))
			fprintf(stderr, "case %zu: %s\n", k, err.message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[k].message));
		pp_experiment_destroy(exp);
		unlink(path);
	}
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"a system's gradient matches differences of its loss", test_a_system_gradient_matches_differences_of_its_loss},
		{"a system's gradient matches with chunk statistics", test_a_system_gradient_matches_with_chunk_statistics},
		{"a system's gradient matches through a hard constraint", test_a_system_gradient_matches_through_a_hard_constraint},
		{"a system's loss sums its components", test_a_system_loss_sums_its_components},
		{"a system trains to its exact solution", test_a_system_trains_to_its_exact_solution},
		{"trainable coefficient gradients match differences", test_trainable_coefficient_gradients_match_differences},
		{"a trainable coefficient is a parameter and a column", test_a_trainable_coefficient_is_a_parameter_and_a_column},
		{"bad trainable coefficients are refused", test_bad_trainable_coefficients_are_refused},
		{"a data term's gradient matches differences", test_a_data_term_gradient_matches_differences},
		{"data fits and reports its validation error", test_data_fits_and_reports_its_validation_error},
		{"bad data terms are refused", test_bad_data_terms_are_refused},
		{NULL, NULL},
	};
	const char *plugins = getenv("PP_TEST_PLUGIN_DIR");
	char sys[4200];
	pp_error err = {0};
	int failed;

	PP_TEST_DOUBLE_ONLY();
	if (!plugins || !mkdtemp(dir))
		return 1;
	reg = pp_test_registry();
	snprintf(sys, sizeof sys, "%s/system", plugins);
	if (pp_registry_load_dir(reg, sys, 1, &err)) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	failed = pp_test_run("systems", cases);
	snprintf(sys, sizeof sys, "%s/obs.csv", dir);
	unlink(sys);
	rmdir(dir);
	return failed;
}
