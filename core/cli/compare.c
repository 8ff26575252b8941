/* phasepinn — `compare A.yaml B.yaml ... [--output DIR] [--force]`: run
 * experiments one after another into DIR/<name>/ and put them side by side:
 *   DIR/comparison.csv, DIR/comparison.md  final rel. L2, max error, loss,
 *       wall time, steps to reach rel. L2 1e-1 / 1e-2 / 1e-3, the step where
 *       diffusion equilibrium began (phases analyzer);
 *   DIR/combined_metrics.csv  every run's metrics in long form
 *       (variant,step,metric,value), ready for plotting.
 * The experiments should share seed and sampling so they see the same
 * points; compare warns when the seeds differ.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/output.h>

#include "core/cli/commands.h"
#include "core/experiment.h"

#define MAX_VARIANTS 32
#define MAX_LINE 65536
#define MAX_COLS 256

static const double levels[3] = {1e-1, 1e-2, 1e-3};

typedef struct variant {
	char name[128];
	char dir[4096];
	unsigned long seed;
	double rel_l2, max_err, loss, seconds, equilibrium;
	long reach[3];
} variant;

static int split(char *line, char **fields)
{
	int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < MAX_COLS) {
		fields[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

/* Read a run's metrics.csv: last values and threshold crossings; append the
 * long form to @combined. */
static int summarise(variant *v, FILE *combined, pp_error *err)
{
	static char line[MAX_LINE], header[MAX_LINE];
	char *names[MAX_COLS], *fields[MAX_COLS], path[4200];
	int n_names, c_step = -1, c_loss = -1, c_l2 = -1, c_max = -1, c_eq = -1, c_time = -1;
	FILE *f;

	snprintf(path, sizeof path, "%s/metrics.csv", v->dir);
	f = fopen(path, "r");
	if (!f)
		return pp_error_set(err, PP_ERR_IO, "%s: %s", path, strerror(errno));
	if (!fgets(header, sizeof header, f)) {
		fclose(f);
		return pp_error_set(err, PP_ERR_IO, "%s: empty", path);
	}
	n_names = split(header, names);
	for (int i = 0; i < n_names; i++) {
		c_step = !strcmp(names[i], "step") ? i : c_step;
		c_loss = !strcmp(names[i], "loss") ? i : c_loss;
		c_time = !strcmp(names[i], "time_s") ? i : c_time;
		c_l2 = !strcmp(names[i], "error_rel_l2") ? i : c_l2;
		c_max = !strcmp(names[i], "error_max") ? i : c_max;
		c_eq = !strcmp(names[i], "phase_equilibrium_step") ? i : c_eq;
	}
	v->rel_l2 = v->max_err = v->loss = v->seconds = v->equilibrium = NAN;
	v->reach[0] = v->reach[1] = v->reach[2] = -1;
	while (fgets(line, sizeof line, f)) {
		int n = split(line, fields);
		long step = c_step >= 0 && c_step < n ? atol(fields[c_step]) : 0;
		for (int i = 0; i < n && i < n_names; i++) {
			if (!*fields[i])
				continue;
			double x = strtod(fields[i], NULL);
			if (combined && i != c_step)
				fprintf(combined, "%s,%ld,%s,%s\n", v->name, step, names[i], fields[i]);
			if (i == c_loss)
				v->loss = x;
			else if (i == c_time)
				v->seconds = x;
			else if (i == c_max)
				v->max_err = x;
			else if (i == c_eq)
				v->equilibrium = x;
			else if (i == c_l2) {
				v->rel_l2 = x;
				for (int k = 0; k < 3; k++)
					if (v->reach[k] < 0 && x <= levels[k])
						v->reach[k] = step;
			}
		}
	}
	fclose(f);
	return PP_OK;
}

static void cell(FILE *f, double x, const char *fmt)
{
	if (isfinite(x))
		fprintf(f, fmt, x);
	else
		fputs("-", f);
}

static void steps_cell(FILE *f, long s)
{
	if (s >= 0)
		fprintf(f, "%ld", s);
	else
		fputs("-", f);
}

static int write_tables(const char *dir, const variant *v, int n, pp_error *err)
{
	char path[4200];
	pp_atomic_file csv, md;
	int rc;

	rc = pp_path_join(path, sizeof path, dir, "comparison.csv", err);
	if (!rc)
		rc = pp_atomic_open(&csv, path, err);
	if (rc)
		return rc;
	rc = pp_path_join(path, sizeof path, dir, "comparison.md", err);
	if (!rc)
		rc = pp_atomic_open(&md, path, err);
	if (rc) {
		pp_atomic_abort(&csv);
		return rc;
	}
	fputs("variant,rel_l2,max_error,loss,seconds,steps_to_1e-1,steps_to_1e-2,steps_to_1e-3,equilibrium_step\n",
	      csv.f);
	fputs("| variant | rel. L2 | max error | loss | wall time (s) | steps to 1e-1 | 1e-2 | 1e-3 | equilibrium began |\n"
	      "|---|---|---|---|---|---|---|---|---|\n", md.f);
	for (int i = 0; i < n; i++) {
		FILE *fs[2] = {csv.f, md.f};
		for (int k = 0; k < 2; k++) {
			const char *sep = k ? " | " : ",";
			fprintf(fs[k], "%s%s%s", k ? "| " : "", v[i].name, sep);
			cell(fs[k], v[i].rel_l2, "%.3e");
			fputs(sep, fs[k]);
			cell(fs[k], v[i].max_err, "%.3e");
			fputs(sep, fs[k]);
			cell(fs[k], v[i].loss, "%.3e");
			fputs(sep, fs[k]);
			cell(fs[k], v[i].seconds, "%.1f");
			for (int l = 0; l < 3; l++) {
				fputs(sep, fs[k]);
				steps_cell(fs[k], v[i].reach[l]);
			}
			fputs(sep, fs[k]);
			steps_cell(fs[k], isfinite(v[i].equilibrium) ? (long)v[i].equilibrium : -1);
			fputs(k ? " |\n" : "\n", fs[k]);
		}
	}
	fputs("\nrel. L2 and max error need the `error` analyzer, the equilibrium step the `phases` analyzer.\n",
	      md.f);
	rc = pp_atomic_commit(&csv, err);
	if (rc) {
		pp_atomic_abort(&md);
		return rc;
	}
	return pp_atomic_commit(&md, err);
}

/* The experiment's name and seed, from a check-only load. */
static int identify(const char *file, pp_registry *reg, variant *v, pp_error *err)
{
	pp_experiment *exp = NULL;
	int rc = pp_experiment_create(file, reg, NULL, PP_EXPERIMENT_PDE_ONLY, &exp, err);

	if (rc)
		return rc;
	snprintf(v->name, sizeof v->name, "%s", exp->name);
	v->seed = exp->seed;
	pp_experiment_destroy(exp);
	return PP_OK;
}

int pp_cli_compare(int argc, char **argv)
{
	const char *files[MAX_VARIANTS], *out = "runs/compare";
	static variant v[MAX_VARIANTS];
	int n = 0, force = 0, quiet = 0, rc = PP_OK, code;
	pp_registry *reg;
	pp_error err = {0};
	char path[4200];
	FILE *combined = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--output") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--force"))
			force = 1;
		else if (!strcmp(argv[i], "--quiet"))
			quiet = 1;
		else if (argv[i][0] != '-' && n < MAX_VARIANTS)
			files[n++] = argv[i];
		else {
			fprintf(stderr, "phasepinn compare: unexpected argument '%s'\n", argv[i]);
			return PP_EXIT_USAGE;
		}
	}
	if (n < 2) {
		fprintf(stderr, "usage: phasepinn compare A.yaml B.yaml ... [--output DIR] [--force] [--quiet]\n");
		return PP_EXIT_USAGE;
	}
	reg = pp_cli_registry();
	if (!reg)
		return PP_EXIT_USAGE;
	/* validate all before running any, so a typo in the last file costs nothing */
	for (int i = 0; i < n && !rc; i++) {
		pp_experiment *exp = NULL;
		rc = pp_experiment_create(files[i], reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err);
		pp_experiment_destroy(exp);
		if (!rc)
			rc = identify(files[i], reg, &v[i], &err);
		for (int j = 0; !rc && j < i; j++)
			if (!strcmp(v[i].name, v[j].name))
				rc = pp_error_set(&err, PP_ERR_CONFIG,
						  "%s and %s are both named '%s'; give one a different name:",
						  files[j], files[i], v[i].name);
	}
	pp_registry_destroy(reg);
	if (rc) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		return PP_EXIT_USAGE;
	}
	for (int i = 1; i < n; i++)
		if (v[i].seed != v[0].seed)
			fprintf(stderr, "phasepinn compare: warning: %s uses seed %lu, %s seed %lu: they will not see the same points\n",
				files[i], v[i].seed, files[0], v[0].seed);
	for (int i = 0; i < n; i++) {
		snprintf(v[i].dir, sizeof v[i].dir, "%s/%s", out, v[i].name);
		code = pp_cli_run_file(files[i], v[i].dir, force, quiet);
		if (code)
			return code;
	}
	if (pp_path_join(path, sizeof path, out, "combined_metrics.csv", &err) == 0)
		combined = fopen(path, "w");
	if (!combined) {
		fprintf(stderr, "phasepinn compare: cannot write %s\n", path);
		return PP_EXIT_FAILED;
	}
	fputs("variant,step,metric,value\n", combined);
	for (int i = 0; i < n && !rc; i++)
		rc = summarise(&v[i], combined, &err);
	if (fclose(combined) != 0 && !rc)
		rc = pp_error_set(&err, PP_ERR_IO, "cannot write %s", path);
	if (!rc)
		rc = write_tables(out, v, n, &err);
	if (rc) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		return PP_EXIT_FAILED;
	}
	snprintf(path, sizeof path, "%s/comparison.md", out);
	if (!quiet) {
		FILE *f = fopen(path, "r");
		char buf[1024];
		while (f && fgets(buf, sizeof buf, f))
			fputs(buf, stdout);
		if (f)
			fclose(f);
	}
	return PP_EXIT_OK;
}
