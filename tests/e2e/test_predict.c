/* Using a trained model (docs/model-file.md): every run writes model.npz;
 * `predict` evaluates it at new points (and its derivative channels) as the
 * run itself did; numpy evaluates the file with the doc's own example;
 * `export` rewrites it from the last checkpoint; a warm start
 * (network: {init: {from: RUN_DIR}} or --init-from) begins where the
 * source run ended. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"

#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_predict_XXXXXX";

/* Ten Adam steps of a tiny heat network with a hard constraint (so that
 * predict goes through Leibniz's rule too).  The error analyzer's grid,
 * 33 x 17 on [-1, 1] x [0, 1], has steps 1/16 and 1/16: its points print
 * exactly in prediction.csv's 8 digits, so predict can be given the very
 * points the run evaluated. */
#define HEAT_PDE \
	"seed: 3\nthreads: 1\npde:\n  type: heat\n  terms:\n    residual: {points: 100}\n" \
	"    initial: {points: 20}\n    boundary: {points: 20}\n"
#define HEAT_REST \
	"  hard:\n    u: {type: dirichlet_box, inputs: [x]}\n" \
	"stages:\n  - optimizer: adam\n    iterations: 10\n" \
	"analyzers:\n  - {type: error, every: 10, grid: [33, 17]}\n" \
	"logging:\n  every: 1\n  plot: false\ncheckpoint:\n  every: 4\n"
#define HEAT(network_keys) HEAT_PDE "network:\n  layers: [6, 6]\n" network_keys HEAT_REST

/* ---- reading CSV ---------------------------------------------------------- */

typedef struct table {
	int cols;
	size_t rows;
	char names[16][32];
	double v[2000][16];
	char text[2000][16][32];   /* the fields as written */
} table;

static table ta, tb;

/* @name into @t (at most 16 columns, 2000 rows); 0 when it cannot be read. */
static int read_table(const char *name, table *t)
{
	char path[4200];
	pp_csv c;
	pp_error err = {0};

	snprintf(path, sizeof path, "%s/%s", dir, name);
	memset(t, 0, sizeof *t);
	if (pp_csv_open_path(&c, path, &err) != PP_OK) {
		pp_csv_close(&c);
		return 0;
	}
	t->cols = c.n_columns < 16 ? c.n_columns : 16;
	for (int j = 0; j < t->cols; j++)
		snprintf(t->names[j], sizeof t->names[j], "%s", c.columns[j]);
	while (t->rows < 2000 && pp_csv_next(&c, &err) == 1) {
		for (int j = 0; j < t->cols && j < c.n; j++) {
			snprintf(t->text[t->rows][j], sizeof t->text[0][0], "%s", c.fields[j]);
			t->v[t->rows][j] = strtod(c.fields[j], NULL);
		}
		t->rows++;
	}
	pp_csv_close(&c);
	return 1;
}

static int column(const table *t, const char *name)
{
	for (int j = 0; j < t->cols; j++)
		if (strcmp(t->names[j], name) == 0)
			return j;
	return -1;
}

static int have_numpy(void)
{
	return system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

/* ---- the model file and predict --------------------------------------------- */

static void test_a_run_writes_its_model_into_the_manifest(void)
{
	CU_ASSERT_TRUE(pp_shell_exists("a/model.npz"));
	CU_ASSERT_EQUAL(pp_shell("grep -qx model.npz a/.phasepinn-manifest"), 0);
	/* a zip archive: "PK\3\4" */
	CU_ASSERT_EQUAL(pp_shell("head -c 4 a/model.npz | od -An -c | tr -d ' \\n'"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "PK003004");
}

/* prediction.csv holds u_pred to 10 significant digits ("%.10g"), so the
 * sharpest check against it is exact equality after the same rounding;
 * predict writes 17 digits. */
static void test_predict_gives_the_runs_own_predictions(void)
{
	int u, up, ug;

	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("predict a --points a/prediction.csv --out p.csv"), 0);
	CU_ASSERT_FATAL(read_table("a/prediction.csv", &ta) && read_table("p.csv", &tb));
	CU_ASSERT_EQUAL_FATAL(tb.rows, 33 * 17);
	CU_ASSERT_EQUAL_FATAL(ta.rows, tb.rows);
	u = column(&tb, "u");
	up = column(&ta, "u_pred");
	CU_ASSERT_FATAL(u == 2 && up == 2);
	for (size_t i = 0; i < tb.rows; i++) {
		char rounded[32];
		snprintf(rounded, sizeof rounded, "%.10g", tb.v[i][u]);
		CU_ASSERT_EQUAL(tb.v[i][0], ta.v[i][0]);
		CU_ASSERT_EQUAL(tb.v[i][1], ta.v[i][1]);
		if (strtod(rounded, NULL) != ta.v[i][up]) {
			printf("\n  row %zu: predict %s, prediction.csv %s", i + 2, rounded,
			       ta.text[i][up]);
			CU_FAIL("predict differs from prediction.csv");
			break;
		}
	}
	/* --grid 33x17 spans the same domain with the same points, in order */
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("predict a --grid 33x17 --out g.csv"), 0);
	CU_ASSERT_FATAL(read_table("g.csv", &ta));
	CU_ASSERT_EQUAL_FATAL(ta.rows, tb.rows);
	ug = column(&ta, "u");
	for (size_t i = 0; i < ta.rows; i++)
		if (ta.v[i][0] != tb.v[i][0] || ta.v[i][1] != tb.v[i][1] ||
		    strcmp(ta.text[i][ug], tb.text[i][u]) != 0) {
			CU_FAIL("--grid differs from the same points given with --points");
			break;
		}
}

/* The evaluator printed in docs/model-file.md, run by numpy on the grid
 * predict evaluated: the same numbers to 1e-12 (np.tanh against the
 * engine's tanh: a few ulp per layer). */
static void test_numpy_evaluates_the_model_as_predict_does(void)
{
	if (!have_numpy()) {
		pp_test_skip("/usr/bin/python3 has no numpy (apt-get install python3-numpy)");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("predict a --grid 33x17 --out g.csv"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell("awk '/^## A numpy evaluator/{f=1} f&&/^```python$/{g=1;next} "
				       "g&&/^```$/{exit} g' \"$PP_TEST_SOURCE_ROOT/docs/model-file.md\" > ev.py && "
				       "test -s ev.py"), 0);
	pp_shell_write("check.py",
		       "import numpy as np\n"
		       "exec(open('ev.py').read())\n"
		       "g = np.genfromtxt('g.csv', delimiter=',', names=True)\n"
		       "u = evaluate('a/model.npz', np.stack([g['x'], g['t']], 1))[:, 0]\n"
		       "print('max %.3g' % np.max(np.abs(u - g['u'])))\n"
		       "assert np.max(np.abs(u - g['u'])) <= 1e-12\n");
	CU_ASSERT_EQUAL(pp_shell("/usr/bin/python3 check.py"), 0);
	if (strncmp(pp_shell_output, "max ", 4) != 0)
		printf("\n  %s", pp_shell_output);
}

/* Central differences of predict's own values: steps of 1e-4 (first
 * derivatives; truncation h^2/6·|u'''| ~ 1e-8, rounding 1e-16/h ~ 1e-12)
 * and 1e-3 (second and third; truncation ~ 1e-7, rounding 1e-16/h^2 ~
 * 1e-10): agreement to 1e-5 leaves room for a network's larger
 * derivatives, and a wrong channel is off by O(1). */
static void test_derivative_channels_match_differences_of_predict(void)
{
	static const double base[3][2] = {{-0.6, 0.3}, {0.1, 0.55}, {0.77, 0.9}};
	const double h1 = 1e-4, h2 = 1e-3;
	char text[8192] = "x,t\n";
	int cu, cx, ct, cxx, cxt, cxxx;

	for (int b = 0; b < 3; b++) {
		double x = base[b][0], t = base[b][1];
		const double pts[11][2] = {
			{x, t}, {x + h1, t}, {x - h1, t}, {x, t + h1}, {x, t - h1},
			{x + h2, t}, {x - h2, t}, {x + h2, t + h2}, {x + h2, t - h2},
			{x - h2, t + h2}, {x - h2, t - h2},
		};
		for (int k = 0; k < 11; k++) {
			size_t len = strlen(text);
			snprintf(text + len, sizeof text - len, "%.17g,%.17g\n", pts[k][0], pts[k][1]);
		}
	}
	pp_shell_write("fd.csv", text);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("predict a --points fd.csv --derivatives u_x,u_t,u_xx,u_xt,u_xxx "
					   "--out fdp.csv"), 0);
	CU_ASSERT_FATAL(read_table("fdp.csv", &ta));
	CU_ASSERT_EQUAL_FATAL(ta.rows, 33);
	cu = column(&ta, "u");
	cx = column(&ta, "u_x");
	ct = column(&ta, "u_t");
	cxx = column(&ta, "u_xx");
	cxt = column(&ta, "u_xt");
	cxxx = column(&ta, "u_xxx");
	CU_ASSERT_FATAL(cu >= 0 && cx >= 0 && ct >= 0 && cxx >= 0 && cxt >= 0 && cxxx >= 0);
	for (int b = 0; b < 3; b++) {
		double (*r)[16] = &ta.v[11 * b];
		double fx = (r[1][cu] - r[2][cu]) / (2 * h1);
		double ft = (r[3][cu] - r[4][cu]) / (2 * h1);
		double fxx = (r[5][cu] - 2 * r[0][cu] + r[6][cu]) / (h2 * h2);
		double fxt = (r[7][cu] - r[8][cu] - r[9][cu] + r[10][cu]) / (4 * h2 * h2);
		double fxxx = (r[5][cxx] - r[6][cxx]) / (2 * h2);
		PP_ASSERT_CLOSE(r[0][cx], fx, 1e-5, 1e-5);
		PP_ASSERT_CLOSE(r[0][ct], ft, 1e-5, 1e-5);
		PP_ASSERT_CLOSE(r[0][cxx], fxx, 1e-5, 1e-5);
		PP_ASSERT_CLOSE(r[0][cxt], fxt, 1e-5, 1e-5);
		PP_ASSERT_CLOSE(r[0][cxxx], fxxx, 1e-5, 1e-5);
		CU_ASSERT(fabs(r[0][cxx]) > 1e-3);   /* not trivially zero */
	}
}

/* Each bad file: exit 2, "FILE:LINE: what", and no output file. */
static void test_bad_points_files_are_refused_at_their_line(void)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{"x,s\n0,0\n", "bad.csv:1: no column 't'; the header must name the PDE's inputs: x,t"},
		{"x,t\n0.1,0.2\n0.3,abc\n", "bad.csv:3: 'abc' in column 't' is not a finite number"},
		{"x,t\n0.1,0.2\n0.3,nan\n", "bad.csv:3: 'nan' in column 't' is not a finite number"},
		{"x,t\n0.1\n", "bad.csv:2: 1 fields, no value for 't'"},
		{"", "bad.csv:1: empty file"},
		{"x,t\n", "bad.csv:2: no points after the header"},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		pp_shell("rm -f out.csv");
		pp_shell_write("bad.csv", cases[k].text);
		CU_ASSERT_EQUAL(pp_shell_cli("predict a --points bad.csv --out out.csv"), 2);
		if (!strstr(pp_shell_output, cases[k].message)) {
			printf("\n  expected '%s', got: %s", cases[k].message, pp_shell_output);
			CU_FAIL("message");
		}
		CU_ASSERT_FALSE(pp_shell_exists("out.csv"));
	}
	CU_ASSERT_EQUAL(pp_shell_cli("predict a --grid 33x17 --derivatives u_y --out out.csv"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "'u_y' is not a derivative"));
	CU_ASSERT_FALSE(pp_shell_exists("out.csv"));
}

/* A run directory without model.npz (a run killed with kill -9): predict
 * reads the newest checkpoint, and export writes the very model file the
 * run wrote (the checkpoint at the end holds the final parameters). */
static void test_predict_falls_back_to_the_checkpoint_and_export_writes_the_same_model(void)
{
	CU_ASSERT_EQUAL_FATAL(pp_shell("rm -rf c && cp -r a c && rm c/model.npz"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("predict a --grid 9x5 --out ga.csv"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("predict c --grid 9x5 --out gc.csv"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "has no model.npz yet; using its checkpoint of step 10"));
	CU_ASSERT_EQUAL(pp_shell("cmp ga.csv gc.csv"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("export c"), 0);
	CU_ASSERT_EQUAL(pp_shell("cmp a/model.npz c/model.npz"), 0);
	CU_ASSERT_EQUAL(pp_shell("grep -qx model.npz c/.phasepinn-manifest"), 0);
}

/* SIGINT: the run checkpoints the step it stopped at and writes the model
 * of that state, the same bytes export makes from that checkpoint. */
static void test_an_interrupted_run_writes_the_model_of_its_last_checkpoint(void)
{
	pp_shell_write("long.yaml", HEAT_PDE "network:\n  layers: [6, 6]\n"
		       "stages:\n  - optimizer: adam\n    iterations: 100000\n"
		       "logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 0\n");
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" run long.yaml --output long --quiet & pid=$!; "
				 "while ! grep -q '^50,' long/metrics.csv 2>/dev/null; do "
				 "  kill -0 $pid 2>/dev/null || break; done; "
				 "kill -INT $pid; wait $pid; echo \"code $?\""), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "code 1"));
	CU_ASSERT_TRUE_FATAL(pp_shell_exists("long/model.npz"));
	CU_ASSERT_EQUAL_FATAL(pp_shell("cp long/model.npz interrupted.npz"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("export long"), 0);
	CU_ASSERT_EQUAL(pp_shell("cmp interrupted.npz long/model.npz"), 0);
}

static void test_predict_and_export_answer_help(void)
{
	CU_ASSERT_EQUAL(pp_shell_cli("predict --help"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "usage: phasepinn predict RUN_DIR"));
	CU_ASSERT_EQUAL(pp_shell_cli("export --help"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "usage: phasepinn export RUN_DIR"));
	CU_ASSERT_EQUAL(pp_shell_cli("predict a --out x.csv"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "give one of --points"));
}

/* ---- warm starts ------------------------------------------------------------- */

/* The loss column of the first (@last = 0) or last row of @name. */
static double loss_row(const char *name, int last)
{
	if (!read_table(name, &ta) || ta.rows == 0)
		return NAN;
	return ta.v[last ? ta.rows - 1 : 0][column(&ta, "loss")];
}

/* Same seed, so the same points: the warm start's first loss is the
 * source's final one to the metrics' 10 digits. */
static void test_a_warm_start_begins_at_the_sources_final_loss(void)
{
	double a_final = loss_row("a/metrics.csv", 1), b_first;

	/* from: is relative to the experiment file's directory */
	CU_ASSERT_EQUAL_FATAL(pp_shell("mkdir -p sub"), 0);
	pp_shell_write("sub/b.yaml", HEAT("  init: {from: ../a}\n"));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run sub/b.yaml --output b --quiet"), 0);
	b_first = loss_row("b/metrics.csv", 0);
	CU_ASSERT(isfinite(a_final));
	PP_ASSERT_CLOSE(b_first, a_final, 0, 1e-9);
	/* and not where a fresh start begins */
	CU_ASSERT(fabs(loss_row("a/metrics.csv", 0) - a_final) > 1e-6 * fabs(a_final));
	CU_ASSERT_EQUAL(pp_shell("grep -q '\"started_from\": {\"run\": \"'\"$PWD\"'/a\", \"step\": 10}' b/summary.json"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("plot b"), 0);
	CU_ASSERT_EQUAL(pp_shell("grep -q '^| started from | '\"$PWD\"'/a (its model of step 10) |$' b/report.md"), 0);
	/* a run that did not warm-start has no such member */
	CU_ASSERT_EQUAL(pp_shell("grep -q started_from a/summary.json"), 1);
	/* the command-line flag does the same */
	pp_shell_write("a.yaml", HEAT(""));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run a.yaml --init-from a --output b2 --quiet"), 0);
	PP_ASSERT_CLOSE(loss_row("b2/metrics.csv", 0), a_final, 0, 1e-9);
	CU_ASSERT_EQUAL(pp_shell("grep -q started_from b2/summary.json"), 0);
}

static void test_a_warm_start_of_another_network_is_refused_naming_both(void)
{
	pp_shell_write("d.yaml", HEAT_PDE "network:\n  layers: [6, 7]\n  init: {from: a}\n" HEAT_REST);
	CU_ASSERT_EQUAL(pp_shell_cli("run d.yaml --output d --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "layers [6, 6] tanh"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "layers [6, 7] tanh"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "d.yaml:"));
	pp_shell_write("e.yaml", HEAT_PDE "network:\n  layers: [6, 6]\n  activation: sin\n  init: {from: a}\n" HEAT_REST);
	CU_ASSERT_EQUAL(pp_shell_cli("check e.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "layers [6, 6] sin"));
	pp_shell_write("f.yaml", HEAT("  init: {from: nowhere}\n"));
	CU_ASSERT_EQUAL(pp_shell_cli("check f.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "nowhere: No such file or directory"));
	pp_shell_write("g.yaml", HEAT("  init: xavier_uniform\n"));
	CU_ASSERT_EQUAL(pp_shell_cli("run g.yaml --init-from a --output g --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "give one"));
}

/* A learned coefficient comes along by name: the warm start's first
 * logged value is the source's last. */
static void test_a_warm_start_carries_a_trainable_coefficient(void)
{
#define COEF_PDE \
	"seed: 3\nthreads: 1\npde:\n  type: heat\n  kappa: {trainable: true, init: %s, log: true}\n" \
	"  terms:\n    residual: {points: 100}\n    initial: {points: 20}\n    boundary: {points: 20}\n" \
	"network:\n  layers: [6, 6]\n%s" \
	"stages:\n  - optimizer: adam\n    iterations: 10\n    lr: 0.05\nlogging:\n  every: 1\n  plot: false\n"
	char text[2048];
	double last, first;
	int c;

	snprintf(text, sizeof text, COEF_PDE, "0.5", "");
	pp_shell_write("k.yaml", text);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run k.yaml --output k --quiet"), 0);
	snprintf(text, sizeof text, COEF_PDE, "0.05", "  init: {from: k}\n");
	pp_shell_write("k2.yaml", text);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run k2.yaml --output k2 --quiet"), 0);
	CU_ASSERT_FATAL(read_table("k/metrics.csv", &ta));
	c = column(&ta, "coef_kappa");
	CU_ASSERT_FATAL(c >= 0);
	last = ta.v[ta.rows - 1][c];
	CU_ASSERT(fabs(last - 0.5) > 1e-3);   /* it was learned */
	CU_ASSERT_FATAL(read_table("k2/metrics.csv", &ta));
	first = ta.v[0][c];
	PP_ASSERT_CLOSE(first, last, 0, 1e-9);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"a run writes its model into the manifest", test_a_run_writes_its_model_into_the_manifest},
		{"predict gives the run's own predictions", test_predict_gives_the_runs_own_predictions},
		{"numpy evaluates the model as predict does", test_numpy_evaluates_the_model_as_predict_does},
		{"derivative channels match differences of predict",
		 test_derivative_channels_match_differences_of_predict},
		{"bad points files are refused at their line", test_bad_points_files_are_refused_at_their_line},
		{"predict falls back to the checkpoint and export writes the same model",
		 test_predict_falls_back_to_the_checkpoint_and_export_writes_the_same_model},
		{"an interrupted run writes the model of its last checkpoint",
		 test_an_interrupted_run_writes_the_model_of_its_last_checkpoint},
		{"predict and export answer --help", test_predict_and_export_answer_help},
		{"a warm start begins at the source's final loss",
		 test_a_warm_start_begins_at_the_sources_final_loss},
		{"a warm start of another network is refused naming both",
		 test_a_warm_start_of_another_network_is_refused_naming_both},
		{"a warm start carries a trainable coefficient", test_a_warm_start_carries_a_trainable_coefficient},
		{NULL, NULL},
	};
	int failed;

	if (pp_shell_init(dir) != 0)
		return 1;
	pp_shell_write("a.yaml", HEAT(""));
	if (pp_shell_cli("run a.yaml --output a --quiet") != 0) {
		printf("the run every test uses failed: %s\n", pp_shell_output);
		return 1;
	}
	failed = pp_test_run("predict", cases);
	if (!failed)
		pp_shell_cleanup();
	return failed;
}
