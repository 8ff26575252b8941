/* The files of a run directory and their one reader each: summary.json
 * (core/summary.h over core/json.h) written and read back field by field,
 * JSON that is not a summary refused with file:line:col, and the CSV
 * reader (core/csv.h) behind metrics.csv for plot, compare and phases. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/json.h"
#include "core/rundir.h"
#include "core/summary.h"

#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_run_files_XXXXXX";

/* A string holding every byte the writer must escape, and some it must not. */
static const char tricky[] = "say \"hi\"\\ C:\\path\\\nline two\ttab\r\x01\x1f end \xc3\xa9 {}[],:";

static void test_summary_written_and_read_back_keeps_every_field(void)
{
	pp_summary_stage stages[2] = {
		{"adam", 30, 30, "completed 30 iterations"},
		{"lbfgs", 10, 4, tricky},
	};
	pp_summary_value final[4] = {
		{"loss", 0.125}, {"error_rel_l2", NAN}, {"snr", INFINITY}, {"tiny", 1.5e-300},
	};
	pp_summary s = {
		.name = tricky, .config = "runs/x.yaml", .status = "failed", .error = tricky,
		.version = "9.9.9", .precision = "double", .threads = 3, .has_seed = 1,
		.seed = ULONG_MAX, .blas_kernels = "Haswell", .pde = "burgers", .weighting = "rba",
		.network = "2-[8,8 tanh]-1", .parameters = 105, .steps = 34, .seconds = 2.5,
		.final_loss = -INFINITY, .n_stages = 2, .stages = stages, .n_final = 4, .final = final,
	};
	pp_summary r;
	pp_error err = {0};
	char run[64];

	snprintf(run, sizeof run, "%s/run", dir);
	CU_ASSERT_EQUAL_FATAL(pp_mkdir_p(run, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_summary_write(run, &s, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_summary_read(run, &r, &err), PP_OK);
	CU_ASSERT_STRING_EQUAL(r.name, tricky);
	CU_ASSERT_STRING_EQUAL(r.config, "runs/x.yaml");
	CU_ASSERT_STRING_EQUAL(r.status, "failed");
	CU_ASSERT_STRING_EQUAL(r.error, tricky);
	CU_ASSERT_STRING_EQUAL(r.version, "9.9.9");
	CU_ASSERT_STRING_EQUAL(r.precision, "double");
	CU_ASSERT_STRING_EQUAL(r.blas_kernels, "Haswell");
	CU_ASSERT_STRING_EQUAL(r.pde, "burgers");
	CU_ASSERT_STRING_EQUAL(r.weighting, "rba");
	CU_ASSERT_STRING_EQUAL(r.network, "2-[8,8 tanh]-1");
	CU_ASSERT_EQUAL(r.threads, 3);
	CU_ASSERT_TRUE(r.has_seed);
	CU_ASSERT_EQUAL(r.seed, ULONG_MAX);   /* exact: not through a double */
	CU_ASSERT_EQUAL(r.parameters, 105);
	CU_ASSERT_EQUAL(r.steps, 34);
	CU_ASSERT_EQUAL(r.seconds, 2.5);
	/* JSON has no infinity: every non-finite number is null, read as NaN */
	CU_ASSERT_TRUE(isnan(r.final_loss));
	CU_ASSERT_EQUAL_FATAL(r.n_stages, 2);
	CU_ASSERT_STRING_EQUAL(r.stages[0].optimizer, "adam");
	CU_ASSERT_EQUAL(r.stages[0].iterations, 30);
	CU_ASSERT_EQUAL(r.stages[0].steps, 30);
	CU_ASSERT_STRING_EQUAL(r.stages[0].stop, "completed 30 iterations");
	CU_ASSERT_STRING_EQUAL(r.stages[1].optimizer, "lbfgs");
	CU_ASSERT_EQUAL(r.stages[1].steps, 4);
	CU_ASSERT_STRING_EQUAL(r.stages[1].stop, tricky);
	CU_ASSERT_EQUAL_FATAL(r.n_final, 4);
	CU_ASSERT_STRING_EQUAL(r.final[0].column, "loss");
	CU_ASSERT_EQUAL(r.final[0].value, 0.125);
	CU_ASSERT_STRING_EQUAL(r.final[1].column, "error_rel_l2");
	CU_ASSERT_TRUE(isnan(r.final[1].value));
	CU_ASSERT_TRUE(isnan(r.final[2].value));
	/* "%.10g": ten significant digits */
	PP_ASSERT_CLOSE(r.final[3].value, 1.5e-300, 0, 1e-10);
	pp_summary_free(&r);

	/* no error: null, read as NULL */
	s.error = NULL;
	CU_ASSERT_EQUAL_FATAL(pp_summary_write(run, &s, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_summary_read(run, &r, &err), PP_OK);
	CU_ASSERT_PTR_NULL(r.error);
	pp_summary_free(&r);
}

/* The layout people and scripts have read since the first version. */
static void test_summary_is_written_as_phasepinn_always_wrote_it(void)
{
	pp_summary_stage stage = {"adam", 5, 5, "completed 5 iterations"};
	pp_summary_value final[2] = {{"step", 5}, {"lr", NAN}};
	pp_summary s = {
		.name = "a", .config = "a.yaml", .status = "completed", .version = "1.2.3",
		.precision = "double", .threads = 1, .has_seed = 1, .seed = 7, .blas_kernels = "Zen",
		.pde = "heat", .weighting = "none", .network = "1-[4 tanh]-1", .parameters = 13,
		.steps = 5, .seconds = 0.25, .final_loss = NAN, .n_stages = 1, .stages = &stage,
		.n_final = 2, .final = final,
	};
	pp_error err = {0};
	char run[64], name[96];

	snprintf(run, sizeof run, "%s/layout", dir);
	CU_ASSERT_EQUAL_FATAL(pp_mkdir_p(run, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_summary_write(run, &s, &err), PP_OK);
	snprintf(name, sizeof name, "layout/%s", PP_RUN_SUMMARY);
	CU_ASSERT_STRING_EQUAL(pp_shell_slurp(name),
		"{\n  \"name\": \"a\",\n  \"config\": \"a.yaml\",\n  \"status\": \"completed\",\n"
		"  \"error\": null,\n  \"version\": \"1.2.3\",\n  \"precision\": \"double\",\n"
		"  \"threads\": 1,\n  \"seed\": 7,\n  \"blas_kernels\": \"Zen\",\n  \"pde\": \"heat\",\n"
		"  \"weighting\": \"none\",\n  \"network\": \"1-[4 tanh]-1\",\n  \"parameters\": 13,\n"
		"  \"steps\": 5,\n  \"seconds\": 0.25,\n  \"final_loss\": null,\n  \"stages\": [\n"
		"    {\"optimizer\": \"adam\", \"iterations\": 5, \"steps\": 5, \"stop\": \"completed 5 iterations\"}\n"
		"  ],\n  \"final\": {\n    \"step\": 5,\n    \"lr\": null\n  }\n}\n");
}

/* Parse @text as "s.json"; the status, the message in @err. */
static int parse(const char *text, pp_summary *s, pp_error *err)
{
	int rc = pp_summary_parse(text, strlen(text), "s.json", s, err);

	pp_summary_free(s);
	return rc;
}

static void test_malformed_json_names_the_file_line_and_column(void)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{"", "s.json:1:1: expected a value, found the end"},
		{"{\n  \"name\": \"a\"\n  \"steps\": 3}", "s.json:3:3: expected ',' or '}' in an object"},
		{"{\"name\": \"a\"} x", "s.json:1:15: text after the value"},
		{"{\"name\": \"abc", "s.json:1:10: a string that does not end"},
		{"{\"name\": \"a\\qb\"}", "s.json:1:12: \\q is no JSON escape"},
		{"{\"name\": \"a\nb\"}", "s.json:1:12: byte 0x0a in a string"},
		{"{\"name\": \"\\ud800x\"}", "s.json:1:11: \\ud800 is the first half of a surrogate pair"},
		{"{\"name\": \"\\u0000\"}", "s.json:1:11: \\u0000 (a NUL character)"},
		{"{\"steps\": 012}", "s.json:1:11: a number starts with one digit"},
		{"{\"steps\": 1.}", "s.json:1:11: a digit must follow the decimal point"},
		{"{\"steps\": NaN}", "s.json:1:11: expected a value"},
		{"{\"steps\": nullx}", "s.json:1:11: expected a value"},
		{"{\"name\" \"a\"}", "s.json:1:9: expected ':' after the name \"name\""},
		{"{name: 1}", "s.json:1:2: expected a member's name in quotes"},
		{"[1, 2,]", "s.json:1:7: expected a value"},
		{"[\n\n  {\"a\": 1},\n  {\"a\" 1}]", "s.json:4:8: expected ':'"},
	};
	pp_summary s;
	pp_error err = {0};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&err, 0, sizeof err);
		CU_ASSERT_EQUAL(parse(cases[i].text, &s, &err), PP_ERR_CONFIG);
		if (!strstr(err.message, cases[i].message))
			printf("\n    case %zu: '%s' does not hold '%s'", i, err.message, cases[i].message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[i].message));
	}
	/* the byte offset too, for a file without line ends */
	CU_ASSERT_EQUAL(parse("{\"name\": \"a\"} x", &s, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "(byte 14)"));
}

static void test_nesting_deeper_than_the_limit_is_refused(void)
{
	char text[2 * PP_JSON_MAX_DEPTH + 8];
	pp_json *root = NULL;
	pp_error err = {0};
	size_t n = 0;

	for (int i = 0; i < PP_JSON_MAX_DEPTH; i++)
		text[n++] = '[';
	for (int i = 0; i < PP_JSON_MAX_DEPTH; i++)
		text[n++] = ']';
	CU_ASSERT_EQUAL(pp_json_parse(text, n, "d.json", &root, &err), PP_OK);
	pp_json_free(root);
	memmove(text + 1, text, n);
	text[0] = '[';
	text[++n] = ']';
	n++;
	CU_ASSERT_EQUAL(pp_json_parse(text, n, "d.json", &root, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NULL(root);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "d.json:1:65: nested deeper than 64 levels"));
}

static void test_escapes_decode_to_utf8(void)
{
	const char *text = "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\\ud83d\\ude00\", \"\xc3\xa9\xff\", "
			   "-0.5e+2, 1E3, true, false, null, {}, []]";
	pp_json *root = NULL;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(pp_json_parse(text, strlen(text), "e.json", &root, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(root->type, PP_JSON_ARRAY);
	CU_ASSERT_EQUAL_FATAL(root->n, 10);
	CU_ASSERT_STRING_EQUAL(root->items[0].text, "\"\\/\b\f\n\r\t");
	CU_ASSERT_STRING_EQUAL(root->items[1].text, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	CU_ASSERT_STRING_EQUAL(root->items[2].text, "\xc3\xa9\xff");   /* raw bytes kept */
	CU_ASSERT_EQUAL(root->items[3].number, -50);
	CU_ASSERT_STRING_EQUAL(root->items[3].text, "-0.5e+2");
	CU_ASSERT_EQUAL(root->items[4].number, 1000);
	CU_ASSERT_EQUAL(root->items[5].type, PP_JSON_TRUE);
	CU_ASSERT_EQUAL(root->items[6].type, PP_JSON_FALSE);
	CU_ASSERT_EQUAL(root->items[7].type, PP_JSON_NULL);
	CU_ASSERT_EQUAL(root->items[8].type, PP_JSON_OBJECT);
	CU_ASSERT_EQUAL(root->items[8].n, 0);
	CU_ASSERT_EQUAL(root->items[9].type, PP_JSON_ARRAY);
	pp_json_free(root);
}

static void test_a_summary_member_of_the_wrong_type_is_named(void)
{
	pp_summary s;
	pp_error err = {0};

	CU_ASSERT_EQUAL(parse("{\"name\": \"a\",\n \"steps\": \"ten\"}", &s, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "s.json:2:11: \"steps\" is a string; expected a whole number"));
	CU_ASSERT_EQUAL(parse("{\"steps\": -3}", &s, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "\"steps\" is -3; expected a whole number"));
	CU_ASSERT_EQUAL(parse("{\"name\": 5}", &s, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "\"name\" is a number; expected a string"));
	CU_ASSERT_EQUAL(parse("{\"stages\": {}}", &s, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "\"stages\" is an object; expected an array"));
	CU_ASSERT_EQUAL(parse("{\"final\": {\"loss\": \"x\"}}", &s, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "\"loss\" is a string; expected a number"));
	CU_ASSERT_EQUAL(parse("[]", &s, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "the summary is an array; expected an object"));
}

static void test_members_missing_or_unknown_are_tolerated(void)
{
	/* an older phasepinn wrote no blas_kernels; a newer one may add members */
	const char *text = "{\"status\":\"completed\",\"later\":{\"x\":[1,{\"y\":null}]},\"final\":{}}";
	pp_summary s;
	pp_error err = {0};

	CU_ASSERT_EQUAL_FATAL(pp_summary_parse(text, strlen(text), "s.json", &s, &err), PP_OK);
	CU_ASSERT_STRING_EQUAL(s.status, "completed");
	CU_ASSERT_PTR_NULL(s.name);
	CU_ASSERT_PTR_NULL(s.blas_kernels);
	CU_ASSERT_EQUAL(s.steps, -1);
	CU_ASSERT_EQUAL(s.threads, -1);
	CU_ASSERT_FALSE(s.has_seed);
	CU_ASSERT_TRUE(isnan(s.seconds));
	CU_ASSERT_EQUAL(s.n_stages, 0);
	CU_ASSERT_EQUAL(s.n_final, 0);
	pp_summary_free(&s);
}

static void test_a_missing_summary_is_an_io_error_naming_it(void)
{
	pp_summary s;
	pp_error err = {0};
	char run[64];

	snprintf(run, sizeof run, "%s/none", dir);
	CU_ASSERT_EQUAL(pp_summary_read(run, &s, &err), PP_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "none/summary.json"));
	pp_summary_free(&s);
}

/* ---- through the program ------------------------------------------------ */

/* The old reader looked for the bytes "status": "completed": a summary
 * rewritten by another tool (jq -c, an editor) read as unfinished. */
static void test_resume_reads_a_completed_summary_in_any_layout(void)
{
	CU_ASSERT_EQUAL_FATAL(pp_shell("mkdir -p done"), 0);
	pp_shell_write("done/" PP_RUN_SUMMARY, "{\"name\":\"x\",\"status\":\"completed\",\"error\":null}");
	CU_ASSERT_EQUAL(pp_shell_cli("resume done"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "done already completed"));
	/* a failed run is not complete, whatever its texts say */
	pp_shell_write("done/" PP_RUN_SUMMARY,
		       "{\"name\": \"\\\"status\\\": \\\"completed\\\"\", \"status\": \"failed\"}");
	CU_ASSERT_NOT_EQUAL(pp_shell_cli("resume done"), 0);
	CU_ASSERT_PTR_NULL(strstr(pp_shell_output, "already completed"));
}

/* The report of a run whose summary.json is broken says where. */
static void test_report_names_where_a_summary_is_broken(void)
{
	char *text;

	CU_ASSERT_EQUAL_FATAL(pp_shell("mkdir -p broken"), 0);
	pp_shell_write("broken/" PP_RUN_METRICS, "step,stage,loss\n0,0,1\n10,0,0.5\n");
	pp_shell_write("broken/" PP_RUN_SUMMARY, "{\"name\": \"b\",\n  \"status\": \"completed\"\n  \"steps\": 10}\n");
	pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot broken");
	text = pp_shell_slurp("broken/" PP_RUN_REPORT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# broken\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "summary.json cannot be read (broken/summary.json:3:3: expected ',' or '}'"));
	CU_ASSERT_PTR_NULL(strstr(text, "The run completed"));
	/* an error message on two lines stays on one line of the report */
	pp_shell_write("broken/" PP_RUN_SUMMARY,
		       "{\"name\": \"b|c\", \"status\": \"failed\", \"error\": \"step 7:\\nloss is nan\",\n"
		       " \"stages\": [{\"optimizer\": \"adam\", \"iterations\": 30, \"steps\": 7, \"stop\": \"a|b\\u000ac\"}]}\n");
	pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot broken");
	text = pp_shell_slurp("broken/" PP_RUN_REPORT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# b|c\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "The run **failed**: step 7: loss is nan\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| 1 | adam | 30 | 7 | a\\|b c |\n"));
}

/* plot read metrics.csv with getline: a file with CR-only line ends (an
 * old Mac editor, a spreadsheet) was one header line and no figure. */
static void test_plot_reads_metrics_with_any_line_end(void)
{
	char *text;

	CU_ASSERT_EQUAL_FATAL(pp_shell("mkdir -p cr"), 0);
	pp_shell_write("cr/" PP_RUN_METRICS, "\xEF\xBB\xBFstep,stage,loss\r0,0,1\r10,0,0.5\r\r20,1,0.25\r");
	pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot cr");
	text = pp_shell_slurp("cr/" PP_RUN_FIGURES "/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# columns of ../metrics.csv: 1 step, 3 loss\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set arrow from first 20, graph 0"));   /* stage 2 began */
}

/* ---- the CSV reader ------------------------------------------------------ */

/* Open @text as a CSV named "m.csv". */
static FILE *csv_text(const char *text, size_t len, pp_csv *c, int *rc, pp_error *err)
{
	FILE *f = fmemopen((void *)text, len, "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	*rc = pp_csv_open(c, f, "m.csv", err);
	return f;
}

static void test_csv_rows_read_the_same_with_any_line_end(void)
{
	static const char *const texts[] = {
		"step,loss\n0,1\n\n10,0.5\n",
		"step,loss\r\n0,1\r\n\r\n10,0.5\r\n",
		"step,loss\r0,1\r\r10,0.5",
		"\xEF\xBB\xBFstep,loss\n0,1\n   \n10,0.5",
	};

	for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
		pp_csv c;
		pp_error err = {0};
		int rc;
		FILE *f = csv_text(texts[t], strlen(texts[t]), &c, &rc, &err);

		CU_ASSERT_EQUAL(rc, PP_OK);
		CU_ASSERT_EQUAL(c.n_columns, 2);
		CU_ASSERT_EQUAL(pp_csv_column(&c, "step"), 0);
		CU_ASSERT_EQUAL(pp_csv_column(&c, "loss"), 1);
		CU_ASSERT_EQUAL(pp_csv_next(&c, &err), 1);
		CU_ASSERT_EQUAL(c.line, 2);
		CU_ASSERT_EQUAL(c.n, 2);
		CU_ASSERT_STRING_EQUAL(c.fields[1], "1");
		CU_ASSERT_EQUAL(pp_csv_next(&c, &err), 1);   /* the blank line skipped */
		CU_ASSERT_EQUAL(c.line, 4);
		CU_ASSERT_STRING_EQUAL(c.fields[0], "10");
		CU_ASSERT_STRING_EQUAL(c.fields[1], "0.5");
		CU_ASSERT_EQUAL(pp_csv_next(&c, &err), 0);
		pp_csv_close(&c);
		fclose(f);
	}
}

static void test_csv_long_lines_and_many_columns_are_whole(void)
{
	/* compare read metrics.csv with fgets into 64 KiB and 256 columns:
	 * a longer row became two, later columns were dropped */
	size_t size = 400000, n = 0;
	char *text = malloc(size);
	pp_csv c;
	pp_error err = {0};
	int rc;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	n += (size_t)snprintf(text + n, size - n, "step");
	for (int i = 1; i < 1000; i++)
		n += (size_t)snprintf(text + n, size - n, ",c%d", i);
	n += (size_t)snprintf(text + n, size - n, "\n0");
	for (int i = 1; i < 1000; i++)
		n += (size_t)snprintf(text + n, size - n, ",%.60f", 1.0 / i);
	n += (size_t)snprintf(text + n, size - n, "\n");
	CU_ASSERT_FATAL(n > 65536 && n < size);
	f = csv_text(text, n, &c, &rc, &err);
	CU_ASSERT_EQUAL(rc, PP_OK);
	CU_ASSERT_EQUAL(c.n_columns, 1000);
	CU_ASSERT_EQUAL(pp_csv_column(&c, "c999"), 999);
	CU_ASSERT_EQUAL(pp_csv_next(&c, &err), 1);
	CU_ASSERT_EQUAL(c.n, 1000);
	CU_ASSERT_EQUAL(strtod(c.fields[999], NULL), 1.0 / 999);
	CU_ASSERT_EQUAL(pp_csv_next(&c, &err), 0);
	pp_csv_close(&c);
	fclose(f);
	free(text);
}

static void test_csv_nul_byte_is_an_error_the_reader_goes_past(void)
{
	static const char text[] = "step,loss\n0,1\n1\0,2\n2,3\n";
	pp_csv c;
	pp_error err = {0};
	int rc;
	FILE *f = csv_text(text, sizeof text - 1, &c, &rc, &err);

	CU_ASSERT_EQUAL(rc, PP_OK);
	CU_ASSERT_EQUAL(pp_csv_next(&c, &err), 1);
	CU_ASSERT_EQUAL(pp_csv_next(&c, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "m.csv:3: NUL byte in the line"));
	CU_ASSERT_EQUAL(pp_csv_next(&c, &err), 1);
	CU_ASSERT_STRING_EQUAL(c.fields[0], "2");
	pp_csv_close(&c);
	fclose(f);
	/* an empty file has no header (fmemopen refuses an empty buffer) */
	f = fopen("/dev/null", "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(pp_csv_open(&c, f, "m.csv", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "m.csv:1: empty file; expected a header row"));
	pp_csv_close(&c);
	fclose(f);
}

static void test_csv_column_lookup_ignores_spaces_and_quotes(void)
{
	static const char text[] = " \"step\" ,loss_residual,loss\n";
	pp_csv c;
	pp_error err = {0};
	int rc;
	FILE *f = csv_text(text, sizeof text - 1, &c, &rc, &err);

	CU_ASSERT_EQUAL(rc, PP_OK);
	CU_ASSERT_EQUAL(pp_csv_column(&c, "step"), 0);
	CU_ASSERT_EQUAL(pp_csv_column(&c, "loss"), 2);   /* whole names, not prefixes */
	CU_ASSERT_EQUAL(pp_csv_column(&c, "lo"), -1);
	CU_ASSERT_STRING_EQUAL(c.columns[0], " \"step\" ");   /* as written */
	pp_csv_close(&c);
	fclose(f);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"summary written and read back keeps every field", test_summary_written_and_read_back_keeps_every_field},
		{"summary is written as phasepinn always wrote it", test_summary_is_written_as_phasepinn_always_wrote_it},
		{"malformed JSON names the file, line and column", test_malformed_json_names_the_file_line_and_column},
		{"nesting deeper than the limit is refused", test_nesting_deeper_than_the_limit_is_refused},
		{"escapes decode to UTF-8", test_escapes_decode_to_utf8},
		{"a summary member of the wrong type is named", test_a_summary_member_of_the_wrong_type_is_named},
		{"members missing or unknown are tolerated", test_members_missing_or_unknown_are_tolerated},
		{"a missing summary is an I/O error naming it", test_a_missing_summary_is_an_io_error_naming_it},
		{"resume reads a completed summary in any layout", test_resume_reads_a_completed_summary_in_any_layout},
		{"report names where a summary is broken", test_report_names_where_a_summary_is_broken},
		{"plot reads metrics with any line end", test_plot_reads_metrics_with_any_line_end},
		{"CSV rows read the same with any line end", test_csv_rows_read_the_same_with_any_line_end},
		{"CSV long lines and many columns are whole", test_csv_long_lines_and_many_columns_are_whole},
		{"CSV NUL byte is an error the reader goes past", test_csv_nul_byte_is_an_error_the_reader_goes_past},
		{"CSV column lookup ignores spaces and quotes", test_csv_column_lookup_ignores_spaces_and_quotes},
		{NULL, NULL},
	};
	int rc;

	if (pp_shell_init(dir) != 0)
		return 1;
	rc = pp_test_run("run_files", cases);
	pp_shell_cleanup();
	return rc;
}
