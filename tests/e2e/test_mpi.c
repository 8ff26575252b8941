/* Data-parallel training and distributed sweeps under mpirun
 * (docs/scaling.md): two ranks train as one does within reduction-order
 * rounding, a two-rank run resumes bit for bit and refuses another rank
 * count, an error on one rank stops both with its message, and a two-rank
 * compare runs every variant and seed once, each as one rank would.
 * Every case SKIPs (77) in a build without MPI or without mpirun; the last
 * checks that such a build refuses to be started as one of several ranks.
 * Runs are tiny (2-[10,10]-1, a few hundred points, 40 steps). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/comm.h"
#include "pp_shell.h"
#include "pp_test.h"

static char dir[] = "/tmp/pp_test_mpi_XXXXXX";
static char mpirun[256];

/* Burgers with RBA (a max|r| reduction), SNR over 8 chunks (the chunk
 * statistics) and an L-BFGS stage (line searches through the objective). */
#define EXP(name, extra) \
	"name: " name "\nseed: 5\nthreads: 1\noutput: " name "\n" \
	"pde:\n  type: burgers\n  terms:\n    residual: {points: 400}\n    initial: {points: 41}\n" \
	"    boundary: {points: 43}\nnetwork:\n  layers: [10, 10]\nweighting:\n  type: rba\n" \
	"stages:\n  - optimizer: adam\n    iterations: 30\n    lr: 2.0e-3\n" \
	"  - optimizer: lbfgs\n    iterations: 10\n" \
	"analyzers:\n  - {type: snr, every: 5, chunks: 8}\n" extra \
	"checkpoint:\n  every: 10\nlogging:\n  every: 10\n"

/* "mpirun -np 2 ..." with what this machine needs, or 0 (the test skips). */
static int have_mpirun(void)
{
	if (!pp_comm_built()) {
		pp_test_skip("built without MPI (-Dmpi=disabled or OpenMPI missing)");
		return 0;
	}
	if (pp_shell("command -v mpirun >/dev/null") != 0) {
		pp_test_skip("mpirun is not installed (openmpi-bin)");
		return 0;
	}
	snprintf(mpirun, sizeof mpirun, "timeout 120 mpirun --oversubscribe --bind-to none %s -np 2",
		 geteuid() == 0 ? "--allow-run-as-root" : "");
	return 1;
}

/* The parameters of RUN/parameters.txt into @p (at most @max); their count. */
static int read_params(const char *run, double *p, int max)
{
	char path[256], *text, *line, *save = NULL;
	int n = 0;

	snprintf(path, sizeof path, "%s/parameters.txt", run);
	text = pp_shell_read(path, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line && n < max;
	     line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			p[n++] = strtod(line, NULL);
	free(text);
	return n;
}

/* Experiment @yaml as NAME.yaml on one rank into NAME1 and on two into
 * NAME2; the final parameters of the two, max |p2 − p1| / max |p1|, into
 * *rel (CUnit assertions on the way). */
static void train_one_and_two(const char *name, const char *yaml, double *rel)
{
	static double one[4096], two[4096];
	double scale = 0, diff = 0;
	int n1, n2;
	char r1[64], r2[64];

	snprintf(r1, sizeof r1, "%s1", name);
	snprintf(r2, sizeof r2, "%s2", name);
	pp_shell_write("x.yaml", yaml);
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("run x.yaml --output %s --quiet --no-plot", r1), 0);
	CU_ASSERT_EQUAL_FATAL(pp_shell("%s \"$PP_TEST_EXE\" run x.yaml --output %s --quiet --no-plot",
				       mpirun, r2), 0);
	n1 = read_params(r1, one, 4096);
	n2 = read_params(r2, two, 4096);
	CU_ASSERT_EQUAL_FATAL(n1, n2);
	CU_ASSERT_TRUE_FATAL(n1 > 100);
	for (int i = 0; i < n1; i++) {
		scale = fmax(scale, fabs(one[i]));
		diff = fmax(diff, fabs(one[i] - two[i]));
	}
	*rel = diff / scale;
	printf("\n    %s: max |p2 - p1| / max |p1| = %.3g ... ", name, *rel);
}

/* Bounded memory (sampling.batch_points: each term's batches pushed
 * through one batch object, forward again for the backward) on two ranks:
 * the same bound as below, each rank bounding its own share. */
static void test_two_ranks_with_bounded_memory_train_as_one(void)
{
	double rel;

	if (!have_mpirun())
		return;
	train_one_and_two("bm", EXP("bm", "sampling:\n  batch_points: 64\n"), &rel);
	CU_ASSERT_TRUE(rel <= 1e-9);
}

static void test_two_ranks_train_as_one_within_rounding(void)
{
	double rel;

	if (!have_mpirun())
		return;
	train_one_and_two("eq", EXP("eq", ""), &rel);
	/* The sums over points are split in two and added: rounding of
	 * order 1e-16 per step, grown over 40 steps (L-BFGS included) to
	 * about 1e-13 here; 1e-9 is far below any real difference (a lost
	 * reduction moves parameters by 1e-3 after one step). */
	CU_ASSERT_TRUE(rel <= 1e-9);
	/* each rank's points and weights went into the one weights file */
	CU_ASSERT_EQUAL(pp_shell("test $(wc -l < eq1/weights_residual.csv) -eq $(wc -l < eq2/weights_residual.csv)"), 0);
	/* rank 1 wrote nothing of its own: the same files in both */
	CU_ASSERT_EQUAL(pp_shell("cd eq1 && ls -R > ../l1; cd ../eq2 && ls -R > ../l2; cd .. && cmp l1 l2"), 0);
}

static void test_a_two_rank_run_resumes_bit_for_bit(void)
{
	if (!have_mpirun())
		return;
	pp_shell_write("rs.yaml", EXP("rs", ""));
	CU_ASSERT_EQUAL_FATAL(pp_shell("%s \"$PP_TEST_EXE\" run rs.yaml --quiet --no-plot", mpirun), 0);
	/* as if the run had died after its checkpoint at step 30 (in L-BFGS
	 * from there on): the later checkpoints and the summary gone */
	CU_ASSERT_EQUAL_FATAL(pp_shell("cp -r rs again && rm again/summary.json && "
				       "rm -f again/checkpoints/step-00000000[4-9]*.ckpt && "
				       "ls again/checkpoints | tail -1 | grep -q step-0000000030"), 0);
	CU_ASSERT_EQUAL(pp_shell_cli("resume again --quiet"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "2 rank(s)"));
	CU_ASSERT_EQUAL(pp_shell("%s \"$PP_TEST_EXE\" resume again --quiet", mpirun), 0);
	CU_ASSERT_EQUAL(pp_shell("cmp rs/parameters.txt again/parameters.txt"), 0);
	CU_ASSERT_EQUAL(pp_shell("cmp rs/weights_residual.csv again/weights_residual.csv"), 0);
	CU_ASSERT_EQUAL(pp_shell("cut -d, -f1-4,6- rs/metrics.csv > m1; "
				 "cut -d, -f1-4,6- again/metrics.csv > m2; cmp m1 m2"), 0);
}

static void test_an_error_on_one_rank_stops_both_with_its_message(void)
{
	const char *summary;

	if (!have_mpirun())
		return;
	pp_shell_write("fail.yaml", EXP("fail", "  - {type: failing_analyzer, fail_at: 12, rank: 1}\n"));
	CU_ASSERT_EQUAL(pp_shell("%s \"$PP_TEST_EXE\" --plugin-dir \"$PP_TEST_PLUGIN_DIR/failing\" "
				 "run fail.yaml --quiet --no-plot", mpirun), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "phasepinn: rank 1: analyzer 'failing_analyzer'"));
	summary = pp_shell_slurp("fail/summary.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, "\"status\": \"failed\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, "rank 1: analyzer 'failing_analyzer'"));
	CU_ASSERT_TRUE(pp_shell_exists("fail/parameters.txt"));
}

static void test_a_two_rank_compare_runs_each_job_as_one_rank_does(void)
{
	const char *jobs[] = {"a/seed-5", "a/seed-6", "b/seed-5", "b/seed-6"};

	if (!have_mpirun())
		return;
	pp_shell_write("a.yaml", EXP("a", ""));
	pp_shell_write("b.yaml", EXP("b", "  - {type: error, every: 20}\n"));
	CU_ASSERT_EQUAL_FATAL(pp_shell("%s \"$PP_TEST_EXE\" compare a.yaml b.yaml --seeds 2 "
				       "--output c2 --quiet --no-plot", mpirun), 0);
	CU_ASSERT_TRUE(pp_shell_exists("c2/comparison.csv"));
	CU_ASSERT_EQUAL_FATAL(pp_shell_cli("compare a.yaml b.yaml --seeds 2 --output c1 --quiet --no-plot"), 0);
	/* each job trained alone on its rank: the one-rank runs exactly */
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(pp_shell("cmp c1/%s/parameters.txt c2/%s/parameters.txt", jobs[i],
					 jobs[i]), 0);
}

static void test_a_build_without_mpi_refuses_to_be_one_of_several_ranks(void)
{
	CU_ASSERT_EQUAL(pp_shell("OMPI_COMM_WORLD_SIZE=2 \"$PP_TEST_EXE\" plugins"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pp_shell_output, "built without MPI"));
}

int main(void)
{
	static const pp_test_case cases[] = {
		{"two ranks train as one within rounding", test_two_ranks_train_as_one_within_rounding},
		{"two ranks with bounded memory train as one", test_two_ranks_with_bounded_memory_train_as_one},
		{"a two-rank run resumes bit for bit", test_a_two_rank_run_resumes_bit_for_bit},
		{"an error on one rank stops both with its message", test_an_error_on_one_rank_stops_both_with_its_message},
		{"a two-rank compare runs each job as one rank does", test_a_two_rank_compare_runs_each_job_as_one_rank_does},
		{NULL, NULL},
	};
	/* a build without MPI: the cases above SKIP, and this one checks it
	 * refuses to run as one of several ranks */
	static const pp_test_case without[] = {
		{"two ranks train as one within rounding", test_two_ranks_train_as_one_within_rounding},
		{"a build without MPI refuses to be one of several ranks", test_a_build_without_mpi_refuses_to_be_one_of_several_ranks},
		{NULL, NULL},
	};
	int failed;

	if (pp_shell_init(dir) != 0)
		return 1;
	failed = pp_test_run("mpi", pp_comm_built() ? cases : without);
	if (!failed)
		pp_shell_cleanup();
	return failed;
}
