/* Experiment files: every kind of bad input is an error that quotes
 * file:line:column, and names what is available where a name was wrong. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/experiment.h"
#include "pp_test.h"

static pp_registry *reg;
static char dir[] = "/tmp/pp_test_experiment_XXXXXX";

static const char *write_yaml(const char *name, const char *text)
{
	static char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Create from text; returns the status and leaves the message in err. */
static int try_create(const char *text, pp_error *err)
{
	pp_experiment *exp = NULL;
	int rc = pp_experiment_create(write_yaml("e.yaml", text), reg, NULL,
				      PP_EXPERIMENT_CHECK, &exp, err);

	pp_experiment_destroy(exp);
	return rc;
}

#define BASE "pde:\n  type: burgers\nnetwork:\n  layers: [8, 8]\nstages:\n  - optimizer: adam\n    iterations: 10\n"

static void test_valid_file_builds_every_part(void)
{
	pp_experiment *exp = NULL;
	pp_error err = {0};
	int rc = pp_experiment_create(write_yaml("ok.yaml", BASE "seed: 7\n"), reg, NULL,
				      PP_EXPERIMENT_CHECK, &exp, &err);

	CU_ASSERT_EQUAL_FATAL(rc, PP_OK);
	CU_ASSERT_STRING_EQUAL(exp->name, "ok");
	CU_ASSERT_EQUAL(exp->seed, 7);
	CU_ASSERT_EQUAL(exp->n_stages, 1);
	CU_ASSERT_EQUAL(exp->total_iterations, 10);
	CU_ASSERT_STRING_EQUAL(exp->weighting_plugin->name, "none");
	CU_ASSERT(exp->n_terms >= 2);
	CU_ASSERT_PTR_NULL(exp->problem.run_dir);
	pp_experiment_destroy(exp);
}

static void test_unknown_top_level_key_quotes_its_line(void)
{
	pp_error err = {0};

	CU_ASSERT_EQUAL(try_create(BASE "sede: 3\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "e.yaml:8:1: unknown key 'sede'"));
}

static void test_unknown_plugin_option_quotes_its_line(void)
{
	pp_error err = {0};

	CU_ASSERT_EQUAL(try_create(BASE "weighting:\n  type: none\n  gama: 2\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "e.yaml:10:3: unknown key 'gama' in weighting"));
}

static void test_wrong_type_quotes_its_line(void)
{
	pp_error err = {0};

	CU_ASSERT_EQUAL(try_create("pde:\n  type: burgers\nstages:\n  - optimizer: adam\n    iterations: many\n", &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "e.yaml:5:17:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "iterations must be an integer"));
}

static void test_missing_required_sections_are_named(void)
{
	pp_error err = {0};

	CU_ASSERT_EQUAL(try_create("stages:\n  - optimizer: adam\n    iterations: 1\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "missing required section 'pde:'"));
	CU_ASSERT_EQUAL(try_create("pde:\n  type: burgers\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "missing required section 'stages:'"));
	CU_ASSERT_EQUAL(try_create("pde:\n  type: burgers\nstages:\n  - optimizer: adam\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "e.yaml:4:5: missing required key 'iterations'"));
}

static void test_unknown_plugin_lists_available_ones(void)
{
	pp_error err = {0};

	CU_ASSERT_EQUAL(try_create("pde:\n  type: burgerz\nstages:\n  - optimizer: adam\n    iterations: 1\n", &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "e.yaml:2:9: unknown pde plugin 'burgerz'; available:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "allen_cahn"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "helmholtz"));
	CU_ASSERT_EQUAL(try_create(BASE "analyzers:\n  - type: snrr\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "e.yaml:9:11: unknown analyzer plugin 'snrr'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "snr"));
}

static void test_unknown_term_lists_the_pde_terms(void)
{
	pp_error err = {0};

	CU_ASSERT_EQUAL(try_create("pde:\n  type: burgers\n  terms:\n    boundry: {points: 10}\n"
				   "stages:\n  - optimizer: adam\n    iterations: 1\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "e.yaml:4:14: pde 'burgers' has no term 'boundry'; its terms are: residual, initial, boundary"));
}

static void test_impossible_values_are_refused(void)
{
	pp_error err = {0};

	CU_ASSERT_EQUAL(try_create(BASE "logging:\n  every: 0\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "e.yaml:9:10:"));
	CU_ASSERT_EQUAL(try_create("pde:\n  type: burgers\n  terms:\n    residual: {points: -5}\n"
				   "stages:\n  - optimizer: adam\n    iterations: 1\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "out of range"));
}

/* Inputs the fuzzer found (tests/data/fuzz/): a bad top-level value and a
 * document that is not a map crashed the clean-up (the name pointed into the
 * document or at a stack buffer) before they were errors. */
static void test_fuzzer_found_inputs_are_clean_errors(void)
{
	static const char *const files[] = {"not_a_map.yaml", "bad_threads_value.yaml"};
	char path[4096];
	pp_experiment *exp = NULL;
	pp_error err = {0};

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/tests/data/fuzz/%s", getenv("PP_TEST_SOURCE_ROOT"), files[i]);
		CU_ASSERT_EQUAL(pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err),
				PP_ERR_CONFIG);
		CU_ASSERT_PTR_NULL(exp);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, files[i]));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "threads must be an integer"));
	CU_ASSERT_EQUAL(try_create("- just\n- a list\n", &err), PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(try_create("name: x\nseed: lots\n", &err), PP_ERR_CONFIG);
}

/* Every YAML file of tests/data/fuzz/ (what scripts/fuzz.sh found, minimised)
 * builds or is a clean error; under the sanitizers, without a report. */
static void test_every_fuzzer_found_yaml_is_a_clean_result(void)
{
	char fuzz_dir[4096], path[8192];
	DIR *d;
	struct dirent *e;

	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/tests/data/fuzz", getenv("PP_TEST_SOURCE_ROOT"));
	d = opendir(fuzz_dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		pp_experiment *exp = NULL;
		pp_error err = {0};
		int rc;

		if (n < 6 || strcmp(e->d_name + n - 5, ".yaml"))
			continue;
		snprintf(path, sizeof path, "%s/%s", fuzz_dir, e->d_name);
		rc = pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err);
		CU_ASSERT(rc == PP_OK ? exp != NULL : exp == NULL && err.message[0] != '\0');
		pp_experiment_destroy(exp);
	}
	closedir(d);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"valid file builds every part", test_valid_file_builds_every_part},
		{"unknown top-level key quotes its line", test_unknown_top_level_key_quotes_its_line},
		{"unknown plugin option quotes its line", test_unknown_plugin_option_quotes_its_line},
		{"wrong type quotes its line", test_wrong_type_quotes_its_line},
		{"missing required sections are named", test_missing_required_sections_are_named},
		{"unknown plugin lists available ones", test_unknown_plugin_lists_available_ones},
		{"unknown term lists the pde terms", test_unknown_term_lists_the_pde_terms},
		{"impossible values are refused", test_impossible_values_are_refused},
		{"fuzzer-found inputs are clean errors", test_fuzzer_found_inputs_are_clean_errors},
		{"every fuzzer-found YAML is a clean result", test_every_fuzzer_found_yaml_is_a_clean_result},
		{NULL, NULL},
	};
	pp_error err = {0};
	char plugin_dir[4096];
	int failed;

	if (!mkdtemp(dir))
		return 1;
	snprintf(plugin_dir, sizeof plugin_dir, "%s/plugins", getenv("PP_TEST_BUILD_ROOT"));
	if (pp_registry_create(&reg, &err) || pp_registry_load_dir(reg, plugin_dir, 1, &err)) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	failed = pp_test_run("experiment", cases);
	pp_registry_destroy(reg);
	unlink(write_yaml("e.yaml", ""));
	unlink(write_yaml("ok.yaml", ""));
	rmdir(dir);
	return failed;
}
