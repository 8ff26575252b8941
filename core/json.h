/* phasepinn — the JSON phasepinn writes (summary.json) and reads back
 * (private to the core and the command line).
 *
 * Writing: pp_json_write_string and pp_json_write_number, the only two
 * ways a value that is not a literal reaches a JSON file.  A string escapes
 * '"', '\\' and every byte below 0x20 (as \u00XX) and copies other bytes
 * as they are; a number is "%.10g" when finite and `null` otherwise (JSON
 * has no NaN or infinity), so a reader meets a non-finite number as null.
 *
 * Reading: pp_json_parse builds a tree of the whole text, RFC 8259 JSON:
 * objects, arrays, strings with every escape (\uXXXX as UTF-8, surrogate
 * pairs joined), numbers, true, false, null.  Bytes of 0x80 and above in a
 * string are kept as they are, valid UTF-8 or not, since the writer copies
 * them so.  Refused, as "NAME:LINE:COL: what": anything that is not JSON, a
 * control byte or \u0000 in a string (the tree's strings are C strings),
 * nesting deeper than PP_JSON_MAX_DEPTH, text after the value.
 */
#ifndef PHASEPINN_CORE_JSON_H
#define PHASEPINN_CORE_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <phasepinn/error.h>

#define PP_JSON_MAX_DEPTH 64

/* @s (NULL writes "") as a JSON string. */
void pp_json_write_string(FILE *f, const char *s);
/* @v as a JSON number, or null when it is not finite. */
void pp_json_write_number(FILE *f, double v);

typedef enum pp_json_type {
	PP_JSON_NULL,
	PP_JSON_FALSE,
	PP_JSON_TRUE,
	PP_JSON_NUMBER,
	PP_JSON_STRING,
	PP_JSON_ARRAY,
	PP_JSON_OBJECT,
} pp_json_type;

typedef struct pp_json pp_json;

/* One value of the tree; everything below it is owned by it. */
struct pp_json {
	pp_json_type type;
	long line, column;   /* where the value starts, from 1 */
	double number;       /* NUMBER */
	char *text;          /* STRING: the decoded text; NUMBER: the literal
				as written (exact for integers past 2^53) */
	size_t n;            /* ARRAY, OBJECT: how many members */
	pp_json *items;      /* ARRAY, OBJECT: the n values, in file order */
	char **keys;         /* OBJECT: the n names, decoded */
};

/* Parse the @len bytes of @text; @name (a file name) starts every error
 * message.  On PP_OK *root is the tree (free with pp_json_free); on
 * PP_ERR_CONFIG (not JSON) or PP_ERR_NOMEM *root is NULL. */
int pp_json_parse(const char *text, size_t len, const char *name, pp_json **root,
		  pp_error *err);

/* Free a tree from pp_json_parse; NULL is fine. */
void pp_json_free(pp_json *root);

/* The member @key of @object (the first one when repeated), or NULL when
 * @object is not an object or has no such member. */
const pp_json *pp_json_get(const pp_json *object, const char *key);

/* "null", "a number", "an object", ... for error messages. */
const char *pp_json_type_name(pp_json_type type);

#endif
