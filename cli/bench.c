/* phasepinn — `bench`: time full training steps (forward with derivative
 * channels, PDE residual, backward, Adam update) through the real trainer on
 * Burgers-shaped work, and compare with what OpenBLAS gemm alone reaches on
 * the same matrix shapes, and optionally with the PyTorch peer.
 *
 * Time per step: the median of the K step times after 5 warm-up steps, read
 * from the trainer's metrics rows (time_s at every step), so set-up, the
 * final evaluation and the occasional step slowed by another process on a
 * shared machine do not count.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include <cblas.h>

#include <phasepinn/network.h>

#include "cli/commands.h"
#include "core/csv.h"
#include "core/experiment.h"
#include "core/rundir.h"
#include "core/trainer.h"

#ifdef PP_SINGLE_PRECISION
#define GEMM cblas_sgemm
#define TORCH_DTYPE "f32"
#else
#define GEMM cblas_dgemm
#define TORCH_DTYPE "f64"
#endif

typedef struct bench_args {
	const char *pde;
	long width, depth, points, steps, threads;
	long batch;  /* sampling.batch_points; 0: the experiment's default */
	const char *torch;
} bench_args;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int parse(int argc, char **argv, bench_args *a)
{
	*a = (bench_args){"burgers", 50, 4, 10000, 50, 1, 0, NULL};
	for (int i = 1; i < argc; i += 2) {   /* options come as "--key value" pairs */
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long *target = !strcmp(k, "--width") ? &a->width : !strcmp(k, "--depth") ? &a->depth
			     : !strcmp(k, "--points") ? &a->points : !strcmp(k, "--steps") ? &a->steps
			     : !strcmp(k, "--threads") ? &a->threads
			     : !strcmp(k, "--batch") ? &a->batch : NULL;
		if (!v)
			goto usage;
		if (target) {
			char *end;
			*target = strtol(v, &end, 10);
			if (*end || *target < 1)
				goto usage;
		} else if (!strcmp(k, "--pde")) {
			a->pde = v;
		} else if (!strcmp(k, "--torch")) {
			a->torch = v;
		} else {
			goto usage;
		}
	}
	if (strcmp(a->pde, "burgers") != 0) {
		fprintf(stderr, "phasepinn bench: only --pde burgers is benchmarked (the PyTorch peer's problem)\n");
		return PP_EXIT_USAGE;
	}
	return PP_EXIT_OK;
usage:
	fprintf(stderr, "usage: phasepinn bench [--pde burgers] [--width W] [--depth D] [--points N]\n"
			"                       [--steps K] [--threads T] [--batch POINTS]\n"
			"                       [--torch PATH/torch_pinn.py]\n");
	return PP_EXIT_USAGE;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median time of the steps after @warm from metrics.csv text in @f
 * (columns step and time_s; one row per step), read with core/csv.h. */
static double median_step(FILE *f, long warm)
{
	int col_step, col_time, n = 0, cap = 0;
	double *d = NULL, last_t = NAN, med = NAN;
	long last_step = -1;
	pp_error err = {0};
	pp_csv in;

	rewind(f);
	if (pp_csv_open(&in, f, "the bench's " PP_RUN_METRICS, &err)) {
		pp_csv_close(&in);
		return NAN;
	}
	col_step = pp_csv_column(&in, "step");
	col_time = pp_csv_column(&in, "time_s");
	while (col_step >= 0 && col_time >= 0 && pp_csv_next(&in, &err) == 1) {
		double step = col_step < in.n ? strtod(in.fields[col_step], NULL) : NAN;
		double t = col_time < in.n ? strtod(in.fields[col_time], NULL) : NAN;
		if ((long)step == last_step + 1 && (long)step > warm && isfinite(t)) {
			if (n == cap) {
				double *g = realloc(d, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *d);
				if (!g)
					break;
				d = g;
			}
			d[n++] = t - last_t;
		}
		last_step = (long)step;
		last_t = t;
	}
	pp_csv_close(&in);
	if (n > 0) {
		qsort(d, (size_t)n, sizeof *d, compare_double);
		med = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
	}
	free(d);
	return med;
}

/* Train @warm + a->steps Adam steps on the bench problem; the median
 * seconds per step after the warm-up into *sec. */
static int time_training(const bench_args *a, pp_registry *reg, long warm, double *sec,
			 size_t *params, long *batch, pp_error *err)
{
	long steps = warm + a->steps;
	char path[] = "/tmp/phasepinn_bench_XXXXXX";
	pp_experiment *exp = NULL;
	pp_train_options opts = {0};
	pp_train_result *res = calloc(1, sizeof *res);
	int fd = mkstemp(path), rc;
	FILE *f;

	if (fd < 0 || !res) {
		free(res);
		return pp_error_set(err, PP_ERR_IO, "cannot create a temporary experiment file");
	}
	f = fdopen(fd, "w");
	/* 256 initial points and 256 on each side, like the PyTorch peer */
	fprintf(f, "seed: 0\nthreads: %ld\npde:\n  type: burgers\n  terms:\n"
		   "    residual: {points: %ld}\n    initial: {points: 256}\n    boundary: {points: 512}\n"
		   "network: {width: %ld, depth: %ld}\nsampling: {method: uniform",
		a->threads, a->points, a->width, a->depth);
	/* every batch keeps its activations, as in the PyTorch peer, also with
	 * --batch (which alone would bound the memory at the cost of a forward) */
	if (a->batch)
		fprintf(f, ", batch_points: %ld, keep_activations: true", a->batch);
	fprintf(f, "}\nstages:\n  - optimizer: adam\n    iterations: %ld\n"
		   "logging: {every: 1}\n", steps);
	fclose(f);
	opts.metrics = tmpfile();
	if (!opts.metrics) {
		rc = pp_error_set(err, PP_ERR_IO, "cannot create a temporary metrics file");
		goto done;
	}
	rc = pp_experiment_create(path, reg, NULL, PP_EXPERIMENT_CHECK, &exp, err);
	if (!rc)
		rc = pp_train(exp, &opts, res, err);
	if (!rc) {
		*sec = median_step(opts.metrics, warm);
		*params = pp_network_param_count(exp->net);
		*batch = exp->batch_points;
		if (!isfinite(*sec))
			rc = pp_error_set(err, PP_ERR_IO, "no step times in the trainer's metrics");
	}
done:
	if (opts.metrics)
		fclose(opts.metrics);
	pp_experiment_destroy(exp);
	unlink(path);
	free(res);
	return rc;
}

/* gemm flops of one training step: per term and layer, the forward product
 * and the two backward ones (none for the input gradient of layer 1). */
static double step_flops(const bench_args *a, int features)
{
	/* internal channels: residual {u, u_t, u_x, u_xx} = 4; others {u} = 1 */
	double rows = 4.0 * (double)a->points + 256.0 + 512.0, flops = 0;
	long in = features;

	for (long l = 0; l <= a->depth; l++) {
		long out = l < a->depth ? a->width : 1;
		flops += 2.0 * rows * (double)in * (double)out * (l == 0 ? 2.0 : 3.0);
		in = out;
	}
	return flops;
}

/* One batch of the step as the engine runs it: rows = S·points per tile. */
typedef struct ref_batch {
	int n_tiles;
	int rows[64];
} ref_batch;

/* The batches of a term of @points points with S channels, cut like the
 * trainer (equal batches of at most @batch points) and the engine (tiles). */
static int plan_term(long points, int S, long batch, size_t tile, ref_batch *out, int max)
{
	long n_b = (points + batch - 1) / batch;
	int count = 0;

	for (long b = 0; b < n_b && count < max; b++) {
		size_t len = (size_t)(points * (b + 1) / n_b - points * b / n_b);
		ref_batch *r = &out[count++];
		r->n_tiles = 0;
		for (size_t s = 0; s < len && r->n_tiles < 64; s += tile)
			r->rows[r->n_tiles++] = S * (int)(len - s < tile ? len - s : tile);
	}
	return count;
}

/* Buffers of one reference thread: A (rows × widest), C, W (widest²). */
typedef struct ref_worker {
	const bench_args *a;
	const ref_batch *batches;
	int n_batches, features, worker, n_workers, whole_batches;
	pp_real *A, *C, *W;
	double flops;
	pthread_t tid;
} ref_worker;

/* The three products of every layer (forward Z = A·Wᵀ, dW += Cᵀ·A, dA = C·W;
 * no dA for the first layer) on rows × width blocks. */
static double layer_gemms(const ref_worker *r, int rows)
{
	long in = r->features;
	double flops = 0;

	for (long l = 0; l <= r->a->depth; l++) {
		int out = (int)(l < r->a->depth ? r->a->width : 1), k = (int)in;
		GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, k, 1, r->A, k, r->W, k, 0,
		     r->C, out);
		GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, out, k, rows, 1, r->C, out, r->A, k, 1,
		     r->W, k);
		flops += 4.0 * rows * (double)k * out;
		if (l > 0) {
			GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, k, out, 1, r->C, out, r->W,
			     k, 0, r->A, k);
			flops += 2.0 * rows * (double)k * out;
		}
		in = out;
	}
	return flops;
}

/* A thread's share: its tiles of every batch (the engine's partition), or
 * with whole_batches each batch as one product on OpenBLAS's threads. */
static void *ref_run(void *arg)
{
	ref_worker *r = arg;

	r->flops = 0;
	for (int b = 0; b < r->n_batches; b++) {
		const ref_batch *rb = &r->batches[b];
		if (r->whole_batches) {
			int rows = 0;
			for (int t = 0; t < rb->n_tiles; t++)
				rows += rb->rows[t];
			r->flops += layer_gemms(r, rows);
			continue;
		}
		int first = rb->n_tiles * r->worker / r->n_workers;
		int last = rb->n_tiles * (r->worker + 1) / r->n_workers;
		for (int t = first; t < last; t++)
			r->flops += layer_gemms(r, rb->rows[t]);
	}
	return NULL;
}

static int ref_alloc(ref_worker *r, size_t rows, size_t maxw)
{
	size_t big = rows * maxw;

	r->A = malloc(big * sizeof *r->A);
	r->C = malloc(big * sizeof *r->C);
	r->W = malloc(maxw * maxw * sizeof *r->W);
	if (!r->A || !r->C || !r->W)
		return -1;
	for (size_t i = 0; i < big; i++)
		r->A[i] = (pp_real)((double)(i % 97) / 97.0 - 0.5);
	for (size_t i = 0; i < maxw * maxw; i++)
		r->W[i] = (pp_real)((double)(i % 89) / 89.0 - 0.5);
	return 0;
}

/* GFLOP/s of the step's gemms alone, on random data, in the shapes the
 * trainer and engine run them, best of 3: once as the engine does (tiles
 * on T threads, single-threaded BLAS each) and once with each batch as one
 * product on OpenBLAS's T threads; the better of the two is the reference. */
static double gemm_rate(const bench_args *a, int features, long batch)
{
	ref_batch batches[256];
	ref_worker w[64] = {{0}};
	size_t tile = pp_network_tile_points(), maxw = (size_t)(a->width > features ? a->width : features);
	size_t rows = 4 * (size_t)(batch > 512 ? batch : 512);
	int nb = 0, T = (int)(a->threads < 64 ? a->threads : 64);
	double best = 0;

	nb += plan_term(a->points, 4, batch, tile, batches + nb, 256 - nb);
	nb += plan_term(256, 1, batch, tile, batches + nb, 256 - nb);
	nb += plan_term(512, 1, batch, tile, batches + nb, 256 - nb);
	for (int i = 0; i < T; i++) {
		w[i] = (ref_worker){.a = a, .batches = batches, .n_batches = nb, .features = features,
				    .worker = i, .n_workers = T};
		if (ref_alloc(&w[i], rows, maxw))
			goto done;
	}
	for (int whole = 0; whole <= 1; whole++) {
		openblas_set_num_threads(whole ? T : 1);
		for (int rep = 0; rep < 3; rep++) {
			double t0 = now(), flops = 0, rate;
			int n = whole ? 1 : T;
			for (int i = 1; i < n; i++)
				w[i].whole_batches = whole, pthread_create(&w[i].tid, NULL, ref_run, &w[i]);
			w[0].whole_batches = whole;
			ref_run(&w[0]);
			for (int i = 1; i < n; i++)
				pthread_join(w[i].tid, NULL);
			for (int i = 0; i < n; i++)
				flops += w[i].flops;
			rate = flops / (now() - t0) / 1e9;
			if (rate > best)
				best = rate;
		}
	}
done:
	openblas_set_num_threads((int)a->threads);
	for (int i = 0; i < T; i++) {
		free(w[i].A);
		free(w[i].C);
		free(w[i].W);
	}
	return best;
}

static double run_torch(const bench_args *a)
{
	char cmd[4096], line[1024];
	double sec = NAN;
	FILE *p;

	snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' %ld %ld %ld %ld %s %ld 2>&1", a->torch,
		 a->steps, a->points, a->width, a->depth, TORCH_DTYPE, a->threads);
	p = popen(cmd, "r");
	if (!p)
		return NAN;
	while (fgets(line, sizeof line, p)) {
		char *s = strstr(line, "sec_per_iter=");
		if (s)
			sec = strtod(s + strlen("sec_per_iter="), NULL);
		else
			fprintf(stderr, "torch: %s", line);
	}
	pclose(p);
	return sec;
}

int pp_cli_bench(int argc, char **argv)
{
	bench_args a;
	pp_registry *reg;
	pp_error err = {0};
	double sec = NAN, flops, gflops, peak;
	size_t params = 0;
	long batch = 0;
	const long warm = 5;
	int rc = parse(argc, argv, &a);

	if (rc)
		return rc;
	reg = pp_cli_registry();
	if (!reg)
		return PP_EXIT_USAGE;
	rc = time_training(&a, reg, warm, &sec, &params, &batch, &err);
	pp_registry_destroy(reg);
	if (rc) {
		fprintf(stderr, "phasepinn bench: %s\n", err.message);
		return pp_cli_exit_code(rc);
	}
	flops = step_flops(&a, 2);
	gflops = flops / sec / 1e9;
	peak = gemm_rate(&a, 2, batch);
	printf("pde=%s width=%ld depth=%ld points=%ld steps=%ld threads=%ld precision=%s blas=%s "
	       "params=%zu batch_points=%ld sec_per_step=%.6f gflops=%.2f dgemm_gflops=%.2f "
	       "dgemm_fraction=%.3f",
	       a.pde, a.width, a.depth, a.points, a.steps, a.threads, PP_REAL_NAME,
	       openblas_get_corename(), params, batch, sec, gflops, peak,
	       peak > 0 ? gflops / peak : NAN);
	if (a.torch) {
		double torch = run_torch(&a);
		printf(" torch_sec_per_step=%.6f speedup=%.2f", torch, torch / sec);
	}
	printf("\n");
	return PP_EXIT_OK;
}
