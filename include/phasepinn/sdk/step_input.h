/* phasepinn plugin SDK — the check an optimizer's step() makes first.
 *
 * For plugin authors (installed as <phasepinn/sdk/step_input.h>,
 * header-only): pp_step_input_check() refuses a non-finite loss or
 * gradient the way every shipped optimizer does.
 *
 * A non-finite loss or gradient is refused with PP_ERR_NUMERIC and a message
 * naming the optimizer, the step and the first bad entry, before any state
 * or parameter changes: the trainer then keeps the last good parameters.
 */
#ifndef PHASEPINN_SDK_STEP_INPUT_H
#define PHASEPINN_SDK_STEP_INPUT_H

#include <math.h>
#include <stddef.h>

#include <phasepinn/error.h>
#include <phasepinn/optimizer.h>

static inline int pp_step_input_check(const char *optimizer, const pp_optimizer_args *args,
				      size_t n_params, pp_error *err)
{
	if (!isfinite(args->loss))
		return pp_error_set(err, PP_ERR_NUMERIC,
				    "%s: loss is not finite at step %ld (%g); parameters unchanged",
				    optimizer, args->step, args->loss);
	for (size_t j = 0; j < n_params; j++)
		if (!isfinite(args->grad[j]))
			return pp_error_set(err, PP_ERR_NUMERIC,
					    "%s: gradient entry %zu is not finite at step %ld (%g); parameters unchanged",
					    optimizer, j, args->step, (double)args->grad[j]);
	return PP_OK;
}

#endif
