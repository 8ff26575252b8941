/* phasepinn — activation kernels (see activation.h).
 *
 * tanh dominates a naive engine: libm's tanh is a scalar call.  pp_tanh is
 * written with arithmetic only so that GCC vectorises the loops below:
 *   |z| < 0.625: Cephes' rational approximation z + z³·P(z²)/Q(z²)
 *                (S. Moshier, Cephes Math Library, tanh.c, coefficients below);
 *   otherwise:   1 − 2/(e^{2|z|} + 1) with e^y = 2^k·p(r), r = y − k·ln2,
 *                |r| ≤ ln2/2, p the degree-13 Taylor polynomial (error < 2e-16).
 */
#include "core/activation.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^y for 0 <= y <= 40 (the only range pp_tanh needs).  k = round(y/ln2) by
 * the 1.5·2^52 trick, whose low mantissa bits then hold k: no floor() or
 * float-to-int conversion, so the loop vectorises. */
static inline double exp_small(double y)
{
	const double ln2_hi = 6.93147180369123816490e-01;
	const double ln2_lo = 1.90821492927058770002e-10;
	const double shifter = 0x1.8p52;
	double t = y * 1.4426950408889634 + shifter;
	double k = t - shifter;
	double r = (y - k * ln2_hi) - k * ln2_lo;
	double p = 1.0 / 6227020800.0;  /* 1/13! */
	int64_t kbits, scale_bits;
	double scale;

	p = p * r + 1.0 / 479001600.0;
	p = p * r + 1.0 / 39916800.0;
	p = p * r + 1.0 / 3628800.0;
	p = p * r + 1.0 / 362880.0;
	p = p * r + 1.0 / 40320.0;
	p = p * r + 1.0 / 5040.0;
	p = p * r + 1.0 / 720.0;
	p = p * r + 1.0 / 120.0;
	p = p * r + 1.0 / 24.0;
	p = p * r + 1.0 / 6.0;
	p = p * r + 0.5;
	p = p * r + 1.0;
	p = p * r + 1.0;
	memcpy(&kbits, &t, sizeof kbits);
	kbits -= 0x4338000000000000LL;          /* bits of the shifter: leaves k */
	scale_bits = (kbits + 1023) << 52;      /* 2^k */
	memcpy(&scale, &scale_bits, sizeof scale);
	return p * scale;
}

static inline double tanh_inline(double z)
{
	/* Cephes tanh.c, |x| < 0.625 */
	const double P0 = -9.64399179425052238628e-1, P1 = -9.92877231001918586564e1,
		     P2 = -1.61468768441708447952e3;
	const double Q0 = 1.12811678491632931402e2, Q1 = 2.23548839060100448583e3,
		     Q2 = 4.84406305325125486048e3;
	double a = fabs(z), z2 = z * z;
	double small = z + z * z2 * (((P0 * z2 + P1) * z2 + P2) /
				     (((z2 + Q0) * z2 + Q1) * z2 + Q2));
	double y = 2.0 * (a < 20.0 ? a : 20.0);
	double big = 1.0 - 2.0 / (exp_small(y) + 1.0);
	double signed_big = z < 0 ? -big : big;

	return a < 0.625 ? small : signed_big;
}

double pp_tanh(double z)
{
	return tanh_inline(z);
}

static void eval_tanh(size_t n, const pp_real *restrict z, pp_real *restrict h,
		      pp_real *restrict s1, pp_real *restrict s2, pp_real *restrict s3)
{
	if (s3) {
#pragma omp simd
		for (size_t i = 0; i < n; i++) {
			double t = tanh_inline((double)z[i]), d1 = 1.0 - t * t;
			h[i] = (pp_real)t;
			s1[i] = (pp_real)d1;
			s2[i] = (pp_real)(-2.0 * t * d1);
			s3[i] = (pp_real)(-2.0 * d1 * (1.0 - 3.0 * t * t));
		}
	} else if (s2) {
#pragma omp simd
		for (size_t i = 0; i < n; i++) {
			double t = tanh_inline((double)z[i]), d1 = 1.0 - t * t;
			h[i] = (pp_real)t;
			s1[i] = (pp_real)d1;
			s2[i] = (pp_real)(-2.0 * t * d1);
		}
	} else if (s1) {
#pragma omp simd
		for (size_t i = 0; i < n; i++) {
			double t = tanh_inline((double)z[i]);
			h[i] = (pp_real)t;
			s1[i] = (pp_real)(1.0 - t * t);
		}
	} else {
#pragma omp simd
		for (size_t i = 0; i < n; i++)
			h[i] = (pp_real)tanh_inline((double)z[i]);
	}
}

int pp_activation_from_value(pp_activation act)
{
	return act == PP_ACT_TANH;
}

void pp_activation_from_h(pp_activation act, size_t n, const pp_real *restrict h,
			  pp_real *restrict s1, pp_real *restrict s2, pp_real *restrict s3)
{
	(void)act;  /* tanh is the only one */
	if (s3) {
#pragma omp simd
		for (size_t i = 0; i < n; i++) {
			pp_real t = h[i], d1 = 1 - t * t;
			s1[i] = d1;
			s2[i] = -2 * t * d1;
			s3[i] = -2 * d1 * (1 - 3 * t * t);
		}
	} else if (s2) {
#pragma omp simd
		for (size_t i = 0; i < n; i++) {
			pp_real t = h[i], d1 = 1 - t * t;
			s1[i] = d1;
			s2[i] = -2 * t * d1;
		}
	} else {
#pragma omp simd
		for (size_t i = 0; i < n; i++)
			s1[i] = 1 - h[i] * h[i];
	}
}

/* ---- channels of orders 1 and 2 through tanh, in registers ------------------
 *
 * GCC's vector extensions (also clang's), 32-byte vectors of VN reals; a
 * range that is not whole vectors ends with one vector made from
 * zero-padded copies.  Per entry the operations and their order are those
 * of the pass-per-channel loops in network.c (activate_range,
 * activation_backward_range), so the results differ from them only by
 * this file's contraction into FMAs.  The channels are sorted once per
 * call into lists of order 1 and order 2 with their arrays' addresses, so
 * that the loop over entries has no branch on a channel's order and no
 * index arithmetic. */
typedef pp_real vreal __attribute__((vector_size(32)));
#define VN ((int)(sizeof(vreal) / sizeof(pp_real)))
/* Channels the kernels take (order <= 2 in 4 inputs: 15); the network
 * engine uses them only for S <= TANH_CHANNELS (pp_tanh_channels_fit). */
#define TANH_CHANNELS 16

static inline vreal vld(const pp_real *p)
{
	vreal v;

	memcpy(&v, p, sizeof v);
	return v;
}

static inline void vst(pp_real *p, vreal v)
{
	memcpy(p, &v, sizeof v);
}

/* One call's channels: the value's arrays, then per channel of order 1
 * (n1) and of order 2 (n2) the addresses of its arrays at entry 0. */
typedef struct tanh_plan {
	int n1, n2, S;
	const pp_real *z[TANH_CHANNELS], *za[TANH_CHANNELS], *zb[TANH_CHANNELS];
	const pp_real *gh[TANH_CHANNELS];
	pp_real *out[TANH_CHANNELS];  /* h_c (forward) or G_z of c (backward) */
	pp_real *ga[TANH_CHANNELS], *gb[TANH_CHANNELS];  /* backward: G_z of the parents */
	int same[TANH_CHANNELS];      /* order 2: pa == pb (u_xx) */
} tanh_plan;

/* Lists 0..n1-1 hold order 1, n1..n1+n2-1 order 2, each in channel order;
 * every channel c >= 1 also in all[] (out and gh) for the backward's
 * first loop. */
typedef struct tanh_lists {
	tanh_plan p;
	const pp_real *all_gh[TANH_CHANNELS];
	pp_real *all_out[TANH_CHANNELS];
} tanh_lists;

static void plan_channels(tanh_lists *L, int S, const int *order, const int *pa, const int *pb,
			  const pp_real *z, size_t zs, const pp_real *gh, pp_real *out, size_t gs)
{
	tanh_plan *p = &L->p;
	int k = 0;

	p->S = S;
	p->n1 = p->n2 = 0;
	for (int c = 1; c < S; c++) {
		L->all_gh[c] = gh ? gh + (size_t)c * gs : NULL;
		L->all_out[c] = out + (size_t)c * gs;
		if (order[c] == 1)
			p->n1++;
	}
	for (int pass = 1; pass <= 2; pass++) {
		for (int c = 1; c < S; c++) {
			if (order[c] != pass)
				continue;
			p->z[k] = z + (size_t)c * zs;
			p->gh[k] = gh ? gh + (size_t)c * gs : NULL;
			p->out[k] = out + (size_t)c * gs;
			p->za[k] = p->zb[k] = NULL;
			p->ga[k] = p->gb[k] = NULL;
			p->same[k] = 0;
			if (pass == 2) {
				p->za[k] = z + (size_t)pa[c] * zs;
				p->zb[k] = z + (size_t)pb[c] * zs;
				p->ga[k] = out + (size_t)pa[c] * gs;
				p->gb[k] = out + (size_t)pb[c] * gs;
				p->same[k] = pa[c] == pb[c];
				p->n2++;
			}
			k++;
		}
	}
}

/* Entries [i, i + VN) of every channel, forward. */
static inline __attribute__((always_inline)) void
channels_forward_at(size_t i, const tanh_plan *p, const pp_real *h)
{
	vreal t = vld(h + i), s1 = 1 - t * t, s2 = -2 * t * s1;
	int k = 0;

	for (; k < p->n1; k++)
		vst(p->out[k] + i, s1 * vld(p->z[k] + i));
	for (; k < p->n1 + p->n2; k++)
		vst(p->out[k] + i,
		    s2 * vld(p->za[k] + i) * vld(p->zb[k] + i) + s1 * vld(p->z[k] + i));
}

/* Entries [i, i + VN) of every channel, backward: the value channel's
 * G_z gathers g_h·s1, then the order-1 terms, then the order-2 ones; a
 * square's parent gets its two terms in that order, in a register. */
static inline __attribute__((always_inline)) void
channels_backward_at(size_t i, const tanh_lists *L, const pp_real *h, const pp_real *gh,
		     pp_real *gz)
{
	const tanh_plan *p = &L->p;
	vreal t = vld(h + i), s1 = 1 - t * t, s2 = -2 * t * s1, s3 = -2 * s1 * (1 - 3 * t * t);
	vreal g0 = vld(gh + i) * s1;
	int k = 0;

	for (int c = 1; c < p->S; c++)
		vst(L->all_out[c] + i, vld(L->all_gh[c] + i) * s1);
	for (; k < p->n1; k++)
		g0 += vld(p->gh[k] + i) * s2 * vld(p->z[k] + i);
	for (; k < p->n1 + p->n2; k++) {
		vreal g = vld(p->gh[k] + i), za = vld(p->za[k] + i), zb = vld(p->zb[k] + i);
		g0 += g * (s3 * za * zb + s2 * vld(p->z[k] + i));
		if (p->same[k]) {
			vst(p->ga[k] + i, vld(p->ga[k] + i) + g * s2 * zb + g * s2 * za);
		} else {
			vst(p->ga[k] + i, vld(p->ga[k] + i) + g * s2 * zb);
			vst(p->gb[k] + i, vld(p->gb[k] + i) + g * s2 * za);
		}
	}
	vst(gz + i, g0);
}

int pp_tanh_channels_fit(int S)
{
	return S <= TANH_CHANNELS;
}

void pp_tanh_channels_forward(size_t m, int S, const int *order, const int *pa, const int *pb,
			      const pp_real *z, size_t zs, pp_real *h, size_t hs)
{
	pp_real zt[TANH_CHANNELS * VN], ht[TANH_CHANNELS * VN];
	tanh_lists L;
	size_t i = 0, r;

	plan_channels(&L, S, order, pa, pb, z, zs, NULL, h, hs);
	for (; i + (size_t)VN <= m; i += (size_t)VN)
		channels_forward_at(i, &L.p, h);
	if (i == m)
		return;
	/* the last r entries, zero-padded to one vector */
	r = m - i;
	memset(zt, 0, (size_t)S * VN * sizeof *zt);
	memset(ht, 0, (size_t)S * VN * sizeof *ht);
	memcpy(ht, h + i, r * sizeof *ht);
	for (int c = 0; c < S; c++)
		memcpy(zt + (size_t)c * VN, z + (size_t)c * zs + i, r * sizeof *zt);
	plan_channels(&L, S, order, pa, pb, zt, VN, NULL, ht, VN);
	channels_forward_at(0, &L.p, ht);
	for (int c = 1; c < S; c++)
		memcpy(h + (size_t)c * hs + i, ht + (size_t)c * VN, r * sizeof *ht);
}

void pp_tanh_channels_backward(size_t m, int S, const int *order, const int *pa,
			       const int *pb, const pp_real *h, const pp_real *z, size_t zs,
			       const pp_real *gh, pp_real *gz, size_t gs)
{
	pp_real ht[VN], zt[TANH_CHANNELS * VN], gt[TANH_CHANNELS * VN], gzt[TANH_CHANNELS * VN];
	tanh_lists L;
	size_t i = 0, r;

	plan_channels(&L, S, order, pa, pb, z, zs, gh, gz, gs);
	for (; i + (size_t)VN <= m; i += (size_t)VN)
		channels_backward_at(i, &L, h, gh, gz);
	if (i == m)
		return;
	/* the last r entries, zero-padded to one vector */
	r = m - i;
	memset(ht, 0, sizeof ht);
	memset(zt, 0, (size_t)S * VN * sizeof *zt);
	memset(gt, 0, (size_t)S * VN * sizeof *gt);
	memcpy(ht, h + i, r * sizeof *ht);
	for (int c = 0; c < S; c++) {
		memcpy(zt + (size_t)c * VN, z + (size_t)c * zs + i, r * sizeof *zt);
		memcpy(gt + (size_t)c * VN, gh + (size_t)c * gs + i, r * sizeof *gt);
	}
	plan_channels(&L, S, order, pa, pb, zt, VN, gt, gzt, VN);
	channels_backward_at(0, &L, ht, gt, gzt);
	for (int c = 0; c < S; c++)
		memcpy(gz + (size_t)c * gs + i, gzt + (size_t)c * VN, r * sizeof *gzt);
}

static void eval_sin(size_t n, const pp_real *z, pp_real *h, pp_real *s1, pp_real *s2,
		     pp_real *s3)
{
	for (size_t i = 0; i < n; i++) {
		double s = sin((double)z[i]), c = cos((double)z[i]);
		h[i] = (pp_real)s;
		s1[i] = (pp_real)c;
		if (s2)
			s2[i] = (pp_real)-s;
		if (s3)
			s3[i] = (pp_real)-c;
	}
}

/* Exact GELU z·Φ(z): σ' = Φ + zφ, σ'' = φ(2 − z²), σ''' = zφ(z² − 4). */
static void eval_gelu(size_t n, const pp_real *z, pp_real *h, pp_real *s1, pp_real *s2,
		      pp_real *s3)
{
	const double inv_sqrt2 = 0.70710678118654752440, inv_sqrt2pi = 0.39894228040143267794;

	for (size_t i = 0; i < n; i++) {
		double x = (double)z[i];
		double Phi = 0.5 * erfc(-x * inv_sqrt2), phi = inv_sqrt2pi * exp(-0.5 * x * x);
		h[i] = (pp_real)(x * Phi);
		s1[i] = (pp_real)(Phi + x * phi);
		if (s2)
			s2[i] = (pp_real)(phi * (2.0 - x * x));
		if (s3)
			s3[i] = (pp_real)(x * phi * (x * x - 4.0));
	}
}

void pp_activation_eval(pp_activation act, size_t n, const pp_real *z, pp_real *h,
			pp_real *s1, pp_real *s2, pp_real *s3)
{
	switch (act) {
	case PP_ACT_TANH:
		eval_tanh(n, z, h, s1, s2, s3);
		break;
	case PP_ACT_SIN:
		eval_sin(n, z, h, s1, s2, s3);
		break;
	case PP_ACT_GELU:
		eval_gelu(n, z, h, s1, s2, s3);
		break;
	}
}

/* tanh: with t = h and p = 1 − t², by repeated t' = p, p' = −2tp:
 *   σ' = p, σ'' = −2tp, σ''' = p(6t² − 2), σ'''' = p(16t − 24t³),
 *   σ^(5) = p(16 − 120t² + 120t⁴). */
static void jet_tanh(size_t n, const pp_real *restrict h, int kmax, pp_real *const *s)
{
	for (size_t i = 0; i < n; i++) {
		double t = (double)h[i], t2 = t * t, p = 1.0 - t2;
		double v[6] = {0, p, -2.0 * t * p, p * (6.0 * t2 - 2.0),
			       p * (16.0 * t - 24.0 * t2 * t),
			       p * (16.0 - 120.0 * t2 + 120.0 * t2 * t2)};
		for (int k = 1; k <= kmax; k++)
			s[k][i] = (pp_real)v[k];
	}
}

/* sin^(k)(z) = sin(z + kπ/2): cos, −sin, −cos, sin, cos. */
static void jet_sin(size_t n, const pp_real *z, int kmax, pp_real *const *s)
{
	for (size_t i = 0; i < n; i++) {
		double sn = sin((double)z[i]), cs = cos((double)z[i]);
		double v[6] = {0, cs, -sn, -cs, sn, cs};
		for (int k = 1; k <= kmax; k++)
			s[k][i] = (pp_real)v[k];
	}
}

/* GELU z·Φ(z): σ' = Φ + zφ and σ^(k) = φ·P_k(z) for k >= 2 with
 * P_(k+1) = P_k' − z·P_k: P2 = 2 − z², P3 = z³ − 4z, P4 = −z⁴ + 7z² − 4,
 * P5 = z⁵ − 11z³ + 18z. */
static void jet_gelu(size_t n, const pp_real *z, int kmax, pp_real *const *s)
{
	const double inv_sqrt2 = 0.70710678118654752440, inv_sqrt2pi = 0.39894228040143267794;

	for (size_t i = 0; i < n; i++) {
		double x = (double)z[i], x2 = x * x;
		double Phi = 0.5 * erfc(-x * inv_sqrt2), phi = inv_sqrt2pi * exp(-0.5 * x2);
		double v[6] = {0, Phi + x * phi, phi * (2.0 - x2), phi * x * (x2 - 4.0),
			       phi * (-x2 * x2 + 7.0 * x2 - 4.0),
			       phi * x * (x2 * x2 - 11.0 * x2 + 18.0)};
		for (int k = 1; k <= kmax; k++)
			s[k][i] = (pp_real)v[k];
	}
}

void pp_activation_jet(pp_activation act, size_t n, const pp_real *z, const pp_real *h,
		       int kmax, pp_real *const *s)
{
	switch (act) {
	case PP_ACT_TANH:
		jet_tanh(n, h, kmax, s);
		break;
	case PP_ACT_SIN:
		jet_sin(n, z, kmax, s);
		break;
	case PP_ACT_GELU:
		jet_gelu(n, z, kmax, s);
		break;
	}
}
