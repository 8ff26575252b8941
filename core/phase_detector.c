/* phasepinn — gradient SNR from chunk statistics and the phase detector
 * (see include/phasepinn/phases.h; the rules and their defaults are argued
 * in docs/analyzers.md). */
#include <phasepinn/phases.h>

#include <math.h>
#include <string.h>

int pp_chunk_snr(const pp_chunk_stats *chunks, const pp_network *net, int layer,
		 double *mu_norm, double *sigma_norm)
{
	int L = pp_network_layer_count(net);
	double K, mu2 = 0, var = 0;

	if (!chunks || chunks->n_chunks < 1 || !chunks->sum || !chunks->sumsq || layer >= L)
		return PP_ERR_INVALID;
	K = (double)chunks->n_chunks;
	for (int l = layer < 0 ? 0 : layer; l < (layer < 0 ? L : layer + 1); l++) {
		pp_layer_view v;
		pp_network_layer(net, l, &v);
		size_t end = v.weight_offset + (size_t)v.fan_in * (size_t)v.fan_out;
		for (size_t j = v.weight_offset; j < end; j++) {
			double m = chunks->sum[j] / K;
			double s2 = chunks->sumsq[j] / K - m * m;
			mu2 += m * m;
			var += s2 > 0 ? s2 : 0;   /* rounding can make it slightly negative */
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
	p->rise_window = 30;
}

int pp_phase_params_check(const pp_phase_params *p, pp_error *err)
{
	if (p->window < 1 || p->hold < 1)
		return pp_error_set(err, PP_ERR_INVALID, "phase detector: window and hold are >= 1 sample");
	if (!(p->diffusion_below > 0) || !(p->equilibrium_above > p->diffusion_below))
		return pp_error_set(err, PP_ERR_INVALID,
				    "phase detector: need 0 < diffusion_below (%g) < equilibrium_above (%g)",
				    p->diffusion_below, p->equilibrium_above);
	if (!(p->jump_factor >= 1))
		return pp_error_set(err, PP_ERR_INVALID, "phase detector: jump_factor is >= 1");
	if (p->rise_window != 0 && (p->rise_window <= p->hold || p->rise_window > PP_PHASE_MAX_RISE))
		return pp_error_set(err, PP_ERR_INVALID,
				    "phase detector: rise_window (%ld) is 0 or more than hold (%ld) and at most %d samples",
				    p->rise_window, p->hold, PP_PHASE_MAX_RISE);
	return PP_OK;
}

void pp_phase_init(pp_phase_detector *d, const pp_phase_params *params)
{
	memset(d, 0, sizeof *d);
	d->p = *params;
	d->snr = NAN;
	d->phase = PP_PHASE_FITTING;
	d->diffusion_step = -1;
	d->equilibrium_step = -1;
	d->diffusion_level = INFINITY;
	d->run_start = -1;
	d->raw_cross = -1;
	d->prev_raw = NAN;
}

/* Count consecutive samples meeting @cond; returns 1 once @hold is reached. */
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

/* Where the confirmed transition began: the smoothed curve lags the raw one
 * by a few samples, so the last crossing of the raw SNR at or before the
 * start of the confirming run, else that start. */
static long transition_step(const pp_phase_detector *d)
{
	return d->raw_cross >= 0 && d->raw_cross <= d->run_start ? d->raw_cross : d->run_start;
}

static void enter(pp_phase_detector *d, pp_phase phase, long step)
{
	if (d->n_transitions < PP_PHASE_MAX_TRANSITIONS)
		d->transitions[d->n_transitions] = (pp_phase_transition){phase, step};
	d->n_transitions++;
	d->phase = phase;
	d->run = 0;
	d->raw_cross = -1;
	d->prev_raw = NAN;
}

/* The level a jump into equilibrium is measured from: the lowest smoothed
 * SNR of the last rise_window samples (this one included), or of the whole
 * diffusion phase when rise_window is 0. */
static double jump_base(const pp_phase_detector *d)
{
	long n = d->recent_count < d->p.rise_window ? d->recent_count : d->p.rise_window;
	double lo = INFINITY;

	if (d->p.rise_window == 0)
		return d->diffusion_level;
	for (long i = 1; i <= n; i++) {
		double v = d->recent[(d->recent_count - i) % PP_PHASE_MAX_RISE];
		lo = v < lo ? v : lo;
	}
	return lo;
}

/* Remember the step of the raw SNR's last crossing of the line that dates
 * the next transition: down through diffusion_below, or up through
 * equilibrium_above while in diffusion. */
static void track_crossing(pp_phase_detector *d, long step, double raw)
{
	if (d->phase == PP_PHASE_DIFFUSION) {
		double t = d->p.equilibrium_above;
		if (raw >= t && !(d->prev_raw >= t))
			d->raw_cross = step;
	} else {
		double t = d->p.diffusion_below;
		if (raw < t && !(d->prev_raw < t))
			d->raw_cross = step;
	}
	d->prev_raw = raw;
}

static void smooth(pp_phase_detector *d, double mu, double sigma)
{
	double alpha = 2.0 / ((double)d->p.window + 1.0);

	if (d->samples++ == 0) {
		d->log_mu = log(mu);
		d->log_sigma = log(sigma);
	} else {
		d->log_mu += alpha * (log(mu) - d->log_mu);
		d->log_sigma += alpha * (log(sigma) - d->log_sigma);
	}
	d->snr = exp(d->log_mu - d->log_sigma);
	d->recent[d->recent_count++ % PP_PHASE_MAX_RISE] = d->snr;
}

static int valid_phase(pp_phase phase)
{
	return phase == PP_PHASE_FITTING || phase == PP_PHASE_DIFFUSION ||
	       phase == PP_PHASE_EQUILIBRIUM;
}

int pp_phase_detector_check(const pp_phase_detector *d, pp_error *err)
{
	int rc = pp_phase_params_check(&d->p, err), stored;

	if (rc)
		return rc;
	if (d->samples < 0 || d->recent_count < 0 || d->recent_count > d->samples || d->run < 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "phase detector: negative or inconsistent sample counts");
	if (!valid_phase(d->phase))
		return pp_error_set(err, PP_ERR_INVALID, "phase detector: unknown phase %d",
				    (int)d->phase);
	if ((d->equilibrium_holds != 0 && d->equilibrium_holds != 1) ||
	    (d->fitting_seen != 0 && d->fitting_seen != 1))
		return pp_error_set(err, PP_ERR_INVALID, "phase detector: flags out of range");
	if (d->n_transitions < 0)
		return pp_error_set(err, PP_ERR_INVALID, "phase detector: negative transition count");
	stored = d->n_transitions < PP_PHASE_MAX_TRANSITIONS ? d->n_transitions
							     : PP_PHASE_MAX_TRANSITIONS;
	for (int i = 0; i < stored; i++)
		if (!valid_phase(d->transitions[i].phase) ||
		    (i > 0 && d->transitions[i].step < d->transitions[i - 1].step))
			return pp_error_set(err, PP_ERR_INVALID,
					    "phase detector: transition %d is out of range or order", i);
	return PP_OK;
}

pp_phase pp_phase_feed(pp_phase_detector *d, long step, double mu, double sigma)
{
	if (!(mu > 0) || !(sigma > 0) || !isfinite(mu) || !isfinite(sigma))
		return d->phase;
	smooth(d, mu, sigma);
	track_crossing(d, step, mu / sigma);

	switch (d->phase) {
	case PP_PHASE_FITTING:
		/* a collapse needs a higher SNR before it */
		if (d->snr >= d->p.diffusion_below)
			d->fitting_seen = 1;
		if (sustained(d, d->fitting_seen && d->snr < d->p.diffusion_below, step)) {
			d->diffusion_step = transition_step(d);
			d->diffusion_level = d->snr;
			enter(d, PP_PHASE_DIFFUSION, d->diffusion_step);
		}
		break;
	case PP_PHASE_DIFFUSION:
		if (d->snr < d->diffusion_level)
			d->diffusion_level = d->snr;
		if (sustained(d, d->snr >= d->p.equilibrium_above &&
				      d->snr >= d->p.jump_factor * jump_base(d), step)) {
			long at = transition_step(d);
			if (d->equilibrium_step < 0) {
				d->equilibrium_step = at;
				d->equilibrium_holds = 1;
			}
			enter(d, PP_PHASE_EQUILIBRIUM, at);
		}
		break;
	case PP_PHASE_EQUILIBRIUM:
		/* lost: back below the diffusion line for a sustained run */
		if (sustained(d, d->snr < d->p.diffusion_below, step)) {
			d->equilibrium_holds = 0;
			d->diffusion_level = d->snr;
			enter(d, PP_PHASE_DIFFUSION, transition_step(d));
		}
		break;
	}
	return d->phase;
}

int pp_phase_write_transitions(const pp_phase_detector *d, FILE *f)
{
	int n = d->n_transitions < PP_PHASE_MAX_TRANSITIONS ? d->n_transitions
							    : PP_PHASE_MAX_TRANSITIONS;

	for (int i = 0; i < n; i++)
		fprintf(f, "%s %ld\n", pp_phase_name(d->transitions[i].phase), d->transitions[i].step);
	return ferror(f) ? PP_ERR_IO : PP_OK;
}
