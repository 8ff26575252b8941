/* phasepinn — `check-plugin`: does the reference solve the PDE?
 *
 * The reference is computed on a tensor grid spanning the domain (129 points
 * an input in 2-D; --reference-grid to choose), its derivative channels are
 * taken by central differences on the grid, and every interior term's
 * residual is evaluated with them at the grid points, twice: with spacing h
 * (r_h) and with spacing 2h on every other point (r_2h).  Both stencils are
 * second-order accurate, so for a reference that solves the PDE
 * r_h ≈ C·h² and r_2h ≈ 4·C·h², and the Richardson extrapolate
 * (4·r_h − r_2h)/3 removes that error, leaving O(h⁴) and the reference's
 * own error.  Sizes are relative to S, the sum of the magnitudes of the
 * residual's terms at the point (Σ_c |∂r/∂u_c · u_c|, the scale the
 * cancellation happens at).
 *
 * "Small" means: at every point where the grid resolves the solution, the
 * extrapolate is below 1e-2·S.  A point is resolved when refining changes the
 * residual by at most a tenth of S (|r_h − r_2h| ≤ 0.1·S); a wrong
 * reference (a coefficient off by a factor, a sign) leaves an O(S) residual
 * that refining does not change, so it is judged and fails.  Where the
 * solution has a shock or a thin layer that the grid does not resolve
 * (Burgers' front of width ~ν/|u| = 0.003 against h = 0.016), refining
 * changes the residual by O(S): such points are counted and left out, with
 * the box they lie in.  pp_pde_info has no flag for shock problems; this is
 * how they are recognised.  When fewer than 10% of the points are resolved,
 * the term is not judged (SKIP) and the residual is reported.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check_plugin.h"
#include "cli/commands.h"

#define REF_TOLERANCE 1e-2
#define RESOLVED 0.01
#define MIN_RESOLVED 0.5   /* refine the grid until this share is resolved */
#define MIN_JUDGED 0.1     /* below this share the term is not judged */
#define FLOOR 1.0
#define MAX_REFINED_POINTS (1L << 19)

/* 1-D central-difference weights of derivative order 0..4 on the offsets
 * −2..2 (unit spacing), all second-order accurate. */
static const double weights[PP_MAX_ORDER + 1][5] = {
	{0, 0, 1, 0, 0},
	{0, -0.5, 0, 0.5, 0},
	{0, 1, -2, 1, 0},
	{-0.5, 1, 0, -1, 0.5},
	{1, -4, 6, -4, 1},
};

typedef struct ref_grid {
	pp_grid g;
	size_t size;
	long stride[PP_MAX_INPUTS];
	double h[PP_MAX_INPUTS];
	const double *u;       /* n_outputs × size */
} ref_grid;

/* The grid: @given's sizes, else the plugin's own reference grid's (where
 * its reference is meant to be good) when each has room for the stencils,
 * else 1025, 129, 33, 17 points per input in 1 to 4 dimensions; @refine
 * times doubled in resolution.  It spans the domain, periodic (endpoint 0)
 * in an input where the plugin's own grid is. */
static void choose_grid(const pp_plugin_check *ck, const pp_grid *given, int refine, ref_grid *rg)
{
	static const long default_n[PP_MAX_INPUTS] = {1025, 129, 33, 17};
	const pp_pde_info *in = &ck->info;
	const pp_grid *own = in->reference_grid.n_dims == in->n_inputs ? &in->reference_grid : NULL;
	long stride = 1;

	for (int d = 0; own && d < in->n_inputs; d++)
		if (own->n[d] < 9)
			own = NULL;
	memset(rg, 0, sizeof *rg);
	rg->g.n_dims = in->n_inputs;
	for (int d = 0; d < in->n_inputs; d++) {
		rg->g.n[d] = given ? given->n[d] : own ? own->n[d] : default_n[in->n_inputs - 1];
		rg->g.lo[d] = in->lo[d];
		rg->g.hi[d] = in->hi[d];
		rg->g.endpoint[d] = own ? own->endpoint[d] : 1;
		for (int r = 0; r < refine; r++)
			rg->g.n[d] = rg->g.endpoint[d] ? 2 * rg->g.n[d] - 1 : 2 * rg->g.n[d];
		rg->h[d] = (in->hi[d] - in->lo[d]) /
			   (double)(rg->g.endpoint[d] ? rg->g.n[d] - 1 : rg->g.n[d]);
	}
	for (int d = in->n_inputs - 1; d >= 0; d--) {
		rg->stride[d] = stride;
		stride *= rg->g.n[d];
	}
	rg->size = pp_grid_size(&rg->g);
}

/* Channel @c at grid point @idx by central differences with spacing @s grid
 * steps; NAN when the stencil leaves a non-periodic input's grid. */
static double difference(const ref_grid *rg, pp_channel c, const long *idx, int s)
{
	int count[PP_MAX_INPUTS] = {0}, dims[PP_MAX_INPUTS], m = 0, combos = 1;
	double sum = 0;

	for (int j = 0; j < c.order; j++)
		count[c.d[j]]++;
	for (int d = 0; d < rg->g.n_dims; d++)
		if (count[d]) {
			dims[m++] = d;
			combos *= 5;
		}
	for (int combo = 0; combo < combos; combo++) {
		double w = 1;
		long at = 0;
		int rest = combo;
		for (int d = 0; d < rg->g.n_dims; d++)
			at += idx[d] * rg->stride[d];
		for (int q = 0; q < m && w != 0; q++) {
			int d = dims[q], o = rest % 5 - 2;
			long i = idx[d] + (long)s * o;
			rest /= 5;
			w *= weights[count[d]][o + 2] / pow(s * rg->h[d], count[d]);
			if (w == 0)
				break;
			if (!rg->g.endpoint[d])
				i = ((i % rg->g.n[d]) + rg->g.n[d]) % rg->g.n[d];
			else if (i < 0 || i >= rg->g.n[d])
				return NAN;
			at += (i - idx[d]) * rg->stride[d];
		}
		if (w != 0)
			sum += w * rg->u[(size_t)c.output * rg->size + (size_t)at];
	}
	return sum;
}

/* Where the judged points lie: the grid points with even indices, whose
 * every channel has both stencils. */
typedef struct ref_points {
	size_t n;
	size_t *at;                       /* each point's index in the grid */
	unsigned char *flag;              /* per grid point: 0 not judged, 1 resolved,
					     2 not resolved (at every point) */
	pp_real *x;                       /* n × n_inputs */
	pp_real *fine[PP_MAX_CHANNELS], *coarse[PP_MAX_CHANNELS];
	pp_real *r_fine, *r_coarse;       /* K × n */
	pp_real *dr[PP_MAX_COMPONENTS * PP_MAX_CHANNELS];
} ref_points;

static void free_points(ref_points *p)
{
	free(p->at);
	free(p->flag);
	free(p->x);
	free(p->r_fine);
	free(p->r_coarse);
	for (int c = 0; c < PP_MAX_CHANNELS; c++) {
		free(p->fine[c]);
		free(p->coarse[c]);
	}
	for (int j = 0; j < PP_MAX_COMPONENTS * PP_MAX_CHANNELS; j++)
		free(p->dr[j]);
	memset(p, 0, sizeof *p);
}

static int alloc_points(ref_points *p, size_t max, int n_inputs, int K, int C)
{
	memset(p, 0, sizeof *p);
	p->at = malloc(max * sizeof *p->at);
	p->flag = calloc(max, 1);
	if (!p->at || !p->flag)
		return PP_ERR_NOMEM;
	p->x = malloc(max * (size_t)n_inputs * sizeof *p->x);
	p->r_fine = malloc(max * (size_t)K * sizeof *p->r_fine);
	p->r_coarse = malloc(max * (size_t)K * sizeof *p->r_coarse);
	if (!p->x || !p->r_fine || !p->r_coarse)
		return PP_ERR_NOMEM;
	for (int c = 0; c < C; c++)
		if (!(p->fine[c] = malloc(max * sizeof **p->fine)) ||
		    !(p->coarse[c] = malloc(max * sizeof **p->coarse)))
			return PP_ERR_NOMEM;
	for (int j = 0; j < K * C; j++)
		if (!(p->dr[j] = malloc(max * sizeof **p->dr)))
			return PP_ERR_NOMEM;
	return PP_OK;
}

/* Fill @p with the term's channels at every judged point. */
static void collect(const ref_grid *rg, const pp_term_info *term, ref_points *p)
{
	int n = rg->g.n_dims;

	p->n = 0;
	for (size_t i = 0; i < rg->size; i++) {
		long idx[PP_MAX_INPUTS];
		double x[PP_MAX_INPUTS];
		int ok = 1;
		for (int d = 0; d < n; d++) {
			idx[d] = (long)(i / (size_t)rg->stride[d]) % rg->g.n[d];
			ok &= idx[d] % 2 == 0;
		}
		for (int c = 0; ok && c < term->n_channels; c++) {
			double f = difference(rg, term->channels[c], idx, 1);
			double g = difference(rg, term->channels[c], idx, 2);
			ok = isfinite(f) && isfinite(g);
			p->fine[c][p->n] = (pp_real)f;
			p->coarse[c][p->n] = (pp_real)g;
		}
		if (!ok)
			continue;
		pp_grid_point(&rg->g, i, x);
		p->at[p->n] = i;
		for (int d = 0; d < n; d++)
			p->x[p->n * (size_t)n + (size_t)d] = (pp_real)x[d];
		p->n++;
	}
}

static int residual_at(pp_plugin_check *ck, int t, ref_points *p, pp_real *const *u, pp_real *r,
		       pp_error *err)
{
	pp_residual_args a = {0};

	a.term = t;
	a.n = p->n;
	a.x = p->x;
	a.u = (const pp_real *const *)u;
	a.r = r;
	a.dr = p->dr;
	a.coef = ck->coef;
	return ck->ops->residual(ck->state, &a, err);
}

/* What the judged points say, per term. */
typedef struct ref_summary {
	size_t judged, unresolved;
	double worst, worst_x[PP_MAX_INPUTS], largest_unresolved;
	double box_lo[PP_MAX_INPUTS], box_hi[PP_MAX_INPUTS];   /* of the unresolved */
	int worst_k;
} ref_summary;

/* The scale of component @k's terms at point @i (Σ_c |∂r/∂u_c · u_c|). */
static double term_scale(const ref_points *p, int C, int k, size_t i)
{
	double sc = 0;

	for (int c = 0; c < C; c++)
		sc += fabs((double)p->dr[k * C + c][i] * (double)p->fine[c][i]);
	return sc;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the terms' scale over the points: where S is far below it
 * (a node of the solution, where every term vanishes) residuals are
 * compared with FLOOR times it instead. */
static double median_scale(const ref_points *p, int K, int C)
{
	size_t n = p->n * (size_t)K;
	double *v = malloc(n * sizeof *v), m;

	if (!v)
		return 0;
	for (size_t i = 0; i < p->n; i++)
		for (int k = 0; k < K; k++)
			v[i * (size_t)K + (size_t)k] = term_scale(p, C, k, i);
	qsort(v, n, sizeof *v, compare_doubles);
	m = v[n / 2];
	free(v);
	return m;
}

/* Is the judged point at grid index @at resolved together with its
 * neighbours two grid steps away (one coarse step, every direction)?  One
 * point where refining happens not to change the residual, inside a region
 * where it does, is a coincidence, not a resolved solution. */
static int neighbourhood_resolved(const ref_grid *rg, const ref_points *p, size_t at)
{
	int n = rg->g.n_dims, combos = 1;

	for (int d = 0; d < n; d++)
		combos *= 3;
	for (int combo = 0; combo < combos; combo++) {
		long q = 0;
		int rest = combo, inside = 1;
		for (int d = 0; d < n; d++) {
			long i = (long)(at / (size_t)rg->stride[d]) % rg->g.n[d] + 2 * (rest % 3 - 1);
			rest /= 3;
			if (!rg->g.endpoint[d])
				i = ((i % rg->g.n[d]) + rg->g.n[d]) % rg->g.n[d];
			inside &= i >= 0 && i < rg->g.n[d];
			q += i * rg->stride[d];
		}
		if (inside && p->flag[q] == 2)
			return 0;
	}
	return 1;
}

static void summarise(const pp_plugin_check *ck, const ref_grid *rg, const pp_term_info *term,
		      const ref_points *p, ref_summary *s)
{
	int n = ck->info.n_inputs, K = pp_term_component_count(term), C = term->n_channels;
	double smax;

	memset(s, 0, sizeof *s);
	for (int d = 0; d < n; d++) {
		s->box_lo[d] = INFINITY;
		s->box_hi[d] = -INFINITY;
	}
	smax = median_scale(p, K, C);
	/* pointwise: refining changes the residual by at most RESOLVED·S */
	for (size_t i = 0; i < p->n; i++) {
		p->flag[p->at[i]] = 1;
		for (int k = 0; k < K; k++) {
			double sc = fmax(term_scale(p, C, k, i), FLOOR * smax);
			double d = fabs((double)p->r_fine[k * p->n + i] - (double)p->r_coarse[k * p->n + i]);
			if (!(d <= RESOLVED * sc))
				p->flag[p->at[i]] = 2;
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		int resolved = neighbourhood_resolved(rg, p, p->at[i]);
		for (int k = 0; k < K; k++) {
			double sc = fmax(term_scale(p, C, k, i), FLOOR * smax);
			double rf = p->r_fine[k * p->n + i], rc = p->r_coarse[k * p->n + i];
			double rel = fabs(4 * rf - rc) / 3 / sc;
			if (!(sc > 0))
				continue;
			if (!resolved) {
				s->unresolved++;
				s->largest_unresolved = fmax(s->largest_unresolved, fabs(rf) / sc);
				for (int d = 0; d < n; d++) {
					s->box_lo[d] = fmin(s->box_lo[d], p->x[i * (size_t)n + (size_t)d]);
					s->box_hi[d] = fmax(s->box_hi[d], p->x[i * (size_t)n + (size_t)d]);
				}
				continue;
			}
			s->judged++;
			if (!(rel <= s->worst)) {
				s->worst = rel;
				s->worst_k = k;
				for (int d = 0; d < n; d++)
					s->worst_x[d] = p->x[i * (size_t)n + (size_t)d];
			}
		}
	}
}

static void say(pp_plugin_check *ck, const pp_term_info *term, const ref_grid *rg,
		const ref_summary *s)
{
	char where[160], grid[64] = "", box[256] = "";
	size_t total = s->judged + s->unresolved, used = 0;

	for (int d = 0; d < rg->g.n_dims; d++)
		used += (size_t)snprintf(grid + used, sizeof grid - used, "%s%ld", d ? "x" : "",
					 rg->g.n[d]);
	if (s->unresolved) {
		used = (size_t)snprintf(box, sizeof box, "; %zu of %zu not judged, where the grid does not resolve the solution (a shock or thin layer?) within",
					s->unresolved, total);
		for (int d = 0; d < ck->info.n_inputs && used < sizeof box; d++)
			used += (size_t)snprintf(box + used, sizeof box - used, " %s in [%.3g, %.3g]",
						 ck->info.input_names[d], s->box_lo[d], s->box_hi[d]);
	}
	if (total == 0 || (double)s->judged < MIN_JUDGED * (double)total) {
		pp_plugin_check_say(ck, "SKIP",
				    "reference, term '%s': not judged: the %s grid resolves %zu of %zu points (residual up to %.2e of its terms where it does not); try a finer --reference-grid",
				    term->name, grid, s->judged, total, s->largest_unresolved);
		return;
	}
	pp_plugin_check_point(ck, s->worst_x, where, sizeof where);
	pp_plugin_check_say(ck, s->worst <= REF_TOLERANCE ? "PASS" : "FAIL",
			    "reference, term '%s': residual at most %.2e of its terms (tolerance %.0e) on a %s grid, in component %s at %s%s",
			    term->name, s->worst, REF_TOLERANCE, grid,
			    s->worst_k < PP_MAX_COMPONENTS && term->component_names[s->worst_k]
				    ? term->component_names[s->worst_k] : "r0",
			    where, box);
}

/* The summary of interior term @t on @rg; PP_OK, or a message in @err
 * (what went wrong, or why the term is not judged: @skip). */
static int check_term(pp_plugin_check *ck, int t, const ref_grid *rg, ref_summary *s, int *skip,
		      pp_error *err)
{
	const pp_term_info *term = &ck->info.terms[t];
	int K = pp_term_component_count(term), rc = PP_OK;
	ref_points p;

	*skip = 0;
	if (term->pair_input >= 0 || term->boundary) {
		*skip = 1;
		return pp_error_set(err, PP_ERR_INVALID, "paired and boundary terms are not judged");
	}
	if (alloc_points(&p, rg->size, ck->info.n_inputs, K, term->n_channels)) {
		free_points(&p);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	collect(rg, term, &p);
	if (p.n == 0) {
		*skip = 1;
		rc = pp_error_set(err, PP_ERR_INVALID,
				  "no grid point has its channels (an output the reference does not give, or a grid too small for the stencils)");
	} else if (residual_at(ck, t, &p, p.coarse, p.r_coarse, err) ||
		   residual_at(ck, t, &p, p.fine, p.r_fine, err)) {
		rc = pp_error_prefix(err, "residual()");
	} else {
		summarise(ck, rg, term, &p, s);
	}
	free_points(&p);
	return rc;
}

/* The reference on @rg into @u (malloc'ed, NULL after a FAIL line). */
static double *compute(pp_plugin_check *ck, const ref_grid *rg)
{
	int outputs = pp_pde_output_count(&ck->info);
	pp_error err = {0};
	double *u;

	if (pp_grid_check(&rg->g, ck->info.n_inputs, &err) || rg->size == 0) {
		pp_plugin_check_say(ck, "FAIL", "reference: %s", err.message);
		return NULL;
	}
	u = malloc(rg->size * (size_t)outputs * sizeof *u);
	if (!u) {
		pp_plugin_check_say(ck, "FAIL", "reference: out of memory for %zu grid points", rg->size);
		return NULL;
	}
	if (ck->ops->reference(ck->state, &rg->g, u, &err)) {
		pp_plugin_check_say(ck, "FAIL", "reference(): %s", err.message);
		free(u);
		return NULL;
	}
	return u;
}

/* Every interior term on grids refined until at least MIN_RESOLVED of
 * each term's points are resolved, or the next grid would exceed
 * MAX_REFINED_POINTS (a grid given with --reference-grid is not refined). */
void pp_plugin_check_reference(pp_plugin_check *ck, const pp_grid *given)
{
	static ref_summary s[PP_MAX_TERMS];
	static pp_error errs[PP_MAX_TERMS];
	int skip[PP_MAX_TERMS], rcs[PP_MAX_TERMS], any = 0;
	ref_grid rg, next;

	for (int refine = 0;; refine++) {
		int coarse = 0;
		double *u;
		choose_grid(ck, given, refine, &rg);
		u = compute(ck, &rg);
		if (!u)
			return;
		rg.u = u;
		for (int t = 0; t < ck->info.n_terms; t++) {
			if (!ck->info.terms[t].interior)
				continue;
			memset(&errs[t], 0, sizeof errs[t]);
			rcs[t] = check_term(ck, t, &rg, &s[t], &skip[t], &errs[t]);
			coarse |= !rcs[t] && (double)s[t].judged <
					     MIN_RESOLVED * (double)(s[t].judged + s[t].unresolved);
		}
		free(u);
		choose_grid(ck, given, refine + 1, &next);
		if (!coarse || given || next.size > (size_t)MAX_REFINED_POINTS)
			break;
	}
	for (int t = 0; t < ck->info.n_terms; t++) {
		const char *name = ck->info.terms[t].name;
		if (!ck->info.terms[t].interior)
			continue;
		any = 1;
		if (rcs[t])
			pp_plugin_check_say(ck, skip[t] ? "SKIP" : "FAIL", "reference, term '%s': %s",
					    name, errs[t].message);
		else
			say(ck, &ck->info.terms[t], &rg, &s[t]);
	}
	if (!any)
		pp_plugin_check_say(ck, "SKIP", "reference: no interior term to evaluate it in");
}
