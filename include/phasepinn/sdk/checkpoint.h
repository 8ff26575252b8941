/* phasepinn plugin SDK — a common header for the blobs a plugin's save()
 * writes and load() reads back.
 *
 * For plugin authors (installed as <phasepinn/sdk/checkpoint.h>,
 * header-only): put and check a header that names the plugin, its state's
 * format version, the size of pp_real and the parameter count, so load()
 * refuses a blob of another plugin, version, precision or network with a
 * clear message before reading the state.  Every shipped optimizer uses it.
 *
 * Every optimizer's save() writes a 24-byte header, then its state:
 *   bytes 0..7    magic, the plugin's name padded with NULs ("adam", "lbfgs")
 *   bytes 8..11   uint32 format version of that plugin's state
 *   bytes 12..15  uint32 sizeof(pp_real): a single-precision build refuses a
 *                 double checkpoint instead of misreading it
 *   bytes 16..23  uint64 number of parameters
 * in host byte order (checkpoints resume on the machine that wrote them).
 */
#ifndef PHASEPINN_SDK_CHECKPOINT_H
#define PHASEPINN_SDK_CHECKPOINT_H

#include <stdint.h>
#include <string.h>

#include <phasepinn/error.h>
#include <phasepinn/real.h>

#define PP_CHECKPOINT_HEADER_SIZE 24

/* Write the header at @p; returns the position after it. */
static inline unsigned char *pp_checkpoint_put_header(unsigned char *p, const char *magic,
						      uint32_t version, size_t n_params)
{
	char tag[8] = {0};
	uint32_t real_size = sizeof(pp_real);
	uint64_t n = n_params;

	strncpy(tag, magic, sizeof tag);
	memcpy(p, tag, 8);
	memcpy(p + 8, &version, 4);
	memcpy(p + 12, &real_size, 4);
	memcpy(p + 16, &n, 8);
	return p + PP_CHECKPOINT_HEADER_SIZE;
}

/* Check that @buf (@size bytes) starts with the header @magic/@version for
 * @n_params parameters and is exactly @expected bytes long; *@body then
 * points at the state after the header. */
static inline int pp_checkpoint_check_header(const void *buf, size_t size, const char *magic,
					     uint32_t version, size_t n_params, size_t expected,
					     const unsigned char **body, pp_error *err)
{
	const unsigned char *p = buf;
	char tag[8] = {0};
	uint32_t got_version, real_size;
	uint64_t n;

	strncpy(tag, magic, sizeof tag);
	if (!buf || size < PP_CHECKPOINT_HEADER_SIZE || memcmp(p, tag, 8) != 0)
		return pp_error_set(err, PP_ERR_INVALID, "%s: not a checkpoint of this optimizer",
				    magic);
	memcpy(&got_version, p + 8, 4);
	memcpy(&real_size, p + 12, 4);
	memcpy(&n, p + 16, 8);
	if (got_version != version)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: checkpoint format version %u, this build reads %u", magic,
				    got_version, version);
	if (real_size != sizeof(pp_real))
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: checkpoint has %u-byte reals, this build uses %s precision",
				    magic, real_size, PP_REAL_NAME);
	if (n != n_params)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: checkpoint is for %llu parameters, this network has %zu", magic,
				    (unsigned long long)n, n_params);
	if (size != expected)
		return pp_error_set(err, PP_ERR_INVALID,
				    "%s: checkpoint is %zu bytes, expected %zu (different options?)",
				    magic, size, expected);
	*body = p + PP_CHECKPOINT_HEADER_SIZE;
	return PP_OK;
}

/* Copy @bytes from @src to *@p and advance it (save side). */
static inline void pp_checkpoint_put(unsigned char **p, const void *src, size_t bytes)
{
	memcpy(*p, src, bytes);
	*p += bytes;
}

/* Copy @bytes from *@p to @dst and advance it (load side). */
static inline void pp_checkpoint_get(const unsigned char **p, void *dst, size_t bytes)
{
	memcpy(dst, *p, bytes);
	*p += bytes;
}

#endif
