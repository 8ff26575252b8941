/* phasepinn — `predict` and `export`: use a run's trained model
 * (docs/model-file.md).
 *
 *   predict RUN_DIR (--points FILE.csv | --grid NxM) [--derivatives u_x,u_xx]
 *           --out FILE.csv
 * evaluates the model of RUN_DIR at new points: the PDE plugin and the
 * network are built from RUN_DIR/config.yaml, the parameters come from
 * RUN_DIR/model.npz or, for a run that has none yet (still running, or
 * killed with kill -9), from its newest valid checkpoint, which is said on
 * stderr.  Outputs and derivative channels come from the engine's batch
 * forward (exact derivatives, hard constraints applied), as in training.
 *
 *   export RUN_DIR
 * rewrites RUN_DIR/model.npz from the run's newest valid checkpoint.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <phasepinn/output.h>

#include "cli/commands.h"
#include "core/channels.h"
#include "core/checkpoint.h"
#include "core/csv.h"
#include "core/experiment.h"
#include "core/model_file.h"
#include "core/rundir.h"

/* More points than this in one call are refused: 2^26 points of up to
 * 4 inputs and 64 channels stay within a few GiB. */
#define PREDICT_MAX_POINTS (1L << 26)
#define PREDICT_CHUNK 4096

static const char predict_usage[] =
	"usage: phasepinn predict RUN_DIR (--points FILE.csv | --grid NxM) [--derivatives u_x,u_xx,...] --out FILE.csv\n"
	"\n"
	"Evaluate the trained model of RUN_DIR (its model.npz, else its newest\n"
	"checkpoint) at new points and write them as CSV: the inputs, every output,\n"
	"then each derivative asked for (exact, from the network, with any hard\n"
	"constraint applied).\n"
	"\n"
	"  --points FILE.csv      points to evaluate: a header row naming the PDE's\n"
	"                         inputs (other columns are ignored), one point a row\n"
	"  --grid NxM             a grid spanning the PDE's domain, N points in the\n"
	"                         first input and M in the second (ends included)\n"
	"  --derivatives LIST     comma-separated channels named as the PDE names\n"
	"                         them: u_x, u_xx, u_xt, v_y, ... (up to 4th order)\n"
	"  --out FILE.csv         where to write (atomically)\n";

static const char export_usage[] =
	"usage: phasepinn export RUN_DIR\n"
	"\n"
	"Write RUN_DIR/model.npz (docs/model-file.md) from the run's newest valid\n"
	"checkpoint: for a run that was killed before it could write its model.\n";

/* The experiment file a run started from, as its checkpoints record it
 * (the model file names it, as resume's summary does). */
static char source_path[4096];

/* The network's parameters from the newest valid checkpoint of @dir;
 * its step into *step. */
static int params_from_checkpoint(const char *dir, pp_experiment *exp, long *step,
				  pp_error *err)
{
	size_t n = pp_network_param_count(exp->net), len;
	pp_ckpt *ckpt = NULL;
	const void *parm;
	const char *src;
	int rc = pp_ckpt_latest(dir, stderr, &ckpt, err);

	if (rc)
		return rc;
	src = pp_ckpt_find(ckpt, PP_CKPT_TAG("PATH"), 0, &len);
	if (src && len > 0 && len <= sizeof source_path && src[len - 1] == '\0') {
		memcpy(source_path, src, len);
		exp->path = source_path;
	}
	parm = pp_ckpt_find(ckpt, PP_CKPT_TAG("PARM"), 0, &len);
	if (!parm || len != n * sizeof(pp_real))
		rc = pp_error_set(err, PP_ERR_INVALID,
				  "%s: its parameters (%zu bytes) do not fit the network of %s/%s (%zu parameters)",
				  ckpt->path, parm ? len : 0, dir, PP_RUN_CONFIG, n);
	else
		memcpy(pp_network_params(exp->net), parm, len);
	*step = ckpt->step;
	pp_ckpt_free(ckpt);
	return rc;
}

/* The PDE and the network of RUN_DIR/config.yaml (no points, stages or
 * analyzers: nothing is trained). */
static int model_experiment(const char *dir, pp_registry *reg, pp_experiment **exp,
			    pp_error *err)
{
	char path[4096];
	int rc = pp_path_join(path, sizeof path, dir, PP_RUN_CONFIG, err);

	if (!rc)
		rc = pp_experiment_create(path, reg, dir, PP_EXPERIMENT_MODEL, exp, err);
	return rc;
}

/* The parameters of @dir's model.npz into @exp, or when it has none the
 * newest checkpoint's (said on stderr). */
static int load_model(const char *dir, pp_experiment *exp, pp_error *err)
{
	char path[4096];
	pp_model *m = NULL;
	long step;
	int rc = pp_path_join(path, sizeof path, dir, PP_RUN_MODEL, err);

	if (rc)
		return rc;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		rc = params_from_checkpoint(dir, exp, &step, err);
		if (!rc)
			fprintf(stderr, "phasepinn predict: %s has no %s yet; using its checkpoint of step %ld\n",
				dir, PP_RUN_MODEL, step);
		return rc;
	}
	rc = pp_model_read(path, &m, err);
	if (!rc)
		rc = pp_model_load_into(m, exp, err);
	pp_model_free(m);
	return rc;
}

/* ---- the points ----------------------------------------------------------- */

/* A finite number filling the whole field (spaces around allowed). */
static int parse_value(const char *text, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(text, &end);
	if (end == text || errno == ERANGE || !isfinite(*v))
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	return *end ? -1 : 0;
}

static int grow_points(double **x, size_t *cap, size_t need, int d, pp_error *err)
{
	size_t cap2 = *cap ? *cap : 1024;
	double *p;

	if (need <= *cap)
		return PP_OK;
	while (cap2 < need)
		cap2 *= 2;
	p = realloc(*x, cap2 * (size_t)d * sizeof *p);
	if (!p)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu points", need);
	*x = p;
	*cap = cap2;
	return PP_OK;
}

/* The points of @file: a header naming every input of the PDE, then rows;
 * faults as "FILE:LINE: what". */
static int read_points(const char *file, const pp_pde_info *pde, double **xs, size_t *n,
		       pp_error *err)
{
	int col[PP_MAX_INPUTS], d = pde->n_inputs, rc;
	size_t cap = 0;
	double *x = NULL;
	pp_csv c;

	*xs = NULL;
	*n = 0;
	rc = pp_csv_open_path(&c, file, err);
	for (int i = 0; !rc && i < d; i++) {
		col[i] = pp_csv_column(&c, pde->input_names[i]);
		if (col[i] < 0) {
			char names[128] = "";
			for (int j = 0; j < d; j++) {
				size_t len = strlen(names);
				snprintf(names + len, sizeof names - len, "%s%s", j ? "," : "",
					 pde->input_names[j]);
			}
			rc = pp_error_set(err, PP_ERR_CONFIG,
					  "%s:1: no column '%s'; the header must name the PDE's inputs: %s",
					  file, pde->input_names[i], names);
		}
	}
	while (!rc && (rc = pp_csv_next(&c, err)) == 1) {
		rc = grow_points(&x, &cap, *n + 1, d, err);
		for (int i = 0; !rc && i < d; i++) {
			const char *f = col[i] < c.n ? c.fields[col[i]] : NULL;
			if (!f)
				rc = pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: %d fields, no value for '%s'",
						  file, c.line, c.n, pde->input_names[i]);
			else if (parse_value(f, &x[*n * (size_t)d + (size_t)i]))
				rc = pp_error_set(err, PP_ERR_CONFIG,
						  "%s:%ld: '%s' in column '%s' is not a finite number", file,
						  c.line, f, pde->input_names[i]);
		}
		if (!rc && ++*n > (size_t)PREDICT_MAX_POINTS)
			rc = pp_error_set(err, PP_ERR_CONFIG, "%s: more than %ld points", file,
					  PREDICT_MAX_POINTS);
	}
	if (!rc && *n == 0)
		rc = pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: no points after the header", file,
				  c.line + 1);
	pp_csv_close(&c);
	if (rc) {
		free(x);
		*n = 0;
		return rc;
	}
	*xs = x;
	return PP_OK;
}

/* The points of a grid over the PDE's box, ends included, in the order of
 * pp_grid_point (the last input fastest), as `reference --grid` writes. */
static int grid_points(const char *spec, const pp_pde_info *pde, double **xs, size_t *n,
		       pp_error *err)
{
	pp_grid grid = {.n_dims = pde->n_inputs};
	int rc;

	for (int i = 0; i < pde->n_inputs; i++) {
		grid.lo[i] = pde->lo[i];
		grid.hi[i] = pde->hi[i];
		grid.endpoint[i] = 1;
	}
	rc = pp_cli_parse_grid(spec, &grid, err);
	if (rc)
		return rc;
	*n = pp_grid_size(&grid);
	if (*n == 0 || *n > (size_t)PREDICT_MAX_POINTS)
		return pp_error_set(err, PP_ERR_CONFIG, "--grid %s: more than %ld points", spec,
				    PREDICT_MAX_POINTS);
	*xs = malloc(*n * (size_t)pde->n_inputs * sizeof **xs);
	if (!*xs)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu points", *n);
	for (size_t i = 0; i < *n; i++)
		pp_grid_point(&grid, i, *xs + i * (size_t)pde->n_inputs);
	return PP_OK;
}

/* ---- the channels ----------------------------------------------------------- */

/* The input whose name begins @s, longest first; its length into *len. */
static int input_prefix(const pp_pde_info *pde, const char *s, size_t *len)
{
	int best = -1;

	*len = 0;
	for (int i = 0; i < pde->n_inputs; i++) {
		size_t l = strlen(pde->input_names[i]);
		if (l > *len && strncmp(s, pde->input_names[i], l) == 0) {
			best = i;
			*len = l;
		}
	}
	return best;
}

/* "u_xt" as a channel: an output's name, '_', then input names. */
static int parse_channel(const pp_pde_info *pde, const char *name, pp_channel *ch, pp_error *err)
{
	for (int o = 0; o < pp_pde_output_count(pde); o++) {
		const char *out = pp_pde_output_name(pde, o), *p;
		size_t l = strlen(out), step;
		pp_channel c = PP_U(o);
		if (strncmp(name, out, l) != 0 || name[l] != '_' || !name[l + 1])
			continue;
		for (p = name + l + 1; *p; p += step) {
			int i = input_prefix(pde, p, &step);
			if (i < 0 || c.order == PP_MAX_ORDER)
				break;
			c.d[c.order++] = (int8_t)i;
		}
		if (*p)
			continue;
		*ch = c;
		return PP_OK;
	}
	return pp_error_set(err, PP_ERR_CONFIG,
			    "--derivatives: '%s' is not a derivative of this PDE's outputs (write it as %s_%s, up to order %d)",
			    name, pp_pde_output_name(pde, 0), pde->input_names[0], PP_MAX_ORDER);
}

/* The outputs, then each derivative of @list (comma-separated; may be
 * NULL), into ch[*n] with their names. */
static int read_channels(const pp_pde_info *pde, const char *list, pp_channel *ch,
			 char (*names)[64], int *n, pp_error *err)
{
	char buf[1024], *save = NULL;
	int rc = PP_OK;

	*n = 0;
	for (int o = 0; o < pp_pde_output_count(pde); o++) {
		ch[*n] = PP_U(o);
		snprintf(names[(*n)++], 64, "%s", pp_pde_output_name(pde, o));
	}
	if (!list)
		return PP_OK;
	if (strlen(list) >= sizeof buf)
		return pp_error_set(err, PP_ERR_CONFIG, "--derivatives: list too long");
	snprintf(buf, sizeof buf, "%s", list);
	for (char *tok = strtok_r(buf, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		if (*n >= PP_MAX_CHANNELS)
			return pp_error_set(err, PP_ERR_CONFIG, "--derivatives: more than %d channels",
					    PP_MAX_CHANNELS - pp_pde_output_count(pde));
		rc = parse_channel(pde, tok, &ch[*n], err);
		if (!rc)
			snprintf(names[(*n)++], 64, "%s", tok);
	}
	return rc;
}

/* ---- evaluating and writing --------------------------------------------------- */

/* Channels @ch[n_ch] at the @n points @x into out[c·n + i], chunk by chunk
 * through the engine's batch forward. */
static int evaluate(const pp_experiment *exp, const pp_channel *ch, int n_ch, size_t n,
		    const double *x, double *out, pp_error *err)
{
	int d = exp->pde.n_inputs;
	size_t chunk = n < PREDICT_CHUNK ? n : PREDICT_CHUNK;
	pp_real *xr = malloc(chunk * (size_t)d * sizeof *xr);
	pp_real *buf = malloc(chunk * (size_t)n_ch * sizeof *buf);
	pp_batch *b = NULL;
	int rc = xr && buf ? PP_OK : pp_error_set(err, PP_ERR_NOMEM, "out of memory");

	if (!rc)
		rc = pp_batch_create(exp->net, chunk, n_ch, ch, &b, err);
	for (size_t s = 0; !rc && s < n; s += chunk) {
		size_t len = n - s < chunk ? n - s : chunk;
		for (size_t i = 0; i < len * (size_t)d; i++)
			xr[i] = (pp_real)x[s * (size_t)d + i];
		rc = pp_network_forward(exp->net, b, len, xr, buf, err);
		for (int c = 0; !rc && c < n_ch; c++)
			for (size_t i = 0; i < len; i++)
				out[(size_t)c * n + s + i] = (double)buf[(size_t)c * len + i];
	}
	pp_batch_destroy(b);
	free(buf);
	free(xr);
	return rc;
}

static int write_csv(const char *path, const pp_pde_info *pde, char (*names)[64], int n_ch,
		     size_t n, const double *x, const double *v, pp_error *err)
{
	pp_atomic_file af;
	int rc = pp_atomic_open(&af, path, err);

	if (rc)
		return rc;
	for (int i = 0; i < pde->n_inputs; i++)
		fprintf(af.f, "%s,", pde->input_names[i]);
	for (int c = 0; c < n_ch; c++)
		fprintf(af.f, "%s%s", names[c], c + 1 < n_ch ? "," : "\n");
	for (size_t p = 0; p < n; p++) {
		for (int i = 0; i < pde->n_inputs; i++)
			fprintf(af.f, "%.17g,", x[p * (size_t)pde->n_inputs + (size_t)i]);
		for (int c = 0; c < n_ch; c++)
			fprintf(af.f, "%.17g%s", v[(size_t)c * n + p], c + 1 < n_ch ? "," : "\n");
	}
	return pp_atomic_commit(&af, err);
}

typedef struct predict_args {
	const char *dir, *points, *grid, *derivatives, *out;
} predict_args;

static int predict(const predict_args *a, pp_error *err)
{
	pp_registry *reg = pp_cli_registry();
	pp_experiment *exp = NULL;
	pp_channel ch[PP_MAX_CHANNELS];
	char names[PP_MAX_CHANNELS][64];
	double *x = NULL, *v = NULL;
	size_t n = 0;
	int n_ch = 0, rc;

	if (!reg)
		return PP_ERR_PLUGIN;
	rc = model_experiment(a->dir, reg, &exp, err);
	if (!rc)
		rc = read_channels(&exp->pde, a->derivatives, ch, names, &n_ch, err);
	if (!rc)
		rc = load_model(a->dir, exp, err);
	if (!rc)
		rc = a->points ? read_points(a->points, &exp->pde, &x, &n, err)
			       : grid_points(a->grid, &exp->pde, &x, &n, err);
	if (!rc) {
		v = malloc(n * (size_t)n_ch * sizeof *v);
		rc = v ? PP_OK : pp_error_set(err, PP_ERR_NOMEM, "out of memory for %zu points", n);
	}
	if (!rc)
		rc = evaluate(exp, ch, n_ch, n, x, v, err);
	if (!rc)
		rc = write_csv(a->out, &exp->pde, names, n_ch, n, x, v, err);
	if (!rc)
		printf("%s: %zu points, %d columns of the model of %s\n", a->out, n, n_ch, a->dir);
	free(v);
	free(x);
	pp_experiment_destroy(exp);
	pp_registry_destroy(reg);
	return rc;
}

int pp_cli_predict(int argc, char **argv)
{
	predict_args a = {0};
	pp_error err = {0};
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(predict_usage, stdout);
			return PP_EXIT_OK;
		}
		if (strcmp(argv[i], "--points") == 0 && i + 1 < argc)
			a.points = argv[++i];
		else if (strcmp(argv[i], "--grid") == 0 && i + 1 < argc)
			a.grid = argv[++i];
		else if (strcmp(argv[i], "--derivatives") == 0 && i + 1 < argc)
			a.derivatives = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			a.out = argv[++i];
		else if (argv[i][0] != '-' && !a.dir)
			a.dir = argv[i];
		else {
			fprintf(stderr, "phasepinn predict: unexpected argument '%s'\n\n%s", argv[i],
				predict_usage);
			return PP_EXIT_USAGE;
		}
	}
	if (!a.dir || !a.out || !a.points == !a.grid) {
		fprintf(stderr, "phasepinn predict: %s\n\n%s",
			!a.dir ? "which run?" : !a.out ? "missing --out FILE.csv"
			: "give one of --points FILE.csv and --grid NxM", predict_usage);
		return PP_EXIT_USAGE;
	}
	rc = predict(&a, &err);
	if (rc)
		fprintf(stderr, "phasepinn predict: %s\n", err.message);
	return pp_cli_exit_code(rc);
}

/* ---- export ------------------------------------------------------------------- */

static int export_model(const char *dir, pp_error *err)
{
	pp_registry *reg = pp_cli_registry();
	pp_experiment *exp = NULL;
	pp_rundir *rd = NULL;
	char path[4096];
	long step = 0;
	int rc;

	if (!reg)
		return PP_ERR_PLUGIN;
	rc = model_experiment(dir, reg, &exp, err);
	if (!rc)
		rc = params_from_checkpoint(dir, exp, &step, err);
	/* recorded in the manifest; refused while a run writes the directory */
	if (!rc)
		rc = pp_rundir_open(dir, PP_RUNDIR_LOCK, stderr, &rd, err);
	if (!rc)
		rc = pp_path_join(path, sizeof path, dir, PP_RUN_MODEL, err);
	if (!rc)
		rc = pp_model_write(exp, step, path, err);
	if (!rc)
		printf("%s: the model at step %ld\n", path, step);
	pp_rundir_close(rd);
	pp_experiment_destroy(exp);
	pp_registry_destroy(reg);
	return rc;
}

int pp_cli_export(int argc, char **argv)
{
	const char *dir = NULL;
	pp_error err = {0};
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(export_usage, stdout);
			return PP_EXIT_OK;
		}
		if (argv[i][0] != '-' && !dir) {
			dir = argv[i];
			continue;
		}
		fprintf(stderr, "phasepinn export: unexpected argument '%s'\n\n%s", argv[i],
			export_usage);
		return PP_EXIT_USAGE;
	}
	if (!dir) {
		fprintf(stderr, "phasepinn export: which run?\n\n%s", export_usage);
		return PP_EXIT_USAGE;
	}
	rc = export_model(dir, &err);
	if (rc)
		fprintf(stderr, "phasepinn export: %s\n", err.message);
	return pp_cli_exit_code(rc);
}
