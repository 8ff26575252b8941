/* pp_phase_read_csv, the reader behind `phasepinn phases`: the columns it
 * recognises, the rows it skips, errors quoting name:line, and every CSV
 * the fuzzer found (the CSV files of tests/data/fuzz/) replayed as a clean result.
 * The detector on curves: excerpts of the authors' own SNR records
 * (tests/data/phases/authors_*.csv) against the iterations they report,
 * phasepinn's own runs in both precisions, and synthetic curves with a
 * known jump, noise, Adam-like spikes and slow drift. */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasepinn/phases.h>
#include <phasepinn/rng.h>

#include "pp_shell.h"
#include "pp_test.h"

/* Read @text as a CSV named "t.csv" into a default detector. */
static int read_text(const char *text, pp_phase_detector *d, pp_error *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	pp_phase_params p;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	pp_phase_params_default(&p);
	pp_phase_init(d, &p);
	rc = pp_phase_read_csv(f, "t.csv", d, err);
	fclose(f);
	return rc;
}

static void test_curve_with_three_phases_is_found(void)
{
	char text[65536];
	size_t n = 0;
	pp_phase_detector d;
	pp_error err = {0};

	n += (size_t)snprintf(text + n, sizeof text - n, "iteration,mu,sigma\n");
	for (int s = 0; s < 8000; s += 10)
		n += (size_t)snprintf(text + n, sizeof text - n, "%d,%g,1\n", s,
				      s < 1500 ? 5 : s < 6000 ? 0.01 : 3);
	CU_ASSERT_EQUAL_FATAL(read_text(text, &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 800);
	CU_ASSERT_EQUAL(d.n_transitions, 2);
	CU_ASSERT_EQUAL(d.transitions[0].phase, PP_PHASE_DIFFUSION);
	CU_ASSERT_EQUAL(d.transitions[1].phase, PP_PHASE_EQUILIBRIUM);
}

static void test_metrics_columns_and_empty_cells(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	/* metrics.csv names: snr_mu, snr_sigma; empty cells and blank lines skipped */
	CU_ASSERT_EQUAL(read_text("step,stage,\"snr_mu\" , snr_sigma\r\n0,0,5,1\r\n10,0,,\n\n20,0,4,1\n",
				  &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 2);
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10,\n20,4\n", &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 2);
}

static void test_bad_input_quotes_name_and_line(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_EQUAL(read_text("", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:1: empty file"));
	CU_ASSERT_EQUAL(read_text("step,loss\n0,1\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:1: need columns"));
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10,abc\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:3: expected a number, found 'abc'"));
	CU_ASSERT_EQUAL(d.samples, 1);   /* rows before the error were fed */
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10.5,4\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:3: expected an integer iteration"));
	CU_ASSERT_EQUAL(read_text("iteration,mu,sigma\n0,5\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:2: 2 fields, expected at least 3"));
	CU_ASSERT_EQUAL(read_text("iteration,snr\n1e300,5\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,1e999\n", &d, &err), PP_ERR_CONFIG);
}

static void test_nul_byte_is_an_error_by_line(void)
{
	static const char text[] = "iteration,snr\n0,5\n1\0,4\n";
	FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
	pp_phase_params p;
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	pp_phase_params_default(&p);
	pp_phase_init(&d, &p);
	CU_ASSERT_EQUAL(pp_phase_read_csv(f, "t.csv", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:3: NUL byte"));
	fclose(f);
}

/* Old Mac files end lines with a lone CR, Windows files with CRLF:
 * both read as the same rows as LF. */
static void test_cr_only_and_crlf_line_ends_read_as_lines(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_EQUAL(read_text("iteration,snr\r0,5\r10,4\r20,3", &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 3);
	CU_ASSERT_EQUAL(read_text("iteration,snr\r\n0,5\r\n10,4\r\n\r\n20,3\r\n", &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 3);
	/* errors count lines the same way */
	CU_ASSERT_EQUAL(read_text("iteration,snr\r0,5\rten,4\r", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:3: expected an integer iteration, found 'ten'"));
}

static void test_utf8_byte_order_mark_is_not_part_of_the_header(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_EQUAL(read_text("\xEF\xBB\xBFiteration,snr\n0,5\n10,4\n", &d, &err), PP_OK);
	CU_ASSERT_EQUAL(d.samples, 2);
}

static void test_unsorted_or_repeated_iterations_are_errors(void)
{
	pp_phase_detector d;
	pp_error err = {0};

	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n20,4\n10,3\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:4: iteration 10 does not follow iteration 20 of line 3"));
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10,4\n\n10,3\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:5: iteration 10 does not follow iteration 10 of line 3"));
	/* a row with an empty signal still has its place in the order */
	CU_ASSERT_EQUAL(read_text("iteration,snr\n0,5\n10,\n5,3\n", &d, &err), PP_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t.csv:4: iteration 5"));
}

/* The detector's thresholds must be numbers: strtod reads "nan" and "inf",
 * and a NaN threshold makes every comparison false. */
static void test_non_finite_option_values_are_refused(void)
{
	static char dir[] = "/tmp/pp_test_phases_XXXXXX";
	static const char *const options[] = {"--diffusion-below nan", "--equilibrium-above inf",
					      "--jump-factor -inf", "--diffusion-below 'NAN(1)'", NULL};

	CU_ASSERT_EQUAL_FATAL(pp_shell_init(dir), 0);
	pp_shell_write("c.csv", "iteration,snr\n0,5\n10,4\n");
	CU_ASSERT_EQUAL(pp_shell_cli("phases c.csv --diffusion-below 0.2"), 0);
	for (int i = 0; options[i]; i++) {
		CU_ASSERT_EQUAL(pp_shell_cli("phases c.csv %s", options[i]), 2);
		CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "is not a finite number"));
	}
	pp_shell_cleanup();
}

/* Every CSV file of tests/data/fuzz/ reads to PP_OK or a clean PP_ERR_CONFIG
 * (under the sanitizers: without a report). */
static void test_fuzzer_found_csv_files_are_clean_results(void)
{
	char dir[4096], path[8192];
	DIR *d;
	struct dirent *e;
	int replayed = 0;

	snprintf(dir, sizeof dir, "%s/tests/data/fuzz", getenv("PP_TEST_SOURCE_ROOT"));
	d = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		pp_phase_params p;
		pp_phase_detector det;
		pp_error err = {0};
		FILE *f;
		int rc;

		if (n < 5 || strcmp(e->d_name + n - 4, ".csv"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		f = fopen(path, "r");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		pp_phase_params_default(&p);
		pp_phase_init(&det, &p);
		rc = pp_phase_read_csv(f, e->d_name, &det, &err);
		fclose(f);
		replayed++;
		CU_ASSERT(rc == PP_OK || rc == PP_ERR_CONFIG);
		if (rc)
			CU_ASSERT_PTR_NOT_NULL(strstr(err.message, e->d_name));
	}
	closedir(d);
	/* the folder holds the seeds named in docs/hardening.md: a replay of
	 * nothing would pass whatever the reader does */
	CU_ASSERT(replayed >= 4);
}

/* tests/data/phases/@name read into a default detector. */
static void read_fixture(const char *name, pp_phase_detector *d)
{
	char path[8192];
	pp_phase_params p;
	pp_error err = {0};
	FILE *f;

	snprintf(path, sizeof path, "%s/tests/data/phases/%s", getenv("PP_TEST_SOURCE_ROOT"), name);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	pp_phase_params_default(&p);
	pp_phase_init(d, &p);
	CU_ASSERT_EQUAL(pp_phase_read_csv(f, name, d, &err), PP_OK);
	fclose(f);
}

/* How many stored transitions enter @phase. */
static int entries(const pp_phase_detector *d, pp_phase phase)
{
	int n = 0;

	for (int i = 0; i < d->n_transitions && i < PP_PHASE_MAX_TRANSITIONS; i++)
		n += d->transitions[i].phase == phase;
	return n;
}

/* The authors (Anagnostopoulos et al., Neural Networks 2025) place
 * diffusion equilibrium by eye at iteration 91.7k (Allen-Cahn), 11.1k
 * (Allen-Cahn with RBA), 19k (Helmholtz) and 1k (Helmholtz with RBA).  On
 * excerpts of their stored whole-network SNR records (repository
 * soanagno/diffusion-equilibrium, files grad_stats.txt; provenance in
 * tests/data/phases/README.md) the detector finds one entry into
 * equilibrium each, within a factor 2 of those iterations.  It dates the
 * start of the jump, which is earlier than the authors' lines (0.6–0.8 of
 * them here); the late collapse of the vanilla Allen-Cahn run (SNR 1e-3
 * at 300k) is a relapse; the 4-sample dip of Helmholtz-RBA at 2.5k is not. */
static void test_authors_curves_give_equilibrium_within_a_factor_2_of_their_iterations(void)
{
	static const struct {
		const char *file;
		double reported;
		int relapses;
	} cases[] = {
		{"authors_ac_vanilla_excerpt.csv", 91700, 1},
		{"authors_ac_rba_excerpt.csv", 11100, 0},
		{"authors_helmholtz_vanilla_excerpt.csv", 19000, 0},
		{"authors_helmholtz_rba_excerpt.csv", 1000, 0},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pp_phase_detector d;

		read_fixture(cases[i].file, &d);
		CU_ASSERT_EQUAL(entries(&d, PP_PHASE_EQUILIBRIUM), 1);
		CU_ASSERT_EQUAL(entries(&d, PP_PHASE_DIFFUSION), 1 + cases[i].relapses);
		CU_ASSERT(d.diffusion_step >= 0 && d.diffusion_step < d.equilibrium_step);
		CU_ASSERT((double)d.equilibrium_step >= cases[i].reported / 2);
		CU_ASSERT((double)d.equilibrium_step <= cases[i].reported * 2);
		CU_ASSERT_EQUAL(d.equilibrium_holds, cases[i].relapses == 0);
	}
}

/* A synthetic SNR curve, one sample every 20 steps: 30 for the first 40
 * samples (fitting), then @level, times @factor from sample @jump on
 * (jump < 0: never), times a drift growing log-linearly to @drift at the
 * end; log-normal noise of σ = @noise (in log SNR); and isolated spikes as
 * Adam makes them: every 8 to 15 samples one sample ×@spike and the next
 * ×√@spike. */
typedef struct synth {
	long samples, jump;
	double level, factor, drift, noise, spike;
} synth;

static void synth_feed(const synth *c, unsigned seed, pp_phase_detector *d)
{
	pp_phase_params p;
	pp_rng rng;
	long next_spike = 8;

	pp_phase_params_default(&p);
	pp_phase_init(d, &p);
	pp_rng_init(&rng, seed, 7);
	for (long i = 0; i < c->samples; i++) {
		double t = (double)i / (double)c->samples;
		double x = i < 40 ? log(30.0) : log(c->level) + t * log(c->drift);

		if (c->jump >= 0 && i >= c->jump)
			x += log(c->factor);
		x += c->noise * pp_rng_normal(&rng);
		if (i == next_spike)
			x += log(c->spike);
		if (i == next_spike + 1) {
			x += 0.5 * log(c->spike);
			next_spike += 8 + (long)(8 * pp_rng_uniform(&rng));
		}
		pp_phase_feed(d, 20 * i, exp(x), 1.0);
	}
}

static const double synth_levels[] = {0.01, 0.03, 0.1};
static const double synth_noises[] = {0.5, 1.0};
#define SYNTH_SEEDS 100

/* A jump at sample 200 from a diffusion level of 0.01, 0.03 or 0.1 to 1,
 * under noise of σ = 0.5 and 1 (a factor 1.6 and 2.7 per sample), ×100
 * spikes and a ×2 drift: found in every seed, one entry, dated within 5
 * samples (100 steps) in at least 95 of 100 seeds and never more than 40
 * samples away (a spike just before the jump can pull the date back). */
static void test_synthetic_jumps_are_found_once_and_dated_within_5_samples(void)
{
	for (int l = 0; l < 3; l++)
		for (int k = 0; k < 2; k++) {
			int close = 0;

			for (unsigned seed = 1; seed <= SYNTH_SEEDS; seed++) {
				synth c = {400, 200, synth_levels[l], 1 / synth_levels[l], 2,
					   synth_noises[k], 100};
				pp_phase_detector d;
				long error;

				synth_feed(&c, seed, &d);
				CU_ASSERT_EQUAL(entries(&d, PP_PHASE_EQUILIBRIUM), 1);
				error = labs(d.equilibrium_step - 20 * 200) / 20;
				close += error <= 5;
				CU_ASSERT(d.equilibrium_step >= 0 && error <= 40);
			}
			CU_ASSERT(close >= 95);
		}
}

/* Spikes alone (×1000 every 8 to 15 samples, the next sample ×32) on a flat
 * diffusion level never make an equilibrium, nor a drift of ×10 over the
 * run without a jump (0.01 → 0.1, 0.03 → 0.3, 0.1 → 1 at the end), for
 * noise of σ <= 1 — except the drift that ends at order one under the
 * larger noise, which the rules allow in at most 3 of 100 seeds (measured:
 * 1; docs/analyzers.md gives the rates for noisier curves). */
static void test_spikes_and_slow_drift_make_no_equilibrium(void)
{
	for (int l = 0; l < 3; l++)
		for (int k = 0; k < 2; k++) {
			int drifted = 0;

			for (unsigned seed = 1; seed <= SYNTH_SEEDS; seed++) {
				synth spikes = {400, -1, synth_levels[l], 1, 1, synth_noises[k], 1000};
				synth drift = {400, -1, synth_levels[l], 1, 10, synth_noises[k], 100};
				pp_phase_detector d;

				synth_feed(&spikes, seed, &d);
				CU_ASSERT_EQUAL(d.equilibrium_step, -1);
				CU_ASSERT(d.diffusion_step >= 0);
				synth_feed(&drift, seed, &d);
				drifted += d.equilibrium_step >= 0;
			}
			if (l == 2 && k == 1)
				CU_ASSERT(drifted <= 3)
			else
				CU_ASSERT_EQUAL(drifted, 0)
		}
}

/* Two equilibria with a relapse between them, under noise and spikes:
 * every entry and the relapse are listed, each within 5 samples. */
static void test_every_entry_and_relapse_is_listed_under_noise(void)
{
	for (unsigned seed = 1; seed <= 20; seed++) {
		pp_phase_params p;
		pp_phase_detector d;
		pp_rng rng;

		pp_phase_params_default(&p);
		pp_phase_init(&d, &p);
		pp_rng_init(&rng, seed, 11);
		for (long i = 0; i < 600; i++) {
			double snr = i < 40 ? 30 : i < 150 ? 0.02 : i < 300 ? 2 : i < 450 ? 0.02 : 2;

			if (i % 11 == 5)
				snr *= 100;
			pp_phase_feed(&d, 20 * i, snr * exp(pp_rng_normal(&rng)), 1);
		}
		CU_ASSERT_EQUAL_FATAL(d.n_transitions, 4);
		CU_ASSERT_EQUAL(d.transitions[0].phase, PP_PHASE_DIFFUSION);
		CU_ASSERT_EQUAL(d.transitions[1].phase, PP_PHASE_EQUILIBRIUM);
		CU_ASSERT_EQUAL(d.transitions[2].phase, PP_PHASE_DIFFUSION);
		CU_ASSERT_EQUAL(d.transitions[3].phase, PP_PHASE_EQUILIBRIUM);
		CU_ASSERT(labs(d.transitions[0].step - 20 * 40) <= 100);
		CU_ASSERT(labs(d.transitions[1].step - 20 * 150) <= 100);
		CU_ASSERT(labs(d.transitions[2].step - 20 * 300) <= 100);
		CU_ASSERT(labs(d.transitions[3].step - 20 * 450) <= 100);
		CU_ASSERT_EQUAL(d.equilibrium_step, d.transitions[1].step);
		CU_ASSERT_EQUAL(d.equilibrium_holds, 0);
	}
}

/* The same Allen-Cahn RBA run (configs/compare/allen_cahn_rba.yaml, seed
 * 2341, 5,000 steps, SNR every 20) in double and single precision: the
 * SNR collapses within 200 steps, then sits at 0.01–0.3 with ×100 spikes
 * every 150–300 steps (timed differently in the two precisions) and at
 * 0.004 after step 3,000.  Both give the same transitions — diffusion at
 * step 140, no equilibrium — and the spikes make none. */
static void test_precision_twins_give_the_same_transitions(void)
{
	pp_phase_detector a, b;

	read_fixture("phasepinn_ac_rba_s2341_double.csv", &a);
	read_fixture("phasepinn_ac_rba_s2341_single.csv", &b);
	CU_ASSERT_EQUAL_FATAL(a.n_transitions, b.n_transitions);
	for (int i = 0; i < a.n_transitions && i < PP_PHASE_MAX_TRANSITIONS; i++) {
		CU_ASSERT_EQUAL(a.transitions[i].phase, b.transitions[i].phase);
		CU_ASSERT(labs(a.transitions[i].step - b.transitions[i].step) <= 20);
	}
	CU_ASSERT_EQUAL(a.diffusion_step, 140);
	CU_ASSERT_EQUAL(a.equilibrium_step, -1);
	CU_ASSERT_EQUAL(b.equilibrium_step, -1);
}

/* A state read back from a checkpoint whose recent steps go backwards (or
 * are too large to subtract) is refused before the dating uses them. */
static void test_a_state_with_steps_that_do_not_increase_is_refused(void)
{
	pp_phase_params p;
	pp_phase_detector d;
	pp_error err = {0};

	pp_phase_params_default(&p);
	pp_phase_init(&d, &p);
	for (long i = 0; i < 300; i++)
		pp_phase_feed(&d, 10 * i, 1, 1);
	CU_ASSERT_EQUAL(pp_phase_detector_check(&d, &err), PP_OK);
	d.recent_step[(d.recent_count - 2) % PP_PHASE_MAX_RISE] = 10 * 400;
	CU_ASSERT_EQUAL(pp_phase_detector_check(&d, &err), PP_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "do not increase"));
	d.recent_step[(d.recent_count - 2) % PP_PHASE_MAX_RISE] = 10 * 298;
	d.recent_step[(d.recent_count - 1) % PP_PHASE_MAX_RISE] = LONG_MAX;
	CU_ASSERT_EQUAL(pp_phase_detector_check(&d, &err), PP_ERR_INVALID);
	p.window = LONG_MAX;   /* 2·window would overflow */
	CU_ASSERT_EQUAL(pp_phase_params_check(&p, &err), PP_ERR_INVALID);
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"curve with three phases is found", test_curve_with_three_phases_is_found},
		{"metrics columns and empty cells", test_metrics_columns_and_empty_cells},
		{"bad input quotes name and line", test_bad_input_quotes_name_and_line},
		{"NUL byte is an error by line", test_nul_byte_is_an_error_by_line},
		{"CR-only and CRLF line ends read as lines", test_cr_only_and_crlf_line_ends_read_as_lines},
		{"UTF-8 byte-order mark is not part of the header", test_utf8_byte_order_mark_is_not_part_of_the_header},
		{"unsorted or repeated iterations are errors", test_unsorted_or_repeated_iterations_are_errors},
		{"non-finite option values are refused", test_non_finite_option_values_are_refused},
		{"fuzzer-found CSV files are clean results", test_fuzzer_found_csv_files_are_clean_results},
		{"authors' curves give equilibrium within a factor 2 of their iterations",
		 test_authors_curves_give_equilibrium_within_a_factor_2_of_their_iterations},
		{"synthetic jumps are found once and dated within 5 samples",
		 test_synthetic_jumps_are_found_once_and_dated_within_5_samples},
		{"spikes and slow drift make no equilibrium", test_spikes_and_slow_drift_make_no_equilibrium},
		{"every entry and relapse is listed under noise", test_every_entry_and_relapse_is_listed_under_noise},
		{"precision twins give the same transitions", test_precision_twins_give_the_same_transitions},
		{"a state with steps that do not increase is refused", test_a_state_with_steps_that_do_not_increase_is_refused},
		{NULL, NULL},
	};

	return pp_test_run("phases", cases);
}
