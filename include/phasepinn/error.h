/* phasepinn — error reporting.
 *
 * Every library function that can fail returns an int status: PP_OK (0) on
 * success or a negative pp_status.  Details go into a caller-owned pp_error,
 * which lives on the caller's stack: setting it never allocates, so it works
 * on out-of-memory paths too.
 */
#ifndef PHASEPINN_ERROR_H
#define PHASEPINN_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pp_status {
	PP_OK = 0,
	PP_ERR_NOMEM = -1,   /* allocation failed */
	PP_ERR_IO = -2,      /* file could not be read or written */
	PP_ERR_CONFIG = -3,  /* invalid experiment description */
	PP_ERR_PLUGIN = -4,  /* plugin missing, incompatible or failing */
	PP_ERR_INVALID = -5, /* a value is out of its domain */
	PP_ERR_NUMERIC = -6, /* non-finite numbers or a solver that failed */
	PP_ERR_STATE = -7,   /* call made in the wrong order */
	PP_ERR_INTERRUPTED = -8 /* stopped by a signal */
} pp_status;

#define PP_ERROR_MESSAGE_SIZE 1024

typedef struct pp_error {
	int code;                             /* a pp_status, PP_OK when clear */
	char message[PP_ERROR_MESSAGE_SIZE];  /* NUL-terminated, may be empty */
} pp_error;

/* Clear @err (may be NULL). */
void pp_error_clear(pp_error *err);

/* Format a message into @err (may be NULL) and return @code, so callers can
 * write `return pp_error_set(err, PP_ERR_INVALID, "...")`. */
int pp_error_set(pp_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "@context: " in front of the message already in @err; returns err->code. */
int pp_error_prefix(pp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Short English name of a status ("out of memory", ...). */
const char *pp_status_name(int code);

#ifdef __cplusplus
}
#endif
#endif
