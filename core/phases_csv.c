/* phasepinn — an SNR curve read from CSV into the phase detector (see
 * pp_phase_read_csv in include/phasepinn/phases.h).  `phasepinn phases` and
 * the fuzzer (tests/fuzz/fuzz_phases_csv.c) both go through here. */
#include <phasepinn/phases.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MAX_FIELDS 4096   /* columns looked at; later ones are ignored */

/* Split @line at commas in place; returns the number of fields. */
static int split(char *line, char **fields)
{
	int n = 0;
	char *p = line;

	while (n < MAX_FIELDS) {
		fields[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

/* Index of the header field named @a (or @b when not NULL), spaces and
 * quotes around it ignored; -1 when absent. */
static int column(char **fields, int n, const char *a, const char *b)
{
	for (int i = 0; i < n; i++) {
		const char *f = fields[i];
		while (*f == ' ' || *f == '"')
			f++;
		size_t len = strcspn(f, " \"");
		if ((strlen(a) == len && strncmp(f, a, len) == 0) ||
		    (b && strlen(b) == len && strncmp(f, b, len) == 0))
			return i;
	}
	return -1;
}

/* A number, an empty cell (*empty = 1), or an error. */
static int parse_cell(const char *s, double *v, int *empty)
{
	char *end;

	while (*s == ' ')
		s++;
	*empty = *s == '\0';
	if (*empty)
		return 0;
	errno = 0;
	*v = strtod(s, &end);
	while (*end == ' ')
		end++;
	return end == s || *end != '\0' || errno == ERANGE ? -1 : 0;
}

/* Next line into *line (a growing buffer at *cap bytes), without its end:
 * lines end at "\n", "\r\n" or a lone "\r" (old Mac files), so a file
 * written with any of them reads the same.  Returns the length, -1 at the
 * end of the file, -2 for a line holding a NUL byte, -3 out of memory. */
static ssize_t next_line(char **line, size_t *cap, FILE *f)
{
	size_t len = 0;
	int c, nul = 0;

	if (!*line) {
		if (!(*line = malloc(256)))
			return -3;
		*cap = 256;
	}
	while ((c = getc(f)) != EOF && c != '\n' && c != '\r') {
		if (len + 1 >= *cap) {
			char *p = realloc(*line, 2 * *cap);
			if (!p)
				return -3;
			*line = p;
			*cap *= 2;
		}
		nul |= c == '\0';
		(*line)[len++] = (char)c;
	}
	(*line)[len] = '\0';
	if (c == EOF && len == 0)
		return -1;
	if (c == '\r' && (c = getc(f)) != '\n' && c != EOF)
		ungetc(c, f);
	return nul ? -2 : (ssize_t)len;
}

/* Where the columns are: the step, the signal (snr, else mu with sigma
 * beside it), and the last one a row must reach. */
typedef struct csv_columns {
	int step, snr, sigma, signal, last;
} csv_columns;

static int read_header(FILE *f, const char *name, char **line, size_t *cap, char **fields,
		       csv_columns *c, pp_error *err)
{
	ssize_t len = next_line(line, cap, f);
	int n, mu;

	if (len == -3)
		return pp_error_set(err, PP_ERR_NOMEM, "%s:1: out of memory", name);
	if (len == -1 && ferror(f))
		return pp_error_set(err, PP_ERR_IO, "%s: read error", name);
	if (len == -1)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:1: empty file; expected a header row", name);
	if (len == -2)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:1: NUL byte in the header", name);
	/* a UTF-8 byte-order mark (spreadsheets write one) is not part of the first name */
	if (strncmp(*line, "\xEF\xBB\xBF", 3) == 0)
		memmove(*line, *line + 3, (size_t)len - 2);
	n = split(*line, fields);
	c->step = column(fields, n, "iteration", "step");
	c->snr = column(fields, n, "snr", NULL);
	mu = column(fields, n, "mu", "snr_mu");
	c->sigma = column(fields, n, "sigma", "snr_sigma");
	if (c->step < 0 || (c->snr < 0 && (mu < 0 || c->sigma < 0)))
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s:1: need columns iteration,snr or iteration,mu,sigma in the header",
				    name);
	c->signal = c->snr >= 0 ? c->snr : mu;
	c->last = c->step > c->signal ? c->step : c->signal;
	if (c->snr < 0 && c->sigma > c->last)
		c->last = c->sigma;
	return PP_OK;
}

/* Feed every row after the header to @d. */
static int read_rows(FILE *f, const char *name, char **line, size_t *cap, char **fields,
		     const csv_columns *c, pp_phase_detector *d, pp_error *err)
{
	long lineno = 1, previous = 0, previous_line = 0;
	ssize_t len;

	while ((len = next_line(line, cap, f)) != -1) {
		double step = 0, a = 0, b = 1;
		int n, empty_a, empty_b = 0, empty_s;

		lineno++;
		if (len == -3)
			return pp_error_set(err, PP_ERR_NOMEM, "%s:%ld: out of memory", name, lineno);
		if (len == -2)
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: NUL byte in the line", name, lineno);
		if ((*line)[strspn(*line, " ")] == '\0')
			continue;
		n = split(*line, fields);
		if (n <= c->last)
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: %d fields, expected at least %d",
					    name, lineno, n, c->last + 1);
		if (parse_cell(fields[c->step], &step, &empty_s) || empty_s || !(fabs(step) < 1e15) ||
		    step != floor(step))
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: expected an integer iteration, found '%s'",
					    name, lineno, fields[c->step]);
		/* the detector's windows are in samples: out-of-order or repeated
		 * iterations (two runs pasted together) would mix two curves */
		if (previous_line && (long)step <= previous)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "%s:%ld: iteration %ld does not follow iteration %ld of line %ld; iterations must increase (sort the file, or split concatenated runs)",
					    name, lineno, (long)step, previous, previous_line);
		previous = (long)step;
		previous_line = lineno;
		if (parse_cell(fields[c->signal], &a, &empty_a))
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: expected a number, found '%s'",
					    name, lineno, fields[c->signal]);
		if (c->snr < 0 && parse_cell(fields[c->sigma], &b, &empty_b))
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: expected a number, found '%s'",
					    name, lineno, fields[c->sigma]);
		if (empty_a || empty_b)
			continue;
		pp_phase_feed(d, (long)step, a, b);
	}
	if (ferror(f))
		return pp_error_set(err, PP_ERR_IO, "%s: read error", name);
	return PP_OK;
}

int pp_phase_read_csv(FILE *f, const char *name, pp_phase_detector *d, pp_error *err)
{
	char **fields = malloc(MAX_FIELDS * sizeof *fields);
	char *line = NULL;
	size_t cap = 0;
	csv_columns c = {0};
	int rc;

	if (!fields)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = read_header(f, name, &line, &cap, fields, &c, err);
	if (!rc)
		rc = read_rows(f, name, &line, &cap, fields, &c, d, err);
	free(line);
	free(fields);
	return rc;
}
