/* Config trees: typed getters, defaults, ranges, and errors that quote
 * file:line:column. */
#include <stdio.h>
#include <string.h>

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
		{NULL, NULL},
	};
	return pp_test_run("config", cases);
}
