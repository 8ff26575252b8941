/* phasepinn — matrix products of narrow dense layers (private).
 *
 * For layers whose fan_in and fan_out are both at most PP_SMALL_GEMM_MAX,
 * OpenBLAS spends as long packing its operands, zeroing C (beta = 0) and
 * dispatching as it spends multiplying: these kernels keep a whole row of
 * the output in vector registers and stream the tile's rows past them
 * (docs/engine.md, "Speed at small widths").  Shapes are those of the
 * engine: rows = S·n rows of a tile, row-major, leading dimension = width.
 * Results are deterministic (a fixed order of operations for a given shape)
 * but round differently from OpenBLAS.
 */
#ifndef PHASEPINN_CORE_SMALL_GEMM_H
#define PHASEPINN_CORE_SMALL_GEMM_H

#include <stddef.h>
#include <phasepinn/real.h>

#define PP_SMALL_GEMM_MAX 32

/* 1 if a fan_in × fan_out layer runs through the kernels below. */
int pp_small_gemm_fits(int fan_in, int fan_out);

/* Z = in·Wᵀ, plus bias on the first bias_rows rows: in is rows × fan_in,
 * W fan_out × fan_in, Z rows × fan_out. */
void pp_small_forward(size_t rows, int fan_in, int fan_out, const pp_real *in,
		      const pp_real *W, const pp_real *bias, size_t bias_rows, pp_real *z);

/* gh = gz·W: gz is rows × fan_out, gh rows × fan_in. */
void pp_small_input_grad(size_t rows, int fan_in, int fan_out, const pp_real *gz,
			 const pp_real *W, pp_real *gh);

/* dW += gzᵀ·in (fan_out × fan_in) and, if db, db += the column sums of the
 * first bias_rows rows of gz. */
void pp_small_weight_grad(size_t rows, int fan_in, int fan_out, const pp_real *gz,
			  const pp_real *in, pp_real *dW, size_t bias_rows, pp_real *db);

#endif
