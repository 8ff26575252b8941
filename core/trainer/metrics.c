/* phasepinn — what the trainer reports (see trainer_impl.h): the metrics
 * row (its columns, what analyzers observe into it, the rows written to
 * metrics.csv and kept as the last values), the progress line, and the
 * per-point weights files of the final parameters. */
#include "core/trainer/trainer_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <phasepinn/output.h>

/* The metrics row: the fixed columns, loss and weight per term, then each
 * analyzer's columns; all must fit in PP_MAX_COLUMNS (row buffers are that
 * long and observe() writes n_columns values into them). */
int trainer_name_columns(trainer *t, pp_error *err)
{
	pp_train_result *res = t->res;
	int n = 0, total = COL_FIXED + 2 * t->n_terms;
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

/* Analyzers due at the view's step (all of them when @force) observe the
 * state at the current parameters; the row is worth writing when anything
 * was measured or the step is a logging step. */
int trainer_observe(trainer *t, int force, metrics_row *row, pp_error *err)
{
	long step = t->view.step;
	int col = COL_FIXED + 2 * t->n_terms;
	int rc;

	memset(row->set, 0, sizeof row->set);
	row->any = force || step % t->exp->log_every == 0;
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
	memset(row->set, 1, COL_FIXED + 2 * (size_t)t->n_terms);
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

/* "42s", "12m05s", "3h07m", "2d04h": time left of a run of any length. */
static void format_duration(double sec, char *buf, size_t size)
{
	long s = sec > 0 && sec < 1e9 ? (long)(sec + 0.5) : 0;

	if (s < 120)
		snprintf(buf, size, "%lds", s);
	else if (s < 7200)
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	else if (s < 172800)
		snprintf(buf, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%ldd%02ldh", s / 86400, s / 3600 % 24);
}

/* Columns of the terminal @f is, 0 when unknown. */
static int terminal_columns(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

/* Progress: on a terminal one line redrawn at most 5 times a second, fitted
 * to the terminal's width so it never wraps (the phase, then the error, then
 * the stage are left out first); else a plain line every logging.every
 * steps (CI logs).  Stage, step / total, loss, error and phase when those
 * analyzers run, steps per second over the current stage (setup and earlier
 * stages left out), time left at that rate. */
void trainer_progress(trainer *t, int final)
{
	const pp_train_result *res = t->res;
	long step = t->view.step;
	static const char *const phase_names[] = {"fitting", "diffusion", "equilibrium"};
	/* pieces in display order; drop[] is the order they go when too wide */
	enum { STAGE, STEP, LOSS, ERROR, PHASE, RATE, LEFT, N_PIECES };
	static const int drop[] = {PHASE, ERROR, STAGE};
	char piece[N_PIECES][96], line[N_PIECES * 96], when[32];
	double now = trainer_seconds(t), rate, span;
	size_t width = 0;
	int cols;
	FILE *f = t->opts->progress;

	if (!f)
		return;
	if (t->progress_tty ? !final && now - t->progress_last < 0.2
			    : !final && step % t->exp->log_every != 0)
		return;
	t->progress_last = now;
	span = now - t->rate_time0;
	rate = span > 0 ? (double)(step - t->rate_step0) / span : 0;
	format_duration(final ? now
		       : rate > 0 ? (double)(t->exp->total_iterations - step) / rate : 0,
		       when, sizeof when);
	memset(piece, 0, sizeof piece);
	snprintf(piece[STAGE], sizeof piece[0], "stage %d/%d %s", t->view.stage + 1,
		 t->exp->n_stages, t->view.optimizer ? t->view.optimizer : "-");
	snprintf(piece[STEP], sizeof piece[0], "step %ld/%ld", step, t->exp->total_iterations);
	snprintf(piece[LOSS], sizeof piece[0], "loss %.3e", t->view.loss);
	if (t->col_error >= 0 && isfinite(res->last[t->col_error]))
		snprintf(piece[ERROR], sizeof piece[0], "rel.L2 %.3e", res->last[t->col_error]);
	if (t->col_phase >= 0 && res->last[t->col_phase] >= 0 && res->last[t->col_phase] <= 2)
		snprintf(piece[PHASE], sizeof piece[0], "phase %s",
			 phase_names[(int)res->last[t->col_phase]]);
	snprintf(piece[RATE], sizeof piece[0],
		 rate >= 100 ? "%.0f steps/s" : rate >= 10 ? "%.1f steps/s" : "%.2f steps/s", rate);
	snprintf(piece[LEFT], sizeof piece[0], "%s %s", final ? "total" : "left", when);
	for (int i = 0; i < N_PIECES; i++)
		width += strlen(piece[i]) + (piece[i][0] ? 2 : 0);
	cols = t->progress_tty ? terminal_columns(f) : 0;
	if (cols > 0)
		for (size_t d = 0; d < sizeof drop / sizeof drop[0] && width > (size_t)cols; d++) {
			width -= strlen(piece[drop[d]]) + (piece[drop[d]][0] ? 2 : 0);
			piece[drop[d]][0] = '\0';
		}
	line[0] = '\0';
	for (int i = 0; i < N_PIECES; i++)
		if (piece[i][0]) {
			if (line[0])
				strcat(line, "  ");
			strcat(line, piece[i]);
		}
	if (cols > 1 && strlen(line) > (size_t)cols - 1)
		line[cols - 1] = '\0';
	fprintf(f, "%s%s%s", t->progress_tty ? "\r\033[K" : "", line,
		t->progress_tty && !final ? "" : "\n");
	t->progress_open = t->progress_tty && !final;
	fflush(f);
}

/* Rates count from here: the start of a stage (or of a resumed run). */
void trainer_progress_mark(trainer *t)
{
	t->rate_step0 = t->pos.step;
	t->rate_time0 = trainer_seconds(t);
}

/* Progress shows the error and the phase when those analyzers run. */
void trainer_progress_start(trainer *t)
{
	const pp_train_result *res = t->res;

	t->progress_tty = t->opts->progress && isatty(fileno(t->opts->progress));
	t->col_error = t->col_phase = -1;
	for (int i = 0; i < res->n_columns; i++) {
		if (!strcmp(res->columns[i], "error_rel_l2"))
			t->col_error = i;
		if (!strcmp(res->columns[i], "phase"))
			t->col_phase = i;
	}
}

/* An error message must not land on the end of a redrawn line. */
void trainer_progress_end(trainer *t)
{
	if (t->progress_open)
		fputc('\n', t->opts->progress);
}

/* Per-point weights of every term: inputs, r, w, lambda. */
int trainer_write_weights(trainer *t, pp_error *err)
{
	const char *dir = t->exp->problem.run_dir;
	char path[4096], name[128];
	int rc;

	if (!dir)
		return PP_OK;
	for (int k = 0; k < t->n_terms; k++) {
		const term_run *tr = &t->terms[k];
		pp_atomic_file af;

		snprintf(name, sizeof name, "weights_%s.csv", tr->st->name);
		rc = pp_path_join(path, sizeof path, dir, name, err);
		if (!rc)
			rc = pp_atomic_open(&af, path, err);
		if (rc)
			return rc;
		for (int j = 0; j < t->d; j++)
			fprintf(af.f, "%s,", t->exp->pde.input_names[j]);
		fputs("r,w,lambda\n", af.f);
		for (size_t i = 0; i < tr->n; i++) {
			for (int j = 0; j < t->d; j++)
				fprintf(af.f, "%.10g,", (double)tr->x[i * (size_t)t->d + (size_t)j]);
			fprintf(af.f, "%.10g,%.10g,%.10g\n", (double)tr->r[i], (double)tr->w[i],
				(double)tr->lambda[i]);
		}
		rc = pp_atomic_commit(&af, err);
		if (rc)
			return rc;
	}
	return PP_OK;
}

