/* phasepinn — `check-plugin NAME|FILE.so`: a PDE plugin checked the way
 * tests/unit/test_pdes.c checks the built-in ones, without writing a test:
 *   declarations   what pp_registry_check_pde_info refuses, and what it lets
 *                  through but is wrong all the same (names twice, a channel
 *                  listed twice, a reference grid outside the domain, ...);
 *   term NAME      dr against central differences of r in every channel
 *                  value (paired ones too), for every component, at random
 *                  points of the term's pieces and random channel values;
 *                  each point's residual depending on that point only; and
 *                  dr_coef against differences in each coefficient;
 *   transform NAME g and d against differences of the channel one order
 *                  lower;
 *   reference      cli/check_reference.c.
 * One line per check; exit 1 when one failed, 2 on a usage error or a
 * plugin that cannot be loaded or created. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check_plugin.h"
#include "cli/commands.h"
#include "core/channels.h"

#define POINTS 16   /* per term: enough to visit every piece of up to 8 twice */

/* Central differences with step h·max(1, |v|) in a channel value v.  The
 * error of (r(v+h) − r(v−h))/2h is h²/6·|∂³r/∂v³| (truncation) plus about
 * ε·|r|/h (rounding of r's terms, ε the precision).  In double, h = 1e-4:
 * 1.7e-9·|∂³r| + 2.2e-12·|r|, so a tolerance of 1e-6 relative to the
 * largest entry of the point's Jacobian leaves room for third derivatives
 * 500 times and residual terms 10^5 times that entry, while a wrong entry
 * of a thousandth of it still fails.  In single precision (ε = 1.2e-7),
 * h = 3e-3 balances the two at about 1e-5·|r|; tolerance 1e-2. */
#ifdef PP_SINGLE_PRECISION
#define STEP 3e-3
#define TOLERANCE 1e-2
#else
#define STEP 1e-4
#define TOLERANCE 1e-6
#endif

void pp_plugin_check_say(pp_plugin_check *ck, const char *verdict, const char *fmt, ...)
{
	va_list ap;

	fprintf(ck->out, "%-4s  ", verdict);
	va_start(ap, fmt);
	vfprintf(ck->out, fmt, ap);
	va_end(ap);
	fputc('\n', ck->out);
	if (!strcmp(verdict, "FAIL"))
		ck->failed++;
	else if (!strcmp(verdict, "PASS"))
		ck->passed++;
	else
		ck->skipped++;
}

void pp_plugin_check_point(const pp_plugin_check *ck, const double *x, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int d = 0; d < ck->info.n_inputs && used < size; d++) {
		int w = snprintf(buf + used, size - used, "%s%s=%.6g", d ? " " : "",
				 ck->info.input_names[d], x[d]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static const char *component_name(const pp_term_info *t, int k, char *buf, size_t size)
{
	if (k < PP_MAX_COMPONENTS && t->component_names[k])
		return t->component_names[k];
	snprintf(buf, size, "r%d", k);
	return buf;
}

static void channel_name(const pp_plugin_check *ck, pp_channel c, char *buf, size_t size)
{
	pp_channel_name(c, pp_pde_output_name(&ck->info, c.output), ck->info.input_names, buf, size);
}

/* ---- declarations -------------------------------------------------------- */

/* One FAIL line "declarations: ...", counted in *count. */
static void fault(pp_plugin_check *ck, int *count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fault(pp_plugin_check *ck, int *count, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	pp_plugin_check_say(ck, "FAIL", "declarations: %s", msg);
	++*count;
}

/* Does one of names[0..n) equal names[k] for some k < n?  Its index into
 * *twice, else -1.  NULL names are skipped. */
static int find_twice(const char *const *names, int n)
{
	for (int k = 0; k < n; k++)
		for (int j = 0; names[k] && j < k; j++)
			if (names[j] && !strcmp(names[j], names[k]))
				return k;
	return -1;
}

/* What the core does not refuse but is wrong all the same; each problem one
 * FAIL line, into *count. */
static void check_names(pp_plugin_check *ck, int *count)
{
	const pp_pde_info *in = &ck->info;
	const char *names[PP_MAX_TERMS > PP_MAX_TRANSFORMS ? PP_MAX_TERMS : PP_MAX_TRANSFORMS];
	int k;

	if ((k = find_twice(in->input_names, in->n_inputs)) >= 0)
		fault(ck, count, "two inputs are named '%s'", in->input_names[k]);
	for (int t = 0; t < in->n_terms; t++)
		names[t] = in->terms[t].name;
	if ((k = find_twice(names, in->n_terms)) >= 0)
		fault(ck, count, "two terms are named '%s'", names[k]);
	for (int t = 0; t < in->n_transforms; t++)
		names[t] = in->transforms[t].name;
	if ((k = find_twice(names, in->n_transforms)) >= 0)
		fault(ck, count, "two hard constraints are named '%s'", names[k]);
	for (int t = 0; t < in->n_coefficients; t++)
		names[t] = in->coefficients[t].name;
	if ((k = find_twice(names, in->n_coefficients)) >= 0)
		fault(ck, count, "two coefficients are named '%s'", names[k]);
	if (in->time_input >= 0 && in->time_input == in->periodic_input)
		fault(ck, count, "input '%s' is both the time and the periodic input",
		      in->input_names[in->time_input]);
}

/* Per term: components named once, channels listed once. */
static void check_terms(pp_plugin_check *ck, int *count)
{
	for (int t = 0; t < ck->info.n_terms; t++) {
		const pp_term_info *term = &ck->info.terms[t];
		int K = pp_term_component_count(term), k;
		char a[64];

		if ((k = find_twice(term->component_names, K)) >= 0)
			fault(ck, count, "term '%s' names two components '%s'", term->name,
			      term->component_names[k]);
		for (int c = 0; c < term->n_channels; c++)
			for (int j = 0; j < c; j++) {
				if (term->channels[j].output != term->channels[c].output ||
				    !pp_channel_same(term->channels[j], term->channels[c]))
					continue;
				channel_name(ck, term->channels[c], a, sizeof a);
				fault(ck, count,
				      "term '%s' lists channel %s twice (channels %d and %d): its Jacobian would be split between them",
				      term->name, a, j, c);
			}
	}
}

/* The reference: an op when it says it has one, a grid inside the domain. */
static void check_reference_decl(pp_plugin_check *ck, int *count)
{
	const pp_pde_info *in = &ck->info;
	const pp_grid *g = &in->reference_grid;
	pp_error err = {0};

	if (in->has_reference && !ck->ops->reference) {
		fault(ck, count, "has_reference is set but the ops have no reference()");
		return;
	}
	if (!in->has_reference)
		return;
	if (g->n_dims != in->n_inputs || pp_grid_check(g, in->n_inputs, &err)) {
		fault(ck, count, "reference_grid: %s",
		      err.message[0] ? err.message : "its dimensions are not the inputs'");
		return;
	}
	for (int d = 0; d < g->n_dims; d++) {
		double slack = 1e-12 * (in->hi[d] - in->lo[d]);
		if (g->lo[d] < in->lo[d] - slack || g->hi[d] > in->hi[d] + slack)
			fault(ck, count,
			      "reference_grid spans [%g, %g] in '%s', outside the domain [%g, %g]",
			      g->lo[d], g->hi[d], in->input_names[d], in->lo[d], in->hi[d]);
	}
}

/* PP_OK when the core's own checks pass (later checks index by what the
 * plugin declared); the other problems are FAIL lines. */
static int check_declarations(pp_plugin_check *ck)
{
	pp_error err = {0};
	int problems = 0;

	if (pp_registry_check_pde_info(ck->plugin, &ck->info, &err)) {
		pp_plugin_check_say(ck, "FAIL", "declarations: %s", err.message);
		return PP_ERR_PLUGIN;
	}
	check_names(ck, &problems);
	check_terms(ck, &problems);
	check_reference_decl(ck, &problems);
	if (ck->info.n_transforms > 0 && !ck->ops->transform)
		fault(ck, &problems, "%d hard constraint(s) offered but the ops have no transform()",
		      ck->info.n_transforms);
	if (!problems)
		pp_plugin_check_say(ck, "PASS",
				    "declarations: %d input(s), %d output(s), %d term(s), %d hard constraint(s), %d coefficient(s)%s",
				    ck->info.n_inputs, pp_pde_output_count(&ck->info), ck->info.n_terms,
				    ck->info.n_transforms, ck->info.n_coefficients,
				    ck->info.has_reference ? ", a reference" : "");
	return PP_OK;
}

/* ---- residual Jacobians --------------------------------------------------- */

/* Buffers of one term's evaluation at POINTS points. */
typedef struct term_eval {
	int term, K, C, M;           /* components, channels, coefficients */
	int paired;
	pp_real x[POINTS * PP_MAX_INPUTS], x_pair[POINTS * PP_MAX_INPUTS];
	pp_real normal[POINTS * PP_MAX_INPUTS];
	int part[POINTS];
	pp_real u[PP_MAX_CHANNELS][POINTS], u_pair[PP_MAX_CHANNELS][POINTS];
	pp_real r[PP_MAX_COMPONENTS * POINTS];
	pp_real dr[PP_MAX_COMPONENTS * PP_MAX_CHANNELS][POINTS];
	pp_real dr_pair[PP_MAX_COMPONENTS * PP_MAX_CHANNELS][POINTS];
	pp_real dr_coef[PP_MAX_COMPONENTS * PP_MAX_COEFFICIENTS][POINTS];
	double coef[PP_MAX_COEFFICIENTS];
} term_eval;

/* The worst relative error found, and where. */
typedef struct worst {
	double err, analytic, difference;
	int component, channel, point, paired;
} worst;

static void note_worst(worst *w, double err, double analytic, double difference, int k, int c,
		       int i, int paired)
{
	if (!(err <= w->err))   /* NaN counts as the worst */
		*w = (worst){err, analytic, difference, k, c, i, paired};
}

/* Random points of @term's pieces (no pieces: the box), the paired points,
 * box-face normals for boundary terms and random channel values in [-1, 1]. */
static void draw_points(pp_plugin_check *ck, const pp_term_info *term, term_eval *e)
{
	int n = ck->info.n_inputs;

	for (int i = 0; i < POINTS; i++) {
		const pp_piece *piece = term->n_pieces ? &term->pieces[i % term->n_pieces] : NULL;
		double norm = 0;
		for (int d = 0; d < n; d++) {
			int side = piece ? piece->side[d] : PP_SIDE_FREE;
			double lo = ck->info.lo[d], hi = ck->info.hi[d];
			double v = side == PP_SIDE_LO ? lo : side == PP_SIDE_HI ? hi
				   : lo + (hi - lo) * pp_rng_uniform(&ck->rng);
			e->x[i * n + d] = (pp_real)v;
			e->x_pair[i * n + d] = (pp_real)(d == term->pair_input ? hi : v);
			e->normal[i * n + d] = side == PP_SIDE_LO ? -1 : side == PP_SIDE_HI ? 1 : 0;
			norm += e->normal[i * n + d] * e->normal[i * n + d];
		}
		if (norm == 0)   /* no face fixed: any unit vector outside time */
			for (int d = 0; d < n; d++) {
				e->normal[i * n + d] = (pp_real)(d == ck->info.time_input ? 0 : pp_rng_normal(&ck->rng));
				norm += e->normal[i * n + d] * e->normal[i * n + d];
			}
		for (int d = 0; d < n && norm > 0; d++)
			e->normal[i * n + d] = (pp_real)(e->normal[i * n + d] / sqrt(norm));
		e->part[i] = -1;
	}
	for (int c = 0; c < e->C; c++)
		for (int i = 0; i < POINTS; i++) {
			e->u[c][i] = (pp_real)(2 * pp_rng_uniform(&ck->rng) - 1);
			e->u_pair[c][i] = (pp_real)(2 * pp_rng_uniform(&ck->rng) - 1);
		}
}

/* r (into @r) and, when @jac, dr, dr_pair and dr_coef into @e. */
static int evaluate(pp_plugin_check *ck, term_eval *e, pp_real *r, int jac, pp_error *err)
{
	const pp_term_info *term = &ck->info.terms[e->term];
	const pp_real *u[PP_MAX_CHANNELS], *up[PP_MAX_CHANNELS];
	pp_real *dr[PP_MAX_COMPONENTS * PP_MAX_CHANNELS], *drp[PP_MAX_COMPONENTS * PP_MAX_CHANNELS];
	pp_real *dc[PP_MAX_COMPONENTS * PP_MAX_COEFFICIENTS];
	static pp_real scratch[2][PP_MAX_COMPONENTS * PP_MAX_CHANNELS][POINTS];
	pp_residual_args a = {0};

	for (int c = 0; c < e->C; c++) {
		u[c] = e->u[c];
		up[c] = e->u_pair[c];
	}
	for (int j = 0; j < e->K * e->C; j++) {
		dr[j] = jac ? e->dr[j] : scratch[0][j];
		drp[j] = jac ? e->dr_pair[j] : scratch[1][j];
	}
	for (int j = 0; j < e->K * e->M; j++)
		dc[j] = e->dr_coef[j];
	if (jac)
		memset(e->dr_coef, 0, sizeof e->dr_coef);   /* the core zeroes them */
	a.term = e->term;
	a.n = POINTS;
	a.x = e->x;
	a.u = u;
	a.r = r;
	a.dr = dr;
	a.coef = e->coef;
	a.dr_coef = jac && e->M ? dc : NULL;
	if (e->paired) {
		a.x_pair = e->x_pair;
		a.u_pair = up;
		a.dr_pair = drp;
	}
	if (term->boundary) {
		a.normal = e->normal;
		a.part = e->part;
	}
	return ck->ops->residual(ck->state, &a, err);
}

/* A non-finite value among r and the Jacobians: its description, or NULL. */
static const char *not_finite(const term_eval *e)
{
	for (int j = 0; j < e->K * POINTS; j++)
		if (!isfinite(e->r[j]))
			return "r";
	for (int j = 0; j < e->K * e->C; j++)
		for (int i = 0; i < POINTS; i++) {
			if (!isfinite(e->dr[j][i]))
				return "dr";
			if (e->paired && !isfinite(e->dr_pair[j][i]))
				return "dr_pair";
		}
	for (int j = 0; j < e->K * e->M; j++)
		for (int i = 0; i < POINTS; i++)
			if (!isfinite(e->dr_coef[j][i]))
				return "dr_coef";
	return NULL;
}

/* Central differences of r in channel @c (paired or not) at every point:
 * fd[k][i] = ∂r_k,i/∂u[c]_i; *cross names a point j != i whose residual
 * moved (the contract: r at a point depends on that point's channels only). */
static int channel_differences(pp_plugin_check *ck, term_eval *e, int c, int paired,
			       double fd[PP_MAX_COMPONENTS][POINTS], int *cross, pp_error *err)
{
	static pp_real rp[PP_MAX_COMPONENTS * POINTS], rm[PP_MAX_COMPONENTS * POINTS];
	pp_real *v = paired ? e->u_pair[c] : e->u[c];
	int rc;

	*cross = -1;
	for (int i = 0; i < POINTS; i++) {
		pp_real save = v[i];
		double h = STEP * fmax(1.0, fabs((double)save));
		v[i] = (pp_real)(save + h);
		rc = evaluate(ck, e, rp, 0, err);
		v[i] = (pp_real)(save - h);
		if (!rc)
			rc = evaluate(ck, e, rm, 0, err);
		v[i] = save;
		if (rc)
			return rc;
		for (int k = 0; k < e->K; k++) {
			fd[k][i] = ((double)rp[k * POINTS + i] - (double)rm[k * POINTS + i]) / (2 * h);
			for (int j = 0; j < POINTS; j++)
				if (j != i && (rp[k * POINTS + j] != e->r[k * POINTS + j] ||
					       rm[k * POINTS + j] != e->r[k * POINTS + j]))
					*cross = j;
		}
	}
	return PP_OK;
}

/* The largest |entry| of point i's Jacobian (either side), the scale its
 * errors are relative to; never below the smallest normal double. */
static double point_scale(const term_eval *e, int i, double fd[][PP_MAX_COMPONENTS][POINTS])
{
	double s = 1e-300;

	for (int k = 0; k < e->K; k++)
		for (int c = 0; c < e->C * (1 + e->paired); c++) {
			int ch = c % e->C, pair = c / e->C;
			double a = pair ? e->dr_pair[k * e->C + ch][i] : e->dr[k * e->C + ch][i];
			s = fmax(s, fmax(fabs(a), fabs(fd[c][k][i])));
		}
	return s;
}

static void say_worst(pp_plugin_check *ck, const term_eval *e, const char *what, const worst *w,
		      double tolerance, const char *entry)
{
	const pp_term_info *term = &ck->info.terms[e->term];
	char comp[16], where[160];
	double x[PP_MAX_INPUTS];

	for (int d = 0; d < ck->info.n_inputs; d++)
		x[d] = e->x[w->point * ck->info.n_inputs + d];
	pp_plugin_check_point(ck, x, where, sizeof where);
	pp_plugin_check_say(ck, w->err <= tolerance ? "PASS" : "FAIL",
			    "term '%s': %s: worst relative error %.2e (tolerance %.0e) at component %s, %s, point %s: %s = %.10g, central difference %.10g",
			    term->name, what, w->err, tolerance,
			    component_name(term, w->component, comp, sizeof comp), entry, where,
			    what, w->analytic, w->difference);
}

/* dr and dr_pair of term @e->term against central differences. */
static int check_dr(pp_plugin_check *ck, term_eval *e, pp_error *err)
{
	static double fd[2 * PP_MAX_CHANNELS][PP_MAX_COMPONENTS][POINTS];
	const pp_term_info *term = &ck->info.terms[e->term];
	worst w = {.err = -1};
	char entry[96], ch[64];
	int cross = -1, rc;

	for (int c = 0; c < e->C * (1 + e->paired); c++) {
		int moved;
		rc = channel_differences(ck, e, c % e->C, c / e->C, fd[c], &moved, err);
		if (rc)
			return rc;
		cross = moved >= 0 ? moved : cross;
	}
	for (int i = 0; i < POINTS; i++) {
		double s = point_scale(e, i, fd);
		for (int k = 0; k < e->K; k++)
			for (int c = 0; c < e->C * (1 + e->paired); c++) {
				int chan = c % e->C, pair = c / e->C;
				double a = pair ? e->dr_pair[k * e->C + chan][i] : e->dr[k * e->C + chan][i];
				note_worst(&w, fabs(a - fd[c][k][i]) / s, a, fd[c][k][i], k, c, i, pair);
			}
	}
	channel_name(ck, term->channels[w.channel % e->C], ch, sizeof ch);
	snprintf(entry, sizeof entry, "channel %s%s", ch, w.paired ? " (paired point)" : "");
	say_worst(ck, e, w.paired ? "dr_pair" : "dr", &w, TOLERANCE, entry);
	if (cross >= 0)
		pp_plugin_check_say(ck, "FAIL",
				    "term '%s': the residual at point %d changed with another point's channels; r at a point must depend on that point's channels only",
				    term->name, cross);
	return PP_OK;
}

/* dr_coef against central differences in each coefficient (h·max(1, |c|),
 * the argument of STEP). */
static int check_dr_coef(pp_plugin_check *ck, term_eval *e, pp_error *err)
{
	static pp_real rp[PP_MAX_COMPONENTS * POINTS], rm[PP_MAX_COMPONENTS * POINTS];
	static double fd[PP_MAX_COEFFICIENTS][PP_MAX_COMPONENTS][POINTS];
	worst w = {.err = -1};
	char entry[96];
	int rc;

	for (int j = 0; j < e->M; j++) {
		double save = e->coef[j], h = STEP * fmax(1.0, fabs(save));
		e->coef[j] = save + h;
		rc = evaluate(ck, e, rp, 0, err);
		e->coef[j] = save - h;
		if (!rc)
			rc = evaluate(ck, e, rm, 0, err);
		e->coef[j] = save;
		if (rc)
			return rc;
		for (int k = 0; k < e->K; k++)
			for (int i = 0; i < POINTS; i++)
				fd[j][k][i] = ((double)rp[k * POINTS + i] - (double)rm[k * POINTS + i]) / (2 * h);
	}
	for (int i = 0; i < POINTS; i++) {
		double s = 1e-300;
		for (int k = 0; k < e->K; k++)
			for (int j = 0; j < e->M; j++)
				s = fmax(s, fmax(fabs(e->dr_coef[k * e->M + j][i]), fabs(fd[j][k][i])));
		for (int k = 0; k < e->K; k++)
			for (int j = 0; j < e->M; j++)
				note_worst(&w, fabs(e->dr_coef[k * e->M + j][i] - fd[j][k][i]) / s,
					   e->dr_coef[k * e->M + j][i], fd[j][k][i], k, j, i, 0);
	}
	snprintf(entry, sizeof entry, "coefficient %s", ck->info.coefficients[w.channel].name);
	say_worst(ck, e, "dr_coef", &w, TOLERANCE, entry);
	return PP_OK;
}

static void check_term(pp_plugin_check *ck, int t)
{
	static term_eval e;
	const pp_term_info *term = &ck->info.terms[t];
	pp_error err = {0};
	const char *bad;
	int rc;

	memset(&e, 0, sizeof e);
	e.term = t;
	e.K = pp_term_component_count(term);
	e.C = term->n_channels;
	e.M = ck->info.n_coefficients;
	e.paired = term->pair_input >= 0;
	memcpy(e.coef, ck->coef, sizeof e.coef);
	draw_points(ck, term, &e);
	rc = evaluate(ck, &e, e.r, 1, &err);
	if (!rc && (bad = not_finite(&e)) != NULL)
		rc = pp_error_set(&err, PP_ERR_NUMERIC,
				  "%s is not finite at random points and channel values in [-1, 1]", bad);
	if (!rc)
		rc = check_dr(ck, &e, &err);
	if (!rc && e.M)
		rc = check_dr_coef(ck, &e, &err);
	if (rc)
		pp_plugin_check_say(ck, "FAIL", "term '%s': residual(): %s", term->name, err.message);
}

/* ---- hard constraints ------------------------------------------------------ */

/* Every multi-index of total order <= @order over @n inputs, by order, as
 * channels; their count. */
static int all_derivatives(int n, int order, pp_channel *out)
{
	int count = 0;

	for (int k = 0; k <= order; k++) {
		int d[PP_MAX_ORDER] = {0};   /* non-decreasing inputs: one multiset each */
		for (;;) {
			pp_channel c = {(int8_t)k, 0, {-1, -1, -1, -1}};
			int j;
			for (j = 0; j < k; j++)
				c.d[j] = (int8_t)d[j];
			out[count++] = c;
			for (j = k - 1; j >= 0 && d[j] == n - 1; j--)
				;
			if (j < 0)
				break;
			d[j]++;
			for (int l = j + 1; l < k; l++)
				d[l] = d[j];
		}
	}
	return count;
}

/* The highest derivative order the terms ask for (at least 1). */
static int highest_order(const pp_pde_info *in)
{
	int order = 1;

	for (int t = 0; t < in->n_terms; t++)
		for (int c = 0; c < in->terms[t].n_channels; c++)
			order = in->terms[t].channels[c].order > order ? in->terms[t].channels[c].order : order;
	return order;
}

/* g and d of hard constraint @k: every derivative channel against central
 * differences (step 1e-5 of the input's length) of the channel one order
 * lower, at random points kept 5% away from the faces.  g and d are smooth
 * closed forms: truncation h²/6·|f'''| and rounding ε·|f|/h are both near
 * 1e-10 of the values for unit-scale functions; tolerance 1e-6 of the
 * larger of the two sides, with a floor of 1e-9 of the largest channel. */
#define T_BASES 4
static void check_transform(pp_plugin_check *ck, int k)
{
	enum { MAXCH = PP_MAX_INTERNAL };
	static pp_channel ch[MAXCH];
	int n = ck->info.n_inputs, stencil = 1 + 2 * n, npts = T_BASES * stencil;
	static pp_real x[T_BASES * (1 + 2 * PP_MAX_INPUTS) * PP_MAX_INPUTS];
	static pp_real g[MAXCH][T_BASES * (1 + 2 * PP_MAX_INPUTS)], dd[MAXCH][T_BASES * (1 + 2 * PP_MAX_INPUTS)];
	pp_real *gp[MAXCH], *dp[MAXCH];
	const pp_transform_info *tr = &ck->info.transforms[k];
	int nch = all_derivatives(n, highest_order(&ck->info), ch);
	double h[PP_MAX_INPUTS];
	worst w = {.err = -1};
	int worst_fn = 0;
	pp_error err = {0};
	pp_transform_args a = {.transform = k, .output = tr->output, .n = (size_t)npts, .x = x,
			       .n_channels = nch, .channels = ch, .g = gp, .d = dp};
	char name[64], where[160];
	double xb[PP_MAX_INPUTS];

	for (int c = 0; c < nch; c++) {
		gp[c] = g[c];
		dp[c] = dd[c];
	}
	for (int d = 0; d < n; d++)
		h[d] = 1e-5 * (ck->info.hi[d] - ck->info.lo[d]);
	for (int b = 0; b < T_BASES; b++)
		for (int d = 0; d < n; d++) {
			double v = ck->info.lo[d] + (ck->info.hi[d] - ck->info.lo[d]) *
				   (0.05 + 0.9 * pp_rng_uniform(&ck->rng));
			for (int s = 0; s < stencil; s++)   /* s = 1 + 2e: +h in e; 2 + 2e: −h */
				x[(b * stencil + s) * n + d] = (pp_real)(v + (s && (s - 1) / 2 == d
					? ((s - 1) % 2 ? -h[d] : h[d]) : 0));
		}
	if (ck->ops->transform(ck->state, &a, &err)) {
		pp_plugin_check_say(ck, "FAIL", "transform '%s': transform(): %s", tr->name, err.message);
		return;
	}
	for (int fn = 0; fn < 2; fn++) {
		pp_real (*f)[T_BASES * (1 + 2 * PP_MAX_INPUTS)] = fn ? dd : g;
		for (int b = 0; b < T_BASES; b++) {
			int i0 = b * stencil;
			double floor = 1e-300;
			for (int c = 0; c < nch; c++)
				floor = fmax(floor, 1e-9 * fabs(f[c][i0]));
			for (int c = 1; c < nch; c++) {
				pp_channel lower = ch[c];
				int dir = lower.d[--lower.order], lc;
				lower.d[lower.order] = -1;
				lc = pp_channel_find(ch, nch, lower);
				double fdv = ((double)f[lc][i0 + 1 + 2 * dir] - (double)f[lc][i0 + 2 + 2 * dir]) /
					     (2 * h[dir]);
				double a_ = f[c][i0];
				double e = fabs(a_ - fdv) / fmax(floor, fmax(fabs(a_), fabs(fdv)));
				double before = w.err;
				note_worst(&w, e, a_, fdv, 0, c, i0, 0);
				if (w.err != before)
					worst_fn = fn;
			}
		}
	}
	if (w.err < 0) {
		pp_plugin_check_say(ck, "PASS", "transform '%s': g and d given (no derivatives asked)", tr->name);
		return;
	}
	pp_channel_name(ch[w.channel], worst_fn ? "d" : "g", ck->info.input_names, name, sizeof name);
	for (int d = 0; d < n; d++)
		xb[d] = x[w.point * n + d];
	pp_plugin_check_point(ck, xb, where, sizeof where);
	pp_plugin_check_say(ck, w.err <= 1e-6 ? "PASS" : "FAIL",
			    "transform '%s': worst relative error %.2e (tolerance 1e-06) in %s at point %s: %.10g, central difference %.10g",
			    tr->name, w.err, name, where, w.analytic, w.difference);
}

/* ---- the command ------------------------------------------------------------ */

/* The plugin named (or the .so given) as a PDE plugin of @reg; NULL after
 * printing why. */
static const pp_plugin *find_plugin(pp_registry **reg, const char *name, const char *const *dirs,
				    int n_dirs)
{
	size_t len = strlen(name);
	pp_error err = {0};
	const pp_plugin *p = NULL;

	if (strchr(name, '/') || (len > 3 && !strcmp(name + len - 3, ".so"))) {
		if (pp_registry_create(reg, &err) || pp_registry_load_file(*reg, name, &err)) {
			fprintf(stderr, "phasepinn check-plugin: %s\n", err.message);
			return NULL;
		}
		p = pp_registry_at(*reg, 0);
		if (p->kind != PP_KIND_PDE) {
			fprintf(stderr, "phasepinn check-plugin: %s is a %s plugin; only pde plugins are checked\n",
				name, pp_kind_name(p->kind));
			return NULL;
		}
		return p;
	}
	pp_cli_set_plugin_dirs(dirs, n_dirs);
	*reg = pp_cli_registry();
	if (!*reg)
		return NULL;
	p = pp_registry_require(*reg, PP_KIND_PDE, name, &err);
	if (!p)
		fprintf(stderr, "phasepinn check-plugin: %s\n", err.message);
	return p;
}

/* "NxM..." into @grid's sizes (n_dims sizes); 0 when it does not parse. */
static int parse_sizes(const char *text, pp_grid *grid)
{
	const char *s = text;

	for (int d = 0; d < PP_MAX_INPUTS; d++) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s || v < 1)
			return 0;
		grid->n[d] = v;
		grid->n_dims = d + 1;
		if (!*end)
			return 1;
		if (*end != 'x')
			return 0;
		s = end + 1;
	}
	return 0;
}

/* Create and describe @p as the core does; the tally's counts. */
static int run_checks(pp_plugin_check *ck, const pp_grid *grid)
{
	pp_error err = {0};

	ck->info.time_input = ck->info.periodic_input = -1;
	if (ck->ops->create(NULL, &ck->state, &err) ||
	    ck->ops->describe(ck->state, &ck->info, &err)) {
		pp_plugin_check_say(ck, "FAIL", "create/describe with every default: %s", err.message);
		return PP_EXIT_FAILED;
	}
	if (check_declarations(ck) == PP_OK) {
		for (int j = 0; j < ck->info.n_coefficients; j++)
			ck->coef[j] = ck->info.coefficients[j].value;
		for (int t = 0; t < ck->info.n_terms; t++)
			check_term(ck, t);
		for (int k = 0; k < ck->info.n_transforms && ck->ops->transform; k++)
			check_transform(ck, k);
		if (ck->info.has_reference && ck->ops->reference) {
			if (grid && grid->n_dims != ck->info.n_inputs) {
				fprintf(stderr, "phasepinn check-plugin: --reference-grid needs %d sizes\n",
					ck->info.n_inputs);
				return PP_EXIT_USAGE;
			}
			pp_plugin_check_reference(ck, grid);
		} else {
			pp_plugin_check_say(ck, "SKIP", "reference: the plugin has none");
		}
	}
	fprintf(ck->out, "%s: %d passed, %d failed, %d skipped\n", ck->plugin->name, ck->passed,
		ck->failed, ck->skipped);
	return ck->failed ? PP_EXIT_FAILED : PP_EXIT_OK;
}

int pp_cli_check_plugin(int argc, char **argv)
{
	static const char *dirs[32];
	const char *name = NULL;
	int n_dirs = pp_cli_plugin_dirs(dirs, 32);
	unsigned long seed = 1;
	pp_grid grid = {0}, *gridp = NULL;
	pp_registry *reg = NULL;
	pp_plugin_check ck = {0};
	int code;

	for (int i = 1; i < argc; i++) {
		char *end;
		if (!strcmp(argv[i], "--plugin-dir") && i + 1 < argc && n_dirs < 32) {
			dirs[n_dirs++] = argv[++i];
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoul(argv[++i], &end, 10);
			if (*end || !*argv[i])
				goto usage;
		} else if (!strcmp(argv[i], "--reference-grid") && i + 1 < argc) {
			if (!parse_sizes(argv[++i], &grid))
				goto usage;
			gridp = &grid;
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			fprintf(stderr, "phasepinn check-plugin: unexpected argument '%s'\n", argv[i]);
			goto usage;
		}
	}
	if (!name)
		goto usage;
	ck.plugin = find_plugin(&reg, name, dirs, n_dirs);
	if (!ck.plugin) {
		pp_registry_destroy(reg);
		return PP_EXIT_USAGE;
	}
	ck.ops = ck.plugin->ops;
	ck.out = stdout;
	pp_rng_init(&ck.rng, seed, 0x43484b50u /* "CHKP" */);
	code = run_checks(&ck, gridp);
	if (ck.state)
		ck.ops->destroy(ck.state);
	pp_registry_destroy(reg);
	return code;
usage:
	pp_cli_help("check-plugin", stderr);
	return PP_EXIT_USAGE;
}
