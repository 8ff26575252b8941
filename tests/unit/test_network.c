/* The network engine: derivative channels against finite differences in the
 * inputs, parameter gradients against finite differences of a loss, chunked
 * backward equal to one backward, determinism, exact periodicity.
 *
 * Tolerances (double): central differences with step h have truncation error
 * ~h²·|f'''| and round-off ~ε/h; with h = 1e-5 on O(1) quantities both are
 * below ~1e-9, so 1e-7 relative (plus 1e-8 absolute) leaves margin.  Second
 * derivatives by differencing first-derivative channels: same argument.
 * Single precision: ε ≈ 1.2e-7, h = 1e-2 gives errors ~1e-4, tolerance 2e-2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <phasepinn/network.h>
#include <phasepinn/rng.h>

#include <cblas.h>

#include "core/activation.h"
#include "core/config_doc.h"
#include "core/small_gemm.h"
#include "pp_test.h"

#ifdef PP_SINGLE_PRECISION
#define H_STEP 1e-2
#define RTOL 2e-2
#define ATOL 2e-3
#else
#define H_STEP 1e-5
#define RTOL 1e-7
#define ATOL 1e-8
#endif

static pp_pde_info pde2(void)
{
	pp_pde_info info = {0};

	info.n_inputs = 2;
	info.input_names[0] = "x";
	info.input_names[1] = "y";
	info.lo[0] = -1;
	info.hi[0] = 1;
	info.lo[1] = 0;
	info.hi[1] = 1;
	info.time_input = 1;
	info.periodic_input = -1;
	return info;
}

static pp_network *make_net(const char *yaml)
{
	pp_config_doc *doc = NULL;
	pp_network *net = NULL;
	pp_error err = {0};
	pp_pde_info info = pde2();

	if (yaml && pp_config_doc_parse(yaml, strlen(yaml), "net.yaml", &doc, &err)) {
		fprintf(stderr, "%s\n", err.message);
		return NULL;
	}
	if (pp_network_create(doc ? pp_config_doc_root(doc) : NULL, &info, 11, &net, &err))
		fprintf(stderr, "%s\n", err.message);
	pp_config_doc_destroy(doc);
	return net;
}

/* All channels of order ≤ 2 in 2 inputs. */
static const pp_channel all_channels[] = {
	PP_CHANNEL_U, PP_CHANNEL_D(0), PP_CHANNEL_D(1),
	PP_CHANNEL_DD(0, 0), PP_CHANNEL_DD(0, 1), PP_CHANNEL_DD(1, 1),
};
#define N_ALL 6

static void points(size_t n, pp_real *x, uint64_t seed)
{
	pp_rng r;

	pp_rng_init(&r, seed, 0);
	for (size_t i = 0; i < n; i++) {
		x[2 * i] = (pp_real)(2 * pp_rng_uniform(&r) - 1);
		x[2 * i + 1] = (pp_real)pp_rng_uniform(&r);
	}
}

static void value_at(pp_network *net, const pp_real *x, int n_ch, const pp_channel *ch,
		     pp_real *out)
{
	pp_batch *b = NULL;
	pp_error err = {0};

	pp_batch_create(net, 1, n_ch, ch, &b, &err);
	pp_network_forward(net, b, 1, x, out, &err);
	pp_batch_destroy(b);
}

/* Every channel against central differences of the channel one order lower. */
static void check_channels(const char *yaml)
{
	pp_network *net = make_net(yaml);
	pp_batch *b = NULL;
	pp_error err = {0};
	const size_t n = 7;
	pp_real x[14], out[N_ALL * 7];

	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	points(n, x, 5);
	CU_ASSERT_EQUAL_FATAL(pp_batch_create(net, n, N_ALL, all_channels, &b, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_network_forward(net, b, n, x, out, &err), PP_OK);
	for (size_t i = 0; i < n; i++) {
		for (int c = 1; c < N_ALL; c++) {
			pp_channel ch = all_channels[c];
			/* differentiate channel "lower" in input d */
			pp_channel lower = ch.order == 1 ? PP_CHANNEL_U : PP_CHANNEL_D(ch.d[0]);
			int d = ch.d[ch.order - 1];
			pp_real xp[2] = {x[2 * i], x[2 * i + 1]}, xm[2] = {x[2 * i], x[2 * i + 1]};
			pp_real fp, fm;
			xp[d] += (pp_real)H_STEP;
			xm[d] -= (pp_real)H_STEP;
			value_at(net, xp, 1, &lower, &fp);
			value_at(net, xm, 1, &lower, &fm);
			double fd = ((double)fp - (double)fm) / (2 * H_STEP);
			PP_ASSERT_CLOSE(out[(size_t)c * n + i], fd, ATOL, RTOL * 10);
		}
	}
	pp_batch_destroy(b);
	pp_network_destroy(net);
}

static void test_channels_match_finite_differences_tanh(void)
{
	check_channels("layers: [9, 7, 5]\nactivation: tanh\n");
}

static void test_channels_match_finite_differences_sin(void)
{
	check_channels("layers: [6, 6]\nactivation: sin\n");
}

static void test_channels_match_finite_differences_gelu(void)
{
	check_channels("layers: [6, 6]\nactivation: gelu\n");
}

static void test_channels_match_finite_differences_embeddings(void)
{
	check_channels("layers: [6, 6]\nembedding:\n  periodic: {input: x, period: 2.0, harmonics: 2}\n");
	check_channels("layers: [6]\nembedding:\n  random_fourier: {features: 4, scale: 0.5}\n");
}

/* loss = Σ_c Σ_i coef_c · out_c,i² / 2, so ∂loss/∂out = coef·out (the seed). */
static double loss_of(pp_network *net, pp_batch *b, size_t n, const pp_real *x, pp_real *out,
		      pp_real *seed)
{
	pp_error err = {0};
	double loss = 0;

	pp_network_forward(net, b, n, x, out, &err);
	for (int c = 0; c < N_ALL; c++)
		for (size_t i = 0; i < n; i++) {
			double coef = 1.0 + 0.5 * c, v = (double)out[(size_t)c * n + i];
			loss += 0.5 * coef * v * v;
			if (seed)
				seed[(size_t)c * n + i] = (pp_real)(coef * v);
		}
	return loss;
}

static void check_gradient(const char *yaml)
{
	pp_network *net = make_net(yaml);
	pp_batch *b = NULL;
	pp_error err = {0};
	const size_t n = 5;
	pp_real x[10], out[N_ALL * 5], seed[N_ALL * 5];
	size_t P;
	pp_real *grad, *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	P = pp_network_param_count(net);
	p = pp_network_params(net);
	grad = calloc(P, sizeof *grad);
	points(n, x, 9);
	pp_batch_create(net, n, N_ALL, all_channels, &b, &err);
	loss_of(net, b, n, x, out, seed);
	CU_ASSERT_EQUAL(pp_network_backward(net, b, seed, grad, &err), PP_OK);
	/* every parameter for small nets: weights and biases of every layer */
	for (size_t j = 0; j < P; j++) {
		pp_real save = p[j];
		double lp, lm;
		p[j] = save + (pp_real)H_STEP;
		lp = loss_of(net, b, n, x, out, NULL);
		p[j] = save - (pp_real)H_STEP;
		lm = loss_of(net, b, n, x, out, NULL);
		p[j] = save;
		PP_ASSERT_CLOSE(grad[j], (lp - lm) / (2 * H_STEP), ATOL * 10, RTOL * 10);
	}
	free(grad);
	pp_batch_destroy(b);
	pp_network_destroy(net);
}

static void test_parameter_gradients_match_finite_differences(void)
{
	check_gradient("layers: [6, 5]\nactivation: tanh\n");
	check_gradient("layers: [5, 4]\nactivation: sin\n");
	check_gradient("layers: [5]\nactivation: gelu\nembedding:\n  periodic: {input: x, harmonics: 2}\n");
	/* wider than PP_SMALL_GEMM_MAX: the layers that go through OpenBLAS */
	check_gradient("layers: [40, 33]\nactivation: tanh\n");
}

/* Naive z = in·Wᵀ (+ bias on rows < bias_rows) for the kernel check below. */
static double naive_forward(int fan_in, const pp_real *in, const pp_real *W, const pp_real *bias,
			    size_t i, int j, size_t bias_rows)
{
	double sum = i < bias_rows ? (double)bias[j] : 0.0;

	for (int p = 0; p < fan_in; p++)
		sum += (double)in[i * (size_t)fan_in + (size_t)p] * (double)W[j * fan_in + p];
	return sum;
}

/* Every fan_in × fan_out up to 32 (vector tails, one to three column
 * panels, row counts that leave partial row blocks of 12 with and without a
 * whole block of 4 in them, a bias boundary inside a block, several chunks
 * of 64 rows in the weight gradient): the three narrow-layer products
 * against plain loops. */
static void test_narrow_layer_products_match_plain_loops(void)
{
	enum { ROWS = 150, BIAS_ROWS = 53, M = PP_SMALL_GEMM_MAX };
	static pp_real in[ROWS * M], gz[ROWS * M], out[ROWS * M], W[M * M], bias[M], dW[M * M],
		db[M];
	double tol = 100 * PP_REAL_EPSILON, worst = 0;
	pp_rng rng;

	pp_rng_init(&rng, 5, 0);
	for (int k = 0; k < ROWS * M; k++) {
		in[k] = (pp_real)pp_rng_normal(&rng);
		gz[k] = (pp_real)pp_rng_normal(&rng);
	}
	for (int k = 0; k < M * M; k++)
		W[k] = (pp_real)pp_rng_normal(&rng);
	for (int k = 0; k < M; k++)
		bias[k] = (pp_real)pp_rng_normal(&rng);
	for (int fi = 1; fi <= M; fi++) {
		for (int fo = 1; fo <= M; fo++) {
			CU_ASSERT_FATAL(pp_small_gemm_fits(fi, fo));
			pp_small_forward(ROWS, fi, fo, in, W, bias, BIAS_ROWS, out);
			for (size_t i = 0; i < ROWS; i++)
				for (int j = 0; j < fo; j++) {
					double e = naive_forward(fi, in, W, bias, i, j, BIAS_ROWS);
					worst = fmax(worst, fabs(out[i * (size_t)fo + (size_t)j] - e));
				}
			pp_small_input_grad(ROWS, fi, fo, gz, W, out);
			for (size_t i = 0; i < ROWS; i++)
				for (int p = 0; p < fi; p++) {
					double e = 0;
					for (int j = 0; j < fo; j++)
						e += (double)gz[i * (size_t)fo + (size_t)j] * W[j * fi + p];
					worst = fmax(worst, fabs(out[i * (size_t)fi + (size_t)p] - e));
				}
			for (int k = 0; k < M * M; k++)
				dW[k] = 1;
			for (int k = 0; k < M; k++)
				db[k] = 1;
			pp_small_weight_grad(ROWS, fi, fo, gz, in, dW, BIAS_ROWS, db);
			for (int j = 0; j < fo; j++) {
				double eb = 1;
				for (size_t i = 0; i < BIAS_ROWS; i++)
					eb += gz[i * (size_t)fo + (size_t)j];
				worst = fmax(worst, fabs(db[j] - eb));
				for (int p = 0; p < fi; p++) {
					double e = 1;
					for (size_t i = 0; i < ROWS; i++)
						e += (double)gz[i * (size_t)fo + (size_t)j] *
						     in[i * (size_t)fi + (size_t)p];
					worst = fmax(worst, fabs(dW[j * fi + p] - e));
				}
			}
		}
	}
	/* sums of at most 150 products of unit normals (partial sums ≲ 40);
	 * a wrong index is off by O(1) */
	CU_ASSERT(worst < tol * 40);
	CU_ASSERT(!pp_small_gemm_fits(M + 1, 4));
	CU_ASSERT(!pp_small_gemm_fits(4, M + 1));
}

/* 12,000 points at once against three chunks of 4,000 (both cut into
 * tiles of pp_network_tile_points(), at different places). */
static void test_chunked_backward_equals_one_backward(void)
{
	pp_network *net = make_net("layers: [8, 8]\n");
	pp_batch *whole = NULL, *part = NULL;
	pp_error err = {0};
	const size_t n = 12000, c = 4000;
	pp_real *x = malloc(2 * n * sizeof *x);
	pp_real *out = malloc(N_ALL * n * sizeof *out), *seed = malloc(N_ALL * n * sizeof *seed);
	size_t P = pp_network_param_count(net);
	pp_real *g1 = calloc(P, sizeof *g1), *g2 = calloc(P, sizeof *g2);

	points(n, x, 3);
	pp_batch_create(net, n, N_ALL, all_channels, &whole, &err);
	pp_batch_create(net, c, N_ALL, all_channels, &part, &err);
	loss_of(net, whole, n, x, out, seed);
	pp_network_backward(net, whole, seed, g1, &err);
	for (size_t s = 0; s < n; s += c) {
		loss_of(net, part, c, x + 2 * s, out, seed);
		pp_network_backward(net, part, seed, g2, &err);
	}
	/* the same products summed in another order: rounding only */
	for (size_t j = 0; j < P; j++)
		PP_ASSERT_CLOSE(g2[j], g1[j], 1e3 * PP_REAL_EPSILON, 1e3 * PP_REAL_EPSILON);
	free(x);
	free(out);
	free(seed);
	free(g1);
	free(g2);
	pp_batch_destroy(whole);
	pp_batch_destroy(part);
	pp_network_destroy(net);
}

/* Forward and backward of @n points on @threads engine threads. */
static void run_threads(pp_network *net, int threads, size_t n, const pp_real *x, pp_real *out,
			pp_real *grad)
{
	pp_batch *b = NULL;
	pp_error err = {0};
	pp_real *seed = malloc(N_ALL * n * sizeof *seed);

	openblas_set_num_threads(threads);
	CU_ASSERT_EQUAL(pp_batch_create(net, n, N_ALL, all_channels, &b, &err), PP_OK);
	loss_of(net, b, n, x, out, seed);
	memset(grad, 0, pp_network_param_count(net) * sizeof *grad);
	CU_ASSERT_EQUAL(pp_network_backward(net, b, seed, grad, &err), PP_OK);
	openblas_set_num_threads(1);
	pp_batch_destroy(b);
	free(seed);
}

/* Tiles spread over 2 and 3 threads give the one-thread channels and
 * gradient up to summation order, and the same bits run after run. */
static void test_threads_agree_and_are_deterministic(void)
{
	pp_network *net = make_net("layers: [16, 12]\n");
	const size_t n = 3000;  /* 6 tiles: uneven shares on 3 threads */
	size_t P = pp_network_param_count(net);
	pp_real *x = malloc(2 * n * sizeof *x), *out[3], *g[3];

	points(n, x, 21);
	for (int k = 0; k < 3; k++) {
		out[k] = malloc(N_ALL * n * sizeof *out[k]);
		g[k] = malloc(P * sizeof *g[k]);
	}
	run_threads(net, 1, n, x, out[0], g[0]);
	for (int threads = 2; threads <= 3; threads++) {
		run_threads(net, threads, n, x, out[1], g[1]);
		run_threads(net, threads, n, x, out[2], g[2]);
		CU_ASSERT_EQUAL(memcmp(out[1], out[2], N_ALL * n * sizeof *out[1]), 0);
		CU_ASSERT_EQUAL(memcmp(g[1], g[2], P * sizeof *g[1]), 0);
		/* per-point values do not depend on the tiling; sums of
		 * 3,000 terms in another order differ by rounding only */
		for (size_t i = 0; i < N_ALL * n; i++)
			PP_ASSERT_CLOSE(out[1][i], out[0][i], 1e2 * PP_REAL_EPSILON, 1e2 * PP_REAL_EPSILON);
		for (size_t j = 0; j < P; j++)
			PP_ASSERT_CLOSE(g[1][j], g[0][j], 1e3 * PP_REAL_EPSILON, 1e3 * PP_REAL_EPSILON);
	}
	for (int k = 0; k < 3; k++) {
		free(out[k]);
		free(g[k]);
	}
	free(x);
	pp_network_destroy(net);
}

/* The hidden activations of a batch of several tiles, gathered in point
 * order, equal those of one-point batches. */
static void test_hidden_rows_follow_point_order(void)
{
	pp_network *net = make_net("layers: [6, 5]\n");
	const size_t n = 1300;  /* 3 tiles, the last one partial */
	pp_real *x = malloc(2 * n * sizeof *x), *u = malloc(n * sizeof *u), one;
	pp_channel value = PP_CHANNEL_U;
	pp_batch *b = NULL, *b1 = NULL;
	pp_error err = {0};
	const pp_real *h, *h1;
	int w, w1;

	points(n, x, 4);
	pp_batch_create(net, n, 1, &value, &b, &err);
	pp_batch_create(net, 1, 1, &value, &b1, &err);
	pp_network_forward(net, b, n, x, u, &err);
	h = pp_batch_hidden(b, 1, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(w, 5);
	CU_ASSERT_PTR_NULL(pp_batch_hidden(b, 2, NULL));
	for (size_t i = 0; i < n; i += 97) {
		pp_network_forward(net, b1, 1, x + 2 * i, &one, &err);
		h1 = pp_batch_hidden(b1, 1, &w1);
		for (int j = 0; j < w; j++)
			PP_ASSERT_CLOSE(h[i * (size_t)w + (size_t)j], h1[j], 1e2 * PP_REAL_EPSILON, 1e2 * PP_REAL_EPSILON);
		PP_ASSERT_CLOSE(u[i], one, 1e2 * PP_REAL_EPSILON, 1e2 * PP_REAL_EPSILON);
	}
	free(x);
	free(u);
	pp_batch_destroy(b);
	pp_batch_destroy(b1);
	pp_network_destroy(net);
}

static void test_same_seed_gives_identical_networks(void)
{
	pp_network *a = make_net("layers: [16, 16]\n"), *b = make_net("layers: [16, 16]\n");
	pp_network *c = make_net("layers: [16, 16]\nseed: 99\n");

	CU_ASSERT_EQUAL(memcmp(pp_network_params(a), pp_network_params(b),
			       pp_network_param_count(a) * sizeof(pp_real)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(pp_network_params(a), pp_network_params(c),
				   pp_network_param_count(a) * sizeof(pp_real)), 0);
	pp_network_destroy(a);
	pp_network_destroy(b);
	pp_network_destroy(c);
}

static void test_periodic_embedding_is_exactly_periodic(void)
{
	pp_network *net = make_net("layers: [8, 8]\nembedding:\n  periodic: {input: x, period: 2.0}\n");
	pp_real x[4] = {-0.75, 0.3, 1.25, 0.3}, u[2];
	pp_error err = {0};

	CU_ASSERT_EQUAL(pp_network_predict(net, 2, x, u, &err), PP_OK);
	PP_ASSERT_CLOSE(u[0], u[1], 1e-14, 1e-12);
	pp_network_destroy(net);
}

static void test_xavier_normal_has_the_right_spread(void)
{
	pp_network *net = make_net("width: 200\ndepth: 2\n");
	pp_layer_view v;
	double s2 = 0;
	size_t count;

	pp_network_layer(net, 1, &v);  /* 200 × 200 */
	count = (size_t)v.fan_in * (size_t)v.fan_out;
	for (size_t j = 0; j < count; j++)
		s2 += (double)pp_network_params(net)[v.weight_offset + j] *
		      (double)pp_network_params(net)[v.weight_offset + j];
	/* variance 2/(fan_in + fan_out) = 0.005; 40,000 draws: relative se 0.7% */
	PP_ASSERT_CLOSE(s2 / (double)count, 2.0 / 400.0, 0, 0.04);
	pp_network_destroy(net);
}

static void test_bad_network_config_is_refused(void)
{
	pp_config_doc *doc = NULL;
	pp_network *net = NULL;
	pp_error err = {0};
	pp_pde_info info = pde2();
	const char *yaml = "layers: [8, 8]\nactivation: relu\n";

	pp_config_doc_parse(yaml, strlen(yaml), "net.yaml", &doc, &err);
	CU_ASSERT_EQUAL(pp_network_create(pp_config_doc_root(doc), &info, 1, &net, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "net.yaml:2:13: unknown activation 'relu'"));
	pp_config_doc_destroy(doc);
}

/* `phasepinn bench` on a tiny case: one line with the keys the docs and
 * the comparison with PyTorch read (the timing itself is not tested). */
static void test_bench_prints_one_line_of_keys(void)
{
	const char *exe = getenv("PP_TEST_EXE");
	static const char *const keys[] = {"width=8 ", "depth=2 ", "points=600 ", "threads=1 ",
					   "precision=" PP_REAL_NAME, "params=", "sec_per_step=",
					   "gflops=", "dgemm_fraction=", NULL};
	char cmd[1024], line[2048] = "", extra[64] = "";
	FILE *p;

	/* meson test builds the CLI first: a missing one is a failure */
	CU_ASSERT_FATAL(exe && access(exe, X_OK) == 0);
	snprintf(cmd, sizeof cmd, "'%s' bench --width 8 --depth 2 --points 600 --steps 2 --threads 1",
		 exe);
	p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, p));
	CU_ASSERT_PTR_NULL(fgets(extra, sizeof extra, p));
	CU_ASSERT_EQUAL(pclose(p), 0);
	for (int k = 0; keys[k]; k++)
		CU_ASSERT_PTR_NOT_NULL(strstr(line, keys[k]));
}

static void test_fast_tanh_is_accurate(void)
{
	double worst = 0;

	for (double z = -40; z <= 40; z += 1e-3) {
		double e = fabs(pp_tanh(z) - tanh(z)) / fmax(fabs(tanh(z)), 1e-300);
		if (e > worst)
			worst = e;
	}
	CU_ASSERT(worst < 4e-16);  /* ≈ 2 ulp */
	CU_ASSERT_EQUAL(pp_tanh(0.0), 0.0);
}

/* A channel set for the fused tanh kernels: the value, n1 first-order
 * channels and order-2 channels on pairs of them (a square and a mixed one
 * when n1 >= 2), up to S channels. */
static int tanh_channel_set(int n1, int S, int *order, int *pa, int *pb)
{
	int c = 1;

	order[0] = 0;
	pa[0] = pb[0] = -1;
	for (; c <= n1 && c < S; c++) {
		order[c] = 1;
		pa[c] = pb[c] = -1;
	}
	for (int k = 0; c < S; c++, k++) {
		order[c] = 2;
		pa[c] = 1 + k % n1;
		pb[c] = 1 + (k / n1 + k) % n1;
	}
	return c;
}

/* The fused tanh channel kernels (one pass, σ' and σ'' in registers)
 * against the pass-per-channel formulas in plain double, for ranges of
 * every length up to a few vectors (the zero-padded tail), squares and
 * mixed second derivatives, up to the 15 channels of order <= 2 in four
 * inputs, with strides that differ between z and the other arrays. */
static void test_fused_tanh_channels_match_the_plain_formulas(void)
{
	enum { MAXS = 15, MAXM = 40, ZS = 53, GS = 47 };
	static pp_real z[MAXS * ZS], h[MAXS * GS], gh[MAXS * GS], gz[MAXS * GS];
	static double eh[MAXS * GS], egz[MAXS * GS];
	int order[MAXS], pa[MAXS], pb[MAXS];
	const int sets[][2] = {{2, 4}, {2, 6}, {3, 10}, {4, 15}, {1, 1}};
	/* terms are products of at most four factors below 3 in size, a few
	 * per entry: rounding (FMAs here, not in the reference) is below
	 * 100 ulp of 10; a wrong entry or channel is off by O(1) */
	double tol = 100 * 10 * PP_REAL_EPSILON, worst_f = 0, worst_b = 0;
	pp_rng rng;

	pp_rng_init(&rng, 17, 0);
	for (size_t set = 0; set < sizeof sets / sizeof sets[0]; set++) {
		int S = tanh_channel_set(sets[set][0], sets[set][1], order, pa, pb);
		for (size_t m = 1; m <= MAXM; m++) {
			for (int k = 0; k < MAXS * ZS; k++)
				z[k] = (pp_real)pp_rng_normal(&rng);
			for (int k = 0; k < MAXS * GS; k++) {
				h[k] = (pp_real)(2 * pp_rng_uniform(&rng) - 1);
				gh[k] = (pp_real)pp_rng_normal(&rng);
				gz[k] = (pp_real)-7;
			}
			for (size_t i = 0; i < m; i++) {
				double t = h[i], s1 = 1 - t * t, s2 = -2 * t * s1;
				double s3 = -2 * s1 * (1 - 3 * t * t), g0 = gh[i] * s1;
				for (int c = 1; c < S; c++) {
					double zc = z[c * ZS + i], g = gh[c * GS + i];
					eh[c * GS + i] = order[c] == 1 ? s1 * zc
						: s2 * z[pa[c] * ZS + i] * z[pb[c] * ZS + i] + s1 * zc;
					egz[c * GS + i] = g * s1;
					if (order[c] == 1)
						g0 += g * s2 * zc;
				}
				for (int c = 1; c < S; c++) {
					if (order[c] != 2)
						continue;
					double g = gh[c * GS + i], za = z[pa[c] * ZS + i];
					double zb = z[pb[c] * ZS + i];
					g0 += g * (s3 * za * zb + s2 * z[c * ZS + i]);
					egz[pa[c] * GS + i] += g * s2 * zb;
					egz[pb[c] * GS + i] += g * s2 * za;
				}
				egz[i] = g0;
			}
			pp_tanh_channels_forward(m, S, order, pa, pb, z, ZS, h, GS);
			pp_tanh_channels_backward(m, S, order, pa, pb, h, z, ZS, gh, gz, GS);
			for (int c = 0; c < S; c++) {
				for (size_t i = 0; i < m; i++) {
					if (c > 0)
						worst_f = fmax(worst_f, fabs(h[c * GS + i] - eh[c * GS + i]));
					worst_b = fmax(worst_b, fabs(gz[c * GS + i] - egz[c * GS + i]));
				}
				/* nothing past the range is written */
				CU_ASSERT_EQUAL(gz[c * GS + m], (pp_real)-7);
			}
		}
	}
	CU_ASSERT(worst_f < tol);
	CU_ASSERT(worst_b < tol);
	CU_ASSERT(pp_tanh_channels_fit(15));
	CU_ASSERT(!pp_tanh_channels_fit(17));
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"channels match finite differences (tanh)", test_channels_match_finite_differences_tanh},
		{"channels match finite differences (sin)", test_channels_match_finite_differences_sin},
		{"channels match finite differences (gelu)", test_channels_match_finite_differences_gelu},
		{"channels match finite differences (embeddings)", test_channels_match_finite_differences_embeddings},
		{"parameter gradients match finite differences", test_parameter_gradients_match_finite_differences},
		{"narrow-layer products match plain loops", test_narrow_layer_products_match_plain_loops},
		{"chunked backward equals one backward", test_chunked_backward_equals_one_backward},
		{"threads agree and are deterministic", test_threads_agree_and_are_deterministic},
		{"hidden rows follow point order", test_hidden_rows_follow_point_order},
		{"same seed gives identical networks", test_same_seed_gives_identical_networks},
		{"periodic embedding is exactly periodic", test_periodic_embedding_is_exactly_periodic},
		{"xavier normal has the right spread", test_xavier_normal_has_the_right_spread},
		{"bad network config is refused", test_bad_network_config_is_refused},
		{"fast tanh is accurate", test_fast_tanh_is_accurate},
		{"fused tanh channels match the plain formulas", test_fused_tanh_channels_match_the_plain_formulas},
		{"bench prints one line of keys", test_bench_prints_one_line_of_keys},
		{NULL, NULL},
	};
	return pp_test_run("network", cases);
}
