/* Contract v2 in the engine: derivative channels of order 3 and 4 (pure and
 * mixed) and several outputs against central differences of the channels
 * one order lower, parameter gradients of a loss built from them against
 * differences in the parameters, hard constraints (dirichlet_box and a
 * PDE's transform) against differences and at the boundary they enforce,
 * the activation jets, the closure of requested channels, and the
 * architectures (modified MLP, PirateNet, factorised weights): their value
 * against a plain evaluation of their definition, channels and gradients
 * against differences.
 *
 * Tolerances (double): a channel of order k is checked against central
 * differences of its order k−1 channel with step h = 1e-5 (truncation
 * h²·|∂^(k+2)u|/6 ~ 1e-10 for O(1)–O(10) derivatives of these small tanh
 * nets, round-off ε·|u^(k-1)|/h ~ 1e-10), so 1e-6 relative plus 1e-7
 * absolute leaves margin; gradients likewise.  Single precision: h = 1e-2
 * and 5e-2 relative. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/network.h>
#include <phasepinn/rng.h>

#include "core/activation.h"
#include "core/channels.h"
#include "core/config_doc.h"
#include "core/network_impl.h"
#include "pp_test.h"

#ifdef PP_SINGLE_PRECISION
#define H_STEP 1e-2
#define RTOL 5e-2
#define ATOL 5e-2
#else
#define H_STEP 1e-5
#define RTOL 1e-6
#define ATOL 1e-7
#endif

#define NPTS 5

static pp_pde_info pde_xy(int n_outputs)
{
	static const char *const names[] = {"psi", "p", "q"};
	pp_pde_info info = {0};

	info.n_inputs = 2;
	info.input_names[0] = "x";
	info.input_names[1] = "t";
	info.lo[0] = -1;
	info.hi[0] = 1;
	info.lo[1] = 0;
	info.hi[1] = 1;
	info.time_input = 1;
	info.periodic_input = -1;
	info.n_outputs = n_outputs;
	for (int k = 0; k < n_outputs; k++)
		info.output_names[k] = names[k];
	info.n_transforms = 1;
	info.transforms[0].name = "initial";
	info.transforms[0].output = 0;
	return info;
}

/* A PDE's transform for the test: g = sin(2x)·e^t (so the output is
 * sin 2x at t = 0) and d = t·(2 − x), both with every derivative in closed
 * form. */
static int fake_transform(void *ctx, const pp_transform_args *a, pp_error *err)
{
	int *calls = ctx;

	(void)err;
	(*calls)++;
	for (int c = 0; c < a->n_channels; c++) {
		int nx = 0, nt = 0;
		for (int j = 0; j < a->channels[c].order; j++)
			nx += a->channels[c].d[j] == 0, nt += a->channels[c].d[j] == 1;
		for (size_t i = 0; i < a->n; i++) {
			double x = (double)a->x[2 * i], t = (double)a->x[2 * i + 1];
			/* ∂x^k sin 2x = 2^k sin(2x + kπ/2); ∂t^k e^t = e^t */
			double g = pow(2.0, nx) * sin(2.0 * x + nx * M_PI / 2) * exp(t);
			/* d = 2t − x·t: d_x = −t, d_t = 2 − x, d_xt = −1, others 0 */
			double d = nx == 0 && nt == 0 ? t * (2.0 - x)
				   : nx == 1 && nt == 0 ? -t
				   : nx == 0 && nt == 1 ? 2.0 - x
				   : nx == 1 && nt == 1 ? -1.0 : 0.0;
			a->g[c][i] = (pp_real)g;
			a->d[c][i] = (pp_real)d;
		}
	}
	return PP_OK;
}

static int transform_calls;

static pp_network *make_net(const char *yaml, int n_outputs)
{
	pp_config_doc *doc = NULL;
	pp_network *net = NULL;
	pp_error err = {0};
	pp_pde_info info = pde_xy(n_outputs);

	if (yaml && pp_config_doc_parse(yaml, strlen(yaml), "net.yaml", &doc, &err)) {
		fprintf(stderr, "%s\n", err.message);
		return NULL;
	}
	if (pp_network_create(doc ? pp_config_doc_root(doc) : NULL, &info, 17, &net, &err))
		fprintf(stderr, "%s\n", err.message);
	pp_config_doc_destroy(doc);
	if (net)
		pp_network_bind_transforms(net, fake_transform, &transform_calls);
	return net;
}

static void points(size_t n, pp_real *x, uint64_t seed)
{
	pp_rng r;

	pp_rng_init(&r, seed, 0);
	for (size_t i = 0; i < n; i++) {
		x[2 * i] = (pp_real)(2 * pp_rng_uniform(&r) - 1);
		x[2 * i + 1] = (pp_real)pp_rng_uniform(&r);
	}
}

static pp_real value_at(pp_network *net, const pp_real *x, pp_channel ch)
{
	pp_batch *b = NULL;
	pp_error err = {0};
	pp_real out = NAN;

	CU_ASSERT_EQUAL(pp_batch_create(net, 1, 1, &ch, &b, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_network_forward(net, b, 1, x, &out, &err), PP_OK);
	pp_batch_destroy(b);
	return out;
}

/* The central difference of channel @ch in input @d at @x with step @h,
 * divided by the step the points really are apart (in single precision
 * x ± h rounds). */
static double central(pp_network *net, const pp_real *x, pp_channel ch, int d, double h)
{
	pp_real xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]};

	xp[d] += (pp_real)h;
	xm[d] -= (pp_real)h;
	return ((double)value_at(net, xp, ch) - (double)value_at(net, xm, ch)) /
	       ((double)xp[d] - (double)xm[d]);
}

/* Each channel of order k >= 1 in @list against central differences of
 * its channel without the last derivative (same output), extrapolated
 * (Richardson: (4·D(h/2) − D(h))/3, error O(h⁴)), so the step can stay
 * large enough for single precision's rounding: in single, h = 1e-2 alone
 * leaves a truncation error of several per cent on fourth derivatives. */
static void check_list(pp_network *net, int n, const pp_channel *list)
{
	pp_batch *b = NULL;
	pp_error err = {0};
	pp_real x[2 * NPTS], *out = calloc((size_t)n * NPTS, sizeof *out);

	points(NPTS, x, 5);
	CU_ASSERT_EQUAL_FATAL(pp_batch_create(net, NPTS, n, list, &b, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_network_forward(net, b, NPTS, x, out, &err), PP_OK);
	for (int c = 0; c < n; c++) {
		pp_channel ch = list[c], lower = list[c];
		int d;
		if (ch.order == 0)
			continue;
		d = ch.d[ch.order - 1];
		lower.order--;
		lower.d[lower.order] = -1;
		for (size_t i = 0; i < NPTS; i++) {
			double fd = (4 * central(net, &x[2 * i], lower, d, H_STEP / 2) -
				     central(net, &x[2 * i], lower, d, H_STEP)) / 3;
			PP_ASSERT_CLOSE(out[(size_t)c * NPTS + i], fd, ATOL, RTOL);
		}
	}
	free(out);
	pp_batch_destroy(b);
}

/* Every derivative of order 3 and 4 in (x, t), requested in a shuffled,
 * unsorted order, plus a few lower ones. */
static const pp_channel high[] = {
	PP_CHANNEL_D4(0, 0, 0, 0), PP_CHANNEL_D3(1, 0, 0), PP_CHANNEL_D3(0, 0, 0),
	PP_CHANNEL_D4(1, 0, 1, 0), PP_CHANNEL_D3(0, 1, 1), PP_CHANNEL_D4(1, 1, 1, 1),
	PP_CHANNEL_D3(1, 1, 1), PP_CHANNEL_D4(0, 1, 1, 1), PP_CHANNEL_D4(0, 0, 0, 1),
	PP_CHANNEL_DD(0, 1), PP_CHANNEL_D(1), PP_CHANNEL_U,
};
#define N_HIGH ((int)(sizeof high / sizeof high[0]))

static void check_high(const char *yaml)
{
	pp_network *net = make_net(yaml, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	check_list(net, N_HIGH, high);
	pp_network_destroy(net);
}

static void test_orders_3_and_4_match_finite_differences_tanh(void)
{
	check_high("layers: [7, 6, 5]\nactivation: tanh\n");
}

static void test_orders_3_and_4_match_finite_differences_sin(void)
{
	check_high("layers: [6, 5]\nactivation: sin\n");
}

static void test_orders_3_and_4_match_finite_differences_gelu(void)
{
	check_high("layers: [6, 5]\nactivation: gelu\n");
}

static void test_orders_3_and_4_match_finite_differences_embeddings(void)
{
	check_high("layers: [6]\nembedding:\n  periodic: {input: x, period: 2.0, harmonics: 2}\n");
	check_high("layers: [6]\nembedding:\n  random_fourier: {features: 3, scale: 0.4}\n");
}

/* Three outputs: each column's channels, and the second-order fast path
 * and the generic one agree on the channels they share. */
static void test_several_outputs_match_finite_differences(void)
{
	pp_network *net = make_net("layers: [6, 6]\n", 3);
	const pp_channel list[] = {
		PP_D3(0, 0, 0, 1), PP_U(2), PP_D(1, 0), PP_DD(1, 1, 1), PP_D(2, 1), PP_D4(2, 0, 1, 0, 1),
		PP_U(0), PP_DD(0, 0, 1),
	};
	const pp_channel low[] = {PP_U(0), PP_D(1, 0), PP_DD(1, 1, 1), PP_D(2, 1), PP_DD(0, 0, 1)};
	const int from[] = {6, 2, 3, 4, 7};
	pp_batch *b1 = NULL, *b2 = NULL;
	pp_error err = {0};
	pp_real x[2 * NPTS], o1[8 * NPTS], o2[5 * NPTS];

	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	CU_ASSERT_EQUAL(pp_network_output_count(net), 3);
	check_list(net, 8, list);
	points(NPTS, x, 8);
	pp_batch_create(net, NPTS, 8, list, &b1, &err);
	pp_batch_create(net, NPTS, 5, low, &b2, &err);
	pp_network_forward(net, b1, NPTS, x, o1, &err);
	pp_network_forward(net, b2, NPTS, x, o2, &err);
	for (int k = 0; k < 5; k++)
		for (size_t i = 0; i < NPTS; i++)
			PP_ASSERT_CLOSE(o2[(size_t)k * NPTS + i], o1[(size_t)from[k] * NPTS + i],
					1e2 * PP_REAL_EPSILON, 1e2 * PP_REAL_EPSILON);
	pp_batch_destroy(b1);
	pp_batch_destroy(b2);
	pp_network_destroy(net);
}

/* loss = Σ_c Σ_i coef_c·out_c,i²/2, seed = coef·out. */
static double loss_of(pp_network *net, pp_batch *b, int n, const pp_real *x, pp_real *out,
		      pp_real *seed)
{
	pp_error err = {0};
	double loss = 0;

	pp_network_forward(net, b, NPTS, x, out, &err);
	for (int c = 0; c < n; c++)
		for (size_t i = 0; i < NPTS; i++) {
			double coef = 1.0 / (1.0 + c), v = (double)out[(size_t)c * NPTS + i];
			loss += 0.5 * coef * v * v;
			if (seed)
				seed[(size_t)c * NPTS + i] = (pp_real)(coef * v);
		}
	return loss;
}

static void check_gradient(pp_network *net, int n, const pp_channel *list)
{
	pp_batch *b = NULL;
	pp_error err = {0};
	size_t P = pp_network_param_count(net);
	pp_real *p = pp_network_params(net), *grad = calloc(P, sizeof *grad);
	pp_real x[2 * NPTS], *out = calloc((size_t)n * NPTS, sizeof *out);
	pp_real *seed = calloc((size_t)n * NPTS, sizeof *seed);

	points(NPTS, x, 9);
	CU_ASSERT_EQUAL_FATAL(pp_batch_create(net, NPTS, n, list, &b, &err), PP_OK);
	loss_of(net, b, n, x, out, seed);
	CU_ASSERT_EQUAL(pp_network_backward(net, b, seed, grad, &err), PP_OK);
	for (size_t j = 0; j < P; j++) {
		pp_real save = p[j];
		double lp, lm;
		p[j] = save + (pp_real)H_STEP;
		lp = loss_of(net, b, n, x, out, NULL);
		p[j] = save - (pp_real)H_STEP;
		lm = loss_of(net, b, n, x, out, NULL);
		p[j] = save;
		PP_ASSERT_CLOSE(grad[j], (lp - lm) / (2 * H_STEP), ATOL * 10, RTOL * 10);
	}
	free(grad);
	free(out);
	free(seed);
	pp_batch_destroy(b);
}

static void test_gradients_through_orders_3_and_4_match_finite_differences(void)
{
	static const char *const yamls[] = {
		"layers: [5, 4]\nactivation: tanh\n", "layers: [4, 4]\nactivation: sin\n",
		"layers: [4]\nactivation: gelu\nembedding:\n  periodic: {input: x, harmonics: 1}\n",
	};
	const pp_channel multi[] = {PP_D4(0, 0, 0, 0, 0), PP_D3(1, 0, 1, 1), PP_U(1), PP_D(0, 1)};

	for (int k = 0; k < 3; k++) {
		pp_network *net = make_net(yamls[k], 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(net);
		check_gradient(net, N_HIGH, high);
		pp_network_destroy(net);
	}
	pp_network *net = make_net("layers: [5, 4]\n", 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	check_gradient(net, 4, multi);
	pp_network_destroy(net);
}

/* dirichlet_box on x: exactly `value` at x = ±1 whatever the weights, and
 * its channels and gradients are right; the PDE's transform: exactly g at
 * t = 0, channels and gradients right, and the hook called per forward. */
static void test_hard_constraints_hold_exactly_and_differentiate_right(void)
{
	pp_network *box = make_net("layers: [6, 5]\nhard: {p: {type: dirichlet_box, inputs: [x], value: 0.25}}\n", 2);
	pp_network *ini = make_net("layers: [6, 5]\nhard: {psi: initial}\n", 2);
	const pp_channel lb[] = {PP_U(1), PP_D(1, 0), PP_DD(1, 0, 0), PP_D3(1, 0, 0, 1), PP_D(0, 0)};
	const pp_channel li[] = {PP_U(0), PP_D(0, 1), PP_DD(0, 0, 1), PP_D3(0, 0, 1, 1), PP_D4(0, 0, 0, 1, 1)};
	pp_real edge[4] = {-1, 0.3, 1, 0.7}, start[4] = {-0.4, 0, 0.6, 0}, u[4];
	pp_error err = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(box);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ini);
	check_list(box, 5, lb);
	check_gradient(box, 5, lb);
	CU_ASSERT_EQUAL(pp_network_predict(box, 2, edge, u, &err), PP_OK);
	CU_ASSERT_EQUAL(u[2], (pp_real)0.25);   /* output p is u[n + i] */
	CU_ASSERT_EQUAL(u[3], (pp_real)0.25);
	transform_calls = 0;
	check_list(ini, 5, li);
	CU_ASSERT(transform_calls > 0);
	check_gradient(ini, 5, li);
	CU_ASSERT_EQUAL(pp_network_predict(ini, 2, start, u, &err), PP_OK);
	PP_ASSERT_CLOSE(u[0], sin(-0.8), PP_REAL_EPSILON, 4 * PP_REAL_EPSILON);
	PP_ASSERT_CLOSE(u[1], sin(1.2), PP_REAL_EPSILON, 4 * PP_REAL_EPSILON);
	pp_network_destroy(box);
	pp_network_destroy(ini);
}

static void test_bad_hard_constraints_are_refused(void)
{
	static const struct {
		const char *yaml, *message;
	} cases[] = {
		{"hard: {v: initial}\n", "net.yaml:1:11: hard: the PDE has no output 'v'; its outputs: psi, p"},
		{"hard: {p: initial}\n", "no hard constraint 'initial' for output 'p'; choose one of: dirichlet_box"},
		{"hard: {psi: bogus}\n", "choose one of: dirichlet_box, initial"},
		{"hard: {psi: {type: dirichlet_box, inputs: [z]}}\n", "dirichlet_box: the PDE has no input 'z'"},
		{"hard: [psi]\n", "hard: is a map from output names"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		pp_config_doc *doc = NULL;
		pp_network *net = NULL;
		pp_error err = {0};
		pp_pde_info info = pde_xy(2);
		CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(cases[k].yaml, strlen(cases[k].yaml), "net.yaml",
							  &doc, &err), PP_OK);
		CU_ASSERT_EQUAL(pp_network_create(pp_config_doc_root(doc), &info, 1, &net, &err),
				PP_ERR_CONFIG);
		if (!strstr(err.message, cases[k].message))
			fprintf(stderr, "got: %s\n", err.message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[k].message));
		pp_network_destroy(net);
		pp_config_doc_destroy(doc);
	}
}

/* σ^(k) against central differences of σ^(k−1), k = 1..5. */
static void test_activation_jets_match_finite_differences(void)
{
	for (int act = 0; act < 3; act++) {
		for (double z0 = -2.1; z0 < 2.2; z0 += 0.7) {
			pp_real z[3] = {(pp_real)z0, (pp_real)(z0 + H_STEP), (pp_real)(z0 - H_STEP)};
			pp_real h[3], s1[3], buf[5][3], *s[6];
			for (int k = 1; k <= 5; k++)
				s[k] = buf[k - 1];
			pp_activation_eval((pp_activation)act, 3, z, h, s1, NULL, NULL);
			pp_activation_jet((pp_activation)act, 3, z, h, 5, s);
			PP_ASSERT_CLOSE(s[1][0], s1[0], 4 * PP_REAL_EPSILON, 4 * PP_REAL_EPSILON);
			PP_ASSERT_CLOSE(s[1][0], ((double)h[1] - (double)h[2]) / (2 * H_STEP), ATOL, RTOL);
			for (int k = 2; k <= 5; k++)
				PP_ASSERT_CLOSE(s[k][0], ((double)s[k - 1][1] - (double)s[k - 1][2]) / (2 * H_STEP),
						ATOL, RTOL);
		}
	}
}

static void test_the_closure_holds_every_lower_derivative_once(void)
{
	const pp_channel req[] = {PP_D3(1, 0, 1, 0), PP_D(0, 1), PP_DD(1, 1, 0)};
	pp_channel out[PP_MAX_INTERNAL];
	pp_error err = {0};
	int n = 0;

	/* u_xxt (x = 0, t = 1): u, u_x, u_t, u_xx, u_xt, u_xxt in this order */
	CU_ASSERT_EQUAL_FATAL(pp_channel_closure(req, 3, 2, out, &n, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(n, 6);
	CU_ASSERT(pp_channel_same(out[0], PP_CHANNEL_U));
	CU_ASSERT(pp_channel_same(out[1], PP_CHANNEL_D(0)));
	CU_ASSERT(pp_channel_same(out[2], PP_CHANNEL_D(1)));
	CU_ASSERT(pp_channel_same(out[3], PP_CHANNEL_DD(0, 0)));
	CU_ASSERT(pp_channel_same(out[4], PP_CHANNEL_DD(1, 0)));
	CU_ASSERT(pp_channel_same(out[5], PP_CHANNEL_D3(0, 1, 0)));
	/* the full closure for four inputs at order 4 fits */
	{
		pp_channel all[35];
		int m = 0;
		for (int a = 0; a < 4; a++)
			for (int b = a; b < 4; b++)
				for (int c = b; c < 4; c++)
					for (int d = c; d < 4; d++)
						all[m++] = PP_CHANNEL_D4(a, b, c, d);
		CU_ASSERT_EQUAL(pp_channel_closure(all, 35, 4, out, &n, &err), PP_OK);
		CU_ASSERT_EQUAL(n, PP_MAX_INTERNAL);
	}
	CU_ASSERT_EQUAL(pp_channel_closure((pp_channel[]){PP_CHANNEL_D3(0, 2, 0)}, 1, 2, out, &n, &err),
			PP_ERR_INVALID);
}

/* ---- architectures ----------------------------------------------------- */

/* Every parameter moved by 0.3·N(0, 1), so that pirate's α (0 at first)
 * and the factorised scales take generic values. */
static void shake(pp_network *net, uint64_t seed)
{
	pp_rng r;
	pp_real *p = pp_network_params(net);

	pp_rng_init(&r, seed, 1);
	for (size_t j = 0; j < pp_network_param_count(net); j++)
		p[j] += (pp_real)(0.3 * pp_rng_normal(&r));
}

/* The value at one point computed the plain way, from the definitions in
 * network_impl.h: features, U and V, then each hidden layer's
 * σ(W·in + b) gated (a⊙U + (1 − a)⊙V) or mixed (α·a + (1 − α)·x_block),
 * with W = diag(e^s)·V when factorised; tanh only. */
static void dense_plain(const pp_network *net, int l, const double *in, double *out)
{
	const pp_layer_view *v = &net->layers[l];
	const pp_real *p = net->params;

	for (int k = 0; k < v->fan_out; k++) {
		double e = net->factorized ? exp((double)p[net->scale_offset[l] + (size_t)k]) : 1.0;
		double z = (double)p[v->bias_offset + (size_t)k];
		for (int j = 0; j < v->fan_in; j++)
			z += e * (double)p[v->weight_offset + (size_t)k * (size_t)v->fan_in + (size_t)j] *
			     in[j];
		out[k] = z;
	}
}

static double plain_value(const pp_network *net, const pp_real *x)
{
	double f[64], u[64], v[64], cur[64], z[64], blk[64];
	int F = net->n_features, L = net->n_layers;

	for (int j = 0; j < F; j++) {
		const feature *ft = &net->features[j];
		double a = 0;
		for (int k = 0; k < net->n_inputs; k++)
			a += ft->b[k] * (double)x[k];
		f[j] = ft->trig == 0 ? (double)x[ft->input] : ft->trig == 1 ? cos(a) : sin(a);
	}
	if (net->arch != ARCH_MLP) {
		dense_plain(net, GATE_U(net), f, u);
		dense_plain(net, GATE_V(net), f, v);
		for (int k = 0; k < net->width[1]; k++)
			u[k] = tanh(u[k]), v[k] = tanh(v[k]);
	}
	memcpy(cur, f, sizeof f);
	memcpy(blk, f, sizeof f);
	for (int l = 1; l < L; l++) {
		dense_plain(net, l - 1, cur, z);
		for (int k = 0; k < net->width[l]; k++) {
			double a = tanh(z[k]);
			if (net->gated[l])
				a = a * u[k] + (1 - a) * v[k];
			else if (net->mixed[l]) {
				double al = (double)net->params[net->alpha_offset[l]];
				a = al * a + (1 - al) * blk[k];
			}
			z[k] = a;
		}
		memcpy(cur, z, sizeof z);
		if (net->mixed[l])
			memcpy(blk, cur, sizeof cur);
	}
	dense_plain(net, L - 1, cur, z);
	return z[0];
}

static const char *const arch_yamls[] = {
	"type: modified_mlp\nwidth: 5\ndepth: 3\n",
	"type: pirate\nwidth: 6\nblocks: 2\nembedding:\n  random_fourier: {features: 3, scale: 0.4}\n",
	"layers: [5, 4]\nfactorization: true\n",
	"type: modified_mlp\nlayers: [4, 4]\nfactorization: {mean: 0.5, stddev: 0.2}\n",
	/* mean 0: e^s near 1, so that the shaken net's fourth derivatives stay
	 * small enough for differences with h = 1e-5 (with mean 1 one point's
	 * u_tt differs from them by 2e-6 relative, and by less as h shrinks) */
	"type: pirate\nwidth: 4\nblocks: 1\nfactorization: {mean: 0.0}\nembedding:\n  random_fourier: {features: 2, scale: 0.7}\n",
};
#define N_ARCH ((int)(sizeof arch_yamls / sizeof arch_yamls[0]))

/* Order ≤ 2: the fast kernels. */
static const pp_channel low[] = {
	PP_CHANNEL_U, PP_CHANNEL_D(0), PP_CHANNEL_D(1), PP_CHANNEL_DD(0, 0), PP_CHANNEL_DD(0, 1),
	PP_CHANNEL_DD(1, 1),
};
#define N_LOW ((int)(sizeof low / sizeof low[0]))

static void test_architectures_compute_what_they_define(void)
{
	pp_real x[2 * NPTS], u[NPTS];
	pp_error err = {0};

	points(NPTS, x, 11);
	for (int k = 0; k < N_ARCH; k++) {
		pp_network *net = make_net(arch_yamls[k], 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(net);
		shake(net, 3 + (uint64_t)k);
		CU_ASSERT_EQUAL(pp_network_predict(net, NPTS, x, u, &err), PP_OK);
		for (size_t i = 0; i < NPTS; i++)
			PP_ASSERT_CLOSE(u[i], plain_value(net, x + 2 * i), 1e3 * PP_REAL_EPSILON,
					1e3 * PP_REAL_EPSILON);
		pp_network_destroy(net);
	}
}

static void test_architectures_channels_match_finite_differences(void)
{
	for (int k = 0; k < N_ARCH; k++) {
		pp_network *net = make_net(arch_yamls[k], 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(net);
		shake(net, 5 + (uint64_t)k);
		check_list(net, N_LOW, low);
		check_list(net, N_HIGH, high);
		pp_network_destroy(net);
	}
}

static void test_architectures_gradients_match_finite_differences(void)
{
	for (int k = 0; k < N_ARCH; k++) {
		pp_network *net = make_net(arch_yamls[k], 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(net);
		shake(net, 7 + (uint64_t)k);
		check_gradient(net, N_LOW, low);
		check_gradient(net, N_HIGH, high);
		pp_network_destroy(net);
	}
}

/* V = W/e^s at the start, so factorising changes no output at the same
 * seed; pirate starts as a linear map of its features (α = 0). */
static void test_factorised_and_pirate_networks_start_where_they_should(void)
{
	pp_network *a = make_net("layers: [6, 5]\n", 0);
	pp_network *b = make_net("layers: [6, 5]\nfactorization: true\n", 0);
	pp_network *p = make_net("type: pirate\nwidth: 4\nblocks: 2\nembedding:\n"
				 "  random_fourier: {features: 2}\n", 0);
	pp_real x[2 * NPTS], ua[NPTS], ub[NPTS], up[NPTS];
	pp_error err = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	points(NPTS, x, 13);
	pp_network_predict(a, NPTS, x, ua, &err);
	pp_network_predict(b, NPTS, x, ub, &err);
	pp_network_predict(p, NPTS, x, up, &err);
	for (size_t i = 0; i < NPTS; i++) {
		const pp_layer_view *out = &p->layers[p->n_layers - 1];
		double lin = (double)p->params[out->bias_offset];
		for (int j = 0; j < p->n_features; j++) {
			const feature *ft = &p->features[j];
			double arg = ft->b[0] * (double)x[2 * i] + ft->b[1] * (double)x[2 * i + 1];
			lin += (double)p->params[out->weight_offset + (size_t)j] *
			       (ft->trig == 1 ? cos(arg) : sin(arg));
		}
		PP_ASSERT_CLOSE(ub[i], ua[i], 1e2 * PP_REAL_EPSILON, 1e2 * PP_REAL_EPSILON);
		PP_ASSERT_CLOSE(up[i], lin, 1e2 * PP_REAL_EPSILON, 1e2 * PP_REAL_EPSILON);
	}
	CU_ASSERT_EQUAL(pp_network_param_count(b), pp_network_param_count(a) + 6 + 5 + 1);
	pp_network_destroy(a);
	pp_network_destroy(b);
	pp_network_destroy(p);
}

static void expect_refused(const char *yaml, const char *needle)
{
	pp_config_doc *doc = NULL;
	pp_network *net = NULL;
	pp_error err = {0};
	pp_pde_info info = pde_xy(0);

	CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(yaml, strlen(yaml), "net.yaml", &doc, &err), PP_OK);
	CU_ASSERT_NOT_EQUAL(pp_network_create(pp_config_doc_root(doc), &info, 1, &net, &err), PP_OK);
	CU_ASSERT_PTR_NULL(net);
	if (!strstr(err.message, needle))
		fprintf(stderr, "message without '%s': %s\n", needle, err.message);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, needle));
	pp_config_doc_destroy(doc);
}

static void test_bad_architectures_are_refused(void)
{
	expect_refused("type: pirate\nwidth: 8\nblocks: 1\n", "features: 4");
	expect_refused("type: pirate\nlayers: [8, 8]\n", "width: and blocks:");
	expect_refused("type: modified_mlp\nlayers: [8, 6]\n", "one width");
	expect_refused("blocks: 2\n", "type: pirate");
	expect_refused("type: resnet\n", "resnet");
	expect_refused("factorization: {stddev: -1}\n", "stddev");
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"orders 3 and 4 match finite differences (tanh)", test_orders_3_and_4_match_finite_differences_tanh},
		{"orders 3 and 4 match finite differences (sin)", test_orders_3_and_4_match_finite_differences_sin},
		{"orders 3 and 4 match finite differences (gelu)", test_orders_3_and_4_match_finite_differences_gelu},
		{"orders 3 and 4 match finite differences (embeddings)", test_orders_3_and_4_match_finite_differences_embeddings},
		{"several outputs match finite differences", test_several_outputs_match_finite_differences},
		{"gradients through orders 3 and 4 match finite differences", test_gradients_through_orders_3_and_4_match_finite_differences},
		{"hard constraints hold exactly and differentiate right", test_hard_constraints_hold_exactly_and_differentiate_right},
		{"bad hard constraints are refused", test_bad_hard_constraints_are_refused},
		{"activation jets match finite differences", test_activation_jets_match_finite_differences},
		{"the closure holds every lower derivative once", test_the_closure_holds_every_lower_derivative_once},
		{"architectures compute what they define", test_architectures_compute_what_they_define},
		{"architectures' channels match finite differences", test_architectures_channels_match_finite_differences},
		{"architectures' gradients match finite differences", test_architectures_gradients_match_finite_differences},
		{"factorised and pirate networks start where they should", test_factorised_and_pirate_networks_start_where_they_should},
		{"bad architectures are refused", test_bad_architectures_are_refused},
		{NULL, NULL},
	};
	return pp_test_run("channels", cases);
}
