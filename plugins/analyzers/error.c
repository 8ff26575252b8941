/* phasepinn plugin — error against the PDE's own reference solution.
 *
 * The reference is computed once, at create, on the PDE's classic grid (or
 * `grid: [n_x, n_t]` points per input over the same box).  Each observation
 * predicts u on that grid:  rel_l2 = ‖u − u*‖₂/‖u*‖₂,  max = max|u − u*|.
 * At the end, prediction.csv (inputs, u_pred, u_ref, abs_err) is written to
 * the run directory.
 */
#include <phasepinn/phasepinn.h>
#include <phasepinn/output.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct error_an {
	pp_grid grid;
	size_t n;
	int d;
	const pp_problem *problem;
	pp_real *x;
	double *ref;
	pp_real *pred;
} error_an;

static const char *const error_columns[] = {"error_rel_l2", "error_max"};

static void error_destroy(void *state)
{
	error_an *e = state;

	if (!e)
		return;
	free(e->x);
	free(e->ref);
	free(e->pred);
	free(e);
}

static int read_grid(const pp_config *cfg, error_an *e, pp_error *err)
{
	/* grid: points per input, default the PDE's reference grid (recorded) */
	long def[PP_MAX_INPUTS], n[PP_MAX_INPUTS];
	int rc;

	if (e->grid.n_dims < 1 || e->grid.n_dims > PP_MAX_INPUTS)
		return pp_error_set(err, PP_ERR_PLUGIN, "the PDE's reference grid has %d inputs",
				    e->grid.n_dims);
	for (int d = 0; d < e->grid.n_dims; d++)
		def[d] = e->grid.n[d];
	rc = pp_config_long_list(cfg, "grid", (size_t)e->grid.n_dims, def, 2, 100000, n, err);
	if (rc)
		return rc;
	for (int d = 0; d < e->grid.n_dims; d++)
		e->grid.n[d] = n[d];
	return PP_OK;
}

static int error_create(const pp_config *cfg, const pp_problem *problem, void **state,
			pp_error *err)
{
	error_an *e = calloc(1, sizeof *e);
	double xd[PP_MAX_INPUTS];
	int rc;

	if (!e)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	if (!problem->pde->has_reference || !problem->pde_ops->reference) {
		free(e);
		return pp_config_error(err, PP_ERR_CONFIG, cfg,
				       "the error analyzer needs a reference solution, which this PDE does not provide");
	}
	e->problem = problem;
	e->grid = problem->pde->reference_grid;
	e->d = e->grid.n_dims;
	rc = read_grid(cfg, e, err);
	if (rc)
		goto fail;
	e->n = pp_grid_size(&e->grid);
	if (e->n == 0 || e->n > 50000000) {
		rc = pp_error_set(err, PP_ERR_CONFIG, "error analyzer: grid of %zu points is too large", e->n);
		goto fail;
	}
	e->x = malloc(e->n * (size_t)e->d * sizeof *e->x);
	e->ref = malloc(e->n * sizeof *e->ref);
	e->pred = malloc(e->n * sizeof *e->pred);
	if (!e->x || !e->ref || !e->pred) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for the error grid");
		goto fail;
	}
	for (size_t i = 0; i < e->n; i++) {
		pp_grid_point(&e->grid, i, xd);
		for (int k = 0; k < e->d; k++)
			e->x[i * (size_t)e->d + (size_t)k] = (pp_real)xd[k];
	}
	rc = problem->pde_ops->reference(problem->pde_state, &e->grid, e->ref, err);
	if (rc)
		goto fail;
	*state = e;
	return PP_OK;
fail:
	error_destroy(e);
	return rc;
}

static int error_columns_fn(void *state, const char *const **names, int *count)
{
	(void)state;
	*names = error_columns;
	*count = 2;
	return PP_OK;
}

static int error_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	error_an *e = state;
	double num = 0, den = 0, max = 0;
	int rc = pp_network_predict(view->net, e->n, e->x, e->pred, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < e->n; i++) {
		double diff = (double)e->pred[i] - e->ref[i];
		num += diff * diff;
		den += e->ref[i] * e->ref[i];
		if (fabs(diff) > max || isnan(diff))
			max = fabs(diff);
	}
	values[0] = den > 0 ? sqrt(num / den) : NAN;
	values[1] = max;
	return PP_OK;
}

static int error_finish(void *state, const pp_step_view *view, pp_error *err)
{
	error_an *e = state;
	const char *dir = e->problem->run_dir;
	char path[4096];
	pp_atomic_file af;
	int rc;

	if (!dir)
		return PP_OK;
	rc = pp_network_predict(view->net, e->n, e->x, e->pred, err);
	if (!rc)
		rc = pp_path_join(path, sizeof path, dir, PP_RUN_PREDICTION, err);
	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	for (int k = 0; k < e->d; k++)
		fprintf(af.f, "%s,", e->problem->pde->input_names[k]);
	fputs("u_pred,u_ref,abs_err\n", af.f);
	for (size_t i = 0; i < e->n; i++) {
		for (int k = 0; k < e->d; k++)
			fprintf(af.f, "%.8g,", (double)e->x[i * (size_t)e->d + (size_t)k]);
		fprintf(af.f, "%.10g,%.10g,%.4g\n", (double)e->pred[i], e->ref[i],
			fabs((double)e->pred[i] - e->ref[i]));
	}
	return pp_atomic_commit(&af, err);
}

static const pp_analyzer_ops error_ops = {
	.struct_size = sizeof error_ops,
	.create = error_create,
	.destroy = error_destroy,
	.columns = error_columns_fn,
	.observe = error_observe,
	.finish = error_finish,
	.save = pp_stateless_save,
	.load = pp_stateless_load,
};

PP_PLUGIN_DEFINE(PP_KIND_ANALYZER, "error",
		 "relative L2 and max error against the PDE's reference on a grid", &error_ops)
