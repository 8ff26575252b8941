/* phasepinn — seeds: of a comparison, in YAML or on the command line (see
 * cli/compare.h).
 *
 *   seeds: [1, 2, 3]   these seeds, in this order, each once
 *   seeds: 5           five seeds derived from the experiment's seed s:
 *                      s, s + 1, ..., s + 4 (the run of seed s is the one a
 *                      single-seed comparison makes; the generator mixes
 *                      its seed through splitmix64, so neighbouring seeds
 *                      give unrelated streams)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/compare.h"

#define SEEDS_FORMS "a count of at least 1 (seeds: 5) or a list of distinct seeds (seeds: [1, 2, 3])"

static void where_of(const pp_config *node, pp_seed_spec *spec)
{
	snprintf(spec->where, sizeof spec->where, "%s:%d:%d", pp_config_file(node),
		 pp_config_line(node), pp_config_column(node));
}

/* Seed @s joins the list unless it is there already. */
static int add_seed(pp_seed_spec *spec, unsigned long s, const char *where, pp_error *err)
{
	for (int i = 0; i < spec->n; i++)
		if (spec->list[i] == s)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "%s: seeds: %lu is listed twice; each seed is one run, list it once",
					    where, s);
	if (spec->n == PP_COMPARE_MAX_SEEDS)
		return pp_error_set(err, PP_ERR_CONFIG, "%s: seeds: at most %d seeds", where,
				    PP_COMPARE_MAX_SEEDS);
	spec->list[spec->n++] = s;
	return PP_OK;
}

static int count_ok(long count, const char *where, pp_error *err)
{
	if (count < 1)
		return pp_error_set(err, PP_ERR_CONFIG, "%s: seeds: %ld: give " SEEDS_FORMS, where,
				    count);
	if (count > PP_COMPARE_MAX_SEEDS)
		return pp_error_set(err, PP_ERR_CONFIG, "%s: seeds: %ld: at most %d seeds", where,
				    count, PP_COMPARE_MAX_SEEDS);
	return PP_OK;
}

int pp_seed_spec_node(const pp_config *node, pp_seed_spec *spec, pp_error *err)
{
	long x;
	int rc;

	memset(spec, 0, sizeof *spec);
	where_of(node, spec);
	spec->given = 1;
	switch (pp_config_node_type(node)) {
	case PP_CONFIG_SCALAR:
		rc = pp_config_node_long(node, &x, err);
		if (rc)
			return pp_config_error(err, PP_ERR_CONFIG, node, "seeds: is " SEEDS_FORMS);
		if (count_ok(x, spec->where, err))
			return PP_ERR_CONFIG;
		spec->count = x;
		return PP_OK;
	case PP_CONFIG_SEQUENCE:
		if (pp_config_size(node) == 0)
			return pp_config_error(err, PP_ERR_CONFIG, node,
					       "seeds: the list is empty; give " SEEDS_FORMS);
		for (size_t i = 0; i < pp_config_size(node); i++) {
			const pp_config *item = pp_config_at(node, i);
			pp_seed_spec at;
			if (pp_config_node_type(item) != PP_CONFIG_SCALAR ||
			    pp_config_node_long(item, &x, err) || x < 0)
				return pp_config_error(err, PP_ERR_CONFIG, item,
						       "seeds: each seed is a whole number from 0 to %ld",
						       LONG_MAX);
			where_of(item, &at);
			if (add_seed(spec, (unsigned long)x, at.where, err))
				return PP_ERR_CONFIG;
		}
		return PP_OK;
	default:
		return pp_config_error(err, PP_ERR_CONFIG, node, "seeds: is " SEEDS_FORMS ", not a map");
	}
}

/* A whole number from 0 to LONG_MAX, all of @s. */
static int parse_seed(const char *s, size_t len, long *out)
{
	char buf[32], *end;

	if (len == 0 || len >= sizeof buf || strspn(s, "0123456789") < len)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtol(buf, &end, 10);
	return errno || *end ? -1 : 0;
}

int pp_seed_spec_arg(const char *text, pp_seed_spec *spec, pp_error *err)
{
	long x;

	memset(spec, 0, sizeof *spec);
	snprintf(spec->where, sizeof spec->where, "--seeds %s", text);
	spec->given = 1;
	if (!strchr(text, ',')) {
		if (*text == '-' || parse_seed(text, strlen(text), &x) || x < 1 ||
		    x > PP_COMPARE_MAX_SEEDS)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "--seeds %s: give a count from 1 to %d (--seeds 5) or a comma-separated list of distinct seeds (--seeds 1,2,3)",
					    text, PP_COMPARE_MAX_SEEDS);
		spec->count = x;
		return PP_OK;
	}
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, ",");
		if (parse_seed(p, len, &x)) {
			if (len == 0 && p[len] == '\0')
				break;   /* "7,": the list of one seed */
			return pp_error_set(err, PP_ERR_CONFIG,
					    "--seeds %s: '%.*s' is not a seed (a whole number from 0 to %ld)",
					    text, (int)len, p, LONG_MAX);
		}
		if (add_seed(spec, (unsigned long)x, spec->where, err))
			return PP_ERR_CONFIG;
		p += len + (p[len] == ',');
	}
	return PP_OK;
}

int pp_seed_spec_resolve(const pp_seed_spec *spec, unsigned long base, pp_seed_list *out,
			 pp_error *err)
{
	memset(out, 0, sizeof *out);
	if (!spec->given)
		return PP_OK;
	if (!spec->count) {
		out->n = spec->n;
		memcpy(out->seed, spec->list, (size_t)spec->n * sizeof spec->list[0]);
		return PP_OK;
	}
	if (base > (unsigned long)LONG_MAX - (unsigned long)(spec->count - 1))
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s: seeds: %ld counts up from the experiment's seed %lu past %ld; choose a smaller seed: or list the seeds",
				    spec->where, spec->count, base, LONG_MAX);
	out->n = (int)spec->count;
	for (int i = 0; i < out->n; i++)
		out->seed[i] = base + (unsigned long)i;
	return PP_OK;
}

int pp_seed_list_equal(const pp_seed_list *a, const pp_seed_list *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (a->seed[i] != b->seed[i])
			return 0;
	return 1;
}
