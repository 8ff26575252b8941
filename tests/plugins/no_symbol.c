/* A shared object that is no phasepinn plugin: it exports no pp_plugin_entry. */
int not_a_plugin(void);
__attribute__((visibility("default"))) int not_a_plugin(void)
{
	return 42;
}
