/* phasepinn — which figures a run or comparison directory has data for, and
 * the gnuplot script of each (see cli/plot.h, docs/figures.md).
 *
 * Scripts read the run's own files (../metrics.csv, ../prediction.csv,
 * ../weights_<term>.csv) by column number; a comment line names each column,
 * each curve is titled in words, and each figure's title names the
 * experiment.  Time series are drawn against the step or the wall time,
 * into PNG, SVG or PDF (pp_plot_options).  Columns are chosen from
 * the CSV headers; a curve is drawn only when its column holds a usable value
 * (finite, and positive on a log axis), so gnuplot never meets a plot with
 * no valid point.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <phasepinn/output.h>
#include <phasepinn/phasepinn.h>

#include "cli/compare.h"
#include "cli/plot.h"
#include "core/csv.h"
#include "core/rundir.h"
#include "core/summary.h"

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
	long rows;                   /* rows with a step */
	long first_step, last_step;
	int n_stage_changes;
	long stage_change[MAX_STAGE_CHANGES];
	long stage_of_change[MAX_STAGE_CHANGES];   /* the stage that began there */
	/* each row's step and time_s (NaN: none), in file order, to place a
	 * step on a wall-time axis */
	long *row_step;
	double *row_time;
	size_t cap;
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
	free(c->row_step);
	free(c->row_time);
	memset(c, 0, sizeof *c);
}

/* The columns of the header @in into @c, each with no value seen yet. */
static int csv_header(csv_info *c, const pp_csv *in, pp_error *err)
{
	int n = in->n_columns;

	c->names = calloc((size_t)n, sizeof *c->names);
	c->finite = calloc((size_t)n, 1);
	c->positive = calloc((size_t)n, 1);
	c->min = malloc((size_t)n * sizeof *c->min);
	c->max = malloc((size_t)n * sizeof *c->max);
	if (!c->names || !c->finite || !c->positive || !c->min || !c->max)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", in->name);
	for (int i = 0; i < n; i++) {
		c->names[i] = strdup(in->columns[i]);
		c->min[i] = INFINITY;
		c->max[i] = -INFINITY;
		if (!c->names[i])
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", in->name);
		c->n = i + 1;
	}
	return PP_OK;
}

static int csv_column(const csv_info *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name))
			return i;
	return -1;
}

/* Row @c->rows's step and time (NaN: none); 0, or -1 out of memory. */
static int keep_step(csv_info *c, long step, double time)
{
	if ((size_t)c->rows == c->cap) {
		size_t n = c->cap ? 2 * c->cap : 256;
		long *s = realloc(c->row_step, n * sizeof *s);
		double *t;
		if (!s)
			return -1;
		c->row_step = s;
		t = realloc(c->row_time, n * sizeof *t);
		if (!t)
			return -1;
		c->row_time = t;
		c->cap = n;
	}
	c->row_step[c->rows] = step;
	c->row_time[c->rows] = time;
	return 0;
}

/* One row's values into @c's ranges, steps and stage changes; -1 out of
 * memory. */
static int csv_row(csv_info *c, const pp_csv *in, int c_step, int c_stage, int c_time,
		   long *last_stage)
{
	int n = in->n < c->n ? in->n : c->n;
	char **fields = in->fields;

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
		double time = c_time >= 0 && c_time < n && fields[c_time][0] ?
			      strtod(fields[c_time], NULL) : NAN;
		if (c->rows == 0)
			c->first_step = step;
		c->last_step = step;
		if (keep_step(c, step, time))
			return -1;
		if (c_stage >= 0 && c_stage < n && fields[c_stage][0]) {
			long stage = atol(fields[c_stage]);
			if (*last_stage >= 0 && stage != *last_stage &&
			    c->n_stage_changes < MAX_STAGE_CHANGES) {
				c->stage_of_change[c->n_stage_changes] = stage;
				c->stage_change[c->n_stage_changes++] = step;
			}
			*last_stage = stage;
		}
		c->rows++;
	}
	return 0;
}

/* Read @path whole with the run directory's CSV reader (core/csv.h).  A
 * missing file is PP_ERR_IO with errno's words; a file without a header
 * line is PP_ERR_INVALID.  A line holding a NUL byte (the zeros a power
 * cut can leave in a file) is skipped: the rest is still worth a figure. */
static int csv_scan(const char *path, csv_info *c, pp_error *err)
{
	int c_step, c_stage, c_time, rc;
	long last_stage = -1;
	pp_error line_err = {0};
	pp_csv in;

	memset(c, 0, sizeof *c);
	rc = pp_csv_open_path(&in, path, err);
	if (rc == PP_OK && in.n_columns == 1 && !in.columns[0][strspn(in.columns[0], " ")])
		rc = PP_ERR_CONFIG;   /* a blank first line */
	if (rc == PP_ERR_CONFIG)
		rc = pp_error_set(err, PP_ERR_INVALID, "%s: empty, no header line", path);
	if (!rc)
		rc = csv_header(c, &in, err);
	if (rc)
		goto cleanup;
	c_step = csv_column(c, "step");
	c_stage = csv_column(c, "stage");
	c_time = csv_column(c, "time_s");
	while ((rc = pp_csv_next(&in, &line_err)) != 0) {
		if (rc == PP_ERR_CONFIG)
			continue;
		if (rc < 0) {
			*err = line_err;
			break;
		}
		if (csv_row(c, &in, c_step, c_stage, c_time, &last_stage)) {
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", path);
			break;
		}
	}
cleanup:
	pp_csv_close(&in);
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

const char *pp_plot_extension(enum pp_plot_format format)
{
	return format == PP_PLOT_SVG ? "svg" : format == PP_PLOT_PDF ? "pdf" : "png";
}

/* Terminal (PNG: pngcairo when this gnuplot has it, else png; SVG: svg;
 * PDF: pdfcairo, 100 pixels to the inch), output, CSV. The output name can
 * be overridden with -e "pp_output='...'" (the CLI renders to a temporary
 * name first). */
static void prologue(FILE *f, const pp_figure_set *set, const char *name, const char *title,
		     int width, int height)
{
	fprintf(f, "# %s\n", title);
	fprintf(f, "# Written by phasepinn %s (docs/figures.md). Edit it and rerun it from this\n"
		   "# directory: gnuplot %s.gp\n", PP_VERSION, name);
	if (set->opts.format == PP_PLOT_SVG)
		fprintf(f, "set terminal svg size %d,%d font 'Sans,10' noenhanced background '#ffffff'\n",
			width, height);
	else if (set->opts.format == PP_PLOT_PDF)
		fprintf(f, "set terminal pdfcairo size %.2fin,%.2fin font ',7' noenhanced\n",
			width / 100.0, height / 100.0);
	else
		fprintf(f, "if (strstrt(' '.GPVAL_TERMINALS.' ', ' pngcairo ') > 0) {\n"
			   "    set terminal pngcairo size %d,%d font ',10' noenhanced\n"
			   "} else {\n"
			   "    set terminal png size %d,%d noenhanced\n"
			   "}\n", width, height, width, height);
	fprintf(f, "if (!exists('pp_output')) pp_output = '%s.%s'\n", name,
		pp_plot_extension(set->opts.format));
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
		  const char *style, const char *color, const char *title)
{
	fputs(first ? "plot " : ", \\\n     ", f);
	gp_string(f, file);
	fprintf(f, " using %d:%d with %s lc rgb '%s' title ", x_col + 1, y_col + 1, style, color);
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
	if (snprintf(path, sizeof path, "%s/" PP_RUN_FIGURES "/%s.gp", set->dir, name) >= (int)sizeof path)
		return pp_error_set(err, PP_ERR_INVALID, "path too long: %s/" PP_RUN_FIGURES "/%s.gp",
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

/* ---- the phases of a run ---------------------------------------------- */

typedef struct transition {
	char phase[32];
	long step;
} transition;

/* phases.txt: "<phase> <step>" lines; a missing file is no transition. */
static int read_phases(const char *run_dir, transition *t, int max)
{
	char path[4500], line[256];
	int n = 0;
	FILE *f;

	if (snprintf(path, sizeof path, "%s/" PP_RUN_PHASES, run_dir) >= (int)sizeof path)
		return 0;
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

/* Where step @step is on the x axis of @m's figures: the step itself, or
 * on a wall-time axis the time_s of that step (interpolated linearly
 * between the logged rows around it; NaN when metrics.csv has no time). */
static double step_x(const pp_figure_set *set, const csv_info *m, long step)
{
	long lo = -1, hi = -1;

	if (set->opts.x != PP_PLOT_X_TIME)
		return (double)step;
	for (long i = 0; i < m->rows; i++) {
		if (!isfinite(m->row_time[i]))
			continue;
		if (m->row_step[i] <= step)
			lo = i;
		if (m->row_step[i] >= step) {
			hi = i;
			break;
		}
	}
	if (lo < 0 && hi < 0)
		return NAN;
	if (lo < 0 || hi < 0 || m->row_step[hi] == m->row_step[lo])
		return m->row_time[lo < 0 ? hi : lo];
	return m->row_time[lo] + (m->row_time[hi] - m->row_time[lo]) *
	       (double)(step - m->row_step[lo]) / (double)(m->row_step[hi] - m->row_step[lo]);
}

/* A number on the x axis, as the scripts write it: steps as integers. */
static void x_value(FILE *f, const pp_figure_set *set, double x)
{
	if (set->opts.x == PP_PLOT_X_TIME)
		fprintf(f, "%.6g", x);
	else
		fprintf(f, "%.0f", x);
}

/* Bands narrower than this share of the run are shaded but not labelled:
 * a detector that flips for a few samples would stack its labels. */
#define PHASE_LABEL_MIN_SHARE 0.05
/* The width of one character of a label, as a share of the x range of a
 * 900-pixel figure (7 pixels in a plot about 780 wide). */
#define LABEL_CHAR_SHARE 0.009

/* Shaded bands behind the plot, one per phase, from phases.txt.  A label
 * names a band's phase once: a band is labelled when it is at least
 * PHASE_LABEL_MIN_SHARE of the run wide and its phase is not the one of
 * the last labelled band (a short flip between two bands of the same phase
 * does not start a new label).  The label starts where the phase began
 * before short flips into it (equilibrium 200, a flip back at 204, again
 * equilibrium from 206: labelled at 200), or after the last label's text
 * when that would overlap. */
static void phase_bands(FILE *f, const pp_figure_set *set, const csv_info *m)
{
	transition t[MAX_TRANSITIONS + 1];
	int n = read_phases(set->dir, t + 1, MAX_TRANSITIONS), tag = 0;
	double first = step_x(set, m, m->first_step), last = step_x(set, m, m->last_step);
	double range = last - first, label_end = -INFINITY;
	const char *labelled = NULL;

	if (n == 0 || !(range > 0))
		return;
	snprintf(t[0].phase, sizeof t[0].phase, "fitting");
	t[0].step = m->first_step;
	fputs("# phases (../" PP_RUN_PHASES "): shaded from each transition to the next; a band\n"
	      "# narrower than 5 % of the run, or continuing the phase of the last label, has none\n", f);
	for (int i = 0; i <= n; i++) {
		double from = step_x(set, m, t[i].step), at;
		double to = step_x(set, m, i < n ? t[i + 1].step : m->last_step);
		const char *words = t[i].phase;
		int j = i;
		if (!(to > from))
			continue;
		fprintf(f, "set object %d rectangle from first ", i + 1);
		x_value(f, set, from);
		fputs(", graph 0 to first ", f);
		x_value(f, set, to);
		fprintf(f, ", graph 1 behind fillcolor rgb '%s' fillstyle solid 1.0 noborder\n",
			phase_color(t[i].phase));
		if (to - from < PHASE_LABEL_MIN_SHARE * range ||
		    (labelled && !strcmp(labelled, t[i].phase)))
			continue;
		/* back over short flips to where this phase first began */
		while (j >= 2 && !strcmp(t[j - 2].phase, t[i].phase) &&
		       step_x(set, m, t[j].step) - step_x(set, m, t[j - 2].step) <
		       PHASE_LABEL_MIN_SHARE * range)
			j -= 2;
		at = fmax(step_x(set, m, t[j].step), label_end);
		if (at >= to)
			continue;   /* the last label covers the whole band */
		fprintf(f, "set label %d '%s' at first ", ++tag, words);
		x_value(f, set, at);
		fputs(", graph 0.96 offset 0.5,0 left back textcolor rgb '#444444'\n", f);
		labelled = t[i].phase;
		label_end = at + (double)(strlen(words) + 2) * LABEL_CHAR_SHARE * range;
	}
}

/* The labels and objects a script sets, by tag: a phase band's rectangle
 * and label are 1 .. MAX_TRANSITIONS + 1. */
#define STAGE_LABEL_TAG 100
#define NOTE_LABEL_TAG 200
#define DE_OBJECT_TAG 300

/* A comparison's row of bars for variant @v (of @n_variants): where run
 * @run (a directory below the comparison's) was in diffusion equilibrium,
 * from its phases.txt, each bar from an entry to the next transition or
 * the last step of @m; in the variant's colour with opacity @alpha (over
 * seeds each seed's bar is translucent, so they darken where seeds agree).
 * Rows stack up from the bottom of the plot, the first variant lowest. */
static void de_bars(FILE *f, const pp_figure_set *set, const char *run, int v, int n_variants,
		    const csv_info *m, double alpha, int *tag)
{
	transition t[MAX_TRANSITIONS];
	char dir[4400];
	double h = n_variants > 8 ? 0.28 / n_variants : 0.035;
	int n;

	if (m->rows == 0 ||
	    snprintf(dir, sizeof dir, "%s/%s", set->dir, run) >= (int)sizeof dir)
		return;
	n = read_phases(dir, t, MAX_TRANSITIONS);
	for (int i = 0; i < n; i++) {
		double from, to;
		if (strcmp(t[i].phase, "equilibrium"))
			continue;
		from = step_x(set, m, t[i].step);
		to = step_x(set, m, i + 1 < n ? t[i + 1].step : m->last_step);
		if (!isfinite(from) || !isfinite(to) || !(to > from) || *tag >= DE_OBJECT_TAG + 4000)
			continue;
		if (*tag == DE_OBJECT_TAG)
			fputs("# diffusion equilibrium of each run (<run>/" PP_RUN_PHASES "): a bar per entry, a row per variant\n", f);
		fprintf(f, "set object %d rectangle from first ", (*tag)++);
		x_value(f, set, from);
		fprintf(f, ", graph %.4f to first ", 0.01 + v * h);
		x_value(f, set, to);
		fprintf(f, ", graph %.4f behind fillcolor rgb '%s' fillstyle transparent solid %.2f noborder\n",
			0.01 + (v + 0.8) * h, line_colors[v % N_COLORS], alpha);
	}
}

/* Above the bars, when there are any: what they are. */
static void de_note(FILE *f, int tag, int n_variants, int over_seeds)
{
	double h = n_variants > 8 ? 0.28 / n_variants : 0.035;

	if (tag == DE_OBJECT_TAG)
		return;
	fprintf(f, "set label %d 'bars: diffusion equilibrium, one row per variant in its colour%s' "
		   "at graph 0.01, graph %.4f left front textcolor rgb '#444444'\n",
		NOTE_LABEL_TAG, over_seeds ? " (one bar per seed: darker, more seeds)" : "",
		0.03 + n_variants * h);
}

/* ---- what a figure is --------------------------------------------------- */

/* How a series finds its columns in a CSV header. */
enum pick {
	PICK_COLUMN,    /* the first column named `column` */
	PICK_PREFIX,    /* every column whose name starts with `column`, in file order */
	PICK_LAYERS,    /* every "<column><digits>" column, in file order, at most 32 */
	PICK_SUFFIX,    /* every column whose name ends with `column`, in file order */
};

/* Which values make a column worth a curve. */
enum need {
	NEED_POSITIVE,  /* a positive one (a log axis) */
	NEED_FINITE,    /* a finite one */
	NEED_VARYING,   /* finite ones that are not all equal */
	NEED_HEADER,    /* none: the header naming it is enough */
};

#define MAX_LAYER_CURVES 32

/* One kind of curve: which columns, drawn how, titled how.  The title is
 * `label` in words (the column's name when there is none): "{rest}" in it
 * stands for what follows `column` in the column's name (the term of
 * loss_<term>, the layer of snr_l<k>), "{weighted}" for "weighted " when
 * the run's total loss is weighted.  The scripts name the columns in a
 * comment.  In a per-field figure "{term}" in `column` stands for the field. */
typedef struct series_rule {
	enum pick pick;
	const char *column;
	enum need need;
	int required;         /* no figure without such a column */
	int at;               /* PICK_COLUMN: its column number must be this; 0 any */
	const char *style;    /* gnuplot's `with`; NULL: a condition, not drawn */
	const char *label;    /* the legend's words ({rest}, {weighted}: curve_title) */
	const char *color;    /* NULL: the next of line_colors */
} series_rule;

#define MAX_SERIES 4
#define MAX_PANELS 3

/* One plot command, after the settings only it needs; a panel with no
 * curve is left out. */
typedef struct panel_desc {
	const char *settings;
	series_rule series[MAX_SERIES];
} panel_desc;

enum layout {
	LAYOUT_SINGLE,  /* one plot */
	LAYOUT_ROWS,    /* a multiplot, one panel a row */
	LAYOUT_COLUMNS, /* a multiplot, one panel a column */
};

/* What a figure adds between its settings and its plots. */
enum extra {
	EXTRA_SHARED_RANGE = 1,  /* stats of its first two curves: one colour range for both */
	EXTRA_STEP_RANGE = 2,    /* x from the first step to the last */
	EXTRA_STAGE_ARROWS = 4,  /* a dashed line where a new optimizer stage began */
	EXTRA_PHASE_BANDS = 8,   /* the phases of phases.txt shaded behind */
	EXTRA_SHADOW_NOTE = 16,  /* with a shadow RBA curve, a note saying what it is */
	EXTRA_DE_BARS = 32,      /* a comparison: each variant's equilibrium, bars at the bottom */
};

/* A figure.  In a per-term figure, "{term}" in the name, title, caption, file
 * and settings stands for the term; in a per-field one, for the field.  The script writes, in this order: the
 * prologue, the columns it reads, the shared colour range, the multiplot
 * layout, `settings`, a map's axis labels (the names of the two inputs),
 * `settings_after_labels`, the other extras, each panel, `unset multiplot`. */
typedef struct figure_desc {
	const char *name;      /* figures/<name>.gp */
	const char *title;     /* its heading in report.md */
	const char *plot_title; /* its title in the image, before the experiment's name */
	const char *caption;   /* the line under it in report.md */
	const char *heading;   /* the script's first comment line */
	int width, height;     /* pixels */
	const char *file;      /* the CSV in the run directory it draws */
	int per_term;          /* one figure per term (a loss_<term> column) */
	const char *per_prefix; /* one figure per column with this prefix ({term}: the rest) */
	int per_field;         /* one figure per field of prediction.csv ({term}: the field) */
	int map;               /* a map over the first two columns, not against the step */
	enum layout layout;
	const char *settings, *settings_after_labels;
	const char *ylabel, *ylabel_weighted; /* a y label that says whether the total is weighted */
	unsigned extras;
	panel_desc panels[MAX_PANELS];
} figure_desc;

/* Heat-map settings shared by the solution and weight maps. */
#define SEQUENTIAL_PALETTE \
	"set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')\n"
#define DIVERGING_PALETTE \
	"set palette defined (0 '#313695', 0.25 '#74add1', 0.5 '#ffffbf', 0.75 '#f46d43', 1 '#a50026')\n"
#define LOG_Y "set logscale y\nset format y '%.0e'\n"

/* The figures of a run, in the order report.md shows them.  A time series
 * (not a map) gets its x label (step or wall time) and its title, the
 * figure's `plot_title` and the experiment's name, from write_figure. */
static const figure_desc run_figures[] = {
	{
		.name = "loss", .title = "Loss", .plot_title = "Loss",
		.heading = "Loss per term against the step",
		.caption = "Training loss: the total the optimizer minimises (thick; weighted by the term weights and, with RBA or SA, the per-point weights) and each term's mean squared residual (unweighted), log scale; dashed lines mark where a new optimizer stage began.",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.ylabel = "loss (mean r^2)",
		.ylabel_weighted = "loss (total: weighted; terms: mean r^2)",
		.settings = LOG_Y "set key top right\n",
		.extras = EXTRA_STAGE_ARROWS,
		.panels = {{.series = {
			{PICK_COLUMN, "loss", NEED_POSITIVE, .required = 1, .style = "lines lw 2",
			 .label = "{weighted}total loss"},
			{PICK_PREFIX, "loss_", NEED_POSITIVE, .style = "lines",
			 .label = "{rest} loss (mean r^2)"},
		}}},
	}, {
		.name = "error", .title = "Error against the reference",
		.plot_title = "Error against the reference",
		.heading = "Error against the reference solution, by step",
		.caption = "Relative L2 error and maximum absolute error of the prediction on the reference grid against the step, log scale (error analyzer); dashed lines mark where a new optimizer stage began.",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set ylabel 'error'\n" LOG_Y "set key top right\n",
		.extras = EXTRA_STAGE_ARROWS,
		.panels = {{.series = {
			{PICK_COLUMN, "error_rel_l2", NEED_POSITIVE, .style = "linespoints pt 7 ps 0.6",
			 .label = "relative L2 error"},
			{PICK_COLUMN, "error_max", NEED_POSITIVE, .style = "linespoints pt 7 ps 0.6",
			 .label = "maximum absolute error"},
			/* several fields: each one's relative L2 error beside the pooled one */
			{PICK_PREFIX, "error_rel_l2_", NEED_POSITIVE, .style = "linespoints pt 6 ps 0.6",
			 .label = "relative L2 error of {rest}"},
		}}},
	}, {
		.name = "coefficient_{term}", .title = "Learned coefficient {term}",
		.plot_title = "Learned coefficient {term}",
		.heading = "A trainable PDE coefficient against the step",
		.caption = "The trainable coefficient {term} of the PDE (an inverse problem's unknown) against the step; dashed lines mark where a new optimizer stage began.",
		.width = 900, .height = 460, .file = PP_RUN_METRICS, .per_prefix = "coef_",
		.settings = "set ylabel '{term}'\nset key top right\n",
		.extras = EXTRA_STAGE_ARROWS,
		.panels = {{.series = {
			{PICK_COLUMN, "coef_{term}", NEED_FINITE, .required = 1, .style = "lines lw 2",
			 .label = "coefficient {term}"},
		}}},
	}, {
		.name = "data_validation", .title = "Validation error of the observation data",
		.plot_title = "Validation error of the data",
		.heading = "Relative L2 error on the held-out observations against the step",
		.caption = "Relative L2 error of the prediction on the observation rows held out for validation (data: validation:), log scale.",
		.width = 900, .height = 460, .file = PP_RUN_METRICS,
		.settings = "set ylabel 'rel. L2'\n" LOG_Y,
		.extras = EXTRA_STAGE_ARROWS,
		.panels = {{.series = {
			{PICK_COLUMN, "data_val_rel_l2", NEED_POSITIVE, .required = 1,
			 .style = "linespoints pt 7 ps 0.5", .label = "relative L2 error on held-out data"},
		}}},
	}, {
		.name = "snr", .title = "Gradient signal-to-noise ratio",
		.plot_title = "Gradient signal-to-noise ratio",
		.heading = "Gradient SNR, whole network and per layer, with the detected phases",
		.caption = "Gradient SNR against the step, log scale: the raw SNR of the whole network (thick) and of each layer (thin), and the smoothed SNR the phase detector decides on (black, dashed); shaded: the phases the detector found (blue fitting, orange diffusion, green diffusion equilibrium), each labelled once; dashed grey lines: a new optimizer stage.",
		.width = 900, .height = 620, .file = PP_RUN_METRICS,
		.settings = "set ylabel 'SNR'\n" LOG_Y "set key below\n",
		.extras = EXTRA_STEP_RANGE | EXTRA_PHASE_BANDS | EXTRA_STAGE_ARROWS,
		.panels = {{.series = {
			{PICK_COLUMN, "snr", NEED_POSITIVE, .style = "lines lw 2.5",
			 .label = "raw SNR, whole network"},
			{PICK_LAYERS, "snr_l", NEED_POSITIVE, .style = "lines lw 0.8",
			 .label = "raw SNR, layer {rest}"},
			{PICK_COLUMN, "phase_snr", NEED_POSITIVE, .style = "lines dt 2 lw 2.5",
			 .label = "smoothed SNR (the detector's)", .color = "#000000"},
			{PICK_COLUMN, "adam_snr", NEED_POSITIVE, .style = "lines dt 3",
			 .label = "SNR of Adam's moments"},
		}}},
	}, {
		.name = "homogeneity", .title = "Homogeneity of the weights (φ_RBA)",
		.plot_title = "Homogeneity of the point weights",
		.heading = "phi_RBA against the step",
		.caption = "φ_RBA = mean(b)/√mean(b²) of the bin-averaged point weights against the step: 1 means every region of the domain carries the same weight. Without RBA the run's own weights give 1; the dashed curve is then φ of the shadow RBA multiplier, tracked from the residuals but not used in the loss.",
		.width = 900, .height = 580, .file = PP_RUN_METRICS,
		.settings = "set ylabel 'phi_RBA'\nset yrange [0:1.05]\nset key below\n",
		.extras = EXTRA_STAGE_ARROWS | EXTRA_SHADOW_NOTE,
		.panels = {{.series = {
			{PICK_COLUMN, "homog_phi", NEED_FINITE, .required = 1,
			 .style = "linespoints pt 7 ps 0.5 lw 1.5", .label = "phi of the run's own weights"},
			{PICK_COLUMN, "homog_phi_rba_shadow", NEED_FINITE,
			 .style = "linespoints pt 6 ps 0.5 lw 1.5 dt 2",
			 .label = "phi of the shadow RBA multiplier (not in the loss)"},
		}}},
	}, {
		.name = "information", .title = "Information plane",
		.plot_title = "Information plane",
		.heading = "H(T) per layer and saturation against the step",
		.caption = "Top: H(T) = I(X;T) in bits of each hidden layer's binned activations against the step (a fall is compression). Bottom: share of saturated activations per layer. Dashed lines: a new optimizer stage.",
		.width = 900, .height = 800, .file = PP_RUN_METRICS, .layout = LAYOUT_ROWS,
		.settings = "set key outside right top\n",
		.extras = EXTRA_STAGE_ARROWS,
		.panels = {{
			.settings = "set title 'H(T) per layer'\nset ylabel 'H(T) (bits)'\n",
			.series = {{PICK_LAYERS, "info_h_l", NEED_FINITE,
				    .style = "linespoints pt 7 ps 0.5", .label = "layer {rest}"}},
		}, {
			.settings = "set title 'Saturation per layer'\nset ylabel 'saturated share'\nset yrange [0:*]\n",
			.series = {{PICK_LAYERS, "info_sat_l", NEED_FINITE,
				    .style = "linespoints pt 7 ps 0.5", .label = "layer {rest}"}},
		}},
	}, {
		/* prediction.csv: <input 1>,<input 2>,u_pred,u_ref,abs_err on a regular grid */
		.name = "solution", .title = "Prediction, reference and error",
		.plot_title = "Prediction, reference and error",
		.heading = "Prediction, reference and absolute error over the domain",
		.caption = "Heat maps over the domain: the network's prediction, the reference solution (same colour scale) and the absolute error |u − u*| (error analyzer's final grid).",
		.width = 1500, .height = 470, .file = PP_RUN_PREDICTION, .map = 1,
		.layout = LAYOUT_COLUMNS, .extras = EXTRA_SHARED_RANGE,
		.settings = "set autoscale fix\nunset grid\n",
		.settings_after_labels = DIVERGING_PALETTE "if (hi > lo) { set cbrange [lo:hi] }\n",
		.panels = {{
			.settings = "set title 'prediction u'\n",
			/* a heat map needs exactly two inputs before the values */
			.series = {{PICK_COLUMN, "u_pred", NEED_FINITE, .required = 1, .at = 3,
				    .style = "image"}},
		}, {
			.settings = "set title 'reference u*'\n",
			.series = {{PICK_COLUMN, "u_ref", NEED_HEADER, .required = 1, .style = "image"}},
		}, {
			.settings = "set autoscale cb\n" SEQUENTIAL_PALETTE
				    "set title 'absolute error |u - u*|'\n",
			.series = {{PICK_COLUMN, "abs_err", NEED_HEADER, .required = 1, .style = "image"}},
		}},
	}, {
		/* prediction.csv of several fields: <input 1>,<input 2>, then per field
		 * <f>_pred and, when the reference gives it, <f>_ref,<f>_abs_err */
		.name = "solution_{term}", .title = "Prediction, reference and error: {term}",
		.plot_title = "Prediction, reference and error of {term}",
		.heading = "Prediction, reference and absolute error of one field over the domain",
		.caption = "Heat maps of the field {term} over the domain: the network's prediction, the reference solution (same colour scale) and the absolute error (error analyzer's final grid; a field without a reference has the prediction only).",
		.width = 1500, .height = 470, .file = PP_RUN_PREDICTION, .map = 1, .per_field = 1,
		.layout = LAYOUT_COLUMNS, .extras = EXTRA_SHARED_RANGE,
		.settings = "set autoscale fix\nunset grid\n",
		.settings_after_labels = DIVERGING_PALETTE "if (hi > lo) { set cbrange [lo:hi] }\n",
		.panels = {{
			.settings = "set title 'prediction {term}'\n",
			.series = {{PICK_COLUMN, "{term}_pred", NEED_FINITE, .required = 1, .style = "image"},
				   /* a heat map needs exactly two inputs before the values */
				   {PICK_SUFFIX, "_pred", NEED_HEADER, .required = 1, .at = 3}},
		}, {
			.settings = "set title 'reference {term}*'\n",
			.series = {{PICK_COLUMN, "{term}_ref", NEED_HEADER, .style = "image"}},
		}, {
			.settings = "set autoscale cb\n" SEQUENTIAL_PALETTE
				    "set title 'absolute error |{term} - {term}*|'\n",
			.series = {{PICK_COLUMN, "{term}_abs_err", NEED_HEADER, .style = "image"}},
		}},
	}, {
		/* weights_<term>.csv: <input 1>,<input 2>,r,w,lambda; constant weights
		 * (no per-point scheme) have nothing to map */
		.name = PP_RUN_WEIGHTS_PREFIX "{term}", .title = "Final point weights: {term}",
		.plot_title = "Final weights of term {term}",
		.heading = "Final per-point weights lambda over the domain",
		.caption = "The weighting scheme's final per-point weight λ of the {term} term at each of its points (" PP_RUN_WEIGHTS_PREFIX "{term}" PP_RUN_WEIGHTS_SUFFIX ").",
		.width = 800, .height = 640, .file = PP_RUN_WEIGHTS_PREFIX "{term}" PP_RUN_WEIGHTS_SUFFIX, .per_term = 1, .map = 1,
		.settings = "set autoscale fix\nset offsets graph 0.02, graph 0.02, graph 0.02, graph 0.02\n",
		.settings_after_labels = "set cblabel 'lambda'\n" SEQUENTIAL_PALETTE,
		.panels = {{.series = {
			{PICK_COLUMN, "lambda", NEED_VARYING, .required = 1, .at = 5,
			 .style = "points pt 7 ps 0.6 lc palette"},
			{PICK_COLUMN, "r", NEED_HEADER, .required = 1, .at = 3},
		}}},
	},
};

/* The figures of a comparison: one curve per variant that has the column
 * (the first series' column; over seeds, its median and quartiles). */
static const figure_desc compare_figures[] = {
	{
		.name = "compare_error", .title = "Relative L2 error of every variant",
		.plot_title = "Relative L2 error of every variant",
		.heading = "Relative L2 error of every variant",
		.caption = "Relative L2 error against the reference of every variant against the step, log scale.",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set ylabel 'rel. L2 error'\n" LOG_Y "set key top right\n",
		.panels = {{.series = {
			{PICK_COLUMN, "error_rel_l2", NEED_POSITIVE, .style = "linespoints pt 7 ps 0.5"},
		}}},
	}, {
		.name = "compare_snr", .title = "Gradient SNR of every variant",
		.plot_title = "Gradient SNR of every variant",
		.heading = "Gradient SNR of every variant",
		.caption = "Whole-network gradient SNR of every variant against the step, log scale; the bars along the bottom, one row per variant in its colour, mark where its run was in diffusion equilibrium (over seeds: one bar per seed, drawn translucent, so the darker the more seeds).",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set ylabel 'SNR'\n" LOG_Y "set key top right\n",
		.extras = EXTRA_DE_BARS,
		.panels = {{.series = {{PICK_COLUMN, "snr", NEED_POSITIVE, .style = "lines"}}}},
	}, {
		/* the unweighted mean r² of the interior term: the weighted totals of
		 * different weighting schemes are not the same quantity */
		.name = "compare_loss", .title = "Residual loss of every variant",
		.plot_title = "Residual loss (unweighted mean r^2) of every variant",
		.heading = "Unweighted residual loss of every variant",
		.caption = "The PDE residual's mean squared value (loss_residual, unweighted, so it compares across weighting schemes) of every variant against the step, log scale.",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set ylabel 'residual loss (mean r^2)'\n" LOG_Y "set key top right\n",
		.panels = {{.series = {{PICK_COLUMN, "loss_residual", NEED_POSITIVE, .style = "lines"}}}},
	},
};

/* ---- choosing the curves ------------------------------------------------ */

#define MAX_CURVES 64

/* What a figure is drawn from: the one CSV of a run's figure, or the
 * metrics of every variant of a comparison. */
typedef struct figure_data {
	int n;
	const csv_info *csv;           /* [n] */
	char (*file)[300];             /* [n] as the script reads it, e.g. "../metrics.csv" */
	char (*variant)[128];          /* [n] a comparison's curve titles; NULL in a run */
	const char *term;              /* a per-term figure's term, else NULL */
	int x_time;                    /* against time_s, not the step */
	int weighted;                  /* a run whose total loss is weighted */
	const char *weighting;         /* a run's weighting scheme (summary.json), or NULL */
	const char *const *stage_names; /* [stage] its optimizer (summary.json), or NULL */
	int n_stage_names;
} figure_data;

typedef struct picked_curve {
	int panel, src, x, y;          /* src: which CSV; x < 0 in a map */
	const series_rule *rule;
} picked_curve;

typedef struct figure_plan {
	int n, panels;                 /* curves; panels with a curve */
	picked_curve curve[MAX_CURVES];
} figure_plan;

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void fill_term(char *out, size_t size, const char *text, const char *term);

/* Whether column @name is one @r takes; "{term}" in its column is @term. */
static int rule_matches(const series_rule *r, const char *name, const char *term)
{
	char column[256];
	const char *rest;

	fill_term(column, sizeof column, r->column, term);
	rest = name + strlen(column);
	switch (r->pick) {
	case PICK_COLUMN:
		return !strcmp(name, column);
	case PICK_PREFIX:
		return starts_with(name, column);
	case PICK_LAYERS:
		return starts_with(name, column) && *rest &&
		       strspn(rest, "0123456789") == strlen(rest);
	case PICK_SUFFIX:
		return ends_with(name, column);
	}
	return 0;
}

static int usable(const csv_info *c, int i, enum need need)
{
	switch (need) {
	case NEED_POSITIVE:
		return c->positive[i];
	case NEED_FINITE:
		return c->finite[i];
	case NEED_VARYING:
		return c->finite[i] && c->max[i] > c->min[i];
	case NEED_HEADER:
		return 1;
	}
	return 0;
}

/* The columns of one CSV that @r takes, added to @plan as curves (when @r
 * draws any); the count taken. */
static int pick_columns(figure_plan *plan, const series_rule *r, const csv_info *c,
			int panel, int src, int x, const char *term)
{
	int taken = 0;

	for (int i = 0; i < c->n; i++) {
		if (!rule_matches(r, c->names[i], term))
			continue;
		if (r->pick == PICK_LAYERS && taken == MAX_LAYER_CURVES)
			break;
		if ((!r->at || i == r->at - 1) && usable(c, i, r->need)) {
			taken++;
			if (r->style && plan->n < MAX_CURVES)
				plan->curve[plan->n++] = (picked_curve){panel, src, x, i, r};
		}
		if (r->pick == PICK_COLUMN)
			break;
	}
	return taken;
}

/* The curves @d draws from @data; 0 when it has no data for the figure
 * (a required column missing, or no curve in the first panel). */
/* The x column of a time series in @c: time_s on a wall-time axis (the
 * step when the file has no time_s), else the step; -1 when missing. */
static int x_column(const figure_data *data, const csv_info *c)
{
	int x = data->x_time ? csv_column(c, "time_s") : -1;

	return x >= 0 ? x : csv_column(c, "step");
}

static int plan_figure(figure_plan *plan, const figure_desc *d, const figure_data *data)
{
	memset(plan, 0, sizeof *plan);
	for (int p = 0; p < MAX_PANELS; p++) {
		int before = plan->n;
		for (int s = 0; s < MAX_SERIES && d->panels[p].series[s].column; s++) {
			const series_rule *r = &d->panels[p].series[s];
			int taken = 0;
			for (int v = 0; v < data->n; v++) {
				int x = d->map ? -1 : x_column(data, &data->csv[v]);
				if (d->map || x >= 0)
					taken += pick_columns(plan, r, &data->csv[v], p, v, x,
							      data->term);
			}
			if (r->required && !taken)
				return 0;
		}
		if (plan->n > before)
			plan->panels++;
		else if (p == 0)
			return 0;
	}
	return 1;
}

/* ---- writing a figure --------------------------------------------------- */

/* @text with each "{term}" replaced by @term, into @out (cut to @size). */
static void fill_term(char *out, size_t size, const char *text, const char *term)
{
	size_t n = 0;

	for (const char *p = text; *p && n + 1 < size; p++) {
		if (term && starts_with(p, "{term}")) {
			n += (size_t)snprintf(out + n, size - n, "%s", term);
			if (n >= size)
				n = size - 1;
			p += strlen("{term}") - 1;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

/* @text (may be NULL) with each "{term}" replaced by @term. */
static void put_text(FILE *f, const char *text, const char *term)
{
	char buf[1024];

	if (text) {
		fill_term(buf, sizeof buf, text, term);
		fputs(buf, f);
	}
}

/* "# columns of <file>: 1 step, 6 loss_residual, ..." for the reader: the
 * x columns (the step, or a map's two inputs), then each curve's. */
static void run_columns_comment(FILE *f, const figure_desc *d, const figure_data *data,
				const figure_plan *plan)
{
	int cols[MAX_CURVES + 2], n = 0;

	if (d->map) {
		cols[n++] = 0;
		cols[n++] = 1;
	} else {
		cols[n++] = x_column(data, data->csv);
	}
	for (int i = 0; i < plan->n; i++)
		cols[n++] = plan->curve[i].y;
	column_comment(f, data->file[0], data->csv, cols, n);
}

/* One colour range for the first two curves of a map (the first alone when
 * it has one curve: a field without a reference). */
static void shared_range(FILE *f, const figure_data *data, const figure_plan *plan)
{
	if (plan->n < 2) {
		fprintf(f, "stats '%s' using %d nooutput name 'P'\n"
			   "lo = P_min\nhi = P_max\n", data->file[0], plan->curve[0].y + 1);
		return;
	}
	fprintf(f, "stats '%s' using %d nooutput name 'P'\n"
		   "stats '%s' using %d nooutput name 'R'\n"
		   "lo = P_min < R_min ? P_min : R_min\n"
		   "hi = P_max > R_max ? P_max : R_max\n",
		data->file[0], plan->curve[0].y + 1, data->file[0], plan->curve[1].y + 1);
}

/* A map's axes: the names of its two inputs. */
static void input_labels(FILE *f, const csv_info *c)
{
	fputs("set xlabel ", f);
	gp_string(f, c->names[0]);
	fputs("\nset ylabel ", f);
	gp_string(f, c->names[1]);
	fputc('\n', f);
}

/* A dashed line where a new optimizer stage began, labelled with the
 * stage's optimizer (summary.json) at the bottom of the plot. */
static void stage_arrows(FILE *f, const pp_figure_set *set, const figure_data *data)
{
	const csv_info *m = data->csv;

	for (int s = 0; s < m->n_stage_changes; s++) {
		double x = step_x(set, m, m->stage_change[s]);
		long stage = m->stage_of_change[s];
		if (!isfinite(x))
			continue;
		fputs("set arrow from first ", f);
		x_value(f, set, x);
		fputs(", graph 0 to first ", f);
		x_value(f, set, x);
		fputs(", graph 1 nohead dt 2 lw 1.5 lc rgb '#555555' back\n", f);
		fprintf(f, "set label %d ", STAGE_LABEL_TAG + s);
		if (data->stage_names && stage >= 0 && stage < data->n_stage_names &&
		    data->stage_names[stage]) {
			char text[160];
			snprintf(text, sizeof text, "stage %ld: %s", stage + 1, data->stage_names[stage]);
			gp_string(f, text);
		} else {
			fprintf(f, "'stage %ld'", stage + 1);
		}
		fputs(" at first ", f);
		x_value(f, set, x);
		fputs(", graph 0.03 offset 0.5,0 left front textcolor rgb '#444444'\n", f);
	}
}

/* A run without RBA whose homogeneity analyzer tracked the shadow RBA
 * multiplier: say on the figure what the two curves are. */
static void shadow_note(FILE *f, const figure_data *data, const figure_plan *plan)
{
	int shadow = 0;

	for (int i = 0; i < plan->n; i++)
		shadow |= !strcmp(data->csv->names[plan->curve[i].y], "homog_phi_rba_shadow");
	if (!shadow)
		return;
	fprintf(f, "set label %d ", NOTE_LABEL_TAG);
	{
		char text[300];
		snprintf(text, sizeof text, "weighting %s: the run's own point weights are all equal (phi = 1).",
			 data->weighting ? data->weighting : "without RBA");
		gp_string(f, text);
	}
	fputs(" at graph 0.02, graph 0.45 left front textcolor rgb '#444444'\n", f);
	fprintf(f, "set label %d 'Dashed: phi of the shadow RBA multiplier, updated from the residuals "
		   "as RBA would, but not used in the loss.' at graph 0.02, graph 0.39 left front "
		   "textcolor rgb '#444444'\n", NOTE_LABEL_TAG + 1);
}

/* Fill @out (@size) with @text, each "{rest}" replaced by @rest and each
 * "{weighted}" by "weighted " when @weighted. */
static void fill_label(char *out, size_t size, const char *text, const char *rest, int weighted)
{
	size_t n = 0;

	for (const char *p = text; *p && n + 1 < size; p++) {
		const char *put = NULL;
		if (starts_with(p, "{rest}")) {
			put = rest;
			p += strlen("{rest}") - 1;
		} else if (starts_with(p, "{weighted}")) {
			put = weighted ? "weighted " : "";
			p += strlen("{weighted}") - 1;
		}
		if (!put) {
			out[n++] = *p;
			continue;
		}
		n += (size_t)snprintf(out + n, size - n, "%s", put);
		if (n >= size)
			n = size - 1;
	}
	out[n] = '\0';
}

static void curve_title(char *out, size_t size, const picked_curve *c, const figure_data *data)
{
	const char *name = data->csv[c->src].names[c->y];
	const series_rule *r = c->rule;
	char column[256], label[256];

	fill_term(column, sizeof column, r->column, data->term);
	if (data->variant)
		snprintf(out, size, "%s", data->variant[c->src]);
	else if (!r->label)
		snprintf(out, size, "%s", name);
	else {
		fill_term(label, sizeof label, r->label, data->term);
		fill_label(out, size, label, strlen(name) >= strlen(column) ? name + strlen(column) : "",
			   data->weighted);
	}
}

/* Panel @p: its settings and its plot command. */
static void write_panel(FILE *f, const figure_desc *d, const figure_data *data,
			const figure_plan *plan, int p)
{
	int k = 0, n = 0, color = 0;

	for (int i = 0; i < plan->n; i++)
		n += plan->curve[i].panel == p;
	if (!n)
		return;
	put_text(f, d->panels[p].settings, data->term);
	for (int i = 0; data->variant && i < plan->n; i++) {
		const picked_curve *c = &plan->curve[i];
		if (c->panel == p)
			fprintf(f, "# %s: column %d %s\n", data->file[c->src], c->y + 1,
				data->csv[c->src].names[c->y]);
	}
	for (int i = 0; i < plan->n; i++) {
		const picked_curve *c = &plan->curve[i];
		char title[256];
		if (c->panel != p)
			continue;
		if (d->map) {
			fputs(k == 0 ? "plot " : ", \\\n     ", f);
			gp_string(f, data->file[c->src]);
			fprintf(f, " using 1:2:%d with %s", c->y + 1, c->rule->style);
		} else {
			curve_title(title, sizeof title, c, data);
			curve(f, k == 0, data->file[c->src], c->x, c->y, c->rule->style,
			      c->rule->color ? c->rule->color
					     : line_colors[(data->variant ? c->src : color++) % N_COLORS],
			      title);
		}
		k++;
	}
	fputc('\n', f);
}

/* The title of @d in the image: its plot title and the experiment's (or
 * comparison's) name. */
static void figure_title(char *out, size_t size, const pp_figure_set *set, const figure_desc *d,
			 const char *term)
{
	char title[256];

	fill_term(title, sizeof title, d->plot_title ? d->plot_title : d->title, term);
	if (set->label[0])
		snprintf(out, size, "%.160s: %.127s", title, set->label);
	else
		snprintf(out, size, "%.160s", title);
}

/* A time series' x axis: its label, and with EXTRA_STEP_RANGE the range
 * from the first logged step to the last. */
static void x_axis(FILE *f, const pp_figure_set *set, const figure_desc *d, const figure_data *data)
{
	const csv_info *m = data->csv;

	fprintf(f, "set xlabel '%s'\n", data->x_time ? "wall time (s)" : "step");
	if (d->extras & EXTRA_STEP_RANGE) {
		double lo = step_x(set, m, m->first_step), hi = step_x(set, m, m->last_step);
		if (!isfinite(lo) || !isfinite(hi))
			return;
		if (!(hi > lo))
			hi = lo + 1;
		fputs("set xrange [", f);
		x_value(f, set, lo);
		fputc(':', f);
		x_value(f, set, hi);
		fputs("]\n", f);
	}
}

/* The script of @d drawn from @data, when @data has what it needs. */
static int write_figure(pp_figure_set *set, const figure_desc *d, const figure_data *data,
			pp_error *err)
{
	char name[sizeof set->fig[0].name], title[160], caption[512], image_title[300];
	figure_plan plan;
	pp_atomic_file af;
	int rc;

	if (!plan_figure(&plan, d, data))
		return PP_OK;
	fill_term(name, sizeof name, d->name, data->term);
	fill_term(title, sizeof title, d->title, data->term);
	fill_term(caption, sizeof caption, d->caption, data->term);
	figure_title(image_title, sizeof image_title, set, d, data->term);
	rc = figure_open(set, &af, name, title, caption, err);
	if (rc)
		return rc;
	prologue(af.f, set, name, d->heading, d->width, d->height);
	if (!data->variant)
		run_columns_comment(af.f, d, data, &plan);
	if (d->extras & EXTRA_SHARED_RANGE)
		shared_range(af.f, data, &plan);
	if (d->layout == LAYOUT_SINGLE) {
		fputs("set title ", af.f);
		gp_string(af.f, image_title);
		fputc('\n', af.f);
	} else {
		fprintf(af.f, "set multiplot layout %d,%d title ",
			d->layout == LAYOUT_ROWS ? plan.panels : 1,
			d->layout == LAYOUT_ROWS ? 1 : plan.panels);
		gp_string(af.f, image_title);
		fputc('\n', af.f);
	}
	put_text(af.f, d->settings, data->term);
	if (d->ylabel)
		fprintf(af.f, "set ylabel '%s'\n",
			data->weighted && d->ylabel_weighted ? d->ylabel_weighted : d->ylabel);
	if (d->map)
		input_labels(af.f, data->csv);
	else
		x_axis(af.f, set, d, data);
	put_text(af.f, d->settings_after_labels, data->term);
	if (d->extras & EXTRA_STAGE_ARROWS)
		stage_arrows(af.f, set, data);
	if (d->extras & EXTRA_PHASE_BANDS)
		phase_bands(af.f, set, data->csv);
	if (d->extras & EXTRA_SHADOW_NOTE)
		shadow_note(af.f, data, &plan);
	if (d->extras & EXTRA_DE_BARS) {
		int tag = DE_OBJECT_TAG;
		for (int v = 0; v < data->n; v++)
			de_bars(af.f, set, data->variant[v], v, data->n, &data->csv[v], 0.6, &tag);
		de_note(af.f, tag, data->n, 0);
	}
	for (int p = 0; p < MAX_PANELS; p++)
		write_panel(af.f, d, data, &plan, p);
	if (d->layout != LAYOUT_SINGLE)
		fputs("unset multiplot\n", af.f);
	return figure_close(set, &af, err);
}

/* ---- the figures of a run ----------------------------------------------- */

/* A field's name is plain when it can stand in a file name and a gnuplot
 * string as it is. */
static int plain_field(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

/* Figure @d once per field of prediction.csv in @data: each "<f>_pred"
 * column, unless the file is in the one-field layout (u_pred,u_ref,abs_err),
 * which the solution figure draws. */
static int field_figures(pp_figure_set *set, const figure_desc *d, figure_data *data,
			 pp_error *err)
{
	const csv_info *c = data->csv;
	const size_t suffix = strlen("_pred");
	char field[128];
	int rc = PP_OK;

	if (csv_column(c, "abs_err") >= 0)
		return PP_OK;
	for (int i = 0; !rc && i < c->n; i++) {
		size_t n = strlen(c->names[i]);
		if (!ends_with(c->names[i], "_pred") || n - suffix >= sizeof field ||
		    !plain_field(c->names[i], n - suffix))
			continue;
		memcpy(field, c->names[i], n - suffix);
		field[n - suffix] = '\0';
		data->term = field;
		rc = write_figure(set, d, data, err);
	}
	data->term = NULL;
	return rc;
}

/* Figure @d of a run (of @term when per term): metrics.csv is @m, read
 * once; another file is read when it is there.  @run: what every figure of
 * the run shares. */
static int run_figure(pp_figure_set *set, const figure_desc *d, const csv_info *m,
		      const figure_data *run, const char *term, pp_error *err)
{
	char file[256], path[4200], shown[1][300];
	figure_data data = *run;
	csv_info own;
	int rc;

	data.n = 1;
	data.csv = m;
	data.file = shown;
	data.term = term;
	fill_term(file, sizeof file, d->file, term);
	snprintf(shown[0], sizeof shown[0], "../%s", file);
	if (!strcmp(file, PP_RUN_METRICS))
		return write_figure(set, d, &data, err);
	if (snprintf(path, sizeof path, "%s/%s", set->dir, file) >= (int)sizeof path ||
	    !file_exists(path))
		return PP_OK;
	rc = csv_scan(path, &own, err);
	if (rc)
		return rc;
	data.csv = &own;
	if (d->per_field)
		rc = field_figures(set, d, &data, err);
	else
		rc = write_figure(set, d, &data, err);
	csv_info_free(&own);
	return rc;
}

static int figures_dir(const char *dir, pp_error *err)
{
	char path[4200];

	snprintf(path, sizeof path, "%s/" PP_RUN_FIGURES, dir);
	return pp_mkdir_p(path, err);
}

/* The last part of @dir's path ("runs/quickstart/" is "quickstart"; "."
 * is the name of the working directory). */
static void base_name(char *out, size_t size, const char *dir)
{
	char *full = realpath(dir, NULL);
	const char *end, *start;

	if (full)
		dir = full;
	end = dir + strlen(dir);
	while (end > dir + 1 && end[-1] == '/')
		end--;
	start = end;
	while (start > dir && start[-1] != '/')
		start--;
	snprintf(out, size, "%.*s", (int)(end - start), start);
	free(full);
}

static int set_init(pp_figure_set *set, const char *dir, int compare,
		    const pp_plot_options *opts, pp_error *err)
{
	memset(set, 0, sizeof *set);
	set->compare = compare;
	if (opts)
		set->opts = *opts;
	if (snprintf(set->dir, sizeof set->dir, "%s", dir) >= (int)sizeof set->dir)
		return pp_error_set(err, PP_ERR_INVALID, "path too long: %s", dir);
	base_name(set->label, sizeof set->label, dir);
	return PP_OK;
}

/* The total loss is weighted when the scheme weights points (anything but
 * `none`) or a term's weight is not 1. */
static int total_is_weighted(const csv_info *m, const char *weighting)
{
	if (weighting && strcmp(weighting, "none"))
		return 1;
	for (int i = 0; i < m->n; i++)
		if (starts_with(m->names[i], "weight_") && m->finite[i] &&
		    (m->min[i] != 1 || m->max[i] != 1))
			return 1;
	return 0;
}

int pp_plot_run_scripts(const char *run_dir, const pp_plot_options *opts, pp_figure_set *set,
			pp_error *err)
{
	static const char *stage_names[MAX_STAGE_CHANGES];
	char path[4200];
	csv_info m;
	pp_summary summary;
	pp_error ignored = {0};
	figure_data run = {.x_time = opts && opts->x == PP_PLOT_X_TIME};
	int rc = set_init(set, run_dir, 0, opts, err);

	if (rc)
		return rc;
	snprintf(path, sizeof path, "%s/" PP_RUN_METRICS, run_dir);
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
	/* the experiment's name, weighting and stages, when it says */
	if (pp_summary_read(run_dir, &summary, &ignored) == PP_OK) {
		if (summary.name && summary.name[0])
			snprintf(set->label, sizeof set->label, "%s", summary.name);
		run.weighting = summary.weighting;
		for (int k = 0; k < summary.n_stages && k < MAX_STAGE_CHANGES; k++)
			stage_names[run.n_stage_names++] = summary.stages[k].optimizer;
		run.stage_names = stage_names;
	}
	run.weighted = total_is_weighted(&m, run.weighting);
	rc = figures_dir(run_dir, err);
	for (size_t k = 0; !rc && k < sizeof run_figures / sizeof run_figures[0]; k++) {
		const figure_desc *d = &run_figures[k];
		const char *prefix = d->per_prefix ? d->per_prefix : "loss_";
		if (!d->per_term && !d->per_prefix) {
			rc = run_figure(set, d, &m, &run, NULL, err);
			continue;
		}
		for (int i = 0; !rc && i < m.n; i++)
			if (starts_with(m.names[i], prefix))
				rc = run_figure(set, d, &m, &run, m.names[i] + strlen(prefix), err);
	}
	pp_summary_free(&summary);
cleanup:
	csv_info_free(&m);
	return rc;
}

/* ---- the figures of a comparison ---------------------------------------- */

int pp_plot_compare_variants(const char *dir, char (*names)[128], int max, pp_error *err)
{
	char path[4200];
	pp_error line_err = {0};
	int n = 0, rc;
	pp_csv in;

	snprintf(path, sizeof path, "%s/" PP_COMPARE_TABLE, dir);
	rc = pp_csv_open_path(&in, path, &line_err);
	if (rc == PP_ERR_IO) {
		pp_csv_close(&in);
		return pp_error_set(err, PP_ERR_INVALID, "%s", line_err.message);
	}
	/* the first field of each row after the header; a line holding a NUL
	 * byte is skipped, a read error ends the list */
	while (!rc && n < max && (rc = pp_csv_next(&in, &line_err)) != 0) {
		size_t len = rc == 1 ? strlen(in.fields[0]) : 0;
		if (rc == 1 && len > 0 && len < sizeof names[0])
			memcpy(names[n++], in.fields[0], len + 1);
		if (rc == 1 || rc == PP_ERR_CONFIG)
			rc = PP_OK;
	}
	pp_csv_close(&in);
	return n;
}

int pp_plot_compare_runs(const char *dir, char (*runs)[160], int max, pp_error *err)
{
	static char names[MAX_VARIANTS][128];
	char path[4200];
	pp_error line_err = {0};
	int n = 0, c_run, rc;
	pp_csv in;

	snprintf(path, sizeof path, "%s/" PP_COMPARE_RUNS, dir);
	if (!file_exists(path)) {
		n = pp_plot_compare_variants(dir, names, max < MAX_VARIANTS ? max : MAX_VARIANTS, err);
		for (int v = 0; v < n; v++)
			snprintf(runs[v], sizeof runs[v], "%.127s", names[v]);
		return n;
	}
	rc = pp_csv_open_path(&in, path, &line_err);
	c_run = rc ? -1 : pp_csv_column(&in, "run");
	if (!rc && c_run < 0)
		rc = pp_error_set(&line_err, PP_ERR_INVALID, "%s: no 'run' column", path);
	if (rc) {
		pp_csv_close(&in);
		return pp_error_set(err, PP_ERR_INVALID, "%s", line_err.message);
	}
	while (n < max && (rc = pp_csv_next(&in, &line_err)) != 0) {
		size_t len = rc == 1 && c_run < in.n ? strlen(in.fields[c_run]) : 0;
		/* a run directory below this one: no "..", not absolute */
		if (rc == 1 && len > 0 && len < sizeof runs[0] && in.fields[c_run][0] != '/' &&
		    !strstr(in.fields[c_run], ".."))
			memcpy(runs[n++], in.fields[c_run], len + 1);
		if (rc < 0 && rc != PP_ERR_CONFIG)
			break;
	}
	pp_csv_close(&in);
	return n;
}

/* ---- the figures of a comparison over seeds ----------------------------- */

#define N_COMPARE_FIGURES (int)(sizeof compare_figures / sizeof compare_figures[0])

int pp_plot_band_columns(const char *const **names)
{
	static const char *columns[N_COMPARE_FIGURES];

	for (int k = 0; k < N_COMPARE_FIGURES; k++)
		columns[k] = compare_figures[k].panels[0].series[0].column;
	*names = columns;
	return N_COMPARE_FIGURES;
}

/* The columns <column>_median, _q1, _q3, _n of one seed_bands.csv. */
typedef struct band_columns {
	int median, q1, q3, n;
} band_columns;

static int band_columns_of(const csv_info *c, const char *column, band_columns *b)
{
	char name[160];

	snprintf(name, sizeof name, "%s_median", column);
	b->median = csv_column(c, name);
	snprintf(name, sizeof name, "%s_q1", column);
	b->q1 = csv_column(c, name);
	snprintf(name, sizeof name, "%s_q3", column);
	b->q3 = csv_column(c, name);
	snprintf(name, sizeof name, "%s_n", column);
	b->n = csv_column(c, name);
	/* a log axis: every value drawn must be positive */
	return b->median >= 0 && b->q1 >= 0 && b->q3 >= 0 && b->n >= 0 &&
	       c->positive[b->median] && c->min[b->q1] > 0;
}

/* Figure @d over seeds: per variant the median of its column (a line) and
 * the quartiles (a band behind), from DIR/<variant>/seed_bands.csv. */
static int write_band_figure(pp_figure_set *set, const figure_desc *d, char (*variants)[128],
			     char (*files)[300], const csv_info *bands, int n, pp_error *err)
{
	static char runs[PP_COMPARE_MAX_VARIANTS * PP_COMPARE_MAX_SEEDS][160];
	const char *column = d->panels[0].series[0].column;
	band_columns b[MAX_VARIANTS];
	int has[MAX_VARIANTS], any = 0, first = 1, rc, n_runs, tag = DE_OBJECT_TAG;
	char caption[700], image_title[300];
	pp_atomic_file af;
	pp_error ignored = {0};

	for (int v = 0; v < n; v++)
		any |= has[v] = bands[v].n > 0 && band_columns_of(&bands[v], column, &b[v]);
	if (!any)
		return PP_OK;
	snprintf(caption, sizeof caption, "%s Over seeds: each line is the median at each step, the band behind it the inter-quartile range (25th to 75th percentile), against the step.",
		 d->caption);
	rc = figure_open(set, &af, d->name, d->title, caption, err);
	if (rc)
		return rc;
	prologue(af.f, set, d->name, d->heading, d->width, d->height);
	fputs("# over seeds: each variant's line is the median of its seeds, the shaded band\n"
	      "# between the first and third quartile (DIR/<variant>/" PP_COMPARE_BANDS ")\n", af.f);
	for (int v = 0; v < n; v++)
		if (has[v])
			fprintf(af.f, "# %s: column 1 step, %d %s, %d %s, %d %s, %d %s\n", files[v],
				b[v].median + 1, bands[v].names[b[v].median], b[v].q1 + 1,
				bands[v].names[b[v].q1], b[v].q3 + 1, bands[v].names[b[v].q3],
				b[v].n + 1, bands[v].names[b[v].n]);
	figure_title(image_title, sizeof image_title, set, d, NULL);
	fputs("set title ", af.f);
	gp_string(af.f, image_title);
	fputs("\nset xlabel 'step'\n", af.f);   /* the seeds' times differ: always the step */
	put_text(af.f, d->settings, NULL);
	n_runs = (d->extras & EXTRA_DE_BARS) ?
		 pp_plot_compare_runs(set->dir, runs, PP_COMPARE_MAX_VARIANTS * PP_COMPARE_MAX_SEEDS, &ignored) : 0;
	for (int v = 0; v < n; v++) {
		size_t len = strlen(variants[v]);
		for (int r = 0; has[v] && r < n_runs; r++)
			if (!strncmp(runs[r], variants[v], len) && runs[r][len] == '/')
				de_bars(af.f, set, runs[r], v, n, &bands[v], 0.35, &tag);
	}
	de_note(af.f, tag, n, 1);
	for (int v = 0; v < n; v++) {
		if (!has[v])
			continue;
		fputs(first ? "plot " : ", \\\n     ", af.f);
		gp_string(af.f, files[v]);
		fprintf(af.f, " using 1:%d:%d with filledcurves fc rgb '%s' fs transparent solid 0.2 noborder notitle",
			b[v].q1 + 1, b[v].q3 + 1, line_colors[v % N_COLORS]);
		first = 0;
	}
	for (int v = 0; v < n; v++) {
		char title[200];
		if (!has[v])
			continue;
		snprintf(title, sizeof title, "%s (median of %.0f seeds)", variants[v],
			 bands[v].max[b[v].n]);
		curve(af.f, 0, files[v], 0, b[v].median, "lines lw 2", line_colors[v % N_COLORS], title);
	}
	fputc('\n', af.f);
	return figure_close(set, &af, err);
}

/* A comparison over seeds: its figures from each variant's seed_bands.csv;
 * 0 when no variant has one (a single-seed comparison). */
static int band_figures(pp_figure_set *set, const char *dir, char (*variants)[128], int n,
			int *drawn, pp_error *err)
{
	static char files[MAX_VARIANTS][300];
	csv_info bands[MAX_VARIANTS];
	int any = 0, rc = PP_OK;

	memset(bands, 0, sizeof bands);
	for (int v = 0; v < n; v++) {
		char path[4400];
		pp_error ignored = {0};
		snprintf(files[v], sizeof files[v], "../%.127s/" PP_COMPARE_BANDS, variants[v]);
		if (snprintf(path, sizeof path, "%s/%s/" PP_COMPARE_BANDS, dir, variants[v]) <
			    (int)sizeof path && file_exists(path) &&
		    csv_scan(path, &bands[v], &ignored) == PP_OK)
			any = 1;
	}
	*drawn = any;
	if (any)
		rc = figures_dir(dir, err);
	for (int k = 0; any && !rc && k < N_COMPARE_FIGURES; k++)
		rc = write_band_figure(set, &compare_figures[k], variants, files, bands, n, err);
	for (int v = 0; v < n; v++)
		csv_info_free(&bands[v]);
	return rc;
}

int pp_plot_compare_scripts(const char *dir, const pp_plot_options *opts, pp_figure_set *set,
			    pp_error *err)
{
	static char variants[MAX_VARIANTS][128], files[MAX_VARIANTS][300];
	csv_info m[MAX_VARIANTS];
	figure_data data = {.csv = m, .file = files, .variant = variants,
			    .x_time = opts && opts->x == PP_PLOT_X_TIME};
	int n, over_seeds = 0, rc = set_init(set, dir, 1, opts, err);

	if (rc)
		return rc;
	n = pp_plot_compare_variants(dir, variants, MAX_VARIANTS, err);
	if (n < 0)
		return n;
	rc = band_figures(set, dir, variants, n, &over_seeds, err);
	if (rc || over_seeds)
		return rc;
	memset(m, 0, sizeof m);
	for (int v = 0; v < n; v++) {
		char path[4400];
		pp_error ignored = {0};
		/* a variant without metrics has no curve */
		if (snprintf(files[v], sizeof files[v], "../%s/" PP_RUN_METRICS, variants[v]) <
		    (int)sizeof files[v] &&
		    snprintf(path, sizeof path, "%s/%s/" PP_RUN_METRICS, dir, variants[v]) < (int)sizeof path)
			csv_scan(path, &m[v], &ignored);
	}
	data.n = n;
	rc = figures_dir(dir, err);
	for (size_t k = 0; !rc && k < sizeof compare_figures / sizeof compare_figures[0]; k++)
		rc = write_figure(set, &compare_figures[k], &data, err);
	for (int v = 0; v < n; v++)
		csv_info_free(&m[v]);
	return rc;
}
