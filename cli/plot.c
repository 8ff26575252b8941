/* phasepinn — `plot DIR`, and the figures and report made at the end of
 * `run` and `compare` (see cli/plot.h, docs/figures.md).
 *
 * gnuplot runs once per script, in DIR/figures, as `gnuplot -e
 * "pp_output='<name>.png.tmp'" <name>.gp`; the PNG is renamed into place
 * only when gnuplot exits 0 and the file is not empty, so a figure is never
 * seen half-drawn and a gnuplot error is reported with gnuplot's own words.
 * $PHASEPINN_GNUPLOT names another gnuplot program (a path or a name looked
 * up on PATH); the tests use it to simulate a machine without gnuplot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/plot.h"
#include "core/rundir.h"

#define MAX_RUNS 3200     /* variants × seeds (cli/compare.h) */

/* --no-plot; and the one hint line when gnuplot is missing. */
static int plotting = 1;
static int gnuplot_missing;
static char hint_dir[4096];

void pp_cli_set_plotting(int on)
{
	plotting = on;
}

const char *pp_plot_gnuplot(void)
{
	const char *p = getenv("PHASEPINN_GNUPLOT");

	return p && *p ? p : "gnuplot";
}

int pp_plot_gnuplot_available(void)
{
	const char *prog = pp_plot_gnuplot(), *path = getenv("PATH");
	char buf[4096];

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		if (snprintf(buf, sizeof buf, "%.*s/%s", (int)len, len ? path : ".", prog) <
			    (int)sizeof buf &&
		    access(buf, X_OK) == 0)
			return 1;
		path += len + (path[len] == ':');
	}
	return 0;
}

/* The last non-empty line of gnuplot's output: its error, which names the
 * script and line ("loss.gp" line 12: ...). */
static void last_line(char *text, char *out, size_t size)
{
	char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	*end = '\0';
	start = strrchr(text, '\n');
	start = start ? start + 1 : text;
	snprintf(out, size, "%s", *start ? start : "no message");
}

/* Run gnuplot on @dir/<name>.gp with @dir as working directory; its output
 * (stdout and stderr) into @out.  The exit status, 127 when gnuplot could
 * not be started, -1 when no process could be made. */
static int run_gnuplot(const char *dir, const char *name, const char *ext, char *out, size_t size)
{
	char script[256], output_arg[320];
	char *const argv[] = {(char *)pp_plot_gnuplot(), "-e", output_arg, script, NULL};
	int fds[2], status;
	size_t used = 0;
	pid_t pid;

	snprintf(script, sizeof script, "%s.gp", name);
	snprintf(output_arg, sizeof output_arg, "pp_output='%s.%s.tmp'", name, ext);
	out[0] = '\0';
	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) < 0 || dup2(fds[1], STDERR_FILENO) < 0 ||
		    chdir(dir) != 0)
			_exit(126);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t got;
		if (used == size - 1) {
			/* full: keep the newer half, gnuplot's error comes last */
			size_t keep = (size - 1) / 2;
			memmove(out, out + used - keep, keep);
			used = keep;
		}
		got = read(fds[0], out + used, size - 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		used += (size_t)got;
	}
	out[used] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int render_one(const char *figdir, const char *ext, pp_figure *fig, pp_error *err)
{
	char tmp[4400], png[4400], output[8192], message[512];
	struct stat st;
	int status;

	snprintf(tmp, sizeof tmp, "%s/%s.%s.tmp", figdir, fig->name, ext);
	snprintf(png, sizeof png, "%s/%s.%s", figdir, fig->name, ext);
	/* gnuplot opens the temporary file by name and would follow a link
	 * there: both names are recorded first and a link is refused (the
	 * rename then replaces a link at the PNG's name, never its target) */
	if (pp_rundir_prepare(tmp, 0, err) || pp_rundir_prepare(png, 0, err))
		return err->code;
	if (lstat(tmp, &st) == 0 && !S_ISREG(st.st_mode))
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s is not a regular file (a symbolic link?); phasepinn does not write through links in a run directory: remove it",
				    tmp);
	status = run_gnuplot(figdir, fig->name, ext, output, sizeof output);
	if (status == 0 && stat(tmp, &st) == 0 && st.st_size > 0 && rename(tmp, png) == 0) {
		fig->made = 1;
		return PP_OK;
	}
	unlink(tmp);
	if (status == 127)
		return pp_error_set(err, PP_ERR_IO, "cannot run '%s' on %s/%s.gp: not installed?",
				    pp_plot_gnuplot(), figdir, fig->name);
	if (status != 0) {
		last_line(output, message, sizeof message);
		return pp_error_set(err, PP_ERR_IO, "gnuplot failed on %s/%s.gp (exit %d): %s",
				    figdir, fig->name, status, message);
	}
	return pp_error_set(err, PP_ERR_IO, "gnuplot ran %s/%s.gp but drew no image",
			    figdir, fig->name);
}

int pp_plot_render(pp_figure_set *set, pp_error *err)
{
	char figdir[4200];
	pp_error one;
	int rc = PP_OK;

	snprintf(figdir, sizeof figdir, "%s/" PP_RUN_FIGURES, set->dir);
	for (int i = 0; i < set->n; i++) {
		pp_error_clear(&one);
		if (render_one(figdir, pp_plot_extension(set->opts.format), &set->fig[i], &one) && !rc) {
			rc = one.code;
			if (err)
				*err = one;
		}
	}
	return rc;
}

int pp_plot_options_read(const pp_config *root, pp_plot_options *opts, pp_error *err)
{
	static const char *const axes[] = {"step", "time", NULL};
	static const char *const formats[] = {"png", "svg", "pdf", NULL};
	const pp_config *fig = pp_config_get(root, "figures");
	int x = opts->x, format = opts->format, rc;

	if (!fig)
		return PP_OK;
	if (pp_config_node_type(fig) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, fig,
				       "figures: is a map, e.g. figures: {x: time, format: svg}");
	rc = pp_config_choice(fig, "x", axes[x], axes, &x, err);
	if (!rc)
		rc = pp_config_choice(fig, "format", formats[format], formats, &format, err);
	if (!rc)
		rc = pp_config_check_unknown(fig, "figures", err);
	if (rc)
		return rc;
	opts->x = (enum pp_plot_x)x;
	opts->format = (enum pp_plot_format)format;
	return PP_OK;
}

/* The options @dir's own configuration gives (a run's config.yaml; for a
 * comparison its first run's), then those of the command line. */
static int dir_options(const char *dir, int compare, const pp_plot_options *given,
		       const unsigned char *set_x_format, pp_plot_options *opts, pp_error *err)
{
	static char runs[MAX_RUNS][160];
	char path[8400];
	pp_config_doc *doc = NULL;
	pp_error ignored = {0};
	int rc = PP_OK;

	memset(opts, 0, sizeof *opts);
	if (!compare)
		snprintf(path, sizeof path, "%s/" PP_RUN_CONFIG, dir);
	else if (pp_plot_compare_runs(dir, runs, MAX_RUNS, &ignored) > 0)
		snprintf(path, sizeof path, "%s/%s/" PP_RUN_CONFIG, dir, runs[0]);
	else
		path[0] = '\0';
	/* a run without config.yaml (made by hand) has the defaults */
	if (path[0] && pp_config_doc_load(path, &doc, &ignored) == PP_OK)
		rc = pp_plot_options_read(pp_config_doc_root(doc), opts, err);
	pp_config_doc_destroy(doc);
	if (set_x_format[0])
		opts->x = given->x;
	if (set_x_format[1])
		opts->format = given->format;
	return rc;
}

/* What `plot` was told on its command line: --x, --format. */
static pp_plot_options cli_options;
static unsigned char cli_given[2];

/* Scripts, images (when gnuplot is there) and report.md of one directory.
 * *missing is set when gnuplot is not installed. */
static int plot_dir(const char *dir, int compare, int *missing, int *n_made, pp_error *err)
{
	static pp_figure_set set;  /* large; the CLI is single-threaded */
	pp_error render_err = {0};
	pp_plot_options opts;
	pp_rundir *rd = NULL;
	int rc = dir_options(dir, compare, &cli_options, cli_given, &opts, err);

	*missing = !pp_plot_gnuplot_available();
	*n_made = 0;
	/* what it writes goes into the directory's manifest (run and compare
	 * have the directory open already; `plot DIR` opens it here) */
	if (!rc && !pp_rundir_is_open(dir))
		rc = pp_rundir_open(dir, 0, NULL, &rd, err);
	if (!rc)
		rc = compare ? pp_plot_compare_scripts(dir, &opts, &set, err)
			     : pp_plot_run_scripts(dir, &opts, &set, err);
	if (rc)
		goto cleanup;
	if (!*missing)
		rc = pp_plot_render(&set, &render_err);
	for (int i = 0; i < set.n; i++)
		*n_made += set.fig[i].made;
	if (pp_report_write(&set, *missing, err)) {
		rc = err->code;
		goto cleanup;
	}
	if (rc)
		*err = render_err;
cleanup:
	pp_rundir_close(rd);
	return rc;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_file(const char *dir, const char *name)
{
	char path[8400];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* A comparison directory: its runs first (every variant's, or over seeds
 * every variant's seeds), then the comparison. */
static int plot_compare_tree(const char *dir, int *missing, int *n_made, pp_error *err)
{
	static char names[MAX_RUNS][160];
	int n = pp_plot_compare_runs(dir, names, MAX_RUNS, err), made, rc = PP_OK;

	*n_made = 0;
	for (int v = 0; v < n && !rc; v++) {
		char sub[4096];
		if (snprintf(sub, sizeof sub, "%s/%s", dir, names[v]) >= (int)sizeof sub)
			continue;
		if (!has_file(sub, PP_RUN_METRICS))
			continue;
		rc = plot_dir(sub, 0, missing, &made, err);
		*n_made += made;
	}
	if (n < 0)
		return n;
	if (!rc) {
		rc = plot_dir(dir, 1, missing, &made, err);
		*n_made += made;
	}
	return rc;
}

#define PLOT_USAGE "phasepinn plot DIR [--x step|time] [--format png|svg|pdf]"

/* --x step|time, --format png|svg|pdf; 0, or 1 with the message printed. */
static int option_value(const char *opt, const char *value)
{
	static const char *const axes[] = {"step", "time"};
	static const char *const formats[] = {"png", "svg", "pdf"};
	int is_x = !strcmp(opt, "--x");
	const char *const *names = is_x ? axes : formats;
	int n = is_x ? 2 : 3;

	for (int k = 0; value && k < n; k++) {
		if (strcmp(value, names[k]))
			continue;
		if (is_x)
			cli_options.x = (enum pp_plot_x)k;
		else
			cli_options.format = (enum pp_plot_format)k;
		cli_given[!is_x] = 1;
		return 0;
	}
	fprintf(stderr, "phasepinn plot: %s %s: give %s\n", opt, value ? value : "(nothing)",
		is_x ? "step or time" : "png, svg or pdf");
	return 1;
}

int pp_cli_plot(int argc, char **argv)
{
	const char *dir = NULL;
	int missing = 0, made = 0, rc;
	pp_error err = {0};

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-' && !dir) {
			dir = argv[i];
			continue;
		}
		if (!strcmp(argv[i], "--x") || !strcmp(argv[i], "--format")) {
			if (option_value(argv[i], i + 1 < argc ? argv[i + 1] : NULL))
				return PP_EXIT_USAGE;
			i++;
			continue;
		}
		fprintf(stderr, "phasepinn plot: unexpected argument '%s'; usage: " PLOT_USAGE "\n",
			argv[i]);
		return PP_EXIT_USAGE;
	}
	if (!dir) {
		fprintf(stderr, "phasepinn plot: which directory? usage: " PLOT_USAGE "\n");
		return PP_EXIT_USAGE;
	}
	if (!is_dir(dir)) {
		fprintf(stderr, "phasepinn plot: %s: no such directory\n", dir);
		return PP_EXIT_USAGE;
	}
	if (has_file(dir, PP_RUN_METRICS))
		rc = plot_dir(dir, 0, &missing, &made, &err);
	else if (has_file(dir, PP_COMPARE_TABLE))
		rc = plot_compare_tree(dir, &missing, &made, &err);
	else {
		fprintf(stderr, "phasepinn plot: %s/" PP_RUN_METRICS ": not found; %s is not a run directory (nor a comparison with " PP_COMPARE_TABLE ")\n",
			dir, dir);
		return PP_EXIT_USAGE;
	}
	if (rc) {
		fprintf(stderr, "phasepinn plot: %s\n", err.message);
		/* a directory that is not one, or a wrong figures: key: usage */
		return rc == PP_ERR_INVALID || rc == PP_ERR_CONFIG ? PP_EXIT_USAGE : PP_EXIT_FAILED;
	}
	if (missing) {
		fprintf(stderr, "phasepinn plot: gnuplot not found ('%s'); install it (apt-get install gnuplot-nox) and rerun; the scripts are in %s/" PP_RUN_FIGURES ", the report in %s/" PP_RUN_REPORT "\n",
			pp_plot_gnuplot(), dir, dir);
		return PP_EXIT_FAILED;
	}
	if (has_file(dir, PP_RUN_METRICS))
		printf("%d figure(s) in %s/" PP_RUN_FIGURES "; report: %s/" PP_RUN_REPORT "\n", made, dir, dir);
	else
		printf("%d figure(s) in %s/" PP_RUN_FIGURES " and its runs' " PP_RUN_FIGURES "/; report: %s/" PP_RUN_REPORT "\n",
		       made, dir, dir);
	return PP_EXIT_OK;
}

/* After a run or a comparison: never changes its exit code.  A gnuplot
 * error is one warning line; a missing gnuplot one hint for the whole
 * process (pp_cli_plot_hint). */
static void plot_after(const char *dir, int compare, int quiet)
{
	pp_error err = {0};
	int missing = 0, made = 0;

	if (plot_dir(dir, compare, &missing, &made, &err)) {
		fprintf(stderr, "phasepinn: warning: figures of %s: %s\n", dir, err.message);
		return;
	}
	if (missing) {
		gnuplot_missing = !quiet;
		snprintf(hint_dir, sizeof hint_dir, "%s", dir);
	} else if (!quiet) {
		fprintf(stderr, "phasepinn: %d figure(s) and report: %s/" PP_RUN_REPORT "\n", made, dir);
	}
}

void pp_cli_plot_after_run(const char *run_dir, int plot, int quiet)
{
	if (plotting && plot)
		plot_after(run_dir, 0, quiet);
}

/* The comparison's figures are made unless --no-plot, or every variant's
 * resolved config.yaml says logging: {plot: false}. */
static int variants_want_plots(const char *dir)
{
	static char names[MAX_RUNS][160];
	pp_error err = {0};
	int n = pp_plot_compare_runs(dir, names, MAX_RUNS, &err);

	for (int v = 0; v < n; v++) {
		char path[8400];
		pp_config_doc *doc = NULL;
		int plot = 1;
		snprintf(path, sizeof path, "%s/%.159s/" PP_RUN_CONFIG, dir, names[v]);
		if (pp_config_doc_load(path, &doc, &err) == PP_OK)
			pp_config_bool(pp_config_get(pp_config_doc_root(doc), "logging"), "plot", 1,
				       &plot, &err);
		pp_config_doc_destroy(doc);
		pp_error_clear(&err);
		if (plot)
			return 1;
	}
	return n <= 0;
}

void pp_cli_plot_after_compare(const char *dir, int quiet)
{
	if (plotting && variants_want_plots(dir))
		plot_after(dir, 1, quiet);
}

void pp_cli_plot_hint(void)
{
	if (!gnuplot_missing)
		return;
	fprintf(stderr, "phasepinn: no figures: gnuplot is not installed; apt-get install gnuplot-nox, then phasepinn plot %s\n",
		hint_dir);
	gnuplot_missing = 0;
}
