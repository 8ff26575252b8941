/* phasepinn — the plugin descriptor.
 *
 * A plugin is one shared object exporting exactly one symbol,
 * `pp_plugin_entry`, a pp_plugin that names the plugin, its kind and its ops
 * table.  Write it with PP_PLUGIN_DEFINE at the end of the plugin's C file:
 *
 *     static const pp_pde_ops heat_ops = { .struct_size = sizeof heat_ops, ... };
 *     PP_PLUGIN_DEFINE(PP_KIND_PDE, "heat", "1-D heat equation u_t = k u_xx", &heat_ops)
 *
 * Compatibility rules (as in SQLite's and Redis' module tables): fields of the
 * descriptor and of every ops table are only ever appended.  The loader
 * refuses a plugin whose abi_version differs from PP_ABI_VERSION, and reads an
 * ops field only when the plugin's struct_size says the field is there.
 */
#ifndef PHASEPINN_PLUGIN_H
#define PHASEPINN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <phasepinn/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: PDE contract v2 (pp_channel with an output and up to four derivative
 * inputs; several outputs, residual components, hard-constraint transforms);
 * docs/writing-a-pde-plugin.md, "What changed in contract v2". */
#define PP_ABI_VERSION 2u
#define PP_PLUGIN_ENTRY_SYMBOL "pp_plugin_entry"

typedef enum pp_kind {
	PP_KIND_PDE = 1,
	PP_KIND_OPTIMIZER = 2,
	PP_KIND_WEIGHTING = 3,
	PP_KIND_ANALYZER = 4
} pp_kind;

typedef struct pp_plugin {
	uint32_t abi_version;  /* must equal PP_ABI_VERSION */
	uint32_t struct_size;  /* sizeof(pp_plugin) as the plugin saw it */
	pp_kind kind;
	const char *name;      /* the YAML `type:`, [a-z0-9_]+ */
	const char *summary;   /* one line for `phasepinn plugins` */
	const void *ops;       /* pp_pde_ops, pp_optimizer_ops, ... chosen by kind */
} pp_plugin;

#if defined(__GNUC__)
#define PP_EXPORT __attribute__((visibility("default")))
#else
#define PP_EXPORT
#endif

#define PP_PLUGIN_DEFINE(kind_, name_, summary_, ops_)                         \
	PP_EXPORT const pp_plugin pp_plugin_entry = {                          \
		.abi_version = PP_ABI_VERSION,                                 \
		.struct_size = (uint32_t)sizeof(pp_plugin),                    \
		.kind = (kind_),                                               \
		.name = (name_),                                               \
		.summary = (summary_),                                         \
		.ops = (ops_),                                                 \
	};

/* True when an ops table of @size bytes contains member @field of @type. */
#define PP_OPS_HAS(ops, type, field)                                           \
	((ops)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

const char *pp_kind_name(pp_kind kind);

/* Checkpoint hooks for a plugin that keeps nothing between steps but its
 * configuration and scratch space: it saves zero bytes and accepts only zero
 * bytes back.  Every ops table with state (optimizer, weighting, analyzer,
 * pde) has optional save/load members; leaving them NULL makes `phasepinn
 * resume` refuse a run that uses the plugin, since the core cannot know that
 * nothing would be lost.  So a stateless plugin says so:
 *
 *     .save = pp_stateless_save,
 *     .load = pp_stateless_load,
 */
static inline int pp_stateless_save(void *state, void *buf, size_t *size, pp_error *err)
{
	(void)state;
	(void)buf;
	(void)err;
	*size = 0;
	return PP_OK;
}

static inline int pp_stateless_load(void *state, const void *buf, size_t size, pp_error *err)
{
	(void)state;
	(void)buf;
	if (size != 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "expected no saved state, found %zu bytes", size);
	return PP_OK;
}

#ifdef __cplusplus
}
#endif
#endif
