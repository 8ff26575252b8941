/* phasepinn — PDE plugins.
 *
 * A PDE plugin describes its inputs and domain (a box), its loss terms and,
 * for each term, which derivative channels of the network it needs.  Per
 * point it returns the residual r and the Jacobian ∂r/∂(channel), from which
 * the core seeds the exact backward pass:  seed = 2·w·r·∂r/∂channel / N.
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
#define PP_MAX_CHANNELS 16
#define PP_MAX_TERMS 8
#define PP_MAX_PIECES 8

/* A derivative of the network output u:
 *   order 0: u;  order 1: ∂u/∂x[d0];  order 2: ∂²u/∂x[d0]∂x[d1], d0 <= d1. */
typedef struct pp_channel {
	int8_t order;
	int8_t d0;
	int8_t d1;
} pp_channel;

#define PP_CHANNEL_U ((pp_channel){0, -1, -1})
#define PP_CHANNEL_D(i) ((pp_channel){1, (int8_t)(i), -1})
#define PP_CHANNEL_DD(i, j) ((pp_channel){2, (int8_t)(i), (int8_t)(j)})

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
} pp_pde_info;

typedef struct pp_residual_args {
	int term;                     /* index into pp_pde_info.terms */
	size_t n;                     /* number of points */
	const pp_real *x;             /* n × n_inputs */
	const pp_real *const *u;      /* [n_channels][n] */
	const pp_real *x_pair;        /* paired points (pair_input >= 0), else NULL */
	const pp_real *const *u_pair; /* [n_channels][n] at x_pair, else NULL */
	pp_real *r;                   /* out: [n] residuals */
	pp_real *const *dr;           /* out: [n_channels][n], ∂r_i/∂u[c]_i */
	pp_real *const *dr_pair;      /* out when paired: ∂r_i/∂u_pair[c]_i */
} pp_residual_args;

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
	/* Optional (NULL): reference solution on @grid into u[grid size]. */
	int (*reference)(void *state, const pp_grid *grid, double *u, pp_error *err);
	/* Optional (NULL): checkpoint hooks, as for the other kinds (see
	 * optimizer.h).  A PDE whose state is only its coefficients says so
	 * with pp_stateless_save / pp_stateless_load (plugin.h); without them
	 * `phasepinn resume` refuses runs that use it. */
	int (*save)(void *state, void *buf, size_t *size, pp_error *err);
	int (*load)(void *state, const void *buf, size_t size, pp_error *err);
} pp_pde_ops;

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
