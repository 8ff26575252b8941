/* phasepinn — sampling of collocation points.
 *
 * A term's points are drawn in the unit hypercube of its free inputs by one of
 * three seeded samplers, then mapped onto the pieces of the term (faces and
 * interior of the PDE's box, see pp_piece), the points being split evenly
 * among the pieces (the first n % pieces get one more).
 *
 * YAML:
 *   sampling:
 *     method: lhs          # uniform | lhs | sobol
 *     resample_every: 0    # 0: never; N: draw new points every N steps
 *     adaptive: {method: rad, every: 1000}   # residual-based (docs/sampling.md)
 */
#ifndef PHASEPINN_SAMPLING_H
#define PHASEPINN_SAMPLING_H

#include <stddef.h>
#include <phasepinn/error.h>
#include <phasepinn/pde.h>
#include <phasepinn/real.h>
#include <phasepinn/rng.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pp_sampler {
	PP_SAMPLER_UNIFORM = 0,  /* i.i.d. uniform */
	PP_SAMPLER_LHS = 1,      /* Latin hypercube: one point per stratum per input */
	PP_SAMPLER_SOBOL = 2     /* Sobol sequence (Joe-Kuo directions), random digital shift */
} pp_sampler;

/* Parse "uniform" / "lhs" / "sobol"; -1 when unknown. */
int pp_sampler_from_name(const char *name);
const char *pp_sampler_name(pp_sampler sampler);

/* n points in [0,1)^dims into u (n × dims, row-major). */
int pp_sample_unit(pp_sampler sampler, size_t n, int dims, pp_rng *rng,
		   double *u, pp_error *err);

/* n points of @term of @pde into x (n × pde->n_inputs, row-major). */
int pp_sample_term(pp_sampler sampler, const pp_pde_info *pde,
		   const pp_term_info *term, size_t n, pp_rng *rng, pp_real *x,
		   pp_error *err);

#ifdef __cplusplus
}
#endif
#endif
