/* phasepinn — parsed YAML documents (private to the core and its tests).
 *
 * pp_config (include/phasepinn/config.h) is the read-only node API plugins
 * see; this header is how the core creates documents and checks that every
 * key of a section was understood. */
#ifndef PHASEPINN_CORE_CONFIG_DOC_H
#define PHASEPINN_CORE_CONFIG_DOC_H

#include <stddef.h>
#include <stdio.h>
#include <phasepinn/config.h>
#include <phasepinn/error.h>

typedef struct pp_config_doc pp_config_doc;

/* Parse a YAML file.  Errors quote "path:line:col".  The reader refuses a
 * directory, a second document in the file, nesting deeper than 64 levels
 * and documents of more than 100,000 nodes (each alias counts as the copy
 * of its anchor it expands to); see core/config.c. */
int pp_config_doc_load(const char *path, pp_config_doc **out, pp_error *err);
/* Parse YAML text; @name stands in for the file name in messages. */
int pp_config_doc_parse(const char *text, size_t len, const char *name,
			pp_config_doc **out, pp_error *err);
const pp_config *pp_config_doc_root(const pp_config_doc *doc);
void pp_config_doc_destroy(pp_config_doc *doc);

/* Fail with "file:line:col: unknown key 'k' in <section>; known keys: a, b"
 * for the first key of @map that no getter looked up.  NULL map: OK. */
int pp_config_check_unknown(const pp_config *map, const char *section,
			    pp_error *err);
/* A new document: @base with each top-level section of the map @variant
 * replacing (or adding) the section of the same name.  Nodes keep the file,
 * line and column they came from, so errors point into the right file. */
int pp_config_doc_overlay(const pp_config_doc *base, const pp_config *variant,
			  pp_config_doc **out, pp_error *err);

/* pp_config_check_unknown on every map of the tree, naming each by its path
 * ("stages[1]", "network.embedding"). */
int pp_config_check_unknown_tree(const pp_config *root, pp_error *err);
/* Mark @key of @map as known without reading it (keys the core handles). */
void pp_config_mark_known(const pp_config *map, const char *key);

/* The node @key of @map; when absent, an empty map is added under @key so
 * that the defaults its readers take are recorded (pp_config_write_resolved).
 * NULL only when @map is not a map or memory runs out.  A present node that
 * is not a map is returned as it is (the getters then refuse it);
 * pp_config_map is the form that reports it at once. */
const pp_config *pp_config_section(const pp_config *map, const char *key);

/* Set @key of the map @map to the scalar @text (replacing a scalar there or
 * adding one): a value the program decided, such as --output.  The resolved
 * config marks it "# given on the command line". */
int pp_config_set_string(const pp_config *map, const char *key, const char *text,
			 pp_error *err);

/* The same for a file name the program made absolute (a relative one
 * resolved against the experiment file's directory): the resolved config
 * says so. */
int pp_config_set_path(const pp_config *map, const char *key, const char *path,
		       pp_error *err);

/* pp_config_error at the key @key of @map ("network:") rather than at its
 * value, which for a block map is its first entry's line. */
int pp_config_error_at_key(pp_error *err, int code, const pp_config *map, const char *key,
			   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* For tests: the path of every key some getter asked for that is absent
 * from its map and took no recorded default ("stages[].schedule.rate"),
 * one a line. */
void pp_config_list_unrecorded(const pp_config *root, FILE *f);

/* Write the document as YAML with every default that a getter took for an
 * absent key filled in (marked "# default"). */
int pp_config_write_resolved(const pp_config *root, FILE *f);

/* Take @key and its value out of the map @map (a key a command reads for
 * itself, such as compare's seeds:, before the experiment sees the
 * document).  1 when it was there, 0 when not (or @map is not a map). */
int pp_config_remove(const pp_config *map, const char *key);

#endif
