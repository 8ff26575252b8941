/* Adaptive sampling (RAD, RAR-D; core/trainer/adaptive.c, docs/sampling.md):
 * the density and the draw on hand-made residuals, RAR-D's growing terms
 * with RBA and SA, the optimizer restart, and the YAML it refuses. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/experiment.h"
#include "core/trainer.h"
#include "pp_test.h"

static pp_registry *reg;
static char dir[] = "/tmp/pp_test_adaptive_XXXXXX";

/* ---- the draw ------------------------------------------------------------ */

/* Fraction of draws that land on the "heavy" half of @m candidates (every
 * odd index, |r| = 3; the others |r| = 1), over @reps draws of @n. */
static double heavy_fraction(double k, double c, size_t m, size_t n, int reps)
{
	double *mag = malloc(m * sizeof *mag);
	size_t *chosen = malloc(n * sizeof *chosen), heavy = 0;
	pp_error err = {0};
	pp_rng rng;

	pp_rng_init(&rng, 17, 1);
	for (size_t i = 0; i < m; i++)
		mag[i] = i % 2 ? 3.0 : 1.0;
	for (int r = 0; r < reps; r++) {
		CU_ASSERT_EQUAL_FATAL(pp_adaptive_choose(mag, m, k, c, n, &rng, chosen, &err), PP_OK);
		for (size_t i = 0; i < n; i++)
			heavy += chosen[i] % 2;
	}
	free(mag);
	free(chosen);
	return (double)heavy / ((double)n * reps);
}

/* p ∝ |r|^k / mean(|r|^k) + c with |r| ∈ {1, 3} in equal numbers: a heavy
 * candidate is drawn q = p(3)/p(1) times as often as a light one, so a
 * fraction f = q/(1+q) of the draws is heavy: k = 1, c = 0 gives q = 3 (the
 * 3x residual chosen 3x as often); c = 1 (mean 2: 1.5 + 1 against 0.5 + 1)
 * q = 5/3; k = 2, c = 0 q = 9.  Bound: 400 draws of 100 from 10,000
 * candidates are 40,000 Bernoulli-like trials (drawing without replacement
 * only lowers the variance), sd(f) <= sqrt(f(1-f)/40000) <= 0.0025, and
 * the depletion of the heavy half within one draw (at most 100 of 5,000
 * heavy ones) biases f by less than 0.002; |f − f_expected| < 5 sd + 0.002
 * fails by chance with probability below 1e-6. */
static void test_a_candidate_with_three_times_the_residual_is_drawn_three_times_as_often(void)
{
	static const struct { double k, c, q; } cases[] = {{1, 0, 3}, {1, 1, 5.0 / 3}, {2, 0, 9}};

	for (int i = 0; i < 3; i++) {
		double f = heavy_fraction(cases[i].k, cases[i].c, 10000, 100, 400);
		double want = cases[i].q / (1 + cases[i].q);
		double bound = 5 * sqrt(want * (1 - want) / 40000) + 0.002;
		printf("\n  k %g c %g: heavy fraction %.4f, expected %.4f +- %.4f (ratio %.3f)",
		       cases[i].k, cases[i].c, f, want, bound, f / (1 - f));
		CU_ASSERT(fabs(f - want) < bound);
	}
}

/* RAR-D's draw of m = 10 of 1,000 candidates with |r_i| = i/1000 and the
 * method's defaults k = 2, c = 0: exactly 10 distinct indices in
 * increasing order, and in expectation where the residual is largest: the
 * mean |r| of the chosen is E_p|r| = Σr³/Σr² ≈ 3/4 (uniform: 1/2).  Bound:
 * sd of |r| under p is sqrt(3/5 − 9/16) ≈ 0.19, so over 200 draws (2,000
 * points) the mean's sd is 0.0043; 5 sd ≈ 0.022, plus < 0.003 for the
 * discrete sums and depletion: 0.025. */
static void test_rar_d_adds_exactly_m_distinct_points_where_the_residual_is_largest(void)
{
	size_t m = 1000, n = 10, chosen[10];
	double mag[1000], sum = 0;
	pp_error err = {0};
	pp_rng rng;

	pp_rng_init(&rng, 3, 9);
	for (size_t i = 0; i < m; i++)
		mag[i] = (double)i / (double)m;
	for (int r = 0; r < 200; r++) {
		CU_ASSERT_EQUAL_FATAL(pp_adaptive_choose(mag, m, 2, 0, n, &rng, chosen, &err), PP_OK);
		for (size_t i = 0; i < n; i++) {
			CU_ASSERT(chosen[i] < m);
			if (i)
				CU_ASSERT(chosen[i] > chosen[i - 1]);
			sum += mag[chosen[i]];
		}
	}
	printf("\n  mean |r| of the chosen %.4f (expected 0.75)", sum / 2000);
	CU_ASSERT(fabs(sum / 2000 - 0.75) < 0.025);
}

/* All-zero residuals with c = 0 fall back to a uniform draw; a draw larger
 * than the candidates and a non-finite residual are refused. */
static void test_degenerate_residuals_are_uniform_or_refused(void)
{
	double mag[8] = {0};
	size_t chosen[8];
	pp_error err = {0};
	pp_rng rng;

	pp_rng_init(&rng, 1, 1);
	CU_ASSERT_EQUAL(pp_adaptive_choose(mag, 8, 1, 0, 8, &rng, chosen, &err), PP_OK);
	for (size_t i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(chosen[i], i);
	CU_ASSERT_NOT_EQUAL(pp_adaptive_choose(mag, 8, 1, 0, 9, &rng, chosen, &err), PP_OK);
	mag[3] = NAN;
	CU_ASSERT_EQUAL(pp_adaptive_choose(mag, 8, 1, 0, 2, &rng, chosen, &err), PP_ERR_NUMERIC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "candidate 3"));
}

/* ---- training ------------------------------------------------------------ */

#define BURGERS(sampling, weighting, stages)                                            \
	"seed: 5\npde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n"      \
	"    initial: {points: 40}\n    boundary: {points: 40}\nnetwork:\n  layers: [8, 8]\n" \
	"sampling:\n  adaptive: " sampling "\nweighting: " weighting "\n"              \
	"analyzers:\n  - {type: snr, every: 5}\nlogging: {every: 10, plot: false}\n"    \
	"stages:\n" stages

#define ADAM_LBFGS "  - {optimizer: adam, iterations: 45}\n  - {optimizer: lbfgs, iterations: 20}\n"

/* What one run left: its points per term, the weighting's λ count of the
 * residual term (from its checkpoint blob), the steps whose rows say they
 * resampled, and how often the optimizer state was replaced inside a
 * stage. */
typedef struct outcome {
	pp_real *params;            /* the final parameters (caller frees) */
	size_t n_params;
	long lambdas;               /* -1: the scheme keeps none */
	long resampled_at[64];
	int n_resampled;
	int restarts;
	const void *last_state;
	int last_stage;
} outcome;

static void on_step(void *ctx, const pp_train_report *rep)
{
	outcome *o = ctx;
	const pp_train_row *row = rep->row;

	if (rep->event != PP_TRAIN_STEP)
		return;
	if (o->last_state && rep->view->stage == o->last_stage &&
	    rep->view->optimizer_state != o->last_state)
		o->restarts++;
	o->last_state = rep->view->optimizer_state;
	o->last_stage = rep->view->stage;
	for (int i = 0; i < row->n_columns; i++)
		if (!strcmp(row->columns[i], "resamplings") && row->set[i] && o->n_resampled < 64)
			o->resampled_at[o->n_resampled++] = rep->step;
}

/* n of PDE term @p in an rba ("RBA\1": per term u64 n, u64 started, n
 * doubles) or sa ("SA\0\1", its generator, then per term u64 n, u64 t, 3n
 * doubles) blob. */
static long blob_lambdas(const unsigned char *b, size_t size, int p)
{
	int sa = !memcmp(b, "SA", 2);
	size_t off = 8 + (sa ? sizeof(pp_rng) : 0);

	for (int k = 0; k < PP_MAX_TERMS && off + 16 <= size; k++) {
		uint64_t n;
		memcpy(&n, b + off, 8);
		if (k == p)
			return (long)n;
		off += 16 + (sa ? 3 : 1) * n * sizeof(double);
	}
	return -1;
}

static int train(const char *yaml, outcome *o, char *msg, size_t msg_size)
{
	char path[4200];
	pp_experiment *exp = NULL;
	pp_train_options opts = {0};
	pp_train_result *res = calloc(1, sizeof *res);
	pp_error err = {0};
	FILE *f;
	int rc;

	memset(o, 0, sizeof *o);
	o->lambdas = -1;
	snprintf(path, sizeof path, "%s/e.yaml", dir);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	opts.progress = on_step;
	opts.progress_ctx = o;
	rc = pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err);
	if (!rc)
		rc = pp_train(exp, &opts, res, &err);
	if (msg)
		snprintf(msg, msg_size, "%s", rc ? err.message : "");
	if (!rc) {
		const pp_weighting_ops *w = exp->weighting_ops;
		size_t size = 0;
		o->n_params = pp_network_param_count(exp->net);
		o->params = malloc(o->n_params * sizeof *o->params);
		memcpy(o->params, pp_network_params(exp->net), o->n_params * sizeof *o->params);
		if (w->save && w->save(exp->weighting_state, NULL, &size, &err) == PP_OK && size >= 8) {
			unsigned char *b = malloc(size);
			if (w->save(exp->weighting_state, b, &size, &err) == PP_OK &&
			    (!memcmp(b, "RBA", 3) || !memcmp(b, "SA", 2)))
				o->lambdas = blob_lambdas(b, size, exp->terms[0].pde_term);
			free(b);
		}
	}
	pp_experiment_destroy(exp);
	unlink(path);
	free(res);
	return rc;
}

/* The residual's final point count, from the weights file a run leaves. */
static long residual_rows(const char *yaml)
{
	char path[1024], run[512], line[512];
	pp_experiment *exp = NULL;
	pp_train_options opts = {0};
	pp_train_result *res = calloc(1, sizeof *res);
	pp_error err = {0};
	long rows = -1;
	FILE *f;

	snprintf(path, sizeof path, "%s/e.yaml", dir);
	snprintf(run, sizeof run, "%s/run", dir);
	mkdir(run, 0755);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	if (pp_experiment_create(path, reg, run, PP_EXPERIMENT_RUN, &exp, &err) == PP_OK &&
	    pp_train(exp, &opts, res, &err) == PP_OK) {
		snprintf(path, sizeof path, "%s/weights_residual.csv", run);
		f = fopen(path, "r");
		for (rows = -1; f && fgets(line, sizeof line, f);)   /* -1: the header */
			rows++;
		if (f)
			fclose(f);
	} else {
		fprintf(stderr, "%s\n", err.message);
	}
	pp_experiment_destroy(exp);
	free(res);
	return rows;
}

/* RAR-D every 10 steps, 7 more points each time: 64 steps resample at
 * 10, ..., 60 (six times), so the residual ends with 200 + 42 points, and
 * the rows of exactly those steps carry the resamplings column.  With RBA
 * and SA the scheme keeps one λ per point of the grown term. */
static void test_rar_d_grows_the_term_and_rba_and_sa_keep_one_lambda_per_point(void)
{
	static const char *const schemes[] = {"{type: rba}", "{type: sa}"};
	char yaml[2048], msg[1024];
	outcome o;

	for (int s = 0; s < 2; s++) {
		snprintf(yaml, sizeof yaml,
			 BURGERS("{method: rar_d, every: 10, add: 7, candidates: 2000}", "%s",
				 "  - {optimizer: adam, iterations: 64}\n"), schemes[s]);
		CU_ASSERT_EQUAL_FATAL(train(yaml, &o, msg, sizeof msg), PP_OK);
		CU_ASSERT_EQUAL(o.lambdas, 242);
		CU_ASSERT_EQUAL(o.n_resampled, 6);
		for (int i = 0; i < o.n_resampled; i++)
			CU_ASSERT_EQUAL(o.resampled_at[i], 10 * (i + 1));
		CU_ASSERT_EQUAL(residual_rows(yaml), 242);
	}
}

/* RAD keeps the count: with RBA and SA through Adam then L-BFGS (snr's
 * chunks over the new points), λ per point stays 200. */
static void test_rad_keeps_the_count_with_rba_and_sa_through_lbfgs(void)
{
	static const char *const schemes[] = {"{type: rba}", "{type: sa}"};
	char yaml[2048], msg[1024];
	outcome o;

	for (int s = 0; s < 2; s++) {
		snprintf(yaml, sizeof yaml,
			 BURGERS("{method: rad, every: 15, candidates: 2000}", "%s", ADAM_LBFGS),
			 schemes[s]);
		CU_ASSERT_EQUAL_FATAL(train(yaml, &o, msg, sizeof msg), PP_OK);
		CU_ASSERT_EQUAL(o.lambdas, 200);
		CU_ASSERT(o.n_resampled >= 3);
		CU_ASSERT_EQUAL(residual_rows(yaml), 200);
	}
}

/* The stage's optimizer is made anew at each resampling inside a stage
 * (its memory is of the old points' objective), not with
 * restart_optimizer: false.  Resamplings at 15, 30 (Adam) and 45 (the
 * L-BFGS stage's first step, a fresh optimizer anyway, is also restarted)
 * and 60. */
static void test_a_resampling_restarts_the_stages_optimizer(void)
{
	char msg[1024];
	outcome o;

	CU_ASSERT_EQUAL_FATAL(train(BURGERS("{method: rad, every: 15, candidates: 500}",
					    "{type: none}", ADAM_LBFGS), &o, msg, sizeof msg), PP_OK);
	CU_ASSERT_EQUAL(o.n_resampled, 4);
	CU_ASSERT_EQUAL(o.restarts, 3);   /* 15, 30 and 60; at 45 the stage changed too */
	CU_ASSERT_EQUAL_FATAL(train(BURGERS("{method: rad, every: 15, candidates: 500, restart_optimizer: false}",
					    "{type: none}", ADAM_LBFGS), &o, msg, sizeof msg), PP_OK);
	CU_ASSERT_EQUAL(o.n_resampled, 4);
	CU_ASSERT_EQUAL(o.restarts, 0);
}

/* Same seed, bit-identical parameters: the candidates and the draws come
 * from their own seeded stream. */
static void test_same_seed_gives_bit_identical_adaptive_runs(void)
{
	const char *yaml = BURGERS("{method: rar_d, every: 10, add: 5, candidates: 1000}",
				   "{type: rba}", "  - {optimizer: adam, iterations: 30}\n");
	outcome a, b;

	CU_ASSERT_EQUAL_FATAL(train(yaml, &a, NULL, 0), PP_OK);
	CU_ASSERT_EQUAL_FATAL(train(yaml, &b, NULL, 0), PP_OK);
	CU_ASSERT_EQUAL_FATAL(a.n_params, b.n_params);
	CU_ASSERT_EQUAL(memcmp(a.params, b.params, a.n_params * sizeof *a.params), 0);
	free(a.params);
	free(b.params);
}

/* ---- the weighting's hook ------------------------------------------------- */

/* Offset of PDE term @p's entry in an rba or sa blob (see blob_lambdas). */
static size_t blob_term(const unsigned char *b, int p)
{
	int sa = !memcmp(b, "SA", 2);
	size_t off = 8 + (sa ? sizeof(pp_rng) : 0);

	for (int k = 0; k < p; k++) {
		uint64_t n;
		memcpy(&n, b + off, 8);
		off += 16 + (sa ? 3 : 1) * n * sizeof(double);
	}
	return off;
}

/* The scheme @type's per-point state of the residual term after one
 * point_weights on r = 1, 2, 3, 4, then two points_changed: RAR-D keeps the
 * four points and adds two whose nearest old points are 1 and 3; then a
 * replacement of the six by three new points nearest to old 5, 0 and 3.
 * Each time the blob before and after must differ exactly as the rule
 * says. */
static void assert_hook_carries_lambda(const char *type)
{
	char yaml[1024], path[1100];
	pp_experiment *exp = NULL;
	pp_error err = {0};
	pp_real x[8] = {0}, r[6] = {1, 2, 3, 4}, w[6], lambda[6];
	pp_term_state ts = {0};
	pp_step_view view = {0};
	double before[3][6], after[3][6];
	int64_t kept1[6] = {0, 1, 2, 3, -1, -1}, near1[6] = {0, 1, 2, 3, 1, 3};
	int64_t kept2[3] = {-1, -1, -1}, near2[3] = {5, 0, 3};
	unsigned char *blob;
	size_t size = 0, off;
	int sa = !strcmp(type, "sa");
	uint64_t n;
	FILE *f;

	snprintf(yaml, sizeof yaml,
		 "pde:\n  type: burgers\nnetwork:\n  layers: [4]\nweighting: {type: %s}\n"
		 "stages:\n  - {optimizer: adam, iterations: 1}\n", type);
	snprintf(path, sizeof path, "%s/hook.yaml", dir);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err), PP_OK);
	const pp_weighting_ops *ops = exp->weighting_ops;
	void *state = exp->weighting_state;
	int p = exp->terms[0].pde_term;   /* residual */
	CU_ASSERT_PTR_NOT_NULL_FATAL(ops->points_changed);
	ts.name = "residual";
	ts.pde_term = p;
	ts.interior = 1;
	ts.n = 4;
	ts.n_inputs = 2;
	ts.x = x;
	ts.r = r;
	ts.w = w;
	ts.lambda = lambda;
	ts.term_weight = 1;
	ts.n_components = 1;
	ts.components = r;
	view.n_terms = 1;
	view.terms = &ts;
	CU_ASSERT_EQUAL_FATAL(ops->point_weights(state, &view, &err), PP_OK);
	for (int round = 0; round < 2; round++) {
		pp_points_change ch = {p, round ? 6 : 4, round ? 3 : 6, round ? kept2 : kept1,
				       round ? near2 : near1};
		CU_ASSERT_EQUAL_FATAL(ops->save(state, NULL, &size, &err), PP_OK);
		blob = malloc(size);
		CU_ASSERT_EQUAL_FATAL(ops->save(state, blob, &size, &err), PP_OK);
		off = blob_term(blob, p);
		memcpy(&n, blob + off, 8);
		for (int v = 0; v < (sa ? 3 : 1); v++)
			memcpy(before[v], blob + off + 16 + (size_t)v * n * 8, n * 8);
		free(blob);
		CU_ASSERT_EQUAL_FATAL(ops->points_changed(state, &ch, &err), PP_OK);
		CU_ASSERT_EQUAL_FATAL(ops->save(state, NULL, &size, &err), PP_OK);
		blob = malloc(size);
		CU_ASSERT_EQUAL_FATAL(ops->save(state, blob, &size, &err), PP_OK);
		off = blob_term(blob, p);
		memcpy(&n, blob + off, 8);
		CU_ASSERT_EQUAL_FATAL(n, ch.n);
		for (int v = 0; v < (sa ? 3 : 1); v++)
			memcpy(after[v], blob + off + 16 + (size_t)v * n * 8, n * 8);
		free(blob);
		for (size_t i = 0; i < ch.n; i++) {
			int64_t from = ch.kept[i] >= 0 ? ch.kept[i] : ch.nearest[i];
			CU_ASSERT_EQUAL(after[0][i], before[0][from]);    /* λ */
			for (int v = 1; v < (sa ? 3 : 1); v++)            /* sa's moments */
				CU_ASSERT_EQUAL(after[v][i], ch.kept[i] >= 0 ? before[v][from] : 0);
		}
	}
	pp_experiment_destroy(exp);
	unlink(path);
}

/* rba: a new point takes its nearest old point's λ, a kept one keeps its
 * own; sa likewise for λ, with zero Adam moments for a new point and its
 * own for a kept one (docs/sampling.md, "Per-point state"). */
static void test_rba_and_sa_carry_lambda_from_the_nearest_old_point(void)
{
	assert_hook_carries_lambda("rba");
	assert_hook_carries_lambda("sa");
}

/* ---- configuration -------------------------------------------------------- */

static void assert_refused(const char *sampling, const char *words)
{
	char yaml[2048], msg[1024];
	outcome o;

	snprintf(yaml, sizeof yaml,
		 "seed: 5\npde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n"
		 "    initial: {points: 40}\n    boundary: {points: 40}\nnetwork:\n  layers: [8, 8]\n"
		 "sampling:\n%s"
		 "stages:\n  - {optimizer: adam, iterations: 5}\n", sampling);
	CU_ASSERT_NOT_EQUAL(train(yaml, &o, msg, sizeof msg), PP_OK);
	if (!strstr(msg, words))
		printf("\n  wanted '%s' in: %s", words, msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, words));
}

/* Every bad value names the file and line it is on (sampling: is line 10,
 * adaptive: line 11, its keys from line 12 when written as a block). */
static void test_bad_adaptive_settings_are_errors_at_their_line(void)
{
	assert_refused("  adaptive: rad\n", "e.yaml:11:");
	assert_refused("  adaptive: rad\n", "must be a map");
	assert_refused("  adaptive:\n    method: rar\n", "e.yaml:12:");
	assert_refused("  adaptive:\n    method: rar\n", "rad, rar_d");
	assert_refused("  adaptive:\n    every: 10\n", "method");
	assert_refused("  adaptive:\n    method: rad\n    every: 0\n", "e.yaml:13:");
	assert_refused("  adaptive:\n    method: rad\n    k: -1\n", "e.yaml:13:");
	assert_refused("  adaptive:\n    method: rad\n    c: -0.5\n", "e.yaml:13:");
	assert_refused("  adaptive:\n    method: rad\n    add: 5\n", "e.yaml:13:");
	assert_refused("  adaptive:\n    method: rad\n    add: 5\n", "rar_d");
	assert_refused("  adaptive:\n    method: rad\n    candidates: 100\n", "candidates >= 200");
	assert_refused("  adaptive:\n    method: rad\n    terms: [interior]\n", "no term 'interior'");
	assert_refused("  adaptive:\n    method: rad\n    speed: 2\n", "speed");
	assert_refused("  resample_every: 10\n  adaptive:\n    method: rad\n", "give one");
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"a candidate with 3x the residual is drawn 3x as often", test_a_candidate_with_three_times_the_residual_is_drawn_three_times_as_often},
		{"rar-d adds exactly m distinct points where the residual is largest", test_rar_d_adds_exactly_m_distinct_points_where_the_residual_is_largest},
		{"degenerate residuals are uniform or refused", test_degenerate_residuals_are_uniform_or_refused},
		{"rar-d grows the term and rba and sa keep one lambda per point", test_rar_d_grows_the_term_and_rba_and_sa_keep_one_lambda_per_point},
		{"rad keeps the count with rba and sa through lbfgs", test_rad_keeps_the_count_with_rba_and_sa_through_lbfgs},
		{"a resampling restarts the stage's optimizer", test_a_resampling_restarts_the_stages_optimizer},
		{"same seed gives bit-identical adaptive runs", test_same_seed_gives_bit_identical_adaptive_runs},
		{"rba and sa carry lambda from the nearest old point", test_rba_and_sa_carry_lambda_from_the_nearest_old_point},
		{"bad adaptive settings are errors at their line", test_bad_adaptive_settings_are_errors_at_their_line},
		{NULL, NULL},
	};
	int failed;

	PP_TEST_DOUBLE_ONLY();
	if (!mkdtemp(dir))
		return 1;
	reg = pp_test_registry();
	failed = pp_test_run("adaptive", cases);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return failed;
}
