/* phasepinn — xoshiro256** with splitmix64 seeding (see include/phasepinn/rng.h).
 * Algorithms: Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators" (2018); splitmix64 from Steele, Lea & Flood (2014). */
#include <phasepinn/rng.h>

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void pp_rng_init(pp_rng *rng, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL);

	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

uint64_t pp_rng_next(pp_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double pp_rng_uniform(pp_rng *rng)
{
	return (double)(pp_rng_next(rng) >> 11) * 0x1.0p-53;
}

double pp_rng_normal(pp_rng *rng)
{
	double u, v, s;

	do {
		u = 2.0 * pp_rng_uniform(rng) - 1.0;
		v = 2.0 * pp_rng_uniform(rng) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}

uint64_t pp_rng_below(pp_rng *rng, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;

	do
		x = pp_rng_next(rng);
	while (x >= limit);
	return x % n;
}
