/* libFuzzer harness: the bytes are the CSV file of `phasepinn phases`, read
 * by pp_phase_read_csv into a detector with the default parameters, whose
 * transitions are then written out.  Any status is fine; a crash, a leak or
 * undefined behaviour is a finding (docs/hardening.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <phasepinn/phases.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pp_phase_params params;
	pp_phase_detector d;
	pp_error err = {0};
	FILE *f, *out;

	/* fmemopen refuses an empty buffer: an empty file is /dev/null */
	f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (!f)
		return 0;
	pp_phase_params_default(&params);
	pp_phase_init(&d, &params);
	if (pp_phase_read_csv(f, "fuzz.csv", &d, &err) == PP_OK) {
		out = fopen("/dev/null", "w");
		if (out) {
			pp_phase_write_transitions(&d, out);
			fclose(out);
		}
	}
	fclose(f);
	return 0;
}
