/* Checkpoints: the file format (CRC, every corruption detected, sections),
 * the checkpoint directory (newest good file, fall-back, pruning), and the
 * promise that matters: a run interrupted — kill -9 between checkpoints,
 * SIGINT in an L-BFGS stage — and resumed ends with the same parameters and
 * metrics, bit for bit, as the same run uninterrupted.  time_s (wall clock)
 * is the one column that may differ. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_ckpt_XXXXXX";

/* ---- the file format ---------------------------------------------------- */

static void test_crc32_check_value(void)
{
	/* The CRC-32 check value of "123456789" (the catalogue's "check"). */
	CU_ASSERT_EQUAL(pp_crc32(0, "123456789", 9), 0xCBF43926u);
	/* Continuing a CRC over a split buffer gives the same value. */
	CU_ASSERT_EQUAL(pp_crc32(pp_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
	CU_ASSERT_EQUAL(pp_crc32(0, "", 0), 0u);
}

static void write_sample(const char *path, long step)
{
	pp_ckpt_writer w;
	double v[3] = {1.5, -2.25, 1e300};
	pp_error err = {0};

	pp_ckpt_writer_init(&w, step);
	pp_ckpt_put(&w, PP_CKPT_TAG("ABCD"), 0, "hello", 5);   /* padded to 8 */
	pp_ckpt_put(&w, PP_CKPT_TAG("ABCD"), 7, v, sizeof v);
	pp_ckpt_put(&w, PP_CKPT_TAG("NONE"), 0, NULL, 0);
	CU_ASSERT_EQUAL(pp_ckpt_write_file(&w, path, &err), PP_OK);
	pp_ckpt_writer_free(&w);
}

static void test_sections_round_trip(void)
{
	char path[4096];
	pp_ckpt *c = NULL;
	pp_error err = {0};
	const double *v;
	size_t len = 99;

	snprintf(path, sizeof path, "%s/rt.ckpt", dir);
	write_sample(path, 123);
	CU_ASSERT_EQUAL_FATAL(pp_ckpt_read(path, &c, &err), PP_OK);
	CU_ASSERT_EQUAL(c->step, 123);
	/* header 40 + (16+8) + (16+24) + (16+0) + trailer 8 */
	CU_ASSERT_EQUAL(c->size, 128u);
	CU_ASSERT_EQUAL(memcmp(pp_ckpt_find(c, PP_CKPT_TAG("ABCD"), 0, &len), "hello", 5), 0);
	CU_ASSERT_EQUAL(len, 5u);
	v = pp_ckpt_find(c, PP_CKPT_TAG("ABCD"), 7, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(len, 3 * sizeof(double));
	CU_ASSERT(v[0] == 1.5 && v[1] == -2.25 && v[2] == 1e300);
	CU_ASSERT_PTR_NOT_NULL(pp_ckpt_find(c, PP_CKPT_TAG("NONE"), 0, &len));
	CU_ASSERT_EQUAL(len, 0u);
	CU_ASSERT_PTR_NULL(pp_ckpt_find(c, PP_CKPT_TAG("ABCD"), 1, NULL));
	CU_ASSERT_PTR_NULL(pp_ckpt_find(c, PP_CKPT_TAG("ZZZZ"), 0, NULL));
	pp_ckpt_free(c);
}

/* Rewrite @path with byte @off set to @value; @fix_crc recomputes the CRC so
 * only the structural checks can catch the change. */
static void patch(const char *path, size_t off, unsigned char value, int fix_crc)
{
	FILE *f = fopen(path, "r+b");
	unsigned char buf[4096];
	size_t n = fread(buf, 1, sizeof buf, f);
	uint32_t crc;

	buf[off] = value;
	if (fix_crc) {
		crc = pp_crc32(0, buf, n - 8);
		memcpy(buf + n - 8, &crc, 4);
	}
	rewind(f);
	fwrite(buf, 1, n, f);
	fclose(f);
}

static void expect_rejected(const char *path, const char *why)
{
	pp_ckpt *c = NULL;
	pp_error err = {0};

	CU_ASSERT_EQUAL(pp_ckpt_read(path, &c, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, why));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, path));
	if (!strstr(err.message, why))
		printf("\n  expected '%s' in: %s\n", why, err.message);
}

static void test_every_corruption_is_detected(void)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/bad.ckpt", dir);
	write_sample(path, 5);
	patch(path, 60, 'j', 0);                 /* inside "hello" */
	expect_rejected(path, "checksum mismatch");

	write_sample(path, 5);
	if (truncate(path, 100) != 0)
		CU_FAIL("truncate");
	expect_rejected(path, "truncated");

	write_sample(path, 5);
	f = fopen(path, "ab");
	fputs("x", f);
	fclose(f);
	expect_rejected(path, "truncated or extended");

	write_sample(path, 5);
	patch(path, 0, 'Q', 1);
	expect_rejected(path, "not a phasepinn checkpoint");

	write_sample(path, 5);
	patch(path, 8, PP_CKPT_VERSION + 1, 1);
	expect_rejected(path, "checkpoint format 3, this build reads format 2");

	/* a file of format 1 (before the EXPT section) is another format */
	write_sample(path, 5);
	patch(path, 8, 1, 1);
	expect_rejected(path, "checkpoint format 1, this build reads format 2");

	write_sample(path, 5);
	patch(path, 12, sizeof(pp_real) == 8 ? 4 : 8, 1);
	expect_rejected(path, "precision build");

	/* A section length reaching past the end, with a valid CRC. */
	write_sample(path, 5);
	patch(path, 40 + 8 + 1, 0x10, 1);
	expect_rejected(path, "more than the file holds");

	/* A section count that leaves bytes unaccounted for. */
	write_sample(path, 5);
	patch(path, 32, 2, 1);
	expect_rejected(path, "after the last section");

	f = fopen(path, "w");
	fclose(f);
	expect_rejected(path, "not a phasepinn checkpoint");
}

/* A run directory's config.yaml and checkpoints that carry its record, as
 * pp_ckpt_latest requires. */
static const char run_config[] = "# a run's config.yaml\nseed: 1\npde: {type: burgers}\n";

static void write_run_sample(const char *path, long step)
{
	pp_ckpt_writer w;
	pp_ckpt_origin o;
	pp_error err = {0};

	memset(&o, 0, sizeof o);
	CU_ASSERT_EQUAL(pp_ckpt_config_hash(run_config, strlen(run_config), "run_config",
					    &o.config_hash, &err), PP_OK);
	o.metrics_bytes = -1;
	snprintf(o.network, sizeof o.network, "1-[8 tanh]-1");
	pp_ckpt_writer_init(&w, step);
	pp_ckpt_put(&w, PP_CKPT_TAG_ORIGIN, 0, &o, sizeof o);
	pp_ckpt_put(&w, PP_CKPT_TAG("ABCD"), 0, "hello", 5);
	CU_ASSERT_EQUAL(pp_ckpt_write_file(&w, path, &err), PP_OK);
	pp_ckpt_writer_free(&w);
}

static void test_newest_good_checkpoint_and_pruning(void)
{
	char run[4096], path[4096];
	pp_ckpt *c = NULL;
	pp_error err = {0};
	FILE *notes = tmpfile();
	char text[2048] = "";
	size_t n;

	snprintf(run, sizeof run, "%s/run_fallback", dir);
	CU_ASSERT_EQUAL(pp_shell("mkdir -p run_fallback/checkpoints"), 0);
	pp_shell_write("run_fallback/config.yaml", run_config);
	CU_ASSERT_EQUAL(pp_ckpt_latest(run, NULL, &c, &err), PP_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no usable checkpoint"));
	for (long step = 100; step <= 400; step += 100) {
		CU_ASSERT_EQUAL(pp_ckpt_path(path, sizeof path, run, step, &err), PP_OK);
		write_run_sample(path, step);
	}
	patch(path, 360, 'j', 0);                /* step 400 corrupted (in "hello") */
	CU_ASSERT_EQUAL_FATAL(pp_ckpt_latest(run, notes, &c, &err), PP_OK);
	CU_ASSERT_EQUAL(c->step, 300);
	pp_ckpt_free(c);
	rewind(notes);
	n = fread(text, 1, sizeof text - 1, notes);
	text[n] = '\0';
	fclose(notes);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "step-0000000400.ckpt: checksum mismatch"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "trying the previous checkpoint"));

	/* Resuming from 300 drops 400; keep 2 of the rest. A leftover
	 * temporary file from a killed write goes too. */
	CU_ASSERT_EQUAL(pp_shell("touch run_fallback/checkpoints/step-0000000500.ckpt.tmp.Ab12Cd"), 0);
	CU_ASSERT_EQUAL(pp_ckpt_prune(run, 2, 300, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_shell("ls run_fallback/checkpoints | tr '\\n' ' '"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "step-0000000200.ckpt step-0000000300.ckpt ");
	CU_ASSERT_EQUAL(pp_ckpt_remove_all(run, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_shell("ls run_fallback/checkpoints | wc -l"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "0\n");
}

/* Entries with a checkpoint's name that phasepinn never wrote: a directory,
 * a symbolic link to a device, and a checkpoint extended (sparsely) to
 * 1 TiB, which must be refused from its header and fstat alone — reading
 * it whole would mean allocating a terabyte.  Each is named and skipped;
 * the newest real one is used; pruning leaves the foreign entries alone. */
static void test_discovery_skips_non_regular_and_oversized_files(void)
{
	char run[4096], path[4096];
	pp_ckpt *c = NULL;
	pp_error err = {0};
	FILE *notes = tmpfile();
	char text[4096] = "";
	size_t n;

	snprintf(run, sizeof run, "%s/run_odd", dir);
	CU_ASSERT_EQUAL_FATAL(pp_shell("mkdir -p run_odd/checkpoints"), 0);
	pp_shell_write("run_odd/config.yaml", run_config);
	for (long step = 100; step <= 500; step += 100) {
		CU_ASSERT_EQUAL(pp_ckpt_path(path, sizeof path, run, step, &err), PP_OK);
		if (step <= 200 || step == 500)
			write_run_sample(path, step);
	}
	CU_ASSERT_EQUAL_FATAL(pp_shell("cd run_odd/checkpoints && mkdir step-0000000300.ckpt && "
				       "ln -s /dev/zero step-0000000400.ckpt && "
				       "truncate -s 1T step-0000000500.ckpt"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_ckpt_latest(run, notes, &c, &err), PP_OK);
	CU_ASSERT_EQUAL(c->step, 200);
	pp_ckpt_free(c);
	rewind(notes);
	n = fread(text, 1, sizeof text - 1, notes);
	text[n] = '\0';
	fclose(notes);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "step-0000000300.ckpt: a directory, not a checkpoint file; skipped"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "step-0000000400.ckpt: a symbolic link, not a checkpoint file; skipped"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "step-0000000500.ckpt: truncated or extended: 1099511627776 of"));
	if (!strstr(text, "truncated or extended"))
		printf("\n%s\n", text);
	/* read directly, each says what it is */
	snprintf(path, sizeof path, "%s/run_odd/checkpoints/step-0000000400.ckpt", dir);
	expect_rejected(path, "a symbolic link");
	snprintf(path, sizeof path, "%s/run_odd/checkpoints/step-0000000300.ckpt", dir);
	expect_rejected(path, "a directory");
	CU_ASSERT_EQUAL(pp_ckpt_prune(run, 1, LONG_MAX, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_shell("ls run_odd/checkpoints | tr '\\n' ' '"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output,
			       "step-0000000300.ckpt step-0000000400.ckpt step-0000000500.ckpt ");
}

/* ---- interrupted runs resume exactly ------------------------------------- */

/* Burgers with everything that carries state from step to step: RBA
 * weights, resampled points (the sampler's random stream), Adam then
 * L-BFGS, SNR statistics and the phase detector.  About 1 s. */
#define EXPERIMENT \
	"seed: 11\n" \
	"pde:\n  type: burgers\n  terms:\n    residual: {points: 400}\n" \
	"    initial: {points: 100}\n    boundary: {points: 100}\n" \
	"network:\n  layers: [16, 16]\n" \
	"sampling:\n  resample_every: 300\n" \
	"weighting:\n  type: rba\n" \
	"stages:\n  - optimizer: adam\n    iterations: 1500\n    lr: 2.0e-3\n" \
	"  - optimizer: lbfgs\n    iterations: 120\n" \
	"analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n" \
	"logging:\n  every: 10\n" \
	"checkpoint:\n  every: 250\n"

/* metrics.csv without its time_s column (the fifth). */
static char *metrics_without_time(const char *run)
{
	char name[256];
	char *text, *out, *o;
	int field = 0;

	snprintf(name, sizeof name, "%s/metrics.csv", run);
	text = pp_shell_read(name, NULL);
	if (!text)
		return NULL;
	out = o = malloc(strlen(text) + 1);
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			field = 0;
		else if (*p == ',')
			field++;
		if (field != 4)
			*o++ = *p;
	}
	*o = '\0';
	free(text);
	return out;
}

/* The part of summary.json from "final_loss" on, without timings. */
static char *summary_results(const char *run)
{
	char name[256];
	char *text, *start, *out, *o;

	snprintf(name, sizeof name, "%s/summary.json", run);
	text = pp_shell_read(name, NULL);
	if (!text)
		return NULL;
	start = strstr(text, "\"final_loss\"");
	out = o = calloc(strlen(text) + 1, 1);
	for (char *line = start ? start : text; line && *line;) {
		char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line + 1) : strlen(line);
		if (!strstr(line, "time_s") || (end && strstr(line, "time_s") > end)) {
			memcpy(o, line, n);
			o += n;
		}
		line = end ? end + 1 : NULL;
	}
	free(text);
	return out;
}

static void assert_same_run(const char *ref, const char *run)
{
	char a[256], b[256];
	char *x, *y;
	size_t nx = 0, ny = 0;

	snprintf(a, sizeof a, "%s/parameters.txt", ref);
	snprintf(b, sizeof b, "%s/parameters.txt", run);
	x = pp_shell_read(a, &nx);
	y = pp_shell_read(b, &ny);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT(nx == ny && memcmp(x, y, nx) == 0);
	free(x);
	free(y);
	x = metrics_without_time(ref);
	y = metrics_without_time(run);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_STRING_EQUAL(x, y);
	free(x);
	free(y);
	x = summary_results(ref);
	y = summary_results(run);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_STRING_EQUAL(x, y);
	CU_ASSERT_PTR_NOT_NULL(strstr(y, "\"phase_snr\""));
	free(x);
	free(y);
	CU_ASSERT_EQUAL(pp_shell("grep -c '\"status\": \"completed\"' %s/summary.json", run), 0);
	/* Other files whole: per-point weights and phases. */
	CU_ASSERT_EQUAL(pp_shell("cmp %s/weights_residual.csv %s/weights_residual.csv && "
				 "cmp %s/phases.txt %s/phases.txt", ref, run, ref, run), 0);
}

static void assert_same_as_reference(const char *run)
{
	assert_same_run("reference", run);
}

static int reference_done;

static void run_reference(void)
{
	if (reference_done)
		return;
	pp_shell_write("exp.yaml", EXPERIMENT);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run exp.yaml --output reference --quiet"), 0);
	reference_done = 1;
}

/* Start @file's run into @run, wait until metrics.csv has the row of
 * @step, send @signal.  Busy-polls so the signal lands between
 * checkpoints. */
static int interrupt_file_at(const char *file, const char *run, long step, const char *signal)
{
	return pp_shell("\"$PP_TEST_EXE\" run %s --output %s --quiet & pid=$!; "
			"while ! grep -q '^%ld,' %s/metrics.csv 2>/dev/null; do "
			"  kill -0 $pid 2>/dev/null || break; done; "
			"kill -%s $pid; wait $pid",
			file, run, step, run, signal);
}

static int interrupt_at(const char *run, long step, const char *signal)
{
	return interrupt_file_at("exp.yaml", run, step, signal);
}

static void test_kill_9_between_checkpoints_then_resume(void)
{
	run_reference();
	/* Killed after step 800: the newest checkpoint is at 750 or later. */
	CU_ASSERT_EQUAL(interrupt_at("killed", 800, "9"), 128 + 9);
	CU_ASSERT_FALSE(pp_shell_exists("killed/summary.json"));   /* died mid-run */
	CU_ASSERT_EQUAL(pp_shell_cli("resume killed"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "resuming at step"));
	assert_same_as_reference("killed");
	/* And resuming a completed run does nothing. */
	CU_ASSERT_EQUAL(pp_shell_cli("resume killed"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "nothing to resume"));
}

static void test_sigint_in_lbfgs_stage_checkpoints_then_resumes(void)
{
	char *summary;

	run_reference();
	CU_ASSERT_EQUAL(interrupt_at("sigint", 1520, "INT"), 1);
	summary = pp_shell_read("sigint/summary.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, "\"status\": \"interrupted\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, "checkpoint written, continue with: phasepinn resume sigint"));
	free(summary);
	/* The checkpoint is at the interrupted step, not a multiple of 250. */
	CU_ASSERT_EQUAL(pp_shell("ls sigint/checkpoints | tail -1 | grep -v 'step-00000015[05]0.ckpt'"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("resume sigint --quiet"), 0);
	assert_same_as_reference("sigint");
}

static void test_corrupted_checkpoint_falls_back_to_the_previous(void)
{
	run_reference();
	CU_ASSERT_EQUAL(interrupt_at("corrupt", 1100, "9"), 128 + 9);
	/* Damage the newest checkpoint in its middle. */
	CU_ASSERT_EQUAL(pp_shell("f=$(ls corrupt/checkpoints/*.ckpt | tail -1); "
				 "printf 'XXXX' | dd of=$f bs=1 seek=3000 conv=notrunc 2>/dev/null"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("resume corrupt --quiet"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "checksum mismatch"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "trying the previous checkpoint"));
	assert_same_as_reference("corrupt");
}

/* The other weighting schemes (SA's trainable weights and random stream,
 * causal's schedule, GradNorm's running term weights) and the stateless
 * analyzers, on Allen-Cahn (periodic embedding), Adam then SGD with
 * momentum, on two threads. */
/* Experiment @yaml as @name.yaml: run once uninterrupted into ref_@name,
 * once killed (-9) at step @kill_step into killed_@name and resumed; the
 * two end the same, bit for bit. */
static void killed_run_resumes_as_uninterrupted(const char *name, const char *yaml,
						long kill_step)
{
	char file[64], ref[64], run[64];

	snprintf(file, sizeof file, "%s.yaml", name);
	snprintf(ref, sizeof ref, "ref_%s", name);
	snprintf(run, sizeof run, "killed_%s", name);
	pp_shell_write(file, yaml);
	if (pp_shell_cli("run %s --output %s --quiet", file, ref) != 0)
		printf("\n%s\n", pp_shell_output);
	CU_ASSERT_EQUAL(interrupt_file_at(file, run, kill_step, "9"), 128 + 9);
	CU_ASSERT_EQUAL(pp_shell_cli("resume %s --quiet", run), 0);
	assert_same_run(ref, run);
}

static void test_every_weighting_scheme_resumes_exactly(void)
{
	static const char *const schemes[] = {"sa", "causal", "gradnorm"};
	char yaml[2048];

	for (int i = 0; i < 3; i++) {
		snprintf(yaml, sizeof yaml,
			 "seed: 5\nthreads: 2\npde:\n  type: allen_cahn\n  terms:\n"
			 "    residual: {points: 300}\n    initial: {points: 64}\n"
			 "network:\n  layers: [12, 12]\nsampling:\n  resample_every: 200\n"
			 "weighting:\n  type: %s\n"
			 "stages:\n  - optimizer: adam\n    iterations: 400\n"
			 "  - optimizer: sgd\n    iterations: 300\n    lr: 1.0e-5\n    momentum: 0.9\n"
			 "analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n"
			 "  - {type: homogeneity, every: 50}\n  - {type: information, every: 100}\n"
			 "logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 100\n",
			 schemes[i]);
		/* killed in the SGD stage: its momentum comes from the checkpoint */
		killed_run_resumes_as_uninterrupted(schemes[i], yaml, 560);
	}
}

/* A vanilla run with the homogeneity analyzer's shadow RBA multiplier
 * (on by default without rba weighting; updated every step, observed
 * every 20): its λ comes from the checkpoint, so homog_phi_rba_shadow and
 * everything else continue bit for bit. */
static void test_a_vanilla_run_with_the_shadow_rba_multiplier_resumes_exactly(void)
{
	static const char yaml[] =
		"seed: 4\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n"
		"    initial: {points: 50}\n    boundary: {points: 50}\n"
		"network:\n  layers: [10, 10]\nsampling:\n  resample_every: 150\n"
		"stages:\n  - optimizer: adam\n    iterations: 400\n"
		"analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n"
		"  - {type: homogeneity, every: 20}\n"
		"logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 100\n";

	killed_run_resumes_as_uninterrupted("shadow", yaml, 260);
	CU_ASSERT_EQUAL(pp_shell("head -1 killed_shadow/metrics.csv | grep -q ',homog_phi_rba_shadow'"), 0);
}

/* validation.keep_best: the lowest val_loss so far, its step and its
 * parameters come from the checkpoint.  Adam reaches its best val_loss
 * near step 300, then SGD with a large step throws the network off; killed
 * at 450, after the best step, the resumed run keeps the same parameters
 * (parameters.txt, model.npz) and says so in summary.json. */
static void test_keep_best_resumes_exactly(void)
{
	static const char yaml[] =
		"seed: 4\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n"
		"    initial: {points: 50}\n    boundary: {points: 50}\n"
		"network:\n  layers: [10, 10]\n"
		"validation: {points: 500, every: 20, keep_best: true}\n"
		"stages:\n  - {optimizer: adam, iterations: 300, lr: 1.0e-2}\n"
		"  - {optimizer: sgd, iterations: 200, lr: 0.1, momentum: 0.9}\n"
		"analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n"
		"logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 100\n";

	killed_run_resumes_as_uninterrupted("kept", yaml, 450);
	CU_ASSERT_EQUAL(pp_shell("grep -q '\"kept\": {\"step\": 300,' killed_kept/summary.json"), 0);
	CU_ASSERT_EQUAL(pp_shell("cmp ref_kept/model.npz killed_kept/model.npz"), 0);
}

/* The dense quasi-Newton optimizers (their H, counters and scale come from
 * the checkpoint): Burgers, Adam then bfgs / ssbfgs / ssbroyden, killed in
 * the quasi-Newton stage between checkpoints. */
static void test_dense_quasi_newton_stages_resume_exactly(void)
{
	static const char *const names[] = {"bfgs", "ssbfgs", "ssbroyden"};
	char yaml[1024];

	for (int i = 0; i < 3; i++) {
		snprintf(yaml, sizeof yaml,
			 "seed: 3\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n"
			 "    initial: {points: 50}\n    boundary: {points: 50}\n"
			 "network:\n  layers: [10, 10]\nsampling:\n  resample_every: 150\n"
			 "stages:\n  - optimizer: adam\n    iterations: 200\n"
			 "  - optimizer: %s\n    iterations: 200\n    tolerance_grad: 0\n"
			 "analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n"
			 "logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 50\n",
			 names[i]);
		killed_run_resumes_as_uninterrupted(names[i], yaml, 330);
	}
}

/* Contract v2 in a checkpoint: Poisson on a domain with a hole whose
 * boundary points are resampled (their normals, which the Neumann term
 * reads, and parts are saved with them), and Burgers with both coefficients trainable (their raw
 * parameters follow the network's in the parameter section) and a hard
 * constraint, killed between checkpoints in the L-BFGS stage. */
static void test_an_inverse_run_resumes_exactly(void)
{
	/* a geometry's boundary points, resampled, with their normals and parts */
	killed_run_resumes_as_uninterrupted("holed",
		"seed: 6\ndomain:\n  geometry:\n    difference:\n"
		"      - rectangle: {lo: [0, 0], hi: [1, 1], name: outer}\n"
		"      - disk: {center: [0.5, 0.5], radius: 0.2, name: hole}\n"
		"pde:\n  type: poisson\n  manufactured: {frequency: [1, 2]}\n"
		"  terms:\n    residual: {points: 300}\n    dirichlet: {points: 80, parts: [outer]}\n"
		"    neumann: {enabled: true, points: 40, parts: [hole]}\n"
		"network:\n  layers: [10, 10]\nsampling:\n  resample_every: 40\n"
		"weighting: {type: rba, terms: [residual, neumann]}\n"
		"stages:\n  - optimizer: adam\n    iterations: 200\n"
		"analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n"
		"logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 50\n", 130);
	killed_run_resumes_as_uninterrupted("inverse",
		"seed: 4\npde:\n  type: burgers\n  nu: {trainable: true, init: 0.02, log: true}\n"
		"  lambda1: {trainable: true, init: 0.8, lo: 0, hi: 2}\n"
		"  terms:\n    residual: {points: 300}\n    initial: {enabled: false}\n"
		"    boundary: {enabled: false}\n"
		"network:\n  layers: [10, 10]\n  hard: {u: initial_boundary}\n"
		"stages:\n  - optimizer: adam\n    iterations: 150\n  - optimizer: lbfgs\n    iterations: 100\n"
		"analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n"
		"logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 50\n", 220);
}

/* Run @yaml to the end keeping every checkpoint, copy the run directory
 * without its summary and its checkpoints after @from, resume the copy:
 * it must end as the run did.  No kill, so no race decides which
 * checkpoint the resume starts at. */
static void resumed_from_step_is_the_same_run(const char *name, const char *yaml, long from)
{
	char file[64], ref[64], run[64];

	snprintf(file, sizeof file, "%s.yaml", name);
	snprintf(ref, sizeof ref, "ref_%s", name);
	snprintf(run, sizeof run, "res_%s", name);
	pp_shell_write(file, yaml);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run %s --output %s --quiet", file, ref), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell("rm -rf %s && cp -r %s %s && rm %s/summary.json && "
				       "for f in %s/checkpoints/step-*.ckpt; do "
				       "  n=$(expr \"${f##*step-}\" : '0*\\([0-9][0-9]*\\)'); "
				       "  [ \"$n\" -le %ld ] || rm \"$f\"; done && "
				       "test -f %s/checkpoints/step-%010ld.ckpt",
				       run, ref, run, run, run, from, run, from), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("resume %s", run), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "resuming at step"));
	assert_same_run(ref, run);
}

/* Adaptive sampling (docs/sampling.md) resumes bit for bit across a
 * resampling the resumed run redoes: its candidates' random stream (ADPT),
 * the points RAD drew (TERM), the grown terms of RAR-D, box and geometry
 * boundary terms moved with their normals and parts (NORM), the weighting's
 * λ carried to new points, and the optimizer restarted at the resampling. */
static void test_adaptive_sampling_resumes_exactly_across_a_resampling(void)
{
	/* RAD of the residual and the box boundary with RBA, Adam then L-BFGS:
	 * resamplings at 40, 80, 120, 160; resumed at 100, redoes 120 and 160
	 * (the second inside L-BFGS) */
	resumed_from_step_is_the_same_run("rad",
		"seed: 8\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n"
		"    initial: {points: 50}\n    boundary: {points: 50}\n"
		"network:\n  layers: [10, 10]\n"
		"sampling:\n  adaptive: {method: rad, every: 40, candidates: 3000, terms: [residual, boundary]}\n"
		"weighting: {type: rba}\n"
		"stages:\n  - optimizer: adam\n    iterations: 140\n  - optimizer: lbfgs\n    iterations: 60\n"
		"analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n"
		"logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 50\n  keep: 100\n", 100);
	/* RAR-D with SA and snr's chunks over a growing term: resamplings at
	 * 30, 60, ...; the checkpoint at 150 holds 300 + 4·9 points and the
	 * resampling at 150 itself is redone */
	resumed_from_step_is_the_same_run("rar_d",
		"seed: 9\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n"
		"    initial: {points: 50}\n    boundary: {points: 50}\n"
		"network:\n  layers: [10, 10]\n"
		"sampling:\n  adaptive: {method: rar_d, every: 30, add: 9, candidates: 2000}\n"
		"weighting: {type: sa}\n"
		"stages:\n  - optimizer: adam\n    iterations: 240\n"
		"analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n"
		"logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 50\n  keep: 100\n", 150);
	/* a geometry with a hole: RAD of the interior and the hole's Neumann
	 * boundary (its candidates on that part only) */
	resumed_from_step_is_the_same_run("rad_holed",
		"seed: 6\ndomain:\n  geometry:\n    difference:\n"
		"      - rectangle: {lo: [0, 0], hi: [1, 1], name: outer}\n"
		"      - disk: {center: [0.5, 0.5], radius: 0.2, name: hole}\n"
		"pde:\n  type: poisson\n  manufactured: {frequency: [1, 2]}\n"
		"  terms:\n    residual: {points: 300}\n    dirichlet: {points: 80, parts: [outer]}\n"
		"    neumann: {enabled: true, points: 40, parts: [hole]}\n"
		"network:\n  layers: [10, 10]\n"
		"sampling:\n  adaptive: {method: rad, every: 40, candidates: 1000, terms: [residual, neumann]}\n"
		"weighting: {type: rba, terms: [residual, neumann]}\n"
		"stages:\n  - optimizer: adam\n    iterations: 200\n"
		"analyzers:\n  - {type: snr, every: 10}\n  - {type: phases, every: 10}\n"
		"logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 50\n  keep: 100\n", 100);
}

/* A stop rule that fires at the first step after a resume: the checkpoint
 * keeps the previous loss rel_change_below compares with, so the resumed
 * run stops at the same step and ends bit for bit the same.  The
 * uninterrupted run (a checkpoint every step, all kept) stops at step 72;
 * its copy loses the checkpoints after 72 and its summary, then resumes. */
static void test_a_stop_rule_stops_a_resumed_run_at_the_same_step(void)
{
	static const char *yaml =
		"seed: 3\npde:\n  type: burgers\n  terms:\n    residual: {points: 300}\n"
		"    initial: {points: 50}\n    boundary: {points: 50}\nnetwork:\n  layers: [10, 10]\n"
		"stages:\n  - optimizer: adam\n    iterations: 600\n    stop: {rel_change_below: 1.0e-3}\n"
		"  - optimizer: lbfgs\n    iterations: 50\nlogging:\n  every: 10\n  plot: false\n"
		"checkpoint:\n  every: 1\n  keep: 1000\n";
	const char *words = "\"steps\": 73, \"stop\": \"stopped: relative loss change ";
	char *x, *y;

	pp_shell_write("stop.yaml", yaml);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run stop.yaml --output stop_ref --quiet"), 0);
	x = pp_shell_slurp("stop_ref/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(strstr(x, words));
	CU_ASSERT_PTR_NOT_NULL(strstr(x, " at step 72\""));
	CU_ASSERT_EQUAL_FATAL(pp_shell("cp -r stop_ref stop_res && rm stop_res/summary.json && "
				       "for f in stop_res/checkpoints/step-*.ckpt; do "
				       "  n=$(expr \"${f##*step-}\" : '0*\\([0-9][0-9]*\\)'); "
				       "  [ \"$n\" -le 72 ] || rm \"$f\"; done && "
				       "test -f stop_res/checkpoints/step-0000000072.ckpt && "
				       "! test -f stop_res/checkpoints/step-0000000073.ckpt"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("resume stop_res --quiet"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_slurp("stop_res/summary.json"), words));
	CU_ASSERT_EQUAL(pp_shell("cmp stop_ref/parameters.txt stop_res/parameters.txt"), 0);
	x = metrics_without_time("stop_ref");
	y = metrics_without_time("stop_res");
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_STRING_EQUAL(x, y);
	free(x);
	free(y);
	x = summary_results("stop_ref");
	y = summary_results("stop_res");
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_STRING_EQUAL(x, y);
	free(x);
	free(y);
}

/* A checkpoint that verifies (its CRC recomputed) but holds a point off the
 * domain, as fuzz_checkpoint produced, is refused when restored: such
 * numbers must not reach the plugins. */
static void test_well_formed_checkpoint_with_bad_points_is_refused(void)
{
	char path[4096];
	pp_ckpt *c = NULL;
	pp_error err = {0};
	const unsigned char *term;
	size_t len = 0;
	pp_real far = (pp_real)1e30;
	uint32_t crc;
	FILE *f;

	run_reference();
	CU_ASSERT_EQUAL_FATAL(pp_shell("rm -rf tampered && cp -r reference tampered && "
				       "rm tampered/summary.json"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell("ls tampered/checkpoints | tail -1"), 0);
	pp_shell_output[strcspn(pp_shell_output, "\n")] = '\0';
	snprintf(path, sizeof path, "%s/tampered/checkpoints/%.200s", dir, pp_shell_output);
	CU_ASSERT_EQUAL_FATAL(pp_ckpt_read(path, &c, &err), PP_OK);
	term = pp_ckpt_find(c, PP_CKPT_TAG("TERM"), 0, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(term);
	/* the first coordinate of the first point, after the 24-byte header */
	memcpy(c->data + (term - c->data) + 24, &far, sizeof far);
	crc = pp_crc32(0, c->data, c->size - 8);
	memcpy(c->data + c->size - 8, &crc, 4);
	f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(c->data, 1, c->size, f);
	fclose(f);
	pp_ckpt_free(c);
	CU_ASSERT_EQUAL(pp_shell_cli("resume tampered --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "outside the domain or not finite"));
}

static void test_divergence_keeps_the_last_good_checkpoint(void)
{
	char *summary;

	pp_shell_write("diverge.yaml",
		       "pde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
		       "network:\n  layers: [8]\nstages:\n  - optimizer: sgd\n    iterations: 200\n"
		       "    lr: 1.0e+6\ncheckpoint:\n  every: 1\n  keep: 3\n");
	CU_ASSERT_EQUAL(pp_shell_cli("run diverge.yaml --output diverged --quiet"), 1);
	summary = pp_shell_read("diverged/summary.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, "is not finite"));
	free(summary);
	/* Every kept checkpoint is readable and before the failing step, and
	 * resuming from the newest meets the same failure at the same step. */
	CU_ASSERT_EQUAL(pp_shell("grep -o 'step [0-9]*' diverged/summary.json | head -1"), 0);
	{
		char failing[64];
		snprintf(failing, sizeof failing, "%.60s", pp_shell_output);
		CU_ASSERT_EQUAL(pp_shell("ls diverged/checkpoints | wc -l"), 0);
		CU_ASSERT_STRING_EQUAL(pp_shell_output, "3\n");
		CU_ASSERT_EQUAL(pp_shell_cli("resume diverged --quiet"), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "is not finite"));
		failing[strcspn(failing, "\n")] = '\0';
		CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, failing));
	}
}

/* NaN injection: a weighting scheme sets one NaN weight at step 23.  The
 * guard stops there naming the step and the term; no checkpoint is written
 * at or after the bad step; the parameters kept are finite; and resuming
 * meets the same NaN at the same step (training is deterministic). */
static void test_injected_nan_stops_at_its_step(void)
{
	char *text;

	pp_shell_write("nan.yaml",
		       "pde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
		       "network:\n  layers: [8]\nweighting: {type: nan_weighting, at: 23}\n"
		       "stages:\n  - optimizer: adam\n    iterations: 60\n"
		       "logging:\n  every: 1\n  plot: false\ncheckpoint:\n  every: 5\n  keep: 100\n");
	CU_ASSERT_EQUAL(pp_shell_cli("--plugin-dir \"$PP_TEST_PLUGIN_DIR/failing\" "
				     "run nan.yaml --output nan --quiet"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output,
				      "step 23: weighted loss of term 'residual' is not finite (nan) while its "
				      "residuals are; weighting 'nan_weighting' gave it a non-finite weight"));
	text = pp_shell_read("nan/summary.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"status\": \"failed\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "step 23"));
	free(text);
	/* checkpoints before the bad step only: 5, 10, 15, 20 */
	CU_ASSERT_EQUAL(pp_shell("ls nan/checkpoints | tr '\\n' ' '"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "step-0000000005.ckpt step-0000000010.ckpt "
			       "step-0000000015.ckpt step-0000000020.ckpt ");
	/* metrics rows end with step 22; parameters.txt holds no nan */
	CU_ASSERT_EQUAL(pp_shell("tail -1 nan/metrics.csv | cut -d, -f1"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "22\n");
	CU_ASSERT_NOT_EQUAL(pp_shell("grep -qi nan nan/parameters.txt"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("--plugin-dir \"$PP_TEST_PLUGIN_DIR/failing\" "
				     "resume nan --quiet"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output,
				      "step 23: weighted loss of term 'residual' is not finite (nan) while its "
				      "residuals are; weighting 'nan_weighting' gave it a non-finite weight"));
}

/* A term weight that overflows the combined gradient while every loss and
 * every term's gradient stay finite (tests/plugins/failing/
 * overflow_weighting.c): the trainer's guard, the only one, stops the run
 * at that step before the optimizer is handed the gradient. */
static void test_overflowing_combined_gradient_stops_before_the_optimizer(void)
{
	pp_shell_write("overflow.yaml",
		       "pde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
		       "network:\n  layers: [8]\nweighting: {type: overflow_weighting, at: 7}\n"
		       "stages:\n  - optimizer: adam\n    iterations: 30\n"
		       "logging:\n  every: 1\n  plot: false\n");
	CU_ASSERT_EQUAL(pp_shell_cli("--plugin-dir \"$PP_TEST_PLUGIN_DIR/failing\" "
				     "run overflow.yaml --output overflow --quiet"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "step 7: gradient is not finite (parameter "));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "although every term's is; the term weights "
				      "of weighting 'overflow_weighting' overflow it"));
	CU_ASSERT_PTR_NULL(strstr(pp_shell_output, "optimizer 'adam'"));
	/* metrics rows end with step 6; parameters.txt holds no nan or inf */
	CU_ASSERT_EQUAL(pp_shell("tail -1 overflow/metrics.csv | cut -d, -f1"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output, "6\n");
	CU_ASSERT_NOT_EQUAL(pp_shell("grep -qiE 'nan|inf' overflow/parameters.txt"), 0);
}

static void test_plugin_without_hooks_refuses_to_resume(void)
{
	pp_shell_write("hookless.yaml",
		       "pde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
		       "network:\n  layers: [8]\nstages:\n  - optimizer: adam\n    iterations: 40\n"
		       "analyzers:\n  - {type: counter, every: 5}\ncheckpoint:\n  every: 10\n");
	CU_ASSERT_EQUAL(pp_shell_cli("--plugin-dir \"$PP_TEST_HOOKLESS_DIR\" "
				 "run hookless.yaml --output hookless"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "analyzer 'counter' cannot be checkpointed"));
	/* As if killed after its last checkpoint: resume must refuse, not go
	 * on with the counter restarted at zero. */
	CU_ASSERT_EQUAL(pp_shell("rm hookless/summary.json"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("--plugin-dir \"$PP_TEST_HOOKLESS_DIR\" "
				 "resume hookless"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output,
				      "analyzer 'counter' has no checkpoint hooks"));
}

/* While a run writes a directory, neither another run (even with --force)
 * nor a resume may touch it; once it ends (here: kill -9) the directory is
 * free again, since the lock dies with the process. */
static void test_a_busy_run_directory_is_refused(void)
{
	char *summary;

	pp_shell_write("busy.yaml",
		       "pde:\n  type: burgers\n  terms:\n    residual: {points: 400}\n"
		       "network:\n  layers: [16, 16]\nstages:\n  - optimizer: adam\n    iterations: 3000\n"
		       "logging:\n  every: 10\n  plot: false\ncheckpoint:\n  every: 50\n");
	CU_ASSERT_EQUAL(pp_shell("\"$PP_TEST_EXE\" run busy.yaml --output busy --quiet & pid=$!; "
				 "while ! grep -q '^100,' busy/metrics.csv 2>/dev/null; do "
				 "  kill -0 $pid 2>/dev/null || break; done; "
				 "\"$PP_TEST_EXE\" run busy.yaml --output busy --quiet --force; a=$?; "
				 "\"$PP_TEST_EXE\" resume busy --quiet; b=$?; "
				 "kill -0 $pid && echo still-running; kill -9 $pid; wait $pid; "
				 "echo \"codes $a $b\""), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "busy is in use by another phasepinn process"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "still-running"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "codes 2 2"));
	/* the refused attempts changed nothing: the run resumes and completes */
	CU_ASSERT_EQUAL(pp_shell_cli("resume busy --quiet"), 0);
	summary = pp_shell_read("busy/summary.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, "\"status\": \"completed\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, "\"steps\": 3000"));
	free(summary);
}

#define SMALL(seed) \
	"seed: " seed "\npde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n" \
	"network:\n  layers: [8]\nstages:\n  - optimizer: adam\n    iterations: 30\n" \
	"logging: {every: 1, plot: false}\ncheckpoint:\n  every: 10\n  keep: 5\n"

/* A FIFO with the name of the newest checkpoint: opening it for reading
 * would wait for a writer forever.  resume names it and goes on from the
 * newest real checkpoint; `timeout` turns a hang into a failure. */
static void test_resume_never_blocks_on_a_fifo(void)
{
	pp_shell_write("fifo.yaml", SMALL("3"));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run fifo.yaml --output fifo --quiet"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell("rm fifo/summary.json && mkfifo fifo/checkpoints/step-9999999999.ckpt"), 0);
	CU_ASSERT_EQUAL(pp_shell("timeout 60 \"$PP_TEST_EXE\" resume fifo --quiet"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "step-9999999999.ckpt: a FIFO, not a checkpoint file; skipped"));
	CU_ASSERT_EQUAL(pp_shell("grep -q '\"status\": \"completed\"' fifo/summary.json"), 0);
}

/* The danger case: a checkpoint copied into a run directory from another
 * run.  Of another experiment (seed 4 instead of 3), its configuration
 * hash differs from config.yaml; of the same experiment run elsewhere
 * (even with config.yaml copied along), the metrics it recorded are not
 * this directory's (time_s makes every run's metrics.csv its own).  Either
 * way resume refuses before it touches anything, and once the stranger is
 * gone the run resumes. */
static void test_a_checkpoint_from_another_run_is_refused(void)
{
	pp_shell_write("own.yaml", SMALL("3"));
	pp_shell_write("other.yaml", SMALL("4"));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run own.yaml --output own --quiet"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run other.yaml --output other --quiet"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run own.yaml --output twin --quiet"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell("rm own/summary.json && cp own/metrics.csv own.metrics && "
				       "ls own/checkpoints > own.list"), 0);

	CU_ASSERT_EQUAL(pp_shell("cp other/checkpoints/step-0000000020.ckpt own/checkpoints/step-0000000040.ckpt"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("resume own --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output,
				      "own/checkpoints/step-0000000040.ckpt belongs to another experiment: its configuration is not the one in own/config.yaml"));
	CU_ASSERT_EQUAL(pp_shell("cmp own/metrics.csv own.metrics && rm own/checkpoints/step-0000000040.ckpt && "
				 "ls own/checkpoints | cmp - own.list"), 0);

	CU_ASSERT_EQUAL(pp_shell("cp own/config.yaml own.config && cp twin/config.yaml own/config.yaml && "
				 "cp twin/checkpoints/step-0000000020.ckpt own/checkpoints/step-0000000040.ckpt"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("resume own --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output,
				      "own/checkpoints/step-0000000040.ckpt was not written by the run in own"));
	CU_ASSERT_EQUAL(pp_shell("cmp own/metrics.csv own.metrics && rm own/checkpoints/step-0000000040.ckpt && "
				 "ls own/checkpoints | cmp - own.list && cp own.config own/config.yaml"), 0);

	CU_ASSERT_EQUAL(pp_shell_cli("resume own --quiet"), 0);
	CU_ASSERT_EQUAL(pp_shell("grep -q '\"status\": \"completed\"' own/summary.json"), 0);
}

/* A checkpoint whose record of the network is not the network rebuilt
 * from its configuration (its CRC recomputed) is refused when restored. */
static void test_a_checkpoint_whose_network_record_differs_is_refused(void)
{
	char path[4096];
	pp_ckpt *c = NULL;
	pp_error err = {0};
	const unsigned char *rec;
	uint32_t crc;
	FILE *f;

	pp_shell_write("netrec.yaml", SMALL("5"));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run netrec.yaml --output netrec --quiet"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell("rm netrec/summary.json"), 0);
	snprintf(path, sizeof path, "%s/netrec/checkpoints/step-0000000030.ckpt", dir);
	CU_ASSERT_EQUAL_FATAL(pp_ckpt_read(path, &c, &err), PP_OK);
	rec = pp_ckpt_find(c, PP_CKPT_TAG_ORIGIN, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	c->data[(rec - c->data) + offsetof(pp_ckpt_origin, network)] = '3';
	crc = pp_crc32(0, c->data, c->size - 8);
	memcpy(c->data + c->size - 8, &crc, 4);
	f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(c->data, 1, c->size, f);
	fclose(f);
	pp_ckpt_free(c);
	CU_ASSERT_EQUAL(pp_shell_cli("resume netrec --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "written by a run with network 3-[8 tanh]-1"));
}

static void test_resume_errors_and_force(void)
{
	CU_ASSERT_EQUAL(pp_shell_cli("resume"), 2);
	CU_ASSERT_EQUAL(pp_shell_cli("resume no_such_run"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "no_such_run/checkpoints holds no usable checkpoint"));
	/* --force starts over: the old run's checkpoints must not survive. */
	pp_shell_write("short.yaml",
		       "pde:\n  type: burgers\n  terms:\n    residual: {points: 100}\n"
		       "network:\n  layers: [8]\nstages:\n  - optimizer: adam\n    iterations: 30\n"
		       "checkpoint:\n  every: 10\n  keep: 5\n");
	CU_ASSERT_EQUAL(pp_shell_cli("run short.yaml --output forced --quiet"), 0);
	CU_ASSERT_EQUAL(pp_shell("ls forced/checkpoints | tr '\\n' ' '"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output,
			       "step-0000000010.ckpt step-0000000020.ckpt step-0000000030.ckpt ");
	CU_ASSERT_EQUAL(pp_shell("sed -i 's/every: 10/every: 7/' short.yaml && "
				 "\"$PP_TEST_EXE\" run short.yaml --output forced --quiet --force"), 0);
	CU_ASSERT_EQUAL(pp_shell("ls forced/checkpoints | tr '\\n' ' '"), 0);
	CU_ASSERT_STRING_EQUAL(pp_shell_output,
			       "step-0000000007.ckpt step-0000000014.ckpt step-0000000021.ckpt "
			       "step-0000000028.ckpt step-0000000030.ckpt ");
	/* A bad value in the section is a configuration error with its place. */
	CU_ASSERT_EQUAL(pp_shell("sed -i 's/keep: 5/keep: 0/' short.yaml && "
				 "\"$PP_TEST_EXE\" check short.yaml"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "short.yaml:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "keep"));
}

int main(void)
{
	static const pp_test_case tests[] = {
		{"crc32 check value", test_crc32_check_value},
		{"sections round trip", test_sections_round_trip},
		{"every corruption is detected", test_every_corruption_is_detected},
		{"newest good checkpoint and pruning", test_newest_good_checkpoint_and_pruning},
		{"discovery skips non-regular and oversized files", test_discovery_skips_non_regular_and_oversized_files},
		{"kill -9 between checkpoints, then resume", test_kill_9_between_checkpoints_then_resume},
		{"SIGINT in an L-BFGS stage checkpoints, then resumes", test_sigint_in_lbfgs_stage_checkpoints_then_resumes},
		{"corrupted checkpoint falls back to the previous", test_corrupted_checkpoint_falls_back_to_the_previous},
		{"every weighting scheme resumes exactly", test_every_weighting_scheme_resumes_exactly},
		{"geometry and inverse runs resume exactly", test_an_inverse_run_resumes_exactly},
		{"dense quasi-newton stages resume exactly", test_dense_quasi_newton_stages_resume_exactly},
		{"keep_best resumes exactly", test_keep_best_resumes_exactly},
		{"a vanilla run with the shadow rba multiplier resumes exactly",
		 test_a_vanilla_run_with_the_shadow_rba_multiplier_resumes_exactly},
		{"a stop rule stops a resumed run at the same step", test_a_stop_rule_stops_a_resumed_run_at_the_same_step},
		{"adaptive sampling resumes exactly across a resampling", test_adaptive_sampling_resumes_exactly_across_a_resampling},
		{"well-formed checkpoint with bad points is refused", test_well_formed_checkpoint_with_bad_points_is_refused},
		{"divergence keeps the last good checkpoint", test_divergence_keeps_the_last_good_checkpoint},
		{"injected NaN stops at its step", test_injected_nan_stops_at_its_step},
		{"an overflowing combined gradient stops before the optimizer",
		 test_overflowing_combined_gradient_stops_before_the_optimizer},
		{"plugin without hooks refuses to resume", test_plugin_without_hooks_refuses_to_resume},
		{"a busy run directory is refused", test_a_busy_run_directory_is_refused},
		{"resume errors and --force", test_resume_errors_and_force},
		{"resume never blocks on a FIFO", test_resume_never_blocks_on_a_fifo},
		{"a checkpoint from another run is refused", test_a_checkpoint_from_another_run_is_refused},
		{"a checkpoint whose network record differs is refused", test_a_checkpoint_whose_network_record_differs_is_refused},
		{NULL, NULL}};

	if (pp_shell_init(dir) != 0) {
		perror(dir);
		return 1;
	}
	if (pp_test_run("checkpoint", tests) != 0)
		return 1;
	pp_shell_cleanup();
	return 0;
}
