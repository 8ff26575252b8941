/* phasepinn — the network's private layout, for the engine (network.c) and
 * the model file (model_file.c).  Nothing outside core/ sees it. */
#ifndef PHASEPINN_CORE_NETWORK_IMPL_H
#define PHASEPINN_CORE_NETWORK_IMPL_H

#include <stddef.h>

#include <phasepinn/network.h>
#include <phasepinn/pde.h>

#include "core/activation.h"

#define PP_MAX_LAYERS 64

/* One embedding feature of the raw inputs x (d of them):
 * identity: x[input]; trig: cos or sin of b·x. */
typedef struct feature {
	int trig;          /* 0 identity, 1 cos, 2 sin */
	int input;         /* identity: which input */
	double b[PP_MAX_INPUTS];
} feature;

/* A hard constraint on one output: out = g + d·N (network.h). */
typedef enum hard_kind { HARD_NONE = 0, HARD_PLUGIN, HARD_BOX } hard_kind;

typedef struct hard_spec {
	hard_kind kind;
	int transform;              /* HARD_PLUGIN: index into the PDE's transforms */
	unsigned inputs;            /* HARD_BOX: bit i set = vanishes at both ends of input i */
	double value;               /* HARD_BOX: g, a constant */
	double lo[PP_MAX_INPUTS], hi[PP_MAX_INPUTS];
} hard_spec;

/* The architecture around the dense layers (network.h, `network.type`).
 * mlp: in_l = σ(z_(l-1)).  modified_mlp (Wang, Teng & Perdikaris 2021):
 * two more dense layers of the features, U = σ(F·W_Uᵀ + b_U) and V likewise,
 * and every hidden layer's output gated, o_l = a_l⊙U + (1 − a_l)⊙V with
 * a_l = σ(z_l).  pirate (Wang, Sankaran & Perdikaris 2024): U and V as
 * above, hidden layers in blocks of three, the first two gated, the third's
 * output o = α·a + (1 − α)·x with x the block's input and α a trainable
 * scalar per block (initially 0, so the network starts as a linear map of
 * the features). */
typedef enum arch_type { ARCH_MLP = 0, ARCH_MODIFIED_MLP, ARCH_PIRATE } arch_type;

/* Dense layers beyond the chain: U and V of the gated architectures, kept
 * in layers[] after the chain's n_layers. */
#define GATE_U(net) ((net)->n_layers)
#define GATE_V(net) ((net)->n_layers + 1)

struct pp_network {
	int n_inputs;
	int n_outputs;
	int n_features;
	feature *features;
	int n_layers;               /* dense layers, output included */
	int width[PP_MAX_LAYERS + 1]; /* width[0] = n_features, width[n_layers] = n_outputs */
	hard_spec hard[PP_MAX_OUTPUTS];
	int any_hard;
	pp_transform_fn transform_fn; /* the PDE's transform hook, bound by the experiment */
	void *transform_ctx;
	pp_layer_view layers[PP_MAX_LAYERS];  /* the chain, then GATE_U, GATE_V */
	pp_activation act;
	arch_type arch;
	int n_dense;                /* entries of layers[]: n_layers (+ 2 when gated) */
	int gated[PP_MAX_LAYERS];   /* hidden layer l's output is gated by U and V */
	int mixed[PP_MAX_LAYERS];   /* ... is α·a + (1 − α)·x_block (pirate) */
	int block_first[PP_MAX_LAYERS]; /* mixed layer l: its block's first hidden layer */
	size_t alpha_offset[PP_MAX_LAYERS]; /* mixed layer l: α's place in the slab */
	int n_blocks;
	/* Random weight factorisation (Wang et al. 2022): every dense layer's
	 * W = diag(exp(s))·V; the slab holds V at weight_offset, then b, then
	 * s (fan_out) at scale_offset[l]. */
	int factorized;
	size_t scale_offset[PP_MAX_LAYERS];
	size_t n_params;            /* the layers' and any extra ones after them */
	size_t n_extra;             /* trailing parameters the layers do not use */
	pp_real *params;
	char description[256];
};

/* Bytes that batch objects (pp_batch_create: activations, scratch, the
 * workers' buffers) hold in this process now, and the most they held at
 * once since the start or the last reset (which sets it to the bytes held
 * now).  Exact and deterministic, unlike the resident set size: tests of
 * the trainer's memory bound read these. */
size_t pp_batch_bytes_live(void);
size_t pp_batch_bytes_peak(void);
void pp_batch_bytes_reset_peak(void);

#endif
