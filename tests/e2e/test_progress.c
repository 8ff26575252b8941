/* The progress line on a terminal: redrawn in place, never wider than the
 * terminal (it would wrap and scroll instead of updating), and closed with a
 * newline before an error message is printed.  The terminal is a
 * pseudo-terminal from util-linux's script(1); without it the tests say
 * they are skipped. */
#include <stdio.h>
#include <string.h>

#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_progress_XXXXXX";

#define RUN \
	"pde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n    initial: {points: 50}\n" \
	"    boundary: {points: 50}\nnetwork:\n  layers: [8, 8]\nstages:\n" \
	"  - optimizer: adam\n    iterations: 400\n" \
	"analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n" \
	"  - {type: error, every: 100}\nlogging:\n  every: 100\n  plot: false\n"

static int have_script(void)
{
	if (pp_shell("command -v script >/dev/null") == 0)
		return 1;
	pp_test_skip("script(1) is not installed (apt-get install util-linux), no pseudo-terminal to test with");
	return 0;
}

/* Run @args under a pseudo-terminal @cols columns wide. */
static int on_terminal(int cols, const char *args)
{
	return pp_shell("script -qec 'stty cols %d; \"$PP_TEST_EXE\" %s' /dev/null", cols, args);
}

/* The longest redrawn line (text after each "\r\033[K" up to \r or \n). */
static size_t widest_redraw(const char *text, int *count)
{
	size_t widest = 0;

	*count = 0;
	for (const char *p = strstr(text, "\r\033[K"); p; p = strstr(p, "\r\033[K")) {
		p += 4;
		size_t n = strcspn(p, "\r\n");
		widest = n > widest ? n : widest;
		(*count)++;
	}
	return widest;
}

static void test_line_fits_the_terminal(void)
{
	int count;

	if (!have_script())
		return;
	pp_shell_write("run.yaml", RUN);
	CU_ASSERT_EQUAL_FATAL(on_terminal(200, "run run.yaml --output wide"), 0);
	/* wide enough: everything, error and phase included */
	CU_ASSERT(widest_redraw(pp_shell_output, &count) > 80);
	CU_ASSERT(count >= 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "rel.L2 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "phase "));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "steps/s  total "));
	CU_ASSERT_EQUAL_FATAL(on_terminal(60, "run run.yaml --output narrow"), 0);
	CU_ASSERT(widest_redraw(pp_shell_output, &count) <= 59);
	CU_ASSERT(count >= 1);
	/* the phase and error go first; rate and time stay */
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "steps/s  total "));
	CU_ASSERT_PTR_NULL(strstr(pp_shell_output, "phase "));
	CU_ASSERT_EQUAL_FATAL(on_terminal(30, "run run.yaml --output tiny"), 0);
	CU_ASSERT(widest_redraw(pp_shell_output, &count) <= 29);
}

static void test_error_starts_on_its_own_line(void)
{
	const char *msg;

	if (!have_script())
		return;
	pp_shell_write("diverge.yaml",
		       "pde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
		       "network:\n  layers: [8]\nstages:\n  - optimizer: sgd\n    iterations: 200\n"
		       "    lr: 1.0e+6\nlogging:\n  every: 1\n  plot: false\n");
	CU_ASSERT_EQUAL(on_terminal(120, "run diverge.yaml --output div"), 1);
	msg = strstr(pp_shell_output, "phasepinn: step ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT(msg > pp_shell_output && msg[-1] == '\n');
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "is not finite"));
}

int main(void)
{
	static const pp_test_case tests[] = {
		{"line fits the terminal", test_line_fits_the_terminal},
		{"error starts on its own line", test_error_starts_on_its_own_line},
		{NULL, NULL}};

	if (pp_shell_init(dir) != 0) {
		perror(dir);
		return 1;
	}
	if (pp_test_run("progress", tests) != 0)
		return 1;
	pp_shell_cleanup();
	return 0;
}
