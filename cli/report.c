/* phasepinn — report.md of a run or comparison directory: what ran, how it
 * ended, the phases found and the figures, each with a line saying what it
 * shows.  Read from the directory's own files (summary.json through
 * core/summary.h, phases.txt, comparison.md); written atomically.  See
 * cli/plot.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <phasepinn/output.h>

#include "cli/compare.h"
#include "cli/plot.h"
#include "core/rundir.h"
#include "core/summary.h"

/* The whole of @path, NUL-terminated, or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)size + 1)) != NULL) {
		size_t got = fread(text, 1, (size_t)size, f);
		text[got] = '\0';
	}
	fclose(f);
	return text;
}

/* ---- Markdown ----------------------------------------------------------- */

/* Text on one line: a line end or tab (an error message may hold them)
 * becomes a space.  NULL is "". */
static void md_text(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
}

/* Text in a table cell: on one line, and a '|' would end the cell. */
static void md_cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
	}
}

static void md_row(FILE *f, const char *what, const char *value)
{
	fputs("| ", f);
	md_cell(f, what);
	fputs(" | ", f);
	md_cell(f, value);
	fputs(" |\n", f);
}

static void md_number_row(FILE *f, const char *what, double x)
{
	char buf[64];

	if (!isfinite(x))
		return;
	snprintf(buf, sizeof buf, "%.3e", x);
	md_row(f, what, buf);
}

static const char *base_name(const char *path)
{
	const char *end = path + strlen(path), *start;

	while (end > path + 1 && end[-1] == '/')
		end--;
	start = end;
	while (start > path && start[-1] != '/')
		start--;
	{
		static char name[512];
		snprintf(name, sizeof name, "%.*s", (int)(end - start), start);
		return name;
	}
}

static void figures_section(FILE *f, const pp_figure_set *set, int gnuplot_missing)
{
	int failed = 0;

	for (int i = 0; i < set->n; i++)
		failed += !set->fig[i].made;
	fputs("\n## Figures\n\n", f);
	if (set->n == 0) {
		fputs("This directory holds no data to plot.\n", f);
		return;
	}
	if (gnuplot_missing) {
		fprintf(f, "Not drawn here: gnuplot is not installed. Install it (`apt-get install gnuplot-nox`) "
			   "and run `phasepinn plot %s`; the %d scripts are ready in `" PP_RUN_FIGURES "/`.\n",
			set->dir, set->n);
		return;
	}
	for (int i = 0; i < set->n; i++) {
		const pp_figure *fig = &set->fig[i];
		const char *ext = pp_plot_extension(set->opts.format);
		if (!fig->made)
			continue;
		/* Markdown viewers show PNG and SVG inline; a PDF is a link */
		fprintf(f, "### %s\n\n%s[%s](" PP_RUN_FIGURES "/%s.%s)\n\n%s\n\n", fig->title,
			set->opts.format == PP_PLOT_PDF ? "" : "!", fig->title, fig->name, ext,
			fig->caption);
	}
	if (failed) {
		fputs("gnuplot failed on these scripts, so their figures are missing:", f);
		for (int i = 0; i < set->n; i++)
			if (!set->fig[i].made)
				fprintf(f, " `" PP_RUN_FIGURES "/%s.gp`", set->fig[i].name);
		fputs(".\n", f);
	}
}

/* ---- a run -------------------------------------------------------------- */

/* The last value of the metrics column @name, NaN when there is none. */
static double final_value(const pp_summary *s, const char *name)
{
	for (int i = 0; i < s->n_final; i++)
		if (!strcmp(s->final[i].column, name))
			return s->final[i].value;
	return NAN;
}

/* With several fields, the error analyzer's error_rel_l2_<field> columns:
 * one row per field, in the order of the summary. */
static void field_errors(FILE *f, const pp_summary *s)
{
	const char *prefix = "error_rel_l2_";
	char text[160];

	for (int i = 0; i < s->n_final; i++) {
		const char *column = s->final[i].column;
		if (strncmp(column, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(text, sizeof text, "final rel. L2 error of %s", column + strlen(prefix));
		md_number_row(f, text, s->final[i].value);
	}
}

static void overview(FILE *f, const pp_summary *s)
{
	char text[128];

	if (s->status && !strcmp(s->status, "completed")) {
		fputs("The run completed.\n\n", f);
	} else {
		fputs("The run **", f);
		md_text(f, s->status && s->status[0] ? s->status : "did not finish");
		fputs(s->error && s->error[0] ? "**: " : "**.", f);
		md_text(f, s->error);
		fputs("\n\n", f);
	}
	fputs("| | |\n|---|---|\n", f);
	if (s->config && s->config[0])
		md_row(f, "experiment file", s->config);
	md_row(f, "PDE", s->pde ? s->pde : "");
	md_row(f, "network", s->network ? s->network : "");
	if (s->started_from) {
		char from[4200];
		snprintf(from, sizeof from, "%s (its model of step %ld)", s->started_from,
			 s->started_from_step);
		md_row(f, "started from", from);
	}
	md_row(f, "weighting", s->weighting ? s->weighting : "");
	if (s->steps >= 0) {
		snprintf(text, sizeof text, "%ld in %.1f s", s->steps,
			 isfinite(s->seconds) ? s->seconds : 0.0);
		md_row(f, "steps", text);
	}
	if (s->has_seed && s->threads >= 0) {
		snprintf(text, sizeof text, "%lu, %ld", s->seed, s->threads);
		md_row(f, "seed, threads", text);
	}
	md_number_row(f, "final loss", s->final_loss);
	md_number_row(f, "final rel. L2 error", final_value(s, "error_rel_l2"));
	md_number_row(f, "final max error", final_value(s, "error_max"));
	field_errors(f, s);
	md_number_row(f, "final gradient SNR", final_value(s, "snr"));
}

/* A count of the summary, "-" when it was missing. */
static void count_cell(FILE *f, long n)
{
	if (n >= 0)
		fprintf(f, "%ld", n);
	else
		fputs("-", f);
}

static void stages(FILE *f, const pp_summary *s)
{
	if (!s->stages)
		return;   /* no "stages" in the summary */
	fputs("\n## Stages\n\n| # | optimizer | iterations | steps run | stopped because |\n"
	      "|---|---|---|---|---|\n", f);
	for (int k = 0; k < s->n_stages; k++) {
		const pp_summary_stage *st = &s->stages[k];
		fprintf(f, "| %d | ", k + 1);
		md_cell(f, st->optimizer);
		fputs(" | ", f);
		count_cell(f, st->iterations);
		fputs(" | ", f);
		count_cell(f, st->steps);
		fputs(" | ", f);
		md_cell(f, st->stop);
		fputs(" |\n", f);
	}
}

static void phases(FILE *f, const char *dir)
{
	char path[4200], line[256], phase[64];
	long step;
	int n = 0;
	FILE *in;

	snprintf(path, sizeof path, "%s/" PP_RUN_PHASES, dir);
	in = fopen(path, "r");
	if (!in)
		return;  /* the phases analyzer was not part of this run */
	fputs("\n## Phases\n\n", f);
	while (fgets(line, sizeof line, in)) {
		if (sscanf(line, "%63s %ld", phase, &step) != 2)
			continue;
		if (n++ == 0)
			fputs("Transitions the detector found in the gradient SNR (`" PP_RUN_PHASES "`); "
			      "the run starts in the fitting phase.\n\n| phase | from step |\n|---|---|\n", f);
		fprintf(f, "| %s | %ld |\n", phase, step);
	}
	fclose(in);
	if (n == 0)
		fputs("No transition detected: the run stayed in the fitting phase as far as the detector can tell.\n", f);
}

static void write_run(FILE *f, const pp_figure_set *set, int gnuplot_missing)
{
	pp_summary summary;
	pp_error err = {0};
	int rc = pp_summary_read(set->dir, &summary, &err);

	fputs("# ", f);
	md_text(f, !rc && summary.name && summary.name[0] ? summary.name : base_name(set->dir));
	fputs("\n\n", f);
	if (!rc) {
		overview(f, &summary);
		stages(f, &summary);
	} else if (rc == PP_ERR_IO) {
		fputs("No " PP_RUN_SUMMARY " here (the run may still be going): only the figures follow.\n", f);
	} else {
		fputs("The run's " PP_RUN_SUMMARY " cannot be read (", f);
		md_text(f, err.message);
		fputs("): only the figures follow.\n", f);
	}
	pp_summary_free(&summary);
	phases(f, set->dir);
	figures_section(f, set, gnuplot_missing);
	fprintf(f, "\n---\nData: `" PP_RUN_METRICS "` (one row per logged step), `" PP_RUN_SUMMARY "`, `"
		   PP_RUN_CONFIG "` (the experiment as it ran). Figures: `" PP_RUN_FIGURES "/*.gp` make `"
		   PP_RUN_FIGURES "/*.%s` (`cd " PP_RUN_FIGURES " && gnuplot NAME.gp`); see docs/figures.md.\n",
		pp_plot_extension(set->opts.format));
}

/* ---- a comparison ------------------------------------------------------- */

static void write_compare(FILE *f, const pp_figure_set *set, int gnuplot_missing)
{
	static char names[3200][160];
	char path[4200];
	struct stat st;
	char *table;
	pp_error err = {0};
	int n;

	fprintf(f, "# Comparison: %s\n\n", base_name(set->dir));
	snprintf(path, sizeof path, "%s/" PP_COMPARE_TABLE_MD, set->dir);
	table = slurp(path);
	if (table) {
		fputs(table, f);
		free(table);
	}
	figures_section(f, set, gnuplot_missing);
	n = pp_plot_compare_runs(set->dir, names, 3200, &err);
	if (n > 0)
		fputs("\n## The runs\n\n", f);
	for (int v = 0; v < n; v++) {
		if (snprintf(path, sizeof path, "%s/%s/" PP_RUN_REPORT, set->dir, names[v]) < (int)sizeof path &&
		    stat(path, &st) == 0)
			fprintf(f, "- [%s](%s/" PP_RUN_REPORT ")\n", names[v], names[v]);
		else
			fprintf(f, "- %s: `%s/`\n", names[v], names[v]);
	}
	snprintf(path, sizeof path, "%s/" PP_COMPARE_RUNS, set->dir);
	if (stat(path, &st) == 0)   /* over seeds */
		fputs("\n---\nData: `" PP_COMPARE_TABLE "`, `" PP_COMPARE_RUNS "` (one row per run), `"
		      PP_COMPARE_METRICS "` (variant,seed,step,metric,value), `<variant>/" PP_COMPARE_BANDS
		      "` (median and quartiles per step) and each run's directory.", f);
	else
		fputs("\n---\nData: `" PP_COMPARE_TABLE "`, `" PP_COMPARE_METRICS "` (variant,step,metric,value) and each "
		      "run's directory.", f);
	fprintf(f, " Figures: `" PP_RUN_FIGURES "/*.gp` make `" PP_RUN_FIGURES "/*.%s`; see docs/figures.md.\n",
		pp_plot_extension(set->opts.format));
}

int pp_report_write(const pp_figure_set *set, int gnuplot_missing, pp_error *err)
{
	char path[4200];
	pp_atomic_file af;
	int rc = pp_path_join(path, sizeof path, set->dir, PP_RUN_REPORT, err);

	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	if (set->compare)
		write_compare(af.f, set, gnuplot_missing);
	else
		write_run(af.f, set, gnuplot_missing);
	return pp_atomic_commit(&af, err);
}
