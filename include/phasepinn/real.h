/* phasepinn — floating-point type of the network engine.
 *
 * The whole engine (parameters, activations, gradients, point coordinates,
 * residuals) uses pp_real.  It is double unless the library was built with
 * `meson setup -Dprecision=single`, which defines PP_SINGLE_PRECISION in the
 * generated header below.  Statistics (losses, SNR sums, reference solutions)
 * are always accumulated in double.
 */
#ifndef PHASEPINN_REAL_H
#define PHASEPINN_REAL_H

#include <phasepinn/build_config.h>

#ifdef PP_SINGLE_PRECISION
typedef float pp_real;
#define PP_REAL_NAME "single"
#define PP_REAL_EPSILON 1.1920928955078125e-07
#else
typedef double pp_real;
#define PP_REAL_NAME "double"
#define PP_REAL_EPSILON 2.220446049250313e-16
#endif

#endif
