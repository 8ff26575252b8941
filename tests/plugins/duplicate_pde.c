/* A second plugin named like good_pde: the loader must reject the pair. */
#include "good_pde.c"
