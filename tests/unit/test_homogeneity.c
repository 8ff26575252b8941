/* The homogeneity analyzer's shadow RBA multiplier (docs/analyzers.md):
 * tracked when the run's weighting is not rba, updated from each step's
 * residuals exactly as the rba weighting updates its own λ (bit for bit on
 * the same residuals), reported as homog_phi_rba_shadow, kept across a
 * checkpoint, and updated at every training step whatever `every` is. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_shell.h"
#include "pp_test.h"

#define N 60

static pp_pde_info box(void)
{
	pp_pde_info p = {0};

	p.n_inputs = 2;
	p.input_names[0] = "x";
	p.input_names[1] = "t";
	p.hi[0] = p.hi[1] = 1;
	p.time_input = -1;
	p.periodic_input = -1;
	p.n_terms = 1;
	p.terms[0].name = "residual";
	p.terms[0].interior = 1;
	return p;
}

static const pp_analyzer_ops *homogeneity_ops(void)
{
	return pp_test_plugin(PP_KIND_ANALYZER, "homogeneity")->ops;
}

/* The analyzer from @yaml (NULL: defaults) in a run whose weighting is
 * @weighting; its column count in *columns.  NULL on failure. */
static void *homogeneity(const char *yaml, const char *weighting, const pp_pde_info *pde,
			 pp_network *net, int *columns, const char *const **names)
{
	const pp_analyzer_ops *ops = homogeneity_ops();
	pp_problem problem = {.pde = pde, .net = net, .weighting = weighting};
	pp_config_doc *doc = NULL;
	const char *const *n;
	pp_error err = {0};
	void *state = NULL;

	if (yaml && pp_config_doc_parse(yaml, strlen(yaml), "a.yaml", &doc, &err))
		return NULL;
	if (ops->create(doc ? pp_config_doc_root(doc) : NULL, &problem, &state, &err)) {
		fprintf(stderr, "%s\n", err.message);
		state = NULL;
	}
	if (state)
		ops->columns(state, names ? names : &n, columns);
	pp_config_doc_destroy(doc);
	return state;
}

/* One interior term of N points on a grid over [0, 1]², with residuals of
 * step @s written into r (and a second component into comp). */
typedef struct fixture {
	pp_real x[2 * N], r[N], w[N], lambda[N], comp[2 * N];
	pp_term_state t;
	pp_step_view v;
} fixture;

static void fixture_init(fixture *f, int components)
{
	memset(f, 0, sizeof *f);
	for (int i = 0; i < N; i++) {
		f->x[2 * i] = (pp_real)((i % 10 + 0.5) / 10);
		f->x[2 * i + 1] = (pp_real)((i / 10 + 0.5) / 6);
		f->w[i] = f->lambda[i] = 1;
	}
	f->t.name = "residual";
	f->t.pde_term = 0;
	f->t.interior = 1;
	f->t.n = N;
	f->t.n_inputs = 2;
	f->t.x = f->x;
	f->t.r = f->r;
	f->t.w = f->w;
	f->t.lambda = f->lambda;
	f->t.n_components = components;
	f->t.components = components > 1 ? f->comp : f->r;
	f->v.n_terms = 1;
	f->v.terms = &f->t;
}

/* Residuals of step @s: uneven over the points and changing with s; a
 * system's r is each point's norm of two components. */
static void residuals(fixture *f, int s)
{
	for (int i = 0; i < N; i++) {
		double a = sin(0.7 * i + 1.3 * s) * (1 + 0.05 * i), b = cos(0.3 * i - s);
		if (f->t.n_components > 1) {
			f->comp[i] = (pp_real)a;
			f->comp[N + i] = (pp_real)b;
			f->r[i] = (pp_real)sqrt(a * a + b * b);
		} else {
			f->r[i] = (pp_real)a;
		}
	}
}

/* The bytes of a plugin's checkpoint section (caller frees). */
static unsigned char *saved(int (*save)(void *, void *, size_t *, pp_error *), void *state,
			    size_t *size)
{
	pp_error err = {0};
	unsigned char *buf;

	CU_ASSERT_EQUAL(save(state, NULL, size, &err), PP_OK);
	buf = malloc(*size ? *size : 1);
	CU_ASSERT_EQUAL(save(state, buf, size, &err), PP_OK);
	return buf;
}

/* Three steps of residuals seen by the rba weighting (in an RBA run) and
 * by the shadow (in a vanilla run): λ equal bit for bit after each step
 * (rba's section holds λ of term 0 at byte 24, the analyzer's at byte 20),
 * and the two φ columns equal.  Also for a system's term, whose |r| both
 * read as |r_1| + |r_2| by default, and with the authors' Helmholtz
 * settings (min-max, started from the first residuals) on both sides, and
 * started from λ⁰ = 1 on both sides. */
static void test_the_shadow_equals_an_rba_runs_multiplier_on_the_same_residuals(void)
{
	static const char *const settings[][2] = {
		{NULL, NULL},
		{"normalization: minmax\ninit: residual\n",
		 "shadow_normalization: minmax\nshadow_init: residual\n"},
		{"init: one\n", "shadow_init: one\n"},
	};
	pp_pde_info pde = box();
	const pp_weighting_ops *rba = pp_test_plugin(PP_KIND_WEIGHTING, "rba")->ops;
	const pp_analyzer_ops *ops = homogeneity_ops();
	pp_problem problem = {.pde = &pde, .weighting = "rba"};
	pp_error err = {0};
	static fixture f;

	for (int run = 0; run < 6; run++) {
		const char *const *set = settings[run / 2];
		int components = 1 + run % 2;
		pp_config_doc *doc = NULL;
		void *w = NULL, *h;
		int columns = 0;

		if (set[0])
			CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(set[0], strlen(set[0]), "w.yaml",
								  &doc, &err), PP_OK);
		CU_ASSERT_EQUAL_FATAL(rba->create(doc ? pp_config_doc_root(doc) : NULL, &problem,
						  &w, &err), PP_OK);
		pp_config_doc_destroy(doc);
		h = homogeneity(set[1], "none", &pde, NULL, &columns, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		CU_ASSERT_EQUAL(columns, 4);
		fixture_init(&f, components);
		for (int s = 0; s < 3; s++) {
			double values[4];
			size_t na, nb;
			unsigned char *a, *b;

			residuals(&f, s);
			CU_ASSERT_EQUAL(rba->point_weights(w, &f.v, &err), PP_OK);
			CU_ASSERT_EQUAL(ops->every_step(h, &f.v, &err), PP_OK);
			a = saved(rba->save, w, &na);
			b = saved(ops->save, h, &nb);
			CU_ASSERT_EQUAL(nb, 20 + N * sizeof(double));
			CU_ASSERT_EQUAL(memcmp(a + 24, b + 20, N * sizeof(double)), 0);
			free(a);
			free(b);
			/* φ of rba's λ (column 0, read from the view; pp_real) and of
			 * the shadow (column 3, from its doubles) */
			CU_ASSERT_EQUAL(ops->observe(h, &f.v, values, &err), PP_OK);
			PP_ASSERT_CLOSE(values[3], values[0], 0, 1e-6);
			CU_ASSERT(values[3] < 1);
		}
		rba->destroy(w);
		ops->destroy(h);
	}
}

/* auto: on unless the weighting is rba; on / off on request.  The column
 * says what it is. */
static void test_the_shadow_is_on_unless_the_weighting_is_rba(void)
{
	pp_pde_info pde = box();
	const pp_analyzer_ops *ops = homogeneity_ops();
	static const struct {
		const char *yaml, *weighting;
		int columns;
	} cases[] = {
		{NULL, "none", 4}, {NULL, "sa", 4}, {NULL, NULL, 4}, {NULL, "rba", 3},
		{"shadow: off\n", "none", 3}, {"shadow: on\n", "rba", 4},
	};
	const char *const *names = NULL;
	fixture f;
	double values[4];
	pp_error err = {0};

	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		int columns = 0;
		void *h = homogeneity(cases[c].yaml, cases[c].weighting, &pde, NULL, &columns, &names);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		CU_ASSERT_EQUAL(columns, cases[c].columns);
		if (columns == 4) {
			CU_ASSERT_STRING_EQUAL(names[3], "homog_phi_rba_shadow");
			/* before any training step there is no λ to measure */
			fixture_init(&f, 1);
			residuals(&f, 0);
			CU_ASSERT_EQUAL(ops->observe(h, &f.v, values, &err), PP_OK);
			CU_ASSERT(isnan(values[3]));
		}
		ops->destroy(h);
	}
	CU_ASSERT_PTR_NULL(homogeneity("shadow: yes\n", "none", &pde, NULL, &(int){0}, NULL));
}

/* Two steps, a checkpoint, a third step: the restored copy ends where the
 * original does, bit for bit.  A checkpoint without the shadow (zero
 * bytes, as before it existed) or a cut one is refused with a message. */
static void test_the_shadow_multiplier_survives_a_checkpoint(void)
{
	pp_pde_info pde = box();
	const pp_analyzer_ops *ops = homogeneity_ops();
	pp_error err = {0};
	int columns;
	void *h = homogeneity(NULL, "none", &pde, NULL, &columns, NULL);
	void *g = homogeneity(NULL, "none", &pde, NULL, &columns, NULL);
	size_t na, nb;
	unsigned char *a, *b;
	fixture f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	fixture_init(&f, 1);
	for (int s = 0; s < 2; s++) {
		residuals(&f, s);
		ops->every_step(h, &f.v, &err);
	}
	a = saved(ops->save, h, &na);
	CU_ASSERT_EQUAL(ops->load(g, a, 0, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no shadow RBA multiplier"));
	CU_ASSERT_EQUAL(ops->load(g, a, na - 8, &err), PP_ERR_INVALID);
	CU_ASSERT_EQUAL(ops->load(g, a, na, &err), PP_OK);
	free(a);
	residuals(&f, 2);
	ops->every_step(h, &f.v, &err);
	ops->every_step(g, &f.v, &err);
	a = saved(ops->save, h, &na);
	b = saved(ops->save, g, &nb);
	CU_ASSERT_EQUAL(na, nb);
	CU_ASSERT_EQUAL(memcmp(a, b, na), 0);
	free(a);
	free(b);
	ops->destroy(h);
	ops->destroy(g);
}

/* Through the trainer: the shadow follows every training step, not only
 * the steps the analyzer observes: a vanilla Burgers run observed every 7
 * steps reports at step 21 the shadow φ of a run observed every step (the
 * same run otherwise: observing changes nothing else). */
static void test_the_trainer_updates_the_shadow_at_every_step(void)
{
	static char dir[] = "/tmp/pp_test_homog_XXXXXX";
	static const char base[] =
		"seed: 2\npde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n"
		"    initial: {points: 40}\n    boundary: {points: 40}\n"
		"network:\n  layers: [8, 8]\nstages:\n  - optimizer: adam\n    iterations: 30\n"
		"logging:\n  every: 1000\n  plot: false\ncheckpoint:\n  every: 0\n";
	char yaml[1024], *every1, *every7;
	const char *row1, *row7;

	CU_ASSERT_EQUAL_FATAL(pp_shell_init(dir), 0);
	for (int e = 1; e <= 7; e += 6) {
		snprintf(yaml, sizeof yaml, "%sanalyzers:\n  - {type: homogeneity, every: %d}\n",
			 base, e);
		pp_shell_write(e == 1 ? "e1.yaml" : "e7.yaml", yaml);
		CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run e%d.yaml --output e%d --quiet", e, e), 0);
	}
	every1 = pp_shell_read("e1/metrics.csv", NULL);
	every7 = pp_shell_read("e7/metrics.csv", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(every1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(every7);
	CU_ASSERT_PTR_NOT_NULL(strstr(every1, ",homog_phi_rba_shadow\n"));
	row1 = strstr(every1, "\n21,");
	row7 = strstr(every7, "\n21,");
	CU_ASSERT_PTR_NOT_NULL_FATAL(row1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(row7);
	/* the last field of the row: homog_phi_rba_shadow */
	const char *end1 = strchr(row1 + 1, '\n'), *end7 = strchr(row7 + 1, '\n');
	const char *f1 = end1, *f7 = end7;
	while (f1[-1] != ',')
		f1--;
	while (f7[-1] != ',')
		f7--;
	CU_ASSERT_EQUAL(end1 - f1, end7 - f7);
	CU_ASSERT_EQUAL(strncmp(f1, f7, (size_t)(end1 - f1)), 0);
	CU_ASSERT(strtod(f1, NULL) > 0.5 && strtod(f1, NULL) < 1);
	free(every1);
	free(every7);
	pp_shell_cleanup();
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"the shadow equals an rba run's multiplier on the same residuals",
		 test_the_shadow_equals_an_rba_runs_multiplier_on_the_same_residuals},
		{"the shadow is on unless the weighting is rba",
		 test_the_shadow_is_on_unless_the_weighting_is_rba},
		{"the shadow multiplier survives a checkpoint",
		 test_the_shadow_multiplier_survives_a_checkpoint},
		{"the trainer updates the shadow at every step",
		 test_the_trainer_updates_the_shadow_at_every_step},
		{NULL, NULL},
	};

	return pp_test_run("homogeneity", cases);
}
