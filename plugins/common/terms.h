/* phasepinn plugins — choosing which loss terms a weighting scheme touches
 * (header-only helper): `terms: [residual, initial]` in its YAML section. */
#ifndef PHASEPINN_PLUGINS_TERMS_H
#define PHASEPINN_PLUGINS_TERMS_H

#include <string.h>

#include <phasepinn/phasepinn.h>

/* applies[k] for each PDE term k: from the list under @key, or @def_all
 * (every term) / the interior terms when absent.  Unknown names are errors
 * that list the PDE's terms. */
static inline int pp_terms_select(const pp_config *cfg, const char *key,
				  const pp_pde_info *pde, int def_all, int *applies,
				  pp_error *err)
{
	const pp_config *list = pp_config_get(cfg, key);

	for (int k = 0; k < pde->n_terms; k++)
		applies[k] = !list && (def_all || pde->terms[k].interior);
	if (!list)
		return PP_OK;
	if (pp_config_node_type(list) != PP_CONFIG_SEQUENCE)
		return pp_config_error(err, PP_ERR_CONFIG, list, "%s: is a list of term names", key);
	for (size_t i = 0; i < pp_config_size(list); i++) {
		const pp_config *t = pp_config_at(list, i);
		const char *name = pp_config_text(t);
		int found = 0;
		for (int k = 0; k < pde->n_terms; k++)
			if (name && strcmp(name, pde->terms[k].name) == 0)
				applies[k] = found = 1;
		if (!found) {
			char names[256] = "";
			for (int k = 0; k < pde->n_terms; k++) {
				strncat(names, k ? ", " : "", sizeof names - strlen(names) - 1);
				strncat(names, pde->terms[k].name, sizeof names - strlen(names) - 1);
			}
			return pp_config_error(err, PP_ERR_CONFIG, t,
					       "no term '%s'; the PDE's terms are: %s",
					       name ? name : "?", names);
		}
	}
	return PP_OK;
}

#endif
