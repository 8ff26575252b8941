/* phasepinn — `check` and `plugins`: look at an experiment or at the
 * plugins without running anything.  `check` of a file with a compare:
 * section hands it to compare.c (pp_cli_check_compare), so the command
 * files depend one way: check.c → compare.c → run.c → common.c. */
#include <stdio.h>

#include "cli/commands.h"
#include "core/experiment.h"

int pp_cli_check(int argc, char **argv)
{
	const char *file;
	pp_registry *reg;
	pp_experiment *exp = NULL;
	pp_error err = {0};
	int rc;

	rc = pp_cli_parse_run_args(argc, argv, &file, NULL, NULL, NULL);
	if (rc)
		return rc;
	{
		pp_config_doc *doc = NULL;
		int is_compare = pp_config_doc_load(file, &doc, &err) == PP_OK &&
				 pp_config_get(pp_config_doc_root(doc), "compare") != NULL;
		pp_config_doc_destroy(doc);
		pp_error_clear(&err);
		if (is_compare)
			return pp_cli_check_compare(file);
	}
	reg = pp_cli_registry();
	if (!reg)
		return PP_EXIT_USAGE;
	rc = pp_experiment_create(file, reg, NULL, PP_EXPERIMENT_CHECK, &exp, &err);
	if (rc) {
		fprintf(stderr, "phasepinn: %s\n", err.message);
		rc = PP_ERR_CONFIG;
	} else {
		printf("%s: ok: pde %s (%d terms), network %s, weighting %s, %d stage(s), %ld iterations, %d analyzer(s), output %s\n",
		       file, exp->pde_plugin->name, exp->n_terms, pp_network_describe(exp->net),
		       exp->weighting_plugin->name, exp->n_stages, exp->total_iterations,
		       exp->n_analyzers, exp->run_dir);
	}
	pp_experiment_destroy(exp);
	pp_registry_destroy(reg);
	return pp_cli_exit_code(rc);
}

int pp_cli_plugins(int argc, char **argv)
{
	pp_registry *reg;

	if (argc > 1) {
		fprintf(stderr, "phasepinn plugins: takes no arguments, got '%s'\n", argv[1]);
		return PP_EXIT_USAGE;
	}
	reg = pp_cli_registry();
	if (!reg)
		return PP_EXIT_USAGE;
	for (int kind = PP_KIND_PDE; kind <= PP_KIND_ANALYZER; kind++) {
		for (size_t i = 0; i < pp_registry_count(reg); i++) {
			const pp_plugin *p = pp_registry_at(reg, i);
			if ((int)p->kind == kind)
				printf("%-10s %-12s %s\n", pp_kind_name(p->kind), p->name,
				       p->summary ? p->summary : "");
		}
	}
	pp_registry_destroy(reg);
	return PP_EXIT_OK;
}
