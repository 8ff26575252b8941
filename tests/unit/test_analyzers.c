/* Analyzers: SNR on synthetic chunk gradients with known mean and spread,
 * φ–SNR relation, the phase detector on synthetic curves (and offline through
 * `phasepinn phases`), entropy of known distributions, homogeneity of uniform
 * and concentrated weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_test.h"

static pp_pde_info box(int n_inputs)
{
	pp_pde_info p = {0};

	p.n_inputs = n_inputs;
	p.input_names[0] = "x";
	p.input_names[1] = "y";
	p.hi[0] = p.hi[1] = 1;
	p.time_input = -1;
	p.periodic_input = -1;
	p.n_terms = 1;
	p.terms[0].name = "residual";
	p.terms[0].interior = 1;
	return p;
}

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

/* g_k = μ_j + σ_j·e_k with e = ±1 alternating: mean μ, population std σ. */
static void test_snr_of_synthetic_chunk_gradients(void)
{
	pp_pde_info pde = box(2);
	pp_network *net = net_of(&pde);
	size_t P = pp_network_param_count(net);
	double *sum = calloc(P, sizeof *sum), *sumsq = calloc(P, sizeof *sumsq);
	double mu2 = 0, s2 = 0, values[16];
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

static int run_phases_cli(const char *csv_text, char *out, size_t size)
{
	char dir[] = "/tmp/pp_test_phases_XXXXXX", path[4200], cmd[8400];
	FILE *f;
	size_t n;
	int status;

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/curve.csv", dir);
	f = fopen(path, "w");
	fputs(csv_text, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "%s phases %s 2>&1", getenv("PP_TEST_EXE"), path);
	f = popen(cmd, "r");
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	status = pclose(f);
	unlink(path);
	rmdir(dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_phases_command_reads_csv_curves(void)
{
	static char csv[200000], out[4096];
	size_t used = 0;

	used += (size_t)snprintf(csv + used, sizeof csv - used, "iteration,loss,mu,sigma\n");
	for (long step = 0; step < 8000; step += 10) {
		double mu = step < 1500 ? 5 : step < 6000 ? 0.01 : 3;
		used += (size_t)snprintf(csv + used, sizeof csv - used, "%ld,1.0,%g,1\n", step, mu);
	}
	CU_ASSERT_EQUAL(run_phases_cli(csv, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "diffusion 1500\nequilibrium 6000\n");
	CU_ASSERT_EQUAL(run_phases_cli("iteration,snr\n0,5\n10,5\n20,4\n", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(run_phases_cli("iteration,snr\n0,5\n10,abc\n", out, sizeof out), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "curve.csv:3:"));
	CU_ASSERT_EQUAL(run_phases_cli("step,loss\n0,1\n", out, sizeof out), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "need columns"));
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
 * H = log2(30) (±1e-3 for the ±1 sample per bin that 3000/30 rounding
 * moves) and 2 of 30 bins are the extreme ones (saturation 1/15).  With a
 * zero weight every sample is the same symbol: H = 0. */
static void test_entropy_of_known_distributions(void)
{
	pp_pde_info pde = box(1);
	pp_config_doc *doc = NULL;
	pp_network *net = NULL;
	pp_error err = {0};
	const size_t n = 3000;
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
	void *state = NULL;

	CU_ASSERT_EQUAL_FATAL(ops->create(NULL, &problem, &state, &err), PP_OK);
	pp_network_params(net)[l0.weight_offset] = 0.01;
	pp_network_params(net)[l0.bias_offset] = 0;
	CU_ASSERT_EQUAL(ops->observe(state, &v, values, &err), PP_OK);
	PP_ASSERT_CLOSE(values[0], log2(30.0), 1e-3, 0);
	PP_ASSERT_CLOSE(values[1], 1.0 / 15.0, 1e-3, 0);
	pp_network_params(net)[l0.weight_offset] = 0;
	CU_ASSERT_EQUAL(ops->observe(state, &v, values, &err), PP_OK);
	PP_ASSERT_CLOSE(values[0], 0.0, 1e-15, 0);
	ops->destroy(state);
	pp_network_destroy(net);
	pp_config_doc_destroy(doc);
	free(x);
	free(r);
	free(lam);
}

/* 10×10 bins over [0,1]², one point per bin centre.  Uniform λ: φ = 1.
 * λ = 1 in one bin and 0 elsewhere: mean(b) = 1/100, mean(b²) = 1/100, so
 * φ = √(1/100) = 0.1.  |r| = 1 everywhere: CV 0, max/mean 1. */
static void test_homogeneity_of_uniform_and_concentrated_weights(void)
{
	pp_pde_info pde = box(2);
	pp_network *net = net_of(&pde);
	pp_real x[200], r[100], lam[100];
	pp_problem problem = {.pde = &pde, .net = net, .n_params = pp_network_param_count(net)};
	const pp_analyzer_ops *ops = pp_test_plugin(PP_KIND_ANALYZER, "homogeneity")->ops;
	pp_error err = {0};
	pp_term_state t;
	double values[3];
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
	ops->destroy(state);
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
		{"phases command reads csv curves", test_phases_command_reads_csv_curves},
		{"entropy of known distributions", test_entropy_of_known_distributions},
		{"homogeneity of uniform and concentrated weights", test_homogeneity_of_uniform_and_concentrated_weights},
		{NULL, NULL},
	};
	return pp_test_run("analyzers", cases);
}
