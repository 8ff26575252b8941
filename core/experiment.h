/* phasepinn — an experiment: the YAML file resolved into live plugins
 * (private to the core, the CLI and tests).
 *
 * Top-level keys of an experiment file:
 *   name, seed, threads, output, pde, network, sampling, weighting, stages,
 *   analyzers, logging, checkpoint.
 * pp_experiment_create() validates everything (each plugin reads its own
 * section; keys nobody read are errors) and writes nothing to disk.
 */
#ifndef PHASEPINN_CORE_EXPERIMENT_H
#define PHASEPINN_CORE_EXPERIMENT_H

#include <stdio.h>

#include <phasepinn/phasepinn.h>
#include <phasepinn/sampling.h>

#include "core/config_doc.h"
#include "core/registry.h"

#define PP_MAX_STAGES 16
#define PP_MAX_ANALYZERS 16

#define PP_MAX_PARTS 32

typedef struct pp_term_setup {
	int pde_term;          /* index into pde_info.terms */
	long points;
	double weight;
	int n_parts;           /* a boundary term on a geometry: the parts it */
	int parts[PP_MAX_PARTS]; /* samples (terms: {t: {parts: [...]}}); 0: all */
} pp_term_setup;

/* A stage's stopping rules, its optional stop: map; 0 (or "") is a rule
 * that is off, since every value must be > 0.  The trainer checks them
 * after each step's metrics row (see docs/optimizers.md). */
typedef struct pp_stop_rules {
	double loss_below;           /* the row's loss below this */
	double rel_change_below;     /* |loss - previous| / |loss| below this */
	double wall_time;            /* seconds of the stage */
	char metric_column[64];      /* a metrics column, measured at the step, */
	double metric_below;         /* below this; error_below is column error_rel_l2 */
	const pp_config *metric_node; /* where the column was named, for errors */
} pp_stop_rules;

typedef struct pp_stage {
	const pp_plugin *plugin;
	const pp_optimizer_ops *ops;
	const pp_config *cfg;
	long iterations;
	pp_stop_rules stop;
} pp_stage;

typedef struct pp_analyzer_slot {
	const pp_plugin *plugin;
	const pp_analyzer_ops *ops;
	void *state;
	long every;
	int n_columns;
	const char *const *columns;
} pp_analyzer_slot;

/* A coefficient an inverse problem learns (the PDE's `nu: {trainable: true,
 * init: 0.05, log: true, lo: 1e-4, hi: 1}`).  The optimizers train a raw
 * parameter s, stored after the network's own (pp_network_add_extra_params):
 *   c = s                                   plain
 *   c = exp(s)                              log: true (c > 0)
 *   c = lo + (hi − lo)·σ(s)                 lo, hi (σ the logistic function)
 *   c = exp(log lo + (log hi − log lo)·σ(s))   log and lo, hi */
typedef struct pp_coef_setup {
	int index;                   /* into pde.coefficients */
	int log;
	int bounded;
	double lo, hi;
	double init;                 /* the starting c */
} pp_coef_setup;

/* c of raw parameter @s and dc/ds into *dc (may be NULL). */
double pp_coef_value(const pp_coef_setup *c, double s, double *dc);
/* The raw parameter that gives c = @value (inside the bounds). */
double pp_coef_raw(const pp_coef_setup *c, double value);

/* `sampling: {adaptive: {...}}` (docs/sampling.md): residual-based
 * adaptive sampling, Wu, Zhu, Tan, Kartha & Lu, CMAME 403 (2023).  At
 * every step S > 0 with S % every == 0, before the step's evaluation, each
 * chosen term draws `candidates` points from its own sampler, weighs them
 * by p ∝ |r|^k / mean(|r|^k) + c and draws from p without replacement: all
 * its points (rad) or `add` more (rar_d). */
enum { PP_ADAPTIVE_NONE = 0, PP_ADAPTIVE_RAD = 1, PP_ADAPTIVE_RAR_D = 2 };

typedef struct pp_adaptive_setup {
	int method;                  /* PP_ADAPTIVE_*; NONE without the section */
	long every;                  /* steps between resamplings, >= 1 */
	double k, c;                 /* the density's exponent and floor, >= 0 */
	long candidates;             /* dense candidate set drawn each time */
	long add;                    /* rar_d: points added each time */
	int restart_optimizer;       /* recreate the stage's optimizer after one */
	int applies[PP_MAX_TERMS];   /* by PDE term index */
} pp_adaptive_setup;

/* validation: {points, every, keep_best}: residuals at points held out of
 * training (drawn once, from their own random stream) give the metrics
 * column val_loss; keep_best ends the run with the parameters of its
 * lowest value (docs/sampling.md, "Validation points"). */
typedef struct pp_validation_setup {
	long points;                 /* per term; 0: no validation */
	long every;                  /* steps between validations, >= 1 */
	int keep_best;
} pp_validation_setup;

typedef struct pp_experiment {
	pp_config_doc *doc;
	const pp_config *root;
	const char *path;
	const char *name;
	unsigned long seed;
	int threads;
	const char *output;          /* run directory */
	long log_every;
	int plot;                    /* logging.plot: figures and report.md after a run */
	long checkpoint_every;       /* steps between checkpoints, 0: none */
	int checkpoint_keep;         /* newest checkpoints kept */
	int checkpoint_at_end;       /* write one after the last step */

	const pp_plugin *pde_plugin;
	const pp_pde_ops *pde_ops;
	void *pde_state;
	pp_pde_info pde;
	int n_trainable;             /* trainable coefficients, in declaration order */
	pp_coef_setup trainable[PP_MAX_COEFFICIENTS];
	int n_terms;
	pp_term_setup terms[PP_MAX_TERMS];
	/* Observation data (the `data:` section; NULL without): the core adds
	 * a loss term "data" to pde.terms, at index data_term (-1: none),
	 * whose residual it computes itself: u_j − observed u_j per observed
	 * output, times the square root of the row's weight. */
	struct pp_observations *obs;
	/* `domain: {geometry: ..., time: [t0, t1]}`: the spatial domain
	 * (NULL: the PDE's box) and which PDE input each of its coordinates
	 * is; the PDE box's spatial bounds become the geometry's bounding box. */
	struct pp_geometry *geometry;
	int geometry_inputs[PP_MAX_INPUTS];
	int geometry_dim;
	int data_term;
	int pde_only;                /* built for the PDE alone (reference): no data read */

	pp_network *net;
	/* network: {init: {from: RUN_DIR}}: the run whose model.npz this one
	 * started from (absolute; NULL: none) and the step of that model */
	char *init_from;
	long init_from_step;
	pp_sampler sampler;
	long resample_every;
	pp_adaptive_setup adaptive;
	pp_validation_setup validation;
	long batch_points;           /* points per forward/backward batch */

	const pp_plugin *weighting_plugin;
	const pp_weighting_ops *weighting_ops;
	void *weighting_state;

	int n_stages;
	pp_stage stages[PP_MAX_STAGES];
	long total_iterations;

	int n_analyzers;
	pp_analyzer_slot analyzers[PP_MAX_ANALYZERS];

	pp_problem problem;
	char *run_dir;               /* owned copy of output, set for runs */
} pp_experiment;

enum pp_experiment_mode {
	PP_EXPERIMENT_CHECK = 0,    /* build everything, plugins get no run dir */
	PP_EXPERIMENT_RUN = 1,      /* build everything for a run */
	PP_EXPERIMENT_PDE_ONLY = 2, /* the pde section alone (reference solutions) */
	PP_EXPERIMENT_MODEL = 3     /* the pde and the network (predict, export): no
				       data, points, stages or analyzers; a warm
				       start is recorded, not loaded */
};

/* Load @path and build its plugins. @run_dir_override (may be NULL) replaces
 * the file's `output:`. */
int pp_experiment_create(const char *path, const pp_registry *reg,
			 const char *run_dir_override, enum pp_experiment_mode mode,
			 pp_experiment **out, pp_error *err);
/* The same from a parsed document, which the experiment takes over (also
 * on failure). */
int pp_experiment_create_doc(pp_config_doc *doc, const pp_registry *reg,
			     const char *run_dir_override, enum pp_experiment_mode mode,
			     pp_experiment **out, pp_error *err);
void pp_experiment_destroy(pp_experiment *exp);

/* The experiment as it runs — a header line naming the source file, then
 * the resolved YAML with every default made explicit — into @f: the run's
 * config.yaml and the configuration kept in each checkpoint. */
int pp_experiment_write_config(const pp_experiment *exp, FILE *f);

#endif
