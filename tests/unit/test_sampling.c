/* Samplers: LHS stratification, the Sobol sequence itself, uniform moments,
 * determinism by seed, term points on the right faces, grids. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phasepinn.h>

#include "pp_test.h"

/* core/sampling.c, exposed for this test: Sobol with an explicit digital shift. */
int pp_sample_sobol_shifted(size_t n, int dims, const uint32_t *shift, double *u,
			    pp_error *err);

static void test_lhs_puts_one_point_in_every_stratum(void)
{
	const size_t n = 997;
	double *u = malloc(n * 3 * sizeof *u);
	char *seen = malloc(n);
	pp_rng rng;
	pp_error err = {0};

	pp_rng_init(&rng, 7, 0);
	CU_ASSERT_EQUAL(pp_sample_unit(PP_SAMPLER_LHS, n, 3, &rng, u, &err), PP_OK);
	for (int d = 0; d < 3; d++) {
		memset(seen, 0, n);
		for (size_t i = 0; i < n; i++) {
			size_t k = (size_t)(u[i * 3 + (size_t)d] * (double)n);
			CU_ASSERT_FATAL(k < n);
			seen[k]++;
		}
		for (size_t k = 0; k < n; k++)
			CU_ASSERT_EQUAL(seen[k], 1);
	}
	free(u);
	free(seen);
}

static void test_sobol_matches_the_known_sequence(void)
{
	/* Gray-code order from the origin; by hand from the Joe-Kuo directions */
	static const double want[5][3] = {
		{0, 0, 0}, {0.5, 0.5, 0.5}, {0.75, 0.25, 0.25}, {0.25, 0.75, 0.75},
		{0.375, 0.375, 0.625},
	};
	uint32_t zero[3] = {0, 0, 0};
	double u[15];
	pp_error err = {0};

	CU_ASSERT_EQUAL(pp_sample_sobol_shifted(5, 3, zero, u, &err), PP_OK);
	for (int i = 0; i < 5; i++)
		for (int d = 0; d < 3; d++)
			CU_ASSERT_EQUAL(u[i * 3 + d], want[i][d]);
}

static void test_sobol_first_power_of_two_points_stratify_every_input(void)
{
	const size_t n = 1024;
	double *u = malloc(n * 4 * sizeof *u);
	char seen[1024];
	pp_rng rng;
	pp_error err = {0};

	pp_rng_init(&rng, 9, 0);   /* a digital shift keeps the net property */
	CU_ASSERT_EQUAL(pp_sample_unit(PP_SAMPLER_SOBOL, n, 4, &rng, u, &err), PP_OK);
	for (int d = 0; d < 4; d++) {
		memset(seen, 0, sizeof seen);
		for (size_t i = 0; i < n; i++)
			seen[(size_t)(u[i * 4 + (size_t)d] * 1024)]++;
		for (size_t k = 0; k < n; k++)
			CU_ASSERT_EQUAL(seen[k], 1);
	}
	free(u);
}

/* 10^5 draws: se of the mean 9e-4, of the variance ~3e-4; 5 se margins. */
static void test_uniform_moments_and_seed_determinism(void)
{
	const size_t n = 100000;
	double *a = malloc(n * 2 * sizeof *a), *b = malloc(n * 2 * sizeof *b);
	double m = 0, v = 0;
	pp_rng r1, r2;
	pp_error err = {0};

	pp_rng_init(&r1, 11, 0);
	pp_rng_init(&r2, 11, 0);
	pp_sample_unit(PP_SAMPLER_UNIFORM, n, 2, &r1, a, &err);
	pp_sample_unit(PP_SAMPLER_UNIFORM, n, 2, &r2, b, &err);
	CU_ASSERT_EQUAL(memcmp(a, b, n * 2 * sizeof *a), 0);
	for (size_t i = 0; i < 2 * n; i++)
		m += a[i];
	m /= (double)(2 * n);
	for (size_t i = 0; i < 2 * n; i++)
		v += (a[i] - m) * (a[i] - m);
	v /= (double)(2 * n);
	PP_ASSERT_CLOSE(m, 0.5, 3e-3, 0);
	PP_ASSERT_CLOSE(v, 1.0 / 12, 1.5e-3, 0);
	free(a);
	free(b);
}

static void test_term_points_lie_on_their_faces(void)
{
	pp_pde_info pde = {0};
	pp_term_info term = {0};
	pp_real x[2 * 101];
	pp_rng rng;
	pp_error err = {0};
	int lo = 0, hi = 0;

	pde.n_inputs = 2;
	pde.lo[0] = -1;
	pde.hi[0] = 1;
	pde.lo[1] = 2;
	pde.hi[1] = 5;
	term.n_pieces = 2;
	term.pieces[0].side[0] = PP_SIDE_LO;
	term.pieces[1].side[0] = PP_SIDE_HI;
	pp_rng_init(&rng, 1, 0);
	CU_ASSERT_EQUAL(pp_sample_term(PP_SAMPLER_LHS, &pde, &term, 101, &rng, x, &err), PP_OK);
	for (int i = 0; i < 101; i++) {
		lo += x[2 * i] == -1;
		hi += x[2 * i] == 1;
		CU_ASSERT(x[2 * i + 1] >= 2 && x[2 * i + 1] < 5);
	}
	CU_ASSERT_EQUAL(lo, 51);   /* the first n % pieces get one more */
	CU_ASSERT_EQUAL(hi, 50);
}

static void test_grids_enumerate_with_the_first_input_slowest(void)
{
	pp_grid g = {.n_dims = 2, .n = {4, 3}, .lo = {-1, 0}, .hi = {1, 1}, .endpoint = {0, 1}};
	double x[2];

	CU_ASSERT_EQUAL(pp_grid_size(&g), 12);
	pp_grid_point(&g, 0, x);
	CU_ASSERT(x[0] == -1 && x[1] == 0);
	pp_grid_point(&g, 2, x);
	CU_ASSERT(x[0] == -1 && x[1] == 1);
	pp_grid_point(&g, 11, x);
	CU_ASSERT(x[0] == 0.5 && x[1] == 1);   /* periodic: hi = 1 left out */
	g.n[0] = 1L << 40;
	g.n[1] = 1L << 40;
	CU_ASSERT_EQUAL(pp_grid_size(&g), 0);   /* overflow */
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"lhs puts one point in every stratum", test_lhs_puts_one_point_in_every_stratum},
		{"sobol matches the known sequence", test_sobol_matches_the_known_sequence},
		{"sobol first 2^m points stratify every input", test_sobol_first_power_of_two_points_stratify_every_input},
		{"uniform moments and seed determinism", test_uniform_moments_and_seed_determinism},
		{"term points lie on their faces", test_term_points_lie_on_their_faces},
		{"grids enumerate with the first input slowest", test_grids_enumerate_with_the_first_input_slowest},
		{NULL, NULL},
	};
	return pp_test_run("sampling", cases);
}
