/* The phasepinn command: exit codes (0 ok, 1 run failed, 2 usage/config),
 * run directories, and nothing written when the experiment is invalid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_cli_XXXXXX";

#define TINY \
	"pde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n    initial: {points: 50}\n" \
	"    boundary: {points: 50}\nnetwork:\n  layers: [8, 8]\nstages:\n" \
	"  - optimizer: adam\n    iterations: 30\n  - optimizer: lbfgs\n    iterations: 5\n" \
	"logging:\n  every: 10\n"

static void test_help_and_version_exit_zero(void)
{
	CU_ASSERT_EQUAL(pp_shell_cli("--help"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "exit codes"));
	CU_ASSERT_EQUAL(pp_shell_cli("--version"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "phasepinn 0."));
}

/* OpenBLAS's SSE3 fallback kernels are replaced when the CPU can do better
 * (see choose_blas_kernels in cli/main.c); an explicit choice stays. */
static void test_blas_kernels_fit_the_cpu(void)
{
	int avx2 = pp_shell("grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo") == 0;

	CU_ASSERT_EQUAL(pp_shell("OPENBLAS_CORETYPE=Prescott \"$PP_TEST_EXE\" --version"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "OpenBLAS Prescott kernels"));
	CU_ASSERT_EQUAL(pp_shell("unset OPENBLAS_CORETYPE; \"$PP_TEST_EXE\" --version"), 0);
	if (avx2)
		CU_ASSERT_PTR_NULL(strstr(pp_shell_output, "Prescott"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, " kernels)"));
}

static void test_usage_errors_exit_two(void)
{
	CU_ASSERT_EQUAL(pp_shell_cli("%s", ""), 2);
	CU_ASSERT_EQUAL(pp_shell_cli("frobnicate"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "unknown command 'frobnicate'"));
	CU_ASSERT_EQUAL(pp_shell_cli("run"), 2);
	CU_ASSERT_EQUAL(pp_shell_cli("--bogus run x.yaml"), 2);
}

static void test_plugins_lists_every_kind(void)
{
	CU_ASSERT_EQUAL(pp_shell_cli("plugins"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "pde        burgers"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "optimizer  adam"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "weighting  rba"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "analyzer   snr"));
}

static void test_check_accepts_valid_and_rejects_invalid_files(void)
{
	pp_shell_write("ok.yaml", TINY);
	CU_ASSERT_EQUAL(pp_shell_cli("check ok.yaml"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "ok.yaml: ok"));
	pp_shell_write("bad.yaml", TINY "  typo: 1\n");
	CU_ASSERT_EQUAL(pp_shell_cli("check bad.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "bad.yaml:16:3: unknown key 'typo'"));
	CU_ASSERT_EQUAL(pp_shell_cli("check missing.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "missing.yaml"));
}

static void test_invalid_run_writes_nothing(void)
{
	pp_shell_write("bad_run.yaml", TINY "output: out_bad\nweighting: {type: rbaa}\n");
	CU_ASSERT_EQUAL(pp_shell_cli("run bad_run.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "unknown weighting plugin 'rbaa'"));
	CU_ASSERT_FALSE(pp_shell_exists("out_bad"));
}

static void test_run_writes_config_metrics_and_summary(void)
{
	char *text;

	pp_shell_write("tiny.yaml", TINY "output: out_tiny\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run tiny.yaml --quiet"), 0);
	text = pp_shell_slurp("out_tiny/config.yaml");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# default"));
	text = pp_shell_slurp("out_tiny/metrics.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(strncmp(text, "step,stage,loss,lr,time_s,loss_residual", 39), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n30,1,"));  /* first lbfgs step, global counter */
	text = pp_shell_slurp("out_tiny/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"status\": \"completed\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"optimizer\": \"lbfgs\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"blas_kernels\": \""));
	CU_ASSERT_TRUE(pp_shell_exists("out_tiny/weights_residual.csv"));
	/* a second run into the same directory needs --force */
	CU_ASSERT_EQUAL(pp_shell_cli("run tiny.yaml --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "--force"));
	CU_ASSERT_EQUAL(pp_shell_cli("run tiny.yaml --quiet --force --output out_tiny2"), 0);
	CU_ASSERT_TRUE(pp_shell_exists("out_tiny2/summary.json"));
}

/* The phases analyzer sees the SNR at 256 points per chunk: 64 points in 4
 * chunks are 16 a chunk, so its level is √(256/16) = 4 times the SNR (one
 * sample: the level is that sample); with rescale: false, the SNR itself. */
static void test_phases_puts_the_snr_at_256_points_per_chunk(void)
{
	static const char base[] =
		"seed: 3\npde:\n  type: burgers\n  terms:\n    residual: {points: 64}\n"
		"    initial: {points: 16}\n    boundary: {points: 16}\n"
		"network:\n  layers: [6]\nstages:\n  - optimizer: adam\n    iterations: 2\n"
		"logging: {every: 1, plot: false}\nanalyzers:\n  - {type: snr, every: 1, chunks: 4}\n";
	char yaml[1024];

	snprintf(yaml, sizeof yaml, "%s  - {type: phases, every: 1, chunks: 4}\n", base);
	pp_shell_write("rescaled.yaml", yaml);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run rescaled.yaml --output out_rescaled --quiet"), 0);
	PP_ASSERT_CLOSE(pp_shell_metric_at("out_rescaled", "phase_snr", 0),
			4 * pp_shell_metric_at("out_rescaled", "snr", 0), 0, 1e-9);
	snprintf(yaml, sizeof yaml, "%s  - {type: phases, every: 1, chunks: 4, rescale: false}\n",
		 base);
	pp_shell_write("plain.yaml", yaml);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run plain.yaml --output out_plain --quiet"), 0);
	PP_ASSERT_CLOSE(pp_shell_metric_at("out_plain", "phase_snr", 0),
			pp_shell_metric_at("out_plain", "snr", 0), 0, 1e-9);
	CU_ASSERT(pp_shell_metric_at("out_plain", "snr", 0) > 0);
}

/* --force starts over: files of the earlier run that this one does not
 * write (here prediction.csv and the solution figure of an error analyzer
 * the new run lacks) must not be reported as this run's. */
static void test_force_clears_the_previous_run(void)
{
	pp_shell_write("stale.yaml", TINY "output: out_stale\nanalyzers:\n  - {type: error, every: 10}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run stale.yaml --quiet"), 0);
	CU_ASSERT_TRUE(pp_shell_exists("out_stale/prediction.csv"));
	pp_shell_write("out_stale/notes.txt", "mine\n");
	pp_shell_write("fresh.yaml", TINY "output: out_stale\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run fresh.yaml --quiet --force"), 0);
	CU_ASSERT_FALSE(pp_shell_exists("out_stale/prediction.csv"));
	CU_ASSERT_FALSE(pp_shell_exists("out_stale/figures/solution.png"));
	CU_ASSERT_FALSE(pp_shell_exists("out_stale/figures/error.gp"));
	CU_ASSERT_TRUE(pp_shell_exists("out_stale/summary.json"));
	CU_ASSERT_TRUE(pp_shell_exists("out_stale/notes.txt"));   /* not ours: kept */
}

/* A stage's stop rule: its reason in summary.json and report.md, the next
 * stage runs, and config.yaml records the rule as given. */
static void test_a_stop_rule_names_itself_in_summary_and_report(void)
{
	char *text;

	pp_shell_write("stop.yaml",
		   "pde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n    initial: {points: 50}\n"
		   "    boundary: {points: 50}\nnetwork:\n  layers: [8, 8]\nstages:\n"
		   "  - optimizer: adam\n    iterations: 30\n    stop: {loss_below: 1.0e+9}\n"
		   "  - optimizer: lbfgs\n    iterations: 5\noutput: out_stop\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run stop.yaml --quiet"), 0);
	text = pp_shell_slurp("out_stop/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"steps\": 1, \"stop\": \"stopped: loss "));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " below loss_below 1e+09 at step 0\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"steps\": 5, \"stop\": \"completed 5 iterations\"") ||
			       strstr(text, "\"stop\": \"converged"));
	text = pp_shell_slurp("out_stop/report.md");
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, " below loss_below 1e+09 at step 0 |"));
	text = pp_shell_slurp("out_stop/config.yaml");
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "    stop:\n      loss_below: 1.0e+9\n"));
}

static void test_divergence_exits_one_with_failed_summary(void)
{
	char *text;

	pp_shell_write("diverge.yaml",
		   "pde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
		   "network:\n  layers: [8]\nstages:\n  - optimizer: sgd\n    iterations: 200\n"
		   "    lr: 1.0e+6\noutput: out_div\n");
	CU_ASSERT_EQUAL(pp_shell_cli("run diverge.yaml --quiet"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "not finite"));
	text = pp_shell_slurp("out_div/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"status\": \"failed\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "is not finite"));  /* names step and term */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"stop\": \"stopped: step "));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "of term '"));
	/* the last good parameters are kept: all finite */
	text = pp_shell_slurp("out_div/parameters.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NULL(strstr(text, "nan"));
	CU_ASSERT_PTR_NULL(strstr(text, "inf"));
}

static void test_reference_writes_a_csv_with_input_names(void)
{
	char *text;

	pp_shell_write("ref.yaml", "pde:\n  type: helmholtz\nstages: []\n");
	CU_ASSERT_EQUAL(pp_shell_cli("reference ref.yaml --out ref.csv --grid 11x11"), 0);
	text = pp_shell_slurp("ref.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(strncmp(text, "x,y,u\n", 6), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("reference ref.yaml --out ref2.csv --grid 100000x100000"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "too large"));
	CU_ASSERT_FALSE(pp_shell_exists("ref2.csv"));
}

static void test_compare_runs_variants_and_tabulates_them(void)
{
	char *text;

	pp_shell_write("va.yaml", TINY "name: va\nweighting: {type: none}\nanalyzers:\n  - {type: error, every: 10}\n");
	pp_shell_write("vb.yaml", TINY "name: vb\nweighting: {type: rba}\nanalyzers:\n  - {type: error, every: 10}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare va.yaml vb.yaml --output cmp --quiet"), 0);
	text = pp_shell_slurp("cmp/comparison.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| va | "));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| vb | "));
	text = pp_shell_slurp("cmp/combined_metrics.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(strncmp(text, "variant,step,metric,value\nva,0,", 31), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nvb,"));
	CU_ASSERT_TRUE(pp_shell_exists("cmp/va/summary.json"));
	/* a bad file anywhere stops everything before any run */
	pp_shell_write("vc.yaml", TINY "name: vc\nweighting: {type: nope}\n");
	CU_ASSERT_EQUAL(pp_shell_cli("compare va.yaml vc.yaml --output cmp2"), 2);
	CU_ASSERT_FALSE(pp_shell_exists("cmp2"));
}

static void test_compare_file_with_base_and_variants(void)
{
	char *text;

	pp_shell_write("base.yaml", TINY "analyzers:\n  - {type: error, every: 10}\n");
	pp_shell_write("cmp.yaml", "compare:\n  base: base.yaml\n  variants:\n"
			       "    - {name: plain, weighting: {type: none}}\n"
			       "    - {name: attention, weighting: {type: rba, eta: 0.01}}\n");
	CU_ASSERT_EQUAL(pp_shell_cli("check cmp.yaml"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare cmp.yaml --output cmpv --quiet"), 0);
	text = pp_shell_slurp("cmpv/comparison.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| plain | "));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| attention | "));
	text = pp_shell_slurp("cmpv/attention/config.yaml");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "eta: 0.01"));
	/* an error in a variant points into the compare file */
	pp_shell_write("cmp_bad.yaml", "compare:\n  base: base.yaml\n  variants:\n"
				   "    - {name: a, weighting: {type: rba, gama: 1}}\n    - {name: b}\n");
	CU_ASSERT_EQUAL(pp_shell_cli("compare cmp_bad.yaml --output cmpbad"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "cmp_bad.yaml:4:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "unknown key 'gama'"));
	CU_ASSERT_FALSE(pp_shell_exists("cmpbad"));
}

/* SIGTERM mid-run: exit 1, a complete summary saying "interrupted". */
static void test_interrupted_run_leaves_a_complete_summary(void)
{
	char *text;

	pp_shell_write("long.yaml", "pde:\n  type: burgers\nnetwork:\n  layers: [20, 20]\nstages:\n"
				"  - optimizer: adam\n    iterations: 1000000\noutput: out_long\n");
	CU_ASSERT_EQUAL(pp_shell("%s", "\"$PP_TEST_EXE\" run long.yaml --quiet & pid=$!; sleep 1; "
			      "kill -TERM $pid; wait $pid"), 1);
	text = pp_shell_slurp("out_long/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"status\": \"interrupted\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n}\n"));   /* complete JSON */
	CU_ASSERT_TRUE(pp_shell_exists("out_long/parameters.txt"));
}

/* Every line of @text ends in a newline and has as many commas as the
 * first (the header); the number of rows after it, -1 if one is ragged or
 * cut short. */
static int complete_csv_rows(const char *text)
{
	const char *nl = strchr(text, '\n');
	int commas = 0, rows = 0;

	if (!nl)
		return -1;
	for (const char *c = text; c < nl; c++)
		commas += *c == ',';
	for (const char *line = nl + 1; *line; line = nl + 1) {
		int n = 0;
		nl = strchr(line, '\n');
		if (!nl)
			return -1;
		for (const char *c = line; c < nl; c++)
			n += *c == ',';
		if (n != commas)
			return -1;
		rows++;
	}
	return rows;
}

/* Run TINY with a failing_analyzer (tests/plugins/failing) observing every
 * step with @options, into @out; the exit status. */
static int run_failing(const char *out, const char *options)
{
	char text[2048];

	snprintf(text, sizeof text,
		 TINY "output: %s\nanalyzers:\n  - {type: failing_analyzer, every: 1, %s}\n", out, options);
	pp_shell_write("failing.yaml", text);
	return pp_shell_cli("--plugin-dir \"$PP_TEST_PLUGIN_DIR/failing\" run failing.yaml --quiet");
}

/* The run directory after a failure: a complete summary saying failed and
 * why, the parameters, the resolved config, metrics.csv with its header and
 * only whole rows, no temporary file left behind. */
static void assert_consistent_failed_run(const char *out, const char *message, int rows)
{
	char name[256], args[512];
	char *text;

	snprintf(name, sizeof name, "%s/summary.json", out);
	text = pp_shell_slurp(name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"status\": \"failed\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, message));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n}\n"));
	snprintf(name, sizeof name, "%s/parameters.txt", out);
	CU_ASSERT_TRUE(pp_shell_exists(name));
	snprintf(name, sizeof name, "%s/config.yaml", out);
	CU_ASSERT_TRUE(pp_shell_exists(name));
	snprintf(name, sizeof name, "%s/metrics.csv", out);
	text = pp_shell_slurp(name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(strncmp(text, "step,stage,loss,", 16), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ",failing_step\n"));
	CU_ASSERT_EQUAL(complete_csv_rows(text), rows);
	/* pp_atomic_file's temporaries are <name>.tmp.XXXXXX */
	snprintf(args, sizeof args, "ls -A %s | grep -F .tmp", out);
	CU_ASSERT_EQUAL(pp_shell("%s", args), 1);
}

/* A plugin that returns an error mid-run: exit 1 and a consistent run
 * directory, whether it fails while observing or at the end. */
static void test_plugin_error_mid_run_leaves_a_consistent_run_dir(void)
{
	CU_ASSERT_EQUAL(run_failing("out_fail17", "fail_at: 17"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "failing on purpose at step 17"));
	/* steps 0..16 were logged, every one (the analyzer observes each step) */
	assert_consistent_failed_run("out_fail17", "failing on purpose at step 17", 17);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_slurp("out_fail17/metrics.csv"), "\n16,0,"));
	CU_ASSERT_EQUAL(run_failing("out_fail0", "fail_at: 0, status: io"), 1);
	assert_consistent_failed_run("out_fail0", "failing on purpose at step 0", 0);
	/* the final observation passes, finish() fails */
	CU_ASSERT_EQUAL(run_failing("out_fail_end", "fail_at: -1"), 1);
	assert_consistent_failed_run("out_fail_end", "failing on purpose at the end", 36);
	/* A plugin's own error status mid-run is still the run's failure (1),
	 * not an invalid experiment (2). */
	CU_ASSERT_EQUAL(run_failing("out_fail_plugin", "fail_at: 5, status: plugin"), 1);
	assert_consistent_failed_run("out_fail_plugin", "failing on purpose at step 5", 5);
}

/* A plugin that cannot be loaded stops everything before the run directory
 * exists: exit 2, nothing written.  A file that is no shared object at all
 * is skipped with a warning (docs/hardening.md, "Checkpoints and plugins"). */
static void test_plugin_that_fails_to_load_writes_nothing(void)
{
	CU_ASSERT_EQUAL(pp_shell("mkdir -p badplug && echo 'not an ELF file' > badplug/junk.so"), 0);
	pp_shell_write("badplug.yaml", TINY "output: out_badplug\n");
	CU_ASSERT_EQUAL(pp_shell_cli("--plugin-dir badplug check badplug.yaml"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "warning: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "junk.so is not a loadable plugin"));
	CU_ASSERT_FALSE(pp_shell_exists("out_badplug"));
	/* the loader tests' directory: another ABI version, a duplicate, ... */
	CU_ASSERT_EQUAL(pp_shell_cli("--plugin-dir \"$PP_TEST_PLUGIN_DIR\" run badplug.yaml --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "/tests/plugins/"));
	CU_ASSERT_FALSE(pp_shell_exists("out_badplug"));
}

/* Not a terminal: plain progress lines every logging.every steps, one at the end. */
static void test_progress_lines_when_not_a_terminal(void)
{
	pp_shell_write("prog.yaml", TINY "output: out_prog\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run prog.yaml"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "\nstage 1/2 adam  step 10/35  loss "));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "\nstage 2/2 lbfgs  step 30/35  loss "));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "steps/s  total "));
	CU_ASSERT_PTR_NULL(strstr(pp_shell_output, "\r"));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run prog.yaml --force --quiet"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "");
}

/* Every experiment shipped in configs/ must stay valid. */
static void test_shipped_configs_validate(void)
{
	char args[4096];

	snprintf(args, sizeof args,
		 "plugins >/dev/null && for f in %s/configs/*.yaml %s/configs/*/*.yaml; do "
		 "%s check \"$f\" >/dev/null || exit 1; done; true",
		 getenv("PP_TEST_SOURCE_ROOT"), getenv("PP_TEST_SOURCE_ROOT"), getenv("PP_TEST_EXE"));
	CU_ASSERT_EQUAL(pp_shell_cli("%s", args), 0);
	if (pp_shell_output[0])
		fprintf(stderr, "%s", pp_shell_output);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"help and version exit zero", test_help_and_version_exit_zero},
		{"BLAS kernels fit the CPU", test_blas_kernels_fit_the_cpu},
		{"usage errors exit two", test_usage_errors_exit_two},
		{"plugins lists every kind", test_plugins_lists_every_kind},
		{"a stop rule names itself in summary and report", test_a_stop_rule_names_itself_in_summary_and_report},
		{"check accepts valid and rejects invalid files", test_check_accepts_valid_and_rejects_invalid_files},
		{"invalid run writes nothing", test_invalid_run_writes_nothing},
		{"phases puts the SNR at 256 points per chunk", test_phases_puts_the_snr_at_256_points_per_chunk},
		{"run writes config, metrics and summary", test_run_writes_config_metrics_and_summary},
		{"--force clears the previous run", test_force_clears_the_previous_run},
		{"divergence exits one with a failed summary", test_divergence_exits_one_with_failed_summary},
		{"reference writes a CSV with input names", test_reference_writes_a_csv_with_input_names},
		{"compare runs variants and tabulates them", test_compare_runs_variants_and_tabulates_them},
		{"compare file with base and variants", test_compare_file_with_base_and_variants},
		{"interrupted run leaves a complete summary", test_interrupted_run_leaves_a_complete_summary},
		{"plugin error mid-run leaves a consistent run dir", test_plugin_error_mid_run_leaves_a_consistent_run_dir},
		{"plugin that fails to load writes nothing", test_plugin_that_fails_to_load_writes_nothing},
		{"progress lines when not a terminal", test_progress_lines_when_not_a_terminal},
		{"shipped configs validate", test_shipped_configs_validate},
		{NULL, NULL},
	};
	int failed;

	if (pp_shell_init(dir) != 0)
		return 1;
	failed = pp_test_run("cli", cases);
	if (!failed)
		pp_shell_cleanup();
	return failed;
}
