/* phasepinn — `phases FILE.csv`: run the phase detector offline on any SNR
 * curve.  The CSV has a header row; the step column is `iteration` (or
 * `step`), the signal either `snr` or `mu` and `sigma` (also `snr_mu`,
 * `snr_sigma`, as phasepinn's own metrics.csv names them).  Rows whose signal
 * cells are empty are skipped.  Prints `<phase> <step>` per transition found.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phases.h>

#include "core/cli/commands.h"

#define MAX_LINE 65536
#define MAX_FIELDS 512

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

static int detect(FILE *f, const char *path, pp_phase_detector *d, pp_error *err)
{
	static char line[MAX_LINE];
	char *fields[MAX_FIELDS];
	int n, c_step, c_snr, c_mu, c_sigma;
	long lineno = 1;

	if (!fgets(line, sizeof line, f))
		return pp_error_set(err, PP_ERR_CONFIG, "%s:1: empty file; expected a header row", path);
	n = split(line, fields);
	c_step = column(fields, n, "iteration", "step");
	c_snr = column(fields, n, "snr", NULL);
	c_mu = column(fields, n, "mu", "snr_mu");
	c_sigma = column(fields, n, "sigma", "snr_sigma");
	if (c_step < 0 || (c_snr < 0 && (c_mu < 0 || c_sigma < 0)))
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s:1: need columns iteration,snr or iteration,mu,sigma in the header",
				    path);
	while (fgets(line, sizeof line, f)) {
		double step = 0, a = 0, b = 1;
		int empty_a, empty_b = 0, empty_s, bad;

		lineno++;
		if (line[strspn(line, " \r\n")] == '\0')
			continue;
		n = split(line, fields);
		int need = c_step;
		if (c_mu >= 0 && c_sigma >= 0 && c_snr < 0)
			need = c_mu > need ? c_mu : need, need = c_sigma > need ? c_sigma : need;
		else
			need = c_snr > need ? c_snr : need;
		if (n <= need)
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: %d fields, expected at least %d",
					    path, lineno, n, need + 1);
		bad = parse_cell(fields[c_step], &step, &empty_s);
		if (c_snr >= 0) {
			bad |= parse_cell(fields[c_snr], &a, &empty_a);
		} else {
			bad |= parse_cell(fields[c_mu], &a, &empty_a);
			bad |= parse_cell(fields[c_sigma], &b, &empty_b);
		}
		if (bad || empty_s || (isfinite(step) && step != floor(step)))
			return pp_error_set(err, PP_ERR_CONFIG,
					    "%s:%ld: expected numbers (an integer iteration), found '%s'",
					    path, lineno, fields[c_step]);
		if (empty_a || empty_b)
			continue;
		pp_phase_feed(d, (long)step, a, b);
	}
	if (ferror(f))
		return pp_error_set(err, PP_ERR_IO, "%s: read error", path);
	return PP_OK;
}

int pp_cli_phases(int argc, char **argv)
{
	pp_phase_params params;
	pp_phase_detector d;
	pp_error err = {0};
	FILE *f;
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: phasepinn phases FILE.csv   (columns iteration,snr or iteration,mu,sigma)\n");
		return PP_EXIT_USAGE;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "phasepinn phases: %s: %s\n", argv[1], strerror(errno));
		return PP_EXIT_USAGE;
	}
	pp_phase_params_default(&params);
	pp_phase_init(&d, &params);
	rc = detect(f, argv[1], &d, &err);
	fclose(f);
	if (rc) {
		fprintf(stderr, "phasepinn phases: %s\n", err.message);
		return PP_EXIT_USAGE;
	}
	if (d.diffusion_step >= 0)
		printf("diffusion %ld\n", d.diffusion_step);
	if (d.equilibrium_step >= 0)
		printf("equilibrium %ld\n", d.equilibrium_step);
	return PP_EXIT_OK;
}
