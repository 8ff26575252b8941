/* phasepinn — the one random number generator of the project.
 *
 * xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64: fast,
 * 256 bits of state, and the same stream on every platform, so runs are
 * reproducible from their seed.  Each consumer (network init, samplers,
 * plugins) derives its own stream with pp_rng_init(&rng, seed, stream_id).
 */
#ifndef PHASEPINN_RNG_H
#define PHASEPINN_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pp_rng {
	uint64_t s[4];
} pp_rng;

/* Streams with different @stream ids are independent for the same @seed. */
void pp_rng_init(pp_rng *rng, uint64_t seed, uint64_t stream);
uint64_t pp_rng_next(pp_rng *rng);
/* Uniform on [0, 1), 53 random bits. */
double pp_rng_uniform(pp_rng *rng);
/* Standard normal (Marsaglia's polar method, no cached second value so the
 * state alone determines the stream). */
double pp_rng_normal(pp_rng *rng);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t pp_rng_below(pp_rng *rng, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif
