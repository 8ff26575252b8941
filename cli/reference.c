/* phasepinn — `reference FILE.yaml --out F.csv [--grid NxM] [--points N
 * [--seed S]]`: the PDE's own reference solution on a grid, as CSV with a
 * header of the input names and one column per field (u; or the PDE's
 * output names, such as u, v, p), a field the solver does not give left
 * out.  With --points, only N distinct grid points drawn at random (seed S,
 * else the experiment's), in grid order: observation data for a `data:`
 * section (docs/data.md), as Raissi et al. (2019) draw their 2,000 Burgers
 * points from the reference grid. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/output.h>
#include <phasepinn/rng.h>

#include "cli/commands.h"
#include "core/experiment.h"

/* Grids above this many values (points × fields) are refused: 2^28 doubles is 2 GiB. */
#define PP_REFERENCE_MAX_POINTS (1L << 28)

int pp_cli_parse_grid(const char *text, pp_grid *grid, pp_error *err)
{
	const char *p = text;

	for (int d = 0; d < grid->n_dims; d++) {
		char *end;
		long n = strtol(p, &end, 10);
		if (end == p || n < 1)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "--grid '%s': expected %d positive sizes like 256x100", text,
					    grid->n_dims);
		grid->n[d] = n;
		p = end;
		if (d + 1 < grid->n_dims) {
			if (*p != 'x')
				return pp_error_set(err, PP_ERR_CONFIG,
						    "--grid '%s': expected %d sizes separated by 'x'",
						    text, grid->n_dims);
			p++;
		}
	}
	if (*p)
		return pp_error_set(err, PP_ERR_CONFIG, "--grid '%s': trailing text '%s'", text, p);
	return PP_OK;
}

/* Which of the @n_fields fields of @u (n values each) the solver gave: not
 * NAN throughout.  Their count. */
static int given_fields(const double *u, size_t n, int n_fields, int *given)
{
	int count = 0;

	for (int f = 0; f < n_fields; f++) {
		given[f] = 0;
		for (size_t i = 0; i < n && !given[f]; i++)
			given[f] = !isnan(u[(size_t)f * n + i]);
		count += given[f];
	}
	return count;
}

/* What --points and --seed ask for; points 0: the whole grid. */
typedef struct reference_sample {
	long points;
	unsigned long seed;
} reference_sample;

/* @k of the @n grid points drawn at random into keep[] (1: written), by
 * Floyd's algorithm: every k-subset equally likely. */
static void draw_points(size_t n, size_t k, unsigned long seed, unsigned char *keep)
{
	pp_rng rng;

	pp_rng_init(&rng, seed, 0x52454650u /* "REFP" */);
	memset(keep, 0, n);
	for (size_t j = n - k; j < n; j++) {
		size_t t = (size_t)pp_rng_below(&rng, (uint64_t)j + 1);
		keep[keep[t] ? j : t] = 1;
	}
}

/* The header and the rows of @grid (those with keep[i] set; all when @keep
 * is NULL). */
static void write_rows(FILE *f, const pp_experiment *exp, const pp_grid *grid, const double *u,
		       int n_fields, const int *given, const unsigned char *keep)
{
	size_t n = pp_grid_size(grid);
	double x[PP_MAX_INPUTS];
	const char *sep = "";

	for (int d = 0; d < grid->n_dims; d++)
		fprintf(f, "%s,", exp->pde.input_names[d]);
	for (int k = 0; k < n_fields; k++)
		if (given[k]) {
			fprintf(f, "%s%s", sep, pp_pde_output_name(&exp->pde, k));
			sep = ",";
		}
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		if (keep && !keep[i])
			continue;
		pp_grid_point(grid, i, x);
		for (int d = 0; d < grid->n_dims; d++)
			fprintf(f, "%.12g,", x[d]);
		sep = "";
		for (int k = 0; k < n_fields; k++)
			if (given[k]) {
				fprintf(f, "%s%.12g", sep, u[(size_t)k * n + i]);
				sep = ",";
			}
		fputc('\n', f);
	}
}

static int write_reference(const pp_experiment *exp, const pp_grid *grid,
			   const reference_sample *sample, const char *out, pp_error *err)
{
	size_t n = pp_grid_size(grid);
	int n_fields = pp_pde_output_count(&exp->pde), given[PP_MAX_OUTPUTS];
	double *u = NULL;
	unsigned char *keep = NULL;
	pp_atomic_file af = {0};
	int rc;

	if (n == 0 || n > (size_t)PP_REFERENCE_MAX_POINTS / (size_t)n_fields)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "reference grid too large (more than %ld points); choose a smaller --grid",
				    PP_REFERENCE_MAX_POINTS / n_fields);
	u = malloc(n * (size_t)n_fields * sizeof *u);
	if (!u)
		return pp_error_set(err, PP_ERR_NOMEM,
				    "not enough memory for a %zu-point reference grid; choose a smaller --grid", n);
	if (sample->points > 0 && (size_t)sample->points > n) {
		rc = pp_error_set(err, PP_ERR_CONFIG,
				  "--points %ld: the reference grid has only %zu points; choose fewer or a finer --grid",
				  sample->points, n);
		goto cleanup;
	}
	if (sample->points > 0) {
		keep = malloc(n);
		if (!keep) {
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
			goto cleanup;
		}
		draw_points(n, (size_t)sample->points, sample->seed, keep);
	}
	rc = exp->pde_ops->reference(exp->pde_state, grid, u, err);
	if (rc)
		goto cleanup;
	if (given_fields(u, n, n_fields, given) == 0) {
		rc = pp_error_set(err, PP_ERR_PLUGIN, "pde '%s': the reference gives none of its fields",
				  exp->pde_plugin->name);
		goto cleanup;
	}
	rc = pp_atomic_open(&af, out, err);
	if (rc)
		goto cleanup;
	write_rows(af.f, exp, grid, u, n_fields, given, keep);
	rc = pp_atomic_commit(&af, err);
cleanup:
	free(keep);
	free(u);
	return rc;
}

/* A whole number in [min, LONG_MAX] after @option, or -1 with a message. */
static long parse_number_option(const char *option, const char *text, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || *end || errno == ERANGE || v < min) {
		fprintf(stderr, "phasepinn reference: %s '%s': expected a whole number >= %ld\n",
			option, text, min);
		return -1;
	}
	return v;
}

int pp_cli_reference(int argc, char **argv)
{
	const char *file = NULL, *out = NULL, *grid_text = NULL, *seed_text = NULL;
	reference_sample sample = {0};
	long seed = -1;
	pp_registry *reg;
	pp_experiment *exp = NULL;
	pp_error err = {0};
	pp_grid grid;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--grid") == 0 && i + 1 < argc)
			grid_text = argv[++i];
		else if (strcmp(argv[i], "--points") == 0 && i + 1 < argc) {
			if ((sample.points = parse_number_option("--points", argv[++i], 1)) < 0)
				return PP_EXIT_USAGE;
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			seed_text = argv[++i];
			if ((seed = parse_number_option("--seed", seed_text, 0)) < 0)
				return PP_EXIT_USAGE;
		}
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else {
			fprintf(stderr, "phasepinn reference: unexpected argument '%s'\n", argv[i]);
			return PP_EXIT_USAGE;
		}
	}
	if (!file || !out || (seed_text && !sample.points)) {
		fprintf(stderr, "usage: phasepinn reference FILE.yaml --out F.csv [--grid NxM] [--points N [--seed S]]\n");
		return PP_EXIT_USAGE;
	}
	reg = pp_cli_registry();
	if (!reg)
		return PP_EXIT_USAGE;
	rc = pp_experiment_create(file, reg, NULL, PP_EXPERIMENT_PDE_ONLY, &exp, &err);
	if (!rc && (!exp->pde.has_reference || !exp->pde_ops->reference))
		rc = pp_error_set(&err, PP_ERR_CONFIG, "pde '%s' has no reference solution",
				  exp->pde_plugin->name);
	if (!rc) {
		grid = exp->pde.reference_grid;
		if (grid_text)
			rc = pp_cli_parse_grid(grid_text, &grid, &err);
	}
	if (!rc) {
		sample.seed = seed >= 0 ? (unsigned long)seed : exp->seed;
		rc = write_reference(exp, &grid, &sample, out, &err);
	}
	if (rc)
		fprintf(stderr, "phasepinn reference: %s\n", err.message);
	else if (sample.points)
		printf("%s: %ld random points (seed %lu) of the %zu of the %s reference\n", out,
		       sample.points, sample.seed, pp_grid_size(&grid), exp->pde_plugin->name);
	else
		printf("%s: %zu points of the %s reference\n", out, pp_grid_size(&grid),
		       exp->pde_plugin->name);
	pp_experiment_destroy(exp);
	pp_registry_destroy(reg);
	return pp_cli_exit_code(rc);
}
