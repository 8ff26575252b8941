/* phasepinn — the trainer's checkpoints (see trainer_impl.h and
 * docs/checkpoints.md): the sections it writes (run record, run state,
 * configuration, parameters, sampler, points and weights of every term,
 * every plugin's hooks), and putting a run back where a checkpoint left it.
 * The file format itself is core/checkpoint.c's. */
#include "core/trainer/trainer_impl.h"
#include "core/comm.h"
#include "core/rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phasepinn/output.h>

/* Where the run stands; section "STAT".  Fixed-size types: a checkpoint is
 * read back by the same build (format version and real size are checked). */
typedef struct ckpt_state {
	int64_t step;                /* next global step */
	int32_t stage;               /* stage of that step; n_stages after the last */
	int32_t n_terms;
	int64_t stage_step;          /* its step within the stage */
	int64_t n_params;
	int64_t metrics_offset;      /* bytes of metrics.csv, -1 without one */
	int64_t steps_done;
	double elapsed;              /* wall seconds so far (time_s goes on from it) */
	int32_t n_columns;
	int32_t reserved;
	double stage_t0;             /* training clock at the stage's start */
	double prev_loss;            /* the stage's last step's loss (stop rules) */
	int64_t stage_steps[PP_MAX_STAGES];
	char stop_reasons[PP_MAX_STAGES][160];
	double last[PP_MAX_COLUMNS];
} ckpt_state;

/* Per term, section "TERM" index k: this header, then x (n × d), w and
 * lambda (n each), as pp_real. */
typedef struct ckpt_term {
	int64_t n, d;
	double term_weight;
} ckpt_term;

/* One plugin's save/load hooks, NULL when it has none. */
typedef struct hooks {
	const char *kind, *name;
	void *state;
	int (*save)(void *, void *, size_t *, pp_error *);
	int (*load)(void *, const void *, size_t, pp_error *);
} hooks;

/* The hooks of an ops table of @type, NULL unless it has both. */
#define HOOKS_OF(kind, name, state, ops, type)                                  \
	((hooks){(kind), (name), (state),                                      \
		 PP_OPS_HAS(ops, type, load) ? (ops)->save : NULL,              \
		 PP_OPS_HAS(ops, type, load) ? (ops)->load : NULL})

static hooks pde_hooks(const pp_experiment *exp)
{
	return HOOKS_OF("pde", exp->pde_plugin->name, exp->pde_state, exp->pde_ops, pp_pde_ops);
}

static hooks weighting_hooks(const pp_experiment *exp)
{
	return HOOKS_OF("weighting", exp->weighting_plugin->name, exp->weighting_state,
			exp->weighting_ops, pp_weighting_ops);
}

static hooks analyzer_hooks(const pp_experiment *exp, int a)
{
	const pp_analyzer_slot *s = &exp->analyzers[a];

	return HOOKS_OF("analyzer", s->plugin->name, s->state, s->ops, pp_analyzer_ops);
}

static hooks optimizer_hooks(const pp_stage *st, void *state)
{
	return HOOKS_OF("optimizer", st->plugin->name, state, st->ops, pp_optimizer_ops);
}

static void append_name(char *buf, size_t size, int *n, const hooks *h)
{
	size_t used = strlen(buf);

	if (h->save && h->load)
		return;
	if (used < size)
		snprintf(buf + used, size - used, "%s%s '%s'", *n ? ", " : "", h->kind, h->name);
	(*n)++;
}

int pp_train_unresumable(const pp_experiment *exp, char *buf, size_t size)
{
	int n = 0;

	if (size)
		buf[0] = '\0';
	{
		hooks h = pde_hooks(exp);
		append_name(buf, size, &n, &h);
	}
	for (int s = 0; s < exp->n_stages; s++) {
		hooks h = optimizer_hooks(&exp->stages[s], NULL);
		append_name(buf, size, &n, &h);
	}
	{
		hooks h = weighting_hooks(exp);
		append_name(buf, size, &n, &h);
	}
	for (int a = 0; a < exp->n_analyzers; a++) {
		hooks h = analyzer_hooks(exp, a);
		append_name(buf, size, &n, &h);
	}
	return n;
}

/* Section @tag/@index from the plugin's save(); nothing when it has none
 * (pp_train_unresumable names it and resume refuses). */
static int save_plugin(pp_ckpt_writer *w, uint32_t tag, uint32_t index, const hooks *h,
		       pp_error *err)
{
	size_t size = 0;
	void *p;
	int rc;

	if (!h->save || !h->load)
		return PP_OK;
	rc = h->save(h->state, NULL, &size, err);
	if (!rc) {
		p = pp_ckpt_reserve(w, tag, index, size);
		if (!p)
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory for a checkpoint");
		rc = h->save(h->state, p, &size, err);
	}
	return rc ? pp_error_prefix(err, "saving %s '%s'", h->kind, h->name) : PP_OK;
}

static int load_plugin(const pp_ckpt *c, uint32_t tag, uint32_t index, const hooks *h,
		       pp_error *err)
{
	size_t len;
	const void *p = pp_ckpt_find(c, tag, index, &len);
	int rc;

	if (!h->save || !h->load)
		return pp_error_set(err, PP_ERR_STATE,
				    "cannot resume: %s '%s' has no checkpoint hooks (save/load), so its state would be lost; start the run again",
				    h->kind, h->name);
	if (!p)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s holds no state for %s '%s'; it was written for another experiment",
				    c->path, h->kind, h->name);
	rc = h->load(h->state, p, len, err);
	return rc ? pp_error_prefix(err, "%s: restoring %s '%s'", c->path, h->kind, h->name)
		  : PP_OK;
}

#define TAG_STAT PP_CKPT_TAG("STAT")
#define TAG_CONF PP_CKPT_TAG("CONF")
#define TAG_PATH PP_CKPT_TAG("PATH")
#define TAG_PARM PP_CKPT_TAG("PARM")
#define TAG_RNG PP_CKPT_TAG("RNG_")
#define TAG_TERM PP_CKPT_TAG("TERM")
#define TAG_OPTM PP_CKPT_TAG("OPTM")
#define TAG_WGHT PP_CKPT_TAG("WGHT")
#define TAG_PDE PP_CKPT_TAG("PDE_")
#define TAG_ANLZ PP_CKPT_TAG("ANLZ")
/* A boundary term's normals (n × d reals) and parts (n int32) on a
 * geometry: they go with its points, which resampling changes. */
#define TAG_NORM PP_CKPT_TAG("NORM")
/* Adaptive sampling's random stream and resamplings so far (only with
 * sampling.adaptive). */
#define TAG_ADPT PP_CKPT_TAG("ADPT")

/* A run on several ranks (docs/scaling.md, "Checkpoints"): section RANK
 * holds the rank count; what differs between ranks (each term's points,
 * w and λ, normals, the weighting's and the analyzers' state) is saved by
 * every rank, rank r's sections under index | r << 16, all in the one file
 * rank 0 writes.  Rank 0's indices are those of a one-rank checkpoint,
 * which has no RANK section. */
#define TAG_RANK PP_CKPT_TAG("RANK")
#define RANK_SHIFT 16

static uint32_t mine(const trainer *t, uint32_t index)
{
	return index | (uint32_t)t->rank << RANK_SHIFT;
}

typedef struct ckpt_adaptive {
	pp_rng rng;
	int64_t events;
} ckpt_adaptive;

/* Validation's lowest val_loss so far and its step (only with
 * validation:), then with keep_best its parameters (n_params reals). */
#define TAG_VALD PP_CKPT_TAG("VALD")

typedef struct ckpt_validation {
	double best;
	int64_t best_step;
} ckpt_validation;

/* A boundary term's normals and parts are saved when its points can
 * differ from the layout its sampler gives (box normals follow the pieces
 * in order): on a geometry, or moved by adaptive sampling. */
static int saves_normals(const trainer *t, const term_run *tr)
{
	return tr->normal && (t->exp->geometry || t->exp->adaptive.applies[tr->st->pde_term]);
}

/* The resolved configuration as text, once, for every checkpoint. */
int trainer_config_text(trainer *t, pp_error *err)
{
	FILE *f = open_memstream(&t->config_text, &t->config_len);
	int rc;

	if (!f)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	rc = pp_experiment_write_config(t->exp, f);
	if (fclose(f) != 0 || rc)
		return pp_error_set(err, PP_ERR_NOMEM, "cannot render the configuration");
	return PP_OK;
}

/* The record of this run that every checkpoint carries: the hash of the
 * configuration (config.yaml has the same tree), the parameter count and
 * the network, and a running CRC of metrics.csv.  A resumed run keeps the
 * record of the run it continues (restore()), so the hash stays that of
 * the config.yaml written when the run started. */
int trainer_start_origin(trainer *t, pp_error *err)
{
	pp_ckpt_origin *o = &t->origin;
	int rc;

	memset(o, 0, sizeof *o);
	rc = pp_ckpt_config_hash(t->config_text, t->config_len, "the resolved configuration",
				 &o->config_hash, err);
	if (rc)   /* resume could not read it back either */
		return pp_error_prefix(err, "cannot record the run for its checkpoints");
	o->n_params = (int64_t)t->n_params;
	o->metrics_bytes = 0;
	snprintf(o->network, sizeof o->network, "%s", pp_network_describe(t->net));
	return PP_OK;
}

/* Bring the origin's metrics CRC up to the current end of @metrics, read
 * back through RUN_DIR/metrics.csv (@metrics is open for writing only).
 * When @metrics is not that file, the checkpoint records no metrics. */
static int update_origin_metrics(trainer *t, FILE *metrics, pp_error *err)
{
	pp_ckpt_origin *o = &t->origin;
	struct stat mine, theirs;
	char path[4096];
	long end;
	int fd, ok;

	if (!metrics || !t->exp->run_dir ||
	    pp_path_join(path, sizeof path, t->exp->run_dir, PP_RUN_METRICS, NULL) != PP_OK) {
		o->metrics_bytes = -1;
		return PP_OK;
	}
	end = ftell(metrics);
	if (fflush(metrics) != 0 || end < 0)
		return pp_error_set(err, PP_ERR_IO, "cannot write " PP_RUN_METRICS ": %s", strerror(errno));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &mine) != 0 || fstat(fileno(metrics), &theirs) != 0 ||
	    mine.st_dev != theirs.st_dev || mine.st_ino != theirs.st_ino) {
		if (fd >= 0)
			close(fd);
		o->metrics_bytes = -1;
		return PP_OK;
	}
	if (o->metrics_bytes < 0 || o->metrics_bytes > end) {   /* resumed from a run that kept none */
		o->metrics_bytes = 0;
		o->metrics_crc = 0;
	}
	ok = pp_ckpt_file_crc(fd, o->metrics_bytes, end, &o->metrics_crc) == 0;
	close(fd);
	if (!ok)
		return pp_error_set(err, PP_ERR_IO, "cannot read back %s for the checkpoint", path);
	o->metrics_bytes = end;
	return PP_OK;
}

static int put_shared(trainer *t, pp_ckpt_writer *w, long step, pp_error *err);
static int put_own(trainer *t, pp_ckpt_writer *w, pp_error *err);
static int gather_ranks(trainer *t, pp_ckpt_writer *w, int rc, pp_error *err);

/* Checkpoint at the run's position: before its global step, which is step
 * stage_step of its stage (stage == n_stages: every stage is done).  On
 * several ranks, collective: rank 0 writes the one file. */
int trainer_save_checkpoint(trainer *t, pp_error *err)
{
	pp_experiment *exp = t->exp;
	long step = t->pos.step;
	pp_ckpt_writer w;
	char path[4096];
	int rc;

	rc = update_origin_metrics(t, t->opts->metrics, err);
	pp_ckpt_writer_init(&w, step);
	if (!rc && t->rank == 0)
		rc = put_shared(t, &w, step, err);
	if (!rc)
		rc = put_own(t, &w, err);
	if (t->ranks > 1)
		rc = gather_ranks(t, &w, rc, err);
	if (!rc && t->rank == 0)
		rc = pp_ckpt_path(path, sizeof path, exp->run_dir, step, err);
	if (!rc && t->rank == 0) {
		char dir[4096];
		rc = pp_path_join(dir, sizeof dir, exp->run_dir, PP_RUN_CHECKPOINTS, err);
		if (!rc)
			rc = pp_mkdir_p(dir, err);
	}
	if (!rc && t->rank == 0)
		rc = pp_ckpt_write_file(&w, path, err);
	if (!rc && t->rank == 0)
		rc = pp_ckpt_prune(exp->run_dir, exp->checkpoint_keep, LONG_MAX, err);
	pp_ckpt_writer_free(&w);
	return pp_comm_agree(rc, err);
}

/* What every rank has alike: the run's record and state, configuration,
 * parameters, random streams, the optimizer's and the PDE's state. */
static int put_shared(trainer *t, pp_ckpt_writer *w, long step, pp_error *err)
{
	pp_experiment *exp = t->exp;
	const pp_train_options *opts = t->opts;
	const pp_train_result *res = t->res;
	long i = t->pos.stage_step;
	int s = t->pos.stage, rc = PP_OK;
	ckpt_state *st;

	pp_ckpt_put(w, PP_CKPT_TAG_ORIGIN, 0, &t->origin, sizeof t->origin);
	if (t->ranks > 1) {
		int32_t ranks = t->ranks;
		pp_ckpt_put(w, TAG_RANK, 0, &ranks, sizeof ranks);
	}
	st = pp_ckpt_reserve(w, TAG_STAT, 0, sizeof *st);
	if (st) {
		st->step = step;
		st->stage = s;
		st->n_terms = t->n_terms;
		st->stage_step = i;
		st->n_params = (int64_t)t->n_params;
		st->metrics_offset = opts->metrics ? (int64_t)ftell(opts->metrics) : -1;
		st->steps_done = res->steps;
		st->elapsed = trainer_seconds(t);
		st->n_columns = res->n_columns;
		st->stage_t0 = t->stage_t0;
		st->prev_loss = t->prev_loss;
		memcpy(st->stage_steps, res->stage_steps, sizeof st->stage_steps);
		memcpy(st->stop_reasons, res->stop_reasons, sizeof st->stop_reasons);
		memcpy(st->last, res->last, sizeof st->last);
	}
	pp_ckpt_put(w, TAG_CONF, 0, t->config_text, t->config_len);
	pp_ckpt_put(w, TAG_PATH, 0, exp->path, strlen(exp->path) + 1);
	pp_ckpt_put(w, TAG_PARM, 0, pp_network_params(t->net), t->n_params * sizeof(pp_real));
	pp_ckpt_put(w, TAG_RNG, 0, &t->rng, sizeof t->rng);
	if (exp->adaptive.method != PP_ADAPTIVE_NONE) {
		ckpt_adaptive a = {t->adaptive_rng, t->adaptive_events};
		pp_ckpt_put(w, TAG_ADPT, 0, &a, sizeof a);
	}
	if (exp->validation.points > 0) {
		ckpt_validation v = {t->val_best, t->val_best_step};
		size_t extra = t->val_best_params ? t->n_params * sizeof(pp_real) : 0;
		unsigned char *p = pp_ckpt_reserve(w, TAG_VALD, 0, sizeof v + extra);
		if (p) {
			memcpy(p, &v, sizeof v);
			if (extra)
				memcpy(p + sizeof v, t->val_best_params, extra);
		}
	}
	if (s < exp->n_stages) {
		hooks h = optimizer_hooks(&exp->stages[s], t->opt_state);
		rc = save_plugin(w, TAG_OPTM, (uint32_t)s, &h, err);
	}
	if (!rc) {
		hooks h = pde_hooks(exp);
		rc = save_plugin(w, TAG_PDE, 0, &h, err);
	}
	return rc;
}

/* What is this rank's own: its points, w and λ of every term (and
 * normals), the weighting's and the analyzers' state. */
static int put_own(trainer *t, pp_ckpt_writer *w, pp_error *err)
{
	pp_experiment *exp = t->exp;
	int rc = PP_OK;

	for (int k = 0; k < t->n_terms; k++) {
		const term_run *tr = &t->terms[k];
		size_t nx = tr->n * (size_t)t->d, bytes = (nx + 2 * tr->n) * sizeof(pp_real);
		unsigned char *p = pp_ckpt_reserve(w, TAG_TERM, mine(t, (uint32_t)k),
						   sizeof(ckpt_term) + bytes);
		ckpt_term h = {(int64_t)tr->n, t->d, tr->st->term_weight};
		if (!p)
			continue;
		memcpy(p, &h, sizeof h);
		p += sizeof h;
		memcpy(p, tr->x, nx * sizeof(pp_real));
		memcpy(p + nx * sizeof(pp_real), tr->w, tr->n * sizeof(pp_real));
		memcpy(p + (nx + tr->n) * sizeof(pp_real), tr->lambda, tr->n * sizeof(pp_real));
		if (saves_normals(t, tr)) {
			unsigned char *q = pp_ckpt_reserve(w, TAG_NORM, mine(t, (uint32_t)k),
							   nx * sizeof(pp_real) + tr->n * sizeof(int32_t));
			if (!q)
				continue;
			memcpy(q, tr->normal, nx * sizeof(pp_real));
			for (size_t i = 0; i < tr->n; i++) {
				int32_t part = tr->part[i];
				memcpy(q + nx * sizeof(pp_real) + i * sizeof part, &part, sizeof part);
			}
		}
	}
	{
		hooks h = weighting_hooks(exp);
		rc = save_plugin(w, TAG_WGHT, mine(t, 0), &h, err);
	}
	for (int a = 0; a < exp->n_analyzers && !rc; a++) {
		hooks h = analyzer_hooks(exp, a);
		rc = save_plugin(w, TAG_ANLZ, mine(t, (uint32_t)a), &h, err);
	}
	return rc;
}

/* Rank 0 appends every other rank's own sections to its checkpoint. */
static int gather_ranks(trainer *t, pp_ckpt_writer *w, int rc, pp_error *err)
{
	size_t len = 0, lens[1024], off = 0;
	const void *own = pp_ckpt_sections(w, &len);
	unsigned char *all = NULL;

	if (t->ranks > 1024)
		rc = rc ? rc : pp_error_set(err, PP_ERR_INVALID,
					    "checkpoints of more than 1024 ranks are not supported");
	rc = pp_comm_agree(rc, err);
	if (!rc)
		rc = pp_comm_gather_bytes(t->rank ? own : NULL, t->rank ? len : 0, &all, lens, err);
	for (int r = 0; !rc && t->rank == 0 && r < t->ranks; r++) {
		if (r > 0)
			pp_ckpt_put_sections(w, all + off, lens[r]);
		off += lens[r];
	}
	free(all);
	return rc;
}

/* Section @tag/@index of exactly @len bytes, else an error naming it. */
static const void *section(const pp_ckpt *c, uint32_t tag, uint32_t index, size_t len,
			   const char *what, pp_error *err)
{
	size_t got;
	const void *p = pp_ckpt_find(c, tag, index, &got);

	if (!p || got != len) {
		pp_error_set(err, PP_ERR_INVALID,
			     "%s: %s does not match this experiment (it was written for another configuration)",
			     c->path, what);
		return NULL;
	}
	return p;
}

long pp_train_resume_offset(const pp_ckpt *ckpt, pp_error *err)
{
	const ckpt_state *st = section(ckpt, TAG_STAT, 0, sizeof *st, "the run state", err);

	return st ? (long)st->metrics_offset : -2;
}

/* Points restored from a checkpoint lie in the PDE's box and every number
 * of the term is finite: a checkpoint of this experiment always passes, and
 * anything else must not reach the plugins as training data. */
static int check_restored_term(const trainer *t, const term_run *tr, const pp_ckpt *c,
			       pp_error *err)
{
	const pp_pde_info *pde = &t->exp->pde;

	if (!isfinite(tr->st->term_weight) || tr->st->term_weight < 0)
		goto bad;
	for (size_t i = 0; i < tr->n; i++) {
		for (int j = 0; j < t->d; j++) {
			/* a few roundings of pp_real off the box are fine */
			double x = (double)tr->x[i * (size_t)t->d + (size_t)j],
			       slack = 8 * PP_REAL_EPSILON * (fabs(pde->lo[j]) + fabs(pde->hi[j]));
			if (!(x >= pde->lo[j] - slack && x <= pde->hi[j] + slack))
				goto bad;
		}
		if (!isfinite(tr->w[i]) || !isfinite(tr->lambda[i]))
			goto bad;
	}
	return PP_OK;
bad:
	return pp_error_set(err, PP_ERR_INVALID,
			    "%s: the points or weights of term '%s' are outside the domain or not finite",
			    c->path, tr->info->name);
}

/* The record of the run in @c fits the experiment rebuilt from its
 * configuration — the same parameter count and network — and the run
 * state's metrics length; the resumed run then carries it on.  (Whether @c
 * belongs to the run directory at all, pp_ckpt_latest has checked against
 * its config.yaml and metrics.csv.) */
static int restore_origin(trainer *t, const pp_ckpt *c, const ckpt_state *st, pp_error *err)
{
	pp_ckpt_origin o;
	int rc = pp_ckpt_origin_of(c, &o, err);

	if (rc)
		return rc;
	if (o.n_params != (int64_t)t->n_params || strcmp(o.network, pp_network_describe(t->net)) != 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: written by a run with network %s (%lld parameters); this experiment's is %s",
				    c->path, o.network, (long long)o.n_params, pp_network_describe(t->net));
	if (o.metrics_bytes >= 0 && o.metrics_bytes != st->metrics_offset)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: its run record and run state disagree on the metrics (%lld and %lld bytes)",
				    c->path, (long long)o.metrics_bytes, (long long)st->metrics_offset);
	t->origin = o;
	return PP_OK;
}

/* Put the trainer, the weighting and the analyzers where @c left them;
 * t->pos says where to go on, *elapsed how long the run had trained.  The
 * optimizer's state is loaded by trainer_load_optimizer once the stage has
 * created the optimizer. */
int trainer_restore(trainer *t, const pp_ckpt *c, double *elapsed, pp_error *err)
{
	pp_experiment *exp = t->exp;
	pp_train_result *res = t->res;
	const ckpt_state *st = section(c, TAG_STAT, 0, sizeof *st, "the run state", err);
	const void *p;
	int rc;

	if (!st)
		return err->code;
	rc = restore_origin(t, c, st, err);
	if (rc)
		return rc;
	{
		size_t len;
		const int32_t *ranks = pp_ckpt_find(c, TAG_RANK, 0, &len);
		int32_t n = ranks && len == sizeof *ranks ? *ranks : 1;
		if (n != t->ranks)
			return pp_error_set(err, PP_ERR_STATE,
					    "%s was written by a run on %d rank%s; resume it on as many (mpirun -np %d phasepinn resume ...)",
					    c->path, (int)n, n == 1 ? "" : "s", (int)n);
	}
	if (st->n_params != (int64_t)t->n_params || st->n_terms != t->n_terms ||
	    st->n_columns != res->n_columns || st->stage < 0 || st->stage > exp->n_stages ||
	    st->step < 0 || st->stage_step < 0 ||
	    (st->stage < exp->n_stages && st->stage_step >= exp->stages[st->stage].iterations))
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: its network, terms, metrics or stages differ from this experiment's",
				    c->path);
	p = section(c, TAG_PARM, 0, t->n_params * sizeof(pp_real), "the parameter vector", err);
	if (!p)
		return err->code;
	memcpy(pp_network_params(t->net), p, t->n_params * sizeof(pp_real));
	for (size_t j = 0; j < t->n_params; j++)
		if (!isfinite(pp_network_params(t->net)[j]))
			return pp_error_set(err, PP_ERR_INVALID,
					    "%s: parameter %zu is not finite", c->path, j);
	p = section(c, TAG_RNG, 0, sizeof t->rng, "the sampler's random state", err);
	if (!p)
		return err->code;
	memcpy(&t->rng, p, sizeof t->rng);
	if (exp->adaptive.method != PP_ADAPTIVE_NONE) {
		ckpt_adaptive a;
		p = section(c, TAG_ADPT, 0, sizeof a, "adaptive sampling's state", err);
		if (!p)
			return err->code;
		memcpy(&a, p, sizeof a);
		if (a.events != (st->step > 0 ? (st->step - 1) / exp->adaptive.every : 0))
			return pp_error_set(err, PP_ERR_INVALID,
					    "%s: %lld resamplings before step %lld do not match every: %ld",
					    c->path, (long long)a.events, (long long)st->step,
					    exp->adaptive.every);
		t->adaptive_rng = a.rng;
		t->adaptive_events = (long)a.events;
	}
	if (exp->validation.points > 0) {
		ckpt_validation v;
		size_t extra = t->val_best_params ? t->n_params * sizeof(pp_real) : 0;
		p = section(c, TAG_VALD, 0, sizeof v + extra, "the validation's best so far", err);
		if (!p)
			return err->code;
		memcpy(&v, p, sizeof v);
		t->val_best = v.best;
		t->val_best_step = (long)v.best_step;
		if (extra)
			memcpy(t->val_best_params, (const unsigned char *)p + sizeof v, extra);
	}
	for (int k = 0; k < t->n_terms; k++) {
		term_run *tr = &t->terms[k];
		size_t nx, offset, n = trainer_adaptive_share(t, k, (long)st->step, &offset);
		const unsigned char *q;
		ckpt_term h;

		if (n != tr->n) {   /* RAR-D had added points by then */
			tr->n_total = trainer_adaptive_points(t, k, (long)st->step);
			tr->offset = offset;
			rc = trainer_resize_term(t, k, n, err);
			if (rc)
				return rc;
		}
		nx = tr->n * (size_t)t->d;
		q = section(c, TAG_TERM, mine(t, (uint32_t)k),
			    sizeof(ckpt_term) + (nx + 2 * tr->n) * sizeof(pp_real),
			    "a term's points", err);
		if (!q)
			return err->code;
		memcpy(&h, q, sizeof h);
		q += sizeof h;
		memcpy(tr->x, q, nx * sizeof(pp_real));
		memcpy(tr->w, q + nx * sizeof(pp_real), tr->n * sizeof(pp_real));
		memcpy(tr->lambda, q + (nx + tr->n) * sizeof(pp_real), tr->n * sizeof(pp_real));
		tr->st->term_weight = h.term_weight;
		rc = check_restored_term(t, tr, c, err);
		if (rc)
			return rc;
		if (saves_normals(t, tr)) {
			int n_parts = exp->geometry ? pp_geometry_part_count(exp->geometry) : 0;
			q = section(c, TAG_NORM, mine(t, (uint32_t)k), nx * sizeof(pp_real) + tr->n * sizeof(int32_t),
				    "a boundary term's normals", err);
			if (!q)
				return err->code;
			memcpy(tr->normal, q, nx * sizeof(pp_real));
			for (size_t i = 0; i < tr->n; i++) {
				int32_t part;
				memcpy(&part, q + nx * sizeof(pp_real) + i * sizeof part, sizeof part);
				/* on the box every part is -1 */
				if ((exp->geometry ? part < 0 || part >= n_parts : part != -1) ||
				    !isfinite((double)tr->normal[i * (size_t)t->d]))
					return pp_error_set(err, PP_ERR_CONFIG,
							    "%s: term '%s' point %zu has part %d of a domain with %d, or a non-finite normal",
							    c->path, tr->info->name, i, (int)part, n_parts);
				tr->part[i] = part;
			}
		}
		trainer_pair_points(t, tr);
	}
	{
		hooks h = pde_hooks(exp);
		rc = load_plugin(c, TAG_PDE, 0, &h, err);
		if (rc)
			return rc;
		h = weighting_hooks(exp);
		rc = load_plugin(c, TAG_WGHT, mine(t, 0), &h, err);
		if (rc)
			return rc;
	}
	for (int a = 0; a < exp->n_analyzers; a++) {
		hooks h = analyzer_hooks(exp, a);
		rc = load_plugin(c, TAG_ANLZ, mine(t, (uint32_t)a), &h, err);
		if (rc)
			return rc;
	}
	res->steps = (long)st->steps_done;
	memcpy(res->stage_steps, st->stage_steps, sizeof res->stage_steps);
	memcpy(res->stop_reasons, st->stop_reasons, sizeof res->stop_reasons);
	memcpy(res->last, st->last, sizeof res->last);
	for (int i = 0; i < PP_MAX_STAGES; i++)
		res->stop_reasons[i][sizeof res->stop_reasons[i] - 1] = '\0';
	t->pos.stage = st->stage;
	t->pos.stage_step = (long)st->stage_step;
	t->pos.step = (long)st->step;
	t->stage_t0 = st->stage_t0;
	t->prev_loss = st->prev_loss;
	*elapsed = st->elapsed;
	return PP_OK;
}

/* The state of the current stage's optimizer, just created, from @c. */
int trainer_load_optimizer(trainer *t, const pp_ckpt *c, pp_error *err)
{
	int s = t->pos.stage;
	hooks h = optimizer_hooks(&t->exp->stages[s], t->opt_state);

	return load_plugin(c, TAG_OPTM, (uint32_t)s, &h, err);
}
