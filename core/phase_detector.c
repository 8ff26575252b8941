/* phasepinn — gradient SNR from chunk statistics and the phase detector
 * (see include/phasepinn/phases.h and docs/analyzers.md). */
#include <phasepinn/phases.h>

#include <math.h>

int pp_chunk_snr(const pp_chunk_stats *chunks, const pp_network *net, int layer,
		 double *mu_norm, double *sigma_norm)
{
	int L = pp_network_layer_count(net);
	double K = (double)chunks->n_chunks, mu2 = 0, var = 0;

	if (!chunks || chunks->n_chunks < 1 || layer >= L)
		return PP_ERR_INVALID;
	for (int l = layer < 0 ? 0 : layer; l < (layer < 0 ? L : layer + 1); l++) {
		pp_layer_view v;
		pp_network_layer(net, l, &v);
		size_t end = v.weight_offset + (size_t)v.fan_in * (size_t)v.fan_out;
		for (size_t j = v.weight_offset; j < end; j++) {
			double m = chunks->sum[j] / K;
			double s2 = chunks->sumsq[j] / K - m * m;
			mu2 += m * m;
			var += s2 > 0 ? s2 : 0;
		}
	}
	*mu_norm = sqrt(mu2);
	*sigma_norm = sqrt(var);
	return PP_OK;
}

const char *pp_phase_name(pp_phase phase)
{
	switch (phase) {
	case PP_PHASE_FITTING: return "fitting";
	case PP_PHASE_DIFFUSION: return "diffusion";
	case PP_PHASE_EQUILIBRIUM: return "equilibrium";
	}
	return "unknown";
}

void pp_phase_params_default(pp_phase_params *p)
{
	p->window = 10;
	p->hold = 5;
	p->diffusion_below = 0.3;
	p->equilibrium_above = 0.5;
	p->jump_factor = 3.0;
}

void pp_phase_init(pp_phase_detector *d, const pp_phase_params *params)
{
	d->p = *params;
	d->samples = 0;
	d->log_mu = d->log_sigma = 0;
	d->snr = NAN;
	d->phase = PP_PHASE_FITTING;
	d->diffusion_step = -1;
	d->equilibrium_step = -1;
	d->equilibrium_holds = 0;
	d->diffusion_level = INFINITY;
	d->run = 0;
	d->run_start = -1;
	d->raw_cross = -1;
	d->prev_raw = NAN;
}

/* Count consecutive samples meeting @cond; returns 1 once @hold is reached.
 * The transition is dated at the last crossing of the raw SNR before the
 * confirmation (the smoothed curve lags it), or the run's start. */
static int sustained(pp_phase_detector *d, int cond, long step)
{
	if (!cond) {
		d->run = 0;
		return 0;
	}
	if (d->run++ == 0)
		d->run_start = step;
	return d->run >= d->p.hold;
}

static long transition_step(const pp_phase_detector *d)
{
	return d->raw_cross >= 0 && d->raw_cross <= d->run_start ? d->raw_cross : d->run_start;
}

pp_phase pp_phase_feed(pp_phase_detector *d, long step, double mu, double sigma)
{
	double alpha = 2.0 / ((double)d->p.window + 1.0), raw, threshold;

	if (!(mu > 0) || !(sigma > 0) || !isfinite(mu) || !isfinite(sigma))
		return d->phase;
	raw = mu / sigma;
	if (d->samples++ == 0) {
		d->log_mu = log(mu);
		d->log_sigma = log(sigma);
	} else {
		d->log_mu += alpha * (log(mu) - d->log_mu);
		d->log_sigma += alpha * (log(sigma) - d->log_sigma);
	}
	d->snr = exp(d->log_mu - d->log_sigma);

	/* the threshold whose raw crossing dates the next transition */
	threshold = d->phase == PP_PHASE_DIFFUSION
			    ? fmax(d->p.equilibrium_above, d->p.jump_factor * d->diffusion_level)
			    : d->p.diffusion_below;
	if (d->phase == PP_PHASE_DIFFUSION ? (raw >= threshold && !(d->prev_raw >= threshold))
					   : (raw < threshold && !(d->prev_raw < threshold)))
		d->raw_cross = step;
	d->prev_raw = raw;

	switch (d->phase) {
	case PP_PHASE_FITTING:
		if (sustained(d, d->snr < d->p.diffusion_below, step)) {
			d->phase = PP_PHASE_DIFFUSION;
			d->diffusion_step = transition_step(d);
			d->diffusion_level = d->snr;
			d->run = 0;
			d->raw_cross = -1;
			d->prev_raw = NAN;
		}
		break;
	case PP_PHASE_DIFFUSION:
		if (d->snr < d->diffusion_level)
			d->diffusion_level = d->snr;
		if (sustained(d, d->snr >= d->p.equilibrium_above &&
				      d->snr >= d->p.jump_factor * d->diffusion_level, step)) {
			d->phase = PP_PHASE_EQUILIBRIUM;
			if (d->equilibrium_step < 0)
				d->equilibrium_step = transition_step(d);
			d->equilibrium_holds = 1;
			d->run = 0;
			d->raw_cross = -1;
			d->prev_raw = NAN;
		}
		break;
	case PP_PHASE_EQUILIBRIUM:
		/* lost: back below the diffusion line for a sustained run */
		if (sustained(d, d->snr < d->p.diffusion_below, step)) {
			d->phase = PP_PHASE_DIFFUSION;
			d->equilibrium_holds = 0;
			d->diffusion_level = d->snr;
			d->run = 0;
		}
		break;
	}
	return d->phase;
}
