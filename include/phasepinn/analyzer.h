/* phasepinn — analyzer plugins: quantities measured while training.
 *
 * An analyzer declares metric columns; every `every` steps (a YAML key the
 * core reads, default 100) observe() fills one value per column, and the core
 * writes them into the run's metrics.csv.  finish() may write the analyzer's
 * own files into the run directory at the end.
 *
 * YAML:
 *   analyzers:
 *     - type: snr
 *       every: 10
 */
#ifndef PHASEPINN_ANALYZER_H
#define PHASEPINN_ANALYZER_H

#include <stddef.h>
#include <stdint.h>
#include <phasepinn/config.h>
#include <phasepinn/error.h>
#include <phasepinn/problem.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pp_analyzer_ops {
	uint32_t struct_size;
	int (*create)(const pp_config *cfg, const pp_problem *problem, void **state,
		      pp_error *err);
	void (*destroy)(void *state);
	/* PP_NEED_* flags (NULL: none). */
	unsigned (*needs)(void *state);
	/* Column names, fixed after create(); storage owned by the plugin. */
	int (*columns)(void *state, const char *const **names, int *count);
	/* values[count]; NAN where a value is undefined. */
	int (*observe)(void *state, const pp_step_view *view, double *values,
		       pp_error *err);
	/* Optional: end of the run; write own files under problem->run_dir. */
	int (*finish)(void *state, const pp_step_view *view, pp_error *err);
	/* Optional (NULL): checkpoint hooks.  save() with buf == NULL stores the
	 * size it needs in *size; otherwise it writes at most *size bytes and
	 * stores the count.  load() restores exactly what save() wrote.  A run
	 * refuses to resume when a plugin with state lacks them. */
	int (*save)(void *state, void *buf, size_t *size, pp_error *err);
	int (*load)(void *state, const void *buf, size_t size, pp_error *err);
	/* Optional: with PP_NEED_CHUNK_STATS, how many chunks the interior term
	 * is cut into (NULL: 100).  0 asks for one chunk per point (per-sample
	 * statistics).  All analyzers of a run must agree. */
	int (*chunk_count)(void *state);
	/* Optional (NULL: not called): every training step, once the
	 * residuals at the step's parameters are in view->terms and the
	 * weighting scheme has updated its weights, before any analyzer
	 * observes that step.  Not called for the objective evaluations inside
	 * an optimizer step (line searches) nor for the final evaluation.  For
	 * state that must follow every step whatever `every` is (homogeneity's
	 * shadow RBA multiplier); keep it cheap, and save that state in
	 * save()/load().  Appended after PP_ABI_VERSION 2 without a bump: the
	 * core zero-fills the members an older plugin's struct_size leaves out. */
	int (*every_step)(void *state, const pp_step_view *view, pp_error *err);
} pp_analyzer_ops;

#ifdef __cplusplus
}
#endif
#endif
