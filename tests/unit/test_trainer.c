/* End-to-end training: determinism, the global step counter across stages,
 * and RBA beating vanilla on a small Allen-Cahn problem. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/experiment.h"
#include "core/trainer.h"
#include "pp_test.h"

static pp_registry *reg;
static char dir[] = "/tmp/pp_test_trainer_XXXXXX";

/* Train the experiment in @yaml; the last value of @column into *value and a
 * copy of the final parameters into *params (caller frees; may be NULL). */
static int train(const char *yaml, const char *column, double *value, pp_real **params,
		 size_t *n_params)
{
	char path[4200];
	pp_experiment *exp = NULL;
	pp_train_options opts = {0};
	pp_train_result *res = calloc(1, sizeof *res);
	pp_error err = {0};
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/e.yaml", dir);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	rc = pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err);
	if (!rc)
		rc = pp_train(exp, &opts, res, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.message);
	for (int i = 0; !rc && column && i < res->n_columns; i++)
		if (!strcmp(res->columns[i], column))
			*value = res->last[i];
	if (!rc && params) {
		*n_params = pp_network_param_count(exp->net);
		*params = malloc(*n_params * sizeof **params);
		memcpy(*params, pp_network_params(exp->net), *n_params * sizeof **params);
	}
	pp_experiment_destroy(exp);
	unlink(path);
	free(res);
	return rc;
}

#define SMALL_BURGERS \
	"seed: 5\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n" \
	"    initial: {points: 60}\n    boundary: {points: 60}\nnetwork:\n  layers: [10, 10]\n" \
	"weighting: {type: rba}\nanalyzers:\n  - {type: snr, every: 5}\n" \
	"stages:\n  - optimizer: adam\n    iterations: 40\n  - optimizer: lbfgs\n    iterations: 10\n"

static void test_same_seed_gives_bit_identical_parameters(void)
{
	pp_real *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;

	CU_ASSERT_EQUAL_FATAL(train(SMALL_BURGERS, NULL, NULL, &a, &na), PP_OK);
	CU_ASSERT_EQUAL_FATAL(train(SMALL_BURGERS, NULL, NULL, &b, &nb), PP_OK);
	CU_ASSERT_EQUAL(na, nb);
	CU_ASSERT_EQUAL(memcmp(a, b, na * sizeof *a), 0);
	free(a);
	free(b);
}

static void test_step_counter_is_global_across_stages(void)
{
	double step = 0, stage = 0;

	CU_ASSERT_EQUAL(train(SMALL_BURGERS, "step", &step, NULL, NULL), PP_OK);
	CU_ASSERT_EQUAL(train(SMALL_BURGERS, "stage", &stage, NULL, NULL), PP_OK);
	/* 40 Adam steps then at most 10 L-BFGS ones; the final row is at the end */
	CU_ASSERT(step > 40 && step <= 50);
	CU_ASSERT_EQUAL(stage, 1);
}

/* Allen-Cahn, 3×32 tanh, 1,000 residual points, 3,000 Adam steps (about 10 s):
 * too short for either to solve it, long enough for RBA to pull ahead.  Seeds
 * 1, 7 and 2341 gave vanilla 0.986 / 0.991 / 0.981 and RBA 0.624 / 0.609 /
 * 0.588 in rel. L2; requiring RBA below 0.8 × vanilla leaves a wide margin
 * while still failing if RBA stopped doing anything. */
static void test_rba_beats_vanilla_on_a_small_allen_cahn_run(void)
{
	static const char *base =
		"seed: 2341\npde:\n  type: allen_cahn\n  reference_modes: 512\n  reference_dt: 1.0e-4\n"
		"  terms:\n    residual: {points: 1000}\n    initial: {points: 256, weight: 10}\n"
		"network:\n  layers: [32, 32, 32]\nstages:\n  - optimizer: adam\n    iterations: 3000\n"
		"    lr: 2.0e-3\nanalyzers:\n  - {type: error, every: 1000}\nweighting: {type: %s}\n";
	char yaml[1024];
	double none = NAN, rba = NAN;

	snprintf(yaml, sizeof yaml, base, "none");
	CU_ASSERT_EQUAL_FATAL(train(yaml, "error_rel_l2", &none, NULL, NULL), PP_OK);
	snprintf(yaml, sizeof yaml, base, "rba");
	CU_ASSERT_EQUAL_FATAL(train(yaml, "error_rel_l2", &rba, NULL, NULL), PP_OK);
	fprintf(stderr, "allen-cahn rel. L2: none %.3f, rba %.3f\n", none, rba);
	CU_ASSERT(rba < 0.8 * none);
}

/* Per-sample statistics (mode: sample, one point at a time after the batched
 * pass) must equal chunk statistics with one chunk per point (100 chunks of
 * 100 points, the chunked backward path): two code paths, one quantity. */
static void test_per_sample_statistics_equal_one_point_chunks(void)
{
	static const char *base =
		"seed: 3\npde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
		"    initial: {points: 20}\n    boundary: {points: 20}\nnetwork:\n  layers: [6, 6]\n"
		"weighting: {type: rba}\nstages:\n  - optimizer: adam\n    iterations: 5\n"
		"analyzers:\n  - {type: snr, every: 1, %s}\n";
	char yaml[1024];
	double sample = NAN, chunks = NAN, phi = NAN;

	snprintf(yaml, sizeof yaml, base, "mode: sample");
	CU_ASSERT_EQUAL_FATAL(train(yaml, "snr", &sample, NULL, NULL), PP_OK);
	snprintf(yaml, sizeof yaml, base, "chunks: 100");
	CU_ASSERT_EQUAL_FATAL(train(yaml, "snr", &chunks, NULL, NULL), PP_OK);
	CU_ASSERT_EQUAL_FATAL(train(yaml, "snr_phi", &phi, NULL, NULL), PP_OK);
	CU_ASSERT(isfinite(sample) && sample > 0);
	PP_ASSERT_CLOSE(sample, chunks, 0, 1e-9);
	CU_ASSERT(phi > 0 && phi < 1);
}

/* On steps where an analyzer reads the statistics, the interior gradient is
 * the sum of its chunks' gradients, each chunk pushed through the network
 * again on its own; the batches of other steps hold several chunks.  Both
 * must train alike: SNR on every step (10 chunks of 30 points in batches of
 * 2 chunks) against SNR only at step 0 ends at the same parameters up to
 * rounding (measured: about 1e-15 relative after 10 Adam steps). */
static void test_statistics_steps_train_like_the_others(void)
{
	static const char *base =
		"seed: 9\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n"
		"    initial: {points: 40}\n    boundary: {points: 40}\nnetwork:\n  layers: [8, 8]\n"
		"sampling: {batch_points: 64}\nweighting: {type: rba}\n"
		"stages:\n  - optimizer: adam\n    iterations: 10\n"
		"analyzers:\n  - {type: snr, chunks: 10, every: %d}\n";
	char yaml[1024];
	pp_real *every = NULL, *once = NULL;
	size_t n1 = 0, n2 = 0;
	double diff = 0, scale = 0;

	snprintf(yaml, sizeof yaml, base, 1);
	CU_ASSERT_EQUAL_FATAL(train(yaml, NULL, NULL, &every, &n1), PP_OK);
	snprintf(yaml, sizeof yaml, base, 1000);
	CU_ASSERT_EQUAL_FATAL(train(yaml, NULL, NULL, &once, &n2), PP_OK);
	CU_ASSERT_EQUAL_FATAL(n1, n2);
	for (size_t j = 0; j < n1; j++) {
		diff = fmax(diff, fabs((double)every[j] - (double)once[j]));
		scale = fmax(scale, fabs((double)once[j]));
	}
	CU_ASSERT(diff <= 1e-12 * scale);
	if (diff > 1e-12 * scale)
		printf("\n  parameters differ by %g (scale %g)\n", diff, scale);
	free(every);
	free(once);
}

/* ---- stopping rules (stages[].stop) ------------------------------------ */

/* What a run's steps showed: per step, the loss and one column's value
 * (NAN where the step did not measure it). */
typedef struct trajectory {
	const char *column;
	long n;
	double loss[400], value[400];
} trajectory;

static void record_step(void *ctx, const pp_train_report *rep)
{
	trajectory *tr = ctx;

	if (rep->event != PP_TRAIN_STEP || rep->step < 0 || rep->step >= 400)
		return;
	tr->loss[rep->step] = rep->row->values[2];   /* step, stage, loss, ... */
	tr->value[rep->step] = NAN;
	for (int i = 0; tr->column && i < rep->row->n_columns; i++)
		if (!strcmp(rep->row->columns[i], tr->column) && rep->row->set[i])
			tr->value[rep->step] = rep->row->values[i];
	if (rep->step + 1 > tr->n)
		tr->n = rep->step + 1;
}

/* Train @yaml into *res, recording the steps into @tr (may be NULL); the
 * error message of a failure into @msg. */
static int train_result(const char *yaml, pp_train_result *res, trajectory *tr, char *msg,
			size_t size)
{
	char path[4200];
	pp_experiment *exp = NULL;
	pp_train_options opts = {0};
	pp_error err = {0};
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/e.yaml", dir);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	opts.progress = tr ? record_step : NULL;
	opts.progress_ctx = tr;
	rc = pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err);
	if (!rc)
		rc = pp_train(exp, &opts, res, &err);
	if (msg)
		snprintf(msg, size, "%.500s", rc ? err.message : "");
	pp_experiment_destroy(exp);
	unlink(path);
	return rc;
}

/* Burgers, 60 Adam steps (with @stop under stage 0, "" for none) and 5
 * L-BFGS ones; @extra goes at the top level (analyzers). */
static void stop_yaml(char *buf, size_t size, const char *stop, const char *extra)
{
	snprintf(buf, size,
		 "seed: 5\npde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n"
		 "    initial: {points: 50}\n    boundary: {points: 50}\nnetwork:\n  layers: [8, 8]\n"
		 "%sstages:\n  - optimizer: adam\n    iterations: 60\n%s"
		 "  - optimizer: lbfgs\n    iterations: 5\n",
		 extra, stop);
}

/* The run without rules, then with @stop: stage 0 must end after step
 * @expect with a reason containing @words, and stage 1 must run. */
static void assert_stops_at(const char *stop, const char *extra, long expect, const char *words)
{
	pp_train_result *res = calloc(1, sizeof *res);
	char yaml[2048], msg[512];

	stop_yaml(yaml, sizeof yaml, stop, extra);
	CU_ASSERT_EQUAL_FATAL(train_result(yaml, res, NULL, msg, sizeof msg), PP_OK);
	if (res->stage_steps[0] != expect + 1 || !strstr(res->stop_reasons[0], words))
		printf("\n  stage 0: %ld steps (expected %ld), '%s'\n", res->stage_steps[0],
		       expect + 1, res->stop_reasons[0]);
	CU_ASSERT_EQUAL(res->stage_steps[0], expect + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(res->stop_reasons[0], words));
	CU_ASSERT_EQUAL(res->stages_run, 2);
	CU_ASSERT(res->stage_steps[1] > 0);
	CU_ASSERT_EQUAL(res->steps, res->stage_steps[0] + res->stage_steps[1]);
	free(res);
}

/* The unstopped run's trajectory, @column recorded too. */
static void reference_run(const char *extra, trajectory *tr)
{
	pp_train_result *res = calloc(1, sizeof *res);
	char yaml[2048];

	stop_yaml(yaml, sizeof yaml, "", extra);
	CU_ASSERT_EQUAL_FATAL(train_result(yaml, res, tr, NULL, 0), PP_OK);
	CU_ASSERT_EQUAL(res->stage_steps[0], 60);
	CU_ASSERT_STRING_EQUAL(res->stop_reasons[0], "completed 60 iterations");
	free(res);
}

static void test_loss_below_stops_the_stage_at_the_first_step_under_it(void)
{
	trajectory *tr = calloc(1, sizeof *tr);
	char stop[256];
	double thr;
	long k = 0;

	reference_run("", tr);
	/* just above the loss of step 20: the first step under it is <= 20 */
	thr = tr->loss[20] * (1 + 1e-12);
	while (!(tr->loss[k] < thr))
		k++;
	CU_ASSERT(k > 0 && k <= 20);
	snprintf(stop, sizeof stop, "    stop:\n      loss_below: %.17g\n", thr);
	assert_stops_at(stop, "", k, "below loss_below");
	free(tr);
}

static void test_rel_change_below_compares_consecutive_steps(void)
{
	trajectory *tr = calloc(1, sizeof *tr);
	char stop[256];
	double thr, rc;
	long k = 1;

	reference_run("", tr);
	thr = fabs(tr->loss[30] - tr->loss[29]) / fabs(tr->loss[30]) * (1 + 1e-9);
	for (;; k++) {
		rc = fabs(tr->loss[k] - tr->loss[k - 1]) / fabs(tr->loss[k]);
		if (rc < thr)
			break;
	}
	CU_ASSERT(k >= 1 && k <= 30);
	snprintf(stop, sizeof stop, "    stop:\n      rel_change_below: %.17g\n", thr);
	assert_stops_at(stop, "", k, "below rel_change_below");
	free(tr);
}

/* The metric rule counts only at steps the column was measured (every 4). */
static void test_metric_and_error_rules_read_a_measured_column(void)
{
	static const char *an = "analyzers:\n  - {type: error, every: 4, grid: [16, 12]}\n";
	trajectory *tr = calloc(1, sizeof *tr);
	char stop[256];
	double thr;
	long k = 0;

	tr->column = "error_max";
	reference_run(an, tr);
	CU_ASSERT(isnan(tr->value[1]) && !isnan(tr->value[4]));
	thr = tr->value[32] * (1 + 1e-12);
	while (!(tr->value[k] < thr))
		k++;
	CU_ASSERT(k % 4 == 0 && k <= 32);
	snprintf(stop, sizeof stop,
		 "    stop:\n      metric_below: {column: error_max, value: %.17g}\n", thr);
	assert_stops_at(stop, an, k, "stopped: error_max ");

	memset(tr, 0, sizeof *tr);
	tr->column = "error_rel_l2";
	k = 0;
	reference_run(an, tr);
	thr = tr->value[40] * (1 + 1e-12);
	while (!(tr->value[k] < thr))
		k++;
	snprintf(stop, sizeof stop, "    stop:\n      error_below: %.17g\n", thr);
	assert_stops_at(stop, an, k, "stopped: error_rel_l2 ");
	free(tr);
}

static void test_a_tiny_wall_time_stops_after_the_first_step(void)
{
	assert_stops_at("    stop:\n      wall_time: 1.0e-9\n", "", 0, "reached wall_time 1e-09s at step 0");
}

/* A bad stop: is an error at its line. */
static void assert_stop_refused(const char *stop, const char *extra, const char *words)
{
	pp_train_result *res = calloc(1, sizeof *res);
	char yaml[2048], msg[512];

	stop_yaml(yaml, sizeof yaml, stop, extra);
	CU_ASSERT_NOT_EQUAL(train_result(yaml, res, NULL, msg, sizeof msg), PP_OK);
	if (!strstr(msg, words))
		printf("\n  message: %s (expected '%s')\n", msg, words);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, words));
	free(res);
}

static void test_bad_stop_values_are_errors_at_their_line(void)
{
	/* the stop: key is at line 13 of stop_yaml's text */
	assert_stop_refused("    stop:\n      loss_below: -1\n", "", "e.yaml:14:");
	assert_stop_refused("    stop:\n      loss_below: -1\n", "", "must be > 0");
	assert_stop_refused("    stop:\n      rel_change_below: .nan\n", "", "e.yaml:14:");
	assert_stop_refused("    stop:\n      wall_time: 0\n", "", "stop.wall_time must be > 0");
	assert_stop_refused("    stop: 5\n", "", "e.yaml:13:");
	assert_stop_refused("    stop: 5\n", "", "must be a map");
	assert_stop_refused("    stop:\n      loss_belo: 1\n", "", "loss_belo");
	assert_stop_refused("    stop:\n      error_below: 1.0e-3\n", "", "e.yaml:14:");
	assert_stop_refused("    stop:\n      error_below: 1.0e-3\n", "", "analyzers: [{type: error}]");
	assert_stop_refused("    stop:\n      metric_below: {column: nope, value: 1}\n", "",
			    "column 'nope'");
	assert_stop_refused("    stop:\n      metric_below: {value: 1}\n", "", "'column'");
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"same seed gives bit-identical parameters", test_same_seed_gives_bit_identical_parameters},
		{"step counter is global across stages", test_step_counter_is_global_across_stages},
		{"per-sample statistics equal one-point chunks", test_per_sample_statistics_equal_one_point_chunks},
		{"statistics steps train like the others", test_statistics_steps_train_like_the_others},
		{"rba beats vanilla on a small allen-cahn run", test_rba_beats_vanilla_on_a_small_allen_cahn_run},
		{"loss_below stops the stage at the first step under it", test_loss_below_stops_the_stage_at_the_first_step_under_it},
		{"rel_change_below compares consecutive steps", test_rel_change_below_compares_consecutive_steps},
		{"metric and error rules read a measured column", test_metric_and_error_rules_read_a_measured_column},
		{"a tiny wall_time stops after the first step", test_a_tiny_wall_time_stops_after_the_first_step},
		{"bad stop values are errors at their line", test_bad_stop_values_are_errors_at_their_line},
		{NULL, NULL},
	};
	int failed;

	PP_TEST_DOUBLE_ONLY();
	if (!mkdtemp(dir))
		return 1;
	reg = pp_test_registry();
	failed = pp_test_run("trainer", cases);
	rmdir(dir);
	return failed;
}
