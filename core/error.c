/* phasepinn — error reporting (see include/phasepinn/error.h). */
#include <phasepinn/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pp_error_clear(pp_error *err)
{
	if (!err)
		return;
	err->code = PP_OK;
	err->message[0] = '\0';
}

int pp_error_set(pp_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return code;
}

int pp_error_prefix(pp_error *err, const char *fmt, ...)
{
	char head[PP_ERROR_MESSAGE_SIZE];
	char old[PP_ERROR_MESSAGE_SIZE];
	va_list ap;

	if (!err)
		return PP_ERR_STATE;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof old);
	/* head + ": " + old, cut at the buffer's end */
	size_t n = strlen(head), m = strlen(old), cap = sizeof err->message - 1;
	n = n < cap ? n : cap;
	memcpy(err->message, head, n);
	if (n + 2 <= cap) {
		memcpy(err->message + n, ": ", 2);
		n += 2;
	}
	m = m < cap - n ? m : cap - n;
	memcpy(err->message + n, old, m);
	err->message[n + m] = '\0';
	return err->code;
}

const char *pp_status_name(int code)
{
	switch (code) {
	case PP_OK: return "ok";
	case PP_ERR_NOMEM: return "out of memory";
	case PP_ERR_IO: return "input/output error";
	case PP_ERR_CONFIG: return "configuration error";
	case PP_ERR_PLUGIN: return "plugin error";
	case PP_ERR_INVALID: return "invalid value";
	case PP_ERR_NUMERIC: return "numerical failure";
	case PP_ERR_STATE: return "invalid state";
	case PP_ERR_INTERRUPTED: return "interrupted";
	default: return "unknown error";
	}
}
