/* phasepinn — the MLP engine with derivative channels (see network.h).
 *
 * Shapes, for a batch of n points with S internal channels:
 *   features  F0: S·n × f0     (the embedding of x and its derivatives)
 *   layer l:  Z_l = H_{l-1}·W_lᵀ (+ b_l on the value block): S·n × w_l
 *             H_l = channel activation of Z_l:                S·n × w_l
 *             s1, s2, s3 = σ', σ'', σ''' at the value block:  n × w_l
 *   output:   u = H_L·w_outᵀ + b_out:                         S·n × 1
 * Channel blocks are row blocks: rows [c·n, (c+1)·n) hold channel c.
 * Internal channel order: value, then first derivatives, then second ones;
 * the closure of what a term asked for (u_xy needs u_x and u_y).
 */
#include <phasepinn/network.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include <phasepinn/rng.h>

#include "core/activation.h"

#ifdef PP_SINGLE_PRECISION
#define GEMM cblas_sgemm
#define GEMV cblas_sgemv
#else
#define GEMM cblas_dgemm
#define GEMV cblas_dgemv
#endif

#define PP_MAX_LAYERS 64
#define PP_MAX_FEATURES 4096
#define PREDICT_CHUNK 4096

/* One embedding feature of the raw inputs x (d of them):
 * identity: x[input]; trig: cos or sin of b·x. */
typedef struct feature {
	int trig;          /* 0 identity, 1 cos, 2 sin */
	int input;         /* identity: which input */
	double b[PP_MAX_INPUTS];
} feature;

struct pp_network {
	int n_inputs;
	int n_features;
	feature *features;
	int n_layers;               /* dense layers, output included */
	int width[PP_MAX_LAYERS + 1]; /* width[0] = n_features, width[n_layers] = 1 */
	pp_layer_view layers[PP_MAX_LAYERS];
	pp_activation act;
	size_t n_params;
	pp_real *params;
	char description[256];
};

struct pp_batch {
	const pp_network *net;
	size_t max_points;
	size_t n;                    /* points of the last forward */
	int S;                       /* internal channels */
	pp_channel ch[PP_MAX_CHANNELS];
	int n_req;
	int req_index[PP_MAX_CHANNELS]; /* requested channel k → internal index */
	int max_order;
	pp_real *features;           /* S·n × f0 */
	pp_real *z[PP_MAX_LAYERS];   /* hidden layers: S·n × w */
	pp_real *h[PP_MAX_LAYERS];
	pp_real *s1[PP_MAX_LAYERS], *s2[PP_MAX_LAYERS], *s3[PP_MAX_LAYERS];
	pp_real *gh, *gz;            /* backward scratch: S·n × max width */
	pp_real *ones;               /* n ones, for bias gradients */
	pp_real *slab;               /* everything above, one allocation */
};

/* ---- construction -------------------------------------------------------- */

static int find_input(const pp_pde_info *pde, const char *name)
{
	for (int i = 0; i < pde->n_inputs; i++)
		if (strcmp(pde->input_names[i], name) == 0)
			return i;
	return -1;
}

typedef struct net_spec {
	int n_hidden;
	long widths[PP_MAX_LAYERS];
	int act;
	int init;
	long seed;
	int periodic_input;
	double period;
	long harmonics;
	long rff_features;
	double rff_scale;
} net_spec;

static int read_widths(const pp_config *cfg, net_spec *s, pp_error *err)
{
	const pp_config *layers = pp_config_get(cfg, "layers");
	long width, depth;
	int rc;

	if (layers) {
		if (pp_config_get(cfg, "width") || pp_config_get(cfg, "depth"))
			return pp_config_error(err, PP_ERR_CONFIG, layers,
					       "give either layers: [..] or width: and depth:, not both");
		if (pp_config_node_type(layers) != PP_CONFIG_SEQUENCE || pp_config_size(layers) == 0 ||
		    pp_config_size(layers) > PP_MAX_LAYERS - 1)
			return pp_config_error(err, PP_ERR_CONFIG, layers,
					       "layers: is a list of 1 to %d hidden widths, e.g. [50, 50, 50, 50]",
					       PP_MAX_LAYERS - 1);
		s->n_hidden = (int)pp_config_size(layers);
		for (int i = 0; i < s->n_hidden; i++) {
			const pp_config *w = pp_config_at(layers, (size_t)i);
			rc = pp_config_node_long(w, &s->widths[i], err);
			if (rc || s->widths[i] < 1 || s->widths[i] > 65536)
				return pp_config_error(err, PP_ERR_CONFIG, w,
						       "a layer width is an integer in [1, 65536]");
		}
		return PP_OK;
	}
	rc = pp_config_long(cfg, "width", 50, 1, 65536, &width, err);
	if (!rc)
		rc = pp_config_long(cfg, "depth", 4, 1, PP_MAX_LAYERS - 1, &depth, err);
	if (rc)
		return rc;
	s->n_hidden = (int)depth;
	for (int i = 0; i < s->n_hidden; i++)
		s->widths[i] = width;
	return PP_OK;
}

static int read_embedding(const pp_config *cfg, const pp_pde_info *pde, net_spec *s,
			  pp_error *err)
{
	const pp_config *emb = pp_config_get(cfg, "embedding");
	const pp_config *per = pp_config_get(emb, "periodic");
	const pp_config *rff = pp_config_get(emb, "random_fourier");
	const char *input;
	int rc;

	s->periodic_input = pde->periodic_input;
	if (s->periodic_input >= 0)
		s->period = pde->hi[s->periodic_input] - pde->lo[s->periodic_input];
	s->harmonics = 1;
	if (per) {
		rc = pp_config_string(per, "input",
				      s->periodic_input >= 0 ? pde->input_names[s->periodic_input] : NULL,
				      &input, err);
		if (rc)
			return rc;
		if (!input)
			return pp_config_error(err, PP_ERR_CONFIG, per,
					       "periodic embedding: missing required key 'input'");
		s->periodic_input = find_input(pde, input);
		if (s->periodic_input < 0)
			return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(per, "input"),
					       "the PDE has no input '%s'", input);
		rc = pp_config_double(per, "period",
				      pde->hi[s->periodic_input] - pde->lo[s->periodic_input],
				      1e-12, 1e12, &s->period, err);
		if (!rc)
			rc = pp_config_long(per, "harmonics", 1, 1, 256, &s->harmonics, err);
		if (rc)
			return rc;
	}
	s->rff_features = 0;
	s->rff_scale = 1.0;
	if (rff) {
		rc = pp_config_long(rff, "features", 64, 1, PP_MAX_FEATURES / 2, &s->rff_features, err);
		if (!rc)
			rc = pp_config_double(rff, "scale", 1.0, 0.0, 1e6, &s->rff_scale, err);
		if (rc)
			return rc;
	}
	return PP_OK;
}

static int read_spec(const pp_config *cfg, const pp_pde_info *pde, unsigned long seed,
		     net_spec *s, pp_error *err)
{
	static const char *const acts[] = {"tanh", "sin", "gelu", NULL};
	static const char *const inits[] = {"xavier_normal", "xavier_uniform", NULL};
	int rc;

	memset(s, 0, sizeof *s);
	rc = read_widths(cfg, s, err);
	if (!rc)
		rc = pp_config_choice(cfg, "activation", "tanh", acts, &s->act, err);
	if (!rc)
		rc = pp_config_choice(cfg, "init", "xavier_normal", inits, &s->init, err);
	if (!rc)
		rc = pp_config_long(cfg, "seed", (long)seed, 0, 0x7fffffffffffffffL, &s->seed, err);
	if (!rc)
		rc = read_embedding(cfg, pde, s, err);
	return rc;
}

/* Features: exact periodic ones for the periodic input, then either the
 * other inputs themselves or random Fourier features of them. */
static int build_features(pp_network *net, const net_spec *s, pp_rng *rng, pp_error *err)
{
	int d = net->n_inputs, n = 0;
	int max = (s->periodic_input >= 0 ? 2 * (int)s->harmonics : 0) +
		  (s->rff_features ? 2 * (int)s->rff_features : d);

	net->features = calloc((size_t)max, sizeof *net->features);
	if (!net->features)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	if (s->periodic_input >= 0) {
		double omega = 2.0 * M_PI / s->period;
		for (int k = 1; k <= s->harmonics; k++) {
			for (int trig = 1; trig <= 2; trig++) {
				feature *f = &net->features[n++];
				f->trig = trig;
				f->b[s->periodic_input] = k * omega;
			}
		}
	}
	if (s->rff_features) {
		for (int j = 0; j < s->rff_features; j++) {
			double b[PP_MAX_INPUTS] = {0};
			for (int i = 0; i < d; i++)
				if (i != s->periodic_input)
					b[i] = 2.0 * M_PI * s->rff_scale * pp_rng_normal(rng);
			for (int trig = 1; trig <= 2; trig++) {
				feature *f = &net->features[n++];
				f->trig = trig;
				memcpy(f->b, b, sizeof b);
			}
		}
	} else {
		for (int i = 0; i < d; i++) {
			if (i == s->periodic_input)
				continue;
			net->features[n].trig = 0;
			net->features[n++].input = i;
		}
	}
	net->n_features = n;
	return PP_OK;
}

static void init_params(pp_network *net, int init, pp_rng *rng)
{
	for (int l = 0; l < net->n_layers; l++) {
		pp_layer_view *v = &net->layers[l];
		double fan = (double)(v->fan_in + v->fan_out);
		double scale = init == 0 ? sqrt(2.0 / fan) : sqrt(6.0 / fan);
		pp_real *w = net->params + v->weight_offset;
		size_t count = (size_t)v->fan_in * (size_t)v->fan_out;

		for (size_t i = 0; i < count; i++)
			w[i] = (pp_real)(init == 0 ? scale * pp_rng_normal(rng)
						   : scale * (2.0 * pp_rng_uniform(rng) - 1.0));
		memset(net->params + v->bias_offset, 0, (size_t)v->fan_out * sizeof(pp_real));
	}
}

int pp_network_create(const pp_config *cfg, const pp_pde_info *pde, unsigned long seed,
		      pp_network **out, pp_error *err)
{
	static const char *const act_names[] = {"tanh", "sin", "gelu"};
	pp_network *net;
	net_spec s;
	pp_rng rng;
	size_t offset = 0;
	int rc;

	*out = NULL;
	rc = read_spec(cfg, pde, seed, &s, err);
	if (rc)
		return rc;
	net = calloc(1, sizeof *net);
	if (!net)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	net->n_inputs = pde->n_inputs;
	net->act = (pp_activation)s.act;
	pp_rng_init(&rng, (uint64_t)s.seed, 0x4e4554u /* "NET" */);
	rc = build_features(net, &s, &rng, err);
	if (rc)
		goto fail;
	net->n_layers = s.n_hidden + 1;
	net->width[0] = net->n_features;
	for (int l = 0; l < s.n_hidden; l++)
		net->width[l + 1] = (int)s.widths[l];
	net->width[net->n_layers] = 1;
	for (int l = 0; l < net->n_layers; l++) {
		pp_layer_view *v = &net->layers[l];
		v->fan_in = net->width[l];
		v->fan_out = net->width[l + 1];
		v->weight_offset = offset;
		offset += (size_t)v->fan_in * (size_t)v->fan_out;
		v->bias_offset = offset;
		offset += (size_t)v->fan_out;
	}
	net->n_params = offset;
	net->params = calloc(offset, sizeof *net->params);
	if (!net->params) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu parameters", offset);
		goto fail;
	}
	init_params(net, s.init, &rng);
	snprintf(net->description, sizeof net->description, "%d-[%d", pde->n_inputs,
		 net->width[1]);
	for (int l = 2; l < net->n_layers; l++) {
		size_t len = strlen(net->description);
		snprintf(net->description + len, sizeof net->description - len, ",%d",
			 net->width[l]);
	}
	{
		size_t len = strlen(net->description);
		snprintf(net->description + len, sizeof net->description - len,
			 " %s]-1, %d features, %zu parameters", act_names[s.act],
			 net->n_features, net->n_params);
	}
	*out = net;
	return PP_OK;

fail:
	pp_network_destroy(net);
	return rc;
}

void pp_network_destroy(pp_network *net)
{
	if (!net)
		return;
	free(net->features);
	free(net->params);
	free(net);
}

size_t pp_network_param_count(const pp_network *net) { return net->n_params; }
pp_real *pp_network_params(pp_network *net) { return net->params; }
const pp_real *pp_network_params_const(const pp_network *net) { return net->params; }
int pp_network_input_count(const pp_network *net) { return net->n_inputs; }
int pp_network_layer_count(const pp_network *net) { return net->n_layers; }
const char *pp_network_describe(const pp_network *net) { return net->description; }

int pp_network_layer(const pp_network *net, int layer, pp_layer_view *view)
{
	if (layer < 0 || layer >= net->n_layers)
		return PP_ERR_INVALID;
	*view = net->layers[layer];
	return PP_OK;
}

/* ---- batches --------------------------------------------------------------- */

static int channel_equal(pp_channel a, pp_channel b)
{
	if (a.order != b.order)
		return 0;
	if (a.order == 0)
		return 1;
	if (a.order == 1)
		return a.d0 == b.d0;
	return a.d0 == b.d0 && a.d1 == b.d1;
}

static int channel_index(const pp_batch *b, pp_channel c)
{
	for (int i = 0; i < b->S; i++)
		if (channel_equal(b->ch[i], c))
			return i;
	return -1;
}

static int add_channel(pp_batch *b, pp_channel c, pp_error *err)
{
	if (channel_index(b, c) >= 0)
		return PP_OK;
	if (b->S >= PP_MAX_CHANNELS)
		return pp_error_set(err, PP_ERR_INVALID, "more than %d derivative channels",
				    PP_MAX_CHANNELS);
	b->ch[b->S++] = c;
	return PP_OK;
}

/* The closure of the requested channels, ordered value, firsts, seconds. */
static int plan_channels(pp_batch *b, int n, const pp_channel *req, int n_inputs,
			 pp_error *err)
{
	int rc = add_channel(b, PP_CHANNEL_U, err);

	for (int order = 1; order <= 2 && !rc; order++) {
		for (int k = 0; k < n && !rc; k++) {
			pp_channel c = req[k];
			if (c.order < 0 || c.order > 2 ||
			    (c.order >= 1 && (c.d0 < 0 || c.d0 >= n_inputs)) ||
			    (c.order == 2 && (c.d1 < 0 || c.d1 >= n_inputs)))
				return pp_error_set(err, PP_ERR_INVALID,
						    "channel %d asks for derivative order %d in inputs (%d, %d) of a %d-input network",
						    k, c.order, c.d0, c.d1, n_inputs);
			if (c.order == 2 && c.d0 > c.d1) {
				int8_t t = c.d0;
				c.d0 = c.d1;
				c.d1 = t;
			}
			if (order == 1 && c.order == 2) {
				rc = add_channel(b, PP_CHANNEL_D(c.d0), err);
				if (!rc)
					rc = add_channel(b, PP_CHANNEL_D(c.d1), err);
			} else if (c.order == order) {
				rc = add_channel(b, c, err);
			}
		}
	}
	if (rc)
		return rc;
	b->n_req = n;
	for (int k = 0; k < n; k++) {
		pp_channel c = req[k];
		if (c.order == 2 && c.d0 > c.d1) {
			int8_t t = c.d0;
			c.d0 = c.d1;
			c.d1 = t;
		}
		b->req_index[k] = channel_index(b, c);
		if (c.order > b->max_order)
			b->max_order = c.order;
	}
	return PP_OK;
}

int pp_batch_create(const pp_network *net, size_t max_points, int n_channels,
		    const pp_channel *channels, pp_batch **out, pp_error *err)
{
	pp_batch *b;
	size_t total = 0, rows, maxw = 0;
	pp_real *p;
	int rc;

	*out = NULL;
	if (max_points == 0 || n_channels < 1)
		return pp_error_set(err, PP_ERR_INVALID, "a batch needs points and channels");
	b = calloc(1, sizeof *b);
	if (!b)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	b->net = net;
	b->max_points = max_points;
	rc = plan_channels(b, n_channels, channels, net->n_inputs, err);
	if (rc)
		goto fail;
	rows = (size_t)b->S * max_points;
	for (int l = 0; l <= net->n_layers; l++)
		if ((size_t)net->width[l] > maxw)
			maxw = (size_t)net->width[l];
	total += rows * (size_t)net->n_features;
	for (int l = 1; l < net->n_layers; l++) {
		size_t w = (size_t)net->width[l];
		total += 2 * rows * w + max_points * w * (size_t)(1 + b->max_order);
	}
	total += 2 * rows * maxw + max_points;
	b->slab = malloc(total * sizeof *b->slab);
	if (!b->slab) {
		rc = pp_error_set(err, PP_ERR_NOMEM,
				  "out of memory for a batch of %zu points (%zu MB); lower sampling.batch_points",
				  max_points, total * sizeof *b->slab >> 20);
		goto fail;
	}
	p = b->slab;
	b->features = p;
	p += rows * (size_t)net->n_features;
	for (int l = 1; l < net->n_layers; l++) {
		size_t w = (size_t)net->width[l];
		b->z[l] = p;
		p += rows * w;
		b->h[l] = p;
		p += rows * w;
		b->s1[l] = p;
		p += max_points * w;
		if (b->max_order >= 1) {
			b->s2[l] = p;
			p += max_points * w;
		}
		if (b->max_order >= 2) {
			b->s3[l] = p;
			p += max_points * w;
		}
	}
	b->gh = p;
	p += rows * maxw;
	b->gz = p;
	p += rows * maxw;
	b->ones = p;
	for (size_t i = 0; i < max_points; i++)
		b->ones[i] = 1;
	*out = b;
	return PP_OK;

fail:
	pp_batch_destroy(b);
	return rc;
}

void pp_batch_destroy(pp_batch *batch)
{
	if (!batch)
		return;
	free(batch->slab);
	free(batch);
}

const pp_real *pp_batch_hidden(const pp_batch *batch, int layer, int *width)
{
	/* layer counts hidden layers from 0 */
	if (layer < 0 || layer >= batch->net->n_layers - 1)
		return NULL;
	if (width)
		*width = batch->net->width[layer + 1];
	return batch->h[layer + 1];
}

/* ---- forward ----------------------------------------------------------------- */

/* Embedding features and their derivative channels, point by point. */
static void forward_features(const pp_network *net, pp_batch *b, size_t n, const pp_real *x)
{
	int F = net->n_features, d = net->n_inputs;

	for (int c = 0; c < b->S; c++) {
		pp_channel ch = b->ch[c];
		pp_real *out = b->features + (size_t)c * n * (size_t)F;
		for (size_t i = 0; i < n; i++) {
			const pp_real *xi = x + i * (size_t)d;
			for (int j = 0; j < F; j++) {
				const feature *f = &net->features[j];
				double v;
				if (f->trig == 0) {
					v = ch.order == 0 ? (double)xi[f->input]
					    : ch.order == 1 ? (ch.d0 == f->input ? 1.0 : 0.0) : 0.0;
				} else {
					double a = 0;
					for (int k = 0; k < d; k++)
						a += f->b[k] * (double)xi[k];
					/* derivatives of cos a, sin a: (cos)' = −sin, (sin)' = cos */
					double val = f->trig == 1 ? cos(a) : sin(a);
					double d1 = f->trig == 1 ? -sin(a) : cos(a);
					if (ch.order == 0)
						v = val;
					else if (ch.order == 1)
						v = d1 * f->b[ch.d0];
					else
						v = -val * f->b[ch.d0] * f->b[ch.d1];
				}
				out[i * (size_t)F + (size_t)j] = (pp_real)v;
			}
		}
	}
}

/* H = channel activation of Z for hidden layer l (n points, width w). */
static void activate(const pp_network *net, pp_batch *b, int l, size_t n, size_t w)
{
	const pp_real *z0 = b->z[l];
	pp_real *h = b->h[l], *s1 = b->s1[l], *s2 = b->s2[l], *s3 = b->s3[l];
	size_t block = n * w;

	pp_activation_eval(net->act, block, z0, h, s1, s2, s3);
	for (int c = 1; c < b->S; c++) {
		pp_channel ch = b->ch[c];
		const pp_real *zc = b->z[l] + (size_t)c * block;
		pp_real *hc = h + (size_t)c * block;
		if (ch.order == 1) {
#pragma omp simd
			for (size_t i = 0; i < block; i++)
				hc[i] = s1[i] * zc[i];
		} else {
			const pp_real *za = b->z[l] + (size_t)channel_index(b, PP_CHANNEL_D(ch.d0)) * block;
			const pp_real *zb = b->z[l] + (size_t)channel_index(b, PP_CHANNEL_D(ch.d1)) * block;
#pragma omp simd
			for (size_t i = 0; i < block; i++)
				hc[i] = s2[i] * za[i] * zb[i] + s1[i] * zc[i];
		}
	}
}

/* Z = H_in · Wᵀ over all S·n rows, bias on the value block. */
static void dense_forward(const pp_network *net, int l, const pp_real *in, pp_real *z,
			  size_t n, int S)
{
	const pp_layer_view *v = &net->layers[l];
	const pp_real *W = net->params + v->weight_offset, *bias = net->params + v->bias_offset;
	int rows = (int)((size_t)S * n);

	GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, rows, v->fan_out, v->fan_in, 1, in,
	     v->fan_in, W, v->fan_in, 0, z, v->fan_out);
	for (size_t i = 0; i < n; i++) {
		pp_real *zi = z + i * (size_t)v->fan_out;
		for (int j = 0; j < v->fan_out; j++)
			zi[j] += bias[j];
	}
}

int pp_network_forward(const pp_network *net, pp_batch *b, size_t n, const pp_real *x,
		       pp_real *out, pp_error *err)
{
	const pp_real *in;
	pp_real *u;
	int L = net->n_layers;

	if (n > b->max_points)
		return pp_error_set(err, PP_ERR_INVALID, "batch of %zu points exceeds its capacity %zu",
				    n, b->max_points);
	b->n = n;
	forward_features(net, b, n, x);
	in = b->features;
	for (int l = 1; l < L; l++) {
		dense_forward(net, l - 1, in, b->z[l], n, b->S);
		activate(net, b, l, n, (size_t)net->width[l]);
		in = b->h[l];
	}
	/* output layer: width 1, into gz as scratch (S·n values) */
	u = b->gz;
	dense_forward(net, L - 1, in, u, n, b->S);
	for (int k = 0; k < b->n_req; k++)
		memcpy(out + (size_t)k * n, u + (size_t)b->req_index[k] * n, n * sizeof *out);
	return PP_OK;
}

/* ---- backward ---------------------------------------------------------------- */

/* G_z from G_h for hidden layer l (the transposed channel propagation). */
static void activation_backward(pp_batch *b, int l, size_t n, size_t w)
{
	size_t block = n * w;
	const pp_real *s1 = b->s1[l], *s2 = b->s2[l], *s3 = b->s3[l];
	const pp_real *z = b->z[l];
	const pp_real *gh = b->gh;
	pp_real *gz = b->gz;

	/* value block: g_z = g_h·s1, then the channel terms below add to it */
#pragma omp simd
	for (size_t i = 0; i < block; i++)
		gz[i] = gh[i] * s1[i];
	for (int c = 1; c < b->S; c++) {
		pp_channel ch = b->ch[c];
		const pp_real *ghc = gh + (size_t)c * block, *zc = z + (size_t)c * block;
		pp_real *gzc = gz + (size_t)c * block;
		/* ∂h_c/∂z_c = s1 for every order; for h_i = s1·z_i also ∂/∂z = s2·z_i */
		if (ch.order == 1) {
#pragma omp simd
			for (size_t i = 0; i < block; i++) {
				gzc[i] = ghc[i] * s1[i];
				gz[i] += ghc[i] * s2[i] * zc[i];
			}
		} else {
#pragma omp simd
			for (size_t i = 0; i < block; i++)
				gzc[i] = ghc[i] * s1[i];
		}
	}
	for (int c = 1; c < b->S; c++) {
		pp_channel ch = b->ch[c];
		if (ch.order != 2)
			continue;
		/* h_ab = s2·z_a·z_b + s1·z_ab:
		 *   ∂/∂z = s3·z_a·z_b + s2·z_ab, ∂/∂z_a = s2·z_b, ∂/∂z_b = s2·z_a */
		int ia = channel_index(b, PP_CHANNEL_D(ch.d0));
		int ib = channel_index(b, PP_CHANNEL_D(ch.d1));
		const pp_real *ghc = gh + (size_t)c * block, *zc = z + (size_t)c * block;
		const pp_real *za = z + (size_t)ia * block, *zb = z + (size_t)ib * block;
		pp_real *gza = gz + (size_t)ia * block, *gzb = gz + (size_t)ib * block;
#pragma omp simd
		for (size_t i = 0; i < block; i++) {
			pp_real g = ghc[i];
			gz[i] += g * (s3[i] * za[i] * zb[i] + s2[i] * zc[i]);
			gza[i] += g * s2[i] * zb[i];
			gzb[i] += g * s2[i] * za[i];
		}
	}
}

/* dW += G_zᵀ·H_in, db += Σ value rows of G_z, and (if gh_out) G_h_in = G_z·W. */
static void dense_backward(const pp_network *net, pp_batch *b, int l, const pp_real *in,
			   const pp_real *gz, pp_real *gh_out, size_t n, pp_real *grad)
{
	const pp_layer_view *v = &net->layers[l];
	const pp_real *W = net->params + v->weight_offset;
	int rows = (int)((size_t)b->S * n);

	GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, v->fan_out, v->fan_in, rows, 1, gz,
	     v->fan_out, in, v->fan_in, 1, grad + v->weight_offset, v->fan_in);
	GEMV(CblasRowMajor, CblasTrans, (int)n, v->fan_out, 1, gz, v->fan_out, b->ones, 1, 1,
	     grad + v->bias_offset, 1);
	if (gh_out)
		GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, v->fan_in, v->fan_out, 1, gz,
		     v->fan_out, W, v->fan_in, 0, gh_out, v->fan_in);
}

int pp_network_backward(const pp_network *net, pp_batch *b, const pp_real *seed,
			pp_real *grad, pp_error *err)
{
	int L = net->n_layers;
	size_t n = b->n;
	pp_real *gz_out;

	if (n == 0)
		return pp_error_set(err, PP_ERR_STATE, "backward before any forward on this batch");
	/* seeds of the output (S·n × 1); channels nobody asked for get zero */
	gz_out = b->gz;
	memset(gz_out, 0, (size_t)b->S * n * sizeof *gz_out);
	for (int k = 0; k < b->n_req; k++) {
		pp_real *dst = gz_out + (size_t)b->req_index[k] * n;
		const pp_real *src = seed + (size_t)k * n;
		for (size_t i = 0; i < n; i++)
			dst[i] += src[i];
	}
	dense_backward(net, b, L - 1, L > 1 ? b->h[L - 1] : b->features, gz_out,
		       L > 1 ? b->gh : NULL, n, grad);
	for (int l = L - 1; l >= 1; l--) {
		activation_backward(b, l, n, (size_t)net->width[l]);
		dense_backward(net, b, l - 1, l > 1 ? b->h[l - 1] : b->features, b->gz,
			       l > 1 ? b->gh : NULL, n, grad);
	}
	return PP_OK;
}

int pp_network_predict(const pp_network *net, size_t n, const pp_real *x, pp_real *u,
		       pp_error *err)
{
	pp_batch *b = NULL;
	size_t chunk = n < PREDICT_CHUNK ? (n ? n : 1) : PREDICT_CHUNK;
	pp_channel value = PP_CHANNEL_U;
	int rc = pp_batch_create(net, chunk, 1, &value, &b, err);

	for (size_t s = 0; !rc && s < n; s += chunk) {
		size_t len = n - s < chunk ? n - s : chunk;
		rc = pp_network_forward(net, b, len, x + s * (size_t)net->n_inputs, u + s, err);
	}
	pp_batch_destroy(b);
	return rc;
}
