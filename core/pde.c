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
