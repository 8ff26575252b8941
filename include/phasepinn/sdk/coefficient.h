/* phasepinn plugin SDK — reading a coefficient that may be learned.
 *
 * For plugin authors (installed as <phasepinn/sdk/coefficient.h>,
 * header-only).  A coefficient is given either as a number (`nu: 0.01`) or,
 * in an inverse problem, as a map:
 *
 *     nu: {trainable: true, init: 0.05, value: 0.0031831, log: true, lo: 1e-4, hi: 1}
 *
 * pp_coefficient_read() gives the plugin its value: the number, or the map's
 * `value` (the forward problem's coefficient: what the reference uses and
 * what the learned one is compared with; default @def), checked against
 * [min, max].  The core reads the other keys (trainable, init, log, lo, hi)
 * for the coefficients the plugin declares in pp_pde_info.coefficients.
 */
#ifndef PHASEPINN_SDK_COEFFICIENT_H
#define PHASEPINN_SDK_COEFFICIENT_H

#include <phasepinn/config.h>
#include <phasepinn/error.h>

static inline int pp_coefficient_read(const pp_config *cfg, const char *key, double def,
				      double min, double max, double *out, pp_error *err)
{
	const pp_config *node = pp_config_get(cfg, key);

	if (node && pp_config_node_type(node) == PP_CONFIG_MAP)
		return pp_config_double(node, "value", def, min, max, out, err);
	return pp_config_double(cfg, key, def, min, max, out, err);
}

#endif
