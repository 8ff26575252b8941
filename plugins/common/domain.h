/* phasepinn plugins — reading a box side `x: [lo, hi]` (header-only helper
 * shared by the PDE plugins). */
#ifndef PHASEPINN_PLUGINS_DOMAIN_H
#define PHASEPINN_PLUGINS_DOMAIN_H

#include <phasepinn/config.h>
#include <phasepinn/error.h>

/* @key: [lo, hi] with lo < hi; absent → the defaults. */
static inline int pp_domain_read(const pp_config *cfg, const char *key, double def_lo,
				 double def_hi, double *lo, double *hi, pp_error *err)
{
	const pp_config *node = pp_config_get(cfg, key);
	int rc;

	*lo = def_lo;
	*hi = def_hi;
	if (!node)
		return PP_OK;
	if (pp_config_node_type(node) != PP_CONFIG_SEQUENCE || pp_config_size(node) != 2)
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "%s: is an interval [lo, hi], e.g. [%g, %g]", key, def_lo, def_hi);
	rc = pp_config_node_double(pp_config_at(node, 0), lo, err);
	if (!rc)
		rc = pp_config_node_double(pp_config_at(node, 1), hi, err);
	if (rc)
		return rc;
	if (!(*lo < *hi))
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "%s: lower bound %g must be below upper bound %g", key, *lo, *hi);
	return PP_OK;
}

#endif
