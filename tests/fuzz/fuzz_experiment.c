/* libFuzzer harness: the bytes are an experiment file, taken through what
 * `phasepinn check` does — the YAML document parser, every section's config
 * getters, the construction of each named plugin (pde, network, weighting,
 * optimizers, analyzers) without a run directory, the whole-tree pass that
 * rejects unknown keys — and, when the experiment is valid, the resolved
 * config.yaml that `run` would write.  Any result is fine; a crash, a leak or
 * undefined behaviour is a finding (docs/hardening.md).
 *
 * Allocations above 256 MB fail (return NULL) instead of aborting the
 * fuzzer, as they would on a smaller machine: sizes within the reader's
 * limits (10 million parameters, 8 GiB estimated; a network of 65536 x
 * 65536 is refused from the numbers) must still end in a clean
 * out-of-memory error, not a crash.  The reader's own limits (one
 * document, 64 levels, 100,000 nodes through aliases) keep every input
 * to milliseconds.
 *
 * Every plugin of the build tree is loaded except the error analyzer: it
 * solves the PDE's reference at construction, which takes up to minutes
 * under the sanitizers (Allen-Cahn: ~100 s), so an input naming it is the
 * clean "unknown analyzer plugin" error here.  Its solvers are tested in
 * tests/unit/test_pdes.c, its options in tests/unit/test_analyzers.c.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/build_paths.h"   /* PP_BUILD_PLUGIN_DIR (generated) */
#include "core/experiment.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

static pp_registry *registry;

const char *__asan_default_options(void)
{
	return "max_allocation_size_mb=256:allocator_may_return_null=1";
}

/* Every *.so of the build tree's plugins/ but error.so into registry. */
static int load_plugins(pp_error *err)
{
	DIR *dir = opendir(PP_BUILD_PLUGIN_DIR);
	struct dirent *e;
	char path[4096];
	int rc = PP_OK;

	if (!dir)
		return pp_error_set(err, PP_ERR_IO, "cannot open %s", PP_BUILD_PLUGIN_DIR);
	while (!rc && (e = readdir(dir))) {
		size_t n = strlen(e->d_name);
		if (n < 4 || strcmp(e->d_name + n - 3, ".so") || !strcmp(e->d_name, "error.so"))
			continue;
		rc = pp_path_join(path, sizeof path, PP_BUILD_PLUGIN_DIR, e->d_name, err);
		if (!rc)
			rc = pp_registry_load_file(registry, path, err);
	}
	closedir(dir);
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pp_error err = {0};

	(void)argc;
	(void)argv;
	if (pp_registry_create(&registry, &err) || load_plugins(&err)) {
		fprintf(stderr, "fuzz_experiment: %s\n", err.message);
		abort();
	}
	return 0;
}

/* What `run` writes as config.yaml, into memory and discarded. */
static void write_resolved(const pp_experiment *exp)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	pp_config_write_resolved(exp->root, f);
	fclose(f);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pp_config_doc *doc = NULL;
	pp_experiment *exp = NULL;
	pp_error err = {0};

	if (pp_config_doc_parse((const char *)data, size, "fuzz.yaml", &doc, &err))
		return 0;
	if (pp_experiment_create_doc(doc, registry, NULL, PP_EXPERIMENT_CHECK, &exp, &err) == PP_OK)
		write_resolved(exp);
	pp_experiment_destroy(exp);
	return 0;
}
