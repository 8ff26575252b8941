/* phasepinn — plugin loader and registry (see registry.h). */
#define _GNU_SOURCE
#include "core/registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <phasepinn/analyzer.h>
#include <phasepinn/build_config.h>
#include <phasepinn/optimizer.h>
#include <phasepinn/pde.h>
#include <phasepinn/weighting.h>

typedef struct pp_registry_entry {
	void *handle;
	const pp_plugin *plugin;
	char *path;
} pp_registry_entry;

struct pp_registry {
	pp_registry_entry *entries;
	size_t count;
	size_t capacity;
};

const char *pp_kind_name(pp_kind kind)
{
	switch (kind) {
	case PP_KIND_PDE: return "pde";
	case PP_KIND_OPTIMIZER: return "optimizer";
	case PP_KIND_WEIGHTING: return "weighting";
	case PP_KIND_ANALYZER: return "analyzer";
	}
	return "unknown";
}

int pp_registry_create(pp_registry **out, pp_error *err)
{
	pp_registry *reg = calloc(1, sizeof *reg);

	if (!reg)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory creating the plugin registry");
	*out = reg;
	return PP_OK;
}

void pp_registry_destroy(pp_registry *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->count; i++) {
		dlclose(reg->entries[i].handle);
		free(reg->entries[i].path);
	}
	free(reg->entries);
	free(reg);
}

static int name_is_valid(const char *name)
{
	if (!name || !*name)
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return 0;
	return 1;
}

/* The ops each kind cannot do without. */
static const char *missing_ops(const pp_plugin *p)
{
	if (!p->ops)
		return "ops";
	switch (p->kind) {
	case PP_KIND_PDE: {
		const pp_pde_ops *o = p->ops;
		if (o->struct_size < offsetof(pp_pde_ops, reference))
			return "struct_size (pp_pde_ops too small)";
		if (!o->create || !o->destroy || !o->describe || !o->residual)
			return "create, destroy, describe and residual";
		return NULL;
	}
	case PP_KIND_OPTIMIZER: {
		const pp_optimizer_ops *o = p->ops;
		if (o->struct_size < offsetof(pp_optimizer_ops, moments))
			return "struct_size (pp_optimizer_ops too small)";
		if (!o->create || !o->destroy || !o->step)
			return "create, destroy and step";
		return NULL;
	}
	case PP_KIND_WEIGHTING: {
		const pp_weighting_ops *o = p->ops;
		if (o->struct_size < offsetof(pp_weighting_ops, needs))
			return "struct_size (pp_weighting_ops too small)";
		if (!o->create || !o->destroy)
			return "create and destroy";
		return NULL;
	}
	case PP_KIND_ANALYZER: {
		const pp_analyzer_ops *o = p->ops;
		if (o->struct_size < offsetof(pp_analyzer_ops, finish))
			return "struct_size (pp_analyzer_ops too small)";
		if (!o->create || !o->destroy || !o->columns || !o->observe)
			return "create, destroy, columns and observe";
		return NULL;
	}
	}
	return "a known kind";
}

static int check_descriptor(const pp_plugin *p, const char *path, pp_error *err)
{
	const char *missing;

	if (p->abi_version != PP_ABI_VERSION)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "%s: plugin ABI version %u, this phasepinn needs %u; rebuild the plugin against these headers",
				    path, p->abi_version, PP_ABI_VERSION);
	if (p->struct_size < sizeof(pp_plugin))
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "%s: plugin descriptor is %u bytes, expected at least %zu; rebuild the plugin",
				    path, p->struct_size, sizeof(pp_plugin));
	if (p->kind < PP_KIND_PDE || p->kind > PP_KIND_ANALYZER)
		return pp_error_set(err, PP_ERR_PLUGIN, "%s: unknown plugin kind %d", path, (int)p->kind);
	if (!name_is_valid(p->name))
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "%s: plugin name must be non-empty [a-z0-9_]", path);
	missing = missing_ops(p);
	if (missing)
		return pp_error_set(err, PP_ERR_PLUGIN, "%s: %s plugin '%s' lacks required ops: %s",
				    path, pp_kind_name(p->kind), p->name, missing);
	return PP_OK;
}

static int add_entry(pp_registry *reg, void *handle, const pp_plugin *p,
		     const char *path, pp_error *err)
{
	pp_registry_entry *e;

	if (reg->count == reg->capacity) {
		size_t cap = reg->capacity ? 2 * reg->capacity : 32;
		pp_registry_entry *grown = realloc(reg->entries, cap * sizeof *grown);
		if (!grown)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory loading %s", path);
		reg->entries = grown;
		reg->capacity = cap;
	}
	e = &reg->entries[reg->count];
	e->path = strdup(path);
	if (!e->path)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory loading %s", path);
	e->handle = handle;
	e->plugin = p;
	reg->count++;
	return PP_OK;
}

int pp_registry_load_file(pp_registry *reg, const char *path, pp_error *err)
{
	void *handle;
	const pp_plugin *p;
	int rc;

	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "cannot load plugin %s: %s (check its dependencies with `ldd %s`)",
				    path, dlerror(), path);
	p = dlsym(handle, PP_PLUGIN_ENTRY_SYMBOL);
	if (!p) {
		rc = pp_error_set(err, PP_ERR_PLUGIN,
				  "%s is not a phasepinn plugin: no exported symbol '%s' (use PP_PLUGIN_DEFINE)",
				  path, PP_PLUGIN_ENTRY_SYMBOL);
		goto fail_close;
	}
	rc = check_descriptor(p, path, err);
	if (rc)
		goto fail_close;
	for (size_t i = 0; i < reg->count; i++) {
		const pp_plugin *q = reg->entries[i].plugin;
		if (q->kind == p->kind && strcmp(q->name, p->name) == 0) {
			rc = pp_error_set(err, PP_ERR_PLUGIN,
					  "duplicate %s plugin '%s': %s and %s; remove one or rename it",
					  pp_kind_name(p->kind), p->name, reg->entries[i].path, path);
			goto fail_close;
		}
	}
	rc = add_entry(reg, handle, p, path, err);
	if (rc)
		goto fail_close;
	return PP_OK;

fail_close:
	dlclose(handle);
	return rc;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of *.so paths in @dir (and its subdirectories when @depth > 0). */
static int collect(const char *dir, int depth, char ***list, size_t *count,
		   size_t *capacity, pp_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	int rc = PP_OK;

	if (!d)
		return pp_error_set(err, PP_ERR_IO, "cannot open plugin directory %s: %s",
				    dir, strerror(errno));
	while ((ent = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;

		if (ent->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, ent->d_name) >= sizeof path)
			continue;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0) {
			rc = collect(path, depth - 1, list, count, capacity, err);
			if (rc)
				break;
			continue;
		}
		if (!S_ISREG(st.st_mode) || !has_suffix(ent->d_name, ".so"))
			continue;
		if (*count == *capacity) {
			size_t cap = *capacity ? 2 * *capacity : 32;
			char **grown = realloc(*list, cap * sizeof *grown);
			if (!grown) {
				rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
				break;
			}
			*list = grown;
			*capacity = cap;
		}
		(*list)[*count] = strdup(path);
		if (!(*list)[*count]) {
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
			break;
		}
		(*count)++;
	}
	closedir(d);
	return rc;
}

int pp_registry_load_dir(pp_registry *reg, const char *dir, int required,
			 pp_error *err)
{
	char **list = NULL;
	size_t count = 0, capacity = 0;
	struct stat st;
	int rc = PP_OK;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		if (!required)
			return PP_OK;
		return pp_error_set(err, PP_ERR_IO, "plugin directory %s does not exist", dir);
	}
	rc = collect(dir, 1, &list, &count, &capacity, err);
	if (rc)
		goto cleanup;
	qsort(list, count, sizeof *list, compare_strings);
	for (size_t i = 0; i < count; i++) {
		rc = pp_registry_load_file(reg, list[i], err);
		if (rc)
			goto cleanup;
	}
cleanup:
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
	return rc;
}

/* Is this library (libphasepinn) the one in the build tree? */
static int running_from_build_tree(void)
{
	Dl_info info;
	size_t n = strlen(PP_BUILD_ROOT);

	if (!dladdr((void *)running_from_build_tree, &info) || !info.dli_fname)
		return 0;
	return strncmp(info.dli_fname, PP_BUILD_ROOT, n) == 0 &&
	       (info.dli_fname[n] == '/' || info.dli_fname[n] == '\0');
}

int pp_registry_load_default(pp_registry *reg, const char *const *dirs,
			     size_t n_dirs, pp_error *err)
{
	const char *env = getenv("PHASEPINN_PLUGIN_PATH");
	int rc;

	for (size_t i = 0; i < n_dirs; i++) {
		rc = pp_registry_load_dir(reg, dirs[i], 1, err);
		if (rc)
			return rc;
	}
	if (env && *env) {
		char *copy = strdup(env), *save = NULL;
		if (!copy)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
		rc = PP_OK;
		for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			rc = pp_registry_load_dir(reg, tok, 0, err);
			if (rc)
				break;
		}
		free(copy);
		if (rc)
			return pp_error_prefix(err, "PHASEPINN_PLUGIN_PATH");
	}
	if (running_from_build_tree())
		return pp_registry_load_dir(reg, PP_BUILD_PLUGIN_DIR, 0, err);
	return pp_registry_load_dir(reg, PP_INSTALL_PLUGIN_DIR, 0, err);
}

const pp_plugin *pp_registry_find(const pp_registry *reg, pp_kind kind,
				  const char *name)
{
	for (size_t i = 0; i < reg->count; i++) {
		const pp_plugin *p = reg->entries[i].plugin;
		if (p->kind == kind && name && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

size_t pp_registry_count(const pp_registry *reg)
{
	return reg->count;
}

const pp_plugin *pp_registry_at(const pp_registry *reg, size_t index)
{
	return index < reg->count ? reg->entries[index].plugin : NULL;
}

const char *pp_registry_path_at(const pp_registry *reg, size_t index)
{
	return index < reg->count ? reg->entries[index].path : NULL;
}

void pp_registry_names(const pp_registry *reg, pp_kind kind, char *buf,
		       size_t size)
{
	const char *names[256];
	size_t n = 0, used = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < reg->count && n < 256; i++)
		if (reg->entries[i].plugin->kind == kind)
			names[n++] = reg->entries[i].plugin->name;
	qsort(names, n, sizeof *names, compare_strings);
	for (size_t i = 0; i < n && used < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, size, "(none found: is PHASEPINN_PLUGIN_PATH or --plugin-dir right?)");
}

const pp_plugin *pp_registry_require(const pp_registry *reg, pp_kind kind,
				     const char *name, pp_error *err)
{
	const pp_plugin *p = pp_registry_find(reg, kind, name);
	char names[768];

	if (p)
		return p;
	pp_registry_names(reg, kind, names, sizeof names);
	pp_error_set(err, PP_ERR_CONFIG, "unknown %s plugin '%s'; available: %s",
		     pp_kind_name(kind), name ? name : "", names);
	return NULL;
}
