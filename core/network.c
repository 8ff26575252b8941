/* phasepinn — the MLP engine with derivative channels (see network.h).
 *
 * Shapes, for a batch of n points with S internal channels:
 *   features  F0: S·n × f0     (the embedding of x and its derivatives)
 *   layer l:  Z_l = H_{l-1}·W_lᵀ (+ b_l on the value block): S·n × w_l
 *             H_l = channel activation of Z_l:                S·n × w_l
 *             s1, s2, s3 = σ', σ'', σ''' at the value block:  n × w_l
 *             (not stored for tanh: they follow from h, strip by strip)
 *   output:   u = H_L·w_outᵀ + b_out:                         S·n × 1
 * Channel blocks are row blocks: rows [c·n, (c+1)·n) hold channel c.
 * n is the size of a tile: a batch is cut into tiles of at most TILE_POINTS
 * points, each with its own activations, run through all layers in turn
 * (cache reuse), and spread over threads (parallel over points).
 * Internal channel order: value, then first derivatives, then second ones;
 * the closure of what a term asked for (u_xy needs u_x and u_y).
 */
#include <phasepinn/network.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include <phasepinn/rng.h>

#include "core/activation.h"
#include "core/channels.h"
#include "core/config_doc.h"   /* pp_config_mark_known */
#include "core/network_impl.h"
#include "core/small_gemm.h"

#ifdef PP_SINGLE_PRECISION
#define GEMM cblas_sgemm
#define GEMV cblas_sgemv
#else
#define GEMM cblas_dgemm
#define GEMV cblas_dgemv
#endif

#define PP_MAX_FEATURES 4096
#define PREDICT_CHUNK 4096
/* Points per tile: a batch is cut into tiles that go through all layers one
 * after the other, so one layer's activations (S·tile × width) stay in L2. */
#ifndef TILE_POINTS
#define TILE_POINTS 512
#endif
/* Elements per strip of the elementwise kernels (all channels of a strip
 * stay in L1). */
#ifndef STRIP
#define STRIP 512
#endif
/* With several threads, tiles are made smaller down to this size so that
 * every thread gets one. */
#define MIN_TILE_POINTS 256
#define PP_MAX_WORKERS 64

/* One tile: consecutive points of a batch with all their activations
 * (layout of the file comment, n = the tile's points), carved from the
 * batch's tile storage at tile.start·per_point. */
typedef struct tile {
	size_t start;                /* first point of the tile in the batch */
	size_t n;                    /* points of the tile */
	pp_real *features;           /* S·n × f0 */
	pp_real *z[PP_MAX_LAYERS];   /* hidden layers: S·n × w */
	pp_real *h[PP_MAX_LAYERS];
	pp_real *s1[PP_MAX_LAYERS], *s2[PP_MAX_LAYERS], *s3[PP_MAX_LAYERS];  /* n × w or NULL */
	pp_real *o[PP_MAX_LAYERS];   /* gated or mixed hidden layers: their output */
	pp_real *uv;                 /* gated architectures: U − V, S·n × w */
} tile;

/* Tile slots of U and V (z, h, s1..s3), after every hidden layer's. */
#define SLOT_U (PP_MAX_LAYERS - 2)
#define SLOT_V (PP_MAX_LAYERS - 1)

/* One term of Faà di Bruno's formula for an internal channel c of order k:
 * h_c = Σ coef·σ^(m)(z)·Π_j z_blk[j] over the set partitions of c's k
 * derivative positions into m blocks (equal terms merged). */
typedef struct fdb_term {
	short coef;
	short m;
	short blk[PP_MAX_ORDER];
} fdb_term;

/* One term of Leibniz's rule for a hard-constrained output:
 * ∂^α(d·N) = Σ coef·∂^β d·∂^γ N over the splits α = β + γ. */
typedef struct leibniz_term {
	short coef;
	short beta;
	short gamma;
} leibniz_term;

#define MAX_FDB_TERMS 700      /* 649 for four inputs at order 4 */
#define MAX_LEIBNIZ_TERMS 1200 /* at most 16 splits per channel */

/* What one thread needs besides the tiles it works on. */
typedef struct worker {
	pp_real *gh, *gz;            /* backward scratch: S·tile_cap × max width */
	pp_real *ga, *gd, *gv;       /* gated: ∂/∂a of a layer, ∂/∂(U − V), ∂/∂V */
	pp_real *gx;                 /* pirate: ∂/∂ of the current block's input */
	pp_real *grad;               /* private gradient (threads after the first) */
} worker;

struct pp_batch {
	const pp_network *net;
	size_t max_points;
	size_t n;                    /* points of the last forward */
	int S;                       /* internal channels */
	pp_channel ch[PP_MAX_INTERNAL];
	int parent_a[PP_MAX_INTERNAL], parent_b[PP_MAX_INTERNAL]; /* u_ab → u_a, u_b */
	int order[PP_MAX_INTERNAL];  /* ch[c].order, for the fused tanh kernels */
	int n_req;
	int req_index[PP_MAX_CHANNELS]; /* requested channel k → internal index */
	int req_output[PP_MAX_CHANNELS]; /* ... and its output */
	int max_order;
	int generic;                 /* max_order >= 3: Faà di Bruno for every channel */
	int fdb_first[PP_MAX_INTERNAL + 1]; /* channel c's terms: [first[c], first[c + 1]) */
	fdb_term fdb[MAX_FDB_TERMS];
	int leib_first[PP_MAX_INTERNAL + 1];
	leibniz_term leib[MAX_LEIBNIZ_TERMS];
	pp_real *hard_g[PP_MAX_OUTPUTS], *hard_d[PP_MAX_OUTPUTS]; /* S × max_points each */
	pp_real *hard_slab;
	int from_value;              /* σ', σ'', σ''' follow from h: not stored */
	size_t tile_cap;             /* points per tile */
	size_t maxw;                 /* widest layer, features included */
	size_t per_point;            /* reals of tile storage per point */
	pp_real *tile_storage;       /* per_point · max_points */
	size_t tile_points;          /* tiles of the last forward: this many points */
	int n_tiles;                 /* ... and this many tiles */
	int n_workers;               /* workers with scratch */
	worker workers[PP_MAX_WORKERS];
	pp_real *ones;               /* tile_cap ones, for bias gradients */
	const pp_real *weights;      /* W of dense_*: the slab, or weff when factorised */
	pp_real *weff;               /* factorised: the slab with W = diag(e^s)·V */
	pp_real *gscratch;           /* factorised: ∂/∂W before the chain rule to V, s */
	pp_real *hidden;             /* several tiles: gathered rows for pp_batch_hidden */
	pp_real *slab;               /* tiles, worker 0, ones, hidden: one allocation */
	pp_real *worker_slab;        /* workers 1..: scratch and gradient */
	size_t bytes;                /* all of the above, as batch_bytes counts it */
};

/* ---- the bytes batches hold (network_impl.h) ------------------------------ */

static _Atomic size_t live_bytes, peak_bytes;

/* @b's allocations changed from b->bytes to @bytes. */
static void batch_bytes(pp_batch *b, size_t bytes)
{
	size_t now = atomic_fetch_add(&live_bytes, bytes - b->bytes) + (bytes - b->bytes);
	size_t peak = atomic_load(&peak_bytes);

	b->bytes = bytes;
	while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now))
		;
}

size_t pp_batch_bytes_live(void)
{
	return atomic_load(&live_bytes);
}

size_t pp_batch_bytes_peak(void)
{
	return atomic_load(&peak_bytes);
}

void pp_batch_bytes_reset_peak(void)
{
	atomic_store(&peak_bytes, atomic_load(&live_bytes));
}

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
	int arch;
	long blocks;
	int factorized;
	double fact_mean, fact_std;
} net_spec;

/* pirate: `width:` and `blocks:`, three hidden layers a block. */
static int read_blocks(const pp_config *cfg, net_spec *s, pp_error *err)
{
	long width;
	int rc;

	if (pp_config_get(cfg, "layers") || pp_config_get(cfg, "depth"))
		return pp_config_error(err, PP_ERR_CONFIG,
				       pp_config_get(cfg, pp_config_get(cfg, "layers") ? "layers" : "depth"),
				       "type: pirate takes width: and blocks: (three hidden layers each), not layers: or depth:");
	rc = pp_config_long(cfg, "width", 64, 1, 65536, &width, err);
	if (!rc)
		rc = pp_config_long(cfg, "blocks", 3, 1, (PP_MAX_LAYERS - 3) / 3, &s->blocks, err);
	if (rc)
		return rc;
	s->n_hidden = 3 * (int)s->blocks;
	for (int i = 0; i < s->n_hidden; i++)
		s->widths[i] = width;
	return PP_OK;
}

static int read_widths(const pp_config *cfg, net_spec *s, pp_error *err)
{
	const pp_config *layers = pp_config_get(cfg, "layers");
	long width, depth;
	int rc;

	if (s->arch == ARCH_PIRATE)
		return read_blocks(cfg, s, err);
	if (pp_config_get(cfg, "blocks"))
		return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "blocks"),
				       "blocks: belongs to type: pirate");
	if (layers) {
		if (pp_config_get(cfg, "width") || pp_config_get(cfg, "depth"))
			return pp_config_error(err, PP_ERR_CONFIG, layers,
					       "give either layers: [..] or width: and depth:, not both");
		if (pp_config_node_type(layers) != PP_CONFIG_SEQUENCE || pp_config_size(layers) == 0 ||
		    pp_config_size(layers) > PP_MAX_LAYERS - 3)
			return pp_config_error(err, PP_ERR_CONFIG, layers,
					       "layers: is a list of 1 to %d hidden widths, e.g. [50, 50, 50, 50]",
					       PP_MAX_LAYERS - 3);
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
		rc = pp_config_long(cfg, "depth", 4, 1, PP_MAX_LAYERS - 3, &depth, err);
	if (rc)
		return rc;
	s->n_hidden = (int)depth;
	for (int i = 0; i < s->n_hidden; i++)
		s->widths[i] = width;
	return PP_OK;
}

/* modified_mlp gates every hidden layer by U and V, so all have one width. */
static int check_gated_widths(const pp_config *cfg, const net_spec *s, pp_error *err)
{
	if (s->arch != ARCH_MODIFIED_MLP)
		return PP_OK;
	for (int i = 1; i < s->n_hidden; i++)
		if (s->widths[i] != s->widths[0])
			return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, "layers"),
					       "type: modified_mlp gates every hidden layer with the same U and V, so the layers need one width (layer 1 has %ld, layer %d %ld)",
					       s->widths[0], i + 1, s->widths[i]);
	return PP_OK;
}

/* `factorization: true` or `{mean: 1.0, stddev: 0.1}`: random weight
 * factorisation of every dense layer; the defaults are jaxpi's. */
static int read_factorization(const pp_config *cfg, net_spec *s, pp_error *err)
{
	const pp_config *f = pp_config_get(cfg, "factorization");
	int rc;

	s->fact_mean = 1.0;
	s->fact_std = 0.1;
	if (!f || pp_config_node_type(f) != PP_CONFIG_MAP)
		return pp_config_bool(cfg, "factorization", 0, &s->factorized, err);
	s->factorized = 1;
	rc = pp_config_double(f, "mean", 1.0, -10.0, 10.0, &s->fact_mean, err);
	if (!rc)
		rc = pp_config_double(f, "stddev", 0.1, 0.0, 10.0, &s->fact_std, err);
	return rc;
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

/* Inputs named in `inputs: [x, y]` as a bit mask; absent: every input but
 * time. */
static int read_box_inputs(const pp_config *spec, const pp_pde_info *pde, unsigned *mask,
			   pp_error *err)
{
	const char *names[PP_MAX_INPUTS], *def[PP_MAX_INPUTS];
	size_t n = 0, n_def = 0;
	int rc;

	for (int i = 0; i < pde->n_inputs; i++)
		if (i != pde->time_input)
			def[n_def++] = pde->input_names[i];
	rc = pp_config_name_list(spec, "inputs", def, n_def, PP_MAX_INPUTS, names, &n, err);
	if (rc)
		return rc;
	*mask = 0;
	for (size_t k = 0; k < n; k++) {
		int i = find_input(pde, names[k]);
		if (i < 0)
			return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(spec, "inputs"),
					       "dirichlet_box: the PDE has no input '%s'", names[k]);
		*mask |= 1u << i;
	}
	if (!*mask)
		return pp_config_error(err, PP_ERR_CONFIG, spec,
				       "dirichlet_box needs at least one input, e.g. inputs: [x]");
	return PP_OK;
}

/* One output's entry of `hard:`: the name of a transform the PDE offers
 * (`u: initial`) or `dirichlet_box` (`{type: dirichlet_box, inputs: [x],
 * value: 0}`; as a plain name: every input but time, value 0). */
static int read_hard_one(const pp_config *node, const pp_pde_info *pde, int out,
			 hard_spec *h, pp_error *err)
{
	const char *type = pp_config_text(node);
	const pp_config *spec = NULL;
	int rc;

	if (!type) {
		if (pp_config_node_type(node) != PP_CONFIG_MAP)
			return pp_config_error(err, PP_ERR_CONFIG, node,
					       "a hard constraint is a name (e.g. initial) or a map such as {type: dirichlet_box, inputs: [x], value: 0}");
		spec = node;
		rc = pp_config_string(spec, "type", NULL, &type, err);
		if (rc)
			return rc;
		if (!type)
			return pp_config_error(err, PP_ERR_CONFIG, node,
					       "hard constraint: missing required key 'type'");
	}
	if (strcmp(type, "dirichlet_box") == 0) {
		h->kind = HARD_BOX;
		rc = read_box_inputs(spec, pde, &h->inputs, err);
		if (!rc)
			rc = pp_config_double(spec, "value", 0.0, -1e300, 1e300, &h->value, err);
		for (int i = 0; i < pde->n_inputs; i++) {
			h->lo[i] = pde->lo[i];
			h->hi[i] = pde->hi[i];
		}
		return rc;
	}
	for (int k = 0; k < pde->n_transforms && k < PP_MAX_TRANSFORMS; k++) {
		if (!pde->transforms[k].name || strcmp(pde->transforms[k].name, type) != 0)
			continue;
		if (pde->transforms[k].output != out)
			continue;
		h->kind = HARD_PLUGIN;
		h->transform = k;
		return PP_OK;
	}
	{
		char offered[256] = "dirichlet_box";
		for (int k = 0; k < pde->n_transforms && k < PP_MAX_TRANSFORMS; k++) {
			size_t len = strlen(offered);
			if (pde->transforms[k].output == out && pde->transforms[k].name)
				snprintf(offered + len, sizeof offered - len, ", %s",
					 pde->transforms[k].name);
		}
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "no hard constraint '%s' for output '%s'; choose one of: %s",
				       type, pp_pde_output_name(pde, out), offered);
	}
}

static int output_index(const pp_pde_info *pde, const char *name)
{
	for (int k = 0; k < pp_pde_output_count(pde); k++)
		if (strcmp(pp_pde_output_name(pde, k), name) == 0)
			return k;
	return -1;
}

/* `hard: {u: initial, p: ...}`: one entry per constrained output. */
static int read_hard(const pp_config *cfg, const pp_pde_info *pde, pp_network *net,
		     pp_error *err)
{
	const pp_config *hard = pp_config_get(cfg, "hard");
	int rc;

	if (!hard)
		return PP_OK;
	if (pp_config_node_type(hard) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, hard,
				       "hard: is a map from output names to constraints, e.g. hard: {u: dirichlet_box}");
	for (size_t i = 0; i < pp_config_size(hard); i++) {
		const char *name = pp_config_key_at(hard, i);
		int k = output_index(pde, name);
		if (k < 0) {
			char names[128] = "";
			for (int j = 0; j < pp_pde_output_count(pde); j++) {
				size_t len = strlen(names);
				snprintf(names + len, sizeof names - len, "%s%s", j ? ", " : "",
					 pp_pde_output_name(pde, j));
			}
			return pp_config_error(err, PP_ERR_CONFIG, pp_config_at(hard, i),
					       "hard: the PDE has no output '%s'; its outputs: %s", name,
					       names);
		}
		rc = read_hard_one(pp_config_get(hard, name), pde, k, &net->hard[k], err);
		if (rc)
			return rc;
		net->any_hard = 1;
	}
	return PP_OK;
}

/* `init:` a scheme's name, or a warm start `{from: RUN_DIR}`, which the
 * experiment makes once the network exists (core/experiment.c); until
 * then the layers are initialised as by default. */
static int read_init(const pp_config *cfg, int *init, pp_error *err)
{
	static const char *const inits[] = {"xavier_normal", "xavier_uniform", NULL};
	const pp_config *node = pp_config_get(cfg, "init");
	const char *from;
	int rc;

	if (!node || pp_config_node_type(node) != PP_CONFIG_MAP)
		return pp_config_choice(cfg, "init", "xavier_normal", inits, init, err);
	pp_config_mark_known(cfg, "init");
	*init = 0;
	rc = pp_config_string(node, "from", NULL, &from, err);
	if (!rc && !from)
		rc = pp_config_error(err, PP_ERR_CONFIG, node,
				     "init: as a map is a warm start, {from: RUN_DIR}; otherwise a scheme: xavier_normal | xavier_uniform");
	return rc;
}

static int read_spec(const pp_config *cfg, const pp_pde_info *pde, unsigned long seed,
		     net_spec *s, pp_error *err)
{
	static const char *const acts[] = {"tanh", "sin", "gelu", NULL};
	static const char *const types[] = {"mlp", "modified_mlp", "pirate", NULL};
	int rc;

	memset(s, 0, sizeof *s);
	rc = pp_config_choice(cfg, "type", "mlp", types, &s->arch, err);
	if (!rc)
		rc = read_widths(cfg, s, err);
	if (!rc)
		rc = check_gated_widths(cfg, s, err);
	if (!rc)
		rc = read_factorization(cfg, s, err);
	if (!rc)
		rc = pp_config_choice(cfg, "activation", "tanh", acts, &s->act, err);
	if (!rc)
		rc = read_init(cfg, &s->init, err);
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

/* Xavier weights and zero biases for every dense layer (the chain first,
 * so that a plain MLP draws what it always drew), then the factorised
 * layers' s ~ N(mean, stddev) with V = W/exp(s), so W itself is unchanged
 * in distribution; every α starts at 0. */
static void init_params(pp_network *net, const net_spec *s, pp_rng *rng)
{
	for (int l = 0; l < net->n_dense; l++) {
		pp_layer_view *v = &net->layers[l];
		double fan = (double)(v->fan_in + v->fan_out);
		double scale = s->init == 0 ? sqrt(2.0 / fan) : sqrt(6.0 / fan);
		pp_real *w = net->params + v->weight_offset;
		size_t count = (size_t)v->fan_in * (size_t)v->fan_out;

		for (size_t i = 0; i < count; i++)
			w[i] = (pp_real)(s->init == 0 ? scale * pp_rng_normal(rng)
						      : scale * (2.0 * pp_rng_uniform(rng) - 1.0));
		memset(net->params + v->bias_offset, 0, (size_t)v->fan_out * sizeof(pp_real));
	}
	for (int l = 0; net->factorized && l < net->n_dense; l++) {
		pp_layer_view *v = &net->layers[l];
		pp_real *sc = net->params + net->scale_offset[l];
		for (int k = 0; k < v->fan_out; k++) {
			pp_real *row = net->params + v->weight_offset + (size_t)k * (size_t)v->fan_in;
			sc[k] = (pp_real)(s->fact_mean + s->fact_std * pp_rng_normal(rng));
			for (int j = 0; j < v->fan_in; j++)
				row[j] = (pp_real)((double)row[j] / exp((double)sc[k]));
		}
	}
}

/* Dense layer l's place in the slab from @offset: W (or V), b, and s when
 * factorised.  Returns the next free offset. */
static size_t place_dense(pp_network *net, int l, int fan_in, int fan_out, size_t offset)
{
	pp_layer_view *v = &net->layers[l];

	v->fan_in = fan_in;
	v->fan_out = fan_out;
	v->weight_offset = offset;
	offset += (size_t)fan_in * (size_t)fan_out;
	v->bias_offset = offset;
	offset += (size_t)fan_out;
	net->scale_offset[l] = (size_t)-1;
	if (net->factorized) {
		net->scale_offset[l] = offset;
		offset += (size_t)fan_out;
	}
	return offset;
}

/* The dense layers, U and V, the α of each block, and which hidden layers
 * are gated or mixed; the total parameter count. */
static int lay_out(pp_network *net, pp_error *err)
{
	size_t offset = 0;
	int L = net->n_layers;

	for (int l = 0; l < L; l++)
		offset = place_dense(net, l, net->width[l], net->width[l + 1], offset);
	net->n_dense = L;
	if (net->arch == ARCH_MLP) {
		net->n_params = offset;
		return PP_OK;
	}
	if (net->arch == ARCH_PIRATE && net->n_features != net->width[1])
		return pp_error_set(err, PP_ERR_CONFIG,
				    "network: type: pirate adds each block's output to its input, so the embedding must have as many features as width: (%d here, width %d); give random_fourier: {features: %d} (cos and sin of each)",
				    net->n_features, net->width[1], net->width[1] / 2);
	offset = place_dense(net, GATE_U(net), net->n_features, net->width[1], offset);
	offset = place_dense(net, GATE_V(net), net->n_features, net->width[1], offset);
	net->n_dense = L + 2;
	for (int l = 1; l < L; l++) {
		int pos = (l - 1) % 3;
		if (net->arch == ARCH_MODIFIED_MLP || pos < 2) {
			net->gated[l] = 1;
			continue;
		}
		net->mixed[l] = 1;
		net->block_first[l] = l - 2;
		net->alpha_offset[l] = offset++;
		net->n_blocks++;
	}
	net->n_params = offset;
	return PP_OK;
}

static void describe(pp_network *net, const net_spec *s, int n_inputs)
{
	static const char *const act_names[] = {"tanh", "sin", "gelu"};
	char *d = net->description;
	size_t cap = sizeof net->description, len;

	snprintf(d, cap, "%d-[%d", n_inputs, net->width[1]);
	for (int l = 2; l < net->n_layers; l++) {
		len = strlen(d);
		snprintf(d + len, cap - len, ",%d", net->width[l]);
	}
	len = strlen(d);
	snprintf(d + len, cap - len, " %s%s%s%s]-%d, %d features, %zu parameters",
		 act_names[s->act],
		 net->arch == ARCH_MODIFIED_MLP ? ", modified MLP" : "",
		 net->arch == ARCH_PIRATE ? ", PirateNet" : "",
		 net->factorized ? ", factorised weights" : "", net->n_outputs, net->n_features,
		 net->n_params);
}

int pp_network_create(const pp_config *cfg, const pp_pde_info *pde, unsigned long seed,
		      pp_network **out, pp_error *err)
{
	pp_network *net;
	net_spec s;
	pp_rng rng;
	int rc;

	*out = NULL;
	rc = read_spec(cfg, pde, seed, &s, err);
	if (rc)
		return rc;
	net = calloc(1, sizeof *net);
	if (!net)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	net->n_inputs = pde->n_inputs;
	net->n_outputs = pp_pde_output_count(pde);
	net->act = (pp_activation)s.act;
	rc = read_hard(cfg, pde, net, err);
	if (rc)
		goto fail;
	pp_rng_init(&rng, (uint64_t)s.seed, 0x4e4554u /* "NET" */);
	rc = build_features(net, &s, &rng, err);
	if (rc)
		goto fail;
	net->n_layers = s.n_hidden + 1;
	net->width[0] = net->n_features;
	for (int l = 0; l < s.n_hidden; l++)
		net->width[l + 1] = (int)s.widths[l];
	net->width[net->n_layers] = net->n_outputs;
	net->arch = (arch_type)s.arch;
	net->factorized = s.factorized;
	rc = lay_out(net, err);
	if (rc)
		goto fail;
	net->params = calloc(net->n_params, sizeof *net->params);
	if (!net->params) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu parameters",
				  net->n_params);
		goto fail;
	}
	init_params(net, &s, &rng);
	describe(net, &s, pde->n_inputs);
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
int pp_network_output_count(const pp_network *net) { return net->n_outputs; }

int pp_network_add_extra_params(pp_network *net, size_t count, const pp_real *init,
				pp_error *err)
{
	pp_real *p;
	size_t len;

	if (count == 0)
		return PP_OK;
	p = realloc(net->params, (net->n_params + count) * sizeof *p);
	if (!p)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu parameters",
				    net->n_params + count);
	memcpy(p + net->n_params, init, count * sizeof *p);
	net->params = p;
	net->n_params += count;
	net->n_extra += count;
	len = strlen(net->description);
	snprintf(net->description + len, sizeof net->description - len,
		 " (%zu of them PDE coefficients)", net->n_extra);
	return PP_OK;
}

size_t pp_network_extra_count(const pp_network *net) { return net->n_extra; }

void pp_network_bind_transforms(pp_network *net, pp_transform_fn fn, void *ctx)
{
	net->transform_fn = fn;
	net->transform_ctx = ctx;
}
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

/* Faà di Bruno's terms of every internal channel: the set partitions of
 * its derivative positions, enumerated as restricted growth strings
 * (a[0] = 0, a[j] <= 1 + max a[0..j-1]), each block's derivatives looked up
 * among the channels (the closure holds every sub-multiset). */
static int plan_fdb(pp_batch *b, pp_error *err)
{
	int n = 0;

	for (int c = 0; c < b->S; c++) {
		pp_channel ch = b->ch[c];
		int k = ch.order, a[PP_MAX_ORDER] = {0};

		b->fdb_first[c] = n;
		if (k == 0)
			continue;
		for (;;) {
			fdb_term t = {.coef = 1, .m = 0};
			int m = 0, j, dup = -1;
			for (j = 0; j < k; j++)
				m = a[j] + 1 > m ? a[j] + 1 : m;
			t.m = (short)m;
			for (int q = 0; q < m; q++) {
				pp_channel blk = {.order = 0, .d = {-1, -1, -1, -1}};
				for (j = 0; j < k; j++)
					if (a[j] == q)
						blk.d[blk.order++] = ch.d[j];
				t.blk[q] = (short)pp_channel_find(b->ch, b->S, blk);
			}
			/* sorted blocks, so that equal terms compare equal */
			for (int p = 1; p < m; p++)
				for (int q = p; q > 0 && t.blk[q - 1] > t.blk[q]; q--) {
					short tmp = t.blk[q];
					t.blk[q] = t.blk[q - 1];
					t.blk[q - 1] = tmp;
				}
			for (int e = b->fdb_first[c]; e < n && dup < 0; e++)
				if (b->fdb[e].m == t.m &&
				    memcmp(b->fdb[e].blk, t.blk, (size_t)m * sizeof t.blk[0]) == 0)
					dup = e;
			if (dup >= 0) {
				b->fdb[dup].coef++;
			} else {
				if (n >= MAX_FDB_TERMS)
					return pp_error_set(err, PP_ERR_INVALID,
							    "too many derivative terms");
				b->fdb[n++] = t;
			}
			/* next restricted growth string */
			for (j = k - 1; j >= 1; j--) {
				int mx = 0;
				for (int q = 0; q < j; q++)
					mx = a[q] > mx ? a[q] : mx;
				if (a[j] <= mx) {
					a[j]++;
					for (int q = j + 1; q < k; q++)
						a[q] = 0;
					break;
				}
			}
			if (j < 1)
				break;
		}
	}
	b->fdb_first[b->S] = n;
	return PP_OK;
}

/* Leibniz's splits of every internal channel α into β (on d) and γ (on N):
 * one per subset of α's positions, equal splits merged. */
static int plan_leibniz(pp_batch *b, pp_error *err)
{
	int n = 0;

	for (int c = 0; c < b->S; c++) {
		pp_channel ch = b->ch[c];

		b->leib_first[c] = n;
		for (unsigned mask = 0; mask < (1u << ch.order); mask++) {
			pp_channel beta = {.order = 0, .d = {-1, -1, -1, -1}};
			pp_channel gamma = beta;
			leibniz_term t = {.coef = 1};
			int dup = -1;
			for (int j = 0; j < ch.order; j++) {
				if (mask & (1u << j))
					beta.d[beta.order++] = ch.d[j];
				else
					gamma.d[gamma.order++] = ch.d[j];
			}
			t.beta = (short)pp_channel_find(b->ch, b->S, beta);
			t.gamma = (short)pp_channel_find(b->ch, b->S, gamma);
			for (int e = b->leib_first[c]; e < n && dup < 0; e++)
				if (b->leib[e].beta == t.beta && b->leib[e].gamma == t.gamma)
					dup = e;
			if (dup >= 0) {
				b->leib[dup].coef++;
			} else {
				if (n >= MAX_LEIBNIZ_TERMS)
					return pp_error_set(err, PP_ERR_INVALID, "too many derivative terms");
				b->leib[n++] = t;
			}
		}
	}
	b->leib_first[b->S] = n;
	return PP_OK;
}

/* The closure of the requested channels (channels.h), which output each
 * request reads, and the tables of the propagation. */
static int plan_channels(pp_batch *b, int n, const pp_channel *req, const pp_network *net,
			 pp_error *err)
{
	int rc;

	if (n > PP_MAX_CHANNELS)
		return pp_error_set(err, PP_ERR_INVALID, "more than %d channels asked for",
				    PP_MAX_CHANNELS);
	rc = pp_channel_closure(req, n, net->n_inputs, b->ch, &b->S, err);
	if (rc)
		return rc;
	b->n_req = n;
	for (int k = 0; k < n; k++) {
		if (req[k].output < 0 || req[k].output >= net->n_outputs)
			return pp_error_set(err, PP_ERR_INVALID,
					    "channel %d asks for output %d of a network with %d output(s)",
					    k, req[k].output, net->n_outputs);
		b->req_index[k] = pp_channel_find(b->ch, b->S, req[k]);
		b->req_output[k] = req[k].output;
		if (req[k].order > b->max_order)
			b->max_order = req[k].order;
	}
	b->generic = b->max_order >= 3;
	for (int c = 0; c < b->S; c++) {
		b->order[c] = b->ch[c].order;
		b->parent_a[c] = b->parent_b[c] = -1;
		if (b->ch[c].order == 2) {
			b->parent_a[c] = pp_channel_find(b->ch, b->S, PP_CHANNEL_D(b->ch[c].d[0]));
			b->parent_b[c] = pp_channel_find(b->ch, b->S, PP_CHANNEL_D(b->ch[c].d[1]));
		}
	}
	rc = plan_fdb(b, err);
	if (!rc && (net->any_hard || net->arch != ARCH_MLP))
		rc = plan_leibniz(b, err);
	return rc;
}

static size_t max_width(const pp_network *net, int from)
{
	size_t maxw = 0;

	for (int l = from; l <= net->n_layers; l++)
		if ((size_t)net->width[l] > maxw)
			maxw = (size_t)net->width[l];
	return maxw;
}

/* One slot's arrays (hidden layer, U or V) at offset @off of @base: z and h
 * (S·cap × w), then σ′, σ″, σ‴ (cap × w each) when they are stored; with
 * base NULL only counts.  Returns the next offset. */
static size_t carve_slot(const pp_batch *b, size_t cap, size_t w, pp_real *base, size_t off,
			 tile *t, int slot)
{
	size_t rows = (size_t)b->S * cap;
	pp_real **deriv[3] = {t->s1, t->s2, t->s3};

	t->z[slot] = base ? base + off : NULL;
	off += rows * w;
	t->h[slot] = base ? base + off : NULL;
	off += rows * w;
	for (int k = 0; k < 3; k++) {
		deriv[k][slot] = NULL;
		if (b->from_value || b->generic || k > b->max_order)
			continue;
		deriv[k][slot] = base ? base + off : NULL;
		off += cap * w;
	}
	return off;
}

/* A tile of @cap points laid out from @base (NULL: only count): features,
 * each hidden layer's slot and output (when gated or mixed), then U, V and
 * U − V.  Returns the reals it takes. */
static size_t carve(const pp_batch *b, size_t cap, pp_real *base, tile *t)
{
	const pp_network *net = b->net;
	size_t rows = (size_t)b->S * cap, off;

	t->features = base;
	off = rows * (size_t)net->n_features;
	for (int l = 1; l < net->n_layers; l++) {
		size_t w = (size_t)net->width[l];
		off = carve_slot(b, cap, w, base, off, t, l);
		t->o[l] = NULL;
		if (net->gated[l] || net->mixed[l]) {
			t->o[l] = base ? base + off : NULL;
			off += rows * w;
		}
	}
	t->uv = NULL;
	if (net->arch != ARCH_MLP) {
		size_t w = (size_t)net->width[1];
		off = carve_slot(b, cap, w, base, off, t, SLOT_U);
		off = carve_slot(b, cap, w, base, off, t, SLOT_V);
		t->uv = base ? base + off : NULL;
		off += rows * w;
	}
	return off;
}

/* Reals of one tile's activations for @cap points. */
static size_t tile_size(const pp_batch *b, size_t cap)
{
	tile t;

	return carve(b, cap, NULL, &t);
}

/* Tile k of the last forward, its arrays pointing into the tile storage. */
static void carve_tile(const pp_batch *b, int k, tile *t)
{
	size_t start = (size_t)k * b->tile_points;
	size_t cap = b->n - start < b->tile_points ? b->n - start : b->tile_points;

	t->start = start;
	t->n = cap;
	carve(b, cap, b->tile_storage + start * b->per_point, t);
}

/* Scratch blocks of one worker (S·tile × max width each): gh and gz (gz
 * also holds the output layer's S·tile values in the forward pass), ga,
 * gd and gv for gated architectures, gx for pirate. */
static int scratch_blocks(const pp_network *net)
{
	return 2 + (net->arch != ARCH_MLP ? 3 : 0) + (net->arch == ARCH_PIRATE ? 1 : 0);
}

static size_t scratch_size(const pp_batch *b)
{
	return (size_t)scratch_blocks(b->net) * (size_t)b->S * b->tile_cap * b->maxw;
}

static void carve_worker(const pp_batch *b, worker *w, pp_real *p)
{
	size_t each = (size_t)b->S * b->tile_cap * b->maxw;
	int k = scratch_blocks(b->net);

	w->gh = p;
	w->gz = p + each;
	w->ga = k > 2 ? p + 2 * each : NULL;
	w->gd = k > 2 ? p + 3 * each : NULL;
	w->gv = k > 2 ? p + 4 * each : NULL;
	w->gx = k > 5 ? p + 5 * each : NULL;
}

int pp_batch_create(const pp_network *net, size_t max_points, int n_channels,
		    const pp_channel *channels, pp_batch **out, pp_error *err)
{
	pp_batch *b;
	size_t total = 0;
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
	rc = plan_channels(b, n_channels, channels, net, err);
	if (rc)
		goto fail;
	b->tile_cap = max_points < TILE_POINTS ? max_points : TILE_POINTS;
	b->maxw = max_width(net, 0);
	b->from_value = pp_activation_from_value(net->act);
	b->per_point = tile_size(b, 1);
	total = b->per_point * max_points + scratch_size(b) + b->tile_cap;
	if (max_points > MIN_TILE_POINTS)
		total += max_points * max_width(net, 1);
	b->slab = malloc(total * sizeof *b->slab);
	if (!b->slab) {
		rc = pp_error_set(err, PP_ERR_NOMEM,
				  "out of memory for a batch of %zu points (%zu MB); lower sampling.batch_points",
				  max_points, total * sizeof *b->slab >> 20);
		goto fail;
	}
	p = b->slab;
	b->tile_storage = p;
	p += b->per_point * max_points;
	carve_worker(b, &b->workers[0], p);
	p += scratch_size(b);
	b->ones = p;
	for (size_t i = 0; i < b->tile_cap; i++)
		b->ones[i] = 1;
	p += b->tile_cap;
	if (max_points > MIN_TILE_POINTS)
		b->hidden = p;
	b->weights = net->params;
	if (net->factorized) {
		b->weff = malloc(2 * net->n_params * sizeof *b->weff);
		if (!b->weff) {
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu parameters",
					  net->n_params);
			goto fail;
		}
		b->gscratch = b->weff + net->n_params;
	}
	if (net->any_hard) {
		size_t each = (size_t)b->S * max_points;
		b->hard_slab = malloc(2 * (size_t)net->n_outputs * each * sizeof *b->hard_slab);
		if (!b->hard_slab) {
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for a batch of %zu points",
					  max_points);
			goto fail;
		}
		for (int o = 0; o < net->n_outputs; o++) {
			b->hard_g[o] = b->hard_slab + 2 * (size_t)o * each;
			b->hard_d[o] = b->hard_g[o] + each;
		}
	}
	b->n_workers = 1;
	batch_bytes(b, sizeof *b + total * sizeof *b->slab +
		    (net->factorized ? 2 * net->n_params * sizeof *b->weff : 0) +
		    (net->any_hard ? 2 * (size_t)net->n_outputs * (size_t)b->S * max_points *
				     sizeof *b->hard_slab : 0));
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
	batch_bytes(batch, 0);
	free(batch->worker_slab);
	free(batch->slab);
	free(batch->hard_slab);
	free(batch->weff);
	free(batch);
}

/* Scratch and private gradients for workers 1..n-1, allocated at the first
 * call that runs on n threads. */
static int ensure_workers(pp_batch *b, int n, pp_error *err)
{
	size_t each = scratch_size(b) + b->net->n_params;
	pp_real *p;

	if (n <= b->n_workers)
		return PP_OK;
	p = realloc(b->worker_slab, (size_t)(n - 1) * each * sizeof *p);
	if (!p)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for %d engine threads", n);
	b->worker_slab = p;
	batch_bytes(b, b->bytes + (size_t)(n - b->n_workers) * each * sizeof *p);
	for (int w = 1; w < n; w++) {
		carve_worker(b, &b->workers[w], p);
		b->workers[w].grad = p + scratch_size(b);
		p += each;
	}
	b->n_workers = n;
	return PP_OK;
}

const pp_real *pp_batch_hidden(const pp_batch *batch, int layer, int *width)
{
	size_t w;

	/* layer counts hidden layers from 0 */
	if (layer < 0 || layer >= batch->net->n_layers - 1)
		return NULL;
	w = (size_t)batch->net->width[layer + 1];
	if (width)
		*width = (int)w;
	if (batch->n_tiles <= 1) {
		tile t;
		carve_tile(batch, 0, &t);
		return t.h[layer + 1];
	}
	/* value blocks of the tiles, one after the other */
	for (int k = 0; k < batch->n_tiles; k++) {
		tile t;
		carve_tile(batch, k, &t);
		memcpy(batch->hidden + t.start * w, t.h[layer + 1], t.n * w * sizeof(pp_real));
	}
	return batch->hidden;
}

/* ---- forward, one tile ------------------------------------------------------- */

/* Embedding features and their derivative channels, point by point. */
static void forward_features(const pp_network *net, const pp_batch *b, tile *t,
			     const pp_real *x)
{
	int F = net->n_features, d = net->n_inputs;
	size_t n = t->n;

	for (int c = 0; c < b->S; c++) {
		pp_channel ch = b->ch[c];
		pp_real *out = t->features + (size_t)c * n * (size_t)F;
		for (size_t i = 0; i < n; i++) {
			const pp_real *xi = x + i * (size_t)d;
			for (int j = 0; j < F; j++) {
				const feature *f = &net->features[j];
				double v;
				if (f->trig == 0) {
					v = ch.order == 0 ? (double)xi[f->input]
					    : ch.order == 1 ? (ch.d[0] == f->input ? 1.0 : 0.0) : 0.0;
				} else {
					double a = 0;
					for (int k = 0; k < d; k++)
						a += f->b[k] * (double)xi[k];
					/* the k-th derivatives of cos a and sin a cycle with
					 * period 4: cos, −sin, −cos, sin and sin, cos, −sin, −cos */
					double cs = cos(a), sn = sin(a);
					double cyc[4] = {f->trig == 1 ? cs : sn, f->trig == 1 ? -sn : cs,
							 f->trig == 1 ? -cs : -sn, f->trig == 1 ? sn : -cs};
					v = cyc[ch.order & 3];
					for (int j = 0; j < ch.order; j++)
						v *= f->b[ch.d[j]];
				}
				out[i * (size_t)F + (size_t)j] = (pp_real)v;
			}
		}
	}
}

/* σ, σ', ..., σ^(kmax) of a strip: s[k] points into buf. */
static void strip_jet(const pp_batch *b, const pp_real *z, const pp_real *h, size_t m,
		      int kmax, pp_real buf[][STRIP], pp_real **s)
{
	for (int k = 1; k <= kmax; k++)
		s[k] = buf[k - 1];
	pp_activation_jet(b->net->act, m, z, h, kmax, s);
}

/* Orders 3 and 4 (and everything below them in the same batch): every
 * channel by Faà di Bruno's formula, h_c = Σ coef·σ^(m)·Π z_blocks. */
static void activate_generic(const pp_network *net, const pp_batch *b, tile *t, int l,
			     size_t block)
{
	const pp_real *z = t->z[l];
	pp_real *h = t->h[l];
	pp_real buf[PP_MAX_ORDER][STRIP], *s[PP_MAX_ORDER + 1];

	for (size_t i0 = 0; i0 < block; i0 += STRIP) {
		size_t m = block - i0 < STRIP ? block - i0 : STRIP;

		pp_activation_eval(net->act, m, z + i0, h + i0, buf[0], NULL, NULL);
		strip_jet(b, z + i0, h + i0, m, b->max_order, buf, s);
		for (int c = 1; c < b->S; c++) {
			pp_real *hc = h + (size_t)c * block + i0;
			memset(hc, 0, m * sizeof *hc);
			for (int e = b->fdb_first[c]; e < b->fdb_first[c + 1]; e++) {
				const fdb_term *ft = &b->fdb[e];
				const pp_real *sm = s[ft->m], *zb[PP_MAX_ORDER];
				pp_real coef = (pp_real)ft->coef;
				for (int j = 0; j < ft->m; j++)
					zb[j] = z + (size_t)ft->blk[j] * block + i0;
				switch (ft->m) {
				case 1:
					for (size_t i = 0; i < m; i++)
						hc[i] += coef * sm[i] * zb[0][i];
					break;
				case 2:
					for (size_t i = 0; i < m; i++)
						hc[i] += coef * sm[i] * zb[0][i] * zb[1][i];
					break;
				case 3:
					for (size_t i = 0; i < m; i++)
						hc[i] += coef * sm[i] * zb[0][i] * zb[1][i] * zb[2][i];
					break;
				default:
					for (size_t i = 0; i < m; i++)
						hc[i] += coef * sm[i] * zb[0][i] * zb[1][i] * zb[2][i] *
							 zb[3][i];
					break;
				}
			}
		}
	}
}

/* H = channel activation of Z for hidden layer l of a tile (block = n·w
 * entries per channel), strip by strip so that z, h and s1..s3 of a strip
 * stay in L1 while every channel uses them. */
static void activate(const pp_network *net, const pp_batch *b, tile *t, int l, size_t block)
{
	const pp_real *z = t->z[l];
	pp_real *h = t->h[l];

	pp_real d1[STRIP], d2[STRIP];

	if (b->generic) {
		activate_generic(net, b, t, l, block);
		return;
	}
	if (b->from_value && pp_tanh_channels_fit(b->S)) {
		/* tanh: σ', σ'' from the rounded h in registers, every channel in
		 * one pass per strip (activation.h) */
		for (size_t i0 = 0; i0 < block; i0 += STRIP) {
			size_t m = block - i0 < STRIP ? block - i0 : STRIP;
			pp_activation_eval(net->act, m, z + i0, h + i0, NULL, NULL, NULL);
			pp_tanh_channels_forward(m, b->S, b->order, b->parent_a, b->parent_b,
						 z + i0, block, h + i0, block);
		}
		return;
	}

	for (size_t i0 = 0; i0 < block; i0 += STRIP) {
		size_t m = block - i0 < STRIP ? block - i0 : STRIP;
		pp_real *s1, *s2;

		if (b->from_value) {
			/* σ' and σ'' from the rounded h, exactly as backward will */
			s1 = d1;
			s2 = b->max_order >= 1 ? d2 : NULL;
			pp_activation_eval(net->act, m, z + i0, h + i0, NULL, NULL, NULL);
			pp_activation_from_h(net->act, m, h + i0, s1, s2, NULL);
		} else {
			s1 = t->s1[l] + i0;
			s2 = t->s2[l] ? t->s2[l] + i0 : NULL;
			pp_activation_eval(net->act, m, z + i0, h + i0, s1, s2,
					   t->s3[l] ? t->s3[l] + i0 : NULL);
		}
		for (int c = 1; c < b->S; c++) {
			const pp_real *zc = z + (size_t)c * block + i0;
			pp_real *hc = h + (size_t)c * block + i0;
			if (b->ch[c].order == 1) {
#pragma omp simd
				for (size_t i = 0; i < m; i++)
					hc[i] = s1[i] * zc[i];
			} else {
				const pp_real *za = z + (size_t)b->parent_a[c] * block + i0;
				const pp_real *zb = z + (size_t)b->parent_b[c] * block + i0;
#pragma omp simd
				for (size_t i = 0; i < m; i++)
					hc[i] = s2[i] * za[i] * zb[i] + s1[i] * zc[i];
			}
		}
	}
}

/* Z = H_in · Wᵀ over all S·n rows of a tile, bias on the value block. */
static void dense_forward(const pp_network *net, const pp_batch *b, int l, const pp_real *in,
			  pp_real *z, size_t n, int S)
{
	const pp_layer_view *v = &net->layers[l];
	const pp_real *W = b->weights + v->weight_offset, *bias = net->params + v->bias_offset;
	int rows = (int)((size_t)S * n);

	if (pp_small_gemm_fits(v->fan_in, v->fan_out)) {
		/* narrow layer: own kernel, bias added in its accumulators */
		pp_small_forward((size_t)rows, v->fan_in, v->fan_out, in, W, bias, n, z);
		return;
	}
	GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, rows, v->fan_out, v->fan_in, 1, in,
	     v->fan_in, W, v->fan_in, 0, z, v->fan_out);
	for (size_t i = 0; i < n; i++) {
		pp_real *zi = z + i * (size_t)v->fan_out;
		for (int j = 0; j < v->fan_out; j++)
			zi[j] += bias[j];
	}
}

/* What hidden layer l passes on: its gated or mixed output, or σ(z);
 * layer 0 is the features. */
static const pp_real *layer_out(const tile *t, int l)
{
	if (l == 0)
		return t->features;
	return t->o[l] ? t->o[l] : t->h[l];
}

/* o = a⊙U + (1 − a)⊙V = V + a⊙(U − V), channel by channel with Leibniz's
 * rule: o_α = V_α + Σ coef·a_β·(U − V)_γ over the splits α = β + γ. */
static void gate_forward(const pp_batch *b, const tile *t, int l, size_t block)
{
	const pp_real *a = t->h[l], *v = t->h[SLOT_V], *uv = t->uv;
	pp_real *o = t->o[l];

	for (int c = 0; c < b->S; c++) {
		pp_real *oc = o + (size_t)c * block;
		memcpy(oc, v + (size_t)c * block, block * sizeof *oc);
		for (int e = b->leib_first[c]; e < b->leib_first[c + 1]; e++) {
			const leibniz_term *lt = &b->leib[e];
			const pp_real *ab = a + (size_t)lt->beta * block;
			const pp_real *dg = uv + (size_t)lt->gamma * block;
			pp_real coef = (pp_real)lt->coef;
#pragma omp simd
			for (size_t i = 0; i < block; i++)
				oc[i] += coef * ab[i] * dg[i];
		}
	}
}

/* o = α·a + (1 − α)·x, x the block's input: linear, so every channel alike. */
static void mix_forward(const pp_network *net, const pp_batch *b, const tile *t, int l,
			size_t block)
{
	pp_real alpha = net->params[net->alpha_offset[l]];
	const pp_real *a = t->h[l], *x = layer_out(t, net->block_first[l] - 1);
	pp_real *o = t->o[l];
	size_t all = (size_t)b->S * block;

#pragma omp simd
	for (size_t i = 0; i < all; i++)
		o[i] = alpha * a[i] + (1 - alpha) * x[i];
}

/* U, V and U − V of the gated architectures, from the features. */
static void gates_forward(const pp_network *net, const pp_batch *b, tile *t)
{
	size_t block = t->n * (size_t)net->width[1], all = (size_t)b->S * block;

	dense_forward(net, b, GATE_U(net), t->features, t->z[SLOT_U], t->n, b->S);
	activate(net, b, t, SLOT_U, block);
	dense_forward(net, b, GATE_V(net), t->features, t->z[SLOT_V], t->n, b->S);
	activate(net, b, t, SLOT_V, block);
	for (size_t i = 0; i < all; i++)
		t->uv[i] = t->h[SLOT_U][i] - t->h[SLOT_V][i];
}

/* The tile's requested channels into out ([n_req][batch n]). */
static void tile_forward(const pp_network *net, const pp_batch *b, tile *t, worker *w,
			 const pp_real *x, pp_real *out)
{
	int L = net->n_layers;

	forward_features(net, b, t, x + t->start * (size_t)net->n_inputs);
	if (net->arch != ARCH_MLP)
		gates_forward(net, b, t);
	for (int l = 1; l < L; l++) {
		size_t block = t->n * (size_t)net->width[l];
		dense_forward(net, b, l - 1, layer_out(t, l - 1), t->z[l], t->n, b->S);
		activate(net, b, t, l, block);
		if (net->gated[l])
			gate_forward(b, t, l, block);
		else if (net->mixed[l])
			mix_forward(net, b, t, l, block);
	}
	/* output layer: S·n × n_outputs values into the worker's gz */
	dense_forward(net, b, L - 1, layer_out(t, L - 1), w->gz, t->n, b->S);
	for (int k = 0; k < b->n_req; k++) {
		int o = b->req_output[k], a = b->req_index[k];
		size_t no = (size_t)net->n_outputs, n = t->n;
		const pp_real *N = w->gz + o;   /* N_γ at point i: N[(γ·n + i)·no] */
		pp_real *dst = out + (size_t)k * b->n + t->start;

		if (net->hard[o].kind == HARD_NONE) {
			if (no == 1)
				memcpy(dst, w->gz + (size_t)a * n, n * sizeof *out);
			else
				for (size_t i = 0; i < n; i++)
					dst[i] = N[((size_t)a * n + i) * no];
			continue;
		}
		/* out_α = g_α + Σ coef·d_β·N_γ (Leibniz) */
		const pp_real *g = b->hard_g[o] + (size_t)a * b->max_points + t->start;
		for (size_t i = 0; i < n; i++)
			dst[i] = g[i];
		for (int e = b->leib_first[a]; e < b->leib_first[a + 1]; e++) {
			const leibniz_term *lt = &b->leib[e];
			const pp_real *d = b->hard_d[o] + (size_t)lt->beta * b->max_points + t->start;
			const pp_real *Ng = N + (size_t)lt->gamma * n * no;
			pp_real coef = (pp_real)lt->coef;
			for (size_t i = 0; i < n; i++)
				dst[i] += coef * d[i] * Ng[i * no];
		}
	}
}

/* ---- backward, one tile ------------------------------------------------------ */

/* The transpose of activate_generic: for each term coef·σ^(m)(z)·Π_j z_bj
 * of h_c, ∂/∂z = coef·σ^(m+1)·Π_j z_bj and ∂/∂z_bj = coef·σ^(m)·Π_(j'≠j) z_bj'. */
static void backward_generic(const pp_batch *b, const tile *t, worker *wk, int l, size_t block)
{
	pp_real buf[PP_MAX_ORDER + 1][STRIP], *s[PP_MAX_ORDER + 2];

	for (size_t i0 = 0; i0 < block; i0 += STRIP) {
		size_t m = block - i0 < STRIP ? block - i0 : STRIP;
		const pp_real *z = t->z[l] + i0, *gh = wk->gh + i0;
		pp_real *gz = wk->gz + i0;

		strip_jet(b, z, t->h[l] + i0, m, b->max_order + 1, buf, s);
		for (size_t i = 0; i < m; i++)
			gz[i] = gh[i] * s[1][i];
		for (int c = 1; c < b->S; c++)
			memset(gz + (size_t)c * block, 0, m * sizeof *gz);
		for (int c = 1; c < b->S; c++) {
			const pp_real *ghc = gh + (size_t)c * block;
			for (int e = b->fdb_first[c]; e < b->fdb_first[c + 1]; e++) {
				const fdb_term *ft = &b->fdb[e];
				const pp_real *zb[PP_MAX_ORDER], *sm = s[ft->m], *sm1 = s[ft->m + 1];
				pp_real *gzb[PP_MAX_ORDER];
				int nb = ft->m;
				for (int j = 0; j < nb; j++) {
					zb[j] = z + (size_t)ft->blk[j] * block;
					gzb[j] = gz + (size_t)ft->blk[j] * block;
				}
				for (size_t i = 0; i < m; i++) {
					pp_real g = (pp_real)ft->coef * ghc[i], zv[PP_MAX_ORDER], all = 1;
					for (int j = 0; j < nb; j++) {
						zv[j] = zb[j][i];
						all *= zv[j];
					}
					gz[i] += g * sm1[i] * all;
					g *= sm[i];
					for (int j = 0; j < nb; j++) {
						pp_real ex = g;
						for (int q = 0; q < nb; q++)
							if (q != j)
								ex *= zv[q];
						gzb[j][i] += ex;
					}
				}
			}
		}
	}
}

/* G_z from G_h for hidden layer l (the transposed channel propagation),
 * strip by strip like activate(). */
static void activation_backward(const pp_batch *b, const tile *t, worker *wk, int l,
				size_t block)
{
	pp_activation act = b->net->act;
	pp_real d1[STRIP], d2[STRIP], d3[STRIP];

	if (b->generic) {
		backward_generic(b, t, wk, l, block);
		return;
	}
	if (b->from_value && pp_tanh_channels_fit(b->S)) {
		/* tanh: one pass, σ', σ'', σ''' from h in registers */
		pp_tanh_channels_backward(block, b->S, b->order, b->parent_a, b->parent_b, t->h[l],
					  t->z[l], block, wk->gh, wk->gz, block);
		return;
	}

	for (size_t i0 = 0; i0 < block; i0 += STRIP) {
		size_t m = block - i0 < STRIP ? block - i0 : STRIP;
		const pp_real *s1 = d1, *s2 = d2, *s3 = d3;

		if (b->from_value) {
			pp_activation_from_h(act, m, t->h[l] + i0, d1, b->max_order >= 1 ? d2 : NULL,
					     b->max_order >= 2 ? d3 : NULL);
		} else {
			s1 = t->s1[l] + i0;
			s2 = t->s2[l] ? t->s2[l] + i0 : NULL;
			s3 = t->s3[l] ? t->s3[l] + i0 : NULL;
		}
		const pp_real *z = t->z[l] + i0, *gh = wk->gh + i0;
		pp_real *gz = wk->gz + i0;

		/* value block: g_z = g_h·s1, then the channel terms below add to it */
#pragma omp simd
		for (size_t i = 0; i < m; i++)
			gz[i] = gh[i] * s1[i];
		for (int c = 1; c < b->S; c++) {
			const pp_real *ghc = gh + (size_t)c * block, *zc = z + (size_t)c * block;
			pp_real *gzc = gz + (size_t)c * block;
			/* ∂h_c/∂z_c = s1 for every order; h_i = s1·z_i also has ∂/∂z = s2·z_i */
			if (b->ch[c].order == 1) {
#pragma omp simd
				for (size_t i = 0; i < m; i++) {
					gzc[i] = ghc[i] * s1[i];
					gz[i] += ghc[i] * s2[i] * zc[i];
				}
			} else {
#pragma omp simd
				for (size_t i = 0; i < m; i++)
					gzc[i] = ghc[i] * s1[i];
			}
		}
		for (int c = 1; c < b->S; c++) {
			if (b->ch[c].order != 2)
				continue;
			/* h_ab = s2·z_a·z_b + s1·z_ab:
			 *   ∂/∂z = s3·z_a·z_b + s2·z_ab, ∂/∂z_a = s2·z_b, ∂/∂z_b = s2·z_a */
			size_t ia = (size_t)b->parent_a[c], ib = (size_t)b->parent_b[c];
			const pp_real *ghc = gh + (size_t)c * block, *zc = z + (size_t)c * block;
			const pp_real *za = z + ia * block, *zb = z + ib * block;
			pp_real *gza = gz + ia * block, *gzb = gz + ib * block;
#pragma omp simd
			for (size_t i = 0; i < m; i++) {
				pp_real g = ghc[i];
				gz[i] += g * (s3[i] * za[i] * zb[i] + s2[i] * zc[i]);
				gza[i] += g * s2[i] * zb[i];
				gzb[i] += g * s2[i] * za[i];
			}
		}
	}
}

/* dW += G_zᵀ·H_in, db += Σ value rows of G_z, and (if gh_out) G_h_in = G_z·W. */
static void dense_backward(const pp_network *net, const pp_batch *b, int l, const pp_real *in,
			   const pp_real *gz, pp_real *gh_out, size_t n, pp_real *grad)
{
	const pp_layer_view *v = &net->layers[l];
	const pp_real *W = b->weights + v->weight_offset;
	int rows = (int)((size_t)b->S * n);

	if (pp_small_gemm_fits(v->fan_in, v->fan_out)) {
		/* narrow layer: own kernels (OpenBLAS's packing costs as much as the product) */
		pp_small_weight_grad((size_t)rows, v->fan_in, v->fan_out, gz, in,
				     grad + v->weight_offset, n, grad + v->bias_offset);
		if (gh_out)
			pp_small_input_grad((size_t)rows, v->fan_in, v->fan_out, gz, W, gh_out);
		return;
	}
	GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, v->fan_out, v->fan_in, rows, 1, gz,
	     v->fan_out, in, v->fan_in, 1, grad + v->weight_offset, v->fan_in);
	GEMV(CblasRowMajor, CblasTrans, (int)n, v->fan_out, 1, gz, v->fan_out, b->ones, 1, 1,
	     grad + v->bias_offset, 1);
	if (gh_out)
		GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, v->fan_in, v->fan_out, 1, gz,
		     v->fan_out, W, v->fan_in, 0, gh_out, v->fan_in);
}

/* The transpose of gate_forward: from G_o in wk->gh, G_a into wk->ga, and
 * G_(U−V), G_V added to wk->gd, wk->gv. */
static void gate_backward(const pp_batch *b, const tile *t, const worker *wk, int l,
			  size_t block)
{
	const pp_real *a = t->h[l], *uv = t->uv, *go = wk->gh;
	size_t all = (size_t)b->S * block;

	memset(wk->ga, 0, all * sizeof *wk->ga);
	for (size_t i = 0; i < all; i++)
		wk->gv[i] += go[i];
	for (int c = 0; c < b->S; c++) {
		const pp_real *gc = go + (size_t)c * block;
		for (int e = b->leib_first[c]; e < b->leib_first[c + 1]; e++) {
			const leibniz_term *lt = &b->leib[e];
			size_t ob = (size_t)lt->beta * block, og = (size_t)lt->gamma * block;
			pp_real coef = (pp_real)lt->coef, *ga = wk->ga + ob, *gd = wk->gd + og;
			const pp_real *ab = a + ob, *dg = uv + og;
#pragma omp simd
			for (size_t i = 0; i < block; i++) {
				ga[i] += coef * gc[i] * dg[i];
				gd[i] += coef * gc[i] * ab[i];
			}
		}
	}
}

/* The transpose of mix_forward, in place: G_a = α·G_o into wk->gh,
 * G_x = (1 − α)·G_o into wk->gx, and ∂/∂α = Σ G_o·(a − x) into grad. */
static void mix_backward(const pp_network *net, const pp_batch *b, const tile *t,
			 const worker *wk, int l, size_t block, pp_real *grad)
{
	pp_real alpha = net->params[net->alpha_offset[l]], *g = wk->gh;
	const pp_real *a = t->h[l], *x = layer_out(t, net->block_first[l] - 1);
	size_t all = (size_t)b->S * block;
	double galpha = 0;

	for (size_t i = 0; i < all; i++) {
		galpha += (double)g[i] * ((double)a[i] - (double)x[i]);
		wk->gx[i] = (1 - alpha) * g[i];
		g[i] *= alpha;
	}
	grad[net->alpha_offset[l]] += (pp_real)galpha;
}

/* U and V's parameters from G_U = G_(U−V) and G_V − G_(U−V). */
static void gates_backward(const pp_network *net, const pp_batch *b, const tile *t,
			   worker *w, pp_real *grad)
{
	size_t block = t->n * (size_t)net->width[1], all = (size_t)b->S * block;

	memcpy(w->gh, w->gd, all * sizeof *w->gh);
	activation_backward(b, t, w, SLOT_U, block);
	dense_backward(net, b, GATE_U(net), t->features, w->gz, NULL, t->n, grad);
	for (size_t i = 0; i < all; i++)
		w->gh[i] = w->gv[i] - w->gd[i];
	activation_backward(b, t, w, SLOT_V, block);
	dense_backward(net, b, GATE_V(net), t->features, w->gz, NULL, t->n, grad);
}

/* Hidden layer l backward, from G of its output in w->gh to G of its
 * input in w->gh (when l > 1), through the mix or gate, σ and the layer. */
static void hidden_backward(const pp_network *net, const pp_batch *b, const tile *t, worker *w,
			    int l, pp_real *grad)
{
	size_t block = t->n * (size_t)net->width[l];
	worker wk = *w;

	if (net->mixed[l]) {
		mix_backward(net, b, t, w, l, block, grad);
	} else if (net->gated[l]) {
		gate_backward(b, t, w, l, block);
		wk.gh = w->ga;
	}
	activation_backward(b, t, &wk, l, block);
	dense_backward(net, b, l - 1, layer_out(t, l - 1), w->gz, l > 1 ? w->gh : NULL, t->n,
		       grad);
	/* the first layer of a pirate block: its input also fed the block's mix */
	if (l > 1 && net->arch == ARCH_PIRATE && (l - 1) % 3 == 0) {
		size_t all = (size_t)b->S * t->n * (size_t)net->width[l - 1];
		for (size_t i = 0; i < all; i++)
			w->gh[i] += w->gx[i];
	}
}

/* Adds the tile's ∂L/∂θ into grad; seed is [n_req][batch n]. */
static void tile_backward(const pp_network *net, const pp_batch *b, const tile *t, worker *w,
			  const pp_real *seed, pp_real *grad)
{
	int L = net->n_layers;
	size_t n = t->n;
	pp_real *gz_out = w->gz;

	/* seeds of the output (S·n × n_outputs); channels nobody asked for
	 * get zero; through a hard constraint, ∂out_α/∂N_γ = coef·d_β */
	size_t no = (size_t)net->n_outputs;
	memset(gz_out, 0, (size_t)b->S * n * no * sizeof *gz_out);
	for (int k = 0; k < b->n_req; k++) {
		int o = b->req_output[k], a = b->req_index[k];
		const pp_real *src = seed + (size_t)k * b->n + t->start;
		pp_real *G = gz_out + o;
		if (net->hard[o].kind == HARD_NONE) {
			pp_real *dst = G + (size_t)a * n * no;
			for (size_t i = 0; i < n; i++)
				dst[i * no] += src[i];
			continue;
		}
		for (int e = b->leib_first[a]; e < b->leib_first[a + 1]; e++) {
			const leibniz_term *lt = &b->leib[e];
			const pp_real *d = b->hard_d[o] + (size_t)lt->beta * b->max_points + t->start;
			pp_real *dst = G + (size_t)lt->gamma * n * no, coef = (pp_real)lt->coef;
			for (size_t i = 0; i < n; i++)
				dst[i * no] += coef * d[i] * src[i];
		}
	}
	dense_backward(net, b, L - 1, layer_out(t, L - 1), gz_out, L > 1 ? w->gh : NULL, n, grad);
	if (net->arch != ARCH_MLP) {
		size_t all = (size_t)b->S * n * (size_t)net->width[1];
		memset(w->gd, 0, all * sizeof *w->gd);
		memset(w->gv, 0, all * sizeof *w->gv);
	}
	for (int l = L - 1; l >= 1; l--)
		hidden_backward(net, b, t, w, l, grad);
	if (net->arch != ARCH_MLP)
		gates_backward(net, b, t, w, grad);
}

/* ---- tiles on threads ------------------------------------------------------- */

typedef struct task {
	const pp_network *net;
	pp_batch *b;
	int worker, n_workers;
	const pp_real *x;        /* forward: points; NULL for backward */
	pp_real *out;
	const pp_real *seed;     /* backward */
	pp_real *grad;
} task;

/* Worker w runs tiles [w·T/W, (w+1)·T/W): a fixed partition, so results
 * depend on the thread count but never on timing. */
static void *run_task(void *arg)
{
	task *k = arg;
	pp_batch *b = k->b;
	int first = b->n_tiles * k->worker / k->n_workers;
	int last = b->n_tiles * (k->worker + 1) / k->n_workers;
	worker *w = &b->workers[k->worker];

	for (int i = first; i < last; i++) {
		tile t;
		carve_tile(b, i, &t);
		if (k->x)
			tile_forward(k->net, b, &t, w, k->x, k->out);
		else
			tile_backward(k->net, b, &t, w, k->seed, k->grad);
	}
	return NULL;
}

/* Threads for the engine: as many as OpenBLAS is set to (the experiment's
 * `threads:`). */
static int engine_threads(void)
{
	int t = openblas_get_num_threads();

	return t < 1 ? 1 : t > PP_MAX_WORKERS ? PP_MAX_WORKERS : t;
}

/* Cut n points into tiles: at most TILE_POINTS each, and with several
 * threads at least one tile per thread down to MIN_TILE_POINTS. */
static void plan_tiles(pp_batch *b, size_t n)
{
	size_t threads = (size_t)engine_threads(), m = (n + threads - 1) / threads;

	m = m < MIN_TILE_POINTS ? MIN_TILE_POINTS : m;
	m = m > b->tile_cap ? b->tile_cap : m;
	b->n = n;
	b->tile_points = m;
	b->n_tiles = (int)((n + m - 1) / m);
}

/* Runs @proto on every tile.  With several threads each runs its share of
 * tiles with single-threaded BLAS (parallel over points instead of inside
 * small products); backward sums the workers' private gradients into
 * proto->grad in worker order. */
static int run_tiles(pp_batch *b, const task *proto, pp_error *err)
{
	int blas_threads = engine_threads(), n = blas_threads, rc;
	task tasks[PP_MAX_WORKERS];
	pthread_t tid[PP_MAX_WORKERS];
	int started[PP_MAX_WORKERS] = {0};

	if (n > b->n_tiles)
		n = b->n_tiles;
	if (n <= 1) {
		task k = *proto;
		k.n_workers = 1;
		/* OpenBLAS's own threads stay asleep: with several threads the
		 * engine's are the ones that work */
		if (blas_threads > 1)
			openblas_set_num_threads(1);
		run_task(&k);
		if (blas_threads > 1)
			openblas_set_num_threads(blas_threads);
		return PP_OK;
	}
	rc = ensure_workers(b, n, err);
	if (rc)
		return rc;
	openblas_set_num_threads(1);
	for (int w = 0; w < n; w++) {
		tasks[w] = *proto;
		tasks[w].worker = w;
		tasks[w].n_workers = n;
		if (!proto->x && w > 0) {
			tasks[w].grad = b->workers[w].grad;
			memset(tasks[w].grad, 0, b->net->n_params * sizeof *tasks[w].grad);
		}
		if (w > 0)
			started[w] = pthread_create(&tid[w], NULL, run_task, &tasks[w]) == 0;
	}
	run_task(&tasks[0]);
	for (int w = 1; w < n; w++) {
		if (started[w])
			pthread_join(tid[w], NULL);
		else
			run_task(&tasks[w]);  /* no thread: same work, same buffers */
	}
	openblas_set_num_threads(blas_threads);
	if (!proto->x) {
		for (int w = 1; w < n; w++) {
			const pp_real *g = b->workers[w].grad;
			for (size_t j = 0; j < b->net->n_params; j++)
				proto->grad[j] += g[j];
		}
	}
	return PP_OK;
}

/* d of dirichlet_box and its derivatives: a product of one factor per
 * constrained input, f(x) = (x − lo)(hi − x)/s with s = ((hi − lo)/2)² (so
 * that max f = 1), f' = (lo + hi − 2x)/s, f'' = −2/s, higher ones zero;
 * inputs not constrained contribute 1 (and zero derivatives). */
static void box_values(const pp_network *net, const hard_spec *h, const pp_batch *b, size_t n,
		       const pp_real *x, pp_real *g, pp_real *d)
{
	for (int c = 0; c < b->S; c++) {
		pp_channel ch = b->ch[c];
		int count[PP_MAX_INPUTS] = {0};
		for (int j = 0; j < ch.order; j++)
			count[ch.d[j]]++;
		for (size_t i = 0; i < n; i++) {
			double v = 1;
			for (int q = 0; q < net->n_inputs; q++) {
				double xq = (double)x[i * (size_t)net->n_inputs + (size_t)q];
				double lo = h->lo[q], hi = h->hi[q], sc = 0.25 * (hi - lo) * (hi - lo);
				if (!(h->inputs & (1u << q))) {
					v *= count[q] ? 0.0 : 1.0;
					continue;
				}
				v *= count[q] == 0 ? (xq - lo) * (hi - xq) / sc
				     : count[q] == 1 ? (lo + hi - 2.0 * xq) / sc
				     : count[q] == 2 ? -2.0 / sc : 0.0;
			}
			d[(size_t)c * b->max_points + i] = (pp_real)v;
			g[(size_t)c * b->max_points + i] = (pp_real)(c == 0 ? h->value : 0.0);
		}
	}
}

/* g and d of every constrained output at the batch's points, channel c at
 * [c·max_points]: before the tiles, on the calling thread. */
static int hard_values(const pp_network *net, pp_batch *b, size_t n, const pp_real *x,
		       pp_error *err)
{
	for (int o = 0; o < net->n_outputs; o++) {
		const hard_spec *h = &net->hard[o];
		pp_real *gp[PP_MAX_INTERNAL], *dp[PP_MAX_INTERNAL];
		pp_transform_args a = {0};
		int rc;

		if (h->kind == HARD_NONE)
			continue;
		if (h->kind == HARD_BOX) {
			box_values(net, h, b, n, x, b->hard_g[o], b->hard_d[o]);
			continue;
		}
		if (!net->transform_fn)
			return pp_error_set(err, PP_ERR_STATE,
					    "output %d has a hard constraint of the PDE, but no transform hook is bound",
					    o);
		for (int c = 0; c < b->S; c++) {
			gp[c] = b->hard_g[o] + (size_t)c * b->max_points;
			dp[c] = b->hard_d[o] + (size_t)c * b->max_points;
		}
		a.transform = h->transform;
		a.output = o;
		a.n = n;
		a.x = x;
		a.n_channels = b->S;
		a.channels = b->ch;
		a.g = gp;
		a.d = dp;
		rc = net->transform_fn(net->transform_ctx, &a, err);
		if (rc)
			return pp_error_prefix(err, "hard constraint on output %d", o);
	}
	return PP_OK;
}

/* Factorised layers: W = diag(e^s)·V into the batch's weff at the slab's
 * offsets, before a forward; backward then reads the same W.  Only the W
 * entries of weff are written or read: biases, s and α come from the slab. */
static void factorized_weights(const pp_network *net, pp_batch *b)
{
	for (int l = 0; l < net->n_dense; l++) {
		const pp_layer_view *v = &net->layers[l];
		const pp_real *sc = net->params + net->scale_offset[l];
		for (int k = 0; k < v->fan_out; k++) {
			size_t row = v->weight_offset + (size_t)k * (size_t)v->fan_in;
			pp_real e = (pp_real)exp((double)sc[k]);
			for (int j = 0; j < v->fan_in; j++)
				b->weff[row + (size_t)j] = e * net->params[row + (size_t)j];
		}
	}
	b->weights = b->weff;
}

/* The chain rule from ∂L/∂W (in gscratch) to the trained V and s:
 * ∂L/∂V_kj = e^(s_k)·∂L/∂W_kj, ∂L/∂s_k = Σ_j ∂L/∂W_kj·W_kj; the rest of
 * gscratch (biases, α) is added as it is. */
static void factorized_gradient(const pp_network *net, const pp_batch *b, pp_real *grad)
{
	const pp_real *g = b->gscratch;

	for (int l = 0; l < net->n_dense; l++) {
		const pp_layer_view *v = &net->layers[l];
		size_t first = v->weight_offset, last = first + (size_t)v->fan_in * (size_t)v->fan_out;
		for (int k = 0; k < v->fan_out; k++) {
			size_t row = first + (size_t)k * (size_t)v->fan_in;
			double gs = 0, e = exp((double)net->params[net->scale_offset[l] + (size_t)k]);
			for (int j = 0; j < v->fan_in; j++) {
				gs += (double)g[row + (size_t)j] * (double)b->weff[row + (size_t)j];
				grad[row + (size_t)j] += (pp_real)(e * (double)g[row + (size_t)j]);
			}
			grad[net->scale_offset[l] + (size_t)k] += (pp_real)gs;
		}
		for (size_t j = last; j < last + (size_t)v->fan_out; j++)
			grad[j] += g[j];   /* the bias */
	}
	for (int l = 1; l < net->n_layers; l++)
		if (net->mixed[l])
			grad[net->alpha_offset[l]] += g[net->alpha_offset[l]];
}

int pp_network_forward(const pp_network *net, pp_batch *b, size_t n, const pp_real *x,
		       pp_real *out, pp_error *err)
{
	task proto = {0};

	if (n > b->max_points)
		return pp_error_set(err, PP_ERR_INVALID, "batch of %zu points exceeds its capacity %zu",
				    n, b->max_points);
	plan_tiles(b, n);
	if (n == 0)
		return PP_OK;
	if (net->factorized)
		factorized_weights(net, b);
	if (net->any_hard) {
		int rc = hard_values(net, b, n, x, err);
		if (rc)
			return rc;
	}
	proto.net = net;
	proto.b = b;
	proto.x = x;
	proto.out = out;
	return run_tiles(b, &proto, err);
}

int pp_network_backward(const pp_network *net, pp_batch *b, const pp_real *seed,
			pp_real *grad, pp_error *err)
{
	task proto = {0};
	int rc;

	if (b->n == 0)
		return pp_error_set(err, PP_ERR_STATE, "backward before any forward on this batch");
	proto.net = net;
	proto.b = b;
	proto.seed = seed;
	proto.grad = grad;
	if (!net->factorized)
		return run_tiles(b, &proto, err);
	/* the engine's gradient is in W; V and s follow from it */
	memset(b->gscratch, 0, net->n_params * sizeof *b->gscratch);
	proto.grad = b->gscratch;
	rc = run_tiles(b, &proto, err);
	if (!rc)
		factorized_gradient(net, b, grad);
	return rc;
}

size_t pp_network_tile_points(void)
{
	return TILE_POINTS;
}

int pp_network_predict(const pp_network *net, size_t n, const pp_real *x, pp_real *u,
		       pp_error *err)
{
	pp_batch *b = NULL;
	size_t chunk = n < PREDICT_CHUNK ? (n ? n : 1) : PREDICT_CHUNK;
	pp_channel value[PP_MAX_OUTPUTS];
	pp_real *buf = NULL;
	int no = net->n_outputs, rc;

	for (int o = 0; o < no; o++)
		value[o] = PP_U(o);
	rc = pp_batch_create(net, chunk, no, value, &b, err);
	if (!rc && no > 1) {
		buf = malloc((size_t)no * chunk * sizeof *buf);
		if (!buf)
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	for (size_t s = 0; !rc && s < n; s += chunk) {
		size_t len = n - s < chunk ? n - s : chunk;
		rc = pp_network_forward(net, b, len, x + s * (size_t)net->n_inputs,
					no > 1 ? buf : u + s, err);
		for (int o = 0; !rc && no > 1 && o < no; o++)
			memcpy(u + (size_t)o * n + s, buf + (size_t)o * len, len * sizeof *u);
	}
	free(buf);
	pp_batch_destroy(b);
	return rc;
}
