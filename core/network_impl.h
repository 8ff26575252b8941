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
	pp_layer_view layers[PP_MAX_LAYERS];
	pp_activation act;
	size_t n_params;            /* the layers' and any extra ones after them */
	size_t n_extra;             /* trailing parameters the layers do not use */
	pp_real *params;
	char description[256];
};

#endif
