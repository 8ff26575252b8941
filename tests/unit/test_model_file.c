/* The model file (core/model_file.h, docs/model-file.md): the .npz archive
 * phasepinn writes is a valid ZIP of valid .npy arrays that numpy reads,
 * reads back bit for bit, refuses damage with the fault named, and carries
 * a network into a fresh experiment exactly. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "core/config_doc.h"
#include "core/experiment.h"
#include "core/model_file.h"
#include "core/network_impl.h"

#include "pp_test.h"

static char dir[] = "/tmp/pp_test_model_file_XXXXXX";

static const double values[6] = {3.141592653589793, -0.0, 4.9e-324, 1.7976931348623157e308,
				 -1.0 / 3.0, 1e-300};
static const double vector[3] = {1, 2, 3};

/* A text member with non-ASCII characters, a 3 × 2 and a 3-vector. */
static int build(unsigned char **buf, size_t *len)
{
	pp_npz_member m[3] = {
		{.name = "metadata", .text = "{\"a\": \"\xc3\xa9t\xc3\xa9 \xe2\x88\x82u\"}"},
		{.name = "w", .ndim = 2, .shape = {3, 2}, .data = values},
		{.name = "layer0.b", .ndim = 1, .shape = {3}, .data = vector},
	};
	pp_error err = {0};

	return pp_npz_build(m, 3, buf, len, &err);
}

static uint32_t u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned u16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

static void test_an_npz_archive_reads_back_bit_for_bit(void)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	pp_model_tensor *t = NULL;
	pp_error err = {0};
	int n = 0;

	CU_ASSERT_EQUAL_FATAL(build(&buf, &len), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_npz_parse(buf, len, "a.npz", &t, &n, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(t[0].name, "metadata");
	CU_ASSERT_TRUE(t[0].is_text);
	CU_ASSERT_STRING_EQUAL(t[0].text, "{\"a\": \"\xc3\xa9t\xc3\xa9 \xe2\x88\x82u\"}");
	CU_ASSERT_STRING_EQUAL(t[1].name, "w");
	CU_ASSERT_EQUAL(t[1].ndim, 2);
	CU_ASSERT_EQUAL(t[1].shape[0], 3);
	CU_ASSERT_EQUAL(t[1].shape[1], 2);
	/* bit for bit: -0.0 and the denormal included */
	CU_ASSERT_EQUAL(memcmp(t[1].data, values, sizeof values), 0);
	CU_ASSERT_STRING_EQUAL(t[2].name, "layer0.b");
	CU_ASSERT_EQUAL(t[2].ndim, 1);
	CU_ASSERT_EQUAL(memcmp(t[2].data, vector, sizeof vector), 0);
	pp_npz_free_tensors(t, n);
	free(buf);
}

/* Walk the archive as APPNOTE 6.3 and the .npy format 1.0 describe them. */
static void test_the_zip_and_npy_headers_are_what_the_formats_say(void)
{
	unsigned char *buf = NULL;
	size_t len = 0, off = 0, end;
	int members = 0;

	CU_ASSERT_EQUAL_FATAL(build(&buf, &len), PP_OK);
	end = len - 22;
	CU_ASSERT_EQUAL_FATAL(u32(buf + end), 0x06054b50u);  /* end of central directory */
	CU_ASSERT_EQUAL(u16(buf + end + 8), 3);
	CU_ASSERT_EQUAL(u16(buf + end + 10), 3);
	CU_ASSERT_EQUAL(u32(buf + end + 12) + u32(buf + end + 16), end);
	CU_ASSERT_EQUAL(u16(buf + end + 20), 0);
	while (u32(buf + off) == 0x04034b50u) {  /* local file headers */
		unsigned nlen = u16(buf + off + 26), xlen = u16(buf + off + 28);
		uint32_t size = u32(buf + off + 18);
		const unsigned char *npy = buf + off + 30 + nlen + xlen;
		unsigned hlen = u16(npy + 8);

		CU_ASSERT_EQUAL(u16(buf + off + 8), 0);      /* STORED */
		CU_ASSERT_EQUAL(u16(buf + off + 6) & 1, 0);  /* not encrypted */
		CU_ASSERT_EQUAL(u32(buf + off + 22), size);  /* sizes agree */
		CU_ASSERT_EQUAL(u32(buf + off + 14), pp_crc32(0, npy, size));
		CU_ASSERT_EQUAL(memcmp(buf + off + 30 + nlen - 4, ".npy", 4), 0);
		CU_ASSERT_EQUAL(memcmp(npy, "\x93NUMPY\x01\x00", 8), 0);
		CU_ASSERT_EQUAL((10 + hlen) % 64, 0);        /* data 64-byte aligned */
		CU_ASSERT_EQUAL(npy[10 + hlen - 1], '\n');
		if (members == 1)
			CU_ASSERT_EQUAL(memcmp(npy + 10,
					       "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }",
					       59), 0);
		if (members == 2)
			CU_ASSERT_EQUAL(memcmp(npy + 10, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
					       57), 0);
		if (members == 0)  /* 15 characters: é and ∂ are one each */
			CU_ASSERT_EQUAL(memcmp(npy + 10, "{'descr': '<U15', 'fortran_order': False, 'shape': (), }",
					       56), 0);
		off = (size_t)(npy - buf) + size;
		members++;
	}
	CU_ASSERT_EQUAL(members, 3);
	CU_ASSERT_EQUAL(off, u32(buf + end + 16));           /* central directory follows */
	CU_ASSERT_EQUAL(u32(buf + off), 0x02014b50u);
	free(buf);
}

/* numpy itself, when /usr/bin/python3 has it: every value as float.hex. */
static void test_numpy_loads_the_archive(void)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	char path[4200], cmd[8600], line[4096] = "";
	FILE *f, *p;

	if (system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
		pp_test_skip("/usr/bin/python3 has no numpy (apt-get install python3-numpy)");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(build(&buf, &len), PP_OK);
	snprintf(path, sizeof path, "%s/a.npz", dir);
	f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
	fclose(f);
	free(buf);
	snprintf(cmd, sizeof cmd,
		 "/usr/bin/python3 -c 'import numpy as np, json; z = np.load(\"%s\"); "
		 "print(sorted(z.files), z[\"w\"].shape, [float(v).hex() for v in z[\"w\"].ravel()], "
		 "json.loads(z[\"metadata\"].item())[\"a\"] == \"\\u00e9t\\u00e9 \\u2202u\", "
		 "z[\"layer0.b\"].tolist())' 2>&1",
		 path);
	p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, p));
	pclose(p);
	CU_ASSERT_STRING_EQUAL(line,
			       "['layer0.b', 'metadata', 'w'] (3, 2) ['0x1.921fb54442d18p+1', '-0x0.0p+0', "
			       "'0x0.0000000000001p-1022', '0x1.fffffffffffffp+1023', "
			       "'-0x1.5555555555555p-2', '0x1.56e1fc2f8f359p-997'] True [1.0, 2.0, 3.0]\n");
}

static int parse_fails(const unsigned char *buf, size_t len, const char *part)
{
	pp_model_tensor *t = NULL;
	pp_error err = {0};
	int n = 0, rc = pp_npz_parse(buf, len, "bad.npz", &t, &n, &err);

	pp_npz_free_tensors(t, n);
	if (rc == PP_OK || !strstr(err.message, part)) {
		printf("\n  expected an error with '%s', got %d: %s\n", part, rc, err.message);
		return 0;
	}
	return 1;
}

static void test_a_damaged_archive_is_refused_with_the_fault_named(void)
{
	unsigned char *buf = NULL, *copy;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(build(&buf, &len), PP_OK);
	copy = malloc(len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	/* one bit of the first member's data */
	memcpy(copy, buf, len);
	copy[30 + 12 + 100] ^= 1;
	CU_ASSERT_TRUE(parse_fails(copy, len, "CRC-32 mismatch"));
	/* a deflated member (method 8 in the central directory) */
	memcpy(copy, buf, len);
	copy[u32(buf + len - 22 + 16) + 10] = 8;
	CU_ASSERT_TRUE(parse_fails(copy, len, "compressed"));
	CU_ASSERT_TRUE(parse_fails(buf, len / 2, "not a ZIP"));
	CU_ASSERT_TRUE(parse_fails((const unsigned char *)"PK\x03\x04 not really", 17, "not a ZIP"));
	free(copy);
	free(buf);
}

/* Every truncation and every single-byte change of an archive: the reader
 * returns (an error, or the archive when the byte was one the reader does
 * not look at, such as the DOS time) and never reads outside the buffer
 * (each candidate is parsed from its own exact-size allocation, which
 * valgrind or ASan builds check). */
static void test_every_truncation_and_byte_change_is_survived(void)
{
	unsigned char *buf = NULL, *copy;
	size_t len = 0;
	int refused = 0, changes = 0;

	CU_ASSERT_EQUAL_FATAL(build(&buf, &len), PP_OK);
	for (size_t cut = 0; cut < len; cut++) {
		pp_model_tensor *t = NULL;
		pp_error err = {0};
		int n = 0;
		copy = malloc(cut ? cut : 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
		memcpy(copy, buf, cut);
		CU_ASSERT_NOT_EQUAL(pp_npz_parse(copy, cut, "cut.npz", &t, &n, &err), PP_OK);
		pp_npz_free_tensors(t, n);
		free(copy);
	}
	copy = malloc(len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	for (size_t at = 0; at < len; at++) {
		for (int v = 0; v < 3; v++) {
			static const unsigned char bytes[3] = {0x00, 0xff, 0x7f};
			pp_model_tensor *t = NULL;
			pp_error err = {0};
			int n = 0;
			memcpy(copy, buf, len);
			if (copy[at] == bytes[v])
				continue;
			copy[at] = bytes[v];
			changes++;
			refused += pp_npz_parse(copy, len, "flip.npz", &t, &n, &err) != PP_OK;
			pp_npz_free_tensors(t, n);
		}
	}
	/* the CRC covers every data byte: most changes are caught */
	CU_ASSERT(refused > changes / 2);
	free(copy);
	free(buf);
}

/* ---- the model of an experiment --------------------------------------------------- */

#define NET_YAML(seed, widths) \
	"seed: " seed "\npde:\n  type: heat\n  kappa: {trainable: true, init: 0.2, log: true}\n" \
	"network:\n  layers: " widths "\n  activation: sin\n" \
	"  embedding:\n    random_fourier: {features: 3, scale: 2.0}\n" \
	"  hard:\n    u: {type: dirichlet_box, inputs: [x], value: 0.5}\n" \
	"stages:\n  - optimizer: adam\n    iterations: 1\n"

static pp_experiment *experiment(const char *text)
{
	pp_config_doc *doc = NULL;
	pp_experiment *exp = NULL;
	pp_error err = {0};

	if (pp_config_doc_parse(text, strlen(text), "m.yaml", &doc, &err) ||
	    pp_experiment_create_doc(doc, pp_test_registry(), NULL, PP_EXPERIMENT_CHECK, &exp, &err))
		printf("\n  %s\n", err.message);
	return exp;
}

static void test_a_model_loads_into_a_fresh_experiment_bit_for_bit(void)
{
	pp_experiment *a = experiment(NET_YAML("1", "[5, 4]"));
	pp_experiment *b = experiment(NET_YAML("2", "[5, 4]"));
	pp_real x[2 * 7], ua[7], ub[7], *p;
	char path[4200];
	pp_model *m = NULL;
	pp_error err = {0};
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	/* parameters unlike any initialisation, a trained-looking coefficient */
	p = pp_network_params(a->net);
	n = pp_network_param_count(a->net);
	for (size_t i = 0; i < n; i++)
		p[i] = (pp_real)(0.37 * sin(1.0 + 3.1 * (double)i));
	for (int i = 0; i < 7; i++) {
		x[2 * i] = (pp_real)(-1.0 + 0.3 * i);
		x[2 * i + 1] = (pp_real)(0.1 * i);
	}
	/* the other seed drew another B: the file's must replace it */
	CU_ASSERT_NOT_EQUAL(a->net->features[0].b[0], b->net->features[0].b[0]);
	snprintf(path, sizeof path, "%s/model.npz", dir);
	CU_ASSERT_EQUAL_FATAL(pp_model_write(a, 42, path, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_model_read(path, &m, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_model_step(m), 42);
	CU_ASSERT_EQUAL_FATAL(pp_model_load_into(m, b, &err), PP_OK);
	CU_ASSERT_EQUAL(memcmp(pp_network_params(b->net), p, n * sizeof *p), 0);
	for (int j = 0; j < a->net->n_features; j++)
		CU_ASSERT_EQUAL(memcmp(a->net->features[j].b, b->net->features[j].b,
				       sizeof a->net->features[j].b), 0);
	CU_ASSERT_DOUBLE_EQUAL(b->trainable[0].init, exp((double)p[n - 1]), 1e-15);
	CU_ASSERT_EQUAL(pp_network_predict(a->net, 7, x, ua, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_network_predict(b->net, 7, x, ub, &err), PP_OK);
	CU_ASSERT_EQUAL(memcmp(ua, ub, sizeof ua), 0);
	CU_ASSERT_DOUBLE_EQUAL(ua[0], 0.5, 1e-15);   /* x = -1: the box's value */
	pp_model_free(m);
	pp_experiment_destroy(a);
	pp_experiment_destroy(b);
}

static void test_a_model_of_another_shape_is_refused_naming_both(void)
{
	pp_experiment *a = experiment(NET_YAML("1", "[5, 4]"));
	pp_experiment *b = experiment(NET_YAML("1", "[5, 5]"));
	char path[4200];
	pp_model *m = NULL;
	pp_error err = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	snprintf(path, sizeof path, "%s/model.npz", dir);
	CU_ASSERT_EQUAL_FATAL(pp_model_write(a, 1, path, &err), PP_OK);
	CU_ASSERT_EQUAL_FATAL(pp_model_read(path, &m, &err), PP_OK);
	CU_ASSERT_EQUAL(pp_model_load_into(m, b, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "layers [5, 4] sin"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "layers [5, 5] sin"));
	pp_model_free(m);
	pp_experiment_destroy(a);
	pp_experiment_destroy(b);
}

#define ARCH_YAML(net) \
	"seed: 3\npde:\n  type: heat\nnetwork:\n" net \
	"stages:\n  - optimizer: adam\n    iterations: 1\n"

/* modified_mlp, pirate and factorised weights carry over: the same
 * outputs (bit for bit without factorisation; with it V is rebuilt as
 * W/e^s, so to rounding), and another type is refused naming both. */
static void test_every_architecture_loads_into_a_fresh_experiment(void)
{
	static const char *const nets[] = {
		ARCH_YAML("  type: modified_mlp\n  layers: [5, 5]\n"),
		ARCH_YAML("  type: pirate\n  width: 4\n  blocks: 2\n  factorization: true\n"
			  "  embedding:\n    random_fourier: {features: 2}\n"),
		ARCH_YAML("  layers: [6, 3]\n  factorization: {mean: 0.5}\n"),
	};
	char path[4200];
	pp_error err = {0};
	pp_real x[2 * 7], ua[7], ub[7];

	snprintf(path, sizeof path, "%s/arch.npz", dir);
	for (int i = 0; i < 7; i++) {
		x[2 * i] = (pp_real)(-1.0 + 0.3 * i);
		x[2 * i + 1] = (pp_real)(0.1 * i);
	}
	for (int k = 0; k < 3; k++) {
		pp_experiment *a = experiment(nets[k]), *b = experiment(nets[k]);
		pp_experiment *other = experiment(nets[(k + 1) % 3]);
		pp_model *m = NULL;
		pp_real *p;
		size_t n;
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_PTR_NOT_NULL_FATAL(other);
		p = pp_network_params(a->net);
		n = pp_network_param_count(a->net);
		for (size_t i = 0; i < n; i++)
			p[i] = (pp_real)(0.37 * sin(1.0 + 3.1 * (double)i));
		CU_ASSERT_EQUAL_FATAL(pp_model_write(a, 5, path, &err), PP_OK);
		CU_ASSERT_EQUAL_FATAL(pp_model_read(path, &m, &err), PP_OK);
		CU_ASSERT_EQUAL_FATAL(pp_model_load_into(m, b, &err), PP_OK);
		if (!a->net->factorized)
			CU_ASSERT_EQUAL(memcmp(pp_network_params(b->net), p, n * sizeof *p), 0);
		pp_network_predict(a->net, 7, x, ua, &err);
		pp_network_predict(b->net, 7, x, ub, &err);
		for (int i = 0; i < 7; i++)
			CU_ASSERT_DOUBLE_EQUAL(ub[i], ua[i], 1e-13 * (1 + fabs((double)ua[i])));
		CU_ASSERT_EQUAL(pp_model_load_into(m, other, &err), PP_ERR_CONFIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "the file has type"));
		pp_model_free(m);
		pp_experiment_destroy(a);
		pp_experiment_destroy(b);
		pp_experiment_destroy(other);
	}
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"an npz archive reads back bit for bit", test_an_npz_archive_reads_back_bit_for_bit},
		{"the zip and npy headers are what the formats say",
		 test_the_zip_and_npy_headers_are_what_the_formats_say},
		{"numpy loads the archive", test_numpy_loads_the_archive},
		{"a damaged archive is refused with the fault named",
		 test_a_damaged_archive_is_refused_with_the_fault_named},
		{"every truncation and byte change is survived",
		 test_every_truncation_and_byte_change_is_survived},
		{"a model loads into a fresh experiment bit for bit",
		 test_a_model_loads_into_a_fresh_experiment_bit_for_bit},
		{"a model of another shape is refused naming both",
		 test_a_model_of_another_shape_is_refused_naming_both},
		{"every architecture loads into a fresh experiment",
		 test_every_architecture_loads_into_a_fresh_experiment},
		{NULL, NULL},
	};
	char cmd[64];
	int rc;

	if (!mkdtemp(dir))
		return 1;
	rc = pp_test_run("model_file", cases);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
