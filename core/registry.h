/* phasepinn — the plugin registry (private to the core and its tests).
 *
 * Loads shared objects with dlopen(RTLD_NOW | RTLD_LOCAL), reads their one
 * exported symbol `pp_plugin_entry`, checks ABI version, descriptor size,
 * kind, name and the ops every kind requires, and rejects a second plugin
 * with the same kind and name.  Search order of pp_registry_load_default():
 *   1. the directories given with --plugin-dir (in order),
 *   2. PHASEPINN_PLUGIN_PATH (colon-separated),
 *   3. the build tree's plugins/ when libphasepinn runs from the build tree,
 *      otherwise phasepinn/plugins beside the running libphasepinn (the
 *      install dir <libdir>/phasepinn/plugins, wherever it was moved).
 * Every directory searched is remembered: pp_registry_require's "unknown
 * plugin" message lists them and says how to add one.
 * A directory contributes its *.so files and those of its direct
 * subdirectories (plugins/pdes/, plugins/optimizers/, ...).
 *
 * Before dlopen every file is checked to be a regular file holding a whole
 * ELF shared object for this machine (header sane, program and section
 * headers and every loadable segment inside the file): dlopen maps a
 * truncated file and the first touch past its end is SIGBUS.  In a plugin
 * directory a file that fails this check is skipped and noted
 * (pp_registry_skipped_*); pp_registry_load_file refuses it.
 *
 * The registry hands out its own copy of each descriptor, whose ops point
 * at a zeroed table of the core's full size holding the plugin's first
 * min(struct_size, sizeof) bytes (as PETSc keeps ts->ops): a plugin built
 * against older headers never has a newer field read past the end of its
 * table, and every consumer reads the fields freely.
 */
#ifndef PHASEPINN_CORE_REGISTRY_H
#define PHASEPINN_CORE_REGISTRY_H

#include <stddef.h>
#include <phasepinn/error.h>
#include <phasepinn/pde.h>
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
/* Find or fail with "unknown <kind> plugin 'x'; available: a, b" (and the
 * first skipped file, when files were skipped). */
const pp_plugin *pp_registry_require(const pp_registry *reg, pp_kind kind,
				     const char *name, pp_error *err);

/* Files of the plugin directories skipped as no shared object, each as
 * "PATH is not a loadable plugin: why"; the command line prints them. */
size_t pp_registry_skipped_count(const pp_registry *reg);
const char *pp_registry_skipped_at(const pp_registry *reg, size_t index);

/* What a PDE plugin's describe() returned is usable: 1..PP_MAX_INPUTS named
 * inputs with finite lo < hi, time_input and periodic_input -1 or an input,
 * 1..PP_MAX_TERMS terms each with a name, 1..PP_MAX_CHANNELS channels that
 * ask only for existing inputs, 0..PP_MAX_PIECES pieces, a pair_input of -1
 * or an input, points >= 1 and a finite weight >= 0.  PP_ERR_PLUGIN naming
 * the plugin and the term otherwise. */
int pp_registry_check_pde_info(const pp_plugin *p, const pp_pde_info *info, pp_error *err);
/* An analyzer's columns() result: 0..@limit named columns. */
int pp_registry_check_columns(const pp_plugin *p, const char *const *names, int count,
			      int limit, pp_error *err);

#endif
