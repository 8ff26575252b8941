/* phasepinn — observation data: measured values of a PDE's outputs at
 * given points, read from a CSV file that an experiment's `data:` section
 * names (private to the core; the `data` loss term and its validation
 * error are built on it).  docs/data.md describes the YAML and the file.
 *
 * What pp_observations_read does, in this order, each step from its own
 * random stream of the seed, so that changing `noise:` leaves the subset
 * and the split as they were:
 *   1. reads every row of the file (an error names FILE:LINE for any row
 *      it cannot use: none is skipped);
 *   2. `points: P`: keeps P distinct rows drawn at random, in file order;
 *   3. `noise: s`: adds s·std(u_j)·N(0,1) to each value of each observed
 *      output j, std over the rows kept (population std, as numpy's
 *      np.std in Raissi, Perdikaris & Karniadakis 2019);
 *   4. `validation: f`: holds out round(f·P) rows drawn at random; both
 *      parts keep file order.
 */
#ifndef PHASEPINN_CORE_OBSERVATIONS_H
#define PHASEPINN_CORE_OBSERVATIONS_H

#include <stddef.h>

#include <phasepinn/config.h>
#include <phasepinn/error.h>
#include <phasepinn/pde.h>

/* Files larger than this are refused before they are read: 64 MiB is about
 * 1.5 million rows of four numbers written with %.12g, 700 times the 2,000
 * points of Raissi et al.'s Burgers identification. */
#define PP_OBSERVATIONS_MAX_BYTES (64L << 20)

/* One part (training or validation) of the observations, row-major and in
 * double precision whatever pp_real is: row i is x[i·n_inputs ..] (in the
 * PDE's input order), u[i·n_observed ..] (in the order of
 * pp_observations.outputs), weights[i]. */
typedef struct pp_observation_part {
	size_t n;          /* rows */
	double *x;         /* n × n_inputs */
	double *u;         /* n × n_observed */
	double *weights;   /* n, each >= 0; NULL when the file has no weight column */
	long *lines;       /* n: the file line each row came from, for messages */
} pp_observation_part;

typedef struct pp_observations {
	char *path;                   /* the file read (base_dir joined), for messages */
	int n_inputs;                 /* the PDE's inputs, all given for every row */
	int n_observed;               /* observed outputs, 1..PP_MAX_OUTPUTS */
	int outputs[PP_MAX_OUTPUTS];  /* PDE output index of observed column j */
	size_t n_rows;                /* data rows in the file */
	pp_observation_part train;
	pp_observation_part val;      /* n = 0 (and NULL arrays) without validation */
	unsigned long seed;           /* the seed used */
	double noise;                 /* relative noise level asked for */
	double noise_std[PP_MAX_OUTPUTS]; /* std of the noise added to column j (0: none) */
} pp_observations;

/* Read the observations of the `data:` map @node for @pde.  `file:` is
 * taken relative to @base_dir (the experiment file's directory; NULL or ""
 * for the current one) unless it is absolute; it must be a regular file,
 * not a symbolic link, of at most PP_OBSERVATIONS_MAX_BYTES.  @default_seed
 * is the seed when `seed:` is absent (the experiment's).  Every key is read
 * through the config getters (defaults recorded) and unknown keys are
 * refused.  On success *@out is the caller's (pp_observations_destroy);
 * errors: PP_ERR_CONFIG with "file:line:col" for the YAML or "FILE:LINE"
 * for the data, PP_ERR_IO when the file cannot be opened or read,
 * PP_ERR_NOMEM; *@out is then NULL. */
int pp_observations_read(const pp_config *node, const pp_pde_info *pde, const char *base_dir,
			 unsigned long default_seed, pp_observations **out, pp_error *err);

void pp_observations_destroy(pp_observations *o);

#endif
