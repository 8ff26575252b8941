/* phasepinn — which figures a run or comparison directory has data for, and
 * the gnuplot script of each (see cli/plot.h, docs/figures.md).
 *
 * Scripts read the run's own files (../metrics.csv, ../prediction.csv,
 * ../weights_<term>.csv) by column number; a comment line names each column,
 * and each curve is titled with its column's name.  Columns are chosen from
 * the CSV headers; a curve is drawn only when its column holds a usable value
 * (finite, and positive on a log axis), so gnuplot never meets a plot with
 * no valid point.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <phasepinn/output.h>
#include <phasepinn/phasepinn.h>

#include "cli/plot.h"

#define MAX_STAGE_CHANGES 64
#define MAX_TRANSITIONS 64
#define MAX_VARIANTS 64

/* ---- reading a CSV ------------------------------------------------------ */

/* What one CSV file holds: its columns, and per column whether any row has a
 * finite value, a positive one, and the range.  For metrics.csv also the
 * steps covered and where the stage changes. */
typedef struct csv_info {
	int n;
	char **names;
	unsigned char *finite, *positive;
	double *min, *max;
	long rows;
	long first_step, last_step;
	int n_stage_changes;
	long stage_change[MAX_STAGE_CHANGES];
} csv_info;

static void csv_info_free(csv_info *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->names[i]);
	free(c->names);
	free(c->finite);
	free(c->positive);
	free(c->min);
	free(c->max);
	memset(c, 0, sizeof *c);
}

/* Cut @line at commas in place (no quoting in phasepinn's CSVs); the count. */
static int split_fields(char *line, char **fields, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line; n < max;) {
		fields[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

static int count_fields(const char *line)
{
	int n = 1;

	for (; *line && *line != '\n' && *line != '\r'; line++)
		n += *line == ',';
	return n;
}

static int csv_header(csv_info *c, char *line, const char *path, pp_error *err)
{
	int n = count_fields(line);
	char **fields = calloc((size_t)n, sizeof *fields);

	c->names = calloc((size_t)n, sizeof *c->names);
	c->finite = calloc((size_t)n, 1);
	c->positive = calloc((size_t)n, 1);
	c->min = malloc((size_t)n * sizeof *c->min);
	c->max = malloc((size_t)n * sizeof *c->max);
	if (!fields || !c->names || !c->finite || !c->positive || !c->min || !c->max) {
		free(fields);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", path);
	}
	split_fields(line, fields, n);
	for (int i = 0; i < n; i++) {
		c->names[i] = strdup(fields[i]);
		c->min[i] = INFINITY;
		c->max[i] = -INFINITY;
		if (!c->names[i]) {
			free(fields);
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", path);
		}
		c->n = i + 1;
	}
	free(fields);
	return PP_OK;
}

static int csv_column(const csv_info *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name))
			return i;
	return -1;
}

/* Read @path whole.  A missing file is PP_ERR_IO with errno's words; a file
 * without a header line is PP_ERR_INVALID. */
static int csv_scan(const char *path, csv_info *c, pp_error *err)
{
	char *line = NULL, **fields = NULL;
	size_t cap = 0;
	int c_step, c_stage, rc = PP_OK;
	long last_stage = -1;
	FILE *f = fopen(path, "r");

	memset(c, 0, sizeof *c);
	if (!f)
		return pp_error_set(err, PP_ERR_IO, "%s: %s", path, strerror(errno));
	if (getline(&line, &cap, f) < 0 || !line[strspn(line, " \r\n")]) {
		rc = pp_error_set(err, PP_ERR_INVALID, "%s: empty, no header line", path);
		goto cleanup;
	}
	rc = csv_header(c, line, path, err);
	if (rc)
		goto cleanup;
	c_step = csv_column(c, "step");
	c_stage = csv_column(c, "stage");
	fields = malloc((size_t)c->n * sizeof *fields);
	if (!fields) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", path);
		goto cleanup;
	}
	while (getline(&line, &cap, f) >= 0) {
		int n = split_fields(line, fields, c->n);
		if (n == 1 && !fields[0][0])
			continue;
		for (int i = 0; i < n; i++) {
			char *end;
			double x;
			if (!fields[i][0])
				continue;
			x = strtod(fields[i], &end);
			if (end == fields[i] || !isfinite(x))
				continue;
			c->finite[i] = 1;
			c->positive[i] |= x > 0;
			c->min[i] = fmin(c->min[i], x);
			c->max[i] = fmax(c->max[i], x);
		}
		if (c_step >= 0 && c_step < n && fields[c_step][0]) {
			long step = atol(fields[c_step]);
			if (c->rows == 0)
				c->first_step = step;
			c->last_step = step;
			if (c_stage >= 0 && c_stage < n && fields[c_stage][0]) {
				long stage = atol(fields[c_stage]);
				if (last_stage >= 0 && stage != last_stage &&
				    c->n_stage_changes < MAX_STAGE_CHANGES)
					c->stage_change[c->n_stage_changes++] = step;
				last_stage = stage;
			}
		}
		c->rows++;
	}
	if (ferror(f))
		rc = pp_error_set(err, PP_ERR_IO, "%s: read error", path);
cleanup:
	free(fields);
	free(line);
	fclose(f);
	if (rc)
		csv_info_free(c);
	return rc;
}

/* ---- writing a script --------------------------------------------------- */

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A gnuplot single-quoted string: a quote is written twice. */
static void gp_string(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* Terminal (pngcairo when this gnuplot has it, else png), output, CSV. The
 * output name can be overridden with -e "pp_output='...'" (the CLI renders
 * to a temporary name first). */
static void prologue(FILE *f, const char *name, const char *title, int width, int height)
{
	fprintf(f, "# %s\n", title);
	fprintf(f, "# Written by phasepinn %s (docs/figures.md). Edit it and rerun it from this\n"
		   "# directory: gnuplot %s.gp\n", PP_VERSION, name);
	fprintf(f, "if (strstrt(' '.GPVAL_TERMINALS.' ', ' pngcairo ') > 0) {\n"
		   "    set terminal pngcairo size %d,%d font ',10' noenhanced\n"
		   "} else {\n"
		   "    set terminal png size %d,%d noenhanced\n"
		   "}\n", width, height, width, height);
	fprintf(f, "if (!exists('pp_output')) pp_output = '%s.png'\n", name);
	fputs("set output pp_output\n"
	      "set datafile separator comma\n"
	      "set grid\n"
	      "set autoscale xfix\n"
	      "set key noautotitle opaque\n", f);
}

static const char *const line_colors[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};
#define N_COLORS (int)(sizeof line_colors / sizeof line_colors[0])

/* One curve of a plot command: "<sep> 'file' using 1:<col+1> ..." */
static void curve(FILE *f, int first, const char *file, int x_col, int y_col,
		  const char *style, int color, const char *title)
{
	fputs(first ? "plot " : ", \\\n     ", f);
	gp_string(f, file);
	fprintf(f, " using %d:%d with %s lc rgb '%s' title ", x_col + 1, y_col + 1, style,
		line_colors[color % N_COLORS]);
	gp_string(f, title);
}

/* A figure starts: its script is open in @af; the entry is added to @set. */
static int figure_open(pp_figure_set *set, pp_atomic_file *af, const char *name,
		       const char *title, const char *caption, pp_error *err)
{
	char path[4352];
	pp_figure *fig;

	if (set->n >= PP_PLOT_MAX_FIGURES)
		return pp_error_set(err, PP_ERR_INVALID, "more than %d figures", PP_PLOT_MAX_FIGURES);
	fig = &set->fig[set->n];
	snprintf(fig->name, sizeof fig->name, "%s", name);
	snprintf(fig->title, sizeof fig->title, "%s", title);
	snprintf(fig->caption, sizeof fig->caption, "%s", caption);
	fig->made = 0;
	if (snprintf(path, sizeof path, "%s/figures/%s.gp", set->dir, name) >= (int)sizeof path)
		return pp_error_set(err, PP_ERR_INVALID, "path too long: %s/figures/%s.gp",
				    set->dir, name);
	return pp_atomic_open(af, path, err);
}

static int figure_close(pp_figure_set *set, pp_atomic_file *af, pp_error *err)
{
	int rc = pp_atomic_commit(af, err);

	if (!rc)
		set->n++;
	return rc;
}

/* "# columns of <file>: 1 step, 6 loss_residual, ..." for the reader. */
static void column_comment(FILE *f, const char *file, const csv_info *c, const int *cols, int n)
{
	fprintf(f, "# columns of %s:", file);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s %d %s", i ? "," : "", cols[i] + 1, c->names[cols[i]]);
	fputc('\n', f);
}

/* ---- the figures of a run ----------------------------------------------- */

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Columns "<prefix><digits>" with a usable value, in file order. */
static int layer_columns(const csv_info *m, const char *prefix, int need_positive,
			 int *cols, int max)
{
	int n = 0;
	size_t len = strlen(prefix);

	for (int i = 0; i < m->n && n < max; i++) {
		const char *rest = m->names[i] + len;
		if (!starts_with(m->names[i], prefix) || !*rest || strspn(rest, "0123456789") != strlen(rest))
			continue;
		if (need_positive ? m->positive[i] : m->finite[i])
			cols[n++] = i;
	}
	return n;
}

static int loss_figure(pp_figure_set *set, const csv_info *m, pp_error *err)
{
	int cols[64], n = 0, c_loss = csv_column(m, "loss"), c_step = csv_column(m, "step");
	pp_atomic_file af;
	int rc;

	if (c_step < 0 || c_loss < 0 || !m->positive[c_loss])
		return PP_OK;
	cols[n++] = c_step;
	cols[n++] = c_loss;
	for (int i = 0; i < m->n && n < 64; i++)
		if (starts_with(m->names[i], "loss_") && m->positive[i])
			cols[n++] = i;
	rc = figure_open(set, &af, "loss", "Loss",
			 "Training loss (weighted total) and each term's mean squared residual against the step, log scale; dashed lines mark where a new optimizer stage began.",
			 err);
	if (rc)
		return rc;
	prologue(af.f, "loss", "Loss per term against the step", 900, 560);
	column_comment(af.f, "../metrics.csv", m, cols, n);
	fputs("set title 'Loss'\nset xlabel 'step'\nset ylabel 'loss (mean r^2)'\n"
	      "set logscale y\nset format y '%.0e'\nset key top right\n", af.f);
	for (int s = 0; s < m->n_stage_changes; s++)
		fprintf(af.f, "set arrow from first %ld, graph 0 to first %ld, graph 1 nohead dt 2 lc rgb '#555555'\n",
			m->stage_change[s], m->stage_change[s]);
	for (int i = 1; i < n; i++)
		curve(af.f, i == 1, "../metrics.csv", c_step, cols[i], i == 1 ? "lines lw 2" : "lines",
		      i - 1, m->names[cols[i]]);
	fputc('\n', af.f);
	return figure_close(set, &af, err);
}

static int error_figure(pp_figure_set *set, const csv_info *m, pp_error *err)
{
	static const char *const names[] = {"error_rel_l2", "error_max"};
	int cols[3], n = 0, c_step = csv_column(m, "step");
	pp_atomic_file af;
	int rc;

	cols[n++] = c_step;
	for (int k = 0; k < 2; k++) {
		int c = csv_column(m, names[k]);
		if (c >= 0 && m->positive[c])
			cols[n++] = c;
	}
	if (c_step < 0 || n == 1)
		return PP_OK;
	rc = figure_open(set, &af, "error", "Error against the reference",
			 "Relative L2 error and maximum absolute error of the prediction on the reference grid against the step, log scale (error analyzer).",
			 err);
	if (rc)
		return rc;
	prologue(af.f, "error", "Error against the reference solution, by step", 900, 560);
	column_comment(af.f, "../metrics.csv", m, cols, n);
	fputs("set title 'Error against the reference'\nset xlabel 'step'\nset ylabel 'error'\n"
	      "set logscale y\nset format y '%.0e'\nset key top right\n", af.f);
	for (int i = 1; i < n; i++)
		curve(af.f, i == 1, "../metrics.csv", c_step, cols[i], "linespoints pt 7 ps 0.6",
		      i - 1, m->names[cols[i]]);
	fputc('\n', af.f);
	return figure_close(set, &af, err);
}

typedef struct transition {
	char phase[32];
	long step;
} transition;

/* phases.txt: "<phase> <step>" lines; a missing file is no transition. */
static int read_phases(const char *run_dir, transition *t, int max)
{
	char path[4200], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/phases.txt", run_dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof line, f))
		if (sscanf(line, "%31s %ld", t[n].phase, &t[n].step) == 2)
			n++;
	fclose(f);
	return n;
}

static const char *phase_color(const char *phase)
{
	if (!strcmp(phase, "diffusion"))
		return "#fde0c5";
	if (!strcmp(phase, "equilibrium"))
		return "#d5efd5";
	return "#dce9f7";   /* fitting */
}

/* Shaded bands behind the plot, one per phase, from phases.txt. */
static void phase_bands(FILE *f, const char *run_dir, const csv_info *m)
{
	transition t[MAX_TRANSITIONS + 1];
	int n = read_phases(run_dir, t + 1, MAX_TRANSITIONS);

	if (n == 0)
		return;
	snprintf(t[0].phase, sizeof t[0].phase, "fitting");
	t[0].step = m->first_step;
	fputs("# phases (../phases.txt): shaded from each transition to the next\n", f);
	for (int i = 0; i <= n; i++) {
		long from = t[i].step, to = i < n ? t[i + 1].step : m->last_step;
		if (to <= from)
			continue;
		fprintf(f, "set object %d rectangle from first %ld, graph 0 to first %ld, graph 1 "
			   "behind fillcolor rgb '%s' fillstyle solid 1.0 noborder\n",
			i + 1, from, to, phase_color(t[i].phase));
		fprintf(f, "set label %d '%s' at first %ld, graph 0.96 offset 0.5,0 left front textcolor rgb '#444444'\n",
			i + 1, t[i].phase, from);
	}
}

static int snr_figure(pp_figure_set *set, const csv_info *m, pp_error *err)
{
	static const char *const extra[] = {"phase_snr", "adam_snr"};
	int cols[40], layers[32], n = 0, n_layers, c, c_step = csv_column(m, "step");
	pp_atomic_file af;
	int rc;

	if (c_step < 0)
		return PP_OK;
	cols[n++] = c_step;
	if ((c = csv_column(m, "snr")) >= 0 && m->positive[c])
		cols[n++] = c;
	n_layers = layer_columns(m, "snr_l", 1, layers, 32);
	for (int i = 0; i < n_layers; i++)
		cols[n++] = layers[i];
	for (int k = 0; k < 2; k++)
		if ((c = csv_column(m, extra[k])) >= 0 && m->positive[c])
			cols[n++] = c;
	if (n == 1)
		return PP_OK;
	rc = figure_open(set, &af, "snr", "Gradient signal-to-noise ratio",
			 "Gradient SNR of the whole network (thick) and of each layer against the step, log scale; shaded: the phases the detector found (blue fitting, orange diffusion, green diffusion equilibrium).",
			 err);
	if (rc)
		return rc;
	prologue(af.f, "snr", "Gradient SNR, whole network and per layer, with the detected phases", 900, 560);
	column_comment(af.f, "../metrics.csv", m, cols, n);
	fputs("set title 'Gradient signal-to-noise ratio'\nset xlabel 'step'\nset ylabel 'SNR'\n"
	      "set logscale y\nset format y '%.0e'\nset key top right opaque\n", af.f);
	fprintf(af.f, "set xrange [%ld:%ld]\n", m->first_step,
		m->last_step > m->first_step ? m->last_step : m->first_step + 1);
	phase_bands(af.f, set->dir, m);
	for (int i = 1; i < n; i++) {
		const char *name = m->names[cols[i]];
		char title[160];
		const char *style = "lines";
		if (!strcmp(name, "snr")) {
			snprintf(title, sizeof title, "whole network (snr)");
			style = "lines lw 2";
		} else if (starts_with(name, "snr_l")) {
			snprintf(title, sizeof title, "layer %s (%s)", name + 5, name);
		} else if (!strcmp(name, "phase_snr")) {
			snprintf(title, sizeof title, "smoothed, as the detector sees it (phase_snr)");
			style = "lines dt 2 lw 1.5";
		} else {
			snprintf(title, sizeof title, "Adam's moments (adam_snr)");
			style = "lines dt 3";
		}
		curve(af.f, i == 1, "../metrics.csv", c_step, cols[i], style, i - 1, title);
	}
	fputc('\n', af.f);
	return figure_close(set, &af, err);
}

static int homogeneity_figure(pp_figure_set *set, const csv_info *m, pp_error *err)
{
	int cols[2], c_step = csv_column(m, "step"), c_phi = csv_column(m, "homog_phi");
	pp_atomic_file af;
	int rc;

	if (c_step < 0 || c_phi < 0 || !m->finite[c_phi])
		return PP_OK;
	cols[0] = c_step;
	cols[1] = c_phi;
	rc = figure_open(set, &af, "homogeneity", "Homogeneity of the weights (φ_RBA)",
			 "φ_RBA = mean(b)/√mean(b²) of the bin-averaged point weights against the step: 1 means every region of the domain carries the same weight.",
			 err);
	if (rc)
		return rc;
	prologue(af.f, "homogeneity", "phi_RBA against the step", 900, 500);
	column_comment(af.f, "../metrics.csv", m, cols, 2);
	fputs("set title 'Homogeneity of the point weights'\nset xlabel 'step'\nset ylabel 'phi_RBA'\n"
	      "set yrange [0:1.05]\nset key bottom right\n", af.f);
	curve(af.f, 1, "../metrics.csv", c_step, c_phi, "linespoints pt 7 ps 0.5 lw 1.5", 0, "homog_phi");
	fputc('\n', af.f);
	return figure_close(set, &af, err);
}

static int information_figure(pp_figure_set *set, const csv_info *m, pp_error *err)
{
	int h[32], sat[32], cols[65], n_h, n_sat, n = 0, c_step = csv_column(m, "step");
	pp_atomic_file af;
	int rc;

	n_h = layer_columns(m, "info_h_l", 0, h, 32);
	n_sat = layer_columns(m, "info_sat_l", 0, sat, 32);
	if (c_step < 0 || n_h == 0)
		return PP_OK;
	cols[n++] = c_step;
	for (int i = 0; i < n_h; i++)
		cols[n++] = h[i];
	for (int i = 0; i < n_sat; i++)
		cols[n++] = sat[i];
	rc = figure_open(set, &af, "information", "Information plane",
			 "Top: H(T) = I(X;T) in bits of each hidden layer's binned activations against the step (a fall is compression). Bottom: share of saturated activations per layer.",
			 err);
	if (rc)
		return rc;
	prologue(af.f, "information", "H(T) per layer and saturation against the step", 900, 800);
	column_comment(af.f, "../metrics.csv", m, cols, n);
	fprintf(af.f, "set multiplot layout %d,1\nset xlabel 'step'\nset key outside right top\n",
		n_sat ? 2 : 1);
	fputs("set title 'H(T) per layer'\nset ylabel 'H(T) (bits)'\n", af.f);
	for (int i = 0; i < n_h; i++) {
		char title[64];
		snprintf(title, sizeof title, "layer %s", m->names[h[i]] + 8);
		curve(af.f, i == 0, "../metrics.csv", c_step, h[i], "linespoints pt 7 ps 0.5", i, title);
	}
	fputc('\n', af.f);
	if (n_sat) {
		fputs("set title 'Saturation per layer'\nset ylabel 'saturated share'\nset yrange [0:*]\n", af.f);
		for (int i = 0; i < n_sat; i++) {
			char title[64];
			snprintf(title, sizeof title, "layer %s", m->names[sat[i]] + 10);
			curve(af.f, i == 0, "../metrics.csv", c_step, sat[i], "linespoints pt 7 ps 0.5", i, title);
		}
		fputc('\n', af.f);
	}
	fputs("unset multiplot\n", af.f);
	return figure_close(set, &af, err);
}

/* Heat-map settings shared by the solution and weight maps. */
static const char sequential_palette[] =
	"set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')\n";
static const char diverging_palette[] =
	"set palette defined (0 '#313695', 0.25 '#74add1', 0.5 '#ffffbf', 0.75 '#f46d43', 1 '#a50026')\n";

/* prediction.csv: <input 1>,<input 2>,u_pred,u_ref,abs_err on a regular grid. */
static int solution_figure(pp_figure_set *set, pp_error *err)
{
	char path[4200];
	csv_info p;
	int c_pred, c_ref, c_err, rc;
	pp_atomic_file af;

	snprintf(path, sizeof path, "%s/prediction.csv", set->dir);
	if (!file_exists(path))
		return PP_OK;
	rc = csv_scan(path, &p, err);
	if (rc)
		return rc;
	c_pred = csv_column(&p, "u_pred");
	c_ref = csv_column(&p, "u_ref");
	c_err = csv_column(&p, "abs_err");
	/* a heat map needs exactly two inputs before the values */
	if (c_pred != 2 || c_ref < 0 || c_err < 0 || p.rows == 0 || !p.finite[c_pred])
		goto cleanup;
	rc = figure_open(set, &af, "solution", "Prediction, reference and error",
			 "Heat maps over the domain: the network's prediction, the reference solution (same colour scale) and the absolute error |u − u*| (error analyzer's final grid).",
			 err);
	if (rc)
		goto cleanup;
	prologue(af.f, "solution", "Prediction, reference and absolute error over the domain", 1500, 470);
	{
		int cols[5] = {0, 1, c_pred, c_ref, c_err};
		column_comment(af.f, "../prediction.csv", &p, cols, 5);
	}
	fprintf(af.f, "stats '../prediction.csv' using %d nooutput name 'P'\n"
		      "stats '../prediction.csv' using %d nooutput name 'R'\n"
		      "lo = P_min < R_min ? P_min : R_min\n"
		      "hi = P_max > R_max ? P_max : R_max\n",
		c_pred + 1, c_ref + 1);
	fputs("set multiplot layout 1,3\nset autoscale fix\nunset grid\n", af.f);
	fputs("set xlabel ", af.f);
	gp_string(af.f, p.names[0]);
	fputs("\nset ylabel ", af.f);
	gp_string(af.f, p.names[1]);
	fputc('\n', af.f);
	fputs(diverging_palette, af.f);
	fputs("if (hi > lo) { set cbrange [lo:hi] }\n", af.f);
	fprintf(af.f, "set title 'prediction u'\nplot '../prediction.csv' using 1:2:%d with image\n",
		c_pred + 1);
	fprintf(af.f, "set title 'reference u*'\nplot '../prediction.csv' using 1:2:%d with image\n",
		c_ref + 1);
	fputs("set autoscale cb\n", af.f);
	fputs(sequential_palette, af.f);
	fprintf(af.f, "set title 'absolute error |u - u*|'\nplot '../prediction.csv' using 1:2:%d with image\n",
		c_err + 1);
	fputs("unset multiplot\n", af.f);
	rc = figure_close(set, &af, err);
cleanup:
	csv_info_free(&p);
	return rc;
}

/* weights_<term>.csv: <input 1>,<input 2>,r,w,lambda; a map when λ varies. */
static int weights_figure(pp_figure_set *set, const char *term, pp_error *err)
{
	char path[4200], file[256], name[160], title[160], caption[512];
	csv_info w;
	int c_lambda, rc;
	pp_atomic_file af;

	snprintf(file, sizeof file, "weights_%s.csv", term);
	if (snprintf(path, sizeof path, "%s/%s", set->dir, file) >= (int)sizeof path ||
	    !file_exists(path))
		return PP_OK;
	rc = csv_scan(path, &w, err);
	if (rc)
		return rc;
	c_lambda = csv_column(&w, "lambda");
	/* constant weights (no per-point scheme) have nothing to map */
	if (c_lambda != 4 || csv_column(&w, "r") != 2 || !w.finite[c_lambda] ||
	    !(w.max[c_lambda] > w.min[c_lambda]))
		goto cleanup;
	snprintf(name, sizeof name, "weights_%s", term);
	snprintf(title, sizeof title, "Final point weights: %s", term);
	snprintf(caption, sizeof caption,
		 "The weighting scheme's final per-point weight λ of the %s term at each of its points (%s).",
		 term, file);
	rc = figure_open(set, &af, name, title, caption, err);
	if (rc)
		goto cleanup;
	prologue(af.f, name, "Final per-point weights lambda over the domain", 800, 640);
	{
		int cols[3] = {0, 1, c_lambda};
		char data[300];
		snprintf(data, sizeof data, "../%s", file);
		column_comment(af.f, data, &w, cols, 3);
	}
	fputs("set autoscale fix\nset offsets graph 0.02, graph 0.02, graph 0.02, graph 0.02\n", af.f);
	fputs("set xlabel ", af.f);
	gp_string(af.f, w.names[0]);
	fputs("\nset ylabel ", af.f);
	gp_string(af.f, w.names[1]);
	fprintf(af.f, "\nset cblabel 'lambda'\nset title 'Final weights of term %s'\n", term);
	fputs(sequential_palette, af.f);
	fputs("plot ", af.f);
	{
		char data[300];
		snprintf(data, sizeof data, "../%s", file);
		gp_string(af.f, data);
	}
	fprintf(af.f, " using 1:2:%d with points pt 7 ps 0.6 lc palette\n", c_lambda + 1);
	rc = figure_close(set, &af, err);
cleanup:
	csv_info_free(&w);
	return rc;
}

static int figures_dir(const char *dir, pp_error *err)
{
	char path[4200];

	snprintf(path, sizeof path, "%s/figures", dir);
	return pp_mkdir_p(path, err);
}

static int set_init(pp_figure_set *set, const char *dir, int compare, pp_error *err)
{
	memset(set, 0, sizeof *set);
	set->compare = compare;
	if (snprintf(set->dir, sizeof set->dir, "%s", dir) >= (int)sizeof set->dir)
		return pp_error_set(err, PP_ERR_INVALID, "path too long: %s", dir);
	return PP_OK;
}

int pp_plot_run_scripts(const char *run_dir, pp_figure_set *set, pp_error *err)
{
	char path[4200];
	csv_info m;
	int rc = set_init(set, run_dir, 0, err);

	if (rc)
		return rc;
	snprintf(path, sizeof path, "%s/metrics.csv", run_dir);
	rc = csv_scan(path, &m, err);
	if (rc == PP_ERR_IO && !file_exists(path))
		return pp_error_set(err, PP_ERR_INVALID, "%s: not found; is %s a run directory?",
				    path, run_dir);
	if (rc)
		return rc;
	if (csv_column(&m, "step") < 0 || csv_column(&m, "loss") < 0) {
		rc = pp_error_set(err, PP_ERR_INVALID, "%s: no 'step' and 'loss' columns in the header",
				  path);
		goto cleanup;
	}
	rc = figures_dir(run_dir, err);
	if (!rc)
		rc = loss_figure(set, &m, err);
	if (!rc)
		rc = error_figure(set, &m, err);
	if (!rc)
		rc = snr_figure(set, &m, err);
	if (!rc)
		rc = homogeneity_figure(set, &m, err);
	if (!rc)
		rc = information_figure(set, &m, err);
	if (!rc)
		rc = solution_figure(set, err);
	for (int i = 0; !rc && i < m.n; i++)
		if (starts_with(m.names[i], "loss_"))
			rc = weights_figure(set, m.names[i] + 5, err);
cleanup:
	csv_info_free(&m);
	return rc;
}

/* ---- the figures of a comparison ---------------------------------------- */

int pp_plot_compare_variants(const char *dir, char (*names)[128], int max, pp_error *err)
{
	char path[4200], *line = NULL;
	size_t cap = 0;
	int n = 0, header = 1;
	FILE *f;

	snprintf(path, sizeof path, "%s/comparison.csv", dir);
	f = fopen(path, "r");
	if (!f)
		return pp_error_set(err, PP_ERR_INVALID, "%s: %s", path, strerror(errno));
	while (n < max && getline(&line, &cap, f) >= 0) {
		size_t len = strcspn(line, ",\r\n");
		if (header) {
			header = 0;
			continue;
		}
		if (len == 0 || len >= sizeof names[0])
			continue;
		memcpy(names[n], line, len);
		names[n++][len] = '\0';
	}
	free(line);
	fclose(f);
	return n;
}

typedef struct compare_plot {
	const char *name, *column, *title, *ylabel, *caption, *style;
} compare_plot;

static int compare_figure(pp_figure_set *set, const compare_plot *cp, char (*variants)[128],
			  const csv_info *m, int n_variants, pp_error *err)
{
	pp_atomic_file af;
	int any = 0, first = 1, rc;

	for (int v = 0; v < n_variants; v++) {
		int c = csv_column(&m[v], cp->column);
		any |= c >= 0 && m[v].positive[c] && csv_column(&m[v], "step") >= 0;
	}
	if (!any)
		return PP_OK;
	rc = figure_open(set, &af, cp->name, cp->title, cp->caption, err);
	if (rc)
		return rc;
	prologue(af.f, cp->name, cp->title, 900, 560);
	fprintf(af.f, "set title '%s'\nset xlabel 'step'\nset ylabel '%s'\n"
		      "set logscale y\nset format y '%%.0e'\nset key top right\n",
		cp->title, cp->ylabel);
	for (int v = 0; v < n_variants; v++) {
		int c = csv_column(&m[v], cp->column), c_step = csv_column(&m[v], "step");
		char file[300];
		if (c < 0 || !m[v].positive[c] || c_step < 0)
			continue;
		if (snprintf(file, sizeof file, "../%s/metrics.csv", variants[v]) >= (int)sizeof file)
			continue;
		fprintf(af.f, "# %s: column %d %s\n", file, c + 1, cp->column);
	}
	for (int v = 0; v < n_variants; v++) {
		int c = csv_column(&m[v], cp->column), c_step = csv_column(&m[v], "step");
		char file[300];
		if (c < 0 || !m[v].positive[c] || c_step < 0)
			continue;
		if (snprintf(file, sizeof file, "../%s/metrics.csv", variants[v]) >= (int)sizeof file)
			continue;
		curve(af.f, first, file, c_step, c, cp->style, v, variants[v]);
		first = 0;
	}
	fputc('\n', af.f);
	return figure_close(set, &af, err);
}

int pp_plot_compare_scripts(const char *dir, pp_figure_set *set, pp_error *err)
{
	static const compare_plot plots[] = {
		{"compare_error", "error_rel_l2", "Relative L2 error of every variant", "rel. L2 error",
		 "Relative L2 error against the reference of every variant against the step, log scale.",
		 "linespoints pt 7 ps 0.5"},
		{"compare_snr", "snr", "Gradient SNR of every variant", "SNR",
		 "Whole-network gradient SNR of every variant against the step, log scale.", "lines"},
		{"compare_loss", "loss", "Training loss of every variant", "loss",
		 "Training loss (weighted total) of every variant against the step, log scale.", "lines"},
	};
	static char variants[MAX_VARIANTS][128];
	csv_info m[MAX_VARIANTS];
	int n, rc = set_init(set, dir, 1, err);

	if (rc)
		return rc;
	n = pp_plot_compare_variants(dir, variants, MAX_VARIANTS, err);
	if (n < 0)
		return n;
	memset(m, 0, sizeof m);
	for (int v = 0; v < n; v++) {
		char path[4400];
		pp_error ignored = {0};
		if (snprintf(path, sizeof path, "%s/%s/metrics.csv", dir, variants[v]) < (int)sizeof path)
			csv_scan(path, &m[v], &ignored);  /* a variant without metrics has no curve */
	}
	rc = figures_dir(dir, err);
	for (size_t k = 0; !rc && k < sizeof plots / sizeof plots[0]; k++)
		rc = compare_figure(set, &plots[k], variants, m, n, err);
	for (int v = 0; v < n; v++)
		csv_info_free(&m[v]);
	return rc;
}
