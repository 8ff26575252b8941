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

#include "cli/commands.h"
#include "core/csv.h"
#include "core/experiment.h"
#include "core/rundir.h"

#define MAX_VARIANTS 32

static const double levels[3] = {1e-1, 1e-2, 1e-3};

typedef struct variant {
	char name[128];
	char dir[4096];
	unsigned long seed;
	double rel_l2, max_err, loss, seconds, equilibrium;
	long reach[3];
} variant;

/* Read a run's metrics.csv: last values and threshold crossings; append the
 * long form to @combined. */
static int summarise(variant *v, FILE *combined, pp_error *err)
{
	char path[4200];
	int c_step, c_loss, c_l2, c_max, c_eq, c_time, rc;
	pp_csv in;

	snprintf(path, sizeof path, "%s/" PP_RUN_METRICS, v->dir);
	rc = pp_csv_open_path(&in, path, err);
	if (rc) {
		pp_csv_close(&in);
		return rc;
	}
	c_step = pp_csv_column(&in, "step");
	c_loss = pp_csv_column(&in, "loss");
	c_time = pp_csv_column(&in, "time_s");
	c_l2 = pp_csv_column(&in, "error_rel_l2");
	c_max = pp_csv_column(&in, "error_max");
	c_eq = pp_csv_column(&in, "phase_equilibrium_step");
	v->rel_l2 = v->max_err = v->loss = v->seconds = v->equilibrium = NAN;
	v->reach[0] = v->reach[1] = v->reach[2] = -1;
	while ((rc = pp_csv_next(&in, err)) == 1) {
		char **fields = in.fields;
		int n = in.n < in.n_columns ? in.n : in.n_columns;
		long step = c_step >= 0 && c_step < in.n ? atol(fields[c_step]) : 0;
		for (int i = 0; i < n; i++) {
			if (!*fields[i])
				continue;
			double x = strtod(fields[i], NULL);
			if (combined && i != c_step)
				fprintf(combined, "%s,%ld,%s,%s\n", v->name, step, in.columns[i], fields[i]);
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
	pp_csv_close(&in);
	return rc < 0 ? rc : PP_OK;
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

	rc = pp_path_join(path, sizeof path, dir, PP_COMPARE_TABLE, err);
	if (!rc)
		rc = pp_atomic_open(&csv, path, err);
	if (rc)
		return rc;
	rc = pp_path_join(path, sizeof path, dir, PP_COMPARE_TABLE_MD, err);
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

/* Where the experiments come from: files, or one file with a compare:
 * section naming a base experiment and variants that replace its sections:
 *
 *   compare:
 *     base: allen_cahn_base.yaml        # relative to this file
 *     variants:
 *       - {name: vanilla, weighting: {type: none}}
 *       - {name: rba, weighting: {type: rba}}
 */
typedef struct sources {
	int n;
	const char *files[MAX_VARIANTS];
	pp_config_doc *spec;                 /* the compare file, when used */
	pp_config_doc *base;
	const pp_config *variants[MAX_VARIANTS];
	char default_out[512];
} sources;

static int load_spec(sources *src, const char *path, pp_error *err)
{
	const pp_config *root, *cmp, *list;
	const char *base;
	char base_path[4096];
	int rc = pp_config_doc_load(path, &src->spec, err);

	if (rc)
		return rc;
	root = pp_config_doc_root(src->spec);
	cmp = pp_config_get(root, "compare");
	if (!cmp)
		return PP_OK;  /* an ordinary experiment: compare needs two */
	if (pp_config_node_type(cmp) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, cmp,
				       "compare: is a map {base: FILE, variants: [{name: ..., <sections>}]}");
	rc = pp_config_string(cmp, "base", NULL, &base, err);
	if (!rc && !base)
		rc = pp_config_error(err, PP_ERR_CONFIG, cmp, "compare: missing required key 'base'");
	list = rc ? NULL : pp_config_require(cmp, "variants", err);
	if (!rc && !list)
		rc = PP_ERR_CONFIG;
	if (!rc && (pp_config_node_type(list) != PP_CONFIG_SEQUENCE || pp_config_size(list) < 2 ||
		    pp_config_size(list) > MAX_VARIANTS))
		rc = pp_config_error(err, PP_ERR_CONFIG, list,
				     "variants: is a list of 2 to %d maps, each with a name:", MAX_VARIANTS);
	if (!rc)
		rc = pp_config_check_unknown(cmp, "compare", err);
	if (!rc)
		rc = pp_config_check_unknown(root, "a compare file", err);
	if (rc)
		return rc;
	if (base[0] == '/' || !strchr(path, '/'))
		snprintf(base_path, sizeof base_path, "%s", base);
	else
		snprintf(base_path, sizeof base_path, "%.*s/%s", (int)(strrchr(path, '/') - path),
			 path, base);
	rc = pp_config_doc_load(base_path, &src->base, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < pp_config_size(list); i++) {
		const pp_config *v = pp_config_at(list, i);
		if (pp_config_node_type(v) != PP_CONFIG_MAP || !pp_config_get(v, "name"))
			return pp_config_error(err, PP_ERR_CONFIG, v,
					       "each variant is a map with a name: and the sections it changes");
		src->variants[src->n++] = v;
	}
	{
		const char *stem = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		snprintf(src->default_out, sizeof src->default_out, "runs/%.*s",
			 (int)strcspn(stem, "."), stem);
	}
	return PP_OK;
}

static int make_doc(const sources *src, int i, pp_config_doc **doc, pp_error *err)
{
	if (src->spec && src->base)
		return pp_config_doc_overlay(src->base, src->variants[i], doc, err);
	return pp_config_doc_load(src->files[i], doc, err);
}

/* Validate variant @i and read its name and seed. */
static int identify(const sources *src, int i, pp_registry *reg, variant *v, pp_error *err)
{
	pp_config_doc *doc = NULL;
	pp_experiment *exp = NULL;
	int rc = make_doc(src, i, &doc, err);

	if (!rc)
		rc = pp_experiment_create_doc(doc, reg, NULL, PP_EXPERIMENT_CHECK, &exp, err);
	if (rc)
		return rc;
	snprintf(v->name, sizeof v->name, "%s", exp->name);
	v->seed = exp->seed;
	pp_experiment_destroy(exp);
	return PP_OK;
}

static void sources_free(sources *src)
{
	pp_config_doc_destroy(src->spec);
	pp_config_doc_destroy(src->base);
}

int pp_cli_compare(int argc, char **argv)
{
	const char *out = NULL;
	static variant v[MAX_VARIANTS];
	sources src = {0};
	int force = 0, quiet = 0, rc = PP_OK, code = PP_EXIT_OK;
	pp_registry *reg = NULL;
	pp_rundir *rd = NULL;
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
		else if (!strcmp(argv[i], "--no-plot"))
			pp_cli_set_plotting(0);
		else if (argv[i][0] != '-' && src.n < MAX_VARIANTS)
			src.files[src.n++] = argv[i];
		else {
			fprintf(stderr, "phasepinn compare: unexpected argument '%s'\n", argv[i]);
			return PP_EXIT_USAGE;
		}
	}
	if (src.n == 1) {
		const char *file = src.files[0];
		src.n = 0;
		rc = load_spec(&src, file, &err);
		if (!rc && !src.base)
			src.n = 1;  /* not a compare file */
	}
	if (!rc && src.n < 2) {
		fprintf(stderr, "usage: phasepinn compare A.yaml B.yaml ... [--output DIR] [--force] [--quiet]\n"
				"       phasepinn compare COMPARE.yaml   (compare: {base: FILE, variants: [...]})\n");
		sources_free(&src);
		return PP_EXIT_USAGE;
	}
	if (!out)
		out = src.base ? src.default_out : "runs/compare";
	reg = rc ? NULL : pp_cli_registry();
	if (!rc && !reg) {
		sources_free(&src);
		return PP_EXIT_USAGE;
	}
	/* validate all before running any, so a typo in the last one costs nothing */
	for (int i = 0; i < src.n && !rc; i++) {
		rc = identify(&src, i, reg, &v[i], &err);
		for (int j = 0; !rc && j < i; j++)
			if (!strcmp(v[i].name, v[j].name))
				rc = pp_error_set(&err, PP_ERR_CONFIG,
						  "two experiments are named '%s'; give one a different name:",
						  v[i].name);
	}
	pp_registry_destroy(reg);
	if (rc) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		sources_free(&src);
		return PP_EXIT_USAGE;
	}
	for (int i = 1; i < src.n; i++)
		if (v[i].seed != v[0].seed)
			fprintf(stderr, "phasepinn compare: warning: '%s' uses seed %lu, '%s' seed %lu: they will not see the same points\n",
				v[i].name, v[i].seed, v[0].name, v[0].seed);
	/* The comparison directory is a run directory of its own: refused when
	 * it holds anything but an earlier comparison (unless --force), and its
	 * manifest records comparison.*, combined_metrics.csv, figures/ and each
	 * variant's directory, so --force removes only what compare made. */
	if (pp_rundir_open(out, PP_RUNDIR_NEW | PP_RUNDIR_LOCK | (force ? PP_RUNDIR_FORCE : 0),
			   stderr, &rd, &err)) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		sources_free(&src);
		return pp_cli_exit_code(err.code);
	}
	for (int i = 0; i < src.n && !code; i++) {
		pp_config_doc *doc = NULL;
		snprintf(v[i].dir, sizeof v[i].dir, "%s/%s", out, v[i].name);
		if (make_doc(&src, i, &doc, &err)) {
			fprintf(stderr, "phasepinn compare: %s\n", err.message);
			code = PP_EXIT_USAGE;
			break;
		}
		code = pp_cli_run_doc(doc, v[i].dir, force, quiet);
	}
	sources_free(&src);
	if (code) {
		pp_rundir_close(rd);
		return code;
	}
	if (pp_path_join(path, sizeof path, out, PP_COMPARE_METRICS, &err) == 0)
		combined = pp_rundir_fopen(path, "w", &err);
	if (!combined) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		pp_rundir_close(rd);
		return PP_EXIT_FAILED;
	}
	fputs("variant,step,metric,value\n", combined);
	for (int i = 0; i < src.n && !rc; i++)
		rc = summarise(&v[i], combined, &err);
	if (fclose(combined) != 0 && !rc)
		rc = pp_error_set(&err, PP_ERR_IO, "cannot write %s", path);
	if (!rc)
		rc = write_tables(out, v, src.n, &err);
	if (rc) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		pp_rundir_close(rd);
		return PP_EXIT_FAILED;
	}
	pp_path_join(path, sizeof path, out, PP_COMPARE_TABLE_MD, NULL);
	if (!quiet) {
		FILE *f = fopen(path, "r");
		char buf[1024];
		while (f && fgets(buf, sizeof buf, f))
			fputs(buf, stdout);
		if (f)
			fclose(f);
	}
	pp_cli_plot_after_compare(out, quiet);
	pp_rundir_close(rd);
	return PP_EXIT_OK;
}

int pp_cli_check_compare(const char *path)
{
	static variant v[MAX_VARIANTS];
	sources src = {0};
	pp_registry *reg = NULL;
	pp_error err = {0};
	int rc = load_spec(&src, path, &err);

	if (!rc && !src.base)
		rc = pp_error_set(&err, PP_ERR_CONFIG, "%s has no compare: section", path);
	if (!rc && !(reg = pp_cli_registry()))
		rc = PP_ERR_PLUGIN;
	for (int i = 0; !rc && i < src.n; i++)
		rc = identify(&src, i, reg, &v[i], &err);
	if (rc && err.message[0])
		fprintf(stderr, "phasepinn: %s\n", err.message);
	else if (!rc)
		printf("%s: ok: %d variants of %s\n", path, src.n, pp_config_file(pp_config_doc_root(src.base)));
	pp_registry_destroy(reg);
	sources_free(&src);
	return rc ? PP_EXIT_USAGE : PP_EXIT_OK;
}
