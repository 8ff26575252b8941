/* phasepinn — elementwise kernels of the network engine (private).
 *
 * For an activation σ and pre-activations z, the kernels return h = σ(z) and
 * the derivatives s1 = σ'(z), s2 = σ''(z), s3 = σ'''(z) that the channel
 * propagation needs (docs/engine.md, "Derivative channels over BLAS":
 * h_x = s1·z_x, h_xx = s2·z_x² + s1·z_xx).
 * Arrays are contiguous; n is a count of elements.  s2/s3 may be NULL when
 * the batch has no derivative channels of that order.
 */
#ifndef PHASEPINN_CORE_ACTIVATION_H
#define PHASEPINN_CORE_ACTIVATION_H

#include <stddef.h>
#include <phasepinn/real.h>

typedef enum pp_activation {
	PP_ACT_TANH = 0,
	PP_ACT_SIN = 1,
	PP_ACT_GELU = 2
} pp_activation;

/* h = σ(z) and its derivatives, computed once per value entry.  s1 may be
 * NULL (values only) when pp_activation_from_value(act). */
void pp_activation_eval(pp_activation act, size_t n, const pp_real *z, pp_real *h,
			pp_real *s1, pp_real *s2, pp_real *s3);

/* 1 if σ', σ'', σ''' are functions of h = σ(z) alone (tanh: s1 = 1 − h²,
 * s2 = −2h·s1, s3 = −2·s1·(1 − 3h²)), so the engine need not store them. */
int pp_activation_from_value(pp_activation act);

/* s1, s2, s3 (s2, s3 may be NULL) from h, for pp_activation_from_value(act). */
void pp_activation_from_h(pp_activation act, size_t n, const pp_real *h, pp_real *s1,
			  pp_real *s2, pp_real *s3);

/* The jet of σ for derivative channels of order 3 and 4: s[k] = σ^(k)(z)
 * for k = 1..kmax (kmax <= 5; s[0] is not touched), from z, and from
 * h = σ(z) as computed by pp_activation_eval for tanh (so that forward and
 * backward see the same values).  tanh: polynomials in h times 1 − h²;
 * sin: sin(z + kπ/2); GELU: φ(z) times a polynomial in z for k >= 2. */
void pp_activation_jet(pp_activation act, size_t n, const pp_real *z, const pp_real *h,
		       int kmax, pp_real *const *s);

/* The derivative channels of orders 1 and 2 through tanh, one pass over m
 * entries with σ', σ'', σ''' made from h in registers (instead of arrays
 * from pp_activation_from_h and a pass per channel).  Channel c (S of
 * them, c = 0 the value) has order[c] (0..2) and, for order 2, parents
 * pa[c], pb[c] (first-order channels); its entries are c·zs apart in z
 * and c·hs (c·gs) apart in the other arrays, all pointers at the range's
 * first entry.
 *
 * Forward: from h (the value channel, already σ(z)) and z, the channels
 * c >= 1 of h: h_c = s1·z_c, h_ab = s2·z_a·z_b + s1·z_ab.
 * Backward: the transpose, G_z (gz, every channel) from G_h (gh), z and h.
 * Only for S channels with pp_tanh_channels_fit(S) (S <= 16: every set
 * of order <= 2 in up to 4 inputs). */
int pp_tanh_channels_fit(int S);
void pp_tanh_channels_forward(size_t m, int S, const int *order, const int *pa, const int *pb,
			      const pp_real *z, size_t zs, pp_real *h, size_t hs);
void pp_tanh_channels_backward(size_t m, int S, const int *order, const int *pa,
			       const int *pb, const pp_real *h, const pp_real *z, size_t zs,
			       const pp_real *gh, pp_real *gz, size_t gs);

/* tanh with only +, *, / and a polynomial exp, so loops over it vectorise.
 * Max error about 2 ulp (tested against libm over [-40, 40]). */
double pp_tanh(double z);

#endif
