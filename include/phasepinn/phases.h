/* phasepinn — gradient SNR and online detection of the learning phases.
 *
 * The phase-transition paper (Anagnostopoulos et al. 2025) sees three phases
 * in the gradient SNR = ‖μ‖/‖σ‖ of a PINN:
 *   fitting     SNR high: batch gradients agree;
 *   diffusion   SNR collapses ≪ 1: gradients are mostly noise;
 *   equilibrium an abrupt jump of SNR to order one, with stable convergence.
 * The detector below places those transitions from the SNR stream; the
 * phases analyzer and `phasepinn phases FILE.csv` use it.  It compares
 * robust levels (interquartile means of log SNR) of two windows, so that
 * isolated spikes and dips move nothing; rules and defaults are explained
 * and measured in docs/analyzers.md.
 */
#ifndef PHASEPINN_PHASES_H
#define PHASEPINN_PHASES_H

#include <stddef.h>
#include <stdio.h>
#include <phasepinn/error.h>
#include <phasepinn/network.h>
#include <phasepinn/problem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ‖μ‖ and ‖σ‖ over the weight matrices (biases excluded) of @layer, or of
 * the whole network when layer < 0, from chunk sums: per weight entry
 * μ = sum/K, σ² = max(sumsq/K − μ², 0) (population variance).  SNR is
 * ‖μ‖/‖σ‖ and φ = ‖μ‖/√(‖μ‖² + ‖σ‖²).  PP_ERR_INVALID (outputs untouched)
 * for missing statistics or a layer out of range. */
int pp_chunk_snr(const pp_chunk_stats *chunks, const pp_network *net, int layer,
		 double *mu_norm, double *sigma_norm);

typedef enum pp_phase {
	PP_PHASE_FITTING = 0,
	PP_PHASE_DIFFUSION = 1,
	PP_PHASE_EQUILIBRIUM = 2
} pp_phase;

/* "fitting", "diffusion" or "equilibrium" (static strings). */
const char *pp_phase_name(pp_phase phase);

typedef struct pp_phase_params {
	long window;             /* samples in each of the two windows whose
				    interquartile means of log SNR are the
				    levels compared (30) */
	long hold;               /* consecutive samples a comparison must pass
				    to count (10) */
	double diffusion_below;  /* level below this: diffusion (1) */
	double equilibrium_above;/* level reached by a jump at least this (0.3) */
	double jump_factor;      /* rise of the level that makes a jump, and
				    whose square root above the level jumped
				    from ends an equilibrium (3) */
	long rise_window;        /* samples between the two windows: the time
				    the jump may take (10); 2·window +
				    rise_window + hold <= PP_PHASE_MAX_RISE */
} pp_phase_params;

/* The defaults above (justified in docs/analyzers.md). */
void pp_phase_params_default(pp_phase_params *params);

#define PP_PHASE_MAX_RISE 256
#define PP_PHASE_MAX_TRANSITIONS 32

/* One change of phase: the phase entered and the step it began at. */
typedef struct pp_phase_transition {
	pp_phase phase;
	long step;
} pp_phase_transition;

/* Plain data (no pointers), so a checkpoint may store it as bytes.  The
 * level is the interquartile mean of log SNR over the last `window`
 * samples; "level" below means exp of it, an SNR. */
typedef struct pp_phase_detector {
	pp_phase_params p;
	long samples;
	double log_mu, log_sigma;   /* of the last sample */
	double snr;                 /* the current level */
	pp_phase phase;
	long diffusion_step;        /* first step of diffusion, −1 if not (yet) */
	long equilibrium_step;      /* first step of equilibrium, −1 if not (yet) */
	int equilibrium_holds;      /* 1 while in the first equilibrium reached:
				       0 once it fell back into diffusion */
	double diffusion_level;     /* level the last jump into equilibrium rose
				       from (NaN before one) */
	long run;                   /* consecutive samples meeting the next condition */
	long run_start;             /* step where that run began */
	long raw_cross;             /* unused (kept for the layout) */
	double prev_raw;            /* log of the level the pending run is
				       measured from */
	int fitting_seen;           /* the level has been >= diffusion_below */
	long recent_count;          /* samples pushed into the ring buffers */
	double recent[PP_PHASE_MAX_RISE];   /* log SNR of the last samples */
	int n_transitions;          /* all transitions; the first
				       PP_PHASE_MAX_TRANSITIONS are stored */
	pp_phase_transition transitions[PP_PHASE_MAX_TRANSITIONS];
	/* appended in detector version 2 */
	long recent_step[PP_PHASE_MAX_RISE];  /* their steps */
	double equilibrium_level;   /* level when the last equilibrium was
				       confirmed (NaN before one) */
	double fitting_peak;        /* log of the highest level before the first
				       diffusion (−inf before a sample) */
} pp_phase_detector;

/* Parameters that make sense together: PP_OK, or PP_ERR_INVALID naming the
 * parameter in @err. */
int pp_phase_params_check(const pp_phase_params *params, pp_error *err);
/* A detector state read back from bytes (a checkpoint) is one the code can
 * continue from: valid parameters, phases in range, counts and the ring
 * buffer's position not negative, the steps of the samples in the ring
 * increasing and below 2^52 in magnitude, stored transitions in order.
 * PP_OK, or PP_ERR_INVALID naming the field. */
int pp_phase_detector_check(const pp_phase_detector *d, pp_error *err);
/* Start a detector in the fitting phase with no samples. */
void pp_phase_init(pp_phase_detector *d, const pp_phase_params *params);
/* Feed one sample (mu, sigma > 0; an SNR alone is mu = snr, sigma = 1) at
 * @step (increasing).  Returns the current phase; a change appends to
 * d->transitions.  Non-finite or non-positive samples are ignored. */
pp_phase pp_phase_feed(pp_phase_detector *d, long step, double mu, double sigma);
/* One line "<phase> <step>" per stored transition, in order (the format of
 * `phasepinn phases`); nothing when none was found.  Returns PP_OK or
 * PP_ERR_IO. */
int pp_phase_write_transitions(const pp_phase_detector *d, FILE *f);

/* Feed the SNR curve in the CSV text @f to @d (initialised by the caller).
 * The first line is a header naming the step column `iteration` (or `step`)
 * and the signal: `snr`, or `mu` and `sigma` (also `snr_mu`, `snr_sigma`, as
 * metrics.csv names them); spaces and quotes around names are ignored, other
 * columns too (only the first 4096 are looked at).  Rows that are blank or
 * whose signal cells are empty are skipped.  Returns PP_OK; PP_ERR_CONFIG
 * for a missing header, a short row, a step that is not an integer, a cell
 * that is not a number or a NUL byte, with "@name:line: what" in @err;
 * PP_ERR_IO or PP_ERR_NOMEM when reading fails.  Rows before an error have
 * been fed. */
int pp_phase_read_csv(FILE *f, const char *name, pp_phase_detector *d, pp_error *err);
/* The same with every SNR multiplied by @scale (> 0) before it is fed. */
int pp_phase_read_csv_scaled(FILE *f, const char *name, double scale, pp_phase_detector *d,
			     pp_error *err);

/* The chunk size the detector's thresholds are calibrated at: the authors'
 * 25,600 points in 100 chunks.  The SNR grows like the square root of the
 * points per chunk (σ is the spread of chunk means), so a curve measured
 * with m points per chunk is put there by the factor √(PP_PHASE_CHUNK_POINTS
 * / m) (docs/analyzers.md, "The level depends on the chunk size"). */
#define PP_PHASE_CHUNK_POINTS 256.0

#ifdef __cplusplus
}
#endif
#endif
