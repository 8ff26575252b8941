/* phasepinn — weighting plugins (per-point and per-term loss weights).
 *
 * Each step the core computes residuals of every enabled term, then calls
 * point_weights() (set w and lambda from the residuals: RBA, SA, causal),
 * then computes gradients (per term when the scheme asked with
 * PP_NEED_TERM_GRADIENTS), then calls term_weights() (GradNorm-style
 * balancing).  The loss is Σ_k term_weight_k · mean_i(w_ki · r_ki²).
 * Weights are updated outside the gradient (no backprop through them).
 *
 * YAML:
 *   weighting:
 *     type: rba
 *     gamma: 0.999
 */
#ifndef PHASEPINN_WEIGHTING_H
#define PHASEPINN_WEIGHTING_H

#include <stddef.h>
#include <stdint.h>
#include <phasepinn/config.h>
#include <phasepinn/error.h>
#include <phasepinn/problem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How adaptive sampling moved one term's points (points_changed below).
 * The term had n_old points and now has n; new point i is old point
 * kept[i] (>= 0: the same point, its state carries over) or a new point
 * (-1), whose nearest old point of the term, by Euclidean distance in the
 * inputs scaled to [0, 1] by the PDE's box, is nearest[i] (-1 when the
 * term had no points).  For a kept point nearest[i] == kept[i]. */
typedef struct pp_points_change {
	int pde_term;            /* index into pp_pde_info.terms */
	size_t n_old, n;
	const int64_t *kept;     /* [n] */
	const int64_t *nearest;  /* [n] */
} pp_points_change;

typedef struct pp_weighting_ops {
	uint32_t struct_size;
	int (*create)(const pp_config *cfg, const pp_problem *problem, void **state,
		      pp_error *err);
	void (*destroy)(void *state);
	/* PP_NEED_* flags (NULL: none). */
	unsigned (*needs)(void *state);
	/* Optional: set terms[k].w / lambda from terms[k].r. */
	int (*point_weights)(void *state, pp_step_view *view, pp_error *err);
	/* Optional: set terms[k].term_weight from terms[k].grad. */
	int (*term_weights)(void *state, pp_step_view *view, pp_error *err);
	/* Optional (NULL): checkpoint hooks.  save() with buf == NULL stores the
	 * size it needs in *size; otherwise it writes at most *size bytes and
	 * stores the count.  load() restores exactly what save() wrote.  A run
	 * refuses to resume when a plugin with state lacks them. */
	int (*save)(void *state, void *buf, size_t *size, pp_error *err);
	int (*load)(void *state, const void *buf, size_t size, pp_error *err);
	/* Optional (NULL; appended after load, within ABI 2): adaptive sampling
	 * (docs/sampling.md) replaced or added points of a term, between two
	 * steps and before the next point_weights().  Carry per-point state
	 * over as @change says (docs/weighting.md, "Adaptive sampling").
	 * Without it the scheme meets the new points at the old indices (and
	 * a changed count) on its next point_weights(). */
	int (*points_changed)(void *state, const pp_points_change *change, pp_error *err);
} pp_weighting_ops;

#ifdef __cplusplus
}
#endif
#endif
