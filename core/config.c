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
#include <sys/stat.h>
#include <yaml.h>

/* Limits of what the reader materialises.  An experiment file is a few
 * hundred nodes (the largest shipped, configs/paper/helmholtz_rba.yaml, has
 * about 120 counting keys), nests at most 5 levels, and no section has more
 * than a few dozen keys.  The budgets are 100x beyond that and keep a hostile
 * file cheap: 100,000 nodes are about 20 MB and a few milliseconds, however
 * they were reached (aliases copy their anchor's nodes, and every copy
 * counts); 64 levels keep every recursive walk of the tree shallow; 4096
 * keys bound the duplicate-key check of a map (quadratic) to milliseconds. */
#define PP_CONFIG_MAX_DEPTH 64
#define PP_CONFIG_MAX_NODES 100000
#define PP_CONFIG_MAX_MAP_KEYS 4096

/* A key some getter asked for, and the default it took when absent. */
typedef struct asked_key {
	char *key;
	char *def;              /* NULL: no default recorded */
	int def_is_yaml;        /* def is YAML written verbatim (a flow list) */
} asked_key;

struct pp_config {
	pp_config_type type;
	const char *file;       /* owned by the document */
	int line;
	int column;
	pp_config *parent;      /* NULL for the root */
	size_t index;           /* position in the parent */
	char *text;             /* scalars */
	size_t count;           /* entries of maps and sequences */
	size_t capacity;        /* allocated entries */
	char **keys;            /* maps */
	int *key_lines;         /* maps: where each key stands */
	int *key_columns;
	unsigned char *used;    /* maps: key looked up */
	pp_config **items;      /* map values / sequence items */
	/* Names any getter asked for (present or not), for error messages, and
	 * the default each one took when absent (for the resolved config).  On a
	 * node that is not a map, a key asked for means someone read it as a map:
	 * pp_config_check_unknown_tree reports it. */
	asked_key *asked;
	size_t n_asked;
	int implicit;           /* created by pp_config_map, not in the file */
	int override;           /* value set by the program (pp_config_set_string) */
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
		free(node->asked[i].key);
		free(node->asked[i].def);
	}
	free(node->asked);
	free(node);
}

static pp_config *node_new(pp_config_type type, const char *file, int line, int column)
{
	pp_config *node = calloc(1, sizeof *node);

	if (!node)
		return NULL;
	node->type = type;
	node->file = file;
	node->line = line;
	node->column = column;
	return node;
}

/* Room for one more entry in a map or sequence. */
static int node_reserve(pp_config *node)
{
	size_t cap = node->capacity ? 2 * node->capacity : 4;
	pp_config **items;

	if (node->count < node->capacity)
		return PP_OK;
	items = realloc(node->items, cap * sizeof *items);
	if (!items)
		return PP_ERR_NOMEM;
	node->items = items;
	if (node->type == PP_CONFIG_MAP) {
		char **keys = realloc(node->keys, cap * sizeof *keys);
		int *kl, *kc;
		unsigned char *used;

		if (!keys)
			return PP_ERR_NOMEM;
		node->keys = keys;
		if (!(kl = realloc(node->key_lines, cap * sizeof *kl)))
			return PP_ERR_NOMEM;
		node->key_lines = kl;
		if (!(kc = realloc(node->key_columns, cap * sizeof *kc)))
			return PP_ERR_NOMEM;
		node->key_columns = kc;
		if (!(used = realloc(node->used, cap)))
			return PP_ERR_NOMEM;
		node->used = used;
	}
	node->capacity = cap;
	return PP_OK;
}

/* Append @item (taken over) to the sequence @node. */
static int seq_append(pp_config *node, pp_config *item)
{
	if (node_reserve(node))
		return PP_ERR_NOMEM;
	item->parent = node;
	item->index = node->count;
	node->items[node->count++] = item;
	return PP_OK;
}

/* Append @key: @item (taken over on success) to the map @node. */
static int map_append(pp_config *node, const char *key, int line, int column,
		      pp_config *item)
{
	char *copy;

	if (node_reserve(node) || !(copy = strdup(key)))
		return PP_ERR_NOMEM;
	item->parent = node;
	item->index = node->count;
	node->keys[node->count] = copy;
	node->key_lines[node->count] = line;
	node->key_columns[node->count] = column;
	node->used[node->count] = 0;
	node->items[node->count++] = item;
	return PP_OK;
}

/* Where @node stands in the tree: "weighting", "stages[1].schedule"; "" for
 * the root. */
static void node_path(const pp_config *node, char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	if (!node || !node->parent)
		return;
	node_path(node->parent, buf, size);
	len = strlen(buf);
	if (node->parent->type == PP_CONFIG_MAP)
		snprintf(buf + len, size - len, "%s%s", len ? "." : "",
			 node->parent->keys[node->index]);
	else
		snprintf(buf + len, size - len, "[%zu]", node->index);
}

/* Deep copy of @src under @parent (line/column kept); nodes from
 * @base_file get @file_a, the others @file_b.  Counts the nodes copied. */
static pp_config *clone_node(const pp_config *src, const char *base_file,
			     const char *file_a, const char *file_b)
{
	pp_config *n = node_new(src->type, strcmp(src->file, base_file) == 0 ? file_a : file_b,
				src->line, src->column);

	if (!n)
		return NULL;
	n->implicit = src->implicit;
	if (src->text && !(n->text = strdup(src->text)))
		goto fail;
	for (size_t i = 0; src->type != PP_CONFIG_SCALAR && i < src->count; i++) {
		pp_config *item = clone_node(src->items[i], base_file, file_a, file_b);
		int rc;

		if (!item)
			goto fail;
		rc = src->type == PP_CONFIG_MAP
		     ? map_append(n, src->keys[i], src->key_lines[i], src->key_columns[i], item)
		     : seq_append(n, item);
		if (rc) {
			node_free(item);
			goto fail;
		}
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

/* ---- composing a document from libyaml's events ------------------------- */

/* libyaml's own loader (yaml_parser_load) is not used: it resolves aliases
 * into shared nodes, which a walk of the tree expands exponentially, and it
 * reads a whole flow nesting before handing anything back, while libyaml's
 * scanner costs O(depth) per token (quadratic: 100,000 '[' take 100 s).
 * Composing from events lets the depth limit stop at level 65 and every
 * node, alias copies included, count against the budget as it is made. */

typedef struct anchor {
	char *name;
	const pp_config *node;
	size_t size;            /* nodes and keys of its subtree */
	int height;             /* levels below it */
} anchor;

typedef struct composer {
	yaml_parser_t *parser;
	const char *file;
	const char *text;       /* the source when parsed from memory, else NULL:
				   syntax errors then read their line from file */
	size_t len;
	size_t nodes;           /* materialised so far, keys and alias copies included */
	anchor *anchors;
	size_t n_anchors;
} composer;

/* Line @line (0-based) of the source into @buf, without its newline; ""
 * when it cannot be read.  Only for syntax error messages. */
static void source_line(const composer *c, size_t line, char *buf, size_t size)
{
	size_t n = 0, at = 0;
	int ch;
	FILE *f = NULL;

	buf[0] = '\0';
	if (!c->text && !(f = fopen(c->file, "rb")))
		return;
	for (;;) {
		if (c->text)
			ch = at < c->len ? (unsigned char)c->text[at++] : EOF;
		else
			ch = getc(f);
		if (ch == EOF || (ch == '\n' && line == 0))
			break;
		if (ch == '\n')
			line--;
		else if (line == 0 && n + 1 < size)
			buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* libyaml's messages for the mistakes people make most (a tab in the
 * indentation, a line indented to no key's column) said in words, with
 * libyaml's own text kept at the end for searching; @what into @buf. */
static void explain_syntax(const composer *c, const yaml_parser_t *p, char *buf, size_t size)
{
	char line[256];
	const char *problem = p->problem ? p->problem : "malformed YAML";
	const char *context = p->context ? p->context : "";
	size_t lead, col = p->problem_mark.column;
	int tab;

	source_line(c, p->problem_mark.line, line, sizeof line);
	lead = strspn(line, " \t");
	tab = memchr(line, '\t', lead) != NULL || (col < strlen(line) && line[col] == '\t');
	if (tab) {
		snprintf(buf, size,
			 "a tab character in the indentation of line %zu; YAML indents with spaces only: replace the tab with spaces",
			 (size_t)p->problem_mark.line + 1);
	} else if (strstr(problem, "did not find expected key") && strstr(context, "block mapping")) {
		snprintf(buf, size,
			 "bad indentation: this line starts at column %zu, but the keys of the mapping it continues (from line %zu) start at column %zu; indent keys of one section to the same column, with spaces",
			 lead + 1, (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1);
	} else if (strstr(problem, "expected '-' indicator")) {
		snprintf(buf, size,
			 "bad indentation: this line starts at column %zu inside the list begun on line %zu, whose items start with '- ' at column %zu; align it with the item's keys or start a new item",
			 lead + 1, (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1);
	} else if (strstr(problem, "mapping values are not allowed")) {
		snprintf(buf, size,
			 "unexpected ':' here: a key indented deeper than the one above it (keys of one section start in one column), or a value holding ': ' that needs quotes");
	} else {
		buf[0] = '\0';
	}
	if (buf[0]) {
		size_t used = strlen(buf);
		snprintf(buf + used, size - used, " (YAML: %s%s%s)", problem, context[0] ? " " : "",
			 context);
	} else {
		snprintf(buf, size, "YAML syntax error: %s%s%s", problem, context[0] ? " " : "",
			 context);
	}
}

static int syntax_error(const composer *c, pp_error *err)
{
	const yaml_parser_t *p = c->parser;
	char what[700];

	if (p->error == YAML_MEMORY_ERROR)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", c->file);
	explain_syntax(c, p, what, sizeof what);
	return pp_error_set(err, PP_ERR_CONFIG, "%s:%d:%d: %s", c->file,
			    (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1, what);
}

static int next_event(composer *c, yaml_event_t *ev, pp_error *err)
{
	if (!yaml_parser_parse(c->parser, ev))
		return syntax_error(c, err);
	return PP_OK;
}

static int at_mark(const composer *c, yaml_mark_t mark, pp_error *err, int code,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int at_mark(const composer *c, yaml_mark_t mark, pp_error *err, int code,
		   const char *fmt, ...)
{
	char msg[PP_ERROR_MESSAGE_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return pp_error_set(err, code, "%s:%d:%d: %s", c->file, (int)mark.line + 1,
			    (int)mark.column + 1, msg);
}

static int count_nodes(composer *c, size_t n, yaml_mark_t mark, const char *alias,
		       pp_error *err)
{
	if (n <= PP_CONFIG_MAX_NODES - c->nodes) {
		c->nodes += n;
		return PP_OK;
	}
	if (alias)
		return at_mark(c, mark, err, PP_ERR_CONFIG,
			       "the alias *%s would expand the document beyond %d nodes (each alias is a copy); an experiment needs a few hundred",
			       alias, PP_CONFIG_MAX_NODES);
	return at_mark(c, mark, err, PP_ERR_CONFIG,
		       "the document has more than %d nodes; an experiment needs a few hundred",
		       PP_CONFIG_MAX_NODES);
}

static int depth_error(const composer *c, yaml_mark_t mark, pp_error *err)
{
	return at_mark(c, mark, err, PP_ERR_CONFIG, "nesting deeper than %d levels",
		       PP_CONFIG_MAX_DEPTH);
}

static int add_anchor(composer *c, const yaml_char_t *name, const pp_config *node,
		      size_t size, int height)
{
	anchor *grown;

	if (!name)
		return PP_OK;
	grown = realloc(c->anchors, (c->n_anchors + 1) * sizeof *grown);
	if (!grown)
		return PP_ERR_NOMEM;
	c->anchors = grown;
	grown[c->n_anchors].name = strdup((const char *)name);
	if (!grown[c->n_anchors].name)
		return PP_ERR_NOMEM;
	grown[c->n_anchors].node = node;
	grown[c->n_anchors].size = size;
	grown[c->n_anchors].height = height;
	c->n_anchors++;
	return PP_OK;
}

static int compose(composer *c, yaml_event_t *ev, int depth, pp_config **out,
		   size_t *size, int *height, pp_error *err);

static int nomem(const composer *c, pp_error *err)
{
	return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", c->file);
}

/* The entries of a sequence, up to its end event. */
static int compose_sequence(composer *c, pp_config *node, int depth, size_t *size,
			    int *height, pp_error *err)
{
	yaml_event_t ev;
	int rc;

	for (;;) {
		pp_config *item;
		size_t s;
		int h;

		rc = next_event(c, &ev, err);
		if (rc)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return PP_OK;
		}
		rc = compose(c, &ev, depth + 1, &item, &s, &h, err);
		if (rc)
			return rc;
		if (seq_append(node, item)) {
			node_free(item);
			return nomem(c, err);
		}
		*size += s;
		if (h + 1 > *height)
			*height = h + 1;
	}
}

/* The key: value pairs of a map, up to its end event. */
static int compose_map(composer *c, pp_config *node, int depth, size_t *size,
		       int *height, pp_error *err)
{
	yaml_event_t ev;
	int rc;

	for (;;) {
		pp_config *item;
		char *key;
		int kl, kc, h;
		size_t s;

		rc = next_event(c, &ev, err);
		if (rc)
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return PP_OK;
		}
		kl = (int)ev.start_mark.line + 1;
		kc = (int)ev.start_mark.column + 1;
		if (ev.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&ev);
			return pp_error_set(err, PP_ERR_CONFIG,
					    "%s:%d:%d: map keys must be plain names", c->file, kl, kc);
		}
		if (node->count >= PP_CONFIG_MAX_MAP_KEYS) {
			yaml_event_delete(&ev);
			return pp_error_set(err, PP_ERR_CONFIG,
					    "%s:%d:%d: more than %d keys in one map",
					    c->file, kl, kc, PP_CONFIG_MAX_MAP_KEYS);
		}
		for (size_t j = 0; j < node->count; j++) {
			if (strcmp(node->keys[j], (char *)ev.data.scalar.value) == 0) {
				rc = pp_error_set(err, PP_ERR_CONFIG,
						  "%s:%d:%d: duplicate key '%s' (first at line %d); keep one",
						  c->file, kl, kc, node->keys[j], node->key_lines[j]);
				yaml_event_delete(&ev);
				return rc;
			}
		}
		rc = count_nodes(c, 1, ev.start_mark, NULL, err);
		key = rc ? NULL : strdup((char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (rc)
			return rc;
		if (!key)
			return nomem(c, err);
		rc = next_event(c, &ev, err);
		if (!rc)
			rc = compose(c, &ev, depth + 1, &item, &s, &h, err);
		if (!rc && map_append(node, key, kl, kc, item)) {
			node_free(item);
			rc = nomem(c, err);
		}
		free(key);
		if (rc)
			return rc;
		*size += s + 1;
		if (h + 1 > *height)
			*height = h + 1;
	}
}

/* A copy of the node an alias names. */
static int compose_alias(composer *c, const yaml_event_t *ev, int depth, pp_config **out,
			 size_t *size, int *height, pp_error *err)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const anchor *a = NULL;
	int rc;

	for (size_t i = c->n_anchors; i-- > 0;)
		if (strcmp(c->anchors[i].name, name) == 0) {
			a = &c->anchors[i];
			break;
		}
	if (!a)
		return at_mark(c, ev->start_mark, err, PP_ERR_CONFIG,
			       "alias *%s names no anchor defined before it", name);
	if (depth + a->height > PP_CONFIG_MAX_DEPTH)
		return depth_error(c, ev->start_mark, err);
	rc = count_nodes(c, a->size, ev->start_mark, name, err);
	if (rc)
		return rc;
	*out = clone_node(a->node, c->file, c->file, c->file);
	if (!*out)
		return nomem(c, err);
	*size = a->size;
	*height = a->height;
	return PP_OK;
}

/* The node that starts with @ev (deleted here), and everything under it. */
static int compose(composer *c, yaml_event_t *ev, int depth, pp_config **out,
		   size_t *size, int *height, pp_error *err)
{
	int line = (int)ev->start_mark.line + 1, column = (int)ev->start_mark.column + 1;
	const yaml_char_t *anchor_name = NULL;
	pp_config *node = NULL;
	int rc = PP_OK;

	*out = NULL;
	*size = 1;
	*height = 0;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		rc = compose_alias(c, ev, depth, out, size, height, err);
		yaml_event_delete(ev);
		return rc;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	default:
		rc = at_mark(c, ev->start_mark, err, PP_ERR_CONFIG, "unexpected YAML event");
		yaml_event_delete(ev);
		return rc;
	}
	if (depth > PP_CONFIG_MAX_DEPTH)
		rc = depth_error(c, ev->start_mark, err);
	if (!rc)
		rc = count_nodes(c, 1, ev->start_mark, NULL, err);
	if (rc) {
		yaml_event_delete(ev);
		return rc;
	}
	if (ev->type == YAML_SCALAR_EVENT) {
		node = node_new(PP_CONFIG_SCALAR, c->file, line, column);
		if (node)
			node->text = strndup((char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!node || !node->text)
			rc = nomem(c, err);
		anchor_name = ev->data.scalar.anchor;
	} else {
		int map = ev->type == YAML_MAPPING_START_EVENT;
		node = node_new(map ? PP_CONFIG_MAP : PP_CONFIG_SEQUENCE, c->file, line, column);
		anchor_name = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
		if (!node)
			rc = nomem(c, err);
	}
	/* the event owns the anchor's name: register before deleting it */
	if (!rc && node->type == PP_CONFIG_SEQUENCE)
		rc = compose_sequence(c, node, depth, size, height, err);
	else if (!rc && node->type == PP_CONFIG_MAP)
		rc = compose_map(c, node, depth, size, height, err);
	if (!rc && add_anchor(c, anchor_name, node, *size, *height))
		rc = nomem(c, err);
	yaml_event_delete(ev);
	if (rc) {
		node_free(node);
		return rc;
	}
	*out = node;
	return PP_OK;
}

/* STREAM-START, DOCUMENT-START, the root node, DOCUMENT-END, then nothing
 * but STREAM-END: a second document is an error, valid or not. */
static int compose_document(composer *c, pp_config **root, pp_error *err)
{
	yaml_event_t ev;
	size_t size;
	int height, rc;

	*root = NULL;
	rc = next_event(c, &ev, err);           /* stream start */
	if (rc)
		return rc;
	yaml_event_delete(&ev);
	rc = next_event(c, &ev, err);
	if (rc)
		return rc;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s: the file is empty; see README.md for an example experiment",
				    c->file);
	}
	yaml_event_delete(&ev);                 /* document start */
	rc = next_event(c, &ev, err);
	if (!rc)
		rc = compose(c, &ev, 0, root, &size, &height, err);
	if (!rc)
		rc = next_event(c, &ev, err);   /* document end */
	if (!rc) {
		yaml_event_delete(&ev);
		rc = next_event(c, &ev, err);
	}
	if (!rc && ev.type != YAML_STREAM_END_EVENT)
		rc = at_mark(c, ev.start_mark, err, PP_ERR_CONFIG,
			     "a second YAML document starts here; an experiment file holds one (remove the '---' line and what follows, or merge it into the first)");
	if (!rc || ev.type != YAML_NO_EVENT)
		yaml_event_delete(&ev);
	if (rc) {
		node_free(*root);
		*root = NULL;
	}
	return rc;
}

static int parse_with(yaml_parser_t *parser, const char *name, const char *text, size_t len,
		      pp_config_doc **out, pp_error *err)
{
	pp_config_doc *doc = calloc(1, sizeof *doc);
	composer c = {.parser = parser, .text = text, .len = len};
	int rc;

	*out = NULL;
	if (!doc || !(doc->file = strdup(name))) {
		free(doc);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", name);
	}
	c.file = doc->file;
	rc = compose_document(&c, &doc->root, err);
	for (size_t i = 0; i < c.n_anchors; i++)
		free(c.anchors[i].name);
	free(c.anchors);
	if (rc) {
		pp_config_doc_destroy(doc);
		return rc;
	}
	*out = doc;
	return PP_OK;
}

int pp_config_doc_parse(const char *text, size_t len, const char *name,
			pp_config_doc **out, pp_error *err)
{
	yaml_parser_t parser;
	int rc;

	if (!yaml_parser_initialize(&parser))
		return pp_error_set(err, PP_ERR_NOMEM, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	rc = parse_with(&parser, name ? name : "<string>", text ? text : "", text ? len : 0, out, err);
	yaml_parser_delete(&parser);
	return rc;
}

int pp_config_doc_load(const char *path, pp_config_doc **out, pp_error *err)
{
	yaml_parser_t parser;
	struct stat st;
	FILE *f;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f)
		return pp_error_set(err, PP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	/* fopen() opens a directory too; its first read fails with EISDIR */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s is a directory; give the experiment's .yaml file", path);
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return pp_error_set(err, PP_ERR_NOMEM, "cannot initialise the YAML parser");
	}
	yaml_parser_set_input_file(&parser, f);
	rc = parse_with(&parser, path, NULL, 0, out, err);
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
 * keys were asked for is the document's own business.  Any node records
 * them: on a scalar or a list, a key asked for is a misread section. */
static void remember_asked(const pp_config *node, const char *key)
{
	pp_config *m = (pp_config *)node;
	asked_key *grown;

	for (size_t i = 0; i < m->n_asked; i++)
		if (strcmp(m->asked[i].key, key) == 0)
			return;
	grown = realloc(m->asked, (m->n_asked + 1) * sizeof *grown);
	if (!grown)
		return;  /* only costs a shorter "known keys" list */
	m->asked = grown;
	grown[m->n_asked] = (asked_key){.key = strdup(key)};
	if (grown[m->n_asked].key)
		m->n_asked++;
}

/* Record the default an absent key took, for pp_config_write_resolved();
 * @is_yaml: @text is written as it is (a flow list), not as a scalar. */
static void remember_default_text(const pp_config *map, const char *key, const char *text,
				  int is_yaml)
{
	pp_config *m = (pp_config *)map;

	if (!m || m->type != PP_CONFIG_MAP)
		return;
	for (size_t i = 0; i < m->n_asked; i++) {
		if (strcmp(m->asked[i].key, key) == 0 && !m->asked[i].def) {
			m->asked[i].def = strdup(text);
			m->asked[i].def_is_yaml = is_yaml;
			return;
		}
	}
}

static void remember_default(const pp_config *map, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void remember_default(const pp_config *map, const char *key, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	remember_default_text(map, key, text, 0);
}

const pp_config *pp_config_get(const pp_config *map, const char *key)
{
	if (!map || !key)
		return NULL;
	remember_asked(map, key);
	if (map->type != PP_CONFIG_MAP)
		return NULL;
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

int pp_config_error_at_key(pp_error *err, int code, const pp_config *map, const char *key,
			   const char *fmt, ...)
{
	char msg[PP_ERROR_MESSAGE_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (size_t i = 0; map && map->type == PP_CONFIG_MAP && i < map->count; i++)
		if (strcmp(map->keys[i], key) == 0)
			return pp_error_set(err, code, "%s:%d:%d: %s", map->items[i]->file,
					    map->key_lines[i], map->key_columns[i], msg);
	return pp_config_error(err, code, map, "%s", msg);
}

/* @node's value as it would stand in a flow example: its text, or a short
 * list of scalars as "[a, b]"; "..." otherwise. */
static void example_value(const pp_config *node, char *buf, size_t size)
{
	size_t used = 1;

	snprintf(buf, size, "...");
	if (node->type == PP_CONFIG_SCALAR) {
		if (node->text[0] && !strchr(node->text, '\n') && strlen(node->text) < 40)
			snprintf(buf, size, "%s", node->text);
		return;
	}
	if (node->type != PP_CONFIG_SEQUENCE || node->count == 0 || node->count > 8)
		return;
	buf[0] = '[';
	for (size_t i = 0; i < node->count; i++) {
		const pp_config *item = node->items[i];
		int w;

		if (item->type != PP_CONFIG_SCALAR || strlen(item->text) > 12) {
			snprintf(buf, size, "...");
			return;
		}
		w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", item->text);
		if (w < 0 || (size_t)w >= size - used) {
			snprintf(buf, size, "...");
			return;
		}
		used += (size_t)w;
	}
	if (used + 1 < size) {
		buf[used] = ']';
		buf[used + 1] = '\0';
	}
}

/* "file:l:c: weighting: must be a map, e.g.\n  weighting:\n    type: rba":
 * @node was read as a map but is a scalar or a list.  The example shows
 * @example_key (or the first key anyone asked of it) with the user's own
 * value when @show_value. */
static int not_a_map(const pp_config *node, const char *example_key, int show_value,
		     pp_error *err)
{
	char path[256], value[128];
	const char *key = example_key ? example_key : node->n_asked ? node->asked[0].key : "type";
	const pp_config *parent = node->parent;

	node_path(node, path, sizeof path);
	if (show_value)
		example_value(node, value, sizeof value);
	else
		snprintf(value, sizeof value, "...");
	if (parent && parent->type == PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "%s: must be a map, e.g.\n  %s:\n    %s: %s",
				       path, parent->keys[node->index], key, value);
	if (parent && parent->parent && parent->parent->type == PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "%s: must be a map, e.g.\n  %s:\n    - %s: %s", path,
				       parent->parent->keys[parent->index], key, value);
	if (parent)
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "%s: must be a map, e.g.\n  - %s: %s", path, key, value);
	return pp_config_error(err, PP_ERR_CONFIG, node, "must be a map, e.g.\n  %s: %s",
			       key, value);
}

/* Every getter that reads @key of @map refuses a @map that is there but is
 * not a map: a section given as `weighting: rba` is an error, never a
 * silent fall back to the defaults. */
static int map_or_error(const pp_config *map, const char *key, pp_error *err)
{
	if (!map || map->type == PP_CONFIG_MAP)
		return PP_OK;
	remember_asked(map, key);
	/* a scalar getter's key, so only a scalar can be the value meant */
	return not_a_map(map, key, map->type == PP_CONFIG_SCALAR, err);
}

const pp_config *pp_config_require(const pp_config *map, const char *key,
				   pp_error *err)
{
	const pp_config *node;

	if (map_or_error(map, key, err))
		return NULL;
	node = pp_config_get(map, key);
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
					 j ? ", " : "", map->asked[j].key);
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

	if (map_or_error(map, key, err))
		return PP_ERR_CONFIG;
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

	if (map_or_error(map, key, err))
		return PP_ERR_CONFIG;
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

	if (map_or_error(map, key, err))
		return PP_ERR_CONFIG;
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

	if (map_or_error(map, key, err))
		return PP_ERR_CONFIG;
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

	if (map_or_error(map, key, err))
		return PP_ERR_CONFIG;
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

/* ---- lists ------------------------------------------------------------- */

/* The list under @key: NULL when absent; an error unless it has @n entries
 * (any number up to @n when @exact is 0). */
static int list_node(const pp_config *map, const char *key, size_t n, int exact,
		     const char *what, const char *example, const pp_config **out,
		     pp_error *err)
{
	const pp_config *node = pp_config_get(map, key);

	*out = NULL;
	if (map_or_error(map, key, err))
		return PP_ERR_CONFIG;
	if (!node)
		return PP_OK;
	if (node->type != PP_CONFIG_SEQUENCE || (exact ? node->count != n : node->count > n))
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "%s: is a list of %s%zu %s, e.g. %s", key,
				       exact ? "" : "up to ", n, what, example);
	*out = node;
	return PP_OK;
}

/* What the list getters' one body needs to know of an entry's type. */
typedef struct list_kind {
	const char *what;   /* the entries, for the error message: "integers" */
	int exact;          /* exactly n entries (1 to 16); else any number up to n */
	size_t size;        /* bytes of one entry of def[] and out[] */
	/* default entry @i after @sep into @buf, as snprintf does */
	int (*text)(char *buf, size_t size, const char *sep, const void *def, size_t i);
	/* @item, an entry of the list under @key, into *@out, checked against @range */
	int (*read)(const pp_config *item, const char *key, const void *range, void *out,
		    pp_error *err);
} list_kind;

typedef struct long_range {
	long min, max;
} long_range;

typedef struct double_range {
	double min, max;
} double_range;

static int long_text(char *buf, size_t size, const char *sep, const void *def, size_t i)
{
	return snprintf(buf, size, "%s%ld", sep, ((const long *)def)[i]);
}

static int double_text(char *buf, size_t size, const char *sep, const void *def, size_t i)
{
	return snprintf(buf, size, "%s%.17g", sep, ((const double *)def)[i]);
}

static int name_text(char *buf, size_t size, const char *sep, const void *def, size_t i)
{
	return snprintf(buf, size, "%s%s", sep, ((const char *const *)def)[i]);
}

static int long_item(const pp_config *item, const char *key, const void *range, void *out,
		     pp_error *err)
{
	const long_range *r = range;
	long *x = out;
	int rc = pp_config_node_long(item, x, err);

	if (!rc && (*x < r->min || *x > r->max))
		rc = pp_config_error(err, PP_ERR_CONFIG, item, "%s = %ld is out of range [%ld, %ld]",
				     key, *x, r->min, r->max);
	return rc;
}

static int double_item(const pp_config *item, const char *key, const void *range, void *out,
		       pp_error *err)
{
	const double_range *r = range;
	double *x = out;
	int rc = pp_config_node_double(item, x, err);

	if (!rc && (*x < r->min || *x > r->max))
		rc = pp_config_error(err, PP_ERR_CONFIG, item, "%s = %g is out of range [%g, %g]",
				     key, *x, r->min, r->max);
	return rc;
}

static int name_item(const pp_config *item, const char *key, const void *range, void *out,
		     pp_error *err)
{
	int rc = scalar_or_error(item, "a name", err);

	(void)key;
	(void)range;
	if (!rc)
		*(const char **)out = item->text;
	return rc;
}

static const list_kind long_list = {"integers", 1, sizeof(long), long_text, long_item};
static const list_kind double_list = {"numbers", 1, sizeof(double), double_text, double_item};
static const list_kind name_list = {"names", 0, sizeof(const char *), name_text, name_item};

/* "[a, b, c]" of the @n defaults, as config.yaml records them. */
static void default_flow(char *buf, size_t size, const list_kind *kind, const void *def,
			 size_t n)
{
	size_t used = 1;

	snprintf(buf, size, "[");
	for (size_t i = 0; i < n && used < size; i++) {
		int w = kind->text(buf + used, size - used, i ? ", " : "", def, i);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used + 1 < size)
		snprintf(buf + used, size - used, "]");
}

/* The body of every list getter: the list under @key (@n entries, or up to
 * @n) read into out[] and counted in *n_out; absent: the @n_def entries of
 * @def, recorded as the default. */
static int config_list(const pp_config *map, const char *key, const list_kind *kind,
		       const void *def, size_t n_def, size_t n, const void *range, void *out,
		       size_t *n_out, pp_error *err)
{
	char flow[512];
	const pp_config *node;
	int rc;

	if (kind->exact && (n < 1 || n > 16))
		return pp_error_set(err, PP_ERR_INVALID, "%s: lists of 1 to 16 entries", key);
	default_flow(flow, sizeof flow, kind, def, n_def);
	rc = list_node(map, key, n, kind->exact, kind->what, flow, &node, err);
	if (rc)
		return rc;
	if (!node) {
		if (n_def > n)
			return pp_error_set(err, PP_ERR_INVALID, "%s: %zu defaults, at most %zu",
					    key, n_def, n);
		remember_default_text(map, key, flow, 1);
		memcpy(out, def, n_def * kind->size);
		*n_out = n_def;
		return PP_OK;
	}
	for (size_t i = 0; i < node->count; i++) {
		rc = kind->read(node->items[i], key, range, (char *)out + i * kind->size, err);
		if (rc)
			return rc;
	}
	*n_out = node->count;
	return PP_OK;
}

int pp_config_long_list(const pp_config *map, const char *key, size_t n, const long *def,
			long min, long max, long *out, pp_error *err)
{
	const long_range range = {min, max};
	size_t n_out;

	return config_list(map, key, &long_list, def, n, n, &range, out, &n_out, err);
}

int pp_config_double_list(const pp_config *map, const char *key, size_t n,
			  const double *def, double min, double max, double *out,
			  pp_error *err)
{
	const double_range range = {min, max};
	size_t n_out;

	return config_list(map, key, &double_list, def, n, n, &range, out, &n_out, err);
}

static int plain_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

int pp_config_name_list(const pp_config *map, const char *key, const char *const *def,
			size_t n_def, size_t max, const char **out, size_t *n_out,
			pp_error *err)
{
	for (size_t i = 0; i < n_def; i++)
		if (!plain_name(def[i]))
			return pp_error_set(err, PP_ERR_INVALID, "%s: default '%s' is not a plain name",
					    key, def[i]);
	return config_list(map, key, &name_list, def, n_def, max, NULL, out, n_out, err);
}

/* ---- sections and the resolved config ----------------------------------- */

/* An empty map under @key of @map, for the defaults its readers take. */
static pp_config *add_implicit_map(pp_config *m, const char *key)
{
	pp_config *node = node_new(PP_CONFIG_MAP, m->file, m->line, m->column);

	if (!node)
		return NULL;
	node->implicit = 1;
	if (map_append(m, key, m->line, m->column, node)) {
		node_free(node);
		return NULL;
	}
	m->used[m->count - 1] = 1;
	return node;
}

const pp_config *pp_config_section(const pp_config *map, const char *key)
{
	const pp_config *found = pp_config_get(map, key);

	if (found || !map || map->type != PP_CONFIG_MAP)
		return found;
	return add_implicit_map((pp_config *)map, key);
}

int pp_config_map(const pp_config *map, const char *key, const char *example_key,
		  const pp_config **out, pp_error *err)
{
	const pp_config *node;

	*out = NULL;
	if (map_or_error(map, key, err))
		return PP_ERR_CONFIG;
	if (!map)
		return PP_OK;
	node = pp_config_get(map, key);
	if (node && node->type != PP_CONFIG_MAP)
		return not_a_map(node, example_key, 1, err);
	if (!node && !(node = add_implicit_map((pp_config *)map, key)))
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	*out = node;
	return PP_OK;
}

int pp_config_set_string(const pp_config *map, const char *key, const char *text,
			 pp_error *err)
{
	pp_config *m = (pp_config *)map;
	pp_config *node = (pp_config *)pp_config_get(map, key);
	char *copy;

	if (!m || m->type != PP_CONFIG_MAP)
		return pp_error_set(err, PP_ERR_STATE, "can only set a key of a map");
	if (!(copy = strdup(text)))
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	if (node && node->type == PP_CONFIG_SCALAR) {
		free(node->text);
		node->text = copy;
		node->override = 1;
		return PP_OK;
	}
	if (node) {
		free(copy);
		return pp_config_error(err, PP_ERR_CONFIG, node, "%s must be a string", key);
	}
	node = node_new(PP_CONFIG_SCALAR, m->file, m->line, m->column);
	if (!node || map_append(m, key, m->line, m->column, node)) {
		free(node);
		free(copy);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	node->text = copy;
	node->override = 1;
	node->implicit = 1;
	m->used[m->count - 1] = 1;
	return PP_OK;
}

int pp_config_set_path(const pp_config *map, const char *key, const char *path,
		       pp_error *err)
{
	int rc = pp_config_set_string(map, key, path, err);

	if (!rc)
		((pp_config *)pp_config_get(map, key))->override = 2;
	return rc;
}

/* YAML needs quotes for text that would read as something else. */
static void write_scalar(FILE *f, const char *text)
{
	int plain = *text != '\0';

	for (const char *c = text; *c; c++)
		if (strchr(":#{}[],&*!|>'\"%@`\n", *c))
			plain = 0;
	/* "-" and "? " start entries; "-1" is a number */
	if (text[0] == ' ' || ((text[0] == '-' || text[0] == '?') && (!text[1] || text[1] == ' ')) ||
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

static int has_key(const pp_config *map, const char *key)
{
	for (size_t i = 0; i < map->count; i++)
		if (strcmp(map->keys[i], key) == 0)
			return 1;
	return 0;
}

/* Something to write under @node: entries or recorded defaults.  An empty
 * one is written "{}" or "[]", so it reads back as a map or a list. */
static int has_content(const pp_config *node)
{
	if (node->count)
		return 1;
	for (size_t i = 0; i < node->n_asked; i++)
		if (node->asked[i].def)
			return 1;
	return 0;
}

static void write_node(FILE *f, const pp_config *node, int indent);

/* A list of scalars only: written on one line, [a, b, c], as the defaults
 * the list getters record are. */
static int scalar_list(const pp_config *node)
{
	if (node->type != PP_CONFIG_SEQUENCE || node->count == 0)
		return 0;
	for (size_t i = 0; i < node->count; i++)
		if (node->items[i]->type != PP_CONFIG_SCALAR)
			return 0;
	return 1;
}

static void write_value(FILE *f, const pp_config *value, int indent)
{
	if (scalar_list(value)) {
		fputs(" [", f);
		for (size_t i = 0; i < value->count; i++) {
			if (i)
				fputs(", ", f);
			write_scalar(f, value->items[i]->text);
		}
		fputs("]\n", f);
	} else if (value->type == PP_CONFIG_SCALAR) {
		fputc(' ', f);
		write_scalar(f, value->text);
		fputs(value->override == 2 ? "  # resolved from the experiment file's directory\n"
		      : value->override ? "  # given on the command line\n" : "\n", f);
	} else if (!has_content(value)) {
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
			if (item->type == PP_CONFIG_MAP && has_content(item)) {
				/* the map's keys indented under the dash */
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
		if (!node->asked[i].def || has_key(node, node->asked[i].key))
			continue;  /* a value set after the default was taken wins */
		fprintf(f, "%*s", indent, "");
		write_scalar(f, node->asked[i].key);
		fputs(": ", f);
		if (node->asked[i].def_is_yaml)
			fputs(node->asked[i].def, f);
		else
			write_scalar(f, node->asked[i].def);
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
	if (node->type != PP_CONFIG_MAP && node->n_asked)
		return not_a_map(node, NULL, 0, err);
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

/* Paths of keys some getter asked for that are absent and took no recorded
 * default ("stages[0].schedule"), one a line, indices written "[]". */
static void list_unrecorded(const pp_config *node, char *path, size_t size, FILE *f)
{
	size_t len = strlen(path);

	if (node->type == PP_CONFIG_MAP) {
		for (size_t i = 0; i < node->n_asked; i++) {
			size_t k;
			for (k = 0; k < node->count && strcmp(node->keys[k], node->asked[i].key); k++)
				;
			if (k == node->count && !node->asked[i].def)
				fprintf(f, "%s%s%s\n", path, len ? "." : "", node->asked[i].key);
		}
	}
	for (size_t i = 0; node->type != PP_CONFIG_SCALAR && i < node->count; i++) {
		if (node->type == PP_CONFIG_MAP)
			snprintf(path + len, size - len, "%s%s", len ? "." : "", node->keys[i]);
		else
			snprintf(path + len, size - len, "[]");
		list_unrecorded(node->items[i], path, size, f);
		path[len] = '\0';
	}
}

void pp_config_list_unrecorded(const pp_config *root, FILE *f)
{
	char path[512] = "";

	if (root)
		list_unrecorded(root, path, sizeof path, f);
}

/* ---- overlays: a base experiment with some sections replaced ------------- */

int pp_config_doc_overlay(const pp_config_doc *base, const pp_config *variant,
			  pp_config_doc **out, pp_error *err)
{
	pp_config_doc *doc = calloc(1, sizeof *doc);
	pp_config *root;

	*out = NULL;
	if (!doc || !(doc->file = strdup(base->file)) ||
	    !(doc->file2 = strdup(variant->file)) ||
	    !(doc->root = clone_node(base->root, base->file, doc->file, doc->file2)))
		goto nomem;
	root = doc->root;
	if (root->type != PP_CONFIG_MAP || variant->type != PP_CONFIG_MAP) {
		pp_config_doc_destroy(doc);
		return pp_config_error(err, PP_ERR_CONFIG, variant,
				       "a variant and its base experiment are maps of sections");
	}
	for (size_t v = 0; v < variant->count; v++) {
		pp_config *value = clone_node(variant->items[v], base->file, doc->file, doc->file2);
		size_t i;

		if (!value)
			goto nomem;
		for (i = 0; i < root->count && strcmp(root->keys[i], variant->keys[v]); i++)
			;
		if (i < root->count) {   /* the variant's section replaces the base's */
			node_free(root->items[i]);
			value->parent = root;
			value->index = i;
			root->items[i] = value;
			root->key_lines[i] = variant->key_lines[v];
			root->key_columns[i] = variant->key_columns[v];
			continue;
		}
		if (map_append(root, variant->keys[v], variant->key_lines[v],
			       variant->key_columns[v], value)) {
			node_free(value);
			goto nomem;
		}
	}
	*out = doc;
	return PP_OK;
nomem:
	pp_config_doc_destroy(doc);
	return pp_error_set(err, PP_ERR_NOMEM, "out of memory building a variant");
}

int pp_config_remove(const pp_config *map, const char *key)
{
	pp_config *m = (pp_config *)map;
	size_t i;

	if (!m || m->type != PP_CONFIG_MAP)
		return 0;
	for (i = 0; i < m->count && strcmp(m->keys[i], key); i++)
		;
	if (i == m->count)
		return 0;
	free(m->keys[i]);
	node_free(m->items[i]);
	for (; i + 1 < m->count; i++) {
		m->keys[i] = m->keys[i + 1];
		m->key_lines[i] = m->key_lines[i + 1];
		m->key_columns[i] = m->key_columns[i + 1];
		m->used[i] = m->used[i + 1];
		m->items[i] = m->items[i + 1];
		m->items[i]->index = i;
	}
	m->count--;
	return 1;
}
