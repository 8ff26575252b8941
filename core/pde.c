/* phasepinn — what the library says about a PDE's description (pde.h)
 * besides its grids: the names of its terms, for messages. */
#include <phasepinn/pde.h>

#include <stdio.h>
#include <string.h>

void pp_pde_term_names(const pp_pde_info *pde, char *buf, size_t size)
{
	size_t used = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (int k = 0; k < pde->n_terms && used + 1 < size; k++) {
		int w = snprintf(buf + used, size - used, "%s%s", k ? ", " : "", pde->terms[k].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int pp_pde_output_count(const pp_pde_info *pde)
{
	return pde->n_outputs > 0 ? pde->n_outputs : 1;
}

const char *pp_pde_output_name(const pp_pde_info *pde, int k)
{
	if (pde->n_outputs <= 0)
		return k == 0 ? "u" : NULL;
	if (k < 0 || k >= pde->n_outputs)
		return NULL;
	return pde->output_names[k] ? pde->output_names[k] : "u";
}

int pp_term_component_count(const pp_term_info *t)
{
	return t->n_components > 1 ? t->n_components : 1;
}
