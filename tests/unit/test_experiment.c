/* Experiment files: every kind of bad input is an error that quotes
 * file:line:column, and names what is available where a name was wrong. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* ---- the experiment reader (docs/hardening.md) ---------------------------- */

/* Every section that must be a map, given a scalar or a list: an error at
 * the value with the right form.  Before, each fell back to its defaults
 * (weighting "none", network 50x4, ...) and config.yaml kept the text. */
static void test_a_section_that_is_not_a_map_is_an_error_with_an_example(void)
{
	static const struct {
		const char *yaml, *message;
	} cases[] = {
		{"weighting: rba\n", "e.yaml:8:12: weighting: must be a map, e.g.\n  weighting:\n    type: rba"},
		{"sampling: sobol\n", "e.yaml:8:11: sampling: must be a map, e.g.\n  sampling:\n    method: sobol"},
		{"logging: 250\n", "e.yaml:8:10: logging: must be a map, e.g.\n  logging:\n    every: 250"},
		{"checkpoint: 5\n", "e.yaml:8:13: checkpoint: must be a map, e.g.\n  checkpoint:\n    every: 5"},
		{"weighting:\n", "e.yaml:8:11: weighting: must be a map"},
		{"analyzers:\n  - snr\n", "e.yaml:9:5: analyzers[0]: must be a map, e.g.\n  analyzers:\n    - type: snr"},
	};
	static const struct {
		const char *yaml, *message;
	} whole[] = {
		{"pde:\n  type: burgers\nnetwork: [32, 32]\nstages:\n  - optimizer: adam\n    iterations: 1\n",
		 "e.yaml:3:10: network: must be a map, e.g.\n  network:\n    layers: [32, 32]"},
		{"pde:\n  type: burgers\nnetwork:\n  embedding: fourier\nstages:\n  - optimizer: adam\n    iterations: 1\n",
		 "e.yaml:4:14: network.embedding: must be a map"},
		{"pde:\n  type: burgers\nnetwork:\n  embedding: {periodic: x}\nstages:\n  - optimizer: adam\n    iterations: 1\n",
		 "e.yaml:4:25: network.embedding.periodic: must be a map, e.g.\n  periodic:\n    input: x"},
		{"pde: burgers\nstages:\n  - optimizer: adam\n    iterations: 1\n",
		 "e.yaml:1:6: pde: must be a map, e.g.\n  pde:\n    type: burgers"},
		{"pde:\n  type: burgers\n  terms: {residual: 100}\nstages:\n  - optimizer: adam\n    iterations: 1\n",
		 "e.yaml:3:21: pde.terms.residual: must be a map, e.g.\n  residual:\n    points: 100"},
		{"pde:\n  type: burgers\nstages:\n  - adam\n",
		 "e.yaml:4:5: stages[0]: must be a map, e.g.\n  stages:\n    - optimizer: adam"},
		{"pde:\n  type: burgers\nstages:\n  - optimizer: adam\n    iterations: 1\n    schedule: exponential\n",
		 "e.yaml:6:15: stages[0].schedule: must be a map, e.g.\n  schedule:\n    type: exponential"},
	};
	pp_error err = {0};
	char text[1024];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, BASE "%s", cases[i].yaml);
		CU_ASSERT_EQUAL(try_create(text, &err), PP_ERR_CONFIG);
		if (!strstr(err.message, cases[i].message))
			fprintf(stderr, "case %zu: %s\n", i, err.message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[i].message));
	}
	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
		CU_ASSERT_EQUAL(try_create(whole[i].yaml, &err), PP_ERR_CONFIG);
		if (!strstr(err.message, whole[i].message))
			fprintf(stderr, "whole %zu: %s\n", i, err.message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, whole[i].message));
	}
}

/* compare: a variant's sections replace the base's (pp_config_doc_overlay)
 * and are read by the same getters, so the same errors, quoting the compare
 * file's line. */
static void test_compare_variants_are_held_to_the_same_rules(void)
{
	static const char *const variants[] = {
		"compare:\n  variants:\n    - {name: a, weighting: rba}\n",
		"compare:\n  variants:\n    - {name: a, network: [32, 32]}\n",
		"compare:\n  variants:\n    - {name: ../a}\n",
	};
	static const char *const messages[] = {
		"c.yaml:3:28: weighting: must be a map, e.g.\n  weighting:\n    type: rba",
		"c.yaml:3:26: network: must be a map, e.g.\n  network:\n    layers: [32, 32]",
		"c.yaml:3:14: name: '../a' contains '/'",
	};
	pp_config_doc *base = NULL;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(BASE, strlen(BASE), "base.yaml", &base, &err), PP_OK);
	for (int i = 0; i < 3; i++) {
		pp_config_doc *spec = NULL, *doc = NULL;
		pp_experiment *exp = NULL;
		const pp_config *v;

		CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(variants[i], strlen(variants[i]), "c.yaml",
							  &spec, &err), PP_OK);
		v = pp_config_at(pp_config_get(pp_config_get(pp_config_doc_root(spec), "compare"),
					       "variants"), 0);
		CU_ASSERT_EQUAL_FATAL(pp_config_doc_overlay(base, v, &doc, &err), PP_OK);
		CU_ASSERT_EQUAL(pp_experiment_create_doc(doc, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err),
				PP_ERR_CONFIG);
		if (!strstr(err.message, messages[i]))
			fprintf(stderr, "variant %d: %s\n", i, err.message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, messages[i]));
		pp_config_doc_destroy(spec);
	}
	pp_config_doc_destroy(base);
}

/* name: names runs/<name>; `name: ../../../x` wrote outside runs/. */
static void test_name_is_a_name_not_a_path(void)
{
	static const char *const names[] = {"../../../x", "\"\"", "a/b", ".", "..", "/abs", "\"a\\tb\""};
	pp_error err = {0};
	char text[1024];

	for (int i = 0; i < 7; i++) {
		snprintf(text, sizeof text, BASE "name: %s\n", names[i]);
		CU_ASSERT_EQUAL(try_create(text, &err), PP_ERR_CONFIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "e.yaml:8:7: name: '"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not a path"));
	}
	CU_ASSERT_EQUAL(try_create(BASE "name: allen_cahn-rba.v2\n", &err), PP_OK);
}

static void test_a_directory_as_the_experiment_file_says_so(void)
{
	pp_experiment *exp = NULL;
	pp_error err = {0};

	CU_ASSERT_EQUAL(pp_experiment_create(dir, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "is a directory; give the experiment's .yaml file"));
}

/* config.yaml of @exp into a malloc'ed string. */
static char *config_text(const pp_experiment *exp)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CU_ASSERT_EQUAL(pp_experiment_write_config(exp, f), PP_OK);
	fclose(f);
	return text;
}

/* --output reaches the experiment as its run directory; config.yaml said
 * `output: runs/<name>  # default` all the same. */
static void test_config_yaml_records_the_output_actually_used(void)
{
	static const char *const files[] = {BASE, BASE "output: somewhere/else\n"};
	pp_error err = {0};

	for (int i = 0; i < 2; i++) {
		pp_experiment *exp = NULL;
		char *text;

		CU_ASSERT_EQUAL_FATAL(pp_experiment_create(write_yaml("e.yaml", files[i]), reg, "/tmp/given out",
							   PP_EXPERIMENT_CHECK, &exp, &err), PP_OK);
		CU_ASSERT_STRING_EQUAL(exp->run_dir, "/tmp/given out");
		text = config_text(exp);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "\noutput: /tmp/given out  # given on the command line\n"));
		CU_ASSERT_PTR_NULL(strstr(text, "runs/"));
		CU_ASSERT_PTR_NULL(strstr(text, "somewhere"));
		free(text);
		pp_experiment_destroy(exp);
	}
}

/* Keys plugins read as lists, and the per-term settings the PDE gives:
 * config.yaml lacked homogeneity.bins, error.grid, burgers' x and t, the
 * weighting's terms and the stages' schedule. */
static void test_config_yaml_records_list_defaults_of_every_plugin(void)
{
	static const char *const expected[] = {
		"    type: homogeneity\n    every: 100  # default\n    bins: [10, 10]  # default\n",
		"    type: error\n    every: 100  # default\n    grid: [256, 100]  # default\n",
		"  x: [-1, 1]  # default\n  t: [0, 1]  # default\n",
		"    initial:\n      points: 256  # default\n",
		"  terms: [residual]  # default\n",
		"    schedule:\n      type: constant  # default\n",
	};
	pp_experiment *exp = NULL;
	pp_error err = {0};
	char *text;

	CU_ASSERT_EQUAL_FATAL(pp_experiment_create(write_yaml("e.yaml", BASE "weighting: {type: rba}\n"
							      "analyzers:\n  - type: homogeneity\n  - type: error\n"),
						   reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err), PP_OK);
	text = config_text(exp);
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
		if (!strstr(text, expected[i]))
			fprintf(stderr, "missing from config.yaml: %s\n---\n%s", expected[i], text);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, expected[i]));
	}
	free(text);
	pp_experiment_destroy(exp);
}

/* Keys a reader may ask for and find absent without a default, because
 * absence is the setting: no embedding; width/depth when layers: is given
 * (and the reverse); the keys of other schedule types. */
static int absent_without_default_is_fine(const char *path)
{
	static const char *const fine[] = {
		"network.embedding", "network.embedding.periodic", "network.embedding.random_fourier",
		"network.layers", "network.width", "network.depth",
		/* pirate's, looked up by the others only to refuse it */
		"network.blocks",
		/* optional: no figures: means the plot command's defaults */
		"figures",
		/* optional: no hard: means no hard constraint */
		"network.hard",
		/* optional: no weight column in the observations */
		"data.weight",
		/* optional: no adaptive: means no adaptive sampling; add: is
		 * rar_d's, asked of rad only to refuse it */
		"sampling.adaptive", "sampling.adaptive.add",
		/* optional: no validation: means no validation points */
		"validation",
		"stages[].schedule.rate", "stages[].schedule.every", "stages[].schedule.staircase",
		"stages[].schedule.min_lr",
		/* optional: an absent stop: or rule is off, nothing to record */
		"stages[].stop", "stages[].stop.loss_below", "stages[].stop.rel_change_below",
		"stages[].stop.wall_time", "stages[].stop.metric_below", "stages[].stop.error_below",
	};

	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
		if (strcmp(path, fine[i]) == 0)
			return 1;
	return 0;
}

/* The fields that make two experiments the same run. */
static void assert_same_experiment(const pp_experiment *a, const pp_experiment *b, const char *label)
{
	int same = strcmp(a->name, b->name) == 0 && a->seed == b->seed && a->threads == b->threads &&
		   strcmp(a->run_dir, b->run_dir) == 0 && a->log_every == b->log_every &&
		   a->plot == b->plot && a->checkpoint_every == b->checkpoint_every &&
		   a->checkpoint_keep == b->checkpoint_keep && a->checkpoint_at_end == b->checkpoint_at_end &&
		   a->pde_plugin == b->pde_plugin && a->n_terms == b->n_terms &&
		   strcmp(pp_network_describe(a->net), pp_network_describe(b->net)) == 0 &&
		   a->sampler == b->sampler && a->resample_every == b->resample_every &&
		   !memcmp(&a->adaptive, &b->adaptive, sizeof a->adaptive) &&
		   a->batch_points == b->batch_points && a->weighting_plugin == b->weighting_plugin &&
		   a->n_stages == b->n_stages && a->total_iterations == b->total_iterations &&
		   a->n_analyzers == b->n_analyzers;

	for (int k = 0; same && k < a->n_terms; k++)
		same = a->terms[k].pde_term == b->terms[k].pde_term &&
		       a->terms[k].points == b->terms[k].points && a->terms[k].weight == b->terms[k].weight;
	for (int k = 0; same && k < a->n_stages; k++)
		same = a->stages[k].plugin == b->stages[k].plugin &&
		       a->stages[k].iterations == b->stages[k].iterations &&
		       a->stages[k].stop.loss_below == b->stages[k].stop.loss_below &&
		       a->stages[k].stop.rel_change_below == b->stages[k].stop.rel_change_below &&
		       a->stages[k].stop.wall_time == b->stages[k].stop.wall_time &&
		       a->stages[k].stop.metric_below == b->stages[k].stop.metric_below &&
		       strcmp(a->stages[k].stop.metric_column, b->stages[k].stop.metric_column) == 0;
	for (int k = 0; same && k < a->n_analyzers; k++)
		same = a->analyzers[k].plugin == b->analyzers[k].plugin &&
		       a->analyzers[k].every == b->analyzers[k].every;
	for (size_t i = 0; same && i < pp_network_param_count(a->net); i++)
		same = pp_network_params_const(a->net)[i] == pp_network_params_const(b->net)[i];
	if (!same)
		fprintf(stderr, "%s: read back, config.yaml builds another experiment\n", label);
	CU_ASSERT_TRUE(same);
}

/* config.yaml without its header line and the comments the writer adds. */
static char *strip_comments(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	const char *line = strchr(text, '\n') ? strchr(text, '\n') + 1 : text;

	while (*line) {
		const char *end = strchr(line, '\n'), *hash;
		size_t n = end ? (size_t)(end - line) : strlen(line);

		hash = strstr(line, "  # ");
		if (hash && hash < line + n)
			n = (size_t)(hash - line);
		memcpy(o, line, n);
		o += n;
		*o++ = '\n';
		line += end ? (size_t)(end - line) + 1 : strlen(line);
	}
	*o = '\0';
	return out;
}

/* Build @doc, write its config.yaml, read that back and build it: the same
 * experiment, the same text (a fixed point), and no default left to take. */
static void assert_config_yaml_is_a_fixed_point(pp_config_doc *doc, const char *label)
{
	pp_experiment *a = NULL, *b = NULL;
	pp_config_doc *again = NULL;
	pp_error err = {0};
	char *t1 = NULL, *t2 = NULL, *s1, *s2, *unrecorded = NULL, *line;
	size_t len = 0;
	FILE *f;

	if (pp_experiment_create_doc(doc, reg, NULL, PP_EXPERIMENT_CHECK, &a, &err)) {
		fprintf(stderr, "%s: %s\n", label, err.message);
		CU_FAIL("a shipped config does not build");
		return;
	}
	f = open_memstream(&unrecorded, &len);
	pp_config_list_unrecorded(a->root, f);
	fclose(f);
	for (line = strtok(unrecorded, "\n"); line; line = strtok(NULL, "\n")) {
		if (!absent_without_default_is_fine(line))
			fprintf(stderr, "%s: '%s' took a default config.yaml does not record\n", label, line);
		CU_ASSERT_TRUE(absent_without_default_is_fine(line));
	}
	free(unrecorded);
	t1 = config_text(a);
	CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(t1, strlen(t1), "config.yaml", &again, &err), PP_OK);
	if (pp_experiment_create_doc(again, reg, NULL, PP_EXPERIMENT_CHECK, &b, &err) == PP_OK) {
		t2 = config_text(b);
		s1 = strip_comments(t1);
		s2 = strip_comments(t2);
		if (strcmp(s1, s2))
			fprintf(stderr, "%s: config.yaml changes when read back:\n%s---\n%s", label, s1, s2);
		CU_ASSERT_STRING_EQUAL(s1, s2);
		CU_ASSERT_PTR_NULL(strstr(t2, "# default"));
		assert_same_experiment(a, b, label);
		free(s1);
		free(s2);
	} else {
		fprintf(stderr, "%s: its config.yaml does not build: %s\n", label, err.message);
		CU_FAIL("config.yaml does not build");
	}
	free(t1);
	free(t2);
	pp_experiment_destroy(a);
	pp_experiment_destroy(b);
}

/* A shipped file as a document.  The Allen-Cahn reference solve at its
 * shipped resolution takes 5 s a build (minutes under the sanitizers); a
 * coarse one (64 modes, dt 1e-3) reads the same keys, in milliseconds. */
static pp_config_doc *load_shipped(const char *path)
{
	static const char *const ac = "  type: allen_cahn\n";
	FILE *f = fopen(path, "rb");
	char *text = NULL, *buf, *at;
	long size;
	pp_config_doc *doc = NULL;
	pp_error err = {0};

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc((size_t)size + 1, 1);
	buf = malloc((size_t)size + 256);
	if (text && buf && fread(text, 1, (size_t)size, f) == (size_t)size) {
		at = strstr(text, ac);
		if (at)
			sprintf(buf, "%.*s%s  reference_modes: 64\n  reference_dt: 0.001\n%s",
				(int)(at - text), text, ac, at + strlen(ac));
		else
			strcpy(buf, text);
		if (pp_config_doc_parse(buf, strlen(buf), path, &doc, &err))
			fprintf(stderr, "%s\n", err.message);
	}
	fclose(f);
	free(text);
	free(buf);
	return doc;
}

/* A compare file: each variant over its base. */
static void check_compare_file(pp_config_doc *spec, const char *path)
{
	const pp_config *cmp = pp_config_get(pp_config_doc_root(spec), "compare");
	const pp_config *variants = pp_config_get(cmp, "variants");
	const char *base = pp_config_text(pp_config_get(cmp, "base"));
	char base_path[8192], label[8400];
	pp_config_doc *base_doc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(base);
	snprintf(base_path, sizeof base_path, "%.*s/%s", (int)(strrchr(path, '/') - path), path, base);
	base_doc = load_shipped(base_path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(base_doc);
	for (size_t i = 0; i < pp_config_size(variants); i++) {
		pp_config_doc *doc = NULL;
		pp_error err = {0};

		snprintf(label, sizeof label, "%s, variant %zu", path, i);
		CU_ASSERT_EQUAL_FATAL(pp_config_doc_overlay(base_doc, pp_config_at(variants, i), &doc, &err),
				      PP_OK);
		assert_config_yaml_is_a_fixed_point(doc, label);
	}
	pp_config_doc_destroy(base_doc);
}

/* Without asking for the key (which would mark it known). */
static int has_top_level_key(const pp_config_doc *doc, const char *key)
{
	const pp_config *root = pp_config_doc_root(doc);

	for (size_t i = 0; i < pp_config_size(root); i++)
		if (strcmp(pp_config_key_at(root, i), key) == 0)
			return 1;
	return 0;
}

static int check_shipped_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char file[8192];
	int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d))) {
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof file, "%s/%s", path, e->d_name);
		if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
			n += check_shipped_dir(file);
		} else if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) {
			pp_config_doc *doc = load_shipped(file);

			CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
			if (has_top_level_key(doc, "compare")) {
				check_compare_file(doc, file);
				pp_config_doc_destroy(doc);
			} else {
				assert_config_yaml_is_a_fixed_point(doc, file);
			}
			n++;
		}
	}
	closedir(d);
	return n;
}

/* configs/ holds what users start from: each one's config.yaml, read
 * back, is the same experiment and the same text, and every default any
 * plugin took is in it. */
static void test_every_shipped_config_yaml_reads_back_as_the_same_experiment(void)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/configs", getenv("PP_TEST_SOURCE_ROOT"));
	CU_ASSERT(check_shipped_dir(path) >= 10);
}

/* Layers of 65536 took 27 s and 3 GB in `check` before failing or
 * passing; the size is now computed from the numbers, at the network:
 * line, before anything is allocated. */
static void test_impossible_network_sizes_are_refused_from_the_numbers(void)
{
	static const char *const nets[] = {
		"network:\n  layers: [65536, 65536]\n",
		"network:\n  width: 65536\n",
		"network:\n  layers: [65536]\n",        /* activations of 10,512 points */
		"network: {width: 4000, depth: 2}\n",   /* 16 million parameters */
	};
	static const char *const messages[] = {
		"e.yaml:3:1: network: 4295294977 parameters, more than the limit of 10000000",
		"e.yaml:3:1: network: 12885360641 parameters",
		"e.yaml:3:1: network: 262145 parameters with the activations of 10512 points need about",
		"e.yaml:3:1: network: 16020001 parameters",
	};
	pp_error err = {0};
	char text[1024];

	for (int i = 0; i < 4; i++) {
		struct timespec t0, t1;

		snprintf(text, sizeof text, "pde:\n  type: burgers\n%sstages:\n  - optimizer: lbfgs\n    iterations: 1\n",
			 nets[i]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CU_ASSERT_EQUAL(try_create(text, &err), PP_ERR_CONFIG);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!strstr(err.message, messages[i]))
			fprintf(stderr, "net %d: %s\n", i, err.message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, messages[i]));
		/* milliseconds; 1 s leaves a margin for the sanitizers */
		CU_ASSERT((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec) < 1.0);
	}
	/* the shipped sizes stay well inside */
	CU_ASSERT_EQUAL(try_create("pde:\n  type: burgers\nnetwork: {width: 128, depth: 6}\n"
				   "stages:\n  - optimizer: adam\n    iterations: 1\n", &err), PP_OK);
}

/* The reader's own inputs in tests/data/fuzz/, each with its message. */
static void test_reader_seeds_are_refused_with_their_messages(void)
{
	static const struct {
		const char *file, *message;
	} seeds[] = {
		{"reader_weighting_scalar.yaml", "weighting: must be a map"},
		{"reader_network_list.yaml", "network: must be a map"},
		{"reader_embedding_scalar.yaml", "network.embedding: must be a map"},
		{"reader_second_document.yaml", "a second YAML document"},
		{"reader_billion_laughs.yaml", "beyond 100000 nodes"},
		{"reader_deep_flow.yaml", "nesting deeper than 64 levels"},
		{"reader_deep_block.yaml", "nesting deeper than 64 levels"},
		{"reader_name_path.yaml", "not a path"},
		{"reader_wide_network.yaml", "parameters, more than the limit"},
	};
	char path[4096];

	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		pp_experiment *exp = NULL;
		pp_error err = {0};

		snprintf(path, sizeof path, "%s/tests/data/fuzz/%s", getenv("PP_TEST_SOURCE_ROOT"),
			 seeds[i].file);
		CU_ASSERT_EQUAL(pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err),
				PP_ERR_CONFIG);
		if (!strstr(err.message, seeds[i].message))
			fprintf(stderr, "%s: %s\n", seeds[i].file, err.message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, seeds[i].file));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, seeds[i].message));
	}
}

/* stop: rules, the generic metric form and the error_below shorthand,
 * survive config.yaml and build the same stages. */
static void test_stop_rules_read_back_from_config_yaml(void)
{
	static const char *text =
		"pde:\n  type: burgers\nnetwork:\n  layers: [8]\noutput: out_stop\n"
		"analyzers:\n  - {type: error, every: 10}\nstages:\n"
		"  - optimizer: adam\n    iterations: 10\n"
		"    stop: {loss_below: 1.0e-6, rel_change_below: 1.0e-9, wall_time: 600, error_below: 1.0e-3}\n"
		"  - optimizer: lbfgs\n    iterations: 5\n"
		"    stop:\n      metric_below: {column: error_max, value: 0.5}\n";
	pp_config_doc *doc = NULL;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(text, strlen(text), "stop.yaml", &doc, &err), PP_OK);
	assert_config_yaml_is_a_fixed_point(doc, "stop rules");
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
		{"a section that is not a map is an error with an example", test_a_section_that_is_not_a_map_is_an_error_with_an_example},
		{"compare variants are held to the same rules", test_compare_variants_are_held_to_the_same_rules},
		{"name is a name, not a path", test_name_is_a_name_not_a_path},
		{"a directory as the experiment file says so", test_a_directory_as_the_experiment_file_says_so},
		{"config.yaml records the output actually used", test_config_yaml_records_the_output_actually_used},
		{"config.yaml records list defaults of every plugin", test_config_yaml_records_list_defaults_of_every_plugin},
		{"every shipped config.yaml reads back as the same experiment", test_every_shipped_config_yaml_reads_back_as_the_same_experiment},
		{"stop rules read back from config.yaml", test_stop_rules_read_back_from_config_yaml},
		{"impossible network sizes are refused from the numbers", test_impossible_network_sizes_are_refused_from_the_numbers},
		{"reader seeds are refused with their messages", test_reader_seeds_are_refused_with_their_messages},
		{NULL, NULL},
	};
	int failed;

	if (!mkdtemp(dir))
		return 1;
	reg = pp_test_registry();
	failed = pp_test_run("experiment", cases);
	unlink(write_yaml("e.yaml", ""));
	unlink(write_yaml("ok.yaml", ""));
	rmdir(dir);
	return failed;
}
