/* phasepinn — command-line entry point: dispatches to the subcommands.
 *
 * Exit codes: 0 ok, 1 the run failed (numerics, I/O, interrupted),
 * 2 usage or configuration error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include <phasepinn/phasepinn.h>

#include "cli/commands.h"
#include "core/comm.h"

static void usage(FILE *f)
{
	fputs("usage: phasepinn [--plugin-dir DIR]... COMMAND [ARGS]\n"
	      "\n"
	      "commands:\n"
	      "  run FILE.yaml [--output DIR] [--force] [--quiet] [--no-plot] [--init-from RUN_DIR]\n"
	      "                          train the experiment, write a run directory\n"
	      "                          with figures and report.md (gnuplot); --init-from\n"
	      "                          starts from another run's model (a warm start)\n"
	      "  resume RUN_DIR [--quiet]\n"
	      "                          continue an interrupted run from its last good\n"
	      "                          checkpoint\n"
	      "  check FILE.yaml         validate the experiment, write nothing\n"
	      "  compare A.yaml B.yaml ... [--output DIR] [--force] [--quiet] [--no-plot]\n"
	      "        [--seeds N|a,b,c] [--jobs N] [--threads-per-job T]\n"
	      "                          run experiments and tabulate them side by side\n"
	      "  plot DIR                figures (DIR/figures/*.png) and DIR/report.md of a\n"
	      "                          run or comparison directory\n"
	      "  plugins                 list every plugin with kind and summary\n"
	      "  predict RUN_DIR (--points F.csv | --grid NxM) [--derivatives u_x,...] --out F.csv\n"
	      "                          evaluate a run's trained model at new points\n"
	      "  export RUN_DIR          write RUN_DIR/model.npz from its last checkpoint\n"
	      "  reference FILE.yaml --out F.csv [--grid NxM]\n"
	      "                          write the PDE's reference solution on a grid\n"
	      "  phases FILE.csv [--window N] [--hold N] [--rise-window N] ...\n"
	      "                          detect diffusion / equilibrium in an SNR curve\n"
	      "                          (phasepinn phases --help for every option)\n"
	      "  bench [--pde burgers] [--width W] [--depth D] [--points N] [--steps K]\n"
	      "        [--threads T] [--batch B] [--torch PATH]\n"
	      "                          time full training steps\n"
	      "  check-plugin NAME|FILE.so\n"
	      "                          check a PDE plugin: Jacobians, reference, names\n"
	      "\n"
	      "options:\n"
	      "  --plugin-dir DIR        load plugins from DIR first (repeatable); also\n"
	      "                          PHASEPINN_PLUGIN_PATH=DIR1:DIR2\n"
	      "  --help, --version       (phasepinn COMMAND --help: that command's usage)\n"
	      "\n"
	      "exit codes: 0 ok, 1 the run failed, 2 usage or configuration error\n",
	      f);
}

/* OpenBLAS picks its kernels when it is loaded, by CPU model.  A release
 * older than the CPU (Debian 12's 0.3.21 on Sapphire Rapids, say) does not
 * recognise it and falls back to its SSE3 "Prescott" kernels: every matrix
 * product 2-3x slower (measured: 1.63 -> 0.66 s per 6x128 Burgers step).
 * When that fallback meets a CPU with AVX-512 or AVX2, start this program
 * again with OPENBLAS_CORETYPE naming the kernels the CPU can run.  An
 * explicit OPENBLAS_CORETYPE is always left alone. */
static void choose_blas_kernels(char **argv)
{
	const char *core = NULL;
	char self[4096];
	ssize_t n;

	if (getenv("OPENBLAS_CORETYPE") || strcmp(openblas_get_corename(), "Prescott") != 0)
		return;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
		core = "SkylakeX";
	else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		core = "Haswell";
	/* The program's real path, so that ps and pkill still see "phasepinn". */
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (!core || n <= 0 || (size_t)n >= sizeof self - 1 ||
	    setenv("OPENBLAS_CORETYPE", core, 1) != 0)
		return;
	self[n] = '\0';
	execv(self, argv);
	unsetenv("OPENBLAS_CORETYPE");   /* exec failed: go on with what we have */
}

/* After run and compare: the one line on getting figures, if gnuplot was missing. */
static int with_plot_hint(int code)
{
	pp_cli_plot_hint();
	return code;
}

static int dispatch(int argc, char **argv)
{
	const char *dirs[32];
	int n_dirs = 0, i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("phasepinn %s (%s precision, OpenBLAS %s kernels)\n", PP_VERSION,
			       PP_REAL_NAME, openblas_get_corename());
			return 0;
		}
		if (strcmp(argv[i], "--plugin-dir") == 0 && i + 1 < argc && n_dirs < 32) {
			dirs[n_dirs++] = argv[i + 1];
			i += 2;
			continue;
		}
		fprintf(stderr, "phasepinn: unknown option '%s'\n\n", argv[i]);
		usage(stderr);
		return 2;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	pp_cli_set_plugin_dirs(dirs, n_dirs);
	argc -= i;
	argv += i;
	if (pp_cli_wants_help(argc, argv) && pp_cli_help(argv[0], stdout))
		return 0;
	if (strcmp(argv[0], "run") == 0)
		return with_plot_hint(pp_cli_run(argc, argv));
	if (strcmp(argv[0], "compare") == 0)
		return with_plot_hint(pp_cli_compare(argc, argv));
	if (strcmp(argv[0], "plot") == 0)
		return pp_cli_plot(argc, argv);
	if (strcmp(argv[0], "resume") == 0)
		return with_plot_hint(pp_cli_resume(argc, argv));
	if (strcmp(argv[0], "check") == 0)
		return pp_cli_check(argc, argv);
	if (strcmp(argv[0], "plugins") == 0)
		return pp_cli_plugins(argc, argv);
	if (strcmp(argv[0], "reference") == 0)
		return pp_cli_reference(argc, argv);
	if (strcmp(argv[0], "phases") == 0)
		return pp_cli_phases(argc, argv);
	if (strcmp(argv[0], "predict") == 0)
		return pp_cli_predict(argc, argv);
	if (strcmp(argv[0], "export") == 0)
		return pp_cli_export(argc, argv);
	if (strcmp(argv[0], "bench") == 0)
		return pp_cli_bench(argc, argv);
	if (strcmp(argv[0], "check-plugin") == 0)
		return pp_cli_check_plugin(argc, argv);
	fprintf(stderr, "phasepinn: unknown command '%s'\n\n", argv[0]);
	usage(stderr);
	return 2;
}

/* Under mpirun every rank runs this program; the ranks join MPI before the
 * command and leave it after (core/comm.h: a plain run never joins). */
int main(int argc, char **argv)
{
	pp_error err = {0};
	int code;

	choose_blas_kernels(argv);
	if (pp_comm_init(&argc, &argv, &err) != PP_OK) {
		fprintf(stderr, "phasepinn: %s\n", err.message);
		return 1;
	}
	code = dispatch(argc, argv);
	pp_comm_finalize();
	return code;
}
