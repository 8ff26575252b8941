/* phasepinn plugin SDK — reading a box side `x: [lo, hi]`.
 *
 * For plugin authors (installed as <phasepinn/sdk/domain.h>, header-only):
 * pp_domain_read() reads one input's interval from a PDE plugin's YAML
 * section with the strict config getters (default recorded in config.yaml,
 * lo < hi checked, errors at file:line:col).  The shipped PDEs use it.
 */
#ifndef PHASEPINN_SDK_DOMAIN_H
#define PHASEPINN_SDK_DOMAIN_H

#include <phasepinn/config.h>
#include <phasepinn/error.h>

#include <float.h>

/* @key: [lo, hi] with lo < hi; absent → the defaults (recorded). */
static inline int pp_domain_read(const pp_config *cfg, const char *key, double def_lo,
				 double def_hi, double *lo, double *hi, pp_error *err)
{
	const double def[2] = {def_lo, def_hi};
	double v[2];
	int rc = pp_config_double_list(cfg, key, 2, def, -DBL_MAX, DBL_MAX, v, err);

	if (rc)
		return rc;
	*lo = v[0];
	*hi = v[1];
	if (!(*lo < *hi))
		return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(cfg, key),
				       "%s: lower bound %g must be below upper bound %g", key, *lo, *hi);
	return PP_OK;
}

#endif
