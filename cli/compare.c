/* phasepinn — `compare A.yaml B.yaml ... [--output DIR] [--force]`: run
 * experiments one after another into DIR/<name>/ and put them side by side:
 *   DIR/comparison.csv, DIR/comparison.md  final rel. L2, max error, loss,
 *       wall time, steps to reach rel. L2 1e-1 / 1e-2 / 1e-3, the step where
 *       diffusion equilibrium began (phases analyzer);
 *   DIR/combined_metrics.csv  every run's metrics in long form
 *       (variant,step,metric,value), ready for plotting.
 * The experiments should share seed and sampling so they see the same
 * points; compare warns when the seeds differ.
 *
 * With seeds: (in an experiment file, in a compare file's compare: section,
 * or --seeds) every variant runs once per seed into DIR/<name>/seed-<s>/,
 * and the tables carry statistics over the seeds (cli/compare_stats.c).
 * --jobs N runs N of the runs at a time in child processes
 * (cli/compare_jobs.c).  See cli/compare.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <phasepinn/output.h>

#include "cli/commands.h"
#include "cli/compare.h"
#include "core/comm.h"
#include "core/csv.h"
#include "core/experiment.h"
#include "core/rundir.h"

#define MAX_VARIANTS PP_COMPARE_MAX_VARIANTS

static const double levels[3] = {1e-1, 1e-2, 1e-3};

typedef struct variant {
	char name[128];
	char dir[4096];
	unsigned long seed;
	int threads;
	pp_seed_list seeds;                  /* n 0: not over seeds */
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
	{
		const char *names[MAX_VARIANTS], *dirs[MAX_VARIANTS];
		for (int i = 0; i < n; i++) {
			names[i] = v[i].name;
			dirs[i] = v[i].dir;
		}
		pp_compare_md_changes(md.f, names, dirs, n, 0);
		pp_compare_md_phases(md.f, names, dirs, n);
	}
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
 *     seeds: [1, 2, 3]                  # optional: every variant over these
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
	pp_seed_spec seeds;                  /* compare: {seeds: ...} */
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
	if (!rc && pp_config_get(cmp, "seeds"))
		rc = pp_seed_spec_node(pp_config_get(cmp, "seeds"), &src->seeds, err);
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

/* What the command line changes in every run. */
typedef struct overrides {
	const char *threads;                 /* --threads-per-job; NULL: the file's */
	pp_seed_spec seeds;                  /* --seeds; given 0: none */
} overrides;

/* The document of variant @i as it runs: its own seeds: taken out (into
 * @spec when not NULL), --threads-per-job and, with @seed, its seed set. */
static int make_run_doc(const sources *src, int i, const overrides *o, const unsigned long *seed,
			pp_seed_spec *spec, pp_config_doc **doc, pp_error *err)
{
	const pp_config *root, *node;
	char text[32];
	int rc = make_doc(src, i, doc, err);

	if (rc)
		return rc;
	root = pp_config_doc_root(*doc);
	node = pp_config_get(root, "seeds");
	if (spec)
		memset(spec, 0, sizeof *spec);
	if (node && spec)
		rc = pp_seed_spec_node(node, spec, err);
	pp_config_remove(root, "seeds");
	if (!rc && o->threads)
		rc = pp_config_set_string(root, "threads", o->threads, err);
	if (!rc && seed) {
		snprintf(text, sizeof text, "%lu", *seed);
		rc = pp_config_set_string(root, "seed", text, err);
	}
	if (rc) {
		pp_config_doc_destroy(*doc);
		*doc = NULL;
	}
	return rc;
}

/* Validate variant @i and read its name, seed, threads and seeds: the
 * command line's, else its own, else the compare file's. */
static int identify(const sources *src, int i, const overrides *o, pp_registry *reg, variant *v,
		    pp_error *err)
{
	pp_config_doc *doc = NULL;
	pp_experiment *exp = NULL;
	pp_seed_spec own;
	const pp_seed_spec *spec;
	int rc = make_run_doc(src, i, o, NULL, &own, &doc, err);

	if (!rc)
		rc = pp_experiment_create_doc(doc, reg, NULL, PP_EXPERIMENT_CHECK, &exp, err);
	if (rc)
		return rc;
	snprintf(v->name, sizeof v->name, "%s", exp->name);
	v->seed = exp->seed;
	v->threads = exp->threads;
	pp_experiment_destroy(exp);
	spec = o->seeds.given ? &o->seeds : own.given ? &own : &src->seeds;
	return pp_seed_spec_resolve(spec, v->seed, &v->seeds, err);
}

static void sources_free(sources *src)
{
	pp_config_doc_destroy(src->spec);
	pp_config_doc_destroy(src->base);
}

static void usage(FILE *f)
{
	pp_cli_help("compare", f);
}

/* The arguments of compare.  --run-one V S RUN_DIR is how compare starts
 * its child processes (cli/compare_jobs.c), not for users. */
typedef struct args {
	const char *out;
	int force, quiet, jobs;
	overrides o;
	int run_one, run_variant;
	const char *run_seed, *run_dir;
} args;

static int positive(const char *opt, const char *text, int *out)
{
	char *end;
	long x = strtol(text, &end, 10);

	if (*text < '0' || *text > '9' || *end || x < 1 || x > 1024) {
		fprintf(stderr, "phasepinn compare: %s %s: give a whole number from 1 to 1024\n", opt,
			text);
		return PP_EXIT_USAGE;
	}
	*out = (int)x;
	return PP_EXIT_OK;
}

static int parse_args(int argc, char **argv, args *a, sources *src)
{
	pp_error err = {0};
	int threads;

	memset(a, 0, sizeof *a);
	a->jobs = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return -1;
		} else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
			a->out = argv[++i];
		} else if (!strcmp(argv[i], "--force")) {
			a->force = 1;
		} else if (!strcmp(argv[i], "--quiet")) {
			a->quiet = 1;
		} else if (!strcmp(argv[i], "--no-plot")) {
			pp_cli_set_plotting(0);
		} else if (!strcmp(argv[i], "--seeds") && i + 1 < argc) {
			if (pp_seed_spec_arg(argv[++i], &a->o.seeds, &err)) {
				fprintf(stderr, "phasepinn compare: %s\n", err.message);
				return PP_EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--jobs") && i + 1 < argc) {
			if (positive("--jobs", argv[++i], &a->jobs))
				return PP_EXIT_USAGE;
		} else if (!strcmp(argv[i], "--threads-per-job") && i + 1 < argc) {
			if (positive("--threads-per-job", argv[++i], &threads))
				return PP_EXIT_USAGE;
			a->o.threads = argv[i];
		} else if (!strcmp(argv[i], "--run-one") && i + 3 < argc) {
			a->run_one = 1;
			a->run_variant = atoi(argv[++i]);
			a->run_seed = argv[++i];
			a->run_dir = argv[++i];
		} else if (argv[i][0] != '-' && src->n < MAX_VARIANTS) {
			src->files[src->n++] = argv[i];
		} else {
			fprintf(stderr, "phasepinn compare: unexpected argument '%s'\n", argv[i]);
			return PP_EXIT_USAGE;
		}
	}
	return PP_EXIT_OK;
}

/* What running a job in this process needs. */
typedef struct job_ctx {
	const sources *src;
	const args *a;
} job_ctx;

static int run_job_here(void *ctx, pp_compare_job *job)
{
	const job_ctx *c = ctx;
	pp_config_doc *doc = NULL;
	pp_error err = {0};

	if (make_run_doc(c->src, job->variant, &c->a->o, job->has_seed ? &job->seed : NULL, NULL,
			 &doc, &err)) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		return PP_EXIT_USAGE;
	}
	/* under mpirun every rank's runs would share the terminal */
	return pp_cli_run_doc(doc, job->dir, c->a->force,
			      c->a->quiet || pp_comm_world_size() > 1);
}

/* A child process: run variant V with seed S into RUN_DIR.  Its output
 * goes to its log, never to a terminal: it always reports its progress. */
static int run_one(const sources *src, const args *a)
{
	pp_compare_job job = {.variant = a->run_variant};
	args loud = *a;
	job_ctx ctx = {src, &loud};
	char *end;

	if (a->run_variant < 0 || a->run_variant >= src->n) {
		fprintf(stderr, "phasepinn compare: --run-one %d: no such variant\n", a->run_variant);
		return PP_EXIT_USAGE;
	}
	if (strcmp(a->run_seed, "-")) {
		job.has_seed = 1;
		job.seed = strtoul(a->run_seed, &end, 10);
		if (*a->run_seed < '0' || *a->run_seed > '9' || *end) {
			fprintf(stderr, "phasepinn compare: --run-one: '%s' is not a seed\n",
				a->run_seed);
			return PP_EXIT_USAGE;
		}
	}
	snprintf(job.dir, sizeof job.dir, "%s", a->run_dir);
	loud.quiet = 0;
	return run_job_here(&ctx, &job);
}

/* Every variant validated (names distinct, seeds resolved) before any runs. */
static int validate(const sources *src, const args *a, variant *v, int *multi)
{
	pp_registry *reg = pp_cli_registry();
	pp_error err = {0};
	int rc = PP_OK;

	if (!reg)
		return PP_EXIT_USAGE;
	*multi = 0;
	for (int i = 0; i < src->n && !rc; i++) {
		rc = identify(src, i, &a->o, reg, &v[i], &err);
		*multi |= v[i].seeds.n > 0;
		for (int j = 0; !rc && j < i; j++)
			if (!strcmp(v[i].name, v[j].name))
				rc = pp_error_set(&err, PP_ERR_CONFIG,
						  "two experiments are named '%s'; give one a different name:",
						  v[i].name);
	}
	pp_registry_destroy(reg);
	if (rc) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		return PP_EXIT_USAGE;
	}
	for (int i = 1; i < src->n; i++) {
		if (!*multi && v[i].seed != v[0].seed)
			fprintf(stderr, "phasepinn compare: warning: '%s' uses seed %lu, '%s' seed %lu: they will not see the same points\n",
				v[i].name, v[i].seed, v[0].name, v[0].seed);
		if (*multi && !pp_seed_list_equal(&v[i].seeds, &v[0].seeds))
			fprintf(stderr, "phasepinn compare: warning: '%s' and '%s' run over different seeds: they will not see the same points\n",
				v[i].name, v[0].name);
	}
	return PP_EXIT_OK;
}

/* The runs: one per variant, or (over seeds) one per variant and seed; a
 * variant without seeds: in a comparison over seeds runs its own seed. */
static pp_compare_job *make_jobs(const sources *src, variant *v, int multi, const char *out,
				 pp_compare_variant_runs *runs, int *n_jobs)
{
	int total = 0, k = 0;
	pp_compare_job *jobs;

	for (int i = 0; i < src->n; i++) {
		if (multi && v[i].seeds.n == 0) {
			v[i].seeds.n = 1;
			v[i].seeds.seed[0] = v[i].seed;
		}
		total += multi ? v[i].seeds.n : 1;
	}
	jobs = calloc((size_t)total, sizeof *jobs);
	if (!jobs)
		return NULL;
	for (int i = 0; i < src->n; i++) {
		runs[i] = (pp_compare_variant_runs){v[i].name, k, multi ? v[i].seeds.n : 1};
		for (int s = 0; s < runs[i].n; s++, k++) {
			pp_compare_job *job = &jobs[k];
			job->variant = i;
			if (multi) {
				job->has_seed = 1;
				job->seed = v[i].seeds.seed[s];
				snprintf(job->name, sizeof job->name, "%.127s/seed-%lu", v[i].name, job->seed);
			} else {
				snprintf(job->name, sizeof job->name, "%.127s", v[i].name);
			}
			snprintf(job->dir, sizeof job->dir, "%s/%s", out, job->name);
		}
		snprintf(v[i].dir, sizeof v[i].dir, "%s/%.127s", out, v[i].name);
	}
	*n_jobs = total;
	return jobs;
}

/* The single-seed tables, as compare always wrote them. */
static int write_single_seed(const char *out, variant *v, int n, pp_error *err)
{
	char path[4200];
	FILE *combined = NULL;
	int rc = pp_path_join(path, sizeof path, out, PP_COMPARE_METRICS, err);

	if (!rc && !(combined = pp_rundir_fopen(path, "w", err)))
		rc = err->code;
	if (rc)
		return rc;
	fputs("variant,step,metric,value\n", combined);
	for (int i = 0; i < n && !rc; i++)
		rc = summarise(&v[i], combined, err);
	if (fclose(combined) != 0 && !rc)
		rc = pp_error_set(err, PP_ERR_IO, "cannot write %s", path);
	if (!rc)
		rc = write_tables(out, v, n, err);
	return rc;
}

static void note_threads(const args *a, const variant *v, int n, int n_jobs)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int most = 1, at_once = a->jobs < n_jobs ? a->jobs : n_jobs;

	for (int i = 0; i < n; i++)
		if (v[i].threads > most)
			most = v[i].threads;
	if (!a->quiet && at_once > 1 && cores > 0 && (long)at_once * most > cores)
		fprintf(stderr, "phasepinn compare: note: %d runs at a time with up to %d threads each on %ld cores; they will share them (--threads-per-job, --jobs)\n",
			at_once, most, cores);
}

/* The first failed run's exit code (1 when runs were only left out). */
static int failure_code(const pp_compare_job *jobs, int n)
{
	for (int i = 0; i < n; i++)
		if (jobs[i].code > 0)
			return jobs[i].code;
	return PP_EXIT_FAILED;
}

int pp_cli_compare(int argc, char **argv)
{
	static variant v[MAX_VARIANTS];
	static pp_compare_variant_runs runs[MAX_VARIANTS];
	pp_compare_job *jobs = NULL;
	pp_compare_plan plan;
	sources src = {0};
	job_ctx ctx;
	args a;
	int rc = PP_OK, code, multi = 0, n_jobs = 0;
	pp_rundir *rd = NULL;
	pp_error err = {0};
	char path[4200];

	code = parse_args(argc, argv, &a, &src);
	if (code)
		return code < 0 ? PP_EXIT_OK : code;
	if (src.n == 1) {
		const char *file = src.files[0];
		src.n = 0;
		rc = load_spec(&src, file, &err);
		if (!rc && !src.base)
			src.n = 1;  /* not a compare file */
	}
	if (rc) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		sources_free(&src);
		return PP_EXIT_USAGE;
	}
	if (src.n < 2) {
		usage(stderr);
		sources_free(&src);
		return PP_EXIT_USAGE;
	}
	if (a.run_one) {
		code = run_one(&src, &a);
		sources_free(&src);
		return code;
	}
	if (!a.out)
		a.out = src.base ? src.default_out : "runs/compare";
	/* validate all before running any, so a typo in the last one costs nothing */
	code = validate(&src, &a, v, &multi);
	if (!code && !(jobs = make_jobs(&src, v, multi, a.out, runs, &n_jobs))) {
		fprintf(stderr, "phasepinn compare: out of memory\n");
		code = PP_EXIT_FAILED;
	}
	if (code) {
		sources_free(&src);
		return code;
	}
	if (pp_comm_world_size() == 1)   /* under mpirun --jobs does not apply */
		note_threads(&a, v, src.n, n_jobs);
	/* The comparison directory is a run directory of its own: refused when
	 * it holds anything but an earlier comparison (unless --force), and its
	 * manifest records comparison.*, combined_metrics.csv, figures/ and each
	 * variant's directory, so --force removes only what compare made. */
	/* Under mpirun rank 0 prepares the directory the others' runs go in. */
	rc = pp_comm_world_rank() == 0
	     ? pp_rundir_open(a.out, PP_RUNDIR_NEW | PP_RUNDIR_LOCK | (a.force ? PP_RUNDIR_FORCE : 0),
			      stderr, &rd, &err)
	     : PP_OK;
	if (pp_comm_agree(rc, &err)) {
		if (pp_comm_world_rank() == 0)
			fprintf(stderr, "phasepinn compare: %s\n", err.message);
		sources_free(&src);
		free(jobs);
		return pp_cli_exit_code(err.code);
	}
	ctx = (job_ctx){&src, &a};
	plan = (pp_compare_plan){
		.jobs = jobs, .n = n_jobs, .at_once = a.jobs,
		/* a single-seed comparison in this process stops at the first
		 * failure, as it always has */
		.keep_going = multi || a.jobs > 1, .quiet = a.quiet, .dir = a.out,
		.run_here = run_job_here, .ctx = &ctx,
		.n_child_args = argc - 1, .child_args = argv + 1,
	};
	if (pp_compare_run_jobs(&plan)) {
		code = failure_code(jobs, n_jobs);
		goto cleanup;
	}
	if (pp_comm_world_rank() != 0) {   /* rank 0 assembles the comparison */
		code = PP_EXIT_OK;
		goto cleanup;
	}
	rc = multi ? pp_compare_write_seed_tables(a.out, jobs, runs, src.n, &err)
		   : write_single_seed(a.out, v, src.n, &err);
	if (rc) {
		fprintf(stderr, "phasepinn compare: %s\n", err.message);
		code = PP_EXIT_FAILED;
		goto cleanup;
	}
	pp_path_join(path, sizeof path, a.out, PP_COMPARE_TABLE_MD, NULL);
	if (!a.quiet) {
		FILE *f = fopen(path, "r");
		char buf[1024];
		while (f && fgets(buf, sizeof buf, f))
			fputs(buf, stdout);
		if (f)
			fclose(f);
	}
	pp_cli_plot_after_compare(a.out, a.quiet);
	code = PP_EXIT_OK;
cleanup:
	pp_rundir_close(rd);
	sources_free(&src);
	free(jobs);
	return code;
}

int pp_cli_check_compare(const char *path)
{
	static variant v[MAX_VARIANTS];
	sources src = {0};
	overrides none = {0};
	pp_registry *reg = NULL;
	pp_error err = {0};
	int rc = load_spec(&src, path, &err);

	if (!rc && !src.base)
		rc = pp_error_set(&err, PP_ERR_CONFIG, "%s has no compare: section", path);
	if (!rc && !(reg = pp_cli_registry()))
		rc = PP_ERR_PLUGIN;
	for (int i = 0; !rc && i < src.n; i++)
		rc = identify(&src, i, &none, reg, &v[i], &err);
	if (rc && err.message[0])
		fprintf(stderr, "phasepinn: %s\n", err.message);
	else if (!rc && v[0].seeds.n)
		printf("%s: ok: %d variants of %s, each over %d seeds\n", path, src.n,
		       pp_config_file(pp_config_doc_root(src.base)), v[0].seeds.n);
	else if (!rc)
		printf("%s: ok: %d variants of %s\n", path, src.n, pp_config_file(pp_config_doc_root(src.base)));
	pp_registry_destroy(reg);
	sources_free(&src);
	return rc ? PP_EXIT_USAGE : PP_EXIT_OK;
}
