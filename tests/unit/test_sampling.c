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

/* The first 8 unshifted points in Gray-code order from the origin, by hand
 * from the Joe-Kuo direction numbers v_k = m_k / 2^k: dimension 1 (van der
 * Corput) v = .1, .01, .001 (binary); dimension 2 (s=1, a=0, m=1) v = .1,
 * .11, .101; dimension 3 (s=2, a=1, m=1,3) v = .1, .11, .011; dimension 4
 * (s=3, a=1, m=1,3,1) v = .1, .11, .001.  Point i XORs v_c into point i−1,
 * c = 1 + the number of trailing one bits of i−1. */
static void test_sobol_matches_the_known_sequence(void)
{
	static const double want[8][4] = {
		{0, 0, 0, 0},
		{0.5, 0.5, 0.5, 0.5},
		{0.75, 0.25, 0.25, 0.25},
		{0.25, 0.75, 0.75, 0.75},
		{0.375, 0.375, 0.625, 0.875},
		{0.875, 0.875, 0.125, 0.375},
		{0.625, 0.125, 0.875, 0.625},
		{0.125, 0.625, 0.375, 0.125},
	};
	uint32_t zero[4] = {0, 0, 0, 0}, shift[4] = {0x80000000u, 0, 0x40000000u, 0};
	double u[32];
	pp_error err = {0};

	CU_ASSERT_EQUAL(pp_sample_sobol_shifted(8, 4, zero, u, &err), PP_OK);
	for (int i = 0; i < 8; i++)
		for (int d = 0; d < 4; d++)
			CU_ASSERT_EQUAL(u[i * 4 + d], want[i][d]);
	/* a digital shift XORs every point: 0.5 flips the first bit, 0.25 the second */
	CU_ASSERT_EQUAL(pp_sample_sobol_shifted(8, 4, shift, u, &err), PP_OK);
	CU_ASSERT_EQUAL(u[1 * 4 + 0], 0.0);     /* 0.5 ^ 0.5 */
	CU_ASSERT_EQUAL(u[2 * 4 + 2], 0.0);     /* 0.25 ^ 0.25 */
	CU_ASSERT_EQUAL(u[4 * 4 + 2], 0.875);   /* 0.625 ^ 0.25 */
}

/* Same seed, same points, for every sampler; another seed, other points
 * (for Sobol through the random digital shift). */
static void test_samplers_are_deterministic_by_seed(void)
{
	const size_t n = 64;
	double a[64 * 2], b[64 * 2], c[64 * 2];
	pp_error err = {0};

	for (int m = PP_SAMPLER_UNIFORM; m <= PP_SAMPLER_SOBOL; m++) {
		pp_rng r1, r2, r3;
		pp_rng_init(&r1, 2341, 0);
		pp_rng_init(&r2, 2341, 0);
		pp_rng_init(&r3, 2342, 0);
		CU_ASSERT_EQUAL(pp_sample_unit((pp_sampler)m, n, 2, &r1, a, &err), PP_OK);
		CU_ASSERT_EQUAL(pp_sample_unit((pp_sampler)m, n, 2, &r2, b, &err), PP_OK);
		CU_ASSERT_EQUAL(pp_sample_unit((pp_sampler)m, n, 2, &r3, c, &err), PP_OK);
		CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
		CU_ASSERT_NOT_EQUAL(memcmp(a, c, sizeof a), 0);
		for (size_t i = 0; i < 2 * n; i++)
			CU_ASSERT(a[i] >= 0 && a[i] < 1);
	}
}

static void test_sampler_names_round_trip(void)
{
	for (int m = PP_SAMPLER_UNIFORM; m <= PP_SAMPLER_SOBOL; m++)
		CU_ASSERT_EQUAL(pp_sampler_from_name(pp_sampler_name((pp_sampler)m)), m);
	CU_ASSERT_EQUAL(pp_sampler_from_name("halton"), -1);
	CU_ASSERT_EQUAL(pp_sampler_from_name(NULL), -1);
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

/* Helmholtz's boundary: four edges of [−1, 1]², 100 points each, every
 * edge Latin-hypercube stratified along its free input. */
static void test_four_edges_get_a_quarter_each_and_stay_stratified(void)
{
	pp_pde_info pde = {.n_inputs = 2, .lo = {-1, -1}, .hi = {1, 1}};
	pp_term_info term = {.n_pieces = 4,
		.pieces = {{.side = {PP_SIDE_LO, PP_SIDE_FREE}}, {.side = {PP_SIDE_HI, PP_SIDE_FREE}},
			   {.side = {PP_SIDE_FREE, PP_SIDE_LO}}, {.side = {PP_SIDE_FREE, PP_SIDE_HI}}}};
	pp_real x[2 * 400];
	pp_rng rng;
	pp_error err = {0};

	pp_rng_init(&rng, 3, 0);
	CU_ASSERT_EQUAL_FATAL(pp_sample_term(PP_SAMPLER_LHS, &pde, &term, 400, &rng, x, &err), PP_OK);
	for (int p = 0; p < 4; p++) {
		int fixed = p < 2 ? 0 : 1, free_input = 1 - fixed;
		double value = p % 2 ? 1 : -1;
		char seen[100] = {0};
		for (int i = 100 * p; i < 100 * (p + 1); i++) {
			CU_ASSERT_EQUAL(x[2 * i + fixed], value);
			int k = (int)(((double)x[2 * i + free_input] + 1) / 2 * 100);
			CU_ASSERT_FATAL(k >= 0 && k < 100);
			seen[k]++;
		}
		for (int k = 0; k < 100; k++)
			CU_ASSERT_EQUAL(seen[k], 1);
	}
}

static void test_grid_check_names_what_is_wrong(void)
{
	pp_grid g = {.n_dims = 2, .n = {256, 100}, .lo = {-1, 0}, .hi = {1, 0.99}, .endpoint = {1, 1}};
	pp_error err = {0};

	CU_ASSERT_EQUAL(pp_grid_check(&g, 2, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_grid_check(&g, 0, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_grid_check(&g, 3, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "2-dimensional grid was given for a problem with 3"));
	g.n[1] = 0;
	CU_ASSERT_EQUAL(pp_grid_check(&g, 2, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "dimension 1 has 0 points"));
	g.n[1] = 1;
	g.hi[1] = 0;   /* one point: lo = hi is a time slice */
	CU_ASSERT_EQUAL(pp_grid_check(&g, 2, &err), PP_OK);
	g.n[1] = 2;
	CU_ASSERT_EQUAL(pp_grid_check(&g, 2, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "lower bound 0 must be below upper bound 0"));
	g.hi[1] = INFINITY;
	CU_ASSERT_EQUAL(pp_grid_check(&g, 2, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "non-finite"));
	g.hi[1] = 1;
	g.n[0] = 1L << 62;   /* 2^62 · 2 points overflow */
	CU_ASSERT_EQUAL(pp_grid_check(&g, 2, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "4611686018427387904 x 2 points is too large for memory"));
	g.n[0] = 1L << 61;   /* 2^62 points: addressable count, but not as doubles */
	CU_ASSERT_EQUAL(pp_grid_check(&g, 2, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "too large for memory"));
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"lhs puts one point in every stratum", test_lhs_puts_one_point_in_every_stratum},
		{"sobol matches the known sequence", test_sobol_matches_the_known_sequence},
		{"samplers are deterministic by seed", test_samplers_are_deterministic_by_seed},
		{"sampler names round trip", test_sampler_names_round_trip},
		{"sobol first 2^m points stratify every input", test_sobol_first_power_of_two_points_stratify_every_input},
		{"uniform moments and seed determinism", test_uniform_moments_and_seed_determinism},
		{"term points lie on their faces", test_term_points_lie_on_their_faces},
		{"grids enumerate with the first input slowest", test_grids_enumerate_with_the_first_input_slowest},
		{"four edges get a quarter each and stay stratified", test_four_edges_get_a_quarter_each_and_stay_stratified},
		{"grid check names what is wrong", test_grid_check_names_what_is_wrong},
		{NULL, NULL},
	};
	return pp_test_run("sampling", cases);
}
