/* Loader: good plugins load, broken ones are refused with a useful message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/registry.h"
#include "pp_test.h"

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

static void test_missing_file_error_suggests_ldd(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};

	pp_registry_create(&reg, &err);
	CU_ASSERT_EQUAL(pp_registry_load_file(reg, "/nonexistent/x.so", &err), PP_ERR_PLUGIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ldd"));
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

int main(void)
{
	static const pp_test_case cases[] = {
		{"good plugin loads and is found by kind and name", test_good_plugin_loads_and_is_found_by_kind_and_name},
		{"wrong ABI is refused naming both versions", test_wrong_abi_is_refused_naming_both_versions},
		{"missing entry symbol is refused", test_missing_entry_symbol_is_refused},
		{"duplicate name is rejected naming both files", test_duplicate_name_is_rejected_naming_both_files},
		{"plugin without required ops is refused", test_plugin_without_required_ops_is_refused},
		{"missing file error suggests ldd", test_missing_file_error_suggests_ldd},
		{"unknown name lists what is available", test_unknown_name_lists_what_is_available},
		{"default search finds built-in plugins of every kind", test_default_search_finds_built_in_plugins_of_every_kind},
		{NULL, NULL},
	};
	return pp_test_run("registry", cases);
}
