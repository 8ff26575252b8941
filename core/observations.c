/* phasepinn — observation data from a CSV file (see core/observations.h
 * and docs/data.md).  The lines and fields come from core/csv.c, the one
 * CSV reader; the file is opened as the checkpoint reader opens its files
 * (core/safe_open.h: a regular file, never through a symbolic link, never
 * blocking on a FIFO). */
#include "core/observations.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <phasepinn/rng.h>

#include "core/config_doc.h"
#include "core/csv.h"
#include "core/safe_open.h"

/* Random streams of the seed, one per step (core/observations.h). */
#define STREAM_POINTS 0x4f425350u      /* "OBSP" */
#define STREAM_NOISE 0x4f42534eu       /* "OBSN" */
#define STREAM_VALIDATION 0x4f425356u  /* "OBSV" */

/* Inputs this close to the PDE's box, relative to its width, are moved onto
 * it: a file written with 12 significant digits (`phasepinn reference`)
 * rounds an end such as 2π past the box by up to 5e-12 of it. */
#define BOX_TOLERANCE 1e-9

/* What the `data:` section says, and where each value lives in the file. */
typedef struct data_spec {
	const char *file;
	const char *weight_name;      /* NULL: no weights */
	double noise, validation;
	long points;                  /* 0: every row */
	unsigned long seed;
	const pp_config *inputs_map, *outputs_map;
	const char *input_column[PP_MAX_INPUTS];   /* column names, by PDE input */
	const char *output_column[PP_MAX_OUTPUTS]; /* by observed column */
	const pp_config *column_node[PP_MAX_INPUTS + PP_MAX_OUTPUTS + 1]; /* for messages */
	int n_inputs, n_observed;
	int outputs[PP_MAX_OUTPUTS];
	int in_col[PP_MAX_INPUTS], out_col[PP_MAX_OUTPUTS], weight_col;
} data_spec;

/* ---- parts ---------------------------------------------------------- */

static void part_free(pp_observation_part *p)
{
	free(p->x);
	free(p->u);
	free(p->weights);
	free(p->lines);
	memset(p, 0, sizeof *p);
}

/* Room for @cap rows in @p (keeping its first p->n; on failure, what was
 * grown stays owned by @p). */
static int part_reserve(pp_observation_part *p, size_t cap, const data_spec *s)
{
	double *x, *u, *w;
	long *lines;

	if (!(x = realloc(p->x, cap * (size_t)s->n_inputs * sizeof *x)))
		return -1;
	p->x = x;
	if (!(u = realloc(p->u, cap * (size_t)s->n_observed * sizeof *u)))
		return -1;
	p->u = u;
	if (!(lines = realloc(p->lines, cap * sizeof *lines)))
		return -1;
	p->lines = lines;
	if (s->weight_col < 0)
		return 0;
	if (!(w = realloc(p->weights, cap * sizeof *w)))
		return -1;
	p->weights = w;
	return 0;
}

/* Row @from of @src appended to @dst. */
static void part_copy_row(pp_observation_part *dst, const pp_observation_part *src, size_t from,
			  const data_spec *s)
{
	size_t to = dst->n++;

	memcpy(dst->x + to * s->n_inputs, src->x + from * s->n_inputs,
	       (size_t)s->n_inputs * sizeof *dst->x);
	memcpy(dst->u + to * s->n_observed, src->u + from * s->n_observed,
	       (size_t)s->n_observed * sizeof *dst->u);
	if (src->weights)
		dst->weights[to] = src->weights[from];
	dst->lines[to] = src->lines[from];
}

/* Of @n rows, @k distinct ones drawn at random into mark[] (1: drawn), by
 * Floyd's algorithm: k draws, every k-subset equally likely. */
static void draw_subset(size_t n, size_t k, pp_rng *rng, unsigned char *mark)
{
	memset(mark, 0, n);
	for (size_t j = n - k; j < n; j++) {
		size_t t = (size_t)pp_rng_below(rng, (uint64_t)j + 1);
		mark[mark[t] ? j : t] = 1;
	}
}

/* The rows of @src with mark[i] == @want, in order, into @dst. */
static int part_select(pp_observation_part *dst, const pp_observation_part *src,
		       const unsigned char *mark, int want, size_t count, const data_spec *s)
{
	memset(dst, 0, sizeof *dst);
	if (count == 0)
		return 0;
	if (part_reserve(dst, count, s))
		return -1;
	for (size_t i = 0; i < src->n; i++)
		if (mark[i] == want)
			part_copy_row(dst, src, i, s);
	return 0;
}

/* ---- the YAML section ----------------------------------------------- */

static int read_scalars(const pp_config *node, unsigned long default_seed, data_spec *s,
			pp_error *err)
{
	const pp_config *file_node = pp_config_require(node, "file", err);
	long seed = 0;
	int rc;

	if (!file_node)
		return PP_ERR_CONFIG;
	rc = pp_config_string(node, "file", NULL, &s->file, err);
	if (!rc && !s->file[0])
		rc = pp_config_error(err, PP_ERR_CONFIG, file_node,
				     "file: empty; name the CSV file of the observations");
	if (!rc)
		rc = pp_config_string(node, "weight", NULL, &s->weight_name, err);
	if (!rc)
		rc = pp_config_double(node, "noise", 0, 0, 10, &s->noise, err);
	if (!rc)
		rc = pp_config_long(node, "seed", default_seed > (unsigned long)LONG_MAX ?
				    LONG_MAX : (long)default_seed, 0, LONG_MAX, &seed, err);
	if (!rc)
		rc = pp_config_double(node, "validation", 0, 0, 1, &s->validation, err);
	if (!rc)
		rc = pp_config_long(node, "points", 0, 0, PP_OBSERVATIONS_MAX_BYTES, &s->points, err);
	if (!rc)
		rc = pp_config_map(node, "inputs", "x", &s->inputs_map, err);
	if (!rc)
		rc = pp_config_map(node, "outputs", "u", &s->outputs_map, err);
	if (!rc)
		rc = pp_config_check_unknown(node, "data", err);
	s->seed = (unsigned long)seed;
	return rc;
}

/* Every PDE input's column name: `inputs:` or the input's own name. */
static int read_input_names(const pp_pde_info *pde, data_spec *s, pp_error *err)
{
	s->n_inputs = pde->n_inputs;
	for (int d = 0; d < pde->n_inputs; d++) {
		const char *name = pde->input_names[d];
		int rc = pp_config_string(s->inputs_map, name, name, &s->input_column[d], err);
		if (rc)
			return rc;
		s->column_node[d] = pp_config_get(s->inputs_map, name);
	}
	return pp_config_check_unknown(s->inputs_map, "data.inputs", err);
}

/* @pde's output names joined by ", " into @buf. */
static void output_list(const pp_pde_info *pde, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int k = 0; k < pp_pde_output_count(pde); k++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", k ? ", " : "",
			 pp_pde_output_name(pde, k));
}

/* Is @key a key of @map?  (Without asking for it: an output `outputs:`
 * leaves out is not observed, which is no default to record.) */
static int has_key(const pp_config *map, const char *key)
{
	for (size_t e = 0; e < pp_config_size(map); e++)
		if (strcmp(pp_config_key_at(map, e), key) == 0)
			return 1;
	return 0;
}

/* Every key of `outputs:` an output of @pde. */
static int check_output_keys(const pp_pde_info *pde, const pp_config *map, pp_error *err)
{
	char names[256];

	for (size_t e = 0; e < pp_config_size(map); e++) {
		const char *key = pp_config_key_at(map, e);
		int k = 0;
		while (k < pp_pde_output_count(pde) && strcmp(pp_pde_output_name(pde, k), key) != 0)
			k++;
		if (k < pp_pde_output_count(pde))
			continue;
		output_list(pde, names, sizeof names);
		return pp_config_error_at_key(err, PP_ERR_CONFIG, map, key,
					      "data.outputs: '%s' is not an output of the PDE; its outputs are %s",
					      key, names);
	}
	return PP_OK;
}

/* The observed outputs: those `outputs:` names, or, when it names none,
 * every output that is a column of the file under its own name. */
static int read_output_names(const pp_pde_info *pde, const pp_csv *c, data_spec *s,
			     pp_error *err)
{
	int given = pp_config_size(s->outputs_map) > 0;
	char names[256];
	int rc = check_output_keys(pde, s->outputs_map, err);

	s->n_observed = 0;
	for (int k = 0; k < pp_pde_output_count(pde) && !rc; k++) {
		const char *name = pp_pde_output_name(pde, k);
		int j = s->n_observed;
		if (given ? !has_key(s->outputs_map, name) : pp_csv_column(c, name) < 0)
			continue;
		rc = pp_config_string(s->outputs_map, name, name, &s->output_column[j], err);
		s->column_node[PP_MAX_INPUTS + j] = pp_config_get(s->outputs_map, name);
		s->outputs[j] = k;
		s->n_observed++;
	}
	if (rc || s->n_observed > 0)
		return rc;
	output_list(pde, names, sizeof names);
	return pp_error_set(err, PP_ERR_CONFIG,
			    "%s:%ld: no column is named after an output of the PDE (%s); name the observed columns with outputs: {%s: COLUMN}",
			    c->name, c->line, names, pp_pde_output_name(pde, 0));
}

/* ---- the header ------------------------------------------------------ */

/* The header's column @i without the spaces and quotes pp_csv_column
 * ignores: *@len bytes from the result. */
static const char *trimmed(const pp_csv *c, int i, size_t *len)
{
	const char *f = c->columns[i];

	while (*f == ' ' || *f == '"')
		f++;
	*len = strcspn(f, " \"");
	return f;
}

/* The header's names joined by ", " into @buf, for messages. */
static void column_list(const pp_csv *c, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < c->n_columns && used + 1 < size; i++) {
		size_t len;
		const char *f = trimmed(c, i, &len);
		int w = snprintf(buf + used, size - used, "%s%.*s", i ? ", " : "", (int)len, f);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used + 1 >= size && size > 4)
		strcpy(buf + size - 4, "...");
}

/* Names present, not empty, not repeated, fewer than PP_CSV_MAX_FIELDS. */
static int check_header(const pp_csv *c, pp_error *err)
{
	/* the CSV reader stops at PP_CSV_MAX_FIELDS fields, dropping the rest:
	 * a header that reaches it may have been cut */
	if (c->n_columns >= PP_CSV_MAX_FIELDS)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s:%ld: %d columns or more in the header; at most %d are read",
				    c->name, c->line, PP_CSV_MAX_FIELDS, PP_CSV_MAX_FIELDS - 1);
	for (int i = 0; i < c->n_columns; i++) {
		size_t len, len_j;
		const char *f = trimmed(c, i, &len);
		if (len == 0)
			return pp_error_set(err, PP_ERR_CONFIG,
					    "%s:%ld: column %d of the header has no name", c->name,
					    c->line, i + 1);
		for (int j = 0; j < i; j++) {
			const char *g = trimmed(c, j, &len_j);
			if (len == len_j && strncmp(f, g, len) == 0)
				return pp_error_set(err, PP_ERR_CONFIG,
						    "%s:%ld: column '%.*s' appears twice in the header (columns %d and %d)",
						    c->name, c->line, (int)len, f, j + 1, i + 1);
		}
	}
	return PP_OK;
}

/* Column @name (asked for by @node of the YAML, for @what) in the header. */
static int find_column(const pp_csv *c, const char *name, const pp_config *node, const char *what,
		       int *col, pp_error *err)
{
	char list[512], where[300] = "";

	*col = pp_csv_column(c, name);
	if (*col >= 0)
		return PP_OK;
	column_list(c, list, sizeof list);
	if (node)
		snprintf(where, sizeof where, ", named at %s:%d:%d", pp_config_file(node),
			 pp_config_line(node), pp_config_column(node));
	return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: no column '%s' (%s%s); the columns are %s",
			    c->name, c->line, name, what, where, list);
}

static int find_columns(const pp_config *node, const pp_pde_info *pde, const pp_csv *c,
			data_spec *s, pp_error *err)
{
	char what[96];
	int rc = PP_OK;

	for (int d = 0; d < s->n_inputs && !rc; d++) {
		snprintf(what, sizeof what, "input %s", pde->input_names[d]);
		rc = find_column(c, s->input_column[d], s->column_node[d], what, &s->in_col[d], err);
	}
	for (int j = 0; j < s->n_observed && !rc; j++) {
		snprintf(what, sizeof what, "output %s", pp_pde_output_name(pde, s->outputs[j]));
		rc = find_column(c, s->output_column[j], s->column_node[PP_MAX_INPUTS + j], what,
				 &s->out_col[j], err);
	}
	s->weight_col = -1;
	if (!rc && s->weight_name)
		rc = find_column(c, s->weight_name, pp_config_get(node, "weight"), "weight",
				 &s->weight_col, err);
	return rc;
}

/* ---- the rows -------------------------------------------------------- */

/* @text as a finite number into *@v; NULL, or what is wrong with it. */
static const char *parse_number(const char *text, double *v)
{
	const char *s = text;
	char *end;

	s += strspn(s, " \t");
	if (!*s)
		return "an empty field";
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || end[strspn(end, " \t")] != '\0')
		return "not a number";
	if (!isfinite(*v) || (errno == ERANGE && fabs(*v) > 1))
		return "not a finite number";
	return NULL;
}

/* Field @col of the current row as a number, or the error naming it. */
static int field(const pp_csv *c, int col, double *v, pp_error *err)
{
	size_t len;
	const char *name = trimmed(c, col, &len);
	const char *why = parse_number(c->fields[col], v);

	if (!why)
		return PP_OK;
	return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: column '%.*s': '%.40s' is %s", c->name,
			    c->line, (int)len, name, c->fields[col], why);
}

/* Input @d of the current row, inside the PDE's box (within BOX_TOLERANCE,
 * then moved onto it). */
static int input_value(const pp_csv *c, const pp_pde_info *pde, const data_spec *s, int d,
		       double *v, pp_error *err)
{
	double lo = pde->lo[d], hi = pde->hi[d], tol = BOX_TOLERANCE * (hi - lo);
	int rc = field(c, s->in_col[d], v, err);

	if (rc)
		return rc;
	if (*v < lo - tol || *v > hi + tol)
		return pp_error_set(err, PP_ERR_CONFIG,
				    "%s:%ld: %s = %.12g lies outside the PDE's domain [%g, %g]",
				    c->name, c->line, pde->input_names[d], *v, lo, hi);
	*v = *v < lo ? lo : *v > hi ? hi : *v;
	return PP_OK;
}

/* The current row appended to @all. */
static int read_row(const pp_csv *c, const pp_pde_info *pde, const data_spec *s,
		    pp_observation_part *all, pp_error *err)
{
	int cut = c->n >= PP_CSV_MAX_FIELDS;  /* the reader dropped the rest */
	size_t i = all->n;
	int rc = PP_OK;

	if (c->n != c->n_columns)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: %s%d fields, expected %d as in the header",
				    c->name, c->line, cut ? "at least " : "", c->n, c->n_columns);
	for (int d = 0; d < s->n_inputs && !rc; d++)
		rc = input_value(c, pde, s, d, &all->x[i * s->n_inputs + d], err);
	for (int j = 0; j < s->n_observed && !rc; j++)
		rc = field(c, s->out_col[j], &all->u[i * s->n_observed + j], err);
	if (!rc && s->weight_col >= 0) {
		rc = field(c, s->weight_col, &all->weights[i], err);
		if (!rc && all->weights[i] < 0)
			rc = pp_error_set(err, PP_ERR_CONFIG,
					  "%s:%ld: weight %g is negative; weights must be >= 0",
					  c->name, c->line, all->weights[i]);
	}
	if (rc)
		return rc;
	all->lines[i] = c->line;
	all->n++;
	return PP_OK;
}

static int read_rows(pp_csv *c, FILE *f, const pp_pde_info *pde, const data_spec *s,
		     pp_observation_part *all, pp_error *err)
{
	size_t cap = 0;
	int rc;

	while ((rc = pp_csv_next(c, err)) == 1) {
		if (all->n == cap) {
			cap = cap ? 2 * cap : 1024;
			if (part_reserve(all, cap, s))
				return pp_error_set(err, PP_ERR_NOMEM, "%s:%ld: out of memory", c->name,
						    c->line);
		}
		rc = read_row(c, pde, s, all, err);
		if (rc)
			return rc;
		/* the size was checked before reading; a file growing meanwhile
		 * stops at the same limit */
		if (ftello(f) > PP_OBSERVATIONS_MAX_BYTES)
			return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: the file grew past %ld bytes while read",
					    c->name, c->line, PP_OBSERVATIONS_MAX_BYTES);
	}
	if (rc)
		return rc;
	if (all->n == 0)
		return pp_error_set(err, PP_ERR_CONFIG, "%s:%ld: no data rows after the header",
				    c->name, c->line);
	return PP_OK;
}

/* ---- opening --------------------------------------------------------- */

static char *join_path(const char *base_dir, const char *file)
{
	size_t nb = base_dir && file[0] != '/' ? strlen(base_dir) : 0;
	char *path = malloc(nb + strlen(file) + 2);

	if (!path)
		return NULL;
	if (nb)
		sprintf(path, "%s%s%s", base_dir, base_dir[nb - 1] == '/' ? "" : "/", file);
	else
		strcpy(path, file);
	return path;
}

/* @path opened for reading: a regular file of at most the limit. */
static int open_data(const char *path, const pp_config *file_node, FILE **out, pp_error *err)
{
	struct stat st;
	pp_open_fault fault;
	int fd = pp_open_regular(path, 0, &st, &fault);

	*out = NULL;
	if (fault == PP_OPEN_LINK)
		return pp_config_error(err, PP_ERR_CONFIG, file_node,
				       "%s is a symbolic link; observation data is read only from a regular file: name the file itself",
				       path);
	if (fault == PP_OPEN_NOT_REGULAR)
		return pp_config_error(err, PP_ERR_CONFIG, file_node,
				       "%s is %s; name a CSV file of observations", path,
				       pp_file_kind(st.st_mode));
	if (fd < 0)
		return pp_config_error(err, PP_ERR_IO, file_node, "%s: cannot open: %s", path,
				       strerror(errno));
	if (st.st_size > PP_OBSERVATIONS_MAX_BYTES) {
		close(fd);
		return pp_config_error(err, PP_ERR_CONFIG, file_node,
				       "%s holds %lld bytes, more than the %ld (64 MiB) an observation file may have",
				       path, (long long)st.st_size, PP_OBSERVATIONS_MAX_BYTES);
	}
	*out = fdopen(fd, "r");
	if (!*out) {
		close(fd);
		return pp_error_set(err, PP_ERR_NOMEM, "%s: out of memory", path);
	}
	return PP_OK;
}

/* ---- after reading: subset, noise, split ---------------------------- */

/* `points:` rows of @all, in place. */
static int keep_points(const pp_config *node, const data_spec *s, pp_observation_part *all,
		       const char *path, pp_error *err)
{
	pp_observation_part kept;
	unsigned char *mark;
	pp_rng rng;
	int rc;

	if (s->points == 0 || (size_t)s->points == all->n)
		return PP_OK;
	if ((size_t)s->points > all->n)
		return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(node, "points"),
				       "points: %ld, but %s has only %zu data rows", s->points, path,
				       all->n);
	if (!(mark = malloc(all->n)))
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	pp_rng_init(&rng, s->seed, STREAM_POINTS);
	draw_subset(all->n, (size_t)s->points, &rng, mark);
	rc = part_select(&kept, all, mark, 1, (size_t)s->points, s) ?
	     pp_error_set(err, PP_ERR_NOMEM, "out of memory") : PP_OK;
	free(mark);
	if (rc) {
		part_free(&kept);
		return rc;
	}
	part_free(all);
	*all = kept;
	return PP_OK;
}

/* u_j += noise·std(u_j)·N(0,1), std over the rows of @all. */
static void add_noise(pp_observations *o, pp_observation_part *all)
{
	int m = o->n_observed;
	pp_rng rng;

	if (o->noise == 0)
		return;
	for (int j = 0; j < m; j++) {
		double mean = 0, var = 0;
		for (size_t i = 0; i < all->n; i++)
			mean += all->u[i * m + j];
		mean /= (double)all->n;
		for (size_t i = 0; i < all->n; i++)
			var += (all->u[i * m + j] - mean) * (all->u[i * m + j] - mean);
		o->noise_std[j] = o->noise * sqrt(var / (double)all->n);
	}
	pp_rng_init(&rng, o->seed, STREAM_NOISE);
	for (size_t i = 0; i < all->n; i++)
		for (int j = 0; j < m; j++)
			all->u[i * m + j] += o->noise_std[j] * pp_rng_normal(&rng);
}

/* round(validation·n) rows of @all held out into o->val, the rest o->train. */
static int split(const pp_config *node, const data_spec *s, pp_observations *o,
		 const pp_observation_part *all, pp_error *err)
{
	size_t n_val = (size_t)llround(s->validation * (double)all->n);
	unsigned char *mark;
	pp_rng rng;
	int rc = PP_OK;

	if (n_val >= all->n)
		return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(node, "validation"),
				       "validation: %g holds out all %zu rows; leave some for training",
				       s->validation, all->n);
	if (!(mark = malloc(all->n)))
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	pp_rng_init(&rng, s->seed, STREAM_VALIDATION);
	draw_subset(all->n, n_val, &rng, mark);
	if (part_select(&o->train, all, mark, 0, all->n - n_val, s) ||
	    part_select(&o->val, all, mark, 1, n_val, s))
		rc = pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	free(mark);
	return rc;
}

/* ---- the whole ------------------------------------------------------- */

static int read_file(const pp_config *node, const pp_pde_info *pde, data_spec *s,
		     pp_observations *o, pp_observation_part *all, pp_error *err)
{
	pp_csv c;
	FILE *f;
	int rc = open_data(o->path, pp_config_get(node, "file"), &f, err);

	if (rc)
		return rc;
	rc = pp_csv_open_commented(&c, f, o->path, err);
	if (!rc)
		rc = check_header(&c, err);
	if (!rc)
		rc = read_output_names(pde, &c, s, err);
	if (!rc)
		rc = find_columns(node, pde, &c, s, err);
	if (!rc)
		rc = read_rows(&c, f, pde, s, all, err);
	o->n_rows = all->n;
	pp_csv_close(&c);
	fclose(f);
	return rc;
}

int pp_observations_read(const pp_config *node, const pp_pde_info *pde, const char *base_dir,
			 unsigned long default_seed, pp_observations **out, pp_error *err)
{
	data_spec s = {0};
	pp_observation_part all = {0};
	pp_observations *o;
	int rc;

	*out = NULL;
	rc = read_scalars(node, default_seed, &s, err);
	if (!rc)
		rc = read_input_names(pde, &s, err);
	if (rc)
		return rc;
	if (!(o = calloc(1, sizeof *o)) || !(o->path = join_path(base_dir, s.file))) {
		free(o);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory");
	}
	s.weight_col = -1;
	rc = read_file(node, pde, &s, o, &all, err);
	if (!rc)
		rc = keep_points(node, &s, &all, o->path, err);
	if (rc)
		goto cleanup;
	o->n_inputs = s.n_inputs;
	o->n_observed = s.n_observed;
	memcpy(o->outputs, s.outputs, sizeof o->outputs);
	o->seed = s.seed;
	o->noise = s.noise;
	add_noise(o, &all);
	rc = split(node, &s, o, &all, err);
cleanup:
	part_free(&all);
	if (rc)
		pp_observations_destroy(o);
	else
		*out = o;
	return rc;
}

void pp_observations_destroy(pp_observations *o)
{
	if (!o)
		return;
	part_free(&o->train);
	part_free(&o->val);
	free(o->path);
	free(o);
}
