/* An analyzer that keeps state between steps (how many times it observed)
 * but has no checkpoint hooks: a run using it can be checkpointed, and
 * `phasepinn resume` must refuse it rather than restart its count at zero. */
#include <stdlib.h>

#include <phasepinn/phasepinn.h>

static const char *const counter_columns_list[] = {"observed"};

static int counter_create(const pp_config *cfg, const pp_problem *problem, void **state,
			  pp_error *err)
{
	(void)cfg;
	(void)problem;
	*state = calloc(1, sizeof(long));
	return *state ? PP_OK : pp_error_set(err, PP_ERR_NOMEM, "out of memory");
}

static void counter_destroy(void *state)
{
	free(state);
}

static int counter_columns(void *state, const char *const **names, int *count)
{
	(void)state;
	*names = counter_columns_list;
	*count = 1;
	return PP_OK;
}

static int counter_observe(void *state, const pp_step_view *view, double *values,
			   pp_error *err)
{
	long *n = state;

	(void)view;
	(void)err;
	values[0] = (double)++*n;
	return PP_OK;
}

static const pp_analyzer_ops counter_ops = {
	.struct_size = sizeof counter_ops,
	.create = counter_create,
	.destroy = counter_destroy,
	.columns = counter_columns,
	.observe = counter_observe,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "counter", "counts its observations; no checkpoint hooks",
		 &counter_ops)
