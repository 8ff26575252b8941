/* phasepinn — what the subcommands share: registry, exit codes, the
 * arguments of `run` and `check` (see cli/common.h). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const char *const *plugin_dirs;
static int n_plugin_dirs;

void pp_cli_set_plugin_dirs(const char *const *dirs, int n)
{
	plugin_dirs = dirs;
	n_plugin_dirs = n;
}

int pp_cli_plugin_dirs(const char *const **dirs)
{
	*dirs = plugin_dirs;
	return n_plugin_dirs;
}

pp_registry *pp_cli_registry(void)
{
	pp_registry *reg = NULL;
	pp_error err = {0};

	if (pp_registry_create(&reg, &err) ||
	    pp_registry_load_default(reg, plugin_dirs, (size_t)n_plugin_dirs, &err)) {
		fprintf(stderr, "phasepinn: %s\n", err.message);
		pp_registry_destroy(reg);
		return NULL;
	}
	for (size_t i = 0; i < pp_registry_skipped_count(reg); i++)
		fprintf(stderr, "phasepinn: warning: %s; skipped\n", pp_registry_skipped_at(reg, i));
	return reg;
}

int pp_cli_exit_code(int status)
{
	if (status == PP_ERR_CONFIG || status == PP_ERR_PLUGIN)
		return PP_EXIT_USAGE;
	return status ? PP_EXIT_FAILED : PP_EXIT_OK;
}

int pp_cli_parse_run_args(int argc, char **argv, const char **file, const char **output,
			  int *force, int *quiet)
{
	*file = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--output") == 0 && output && i + 1 < argc)
			*output = argv[++i];
		else if (strcmp(argv[i], "--force") == 0 && force)
			*force = 1;
		else if (strcmp(argv[i], "--quiet") == 0 && quiet)
			*quiet = 1;
		else if (strcmp(argv[i], "--no-plot") == 0 && output)
			pp_cli_set_plotting(0);
		else if (argv[i][0] != '-' && !*file)
			*file = argv[i];
		else {
			fprintf(stderr, "phasepinn %s: unexpected argument '%s' (see phasepinn --help)\n",
				argv[0], argv[i]);
			return PP_EXIT_USAGE;
		}
	}
	if (!*file) {
		fprintf(stderr, "phasepinn %s: which experiment? usage: phasepinn %s FILE.yaml\n",
			argv[0], argv[0]);
		return PP_EXIT_USAGE;
	}
	return PP_EXIT_OK;
}
