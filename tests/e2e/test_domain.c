/* Domains that are not boxes, end to end: `domain: {geometry: ...}` puts a
 * term's points where they belong (inside the domain, on the parts a
 * boundary term names), the error analyzer leaves out the grid points
 * outside it and prediction.csv masks them, and what a geometry cannot
 * take is refused with its line.
 *
 * The runs are one Adam step of Helmholtz on [-1, 1]² minus a disk of
 * radius 0.3 at the origin; the points are read back from the weights
 * files (x, y, r, w, lambda), written with 10 significant digits, so "on
 * the circle" is |‖x‖ − 0.3| < 1e-8 and "on the square" max(|x|, |y|) = 1
 * to 1e-9. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phasepinn/real.h"
#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_domain_XXXXXX";

#define HOLED(terms, extra) \
	"seed: 2\noutput: run\n" \
	"domain:\n  geometry:\n    difference:\n" \
	"      - rectangle: {lo: [-1, -1], hi: [1, 1], name: outer}\n" \
	"      - disk: {center: [0, 0], radius: 0.3, name: hole}\n" \
	"pde:\n  type: helmholtz\n  a1: 1\n  a2: 1\n  terms:\n" terms \
	"network: {layers: [8]}\n" extra \
	"stages: [{optimizer: adam, iterations: 1}]\nlogging: {plot: false}\n"

/* Points of a weights file: how many, and how many break @rule. */
static void scan(const char *file, int (*rule)(double, double), int *rows, int *bad)
{
	char *text = pp_shell_read(file, NULL), *line;

	*rows = *bad = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	line = strchr(text, '\n');   /* the header */
	while (line && line[1]) {
		double x, y;
		line++;
		if (sscanf(line, "%lf,%lf", &x, &y) == 2) {
			(*rows)++;
			*bad += !rule(x, y);
		}
		line = strchr(line, '\n');
	}
	free(text);
}

/* The points are pp_real, so "on" a curve means within a few units in the
 * last place of that precision: 1e-9 in double, 16 epsilons (1.9e-6) when
 * built with -Dprecision=single. */
#define ON_TOL fmax(1e-9, 16 * PP_REAL_EPSILON)

static int inside(double x, double y)
{
	return fabs(x) <= 1 + ON_TOL && fabs(y) <= 1 + ON_TOL && hypot(x, y) >= 0.3 - ON_TOL;
}

static int on_circle(double x, double y)
{
	return fabs(hypot(x, y) - 0.3) < fmax(1e-8, ON_TOL);
}

static int on_square(double x, double y)
{
	return fabs(fmax(fabs(x), fabs(y)) - 1) < ON_TOL;
}

static int on_either(double x, double y)
{
	return on_circle(x, y) || on_square(x, y);
}

static void test_points_lie_inside_and_on_the_parts_asked_for(void)
{
	int rows, bad;

	pp_shell_write("all.yaml", HOLED("    residual: {points: 500}\n    boundary: {points: 300}\n", ""));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run all.yaml --quiet"), 0);
	scan("run/weights_residual.csv", inside, &rows, &bad);
	CU_ASSERT_EQUAL(rows, 500);
	CU_ASSERT_EQUAL(bad, 0);
	scan("run/weights_boundary.csv", on_either, &rows, &bad);
	CU_ASSERT_EQUAL(rows, 300);
	CU_ASSERT_EQUAL(bad, 0);
	/* by arc length: the circle is 0.6π / (8 + 0.6π) = 19 % of the boundary;
	 * 300 points, binomial sd 2.3 %: within 4 sd */
	scan("run/weights_boundary.csv", on_circle, &rows, &bad);
	CU_ASSERT(fabs((double)(rows - bad) / rows - 0.6 * M_PI / (8 + 0.6 * M_PI)) < 0.09);

	pp_shell_write("hole.yaml", HOLED("    boundary: {points: 100, parts: [hole]}\n", ""));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run hole.yaml --quiet --force"), 0);
	scan("run/weights_boundary.csv", on_circle, &rows, &bad);
	CU_ASSERT_EQUAL(rows, 100);
	CU_ASSERT_EQUAL(bad, 0);
}

/* The error analyzer's grid points in the hole are masked: nan in
 * prediction.csv, and the error is over the others only. */
static void test_the_error_grid_is_masked_outside_the_domain(void)
{
	char *text, *line;
	int masked = 0, kept = 0, wrong = 0;

	pp_shell_write("err.yaml", HOLED("    residual: {points: 200}\n", "analyzers: [{type: error, every: 1, grid: [21, 21]}]\n"));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run err.yaml --quiet --force"), 0);
	text = pp_shell_read("run/prediction.csv", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		double x, y;
		char rest[128] = "";
		if (sscanf(line + 1, "%lf,%lf,%127s", &x, &y, rest) < 3)
			continue;
		if (strncmp(rest, "nan", 3) == 0) {
			masked++;
			wrong += hypot(x, y) > 0.3 - 1e-9;
		} else {
			kept++;
			wrong += hypot(x, y) < 0.3 - 1e-9;
		}
	}
	free(text);
	/* the 21 × 21 grid on [-1, 1]² (step 0.1) has 25 points with r < 0.3;
	 * the 4 at r = 0.3 lie on the hole's edge, in the domain */
	CU_ASSERT_EQUAL(masked, 25);
	CU_ASSERT_EQUAL(kept, 21 * 21 - 25);
	CU_ASSERT_EQUAL(wrong, 0);
}

static void test_what_a_geometry_cannot_take_is_refused(void)
{
	static const struct {
		const char *yaml, *message;
	} cases[] = {
		{HOLED("    boundary: {parts: [rim]}\n", ""),
		 "the domain has no part 'rim'; its parts: outer, hole"},
		{HOLED("    residual: {parts: [hole]}\n", ""),
		 "term 'residual' is not on the boundary"},
		{"pde: {type: helmholtz, terms: {boundary: {parts: [a]}}}\nstages: [{optimizer: adam, iterations: 1}]\n",
		 "parts: needs a domain with named parts"},
		{"domain: {geometry: {interval: {lo: -1, hi: 1}}}\npde: {type: allen_cahn}\n"
		 "stages: [{optimizer: adam, iterations: 1}]\n",
		 "is periodic in 'x': its domain is its box"},
		{"domain: {geometry: {interval: {lo: -1, hi: 1}}}\npde: {type: kdv}\n"
		 "stages: [{optimizer: adam, iterations: 1}]\n",
		 "is periodic in 'x'"},
		{"domain: {geometry: {interval: {lo: 0, hi: 1}}, time: [1, 0]}\npde: {type: heat}\n"
		 "stages: [{optimizer: adam, iterations: 1}]\n", "time: [t0, t1] needs t0 < t1"},
		{"domain: {geometry: {disk: {center: [0, 0], radius: 1}}}\npde: {type: heat}\n"
		 "stages: [{optimizer: adam, iterations: 1}]\n", "bad.yaml:1:"},
		{"domain: [1]\npde: {type: heat}\nstages: [{optimizer: adam, iterations: 1}]\n",
		 "domain: is a map"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		pp_shell_write("bad.yaml", cases[k].yaml);
		CU_ASSERT_EQUAL(pp_shell_cli("check bad.yaml"), 2);
		if (!strstr(pp_shell_output, cases[k].message))
			printf("\ncase %zu: %s\n", k, pp_shell_output);
		CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, cases[k].message));
	}
}

/* heat on the interval geometry [-1, 1] is the box problem: its boundary
 * points are at x = ±1 exactly and its initial ones at t = 0 inside. */
static void test_a_time_dependent_problem_uses_geometry_times_interval(void)
{
	char *b, *i;
	int ends = 0, rows = 0, starts = 0;

	pp_shell_write("heat.yaml",
		       "seed: 3\noutput: run\ndomain:\n  geometry: {interval: {lo: -1, hi: 1}}\n"
		       "  time: [0, 0.5]\npde:\n  type: heat\n  terms: {boundary: {points: 40}, initial: {points: 30}}\n"
		       "network: {layers: [8]}\nstages: [{optimizer: adam, iterations: 1}]\n"
		       "logging: {plot: false}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run heat.yaml --quiet --force"), 0);
	b = pp_shell_read("run/weights_boundary.csv", NULL);
	i = pp_shell_read("run/weights_initial.csv", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(i);
	for (char *l = strchr(b, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		double x, t;
		if (sscanf(l + 1, "%lf,%lf", &x, &t) == 2) {
			rows++;
			ends += fabs(fabs(x) - 1) < 1e-12 && t >= 0 && t <= 0.5;
		}
	}
	for (char *l = strchr(i, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		double x, t;
		if (sscanf(l + 1, "%lf,%lf", &x, &t) == 2)
			starts += t == 0 && fabs(x) <= 1;
	}
	CU_ASSERT_EQUAL(rows, 40);
	CU_ASSERT_EQUAL(ends, 40);
	CU_ASSERT_EQUAL(starts, 30);
	free(b);
	free(i);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"points lie inside and on the parts asked for", test_points_lie_inside_and_on_the_parts_asked_for},
		{"the error grid is masked outside the domain", test_the_error_grid_is_masked_outside_the_domain},
		{"what a geometry cannot take is refused", test_what_a_geometry_cannot_take_is_refused},
		{"a time-dependent problem uses geometry × interval", test_a_time_dependent_problem_uses_geometry_times_interval},
		{NULL, NULL},
	};
	int failed;

	if (pp_shell_init(dir))
		return 1;
	failed = pp_test_run("domain", cases);
	pp_shell_cleanup();
	return failed;
}
