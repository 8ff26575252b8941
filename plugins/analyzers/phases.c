/* phasepinn plugin — online detection of fitting, diffusion and diffusion
 * equilibrium from the gradient SNR (the detector is pp_phase_feed in
 * include/phasepinn/phases.h; rules in docs/analyzers.md).
 *
 * Columns: phase (0 fitting, 1 diffusion, 2 equilibrium), phase_snr (the
 * smoothed SNR the rules see), phase_diffusion_step, phase_equilibrium_step
 * (first steps, NaN until found), phase_holds (1 while the first equilibrium
 * has not been lost).  At the end, phases.txt in the run directory lists
 * every transition as `<phase> <step>`, like `phasepinn phases`.
 * Keys: chunks (100), mode (chunk | sample, as for snr), window (30),
 * hold (10), diffusion_below (1), equilibrium_above (0.3), jump_factor (3),
 * rise_window (10), rescale (true: the SNR is put at 256 points per chunk,
 * × √(256/m) for m = N/chunks, before the rules see it; phase_snr is that
 * level).
 */
#include <phasepinn/phasepinn.h>
#include <phasepinn/output.h>
#include <phasepinn/phases.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PHASES_MAGIC 0x32534850u   /* "PHS2": detector version 2 */

typedef struct phases {
	long chunks;
	int sample_mode;
	int rescale;
	const char *run_dir;
	pp_phase_detector detector;
} phases;

static const char *const phase_columns[] = {
	"phase", "phase_snr", "phase_diffusion_step", "phase_equilibrium_step", "phase_holds",
};

static int read_params(const pp_config *cfg, pp_phase_params *p, pp_error *err)
{
	int rc;

	pp_phase_params_default(p);
	rc = pp_config_long(cfg, "window", p->window, 1, 100000, &p->window, err);
	if (!rc)
		rc = pp_config_long(cfg, "hold", p->hold, 1, 100000, &p->hold, err);
	if (!rc)
		rc = pp_config_double(cfg, "diffusion_below", p->diffusion_below, 1e-12, 1e12,
				      &p->diffusion_below, err);
	if (!rc)
		rc = pp_config_double(cfg, "equilibrium_above", p->equilibrium_above, 1e-12, 1e12,
				      &p->equilibrium_above, err);
	if (!rc)
		rc = pp_config_double(cfg, "jump_factor", p->jump_factor, 1, 1e12, &p->jump_factor,
				      err);
	if (!rc)
		rc = pp_config_long(cfg, "rise_window", p->rise_window, 0, PP_PHASE_MAX_RISE,
				    &p->rise_window, err);
	if (!rc && pp_phase_params_check(p, err))
		rc = pp_config_error(err, PP_ERR_CONFIG, cfg, "%s", err->message);
	return rc;
}

static int phases_create(const pp_config *cfg, const pp_problem *problem, void **state,
			 pp_error *err)
{
	static const char *const modes[] = {"chunk", "sample", NULL};
	phases *p = calloc(1, sizeof *p);
	pp_phase_params params;
	int rc;

	if (!p)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "chunks", 100, 2, 1000000, &p->chunks, err);
	if (!rc)
		rc = pp_config_choice(cfg, "mode", "chunk", modes, &p->sample_mode, err);
	if (!rc)
		rc = pp_config_bool(cfg, "rescale", 1, &p->rescale, err);
	if (!rc)
		rc = read_params(cfg, &params, err);
	if (rc) {
		free(p);
		return rc;
	}
	p->run_dir = problem->run_dir;
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
	const phases *p = state;

	return p->sample_mode ? 0 : (int)p->chunks;
}

static int phases_columns(void *state, const char *const **names, int *count)
{
	(void)state;
	*names = phase_columns;
	*count = 5;
	return PP_OK;
}

/* √(256/m) for m points per chunk of the interior term (1 without rescale):
 * the SNR grows like √m, and the rules' thresholds hold at m = 256. */
static double level_scale(const phases *p, const pp_step_view *view)
{
	double n = 0, m;

	if (!p->rescale)
		return 1;
	for (int k = 0; k < view->n_terms; k++)
		if (view->terms[k].interior) {
			n = (double)pp_view_points(view, k);
			break;
		}
	m = p->sample_mode ? 1 : n / view->chunks->n_chunks;
	return m > 0 ? sqrt(PP_PHASE_CHUNK_POINTS / m) : 1;
}

static int phases_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	phases *p = state;
	pp_phase_detector *d = &p->detector;
	double mu, sigma;

	if (pp_chunk_snr(view->chunks, view->net, -1, &mu, &sigma))
		return pp_error_set(err, PP_ERR_STATE, "phases: no chunk statistics this step");
	pp_phase_feed(d, view->step, level_scale(p, view) * mu, sigma);
	values[0] = d->phase;
	values[1] = d->snr;
	values[2] = d->diffusion_step >= 0 ? (double)d->diffusion_step : NAN;
	values[3] = d->equilibrium_step >= 0 ? (double)d->equilibrium_step : NAN;
	values[4] = d->equilibrium_holds;
	return PP_OK;
}

/* phases.txt: the transitions, one `<phase> <step>` line each. */
static int phases_finish(void *state, const pp_step_view *view, pp_error *err)
{
	const phases *p = state;
	char path[4096];
	pp_atomic_file af;
	int rc;

	(void)view;
	if (!p->run_dir)
		return PP_OK;
	rc = pp_path_join(path, sizeof path, p->run_dir, PP_RUN_PHASES, err);
	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	if (pp_phase_write_transitions(&p->detector, af.f)) {
		pp_atomic_abort(&af);
		return pp_error_set(err, PP_ERR_IO, "phases: cannot write %s", path);
	}
	return pp_atomic_commit(&af, err);
}

/* Checkpoint: magic, size of the detector, the detector (plain data), then
 * whether its samples were rescaled (rule 0).  A checkpoint without that
 * last word comes from before rule 0: the run continues unscaled, as it
 * began, rather than see its level jump by √(256/m) at the resume. */
static int phases_save(void *state, void *buf, size_t *size, pp_error *err)
{
	const phases *p = state;
	uint32_t head[2] = {PHASES_MAGIC, (uint32_t)sizeof p->detector};
	uint32_t rescaled = (uint32_t)p->rescale;
	size_t need = sizeof head + sizeof p->detector + sizeof rescaled;

	if (buf && *size < need)
		return pp_error_set(err, PP_ERR_INVALID, "phases: checkpoint buffer too small");
	*size = need;
	if (buf) {
		memcpy(buf, head, sizeof head);
		memcpy((char *)buf + sizeof head, &p->detector, sizeof p->detector);
		memcpy((char *)buf + sizeof head + sizeof p->detector, &rescaled, sizeof rescaled);
	}
	return PP_OK;
}

static int phases_load(void *state, const void *buf, size_t size, pp_error *err)
{
	phases *p = state;
	pp_phase_detector saved;
	uint32_t head[2], rescaled = 0;
	size_t legacy = sizeof head + sizeof p->detector;

	if (size != legacy && size != legacy + sizeof rescaled)
		return pp_error_set(err, PP_ERR_INVALID, "phases: checkpoint of the wrong size");
	if (size > legacy) {
		memcpy(&rescaled, (const char *)buf + legacy, sizeof rescaled);
		if (rescaled > 1)
			return pp_error_set(err, PP_ERR_INVALID,
					    "phases: checkpoint with a rescale flag of %u", rescaled);
	}
	memcpy(head, buf, sizeof head);
	if (head[0] != PHASES_MAGIC || head[1] != sizeof p->detector)
		return pp_error_set(err, PP_ERR_INVALID,
				    "phases: checkpoint from another version of the detector");
	memcpy(&saved, (const char *)buf + sizeof head, sizeof saved);
	if (pp_phase_detector_check(&saved, err) != PP_OK)
		return pp_error_prefix(err, "phases: checkpoint");
	if (memcmp(&saved.p, &p->detector.p, sizeof saved.p) != 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "phases: checkpoint of a detector with other parameters");
	p->detector = saved;
	p->rescale = (int)rescaled;
	return PP_OK;
}

static const pp_analyzer_ops phases_ops = {
	.struct_size = sizeof phases_ops,
	.create = phases_create,
	.destroy = phases_destroy,
	.needs = phases_needs,
	.columns = phases_columns,
	.observe = phases_observe,
	.finish = phases_finish,
	.save = phases_save,
	.load = phases_load,
	.chunk_count = phases_chunk_count,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "phases",
		 "online detection of fitting, diffusion and diffusion equilibrium from the SNR",
		 &phases_ops)
