/* Analyzers: SNR on synthetic chunk gradients with known mean and spread,
 * φ–SNR relation, the phase detector on synthetic curves (and offline through
 * `phasepinn phases`), entropy of known distributions, homogeneity of uniform
 * and concentrated weights. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_test.h"

static pp_network *net_of(const pp_pde_info *pde)
{
	pp_network *net = NULL;
	pp_error err = {0};

	pp_network_create(NULL, pde, 1, &net, &err);
	return net;
}

static void *create(const char *name, const pp_problem *problem)
{
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, name)->ops;
	pp_error err = {0};
	void *state = NULL;

	if (ops->create(NULL, problem, &state, &err))
		fprintf(stderr, "%s\n", err.message);
	return state;
}

/* g_k = μ_j + σ_j·e_k with e = ±1 alternating over K = 4 chunks: mean μ,
 * population std σ, i.e. Σg = 4μ, Σg² = 4(μ² + σ²).  Biases carry huge
 * values that must not leak in.  The SNR math is a handful of sums, so the
 * only error is rounding: 1e-10 relative. */
static void test_snr_of_synthetic_chunk_gradients(void)
{
	pp_pde_info pde = pp_test_box_pde(2);
	pp_network *net = net_of(&pde);
	size_t P = pp_network_param_count(net);
	double *sum = calloc(P, sizeof *sum), *sumsq = calloc(P, sizeof *sumsq);
	double mu2 = 0, s2 = 0, lmu2[8] = {0}, ls2[8] = {0}, values[16];
	pp_problem problem = {.pde = &pde, .net = net, .n_params = P};
	pp_chunk_stats chunks = {4, P, sum, sumsq};
	pp_step_view view = {.net = net, .chunks = &chunks, .n_params = P};
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "snr")->ops;
	void *state = create("snr", &problem);
	pp_error err = {0};
	pp_layer_view lv;

	for (int l = 0; l < pp_network_layer_count(net); l++) {
		pp_network_layer(net, l, &lv);
		for (size_t j = 0; j < (size_t)lv.fan_in * (size_t)lv.fan_out; j++) {
			double m = 0.01 * (double)(j % 7) - 0.02, s = 0.05 + 0.001 * (double)(j % 5);
			size_t at = lv.weight_offset + j;
			sum[at] = 4 * m;
			sumsq[at] = 4 * (m * m + s * s);
			mu2 += m * m;
			s2 += s * s;
			lmu2[l] += m * m;
			ls2[l] += s * s;
		}
		for (int j = 0; j < lv.fan_out; j++) {   /* biases: must be ignored */
			sum[lv.bias_offset + (size_t)j] = 1e6;
			sumsq[lv.bias_offset + (size_t)j] = 1e12 + 5;
		}
	}
	CU_ASSERT_EQUAL(ops->observe(state, &view, values, &err), PP_OK);
	PP_ASSERT_CLOSE(values[0], sqrt(mu2 / s2), 0, 1e-10);
	PP_ASSERT_CLOSE(values[1], sqrt(mu2), 0, 1e-10);
	PP_ASSERT_CLOSE(values[2], sqrt(s2), 0, 1e-10);
	/* φ = ‖μ‖/√(‖μ‖² + ‖σ‖²) and SNR = φ/√(1 − φ²) */
	PP_ASSERT_CLOSE(values[3], sqrt(mu2 / (mu2 + s2)), 0, 1e-10);
	PP_ASSERT_CLOSE(values[0], values[3] / sqrt(1 - values[3] * values[3]), 0, 1e-10);
	/* per layer: the same ratio over that layer's weight matrix only */
	CU_ASSERT_EQUAL(pp_network_layer_count(net), 5);
	for (int l = 0; l < pp_network_layer_count(net); l++)
		PP_ASSERT_CLOSE(values[4 + l], sqrt(lmu2[l] / ls2[l]), 0, 1e-10);
	ops->destroy(state);
	free(sum);
	free(sumsq);
	pp_network_destroy(net);
}

/* SNR sampled every 10 steps: @before until @collapse, @during until @jump,
 * @after from then on (jump < 0: never); noise multiplies by exp(σ·N(0,1)). */
static void detect(long collapse, long jump, double noise, pp_phase_detector *d)
{
	pp_phase_params p;
	pp_rng rng;

	pp_phase_params_default(&p);
	pp_phase_init(d, &p);
	pp_rng_init(&rng, 3, 0);
	for (long step = 0; step < 10000; step += 10) {
		double snr = step < collapse ? 5.0 : (jump >= 0 && step >= jump) ? 2.0 : 0.02;
		pp_phase_feed(d, step, snr * exp(noise * pp_rng_normal(&rng)), 1.0);
	}
}

static void test_phase_detector_finds_collapse_and_jump(void)
{
	pp_phase_detector d;

	detect(1000, 5000, 0.0, &d);
	CU_ASSERT_EQUAL(d.diffusion_step, 1000);
	CU_ASSERT_EQUAL(d.equilibrium_step, 5000);
	CU_ASSERT_EQUAL(d.equilibrium_holds, 1);
	CU_ASSERT_EQUAL(d.phase, PP_PHASE_EQUILIBRIUM);
}

static void test_phase_detector_is_robust_to_noise(void)
{
	pp_phase_detector d;

	/* log-normal noise of σ = 0.5 (a factor 1.6 per sample): within 5 samples */
	detect(1000, 5000, 0.5, &d);
	CU_ASSERT(labs(d.diffusion_step - 1000) <= 50);
	CU_ASSERT(labs(d.equilibrium_step - 5000) <= 50);
}

static void test_phase_detector_reports_no_jump_when_there_is_none(void)
{
	pp_phase_detector d;

	detect(1000, -1, 0.3, &d);
	CU_ASSERT(labs(d.diffusion_step - 1000) <= 50);
	CU_ASSERT_EQUAL(d.equilibrium_step, -1);
	detect(1 << 30, -1, 0.3, &d);   /* no collapse either */
	CU_ASSERT_EQUAL(d.diffusion_step, -1);
	CU_ASSERT_EQUAL(d.equilibrium_step, -1);
}

static void test_phase_detector_flags_an_equilibrium_that_does_not_hold(void)
{
	pp_phase_params p;
	pp_phase_detector d;

	pp_phase_params_default(&p);
	pp_phase_init(&d, &p);
	for (long step = 0; step < 9000; step += 10) {
		double snr = step < 1000 ? 5 : step < 4000 ? 0.02 : step < 6000 ? 2 : 0.02;
		pp_phase_feed(&d, step, snr, 1);
	}
	CU_ASSERT_EQUAL(d.equilibrium_step, 4000);
	CU_ASSERT_EQUAL(d.equilibrium_holds, 0);
}

/* A curve that starts low never had a fitting phase to collapse from. */
static void test_phase_detector_needs_a_higher_snr_before_the_collapse(void)
{
	pp_phase_params p;
	pp_phase_detector d;

	pp_phase_params_default(&p);
	pp_phase_init(&d, &p);
	for (long step = 0; step < 3000; step += 10)
		pp_phase_feed(&d, step, 0.05, 1);
	CU_ASSERT_EQUAL(d.diffusion_step, -1);
	CU_ASSERT_EQUAL(d.n_transitions, 0);
}

/* From 0.02 to 2 in a straight line of log SNR over 3000 samples: the
 * SNR rises by a factor 100^(1/3000) = 1.0015 per sample, 1.07 between
 * the centres of the two windows compared (window + rise_window = 40
 * samples apart), far from the jump_factor 3 an abrupt jump needs.  The
 * same rise within 3 samples is a jump. */
static void test_phase_detector_tells_a_slow_drift_from_a_jump(void)
{
	pp_phase_params p;
	pp_phase_detector d;

	pp_phase_params_default(&p);
	for (int abrupt = 0; abrupt < 2; abrupt++) {
		long ramp = abrupt ? 3 : 3000;
		pp_phase_init(&d, &p);
		for (long i = 0; i < 4000; i++) {
			double t = i < 100 ? -1 : (double)(i - 400) / (double)ramp;
			double snr = i < 100 ? 5 : 0.02 * pow(100, t < 0 ? 0 : t > 1 ? 1 : t);
			pp_phase_feed(&d, 10 * i, snr, 1);
		}
		CU_ASSERT_EQUAL(d.diffusion_step, 1000);
		if (abrupt)
			CU_ASSERT_EQUAL(d.equilibrium_step, 4020)   /* raw: 0.09, 0.43, 2 at i = 401..403:
									   0.43 is nearer 2 than 0.02 in log */
		else
			CU_ASSERT_EQUAL(d.equilibrium_step, -1)
	}
}

/* Every transition is listed in order, the fall back included. */
static void test_phase_detector_lists_every_transition(void)
{
	pp_phase_params p;
	pp_phase_detector d;
	char out[256] = "";
	FILE *f = fmemopen(out, sizeof out - 1, "w");

	pp_phase_params_default(&p);
	pp_phase_init(&d, &p);
	for (long step = 0; step < 12000; step += 10) {
		double snr = step < 1000 ? 5 : step < 4000 ? 0.02 : step < 6000 ? 2
			   : step < 9000 ? 0.02 : 2;
		pp_phase_feed(&d, step, snr, 1);
	}
	CU_ASSERT_EQUAL(d.n_transitions, 4);
	CU_ASSERT_EQUAL(d.equilibrium_step, 4000);   /* the first one */
	CU_ASSERT_EQUAL(d.equilibrium_holds, 0);     /* it did not hold */
	CU_ASSERT_EQUAL(pp_phase_write_transitions(&d, f), PP_OK);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(out, "diffusion 1000\nequilibrium 4000\ndiffusion 6000\nequilibrium 9000\n");
}

/* `phasepinn phases ARGS` on a temp file holding @csv_text (NULL: no file);
 * stdout and stderr into @out; the exit code. */
static int run_phases_cli(const char *csv_text, const char *args, char *out, size_t size)
{
	char dir[] = "/tmp/pp_test_phases_XXXXXX", path[4200], cmd[8400];
	FILE *f;
	size_t n;
	int status;

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/curve.csv", dir);
	if (csv_text) {
		f = fopen(path, "w");
		fputs(csv_text, f);
		fclose(f);
	}
	snprintf(cmd, sizeof cmd, "%s phases %s %s 2>&1", getenv("PP_TEST_EXE"), path, args);
	f = popen(cmd, "r");
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	status = pclose(f);
	unlink(path);
	rmdir(dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A CSV curve sampled every 10 steps: 5 until @collapse, 0.01 until @jump
 * (< 0: never), 3 after, as mu with sigma = 1 among other columns. */
static void curve_csv(char *csv, size_t size, long collapse, long jump)
{
	size_t used = (size_t)snprintf(csv, size, "iteration,loss,mu,sigma\n");

	for (long step = 0; step < 8000; step += 10) {
		double mu = step < collapse ? 5 : (jump < 0 || step < jump) ? 0.01 : 3;
		used += (size_t)snprintf(csv + used, size - used, "%ld,1.0,%g,1\n", step, mu);
	}
}

static void test_phases_command_reads_csv_curves(void)
{
	static char csv[200000], out[4096];

	curve_csv(csv, sizeof csv, 1500, 6000);
	CU_ASSERT_EQUAL(run_phases_cli(csv, "", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "diffusion 1500\nequilibrium 6000\n");
	curve_csv(csv, sizeof csv, 1500, -1);
	CU_ASSERT_EQUAL(run_phases_cli(csv, "", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "diffusion 1500\n");
	/* options reach the detector: a collapse of 10 samples is none for
	 * windows of 30, one for windows of 4 held 2, none when held 20 */
	curve_csv(csv, sizeof csv, 1500, 1600);
	CU_ASSERT_EQUAL(run_phases_cli(csv, "", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(run_phases_cli(csv, "--window 4 --hold 2 --rise-window 0", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "diffusion 1500\nequilibrium 1600\n");
	CU_ASSERT_EQUAL(run_phases_cli(csv, "--window 4 --hold 20 --rise-window 0", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	/* --chunk-points: measured with 102,400 points per chunk, the curve is
	 * √(256/102400) = 0.05 times as high at the detector's 256: its jump
	 * ends at 0.15, under equilibrium_above 0.3; 256 changes nothing */
	curve_csv(csv, sizeof csv, 1500, 6000);
	CU_ASSERT_EQUAL(run_phases_cli(csv, "--chunk-points 102400", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "diffusion 1500\n");
	CU_ASSERT_EQUAL(run_phases_cli(csv, "--chunk-points 256", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "diffusion 1500\nequilibrium 6000\n");
	/* snr column, empty cells skipped, no transition: no output */
	CU_ASSERT_EQUAL(run_phases_cli("iteration,snr\n0,5\n10,\n20,4\n", "", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static void test_phases_command_rejects_bad_input(void)
{
	static char out[4096];

	CU_ASSERT_EQUAL(run_phases_cli("iteration,snr\n0,5\n10,abc\n", "", out, sizeof out), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "curve.csv:3:"));
	CU_ASSERT_EQUAL(run_phases_cli("iteration,snr\n0,5\n10.5,4\n", "", out, sizeof out), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "curve.csv:3:"));
	CU_ASSERT_EQUAL(run_phases_cli("iteration,snr\n0,5\n10\n", "", out, sizeof out), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "curve.csv:3:"));
	CU_ASSERT_EQUAL(run_phases_cli("step,loss\n0,1\n", "", out, sizeof out), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "need columns"));
	CU_ASSERT_EQUAL(run_phases_cli("", "", out, sizeof out), 2);
	CU_ASSERT_EQUAL(run_phases_cli(NULL, "", out, sizeof out), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "No such file"));
	CU_ASSERT_EQUAL(run_phases_cli("iteration,snr\n", "--window zero", out, sizeof out), 2);
	CU_ASSERT_EQUAL(run_phases_cli("iteration,snr\n", "--jump-factor 1", out, sizeof out), 2);
	CU_ASSERT_EQUAL(run_phases_cli("iteration,snr\n", "--chunk-points 0", out, sizeof out), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "--chunk-points"));
}

/* A plugin created from YAML text (NULL: defaults); NULL and @err set on failure. */
static void *create_from(const char *name, const char *yaml, const pp_problem *problem,
			 pp_config_doc **doc, pp_error *err)
{
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, name)->ops;
	void *state = NULL;

	*doc = NULL;
	if (yaml && pp_config_doc_parse(yaml, strlen(yaml), "a.yaml", doc, err))
		return NULL;
	if (ops->create(*doc ? pp_config_doc_root(*doc) : NULL, problem, &state, err))
		state = NULL;
	return state;
}

/* chunks: sets the chunk count the trainer uses; mode: sample asks for one
 * chunk per point (0); phases follows the same keys so both can run. */
static void test_snr_modes_ask_for_chunks_or_samples(void)
{
	pp_pde_info pde = pp_test_box_pde(2);
	pp_network *net = net_of(&pde);
	pp_problem problem = {.pde = &pde, .net = net, .n_params = pp_network_param_count(net)};
	static const char *const names[] = {"snr", "phases"};
	pp_config_doc *doc;
	pp_error err = {0};

	for (int k = 0; k < 2; k++) {
		const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, names[k])->ops;
		void *state = create_from(names[k], NULL, &problem, &doc, &err);
		CU_ASSERT_EQUAL(ops->chunk_count(state), 100);
		CU_ASSERT(ops->needs(state) & PP_NEED_CHUNK_STATS);
		ops->destroy(state);
		state = create_from(names[k], "chunks: 25\n", &problem, &doc, &err);
		CU_ASSERT_EQUAL(ops->chunk_count(state), 25);
		ops->destroy(state);
		pp_config_doc_destroy(doc);
		state = create_from(names[k], "mode: sample\n", &problem, &doc, &err);
		CU_ASSERT_EQUAL(ops->chunk_count(state), 0);
		ops->destroy(state);
		pp_config_doc_destroy(doc);
		CU_ASSERT_PTR_NULL(create_from(names[k], "mode: batch\n", &problem, &doc, &err));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "a.yaml:1:"));
		pp_config_doc_destroy(doc);
	}
	pp_network_destroy(net);
}

/* Chunk statistics of SNR @snr over the first layer's weights only:
 * per entry μ = snr/√m, σ = 1/√m (m entries), so ‖μ‖/‖σ‖ = snr. */
static void fill_chunks(double *sum, double *sumsq, size_t m, int K, double snr)
{
	double mu = snr / sqrt((double)m), sigma = 1 / sqrt((double)m);

	for (size_t j = 0; j < m; j++) {
		sum[j] = K * mu;
		sumsq[j] = K * (mu * mu + sigma * sigma);
	}
}

/* The plugin feeds the detector from chunk statistics, reports the steps,
 * keeps them across a checkpoint and writes phases.txt at the end. */
static void test_phases_analyzer_reports_steps_and_survives_a_checkpoint(void)
{
	pp_pde_info pde = pp_test_box_pde(2);
	pp_network *net = net_of(&pde);
	size_t P = pp_network_param_count(net);
	double *sum = calloc(P, sizeof *sum), *sumsq = calloc(P, sizeof *sumsq), v[5];
	char dir[] = "/tmp/pp_test_phases_XXXXXX", path[4200], text[256] = "";
	pp_problem problem = {.pde = &pde, .net = net, .n_params = P, .run_dir = mkdtemp(dir)};
	pp_chunk_stats chunks = {10, P, sum, sumsq};
	pp_step_view view = {.net = net, .chunks = &chunks, .n_params = P, .problem = &problem};
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "phases")->ops;
	pp_config_doc *doc;
	pp_error err = {0};
	void *state = create_from("phases", NULL, &problem, &doc, &err), *copy;
	size_t size = 0, m = 2 * 50;   /* first layer: 2 inputs x 50 neurons */
	unsigned char *buf;
	FILE *f;

	for (long step = 0; step < 3000; step += 10) {
		if (step == 1500) {   /* checkpoint and resume in a fresh state */
			CU_ASSERT_EQUAL(ops->save(state, NULL, &size, &err), PP_OK);
			buf = malloc(size);
			CU_ASSERT_EQUAL(ops->save(state, buf, &size, &err), PP_OK);
			copy = create_from("phases", NULL, &problem, &doc, &err);
			CU_ASSERT_EQUAL(ops->load(copy, buf, size, &err), PP_OK);
			CU_ASSERT_NOT_EQUAL(ops->load(copy, buf, size - 1, &err), PP_OK);
			{
				/* well-formed but impossible states are refused, not
				 * used as a ring-buffer index (found by fuzz_checkpoint) */
				size_t at = 8 + offsetof(pp_phase_detector, recent_count);
				long bad = -241, good;
				memcpy(&good, buf + at, sizeof good);
				memcpy(buf + at, &bad, sizeof bad);
				CU_ASSERT_EQUAL(ops->load(copy, buf, size, &err), PP_ERR_INVALID);
				CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "phase detector"));
				memcpy(buf + at, &good, sizeof good);
				at = 8 + offsetof(pp_phase_detector, p.window);
				memcpy(&good, buf + at, sizeof good);
				bad = good + 1;   /* a detector with another window */
				memcpy(buf + at, &bad, sizeof bad);
				CU_ASSERT_EQUAL(ops->load(copy, buf, size, &err), PP_ERR_INVALID);
				memcpy(buf + at, &good, sizeof good);
				CU_ASSERT_EQUAL(ops->load(copy, buf, size, &err), PP_OK);
			}
			free(buf);
			ops->destroy(state);
			state = copy;
		}
		fill_chunks(sum, sumsq, m, 10, step < 500 ? 4 : step < 2000 ? 0.03 : 2);
		view.step = step;
		CU_ASSERT_EQUAL(ops->observe(state, &view, v, &err), PP_OK);
		if (step == 1000) {
			CU_ASSERT_EQUAL(v[0], PP_PHASE_DIFFUSION);
			/* the level (interquartile mean of log SNR over the
			 * last 30 samples) holds 51 samples of 0.03 only */
			PP_ASSERT_CLOSE(v[1], 0.03, 0, 1e-9);
			CU_ASSERT_EQUAL(v[2], 500);
			CU_ASSERT(isnan(v[3]));
		}
	}
	CU_ASSERT_EQUAL(v[0], PP_PHASE_EQUILIBRIUM);
	CU_ASSERT_EQUAL(v[2], 500);
	CU_ASSERT_EQUAL(v[3], 2000);
	CU_ASSERT_EQUAL(v[4], 1);
	CU_ASSERT_EQUAL(ops->finish(state, &view, &err), PP_OK);
	snprintf(path, sizeof path, "%s/phases.txt", dir);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(fread(text, 1, sizeof text - 1, f) > 0);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(text, "diffusion 500\nequilibrium 2000\n");
	unlink(path);
	rmdir(dir);
	/* no statistics: an error, not a crash */
	view.chunks = NULL;
	CU_ASSERT_EQUAL(ops->observe(state, &view, v, &err), PP_ERR_STATE);
	ops->destroy(state);
	/* windows that do not fit the buffer are a config error with a location */
	CU_ASSERT_PTR_NULL(create_from("phases", "window: 120\n", &problem, &doc, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "a.yaml:1:"));
	pp_config_doc_destroy(doc);
	free(sum);
	free(sumsq);
	pp_network_destroy(net);
}

/* m̂ = 0.5·c_j, √v̂ = c_j - ε  =>  ‖m̂‖/‖√v̂ + ε‖ = 0.5 whatever c is. */
static int half_moments(void *optimizer_state, pp_real *m_hat, pp_real *v_hat)
{
	size_t n = *(const size_t *)optimizer_state;

	for (size_t j = 0; j < n; j++) {
		double c = 0.01 * (double)(j % 13 + 1);
		m_hat[j] = (pp_real)(0.5 * c);
		v_hat[j] = (pp_real)((c - 1e-8) * (c - 1e-8));
	}
	return PP_OK;
}

static void test_adam_snr_from_moments_and_nan_without(void)
{
	pp_pde_info pde = pp_test_box_pde(2);
	pp_network *net = net_of(&pde);
	size_t P = pp_network_param_count(net);
	pp_problem problem = {.pde = &pde, .net = net, .n_params = P};
	pp_step_view view = {.net = net, .n_params = P, .problem = &problem};
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "adam_snr")->ops;
	void *state = create("adam_snr", &problem);
	pp_error err = {0};
	double v = 0;

	CU_ASSERT_EQUAL(ops->observe(state, &view, &v, &err), PP_OK);
	CU_ASSERT(isnan(v));   /* sgd, lbfgs: no moments */
	view.moments = half_moments;
	view.optimizer_state = &P;
	CU_ASSERT_EQUAL(ops->observe(state, &view, &v, &err), PP_OK);
	/* √((c−ε)²) + ε = c up to the rounding of squaring and rooting c ~ 0.1
	 * in pp_real: a few units of its epsilon (float: 1e-7) */
	PP_ASSERT_CLOSE(v, 0.5, 0, 1e-9 + 10 * PP_REAL_EPSILON);
	ops->destroy(state);
	pp_network_destroy(net);
}

/* A 1-D "PDE" whose reference is u*(x) = 1 + x on [0, 1] (11 points). */
static int line_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	double x;

	(void)state;
	(void)err;
	for (size_t i = 0; i < pp_grid_size(grid); i++) {
		pp_grid_point(grid, i, &x);
		u[i] = 1 + x;
	}
	return PP_OK;
}

/* A network whose output is the constant c (every weight 0, output bias c):
 * u − u* = c − 1 − x, so on the grid x_i = i/(n−1) the errors are known in
 * closed form; the test sums them independently of the plugin's loop. */
static void test_error_against_a_known_reference(void)
{
	pp_pde_info pde = pp_test_box_pde(1);
	pp_network *net = net_of(&pde);
	pp_pde_ops pde_ops = {.struct_size = sizeof pde_ops, .reference = line_reference};
	char dir[] = "/tmp/pp_test_error_XXXXXX", path[4200], line[256];
	pp_problem problem = {.pde = &pde, .pde_ops = &pde_ops, .net = net,
			      .n_params = pp_network_param_count(net), .run_dir = mkdtemp(dir)};
	pp_step_view view = {.net = net, .problem = &problem};
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "error")->ops;
	pp_config_doc *doc;
	pp_error err = {0};
	pp_layer_view out;
	double v[2], num = 0, den = 0, c = 0.75;
	void *state;
	int rows = 0;
	FILE *f;

	/* no reference: a clear error at create */
	CU_ASSERT_PTR_NULL(create_from("error", NULL, &problem, &doc, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "reference"));
	pde.has_reference = 1;
	pde.reference_grid = (pp_grid){.n_dims = 1, .n = {101}, .hi = {1}, .endpoint = {1}};
	state = create_from("error", "grid: [11]\n", &problem, &doc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(state);
	memset(pp_network_params(net), 0, problem.n_params * sizeof(pp_real));
	pp_network_layer(net, pp_network_layer_count(net) - 1, &out);
	pp_network_params(net)[out.bias_offset] = (pp_real)c;
	for (int i = 0; i <= 10; i++) {
		double x = i / 10.0;
		num += (c - 1 - x) * (c - 1 - x);
		den += (1 + x) * (1 + x);
	}
	CU_ASSERT_EQUAL(ops->observe(state, &view, v, &err), PP_OK);
	PP_ASSERT_CLOSE(v[0], sqrt(num / den), 0, 1e-12);
	PP_ASSERT_CLOSE(v[1], 2 - c, 0, 1e-12);   /* at x = 1 */
	CU_ASSERT_EQUAL(ops->finish(state, &view, &err), PP_OK);
	snprintf(path, sizeof path, "%s/prediction.csv", dir);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
	CU_ASSERT_STRING_EQUAL(line, "x,u_pred,u_ref,abs_err\n");
	while (fgets(line, sizeof line, f))
		rows++;
	fclose(f);
	CU_ASSERT_EQUAL(rows, 11);
	unlink(path);
	rmdir(dir);
	ops->destroy(state);
	pp_config_doc_destroy(doc);
	pp_network_destroy(net);
}

/* Three fields on [0, 1]: u* = 1 + x, a pressure p* = 5 + x² known up to a
 * constant, and w, which the reference does not give (NAN). */
static int fields_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	size_t n = pp_grid_size(grid);
	double x;

	(void)state;
	(void)err;
	for (size_t i = 0; i < n; i++) {
		pp_grid_point(grid, i, &x);
		u[i] = 1 + x;
		u[n + i] = 5 + x * x;
		u[2 * n + i] = NAN;
	}
	return PP_OK;
}

static int nan_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	(void)state;
	(void)err;
	for (size_t i = 0; i < 3 * pp_grid_size(grid); i++)
		u[i] = NAN;
	return PP_OK;
}

/* The pooled and per-field errors of a constant network (biases c_u, c_p,
 * c_w): u − u* = c_u − 1 − x as above; p is compared after removing both
 * means, so a constant prediction leaves exactly p* − mean(p*): rel. L2 1
 * whatever c_p is; w has no reference, so no columns and no share in the
 * pooled error, which is sqrt((Σ(u−u*)² + Σ(p*−p̄*)²) / (Σu*² + Σ(p*−p̄*)²)).
 * prediction.csv holds u and p with their references, p moved to the
 * reference's mean, and w's prediction alone. */
static void test_error_pools_several_fields_and_skips_those_without_reference(void)
{
	pp_pde_info pde = pp_test_box_pde(1);
	pp_network *net;
	pp_pde_ops pde_ops = {.struct_size = sizeof pde_ops, .reference = fields_reference};
	char dir[] = "/tmp/pp_test_fields_XXXXXX", path[4200], line[512];
	pp_problem problem = {.pde = &pde, .pde_ops = &pde_ops, .run_dir = mkdtemp(dir)};
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "error")->ops;
	const char *const *names;
	const double c[3] = {0.75, -3, 2};
	pp_config_doc *doc;
	pp_error err = {0};
	pp_layer_view out;
	double v[8], num_u = 0, den_u = 0, p_mean = 0, dev_p = 0, max_p = 0, row[8];
	void *state;
	int n_names;
	FILE *f;

	pde.n_outputs = 3;
	pde.output_names[0] = "u";
	pde.output_names[1] = "p";
	pde.output_names[2] = "w";
	pde.output_up_to_constant[1] = 1;
	pde.has_reference = 1;
	pde.reference_grid = (pp_grid){.n_dims = 1, .n = {11}, .hi = {1}, .endpoint = {1}};
	net = net_of(&pde);
	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	CU_ASSERT_EQUAL_FATAL(pp_network_output_count(net), 3);
	problem.net = net;
	problem.n_params = pp_network_param_count(net);
	state = create_from("error", NULL, &problem, &doc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(state);
	CU_ASSERT_EQUAL(ops->columns(state, &names, &n_names), PP_OK);
	CU_ASSERT_EQUAL_FATAL(n_names, 6);
	CU_ASSERT_STRING_EQUAL(names[0], "error_rel_l2");
	CU_ASSERT_STRING_EQUAL(names[1], "error_max");
	CU_ASSERT_STRING_EQUAL(names[2], "error_rel_l2_u");
	CU_ASSERT_STRING_EQUAL(names[3], "error_max_u");
	CU_ASSERT_STRING_EQUAL(names[4], "error_rel_l2_p");
	CU_ASSERT_STRING_EQUAL(names[5], "error_max_p");
	memset(pp_network_params(net), 0, problem.n_params * sizeof(pp_real));
	pp_network_layer(net, pp_network_layer_count(net) - 1, &out);
	for (int k = 0; k < 3; k++)
		pp_network_params(net)[out.bias_offset + (size_t)k] = (pp_real)c[k];
	for (int i = 0; i <= 10; i++)
		p_mean += 5 + (i / 10.0) * (i / 10.0);
	p_mean /= 11;
	for (int i = 0; i <= 10; i++) {
		double x = i / 10.0, dp = 5 + x * x - p_mean;
		num_u += (c[0] - 1 - x) * (c[0] - 1 - x);
		den_u += (1 + x) * (1 + x);
		dev_p += dp * dp;
		max_p = fmax(max_p, fabs(dp));
	}
	{
		pp_step_view view = {.net = net, .problem = &problem};
		CU_ASSERT_EQUAL(ops->observe(state, &view, v, &err), PP_OK);
		PP_ASSERT_CLOSE(v[0], sqrt((num_u + dev_p) / (den_u + dev_p)), 0, 1e-12);
		PP_ASSERT_CLOSE(v[1], 2 - c[0], 0, 1e-12);   /* u at x = 1 beats p's 0.65 */
		PP_ASSERT_CLOSE(v[2], sqrt(num_u / den_u), 0, 1e-12);
		PP_ASSERT_CLOSE(v[3], 2 - c[0], 0, 1e-12);
		PP_ASSERT_CLOSE(v[4], 1, 0, 1e-12);
		PP_ASSERT_CLOSE(v[5], max_p, 0, 1e-12);
		CU_ASSERT_EQUAL(ops->finish(state, &view, &err), PP_OK);
	}
	snprintf(path, sizeof path, "%s/prediction.csv", dir);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
	CU_ASSERT_STRING_EQUAL(line, "x,u_pred,u_ref,u_abs_err,p_pred,p_ref,p_abs_err,w_pred\n");
	CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));   /* x = 0 */
	CU_ASSERT_EQUAL(sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &row[0], &row[1], &row[2],
			       &row[3], &row[4], &row[5], &row[6], &row[7]), 8);
	PP_ASSERT_CLOSE(row[1], c[0], 0, 1e-9);
	PP_ASSERT_CLOSE(row[2], 1, 0, 1e-9);
	PP_ASSERT_CLOSE(row[4], p_mean, 0, 1e-9);
	PP_ASSERT_CLOSE(row[5], 5, 0, 1e-9);
	PP_ASSERT_CLOSE(row[6], p_mean - 5, 0, 1e-3);
	PP_ASSERT_CLOSE(row[7], c[2], 0, 1e-9);
	fclose(f);
	unlink(path);
	rmdir(dir);
	ops->destroy(state);
	pp_config_doc_destroy(doc);
	/* a reference that gives none of the fields is refused at create */
	pde_ops.reference = nan_reference;
	CU_ASSERT_PTR_NULL(create_from("error", NULL, &problem, &doc, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "gives none of its fields"));
	pp_config_doc_destroy(doc);
	pp_network_destroy(net);
}

/* A view of one interior term at @x with residuals r and weights lambda. */
static pp_step_view view_of(pp_network *net, pp_term_state *t, const pp_real *x, size_t n,
			    int d, pp_real *r, pp_real *lambda)
{
	pp_step_view v = {0};

	memset(t, 0, sizeof *t);
	t->name = "residual";
	t->interior = 1;
	t->n = n;
	t->n_inputs = d;
	t->x = x;
	t->r = r;
	t->lambda = lambda;
	v.n_terms = 1;
	v.terms = t;
	v.net = net;
	return v;
}

/* One input, one hidden tanh neuron with a tiny weight (tanh ≈ linear to
 * 3e-5): equally spaced samples fill the neuron's 30 bins equally, so
 * H = log2(30) (±1e-3 for the ±1 sample per bin that 2048/30 rounding
 * moves) and 2 of 30 bins are the extreme ones (saturation 1/15).  With a
 * zero weight every sample is the same symbol: H = 0. */
static void test_entropy_of_known_distributions(void)
{
	pp_pde_info pde = pp_test_box_pde(1);
	pp_config_doc *doc = NULL;
	pp_network *net = NULL;
	pp_error err = {0};
	const size_t n = 2048;   /* every point is used */
	pp_real *x = malloc(n * sizeof *x), *r = calloc(n, sizeof *r), *lam = calloc(n, sizeof *lam);
	double values[2];
	pp_term_state t;
	pp_layer_view l0;

	pp_config_doc_parse("layers: [1]\n", 12, "n.yaml", &doc, &err);
	CU_ASSERT_EQUAL_FATAL(pp_network_create(pp_config_doc_root(doc), &pde, 1, &net, &err), PP_OK);
	pp_network_layer(net, 0, &l0);
	for (size_t i = 0; i < n; i++)
		x[i] = (pp_real)(-1.0 + 2.0 * (double)i / (double)(n - 1));
	pp_problem problem = {.pde = &pde, .net = net, .n_params = pp_network_param_count(net)};
	pp_step_view v = view_of(net, &t, x, n, 1, r, lam);
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "information")->ops;
	pp_config_doc *fixed = NULL;
	void *state = NULL;

	/* phasepinn's own binning (the authors' is tests/unit/test_information.c) */
	state = create_from("information", "binning: fixed_width\n", &problem, &fixed, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(state);
	pp_network_params(net)[l0.weight_offset] = 0.01;
	pp_network_params(net)[l0.bias_offset] = 0;
	CU_ASSERT_EQUAL(ops->observe(state, &v, values, &err), PP_OK);
	PP_ASSERT_CLOSE(values[0], log2(30.0), 1e-3, 0);
	PP_ASSERT_CLOSE(values[1], 1.0 / 15.0, 1e-3, 0);
	pp_network_params(net)[l0.weight_offset] = 0;
	CU_ASSERT_EQUAL(ops->observe(state, &v, values, &err), PP_OK);
	PP_ASSERT_CLOSE(values[0], 0.0, 1e-15, 0);
	/* tanh(100x) on [-1, 1] spans (-1, 1) in 30 bins of 2/30; a sample is in
	 * an end bin when |tanh(100x)| > 1 − 2/30, i.e. |x| > atanh(14/15)/100:
	 * share 1 − atanh(14/15)/100 (± 1e-3 for the grid of 2048 samples, 1/2048 apart). */
	pp_network_params(net)[l0.weight_offset] = 100;
	CU_ASSERT_EQUAL(ops->observe(state, &v, values, &err), PP_OK);
	PP_ASSERT_CLOSE(values[1], 1 - atanh(14.0 / 15.0) / 100, 1e-3, 0);
	ops->destroy(state);
	pp_network_destroy(net);
	pp_config_doc_destroy(doc);
	pp_config_doc_destroy(fixed);
	free(x);
	free(r);
	free(lam);
}

/* 10×10 bins over [0,1]², one point per bin centre.  Uniform λ: φ = 1.
 * λ = 1 in one bin and 0 elsewhere: mean(b) = 1/100, mean(b²) = 1/100, so
 * φ = √(1/100) = 0.1.  |r| = 1 everywhere: CV 0, max/mean 1. */
static void test_homogeneity_of_uniform_and_concentrated_weights(void)
{
	pp_pde_info pde = pp_test_box_pde(2);
	pp_network *net = net_of(&pde);
	pp_real x[200], r[100], lam[100];
	pp_problem problem = {.pde = &pde, .net = net, .n_params = pp_network_param_count(net)};
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "homogeneity")->ops;
	pp_error err = {0};
	pp_term_state t;
	double values[4];   /* the last: the shadow RBA φ */
	void *state = NULL;

	for (int i = 0; i < 100; i++) {
		x[2 * i] = (pp_real)((i % 10 + 0.5) / 10.0);
		x[2 * i + 1] = (pp_real)((i / 10 + 0.5) / 10.0);
		r[i] = (pp_real)(i % 2 ? 1 : -1);
		lam[i] = 0.7;
	}
	pp_step_view v = view_of(net, &t, x, 100, 2, r, lam);
	CU_ASSERT_EQUAL_FATAL(ops->create(NULL, &problem, &state, &err), PP_OK);
	ops->observe(state, &v, values, &err);
	PP_ASSERT_CLOSE(values[0], 1.0, 1e-14, 0);
	PP_ASSERT_CLOSE(values[1], 0.0, 1e-14, 0);
	PP_ASSERT_CLOSE(values[2], 1.0, 1e-15, 0);
	for (int i = 0; i < 100; i++)
		lam[i] = i == 37 ? 1 : 0;
	ops->observe(state, &v, values, &err);
	PP_ASSERT_CLOSE(values[0], 0.1, 1e-12, 0);
	/* |r| = 1 and 3 in equal numbers: mean 2, std 1, so CV 1/2, max/mean 3/2 */
	for (int i = 0; i < 100; i++)
		r[i] = (pp_real)(i % 2 ? 3 : -1);
	ops->observe(state, &v, values, &err);
	PP_ASSERT_CLOSE(values[1], 0.5, 1e-14, 0);
	PP_ASSERT_CLOSE(values[2], 1.5, 1e-14, 0);
	ops->destroy(state);
	pp_network_destroy(net);
}

/* One input: 4 bins along x.  λ = 1 in bins 0..2 and 3 in bin 3:
 * b = (1, 1, 1, 3), mean 1.5, mean(b²) = 3, φ = 1.5/√3 = √3/2. */
static void test_homogeneity_bins_one_input(void)
{
	pp_pde_info pde = pp_test_box_pde(1);
	pp_network *net = net_of(&pde);
	pp_real x[40], r[40], lam[40];
	pp_problem problem = {.pde = &pde, .net = net, .n_params = pp_network_param_count(net)};
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "homogeneity")->ops;
	pp_config_doc *doc;
	pp_error err = {0};
	pp_term_state t;
	double values[4];   /* the last: the shadow RBA φ */
	void *state;

	for (int i = 0; i < 40; i++) {
		x[i] = (pp_real)((i + 0.5) / 40.0);
		r[i] = 1;
		lam[i] = (pp_real)(i >= 30 ? 3 : 1);
	}
	pp_step_view v = view_of(net, &t, x, 40, 1, r, lam);
	CU_ASSERT_PTR_NULL(create_from("homogeneity", "bins: [4, 4]\n", &problem, &doc, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "a.yaml:1:"));
	pp_config_doc_destroy(doc);
	state = create_from("homogeneity", "bins: [4]\n", &problem, &doc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(state);
	CU_ASSERT_EQUAL(ops->observe(state, &v, values, &err), PP_OK);
	PP_ASSERT_CLOSE(values[0], sqrt(3.0) / 2, 1e-14, 0);
	ops->destroy(state);
	pp_config_doc_destroy(doc);
	pp_network_destroy(net);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"snr of synthetic chunk gradients", test_snr_of_synthetic_chunk_gradients},
		{"phase detector finds collapse and jump", test_phase_detector_finds_collapse_and_jump},
		{"phase detector is robust to noise", test_phase_detector_is_robust_to_noise},
		{"phase detector reports no jump when there is none", test_phase_detector_reports_no_jump_when_there_is_none},
		{"phase detector flags an equilibrium that does not hold", test_phase_detector_flags_an_equilibrium_that_does_not_hold},
		{"phase detector needs a higher snr before the collapse", test_phase_detector_needs_a_higher_snr_before_the_collapse},
		{"phase detector tells a slow drift from a jump", test_phase_detector_tells_a_slow_drift_from_a_jump},
		{"phase detector lists every transition", test_phase_detector_lists_every_transition},
		{"phases command reads csv curves", test_phases_command_reads_csv_curves},
		{"phases command rejects bad input", test_phases_command_rejects_bad_input},
		{"snr modes ask for chunks or samples", test_snr_modes_ask_for_chunks_or_samples},
		{"phases analyzer reports steps and survives a checkpoint", test_phases_analyzer_reports_steps_and_survives_a_checkpoint},
		{"adam snr from moments and nan without", test_adam_snr_from_moments_and_nan_without},
		{"error against a known reference", test_error_against_a_known_reference},
		{"error pools several fields and skips those without reference", test_error_pools_several_fields_and_skips_those_without_reference},
		{"entropy of known distributions", test_entropy_of_known_distributions},
		{"homogeneity of uniform and concentrated weights", test_homogeneity_of_uniform_and_concentrated_weights},
		{"homogeneity bins one input", test_homogeneity_bins_one_input},
		{NULL, NULL},
	};
	return pp_test_run("analyzers", cases);
}
