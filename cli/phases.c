/* phasepinn — `phases FILE.csv [options]`: run the phase detector offline on
 * any SNR curve.  The CSV has a header row; the step column is `iteration`
 * (or `step`), the signal either `snr` or `mu` and `sigma` (also `snr_mu`,
 * `snr_sigma`, as phasepinn's own metrics.csv names them); other columns are
 * ignored.  Rows whose signal cells are empty are skipped; any other
 * malformed row is an error quoting file:line (exit 2).  The reading is
 * pp_phase_read_csv (core/phases_csv.c).  Prints
 * `<phase> <step>` per transition found, in order, nothing when none is.
 * Options set the detector's parameters (the phases analyzer's keys).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phases.h>

#include "cli/commands.h"

static const char usage[] =
	"usage: phasepinn phases FILE.csv [--window N] [--hold N] [--diffusion-below X]\n"
	"                        [--equilibrium-above X] [--jump-factor X] [--rise-window N]\n"
	"                        [--chunk-points M]\n"
	"  FILE.csv has a header row and columns iteration,snr or iteration,mu,sigma\n"
	"  --chunk-points M: the curve was measured with M points per chunk (N/chunks);\n"
	"  its SNR is put at the detector's 256 points per chunk, times sqrt(256/M),\n"
	"  as the phases analyzer does online\n";

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
		if (end == value || *end || errno ||
		    (!options[i].integer && !isfinite(*(double *)((char *)p + options[i].offset))))
			return pp_error_set(err, PP_ERR_CONFIG, "%s: '%s' is not %s", name, value,
					    options[i].integer ? "an integer" : "a finite number");
		return PP_OK;
	}
	return 1;
}

/* --chunk-points M into the SNR scale √(256/M). */
static int set_chunk_points(const char *value, double *scale, pp_error *err)
{
	char *end;
	double m;

	if (!value)
		return pp_error_set(err, PP_ERR_CONFIG, "--chunk-points needs a value");
	errno = 0;
	m = strtod(value, &end);
	if (end == value || *end || errno || !(m >= 1 && m < 1e12))
		return pp_error_set(err, PP_ERR_CONFIG,
				    "--chunk-points: '%s' is not a number of points (at least 1)", value);
	*scale = sqrt(PP_PHASE_CHUNK_POINTS / m);
	return PP_OK;
}

/* Options and the one file argument. */
static int parse_args(int argc, char **argv, pp_phase_params *p, double *scale,
		      const char **file, pp_error *err)
{
	*file = NULL;
	*scale = 1;
	pp_phase_params_default(p);
	for (int i = 1; i < argc; i++) {
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = !strcmp(argv[i], "--chunk-points") ? set_chunk_points(next, scale, err)
			 : argv[i][0] == '-'                ? set_option(p, argv[i], next, err)
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
	double scale;
	FILE *f;
	int rc;

	if (pp_cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return PP_EXIT_OK;
	}
	if (parse_args(argc, argv, &params, &scale, &path, &err)) {
		fprintf(stderr, "phasepinn phases: %s\n%s", err.message, usage);
		return PP_EXIT_USAGE;
	}
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "phasepinn phases: %s: %s\n", path, strerror(errno));
		return PP_EXIT_USAGE;
	}
	pp_phase_init(&d, &params);
	rc = pp_phase_read_csv_scaled(f, path, scale, &d, &err);
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
