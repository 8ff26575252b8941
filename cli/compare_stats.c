/* phasepinn — the tables of a comparison over seeds (see cli/compare.h).
 *
 * Each run's numbers are read from its own files: metrics.csv (the last
 * value of error_rel_l2, error_max, loss, every loss_<term> and time_s; the
 * first step where error_rel_l2 fell to 1e-1, 1e-2, 1e-3) and phases.txt
 * (every entry into diffusion equilibrium, every relapse from it back to
 * diffusion; without that file the phase_equilibrium_step column gives the
 * first entry).  Per variant, each number over its seeds: how many seeds
 * have it, mean, sample standard deviation (n − 1), min and max; and the
 * share of seeds that reached equilibrium.  Per variant and logged step,
 * the median and quartiles over the seeds of the columns the comparison
 * figures draw (DIR/<variant>/seed_bands.csv).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/output.h>

#include "cli/compare.h"
#include "cli/plot.h"
#include "core/config_doc.h"
#include "core/csv.h"
#include "core/rundir.h"

#define MAX_TERMS 16
#define MAX_MARKS 64
#define MAX_BAND_COLUMNS 8

/* The numbers of a run, in the order the tables show them: three before
 * the terms' losses, the terms (as first met), five after. */
enum { Q_REL_L2, Q_MAX_ERR, Q_LOSS, Q_TERMS, Q_SECONDS = Q_TERMS + MAX_TERMS,
       Q_REACH1, Q_REACH2, Q_REACH3, Q_EQUILIBRIUM, N_Q };

typedef struct quantity {
	const char *column;    /* in the CSV tables */
	const char *label;     /* in comparison.md */
	const char *format;
} quantity;

static const quantity fixed_q[N_Q] = {
	[Q_REL_L2] = {"rel_l2", "rel. L2", "%.3e"},
	[Q_MAX_ERR] = {"max_error", "max error", "%.3e"},
	[Q_LOSS] = {"loss", "loss (weighted total)", "%.3e"},
	[Q_SECONDS] = {"seconds", "wall time (s)", "%.1f"},
	[Q_REACH1] = {"steps_to_1e-1", "steps to rel. L2 1e-1", "%.0f"},
	[Q_REACH2] = {"steps_to_1e-2", "steps to rel. L2 1e-2", "%.0f"},
	[Q_REACH3] = {"steps_to_1e-3", "steps to rel. L2 1e-3", "%.0f"},
	[Q_EQUILIBRIUM] = {"equilibrium_step", "DE began (step)", "%.0f"},
};

/* One logged step of a band column. */
typedef struct point {
	long step;
	double value;
} point;

typedef struct run_numbers {
	double q[N_Q];
	int has_phases;                 /* the phases analyzer ran */
	int n_entries, n_relapses;
	long entries[MAX_MARKS], relapses[MAX_MARKS];
	int n_points[MAX_BAND_COLUMNS]; /* band columns, in step order */
	point *points[MAX_BAND_COLUMNS];
} run_numbers;

typedef struct tables {
	const char *dir;
	const pp_compare_job *jobs;
	const pp_compare_variant_runs *variants;
	int n_variants, n_jobs;
	run_numbers *runs;              /* [n_jobs] */
	int n_terms;
	char terms[MAX_TERMS][64];      /* "loss_<term>" */
	int n_bands;
	const char *const *bands;       /* the columns the figures draw */
} tables;

/* ---- statistics ----------------------------------------------------------- */

void pp_stats_of(const double *x, int n, pp_stats *out)
{
	double sum = 0, ss = 0;

	out->n = 0;
	out->mean = out->sd = out->min = out->max = NAN;
	for (int i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		if (out->n == 0 || x[i] < out->min)
			out->min = x[i];
		if (out->n == 0 || x[i] > out->max)
			out->max = x[i];
		sum += x[i];
		out->n++;
	}
	if (out->n == 0)
		return;
	out->mean = sum / out->n;
	/* two passes: the deviations from the mean, not sum x² − n·mean² */
	for (int i = 0; i < n; i++)
		if (isfinite(x[i]))
			ss += (x[i] - out->mean) * (x[i] - out->mean);
	if (out->n >= 2)
		out->sd = sqrt(ss / (out->n - 1));
}

double pp_quantile_sorted(const double *x, int n, double p)
{
	double h = (n - 1) * p;
	int lo = (int)floor(h);

	if (n <= 0)
		return NAN;
	if (lo >= n - 1)
		return x[n - 1];
	return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ---- reading a run ------------------------------------------------------ */

static int term_index(tables *t, const char *column)
{
	for (int i = 0; i < t->n_terms; i++)
		if (!strcmp(t->terms[i], column))
			return i;
	if (t->n_terms == MAX_TERMS || strlen(column) >= sizeof t->terms[0])
		return -1;
	snprintf(t->terms[t->n_terms], sizeof t->terms[0], "%s", column);
	return t->n_terms++;
}

static int band_index(const tables *t, const char *column)
{
	for (int i = 0; i < t->n_bands; i++)
		if (!strcmp(t->bands[i], column))
			return i;
	return -1;
}

static int add_point(run_numbers *r, int b, long step, double x, size_t *cap)
{
	if ((size_t)r->n_points[b] == cap[b]) {
		size_t n = cap[b] ? 2 * cap[b] : 256;
		point *p = realloc(r->points[b], n * sizeof *p);
		if (!p)
			return PP_ERR_NOMEM;
		r->points[b] = p;
		cap[b] = n;
	}
	r->points[b][r->n_points[b]++] = (point){step, x};
	return PP_OK;
}

/* Column @i's kind: a number of the table (*q), a band column (*b), both
 * or neither. */
static void classify(tables *t, const pp_csv *in, int i, int *q, int *b)
{
	const char *name = in->columns[i];
	int k;

	*q = -1;
	if (!strcmp(name, "error_rel_l2"))
		*q = Q_REL_L2;
	else if (!strcmp(name, "error_max"))
		*q = Q_MAX_ERR;
	else if (!strcmp(name, "loss"))
		*q = Q_LOSS;
	else if (!strcmp(name, "time_s"))
		*q = Q_SECONDS;
	else if (!strcmp(name, "phase_equilibrium_step"))
		*q = Q_EQUILIBRIUM;
	else if (!strncmp(name, "loss_", 5) && (k = term_index(t, name)) >= 0)
		*q = Q_TERMS + k;
	*b = band_index(t, name);
}

/* metrics.csv of job @j: the last values, the crossings, the band
 * columns; its rows in long form into @combined. */
static int read_metrics(tables *t, int j, FILE *combined, pp_error *err)
{
	static const double levels[3] = {1e-1, 1e-2, 1e-3};
	const pp_compare_job *job = &t->jobs[j];
	run_numbers *r = &t->runs[j];
	size_t cap[MAX_BAND_COLUMNS] = {0};
	int kind_q[PP_CSV_MAX_FIELDS], kind_b[PP_CSV_MAX_FIELDS];
	char path[4200];
	int c_step, rc;
	pp_csv in;

	snprintf(path, sizeof path, "%s/" PP_RUN_METRICS, job->dir);
	rc = pp_csv_open_path(&in, path, err);
	if (rc) {
		pp_csv_close(&in);
		return rc;
	}
	c_step = pp_csv_column(&in, "step");
	for (int i = 0; i < in.n_columns; i++)
		classify(t, &in, i, &kind_q[i], &kind_b[i]);
	r->has_phases = pp_csv_column(&in, "phase_equilibrium_step") >= 0;
	while ((rc = pp_csv_next(&in, err)) == 1) {
		int n = in.n < in.n_columns ? in.n : in.n_columns;
		long step = c_step >= 0 && c_step < in.n ? atol(in.fields[c_step]) : 0;
		int nomem = 0;
		for (int i = 0; i < n && !nomem; i++) {
			const char *field = in.fields[i];
			double x;
			if (!*field || i == c_step)
				continue;
			x = strtod(field, NULL);
			fprintf(combined, "%s,%lu,%ld,%s,%s\n", t->variants[job->variant].name,
				job->seed, step, in.columns[i], field);
			if (kind_q[i] == Q_EQUILIBRIUM) {
				if (isfinite(x) && !isfinite(r->q[Q_EQUILIBRIUM]))
					r->q[Q_EQUILIBRIUM] = x;
			} else if (kind_q[i] >= 0) {
				r->q[kind_q[i]] = x;
			}
			if (kind_q[i] == Q_REL_L2)
				for (int k = 0; k < 3; k++)
					if (!isfinite(r->q[Q_REACH1 + k]) && x <= levels[k])
						r->q[Q_REACH1 + k] = (double)step;
			if (kind_b[i] >= 0 && isfinite(x))
				nomem = add_point(r, kind_b[i], step, x, cap);
		}
		if (nomem) {
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", path);
			break;
		}
	}
	pp_csv_close(&in);
	return rc < 0 ? rc : PP_OK;
}

/* phases.txt of job @j: entries into equilibrium and relapses from it. */
static void read_phases(tables *t, int j)
{
	run_numbers *r = &t->runs[j];
	char path[4200], line[256], phase[32];
	int in_equilibrium = 0;
	long step;
	FILE *f;

	snprintf(path, sizeof path, "%s/" PP_RUN_PHASES, t->jobs[j].dir);
	f = fopen(path, "r");
	if (!f)
		return;
	r->has_phases = 1;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%31s %ld", phase, &step) != 2)
			continue;
		if (!strcmp(phase, "equilibrium")) {
			if (r->n_entries < MAX_MARKS)
				r->entries[r->n_entries++] = step;
			in_equilibrium = 1;
		} else {
			if (in_equilibrium && r->n_relapses < MAX_MARKS)
				r->relapses[r->n_relapses++] = step;
			in_equilibrium = 0;
		}
	}
	fclose(f);
	/* the first entry, as phases.txt dates it */
	r->q[Q_EQUILIBRIUM] = r->n_entries ? (double)r->entries[0] : NAN;
}

static int reached(const run_numbers *r)
{
	return r->n_entries > 0 || isfinite(r->q[Q_EQUILIBRIUM]);
}

/* ---- writing ---------------------------------------------------------- */

/* Is quantity @q in the tables: a term met, or a fixed number. */
static int shown(const tables *t, int q)
{
	return q < Q_TERMS || q >= Q_SECONDS || q - Q_TERMS < t->n_terms;
}

static const char *q_column(const tables *t, int q)
{
	return q >= Q_TERMS && q < Q_SECONDS ? t->terms[q - Q_TERMS] : fixed_q[q].column;
}

static const char *q_label(const tables *t, int q)
{
	return q >= Q_TERMS && q < Q_SECONDS ? t->terms[q - Q_TERMS] : fixed_q[q].label;
}

static const char *q_format(int q)
{
	return q >= Q_TERMS && q < Q_SECONDS ? "%.3e" : fixed_q[q].format;
}

static void number(FILE *f, double x, const char *format)
{
	if (isfinite(x))
		fprintf(f, format, x);
}

static void stats_of_variant(const tables *t, int v, int q, pp_stats *s)
{
	const pp_compare_variant_runs *var = &t->variants[v];
	double x[PP_COMPARE_MAX_SEEDS];

	for (int i = 0; i < var->n; i++)
		x[i] = t->runs[var->first + i].q[q];
	pp_stats_of(x, var->n, s);
}

static int reached_count(const tables *t, int v, int *with_phases)
{
	const pp_compare_variant_runs *var = &t->variants[v];
	int n = 0;

	*with_phases = 0;
	for (int i = 0; i < var->n; i++) {
		const run_numbers *r = &t->runs[var->first + i];
		*with_phases += r->has_phases;
		n += reached(r);
	}
	return n;
}

static void seeds_field(FILE *f, const tables *t, int v, const char *sep)
{
	const pp_compare_variant_runs *var = &t->variants[v];

	for (int i = 0; i < var->n; i++)
		fprintf(f, "%s%lu", i ? sep : "", t->jobs[var->first + i].seed);
}

static void marks(FILE *f, const long *m, int n, const char *sep, const char *none)
{
	if (!n)
		fputs(none, f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%ld", i ? sep : "", m[i]);
}

/* comparison.csv: one row per variant, each number's n, mean, sd, min, max. */
static void write_csv(FILE *f, const tables *t)
{
	fputs("variant,seeds,runs,reached_equilibrium", f);
	for (int q = 0; q < N_Q; q++)
		if (shown(t, q)) {
			const char *c = q_column(t, q);
			fprintf(f, ",%s_n,%s_mean,%s_sd,%s_min,%s_max", c, c, c, c, c);
		}
	fputc('\n', f);
	for (int v = 0; v < t->n_variants; v++) {
		int with_phases, n_reached = reached_count(t, v, &with_phases);
		fprintf(f, "%s,", t->variants[v].name);
		seeds_field(f, t, v, " ");
		fprintf(f, ",%d,", t->variants[v].n);
		if (with_phases)
			fprintf(f, "%.10g", (double)n_reached / t->variants[v].n);
		for (int q = 0; q < N_Q; q++) {
			pp_stats s;
			if (!shown(t, q))
				continue;
			stats_of_variant(t, v, q, &s);
			fprintf(f, ",%d,", s.n);
			number(f, s.mean, "%.10g");
			fputc(',', f);
			number(f, s.sd, "%.10g");
			fputc(',', f);
			number(f, s.min, "%.10g");
			fputc(',', f);
			number(f, s.max, "%.10g");
		}
		fputc('\n', f);
	}
}

/* comparison_runs.csv: one row per run. */
static void write_runs_csv(FILE *f, const tables *t)
{
	fputs("variant,seed,run", f);
	for (int q = 0; q < N_Q; q++)
		if (shown(t, q))
			fprintf(f, ",%s", q_column(t, q));
	fputs(",reached_equilibrium,equilibrium_entries,relapses\n", f);
	for (int v = 0; v < t->n_variants; v++) {
		const pp_compare_variant_runs *var = &t->variants[v];
		for (int i = 0; i < var->n; i++) {
			const pp_compare_job *job = &t->jobs[var->first + i];
			const run_numbers *r = &t->runs[var->first + i];
			/* the run directory relative to the comparison's */
			fprintf(f, "%s,%lu,%s/seed-%lu", var->name, job->seed, var->name, job->seed);
			for (int q = 0; q < N_Q; q++) {
				if (!shown(t, q))
					continue;
				fputc(',', f);
				number(f, r->q[q], "%.10g");
			}
			fputc(',', f);
			if (r->has_phases)
				fputc(reached(r) ? '1' : '0', f);
			fputc(',', f);
			marks(f, r->entries, r->n_entries, " ", "");
			fputc(',', f);
			marks(f, r->relapses, r->n_relapses, " ", "");
			fputc('\n', f);
		}
	}
}

/* "1.234e-01 ± 5.6e-03 [1.1e-01, 1.3e-01]", "(2 of 3)" when seeds lack it. */
static void md_stats(FILE *f, const pp_stats *s, int runs, const char *format)
{
	if (s->n == 0) {
		fputs("-", f);
		return;
	}
	fprintf(f, format, s->mean);
	if (s->n >= 2) {
		fputs(" ± ", f);
		fprintf(f, format, s->sd);
		fputs(" [", f);
		fprintf(f, format, s->min);
		fputs(", ", f);
		fprintf(f, format, s->max);
		fputc(']', f);
	}
	if (s->n < runs)
		fprintf(f, " (%d of %d)", s->n, runs);
}

static void md_reached(FILE *f, const tables *t, int v)
{
	int with_phases, n = reached_count(t, v, &with_phases);

	if (with_phases)
		fprintf(f, "%d/%d", n, t->variants[v].n);
	else
		fputs("-", f);
}

static void md_summary(FILE *f, const tables *t)
{
	static const int cols[] = {Q_REL_L2, Q_LOSS, Q_SECONDS, Q_EQUILIBRIUM};

	fputs("Over seeds: mean ± standard deviation (the sample standard deviation, n − 1 in "
	      "the denominator) [min, max]; \"(k of n)\": only k of the n seeds have the number "
	      "(a threshold not reached, no equilibrium). \"reached DE\": seeds whose run entered "
	      "diffusion equilibrium (phases analyzer).\n\n"
	      "| variant | seeds | reached DE | rel. L2 | loss (weighted total) | wall time (s) | DE began (step) |\n"
	      "|---|---|---|---|---|---|---|\n", f);
	for (int v = 0; v < t->n_variants; v++) {
		fprintf(f, "| %s | ", t->variants[v].name);
		seeds_field(f, t, v, ", ");
		fputs(" | ", f);
		md_reached(f, t, v);
		for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			pp_stats s;
			stats_of_variant(t, v, cols[k], &s);
			fputs(" | ", f);
			md_stats(f, &s, t->variants[v].n, q_format(cols[k]));
		}
		fputs(" |\n", f);
	}
}

/* Text in a table cell: on one line, a '|' escaped. */
static void md_cell_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
	}
}

static void md_cell_number(FILE *f, double x, const char *format)
{
	if (isfinite(x))
		fprintf(f, format, x);
	else
		fputs("-", f);
}

/* Every number of every variant: n, mean, sd, min, max. */
static void md_details(FILE *f, const tables *t)
{
	for (int v = 0; v < t->n_variants; v++) {
		fprintf(f, "\n### %s\n\n| number | n | mean | std. dev. | min | max |\n|---|---|---|---|---|---|\n",
			t->variants[v].name);
		for (int q = 0; q < N_Q; q++) {
			pp_stats s;
			if (!shown(t, q))
				continue;
			stats_of_variant(t, v, q, &s);
			fprintf(f, "| %s | %d | ", q_label(t, q), s.n);
			md_cell_number(f, s.mean, q_format(q));
			fputs(" | ", f);
			md_cell_number(f, s.sd, q_format(q));
			fputs(" | ", f);
			md_cell_number(f, s.min, q_format(q));
			fputs(" | ", f);
			md_cell_number(f, s.max, q_format(q));
			fputs(" |\n", f);
		}
	}
}

/* One row per run, with every entry into equilibrium and every relapse. */
static void md_runs(FILE *f, const tables *t)
{
	static const int cols[] = {Q_REL_L2, Q_MAX_ERR, Q_LOSS, Q_SECONDS,
				   Q_REACH1, Q_REACH2, Q_REACH3};

	fputs("\n## Per seed\n\n"
	      "| variant | seed | rel. L2 | max error | loss | wall time (s) | steps to 1e-1 | 1e-2 | 1e-3 | DE entries (step) | relapses (step) |\n"
	      "|---|---|---|---|---|---|---|---|---|---|---|\n", f);
	for (int j = 0; j < t->n_jobs; j++) {
		const run_numbers *r = &t->runs[j];
		fprintf(f, "| %s | %lu", t->variants[t->jobs[j].variant].name, t->jobs[j].seed);
		for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			fputs(" | ", f);
			md_cell_number(f, r->q[cols[k]], q_format(cols[k]));
		}
		fputs(" | ", f);
		if (r->has_phases)
			marks(f, r->entries, r->n_entries, ", ", "none");
		else
			fputs("-", f);
		fputs(" | ", f);
		if (r->has_phases)
			marks(f, r->relapses, r->n_relapses, ", ", "none");
		else
			fputs("-", f);
		fputs(" |\n", f);
	}
	fputs("\nrel. L2 and max error need the `error` analyzer, the equilibrium columns the "
	      "`phases` analyzer. A relapse is a return from equilibrium to diffusion.\n", f);
}

/* ---- what each variant changes ------------------------------------------ */

/* The settings of one run's config.yaml, flattened: "weighting.type" =
 * "rba", "stages[0].lr" = "0.001", in file order. */
typedef struct settings {
	int n, cap;
	char **key, **value;
} settings;

static void settings_free(settings *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->key[i]);
		free(s->value[i]);
	}
	free(s->key);
	free(s->value);
	memset(s, 0, sizeof *s);
}

static int settings_add(settings *s, const char *key, const char *value)
{
	if (s->n == s->cap) {
		int n = s->cap ? 2 * s->cap : 64;
		char **k = realloc(s->key, (size_t)n * sizeof *k), **v;
		if (!k)
			return -1;
		s->key = k;
		v = realloc(s->value, (size_t)n * sizeof *v);
		if (!v)
			return -1;
		s->value = v;
		s->cap = n;
	}
	s->key[s->n] = strdup(key);
	s->value[s->n] = strdup(value ? value : "");
	if (!s->key[s->n] || !s->value[s->n]) {
		free(s->key[s->n]);
		free(s->value[s->n]);
		return -1;
	}
	s->n++;
	return 0;
}

static int flatten(const pp_config *node, char *path, size_t size, settings *s)
{
	size_t len = strlen(path);
	int rc = 0;

	if (pp_config_node_type(node) == PP_CONFIG_SCALAR)
		return settings_add(s, path, pp_config_text(node));
	for (size_t i = 0; !rc && i < pp_config_size(node); i++) {
		if (pp_config_node_type(node) == PP_CONFIG_MAP)
			snprintf(path + len, size - len, "%s%s", len ? "." : "", pp_config_key_at(node, i));
		else
			snprintf(path + len, size - len, "[%zu]", i);
		rc = flatten(pp_config_at(node, i), path, size, s);
		path[len] = '\0';
	}
	return rc;
}

/* The settings of @run_dir/config.yaml; 0, or -1 when it cannot be read. */
static int read_settings(const char *run_dir, settings *s)
{
	char path[4200], key[512] = "";
	pp_config_doc *doc = NULL;
	pp_error err = {0};
	int rc;

	memset(s, 0, sizeof *s);
	snprintf(path, sizeof path, "%s/" PP_RUN_CONFIG, run_dir);
	rc = pp_config_doc_load(path, &doc, &err) ? -1 : flatten(pp_config_doc_root(doc), key, sizeof key, s);
	pp_config_doc_destroy(doc);
	return rc;
}

static const char *setting(const settings *s, const char *key)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->key[i], key))
			return s->value[i];
	return NULL;
}

/* Keys that differ between every run by construction. */
static int ignored_key(const char *key, int over_seeds)
{
	return !strcmp(key, "name") || !strcmp(key, "output") ||
	       (over_seeds && !strcmp(key, "seed"));
}

/* "`weighting.type: rba`" for each key of @s whose value differs from
 * @base's or that @base lacks, then "`k` not set" for those only @base
 * has; "-" when none. */
static void md_differences(FILE *f, const settings *s, const settings *base, int over_seeds)
{
	int n = 0;

	for (int i = 0; i < s->n; i++) {
		const char *was = setting(base, s->key[i]);
		if (ignored_key(s->key[i], over_seeds) || (was && !strcmp(was, s->value[i])))
			continue;
		fprintf(f, "%s`%s: ", n++ ? ", " : "", s->key[i]);
		md_cell_text(f, s->value[i]);
		fputc('`', f);
	}
	for (int i = 0; i < base->n; i++) {
		if (ignored_key(base->key[i], over_seeds) || setting(s, base->key[i]))
			continue;
		fprintf(f, "%s`%s` not set", n++ ? ", " : "", base->key[i]);
	}
	if (!n)
		fputs("nothing", f);
}

void pp_compare_md_changes(FILE *f, const char *const *names, const char *const *run_dirs, int n,
			   int over_seeds)
{
	settings base, s;

	if (n < 2 || read_settings(run_dirs[0], &base)) {
		if (n >= 2)
			settings_free(&base);
		return;
	}
	fprintf(f, "\n## What each variant changes\n\nThe settings of each variant's `" PP_RUN_CONFIG
		   "` (defaults included) whose values differ from those of the first, `%s`%s.\n\n"
		   "| variant | changes from %s |\n|---|---|\n", names[0],
		over_seeds ? " (name, output and seed aside)" : " (name and output aside)", names[0]);
	for (int v = 0; v < n; v++) {
		fprintf(f, "| %s | ", names[v]);
		if (v == 0)
			fputs("(the reference)", f);
		else if (read_settings(run_dirs[v], &s))
			fputs("- (no " PP_RUN_CONFIG ")", f);
		else
			md_differences(f, &s, &base, over_seeds);
		if (v > 0)
			settings_free(&s);
		fputs(" |\n", f);
	}
	settings_free(&base);
}

void pp_compare_md_phases(FILE *f, const char *const *names, const char *const *run_dirs, int n)
{
	fputs("\n## Phases\n\nEvery entry into diffusion equilibrium and every relapse from it to "
	      "diffusion (`" PP_RUN_PHASES "`; \"-\": no phases analyzer).\n\n"
	      "| variant | DE entries (step) | relapses (step) |\n|---|---|---|\n", f);
	for (int v = 0; v < n; v++) {
		pp_compare_job job = {0};
		run_numbers r;
		tables t = {.jobs = &job, .runs = &r, .n_jobs = 1};
		memset(&r, 0, sizeof r);
		snprintf(job.dir, sizeof job.dir, "%s", run_dirs[v]);
		r.has_phases = 0;
		read_phases(&t, 0);
		fprintf(f, "| %s | ", names[v]);
		if (r.has_phases)
			marks(f, r.entries, r.n_entries, ", ", "none");
		else
			fputs("-", f);
		fputs(" | ", f);
		if (r.has_phases)
			marks(f, r.relapses, r.n_relapses, ", ", "none");
		else
			fputs("-", f);
		fputs(" |\n", f);
	}
}

/* The first seed's run of each variant stands for the variant. */
static void md_variant_changes(FILE *f, const tables *t)
{
	const char *names[PP_COMPARE_MAX_VARIANTS], *dirs[PP_COMPARE_MAX_VARIANTS];
	int n = t->n_variants < PP_COMPARE_MAX_VARIANTS ? t->n_variants : PP_COMPARE_MAX_VARIANTS;

	for (int v = 0; v < n; v++) {
		names[v] = t->variants[v].name;
		dirs[v] = t->jobs[t->variants[v].first].dir;
	}
	pp_compare_md_changes(f, names, dirs, n, 1);
}

static void write_md(FILE *f, const tables *t)
{
	md_summary(f, t);
	md_variant_changes(f, t);
	md_details(f, t);
	md_runs(f, t);
}

/* The values of band column @b of variant @v's runs at @step (each run's
 * points are in step order: a binary search), into @x; how many. */
static int values_at(const tables *t, int v, int b, long step, double *x)
{
	const pp_compare_variant_runs *var = &t->variants[v];
	int n = 0;

	for (int i = 0; i < var->n; i++) {
		const run_numbers *r = &t->runs[var->first + i];
		int lo = 0, hi = r->n_points[b] - 1;
		while (lo <= hi) {
			int mid = (lo + hi) / 2;
			long s = r->points[b][mid].step;
			if (s == step) {
				x[n++] = r->points[b][mid].value;
				break;
			}
			if (s < step)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
	}
	return n;
}

static int by_step(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Every step any run of @v logged, sorted, each once; the count, or -1. */
static long union_steps(const tables *t, int v, long **out)
{
	const pp_compare_variant_runs *var = &t->variants[v];
	size_t total = 0, n = 0;
	long *steps;

	for (int i = 0; i < var->n; i++)
		for (int b = 0; b < t->n_bands; b++)
			total += (size_t)t->runs[var->first + i].n_points[b];
	steps = malloc((total ? total : 1) * sizeof *steps);
	if (!steps)
		return -1;
	for (int i = 0; i < var->n; i++)
		for (int b = 0; b < t->n_bands; b++) {
			const run_numbers *r = &t->runs[var->first + i];
			for (int k = 0; k < r->n_points[b]; k++)
				steps[n++] = r->points[b][k].step;
		}
	qsort(steps, n, sizeof *steps, by_step);
	total = 0;
	for (size_t k = 0; k < n; k++)
		if (total == 0 || steps[k] != steps[total - 1])
			steps[total++] = steps[k];
	*out = steps;
	return (long)total;
}

/* DIR/<variant>/seed_bands.csv: step, then per band column its median,
 * first and third quartile and the number of seeds with a value there. */
static int write_bands(const tables *t, int v, pp_error *err)
{
	char path[4400];
	pp_atomic_file af;
	long *steps = NULL, n_steps = union_steps(t, v, &steps);
	int rc;

	if (n_steps < 0)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	snprintf(path, sizeof path, "%s/%s/" PP_COMPARE_BANDS, t->dir, t->variants[v].name);
	rc = pp_atomic_open(&af, path, err);
	if (rc) {
		free(steps);
		return rc;
	}
	fputs("step", af.f);
	for (int b = 0; b < t->n_bands; b++)
		fprintf(af.f, ",%s_median,%s_q1,%s_q3,%s_n", t->bands[b], t->bands[b], t->bands[b],
			t->bands[b]);
	fputc('\n', af.f);
	for (long k = 0; k < n_steps; k++) {
		fprintf(af.f, "%ld", steps[k]);
		for (int b = 0; b < t->n_bands; b++) {
			double x[PP_COMPARE_MAX_SEEDS];
			int n = values_at(t, v, b, steps[k], x);
			if (!n) {
				fputs(",,,,0", af.f);
				continue;
			}
			qsort(x, (size_t)n, sizeof x[0], by_value);
			fprintf(af.f, ",%.10g,%.10g,%.10g,%d", pp_quantile_sorted(x, n, 0.5),
				pp_quantile_sorted(x, n, 0.25), pp_quantile_sorted(x, n, 0.75), n);
		}
		fputc('\n', af.f);
	}
	free(steps);
	return pp_atomic_commit(&af, err);
}

/* Write @name in the comparison directory with @write, atomically. */
static int write_file(const tables *t, const char *name, void (*write)(FILE *, const tables *),
		      pp_error *err)
{
	char path[4200];
	pp_atomic_file af;
	int rc = pp_path_join(path, sizeof path, t->dir, name, err);

	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	write(af.f, t);
	return pp_atomic_commit(&af, err);
}

static int read_all(tables *t, pp_error *err)
{
	char path[4200];
	pp_atomic_file af;
	int rc = pp_path_join(path, sizeof path, t->dir, PP_COMPARE_METRICS, err);

	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	fputs("variant,seed,step,metric,value\n", af.f);
	for (int j = 0; j < t->n_jobs && !rc; j++) {
		for (int q = 0; q < N_Q; q++)
			t->runs[j].q[q] = NAN;
		rc = read_metrics(t, j, af.f, err);
		if (!rc)
			read_phases(t, j);
	}
	if (rc) {
		pp_atomic_abort(&af);
		return rc;
	}
	return pp_atomic_commit(&af, err);
}

int pp_compare_write_seed_tables(const char *dir, const pp_compare_job *jobs,
				 const pp_compare_variant_runs *variants, int n_variants,
				 pp_error *err)
{
	tables t = {.dir = dir, .jobs = jobs, .variants = variants, .n_variants = n_variants};
	int rc;

	for (int v = 0; v < n_variants; v++)
		t.n_jobs = variants[v].first + variants[v].n;
	t.n_bands = pp_plot_band_columns(&t.bands);
	if (t.n_bands > MAX_BAND_COLUMNS)
		t.n_bands = MAX_BAND_COLUMNS;
	t.runs = calloc((size_t)t.n_jobs, sizeof *t.runs);
	if (!t.runs)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = read_all(&t, err);
	for (int v = 0; v < n_variants && !rc; v++)
		rc = write_bands(&t, v, err);
	if (!rc)
		rc = write_file(&t, PP_COMPARE_RUNS, write_runs_csv, err);
	/* comparison.csv last but one and comparison.md last: `plot` takes a
	 * directory with comparison.csv for a finished comparison */
	if (!rc)
		rc = write_file(&t, PP_COMPARE_TABLE, write_csv, err);
	if (!rc)
		rc = write_file(&t, PP_COMPARE_TABLE_MD, write_md, err);
	for (int j = 0; j < t.n_jobs; j++)
		for (int b = 0; b < MAX_BAND_COLUMNS; b++)
			free(t.runs[j].points[b]);
	free(t.runs);
	return rc;
}
