/* libFuzzer harness: the bytes are a checkpoint file, taken through what
 * `phasepinn resume` does with it — pp_ckpt_read (header, section table),
 * then pp_train restoring one of four small experiments from it (the run
 * state, parameters, points, the sampler, and every plugin's load(): Adam,
 * SGD, L-BFGS, RBA, SA, causal, GradNorm, the analyzers) and training the
 * few steps left.
 *
 * Random corruption is what the CRC-32 is for, and tests/e2e/
 * test_checkpoint.c covers it; so here the size field and the CRC are
 * recomputed over the fuzzed bytes before reading, and the fuzzer explores
 * what a CRC cannot catch: a well-formed file with wrong contents (a
 * checkpoint of another experiment, a plugin blob of the wrong length, an
 * impossible stage or step).  Any clean error is fine; a crash, a leak or
 * undefined behaviour is a finding (docs/hardening.md).
 *
 * Seeds: with PP_FUZZ_SEED_DIR=DIR set, the harness trains each experiment
 * once with a checkpoint every 2 steps, copies the checkpoints into DIR and
 * exits (scripts/fuzz.sh does this). */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "core/experiment.h"
#include "core/rundir.h"
#include "core/trainer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* The experiments a checkpoint is restored into; byte 36 of the file (a
 * reserved field the reader does not check) picks one, so that every
 * plugin with checkpoint hooks gets fuzzed: variant 0 RBA with Adam then
 * L-BFGS, 1 SA with SGD, 2 causal, 3 GradNorm; the analyzers vary too. */
#define COMMON \
	"seed: 3\n" \
	"pde:\n  type: burgers\n  terms:\n    residual: {points: 60}\n" \
	"    initial: {points: 20}\n    boundary: {points: 20}\n" \
	"network:\n  layers: [6, 6]\n" \
	"sampling: {resample_every: 3}\n" \
	"checkpoint: {every: 2, keep: 100}\n"
static const char *const experiments[] = {
	COMMON "weighting: {type: rba}\n"
	"stages:\n  - optimizer: adam\n    iterations: 6\n  - optimizer: lbfgs\n    iterations: 4\n"
	"analyzers:\n  - {type: snr, every: 2, chunks: 10}\n  - {type: phases, every: 2, chunks: 10}\n"
	"  - {type: adam_snr, every: 3}\n",
	COMMON "weighting: {type: sa}\n"
	"stages:\n  - optimizer: sgd\n    iterations: 8\n    momentum: 0.9\n"
	"analyzers:\n  - {type: homogeneity, every: 2}\n  - {type: information, every: 4}\n",
	COMMON "weighting: {type: causal}\n"
	"stages:\n  - optimizer: adam\n    iterations: 8\n"
	"analyzers:\n  - {type: snr, every: 2, mode: sample}\n",
	COMMON "weighting: {type: gradnorm, every: 2}\n"
	"stages:\n  - optimizer: sgd\n    iterations: 4\n  - optimizer: lbfgs\n    iterations: 4\n"
	"analyzers:\n  - {type: phases, every: 2, chunks: 10}\n",
};
#define N_EXPERIMENTS (int)(sizeof experiments / sizeof experiments[0])

static pp_registry *registry;
static char dir[] = "/tmp/pp_fuzz_ckpt_XXXXXX";
static char input[sizeof dir + 16];

const char *__asan_default_options(void)
{
	return "max_allocation_size_mb=256:allocator_may_return_null=1";
}

static int make_experiment(int variant, pp_experiment **exp, pp_error *err)
{
	const char *text = experiments[variant % N_EXPERIMENTS];
	pp_config_doc *doc = NULL;
	int rc = pp_config_doc_parse(text, strlen(text), "fuzz_checkpoint.yaml", &doc, err);

	if (rc)
		return rc;
	/* CHECK mode: plugins get no run directory, so nothing but the
	 * checkpoints (seeding only) is written. */
	return pp_experiment_create_doc(doc, registry, dir, PP_EXPERIMENT_CHECK, exp, err);
}

/* Move the checkpoints just written into @seed_dir as v<variant>-<name>,
 * with byte 36 naming the variant. */
static int move_seeds(const char *seed_dir, int variant, pp_error *err)
{
	char from[4200], to[4200], ckdir[4200];
	struct dirent *e;
	DIR *d;
	int rc = PP_OK;

	snprintf(ckdir, sizeof ckdir, "%s/%s", dir, PP_RUN_CHECKPOINTS);
	if (!(d = opendir(ckdir)))
		return pp_error_set(err, PP_ERR_IO, "no checkpoints in %s", ckdir);
	while (!rc && (e = readdir(d)) != NULL) {
		pp_ckpt *c = NULL;
		FILE *f;
		if (e->d_name[0] == '.')
			continue;
		snprintf(from, sizeof from, "%s/%s", ckdir, e->d_name);
		snprintf(to, sizeof to, "%s/v%d-%s", seed_dir, variant, e->d_name);
		rc = pp_ckpt_read(from, &c, err);
		if (rc)
			break;
		c->data[36] = (unsigned char)variant;
		f = fopen(to, "wb");
		if (!f || fwrite(c->data, 1, c->size, f) != c->size)
			rc = pp_error_set(err, PP_ERR_IO, "cannot write %s", to);
		if (f)
			fclose(f);
		pp_ckpt_free(c);
		unlink(from);
	}
	closedir(d);
	return rc;
}

/* Train each experiment once with checkpoints on; their checkpoints are
 * the seeds. */
static int write_seeds(const char *seed_dir, pp_error *err)
{
	int rc = PP_OK;

	for (int v = 0; v < N_EXPERIMENTS && !rc; v++) {
		pp_experiment *exp = NULL;
		pp_train_options opts = {0};
		pp_train_result *res = calloc(1, sizeof *res);

		rc = res ? make_experiment(v, &exp, err) : PP_ERR_NOMEM;
		opts.checkpoints = 1;
		if (!rc)
			rc = pp_train(exp, &opts, res, err);
		pp_experiment_destroy(exp);
		free(res);
		if (!rc)
			rc = move_seeds(seed_dir, v, err);
	}
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seed_dir = getenv("PP_FUZZ_SEED_DIR");
	pp_error err = {0};

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir) || pp_registry_create(&registry, &err) ||
	    pp_registry_load_default(registry, NULL, 0, &err)) {
		fprintf(stderr, "fuzz_checkpoint: %s\n", err.message[0] ? err.message : dir);
		abort();
	}
	snprintf(input, sizeof input, "%s/in.ckpt", dir);
	if (seed_dir) {
		int rc = write_seeds(seed_dir, &err);
		if (rc)
			fprintf(stderr, "fuzz_checkpoint: %s\n", err.message);
		exit(rc ? 1 : 0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pp_experiment *exp = NULL;
	pp_train_options opts = {0};
	pp_train_result *res = NULL;
	pp_ckpt *ckpt = NULL;
	pp_error err = {0};
	unsigned char *buf;
	uint64_t total = size;
	uint32_t crc;
	FILE *f;

	if (size < 48 || size > (1u << 22))
		return 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memcpy(buf + 24, &total, 8);
	crc = pp_crc32(0, buf, size - 8);
	memcpy(buf + size - 8, &crc, 4);
	f = fopen(input, "wb");
	if (f) {
		fwrite(buf, 1, size, f);
		fclose(f);
	}
	free(buf);
	if (!f || pp_ckpt_read(input, &ckpt, &err) != PP_OK)
		return 0;
	res = calloc(1, sizeof *res);
	if (res && make_experiment(data[36], &exp, &err) == PP_OK) {
		opts.resume = ckpt;
		pp_train(exp, &opts, res, &err);
	}
	pp_experiment_destroy(exp);
	pp_ckpt_free(ckpt);
	free(res);
	return 0;
}
