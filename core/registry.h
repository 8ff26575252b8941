/* phasepinn — the plugin registry (private to the core and its tests).
 *
 * Loads shared objects with dlopen(RTLD_NOW | RTLD_LOCAL), reads their one
 * exported symbol `pp_plugin_entry`, checks ABI version, descriptor size,
 * kind, name and the ops every kind requires, and rejects a second plugin
 * with the same kind and name.  Search order of pp_registry_load_default():
 *   1. the directories given with --plugin-dir (in order),
 *   2. PHASEPINN_PLUGIN_PATH (colon-separated),
 *   3. the build tree's plugins/ when libphasepinn runs from the build tree,
 *      otherwise the install dir <libdir>/phasepinn/plugins.
 * A directory contributes its *.so files and those of its direct
 * subdirectories (plugins/pdes/, plugins/optimizers/, ...).
 */
#ifndef PHASEPINN_CORE_REGISTRY_H
#define PHASEPINN_CORE_REGISTRY_H

#include <stddef.h>
#include <phasepinn/error.h>
#include <phasepinn/plugin.h>

typedef struct pp_registry pp_registry;

int pp_registry_create(pp_registry **out, pp_error *err);
void pp_registry_destroy(pp_registry *reg);

/* Load one plugin file. */
int pp_registry_load_file(pp_registry *reg, const char *path, pp_error *err);
/* Load every *.so of @dir and of its direct subdirectories. A missing
 * directory is an error only when @required. */
int pp_registry_load_dir(pp_registry *reg, const char *dir, int required,
			 pp_error *err);
/* The search order above; @dirs (may be NULL) are the --plugin-dir values. */
int pp_registry_load_default(pp_registry *reg, const char *const *dirs,
			     size_t n_dirs, pp_error *err);

const pp_plugin *pp_registry_find(const pp_registry *reg, pp_kind kind,
				  const char *name);
size_t pp_registry_count(const pp_registry *reg);
const pp_plugin *pp_registry_at(const pp_registry *reg, size_t index);
const char *pp_registry_path_at(const pp_registry *reg, size_t index);
/* "a, b, c": names of every plugin of @kind, sorted, into buf (truncated). */
void pp_registry_names(const pp_registry *reg, pp_kind kind, char *buf,
		       size_t size);
/* Find or fail with "unknown <kind> plugin 'x'; available: a, b". */
const pp_plugin *pp_registry_require(const pp_registry *reg, pp_kind kind,
				     const char *name, pp_error *err);

#endif
