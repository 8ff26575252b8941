/* `phasepinn check-plugin`: every built-in PDE plugin passes, and a plugin
 * with one deliberate mistake (tests/plugins/broken/) fails with the check
 * that caught it named: the term and channel of a wrong Jacobian entry, the
 * term whose residual a wrong reference does not solve, the name used twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_check_plugin_XXXXXX";

static void test_every_built_in_pde_plugin_passes(void)
{
	char names[32][32], *line;
	int n = 0;

	/* every pde the program lists, so a new plugin is checked too */
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("plugins"), 0);
	for (line = pp_shell_output; line && *line && n < 32; line = strchr(line, '\n'), line += !!line)
		if (sscanf(line, "pde %31s", names[n]) == 1)
			n++;
	CU_ASSERT(n >= 9);
	for (int i = 0; i < n; i++) {
		int rc = pp_shell_cli("check-plugin %s", names[i]);
		if (rc != 0 || !strstr(pp_shell_output, " 0 failed"))
			printf("\ncheck-plugin %s exited %d:\n%s\n", names[i], rc, pp_shell_output);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_PTR_NULL(strstr(pp_shell_output, "FAIL"));
		CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "PASS  term '"));
	}
}

static void test_a_wrong_jacobian_entry_fails_naming_the_term_and_channel(void)
{
	const char *fail;

	CU_ASSERT_EQUAL(pp_shell_cli("check-plugin \"$PP_TEST_PLUGIN_DIR/broken/broken_jacobian_pde.so\""), 1);
	fail = strstr(pp_shell_output, "FAIL  term 'residual': dr: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fail);
	CU_ASSERT(strstr(fail, "channel u_xx") && strstr(fail, "channel u_xx") < strchr(fail, '\n'));
	/* the other terms and the reference are right, and say so */
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "PASS  term 'initial'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "PASS  reference, term 'residual'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "1 failed"));
}

static void test_a_wrong_reference_fails_the_reference_check(void)
{
	CU_ASSERT_EQUAL(pp_shell_cli("check-plugin \"$PP_TEST_PLUGIN_DIR/broken/broken_reference_pde.so\""), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "FAIL  reference, term 'residual'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "PASS  term 'residual': dr"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "1 failed"));
}

static void test_two_terms_of_one_name_fail_the_declarations(void)
{
	CU_ASSERT_EQUAL(pp_shell_cli("check-plugin \"$PP_TEST_PLUGIN_DIR/broken/broken_names_pde.so\""), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "FAIL  declarations: two terms are named 'initial'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "PASS  term 'residual': dr"));
}

static void test_a_plugin_is_found_by_name_in_its_plugin_dir(void)
{
	CU_ASSERT_EQUAL(pp_shell_cli("check-plugin broken_jacobian_pde --plugin-dir \"$PP_TEST_PLUGIN_DIR/broken\""), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "broken_jacobian_pde: "));
	CU_ASSERT_EQUAL(pp_shell_cli("check-plugin no_such_pde"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "unknown pde plugin 'no_such_pde'"));
	CU_ASSERT_EQUAL(pp_shell_cli("check-plugin"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "usage: phasepinn"));
}

int main(void)
{
	static const pp_test_case tests[] = {
		{"every built-in pde plugin passes", test_every_built_in_pde_plugin_passes},
		{"a wrong Jacobian entry fails naming the term and channel",
		 test_a_wrong_jacobian_entry_fails_naming_the_term_and_channel},
		{"a wrong reference fails the reference check",
		 test_a_wrong_reference_fails_the_reference_check},
		{"two terms of one name fail the declarations",
		 test_two_terms_of_one_name_fail_the_declarations},
		{"a plugin is found by name in its plugin dir",
		 test_a_plugin_is_found_by_name_in_its_plugin_dir},
		{NULL, NULL}};
	int rc;

	if (pp_shell_init(dir) != 0) {
		perror(dir);
		return 1;
	}
	rc = pp_test_run("check_plugin", tests);
	pp_shell_cleanup();
	return rc;
}
