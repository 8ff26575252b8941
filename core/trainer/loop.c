/* phasepinn — the training loop (see trainer.h and trainer_impl.h): the
 * stages one after the other, the steps of a stage, the checkpoints
 * between steps, and the final evaluation. */
#include "core/trainer/trainer_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/comm.h"
#include "core/model_file.h"

/* Does an analyzer that reads the chunk statistics observe at @step?  The
 * statistics cost a chunked (or per-point) backward, so only then. */
static int stats_due(const trainer *t, long step)
{
	for (int a = 0; a < t->exp->n_analyzers; a++) {
		const pp_analyzer_slot *s = &t->exp->analyzers[a];
		if (s->ops->needs && (s->ops->needs(s->state) & PP_NEED_CHUNK_STATS) &&
		    step % s->every == 0)
			return 1;
	}
	return 0;
}

/* The points moved (adaptive sampling): the stage's optimizer starts
 * afresh from its configuration, as at a stage's start, since its memory
 * (L-BFGS pairs, a BFGS matrix, Adam's moments, a line search's last step)
 * belongs to the objective of the old points.  Learning-rate schedules
 * count the stage's steps, so they go on. */
static int restart_optimizer(trainer *t, pp_error *err)
{
	const pp_stage *stage = &t->exp->stages[t->pos.stage];
	void *fresh = NULL;
	int rc = stage->ops->create(stage->cfg, t->n_params, &fresh, err);

	if (rc)
		return pp_error_prefix(err, "restarting optimizer '%s' after resampling",
				       stage->plugin->name);
	stage->ops->destroy(t->opt_state);
	t->opt_state = fresh;
	t->view.optimizer_state = fresh;
	return PP_OK;
}

/* One optimizer step at the run's position, its arguments and what the
 * optimizer says back in @args; on failure the network keeps the
 * parameters the step started from. */
static int train_step(trainer *t, pp_optimizer_args *args, metrics_row *rowp, pp_error *err)
{
	const pp_stage *stage = &t->exp->stages[t->pos.stage];
	long step = t->pos.step;
	pp_real *slab = pp_network_params(t->net);
	size_t bytes = t->n_params * sizeof *slab;
	metrics_row row;
	double loss = 0;
	int rc;

	if (t->exp->resample_every > 0 && step > 0 && step % t->exp->resample_every == 0) {
		rc = pp_comm_agree(trainer_resample(t, err), err);
		if (rc)
			return rc;
	}
	if (trainer_adaptive_due(t, step)) {
		rc = pp_comm_agree(trainer_adaptive_resample(t, err), err);
		if (!rc && t->exp->adaptive.restart_optimizer)
			rc = restart_optimizer(t, err);
		if (rc)
			return rc;
	}
	t->view.step = step;
	t->stats_due = stats_due(t, step);
	rc = trainer_evaluate(t, 1, &loss, err);
	if (!rc)
		rc = trainer_check_finite(t, step, loss, err);
	for (int a = 0; !rc && a < t->exp->n_analyzers; a++) {
		const pp_analyzer_slot *s = &t->exp->analyzers[a];
		if (s->ops->every_step && (rc = s->ops->every_step(s->state, &t->view, err)))
			rc = pp_error_prefix(err, "analyzer '%s' at step %ld", s->plugin->name, step);
	}
	if (!rc)
		rc = trainer_observe(t, 0, &row, err);
	rc = pp_comm_agree(rc, err);   /* analyzers may fail on one rank */
	t->adaptive_now = 0;
	if (rc)
		return rc;
	memset(args, 0, sizeof *args);
	args->step = step;
	args->stage_step = t->pos.stage_step;
	args->stage_iterations = stage->iterations;
	args->loss = loss;
	memcpy(t->opt_grad, t->grad, bytes);
	args->grad = t->opt_grad;
	args->objective = &t->objective;
	args->lr = NAN;
	memcpy(t->params, slab, bytes);
	rc = stage->ops->step(t->opt_state, t->params, args, err);
	if (rc) {
		/* Line-search evaluations may have left trial parameters in the
		 * slab; optimizers leave params untouched when they fail. */
		memcpy(slab, t->params, bytes);
		return pp_error_prefix(err, "optimizer '%s' at step %ld", stage->plugin->name, step);
	}
	for (size_t j = 0; j < t->n_params; j++) {
		if (!isfinite(t->params[j])) {
			rc = pp_error_set(err, PP_ERR_NUMERIC,
					  "step %ld: optimizer '%s' produced a non-finite parameter; the last good parameters are kept",
					  step, stage->plugin->name);
			return rc;
		}
	}
	memcpy(slab, t->params, bytes);
	row.v[COL_LR] = args->lr;
	trainer_emit(t, &row);
	trainer_report(t, PP_TRAIN_STEP, &row);
	t->res->stage_steps[t->pos.stage]++;
	t->res->steps++;
	*rowp = row;
	return PP_OK;
}

/* The column named @name in the metrics row, -1 if none. */
static int column_index(const trainer *t, const char *name)
{
	for (int i = 0; i < t->res->n_columns; i++)
		if (strcmp(t->res->columns[i], name) == 0)
			return i;
	return -1;
}

/* Does a stop rule of the stage end it after the step of @row?  Then the
 * reason names the rule, the value and the step.  @col is the metric
 * rule's column (-1: none); it counts only at steps that measured it.
 * All but wall_time are functions of the row and the previous loss, which
 * checkpoints keep, so a resumed run stops where the first one would. */
static int stop_rule(trainer *t, const pp_stop_rules *r, int col, const metrics_row *row,
		     char *reason, size_t size)
{
	double loss = row->v[COL_LOSS], prev = t->prev_loss, secs;
	long step = (long)row->v[COL_STEP];

	t->prev_loss = loss;
	if (r->loss_below > 0 && loss < r->loss_below) {
		snprintf(reason, size, "stopped: loss %.3g below loss_below %g at step %ld", loss,
			 r->loss_below, step);
		return 1;
	}
	if (r->rel_change_below > 0 && isfinite(prev) &&
	    fabs(loss - prev) < r->rel_change_below * fabs(loss)) {
		snprintf(reason, size,
			 "stopped: relative loss change %.3g below rel_change_below %g at step %ld",
			 fabs(loss - prev) / fabs(loss), r->rel_change_below, step);
		return 1;
	}
	if (col >= 0 && row->set[col] && row->v[col] < r->metric_below) {
		snprintf(reason, size, "stopped: %s %.3g below %g at step %ld",
			 r->metric_column, row->v[col], r->metric_below, step);
		return 1;
	}
	secs = trainer_seconds(t) - t->stage_t0;
	if (r->wall_time > 0 && secs >= r->wall_time) {
		snprintf(reason, size, "stopped: stage wall time %.3gs reached wall_time %gs at step %ld",
			 secs, r->wall_time, step);
		return 1;
	}
	return 0;
}

/* Checkpoint due before the run's step: every checkpoint.every steps, but
 * not the step the run (re)started at. */
static int checkpoint_due(const trainer *t)
{
	long every = t->exp->checkpoint_every, step = t->pos.step;

	return t->opts->checkpoints && every > 0 && step % every == 0 && step != t->first_step;
}

/* Stopped by a signal before the run's step: a checkpoint when the run
 * keeps them, and the error that ends the run. */
static int interrupt(trainer *t, pp_error *err)
{
	long step = t->pos.step;
	pp_error ck = {0};

	if (!t->opts->checkpoints)
		return pp_error_set(err, PP_ERR_INTERRUPTED, "interrupted at step %ld", step);
	if (trainer_save_checkpoint(t, &ck) == PP_OK)
		return pp_error_set(err, PP_ERR_INTERRUPTED,
				    "interrupted at step %ld; checkpoint written, continue with: phasepinn resume %s",
				    step, t->exp->run_dir);
	return pp_error_set(err, PP_ERR_INTERRUPTED,
			    "interrupted at step %ld; no checkpoint written: %.600s", step,
			    ck.message);
}

/* Run the stage of the run's position from its stage_step (0, or where a
 * checkpoint @resume left it, whose optimizer state is then restored). */
static int run_stage(trainer *t, const pp_ckpt *resume, pp_error *err)
{
	const pp_train_options *opts = t->opts;
	int s = t->pos.stage;
	const pp_stage *stage = &t->exp->stages[s];
	char *reason = t->res->stop_reasons[s];
	size_t reason_size = sizeof t->res->stop_reasons[s];
	pp_optimizer_args args;
	metrics_row row;
	int col = -1, rc, stop, agreed = -1;   /* agreed: the signal flag, -1: ask */

	if (stage->stop.metric_column[0]) {
		col = column_index(t, stage->stop.metric_column);
		if (col < 0)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "stage %d: its stop rule reads column '%s', which the metrics row lacks",
					    s, stage->stop.metric_column);
	}
	if (!resume) {
		t->stage_t0 = trainer_seconds(t);
		t->prev_loss = NAN;
	}
	rc = stage->ops->create(stage->cfg, t->n_params, &t->opt_state, err);
	if (rc)
		return rc;
	if (resume) {
		rc = trainer_load_optimizer(t, resume, err);
		if (rc) {
			stage->ops->destroy(t->opt_state);
			t->opt_state = NULL;
			return rc;
		}
	}
	t->view.stage = s;
	t->view.optimizer = stage->plugin->name;
	t->view.optimizer_state = t->opt_state;
	t->view.moments = stage->ops->moments;
	snprintf(reason, reason_size, "completed %ld iterations", stage->iterations);
	trainer_report(t, PP_TRAIN_STAGE, NULL);
	for (; t->pos.stage_step < stage->iterations; t->pos.stage_step++) {
		/* a signal reaches the ranks at different steps: they agree,
		 * after the first step together with the stop rules below */
		int signalled = opts->interrupted && *opts->interrupted;
		if (agreed >= 0 ? agreed : pp_comm_any(signalled)) {
			rc = interrupt(t, err);
			break;
		}
		if (checkpoint_due(t)) {
			rc = trainer_save_checkpoint(t, err);
			if (rc)
				break;
		}
		rc = train_step(t, &args, &row, err);
		if (rc)
			break;
		t->pos.step++;
		if (args.stop) {
			snprintf(reason, reason_size, "%s",
				 args.stop_reason[0] ? args.stop_reason : "stopped by the optimizer");
			break;
		}
		stop = stop_rule(t, &stage->stop, col, &row, reason, reason_size);
		if (t->ranks > 1) {
			/* wall_time reads each rank's clock: stop when any rank
			 * would; one message also says whether a signal came */
			int v = pp_comm_max_int(2 * stop + (opts->interrupted && *opts->interrupted));
			stop = v >= 2;
			agreed = v == 1;
		}
		if (stop)
			break;
	}
	if (rc)
		snprintf(reason, reason_size, "stopped: %.140s", err->message);
	stage->ops->destroy(t->opt_state);
	t->opt_state = NULL;
	t->view.optimizer_state = NULL;
	t->view.moments = NULL;
	return rc;
}

/* Evaluate the final parameters, let every analyzer observe and finish. */
static int finish(trainer *t, pp_error *err)
{
	metrics_row row;
	double loss;
	int rc;

	t->view.step = t->pos.step;
	if (t->exp->validation.keep_best) {
		/* the last parameters' val_loss, then the best ones back if lower:
		 * the final row, the analyzers and the model file are theirs */
		double last;
		int kept;
		rc = trainer_validate(t, t->pos.step, &last, err);
		if (rc)
			return rc;
		trainer_validation_restore(t, &kept);
		t->res->last_val_loss = last;
		t->res->kept_step = kept ? t->val_best_step : t->pos.step;
		t->res->kept_val_loss = kept ? t->val_best : last;
	}
	t->stats_due = 1;   /* every analyzer observes the final parameters */
	rc = trainer_evaluate(t, 0, &loss, err);
	if (!rc)
		rc = trainer_check_finite(t, t->pos.step, loss, err);
	if (!rc)
		rc = trainer_observe(t, 1, &row, err);
	rc = pp_comm_agree(rc, err);
	if (rc)
		return rc;
	trainer_emit(t, &row);
	trainer_report(t, PP_TRAIN_FINAL, &row);
	t->res->final_loss = loss;
	for (int a = 0; a < t->exp->n_analyzers; a++) {
		pp_analyzer_slot *s = &t->exp->analyzers[a];
		if (s->ops->finish) {
			rc = s->ops->finish(s->state, &t->view, err);
			if (rc)
				pp_error_prefix(err, "analyzer '%s'", s->plugin->name);
		}
		rc = pp_comm_agree(rc, err);
		if (rc)
			return rc;
	}
	return pp_comm_agree(trainer_write_weights(t, err), err);
}

/* time_s goes on from the interrupted run's clock: move the clock's start
 * back by the @elapsed seconds it had trained. */
static void rewind_clock(trainer *t, double elapsed)
{
	t->t0.tv_sec -= (time_t)elapsed;
	t->t0.tv_nsec -= (long)((elapsed - (double)(time_t)elapsed) * 1e9);
	if (t->t0.tv_nsec < 0) {
		t->t0.tv_sec--;
		t->t0.tv_nsec += 1000000000L;
	}
}

/* Go on from @resume: the position it records, its clock, and the stage
 * the view shows when every stage was done. */
static int resume_run(trainer *t, const pp_ckpt *resume, pp_error *err)
{
	pp_experiment *exp = t->exp;
	double elapsed = 0;
	int rc = trainer_restore(t, resume, &elapsed, err);

	if (rc)
		return rc;
	t->first_step = t->pos.step;
	rewind_clock(t, elapsed);
	if (t->pos.stage >= exp->n_stages && exp->n_stages > 0) {
		t->view.stage = exp->n_stages - 1;
		t->view.optimizer = exp->stages[exp->n_stages - 1].plugin->name;
	}
	t->res->stages_run = t->pos.stage < exp->n_stages ? t->pos.stage : exp->n_stages;
	return PP_OK;
}

/* RUN_DIR/model.npz of the parameters the run ends with, whatever ended
 * it (as parameters.txt): completed, interrupted (the state of the
 * checkpoint just written) or failed (the last good parameters), when
 * the experiment was built for a run (problem.run_dir, as the weights).  A
 * failure to write it fails a run that had not failed already. */
static int write_model(trainer *t, int rc, pp_error *err)
{
	pp_error model_err = {0};
	int mrc;

	if (!t->res->started || !t->exp->problem.run_dir)
		return rc;
	mrc = pp_model_write_run(t->exp, t->res->kept_step >= 0 ? t->res->kept_step : t->pos.step,
				 &model_err);
	if (mrc && !rc) {
		*err = model_err;
		return mrc;
	}
	return rc;
}

/* All ranks reduce through core/comm.c: the buffers it packs into are
 * made now, and the plugins' reduction is set in the problem they see. */
static int allreduce_for_plugins(double *values, size_t n, int op, pp_error *err)
{
	return pp_comm_reduce_doubles(values, n, op == PP_REDUCE_MAX ? PP_COMM_MAX
					      : op == PP_REDUCE_MIN ? PP_COMM_MIN : PP_COMM_SUM, err);
}

static int reserve_reductions(trainer *t, pp_error *err)
{
	size_t n = (size_t)(t->n_terms + 1) * t->n_params + 1, d = 2 * t->n_params + 1;

	t->exp->problem.ranks = t->ranks;
	t->exp->problem.rank = t->rank;
	t->exp->problem.allreduce = t->ranks > 1 ? allreduce_for_plugins : NULL;
	return pp_comm_reserve(n * sizeof(pp_real) > d * sizeof(double) ? n * sizeof(pp_real)
			       : d * sizeof(double), err);
}

int pp_train(pp_experiment *exp, const pp_train_options *opts, pp_train_result *res,
	     pp_error *err)
{
	trainer *t = calloc(1, sizeof *t);
	int rc, first_stage;

	memset(res, 0, sizeof *res);
	res->kept_step = -1;
	res->kept_val_loss = res->last_val_loss = NAN;
	if (!t)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	t->opts = opts;
	t->res = res;
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
	rc = trainer_setup(t, exp, err);
	if (!rc)
		rc = reserve_reductions(t, err);
	rc = pp_comm_agree(rc, err);
	if (rc)
		goto cleanup;
	t->objective.ctx = t;
	t->objective.eval = trainer_objective_eval;
	rc = trainer_name_columns(t, err);
	if (rc)
		goto cleanup;
	if (opts->checkpoints) {
		rc = trainer_config_text(t, err);
		if (!rc && !opts->resume)
			rc = trainer_start_origin(t, err);
		if (rc)
			goto cleanup;
	}
	if (opts->resume) {
		rc = pp_comm_agree(resume_run(t, opts->resume, err), err);
		if (rc)
			goto cleanup;
	} else {
		trainer_write_header(t);
	}
	res->started = 1;
	first_stage = t->pos.stage;
	for (; t->pos.stage < exp->n_stages; t->pos.stage++) {
		if (t->pos.stage != first_stage)
			t->pos.stage_step = 0;
		res->stages_run = t->pos.stage + 1;
		rc = run_stage(t, t->pos.stage == first_stage ? opts->resume : NULL, err);
		if (rc)
			goto cleanup;
	}
	if (opts->checkpoints && exp->checkpoint_at_end && t->pos.step != t->first_step) {
		t->pos.stage_step = 0;
		rc = trainer_save_checkpoint(t, err);
		if (rc)
			goto cleanup;
	}
	rc = finish(t, err);
cleanup:
	rc = write_model(t, rc, err);
	trainer_report(t, PP_TRAIN_END, NULL);
	res->seconds = trainer_seconds(t);
	trainer_teardown(t);
	free(t);
	return rc;
}
