/* phasepinn — what the trainer reports (see trainer_impl.h): the metrics
 * row (its columns, what analyzers observe into it, the rows written to
 * metrics.csv and kept as the last values), the reports to the progress
 * callback, and the per-point weights files of the final parameters. */
#include "core/trainer/trainer_impl.h"
#include "core/comm.h"
#include "core/observations.h"
#include "core/rundir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/output.h>

/* The metrics row: the fixed columns, loss and weight per term, the value of
 * each trainable coefficient (coef_<name>), the validation error of the
 * observation data (data_val_rel_l2, with a validation part), the
 * resamplings of adaptive sampling, the loss at the validation points
 * (val_loss, with validation:), then each
 * analyzer's columns; all must fit in PP_MAX_COLUMNS (row buffers are that
 * long and observe() writes n_columns values into them). */
int trainer_name_columns(trainer *t, pp_error *err)
{
	pp_train_result *res = t->res;
	int adaptive = t->exp->adaptive.method != PP_ADAPTIVE_NONE;
	int validation = t->exp->validation.points > 0;
	int n = 0, total = COL_FIXED + 2 * t->n_terms + t->n_train + (t->val_x != NULL) + adaptive +
			   validation;
	static const char *const fixed[] = {"step", "stage", "loss", "lr", "time_s"};

	for (int a = 0; a < t->exp->n_analyzers; a++)
		total += t->exp->analyzers[a].n_columns;
	if (total > PP_MAX_COLUMNS)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "the metrics row would have %d columns (%d analyzers); at most %d fit: drop an analyzer",
				    total, t->exp->n_analyzers, PP_MAX_COLUMNS);
	for (int i = 0; i < COL_FIXED; i++)
		snprintf(res->column_store[n++], sizeof res->column_store[0], "%s", fixed[i]);
	for (int k = 0; k < t->n_terms && n + 2 <= PP_MAX_COLUMNS; k++) {
		snprintf(res->column_store[n++], sizeof res->column_store[0], "loss_%s",
			 t->terms[k].st->name);
		snprintf(res->column_store[n++], sizeof res->column_store[0], "weight_%s",
			 t->terms[k].st->name);
	}
	for (int j = 0; j < t->n_train; j++)
		snprintf(res->column_store[n++], sizeof res->column_store[0], "coef_%s",
			 t->exp->pde.coefficients[t->exp->trainable[j].index].name);
	if (t->val_x) {
		t->val_column = n;
		snprintf(res->column_store[n++], sizeof res->column_store[0], "data_val_rel_l2");
	}
	if (adaptive) {   /* set on the rows of resampling steps: how many so far */
		t->adaptive_column = n;
		snprintf(res->column_store[n++], sizeof res->column_store[0], "resamplings");
	}
	if (validation) {   /* validation steps: the loss at the validation points */
		t->vcolumn = n;
		snprintf(res->column_store[n++], sizeof res->column_store[0], "val_loss");
	}
	for (int a = 0; a < t->exp->n_analyzers; a++)
		for (int c = 0; c < t->exp->analyzers[a].n_columns && n < PP_MAX_COLUMNS; c++)
			snprintf(res->column_store[n++], sizeof res->column_store[0], "%s",
				 t->exp->analyzers[a].columns[c]);
	res->n_columns = n;
	for (int i = 0; i < n; i++) {
		res->columns[i] = res->column_store[i];
		res->last[i] = NAN;
	}
	return PP_OK;
}

/* The header line of a new metrics.csv. */
void trainer_write_header(const trainer *t)
{
	const pp_train_result *res = t->res;
	FILE *f = t->opts->metrics;

	if (!f)
		return;
	for (int i = 0; i < res->n_columns; i++)
		fprintf(f, "%s%s", i ? "," : "", res->columns[i]);
	fputc('\n', f);
	fflush(f);
}

static void write_row(const double *row, const unsigned char *set, int n, FILE *f)
{
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		if (set[i] && isfinite(row[i]))
			fprintf(f, "%.10g", row[i]);
		else if (set[i] && isnan(row[i]))
			fputs("nan", f);
		else if (set[i])
			fputs(row[i] > 0 ? "inf" : "-inf", f);
	}
	fputc('\n', f);
	fflush(f);
}

/* Seconds on the training clock (a resumed run's included). */
double trainer_seconds(const trainer *t)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t->t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t->t0.tv_nsec);
}

/* The observations' validation rows: ‖u − observed‖ / ‖observed‖ pooled
 * over the observed outputs, at the current parameters. */
static int validation_error(trainer *t, double *out, pp_error *err)
{
	const pp_observations *o = t->exp->obs;
	size_t n = o->val.n, K = (size_t)o->n_observed;
	double num = 0, den = 0;
	int rc = pp_network_predict(t->net, n, t->val_x, t->val_u, err);

	if (rc)
		return rc;
	for (size_t k = 0; k < K; k++) {
		const pp_real *u = t->val_u + (size_t)o->outputs[k] * n;
		for (size_t i = 0; i < n; i++) {
			double ref = o->val.u[i * K + k], d = (double)u[i] - ref;
			num += d * d;
			den += ref * ref;
		}
	}
	*out = den > 0 ? sqrt(num / den) : sqrt(num);
	return PP_OK;
}

/* Analyzers due at the view's step (all of them when @force) observe the
 * state at the current parameters; the row is worth writing when anything
 * was measured or the step is a logging step. */
int trainer_observe(trainer *t, int force, metrics_row *row, pp_error *err)
{
	long step = t->view.step;
	int col = COL_FIXED + 2 * t->n_terms + t->n_train + (t->val_x != NULL) +
		  (t->adaptive_column >= 0) + (t->vcolumn >= 0);
	int rc;

	memset(row->set, 0, sizeof row->set);
	row->any = force || step % t->exp->log_every == 0;
	if (t->adaptive_now) {   /* a resampling step always has its row */
		row->v[t->adaptive_column] = (double)t->adaptive_events;
		row->set[t->adaptive_column] = 1;
		row->any = 1;
	}
	if (t->vcolumn >= 0 && (force || trainer_validation_due(t, step))) {
		rc = trainer_validate(t, step, &row->v[t->vcolumn], err);
		if (rc)
			return rc;
		row->set[t->vcolumn] = 1;
		row->any = 1;
	}
	for (int a = 0; a < t->exp->n_analyzers; a++) {
		pp_analyzer_slot *s = &t->exp->analyzers[a];
		if (force || step % s->every == 0) {
			rc = s->ops->observe(s->state, &t->view, row->v + col, err);
			if (rc)
				return pp_error_prefix(err, "analyzer '%s' at step %ld",
						       s->plugin->name, step);
			memset(row->set + col, 1, (size_t)s->n_columns);
			row->any = 1;
		}
		col += s->n_columns;
	}
	row->v[COL_STEP] = (double)step;
	row->v[COL_STAGE] = t->view.stage;
	row->v[COL_LOSS] = t->view.loss;
	row->v[COL_LR] = NAN;
	row->v[COL_TIME] = trainer_seconds(t);
	memset(row->set, 1, COL_FIXED + 2 * (size_t)t->n_terms + (size_t)t->n_train);
	if (t->val_x && row->any) {
		rc = validation_error(t, &row->v[t->val_column], err);
		if (rc)
			return rc;
		row->set[t->val_column] = 1;
	}
	/* the evaluation before every row set t->coef at these parameters */
	for (int j = 0; j < t->n_train; j++)
		row->v[COL_FIXED + 2 * t->n_terms + j] = t->coef[t->exp->trainable[j].index];
	for (int k = 0; k < t->n_terms; k++) {
		row->v[COL_FIXED + 2 * k] = t->terms[k].st->loss;
		row->v[COL_FIXED + 2 * k + 1] = t->terms[k].st->term_weight;
	}
	return PP_OK;
}

/* A row worth writing becomes the last value of its columns and a line of
 * metrics.csv. */
void trainer_emit(trainer *t, const metrics_row *row)
{
	pp_train_result *res = t->res;

	if (!row->any)
		return;
	for (int i = 0; i < res->n_columns; i++)
		if (row->set[i])
			res->last[i] = row->v[i];
	if (t->opts->metrics)
		write_row(row->v, row->set, res->n_columns, t->opts->metrics);
}

/* Tell the progress callback, if any, about @event; @row is the metrics row
 * of a STEP or FINAL event (after trainer_emit, so its values are the
 * last ones too). */
void trainer_report(trainer *t, pp_train_event event, const metrics_row *row)
{
	const pp_train_result *res = t->res;
	pp_train_report rep = {0};
	pp_train_row r;

	if (!t->opts->progress)
		return;
	rep.event = event;
	rep.step = row ? t->view.step : t->pos.step;
	rep.seconds = trainer_seconds(t);
	rep.total_steps = t->exp->total_iterations;
	rep.n_stages = t->exp->n_stages;
	rep.log_every = t->exp->log_every;
	rep.view = &t->view;
	if (row) {
		r = (pp_train_row){res->n_columns, res->columns, row->v, row->set, res->last};
		rep.row = &r;
	}
	t->opts->progress(t->opts->progress_ctx, &rep);
}

/* Term @k's rows (inputs, r, w, λ per point) of every rank, in rank
 * order, onto rank 0: *rows (malloc'd there) holds *n of them. */
static int gather_rows(trainer *t, int k, double **rows, size_t *n, pp_error *err)
{
	const term_run *tr = &t->terms[k];
	size_t d = (size_t)t->d, w = d + 3, total = 0, lens[1024];
	double *mine = malloc((tr->n ? tr->n : 1) * w * sizeof *mine);
	unsigned char *all = NULL;
	int rc = PP_OK;

	*rows = NULL;
	if (!mine)
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory for the weights file");
	if (t->ranks > 1024 && !rc)
		rc = pp_error_set(err, PP_ERR_INVALID, "weights files of more than 1024 ranks");
	for (size_t i = 0; !rc && i < tr->n; i++) {
		for (size_t j = 0; j < d; j++)
			mine[i * w + j] = (double)tr->x[i * d + j];
		mine[i * w + d] = (double)tr->r[i];
		mine[i * w + d + 1] = (double)tr->w[i];
		mine[i * w + d + 2] = (double)tr->lambda[i];
	}
	rc = pp_comm_agree(rc, err);
	if (!rc)
		rc = pp_comm_gather_bytes(mine, tr->n * w * sizeof *mine, &all, lens, err);
	for (int r = 0; !rc && t->rank == 0 && r < t->ranks; r++)
		total += lens[r];
	free(mine);
	*rows = (double *)(void *)all;
	*n = total / (w * sizeof(double));
	return rc;
}

/* weights_<term>.csv of term @k from its @n gathered rows. */
static int write_rows(trainer *t, int k, const double *rows, size_t n, const char *dir,
		      pp_error *err)
{
	size_t w = (size_t)t->d + 3;
	char path[4096], name[128];
	pp_atomic_file af;
	int rc;

	rc = pp_rundir_weights_name(name, sizeof name, t->terms[k].st->name, err);
	if (!rc)
		rc = pp_path_join(path, sizeof path, dir, name, err);
	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	for (int j = 0; j < t->d; j++)
		fprintf(af.f, "%s,", t->exp->pde.input_names[j]);
	fputs("r,w,lambda\n", af.f);
	for (size_t i = 0; i < n; i++) {
		const double *row = rows + i * w;
		for (int j = 0; j < t->d; j++)
			fprintf(af.f, "%.10g,", row[j]);
		fprintf(af.f, "%.10g,%.10g,%.10g\n", row[t->d], row[t->d + 1], row[t->d + 2]);
	}
	return pp_atomic_commit(&af, err);
}

/* Per-point weights of every term: inputs, r, w, lambda; on several ranks
 * every rank's points, which rank 0 writes (collective: the ranks agree on
 * each file, so all stop at the same one). */
int trainer_write_weights(trainer *t, pp_error *err)
{
	const char *dir = t->exp->problem.run_dir;

	if (!pp_comm_any(dir != NULL))   /* rank 0 writes the run directory */
		return PP_OK;
	for (int k = 0; k < t->n_terms; k++) {
		double *rows;
		size_t n;
		int rc = gather_rows(t, k, &rows, &n, err);

		if (!rc && t->rank == 0)
			rc = write_rows(t, k, rows, n, dir, err);
		free(rows);
		rc = pp_comm_agree(rc, err);
		if (rc)
			return rc;
	}
	return PP_OK;
}

