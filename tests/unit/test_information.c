/* The information analyzer as the phase-transition paper's authors compute
 * it (utils/mi.py in soanagno/diffusion-equilibrium; docs/analyzers.md):
 * hand-computed bins on tiny layers (a value equal to a neuron's maximum, a
 * constant neuron, a neuron with one interval), and equality to 1e-12 with
 * an independent numpy implementation of their recipe
 * (tests/data/authors_mi.py) on activations of a 2-[16,16]-1 network
 * exported from phasepinn.  That part reports SKIP without /usr/bin/python3
 * and numpy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_test.h"

/* A network with hidden widths @layers ("[16, 16]") for @pde. */
static pp_network *network(const pp_pde_info *pde, const char *layers, unsigned long seed)
{
	char yaml[128];
	pp_config_doc *doc = NULL;
	pp_network *net = NULL;
	pp_error err = {0};

	snprintf(yaml, sizeof yaml, "layers: %s\n", layers);
	if (pp_config_doc_parse(yaml, strlen(yaml), "n.yaml", &doc, &err) == PP_OK &&
	    pp_network_create(pp_config_doc_root(doc), pde, seed, &net, &err) != PP_OK)
		fprintf(stderr, "%s\n", err.message);
	pp_config_doc_destroy(doc);
	return net;
}

/* The information analyzer from YAML @yaml (NULL: defaults). */
static void *analyzer(const char *yaml, const pp_problem *problem, pp_config_doc **doc)
{
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "information")->ops;
	pp_error err = {0};
	void *state = NULL;

	*doc = NULL;
	if (yaml && pp_config_doc_parse(yaml, strlen(yaml), "a.yaml", doc, &err))
		return NULL;
	if (ops->create(*doc ? pp_config_doc_root(*doc) : NULL, problem, &state, &err)) {
		fprintf(stderr, "%s\n", err.message);
		state = NULL;
	}
	return state;
}

/* H and saturation of every hidden layer of @net at the @n points @x
 * (values[2·layers]: H first), by the analyzer configured with @yaml. */
static int observe(pp_network *net, const pp_pde_info *pde, const pp_real *x, size_t n,
		   const char *yaml, double *values)
{
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "information")->ops;
	pp_problem problem = {.pde = pde, .net = net, .n_params = pp_network_param_count(net)};
	pp_term_state t = {.name = "residual", .interior = 1, .n = n,
			   .n_inputs = pde->n_inputs, .x = x};
	pp_step_view v = {.n_terms = 1, .terms = &t, .net = net};
	pp_config_doc *doc;
	pp_error err = {0};
	void *state = analyzer(yaml, &problem, &doc);
	int rc;

	if (!state)
		return PP_ERR_CONFIG;
	rc = ops->observe(state, &v, values, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.message);
	ops->destroy(state);
	pp_config_doc_destroy(doc);
	return rc;
}

/* One input, one hidden layer of two neurons a = tanh(w·x + b). */
static pp_network *two_neurons(const pp_pde_info *pde, double w0, double b0, double w1,
			       double b1)
{
	pp_network *net = network(pde, "[2]", 1);
	pp_layer_view l0;
	pp_real *p;

	if (!net)
		return NULL;
	pp_network_layer(net, 0, &l0);
	p = pp_network_params(net);
	p[l0.weight_offset] = (pp_real)w0;
	p[l0.weight_offset + 1] = (pp_real)w1;
	p[l0.bias_offset] = (pp_real)b0;
	p[l0.bias_offset + 1] = (pp_real)b1;
	return net;
}

static const pp_real six[6] = {-1, 1, 0, -0.999, 0.9414, 0.5};

/* Neuron A = tanh(x) at x = -1, 1, 0, -0.999, 0.9414, 0.5 and neuron B =
 * tanh(0.3), constant.  Ranges + 1e-6: R_A = 2·tanh(1) + 1e-6, 1e-6;
 * w = (R_A + 2e-6)/60; int(R_A/w) + 1 = int(59.99996) + 1 = 60 edges for A
 * (59 intervals of (R_A)/59 from −tanh 1), int(3.9e-5) + 1 = 1 edge for B.
 * A's bins (edges ≤ a): 1, 59 — the maximum lands in the last interval
 * because the last edge is max + 1e-6 —, 30, 1, 59, 48.  B: its one edge is
 * its value, so every point is in bin 1, which counts as its first
 * interval: saturated.  Symbols (A, B): two pairs and two singletons, so
 * H = (2/3)·log2 3 + (1/3)·log2 6; saturation (4/6 + 6/6)/2 = 5/6.
 * x = 0.9414 lies at 98.311 % of A's range: in the last of 59 intervals
 * (from 58/59 = 98.305 %), not in the last of the 60 fixed-width bins
 * (from 59/60 = 98.333 %), so phasepinn's own binning finds 3 of 6 and
 * saturation (3/6 + 1)/2 = 3/4. */
static void test_the_maximum_lands_in_the_last_interval_and_a_constant_neuron_in_one_bin(void)
{
	pp_pde_info pde = pp_test_box_pde(1);
	pp_network *net = two_neurons(&pde, 1, 0, 0, 0.3);
	double values[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	CU_ASSERT_EQUAL(observe(net, &pde, six, 6, NULL, values), PP_OK);
	PP_ASSERT_CLOSE(values[0], 2.0 / 3 * log2(3.0) + 1.0 / 3 * log2(6.0), 1e-14, 0);
	PP_ASSERT_CLOSE(values[1], 5.0 / 6, 1e-14, 0);
	CU_ASSERT_EQUAL(observe(net, &pde, six, 6, "binning: fixed_width\n", values), PP_OK);
	PP_ASSERT_CLOSE(values[1], 3.0 / 4, 1e-14, 0);
	/* `samples: 3`: the first three points, three distinct symbols; A has
	 * points at both ends of its range (−tanh 1, tanh 1), B is saturated:
	 * (2/3 + 1)/2 */
	CU_ASSERT_EQUAL(observe(net, &pde, six, 6, "samples: 3\n", values), PP_OK);
	PP_ASSERT_CLOSE(values[0], log2(3.0), 1e-14, 0);
	PP_ASSERT_CLOSE(values[1], 5.0 / 6, 1e-14, 0);
	pp_network_destroy(net);
}

/* Neuron C = tanh(0.019·x) instead of B: R_C = 2·tanh(0.019) + 1e-6, and
 * w = (R_A + R_C)/60 gives R_A/w = 58.54 (59 edges, 58 intervals) and
 * R_C/w = 1.46: 2 edges, one interval, which is the first and the last at
 * once and is counted twice, as the authors' uc + lc does.  A's bins: 1,
 * 58, 29, 1, 58, 47, so 4 of 6 saturated; C: 2.  Saturation (4/6 + 2)/2 =
 * 4/3 (above 1: that is their measure); H as before. */
static void test_a_neuron_with_one_interval_counts_twice_as_in_the_authors_code(void)
{
	pp_pde_info pde = pp_test_box_pde(1);
	pp_network *net = two_neurons(&pde, 1, 0, 0.019, 0);
	double values[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	CU_ASSERT_EQUAL(observe(net, &pde, six, 6, NULL, values), PP_OK);
	PP_ASSERT_CLOSE(values[0], 2.0 / 3 * log2(3.0) + 1.0 / 3 * log2(6.0), 1e-14, 0);
	PP_ASSERT_CLOSE(values[1], 4.0 / 3, 1e-14, 0);
	/* phasepinn's fixed width counts a saturated point once: C has
	 * ⌈R_C/w⌉ = 2 bins there, its points split between them: saturation
	 * (A's + 1)/2 ≤ 1 */
	CU_ASSERT_EQUAL(observe(net, &pde, six, 6, "binning: fixed_width\n", values), PP_OK);
	CU_ASSERT(values[1] <= 1);
	pp_network_destroy(net);
}

/* Write the hidden activations of @net at the @n points @x to @path in
 * authors_mi.py's format, from one forward pass over all of them. */
static int export_activations(pp_network *net, const pp_real *x, size_t n, const char *path)
{
	pp_channel value = PP_CHANNEL_U;
	pp_batch *batch = NULL;
	pp_error err = {0};
	int layers = pp_network_layer_count(net) - 1, width;
	pp_real *u = malloc(n * sizeof *u);
	FILE *f = fopen(path, "w");
	int rc = !u || !f ? PP_ERR_IO : PP_OK;

	if (!rc)
		rc = pp_batch_create(net, n, 1, &value, &batch, &err);
	if (!rc)
		rc = pp_network_forward(net, batch, n, x, u, &err);
	if (!rc)
		fprintf(f, "layers %d\n", layers);
	for (int l = 0; !rc && l < layers; l++) {
		const pp_real *a = pp_batch_hidden(batch, l, &width);
		fprintf(f, "%zu %d\n", n, width);
		for (size_t i = 0; i < n * (size_t)width; i++)
			fprintf(f, "%.17g%c", (double)a[i], (i + 1) % (size_t)width ? ' ' : '\n');
	}
	if (f && fclose(f))
		rc = PP_ERR_IO;
	pp_batch_destroy(batch);
	free(u);
	return rc;
}

/* authors_mi.py on @path: its H and saturation per layer into values
 * (H first, as the analyzer's columns); 77 when numpy is missing. */
static int authors_values(const char *path, int layers, double *values)
{
	const char *root = getenv("PP_TEST_SOURCE_ROOT");
	char cmd[4096];
	FILE *p;
	int status, l = 0;

	if (access("/usr/bin/python3", X_OK) != 0)
		return 77;
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/data/authors_mi.py %s",
		 root ? root : ".", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (l < layers && fscanf(p, "%lf %lf", &values[l], &values[layers + l]) == 2)
		l++;
	status = pclose(p);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		return 77;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && l == layers ? 0 : -1;
}

/* @n points uniform in [0, 1]² from seed @seed. */
static pp_real *points(size_t n, uint64_t seed)
{
	pp_real *x = malloc(2 * n * sizeof *x);
	pp_rng rng;

	pp_rng_init(&rng, seed, 7);
	for (size_t i = 0; x && i < 2 * n; i++)
		x[i] = (pp_real)pp_rng_uniform(&rng);
	return x;
}

/* The analyzer against authors_mi.py on one network and point set; 77:
 * numpy missing.  Also prints both binnings (docs/analyzers.md quotes them)
 * and checks that the fixed width would not pass. */
static int compare_with_numpy(pp_network *net, const pp_pde_info *pde, const pp_real *x,
			      size_t n, const char *what)
{
	char path[] = "/tmp/pp_test_information_XXXXXX";
	double ours[4], theirs[4], fixed[4];
	int fd = mkstemp(path), rc;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(export_activations(net, x, n, path), PP_OK);
	rc = authors_values(path, 2, theirs);
	unlink(path);
	if (rc == 77)
		return 77;
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(observe(net, pde, x, n, NULL, ours), PP_OK);
	CU_ASSERT_EQUAL(observe(net, pde, x, n, "binning: fixed_width\n", fixed), PP_OK);
	for (int k = 0; k < 4; k++)
		PP_ASSERT_CLOSE(ours[k], theirs[k], 1e-12, 0);
	CU_ASSERT(fabs(fixed[0] - theirs[0]) + fabs(fixed[2] - theirs[2]) > 1e-6);
	printf("\n  %s, %zu points: authors H %.4f %.4f sat %.4f %.4f (numpy H %.4f %.4f sat %.4f %.4f);"
	       " fixed_width H %.4f %.4f sat %.4f %.4f\n",
	       what, n, ours[0], ours[1], ours[2], ours[3], theirs[0], theirs[1], theirs[2],
	       theirs[3], fixed[0], fixed[1], fixed[2], fixed[3]);
	return 0;
}

/* 2-[16,16]-1 (Xavier normal, seed 3) at 1,000 points as the issue's
 * comparison, then with every parameter ×4 (saturated neurons, some with
 * few bins), then 5,000 points (the analyzer's passes run in chunks of
 * 4,096 points). */
static void test_the_authors_recipe_equals_an_independent_numpy_implementation(void)
{
	pp_pde_info pde = pp_test_box_pde(2);
	pp_network *net = network(&pde, "[16, 16]", 3);
	pp_real *x = points(5000, 11), *p;
	int skipped = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	skipped |= compare_with_numpy(net, &pde, x, 1000, "initial") == 77;
	p = pp_network_params(net);
	for (size_t j = 0; j < pp_network_param_count(net); j++)
		p[j] *= 4;
	if (!skipped)
		skipped |= compare_with_numpy(net, &pde, x, 1000, "parameters x4") == 77;
	if (!skipped)
		skipped |= compare_with_numpy(net, &pde, x, 5000, "parameters x4") == 77;
	if (skipped)
		pp_test_skip("/usr/bin/python3 with numpy is missing (scripts/setup.sh installs python3-numpy)");
	pp_network_destroy(net);
	free(x);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"the maximum lands in the last interval and a constant neuron in one bin",
		 test_the_maximum_lands_in_the_last_interval_and_a_constant_neuron_in_one_bin},
		{"a neuron with one interval counts twice, as in the authors' code",
		 test_a_neuron_with_one_interval_counts_twice_as_in_the_authors_code},
		{"the authors' recipe equals an independent numpy implementation",
		 test_the_authors_recipe_equals_an_independent_numpy_implementation},
		{NULL, NULL},
	};

	PP_TEST_DOUBLE_ONLY();
	return pp_test_run("information", cases);
}
