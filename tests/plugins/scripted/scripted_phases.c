/* A test analyzer that writes a phases.txt chosen in advance, so that the
 * comparison tests see entries into diffusion equilibrium and relapses
 * without training long enough for them.  At the end of a run it writes
 *
 *     diffusion   <diffusion_at>
 *     equilibrium <equilibrium_at + seed>
 *     diffusion   <relapse_at>          (when relapse_at > 0)
 *     equilibrium <again_at>            (when again_at > 0)
 *
 * except for the seed `no_equilibrium_seed`, whose run only enters
 * diffusion.  One column, `scripted_step` (the step).  Keys: diffusion_at
 * (5), equilibrium_at (10), relapse_at (0), again_at (0),
 * no_equilibrium_seed (-1: none). */
#include <phasepinn/phasepinn.h>
#include <phasepinn/output.h>

#include <stdlib.h>

typedef struct scripted {
	long diffusion_at, equilibrium_at, relapse_at, again_at, no_equilibrium_seed;
	unsigned long seed;
	const char *run_dir;
} scripted;

static const char *const scripted_columns[] = {"scripted_step"};

static int scripted_create(const pp_config *cfg, const pp_problem *problem, void **state,
			   pp_error *err)
{
	scripted *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "diffusion_at", 5, 0, 1000000000L, &s->diffusion_at, err);
	if (!rc)
		rc = pp_config_long(cfg, "equilibrium_at", 10, 0, 1000000000L, &s->equilibrium_at, err);
	if (!rc)
		rc = pp_config_long(cfg, "relapse_at", 0, 0, 1000000000L, &s->relapse_at, err);
	if (!rc)
		rc = pp_config_long(cfg, "again_at", 0, 0, 1000000000L, &s->again_at, err);
	if (!rc)
		rc = pp_config_long(cfg, "no_equilibrium_seed", -1, -1, 1000000000L,
				    &s->no_equilibrium_seed, err);
	if (rc) {
		free(s);
		return rc;
	}
	s->seed = problem->seed;
	s->run_dir = problem->run_dir;
	*state = s;
	return PP_OK;
}

static void scripted_destroy(void *state)
{
	free(state);
}

static int scripted_columns_fn(void *state, const char *const **names, int *count)
{
	(void)state;
	*names = scripted_columns;
	*count = 1;
	return PP_OK;
}

static int scripted_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	(void)state;
	(void)err;
	values[0] = (double)view->step;
	return PP_OK;
}

static int scripted_finish(void *state, const pp_step_view *view, pp_error *err)
{
	const scripted *s = state;
	char path[4096];
	pp_atomic_file af;
	int rc;

	(void)view;
	if (!s->run_dir)
		return PP_OK;
	rc = pp_path_join(path, sizeof path, s->run_dir, PP_RUN_PHASES, err);
	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	fprintf(af.f, "diffusion %ld\n", s->diffusion_at);
	if ((long)s->seed != s->no_equilibrium_seed) {
		fprintf(af.f, "equilibrium %ld\n", s->equilibrium_at + (long)s->seed);
		if (s->relapse_at > 0)
			fprintf(af.f, "diffusion %ld\n", s->relapse_at);
		if (s->again_at > 0)
			fprintf(af.f, "equilibrium %ld\n", s->again_at);
	}
	return pp_atomic_commit(&af, err);
}

static const pp_analyzer_ops scripted_ops = {
	.struct_size = sizeof scripted_ops,
	.create = scripted_create,
	.destroy = scripted_destroy,
	.columns = scripted_columns_fn,
	.observe = scripted_observe,
	.finish = scripted_finish,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "scripted_phases", "writes a phases.txt chosen in advance (tests)",
		 &scripted_ops)
