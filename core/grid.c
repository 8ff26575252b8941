/* phasepinn — tensor-product grids (see pp_grid in pde.h). */
#include <phasepinn/pde.h>

#include <stdint.h>

size_t pp_grid_size(const pp_grid *grid)
{
	size_t n = 1;

	if (grid->n_dims < 1 || grid->n_dims > PP_MAX_INPUTS)
		return 0;
	for (int d = 0; d < grid->n_dims; d++) {
		if (grid->n[d] < 1 || (size_t)grid->n[d] > SIZE_MAX / n)
			return 0;
		n *= (size_t)grid->n[d];
	}
	return n;
}

void pp_grid_point(const pp_grid *grid, size_t index, double *x)
{
	for (int d = grid->n_dims - 1; d >= 0; d--) {
		long n = grid->n[d];
		long i = (long)(index % (size_t)n);
		double steps = grid->endpoint[d] ? (double)(n > 1 ? n - 1 : 1) : (double)n;

		index /= (size_t)n;
		x[d] = grid->lo[d] + (grid->hi[d] - grid->lo[d]) * (double)i / steps;
	}
}
