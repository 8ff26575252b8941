/* phasepinn — `run` and `resume`: train an experiment into its run directory. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phasepinn/output.h>

#include "core/checkpoint.h"
#include "core/comm.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "core/experiment.h"
#include "core/rundir.h"
#include "core/summary.h"
#include "core/trainer.h"

/* summary.json: how the run ended (core/summary.c). */
static int write_summary(const pp_experiment *exp, const pp_train_result *res,
			 const char *status, const pp_error *run_err, pp_error *err)
{
	pp_summary s;
	int rc = pp_summary_of_run(exp, res, status, run_err, &s, err);

	if (!rc)
		rc = pp_summary_write(exp->run_dir, &s, err);
	pp_summary_free(&s);
	return rc;
}

/* The network's parameters, one per line in slab order (layer by layer,
 * W row-major then b; see pp_layer_view): after a failure these are the last
 * good ones, since the trainer never copies non-finite values in. */
static int write_parameters(const pp_experiment *exp, pp_error *err)
{
	const pp_real *p = pp_network_params_const(exp->net);
	size_t n = pp_network_param_count(exp->net);
	char path[4096];
	pp_atomic_file af;
	int rc;

	rc = pp_path_join(path, sizeof path, exp->run_dir, PP_RUN_PARAMETERS, err);
	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	fprintf(af.f, "# %s; layer by layer: W (fan_out x fan_in, row-major), then b\n",
		pp_network_describe(exp->net));
	for (size_t j = 0; j < n; j++)
		fprintf(af.f, "%.17g\n", (double)p[j]);
	return pp_atomic_commit(&af, err);
}

/* ---- run ------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int write_config_copy(const pp_experiment *exp, pp_error *err)
{
	char path[4096];
	pp_atomic_file af;
	int rc;

	rc = pp_path_join(path, sizeof path, exp->run_dir, PP_RUN_CONFIG, err);
	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	rc = pp_experiment_write_config(exp, af.f);
	if (rc) {
		pp_atomic_abort(&af);
		return pp_error_set(err, rc, "cannot write %s", path);
	}
	return pp_atomic_commit(&af, err);
}

/* A new run's directory: empty, new, or (with --force) an earlier run's,
 * whose own files go (core/rundir.h), held locked until *rd is closed.
 * checkpoints/ and figures/ must be real directories, and checkpoints/
 * empty once the earlier run's files are gone, since resume reads it. */
static int open_new_run_dir(const char *dir, int force, pp_rundir **rd, pp_error *err)
{
	int rc = pp_rundir_open(dir, PP_RUNDIR_NEW | PP_RUNDIR_LOCK | (force ? PP_RUNDIR_FORCE : 0),
				stderr, rd, err);

	if (!rc)
		rc = pp_rundir_check_subdir(*rd, PP_RUN_CHECKPOINTS, 1, err);
	if (!rc)
		rc = pp_rundir_check_subdir(*rd, PP_RUN_FIGURES, 0, err);
	if (rc) {
		pp_rundir_close(*rd);
		*rd = NULL;
	}
	return rc;
}

/* metrics.csv of a resumed run: cut back to what it held at the checkpoint
 * (rows written after it are for steps the run now redoes), then append. */
static FILE *reopen_metrics(const char *path, const pp_ckpt *ckpt, pp_error *err)
{
	long offset = pp_train_resume_offset(ckpt, err);
	struct stat st;
	FILE *f;

	if (offset < -1)
		return NULL;
	if (offset < 0) {
		pp_error_set(err, PP_ERR_INVALID, "%s: the run kept no metrics file", ckpt->path);
		return NULL;
	}
	f = pp_rundir_fopen(path, "r+", err);
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) != 0) {
		pp_error_set(err, PP_ERR_IO, "cannot reopen %s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	if (st.st_size < offset) {
		pp_error_set(err, PP_ERR_INVALID,
			     "%s holds %lld bytes, fewer than the %ld it had at %s; the run directory was changed by hand",
			     path, (long long)st.st_size, offset, ckpt->path);
		fclose(f);
		return NULL;
	}
	if (fflush(f) != 0 || ftruncate(fileno(f), (off_t)offset) != 0 ||
	    fseek(f, 0, SEEK_END) != 0) {
		pp_error_set(err, PP_ERR_IO, "cannot cut %s back to the checkpoint: %s", path,
			     strerror(errno));
		fclose(f);
		return NULL;
	}
	return f;
}

/* Train @exp into its run directory, from the start or (@resume) from a
 * checkpoint of that directory.  Returns the status; *exit_code is the
 * command's: once training has started, any failure (a plugin's error
 * included) is the run's, 1, not a configuration error. */
static int run_experiment(pp_experiment *exp, int force, int quiet, const pp_ckpt *resume,
			  int *exit_code, pp_error *err)
{
	pp_train_options opts = {0};
	pp_cli_progress progress;
	pp_train_result *res = calloc(1, sizeof *res);
	pp_error run_err = {0};
	char path[4096], lost[512];
	FILE *metrics = NULL;
	const char *status;
	pp_rundir *rd = NULL;
	int lead = pp_comm_rank() == 0;   /* under mpirun rank 0 alone writes */
	int rc;

	*exit_code = PP_EXIT_FAILED;
	if (!res)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	quiet = quiet || !lead;
	/* (resume has opened and locked the directory already) */
	rc = resume || !lead ? PP_OK : open_new_run_dir(exp->run_dir, force, &rd, err);
	if (!rc && !resume && lead)
		rc = write_config_copy(exp, err);
	if (!rc)
		rc = pp_path_join(path, sizeof path, exp->run_dir, PP_RUN_METRICS, err);
	if (!rc && lead) {
		metrics = resume ? reopen_metrics(path, resume, err)
			  : pp_rundir_fopen(path, "w", err);
		rc = metrics ? PP_OK : err->code;
	}
	rc = pp_comm_agree(rc, err);   /* the other ranks wait for rank 0's directory */
	if (rc)
		goto cleanup;
	opts.metrics = metrics;
	pp_cli_progress_init(&progress, quiet ? NULL : stderr);
	opts.progress = pp_cli_progress_report;
	opts.progress_ctx = &progress;
	opts.interrupted = &interrupted;
	opts.checkpoints = 1;
	opts.resume = resume;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!quiet && resume)
		fprintf(stderr, "phasepinn: %s: resuming at step %ld of %ld from %s\n", exp->name,
			resume->step, exp->total_iterations, resume->path);
	else if (!quiet)
		fprintf(stderr, "phasepinn: %s: %s, %s, %ld iterations -> %s\n", exp->name,
			exp->pde_plugin->name, pp_network_describe(exp->net),
			exp->total_iterations, exp->run_dir);
	if (!quiet && (exp->checkpoint_every > 0 || exp->checkpoint_at_end) &&
	    pp_train_unresumable(exp, lost, sizeof lost) > 0)
		fprintf(stderr, "phasepinn: note: %s cannot be checkpointed (no save/load hooks); this run cannot be resumed\n",
			lost);
	rc = pp_train(exp, &opts, res, &run_err);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	status = rc == PP_OK ? "completed" : rc == PP_ERR_INTERRUPTED ? "interrupted" : "failed";
	if (!lead) {   /* the run's outcome is rank 0's to write */
		if (rc)
			*err = run_err;
		goto cleanup;
	}
	if (fclose(metrics) != 0 && !rc)
		rc = pp_error_set(&run_err, PP_ERR_IO, "cannot write %s", path);
	metrics = NULL;
	{
		int wrc = write_parameters(exp, err);
		if (!wrc)
			wrc = write_summary(exp, res, status, &run_err, err);
		if (rc) {
			*err = run_err;
		} else if (wrc) {
			rc = wrc;
		}
	}
	if (!rc && !quiet)
		fprintf(stderr, "phasepinn: done in %.1f s, final loss %.4e; results in %s\n",
			res->seconds, res->final_loss, exp->run_dir);
	if (!rc)
		pp_cli_plot_after_run(exp->run_dir, exp->plot, quiet);
cleanup:
	if (metrics)
		fclose(metrics);
	pp_rundir_close(rd);
	*exit_code = rc == PP_OK ? PP_EXIT_OK
		     : res && res->started ? PP_EXIT_FAILED
		     : rc == PP_ERR_INVALID || rc == PP_ERR_STATE ? PP_EXIT_USAGE
		     : pp_cli_exit_code(rc);
	free(res);
	return rc;
}

int pp_cli_run_doc(pp_config_doc *doc, const char *output, int force, int quiet)
{
	pp_registry *reg = pp_cli_registry();
	pp_experiment *exp = NULL;
	pp_error err = {0};
	int rc, code;

	if (!reg) {
		pp_config_doc_destroy(doc);
		return PP_EXIT_USAGE;
	}
	rc = pp_experiment_create_doc(doc, reg, output, PP_EXPERIMENT_RUN, &exp, &err);
	rc = pp_comm_agree(rc, &err);   /* every rank builds it; all go on or none */
	if (rc) {
		/* Whatever stops an experiment from being built is the user's to fix. */
		if (exp)
			pp_experiment_destroy(exp);
		if (pp_comm_rank() == 0)
			fprintf(stderr, "phasepinn: %s\n", err.message);
		pp_registry_destroy(reg);
		return PP_EXIT_USAGE;
	}
	rc = run_experiment(exp, force, quiet, NULL, &code, &err);
	if (rc && pp_comm_rank() == 0)
		fprintf(stderr, "phasepinn: %s\n", err.message);
	pp_experiment_destroy(exp);
	pp_registry_destroy(reg);
	return code;
}

int pp_cli_run_file(const char *file, const char *output, int force, int quiet)
{
	pp_config_doc *doc = NULL;
	pp_error err = {0};

	if (pp_config_doc_load(file, &doc, &err)) {
		if (pp_comm_rank() == 0)   /* every rank reads it; one says so */
			fprintf(stderr, "phasepinn: %s\n", err.message);
		return PP_EXIT_USAGE;
	}
	return pp_cli_run_doc(doc, output, force, quiet);
}

/* --init-from RUN_DIR: network: {init: {from: RUN_DIR}} in @doc, the
 * directory made absolute (it is relative to where the command runs). */
static int set_init_from(pp_config_doc *doc, const char *dir, pp_error *err)
{
	const pp_config *net = pp_config_section(pp_config_doc_root(doc), "network");
	const pp_config *init = net ? pp_config_get(net, "init") : NULL;
	char *abs;
	int rc;

	if (init && pp_config_node_type(init) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, init,
				       "network: init: '%s' and --init-from %s: give one (a warm start replaces the initialisation)",
				       pp_config_text(init) ? pp_config_text(init) : "?", dir);
	init = pp_config_section(net, "init");
	abs = realpath(dir, NULL);
	if (!init || !abs) {
		free(abs);
		return pp_error_set(err, PP_ERR_CONFIG, "--init-from %s: %s", dir,
				    init ? strerror(errno) : "out of memory");
	}
	rc = pp_config_set_path(init, "from", abs, err);
	free(abs);
	return rc;
}

int pp_cli_run(int argc, char **argv)
{
	const char *file, *output = NULL, *init_from = NULL;
	pp_config_doc *doc = NULL;
	pp_error err = {0};
	int force = 0, quiet = 0, rc, n = 0;

	/* --init-from is run's alone; the other options are shared with compare */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--init-from") == 0 && i + 1 < argc)
			init_from = argv[++i];
		else
			argv[n++] = argv[i];
	}
	rc = pp_cli_parse_run_args(n, argv, &file, &output, &force, &quiet);
	if (rc)
		return rc;
	if (!init_from)
		return pp_cli_run_file(file, output, force, quiet);
	rc = pp_config_doc_load(file, &doc, &err);
	if (!rc)
		rc = set_init_from(doc, init_from, &err);
	if (rc) {
		fprintf(stderr, "phasepinn: %s\n", err.message);
		pp_config_doc_destroy(doc);
		return PP_EXIT_USAGE;
	}
	return pp_cli_run_doc(doc, output, force, quiet);
}

/* Does RUN_DIR/summary.json record a completed run?  A summary that is
 * missing or cannot be read is no completed run: resume goes on to the
 * checkpoints. */
static int run_completed(const char *dir)
{
	pp_summary s;
	int done = pp_summary_read(dir, &s, NULL) == PP_OK && s.status &&
		   strcmp(s.status, "completed") == 0;

	pp_summary_free(&s);
	return done;
}

/* The ranks of the run that wrote @c (section RANK, docs/scaling.md). */
static int ranks_of(const pp_ckpt *c)
{
	size_t len;
	const int32_t *n = pp_ckpt_find(c, PP_CKPT_TAG("RANK"), 0, &len);

	return n && len == sizeof *n ? (int)*n : 1;
}

/* The checkpoint to resume from into *ckpt; -1 then, else the command's
 * exit code.  Rank 0 chooses it (the newest good one); under mpirun the
 * other ranks read the file it names before rank 0 changes anything. */
static int find_checkpoint(const char *dir, pp_ckpt **ckpt)
{
	int lead = pp_comm_rank() == 0, code = -1;
	char path[4096] = "";
	pp_error err = {0};

	if (lead && run_completed(dir)) {
		fprintf(stderr, "phasepinn: %s already completed (its summary.json says so); nothing to resume\n",
			dir);
		code = PP_EXIT_OK;
	} else if (lead && pp_ckpt_latest(dir, stderr, ckpt, &err) != PP_OK) {
		fprintf(stderr, "phasepinn: %s\n", err.message);
		code = PP_EXIT_USAGE;
	} else if (lead && ranks_of(*ckpt) != pp_comm_size()) {
		fprintf(stderr, "phasepinn: %s was written by a run on %d rank(s), this is %d; resume it on as many (mpirun -np %d phasepinn resume ...)\n",
			(*ckpt)->path, ranks_of(*ckpt), pp_comm_size(), ranks_of(*ckpt));
		pp_ckpt_free(*ckpt);
		*ckpt = NULL;
		code = PP_EXIT_USAGE;
	} else if (lead) {
		snprintf(path, sizeof path, "%s", (*ckpt)->path);
	}
	if (pp_comm_size() == 1)
		return code;
	pp_comm_bcast(&code, sizeof code, 0, NULL);
	pp_comm_bcast(path, sizeof path, 0, NULL);
	if (code >= 0)
		return code;
	if (pp_comm_agree(lead ? PP_OK : pp_ckpt_read(path, ckpt, &err), &err) != PP_OK) {
		if (lead)
			fprintf(stderr, "phasepinn: %s\n", err.message);
		pp_ckpt_free(*ckpt);
		*ckpt = NULL;
		code = PP_EXIT_USAGE;
	}
	return code;
}

/* phasepinn resume RUN_DIR: the newest good checkpoint, the configuration
 * it carries, the run directory as it stood then. */
int pp_cli_resume(int argc, char **argv)
{
	const char *dir = NULL;
	pp_config_doc *doc = NULL;
	pp_experiment *exp = NULL;
	pp_registry *reg = NULL;
	pp_ckpt *ckpt = NULL;
	pp_error err = {0};
	const char *text;
	pp_rundir *rd = NULL;
	char name[4200];
	size_t len;
	int quiet = 0, rc, code;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else {
			fprintf(stderr, "phasepinn resume: unexpected argument '%s' (see phasepinn --help)\n",
				argv[i]);
			return PP_EXIT_USAGE;
		}
	}
	if (!dir) {
		fprintf(stderr, "phasepinn resume: which run? usage: phasepinn resume RUN_DIR\n");
		return PP_EXIT_USAGE;
	}
	code = find_checkpoint(dir, &ckpt);
	if (code >= 0)
		return code;
	rc = PP_OK;
	text = pp_ckpt_find(ckpt, PP_CKPT_TAG("CONF"), 0, &len);
	snprintf(name, sizeof name, "%s (configuration)", ckpt->path);
	if (!text) {
		pp_error_set(&err, PP_ERR_INVALID, "%s carries no configuration", ckpt->path);
		rc = PP_ERR_INVALID;
	}
	if (!rc)
		rc = pp_config_doc_parse(text, len, name, &doc, &err);
	if (!rc) {
		reg = pp_cli_registry();
		rc = reg ? PP_OK : PP_ERR_PLUGIN;
		if (!reg)
			pp_config_doc_destroy(doc);
		else
			rc = pp_experiment_create_doc(doc, reg, dir, PP_EXPERIMENT_RUN, &exp, &err);
	}
	/* Outputs name the experiment file the run started from. */
	if (!rc) {
		const char *src = pp_ckpt_find(ckpt, PP_CKPT_TAG("PATH"), 0, &len);
		if (src && len > 0 && src[len - 1] == '\0')
			exp->path = src;
	}
	/* Nobody else may write here while this resumes; then the steps after
	 * this checkpoint are redone and newer (bad) files go (rank 0's to do
	 * under mpirun; the others have read the checkpoint already). */
	if (!rc && pp_comm_rank() == 0) {
		rc = pp_rundir_open(dir, PP_RUNDIR_LOCK, stderr, &rd, &err);
		if (!rc)
			rc = pp_rundir_check_subdir(rd, PP_RUN_CHECKPOINTS, 0, &err);
		if (!rc)
			rc = pp_rundir_check_subdir(rd, PP_RUN_FIGURES, 0, &err);
		if (!rc)
			rc = pp_ckpt_prune(dir, exp->checkpoint_keep, ckpt->step, &err);
	}
	rc = pp_comm_agree(rc, &err);
	/* A checkpoint that cannot be resumed (wrong experiment, a plugin
	 * without hooks) is the user's to sort out: 2; a failure while
	 * training on: 1. */
	code = PP_EXIT_USAGE;
	if (!rc)
		rc = run_experiment(exp, 0, quiet, ckpt, &code, &err);
	if (rc && err.message[0] && pp_comm_rank() == 0)
		fprintf(stderr, "phasepinn: %s\n", err.message);
	pp_rundir_close(rd);
	pp_experiment_destroy(exp);
	pp_registry_destroy(reg);
	pp_ckpt_free(ckpt);
	return rc ? code : PP_EXIT_OK;
}
