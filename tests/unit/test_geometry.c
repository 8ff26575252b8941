/* Geometry: membership of every primitive and operation, interior and
 * boundary sampling (on the boundary, outward normals, uniform by area and
 * arc length, part selection), measures against exact values, the
 * acceptance floors and every malformed YAML node at its file:line:col. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phasepinn.h>

#include "core/config_doc.h"
#include "pp_test.h"

/* The unit square minus a disk of radius 0.2 at its centre. */
static const char *const square_with_hole =
	"geometry:\n"
	"  difference:\n"
	"    - rectangle: {lo: [0, 0], hi: [1, 1], name: outer}\n"
	"    - disk: {center: [0.5, 0.5], radius: 0.2, name: hole}\n";

/* Parse the `geometry:` of @yaml for @dim dimensions; NULL with @err set on
 * failure.  The geometry keeps no reference to the document. */
static pp_geometry *try_parse(const char *yaml, int dim, pp_error *err)
{
	pp_config_doc *doc = NULL;
	pp_geometry *g = NULL;

	if (pp_config_doc_parse(yaml, strlen(yaml), "g.yaml", &doc, err) == PP_OK)
		pp_geometry_parse(pp_config_get(pp_config_doc_root(doc), "geometry"), dim, &g,
				  err);
	pp_config_doc_destroy(doc);
	return g;
}

static pp_geometry *parse(const char *yaml, int dim)
{
	pp_error err = {0};
	pp_geometry *g = try_parse(yaml, dim, &err);

	if (!g)
		printf("\n  unexpected error: %s\n", err.message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	return g;
}

/* A binomial share p of n draws: 4 standard errors (a false alarm about
 * once in 16,000 checks; the draws are seeded, so a pass stays a pass). */
static double share_tolerance(double p, size_t n)
{
	return 4 * sqrt(p * (1 - p) / (double)n);
}

static int in(const pp_geometry *g, double x, double y)
{
	const double p[2] = {x, y};
	return pp_geometry_contains(g, p);
}

static void test_each_primitive_contains_its_inside_and_boundary(void)
{
	pp_geometry *g = parse("geometry: {interval: {lo: -1, hi: 2}}\n", 1);
	const double x1[] = {-1, 0.5, 2, -1.0001, 2.0001, NAN};
	const int want1[] = {1, 1, 1, 0, 0, 0};

	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(pp_geometry_contains(g, &x1[i]), want1[i]);
	pp_geometry_destroy(g);

	g = parse("geometry: {rectangle: {lo: [0, 1], hi: [2, 3]}}\n", 2);
	CU_ASSERT(in(g, 1, 2) && in(g, 0, 1) && in(g, 2, 3) && in(g, 0, 2));
	CU_ASSERT(!in(g, -0.001, 2) && !in(g, 1, 3.001) && !in(g, NAN, 2));
	pp_geometry_destroy(g);

	g = parse("geometry: {disk: {center: [1, 1], radius: 0.5}}\n", 2);
	CU_ASSERT(in(g, 1, 1) && in(g, 1.5, 1) && in(g, 1, 0.5) && in(g, 1.3, 1.3));
	CU_ASSERT(!in(g, 1.36, 1.36) && !in(g, 1.5001, 1));
	pp_geometry_destroy(g);

	/* an L: the notch [1, 2] × [1, 2] is out; vertices given clockwise */
	g = parse("geometry:\n  polygon:\n    vertices: [[0, 0], [0, 2], [1, 2], [1, 1], [2, 1], "
		  "[2, 0]]\n", 2);
	CU_ASSERT(in(g, 0.5, 0.5) && in(g, 0.5, 1.5) && in(g, 1.5, 0.5));
	CU_ASSERT(in(g, 1, 1.5) && in(g, 0, 0) && in(g, 1.5, 1));  /* on edges */
	CU_ASSERT(!in(g, 1.5, 1.5) && !in(g, -0.1, 1) && !in(g, 1.01, 1.01));
	pp_geometry_destroy(g);

	g = parse("geometry:\n  box: {lo: [0, 0, 0], hi: [1, 2, 3]}\n", 3);
	const double b_in[] = {0.5, 1, 1.5}, b_face[] = {1, 2, 3}, b_out[] = {0.5, 1, 3.01};
	CU_ASSERT(pp_geometry_contains(g, b_in) && pp_geometry_contains(g, b_face));
	CU_ASSERT(!pp_geometry_contains(g, b_out));
	pp_geometry_destroy(g);

	g = parse("geometry:\n  ball: {center: [0, 0, 0], radius: 1}\n", 3);
	const double s_in[] = {0.5, 0.5, 0.5}, s_on[] = {0, 0, -1}, s_out[] = {0.6, 0.6, 0.6};
	CU_ASSERT(pp_geometry_contains(g, s_in) && pp_geometry_contains(g, s_on));
	CU_ASSERT(!pp_geometry_contains(g, s_out));
	pp_geometry_destroy(g);
}

static void test_operations_combine_membership(void)
{
	pp_geometry *g = parse(square_with_hole, 2);

	CU_ASSERT(in(g, 0.1, 0.1) && in(g, 0, 0) && in(g, 1, 0.5));
	CU_ASSERT(in(g, 0.7, 0.5));     /* on the hole's circle: the domain is closed */
	CU_ASSERT(!in(g, 0.5, 0.5) && !in(g, 0.65, 0.5) && !in(g, 1.1, 0.5));
	pp_geometry_destroy(g);

	g = parse("geometry:\n  union:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
		  "    - disk: {center: [2, 0.5], radius: 0.5}\n", 2);
	CU_ASSERT(in(g, 0.5, 0.5) && in(g, 2, 0.5) && in(g, 1.5, 0.5));
	CU_ASSERT(!in(g, 1.2, 0.9) && !in(g, 2.6, 0.5));
	pp_geometry_destroy(g);

	g = parse("geometry:\n  intersection:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
		  "    - disk: {center: [1, 1], radius: 0.5}\n", 2);
	CU_ASSERT(in(g, 0.9, 0.9) && in(g, 1, 1) && in(g, 0.5, 1));
	CU_ASSERT(!in(g, 0.1, 0.1) && !in(g, 1.1, 1.1));
	pp_geometry_destroy(g);

	/* nested: (square minus the left half-disk) union a small square */
	g = parse("geometry:\n  union:\n    - difference:\n"
		  "        - rectangle: {lo: [0, 0], hi: [2, 2]}\n"
		  "        - disk: {center: [0, 1], radius: 0.5}\n"
		  "    - rectangle: {lo: [-0.2, 0.9], hi: [0.2, 1.1]}\n", 2);
	CU_ASSERT(in(g, 0.1, 1) && in(g, -0.1, 1) && in(g, 1, 1));
	CU_ASSERT(!in(g, 0.3, 1) && !in(g, 0.1, 1.3));
	pp_geometry_destroy(g);

	g = parse("geometry:\n  union:\n    - interval: {lo: 0, hi: 1}\n"
		  "    - interval: {lo: 2, hi: 3}\n", 1);
	const double x[] = {0.5, 1.5, 3};
	CU_ASSERT(pp_geometry_contains(g, &x[0]) && !pp_geometry_contains(g, &x[1]) &&
		  pp_geometry_contains(g, &x[2]));
	pp_geometry_destroy(g);
}

static void test_bounds_of_primitives_and_operations(void)
{
	pp_geometry *g = parse("geometry:\n  union:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
			       "    - disk: {center: [2, 0.5], radius: 0.5}\n", 2);
	double lo[2], hi[2];

	CU_ASSERT_EQUAL(pp_geometry_dim(g), 2);
	pp_geometry_bounds(g, lo, hi);
	CU_ASSERT(lo[0] == 0 && lo[1] == 0 && hi[0] == 2.5 && hi[1] == 1);
	pp_geometry_destroy(g);
	g = parse("geometry:\n  intersection:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
		  "    - disk: {center: [1, 1], radius: 0.5}\n", 2);
	pp_geometry_bounds(g, lo, hi);
	CU_ASSERT(lo[0] == 0.5 && lo[1] == 0.5 && hi[0] == 1 && hi[1] == 1);
	pp_geometry_destroy(g);
}

static void test_parts_have_names_and_default_names(void)
{
	pp_geometry *g = parse("geometry:\n  union:\n"
			       "    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
			       "    - disk: {center: [3, 0], radius: 0.5}\n"
			       "    - rectangle: {lo: [5, 0], hi: [6, 1], name: far}\n"
			       "    - rectangle: {lo: [8, 0], hi: [9, 1], sides: {left: inlet, "
			       "right: outlet}}\n"
			       "    - rectangle: {lo: [10, 0], hi: [11, 1], sides: {left: a, "
			       "right: a, bottom: b, top: b}}\n", 2);

	CU_ASSERT_EQUAL(pp_geometry_part_count(g), 8);
	CU_ASSERT_STRING_EQUAL(pp_geometry_part_name(g, 0), "rectangle1");
	CU_ASSERT_STRING_EQUAL(pp_geometry_part_name(g, 1), "disk1");
	CU_ASSERT_STRING_EQUAL(pp_geometry_part_name(g, 2), "far");
	CU_ASSERT_STRING_EQUAL(pp_geometry_part_name(g, 3), "rectangle3");
	CU_ASSERT_STRING_EQUAL(pp_geometry_part_name(g, 4), "inlet");
	CU_ASSERT_STRING_EQUAL(pp_geometry_part_name(g, 5), "outlet");
	CU_ASSERT_STRING_EQUAL(pp_geometry_part_name(g, 6), "a");
	CU_ASSERT_STRING_EQUAL(pp_geometry_part_name(g, 7), "b");
	CU_ASSERT_EQUAL(pp_geometry_part_index(g, "outlet"), 5);
	CU_ASSERT_EQUAL(pp_geometry_part_index(g, "rectangle4"), -1);  /* every side named */
	CU_ASSERT_EQUAL(pp_geometry_part_index(g, "nothing"), -1);
	CU_ASSERT_PTR_NULL(pp_geometry_part_name(g, 8));
	/* the part measures follow the sides: inlet 1, rectangle3 bottom + top 2, a 2 */
	PP_ASSERT_CLOSE(pp_geometry_measure(g, 4), 1, 1e-12, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, 3), 2, 1e-12, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, 6), 2, 1e-12, 0);
	pp_geometry_destroy(g);
}

/* Interior points: all inside, and the share in x < 0.3 (clear of the hole,
 * area 0.3) is 0.3 / (1 − 0.04π) of them, for every sampler. */
static void test_interior_samples_are_inside_and_uniform(void)
{
	const size_t n = 20000;
	pp_geometry *g = parse(square_with_hole, 2);
	double *x = malloc(n * 2 * sizeof *x), *y = malloc(n * 2 * sizeof *y);
	double share = 0.3 / (1 - 0.04 * M_PI);
	pp_error err = {0};
	pp_rng rng;

	for (int m = PP_SAMPLER_UNIFORM; m <= PP_SAMPLER_SOBOL; m++) {
		size_t left = 0, outside = 0;
		pp_rng_init(&rng, 11, 3);
		CU_ASSERT_EQUAL_FATAL(pp_geometry_sample_interior(g, m, n, &rng, x, &err), PP_OK);
		for (size_t i = 0; i < n; i++) {
			outside += !pp_geometry_contains(g, x + 2 * i);
			left += x[2 * i] < 0.3;
		}
		CU_ASSERT_EQUAL(outside, 0);
		PP_ASSERT_CLOSE((double)left / (double)n, share, share_tolerance(share, n), 0);
		/* the same rng state gives the same points */
		pp_rng_init(&rng, 11, 3);
		CU_ASSERT_EQUAL(pp_geometry_sample_interior(g, m, n, &rng, y, &err), PP_OK);
		CU_ASSERT_EQUAL(memcmp(x, y, n * 2 * sizeof *x), 0);
	}
	free(x);
	free(y);
	pp_geometry_destroy(g);
}

/* Distance of (x, y) to the unit square's outline. */
static double square_distance(const double *p)
{
	double dx = fmin(fabs(p[0]), fabs(p[0] - 1)), dy = fmin(fabs(p[1]), fabs(p[1] - 1));

	return fmin(dx, dy);
}

/* Every boundary point lies on the square (normal: the outward axis of its
 * edge) or on the circle (normal towards the hole's centre), with its part. */
static void test_boundary_samples_lie_on_the_boundary_with_outward_normals(void)
{
	const size_t n = 20000;
	pp_geometry *g = parse(square_with_hole, 2);
	double *x = malloc(n * 2 * sizeof *x), *nrm = malloc(n * 2 * sizeof *nrm);
	int *part = malloc(n * sizeof *part), outer = pp_geometry_part_index(g, "outer");
	int hole = pp_geometry_part_index(g, "hole");
	size_t on_hole = 0, on_left = 0, bad = 0;
	pp_error err = {0};
	pp_rng rng;

	pp_rng_init(&rng, 5, 0);
	CU_ASSERT_EQUAL_FATAL(pp_geometry_sample_boundary(g, NULL, 0, n, &rng, x, nrm, part,
							  &err), PP_OK);
	for (size_t i = 0; i < n; i++) {
		const double *p = x + 2 * i, *v = nrm + 2 * i;
		double r = hypot(p[0] - 0.5, p[1] - 0.5);
		bad += fabs(hypot(v[0], v[1]) - 1) > 1e-12 || !pp_geometry_contains(g, p);
		if (part[i] == hole) {
			on_hole++;
			bad += fabs(r - 0.2) >= 1e-12;
			bad += fabs(v[0] - (0.5 - p[0]) / r) > 1e-9 ||
			       fabs(v[1] - (0.5 - p[1]) / r) > 1e-9;
			continue;
		}
		bad += part[i] != outer || square_distance(p) >= 1e-12;
		if (p[0] == 0) {
			on_left++;
			bad += v[0] != -1 || v[1] != 0;
		} else if (p[0] == 1) {
			bad += v[0] != 1 || v[1] != 0;
		} else if (p[1] == 0) {
			bad += v[0] != 0 || v[1] != -1;
		} else {
			bad += p[1] != 1 || v[0] != 0 || v[1] != 1;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* by arc length: the circle has 0.4π of 4 + 0.4π; the left edge a quarter of the rest */
	double share = 0.4 * M_PI / (4 + 0.4 * M_PI), left = 0.25;
	PP_ASSERT_CLOSE((double)on_hole / (double)n, share, share_tolerance(share, n), 0);
	PP_ASSERT_CLOSE((double)on_left / (double)(n - on_hole), left,
			share_tolerance(left, n - on_hole), 0);
	free(x);
	free(nrm);
	free(part);
	pp_geometry_destroy(g);
}

static void test_boundary_sampling_selects_parts(void)
{
	const size_t n = 2000;
	pp_geometry *g = parse("geometry:\n  difference:\n"
			       "    - rectangle: {lo: [0, 0], hi: [2, 1], sides: {left: inlet, "
			       "right: outlet}, name: wall}\n"
			       "    - disk: {center: [1, 0.5], radius: 0.2, name: hole}\n", 2);
	double x[2 * 2000], nrm[2 * 2000];
	int part[2000], inlet = pp_geometry_part_index(g, "inlet");
	int sel[2] = {inlet, pp_geometry_part_index(g, "hole")};
	size_t bad = 0, on_inlet = 0;
	pp_error err = {0};
	pp_rng rng;

	CU_ASSERT_EQUAL(pp_geometry_part_count(g), 4);  /* wall, inlet, outlet, hole */
	pp_rng_init(&rng, 1, 0);
	CU_ASSERT_EQUAL_FATAL(pp_geometry_sample_boundary(g, sel, 1, n, &rng, x, nrm, part, &err),
			      PP_OK);
	for (size_t i = 0; i < n; i++)
		bad += x[2 * i] != 0 || nrm[2 * i] != -1 || part[i] != inlet;
	CU_ASSERT_EQUAL(bad, 0);
	/* inlet and hole: lengths 1 and 0.4π; normal and part may be left out */
	CU_ASSERT_EQUAL_FATAL(pp_geometry_sample_boundary(g, sel, 2, n, &rng, x, NULL, NULL,
							  &err), PP_OK);
	for (size_t i = 0; i < n; i++) {
		if (x[2 * i] == 0)
			on_inlet++;
		else
			bad += fabs(hypot(x[2 * i] - 1, x[2 * i + 1] - 0.5) - 0.2) >= 1e-12;
	}
	CU_ASSERT_EQUAL(bad, 0);
	double share = 1 / (1 + 0.4 * M_PI);
	PP_ASSERT_CLOSE((double)on_inlet / (double)n, share, share_tolerance(share, n), 0);
	/* an index that is no part */
	sel[0] = 4;
	CU_ASSERT_EQUAL(pp_geometry_sample_boundary(g, sel, 1, n, &rng, x, NULL, NULL, &err),
			PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "part index 4 out of range"));
	pp_geometry_destroy(g);
}

/* A polygon's edges by their own normals (the L again, given clockwise), and
 * a 3-D box with a ball hole: sphere normals point to its centre. */
static void test_polygon_and_ball_boundaries_have_outward_normals(void)
{
	pp_geometry *g = parse("geometry:\n  polygon:\n    vertices: [[0, 0], [0, 2], [1, 2], "
			       "[1, 1], [2, 1], [2, 0]]\n", 2);
	const size_t n = 4000;
	double x[3 * 4000], nrm[3 * 4000];
	size_t bad = 0, on_sphere = 0;
	pp_error err = {0};
	pp_rng rng;

	pp_rng_init(&rng, 2, 0);
	CU_ASSERT_EQUAL_FATAL(pp_geometry_sample_boundary(g, NULL, 0, n, &rng, x, nrm, NULL, &err),
			      PP_OK);
	for (size_t i = 0; i < n; i++) {
		double *p = x + 2 * i, *v = nrm + 2 * i, a[2], b[2];
		/* a step eps along the normal leaves the L, a step against it enters */
		for (int d = 0; d < 2; d++) {
			a[d] = p[d] + 1e-6 * v[d];
			b[d] = p[d] - 1e-6 * v[d];
		}
		bad += pp_geometry_contains(g, a) || !pp_geometry_contains(g, b);
		bad += fabs(fabs(v[0]) + fabs(v[1]) - 1) > 1e-12;  /* axis-aligned edges */
	}
	CU_ASSERT_EQUAL(bad, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, -1), 3, 1e-12, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, 0), 8, 1e-12, 0);
	pp_geometry_destroy(g);

	g = parse("geometry:\n  difference:\n    - box: {lo: [0, 0, 0], hi: [1, 1, 1]}\n"
		  "    - ball: {center: [0.5, 0.5, 0.5], radius: 0.3}\n", 3);
	CU_ASSERT_EQUAL_FATAL(pp_geometry_sample_boundary(g, NULL, 0, n, &rng, x, nrm, NULL, &err),
			      PP_OK);
	for (size_t i = 0; i < n; i++) {
		double *p = x + 3 * i, *v = nrm + 3 * i, r = 0, dot = 0;
		for (int d = 0; d < 3; d++)
			r += (p[d] - 0.5) * (p[d] - 0.5);
		r = sqrt(r);
		if (fabs(r - 0.3) >= 1e-12)
			continue;
		on_sphere++;
		for (int d = 0; d < 3; d++)
			dot += v[d] * (0.5 - p[d]) / r;
		bad += fabs(dot - 1) > 1e-9;
	}
	CU_ASSERT_EQUAL(bad, 0);
	double share = 4 * M_PI * 0.09 / (6 + 4 * M_PI * 0.09);
	PP_ASSERT_CLOSE((double)on_sphere / (double)n, share, share_tolerance(share, n), 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, -1), 1 - 4.0 / 3.0 * M_PI * 0.027, 1e-12, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, 1), 4 * M_PI * 0.09, 1e-12, 0);
	pp_geometry_destroy(g);
}

static void test_measures_are_exact_for_a_plate_with_a_hole(void)
{
	pp_geometry *g = parse(square_with_hole, 2);

	PP_ASSERT_CLOSE(pp_geometry_measure(g, -1), 1 - 0.04 * M_PI, 1e-12, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, 0), 4, 1e-12, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, 1), 0.4 * M_PI, 1e-12, 0);
	CU_ASSERT_EQUAL(pp_geometry_measure_error(g, -1), 0);
	CU_ASSERT_EQUAL(pp_geometry_measure_error(g, 1), 0);
	CU_ASSERT(isnan(pp_geometry_measure(g, 2)));
	pp_geometry_destroy(g);
}

/* Two overlapping rectangles, measured by Monte Carlo within 4 standard
 * errors.  Side by side, [0, 1]² and [0.5, 1.5] × [0, 1] fill their box
 * (area 1.5 with no error); their bottom and top edges overlap on [0.5, 1],
 * which belongs to the first, so it has 1 + 1 + 1 and the second
 * 0.5 + 0.5 + 1.  Offset diagonally by 0.5 they cover 1.75 of 2.25 and
 * each keeps 3 of its edges' length 4. */
static void test_monte_carlo_measures_count_shared_edges_once(void)
{
	pp_geometry *g = parse("geometry:\n  union:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
			       "    - rectangle: {lo: [0.5, 0], hi: [1.5, 1]}\n", 2);
	const double want[3] = {1.5, 3, 2}, want_offset[3] = {1.75, 3, 3};
	size_t n = 20000, first = 0;
	double x[2 * 20000];
	int part[20000];
	pp_error err = {0};
	pp_rng rng;

	CU_ASSERT_EQUAL(pp_geometry_measure_error(g, -1), 0);
	for (int k = -1; k < 2; k++) {
		double e = pp_geometry_measure_error(g, k);
		CU_ASSERT(k == -1 || (e > 0 && e < 0.01));
		PP_ASSERT_CLOSE(pp_geometry_measure(g, k), want[k + 1], 4 * e, 0);
	}
	pp_rng_init(&rng, 9, 0);
	CU_ASSERT_EQUAL_FATAL(pp_geometry_sample_boundary(g, NULL, 0, n, &rng, x, NULL, part,
							  &err), PP_OK);
	for (size_t i = 0; i < n; i++)
		first += part[i] == 0;
	PP_ASSERT_CLOSE((double)first / (double)n, 0.6, share_tolerance(0.6, n), 0);
	pp_geometry_destroy(g);

	g = parse("geometry:\n  union:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
		  "    - rectangle: {lo: [0.5, 0.5], hi: [1.5, 1.5]}\n", 2);
	for (int k = -1; k < 2; k++) {
		double e = pp_geometry_measure_error(g, k);
		CU_ASSERT(e > 0 && e < 0.01);
		PP_ASSERT_CLOSE(pp_geometry_measure(g, k), want_offset[k + 1], 4 * e, 0);
	}
	pp_geometry_destroy(g);
}

static void test_one_dimensional_measures_are_exact(void)
{
	pp_geometry *g = parse("geometry:\n  union:\n    - interval: {lo: 0, hi: 1, name: a}\n"
			       "    - interval: {lo: 0.5, hi: 2, name: b}\n"
			       "    - interval: {lo: 3, hi: 4, sides: {left: c}}\n", 1);
	double x[100], nrm[100];
	int part[100], bad = 0;
	pp_error err = {0};
	pp_rng rng;

	PP_ASSERT_CLOSE(pp_geometry_measure(g, -1), 3, 1e-15, 0);
	CU_ASSERT_EQUAL(pp_geometry_measure(g, 0), 1);  /* 0; its end 1 is inside b */
	CU_ASSERT_EQUAL(pp_geometry_measure(g, 1), 1);  /* 2 */
	CU_ASSERT_EQUAL(pp_geometry_measure(g, pp_geometry_part_index(g, "c")), 1);
	CU_ASSERT_EQUAL(pp_geometry_measure(g, pp_geometry_part_index(g, "interval3")), 1);
	pp_rng_init(&rng, 4, 0);
	CU_ASSERT_EQUAL_FATAL(pp_geometry_sample_boundary(g, NULL, 0, 100, &rng, x, nrm, part,
							  &err), PP_OK);
	for (int i = 0; i < 100; i++)
		bad += !((x[i] == 0 && nrm[i] == -1) || (x[i] == 2 && nrm[i] == 1) ||
			 (x[i] == 3 && nrm[i] == -1) || (x[i] == 4 && nrm[i] == 1));
	CU_ASSERT_EQUAL(bad, 0);
	pp_geometry_destroy(g);
}

/* Rejection needs the domain to fill 1 % of its box: two disks of radius
 * 0.05 at (0, 0) and (10, 10) fill 0.005π / 10.1² ≈ 0.015 %; a frame of
 * width 0.002 inside [0, 1]² fills 1 − 0.996² ≈ 0.8 % and is refused too,
 * one of width 0.005 (1 − 0.99² ≈ 2 %) passes. */
static void test_interior_sampling_refuses_domains_below_the_floor(void)
{
	pp_geometry *g = parse("geometry:\n  union:\n    - disk: {center: [0, 0], radius: 0.05}\n"
			       "    - disk: {center: [10, 10], radius: 0.05}\n", 2);
	double x[2 * 100];
	pp_error err = {0};
	pp_rng rng;

	pp_rng_init(&rng, 1, 0);
	CU_ASSERT_EQUAL(pp_geometry_sample_interior(g, PP_SAMPLER_UNIFORM, 100, &rng, x, &err),
			PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "fills about 0.0154 % of its bounding box"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "at least 1 %"));
	pp_geometry_destroy(g);

	g = parse("geometry:\n  difference:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
		  "    - rectangle: {lo: [0.002, 0.002], hi: [0.998, 0.998]}\n", 2);
	CU_ASSERT_EQUAL(pp_geometry_sample_interior(g, PP_SAMPLER_LHS, 100, &rng, x, &err),
			PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "fills about 0.798 % of its bounding box"));
	pp_geometry_destroy(g);

	g = parse("geometry:\n  difference:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
		  "    - rectangle: {lo: [0.005, 0.005], hi: [0.995, 0.995]}\n", 2);
	CU_ASSERT_EQUAL(pp_geometry_sample_interior(g, PP_SAMPLER_SOBOL, 100, &rng, x, &err),
			PP_OK);
	for (int i = 0; i < 100; i++)
		CU_ASSERT(pp_geometry_contains(g, x + 2 * i));
	pp_geometry_destroy(g);
}

/* A part whose primitive barely reaches the boundary (an arc of about
 * 0.04 / 2π ≈ 0.64 % of a circle) is refused; one that is nowhere on it too. */
static void test_boundary_sampling_refuses_parts_below_the_floor(void)
{
	pp_geometry *g = parse("geometry:\n  intersection:\n"
			       "    - disk: {center: [0, 0], radius: 1, name: arc}\n"
			       "    - rectangle: {lo: [0.99, -0.02], hi: [1.1, 0.02], name: cap}\n"
			       "    - disk: {center: [1, 0], radius: 10, name: far}\n", 2);
	int arc = 0, cap = 1, far = 2;
	double x[2 * 10];
	pp_error err = {0};
	pp_rng rng;

	pp_rng_init(&rng, 1, 0);
	CU_ASSERT_EQUAL(pp_geometry_sample_boundary(g, &arc, 1, 10, &rng, x, NULL, NULL, &err),
			PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "of part(s) 'arc' lies on the domain boundary"));
	CU_ASSERT_EQUAL(pp_geometry_sample_boundary(g, &cap, 1, 10, &rng, x, NULL, NULL, &err),
			PP_OK);
	CU_ASSERT_EQUAL(pp_geometry_measure(g, far), 0);
	CU_ASSERT_EQUAL(pp_geometry_sample_boundary(g, &far, 1, 10, &rng, x, NULL, NULL, &err),
			PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "part(s) 'far' do not lie on the domain boundary"));
	pp_geometry_destroy(g);
}

/* Exact measures for the other plate-with-holes combinations: a polygon
 * with a rectangular and a round hole, a disk with a triangular one, a ball
 * with a box inside; and a 3-D box's sides by name. */
static void test_measures_are_exact_for_holes_in_any_primitive(void)
{
	pp_geometry *g = parse("geometry:\n  difference:\n"
			       "    - polygon: {vertices: [[0, 0], [4, 0], [4, 4], [0, 4]]}\n"
			       "    - rectangle: {lo: [1, 1], hi: [2, 1.5]}\n"
			       "    - disk: {center: [3, 3], radius: 0.5}\n", 2);

	PP_ASSERT_CLOSE(pp_geometry_measure(g, -1), 16 - 0.5 - 0.25 * M_PI, 1e-12, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, 1), 3, 1e-12, 0);
	CU_ASSERT_EQUAL(pp_geometry_measure_error(g, -1), 0);
	pp_geometry_destroy(g);

	g = parse("geometry:\n  difference:\n    - disk: {center: [0, 0], radius: 1}\n"
		  "    - polygon: {vertices: [[0, 0], [0.5, 0], [0, 0.5]]}\n", 2);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, -1), M_PI - 0.125, 1e-12, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, 1), 1 + sqrt(0.5), 1e-12, 0);
	pp_geometry_destroy(g);

	g = parse("geometry:\n  difference:\n    - ball: {center: [0, 0, 0], radius: 1}\n"
		  "    - box: {lo: [-0.5, -0.5, -0.5], hi: [0.5, 0.5, 0.5], "
		  "sides: {front: f, back: b}}\n", 3);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, -1), 4.0 / 3.0 * M_PI - 1, 1e-12, 0);
	CU_ASSERT_EQUAL(pp_geometry_part_count(g), 4);  /* ball1, box1, f, b */
	PP_ASSERT_CLOSE(pp_geometry_measure(g, pp_geometry_part_index(g, "box1")), 4, 1e-12, 0);
	PP_ASSERT_CLOSE(pp_geometry_measure(g, pp_geometry_part_index(g, "f")), 1, 1e-12, 0);
	pp_geometry_destroy(g);
}

/* The run's config.yaml records the default names (sides included) and
 * reading it back gives the same parts in the same order. */
static void test_resolved_config_records_names_and_reads_back_the_same(void)
{
	const char *yaml = "geometry:\n  union:\n"
			   "    - rectangle: {lo: [0, 0], hi: [1, 1], sides: {top: lid}}\n"
			   "    - disk: {center: [3, 0], radius: 1}\n"
			   "    - rectangle: {lo: [5, 0], hi: [6, 1]}\n";
	pp_config_doc *doc = NULL, *again = NULL;
	pp_geometry *g = NULL, *h = NULL;
	char *text = NULL, *unrecorded = NULL;
	size_t len = 0;
	pp_error err = {0};
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(yaml, strlen(yaml), "g.yaml", &doc, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_geometry_parse(pp_config_get(pp_config_doc_root(doc), "geometry"),
						2, &g, &err), PP_OK);
	f = open_memstream(&unrecorded, &len);
	pp_config_list_unrecorded(pp_config_doc_root(doc), f);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(unrecorded, "");
	f = open_memstream(&text, &len);
	CU_ASSERT_EQUAL(pp_config_write_resolved(pp_config_doc_root(doc), f), PP_OK);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "name: rectangle1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "left: rectangle1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "name: disk1"));
	CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(text, strlen(text), "config.yaml", &again, &err),
			      PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_geometry_parse(pp_config_get(pp_config_doc_root(again),
							      "geometry"), 2, &h, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_geometry_part_count(h), pp_geometry_part_count(g));
	for (int k = 0; k < pp_geometry_part_count(g); k++) {
		CU_ASSERT_STRING_EQUAL(pp_geometry_part_name(h, k), pp_geometry_part_name(g, k));
		CU_ASSERT_EQUAL(pp_geometry_measure(h, k), pp_geometry_measure(g, k));
	}
	pp_geometry_destroy(g);
	pp_geometry_destroy(h);
	pp_config_doc_destroy(doc);
	pp_config_doc_destroy(again);
	free(text);
	free(unrecorded);
}

/* Each malformed geometry fails at the node that is wrong. */
static void test_malformed_geometries_fail_at_their_line_and_column(void)
{
	static const struct {
		const char *yaml;
		int dim;
		const char *want;
	} cases[] = {
		{"geometry: {circle: {center: [0, 0], radius: 1}}\n", 2,
		 "g.yaml:1:12: unknown shape 'circle'; choose one of: interval"},
		{"geometry:\n  union:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
		 "    - xor: [a, b]\n", 2, "g.yaml:4:7: unknown shape 'xor'"},
		{"geometry: {rectangle: {lo: [0, 0, 0], hi: [1, 1]}}\n", 2,
		 "g.yaml:1:28: lo: is a list of 2 numbers"},
		{"geometry: {disk: {center: [0], radius: 1}}\n", 2,
		 "g.yaml:1:27: center: is a list of 2 numbers"},
		{"geometry: {disk: {center: [0, 0], radius: 0}}\n", 2,
		 "g.yaml:1:43: disk: radius must be positive, found 0"},
		{"geometry: {ball: {center: [0, 0, 0], radius: -2}}\n", 3,
		 "g.yaml:1:46: ball: radius must be positive, found -2"},
		{"geometry: {rectangle: {lo: [0, 1], hi: [1, 1]}}\n", 2,
		 "g.yaml:1:40: rectangle: lo[1] = 1 must be below hi[1] = 1"},
		{"geometry: {interval: {lo: 2, hi: 1}}\n", 1,
		 "g.yaml:1:34: interval: lo[0] = 2 must be below hi[0] = 1"},
		{"geometry: {polygon: {vertices: [[0, 0], [1, 0]]}}\n", 2,
		 "g.yaml:1:32: polygon: vertices must be a list of 3 to 10000 points"},
		{"geometry:\n  polygon:\n    vertices: [[0, 0], [1, 1], [1, 0], [0, 1]]\n", 2,
		 "g.yaml:3:15: polygon: edges 1 and 3 meet"},
		{"geometry: {polygon: {vertices: [[0, 0], [1, 0], [1, 0], [0, 1]]}}\n", 2,
		 "g.yaml:1:32: polygon: vertices 2 and 3 coincide"},
		{"geometry: {polygon: {vertices: [[0, 0], [2, 0], [1, 0]]}}\n", 2,
		 "g.yaml:1:32: polygon: edges 1 and 2 overlap (it turns back at vertex 2)"},
		{"geometry: {polygon: {vertices: [[0, 0], [1, 0], [1]]}}\n", 2,
		 "g.yaml:1:49: polygon: vertex 3 must be a list [x, y]"},
		{"geometry:\n  union:\n    - rectangle: {lo: [0, 0], hi: [1, 1], name: a}\n"
		 "    - disk: {center: [3, 0], radius: 1, name: a}\n", 2,
		 "g.yaml:4:47: duplicate part name 'a': already the boundary of the rectangle at "
		 "line 3"},
		{"geometry:\n  union:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
		 "    - disk: {center: [3, 0], radius: 1, name: rectangle1}\n", 2,
		 "g.yaml:4:47: duplicate part name 'rectangle1'"},
		{"geometry:\n  union:\n    - rectangle: {lo: [0, 0], hi: [1, 1], sides: {top: lid}}\n"
		 "    - rectangle: {lo: [3, 0], hi: [4, 1], sides: {left: lid}}\n", 2,
		 "g.yaml:4:57: duplicate part name 'lid'"},
		{"geometry: {rectangle: {lo: [0, 0], hi: [1, 1], name: 'a b'}}\n", 2,
		 "g.yaml:1:54: part name 'a b' must be letters"},
		{"geometry: {rectangle: {lo: [0, 0], hi: [1, 1], nmae: x}}\n", 2,
		 "g.yaml:1:48: unknown key 'nmae' in rectangle; known keys: lo, hi, name, sides"},
		{"geometry: {rectangle: {lo: [0, 0], hi: [1, 1], sides: {up: lid}}}\n", 2,
		 "g.yaml:1:56: unknown key 'up' in rectangle sides; known keys: left, right, "
		 "bottom, top"},
		{"geometry: {disk: {centre: [0, 0], radius: 1}}\n", 2,
		 "g.yaml:1:18: missing required key 'center'"},
		{"geometry: {rectangle: {lo: [0, 0], hi: [1, 1]}}\n", 3,
		 "g.yaml:1:12: rectangle is a 2-D shape; this domain is 3-D (use box or ball)"},
		{"geometry: {ball: {center: [0, 0, 0], radius: 1}}\n", 2,
		 "g.yaml:1:12: ball is a 3-D shape; this domain is 2-D"},
		{"geometry: {rectangle: {lo: [0], hi: [1]}}\n", 1,
		 "g.yaml:1:12: rectangle is a 2-D shape; this domain is 1-D (use interval)"},
		{"geometry:\n  union:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n", 2,
		 "g.yaml:3:5: union: expected a list of at least 2 shapes, found 1"},
		{"geometry: {difference: {a: 1}}\n", 2,
		 "g.yaml:1:24: difference: expected a list of at least 2 shapes, found no list"},
		{"geometry:\n  rectangle: {lo: [0, 0], hi: [1, 1]}\n  disk: {center: [0, 0], "
		 "radius: 1}\n", 2, "g.yaml:2:3: a shape is a map with one key"},
		{"geometry:\n  union:\n    - rectangle\n    - disk\n", 2,
		 "g.yaml:3:7: a shape is a map with one key"},
		{"geometry: {rectangle: [0, 1]}\n", 2,
		 "g.yaml:1:23: rectangle: expected a map of its keys"},
		{"geometry:\n  intersection:\n    - rectangle: {lo: [0, 0], hi: [1, 1]}\n"
		 "    - disk: {center: [3, 0], radius: 1}\n", 2,
		 "g.yaml:3:5: intersection is empty"},
		{"geometry:\n  difference:\n    - disk: {center: [0, 0], radius: 1}\n"
		 "    - rectangle: {lo: [-2, -2], hi: [2, 2]}\n", 2,
		 "g.yaml:3:5: the domain is empty"},
		{"geometry: {rectangle: {lo: [0, 0], hi: [1, x]}}\n", 2,
		 "g.yaml:1:44: expected a finite number, found 'x'"},
	};
	pp_error err;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pp_error_clear(&err);
		pp_geometry *g = try_parse(cases[i].yaml, cases[i].dim, &err);
		CU_ASSERT_PTR_NULL(g);
		CU_ASSERT_EQUAL(err.code, PP_ERR_CONFIG);
		if (!strstr(err.message, cases[i].want))
			printf("\n  case %zu: got \"%s\"\n  wanted \"%s\"\n", i, err.message,
			       cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[i].want));
		pp_geometry_destroy(g);
	}
	CU_ASSERT_EQUAL(pp_geometry_parse(NULL, 4, &(pp_geometry *){NULL}, &err), PP_ERR_INVALID);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"each primitive contains its inside and boundary",
		 test_each_primitive_contains_its_inside_and_boundary},
		{"operations combine membership", test_operations_combine_membership},
		{"bounds of primitives and operations", test_bounds_of_primitives_and_operations},
		{"parts have names and default names", test_parts_have_names_and_default_names},
		{"interior samples are inside and uniform",
		 test_interior_samples_are_inside_and_uniform},
		{"boundary samples lie on the boundary with outward normals",
		 test_boundary_samples_lie_on_the_boundary_with_outward_normals},
		{"boundary sampling selects parts", test_boundary_sampling_selects_parts},
		{"polygon and ball boundaries have outward normals",
		 test_polygon_and_ball_boundaries_have_outward_normals},
		{"measures are exact for a plate with a hole",
		 test_measures_are_exact_for_a_plate_with_a_hole},
		{"monte carlo measures count shared edges once",
		 test_monte_carlo_measures_count_shared_edges_once},
		{"one-dimensional measures are exact", test_one_dimensional_measures_are_exact},
		{"interior sampling refuses domains below the floor",
		 test_interior_sampling_refuses_domains_below_the_floor},
		{"boundary sampling refuses parts below the floor",
		 test_boundary_sampling_refuses_parts_below_the_floor},
		{"measures are exact for holes in any primitive",
		 test_measures_are_exact_for_holes_in_any_primitive},
		{"resolved config records names and reads back the same",
		 test_resolved_config_records_names_and_reads_back_the_same},
		{"malformed geometries fail at their line and column",
		 test_malformed_geometries_fail_at_their_line_and_column},
		{NULL, NULL},
	};
	return pp_test_run("geometry", cases);
}
