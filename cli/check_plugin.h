/* phasepinn — `check-plugin`: what its two files share (private to the CLI).
 * cli/check_plugin.c checks the declarations, the Jacobians and the hard
 * constraints; cli/check_reference.c the reference solution's residual. */
#ifndef PHASEPINN_CLI_CHECK_PLUGIN_H
#define PHASEPINN_CLI_CHECK_PLUGIN_H

#include <stdio.h>

#include <phasepinn/pde.h>
#include <phasepinn/plugin.h>
#include <phasepinn/rng.h>

/* A created and described PDE plugin under check, and the tally. */
typedef struct pp_plugin_check {
	const pp_plugin *plugin;
	const pp_pde_ops *ops;
	void *state;
	pp_pde_info info;
	double coef[PP_MAX_COEFFICIENTS];   /* the declared values */
	pp_rng rng;
	FILE *out;
	int passed, failed, skipped;
} pp_plugin_check;

/* One verdict line, "PASS  what: text" (@verdict "PASS", "FAIL" or "SKIP"),
 * counted in the tally. */
void pp_plugin_check_say(pp_plugin_check *ck, const char *verdict, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "x=0.25 t=0.5" of point @x (n_inputs values) into @buf. */
void pp_plugin_check_point(const pp_plugin_check *ck, const double *x, char *buf, size_t size);

/* The reference's residual on @grid (NULL: a grid chosen to span the
 * domain): one verdict per interior term (cli/check_reference.c). */
void pp_plugin_check_reference(pp_plugin_check *ck, const pp_grid *grid);

#endif
