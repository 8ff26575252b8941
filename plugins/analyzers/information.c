/* phasepinn plugin — information compression of the hidden activations
 * (after the phase-transition paper's information-bottleneck analysis).
 *
 * Over the interior points (all of them by default, `samples: N` for the
 * first N, which are already a random sample), each hidden layer's
 * activations are binned per neuron; the vector of bin indices of a point is
 * a symbol T and
 *   info_h_l<k>   = H(T) in bits over the distinct symbols (= I(X;T), T being
 *                   a deterministic function of X),
 *   info_sat_l<k> = saturation: the share of points in a neuron's first or
 *                   last bin, averaged over the layer's neurons.
 * Both binnings start from the width w = Σ_v range_v / (neurons · 30)
 * (`bins_per_neuron`):
 *   binning: authors      (default) the authors' utils/mi.py in
 *       soanagno/diffusion-equilibrium: range_v = max_v − min_v + 1e-6,
 *       d_v = int(range_v / w) + 1 edges linspace(min_v, max_v + 1e-6, d_v),
 *       bin = np.digitize (the number of edges ≤ a), saturation counted in
 *       bins 1 and d_v − 1 (both, so a neuron with one interval counts
 *       twice, as theirs does);
 *   binning: fixed_width  phasepinn's earlier binning: ⌈range_v / w⌉ bins of
 *       width w from min_v (range without the 1e-6), saturation in the
 *       lowest or highest of them.
 * docs/analyzers.md gives both in numbers.
 */
#include <phasepinn/phasepinn.h>

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 64
#define CHUNK_POINTS 4096   /* points per forward pass */
#define EDGE_EPS 1e-6       /* the authors' eps: range and last edge */

enum { BIN_AUTHORS, BIN_FIXED_WIDTH };

/* One neuron's bins.  authors: edges e_i = i·step + lo (i < count − 1) and
 * e_{count−1} = stop, as numpy's linspace computes them; the bin of a is
 * the number of edges ≤ a (np.digitize), 1 .. count − 1 for a in range.
 * fixed_width: bin ⌊(a − lo)/step⌋ clamped to 0 .. count − 1. */
typedef struct neuron_bins {
	double lo, step, stop;
	long count;
	long first, last;   /* the bins that count as saturated */
} neuron_bins;

typedef struct information {
	long samples;       /* 0: every interior point */
	double bins_per_neuron;
	int binning;
	int layers;
	const char *names[2 * MAX_LAYERS];
	char store[2 * MAX_LAYERS][24];
	size_t cap;         /* points the arrays below hold */
	uint64_t *hash;     /* [layers][cap]: each point's symbol, hashed */
	double *sat;        /* [layers]: Σ over neurons of the saturated share */
	int width[MAX_LAYERS];
	int total;          /* Σ width, once known */
	double *lo, *hi;    /* [total]: each neuron's range */
	neuron_bins *bins;  /* [total] */
} information;

static void info_destroy(void *state)
{
	information *s = state;

	if (!s)
		return;
	free(s->hash);
	free(s->sat);
	free(s->lo);
	free(s->hi);
	free(s->bins);
	free(s);
}

static int info_create(const pp_config *cfg, const pp_problem *problem, void **state,
		       pp_error *err)
{
	static const char *const binnings[] = {"authors", "fixed_width", NULL};
	information *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "samples", 0, 0, LONG_MAX, &s->samples, err);
	if (!rc)
		rc = pp_config_double(cfg, "bins_per_neuron", 30, 1, 1e6, &s->bins_per_neuron, err);
	if (!rc)
		rc = pp_config_choice(cfg, "binning", "authors", binnings, &s->binning, err);
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

/* Arrays for @n points and, once the widths are known, the neurons. */
static int fit_points(information *s, size_t n, pp_error *err)
{
	uint64_t *hash;

	if (n <= s->cap)
		return PP_OK;
	hash = malloc(n * (size_t)(s->layers ? s->layers : 1) * sizeof *hash);
	if (!hash)
		return pp_error_set(err, PP_ERR_NOMEM, "information: out of memory for %zu points", n);
	free(s->hash);
	s->hash = hash;
	s->cap = n;
	return PP_OK;
}

static int fit_neurons(information *s, const pp_batch *batch, pp_error *err)
{
	int total = 0;

	for (int l = 0; l < s->layers; l++) {
		if (!pp_batch_hidden(batch, l, &s->width[l]))
			return pp_error_set(err, PP_ERR_STATE,
					    "information: no activations of layer %d", l + 1);
		total += s->width[l];
	}
	if (s->bins && total == s->total)
		return PP_OK;
	free(s->lo);
	free(s->hi);
	free(s->bins);
	free(s->sat);
	s->lo = malloc((size_t)total * sizeof *s->lo);
	s->hi = malloc((size_t)total * sizeof *s->hi);
	s->bins = malloc((size_t)total * sizeof *s->bins);
	s->sat = malloc((size_t)(s->layers ? s->layers : 1) * sizeof *s->sat);
	s->total = total;
	if (!s->lo || !s->hi || !s->bins || !s->sat) {
		free(s->bins);
		s->bins = NULL;
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	return PP_OK;
}

/* Widen each neuron's range by the activations of the last forward pass
 * (@n points). */
static void widen_ranges(information *s, const pp_batch *batch, size_t n)
{
	int off = 0, width;

	for (int l = 0; l < s->layers; l++) {
		const pp_real *a = pp_batch_hidden(batch, l, &width);
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < width; j++) {
				double v = (double)a[i * (size_t)width + (size_t)j];
				s->lo[off + j] = v < s->lo[off + j] ? v : s->lo[off + j];
				s->hi[off + j] = v > s->hi[off + j] ? v : s->hi[off + j];
			}
		off += width;
	}
}

/* The bins of every neuron of layer @l (@width neurons from @off), from the
 * ranges: w = Σ range / (width · bins_per_neuron), then as the file comment
 * says.  The authors' arithmetic is followed operation by operation (their
 * range is |min − max − eps|), so their edge counts come out. */
static void layer_bins(information *s, int off, int width)
{
	double sum = 0, w;

	for (int j = 0; j < width; j++) {
		double lo = s->lo[off + j], hi = s->hi[off + j];
		sum += s->binning == BIN_AUTHORS ? fabs(lo - hi - EDGE_EPS) : hi - lo;
	}
	w = sum / (double)width / s->bins_per_neuron;
	for (int j = 0; j < width; j++) {
		neuron_bins *b = &s->bins[off + j];
		double lo = s->lo[off + j], hi = s->hi[off + j];

		b->lo = lo;
		if (s->binning == BIN_AUTHORS) {
			double q = fabs(lo - hi - EDGE_EPS) / w;
			b->count = (q < (double)LONG_MAX / 2 ? (long)q : LONG_MAX / 2) + 1;
			b->stop = hi + EDGE_EPS;
			b->step = b->count > 1 ? (b->stop - lo) / (double)(b->count - 1) : 0;
			b->first = 1;
			b->last = b->count - 1;
		} else {
			/* ⌈range/w⌉ bins, one when the neuron is constant */
			long top = w > 0 ? (long)ceil((hi - lo) / w - 1e-9) - 1 : 0;
			b->count = top < 0 ? 1 : top + 1;
			b->step = w;
			b->first = 0;
			b->last = b->count - 1;
		}
	}
}

/* Edge i of an authors' neuron, as numpy's linspace has it. */
static double edge(const neuron_bins *b, long i)
{
	return i == b->count - 1 ? b->stop : (double)i * b->step + b->lo;
}

/* The bin of activation @v: np.digitize's count of edges ≤ v (authors), or
 * the fixed-width bin.  The quotient guesses, the edges decide. */
static long bin_of(const neuron_bins *b, int binning, double v)
{
	double q = b->step > 0 ? (v - b->lo) / b->step : 0;
	long c;

	if (binning == BIN_FIXED_WIDTH) {
		c = q > 0 ? (q < (double)b->count ? (long)floor(q) : b->count - 1) : 0;
		return c > b->count - 1 ? b->count - 1 : c;
	}
	c = q > 0 ? (q < (double)b->count ? (long)q + 1 : b->count) : 0;
	while (c < b->count && edge(b, c) <= v)
		c++;
	while (c > 0 && edge(b, c - 1) > v)
		c--;
	return c;
}

/* Hash the bins of the last forward pass's @n points, points @base on, into
 * each layer's symbols, and count the saturated ones. */
static void add_symbols(information *s, const pp_batch *batch, size_t base, size_t n)
{
	int off = 0, width;

	for (int l = 0; l < s->layers; l++) {
		const pp_real *a = pp_batch_hidden(batch, l, &width);
		uint64_t *h = s->hash + (size_t)l * s->cap + base;
		long saturated = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t x = 1469598103934665603ULL;  /* FNV-1a offset basis */
			for (int j = 0; j < width; j++) {
				const neuron_bins *b = &s->bins[off + j];
				long k = bin_of(b, s->binning, (double)a[i * (size_t)width + (size_t)j]);
				saturated += (k == b->first) + (k == b->last);
				x = (x ^ (uint64_t)(k + 1)) * 1099511628211ULL;  /* FNV prime */
			}
			h[i] = x;
		}
		/* fixed_width: a neuron with one bin is saturated once, not twice */
		if (s->binning == BIN_FIXED_WIDTH)
			for (int j = 0; j < width; j++)
				if (s->bins[off + j].count == 1)
					saturated -= (long)n;
		s->sat[l] += (double)saturated;
		off += width;
	}
}

/* One forward pass over points [base, base + len) of @t. */
static int forward(const pp_step_view *view, const pp_term_state *t, pp_batch *batch,
		   size_t base, size_t len, pp_real *u, pp_error *err)
{
	return pp_network_forward(view->net, batch, len, t->x + base * (size_t)t->n_inputs, u, err);
}

/* Two passes over the points in chunks: the neurons' ranges, then the
 * symbols (one pass when the points fit one chunk). */
static int measure(information *s, const pp_step_view *view, const pp_term_state *t, size_t n,
		   pp_batch *batch, pp_real *u, size_t chunk, pp_error *err)
{
	int rc = forward(view, t, batch, 0, n < chunk ? n : chunk, u, err);

	if (!rc)
		rc = fit_neurons(s, batch, err);
	if (rc)
		return rc;
	for (int j = 0; j < s->total; j++) {
		s->lo[j] = INFINITY;
		s->hi[j] = -INFINITY;
	}
	for (size_t base = 0; !rc && base < n; base += chunk) {
		size_t len = n - base < chunk ? n - base : chunk;
		if (base)
			rc = forward(view, t, batch, base, len, u, err);
		if (!rc)
			widen_ranges(s, batch, len);
	}
	for (int l = 0, off = 0; l < s->layers; off += s->width[l], l++) {
		layer_bins(s, off, s->width[l]);
		s->sat[l] = 0;
	}
	for (size_t base = 0; !rc && base < n; base += chunk) {
		size_t len = n - base < chunk ? n - base : chunk;
		if (n > chunk)
			rc = forward(view, t, batch, base, len, u, err);
		if (!rc)
			add_symbols(s, batch, base, len);
	}
	return rc;
}

static int info_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	information *s = state;
	const pp_term_state *t = NULL;
	pp_channel value = PP_CHANNEL_U;
	pp_batch *batch = NULL;
	pp_real *u = NULL;
	size_t n, chunk;
	int rc;

	for (int k = 0; k < view->n_terms && !t; k++)
		if (view->terms[k].interior)
			t = &view->terms[k];
	if (!t)
		return pp_error_set(err, PP_ERR_STATE, "information: no interior term");
	n = s->samples && (size_t)s->samples < t->n ? (size_t)s->samples : t->n;
	for (int l = 0; l < 2 * s->layers; l++)
		values[l] = NAN;
	if (n == 0 || s->layers == 0)
		return PP_OK;
	chunk = n < CHUNK_POINTS ? n : CHUNK_POINTS;
	rc = fit_points(s, n, err);
	if (!rc) {
		u = malloc(chunk * sizeof *u);
		if (!u)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	if (!rc)
		rc = pp_batch_create(view->net, chunk, 1, &value, &batch, err);
	if (!rc)
		rc = measure(s, view, t, n, batch, u, chunk, err);
	for (int l = 0; !rc && l < s->layers; l++) {
		values[l] = entropy_bits(s->hash + (size_t)l * s->cap, n);
		values[s->layers + l] = s->sat[l] / (double)n / (double)s->width[l];
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
