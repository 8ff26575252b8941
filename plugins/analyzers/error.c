/* phasepinn plugin — error against the PDE's own reference solution.
 *
 * The reference is computed once, at create, on the PDE's classic grid (or
 * `grid: [n_x, n_t]` points per input over the same box), for every output
 * (field) it gives; a field the reference leaves NAN throughout has no error.
 * Each observation predicts the fields on that grid.  Per field f with a
 * reference:  rel_l2_f = ‖u_f − u_f*‖₂/‖u_f*‖₂,  max_f = max|u_f − u_f*|,
 * where a field defined up to a constant (a pressure) is compared after
 * removing the means of both.  Pooled as PINNacle pools them, over the
 * fields with a reference:  error_rel_l2 = sqrt(Σ_f Σ_i (u − u*)²) /
 * sqrt(Σ_f Σ_i u*²),  error_max = max over them.  With one field those are
 * the only columns; with several, error_rel_l2_<f> and error_max_<f> follow.
 * At the end, prediction.csv is written to the run directory: the inputs,
 * then u_pred,u_ref,abs_err (one field) or <f>_pred,<f>_ref,<f>_abs_err per
 * field (only <f>_pred for a field without a reference).
 */
#include <phasepinn/phasepinn.h>
#include <phasepinn/output.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_COLUMNS (2 + 2 * PP_MAX_OUTPUTS)

typedef struct error_an {
	pp_grid grid;
	size_t n;
	int d;
	int n_fields;
	const pp_problem *problem;
	pp_real *x;
	double *ref;                        /* [n_fields × n], field f at ref[f·n] */
	pp_real *pred;                      /* the same layout */
	int has_ref[PP_MAX_OUTPUTS];
	int up_to_constant[PP_MAX_OUTPUTS];
	unsigned char *inside;              /* on a geometry: 1 for grid points in it, else NULL */
	size_t n_inside;
	int n_columns;
	const char *columns[MAX_COLUMNS];
	char column_text[MAX_COLUMNS][80];
} error_an;

/* The error of one field at the current prediction. */
typedef struct field_error {
	double num, den;   /* Σ (u − u*)², Σ u*² (both means removed when up to a constant) */
	double max;        /* max |u − u*|, NaN when one is */
	double shift;      /* added to u before comparing: mean(u*) − mean(u), or 0 */
} field_error;

static void error_destroy(void *state)
{
	error_an *e = state;

	if (!e)
		return;
	free(e->x);
	free(e->ref);
	free(e->pred);
	free(e->inside);
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

/* Which fields the reference gives (not NAN throughout), and the column
 * names: the pooled pair, then one pair per field with a reference when
 * there are several fields. */
static int name_fields(error_an *e, const pp_config *cfg, pp_error *err)
{
	const pp_pde_info *pde = e->problem->pde;
	int any = 0;

	for (int f = 0; f < e->n_fields; f++) {
		const double *r = e->ref + (size_t)f * e->n;
		for (size_t i = 0; i < e->n && !e->has_ref[f]; i++)
			e->has_ref[f] = !isnan(r[i]);
		e->up_to_constant[f] = pde->n_outputs > 0 && pde->output_up_to_constant[f];
		any |= e->has_ref[f];
	}
	if (!any)
		return pp_config_error(err, PP_ERR_CONFIG, cfg,
				       "the error analyzer needs a reference solution, and this PDE's gives none of its fields");
	e->columns[0] = "error_rel_l2";
	e->columns[1] = "error_max";
	e->n_columns = 2;
	for (int f = 0; e->n_fields > 1 && f < e->n_fields; f++) {
		if (!e->has_ref[f])
			continue;
		for (int k = 0; k < 2; k++) {
			char *text = e->column_text[e->n_columns];
			snprintf(text, sizeof e->column_text[0], "%s_%s", k ? "error_max" : "error_rel_l2",
				 pp_pde_output_name(pde, f));
			e->columns[e->n_columns++] = text;
		}
	}
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
	e->n_fields = pp_pde_output_count(problem->pde);
	rc = read_grid(cfg, e, err);
	if (rc)
		goto fail;
	e->n = pp_grid_size(&e->grid);
	if (e->n == 0 || e->n > 50000000 / (size_t)e->n_fields) {
		rc = pp_error_set(err, PP_ERR_CONFIG, "error analyzer: grid of %zu points is too large", e->n);
		goto fail;
	}
	e->x = malloc(e->n * (size_t)e->d * sizeof *e->x);
	e->ref = malloc(e->n * (size_t)e->n_fields * sizeof *e->ref);
	e->pred = malloc(e->n * (size_t)e->n_fields * sizeof *e->pred);
	if (!e->x || !e->ref || !e->pred) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for the error grid");
		goto fail;
	}
	for (size_t i = 0; i < e->n; i++) {
		pp_grid_point(&e->grid, i, xd);
		for (int k = 0; k < e->d; k++)
			e->x[i * (size_t)e->d + (size_t)k] = (pp_real)xd[k];
	}
	e->n_inside = e->n;
	if (problem->geometry) {
		/* only the grid points in the domain count (and are drawn) */
		int gd = pp_geometry_dim(problem->geometry);
		e->inside = malloc(e->n);
		if (!e->inside) {
			rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for the error grid");
			goto fail;
		}
		e->n_inside = 0;
		for (size_t i = 0; i < e->n; i++) {
			double g[PP_MAX_INPUTS];
			for (int c = 0; c < gd; c++)
				g[c] = (double)e->x[i * (size_t)e->d + (size_t)problem->geometry_inputs[c]];
			e->inside[i] = (unsigned char)pp_geometry_contains(problem->geometry, g);
			e->n_inside += e->inside[i];
		}
		if (e->n_inside == 0) {
			rc = pp_error_set(err, PP_ERR_CONFIG,
					  "error analyzer: no point of its grid lies in the domain; raise grid:");
			goto fail;
		}
	}
	rc = problem->pde_ops->reference(problem->pde_state, &e->grid, e->ref, err);
	if (!rc)
		rc = name_fields(e, cfg, err);
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
	error_an *e = state;

	*names = e->columns;
	*count = e->n_columns;
	return PP_OK;
}

/* The mean over the grid points in the domain. */
static double mean(const error_an *e, const pp_real *u, const double *v)
{
	double s = 0;

	for (size_t i = 0; i < e->n; i++)
		if (!e->inside || e->inside[i])
			s += u ? (double)u[i] : v[i];
	return s / (double)e->n_inside;
}

/* Field @f of the prediction against its reference. */
static field_error compare_field(const error_an *e, int f)
{
	const pp_real *u = e->pred + (size_t)f * e->n;
	const double *r = e->ref + (size_t)f * e->n;
	field_error fe = {0};
	double r_mean = 0;

	if (e->up_to_constant[f]) {
		r_mean = mean(e, NULL, r);
		fe.shift = r_mean - mean(e, u, NULL);
	}
	for (size_t i = 0; i < e->n; i++) {
		if (e->inside && !e->inside[i])
			continue;
		double diff = (double)u[i] + fe.shift - r[i], ref = r[i] - r_mean;
		fe.num += diff * diff;
		fe.den += ref * ref;
		if (fabs(diff) > fe.max || isnan(diff))
			fe.max = fabs(diff);
	}
	return fe;
}

static double relative(double num, double den)
{
	return den > 0 ? sqrt(num / den) : NAN;
}

static int error_observe(void *state, const pp_step_view *view, double *values, pp_error *err)
{
	error_an *e = state;
	double num = 0, den = 0, max = 0;
	int col = 2, rc = pp_network_predict(view->net, e->n, e->x, e->pred, err);

	if (rc)
		return rc;
	for (int f = 0; f < e->n_fields; f++) {
		field_error fe;
		if (!e->has_ref[f])
			continue;
		fe = compare_field(e, f);
		num += fe.num;
		den += fe.den;
		if (fe.max > max || isnan(fe.max))
			max = fe.max;
		if (e->n_fields > 1) {
			values[col++] = relative(fe.num, fe.den);
			values[col++] = fe.max;
		}
	}
	values[0] = relative(num, den);
	values[1] = max;
	return PP_OK;
}

/* The header of prediction.csv: the inputs, then each field's columns. */
static void prediction_header(const error_an *e, FILE *f)
{
	const pp_pde_info *pde = e->problem->pde;

	for (int k = 0; k < e->d; k++)
		fprintf(f, "%s,", pde->input_names[k]);
	if (e->n_fields == 1) {
		fputs("u_pred,u_ref,abs_err\n", f);
		return;
	}
	for (int k = 0; k < e->n_fields; k++) {
		const char *name = pp_pde_output_name(pde, k);
		fprintf(f, "%s%s_pred", k ? "," : "", name);
		if (e->has_ref[k])
			fprintf(f, ",%s_ref,%s_abs_err", name, name);
	}
	fputc('\n', f);
}

/* Point @i: a field up to a constant is written moved to the reference's mean. */
static void prediction_row(const error_an *e, FILE *f, size_t i, const double *shift)
{
	for (int k = 0; k < e->d; k++)
		fprintf(f, "%.8g,", (double)e->x[i * (size_t)e->d + (size_t)k]);
	for (int k = 0; k < e->n_fields; k++) {
		double u = (double)e->pred[(size_t)k * e->n + i] + shift[k];
		double r = e->ref[(size_t)k * e->n + i];
		if (k)
			fputc(',', f);
		if (e->inside && !e->inside[i])   /* outside the domain: masked */
			fputs(e->has_ref[k] ? "nan,nan,nan" : "nan", f);
		else if (e->has_ref[k])
			fprintf(f, "%.10g,%.10g,%.4g", u, r, fabs(u - r));
		else
			fprintf(f, "%.10g", u);
	}
	fputc('\n', f);
}

static int error_finish(void *state, const pp_step_view *view, pp_error *err)
{
	error_an *e = state;
	const char *dir = e->problem->run_dir;
	double shift[PP_MAX_OUTPUTS] = {0};
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
	for (int k = 0; k < e->n_fields; k++)
		if (e->has_ref[k])
			shift[k] = compare_field(e, k).shift;
	prediction_header(e, af.f);
	for (size_t i = 0; i < e->n; i++)
		prediction_row(e, af.f, i, shift);
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
