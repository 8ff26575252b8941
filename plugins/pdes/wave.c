/* phasepinn plugin — the 1-D wave equation with fixed ends.
 *
 *   u_tt = c²·u_xx on x ∈ [0, L], t ∈ [t0, t1],  u(0, t) = u(L, t) = 0,
 *   u(x, t0) = u0(x) = Σ_m A_m sin(mπx/L),  u_t(x, t0) = 0,
 *   exact solution u = Σ_m A_m sin(mπx/L)·cos(mπc(t − t0)/L)  (standing waves).
 *
 * Keys: c (2, > 0), length (L, 1, > 0), t ([0, 1]), modes (mode numbers m,
 * default [1, 4]), amplitudes (A_m, one per mode; absent: 1, 1/2, 1/3, ...).
 * The defaults are PINNacle's Wave1d-C (Hao et al., 2023, their Wave1D with
 * C = 2, a = 4): u = sin(πx)cos(2πt) + ½·sin(4πx)cos(8πt), where the second
 * mode swings four times over the time domain while the first swings once,
 * so a network must resolve two time scales a factor of four apart.
 * Terms: residual (u_tt, u_xx), initial (u), initial_velocity (u_t at t0),
 * boundary (u at x = 0 and x = L).
 * Hard constraint `initial` on u: u = u0(x) + (t − t0)²·N(x, t), which meets
 * both initial conditions exactly (the factor and its t-derivative vanish at
 * t0); with it the initial and initial_velocity terms can be switched off.
 */
#include <phasepinn/phasepinn.h>
#include <phasepinn/sdk/domain.h>

#include <math.h>
#include <stdlib.h>

/* M_PI is POSIX, not C11: this file also builds with plain -std=c11 */
#define PI 3.14159265358979323846
#define MAX_MODES 16     /* the config getters' longest list */
#define MAX_MODE 1000    /* sin(1000πx) already needs 10⁴ grid points to see */

enum { TERM_RESIDUAL, TERM_INITIAL, TERM_VELOCITY, TERM_BOUNDARY };   /* describe() */
enum { X, T };                                                        /* inputs */

typedef struct wave {
	double c, length, t0, t1;
	int n_modes;
	long mode[MAX_MODES];
	double amplitude[MAX_MODES];
} wave;

/* modes: a list of 1 to MAX_MODES mode numbers; its length fixes how many
 * amplitudes must follow. */
static int read_modes(const pp_config *cfg, wave *w, pp_error *err)
{
	static const long def_modes[2] = {1, 4};
	const pp_config *node = pp_config_get(cfg, "modes");
	double def_amp[MAX_MODES];
	size_t n = node ? pp_config_size(node) : 2;
	int rc;

	if (n > MAX_MODES)
		return pp_config_error(err, PP_ERR_CONFIG, node, "modes: at most %d modes, not %zu",
				       MAX_MODES, n);
	if (n == 0)
		n = 1;   /* a scalar or an empty list: the getter says what it expected */
	rc = pp_config_long_list(cfg, "modes", n, def_modes, 1, MAX_MODE, w->mode, err);
	if (rc)
		return rc;
	w->n_modes = (int)n;
	for (size_t i = 0; i < n; i++)
		def_amp[i] = 1.0 / (double)(i + 1);
	node = pp_config_get(cfg, "amplitudes");
	if (node && !pp_config_text(node) && pp_config_size(node) != n)
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "amplitudes: one per mode, %zu for modes %s, not %zu", n,
				       pp_config_get(cfg, "modes") ? "as given" : "[1, 4]",
				       pp_config_size(node));
	return pp_config_double_list(cfg, "amplitudes", n, def_amp, -1e6, 1e6, w->amplitude, err);
}

/* Read the coefficients; the config getters quote file:line:col on errors. */
static int wave_create(const pp_config *cfg, void **state, pp_error *err)
{
	wave *w = calloc(1, sizeof *w);
	int rc;

	if (!w)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_config_double(cfg, "c", 2, 1e-12, 1e6, &w->c, err);
	if (!rc)
		rc = pp_config_double(cfg, "length", 1, 1e-12, 1e6, &w->length, err);
	if (!rc)
		rc = pp_domain_read(cfg, "t", 0, 1, &w->t0, &w->t1, err);
	if (!rc)
		rc = read_modes(cfg, w, err);
	if (rc) {
		free(w);
		return rc;
	}
	*state = w;
	return PP_OK;
}

static void wave_destroy(void *state)
{
	free(state);
}

static int wave_describe(void *state, pp_pde_info *info, pp_error *err)
{
	const wave *w = state;

	(void)err;
	info->n_inputs = 2;
	info->input_names[X] = "x";
	info->input_names[T] = "t";
	info->lo[X] = 0;
	info->hi[X] = w->length;
	info->lo[T] = w->t0;
	info->hi[T] = w->t1;
	info->time_input = T;
	info->periodic_input = -1;
	info->n_outputs = 1;
	info->output_names[0] = "u";
	info->n_terms = 4;
	info->terms[TERM_RESIDUAL] = (pp_term_info){
		.name = "residual", .interior = 1, .enabled = 1, .points = 2000, .weight = 1,
		.n_pieces = 1, .n_channels = 2,
		.channels = {PP_DD(0, T, T), PP_DD(0, X, X)}, .pair_input = -1};
	info->terms[TERM_INITIAL] = (pp_term_info){
		.name = "initial", .enabled = 1, .points = 200, .weight = 1, .n_pieces = 1,
		.pieces = {{.side = {PP_SIDE_FREE, PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_U(0)}, .pair_input = -1};
	info->terms[TERM_VELOCITY] = (pp_term_info){
		.name = "initial_velocity", .enabled = 1, .points = 200, .weight = 1, .n_pieces = 1,
		.pieces = {{.side = {PP_SIDE_FREE, PP_SIDE_LO}}},
		.n_channels = 1, .channels = {PP_D(0, T)}, .pair_input = -1};
	info->terms[TERM_BOUNDARY] = (pp_term_info){
		.name = "boundary", .boundary = 1, .enabled = 1, .points = 200, .weight = 1, .n_pieces = 2,
		.pieces = {{.side = {PP_SIDE_LO, PP_SIDE_FREE}}, {.side = {PP_SIDE_HI, PP_SIDE_FREE}}},
		.n_channels = 1, .channels = {PP_U(0)}, .pair_input = -1};
	info->has_reference = 1;
	info->reference_grid = (pp_grid){.n_dims = 2, .n = {101, 101}, .lo = {0, w->t0},
					 .hi = {w->length, w->t1}, .endpoint = {1, 1}};
	info->n_transforms = 1;
	info->transforms[0].name = "initial";
	info->transforms[0].output = 0;
	info->transforms[0].summary =
		"u = u0(x) + (t - t0)^2 N: u(x, t0) = u0 and u_t(x, t0) = 0 exactly";
	return PP_OK;
}

/* ∂^k u0/∂x^k at @x: Σ A_m (mπ/L)^k sin(mπx/L + kπ/2). */
static double initial_shape(const wave *w, double x, int k)
{
	double s = 0;

	for (int m = 0; m < w->n_modes; m++) {
		double kx = (double)w->mode[m] * PI / w->length;
		s += w->amplitude[m] * pow(kx, k) * sin(kx * x + k * PI / 2);
	}
	return s;
}

static int wave_residual(void *state, const pp_residual_args *a, pp_error *err)
{
	const wave *w = state;
	const pp_real c2 = (pp_real)(w->c * w->c);
	(void)err;

	switch (a->term) {
	case TERM_RESIDUAL:   /* channels u_tt, u_xx */
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i] - c2 * a->u[1][i];
			a->dr[0][i] = 1;
			a->dr[1][i] = -c2;
		}
		break;
	case TERM_INITIAL:    /* u at t0 */
		for (size_t i = 0; i < a->n; i++) {
			double x = (double)a->x[2 * i + X];
			a->r[i] = a->u[0][i] - (pp_real)initial_shape(w, x, 0);
			a->dr[0][i] = 1;
		}
		break;
	default:              /* initial_velocity: u_t = 0; boundary: u = 0 */
		for (size_t i = 0; i < a->n; i++) {
			a->r[i] = a->u[0][i];
			a->dr[0][i] = 1;
		}
		break;
	}
	return PP_OK;
}

static int wave_reference(void *state, const pp_grid *grid, double *u, pp_error *err)
{
	const wave *w = state;
	double x[PP_MAX_INPUTS];

	if (pp_grid_check(grid, 2, err))
		return pp_error_prefix(err, "wave reference (x, t)");
	for (size_t i = 0; i < pp_grid_size(grid); i++) {
		double s = 0;
		pp_grid_point(grid, i, x);
		for (int m = 0; m < w->n_modes; m++) {
			double kx = (double)w->mode[m] * PI / w->length;
			s += w->amplitude[m] * sin(kx * x[X]) * cos(kx * w->c * (x[T] - w->t0));
		}
		u[i] = s;
	}
	return PP_OK;
}

/* Counts of x and t among the derivative inputs of @ch. */
static void channel_orders(const pp_channel *ch, int *nx, int *nt)
{
	*nx = *nt = 0;
	for (int k = 0; k < ch->order && k < PP_MAX_ORDER; k++) {
		if (ch->d[k] == X)
			(*nx)++;
		else
			(*nt)++;
	}
}

/* g = u0(x), d = (t − t0)², each in every channel asked for: g depends on x
 * only, d on t only, so a mixed derivative of either is 0. */
static int wave_transform(void *state, const pp_transform_args *a, pp_error *err)
{
	const wave *w = state;

	if (a->transform != 0)
		return pp_error_set(err, PP_ERR_PLUGIN, "wave: no transform %d", a->transform);
	for (int c = 0; c < a->n_channels; c++) {
		int nx, nt;
		channel_orders(&a->channels[c], &nx, &nt);
		for (size_t i = 0; i < a->n; i++) {
			double x = (double)a->x[2 * i + X], s = (double)a->x[2 * i + T] - w->t0;
			double g = nt ? 0 : initial_shape(w, x, nx);
			double d = nx ? 0 : nt == 0 ? s * s : nt == 1 ? 2 * s : nt == 2 ? 2 : 0;
			a->g[c][i] = (pp_real)g;
			a->d[c][i] = (pp_real)d;
		}
	}
	return PP_OK;
}

static const pp_pde_ops wave_ops = {
	.struct_size = sizeof wave_ops,
	.create = wave_create,
	.destroy = wave_destroy,
	.describe = wave_describe,
	.residual = wave_residual,
	.reference = wave_reference,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
	.transform = wave_transform,
};

PP_PLUGIN_DEFINE(PP_KIND_PDE, "wave",
		 "1-D wave equation u_tt = c^2 u_xx, fixed ends, sine-mode start, exact reference",
		 &wave_ops)
