/* pp_phase_read_csv, the reader behind `phasepinn phases`: the columns it
 * recognises, the rows it skips, errors quoting name:line, and every CSV
 * the fuzzer found (the CSV files of tests/data/fuzz/) replayed as a clean result. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phases.h>

#include "pp_shell.h"
#include "pp_test.h"

/* Read @text as a CSV named "t.csv" into a default detector. */
static int read_text(const char *text, pp_phase_detector *d, pp_error *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	pp_phase_params p;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	pp_phase_params_default(&p);
	pp_phase_init(d, &p);
	rc = pp_phase_read_csv(f, "t.csv", d, err);
	fclose(f);
	return rc;
}

static void test_curve_with_three_phases_is_found(void)
{
	char text[65536];
	size_t n = 0;
	pp_phase_detector d;
	pp_error err = {0};

	n += (size_t)snprintf(text + n, sizeof text - n, "iteration,mu,sigma\n");
	for (int s = 0; s < 8000; s += 10)
		n += (size_t)snprintf(text + n, sizeof text - n, "%d,%g,1\n", s,
				      s < 1500 ? 5 : s < 6000 ? 0.01 : 3);
	CU_ASSERT_EQUAL_FATAL(read_text(text, &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 800);
	CU_ASSERT_EQUAL(d.n_transitions, 2);
	CU_ASSERT_EQUAL(d.transitions[0].phase, PP_PHASE_DIFFUSION);
	CU_ASSERT_EQUAL(d.transitions[1].phase, PP_PHASE_EQUILIBRIUM);
}

static void test_metrics_columns_and_empty_cells(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	/* metrics.csv names: snr_mu, snr_sigma; empty cells and blank lines skipped */
	CU_ASSERT_EQUAL(read_text("step,stage,\"snr_mu\" , snr_sigma\r\n0,0,5,1\r\n10,0,,\n\n20,0,4,1\n",
				  &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 2);
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10,\n20,4\n", &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 2);
}

static void test_bad_input_quotes_name_and_line(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_EQUAL(read_text("", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:1: empty file"));
	CU_ASSERT_EQUAL(read_text("step,loss\n0,1\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:1: need columns"));
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10,abc\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:3: expected a number, found 'abc'"));
	CU_ASSERT_EQUAL(d.samples, 1);   /* rows before the error were fed */
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10.5,4\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:3: expected an integer iteration"));
	CU_ASSERT_EQUAL(read_text("iteration,mu,sigma\n0,5\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:2: 2 fields, expected at least 3"));
	CU_ASSERT_EQUAL(read_text("iteration,snr\n1e300,5\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,1e999\n", &d, &err), PP_ERR_CONFIG);
}

static void test_nul_byte_is_an_error_by_line(void)
{
	static const char text[] = "iteration,snr\n0,5\n1\0,4\n";
	FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
	pp_phase_params p;
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	pp_phase_params_default(&p);
	pp_phase_init(&d, &p);
	CU_ASSERT_EQUAL(pp_phase_read_csv(f, "t.csv", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:3: NUL byte"));
	fclose(f);
}

/* Old Mac files end lines with a lone CR, Windows files with CRLF:
 * both read as the same rows as LF. */
static void test_cr_only_and_crlf_line_ends_read_as_lines(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_EQUAL(read_text("iteration,snr\r0,5\r10,4\r20,3", &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 3);
	CU_ASSERT_EQUAL(read_text("iteration,snr\r\n0,5\r\n10,4\r\n\r\n20,3\r\n", &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 3);
	/* errors count lines the same way */
	CU_ASSERT_EQUAL(read_text("iteration,snr\r0,5\rten,4\r", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:3: expected an integer iteration, found 'ten'"));
}

static void test_utf8_byte_order_mark_is_not_part_of_the_header(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_EQUAL(read_text("\xEF\xBB\xBFiteration,snr\n0,5\n10,4\n", &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 2);
}

static void test_unsorted_or_repeated_iterations_are_errors(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n20,4\n10,3\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:4: iteration 10 does not follow iteration 20 of line 3"));
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10,4\n\n10,3\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:5: iteration 10 does not follow iteration 10 of line 3"));
	/* a row with an empty signal still has its place in the order */
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10,\n5,3\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:4: iteration 5"));
}

/* The detector's thresholds must be numbers: strtod reads "nan" and "inf",
 * and a NaN threshold makes every comparison false. */
static void test_non_finite_option_values_are_refused(void)
{
	static char dir[] = "/tmp/pp_test_phases_XXXXXX";
	static const char *const options[] = {"--diffusion-below nan", "--equilibrium-above inf",
					      "--jump-factor -inf", "--diffusion-below 'NAN(1)'", NULL};

	CU_ASSERT_EQUAL_FATAL(pp_shell_init(dir), 0);
	pp_shell_write("c.csv", "iteration,snr\n0,5\n10,4\n");
	CU_ASSERT_EQUAL(pp_shell_cli("phases c.csv --diffusion-below 0.2"), 0);
	for (int i = 0; options[i]; i++) {
		CU_ASSERT_EQUAL(pp_shell_cli("phases c.csv %s", options[i]), 2);
		CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "is not a finite number"));
	}
	pp_shell_cleanup();
}

/* Every CSV file of tests/data/fuzz/ reads to PP_OK or a clean PP_ERR_CONFIG
 * (under the sanitizers: without a report). */
static void test_fuzzer_found_csv_files_are_clean_results(void)
{
	char dir[4096], path[8192];
	DIR *d;
	struct dirent *e;
	int replayed = 0;

	snprintf(dir, sizeof dir, "%s/tests/data/fuzz", getenv("PP_TEST_SOURCE_ROOT"));
	d = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		pp_phase_params p;
		pp_phase_detector det;
		pp_error err = {0};
		FILE *f;
		int rc;

		if (n < 5 || strcmp(e->d_name + n - 4, ".csv"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		f = fopen(path, "r");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		pp_phase_params_default(&p);
		pp_phase_init(&det, &p);
		rc = pp_phase_read_csv(f, e->d_name, &det, &err);
		fclose(f);
		replayed++;
		CU_ASSERT(rc == PP_OK || rc == PP_ERR_CONFIG);
		if (rc)
			CU_ASSERT_PTR_NOT_NULL(strstr(err.message, e->d_name));
	}
	closedir(d);
	/* the folder holds the seeds named in docs/hardening.md: a replay of
	 * nothing would pass whatever the reader does */
	CU_ASSERT(replayed >= 4);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"curve with three phases is found", test_curve_with_three_phases_is_found},
		{"metrics columns and empty cells", test_metrics_columns_and_empty_cells},
		{"bad input quotes name and line", test_bad_input_quotes_name_and_line},
		{"NUL byte is an error by line", test_nul_byte_is_an_error_by_line},
		{"CR-only and CRLF line ends read as lines", test_cr_only_and_crlf_line_ends_read_as_lines},
		{"UTF-8 byte-order mark is not part of the header", test_utf8_byte_order_mark_is_not_part_of_the_header},
		{"unsorted or repeated iterations are errors", test_unsorted_or_repeated_iterations_are_errors},
		{"non-finite option values are refused", test_non_finite_option_values_are_refused},
		{"fuzzer-found CSV files are clean results", test_fuzzer_found_csv_files_are_clean_results},
		{NULL, NULL},
	};

	return pp_test_run("phases", cases);
}
