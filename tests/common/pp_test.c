/* phasepinn tests — runner shared by every unit test executable. */
#include "pp_test.h"

#include <CUnit/Basic.h>

static int tests_skipped;

void pp_test_skip(const char *why)
{
	printf("\n    skipped: %s ... ", why);
	fflush(stdout);
	tests_skipped++;
}

int pp_test_run(const char *suite_name, const pp_test_case *tests)
{
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite(suite_name, NULL, NULL);
	if (!suite)
		goto fail;
	for (const pp_test_case *t = tests; t->name; t++)
		if (!CU_add_test(suite, t->name, t->fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	if (failed)
		return 1;
	if (tests_skipped) {
		printf("%d test(s) skipped: the suite reports SKIP\n", tests_skipped);
		return 77;
	}
	return 0;
fail:
	CU_cleanup_registry();
	return 1;
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_doc.h"
#include "core/registry.h"

static pp_registry *test_registry;

static void release_registry(void)
{
	pp_registry_destroy(test_registry);
	test_registry = NULL;
}

pp_registry *pp_test_registry(void)
{
	pp_error err = {0};
	const char *root = getenv("PP_TEST_BUILD_ROOT");
	char dir[4096];

	if (test_registry)
		return test_registry;
	if (!root) {
		fprintf(stderr, "PP_TEST_BUILD_ROOT is not set: run through `meson test`\n");
		abort();
	}
	snprintf(dir, sizeof dir, "%s/plugins", root);
	if (pp_registry_create(&test_registry, &err) ||
	    pp_registry_load_dir(test_registry, dir, 1, &err)) {
		fprintf(stderr, "loading test plugins: %s\n", err.message);
		abort();
	}
	atexit(release_registry);
	return test_registry;
}

const pp_plugin *pp_test_plugin(pp_kind kind, const char *name)
{
	const pp_plugin *p = pp_registry_find(pp_test_registry(), kind, name);

	if (!p) {
		fprintf(stderr, "plugin %s '%s' not built\n", pp_kind_name(kind), name);
		abort();
	}
	return p;
}

int pp_test_pde_open(const char *name, const char *yaml, const char *file, pp_test_pde *p,
		     pp_error *err)
{
	int rc;

	memset(p, 0, sizeof *p);
	p->info.time_input = -1;
	p->info.periodic_input = -1;
	p->ops = pp_test_plugin(PP_KIND_PDE, name)->ops;
	if (yaml) {
		rc = pp_config_doc_parse(yaml, strlen(yaml), file, &p->doc, err);
		if (rc)
			return rc;
	}
	rc = p->ops->create(pp_config_doc_root(p->doc), &p->state, err);
	if (rc)
		return rc;
	return p->ops->describe(p->state, &p->info, err);
}

void pp_test_pde_close(pp_test_pde *p)
{
	if (p->state)
		p->ops->destroy(p->state);
	p->state = NULL;
	pp_config_doc_destroy(p->doc);
	p->doc = NULL;
}

int pp_test_pde_term(const pp_test_pde *p, const char *name)
{
	for (int t = 0; t < p->info.n_terms; t++)
		if (!strcmp(p->info.terms[t].name, name))
			return t;
	CU_FAIL_FATAL("term not found");
	return -1;
}

int pp_test_pde_residual(pp_test_pde *p, int term, int n, const pp_real *x, const pp_real *ch,
			 pp_real *r, pp_real *dr)
{
	const pp_term_info *t = &p->info.terms[term];
	const pp_real *u[PP_MAX_CHANNELS];
	pp_real *d[PP_MAX_COMPONENTS * PP_MAX_CHANNELS];
	pp_residual_args a = {0};
	pp_error err = {0};
	int K = pp_term_component_count(t);

	for (int c = 0; c < t->n_channels; c++)
		u[c] = ch + (size_t)c * n;
	for (int k = 0; k < K * t->n_channels; k++)
		d[k] = dr + (size_t)k * n;
	a.term = term;
	a.n = n;
	a.x = x;
	a.u = u;
	a.r = r;
	a.dr = d;
	return p->ops->residual(p->state, &a, &err);
}

void pp_test_check_channel_jacobians(pp_test_pde *p, int term, int n, const pp_real *x,
				     pp_rng *rng)
{
	const pp_term_info *t = &p->info.terms[term];
	int C = t->n_channels, K = pp_term_component_count(t);
	size_t nr = (size_t)K * n, nd = (size_t)K * C * n;
	pp_real *ch = malloc((size_t)C * n * sizeof *ch);
	pp_real *r = malloc(3 * nr * sizeof *r), *rp = r + nr, *rm = rp + nr;
	pp_real *dr = malloc(2 * nd * sizeof *dr), *scratch = dr + nd;

	CU_ASSERT_FATAL(ch && r && dr);
	for (size_t j = 0; j < (size_t)C * n; j++)
		ch[j] = (pp_real)(2 * pp_rng_uniform(rng) - 1);
	for (size_t j = 0; j < nd; j++)
		dr[j] = 12345;   /* entries the residual must zero are checked too */
	CU_ASSERT_EQUAL(pp_test_pde_residual(p, term, n, x, ch, r, dr), PP_OK);
	for (int c = 0; c < C; c++)
		for (int i = 0; i < n; i++) {
			pp_real *v = &ch[(size_t)c * n + i], save = *v;

			*v = save + (pp_real)1e-4;
			CU_ASSERT_EQUAL(pp_test_pde_residual(p, term, n, x, ch, rp, scratch), PP_OK);
			*v = save - (pp_real)1e-4;
			CU_ASSERT_EQUAL(pp_test_pde_residual(p, term, n, x, ch, rm, scratch), PP_OK);
			*v = save;
			for (int k = 0; k < K; k++) {
				size_t ki = (size_t)k * n + i;
				double fd = ((double)rp[ki] - (double)rm[ki]) / 2e-4;

				PP_ASSERT_CLOSE(dr[((size_t)k * C + c) * n + i], fd, 1e-8, 1e-8);
				for (int o = 0; o < n; o++)   /* the other points do not move */
					if (o != i)
						PP_ASSERT_CLOSE(rp[(size_t)k * n + o],
								r[(size_t)k * n + o], 0, 0);
			}
		}
	free(ch);
	free(r);
	free(dr);
}

pp_pde_info pp_test_box_pde(int n_inputs)
{
	pp_pde_info p = {0};

	p.n_inputs = n_inputs;
	p.input_names[0] = "x";
	p.input_names[1] = "y";
	p.hi[0] = p.hi[1] = 1;
	p.time_input = -1;
	p.periodic_input = -1;
	p.n_terms = 1;
	p.terms[0].name = "residual";
	p.terms[0].interior = 1;
	return p;
}
