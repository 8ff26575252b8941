/* phasepinn — figures and Markdown reports of a run directory or of a
 * comparison directory (private to the CLI).
 *
 * The figures are gnuplot scripts written into DIR/figures/<name>.gp (a
 * user can edit and rerun them there: `gnuplot <name>.gp`), rendered to
 * DIR/figures/<name>.png by running gnuplot on each script.  Only figures
 * whose data the directory holds are made.  See docs/figures.md.
 *
 *   cli/figures.c  which figures a directory has, and their scripts
 *   cli/plot.c     running gnuplot; `phasepinn plot`; plotting after
 *                       `run` and `compare`
 *   cli/report.c   DIR/report.md
 */
#ifndef PHASEPINN_CLI_PLOT_H
#define PHASEPINN_CLI_PLOT_H

#include <phasepinn/config.h>
#include <phasepinn/error.h>

#define PP_PLOT_MAX_FIGURES 48

/* What the time-series figures are drawn against. */
enum pp_plot_x {
	PP_PLOT_X_STEP,     /* the training step (default) */
	PP_PLOT_X_TIME,     /* the wall time, metrics.csv's time_s */
};

/* What gnuplot draws: one file per figure, figures/<name>.<extension>. */
enum pp_plot_format {
	PP_PLOT_PNG,        /* pngcairo, or png where gnuplot lacks cairo */
	PP_PLOT_SVG,        /* gnuplot's svg terminal */
	PP_PLOT_PDF,        /* pdfcairo */
};

/* How a directory is plotted: `phasepinn plot DIR --x time --format svg`,
 * or the run's config.yaml `figures: {x: time, format: svg}`. */
typedef struct pp_plot_options {
	enum pp_plot_x x;
	enum pp_plot_format format;
} pp_plot_options;

/* "png", "svg", "pdf". */
const char *pp_plot_extension(enum pp_plot_format format);

/* The figures: section of the map @root (a run's config.yaml), when it
 * has one, into @opts (its absent keys leave @opts as they are):
 * `x: step|time`, `format: png|svg|pdf`.  PP_ERR_CONFIG "file:line:col:
 * ..." for another value or an unknown key. */
int pp_plot_options_read(const pp_config *root, pp_plot_options *opts, pp_error *err);

typedef struct pp_figure {
	char name[128];     /* stem: figures/<name>.gp draws figures/<name>.<ext> */
	char title[160];    /* its heading in report.md */
	char caption[512];  /* one line under it in report.md: what it shows */
	int made;           /* the image was drawn by the last pp_plot_render */
} pp_figure;

typedef struct pp_figure_set {
	char dir[4096];     /* the run or comparison directory */
	int compare;        /* 1: a comparison directory */
	pp_plot_options opts;
	char label[128];    /* in every figure's title: the experiment or comparison */
	int n;
	pp_figure fig[PP_PLOT_MAX_FIGURES];
} pp_figure_set;

/* Write the scripts of every figure @run_dir has data for into
 * @run_dir/figures/ and list them in @set.  PP_ERR_INVALID when metrics.csv
 * is missing or has no header; PP_ERR_IO when a file cannot be written. */
int pp_plot_run_scripts(const char *run_dir, const pp_plot_options *opts, pp_figure_set *set,
			pp_error *err);

/* The same for a comparison directory (comparison.csv lists the variants,
 * each with its run directory DIR/<variant>/). */
int pp_plot_compare_scripts(const char *dir, const pp_plot_options *opts, pp_figure_set *set,
			    pp_error *err);

/* The names of the variants in @dir/comparison.csv, in order; the count or
 * a negative status. */
int pp_plot_compare_variants(const char *dir, char (*names)[128], int max, pp_error *err);

/* The columns of metrics.csv the comparison figures draw, one per figure
 * (a comparison over seeds writes their median and quartiles per step in
 * DIR/<variant>/seed_bands.csv); the count. */
int pp_plot_band_columns(const char *const **names);

/* The run directories of a comparison, relative to @dir, in order: those
 * @dir/comparison_runs.csv lists ("<variant>/seed-<s>") for a comparison
 * over seeds, else the variants of comparison.csv.  The count or a
 * negative status. */
int pp_plot_compare_runs(const char *dir, char (*runs)[160], int max, pp_error *err);

/* The gnuplot program: $PHASEPINN_GNUPLOT when set, else "gnuplot". */
const char *pp_plot_gnuplot(void);

/* 1 when that program is found (on PATH unless it names a path). */
int pp_plot_gnuplot_available(void);

/* Run gnuplot on every script of @set (in DIR/figures), each image written to
 * a temporary name and renamed when gnuplot succeeded and it is not empty;
 * sets each figure's `made`.  Every figure is tried; the error names the
 * first script that failed and gnuplot's own message. */
int pp_plot_render(pp_figure_set *set, pp_error *err);

/* DIR/report.md, written atomically.  @gnuplot_missing: say in one line how
 * to get the figures instead of embedding them. */
int pp_report_write(const pp_figure_set *set, int gnuplot_missing, pp_error *err);

#endif
