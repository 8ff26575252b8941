/* phasepinn — running a comparison's runs (see cli/compare.h).
 *
 * With --jobs 1 (the default) each run is made in this process, one after
 * another, its progress on the terminal as for `run`.  With --jobs N the
 * runs are child processes, at most N at a time: each is this program
 * started again (/proc/self/exe) as
 *
 *     phasepinn [--plugin-dir D]... compare --run-one V S RUN_DIR <compare's arguments>
 *
 * which builds variant V's experiment exactly as the parent did (same
 * files, same overrides), sets seed S ("-": its own) and runs it into
 * RUN_DIR; stdout and stderr go to DIR/logs/<variant>[-seed-<s>].log.  A
 * fresh process per run, rather than a fork of this one, shares nothing
 * with the parent (BLAS threads, the open comparison directory's manifest)
 * and gives the run the same state as `phasepinn run` would.  The parent
 * records each run directory and log in the comparison's manifest before
 * the child starts; the child keeps its own run directory's manifest.
 *
 * A failed run does not stop the others (unless a single-seed comparison
 * runs in this process, which stops at the first failure as it always
 * has): they all finish, then each failure is reported with the last lines
 * of its log.  SIGINT or SIGTERM stops starting runs, passes SIGTERM to
 * the running ones (which end with an "interrupted" summary) and waits for
 * them.
 *
 * Under mpirun (`mpirun -np R phasepinn compare ...`, docs/scaling.md)
 * the runs are spread over the ranks instead: run i on rank i mod R, in
 * that rank's process, each training alone on its own threads
 * (pp_comm_solo); every run goes on whatever the others do, and rank 0
 * then learns every run's exit code and time and reports them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <phasepinn/output.h>

#include "cli/commands.h"
#include "cli/compare.h"
#include "core/comm.h"
#include "core/rundir.h"
#include "core/summary.h"

#define TAIL_LINES 12

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The last TAIL_LINES lines of @path on stderr, indented. */
static void log_tail(const char *path)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	long size;
	size_t got;
	char *start;
	int lines = 0;

	if (!f) {
		fprintf(stderr, "      (cannot read %s)\n", path);
		return;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > (long)sizeof buf - 1)
		fseek(f, size - (long)sizeof buf + 1, SEEK_SET);
	else
		fseek(f, 0, SEEK_SET);
	got = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[got] = '\0';
	/* progress lines on a terminal end in '\r'; in a log they end in '\n' */
	for (char *p = buf; *p; p++)
		if (*p == '\r')
			*p = '\n';
	while (got > 0 && buf[got - 1] == '\n')
		buf[--got] = '\0';
	start = buf + got;
	while (start > buf && lines < TAIL_LINES)
		if (*--start == '\n')
			lines++;
	if (*start == '\n')
		start++;
	if (!*start) {
		fprintf(stderr, "    %s is empty\n", path);
		return;
	}
	fprintf(stderr, "    the end of %s:\n", path);
	for (char *line = start; *line;) {
		size_t len = strcspn(line, "\n");
		fprintf(stderr, "      | %.*s\n", (int)len, line);
		line += len + (line[len] == '\n');
	}
}

/* Did the run in @dir stop because it was interrupted (its summary says)? */
static int was_interrupted(const char *dir)
{
	pp_summary s;
	int yes = pp_summary_read(dir, &s, NULL) == PP_OK && s.status &&
		  strcmp(s.status, "interrupted") == 0;

	pp_summary_free(&s);
	return yes;
}

/* DIR/logs/<name>.log, '/' in the name made '-'. */
static int log_path(const pp_compare_plan *plan, pp_compare_job *job, pp_error *err)
{
	char name[sizeof job->name];
	int n;

	snprintf(name, sizeof name, "%s", job->name);
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = '-';
	n = snprintf(job->log, sizeof job->log, "%s/" PP_COMPARE_LOGS "/%s.log", plan->dir, name);
	if (n >= (int)sizeof job->log)
		return pp_error_set(err, PP_ERR_INVALID, "path too long: %s/" PP_COMPARE_LOGS "/%s.log",
				    plan->dir, name);
	return PP_OK;
}

/* The child's argument vector (freed by the caller). */
static char **child_argv(const pp_compare_plan *plan, const pp_compare_job *job, char *self,
			 char *variant, char *seed)
{
	const char *dirs[64];
	int n_dirs = pp_cli_plugin_dirs(dirs, 64), k = 0;
	char **argv = calloc((size_t)(2 * n_dirs + plan->n_child_args + 8), sizeof *argv);

	if (!argv)
		return NULL;
	argv[k++] = self;
	for (int i = 0; i < n_dirs; i++) {
		argv[k++] = "--plugin-dir";
		argv[k++] = (char *)dirs[i];
	}
	argv[k++] = "compare";
	argv[k++] = "--run-one";
	argv[k++] = variant;
	argv[k++] = seed;
	argv[k++] = (char *)job->dir;
	for (int i = 0; i < plan->n_child_args; i++)
		argv[k++] = plan->child_args[i];
	argv[k] = NULL;
	return argv;
}

/* Start @job as a child process writing to its log; *pid its id. */
static int start_child(const pp_compare_plan *plan, pp_compare_job *job, pid_t *pid,
		       pp_error *err)
{
	char self[4096], variant[32], seed[32];
	char **argv = NULL;
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	FILE *log = NULL;
	int rc = PP_OK;

	if (len <= 0 || (size_t)len >= sizeof self - 1)
		return pp_error_set(err, PP_ERR_IO, "cannot find this program (/proc/self/exe): %s",
				    strerror(errno));
	self[len] = '\0';
	snprintf(variant, sizeof variant, "%d", job->variant);
	if (job->has_seed)
		snprintf(seed, sizeof seed, "%lu", job->seed);
	else
		snprintf(seed, sizeof seed, "-");
	/* both recorded in the comparison's manifest before they exist */
	rc = log_path(plan, job, err);
	if (!rc) {
		*strrchr(job->log, '/') = '\0';
		rc = pp_mkdir_p(job->log, err);
		job->log[strlen(job->log)] = '/';
	}
	if (!rc)
		rc = pp_mkdir_p(job->dir, err);
	if (!rc && !(log = pp_rundir_fopen(job->log, "w", err)))
		rc = err->code;
	if (!rc && !(argv = child_argv(plan, job, self, variant, seed)))
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	if (rc)
		goto cleanup;
	fflush(stdout);
	fflush(stderr);
	*pid = fork();
	if (*pid < 0) {
		rc = pp_error_set(err, PP_ERR_IO, "cannot start a process for %s: %s", job->name,
				  strerror(errno));
		goto cleanup;
	}
	if (*pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		if (in >= 0)
			dup2(in, STDIN_FILENO);
		if (dup2(fileno(log), STDOUT_FILENO) < 0 || dup2(fileno(log), STDERR_FILENO) < 0)
			_exit(126);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv(self, argv);
		fprintf(stderr, "phasepinn compare: cannot run %s: %s\n", self, strerror(errno));
		_exit(127);
	}
cleanup:
	if (log)
		fclose(log);
	free(argv);
	return rc;
}

static void report_done(const pp_compare_plan *plan, const pp_compare_job *job, int done)
{
	if (plan->quiet)
		return;
	if (job->code == 0)
		fprintf(stderr, "phasepinn compare: [%d/%d] %s: done in %.1f s\n", done, plan->n,
			job->name, job->seconds);
	else
		fprintf(stderr, "phasepinn compare: [%d/%d] %s: failed (exit %d) after %.1f s; log: %s\n",
			done, plan->n, job->name, job->code, job->seconds, job->log);
}

/* One after another in this process. */
static void run_in_process(pp_compare_plan *plan)
{
	for (int i = 0; i < plan->n; i++) {
		pp_compare_job *job = &plan->jobs[i];
		double t0 = now();
		job->code = plan->run_here(plan->ctx, job);
		job->seconds = now() - t0;
		if (job->code && (!plan->keep_going || was_interrupted(job->dir)))
			break;
	}
}

static void stop_children(const pp_compare_plan *plan, const pid_t *pids)
{
	for (int i = 0; i < plan->n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
}

/* Run i on rank i mod R, then every run's code and time on every rank. */
static void run_distributed(pp_compare_plan *plan)
{
	int rank = pp_comm_world_rank(), size = pp_comm_world_size(), n = plan->n;
	double *codes = malloc(2 * (size_t)(n ? n : 1) * sizeof *codes), *secs;

	if (!codes) {
		fprintf(stderr, "phasepinn compare: rank %d: out of memory\n", rank);
		pp_comm_abort(PP_EXIT_FAILED);
	}
	secs = codes + n;
	pp_comm_solo(1);
	for (int i = 0; i < n; i++) {
		pp_compare_job *job = &plan->jobs[i];
		double t0 = now();
		codes[i] = -1;
		secs[i] = 0;
		if (i % size != rank)
			continue;
		job->code = plan->run_here(plan->ctx, job);
		job->seconds = now() - t0;
		codes[i] = job->code;
		secs[i] = job->seconds;
	}
	pp_comm_solo(0);
	if (pp_comm_world_reduce(codes, (size_t)n, PP_COMM_MAX) ||
	    pp_comm_world_reduce(secs, (size_t)n, PP_COMM_SUM)) {
		fprintf(stderr, "phasepinn compare: rank %d: cannot collect the runs' results\n", rank);
		pp_comm_abort(PP_EXIT_FAILED);
	}
	for (int i = 0; i < n; i++) {
		plan->jobs[i].code = (int)codes[i];
		plan->jobs[i].seconds = secs[i];
		if (rank == 0)
			report_done(plan, &plan->jobs[i], i + 1);
	}
	free(codes);
}

/* At most plan->at_once children at a time. */
static void run_children(pp_compare_plan *plan, pid_t *pids, double *started)
{
	struct sigaction sa, old_int, old_term;
	int next = 0, running = 0, done = 0, stopping = 0, forwarded = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;       /* no SA_RESTART: waitpid returns EINTR */
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (!plan->quiet)
		fprintf(stderr, "phasepinn compare: %d runs, %d at a time; each run's output in %s/" PP_COMPARE_LOGS "/\n",
			plan->n, plan->at_once, plan->dir);
	for (;;) {
		int status;
		pid_t pid;
		while (!stop_signal && !stopping && running < plan->at_once && next < plan->n) {
			pp_compare_job *job = &plan->jobs[next];
			pp_error err = {0};
			if (start_child(plan, job, &pids[next], &err)) {
				fprintf(stderr, "phasepinn compare: %s: %s\n", job->name, err.message);
				job->code = PP_EXIT_FAILED;
				stopping |= !plan->keep_going;
			} else {
				started[next] = now();
				running++;
			}
			next++;
		}
		if (running == 0)
			break;
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno != EINTR)
				break;
			if (stop_signal && !forwarded) {
				stop_children(plan, pids);
				forwarded = 1;
			}
			continue;
		}
		for (int i = 0; i < plan->n; i++) {
			pp_compare_job *job = &plan->jobs[i];
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			running--;
			job->seconds = now() - started[i];
			job->code = WIFEXITED(status) ? WEXITSTATUS(status) : PP_EXIT_FAILED;
			report_done(plan, job, ++done);
			stopping |= job->code && !plan->keep_going;
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (stop_signal)
		fprintf(stderr, "phasepinn compare: interrupted (signal %d): %d of %d runs not started\n",
			(int)stop_signal, plan->n - next, plan->n);
}

int pp_compare_run_jobs(pp_compare_plan *plan)
{
	pid_t *pids = calloc((size_t)plan->n, sizeof *pids);
	double *started = calloc((size_t)plan->n, sizeof *started);
	int failed = 0, not_run = 0, first = 1;

	for (int i = 0; i < plan->n; i++)
		plan->jobs[i].code = -1;
	if (!pids || !started) {
		fprintf(stderr, "phasepinn compare: out of memory\n");
		free(pids);
		free(started);
		return plan->n;
	}
	if (pp_comm_world_size() > 1)
		run_distributed(plan);
	else if (plan->at_once <= 1)
		run_in_process(plan);
	else
		run_children(plan, pids, started);
	free(pids);
	free(started);
	for (int i = 0; i < plan->n; i++) {
		const pp_compare_job *job = &plan->jobs[i];
		not_run += job->code < 0;
		failed += job->code > 0;
	}
	if (!failed && !not_run)
		return 0;
	if (pp_comm_world_rank() != 0)   /* rank 0 reports */
		return failed + not_run;
	if (failed)
		fprintf(stderr, "phasepinn compare: %d of %d runs failed; no comparison written\n",
			failed, plan->n);
	else
		fprintf(stderr, "phasepinn compare: %d of %d runs did not run; no comparison written\n",
			not_run, plan->n);
	for (int i = 0; i < plan->n; i++) {
		const pp_compare_job *job = &plan->jobs[i];
		if (job->code <= 0)
			continue;
		if (first && job->log[0])
			fputc('\n', stderr);
		first = 0;
		fprintf(stderr, "  %s (%s): exit %d\n", job->name, job->dir, job->code);
		if (job->log[0])
			log_tail(job->log);
	}
	if (not_run)
		fprintf(stderr, "  %d run(s) not started\n", not_run);
	return failed + not_run;
}
