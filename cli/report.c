/* phasepinn — report.md of a run or comparison directory: what ran, how it
 * ended, the phases found and the figures, each with a line saying what it
 * shows.  Read from the directory's own files (summary.json, phases.txt,
 * comparison.md); written atomically.  See cli/plot.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <phasepinn/output.h>

#include "cli/plot.h"

/* ---- the little of JSON summary.json needs ------------------------------ */

/* Past the string starting at @p (on its opening quote). */
static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p + 1 : p;
}

/* Past the object or array starting at @p (on its bracket). */
static const char *skip_nested(const char *p)
{
	int depth = 0;

	while (*p) {
		if (*p == '"') {
			p = skip_string(p);
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return p;
}

/* The value of @key among the members of the object whose text is
 * [@from, @end) (nested values skipped), or NULL. */
static const char *json_member(const char *from, const char *end, const char *key)
{
	size_t len = strlen(key);
	const char *p = from;

	if (*p == '{')
		p++;
	while (p < end && *p) {
		const char *name, *q;
		while (p < end && *p && *p != '"' && *p != '}')
			p++;
		if (p >= end || *p != '"')
			return NULL;
		name = p + 1;
		q = skip_string(p);
		p = q;
		while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
			p++;
		if (*p != ':')
			continue;
		p++;
		while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
			p++;
		if ((size_t)(q - 1 - name) == len && !strncmp(name, key, len))
			return p;
		/* skip this value */
		if (*p == '"')
			p = skip_string(p);
		else if (*p == '{' || *p == '[')
			p = skip_nested(p);
		while (p < end && *p && *p != ',' && *p != '}')
			p++;
		if (*p == ',')
			p++;
	}
	return NULL;
}

/* A JSON string value into @out ("" when it is not a string, e.g. null). */
static void json_text(const char *p, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	if (!p || *p != '"')
		return;
	for (p++; *p && *p != '"' && n + 1 < size; p++) {
		char c = *p;
		if (c == '\\' && p[1]) {
			c = *++p;
			if (c == 'n')
				c = ' ';
			else if (c == 't')
				c = ' ';
			else if (c == 'u') {
				unsigned code = 0;
				if (sscanf(p + 1, "%4x", &code) == 1)
					p += 4;
				c = code >= 0x20 && code < 0x7f ? (char)code : ' ';
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
}

static double json_real(const char *p)
{
	char *end;
	double x;

	if (!p)
		return NAN;
	x = strtod(p, &end);
	return end == p ? NAN : x;
}

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

/* Text in a table cell: a '|' would end the cell. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
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
			   "and run `phasepinn plot %s`; the %d scripts are ready in `figures/`.\n",
			set->dir, set->n);
		return;
	}
	for (int i = 0; i < set->n; i++) {
		const pp_figure *fig = &set->fig[i];
		if (!fig->made)
			continue;
		fprintf(f, "### %s\n\n![%s](figures/%s.png)\n\n%s\n\n", fig->title, fig->title,
			fig->name, fig->caption);
	}
	if (failed) {
		fputs("gnuplot failed on these scripts, so their figures are missing:", f);
		for (int i = 0; i < set->n; i++)
			if (!set->fig[i].made)
				fprintf(f, " `figures/%s.gp`", set->fig[i].name);
		fputs(".\n", f);
	}
}

/* ---- a run -------------------------------------------------------------- */

static void overview(FILE *f, const char *summary)
{
	const char *end = summary + strlen(summary);
	const char *final = json_member(summary, end, "final");
	const char *final_end = final && *final == '{' ? skip_nested(final) : NULL;
	char text[1024], status[64];
	double steps = json_real(json_member(summary, end, "steps"));
	double seconds = json_real(json_member(summary, end, "seconds"));

	json_text(json_member(summary, end, "status"), status, sizeof status);
	json_text(json_member(summary, end, "error"), text, sizeof text);
	if (!strcmp(status, "completed"))
		fputs("The run completed.\n\n", f);
	else
		fprintf(f, "The run **%s**%s%s\n\n", status[0] ? status : "did not finish",
			text[0] ? ": " : ".", text);
	fputs("| | |\n|---|---|\n", f);
	json_text(json_member(summary, end, "config"), text, sizeof text);
	if (text[0])
		md_row(f, "experiment file", text);
	json_text(json_member(summary, end, "pde"), text, sizeof text);
	md_row(f, "PDE", text);
	json_text(json_member(summary, end, "network"), text, sizeof text);
	md_row(f, "network", text);
	json_text(json_member(summary, end, "weighting"), text, sizeof text);
	md_row(f, "weighting", text);
	if (isfinite(steps)) {
		snprintf(text, sizeof text, "%.0f in %.1f s", steps, isfinite(seconds) ? seconds : 0.0);
		md_row(f, "steps", text);
	}
	{
		double seed = json_real(json_member(summary, end, "seed"));
		double threads = json_real(json_member(summary, end, "threads"));
		if (isfinite(seed) && isfinite(threads)) {
			snprintf(text, sizeof text, "%.0f, %.0f", seed, threads);
			md_row(f, "seed, threads", text);
		}
	}
	md_number_row(f, "final loss", json_real(json_member(summary, end, "final_loss")));
	if (final_end) {
		md_number_row(f, "final rel. L2 error", json_real(json_member(final, final_end, "error_rel_l2")));
		md_number_row(f, "final max error", json_real(json_member(final, final_end, "error_max")));
		md_number_row(f, "final gradient SNR", json_real(json_member(final, final_end, "snr")));
	}
}

static void stages(FILE *f, const char *summary)
{
	const char *end = summary + strlen(summary);
	const char *p = json_member(summary, end, "stages");
	const char *list_end;
	int k = 0;

	if (!p || *p != '[')
		return;
	list_end = skip_nested(p);
	fputs("\n## Stages\n\n| # | optimizer | iterations | steps run | stopped because |\n"
	      "|---|---|---|---|---|\n", f);
	for (p++; p < list_end; p++) {
		char name[128], stop[1024];
		const char *obj_end;
		if (*p != '{')
			continue;
		obj_end = skip_nested(p);
		json_text(json_member(p, obj_end, "optimizer"), name, sizeof name);
		json_text(json_member(p, obj_end, "stop"), stop, sizeof stop);
		fprintf(f, "| %d | ", ++k);
		md_cell(f, name);
		fprintf(f, " | %.0f | %.0f | ", json_real(json_member(p, obj_end, "iterations")),
			json_real(json_member(p, obj_end, "steps")));
		md_cell(f, stop);
		fputs(" |\n", f);
		p = obj_end - 1;
	}
}

static void phases(FILE *f, const char *dir)
{
	char path[4200], line[256], phase[64];
	long step;
	int n = 0;
	FILE *in;

	snprintf(path, sizeof path, "%s/phases.txt", dir);
	in = fopen(path, "r");
	if (!in)
		return;  /* the phases analyzer was not part of this run */
	fputs("\n## Phases\n\n", f);
	while (fgets(line, sizeof line, in)) {
		if (sscanf(line, "%63s %ld", phase, &step) != 2)
			continue;
		if (n++ == 0)
			fputs("Transitions the detector found in the gradient SNR (`phases.txt`); "
			      "the run starts in the fitting phase.\n\n| phase | from step |\n|---|---|\n", f);
		fprintf(f, "| %s | %ld |\n", phase, step);
	}
	fclose(in);
	if (n == 0)
		fputs("No transition detected: the run stayed in the fitting phase as far as the detector can tell.\n", f);
}

static void write_run(FILE *f, const pp_figure_set *set, int gnuplot_missing)
{
	char path[4200], name[512];
	char *summary;

	snprintf(path, sizeof path, "%s/summary.json", set->dir);
	summary = slurp(path);
	name[0] = '\0';
	if (summary)
		json_text(json_member(summary, summary + strlen(summary), "name"), name, sizeof name);
	fprintf(f, "# %s\n\n", name[0] ? name : base_name(set->dir));
	if (summary) {
		overview(f, summary);
		stages(f, summary);
	} else {
		fputs("No summary.json here (the run may still be going): only the figures follow.\n", f);
	}
	phases(f, set->dir);
	figures_section(f, set, gnuplot_missing);
	fputs("\n---\nData: `metrics.csv` (one row per logged step), `summary.json`, `config.yaml` "
	      "(the experiment as it ran). Figures: `figures/*.gp` make `figures/*.png` "
	      "(`cd figures && gnuplot NAME.gp`); see docs/figures.md.\n", f);
	free(summary);
}

/* ---- a comparison ------------------------------------------------------- */

static void write_compare(FILE *f, const pp_figure_set *set, int gnuplot_missing)
{
	static char names[64][128];
	char path[4200];
	char *table;
	pp_error err = {0};
	int n;

	fprintf(f, "# Comparison: %s\n\n", base_name(set->dir));
	snprintf(path, sizeof path, "%s/comparison.md", set->dir);
	table = slurp(path);
	if (table) {
		fputs(table, f);
		free(table);
	}
	figures_section(f, set, gnuplot_missing);
	n = pp_plot_compare_variants(set->dir, names, 64, &err);
	if (n > 0)
		fputs("\n## The runs\n\n", f);
	for (int v = 0; v < n; v++) {
		struct stat st;
		if (snprintf(path, sizeof path, "%s/%s/report.md", set->dir, names[v]) < (int)sizeof path &&
		    stat(path, &st) == 0)
			fprintf(f, "- [%s](%s/report.md)\n", names[v], names[v]);
		else
			fprintf(f, "- %s: `%s/`\n", names[v], names[v]);
	}
	fputs("\n---\nData: `comparison.csv`, `combined_metrics.csv` (variant,step,metric,value) and each "
	      "run's directory. Figures: `figures/*.gp` make `figures/*.png`; see docs/figures.md.\n", f);
}

int pp_report_write(const pp_figure_set *set, int gnuplot_missing, pp_error *err)
{
	char path[4200];
	pp_atomic_file af;
	int rc = pp_path_join(path, sizeof path, set->dir, "report.md", err);

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
