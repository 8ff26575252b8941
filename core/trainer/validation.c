/* phasepinn — validation points (see trainer_impl.h; docs/sampling.md,
 * "Validation points").
 *
 * Each enabled term but the data term gets `validation.points` points,
 * drawn once when the trainer is built, from the term's own sampler (the
 * box's pieces, or the geometry and its parts) with a random stream of
 * their own, so they never coincide with the training points by
 * construction and the training draws do not change when validation is
 * switched on.  Every `every` steps (and at the end) the residuals there
 * give
 *
 *     val_loss = Σ_k weight_k · mean_i ρ_ki²,
 *
 * the configured term weights and no point weights (ρ = |r|, or ‖r‖ for a
 * system): the unweighted loss the network would have on fresh points.
 * With keep_best the parameters at the lowest val_loss are kept (a copy
 * of n_params values) and the run ends with them.  The points are a
 * function of the seed alone, so a resumed run draws them again; the best
 * so far travels in the checkpoint (sections.c). */
#include "core/trainer/trainer_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void trainer_validation_free(trainer *t)
{
	for (int v = 0; v < t->n_vsets; v++) {
		validation_set *vs = &t->vsets[v];
		trainer_point_set_free(&vs->points);
		free(vs->mag);
		trainer_probe_destroy(&vs->probe);
	}
	t->n_vsets = 0;
	free(t->val_best_params);
	t->val_best_params = NULL;
}

int trainer_validation_init(trainer *t, pp_error *err)
{
	const pp_validation_setup *v = &t->exp->validation;
	size_t m = (size_t)v->points;
	size_t b = (size_t)t->exp->batch_points < m ? (size_t)t->exp->batch_points : m;
	pp_rng rng;
	int rc = PP_OK;

	t->vcolumn = -1;
	t->val_last = t->val_best = NAN;
	t->val_best_step = -1;
	if (v->points <= 0)
		return PP_OK;
	pp_rng_init(&rng, t->exp->seed, 0x56414c44u /* "VALD" */);
	for (int k = 0; !rc && k < t->n_terms; k++) {
		const term_run *tr = &t->terms[k];
		validation_set *vs;
		term_run *set;

		if (tr->data)
			continue;
		vs = &t->vsets[t->n_vsets++];
		set = &vs->points;
		vs->mag = malloc(m * sizeof *vs->mag);
		vs->weight = tr->setup->weight;
		if (!vs->mag)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu validation points", m);
		rc = trainer_point_set_draw(t, tr, m, &rng, set, err);
		if (!rc)
			rc = trainer_probe_create(t, tr, b, &vs->probe, err);
		if (rc)
			return pp_error_prefix(err, "validation points of term '%s'", tr->info->name);
	}
	if (v->keep_best) {
		t->val_best_params = malloc(t->n_params * sizeof *t->val_best_params);
		if (!t->val_best_params)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory for the best parameters");
	}
	return PP_OK;
}

int trainer_validation_due(const trainer *t, long step)
{
	return t->exp->validation.points > 0 && step % t->exp->validation.every == 0;
}

int trainer_validate(trainer *t, long step, double *val, pp_error *err)
{
	double total = 0;
	int rc;

	trainer_update_coefficients(t);  /* a line search may have moved them */
	for (int v = 0; v < t->n_vsets; v++) {
		validation_set *vs = &t->vsets[v];
		term_run *set = &vs->points;
		double sum = 0;

		rc = trainer_probe_residuals(t, &vs->probe, set->n, set->x, set->normal, set->part,
					     vs->mag, err);
		if (rc)
			return pp_error_prefix(err, "step %ld: validation of term '%s'", step,
					       set->info->name);
		for (size_t i = 0; i < set->n; i++)
			sum += vs->mag[i] * vs->mag[i];
		total += vs->weight * sum / (double)set->n;
	}
	*val = total;
	t->val_last = total;
	if (isfinite(total) && !(total >= t->val_best)) {  /* NaN best: the first */
		t->val_best = total;
		t->val_best_step = step;
		if (t->val_best_params)
			memcpy(t->val_best_params, pp_network_params(t->net),
			       t->n_params * sizeof *t->val_best_params);
	}
	return PP_OK;
}

void trainer_validation_restore(trainer *t, int *kept)
{
	*kept = 0;
	if (!t->val_best_params || t->val_best_step < 0 || !(t->val_best < t->val_last))
		return;
	memcpy(pp_network_params(t->net), t->val_best_params,
	       t->n_params * sizeof *t->val_best_params);
	trainer_update_coefficients(t);
	*kept = 1;
}
