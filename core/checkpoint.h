/* phasepinn — checkpoint files (private to the core, the CLI and tests).
 *
 * A checkpoint is one binary file, RUN_DIR/checkpoints/step-<step>.ckpt
 * (PP_RUN_CHECKPOINTS of core/rundir.h),
 * written atomically (temporary file, fsync, rename).  Layout, all integers
 * in the machine's byte order (a checkpoint moves between runs on the same
 * kind of machine, not between architectures):
 *
 *   offset  size  field
 *        0     8  magic "PPCKPT\r\n" (catches text-mode mangling)
 *        8     4  format version (PP_CKPT_VERSION)
 *       12     4  sizeof(pp_real): 8 for double builds, 4 for single
 *       16     8  global step the run continues from
 *       24     8  total file size in bytes, trailer included
 *       32     4  number of sections
 *       36     4  reserved, 0
 *       40        sections, each: u32 tag, u32 index, u64 payload length,
 *                 the payload, zero padding to a multiple of 8 bytes
 *      end-8   4  CRC-32 (IEEE 802.3 polynomial) of every byte before it
 *      end-4   4  reserved, 0
 *
 * Tags are four ASCII letters (PP_CKPT_TAG("PARM")).  What the trainer puts
 * in them is documented in docs/checkpoints.md.  A reader opens only regular
 * files (never following a symbolic link, never blocking on a FIFO), checks
 * the header — magic, version, real size, the size field against the
 * file's length — before it reads the rest, then the CRC and the section
 * table, so a truncated, extended or corrupted file is reported as such and
 * never half-used.
 *
 * Format 2 added section "EXPT", a pp_ckpt_origin: which run wrote the
 * checkpoint.  pp_ckpt_latest matches it against the run directory, so a
 * checkpoint copied in from another run is refused before anything is
 * touched. */
#ifndef PHASEPINN_CORE_CHECKPOINT_H
#define PHASEPINN_CORE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <phasepinn/error.h>

#include "core/rundir.h"

#define PP_CKPT_VERSION 2u
#define PP_CKPT_TAG(s) ((uint32_t)(unsigned char)(s)[0] | (uint32_t)(unsigned char)(s)[1] << 8 | \
			(uint32_t)(unsigned char)(s)[2] << 16 | (uint32_t)(unsigned char)(s)[3] << 24)

/* CRC-32 (reflected, polynomial 0xEDB88320, as zlib and PNG use) of @n bytes,
 * continuing from @crc (0 to start). */
uint32_t pp_crc32(uint32_t crc, const void *data, size_t n);

/* ---- writing ------------------------------------------------------------ */

typedef struct pp_ckpt_writer {
	unsigned char *buf;
	size_t len, cap;
	uint32_t n_sections;
	int failed;              /* out of memory at some put: write refuses */
} pp_ckpt_writer;

/* Start a checkpoint for @step (the header is filled in at write time). */
void pp_ckpt_writer_init(pp_ckpt_writer *w, long step);
/* Append a section.  Memory failures are remembered and reported by
 * pp_ckpt_write_file, so callers may put several sections unchecked. */
void pp_ckpt_put(pp_ckpt_writer *w, uint32_t tag, uint32_t index, const void *data,
		 size_t len);
/* Reserve a section of @len bytes and return where to fill it in (NULL on
 * memory failure, which write_file then reports).  Valid until the next put. */
void *pp_ckpt_reserve(pp_ckpt_writer *w, uint32_t tag, uint32_t index, size_t len);
/* Finish (header, CRC) and write atomically to @path. */
int pp_ckpt_write_file(pp_ckpt_writer *w, const char *path, pp_error *err);
void pp_ckpt_writer_free(pp_ckpt_writer *w);
/* The sections put so far, as they lie in the file, and their length (for
 * a data-parallel run's ranks, which send theirs to rank 0). */
const void *pp_ckpt_sections(const pp_ckpt_writer *w, size_t *len);
/* Append sections that pp_ckpt_sections of another writer returned. */
void pp_ckpt_put_sections(pp_ckpt_writer *w, const void *sections, size_t len);

/* ---- reading ------------------------------------------------------------ */

typedef struct pp_ckpt {
	unsigned char *data;     /* the whole file */
	size_t size;
	long step;
	char path[4096];
} pp_ckpt;

/* Read and verify @path.  Errors name the file and the fault ("checksum
 * mismatch", "truncated: 812 of 4096 bytes", ...).  PP_ERR_IO when the file
 * cannot be read, PP_ERR_INVALID when it is not a valid checkpoint. */
int pp_ckpt_read(const char *path, pp_ckpt **out, pp_error *err);
/* The payload of section (@tag, @index), its length in *len; NULL if absent. */
const void *pp_ckpt_find(const pp_ckpt *c, uint32_t tag, uint32_t index, size_t *len);
void pp_ckpt_free(pp_ckpt *c);

/* The newest valid checkpoint in RUN_DIR/checkpoints.  Each newer file that
 * fails verification, and each entry with a checkpoint's name that is not a
 * regular file, is named on @notes (may be NULL) with the reason, and the
 * next older one is tried.  PP_ERR_IO with a message saying what to do when
 * none is usable.  The one found must belong to the run
 * (pp_ckpt_check_origin): if not, PP_ERR_INVALID and nothing is returned. */
int pp_ckpt_latest(const char *run_dir, FILE *notes, pp_ckpt **out, pp_error *err);

/* ---- which run a checkpoint belongs to (section "EXPT") ------------------ */

#define PP_CKPT_TAG_ORIGIN PP_CKPT_TAG("EXPT")

typedef struct pp_ckpt_origin {
	uint64_t config_hash;    /* pp_ckpt_config_hash of the run's config.yaml */
	int64_t n_params;        /* the network's parameter count */
	int64_t metrics_bytes;   /* length of metrics.csv at the checkpoint, -1: none */
	uint32_t metrics_crc;    /* CRC-32 of those bytes */
	uint32_t reserved;       /* 0 */
	char network[256];       /* pp_network_describe(): widths, activation, features */
} pp_ckpt_origin;

/* A hash of the experiment in @text (YAML, @len bytes; @name for errors)
 * that ignores its layout and comments: FNV-1a 64 over the parsed tree.
 * config.yaml and the rendering the trainer hashes have the same tree. */
int pp_ckpt_config_hash(const char *text, size_t len, const char *name, uint64_t *hash,
			pp_error *err);
/* The origin section of @c, checked for its size and a NUL-terminated
 * network description. */
int pp_ckpt_origin_of(const pp_ckpt *c, pp_ckpt_origin *origin, pp_error *err);
/* Does @c belong to the run in @run_dir?  Its configuration hash must be
 * that of RUN_DIR/config.yaml, and the first metrics_bytes of
 * RUN_DIR/metrics.csv must be the bytes it recorded (which time_s makes
 * unique to one run).  PP_ERR_INVALID naming the checkpoint and what
 * differs otherwise. */
int pp_ckpt_check_origin(const pp_ckpt *c, const char *run_dir, pp_error *err);
/* Continue the CRC-32 *crc over bytes [@from, @to) of the open file @fd
 * (start with *crc = 0, @from = 0).  -1 when the file is shorter or
 * unreadable. */
int pp_ckpt_file_crc(int fd, int64_t from, int64_t to, uint32_t *crc);

/* Path of the checkpoint for @step in @run_dir. */
int pp_ckpt_path(char *buf, size_t size, const char *run_dir, long step, pp_error *err);
/* Delete the checkpoints of @run_dir after step @after (a resumed run
 * replays those steps), then all but the newest @keep of the rest, and
 * leftover temporary files of interrupted writes. */
int pp_ckpt_prune(const char *run_dir, int keep, long after, pp_error *err);
/* Delete every checkpoint of @run_dir (a run started over with --force). */
int pp_ckpt_remove_all(const char *run_dir, pp_error *err);

#endif
