/* phasepinn — `phases FILE.csv [options]`: run the phase detector offline on
 * any SNR curve.  The CSV has a header row; the step column is `iteration`
 * (or `step`), the signal either `snr` or `mu` and `sigma` (also `snr_mu`,
 * `snr_sigma`, as phasepinn's own metrics.csv names them); other columns are
 * ignored.  Rows whose signal cells are empty are skipped; any other
 * malformed row is an error quoting file:line (exit 2).  Prints
 * `<phase> <step>` per transition found, in order, nothing when none is.
 * Options set the detector's parameters (the phases analyzer's keys).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <phasepinn/phases.h>

#include "core/cli/commands.h"

#define MAX_FIELDS 4096   /* columns looked at; later ones are ignored */

/* Split @line at commas in place; returns the number of fields. */
static int split(char *line, char **fields)
{
	int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
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

/* Next line into *line (getline's buffer); -1 at the end, -2 for a line
 * holding a NUL byte. */
static ssize_t next_line(char **line, size_t *cap, FILE *f)
{
	ssize_t len = getline(line, cap, f);

	if (len >= 0 && strlen(*line) != (size_t)len)
		return -2;
	return len;
}

/* Feed every row of the CSV @f to @d. */
static int read_rows(FILE *f, const char *path, char **line, size_t *cap,
		     pp_phase_detector *d, pp_error *err)
{
	char *fields[MAX_FIELDS];
	int n, c_step, c_snr, c_mu, c_sigma, c_signal, last;
	long lineno = 1;
	ssize_t len;

	if ((len = next_line(line, cap, f)) == -1)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:1: empty file; expected a header row", path);
	if (len == -2)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:1: NUL byte in the header", path);
	n = split(*line, fields);
	c_step = column(fields, n, "iteration", "step");
	c_snr = column(fields, n, "snr", NULL);
	c_mu = column(fields, n, "mu", "snr_mu");
	c_sigma = column(fields, n, "sigma", "snr_sigma");
	if (c_step < 0 || (c_snr < 0 && (c_mu < 0 || c_sigma < 0)))
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s:1: need columns iteration,snr or iteration,mu,sigma in the header",
				    path);
	/* the signal: snr, else mu with sigma beside it */
	c_signal = c_snr >= 0 ? c_snr : c_mu;
	last = c_step > c_signal ? c_step : c_signal;
	if (c_snr < 0 && c_sigma > last)
		last = c_sigma;
	while ((len = next_line(line, cap, f)) != -1) {
		double step = 0, a = 0, b = 1;
		int empty_a, empty_b = 0, empty_s;

		lineno++;
		if (len == -2)
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: NUL byte in the line", path, lineno);
		if ((*line)[strspn(*line, " \r\n")] == '\0')
			continue;
		n = split(*line, fields);
		if (n <= last)
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: %d fields, expected at least %d",
					    path, lineno, n, last + 1);
		if (parse_cell(fields[c_step], &step, &empty_s) || empty_s || !(fabs(step) < 1e15) ||
		    step != floor(step))
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: expected an integer iteration, found '%s'",
					    path, lineno, fields[c_step]);
		if (parse_cell(fields[c_signal], &a, &empty_a))
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: expected a number, found '%s'",
					    path, lineno, fields[c_signal]);
		if (c_snr < 0 && parse_cell(fields[c_sigma], &b, &empty_b))
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: expected a number, found '%s'",
					    path, lineno, fields[c_sigma]);
		if (empty_a || empty_b)
			continue;
		pp_phase_feed(d, (long)step, a, b);
	}
	if (ferror(f))
		return pp_error_set(err, PP_ERR_IO, "%s: read error", path);
	return PP_OK;
}

static int detect(FILE *f, const char *path, pp_phase_detector *d, pp_error *err)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = read_rows(f, path, &line, &cap, d, err);

	free(line);
	return rc;
}

static const char usage[] =
	"usage: phasepinn phases FILE.csv [--window N] [--hold N] [--diffusion-below X]\n"
	"                        [--equilibrium-above X] [--jump-factor X] [--rise-window N]\n"
	"  FILE.csv has a header row and columns iteration,snr or iteration,mu,sigma\n";

/* One `--name value` option into @p; 1 if @name is not an option. */
static int set_option(pp_phase_params *p, const char *name, const char *value, pp_error *err)
{
	static const struct {
		const char *name;
		int integer;
		size_t offset;
	} options[] = {
		{"--window", 1, offsetof(pp_phase_params, window)},
		{"--hold", 1, offsetof(pp_phase_params, hold)},
		{"--rise-window", 1, offsetof(pp_phase_params, rise_window)},
		{"--diffusion-below", 0, offsetof(pp_phase_params, diffusion_below)},
		{"--equilibrium-above", 0, offsetof(pp_phase_params, equilibrium_above)},
		{"--jump-factor", 0, offsetof(pp_phase_params, jump_factor)},
	};
	char *end;

	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
		if (strcmp(name, options[i].name))
			continue;
		if (!value)
			return pp_error_set(err, PP_ERR_CONFIG, "%s needs a value", name);
		errno = 0;
		if (options[i].integer)
			*(long *)((char *)p + options[i].offset) = strtol(value, &end, 10);
		else
			*(double *)((char *)p + options[i].offset) = strtod(value, &end);
		if (end == value || *end || errno)
			return pp_error_set(err, PP_ERR_CONFIG, "%s: '%s' is not %s", name, value,
					    options[i].integer ? "an integer" : "a number");
		return PP_OK;
	}
	return 1;
}

/* Options and the one file argument. */
static int parse_args(int argc, char **argv, pp_phase_params *p, const char **file,
		      pp_error *err)
{
	*file = NULL;
	pp_phase_params_default(p);
	for (int i = 1; i < argc; i++) {
		int rc = argv[i][0] == '-' ? set_option(p, argv[i], i + 1 < argc ? argv[i + 1] : NULL, err)
					   : 1;
		if (rc < 0)
			return rc;
		if (rc == 0) {
			i++;
		} else if (argv[i][0] == '-' || *file) {
			return pp_error_set(err, PP_ERR_CONFIG, "unexpected argument '%s'", argv[i]);
		} else {
			*file = argv[i];
		}
	}
	if (!*file)
		return pp_error_set(err, PP_ERR_CONFIG, "no FILE.csv given");
	return pp_phase_params_check(p, err);
}

int pp_cli_phases(int argc, char **argv)
{
	pp_phase_params params;
	pp_phase_detector d;
	pp_error err = {0};
	const char *path;
	FILE *f;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return PP_EXIT_OK;
	}
	if (parse_args(argc, argv, &params, &path, &err)) {
		fprintf(stderr, "phasepinn phases: %s\n%s", err.message, usage);
		return PP_EXIT_USAGE;
	}
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "phasepinn phases: %s: %s\n", path, strerror(errno));
		return PP_EXIT_USAGE;
	}
	pp_phase_init(&d, &params);
	rc = detect(f, path, &d, &err);
	fclose(f);
	if (rc) {
		fprintf(stderr, "phasepinn phases: %s\n", err.message);
		return PP_EXIT_USAGE;
	}
	if (pp_phase_write_transitions(&d, stdout) || fflush(stdout)) {
		fprintf(stderr, "phasepinn phases: cannot write the output\n");
		return PP_EXIT_FAILED;
	}
	return PP_EXIT_OK;
}
