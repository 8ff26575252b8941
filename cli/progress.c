/* phasepinn — the progress line of `run` and `resume` (see progress.h). */
#include "cli/progress.h"

#include <math.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

/* Columns of the rows that progress shows, looked up once. */
static void find_columns(pp_cli_progress *p, const pp_train_row *row)
{
	p->col_error = p->col_phase = -1;
	for (int i = 0; i < row->n_columns; i++) {
		if (!strcmp(row->columns[i], "error_rel_l2"))
			p->col_error = i;
		if (!strcmp(row->columns[i], "phase"))
			p->col_phase = i;
	}
	p->columns_known = 1;
}

void pp_cli_progress_update(pp_cli_progress *p, const pp_train_report *r)
{
	switch (r->event) {
	case PP_TRAIN_STAGE:   /* rates count within a stage (or a resumed run) */
		p->rate_step0 = -1;
		break;
	case PP_TRAIN_STEP:
	case PP_TRAIN_FINAL:
		/* from the end of the stage's first step: its set-up (an L-BFGS
		 * stage's first evaluation, say) is no measure of the rest */
		if (p->rate_step0 < 0 && r->event == PP_TRAIN_STEP) {
			p->rate_step0 = r->step;
			p->rate_time0 = r->seconds;
		}
		if (!p->columns_known)
			find_columns(p, r->row);
		if (p->col_error >= 0 && r->row->set && r->row->set[p->col_error])
			p->error_step = r->step;
		break;
	case PP_TRAIN_END:
		break;
	}
}

/* One progress line: stage, step / total, loss, error and phase when those
 * analyzers run, steps per second over the current stage (setup and earlier
 * stages left out), time left at that rate; the final line says the total
 * time.  With @cols > 0 the phase, then the error, then the stage are left
 * out first so that the line never wraps. */
void pp_cli_progress_format(const pp_cli_progress *p, const pp_train_report *r, int cols,
			    char *line, size_t size)
{
	static const char *const phase_names[] = {"fitting", "diffusion", "equilibrium"};
	/* pieces in display order; drop[] is the order they go when too wide */
	enum { STAGE, STEP, LOSS, ERROR, PHASE, RATE, LEFT, N_PIECES };
	static const int drop[] = {PHASE, ERROR, STAGE};
	const pp_step_view *view = r->view;
	const double *last = r->row->last;
	int final = r->event == PP_TRAIN_FINAL;
	long step = r->step, counted = p->rate_step0 >= 0 ? step - p->rate_step0 : 0;
	char piece[N_PIECES][96], when[32];
	double span = r->seconds - p->rate_time0;
	double rate = counted > 0 && span > 0 ? (double)counted / span : 0;
	size_t width = 0;

	memset(piece, 0, sizeof piece);
	snprintf(piece[STAGE], sizeof piece[0], "stage %d/%d %s", view->stage + 1, r->n_stages,
		 view->optimizer ? view->optimizer : "-");
	snprintf(piece[STEP], sizeof piece[0], "step %ld/%ld", step, r->total_steps);
	snprintf(piece[LOSS], sizeof piece[0], "loss %.3e", view->loss);
	if (p->col_error >= 0 && isfinite(last[p->col_error])) {
		int fresh = r->row->set && r->row->set[p->col_error];
		if (fresh)
			snprintf(piece[ERROR], sizeof piece[0], "rel.L2 %.3e", last[p->col_error]);
		else if (p->error_step >= 0)   /* measured earlier: say when */
			snprintf(piece[ERROR], sizeof piece[0], "rel.L2 %.3e (step %ld)",
				 last[p->col_error], p->error_step);
		else
			snprintf(piece[ERROR], sizeof piece[0], "rel.L2 %.3e (earlier)",
				 last[p->col_error]);
	}
	if (p->col_phase >= 0 && last[p->col_phase] >= 0 && last[p->col_phase] <= 2)
		snprintf(piece[PHASE], sizeof piece[0], "phase %s",
			 phase_names[(int)last[p->col_phase]]);
	if (rate > 0)
		snprintf(piece[RATE], sizeof piece[0],
			 rate >= 100 ? "%.0f steps/s" : rate >= 10 ? "%.1f steps/s" : "%.2f steps/s",
			 rate);
	if (final) {
		format_duration(r->seconds, when, sizeof when);
		snprintf(piece[LEFT], sizeof piece[0], "total %s", when);
	} else if (rate > 0) {
		format_duration((double)(r->total_steps - step - 1) / rate, when, sizeof when);
		snprintf(piece[LEFT], sizeof piece[0], "left %s", when);
	}
	for (int i = 0; i < N_PIECES; i++)
		width += strlen(piece[i]) + (piece[i][0] ? 2 : 0);
	if (cols > 0)
		for (size_t d = 0; d < sizeof drop / sizeof drop[0] && width > (size_t)cols; d++) {
			width -= strlen(piece[drop[d]]) + (piece[drop[d]][0] ? 2 : 0);
			piece[drop[d]][0] = '\0';
		}
	line[0] = '\0';
	for (int i = 0, used = 0; i < N_PIECES; i++)
		if (piece[i][0]) {
			int w = snprintf(line + used, size - (size_t)used, "%s%s", used ? "  " : "",
					 piece[i]);
			if (w < 0 || (size_t)(used + w) >= size)
				break;
			used += w;
		}
	if (cols > 1 && strlen(line) > (size_t)cols - 1)
		line[cols - 1] = '\0';
}

/* Draw the line, unless it is too soon (terminal) or not a logging step
 * (elsewhere). */
static void draw(pp_cli_progress *p, const pp_train_report *r)
{
	char line[7 * 96];
	int final = r->event == PP_TRAIN_FINAL;
	FILE *f = p->out;

	if (p->tty ? !final && r->seconds - p->last_drawn < 0.2
		   : !final && r->step % r->log_every != 0)
		return;
	p->last_drawn = r->seconds;
	pp_cli_progress_format(p, r, p->tty ? terminal_columns(f) : 0, line, sizeof line);
	fprintf(f, "%s%s%s", p->tty ? "\r\033[K" : "", line, p->tty && !final ? "" : "\n");
	p->open = p->tty && !final;
	fflush(f);
}

void pp_cli_progress_init(pp_cli_progress *p, FILE *out)
{
	memset(p, 0, sizeof *p);
	p->out = out;
	p->tty = out && isatty(fileno(out));
	p->col_error = p->col_phase = -1;
	p->rate_step0 = -1;
	p->error_step = -1;
}

void pp_cli_progress_report(void *ctx, const pp_train_report *report)
{
	pp_cli_progress *p = ctx;

	if (!p->out)
		return;
	pp_cli_progress_update(p, report);
	switch (report->event) {
	case PP_TRAIN_STAGE:
		break;
	case PP_TRAIN_STEP:
	case PP_TRAIN_FINAL:
		draw(p, report);
		break;
	case PP_TRAIN_END:     /* an error message must not land on the end of a redrawn line */
		if (p->open)
			fputc('\n', p->out);
		p->open = 0;
		break;
	}
}
