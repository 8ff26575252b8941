/* Loader: good plugins load, broken ones are refused with a useful message,
 * files that are no shared object are skipped, the core reads its own copy
 * of each ops table, and what plugins declare is bounded. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/analyzer.h>

#include "core/registry.h"
#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_registry_XXXXXX";

static char path_buf[4096];

static const char *test_plugin_path(const char *name)
{
	snprintf(path_buf, sizeof path_buf, "%s/%s.so", getenv("PP_TEST_PLUGIN_DIR"), name);
	return path_buf;
}

static int load(pp_registry *reg, const char *name, pp_error *err)
{
	return pp_registry_load_file(reg, test_plugin_path(name), err);
}

static void test_good_plugin_loads_and_is_found_by_kind_and_name(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(pp_registry_create(&reg, &err), PP_OK);
	CU_ASSERT_EQUAL(load(reg, "good_pde", &err), PP_OK);
	CU_ASSERT_EQUAL(pp_registry_count(reg), 1);
	CU_ASSERT_PTR_NOT_NULL(pp_registry_find(reg, PP_KIND_PDE, "good_pde"));
	CU_ASSERT_PTR_NULL(pp_registry_find(reg, PP_KIND_OPTIMIZER, "good_pde"));
	pp_registry_destroy(reg);
}

static void test_wrong_abi_is_refused_naming_both_versions(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};

	pp_registry_create(&reg, &err);
	CU_ASSERT_EQUAL(load(reg, "wrong_abi", &err), PP_ERR_PLUGIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ABI version 999"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "rebuild"));
	CU_ASSERT_EQUAL(pp_registry_count(reg), 0);
	pp_registry_destroy(reg);
}

static void test_missing_entry_symbol_is_refused(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};

	pp_registry_create(&reg, &err);
	CU_ASSERT_EQUAL(load(reg, "no_symbol", &err), PP_ERR_PLUGIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "pp_plugin_entry"));
	pp_registry_destroy(reg);
}

static void test_duplicate_name_is_rejected_naming_both_files(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};

	pp_registry_create(&reg, &err);
	CU_ASSERT_EQUAL(load(reg, "good_pde", &err), PP_OK);
	CU_ASSERT_EQUAL(load(reg, "duplicate_pde", &err), PP_ERR_PLUGIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "duplicate pde plugin 'good_pde'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "duplicate_pde.so"));
	CU_ASSERT_EQUAL(pp_registry_count(reg), 1);
	pp_registry_destroy(reg);
}

static void test_plugin_without_required_ops_is_refused(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};

	pp_registry_create(&reg, &err);
	CU_ASSERT_EQUAL(load(reg, "missing_ops", &err), PP_ERR_PLUGIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "residual"));
	pp_registry_destroy(reg);
}

static void test_missing_file_is_refused_naming_it(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};

	pp_registry_create(&reg, &err);
	CU_ASSERT_EQUAL(pp_registry_load_file(reg, "/nonexistent/x.so", &err), PP_ERR_PLUGIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "/nonexistent/x.so: No such file"));
	CU_ASSERT_EQUAL(pp_registry_load_dir(reg, "/nonexistent", 1, &err), PP_ERR_IO);
	CU_ASSERT_EQUAL(pp_registry_load_dir(reg, "/nonexistent", 0, &err), PP_OK);
	pp_registry_destroy(reg);
}

static void test_unknown_name_lists_what_is_available(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};

	pp_registry_create(&reg, &err);
	load(reg, "good_pde", &err);
	CU_ASSERT_PTR_NULL(pp_registry_require(reg, PP_KIND_PDE, "burgerz", &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "unknown pde plugin 'burgerz'; available: good_pde"));
	pp_registry_destroy(reg);
}

static void test_default_search_finds_built_in_plugins_of_every_kind(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};
	int kinds[5] = {0};

	pp_registry_create(&reg, &err);
	CU_ASSERT_EQUAL(pp_registry_load_default(reg, NULL, 0, &err), PP_OK);
	for (size_t i = 0; i < pp_registry_count(reg); i++)
		kinds[pp_registry_at(reg, i)->kind]++;
	for (int k = PP_KIND_PDE; k <= PP_KIND_ANALYZER; k++)
		CU_ASSERT(kinds[k] > 0);
	pp_registry_destroy(reg);
}

/* A plugin directory with a good plugin, a copy of a real plugin cut in
 * half (dlopen maps its segments past the end of the file: SIGBUS on the
 * first touch) and a text file named x.so.  The two are skipped and noted,
 * the good one loads; loading either directly is an error naming it. */
static void test_truncated_or_non_elf_so_is_skipped_and_noted(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};
	const char *first, *second;
	char bad[4200], half[4300];

	CU_ASSERT_EQUAL_FATAL(pp_shell("rm -rf bad && mkdir bad && cp \"$PP_TEST_PLUGIN_DIR/good_pde.so\" bad/ && "
				       "head -c $(( $(stat -c %%s bad/good_pde.so) / 2 )) "
				       "  \"$PP_TEST_PLUGIN_DIR/duplicate_pde.so\" > bad/half.so && "
				       "echo 'not a plugin' > bad/x.so"), 0);
	snprintf(bad, sizeof bad, "%s/bad", dir);
	snprintf(half, sizeof half, "%s/half.so", bad);
	pp_registry_create(&reg, &err);
	CU_ASSERT_EQUAL(pp_registry_load_dir(reg, bad, 1, &err), PP_OK);
	if (err.message[0])
		printf("\n  %s\n", err.message);
	CU_ASSERT_EQUAL(pp_registry_count(reg), 1);
	CU_ASSERT_PTR_NOT_NULL(pp_registry_find(reg, PP_KIND_PDE, "good_pde"));
	CU_ASSERT_EQUAL_FATAL(pp_registry_skipped_count(reg), 2);
	first = pp_registry_skipped_at(reg, 0);    /* sorted: half.so, x.so */
	second = pp_registry_skipped_at(reg, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(first, "bad/half.so is not a loadable plugin: truncated"));
	CU_ASSERT_PTR_NOT_NULL(strstr(second, "bad/x.so is not a loadable plugin: not an ELF file"));
	CU_ASSERT_PTR_NULL(pp_registry_skipped_at(reg, 2));
	/* an experiment naming a missing plugin hears about the skipped files */
	CU_ASSERT_PTR_NULL(pp_registry_require(reg, PP_KIND_PDE, "half", &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "2 file(s) on the plugin path were skipped, the first: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, half));
	CU_ASSERT_EQUAL(pp_registry_load_file(reg, half, &err), PP_ERR_PLUGIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "bad/half.so is not a loadable plugin"));
	CU_ASSERT_EQUAL(pp_registry_load_file(reg, bad, &err), PP_ERR_PLUGIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not a regular file"));
	pp_registry_destroy(reg);
}

/* Every command, not only the loader: `phasepinn plugins` with those files
 * on the plugin path lists the rest and warns (before: SIGBUS, exit 135). */
static void test_every_command_survives_a_broken_so_on_the_plugin_path(void)
{
	CU_ASSERT_EQUAL_FATAL(pp_shell("rm -rf bad2 && mkdir bad2 && "
				       "head -c $(( $(stat -c %%s \"$PP_TEST_PLUGIN_DIR/good_pde.so\") / 2 )) "
				       "  \"$PP_TEST_PLUGIN_DIR/good_pde.so\" > bad2/half.so && "
				       "echo 'not a plugin' > bad2/x.so"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("--plugin-dir bad2 plugins"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "burgers"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "bad2/half.so is not a loadable plugin: truncated"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "bad2/x.so is not a loadable plugin"));
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_PLUGIN_PATH=bad2 \"$PP_TEST_EXE\" plugins"), 0);
}

/* short_analyzer's struct_size ends before finish; the fields after it, in
 * memory, are functions that fail.  The registry's table is the core's full
 * size with those fields zero, so nobody can call them. */
static void test_ops_are_copied_into_a_zeroed_full_size_table(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};
	const pp_plugin *p;
	const pp_analyzer_ops *ops;
	char path[4096];

	snprintf(path, sizeof path, "%s/contract/short_analyzer.so", getenv("PP_TEST_PLUGIN_DIR"));
	pp_registry_create(&reg, &err);
	CU_ASSERT_EQUAL_FATAL(pp_registry_load_file(reg, path, &err), PP_OK);
	p = pp_registry_find(reg, PP_KIND_ANALYZER, "short_analyzer");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	ops = p->ops;
	CU_ASSERT_EQUAL(ops->struct_size, sizeof(pp_analyzer_ops));
	CU_ASSERT_PTR_NOT_NULL(ops->create);
	CU_ASSERT_PTR_NOT_NULL(ops->observe);
	CU_ASSERT_PTR_NULL(ops->finish);
	CU_ASSERT_PTR_NULL(ops->save);
	CU_ASSERT_PTR_NULL(ops->load);
	CU_ASSERT_PTR_NULL(ops->chunk_count);
	pp_registry_destroy(reg);
}

#define CONTRACT "--plugin-dir \"$PP_TEST_PLUGIN_DIR/contract\" "

/* And a whole run with it: the absent finish is not called. */
static void test_a_short_ops_table_runs_without_its_absent_fields(void)
{
	pp_shell_write("short.yaml",
		       "pde: {type: burgers, terms: {residual: {points: 50}}}\n"
		       "network: {layers: [8]}\nstages: [{optimizer: adam, iterations: 5}]\n"
		       "analyzers: [{type: short_analyzer, every: 1}]\nlogging: {plot: false}\n");
	CU_ASSERT_EQUAL(pp_shell_cli(CONTRACT "run short.yaml --output short --quiet"), 0);
	CU_ASSERT_PTR_NULL(strstr(pp_shell_output, "past struct_size"));
	CU_ASSERT_EQUAL(pp_shell("grep -q '\"status\": \"completed\"' short/summary.json"), 0);
}

/* 300 columns would overrun the 256-value metrics row observe() fills. */
static void test_an_analyzer_with_300_columns_is_refused_by_check(void)
{
	pp_shell_write("wide.yaml",
		       "pde: {type: burgers}\nnetwork: {layers: [8]}\n"
		       "stages: [{optimizer: adam, iterations: 5}]\n"
		       "analyzers: [{type: wide_analyzer, every: 1}]\n");
	CU_ASSERT_EQUAL(pp_shell_cli(CONTRACT "check wide.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output,
				      "analyzer 'wide_analyzer' declares 300 metric columns; a metrics row holds at most 256"));
	/* under the per-analyzer bound but over the row with the fixed and
	 * term columns: refused before the first step, no row is written */
	pp_shell_write("wide250.yaml",
		       "pde: {type: burgers}\nnetwork: {layers: [8]}\n"
		       "stages: [{optimizer: adam, iterations: 5}]\n"
		       "analyzers: [{type: wide_analyzer, every: 1, columns: 250}]\n"
		       "logging: {plot: false}\n");
	CU_ASSERT_EQUAL(pp_shell_cli(CONTRACT "run wide250.yaml --output wide250 --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "the metrics row would have 261 columns"));
}

/* describe() without time_input and periodic_input: "none", so the network
 * gets the plain 2 input features, not a periodic embedding of x (3). */
static void test_a_pde_that_forgets_time_and_periodic_inputs_gets_none(void)
{
	pp_shell_write("forgetful.yaml",
		       "pde: {type: forgetful_pde}\nnetwork: {layers: [8]}\n"
		       "stages: [{optimizer: adam, iterations: 5}]\n");
	CU_ASSERT_EQUAL(pp_shell_cli(CONTRACT "check forgetful.yaml"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "network 2-[8 tanh]-1, 2 features"));
	/* and a scheme that needs a time input says there is none */
	pp_shell_write("forgetful_causal.yaml",
		       "pde: {type: forgetful_pde}\nnetwork: {layers: [8]}\nweighting: {type: causal}\n"
		       "stages: [{optimizer: adam, iterations: 5}]\n");
	CU_ASSERT_EQUAL(pp_shell_cli(CONTRACT "check forgetful_causal.yaml"), 2);
}

/* Contract v2's declarations: an output the PDE does not have, a
 * coefficient without a name. */
static void test_contract_v2_declarations_are_checked(void)
{
	pp_shell_write("badout.yaml",
		       "pde: {type: forgetful_pde, bad_output: true}\nnetwork: {layers: [8]}\n"
		       "stages: [{optimizer: adam, iterations: 5}]\n");
	CU_ASSERT_EQUAL(pp_shell_cli(CONTRACT "check badout.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output,
				      "pde 'forgetful_pde', term 'residual': channel 0 reads output 1, but the PDE has 1 output(s)"));
	pp_shell_write("badcoef.yaml",
		       "pde: {type: forgetful_pde, bad_coefficient: true}\nnetwork: {layers: [8]}\n"
		       "stages: [{optimizer: adam, iterations: 5}]\n");
	CU_ASSERT_EQUAL(pp_shell_cli(CONTRACT "check badcoef.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output,
				      "pde 'forgetful_pde': coefficient 0 needs a name and a finite value"));
}

static void test_a_channel_asking_for_a_missing_input_is_caught_by_check(void)
{
	pp_shell_write("badchannel.yaml",
		       "pde: {type: forgetful_pde, bad_channel: true}\nnetwork: {layers: [8]}\n"
		       "stages: [{optimizer: adam, iterations: 5}]\n");
	CU_ASSERT_EQUAL(pp_shell_cli(CONTRACT "check badchannel.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output,
				      "pde 'forgetful_pde', term 'residual': channel 1 asks for derivative order 2 in inputs (0, 5), but the PDE has 2 input(s)"));
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"good plugin loads and is found by kind and name", test_good_plugin_loads_and_is_found_by_kind_and_name},
		{"wrong ABI is refused naming both versions", test_wrong_abi_is_refused_naming_both_versions},
		{"missing entry symbol is refused", test_missing_entry_symbol_is_refused},
		{"duplicate name is rejected naming both files", test_duplicate_name_is_rejected_naming_both_files},
		{"plugin without required ops is refused", test_plugin_without_required_ops_is_refused},
		{"missing file is refused naming it", test_missing_file_is_refused_naming_it},
		{"unknown name lists what is available", test_unknown_name_lists_what_is_available},
		{"default search finds built-in plugins of every kind", test_default_search_finds_built_in_plugins_of_every_kind},
		{"a truncated or non-ELF .so is skipped and noted", test_truncated_or_non_elf_so_is_skipped_and_noted},
		{"every command survives a broken .so on the plugin path", test_every_command_survives_a_broken_so_on_the_plugin_path},
		{"ops are copied into a zeroed full-size table", test_ops_are_copied_into_a_zeroed_full_size_table},
		{"a short ops table runs without its absent fields", test_a_short_ops_table_runs_without_its_absent_fields},
		{"an analyzer with 300 columns is refused by check", test_an_analyzer_with_300_columns_is_refused_by_check},
		{"a PDE that forgets time and periodic inputs gets none", test_a_pde_that_forgets_time_and_periodic_inputs_gets_none},
		{"a channel asking for a missing input is caught by check", test_a_channel_asking_for_a_missing_input_is_caught_by_check},
		{"contract v2 declarations are checked", test_contract_v2_declarations_are_checked},
		{NULL, NULL},
	};
	int rc;

	if (pp_shell_init(dir) != 0) {
		perror(dir);
		return 1;
	}
	rc = pp_test_run("registry", cases);
	if (rc == 0)
		pp_shell_cleanup();
	return rc;
}
