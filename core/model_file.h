/* phasepinn — the model file RUN_DIR/model.npz (docs/model-file.md): its
 * one writer and its one reader (private to the core, the command line and
 * tests).
 *
 * The file is a numpy .npz archive: a ZIP of STORED .npy members, one
 * `metadata` member (a 0-d unicode array holding JSON: architecture,
 * embedding, hard constraints, input and output names, coefficients, where
 * the run started from) and one float64 array per tensor (`features.B`,
 * `layer{l}.W`, `layer{l}.b`).  np.load reads it with numpy alone.
 */
#ifndef PHASEPINN_CORE_MODEL_FILE_H
#define PHASEPINN_CORE_MODEL_FILE_H

#include <stddef.h>

#include <phasepinn/error.h>

#include "core/experiment.h"
#include "core/json.h"

#define PP_MODEL_FORMAT_VERSION 1
#define PP_MODEL_MAX_DIMS 4

/* One member of an .npz archive as the reader gives it: a float64 array
 * (data, count values in C order) or a unicode one (text, UTF-8). */
typedef struct pp_model_tensor {
	char name[128];             /* the member's name without ".npy" */
	int is_text;                /* 1: '<U' array, text set; 0: '<f8', data set */
	int ndim;
	size_t shape[PP_MODEL_MAX_DIMS];
	size_t count;               /* product of shape (1 for a 0-d array) */
	double *data;
	char *text;
} pp_model_tensor;

typedef struct pp_model {
	char path[4096];
	int n_tensors;
	pp_model_tensor *tensors;
	pp_json *meta;              /* the parsed metadata */
} pp_model;

/* The experiment's network, coefficients and description (with
 * exp->init_from as "started_from") into @path, atomically (recorded in an
 * open run directory's manifest).  @step: the global step the parameters
 * are of. */
int pp_model_write(const pp_experiment *exp, long step, const char *path, pp_error *err);
/* The same into RUN_DIR/model.npz of the experiment's run directory
 * (exp->run_dir). */
int pp_model_write_run(const pp_experiment *exp, long step, pp_error *err);

/* Read and check @path: a ZIP of STORED .npy members with correct CRC-32,
 * every member a '<f8' or '<U' array, a `metadata` member of this format
 * (version not newer than ours).  Errors name the file and the fault. */
int pp_model_read(const char *path, pp_model **out, pp_error *err);
void pp_model_free(pp_model *m);
/* The member @name, NULL when absent. */
const pp_model_tensor *pp_model_tensor_find(const pp_model *m, const char *name);
/* The global step the file's parameters are of (metadata run.step). */
long pp_model_step(const pp_model *m);

/* Check that @m has @exp's architecture — inputs, outputs, activation,
 * widths, feature kinds — and copy its parameters into the network: the
 * embedding matrix, every layer, and each trainable coefficient of @exp
 * that the file has by name (its value, in @exp's parameterisation).
 * PP_ERR_CONFIG naming both shapes when they differ. */
int pp_model_load_into(const pp_model *m, pp_experiment *exp, pp_error *err);

/* ---- the archive layer, for tests ---------------------------------------- */

/* One member to write: @name without ".npy"; a float64 array (@data with
 * @ndim, @shape) or, when @text is set, a 0-d unicode array of it. */
typedef struct pp_npz_member {
	const char *name;
	int ndim;
	size_t shape[PP_MODEL_MAX_DIMS];
	const double *data;
	const char *text;
} pp_npz_member;

/* The bytes of an .npz archive of @n members into *buf (malloc'ed), its
 * length into *len. */
int pp_npz_build(const pp_npz_member *members, int n, unsigned char **buf, size_t *len,
		 pp_error *err);
/* Parse @len bytes of an archive (@name for messages) into tensors. */
int pp_npz_parse(const unsigned char *buf, size_t len, const char *name,
		 pp_model_tensor **tensors, int *n, pp_error *err);
void pp_npz_free_tensors(pp_model_tensor *tensors, int n);

#endif
