/* The command line as people expect it: --help and -h on every subcommand,
 * an unknown plugin that says where it was looked for, YAML tab and
 * indentation mistakes said in words, `reference --grid` spanning the
 * domain, and an installed phasepinn that runs from any prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_command_line_XXXXXX";

static void test_every_subcommand_answers_help_with_its_usage(void)
{
	static const char *const commands[] = {"run", "resume", "check", "compare", "plot",
					       "plugins", "reference", "phases", "bench",
					       "check-plugin"};
	char usage[64];

	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		snprintf(usage, sizeof usage, "usage: phasepinn ");
		for (int form = 0; form < 2; form++) {
			int rc = pp_shell_cli("%s %s", commands[i], form ? "-h" : "--help");
			if (rc != 0)
				printf("\n%s %s exited %d: %s\n", commands[i], form ? "-h" : "--help",
				       rc, pp_shell_output);
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, usage));
			CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, commands[i]));
		}
	}
	/* also after other arguments, and nothing is run */
	CU_ASSERT_EQUAL(pp_shell_cli("run missing.yaml --help"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "usage: phasepinn run"));
}

static void test_an_unknown_plugin_names_the_directories_searched(void)
{
	pp_shell_write("typo.yaml", "pde: {type: burgerz}\nstages: [{optimizer: adam, iterations: 1}]\n");
	pp_shell("mkdir -p mine");
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_PLUGIN_PATH=/no/such/dir \"$PP_TEST_EXE\" --plugin-dir mine check typo.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "unknown pde plugin 'burgerz'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "searched: mine, /no/such/dir (does not exist), "));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, getenv("PP_TEST_BUILD_ROOT")));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "--plugin-dir DIR or PHASEPINN_PLUGIN_PATH="));
}

static void test_yaml_tab_and_indentation_errors_say_so_in_words(void)
{
	pp_shell_write("tab.yaml", "pde:\n  type: burgers\n  terms:\n\tresidual: {points: 10}\n");
	CU_ASSERT_EQUAL(pp_shell_cli("check tab.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "tab.yaml:4:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "a tab character in the indentation of line 4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "spaces"));
	pp_shell_write("indent.yaml", "pde:\n    type: burgers\n  nu: 0.1\n");
	CU_ASSERT_EQUAL(pp_shell_cli("check indent.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "indent.yaml:3:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "bad indentation"));
	pp_shell_write("list.yaml", "stages:\n  - optimizer: adam\n   iterations: 3\n");
	CU_ASSERT_EQUAL(pp_shell_cli("check list.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "list.yaml:3:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "bad indentation"));
}

/* Burgers' classic grid ends at t = 0.99; --grid spans the domain, [0, 1]. */
static void test_reference_grid_spans_the_domain(void)
{
	char *csv, *last;

	pp_shell_write("b.yaml", "pde: {type: burgers}\nstages: [{optimizer: adam, iterations: 1}]\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("reference b.yaml --grid 5x3 --out ref.csv"), 0);
	csv = pp_shell_slurp("ref.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
	CU_ASSERT_EQUAL(strncmp(csv, "x,t,u\n-1,0,", 11), 0);
	csv[strlen(csv) - 1] = '\0';
	last = strrchr(csv, '\n');
	CU_ASSERT_PTR_NOT_NULL_FATAL(last);
	CU_ASSERT_EQUAL(strncmp(last, "\n1,1,", 5), 0);
	CU_ASSERT_PTR_NULL(strstr(csv, ",0.99,"));
}

/* Install into a scratch DESTDIR, move the tree elsewhere (so neither the
 * configured prefix nor the staging path is where it runs), and run the
 * installed program with no library or plugin path set. */
static void test_the_installed_program_runs_from_another_prefix(void)
{
	if (pp_shell("command -v meson >/dev/null") != 0) {
		pp_test_skip("meson is not installed; cannot install to a scratch prefix");
		return;
	}
	if (pp_shell("meson install -C \"$PP_TEST_BUILD_ROOT\" --destdir \"$PWD/stage\" --no-rebuild --quiet >/dev/null 2>&1") != 0) {
		pp_test_skip("meson install into a scratch DESTDIR failed");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(pp_shell("exe=$(find stage -type f -name phasepinn -perm -u+x | head -n 1); "
				       "top=${exe%%/bin/phasepinn}; mv \"$top\" moved && test -x moved/bin/phasepinn"), 0);
	CU_ASSERT_EQUAL(pp_shell("env -u LD_LIBRARY_PATH PHASEPINN_PLUGIN_PATH= moved/bin/phasepinn plugins"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "pde        burgers"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "optimizer  adam"));
	/* and the plugins it lists are the moved installation's */
	pp_shell_write("typo.yaml", "pde: {type: burgerz}\nstages: [{optimizer: adam, iterations: 1}]\n");
	CU_ASSERT_EQUAL(pp_shell("env -u LD_LIBRARY_PATH PHASEPINN_PLUGIN_PATH= moved/bin/phasepinn check typo.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "/moved/"));
	CU_ASSERT_PTR_NULL(strstr(pp_shell_output, getenv("PP_TEST_BUILD_ROOT")));
}

int main(void)
{
	static const pp_test_case tests[] = {
		{"every subcommand answers --help with its usage",
		 test_every_subcommand_answers_help_with_its_usage},
		{"an unknown plugin names the directories searched",
		 test_an_unknown_plugin_names_the_directories_searched},
		{"YAML tab and indentation errors say so in words",
		 test_yaml_tab_and_indentation_errors_say_so_in_words},
		{"reference --grid spans the domain", test_reference_grid_spans_the_domain},
		{"the installed program runs from another prefix",
		 test_the_installed_program_runs_from_another_prefix},
		{NULL, NULL}};
	int rc;

	if (pp_shell_init(dir) != 0) {
		perror(dir);
		return 1;
	}
	rc = pp_test_run("command_line", tests);
	pp_shell_cleanup();
	return rc;
}
