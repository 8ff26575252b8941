/* phasepinn plugin SDK — choosing which loss terms a plugin touches:
 * `terms: [residual, initial]` in its YAML section.
 *
 * For plugin authors (installed as <phasepinn/sdk/terms.h>, header-only):
 * pp_terms_select() turns that list into a per-term flag array, with every
 * term or the interior terms as the recorded default and unknown names
 * refused with the PDE's term names.  The rba and sa weightings use it.
 */
#ifndef PHASEPINN_SDK_TERMS_H
#define PHASEPINN_SDK_TERMS_H

#include <string.h>

#include <phasepinn/phasepinn.h>

/* applies[k] for each PDE term k: from the list under @key, or @def_all
 * (every term) / the interior terms when absent.  Unknown names are errors
 * that list the PDE's terms. */
static inline int pp_terms_select(const pp_config *cfg, const char *key,
				  const pp_pde_info *pde, int def_all, int *applies,
				  pp_error *err)
{
	const char *def[PP_MAX_TERMS], *names[PP_MAX_TERMS];
	size_t n_def = 0, n;
	const pp_config *list;
	int rc;

	for (int k = 0; k < pde->n_terms; k++)
		if (def_all || pde->terms[k].interior)
			def[n_def++] = pde->terms[k].name;
	/* the default is recorded in config.yaml as the list of names */
	rc = pp_config_name_list(cfg, key, def, n_def, PP_MAX_TERMS, names, &n, err);
	if (rc)
		return rc;
	list = pp_config_get(cfg, key);
	for (int k = 0; k < pde->n_terms; k++)
		applies[k] = 0;
	for (size_t i = 0; i < n; i++) {
		int found = 0;
		for (int k = 0; k < pde->n_terms; k++)
			if (strcmp(names[i], pde->terms[k].name) == 0)
				applies[k] = found = 1;
		if (!found) {
			char all[256];
			pp_pde_term_names(pde, all, sizeof all);
			return pp_config_error(err, PP_ERR_CONFIG, list ? pp_config_at(list, i) : cfg,
					       "no term '%s'; the PDE's terms are: %s", names[i], all);
		}
	}
	return PP_OK;
}

#endif
