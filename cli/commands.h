/* phasepinn — subcommands of the CLI (private).  Each takes the arguments
 * after the program name and global options (argv[0] is the subcommand) and
 * returns the process exit code (PP_EXIT_*, cli/common.h).
 *
 * The command files depend one way: check.c → compare.c → run.c; any of
 * them may use common.c (registry, exit codes) and plot.c (figures). */
#ifndef PHASEPINN_CLI_COMMANDS_H
#define PHASEPINN_CLI_COMMANDS_H

#include <phasepinn/error.h>

#include "cli/common.h"
#include "core/config_doc.h"

int pp_cli_run(int argc, char **argv);       /* cli/run.c */
int pp_cli_resume(int argc, char **argv);    /* cli/run.c */
int pp_cli_check(int argc, char **argv);     /* cli/check.c */
int pp_cli_plugins(int argc, char **argv);   /* cli/check.c */
int pp_cli_compare(int argc, char **argv);   /* cli/compare.c */
/* `check` of a file with a compare: section: every variant validated. */
int pp_cli_check_compare(const char *path);
int pp_cli_bench(int argc, char **argv);     /* cli/bench.c */
int pp_cli_phases(int argc, char **argv);    /* cli/phases.c */
int pp_cli_reference(int argc, char **argv); /* cli/reference.c */
int pp_cli_plot(int argc, char **argv);      /* cli/plot.c */
int pp_cli_predict(int argc, char **argv);   /* cli/predict.c */
int pp_cli_export(int argc, char **argv);    /* cli/predict.c */

/* "256x100" into grid->n[0..n_dims) (cli/reference.c; the rest of @grid is
 * the caller's): PP_ERR_CONFIG naming what is wrong. */
int pp_cli_parse_grid(const char *text, pp_grid *grid, pp_error *err);

/* Figures (gnuplot) and report.md at the end of `run` and `compare`
 * (cli/plot.c).  They never change the command's exit code: a gnuplot
 * error is one warning line, a missing gnuplot one hint for the whole
 * process, printed by pp_cli_plot_hint (main, after the command) unless
 * --quiet.  --no-plot: pp_cli_set_plotting(0).  @plot: the experiment's
 * logging.plot. */
void pp_cli_set_plotting(int on);
void pp_cli_plot_after_run(const char *run_dir, int plot, int quiet);
void pp_cli_plot_after_compare(const char *dir, int quiet);
void pp_cli_plot_hint(void);

/* Run one experiment into @output (NULL: its own output:); the exit code
 * (cli/run.c; compare runs each variant so).  pp_cli_run_doc takes the
 * document over. */
int pp_cli_run_file(const char *file, const char *output, int force, int quiet);
int pp_cli_run_doc(pp_config_doc *doc, const char *output, int force, int quiet);

#endif
