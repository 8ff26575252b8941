/* phasepinn — read-only view of an experiment's YAML.
 *
 * The core parses the YAML file once into a tree of pp_config nodes that
 * remember where they came from (file, line, column).  Plugins receive the
 * node of their own section and read it with the typed getters below.  Every
 * getter:
 *   - returns PP_OK and stores the value, or the default when the key is absent;
 *   - returns PP_ERR_CONFIG with "file:line:col: ..." in @err when the value
 *     has the wrong type or lies outside [min, max];
 *   - records the key as known, so that after a plugin's create() the core can
 *     reject keys nobody read ("unknown key 'gama'; known keys: gamma, eta").
 * Nodes are owned by the core and live as long as the experiment.
 */
#ifndef PHASEPINN_CONFIG_H
#define PHASEPINN_CONFIG_H

#include <stddef.h>
#include <phasepinn/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pp_config pp_config;

typedef enum pp_config_type {
	PP_CONFIG_SCALAR = 1,
	PP_CONFIG_SEQUENCE = 2,
	PP_CONFIG_MAP = 3
} pp_config_type;

pp_config_type pp_config_node_type(const pp_config *node);
const char *pp_config_file(const pp_config *node);
int pp_config_line(const pp_config *node);    /* 1-based */
int pp_config_column(const pp_config *node);  /* 1-based */

/* Scalar text (NULL for maps and sequences). */
const char *pp_config_text(const pp_config *node);

/* Map lookup; NULL when absent (or @map is NULL or not a map).  Marks the key
 * as known. */
const pp_config *pp_config_get(const pp_config *map, const char *key);

/* Number of entries of a map or sequence; element / key by index. */
size_t pp_config_size(const pp_config *node);
const pp_config *pp_config_at(const pp_config *node, size_t index);
const char *pp_config_key_at(const pp_config *map, size_t index);

/* Typed getters with defaults.  @map may be NULL (every key then absent). */
int pp_config_double(const pp_config *map, const char *key, double def,
		     double min, double max, double *out, pp_error *err);
int pp_config_long(const pp_config *map, const char *key, long def,
		   long min, long max, long *out, pp_error *err);
int pp_config_bool(const pp_config *map, const char *key, int def,
		   int *out, pp_error *err);
/* The string stays valid as long as the node. */
int pp_config_string(const pp_config *map, const char *key, const char *def,
		     const char **out, pp_error *err);
/* One of @choices (NULL-terminated); stores its index.  The error lists them. */
int pp_config_choice(const pp_config *map, const char *key, const char *def,
		     const char *const *choices, int *out, pp_error *err);
/* A scalar node's value (no key involved). */
int pp_config_node_double(const pp_config *node, double *out, pp_error *err);
int pp_config_node_long(const pp_config *node, long *out, pp_error *err);

/* A key that must be present: error "missing required key" when absent. */
const pp_config *pp_config_require(const pp_config *map, const char *key,
				   pp_error *err);

/* Set @err to "file:line:col: <message>" for @node and return @code. */
int pp_config_error(pp_error *err, int code, const pp_config *node,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sections and lists:
 *
 * Every getter refuses a @map that is present but is not a map, with
 * "file:line:col: weighting: must be a map, e.g. ..." — a section given as
 * `weighting: rba` is never read as an empty one.  A node that some reader
 * asked a key of but that is not a map is also reported by the core's last
 * pass over the tree, so a probe with pp_config_get alone cannot hide it.
 *
 * The map under @key: error (with an example showing @example_key, which may
 * be NULL) when present and not a map; when absent, an empty map is added
 * so that the defaults its readers take appear in the run's config.yaml.
 * @map NULL: *out = NULL. */
int pp_config_map(const pp_config *map, const char *key, const char *example_key,
		  const pp_config **out, pp_error *err);
/* Exactly @n (1..16) numbers, e.g. `bins: [10, 10]`; absent: @def, recorded
 * as the default. */
int pp_config_long_list(const pp_config *map, const char *key, size_t n, const long *def,
			long min, long max, long *out, pp_error *err);
int pp_config_double_list(const pp_config *map, const char *key, size_t n,
			  const double *def, double min, double max, double *out,
			  pp_error *err);
/* Up to @max names, e.g. `terms: [residual, initial]`, into out[] (texts
 * owned by the node); absent: the @n_def names of @def (plain names),
 * recorded as the default.  *n_out: how many. */
int pp_config_name_list(const pp_config *map, const char *key, const char *const *def,
			size_t n_def, size_t max, const char **out, size_t *n_out,
			pp_error *err);

#ifdef __cplusplus
}
#endif
#endif
