/* libFuzzer harness: the bytes are a summary.json, read by
 * pp_summary_parse (core/summary.c over the JSON reader of core/json.c),
 * the function `resume` and the report go through.  Any status is fine; a
 * crash, a leak or undefined behaviour is a finding (docs/hardening.md). */
#include <stddef.h>
#include <stdint.h>

#include "core/summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pp_summary s;
	pp_error err = {0};

	pp_summary_parse((const char *)data, size, "fuzz.json", &s, &err);
	pp_summary_free(&s);
	return 0;
}
