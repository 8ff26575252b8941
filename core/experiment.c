/* phasepinn — building an experiment from its YAML file (see experiment.h). */
#include "core/experiment.h"
#include "core/comm.h"
#include "core/channels.h"
#include "core/model_file.h"
#include "core/observations.h"
#include "core/rundir.h"      /* PP_RUN_MODEL */

#include <phasepinn/geometry.h>
#include <phasepinn/sdk/terms.h>
#include "core/trainer.h"   /* PP_MAX_COLUMNS, the metrics row */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *file_stem(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	if (n >= size)
		n = size - 1;
	memcpy(buf, base, n);
	buf[n] = '\0';
	return buf;
}

/* A name names the run directory runs/<name> (and a compare variant's
 * <output>/<name>): one path component, never a path. */
static int check_name(const char *name, const pp_config *node, pp_error *err)
{
	const char *why = NULL;

	if (!name[0])
		why = "is empty";
	else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		why = "is a directory reference";
	else if (strchr(name, '/'))
		why = "contains '/'";
	for (const char *c = name; !why && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			why = "contains a control character";
	if (!why)
		return PP_OK;
	return pp_config_error(err, PP_ERR_CONFIG, node,
			       "name: '%s' %s; a name is one word such as allen_cahn_rba, not a path (the run goes to runs/<name>; choose the directory with output: or --output)",
			       name, why);
}

/* Is @key in @map?  Unlike pp_config_get, asks nothing (an optional key
 * that is absent is then no default left unrecorded). */
static int has_key(const pp_config *map, const char *key)
{
	for (size_t i = 0; i < pp_config_size(map); i++)
		if (strcmp(pp_config_key_at(map, i), key) == 0)
			return 1;
	return 0;
}

static int read_top_level(pp_experiment *exp, pp_error *err)
{
	const pp_config *root = exp->root;
	long seed, threads;
	int rc;

	if (pp_config_node_type(root) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, root,
				       "an experiment is a map of sections (pde:, network:, stages:, ...)");
	if (!exp->name[0])
		exp->name = "experiment";  /* a file named .yaml */
	rc = pp_config_string(root, "name", exp->name, &exp->name, err);
	if (!rc && pp_config_get(root, "name"))
		rc = check_name(exp->name, pp_config_get(root, "name"), err);
	if (rc)
		return rc;
	rc = pp_config_long(root, "seed", 1234, 0, LONG_MAX, &seed, err);
	if (rc)
		return rc;
	exp->seed = (unsigned long)seed;
	rc = pp_config_long(root, "threads", 1, 1, 256, &threads, err);
	if (rc)
		return rc;
	exp->threads = (int)threads;
	return PP_OK;
}

static int find_term(const pp_pde_info *pde, const char *name)
{
	for (int k = 0; k < pde->n_terms; k++)
		if (strcmp(pde->terms[k].name, name) == 0)
			return k;
	return -1;
}

/* A boundary term's `parts: [outer, hole]` on a geometry (absent: all). */
static int read_parts(pp_experiment *exp, const pp_config *t, int k, int *n, int *parts,
		      pp_error *err)
{
	const char *names[PP_MAX_PARTS];
	size_t count = 0;
	const pp_config *node;
	int rc;

	*n = 0;
	if (!has_key(t, "parts"))
		return PP_OK;
	node = pp_config_get(t, "parts");
	if (!exp->geometry)
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "parts: needs a domain with named parts (domain: {geometry: ...})");
	if (!exp->pde.terms[k].boundary)
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "term '%s' is not on the boundary: parts: does not apply to it",
				       exp->pde.terms[k].name);
	rc = pp_config_name_list(t, "parts", NULL, 0, PP_MAX_PARTS, names, &count, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < count; i++) {
		int p = pp_geometry_part_index(exp->geometry, names[i]);
		if (p < 0) {
			char list[512] = "";
			for (int q = 0; q < pp_geometry_part_count(exp->geometry); q++) {
				size_t len = strlen(list);
				snprintf(list + len, sizeof list - len, "%s%s", q ? ", " : "",
					 pp_geometry_part_name(exp->geometry, q));
			}
			return pp_config_error(err, PP_ERR_CONFIG, node,
					       "the domain has no part '%s'; its parts: %s", names[i], list);
		}
		parts[(*n)++] = p;
	}
	return PP_OK;
}

/* `domain: {geometry: {...}, time: [t0, t1]}`: the spatial domain as a
 * CSG geometry over the PDE's inputs but time; the box's spatial bounds
 * become its bounding box, time its interval (default the PDE's).  Every
 * term the PDE samples on box faces must be a boundary term then. */
static int read_domain(pp_experiment *exp, pp_error *err)
{
	const pp_config *domain = has_key(exp->root, "domain") ? pp_config_get(exp->root, "domain") : NULL;
	const pp_config *geo;
	pp_pde_info *pde = &exp->pde;
	double lo[PP_MAX_INPUTS], hi[PP_MAX_INPUTS];
	int rc, dim = 0;

	if (!domain)
		return PP_OK;
	if (pp_config_node_type(domain) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, domain,
				       "domain: is a map, e.g. domain: {geometry: {disk: {center: [0, 0], radius: 1}}}");
	geo = pp_config_require(domain, "geometry", err);
	if (!geo)
		return err->code;
	for (int i = 0; i < pde->n_inputs; i++)
		if (i != pde->time_input)
			exp->geometry_inputs[dim++] = i;
	if (dim < 1)
		return pp_config_error(err, PP_ERR_CONFIG, domain,
				       "pde '%s' has no spatial input for a geometry", exp->pde_plugin->name);
	if (pde->periodic_input >= 0)
		return pp_config_error(err, PP_ERR_CONFIG, domain,
				       "pde '%s' is periodic in '%s': its domain is its box, not a geometry",
				       exp->pde_plugin->name, pde->input_names[pde->periodic_input]);
	rc = pp_geometry_parse(geo, dim, &exp->geometry, err);
	if (rc)
		return rc;
	exp->geometry_dim = dim;
	pp_geometry_bounds(exp->geometry, lo, hi);
	for (int c = 0; c < dim; c++) {
		int i = exp->geometry_inputs[c];
		pde->lo[i] = lo[c];
		pde->hi[i] = hi[c];
		/* the reference grid spans the domain; the error analyzer and
		 * the figures leave out what lies outside it */
		if (i < pde->reference_grid.n_dims) {
			pde->reference_grid.lo[i] = lo[c];
			pde->reference_grid.hi[i] = hi[c];
		}
	}
	if (pde->time_input >= 0) {
		const double def[2] = {pde->lo[pde->time_input], pde->hi[pde->time_input]};
		double t[2];
		rc = pp_config_double_list(domain, "time", 2, def, -1e300, 1e300, t, err);
		if (rc)
			return rc;
		if (!(t[0] < t[1]))
			return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(domain, "time"),
					       "time: [t0, t1] needs t0 < t1 (got %g, %g)", t[0], t[1]);
		pde->lo[pde->time_input] = t[0];
		pde->hi[pde->time_input] = t[1];
	}
	for (int k = 0; k < pde->n_terms; k++) {
		const pp_term_info *t = &pde->terms[k];
		if (t->boundary)
			continue;
		if (t->pair_input >= 0)
			return pp_config_error(err, PP_ERR_CONFIG, geo,
					       "term '%s' pairs points across the box: not on a geometry",
					       t->name);
		for (int q = 0; q < t->n_pieces; q++)
			for (int c = 0; c < dim; c++)
				if (t->pieces[q].side[exp->geometry_inputs[c]] != PP_SIDE_FREE)
					return pp_config_error(err, PP_ERR_CONFIG, geo,
							       "term '%s' of pde '%s' lies on faces of the box; on a geometry a PDE marks such terms boundary = 1 (contract v2)",
							       t->name, exp->pde_plugin->name);
	}
	return PP_OK;
}

/* pde.terms: {<term>: {points:, weight:, enabled:}} overrides the PDE's
 * defaults; every term gets its map (implicit when absent) so that the
 * defaults it takes are written to config.yaml. */
static int read_terms(pp_experiment *exp, const pp_config *pde_cfg, pp_error *err)
{
	const pp_config *terms;
	long points[PP_MAX_TERMS];
	double weight[PP_MAX_TERMS];
	int enabled[PP_MAX_TERMS], n_parts[PP_MAX_TERMS], parts[PP_MAX_TERMS][PP_MAX_PARTS];
	int rc = pp_config_map(pde_cfg, "terms", exp->pde.terms[0].name, &terms, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < pp_config_size(terms); i++) {
		const char *name = pp_config_key_at(terms, i);

		if (find_term(&exp->pde, name) < 0) {
			char list[512];
			pp_pde_term_names(&exp->pde, list, sizeof list);
			return pp_config_error(err, PP_ERR_CONFIG, pp_config_at(terms, i),
					       "pde '%s' has no term '%s'; its terms are: %s",
					       exp->pde_plugin->name, name, list);
		}
	}
	for (int k = 0; k < exp->pde.n_terms; k++) {
		const pp_config *t;

		rc = pp_config_map(terms, exp->pde.terms[k].name, "points", &t, err);
		if (!rc)
			rc = pp_config_long(t, "points", exp->pde.terms[k].points, 1, 100000000L,
					    &points[k], err);
		if (!rc)
			rc = pp_config_double(t, "weight", exp->pde.terms[k].weight, 0.0, 1e12,
					      &weight[k], err);
		if (!rc)
			rc = pp_config_bool(t, "enabled", exp->pde.terms[k].enabled, &enabled[k], err);
		if (!rc)
			rc = read_parts(exp, t, k, &n_parts[k], parts[k], err);
		if (rc)
			return rc;
	}
	exp->n_terms = 0;
	for (int k = 0; k < exp->pde.n_terms; k++) {
		if (!enabled[k])
			continue;
		exp->terms[exp->n_terms].pde_term = k;
		exp->terms[exp->n_terms].points = points[k];
		exp->terms[exp->n_terms].weight = weight[k];
		exp->terms[exp->n_terms].n_parts = n_parts[k];
		memcpy(exp->terms[exp->n_terms].parts, parts[k], sizeof parts[k]);
		exp->n_terms++;
	}
	if (exp->n_terms == 0)
		return pp_config_error(err, PP_ERR_CONFIG, pde_cfg,
				       "every loss term of pde '%s' is disabled; enable at least one",
				       exp->pde_plugin->name);
	return PP_OK;
}

static int plugin_for(const pp_registry *reg, pp_kind kind, const pp_config *section,
		      const char *key, const char *def, const pp_plugin **out, pp_error *err)
{
	const char *name;
	const pp_config *node = pp_config_get(section, key);
	int rc = pp_config_string(section, key, def, &name, err);

	if (rc)
		return rc;
	if (!name)
		return pp_config_error(err, PP_ERR_CONFIG, section, "missing required key '%s'", key);
	*out = pp_registry_require(reg, kind, name, err);
	if (!*out) {
		char msg[PP_ERROR_MESSAGE_SIZE];
		memcpy(msg, err->message, sizeof msg);
		return pp_config_error(err, PP_ERR_CONFIG, node ? node : section, "%s", msg);
	}
	return PP_OK;
}

double pp_coef_value(const pp_coef_setup *c, double s, double *dc)
{
	double v, d;

	if (c->bounded) {
		double sig = 1.0 / (1.0 + exp(-s)), a = c->log ? log(c->lo) : c->lo;
		double b = c->log ? log(c->hi) : c->hi;
		v = a + (b - a) * sig;
		d = (b - a) * sig * (1.0 - sig);
	} else {
		v = s;
		d = 1.0;
	}
	if (c->log) {
		v = exp(v);
		d *= v;
	}
	if (dc)
		*dc = d;
	return v;
}

double pp_coef_raw(const pp_coef_setup *c, double value)
{
	double v = c->log ? log(value) : value;

	if (c->bounded) {
		double a = c->log ? log(c->lo) : c->lo, b = c->log ? log(c->hi) : c->hi;
		double q = (v - a) / (b - a);
		return log(q / (1.0 - q));
	}
	return v;
}

/* The declared coefficients given as maps: which are trainable, how. */
static int read_coefficients(pp_experiment *exp, const pp_config *cfg, pp_error *err)
{
	exp->n_trainable = 0;
	for (int j = 0; j < exp->pde.n_coefficients; j++) {
		const pp_coefficient_info *ci = &exp->pde.coefficients[j];
		const pp_config *node = pp_config_get(cfg, ci->name);
		pp_coef_setup c = {.index = j};
		int trainable = 0, rc;

		if (!node || pp_config_node_type(node) != PP_CONFIG_MAP)
			continue;
		rc = pp_config_bool(node, "trainable", 0, &trainable, err);
		if (!rc)
			rc = pp_config_bool(node, "log", 0, &c.log, err);
		if (!rc)
			rc = pp_config_double(node, "init", ci->value, -1e300, 1e300, &c.init, err);
		if (rc)
			return rc;
		if (!trainable)
			continue;
		c.bounded = has_key(node, "lo") || has_key(node, "hi");
		if (c.bounded) {
			if (!has_key(node, "lo") || !has_key(node, "hi"))
				return pp_config_error(err, PP_ERR_CONFIG, node,
						       "%s: give both lo and hi, or neither", ci->name);
			rc = pp_config_double(node, "lo", 0, -1e300, 1e300, &c.lo, err);
			if (!rc)
				rc = pp_config_double(node, "hi", 0, -1e300, 1e300, &c.hi, err);
			if (rc)
				return rc;
			if (!(c.lo < c.hi) || (c.log && !(c.lo > 0)))
				return pp_config_error(err, PP_ERR_CONFIG, node,
						       "%s: the bounds need lo < hi%s (got %g, %g)", ci->name,
						       c.log ? " and lo > 0 with log: true" : "", c.lo, c.hi);
			if (!(c.init > c.lo && c.init < c.hi))
				return pp_config_error(err, PP_ERR_CONFIG, node,
						       "%s: init %g must lie strictly between lo %g and hi %g",
						       ci->name, c.init, c.lo, c.hi);
		}
		if (c.log && !(c.init > 0))
			return pp_config_error(err, PP_ERR_CONFIG, node,
					       "%s: log: true needs a positive init (got %g)", ci->name, c.init);
		exp->trainable[exp->n_trainable++] = c;
	}
	return PP_OK;
}

/* `data:` (docs/data.md): the observations and the term "data" for them,
 * appended to the PDE's terms so that `terms: {data: {weight: 10}}`,
 * weighting and analyzers see it like the plugin's own. */
static int read_data(pp_experiment *exp, pp_error *err)
{
	const pp_config *data = has_key(exp->root, "data") ? pp_config_get(exp->root, "data") : NULL;
	char dir[4096];
	const char *file = pp_config_file(exp->root), *slash;
	pp_term_info *t;
	int rc;

	exp->data_term = -1;
	if (!data || exp->pde_only) {
		/* `reference` makes the data file: its absence is no error then */
		if (data)
			pp_config_mark_known(exp->root, "data");
		return PP_OK;
	}
	slash = file ? strrchr(file, '/') : NULL;
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - file) : 0, slash ? file : "");
	rc = pp_observations_read(data, &exp->pde, dir, exp->seed, &exp->obs, err);
	if (rc)
		return rc;
	if (pp_config_text(pp_config_get(data, "file"))[0] != '/') {
		/* the run's config.yaml and its checkpoints are read from the
		 * run directory: they name the file absolutely */
		char *abs = realpath(exp->obs->path, NULL);
		if (!abs)
			return pp_error_set(err, PP_ERR_IO, "%s: cannot resolve its path", exp->obs->path);
		rc = pp_config_set_path(data, "file", abs, err);
		free(abs);
		if (rc)
			return rc;
	}
	if (exp->obs->n_observed > PP_MAX_COMPONENTS)
		return pp_config_error(err, PP_ERR_CONFIG, data,
				       "data: %d observed outputs; the data term takes at most %d",
				       exp->obs->n_observed, PP_MAX_COMPONENTS);
	if (exp->pde.n_terms >= PP_MAX_TERMS)
		return pp_config_error(err, PP_ERR_CONFIG, data,
				       "data: pde '%s' already has %d terms, no room for the data term",
				       exp->pde_plugin->name, exp->pde.n_terms);
	for (int k = 0; k < exp->pde.n_terms; k++)
		if (strcmp(exp->pde.terms[k].name, "data") == 0)
			return pp_config_error(err, PP_ERR_CONFIG, data,
					       "data: pde '%s' has a term named 'data' of its own",
					       exp->pde_plugin->name);
	exp->data_term = exp->pde.n_terms++;
	t = &exp->pde.terms[exp->data_term];
	memset(t, 0, sizeof *t);
	t->name = "data";
	t->enabled = 1;
	t->points = (long)exp->obs->train.n;
	t->weight = 1;
	t->pair_input = -1;
	t->n_channels = exp->obs->n_observed;
	t->n_components = exp->obs->n_observed;
	for (int j = 0; j < exp->obs->n_observed; j++)
		t->channels[j] = PP_U(exp->obs->outputs[j]);
	return PP_OK;
}

static int build_pde(pp_experiment *exp, const pp_registry *reg, pp_error *err)
{
	const pp_config *cfg = pp_config_get(exp->root, "pde");
	int rc;

	if (!cfg)
		return pp_config_error(err, PP_ERR_CONFIG, exp->root,
				       "missing required section 'pde:' (e.g. pde: {type: burgers})");
	rc = pp_config_map(exp->root, "pde", "type", &cfg, err);
	if (!rc)
		rc = plugin_for(reg, PP_KIND_PDE, cfg, "type", NULL, &exp->pde_plugin, err);
	if (rc)
		return rc;
	exp->pde_ops = exp->pde_plugin->ops;
	pp_config_mark_known(cfg, "terms");
	rc = exp->pde_ops->create(cfg, &exp->pde_state, err);
	if (rc)
		return rc;
	memset(&exp->pde, 0, sizeof exp->pde);
	/* A plugin that forgets these lines gets "none", not input 0. */
	exp->pde.time_input = -1;
	exp->pde.periodic_input = -1;
	rc = exp->pde_ops->describe(exp->pde_state, &exp->pde, err);
	if (rc)
		return pp_error_prefix(err, "pde '%s'", exp->pde_plugin->name);
	rc = pp_registry_check_pde_info(exp->pde_plugin, &exp->pde, err);
	if (!rc)
		rc = read_coefficients(exp, cfg, err);
	if (!rc)
		rc = read_domain(exp, err);
	if (!rc)
		rc = read_data(exp, err);
	if (!rc)
		rc = read_terms(exp, cfg, err);
	for (int k = 0; !rc && k < exp->n_terms; k++)
		if (exp->terms[k].pde_term == exp->data_term &&
		    exp->terms[k].points != (long)exp->obs->train.n)
			rc = pp_config_error(err, PP_ERR_CONFIG, pp_config_get(exp->root, "data"),
					     "the data term's points are the %zu training rows of data: (set data.points to change them), not %ld",
					     exp->obs->train.n, exp->terms[k].points);
	return rc;
}

/* ---- the size of the network, before anything is allocated -------------- */

/* What the network and the trainer's batches may take: 8 GiB, a third of
 * this project's machines (24 GiB, CI's too); the paper's Allen-Cahn
 * setup, the largest shipped, is estimated at 1.6 GiB (25,600 points of
 * 4 channels through 6 x 128).  Parameters: at most 10
 * million, 120 times the paper networks (83,000); the core keeps several
 * copies of them (parameters, a gradient per term, the optimizer's moments,
 * L-BFGS two per history pair).  Beyond either, `check` and `run` refuse the
 * experiment from the numbers alone, in microseconds, instead of allocating
 * gigabytes to find out. */
#define PP_MAX_PARAMETERS 10000000.0
#define PP_MAX_MODEL_BYTES (8.0 * 1024 * 1024 * 1024)

/* An integer of a network key as network.c reads it, or @def when absent;
 * -1 when it is not an integer (network.c reports that). */
static double net_long(const pp_config *map, const char *key, double def)
{
	const pp_config *node = pp_config_get(map, key);
	pp_error ignored = {0};
	long v;

	if (!node)
		return def;
	return pp_config_node_long(node, &v, &ignored) || v < 1 ? -1 : (double)v;
}

/* The hidden widths network.c builds: layers: [...], or width: × depth:
 * (its defaults, 50 × 4), or pirate's width: × 3·blocks: (64, 3); the
 * gates and factorised scales of the other architectures are not counted
 * (a guard, not an exact count).  0 when they cannot be read: network.c
 * reports. */
static int planned_widths(const pp_config *net, double *w, int max)
{
	const pp_config *layers = pp_config_get(net, "layers");
	double width, depth;

	if (layers) {
		if (pp_config_node_type(layers) != PP_CONFIG_SEQUENCE ||
		    pp_config_size(layers) > (size_t)max)
			return 0;
		for (size_t i = 0; i < pp_config_size(layers); i++) {
			pp_error ignored = {0};
			long v;
			if (pp_config_node_long(pp_config_at(layers, i), &v, &ignored) || v < 1)
				return 0;
			w[i] = (double)v;
		}
		return (int)pp_config_size(layers);
	}
	width = net_long(net, "width", pp_config_get(net, "blocks") ? 64 : 50);
	depth = pp_config_get(net, "blocks") ? 3 * net_long(net, "blocks", 3)
					     : net_long(net, "depth", 4);
	if (width < 0 || depth < 0 || depth > max)
		return 0;
	for (int i = 0; i < (int)depth; i++)
		w[i] = width;
	return (int)depth;
}

/* Inputs of the first layer: the PDE's inputs, with a periodic embedding
 * (2 per harmonic) and random Fourier features (2 each) when asked for;
 * at most one more than network.c builds. */
static double planned_features(const pp_config *net, const pp_pde_info *pde)
{
	const pp_config *emb = pp_config_get(net, "embedding");
	const pp_config *per = pp_config_get(emb, "periodic");
	const pp_config *rff = pp_config_get(emb, "random_fourier");
	double f = rff ? 2 * fabs(net_long(rff, "features", 64)) : pde->n_inputs;

	if (per || pde->periodic_input >= 0)
		f += 2 * fabs(net_long(per, "harmonics", 1));
	return f;
}

/* Internal channels of a batch for @term (network.c's plan_channels, the
 * closure of channels.h) and the highest order asked. */
static int term_channels(const pp_term_info *term, int n_inputs, int *max_order)
{
	pp_channel all[PP_MAX_INTERNAL];
	pp_error ignored = {0};
	int n = term->n_channels < PP_MAX_CHANNELS ? term->n_channels : PP_MAX_CHANNELS, S = 1;

	*max_order = 0;
	for (int c = 0; c < n; c++)
		if (term->channels[c].order > *max_order)
			*max_order = term->channels[c].order;
	if (pp_channel_closure(term->channels, n, n_inputs, all, &S, &ignored))
		return PP_MAX_INTERNAL;
	return S;
}

/* The points whose activations a term holds at once, as build_sampling
 * will set it up (read ahead of it: the network is checked first): all of
 * them (0) unless sampling bounds the memory (batch_points given, or
 * keep_activations: false), then the batch size.  A bad value is
 * build_sampling's to report; here it counts as keeping every point. */
static long planned_batch_bound(const pp_experiment *exp)
{
	static const char *const no[] = {"false", "no", "off", "0"};
	const pp_config *s = pp_config_get(exp->root, "sampling");
	const pp_config *bp = pp_config_get(s, "batch_points");
	const pp_config *keep = pp_config_get(s, "keep_activations");
	const char *text = keep ? pp_config_text(keep) : NULL;
	long batch = exp->threads > 1 ? 8192 : 512;
	int bounded = !keep && bp;

	for (size_t i = 0; text && i < sizeof no / sizeof no[0]; i++)
		bounded |= strcmp(text, no[i]) == 0;
	if (bp && pp_config_node_long(bp, &batch, &(pp_error){0}))
		return 0;
	return bounded && batch >= 1 ? batch : 0;
}

/* Parameters and bytes from the numbers: every term's points keep their
 * activations for the whole run (one batch set per term, two for paired
 * terms), S·(features + 2·Σw) reals a point plus (1 + order)·Σw for the
 * activation's derivatives; with the memory bounded by the batch, at most
 * a batch of each term's points. */
static int check_network_size(const pp_experiment *exp, const pp_config *net, pp_error *err)
{
	double w[64], f0 = planned_features(net, &exp->pde), params = 0, sum_w = 0, act = 0;
	double prev = f0, bytes, points = 0;
	int depth = planned_widths(net, w, 63);
	long bound = planned_batch_bound(exp);

	if (depth == 0)
		return PP_OK;
	for (int l = 0; l < depth; l++) {
		params += (prev + 1) * w[l];
		sum_w += w[l];
		prev = w[l];
	}
	params += prev + 1;
	for (int k = 0; k < exp->n_terms; k++) {
		const pp_term_info *t = &exp->pde.terms[exp->terms[k].pde_term];
		int order, S = term_channels(t, exp->pde.n_inputs, &order);
		double per_point = S * (f0 + 2 * sum_w) + (1 + order) * sum_w;

		double held = (double)exp->terms[k].points;

		if (bound > 0 && held > (double)bound)
			held = (double)bound;
		act += held * (t->pair_input >= 0 ? 2 : 1) * per_point;
		points += held;
	}
	bytes = (params * (4 + exp->n_terms) + act) * sizeof(pp_real);
	if (params > PP_MAX_PARAMETERS)
		return pp_config_error_at_key(err, PP_ERR_CONFIG, exp->root, "network",
				       "network: %.0f parameters, more than the limit of %.0f; make the layers narrower or fewer",
				       params, PP_MAX_PARAMETERS);
	if (bytes > PP_MAX_MODEL_BYTES)
		return pp_config_error_at_key(err, PP_ERR_CONFIG, exp->root, "network",
				       "network: %.0f parameters with the activations of %.0f points need about %.1f GiB, more than the %.0f GiB limit; make the layers narrower or fewer, or give the terms fewer points%s",
				       params, points, bytes / (1024.0 * 1024 * 1024),
				       PP_MAX_MODEL_BYTES / (1024.0 * 1024 * 1024),
				       bound > 0 ? " or a smaller sampling.batch_points"
				       : ", or hold one batch at a time: give sampling.batch_points (without keep_activations: true; docs/scaling.md)");
	return PP_OK;
}

/* The enabled term of PDE term @p, or -1. */
static int enabled_term(const pp_experiment *exp, int p)
{
	for (int k = 0; k < exp->n_terms; k++)
		if (exp->terms[k].pde_term == p)
			return k;
	return -1;
}

/* Each term adaptive sampling moves: enabled, not the data, and with
 * enough candidates for the points it draws. */
static int check_adaptive_terms(const pp_experiment *exp, const pp_config *cfg, pp_error *err)
{
	const pp_adaptive_setup *a = &exp->adaptive;

	for (int p = 0; p < exp->pde.n_terms; p++) {
		int k = a->applies[p] ? enabled_term(exp, p) : 0;
		const char *name = exp->pde.terms[p].name;
		long need;

		if (!a->applies[p])
			continue;
		if (p == exp->data_term)
			return pp_config_error_at_key(err, PP_ERR_CONFIG, cfg, "terms",
						      "sampling.adaptive: the data term's points are the observations and never move");
		if (k < 0)
			return pp_config_error_at_key(err, PP_ERR_CONFIG, cfg, "terms",
						      "sampling.adaptive: term '%s' is not enabled", name);
		need = a->method == PP_ADAPTIVE_RAD ? exp->terms[k].points : a->add;
		if (a->candidates < need)
			return pp_config_error_at_key(err, PP_ERR_CONFIG, cfg, "candidates",
						      "sampling.adaptive: %ld candidates cannot give the %ld points term '%s' draws; give candidates >= %ld",
						      a->candidates, need, name, need);
	}
	return PP_OK;
}

/* sampling: {adaptive: {method: rad | rar_d, every, k, c, candidates,
 * add (rar_d), restart_optimizer, terms}}; absent: no adaptive sampling
 * (and nothing written to config.yaml).  The defaults of k and c are the
 * paper's recommendations per method (RAD k = 1, c = 1; RAR-D k = 2,
 * c = 0). */
static int build_adaptive(pp_experiment *exp, const pp_config *sampling, pp_error *err)
{
	static const char *const methods[] = {"rad", "rar_d", NULL};
	pp_adaptive_setup *a = &exp->adaptive;
	const pp_config *cfg;
	int method, rc;

	memset(a, 0, sizeof *a);
	if (!pp_config_get(sampling, "adaptive"))
		return PP_OK;
	rc = pp_config_map(sampling, "adaptive", "method", &cfg, err);
	if (rc)
		return rc;
	if (!pp_config_require(cfg, "method", err))
		return PP_ERR_CONFIG;
	rc = pp_config_choice(cfg, "method", "rad", methods, &method, err);
	if (rc)
		return rc;
	a->method = method == 0 ? PP_ADAPTIVE_RAD : PP_ADAPTIVE_RAR_D;
	rc = pp_config_long(cfg, "every", 1000, 1, LONG_MAX, &a->every, err);
	if (!rc)
		rc = pp_config_double(cfg, "k", a->method == PP_ADAPTIVE_RAD ? 1 : 2, 0, 1e3, &a->k, err);
	if (!rc)
		rc = pp_config_double(cfg, "c", a->method == PP_ADAPTIVE_RAD ? 1 : 0, 0, 1e300, &a->c, err);
	if (!rc)
		rc = pp_config_long(cfg, "candidates", 100000, 1, 100000000L, &a->candidates, err);
	if (!rc && a->method == PP_ADAPTIVE_RAR_D)
		rc = pp_config_long(cfg, "add", 10, 1, 100000000L, &a->add, err);
	else if (!rc && pp_config_get(cfg, "add"))
		rc = pp_config_error_at_key(err, PP_ERR_CONFIG, cfg, "add",
					    "sampling.adaptive: add: is for method rar_d (rad replaces every point)");
	if (!rc)
		rc = pp_config_bool(cfg, "restart_optimizer", 1, &a->restart_optimizer, err);
	if (!rc)
		rc = pp_terms_select(cfg, "terms", &exp->pde, 0, a->applies, err);
	if (!rc && exp->resample_every > 0)
		rc = pp_config_error_at_key(err, PP_ERR_CONFIG, sampling, "resample_every",
					    "sampling: resample_every and adaptive both move the points; give one");
	if (!rc)
		rc = check_adaptive_terms(exp, cfg, err);
	return rc;
}

/* RAR-D's terms grow by `add` points at each resampling, of which a run of
 * the stages' iterations makes (iterations − 1) / every: the network
 * check again with the final point counts. */
static int check_adaptive_growth(const pp_experiment *exp, const pp_config *net, pp_error *err)
{
	const pp_adaptive_setup *a = &exp->adaptive;
	long events;
	pp_experiment *grown;
	int rc;

	if (a->method != PP_ADAPTIVE_RAR_D || exp->total_iterations < 1)
		return PP_OK;
	events = (exp->total_iterations - 1) / a->every;
	if (events == 0)
		return PP_OK;
	grown = malloc(sizeof *grown);
	if (!grown)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	*grown = *exp;
	for (int k = 0; k < exp->n_terms; k++) {
		if (!a->applies[exp->terms[k].pde_term])
			continue;
		if ((double)a->add * (double)events > 1e9) {
			free(grown);
			return pp_error_set(err, PP_ERR_CONFIG,
					    "sampling.adaptive: rar_d would add %ld x %ld points; fewer resamplings or a smaller add",
					    a->add, events);
		}
		grown->terms[k].points += a->add * events;
	}
	rc = check_network_size(grown, net, err);
	free(grown);
	return rc ? pp_error_prefix(err, "with sampling.adaptive adding %ld points %ld times", a->add,
				    events) : PP_OK;
}

static int build_sampling(pp_experiment *exp, pp_error *err)
{
	static const char *const methods[] = {"uniform", "lhs", "sobol", NULL};
	const pp_config *cfg;
	int method = 0, explicit_batch, rc;

	rc = pp_config_map(exp->root, "sampling", "method", &cfg, err);
	explicit_batch = !rc && pp_config_get(cfg, "batch_points") != NULL;
	if (!rc)
		rc = pp_config_choice(cfg, "method", "lhs", methods, &method, err);
	if (!rc)
		rc = pp_config_long(cfg, "resample_every", 0, 0, LONG_MAX, &exp->resample_every, err);
	/* Measured on Burgers 4x50, 10k points (docs/engine.md): one thread is
	 * fastest with small, cache-resident batches (512: 78 ms/step, 4096:
	 * 93 ms); OpenBLAS's threads only pay off on large products. */
	if (!rc)
		rc = pp_config_long(cfg, "batch_points", exp->threads > 1 ? 8192 : 512, 1, 10000000L,
				    &exp->batch_points, err);
	/* A batch size given bounds the memory (one batch's activations at a
	 * time, one more forward per step); without one, a step keeps every
	 * batch's, as it always did.  The choice is recorded in config.yaml, so
	 * that resume (which reads batch_points back as given) keeps it. */
	if (!rc)
		rc = pp_config_bool(cfg, "keep_activations", !explicit_batch, &exp->keep_activations,
				    err);
	exp->sampler = (pp_sampler)method;
	if (!rc)
		rc = build_adaptive(exp, cfg, err);
	return rc;
}

/* validation: {points: N, every: M, keep_best: bool}; absent: none (and
 * nothing written to config.yaml). */
static int build_validation(pp_experiment *exp, pp_error *err)
{
	pp_validation_setup *v = &exp->validation;
	const pp_config *cfg = pp_config_get(exp->root, "validation");
	int rc;

	memset(v, 0, sizeof *v);
	if (!cfg)
		return PP_OK;
	if (pp_config_node_type(cfg) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, cfg,
				       "validation: is a map, e.g. validation: {points: 10000, every: 100, keep_best: true}");
	rc = pp_config_long(cfg, "points", 10000, 1, 100000000L, &v->points, err);
	if (!rc)
		rc = pp_config_long(cfg, "every", exp->log_every, 1, LONG_MAX, &v->every, err);
	if (!rc)
		rc = pp_config_bool(cfg, "keep_best", 0, &v->keep_best, err);
	return rc;
}

static int build_weighting(pp_experiment *exp, const pp_registry *reg, pp_error *err)
{
	const pp_config *cfg;
	int rc = pp_config_map(exp->root, "weighting", "type", &cfg, err);

	if (!rc)
		rc = plugin_for(reg, PP_KIND_WEIGHTING, cfg, "type", "none", &exp->weighting_plugin, err);
	if (rc)
		return rc;
	exp->weighting_ops = exp->weighting_plugin->ops;
	exp->problem.weighting = exp->weighting_plugin->name;
	rc = exp->weighting_ops->create(cfg, &exp->problem, &exp->weighting_state, err);
	if (rc)
		return rc;
	return PP_OK;
}

/* One stop: value, present in @stop: a finite number > 0 into *out. */
static int stop_value(const pp_config *stop, const char *key, double *out, pp_error *err)
{
	const pp_config *node = pp_config_get(stop, key);
	int rc;

	if (!node)
		return PP_OK;
	rc = pp_config_double(stop, key, 0, -HUGE_VAL, HUGE_VAL, out, err);
	if (rc)
		return rc;
	if (!(*out > 0))
		return pp_config_error(err, PP_ERR_CONFIG, node, "stop.%s must be > 0, found %g",
				       key, *out);
	return PP_OK;
}

/* stop: {metric_below: {column: NAME, value: V}}; the column is checked
 * against the metrics row once the analyzers are built (check_stop_columns). */
static int stop_metric(const pp_config *stop, pp_stop_rules *r, pp_error *err)
{
	const pp_config *m, *col;
	const char *name;
	int rc;

	if (!pp_config_get(stop, "metric_below"))
		return PP_OK;
	rc = pp_config_map(stop, "metric_below", "column", &m, err);
	if (rc)
		return rc;
	col = pp_config_require(m, "column", err);
	if (!col || !pp_config_require(m, "value", err))
		return PP_ERR_CONFIG;
	rc = pp_config_string(m, "column", NULL, &name, err);
	if (!rc)
		rc = stop_value(m, "value", &r->metric_below, err);
	if (rc)
		return rc;
	if (strlen(name) >= sizeof r->metric_column)
		return pp_config_error(err, PP_ERR_CONFIG, col, "stop.metric_below.column '%s' is too long", name);
	snprintf(r->metric_column, sizeof r->metric_column, "%s", name);
	r->metric_node = col;
	return PP_OK;
}

/* A stage's optional stop: map (absent: no rules, nothing recorded).
 * error_below: V is sugar for metric_below: {column: error_rel_l2, value: V};
 * the trainer only knows columns by name. */
static int read_stop(const pp_config *s, pp_stop_rules *r, pp_error *err)
{
	const pp_config *stop;
	int rc;

	memset(r, 0, sizeof *r);
	if (!pp_config_get(s, "stop"))
		return PP_OK;
	rc = pp_config_map(s, "stop", "loss_below", &stop, err);
	if (!rc)
		rc = stop_value(stop, "loss_below", &r->loss_below, err);
	if (!rc)
		rc = stop_value(stop, "rel_change_below", &r->rel_change_below, err);
	if (!rc)
		rc = stop_value(stop, "wall_time", &r->wall_time, err);
	if (!rc)
		rc = stop_metric(stop, r, err);
	if (rc || !pp_config_get(stop, "error_below"))
		return rc;
	if (r->metric_node)
		return pp_config_error_at_key(err, PP_ERR_CONFIG, stop, "error_below",
					      "stop: has error_below and metric_below; give one");
	rc = stop_value(stop, "error_below", &r->metric_below, err);
	if (rc)
		return rc;
	snprintf(r->metric_column, sizeof r->metric_column, "error_rel_l2");
	r->metric_node = pp_config_get(stop, "error_below");
	return PP_OK;
}

/* Does the metrics row have a column @name: a term's loss_ or weight_, or
 * an analyzer's? */
static int has_column(const pp_experiment *exp, const char *name)
{
	if (exp->validation.points > 0 && strcmp(name, "val_loss") == 0)
		return 1;
	for (int a = 0; a < exp->n_analyzers; a++)
		for (int c = 0; c < exp->analyzers[a].n_columns; c++)
			if (strcmp(exp->analyzers[a].columns[c], name) == 0)
				return 1;
	for (int k = 0; k < exp->n_terms; k++) {
		const char *term = exp->pde.terms[exp->terms[k].pde_term].name;
		if ((strncmp(name, "loss_", 5) == 0 && strcmp(name + 5, term) == 0) ||
		    (strncmp(name, "weight_", 7) == 0 && strcmp(name + 7, term) == 0))
			return 1;
	}
	return 0;
}

/* Every stage's metric rule names a column the run's metrics row has. */
static int check_stop_columns(const pp_experiment *exp, pp_error *err)
{
	for (int i = 0; i < exp->n_stages; i++) {
		const pp_stop_rules *r = &exp->stages[i].stop;
		if (!r->metric_node || has_column(exp, r->metric_column))
			continue;
		return pp_config_error(err, PP_ERR_CONFIG, r->metric_node,
				       "the stop rule reads column '%s', which no analyzer writes%s",
				       r->metric_column,
				       strcmp(r->metric_column, "error_rel_l2") == 0 ?
				       " (error_below needs analyzers: [{type: error}])" : "");
	}
	return PP_OK;
}

static int build_stages(pp_experiment *exp, const pp_registry *reg, pp_error *err)
{
	const pp_config *stages = pp_config_get(exp->root, "stages");
	int rc;

	if (!stages)
		return pp_config_error(err, PP_ERR_CONFIG, exp->root,
				       "missing required section 'stages:' (e.g. stages: [{optimizer: adam, iterations: 1000}])");
	if (pp_config_node_type(stages) != PP_CONFIG_SEQUENCE || pp_config_size(stages) == 0)
		return pp_config_error(err, PP_ERR_CONFIG, stages,
				       "stages: is a non-empty list of {optimizer: NAME, iterations: N, ...}");
	if (pp_config_size(stages) > PP_MAX_STAGES)
		return pp_config_error(err, PP_ERR_CONFIG, stages, "at most %d stages", PP_MAX_STAGES);
	exp->total_iterations = 0;
	for (size_t i = 0; i < pp_config_size(stages); i++) {
		const pp_config *s = pp_config_at(stages, i);
		pp_stage *stage = &exp->stages[i];
		void *probe = NULL;

		/* an entry that is not a map: "stages[0]: must be a map, e.g. ..." */
		rc = plugin_for(reg, PP_KIND_OPTIMIZER, s, "optimizer", NULL, &stage->plugin, err);
		if (rc)
			return rc;
		if (!pp_config_require(s, "iterations", err))
			return rc = PP_ERR_CONFIG;
		rc = pp_config_long(s, "iterations", 0, 0, 1000000000L, &stage->iterations, err);
		if (rc)
			return rc;
		rc = read_stop(s, &stage->stop, err);
		if (rc)
			return rc;
		stage->ops = stage->plugin->ops;
		stage->cfg = s;
		/* Create once to validate the options; the trainer makes its own. */
		rc = stage->ops->create(s, exp->problem.n_params, &probe, err);
		if (rc)
			return rc;
		stage->ops->destroy(probe);
		exp->total_iterations += stage->iterations;
		exp->n_stages = (int)i + 1;
	}
	return PP_OK;
}

static int add_analyzer(pp_experiment *exp, const pp_registry *reg, const pp_config *a,
			pp_error *err)
{
	pp_analyzer_slot *slot = &exp->analyzers[exp->n_analyzers];
	int rc;

	/* an entry that is not a map: "analyzers[0]: must be a map, e.g. ..." */
	rc = plugin_for(reg, PP_KIND_ANALYZER, a, "type", NULL, &slot->plugin, err);
	if (rc)
		return rc;
	rc = pp_config_long(a, "every", 100, 1, LONG_MAX, &slot->every, err);
	if (rc)
		return rc;
	slot->ops = slot->plugin->ops;
	rc = slot->ops->create(a, &exp->problem, &slot->state, err);
	if (rc)
		return rc;
	exp->n_analyzers++;
	rc = slot->ops->columns(slot->state, &slot->columns, &slot->n_columns);
	if (rc)
		return pp_error_set(err, PP_ERR_PLUGIN, "analyzer '%s' could not name its columns",
				    slot->plugin->name);
	return pp_registry_check_columns(slot->plugin, slot->columns, slot->n_columns,
					 PP_MAX_COLUMNS, err);
}

static int check_columns(const pp_experiment *exp, pp_error *err)
{
	for (int a = 0; a < exp->n_analyzers; a++)
		for (int c = 0; c < exp->analyzers[a].n_columns; c++)
			for (int b = 0; b <= a; b++)
				for (int d = 0; d < (b == a ? c : exp->analyzers[b].n_columns); d++)
					if (strcmp(exp->analyzers[a].columns[c], exp->analyzers[b].columns[d]) == 0)
						return pp_error_set(err, PP_ERR_CONFIG,
								    "analyzers '%s' and '%s' both write column '%s'; list each analyzer once",
								    exp->analyzers[b].plugin->name,
								    exp->analyzers[a].plugin->name,
								    exp->analyzers[a].columns[c]);
	return PP_OK;
}

static int build_analyzers(pp_experiment *exp, const pp_registry *reg, pp_error *err)
{
	const pp_config *list = pp_config_get(exp->root, "analyzers");
	int rc;

	if (!list)
		return PP_OK;
	if (pp_config_node_type(list) != PP_CONFIG_SEQUENCE)
		return pp_config_error(err, PP_ERR_CONFIG, list,
				       "analyzers: is a list of {type: NAME, every: N, ...}");
	if (pp_config_size(list) > PP_MAX_ANALYZERS)
		return pp_config_error(err, PP_ERR_CONFIG, list, "at most %d analyzers", PP_MAX_ANALYZERS);
	for (size_t i = 0; i < pp_config_size(list); i++) {
		rc = add_analyzer(exp, reg, pp_config_at(list, i), err);
		if (rc)
			return rc;
	}
	return check_columns(exp, err);
}

/* logging:, and output: — the run directory actually used is what
 * config.yaml records: --output (@override) replaces the file's value. */
/* `figures: {x: step | time, format: png | svg | pdf}`: checked here, read
 * by `phasepinn plot` from the run's config.yaml (cli/plot.c); absent means
 * the plot command's defaults. */
static int read_figures(const pp_config *root, pp_error *err)
{
	static const char *const axes[] = {"step", "time", NULL};
	static const char *const formats[] = {"png", "svg", "pdf", NULL};
	const pp_config *fig = pp_config_get(root, "figures");
	int x, format, rc;

	if (!fig)
		return PP_OK;
	if (pp_config_node_type(fig) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, fig,
				       "figures: is a map, e.g. figures: {x: time, format: svg}");
	rc = pp_config_choice(fig, "x", "step", axes, &x, err);
	if (!rc)
		rc = pp_config_choice(fig, "format", "png", formats, &format, err);
	return rc;
}

static int read_output(pp_experiment *exp, const char *override, pp_error *err)
{
	const pp_config *logging;
	char buf[4096];
	int rc = pp_config_map(exp->root, "logging", "every", &logging, err);

	if (!rc)
		rc = pp_config_long(logging, "every", 100, 1, LONG_MAX, &exp->log_every, err);
	if (!rc)
		rc = pp_config_bool(logging, "plot", 1, &exp->plot, err);
	if (!rc)
		rc = read_figures(exp->root, err);
	if (rc)
		return rc;
	snprintf(buf, sizeof buf, "runs/%s", exp->name);
	rc = pp_config_string(exp->root, "output", buf, &exp->output, err);
	if (!rc && override)
		rc = pp_config_set_string(exp->root, "output", override, err);
	if (rc)
		return rc;
	exp->run_dir = strdup(override ? override : exp->output);
	if (!exp->run_dir)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	exp->output = exp->run_dir;  /* buf and a replaced node text are gone */
	return PP_OK;
}

/* network: {init: {from: RUN_DIR}}: the run directory, resolved against
 * the experiment file's directory and recorded absolute (the run's
 * config.yaml and checkpoints are read from elsewhere); with @load, that
 * run's model.npz copied into the network (docs/model-file.md), without
 * only the step of that model recorded. */
static int warm_start(pp_experiment *exp, const pp_config *net_cfg, int load, pp_error *err)
{
	const pp_config *init = pp_config_get(net_cfg, "init");
	const pp_config *from = init && pp_config_node_type(init) == PP_CONFIG_MAP ?
				pp_config_get(init, "from") : NULL;
	const char *text = from ? pp_config_text(from) : NULL, *file, *slash;
	char path[4096], model[4200];
	pp_model *m = NULL;
	int rc;

	if (!text)
		return PP_OK;
	file = pp_config_file(exp->root);
	slash = file && text[0] != '/' ? strrchr(file, '/') : NULL;
	snprintf(path, sizeof path, "%.*s%s%s", slash ? (int)(slash - file) : 0, slash ? file : "",
		 slash ? "/" : "", text);
	exp->init_from = realpath(path, NULL);
	if (!exp->init_from && !load)   /* predict a run whose source has gone */
		exp->init_from = strdup(path);
	if (!exp->init_from)
		return pp_config_error(err, PP_ERR_CONFIG, from, "init: from: %s: %s", path,
				       strerror(errno));
	if (text[0] != '/') {
		rc = pp_config_set_path(init, "from", exp->init_from, err);
		if (rc)
			return rc;
	}
	exp->init_from_step = -1;
	snprintf(model, sizeof model, "%s/%s", exp->init_from, PP_RUN_MODEL);
	if (!load) {
		/* only the step, for the record: a source gone since is no error */
		pp_error ignored = {0};
		if (pp_model_read(model, &m, &ignored) == PP_OK)
			exp->init_from_step = pp_model_step(m);
		pp_model_free(m);
		return PP_OK;
	}
	rc = pp_model_read(model, &m, err);
	if (rc == PP_ERR_IO && access(model, F_OK) != 0)
		rc = pp_error_set(err, PP_ERR_CONFIG,
				  "%s has no %s (not a finished run? `phasepinn export %s` writes it from its last checkpoint)",
				  exp->init_from, PP_RUN_MODEL, exp->init_from);
	if (!rc)
		rc = pp_model_load_into(m, exp, err);
	if (!rc)
		exp->init_from_step = pp_model_step(m);
	pp_model_free(m);
	if (rc)
		return pp_error_prefix(err, "%s:%d: network: init: warm start", pp_config_file(from),
				       pp_config_line(from));
	return PP_OK;
}

/* checkpoint: {every: 1000, keep: 2, at_end: true} (docs/checkpoints.md). */
static int read_checkpoint(pp_experiment *exp, pp_error *err)
{
	const pp_config *ck;
	long keep = 2;
	int rc = pp_config_map(exp->root, "checkpoint", "every", &ck, err);

	if (!rc)
		rc = pp_config_long(ck, "every", 1000, 0, LONG_MAX, &exp->checkpoint_every, err);
	if (!rc)
		rc = pp_config_long(ck, "keep", 2, 1, 1000, &keep, err);
	if (!rc)
		rc = pp_config_bool(ck, "at_end", 1, &exp->checkpoint_at_end, err);
	exp->checkpoint_keep = (int)keep;
	return rc;
}

int pp_experiment_create(const char *path, const pp_registry *reg,
			 const char *run_dir_override, enum pp_experiment_mode mode,
			 pp_experiment **out, pp_error *err)
{
	pp_config_doc *doc = NULL;
	int rc = pp_config_doc_load(path, &doc, err);

	*out = NULL;
	if (rc)
		return rc;
	return pp_experiment_create_doc(doc, reg, run_dir_override, mode, out, err);
}

int pp_experiment_create_doc(pp_config_doc *doc, const pp_registry *reg,
			     const char *run_dir_override, enum pp_experiment_mode mode,
			     pp_experiment **out, pp_error *err)
{
	pp_experiment *exp = calloc(1, sizeof *exp);
	const char *path = pp_config_file(pp_config_doc_root(doc));
	const pp_config *net_cfg;
	char stem[256];
	int rc;

	*out = NULL;
	if (!exp) {
		pp_config_doc_destroy(doc);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	exp->doc = doc;
	exp->data_term = -1;
	exp->root = pp_config_doc_root(exp->doc);
	exp->path = pp_config_file(exp->root);
	exp->name = file_stem(path, stem, sizeof stem);
	rc = read_top_level(exp, err);
	if (rc) {
		exp->name = NULL;  /* points at the stem or into the document: not ours */
		goto fail;
	}
	exp->name = strdup(exp->name);  /* the stem lives on this stack frame */
	if (!exp->name) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
		goto fail;
	}
	rc = read_output(exp, run_dir_override, err);
	if (!rc)
		rc = read_checkpoint(exp, err);
	if (rc)
		goto fail;
	exp->pde_only = mode == PP_EXPERIMENT_PDE_ONLY || mode == PP_EXPERIMENT_MODEL;
	rc = build_pde(exp, reg, err);
	if (rc)
		goto fail;
	if (mode == PP_EXPERIMENT_PDE_ONLY) {
		*out = exp;
		return PP_OK;
	}
	rc = pp_config_map(exp->root, "network", "layers", &net_cfg, err);
	if (!rc)
		rc = check_network_size(exp, net_cfg, err);
	if (!rc && exp->pde.n_transforms > 0 && !exp->pde_ops->transform)
		rc = pp_error_set(err, PP_ERR_PLUGIN,
				  "pde '%s' offers %d hard constraint(s) but has no transform hook",
				  exp->pde_plugin->name, exp->pde.n_transforms);
	if (!rc)
		rc = pp_network_create(net_cfg, &exp->pde, exp->seed, &exp->net, err);
	if (rc)
		goto fail;
	if (exp->pde_ops->transform)
		pp_network_bind_transforms(exp->net, exp->pde_ops->transform, exp->pde_state);
	if (exp->n_trainable) {
		pp_real raw[PP_MAX_COEFFICIENTS];
		for (int j = 0; j < exp->n_trainable; j++)
			raw[j] = (pp_real)pp_coef_raw(&exp->trainable[j], exp->trainable[j].init);
		rc = pp_network_add_extra_params(exp->net, (size_t)exp->n_trainable, raw, err);
		if (rc)
			goto fail;
	}
	rc = warm_start(exp, net_cfg, mode != PP_EXPERIMENT_MODEL, err);
	if (rc)
		goto fail;
	if (mode == PP_EXPERIMENT_MODEL) {
		*out = exp;
		return PP_OK;
	}
	rc = build_sampling(exp, err);
	if (!rc)
		rc = build_validation(exp, err);
	if (rc)
		goto fail;
	exp->problem.pde = &exp->pde;
	exp->problem.geometry = exp->geometry;
	memcpy(exp->problem.geometry_inputs, exp->geometry_inputs, sizeof exp->geometry_inputs);
	exp->problem.pde_ops = exp->pde_ops;
	exp->problem.pde_state = exp->pde_state;
	exp->problem.net = exp->net;
	exp->problem.n_params = pp_network_param_count(exp->net);
	exp->problem.seed = exp->seed;
	exp->problem.n_terms = exp->n_terms;
	/* on several ranks rank 0 alone writes the run directory */
	exp->problem.run_dir = mode == PP_EXPERIMENT_RUN && pp_comm_rank() == 0 ? exp->run_dir
			       : NULL;
	rc = build_weighting(exp, reg, err);
	if (rc)
		goto fail;
	rc = build_stages(exp, reg, err);
	if (!rc)
		rc = check_adaptive_growth(exp, net_cfg, err);
	if (rc)
		goto fail;
	rc = build_analyzers(exp, reg, err);
	if (!rc)
		rc = check_stop_columns(exp, err);
	if (rc)
		goto fail;
	rc = pp_config_check_unknown_tree(exp->root, err);
	if (rc)
		goto fail;
	*out = exp;
	return PP_OK;

fail:
	pp_experiment_destroy(exp);
	return rc;
}

int pp_experiment_write_config(const pp_experiment *exp, FILE *f)
{
	fprintf(f, "# resolved from %s by phasepinn %s: every default made explicit\n",
		exp->path, PP_VERSION);
	return pp_config_write_resolved(exp->root, f);
}

void pp_experiment_destroy(pp_experiment *exp)
{
	if (!exp)
		return;
	for (int a = 0; a < exp->n_analyzers; a++)
		exp->analyzers[a].ops->destroy(exp->analyzers[a].state);
	if (exp->weighting_state)
		exp->weighting_ops->destroy(exp->weighting_state);
	pp_network_destroy(exp->net);
	free(exp->init_from);
	pp_observations_destroy(exp->obs);
	pp_geometry_destroy(exp->geometry);
	if (exp->pde_state)
		exp->pde_ops->destroy(exp->pde_state);
	free(exp->run_dir);
	free((char *)exp->name);
	pp_config_doc_destroy(exp->doc);
	free(exp);
}
