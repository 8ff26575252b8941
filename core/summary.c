/* phasepinn — writing and reading summary.json (see core/summary.h). */
#include "core/summary.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include <phasepinn/network.h>
#include <phasepinn/output.h>
#include <phasepinn/real.h>

#include "core/json.h"
#include "core/rundir.h"

#define SUMMARY_MAX_BYTES (16L << 20)

/* ---- writing ------------------------------------------------------------- */

int pp_summary_of_run(const pp_experiment *exp, const pp_train_result *res, const char *status,
		      const pp_error *run_err, pp_summary *s, pp_error *err)
{
	memset(s, 0, sizeof *s);
	s->stages = calloc((size_t)exp->n_stages + 1, sizeof *s->stages);
	s->final = calloc((size_t)res->n_columns + 1, sizeof *s->final);
	if (!s->stages || !s->final) {
		free(s->stages);
		free(s->final);
		s->stages = NULL;
		s->final = NULL;
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	s->name = exp->name;
	s->config = exp->path;
	s->status = status;
	s->error = run_err && run_err->code ? run_err->message : NULL;
	s->version = PP_VERSION;
	s->precision = PP_REAL_NAME;
	s->threads = exp->threads;
	s->has_seed = 1;
	s->seed = exp->seed;
	/* results are reproducible for a thread count and a BLAS kernel set */
	s->blas_kernels = openblas_get_corename();
	s->pde = exp->pde_plugin->name;
	s->weighting = exp->weighting_plugin->name;
	s->network = pp_network_describe(exp->net);
	s->started_from = exp->init_from;
	s->started_from_step = exp->init_from_step;
	s->parameters = (long)pp_network_param_count(exp->net);
	s->steps = res->steps;
	s->seconds = res->seconds;
	s->final_loss = res->final_loss;
	s->kept_step = res->kept_step;
	s->kept_val_loss = res->kept_val_loss;
	s->last_val_loss = res->last_val_loss;
	s->n_stages = exp->n_stages;
	for (int i = 0; i < exp->n_stages; i++) {
		s->stages[i].optimizer = exp->stages[i].plugin->name;
		s->stages[i].iterations = exp->stages[i].iterations;
		s->stages[i].steps = res->stage_steps[i];
		s->stages[i].stop = i < res->stages_run ? res->stop_reasons[i] : "not run";
	}
	s->n_final = res->n_columns;
	for (int i = 0; i < res->n_columns; i++) {
		s->final[i].column = res->columns[i];
		s->final[i].value = res->last[i];
	}
	return PP_OK;
}

static void write_string_member(FILE *f, const char *name, const char *value)
{
	fprintf(f, ",\n  \"%s\": ", name);
	pp_json_write_string(f, value);
}

/* The layout (one member a line, stages one a line) is what phasepinn has
 * always written; people read the file too. */
static void write_json(FILE *f, const pp_summary *s)
{
	fputs("{\n  \"name\": ", f);
	pp_json_write_string(f, s->name);
	write_string_member(f, "config", s->config);
	write_string_member(f, "status", s->status);
	fputs(",\n  \"error\": ", f);
	if (s->error)
		pp_json_write_string(f, s->error);
	else
		fputs("null", f);
	write_string_member(f, "version", s->version);
	write_string_member(f, "precision", s->precision);
	fprintf(f, ",\n  \"threads\": %ld,\n  \"seed\": %lu,\n  \"blas_kernels\": ", s->threads,
		s->seed);
	pp_json_write_string(f, s->blas_kernels);
	write_string_member(f, "pde", s->pde);
	write_string_member(f, "weighting", s->weighting);
	write_string_member(f, "network", s->network);
	if (s->started_from) {
		/* only for a warm start: other runs' summaries keep their layout */
		fputs(",\n  \"started_from\": {\"run\": ", f);
		pp_json_write_string(f, s->started_from);
		fputs(", \"step\": ", f);
		if (s->started_from_step >= 0)
			fprintf(f, "%ld}", s->started_from_step);
		else
			fputs("null}", f);
	}
	fprintf(f, ",\n  \"parameters\": %ld,\n  \"steps\": %ld,\n  \"seconds\": ", s->parameters,
		s->steps);
	pp_json_write_number(f, s->seconds);
	fputs(",\n  \"final_loss\": ", f);
	pp_json_write_number(f, s->final_loss);
	if (s->kept_step >= 0) {
		/* only with validation.keep_best: other runs keep their layout */
		fprintf(f, ",\n  \"kept\": {\"step\": %ld, \"val_loss\": ", s->kept_step);
		pp_json_write_number(f, s->kept_val_loss);
		fputs(", \"last_val_loss\": ", f);
		pp_json_write_number(f, s->last_val_loss);
		fputc('}', f);
	}
	fputs(",\n  \"stages\": [", f);
	for (int i = 0; i < s->n_stages; i++) {
		const pp_summary_stage *st = &s->stages[i];
		fprintf(f, "%s\n    {\"optimizer\": ", i ? "," : "");
		pp_json_write_string(f, st->optimizer);
		fprintf(f, ", \"iterations\": %ld, \"steps\": %ld, \"stop\": ", st->iterations,
			st->steps);
		pp_json_write_string(f, st->stop);
		fputc('}', f);
	}
	fputs("\n  ],\n  \"final\": {", f);
	for (int i = 0; i < s->n_final; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		pp_json_write_string(f, s->final[i].column);
		fputs(": ", f);
		pp_json_write_number(f, s->final[i].value);
	}
	fputs("\n  }\n}\n", f);
}

int pp_summary_write(const char *run_dir, const pp_summary *s, pp_error *err)
{
	char path[4096];
	pp_atomic_file af;
	int rc = pp_path_join(path, sizeof path, run_dir, PP_RUN_SUMMARY, err);

	if (!rc)
		rc = pp_atomic_open(&af, path, err);
	if (rc)
		return rc;
	write_json(af.f, s);
	return pp_atomic_commit(&af, err);
}

/* ---- reading ------------------------------------------------------------- */

/* Where @v is, for "NAME:LINE:COL: member \"key\" is ...". */
static int type_error(const char *name, const pp_json *v, const char *key, const char *expected,
		      pp_error *err)
{
	return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld:%ld: \"%s\" is %s; expected %s", name,
			    v->line, v->column, key, pp_json_type_name(v->type), expected);
}

static int get_string(const pp_json *obj, const char *key, const char *name, const char **out,
		      pp_error *err)
{
	const pp_json *v = pp_json_get(obj, key);

	*out = NULL;
	if (!v || v->type == PP_JSON_NULL)
		return PP_OK;
	if (v->type != PP_JSON_STRING)
		return type_error(name, v, key, "a string", err);
	*out = v->text;
	return PP_OK;
}

/* A real number; null (how a non-finite one is written) and missing: NaN. */
static int get_real(const pp_json *obj, const char *key, const char *name, double *out,
		    pp_error *err)
{
	const pp_json *v = pp_json_get(obj, key);

	*out = NAN;
	if (!v || v->type == PP_JSON_NULL)
		return PP_OK;
	if (v->type != PP_JSON_NUMBER)
		return type_error(name, v, key, "a number", err);
	*out = v->number;
	return PP_OK;
}

/* A whole number from 0 to LONG_MAX as written (digits only); missing or
 * null: -1, and *has = 0. */
static int get_count(const pp_json *obj, const char *key, const char *name, unsigned long max,
		     unsigned long *out, int *has, pp_error *err)
{
	const pp_json *v = pp_json_get(obj, key);
	char *end;

	*out = 0;
	*has = 0;
	if (!v || v->type == PP_JSON_NULL)
		return PP_OK;
	if (v->type != PP_JSON_NUMBER)
		return type_error(name, v, key, "a whole number", err);
	errno = 0;
	*out = strtoul(v->text, &end, 10);
	if (v->text[0] == '-' || *end || errno == ERANGE || *out > max)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld:%ld: \"%s\" is %s; expected a whole number from 0 to %lu",
				    name, v->line, v->column, key, v->text, max);
	*has = 1;
	return PP_OK;
}

static int get_long(const pp_json *obj, const char *key, const char *name, long *out,
		    pp_error *err)
{
	unsigned long x;
	int has, rc = get_count(obj, key, name, (unsigned long)LONG_MAX, &x, &has, err);

	*out = has ? (long)x : -1;
	return rc;
}

static int read_stages(const pp_json *root, const char *name, pp_summary *s, pp_error *err)
{
	const pp_json *list = pp_json_get(root, "stages");
	int rc = PP_OK;

	if (!list || list->type == PP_JSON_NULL)
		return PP_OK;
	if (list->type != PP_JSON_ARRAY)
		return type_error(name, list, "stages", "an array", err);
	s->stages = calloc(list->n + 1, sizeof *s->stages);
	if (!s->stages)
		return pp_error_set(err, PP_ERR_NOMEM, "%s: out of memory", name);
	for (size_t i = 0; i < list->n && !rc; i++) {
		const pp_json *st = &list->items[i];
		pp_summary_stage *out = &s->stages[i];
		if (st->type != PP_JSON_OBJECT)
			return type_error(name, st, "stages[]", "an object", err);
		rc = get_string(st, "optimizer", name, &out->optimizer, err);
		if (!rc)
			rc = get_long(st, "iterations", name, &out->iterations, err);
		if (!rc)
			rc = get_long(st, "steps", name, &out->steps, err);
		if (!rc)
			rc = get_string(st, "stop", name, &out->stop, err);
		s->n_stages = (int)i + 1;
	}
	return rc;
}

static int read_final(const pp_json *root, const char *name, pp_summary *s, pp_error *err)
{
	const pp_json *final = pp_json_get(root, "final");

	if (!final || final->type == PP_JSON_NULL)
		return PP_OK;
	if (final->type != PP_JSON_OBJECT)
		return type_error(name, final, "final", "an object", err);
	s->final = calloc(final->n + 1, sizeof *s->final);
	if (!s->final)
		return pp_error_set(err, PP_ERR_NOMEM, "%s: out of memory", name);
	for (size_t i = 0; i < final->n; i++) {
		int rc;
		s->final[i].column = final->keys[i];
		rc = get_real(final, final->keys[i], name, &s->final[i].value, err);
		if (rc)
			return rc;
		s->n_final = (int)i + 1;
	}
	return PP_OK;
}

/* "kept": null or {"step": N, "val_loss": x, "last_val_loss": y}. */
static int get_kept(const pp_json *root, const char *name, pp_summary *s, pp_error *err)
{
	const pp_json *v = pp_json_get(root, "kept");
	int rc;

	s->kept_step = -1;
	s->kept_val_loss = s->last_val_loss = NAN;
	if (!v || v->type == PP_JSON_NULL)
		return PP_OK;
	if (v->type != PP_JSON_OBJECT)
		return type_error(name, v, "kept", "an object or null", err);
	rc = get_long(v, "step", name, &s->kept_step, err);
	if (!rc)
		rc = get_real(v, "val_loss", name, &s->kept_val_loss, err);
	if (!rc)
		rc = get_real(v, "last_val_loss", name, &s->last_val_loss, err);
	return rc;
}

/* "started_from": null or {"run": "...", "step": N} (a warm start). */
static int get_started_from(const pp_json *root, const char *name, pp_summary *s,
			    pp_error *err)
{
	const pp_json *v = pp_json_get(root, "started_from");
	int rc;

	s->started_from_step = -1;
	if (!v || v->type == PP_JSON_NULL)
		return PP_OK;
	if (v->type != PP_JSON_OBJECT)
		return type_error(name, v, "started_from", "an object or null", err);
	rc = get_string(v, "run", name, &s->started_from, err);
	if (!rc)
		rc = get_long(v, "step", name, &s->started_from_step, err);
	return rc;
}

static int read_members(const pp_json *root, const char *name, pp_summary *s, pp_error *err)
{
	static const struct {
		const char *key;
		size_t offset;
	} strings[] = {
		{"name", offsetof(pp_summary, name)},
		{"config", offsetof(pp_summary, config)},
		{"status", offsetof(pp_summary, status)},
		{"error", offsetof(pp_summary, error)},
		{"version", offsetof(pp_summary, version)},
		{"precision", offsetof(pp_summary, precision)},
		{"blas_kernels", offsetof(pp_summary, blas_kernels)},
		{"pde", offsetof(pp_summary, pde)},
		{"weighting", offsetof(pp_summary, weighting)},
		{"network", offsetof(pp_summary, network)},
	};
	unsigned long seed = 0;
	int rc = PP_OK;

	if (root->type != PP_JSON_OBJECT)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld:%ld: the summary is %s; expected an object",
				    name, root->line, root->column, pp_json_type_name(root->type));
	for (size_t i = 0; i < sizeof strings / sizeof strings[0] && !rc; i++)
		rc = get_string(root, strings[i].key, name,
				(const char **)((char *)s + strings[i].offset), err);
	if (!rc)
		rc = get_long(root, "threads", name, &s->threads, err);
	if (!rc)
		rc = get_count(root, "seed", name, ULONG_MAX, &seed, &s->has_seed, err);
	s->seed = seed;
	if (!rc)
		rc = get_started_from(root, name, s, err);
	if (!rc)
		rc = get_long(root, "parameters", name, &s->parameters, err);
	if (!rc)
		rc = get_long(root, "steps", name, &s->steps, err);
	if (!rc)
		rc = get_real(root, "seconds", name, &s->seconds, err);
	if (!rc)
		rc = get_real(root, "final_loss", name, &s->final_loss, err);
	if (!rc)
		rc = get_kept(root, name, s, err);
	if (!rc)
		rc = read_stages(root, name, s, err);
	if (!rc)
		rc = read_final(root, name, s, err);
	return rc;
}

int pp_summary_parse(const char *text, size_t len, const char *name, pp_summary *s,
		     pp_error *err)
{
	pp_json *root = NULL;
	int rc;

	memset(s, 0, sizeof *s);
	s->threads = s->parameters = s->steps = -1;
	s->seconds = s->final_loss = NAN;
	rc = pp_json_parse(text, len, name, &root, err);
	if (rc)
		return rc;
	s->tree = root;
	return read_members(root, name, s, err);
}

int pp_summary_read(const char *run_dir, pp_summary *s, pp_error *err)
{
	char path[4096], *text = NULL;
	size_t got = 0;
	long size;
	FILE *f;
	int rc = pp_path_join(path, sizeof path, run_dir, PP_RUN_SUMMARY, err);

	memset(s, 0, sizeof *s);
	if (rc)
		return rc;
	f = fopen(path, "rb");
	if (!f)
		return pp_error_set(err, PP_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		rc = pp_error_set(err, PP_ERR_IO, "cannot read %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (size > SUMMARY_MAX_BYTES) {
		rc = pp_error_set(err, PP_ERR_CONFIG, "%s: %ld bytes, too large for a summary", path, size);
		goto cleanup;
	}
	text = malloc((size_t)size + 1);
	if (!text) {
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory reading %s", path);
		goto cleanup;
	}
	got = fread(text, 1, (size_t)size, f);
	if (ferror(f)) {
		rc = pp_error_set(err, PP_ERR_IO, "cannot read %s: read error", path);
		goto cleanup;
	}
	rc = pp_summary_parse(text, got, path, s, err);
cleanup:
	free(text);
	fclose(f);
	return rc;
}

void pp_summary_free(pp_summary *s)
{
	if (!s)
		return;
	free(s->stages);
	free(s->final);
	pp_json_free(s->tree);
	memset(s, 0, sizeof *s);
}
