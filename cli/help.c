/* phasepinn — `phasepinn COMMAND --help`: each subcommand's usage, in one
 * table, so that every command answers --help and -h the same way (exit 0,
 * usage on stdout) before it parses anything.  `phases` prints its own,
 * longer text (cli/phases.c); a command missing here falls through to its
 * own handler. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const struct {
	const char *command;
	const char *usage;
} usages[] = {
	{"run",
	 "usage: phasepinn run FILE.yaml [--output DIR] [--force] [--quiet] [--no-plot]\n"
	 "  Train the experiment FILE.yaml and write its run directory (default\n"
	 "  runs/<name>, or the file's output:) with config.yaml, metrics.csv,\n"
	 "  summary.json, checkpoints, figures and report.md.\n"
	 "  --output DIR   write into DIR instead\n"
	 "  --force        write into a directory that holds files (an earlier run's\n"
	 "                 are deleted first, nobody else's)\n"
	 "  --quiet        no progress line\n"
	 "  --no-plot      no figures or report.md\n"},
	{"resume",
	 "usage: phasepinn resume RUN_DIR [--quiet]\n"
	 "  Continue an interrupted run from its newest checkpoint that verifies;\n"
	 "  it ends bit for bit as if it had never stopped.\n"},
	{"check",
	 "usage: phasepinn check FILE.yaml\n"
	 "  Validate the experiment (or every variant of a compare file) and write\n"
	 "  nothing; errors name file:line:col.\n"},
	{"compare",
	 "usage: phasepinn compare A.yaml B.yaml ... [--output DIR] [--force] [--quiet] [--no-plot]\n"
	 "                         [--seeds N|a,b,c] [--jobs N] [--threads-per-job T]\n"
	 "       phasepinn compare COMPARE.yaml [options]   (compare: {base: FILE, seeds: ..., variants: [...]})\n"
	 "  Run the experiments into DIR/<name>/ (DIR/<name>/seed-<s>/ with seeds) and\n"
	 "  write DIR/comparison.md and .csv, DIR/combined_metrics.csv and the figures.\n"
	 "  --seeds N|a,b,c     run every variant once per seed: N seeds counted up from the\n"
	 "                      experiment's seed, or these (overrides seeds: in the files)\n"
	 "  --jobs N            N runs at a time, each a child process logging to DIR/logs/\n"
	 "  --threads-per-job T every run with T threads (default: each experiment's threads:)\n"},
	{"plot",
	 "usage: phasepinn plot DIR [--x step|time] [--format png|svg|pdf]\n"
	 "  (Re)draw DIR/figures/*.png with gnuplot and write DIR/report.md, for a\n"
	 "  run or a comparison directory.\n"
	 "  --x time       against the wall time (time_s) instead of the step\n"
	 "  --format F     draw figures/*.svg or *.pdf instead of *.png\n"
	 "  Without them: the figures: {x, format} section of the run's config.yaml.\n"},
	{"plugins",
	 "usage: phasepinn [--plugin-dir DIR]... plugins\n"
	 "  List every plugin found, with kind and summary.  Searched: --plugin-dir\n"
	 "  directories, then PHASEPINN_PLUGIN_PATH (colon-separated), then the\n"
	 "  build tree's or the installation's plugins.\n"},
	{"reference",
	 "usage: phasepinn reference FILE.yaml --out F.csv [--grid NxM] [--points N [--seed S]]\n"
	 "  Write the PDE's reference solution as CSV (inputs, then one column per\n"
	 "  field).  Without --grid: the PDE's classic grid.  --grid NxM: N by M\n"
	 "  points spanning the domain [lo, hi] in every input, both ends included\n"
	 "  (a periodic input leaves out hi, the same point as lo).\n"
	 "  --points N     only N distinct grid points drawn at random (seed S, else\n"
	 "                 the experiment's): observation data for data:\n"},
	{"bench",
	 "usage: phasepinn bench [--pde burgers] [--width W] [--depth D] [--points N]\n"
	 "                       [--steps K] [--threads T] [--batch POINTS]\n"
	 "                       [--torch PATH/torch_pinn.py]\n"
	 "  Time full Burgers training steps; with --torch, the PyTorch loop on the\n"
	 "  same problem beside it.  Prints one key=value line.\n"},
	{"check-plugin",
	 "usage: phasepinn [--plugin-dir DIR]... check-plugin NAME|FILE.so [--plugin-dir DIR]\n"
	 "                 [--seed S] [--reference-grid NxM]\n"
	 "  Check a PDE plugin (by name, found as `run` finds it, or a .so file):\n"
	 "  every term's Jacobian dr against central differences of r in every\n"
	 "  channel and component, dr_coef against differences in the coefficients,\n"
	 "  the hard constraints' derivatives against differences, that the\n"
	 "  reference has a small residual on a grid where the grid resolves it,\n"
	 "  and that names, indices and bounds are consistent.  One PASS/FAIL line\n"
	 "  per check with the worst relative error and where; exit 1 on a failure.\n"},
};

int pp_cli_help(const char *command, FILE *f)
{
	for (size_t i = 0; i < sizeof usages / sizeof usages[0]; i++)
		if (strcmp(usages[i].command, command) == 0) {
			fputs(usages[i].usage, f);
			return 1;
		}
	return 0;
}

int pp_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}
