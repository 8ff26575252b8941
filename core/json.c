/* phasepinn — writing and reading the JSON of summary.json (see
 * core/json.h).  The reader is recursive descent over the whole text, one
 * function per kind of value, its depth bounded by PP_JSON_MAX_DEPTH. */
#include "core/json.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ------------------------------------------------------------- */

void pp_json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void pp_json_write_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.10g", v);
	else
		fputs("null", f);
}

/* ---- reading ------------------------------------------------------------- */

typedef struct parser {
	const char *text, *end, *p;
	const char *name;
	long line;
	const char *line_start;
	int depth;
	pp_error *err;
} parser;

static int fail(parser *ps, const char *at, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return pp_error_set(ps->err, PP_ERR_CONFIG, "%s:%ld:%ld: %s (byte %ld)", ps->name, ps->line,
			    (long)(at - ps->line_start) + 1, what, (long)(at - ps->text));
}

static int out_of_memory(parser *ps)
{
	return pp_error_set(ps->err, PP_ERR_NOMEM, "%s: out of memory", ps->name);
}

/* Past spaces, tabs and line ends (the only place a line can end). */
static void skip_space(parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (c == '\n') {
			ps->line++;
			ps->line_start = ps->p + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		ps->p++;
	}
}

/* What is at the cursor, in words, for "expected X, found Y". */
static const char *found(const parser *ps)
{
	static char buf[32];
	unsigned char c;

	if (ps->p >= ps->end)
		return "the end of the text";
	c = (unsigned char)*ps->p;
	if (c < 0x20 || c >= 0x7f)
		snprintf(buf, sizeof buf, "byte 0x%02x", c);
	else
		snprintf(buf, sizeof buf, "'%c'", c);
	return buf;
}

static int parse_value(parser *ps, pp_json *v);

/* A growing text buffer for a decoded string. */
typedef struct text_buf {
	char *s;
	size_t len, cap;
} text_buf;

static int put_byte(text_buf *b, unsigned char c)
{
	if (b->len + 1 >= b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 32;
		char *s = realloc(b->s, cap);
		if (!s)
			return -1;
		b->s = s;
		b->cap = cap;
	}
	b->s[b->len++] = (char)c;
	b->s[b->len] = '\0';
	return 0;
}

/* @code (a Unicode scalar value) as UTF-8. */
static int put_utf8(text_buf *b, uint32_t code)
{
	if (code < 0x80)
		return put_byte(b, (unsigned char)code);
	if (code < 0x800)
		return put_byte(b, (unsigned char)(0xc0 | code >> 6)) ||
		       put_byte(b, (unsigned char)(0x80 | (code & 0x3f)));
	if (code < 0x10000)
		return put_byte(b, (unsigned char)(0xe0 | code >> 12)) ||
		       put_byte(b, (unsigned char)(0x80 | (code >> 6 & 0x3f))) ||
		       put_byte(b, (unsigned char)(0x80 | (code & 0x3f)));
	return put_byte(b, (unsigned char)(0xf0 | code >> 18)) ||
	       put_byte(b, (unsigned char)(0x80 | (code >> 12 & 0x3f))) ||
	       put_byte(b, (unsigned char)(0x80 | (code >> 6 & 0x3f))) ||
	       put_byte(b, (unsigned char)(0x80 | (code & 0x3f)));
}

/* Four hex digits at @p into *code; -1 when they are not. */
static int hex4(const parser *ps, const char *p, uint32_t *code)
{
	*code = 0;
	if (ps->end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		*code = *code << 4 | (uint32_t)d;
	}
	return 0;
}

/* "\uXXXX" (the cursor on the 'u'), a surrogate pair joined, into @b. */
static int unicode_escape(parser *ps, text_buf *b)
{
	const char *at = ps->p - 1;
	uint32_t code, low;

	if (hex4(ps, ps->p + 1, &code))
		return fail(ps, at, "\\u is followed by four hex digits");
	ps->p += 5;
	if (code >= 0xdc00 && code <= 0xdfff)
		return fail(ps, at, "\\u%04x is the second half of a surrogate pair, without a first", code);
	if (code >= 0xd800 && code <= 0xdbff) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
		    hex4(ps, ps->p + 2, &low) || low < 0xdc00 || low > 0xdfff)
			return fail(ps, at, "\\u%04x is the first half of a surrogate pair, without a second", code);
		ps->p += 6;
		code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
	}
	if (code == 0)
		return fail(ps, at, "\\u0000 (a NUL character) in a string is not supported");
	return put_utf8(b, code) ? out_of_memory(ps) : PP_OK;
}

/* A string (the cursor on its opening quote) into *out, decoded. */
static int parse_string(parser *ps, char **out)
{
	static const char plain[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
	text_buf b = {0};
	const char *start = ps->p;
	int rc = PP_OK;

	ps->p++;
	if (put_byte(&b, 0) != 0)   /* an empty string is "", not NULL */
		return out_of_memory(ps);
	b.len = 0;
	for (;;) {
		unsigned char c;
		if (ps->p >= ps->end) {
			rc = fail(ps, start, "a string that does not end");
			break;
		}
		c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20) {
			rc = fail(ps, ps->p, "byte 0x%02x in a string (write it as \\u%04x)", c, c);
			break;
		}
		if (c != '\\') {
			ps->p++;
			if (put_byte(&b, c)) {
				rc = out_of_memory(ps);
				break;
			}
			continue;
		}
		ps->p++;
		if (ps->p < ps->end && *ps->p == 'u') {
			rc = unicode_escape(ps, &b);
			if (rc)
				break;
			continue;
		}
		{
			const char *k = ps->p < ps->end && *ps->p ? strchr(plain, *ps->p) : NULL;
			if (!k) {
				rc = fail(ps, ps->p - 1, "\\%.1s is no JSON escape", ps->p < ps->end ? ps->p : "");
				break;
			}
			ps->p++;
			if (put_byte(&b, (unsigned char)meant[k - plain])) {
				rc = out_of_memory(ps);
				break;
			}
		}
	}
	if (rc) {
		free(b.s);
		return rc;
	}
	*out = b.s;
	return PP_OK;
}

static size_t digits(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && p[n] >= '0' && p[n] <= '9')
		n++;
	return n;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(parser *ps, pp_json *v)
{
	const char *start = ps->p, *p = ps->p;
	size_t n;

	if (p < ps->end && *p == '-')
		p++;
	n = digits(p, ps->end);
	if (n == 0 || (n > 1 && *p == '0'))
		return fail(ps, start, "a number starts with one digit 0, or digits 1-9");
	p += n;
	if (p < ps->end && *p == '.') {
		n = digits(++p, ps->end);
		if (n == 0)
			return fail(ps, start, "a digit must follow the decimal point");
		p += n;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		n = digits(p, ps->end);
		if (n == 0)
			return fail(ps, start, "a digit must follow the exponent's e");
		p += n;
	}
	v->type = PP_JSON_NUMBER;
	v->text = malloc((size_t)(p - start) + 1);
	if (!v->text)
		return out_of_memory(ps);
	memcpy(v->text, start, (size_t)(p - start));
	v->text[p - start] = '\0';
	v->number = strtod(v->text, NULL);   /* past ±DBL_MAX: ±inf, as strtod says */
	ps->p = p;
	return PP_OK;
}

/* true, false or null */
static int parse_word(parser *ps, pp_json *v)
{
	static const struct {
		const char *word;
		pp_json_type type;
	} words[] = {{"true", PP_JSON_TRUE}, {"false", PP_JSON_FALSE}, {"null", PP_JSON_NULL}};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t n = strlen(words[i].word);
		if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, words[i].word, n) &&
		    (ps->p + n == ps->end || !isalnum((unsigned char)ps->p[n]))) {
			v->type = words[i].type;
			ps->p += n;
			return PP_OK;
		}
	}
	return fail(ps, ps->p, "expected a value (an object, array, string, number, true, false or null), found %s",
		    found(ps));
}

/* Room for one more member of @v (an array or object). */
static int grow(parser *ps, pp_json *v, size_t *cap)
{
	if (v->n < *cap)
		return PP_OK;
	size_t n = *cap ? 2 * *cap : 8;
	pp_json *items = realloc(v->items, n * sizeof *items);
	if (!items)
		return out_of_memory(ps);
	v->items = items;
	if (v->type == PP_JSON_OBJECT) {
		char **keys = realloc(v->keys, n * sizeof *keys);
		if (!keys)
			return out_of_memory(ps);
		v->keys = keys;
	}
	*cap = n;
	return PP_OK;
}

/* An array or an object (the cursor on its bracket). */
static int parse_container(parser *ps, pp_json *v)
{
	int object = *ps->p == '{';
	char close = object ? '}' : ']';
	size_t cap = 0;
	int rc;

	if (++ps->depth > PP_JSON_MAX_DEPTH)
		return fail(ps, ps->p, "nested deeper than %d levels", PP_JSON_MAX_DEPTH);
	v->type = object ? PP_JSON_OBJECT : PP_JSON_ARRAY;
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return PP_OK;
	}
	for (;;) {
		rc = grow(ps, v, &cap);
		if (rc)
			return rc;
		memset(&v->items[v->n], 0, sizeof v->items[v->n]);
		if (object) {
			v->keys[v->n] = NULL;
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, ps->p, "expected a member's name in quotes, found %s", found(ps));
			/* counted before it is complete, so that a failure frees it */
			v->n++;
			rc = parse_string(ps, &v->keys[v->n - 1]);
			if (rc)
				return rc;
			skip_space(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, ps->p, "expected ':' after the name \"%s\", found %s",
					    v->keys[v->n - 1], found(ps));
			ps->p++;
			skip_space(ps);
		} else {
			v->n++;
		}
		rc = parse_value(ps, &v->items[v->n - 1]);
		if (rc)
			return rc;
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_space(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			ps->depth--;
			return PP_OK;
		}
		return fail(ps, ps->p, "expected ',' or '%c' in %s, found %s", close,
			    object ? "an object" : "an array", found(ps));
	}
}

/* The value at the cursor (spaces before it already skipped) into @v. */
static int parse_value(parser *ps, pp_json *v)
{
	v->line = ps->line;
	v->column = (long)(ps->p - ps->line_start) + 1;
	if (ps->p >= ps->end)
		return fail(ps, ps->p, "expected a value, found the end of the text");
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps, v);
	case '"':
		v->type = PP_JSON_STRING;
		return parse_string(ps, &v->text);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(ps, v);
	default:
		return parse_word(ps, v);
	}
}

static void free_members(pp_json *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free_members(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
}

void pp_json_free(pp_json *root)
{
	if (!root)
		return;
	free_members(root);
	free(root);
}

int pp_json_parse(const char *text, size_t len, const char *name, pp_json **root,
		  pp_error *err)
{
	parser ps = {.text = text, .end = text + len, .p = text, .name = name, .line = 1,
		     .line_start = text, .err = err};
	pp_json *v = calloc(1, sizeof *v);
	int rc;

	*root = NULL;
	if (!v)
		return out_of_memory(&ps);
	skip_space(&ps);
	rc = parse_value(&ps, v);
	if (!rc) {
		skip_space(&ps);
		if (ps.p < ps.end)
			rc = fail(&ps, ps.p, "text after the value: %s", found(&ps));
	}
	if (rc) {
		pp_json_free(v);
		return rc;
	}
	*root = v;
	return PP_OK;
}

const pp_json *pp_json_get(const pp_json *object, const char *key)
{
	if (!object || object->type != PP_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < object->n; i++)
		if (!strcmp(object->keys[i], key))
			return &object->items[i];
	return NULL;
}

const char *pp_json_type_name(pp_json_type type)
{
	switch (type) {
	case PP_JSON_NULL:
		return "null";
	case PP_JSON_FALSE:
	case PP_JSON_TRUE:
		return "a boolean";
	case PP_JSON_NUMBER:
		return "a number";
	case PP_JSON_STRING:
		return "a string";
	case PP_JSON_ARRAY:
		return "an array";
	case PP_JSON_OBJECT:
		return "an object";
	}
	return "a value";
}
