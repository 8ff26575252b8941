/* phasepinn — tensor-product grids (see pp_grid in pde.h). */
#include <phasepinn/pde.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>

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

/* "256 x 100" into @buf. */
static void grid_shape(const pp_grid *grid, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int d = 0; d < grid->n_dims && len < size; d++)
		len += (size_t)snprintf(buf + len, size - len, "%s%ld", d ? " x " : "", grid->n[d]);
}

int pp_grid_check(const pp_grid *grid, int n_dims, pp_error *err)
{
	char shape[128];
	size_t size;

	if (grid->n_dims < 1 || grid->n_dims > PP_MAX_INPUTS)
		return pp_error_set(err, PP_ERR_INVALID, "a grid has 1 to %d dimensions, not %d",
				    PP_MAX_INPUTS, grid->n_dims);
	if (n_dims && grid->n_dims != n_dims)
		return pp_error_set(err, PP_ERR_INVALID,
				    "a %d-dimensional grid was given for a problem with %d inputs",
				    grid->n_dims, n_dims);
	for (int d = 0; d < grid->n_dims; d++) {
		if (grid->n[d] < 1)
			return pp_error_set(err, PP_ERR_INVALID,
					    "grid dimension %d has %ld points; at least 1 is needed",
					    d, grid->n[d]);
		if (!isfinite(grid->lo[d]) || !isfinite(grid->hi[d]))
			return pp_error_set(err, PP_ERR_INVALID, "grid dimension %d has a non-finite bound", d);
		if (grid->lo[d] > grid->hi[d] || (grid->n[d] > 1 && grid->lo[d] == grid->hi[d]))
			return pp_error_set(err, PP_ERR_INVALID,
					    "grid dimension %d: lower bound %g must be below upper bound %g",
					    d, grid->lo[d], grid->hi[d]);
	}
	size = pp_grid_size(grid);
	if (size == 0 || size > SIZE_MAX / sizeof(double)) {
		grid_shape(grid, shape, sizeof shape);
		return pp_error_set(err, PP_ERR_INVALID, "a grid of %s points is too large for memory",
				    shape);
	}
	return PP_OK;
}
