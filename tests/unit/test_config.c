/* Config trees: typed getters, defaults, ranges, and errors that quote
 * file:line:column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config_doc.h"
#include "pp_test.h"

static pp_config_doc *parse(const char *text)
{
	pp_config_doc *doc = NULL;
	pp_error err = {0};

	if (pp_config_doc_parse(text, strlen(text), "t.yaml", &doc, &err))
		fprintf(stderr, "parse failed: %s\n", err.message);
	return doc;
}

static void test_typed_getters_read_values_and_defaults(void)
{
	pp_config_doc *doc = parse("a: 1.5\nn: 20_000\nm: 1e4\nflag: yes\ns: tanh\n");
	const pp_config *root = pp_config_doc_root(doc);
	pp_error err = {0};
	double a, b;
	long n, m;
	int flag;
	const char *s;

	CU_ASSERT_EQUAL(pp_config_double(root, "a", 0, -10, 10, &a, &err), PP_OK);
	CU_ASSERT_EQUAL(a, 1.5);
	CU_ASSERT_EQUAL(pp_config_double(root, "b", 7.25, 0, 10, &b, &err), PP_OK);
	CU_ASSERT_EQUAL(b, 7.25);
	CU_ASSERT_EQUAL(pp_config_long(root, "n", 0, 0, 1000000, &n, &err), PP_OK);
	CU_ASSERT_EQUAL(n, 20000);
	CU_ASSERT_EQUAL(pp_config_long(root, "m", 0, 0, 1000000, &m, &err), PP_OK);
	CU_ASSERT_EQUAL(m, 10000);
	CU_ASSERT_EQUAL(pp_config_bool(root, "flag", 0, &flag, &err), PP_OK);
	CU_ASSERT_EQUAL(flag, 1);
	CU_ASSERT_EQUAL(pp_config_string(root, "s", NULL, &s, &err), PP_OK);
	CU_ASSERT_STRING_EQUAL(s, "tanh");
	CU_ASSERT_EQUAL(pp_config_check_unknown(root, "test", &err), PP_OK);
	pp_config_doc_destroy(doc);
}

static void test_wrong_type_quotes_line_and_column(void)
{
	pp_config_doc *doc = parse("x: 1\nlr:   fast\n");
	pp_error err = {0};
	double lr;

	CU_ASSERT_EQUAL(pp_config_double(pp_config_doc_root(doc), "lr", 1e-3, 0, 1, &lr, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:2:7:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "fast"));
	pp_config_doc_destroy(doc);
}

static void test_out_of_range_names_the_range(void)
{
	pp_config_doc *doc = parse("gamma: 1.5\n");
	pp_error err = {0};
	double g;

	CU_ASSERT_EQUAL(pp_config_double(pp_config_doc_root(doc), "gamma", 0.999, 0, 0.999999, &g, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:1:8:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "out of range"));
	pp_config_doc_destroy(doc);
}

static void test_unknown_key_is_reported_with_known_keys(void)
{
	pp_config_doc *doc = parse("gamma: 0.9\n\ngama: 0.5\n");
	const pp_config *root = pp_config_doc_root(doc);
	pp_error err = {0};
	double g, e;

	pp_config_double(root, "gamma", 0.999, 0, 1, &g, &err);
	pp_config_double(root, "eta", 0.001, 0, 1, &e, &err);
	CU_ASSERT_EQUAL(pp_config_check_unknown(root, "weighting", &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:3:1: unknown key 'gama' in weighting"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "known keys: gamma, eta"));
	pp_config_doc_destroy(doc);
}

static void test_unknown_key_in_nested_section_names_its_path(void)
{
	pp_config_doc *doc = parse("stages:\n  - optimizer: adam\n    iterations: 5\n    lrr: 1\n");
	const pp_config *root = pp_config_doc_root(doc);
	const pp_config *stage = pp_config_at(pp_config_get(root, "stages"), 0);
	pp_error err = {0};
	long it;

	pp_config_get(stage, "optimizer");
	pp_config_long(stage, "iterations", 0, 0, 100, &it, &err);
	CU_ASSERT_EQUAL(pp_config_check_unknown_tree(root, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:4:5: unknown key 'lrr' in stages[0]"));
	pp_config_doc_destroy(doc);
}

static void test_choice_lists_the_choices(void)
{
	static const char *const acts[] = {"tanh", "sin", "gelu", NULL};
	pp_config_doc *doc = parse("activation: relu\n");
	pp_error err = {0};
	int which;

	CU_ASSERT_EQUAL(pp_config_choice(pp_config_doc_root(doc), "activation", "tanh", acts, &which, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:1:13: unknown activation 'relu'; choose one of: tanh, sin, gelu"));
	pp_config_doc_destroy(doc);
}

static void test_syntax_error_quotes_position(void)
{
	pp_config_doc *doc = NULL;
	pp_error err = {0};
	const char *text = "a: [1, 2\nb: 3\n";

	CU_ASSERT_EQUAL(pp_config_doc_parse(text, strlen(text), "bad.yaml", &doc, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NULL(doc);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "bad.yaml:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "YAML syntax error"));
}

static void test_duplicate_key_is_an_error(void)
{
	pp_config_doc *doc = NULL;
	pp_error err = {0};
	const char *text = "seed: 1\nseed: 2\n";

	CU_ASSERT_EQUAL(pp_config_doc_parse(text, strlen(text), "d.yaml", &doc, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "d.yaml:2:1: duplicate key 'seed'"));
}

static void test_missing_file_and_empty_file_are_errors(void)
{
	pp_config_doc *doc = NULL;
	pp_error err = {0};

	CU_ASSERT_EQUAL(pp_config_doc_load("/nonexistent/e.yaml", &doc, &err), PP_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "/nonexistent/e.yaml"));
	CU_ASSERT_EQUAL(pp_config_doc_parse("", 0, "empty.yaml", &doc, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "empty"));
}

static void test_non_finite_numbers_are_rejected(void)
{
	pp_config_doc *doc = parse("a: .nan\nb: 1e999\n");
	pp_error err = {0};
	double v;

	CU_ASSERT_EQUAL(pp_config_double(pp_config_doc_root(doc), "a", 0, -1e300, 1e300, &v, &err), PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(pp_config_double(pp_config_doc_root(doc), "b", 0, -1e300, 1e300, &v, &err), PP_ERR_CONFIG);
	pp_config_doc_destroy(doc);
}

static void test_resolved_config_fills_in_defaults(void)
{
	pp_config_doc *doc = parse("weighting:\n  type: rba\n");
	const pp_config *root = pp_config_doc_root(doc);
	const pp_config *w = pp_config_section(root, "weighting");
	const pp_config *net = pp_config_section(root, "network");
	pp_error err = {0};
	char buf[1024] = {0};
	double g;
	long width;
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");

	pp_config_get(w, "type");
	pp_config_double(w, "gamma", 0.999, 0, 1, &g, &err);
	pp_config_long(net, "width", 50, 1, 4096, &width, &err);
	CU_ASSERT_EQUAL(pp_config_write_resolved(root, f), PP_OK);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "weighting:\n  type: rba\n  gamma: 0.999"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "network:\n  width: 50  # default"));
	pp_config_doc_destroy(doc);
}

/* ---- the reader's limits (docs/hardening.md, "The experiment reader") ---- */

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

/* Parse @text; returns the status, the message in @err, the time taken. */
static int parse_timed(const char *text, size_t len, pp_error *err, double *secs)
{
	pp_config_doc *doc = NULL;
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = pp_config_doc_parse(text, len, "t.yaml", &doc, err);
	*secs = seconds_since(&t0);
	pp_config_doc_destroy(doc);
	return rc;
}

static void test_a_second_yaml_document_is_an_error(void)
{
	static const char *const texts[] = {
		"seed: 1\n---\nseed: 2\n",           /* valid */
		"seed: 1\n---\n[: bad: {\n",          /* invalid */
		"seed: 1\n...\n---\n",                /* empty */
	};
	pp_error err = {0};
	double secs;

	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(parse_timed(texts[i], strlen(texts[i]), &err, &secs), PP_ERR_CONFIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:"));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:3:1: a second YAML document"));
	parse_timed(texts[0], strlen(texts[0]), &err, &secs);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:2:1: a second YAML document"));
	/* one document with its markers is fine */
	CU_ASSERT_EQUAL(parse_timed("---\nseed: 1\n...\n", 16, &err, &secs), PP_OK);
}

/* 342 bytes that expand to 9^9 = 387 million strings: before the budget,
 * 18 s and 4 GB (the limit of the shell it ran in) before failing.  The
 * budget (100,000 nodes) stops it at the alias that crosses it. */
static void test_alias_expansion_is_bounded_by_a_node_budget(void)
{
	char text[1024];
	size_t len;
	pp_error err = {0};
	double secs;

	len = (size_t)snprintf(text, sizeof text, "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (char c = 'b'; c <= 'i'; c++)
		len += (size_t)snprintf(text + len, sizeof text - len,
					"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
					c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	CU_ASSERT_EQUAL(parse_timed(text, len, &err, &secs), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:6:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "beyond 100000 nodes"));
	CU_ASSERT(secs < 1.0);
	/* aliases within the budget are copies, as before */
	CU_ASSERT_EQUAL(parse_timed("a: &x {p: 1}\nb: *x\n", 19, &err, &secs), PP_OK);
	CU_ASSERT_EQUAL(parse_timed("a: *nowhere\n", 12, &err, &secs), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:1:4: alias *nowhere names no anchor"));
}

/* 100,000 '[' took libyaml 100 s (its scanner is quadratic in the flow
 * depth); the reader now stops at level 65.  1 s bounds both forms with a
 * margin of 50 under the sanitizers. */
static void test_pathological_nesting_fails_fast_with_a_depth_message(void)
{
	size_t n = 100000;
	char *flow = malloc(3 + n + 1), *block = malloc(2 * n + 3);
	pp_error err = {0};
	double secs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(flow);
	CU_ASSERT_PTR_NOT_NULL_FATAL(block);
	memcpy(flow, "a: ", 3);
	memset(flow + 3, '[', n);
	for (size_t i = 0; i < n; i++)
		memcpy(block + 2 * i, "- ", 2);
	memcpy(block + 2 * n, "x\n", 3);
	CU_ASSERT_EQUAL(parse_timed(flow, 3 + n, &err, &secs), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "nesting deeper than 64 levels"));
	CU_ASSERT(secs < 1.0);
	CU_ASSERT_EQUAL(parse_timed(block, 2 * n + 2, &err, &secs), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "nesting deeper than 64 levels"));
	CU_ASSERT(secs < 1.0);
	/* an alias cannot put a copy deeper than the limit either: 40 levels
	 * anchored, copied from level 31 */
	n = 0;
	n += (size_t)sprintf(flow + n, "a: &d ");
	for (int i = 0; i < 40; i++)
		flow[n++] = '[';
	for (int i = 0; i < 40; i++)
		flow[n++] = ']';
	n += (size_t)sprintf(flow + n, "\nb: ");
	for (int i = 0; i < 30; i++)
		flow[n++] = '[';
	n += (size_t)sprintf(flow + n, "*d");
	for (int i = 0; i < 30; i++)
		flow[n++] = ']';
	CU_ASSERT_EQUAL(parse_timed(flow, n, &err, &secs), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:2:34: nesting deeper than 64 levels"));
	free(flow);
	free(block);
}

static void test_a_directory_is_not_an_experiment_file(void)
{
	pp_config_doc *doc = NULL;
	pp_error err = {0};

	CU_ASSERT_EQUAL(pp_config_doc_load("/tmp", &doc, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NULL(doc);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "/tmp is a directory; give the experiment's .yaml file"));
}

/* A getter asked for a key of a scalar or a list: today's `weighting: rba`,
 * which used to give the default "none" without a word. */
static void test_a_getter_refuses_a_section_that_is_not_a_map(void)
{
	pp_config_doc *doc = parse("seed: 1\nweighting: rba\nnetwork: [32, 32]\n");
	const pp_config *root = pp_config_doc_root(doc);
	const char *type = NULL;
	pp_error err = {0};
	long width;

	CU_ASSERT_EQUAL(pp_config_string(pp_config_get(root, "weighting"), "type", "none", &type, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_STRING_EQUAL(err.message, "t.yaml:2:12: weighting: must be a map, e.g.\n  weighting:\n    type: rba");
	pp_config_get(pp_config_get(root, "network"), "layers");
	CU_ASSERT_EQUAL(pp_config_long(pp_config_get(root, "network"), "width", 50, 1, 100, &width, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:3:10: network: must be a map, e.g.\n  network:\n    width: ..."));
	pp_config_doc_destroy(doc);
}

/* A reader that only probes with pp_config_get (network.c's embedding:)
 * never sees an error; the tree check after every reader finds it. */
static void test_the_tree_check_finds_a_scalar_read_as_a_map(void)
{
	pp_config_doc *doc = parse("network:\n  embedding: fourier\nstages:\n  - adam\n");
	const pp_config *root = pp_config_doc_root(doc);
	const pp_config *emb = pp_config_get(pp_config_get(root, "network"), "embedding");
	pp_error err = {0};

	CU_ASSERT_PTR_NULL(pp_config_get(emb, "periodic"));
	pp_config_mark_known(root, "stages");
	CU_ASSERT_EQUAL(pp_config_check_unknown_tree(root, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:2:14: network.embedding: must be a map, e.g.\n  embedding:\n    periodic: ..."));
	pp_config_doc_destroy(doc);
	doc = parse("stages:\n  - adam\n");
	root = pp_config_doc_root(doc);
	pp_config_get(pp_config_at(pp_config_get(root, "stages"), 0), "optimizer");
	CU_ASSERT_EQUAL(pp_config_check_unknown_tree(root, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:2:5: stages[0]: must be a map, e.g.\n  stages:\n    - optimizer: ..."));
	pp_config_doc_destroy(doc);
}

/* A section whose readers took no default is written "{}", so config.yaml
 * reads back as a map (an empty "embedding:" is a null scalar). */
static void test_an_empty_section_is_written_as_an_empty_map(void)
{
	pp_config_doc *doc = parse("seed: 1\n");
	const pp_config *root = pp_config_doc_root(doc);
	const pp_config *emb = pp_config_section(root, "embedding");
	char buf[256] = {0};
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");

	pp_config_get(emb, "periodic");
	CU_ASSERT_EQUAL(pp_config_write_resolved(root, f), PP_OK);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "embedding: {}\n"));
	pp_config_doc_destroy(doc);
}

/* List-valued keys record their defaults as flow lists that read back as
 * lists (homogeneity.bins and error.grid were missing from config.yaml). */
static void test_list_getters_record_their_defaults(void)
{
	static const long bins_def[2] = {10, 12}, grid3_def[3] = {1, 2, 3};
	static const double x_def[2] = {-1, 0.5};
	static const char *const terms_def[] = {"residual", "initial"};
	pp_config_doc *doc = parse("a: {grid: [3, 4]}\n");
	const pp_config *root = pp_config_doc_root(doc), *sec, *a = pp_config_get(root, "a");
	const char *names[4];
	size_t n_names;
	long bins[2], grid[2], grid3[3];
	double x[2];
	pp_error err = {0};
	char buf[1024] = {0};
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");

	CU_ASSERT_EQUAL(pp_config_map(root, "h", "bins", &sec, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_config_long_list(sec, "bins", 2, bins_def, 1, 100, bins, &err), PP_OK);
	CU_ASSERT_EQUAL(bins[1], 12);
	CU_ASSERT_EQUAL(pp_config_double_list(sec, "x", 2, x_def, -10, 10, x, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_config_name_list(sec, "terms", terms_def, 2, 4, names, &n_names, &err), PP_OK);
	CU_ASSERT_EQUAL(n_names, 2);
	CU_ASSERT_EQUAL(pp_config_long_list(a, "grid", 2, bins_def, 1, 100, grid, &err), PP_OK);
	CU_ASSERT_EQUAL(grid[0], 3);
	CU_ASSERT_EQUAL(pp_config_long_list(a, "grid", 2, bins_def, 1, 3, grid, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:1:15: grid = 4 is out of range [1, 3]"));
	CU_ASSERT_EQUAL(pp_config_long_list(a, "grid", 3, grid3_def, 1, 3, grid3, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:1:11: grid: is a list of 3 integers"));
	CU_ASSERT_EQUAL(pp_config_write_resolved(root, f), PP_OK);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "h:\n  bins: [10, 12]  # default\n  x: [-1, 0.5]  # default\n"
					   "  terms: [residual, initial]  # default\n"));
	pp_config_doc_destroy(doc);
	/* and read back, they are lists */
	doc = parse(buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	sec = pp_config_get(pp_config_doc_root(doc), "h");
	CU_ASSERT_EQUAL(pp_config_long_list(sec, "bins", 2, bins_def, 1, 100, bins, &err), PP_OK);
	CU_ASSERT_EQUAL(bins[0], 10);
	pp_config_doc_destroy(doc);
}

/* Every refusal of the three list getters, with its message: they share one
 * body, so each is checked through the getter whose kind it belongs to. */
static void test_list_getters_refuse_bad_lists_and_bad_defaults(void)
{
	static const long l_def[2] = {1, 2}, l17[17] = {0};
	static const double d_def[2] = {0, 1};
	static const char *const good[] = {"a", "b", "c"}, *const bad[] = {"a", "b c"};
	pp_config_doc *doc = parse("a: {d: [0.5, 7], n: [x, [y], z], m: [x, y, z], s: 5}\n");
	const pp_config *a = pp_config_get(pp_config_doc_root(doc), "a");
	const char *names[4];
	size_t n;
	long l[17];
	double d[2];
	pp_error err = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(pp_config_long_list(a, "l", 0, l_def, 0, 9, l, &err), PP_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "l: lists of 1 to 16 entries");
	CU_ASSERT_EQUAL(pp_config_long_list(a, "l", 17, l17, 0, 9, l, &err), PP_ERR_INVALID);
	CU_ASSERT_EQUAL(pp_config_double_list(a, "d", 2, d_def, 0, 5, d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:1:14: d = 7 is out of range [0, 5]"));
	CU_ASSERT_EQUAL(pp_config_double_list(a, "s", 2, d_def, 0, 5, d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "s: is a list of 2 numbers, e.g. [0, 1]"));
	CU_ASSERT_EQUAL(pp_config_name_list(a, "n", good, 3, 4, names, &n, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.yaml:1:25:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "a name"));
	CU_ASSERT_EQUAL(pp_config_name_list(a, "m", good, 3, 2, names, &n, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "m: is a list of up to 2 names, e.g. [a, b, c]"));
	CU_ASSERT_EQUAL(pp_config_name_list(a, "m", bad, 2, 4, names, &n, &err), PP_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "m: default 'b c' is not a plain name");
	CU_ASSERT_EQUAL(pp_config_name_list(a, "absent", good, 3, 2, names, &n, &err), PP_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "absent: 3 defaults, at most 2");
	CU_ASSERT_EQUAL(pp_config_name_list(a, "m", good, 3, 4, names, &n, &err), PP_OK);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_STRING_EQUAL(names[2], "z");
	pp_config_doc_destroy(doc);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"typed getters read values and defaults", test_typed_getters_read_values_and_defaults},
		{"wrong type quotes line and column", test_wrong_type_quotes_line_and_column},
		{"out of range names the range", test_out_of_range_names_the_range},
		{"unknown key is reported with known keys", test_unknown_key_is_reported_with_known_keys},
		{"unknown key in nested section names its path", test_unknown_key_in_nested_section_names_its_path},
		{"choice lists the choices", test_choice_lists_the_choices},
		{"syntax error quotes position", test_syntax_error_quotes_position},
		{"duplicate key is an error", test_duplicate_key_is_an_error},
		{"missing file and empty file are errors", test_missing_file_and_empty_file_are_errors},
		{"non-finite numbers are rejected", test_non_finite_numbers_are_rejected},
		{"resolved config fills in defaults", test_resolved_config_fills_in_defaults},
		{"a second YAML document is an error", test_a_second_yaml_document_is_an_error},
		{"alias expansion is bounded by a node budget", test_alias_expansion_is_bounded_by_a_node_budget},
		{"pathological nesting fails fast with a depth message", test_pathological_nesting_fails_fast_with_a_depth_message},
		{"a directory is not an experiment file", test_a_directory_is_not_an_experiment_file},
		{"a getter refuses a section that is not a map", test_a_getter_refuses_a_section_that_is_not_a_map},
		{"the tree check finds a scalar read as a map", test_the_tree_check_finds_a_scalar_read_as_a_map},
		{"an empty section is written as an empty map", test_an_empty_section_is_written_as_an_empty_map},
		{"list getters record their defaults", test_list_getters_record_their_defaults},
		{"list getters refuse bad lists and bad defaults", test_list_getters_refuse_bad_lists_and_bad_defaults},
		{NULL, NULL},
	};
	return pp_test_run("config", cases);
}
