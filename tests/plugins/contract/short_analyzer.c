/* An analyzer built as if against older headers: its struct_size ends
 * before `finish`, so finish, save, load and chunk_count are absent.  The
 * table in memory is a full one, and the fields past struct_size hold
 * functions that fail loudly: a core that reads a field the plugin says it
 * does not have (instead of its own zeroed copy) runs them, and the run
 * fails with "read past struct_size". */
#include <stddef.h>
#include <stdlib.h>

#include <phasepinn/phasepinn.h>

static const char *const short_columns_list[] = {"short_value"};

static int short_create(const pp_config *cfg, const pp_problem *problem, void **state,
			pp_error *err)
{
	(void)cfg;
	(void)problem;
	(void)err;
	*state = NULL;
	return PP_OK;
}

static void short_destroy(void *state)
{
	(void)state;
}

static int short_columns(void *state, const char *const **names, int *count)
{
	(void)state;
	*names = short_columns_list;
	*count = 1;
	return PP_OK;
}

static int short_observe(void *state, const pp_step_view *view, double *values,
			 pp_error *err)
{
	(void)state;
	(void)err;
	values[0] = (double)view->step;
	return PP_OK;
}

/* ---- beyond struct_size: must never be called ---- */

static int past_finish(void *state, const pp_step_view *view, pp_error *err)
{
	(void)state;
	(void)view;
	return pp_error_set(err, PP_ERR_PLUGIN, "short_analyzer: finish read past struct_size");
}

static int past_save(void *state, void *buf, size_t *size, pp_error *err)
{
	(void)state;
	(void)buf;
	(void)size;
	return pp_error_set(err, PP_ERR_PLUGIN, "short_analyzer: save read past struct_size");
}

static int past_load(void *state, const void *buf, size_t size, pp_error *err)
{
	(void)state;
	(void)buf;
	(void)size;
	return pp_error_set(err, PP_ERR_PLUGIN, "short_analyzer: load read past struct_size");
}

static int past_chunk_count(void *state)
{
	(void)state;
	abort();   /* read past struct_size */
}

static const pp_analyzer_ops short_ops = {
	.struct_size = offsetof(pp_analyzer_ops, finish),
	.create = short_create,
	.destroy = short_destroy,
	.columns = short_columns,
	.observe = short_observe,
	.finish = past_finish,
	.save = past_save,
	.load = past_load,
	.chunk_count = past_chunk_count,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "short_analyzer",
		 "test fixture: an ops table from older headers", &short_ops)
