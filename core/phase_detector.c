/* phasepinn — gradient SNR from chunk statistics and the phase detector
 * (see include/phasepinn/phases.h; the rules and their defaults are argued
 * in docs/analyzers.md). */
#include <phasepinn/phases.h>

#include <limits.h>
#include <math.h>
#include <stdlib.h>
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
	p->window = 30;
	p->hold = 10;
	p->diffusion_below = 1.0;
	p->equilibrium_above = 0.3;
	p->jump_factor = 3.0;
	p->rise_window = 10;
}

int pp_phase_params_check(const pp_phase_params *p, pp_error *err)
{
	if (p->window < 1 || p->hold < 1 || p->rise_window < 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "phase detector: window and hold are >= 1 sample, rise_window >= 0");
	if (p->window > PP_PHASE_MAX_RISE || p->hold > PP_PHASE_MAX_RISE ||
	    p->rise_window > PP_PHASE_MAX_RISE ||
	    2 * p->window + p->rise_window + p->hold > PP_PHASE_MAX_RISE)
		return pp_error_set(err, PP_ERR_INVALID,
				    "phase detector: 2·window + rise_window + hold (%ld) is at most %d samples",
				    2 * p->window + p->rise_window + p->hold, PP_PHASE_MAX_RISE);
	if (!(p->diffusion_below > 0 && p->diffusion_below < 1e300) ||
	    !(p->equilibrium_above > 0 && p->equilibrium_above < 1e300))
		return pp_error_set(err, PP_ERR_INVALID,
				    "phase detector: diffusion_below (%g) and equilibrium_above (%g) are positive numbers",
				    p->diffusion_below, p->equilibrium_above);
	if (!(p->jump_factor > 1 && p->jump_factor < 1e300))
		return pp_error_set(err, PP_ERR_INVALID,
				    "phase detector: jump_factor (%g) is more than 1", p->jump_factor);
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
	d->diffusion_level = NAN;
	d->equilibrium_level = NAN;
	d->fitting_peak = -INFINITY;
	d->run_start = -1;
	d->raw_cross = -1;
	d->prev_raw = NAN;
}

/* The i-th newest sample (i = 0: the last one). */
static double sample_at(const pp_phase_detector *d, long i)
{
	return d->recent[(d->recent_count - 1 - i) % PP_PHASE_MAX_RISE];
}

static long step_at(const pp_phase_detector *d, long i)
{
	return d->recent_step[(d->recent_count - 1 - i) % PP_PHASE_MAX_RISE];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Interquartile mean of the @n samples ending @back samples before the
 * newest: the mean of what is left after a quarter of them (rounded down)
 * is dropped at each end.  Spikes and dips filling less than a quarter of
 * the window move it by nothing beyond their rank. */
static double level(const pp_phase_detector *d, long back, long n)
{
	double v[PP_PHASE_MAX_RISE], sum = 0;
	long lo = n / 4, hi = n - n / 4;

	for (long i = 0; i < n; i++)
		v[i] = sample_at(d, back + i);
	qsort(v, (size_t)n, sizeof v[0], cmp_double);
	for (long i = lo; i < hi; i++)
		sum += v[i];
	return sum / (double)(hi - lo);
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

/* The weight of the i-th newest sample in dating: the steps since the
 * sample before it (the next one's gap for the oldest sample kept), at
 * most twice the newest gap.  A curve sampled every 2 steps early and every
 * 100 later is so dated in steps, not in samples, while a long pause in
 * the record (a resumed run, an excerpt) counts as two samples.  Uniform
 * sampling gives every sample the same weight. */
static double weight_at(const pp_phase_detector *d, long i, long n)
{
	long cap = n > 1 ? 2 * (step_at(d, 0) - step_at(d, 1)) : 1;
	long gap = i + 1 < n ? step_at(d, i) - step_at(d, i + 1)
			     : (i > 0 ? step_at(d, i - 1) - step_at(d, i) : 1);

	if (gap > cap)
		gap = cap;
	return gap > 0 ? (double)gap : 1.0;
}

/* Where a confirmed change of level happened: among the last @span samples,
 * the split into an older and a newer part whose weighted means differ most
 * in the direction from @from (log of the level before) to the level of the
 * newer half of the span, times √(w_old·w_new/w_total) (the two-sample
 * statistic of a step).  Samples are first clipped to the interval between
 * the two levels, so a spike counts as one sample of the other level and no
 * more.  Returns the step of the first sample of the newer part, never
 * before the last transition. */
static long change_step(const pp_phase_detector *d, long span, double from)
{
	double to = level(d, 0, (span + 1) / 2);
	long n = d->recent_count < PP_PHASE_MAX_RISE ? d->recent_count : PP_PHASE_MAX_RISE;
	double lo = from < to ? from : to, hi = from < to ? to : from;
	double sign = to > from ? 1 : -1, total = 0, w_total = 0, older = 0, w_older = 0;
	double best = -INFINITY;
	long at = 0, last;

	for (long i = 0; i < span; i++) {
		double x = sample_at(d, i), w = weight_at(d, i, n);
		total += w * (x < lo ? lo : x > hi ? hi : x);
		w_total += w;
	}
	/* split k: samples span−1 … k older, k−1 … 0 newer */
	for (long k = span - 1; k >= 1; k--) {
		double x = sample_at(d, k), w = weight_at(d, k, n), w_newer, score;

		older += w * (x < lo ? lo : x > hi ? hi : x);
		w_older += w;
		w_newer = w_total - w_older;
		score = sign * ((total - older) / w_newer - older / w_older) *
			sqrt(w_older * w_newer / w_total);
		if (score > best) {
			best = score;
			at = k - 1;
		}
	}
	last = d->n_transitions > 0 ? d->transitions[(d->n_transitions < PP_PHASE_MAX_TRANSITIONS
						       ? d->n_transitions : PP_PHASE_MAX_TRANSITIONS) - 1].step
				    : LONG_MIN;
	return step_at(d, at) > last ? step_at(d, at) : last;
}

static void enter(pp_phase_detector *d, pp_phase phase, long step)
{
	if (d->n_transitions < PP_PHASE_MAX_TRANSITIONS)
		d->transitions[d->n_transitions] = (pp_phase_transition){phase, step};
	d->n_transitions++;
	d->phase = phase;
	d->run = 0;
	d->prev_raw = NAN;
}

static int valid_phase(pp_phase phase)
{
	return phase == PP_PHASE_FITTING || phase == PP_PHASE_DIFFUSION ||
	       phase == PP_PHASE_EQUILIBRIUM;
}

int pp_phase_detector_check(const pp_phase_detector *d, pp_error *err)
{
	int rc = pp_phase_params_check(&d->p, err), stored;
	long kept;

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
	/* the steps kept in the ring increase (pp_phase_feed is fed so) and are
	 * small enough for their differences to be computed */
	kept = d->recent_count < PP_PHASE_MAX_RISE ? d->recent_count : PP_PHASE_MAX_RISE;
	for (long i = 0; i < kept; i++)
		if (step_at(d, i) <= -(1L << 52) || step_at(d, i) >= (1L << 52) ||
		    (i + 1 < kept && step_at(d, i) < step_at(d, i + 1)))
			return pp_error_set(err, PP_ERR_INVALID,
					    "phase detector: the steps of the recent samples do not increase");
	stored = d->n_transitions < PP_PHASE_MAX_TRANSITIONS ? d->n_transitions
							     : PP_PHASE_MAX_TRANSITIONS;
	for (int i = 0; i < stored; i++)
		if (!valid_phase(d->transitions[i].phase) ||
		    (i > 0 && d->transitions[i].step < d->transitions[i - 1].step))
			return pp_error_set(err, PP_ERR_INVALID,
					    "phase detector: transition %d is out of range or order", i);
	return PP_OK;
}

/* Fitting → diffusion: the level stays below diffusion_below and at least
 * jump_factor below the highest level of the fitting phase (a curve that
 * starts low and stays there had no fitting phase to collapse from). */
static void from_fitting(pp_phase_detector *d, long step, long n)
{
	double now = log(d->snr), drop = log(d->p.jump_factor);

	if (now >= log(d->p.diffusion_below))
		d->fitting_seen = 1;
	if (now > d->fitting_peak)
		d->fitting_peak = now;
	if (sustained(d, now < log(d->p.diffusion_below) && now <= d->fitting_peak - drop, step)) {
		long span = n < 2 * d->p.window + d->p.rise_window ? n
								   : 2 * d->p.window + d->p.rise_window;
		double before = level(d, span - (span + 1) / 2, (span + 1) / 2);
		long at = change_step(d, span, before > now + drop ? before : now + drop);

		if (d->diffusion_step < 0)
			d->diffusion_step = at;
		enter(d, PP_PHASE_DIFFUSION, at);
	}
}

/* Diffusion → equilibrium: the level rose jump_factor-fold from the level
 * of the window that ended rise_window samples before the current one, to
 * at least equilibrium_above, and kept doing so for hold samples. */
static void from_diffusion(pp_phase_detector *d, long step, long n)
{
	long W = d->p.window, gap = d->p.rise_window;
	double now = log(d->snr), before = NAN;
	int jump = 0;

	/* the older window may be partial early in a run, but not less than
	 * half full */
	if (n - W - gap >= (W + 1) / 2) {
		before = level(d, W + gap, n - W - gap < W ? n - W - gap : W);
		jump = now - before >= log(d->p.jump_factor) &&
		       now >= log(d->p.equilibrium_above);
	}
	if (jump && d->run == 0)
		d->prev_raw = before;
	if (sustained(d, jump, step)) {
		long span = 2 * W + gap + d->run - 1;
		long at = change_step(d, span < n ? span : n, d->prev_raw);

		d->diffusion_level = exp(d->prev_raw);
		d->equilibrium_level = d->snr;
		if (d->equilibrium_step < 0) {
			d->equilibrium_step = at;
			d->equilibrium_holds = 1;
		}
		enter(d, PP_PHASE_EQUILIBRIUM, at);
	}
}

/* Equilibrium → diffusion (a relapse): the level is back below
 * √jump_factor times the level the jump rose from, for hold samples. */
static void from_equilibrium(pp_phase_detector *d, long step, long n)
{
	double line = log(d->diffusion_level) + 0.5 * log(d->p.jump_factor);
	double now = log(d->snr);

	if (sustained(d, now < line, step)) {
		long span = 2 * d->p.window + d->p.rise_window + d->p.hold - 1;
		long at = change_step(d, span < n ? span : n, log(d->equilibrium_level));

		d->equilibrium_holds = 0;
		enter(d, PP_PHASE_DIFFUSION, at);
	}
}

pp_phase pp_phase_feed(pp_phase_detector *d, long step, double mu, double sigma)
{
	long n;

	if (!(mu > 0) || !(sigma > 0) || !isfinite(mu) || !isfinite(sigma))
		return d->phase;
	d->log_mu = log(mu);
	d->log_sigma = log(sigma);
	d->recent[d->recent_count % PP_PHASE_MAX_RISE] = d->log_mu - d->log_sigma;
	d->recent_step[d->recent_count % PP_PHASE_MAX_RISE] = step;
	d->recent_count++;
	d->samples++;
	n = d->recent_count < PP_PHASE_MAX_RISE ? d->recent_count : PP_PHASE_MAX_RISE;
	d->snr = exp(level(d, 0, n < d->p.window ? n : d->p.window));

	switch (d->phase) {
	case PP_PHASE_FITTING:
		from_fitting(d, step, n);
		break;
	case PP_PHASE_DIFFUSION:
		from_diffusion(d, step, n);
		break;
	case PP_PHASE_EQUILIBRIUM:
		from_equilibrium(d, step, n);
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
