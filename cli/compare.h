/* phasepinn — the parts of `compare` (private to the CLI):
 *
 *   cli/compare.c        arguments, where the experiments come from, the
 *                        single-seed table (as it always was), the order of
 *                        things
 *   cli/compare_seeds.c  seeds: in YAML and --seeds: a count or a list
 *   cli/compare_jobs.c   running the runs: in this process one after
 *                        another, or (--jobs N) as N child processes
 *   cli/compare_stats.c  a multi-seed comparison's tables and the median
 *                        and quartile curves its figures draw
 *
 * A comparison over seeds runs every variant once per seed into
 * DIR/<variant>/seed-<s>/; see README.md ("compare") and docs/figures.md.
 */
#ifndef PHASEPINN_CLI_COMPARE_H
#define PHASEPINN_CLI_COMPARE_H

#include <stdio.h>

#include <phasepinn/config.h>
#include <phasepinn/error.h>

#define PP_COMPARE_MAX_VARIANTS 32
#define PP_COMPARE_MAX_SEEDS 100

/* What compare writes beside comparison.csv in a multi-seed comparison. */
#define PP_COMPARE_RUNS   "comparison_runs.csv"  /* one row per variant and seed */
#define PP_COMPARE_BANDS  "seed_bands.csv"       /* DIR/<variant>/: median, quartiles per step */
#define PP_COMPARE_LOGS   "logs"                 /* DIR/logs/<run>.log of child runs */

/* ---- seeds (cli/compare_seeds.c) ----------------------------------------- */

/* A seeds: value: a count (seeds: 5) or a list (seeds: [1, 2, 3]). */
typedef struct pp_seed_spec {
	int given;
	long count;                               /* > 0: a count; 0: the list */
	int n;                                    /* the list */
	unsigned long list[PP_COMPARE_MAX_SEEDS];
	char where[300];                          /* "file:line:col" or "--seeds" */
} pp_seed_spec;

/* The seeds of one variant, in the order they run. */
typedef struct pp_seed_list {
	int n;
	unsigned long seed[PP_COMPARE_MAX_SEEDS];
} pp_seed_list;

/* Read the YAML node @node (the value of a seeds: key): a count from 1 to
 * PP_COMPARE_MAX_SEEDS or a list of distinct seeds (0 .. LONG_MAX).
 * PP_ERR_CONFIG "file:line:col: ..." otherwise. */
int pp_seed_spec_node(const pp_config *node, pp_seed_spec *spec, pp_error *err);

/* The same from --seeds: "N" (a count) or "a,b,c" (a list; "7," is the
 * list of the one seed 7). */
int pp_seed_spec_arg(const char *text, pp_seed_spec *spec, pp_error *err);

/* The seeds @spec gives an experiment whose seed: is @base: the list as
 * written, or for a count N the N seeds base, base + 1, ..., base + N − 1. */
int pp_seed_spec_resolve(const pp_seed_spec *spec, unsigned long base, pp_seed_list *out,
			 pp_error *err);

/* 1 when @a and @b are the same seeds in the same order. */
int pp_seed_list_equal(const pp_seed_list *a, const pp_seed_list *b);

/* ---- runs (cli/compare_jobs.c) ------------------------------------------- */

typedef struct pp_compare_job {
	int variant;            /* index into the comparison's variants */
	int has_seed;           /* a multi-seed comparison: run with @seed */
	unsigned long seed;
	char name[160];         /* "vanilla" or "vanilla/seed-3", in messages */
	char dir[4096];         /* its run directory */
	char log[4096];         /* a child's log file; "" when run in this process */
	int code;               /* its exit code; -1 not run */
	double seconds;         /* wall time of the run, as the parent saw it */
} pp_compare_job;

/* Run one job in this process: its exit code. */
typedef int (*pp_compare_run_here)(void *ctx, pp_compare_job *job);

typedef struct pp_compare_plan {
	pp_compare_job *jobs;
	int n;
	int at_once;            /* --jobs: 1 runs each in this process */
	int keep_going;         /* after a failure, still run the rest */
	int quiet;
	const char *dir;        /* the comparison directory (open as a run directory) */
	pp_compare_run_here run_here;
	void *ctx;
	/* a child is `phasepinn [--plugin-dir D]... compare --run-one V S DIR
	 * <child_args>`: the arguments compare was given */
	int n_child_args;
	char **child_args;
} pp_compare_plan;

/* Run every job of @plan, @plan->at_once at a time (child processes when
 * more than one, each writing to its own log in DIR/logs/).  Each job's
 * code is set.  Returns the number of jobs that failed or did not run
 * (an interrupt stops the rest); the failures have been reported on
 * stderr, a child's with the last lines of its log. */
int pp_compare_run_jobs(pp_compare_plan *plan);

/* ---- a multi-seed comparison's tables (cli/compare_stats.c) -------------- */

typedef struct pp_compare_variant_runs {
	const char *name;
	int first, n;           /* its jobs: jobs[first .. first + n − 1] */
} pp_compare_variant_runs;

/* Read every run of @jobs (all completed) and write DIR/comparison.csv,
 * comparison.md, comparison_runs.csv, combined_metrics.csv and each
 * variant's seed_bands.csv, each atomically. */
int pp_compare_write_seed_tables(const char *dir, const pp_compare_job *jobs,
				 const pp_compare_variant_runs *variants, int n_variants,
				 pp_error *err);

/* For comparison.md: "What each variant changes", the settings of each
 * run's config.yaml (@run_dirs[v], one per variant @names[v]) whose values
 * differ from those of the first (name and output aside, and with
 * @over_seeds the seed); nothing with fewer than two variants. */
void pp_compare_md_changes(FILE *f, const char *const *names, const char *const *run_dirs, int n,
			   int over_seeds);

/* For a single-seed comparison.md: every entry into diffusion equilibrium
 * and every relapse of each run, from its phases.txt. */
void pp_compare_md_phases(FILE *f, const char *const *names, const char *const *run_dirs, int n);

/* Statistics over the finite values of @x[0 .. n − 1] (NaN: no value):
 * how many, mean, sample standard deviation (n − 1 in the denominator; NaN
 * for fewer than two), min and max (NaN when none). */
typedef struct pp_stats {
	int n;
	double mean, sd, min, max;
} pp_stats;
void pp_stats_of(const double *x, int n, pp_stats *out);

/* The @p-quantile (0 ≤ p ≤ 1) of the @n sorted values @x: linear
 * interpolation between the order statistics at (n − 1)·p (numpy's default,
 * "type 7"). */
double pp_quantile_sorted(const double *x, int n, double p);

#endif
