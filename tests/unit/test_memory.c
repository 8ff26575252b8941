/* Memory bounded by the batch (sampling.batch_points given, or
 * sampling.keep_activations: false; docs/scaling.md, "Memory"): one batch
 * object per term serves all its batches, a residual pass comes first when
 * the weighting needs every residual, and each batch goes through the
 * network again for its backward.
 *
 * - Against the keep-all mode at the same batch size the run is the same
 *   bit for bit: the same products on the same batches in the same order
 *   (weightings with and without point weights, chunked and per-sample
 *   statistics, paired points, systems, hard constraints, trainable
 *   coefficients, data, RAD and RAR-D, L-BFGS's and BFGS's objective
 *   evaluations, two threads).
 * - Against one batch per term (the unbatched default) the first step's
 *   loss and gradient agree to 1e-12 relative: only the order of the sums
 *   over points differs (measured: about 1e-15).
 * - The bytes batch objects hold at once (counted by the engine,
 *   pp_batch_bytes_peak, not the resident set size: RSS also counts the
 *   allocator's retained pages, OpenBLAS's buffers and the per-point
 *   arrays, varies run to run and would need a large problem to show
 *   anything) do not grow with the point count in bounded mode, and grow
 *   with it in keep-all mode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/experiment.h"
#include "core/network_impl.h"
#include "core/registry.h"
#include "core/trainer.h"
#include "pp_test.h"

static pp_registry *reg;
static char dir[] = "/tmp/pp_test_memory_XXXXXX";

/* What a run gave: the first step's loss and gradient, the final
 * parameters, and the most bytes batch objects held at once. */
typedef struct outcome {
	double loss0;
	size_t n_params;
	pp_real *grad0;
	pp_real *params;
	size_t peak_bytes;
} outcome;

static void on_report(void *ctx, const pp_train_report *r)
{
	outcome *o = ctx;

	if (r->event != PP_TRAIN_STEP || r->step != 0)
		return;
	o->loss0 = r->view->loss;
	o->n_params = r->view->n_params;
	o->grad0 = malloc(o->n_params * sizeof *o->grad0);
	memcpy(o->grad0, r->view->grad, o->n_params * sizeof *o->grad0);
}

static int run(const char *yaml, outcome *o)
{
	char path[4200];
	pp_experiment *exp = NULL;
	pp_train_options opts = {0};
	pp_train_result *res = calloc(1, sizeof *res);
	pp_error err = {0};
	FILE *f;
	int rc;

	memset(o, 0, sizeof *o);
	snprintf(path, sizeof path, "%s/e.yaml", dir);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	rc = pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err);
	opts.progress = on_report;
	opts.progress_ctx = o;
	pp_batch_bytes_reset_peak();
	if (!rc)
		rc = pp_train(exp, &opts, res, &err);
	o->peak_bytes = pp_batch_bytes_peak();
	if (rc)
		fprintf(stderr, "%s\n", err.message);
	if (!rc) {
		o->n_params = pp_network_param_count(exp->net);
		o->params = malloc(o->n_params * sizeof *o->params);
		memcpy(o->params, pp_network_params(exp->net), o->n_params * sizeof *o->params);
	}
	pp_experiment_destroy(exp);
	unlink(path);
	free(res);
	return rc;
}

static void release(outcome *o)
{
	free(o->grad0);
	free(o->params);
}

/* @yaml with "%s" where the sampling section's keys go. */
static int run_with(const char *yaml, const char *sampling, outcome *o)
{
	char text[4096];

	snprintf(text, sizeof text, yaml, sampling);
	return run(text, o);
}

#define BURGERS(weighting, extra) \
	"seed: 5\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n" \
	"    initial: {points: 50}\n    boundary: {points: 40}\nnetwork:\n  layers: [8, 8]\n" \
	"sampling: {%s}\nweighting: {type: " weighting "}\n" extra \
	"stages:\n  - optimizer: adam\n    iterations: 6\n  - optimizer: lbfgs\n    iterations: 4\n"

static const char *const bit_cases[] = {
	BURGERS("rba", "analyzers:\n  - {type: snr, every: 2, chunks: 10}\n"),
	BURGERS("none", ""),
	BURGERS("gradnorm", ""),
	BURGERS("sa", "analyzers:\n  - {type: snr, every: 3, mode: sample}\n"),
	BURGERS("rba", "threads: 2\n"),
	/* paired points: the periodic boundary of allen_cahn, soft */
	"seed: 2\npde:\n  type: allen_cahn\n  periodic: soft\n  terms:\n    residual: {points: 200}\n"
	"    initial: {points: 40}\n    periodic: {points: 70}\n    periodic_dx: {points: 70}\n"
	"network:\n  layers: [6, 6]\nsampling: {%s}\nweighting: {type: rba}\n"
	"stages:\n  - optimizer: adam\n    iterations: 5\n  - optimizer: bfgs\n    iterations: 3\n",
	/* a system (two components) through a hard constraint */
	"seed: 3\npde:\n  type: system_pde\n  terms:\n    residual: {points: 150}\n"
	"network:\n  layers: [5, 4]\n  hard: {u: start}\nsampling: {%s}\nweighting: {type: rba}\n"
	"stages:\n  - optimizer: adam\n    iterations: 5\n  - optimizer: lbfgs\n    iterations: 3\n",
	/* a system with observations of both outputs (the data term) */
	"seed: 3\npde:\n  type: system_pde\n  terms:\n    residual: {points: 150}\n"
	"    data: {weight: 2.5}\ndata: {file: obs.csv, validation: 0.25}\n"
	"network:\n  layers: [5, 4]\nsampling: {%s}\nweighting: {type: none}\n"
	"stages:\n  - optimizer: adam\n    iterations: 5\n  - optimizer: lbfgs\n    iterations: 3\n",
	/* a trainable coefficient, and chunk statistics */
	"seed: 3\npde:\n  type: heat\n  kappa: {trainable: true, init: 0.3, log: true}\n"
	"  terms:\n    residual: {points: 200}\n    initial: {points: 30}\n    boundary: {points: 30}\n"
	"network:\n  layers: [6, 5]\nsampling: {%s}\nweighting: {type: sa}\n"
	"analyzers:\n  - {type: snr, every: 1, chunks: 5}\n"
	"stages:\n  - optimizer: adam\n    iterations: 5\n  - optimizer: lbfgs\n    iterations: 3\n",
	/* adaptive sampling (RAD) between steps */
	"seed: 7\npde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n"
	"    initial: {points: 30}\n    boundary: {points: 30}\nnetwork:\n  layers: [6, 6]\n"
	"sampling: {adaptive: {method: rad, every: 3, candidates: 1000}, %s}\nweighting: {type: rba}\n"
	"stages:\n  - optimizer: adam\n    iterations: 8\n",
	/* ... and RAR-D, which grows the term (its batches planned anew) */
	"seed: 7\npde:\n  type: burgers\n  terms:\n    residual: {points: 120}\n"
	"    initial: {points: 30}\n    boundary: {points: 30}\nnetwork:\n  layers: [6, 6]\n"
	"sampling: {adaptive: {method: rar_d, every: 2, add: 25, candidates: 500}, %s}\n"
	"weighting: {type: rba}\nstages:\n  - optimizer: adam\n    iterations: 9\n",
};

/* Bounded memory against keep-all at the same batches: the same run. */
static void test_bounded_memory_trains_as_keeping_every_batch_does(void)
{
	for (size_t k = 0; k < sizeof bit_cases / sizeof bit_cases[0]; k++) {
		outcome keep, bounded;
		CU_ASSERT_EQUAL_FATAL(run_with(bit_cases[k], "batch_points: 64, keep_activations: true",
					       &keep), PP_OK);
		CU_ASSERT_EQUAL_FATAL(run_with(bit_cases[k], "batch_points: 64", &bounded), PP_OK);
		CU_ASSERT_EQUAL_FATAL(keep.n_params, bounded.n_params);
		CU_ASSERT_EQUAL(keep.loss0, bounded.loss0);
		CU_ASSERT_EQUAL(memcmp(keep.grad0, bounded.grad0, keep.n_params * sizeof(pp_real)), 0);
		CU_ASSERT_EQUAL(memcmp(keep.params, bounded.params, keep.n_params * sizeof(pp_real)), 0);
		if (memcmp(keep.params, bounded.params, keep.n_params * sizeof(pp_real)))
			fprintf(stderr, "case %zu: bounded and keep-all runs differ\n", k);
		release(&keep);
		release(&bounded);
	}
}

/* |a − b| ≤ tol·max|b| over the vector */
static double max_rel_diff(const pp_real *a, const pp_real *b, size_t n)
{
	double diff = 0, scale = 0;

	for (size_t j = 0; j < n; j++) {
		diff = fmax(diff, fabs((double)a[j] - (double)b[j]));
		scale = fmax(scale, fabs((double)b[j]));
	}
	return scale > 0 ? diff / scale : diff;
}

/* Batches of 37 (bounded; the chunked case's 2 chunks of 150 are cut in
 * pieces) against one batch per term (the default 512 on one thread holds
 * every term whole): the first step's loss and gradient to 1e-12.  (Batches
 * of 64 give these gradients bit for bit: the engine's sums over points
 * then happen to run in the same order.) */
static void test_bounded_batches_give_the_unbatched_loss_and_gradient(void)
{
	static const char *const cases[] = {
		BURGERS("rba", ""),
		BURGERS("rba", "analyzers:\n  - {type: snr, every: 1, chunks: 2}\n"),
		/* 40 wide (the OpenBLAS products), on two threads */
		"seed: 5\nthreads: 2\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n"
		"    initial: {points: 50}\n    boundary: {points: 40}\nnetwork:\n  layers: [40, 40]\n"
		"sampling: {%s}\nweighting: {type: rba}\n"
		"stages:\n  - optimizer: adam\n    iterations: 6\n  - optimizer: lbfgs\n    iterations: 4\n",
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		outcome whole, bounded;
		double dg;
		CU_ASSERT_EQUAL_FATAL(run_with(cases[k], "", &whole), PP_OK);
		CU_ASSERT_EQUAL_FATAL(run_with(cases[k], "batch_points: 37", &bounded), PP_OK);
		CU_ASSERT_EQUAL_FATAL(whole.n_params, bounded.n_params);
		PP_ASSERT_CLOSE(bounded.loss0, whole.loss0, 0, 1e-12);
		dg = max_rel_diff(bounded.grad0, whole.grad0, whole.n_params);
		fprintf(stderr, "case %zu: loss %.3g, gradient %.3g relative\n", k,
			fabs(bounded.loss0 - whole.loss0) / whole.loss0, dg);
		CU_ASSERT(dg <= 1e-12);
		/* and after ten steps of Adam and L-BFGS, still close */
		CU_ASSERT(max_rel_diff(bounded.params, whole.params, whole.n_params) <= 1e-10);
		release(&whole);
		release(&bounded);
	}
}

/* The residual term at 500 and at 4,000 points, batches of 64: the bytes
 * batch objects hold at once stay within 5 % (a batch is 63 or 64 points
 * long), while keeping every batch needs about eight times as much. */
static void test_batch_memory_does_not_grow_with_the_points(void)
{
	static const char *base =
		"seed: 5\npde:\n  type: burgers\n  terms:\n    residual: {points: %d}\n"
		"    initial: {points: 50}\n    boundary: {points: 40}\nnetwork:\n  layers: [16, 16]\n"
		"sampling: {batch_points: 64%s}\nweighting: {type: rba}\n"
		"analyzers:\n  - {type: snr, every: 2, chunks: 4}\n"
		"stages:\n  - optimizer: adam\n    iterations: 3\n  - optimizer: lbfgs\n    iterations: 2\n";
	size_t peak[2][2];

	for (int keep = 0; keep < 2; keep++)
		for (int big = 0; big < 2; big++) {
			char yaml[2048];
			outcome o;
			snprintf(yaml, sizeof yaml, base, big ? 4000 : 500,
				 keep ? ", keep_activations: true" : "");
			CU_ASSERT_EQUAL_FATAL(run(yaml, &o), PP_OK);
			peak[keep][big] = o.peak_bytes;
			release(&o);
		}
	fprintf(stderr, "peak batch bytes: bounded %zu -> %zu, keep-all %zu -> %zu\n",
		peak[0][0], peak[0][1], peak[1][0], peak[1][1]);
	CU_ASSERT(peak[0][0] > 0);
	CU_ASSERT((double)peak[0][1] <= 1.05 * (double)peak[0][0]);
	CU_ASSERT((double)peak[1][1] >= 5.0 * (double)peak[1][0]);
	CU_ASSERT(peak[0][1] < peak[1][0]);
}

/* The choice is recorded: config.yaml says keep_activations, true by
 * default without batch_points, false with it, so that resume (which reads
 * the recorded batch_points back as given) keeps the run's mode. */
static void test_the_memory_mode_is_recorded_in_the_resolved_config(void)
{
	static const char *const cases[][2] = {
		{"", "keep_activations: true  # default"},
		{"batch_points: 64", "keep_activations: false  # default"},
		{"batch_points: 64, keep_activations: true", "keep_activations: true\n"},
	};
	for (size_t k = 0; k < 3; k++) {
		char yaml[4096], path[4200], *text = NULL;
		size_t len = 0;
		pp_experiment *exp = NULL;
		pp_error err = {0};
		FILE *f;
		snprintf(yaml, sizeof yaml, BURGERS("rba", ""), cases[k][0]);
		snprintf(path, sizeof path, "%s/c.yaml", dir);
		f = fopen(path, "w");
		fputs(yaml, f);
		fclose(f);
		CU_ASSERT_EQUAL_FATAL(pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp,
							   &err), PP_OK);
		CU_ASSERT_EQUAL(exp->keep_activations, k != 1);
		f = open_memstream(&text, &len);
		CU_ASSERT_EQUAL(pp_experiment_write_config(exp, f), PP_OK);
		fclose(f);
		if (!strstr(text, cases[k][1]))
			fprintf(stderr, "case %zu: no '%s' in\n%s\n", k, cases[k][1], text);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, cases[k][1]));
		free(text);
		pp_experiment_destroy(exp);
		unlink(path);
	}
}

/* The size check before training counts the activations a term holds at
 * once: 6x128 with 10^6 points is refused keeping every batch (about 63
 * GiB) and accepted bounded by batches of 4,096 (it names the way out). */
static void test_the_size_check_counts_one_batch_when_bounded(void)
{
	static const char *base =
		"seed: 1\npde:\n  type: allen_cahn\n  periodic: none\n  terms:\n"
		"    residual: {points: 1000000}\n    initial: {points: 512}\n"
		"network: {width: 128, depth: 6}\nsampling: {%s}\n"
		"stages:\n  - optimizer: adam\n    iterations: 1\n";
	static const struct {
		const char *sampling;
		int rc;
		const char *words;
	} cases[] = {
		{"", PP_ERR_CONFIG, "hold one batch at a time: give sampling.batch_points"},
		{"batch_points: 4096, keep_activations: true", PP_ERR_CONFIG, "without keep_activations: true"},
		{"batch_points: 200000", PP_ERR_CONFIG, "or a smaller sampling.batch_points"},
		{"batch_points: 4096", PP_OK, NULL},
		{"keep_activations: false", PP_OK, NULL},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char yaml[2048], path[4200];
		pp_experiment *exp = NULL;
		pp_error err = {0};
		FILE *f;
		snprintf(yaml, sizeof yaml, base, cases[k].sampling);
		snprintf(path, sizeof path, "%s/s.yaml", dir);
		f = fopen(path, "w");
		fputs(yaml, f);
		fclose(f);
		CU_ASSERT_EQUAL(pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err),
				cases[k].rc);
		if (cases[k].words && !strstr(err.message, cases[k].words))
			fprintf(stderr, "case %zu: %s\n", k, err.message);
		CU_ASSERT(!cases[k].words || strstr(err.message, cases[k].words));
		pp_experiment_destroy(exp);
		unlink(path);
	}
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"bounded memory trains as keeping every batch does", test_bounded_memory_trains_as_keeping_every_batch_does},
		{"bounded batches give the unbatched loss and gradient", test_bounded_batches_give_the_unbatched_loss_and_gradient},
		{"batch memory does not grow with the points", test_batch_memory_does_not_grow_with_the_points},
		{"the memory mode is recorded in the resolved config", test_the_memory_mode_is_recorded_in_the_resolved_config},
		{"the size check counts one batch when bounded", test_the_size_check_counts_one_batch_when_bounded},
		{NULL, NULL},
	};
	const char *plugins = getenv("PP_TEST_PLUGIN_DIR");
	char path[4200];
	pp_error err = {0};
	FILE *f;
	int failed;

	PP_TEST_DOUBLE_ONLY();
	if (!plugins || !mkdtemp(dir))
		return 1;
	reg = pp_test_registry();
	snprintf(path, sizeof path, "%s/system", plugins);
	if (pp_registry_load_dir(reg, path, 1, &err)) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	/* 80 rows of u = cos x, v = -sin x for the data term */
	snprintf(path, sizeof path, "%s/obs.csv", dir);
	f = fopen(path, "w");
	fputs("x,u,v\n", f);
	for (int i = 0; i < 80; i++)
		fprintf(f, "%.17g,%.17g,%.17g\n", 3.14159 * (i + 0.5) / 80, cos(3.14159 * (i + 0.5) / 80),
			-sin(3.14159 * (i + 0.5) / 80));
	fclose(f);
	failed = pp_test_run("memory", cases);
	unlink(path);
	rmdir(dir);
	return failed;
}
