/* phasepinn plugin — online detection of fitting, diffusion and diffusion
 * equilibrium from the gradient SNR (the detector is pp_phase_feed in
 * include/phasepinn/phases.h; rules in docs/analyzers.md).
 *
 * Columns: phase (0 fitting, 1 diffusion, 2 equilibrium), phase_snr (the
 * smoothed SNR the rules see), phase_diffusion_step, phase_equilibrium_step
 * (NaN until found), phase_holds (1 while equilibrium has not been lost).
 * Keys: chunks (100), window (10), hold (5), diffusion_below (0.3),
 * equilibrium_above (0.5), jump_factor (3).
 */
#include <phasepinn/phasepinn.h>
#include <phasepinn/phases.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct phases {
	long chunks;
	pp_phase_detector detector;
} phases;

static const char *const phase_columns[] = {
	"phase", "phase_snr", "phase_diffusion_step", "phase_equilibrium_step", "phase_holds",
};

static int phases_create(const pp_config *cfg, const pp_problem *problem, void **state,
			 pp_error *err)
{
	phases *p = calloc(1, sizeof *p);
	pp_phase_params params;
	int rc;

	(void)problem;
	if (!p)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	pp_phase_params_default(&params);
	rc = pp_config_long(cfg, "chunks", 100, 2, 1000000, &p->chunks, err);
	if (!rc)
		rc = pp_config_long(cfg, "window", params.window, 1, 100000, &params.window, err);
	if (!rc)
		rc = pp_config_long(cfg, "hold", params.hold, 1, 100000, &params.hold, err);
	if (!rc)
		rc = pp_config_double(cfg, "diffusion_below", params.diffusion_below, 1e-12, 1e12,
				      &params.diffusion_below, err);
	if (!rc)
		rc = pp_config_double(cfg, "equilibrium_above", params.equilibrium_above, 1e-12,
				      1e12, &params.equilibrium_above, err);
	if (!rc)
		rc = pp_config_double(cfg, "jump_factor", params.jump_factor, 1, 1e12,
				      &params.jump_factor, err);
	if (rc) {
		free(p);
		return rc;
	}
	pp_phase_init(&p->detector, &params);
	*state = p;
	return PP_OK;
}

static void phases_destroy(void *state)
{
	free(state);
}

static unsigned phases_needs(void *state)
{
	(void)state;
	return PP_NEED_CHUNK_STATS;
}

static int phases_chunk_count(void *state)
{
	return (int)((phases *)state)->chunks;
}

static int phases_columns(void *state, const char *const **names, int *count)
{
	(void)state;
	*names = phase_columns;
	*count = 5;
	return PP_OK;
}

static int phases_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	phases *p = state;
	pp_phase_detector *d = &p->detector;
	double mu, sigma;

	if (!view->chunks)
		return pp_error_set(err, PP_ERR_STATE, "phases: no chunk statistics this step");
	pp_chunk_snr(view->chunks, view->net, -1, &mu, &sigma);
	pp_phase_feed(d, view->step, mu, sigma);
	values[0] = d->phase;
	values[1] = d->snr;
	values[2] = d->diffusion_step >= 0 ? (double)d->diffusion_step : NAN;
	values[3] = d->equilibrium_step >= 0 ? (double)d->equilibrium_step : NAN;
	values[4] = d->equilibrium_holds;
	return PP_OK;
}

static int phases_save(void *state, void *buf, size_t *size, pp_error *err)
{
	(void)err;
	if (!buf) {
		*size = sizeof(pp_phase_detector);
		return PP_OK;
	}
	memcpy(buf, &((phases *)state)->detector, sizeof(pp_phase_detector));
	*size = sizeof(pp_phase_detector);
	return PP_OK;
}

static int phases_load(void *state, const void *buf, size_t size, pp_error *err)
{
	if (size != sizeof(pp_phase_detector))
		return pp_error_set(err, PP_ERR_INVALID, "phases: checkpoint of the wrong size");
	memcpy(&((phases *)state)->detector, buf, size);
	return PP_OK;
}

static const pp_analyzer_ops phases_ops = {
	.struct_size = sizeof phases_ops,
	.create = phases_create,
	.destroy = phases_destroy,
	.needs = phases_needs,
	.columns = phases_columns,
	.observe = phases_observe,
	.save = phases_save,
	.load = phases_load,
	.chunk_count = phases_chunk_count,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "phases",
		 "online detection of fitting, diffusion and diffusion equilibrium from the SNR",
		 &phases_ops)
