/* Weighting schemes against hand-computed values on hand-built views. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_test.h"

#define N 4

/* A fake problem: term 0 "residual" (interior), term 1 "boundary"; inputs x, t. */
typedef struct fixture {
	pp_pde_info pde;
	pp_problem problem;
	pp_term_state terms[2];
	pp_real x[2][2 * N], r[2][N], w[2][N], lambda[2][N];
	pp_real grad[2][3];
	pp_step_view view;
	pp_config_doc *doc;
	const pp_weighting_ops *ops;
	void *state;
} fixture;

static int setup(fixture *f, const char *scheme, const char *yaml, int with_time, pp_error *err)
{
	memset(f, 0, sizeof *f);
	f->pde.n_inputs = 2;
	f->pde.input_names[0] = "x";
	f->pde.input_names[1] = "t";
	f->pde.hi[0] = f->pde.hi[1] = 1;
	f->pde.time_input = with_time ? 1 : -1;
	f->pde.n_terms = 2;
	f->pde.terms[0].name = "residual";
	f->pde.terms[0].interior = 1;
	f->pde.terms[1].name = "boundary";
	f->problem.pde = &f->pde;
	f->problem.n_params = 3;
	f->problem.seed = 5;
	f->problem.n_terms = 2;
	for (int k = 0; k < 2; k++) {
		pp_term_state *t = &f->terms[k];
		t->name = f->pde.terms[k].name;
		t->pde_term = k;
		t->interior = f->pde.terms[k].interior;
		t->n = N;
		t->n_inputs = 2;
		t->x = f->x[k];
		t->r = f->r[k];
		t->w = f->w[k];
		t->lambda = f->lambda[k];
		t->term_weight = 1;
		t->grad = f->grad[k];
		for (int i = 0; i < N; i++)
			f->w[k][i] = f->lambda[k][i] = 1;
	}
	f->view.n_terms = 2;
	f->view.terms = f->terms;
	f->view.n_params = 3;
	f->view.problem = &f->problem;
	f->ops = pp_test_plugin(PP_KIND_WEIGHTING, scheme)->ops;
	if (yaml && pp_config_doc_parse(yaml, strlen(yaml), "w.yaml", &f->doc, err))
		return err->code;
	return f->ops->create(pp_config_doc_root(f->doc), &f->problem, &f->state, err);
}

static void teardown(fixture *f)
{
	if (f->state)
		f->ops->destroy(f->state);
	pp_config_doc_destroy(f->doc);
}

static void set_r(fixture *f, int k, double a, double b, double c, double d)
{
	f->r[k][0] = (pp_real)a;
	f->r[k][1] = (pp_real)b;
	f->r[k][2] = (pp_real)c;
	f->r[k][3] = (pp_real)d;
}

static void test_none_leaves_weights_at_one(void)
{
	fixture f;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(setup(&f, "none", NULL, 1, &err), PP_OK);
	CU_ASSERT_PTR_NULL(f.ops->point_weights);
	CU_ASSERT_PTR_NULL(f.ops->term_weights);
	teardown(&f);
}

static void test_rba_matches_the_formula_by_hand(void)
{
	fixture f;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(setup(&f, "rba", "gamma: 0.5\neta: 0.1\n", 1, &err), PP_OK);
	set_r(&f, 0, 1, -2, 4, 0);
	f.ops->point_weights(f.state, &f.view, &err);
	/* λ¹ = 0.1·|r|/4 = [0.025, 0.05, 0.1, 0]; squared form: w = λ² */
	PP_ASSERT_CLOSE(f.lambda[0][0], 0.025, 1e-15, 0);
	PP_ASSERT_CLOSE(f.lambda[0][1], 0.05, 1e-15, 0);
	PP_ASSERT_CLOSE(f.lambda[0][2], 0.1, 1e-15, 0);
	PP_ASSERT_CLOSE(f.w[0][2], 0.01, 1e-15, 0);
	CU_ASSERT_EQUAL(f.w[1][0], 1);   /* boundary untouched by default */
	set_r(&f, 0, 2, 2, 1, 0);
	f.ops->point_weights(f.state, &f.view, &err);
	/* λ² = 0.5·λ¹ + 0.1·|r|/2 = [0.1125, 0.125, 0.1, 0] */
	PP_ASSERT_CLOSE(f.lambda[0][0], 0.1125, 1e-15, 0);
	PP_ASSERT_CLOSE(f.lambda[0][1], 0.125, 1e-15, 0);
	PP_ASSERT_CLOSE(f.lambda[0][2], 0.1, 1e-15, 0);
	teardown(&f);
}

static void test_rba_minmax_linear_form_and_term_choice(void)
{
	fixture f;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(setup(&f, "rba", "gamma: 0.9\neta: 0.2\nnormalization: minmax\n"
				      "form: linear\nterms: [residual, boundary]\n", 1, &err), PP_OK);
	set_r(&f, 0, 1, 3, 5, 2);
	set_r(&f, 1, -1, 1, 0, 0.5);
	f.ops->point_weights(f.state, &f.view, &err);
	/* residual: (|r| − 1)/4 → [0, .5, 1, .25]·0.2; linear: w = λ */
	PP_ASSERT_CLOSE(f.lambda[0][1], 0.1, 1e-15, 0);
	PP_ASSERT_CLOSE(f.w[0][3], 0.05, 1e-15, 0);
	PP_ASSERT_CLOSE(f.w[0][0], 0.0, 1e-15, 0);
	/* boundary: (|r| − 0)/1 → [1, 1, 0, .5]·0.2 */
	PP_ASSERT_CLOSE(f.w[1][3], 0.1, 1e-15, 0);
	teardown(&f);
}

static void test_rba_weights_stay_within_their_bound(void)
{
	fixture f;
	pp_error err = {0};
	pp_rng rng;
	double bound = 0.001 / (1 - 0.999), worst = 0, lowest = 1;

	CU_ASSERT_EQUAL_FATAL(setup(&f, "rba", NULL, 1, &err), PP_OK);
	pp_rng_init(&rng, 1, 0);
	for (int s = 0; s < 20000; s++) {
		for (int i = 0; i < N; i++)
			f.r[0][i] = (pp_real)(pp_rng_normal(&rng) * (1 + i));
		f.ops->point_weights(f.state, &f.view, &err);
		for (int i = 0; i < N; i++) {
			worst = fmax(worst, f.lambda[0][i]);
			lowest = fmin(lowest, f.lambda[0][i]);
		}
	}
	CU_ASSERT(worst <= bound * (1 + 1e-12));
	CU_ASSERT(worst > 0.5 * bound);   /* and it does approach the bound */
	CU_ASSERT(lowest >= 0);
	teardown(&f);
}

static void test_rba_unknown_term_lists_the_terms(void)
{
	fixture f;
	pp_error err = {0};

	CU_ASSERT_EQUAL(setup(&f, "rba", "terms: [interior]\n", 1, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "w.yaml:1:9: no term 'interior'; the PDE's terms are: residual, boundary"));
	teardown(&f);
}

static void test_sa_weights_grow_where_residuals_are_large(void)
{
	fixture f;
	pp_error err = {0};
	double before[N];

	CU_ASSERT_EQUAL_FATAL(setup(&f, "sa", "optimizer: sgd\nlr: 1.0\ninit: constant\n", 1, &err), PP_OK);
	set_r(&f, 0, 0.1, 1, 3, 0);
	f.ops->point_weights(f.state, &f.view, &err);   /* uses λ = 1, then ascends */
	for (int i = 0; i < N; i++)
		before[i] = f.lambda[0][i];
	f.ops->point_weights(f.state, &f.view, &err);
	/* sgd ascent: Δλ = lr·2λ·r²/N = [0.005, 0.5, 4.5, 0] */
	PP_ASSERT_CLOSE(f.lambda[0][2] - before[2], 4.5, 1e-12, 0);
	PP_ASSERT_CLOSE(f.lambda[0][1] - before[1], 0.5, 1e-12, 0);
	CU_ASSERT(f.lambda[0][2] - before[2] > f.lambda[0][0] - before[0]);
	CU_ASSERT_EQUAL(f.lambda[0][3], before[3]);
	PP_ASSERT_CLOSE(f.w[0][2], f.lambda[0][2] * f.lambda[0][2], 1e-12, 0);  /* mask λ² */
	teardown(&f);
}

static void test_gradnorm_balances_terms_of_very_different_scale(void)
{
	fixture f;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(setup(&f, "gradnorm", "every: 1\n", 1, &err), PP_OK);
	/* ∇L_r ~ 1, ∇L_b ~ 1e-3: after balancing, λ_b·mean|∇L_b| reaches max|∇L_r| */
	pp_real gr[3] = {1.0, -0.5, 0.25}, gb[3] = {1e-3, 2e-3, -3e-3};
	memcpy(f.grad[0], gr, sizeof gr);
	memcpy(f.grad[1], gb, sizeof gb);
	for (int s = 0; s < 200; s++) {
		f.view.step = s;
		f.ops->term_weights(f.state, &f.view, &err);
	}
	/* λ̂ = 1/(2e-3) = 500; after 200 updates with α = 0.9, λ is within 1e-6 of it */
	PP_ASSERT_CLOSE(f.terms[1].term_weight, 500, 0, 1e-6);
	CU_ASSERT_EQUAL(f.terms[0].term_weight, 1);
	/* the weighted boundary gradient is now of the residual's order */
	double ratio = f.terms[1].term_weight * 2e-3 / 1.0;
	CU_ASSERT(ratio > 0.5 && ratio < 2);
	teardown(&f);
}

static void test_causal_weights_follow_the_cumulative_loss(void)
{
	fixture f;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(setup(&f, "causal", "chunks: 2\ntolerance: 10\n", 1, &err), PP_OK);
	/* t = 0.1, 0.2 in chunk 0; t = 0.6, 0.9 in chunk 1 */
	double ts[N] = {0.1, 0.2, 0.6, 0.9};
	for (int i = 0; i < N; i++)
		f.x[0][2 * i + 1] = (pp_real)ts[i];
	set_r(&f, 0, 0.1, 0.3, 1, 1);
	f.ops->point_weights(f.state, &f.view, &err);
	/* L_0 = (0.01 + 0.09)/2 = 0.05: W_0 = 1, W_1 = exp(−10·0.05) */
	PP_ASSERT_CLOSE(f.lambda[0][0], 1, 1e-15, 0);
	PP_ASSERT_CLOSE(f.lambda[0][3], exp(-0.5), 1e-15, 0);
	/* w = W·N/(M·n_i) = W·4/(2·2) */
	PP_ASSERT_CLOSE(f.w[0][2], exp(-0.5), 1e-15, 0);
	teardown(&f);
	CU_ASSERT_EQUAL(setup(&f, "causal", NULL, 0, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no time input"));
	teardown(&f);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"none leaves weights at one", test_none_leaves_weights_at_one},
		{"rba matches the formula by hand", test_rba_matches_the_formula_by_hand},
		{"rba minmax, linear form and term choice", test_rba_minmax_linear_form_and_term_choice},
		{"rba weights stay within their bound", test_rba_weights_stay_within_their_bound},
		{"rba unknown term lists the terms", test_rba_unknown_term_lists_the_terms},
		{"sa weights grow where residuals are large", test_sa_weights_grow_where_residuals_are_large},
		{"gradnorm balances terms of very different scale", test_gradnorm_balances_terms_of_very_different_scale},
		{"causal weights follow the cumulative loss", test_causal_weights_follow_the_cumulative_loss},
		{NULL, NULL},
	};
	PP_TEST_DOUBLE_ONLY();
	return pp_test_run("weighting", cases);
}
