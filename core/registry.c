/* phasepinn — plugin loader and registry (see registry.h). */
#define _GNU_SOURCE
#include "core/registry.h"
#include "core/channels.h"
#include "core/safe_open.h"
#include "core/build_paths.h"   /* PP_BUILD_ROOT, PP_*_PLUGIN_DIR (generated) */

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phasepinn/analyzer.h>
#include <phasepinn/optimizer.h>
#include <phasepinn/pde.h>
#include <phasepinn/weighting.h>

/* The core's copy of a plugin's ops table: zeroed, of the core's full size,
 * holding the first min(struct_size, sizeof) bytes of the plugin's table, so
 * a field the plugin's (older) headers did not have reads as NULL. */
typedef union pp_ops_copy {
	pp_pde_ops pde;
	pp_optimizer_ops optimizer;
	pp_weighting_ops weighting;
	pp_analyzer_ops analyzer;
} pp_ops_copy;

/* One loaded plugin.  Allocated alone so the descriptor handed out by
 * pp_registry_find stays put while the registry grows. */
typedef struct pp_registry_entry {
	void *handle;
	pp_plugin plugin;        /* the core's copy; .ops points at ops below */
	pp_ops_copy ops;
	char *path;
} pp_registry_entry;

struct pp_registry {
	pp_registry_entry **entries;
	size_t count;
	size_t capacity;
	char **skipped;          /* "PATH: why" of each file skipped */
	size_t n_skipped;
	char **searched;         /* directories of the search path, in order, each
				    "DIR" or "DIR (does not exist)" */
	size_t n_searched;
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
		dlclose(reg->entries[i]->handle);
		free(reg->entries[i]->path);
		free(reg->entries[i]);
	}
	for (size_t i = 0; i < reg->n_skipped; i++)
		free(reg->skipped[i]);
	free(reg->skipped);
	for (size_t i = 0; i < reg->n_searched; i++)
		free(reg->searched[i]);
	free(reg->searched);
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

/* Size of the core's ops table of @kind, and the smallest table a plugin
 * may give: one that reaches past the last required op. */
static size_t ops_size(pp_kind kind, size_t *min_size)
{
	switch (kind) {
	case PP_KIND_PDE:
		*min_size = offsetof(pp_pde_ops, reference);
		return sizeof(pp_pde_ops);
	case PP_KIND_OPTIMIZER:
		*min_size = offsetof(pp_optimizer_ops, moments);
		return sizeof(pp_optimizer_ops);
	case PP_KIND_WEIGHTING:
		*min_size = offsetof(pp_weighting_ops, needs);
		return sizeof(pp_weighting_ops);
	case PP_KIND_ANALYZER:
		*min_size = offsetof(pp_analyzer_ops, finish);
		return sizeof(pp_analyzer_ops);
	}
	*min_size = 0;
	return 0;
}

/* The ops each kind cannot do without, read from the core's copy. */
static const char *missing_ops(pp_kind kind, const pp_ops_copy *o)
{
	switch (kind) {
	case PP_KIND_PDE:
		if (!o->pde.create || !o->pde.destroy || !o->pde.describe || !o->pde.residual)
			return "create, destroy, describe and residual";
		return NULL;
	case PP_KIND_OPTIMIZER:
		if (!o->optimizer.create || !o->optimizer.destroy || !o->optimizer.step)
			return "create, destroy and step";
		return NULL;
	case PP_KIND_WEIGHTING:
		if (!o->weighting.create || !o->weighting.destroy)
			return "create and destroy";
		return NULL;
	case PP_KIND_ANALYZER:
		if (!o->analyzer.create || !o->analyzer.destroy || !o->analyzer.columns ||
		    !o->analyzer.observe)
			return "create, destroy, columns and observe";
		return NULL;
	}
	return "a known kind";
}

static int check_descriptor(const pp_plugin *p, const char *path, pp_error *err)
{
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
	return PP_OK;
}

/* Copy the plugin's descriptor and ops table into @e (PETSc's ts->ops):
 * every field the plugin's struct_size leaves out stays zero, and the copy
 * says it is full size, so the core and the plugins it hands the table to
 * (problem.pde_ops) may read any field without looking at struct_size. */
static int copy_plugin(pp_registry_entry *e, const pp_plugin *p, const char *path,
		       pp_error *err)
{
	size_t min_size, full = ops_size(p->kind, &min_size), given;
	const char *missing;

	memset(&e->ops, 0, sizeof e->ops);
	e->plugin = *p;   /* the fields of today's pp_plugin; struct_size >= sizeof */
	e->plugin.struct_size = (uint32_t)sizeof(pp_plugin);
	e->plugin.ops = &e->ops;
	if (!p->ops)
		return pp_error_set(err, PP_ERR_PLUGIN, "%s: %s plugin '%s' lacks required ops: ops",
				    path, pp_kind_name(p->kind), p->name);
	given = *(const uint32_t *)p->ops;   /* every ops table starts with struct_size */
	if (given < min_size)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "%s: %s plugin '%s' lacks required ops: struct_size (%zu bytes, at least %zu needed)",
				    path, pp_kind_name(p->kind), p->name, given, min_size);
	memcpy(&e->ops, p->ops, given < full ? given : full);
	e->ops.pde.struct_size = (uint32_t)full;   /* the first field of every kind's table */
	missing = missing_ops(p->kind, &e->ops);
	if (missing)
		return pp_error_set(err, PP_ERR_PLUGIN, "%s: %s plugin '%s' lacks required ops: %s",
				    path, pp_kind_name(p->kind), p->name, missing);
	return PP_OK;
}

static int add_entry(pp_registry *reg, pp_registry_entry *e, const char *path, pp_error *err)
{
	if (reg->count == reg->capacity) {
		size_t cap = reg->capacity ? 2 * reg->capacity : 32;
		pp_registry_entry **grown = realloc(reg->entries, cap * sizeof *grown);
		if (!grown)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory loading %s", path);
		reg->entries = grown;
		reg->capacity = cap;
	}
	e->path = strdup(path);
	if (!e->path)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory loading %s", path);
	reg->entries[reg->count++] = e;
	return PP_OK;
}

/* ---- is it a shared object at all? -------------------------------------- */

/* Does the range [off, off + count·size) lie within @file_size bytes? */
static int range_fits(uint64_t off, uint64_t count, uint64_t size, uint64_t file_size)
{
	if (count && size > UINT64_MAX / count)
		return 0;
	return off <= file_size && count * size <= file_size - off;
}

/* The ELF header and program headers of @fd (@size bytes) describe a shared
 * object for this machine whose every loadable segment lies inside the
 * file.  dlopen maps segments without checking them against the file's
 * length, and touching a page past the end is SIGBUS; so a truncated
 * plugin must be caught here.  NULL when fine, else what is wrong. */
static const char *elf_fault(int fd, uint64_t size)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph;
	int loads = 0;

	if (size < sizeof eh || pp_read_at(fd, &eh, sizeof eh, 0) != 0)
		return "not an ELF file (too short)";
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return "not an ELF file (no ELF magic)";
	if (eh.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32))
		return "an ELF file of the other word size (32/64-bit)";
	if (eh.e_ident[EI_DATA] != (*(const unsigned char *)&(uint16_t){1} ? ELFDATA2LSB : ELFDATA2MSB))
		return "an ELF file of the other byte order";
	if (eh.e_type != ET_DYN)
		return "an ELF file but not a shared object";
	if (eh.e_ehsize != sizeof eh || eh.e_phnum == 0 || eh.e_phentsize != sizeof ph ||
	    (eh.e_shnum && eh.e_shentsize != sizeof(ElfW(Shdr))))
		return "an ELF file with a damaged header";
	if (!range_fits(eh.e_phoff, eh.e_phnum, sizeof ph, size) ||
	    !range_fits(eh.e_shoff, eh.e_shnum, sizeof(ElfW(Shdr)), size))
		return "truncated (its ELF header points past the end of the file)";
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pp_read_at(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != 0)
			return "unreadable";
		if (ph.p_type != PT_LOAD)
			continue;
		loads++;
		if (!range_fits(ph.p_offset, 1, ph.p_filesz, size))
			return "truncated (a loadable segment runs past the end of the file)";
	}
	return loads ? NULL : "an ELF file with nothing to load";
}

/* PP_OK when @path is a regular file holding a whole ELF shared object for
 * this machine; else PP_ERR_PLUGIN saying what it is. */
static int check_shared_object(const char *path, pp_error *err)
{
	struct stat st;
	pp_open_fault open_fault;
	const char *fault;
	int fd = pp_open_regular(path, 1, &st, &open_fault);

	if (open_fault == PP_OPEN_FAILED)
		return pp_error_set(err, PP_ERR_PLUGIN, "cannot load plugin %s: %s", path,
				    strerror(errno));
	if (open_fault == PP_OPEN_NO_STAT) {
		fault = strerror(errno);
	} else if (open_fault == PP_OPEN_NOT_REGULAR) {
		fault = "not a regular file";
	} else {
		fault = elf_fault(fd, (uint64_t)st.st_size);
		close(fd);
	}
	if (fault)
		return pp_error_set(err, PP_ERR_PLUGIN, "%s is not a loadable plugin: %s", path, fault);
	return PP_OK;
}

/* dlopen a checked file and take its descriptor into the registry. */
static int load_checked(pp_registry *reg, const char *path, pp_error *err)
{
	pp_registry_entry *e = calloc(1, sizeof *e);
	const pp_plugin *p;
	int rc;

	if (!e)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory loading %s", path);
	e->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!e->handle) {
		rc = pp_error_set(err, PP_ERR_PLUGIN,
				  "cannot load plugin %s: %s (check its dependencies with `ldd %s`)",
				  path, dlerror(), path);
		free(e);
		return rc;
	}
	p = dlsym(e->handle, PP_PLUGIN_ENTRY_SYMBOL);
	if (!p) {
		rc = pp_error_set(err, PP_ERR_PLUGIN,
				  "%s is not a phasepinn plugin: no exported symbol '%s' (use PP_PLUGIN_DEFINE)",
				  path, PP_PLUGIN_ENTRY_SYMBOL);
		goto fail_close;
	}
	rc = check_descriptor(p, path, err);
	if (!rc)
		rc = copy_plugin(e, p, path, err);
	if (rc)
		goto fail_close;
	for (size_t i = 0; i < reg->count; i++) {
		const pp_plugin *q = &reg->entries[i]->plugin;
		if (q->kind == p->kind && strcmp(q->name, p->name) == 0) {
			rc = pp_error_set(err, PP_ERR_PLUGIN,
					  "duplicate %s plugin '%s': %s and %s; remove one or rename it",
					  pp_kind_name(p->kind), p->name, reg->entries[i]->path, path);
			goto fail_close;
		}
	}
	rc = add_entry(reg, e, path, err);
	if (rc)
		goto fail_close;
	return PP_OK;

fail_close:
	dlclose(e->handle);
	free(e->path);
	free(e);
	return rc;
}

int pp_registry_load_file(pp_registry *reg, const char *path, pp_error *err)
{
	int rc = check_shared_object(path, err);

	return rc ? rc : load_checked(reg, path, err);
}

/* A file of a plugin directory that is no shared object: noted, skipped. */
static int skip_file(pp_registry *reg, const pp_error *why, pp_error *err)
{
	char **grown = realloc(reg->skipped, (reg->n_skipped + 1) * sizeof *grown);

	if (!grown)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	reg->skipped = grown;
	reg->skipped[reg->n_skipped] = strdup(why->message);
	if (!reg->skipped[reg->n_skipped])
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	reg->n_skipped++;
	return PP_OK;
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
		pp_error why = {0};
		/* A stray or damaged file (a text file named x.so, a half-copied
		 * plugin) is not a plugin: it is noted and skipped, so it cannot
		 * stop every command.  A real shared object that breaks the
		 * plugin contract is an error below. */
		if (check_shared_object(list[i], &why) != PP_OK) {
			rc = skip_file(reg, &why, err);
			if (rc)
				goto cleanup;
			continue;
		}
		rc = load_checked(reg, list[i], err);
		if (rc)
			goto cleanup;
	}
cleanup:
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
	return rc;
}

/* Is this library (libphasepinn) the one in the build tree?  Its file's
 * directory into @dir (when not NULL, @size bytes; "" when unknown). */
static int running_from_build_tree(char *dir, size_t size)
{
	Dl_info info;
	size_t n = strlen(PP_BUILD_ROOT);
	const char *slash;

	if (dir && size)
		dir[0] = '\0';
	if (!dladdr((void *)running_from_build_tree, &info) || !info.dli_fname)
		return 0;
	slash = strrchr(info.dli_fname, '/');
	if (dir && slash && (size_t)(slash - info.dli_fname) < size) {
		char *real;
		snprintf(dir, size, "%.*s", (int)(slash - info.dli_fname), info.dli_fname);
		real = realpath(dir, NULL);   /* "bin/../lib" of an $ORIGIN RUNPATH */
		if (real && strlen(real) < size)
			strcpy(dir, real);
		free(real);
	}
	return strncmp(info.dli_fname, PP_BUILD_ROOT, n) == 0 &&
	       (info.dli_fname[n] == '/' || info.dli_fname[n] == '\0');
}

/* Remember that @dir was searched, for "unknown plugin" messages. */
static int note_searched(pp_registry *reg, const char *dir, pp_error *err)
{
	char **grown = realloc(reg->searched, (reg->n_searched + 1) * sizeof *grown);
	struct stat st;
	int exists = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	size_t len = strlen(dir) + sizeof " (does not exist)";

	if (!grown)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	reg->searched = grown;
	reg->searched[reg->n_searched] = malloc(len);
	if (!reg->searched[reg->n_searched])
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	snprintf(reg->searched[reg->n_searched], len, "%s%s", dir, exists ? "" : " (does not exist)");
	reg->n_searched++;
	return PP_OK;
}

/* Was @dir searched already (the same directory by another name: the
 * installed plugins also named in PHASEPINN_PLUGIN_PATH, say)? */
static int searched_already(const pp_registry *reg, const char *dir)
{
	char *real = realpath(dir, NULL), *other;
	int same = 0;

	for (size_t i = 0; real && i < reg->n_searched && !same; i++) {
		other = realpath(reg->searched[i], NULL);   /* NULL for "X (does not exist)" */
		same = other && strcmp(real, other) == 0;
		free(other);
	}
	free(real);
	return same;
}

/* Load @dir unless it was searched already: its plugins would be refused
 * as duplicates of themselves. */
static int search_dir(pp_registry *reg, const char *dir, int required, pp_error *err)
{
	int rc;

	if (searched_already(reg, dir))
		return PP_OK;
	rc = note_searched(reg, dir, err);
	return rc ? rc : pp_registry_load_dir(reg, dir, required, err);
}

/* The installed plugins: <libdir>/phasepinn/plugins, found beside the
 * libphasepinn that runs, so an installation moved to another prefix (or
 * staged with DESTDIR) finds its own plugins; the configured prefix's
 * directory only when the library cannot say where it is. */
static void installed_plugin_dir(const char *lib_dir, char *buf, size_t size)
{
	if (!lib_dir[0] ||
	    (size_t)snprintf(buf, size, "%s/phasepinn/plugins", lib_dir) >= size)
		snprintf(buf, size, "%s", PP_INSTALL_PLUGIN_DIR);
}

int pp_registry_load_default(pp_registry *reg, const char *const *dirs,
			     size_t n_dirs, pp_error *err)
{
	const char *env = getenv("PHASEPINN_PLUGIN_PATH");
	char lib_dir[4096], installed[4200];
	int rc;

	for (size_t i = 0; i < n_dirs; i++) {
		rc = search_dir(reg, dirs[i], 1, err);
		if (rc)
			return rc;
	}
	if (env && *env) {
		char *copy = strdup(env), *save = NULL;
		if (!copy)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
		rc = PP_OK;
		for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			rc = search_dir(reg, tok, 0, err);
			if (rc)
				break;
		}
		free(copy);
		if (rc)
			return pp_error_prefix(err, "PHASEPINN_PLUGIN_PATH");
	}
	if (running_from_build_tree(lib_dir, sizeof lib_dir))
		return search_dir(reg, PP_BUILD_PLUGIN_DIR, 0, err);
	installed_plugin_dir(lib_dir, installed, sizeof installed);
	return search_dir(reg, installed, 0, err);
}

const pp_plugin *pp_registry_find(const pp_registry *reg, pp_kind kind,
				  const char *name)
{
	for (size_t i = 0; i < reg->count; i++) {
		const pp_plugin *p = &reg->entries[i]->plugin;
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
	return index < reg->count ? &reg->entries[index]->plugin : NULL;
}

const char *pp_registry_path_at(const pp_registry *reg, size_t index)
{
	return index < reg->count ? reg->entries[index]->path : NULL;
}

size_t pp_registry_skipped_count(const pp_registry *reg)
{
	return reg->n_skipped;
}

const char *pp_registry_skipped_at(const pp_registry *reg, size_t index)
{
	return index < reg->n_skipped ? reg->skipped[index] : NULL;
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
		if (reg->entries[i]->plugin.kind == kind)
			names[n++] = reg->entries[i]->plugin.name;
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

/* "; searched: A, B (does not exist); add ..." into @buf: where the
 * registry looked, and how to make it look elsewhere. */
static void searched_hint(const pp_registry *reg, char *buf, size_t size)
{
	size_t used = 0;
	int w;

	buf[0] = '\0';
	for (size_t i = 0; i < reg->n_searched && used < size; i++) {
		w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "; searched: ",
			     reg->searched[i]);
		if (w < 0)
			return;
		used += (size_t)w;
	}
	if (used < size)
		snprintf(buf + used, size - used,
			 "; add a directory with --plugin-dir DIR or PHASEPINN_PLUGIN_PATH=DIR1:DIR2");
}

const pp_plugin *pp_registry_require(const pp_registry *reg, pp_kind kind,
				     const char *name, pp_error *err)
{
	const pp_plugin *p = pp_registry_find(reg, kind, name);
	char names[400], searched[480], skipped[400] = "";

	if (p)
		return p;
	pp_registry_names(reg, kind, names, sizeof names);
	searched_hint(reg, searched, sizeof searched);
	if (reg->n_skipped)
		snprintf(skipped, sizeof skipped,
			 " (%zu file(s) on the plugin path were skipped, the first: %s)",
			 reg->n_skipped, reg->skipped[0]);
	pp_error_set(err, PP_ERR_CONFIG, "unknown %s plugin '%s'; available: %s%s%s",
		     pp_kind_name(kind), name ? name : "", names, skipped, searched);
	return NULL;
}

/* ---- what plugins declare ------------------------------------------------ */

static int check_term(const pp_plugin *p, const pp_pde_info *info, int k, pp_error *err)
{
	const pp_term_info *t = &info->terms[k];
	int n = info->n_inputs;

	if (!t->name || !*t->name)
		return pp_error_set(err, PP_ERR_PLUGIN, "pde '%s': term %d has no name", p->name, k);
	if (t->n_channels < 1 || t->n_channels > PP_MAX_CHANNELS)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s', term '%s': declares %d channels; expected 1..%d",
				    p->name, t->name, t->n_channels, PP_MAX_CHANNELS);
	for (int c = 0; c < t->n_channels; c++) {
		const pp_channel *ch = &t->channels[c];
		if (!pp_channel_valid(*ch, n))
		{
			char ins[64] = "";
			for (int j = 0; j < ch->order && j < PP_MAX_ORDER; j++) {
				size_t len = strlen(ins);
				snprintf(ins + len, sizeof ins - len, "%s%d", j ? ", " : "", ch->d[j]);
			}
			return pp_error_set(err, PP_ERR_PLUGIN,
					    "pde '%s', term '%s': channel %d asks for derivative order %d in inputs (%s), but the PDE has %d input(s), 0..%d, and orders go up to %d",
					    p->name, t->name, c, ch->order, ins, n, n - 1, PP_MAX_ORDER);
		}
		if (ch->output < 0 || ch->output >= pp_pde_output_count(info))
			return pp_error_set(err, PP_ERR_PLUGIN,
					    "pde '%s', term '%s': channel %d reads output %d, but the PDE has %d output(s)",
					    p->name, t->name, c, ch->output, pp_pde_output_count(info));
	}
	if (t->n_pieces < 0 || t->n_pieces > PP_MAX_PIECES)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s', term '%s': declares %d pieces; expected 0..%d",
				    p->name, t->name, t->n_pieces, PP_MAX_PIECES);
	for (int q = 0; q < t->n_pieces; q++)
		for (int d = 0; d < n; d++)
			if (t->pieces[q].side[d] < PP_SIDE_FREE || t->pieces[q].side[d] > PP_SIDE_HI)
				return pp_error_set(err, PP_ERR_PLUGIN,
						    "pde '%s', term '%s': piece %d has side %d for input %d; expected free, lo or hi",
						    p->name, t->name, q, t->pieces[q].side[d], d);
	if (t->pair_input < -1 || t->pair_input >= n)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s', term '%s': pair_input %d names no input (-1 for none, 0..%d)",
				    p->name, t->name, t->pair_input, n - 1);
	if (t->n_components < 0 || t->n_components > PP_MAX_COMPONENTS)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s', term '%s': declares %d residual components; expected 0..%d",
				    p->name, t->name, t->n_components, PP_MAX_COMPONENTS);
	if (t->points < 1 || !isfinite(t->weight) || t->weight < 0)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s', term '%s': default points %ld and weight %g; expected points >= 1 and a finite weight >= 0",
				    p->name, t->name, t->points, t->weight);
	return PP_OK;
}

int pp_registry_check_pde_info(const pp_plugin *p, const pp_pde_info *info, pp_error *err)
{
	int n = info->n_inputs;
	int rc;

	if (n < 1 || n > PP_MAX_INPUTS || info->n_terms < 1 || info->n_terms > PP_MAX_TERMS)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s' describes %d inputs and %d terms; expected 1..%d and 1..%d",
				    p->name, n, info->n_terms, PP_MAX_INPUTS, PP_MAX_TERMS);
	for (int d = 0; d < n; d++)
		if (!info->input_names[d] || !*info->input_names[d] || !isfinite(info->lo[d]) ||
		    !isfinite(info->hi[d]) || !(info->lo[d] < info->hi[d]))
			return pp_error_set(err, PP_ERR_PLUGIN,
					    "pde '%s': input %d needs a name and finite bounds lo < hi",
					    p->name, d);
	if (info->time_input < -1 || info->time_input >= n)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s': time_input %d names no input (-1 for none, 0..%d)",
				    p->name, info->time_input, n - 1);
	if (info->periodic_input < -1 || info->periodic_input >= n)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s': periodic_input %d names no input (-1 for none, 0..%d)",
				    p->name, info->periodic_input, n - 1);
	if (info->n_outputs < 0 || info->n_outputs > PP_MAX_OUTPUTS)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s' describes %d outputs; expected 0 (one, u) to %d",
				    p->name, info->n_outputs, PP_MAX_OUTPUTS);
	for (int k = 0; k < info->n_outputs; k++) {
		const char *name = info->output_names[k];
		if (!name || !*name || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name))
			return pp_error_set(err, PP_ERR_PLUGIN,
					    "pde '%s': output %d needs a name of [a-z0-9_] characters",
					    p->name, k);
		for (int j = 0; j < k; j++)
			if (strcmp(info->output_names[j], name) == 0)
				return pp_error_set(err, PP_ERR_PLUGIN,
						    "pde '%s': two outputs are named '%s'", p->name, name);
	}
	if (info->n_transforms < 0 || info->n_transforms > PP_MAX_TRANSFORMS)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s' offers %d hard constraints; expected 0..%d", p->name,
				    info->n_transforms, PP_MAX_TRANSFORMS);
	for (int k = 0; k < info->n_transforms; k++)
		if (!info->transforms[k].name || !*info->transforms[k].name ||
		    info->transforms[k].output < 0 ||
		    info->transforms[k].output >= pp_pde_output_count(info))
			return pp_error_set(err, PP_ERR_PLUGIN,
					    "pde '%s': hard constraint %d needs a name and one of the %d output(s)",
					    p->name, k, pp_pde_output_count(info));
	if (info->n_coefficients < 0 || info->n_coefficients > PP_MAX_COEFFICIENTS)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "pde '%s' declares %d coefficients; expected 0..%d", p->name,
				    info->n_coefficients, PP_MAX_COEFFICIENTS);
	for (int k = 0; k < info->n_coefficients; k++)
		if (!info->coefficients[k].name || !*info->coefficients[k].name ||
		    !isfinite(info->coefficients[k].value))
			return pp_error_set(err, PP_ERR_PLUGIN,
					    "pde '%s': coefficient %d needs a name and a finite value",
					    p->name, k);
	for (int k = 0; k < info->n_terms; k++) {
		rc = check_term(p, info, k, err);
		if (rc)
			return rc;
	}
	return PP_OK;
}

int pp_registry_check_columns(const pp_plugin *p, const char *const *names, int count,
			      int limit, pp_error *err)
{
	if (count < 0 || count > limit)
		return pp_error_set(err, PP_ERR_PLUGIN,
				    "analyzer '%s' declares %d metric columns; a metrics row holds at most %d",
				    p->name, count, limit);
	if (count > 0 && !names)
		return pp_error_set(err, PP_ERR_PLUGIN, "analyzer '%s' gave no column names",
				    p->name);
	for (int c = 0; c < count; c++)
		if (!names[c] || !*names[c])
			return pp_error_set(err, PP_ERR_PLUGIN,
					    "analyzer '%s': column %d has no name", p->name, c);
	return PP_OK;
}
