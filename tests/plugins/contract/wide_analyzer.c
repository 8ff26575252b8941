/* An analyzer that declares more metric columns than a metrics row holds
 * (`columns:`, 300 by default, against PP_MAX_COLUMNS = 256): the core
 * must refuse it when the experiment is built, naming it, rather than let
 * observe() write 300 values into a row of 256. */
#include <stdio.h>
#include <stdlib.h>

#include <phasepinn/phasepinn.h>

#define MOST 1000

typedef struct wide {
	long n;
	char store[MOST][32];
	const char *names[MOST];
} wide;

static int wide_create(const pp_config *cfg, const pp_problem *problem, void **state,
		       pp_error *err)
{
	wide *w = calloc(1, sizeof *w);
	int rc;

	(void)problem;
	if (!w)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "columns", 300, 0, MOST, &w->n, err);
	if (rc) {
		free(w);
		return rc;
	}
	for (long c = 0; c < w->n; c++) {
		snprintf(w->store[c], sizeof w->store[c], "wide_%ld", c);
		w->names[c] = w->store[c];
	}
	*state = w;
	return PP_OK;
}

static void wide_destroy(void *state)
{
	free(state);
}

static int wide_columns(void *state, const char *const **names, int *count)
{
	wide *w = state;

	*names = w->names;
	*count = (int)w->n;
	return PP_OK;
}

static int wide_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	wide *w = state;

	(void)view;
	(void)err;
	for (long c = 0; c < w->n; c++)
		values[c] = (double)c;
	return PP_OK;
}

static const pp_analyzer_ops wide_ops = {
	.struct_size = sizeof wide_ops,
	.create = wide_create,
	.destroy = wide_destroy,
	.columns = wide_columns,
	.observe = wide_observe,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "wide_analyzer", "test fixture: declares 300 columns",
		 &wide_ops)
