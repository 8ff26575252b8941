/* phasepinn — the one reader of phasepinn's comma-separated tables (see
 * core/csv.h): metrics.csv for `plot` and `compare`, SNR curves for
 * `phasepinn phases` (core/phases_csv.c). */
#include "core/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Next line into c->buf (growing), without its end.  Returns the length,
 * -1 at the end of the file, -2 for a line holding a NUL byte, -3 out of
 * memory. */
static ssize_t next_line(pp_csv *c)
{
	size_t len = 0;
	int ch, nul = 0;

	if (!c->buf) {
		if (!(c->buf = malloc(256)))
			return -3;
		c->cap = 256;
	}
	while ((ch = getc(c->f)) != EOF && ch != '\n' && ch != '\r') {
		if (len + 1 >= c->cap) {
			char *p = realloc(c->buf, 2 * c->cap);
			if (!p)
				return -3;
			c->buf = p;
			c->cap *= 2;
		}
		nul |= ch == '\0';
		c->buf[len++] = (char)ch;
	}
	c->buf[len] = '\0';
	if (ch == EOF && len == 0)
		return -1;
	if (ch == '\r' && (ch = getc(c->f)) != '\n' && ch != EOF)
		ungetc(ch, c->f);
	return nul ? -2 : (ssize_t)len;
}

/* Cut @line at commas in place into @fields (at most PP_CSV_MAX_FIELDS;
 * the rest of the line is dropped); the count, at least 1. */
static int split(char *line, char **fields)
{
	int n = 0;
	char *p = line;

	for (;;) {
		fields[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
		if (n == PP_CSV_MAX_FIELDS)
			break;
	}
	return n;
}

/* A comment line, when comments are on: '#' after any spaces.  Before the
 * header such files may also have blank lines. */
static int is_comment(const pp_csv *c, const char *line)
{
	return c->comments && line[strspn(line, " ")] == '#';
}

static int open_csv(pp_csv *c, FILE *f, const char *name, int comments, pp_error *err)
{
	ssize_t len;

	memset(c, 0, sizeof *c);
	c->f = f;
	c->name = name;
	c->line = 0;
	c->comments = comments;
	c->columns = malloc(PP_CSV_MAX_FIELDS * sizeof *c->columns);
	c->fields = malloc(PP_CSV_MAX_FIELDS * sizeof *c->fields);
	if (!c->columns || !c->fields)
		return pp_error_set(err, PP_ERR_NOMEM, "%s: out of memory", name);
	do {
		len = next_line(c);
		c->line++;
		/* a UTF-8 byte-order mark is not part of the first name */
		if (c->line == 1 && len >= 3 && strncmp(c->buf, "\xEF\xBB\xBF", 3) == 0) {
			memmove(c->buf, c->buf + 3, (size_t)len - 2);
			len -= 3;
		}
	} while (len >= 0 && c->comments && (is_comment(c, c->buf) || !c->buf[strspn(c->buf, " ")]));
	if (len == -1 && c->line > 1)
		c->line--;  /* the end of the file is no line */
	if (len == -3)
		return pp_error_set(err, PP_ERR_NOMEM, "%s:%ld: out of memory", name, c->line);
	if (len == -1 && ferror(f))
		return pp_error_set(err, PP_ERR_IO, "%s: read error", name);
	if (len == -1)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: empty file; expected a header row",
				    name, c->line);
	if (len == -2)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: NUL byte in the header", name, c->line);
	/* the header keeps its buffer; rows get a new one */
	c->header = c->buf;
	c->buf = NULL;
	c->n_columns = split(c->header, c->columns);
	return PP_OK;
}

int pp_csv_open(pp_csv *c, FILE *f, const char *name, pp_error *err)
{
	return open_csv(c, f, name, 0, err);
}

int pp_csv_open_commented(pp_csv *c, FILE *f, const char *name, pp_error *err)
{
	return open_csv(c, f, name, 1, err);
}

int pp_csv_open_path(pp_csv *c, const char *path, pp_error *err)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		memset(c, 0, sizeof *c);
		return pp_error_set(err, PP_ERR_IO, "%s: %s", path, strerror(errno));
	}
	rc = pp_csv_open(c, f, path, err);
	c->owns_file = 1;
	return rc;
}

int pp_csv_next(pp_csv *c, pp_error *err)
{
	ssize_t len;

	while ((len = next_line(c)) != -1) {
		c->line++;
		if (len == -3)
			return pp_error_set(err, PP_ERR_NOMEM, "%s:%ld: out of memory", c->name, c->line);
		if (len == -2)
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: NUL byte in the line", c->name,
					    c->line);
		if (c->buf[strspn(c->buf, " ")] == '\0' || is_comment(c, c->buf))
			continue;
		c->n = split(c->buf, c->fields);
		return 1;
	}
	if (ferror(c->f))
		return pp_error_set(err, PP_ERR_IO, "%s: read error", c->name);
	return 0;
}

int pp_csv_column(const pp_csv *c, const char *name)
{
	size_t want = strlen(name);

	for (int i = 0; i < c->n_columns; i++) {
		const char *f = c->columns[i];
		while (*f == ' ' || *f == '"')
			f++;
		size_t len = strcspn(f, " \"");
		if (len == want && strncmp(f, name, len) == 0)
			return i;
	}
	return -1;
}

void pp_csv_close(pp_csv *c)
{
	if (c->owns_file && c->f)
		fclose(c->f);
	free(c->columns);
	free(c->fields);
	free(c->header);
	free(c->buf);
	memset(c, 0, sizeof *c);
}
