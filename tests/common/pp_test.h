/* phasepinn tests — a thin layer over CUnit shared by every unit test. */
#ifndef PHASEPINN_TEST_H
#define PHASEPINN_TEST_H

#include <CUnit/CUnit.h>
#include <math.h>

typedef struct pp_test_case {
	const char *name;
	void (*fn)(void);
} pp_test_case;

/* Run one suite of tests (terminated by {NULL, NULL}) in CUnit's basic mode;
 * returns 1 when a test failed, otherwise 77 (meson's SKIP) when a test
 * called pp_test_skip, otherwise 0. */
int pp_test_run(const char *suite, const pp_test_case *tests);

/* The running test cannot check what it names, because @why (a missing
 * program, say) is missing: it prints the reason and the caller returns.
 * The suite then reports SKIP, not PASS, unless another test failed. */
void pp_test_skip(const char *why);

/* Suites whose hand-computed values assume pp_real = double start main()
 * with this: in a -Dprecision=single build they report "skipped" (exit 77)
 * instead of failing on float rounding.  The engine's own suite (network)
 * runs in both precisions with tolerances for each. */
#include <phasepinn/real.h>
#include <stdio.h>
#ifdef PP_SINGLE_PRECISION
#define PP_TEST_DOUBLE_ONLY()                                                      \
	do {                                                                       \
		printf("skipped: hand-computed values need double precision\n");  \
		return 77;                                                         \
	} while (0)
#else
#define PP_TEST_DOUBLE_ONLY() ((void)0)
#endif

/* |a - b| <= atol + rtol·|b| */
#define PP_ASSERT_CLOSE(a, b, atol, rtol)                                          \
	CU_ASSERT(fabs((double)(a) - (double)(b)) <=                               \
		  (atol) + (rtol) * fabs((double)(b)))


#include <phasepinn/plugin.h>

typedef struct pp_registry pp_registry;

/* The registry of the built-in plugins, loaded once from the build tree
 * (PP_TEST_BUILD_ROOT/plugins) and released at exit; aborts the test
 * program when they cannot be loaded. */
pp_registry *pp_test_registry(void);

/* The built-in plugin @name of @kind from that registry; aborts the test
 * program if it is missing. */
const pp_plugin *pp_test_plugin(pp_kind kind, const char *name);

/* A PDE plugin as the core sets it up: created from @yaml (NULL: every
 * default; parsed under the file name @file, which error messages quote),
 * described with time_input and periodic_input starting at -1.  Close it
 * with pp_test_pde_close, also after a failed open. */
#include <phasepinn/pde.h>
#include <phasepinn/rng.h>

typedef struct pp_test_pde {
	const struct pp_pde_ops *ops;
	void *state;
	pp_pde_info info;
	struct pp_config_doc *doc;
} pp_test_pde;

/* A steady PDE on the unit box of @n_inputs (1 or 2) inputs named x, y,
 * with one interior term "residual": what analyzer tests observe. */
pp_pde_info pp_test_box_pde(int n_inputs);

int pp_test_pde_open(const char *name, const char *yaml, const char *file, pp_test_pde *p,
		     pp_error *err);
void pp_test_pde_close(pp_test_pde *p);

/* The index of the term called @name (a fatal test failure if none). */
int pp_test_pde_term(const pp_test_pde *p, const char *name);

/* One residual call of @term at @n points @x: channel c's values are
 * ch[c·n + i]; r[k·n + i] receives component k's residual and
 * dr[(k·C + c)·n + i] its derivative in channel c (C channels), the layout
 * of a pp_real [K·C][n] array.  Returns the plugin's status. */
int pp_test_pde_residual(pp_test_pde *p, int term, int n, const pp_real *x, const pp_real *ch,
			 pp_real *r, pp_real *dr);

/* ∂r_k/∂channel of @term against central differences (h = 1e-4) in each
 * channel value, at the @n points @x and channel values drawn from @rng in
 * [-1, 1], for every component.  The built-in residuals are at most
 * quadratic in the channels, so the difference is exact up to rounding
 * (~1e-12 on values of order 1) and the bound is 1e-8.  The Jacobian is
 * first filled with garbage, so entries a residual must zero are checked,
 * and a change at one point must leave the others' residuals as they are. */
void pp_test_check_channel_jacobians(pp_test_pde *p, int term, int n, const pp_real *x,
				     pp_rng *rng);

#endif
