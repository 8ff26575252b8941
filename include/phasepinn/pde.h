/* phasepinn — PDE plugins (contract v2, PP_ABI_VERSION 2).
 *
 * A PDE plugin describes its inputs and domain (a box), its unknowns (the
 * network's outputs: u, or several such as u, v, p), its loss terms and, for
 * each term, which derivative channels of which outputs it needs (any
 * derivative up to total order 4).  Per point it returns the residual r
 * (one value, or several components: a system) and the Jacobian
 * ∂r/∂(channel), from which the core seeds the exact backward pass:
 * seed = 2·w·Σ_k r_k·∂r_k/∂channel / N.
 *
 * Shapes: points x are row-major n × n_inputs; every channel array holds n
 * values, one per point, in the order of pp_term_info.channels.
 * See docs/writing-a-pde-plugin.md for a worked example.
 */
#ifndef PHASEPINN_PDE_H
#define PHASEPINN_PDE_H

#include <stddef.h>
#include <stdint.h>
#include <phasepinn/config.h>
#include <phasepinn/error.h>
#include <phasepinn/real.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PP_MAX_INPUTS 4
#define PP_MAX_CHANNELS 32     /* requested channels per term, all outputs together */
#define PP_MAX_TERMS 8
#define PP_MAX_PIECES 8
#define PP_MAX_ORDER 4         /* highest total derivative order */
#define PP_MAX_OUTPUTS 8       /* unknowns */
#define PP_MAX_COMPONENTS 4    /* residual components of one term */
#define PP_MAX_TRANSFORMS 8    /* hard-constraint transforms a plugin offers */
#define PP_MAX_COEFFICIENTS 8  /* coefficients a plugin lets users learn */

/* A derivative of network output `output`:
 *   order 0: the output itself;
 *   order k (1..4): ∂^k/∂x[d[0]]…∂x[d[k-1]], in any order of d (the engine
 *   sorts); entries past k are -1.
 * Examples: PP_CHANNEL_D3(X, X, X) is u_xxx, PP_D(1, Y) is ∂(output 1)/∂y. */
typedef struct pp_channel {
	int8_t order;
	int8_t output;
	int8_t d[PP_MAX_ORDER];
} pp_channel;

/* Channels of output k. */
#define PP_U(k) ((pp_channel){0, (int8_t)(k), {-1, -1, -1, -1}})
#define PP_D(k, i) ((pp_channel){1, (int8_t)(k), {(int8_t)(i), -1, -1, -1}})
#define PP_DD(k, i, j) ((pp_channel){2, (int8_t)(k), {(int8_t)(i), (int8_t)(j), -1, -1}})
#define PP_D3(k, i, j, l) \
	((pp_channel){3, (int8_t)(k), {(int8_t)(i), (int8_t)(j), (int8_t)(l), -1}})
#define PP_D4(k, i, j, l, m) \
	((pp_channel){4, (int8_t)(k), {(int8_t)(i), (int8_t)(j), (int8_t)(l), (int8_t)(m)}})
/* Channels of the only (or first) output, as in contract v1. */
#define PP_CHANNEL_U PP_U(0)
#define PP_CHANNEL_D(i) PP_D(0, i)
#define PP_CHANNEL_DD(i, j) PP_DD(0, i, j)
#define PP_CHANNEL_D3(i, j, l) PP_D3(0, i, j, l)
#define PP_CHANNEL_D4(i, j, l, m) PP_D4(0, i, j, l, m)

/* Where one piece of a term's points lies: per input, sampled over [lo, hi]
 * (PP_SIDE_FREE) or fixed at lo or hi. */
typedef enum pp_side { PP_SIDE_FREE = 0, PP_SIDE_LO = 1, PP_SIDE_HI = 2 } pp_side;

typedef struct pp_piece {
	int8_t side[PP_MAX_INPUTS];
} pp_piece;

typedef struct pp_term_info {
	const char *name;       /* "residual", "initial", "boundary", "periodic", ... */
	int interior;           /* 1 for the PDE residual: chunked for SNR, target of RBA */
	int enabled;            /* default on/off; the YAML `terms:` map overrides */
	long points;            /* default number of points (split evenly among pieces) */
	double weight;          /* default term weight in the loss */
	int n_pieces;
	pp_piece pieces[PP_MAX_PIECES];
	int n_channels;
	pp_channel channels[PP_MAX_CHANNELS];
	/* Soft periodic pairs: >= 0 means the residual also sees the network at
	 * each point with input pair_input moved to its HI side. */
	int pair_input;
	/* Residual components per point (0 or 1: one; a system such as
	 * momentum x, momentum y, continuity: several).  The term's loss is
	 * mean over points of w·Σ_k r_k²; what a point's components count for
	 * in weighting and analysis is in docs/writing-a-pde-plugin.md
	 * ("Systems"). */
	int n_components;
	const char *component_names[PP_MAX_COMPONENTS];  /* NULL: "r0", "r1", ... */
	/* 1: on an experiment with `domain: {geometry: ...}`, the term's points
	 * lie on the geometry's boundary (the parts its YAML `terms: {name:
	 * {parts: [..]}}` names, default all), each with its outward unit
	 * normal (pp_residual_args.normal); pieces are then ignored.  Without
	 * a geometry the pieces say where the points are, as always.  Terms
	 * with boundary = 0 on a geometry: the interior, at the time a piece
	 * fixes (initial conditions) or over the time interval. */
	int boundary;
} pp_term_info;

/* A tensor-product grid: n[d] points on [lo[d], hi[d]]; with endpoint[d] = 0
 * the hi end is left out (periodic grids).  Points are enumerated with input 0
 * varying slowest. */
typedef struct pp_grid {
	int n_dims;
	long n[PP_MAX_INPUTS];
	double lo[PP_MAX_INPUTS];
	double hi[PP_MAX_INPUTS];
	int endpoint[PP_MAX_INPUTS];
} pp_grid;

/* A hard constraint a PDE offers (see pp_pde_ops.transform). */
typedef struct pp_transform_info {
	const char *name;       /* "initial", ...: what `network: {hard: {u: name}}` says */
	int output;             /* the output it constrains */
	const char *summary;    /* one line for messages and docs */
} pp_transform_info;

/* A coefficient of the PDE that an inverse problem may learn (YAML
 * `nu: {trainable: true, init: 0.05}`).  residual() reads every declared
 * coefficient from pp_residual_args.coef, never from its own state, and
 * fills ∂r/∂coefficient into dr_coef when asked. */
typedef struct pp_coefficient_info {
	const char *name;       /* its key in the plugin's YAML section ("nu") */
	double value;           /* the value create() read: the forward problem's
				   (and the reference's) */
} pp_coefficient_info;

typedef struct pp_pde_info {
	int n_inputs;
	const char *input_names[PP_MAX_INPUTS];  /* "x", "t", ... (static strings) */
	double lo[PP_MAX_INPUTS];
	double hi[PP_MAX_INPUTS];
	int time_input;         /* index of t, or -1 for steady problems */
	/* >= 0: the network must be exactly periodic in this input, with period
	 * hi - lo (the core adds periodic Fourier features on it). */
	int periodic_input;
	int n_terms;
	pp_term_info terms[PP_MAX_TERMS];
	int has_reference;      /* reference() is available */
	pp_grid reference_grid; /* the classic grid for `phasepinn reference` */
	/* Unknowns: 0 means one, named "u".  The network's last layer has one
	 * column per output, in this order. */
	int n_outputs;
	const char *output_names[PP_MAX_OUTPUTS];
	/* 1: output k is defined up to an additive constant (a pressure):
	 * errors compare it with the reference after removing both means. */
	int output_up_to_constant[PP_MAX_OUTPUTS];
	/* Hard constraints the plugin offers (see pp_pde_ops.transform): by
	 * name, each for one output; the YAML `network: {hard: {u: name}}`
	 * switches one on. */
	int n_transforms;
	pp_transform_info transforms[PP_MAX_TRANSFORMS];
	/* Coefficients users may make trainable (read with
	 * pp_coefficient_read of <phasepinn/sdk/coefficient.h>). */
	int n_coefficients;
	pp_coefficient_info coefficients[PP_MAX_COEFFICIENTS];
} pp_pde_info;

/* With K = the term's components (1 unless n_components > 1) and C its
 * channels: r holds K·n residuals, component k of point i at r[k·n + i];
 * dr holds K·C arrays, dr[k·C + c][i] = ∂r_k,i/∂u[c]_i (likewise dr_pair).
 * For K = 1 this is contract v1's layout. */
typedef struct pp_residual_args {
	int term;                     /* index into pp_pde_info.terms */
	size_t n;                     /* number of points */
	const pp_real *x;             /* n × n_inputs */
	const pp_real *const *u;      /* [n_channels][n] */
	const pp_real *x_pair;        /* paired points (pair_input >= 0), else NULL */
	const pp_real *const *u_pair; /* [n_channels][n] at x_pair, else NULL */
	pp_real *r;                   /* out: [K·n] residuals */
	pp_real *const *dr;           /* out: [K·n_channels][n] */
	pp_real *const *dr_pair;      /* out when paired: ∂r/∂u_pair, same layout */
	/* The current values of the declared coefficients (pp_pde_info.
	 * coefficients, in that order): trainable ones change every step. */
	const double *coef;
	/* Out when not NULL (a coefficient is trainable): with M declared
	 * coefficients, dr_coef[k·M + j][i] = ∂r_k,i/∂coefficient j. */
	pp_real *const *dr_coef;
	/* A boundary term's points (pp_term_info.boundary): their outward unit
	 * normals (n × n_inputs, zero in the time input) and the index of the
	 * part each lies on, into part_names.  Without a geometry, the normals
	 * of the box faces the pieces name (part -1, part_names NULL).  NULL
	 * for other terms. */
	const pp_real *normal;
	const int *part;
	const char *const *part_names;
} pp_residual_args;

/* A hard constraint  out = g(x) + d(x)·N(x)  for one output, N being the
 * network's column for it.  transform() fills g and d and their derivatives
 * in the channels asked for; the engine applies the product rule.
 * channels[c] are derivative multi-indices (their `output` is meaningless):
 * channel 0 is always the value; the list is closed under lower orders. */
typedef struct pp_transform_args {
	int transform;                /* index into pp_pde_info.transforms */
	int output;
	size_t n;
	const pp_real *x;             /* n × n_inputs */
	int n_channels;
	const pp_channel *channels;
	pp_real *const *g;            /* out: [n_channels][n] */
	pp_real *const *d;            /* out: [n_channels][n] */
} pp_transform_args;

typedef struct pp_pde_ops {
	uint32_t struct_size;
	/* Read coefficients from @cfg (may be NULL: all defaults). */
	int (*create)(const pp_config *cfg, void **state, pp_error *err);
	void (*destroy)(void *state);
	/* Fill @info (caller-owned, zeroed except time_input and
	 * periodic_input, which start at -1: none).  The core then checks it:
	 * counts within the PP_MAX_* bounds, channels, pieces and pair inputs
	 * naming existing inputs. */
	int (*describe)(void *state, pp_pde_info *info, pp_error *err);
	/* Residuals and their Jacobians; must not allocate per call on a hot path. */
	int (*residual)(void *state, const pp_residual_args *args, pp_error *err);
	/* Optional (NULL): reference solution on @grid into
	 * u[n_outputs × grid size], output k at u[k·size]; NAN throughout an
	 * output the solver does not give. */
	int (*reference)(void *state, const pp_grid *grid, double *u, pp_error *err);
	/* Optional (NULL): checkpoint hooks, as for the other kinds (see
	 * optimizer.h).  A PDE whose state is only its coefficients says so
	 * with pp_stateless_save / pp_stateless_load (plugin.h); without them
	 * `phasepinn resume` refuses runs that use it. */
	int (*save)(void *state, void *buf, size_t *size, pp_error *err);
	int (*load)(void *state, const void *buf, size_t size, pp_error *err);
	/* Optional (NULL): g and d of the hard constraints offered in
	 * pp_pde_info.transforms.  May be called from any thread but never
	 * concurrently with itself on one state; must not allocate. */
	int (*transform)(void *state, const pp_transform_args *args, pp_error *err);
} pp_pde_ops;

/* Outputs of @pde (n_outputs, or 1 when it is 0) and the name of output k. */
int pp_pde_output_count(const pp_pde_info *pde);
const char *pp_pde_output_name(const pp_pde_info *pde, int k);
/* Residual components of term @t (1 when n_components is 0). */
int pp_term_component_count(const pp_term_info *t);

/* Number of points of @grid (0 on overflow). */
size_t pp_grid_size(const pp_grid *grid);
/* Coordinates of point @index of @grid into x[n_dims]. */
void pp_grid_point(const pp_grid *grid, size_t index, double *x);
/* PP_OK when @grid is usable by a reference(): @n_dims dimensions (any
 * number from 1 to PP_MAX_INPUTS when 0), at least one point in each, finite
 * bounds with lo < hi (lo = hi allowed for a single point), and a size whose
 * array of doubles can be addressed.  Otherwise PP_ERR_INVALID and a message
 * naming the dimension at fault ("a grid of 1099511627776 x 1048576 points is
 * too large for memory"). */
int pp_grid_check(const pp_grid *grid, int n_dims, pp_error *err);

/* The names of @pde's terms joined by ", " ("residual, initial, boundary")
 * into @buf, cut to fit @size: for messages that say which terms a
 * configuration could have named. */
void pp_pde_term_names(const pp_pde_info *pde, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
