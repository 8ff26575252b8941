/* phasepinn — what weighting schemes and analyzers see of a training run.
 *
 * Everything here is owned by the core.  Plugins read it during the call they
 * receive it in, and write only the fields marked "written by".
 */
#ifndef PHASEPINN_PROBLEM_H
#define PHASEPINN_PROBLEM_H

#include <stddef.h>
#include <phasepinn/error.h>
#include <phasepinn/network.h>
#include <phasepinn/pde.h>
#include <phasepinn/real.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pp_pde_ops;

/* The fixed parts of a run, handed to every plugin's create(). */
typedef struct pp_problem {
	const pp_pde_info *pde;
	const struct pp_pde_ops *pde_ops; /* for reference() */
	void *pde_state;
	const pp_network *net;
	size_t n_params;
	unsigned long seed;
	int n_terms;             /* enabled terms, in pp_term_state order */
	const char *run_dir;     /* where plugins may write files; NULL when checking */
	/* The domain when the experiment gives `domain: {geometry: ...}`
	 * (phasepinn/geometry.h; its coordinates are the PDE's inputs but
	 * time, in order), NULL for the PDE's box. */
	const struct pp_geometry *geometry;
	int geometry_inputs[PP_MAX_INPUTS];  /* PDE input of geometry coordinate c */
	/* The weighting scheme's plugin name ("none", "rba", ...), set before
	 * the analyzers are created; NULL when a caller builds the problem by
	 * hand (treat it as unknown).  Appended without an ABI bump. */
	const char *weighting;
	/* Data-parallel training (docs/scaling.md; appended without an ABI
	 * bump, like everything after `weighting`): the run's ranks and this
	 * one, and the reduction a plugin calls for a statistic over all
	 * points, e.g. a maximum of |r|.  Each rank sees only its share of
	 * every term's points in pp_term_state.  ranks is 0 or 1 and
	 * allreduce NULL on one rank (and when a caller builds the problem by
	 * hand); call it through pp_problem_allreduce below, which is then the
	 * identity.  The trainer sets these before training starts, after the
	 * plugins' create(). */
	int ranks;
	int rank;
	int (*allreduce)(double *values, size_t n, int op, pp_error *err);
} pp_problem;

/* Operations of pp_problem.allreduce. */
enum { PP_REDUCE_SUM, PP_REDUCE_MAX, PP_REDUCE_MIN };

/* @op over every rank's @n @values, in place; every rank must call it at
 * the same point of the same hook (it is collective), including ranks that
 * hold no points of the term (pass the identity: 0, -INFINITY, INFINITY).
 * The result is the same on every rank. */
static inline int pp_problem_allreduce(const pp_problem *p, double *values, size_t n, int op,
				       pp_error *err)
{
	if (!p || p->ranks <= 1 || !p->allreduce)
		return PP_OK;
	return p->allreduce(values, n, op, err);
}

/* One enabled loss term.
 * Loss of the term: term_weight · mean_i(w_i · r_i²). */
typedef struct pp_term_state {
	const char *name;
	int pde_term;            /* index into pp_pde_info.terms */
	int interior;
	size_t n;                /* points */
	int n_inputs;
	const pp_real *x;        /* n × n_inputs */
	const pp_real *r;        /* residuals at the current parameters */
	pp_real *w;              /* per-point weight on r²; written by weighting (starts at 1) */
	pp_real *lambda;         /* the scheme's own per-point multiplier, for analysis and
				    output (RBA λ, SA λ); written by weighting (starts at 1) */
	double term_weight;      /* written by weighting (starts at the YAML weight) */
	double loss;             /* unweighted mean(r²) at the current parameters */
	double weighted_loss;    /* term_weight · mean(w·r²) */
	const pp_real *grad;     /* ∇θ of mean(w·r²), only when PP_NEED_TERM_GRADIENTS */
	/* A system's term (n_components > 1): r above is each point's
	 * Euclidean norm ‖r_i‖ = sqrt(Σ_k r_k,i²), so mean(w·r²) is still its
	 * loss; the components themselves are here, component k of point i
	 * at components[k·n + i].  For one component: 1 and r. */
	int n_components;
	const pp_real *components;
} pp_term_state;

/* Per-chunk gradient statistics of the interior term (docs/analyzers.md,
 * "snr"): the N interior points are cut into n_chunks chunks; chunk gradient
 * g_k = ∇θ[mean over chunk k of w·r²] + ∇θ[all other terms].  Over all
 * parameters (weights and biases; see pp_layer_view for where each lies):
 *   sum[j] = Σ_k g_k[j],   sumsq[j] = Σ_k g_k[j]².  Mean of g_k = full gradient. */
typedef struct pp_chunk_stats {
	int n_chunks;
	size_t n_params;
	const double *sum;
	const double *sumsq;
} pp_chunk_stats;

/* Bias-corrected first and second Adam moments into m_hat, v_hat [n_params]. */
typedef int (*pp_moments_fn)(void *optimizer_state, pp_real *m_hat, pp_real *v_hat);

typedef struct pp_step_view {
	long step;               /* global, 0-based, counted across stages */
	int stage;               /* index into the YAML `stages:` list */
	const char *optimizer;   /* plugin name of the stage's optimizer */
	double loss;             /* Σ weighted term losses */
	int n_terms;
	pp_term_state *terms;
	const pp_network *net;
	const pp_real *params;   /* [n_params] */
	const pp_real *grad;     /* [n_params] full gradient at params */
	size_t n_params;
	const pp_chunk_stats *chunks;   /* NULL unless an analyzer asked */
	pp_moments_fn moments;          /* NULL when the optimizer has none */
	void *optimizer_state;
	const pp_problem *problem;
	/* Appended without an ABI bump (docs/scaling.md): per term, its points
	 * over all ranks and the one-rank index of this rank's first point
	 * (terms[k].n of them are here).  On one rank n_total[k] ==
	 * terms[k].n and first[k] == 0; read them through pp_view_points and
	 * pp_view_first, which fall back to that when they are NULL. */
	const size_t *n_total;
	const size_t *first;
} pp_step_view;

/* Term @k's points over every rank: the N of its mean(w·r²). */
static inline size_t pp_view_points(const pp_step_view *v, int k)
{
	return v->n_total ? v->n_total[k] : v->terms[k].n;
}

/* The one-rank index of this rank's first point of term @k. */
static inline size_t pp_view_first(const pp_step_view *v, int k)
{
	return v->first ? v->first[k] : 0;
}

/* What a weighting scheme or analyzer needs computed for it. */
enum {
	PP_NEED_CHUNK_STATS = 1u << 0,
	PP_NEED_TERM_GRADIENTS = 1u << 1
};

#ifdef __cplusplus
}
#endif
#endif
