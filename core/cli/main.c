/* phasepinn — command-line entry point (placeholder until the CLI lands). */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "phasepinn: under construction\n");
	return 2;
}
