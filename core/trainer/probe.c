/* phasepinn — residuals at points that are not a term's own (see
 * trainer_impl.h): adaptive sampling's candidates and the validation
 * points.  A probe is a term_run of one batch with the term's settings;
 * the points pass through it a batch at a time, so a probe costs one
 * batch's workspace whatever the number of points. */
#include "core/trainer/trainer_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static pp_real *reals(size_t n)
{
	return calloc(n ? n : 1, sizeof(pp_real));
}

void trainer_probe_destroy(term_probe *probe)
{
	term_run *p = &probe->run;

	pp_batch_destroy(p->batches ? p->batches[0] : NULL);
	pp_batch_destroy(p->pair_batches ? p->pair_batches[0] : NULL);
	free(p->batches);
	free(p->pair_batches);
	free(p->x_pair);
	free(p->r);
	free(p->out);
	free(p->out_pair);
	free(p->dr);
	free(p->dr_pair);
	free(p->rk);
	free(p->drk);
	free(p->drk_pair);
	free(p->comp);
	free(p->drc);
	free(p->rdc);
	memset(probe, 0, sizeof *probe);
}

int trainer_probe_create(trainer *t, const term_run *tr, size_t capacity, term_probe *probe,
			 pp_error *err)
{
	term_run *p = &probe->run;
	size_t b = capacity ? capacity : 1;
	size_t S = (size_t)tr->n_channels, K = (size_t)tr->K, d = (size_t)t->d;
	int rc;

	memset(probe, 0, sizeof *probe);
	probe->capacity = b;
	p->info = tr->info;
	p->setup = tr->setup;
	p->n_channels = tr->n_channels;
	p->paired = tr->paired;
	p->K = tr->K;
	probe->state.pde_term = tr->st->pde_term;
	probe->state.name = tr->st->name;
	p->st = &probe->state;
	p->n_batches = 1;
	p->start = &probe->start;
	p->len = &probe->len;
	p->batches = calloc(1, sizeof *p->batches);
	p->pair_batches = calloc(1, sizeof *p->pair_batches);
	p->r = reals(b);
	p->out = reals(b * S);
	p->dr = reals(b * S);
	if (p->paired) {
		p->x_pair = reals(b * d);
		p->out_pair = reals(b * S);
		p->dr_pair = reals(b * S);
	}
	if (K > 1) {
		p->rk = reals(K * b);
		p->drk = reals(K * S * b);
		p->comp = reals(K * b);
		if (p->paired)
			p->drk_pair = reals(K * S * b);
	}
	if (t->n_train > 0) {
		p->drc = reals(K * (size_t)t->exp->pde.n_coefficients * b);
		p->rdc = reals((size_t)t->n_train * b);
	}
	if (!p->batches || !p->pair_batches || !p->r || !p->out || !p->dr ||
	    (p->paired && (!p->x_pair || !p->out_pair || !p->dr_pair)) ||
	    (K > 1 && (!p->rk || !p->drk || !p->comp || (p->paired && !p->drk_pair))) ||
	    (t->n_train > 0 && (!p->drc || !p->rdc))) {
		trainer_probe_destroy(probe);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for a probe batch of %zu points", b);
	}
	rc = pp_batch_create(t->net, b, p->n_channels, p->info->channels, &p->batches[0], err);
	if (!rc && p->paired)
		rc = pp_batch_create(t->net, b, p->n_channels, p->info->channels,
				     &p->pair_batches[0], err);
	if (rc)
		trainer_probe_destroy(probe);
	return rc;
}

int trainer_probe_residuals(trainer *t, term_probe *probe, size_t m, pp_real *x,
			    pp_real *normal, int *part, double *mag, pp_error *err)
{
	term_run *p = &probe->run;
	size_t b = probe->capacity, d = (size_t)t->d;
	int rc = PP_OK;

	for (size_t off = 0; !rc && off < m; off += b) {
		size_t len = m - off < b ? m - off : b;
		probe->start = 0;
		probe->len = len;
		p->n = len;
		p->x = x + off * d;
		p->normal = normal ? normal + off * d : NULL;
		p->part = part ? part + off : NULL;
		trainer_pair_points(t, p);
		rc = trainer_term_residuals(t, p, err);
		for (size_t i = 0; !rc && i < len; i++)
			mag[off + i] = fabs((double)p->r[i]);
	}
	p->x = NULL;      /* borrowed from the caller */
	p->normal = NULL;
	p->part = NULL;
	return rc;
}

void trainer_point_set_free(term_run *set)
{
	free(set->x);
	free(set->normal);
	free(set->part);
	set->x = set->normal = NULL;
	set->part = NULL;
}

int trainer_point_set_draw(trainer *t, const term_run *tr, size_t m, pp_rng *rng, term_run *set,
			   pp_error *err)
{
	size_t d = (size_t)t->d;

	set->info = tr->info;
	set->setup = tr->setup;
	set->n = m;
	set->x = calloc(m * d, sizeof *set->x);
	if (tr->normal) {
		set->normal = calloc(m * d, sizeof *set->normal);
		set->part = calloc(m, sizeof *set->part);
	}
	if (!set->x || (tr->normal && (!set->normal || !set->part)))
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu points", m);
	return trainer_sample_points(t, set, rng, err);
}
