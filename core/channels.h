/* phasepinn — derivative channels as multi-indices (private to the core).
 *
 * A channel asks for ∂^k/∂x[d0]…∂x[d(k-1)] of one output (pde.h).  The
 * engine propagates derivative *sets*, which do not depend on the output:
 * the canonical form of a channel sorts d and forgets the output.  The
 * internal channels of a batch are the closure of the requested ones under
 * taking sub-multisets (u_xxy needs u_xx, u_xy, u_x, u_y and u), ordered by
 * order, then lexicographically: value, first derivatives, second ones, ...
 */
#ifndef PHASEPINN_CORE_CHANNELS_H
#define PHASEPINN_CORE_CHANNELS_H

#include <phasepinn/error.h>
#include <phasepinn/pde.h>

/* Every multiset of at most PP_MAX_ORDER inputs out of PP_MAX_INPUTS:
 * C(4 + 4, 4). */
#define PP_MAX_INTERNAL 70


/* 1 if @c names a valid order (0..PP_MAX_ORDER) and inputs in [0, n_inputs). */
int pp_channel_valid(pp_channel c, int n_inputs);
/* @c with d sorted, unused entries -1 and output 0. */
pp_channel pp_channel_canonical(pp_channel c);
/* Same derivative (outputs ignored). */
int pp_channel_same(pp_channel a, pp_channel b);
/* Index of @c's derivative in list[n], or -1. */
int pp_channel_find(const pp_channel *list, int n, pp_channel c);
/* The closure of req[n] into out[*count] (at most PP_MAX_INTERNAL), ordered
 * as the file comment says; PP_ERR_INVALID naming the channel at fault. */
int pp_channel_closure(const pp_channel *req, int n, int n_inputs, pp_channel *out,
		       int *count, pp_error *err);
/* "u_xxy"-style name of @c for messages, with @out_name and the inputs'
 * names (NULL: x0, x1, ...). */
void pp_channel_name(pp_channel c, const char *out_name, const char *const *input_names,
		     char *buf, size_t size);


#endif
