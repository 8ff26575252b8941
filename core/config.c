/* phasepinn — YAML documents as read-only config trees (see config.h and
 * config_doc.h).
 *
 * libyaml loads the document; we copy it into our own nodes that remember
 * file, line and column, because every error about a value must point at it.
 * Maps also remember which keys some getter asked for: that is how unknown
 * keys are found after each consumer has read its section.
 */
#include "core/config_doc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define PP_CONFIG_MAX_DEPTH 64

struct pp_config {
	pp_config_type type;
	const char *file;       /* owned by the document */
	int line;
	int column;
	char *text;             /* scalars */
	size_t count;           /* entries of maps and sequences */
	char **keys;            /* maps */
	int *key_lines;         /* maps: where each key stands */
	int *key_columns;
	unsigned char *used;    /* maps: key looked up */
	pp_config **items;      /* map values / sequence items */
	/* Names any getter asked for (present or not), for error messages, and
	 * the default each one took when absent (for the resolved config). */
	char **asked;
	char **asked_default;
	size_t n_asked;
	int implicit;           /* created by pp_config_section, not in the file */
};

struct pp_config_doc {
	char *file;
	char *file2;       /* overlay documents: the file the variant came from */
	pp_config *root;
};

/* ---- nodes -------------------------------------------------------------- */

static void node_free(pp_config *node)
{
	if (!node)
		return;
	free(node->text);
	for (size_t i = 0; i < node->count; i++) {
		if (node->keys)
			free(node->keys[i]);
		node_free(node->items[i]);
	}
	free(node->keys);
	free(node->key_lines);
	free(node->key_columns);
	free(node->used);
	free(node->items);
	for (size_t i = 0; i < node->n_asked; i++) {
		free(node->asked[i]);
		free(node->asked_default[i]);
	}
	free(node->asked);
	free(node->asked_default);
	free(node);
}

static int convert(yaml_document_t *doc, yaml_node_t *src, const char *file,
		   int depth, pp_config **out, pp_error *err);

static pp_config *node_new(pp_config_type type, const char *file, yaml_mark_t mark)
{
	pp_config *node = calloc(1, sizeof *node);

	if (!node)
		return NULL;
	node->type = type;
	node->file = file;
	node->line = (int)mark.line + 1;
	node->column = (int)mark.column + 1;
	return node;
}

static int convert_map(yaml_document_t *doc, yaml_node_t *src, pp_config *node,
		       int depth, pp_error *err)
{
	size_t n = (size_t)(src->data.mapping.pairs.top - src->data.mapping.pairs.start);
	int rc;

	node->keys = calloc(n ? n : 1, sizeof *node->keys);
	node->key_lines = calloc(n ? n : 1, sizeof *node->key_lines);
	node->key_columns = calloc(n ? n : 1, sizeof *node->key_columns);
	node->used = calloc(n ? n : 1, 1);
	node->items = calloc(n ? n : 1, sizeof *node->items);
	if (!node->keys || !node->key_lines || !node->key_columns || !node->used || !node->items)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", node->file);
	for (size_t i = 0; i < n; i++) {
		yaml_node_pair_t *pair = &src->data.mapping.pairs.start[i];
		yaml_node_t *key = yaml_document_get_node(doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(doc, pair->value);
		int kl = (int)key->start_mark.line + 1, kc = (int)key->start_mark.column + 1;

		if (key->type != YAML_SCALAR_NODE)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "%s:%d:%d: map keys must be plain names", node->file, kl, kc);
		for (size_t j = 0; j < node->count; j++)
			if (strcmp(node->keys[j], (char *)key->data.scalar.value) == 0)
				return pp_error_set(err, PP_ERR_CONFIG,
						    "%s:%d:%d: duplicate key '%s' (first at line %d); keep one",
						    node->file, kl, kc, node->keys[j], node->key_lines[j]);
		node->keys[i] = strdup((char *)key->data.scalar.value);
		if (!node->keys[i])
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", node->file);
		node->key_lines[i] = kl;
		node->key_columns[i] = kc;
		node->count = i + 1;
		rc = convert(doc, value, node->file, depth + 1, &node->items[i], err);
		if (rc)
			return rc;
	}
	return PP_OK;
}

static int convert_sequence(yaml_document_t *doc, yaml_node_t *src, pp_config *node,
			    int depth, pp_error *err)
{
	size_t n = (size_t)(src->data.sequence.items.top - src->data.sequence.items.start);
	int rc;

	node->items = calloc(n ? n : 1, sizeof *node->items);
	if (!node->items)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", node->file);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = yaml_document_get_node(doc, src->data.sequence.items.start[i]);
		node->count = i + 1;
		rc = convert(doc, item, node->file, depth + 1, &node->items[i], err);
		if (rc)
			return rc;
	}
	return PP_OK;
}

static int convert(yaml_document_t *doc, yaml_node_t *src, const char *file,
		   int depth, pp_config **out, pp_error *err)
{
	pp_config *node;
	int rc = PP_OK;

	*out = NULL;
	if (depth > PP_CONFIG_MAX_DEPTH)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:%d:%d: nesting deeper than %d levels",
				    file, (int)src->start_mark.line + 1,
				    (int)src->start_mark.column + 1, PP_CONFIG_MAX_DEPTH);
	switch (src->type) {
	case YAML_SCALAR_NODE:
		node = node_new(PP_CONFIG_SCALAR, file, src->start_mark);
		if (!node)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", file);
		node->text = strndup((char *)src->data.scalar.value, src->data.scalar.length);
		if (!node->text)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", file);
		break;
	case YAML_SEQUENCE_NODE:
		node = node_new(PP_CONFIG_SEQUENCE, file, src->start_mark);
		if (!node)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", file);
		rc = convert_sequence(doc, src, node, depth, err);
		break;
	case YAML_MAPPING_NODE:
		node = node_new(PP_CONFIG_MAP, file, src->start_mark);
		if (!node)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", file);
		rc = convert_map(doc, src, node, depth, err);
		break;
	default:
		return pp_error_set(err, PP_ERR_CONFIG, "%s: empty YAML node", file);
	}
	if (rc) {
		node_free(node);
		return rc;
	}
	*out = node;
	return PP_OK;
}

/* ---- documents ---------------------------------------------------------- */

static int parse_with(yaml_parser_t *parser, const char *name, pp_config_doc **out,
		      pp_error *err)
{
	yaml_document_t ydoc;
	yaml_node_t *root;
	pp_config_doc *doc = NULL;
	int rc;

	*out = NULL;
	if (!yaml_parser_load(parser, &ydoc)) {
		const char *what = parser->problem ? parser->problem : "malformed YAML";
		return pp_error_set(err, PP_ERR_CONFIG, "%s:%d:%d: YAML syntax error: %s%s%s",
				    name, (int)parser->problem_mark.line + 1,
				    (int)parser->problem_mark.column + 1, what,
				    parser->context ? " " : "",
				    parser->context ? parser->context : "");
	}
	root = yaml_document_get_root_node(&ydoc);
	if (!root) {
		rc = pp_error_set(err, PP_ERR_CONFIG, "%s: the file is empty; see README.md for an example experiment", name);
		goto cleanup_ydoc;
	}
	doc = calloc(1, sizeof *doc);
	if (!doc || !(doc->file = strdup(name))) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", name);
		goto cleanup_doc;
	}
	rc = convert(&ydoc, root, doc->file, 0, &doc->root, err);
	if (rc)
		goto cleanup_doc;
	yaml_document_delete(&ydoc);
	*out = doc;
	return PP_OK;

cleanup_doc:
	pp_config_doc_destroy(doc);
cleanup_ydoc:
	yaml_document_delete(&ydoc);
	return rc;
}

int pp_config_doc_parse(const char *text, size_t len, const char *name,
			pp_config_doc **out, pp_error *err)
{
	yaml_parser_t parser;
	int rc;

	if (!yaml_parser_initialize(&parser))
		return pp_error_set(err, PP_ERR_NOMEM, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	rc = parse_with(&parser, name ? name : "<string>", out, err);
	yaml_parser_delete(&parser);
	return rc;
}

int pp_config_doc_load(const char *path, pp_config_doc **out, pp_error *err)
{
	yaml_parser_t parser;
	FILE *f;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f)
		return pp_error_set(err, PP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return pp_error_set(err, PP_ERR_NOMEM, "cannot initialise the YAML parser");
	}
	yaml_parser_set_input_file(&parser, f);
	rc = parse_with(&parser, path, out, err);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

const pp_config *pp_config_doc_root(const pp_config_doc *doc)
{
	return doc ? doc->root : NULL;
}

void pp_config_doc_destroy(pp_config_doc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->file);
	free(doc->file2);
	free(doc);
}

/* ---- node accessors ----------------------------------------------------- */

pp_config_type pp_config_node_type(const pp_config *node) { return node->type; }
const char *pp_config_file(const pp_config *node) { return node->file; }
int pp_config_line(const pp_config *node) { return node->line; }
int pp_config_column(const pp_config *node) { return node->column; }

const char *pp_config_text(const pp_config *node)
{
	return node && node->type == PP_CONFIG_SCALAR ? node->text : NULL;
}

size_t pp_config_size(const pp_config *node)
{
	return node && node->type != PP_CONFIG_SCALAR ? node->count : 0;
}

const pp_config *pp_config_at(const pp_config *node, size_t index)
{
	if (!node || node->type == PP_CONFIG_SCALAR || index >= node->count)
		return NULL;
	return node->items[index];
}

const char *pp_config_key_at(const pp_config *map, size_t index)
{
	if (!map || map->type != PP_CONFIG_MAP || index >= map->count)
		return NULL;
	return map->keys[index];
}

/* Bookkeeping on a const node: the tree is read-only to its users, but which
 * keys were asked for is the document's own business. */
static void remember_asked(const pp_config *map, const char *key)
{
	pp_config *m = (pp_config *)map;
	char **grown, **grown_default;

	for (size_t i = 0; i < m->n_asked; i++)
		if (strcmp(m->asked[i], key) == 0)
			return;
	grown = realloc(m->asked, (m->n_asked + 1) * sizeof *grown);
	if (!grown)
		return;  /* only costs a shorter "known keys" list */
	m->asked = grown;
	grown_default = realloc(m->asked_default, (m->n_asked + 1) * sizeof *grown_default);
	if (!grown_default)
		return;
	m->asked_default = grown_default;
	m->asked[m->n_asked] = strdup(key);
	m->asked_default[m->n_asked] = NULL;
	if (m->asked[m->n_asked])
		m->n_asked++;
}

/* Record the default an absent key took, for pp_config_write_resolved(). */
static void remember_default(const pp_config *map, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void remember_default(const pp_config *map, const char *key, const char *fmt, ...)
{
	pp_config *m = (pp_config *)map;
	char text[256];
	va_list ap;

	if (!m || m->type != PP_CONFIG_MAP)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < m->n_asked; i++) {
		if (strcmp(m->asked[i], key) == 0 && !m->asked_default[i]) {
			m->asked_default[i] = strdup(text);
			return;
		}
	}
}

const pp_config *pp_config_get(const pp_config *map, const char *key)
{
	if (!map || map->type != PP_CONFIG_MAP || !key)
		return NULL;
	remember_asked(map, key);
	for (size_t i = 0; i < map->count; i++) {
		if (strcmp(map->keys[i], key) == 0) {
			((pp_config *)map)->used[i] = 1;
			return map->items[i];
		}
	}
	return NULL;
}

void pp_config_mark_known(const pp_config *map, const char *key)
{
	(void)pp_config_get(map, key);
}

int pp_config_error(pp_error *err, int code, const pp_config *node,
		    const char *fmt, ...)
{
	char msg[PP_ERROR_MESSAGE_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!node)
		return pp_error_set(err, code, "%s", msg);
	return pp_error_set(err, code, "%s:%d:%d: %s", node->file, node->line,
			    node->column, msg);
}

const pp_config *pp_config_require(const pp_config *map, const char *key,
				   pp_error *err)
{
	const pp_config *node = pp_config_get(map, key);

	if (!node) {
		if (map)
			pp_config_error(err, PP_ERR_CONFIG, map,
					"missing required key '%s'", key);
		else
			pp_error_set(err, PP_ERR_CONFIG, "missing required key '%s'", key);
	}
	return node;
}

int pp_config_check_unknown(const pp_config *map, const char *section,
			    pp_error *err)
{
	char known[600];
	size_t used = 0;

	if (!map || map->type != PP_CONFIG_MAP)
		return PP_OK;
	for (size_t i = 0; i < map->count; i++) {
		if (map->used[i])
			continue;
		known[0] = '\0';
		for (size_t j = 0; j < map->n_asked && used < sizeof known; j++) {
			int w = snprintf(known + used, sizeof known - used, "%s%s",
					 j ? ", " : "", map->asked[j]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s:%d:%d: unknown key '%s' in %s; known keys: %s",
				    map->file, map->key_lines[i], map->key_columns[i],
				    map->keys[i], section, map->n_asked ? known : "(none)");
	}
	return PP_OK;
}

/* ---- typed values ------------------------------------------------------- */

static int scalar_or_error(const pp_config *node, const char *what, pp_error *err)
{
	if (node->type != PP_CONFIG_SCALAR)
		return pp_config_error(err, PP_ERR_CONFIG, node, "expected %s, found a %s",
				       what, node->type == PP_CONFIG_MAP ? "map" : "list");
	return PP_OK;
}

/* Copy of s without '_' digit separators (YAML 1.1 style 20_000). */
static void strip_underscores(const char *s, char *buf, size_t size)
{
	size_t j = 0;

	for (size_t i = 0; s[i] && j + 1 < size; i++)
		if (s[i] != '_')
			buf[j++] = s[i];
	buf[j] = '\0';
}

int pp_config_node_double(const pp_config *node, double *out, pp_error *err)
{
	char buf[128], *end;
	double v;
	int rc = scalar_or_error(node, "a number", err);

	if (rc)
		return rc;
	strip_underscores(node->text, buf, sizeof buf);
	errno = 0;
	v = strtod(buf, &end);
	if (end == buf || *end != '\0' || errno == ERANGE || !isfinite(v))
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "expected a finite number, found '%s'", node->text);
	*out = v;
	return PP_OK;
}

int pp_config_node_long(const pp_config *node, long *out, pp_error *err)
{
	char buf[128], *end;
	long v;
	double d;
	int rc = scalar_or_error(node, "an integer", err);

	if (rc)
		return rc;
	strip_underscores(node->text, buf, sizeof buf);
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end != buf && *end == '\0' && errno == 0) {
		*out = v;
		return PP_OK;
	}
	/* 1e4 and 2.0e5 are integers too, when exact. */
	errno = 0;
	d = strtod(buf, &end);
	if (end != buf && *end == '\0' && errno == 0 && isfinite(d) &&
	    d == floor(d) && fabs(d) < 9e15) {
		*out = (long)d;
		return PP_OK;
	}
	return pp_config_error(err, PP_ERR_CONFIG, node, "expected an integer, found '%s'",
			       node->text);
}

int pp_config_double(const pp_config *map, const char *key, double def,
		     double min, double max, double *out, pp_error *err)
{
	const pp_config *node = pp_config_get(map, key);
	double v = def;
	int rc;

	if (node) {
		rc = pp_config_node_double(node, &v, err);
		if (rc)
			return pp_config_error(err, rc, node, "%s must be a finite number, found '%s'",
					       key, node->text ? node->text : "a map or list");
		if (v < min || v > max)
			return pp_config_error(err, PP_ERR_CONFIG, node,
					       "%s = %g is out of range [%g, %g]", key, v, min, max);
	} else {
		remember_default(map, key, "%.17g", def);
	}
	*out = v;
	return PP_OK;
}

int pp_config_long(const pp_config *map, const char *key, long def, long min,
		   long max, long *out, pp_error *err)
{
	const pp_config *node = pp_config_get(map, key);
	long v = def;
	int rc;

	if (node) {
		rc = pp_config_node_long(node, &v, err);
		if (rc)
			return pp_config_error(err, rc, node, "%s must be an integer, found '%s'",
					       key, node->text ? node->text : "a map or list");
		if (v < min || v > max)
			return pp_config_error(err, PP_ERR_CONFIG, node,
					       "%s = %ld is out of range [%ld, %ld]", key, v, min, max);
	} else {
		remember_default(map, key, "%ld", def);
	}
	*out = v;
	return PP_OK;
}

int pp_config_bool(const pp_config *map, const char *key, int def, int *out,
		   pp_error *err)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	const pp_config *node = pp_config_get(map, key);
	int rc;

	if (!node) {
		remember_default(map, key, "%s", def ? "true" : "false");
		*out = def;
		return PP_OK;
	}
	rc = scalar_or_error(node, "true or false", err);
	if (rc)
		return rc;
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(node->text, yes[i]) == 0) {
			*out = 1;
			return PP_OK;
		}
		if (strcasecmp(node->text, no[i]) == 0) {
			*out = 0;
			return PP_OK;
		}
	}
	return pp_config_error(err, PP_ERR_CONFIG, node,
			       "%s must be true or false, found '%s'", key, node->text);
}

int pp_config_string(const pp_config *map, const char *key, const char *def,
		     const char **out, pp_error *err)
{
	const pp_config *node = pp_config_get(map, key);
	int rc;

	if (!node) {
		if (def)
			remember_default(map, key, "%s", def);
		*out = def;
		return PP_OK;
	}
	rc = scalar_or_error(node, "a string", err);
	if (rc)
		return rc;
	*out = node->text;
	return PP_OK;
}

int pp_config_choice(const pp_config *map, const char *key, const char *def,
		     const char *const *choices, int *out, pp_error *err)
{
	const pp_config *node = pp_config_get(map, key);
	const char *value = def;
	char list[512];
	size_t used = 0;
	int rc;

	if (node) {
		rc = scalar_or_error(node, "a name", err);
		if (rc)
			return rc;
		value = node->text;
	}
	for (int i = 0; choices[i]; i++) {
		if (value && strcmp(value, choices[i]) == 0) {
			if (!node)
				remember_default(map, key, "%s", value);
			*out = i;
			return PP_OK;
		}
	}
	list[0] = '\0';
	for (int i = 0; choices[i] && used < sizeof list; i++) {
		int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", choices[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (!node)
		return pp_error_set(err, PP_ERR_INVALID, "default '%s' for %s is not one of: %s",
				    def ? def : "(null)", key, list);
	return pp_config_error(err, PP_ERR_CONFIG, node,
			       "unknown %s '%s'; choose one of: %s", key, value, list);
}

/* ---- sections and the resolved config ----------------------------------- */

const pp_config *pp_config_section(const pp_config *map, const char *key)
{
	pp_config *m = (pp_config *)map;
	const pp_config *found = pp_config_get(map, key);
	pp_config *node;
	size_t n;

	if (found || !m || m->type != PP_CONFIG_MAP)
		return found;
	n = m->count + 1;
	node = calloc(1, sizeof *node);
	if (!node)
		return NULL;
	node->type = PP_CONFIG_MAP;
	node->file = m->file;
	node->line = m->line;
	node->column = m->column;
	node->implicit = 1;
	{
		char **keys = realloc(m->keys, n * sizeof *keys);
		int *kl, *kc;
		unsigned char *used;
		pp_config **items;

		if (keys)
			m->keys = keys;
		kl = realloc(m->key_lines, n * sizeof *kl);
		if (kl)
			m->key_lines = kl;
		kc = realloc(m->key_columns, n * sizeof *kc);
		if (kc)
			m->key_columns = kc;
		used = realloc(m->used, n);
		if (used)
			m->used = used;
		items = realloc(m->items, n * sizeof *items);
		if (items)
			m->items = items;
		if (!keys || !kl || !kc || !used || !items || !(m->keys[m->count] = strdup(key))) {
			free(node);
			return NULL;
		}
	}
	m->key_lines[m->count] = m->line;
	m->key_columns[m->count] = m->column;
	m->used[m->count] = 1;
	m->items[m->count] = node;
	m->count++;
	return node;
}

/* YAML needs quotes for text that would read as something else. */
static void write_scalar(FILE *f, const char *text)
{
	int plain = *text != '\0';

	for (const char *c = text; *c; c++)
		if (strchr(":#{}[],&*!|>'\"%@`\n", *c))
			plain = 0;
	if (text[0] == ' ' || text[0] == '-' || text[0] == '?' ||
	    (*text && text[strlen(text) - 1] == ' '))
		plain = 0;
	if (plain) {
		fputs(text, f);
		return;
	}
	fputc('"', f);
	for (const char *c = text; *c; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', f);
		if (*c == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*c, f);
	}
	fputc('"', f);
}

static void write_node(FILE *f, const pp_config *node, int indent);

static void write_value(FILE *f, const pp_config *value, int indent)
{
	if (value->type == PP_CONFIG_SCALAR) {
		fputc(' ', f);
		write_scalar(f, value->text);
		fputc('\n', f);
	} else if (value->count == 0 && value->n_asked == 0) {
		fputs(value->type == PP_CONFIG_MAP ? " {}\n" : " []\n", f);
	} else {
		fputc('\n', f);
		write_node(f, value, indent + 2);
	}
}

static void write_node(FILE *f, const pp_config *node, int indent)
{
	if (node->type == PP_CONFIG_SEQUENCE) {
		for (size_t i = 0; i < node->count; i++) {
			const pp_config *item = node->items[i];
			fprintf(f, "%*s-", indent, "");
			if (item->type == PP_CONFIG_MAP && (item->count || item->n_asked)) {
				/* first key on the dash line, the rest indented */
				fputc('\n', f);
				write_node(f, item, indent + 2);
			} else {
				write_value(f, item, indent);
			}
		}
		return;
	}
	for (size_t i = 0; i < node->count; i++) {
		fprintf(f, "%*s", indent, "");
		write_scalar(f, node->keys[i]);
		fputc(':', f);
		write_value(f, node->items[i], indent);
	}
	for (size_t i = 0; i < node->n_asked; i++) {
		if (!node->asked_default[i])
			continue;
		fprintf(f, "%*s", indent, "");
		write_scalar(f, node->asked[i]);
		fputs(": ", f);
		write_scalar(f, node->asked_default[i]);
		fputs("  # default\n", f);
	}
}

int pp_config_write_resolved(const pp_config *root, FILE *f)
{
	if (!root)
		return PP_ERR_STATE;
	write_node(f, root, 0);
	return ferror(f) ? PP_ERR_IO : PP_OK;
}

static int check_tree(const pp_config *node, char *path, size_t size, pp_error *err)
{
	size_t len = strlen(path);
	int rc;

	if (!node)
		return PP_OK;
	if (node->type == PP_CONFIG_MAP) {
		rc = pp_config_check_unknown(node, len ? path : "the experiment", err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; node->type != PP_CONFIG_SCALAR && i < node->count; i++) {
		if (node->type == PP_CONFIG_MAP)
			snprintf(path + len, size - len, "%s%s", len ? "." : "", node->keys[i]);
		else
			snprintf(path + len, size - len, "[%zu]", i);
		rc = check_tree(node->items[i], path, size, err);
		path[len] = '\0';
		if (rc)
			return rc;
	}
	return PP_OK;
}

int pp_config_check_unknown_tree(const pp_config *root, pp_error *err)
{
	char path[512] = "";

	return check_tree(root, path, sizeof path, err);
}

/* ---- overlays: a base experiment with some sections replaced ------------- */

/* Deep copy of @src (line/column kept); file names point to @doc's copies. */
static pp_config *clone_node(const pp_config *src, const char *base_file,
			     const pp_config_doc *doc)
{
	pp_config *n = calloc(1, sizeof *n);
	size_t count = src->count ? src->count : 1;

	if (!n)
		return NULL;
	n->type = src->type;
	n->file = strcmp(src->file, base_file) == 0 ? doc->file : doc->file2;
	n->line = src->line;
	n->column = src->column;
	if (src->text && !(n->text = strdup(src->text)))
		goto fail;
	if (src->type == PP_CONFIG_SCALAR)
		return n;
	n->items = calloc(count, sizeof *n->items);
	if (!n->items)
		goto fail;
	if (src->type == PP_CONFIG_MAP) {
		n->keys = calloc(count, sizeof *n->keys);
		n->key_lines = calloc(count, sizeof *n->key_lines);
		n->key_columns = calloc(count, sizeof *n->key_columns);
		n->used = calloc(count, 1);
		if (!n->keys || !n->key_lines || !n->key_columns || !n->used)
			goto fail;
	}
	for (size_t i = 0; i < src->count; i++) {
		n->count = i + 1;
		if (src->type == PP_CONFIG_MAP) {
			if (!(n->keys[i] = strdup(src->keys[i])))
				goto fail;
			n->key_lines[i] = src->key_lines[i];
			n->key_columns[i] = src->key_columns[i];
		}
		if (!(n->items[i] = clone_node(src->items[i], base_file, doc)))
			goto fail;
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

int pp_config_doc_overlay(const pp_config_doc *base, const pp_config *variant,
			  pp_config_doc **out, pp_error *err)
{
	pp_config_doc *doc = calloc(1, sizeof *doc);
	pp_config *root;

	*out = NULL;
	if (!doc || !(doc->file = strdup(base->file)) ||
	    !(doc->file2 = strdup(variant->file)) ||
	    !(doc->root = clone_node(base->root, base->file, doc)))
		goto nomem;
	root = doc->root;
	if (root->type != PP_CONFIG_MAP || variant->type != PP_CONFIG_MAP) {
		pp_config_doc_destroy(doc);
		return pp_config_error(err, PP_ERR_CONFIG, variant,
				       "a variant and its base experiment are maps of sections");
	}
	for (size_t v = 0; v < variant->count; v++) {
		pp_config *value = clone_node(variant->items[v], base->file, doc);
		size_t i;
		if (!value)
			goto nomem;
		for (i = 0; i < root->count && strcmp(root->keys[i], variant->keys[v]); i++)
			;
		if (i < root->count) {   /* the variant's section replaces the base's */
			node_free(root->items[i]);
			root->items[i] = value;
			root->key_lines[i] = variant->key_lines[v];
			root->key_columns[i] = variant->key_columns[v];
			continue;
		}
		size_t n = root->count + 1;
		char **keys = realloc(root->keys, n * sizeof *keys);
		int *kl = keys ? realloc(root->key_lines, n * sizeof *kl) : NULL;
		int *kc = kl ? (root->key_lines = kl, realloc(root->key_columns, n * sizeof *kc)) : NULL;
		unsigned char *used = kc ? (root->key_columns = kc, realloc(root->used, n)) : NULL;
		pp_config **items = used ? (root->used = used, realloc(root->items, n * sizeof *items)) : NULL;
		if (keys)
			root->keys = keys;
		if (!items || !(root->keys[root->count] = strdup(variant->keys[v]))) {
			if (items)
				root->items = items;
			node_free(value);
			goto nomem;
		}
		root->items = items;
		root->key_lines[root->count] = variant->key_lines[v];
		root->key_columns[root->count] = variant->key_columns[v];
		root->used[root->count] = 0;
		root->items[root->count] = value;
		root->count = n;
	}
	*out = doc;
	return PP_OK;
nomem:
	pp_config_doc_destroy(doc);
	return pp_error_set(err, PP_ERR_NOMEM, "out of memory building a variant");
}
