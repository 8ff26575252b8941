/* phasepinn — collocation point samplers (see sampling.h). */
#include <phasepinn/sampling.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const sampler_names[] = {"uniform", "lhs", "sobol"};

int pp_sampler_from_name(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (name && strcmp(name, sampler_names[i]) == 0)
			return i;
	return -1;
}

const char *pp_sampler_name(pp_sampler sampler)
{
	return (unsigned)sampler < 3 ? sampler_names[sampler] : "unknown";
}

static void sample_uniform(size_t n, int dims, pp_rng *rng, double *u)
{
	for (size_t i = 0; i < n * (size_t)dims; i++)
		u[i] = pp_rng_uniform(rng);
}

/* Latin hypercube: in every input, exactly one point per stratum
 * [k/n, (k+1)/n), at a uniform position inside it. */
static int sample_lhs(size_t n, int dims, pp_rng *rng, double *u, pp_error *err)
{
	size_t *perm = malloc((n ? n : 1) * sizeof *perm);

	if (!perm)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory sampling %zu points", n);
	for (int d = 0; d < dims; d++) {
		for (size_t i = 0; i < n; i++)
			perm[i] = i;
		for (size_t i = n; i > 1; i--) {  /* Fisher-Yates */
			size_t j = (size_t)pp_rng_below(rng, i), t = perm[i - 1];
			perm[i - 1] = perm[j];
			perm[j] = t;
		}
		for (size_t i = 0; i < n; i++)
			u[i * (size_t)dims + (size_t)d] =
				((double)perm[i] + pp_rng_uniform(rng)) / (double)n;
	}
	free(perm);
	return PP_OK;
}

/* Sobol direction numbers for dimensions 2..4 from S. Joe and F. Y. Kuo,
 * "Constructing Sobol sequences with better two-dimensional projections",
 * SIAM J. Sci. Comput. 30 (2008), file new-joe-kuo-6.21201: degree s,
 * coefficient a, initial m_1..m_s.  Dimension 1 is van der Corput. */
static const struct { int s, a, m[3]; } joe_kuo[3] = {
	{1, 0, {1, 0, 0}},
	{2, 1, {1, 3, 0}},
	{3, 1, {1, 3, 1}},
};

#define SOBOL_BITS 32

static void sobol_directions(int dim, uint32_t *v)
{
	if (dim == 0) {
		for (int k = 1; k <= SOBOL_BITS; k++)
			v[k] = 1u << (SOBOL_BITS - k);
		return;
	}
	int s = joe_kuo[dim - 1].s, a = joe_kuo[dim - 1].a;
	for (int k = 1; k <= s; k++)
		v[k] = (uint32_t)joe_kuo[dim - 1].m[k - 1] << (SOBOL_BITS - k);
	for (int k = s + 1; k <= SOBOL_BITS; k++) {
		uint32_t x = v[k - s] ^ (v[k - s] >> s);
		for (int i = 1; i < s; i++)
			if ((a >> (s - 1 - i)) & 1)
				x ^= v[k - i];
		v[k] = x;
	}
}

/* Sobol points in Gray-code order starting at the origin, each input XORed
 * with @shift[d] (a random digital shift; zero gives the plain sequence). */
int pp_sample_sobol_shifted(size_t n, int dims, const uint32_t *shift, double *u,
			    pp_error *err);
int pp_sample_sobol_shifted(size_t n, int dims, const uint32_t *shift, double *u,
			    pp_error *err)
{
	uint32_t v[PP_MAX_INPUTS][SOBOL_BITS + 1], x[PP_MAX_INPUTS] = {0};

	if (dims > PP_MAX_INPUTS)
		return pp_error_set(err, PP_ERR_INVALID, "Sobol sampling supports at most %d inputs",
				    PP_MAX_INPUTS);
	if (n > ((size_t)1 << SOBOL_BITS))
		return pp_error_set(err, PP_ERR_INVALID, "at most 2^32 Sobol points");
	for (int d = 0; d < dims; d++)
		sobol_directions(d, v[d]);
	for (size_t i = 0; i < n; i++) {
		for (int d = 0; d < dims; d++)
			u[i * (size_t)dims + (size_t)d] = (double)(x[d] ^ shift[d]) * 0x1.0p-32;
		/* next: flip by the direction of the lowest zero bit of i */
		int c = 1;
		for (size_t m = i; m & 1; m >>= 1)
			c++;
		if (c <= SOBOL_BITS)
			for (int d = 0; d < dims; d++)
				x[d] ^= v[d][c];
	}
	return PP_OK;
}

int pp_sample_unit(pp_sampler sampler, size_t n, int dims, pp_rng *rng, double *u,
		   pp_error *err)
{
	uint32_t shift[PP_MAX_INPUTS];

	if (dims < 0 || dims > PP_MAX_INPUTS)
		return pp_error_set(err, PP_ERR_INVALID, "cannot sample %d inputs", dims);
	switch (sampler) {
	case PP_SAMPLER_UNIFORM:
		sample_uniform(n, dims, rng, u);
		return PP_OK;
	case PP_SAMPLER_LHS:
		return sample_lhs(n, dims, rng, u, err);
	case PP_SAMPLER_SOBOL:
		for (int d = 0; d < dims; d++)
			shift[d] = (uint32_t)(pp_rng_next(rng) >> 32);
		return pp_sample_sobol_shifted(n, dims, shift, u, err);
	}
	return pp_error_set(err, PP_ERR_INVALID, "unknown sampler %d", (int)sampler);
}

int pp_sample_term(pp_sampler sampler, const pp_pde_info *pde, const pp_term_info *term,
		   size_t n, pp_rng *rng, pp_real *x, pp_error *err)
{
	int pieces = term->n_pieces > 0 ? term->n_pieces : 1;
	size_t done = 0;
	double *u = malloc((n ? n : 1) * PP_MAX_INPUTS * sizeof *u);
	int rc = PP_OK;

	if (!u)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory sampling %zu points", n);
	for (int p = 0; p < pieces && !rc; p++) {
		const int8_t *side = term->n_pieces > 0 ? term->pieces[p].side : NULL;
		size_t count = n / (size_t)pieces + ((size_t)p < n % (size_t)pieces ? 1 : 0);
		int free_dims = 0;

		for (int d = 0; d < pde->n_inputs; d++)
			free_dims += !side || side[d] == PP_SIDE_FREE;
		rc = pp_sample_unit(sampler, count, free_dims, rng, u, err);
		for (size_t i = 0; !rc && i < count; i++) {
			pp_real *xi = x + (done + i) * (size_t)pde->n_inputs;
			int k = 0;
			for (int d = 0; d < pde->n_inputs; d++) {
				int sd = side ? side[d] : PP_SIDE_FREE;
				double v = sd == PP_SIDE_LO ? pde->lo[d]
					 : sd == PP_SIDE_HI ? pde->hi[d]
					 : pde->lo[d] + (pde->hi[d] - pde->lo[d]) *
						       u[i * (size_t)free_dims + (size_t)k++];
				xi[d] = (pp_real)v;
			}
		}
		done += count;
	}
	free(u);
	return rc;
}
