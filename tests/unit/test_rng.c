/* The project's random streams: reproducible, independent, right moments. */
#include <math.h>
#include <string.h>

#include <phasepinn/error.h>
#include <phasepinn/rng.h>

#include "pp_test.h"

static void test_same_seed_and_stream_repeat_exactly(void)
{
	pp_rng a, b;

	pp_rng_init(&a, 2341, 7);
	pp_rng_init(&b, 2341, 7);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(pp_rng_next(&a), pp_rng_next(&b));
}

static void test_different_streams_differ(void)
{
	pp_rng a, b;
	int same = 0;

	pp_rng_init(&a, 2341, 1);
	pp_rng_init(&b, 2341, 2);
	for (int i = 0; i < 1000; i++)
		same += pp_rng_next(&a) == pp_rng_next(&b);
	CU_ASSERT_EQUAL(same, 0);
}

/* Moments of 10^6 draws: the standard error of a mean is 1/sqrt(12e6) ≈ 2.9e-4
 * for U(0,1) and 1e-3 for N(0,1); tolerances are about 5 standard errors. */
static void test_uniform_and_normal_moments(void)
{
	pp_rng r;
	double su = 0, su2 = 0, sn = 0, sn2 = 0, min = 1, max = 0;
	const int n = 1000000;

	pp_rng_init(&r, 1, 0);
	for (int i = 0; i < n; i++) {
		double u = pp_rng_uniform(&r), z = pp_rng_normal(&r);
		su += u;
		su2 += u * u;
		sn += z;
		sn2 += z * z;
		min = u < min ? u : min;
		max = u > max ? u : max;
	}
	PP_ASSERT_CLOSE(su / n, 0.5, 1.5e-3, 0);
	PP_ASSERT_CLOSE(su2 / n - (su / n) * (su / n), 1.0 / 12, 1e-3, 0);
	PP_ASSERT_CLOSE(sn / n, 0.0, 5e-3, 0);
	PP_ASSERT_CLOSE(sn2 / n, 1.0, 7e-3, 0);
	CU_ASSERT(min >= 0.0 && max < 1.0);
}

static void test_below_stays_in_range_and_hits_every_value(void)
{
	pp_rng r;
	int seen[7] = {0};

	pp_rng_init(&r, 3, 0);
	for (int i = 0; i < 7000; i++) {
		uint64_t v = pp_rng_below(&r, 7);
		CU_ASSERT_FATAL(v < 7);
		seen[v]++;
	}
	for (int i = 0; i < 7; i++)
		CU_ASSERT(seen[i] > 800 && seen[i] < 1200);
}

static void test_error_set_and_prefix_compose_messages(void)
{
	pp_error err = {0};

	CU_ASSERT_EQUAL(pp_error_set(&err, PP_ERR_INVALID, "value %d", 3), PP_ERR_INVALID);
	CU_ASSERT_EQUAL(pp_error_prefix(&err, "term '%s'", "initial"), PP_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "term 'initial': value 3");
	pp_error_clear(&err);
	CU_ASSERT_EQUAL(err.code, PP_OK);
	CU_ASSERT_STRING_EQUAL(pp_status_name(PP_ERR_NOMEM), "out of memory");
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"same seed and stream repeat exactly", test_same_seed_and_stream_repeat_exactly},
		{"different streams differ", test_different_streams_differ},
		{"uniform and normal moments", test_uniform_and_normal_moments},
		{"below stays in range and hits every value", test_below_stays_in_range_and_hits_every_value},
		{"error set and prefix compose messages", test_error_set_and_prefix_compose_messages},
		{NULL, NULL},
	};
	return pp_test_run("rng", cases);
}
