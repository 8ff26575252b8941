/* `phasepinn compare` over seeds: seeds: and --seeds, the statistics of
 * comparison.csv against values worked out here from each seed's own
 * summary.json and metrics.csv, the median and quartile curves and their
 * figure scripts, --jobs (child processes, logs, the same runs whatever
 * N), and a failing run among parallel ones.  Runs are tiny (30 Adam steps
 * on 2-[8,8]-1) so the suite stays in tens of seconds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_compare_XXXXXX";

#define BASE \
	"pde:\n  type: burgers\n  terms:\n    residual: {points: 200}\n    initial: {points: 50}\n" \
	"    boundary: {points: 50}\nnetwork:\n  layers: [8, 8]\nstages:\n" \
	"  - optimizer: adam\n    iterations: 30\nlogging:\n  every: 5\nthreads: 1\n" \
	"analyzers:\n  - {type: error, every: 10}\n  - {type: snr, every: 5}\n  - {type: phases}\n"

/* ---- reading the files back ------------------------------------------------ */

/* The number after "\"<key>\": " in the "final" object of a summary. */
static double summary_final(const char *run, const char *key)
{
	char path[256], pattern[128];
	const char *text, *p;

	snprintf(path, sizeof path, "%s/summary.json", run);
	text = pp_shell_slurp(path);
	if (!text || !(p = strstr(text, "\"final\": {")))
		return NAN;
	snprintf(pattern, sizeof pattern, "\"%s\": ", key);
	p = strstr(p, pattern);
	return p ? strtod(p + strlen(pattern), NULL) : NAN;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ---- the tests ------------------------------------------------------------ */

static void write_compare_file(const char *name, const char *seeds)
{
	char text[1024];

	snprintf(text, sizeof text,
		 "compare:\n  base: base.yaml\n  seeds: %s\n  variants:\n"
		 "    - {name: plain, weighting: {type: none}}\n"
		 "    - {name: rba, weighting: {type: rba}}\n", seeds);
	pp_shell_write(name, text);
}

/* Mean, sample standard deviation (n − 1), min and max of three seeds'
 * final numbers, worked out here from their own summary.json. */
static void test_statistics_over_seeds_match_the_seeds_summaries(void)
{
	static const char *const quantities[][2] = {
		{"rel_l2", "error_rel_l2"}, {"loss", "loss"}, {"loss_residual", "loss_residual"},
		{"max_error", "error_max"},
	};
	static const char *const variants[] = {"plain", "rba"};
	static const int seeds[] = {11, 12, 13};
	char *text;

	pp_shell_write("base.yaml", BASE);
	write_compare_file("stats.yaml", "[11, 12, 13]");
	CU_ASSERT_EQUAL(pp_shell_cli("check stats.yaml"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "each over 3 seeds"));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare stats.yaml --output st --quiet --no-plot"), 0);
	for (int v = 0; v < 2; v++) {
		char field[64];
		for (size_t q = 0; q < sizeof quantities / sizeof quantities[0]; q++) {
			double x[3], mean = 0, ss = 0, lo = INFINITY, hi = -INFINITY;
			char col[96];
			for (int s = 0; s < 3; s++) {
				char run[64];
				snprintf(run, sizeof run, "st/%s/seed-%d", variants[v], seeds[s]);
				x[s] = summary_final(run, quantities[q][1]);
				CU_ASSERT_TRUE_FATAL(isfinite(x[s]));
				mean += x[s] / 3;
				lo = fmin(lo, x[s]);
				hi = fmax(hi, x[s]);
			}
			for (int s = 0; s < 3; s++)
				ss += (x[s] - mean) * (x[s] - mean);
			snprintf(col, sizeof col, "%s_mean", quantities[q][0]);
			PP_ASSERT_CLOSE(pp_shell_csv_number("st/comparison.csv", variants[v], col), mean, 0, 1e-8);
			snprintf(col, sizeof col, "%s_sd", quantities[q][0]);
			PP_ASSERT_CLOSE(pp_shell_csv_number("st/comparison.csv", variants[v], col), sqrt(ss / 2), 0,
					1e-8);
			snprintf(col, sizeof col, "%s_min", quantities[q][0]);
			PP_ASSERT_CLOSE(pp_shell_csv_number("st/comparison.csv", variants[v], col), lo, 0, 1e-8);
			snprintf(col, sizeof col, "%s_max", quantities[q][0]);
			PP_ASSERT_CLOSE(pp_shell_csv_number("st/comparison.csv", variants[v], col), hi, 0, 1e-8);
			snprintf(col, sizeof col, "%s_n", quantities[q][0]);
			CU_ASSERT_EQUAL(pp_shell_csv_number("st/comparison.csv", variants[v], col), 3);
		}
		/* the share of seeds whose phases.txt has an equilibrium line */
		{
			int reached = 0;
			for (int s = 0; s < 3; s++) {
				char path[64];
				snprintf(path, sizeof path, "st/%s/seed-%d/phases.txt", variants[v], seeds[s]);
				text = pp_shell_slurp(path);
				CU_ASSERT_PTR_NOT_NULL_FATAL(text);
				reached += strstr(text, "equilibrium ") != NULL;
			}
			PP_ASSERT_CLOSE(pp_shell_csv_number("st/comparison.csv", variants[v], "reached_equilibrium"),
					reached / 3.0, 0, 1e-9);
		}
		CU_ASSERT_PTR_NOT_NULL(pp_shell_csv_field("st/comparison.csv", variants[v], "seeds", field,
						 sizeof field));
		CU_ASSERT_STRING_EQUAL(field, "11 12 13");
	}
	text = pp_shell_slurp("st/comparison.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "sample standard deviation, n − 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| plain | 11, 12, 13 | "));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "## Per seed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| rba | 13 | "));
	/* what each variant changed, from the first, the seed aside */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "## What each variant changes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| plain | (the reference) |\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| rba | `weighting.type: rba`"));
	CU_ASSERT_PTR_NULL(strstr(text, "`seed: "));
	text = pp_shell_slurp("st/comparison_runs.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nplain,11,plain/seed-11,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nrba,13,rba/seed-13,"));
	text = pp_shell_slurp("st/combined_metrics.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(strncmp(text, "variant,seed,step,metric,value\nplain,11,0,", 42), 0);
	/* a run's config.yaml has its seed and no seeds: (resume and run read it) */
	text = pp_shell_slurp("st/rba/seed-12/config.yaml");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "seed: 12"));
	CU_ASSERT_PTR_NULL(strstr(text, "seeds"));
}

/* seed_bands.csv: median and quartiles (linear interpolation between order
 * statistics, numpy's default) of the seeds' values at each step. */
static void test_median_and_quartiles_match_the_seeds_metrics(void)
{
	static const long steps[] = {0, 15, 30};
	static const char *const columns[] = {"loss_residual", "snr"};

	if (!pp_shell_exists("st/plain/seed_bands.csv")) {
		CU_FAIL("the statistics test made no st/ comparison");
		return;
	}
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++)
		for (size_t c = 0; c < 2; c++) {
			double x[3], q1, q3;
			char col[64], key[32];
			for (int s = 0; s < 3; s++) {
				char run[64];
				snprintf(run, sizeof run, "st/plain/seed-%d", 11 + s);
				x[s] = pp_shell_metric_at(run, columns[c], steps[k]);
				CU_ASSERT_TRUE_FATAL(isfinite(x[s]));
			}
			qsort(x, 3, sizeof x[0], by_value);
			/* n = 3: positions (n − 1)·p = 0.5, 1, 1.5 */
			q1 = x[0] + 0.5 * (x[1] - x[0]);
			q3 = x[1] + 0.5 * (x[2] - x[1]);
			snprintf(key, sizeof key, "%ld", steps[k]);
			snprintf(col, sizeof col, "%s_median", columns[c]);
			PP_ASSERT_CLOSE(pp_shell_csv_number("st/plain/seed_bands.csv", key, col), x[1], 0, 1e-8);
			snprintf(col, sizeof col, "%s_q1", columns[c]);
			PP_ASSERT_CLOSE(pp_shell_csv_number("st/plain/seed_bands.csv", key, col), q1, 0, 1e-8);
			snprintf(col, sizeof col, "%s_q3", columns[c]);
			PP_ASSERT_CLOSE(pp_shell_csv_number("st/plain/seed_bands.csv", key, col), q3, 0, 1e-8);
			snprintf(col, sizeof col, "%s_n", columns[c]);
			CU_ASSERT_EQUAL(pp_shell_csv_number("st/plain/seed_bands.csv", key, col), 3);
		}
	/* error_rel_l2 is measured every 10 steps: none of the seeds at step 5 */
	CU_ASSERT_EQUAL(pp_shell_csv_number("st/plain/seed_bands.csv", "5", "error_rel_l2_n"), 0);
	CU_ASSERT_TRUE(isnan(pp_shell_csv_number("st/plain/seed_bands.csv", "5", "error_rel_l2_median")));
}

/* The comparison figures of a comparison over seeds: per variant a median
 * line and an inter-quartile band, read from its seed_bands.csv. */
static void test_figures_over_seeds_draw_median_and_quartile_band(void)
{
	const char *text;

	if (!pp_shell_exists("st/plain/seed_bands.csv")) {
		CU_FAIL("the statistics test made no st/ comparison");
		return;
	}
	/* scripts without drawing: no gnuplot */
	CU_ASSERT_EQUAL(pp_shell("PHASEPINN_GNUPLOT=/nonexistent/gnuplot \"$PP_TEST_EXE\" plot st"), 1);
	text = pp_shell_slurp("st/figures/compare_error.gp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../plain/seed_bands.csv' using 1:3:4 with filledcurves"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "'../rba/seed_bands.csv' using 1:2 with lines lw 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "title 'plain (median of 3 seeds)'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "3 error_rel_l2_q1"));
	text = pp_shell_slurp("st/figures/compare_snr.gp");
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "snr_q3"));
	/* every seed's run got its own figures and is linked from the report */
	CU_ASSERT_TRUE(pp_shell_exists("st/rba/seed-12/figures/loss.gp"));
	text = pp_shell_slurp("st/report.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "[rba/seed-12](rba/seed-12/report.md)"));
	if (pp_shell("command -v gnuplot >/dev/null") != 0) {
		pp_test_skip("gnuplot is not installed: the band figures are written, not drawn");
		return;
	}
	CU_ASSERT_EQUAL(pp_shell_cli("plot st"), 0);
	CU_ASSERT_TRUE(pp_shell_size("st/figures/compare_error.png") > 0);
	CU_ASSERT_TRUE(pp_shell_size("st/figures/compare_loss.png") > 0);
	text = pp_shell_slurp("st/report.md");
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "the band behind it the inter-quartile range"));
}

/* seeds: N counts up from the experiment's seed; --seeds overrides the
 * files; an experiment file given to compare may carry seeds: too. */
static void test_seed_counts_lists_and_the_command_line(void)
{
	char *text;

	pp_shell_write("base40.yaml", BASE "seed: 40\n");
	pp_shell_write("count.yaml", "compare:\n  base: base40.yaml\n  seeds: 2\n  variants:\n"
				 "    - {name: a}\n    - {name: b, weighting: {type: rba}}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare count.yaml --output cnt --quiet --no-plot"), 0);
	CU_ASSERT_TRUE(pp_shell_exists("cnt/a/seed-40/summary.json"));
	CU_ASSERT_TRUE(pp_shell_exists("cnt/b/seed-41/summary.json"));
	CU_ASSERT_FALSE(pp_shell_exists("cnt/a/seed-42"));
	/* --seeds replaces the file's seeds: */
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare count.yaml --seeds 5,9 --output ovr --quiet --no-plot"), 0);
	CU_ASSERT_TRUE(pp_shell_exists("ovr/a/seed-5/summary.json"));
	CU_ASSERT_TRUE(pp_shell_exists("ovr/b/seed-9/summary.json"));
	CU_ASSERT_FALSE(pp_shell_exists("ovr/a/seed-40"));
	/* several experiment files, each with seeds: */
	pp_shell_write("fa.yaml", BASE "name: fa\nseeds: [3, 4]\n");
	pp_shell_write("fb.yaml", BASE "name: fb\nweighting: {type: rba}\nseeds: [3, 4]\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare fa.yaml fb.yaml --output files --quiet --no-plot"), 0);
	CU_ASSERT_TRUE(pp_shell_exists("files/fa/seed-4/summary.json"));
	CU_ASSERT_TRUE(pp_shell_exists("files/fb/seed-3/summary.json"));
	text = pp_shell_slurp("files/comparison.md");
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "| fb | 3, 4 | "));
}

/* Each bad seeds: value is refused before anything runs, naming file,
 * line and column. */
static void test_bad_seeds_values_name_file_and_line(void)
{
	static const char *const bad[][2] = {
		{"0", "bad.yaml:3:10: seeds: 0: give a count of at least 1"},
		{"-3", "bad.yaml:3:10: seeds: -3: give a count of at least 1"},
		{"[1, 1]", "bad.yaml:3:14: seeds: 1 is listed twice"},
		{"{a: 1}", "bad.yaml:3:10: seeds: is a count of at least 1 (seeds: 5) or a list of distinct seeds (seeds: [1, 2, 3]), not a map"},
		{"[]", "bad.yaml:3:10: seeds: the list is empty"},
		{"[2, -1]", "bad.yaml:3:14: seeds: each seed is a whole number"},
		{"1000", "bad.yaml:3:10: seeds: 1000: at most 100 seeds"},
	};

	pp_shell_write("base.yaml", BASE);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_compare_file("bad.yaml", bad[i][0]);
		CU_ASSERT_EQUAL(pp_shell_cli("compare bad.yaml --output badout --no-plot"), 2);
		if (!strstr(pp_shell_output, bad[i][1]))
			printf("\nseeds: %s said: %s\n", bad[i][0], pp_shell_output);
		CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, bad[i][1]));
		CU_ASSERT_FALSE(pp_shell_exists("badout"));
	}
	/* in an experiment file, the error points into it */
	pp_shell_write("dup.yaml", BASE "name: dup\nseeds: [4, 4]\n");
	CU_ASSERT_EQUAL(pp_shell_cli("compare base.yaml dup.yaml --output badout"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "dup.yaml:20:12: seeds: 4 is listed twice"));
	/* and on the command line */
	CU_ASSERT_EQUAL(pp_shell_cli("compare base.yaml dup.yaml --seeds 0 --output badout"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "--seeds 0: give a count from 1 to 100"));
	write_compare_file("ok.yaml", "2");
	CU_ASSERT_EQUAL(pp_shell_cli("compare ok.yaml --seeds 1,2,1 --output badout"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "1 is listed twice"));
	CU_ASSERT_EQUAL(pp_shell_cli("compare ok.yaml --seeds 3,x --output badout"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "'x' is not a seed"));
	CU_ASSERT_EQUAL(pp_shell_cli("compare ok.yaml --jobs 0 --output badout"), 2);
	CU_ASSERT_EQUAL(pp_shell_cli("compare ok.yaml --threads-per-job -2 --output badout"), 2);
	CU_ASSERT_FALSE(pp_shell_exists("badout"));
	CU_ASSERT_EQUAL(pp_shell_cli("compare --help"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "--jobs N"));
}

/* Entries into diffusion equilibrium and relapses, listed per seed, and the
 * share of seeds that reached it; the phases.txt of each run comes from a
 * test analyzer that writes transitions on cue (tests/plugins/scripted),
 * loaded in the children too (--jobs 2 passes --plugin-dir on). */
static void test_equilibrium_entries_and_relapses_are_listed_per_seed(void)
{
	char *text;

	pp_shell_write("base_de.yaml", BASE
		       "  - {type: scripted_phases, every: 10, equilibrium_at: 10, relapse_at: 20,\n"
		       "     again_at: 25, no_equilibrium_seed: 2}\n");
	pp_shell_write("de.yaml", "compare:\n  base: base_de.yaml\n  seeds: [1, 2, 3]\n  variants:\n"
			      "    - {name: a}\n"
			      "    - {name: b, analyzers: [{type: scripted_phases, every: 10, equilibrium_at: 100}]}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("--plugin-dir \"$PP_TEST_PLUGIN_DIR/scripted\" "
					   "compare de.yaml --output de --jobs 2 --quiet --no-plot"), 0);
	text = pp_shell_slurp("de/comparison_runs.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ",reached_equilibrium,equilibrium_entries,relapses\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ",,,,11,1,11 25,20\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ",0,,\na,3,a/seed-3,"));   /* seed 2: none */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ",13,1,13 25,20\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ",102,1,102,\n"));
	/* a: seeds 1 and 3 entered at 11 and 13; b: all three, at 101 to 103 */
	PP_ASSERT_CLOSE(pp_shell_csv_number("de/comparison.csv", "a", "reached_equilibrium"), 2.0 / 3, 0, 1e-9);
	CU_ASSERT_EQUAL(pp_shell_csv_number("de/comparison.csv", "a", "equilibrium_step_n"), 2);
	CU_ASSERT_EQUAL(pp_shell_csv_number("de/comparison.csv", "a", "equilibrium_step_mean"), 12);
	PP_ASSERT_CLOSE(pp_shell_csv_number("de/comparison.csv", "a", "equilibrium_step_sd"), sqrt(2), 0, 1e-9);
	CU_ASSERT_EQUAL(pp_shell_csv_number("de/comparison.csv", "a", "equilibrium_step_min"), 11);
	CU_ASSERT_EQUAL(pp_shell_csv_number("de/comparison.csv", "a", "equilibrium_step_max"), 13);
	CU_ASSERT_EQUAL(pp_shell_csv_number("de/comparison.csv", "b", "reached_equilibrium"), 1);
	CU_ASSERT_EQUAL(pp_shell_csv_number("de/comparison.csv", "b", "equilibrium_step_sd"), 1);
	text = pp_shell_slurp("de/comparison.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| a | 1, 2, 3 | 2/3 | "));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " | 12 ± 1 [11, 13] (2 of 3) |\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| b | 1, 2, 3 | 3/3 | "));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " | 11, 25 | 20 |\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " | none | none |\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " | 103 | none |\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "equilibrium_at: 100`"));
}

/* Every file of a run but the wall-time column, byte for byte. */
static int same_run(const char *a, const char *b)
{
	return pp_shell("for f in parameters.txt weights_residual.csv phases.txt; do "
			"cmp -s %s/$f %s/$f || exit 1; done; "
			"drop() { awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i==\"time_s\") t=i} "
			"{s=\"\"; for(i=1;i<=NF;i++) if(i!=t) s=s $i \",\"; print s}' $1; }; "
			"drop %s/metrics.csv > m1.tmp && drop %s/metrics.csv > m2.tmp && cmp -s m1.tmp m2.tmp",
			a, b, a, b) == 0;
}

/* --jobs 2 runs the very runs --jobs 1 runs: the same metrics (but for
 * the wall time), parameters and weights; each child logs to its file. */
static void test_jobs_give_the_same_runs_as_one_after_another(void)
{
	static const char *const runs[] = {"plain/seed-21", "plain/seed-22", "rba/seed-21",
					   "rba/seed-22"};
	char *text;

	pp_shell_write("base.yaml", BASE);
	write_compare_file("jobs.yaml", "[21, 22]");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare jobs.yaml --output j1 --quiet --no-plot"), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare jobs.yaml --output j2 --jobs 2 --no-plot"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "4 runs, 2 at a time"));
	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		char a[64], b[64];
		snprintf(a, sizeof a, "j1/%s", runs[i]);
		snprintf(b, sizeof b, "j2/%s", runs[i]);
		CU_ASSERT_TRUE(same_run(a, b));
	}
	/* the control: two different seeds do differ */
	CU_ASSERT_FALSE(same_run("j1/plain/seed-21", "j1/plain/seed-22"));
	text = pp_shell_slurp("j2/logs/rba-seed-22.log");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "-> j2/rba/seed-22"));
	CU_ASSERT_FALSE(pp_shell_exists("j1/logs"));
	/* the tables agree but for the wall time */
	PP_ASSERT_CLOSE(pp_shell_csv_number("j2/comparison.csv", "rba", "rel_l2_mean"),
			pp_shell_csv_number("j1/comparison.csv", "rba", "rel_l2_mean"), 0, 0);
	PP_ASSERT_CLOSE(pp_shell_csv_number("j2/comparison.csv", "plain", "loss_sd"),
			pp_shell_csv_number("j1/comparison.csv", "plain", "loss_sd"), 0, 0);
	/* a single-seed comparison in parallel keeps the single-seed layout */
	pp_shell_write("sa.yaml", BASE "name: sa\n");
	pp_shell_write("sb.yaml", BASE "name: sb\nweighting: {type: rba}\n");
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare sa.yaml sb.yaml --output js --jobs 2 --threads-per-job 2 --quiet --no-plot"), 0);
	CU_ASSERT_TRUE(pp_shell_exists("js/sb/summary.json"));
	text = pp_shell_slurp("js/sa/config.yaml");
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "threads: 2"));
	CU_ASSERT_FALSE(pp_shell_exists("js/comparison_runs.csv"));
	text = pp_shell_slurp("js/comparison.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| sa | "));
	/* what sb changed, and every run's entries into equilibrium and relapses
	 * (30 steps: none, or no phases.txt at all) */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| sb | `weighting.type: rba`"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "| variant | DE entries (step) | relapses (step) |"));
	CU_ASSERT_TRUE(strstr(text, "| sb | none | none |\n") || strstr(text, "| sb | - | - |\n"));
}

/* A run that fails among parallel ones: the others finish, the failure is
 * reported with the end of its log, exit 1, and no comparison is written. */
static void test_a_failing_run_is_reported_after_the_others_finish(void)
{
	char *text;

	pp_shell_write("base.yaml", BASE);
	pp_shell_write("fail.yaml", "compare:\n  base: base.yaml\n  seeds: [1, 2]\n  variants:\n"
				/* the failing variant first: the good runs start after it failed */
				"    - {name: bad, stages: [{optimizer: sgd, iterations: 200, lr: 1.0e+6}]}\n"
				"    - {name: good}\n");
	CU_ASSERT_EQUAL(pp_shell_cli("compare fail.yaml --output fl --jobs 2 --no-plot"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "2 of 4 runs failed; no comparison written"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "bad/seed-2 (fl/bad/seed-2): exit 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "the end of fl/logs/bad-seed-1.log:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "| phasepinn: step "));
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "is not finite"));
	for (int s = 1; s <= 2; s++) {
		char path[64];
		snprintf(path, sizeof path, "fl/good/seed-%d/summary.json", s);
		text = pp_shell_slurp(path);
		CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "\"status\": \"completed\""));
	}
	CU_ASSERT_FALSE(pp_shell_exists("fl/comparison.csv"));
	CU_ASSERT_FALSE(pp_shell_exists("fl/comparison.md"));
	CU_ASSERT_FALSE(pp_shell_exists("fl/combined_metrics.csv"));
	/* in this process (--jobs 1) over seeds: the same, every run tried */
	CU_ASSERT_EQUAL(pp_shell_cli("compare fail.yaml --output fl1 --quiet --no-plot"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "2 of 4 runs failed; no comparison written"));
	CU_ASSERT_TRUE(pp_shell_exists("fl1/bad/seed-2/summary.json"));
	CU_ASSERT_FALSE(pp_shell_exists("fl1/comparison.csv"));
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"statistics over seeds match the seeds' summaries", test_statistics_over_seeds_match_the_seeds_summaries},
		{"median and quartiles match the seeds' metrics", test_median_and_quartiles_match_the_seeds_metrics},
		{"figures over seeds draw the median and the quartile band", test_figures_over_seeds_draw_median_and_quartile_band},
		{"seed counts, lists and the command line", test_seed_counts_lists_and_the_command_line},
		{"bad seeds: values name file and line", test_bad_seeds_values_name_file_and_line},
		{"equilibrium entries and relapses are listed per seed", test_equilibrium_entries_and_relapses_are_listed_per_seed},
		{"--jobs gives the same runs as one after another", test_jobs_give_the_same_runs_as_one_after_another},
		{"a failing run is reported after the others finish", test_a_failing_run_is_reported_after_the_others_finish},
		{NULL, NULL},
	};
	int failed;

	if (pp_shell_init(dir) != 0)
		return 1;
	failed = pp_test_run("compare", cases);
	if (!failed)
		pp_shell_cleanup();
	return failed;
}
