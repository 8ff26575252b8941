/* phasepinn — gradient SNR and online detection of the learning phases.
 *
 * The phase-transition paper (Anagnostopoulos et al. 2025) sees three phases
 * in the gradient SNR = ‖μ‖/‖σ‖ of a PINN:
 *   fitting     SNR high: batch gradients agree;
 *   diffusion   SNR collapses ≪ 1: gradients are mostly noise;
 *   equilibrium an abrupt jump of SNR to order one, with stable convergence.
 * The detector below places those transitions from the SNR stream; the snr
 * and phases analyzers and `phasepinn phases FILE.csv` all use it.
 * Rules and defaults are explained in docs/analyzers.md.
 */
#ifndef PHASEPINN_PHASES_H
#define PHASEPINN_PHASES_H

#include <stddef.h>
#include <phasepinn/network.h>
#include <phasepinn/problem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ‖μ‖ and ‖σ‖ over the weight matrices (biases excluded) of @layer, or of
 * the whole network when layer < 0, from chunk sums (population std). */
int pp_chunk_snr(const pp_chunk_stats *chunks, const pp_network *net, int layer,
		 double *mu_norm, double *sigma_norm);

typedef enum pp_phase {
	PP_PHASE_FITTING = 0,
	PP_PHASE_DIFFUSION = 1,
	PP_PHASE_EQUILIBRIUM = 2
} pp_phase;

const char *pp_phase_name(pp_phase phase);

typedef struct pp_phase_params {
	long window;             /* EMA window of log μ and log σ, in samples (10) */
	long hold;               /* samples a condition must hold to count (5) */
	double diffusion_below;  /* smoothed SNR below this: diffusion (0.3) */
	double equilibrium_above;/* smoothed SNR at least this ... (0.5) */
	double jump_factor;      /* ... and this many times the diffusion level (3) */
} pp_phase_params;

void pp_phase_params_default(pp_phase_params *params);

typedef struct pp_phase_detector {
	pp_phase_params p;
	long samples;
	double log_mu, log_sigma;   /* smoothed */
	double snr;                 /* smoothed SNR, exp(log_mu − log_sigma) */
	pp_phase phase;
	long diffusion_step;        /* first step of diffusion, −1 if not (yet) */
	long equilibrium_step;      /* first step of equilibrium, −1 if not (yet) */
	int equilibrium_holds;      /* 1 while equilibrium has not been lost */
	double diffusion_level;     /* lowest smoothed SNR seen in diffusion */
	long run;                   /* consecutive samples meeting the next condition */
	long run_start;             /* step where that run began */
	long raw_cross;             /* last step the raw SNR crossed the threshold */
	double prev_raw;
} pp_phase_detector;

void pp_phase_init(pp_phase_detector *d, const pp_phase_params *params);
/* Feed one sample (mu, sigma > 0; an SNR alone is mu = snr, sigma = 1).
 * Returns the current phase.  Non-finite or non-positive samples are ignored. */
pp_phase pp_phase_feed(pp_phase_detector *d, long step, double mu, double sigma);

#ifdef __cplusplus
}
#endif
#endif
