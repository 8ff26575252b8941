/* Observation data (core/observations.c): a CSV file named by a `data:`
 * section read into training and validation parts, with column mapping,
 * added noise, a random subset and a split; every bad file an error at its
 * file:line; and `phasepinn reference --points`, which writes such files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config_doc.h"
#include "core/experiment.h"
#include "core/observations.h"
#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_observations_XXXXXX";

/* x on [-1, 1], t on [0, 1], one output u (Burgers' box). */
static pp_pde_info burgers_box(void)
{
	pp_pde_info p = {.n_inputs = 2, .input_names = {"x", "t"}, .lo = {-1, 0}, .hi = {1, 1}};
	return p;
}

/* x, y on [0, 1], outputs u, v, p (a cavity's). */
static pp_pde_info cavity_box(void)
{
	pp_pde_info p = {.n_inputs = 2, .input_names = {"x", "y"}, .lo = {0, 0}, .hi = {1, 1},
			 .n_outputs = 3, .output_names = {"u", "v", "p"}};
	return p;
}

/* The observations of the `data:` section of @yaml, files in the test's
 * directory; the message in @err. */
static int read_yaml(const char *yaml, const pp_pde_info *pde, unsigned long seed,
		     pp_observations **o, pp_error *err)
{
	pp_config_doc *doc = NULL;
	int rc;

	*o = NULL;
	pp_error_clear(err);
	rc = pp_config_doc_parse(yaml, strlen(yaml), "exp.yaml", &doc, err);
	if (!rc)
		rc = pp_observations_read(pp_config_get(pp_config_doc_root(doc), "data"), pde, dir,
					  seed, o, err);
	pp_config_doc_destroy(doc);
	return rc;
}

/* A file of @n rows x, t, u with u = sin(πx)·exp(-t) + 2, x and t from a
 * fixed pattern (so the values are spread), weight w = i mod 3. */
static void write_smooth(const char *name, int n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "x,t,u,w\n");
	for (int i = 0; i < n; i++) {
		double x = -1 + 2 * fmod(i * 0.6180339887, 1.0), t = fmod(i * 0.41421356, 1.0);
		fprintf(f, "%.17g,%.17g,%.17g,%d\n", x, t, sin(M_PI * x) * exp(-t) + 2, i % 3);
	}
	fclose(f);
}

static void test_a_good_file_reads_back_exactly(void)
{
	pp_pde_info pde = burgers_box();
	pp_observations *o;
	pp_error err;

	/* columns in another order than the PDE's inputs, comments before the
	 * header and between rows, spaces, CRLF line ends, a blank last line */
	pp_shell_write("good.csv", "# made by hand\n"
				   "t, x ,u\r\n"
				   "0.5,-0.25,1.5\r\n"
				   "# a comment between rows\n"
				   "1,1,-3.25e-2\r\n"
				   "  0 , -1 , 1e-300\n"
				   "\n");
	CU_ASSERT_EQUAL_FATAL(read_yaml("data:\n  file: good.csv\n", &pde, 1, &o, &err), PP_OK);
	CU_ASSERT_EQUAL(o->n_rows, 3);
	CU_ASSERT_EQUAL(o->train.n, 3);
	CU_ASSERT_EQUAL(o->val.n, 0);
	CU_ASSERT_PTR_NULL(o->val.x);
	CU_ASSERT_PTR_NULL(o->train.weights);
	CU_ASSERT_EQUAL(o->n_inputs, 2);
	CU_ASSERT_EQUAL(o->n_observed, 1);
	CU_ASSERT_EQUAL(o->outputs[0], 0);
	CU_ASSERT_EQUAL(o->noise_std[0], 0);
	/* x first (the PDE's order), exactly the decimal values written */
	static const double x[] = {-0.25, 0.5, 1, 1, -1, 0}, u[] = {1.5, -3.25e-2, 1e-300};
	static const long lines[] = {3, 5, 6};
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(o->train.x[i], x[i]);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(o->train.u[i], u[i]);
		CU_ASSERT_EQUAL(o->train.lines[i], lines[i]);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(o->path, "/good.csv"));
	pp_observations_destroy(o);
}

static void test_columns_map_to_the_pdes_inputs_and_outputs(void)
{
	pp_pde_info pde = cavity_box();
	pp_observations *o;
	pp_error err;

	pp_shell_write("map.csv", "b,a,P_obs,U_obs,w,v_other\n0.1,0.2,3,4,0.5,9\n0.3,0.4,5,6,0,9\n");
	CU_ASSERT_EQUAL_FATAL(read_yaml("data:\n  file: map.csv\n  inputs: {x: a, y: b}\n"
					"  outputs: {p: P_obs, u: U_obs}\n  weight: w\n",
					&pde, 1, &o, &err), PP_OK);
	/* observed in the PDE's output order: u (0), then p (2); v is not asked */
	CU_ASSERT_EQUAL(o->n_observed, 2);
	CU_ASSERT_EQUAL(o->outputs[0], 0);
	CU_ASSERT_EQUAL(o->outputs[1], 2);
	CU_ASSERT_EQUAL(o->train.x[0], 0.2);
	CU_ASSERT_EQUAL(o->train.x[1], 0.1);
	CU_ASSERT_EQUAL(o->train.u[0], 4);
	CU_ASSERT_EQUAL(o->train.u[1], 3);
	CU_ASSERT_EQUAL(o->train.u[2], 6);
	CU_ASSERT_EQUAL(o->train.u[3], 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o->train.weights);
	CU_ASSERT_EQUAL(o->train.weights[0], 0.5);
	CU_ASSERT_EQUAL(o->train.weights[1], 0);
	pp_observations_destroy(o);

	/* by default every output that is a column under its own name */
	pp_shell_write("same.csv", "y,x,p,u\n0.1,0.2,3,4\n");
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: same.csv}\n", &pde, 1, &o, &err), PP_OK);
	CU_ASSERT_EQUAL(o->n_observed, 2);
	CU_ASSERT_EQUAL(o->outputs[0], 0);
	CU_ASSERT_EQUAL(o->outputs[1], 2);
	CU_ASSERT_EQUAL(o->train.x[0], 0.2);
	CU_ASSERT_EQUAL(o->train.u[0], 4);
	CU_ASSERT_EQUAL(o->train.u[1], 3);
	pp_observations_destroy(o);

	/* a key that is no input or output of the PDE, with the ones it has */
	CU_ASSERT_EQUAL(read_yaml("data:\n  file: same.csv\n  inputs: {z: x}\n", &pde, 1, &o, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "exp.yaml:3:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "unknown key 'z'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "x, y"));
	CU_ASSERT_EQUAL(read_yaml("data:\n  file: same.csv\n  outputs: {q: u}\n", &pde, 1, &o, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "exp.yaml:3:13: data.outputs: 'q' is not an output of the PDE; its outputs are u, v, p"));
	CU_ASSERT_PTR_NULL(o);
}

/* The resolved YAML of @yaml after reading its data (config.yaml's text)
 * and the keys asked for that took no default, both for the caller to free. */
static void resolve(const char *yaml, char **text, char **unrecorded)
{
	pp_pde_info pde = cavity_box();
	pp_config_doc *doc = NULL;
	pp_observations *o = NULL;
	pp_error err = {0};
	size_t len;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(pp_config_doc_parse(yaml, strlen(yaml), "exp.yaml", &doc, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_observations_read(pp_config_get(pp_config_doc_root(doc), "data"), &pde,
					     dir, 9, &o, &err), PP_OK);
	f = open_memstream(text, &len);
	CU_ASSERT_EQUAL(pp_config_write_resolved(pp_config_doc_root(doc), f), PP_OK);
	fclose(f);
	f = open_memstream(unrecorded, &len);
	pp_config_list_unrecorded(pp_config_doc_root(doc), f);
	fclose(f);
	pp_observations_destroy(o);
	pp_config_doc_destroy(doc);
}

static void test_the_defaults_taken_are_written_back(void)
{
	char *text, *list;

	/* what a run's config.yaml says, so that read back it asks the same:
	 * the outputs found in the file are written as the mapping they took */
	pp_shell_write("same.csv", "y,x,p,u\n0.1,0.2,3,4\n");
	resolve("data:\n  file: same.csv\n", &text, &list);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "seed: 9"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "noise: 0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "validation: 0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "points: 0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "x: x"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "u: u"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "p: p"));
	CU_ASSERT_PTR_NULL(strstr(text, "v: v"));  /* not a column: not observed */
	/* the one key whose absence is the setting: no weights */
	CU_ASSERT_STRING_EQUAL(list, "data.weight\n");
	free(text);
	free(list);
	/* outputs: names some; the others are not asked for (no default) */
	resolve("data:\n  file: same.csv\n  outputs: {u: u}\n", &text, &list);
	CU_ASSERT_PTR_NULL(strstr(text, "p: p"));
	CU_ASSERT_STRING_EQUAL(list, "data.weight\n");
	free(text);
	free(list);
}

/* Population std of column 0 of @u (n rows of @m). */
static double column_std(const double *u, size_t n, int m)
{
	double mean = 0, var = 0;

	for (size_t i = 0; i < n; i++)
		mean += u[i * m];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		var += (u[i * m] - mean) * (u[i * m] - mean);
	return sqrt(var / (double)n);
}

static void test_noise_has_the_asked_level_and_follows_the_seed(void)
{
	pp_pde_info pde = burgers_box();
	pp_observations *clean, *noisy, *again, *other;
	pp_error err;
	size_t n;

	write_smooth("smooth.csv", 2000);
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: smooth.csv, seed: 7}\n", &pde, 1, &clean, &err),
			      PP_OK);
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: smooth.csv, seed: 7, noise: 0.01}\n", &pde, 1,
					&noisy, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: smooth.csv, seed: 7, noise: 0.01}\n", &pde, 99,
					&again, &err), PP_OK);
	/* no seed: the caller's (the experiment's) */
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: smooth.csv, noise: 0.01}\n", &pde, 8, &other,
					&err), PP_OK);
	n = clean->train.n;
	CU_ASSERT_EQUAL_FATAL(n, 2000);
	CU_ASSERT_EQUAL_FATAL(noisy->train.n, n);
	CU_ASSERT_EQUAL(other->seed, 8);
	/* noise·std(u), std over the rows as numpy's np.std */
	double sigma = 0.01 * column_std(clean->train.u, n, 1);
	PP_ASSERT_CLOSE(noisy->noise_std[0], sigma, 0, 1e-12);
	double mean = 0, var = 0;
	for (size_t i = 0; i < n; i++)
		mean += noisy->train.u[i] - clean->train.u[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double d = noisy->train.u[i] - clean->train.u[i] - mean;
		var += d * d;
	}
	/* n = 2000 normal draws: the sample std has a relative standard error
	 * of 1/sqrt(2(n-1)) = 1.6 %, the mean a standard error of σ/sqrt(n);
	 * 5 standard errors (8 % and 0.11 σ) fail by chance with odds below
	 * 1e-6, while a noise off by a factor such as std vs variance, or no
	 * noise, is far outside */
	PP_ASSERT_CLOSE(sqrt(var / (double)(n - 1)), sigma, 0, 5 / sqrt(2.0 * (double)(n - 1)));
	CU_ASSERT(fabs(mean) < 5 * sigma / sqrt((double)n));
	/* inputs untouched; the same seed the same noise, bit for bit; another
	 * seed other noise */
	CU_ASSERT_EQUAL(memcmp(noisy->train.x, clean->train.x, 2 * n * sizeof(double)), 0);
	CU_ASSERT_EQUAL(memcmp(noisy->train.u, again->train.u, n * sizeof(double)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(noisy->train.u, other->train.u, n * sizeof(double)), 0);
	pp_observations_destroy(clean);
	pp_observations_destroy(noisy);
	pp_observations_destroy(again);
	pp_observations_destroy(other);
}

/* 1 when @p's lines increase strictly and each is marked once in seen[]
 * (lines 2..1001 of a 1000-row file). */
static int mark_lines(const pp_observation_part *p, unsigned char *seen)
{
	for (size_t i = 0; i < p->n; i++) {
		long l = p->lines[i];
		if (l < 2 || l > 1001 || seen[l] || (i && p->lines[i - 1] >= l))
			return 0;
		seen[l] = 1;
	}
	return 1;
}

static void test_the_validation_split_has_its_size_and_is_disjoint(void)
{
	pp_pde_info pde = burgers_box();
	pp_observations *a, *b, *c, *noisy;
	unsigned char seen[1002] = {0};
	pp_error err;

	write_smooth("split.csv", 1000);
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: split.csv, validation: 0.2, weight: w}\n", &pde,
					3, &a, &err), PP_OK);
	CU_ASSERT_EQUAL(a->n_rows, 1000);
	CU_ASSERT_EQUAL(a->train.n, 800);
	CU_ASSERT_EQUAL_FATAL(a->val.n, 200);
	CU_ASSERT_PTR_NOT_NULL(a->val.weights);
	/* each row in exactly one part, both in file order */
	CU_ASSERT_TRUE(mark_lines(&a->train, seen));
	CU_ASSERT_TRUE(mark_lines(&a->val, seen));
	for (int l = 2; l <= 1001; l++)
		CU_ASSERT_EQUAL(seen[l], 1);
	/* a row's values go with it: weight = (line - 2) mod 3 */
	for (size_t i = 0; i < a->val.n; i++)
		CU_ASSERT_EQUAL(a->val.weights[i], (double)((a->val.lines[i] - 2) % 3));
	/* the same seed the same split, also with noise; another seed another */
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: split.csv, validation: 0.2, weight: w}\n", &pde,
					3, &b, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: split.csv, validation: 0.2, noise: 0.1}\n",
					&pde, 3, &noisy, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: split.csv, validation: 0.2, seed: 4}\n", &pde, 3,
					&c, &err), PP_OK);
	CU_ASSERT_EQUAL(memcmp(a->val.lines, b->val.lines, 200 * sizeof(long)), 0);
	CU_ASSERT_EQUAL(memcmp(a->val.lines, noisy->val.lines, 200 * sizeof(long)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a->val.lines, c->val.lines, 200 * sizeof(long)), 0);
	pp_observations_destroy(a);
	pp_observations_destroy(b);
	pp_observations_destroy(c);
	pp_observations_destroy(noisy);
	/* nothing left to train on */
	CU_ASSERT_EQUAL(read_yaml("data: {file: split.csv, validation: 1}\n", &pde, 3, &a, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "holds out all 1000 rows"));
}

static void test_points_keeps_that_many_distinct_rows(void)
{
	pp_pde_info pde = burgers_box();
	pp_observations *a, *b, *c, *all;
	unsigned char seen[1002] = {0};
	pp_error err;

	write_smooth("subset.csv", 1000);
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: subset.csv, points: 300}\n", &pde, 5, &a, &err),
			      PP_OK);
	CU_ASSERT_EQUAL(a->n_rows, 1000);
	CU_ASSERT_EQUAL_FATAL(a->train.n, 300);
	CU_ASSERT_TRUE(mark_lines(&a->train, seen));  /* distinct, in file order */
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: subset.csv, points: 300}\n", &pde, 5, &b, &err),
			      PP_OK);
	CU_ASSERT_EQUAL(memcmp(a->train.lines, b->train.lines, 300 * sizeof(long)), 0);
	CU_ASSERT_EQUAL(memcmp(a->train.u, b->train.u, 300 * sizeof(double)), 0);
	/* the split is of the points kept */
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: subset.csv, points: 300, validation: 0.1}\n",
					&pde, 5, &c, &err), PP_OK);
	CU_ASSERT_EQUAL(c->train.n, 270);
	CU_ASSERT_EQUAL(c->val.n, 30);
	CU_ASSERT_EQUAL_FATAL(read_yaml("data: {file: subset.csv, points: 1000}\n", &pde, 5, &all,
					&err), PP_OK);
	CU_ASSERT_EQUAL(all->train.n, 1000);
	pp_observations_destroy(a);
	pp_observations_destroy(b);
	pp_observations_destroy(c);
	pp_observations_destroy(all);
	CU_ASSERT_EQUAL(read_yaml("data: {file: subset.csv, points: 1001}\n", &pde, 5, &a, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "exp.yaml:1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "only 1000 data rows"));
}

typedef struct bad_case {
	const char *yaml_extra;   /* after "data:\n  file: bad.csv\n" */
	const char *text;         /* the file */
	const char *where;        /* "bad.csv:LINE:" */
	const char *what;
} bad_case;

static void test_every_bad_file_is_an_error_at_its_line(void)
{
	static const bad_case cases[] = {
		{"", "", "bad.csv:1:", "empty file"},
		{"", "# only a comment\n\n", "bad.csv:2:", "empty file"},
		{"", "x,t,u\n", "bad.csv:1:", "no data rows after the header"},
		{"", "x,t,u\n0,0,1\n0,0\n", "bad.csv:3:", "2 fields, expected 3"},
		{"", "x,t,u\n0,0,1,4\n", "bad.csv:2:", "4 fields, expected 3"},
		{"", "x,t,u\n# c\n0,0,1\n0,zz,1\n", "bad.csv:4:", "column 't': 'zz' is not a number"},
		{"", "x,t,u\n0,0.5x,1\n", "bad.csv:2:", "'0.5x' is not a number"},
		{"", "x,t,u\n0,0,nan\n", "bad.csv:2:", "column 'u': 'nan' is not a finite number"},
		{"", "x,t,u\n0,0,-inf\n", "bad.csv:2:", "'-inf' is not a finite number"},
		{"", "x,t,u\n0,0,1e999\n", "bad.csv:2:", "'1e999' is not a finite number"},
		{"", "x,t,u\n0,,1\n", "bad.csv:2:", "column 't': '' is an empty field"},
		{"", "x,t,u\n0,0,1\n2,0.5,1\n", "bad.csv:3:", "x = 2 lies outside the PDE's domain [-1, 1]"},
		{"", "x,t,u\n0,-0.001,1\n", "bad.csv:2:", "t = -0.001 lies outside"},
		{"", "x,t,x\n0,0,1\n", "bad.csv:1:", "column 'x' appears twice in the header (columns 1 and 3)"},
		{"", "x,,u\n0,0,1\n", "bad.csv:1:", "column 2 of the header has no name"},
		{"", "x,t,w\n0,0,1\n", "bad.csv:1:", "no column is named after an output of the PDE (u)"},
		{"  outputs: {u: u_obs}\n", "x,t,u\n0,0,1\n", "bad.csv:1:",
		 "no column 'u_obs' (output u, named at exp.yaml:3:16); the columns are x, t, u"},
		{"  inputs: {t: time}\n", "x,t,u\n0,0,1\n", "bad.csv:1:", "no column 'time' (input t"},
		{"  weight: w\n", "x,t,u\n0,0,1\n", "bad.csv:1:", "no column 'w' (weight"},
		{"  weight: w\n", "x,t,u,w\n0,0,1,1\n0,0,1,-1\n", "bad.csv:3:",
		 "weight -1 is negative"},
		{"  weight: w\n", "x,t,u,w\n0,0,1,nan\n", "bad.csv:2:", "column 'w': 'nan'"},
	};
	pp_pde_info pde = burgers_box();
	pp_observations *o;
	pp_error err;
	char yaml[512];

	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		pp_shell_write("bad.csv", cases[k].text);
		snprintf(yaml, sizeof yaml, "data:\n  file: bad.csv\n%s", cases[k].yaml_extra);
		CU_ASSERT_EQUAL(read_yaml(yaml, &pde, 1, &o, &err), PP_ERR_CONFIG);
		CU_ASSERT_PTR_NULL(o);
		if (!strstr(err.message, cases[k].where) || !strstr(err.message, cases[k].what)) {
			fprintf(stderr, "\ncase %zu: '%s'\n", k, err.message);
			CU_FAIL("message without its file:line and what is wrong");
		}
	}
}

static void test_a_nul_byte_a_huge_file_and_bad_yaml_are_refused(void)
{
	pp_pde_info pde = burgers_box();
	pp_observations *o;
	pp_error err;
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/nul.csv", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite("x,t,u\n0,0,1\n0,0\0,1\n", 1, 20, f);
	fclose(f);
	CU_ASSERT_EQUAL(read_yaml("data: {file: nul.csv}\n", &pde, 1, &o, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "nul.csv:3: NUL byte"));
	/* more fields than the CSV reader looks at: never read as fewer */
	snprintf(path, sizeof path, "%s/wide.csv", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("x,t,u\n0,0", f);
	for (int i = 0; i < 5000; i++)
		fputs(",1", f);
	fputc('\n', f);
	fclose(f);
	CU_ASSERT_EQUAL(read_yaml("data: {file: wide.csv}\n", &pde, 1, &o, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "wide.csv:2: at least 4096 fields, expected 3"));
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("x,t,u", f);
	for (int i = 0; i < 5000; i++)
		fprintf(f, ",c%d", i);
	fputs("\n0,0,1\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(read_yaml("data: {file: wide.csv}\n", &pde, 1, &o, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "wide.csv:1: 4096 columns or more in the header; at most 4095"));
	/* a sparse file one byte past the limit: refused before it is read */
	snprintf(path, sizeof path, "%s/huge.csv", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("x,t,u\n", f);
	CU_ASSERT_EQUAL(ftruncate(fileno(f), PP_OBSERVATIONS_MAX_BYTES + 1), 0);
	fclose(f);
	CU_ASSERT_EQUAL(read_yaml("data: {file: huge.csv}\n", &pde, 1, &o, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "exp.yaml:1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "67108865 bytes, more than the 67108864"));
	CU_ASSERT_EQUAL(read_yaml("data: {file: missing.csv}\n", &pde, 1, &o, &err), PP_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "missing.csv: cannot open: No such file"));
	CU_ASSERT_EQUAL(read_yaml("data: {points: 3}\n", &pde, 1, &o, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "file"));
	pp_shell_write("ok.csv", "x,t,u\n0,0,1\n");
	CU_ASSERT_EQUAL(read_yaml("data: {file: ok.csv, noize: 0.1}\n", &pde, 1, &o, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "unknown key 'noize'"));
	CU_ASSERT_EQUAL(read_yaml("data: {file: ok.csv, noise: -1}\n", &pde, 1, &o, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(read_yaml("data: {file: ok.csv, inputs: [x, t]}\n", &pde, 1, &o, &err),
			PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "must be a map"));
	CU_ASSERT_PTR_NULL(o);
	/* an absolute path is taken as it is */
	snprintf(path, sizeof path, "data: {file: %s/ok.csv}\n", dir);
	CU_ASSERT_EQUAL_FATAL(read_yaml(path, &pde, 1, &o, &err), PP_OK);
	CU_ASSERT_EQUAL(o->train.n, 1);
	pp_observations_destroy(o);
}

static void test_a_link_a_directory_or_a_fifo_is_refused(void)
{
	pp_pde_info pde = burgers_box();
	pp_observations *o;
	pp_error err;
	char path[512];

	pp_shell_write("target.csv", "x,t,u\n0,0,1\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell("ln -sf target.csv link.csv && mkdir -p adir && "
				       "rm -f fifo.csv && mkfifo fifo.csv"), 0);
	CU_ASSERT_EQUAL(read_yaml("data: {file: link.csv}\n", &pde, 1, &o, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "link.csv is a symbolic link"));
	CU_ASSERT_EQUAL(read_yaml("data: {file: adir}\n", &pde, 1, &o, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "adir is a directory"));
	/* no writer: reading would block; refused at once */
	CU_ASSERT_EQUAL(read_yaml("data: {file: fifo.csv}\n", &pde, 1, &o, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "fifo.csv is a FIFO"));
	CU_ASSERT_PTR_NULL(o);
	/* the file itself reads */
	CU_ASSERT_EQUAL(read_yaml("data: {file: target.csv}\n", &pde, 1, &o, &err), PP_OK);
	pp_observations_destroy(o);
	snprintf(path, sizeof path, "%s/link.csv", dir);
	unlink(path);
}

/* Line @line (from 0) of @text into @buf. */
static int nth_line(const char *text, int line, char *buf, size_t size)
{
	for (; line > 0 && text; line--)
		if ((text = strchr(text, '\n')))
			text++;
	if (!text || !*text)
		return 0;
	size_t len = strcspn(text, "\n");
	if (len + 1 > size)
		return 0;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return 1;
}

static void test_reference_points_writes_distinct_grid_points_that_read_back(void)
{
	char *full, *sample, line[256], probe[260];
	pp_experiment *exp = NULL;
	pp_observations *o;
	pp_error err = {0};
	int rows = 0;

	pp_shell_write("ref.yaml", "pde:\n  type: helmholtz\nstages: []\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("reference ref.yaml --out full.csv --grid 21x21"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("reference ref.yaml --out a.csv --grid 21x21 "
					   "--points 100 --seed 5"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "100 random points (seed 5) of the 441"));
	CU_ASSERT_EQUAL(pp_shell_cli("reference ref.yaml --out b.csv --grid 21x21 --points 100 "
				     "--seed 5"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("reference ref.yaml --out c.csv --grid 21x21 --points 100 "
				     "--seed 6"), 0);
	CU_ASSERT_EQUAL(pp_shell("cmp -s a.csv b.csv"), 0);  /* the seed decides */
	CU_ASSERT_NOT_EQUAL(pp_shell("cmp -s a.csv c.csv"), 0);
	full = pp_shell_read("full.csv", NULL);
	sample = pp_shell_read("a.csv", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(full);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sample);
	CU_ASSERT_EQUAL(strncmp(sample, "x,y,u\n", 6), 0);
	/* each row a row of the grid, once; rows in grid order, so distinct
	 * rows mean each appears after the previous one in full.csv */
	const char *after = full;
	for (int i = 1; nth_line(sample, i, line, sizeof line); i++, rows++) {
		snprintf(probe, sizeof probe, "\n%s\n", line);
		const char *at = strstr(after, probe);
		CU_ASSERT_PTR_NOT_NULL(at);
		if (at)
			after = at + 1;
	}
	CU_ASSERT_EQUAL(rows, 100);
	/* and it is observation data for that PDE */
	CU_ASSERT_EQUAL_FATAL(pp_experiment_create(strcat(strcpy(probe, dir), "/ref.yaml"),
						   pp_test_registry(), NULL, PP_EXPERIMENT_PDE_ONLY,
						   &exp, &err), PP_OK);
	CU_ASSERT_EQUAL(read_yaml("data: {file: a.csv}\n", &exp->pde, 1, &o, &err), PP_OK);
	if (o) {
		CU_ASSERT_EQUAL(o->train.n, 100);
		CU_ASSERT_EQUAL(o->n_observed, 1);
		/* the first row's x as written */
		CU_ASSERT_TRUE(nth_line(sample, 1, line, sizeof line));
		CU_ASSERT_EQUAL(strtod(line, NULL), o->train.x[0]);
	} else {
		fprintf(stderr, "\n%s\n", err.message);
	}
	pp_observations_destroy(o);
	pp_experiment_destroy(exp);
	free(full);
	free(sample);
	/* Burgers' 2,000 points, as Raissi et al. draw them, read back with a
	 * split (x and t are on the box's edges at the grid's ends) */
	pp_shell_write("burgers.yaml", "pde:\n  type: burgers\nstages: []\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("reference burgers.yaml --out b.csv --points 2000"), 0);
	exp = NULL;
	CU_ASSERT_EQUAL_FATAL(pp_experiment_create(strcat(strcpy(probe, dir), "/burgers.yaml"),
						   pp_test_registry(), NULL, PP_EXPERIMENT_PDE_ONLY,
						   &exp, &err), PP_OK);
	CU_ASSERT_EQUAL(read_yaml("data: {file: b.csv, validation: 0.2}\n", &exp->pde, 1, &o, &err),
			PP_OK);
	if (o) {
		CU_ASSERT_EQUAL(o->n_rows, 2000);
		CU_ASSERT_EQUAL(o->train.n, 1600);
		CU_ASSERT_EQUAL(o->val.n, 400);
	} else {
		fprintf(stderr, "\n%s\n", err.message);
	}
	pp_observations_destroy(o);
	pp_experiment_destroy(exp);
	/* more points than the grid has: usage error, nothing written */
	CU_ASSERT_EQUAL(pp_shell_cli("reference ref.yaml --out d.csv --grid 21x21 --points 442"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "only 441 points"));
	CU_ASSERT_FALSE(pp_shell_exists("d.csv"));
	CU_ASSERT_EQUAL(pp_shell_cli("reference ref.yaml --out d.csv --seed 3"), 2);
	CU_ASSERT_EQUAL(pp_shell_cli("reference ref.yaml --out d.csv --points 1x"), 2);
	CU_ASSERT_FALSE(pp_shell_exists("d.csv"));
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"a good file reads back exactly", test_a_good_file_reads_back_exactly},
		{"columns map to the PDE's inputs and outputs", test_columns_map_to_the_pdes_inputs_and_outputs},
		{"the defaults taken are written back", test_the_defaults_taken_are_written_back},
		{"noise has the asked level and follows the seed", test_noise_has_the_asked_level_and_follows_the_seed},
		{"the validation split has its size and is disjoint", test_the_validation_split_has_its_size_and_is_disjoint},
		{"points keeps that many distinct rows", test_points_keeps_that_many_distinct_rows},
		{"every bad file is an error at its line", test_every_bad_file_is_an_error_at_its_line},
		{"a NUL byte, a huge file and bad YAML are refused", test_a_nul_byte_a_huge_file_and_bad_yaml_are_refused},
		{"a link, a directory or a FIFO is refused", test_a_link_a_directory_or_a_fifo_is_refused},
		{"reference --points writes distinct grid points that read back", test_reference_points_writes_distinct_grid_points_that_read_back},
		{NULL, NULL},
	};
	int failed;

	if (pp_shell_init(dir) != 0)
		return 1;
	failed = pp_test_run("observations", cases);
	if (!failed)
		pp_shell_cleanup();
	return failed;
}
