/* phasepinn — checkpoint hooks for plugins that keep nothing between steps.
 *
 * A plugin without save/load hooks makes `phasepinn resume` refuse, because
 * the core cannot know whether it carries state from one step to the next.
 * A plugin whose state is only its configuration and scratch space says so
 * with these: it saves zero bytes and accepts only zero bytes back.
 *
 *     .save = pp_stateless_save, .load = pp_stateless_load,
 */
#ifndef PHASEPINN_PLUGINS_COMMON_STATELESS_H
#define PHASEPINN_PLUGINS_COMMON_STATELESS_H

#include <stddef.h>
#include <phasepinn/error.h>

static inline int pp_stateless_save(void *state, void *buf, size_t *size, pp_error *err)
{
	(void)state;
	(void)buf;
	(void)err;
	*size = 0;
	return PP_OK;
}

static inline int pp_stateless_load(void *state, const void *buf, size_t size, pp_error *err)
{
	(void)state;
	(void)buf;
	if (size != 0)
		return pp_error_set(err, PP_ERR_INVALID,
				    "expected no saved state, found %zu bytes", size);
	return PP_OK;
}

#endif
