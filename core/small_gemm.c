/* phasepinn — matrix products of narrow dense layers (see small_gemm.h).
 *
 * Every product is C = A·B with B at most 32 × 32: B is copied once per call
 * into a zero-padded row-major block (8 KB at most, in L1), and C is made
 * ROW_BLOCK rows at a time, each row cut into column panels of at most 3
 * vectors of VL reals; a panel of nv vectors is made rb rows at a time
 * (rows_per_block), so the inner loop loads nv vectors of B into
 * registers, and per row broadcasts A[r][p] and does nv multiply-adds.
 * The kernels are instantiated for every row width by a switch, with rb
 * and nv constants, so the compiler unrolls them and keeps the
 * accumulators in registers.
 *
 * Written with GCC's vector extensions (also clang's): 32-byte vectors,
 * which a build without AVX (-Dnative=false) splits into two SSE halves.
 * This file is compiled with -ffp-contract=fast (core/meson.build), so the
 * multiply-adds become FMAs where the CPU has them: the rounding differs
 * from a separate multiply and add, but is fixed for a given build.
 */
#include "core/small_gemm.h"

#include <string.h>

#define VBYTES 32
#ifdef PP_SINGLE_PRECISION
#define VL 8
#else
#define VL 4
#endif
#define MAX_NV (PP_SMALL_GEMM_MAX / VL)
#define MAX_RB 12
/* Rows of A per block: a multiple of every rows_per_block() */
#define ROW_BLOCK 12
/* Rows of `in` per chunk of the weight gradient: a packed chunk (at most
 * 64 × 32 reals, 16 KB) stays in L1 while every row block of dW reads it. */
#define CHUNK 64

typedef pp_real vreal __attribute__((vector_size(VBYTES)));

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE vreal vload(const pp_real *p)
{
	vreal v;

	memcpy(&v, p, sizeof v);
	return v;
}

ALWAYS_INLINE void vstore(pp_real *p, vreal v)
{
	memcpy(p, &v, sizeof v);
}

/* Keeps v in a register: without it GCC folds every use of a loaded B
 * vector into its multiply-add as a memory operand, reloading B once per
 * row (15 loads for 12 multiply-adds instead of 7). */
#if defined(__AVX__)
#define IN_REGISTER(v) __asm__("" : "+x"(v))
#else
#define IN_REGISTER(v) ((void)0)
#endif

/* x in every lane (an initialiser list: one broadcast instruction) */
ALWAYS_INLINE vreal vsplat(pp_real x)
{
#if VL == 8
	return (vreal){x, x, x, x, x, x, x, x};
#else
	return (vreal){x, x, x, x};
#endif
}

/* Rows per block for a panel of nv vectors: RB·nv accumulators, nv
 * vectors of B and one broadcast must fit AVX2's sixteen registers, so
 * (rb, nv) is (4, 3), (6, 2) or (12, 1) — 12 multiply-adds per step of p
 * against nv + rb loads.  More vectors per panel (the earlier 3 × 4) left
 * no register for B: every multiply-add reloaded its B vector, 15 loads
 * for 12 multiply-adds, more than the two 32-byte loads a cycle Zen 3
 * does.  All three divide ROW_BLOCK. */
ALWAYS_INLINE int rows_per_block(int nv)
{
	return nv >= 3 ? 4 : nv == 2 ? 6 : 12;
}

int pp_small_gemm_fits(int fan_in, int fan_out)
{
	return fan_in <= PP_SMALL_GEMM_MAX && fan_out <= PP_SMALL_GEMM_MAX;
}

/* Columns are cut into panels of 3 vectors and a last one of 2 or 1 (4 is
 * 2 + 2, 7 is 3 + 2 + 2: a 1-vector panel needs 13 loads for 12
 * multiply-adds): panel q of a row of nv vectors starts at vector
 * panel_start(nv, q) and has panel_width(nv, q) vectors. */
ALWAYS_INLINE int panel_count(int nv)
{
	return nv % 3 == 1 && nv > 1 ? nv / 3 + 1 : (nv + 2) / 3;
}

ALWAYS_INLINE int panel_width(int nv, int q)
{
	int threes = nv % 3 == 1 && nv > 1 ? nv / 3 - 1 : nv / 3;

	return q < threes ? 3 : nv % 3 == 0 ? 3 : nv - 3 * threes == 4 ? 2 : nv - 3 * threes;
}

ALWAYS_INLINE int panel_start(int nv, int q)
{
	return q == 0 ? 0 : q == 1 ? panel_width(nv, 0) : panel_width(nv, 0) + panel_width(nv, 1);
}

/* Columns [c0, c0 + nv·VL) ∩ [0, nc) of a row from nv accumulators. */
ALWAYS_INLINE void store_row(pp_real *c, const vreal *acc, int nv, int c0, int nc)
{
	for (int v = 0; v < nv; v++) {
		int col = c0 + v * VL;
		if (col + VL <= nc) {
			vstore(c + col, acc[v]);
		} else {
			for (int l = 0; l < VL; l++)
				if (col + l < nc)
					c[col + l] = acc[v][l];
		}
	}
}

/* Rows [0, rb) and columns [c0, c0 + nv·VL) of C (row length nc) =
 * A (row length k) · Bp (k × ld, padded), plus the padded bias if
 * with_bias (a constant in every instance: a per-row test here kept the
 * accumulators out of registers). */
ALWAYS_INLINE void mm_block(int rb, int nv, int with_bias, int c0, int k, int ld, int nc,
			    const pp_real *A, const pp_real *Bp, const pp_real *bias, pp_real *C)
{
	vreal acc[MAX_RB][MAX_NV];
	const vreal zero = {0};

	for (int r = 0; r < rb; r++)
		for (int v = 0; v < nv; v++)
			acc[r][v] = with_bias ? vload(bias + c0 + v * VL) : zero;
	for (int p = 0; p < k; p++) {
		vreal b[MAX_NV];
		for (int v = 0; v < nv; v++)
			b[v] = vload(Bp + (size_t)p * (size_t)ld + (size_t)(c0 + v * VL));
		for (int v = 0; v < nv; v++)
			IN_REGISTER(b[v]);
		for (int r = 0; r < rb; r++) {
			vreal a = vsplat(A[(size_t)r * (size_t)k + (size_t)p]);
			for (int v = 0; v < nv; v++)
				acc[r][v] += a * b[v];
		}
	}
	for (int r = 0; r < rb; r++)
		store_row(C + (size_t)r * (size_t)nc, acc[r], nv, c0, nc);
}

/* Rows [0, m) of C, columns of panel q of a row of nv vectors: rb rows at
 * a time, the rest as one smaller block. */
ALWAYS_INLINE void mm_panel(int nv, int q, int with_bias, size_t m, int k, int nc,
			    const pp_real *A, const pp_real *Bp, const pp_real *bias, pp_real *C)
{
	const int w = panel_width(nv, q), c0 = panel_start(nv, q) * VL, ld = nv * VL;
	const int rb = rows_per_block(w);
	size_t r = 0;

	for (; r + (size_t)rb <= m; r += (size_t)rb)
		mm_block(rb, w, with_bias, c0, k, ld, nc, A + r * (size_t)k, Bp, bias,
			 C + r * (size_t)nc);
	A += r * (size_t)k;
	C += r * (size_t)nc;
	/* the last m − r < rb rows as one block (a constant size in each case) */
#define MM_TAIL(t)                                                                  \
	case t:                                                                     \
		if (rb > t)                                                         \
			mm_block(t, w, with_bias, c0, k, ld, nc, A, Bp, bias, C);   \
		break
	switch (m - r) {
	MM_TAIL(1); MM_TAIL(2); MM_TAIL(3); MM_TAIL(4); MM_TAIL(5); MM_TAIL(6);
	MM_TAIL(7); MM_TAIL(8); MM_TAIL(9); MM_TAIL(10); MM_TAIL(11);
	default: break;
	}
#undef MM_TAIL
}

/* Rows [0, rows) of C = A·Bp (+ bias), ROW_BLOCK rows at a time, every
 * panel of a block while its rows of A are in L1. */
ALWAYS_INLINE void mm_range(int nv, int with_bias, size_t rows, int k, int nc, const pp_real *A,
			    const pp_real *Bp, const pp_real *bias, pp_real *C)
{
	for (size_t i = 0; i < rows; i += ROW_BLOCK) {
		size_t m = rows - i < ROW_BLOCK ? rows - i : ROW_BLOCK;
		const pp_real *Ai = A + i * (size_t)k;
		pp_real *Ci = C + i * (size_t)nc;
		/* three calls, not a loop: each panel's width must be a constant */
		mm_panel(nv, 0, with_bias, m, k, nc, Ai, Bp, bias, Ci);
		if (panel_count(nv) > 1)
			mm_panel(nv, 1, with_bias, m, k, nc, Ai, Bp, bias, Ci);
		if (panel_count(nv) > 2)
			mm_panel(nv, 2, with_bias, m, k, nc, Ai, Bp, bias, Ci);
	}
}

/* C (rows × nc) = A (rows × k) · Bp, bias on the first bias_rows rows. */
ALWAYS_INLINE void mm_rows(int nv, size_t rows, int k, int nc, const pp_real *A,
			   const pp_real *Bp, const pp_real *bias, size_t bias_rows, pp_real *C)
{
	size_t nb = bias && bias_rows < rows ? bias_rows : bias ? rows : 0;

	mm_range(nv, 1, nb, k, nc, A, Bp, bias, C);
	mm_range(nv, 0, rows - nb, k, nc, A + nb * (size_t)k, Bp, NULL, C + nb * (size_t)nc);
}

/* The switch that makes nv a constant in each instance. */
static void mm(size_t rows, int k, int nc, const pp_real *A, const pp_real *Bp,
	       const pp_real *bias, size_t bias_rows, pp_real *C)
{
	switch ((nc + VL - 1) / VL) {
	case 1: mm_rows(1, rows, k, nc, A, Bp, bias, bias_rows, C); break;
	case 2: mm_rows(2, rows, k, nc, A, Bp, bias, bias_rows, C); break;
	case 3: mm_rows(3, rows, k, nc, A, Bp, bias, bias_rows, C); break;
	case 4: mm_rows(4, rows, k, nc, A, Bp, bias, bias_rows, C); break;
#if MAX_NV > 4
	case 5: mm_rows(5, rows, k, nc, A, Bp, bias, bias_rows, C); break;
	case 6: mm_rows(6, rows, k, nc, A, Bp, bias, bias_rows, C); break;
	case 7: mm_rows(7, rows, k, nc, A, Bp, bias, bias_rows, C); break;
	case 8: mm_rows(8, rows, k, nc, A, Bp, bias, bias_rows, C); break;
#endif
	default: break;
	}
}

static int padded(int n)
{
	return (n + VL - 1) / VL * VL;
}

void pp_small_forward(size_t rows, int fan_in, int fan_out, const pp_real *in,
		      const pp_real *W, const pp_real *bias, size_t bias_rows, pp_real *z)
{
	pp_real Bp[PP_SMALL_GEMM_MAX * PP_SMALL_GEMM_MAX], bp[PP_SMALL_GEMM_MAX];
	int ld = padded(fan_out);

	/* Bp = Wᵀ (fan_in × ld), zero beyond fan_out */
	memset(Bp, 0, (size_t)fan_in * (size_t)ld * sizeof *Bp);
	memset(bp, 0, (size_t)ld * sizeof *bp);
	for (int p = 0; p < fan_in; p++)
		for (int j = 0; j < fan_out; j++)
			Bp[p * ld + j] = W[j * fan_in + p];
	for (int j = 0; j < fan_out; j++)
		bp[j] = bias ? bias[j] : 0;
	mm(rows, fan_in, fan_out, in, Bp, bp, bias ? bias_rows : 0, z);
}

void pp_small_input_grad(size_t rows, int fan_in, int fan_out, const pp_real *gz,
			 const pp_real *W, pp_real *gh)
{
	pp_real Bp[PP_SMALL_GEMM_MAX * PP_SMALL_GEMM_MAX];
	int ld = padded(fan_in);

	/* Bp = W (fan_out × ld), zero beyond fan_in */
	memset(Bp, 0, (size_t)fan_out * (size_t)ld * sizeof *Bp);
	for (int j = 0; j < fan_out; j++)
		memcpy(Bp + j * ld, W + j * fan_in, (size_t)fan_in * sizeof *Bp);
	mm(rows, fan_out, fan_in, gz, Bp, NULL, 0, gh);
}

/* Rows [j0, j0 + jb) and columns [c0, c0 + nv·VL) of dWp (row length ld)
 * += gz[:, j]ᵀ · Hp over a chunk of m rows: gz rows have length n_out, Hp
 * rows start hs apart. */
ALWAYS_INLINE void wg_block(int jb, int nv, int c0, int ld, int hs, size_t m, int n_out, int j0,
			    const pp_real *gz, const pp_real *Hp, pp_real *dWp)
{
	vreal acc[MAX_RB][MAX_NV];
	pp_real *d = dWp + (size_t)j0 * (size_t)ld + (size_t)c0;

	for (int j = 0; j < jb; j++)
		for (int v = 0; v < nv; v++)
			acc[j][v] = vload(d + (size_t)j * (size_t)ld + (size_t)(v * VL));
	for (size_t i = 0; i < m; i++) {
		vreal h[MAX_NV];
		for (int v = 0; v < nv; v++)
			h[v] = vload(Hp + i * (size_t)hs + (size_t)(c0 + v * VL));
		for (int v = 0; v < nv; v++)
			IN_REGISTER(h[v]);
		for (int j = 0; j < jb; j++) {
			vreal g = vsplat(gz[i * (size_t)n_out + (size_t)(j0 + j)]);
			for (int v = 0; v < nv; v++)
				acc[j][v] += g * h[v];
		}
	}
	for (int j = 0; j < jb; j++)
		for (int v = 0; v < nv; v++)
			vstore(d + (size_t)j * (size_t)ld + (size_t)(v * VL), acc[j][v]);
}

/* Every row of dWp, columns of panel q, over a chunk of m rows: jb rows of
 * dW at a time, the rest as one smaller block. */
ALWAYS_INLINE void wg_panel(int nv, int q, size_t m, int n_out, int hs, const pp_real *gz,
			    const pp_real *Hp, pp_real *dWp)
{
	const int w = panel_width(nv, q), c0 = panel_start(nv, q) * VL, ld = nv * VL;
	const int jb = rows_per_block(w);
	int j = 0;

	for (; j + jb <= n_out; j += jb)
		wg_block(jb, w, c0, ld, hs, m, n_out, j, gz, Hp, dWp);
	/* the last n_out − j < jb rows of dW as one block */
#define WG_TAIL(t)                                                          \
	case t:                                                             \
		if (jb > t)                                                 \
			wg_block(t, w, c0, ld, hs, m, n_out, j, gz, Hp, dWp); \
		break
	switch (n_out - j) {
	WG_TAIL(1); WG_TAIL(2); WG_TAIL(3); WG_TAIL(4); WG_TAIL(5); WG_TAIL(6);
	WG_TAIL(7); WG_TAIL(8); WG_TAIL(9); WG_TAIL(10); WG_TAIL(11);
	default: break;
	}
#undef WG_TAIL
}

/* dWp += gzᵀ · H over a chunk of m rows, H's rows hs apart. */
ALWAYS_INLINE void wg_chunk(int nv, size_t m, int n_out, int hs, const pp_real *G,
			    const pp_real *H, pp_real *dWp)
{
	if (n_out == 1) {
		/* the output layer's single row of dW: all nv vectors in one
		 * block, nv independent accumulators (in panels of 3 and 2 the
		 * FMA latency left the second panel's pass half idle) */
		wg_block(1, nv, 0, nv * VL, hs, m, 1, 0, G, H, dWp);
		return;
	}
	wg_panel(nv, 0, m, n_out, hs, G, H, dWp);
	if (panel_count(nv) > 1)
		wg_panel(nv, 1, m, n_out, hs, G, H, dWp);
	if (panel_count(nv) > 2)
		wg_panel(nv, 2, m, n_out, hs, G, H, dWp);
}

/* dWp += gzᵀ · in over all rows, chunk by chunk, each chunk of gz and in
 * read by every block of dW rows while it is in L1.  The rows of `in` are
 * read in place as whole vectors even when n_in is not a multiple of VL:
 * the lanes past a row's end hold the next row's first entries and only
 * reach columns of dWp beyond n_in, which are thrown away.  The last rows,
 * whose vectors would run past the end of `in`, are copied zero-padded
 * (copying every chunk cost a quarter of the time at 30 wide). */
ALWAYS_INLINE void wg_rows(int nv, size_t rows, int n_in, int n_out, const pp_real *gz,
			   const pp_real *in, pp_real *dWp)
{
	const int ld = nv * VL;
	const size_t total = rows * (size_t)n_in;
	/* rows i with i·n_in + ld <= rows·n_in */
	size_t direct = total >= (size_t)ld ? (total - (size_t)ld) / (size_t)n_in + 1 : 0;
	pp_real Hp[CHUNK * PP_SMALL_GEMM_MAX];

	direct = direct < rows ? direct : rows;
	for (size_t i0 = 0; i0 < direct; i0 += CHUNK) {
		size_t m = direct - i0 < CHUNK ? direct - i0 : CHUNK;
		wg_chunk(nv, m, n_out, n_in, gz + i0 * (size_t)n_out, in + i0 * (size_t)n_in, dWp);
	}
	if (direct < rows) {
		size_t m = rows - direct;   /* at most ld rows */
		for (size_t i = 0; i < m; i++)
			for (int p = 0; p < ld; p++)
				Hp[i * (size_t)ld + (size_t)p] =
					p < n_in ? in[(direct + i) * (size_t)n_in + (size_t)p] : 0;
		wg_chunk(nv, m, n_out, ld, gz + direct * (size_t)n_out, Hp, dWp);
	}
}

void pp_small_weight_grad(size_t rows, int fan_in, int fan_out, const pp_real *gz,
			  const pp_real *in, pp_real *dW, size_t bias_rows, pp_real *db)
{
	pp_real dWp[PP_SMALL_GEMM_MAX * PP_SMALL_GEMM_MAX];
	int ld = padded(fan_in);

	memset(dWp, 0, (size_t)fan_out * (size_t)ld * sizeof *dWp);
	switch (ld / VL) {
	case 1: wg_rows(1, rows, fan_in, fan_out, gz, in, dWp); break;
	case 2: wg_rows(2, rows, fan_in, fan_out, gz, in, dWp); break;
	case 3: wg_rows(3, rows, fan_in, fan_out, gz, in, dWp); break;
	case 4: wg_rows(4, rows, fan_in, fan_out, gz, in, dWp); break;
#if MAX_NV > 4
	case 5: wg_rows(5, rows, fan_in, fan_out, gz, in, dWp); break;
	case 6: wg_rows(6, rows, fan_in, fan_out, gz, in, dWp); break;
	case 7: wg_rows(7, rows, fan_in, fan_out, gz, in, dWp); break;
	case 8: wg_rows(8, rows, fan_in, fan_out, gz, in, dWp); break;
#endif
	default: break;
	}
	for (int j = 0; j < fan_out; j++)
		for (int p = 0; p < fan_in; p++)
			dW[j * fan_in + p] += dWp[j * ld + p];
	if (!db)
		return;
	/* db: column sums of the value rows, in a padded row so the loop vectorises */
	{
		pp_real sum[PP_SMALL_GEMM_MAX] = {0};
		for (size_t i = 0; i < bias_rows; i++)
			for (int j = 0; j < fan_out; j++)
				sum[j] += gz[i * (size_t)fan_out + (size_t)j];
		for (int j = 0; j < fan_out; j++)
			db[j] += sum[j];
	}
}
