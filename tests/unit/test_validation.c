/* Validation points (core/trainer/validation.c, docs/sampling.md,
 * "Validation points"): val_loss against its definition on a network whose
 * residuals are known, keep_best ending the run with the parameters of the
 * lowest val_loss, validation leaving the training untouched, and the YAML
 * it refuses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/experiment.h"
#include "core/trainer.h"
#include "pp_test.h"

static pp_registry *reg;
static char dir[] = "/tmp/pp_test_validation_XXXXXX";

/* What a run reported: val_loss per validation step and the parameters at
 * the start of each such step (the ones it measured), the final
 * parameters, and the result. */
typedef struct outcome {
	long steps[600];
	double val[600];
	pp_real *params_at[600];
	int n;
	pp_real *final;
	size_t n_params;
	long kept_step;
	double kept_val, last_val;
	int zero_params;            /* set every parameter to 0 before training */
} outcome;

static void on_report(void *ctx, const pp_train_report *rep)
{
	outcome *o = ctx;
	const pp_train_row *row = rep->row;

	if (rep->event != PP_TRAIN_STEP || o->n >= 600)
		return;
	for (int i = 0; i < row->n_columns; i++) {
		if (strcmp(row->columns[i], "val_loss") || !row->set[i])
			continue;
		o->steps[o->n] = rep->step;
		o->val[o->n] = row->values[i];
		/* the row is reported after the optimizer moved the slab, so the
		 * parameters it measured are the step's start: rebuilt by the
		 * caller from the next row's; keep the slab after the step */
		o->params_at[o->n] = malloc(rep->view->n_params * sizeof(pp_real));
		memcpy(o->params_at[o->n], rep->view->params, rep->view->n_params * sizeof(pp_real));
		o->n++;
	}
}

static void free_outcome(outcome *o)
{
	for (int i = 0; i < o->n; i++)
		free(o->params_at[i]);
	free(o->final);
}

static int train(const char *yaml, outcome *o, char *msg, size_t msg_size)
{
	char path[4200];
	pp_experiment *exp = NULL;
	pp_train_options opts = {0};
	pp_train_result *res = calloc(1, sizeof *res);
	pp_error err = {0};
	int zero = o->zero_params;
	FILE *f;
	int rc;

	memset(o, 0, sizeof *o);
	snprintf(path, sizeof path, "%s/e.yaml", dir);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	opts.progress = on_report;
	opts.progress_ctx = o;
	rc = pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err);
	if (!rc && zero)
		memset(pp_network_params(exp->net), 0,
		       pp_network_param_count(exp->net) * sizeof(pp_real));
	if (!rc)
		rc = pp_train(exp, &opts, res, &err);
	if (msg)
		snprintf(msg, msg_size, "%s", rc ? err.message : "");
	if (!rc) {
		o->n_params = pp_network_param_count(exp->net);
		o->final = malloc(o->n_params * sizeof *o->final);
		memcpy(o->final, pp_network_params(exp->net), o->n_params * sizeof *o->final);
		o->kept_step = res->kept_step;
		o->kept_val = res->kept_val_loss;
		o->last_val = res->last_val_loss;
	}
	pp_experiment_destroy(exp);
	unlink(path);
	free(res);
	return rc;
}

#define BURGERS(validation, stages)                                                     \
	"seed: 3\npde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n"      \
	"    initial: {points: 40, weight: 3}\n    boundary: {points: 40}\n"             \
	"network:\n  layers: [8, 8]\n" validation "logging: {every: 10, plot: false}\n"  \
	"stages:\n" stages

/* With every parameter 0 the network is u ≡ 0 (tanh(0) = 0, zero output
 * bias): Burgers' residual u_t + u·u_x − ν·u_xx and the boundary's u − 0
 * vanish, the initial condition's u + sin(πx) is sin(πx), so
 *     val_loss = 3 · mean_i sin²(π x_i)
 * over the initial term's 20,000 validation points (weight 3).  They are
 * a Latin hypercube in x ∈ [−1, 1]: one point in each of 20,000 equal
 * strata, so the mean equals ∫ sin² / 2 = 1/2 up to the strata's spread:
 * the variance of a stratified mean is Σ_j Var_j / n² with Var_j ≤
 * (max slope · stratum width)² / 12 = (π · 1e-4)² / 12, so its sd is
 * below 1e-6; 1e-4 relative is 100 sd. */
static void test_val_loss_at_a_zero_network_is_the_initial_conditions_mean_square(void)
{
	const char *yaml = BURGERS("validation: {points: 20000, every: 1}\n",
				   "  - {optimizer: sgd, iterations: 1, lr: 1.0e-9}\n");
	char msg[1024];
	outcome o = {.zero_params = 1};

	CU_ASSERT_EQUAL_FATAL(train(yaml, &o, msg, sizeof msg), PP_OK);
	CU_ASSERT_EQUAL_FATAL(o.n, 1);
	CU_ASSERT_EQUAL(o.steps[0], 0);
	printf("\n  val_loss %.10f, expected 1.5", o.val[0]);
	CU_ASSERT(fabs(o.val[0] - 1.5) < 1.5e-4);
	free_outcome(&o);
}

/* Adam at 1e-2, then SGD at 0.1 with momentum, which throws the network
 * far off (val_loss ~1e10 and more): keep_best must end the run with the
 * parameters of the step whose val_loss was lowest, not the last ones.
 * The reported rows carry the slab after each step, so the parameters a
 * row measured are those of the previous step's row; with `every: 1` the
 * best step's parameters are the report of the step before it. */
static void test_keep_best_ends_with_the_parameters_of_the_lowest_val_loss(void)
{
	const char *yaml = BURGERS("validation: {points: 300, every: 1, keep_best: true}\n",
				   "  - {optimizer: adam, iterations: 40, lr: 1.0e-2}\n"
				   "  - {optimizer: sgd, iterations: 20, lr: 0.1, momentum: 0.9}\n");
	char msg[1024];
	outcome o = {0};
	int best = 0;

	CU_ASSERT_EQUAL_FATAL(train(yaml, &o, msg, sizeof msg), PP_OK);
	CU_ASSERT_EQUAL_FATAL(o.n, 60);
	for (int i = 1; i < o.n; i++)
		if (o.val[i] < o.val[best])
			best = i;
	printf("\n  lowest val_loss %.6g at step %ld (last %.6g); kept step %ld", o.val[best],
	       o.steps[best], o.last_val, o.kept_step);
	CU_ASSERT(o.last_val > 10 * o.val[best]);   /* the SGD stage did throw it off */
	CU_ASSERT_EQUAL(o.kept_step, o.steps[best]);
	CU_ASSERT_EQUAL(o.kept_val, o.val[best]);
	CU_ASSERT_FATAL(best > 0);
	CU_ASSERT_EQUAL(memcmp(o.final, o.params_at[best - 1], o.n_params * sizeof(pp_real)), 0);
	free_outcome(&o);
}

/* Validation draws its points from a stream of its own and only reads the
 * network: the same run with and without it (keep_best off) ends with the
 * same parameters, bit for bit. */
static void test_validation_does_not_change_the_training(void)
{
	const char *with = BURGERS("validation: {points: 500, every: 5}\n",
				   "  - {optimizer: adam, iterations: 30}\n"
				   "  - {optimizer: lbfgs, iterations: 10}\n");
	const char *without = BURGERS("", "  - {optimizer: adam, iterations: 30}\n"
				      "  - {optimizer: lbfgs, iterations: 10}\n");
	outcome a = {0}, b = {0};

	CU_ASSERT_EQUAL_FATAL(train(with, &a, NULL, 0), PP_OK);
	CU_ASSERT_EQUAL_FATAL(train(without, &b, NULL, 0), PP_OK);
	CU_ASSERT_EQUAL(a.n, 8);        /* steps 0, 5, ..., 35 */
	CU_ASSERT_EQUAL(b.n, 0);
	CU_ASSERT_EQUAL(a.kept_step, -1);
	CU_ASSERT_EQUAL_FATAL(a.n_params, b.n_params);
	CU_ASSERT_EQUAL(memcmp(a.final, b.final, a.n_params * sizeof(pp_real)), 0);
	free_outcome(&a);
	free_outcome(&b);
}

/* A stop rule may read val_loss (early stopping on fresh points). */
static void test_a_stop_rule_can_read_val_loss(void)
{
	const char *yaml = BURGERS("validation: {points: 300, every: 1}\n",
				   "  - optimizer: adam\n    iterations: 500\n    lr: 1.0e-2\n"
				   "    stop: {metric_below: {column: val_loss, value: 0.3}}\n");
	char msg[1024];
	outcome o = {0};

	CU_ASSERT_EQUAL_FATAL(train(yaml, &o, msg, sizeof msg), PP_OK);
	printf("\n  %d validations, last %.4g", o.n, o.n ? o.val[o.n - 1] : NAN);
	CU_ASSERT(o.n > 1 && o.n < 500);
	CU_ASSERT(o.val[o.n - 1] < 0.3);
	for (int i = 0; i + 1 < o.n; i++)
		CU_ASSERT(o.val[i] >= 0.3);
	free_outcome(&o);
}

static void assert_refused(const char *validation, const char *words)
{
	char yaml[2048], msg[1024];
	outcome o = {0};

	snprintf(yaml, sizeof yaml, BURGERS("%s", "  - {optimizer: adam, iterations: 5}\n"),
		 validation);
	CU_ASSERT_NOT_EQUAL(train(yaml, &o, msg, sizeof msg), PP_OK);
	if (!strstr(msg, words))
		printf("\n  wanted '%s' in: %s", words, msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, words));
}

/* validation: is line 10 of the file; its keys from line 11 as a block. */
static void test_bad_validation_settings_are_errors_at_their_line(void)
{
	assert_refused("validation: 1000\n", "e.yaml:10:");
	assert_refused("validation: 1000\n", "is a map");
	assert_refused("validation:\n  points: 0\n", "e.yaml:11:");
	assert_refused("validation:\n  every: 0\n", "e.yaml:11:");
	assert_refused("validation:\n  keep_best: maybe\n", "e.yaml:11:");
	assert_refused("validation:\n  point: 100\n", "point");
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"val_loss at a zero network is the initial condition's mean square", test_val_loss_at_a_zero_network_is_the_initial_conditions_mean_square},
		{"keep_best ends with the parameters of the lowest val_loss", test_keep_best_ends_with_the_parameters_of_the_lowest_val_loss},
		{"validation does not change the training", test_validation_does_not_change_the_training},
		{"a stop rule can read val_loss", test_a_stop_rule_can_read_val_loss},
		{"bad validation settings are errors at their line", test_bad_validation_settings_are_errors_at_their_line},
		{NULL, NULL},
	};
	int failed;

	PP_TEST_DOUBLE_ONLY();
	if (!mkdtemp(dir))
		return 1;
	reg = pp_test_registry();
	failed = pp_test_run("validation", cases);
	rmdir(dir);
	return failed;
}
