/* phasepinn — the network engine: an MLP that propagates derivative channels.
 *
 * A batch of n points is pushed through the MLP together with the derivative
 * channels a loss term needs (u, u_x, u_xx, u_xy, ...).  The S channels are
 * stacked as row blocks, so each dense layer is one gemm over S·n rows; the
 * backward pass is exact (no finite differences) and costs two gemms per
 * layer.  Parameters live in one contiguous slab owned by the network, laid
 * out layer by layer as [W_l (fan_out × fan_in, row-major), b_l (fan_out)].
 *
 * YAML (the experiment's `network:` section):
 *   network:
 *     layers: [128, 128, 128, 128, 128, 128]  # hidden widths (or width: + depth:)
 *     activation: tanh                        # tanh | sin | gelu
 *     init: xavier_normal                     # xavier_normal | xavier_uniform | {from: RUN_DIR}
 *     seed: 2341                              # default: the experiment seed
 *     hard:                                   # exact constraints, out = g + d·N
 *       u: initial                            # a transform the PDE offers
 *       p: {type: dirichlet_box, inputs: [x], value: 0}  # d = Π (x−lo)(hi−x)/s
 *     embedding:
 *       periodic: {input: x, period: 2.0, harmonics: 1}   # exact periodicity
 *       random_fourier: {features: 64, scale: 1.0}        # Gaussian B, [cos, sin](2πBx)
 *
 * Threading: a batch is cut into tiles of pp_network_tile_points() points
 * that go through all layers one after the other (their activations stay in
 * cache).  When OpenBLAS is set to T > 1 threads (openblas_set_num_threads,
 * the experiment's `threads:`), forward and backward run a batch's tiles on
 * T threads with single-threaded products each, over a fixed partition of
 * the tiles; backward sums the threads' gradients in a fixed order.  Results
 * are identical for the same seed and thread count.
 */
#ifndef PHASEPINN_NETWORK_H
#define PHASEPINN_NETWORK_H

#include <stddef.h>
#include <phasepinn/config.h>
#include <phasepinn/error.h>
#include <phasepinn/pde.h>
#include <phasepinn/real.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pp_network pp_network;
typedef struct pp_batch pp_batch;

/* One dense layer's place in the parameter slab. */
typedef struct pp_layer_view {
	size_t weight_offset;  /* W: fan_out × fan_in, row-major */
	size_t bias_offset;    /* b: fan_out */
	int fan_in;
	int fan_out;
} pp_layer_view;

/* Build from the `network:` node (may be NULL: defaults) for @pde's inputs.
 * If pde->periodic_input >= 0 an exact periodic embedding of that input is
 * added unless the YAML already declares one. */
int pp_network_create(const pp_config *cfg, const pp_pde_info *pde,
		      unsigned long seed, pp_network **out, pp_error *err);
void pp_network_destroy(pp_network *net);

size_t pp_network_param_count(const pp_network *net);
/* Extra parameters after the layers' (an inverse problem's coefficients,
 * in their trained parameterisation): the slab grows by @count, set to
 * init[count]; forward and backward ignore them (backward leaves their
 * gradient entries alone).  pp_network_param_count counts them. */
int pp_network_add_extra_params(pp_network *net, size_t count, const pp_real *init,
				pp_error *err);
size_t pp_network_extra_count(const pp_network *net);
/* Columns of the last layer: the PDE's outputs. */
int pp_network_output_count(const pp_network *net);
pp_real *pp_network_params(pp_network *net);
const pp_real *pp_network_params_const(const pp_network *net);
int pp_network_input_count(const pp_network *net);
/* Dense layers, the output layer included. */
int pp_network_layer_count(const pp_network *net);
int pp_network_layer(const pp_network *net, int layer, pp_layer_view *view);
/* One-line description, e.g. "2-[50x4 tanh]-1, 7851 parameters". */
const char *pp_network_describe(const pp_network *net);

/* The PDE's transform hook (pde.h) as the network calls it for the hard
 * constraints of `network: {hard: ...}` that the PDE offers: ctx is the
 * PDE's state.  Must be bound before a forward pass when any is used. */
typedef int (*pp_transform_fn)(void *ctx, const pp_transform_args *args, pp_error *err);
void pp_network_bind_transforms(pp_network *net, pp_transform_fn fn, void *ctx);

/* Workspace for batches of up to @max_points points with the given channels. */
int pp_batch_create(const pp_network *net, size_t max_points, int n_channels,
		    const pp_channel *channels, pp_batch **out, pp_error *err);
void pp_batch_destroy(pp_batch *batch);

/* Forward: x is n × n_inputs (row-major); out is [n_channels][n]. */
int pp_network_forward(const pp_network *net, pp_batch *batch, size_t n,
		       const pp_real *x, pp_real *out, pp_error *err);
/* Backward of the last forward on @batch: seed is [n_channels][n] = ∂L/∂out;
 * adds ∂L/∂θ into grad[param_count] (caller zeroes it when needed). */
int pp_network_backward(const pp_network *net, pp_batch *batch,
			const pp_real *seed, pp_real *grad, pp_error *err);
/* Value rows (u itself, no derivative channels) of hidden layer @layer's
 * activations after the last forward: n × width, row-major.  NULL if out of
 * range. */
const pp_real *pp_batch_hidden(const pp_batch *batch, int layer, int *width);

/* Points per tile (see Threading above): batches of this size or less run
 * as one tile on OpenBLAS's own threads. */
size_t pp_network_tile_points(void);

/* The outputs at n points (values only, hard constraints applied), chunked
 * internally: u[n_outputs × n], output k at u[k·n]. */
int pp_network_predict(const pp_network *net, size_t n, const pp_real *x,
		       pp_real *u, pp_error *err);

#ifdef __cplusplus
}
#endif
#endif
