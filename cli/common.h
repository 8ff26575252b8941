/* phasepinn — what the subcommands share (cli/common.c): the plugin
 * registry loaded from the --plugin-dir values and the search path, the
 * process exit codes, and the arguments of `run` and `check`.  Nothing here
 * runs, compares or checks an experiment, so every command file may use it
 * without depending on another command's file. */
#ifndef PHASEPINN_CLI_COMMON_H
#define PHASEPINN_CLI_COMMON_H

#include <phasepinn/error.h>

#include "core/registry.h"

/* Exit codes of every command: 0 ok, 1 the work failed, 2 usage or
 * configuration error. */
enum { PP_EXIT_OK = 0, PP_EXIT_FAILED = 1, PP_EXIT_USAGE = 2 };

/* --plugin-dir values, set by main() before dispatching; @dirs is kept. */
void pp_cli_set_plugin_dirs(const char *const *dirs, int n);
/* Those values again (compare passes them on to its child processes). */
int pp_cli_plugin_dirs(const char *const **dirs);
/* A registry loaded from the search path; prints the error and returns NULL.
 * Plugins the loader skipped are one warning line each. */
pp_registry *pp_cli_registry(void);
/* Exit code for a failed operation: 2 for configuration/plugin errors. */
int pp_cli_exit_code(int status);

/* The arguments of `run` (FILE [--output DIR] [--force] [--quiet]
 * [--no-plot]) and `check` (FILE): an option whose out-pointer is NULL is
 * refused, and --no-plot only when @output is given.  Prints the usage error
 * and returns PP_EXIT_USAGE, or PP_EXIT_OK with @file set. */
int pp_cli_parse_run_args(int argc, char **argv, const char **file, const char **output,
			  int *force, int *quiet);

#endif
