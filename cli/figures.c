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

/* One row's values into @c's ranges, steps and stage changes. */
static void csv_row(csv_info *c, const pp_csv *in, int c_step, int c_stage, long *last_stage)
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
		if (c->rows == 0)
			c->first_step = step;
		c->last_step = step;
		if (c_stage >= 0 && c_stage < n && fields[c_stage][0]) {
			long stage = atol(fields[c_stage]);
			if (*last_stage >= 0 && stage != *last_stage &&
			    c->n_stage_changes < MAX_STAGE_CHANGES)
				c->stage_change[c->n_stage_changes++] = step;
			*last_stage = stage;
		}
	}
	c->rows++;
}

/* Read @path whole with the run directory's CSV reader (core/csv.h).  A
 * missing file is PP_ERR_IO with errno's words; a file without a header
 * line is PP_ERR_INVALID.  A line holding a NUL byte (the zeros a power
 * cut can leave in a file) is skipped: the rest is still worth a figure. */
static int csv_scan(const char *path, csv_info *c, pp_error *err)
{
	int c_step, c_stage, rc;
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
	while ((rc = pp_csv_next(&in, &line_err)) != 0) {
		if (rc == PP_ERR_CONFIG)
			continue;
		if (rc < 0) {
			*err = line_err;
			break;
		}
		csv_row(c, &in, c_step, c_stage, &last_stage);
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
	char path[4200], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/" PP_RUN_PHASES, run_dir);
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
	fputs("# phases (../" PP_RUN_PHASES "): shaded from each transition to the next\n", f);
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
 * the column's name, or `label` followed by the layer number (PICK_LAYERS)
 * and, with `name_after`, by the column's name in parentheses.  In a
 * per-field figure "{term}" in `column` stands for the field. */
typedef struct series_rule {
	enum pick pick;
	const char *column;
	enum need need;
	int required;         /* no figure without such a column */
	int at;               /* PICK_COLUMN: its column number must be this; 0 any */
	const char *style;    /* gnuplot's `with`; NULL: a condition, not drawn */
	const char *label;
	int name_after;
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
};

/* A figure.  In a per-term figure, "{term}" in the name, title, caption, file
 * and settings stands for the term; in a per-field one, for the field.  The script writes, in this order: the
 * prologue, the columns it reads, the shared colour range, the multiplot
 * layout, `settings`, a map's axis labels (the names of the two inputs),
 * `settings_after_labels`, the other extras, each panel, `unset multiplot`. */
typedef struct figure_desc {
	const char *name;      /* figures/<name>.gp */
	const char *title;     /* its heading in report.md */
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
	unsigned extras;
	panel_desc panels[MAX_PANELS];
} figure_desc;

/* Heat-map settings shared by the solution and weight maps. */
#define SEQUENTIAL_PALETTE \
	"set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')\n"
#define DIVERGING_PALETTE \
	"set palette defined (0 '#313695', 0.25 '#74add1', 0.5 '#ffffbf', 0.75 '#f46d43', 1 '#a50026')\n"
#define LOG_Y "set logscale y\nset format y '%.0e'\n"

/* The figures of a run, in the order report.md shows them. */
static const figure_desc run_figures[] = {
	{
		.name = "loss", .title = "Loss", .heading = "Loss per term against the step",
		.caption = "Training loss (weighted total) and each term's mean squared residual against the step, log scale; dashed lines mark where a new optimizer stage began.",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set title 'Loss'\nset xlabel 'step'\nset ylabel 'loss (mean r^2)'\n"
			    LOG_Y "set key top right\n",
		.extras = EXTRA_STAGE_ARROWS,
		.panels = {{.series = {
			{PICK_COLUMN, "loss", NEED_POSITIVE, .required = 1, .style = "lines lw 2"},
			{PICK_PREFIX, "loss_", NEED_POSITIVE, .style = "lines"},
		}}},
	}, {
		.name = "error", .title = "Error against the reference",
		.heading = "Error against the reference solution, by step",
		.caption = "Relative L2 error and maximum absolute error of the prediction on the reference grid against the step, log scale (error analyzer).",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set title 'Error against the reference'\nset xlabel 'step'\nset ylabel 'error'\n"
			    LOG_Y "set key top right\n",
		.panels = {{.series = {
			{PICK_COLUMN, "error_rel_l2", NEED_POSITIVE, .style = "linespoints pt 7 ps 0.6"},
			{PICK_COLUMN, "error_max", NEED_POSITIVE, .style = "linespoints pt 7 ps 0.6"},
			/* several fields: each one's relative L2 error beside the pooled one */
			{PICK_PREFIX, "error_rel_l2_", NEED_POSITIVE, .style = "linespoints pt 6 ps 0.6"},
		}}},
	}, {
		.name = "coefficient_{term}", .title = "Learned coefficient {term}",
		.heading = "A trainable PDE coefficient against the step",
		.caption = "The trainable coefficient {term} of the PDE (an inverse problem's unknown) against the step; dashed lines mark where a new optimizer stage began.",
		.width = 900, .height = 460, .file = PP_RUN_METRICS, .per_prefix = "coef_",
		.settings = "set title 'Coefficient {term}'\nset xlabel 'step'\nset ylabel '{term}'\nset key top right\n",
		.extras = EXTRA_STAGE_ARROWS,
		.panels = {{.series = {
			{PICK_COLUMN, "coef_{term}", NEED_FINITE, .required = 1, .style = "lines lw 2"},
		}}},
	}, {
		.name = "data_validation", .title = "Validation error of the observation data",
		.heading = "Relative L2 error on the held-out observations against the step",
		.caption = "Relative L2 error of the prediction on the observation rows held out for validation (data: validation:), log scale.",
		.width = 900, .height = 460, .file = PP_RUN_METRICS,
		.settings = "set title 'Validation error of the data'\nset xlabel 'step'\nset ylabel 'rel. L2'\n" LOG_Y,
		.extras = EXTRA_STAGE_ARROWS,
		.panels = {{.series = {
			{PICK_COLUMN, "data_val_rel_l2", NEED_POSITIVE, .required = 1,
			 .style = "linespoints pt 7 ps 0.5"},
		}}},
	}, {
		.name = "snr", .title = "Gradient signal-to-noise ratio",
		.heading = "Gradient SNR, whole network and per layer, with the detected phases",
		.caption = "Gradient SNR of the whole network (thick) and of each layer against the step, log scale; shaded: the phases the detector found (blue fitting, orange diffusion, green diffusion equilibrium).",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set title 'Gradient signal-to-noise ratio'\nset xlabel 'step'\nset ylabel 'SNR'\n"
			    LOG_Y "set key top right opaque\n",
		.extras = EXTRA_STEP_RANGE | EXTRA_PHASE_BANDS,
		.panels = {{.series = {
			{PICK_COLUMN, "snr", NEED_POSITIVE, .style = "lines lw 2",
			 .label = "whole network", .name_after = 1},
			{PICK_LAYERS, "snr_l", NEED_POSITIVE, .style = "lines",
			 .label = "layer ", .name_after = 1},
			{PICK_COLUMN, "phase_snr", NEED_POSITIVE, .style = "lines dt 2 lw 1.5",
			 .label = "smoothed, as the detector sees it", .name_after = 1},
			{PICK_COLUMN, "adam_snr", NEED_POSITIVE, .style = "lines dt 3",
			 .label = "Adam's moments", .name_after = 1},
		}}},
	}, {
		.name = "homogeneity", .title = "Homogeneity of the weights (φ_RBA)",
		.heading = "phi_RBA against the step",
		.caption = "φ_RBA = mean(b)/√mean(b²) of the bin-averaged point weights against the step: 1 means every region of the domain carries the same weight.",
		.width = 900, .height = 500, .file = PP_RUN_METRICS,
		.settings = "set title 'Homogeneity of the point weights'\nset xlabel 'step'\nset ylabel 'phi_RBA'\n"
			    "set yrange [0:1.05]\nset key bottom right\n",
		.panels = {{.series = {
			{PICK_COLUMN, "homog_phi", NEED_FINITE, .required = 1,
			 .style = "linespoints pt 7 ps 0.5 lw 1.5"},
		}}},
	}, {
		.name = "information", .title = "Information plane",
		.heading = "H(T) per layer and saturation against the step",
		.caption = "Top: H(T) = I(X;T) in bits of each hidden layer's binned activations against the step (a fall is compression). Bottom: share of saturated activations per layer.",
		.width = 900, .height = 800, .file = PP_RUN_METRICS, .layout = LAYOUT_ROWS,
		.settings = "set xlabel 'step'\nset key outside right top\n",
		.panels = {{
			.settings = "set title 'H(T) per layer'\nset ylabel 'H(T) (bits)'\n",
			.series = {{PICK_LAYERS, "info_h_l", NEED_FINITE,
				    .style = "linespoints pt 7 ps 0.5", .label = "layer "}},
		}, {
			.settings = "set title 'Saturation per layer'\nset ylabel 'saturated share'\nset yrange [0:*]\n",
			.series = {{PICK_LAYERS, "info_sat_l", NEED_FINITE,
				    .style = "linespoints pt 7 ps 0.5", .label = "layer "}},
		}},
	}, {
		/* prediction.csv: <input 1>,<input 2>,u_pred,u_ref,abs_err on a regular grid */
		.name = "solution", .title = "Prediction, reference and error",
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
		.heading = "Final per-point weights lambda over the domain",
		.caption = "The weighting scheme's final per-point weight λ of the {term} term at each of its points (" PP_RUN_WEIGHTS_PREFIX "{term}" PP_RUN_WEIGHTS_SUFFIX ").",
		.width = 800, .height = 640, .file = PP_RUN_WEIGHTS_PREFIX "{term}" PP_RUN_WEIGHTS_SUFFIX, .per_term = 1, .map = 1,
		.settings = "set autoscale fix\nset offsets graph 0.02, graph 0.02, graph 0.02, graph 0.02\n",
		.settings_after_labels = "set cblabel 'lambda'\nset title 'Final weights of term {term}'\n"
					 SEQUENTIAL_PALETTE,
		.panels = {{.series = {
			{PICK_COLUMN, "lambda", NEED_VARYING, .required = 1, .at = 5,
			 .style = "points pt 7 ps 0.6 lc palette"},
			{PICK_COLUMN, "r", NEED_HEADER, .required = 1, .at = 3},
		}}},
	},
};

/* The figures of a comparison: one curve per variant that has the column. */
static const figure_desc compare_figures[] = {
	{
		.name = "compare_error", .title = "Relative L2 error of every variant",
		.heading = "Relative L2 error of every variant",
		.caption = "Relative L2 error against the reference of every variant against the step, log scale.",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set title 'Relative L2 error of every variant'\nset xlabel 'step'\n"
			    "set ylabel 'rel. L2 error'\n" LOG_Y "set key top right\n",
		.panels = {{.series = {
			{PICK_COLUMN, "error_rel_l2", NEED_POSITIVE, .style = "linespoints pt 7 ps 0.5"},
		}}},
	}, {
		.name = "compare_snr", .title = "Gradient SNR of every variant",
		.heading = "Gradient SNR of every variant",
		.caption = "Whole-network gradient SNR of every variant against the step, log scale.",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set title 'Gradient SNR of every variant'\nset xlabel 'step'\n"
			    "set ylabel 'SNR'\n" LOG_Y "set key top right\n",
		.panels = {{.series = {{PICK_COLUMN, "snr", NEED_POSITIVE, .style = "lines"}}}},
	}, {
		.name = "compare_loss", .title = "Training loss of every variant",
		.heading = "Training loss of every variant",
		.caption = "Training loss (weighted total) of every variant against the step, log scale.",
		.width = 900, .height = 560, .file = PP_RUN_METRICS,
		.settings = "set title 'Training loss of every variant'\nset xlabel 'step'\n"
			    "set ylabel 'loss'\n" LOG_Y "set key top right\n",
		.panels = {{.series = {{PICK_COLUMN, "loss", NEED_POSITIVE, .style = "lines"}}}},
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
static int plan_figure(figure_plan *plan, const figure_desc *d, const figure_data *data)
{
	memset(plan, 0, sizeof *plan);
	for (int p = 0; p < MAX_PANELS; p++) {
		int before = plan->n;
		for (int s = 0; s < MAX_SERIES && d->panels[p].series[s].column; s++) {
			const series_rule *r = &d->panels[p].series[s];
			int taken = 0;
			for (int v = 0; v < data->n; v++) {
				int x = d->map ? -1 : csv_column(&data->csv[v], "step");
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
		cols[n++] = csv_column(data->csv, "step");
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

static void stage_arrows(FILE *f, const csv_info *m)
{
	for (int s = 0; s < m->n_stage_changes; s++)
		fprintf(f, "set arrow from first %ld, graph 0 to first %ld, graph 1 nohead dt 2 lc rgb '#555555'\n",
			m->stage_change[s], m->stage_change[s]);
}

static void curve_title(char *out, size_t size, const picked_curve *c, const figure_data *data)
{
	const char *name = data->csv[c->src].names[c->y];
	const series_rule *r = c->rule;

	if (data->variant)
		snprintf(out, size, "%s", data->variant[c->src]);
	else if (!r->label)
		snprintf(out, size, "%s", name);
	else if (r->name_after)
		snprintf(out, size, "%s%s (%s)", r->label,
			 r->pick == PICK_LAYERS ? name + strlen(r->column) : "", name);
	else
		snprintf(out, size, "%s%s", r->label,
			 r->pick == PICK_LAYERS ? name + strlen(r->column) : "");
}

/* Panel @p: its settings and its plot command. */
static void write_panel(FILE *f, const figure_desc *d, const figure_data *data,
			const figure_plan *plan, int p)
{
	int k = 0, n = 0;

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
			      data->variant ? c->src : k, title);
		}
		k++;
	}
	fputc('\n', f);
}

/* The script of @d drawn from @data, when @data has what it needs. */
static int write_figure(pp_figure_set *set, const figure_desc *d, const figure_data *data,
			pp_error *err)
{
	char name[sizeof set->fig[0].name], title[160], caption[512];
	figure_plan plan;
	pp_atomic_file af;
	int rc;

	if (!plan_figure(&plan, d, data))
		return PP_OK;
	fill_term(name, sizeof name, d->name, data->term);
	fill_term(title, sizeof title, d->title, data->term);
	fill_term(caption, sizeof caption, d->caption, data->term);
	rc = figure_open(set, &af, name, title, caption, err);
	if (rc)
		return rc;
	prologue(af.f, name, d->heading, d->width, d->height);
	if (!data->variant)
		run_columns_comment(af.f, d, data, &plan);
	if (d->extras & EXTRA_SHARED_RANGE)
		shared_range(af.f, data, &plan);
	if (d->layout == LAYOUT_ROWS)
		fprintf(af.f, "set multiplot layout %d,1\n", plan.panels);
	else if (d->layout == LAYOUT_COLUMNS)
		fprintf(af.f, "set multiplot layout 1,%d\n", plan.panels);
	put_text(af.f, d->settings, data->term);
	if (d->map)
		input_labels(af.f, data->csv);
	put_text(af.f, d->settings_after_labels, data->term);
	if (d->extras & EXTRA_STEP_RANGE)
		fprintf(af.f, "set xrange [%ld:%ld]\n", data->csv->first_step,
			data->csv->last_step > data->csv->first_step ?
			data->csv->last_step : data->csv->first_step + 1);
	if (d->extras & EXTRA_STAGE_ARROWS)
		stage_arrows(af.f, data->csv);
	if (d->extras & EXTRA_PHASE_BANDS)
		phase_bands(af.f, set->dir, data->csv);
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
 * once; another file is read when it is there. */
static int run_figure(pp_figure_set *set, const figure_desc *d, const csv_info *m,
		      const char *term, pp_error *err)
{
	char file[256], path[4200], shown[1][300];
	figure_data data = {.n = 1, .csv = m, .file = shown, .term = term};
	csv_info own;
	int rc;

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
	rc = figures_dir(run_dir, err);
	for (size_t k = 0; !rc && k < sizeof run_figures / sizeof run_figures[0]; k++) {
		const figure_desc *d = &run_figures[k];
		const char *prefix = d->per_prefix ? d->per_prefix : "loss_";
		if (!d->per_term && !d->per_prefix) {
			rc = run_figure(set, d, &m, NULL, err);
			continue;
		}
		for (int i = 0; !rc && i < m.n; i++)
			if (starts_with(m.names[i], prefix))
				rc = run_figure(set, d, &m, m.names[i] + strlen(prefix), err);
	}
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
	const char *column = d->panels[0].series[0].column;
	band_columns b[MAX_VARIANTS];
	int has[MAX_VARIANTS], any = 0, first = 1, rc;
	char caption[512];
	pp_atomic_file af;

	for (int v = 0; v < n; v++)
		any |= has[v] = bands[v].n > 0 && band_columns_of(&bands[v], column, &b[v]);
	if (!any)
		return PP_OK;
	snprintf(caption, sizeof caption, "%s Over seeds: each line is the median at each step, the band behind it the inter-quartile range (25th to 75th percentile).",
		 d->caption);
	rc = figure_open(set, &af, d->name, d->title, caption, err);
	if (rc)
		return rc;
	prologue(af.f, d->name, d->heading, d->width, d->height);
	fputs("# over seeds: each variant's line is the median of its seeds, the shaded band\n"
	      "# between the first and third quartile (DIR/<variant>/" PP_COMPARE_BANDS ")\n", af.f);
	for (int v = 0; v < n; v++)
		if (has[v])
			fprintf(af.f, "# %s: column 1 step, %d %s, %d %s, %d %s, %d %s\n", files[v],
				b[v].median + 1, bands[v].names[b[v].median], b[v].q1 + 1,
				bands[v].names[b[v].q1], b[v].q3 + 1, bands[v].names[b[v].q3],
				b[v].n + 1, bands[v].names[b[v].n]);
	put_text(af.f, d->settings, NULL);
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
		curve(af.f, 0, files[v], 0, b[v].median, "lines lw 2", v, title);
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

int pp_plot_compare_scripts(const char *dir, pp_figure_set *set, pp_error *err)
{
	static char variants[MAX_VARIANTS][128], files[MAX_VARIANTS][300];
	csv_info m[MAX_VARIANTS];
	figure_data data = {.csv = m, .file = files, .variant = variants};
	int n, over_seeds = 0, rc = set_init(set, dir, 1, err);

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
