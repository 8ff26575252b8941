/* A test analyzer that fails on purpose, for the run-directory consistency
 * tests: observe() returns an error once the step reaches `fail_at`, or
 * finish() does when `fail_at` is -1.  Until then it writes one column,
 * `failing_step`, holding the step.  Keys: fail_at (step, default 0),
 * status (the pp_status to return: numeric (default), io or plugin), rank
 * (on an MPI run, fail on that rank alone; default -1: every rank). */
#include <phasepinn/phasepinn.h>

#include <stdlib.h>

typedef struct failing {
	long fail_at;
	long rank;
	int status;
} failing;

static const char *const failing_columns[] = {"failing_step"};

static int failing_create(const pp_config *cfg, const pp_problem *problem, void **state,
			  pp_error *err)
{
	static const char *const statuses[] = {"numeric", "io", "plugin", NULL};
	static const int codes[] = {PP_ERR_NUMERIC, PP_ERR_IO, PP_ERR_PLUGIN};
	failing *f = calloc(1, sizeof *f);
	int choice = 0, rc;

	(void)problem;
	if (!f)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "fail_at", 0, -1, 1000000000L, &f->fail_at, err);
	if (!rc)
		rc = pp_config_long(cfg, "rank", -1, -1, 1000000L, &f->rank, err);
	if (!rc)
		rc = pp_config_choice(cfg, "status", "numeric", statuses, &choice, err);
	if (rc) {
		free(f);
		return rc;
	}
	f->status = codes[choice];
	*state = f;
	return PP_OK;
}

static void failing_destroy(void *state)
{
	free(state);
}

static int failing_columns_fn(void *state, const char *const **names, int *count)
{
	(void)state;
	*names = failing_columns;
	*count = 1;
	return PP_OK;
}

static int failing_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	const failing *f = state;
	int here = f->rank < 0 || view->problem->rank == f->rank;

	if (f->fail_at >= 0 && view->step >= f->fail_at && here)
		return pp_error_set(err, f->status, "failing_analyzer: failing on purpose at step %ld",
				    view->step);
	values[0] = (double)view->step;
	return PP_OK;
}

static int failing_finish(void *state, const pp_step_view *view, pp_error *err)
{
	const failing *f = state;

	if (f->fail_at < 0)
		return pp_error_set(err, f->status, "failing_analyzer: failing on purpose at the end (step %ld)",
				    view->step);
	return PP_OK;
}

static const pp_analyzer_ops failing_ops = {
	.struct_size = sizeof failing_ops,
	.create = failing_create,
	.destroy = failing_destroy,
	.columns = failing_columns_fn,
	.observe = failing_observe,
	.finish = failing_finish,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "failing_analyzer", "fails on purpose at a chosen step (tests)",
		 &failing_ops)
