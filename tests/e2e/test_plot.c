/* phasepinn plot: the gnuplot scripts name the right files and columns, only
 * figures with data are made, PNGs are drawn when gnuplot is installed, a
 * gnuplot error is reported, and without gnuplot `run` and `compare` still
 * succeed with one hint line and a report.md.
 *
 * A machine without gnuplot is simulated with PHASEPINN_GNUPLOT (the program
 * phasepinn runs instead of gnuplot) pointing nowhere, or PATH without it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_plot_XXXXXX";

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* gnuplot on PATH, as phasepinn looks for it. */
static int have_gnuplot(void)
{
	return pp_shell("command -v gnuplot >/dev/null") == 0;
}

/* A run directory by hand: SNR with two layers and a phase column, an
 * error every 20 steps, an empty homogeneity column (analyzer present in
 * the header, never ran) and no information columns. */
static void write_fixture(const char *run)
{
	char name[256];

	snprintf(name, sizeof name, "mkdir -p %s", run);
	CU_ASSERT_EQUAL_FATAL(pp_shell("%s", name), 0);
	snprintf(name, sizeof name, "%s/metrics.csv", run);
	pp_shell_write(name,
		   "step,stage,loss,lr,time_s,loss_residual,weight_residual,snr,snr_l1,snr_l2,phase,phase_snr,error_rel_l2,error_max,homog_phi\n"
		   "0,0,1.0,0.001,0.1,0.9,1,50,40,60,0,50,0.9,1.2,\n"
		   "10,0,0.5,0.001,0.2,0.4,1,10,9,11,0,30,,,\n"
		   "20,0,0.2,0.001,0.3,0.15,1,0.1,0.09,0.2,1,5,0.5,0.8,\n"
		   "30,1,0.1,,0.4,0.08,1,0.05,0.04,0.06,1,0.5,,,\n"
		   "40,1,0.05,,0.5,0.04,1,2,1.5,2.5,2,1.2,0.1,0.3,\n");
	snprintf(name, sizeof name, "%s/phases.txt", run);
	pp_shell_write(name, "diffusion 20\nequilibrium 40\n");
	snprintf(name, sizeof name, "%s/prediction.csv", run);
	pp_shell_write(name, "x,t,u_pred,u_ref,abs_err\n"
			 "-1,0,0.1,0,0.1\n-1,1,0.2,0.1,0.1\n"
			 "0,0,0.3,0.3,0\n0,1,0.4,0.5,0.1\n"
			 "1,0,0.6,0.5,0.1\n1,1,0.7,0.7,0\n");
	snprintf(name, sizeof name, "%s/weights_residual.csv", run);
	pp_shell_write(name, "x,t,r,w,lambda\n0.1,0.2,0.3,0.01,0.1\n-0.5,0.7,-0.2,0.04,0.2\n0.9,0.4,0.1,0.09,0.3\n");
	snprintf(name, sizeof name, "%s/summary.json", run);
	pp_shell_write(name,
		   "{\n  \"name\": \"fixture\",\n  \"config\": \"fx.yaml\",\n  \"status\": \"completed\",\n"
		   "  \"error\": null,\n  \"pde\": \"burgers\",\n  \"weighting\": \"rba\",\n"
		   "  \"network\": \"2-[8 tanh]-1\",\n  \"steps\": 40,\n  \"seconds\": 0.5,\n"
		   "  \"final_loss\": 0.05,\n  \"stages\": [\n"
		   "    {\"optimizer\": \"adam\", \"iterations\": 30, \"steps\": 30, \"stop\": \"completed 30 iterations\"},\n"
		   "    {\"optimizer\": \"lbfgs\", \"iterations\": 10, \"steps\": 10, \"stop\": \"converged: {tiny} step\"}\n"
		   "  ],\n  \"final\": {\n    \"loss\": 0.05,\n    \"error_rel_l2\": 0.1,\n    \"error_max\": 0.3\n  }\n}\n");
}

static void test_scripts_name_the_data_files_and_columns(void)
{
	char *text, first[8192];

	write_fixture("fx");
	/* no gnuplot: the scripts and the report are still written, exit 1 */
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot fx"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "apt-get install gnuplot-nox"));

	text = pp_shell_slurp("fx/figures/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# columns of ../metrics.csv: 1 step, 3 loss, 6 loss_residual\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../metrics.csv' using 1:3 with lines lw 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../metrics.csv' using 1:6 with lines"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'residual loss (mean r^2)'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set logscale y"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set arrow from first 30, graph 0"));  /* stage 2 began */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set terminal pngcairo"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set terminal png size"));              /* the fallback */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "pp_output = 'loss.png'"));
	CU_ASSERT_FATAL(strlen(text) < sizeof first);
	memcpy(first, text, strlen(text) + 1);

	text = pp_shell_slurp("fx/figures/error.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "using 1:13 with linespoints"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'relative L2 error'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "using 1:14 with linespoints"));

	text = pp_shell_slurp("fx/figures/snr.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "1 step, 8 snr, 9 snr_l1, 10 snr_l2, 12 phase_snr"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../metrics.csv' using 1:8 with lines lw 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'raw SNR, layer 2'"));
	/* phases shaded from phases.txt: fitting 0-20, diffusion 20-40 */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set object 1 rectangle from first 0, graph 0 to first 20, graph 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set object 2 rectangle from first 20, graph 0 to first 40, graph 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'diffusion' at first 20"));

	text = pp_shell_slurp("fx/figures/solution.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "plot '../prediction.csv' using 1:2:3 with image"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "plot '../prediction.csv' using 1:2:4 with image"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "plot '../prediction.csv' using 1:2:5 with image"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set xlabel 'x'"));

	text = pp_shell_slurp("fx/figures/weights_residual.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "plot '../weights_residual.csv' using 1:2:5 with points"));

	/* no data, no figure: homog_phi is empty, no info_ columns */
	CU_ASSERT_EQUAL(pp_shell_size("fx/figures/homogeneity.gp"), -1);
	CU_ASSERT_EQUAL(pp_shell_size("fx/figures/information.gp"), -1);

	text = pp_shell_slurp("fx/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# fixture\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| PDE | burgers |"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| final rel. L2 error | 1.000e-01 |"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| 2 | lbfgs | 10 | 10 | converged: {tiny} step |"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| equilibrium | 40 |"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "gnuplot is not installed"));
	CU_ASSERT_PTR_NULL(strstr(text, "!["));   /* nothing drawn, nothing embedded */

	/* deterministic: the same data, the same script */
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot fx"), 1);
	text = pp_shell_slurp("fx/figures/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, first);
}

static int is_png(const char *name)
{
	char *text = pp_shell_slurp(name);

	return text && pp_shell_size(name) > 100 && !memcmp(text, "\x89PNG", 4);
}

static void test_pngs_are_drawn_when_gnuplot_is_installed(void)
{
	static const char *const figures[] = {"loss", "error", "snr", "solution", "weights_residual"};
	char name[256], *text;

	if (!have_gnuplot()) {
		pp_test_skip("gnuplot is not on PATH (apt-get install gnuplot-nox)");
		return;
	}
	write_fixture("fx_png");
	CU_ASSERT_EQUAL_FATAL(pp_shell("\"$PP_TEST_EXE\" plot fx_png"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "5 figure(s) in fx_png/figures"));
	for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++) {
		snprintf(name, sizeof name, "fx_png/figures/%s.png", figures[i]);
		CU_ASSERT_TRUE(is_png(name));
	}
	CU_ASSERT_EQUAL(pp_shell("ls fx_png/figures | grep -c tmp"), 1);  /* grep found none */
	text = pp_shell_slurp("fx_png/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "![Loss](figures/loss.png)\n\nTraining loss"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "(figures/snr.png)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "(figures/weights_residual.png)"));
}

/* A gnuplot that fails: its message reaches the user, no PNG appears. */
static void test_a_gnuplot_error_is_reported(void)
{
	char *text;

	write_fixture("fx_bad");
	pp_shell_write("fake_gnuplot.sh", "#!/bin/sh\necho \"\\\"$3\\\" line 3: boom, no such thing\" >&2\nexit 1\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell("chmod +x fake_gnuplot.sh"), 0);
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=$PWD/fake_gnuplot.sh \"$PP_TEST_EXE\" plot fx_bad"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "gnuplot failed on fx_bad/figures/loss.gp (exit 1)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "line 3: boom"));
	CU_ASSERT_EQUAL(pp_shell_size("fx_bad/figures/loss.png"), -1);
	CU_ASSERT_EQUAL(pp_shell_size("fx_bad/figures/loss.png.tmp"), -1);
	text = pp_shell_slurp("fx_bad/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "gnuplot failed on these scripts"));
	/* after a run it is a warning: the run itself succeeded */
	pp_shell_write("bad_run.yaml", "pde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
				   "network:\n  layers: [4]\nstages:\n  - optimizer: adam\n    iterations: 5\n"
				   "output: out_bad_run\n");
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=$PWD/fake_gnuplot.sh \"$PP_TEST_EXE\" run bad_run.yaml --quiet"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "phasepinn: warning: figures of out_bad_run: gnuplot failed on"));
}

#define TINY \
	"pde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n    initial: {points: 50}\n" \
	"    boundary: {points: 50}\nnetwork:\n  layers: [8, 8]\nstages:\n" \
	"  - optimizer: adam\n    iterations: 30\n" \
	"analyzers:\n  - {type: snr, every: 5, chunks: 10}\n  - {type: phases, every: 5, chunks: 10}\n" \
	"  - {type: error, every: 10, grid: [16, 12]}\nlogging:\n  every: 10\n"
#define TINY_RBA TINY "weighting: {type: rba}\n"

/* No gnuplot: run and compare exit 0, one hint line, report.md written. */
static void test_without_gnuplot_runs_succeed_with_one_hint(void)
{
	char *text;

	pp_shell_write("nogp.yaml", TINY_RBA "output: out_nogp\n");
	CU_ASSERT_EQUAL(pp_shell("PATH=/nonexistent \"$PP_TEST_EXE\" run nogp.yaml"), 0);
	CU_ASSERT_EQUAL(count(pp_shell_output, "apt-get install gnuplot-nox"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "phasepinn: no figures: gnuplot is not installed; apt-get install gnuplot-nox, then phasepinn plot out_nogp\n"));
	CU_ASSERT_TRUE(pp_shell_size("out_nogp/report.md") > 0);
	CU_ASSERT_TRUE(pp_shell_size("out_nogp/figures/snr.gp") > 0);
	CU_ASSERT_EQUAL(pp_shell_size("out_nogp/figures/snr.png"), -1);
	/* --quiet: nothing at all */
	CU_ASSERT_EQUAL(pp_shell("PATH=/nonexistent \"$PP_TEST_EXE\" run nogp.yaml --force --quiet"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "");

	/* compare: one hint for the whole comparison, naming its directory */
	pp_shell_write("va.yaml", TINY_RBA "name: va\n");
	pp_shell_write("vb.yaml", TINY "name: vb\nweighting: {type: none}\n");
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" compare va.yaml vb.yaml --output cmp_nogp"), 0);
	CU_ASSERT_EQUAL(count(pp_shell_output, "apt-get install gnuplot-nox"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "then phasepinn plot cmp_nogp\n"));
	CU_ASSERT_TRUE(pp_shell_size("cmp_nogp/va/report.md") > 0);
	text = pp_shell_slurp("cmp_nogp/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| variant | rel. L2 |"));   /* the comparison table */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "- [va](va/report.md)"));
	text = pp_shell_slurp("cmp_nogp/figures/compare_error.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "plot '../va/metrics.csv' using 1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../vb/metrics.csv' using 1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'vb'"));
	CU_ASSERT_TRUE(pp_shell_size("cmp_nogp/figures/compare_snr.gp") > 0);
}

/* A real run and a comparison, drawn by gnuplot at the end. */
static void test_run_and_compare_draw_their_figures(void)
{
	char *text;

	if (!have_gnuplot()) {
		pp_test_skip("gnuplot is not on PATH (apt-get install gnuplot-nox)");
		return;
	}
	pp_shell_write("real.yaml", TINY_RBA "output: out_real\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell("\"$PP_TEST_EXE\" run real.yaml"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "figure(s) and report: out_real/report.md"));
	CU_ASSERT_TRUE(is_png("out_real/figures/loss.png"));
	CU_ASSERT_TRUE(is_png("out_real/figures/snr.png"));
	CU_ASSERT_TRUE(is_png("out_real/figures/solution.png"));
	CU_ASSERT_TRUE(is_png("out_real/figures/weights_residual.png"));
	text = pp_shell_slurp("out_real/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "The run completed."));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| 1 | adam | 30 | 30 |"));

	pp_shell_write("ca.yaml", TINY_RBA "name: ca\n");
	pp_shell_write("cb.yaml", TINY "name: cb\nweighting: {type: none}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell("\"$PP_TEST_EXE\" compare ca.yaml cb.yaml --output cmp_real --quiet"), 0);
	CU_ASSERT_TRUE(is_png("cmp_real/figures/compare_error.png"));
	CU_ASSERT_TRUE(is_png("cmp_real/figures/compare_snr.png"));
	CU_ASSERT_TRUE(is_png("cmp_real/ca/figures/loss.png"));
	text = pp_shell_slurp("cmp_real/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "(figures/compare_error.png)"));
}

/* A run of a PDE with three fields, as the error analyzer writes it: u and
 * p with references, w without (prediction only); per-field errors in
 * metrics.csv and summary.json. */
static void write_fields_fixture(const char *run)
{
	char name[256];

	snprintf(name, sizeof name, "mkdir -p %s", run);
	CU_ASSERT_EQUAL_FATAL(pp_shell("%s", name), 0);
	snprintf(name, sizeof name, "%s/metrics.csv", run);
	pp_shell_write(name,
		   "step,stage,loss,lr,time_s,loss_residual,error_rel_l2,error_max,error_rel_l2_u,error_max_u,error_rel_l2_p,error_max_p\n"
		   "0,0,1.0,0.001,0.1,0.9,0.9,1.2,0.8,1.2,1,0.7\n"
		   "10,0,0.5,0.001,0.2,0.4,0.5,0.8,0.4,0.8,0.6,0.5\n");
	snprintf(name, sizeof name, "%s/prediction.csv", run);
	pp_shell_write(name, "x,y,u_pred,u_ref,u_abs_err,p_pred,p_ref,p_abs_err,w_pred\n"
			 "0,0,0.1,0,0.1,1,1.5,0.5,3\n0,1,0.2,0.1,0.1,2,2,0,4\n"
			 "1,0,0.3,0.3,0,3,2.5,0.5,5\n1,1,0.4,0.5,0.1,4,4,0,6\n");
	snprintf(name, sizeof name, "%s/summary.json", run);
	pp_shell_write(name,
		   "{\"name\": \"fields\", \"status\": \"completed\", \"pde\": \"cavity\",\n"
		   " \"final\": {\"loss\": 0.5, \"error_rel_l2\": 0.5, \"error_max\": 0.8,\n"
		   "  \"error_rel_l2_u\": 0.4, \"error_max_u\": 0.8, \"error_rel_l2_p\": 0.6, \"error_max_p\": 0.5}}\n");
}

/* Several fields: one heat-map figure per field (prediction, reference,
 * error; the prediction alone for a field without a reference, with its own
 * colour range), no one-field solution figure, each field's rel. L2 in the
 * error figure and in report.md; drawn when gnuplot is installed. */
static void test_several_fields_get_a_figure_each(void)
{
	char *text;

	write_fields_fixture("fxf");
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot fxf"), 1);
	CU_ASSERT_EQUAL(pp_shell_size("fxf/figures/solution.gp"), -1);
	text = pp_shell_slurp("fxf/figures/solution_u.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# columns of ../prediction.csv: 1 x, 2 y, 3 u_pred, 4 u_ref, 5 u_abs_err\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set multiplot layout 1,3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "stats '../prediction.csv' using 4 nooutput name 'R'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set title 'prediction u'"));
	text = pp_shell_slurp("fxf/figures/solution_p.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "plot '../prediction.csv' using 1:2:6 with image"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "plot '../prediction.csv' using 1:2:7 with image"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "plot '../prediction.csv' using 1:2:8 with image"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set title 'absolute error |p - p*|'"));
	text = pp_shell_slurp("fxf/figures/solution_w.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set multiplot layout 1,1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "plot '../prediction.csv' using 1:2:9 with image"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "lo = P_min\nhi = P_max\n"));
	CU_ASSERT_EQUAL(count(text, "plot '"), 1);
	text = pp_shell_slurp("fxf/figures/error.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "using 1:9 with linespoints pt 6 ps 0.6 lc rgb '#2ca02c' title 'relative L2 error of u'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'relative L2 error of p'"));
	text = pp_shell_slurp("fxf/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| final rel. L2 error | 5.000e-01 |\n| final max error | 8.000e-01 |\n"
					    "| final rel. L2 error of u | 4.000e-01 |\n| final rel. L2 error of p | 6.000e-01 |\n"));
	if (!have_gnuplot()) {
		pp_test_skip("gnuplot is not on PATH (apt-get install gnuplot-nox)");
		return;
	}
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" plot fxf"), 0);
	CU_ASSERT_TRUE(is_png("fxf/figures/solution_u.png"));
	CU_ASSERT_TRUE(is_png("fxf/figures/solution_p.png"));
	CU_ASSERT_TRUE(is_png("fxf/figures/solution_w.png"));
	text = pp_shell_slurp("fxf/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "![Prediction, reference and error: w](figures/solution_w.png)"));
}

/* A real run of a PDE with two outputs (tests/plugins/system: u = cos x,
 * v = −sin x on [0, π]): metrics.csv and summary.json carry the pooled error
 * and one per field, prediction.csv a triple per field, and `phasepinn
 * reference` a column per field.  The pooled error lies between the two
 * fields' (a weighted mean of their squares, the weights ‖u*‖² and ‖v*‖²),
 * which checks that it pools rather than copies one field. */
static void test_a_two_output_run_reports_every_field(void)
{
	char *text, *line;
	double pooled, eu, ev;

	pp_shell_write("two.yaml",
		       "seed: 3\noutput: out_two\npde:\n  type: system_pde\n"
		       "network:\n  layers: [8]\nstages:\n  - optimizer: adam\n    iterations: 20\n"
		       "analyzers:\n  - {type: error, every: 10}\nlogging:\n  every: 10\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("--plugin-dir \"$PP_TEST_PLUGIN_DIR/system\" run two.yaml "
					   "--quiet --no-plot"), 0);
	text = pp_shell_slurp("out_two/metrics.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "error_rel_l2,error_max,error_rel_l2_u,error_max_u,"
					    "error_rel_l2_v,error_max_v"));
	text = pp_shell_slurp("out_two/prediction.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(strncmp(text, "x,u_pred,u_ref,u_abs_err,v_pred,v_ref,v_abs_err\n", 48), 0);
	text = pp_shell_slurp("out_two/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	line = strstr(text, "\"error_rel_l2\":");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	pooled = atof(line + strlen("\"error_rel_l2\":"));
	line = strstr(text, "\"error_rel_l2_u\":");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	eu = atof(line + strlen("\"error_rel_l2_u\":"));
	line = strstr(text, "\"error_rel_l2_v\":");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	ev = atof(line + strlen("\"error_rel_l2_v\":"));
	CU_ASSERT(eu != ev);
	CU_ASSERT(pooled > fmin(eu, ev) && pooled < fmax(eu, ev));
	CU_ASSERT_EQUAL(pp_shell_cli("--plugin-dir \"$PP_TEST_PLUGIN_DIR/system\" reference two.yaml "
				     "--out two_ref.csv --grid 3"), 0);
	text = pp_shell_slurp("two_ref.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "x,u,v\n0,1,-0\n1.57079632679,6.12323399574e-17,-1\n"
				     "3.14159265359,-1,-1.22464679915e-16\n");
}

/* An inverse run with observation data: one figure per trainable
 * coefficient and one of the data's validation error, named in the report;
 * summary.json has the coefficients' last values. */
static void test_an_inverse_run_draws_its_coefficients(void)
{
	char *text;

	pp_shell_write("obs.csv", "x,t,u\n0.5,0.25,0.3\n-0.5,0.5,-0.2\n0.1,0.75,0.05\n-0.25,0.1,0.4\n");
	pp_shell_write("inv.yaml",
		       "seed: 3\noutput: out_inv\npde:\n  type: heat\n"
		       "  kappa: {trainable: true, init: 0.2, log: true}\n"
		       "  terms: {residual: {points: 50}, initial: {points: 10}, boundary: {points: 10}}\n"
		       "data: {file: obs.csv, validation: 0.25}\n"
		       "network:\n  layers: [6]\nstages:\n  - optimizer: adam\n    iterations: 20\n"
		       "logging:\n  every: 5\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run inv.yaml --quiet"), 0);
	CU_ASSERT(pp_shell_exists("out_inv/figures/coefficient_kappa.gp"));
	CU_ASSERT(pp_shell_exists("out_inv/figures/data_validation.gp"));
	text = pp_shell_slurp("out_inv/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "Learned coefficient kappa"));
	text = pp_shell_slurp("out_inv/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"coef_kappa\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"data_val_rel_l2\":"));
}

/* --no-plot and logging: {plot: false}: no figures, no report. */
static void test_plotting_can_be_switched_off(void)
{
	pp_shell_write("off.yaml", TINY "output: out_off\n");
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" run off.yaml --no-plot"), 0);
	CU_ASSERT_PTR_NULL(strstr(pp_shell_output, "gnuplot"));
	CU_ASSERT_EQUAL(pp_shell_size("out_off/report.md"), -1);
	CU_ASSERT_EQUAL(pp_shell_size("out_off/figures"), -1);
	pp_shell_write("off2.yaml", TINY "  plot: false\noutput: out_off2\n");
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" run off2.yaml"), 0);
	CU_ASSERT_EQUAL(pp_shell_size("out_off2/report.md"), -1);
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" check off2.yaml"), 0);
	/* and plot makes them later */
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot out_off2"), 1);
	CU_ASSERT_TRUE(pp_shell_size("out_off2/report.md") > 0);
	pp_shell_write("c1.yaml", TINY "name: c1\n");
	pp_shell_write("c2.yaml", TINY "name: c2\n");
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" compare c1.yaml c2.yaml --output cmp_off --no-plot --quiet"), 0);
	CU_ASSERT_EQUAL(pp_shell_size("cmp_off/report.md"), -1);
	CU_ASSERT_EQUAL(pp_shell_size("cmp_off/c1/report.md"), -1);
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" check off.yaml --no-plot"), 2);
}

/* A two-stage run (Adam, then L-BFGS from step 30) whose total is weighted
 * (the initial term's weight is 10), without RBA but with the shadow RBA
 * multiplier, an information analyzer, and a detector that flips: fitting
 * 0-20, diffusion 20-200, equilibrium 200-204, diffusion 204-206 (two
 * flips of 1 % and 0.5 % of the run), equilibrium 206-400. */
static void write_talk_fixture(const char *run)
{
	static char text[16384];
	char name[256];
	size_t n;

	snprintf(name, sizeof name, "mkdir -p %s", run);
	CU_ASSERT_EQUAL_FATAL(pp_shell("%s", name), 0);
	snprintf(name, sizeof name, "%s/metrics.csv", run);
	n = (size_t)snprintf(text, sizeof text, "step,stage,loss,lr,time_s,loss_residual,weight_residual,"
			     "loss_initial,weight_initial,snr,phase_snr,error_rel_l2,homog_phi,"
			     "homog_phi_rba_shadow,info_h_l1,info_sat_l1\n");
	for (int step = 0; step <= 400 && n < sizeof text; step += 10) {
		/* stage 2 from step 30; the wall time runs at 0.1 s a step, then 1 s */
		double time = step <= 30 ? 0.1 * step : 3 + (step - 30);
		n += (size_t)snprintf(text + n, sizeof text - n,
				      "%d,%d,%g,0.001,%g,%g,1,%g,10,%g,%g,%g,1,%g,%g,%g\n", step,
			 step >= 30, 1.0 / (step + 1), time, 0.5 / (step + 1), 0.05 / (step + 1),
			 step < 200 ? 0.1 : 2.0, step < 200 ? 0.2 : 1.5, 1.0 / (step + 2),
			 0.9 + step / 4000.0, 9.0 - step / 100.0, 0.05 + step / 4000.0);
	}
	pp_shell_write(name, text);
	snprintf(name, sizeof name, "%s/phases.txt", run);
	pp_shell_write(name, "diffusion 20\nequilibrium 200\ndiffusion 204\nequilibrium 206\n");
	snprintf(name, sizeof name, "%s/summary.json", run);
	pp_shell_write(name,
		   "{\"name\": \"talk\", \"status\": \"completed\", \"pde\": \"burgers\", \"weighting\": \"none\",\n"
		   " \"stages\": [{\"optimizer\": \"adam\", \"iterations\": 30, \"steps\": 30, \"stop\": \"done\"},\n"
		   "  {\"optimizer\": \"lbfgs\", \"iterations\": 370, \"steps\": 370, \"stop\": \"done\"}],\n"
		   " \"final\": {\"loss\": 0.0025}}\n");
}

/* The scripts of the talk fixture, written without gnuplot. */
static void talk_scripts(const char *run, const char *options)
{
	write_talk_fixture(run);
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot %s %s",
				 run, options), 1);
}

/* Each phase band is labelled once: the two short flips (1 % and 0.5 % of
 * the run) are shaded but start no label, and the long equilibrium after
 * them continues the first equilibrium label instead of repeating it. */
static void test_phase_labels_appear_once_per_band(void)
{
	char *text;

	talk_scripts("talk_bands", "");
	text = pp_shell_slurp("talk_bands/figures/snr.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(count(text, "set object"), 5);    /* every band shaded */
	CU_ASSERT_EQUAL(count(text, "' at first"), 3 + 1); /* 3 phase labels, 1 stage label */
	CU_ASSERT_EQUAL(count(text, "'equilibrium' at first"), 1);
	CU_ASSERT_EQUAL(count(text, "'diffusion' at first"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'equilibrium' at first 200,"));
	/* raw and smoothed SNR told apart in words, the smoothed one black */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'raw SNR, whole network'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "lc rgb '#000000' title 'smoothed SNR (the detector''s)'"));
}

/* Legends in words, the experiment's name in every title, a y label that
 * says the total is weighted, and a dashed line at the L-BFGS stage in
 * every figure against the step. */
static void test_figures_speak_words_and_name_the_experiment(void)
{
	static const char *const series[] = {"loss", "error", "snr", "homogeneity", "information"};
	char name[256], *text;

	talk_scripts("talk_words", "");
	text = pp_shell_slurp("talk_words/figures/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'weighted total loss'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'residual loss (mean r^2)'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'initial loss (mean r^2)'"));
	CU_ASSERT_PTR_NULL(strstr(text, "title 'loss_"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set ylabel 'loss (total: weighted; terms: mean r^2)'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set title 'Loss: talk'"));
	/* the columns are still named, for whoever edits the script */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# columns of ../metrics.csv: 1 step, 3 loss, 6 loss_residual, 8 loss_initial"));
	for (size_t i = 0; i < sizeof series / sizeof series[0]; i++) {
		snprintf(name, sizeof name, "talk_words/figures/%s.gp", series[i]);
		text = pp_shell_slurp(name);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "set arrow from first 30, graph 0 to first 30, graph 1"));
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "'stage 2: lbfgs' at first 30,"));
		CU_ASSERT_PTR_NOT_NULL(strstr(text, ": talk'"));
	}
	text = pp_shell_slurp("talk_words/figures/information.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set multiplot layout 2,1 title 'Information plane: talk'"));
	/* an unweighted total is plain loss */
	write_fixture("talk_plain");
	pp_shell_write("talk_plain/summary.json", "{\"name\": \"plain\", \"weighting\": \"none\"}\n");
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot talk_plain"), 1);
	text = pp_shell_slurp("talk_plain/figures/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'total loss'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set ylabel 'loss (mean r^2)'"));
}

/* A run without RBA draws the shadow multiplier's phi beside its own flat
 * one, and says on the figure what each is. */
static void test_a_vanilla_homogeneity_figure_shows_the_shadow_multiplier(void)
{
	char *text;

	talk_scripts("talk_shadow", "");
	text = pp_shell_slurp("talk_shadow/figures/homogeneity.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../metrics.csv' using 1:14 with linespoints"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'phi of the shadow RBA multiplier (not in the loss)'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'weighting none: the run''s own point weights are all equal (phi = 1).'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "Dashed: phi of the shadow RBA multiplier"));
}

/* --x time: every time series against time_s, the stage line and the
 * phase bands moved to the wall time of their steps (step 30 was at 3 s,
 * step 200 at 173 s); the same from config.yaml's figures: section. */
static void test_figures_can_be_drawn_against_the_wall_time(void)
{
	char *text;

	talk_scripts("talk_time", "--x time");
	text = pp_shell_slurp("talk_time/figures/snr.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set xlabel 'wall time (s)'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../metrics.csv' using 5:10 with"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set arrow from first 3, graph 0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'equilibrium' at first 173,"));
	text = pp_shell_slurp("talk_time/figures/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../metrics.csv' using 5:3 with"));

	write_talk_fixture("talk_time_cfg");
	pp_shell_write("talk_time_cfg/config.yaml", "name: talk\nfigures: {x: time}\n");
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot talk_time_cfg"), 1);
	text = pp_shell_slurp("talk_time_cfg/figures/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set xlabel 'wall time (s)'"));
	/* the command line wins over the file */
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot talk_time_cfg --x step"), 1);
	text = pp_shell_slurp("talk_time_cfg/figures/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set xlabel 'step'"));
	/* a wrong value is refused with the choices */
	pp_shell_write("talk_time_cfg/config.yaml", "figures: {x: minutes}\n");
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot talk_time_cfg"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "minutes"));
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" plot talk_time --x hours"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "--x hours: give step or time"));
}

/* 1 when this gnuplot has terminal @name. */
static int have_terminal(const char *name)
{
	return have_gnuplot() &&
	       pp_shell("gnuplot -e 'set terminal' 2>&1 | grep -qw '%s'", name) == 0;
}

/* --format svg and pdf: the scripts use that terminal, the images are
 * .svg and .pdf, and report.md shows the SVG and links the PDF. */
static void test_figures_can_be_svg_or_pdf(void)
{
	char *text;

	talk_scripts("talk_svg", "--format svg");
	text = pp_shell_slurp("talk_svg/figures/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set terminal svg size 900,560"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "pp_output = 'loss.svg'"));
	talk_scripts("talk_pdf", "--format pdf");
	text = pp_shell_slurp("talk_pdf/figures/loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set terminal pdfcairo size 9.00in,5.60in"));
	if (!have_terminal("svg") || !have_terminal("pdfcairo")) {
		pp_test_skip("gnuplot or its svg / pdfcairo terminal is missing (apt-get install gnuplot-nox)");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(pp_shell("\"$PP_TEST_EXE\" plot talk_svg --format svg"), 0);
	text = pp_shell_slurp("talk_svg/figures/snr.svg");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "<svg"));
	CU_ASSERT_EQUAL(pp_shell_size("talk_svg/figures/snr.png"), -1);
	text = pp_shell_slurp("talk_svg/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "![Loss](figures/loss.svg)"));
	CU_ASSERT_EQUAL_FATAL(pp_shell("\"$PP_TEST_EXE\" plot talk_pdf --format pdf"), 0);
	text = pp_shell_slurp("talk_pdf/figures/homogeneity.pdf");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(memcmp(text, "%PDF", 4), 0);
	text = pp_shell_slurp("talk_pdf/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n[Loss](figures/loss.pdf)"));
}

/* A comparison by hand: two variants (the talk fixture twice, the second
 * in equilibrium from step 100 to 150 and from 300 on). Its loss figure
 * draws the unweighted residual loss, its SNR figure each variant's
 * equilibrium as bars in its colour, every title names the comparison. */
static void test_a_comparison_draws_residual_loss_and_equilibrium_bars(void)
{
	char *text;

	CU_ASSERT_EQUAL_FATAL(pp_shell("mkdir -p talk_cmp"), 0);
	write_talk_fixture("talk_cmp/va");
	write_talk_fixture("talk_cmp/vb");
	pp_shell_write("talk_cmp/vb/phases.txt", "diffusion 20\nequilibrium 100\ndiffusion 150\nequilibrium 300\n");
	pp_shell_write("talk_cmp/comparison.csv", "variant,rel_l2\nva,0.1\nvb,0.2\n");
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot talk_cmp"), 1);
	text = pp_shell_slurp("talk_cmp/figures/compare_loss.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# ../va/metrics.csv: column 6 loss_residual"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../vb/metrics.csv' using 1:6 with lines"));
	CU_ASSERT_PTR_NULL(strstr(text, "using 1:3 "));   /* not the weighted total */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "set title 'Residual loss (unweighted mean r^2) of every variant: talk_cmp'"));
	text = pp_shell_slurp("talk_cmp/figures/compare_snr.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* va: 200-204, 206-400 in the first row; vb: 100-150, 300-400 in the second */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "rectangle from first 200, graph 0.0100 to first 204, graph 0.0380 behind fillcolor rgb '#1f77b4'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "rectangle from first 206, graph 0.0100 to first 400,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "rectangle from first 100, graph 0.0450 to first 150, graph 0.0730 behind fillcolor rgb '#d62728'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "rectangle from first 300, graph 0.0450 to first 400,"));
	CU_ASSERT_EQUAL(count(text, "rectangle from"), 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "bars: diffusion equilibrium"));
}

static void test_bad_directories_exit_two_naming_the_path(void)
{
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" plot"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "usage: phasepinn plot DIR [--x step|time] [--format png|svg|pdf]"));
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" plot no_such_dir"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "no_such_dir: no such directory"));
	CU_ASSERT_EQUAL(pp_shell("mkdir -p empty_dir && \"$PP_TEST_EXE\" plot empty_dir"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "empty_dir/metrics.csv: not found"));
	CU_ASSERT_EQUAL(pp_shell_size("empty_dir/report.md"), -1);
	CU_ASSERT_EQUAL(pp_shell("mkdir -p hollow && : > hollow/metrics.csv && \"$PP_TEST_EXE\" plot hollow"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "hollow/metrics.csv: empty"));
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" plot empty_dir extra"), 2);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"scripts name the data files and columns", test_scripts_name_the_data_files_and_columns},
		{"an inverse run draws its coefficients", test_an_inverse_run_draws_its_coefficients},
		{"PNGs are drawn when gnuplot is installed", test_pngs_are_drawn_when_gnuplot_is_installed},
		{"a gnuplot error is reported", test_a_gnuplot_error_is_reported},
		{"without gnuplot runs succeed with one hint", test_without_gnuplot_runs_succeed_with_one_hint},
		{"run and compare draw their figures", test_run_and_compare_draw_their_figures},
		{"plotting can be switched off", test_plotting_can_be_switched_off},
		{"several fields get a figure each", test_several_fields_get_a_figure_each},
		{"a two-output run reports every field", test_a_two_output_run_reports_every_field},
		{"bad directories exit two naming the path", test_bad_directories_exit_two_naming_the_path},
		{"phase labels appear once per band", test_phase_labels_appear_once_per_band},
		{"figures speak words and name the experiment", test_figures_speak_words_and_name_the_experiment},
		{"a vanilla homogeneity figure shows the shadow multiplier", test_a_vanilla_homogeneity_figure_shows_the_shadow_multiplier},
		{"figures can be drawn against the wall time", test_figures_can_be_drawn_against_the_wall_time},
		{"figures can be SVG or PDF", test_figures_can_be_svg_or_pdf},
		{"a comparison draws residual loss and equilibrium bars", test_a_comparison_draws_residual_loss_and_equilibrium_bars},
		{NULL, NULL},
	};
	int failed;

	if (pp_shell_init(dir) != 0)
		return 1;
	failed = pp_test_run("plot", cases);
	if (!failed)
		pp_shell_cleanup();
	return failed;
}
