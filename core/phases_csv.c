/* phasepinn — an SNR curve read from CSV into the phase detector (see
 * pp_phase_read_csv in include/phasepinn/phases.h).  `phasepinn phases` and
 * the fuzzer (tests/fuzz/fuzz_phases_csv.c) both go through here; the
 * lines and fields come from core/csv.c, the reader `plot` and `compare`
 * use for metrics.csv. */
#include <phasepinn/phases.h>

#include "core/csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Where the columns are: the step, the signal (snr, else mu with sigma
 * beside it), and the last one a row must reach. */
typedef struct csv_columns {
	int step, snr, sigma, signal, last;
	double scale;   /* every SNR times this */
} csv_columns;

/* The first column named @a or @b; -1 when neither is there. */
static int either(const pp_csv *in, const char *a, const char *b)
{
	int i = pp_csv_column(in, a), j = pp_csv_column(in, b);

	return i < 0 ? j : j < 0 || i < j ? i : j;
}

static int find_columns(const pp_csv *in, csv_columns *c, pp_error *err)
{
	int mu;

	c->step = either(in, "iteration", "step");
	c->snr = pp_csv_column(in, "snr");
	mu = either(in, "mu", "snr_mu");
	c->sigma = either(in, "sigma", "snr_sigma");
	if (c->step < 0 || (c->snr < 0 && (mu < 0 || c->sigma < 0)))
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s:1: need columns iteration,snr or iteration,mu,sigma in the header",
				    in->name);
	c->signal = c->snr >= 0 ? c->snr : mu;
	c->last = c->step > c->signal ? c->step : c->signal;
	if (c->snr < 0 && c->sigma > c->last)
		c->last = c->sigma;
	return PP_OK;
}

/* Feed every row after the header to @d. */
static int read_rows(pp_csv *in, const csv_columns *c, pp_phase_detector *d, pp_error *err)
{
	long previous = 0, previous_line = 0;
	const char *name = in->name;
	int rc;

	while ((rc = pp_csv_next(in, err)) == 1) {
		char **fields = in->fields;
		long lineno = in->line;
		double step = 0, a = 0, b = 1;
		int empty_a, empty_b = 0, empty_s;

		if (in->n <= c->last)
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: %d fields, expected at least %d",
					    name, lineno, in->n, c->last + 1);
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
		pp_phase_feed(d, (long)step, c->scale * a, b);
	}
	return rc;
}

int pp_phase_read_csv(FILE *f, const char *name, pp_phase_detector *d, pp_error *err)
{
	return pp_phase_read_csv_scaled(f, name, 1, d, err);
}

int pp_phase_read_csv_scaled(FILE *f, const char *name, double scale, pp_phase_detector *d,
			     pp_error *err)
{
	pp_csv in;
	csv_columns c = {0};
	int rc;

	if (!(scale > 0 && isfinite(scale)))
		return pp_error_set(err, PP_ERR_INVALID, "%s: the SNR scale (%g) is a positive number",
				    name, scale);
	c.scale = scale;
	rc = pp_csv_open(&in, f, name, err);

	if (!rc)
		rc = find_columns(&in, &c, err);
	if (!rc)
		rc = read_rows(&in, &c, d, err);
	pp_csv_close(&in);
	return rc;
}
