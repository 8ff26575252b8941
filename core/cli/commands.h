/* phasepinn — subcommands of the CLI (private).  Each takes the arguments
 * after the program name (argv[0] is the subcommand) and returns the process
 * exit code: 0 ok, 1 the work failed, 2 usage or configuration error. */
#ifndef PHASEPINN_CLI_COMMANDS_H
#define PHASEPINN_CLI_COMMANDS_H

int pp_cli_bench(int argc, char **argv);     /* core/cli/bench.c */
int pp_cli_phases(int argc, char **argv);    /* core/cli/phases.c */
int pp_cli_reference(int argc, char **argv); /* core/cli/reference.c */

#endif
