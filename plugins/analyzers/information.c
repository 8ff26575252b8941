/* phasepinn plugin — information compression of the hidden activations
 * (after the phase-transition paper's information-bottleneck analysis).
 *
 * On a fixed subsample of the interior points (`samples`, default 2048: the
 * first ones, which are already a random sample), each hidden layer's tanh
 * activations are binned per neuron with one common bin width
 *   w = Σ_neurons range / (neurons · bins_per_neuron)   (bins_per_neuron 30),
 * so a neuron with a wide range gets more bins; the vector of bin indices of
 * a sample is a symbol T and
 *   info_h_l<k>   = H(T) in bits over the distinct symbols (= I(X;T), T being
 *                   a deterministic function of X),
 *   info_sat_l<k> = share of (sample, neuron) pairs in a neuron's lowest or
 *                   highest bin (saturation).
 * H is at most log2(samples).
 */
#include <phasepinn/phasepinn.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 64

typedef struct information {
	long samples;
	double bins_per_neuron;
	int layers;
	const char *names[2 * MAX_LAYERS];
	char store[2 * MAX_LAYERS][24];
	uint64_t *hash;
} information;

static void info_destroy(void *state)
{
	information *s = state;

	if (!s)
		return;
	free(s->hash);
	free(s);
}

static int info_create(const pp_config *cfg, const pp_problem *problem, void **state,
		       pp_error *err)
{
	information *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "samples", 2048, 2, 1000000, &s->samples, err);
	if (!rc)
		rc = pp_config_double(cfg, "bins_per_neuron", 30, 1, 1e6, &s->bins_per_neuron, err);
	if (!rc) {
		s->hash = malloc((size_t)s->samples * sizeof *s->hash);
		if (!s->hash)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	if (rc) {
		info_destroy(s);
		return rc;
	}
	s->layers = pp_network_layer_count(problem->net) - 1;
	if (s->layers > MAX_LAYERS)
		s->layers = MAX_LAYERS;
	for (int l = 0; l < s->layers; l++) {
		snprintf(s->store[l], sizeof s->store[l], "info_h_l%d", l + 1);
		snprintf(s->store[s->layers + l], sizeof s->store[0], "info_sat_l%d", l + 1);
		s->names[l] = s->store[l];
		s->names[s->layers + l] = s->store[s->layers + l];
	}
	*state = s;
	return PP_OK;
}

static int info_columns(void *state, const char *const **names, int *count)
{
	information *s = state;

	*names = s->names;
	*count = 2 * s->layers;
	return PP_OK;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Entropy in bits of the empirical distribution of n symbols (by hash). */
static double entropy_bits(uint64_t *h, size_t n)
{
	double H = 0;

	qsort(h, n, sizeof *h, compare_u64);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && h[j] == h[i])
			j++;
		double p = (double)(j - i) / (double)n;
		H -= p * log2(p);
		i = j;
	}
	return H;
}

/* Smallest and largest activation of neuron j over the n samples. */
static void neuron_range(const pp_real *a, size_t n, int width, int j, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		double v = (double)a[i * (size_t)width + (size_t)j];
		*lo = v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
	}
}

/* H(T) and saturation of one layer's activations a (n × width). */
static void layer_information(information *s, const pp_real *a, size_t n, int width,
			      double *H, double *sat)
{
	double ranges = 0, bin, lo, hi;
	long saturated = 0;

	for (int j = 0; j < width; j++) {
		neuron_range(a, n, width, j, &lo, &hi);
		ranges += hi - lo;
	}
	bin = ranges / ((double)width * s->bins_per_neuron);
	for (size_t i = 0; i < n; i++)
		s->hash[i] = 1469598103934665603ULL;  /* FNV-1a offset basis */
	for (int j = 0; j < width; j++) {
		neuron_range(a, n, width, j, &lo, &hi);
		/* this neuron's bins: ⌈range/w⌉ of them (one when it is constant) */
		long top = bin > 0 ? (long)ceil((hi - lo) / bin - 1e-9) - 1 : 0;
		top = top < 0 ? 0 : top;
		for (size_t i = 0; i < n; i++) {
			double v = (double)a[i * (size_t)width + (size_t)j];
			long k = bin > 0 ? (long)floor((v - lo) / bin) : 0;
			k = k > top ? top : k;
			saturated += k == 0 || k == top;
			s->hash[i] = (s->hash[i] ^ (uint64_t)(k + 1)) * 1099511628211ULL;  /* FNV prime */
		}
	}
	*H = entropy_bits(s->hash, n);
	*sat = (double)saturated / ((double)n * width);
}

static int info_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	information *s = state;
	const pp_term_state *t = NULL;
	pp_channel value = PP_CHANNEL_U;
	pp_batch *batch = NULL;
	pp_real *u;
	size_t n;
	int rc;

	for (int k = 0; k < view->n_terms && !t; k++)
		if (view->terms[k].interior)
			t = &view->terms[k];
	if (!t)
		return pp_error_set(err, PP_ERR_STATE, "information: no interior term");
	n = t->n < (size_t)s->samples ? t->n : (size_t)s->samples;
	if (n == 0) {
		for (int l = 0; l < 2 * s->layers; l++)
			values[l] = NAN;
		return PP_OK;
	}
	u = malloc(n * sizeof *u);
	if (!u)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_batch_create(view->net, n, 1, &value, &batch, err);
	if (!rc)
		rc = pp_network_forward(view->net, batch, n, t->x, u, err);
	for (int l = 0; !rc && l < s->layers; l++) {
		int width;
		const pp_real *a = pp_batch_hidden(batch, l, &width);
		if (!a)
			rc = pp_error_set(err, PP_ERR_STATE, "information: no activations of layer %d", l + 1);
		else
			layer_information(s, a, n, width, &values[l], &values[s->layers + l]);
	}
	pp_batch_destroy(batch);
	free(u);
	return rc;
}

static const pp_analyzer_ops information_ops = {
	.struct_size = sizeof information_ops,
	.create = info_create,
	.destroy = info_destroy,
	.columns = info_columns,
	.observe = info_observe,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "information",
		 "entropy H(T) of binned hidden activations and saturation, per layer",
		 &information_ops)
