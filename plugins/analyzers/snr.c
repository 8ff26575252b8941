/* phasepinn plugin — gradient signal-to-noise ratio (docs/analyzers.md,
 * "snr"; after the authors' utils/snr.py).
 *
 * The trainer cuts the interior points into K chunks (default 100) and sums,
 * per parameter, the chunk gradients g_k and their squares in the same
 * backward pass as the training step.  Over the weight matrices (biases
 * excluded): μ = mean_k g_k, σ = population std of g_k;
 *   snr = ‖μ‖/‖σ‖,  phi = ‖μ‖/√(‖μ‖² + ‖σ‖²)  (so snr = φ/√(1 − φ²)),
 * whole network and per layer (snr_l1 ... for each dense layer).
 * Keys: chunks (100); mode: chunk | sample (sample: per-point gradients,
 * K = N, which the trainer computes one point at a time).
 */
#include <phasepinn/phasepinn.h>
#include <phasepinn/phases.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_LAYER_COLUMNS 64

typedef struct snr {
	long chunks;
	int sample_mode;
	int n_layers;
	int n_columns;
	const char *names[4 + MAX_LAYER_COLUMNS];
	char layer_names[MAX_LAYER_COLUMNS][24];
} snr;

static int snr_create(const pp_config *cfg, const pp_problem *problem, void **state,
		      pp_error *err)
{
	static const char *const modes[] = {"chunk", "sample", NULL};
	snr *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_long(cfg, "chunks", 100, 2, 1000000, &s->chunks, err);
	if (!rc)
		rc = pp_config_choice(cfg, "mode", "chunk", modes, &s->sample_mode, err);
	if (rc) {
		free(s);
		return rc;
	}
	s->n_layers = pp_network_layer_count(problem->net);
	if (s->n_layers > MAX_LAYER_COLUMNS)
		s->n_layers = MAX_LAYER_COLUMNS;
	s->names[0] = "snr";
	s->names[1] = "snr_mu";
	s->names[2] = "snr_sigma";
	s->names[3] = "snr_phi";
	for (int l = 0; l < s->n_layers; l++) {
		snprintf(s->layer_names[l], sizeof s->layer_names[l], "snr_l%d", l + 1);
		s->names[4 + l] = s->layer_names[l];
	}
	s->n_columns = 4 + s->n_layers;
	*state = s;
	return PP_OK;
}

static void snr_destroy(void *state)
{
	free(state);
}

static unsigned snr_needs(void *state)
{
	(void)state;
	return PP_NEED_CHUNK_STATS;
}

static int snr_chunk_count(void *state)
{
	const snr *s = state;

	return s->sample_mode ? 0 : (int)s->chunks;
}

static int snr_columns(void *state, const char *const **names, int *count)
{
	snr *s = state;

	*names = s->names;
	*count = s->n_columns;
	return PP_OK;
}

/* SNR = ‖μ‖/‖σ‖ (NaN when σ = 0: every chunk agrees, the ratio is undefined). */
static double ratio(double mu, double sigma)
{
	return sigma > 0 ? mu / sigma : NAN;
}

static int snr_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	const snr *s = state;
	double mu, sigma;

	if (pp_chunk_snr(view->chunks, view->net, -1, &mu, &sigma))
		return pp_error_set(err, PP_ERR_STATE, "snr: no chunk statistics this step");
	values[0] = ratio(mu, sigma);
	values[1] = mu;
	values[2] = sigma;
	values[3] = mu > 0 || sigma > 0 ? mu / sqrt(mu * mu + sigma * sigma) : NAN;
	for (int l = 0; l < s->n_layers; l++) {
		pp_chunk_snr(view->chunks, view->net, l, &mu, &sigma);
		values[4 + l] = ratio(mu, sigma);
	}
	return PP_OK;
}

static const pp_analyzer_ops snr_ops = {
	.struct_size = sizeof snr_ops,
	.create = snr_create,
	.destroy = snr_destroy,
	.needs = snr_needs,
	.columns = snr_columns,
	.observe = snr_observe,
	.chunk_count = snr_chunk_count,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "snr",
		 "gradient SNR ||mu||/||sigma|| over chunk gradients, whole network and per layer",
		 &snr_ops)
